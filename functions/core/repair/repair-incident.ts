import type { Incident, IncidentAnalysis, RepairJob, RepoRef } from '../contracts.ts';
import type { BranchLinks } from '../ports/branch-links.ts';
import {
  type AdviceProposal,
  type AdviceResult,
  type FixAdvisor,
  isProposal,
  ModelUnavailableError,
} from '../ports/fix-advisor.ts';
import type { FixVerifier } from '../ports/fix-verifier.ts';
import type { IncidentStore, TransitionInput } from '../ports/incident-store.ts';
import type { Mailer } from '../ports/mailer.ts';
import type { PullRequest, PullRequests } from '../ports/pull-requests.ts';
import type { GitIdentity, ModelUsage, RepoWorkspace } from '../ports/repo-workspace.ts';
import type { SyntaxChecker } from '../ports/syntax-checker.ts';
import { escapeHtml } from '../text/escape-html.ts';
import { buildRepairPrompt } from './build-repair-prompt.ts';
import {
  applyFixProposal,
  DEFAULT_EDIT_POLICY,
  describeRejections,
  type EditPolicy,
  type EditRejection,
  traceLanguages,
} from './edit-policy.ts';
import { explainAccessDenied } from './explain-access-denied.ts';
import { explainHandlerLoadFailure } from './explain-handler-load-failure.ts';
import { explainUnplacedTrace } from './explain-unplaced-trace.ts';
import { raisedInRepository } from './map-frames.ts';
import { placeCallbackHandler } from './place-callback-handler.ts';
import { placeLogSite } from './place-log-site.ts';
import {
  type FollowUpMode,
  MAX_FAILED_EMAILS_PER_DAY,
  type RenderedEmail,
  renderFailedEmail,
  renderFixEmail,
  renderNoFixEmail,
} from './render-email.ts';
import { renderBranchName, renderPullRequest } from './render-pull-request.ts';
import { placeSyntaxError } from './syntax-check.ts';
import { verificationLabels, verifyFix } from './verify-fix.ts';

/** Clones and inspects the application's repository (isomorphic-git + memfs in the adapter). */
export interface Workspaces {
  clone(options: { repo: RepoRef; branch: string }): Promise<RepoWorkspace>;
  /** the remote head of `branch`, or undefined when it does not exist */
  remoteBranchHead(options: { repo: RepoRef; branch: string }): Promise<string | undefined>;
}

/** The per-repository daily cap: one reservation per incident and UTC day, idempotent. */
export interface RepairBudget {
  /** true when `incidentKey` holds (or now got) one of `cap` repairs of `repoKey` on `day` */
  reserve(options: { repoKey: string; day: string; incidentKey: string; cap: number }): Promise<boolean>;
}

export interface RepairSettings {
  /** the kill switch: false → no model call, the incident is `skipped` */
  repairsEnabled: boolean;
  /** repairs per repository per UTC day */
  dailyRepairCap: number;
  model: string;
  bot: GitIdentity;
  sender: string;
  reviewers: string[];
  editPolicy?: EditPolicy;
  labels?: string[];
  /** a signed link to the incident page, when one is served */
  incidentLink?: (incidentKey: string) => string | undefined;
  /**
   * What follows the draft once it is open, so the PR and the email promise only that: the
   * webhook (CI verdicts, `/ai-ops` comments; the default), `ai-ops watch` polling CI and merges
   * (no comments), or nothing (`ai-ops watch --once`).
   */
  followUp?: FollowUpMode;
  /**
   * The host the repository's pages are on (`webHostOfApiUrl`; default github.com): the model's
   * links into the repository stay links in the PR only on that host.
   */
  webHost?: string;
}

export interface RepairDeps {
  store: IncidentStore;
  budget: RepairBudget;
  advisor: FixAdvisor;
  workspaces: Workspaces;
  pullRequests: PullRequests;
  mailer: Mailer;
  settings: RepairSettings;
  now?: () => number;
  /**
   * Whether a failure should go back to the queue. Defaults to `isRetryableRepairError`; the
   * composition root adds what the adapters know (e.g. the git adapter's transient errors,
   * which carry no `retryable` flag).
   */
  isRetryable?: (error: unknown) => boolean;
  /**
   * Links the fix branch to the incident right before the first push, so a CI run that finishes
   * before the webhook hears of the PR still finds its incident. Without it, the webhook links the
   * branch when it sees the PR opened (the one-machine runner has no webhook).
   */
  branchLinks?: Pick<BranchLinks, 'link'>;
  /** runs the application's tests on the committed fix before it is pushed (one machine only) */
  verifier?: FixVerifier;
  /**
   * The JavaScript engine's parse of the repository's scripts: places a SyntaxError that names no
   * file, and refuses a fix that leaves an edited script unparseable. Without it, neither happens.
   */
  syntax?: SyntaxChecker;
  /** progress for people (the one-machine runner's status line) and logs */
  onProgress?: (event: { incidentKey: string; stage: RepairStage; detail?: string }) => void;
  /**
   * How long a claim holds without renewal (default 15 minutes, the analyzer's timeout). Each
   * step renews it; a worker that died leaves it to run out, and then the job may be resumed.
   */
  leaseMs?: number;
  /** this run's name on the lease; unique per run (default a random id) */
  owner?: string;
  /**
   * True when a lease's owner is known to be gone (the one-machine runner: a process id that no
   * longer runs), so its lease is taken over at once instead of after it runs out.
   */
  isLeaseAbandoned?: (lease: Lease) => boolean;
  /** a fresh random id (the default lease owner) */
  randomId?: () => string;
  /**
   * Leave a job for a `failed` incident whose `retryAfter` has not come to the sweep, rather than
   * run it early. The cloud sets this: the analyzer times a failed job's return (`retryDueAt`,
   * ChangeMessageVisibility), but SQS still sends it back at its visibility timeout (30 minutes)
   * when that timing failed or a retry is more than 12 hours away, and a rate limit that asked
   * for two hours must not be retried in thirty minutes. The one-machine runner retries in
   * process, on its own schedule, and leaves it off.
   */
  waitForRetryAfter?: boolean;
  /**
   * Attempts one incident gets (the sweep's MAX_REPAIR_ATTEMPTS / AI_OPS_MAX_ATTEMPTS). A
   * retryable failure of the last one is final: recorded without a retry time, mailed to the
   * reviewers, not thrown. With `waitForRetryAfter`, a failed job sent back after it is left
   * alone (default 3): SQS sends a failed job back whatever the count, up to maxReceiveCount.
   * Unset, only failures that are not retryable are final.
   */
  maxAttempts?: number;
}

