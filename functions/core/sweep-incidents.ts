import type { Incident, RepairJob, RepoRef } from './contracts.ts';
import type { FollowUpDeps, NoCiPolicy } from './follow-up-deps.ts';
import { handleNoCi, type NoCiOutcome } from './handle-ci-verdict.ts';
import type { ListableIncidentStore } from './incident-store.ts';
import type { JobQueue } from './job-queue.ts';
import { settleResolved } from './record-merge.ts';

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
);

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

/** Like the detector: one `repair` job, then `new → queued` (false when the analyzer claimed it first). */
async function enqueueRepair(incident: Incident, deps: SweepDeps): Promise<boolean> {
  const job: RepairJob = {
    v: 1,
    kind: 'repair',
    incidentKey: incident.incidentKey,
    error: incident.sample,
    repo: incident.repo,
    attempt: 0,
  };
  const { sent } = await deps.queue.enqueue([job]);
  if (!sent.includes(incident.incidentKey)) return false;
  await deps.store.transition({ incidentKey: incident.incidentKey, from: 'new', to: 'queued' });
  return true;
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
