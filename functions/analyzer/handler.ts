import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient } from '@aws-sdk/client-ses';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { ScheduledEvent, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { makeAnthropicFixAdvisor } from '../adapters/anthropic-fix-advisor.ts';
import { awsClientOptions } from '../adapters/aws-client-options.ts';
import { DynamoDbBranchLinks } from '../adapters/dynamodb-branch-links.ts';
import { DynamoDbIncidentStore } from '../adapters/dynamodb-incident-store.ts';
import { DynamoDbRepairBudget } from '../adapters/dynamodb-repair-budget.ts';
import { GitTransientError } from '../adapters/git/git-errors.ts';
import {
  createCredentialsOctokit,
  type GitHubCredentials,
  githubAppCredentials,
  parseGitHubAppSecret,
  tokenCredentials,
} from '../adapters/github-credentials.ts';
import { makeNodeSyntaxChecker } from '../adapters/node-syntax-checker.ts';
import { createOctokitCodeHost } from '../adapters/octokit-code-host.ts';
import { createOctokitPullRequests } from '../adapters/octokit-pull-requests.ts';
import { makeSecretReader } from '../adapters/secrets.ts';
import { SesMailer } from '../adapters/ses-mailer.ts';
import { SqsJobQueue } from '../adapters/sqs-job-queue.ts';
import { type RepairJob, RepairJobSchema, type RepoRef } from '../core/contracts.ts';
import type { FollowUpDeps } from '../core/follow-up/follow-up-deps.ts';
import { INCIDENT_LINK_TTL_MS, signIncidentLink } from '../core/incident/incident-link.ts';
import { DEFAULT_EDIT_POLICY } from '../core/repair/edit-policy.ts';
import {
  isRetryableRepairError,
  type RepairDeps,
  type RepairOutcome,
  repairIncident,
  retryDueAt,
} from '../core/repair/repair-incident.ts';
import { type JobUseCases, runJob } from '../core/run-job.ts';
import { webHostOfApiUrl } from '../core/text/scrub-prose.ts';
import { type AnalyzerConfig, loadAnalyzerConfig } from './config.ts';
import { loadSweepConfig, type SweepConfig } from './sweep-config.ts';
import { isScheduledEvent, makeSweepHandler, type SweepResponse } from './sweep-handler.ts';

export { isScheduledEvent, makeSweepHandler, type SweepResponse } from './sweep-handler.ts';

/** What the handler logs through: Powertools in Lambda, a fake in tests. */
export interface AnalyzerLogger {
  info(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

export interface AnalyzerDeps {
  /**
   * The use cases by job kind, built once per invocation (one SQS batch) so its jobs share the
   * adapters; each may import its code on first use. A kind without one is settled or sent back
   * to the queue as `runJob` says.
   */
  useCases: () => JobUseCases;
  /** hears each repair the kill switch or the daily cap stopped (the CloudWatch metric the alarm watches) */
  onRepairsStopped?: (stop: { incidentKey: string; reason: string }) => void;
  logger: AnalyzerLogger;
  /**
   * Sends a job that failed in a way worth retrying back when it is due (its backoff or the
   * `retry-after` asked for), rather than when the queue's visibility timeout ends (30 minutes).
   */
  sendBack?: SendBack;
  now?: () => number;
}

/** When a job sent back for a retry is due, and how to have SQS deliver it then. */
export interface SendBack {
  /** when the job is due again (undefined: leave it to the queue's timeout) */
  dueAt(job: RepairJob): Promise<number | undefined>;
  /** makes the received message visible again in `seconds` */
  redeliverIn(receiptHandle: string, seconds: number): Promise<void>;
}

/**
 * The analyzer Lambda: one SQS record → one job. A record whose job failed in a way worth
 * retrying is reported in `batchItemFailures`, so SQS redelivers it (and after five receives
 * moves it to the dead-letter queue); everything else, including garbage, is settled here.
 */
export function makeHandler({
  useCases,
  onRepairsStopped,
  logger,
  sendBack,
  now = Date.now,
}: AnalyzerDeps): (event: SQSEvent) => Promise<SQSBatchResponse> {
  return async (event) => {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    const jobUseCases = useCases();
    for (const record of event.Records) {
      const parsed = parseJob(record.body);
      if (!parsed.success) {
        // Garbage fails every time: keep it for a person in the dead-letter queue, not forever here.
        logger.error('repair job rejected: not a RepairJob', {
          messageId: record.messageId,
          reason: parsed.reason,
        });
        batchItemFailures.push({ itemIdentifier: record.messageId });
        continue;
      }
      const job = parsed.job;
      try {
        const run = await runJob(job, jobUseCases);
        if (run.kind === 'unhandled') {
          logger[run.settle ? 'info' : 'error'](`no handler for ${job.kind} jobs in this analyzer`, {
            incidentKey: job.incidentKey,
            messageId: record.messageId,
          });
          if (!run.settle) batchItemFailures.push({ itemIdentifier: record.messageId });
          continue;
        }
        const outcome =
          run.kind === 'claimed_elsewhere' ? { kind: 'ignored', reason: 'claimed_elsewhere' } : run.outcome;
        logger.info('repair finished', { incidentKey: job.incidentKey, kind: job.kind, outcome });
        if (run.kind === 'repaired' && isStopped(run.outcome))
          onRepairsStopped?.({ incidentKey: job.incidentKey, reason: run.outcome.reason });
      } catch (error: unknown) {
        logger.error('repair failed; the job goes back to the queue', {
          incidentKey: job.incidentKey,
          messageId: record.messageId,
          receiveCount: record.attributes.ApproximateReceiveCount,
          error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
        });
        batchItemFailures.push({ itemIdentifier: record.messageId });
        if (sendBack) await sendBackWhenDue({ sendBack, job, record, now, logger });
      }
    }
    return { batchItemFailures };
  };
}

/** Best effort: a job whose timing cannot be set comes back at the queue's timeout, as before. */
async function sendBackWhenDue({
  sendBack,
  job,
  record,
  now,
  logger,
}: {
  sendBack: SendBack;
  job: RepairJob;
  record: SQSRecord;
  now: () => number;
  logger: AnalyzerLogger;
}): Promise<void> {
  try {
    const due = await sendBack.dueAt(job);
    if (due === undefined) return;
    const seconds = Math.max(0, Math.ceil((due - now()) / 1000));
    await sendBack.redeliverIn(record.receiptHandle, seconds);
    logger.info('repair job sent back for when it is due', {
      incidentKey: job.incidentKey,
      messageId: record.messageId,
      inSeconds: seconds,
    });
  } catch (error: unknown) {
    logger.error('could not time the retry; the queue timeout applies', {
      incidentKey: job.incidentKey,
      messageId: record.messageId,
      error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
    });
  }
}

/**
 * Memoizes `build` for the life of one use-case map (one invocation); a rejection is not kept,
 * so a secret that could not be read fails that job only and the next job tries again.
 */
function once<T>(build: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= build().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

/** Same as `once`, per key (the follow-up ports carry a code host for the job's repository). */
function oncePer<T>(build: (key: RepoRef) => Promise<T>): (key: RepoRef) => Promise<T> {
  const byKey = new Map<string, () => Promise<T>>();
  return (key) => {
    const id = `${key.owner}/${key.name}`;
    let get = byKey.get(id);
    if (!get) {
      get = once(() => build(key));
      byKey.set(id, get);
    }
    return get();
  };
}

/** `skipped` is the spend guards' outcome only: the kill switch is off or the daily cap is reached. */
function isStopped(outcome: unknown): outcome is Extract<RepairOutcome, { kind: 'skipped' }> {
  return typeof outcome === 'object' && outcome !== null && 'kind' in outcome && outcome.kind === 'skipped';
}

/** The metric the "repairs stopped" alarm watches (infra/auto-repair.ts names it too). */
export const REPAIRS_STOPPED_METRIC = 'RepairsStopped';

/**
 * One CloudWatch embedded-metric-format line for a stopped repair. Written by hand rather than
 * through Powertools Metrics: one metric, a few times a day at most, is not worth its import on
 * the analyzer's cold start. The dimension is Powertools' own (`service`), like the detector's.
 */
export function repairsStoppedEmf({
  namespace,
  service,
  incidentKey,
  reason,
  now = Date.now(),
}: {
  namespace: string;
  service: string;
  incidentKey: string;
  reason: string;
  now?: number;
}): string {
  return JSON.stringify({
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [['service']],
          Metrics: [{ Name: REPAIRS_STOPPED_METRIC, Unit: 'Count' }],
        },
      ],
    },
    service,
    [REPAIRS_STOPPED_METRIC]: 1,
    // properties, not dimensions: searchable in Logs Insights without multiplying metric series
    incidentKey,
    reason,
  });
}

function parseJob(
  body: string,
): { success: true; job: ReturnType<typeof RepairJobSchema.parse> } | { success: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { success: false, reason: 'body is not JSON' };
  }
  const result = RepairJobSchema.safeParse(json);
  if (!result.success)
    return {
      success: false,
      reason: result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    };
  return { success: true, job: result.data };
}

