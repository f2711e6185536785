import type { Incident, IncidentStatus, RepairJob } from '../contracts.ts';
import { isProposal } from '../ports/fix-advisor.ts';
import type { TransitionInput } from '../ports/incident-store.ts';
import { DEFAULT_EDIT_POLICY, describeRejections } from '../repair/edit-policy.ts';
import { renderTitle } from '../repair/render-pull-request.ts';
import { isRetryableRepairError } from '../repair/repair-incident.ts';
import { inlineCode, sanitizeMarkdown } from '../text/sanitize-markdown.ts';
import { repositoryLinkScope, scrubProse } from '../text/scrub-prose.ts';
import { buildRevisionPrompt, type RevisionRequest } from './build-revision-prompt.ts';
import { commentOnce, replyMarker } from './comment-once.ts';
import { FOLLOW_UP_DEFAULTS, type FollowUpDeps } from './follow-up-deps.ts';
import { proposeRevision } from './propose-revision.ts';

/** An incident whose fix PR is known: what every follow-up job works on. */
export type IncidentWithPr = Incident & { prNumber: number; branch: string };

/** True when the incident records an open fix PR and its branch. */
export function hasPullRequest(incident: Incident): incident is IncidentWithPr {
  return incident.prNumber !== undefined && incident.branch !== undefined;
}

/** The statuses a follow-up job may work from: the PR is open, or a crashed job left it claimed. */
export const REVISABLE = new Set<IncidentStatus>(['pr_open', 'analyzing']);

export type PushRevisionResult =
  | { kind: 'pushed'; commit: string; title: string; summary: string; resumed: boolean; costUsd: number }
  | { kind: 'no_revision'; reason: string }
  | { kind: 'refused'; reason: string }
  | { kind: 'ignored'; reason: 'already_done' | 'stale' | 'branch_gone' | 'claimed_elsewhere' }
  | { kind: 'failed'; reason: string };

/** The git trailer that ties a revision commit to the comment or CI run it answers. */
export function revisionTrailer(token: string): string {
  return `AI-Ops-Revision: ${token}`;
}

/**
 * One revision commit on the fix branch: claim the incident, clone the branch (not the base),
 * ask the model with the diff and the request, apply under the same edit policy, push, record.
 * Redelivery-safe: a branch whose head already carries this revision's trailer is not revised
 * again (only the record is finished), and the claim is by attempt count like the first fix.
 */
