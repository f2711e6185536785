import type { Incident, IncidentStatus, RepairJob } from '../contracts.ts';
import type { PullRequest } from '../ports/pull-requests.ts';
import { renderFixEmail } from '../repair/render-email.ts';
import { inlineCode } from '../text/sanitize-markdown.ts';
import { commentOnce } from './comment-once.ts';
import { FOLLOW_UP_DEFAULTS, type FollowUpDeps, type NoCiPolicy } from './follow-up-deps.ts';
import { renderFollowUpEmail } from './render-follow-up-email.ts';
import { hasPullRequest, type IncidentWithPr, pushRevision, REVISABLE } from './revise-incident.ts';

/** Conclusions that pass (GitHub's check suite / workflow run `conclusion`). */
const GREEN = new Set(['success', 'neutral']);
/** Conclusions that mean the fix broke something; cancelled, skipped, stale… decide nothing. */
const RED = new Set(['failure', 'timed_out', 'startup_failure']);

export type CiVerdictOutcome =
  | {
      kind: 'ignored';
      reason:
        | 'no_verdict'
        | 'unknown_incident'
        | 'no_pull_request'
        | 'not_open'
        | 'pr_closed'
        | 'inconclusive'
        /** the verdict is about a commit that is no longer the PR's head */
        | 'stale'
        | 'already_done'
        /** another check run on the head (another workflow, say) has not completed yet */
        | 'checks_pending'
        /** another check run on the head failed: its own `ci_failed` job revises */
        | 'checks_failed'
        | 'branch_gone'
        | 'claimed_elsewhere';
      status?: IncidentStatus;
    }
  | { kind: 'ready'; pr: { number: number; url: string }; headSha: string }
  | { kind: 'revised'; commit: string; resumed: boolean }
  | { kind: 'needs_human'; reason: string }
  | { kind: 'failed'; reason: string };

/**
 * A `ci_passed` / `ci_failed` job. Green on the PR's current head → mark the draft ready, one
 * comment, one email. Red on the current head → a revision commit from the failing jobs' logs,
 * until `maxCiAttempts` commits have failed; then the `needs-human` label, a comment and an
 * email. A verdict about any other commit is stale and ignored, and a green one waits until
 * every check run on the head (all workflows) passed: a fix never becomes ready without a
 * green CI on its latest commit.
 */
export async function handleCiVerdict(job: RepairJob, deps: FollowUpDeps): Promise<CiVerdictOutcome> {
  const verdict = job.ci;
  if (!verdict || (job.kind !== 'ci_passed' && job.kind !== 'ci_failed'))
    return { kind: 'ignored', reason: 'no_verdict' };
  const incident = await deps.store.get(job.incidentKey);
  if (!incident) return { kind: 'ignored', reason: 'unknown_incident' };
  if (!hasPullRequest(incident))
    return { kind: 'ignored', reason: 'no_pull_request', status: incident.status };
  if (!REVISABLE.has(incident.status))
    return { kind: 'ignored', reason: 'not_open', status: incident.status };
  const conclusion = verdict.conclusion.toLowerCase();

  // The job kind comes from the webhook; the conclusion decides, so a mislabelled job cannot mark a red run ready.
  if (job.kind === 'ci_passed' && GREEN.has(conclusion)) {
    const pr = await deps.pullRequests.get({ repo: incident.repo, number: incident.prNumber });
    if (pr?.state !== 'open') return { kind: 'ignored', reason: 'pr_closed', status: incident.status };
    if (pr.headSha !== verdict.headSha) return { kind: 'ignored', reason: 'stale', status: incident.status };
    if (incident.ci?.headSha === verdict.headSha && GREEN.has(incident.ci.conclusion))
      return { kind: 'ignored', reason: 'already_done', status: incident.status };
    // One suite's verdict speaks for one workflow only. Nothing is recorded when we wait or defer:
    // the last suite to complete sends its own verdict, which must find the incident unchanged.
    // `none` (no check run listed, e.g. the API lags the webhook) leaves the verdict to decide alone.
    const combined = await deps.codeHost.combinedChecks({ repo: incident.repo, sha: verdict.headSha });
    if (combined === 'pending') return { kind: 'ignored', reason: 'checks_pending', status: incident.status };
    if (combined === 'failure') return { kind: 'ignored', reason: 'checks_failed', status: incident.status };
    const link = verdict.url ? ` ([run](${safeLink(verdict.url)}))` : '';
    return markReadyAndAnnounce({
      incident,
      pr,
      deps,
      record: { headSha: verdict.headSha, conclusion },
      comment: `CI passed on ${inlineCode(verdict.headSha.slice(0, 7))}${link}: this fix is ready for review. Nothing is merged automatically.`,
    });
  }
  if (job.kind === 'ci_failed' && RED.has(conclusion)) return reviseAfterFailure({ incident, job, deps });
  return { kind: 'ignored', reason: 'inconclusive', status: incident.status };
}

