import { join } from 'node:path';
import { makeAnthropicFixAdvisor } from '../../adapters/anthropic-fix-advisor.ts';
import { GitTransientError } from '../../adapters/git-workspace.ts';
import { makeGitWorkspaces } from '../../adapters/git-workspaces.ts';
import { makeNodeSyntaxChecker } from '../../adapters/node-syntax-checker.ts';
import { createOctokitCodeHost } from '../../adapters/octokit-code-host.ts';
import { createOctokitPullRequests } from '../../adapters/octokit-pull-requests.ts';
import { OutboxMailer } from '../../adapters/outbox-mailer.ts';
import { SesMailer } from '../../adapters/ses-mailer.ts';
import { SmtpMailer } from '../../adapters/smtp-mailer.ts';
import type { SqliteDatabase } from '../../adapters/sqlite-incident-store.ts';
import { SqliteRepairBudget } from '../../adapters/sqlite-repair-budget.ts';
import type { RepairJob, RepoRef } from '../../core/contracts.ts';
import { decideOccurrence } from '../../core/detect/record-errors.ts';
import type { FollowUpDeps } from '../../core/follow-up/follow-up-deps.ts';
import { announceRegression } from '../../core/follow-up/record-merge.ts';
import { refreshPullRequest } from '../../core/follow-up/refresh-pull-request.ts';
import type { FixAdvisor } from '../../core/ports/fix-advisor.ts';
import type { IncidentStore } from '../../core/ports/incident-store.ts';
import type { Mailer } from '../../core/ports/mailer.ts';
import {
  isRetryableRepairError,
  type RepairDeps,
  type RepairOutcome,
  repairIncident,
  requestedRetryAt,
} from '../../core/repair/repair-incident.ts';
import { type JobUseCases, runJob } from '../../core/run-job.ts';
import { webHostOfApiUrl } from '../../core/text/scrub-prose.ts';
import type { LocalConfig } from '../commands/local-config.ts';
import type { WatchDeps } from '../commands/watch-command.ts';
import { recordLocalError } from '../follow/record-local-error.ts';
import { makeCommandFixVerifier } from './command-fix-verifier.ts';
import { dryRunPullRequests, dryRunWorkspaces } from './dry-run.ts';
import {
  type HandledError,
  type HandleError,
  type HandleErrorContext,
  UNCONFIGURED_REPO,
  type WorkOutcome,
} from './handle-error.ts';
import type { SweepSource } from './local-sweep.ts';
import { isLocalLeaseAbandoned, makeLocalLeaseOwner } from './process-lease.ts';

export const BOT_IDENTITY = { name: 'ai-ops[bot]', email: 'ai-ops-bot@users.noreply.github.com' };

/** What a finished repair means for `--once`'s exit status and the summary line. */
export function toWorkOutcome(outcome: RepairOutcome): WorkOutcome {
  switch (outcome.kind) {
    case 'pr_open':
      return { kind: 'succeeded', detail: outcome.pr.url };
    case 'no_fix':
      return { kind: 'nothing_to_do', detail: `no safe fix: ${outcome.reason}` };
    case 'skipped':
      return { kind: 'nothing_to_do', detail: outcome.reason };
    case 'ignored':
      return { kind: 'nothing_to_do', detail: outcome.reason };
    case 'failed':
      return { kind: 'failed', detail: outcome.reason };
  }
}

/** Runs one job to its outcome; what the watcher and the local sweep share (one concurrency limit). */
export type RepairRunner = (job: RepairJob, report: HandleErrorContext['report']) => Promise<WorkOutcome>;

/**
 * The in-process queue's worker: bounded concurrency, retries for retryable failures, and like
 * the analyzer `beforeRepair` (the regression announcement) ahead of a `repair` job.
 */