export type Lease = NonNullable<Incident['lease']>;

/** How long a claim holds by default: the analyzer Lambda's timeout. */
export const DEFAULT_LEASE_MS = 15 * 60 * 1000;

/** True when `lease` no longer protects its holder's work at `now`. */
export function isLeaseExpired(
  lease: Lease | undefined,
  { now, isAbandoned }: { now: number; isAbandoned?: ((lease: Lease) => boolean) | undefined },
): boolean {
  return lease === undefined || lease.until <= now || isAbandoned?.(lease) === true;
}

export type RepairStage = 'analysing' | 'proposed' | 'pushed' | 'pr' | 'emailed';

export type RepairOutcome =
  | {
      kind: 'ignored';
      reason:
        | 'unknown_incident'
        | 'already_done'
        | 'claimed_elsewhere'
        | 'not_due'
        | 'no_attempts_left'
        | 'not_retryable';
      status?: Incident['status'];
    }
  | { kind: 'skipped'; reason: string }
  | { kind: 'pr_open'; pr: Pick<PullRequest, 'number' | 'url'>; branch: string; resumed: boolean }
  | { kind: 'no_fix'; reason: string }
  | { kind: 'failed'; reason: string };

/** Marks a failure the queue should retry (throttling, outages); anything else fails the job for good. */
export function isRetryableRepairError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'retryable' in error && error.retryable === true;
}

/**
 * When the service that failed asked to be tried again (epoch ms), if it said: GitHub's rate
 * limit reset or `retry-after`, the model API's `retry-after` (both carried as `resetAt`).
 */
export function requestedRetryAt(error: unknown): number | undefined {
  return typeof error === 'object' &&
    error !== null &&
    'resetAt' in error &&
    typeof error.resetAt === 'number'
    ? error.resetAt
    : undefined;
}

/** Another worker claimed the incident after this one did (a duplicate delivery): stop writing. */
export class ClaimLostError extends Error {
  override readonly name = 'ClaimLostError';
  readonly code = 'claim_lost';
  readonly incidentKey: string;
  constructor(incidentKey: string) {
    super(`incident ${incidentKey} was claimed by another attempt; this one stops`);
    this.incidentKey = incidentKey;
  }
}

const CLAIMABLE = new Set<Incident['status']>(['new', 'queued', 'analyzing', 'failed']);

/**
 * `new` and `queued` start a life of the incident: the first, or one reopened after its fix
 * shipped (`resolved → new`) or its spend cap reset (`skipped → new`). What an earlier life
 * recorded (its analysis, branch, PR, email, cap deadline) must not steer this one.
 */
const FRESH = new Set<Incident['status']>(['new', 'queued']);
const FORGET_PREVIOUS_LIFE = {
  analysis: undefined,
  branch: undefined,
  prUrl: undefined,
  prNumber: undefined,
  prOpenedAt: undefined,
  emailedAt: undefined,
  retryAfter: undefined,
  lastError: undefined,
  // an email an earlier life still owed (a mail outage, then Try again) speaks of that life
  pendingEmail: undefined,
} as const;

function withoutPreviousLife(incident: Incident): Incident {
  const {
    analysis,
    branch,
    prUrl,
    prNumber,
    prOpenedAt,
    emailedAt,
    retryAfter,
    lastError,
    pendingEmail,
    ...rest
  } = incident;
  return rest;
}

/** The outcome is decided but its email is not out yet: the one step a redelivery still owes. */
const EMAIL_PENDING = new Set<Incident['status']>(['pr_open', 'no_fix', 'failed']);

/**
 * The analyzer's use case: one repair job → at most one branch, one draft PR and one email.
 * Every external step is idempotent or recorded before the next, so a redelivered job resumes.
 */
