import { join } from 'node:path';
import { makeAnthropicFixAdvisor } from '../adapters/anthropic-fix-advisor.ts';
import { makeGitWorkspaces } from '../adapters/git-workspaces.ts';
import { createOctokitPullRequests } from '../adapters/octokit-pull-requests.ts';
import { OutboxMailer } from '../adapters/outbox-mailer.ts';
import { SesMailer } from '../adapters/ses-mailer.ts';
import { SmtpMailer } from '../adapters/smtp-mailer.ts';
import type { SqliteDatabase } from '../adapters/sqlite-incident-store.ts';
import { SqliteRepairBudget } from '../adapters/sqlite-repair-budget.ts';
import type { RepairJob } from '../core/contracts.ts';
import type { DetectedError } from '../core/detect/detect-errors.ts';
import type { FixAdvisor } from '../core/fix-advisor.ts';
import type { IncidentStore } from '../core/incident-store.ts';
import type { Mailer } from '../core/mailer.ts';
import { shouldEnqueue } from '../core/record-errors.ts';
import { refreshPullRequest } from '../core/refresh-pull-request.ts';
import {
  isRetryableRepairError,
  type RepairDeps,
  type RepairOutcome,
  type RepairStage,
  repairIncident,
} from '../core/repair-incident.ts';
import { dryRunPullRequests, dryRunWorkspaces } from './dry-run.ts';
import type { LocalConfig } from './local-config.ts';
import { recordLocalError } from './record-local-error.ts';

export const BOT_IDENTITY = { name: 'ai-ops[bot]', email: 'ai-ops-bot@users.noreply.github.com' };

export type PipelineEvent =
  | {
      kind: 'detected';
      incidentKey: string;
      exceptionType: string;
      message: string;
      count: number;
      queued: boolean;
    }
  | { kind: 'progress'; incidentKey: string; stage: RepairStage; detail?: string }
  | { kind: 'finished'; incidentKey: string; outcome: RepairOutcome }
  | { kind: 'retrying'; incidentKey: string; attempt: number; error: string }
  | { kind: 'crashed'; incidentKey: string; error: string };

export interface PipelineSummary {
  errors: number;
  incidents: Set<string>;
  outcomes: Map<string, RepairOutcome | { kind: 'crashed'; reason: string }>;
}

export interface LocalPipeline {
  handleError(detected: DetectedError): Promise<void>;
  /** resolves once every repair started so far has finished */
  idle(): Promise<PipelineSummary>;
}

/**
 * The one-machine repair pipeline: the same incident rules and repair use case as the Lambdas,
 * with an in-process queue (bounded concurrency, retries for retryable failures) instead of SQS.
 */
export function makeLocalPipeline({
  config,
  store,
  repairDeps,
  onEvent,
  concurrency = 2,
  maxAttempts = 3,
  retryDelayMs = (attempt: number) => 1000 * 2 ** (attempt - 1),
}: {
  config: Pick<LocalConfig, 'repo'>;
  store: IncidentStore;
  /** undefined: detect and record only (no repository or keys configured) */
  repairDeps: RepairDeps | undefined;
  onEvent: (event: PipelineEvent) => void;
  concurrency?: number;
  maxAttempts?: number;
  retryDelayMs?: (attempt: number) => number;
}): LocalPipeline {
  const summary: PipelineSummary = { errors: 0, incidents: new Set(), outcomes: new Map() };
  const waiting: RepairJob[] = [];
  const running = new Set<Promise<void>>();
  let idleWaiters: (() => void)[] = [];

  const pump = () => {
    while (running.size < concurrency && waiting.length > 0) {
      const job = waiting.shift();
      if (!job) break;
      const task = runJob(job).finally(() => {
        running.delete(task);
        pump();
      });
      running.add(task);
    }
    if (running.size === 0 && waiting.length === 0) {
      for (const resolve of idleWaiters) resolve();
      idleWaiters = [];
    }
  };

  const runJob = async (job: RepairJob): Promise<void> => {
    if (!repairDeps) return;
    const deps: RepairDeps = {
      ...repairDeps,
      onProgress: (progress) => onEvent({ kind: 'progress', ...progress }),
    };
    for (let attempt = 1; ; attempt++) {
      try {
        if (job.kind === 'recurrence') {
          await refreshPullRequest(job, deps);
          return;
        }
        const outcome = await repairIncident(job, deps);
        summary.outcomes.set(job.incidentKey, outcome);
        onEvent({ kind: 'finished', incidentKey: job.incidentKey, outcome });
        return;
      } catch (error: unknown) {
        const message = error instanceof Error ? error.message : String(error);
        if (isRetryableRepairError(error) && attempt < maxAttempts) {
          onEvent({ kind: 'retrying', incidentKey: job.incidentKey, attempt, error: message });
          await new Promise((resolve) => setTimeout(resolve, retryDelayMs(attempt)));
          continue;
        }
        summary.outcomes.set(job.incidentKey, { kind: 'crashed', reason: message });
        onEvent({ kind: 'crashed', incidentKey: job.incidentKey, error: message });
        return;
      }
    }
  };

  return {
    async handleError({ record }) {
      summary.errors++;
      const repo = config.repo ?? {
        owner: 'local',
        name: 'unconfigured',
        baseBranch: 'main',
        pathPrefix: '',
      };
      const { incidentKey, result } = await recordLocalError({ record, repo, store });
      summary.incidents.add(incidentKey);
      const { enqueue } = await shouldEnqueue({ result, store, now: Date.now });
      const refresh = result.kind === 'existing' && result.incident.status === 'pr_open';
      const queued = Boolean(repairDeps) && (enqueue || refresh);
      onEvent({
        kind: 'detected',
        incidentKey,
        exceptionType: record.exceptionType,
        message: record.message,
        count: result.incident.count,
        queued: queued && enqueue,
      });
      if (!queued) return;
      waiting.push({
        v: 1,
        kind: enqueue ? 'repair' : 'recurrence',
        incidentKey,
        error: record,
        repo,
        attempt: 0,
      });
      pump();
    },
    async idle() {
      if (running.size > 0 || waiting.length > 0)
        await new Promise<void>((resolve) => idleWaiters.push(resolve));
      return summary;
    },
  };
}

/** Builds the repair dependencies from local settings, or says what is missing for repairs. */
export function makeLocalRepairDeps({
  config,
  store,
  database,
  dryRun,
  advisor,
}: {
  config: LocalConfig;
  store: IncidentStore;
  database: SqliteDatabase;
  dryRun: boolean;
  /** a pre-built advisor (the demo's recorded conversation); otherwise Anthropic from the settings */
  advisor?: FixAdvisor;
}): RepairDeps | { missing: readonly string[] } {
  const missing = config.missingForRepair.filter((name) => !(advisor && name === 'ANTHROPIC_API_KEY'));
  const repo = config.repo;
  if (!repo || (!dryRun && missing.length > 0))
    return { missing: repo ? missing : ['GITHUB_REPO', ...missing] };
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
    });
  return {
    store,
    budget: new SqliteRepairBudget({ database }),
    advisor: resolvedAdvisor,
    workspaces: dryRun ? dryRunWorkspaces({ inner: workspaces, outbox }) : workspaces,
    pullRequests: dryRun
      ? dryRunPullRequests({ outbox })
      : createOctokitPullRequests({ auth: config.githubToken ?? '', baseUrl: config.githubApiUrl }),
    mailer: dryRun ? new OutboxMailer({ directory: outbox }) : makeMailer(config),
    settings: {
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
