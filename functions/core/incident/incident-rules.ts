import type { IncidentStatus, RepoRef } from '../contracts.ts';

/**
 * The incident lifecycle (DESIGN.md): `new → queued → analyzing → pr_open | no_fix | failed |
 * skipped`, `pr_open → resolved_pending → resolved`. Beyond the card:
 * - `new → analyzing`: the analyzer may receive a job before the detector has marked its
 *   incident `queued` (the detector marks it only once the queue accepted the job).
 * - `pr_open ⇄ analyzing`: a `revise` or `ci_failed` job works on the open pull request.
 * - `resolved_pending → pr_open`: the merge was reverted or the PR reopened.
 * - `resolved_pending → new`: the error came back after the merge's grace period (a regression).
 * - `resolved → new`: the error came back after its fix shipped, so it is worked on again.
 * - `queued → queued`: the sweep re-sends a job the queue lost (its queue lease ran out);
 *   `queued → new`: the queue refused the job, so the next delivery or the sweep sends it again.
 * - `pr_open → dismissed`: the PR was closed without merging; `dismissed → new`: the error came
 *   back after a grace period, a new attempt starts (linking the closed PR).
 * - `no_fix | failed | skipped | dismissed → new`: a person asked to try again (`ai-ops retry`,
 *   the incident page's "Try again").
 */
export const INCIDENT_TRANSITIONS: Readonly<Record<IncidentStatus, readonly IncidentStatus[]>> = {
  new: ['queued', 'analyzing'],
  queued: ['analyzing', 'queued', 'new'],
  // analyzing → analyzing: a redelivered job resumes (claimed by attempt count), and the
  // analyzer records progress (the analysis, the branch) while it works.
  analyzing: ['analyzing', 'pr_open', 'no_fix', 'failed', 'skipped'],
  // pr_open → pr_open and no_fix → no_fix record the outcome email without changing the status.
  pr_open: ['pr_open', 'resolved_pending', 'analyzing', 'dismissed'],
  no_fix: ['no_fix', 'new'],
  // failed → analyzing: SQS redelivers a job that failed in a retryable way, or the sweep resumes it.
  // failed → failed records the email of a repair that failed for good.
  failed: ['failed', 'analyzing', 'new'],
  // skipped → new: the spend cap that stopped it has reset and the error is still happening.
  skipped: ['new'],
  dismissed: ['new'],
  resolved_pending: ['resolved', 'pr_open', 'new'],
  resolved: ['new'],
};

export type IncidentTransitionErrorCode = 'invalid_transition';

/** A status change the lifecycle does not allow: a bug in the caller, not a race. */
export class IncidentTransitionError extends Error {
  override readonly name = 'IncidentTransitionError';
  readonly code: IncidentTransitionErrorCode = 'invalid_transition';
  readonly from: IncidentStatus;
  readonly to: IncidentStatus;
  constructor({ from, to }: { from: IncidentStatus; to: IncidentStatus }) {
    super(
      `an incident cannot go from '${from}' to '${to}' (allowed: ${INCIDENT_TRANSITIONS[from].join(', ') || 'none'})`,
    );
    this.from = from;
    this.to = to;
  }
}

/** True when the lifecycle allows `from → to`. */
export function canTransition(from: IncidentStatus, to: IncidentStatus): boolean {
  return INCIDENT_TRANSITIONS[from].includes(to);
}

/** Throws IncidentTransitionError unless the lifecycle allows `from → to`. */
export function assertTransition(from: IncidentStatus, to: IncidentStatus): void {
  if (!canTransition(from, to)) throw new IncidentTransitionError({ from, to });
}

/** How long after a merge the fix is assumed deployed; the error seen later is a regression. */
export const DEFAULT_REGRESSION_GRACE_MS = 30 * 60 * 1000;

/** What the detector does when an error occurs again for an incident in `status`. */
export type RecurrenceAction =
  /** the incident has no job in flight: enqueue one (after reopening when `reopenFrom` is set) */
  | { kind: 'enqueue'; reopenFrom?: IncidentStatus }
  /** a job is in flight, a PR is open, or a person has to act: count it, nothing more */
  | { kind: 'count_only' };

