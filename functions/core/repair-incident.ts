import type { BranchLinks } from './branch-links.ts';
import { buildRepairPrompt } from './build-repair-prompt.ts';
import type { Incident, IncidentAnalysis, RepairJob, RepoRef } from './contracts.ts';
import {
  applyFixProposal,
  DEFAULT_EDIT_POLICY,
  type EditPolicy,
  type EditRejection,
  traceLanguages,
} from './edit-policy.ts';
import { explainUnplacedTrace } from './explain-unplaced-trace.ts';
import {
  type AdviceProposal,
  type AdviceResult,
  type FixAdvisor,
  isProposal,
  ModelUnavailableError,
} from './fix-advisor.ts';
import type { FixVerifier } from './fix-verifier.ts';
import type { IncidentStore, TransitionInput } from './incident-store.ts';
import type { Mailer } from './mailer.ts';
import type { GitIdentity, ModelUsage, RepoWorkspace } from './ports.ts';
import type { PullRequest, PullRequests } from './pull-requests.ts';
import { type FollowUpMode, type RenderedEmail, renderFixEmail, renderNoFixEmail } from './render-email.ts';
import { renderBranchName, renderPullRequest } from './render-pull-request.ts';
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
  /** progress for people (the one-machine runner's status line) and logs */
  onProgress?: (event: { incidentKey: string; stage: RepairStage; detail?: string }) => void;
}

export type RepairStage = 'analysing' | 'proposed' | 'pushed' | 'pr' | 'emailed';

export type RepairOutcome =
  | {
      kind: 'ignored';
      reason: 'unknown_incident' | 'already_done' | 'claimed_elsewhere';
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
} as const;

function withoutPreviousLife(incident: Incident): Incident {
  const { analysis, branch, prUrl, prNumber, prOpenedAt, emailedAt, retryAfter, lastError, ...rest } =
    incident;
  return rest;
}

/** The outcome is decided but its email is not out yet: the one step a redelivery still owes. */
const EMAIL_PENDING = new Set<Incident['status']>(['pr_open', 'no_fix']);

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
  if (EMAIL_PENDING.has(incident.status) && needsEmail(deps, incident)) {
    // Crashed between deciding the outcome and mailing it: finish the one step left.
    const pending = incident;
    await sendOnce(deps, pending, () => outcomeEmail(deps, pending));
    return pending.status === 'pr_open'
      ? prOutcome(pending, true)
      : { kind: 'no_fix', reason: pending.lastError ?? 'no fix' };
  }
  if (!CLAIMABLE.has(incident.status))
    return { kind: 'ignored', reason: 'already_done', status: incident.status };

  // The claim: a compare-and-set on the attempt count. Every later write of this attempt
  // expects this count, so an attempt that lost its claim to a redelivery cannot overwrite it.
  const claimed = await store.transition({
    incidentKey: incident.incidentKey,
    from: incident.status,
    to: 'analyzing',
    expectAttempts: incident.attempts,
    set: { attempts: incident.attempts + 1, ...(FRESH.has(incident.status) ? FORGET_PREVIOUS_LIFE : {}) },
  });
  if (!claimed) return { kind: 'ignored', reason: 'claimed_elsewhere' };
  incident = {
    ...(FRESH.has(incident.status) ? withoutPreviousLife(incident) : incident),
    status: 'analyzing',
    attempts: incident.attempts + 1,
  };

  try {
    return await runRepair({ job, incident, deps, progress, now });
  } catch (error: unknown) {
    if (error instanceof ClaimLostError) return { kind: 'ignored', reason: 'claimed_elsewhere' };
    const message = error instanceof Error ? error.message : String(error);
    // A model call that failed still cost what it spent before failing.
    const spent = error instanceof ModelUnavailableError ? (error.usage?.costUsd ?? 0) : 0;
    const latest = (await store.get(incident.incidentKey)) ?? incident;
    await store.transition({
      incidentKey: incident.incidentKey,
      from: 'analyzing',
      to: 'failed',
      expectAttempts: incident.attempts,
      set: { lastError: message.slice(0, 1000), costUsd: latest.costUsd + spent },
    });
    if (isRetryable(error)) throw error;
    return { kind: 'failed', reason: message };
  }
}

