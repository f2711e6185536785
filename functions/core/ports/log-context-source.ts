import type { LogEvent } from '../contracts.ts';

export interface LogContextRequest {
  logGroup: string;
  logStream: string;
  /** the timestamp (ms) of the event whose surroundings are wanted */
  timestamp: number;
  /** how long the read may take in all, its pages and retries included; past it, it throws */
  timeoutMs?: number;
}

/**
 * The rest of a log stream around one event: where the detector finds the lines of a stack
 * trace that the subscription filter did not deliver. Bounded by the adapter (time window,
 * events, pages). Returned events carry ids of the source's own making, unique per response.
 */
export interface LogContextSource {
  fetchAround(request: LogContextRequest): Promise<LogEvent[]>;
  /**
   * The stream's last events before `timestamp`, read back at most `spanMs`: what an invocation
   * Lambda stopped logged last. Bounded by the adapter (one page). A source that cannot read a
   * stream backwards leaves it out.
   */
  fetchBefore?(request: LogContextRequest & { spanMs: number }): Promise<LogEvent[]>;
}
