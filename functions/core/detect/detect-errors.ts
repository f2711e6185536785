import type { ErrorRecord, LogEvent } from '../contracts.ts';

/** One error found in a batch of log events. */
export interface DetectedError {
  record: ErrorRecord;
  /**
   * The trace looks cut off at the batch boundary (only its first lines were delivered):
   * the caller may fetch the rest of the stream around `record.timestamp` and detect again.
   */
  needsContext: boolean;
}

/** Finds error records in log events (one stream or many), assembling multi-line traces. */
export function detectErrors(_events: readonly LogEvent[]): DetectedError[] {
  return [];
}
