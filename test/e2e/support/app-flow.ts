import { randomUUID } from 'node:crypto';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DeleteMessageCommand, type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { expect } from 'vitest';
import { CloudWatchLogsContext } from '../../../functions/adapters/cloudwatch-logs-context.ts';
import { DynamoDbIncidentStore } from '../../../functions/adapters/dynamodb-incident-store.ts';
import { SqsJobQueue } from '../../../functions/adapters/sqs-job-queue.ts';
import { type AnalyzerConfig, loadAnalyzerConfig } from '../../../functions/analyzer/config.ts';
import { type AnalyzerSources, makeAnalyzer } from '../../../functions/analyzer/handler.ts';
import type { RepoRef } from '../../../functions/core/contracts.ts';
import {
  type DetectorHandler,
  makeHandler as makeDetectorHandler,
} from '../../../functions/detector/handler.ts';
import { type StandInStep, step } from '../../support/anthropic-stand-in.ts';
import { changedPathsBetween, createBareRepo, readBlobAt } from '../../support/git-server.ts';
import { makeDataPayload, makeLogEvents } from '../../support/payloads.ts';
import {
  APP_FILES,
  makeLogsStreamStub,
  makeLogsStub,
  noMetrics,
  pythonTraceback,
  silentDetectorLogger,
  toSqsEvent,
} from './seed-app.ts';
import type { E2eStandIns } from './stand-ins.ts';

/** One test's application: its repository (seeded with APP_FILES), log group and repair queue. */
export interface AppRepo {
  repo: RepoRef;
  bare: string;
  mainHead: string;
  logGroup: string;
  queueName: string;
  queueUrl: string;
}

type Servers = Pick<E2eStandIns, 'git' | 'github' | 'sqs'>;

/** Seeds a fresh application repository on the git and GitHub stand-ins, with its own SQS queue. */
export async function seedAppRepo({
  standIns,
  owner,
  files = APP_FILES,
}: {
  standIns: Servers;
  owner: string;
  /** the repository's files (default: the Python app of seed-app.ts) */
  files?: Record<string, string>;
}): Promise<AppRepo> {
  const name = `shop-${randomUUID().slice(0, 8)}`;
  const repo: RepoRef = { owner, name, baseBranch: 'main', pathPrefix: '' };
  const mainHead = await createBareRepo({ server: standIns.git, owner, name, files });
  standIns.github.addRepo({ owner, repo: name, defaultBranch: 'main' });
  const queueName = `repairs-${name}`;
  return {
    repo,
    bare: standIns.git.repoPath(owner, name),
    mainHead,
    logGroup: `/ecs/${name}`,
    queueName,
    queueUrl: standIns.sqs.createQueue(queueName),
  };
}

/** The detector as deployed, resolving only the app's log group to its repository. */
export function makeAppDetector({
  app,
  store,
  queue,
  logs = makeLogsStub(),
}: {
  app: AppRepo;
  store: DynamoDbIncidentStore;
  queue: SqsJobQueue;
  /** the CloudWatch Logs client context reads go to (default: one that expects none) */
  logs?: CloudWatchLogsClient;
}): DetectorHandler {
  return makeDetectorHandler({
    store,
    queue,
    logContext: new CloudWatchLogsContext({ client: logs }),
    resolveRepo: (group) => (group === app.logGroup ? app.repo : undefined),
    logger: silentDetectorLogger,
    metrics: noMetrics,
  });
}

/** The subscription payload of the app's traceback for `message`, as CloudWatch Logs delivers it. */
export function appErrorPayload({
  app,
  message,
  prefix = 'a',
}: {
  app: AppRepo;
  message: string;
  prefix?: string;
}): ReturnType<typeof makeDataPayload> {
  return makeDataPayload(makeLogEvents([pythonTraceback(message)], { prefix }), {
    logGroup: app.logGroup,
    logStream: 'web/0123456789abcdef',
  });
}

/**
 * The analyzer as deployed (every job kind wired), on the stand-ins' endpoints; `env` adds to
 * or overrides its configuration, `extraSecrets` answers the secrets that configuration names.
 */
export function makeE2eAnalyzer({
  standIns,
  tableName,
  token,
  reviewer,
  anthropicUrl,
  env = {},
  extraSecrets = () => ({}),
  logger = { info: () => {}, error: () => {} },
  queueUrl,
}: {
  standIns: Pick<E2eStandIns, 'github' | 'dynamoClient' | 'sesClient' | 'sqsClient'>;
  tableName: string;
  token: string;
  reviewer: string;
  anthropicUrl: string;
  env?: Record<string, string>;
  extraSecrets?: (config: AnalyzerConfig) => Record<string, string>;
  logger?: AnalyzerSources['logger'];
  /** the queue the jobs come from, as deployed: a retry is timed by ChangeMessageVisibility */
  queueUrl?: string;
}): ReturnType<typeof makeAnalyzer> {
  const config = loadAnalyzerConfig({
    INCIDENTS_TABLE_NAME: tableName,
    GITHUB_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:github-token',
    ANTHROPIC_API_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:anthropic-key',
    SENDER_EMAIL: 'ai-ops@acme.example',
    REVIEWER_EMAILS: reviewer,
    GITHUB_API_URL: standIns.github.baseUrl,
    ...env,
  });
  const secrets: Record<string, string> = {
    [config.githubTokenSecretArn]: token,
    [config.anthropicApiKeySecretArn]: 'sk-ant-fake-key-for-the-stand-in',
    ...extraSecrets(config),
  };
  return makeAnalyzer({
    config,
    secret: async (arn) => secrets[arn] ?? '',
    dynamodb: standIns.dynamoClient,
    ses: standIns.sesClient,
    anthropicBaseUrl: anthropicUrl,
    logger,
    ...(queueUrl ? { repairQueue: { sqs: standIns.sqsClient, queueUrl } } : {}),
  });
}

