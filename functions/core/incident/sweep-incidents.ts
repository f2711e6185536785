import type { Incident, RepoRef } from '../contracts.ts';
import type { FollowUpDeps, NoCiPolicy } from '../follow-up/follow-up-deps.ts';
import { handleNoCi, type NoCiOutcome } from '../follow-up/handle-ci-verdict.ts';
import { settleResolved } from '../follow-up/record-merge.ts';
import type { ListableIncidentStore } from '../ports/incident-store.ts';
import type { JobQueue } from '../ports/job-queue.ts';
import { DEFAULT_MAX_ATTEMPTS, isLeaseExpired, type Lease } from '../repair/repair-incident.ts';
import { DEFAULT_QUEUE_LEASE_MS, enqueueRepair, releaseQueueLease } from './queue-lease.ts';

/** How long after its PR opened a draft without any CI check counts as a repository without CI. */
export const DEFAULT_NO_CI_AFTER_MS = 30 * 60 * 1000;
/** Incidents looked at per status and run: a backlog drains over several runs, none runs long. */
export const DEFAULT_SWEEP_LIMIT = 50;

export interface SweepDeps {
  store: ListableIncidentStore;
  /** where a regression's repair job goes (the analyzer announces it, then repairs it again) */
  queue: JobQueue;
  /** the follow-up ports for one repository; only asked for when a draft is due a no-CI check */
  followUpDeps: (repo: RepoRef) => Promise<FollowUpDeps>;
  now?: () => number;
  /** a lease whose owner is known to be gone (a dead local process) counts as run out */
  isLeaseAbandoned?: (lease: Lease) => boolean;
}

export interface SweepOptions {
  /** incidents per status and run (default 50) */
  limit?: number;
  /** age of a draft PR before a missing CI check is acted on (default 30 minutes) */
  noCiAfterMs?: number;
  /** settleResolved's quiet window and regression grace period */
  windowMs?: number;
  graceMs?: number;
  /** overrides the follow-up settings' `noCiPolicy` */
  noCiPolicy?: NoCiPolicy;
  /** attempts after which a failed incident is no longer resumed (default 3) */
  maxAttempts?: number;
  /** the queue lease written when a lost job is sent again */
  queueOwner?: string;
  queueLeaseMs?: number;
}

export type SweepResult = { incidentKey: string } & (
  | { kind: 'resolved' }
  | { kind: 'waiting'; until: number }
  /** reopened as `new`; `enqueued` false leaves it `new`, and its next occurrence queues it */
  | { kind: 'regression'; enqueued: boolean }
  | { kind: 'raced' }
  /** a draft younger than `noCiAfterMs`, or one whose opening time is unknown */
  | { kind: 'not_due' }
  | { kind: 'no_ci'; outcome: NoCiOutcome }
  | { kind: 'failed'; message: string }
  /** work that was interrupted or lost, handed to the queue again */
  | { kind: 'resumed'; from: ResumeReason }
);

/** Why the sweep resumed an incident. */
export type ResumeReason =
  /** it is `new` with no job sent (the queue refused it, or a person asked to retry it) */
  | 'new'
  /** its job was queued but never claimed before the queue lease ran out (a lost message) */
  | 'queued'
  /** its worker's lease ran out (a crash, a kill, a timeout) */
  | 'analyzing'
  /** it failed in a way worth retrying, has attempts left, and its backoff passed */
  | 'failed'
  /** its outcome email is recorded as owed */
  | 'email';

export interface SweepSummary {
  results: SweepResult[];
  counts: Partial<Record<SweepResult['kind'], number>>;
}

/**
 * The scheduled sweep: settles `resolved_pending` incidents whose quiet window passed (or that
 * came back: a `repair` job is enqueued), and gives drafts that no CI reported on after
 * `noCiAfterMs` the no-CI treatment. Bounded by `limit` per status; one incident's failure is
 * reported and the sweep goes on. Safe to run again at any time: every step is conditional.
 */
