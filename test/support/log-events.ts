import { readFileSync } from 'node:fs';
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

/**
 * The messages of a captured `.events.jsonl` fixture (each line one event's message as a JSON
 * string, as the runtime wrote it), `path` under test/fixtures/traces/.
 */
export function capturedMessages(path: string): string[] {
  return readFileSync(new URL(`../fixtures/traces/${path}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as string);
}