/**
 * What goes back to the queue: errors that say so (model, GitHub, SES), and git connection
 * failures and 5xx, whose errors carry no flag. A refused push is not retried: a hook or branch
 * protection refuses it again, and every retry would pay for another model call first.
 */
export function isRetryableAnalyzerError(error: unknown): boolean {
  return isRetryableRepairError(error) || error instanceof GitTransientError;
}

/** What `buildRepairDeps` wires together: the config and the clients built once per container. */
export interface RepairDepsSources {
  config: AnalyzerConfig;
  /** reads a secret by ARN (cached by the reader, so a rotated value is picked up within minutes) */
  secret: (secretId: string) => Promise<string>;
  dynamodb: DynamoDBClient;
  ses: SESClient;
  /** the Messages API root; the SDK default (api.anthropic.com) when omitted */
  anthropicBaseUrl?: string;
  onProgress?: RepairDeps['onProgress'];
  /**
   * where git and the PR client get their GitHub token, per repository; build it once per
   * container (`githubCredentials`) so installation tokens are reused. Default: the token secret.
   */
  credentials?: GitHubCredentials;
  /** MAX_REPAIR_ATTEMPTS: the last attempt's failure is final (mailed), and no redelivery runs another */
  maxAttempts?: number;
}

/**
 * The analyzer's composition: the real adapters behind the use case's ports. Built per batch
 * from cached secrets, so a rotated GitHub token (installation tokens last an hour) reaches the
 * PR client as well as git, without a Secrets Manager call per job.
 */