export async function repairIncident(job: RepairJob, deps: RepairDeps): Promise<RepairOutcome> {
  const { store, now = Date.now, isRetryable = isRetryableRepairError } = deps;
  const progress = (stage: RepairStage, detail?: string) =>
    deps.onProgress?.({ incidentKey: job.incidentKey, stage, ...(detail ? { detail } : {}) });

  let incident = await store.get(job.incidentKey);
  if (!incident) return { kind: 'ignored', reason: 'unknown_incident' };
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  const owner = deps.owner ?? `${deps.randomId?.() ?? randomId()}`;
  const heldElsewhere = (seen: Incident) =>
    seen.status === 'analyzing' || seen.pendingEmail
      ? !isLeaseExpired(seen.lease, { now: now(), isAbandoned: deps.isLeaseAbandoned })
      : false;

  if (EMAIL_PENDING.has(incident.status) && incident.pendingEmail) {
    // Crashed between deciding the outcome and mailing it: finish the one step left, under a lease.
    if (heldElsewhere(incident)) return { kind: 'ignored', reason: 'claimed_elsewhere' };
    const claim: Claim = { owner, attempts: incident.attempts, lease: { owner, until: now() + leaseMs } };
    const taken = await store.transition({
      incidentKey: incident.incidentKey,
      from: incident.status,
      to: incident.status,
      expectAttempts: incident.attempts,
      expectLease: incident.lease ?? null,
      set: { lease: claim.lease },
    });
    if (!taken) return { kind: 'ignored', reason: 'claimed_elsewhere' };
    const pending: Incident = { ...incident, lease: claim.lease };
    try {
      await deliverPendingEmail({ deps, claim, incident: pending, now, leaseMs });
    } catch (error: unknown) {
      if (error instanceof ClaimLostError) return { kind: 'ignored', reason: 'claimed_elsewhere' };
      throw error;
    }
    if (pending.status === 'pr_open') return prOutcome(pending, true);
    return pending.status === 'failed'
      ? { kind: 'failed', reason: pending.lastError ?? 'failed' }
      : { kind: 'no_fix', reason: pending.lastError ?? 'no fix' };
  }
  if (!CLAIMABLE.has(incident.status))
    return { kind: 'ignored', reason: 'already_done', status: incident.status };
  // A live worker holds it (a duplicate delivery, or the sweep's resume racing the first run).
  if (heldElsewhere(incident)) return { kind: 'ignored', reason: 'claimed_elsewhere' };
  // A job sent back for a failed incident runs only when the sweep would resume it: a retryable
  // failure, past its backoff, with attempts left. Otherwise the sweep resumes it when due, or
  // nothing does (a person's Try again or `ai-ops retry` sends it back as `new`).
  if (deps.waitForRetryAfter && incident.status === 'failed') {
    const status = incident.status;
    if (incident.attempts >= (deps.maxAttempts ?? DEFAULT_MAX_ATTEMPTS))
      return { kind: 'ignored', reason: 'no_attempts_left', status };
    if (incident.retryAfter === undefined) return { kind: 'ignored', reason: 'not_retryable', status };
    if (incident.retryAfter > now()) return { kind: 'ignored', reason: 'not_due', status };
  }

  // The claim: a compare-and-set on the attempt count and the lease this run saw (a queue lease
  // for `queued`, the last worker's for `analyzing`). Every later write of this attempt expects
  // the lease it wrote, so an attempt whose lease was taken over cannot act or overwrite.
  const claim: Claim = { owner, attempts: incident.attempts + 1, lease: { owner, until: now() + leaseMs } };
  const claimed = await store.transition({
    incidentKey: incident.incidentKey,
    from: incident.status,
    to: 'analyzing',
    expectAttempts: incident.attempts,
    expectLease: incident.lease ?? null,
    set: {
      attempts: claim.attempts,
      lease: claim.lease,
      ...(FRESH.has(incident.status) ? FORGET_PREVIOUS_LIFE : {}),
    },
  });
  if (!claimed) return { kind: 'ignored', reason: 'claimed_elsewhere' };
  incident = {
    ...(FRESH.has(incident.status) ? withoutPreviousLife(incident) : incident),
    status: 'analyzing',
    attempts: claim.attempts,
    lease: claim.lease,
  };

  const ctx: RunContext = { job, deps, claim, progress, now, leaseMs };
  try {
    return await runRepair({ ctx, incident });
  } catch (error: unknown) {
    if (error instanceof ClaimLostError) return { kind: 'ignored', reason: 'claimed_elsewhere' };
    const message = error instanceof Error ? error.message : String(error);
    // A model call that failed still cost what it spent before failing.
    const spent = error instanceof ModelUnavailableError ? (error.usage?.costUsd ?? 0) : 0;
    const latest = (await store.get(incident.incidentKey)) ?? incident;
    const retryable = isRetryable(error);
    // The last attempt the rules allow, or a failure no retry can mend: nothing will try again on
    // its own, so the reviewers are told (through the outbox, like every outcome) rather than left
    // to find a silent `failed` incident.
    const isFinal = !retryable || (deps.maxAttempts !== undefined && claim.attempts >= deps.maxAttempts);
    const lastError = message.slice(0, 1000);
    const pendingEmail =
      isFinal && (await mayMailFailure(ctx, incident)) ? outboxEntry(ctx, incident, 'failed') : undefined;
    // A final failure keeps the fix branch only if it reached the remote (a PR refused after the
    // push), so its email can say so; one recorded but never pushed is forgotten. If the remote
    // cannot be asked, it is kept: "was pushed" wrongly is the lesser error than "nothing changed".
    const branch = latest.branch;
    const isBranchGone =
      isFinal && branch !== undefined
        ? await deps.workspaces.remoteBranchHead({ repo: incident.repo, branch }).then(
            (head) => head === undefined,
            () => false,
          )
        : false;
    const renewed = renewedLease(claim, now() + leaseMs);
    const failed = await store.transition({
      incidentKey: incident.incidentKey,
      from: 'analyzing',
      to: 'failed',
      expectAttempts: claim.attempts,
      expectLease: claim.lease,
      set: {
        lastError,
        costUsd: latest.costUsd + spent,
        // kept while the email is owed: its sender holds the claim
        lease: pendingEmail ? renewed : undefined,
        pendingEmail,
        ...(isBranchGone ? { branch: undefined } : {}),
        // When the sweep may resume it: transient failures soon, others never on their own.
        // The service's own `retry-after` wins when it asks for longer.
        retryAfter:
          retryable && !isFinal
            ? Math.max(now() + failureBackoffMs(claim.attempts), requestedRetryAt(error) ?? 0)
            : undefined,
      },
    });
    if (failed && pendingEmail) {
      claim.lease = renewed;
      const owed: Incident = { ...latest, status: 'failed', lastError, pendingEmail, lease: renewed };
      if (isBranchGone) delete owed.branch;
      try {
        await deliverPendingEmail({ ...ctx, incident: owed });
      } catch (sendError: unknown) {
        if (sendError instanceof ClaimLostError) return { kind: 'ignored', reason: 'claimed_elsewhere' };
        // Still owed: the redelivery or the sweep sends it.
        throw sendError;
      }
    }
    if (retryable && !isFinal) throw error;
    return { kind: 'failed', reason: message };
  }
}

