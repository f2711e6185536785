// A heavy subscription delivery for the detector benches: what a filter such as `?ERROR
// ?Exception` delivers from a Java service in an error storm — only the one-line `ERROR …Exception`
// heads of its traces — and the stream they came from, served by a stubbed GetLogEvents through
// the real CloudWatchLogsContext adapter and the real SDK client (middleware stops before HTTP).
import {
  CloudWatchLogsClient,
  type GetLogEventsCommandInput,
  type GetLogEventsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchLogsContext } from '../../functions/adapters/cloudwatch-logs-context.ts';
import type { LogContextSource } from '../../functions/core/ports/log-context-source.ts';

const START = 1_714_564_800_000;
const EXCEPTIONS = [
  ['c.e.o.OrderController', 'java.lang.IllegalStateException', 'order {id} has no lines'],
  ['c.e.p.PaymentService', 'com.example.payments.CardDeclinedException', 'card ending {id} declined'],
  ['c.e.i.InventoryClient', 'java.net.SocketTimeoutException', 'Read timed out after {id} ms'],
] as const;
const FRAMES = [
  '\tat com.example.orders.OrderService.total(OrderService.java:88)',
  '\tat com.example.orders.OrderController.checkout(OrderController.java:41)',
  '\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)',
  '\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)',
  '\tat org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:166)',
];

export interface CutOffStream {
  /** what the subscription filter delivered: the `ERROR` heads only */
  delivered: string[];
  deliveredTimestamps: number[];
  /** the whole stream: heads, their frames, and the service's ordinary lines between them */
  stream: { timestamp: number; message: string }[];
}

/**
 * `count` delivered events, 2 ms apart, as a filter on level-bearing lines (`?ERROR ?WARN ?INFO`)
 * delivers them: one in `headEvery` is an `ERROR …Exception` head whose frames (unprefixed) stay in
 * the stream only; the others are the service's ordinary INFO lines.
 */
export function cutOffStream(count: number, { headEvery = 1 }: { headEvery?: number } = {}): CutOffStream {
  const delivered: string[] = [];
  const deliveredTimestamps: number[] = [];
  const stream: { timestamp: number; message: string }[] = [];
  for (let i = 0; i < count; i++) {
    const at = START + i * 2;
    const stamp = new Date(at).toISOString().replace('T', ' ').replace('Z', '');
    const thread = `http-nio-8080-exec-${i % 16}`;
    if (i % headEvery !== 0) {
      const info = `${stamp} INFO [${thread}] c.e.Access - GET /api/orders/${i} 200 ${i % 90} ms`;
      delivered.push(info);
      deliveredTimestamps.push(at);
      stream.push({ timestamp: at, message: info });
      continue;
    }
    const [logger, type, message] = EXCEPTIONS[(i / headEvery) % EXCEPTIONS.length] ?? EXCEPTIONS[0];
    const head = `${stamp} ERROR [${thread}] ${logger} - ${type}: ${message.replace('{id}', String(4000 + i))}`;
    delivered.push(head);
    deliveredTimestamps.push(at);
    stream.push({ timestamp: at, message: head });
    for (const frame of FRAMES) stream.push({ timestamp: at, message: frame });
  }
  return { delivered, deliveredTimestamps, stream };
}

/** The production LogContextSource over an SDK client whose GetLogEvents answers from `stream`. */
export function stubbedLogContext(stream: CutOffStream['stream']): {
  logContext: LogContextSource;
  calls: () => number;
} {
  const client = new CloudWatchLogsClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'bench-only-not-a-secret' },
  });
  let calls = 0;
  client.middlewareStack.add(
    () => async (args) => {
      calls++;
      const input = args.input as GetLogEventsCommandInput;
      const from = input.nextToken
        ? Number(input.nextToken.slice(2))
        : firstAtOrAfter(stream, input.startTime ?? 0);
      const events: { timestamp: number; message: string; ingestionTime: number }[] = [];
      let i = from;
      for (; i < stream.length && events.length < (input.limit ?? 10_000); i++) {
        const event = stream[i];
        if (!event || event.timestamp >= (input.endTime ?? Number.POSITIVE_INFINITY)) break;
        events.push({ ...event, ingestionTime: event.timestamp + 200 });
      }
      const output: GetLogEventsCommandOutput = { $metadata: {}, events, nextForwardToken: `f/${i}` };
      return { output, response: {} };
    },
    { step: 'initialize', name: 'stubGetLogEvents' },
  );
  return { logContext: new CloudWatchLogsContext({ client }), calls: () => calls };
}

function firstAtOrAfter(stream: CutOffStream['stream'], timestamp: number): number {
  let lo = 0;
  let hi = stream.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((stream[mid]?.timestamp ?? 0) < timestamp) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
