import { randomUUID } from 'node:crypto';
import {
  CloudWatchLogsClient,
  type GetLogEventsCommandInput,
  type GetLogEventsCommandOutput,
  type OutputLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import { type DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CloudWatchLogsContext } from '../../functions/adapters/cloudwatch-logs-context.ts';
import { DynamoDbIncidentStore } from '../../functions/adapters/dynamodb-incident-store.ts';
import { SqsJobQueue } from '../../functions/adapters/sqs-job-queue.ts';
import { type RepairJob, RepairJobSchema, type RepoRef } from '../../functions/core/contracts.ts';
import { handler, makeHandler } from '../../functions/detector/handler.ts';
import type {
  DetectorLogger,
  DetectorMetricName,
  DetectorMetrics,
} from '../../functions/detector/telemetry.ts';
import { makeDetectorTelemetry } from '../../functions/detector/telemetry.ts';
import { type DynaliteServer, FAKE_CREDENTIALS, startDynalite } from '../support/dynalite-server.ts';
import { type SqsStandIn, startSqsStandIn } from '../support/fauxqs-server.ts';
import { passesDefaultFilter, traceText } from '../support/log-events.ts';
import {
  encodeSubscription,
  makeControlPayload,
  makeDataPayload,
  makeLogEvents,
  pythonTrace,
} from '../support/payloads.ts';

const REPO: RepoRef = { owner: 'acme', name: 'shop', baseBranch: 'main', pathPrefix: '' };
const LOG_GROUP = '/aws/lambda/orders';
const STREAM = '2024/05/01/[$LATEST]0123456789abcdef0123456789abcdef';
// The lead's detector assembles back-to-back trace events into one block; real streams have
// ordinary lines between requests' errors, and so do these payloads.
const QUIET = 'INFO request finished in 12 ms';

let dynalite: DynaliteServer;
let sqs: SqsStandIn;

beforeAll(async () => {
  [dynalite, sqs] = await Promise.all([startDynalite(), startSqsStandIn()]);
});

afterAll(async () => {
  await Promise.all([dynalite?.stop(), sqs?.stop()]);
});

interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  attributes: Record<string, unknown>;
}

function makeRecordingLogger(lines: LogLine[], keys: Record<string, string> = {}): DetectorLogger {
  const log =
    (level: LogLine['level']) =>
    (message: string, attributes: Record<string, unknown> = {}) => {
      lines.push({ level, message, attributes: { ...keys, ...attributes } });
    };
  return {
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    withKeys: (more) => makeRecordingLogger(lines, { ...keys, ...more }),
  };
}

function makeRecordingMetrics(): DetectorMetrics & { totals: Partial<Record<DetectorMetricName, number>> } {
  const totals: Partial<Record<DetectorMetricName, number>> = {};
  return {
    totals,
    count: (name, value) => {
      totals[name] = (totals[name] ?? 0) + value;
    },
    publish: () => {},
  };
}

/** A CloudWatchLogsClient whose GetLogEvents is answered in process: no network. */
function makeStubbedLogsClient(respond: (input: GetLogEventsCommandInput) => OutputLogEvent[]) {
  const client = new CloudWatchLogsClient({ region: 'us-east-1', credentials: FAKE_CREDENTIALS });
  const calls: GetLogEventsCommandInput[] = [];
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      if (context.commandName !== 'GetLogEventsCommand') throw new Error(`unexpected ${context.commandName}`);
      const input = args.input as GetLogEventsCommandInput;
      calls.push(input);
      const output: GetLogEventsCommandOutput = {
        $metadata: { httpStatusCode: 200 },
        events: input.nextToken ? [] : respond(input),
        nextForwardToken: 'f/end',
        nextBackwardToken: 'b/start',
      };
      return { output, response: {} };
    },
    { step: 'initialize', name: 'stubGetLogEvents' },
  );
  return { client, calls };
}

/** Fails the next `times` requests with `makeError()`; placed below the SDK's retry layer, so retries see it. */
function makeFailureGate({ times, makeError }: { times: number; makeError: () => Error }) {
  const gate = {
    remaining: times,
    thrown: 0,
    pass() {
      if (gate.remaining <= 0) return;
      gate.remaining -= 1;
      gate.thrown += 1;
      throw makeError();
    },
  };
  return gate;
}

/** Fails the client's next `times` requests (of `command` only, when named: the store's writes). */
function failDynamoRequests(
  client: DynamoDBClient,
  options: { times: number; makeError: () => Error; command?: string },
) {
  const gate = makeFailureGate(options);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (options.command === undefined || context.commandName === options.command) gate.pass();
      return next(args);
    },
    { step: 'deserialize', name: 'injectDynamoFailures' },
  );
  return gate;
}