/** The lease a running attempt holds; renewed (and its `until` moved) by every claimed write. */
interface Claim {
  owner: string;
  attempts: number;
  lease: Lease;
}

interface RunContext {
  job: RepairJob;
  deps: RepairDeps;
  claim: Claim;
  progress: (stage: RepairStage, detail?: string) => void;
  now: () => number;
  leaseMs: number;
}

/**
 * When a repair job that failed in a way worth retrying is due again: its failed incident's
 * `retryAfter` (the backoff, or the `retry-after` a service asked for). Undefined for anything
 * else, which the queue's own timeout returns.
 */
export async function retryDueAt(
  job: RepairJob,
  store: Pick<IncidentStore, 'get'>,
): Promise<number | undefined> {
  if (job.kind !== 'repair') return undefined;
  const incident = await store.get(job.incidentKey);
  return incident?.status === 'failed' ? incident.retryAfter : undefined;
}

/** Repair attempts of one incident after which a failed one is left to a person (`ai-ops retry`). */
export const DEFAULT_MAX_ATTEMPTS = 3;

/** Backoff before the sweep resumes a failed attempt: 5 min, 20 min, 80 min … capped at 6 h. */
export function failureBackoffMs(attempts: number): number {
  return Math.min(5 * 60 * 1000 * 4 ** Math.max(0, attempts - 1), 6 * 60 * 60 * 1000);
}

function randomId(): string {
  return globalThis.crypto.randomUUID();
}

async function runRepair({
  ctx,
  incident: claimed,
}: {
  ctx: RunContext;
  incident: Incident;
}): Promise<RepairOutcome> {
  const { deps, progress } = ctx;
  const { settings, workspaces, pullRequests } = deps;
  let incident = claimed;
  const repo = incident.repo;
  const branch =
    incident.branch ?? renderBranchName({ error: incident.sample, fingerprint: incident.fingerprint });

  // A previous attempt may have gone as far as the PR: find it rather than open another.
  const existing = await pullRequests.findOpen({ repo, branch });
  if (existing && incident.analysis)
    return finishWithPr({ ctx, incident, pr: existing, branch, resumed: true });

  const remoteHead = await workspaces.remoteBranchHead({ repo, branch });
  let analysis = remoteHead ? incident.analysis : undefined;
  if (!analysis) {
    const guard = await checkSpendGuards({ ctx, incident });
    if (guard) return guard;
    // The model call is the expensive step: only the lease holder makes it.
    await claimedTransition(ctx, incident, { to: 'analyzing' });
    progress('analysing');
    // A branch of that name left by an earlier life of the incident (a merged fix that came
    // back) is not ours to move: push the new fix beside it.
    const target = remoteHead ? `${branch}-${incident.attempts}` : branch;
    const proposed = await proposeAndApply({ ctx, incident, branch: target });
    if (proposed.kind === 'no_fix') return proposed;
    incident = proposed.incident;
    analysis = proposed.analysis;
    progress('pushed', target);
  }
  const head = incident.branch ?? branch;

  const rendered = renderPullRequest({
    incident,
    error: incident.sample,
    proposal: analysis,
    changes: analysis.changes,
    model: { name: analysis.model, costUsd: incident.costUsd },
    ...(analysis.verification ? { verification: analysis.verification } : {}),
    ...(settings.followUp ? { followUp: settings.followUp } : {}),
    ...(settings.webHost ? { webHost: settings.webHost } : {}),
    ...(analysis.location ? { location: analysis.location } : {}),
    ...(analysis.raisedIn ? { raisedIn: analysis.raisedIn } : {}),
  });
  // The fencing check right before the side effect: a stale worker stops here, not after.
  await claimedTransition(ctx, incident, { to: 'analyzing' });
  const opened = await pullRequests.open({
    repo,
    head,
    base: repo.baseBranch,
    title: rendered.title,
    body: withDismissedLink(rendered.body, incident),
    draft: true,
    labels: [...(settings.labels ?? ['ai-ops']), ...verificationLabels(analysis.verification)],
  });
  return finishWithPr({ ctx, incident, pr: opened.pr, branch: head, resumed: opened.kind === 'existing' });
}

