import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStateDatabase, SqliteIncidentStore } from '../../../functions/adapters/sqlite-incident-store.ts';
import { runWatch, type WatchDeps } from '../../../functions/local/commands/watch-command.ts';
import type { ErrorWatcher } from '../../../functions/local/follow/error-watcher.ts';
import type { HandleError } from '../../../functions/local/pipeline/handle-error.ts';
import { capture, pythonTrace, tempDir, waitFor } from './watch-helpers.ts';

const FAKE_TOKEN = ['ghp', 'FAKEFAKEFAKEFAKEFAKE0123456789abcdefgh'].join('_');
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function workspace() {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const log = join(dir, 'app.log');
  writeFileSync(
    log,
    [
      'INFO boot',
      pythonTrace(1),
      'INFO ok',
      pythonTrace(2),
      'WARN slow',
      pythonTrace(3).replace('checkout', 'refund'),
      '',
    ].join('\n'),
  );
  return { dir, log };
}

async function watch(argv: string[], deps: WatchDeps & { dir: string }) {
  const { io, out, err } = capture();
  const code = await runWatch(argv, io, { env: {}, cwd: deps.dir, isTty: false, ...deps });
  return { code, out: out(), err: err() };
}

function incidents(dir: string) {
  const database = openStateDatabase({ path: join(dir, '.ai-ops', 'state.db') });
  try {
    return new SqliteIncidentStore({ database }).list();
  } finally {
    database.close();
  }
}

describe('ai-ops watch', () => {
  it('--once records each error once per fingerprint, says the pipeline is not configured, and resumes from its offsets', async () => {
    const { dir, log } = workspace();

    const first = await watch(['--once', log], {
      dir,
      env: { GITHUB_TOKEN: FAKE_TOKEN, GITHUB_REPO: 'acme/shop' },
    });

    expect(first.code).toBe(0);
    expect(first.out).toContain('repair pipeline not configured');
    expect(first.out).toContain("KeyError: 'sku-1' at /app/shop/pricing.py:3");
    expect(first.out).toContain('3 error(s): 2 new incident(s), 1 recurrence(s)');
    expect(first.out).not.toContain(FAKE_TOKEN);
    expect(
      incidents(dir)
        .map((i) => [i.incidentKey.split('#')[0], i.count])
        .sort(),
    ).toEqual([
      ['acme/shop', 1],
      ['acme/shop', 2],
    ]);

    appendFileSync(log, `${pythonTrace(4)}\n`);
    const second = await watch(['--once', log], { dir, env: { GITHUB_REPO: 'acme/shop' } });
    expect(second.out).toContain('1 error(s): 0 new incident(s), 1 recurrence(s)');
    expect(
      incidents(dir)
        .map((i) => i.count)
        .sort(),
    ).toEqual([1, 3]);
  });

  it('--json writes one JSON object per line', async () => {
    const { dir, log } = workspace();
    const { code, out } = await watch(['--once', '--json', log], { dir });
    const objects = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; incidentKey?: string; summary?: unknown });
    expect(code).toBe(0);
    expect(objects.filter((o) => o.type === 'detected')).toHaveLength(3);
    expect(objects.filter((o) => o.type === 'detected')[0]?.incidentKey).toMatch(/^local\/unconfigured#/);
    expect(objects[objects.length - 1]).toMatchObject({
      type: 'info',
      summary: { lines: 21, errors: 3, created: 2, existing: 1, failed: 0 },
    });
  });

  it('--once waits for the work the handler started, reports its stages, and exits 1 when a repair failed', async () => {
    const { dir, log } = workspace();
    const seen: { dryRun: boolean }[] = [];
    const handleError: HandleError = async (error, { report, dryRun }) => {
      seen.push({ dryRun });
      const incidentKey = `acme/shop#${error.record.message}`;
      const work = (async () => {
        await new Promise((r) => setTimeout(r, 30));
        report({ incidentKey, stage: 'analysing' });
        return error.record.message === "'sku-2'"
          ? ({ kind: 'failed', detail: 'model said no' } as const)
          : ({ kind: 'succeeded' } as const);
      })();
      return { incidentKey, result: 'created', work };
    };

    const { code, out } = await watch(['--once', '--dry-run', log], { dir, handleError });

    expect(code).toBe(1);
    expect(seen.every((s) => s.dryRun)).toBe(true);
    expect(out).not.toContain('repair pipeline not configured');
    expect(out).toMatch(/acme\/shop#'sku-1'\s+analysing/);
    expect(out).toMatch(/acme\/shop#'sku-2'\s+FAILED: model said no/);
    expect(out).toContain('repairs: 2 succeeded, 1 failed');
  });

  it('follows appended lines until stopped', async () => {
    const { dir, log } = workspace();
    const stop = new AbortController();
    let watcher: ErrorWatcher | undefined;
    const running = watch([log], { dir, signal: stop.signal, onReady: (w) => (watcher = w) });
    await waitFor(() => watcher !== undefined, { what: 'the watcher to start' });

    appendFileSync(log, `${pythonTrace('live')}\nINFO after\n`);
    await waitFor(() => (watcher?.stats.errors ?? 0) === 1, { what: 'the appended error' });
    stop.abort();
    const { code, out } = await running;

    expect(code).toBe(0);
    expect(out).toContain("KeyError: 'sku-live'");
    expect(out).toContain('1 error(s): 1 new incident(s)');
  });

  it('exits 2 with a clear message for bad usage, bad settings and an unreadable path', async () => {
    const { dir } = workspace();
    mkdirSync(join(dir, 'logs.log'));

    const none = await watch([], { dir });
    const bad = await watch(['x.log'], { dir, env: { GITHUB_REPO: 'nope', AI_OPS_MAIL: 'smtp' } });
    const unreadable = await watch(['--once', 'logs.log'], { dir });
    const help = await watch(['--help'], { dir });

    expect(none).toMatchObject({
      code: 2,
      err: expect.stringContaining('Pass a file or glob, or set LOG_FILE_PATH'),
    });
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('GITHUB_REPO: must be owner/name');
    expect(bad.err).toContain('SMTP_HOST is missing');
    expect(unreadable).toMatchObject({
      code: 2,
      err: expect.stringContaining(`${join(dir, 'logs.log')} is not a regular file`),
    });
    expect(help).toMatchObject({ code: 0, out: expect.stringContaining('AWS_ENDPOINT_URL_') });
  });
});