/**
 * The detector's rule for a recurrence. `new` means an earlier delivery created the incident
 * but never handed its job to the queue, so the job is sent again (the analyzer claims an
 * incident with a conditional update, so a duplicate job is harmless). `resolved` means the fix
 * shipped and the error is back: reopen. `no_fix`, `failed` and `skipped` stay put so a storm
 * of recurrences cannot buy a storm of model calls; a person re-queues them. `skipped` reopens
 * once its `retryAfter` has passed (the daily cap reset, the kill switch was checked again).
 * An ignored incident, or one snoozed until after `now`, is only counted, whatever its status.
 */
export function decideRecurrence(
  status: IncidentStatus,
  {
    retryAfter,
    mergedAt,
    dismissedAt,
    regressionGraceMs = DEFAULT_REGRESSION_GRACE_MS,
    snoozedUntil,
    ignored = false,
    now = Date.now(),
  }: {
    retryAfter?: number;
    /** `incident.merge.mergedAt` of a `resolved_pending` incident */
    mergedAt?: number;
    /** `incident.dismissedPr.closedAt` of a `dismissed` incident */
    dismissedAt?: number;
    regressionGraceMs?: number;
    /** set from the incident page: snoozed until (epoch ms), or ignored for good */
    snoozedUntil?: number;
    ignored?: boolean;
    now?: number;
  } = {},
): RecurrenceAction {
  // A person chose on the incident page not to have this error worked on (for a while).
  if (ignored || (snoozedUntil !== undefined && now < snoozedUntil)) return { kind: 'count_only' };
  switch (status) {
    case 'new':
      return { kind: 'enqueue' };
    case 'resolved':
      return { kind: 'enqueue', reopenFrom: 'resolved' };
    case 'resolved_pending':
      // Occurrences before the merged fix is deployed are expected; after the grace period the
      // error is back despite the fix: a regression, worked on again.
      return mergedAt !== undefined && now >= mergedAt + regressionGraceMs
        ? { kind: 'enqueue', reopenFrom: 'resolved_pending' }
        : { kind: 'count_only' };
    case 'queued':
    case 'analyzing':
    case 'pr_open':
      return { kind: 'count_only' };
    case 'skipped':
      // Skipped by a spend cap or the kill switch: once that resets, a new occurrence starts a job.
      return retryAfter !== undefined && now >= retryAfter
        ? { kind: 'enqueue', reopenFrom: 'skipped' }
        : { kind: 'count_only' };
    case 'dismissed':
      // A person closed the PR: occurrences until the grace period ends are the ones they saw.
      return dismissedAt !== undefined && now >= dismissedAt + regressionGraceMs
        ? { kind: 'enqueue', reopenFrom: 'dismissed' }
        : { kind: 'count_only' };
    case 'no_fix':
    case 'failed':
      return { kind: 'count_only' };
  }
}

/** `<owner>/<name>#<fingerprint>`: one incident per repository and fingerprint. */
export function buildIncidentKey({
  repo,
  fingerprint,
}: {
  repo: Pick<RepoRef, 'owner' | 'name'>;
  fingerprint: string;
}): string {
  return `${repo.owner}/${repo.name}#${fingerprint}`;
}

/** Splits an incident key back into its parts; undefined when it is not one. */
export function parseIncidentKey(
  key: string,
): { owner: string; name: string; fingerprint: string } | undefined {
  const match = /^([^/#]+)\/([^/#]+)#(.+)$/.exec(key);
  if (!match) return undefined;
  const [, owner = '', name = '', fingerprint = ''] = match;
  return { owner, name, fingerprint };
}

const SECONDS_PER_DAY = 86_400;

/** DynamoDB TTL (epoch seconds) `ttlDays` after `nowMs`: an incident expires that long after it was last seen. */
export function computeTtl({ nowMs, ttlDays }: { nowMs: number; ttlDays: number }): number {
  return Math.floor(nowMs / 1000) + Math.round(ttlDays * SECONDS_PER_DAY);
}
