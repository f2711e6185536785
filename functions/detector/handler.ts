import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { awsClientOptions } from '../adapters/aws-client-options.ts';
import { CloudWatchLogsContext } from '../adapters/cloudwatch-logs-context.ts';
import { DynamoDbIncidentStore } from '../adapters/dynamodb-incident-store.ts';
import { SqsJobQueue } from '../adapters/sqs-job-queue.ts';
import { BarrenLines } from '../core/detect/barren-lines.ts';
import {
  type RecordErrorsDeps,
  type RecordErrorsOutcome,
  recordErrors,
} from '../core/detect/record-errors.ts';
import { loadDetectorConfig, makeRepositoryResolver } from './config.ts';
import { reportFailure, reportOutcome } from './report-outcome.ts';
import { type DetectorLogger, type DetectorMetrics, makeDetectorTelemetry } from './telemetry.ts';

export interface DetectorDeps extends RecordErrorsDeps {
  logger: DetectorLogger;
  metrics: DetectorMetrics;
}

export type DetectorHandler = (event: unknown) => Promise<RecordErrorsOutcome>;

/**
 * The detector Lambda. A payload that can never decode returns normally (CloudWatch Logs
 * invokes asynchronously, and a throw would only be retried into the same failure); a store or
 * queue failure throws, so Lambda retries the delivery and the incident rules pick up where it stopped.
 */
export function makeHandler({ logger, metrics, ...useCase }: DetectorDeps): DetectorHandler {
  return async (event) => {
    try {
      const outcome = await recordErrors({ event }, useCase);
      reportOutcome({ outcome, logger, metrics });
      return outcome;
    } catch (error: unknown) {
      reportFailure({ error, logger, metrics });
      throw error;
    } finally {
      metrics.publish();
    }
  };
}

// Built once per container and reused by warm invocations. The SDK retries throttling, 5xx and
// attempts that outlast their timeout (a stalled connection); what still fails is thrown (see
// makeHandler). Context reads have their own budget per delivery (recordErrors).
const dynamodb = new DynamoDBClient(awsClientOptions({ maxAttempts: 6, timeoutMs: 5_000 }));
const sqs = new SQSClient(awsClientOptions({ maxAttempts: 6, timeoutMs: 5_000 }));
const logs = new CloudWatchLogsClient(awsClientOptions({ maxAttempts: 3, timeoutMs: 5_000 }));

let cached: { handle: DetectorHandler; addContext: (context: Context) => void } | undefined;

// Config is read on the first invocation, not on import, so importing this file needs no env.
function init(): NonNullable<typeof cached> {
  const config = loadDetectorConfig(process.env);
  const { logger, metrics, addContext } = makeDetectorTelemetry({
    serviceName: config.serviceName,
    namespace: config.metricsNamespace,
  });
  const handle = makeHandler({
    store: new DynamoDbIncidentStore({ client: dynamodb, tableName: config.incidentsTableName }),
    queue: new SqsJobQueue({ client: sqs, queueUrl: config.repairQueueUrl }),
    logContext: new CloudWatchLogsContext({ client: logs }),
    resolveRepo: makeRepositoryResolver(config.repositories),
    ownLogGroups: new Set(config.ownLogGroups),
    ttlDays: config.incidentTtlDays,
    // kept by the warm container: lone lines read around in vain are not read again each delivery
    barrenLines: new BarrenLines(),
    logger,
    metrics,
  });
  return { handle, addContext };
}

export const handler = async (event: unknown, context: Context): Promise<RecordErrorsOutcome> => {
  cached ??= init();
  cached.addContext(context);
  return cached.handle(event);
};