function failSqsRequests(client: SQSClient, options: { times: number; makeError: () => Error }) {
  const gate = makeFailureGate(options);
  client.middlewareStack.add(
    (next) => async (args) => {
      gate.pass();
      return next(args);
    },
    { step: 'deserialize', name: 'injectSqsFailures' },
  );
  return gate;
}

const sqsThrottle = () =>
  Object.assign(new Error('Rate exceeded'), {
    name: 'ThrottlingException',
    $fault: 'client' as const,
    $metadata: { httpStatusCode: 400 },
  });
const dynamoThrottle = () =>
  new ProvisionedThroughputExceededException({
    message: 'Rate of requests exceeds the allowed throughput',
    $metadata: {},
  });

async function makeSetup({
  respond = () => [],
}: {
  respond?: (input: GetLogEventsCommandInput) => OutputLogEvent[];
} = {}) {
  const tableName = `incidents-${randomUUID()}`;
  const queueName = `repair-${randomUUID()}`;
  await dynalite.createIncidentsTable(tableName);
  const queueUrl = sqs.createQueue(queueName);
  // Few attempts, so a test of "still failing after retries" is quick.
  const dynamoClient = dynalite.makeClient({ maxAttempts: 3 });
  const sqsClient = sqs.makeClient({ maxAttempts: 3 });
  const logs = makeStubbedLogsClient(respond);
  const store = new DynamoDbIncidentStore({ client: dynamoClient, tableName });
  const lines: LogLine[] = [];
  const metrics = makeRecordingMetrics();
  const handle = makeHandler({
    store,
    queue: new SqsJobQueue({ client: sqsClient, queueUrl, retryDelayMs: 1 }),
    logContext: new CloudWatchLogsContext({ client: logs.client }),
    resolveRepo: (logGroup) => (logGroup === LOG_GROUP ? REPO : undefined),
    ownLogGroups: new Set(['/aws/lambda/ai-ops-detector']),
    logger: makeRecordingLogger(lines),
    metrics,
  });
  const jobs = (): RepairJob[] =>
    sqs.peekBodies(queueName).map((body) => RepairJobSchema.parse(JSON.parse(body)));
  return { handle, store, jobs, lines, metrics, dynamoClient, sqsClient, logCalls: logs.calls };
}

/** A payload of `traces` one-event Python traces, each followed by an ordinary line. */
function tracePayload(
  traces: string[],
  { prefix = randomUUID().slice(0, 8), start = 1_714_564_800_000 } = {},
) {
  return makeDataPayload(
    makeLogEvents(
      traces.flatMap((t) => [t, QUIET]),
      { prefix, start },
    ),
    { logGroup: LOG_GROUP, logStream: STREAM },
  );
}

