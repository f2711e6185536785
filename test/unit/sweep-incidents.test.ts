import { describe, expect, it } from 'vitest';
import type { MemoryIncidentStore } from '../../functions/adapters/memory-incident-store.ts';
import type { RepairJob } from '../../functions/core/contracts.ts';
import type { FollowUpDeps } from '../../functions/core/follow-up/follow-up-deps.ts';
import { DEFAULT_RESOLVE_WINDOW_MS } from '../../functions/core/follow-up/record-merge.ts';
import { DEFAULT_REGRESSION_GRACE_MS } from '../../functions/core/incident/incident-rules.ts';
import {
  resumeIncidents,
  type SweepDeps,
  sweepIncidents,
} from '../../functions/core/incident/sweep-incidents.ts';
import type { EnqueueResult, JobQueue } from '../../functions/core/ports/job-queue.ts';
import { INCIDENT_KEY, makeDeps, REPO, seedStore } from '../support/follow-up-fakes.ts';

const MERGED_AT = 1_700_000_000_000;
const MINUTE = 60 * 1000;

class FakeQueue implements JobQueue {
  readonly jobs: RepairJob[] = [];
  refuse = false;
  async enqueue(jobs: readonly RepairJob[]): Promise<EnqueueResult> {
    if (this.refuse)
      return {
        sent: [],
        failed: jobs.map((j) => ({ incidentKey: j.incidentKey, code: 'Throttled', message: 'slow down' })),
      };
    this.jobs.push(...jobs);
    return { sent: jobs.map((j) => j.incidentKey), failed: [] };
  }
}

/** The seeded incident with its fix merged at MERGED_AT, last seen at `lastSeen`. */
async function mergedStore({ lastSeen = MERGED_AT - MINUTE }: { lastSeen?: number } = {}) {
  const store = await seedStore({ lastSeen });
  await store.transition({
    incidentKey: INCIDENT_KEY,
    from: 'pr_open',
    to: 'resolved_pending',
    set: { merge: { sha: 'f'.repeat(40), mergedAt: MERGED_AT } },
  });
  return store;
}

/** Sweep deps over the store and the fake GitHub of follow-up-fakes; counts what reached GitHub. */
function makeSweep(store: MemoryIncidentStore, { now }: { now: number }) {
  const queue = new FakeQueue();
  const followUp = makeDeps({ store });
  followUp.github.checks = false;
  let prReads = 0;
  let followUpBuilds = 0;
  const pullRequests: FollowUpDeps['pullRequests'] = {
    ...followUp.github.pullRequests,
    get: (options) => {
      prReads += 1;
      return followUp.github.pullRequests.get(options);
    },
  };
  const deps: SweepDeps = {
    store,
    queue,
    followUpDeps: async () => {
      followUpBuilds += 1;
      return { ...followUp.deps, pullRequests, now: () => now };
    },
    now: () => now,
  };
  return {
    deps,
    queue,
    github: followUp.github,
    mailer: followUp.mailer,
    counts: () => ({ prReads, followUpBuilds }),
  };
}