export async function pushRevision({
  incident,
  token,
  request,
  deps,
  record = {},
  expectHead,
  alreadyDone = false,
  refusal,
  describe,
}: {
  incident: IncidentWithPr;
  /** the idempotency key of this revision: `comment-<id>` or `ci-<sha>` */
  token: string;
  /** fetched only when a model call is really made (CI logs cost API calls) */
  request: () => Promise<RevisionRequest>;
  deps: FollowUpDeps;
  /** fields recorded together with a pushed revision (the CI verdict, the failure count) */
  record?: NonNullable<TransitionInput['set']>;
  /** the head the request is about: a branch that moved on makes the request stale */
  expectHead?: string;
  /** the incident already records this request as handled */
  alreadyDone?: boolean;
  /** why no revision may be made (a cap), decided by the caller once resumption is ruled out */
  refusal?: string;
  /** the commit message's second paragraph: why this revision was made */
  describe: string;
}): Promise<PushRevisionResult> {
  const { store, codeHost, settings } = deps;
  const repo = incident.repo;
  const head = await codeHost.branchHead({ repo, branch: incident.branch });
  if (!head) return { kind: 'ignored', reason: 'branch_gone' };
  if (hasTrailer(head.message, token)) {
    // Pushed by an attempt that stopped before recording it: finish the record, never push twice.
    if (incident.status === 'analyzing') {
      await store.transition({
        incidentKey: incident.incidentKey,
        from: 'analyzing',
        to: 'pr_open',
        set: { revisions: (incident.revisions ?? 0) + 1, ...record },
      });
    }
    return {
      kind: 'pushed',
      commit: head.sha,
      title: subjectOf(head.message),
      summary: '',
      resumed: true,
      costUsd: 0,
    };
  }
  if (alreadyDone) return { kind: 'ignored', reason: 'already_done' };
  if (expectHead !== undefined && head.sha !== expectHead) return { kind: 'ignored', reason: 'stale' };
  if (refusal) return { kind: 'refused', reason: refusal };
  if (!settings.repairsEnabled)
    return { kind: 'refused', reason: 'repairs are switched off (kill switch): no model call was made' };

  const claimed = await store.transition({
    incidentKey: incident.incidentKey,
    from: incident.status,
    to: 'analyzing',
    expectAttempts: incident.attempts,
    set: { attempts: incident.attempts + 1 },
  });
  if (!claimed) return { kind: 'ignored', reason: 'claimed_elsewhere' };
  const release = (set: NonNullable<TransitionInput['set']>) =>
    store.transition({ incidentKey: incident.incidentKey, from: 'analyzing', to: 'pr_open', set });

  try {
    const workspace = await deps.workspaces.clone({ repo, branch: incident.branch });
    if (expectHead !== undefined && workspace.headCommit !== expectHead) {
      await release({});
      return { kind: 'ignored', reason: 'stale' };
    }
    const maxDiffChars = settings.maxDiffChars ?? FOLLOW_UP_DEFAULTS.maxDiffChars;
    const diff = await codeHost.pullRequestDiff({ repo, number: incident.prNumber, maxChars: maxDiffChars });
    const prompt = await buildRevisionPrompt({
      incident,
      diff,
      request: await request(),
      repo: workspace,
      limits: { maxDiffChars },
    });
    const policy = settings.editPolicy ?? DEFAULT_EDIT_POLICY;
    const attempt = await proposeRevision({
      advisor: deps.advisor,
      prompt,
      workspace,
      sample: incident.sample,
      policy,
      syntax: deps.syntax,
    });
    if (attempt.kind === 'applied') {
      const { advice, files: changed } = attempt;
      const { proposal } = advice;
      const title = renderTitle(proposal.title);
      const message = [
        `fix(ai): ${title}`,
        '',
        describe,
        '',
        `${revisionTrailer(token)}`,
        `Incident: ${incident.incidentKey}`,
        '',
      ].join('\n');
      const commit = await workspace.commit({ branch: incident.branch, message, author: settings.bot });
      await workspace.push({ branch: incident.branch });
      const costUsd = incident.costUsd + advice.usage.costUsd;
      await release({
        revisions: (incident.revisions ?? 0) + 1,
        costUsd,
        lastError: undefined,
        ...record,
      });
      const files = changed.map((f) => `- ${inlineCode(f.path)} (+${f.added} / −${f.removed})`);
      const summary = [
        sanitizeMarkdown(scrubProse(proposal.explanation), {
          maxLength: 3000,
          allowedLinks: [repositoryLinkScope({ ...repo, host: settings.webHost })],
        }),
        '',
        ...files,
      ].join('\n');
      return { kind: 'pushed', commit, title, summary, resumed: false, costUsd: advice.usage.costUsd };
    }
    const { advice, rejections } = attempt;
    const reason = isProposal(advice)
      ? `the proposed revision was rejected twice by the edit policy: ${describeRejections(rejections)}`
      : rejections.length > 0
        ? `the proposed revision was rejected by the edit policy (${describeRejections(rejections)}), and no acceptable one followed`
        : `no revision was proposed (${advice.reason}): ${advice.detail}`;
    await release({ costUsd: incident.costUsd + advice.usage.costUsd, lastError: reason.slice(0, 1000) });
    return { kind: 'no_revision', reason };
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    // Back to pr_open, so a retry (or the next comment) can claim the PR again.
    await release({ lastError: message.slice(0, 1000) });
    if (isRetryableRepairError(error)) throw error;
    return { kind: 'failed', reason: message };
  }
}

export type ReviseOutcome =
  | {
      kind: 'ignored';
      reason:
        | 'not_a_revision'
        | 'unknown_incident'
        | 'no_pull_request'
        | 'not_open'
        | 'bot_author'
        | 'not_authorized'
        | 'already_done'
        | 'branch_gone'
        | 'claimed_elsewhere'
        | 'stale';
      status?: IncidentStatus;
    }
  | { kind: 'refused'; reason: string; reply: { id: number; url: string } }
  | { kind: 'revised'; commit: string; resumed: boolean; reply: { id: number; url: string } }
  | { kind: 'no_revision'; reason: string; reply: { id: number; url: string } }
  | { kind: 'failed'; reason: string };

