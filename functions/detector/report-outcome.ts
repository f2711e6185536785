import { EnqueueFailedError, type RecordErrorsOutcome } from '../core/detect/record-errors.ts';
import type { DetectorLogger, DetectorMetrics } from './telemetry.ts';

/**
 * Turns the use case's outcome into log lines and metrics. Lines carry names, counts and keys,
 * never log text: the only log text that leaves the detector is the redacted sample in the store.
 */
export function reportOutcome({
  outcome,
  logger,
  metrics,
}: {
  outcome: RecordErrorsOutcome;
  logger: DetectorLogger;
  metrics: DetectorMetrics;
}): void {
  switch (outcome.kind) {
    case 'rejected':
      metrics.count('PayloadsRejected', 1);
      logger.error('rejected a subscription payload that cannot be decoded; it is dropped, not retried', {
        reason: outcome.code,
        detail: outcome.reason,
      });
      return;
    case 'control':
      logger.info('ignored a CONTROL_MESSAGE (CloudWatch Logs checking that the destination is reachable)');
      return;
    case 'ignored':
      logger.warn(
        "ignored events from ai-ops' own log group; remove the subscription filter that sends them here",
        { logGroup: outcome.logGroup },
      );
      return;
    case 'unrouted':
      metrics.count('ErrorsSeen', outcome.errorsSeen);
      metrics.count('ErrorsUnrouted', outcome.errorsSeen);
      logger.warn(
        'errors in a log group with no repository configured; add it to REPOSITORIES.logGroups or set a default',
        { logGroup: outcome.logGroup, errorsSeen: outcome.errorsSeen },
      );
      return;
    case 'recorded':
      reportRecorded({ outcome, logger, metrics });
      return;
  }
}

function reportRecorded({
  outcome,
  logger,
  metrics,
}: {
  outcome: Extract<RecordErrorsOutcome, { kind: 'recorded' }>;
  logger: DetectorLogger;
  metrics: DetectorMetrics;
}): void {
  const created = outcome.incidents.filter((i) => i.result === 'created').length;
  const enqueued = outcome.incidents.filter((i) => i.enqueued).length;
  metrics.count('ErrorsSeen', outcome.errorsSeen);
  metrics.count('IncidentsNew', created);
  metrics.count('IncidentsRepeated', outcome.incidents.length - created);
  metrics.count('JobsEnqueued', enqueued);
  metrics.count('ContextFetches', outcome.context.fetched);
  for (const incident of outcome.incidents) {
    logger.withKeys({ incidentKey: incident.incidentKey }).info(describeIncident(incident), {
      result: incident.result,
      status: incident.status,
      count: incident.count,
      totalCount: incident.totalCount,
      enqueued: incident.enqueued,
      reopened: incident.reopened,
    });
  }
  for (const failure of outcome.context.failures) {
    // `message` and `timestamp` name the line's own fields, so the failure's go under other names.
    const what = failure.lastLines
      ? 'could not read what a timed-out invocation logged last; recorded the timeout as delivered'
      : failure.exitCause
        ? "could not read the error before a runtime's exit; recorded the exit as delivered"
        : failure.earlierPrint
          ? "could not read the log line before a runtime's report of an error; recorded the report as delivered"
          : 'could not read the rest of a cut-off stack trace; recorded what was delivered';
    logger.warn(what, {
      logStream: failure.logStream,
      eventTimestamp: failure.timestamp,
      reason: failure.message,
    });
  }
  if (outcome.context.skipped > 0) {
    logger.warn('left cut-off stack traces incomplete: too many context reads for one delivery', {
      skipped: outcome.context.skipped,
    });
  }
  if (outcome.context.outOfTime > 0) {
    logger.warn('left cut-off stack traces incomplete: the time for context reads ran out', {
      outOfTime: outcome.context.outOfTime,
    });
  }
  logger.info('recorded a subscription delivery', {
    logGroup: outcome.logGroup,
    logStream: outcome.logStream,
    eventsSeen: outcome.eventsSeen,
    errorsSeen: outcome.errorsSeen,
    incidents: outcome.incidents.length,
    incidentsNew: created,
    jobsEnqueued: enqueued,
    contextFetches: outcome.context.fetched,
    tracesAssembled: outcome.context.assembled,
    tracesInferred: outcome.context.inferred,
  });
}

function describeIncident(
  incident: Extract<RecordErrorsOutcome, { kind: 'recorded' }>['incidents'][number],
): string {
  if (incident.result === 'created')
    return incident.enqueued ? 'new incident, repair job enqueued' : 'new incident';
  if (incident.reopened) return 'resolved incident recurred: reopened, repair job enqueued';
  if (incident.enqueued) return 'incident had no job yet: repair job enqueued';
  return incident.result === 'duplicate' ? 'redelivered occurrences ignored' : 'incident recurred';
}

/** Logs a failed invocation before it is rethrown for Lambda to retry. */
export function reportFailure({
  error,
  logger,
  metrics,
}: {
  error: unknown;
  logger: DetectorLogger;
  metrics: DetectorMetrics;
}): void {
  if (error instanceof EnqueueFailedError) {
    reportRecorded({ outcome: error.outcome, logger, metrics });
    for (const failure of error.failures) {
      logger
        .withKeys({ incidentKey: failure.incidentKey })
        .error('repair job not enqueued; the incident stays new', {
          code: failure.code,
          detail: failure.message,
        });
    }
  }
  logger.error('detector invocation failed; Lambda retries the delivery', {
    error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
  });
}