describe('sweepIncidents: merged fixes', () => {
  it('resolves a resolved_pending incident that stayed quiet past its window', async () => {
    const store = await mergedStore();
    const { deps, queue } = makeSweep(store, { now: MERGED_AT + DEFAULT_RESOLVE_WINDOW_MS + 1 });

    const summary = await sweepIncidents(deps);

    expect(summary.results).toEqual([{ incidentKey: INCIDENT_KEY, kind: 'resolved' }]);
    expect((await store.get(INCIDENT_KEY))?.status).toBe('resolved');
    expect(queue.jobs).toEqual([]);
  });

  it('leaves one inside its window alone, saying when to look again', async () => {
    const store = await mergedStore();
    const { deps } = makeSweep(store, { now: MERGED_AT + 60 * MINUTE });

    const summary = await sweepIncidents(deps);

    expect(summary.results).toEqual([
      { incidentKey: INCIDENT_KEY, kind: 'waiting', until: MERGED_AT + DEFAULT_RESOLVE_WINDOW_MS },
    ]);
    expect((await store.get(INCIDENT_KEY))?.status).toBe('resolved_pending');
  });

  it('reopens one seen after the grace period and enqueues one repair job, marking it queued', async () => {
    const store = await mergedStore({ lastSeen: MERGED_AT + DEFAULT_REGRESSION_GRACE_MS + MINUTE });
    const { deps, queue } = makeSweep(store, { now: MERGED_AT + 2 * DEFAULT_REGRESSION_GRACE_MS });

    const first = await sweepIncidents(deps);
    const second = await sweepIncidents(deps);

    expect(first.results).toEqual([{ incidentKey: INCIDENT_KEY, kind: 'regression', enqueued: true }]);
    expect(second.results).toEqual([]);
    expect(queue.jobs).toHaveLength(1);
    expect(queue.jobs[0]).toMatchObject({
      v: 1,
      kind: 'repair',
      incidentKey: INCIDENT_KEY,
      repo: REPO,
      attempt: 0,
    });
    // The merge stays recorded: announceRegression needs it to comment on the merged PR.
    expect(await store.get(INCIDENT_KEY)).toMatchObject({
      status: 'queued',
      regression: true,
      merge: { mergedAt: MERGED_AT },
    });
  });

  it('leaves a regression new when the queue refuses its job, for the next occurrence to queue', async () => {
    const store = await mergedStore({ lastSeen: MERGED_AT + DEFAULT_REGRESSION_GRACE_MS + MINUTE });
    const { deps, queue } = makeSweep(store, { now: MERGED_AT + 2 * DEFAULT_REGRESSION_GRACE_MS });
    queue.refuse = true;

    const summary = await sweepIncidents(deps);

    expect(summary.results).toEqual([{ incidentKey: INCIDENT_KEY, kind: 'regression', enqueued: false }]);
    expect((await store.get(INCIDENT_KEY))?.status).toBe('new');
  });

  it('never reopens an incident a person ignored; it is resolved after the window instead', async () => {
    const store = await mergedStore({ lastSeen: MERGED_AT + DEFAULT_REGRESSION_GRACE_MS + MINUTE });
    await store.setFlags({ incidentKey: INCIDENT_KEY, flags: { ignored: true } });
    const { deps, queue } = makeSweep(store, { now: MERGED_AT + DEFAULT_RESOLVE_WINDOW_MS + 1 });

    const summary = await sweepIncidents(deps);

    expect(summary.results).toEqual([{ incidentKey: INCIDENT_KEY, kind: 'resolved' }]);
    expect(queue.jobs).toEqual([]);
  });
});

