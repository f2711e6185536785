import type { Incident, IncidentStatus, RepairJob } from '../contracts.ts';
import { DEFAULT_REGRESSION_GRACE_MS } from '../incident/incident-rules.ts';
import type { IncidentStore } from '../ports/incident-store.ts';
import { renderBranchName } from '../repair/render-pull-request.ts';
import { inlineCode } from '../text/sanitize-markdown.ts';
import { commentOnce } from './comment-once.ts';
import type { FollowUpDeps } from './follow-up-deps.ts';
import { renderFollowUpEmail } from './render-follow-up-email.ts';

/** How long a merged fix is watched before its incident counts as resolved. */
export const DEFAULT_RESOLVE_WINDOW_MS = 24 * 60 * 60 * 1000;

export type RecordMergeOutcome =
  | {
      kind: 'ignored';
      reason: 'no_merge' | 'unknown_incident' | 'other_pull_request' | 'not_open' | 'already_done';
      status?: IncidentStatus;
    }
  | { kind: 'resolved_pending'; merge: NonNullable<Incident['merge']> };

/** A `merged` job: the fix PR was merged → `resolved_pending`, recording the merge for the post-merge check. */
export async function recordMerge(
  job: RepairJob,
  deps: Pick<FollowUpDeps, 'store'>,
): Promise<RecordMergeOutcome> {
  const merge = job.merge;
  if (job.kind !== 'merged' || !merge) return { kind: 'ignored', reason: 'no_merge' };
  const incident = await deps.store.get(job.incidentKey);
  if (!incident) return { kind: 'ignored', reason: 'unknown_incident' };
  if (incident.status === 'resolved_pending' && incident.merge?.sha === merge.sha)
    return { kind: 'ignored', reason: 'already_done', status: incident.status };
  // Only the PR this incident opened settles it; a merged PR from an earlier attempt does not.
  if (job.pr && incident.prNumber !== undefined && job.pr.number !== incident.prNumber)
    return { kind: 'ignored', reason: 'other_pull_request', status: incident.status };
  if (incident.status !== 'pr_open') return { kind: 'ignored', reason: 'not_open', status: incident.status };
  const moved = await deps.store.transition({
    incidentKey: incident.incidentKey,
    from: 'pr_open',
    to: 'resolved_pending',
    set: { merge: { sha: merge.sha, mergedAt: merge.mergedAt } },
  });
  if (!moved) return { kind: 'ignored', reason: 'not_open', status: incident.status };
  return { kind: 'resolved_pending', merge: { sha: merge.sha, mergedAt: merge.mergedAt } };
}

export type RecordDismissalOutcome =
  | {
      kind: 'ignored';
      reason: 'no_close' | 'unknown_incident' | 'other_pull_request' | 'not_open';
      status?: IncidentStatus;
    }
  | { kind: 'dismissed'; closedAt: number };

/**
 * A `dismissed` job: the fix PR was closed without merging → `dismissed`, keeping the closed PR
 * so a recurrence after the grace period starts a new attempt that links it.
 */
export async function recordDismissal(
  job: RepairJob,
  deps: Pick<FollowUpDeps, 'store'>,
): Promise<RecordDismissalOutcome> {
  if (job.kind !== 'dismissed' || job.closedAt === undefined) return { kind: 'ignored', reason: 'no_close' };
  const incident = await deps.store.get(job.incidentKey);
  if (!incident) return { kind: 'ignored', reason: 'unknown_incident' };
  if (job.pr && incident.prNumber !== undefined && job.pr.number !== incident.prNumber)
    return { kind: 'ignored', reason: 'other_pull_request', status: incident.status };
  if (incident.status !== 'pr_open') return { kind: 'ignored', reason: 'not_open', status: incident.status };
  const moved = await deps.store.transition({
    incidentKey: incident.incidentKey,
    from: 'pr_open',
    to: 'dismissed',
    set: {
      dismissedPr: {
        number: incident.prNumber ?? job.pr?.number ?? 0,
        url: incident.prUrl ?? job.pr?.url ?? '',
        closedAt: job.closedAt,
      },
      lease: undefined,
    },
  });
  if (!moved) return { kind: 'ignored', reason: 'not_open', status: incident.status };
  return { kind: 'dismissed', closedAt: job.closedAt };
}

export type SettleOutcome =
  | { kind: 'not_pending'; status: IncidentStatus }
  /** still inside the window: look again after `until` */
  | { kind: 'waiting'; until: number }
  | { kind: 'resolved' }
  /** seen after the grace period: reopened as `new` with `regression`; enqueue a repair job */
  | { kind: 'regression' }
  /** someone else moved it first */
  | { kind: 'raced' };

