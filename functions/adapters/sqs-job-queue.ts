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

// SQS takes only #x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD | #x10000–#x10FFFF in a message
// body, and refuses the whole message otherwise (InvalidMessageContents): log text with a U+FFFF,
// which JSON.stringify writes as it is, would be refused on every redelivery. Such characters go
// as JSON escapes, which read back the same; so does each half of an astral character (fauxqs,
// the stand-in, checks code units and refuses them, where SQS takes the character whole).
const OUTSIDE_SQS_BODY = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/g;

/** JSON text with every character SQS would refuse written as its JSON escape. */
function sqsSafeJson(json: string): string {
  return json.replace(OUTSIDE_SQS_BODY, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Halvings of the error's text at most, before a job is reported as too large. */
const MAX_TRIMS = 24;

/**
 * The job's message body, within one SQS message: past it (escapes take up to three times the
 * bytes of an astral character), the raw trace keeps its first half, then the message does, each
 * marked; then the frames keep their innermost half and the causes go. Undefined only if no trim
 * is left.
 */
function serializeJob(job: RepairJob): string | undefined {
  let error = job.error;
  for (let trims = 0; trims <= MAX_TRIMS; trims++) {
    const body = sqsSafeJson(JSON.stringify(error === job.error ? job : { ...job, error }));
    if (Buffer.byteLength(body) <= MAX_BATCH_BYTES) return body;
    const smaller = trimmed(error);
    if (smaller === error) return undefined;
    error = smaller;
  }
  return undefined;
}

/** `error` with its largest trimmable part halved; the same object when nothing is left to trim. */
function trimmed(error: RepairJob['error']): RepairJob['error'] {
  const cut = (text: string) => {
    const kept = text.endsWith(TRUNCATION_MARK) ? text.slice(0, -TRUNCATION_MARK.length) : text;
    // a halving may fall inside an emoji: no half of one is left
    return (kept.slice(0, Math.floor(kept.length / 2)) + TRUNCATION_MARK).toWellFormed();
  };
  if (error.raw.length > 1024) return { ...error, raw: cut(error.raw) };
  if (error.message.length > 1024) return { ...error, message: cut(error.message) };
  if (error.frames.length > 10)
    return { ...error, frames: error.frames.slice(Math.floor(error.frames.length / 2)) };
  if (error.causes.length > 0) return { ...error, causes: [] };
  return error;
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