async function reviseAfterFailure({
  incident,
  job,
  deps,
}: {
  incident: IncidentWithPr;
  job: RepairJob;
  deps: FollowUpDeps;
}): Promise<CiVerdictOutcome> {
  const verdict = job.ci as NonNullable<RepairJob['ci']>;
  const { settings, codeHost } = deps;
  const now = deps.now ?? Date.now;
  const maxCiAttempts = settings.maxCiAttempts ?? FOLLOW_UP_DEFAULTS.maxCiAttempts;
  const maxRevisions = settings.maxRevisions ?? FOLLOW_UP_DEFAULTS.maxRevisions;
  // Counts the failed commits of this fix, the first fix included: the default 2 is the fix plus one revision.
  const failures = (incident.ciFailures ?? 0) + 1;
  const record = { headSha: verdict.headSha, conclusion: verdict.conclusion.toLowerCase(), at: now() };
  const refusal =
    failures >= maxCiAttempts
      ? `CI failed on ${failures} commits of this fix (the limit is ${maxCiAttempts})`
      : (incident.revisions ?? 0) >= maxRevisions
        ? `this pull request already has ${incident.revisions ?? 0} revisions (the limit is ${maxRevisions})`
        : undefined;
  const sha = inlineCode(verdict.headSha.slice(0, 7));
  const run = verdict.url ? ` ([run](${safeLink(verdict.url)}))` : '';

  const result = await pushRevision({
    incident,
    token: `ci-${verdict.headSha}`,
    deps,
    expectHead: verdict.headSha,
    alreadyDone: incident.ci?.headSha === verdict.headSha && RED.has(incident.ci.conclusion),
    ...(refusal ? { refusal } : {}),
    record: { ciFailures: failures, ci: record },
    describe: `Revision after CI failed on ${verdict.headSha.slice(0, 12)}.`,
    request: async () => ({
      kind: 'ci_failure',
      headSha: verdict.headSha,
      logs: await codeHost.failingJobLogs({
        repo: incident.repo,
        headSha: verdict.headSha,
        maxChars: settings.maxCiLogChars ?? FOLLOW_UP_DEFAULTS.maxCiLogChars,
        ...(verdict.runId !== undefined ? { runId: verdict.runId } : {}),
        ...(verdict.checkSuiteId !== undefined ? { checkSuiteId: verdict.checkSuiteId } : {}),
      }),
    }),
  });
  switch (result.kind) {
    case 'pushed':
      await commentOnce({
        deps,
        repo: incident.repo,
        number: incident.prNumber,
        key: `ci-red=${verdict.headSha}`,
        body: [
          `CI failed on ${sha}${run}. I pushed ${inlineCode(result.commit.slice(0, 7))}: **${result.title || 'revision'}** (attempt ${failures + 1} of ${maxCiAttempts}).`,
          '',
          result.summary,
        ].join('\n'),
      });
      return { kind: 'revised', commit: result.commit, resumed: result.resumed };
    case 'refused':
    case 'no_revision':
      return askForHuman({ incident, deps, reason: result.reason, record, failures, sha, run });
    case 'ignored':
      return { kind: 'ignored', reason: result.reason, status: incident.status };
    case 'failed':
      return result;
  }
}

