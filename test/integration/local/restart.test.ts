import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStateDatabase, SqliteIncidentStore } from '../../../functions/adapters/sqlite-incident-store.ts';
import type { RepoRef } from '../../../functions/core/contracts.ts';
import { ErrorWatcher } from '../../../functions/local/follow/error-watcher.ts';
import { recordLocalError } from '../../../functions/local/follow/record-local-error.ts';
import { SqliteOffsetStore } from '../../../functions/local/follow/sqlite-offset-store.ts';
import { pythonTrace, tempDir } from './watch-helpers.ts';

const REPO: RepoRef = { owner: 'acme', name: 'shop', baseBranch: 'main', pathPrefix: '' };
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

class SimulatedCrash extends Error {}

/** One run of the watcher on `statePath`; `crashAfter` errors in, it dies after recording but before committing. */
async function run({ log, statePath, crashAfter }: { log: string; statePath: string; crashAfter?: number }) {
  const database = openStateDatabase({ path: statePath });
  const store = new SqliteIncidentStore({ database });
  const seen: string[] = [];
  const watcher = new ErrorWatcher({
    patterns: [log],
    fromStart: true,
    chunkSize: 4096,
    offsets: new SqliteOffsetStore({ database }),
    onError: async ({ record }) => {
      await recordLocalError({ record, repo: REPO, store });
      seen.push(record.eventIds.join(','));
      if (crashAfter !== undefined && seen.length === crashAfter) throw new SimulatedCrash('killed');
    },
  });
  let crashed = false;
  try {
    await watcher.runOnce();
  } catch (error: unknown) {
    if (!(error instanceof SimulatedCrash)) throw error;
    crashed = true;
  }
  const counts = Object.fromEntries(store.list().map((i) => [i.incidentKey, i.count]));
  database.close();
  return { seen, counts, crashed };
}

describe('restarting the watcher', () => {
  it('neither loses nor double-counts errors when killed mid-file and restarted on the same state file', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const log = join(dir, 'app.log');
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) {
      lines.push(`INFO request ${i} ok`, pythonTrace(i % 7).replace('checkout', `checkout${i % 7}`));
    }
    writeFileSync(log, `${lines.join('\n')}\n`);

    const reference = await run({ log, statePath: join(dir, 'reference.db') });
    const first = await run({ log, statePath: join(dir, 'state.db'), crashAfter: 97 });
    const second = await run({ log, statePath: join(dir, 'state.db') });

    expect(reference.seen).toHaveLength(300);
    expect(first.crashed).toBe(true);
    // The record being processed at the crash is read again (at-least-once)...
    expect(second.seen[0]).toBe(first.seen[first.seen.length - 1]);
    expect(new Set([...first.seen, ...second.seen])).toEqual(new Set(reference.seen));
    expect(first.seen.length + second.seen.length).toBe(301);
    // ...and the store recognises it: the counts equal one uninterrupted run's.
    expect(second.counts).toEqual(reference.counts);
    expect(Object.values(reference.counts).reduce((a, b) => a + b, 0)).toBe(300);
  });
});
