import { gzipSync } from 'node:zlib';

/** One log event as CloudWatch Logs puts it in a subscription delivery. */
export interface SubscriptionLogEvent {
  id: string;
  timestamp: number;
  message: string;
}

export interface DataMessageOptions {
  logGroup?: string;
  logStream?: string;
  owner?: string;
  subscriptionFilters?: string[];
}

export const TEST_ACCOUNT = '123456789012';

/** The Lambda event a subscription filter delivers: `{ awslogs: { data: base64(gzip(JSON)) } }`. */
export function encodeSubscription(message: unknown): { awslogs: { data: string } } {
  return { awslogs: { data: gzipSync(JSON.stringify(message)).toString('base64') } };
}

/** A DATA_MESSAGE delivery, the shape documented under "Using CloudWatch Logs subscription filters". */
export function makeDataPayload(
  logEvents: readonly SubscriptionLogEvent[],
  {
    logGroup = '/aws/lambda/orders',
    logStream = '2024/05/01/[$LATEST]0123456789abcdef0123456789abcdef',
    owner = TEST_ACCOUNT,
    subscriptionFilters = ['ai-ops-errors'],
  }: DataMessageOptions = {},
): { awslogs: { data: string } } {
  return encodeSubscription({
    messageType: 'DATA_MESSAGE',
    owner,
    logGroup,
    logStream,
    subscriptionFilters,
    logEvents,
  });
}

/** The CONTROL_MESSAGE CloudWatch Logs sends to check that a destination is reachable. */
export function makeControlPayload(): { awslogs: { data: string } } {
  return encodeSubscription({
    messageType: 'CONTROL_MESSAGE',
    owner: 'CloudwatchLogs',
    logGroup: '',
    logStream: '',
    subscriptionFilters: [],
    logEvents: [
      {
        id: '',
        timestamp: 1_714_564_800_000,
        message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.',
      },
    ],
  });
}

/**
 * Subscription event ids are 56-digit strings, unique per event; these are unique per
 * (`prefix`, index) so two payloads built with different prefixes never share an event.
 */
export function makeEventId(prefix: string, index: number): string {
  const digits = [...prefix].map((c) => c.charCodeAt(0).toString().padStart(3, '0')).join('');
  return `${digits}${String(index).padStart(12, '0')}`.padStart(56, '3').slice(-56);
}

/** Log events with increasing timestamps and ids built by makeEventId. */
export function makeLogEvents(
  messages: readonly string[],
  { prefix = 'a', start = 1_714_564_800_000 }: { prefix?: string; start?: number } = {},
): SubscriptionLogEvent[] {
  return messages.map((message, index) => ({
    id: makeEventId(prefix, index),
    timestamp: start + index,
    message,
  }));
}

/** A Python traceback (one event, newlines inside) raised in `function` of the application's own code. */
export function pythonTrace({
  function: fn = 'handle_order',
  exceptionType = 'ValueError',
  message = "invalid literal for int() with base 10: 'abc'",
  file = '/var/task/app/orders.py',
}: {
  function?: string;
  exceptionType?: string;
  message?: string;
  file?: string;
} = {}): string {
  return [
    'Traceback (most recent call last):',
    '  File "/var/task/app/main.py", line 12, in lambda_handler',
    '    return process(event)',
    `  File "${file}", line 41, in ${fn}`,
    '    quantity = int(line["qty"])',
    `${exceptionType}: ${message}`,
  ].join('\n');
}