export async function buildRepairDeps({
  config,
  secret,
  dynamodb,
  ses,
  anthropicBaseUrl,
  onProgress,
  credentials = githubCredentials({ config, secret }),
  maxAttempts,
}: RepairDepsSources): Promise<RepairDeps> {
  const [anthropicKey, linkKey] = await Promise.all([
    secret(config.anthropicApiKeySecretArn),
    config.incidentPage ? secret(config.incidentPage.signingSecretArn) : Promise.resolve(undefined),
  ]);
  const page = config.incidentPage;
  const incidentLink =
    page && linkKey
      ? (incidentKey: string) =>
          signIncidentLink({
            baseUrl: page.baseUrl,
            incidentKey,
            expiresAt: Date.now() + INCIDENT_LINK_TTL_MS,
            secret: linkKey,
          })
      : undefined;
  return {
    store: new DynamoDbIncidentStore({ client: dynamodb, tableName: config.incidentsTableName }),
    budget: new DynamoDbRepairBudget({ client: dynamodb, tableName: config.incidentsTableName }),
    // Written before the first push, so a CI run that beats the PR-opened webhook finds the incident.
    branchLinks: new DynamoDbBranchLinks({ client: dynamodb, tableName: config.incidentsTableName }),
    advisor: makeAnthropicFixAdvisor({
      apiKey: anthropicKey,
      model: config.model,
      ...(config.modelPrices ? { prices: config.modelPrices } : {}),
      maxTurns: config.maxTurns,
      maxUsd: config.maxUsdPerJob,
      ...(anthropicBaseUrl ? { baseURL: anthropicBaseUrl } : {}),
    }),
    workspaces: repositoryWorkspaces({ config, credentials }),
    // V8 in a child process: places a Runtime.UserCodeSyntaxError, refuses a fix that does not parse
    syntax: makeNodeSyntaxChecker(),
    pullRequests: createOctokitPullRequests({
      octokit: createCredentialsOctokit({ credentials, baseUrl: config.githubApiUrl }),
    }),
    mailer: new SesMailer({ client: ses }),
    settings: {
      repairsEnabled: config.repairsEnabled,
      dailyRepairCap: config.dailyRepairCap,
      model: config.model,
      bot: config.bot,
      webHost: webHostOfApiUrl(config.githubApiUrl),
      sender: config.sender,
      reviewers: [...config.reviewers],
      editPolicy: { ...DEFAULT_EDIT_POLICY, scope: config.editScope },
      ...(incidentLink ? { incidentLink } : {}),
    },
    isRetryable: isRetryableAnalyzerError,
    leaseMs: config.repairLeaseMs,
    waitForRetryAfter: true,
    ...(maxAttempts !== undefined ? { maxAttempts } : {}),
    ...(onProgress ? { onProgress } : {}),
  };
}