export async function sweepIncidents(deps: SweepDeps, options: SweepOptions = {}): Promise<SweepSummary> {
  const {
    limit = DEFAULT_SWEEP_LIMIT,
    noCiAfterMs = DEFAULT_NO_CI_AFTER_MS,
    windowMs,
    graceMs,
    noCiPolicy,
  } = options;
  const now = deps.now ?? Date.now;
  const results: SweepResult[] = [];
  const attempt = async (incident: Incident, run: () => Promise<SweepResult>) => {
    try {
      results.push(await run());
    } catch (error: unknown) {
      const message = error instanceof Error ? error.message : String(error);
      results.push({ incidentKey: incident.incidentKey, kind: 'failed', message });
    }
  };

  results.push(...(await resumeIncidents(deps, options)));

  for (const incident of await deps.store.listByStatus('resolved_pending', { limit })) {
    await attempt(incident, () => settle({ incident, deps, at: now(), windowMs, graceMs }));
  }

  const followUps = memoizeByRepo(deps.followUpDeps);
  for (const incident of await deps.store.listByStatus('pr_open', { limit })) {
    // A recorded verdict (green, red or no_ci) means CI, or the no-CI check, already spoke.
    if (incident.ci) continue;
    const openedAt = pullRequestOpenedAt(incident);
    if (openedAt === undefined || now() - openedAt < noCiAfterMs) {
      results.push({ incidentKey: incident.incidentKey, kind: 'not_due' });
      continue;
    }
    await attempt(incident, async () => ({
      incidentKey: incident.incidentKey,
      kind: 'no_ci',
      outcome: await handleNoCi(
        { incidentKey: incident.incidentKey, ...(noCiPolicy ? { policy: noCiPolicy } : {}) },
        await followUps(incident.repo),
      ),
    }));
  }

  const counts: SweepSummary['counts'] = {};
  for (const result of results) counts[result.kind] = (counts[result.kind] ?? 0) + 1;
  return { results, counts };
}

/**
 * Resume: hands the queue a job for every incident whose work was lost — `queued` past its
 * queue lease, `analyzing` past its worker's lease, `failed` with attempts left once its backoff
 * passed, and outcome emails recorded as owed whose lease ran out. The job's claim is fenced on
 * the lease, so a resume that races a slow but live worker costs nothing but a refused write.
 */
