import * as z from 'zod/mini';
import type { Incident, RepairJob } from '../contracts.ts';
import { buildIncidentKey } from '../incident/incident-rules.ts';
import type { RepoCoordinates } from '../ports/pull-requests.ts';
import { readFingerprintMarker, shortFingerprint } from '../repair/render-pull-request.ts';

/**
 * GitHub webhook events, narrowed to what ai-ops acts on. Payload shapes follow
 * docs.github.com/webhooks/webhook-events-and-payloads; only the fields read here are checked,
 * and GitHub's many others pass through untouched.
 */

const RepositorySchema = z.object({
  name: z.string(),
  full_name: z.string(),
  owner: z.object({ login: z.string() }),
});

const UserSchema = z.object({ login: z.string(), type: z.optional(z.string()) });

const PullRequestRefSchema = z.object({ number: z.int() });

const CheckSuitePayloadSchema = z.object({
  action: z.string(),
  repository: RepositorySchema,
  check_suite: z.object({
    id: z.int(),
    head_branch: z.nullable(z.string()),
    head_sha: z.string(),
    conclusion: z.nullable(z.string()),
    url: z.optional(z.string()),
    pull_requests: z._default(z.array(PullRequestRefSchema), []),
  }),
});

const WorkflowRunPayloadSchema = z.object({
  action: z.string(),
  repository: RepositorySchema,
  workflow_run: z.object({
    id: z.int(),
    check_suite_id: z.optional(z.int()),
    head_branch: z.nullable(z.string()),
    head_sha: z.string(),
    conclusion: z.nullable(z.string()),
    html_url: z.optional(z.string()),
    pull_requests: z._default(z.array(PullRequestRefSchema), []),
  }),
});

const CommentSchema = z.object({
  id: z.int(),
  body: z.nullable(z.string()),
  user: UserSchema,
  author_association: z.string(),
});

const IssueCommentPayloadSchema = z.object({
  action: z.string(),
  repository: RepositorySchema,
  sender: UserSchema,
  issue: z.object({
    number: z.int(),
    body: z.nullable(z.string()),
    // Present only when the issue is a pull request.
    pull_request: z.optional(z.object({ html_url: z.optional(z.string()) })),
  }),
  comment: CommentSchema,
});

const PullRequestSchema = z.object({
  number: z.int(),
  html_url: z.string(),
  body: z.nullable(z.string()),
  merged: z.optional(z.nullable(z.boolean())),
  merged_at: z.optional(z.nullable(z.string())),
  merge_commit_sha: z.optional(z.nullable(z.string())),
  head: z.object({
    ref: z.string(),
    sha: z.string(),
    // null when the fork the PR came from was deleted
    repo: z.nullable(z.object({ full_name: z.string() })),
  }),
});

const ReviewCommentPayloadSchema = z.object({
  action: z.string(),
  repository: RepositorySchema,
  sender: UserSchema,
  pull_request: PullRequestSchema,
  comment: CommentSchema,
});

const PullRequestPayloadSchema = z.object({
  action: z.string(),
  repository: RepositorySchema,
  pull_request: PullRequestSchema,
});

/** The fix PR an event is about, as far as the event itself tells. */
export interface EventPullRequest {
  number: number;
  url?: string;
  /** absent for issue comments: GitHub sends the issue, not the PR's branches */
  headBranch?: string;
  /** false when the head branch lives in a fork (ai-ops only pushes to the repository itself) */
  headInRepo?: boolean;
  /** the PR body, when the event carries it (the fingerprint marker lives there) */
  body?: string;
}

export type WebhookEvent =
  | { name: 'ping' }
  | {
      name: 'ci';
      source: 'check_suite' | 'workflow_run';
      repo: RepoCoordinates;
      branch: string;
      headSha: string;
      conclusion: string;
      prNumbers: number[];
      runId?: number;
      checkSuiteId?: number;
      url?: string;
    }
  | {
      name: 'comment';
      source: 'issue_comment' | 'pull_request_review_comment';
      repo: RepoCoordinates;
      pr: EventPullRequest;
      comment: { id: number; body: string; author: string; association: string; isBot: boolean };
    }
  | {
      name: 'pull_request';
      action: string;
      repo: RepoCoordinates;
      pr: EventPullRequest;
      merge?: { sha: string; mergedAt: number };
      /** closed without merging: a person said no to the fix */
      dismissal?: { closedAt: number };
    };

export type ParsedWebhook = { kind: 'event'; event: WebhookEvent } | { kind: 'ignored'; reason: string };

const PR_LINK_ACTIONS = new Set(['opened', 'reopened', 'edited', 'synchronize', 'ready_for_review']);

