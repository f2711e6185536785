import { type CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { LogEvent } from '../core/contracts.ts';
import type { LogContextRequest, LogContextSource } from '../core/log-context-source.ts';

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

  async fetchAround({ logGroup, logStream, timestamp }: LogContextRequest): Promise<LogEvent[]> {
    const events: LogEvent[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < this.#maxPages && events.length < this.#maxEvents; page++) {
      const response = await this.#client.send(
        new GetLogEventsCommand({
          logGroupName: logGroup,
          logStreamName: logStream,
          startTime: timestamp - this.#beforeMs,
          // endTime is exclusive
          endTime: timestamp + this.#afterMs + 1,
          startFromHead: true,
          limit: this.#maxEvents - events.length,
          nextToken,
        }),
      );
      for (const event of response.events ?? []) {
        if (events.length === this.#maxEvents) break;
        events.push({
          id: `ctx-${timestamp}-${events.length}`,
          timestamp: event.timestamp ?? timestamp,
          message: event.message ?? '',
          logGroup,
          logStream,
        });
      }
      // GetLogEvents signals the end of the stream by handing back the token it was given.
      if (!response.nextForwardToken || response.nextForwardToken === nextToken) break;
      nextToken = response.nextForwardToken;
    }
    return events;
  }
}