export async function resumeIncidents(deps: SweepDeps, options: SweepOptions = {}): Promise<SweepResult[]> {
  const {
    limit = DEFAULT_SWEEP_LIMIT,
    maxAttempts = DEFAULT_MAX_ATTEMPTS,
    queueOwner = 'sqs',
    queueLeaseMs = DEFAULT_QUEUE_LEASE_MS,
  } = options;
  const now = deps.now ?? Date.now;
  const expired = (incident: Incident) =>
    isLeaseExpired(incident.lease, { now: now(), isAbandoned: deps.isLeaseAbandoned });
  const due: { incident: Incident; from: ResumeReason }[] = [];

  // `new` with no job: the detector's enqueue was refused, or `ai-ops retry` sent it back.
  for (const incident of await deps.store.listByStatus('new', { limit })) {
    if (incident.ignored === true || (incident.snoozedUntil !== undefined && now() < incident.snoozedUntil))
      continue;
    const lease = { owner: queueOwner, until: now() + queueLeaseMs };
    const taken = await deps.store.transition({
      incidentKey: incident.incidentKey,
      from: 'new',
      to: 'queued',
      set: { lease },
    });
    if (taken) due.push({ incident: { ...incident, status: 'queued', lease }, from: 'new' });
  }
  for (const incident of await deps.store.listByStatus('queued', { limit })) {
    if (!expired(incident)) continue;
    // Taken over with a fresh queue lease first, so two sweeps cannot both send it.
    const lease = { owner: queueOwner, until: now() + queueLeaseMs };
    const taken = await deps.store.transition({
      incidentKey: incident.incidentKey,
      from: 'queued',
      to: 'queued',
      expectLease: incident.lease ?? null,
      set: { lease },
    });
    if (taken) due.push({ incident: { ...incident, lease }, from: 'queued' });
  }
  for (const incident of await deps.store.listByStatus('analyzing', { limit }))
    if (expired(incident)) due.push({ incident, from: 'analyzing' });
  // One read of `failed`: a repair that failed for good may owe its email; another may be retried.
  for (const incident of await deps.store.listByStatus('failed', { limit })) {
    if (incident.pendingEmail) {
      if (expired(incident)) due.push({ incident, from: 'email' });
    } else if (
      incident.attempts < maxAttempts &&
      incident.retryAfter !== undefined &&
      incident.retryAfter <= now()
    )
      due.push({ incident, from: 'failed' });
  }
  for (const status of ['pr_open', 'no_fix'] as const)
    for (const incident of await deps.store.listByStatus(status, { limit }))
      if (incident.pendingEmail && expired(incident)) due.push({ incident, from: 'email' });

  if (due.length === 0) return [];
  const { sent, failed } = await deps.queue.enqueue(
    due.map(({ incident }) => ({
      v: 1,
      kind: 'repair',
      incidentKey: incident.incidentKey,
      error: incident.sample,
      repo: incident.repo,
      attempt: incident.attempts,
    })),
  );
  for (const { incidentKey } of failed) {
    const entry = due.find((d) => d.incident.incidentKey === incidentKey);
    if ((entry?.from === 'queued' || entry?.from === 'new') && entry.incident.lease)
      await releaseQueueLease({ store: deps.store, incidentKey, lease: entry.incident.lease });
  }
  const sentKeys = new Set(sent);
  return due.flatMap(({ incident, from }): SweepResult[] =>
    sentKeys.has(incident.incidentKey)
      ? [{ incidentKey: incident.incidentKey, kind: 'resumed', from }]
      : [{ incidentKey: incident.incidentKey, kind: 'failed', message: 'the queue refused the resumed job' }],
  );
}

async function settle({
  incident,
  deps,
  at,
  windowMs,
  graceMs,
}: {
  incident: Incident;
  deps: SweepDeps;
  at: number;
  windowMs: number | undefined;
  graceMs: number | undefined;
}): Promise<SweepResult> {
  const incidentKey = incident.incidentKey;
  // A person ignored or snoozed it on the incident page: never reopen it from here (the detector
  // does not either); once quiet for the window it is resolved, and comes back like any other.
  const muted =
    incident.ignored === true || (incident.snoozedUntil !== undefined && at < incident.snoozedUntil);
  const outcome = await settleResolved({
    incident,
    now: at,
    store: deps.store,
    ...(windowMs !== undefined ? { windowMs } : {}),
    ...(muted ? { graceMs: Number.POSITIVE_INFINITY } : graceMs !== undefined ? { graceMs } : {}),
  });
  switch (outcome.kind) {
    case 'regression':
      return { incidentKey, kind: 'regression', enqueued: await enqueueRepair(incident, deps) };
    case 'waiting':
      return { incidentKey, kind: 'waiting', until: outcome.until };
    case 'resolved':
      return { incidentKey, kind: 'resolved' };
    case 'raced':
    case 'not_pending':
      return { incidentKey, kind: 'raced' };
  }
}

/**
 * When the draft PR opened. Incidents recorded before `prOpenedAt` existed fall back to the fix
 * email's time: it is marked sent right after the PR opens (the analyzer always has reviewers).
 */
function pullRequestOpenedAt(incident: Incident): number | undefined {
  return incident.prOpenedAt ?? incident.emailedAt;
}

function memoizeByRepo(
  build: (repo: RepoRef) => Promise<FollowUpDeps>,
): (repo: RepoRef) => Promise<FollowUpDeps> {
  const built = new Map<string, Promise<FollowUpDeps>>();
  return (repo) => {
    const key = `${repo.owner}/${repo.name}`.toLowerCase();
    let deps = built.get(key);
    if (!deps) {
      deps = build(repo);
      built.set(key, deps);
    }
    return deps;
  };
}
