import {
  CloudWatchLogsClient,
  type GetLogEventsCommandInput,
  type GetLogEventsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import { describe, expect, it } from 'vitest';
import { CloudWatchLogsContext } from '../../functions/adapters/cloudwatch-logs-context.ts';
import { FAKE_CREDENTIALS } from '../support/dynalite-server.ts';

const AT = 1_714_564_800_000;

/** A client whose GetLogEvents answers from `page(input, call)`, stubbed at the SDK edge. */
function makeClient(
  page: (input: GetLogEventsCommandInput, call: number) => Omit<GetLogEventsCommandOutput, '$metadata'>,
) {
  const client = new CloudWatchLogsClient({ region: 'us-east-1', credentials: FAKE_CREDENTIALS });
  const calls: GetLogEventsCommandInput[] = [];
  client.middlewareStack.add(
    () => async (args) => {
      const input = args.input as GetLogEventsCommandInput;
      calls.push(input);
      const output: GetLogEventsCommandOutput = { $metadata: {}, ...page(input, calls.length) };
      return { output, response: {} };
    },
    { step: 'initialize', name: 'stubGetLogEvents' },
  );
  return { client, calls };
}

const lines = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ timestamp: AT + from + i, message: `line ${from + i}` }));

describe('CloudWatchLogsContext', () => {
  it('reads the stream forward from 5 s before to 30 s after the event', async () => {
    const { client, calls } = makeClient((input) => ({
      events: input.nextToken ? [] : lines(3),
      nextForwardToken: 'f/1',
    }));
    const context = new CloudWatchLogsContext({ client });

    const events = await context.fetchAround({
      logGroup: '/aws/lambda/orders',
      logStream: 's1',
      timestamp: AT,
    });

    expect(calls[0]).toMatchObject({
      logGroupName: '/aws/lambda/orders',
      logStreamName: 's1',
      startTime: AT - 5_000,
      endTime: AT + 30_001,
      startFromHead: true,
      limit: 500,
    });
    expect(events).toEqual(
      lines(3).map((l, i) => ({
        ...l,
        id: `ctx-${AT}-${i}`,
        logGroup: '/aws/lambda/orders',
        logStream: 's1',
      })),
    );
  });

  it('stops when GetLogEvents hands back the token it was given (the end of the stream)', async () => {
    const { client, calls } = makeClient((input) => ({
      events: input.nextToken ? [] : lines(2),
      nextForwardToken: 'f/same',
    }));
    await new CloudWatchLogsContext({ client }).fetchAround({ logGroup: 'g', logStream: 's', timestamp: AT });
    expect(calls).toHaveLength(2);
    expect(calls[1]?.nextToken).toBe('f/same');
  });

  it('reads at most maxPages pages and maxEvents events from a chatty stream', async () => {
    const { client, calls } = makeClient((input, call) => ({
      events: lines(input.limit ?? 0, call * 1000),
      nextForwardToken: `f/${call}`,
    }));
    const context = new CloudWatchLogsContext({ client, maxEvents: 50, maxPages: 2 });
    const events = await context.fetchAround({ logGroup: 'g', logStream: 's', timestamp: AT });
    expect(events).toHaveLength(50);
    expect(calls).toHaveLength(1);

    const { client: sparse, calls: sparseCalls } = makeClient((_input, call) => ({
      events: lines(10, call * 1000),
      nextForwardToken: `f/${call}`,
    }));
    const fewer = await new CloudWatchLogsContext({ client: sparse, maxEvents: 50, maxPages: 2 }).fetchAround(
      {
        logGroup: 'g',
        logStream: 's',
        timestamp: AT,
      },
    );
    expect(sparseCalls).toHaveLength(2);
    expect(sparseCalls[1]?.limit).toBe(40);
    expect(fewer).toHaveLength(20);
    expect(new Set(fewer.map((e) => e.id)).size).toBe(20);
  });
});

describe('CloudWatchLogsContext on a dense stream', () => {
  it('reads on from the event itself when the first page ends before reaching it', async () => {
    // 2,000 lines in the 5 s before the event: a first page of 500 from `startTime` ends long before it.
    const stream = [
      ...Array.from({ length: 2_000 }, (_, i) => ({ timestamp: AT - 4_000 + i, message: `before ${i}` })),
      { timestamp: AT, message: 'ERROR c.e.Orders - java.lang.IllegalStateException: boom' },
      { timestamp: AT, message: '\tat com.example.Orders.total(Orders.java:88)' },
    ];
    const { client, calls } = makeClient((input) => {
      const from = stream.findIndex((e) => e.timestamp >= (input.startTime ?? 0));
      const events = stream.slice(from, from + (input.limit ?? 500));
      return { events, nextForwardToken: `f/${from + events.length}` };
    });
    const context = new CloudWatchLogsContext({ client, maxEvents: 500 });

    const events = await context.fetchAround({ logGroup: '/ecs/shop', logStream: 's1', timestamp: AT });

    expect(calls).toHaveLength(2);
    expect(calls[1]?.startTime).toBe(AT);
    expect(events.map((e) => e.message)).toContain('\tat com.example.Orders.total(Orders.java:88)');
    expect(events[0]?.message).toBe('before 450');
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });
});

describe('CloudWatchLogsContext.fetchBefore', () => {
  // GetLogEvents with startFromHead false answers the newest `limit` events of the range, oldest first.
  const stream = Array.from({ length: 300 }, (_, i) => ({ timestamp: AT - 300 + i, message: `step ${i}` }));
  const backwards = (input: GetLogEventsCommandInput) => {
    const inRange = stream.filter(
      (e) =>
        e.timestamp >= (input.startTime ?? 0) && e.timestamp < (input.endTime ?? Number.POSITIVE_INFINITY),
    );
    return {
      events: input.startFromHead ? inRange.slice(0, input.limit) : inRange.slice(-(input.limit ?? 0)),
    };
  };

  it("reads one page back from the stop over the invocation's length, newest events, oldest first", async () => {
    const { client, calls } = makeClient(backwards);
    const context = new CloudWatchLogsContext({ client });

    const events = await context.fetchBefore({
      logGroup: '/aws/lambda/orders',
      logStream: 's1',
      timestamp: AT,
      spanMs: 3_000,
    });

    expect(calls).toEqual([
      expect.objectContaining({
        logGroupName: '/aws/lambda/orders',
        logStreamName: 's1',
        startTime: AT - 4_000,
        endTime: AT,
        startFromHead: false,
        limit: 100,
      }),
    ]);
    expect(events.map((e) => e.message)).toEqual(stream.slice(-100).map((e) => e.message));
    expect(new Set(events.map((e) => e.id)).size).toBe(100);
  });

  it('reads back 15 minutes at most (the longest an invocation runs)', async () => {
    const { client, calls } = makeClient(backwards);
    await new CloudWatchLogsContext({ client }).fetchBefore({
      logGroup: 'g',
      logStream: 's',
      timestamp: AT,
      spanMs: 86_400_000,
    });
    expect(calls[0]?.startTime).toBe(AT - 15 * 60_000 - 1_000);
  });
});
