import type { RepairJob } from '../contracts.ts';

export interface EnqueueFailure {
  incidentKey: string;
  code: string;
  message: string;
}

/** Which jobs reached the queue; a job is in exactly one of the two lists. */
export interface EnqueueResult {
  sent: string[];
  failed: EnqueueFailure[];
}

/** Where repair jobs go (SQS in the cloud, memory on one machine). */
export interface JobQueue {
  /**
   * Send the jobs, retrying what the queue refuses for a while; reports per incident key what
   * got through instead of throwing, so the caller can mark exactly those as queued.
   */
  enqueue(jobs: readonly RepairJob[]): Promise<EnqueueResult>;
}