/** Narrows a delivery (`X-GitHub-Event` + parsed JSON) to an event ai-ops acts on, or says why not. */
export function parseWebhookEvent({ name, payload }: { name: string; payload: unknown }): ParsedWebhook {
  switch (name) {
    case 'ping':
      return { kind: 'event', event: { name: 'ping' } };
    case 'check_suite': {
      const parsed = CheckSuitePayloadSchema.safeParse(payload);
      if (!parsed.success) return malformed(name, parsed.error);
      const { action, repository, check_suite: suite } = parsed.data;
      if (action !== 'completed') return { kind: 'ignored', reason: `check_suite ${action}` };
      return ciEvent({
        source: name,
        repository,
        branch: suite.head_branch,
        headSha: suite.head_sha,
        conclusion: suite.conclusion,
        prNumbers: suite.pull_requests.map((pr) => pr.number),
        ids: { checkSuiteId: suite.id, ...(suite.url ? { url: suite.url } : {}) },
      });
    }
    case 'workflow_run': {
      const parsed = WorkflowRunPayloadSchema.safeParse(payload);
      if (!parsed.success) return malformed(name, parsed.error);
      const { action, repository, workflow_run: run } = parsed.data;
      if (action !== 'completed') return { kind: 'ignored', reason: `workflow_run ${action}` };
      return ciEvent({
        source: name,
        repository,
        branch: run.head_branch,
        headSha: run.head_sha,
        conclusion: run.conclusion,
        prNumbers: run.pull_requests.map((pr) => pr.number),
        ids: {
          runId: run.id,
          ...(run.check_suite_id !== undefined ? { checkSuiteId: run.check_suite_id } : {}),
          ...(run.html_url ? { url: run.html_url } : {}),
        },
      });
    }
    case 'issue_comment': {
      const parsed = IssueCommentPayloadSchema.safeParse(payload);
      if (!parsed.success) return malformed(name, parsed.error);
      const { action, repository, sender, issue, comment } = parsed.data;
      if (action !== 'created') return { kind: 'ignored', reason: `issue_comment ${action}` };
      if (!issue.pull_request) return { kind: 'ignored', reason: 'comment on an issue, not a pull request' };
      return {
        kind: 'event',
        event: {
          name: 'comment',
          source: name,
          repo: coordinates(repository),
          pr: {
            number: issue.number,
            ...(issue.pull_request.html_url ? { url: issue.pull_request.html_url } : {}),
            body: issue.body ?? '',
          },
          comment: commentOf({ comment, sender }),
        },
      };
    }
    case 'pull_request_review_comment': {
      const parsed = ReviewCommentPayloadSchema.safeParse(payload);
      if (!parsed.success) return malformed(name, parsed.error);
      const { action, repository, sender, pull_request: pr, comment } = parsed.data;
      if (action !== 'created') return { kind: 'ignored', reason: `pull_request_review_comment ${action}` };
      return {
        kind: 'event',
        event: {
          name: 'comment',
          source: name,
          repo: coordinates(repository),
          pr: pullRequestOf({ pr, repository }),
          comment: commentOf({ comment, sender }),
        },
      };
    }
    case 'pull_request': {
      const parsed = PullRequestPayloadSchema.safeParse(payload);
      if (!parsed.success) return malformed(name, parsed.error);
      const { action, repository, pull_request: pr } = parsed.data;
      const isMerge = action === 'closed' && pr.merged === true;
      const isDismissal = action === 'closed' && pr.merged !== true;
      if (!isMerge && !isDismissal && !PR_LINK_ACTIONS.has(action)) {
        return {
          kind: 'ignored',
          reason: `pull_request ${action}${action === 'closed' ? ' without merge' : ''}`,
        };
      }
      const mergedAt = pr.merged_at ? Date.parse(pr.merged_at) : Number.NaN;
      return {
        kind: 'event',
        event: {
          name: 'pull_request',
          action,
          repo: coordinates(repository),
          pr: pullRequestOf({ pr, repository }),
          ...(isMerge && pr.merge_commit_sha && Number.isFinite(mergedAt)
            ? { merge: { sha: pr.merge_commit_sha, mergedAt } }
            : {}),
          ...(isDismissal ? { dismissal: { closedAt: closedAtOf(payload) } } : {}),
        },
      };
    }
    default:
      return { kind: 'ignored', reason: `event ${name} is not one ai-ops listens to` };
  }
}