describe('sweepIncidents: drafts without CI', () => {
  // seedStore marks the fix email sent at t=1, i.e. the PR opened long ago.
  it('gives a draft with no CI after 30 minutes the no-CI treatment once, however often it runs', async () => {
    const store = await seedStore();
    const { deps, github, counts } = makeSweep(store, { now: 1 + 31 * MINUTE });

    const first = await sweepIncidents(deps);
    const second = await sweepIncidents(deps);

    expect(first.results).toEqual([
      { incidentKey: INCIDENT_KEY, kind: 'no_ci', outcome: expect.objectContaining({ kind: 'left_draft' }) },
    ]);
    expect(second.results).toEqual([]);
    expect(counts()).toEqual({ prReads: 1, followUpBuilds: 1 });
    expect(github.comments).toHaveLength(1);
    expect(github.comments[0]?.body).toContain('No CI check ran');
    expect(github.pr.draft).toBe(true);
    expect((await store.get(INCIDENT_KEY))?.ci).toMatchObject({ conclusion: 'no_ci' });
  });

  it('marks it ready once when the policy says so', async () => {
    const store = await seedStore();
    const { deps, github, mailer } = makeSweep(store, { now: 1 + 31 * MINUTE });

    await sweepIncidents(deps, { noCiPolicy: 'mark_ready' });
    await sweepIncidents(deps, { noCiPolicy: 'mark_ready' });

    expect(github.pr.draft).toBe(false);
    expect(github.calls.filter((call) => call === 'markReady')).toHaveLength(1);
    expect(mailer.sent).toHaveLength(1);
  });

  it('does not look at a draft younger than 30 minutes, nor build GitHub clients for it', async () => {
    const store = await seedStore();
    const { deps, github, counts } = makeSweep(store, { now: 1 + 29 * MINUTE });

    const summary = await sweepIncidents(deps);

    expect(summary.results).toEqual([{ incidentKey: INCIDENT_KEY, kind: 'not_due' }]);
    expect(counts()).toEqual({ prReads: 0, followUpBuilds: 0 });
    expect(github.comments).toEqual([]);
  });

  it('times the wait from when the PR opened, not from the email, when the incident records it', async () => {
    const store = await seedStore();
    // the email went out at t=1, but the PR was recorded open only at 10 minutes
    await store.transition({
      incidentKey: INCIDENT_KEY,
      from: 'pr_open',
      to: 'pr_open',
      set: { prOpenedAt: 10 * MINUTE },
    });

    const early = await sweepIncidents(makeSweep(store, { now: 1 + 31 * MINUTE }).deps);
    const due = await sweepIncidents(makeSweep(store, { now: 41 * MINUTE }).deps);

    expect(early.results).toEqual([{ incidentKey: INCIDENT_KEY, kind: 'not_due' }]);
    expect(due.results).toEqual([
      { incidentKey: INCIDENT_KEY, kind: 'no_ci', outcome: expect.objectContaining({ kind: 'left_draft' }) },
    ]);
  });

  it('keeps waiting while the head has checks but no verdict yet', async () => {
    const store = await seedStore();
    const { deps, github } = makeSweep(store, { now: 1 + 31 * MINUTE });
    github.checks = true;

    const summary = await sweepIncidents(deps);

    expect(summary.results).toEqual([
      { incidentKey: INCIDENT_KEY, kind: 'no_ci', outcome: { kind: 'has_ci' } },
    ]);
    expect((await store.get(INCIDENT_KEY))?.ci).toBeUndefined();
  });

  it('reports a failing incident and goes on with the rest', async () => {
    const store = await seedStore();
    const other = await mergedStore();
    const merged = await other.get(INCIDENT_KEY);
    if (!merged) throw new Error('seed failed');
    // Two incidents in one store: the draft (INCIDENT_KEY) and a merged one under another key.
    await store.recordOccurrence({
      incidentKey: 'acme/shop#other',
      repo: REPO,
      fingerprint: 'other',
      count: 1,
      firstSeen: 1,
      lastSeen: MERGED_AT - MINUTE,
      sample: merged.sample,
      ttl: 1,
      batchId: 'x',
    });
    for (const [from, to] of [
      ['new', 'analyzing'],
      ['analyzing', 'pr_open'],
    ] as const)
      await store.transition({ incidentKey: 'acme/shop#other', from, to });
    await store.transition({
      incidentKey: 'acme/shop#other',
      from: 'pr_open',
      to: 'resolved_pending',
      set: { merge: { sha: 'e'.repeat(40), mergedAt: MERGED_AT } },
    });
    const { deps } = makeSweep(store, { now: MERGED_AT + DEFAULT_RESOLVE_WINDOW_MS + 1 });
    deps.followUpDeps = async () => {
      throw new Error('secret unreadable');
    };

    const summary = await sweepIncidents(deps);

    expect(summary.counts).toEqual({ resolved: 1, failed: 1 });
    expect(summary.results).toContainEqual({
      incidentKey: INCIDENT_KEY,
      kind: 'failed',
      message: 'secret unreadable',
    });
  });

  it('looks at no more than `limit` incidents per status', async () => {
    const store = await seedStore();
    const sample = (await store.get(INCIDENT_KEY))?.sample;
    if (!sample) throw new Error('seed failed');
    for (const key of ['acme/shop#b', 'acme/shop#c']) {
      await store.recordOccurrence({
        incidentKey: key,
        repo: REPO,
        fingerprint: key,
        count: 1,
        firstSeen: 1,
        lastSeen: 2,
        sample,
        ttl: 1,
        batchId: key,
      });
      await store.transition({ incidentKey: key, from: 'new', to: 'analyzing' });
      await store.transition({ incidentKey: key, from: 'analyzing', to: 'pr_open', set: { prNumber: 9 } });
    }
    const { deps } = makeSweep(store, { now: 1 + 29 * MINUTE });

    const summary = await sweepIncidents(deps, { limit: 2 });

    expect(summary.results).toHaveLength(2);
  });
});