async function runRepair({
  job,
  incident,
  deps,
  progress,
  now,
}: {
  job: RepairJob;
  incident: Incident;
  deps: RepairDeps;
  progress: (stage: RepairStage, detail?: string) => void;
  now: () => number;
}): Promise<RepairOutcome> {
  const { settings, workspaces, pullRequests } = deps;
  const repo = incident.repo;
  const branch =
    incident.branch ?? renderBranchName({ error: incident.sample, fingerprint: incident.fingerprint });

  // A previous attempt may have gone as far as the PR: find it rather than open another.
  const existing = await pullRequests.findOpen({ repo, branch });
  if (existing && incident.analysis)
    return finishWithPr({ incident, pr: existing, branch, deps, progress, resumed: true });

  const remoteHead = await workspaces.remoteBranchHead({ repo, branch });
  let analysis = remoteHead ? incident.analysis : undefined;
  if (!analysis) {
    const guard = await checkSpendGuards({ incident, deps, now });
    if (guard) return guard;
    progress('analysing');
    // A branch of that name left by an earlier life of the incident (a merged fix that came
    // back) is not ours to move: push the new fix beside it.
    const target = remoteHead ? `${branch}-${incident.attempts}` : branch;
    const proposed = await proposeAndApply({ job, incident, deps, branch: target, progress });
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
  });
  const opened = await pullRequests.open({
    repo,
    head,
    base: repo.baseBranch,
    title: rendered.title,
    body: rendered.body,
    draft: true,
    labels: [...(settings.labels ?? ['ai-ops']), ...verificationLabels(analysis.verification)],
  });
  return finishWithPr({
    incident,
    pr: opened.pr,
    branch: head,
    deps,
    progress,
    resumed: opened.kind === 'existing',
  });
}

async function checkSpendGuards({
  incident,
  deps,
  now,
}: {
  incident: Incident;
  deps: RepairDeps;
  now: () => number;
}): Promise<RepairOutcome | undefined> {
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
  await claimedTransition(deps, incident, { to: 'skipped', set: { lastError: reason, retryAfter } });
  return { kind: 'skipped', reason };
}

type Proposed =
  | { kind: 'applied'; incident: Incident; analysis: IncidentAnalysis }
  | Extract<RepairOutcome, { kind: 'no_fix' }>;

async function proposeAndApply({
  job,
  incident,
  deps,
  branch,
  progress,
}: {
  job: RepairJob;
  incident: Incident;
  deps: RepairDeps;
  branch: string;
  progress: (stage: RepairStage, detail?: string) => void;
}): Promise<Proposed> {
  const { settings, advisor, workspaces } = deps;
  const workspace = await workspaces.clone({ repo: incident.repo, branch: incident.repo.baseBranch });
  const prompt = await buildRepairPrompt({
    error: job.error,
    repo: workspace,
    pathPrefix: incident.repo.pathPrefix,
  });
  const policy = settings.editPolicy ?? DEFAULT_EDIT_POLICY;
  const unplaced = explainUnplacedTrace({ error: job.error, mappings: prompt.mappings, scope: policy.scope });
  if (unplaced) return closeWithoutModel({ incident, deps, reason: unplaced });
  const mapped = prompt.mappings.filter((m) => m.kind === 'mapped').length;
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
      languages: traceLanguages(job.error),
      policy,
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
      };
      for (const file of outcome.files) await workspace.writeFile(file.path, file.after);
      const rendered = renderPullRequest({
        incident,
        error: incident.sample,
        proposal,
        changes: analysis.changes,
        model: { name: settings.model, costUsd },
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
          onProgress: (detail) => progress('proposed', detail),
        });
        analysis = verified.analysis;
        costUsd += verified.costUsd;
      }
      // ── end of the verification hook
      // Recorded before the push: a job that dies after pushing finds the analysis and the branch
      // and opens the PR without a second model call (or a push that the remote would refuse as
      // not a fast-forward). One that dies before finds no branch and asks the model again.
      const set = { analysis, branch, costUsd };
      await claimedTransition(deps, incident, { to: 'analyzing', set });
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
  };
  const costUsd = incident.costUsd + usage.costUsd;
  await claimedTransition(deps, incident, { to: 'no_fix', set: { analysis, lastError: reason, costUsd } });
  const done: Incident = { ...incident, status: 'no_fix', analysis, lastError: reason, costUsd };
  await sendOnce(deps, done, () => outcomeEmail(deps, done));
  return { kind: 'no_fix', reason };
}

