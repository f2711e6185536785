import type { LogEvent } from '../../functions/core/contracts.ts';

export interface EventOptions {
  logGroup?: string;
  logStream?: string;
  start?: number;
  idPrefix?: string;
}

/** Log events with increasing timestamps and ids, as one stream delivers them. */
export function makeEvents(
  messages: readonly string[],
  {
    logGroup = '/aws/lambda/app',
    logStream = 'stream-1',
    start = 1_714_564_800_000,
    idPrefix = 'e',
  }: EventOptions = {},
): LogEvent[] {
  return messages.map((message, i) => ({
    id: `${idPrefix}${i}`,
    timestamp: start + i,
    message,
    logGroup,
    logStream,
  }));
}

/** The two shapes a trace reaches CloudWatch in: one event holding it all, or one event per line. */
export function deliveries(trace: string): { oneEvent: string[]; perLine: string[] } {
  const lines = trace.replace(/\n+$/, '').split('\n');
  return { oneEvent: [lines.join('\n')], perLine: lines };
}