describe('resumeIncidents: work that was lost is handed to the queue again', () => {
  const NOW = 1_800_000_000_000;
  async function storeWith(status: 'queued' | 'analyzing' | 'failed' | 'pr_open', set = {}) {
    const { MemoryIncidentStore } = await import('../../functions/adapters/memory-incident-store.ts');
    const store = new MemoryIncidentStore();
    const sample = {
      language: 'python' as const,
      exceptionType: 'KeyError',
      message: "'sku'",
      frames: [],
      causes: [],
      raw: "KeyError: 'sku'",
      logGroup: 'g',
      logStream: 's',
      timestamp: 1,
      eventIds: ['e1'],
    };
    await store.recordOccurrence({
      incidentKey: INCIDENT_KEY,
      repo: REPO,
      fingerprint: 'f',
      count: 1,
      firstSeen: 1,
      lastSeen: 1,
      sample,
      ttl: 1,
      batchId: 'b',
    });
    const path: Record<typeof status, ('queued' | 'analyzing' | 'failed' | 'pr_open')[]> = {
      queued: ['queued'],
      analyzing: ['analyzing'],
      failed: ['analyzing', 'failed'],
      pr_open: ['analyzing', 'pr_open'],
    };
    let from: 'new' | 'queued' | 'analyzing' | 'failed' | 'pr_open' = 'new';
    for (const to of path[status]) {
      await store.transition({ incidentKey: INCIDENT_KEY, from, to, ...(to === status ? { set } : {}) });
      from = to;
    }
    return store;
  }
  const run = async (
    store: MemoryIncidentStore,
    options: { isLeaseAbandoned?: () => boolean; maxAttempts?: number } = {},
  ) => {
    const queue = new FakeQueue();
    const results = await resumeIncidents(
      {
        store,
        queue,
        followUpDeps: async () => {
          throw new Error('not needed');
        },
        now: () => NOW,
        ...(options.isLeaseAbandoned ? { isLeaseAbandoned: options.isLeaseAbandoned } : {}),
      },
      options.maxAttempts ? { maxAttempts: options.maxAttempts } : {},
    );
    return { results, queue };
  };

  it('re-sends a queued job only once its queue lease ran out, taking a fresh lease', async () => {
    const live = await storeWith('queued', { lease: { owner: 'sqs', until: NOW + 1 } });
    expect((await run(live)).queue.jobs).toHaveLength(0);

    const lost = await storeWith('queued', { lease: { owner: 'sqs', until: NOW - 1 } });
    const { results, queue } = await run(lost);
    expect(results).toEqual([{ incidentKey: INCIDENT_KEY, kind: 'resumed', from: 'queued' }]);
    expect(queue.jobs).toHaveLength(1);
    expect((await lost.get(INCIDENT_KEY))?.lease?.until).toBeGreaterThan(NOW);
    expect((await run(lost)).queue.jobs).toHaveLength(0);
  });

  it('resumes an analyzing incident past its lease, or at once when its owner is gone', async () => {
    const held = await storeWith('analyzing', { lease: { owner: 'w', until: NOW + 60_000 } });
    expect((await run(held)).queue.jobs).toHaveLength(0);
    expect((await run(held, { isLeaseAbandoned: () => true })).results).toEqual([
      { incidentKey: INCIDENT_KEY, kind: 'resumed', from: 'analyzing' },
    ]);
    const expired = await storeWith('analyzing', { lease: { owner: 'w', until: NOW - 1 } });
    expect((await run(expired)).queue.jobs).toHaveLength(1);
  });

  it('retries a failed incident after its backoff, while attempts are left; never a final failure', async () => {
    const waiting = await storeWith('failed', { attempts: 1, retryAfter: NOW + 1 });
    expect((await run(waiting)).queue.jobs).toHaveLength(0);
    const due = await storeWith('failed', { attempts: 1, retryAfter: NOW - 1 });
    expect((await run(due)).results).toEqual([
      { incidentKey: INCIDENT_KEY, kind: 'resumed', from: 'failed' },
    ]);
    const spent = await storeWith('failed', { attempts: 3, retryAfter: NOW - 1 });
    expect((await run(spent, { maxAttempts: 3 })).queue.jobs).toHaveLength(0);
    const final = await storeWith('failed', { attempts: 1 });
    expect((await run(final)).queue.jobs).toHaveLength(0);
  });

  it("resumes an owed email whose sender is gone, a failed incident's too", async () => {
    const owed = await storeWith('pr_open', {
      pendingEmail: { key: 'k', recordedAt: 1, tries: 1 },
      prUrl: 'u',
      prNumber: 1,
    });
    expect((await run(owed)).results).toEqual([
      { incidentKey: INCIDENT_KEY, kind: 'resumed', from: 'email' },
    ]);
    // the email of a repair that failed for good, with no attempt left to resume
    const failed = await storeWith('failed', {
      attempts: 3,
      pendingEmail: { key: 'k', recordedAt: 1, tries: 1 },
    });
    expect((await run(failed, { maxAttempts: 3 })).results).toEqual([
      { incidentKey: INCIDENT_KEY, kind: 'resumed', from: 'email' },
    ]);
  });
});