/** Ends the attempt as no_fix with `reason` recorded and mailed, before any model call. */
async function closeWithoutModel({
  incident,
  deps,
  reason,
}: {
  incident: Incident;
  deps: RepairDeps;
  reason: string;
}): Promise<Extract<RepairOutcome, { kind: 'no_fix' }>> {
  const analysis: IncidentAnalysis = {
    title: `No fix attempted for ${incident.sample.exceptionType}`,
    rootCause: '',
    explanation: reason,
    confidence: 'low',
    changes: [],
    model: deps.settings.model,
    notes: reason,
  };
  await claimedTransition(deps, incident, { to: 'no_fix', set: { analysis, lastError: reason } });
  const done: Incident = { ...incident, status: 'no_fix', analysis, lastError: reason };
  await sendOnce(deps, done, () => outcomeEmail(deps, done));
  return { kind: 'no_fix', reason };
}

async function finishWithPr({
  incident,
  pr,
  branch,
  deps,
  progress,
  resumed,
}: {
  incident: Incident;
  pr: PullRequest;
  branch: string;
  deps: RepairDeps;
  progress: (stage: RepairStage, detail?: string) => void;
  resumed: boolean;
}): Promise<RepairOutcome> {
  const now = deps.now ?? Date.now;
  const set = { prUrl: pr.url, prNumber: pr.number, prOpenedAt: now(), branch };
  await claimedTransition(deps, incident, { to: 'pr_open', set });
  progress('pr', pr.url);
  const open: Incident = { ...incident, ...set, status: 'pr_open' };
  await sendOnce(deps, open, () => outcomeEmail(deps, open));
  progress('emailed');
  return { kind: 'pr_open', pr: { number: pr.number, url: pr.url }, branch, resumed };
}

/** A write of the attempt that holds the claim; throws ClaimLostError when another attempt took it. */
async function claimedTransition(
  deps: RepairDeps,
  incident: Incident,
  change: Pick<TransitionInput, 'to' | 'set'>,
): Promise<void> {
  const done = await deps.store.transition({
    incidentKey: incident.incidentKey,
    from: incident.status,
    expectAttempts: incident.attempts,
    ...change,
  });
  if (!done) throw new ClaimLostError(incident.incidentKey);
}

function prOutcome(incident: Incident, resumed: boolean): RepairOutcome {
  return {
    kind: 'pr_open',
    pr: { number: incident.prNumber ?? 0, url: incident.prUrl ?? '' },
    branch: incident.branch ?? '',
    resumed,
  };
}

function needsEmail(deps: RepairDeps, incident: Incident): boolean {
  return incident.emailedAt === undefined && deps.settings.reviewers.length > 0;
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
  return renderNoFixEmail({ ...common, ...(incident.lastError ? { reason: incident.lastError } : {}) });
}

/**
 * Sends the outcome email at most once: the incident records the send first, so a redelivered
 * job never mails twice; a failed send clears the mark so the retry sends it. The mark also
 * bumps the attempt count, so of two deliveries racing to mail only one wins the write.
 */
async function sendOnce(deps: RepairDeps, incident: Incident, render: () => RenderedEmail): Promise<void> {
  if (!needsEmail(deps, incident)) return;
  const { store, mailer, settings, now = Date.now } = deps;
  const marked = await store.transition({
    incidentKey: incident.incidentKey,
    from: incident.status,
    to: incident.status,
    expectAttempts: incident.attempts,
    set: { emailedAt: now(), attempts: incident.attempts + 1 },
  });
  if (!marked) return;
  const email = render();
  try {
    await mailer.send({
      to: settings.reviewers,
      from: settings.sender,
      subject: email.subject,
      html: email.html,
      text: email.text,
      idempotencyKey: `${incident.incidentKey}#${incident.status}`,
    });
  } catch (error: unknown) {
    await store.transition({
      incidentKey: incident.incidentKey,
      from: incident.status,
      to: incident.status,
      expectAttempts: incident.attempts + 1,
      set: { emailedAt: undefined },
    });
    throw error;
  }
}

function describeRejections(rejections: readonly EditRejection[]): string {
  return rejections.map((r) => `${r.code}: ${r.message}`).join('; ');
}
