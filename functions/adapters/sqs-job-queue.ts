import {
  ChangeMessageVisibilityCommand,
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { RepairJob } from '../core/contracts.ts';
import type { EnqueueFailure, EnqueueResult, JobQueue } from '../core/ports/job-queue.ts';

// SQS caps a batch at 10 entries and 256 KiB in total (the classic limit; some regions allow more).
const MAX_BATCH_ENTRIES = 10;
const MAX_BATCH_BYTES = 256 * 1024;
const TRUNCATION_MARK = '\n… [truncated to fit an SQS message]';
// ChangeMessageVisibility's ceiling: 12 hours.
const MAX_VISIBILITY_SECONDS = 12 * 60 * 60;

export interface SqsJobQueueOptions {
  client: SQSClient;
  queueUrl: string;
  /** extra rounds for entries SQS refused with a server-side fault (the client already retries whole calls) */
  entryRetries?: number;
  retryDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** JobQueue on SQS: SendMessageBatch in chunks of 10, refused entries retried, the rest reported. */
export class SqsJobQueue implements JobQueue {
  readonly #client: SQSClient;
  readonly #queueUrl: string;
  readonly #entryRetries: number;
  readonly #retryDelayMs: number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor({
    client,
    queueUrl,
    entryRetries = 3,
    retryDelayMs = 100,
    sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  }: SqsJobQueueOptions) {
    this.#client = client;
    this.#queueUrl = queueUrl;
    this.#entryRetries = entryRetries;
    this.#retryDelayMs = retryDelayMs;
    this.#sleep = sleep;
  }

  async enqueue(jobs: readonly RepairJob[]): Promise<EnqueueResult> {
    const sent: string[] = [];
    const failed: EnqueueFailure[] = [];
    const pending: { incidentKey: string; body: string }[] = [];
    for (const job of jobs) {
      const body = serializeJob(job);
      if (body === undefined) {
        failed.push({
          incidentKey: job.incidentKey,
          code: 'too_large',
          message: 'the job does not fit in one SQS message',
        });
      } else {
        pending.push({ incidentKey: job.incidentKey, body });
      }
    }
    for (const chunk of chunkEntries(pending)) {
      const result = await this.#sendChunk(chunk);
      sent.push(...result.sent);
      failed.push(...result.failed);
    }
    return { sent, failed };
  }

  /**
   * Makes a received message visible again in `seconds` (0 to 12 hours, as SQS allows): a job
   * sent back for a retry comes back when its backoff or `retry-after` ends, not when the queue's
   * visibility timeout does.
   */
  async redeliverIn(receiptHandle: string, seconds: number): Promise<void> {
    await this.#client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.#queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.ceil(seconds))),
      }),
    );
  }

  async #sendChunk(chunk: readonly { incidentKey: string; body: string }[]): Promise<EnqueueResult> {
    const sent: string[] = [];
    const failed: EnqueueFailure[] = [];
    let remaining = chunk.map((entry, index) => ({ ...entry, id: `j${index}` }));
    for (let round = 0; ; round++) {
      let response: SendMessageBatchCommandOutput;
      try {
        response = await this.#client.send(
          new SendMessageBatchCommand({
            QueueUrl: this.#queueUrl,
            Entries: remaining.map(({ id, body }) => ({ Id: id, MessageBody: body })),
          }),
        );
      } catch (error: unknown) {
        // The client has already retried the call (maxAttempts): report the chunk, keep the other chunks going.
        const code = error instanceof Error ? error.name : 'Error';
        const message = error instanceof Error ? error.message : String(error);
        failed.push(...remaining.map(({ incidentKey }) => ({ incidentKey, code, message })));
        return { sent, failed };
      }
      const byId = new Map(remaining.map((entry) => [entry.id, entry]));
      for (const ok of response.Successful ?? []) {
        const entry = byId.get(ok.Id ?? '');
        if (entry) sent.push(entry.incidentKey);
      }
      const retry: { entry: (typeof remaining)[number]; failure: EnqueueFailure }[] = [];
      for (const bad of response.Failed ?? []) {
        const entry = byId.get(bad.Id ?? '');
        if (!entry) continue;
        const failure = {
          incidentKey: entry.incidentKey,
          code: bad.Code ?? 'Unknown',
          message: bad.Message ?? '',
        };
        // A sender fault (a malformed entry) fails the same way every time; only server faults are worth retrying.
        if (bad.SenderFault) failed.push(failure);
        else retry.push({ entry, failure });
      }
      if (retry.length === 0) return { sent, failed };
      if (round === this.#entryRetries) {
        failed.push(...retry.map((r) => r.failure));
        return { sent, failed };
      }
      remaining = retry.map((r) => r.entry);
      await this.#sleep(this.#retryDelayMs * 2 ** round);
    }
  }
}

function serializeJob(job: RepairJob): string | undefined {
  const body = JSON.stringify(job);
  const excess = Buffer.byteLength(body) - MAX_BATCH_BYTES;
  if (excess <= 0) return body;
  // The raw trace is the only unbounded part worth keeping the head of; frames and message stay.
  const keep = Math.max(0, job.error.raw.length - excess - TRUNCATION_MARK.length * 4 - 1024);
  const trimmed = JSON.stringify({
    ...job,
    error: { ...job.error, raw: job.error.raw.slice(0, keep) + TRUNCATION_MARK },
  });
  return Buffer.byteLength(trimmed) <= MAX_BATCH_BYTES ? trimmed : undefined;
}

function* chunkEntries<T extends { body: string }>(entries: readonly T[]): Generator<T[]> {
  let chunk: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = Buffer.byteLength(entry.body);
    if (chunk.length === MAX_BATCH_ENTRIES || (chunk.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(entry);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}