/**
 * A `revise` job: a reviewer's `/ai-ops …` comment on the fix PR → one revision commit on the
 * same branch and one reply. The webhook admits OWNER/MEMBER/COLLABORATOR authors; here the
 * author's write permission is confirmed through the API as well, and bots are never obeyed.
 * An author without write permission is ignored silently: a reply would let anyone who can
 * comment make the bot speak, and the webhook has already dropped most such comments.
 */
export async function reviseIncident(job: RepairJob, deps: FollowUpDeps): Promise<ReviseOutcome> {
  const { comment } = job;
  if (job.kind !== 'revise' || !comment) return { kind: 'ignored', reason: 'not_a_revision' };
  const incident = await deps.store.get(job.incidentKey);
  if (!incident) return { kind: 'ignored', reason: 'unknown_incident' };
  if (!hasPullRequest(incident))
    return { kind: 'ignored', reason: 'no_pull_request', status: incident.status };
  if (job.pr && job.pr.number !== incident.prNumber)
    return { kind: 'ignored', reason: 'no_pull_request', status: incident.status };
  if (!REVISABLE.has(incident.status))
    return { kind: 'ignored', reason: 'not_open', status: incident.status };
  if (isBot(comment.author, deps.settings.botLogins)) return { kind: 'ignored', reason: 'bot_author' };
  const repo = incident.repo;
  if (!(await deps.codeHost.hasWritePermission({ repo, user: comment.author })))
    return { kind: 'ignored', reason: 'not_authorized' };

  const token = `comment-${comment.id}`;
  const replyKey = `reply=${token}`;
  const answered = await deps.codeHost.findComment({
    repo,
    number: incident.prNumber,
    marker: replyMarker(replyKey),
  });
  if (answered) return { kind: 'ignored', reason: 'already_done' };

  const maxRevisions = deps.settings.maxRevisions ?? FOLLOW_UP_DEFAULTS.maxRevisions;
  const reply = (body: string) => commentOnce({ deps, repo, number: incident.prNumber, key: replyKey, body });
  const mention = `@${comment.author}`;
  const result = await pushRevision({
    incident,
    token,
    deps,
    request: async () => ({
      kind: 'review_comment',
      author: comment.author,
      body: instructionOf(comment.body),
    }),
    refusal:
      (incident.revisions ?? 0) >= maxRevisions
        ? `this pull request already has ${incident.revisions ?? 0} revisions, the most ai-ops makes on one PR (${maxRevisions})`
        : undefined,
    describe: `Revision requested by ${comment.author} in comment ${comment.id}.`,
  });
  switch (result.kind) {
    case 'pushed':
      return {
        kind: 'revised',
        commit: result.commit,
        resumed: result.resumed,
        reply: await reply(
          [
            `${mention} I pushed ${inlineCode(result.commit.slice(0, 7))} to ${inlineCode(incident.branch)}: **${result.title || 'revision'}**`,
            '',
            result.summary || '_(the details of this revision were not recorded)_',
            '',
            'CI runs again on the new commit; the PR becomes ready for review once it passes.',
          ].join('\n'),
        ),
      };
    case 'refused':
      return {
        kind: 'refused',
        reason: result.reason,
        reply: await reply(
          `${mention} Sorry, I can't make this change: ${result.reason}. A person can take it from here; I made no new commit.`,
        ),
      };
    case 'no_revision':
      return {
        kind: 'no_revision',
        reason: result.reason,
        reply: await reply(
          `${mention} I looked into it but made no new commit: ${sanitizeMarkdown(scrubProse(result.reason), { maxLength: 2000 })}`,
        ),
      };
    case 'ignored':
      return { kind: 'ignored', reason: result.reason, status: incident.status };
    case 'failed':
      return result;
  }
}

/** The reviewer's request without the `/ai-ops` command word. */
function instructionOf(body: string): string {
  return body.replace(/^\s*\/ai-ops\b[:\s]*/i, '').trim() || body.trim();
}

function isBot(login: string, botLogins: readonly string[] = []): boolean {
  const lower = login.toLowerCase();
  return lower.endsWith('[bot]') || botLogins.some((b) => b.toLowerCase() === lower);
}

function hasTrailer(message: string, token: string): boolean {
  return message.split('\n').some((line) => line.trim() === revisionTrailer(token));
}

function subjectOf(message: string): string {
  return (message.split('\n')[0] ?? '').replace(/^fix\(ai\):\s*/, '').trim();
}