/** A new attempt after a person closed the previous PR unmerged says so, linking that PR. */
function withDismissedLink(body: string, incident: Incident): string {
  const closed = incident.dismissedPr;
  if (!closed) return body;
  return `${body}\n\n---\nAn earlier fix for this error ([#${closed.number}](${closed.url})) was closed without merging; the error has occurred again since.\n`;
}

async function checkSpendGuards({
  ctx,
  incident,
}: {
  ctx: RunContext;
  incident: Incident;
}): Promise<RepairOutcome | undefined> {
  const { deps, now } = ctx;
  const { settings, budget } = deps;
  const at = now();
  let reason: string | undefined;
  let retryAfter = at + 60 * 60 * 1000;
  if (!settings.repairsEnabled) {
    reason = 'repairs are switched off (kill switch): no model call was made';
  } else {
    const day = new Date(at).toISOString().slice(0, 10);
    const repoKey = `${incident.repo.owner}/${incident.repo.name}`;
    const reserved = await budget.reserve({
      repoKey,
      day,
      incidentKey: incident.incidentKey,
      cap: settings.dailyRepairCap,
    });
    if (!reserved) {
      reason = `the daily cap of ${settings.dailyRepairCap} repairs for ${repoKey} is reached: no model call was made`;
      retryAfter = Date.parse(`${day}T00:00:00Z`) + 24 * 60 * 60 * 1000;
    }
  }
  if (!reason) return undefined;
  await claimedTransition(ctx, incident, {
    to: 'skipped',
    set: { lastError: reason, retryAfter },
    release: true,
  });
  await announceStop({ ctx, incident, reason, at });
  return { kind: 'skipped', reason };
}

/**
 * Whether a repair that failed for good may be mailed: a broken token or an Anthropic outage
 * fails every incident alike, and the reviewers need to hear it a few times a day, not once per
 * incident. The budget's reservation is idempotent per incident (a redelivery keeps its place);
 * if it cannot be asked, the email goes out.
 */
async function mayMailFailure(ctx: RunContext, incident: Incident): Promise<boolean> {
  const { settings, budget } = ctx.deps;
  if (settings.reviewers.length === 0) return false;
  try {
    return await budget.reserve({
      repoKey: `${incident.repo.owner}/${incident.repo.name}#failed-notice`,
      day: new Date(ctx.now()).toISOString().slice(0, 10),
      incidentKey: incident.incidentKey,
      cap: MAX_FAILED_EMAILS_PER_DAY,
    });
  } catch {
    return true;
  }
}

/**
 * Tells the reviewers, once per repository and UTC day, that the kill switch or the daily cap
 * stopped repairs (the first incident stopped that day takes the day's one notice, through the
 * budget's idempotent reservation). Best effort: the stop itself is recorded already.
 */
async function announceStop({
  ctx,
  incident,
  reason,
  at,
}: {
  ctx: RunContext;
  incident: Incident;
  reason: string;
  at: number;
}): Promise<void> {
  const { settings, budget, mailer } = ctx.deps;
  if (settings.reviewers.length === 0) return;
  const day = new Date(at).toISOString().slice(0, 10);
  const repoKey = `${incident.repo.owner}/${incident.repo.name}`;
  try {
    const first = await budget.reserve({
      repoKey: `${repoKey}#stop-notice`,
      day,
      incidentKey: incident.incidentKey,
      cap: 1,
    });
    if (!first) return;
    const text = [
      `ai-ops stopped repairing errors in ${repoKey} on ${day}: ${reason}.`,
      '',
      `The first incident it left alone: ${incident.incidentKey} (${incident.sample.exceptionType}).`,
      'Errors are still recorded; repairs start again when the cap resets (the next UTC day) or the kill switch is turned back on.',
      'This is the only such email for this repository today.',
    ].join('\n');
    await mailer.send({
      to: settings.reviewers,
      from: settings.sender,
      subject: `[ai-ops] repairs stopped for ${repoKey} today`,
      text,
      html: `<p>${text.split('\n').filter(Boolean).map(escapeHtml).join('</p><p>')}</p>`,
      idempotencyKey: `${repoKey}#stop-notice#${day}`,
    });
  } catch {
    // A lost notice costs nothing but the notice; the incident says why it was skipped.
  }
}