/** Receives what is queued with the real SQS client, system attributes included, without waiting. */
export async function receiveQueued({
  standIns,
  queueUrl,
}: {
  standIns: Pick<E2eStandIns, 'sqsClient'>;
  queueUrl: string;
}): Promise<Message[]> {
  const { Messages = [] } = await standIns.sqsClient.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ['All'],
    }),
  );
  return Messages;
}

/** Runs the analyzer on received messages and, like Lambda's event source mapping, deletes what did not fail. */
export async function analyzeAndSettle({
  standIns,
  queueUrl,
  analyzer,
  messages,
}: {
  standIns: Pick<E2eStandIns, 'sqsClient'>;
  queueUrl: string;
  analyzer: ReturnType<typeof makeAnalyzer>;
  messages: Message[];
}): Promise<SQSBatchResponse> {
  const response = await analyzer(toSqsEvent(messages));
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  for (const m of messages.filter((m) => !failed.has(m.MessageId ?? '')))
    await standIns.sqsClient.send(
      new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }),
    );
  return response;
}

/**
 * The Lambda log lines of one delivery through the detector as deployed, then the jobs it queued
 * through the analyzer as deployed, settled like Lambda's event source mapping.
 */
export async function detectAndRepair({
  standIns,
  tableName,
  app,
  lines,
  token,
  anthropicUrl,
  reviewer = 'oncall@acme.example',
  logStream = '2026/12/06/[$LATEST]5a3e7b1c2f4d4c8e9b6a1d2e3f4a5b6c',
  deliver,
}: {
  standIns: Pick<E2eStandIns, 'github' | 'dynamoClient' | 'sesClient' | 'sqsClient'>;
  tableName: string;
  app: AppRepo;
  /** the events' messages, as the function logged them */
  lines: string[];
  token: string;
  anthropicUrl: string;
  reviewer?: string;
  logStream?: string;
  /**
   * Which of the lines the subscription delivers (a filter's), the whole stream then answering the
   * detector's reads of it; by default every line is delivered and no read is expected.
   */
  deliver?: (message: string) => boolean;
}): Promise<{ queued: Message[]; response: SQSBatchResponse }> {
  const events = makeLogEvents(lines);
  const detect = makeAppDetector({
    app,
    store: new DynamoDbIncidentStore({ client: standIns.dynamoClient, tableName }),
    queue: new SqsJobQueue({ client: standIns.sqsClient, queueUrl: app.queueUrl }),
    ...(deliver ? { logs: makeLogsStreamStub(events) } : {}),
  });
  const delivered = deliver ? events.filter((e) => deliver(e.message)) : events;
  await detect(makeDataPayload(delivered, { logGroup: app.logGroup, logStream }));
  const queued = await receiveQueued({ standIns, queueUrl: app.queueUrl });
  const analyzer = makeE2eAnalyzer({
    standIns,
    tableName,
    token,
    reviewer,
    anthropicUrl,
    queueUrl: app.queueUrl,
  });
  const response = await analyzeAndSettle({ standIns, queueUrl: app.queueUrl, analyzer, messages: queued });
  return { queued, response };
}

/** An edit the scripted model proposes: replace `oldText` with `newText` in `path`. */
export interface ScriptedEdit {
  path: string;
  oldText: string;
  newText: string;
}

/** The scripted model's one answer: `submit_fix` with these edits. */
export function submitFixStep(fix: {
  title: string;
  rootCause: string;
  explanation: string;
  confidence: 'low' | 'medium' | 'high';
  edits: ScriptedEdit[];
}): StandInStep {
  return step.toolUse([{ id: 'toolu_fix', name: 'submit_fix', input: fix }]);
}

/** The open pull request the repair made: `edit` its only change, its branch holding the new text. */
export function expectFixPullRequest(standIns: E2eStandIns, app: AppRepo, edit: ScriptedEdit) {
  const [pr] = standIns.github.pulls({ owner: app.repo.owner, repo: app.repo.name });
  expect(pr).toMatchObject({ base: 'main', state: 'open' });
  const head = pr?.head ?? '';
  expect(changedPathsBetween(app.bare, app.mainHead, head)).toEqual([edit.path]);
  expect(readBlobAt(app.bare, head, edit.path).toString()).toContain(edit.newText);
  return pr;
}
