// AWS endpoints that accept a connection and never answer, injected on the wire (a TCP proxy in
// front of the stand-ins): the detector's calls are bounded, so a stalled connection costs one
// attempt (DynamoDB) or the rest of a cut-off trace (GetLogEvents), never the delivery.
import { randomUUID } from 'node:crypto';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClientOptions } from '../../functions/adapters/aws-client-options.ts';
import { CloudWatchLogsContext } from '../../functions/adapters/cloudwatch-logs-context.ts';
import { DynamoDbIncidentStore } from '../../functions/adapters/dynamodb-incident-store.ts';
import { SqsJobQueue } from '../../functions/adapters/sqs-job-queue.ts';
import { RepairJobSchema } from '../../functions/core/contracts.ts';
import { makeHandler } from '../../functions/detector/handler.ts';
import type { DetectorLogger } from '../../functions/detector/telemetry.ts';
import { type DynaliteServer, FAKE_CREDENTIALS, startDynalite } from '../support/dynalite-server.ts';
import { type SqsStandIn, startSqsStandIn } from '../support/fauxqs-server.ts';
import { makeErrorRecord } from '../support/follow-up-fakes.ts';
import { makeDataPayload, makeLogEvents } from '../support/payloads.ts';
import { type StallingProxy, startStallingProxy } from '../support/stalling-proxy.ts';

const REPO = { owner: 'acme', name: 'shop', baseBranch: 'main', pathPrefix: '' };
const LOG_GROUP = '/ecs/shop';
const AT = 1_714_564_800_000;
// Two one-line heads of Java traces whose frames the filter did not deliver (a `?ERROR` filter).
const HEADS = [
  '2024-05-01 12:00:00.000 ERROR [http-nio-8080-exec-1] c.e.o.OrderController - java.lang.IllegalStateException: order 42 has no lines',
  '2024-05-01 12:00:00.000 INFO [http-nio-8080-exec-2] c.e.Access - GET /api/orders/43 200 12 ms',
  '2024-05-01 12:00:00.002 ERROR [http-nio-8080-exec-3] c.e.p.PaymentService - com.example.payments.CardDeclinedException: card ending 4242 declined',
  '2024-05-01 12:00:00.002 INFO [http-nio-8080-exec-4] c.e.Access - GET /api/orders/44 200 9 ms',
];

const proxies: StallingProxy[] = [];
let dynalite: DynaliteServer;
let sqs: SqsStandIn;

beforeAll(async () => {
  [dynalite, sqs] = await Promise.all([startDynalite(), startSqsStandIn()]);
});

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await Promise.all([dynalite?.stop(), sqs?.stop()]);
});

async function stallingProxy(options: Parameters<typeof startStallingProxy>[0]) {
  const proxy = await startStallingProxy(options);
  proxies.push(proxy);
  return proxy;
}

/** A detector logger that keeps only the warnings. */
const warningsLogger = (warnings: string[]): DetectorLogger => ({
  info: () => {},
  warn: (message) => warnings.push(message),
  error: () => {},
  withKeys: () => warningsLogger(warnings),
});

/** The detector as deployed on these clients, its reads given 1 s per delivery, its warnings kept. */
function detectorOn({
  dynamodb,
  tableName,
  queueUrl,
  logs,
  warnings,
}: {
  dynamodb: DynamoDBClient;
  tableName: string;
  queueUrl: string;
  logs: CloudWatchLogsClient;
  warnings: string[];
}) {
  return makeHandler({
    store: new DynamoDbIncidentStore({ client: dynamodb, tableName }),
    queue: new SqsJobQueue({ client: sqs.makeClient(), queueUrl }),
    logContext: new CloudWatchLogsContext({ client: logs }),
    resolveRepo: () => REPO,
    contextBudgetMs: 1_000,
    logger: warningsLogger(warnings),
    metrics: { count: () => {}, publish: () => {} },
  });
}