/** A placement that found where the error is, and one that says why nothing could be found. */
const isPlaced = <T extends { kind: string } | undefined>(p: T): p is Extract<T, { kind: 'placed' }> =>
  p?.kind === 'placed';
const isUnplaced = <T extends { kind: string } | undefined>(p: T): p is Extract<T, { kind: 'unplaced' }> =>
  p?.kind === 'unplaced';

type Proposed =
  | { kind: 'applied'; incident: Incident; analysis: IncidentAnalysis }
  | Extract<RepairOutcome, { kind: 'no_fix' }>;

async function proposeAndApply({
  ctx,
  incident,
  branch,
}: {
  ctx: RunContext;
  incident: Incident;
  branch: string;
}): Promise<Proposed> {
  const { job, deps, progress } = ctx;
  const { settings, advisor, workspaces } = deps;
  const workspace = await workspaces.clone({ repo: incident.repo, branch: incident.repo.baseBranch });
  // A SyntaxError that names no file (Lambda's Runtime.UserCodeSyntaxError) is placed in the
  // script that fails to parse the same way, before the prompt is built around its frames.
  const placement = deps.syntax
    ? await placeSyntaxError({
        error: job.error,
        repo: workspace,
        pathPrefix: incident.repo.pathPrefix,
        checker: deps.syntax,
      })
    : undefined;
  // A Node.js 24 runtime that refused a callback handler is placed at the handler it refused.
  const handler = await placeCallbackHandler({
    error: job.error,
    repo: workspace,
    pathPrefix: incident.repo.pathPrefix,
  });
  // An error logged with no stack trace is placed at the statement that logged it, found by the
  // message's fixed text in the repository's source.
  const logSite =
    placement?.kind === 'placed' || handler.kind !== 'not_applicable'
      ? undefined
      : await placeLogSite({ error: job.error, repo: workspace, pathPrefix: incident.repo.pathPrefix });
  const placements = [placement, handler, logSite];
  const placed = placements.find(isPlaced);
  const error = placed?.error ?? job.error;
  if (placement?.kind === 'placed')
    progress('analysing', `the SyntaxError is in ${placement.paths.join(', ')}`);
  if (handler.kind === 'placed') progress('analysing', `the refused callback handler is ${handler.location}`);
  if (logSite?.kind === 'placed') progress('analysing', `the error was logged at ${logSite.location}`);
  const unplacedReason = placements.find(isUnplaced)?.reason;
  const prompt = await buildRepairPrompt({
    error,
    repo: workspace,
    pathPrefix: incident.repo.pathPrefix,
    ...(placed ? { findings: [placed.finding] } : {}),
  });
  const policy = settings.editPolicy ?? DEFAULT_EDIT_POLICY;
  const unplacedTrace = explainUnplacedTrace({ error, mappings: prompt.mappings, scope: policy.scope });
  const unplaced =
    policy.scope === 'trace'
      ? ((await explainHandlerLoadFailure({
          error,
          repo: workspace,
          pathPrefix: incident.repo.pathPrefix,
        })) ??
        (await explainAccessDenied({ error, repo: workspace })) ??
        (unplacedTrace && unplacedReason !== undefined
          ? `no fix was attempted: ${unplacedReason} (no model call was made)`
          : unplacedTrace))
      : undefined;
  if (unplaced) return closeWithoutModel({ ctx, incident, reason: unplaced });
  const mapped = prompt.mappings.filter((m) => m.kind === 'mapped').length;
  // a pip-installed service's report marks none of its frames as its own: where the repository's are
  const raisedIn = raisedInRepository(error.frames, prompt.mappings);
  progress(
    'analysing',
    `prompt ~${prompt.estimatedTokens} tokens, ${mapped}/${prompt.mappings.length} frames mapped to files`,
  );

  let advice: AdviceResult = await advisor.advise({
    system: prompt.system,
    prompt: prompt.prompt,
    repo: workspace,
  });
  let rejections: EditRejection[] = [];
  let lastProposal: AdviceProposal | undefined;
  for (let round = 0; round < 2 && isProposal(advice); round++) {
    lastProposal = advice;
    const outcome = await applyFixProposal({
      proposal: advice.proposal,
      repo: workspace,
      implicatedPaths: prompt.implicatedPaths,
      languages: traceLanguages(error),
      policy,
      ...(deps.syntax ? { syntax: deps.syntax } : {}),
      ...(placement?.kind === 'placed' ? { mustParse: new Set(placement.paths) } : {}),
    });
    if (outcome.kind === 'applied') {
      const proposal = advice.proposal;
      progress('proposed', proposal.title);
      let costUsd = incident.costUsd + advice.usage.costUsd;
      let analysis: IncidentAnalysis = {
        title: proposal.title,
        rootCause: proposal.rootCause,
        explanation: proposal.explanation,
        confidence: proposal.confidence,
        changes: outcome.files.map((f) => ({ path: f.path, additions: f.added, deletions: f.removed })),
        model: settings.model,
        notes: advice.analysis,
        ...(placed ? { location: placed.location } : {}),
        ...(raisedIn ? { raisedIn } : {}),
      };
      for (const file of outcome.files) await workspace.writeFile(file.path, file.after);
      const rendered = renderPullRequest({
        incident,
        error: incident.sample,
        proposal,
        changes: analysis.changes,
        model: { name: settings.model, costUsd },
        ...(settings.webHost ? { webHost: settings.webHost } : {}),
        ...(analysis.location ? { location: analysis.location } : {}),
        ...(analysis.raisedIn ? { raisedIn: analysis.raisedIn } : {}),
      });
      const commit = await workspace.commit({
        branch,
        message: rendered.commitMessage,
        author: settings.bot,
      });
      // ── Issue #12, local verification: the tests on the committed fix, before anything is pushed.
      if (deps.verifier) {
        const verified = await verifyFix({
          verifier: deps.verifier,
          workspace,
          branch,
          commit,
          incident,
          analysis,
          changed: outcome.files,
          advisor,
          policy,
          bot: settings.bot,
          syntax: deps.syntax,
          onProgress: (detail) => progress('proposed', detail),
        });
        analysis = verified.analysis;
        costUsd += verified.costUsd;
      }
      // ── end of the verification hook
      // Recorded before the push: a job that dies after pushing finds the analysis and the branch
      // and opens the PR without a second model call (or a push that the remote would refuse as
      // not a fast-forward). One that dies before finds no branch and asks the model again.
      // The same write is the fencing check of the push: a stale worker stops here.
      const set = { analysis, branch, costUsd };
      await claimedTransition(ctx, incident, { to: 'analyzing', set });
      // Idempotent (a put of the same key): a retried job links again harmlessly. It lives as long as the incident.
      await deps.branchLinks?.link({
        repo: incident.repo,
        branch,
        incidentKey: incident.incidentKey,
        ttl: incident.ttl,
      });
      await workspace.push({ branch });
      return { kind: 'applied', incident: { ...incident, ...set }, analysis };
    }
    rejections = outcome.rejections;
    if (round === 0) advice = await advice.reject(describeRejections(rejections));
  }

  const usage: ModelUsage = advice.usage;
  const reason = isProposal(advice)
    ? `the proposed fix was rejected twice by the edit policy: ${describeRejections(rejections)}`
    : rejections.length > 0
      ? `the proposed fix was rejected by the edit policy (${describeRejections(rejections)}), and no acceptable revision followed`
      : `no fix was proposed (${advice.reason}): ${advice.detail}`;
  const analysis: IncidentAnalysis = {
    title: `No safe fix for ${incident.sample.exceptionType}`,
    rootCause: lastProposal?.proposal.rootCause ?? '',
    explanation: lastProposal?.proposal.explanation ?? '',
    confidence: 'low',
    changes: [],
    model: settings.model,
    notes: advice.analysis,
    ...(raisedIn ? { raisedIn } : {}),
  };
  const costUsd = incident.costUsd + usage.costUsd;
  const pendingEmail = outboxEntry(ctx, incident, 'no_fix');
  await claimedTransition(ctx, incident, {
    to: 'no_fix',
    set: { analysis, lastError: reason, costUsd, pendingEmail },
    release: pendingEmail === undefined,
  });
  const done: Incident = { ...incident, status: 'no_fix', analysis, lastError: reason, costUsd };
  if (pendingEmail)
    await deliverPendingEmail({ ...ctx, incident: { ...done, pendingEmail, lease: ctx.claim.lease } });
  return { kind: 'no_fix', reason };
}

