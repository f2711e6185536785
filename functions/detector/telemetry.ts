import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** The detector's metric names (EMF, one namespace per deployment). */
export type DetectorMetricName =
  | 'ErrorsSeen'
  | 'IncidentsNew'
  | 'IncidentsRepeated'
  | 'JobsEnqueued'
  | 'PayloadsRejected'
  | 'ContextFetches'
  | 'ErrorsUnrouted';

/** A minimal structured logger: what the detector needs from Powertools, and what tests fake. */
export interface DetectorLogger {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
  /** a logger whose every line also carries `keys` (the incident key, for one) */
  withKeys(keys: Record<string, string>): DetectorLogger;
}

export interface DetectorMetrics {
  count(name: DetectorMetricName, value: number): void;
  /** write the stored metrics out (one EMF line) */
  publish(): void;
}

/** The Powertools Logger behind the DetectorLogger port. */
export function makePowertoolsLogger(logger: Logger): DetectorLogger {
  return {
    info: (message, attributes = {}) => logger.info(message, attributes),
    warn: (message, attributes = {}) => logger.warn(message, attributes),
    error: (message, attributes = {}) => logger.error(message, attributes),
    withKeys: (keys) => {
      const child = logger.createChild();
      child.appendKeys(keys);
      return makePowertoolsLogger(child);
    },
  };
}

/** Powertools Metrics (EMF) behind the DetectorMetrics port. */
export function makePowertoolsMetrics(metrics: Metrics): DetectorMetrics {
  return {
    count: (name, value) => {
      metrics.addMetric(name, MetricUnit.Count, value);
    },
    publish: () => {
      // A CONTROL_MESSAGE counts nothing; publishing then would only log Powertools' "no metrics" warning.
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    },
  };
}

/** Both, configured from the detector's settings. */
export function makePowertoolsTelemetry({
  serviceName,
  namespace,
}: {
  serviceName: string;
  namespace: string;
}): {
  powertoolsLogger: Logger;
  logger: DetectorLogger;
  metrics: DetectorMetrics;
} {
  const powertoolsLogger = new Logger({ serviceName });
  const metrics = new Metrics({ serviceName, namespace });
  return {
    powertoolsLogger,
    logger: makePowertoolsLogger(powertoolsLogger),
    metrics: makePowertoolsMetrics(metrics),
  };
}