export function makeRepairRunner({
  repairDeps,
  beforeRepair,
  concurrency = 2,
  maxAttempts = 3,
  retryDelayMs = (attempt: number) => 1000 * 2 ** (attempt - 1),
  maxWaitMs = 60_000,
  now = Date.now,
}: {
  repairDeps: RepairDeps;
  beforeRepair?: (job: RepairJob) => Promise<{ proceed: boolean }>;
  concurrency?: number;
  maxAttempts?: number;
  retryDelayMs?: (attempt: number) => number;
  /** the longest wait for a retry in this run; a service asking for longer is left to the resume */
  maxWaitMs?: number;
  now?: () => number;
}): RepairRunner {
  const limit = makeLimiter(concurrency);

  const run = async (job: RepairJob, report: HandleErrorContext['report']): Promise<WorkOutcome> => {
    const deps: RepairDeps = {
      ...repairDeps,
      onProgress: ({ incidentKey, stage, detail }) =>
        report({ incidentKey, stage, ...(detail ? { detail } : {}) }),
    };
    // Built once per job (its progress goes to this job's report) over adapters built once per run.
    const useCases: JobUseCases = {
      repair: (repairJob) => repairIncident(repairJob, deps),
      ...(beforeRepair ? { beforeRepair } : {}),
      recurrence: (recurrenceJob) => refreshPullRequest(recurrenceJob, deps),
    };
    for (let attempt = 1; ; attempt++) {
      try {
        // Safe to repeat on a retry: the regression announcement is idempotent.
        const ran = await runJob(job, useCases);
        switch (ran.kind) {
          case 'claimed_elsewhere':
            return { kind: 'nothing_to_do', detail: 'claimed_elsewhere' };
          case 'followed_up':
            return { kind: 'nothing_to_do', detail: ran.outcome.kind };
          case 'unhandled':
            // The watcher and the sweep send only repairs and recurrences; another kind is a bug here.
            return ran.settle
              ? { kind: 'nothing_to_do', detail: `no handler for ${ran.jobKind} jobs` }
              : { kind: 'failed', detail: `no handler for ${ran.jobKind} jobs` };
          case 'repaired': {
            const outcome = ran.outcome;
            if (outcome.kind === 'no_fix' || outcome.kind === 'skipped' || outcome.kind === 'failed') {
              report({ incidentKey: job.incidentKey, stage: outcome.kind, detail: outcome.reason });
            }
            return toWorkOutcome(outcome);
          }
        }
      } catch (error: unknown) {
        const message = error instanceof Error ? error.message : String(error);
        const retryable = (repairDeps.isRetryable ?? isRetryableRepairError)(error);
        if (!retryable || attempt >= maxAttempts) return { kind: 'failed', detail: message };
        // A rate limit's `retry-after` is honoured; one longer than a run should wait is left to
        // the next start or sweep tick, which keep the incident's `retryAfter`.
        const wait = Math.max(retryDelayMs(attempt), (requestedRetryAt(error) ?? 0) - now());
        if (wait > maxWaitMs)
          return {
            kind: 'failed',
            detail: `${message} (asked to wait ${Math.ceil(wait / 1000)} s: resumed later)`,
          };
        report({ incidentKey: job.incidentKey, stage: 'analysing', detail: `retrying after: ${message}` });
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  };
  return (job, report) => limit(() => run(job, report));
}

/**
 * The one-machine repair pipeline behind `ai-ops watch`: the same incident rules and repair use
 * case as the Lambdas, with an in-process queue (bounded concurrency, retries for retryable
 * failures) where the cloud has SQS. Each error is recorded on its own (exactly-once counting
 * across restarts); a repair runs as the error's `work`.
 */
export function makeRepairHandler({
  store,
  repo,
  repairDeps,
  runner,
  concurrency,
  maxAttempts,
  retryDelayMs,
  now = Date.now,
}: {
  store: IncidentStore;
  repo: RepoRef;
  repairDeps: RepairDeps;
  /** shared with the local sweep; built from the options below when absent */
  runner?: RepairRunner;
  concurrency?: number;
  maxAttempts?: number;
  retryDelayMs?: (attempt: number) => number;
  now?: () => number;
}): HandleError {
  const run =
    runner ??
    makeRepairRunner({
      repairDeps,
      ...(concurrency !== undefined ? { concurrency } : {}),
      ...(maxAttempts !== undefined ? { maxAttempts } : {}),
      ...(retryDelayMs !== undefined ? { retryDelayMs } : {}),
    });

  // The in-process queue is this process: its lease names it, so a restart after a crash takes
  // the job over at once (the dead process's lease is abandoned) instead of waiting it out.
  const queueOwner = makeLocalLeaseOwner();
  return async ({ record }, { report }) => {
    const { incidentKey, result } = await recordLocalError({ record, repo, store, now });
    // The cloud detector's occurrence path: one job per incident, a PR refresh per doubling.
    const { repair, refresh } = await decideOccurrence({ result, added: 1, store, now, queueOwner });
    const handled: HandledError = { incidentKey, result: result.kind, totalCount: result.incident.count };
    if (!repair && !refresh) return handled;
    const job: RepairJob = {
      v: 1,
      kind: repair ? 'repair' : 'recurrence',
      incidentKey,
      error: record,
      repo,
      attempt: 0,
    };
    return { ...handled, work: run(job, report) };
  };
}

/** Runs at most `concurrency` tasks at once, in arrival order. */
function makeLimiter(concurrency: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/** Builds the repair dependencies from local settings, or says what is missing for repairs. */
export function makeLocalRepairDeps({
  config,
  store,
  database,
  dryRun,
  advisor,
  followUp = 'none',
}: {
  config: LocalConfig;
  store: IncidentStore;
  database: SqliteDatabase;
  dryRun: boolean;
  /** whether the sweep will poll the draft (the PR and email say only what will happen) */
  followUp?: 'polling' | 'none';
  /** a pre-built advisor (the demo's recorded conversation); otherwise Anthropic from the settings */
  advisor?: FixAdvisor;
}): RepairDeps | { missing: readonly string[] } {
  const missing = config.missingForRepair.filter((name) => !(advisor && name === 'ANTHROPIC_API_KEY'));
  const repo = config.repo;
  // missingForRepair already names GITHUB_REPO when it is unset; a dry run needs it too, and
  // prices for its model (its dollar cap is enforced on a dry run as well).
  const unpriced = missing.includes('AI_OPS_MODEL_PRICES');
  if (!repo || unpriced || (!dryRun && missing.length > 0))
    return { missing: repo || missing.includes('GITHUB_REPO') ? missing : ['GITHUB_REPO', ...missing] };
  const outbox = config.mail.kind === 'outbox' ? config.mail.directory : join('.ai-ops', 'outbox');
  const workspaces = makeGitWorkspaces({
    apiUrl: config.githubApiUrl,
    token: async () => config.githubToken,
    author: BOT_IDENTITY,
  });
  const resolvedAdvisor =
    advisor ??
    makeAnthropicFixAdvisor({
      apiKey: config.anthropicApiKey ?? '',
      ...(config.anthropicBaseUrl ? { baseURL: config.anthropicBaseUrl } : {}),
      model: config.model,
      ...(config.modelPrices ? { prices: config.modelPrices } : {}),
    });
  return {
    store,
    budget: new SqliteRepairBudget({ database }),
    advisor: resolvedAdvisor,
    workspaces: dryRun ? dryRunWorkspaces({ inner: workspaces, outbox }) : workspaces,
    syntax: makeNodeSyntaxChecker(),
    pullRequests: dryRun
      ? dryRunPullRequests({ outbox })
      : createOctokitPullRequests({ auth: config.githubToken ?? '', baseUrl: config.githubApiUrl }),
    mailer: dryRun ? new OutboxMailer({ directory: outbox }) : makeMailer(config),
    ...(config.testCommand
      ? {
          verifier: makeCommandFixVerifier({
            command: config.testCommand.command,
            timeoutMs: config.testCommand.timeoutMs,
          }),
        }
      : {}),
    randomId: makeLocalLeaseOwner,
    // As in the analyzer: git connection failures and 5xx are worth another try.
    isRetryable: (error) => isRetryableRepairError(error) || error instanceof GitTransientError,
    isLeaseAbandoned: (lease) => isLocalLeaseAbandoned(lease),
    leaseMs: config.leaseSeconds * 1000,
    // the incident's last attempt ends it as failed for good, mailed, like the cloud's
    maxAttempts: config.maxAttempts,
    settings: {
      followUp,
      webHost: webHostOfApiUrl(config.githubApiUrl),
      repairsEnabled: config.repairsEnabled,
      dailyRepairCap: config.dailyRepairCap,
      model: config.model,
      bot: BOT_IDENTITY,
      sender: config.mail.from,
      reviewers: [...config.mail.to],
    },
  };
}

function makeMailer(config: LocalConfig): Mailer {
  const mail = config.mail;
  switch (mail.kind) {
    case 'outbox':
      return new OutboxMailer({ directory: mail.directory });
    case 'smtp':
      return new SmtpMailer({
        host: mail.host,
        port: mail.port,
        ...(mail.user ? { user: mail.user } : {}),
        ...(mail.password ? { password: mail.password } : {}),
      });
    case 'ses':
      return new SesMailer();
  }
}

/**
 * `ai-ops watch`'s pipeline factory: repairs when the settings allow them, otherwise record only,
 * saying plainly which settings are missing (never their values).
 */
export function createRepairPipeline({
  stderr,
  advisor,
}: {
  stderr: NodeJS.WritableStream;
  /** a pre-built advisor (the demo's recorded conversation) */
  advisor?: FixAdvisor;
}): NonNullable<WatchDeps['createHandler']> {
  return ({ config, store, dryRun, registerSweep, followUp }) => {
    const deps = makeLocalRepairDeps({
      config,
      store,
      database: store.database,
      dryRun,
      ...(followUp ? { followUp } : {}),
      ...(advisor ? { advisor } : {}),
    });
    const repo = config.repo ?? UNCONFIGURED_REPO;
    if ('missing' in deps) {
      stderr.write(
        `ai-ops watch: repairs are off until these settings are given: ${deps.missing.join(', ')} — errors are detected and recorded only\n`,
      );
      return async ({ record }) => {
        const { incidentKey, result } = await recordLocalError({ record, repo, store });
        return { incidentKey, result: result.kind, totalCount: result.incident.count };
      };
    }
    // Dry runs touch no PR: the regression announcement comments, so it is left out with the sweep.
    if (dryRun) return makeRepairHandler({ store, repo, repairDeps: deps });
    const followUpDeps = async (): Promise<FollowUpDeps> => ({
      ...deps,
      codeHost: createOctokitCodeHost({ auth: config.githubToken ?? '', baseUrl: config.githubApiUrl }),
    });
    const runner = makeRepairRunner({
      repairDeps: deps,
      // As in the analyzer: a reopened merged fix is announced (PR comment, email) before its new fix.
      beforeRepair: async (job) => ({
        proceed: (await announceRegression(job, await followUpDeps())).kind !== 'claimed_elsewhere',
      }),
    });
    const source: SweepSource = {
      runRepair: runner,
      followUpDeps,
      isLeaseAbandoned: (lease) => isLocalLeaseAbandoned(lease),
      resumeOptions: {
        maxAttempts: config.maxAttempts,
        queueOwner: makeLocalLeaseOwner(),
        queueLeaseMs: config.leaseSeconds * 1000,
      },
    };
    registerSweep?.(source);
    return makeRepairHandler({ store, repo, repairDeps: deps, runner });
  };
}
