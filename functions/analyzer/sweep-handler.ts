import type { ScheduledEvent } from 'aws-lambda';
import {
  type SweepDeps,
  type SweepOptions,
  type SweepSummary,
  sweepIncidents,
} from '../core/incident/sweep-incidents.ts';

/** What the sweep logs through (the analyzer's logger). */
export interface SweepLogger {
  info(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

/** True for what an EventBridge schedule rule sends (`source: aws.events`, `detail-type: Scheduled Event`). */
export function isScheduledEvent(event: unknown): event is ScheduledEvent {
  return (
    typeof event === 'object' &&
    event !== null &&
    'source' in event &&
    event.source === 'aws.events' &&
    'detail-type' in event &&
    event['detail-type'] === 'Scheduled Event'
  );
}

export interface SweepHandlerDeps {
  /** the sweep's ports: the store, the queue, and the follow-up clients per repository */
  sweepDeps: () => SweepDeps | Promise<SweepDeps>;
  options?: SweepOptions;
  logger: SweepLogger;
}

/** What one scheduled run answers: counts per outcome (each result goes to the log). */
export interface SweepResponse {
  counts: SweepSummary['counts'];
}

/**
 * The analyzer's scheduled entry: the post-merge check and the no-CI check for every incident
 * due one. An incident that fails is logged and left for the next run (every step is
 * conditional, so running again is safe); only a failure to list incidents fails the invocation.
 */
export function makeSweepHandler({
  sweepDeps,
  options = {},
  logger,
}: SweepHandlerDeps): (event: ScheduledEvent) => Promise<SweepResponse> {
  return async (event) => {
    const summary = await sweepIncidents(await sweepDeps(), options);
    for (const result of summary.results) {
      if (result.kind === 'failed')
        logger.error('sweep: incident failed; the next run tries again', { ...result, eventId: event.id });
      else if (result.kind !== 'not_due' && result.kind !== 'waiting')
        logger.info(`sweep: ${result.kind}`, { ...result, eventId: event.id });
    }
    logger.info('sweep finished', { counts: summary.counts, eventId: event.id });
    return { counts: summary.counts };
  };
}
