import { gunzipSync } from 'node:zlib';
import * as z from 'zod/mini';
import type { LogEvent } from '../contracts.ts';

/** What a CloudWatch Logs subscription delivered, once decoded and validated. */
export type DecodedSubscription =
  | { kind: 'control' }
  | {
      kind: 'data';
      owner: string;
      logGroup: string;
      logStream: string;
      subscriptionFilters: string[];
      events: LogEvent[];
    };

export type PayloadErrorCode =
  | 'not_an_object'
  | 'bad_base64'
  | 'bad_gzip'
  | 'bad_json'
  | 'bad_shape'
  | 'too_large';

/** A subscription payload that cannot be decoded. Not retryable: the same bytes will fail again. */
export class PayloadError extends Error {
  override readonly name = 'PayloadError';
  readonly code: PayloadErrorCode;
  constructor(code: PayloadErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

const EnvelopeSchema = z.object({ awslogs: z.object({ data: z.string().check(z.minLength(1)) }) });

const SubscriptionMessageSchema = z.discriminatedUnion('messageType', [
  z.object({ messageType: z.literal('CONTROL_MESSAGE') }),
  z.object({
    messageType: z.literal('DATA_MESSAGE'),
    owner: z.string(),
    logGroup: z.string().check(z.minLength(1)),
    logStream: z.string().check(z.minLength(1)),
    subscriptionFilters: z.array(z.string()),
  }),
]);

// CloudWatch Logs caps a subscription delivery at 1 MB compressed; a decoded payload far beyond
// that is not one AWS sent, and inflating it without a bound would let one event exhaust memory.
const MAX_DECODED_BYTES = 64 * 1024 * 1024;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes `{ awslogs: { data } }` (base64 → gunzip → JSON) into log events; throws PayloadError. */
export function decodeSubscriptionEvent(event: unknown): DecodedSubscription {
  const envelope = EnvelopeSchema.safeParse(event);
  if (!envelope.success) {
    throw new PayloadError(
      'not_an_object',
      'expected a CloudWatch Logs subscription event { awslogs: { data } }',
    );
  }
  return decodeSubscriptionData(envelope.data.awslogs.data);
}

/** Decodes the base64 `awslogs.data` string alone. */
export function decodeSubscriptionData(data: string): DecodedSubscription {
  let inflated: Buffer;
  try {
    inflated = gunzipSync(Buffer.from(data, 'base64'), { maxOutputLength: MAX_DECODED_BYTES });
  } catch (error: unknown) {
    // Checked only on failure: a regex over every good payload would cost as much as the gunzip.
    if (!BASE64.test(data.replace(/\s+/g, ''))) {
      throw new PayloadError('bad_base64', 'awslogs.data is not valid base64', { cause: error });
    }
    throw error instanceof RangeError
      ? new PayloadError('too_large', `awslogs.data inflates past ${MAX_DECODED_BYTES} bytes`, {
          cause: error,
        })
      : new PayloadError('bad_gzip', 'awslogs.data is not gzip data', { cause: error });
  }
  return parseSubscriptionJson(inflated.toString('utf8'));
}

/** Validates an already-decoded subscription message (the JSON inside `awslogs.data`). */
export function parseSubscriptionJson(json: string): DecodedSubscription {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error: unknown) {
    throw new PayloadError('bad_json', 'the decoded subscription data is not JSON', { cause: error });
  }
  return toDecoded(parsed);
}

/** Validates a decoded subscription message object. */
export function toDecoded(message: unknown): DecodedSubscription {
  // The envelope goes through zod; the events are checked by hand below, in place: zod per event
  // costs more than the whole gunzip of a 10,000-event batch.
  const raw: { logEvents?: unknown } = typeof message === 'object' && message !== null ? message : {};
  const { logEvents, ...envelope } = raw;
  const result = SubscriptionMessageSchema.safeParse(envelope);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
    throw new PayloadError('bad_shape', `not a subscription message${where}: ${issue?.message ?? 'invalid'}`);
  }
  const msg = result.data;
  if (msg.messageType === 'CONTROL_MESSAGE') return { kind: 'control' };
  if (!Array.isArray(logEvents)) {
    throw new PayloadError('bad_shape', 'not a subscription message at logEvents: expected an array');
  }
  const { logGroup, logStream } = msg;
  const events: LogEvent[] = logEvents;
  for (let i = 0; i < events.length; i++) {
    const e: unknown = events[i];
    if (!isRawEvent(e)) {
      throw new PayloadError(
        'bad_shape',
        `not a subscription message at logEvents.${i}: expected {id, timestamp, message}`,
      );
    }
    // Completed in place: these objects were just parsed from JSON and belong to nobody else.
    // Two plain stores, not Object.assign with a new object per event.
    const event = e as LogEvent;
    event.logGroup = logGroup;
    event.logStream = logStream;
  }
  return {
    kind: 'data',
    owner: msg.owner,
    logGroup,
    logStream,
    subscriptionFilters: msg.subscriptionFilters,
    events,
  };
}

function isRawEvent(value: unknown): value is { id: string; timestamp: number; message: string } {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as { id?: unknown; timestamp?: unknown; message?: unknown };
  return (
    typeof e.id === 'string' &&
    typeof e.timestamp === 'number' &&
    Number.isFinite(e.timestamp) &&
    typeof e.message === 'string'
  );
}
