import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RecordErrorsOutcome } from '../../functions/core/detect/record-errors.ts';
import { reportOutcome } from '../../functions/detector/report-outcome.ts';
import {
  type DetectorLogger,
  type DetectorMetricName,
  type InvocationContext,
  makeDetectorTelemetry,
  makeJsonLogger,
  type TelemetryOutput,
} from '../../functions/detector/telemetry.ts';

const CONTEXT: InvocationContext = {
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:ai-ops-detector',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  memoryLimitInMB: '256',
  functionName: 'ai-ops-detector',
};
// what the Lambda runtime sets in an on-demand environment with X-Ray active
const LAMBDA_ENV = {
  AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
};

// one instance, so both loggers print the same stack
const CAUSE = new Error('socket hang up');

/** Lines written to standard output and standard error, in order, timestamps fixed. */
function capture(): { output: TelemetryOutput; lines: string[] } {
  const lines: string[] = [];
  const fixed = (stream: string, line: string) =>
    `${stream} ${line
      .replace(/"timestamp":"[^"]+"/, '"timestamp":"T"')
      .replace(/"Timestamp":\d+/, '"Timestamp":0')}`;
  return {
    lines,
    output: { out: (line) => lines.push(fixed('out', line)), err: (line) => lines.push(fixed('err', line)) },
  };
}

/** The same calls the detector makes, through any logger and metrics pair. */
function exercise(
  logger: DetectorLogger,
  metrics: { count(name: DetectorMetricName, value: number): void; publish(): void },
  addContext: (context: InvocationContext) => void,
): void {
  logger.info('before any invocation', { eventsSeen: 3 });
  addContext(CONTEXT);
  logger.withKeys({ incidentKey: 'acme/shop#KeyError-sku' }).info('new incident, repair job enqueued', {
    result: 'created',
    count: 1,
    enqueued: true,
    reopened: false,
    empty: '',
    none: null,
    absent: undefined,
    nested: { logGroup: '/aws/lambda/orders', counts: [1, 2] },
  });
  logger.warn('errors in a log group with no repository configured', {
    logGroup: '/aws/lambda/x',
    errorsSeen: 2,
  });
  logger.error('detector invocation failed; Lambda retries the delivery', {
    error: { name: 'ThrottlingException', message: 'Rate exceeded' },
    cause: CAUSE,
    bytes: 10n,
  });
  metrics.count('ErrorsSeen', 3);
  metrics.count('IncidentsNew', 1);
  metrics.count('ErrorsSeen', 2);
  metrics.publish();
  metrics.publish();
  addContext({ ...CONTEXT, awsRequestId: 'second-request' });
  logger.info('recorded a subscription delivery');
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('the detector telemetry', () => {
  it('writes the lines Powertools Logger and Metrics wrote, field for field', () => {
    for (const [name, value] of Object.entries(LAMBDA_ENV)) vi.stubEnv(name, value);

    const ours = capture();
    const telemetry = makeDetectorTelemetry({
      serviceName: 'ai-ops-detector',
      namespace: 'AiOps',
      output: ours.output,
    });
    exercise(telemetry.logger, telemetry.metrics, telemetry.addContext);

    const theirs = capture();
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      theirs.output.out(String(chunk).trimEnd());
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      theirs.output.err(String(chunk).trimEnd());
      return true;
    });
    const powertools = new Logger({ serviceName: 'ai-ops-detector' });
    const powertoolsMetrics = new Metrics({ serviceName: 'ai-ops-detector', namespace: 'AiOps' });
    const wrap = (logger: Logger): DetectorLogger => ({
      info: (message, attributes = {}) => logger.info(message, attributes),
      warn: (message, attributes = {}) => logger.warn(message, attributes),
      error: (message, attributes = {}) => logger.error(message, attributes),
      withKeys: (keys) => {
        const child = logger.createChild();
        child.appendKeys(keys);
        return wrap(child);
      },
    });
    exercise(
      wrap(powertools),
      {
        count: (name, value) => powertoolsMetrics.addMetric(name, MetricUnit.Count, value),
        publish: () => {
          if (powertoolsMetrics.hasStoredMetrics()) powertoolsMetrics.publishStoredMetrics();
        },
      },
      (context) => powertools.addContext(context as Parameters<Logger['addContext']>[0]),
    );
    vi.restoreAllMocks();

    expect(ours.lines).toEqual(theirs.lines);
    expect(ours.lines).toHaveLength(6);
    expect(JSON.parse(ours.lines[1]?.slice(4) ?? '')).toMatchObject({
      cold_start: true,
      function_request_id: CONTEXT.awsRequestId,
      xray_trace_id: '1-5759e988-bd862e3fe1be46a994272793',
      incidentKey: 'acme/shop#KeyError-sku',
    });
    expect(JSON.parse(ours.lines[4]?.slice(4) ?? '')).toMatchObject({ ErrorsSeen: [3, 2], IncidentsNew: 1 });
  });

  it.each([
    [{}, ['INFO', 'WARN', 'ERROR']],
    [{ POWERTOOLS_LOG_LEVEL: 'warn' }, ['WARN', 'ERROR']],
    [{ POWERTOOLS_LOG_LEVEL: 'DEBUG', AWS_LAMBDA_LOG_LEVEL: 'ERROR' }, ['ERROR']],
    [{ POWERTOOLS_LOG_LEVEL: 'SILENT' }, []],
  ])('honours the log level settings Powertools reads (%o)', (env, levels) => {
    const { output, lines } = capture();
    const { logger } = makeJsonLogger({ serviceName: 'ai-ops-detector', env, output });
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(lines.map((line) => JSON.parse(line.slice(4)).level)).toEqual(levels);
  });

  it('keeps the reason a context read failed (Powertools dropped it as a reserved key)', () => {
    const { output, lines } = capture();
    const { logger, metrics } = makeDetectorTelemetry({
      serviceName: 'ai-ops-detector',
      namespace: 'AiOps',
      output,
    });
    const outcome: RecordErrorsOutcome = {
      kind: 'recorded',
      logGroup: '/aws/lambda/orders',
      logStream: 'stream',
      eventsSeen: 1,
      errorsSeen: 0,
      incidents: [],
      context: {
        fetched: 1,
        assembled: 0,
        inferred: 0,
        skipped: 0,
        outOfTime: 0,
        failures: [
          { logStream: 'stream', timestamp: 1714564800000, message: 'AccessDeniedException: not authorized' },
        ],
      },
    };
    reportOutcome({ outcome, logger, metrics });
    const warning = lines.map((line) => JSON.parse(line.slice(4))).find((l) => l.level === 'WARN');
    expect(warning).toMatchObject({
      message: 'could not read the rest of a cut-off stack trace; recorded what was delivered',
      logStream: 'stream',
      eventTimestamp: 1714564800000,
      reason: 'AccessDeniedException: not authorized',
    });
  });
});