/** Ends the attempt as no_fix with `reason` recorded and mailed, before any model call. */
async function closeWithoutModel({
  ctx,
  incident,
  reason,
}: {
  ctx: RunContext;
  incident: Incident;
  reason: string;
}): Promise<Extract<RepairOutcome, { kind: 'no_fix' }>> {
  const analysis: IncidentAnalysis = {
    title: `No fix attempted for ${incident.sample.exceptionType}`,
    rootCause: '',
    explanation: reason,
    confidence: 'low',
    changes: [],
    model: ctx.deps.settings.model,
    notes: reason,
  };
  const pendingEmail = outboxEntry(ctx, incident, 'no_fix');
  await claimedTransition(ctx, incident, {
    to: 'no_fix',
    set: { analysis, lastError: reason, pendingEmail },
    release: pendingEmail === undefined,
  });
  const done: Incident = { ...incident, status: 'no_fix', analysis, lastError: reason };
  if (pendingEmail)
    await deliverPendingEmail({ ...ctx, incident: { ...done, pendingEmail, lease: ctx.claim.lease } });
  return { kind: 'no_fix', reason };
}

async function finishWithPr({
  ctx,
  incident,
  pr,
  branch,
  resumed,
}: {
  ctx: RunContext;
  incident: Incident;
  pr: PullRequest;
  branch: string;
  resumed: boolean;
}): Promise<RepairOutcome> {
  const { progress, now } = ctx;
  const pendingEmail = outboxEntry(ctx, incident, 'pr_open');
  const set = { prUrl: pr.url, prNumber: pr.number, prOpenedAt: now(), branch, pendingEmail };
  // The outcome and the email it owes are recorded together (the outbox); the lease is kept
  // until the email is out, so a crash in between leaves it to the next delivery or the sweep.
  await claimedTransition(ctx, incident, { to: 'pr_open', set, release: pendingEmail === undefined });
  progress('pr', pr.url);
  const open: Incident = { ...incident, ...set, status: 'pr_open' };
  if (pendingEmail) {
    await deliverPendingEmail({ ...ctx, incident: { ...open, pendingEmail, lease: ctx.claim.lease } });
    progress('emailed');
  }
  return { kind: 'pr_open', pr: { number: pr.number, url: pr.url }, branch, resumed };
}

