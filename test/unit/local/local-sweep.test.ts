import { afterEach, describe, expect, it } from 'vitest';
import {
  openStateDatabase,
  type SqliteDatabase,
  SqliteIncidentStore,
} from '../../../functions/adapters/sqlite-incident-store.ts';
import type { IncidentStatus, RepairJob } from '../../../functions/core/contracts.ts';
import { DEFAULT_RESOLVE_WINDOW_MS } from '../../../functions/core/follow-up/record-merge.ts';
import { DEFAULT_REGRESSION_GRACE_MS } from '../../../functions/core/incident/incident-rules.ts';
import type { SweepSummary } from '../../../functions/core/incident/sweep-incidents.ts';
import { type SweepSource, startLocalSweep } from '../../../functions/local/pipeline/local-sweep.ts';
import { INCIDENT_KEY, REPO, seedMergedIncident } from '../../support/follow-up-fakes.ts';

const MERGED_AT = 1_700_000_000_000;
const MINUTE = 60_000;

const databases: SqliteDatabase[] = [];
afterEach(() => {
  for (const database of databases.splice(0)) database.close();
});

/** A SQLite store holding one incident whose fix was merged at MERGED_AT, last seen at `lastSeen`. */
async function mergedStore(lastSeen: number): Promise<SqliteIncidentStore> {
  const database = openStateDatabase({ path: ':memory:' });
  databases.push(database);
  const store = new SqliteIncidentStore({ database });
  await seedMergedIncident(store, {
    mergedAt: MERGED_AT,
    firstSeen: MERGED_AT - 60 * MINUTE,
    lastSeen,
    prUrl: 'https://github.test/acme/shop/pull/7',
  });
  return store;
}

/** A scheduler the test drives, and a source that records the jobs it is given. */
function harness(store: SqliteIncidentStore, now: number) {
  const timers: { tick: () => void; ms: number; cancelled: boolean }[] = [];
  const jobs: { job: RepairJob; statusAtStart: IncidentStatus | undefined }[] = [];
  const summaries: SweepSummary[] = [];
  const work: Promise<unknown>[] = [];
  const source: SweepSource = {
    runRepair: async (job) => {
      jobs.push({ job, statusAtStart: (await store.get(job.incidentKey))?.status });
      return { kind: 'succeeded', detail: 'https://github.test/acme/shop/pull/8' };
    },
    followUpDeps: async () => {
      throw new Error('no draft is due a no-CI check here');
    },
  };
  const sweep = startLocalSweep({
    store,
    source,
    intervalMs: 10 * MINUTE,
    onWork: (_job, started) => work.push(started),
    onSummary: (summary) => summaries.push(summary),
    onFailure: (error) => {
      throw error;
    },
    report: () => {},
    scheduler: (tick, ms) => {
      const timer = { tick, ms, cancelled: false };
      timers.push(timer);
      return () => {
        timer.cancelled = true;
      };
    },
    now: () => now,
  });
  return { sweep, timers, jobs, summaries, work };
}

describe('startLocalSweep', () => {
  it('resolves a resolved_pending incident past its quiet window on a timer tick, not before', async () => {
    const store = await mergedStore(MERGED_AT - MINUTE);
    const { sweep, timers, summaries } = harness(store, MERGED_AT + DEFAULT_RESOLVE_WINDOW_MS + 1);

    expect(timers).toHaveLength(1);
    expect(timers[0]?.ms).toBe(10 * MINUTE);
    expect((await store.get(INCIDENT_KEY))?.status).toBe('resolved_pending');

    timers[0]?.tick();
    await sweep.stop();

    expect((await store.get(INCIDENT_KEY))?.status).toBe('resolved');
    expect(summaries.map((s) => s.results)).toEqual([[{ incidentKey: INCIDENT_KEY, kind: 'resolved' }]]);
    expect(timers[0]?.cancelled).toBe(true);
  });

  it('leaves an incident inside its window waiting', async () => {
    const store = await mergedStore(MERGED_AT - MINUTE);
    const { sweep } = harness(store, MERGED_AT + DEFAULT_RESOLVE_WINDOW_MS - MINUTE);

    await sweep.tick();
    await sweep.stop();

    expect((await store.get(INCIDENT_KEY))?.status).toBe('resolved_pending');
  });

  it('hands a regression to the repair runner once the sweep has marked it queued', async () => {
    const store = await mergedStore(MERGED_AT + DEFAULT_REGRESSION_GRACE_MS + MINUTE);
    const { sweep, jobs, work } = harness(store, MERGED_AT + 2 * DEFAULT_REGRESSION_GRACE_MS);

    await sweep.tick();
    await sweep.stop();
    await Promise.all(work);

    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.job).toMatchObject({ kind: 'repair', incidentKey: INCIDENT_KEY, repo: REPO });
    expect(jobs[0]?.statusAtStart).toBe('queued');
    expect((await store.get(INCIDENT_KEY))?.regression).toBe(true);
  });

  it('runs one sweep at a time and none after stop', async () => {
    const store = await mergedStore(MERGED_AT - MINUTE);
    const { sweep, summaries } = harness(store, MERGED_AT + DEFAULT_RESOLVE_WINDOW_MS + 1);

    await Promise.all([sweep.tick(), sweep.tick()]);
    await sweep.stop();
    await sweep.tick();

    expect(summaries).toHaveLength(1);
  });
});