/**
 * The GitHub credentials GITHUB_AUTH chooses: the token secret, or a GitHub App whose JSON secret
 * (`secretString`, read whole) signs the JWTs that mint installation tokens.
 */
export function githubCredentials({
  config,
  secret,
  secretString,
}: {
  config: AnalyzerConfig;
  secret: (secretId: string) => Promise<string>;
  /** reads a secret's whole text (a JSON document stays whole); required for a GitHub App */
  secretString?: (secretId: string) => Promise<string>;
}): GitHubCredentials {
  const auth = config.githubAuth;
  if (auth.kind === 'token') return tokenCredentials({ token: () => secret(auth.tokenSecretArn) });
  // `secret` answers only the first field of a JSON secret: the app id without its key.
  if (!secretString)
    throw new Error('githubCredentials: GITHUB_AUTH=app needs `secretString` to read the app secret whole');
  const readWhole = secretString;
  return githubAppCredentials({
    app: async () => parseGitHubAppSecret(await readWhole(auth.appSecretArn)),
    baseUrl: config.githubApiUrl,
  });
}

/** git asks for the token of the repository it clones, so one GitHub App serves many installations. */
function repositoryWorkspaces({
  config,
  credentials,
}: {
  config: AnalyzerConfig;
  credentials: GitHubCredentials;
}): RepairDeps['workspaces'] {
  // Loaded by the first job that clones: isomorphic-git is ~150 ms of import that CI verdicts,
  // merges, recurrences and the sweep never use (test/bench/cold-start.bench.ts).
  const forRepo = async (repo: RepoRef) => {
    const { makeGitWorkspaces } = await import('../adapters/git-workspaces.ts');
    return makeGitWorkspaces({
      apiUrl: config.githubApiUrl,
      token: () => credentials.token(repo),
      author: config.bot,
    });
  };
  return {
    clone: async (options) => (await forRepo(options.repo)).clone(options),
    remoteBranchHead: async (options) => (await forRepo(options.repo)).remoteBranchHead(options),
  };
}

/** What `makeAnalyzer` composes: the config, the clients, and where secrets, logs and metrics go. */
export interface AnalyzerSources extends Omit<RepairDepsSources, 'onProgress'> {
  logger: AnalyzerLogger;
  onRepairsStopped?: AnalyzerDeps['onRepairsStopped'];
  /** the queue the analyzer consumes: a job sent back for a retry is timed to come back when due */
  repairQueue?: { sqs: SQSClient; queueUrl: string };
}

/**
 * The analyzer as deployed, minus the environment: every job kind wired to its use case over
 * the real adapters. `init()` calls it with AWS clients; the e2e tests with the stand-ins'.
 */