describe('detector handler (dynalite + fauxqs)', () => {
  it('turns a new error into one incident and one repair job', async () => {
    const { handle, store, jobs, metrics } = await makeSetup();

    await handle(tracePayload([pythonTrace()]));

    const [job, ...rest] = jobs();
    expect(rest).toHaveLength(0);
    expect(job).toMatchObject({
      v: 1,
      kind: 'repair',
      repo: REPO,
      attempt: 0,
      error: { exceptionType: 'ValueError' },
    });
    expect(job?.incidentKey).toMatch(/^acme\/shop#/);
    expect(await store.get(job?.incidentKey ?? '')).toMatchObject({ status: 'queued', count: 1 });
    expect(metrics.totals).toMatchObject({ ErrorsSeen: 1, IncidentsNew: 1, JobsEnqueued: 1 });
  });

  it('stores and queues an error whose message is a third of a megabyte, cut to what an item and a message hold', async () => {
    // A message of several hundred lines (a validator's report of every field, a dumped payload):
    // whole, the sample was 410 KB, past DynamoDB's 400 KB item and SQS's 256 KB message.
    const details = Array.from({ length: 3_000 }, (_, i) => `  line ${i}: ${'x'.repeat(100)}`);
    const trace = [
      'Traceback (most recent call last):',
      '  File "/var/task/app.py", line 9, in handler',
      '    validate(order)',
      'ValueError: order rejected:',
      ...details,
    ].join('\n');
    const { handle, store, jobs } = await makeSetup();

    await handle(tracePayload([trace]));

    const [job] = jobs();
    expect(job?.error.message.startsWith('order rejected:\n  line 0: ')).toBe(true);
    expect(job?.error.message).toContain('[cut by ai-ops to fit the incident store]');
    expect(job?.error.message.length).toBeLessThanOrEqual(17 * 1024);
    const stored = await store.get(job?.incidentKey ?? '');
    expect(stored).toMatchObject({ status: 'queued', count: 1 });
    expect(stored?.sample.message).toBe(job?.error.message);
  });

  it('queues an error whose text holds characters SQS refuses in a message body (U+FFFF; astral ones fauxqs refuses)', async () => {
    const trace = pythonTrace({
      message: "invalid literal for int() with base 10: 'order \uFFFF 7 \u{1F6D2} cart'",
    });
    const { handle, store, jobs } = await makeSetup();

    await handle(tracePayload([trace]));

    const [job] = jobs();
    expect(job?.error.message).toContain("'order \uFFFF 7 \u{1F6D2} cart'");
    expect(await store.get(job?.incidentKey ?? '')).toMatchObject({ status: 'queued' });
  });

  it('sends no second job when the same payload is delivered twice', async () => {
    const { handle, store, jobs } = await makeSetup();
    const payload = tracePayload([pythonTrace()]);

    await handle(payload);
    await handle(payload);

    expect(jobs()).toHaveLength(1);
    expect((await store.get(jobs()[0]?.incidentKey ?? ''))?.count).toBe(1);
  });

  it('makes 10,000 identical errors over 20 payloads one job with count 10,000', async () => {
    const { handle, store, jobs, metrics } = await makeSetup();
    for (let p = 0; p < 20; p++) {
      const traces = Array.from({ length: 500 }, (_, i) =>
        pythonTrace({ message: `invalid literal for int(): 'order-${p}-${i}'` }),
      );
      await handle(tracePayload(traces, { prefix: `p${p}`, start: 1_714_564_800_000 + p * 10_000 }));
    }

    const [job, ...rest] = jobs();
    expect(rest).toHaveLength(0);
    expect(await store.get(job?.incidentKey ?? '')).toMatchObject({ count: 10_000, status: 'queued' });
    expect(metrics.totals).toMatchObject({
      ErrorsSeen: 10_000,
      IncidentsNew: 1,
      IncidentsRepeated: 19,
      JobsEnqueued: 1,
    });
  }, 30_000);

  it('makes 1,000 distinct errors 1,000 jobs (SendMessageBatch in chunks of 10)', async () => {
    const { handle, jobs, sqsClient } = await makeSetup();
    const batches: number[] = [];
    sqsClient.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Entries?: unknown[] };
        if (context.commandName === 'SendMessageBatchCommand') batches.push(input.Entries?.length ?? 0);
        return next(args);
      },
      { step: 'initialize', name: 'countBatches' },
    );
    const traces = Array.from({ length: 1_000 }, (_, i) => pythonTrace({ function: `handle_step_${i}` }));

    const outcome = await handle(tracePayload(traces));

    expect(outcome).toMatchObject({ kind: 'recorded', errorsSeen: 1_000 });
    const keys = new Set(jobs().map((j) => j.incidentKey));
    expect(keys.size).toBe(1_000);
    expect(jobs()).toHaveLength(1_000);
    expect(batches).toHaveLength(100);
    expect(Math.max(...batches)).toBe(10);
  }, 30_000);

  it('assembles a trace whose first line alone was delivered, from GetLogEvents around it', async () => {
    const traceLines = pythonTrace({ function: 'apply_discount' }).split('\n');
    const at = 1_714_564_800_000;
    const { handle, jobs, logCalls } = await makeSetup({
      respond: () => [
        { timestamp: at - 3, message: 'INFO GET /orders/42', ingestionTime: at },
        ...traceLines.map((message, i) => ({ timestamp: at + i, message, ingestionTime: at + 50 })),
        { timestamp: at + 20, message: QUIET, ingestionTime: at + 50 },
      ],
    });

    await handle(
      makeDataPayload(makeLogEvents([traceLines[0] ?? ''], { start: at }), {
        logGroup: LOG_GROUP,
        logStream: STREAM,
      }),
    );

    // One fetch: a first page, then at most one more to learn the stream ends there.
    expect(logCalls.length).toBeGreaterThanOrEqual(1);
    expect(logCalls.length).toBeLessThanOrEqual(2);
    expect(logCalls[0]).toMatchObject({
      logGroupName: LOG_GROUP,
      logStreamName: STREAM,
      startFromHead: true,
    });
    expect(logCalls[0]?.startTime).toBeLessThan(at);
    expect(logCalls[0]?.endTime).toBeGreaterThan(at);
    const [job, ...rest] = jobs();
    expect(rest).toHaveLength(0);
    expect(job?.error.exceptionType).toBe('ValueError');
    expect(job?.error.frames.map((f) => f.function)).toContain('apply_discount');
  });

  it("reads back the frames after consola's `[error] …` lines, which the default filter passes alone", async () => {
    // consola 3.4's basic reporter on Node 24, one event per line: `[error] <message>` then the
    // frames, which hold no term. Through the deployed adapter and SDK client (stubbed before HTTP).
    const lines = traceText('javascript/node24-consola-3.4-basic-reporter-error.output')
      .trimEnd()
      .split('\n');
    const at = 1_714_564_800_000;
    const stream = lines.map((message, i) => ({ timestamp: at + i, message, ingestionTime: at + 50 }));
    const { handle, jobs, logCalls } = await makeSetup({ respond: () => stream });
    const delivered = stream.filter((e) => passesDefaultFilter(e.message));
    expect(delivered).toHaveLength(2);

    await handle(
      makeDataPayload(
        delivered.map((e, i) => ({ id: `c${i}`, timestamp: e.timestamp, message: e.message })),
        { logGroup: LOG_GROUP, logStream: STREAM },
      ),
    );

    // one read holds both
    expect(logCalls.length).toBeGreaterThanOrEqual(1);
    expect(logCalls.length).toBeLessThanOrEqual(2);
    expect(
      jobs().map((job) => [job.error.exceptionType, job.error.frames.findLast((f) => f.inApp)?.file]),
    ).toEqual([
      ['Error', 'total.mjs'],
      ['Error', 'total.mjs'],
    ]);
  });

  it.each([
    ['bad base64', { awslogs: { data: '%%% not base64 %%%' } }, 'bad_base64'],
    ['bad gzip', { awslogs: { data: Buffer.from('plain text, not gzip').toString('base64') } }, 'bad_gzip'],
    ['bad JSON', { awslogs: { data: encodeSubscription('x').awslogs.data.replace(/./, 'H') } }, undefined],
    ['schema mismatch', encodeSubscription({ messageType: 'DATA_MESSAGE', logEvents: 'nope' }), 'bad_shape'],
    ['not a subscription event', { Records: [] }, 'not_an_object'],
  ])(
    'logs a corrupt payload (%s) with its reason, returns normally and enqueues nothing',
    async (_name, event, code) => {
      const { handle, jobs, lines, metrics } = await makeSetup();

      const outcome = await handle(event);

      expect(outcome.kind).toBe('rejected');
      if (code) expect(outcome).toMatchObject({ code });
      const line = lines.find((l) => l.level === 'error');
      expect(line?.message).toMatch(/cannot be decoded/);
      expect(line?.attributes.reason).toEqual(expect.any(String));
      expect(metrics.totals.PayloadsRejected).toBe(1);
      expect(jobs()).toHaveLength(0);
    },
  );

  it('ignores a CONTROL_MESSAGE and errors from its own log group', async () => {
    const { handle, jobs } = await makeSetup();
    expect(await handle(makeControlPayload())).toEqual({ kind: 'control' });
    const own = makeDataPayload(makeLogEvents([pythonTrace()]), { logGroup: '/aws/lambda/ai-ops-detector' });
    expect(await handle(own)).toMatchObject({ kind: 'ignored' });
    expect(jobs()).toHaveLength(0);
  });

  it('logs and counts errors from a log group with no repository, and enqueues nothing', async () => {
    const { handle, jobs, lines, metrics } = await makeSetup();
    const payload = makeDataPayload(makeLogEvents([pythonTrace()]), { logGroup: '/aws/lambda/unknown' });

    expect(await handle(payload)).toEqual({
      kind: 'unrouted',
      logGroup: '/aws/lambda/unknown',
      errorsSeen: 1,
    });
    expect(lines.find((l) => l.level === 'warn')?.attributes).toMatchObject({
      logGroup: '/aws/lambda/unknown',
    });
    expect(metrics.totals.ErrorsUnrouted).toBe(1);
    expect(jobs()).toHaveLength(0);
  });

  it('puts the incident key on every line about an incident', async () => {
    const { handle, lines, jobs } = await makeSetup();
    await handle(tracePayload([pythonTrace()]));
    const incidentLines = lines.filter((l) => l.message.includes('incident'));
    expect(incidentLines.length).toBeGreaterThan(0);
    for (const line of incidentLines) expect(line.attributes.incidentKey).toBe(jobs()[0]?.incidentKey);
  });

  describe('failures', () => {
    it('rides out DynamoDB throttling through the SDK retries', async () => {
      const { handle, jobs, dynamoClient } = await makeSetup();
      const injected = failDynamoRequests(dynamoClient, {
        times: 2,
        makeError: dynamoThrottle,
        command: 'UpdateItemCommand',
      });

      await handle(tracePayload([pythonTrace()]));

      expect(injected.thrown).toBe(2);
      expect(jobs()).toHaveLength(1);
    });

    it('throws when DynamoDB keeps throttling, and the redelivery enqueues exactly one job', async () => {
      const { handle, jobs, dynamoClient } = await makeSetup();
      const payload = tracePayload([pythonTrace()]);
      const injected = failDynamoRequests(dynamoClient, {
        times: 3,
        makeError: dynamoThrottle,
        command: 'UpdateItemCommand',
      });

      await expect(handle(payload)).rejects.toThrow(/exceeds the allowed throughput/);
      expect(injected.thrown).toBe(3);
      expect(jobs()).toHaveLength(0);

      await handle(payload);
      expect(jobs()).toHaveLength(1);
    });

    it('rides out SQS throttling through the SDK retries', async () => {
      const { handle, jobs, sqsClient } = await makeSetup();
      const injected = failSqsRequests(sqsClient, { times: 2, makeError: sqsThrottle });

      await handle(tracePayload([pythonTrace()]));

      expect(injected.thrown).toBe(2);
      expect(jobs()).toHaveLength(1);
    });

    it('throws when SQS fails after the incident was created; the redelivery enqueues exactly one job', async () => {
      const { handle, store, jobs, sqsClient, lines } = await makeSetup();
      const payload = tracePayload([pythonTrace()]);
      failSqsRequests(sqsClient, { times: 3, makeError: sqsThrottle });

      await expect(handle(payload)).rejects.toThrow(/not accepted by the queue/);
      const failed = lines.find((l) => l.message.includes('repair job not enqueued'));
      const incidentKey = String(failed?.attributes.incidentKey);
      expect(await store.get(incidentKey)).toMatchObject({ status: 'new', count: 1 });
      expect(jobs()).toHaveLength(0);

      await handle(payload);
      await handle(payload);

      expect(jobs()).toHaveLength(1);
      expect(jobs()[0]?.incidentKey).toBe(incidentKey);
      expect(await store.get(incidentKey)).toMatchObject({ status: 'queued', count: 1 });
    });
  });

  it('fails the Lambda entry point with every missing setting named, until the environment is right', async () => {
    for (const name of ['INCIDENTS_TABLE_NAME', 'REPAIR_QUEUE_URL', 'REPOSITORIES'])
      vi.stubEnv(name, undefined);
    try {
      const error = await handler(makeControlPayload(), {} as Parameters<typeof handler>[1]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'invalid_config' });
      expect(String(error)).toMatch(
        /INCIDENTS_TABLE_NAME is missing.*REPAIR_QUEUE_URL is missing.*REPOSITORIES is missing/,
      );
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('writes JSON log lines with the incident key and EMF metrics', async () => {
    const { store } = await makeSetup();
    const writes: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    try {
      const { logger, metrics } = makeDetectorTelemetry({
        serviceName: 'ai-ops-detector',
        namespace: 'AiOpsTest',
      });
      const queue = {
        enqueue: async (js: readonly RepairJob[]) => ({ sent: js.map((j) => j.incidentKey), failed: [] }),
      };
      const handle = makeHandler({
        store,
        queue,
        logContext: { fetchAround: async () => [] },
        resolveRepo: () => REPO,
        logger,
        metrics,
      });
      await handle(tracePayload([pythonTrace()]));
    } finally {
      spy.mockRestore();
    }
    const records = writes
      .flatMap((w) => w.split('\n'))
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const incidentLine = records.find((r) => r.message === 'new incident, repair job enqueued');
    expect(incidentLine).toMatchObject({ level: 'INFO', service: 'ai-ops-detector' });
    expect(String(incidentLine?.incidentKey)).toMatch(/^acme\/shop#/);
    const emf = records.find((r) => r._aws !== undefined);
    expect(emf).toMatchObject({ IncidentsNew: 1, JobsEnqueued: 1, ErrorsSeen: 1 });
    expect(JSON.stringify(records)).not.toContain('invalid literal for int()');
  });
});
