import type { LogEvent } from '../../core/contracts.ts';
import { decodeSubscriptionData, PayloadError, toDecoded } from '../../core/detect/decode-subscription.ts';

/** Input the CLI could not read as log events: the message says what was wrong and where. */
export class LogInputError extends Error {
  override readonly name = 'LogInputError';
  readonly code = 'unreadable_input';
}

export type InputFormat = 'subscription' | 'jsonl' | 'text';

export interface ReadLogInputOptions {
  logGroup?: string;
  logStream?: string;
  /** timestamp for plain-text lines, which carry none of their own */
  now?: () => number;
}

const BASE64_ONLY = /^[A-Za-z0-9+/=\s]+$/;

/**
 * Turns what a person pipes in into log events: a whole subscription event (or its decoded JSON,
 * or the bare base64 `awslogs.data`), JSON Lines of `{timestamp, message}`, or plain text lines.
 */
export function readLogInput(
  input: Uint8Array,
  { logGroup = 'stdin', logStream = 'stdin', now = Date.now }: ReadLogInputOptions = {},
): { format: InputFormat; events: LogEvent[] } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch (error: unknown) {
    throw new LogInputError('input is not UTF-8 text (is it a gzip file? decompress it first)', {
      cause: error,
    });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const trimmed = text.trim();
  if (trimmed === '') return { format: 'text', events: [] };

  if (trimmed.startsWith('{')) {
    const whole = tryJson(trimmed);
    if (whole !== undefined && typeof whole === 'object' && whole !== null && !Array.isArray(whole)) {
      if ('awslogs' in whole || 'messageType' in whole)
        return { format: 'subscription', events: subscription(whole) };
    }
    // `{timestamp, message}` objects are events; any other JSON is a structured log line
    // (pino, Powertools, zap …) and is read as text, so the detector sees all of its fields.
    const first = tryJson(trimmed.split('\n', 1)[0] ?? '');
    if (isEventObject(first)) return { format: 'jsonl', events: jsonLines(text, logGroup, logStream) };
  }
  if (BASE64_ONLY.test(trimmed) && trimmed.startsWith('H4sI')) {
    // H4sI is base64 for gzip's magic bytes: the bare `awslogs.data` string.
    return { format: 'subscription', events: unwrap(() => decodeSubscriptionData(trimmed)) };
  }
  const at = now();
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return {
    format: 'text',
    events: lines.map((message, i) => ({ id: String(i + 1), timestamp: at, message, logGroup, logStream })),
  };
}

const EVENT_KEYS = new Set(['timestamp', 'message', 'id', 'logGroup', 'logStream']);

function isEventObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.includes('message') && keys.every((k) => EVENT_KEYS.has(k));
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function subscription(value: object): LogEvent[] {
  return unwrap(() => ('awslogs' in value ? decodeAwslogs(value) : toDecoded(value)));
}

function decodeAwslogs(value: object) {
  const awslogs = 'awslogs' in value ? value.awslogs : undefined;
  const data =
    typeof awslogs === 'object' && awslogs !== null && 'data' in awslogs ? awslogs.data : undefined;
  if (typeof data !== 'string')
    throw new PayloadError('not_an_object', 'awslogs.data is missing or not a string');
  return decodeSubscriptionData(data);
}

function unwrap(decode: () => ReturnType<typeof toDecoded>): LogEvent[] {
  try {
    const decoded = decode();
    return decoded.kind === 'control' ? [] : decoded.events;
  } catch (error: unknown) {
    if (error instanceof PayloadError)
      throw new LogInputError(`bad subscription payload: ${error.message}`, { cause: error });
    throw error;
  }
}

function jsonLines(text: string, logGroup: string, logStream: string): LogEvent[] {
  const events: LogEvent[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const value = tryJson(line);
    const where = `JSON Lines input, line ${i + 1}`;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new LogInputError(`${where}: not a JSON object`);
    }
    const record = value as Record<string, unknown>;
    if (typeof record.message !== 'string') throw new LogInputError(`${where}: "message" must be a string`);
    const ts = record.timestamp;
    const timestamp = typeof ts === 'number' ? ts : typeof ts === 'string' ? Date.parse(ts) : 0;
    if (Number.isNaN(timestamp)) throw new LogInputError(`${where}: "timestamp" is not a number or a date`);
    events.push({
      id: typeof record.id === 'string' ? record.id : String(i + 1),
      timestamp,
      message: record.message,
      logGroup: typeof record.logGroup === 'string' ? record.logGroup : logGroup,
      logStream: typeof record.logStream === 'string' ? record.logStream : logStream,
    });
  });
  return events;
}