/**
 * A write of the attempt that holds the claim, renewing its lease (or releasing it with
 * `release`); throws ClaimLostError when another attempt took the incident over.
 */
async function claimedTransition(
  ctx: Pick<RunContext, 'deps' | 'claim' | 'now' | 'leaseMs'>,
  incident: Pick<Incident, 'incidentKey' | 'status'>,
  change: Pick<TransitionInput, 'to' | 'set'> & { release?: boolean },
): Promise<void> {
  const { deps, claim, now, leaseMs } = ctx;
  const renewed = renewedLease(claim, now() + leaseMs);
  const done = await deps.store.transition({
    incidentKey: incident.incidentKey,
    from: incident.status,
    to: change.to,
    expectAttempts: claim.attempts,
    expectLease: claim.lease,
    set: { ...change.set, lease: change.release ? undefined : renewed },
  });
  if (!done) throw new ClaimLostError(incident.incidentKey);
  claim.lease = renewed;
}

/** The claim's lease moved on to `until`, and always forward, so the fencing check tells writes apart. */
function renewedLease(claim: Claim, until: number): Lease {
  return { owner: claim.owner, until: Math.max(until, claim.lease.until + 1) };
}

function prOutcome(incident: Incident, resumed: boolean): RepairOutcome {
  return {
    kind: 'pr_open',
    pr: { number: incident.prNumber ?? 0, url: incident.prUrl ?? '' },
    branch: incident.branch ?? '',
    resumed,
  };
}

/** The outbox entry an outcome records, or undefined when nobody is to be mailed. */
function outboxEntry(
  ctx: Pick<RunContext, 'deps' | 'now'>,
  incident: Incident,
  status: 'pr_open' | 'no_fix' | 'failed',
): Incident['pendingEmail'] {
  if (ctx.deps.settings.reviewers.length === 0) return undefined;
  // Stable for this outcome of this attempt: a resend carries the same Message-ID.
  return { key: `${incident.incidentKey}#${status}#${incident.attempts}`, recordedAt: ctx.now(), tries: 0 };
}

function outcomeEmail(deps: RepairDeps, incident: Incident): RenderedEmail {
  const link = deps.settings.incidentLink?.(incident.incidentKey);
  const common = { incident, ...(link ? { incidentUrl: link } : {}) };
  if (incident.status === 'pr_open' && incident.prUrl)
    return renderFixEmail({
      ...common,
      pr: { url: incident.prUrl, number: incident.prNumber ?? 0, draft: true },
      ...(deps.settings.followUp ? { followUp: deps.settings.followUp } : {}),
    });
  const reason = incident.lastError ? { reason: incident.lastError } : {};
  if (incident.status === 'failed')
    return renderFailedEmail({ ...common, ...reason, attempts: incident.attempts });
  return renderNoFixEmail({ ...common, ...reason });
}

/** Failed sends of one outcome email before the outbox gives up on it (and says so in lastError). */
export const MAX_EMAIL_TRIES = 8;

/**
 * The outbox's send step, run by the lease holder: renew (the fencing check), send, then mark it
 * sent. At least once: a crash after the mail service accepted it and before the mark sends it
 * again, with the same Message-ID (derived from the entry's key), so a repeat is recognisable.
 * A failed send keeps the entry and releases the lease: the retry, the next delivery or the
 * sweep sends it.
 */
async function deliverPendingEmail(
  ctx: Pick<RunContext, 'deps' | 'claim' | 'now' | 'leaseMs'> & { incident: Incident },
): Promise<void> {
  const { deps, incident } = ctx;
  const entry = incident.pendingEmail;
  if (!entry) return;
  await claimedTransition(ctx, incident, { to: incident.status });
  const email = outcomeEmail(deps, incident);
  try {
    await deps.mailer.send({
      to: deps.settings.reviewers,
      from: deps.settings.sender,
      subject: email.subject,
      html: email.html,
      text: email.text,
      idempotencyKey: entry.key,
    });
  } catch (error: unknown) {
    const tries = entry.tries + 1;
    const giveUp = !(deps.isRetryable ?? isRetryableRepairError)(error) || tries >= MAX_EMAIL_TRIES;
    const message = error instanceof Error ? error.message : String(error);
    await claimedTransition(ctx, incident, {
      to: incident.status,
      set: giveUp
        ? { pendingEmail: undefined, lastError: `the email could not be sent: ${message}`.slice(0, 1000) }
        : { pendingEmail: { ...entry, tries } },
      release: true,
    });
    if (giveUp) return;
    throw error;
  }
  await claimedTransition(ctx, incident, {
    to: incident.status,
    set: { pendingEmail: undefined, emailedAt: ctx.now() },
    release: true,
  });
}