/** Label, comment and email once, recording the verdict so a redelivered job stops early. */
async function askForHuman({
  incident,
  deps,
  reason,
  record,
  failures,
  sha,
  run,
}: {
  incident: IncidentWithPr;
  deps: FollowUpDeps;
  reason: string;
  record: NonNullable<Incident['ci']>;
  failures: number;
  sha: string;
  run: string;
}): Promise<CiVerdictOutcome> {
  const { settings, store, pullRequests } = deps;
  const label = settings.needsHumanLabel ?? FOLLOW_UP_DEFAULTS.needsHumanLabel;
  const repo = incident.repo;
  await pullRequests.addLabels({ repo, number: incident.prNumber, labels: [label] });
  await commentOnce({
    deps,
    repo,
    number: incident.prNumber,
    key: `needs-human=${record.headSha}`,
    body: `CI failed on ${sha}${run}. I stopped revising this fix: ${reason}. I labelled it ${inlineCode(label)} for a person to take over; it stays a draft.`,
  });
  // A no_revision attempt released the claim since we read the incident: write from where it is now.
  const current = (await store.get(incident.incidentKey)) ?? incident;
  const marked =
    REVISABLE.has(current.status) &&
    (await store.transition({
      incidentKey: incident.incidentKey,
      from: current.status,
      to: current.status,
      set: { ci: record, ciFailures: failures },
    }));
  if (marked && settings.reviewers.length > 0) {
    const link = settings.incidentLink?.(incident.incidentKey);
    const email = renderFollowUpEmail({
      kind: 'needs_human',
      incident,
      pr: { number: incident.prNumber, url: incident.prUrl ?? '' },
      reason,
      ...(link ? { incidentUrl: link } : {}),
    });
    await sendOrUndo({
      deps,
      incident: current,
      email,
      idempotencyKey: `${incident.incidentKey}#needs-human#${record.headSha}`,
      undo: { ci: current.ci, ciFailures: current.ciFailures },
    });
  }
  return { kind: 'needs_human', reason };
}

export type NoCiOutcome =
  | {
      kind: 'ignored';
      reason: 'unknown_incident' | 'no_pull_request' | 'not_open' | 'pr_closed' | 'not_draft';
    }
  /** checks or statuses exist on the head: wait for the CI verdict */
  | { kind: 'has_ci' }
  | { kind: 'left_draft'; comment: { id: number; url: string } }
  | Extract<CiVerdictOutcome, { kind: 'ready' | 'ignored' }>;

/**
 * For a repository with no CI: once nothing has reported a check on the draft's head (call it
 * some minutes after the PR opened, from the sweep, since checks register asynchronously),
 * either leave the draft with an explanation or mark it ready, as `noCiPolicy` says.
 */
