import { readFileSync } from 'node:fs';
import type { LogEvent } from '../../functions/core/contracts.ts';
import { DEFAULT_FILTER_PATTERN } from '../../infra/config.ts';

/**
 * The default subscription filter's terms (`?ERROR`, `?"Task timed out"` …). CloudWatch matches
 * each anywhere in an event's text, case-sensitively: AWS's own example has `Exception` match
 * `IllegalArgumentException`.
 */
export const DEFAULT_FILTER_TERMS: readonly string[] = [
  ...DEFAULT_FILTER_PATTERN.matchAll(/\?(?:"([^"]+)"|(\S+))/g),
].map((m) => m[1] ?? m[2] ?? '');

/** Whether the default filter pattern delivers an event with this text. */
export const passesDefaultFilter = (message: string): boolean =>
  DEFAULT_FILTER_TERMS.some((term) => message.includes(term));

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

/** The text of a captured fixture, `path` under test/fixtures/traces/. */
export function traceText(path: string): string {
  return readFileSync(new URL(`../fixtures/traces/${path}`, import.meta.url), 'utf8');
}

/**
 * The messages of a captured `.events.jsonl` fixture (each line one event's message as a JSON
 * string, as the runtime wrote it), `path` under test/fixtures/traces/.
 */
export function capturedMessages(path: string): string[] {
  return traceText(path)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as string);
}