/** `pull_request.closed_at` of a delivery, or now when it is missing or unreadable. */
function closedAtOf(payload: unknown): number {
  const parsed = z.object({ pull_request: z.object({ closed_at: z.string() }) }).safeParse(payload);
  const at = parsed.success ? Date.parse(parsed.data.pull_request.closed_at) : Number.NaN;
  return Number.isFinite(at) ? at : Date.now();
}

function malformed(name: string, error: z.core.$ZodError): ParsedWebhook {
  const where = error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
    .join('; ');
  return { kind: 'ignored', reason: `${name} payload not understood (${where})` };
}

function coordinates(repository: z.infer<typeof RepositorySchema>): RepoCoordinates {
  return { owner: repository.owner.login, name: repository.name };
}

function pullRequestOf({
  pr,
  repository,
}: {
  pr: z.infer<typeof PullRequestSchema>;
  repository: z.infer<typeof RepositorySchema>;
}): EventPullRequest {
  return {
    number: pr.number,
    url: pr.html_url,
    headBranch: pr.head.ref,
    headInRepo: pr.head.repo?.full_name.toLowerCase() === repository.full_name.toLowerCase(),
    body: pr.body ?? '',
  };
}

function commentOf({
  comment,
  sender,
}: {
  comment: z.infer<typeof CommentSchema>;
  sender: z.infer<typeof UserSchema>;
}): Extract<WebhookEvent, { name: 'comment' }>['comment'] {
  const isBot = [comment.user, sender].some((user) => user.type === 'Bot' || user.login.endsWith('[bot]'));
  return {
    id: comment.id,
    body: comment.body ?? '',
    author: comment.user.login,
    association: comment.author_association,
    isBot,
  };
}

function ciEvent({
  source,
  repository,
  branch,
  headSha,
  conclusion,
  prNumbers,
  ids,
}: {
  source: 'check_suite' | 'workflow_run';
  repository: z.infer<typeof RepositorySchema>;
  branch: string | null;
  headSha: string;
  conclusion: string | null;
  prNumbers: number[];
  ids: { runId?: number; checkSuiteId?: number; url?: string };
}): ParsedWebhook {
  if (!branch?.startsWith(FIX_BRANCH_PREFIX)) {
    return { kind: 'ignored', reason: `${source} on ${branch ?? 'no branch'}, not an ai-ops fix branch` };
  }
  return {
    kind: 'event',
    event: {
      name: 'ci',
      source,
      repo: coordinates(repository),
      branch,
      headSha,
      conclusion: conclusion ?? 'none',
      prNumbers,
      ...ids,
    },
  };
}

const FIX_BRANCH_PREFIX = 'fix/';

/** How to find the incident an event is about (CI events name only a branch). */
export type IncidentReference =
  | { kind: 'key'; incidentKey: string }
  | { kind: 'branch'; repo: RepoCoordinates; branch: string }
  | { kind: 'none'; reason: string };

/** Where the event's incident is: the PR body's fingerprint marker, else the branch link. */
export function findIncidentReference(event: WebhookEvent): IncidentReference {
  if (event.name === 'ping') return { kind: 'none', reason: 'ping' };
  if (event.name === 'ci') return { kind: 'branch', repo: event.repo, branch: event.branch };
  const fingerprint = readFingerprintMarker(event.pr.body ?? '');
  if (!fingerprint) return { kind: 'none', reason: 'the pull request carries no ai-ops fingerprint marker' };
  return { kind: 'key', incidentKey: buildIncidentKey({ repo: event.repo, fingerprint }) };
}

/** Authors GitHub reports as owners or collaborators; the analyzer still checks write permission. */
const TRUSTED_ASSOCIATIONS = new Set(['OWNER', 'MEMBER', 'COLLABORATOR']);
const COMMAND = /^\/ai-ops(?:\s|$)/;

export type WebhookRoute =
  | { kind: 'ignored'; reason: string }
  | { kind: 'job'; job: RepairJob }
  /** a fix PR was opened or pushed to: remember its branch for the CI events to come */
  | { kind: 'link_branch'; repo: RepoCoordinates; branch: string; incidentKey: string };

/**
 * What a webhook event means for ai-ops, given the incident it refers to (undefined when none
 * was found). Pure: the caller loads the incident and carries the outcome out.
 *
 * A PR counts as ai-ops's when its incident exists and either the incident recorded that PR
 * number, or (before the analyzer recorded it) the head is a `fix/…-<short fingerprint>` branch
 * in the repository itself: only people with push access can make such a branch. A `revise` job
 * is asked for by a comment GitHub marks OWNER/MEMBER/COLLABORATOR; the analyzer confirms the
 * author's write permission through the API before it acts on it.
 */
