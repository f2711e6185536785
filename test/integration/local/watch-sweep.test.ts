import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { openStateDatabase, SqliteIncidentStore } from '../../../functions/adapters/sqlite-incident-store.ts';
import type { IncidentStatus } from '../../../functions/core/contracts.ts';
import { DEFAULT_RESOLVE_WINDOW_MS } from '../../../functions/core/follow-up/record-merge.ts';
import { runWatch, type WatchDeps } from '../../../functions/local/commands/watch-command.ts';
import type { SweepScheduler, SweepSource } from '../../../functions/local/pipeline/local-sweep.ts';
import { INCIDENT_KEY, seedMergedIncident } from '../../support/follow-up-fakes.ts';
import { tempDir } from './watch-helpers.ts';

const HOUR = 60 * 60 * 1000;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function statePath(dir: string): string {
  return join(dir, '.ai-ops', 'state.db');
}

async function withStore<T>(dir: string, use: (store: SqliteIncidentStore) => Promise<T>): Promise<T> {
  const database = openStateDatabase({ path: statePath(dir) });
  try {
    return await use(new SqliteIncidentStore({ database }));
  } finally {
    database.close();
  }
}

/** A state file with one incident whose fix was merged 25 hours ago and stayed quiet since. */
async function workspaceWithQuietMergedFix() {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  mkdirSync(join(dir, '.ai-ops'), { recursive: true });
  const log = join(dir, 'app.log');
  writeFileSync(log, 'INFO boot\n');
  const mergedAt = Date.now() - DEFAULT_RESOLVE_WINDOW_MS - HOUR;
  await withStore(dir, async (store) => {
    await seedMergedIncident(store, { mergedAt });
  });
  return { dir, log };
}

const status = (dir: string): Promise<IncidentStatus | undefined> =>
  withStore(dir, async (store) => (await store.get(INCIDENT_KEY))?.status);

/** Runs `ai-ops watch` with a pipeline that offers the sweep fakes, and a timer the test fires. */
async function watch(argv: string[], dir: string, { fire = false }: { fire?: boolean } = {}) {
  const timers: number[] = [];
  const stop = new AbortController();
  const source: SweepSource = {
    runRepair: async () => ({ kind: 'failed', detail: 'no repair expected' }),
    followUpDeps: async () => {
      throw new Error('no draft is due a no-CI check here');
    },
  };
  const sweepScheduler: SweepScheduler = (tick, ms) => {
    timers.push(ms);
    if (fire) tick();
    return () => {};
  };
  const deps: WatchDeps = {
    env: { GITHUB_REPO: 'acme/shop' },
    cwd: dir,
    isTty: false,
    signal: stop.signal,
    sweepScheduler,
    createHandler: ({ registerSweep }) => {
      registerSweep?.(source);
      return async () => ({ incidentKey: INCIDENT_KEY, result: 'duplicate' });
    },
    onReady: () => stop.abort(),
  };
  const stdout = new PassThrough();
  const out: string[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk.toString()));
  const code = await runWatch(argv, { stdin: new PassThrough(), stdout, stderr: new PassThrough() }, deps);
  return { code, timers, out: out.join('') };
}

describe('ai-ops watch: the periodic sweep', () => {
  it('resolves a merged fix that stayed quiet past its window on a sweep tick (every 10 minutes by default)', async () => {
    const { dir, log } = await workspaceWithQuietMergedFix();

    const run = await watch([log], dir, { fire: true });

    expect(run.code).toBe(0);
    expect(run.timers).toEqual([10 * 60_000]);
    expect(await status(dir)).toBe('resolved');
    expect(run.out).toContain(`sweep: resolved ${INCIDENT_KEY}`);
  });

  it('takes its interval from --sweep-minutes', async () => {
    const { dir, log } = await workspaceWithQuietMergedFix();
    const run = await watch(['--sweep-minutes', '3', log], dir);
    expect(run.timers).toEqual([3 * 60_000]);
    expect(await status(dir)).toBe('resolved_pending');
  });

  it('never sweeps with --once, --dry-run or --sweep-minutes 0', async () => {
    for (const argv of [['--once'], ['--dry-run'], ['--sweep-minutes', '0']]) {
      const { dir, log } = await workspaceWithQuietMergedFix();
      const run = await watch([...argv, log], dir, { fire: true });
      expect(run.code, argv.join(' ')).toBe(0);
      expect(run.timers, argv.join(' ')).toEqual([]);
      expect(await status(dir), argv.join(' ')).toBe('resolved_pending');
    }
  });

  it('refuses a --sweep-minutes that is not a whole number of minutes', async () => {
    const { dir, log } = await workspaceWithQuietMergedFix();
    const run = await watch(['--sweep-minutes', '1.5', log], dir);
    expect(run.code).toBe(2);
  });
});