describe('AWS calls that stall', () => {
  it('records a delivery whose DynamoDB connection stalls once and whose GetLogEvents never answers: both errors as delivered, one job each', async () => {
    const tableName = `incidents-${randomUUID()}`;
    await dynalite.createIncidentsTable(tableName);
    const queueName = `repair-${randomUUID()}`;
    const queueUrl = sqs.createQueue(queueName);
    const dynamoPort = Number(new URL(dynalite.endpoint).port);
    const dynamoProxy = await stallingProxy({ target: dynamoPort, stallFirst: 1 });
    const logsProxy = await stallingProxy({});
    const region = 'us-east-1';
    const dynamodb = new DynamoDBClient({
      endpoint: dynamoProxy.endpoint,
      region,
      credentials: FAKE_CREDENTIALS,
      ...awsClientOptions({ maxAttempts: 3, timeoutMs: 500 }),
    });
    // Each GetLogEvents attempt would wait 5 s, as deployed: the delivery's read budget cuts it.
    const logs = new CloudWatchLogsClient({
      endpoint: logsProxy.endpoint,
      region,
      credentials: FAKE_CREDENTIALS,
      ...awsClientOptions({ maxAttempts: 3, timeoutMs: 5_000 }),
    });
    const warnings: string[] = [];
    const handle = detectorOn({ dynamodb, tableName, queueUrl, logs, warnings });

    const outcome = await handle(
      makeDataPayload(makeLogEvents(HEADS, { start: AT }), { logGroup: LOG_GROUP, logStream: 'task-1' }),
    );

    if (outcome.kind !== 'recorded') throw new Error(`expected a recorded delivery, got ${outcome.kind}`);
    // The first read was cut at the budget; the second head found no time left (or, at the edge
    // of the clock, began a read that was cut at once).
    expect(outcome.context.failures[0]?.message).toMatch(/GetLogEvents did not answer within 1000 ms/);
    expect(outcome.context.outOfTime + outcome.context.failures.length).toBe(2);
    expect(outcome.context.assembled).toBe(0);
    expect(warnings).toContain(
      'could not read the rest of a cut-off stack trace; recorded what was delivered',
    );
    expect(outcome.incidents.map((i) => [i.result, i.enqueued])).toEqual([
      ['created', true],
      ['created', true],
    ]);
    const jobs = sqs.peekBodies(queueName).map((body) => RepairJobSchema.parse(JSON.parse(body)));
    expect(jobs.map((j) => j.error.exceptionType).sort()).toEqual([
      'com.example.payments.CardDeclinedException',
      'java.lang.IllegalStateException',
    ]);
    // DynamoDB: the first connection held silent, the retry went through on a new one.
    expect(dynamoProxy.stalled()).toBe(1);
    expect(dynamoProxy.connections()).toBeGreaterThan(1);
    dynamodb.destroy();
    logs.destroy();
  }, 20_000);

  it('records a timeout whose stream read never answers, as delivered: one job, and why it has no last lines', async () => {
    const tableName = `incidents-${randomUUID()}`;
    await dynalite.createIncidentsTable(tableName);
    const queueName = `repair-${randomUUID()}`;
    const queueUrl = sqs.createQueue(queueName);
    const logsProxy = await stallingProxy({});
    const logs = new CloudWatchLogsClient({
      endpoint: logsProxy.endpoint,
      region: 'us-east-1',
      credentials: FAKE_CREDENTIALS,
      ...awsClientOptions({ maxAttempts: 3, timeoutMs: 5_000 }),
    });
    const dynamodb = new DynamoDBClient({
      endpoint: dynalite.endpoint,
      region: 'us-east-1',
      credentials: FAKE_CREDENTIALS,
    });
    const warnings: string[] = [];
    const handle = detectorOn({ dynamodb, tableName, queueUrl, logs, warnings });
    const id = '8b2c0ff1-5c1e-4a3e-9d0e-1f2a3b4c5d6e';

    const started = Date.now();
    const outcome = await handle(
      makeDataPayload(
        makeLogEvents([`2024-05-01T12:00:03.015Z ${id} Task timed out after 3.00 seconds\n\n`], {
          start: AT,
        }),
        { logGroup: '/aws/lambda/orders', logStream: '2024/05/01/[$LATEST]0123456789abcdef' },
      ),
    );

    if (outcome.kind !== 'recorded') throw new Error(`expected a recorded delivery, got ${outcome.kind}`);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(outcome.context.failures).toEqual([
      expect.objectContaining({
        // the 1,000 ms budget, less what the store took to say the incident is new
        message: expect.stringMatching(/GetLogEvents did not answer within (?:9\d\d|1000) ms/),
        lastLines: true,
      }),
    ]);
    expect(warnings).toContain(
      'could not read what a timed-out invocation logged last; recorded the timeout as delivered',
    );
    const jobs = sqs.peekBodies(queueName).map((body) => RepairJobSchema.parse(JSON.parse(body)));
    expect(jobs.map((j) => [j.error.exceptionType, j.error.lastLines])).toEqual([
      ['Sandbox.Timedout', undefined],
    ]);
    expect(logsProxy.connections()).toBeGreaterThan(0);
    dynamodb.destroy();
    logs.destroy();
  }, 20_000);

  it('the SDK on its own defaults would still be waiting on the stalled connection', async () => {
    const tableName = `incidents-${randomUUID()}`;
    await dynalite.createIncidentsTable(tableName);
    const proxy = await stallingProxy({ target: Number(new URL(dynalite.endpoint).port), stallFirst: 1 });
    const unbounded = new DynamoDBClient({
      endpoint: proxy.endpoint,
      region: 'us-east-1',
      credentials: FAKE_CREDENTIALS,
      maxAttempts: 3,
    });
    const store = new DynamoDbIncidentStore({ client: unbounded, tableName });
    const write = store.recordOccurrence({
      incidentKey: `k-${randomUUID()}`,
      repo: REPO,
      fingerprint: 'f',
      count: 1,
      firstSeen: AT,
      lastSeen: AT,
      sample: makeErrorRecord({ logGroup: LOG_GROUP, timestamp: AT }),
      ttl: 1,
      batchId: 'b1',
    });
    write.catch(() => undefined);
    // Three times the bounded client's whole attempt, and no answer yet: it waits for the SDK's
    // 5-minute socket default, which a Lambda's 60 s timeout ends first.
    const settled = await Promise.race([
      write.then(() => 'answered'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 1_500)),
    ]);
    expect(settled).toBe('still waiting');
    unbounded.destroy();
  });
});