export function makeAnalyzer({
  config,
  secret,
  dynamodb,
  ses,
  anthropicBaseUrl,
  logger,
  onRepairsStopped,
  credentials = githubCredentials({ config, secret }),
  maxAttempts,
  repairQueue,
}: AnalyzerSources): ReturnType<typeof makeHandler> {
  // Adapters are built once per invocation, on the first job that needs them: a rotated secret
  // (installation tokens last an hour) reaches the next batch without a Secrets Manager call per job.
  const useCases = (): JobUseCases => {
    const repairDeps = once(() =>
      buildRepairDeps({
        config,
        secret,
        credentials,
        dynamodb,
        ses,
        ...(anthropicBaseUrl ? { anthropicBaseUrl } : {}),
        ...(maxAttempts !== undefined ? { maxAttempts } : {}),
        onProgress: ({ incidentKey, stage, detail }) =>
          logger.info(`repair ${stage}`, { incidentKey, detail }),
      }),
    );
    // The code host's GraphQL call names no repository, so it gets the token of the job's repository.
    const followUpDeps = oncePer(async (repo: RepoRef): Promise<FollowUpDeps> => {
      const deps = await repairDeps();
      const token = await credentials.token(repo);
      return { ...deps, codeHost: createOctokitCodeHost({ auth: token, baseUrl: config.githubApiUrl }) };
    });
    // each use case is imported by the first job of its kind
    return {
      repair: async (job) => repairIncident(job, await repairDeps()),
      beforeRepair: async (job) => {
        const { announceRegression } = await import('../core/follow-up/record-merge.ts');
        return {
          proceed: (await announceRegression(job, await followUpDeps(job.repo))).kind !== 'claimed_elsewhere',
        };
      },
      recurrence: async (job) =>
        (await import('../core/follow-up/refresh-pull-request.ts')).refreshPullRequest(
          job,
          await repairDeps(),
        ),
      revise: async (job) =>
        (await import('../core/follow-up/revise-incident.ts')).reviseIncident(
          job,
          await followUpDeps(job.repo),
        ),
      ci_passed: async (job) =>
        (await import('../core/follow-up/handle-ci-verdict.ts')).handleCiVerdict(
          job,
          await followUpDeps(job.repo),
        ),
      ci_failed: async (job) =>
        (await import('../core/follow-up/handle-ci-verdict.ts')).handleCiVerdict(
          job,
          await followUpDeps(job.repo),
        ),
      merged: async (job) =>
        (await import('../core/follow-up/record-merge.ts')).recordMerge(job, await followUpDeps(job.repo)),
      dismissed: async (job) =>
        (await import('../core/follow-up/record-merge.ts')).recordDismissal(
          job,
          await followUpDeps(job.repo),
        ),
    };
  };
  const sendBack = repairQueue ? makeSendBack({ config, dynamodb, ...repairQueue }) : undefined;
  return makeHandler({
    useCases,
    ...(onRepairsStopped ? { onRepairsStopped } : {}),
    ...(sendBack ? { sendBack } : {}),
    logger,
  });
}

/** SendBack over the incidents table (the failed incident's `retryAfter`) and the repair queue. */
function makeSendBack({
  config,
  dynamodb,
  sqs,
  queueUrl,
}: {
  config: AnalyzerConfig;
  dynamodb: DynamoDBClient;
  sqs: SQSClient;
  queueUrl: string;
}): SendBack {
  const store = new DynamoDbIncidentStore({ client: dynamodb, tableName: config.incidentsTableName });
  const queue = new SqsJobQueue({ client: sqs, queueUrl });
  return {
    dueAt: (job) => retryDueAt(job, store),
    redeliverIn: (receiptHandle, seconds) => queue.redeliverIn(receiptHandle, seconds),
  };
}

/** What `makeAnalyzerSweep` composes: the analyzer's sources plus the queue and the sweep's settings. */
export interface AnalyzerSweepSources extends AnalyzerSources {
  sqs: SQSClient;
  sweepConfig: SweepConfig;
}

/**
 * The scheduled sweep over the real adapters. The store and the queue need no secret, so a run
 * with nothing due reads none; GitHub clients are built per repository only for a draft that is due.
 */
export function makeAnalyzerSweep({
  sqs,
  sweepConfig,
  logger,
  ...sources
}: AnalyzerSweepSources): ReturnType<typeof makeSweepHandler> {
  const { config, dynamodb, secret } = sources;
  const credentials = sources.credentials ?? githubCredentials({ config, secret });
  const followUpDeps = async (repo: RepoRef): Promise<FollowUpDeps> => {
    const deps = await buildRepairDeps({ ...sources, credentials });
    const token = await credentials.token(repo);
    return { ...deps, codeHost: createOctokitCodeHost({ auth: token, baseUrl: config.githubApiUrl }) };
  };
  const store = new DynamoDbIncidentStore({ client: dynamodb, tableName: config.incidentsTableName });
  const queue = new SqsJobQueue({ client: sqs, queueUrl: sweepConfig.repairQueueUrl });
  return makeSweepHandler({
    sweepDeps: () => ({ store, queue, followUpDeps }),
    options: {
      limit: sweepConfig.limit,
      noCiAfterMs: sweepConfig.noCiAfterMs,
      noCiPolicy: sweepConfig.noCiPolicy,
      maxAttempts: sweepConfig.maxAttempts,
    },
    logger,
  });
}