export async function handleNoCi(
  { incidentKey, policy }: { incidentKey: string; policy?: NoCiPolicy },
  deps: FollowUpDeps,
): Promise<NoCiOutcome> {
  const incident = await deps.store.get(incidentKey);
  if (!incident) return { kind: 'ignored', reason: 'unknown_incident' };
  if (!hasPullRequest(incident)) return { kind: 'ignored', reason: 'no_pull_request' };
  if (incident.status !== 'pr_open') return { kind: 'ignored', reason: 'not_open' };
  const pr = await deps.pullRequests.get({ repo: incident.repo, number: incident.prNumber });
  if (pr?.state !== 'open') return { kind: 'ignored', reason: 'pr_closed' };
  if (!pr.draft) return { kind: 'ignored', reason: 'not_draft' };
  if (await deps.codeHost.hasChecks({ repo: incident.repo, sha: pr.headSha })) return { kind: 'has_ci' };
  const sha = inlineCode(pr.headSha.slice(0, 7));
  if ((policy ?? deps.settings.noCiPolicy ?? FOLLOW_UP_DEFAULTS.noCiPolicy) === 'leave_draft') {
    const comment = await commentOnce({
      deps,
      repo: incident.repo,
      number: pr.number,
      key: `no-ci=${pr.headSha}`,
      body: `No CI check ran on ${sha}, so nothing has verified this fix. It stays a draft: please build and test it before marking it ready for review.`,
    });
    // Recorded like a verdict (as `mark_ready` does), so the sweep does not come back to this head;
    // a CI run that reports later is still handled, since `no_ci` is neither green nor red.
    const now = deps.now ?? Date.now;
    await deps.store.transition({
      incidentKey,
      from: 'pr_open',
      to: 'pr_open',
      set: { ci: { headSha: pr.headSha, conclusion: 'no_ci', at: now() } },
    });
    return { kind: 'left_draft', comment: { id: comment.id, url: comment.url } };
  }
  return markReadyAndAnnounce({
    incident,
    pr,
    deps,
    record: { headSha: pr.headSha, conclusion: 'no_ci' },
    comment: `No CI check ran on ${sha}. This repository is configured to mark such fixes ready for review anyway: nothing has verified it, so please build and test it before merging.`,
  });
}

async function markReadyAndAnnounce({
  incident,
  pr,
  deps,
  record,
  comment,
}: {
  incident: IncidentWithPr;
  pr: PullRequest;
  deps: FollowUpDeps;
  record: { headSha: string; conclusion: string };
  comment: string;
}): Promise<Extract<CiVerdictOutcome, { kind: 'ready' | 'ignored' }>> {
  const { codeHost, store, settings } = deps;
  const now = deps.now ?? Date.now;
  if (pr.draft)
    await codeHost.markReadyForReview({ repo: incident.repo, number: pr.number, nodeId: pr.nodeId });
  await commentOnce({
    deps,
    repo: incident.repo,
    number: pr.number,
    key: `ready=${record.headSha}`,
    body: comment,
  });
  // Recording the verdict claims the email: a redelivered job finds it and stops before mailing.
  const marked = await store.transition({
    incidentKey: incident.incidentKey,
    from: incident.status,
    to: incident.status,
    set: { ci: { ...record, at: now() } },
  });
  if (!marked) return { kind: 'ignored', reason: 'claimed_elsewhere', status: incident.status };
  if (settings.reviewers.length > 0) {
    const link = settings.incidentLink?.(incident.incidentKey);
    const email = renderFixEmail({
      incident,
      pr: { number: pr.number, url: pr.url, draft: false },
      ...(link ? { incidentUrl: link } : {}),
    });
    await sendOrUndo({
      deps,
      incident,
      email,
      idempotencyKey: `${incident.incidentKey}#ready#${record.headSha}`,
      undo: { ci: incident.ci },
    });
  }
  return { kind: 'ready', pr: { number: pr.number, url: pr.url }, headSha: record.headSha };
}

/** Mail; when the mailer fails, put the recorded fields back so the retried job mails again. */
async function sendOrUndo({
  deps,
  incident,
  email,
  idempotencyKey,
  undo,
}: {
  deps: FollowUpDeps;
  incident: Incident;
  email: { subject: string; html: string; text: string };
  idempotencyKey: string;
  undo: { ci?: Incident['ci']; ciFailures?: Incident['ciFailures'] };
}): Promise<void> {
  const { settings } = deps;
  try {
    await deps.mailer.send({ to: settings.reviewers, from: settings.sender, ...email, idempotencyKey });
  } catch (error: unknown) {
    const status = (await deps.store.get(incident.incidentKey))?.status ?? incident.status;
    if (REVISABLE.has(status))
      await deps.store.transition({ incidentKey: incident.incidentKey, from: status, to: status, set: undo });
    throw error;
  }
}

function safeLink(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:'
      ? parsed.toString().replace(/[()\s]/g, encodeURIComponent)
      : '#';
  } catch {
    return '#';
  }
}