/**
 * The post-merge check for one `resolved_pending` incident, applied by a scheduled sweep:
 * quiet for `windowMs` after the merge → `resolved`. Seen again after the deploy grace period
 * (the detector normally reopens it at once; this catches an occurrence it only counted) →
 * reopened as a regression.
 */
export async function settleResolved({
  incident,
  now,
  windowMs = DEFAULT_RESOLVE_WINDOW_MS,
  graceMs = DEFAULT_REGRESSION_GRACE_MS,
  store,
}: {
  incident: Incident;
  now: number;
  windowMs?: number;
  graceMs?: number;
  store: IncidentStore;
}): Promise<SettleOutcome> {
  const { merge } = incident;
  if (incident.status !== 'resolved_pending' || !merge)
    return { kind: 'not_pending', status: incident.status };
  if (incident.lastSeen >= merge.mergedAt + graceMs) {
    const reopened = await store.transition({
      incidentKey: incident.incidentKey,
      from: 'resolved_pending',
      to: 'new',
      set: { regression: true },
    });
    return reopened ? { kind: 'regression' } : { kind: 'raced' };
  }
  const until = merge.mergedAt + windowMs;
  if (now < until) return { kind: 'waiting', until };
  const resolved = await store.transition({
    incidentKey: incident.incidentKey,
    from: 'resolved_pending',
    to: 'resolved',
  });
  return resolved ? { kind: 'resolved' } : { kind: 'raced' };
}

export type RegressionOutcome =
  /** not a reopened merged fix: run the first-fix use case as usual */
  | { kind: 'not_regression' }
  /** announced and reset for a new fix (status `analyzing`, claimed): now run `repairIncident` */
  | { kind: 'reopened'; branch: string; commented: boolean }
  | { kind: 'claimed_elsewhere' };

/**
 * Call for a `repair` job before `repairIncident`: when the incident is a merged fix whose error
 * came back (reopened by the detector or the sweep, `merge` still recorded), comment on the
 * merged PR, send the regression email, and clear the old fix's fields so the first-fix use
 * case starts over on a new branch (the merged one may still exist). Safe to redeliver: the
 * comment carries a marker, and once the fields are cleared this answers `not_regression`.
 */
export async function announceRegression(
  job: RepairJob,
  deps: Pick<FollowUpDeps, 'store' | 'pullRequests' | 'codeHost' | 'mailer' | 'settings'>,
): Promise<RegressionOutcome> {
  const { store, settings } = deps;
  const incident = await store.get(job.incidentKey);
  if (!incident?.merge || (incident.status !== 'new' && incident.status !== 'queued'))
    return { kind: 'not_regression' };
  const { merge } = incident;
  const repo = incident.repo;
  let commented = false;
  if (incident.prNumber !== undefined) {
    const posted = await commentOnce({
      deps,
      repo,
      number: incident.prNumber,
      key: `regression=${merge.sha}`,
      body: `This error came back after this fix was merged (${inlineCode(merge.sha.slice(0, 7))}) and given time to deploy, so the fix did not hold. ai-ops reopened the incident as a regression and will propose a new fix in another pull request.`,
    });
    commented = posted.posted;
  }
  if (settings.reviewers.length > 0) {
    const link = settings.incidentLink?.(incident.incidentKey);
    const email = renderFollowUpEmail({
      kind: 'regression',
      incident,
      ...(incident.prNumber !== undefined && incident.prUrl
        ? { pr: { number: incident.prNumber, url: incident.prUrl } }
        : {}),
      mergedAt: merge.mergedAt,
      seenAt: incident.lastSeen,
      ...(link ? { incidentUrl: link } : {}),
    });
    // Sent before the fields below are cleared: a crash in between mails twice (same idempotency
    // key), while the reverse order would lose the email for good.
    await deps.mailer.send({
      to: settings.reviewers,
      from: settings.sender,
      ...email,
      idempotencyKey: `${incident.incidentKey}#regression#${merge.sha}`,
    });
  }
  const branch = `${renderBranchName({ error: incident.sample, fingerprint: incident.fingerprint })}-after-${merge.sha.slice(0, 7)}`;
  const claimed = await store.transition({
    incidentKey: incident.incidentKey,
    from: incident.status,
    to: 'analyzing',
    expectAttempts: incident.attempts,
    set: {
      attempts: incident.attempts + 1,
      regression: true,
      branch,
      merge: undefined,
      prUrl: undefined,
      prNumber: undefined,
      analysis: undefined,
      emailedAt: undefined,
      ci: undefined,
      ciFailures: undefined,
      revisions: undefined,
      lastError: undefined,
    },
  });
  return claimed ? { kind: 'reopened', branch, commented } : { kind: 'claimed_elsewhere' };
}
