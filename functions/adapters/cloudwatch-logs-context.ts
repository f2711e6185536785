import { type CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { LogEvent } from '../core/contracts.ts';
import type { LogContextRequest, LogContextSource } from '../core/ports/log-context-source.ts';

export interface CloudWatchLogsContextOptions {
  client: CloudWatchLogsClient;
  /** how far before the event to read: a trace's header may be logged a little before its first delivered line */
  beforeMs?: number;
  /** how far after the event to read: the rest of the trace follows it */
  afterMs?: number;
  /** events per response and in total */
  maxEvents?: number;
  maxPages?: number;
}

/**
 * LogContextSource on CloudWatch Logs GetLogEvents: reads one stream forward from shortly
 * before the event, bounded in time, events and pages so a chatty stream cannot stall the
 * detector. GetLogEvents returns no event ids, so the ids here are made up, unique per call.
 */
export class CloudWatchLogsContext implements LogContextSource {
  readonly #client: CloudWatchLogsClient;
  readonly #beforeMs: number;
  readonly #afterMs: number;
  readonly #maxEvents: number;
  readonly #maxPages: number;

  constructor({
    client,
    beforeMs = 5_000,
    afterMs = 30_000,
    maxEvents = 500,
    maxPages = 2,
  }: CloudWatchLogsContextOptions) {
    this.#client = client;
    this.#beforeMs = beforeMs;
    this.#afterMs = afterMs;
    this.#maxEvents = maxEvents;
    this.#maxPages = maxPages;
  }

  fetchAround({ logGroup, logStream, timestamp, timeoutMs }: LogContextRequest): Promise<LogEvent[]> {
    return withDeadline(timeoutMs, (abortSignal) =>
      this.#read({ logGroup, logStream, timestamp }, abortSignal),
    );
  }

  /** One page read backwards (`startFromHead: false`): the last events before `timestamp`, oldest first. */
  fetchBefore({
    logGroup,
    logStream,
    timestamp,
    spanMs,
    timeoutMs,
  }: LogContextRequest & { spanMs: number }): Promise<LogEvent[]> {
    return withDeadline(timeoutMs, async (abortSignal) => {
      const response = await this.#client.send(
        new GetLogEventsCommand({
          logGroupName: logGroup,
          logStreamName: logStream,
          // an invocation at most 15 minutes long, and a second for the lines Lambda writes before it
          startTime: timestamp - Math.min(Math.max(spanMs, 0), MAX_INVOCATION_MS) - 1_000,
          // exclusive: the line that reported the stop is not what the invocation logged
          endTime: timestamp,
          startFromHead: false,
          limit: LAST_EVENTS,
        }),
        { abortSignal },
      );
      return (response.events ?? []).map((event, i) => ({
        id: `ctx-before-${timestamp}-${i}`,
        timestamp: event.timestamp ?? timestamp,
        message: event.message ?? '',
        logGroup,
        logStream,
      }));
    });
  }

  async #read(
    { logGroup, logStream, timestamp }: LogContextRequest,
    abortSignal: AbortSignal | undefined,
  ): Promise<LogEvent[]> {
    const events: LogEvent[] = [];
    let nextToken: string | undefined;
    let startTime = timestamp - this.#beforeMs;
    for (let page = 0; page < this.#maxPages && events.length < this.#maxEvents; page++) {
      const limit = this.#maxEvents - events.length;
      const response = await this.#client.send(
        new GetLogEventsCommand({
          logGroupName: logGroup,
          logStreamName: logStream,
          startTime,
          // endTime is exclusive
          endTime: timestamp + this.#afterMs + 1,
          startFromHead: true,
          limit,
          nextToken,
        }),
        { abortSignal },
      );
      const received = response.events ?? [];
      for (const event of received) {
        if (events.length === this.#maxEvents) break;
        // ids are given once the events are final (the first page may be cut below)
        events.push({
          id: '',
          timestamp: event.timestamp ?? timestamp,
          message: event.message ?? '',
          logGroup,
          logStream,
        });
      }
      const last = received.at(-1)?.timestamp;
      if (page === 0 && last !== undefined && last < timestamp && received.length >= limit) {
        // A dense stream filled the page before reaching the event: keep the lines just before it
        // (a trace's header may precede the delivered line) and read on from the event itself.
        events.splice(0, Math.max(0, events.length - KEPT_BEFORE));
        startTime = timestamp;
        nextToken = undefined;
        continue;
      }
      // GetLogEvents signals the end of the stream by handing back the token it was given.
      if (!response.nextForwardToken || response.nextForwardToken === nextToken) break;
      nextToken = response.nextForwardToken;
    }
    for (let i = 0; i < events.length; i++) (events[i] as LogEvent).id = `ctx-${timestamp}-${i}`;
    return events;
  }
}

/** Lines before the event kept when a dense stream's first page ended before reaching it. */
const KEPT_BEFORE = 50;
/** Events read back from a stopped invocation's end: its last lines are among them. */
const LAST_EVENTS = 100;
const MAX_INVOCATION_MS = 15 * 60 * 1000;

/** One deadline for every page and retry of a read: the SDK stops at once when it passes. */
async function withDeadline<T>(
  timeoutMs: number | undefined,
  read: (abortSignal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  const abortSignal = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
  try {
    return await read(abortSignal);
  } catch (error: unknown) {
    if (!abortSignal?.aborted) throw error;
    throw new Error(`GetLogEvents did not answer within ${timeoutMs} ms`, { cause: error });
  }
}