export function routeWebhook({
  event,
  incident,
}: {
  event: WebhookEvent;
  incident: Incident | undefined;
}): WebhookRoute {
  if (event.name === 'ping') return { kind: 'ignored', reason: 'ping' };
  if (!incident) return { kind: 'ignored', reason: 'not an ai-ops pull request (no incident for it)' };

  if (event.name === 'ci') {
    if (incident.branch !== undefined && incident.branch !== event.branch) {
      return { kind: 'ignored', reason: `branch ${event.branch} is not the incident's fix branch` };
    }
    const kind = ciJobKind(event.conclusion);
    if (!kind) return { kind: 'ignored', reason: `CI concluded ${event.conclusion}` };
    const prNumber = event.prNumbers[0] ?? incident.prNumber;
    return {
      kind: 'job',
      job: {
        ...jobBase(incident),
        kind,
        ...(prNumber !== undefined && incident.prUrl !== undefined
          ? { pr: { number: prNumber, url: incident.prUrl, branch: event.branch } }
          : {}),
        ci: {
          headSha: event.headSha,
          conclusion: event.conclusion,
          ...(event.runId !== undefined ? { runId: event.runId } : {}),
          ...(event.checkSuiteId !== undefined ? { checkSuiteId: event.checkSuiteId } : {}),
          ...(event.url !== undefined ? { url: event.url } : {}),
        },
      },
    };
  }

  if (!isIncidentPullRequest({ pr: event.pr, incident })) {
    return { kind: 'ignored', reason: `pull request #${event.pr.number} is not the incident's fix PR` };
  }
  const branch = event.pr.headBranch ?? incident.branch;
  const prUrl = event.pr.url ?? incident.prUrl;

  if (event.name === 'comment') {
    const { comment } = event;
    if (comment.isBot) return { kind: 'ignored', reason: `comment by a bot (${comment.author})` };
    if (!COMMAND.test(comment.body.trimStart())) return { kind: 'ignored', reason: 'not an /ai-ops command' };
    if (!TRUSTED_ASSOCIATIONS.has(comment.association)) {
      return {
        kind: 'ignored',
        reason: `comment by ${comment.author} (${comment.association}), not a collaborator`,
      };
    }
    if (!branch || !prUrl) return { kind: 'ignored', reason: 'the incident has no fix branch recorded yet' };
    return {
      kind: 'job',
      job: {
        ...jobBase(incident),
        kind: 'revise',
        pr: { number: event.pr.number, url: prUrl, branch },
        comment: { id: comment.id, body: comment.body, author: comment.author },
      },
    };
  }

  if (event.merge) {
    return {
      kind: 'job',
      job: {
        ...jobBase(incident),
        kind: 'merged',
        ...(branch && prUrl ? { pr: { number: event.pr.number, url: prUrl, branch } } : {}),
        merge: event.merge,
      },
    };
  }
  if (event.dismissal) {
    return {
      kind: 'job',
      job: {
        ...jobBase(incident),
        kind: 'dismissed',
        ...(branch && prUrl ? { pr: { number: event.pr.number, url: prUrl, branch } } : {}),
        closedAt: event.dismissal.closedAt,
      },
    };
  }
  if (event.action === 'closed') return { kind: 'ignored', reason: 'closed without a merge date or sha' };
  if (!event.pr.headBranch) return { kind: 'ignored', reason: 'no head branch' };
  return {
    kind: 'link_branch',
    repo: event.repo,
    branch: event.pr.headBranch,
    incidentKey: incident.incidentKey,
  };
}

function ciJobKind(conclusion: string): 'ci_passed' | 'ci_failed' | undefined {
  if (conclusion === 'success') return 'ci_passed';
  if (conclusion === 'failure' || conclusion === 'timed_out') return 'ci_failed';
  // cancelled, skipped, neutral, stale, action_required: nothing for ai-ops to learn from.
  return undefined;
}

function isIncidentPullRequest({ pr, incident }: { pr: EventPullRequest; incident: Incident }): boolean {
  if (incident.prNumber !== undefined) return incident.prNumber === pr.number;
  return (
    pr.headInRepo === true &&
    pr.headBranch !== undefined &&
    pr.headBranch.startsWith(FIX_BRANCH_PREFIX) &&
    pr.headBranch.endsWith(`-${shortFingerprint(incident.fingerprint)}`)
  );
}

function jobBase(incident: Incident): Pick<RepairJob, 'v' | 'incidentKey' | 'error' | 'repo' | 'attempt'> {
  return { v: 1, incidentKey: incident.incidentKey, error: incident.sample, repo: incident.repo, attempt: 0 };
}