// Built once per container; warm invocations reuse them. Each attempt is bounded, so a stalled
// connection is retried rather than waited on until the function times out.
const dynamodb = new DynamoDBClient(awsClientOptions({ maxAttempts: 6, timeoutMs: 5_000 }));
const ses = new SESClient(awsClientOptions({ maxAttempts: 4, timeoutMs: 10_000 }));
const secretsManager = new SecretsManagerClient(awsClientOptions({ maxAttempts: 4, timeoutMs: 5_000 }));
const sqs = new SQSClient(awsClientOptions({ maxAttempts: 4, timeoutMs: 5_000 }));

interface Entries {
  jobs: ReturnType<typeof makeHandler>;
  sweep: ReturnType<typeof makeSweepHandler>;
}

let cached: Entries | undefined;

/** The AWS clients the deployed analyzer is built over. */
export interface AnalyzerClients {
  dynamodb: DynamoDBClient;
  ses: SESClient;
  secretsManager: SecretsManagerClient;
  sqs: SQSClient;
}

/**
 * What the deployed analyzer is built from: its settings read from `env` (throws listing every
 * problem), over `clients`. Exported so the wiring of each setting can be checked without AWS.
 */
export function deployedSources(
  env: NodeJS.ProcessEnv,
  { dynamodb, ses, secretsManager, sqs }: AnalyzerClients,
): { sources: AnalyzerSources; sweepConfig: SweepConfig } {
  const config = loadAnalyzerConfig(env);
  const sweepConfig = loadSweepConfig(env);
  const logger = new Logger({ serviceName: config.serviceName });
  const secret = makeSecretReader({ client: secretsManager });
  const sources: AnalyzerSources = {
    config,
    secret,
    // Once per container, so a GitHub App's installation tokens outlive a batch.
    credentials: githubCredentials({
      config,
      secret,
      secretString: makeSecretReader({ client: secretsManager, whole: true }),
    }),
    dynamodb,
    ses,
    maxAttempts: sweepConfig.maxAttempts,
    // the sweep's queue is the one the analyzer consumes
    repairQueue: { sqs, queueUrl: sweepConfig.repairQueueUrl },
    logger: {
      info: (message, attributes = {}) => logger.info(message, attributes),
      error: (message, attributes = {}) => logger.error(message, attributes),
    },
    // Lambda sends stdout to CloudWatch Logs, which turns an EMF line into the metric.
    onRepairsStopped: ({ incidentKey, reason }) =>
      process.stdout.write(
        `${repairsStoppedEmf({ namespace: metricsNamespace(env), service: config.serviceName, incidentKey, reason })}\n`,
      ),
  };
  return { sources, sweepConfig };
}

// Config is read on the first invocation, not on import, so importing this file needs no env.
function init(): Entries {
  const { sources, sweepConfig } = deployedSources(process.env, { dynamodb, ses, secretsManager, sqs });
  return { jobs: makeAnalyzer(sources), sweep: makeAnalyzerSweep({ ...sources, sqs, sweepConfig }) };
}

/** The namespace AiOpsFunction sets for every function (`POWERTOOLS_METRICS_NAMESPACE`). */
function metricsNamespace(env: NodeJS.ProcessEnv): string {
  return env.POWERTOOLS_METRICS_NAMESPACE || 'AiOps';
}

/** One function, two triggers: repair jobs from SQS, and the scheduled sweep from EventBridge. */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse>;
export async function handler(event: ScheduledEvent): Promise<SweepResponse>;
export async function handler(event: SQSEvent | ScheduledEvent): Promise<SQSBatchResponse | SweepResponse> {
  cached ??= init();
  return isScheduledEvent(event) ? cached.sweep(event) : cached.jobs(event);
}
