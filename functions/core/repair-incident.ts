import { buildRepairPrompt } from './build-repair-prompt.ts';
import type { Incident, IncidentAnalysis, RepairJob, RepoRef } from './contracts.ts';
import { applyFixProposal, DEFAULT_EDIT_POLICY, type EditPolicy, type EditRejection } from './edit-policy.ts';
import { type AdviceResult, type FixAdvisor, isProposal } from './fix-advisor.ts';
import type { IncidentStore } from './incident-store.ts';
import type { Mailer } from './mailer.ts';
import type { GitIdentity, ModelUsage, RepoWorkspace } from './ports.ts';
import type { PullRequest, PullRequests } from './pull-requests.ts';
import { type RenderedEmail, renderFixEmail, renderNoFixEmail } from './render-email.ts';
import { renderBranchName, renderPullRequest } from './render-pull-request.ts';

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

const CLAIMABLE = new Set<Incident['status']>(['new', 'queued', 'analyzing', 'failed']);

/**
 * The analyzer's use case: one repair job → at most one branch, one draft PR and one email.
 * Every external step is idempotent or recorded before the next, so a redelivered job resumes.
 */
export async function repairIncident(job: RepairJob, deps: RepairDeps): Promise<RepairOutcome> {
  const { store, now = Date.now } = deps;
  const progress = (stage: RepairStage, detail?: string) =>
    deps.onProgress?.({ incidentKey: job.incidentKey, stage, ...(detail ? { detail } : {}) });

  let incident = await store.get(job.incidentKey);
  if (!incident) return { kind: 'ignored', reason: 'unknown_incident' };
  if (incident.status === 'pr_open' && incident.emailedAt === undefined && incident.prUrl) {
    // Crashed between opening the PR and sending the email: finish the one step left.
    await sendOnce(deps, incident, () => fixEmail(deps, incident as Incident));
    return prOutcome(incident, true);
  }
  if (!CLAIMABLE.has(incident.status))
    return { kind: 'ignored', reason: 'already_done', status: incident.status };

  const claimed = await store.transition({
    incidentKey: incident.incidentKey,
    from: incident.status,
    to: 'analyzing',
    expectAttempts: incident.attempts,
    set: { attempts: incident.attempts + 1 },
  });
  if (!claimed) return { kind: 'ignored', reason: 'claimed_elsewhere' };
  incident = { ...incident, status: 'analyzing', attempts: incident.attempts + 1 };

  try {
    return await runRepair({ job, incident, deps, progress, now });
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    await store.transition({
      incidentKey: incident.incidentKey,
      from: 'analyzing',
      to: 'failed',
      set: { lastError: message.slice(0, 1000) },
    });
    if (isRetryableRepairError(error)) throw error;
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

  const pushed = incident.analysis ? await workspaces.remoteBranchHead({ repo, branch }) : undefined;
  if (!pushed || !incident.analysis) {
    const guard = await checkSpendGuards({ incident, deps, now });
    if (guard) return guard;
    progress('analysing');
    const proposed = await proposeAndApply({ job, incident, deps, branch });
    if (proposed.kind === 'no_fix') return proposed;
    incident = proposed.incident;
    progress('pushed', branch);
  }

  const analysis = incident.analysis as IncidentAnalysis;
  const rendered = renderPullRequest({
    incident,
    error: incident.sample,
    proposal: analysis,
    changes: analysis.changes,
    model: { name: analysis.model, costUsd: incident.costUsd },
  });
  const opened = await pullRequests.open({
    repo,
    head: branch,
    base: repo.baseBranch,
    title: rendered.title,
    body: rendered.body,
    draft: true,
    labels: settings.labels ?? ['ai-ops'],
  });
  return finishWithPr({
    incident,
    pr: opened.pr,
    branch,
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
  const { settings, store, budget } = deps;
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
  await store.transition({
    incidentKey: incident.incidentKey,
    from: 'analyzing',
    to: 'skipped',
    set: { lastError: reason, retryAfter },
  });
  return { kind: 'skipped', reason };
}

type Proposed = { kind: 'applied'; incident: Incident } | Extract<RepairOutcome, { kind: 'no_fix' }>;

async function proposeAndApply({
  job,
  incident,
  deps,
  branch,
}: {
  job: RepairJob;
  incident: Incident;
  deps: RepairDeps;
  branch: string;
}): Promise<Proposed> {
  const { store, settings, advisor, workspaces } = deps;
  const workspace = await workspaces.clone({ repo: incident.repo, branch: incident.repo.baseBranch });
  const prompt = await buildRepairPrompt({
    error: job.error,
    repo: workspace,
    pathPrefix: incident.repo.pathPrefix,
  });
  const policy = settings.editPolicy ?? DEFAULT_EDIT_POLICY;

  let advice: AdviceResult = await advisor.advise({
    system: prompt.system,
    prompt: prompt.prompt,
    repo: workspace,
  });
  let rejections: EditRejection[] = [];
  for (let round = 0; round < 2 && isProposal(advice); round++) {
    const outcome = await applyFixProposal({
      proposal: advice.proposal,
      repo: workspace,
      implicatedPaths: prompt.implicatedPaths,
      policy,
    });
    if (outcome.kind === 'applied') {
      const proposal = advice.proposal;
      const analysis: IncidentAnalysis = {
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
        model: { name: settings.model, costUsd: incident.costUsd + advice.usage.costUsd },
      });
      await workspace.commit({ branch, message: rendered.commitMessage, author: settings.bot });
      await workspace.push({ branch });
      // Recorded only once the branch is on the remote: a resumed job that finds both needs no model call.
      const set = { analysis, branch, costUsd: incident.costUsd + advice.usage.costUsd };
      await store.transition({ incidentKey: incident.incidentKey, from: 'analyzing', to: 'analyzing', set });
      return { kind: 'applied', incident: { ...incident, ...set } };
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
    rootCause: isProposal(advice) ? advice.proposal.rootCause : '',
    explanation: isProposal(advice) ? advice.proposal.explanation : '',
    confidence: 'low',
    changes: [],
    model: settings.model,
    notes: advice.analysis,
  };
  const costUsd = incident.costUsd + usage.costUsd;
  await store.transition({
    incidentKey: incident.incidentKey,
    from: 'analyzing',
    to: 'no_fix',
    set: { analysis, lastError: reason, costUsd },
  });
  const done = { ...incident, status: 'no_fix' as const, analysis, lastError: reason, costUsd };
  await sendOnce(deps, done, () => renderNoFixEmail(emailInput(deps, done, undefined, reason)));
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
  const set = { prUrl: pr.url, prNumber: pr.number, branch };
  await deps.store.transition({ incidentKey: incident.incidentKey, from: 'analyzing', to: 'pr_open', set });
  progress('pr', pr.url);
  const open: Incident = { ...incident, ...set, status: 'pr_open' };
  await sendOnce(deps, open, () => fixEmail(deps, open));
  progress('emailed');
  return { kind: 'pr_open', pr: { number: pr.number, url: pr.url }, branch, resumed };
}

function prOutcome(incident: Incident, resumed: boolean): RepairOutcome {
  return {
    kind: 'pr_open',
    pr: { number: incident.prNumber ?? 0, url: incident.prUrl ?? '' },
    branch: incident.branch ?? '',
    resumed,
  };
}

function fixEmail(deps: RepairDeps, incident: Incident): RenderedEmail {
  return renderFixEmail(emailInput(deps, incident, incident.prUrl, undefined));
}

function emailInput(
  deps: RepairDeps,
  incident: Incident,
  prUrl: string | undefined,
  reason: string | undefined,
) {
  const link = deps.settings.incidentLink?.(incident.incidentKey);
  return {
    incident,
    ...(prUrl ? { pr: { url: prUrl, number: incident.prNumber ?? 0 } } : {}),
    ...(link ? { incidentUrl: link } : {}),
    ...(reason ? { reason } : {}),
  };
}

/**
 * Sends the outcome email at most once: the incident records the send first, so a redelivered
 * job never mails twice; a failed send clears the mark so the retry sends it.
 */
async function sendOnce(deps: RepairDeps, incident: Incident, render: () => RenderedEmail): Promise<void> {
  if (incident.emailedAt !== undefined || deps.settings.reviewers.length === 0) return;
  const { store, mailer, settings, now = Date.now } = deps;
  const marked = await store.transition({
    incidentKey: incident.incidentKey,
    from: incident.status,
    to: incident.status,
    set: { emailedAt: now() },
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
      set: { emailedAt: undefined },
    });
    throw error;
  }
}

function describeRejections(rejections: readonly EditRejection[]): string {
  return rejections.map((r) => `${r.code}: ${r.message}`).join('; ');
}
