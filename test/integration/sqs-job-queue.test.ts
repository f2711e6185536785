import { randomUUID } from 'node:crypto';
import {
  ReceiveMessageCommand,
  type SendMessageBatchCommandInput,
  type SendMessageBatchCommandOutput,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqsJobQueue } from '../../functions/adapters/sqs-job-queue.ts';
import { type RepairJob, RepairJobSchema } from '../../functions/core/contracts.ts';
import { type SqsStandIn, startSqsStandIn } from '../support/fauxqs-server.ts';

let sqs: SqsStandIn;
beforeAll(async () => {
  sqs = await startSqsStandIn();
});
afterAll(async () => {
  await sqs?.stop();
});

function makeJob(n: number, raw = 'Traceback (most recent call last):\nKeyError: sku'): RepairJob {
  return {
    v: 1,
    kind: 'repair',
    incidentKey: `acme/shop#fp${n}`,
    repo: { owner: 'acme', name: 'shop', baseBranch: 'main', pathPrefix: '' },
    attempt: 0,
    error: {
      language: 'python',
      exceptionType: 'KeyError',
      message: 'sku',
      frames: [],
      causes: [],
      raw,
      logGroup: '/aws/lambda/orders',
      logStream: 's',
      timestamp: 1_714_564_800_000,
      eventIds: [`e${n}`],
    },
  };
}

type Refusal = { code: string; senderFault: boolean };

/**
 * A queue whose client refuses chosen entries the way SQS reports a partial batch failure:
 * the rest really reach fauxqs, the refused ones come back in `Failed`.
 */
function makeQueue({
  refuse = () => undefined,
}: {
  refuse?: (body: string, call: number) => Refusal | undefined;
} = {}) {
  const name = `q-${randomUUID()}`;
  const queueUrl = sqs.createQueue(name);
  const client = sqs.makeClient({ maxAttempts: 1 });
  const batches: number[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'SendMessageBatchCommand') return next(args);
      const input = args.input as SendMessageBatchCommandInput;
      const call = batches.push(input.Entries?.length ?? 0);
      const refused = (input.Entries ?? []).flatMap((e) => {
        const refusal = refuse(e.MessageBody ?? '', call);
        return refusal ? [{ id: e.Id ?? '', ...refusal }] : [];
      });
      const kept = (input.Entries ?? []).filter((e) => !refused.some((r) => r.id === e.Id));
      const result =
        kept.length > 0
          ? await next({ ...args, input: { ...input, Entries: kept } })
          : { output: { $metadata: {}, Successful: [], Failed: [] }, response: {} };
      const output = result.output as SendMessageBatchCommandOutput;
      return {
        ...result,
        output: {
          ...output,
          Failed: [
            ...(output.Failed ?? []),
            ...refused.map((r) => ({
              Id: r.id,
              Code: r.code,
              SenderFault: r.senderFault,
              Message: 'refused',
            })),
          ],
        },
      };
    },
    { step: 'initialize', name: 'refuseEntries' },
  );
  const queue = new SqsJobQueue({ client, queueUrl, retryDelayMs: 1 });
  const messages = () => sqs.peekBodies(name).map((b) => RepairJobSchema.parse(JSON.parse(b)));
  return { queue, batches, messages };
}

describe('SqsJobQueue (fauxqs)', () => {
  it('sends jobs in batches of at most 10', async () => {
    const { queue, batches, messages } = makeQueue();
    const jobs = Array.from({ length: 25 }, (_, i) => makeJob(i));

    const result = await queue.enqueue(jobs);

    expect(result.failed).toEqual([]);
    expect(result.sent.sort()).toEqual(jobs.map((j) => j.incidentKey).sort());
    expect(batches).toEqual([10, 10, 5]);
    expect(
      messages()
        .map((m) => m.incidentKey)
        .sort(),
    ).toEqual(result.sent.sort());
  });

  it('retries entries SQS refused with a server fault, without duplicating the others', async () => {
    const { queue, messages } = makeQueue({
      refuse: (body, call) =>
        call === 1 && body.includes('#fp3"') ? { code: 'InternalError', senderFault: false } : undefined,
    });

    const result = await queue.enqueue(Array.from({ length: 5 }, (_, i) => makeJob(i)));

    expect(result.failed).toEqual([]);
    expect(messages()).toHaveLength(5);
  });

  it('reports a sender fault at once, and a server fault that persists after its retries', async () => {
    const { queue, batches, messages } = makeQueue({
      refuse: (body) =>
        body.includes('#fp1"')
          ? { code: 'InvalidMessageContents', senderFault: true }
          : body.includes('#fp2"')
            ? { code: 'InternalError', senderFault: false }
            : undefined,
    });

    const result = await queue.enqueue([makeJob(0), makeJob(1), makeJob(2)]);

    expect(result.sent).toEqual(['acme/shop#fp0']);
    expect(result.failed).toEqual([
      { incidentKey: 'acme/shop#fp1', code: 'InvalidMessageContents', message: 'refused' },
      { incidentKey: 'acme/shop#fp2', code: 'InternalError', message: 'refused' },
    ]);
    expect(batches).toEqual([3, 1, 1, 1]);
    expect(messages()).toHaveLength(1);
  });

  it('reports every job of a call that fails outright, by the error name', async () => {
    const client = sqs.makeClient({ maxAttempts: 1 });
    const queue = new SqsJobQueue({ client, queueUrl: `${sqs.endpoint}/000000000000/no-such-queue` });

    const result = await queue.enqueue([makeJob(0), makeJob(1)]);

    expect(result.sent).toEqual([]);
    expect(result.failed.map((f) => f.incidentKey)).toEqual(['acme/shop#fp0', 'acme/shop#fp1']);
    expect(result.failed[0]?.code).toMatch(/QueueDoesNotExist|NonExistentQueue/);
  });

  it('trims an oversized raw trace to fit one message, keeping its head', async () => {
    const { queue, messages } = makeQueue();
    const raw = `Traceback (most recent call last):\n${'  File "app.py", line 1, in f\n'.repeat(20_000)}`;

    const result = await queue.enqueue([makeJob(0, raw)]);

    expect(result.failed).toEqual([]);
    const [message] = messages();
    expect(message?.error.raw.startsWith('Traceback (most recent call last):')).toBe(true);
    expect(message?.error.raw).toContain('[truncated to fit an SQS message]');
    expect(Buffer.byteLength(JSON.stringify(message))).toBeLessThanOrEqual(256 * 1024);
  });

  it('sends text with characters SQS refuses as JSON escapes that read back the same', async () => {
    const { queue, messages } = makeQueue();
    const raw = "KeyError: 'cart \uFFFF\uFFFE \u{1F6D2}'";

    const result = await queue.enqueue([makeJob(0, raw)]);

    expect(result.failed).toEqual([]);
    expect(messages()[0]?.error.raw).toBe(raw);
  });

  it('fits a trace of astral characters, whose escapes take three times their bytes, and the messages of a big error', async () => {
    const { queue, messages } = makeQueue();
    const job = makeJob(0, `Traceback (most recent call last):\n  ${'\u{1F6D2}'.repeat(64 * 1024)}`);
    const big: RepairJob = {
      ...job,
      error: {
        ...job.error,
        message: '漢'.repeat(16 * 1024),
        frames: Array.from({ length: 200 }, (_, i) => ({
          file: `${'\u{1F6D2}'.repeat(300)}${i}.py`,
          inApp: true,
        })),
      },
    };

    const result = await queue.enqueue([big]);

    expect(result.failed).toEqual([]);
    const [message] = messages();
    expect(message?.error.raw.startsWith('Traceback (most recent call last):\n  \u{1F6D2}')).toBe(true);
    expect(message?.error.raw).toContain('[truncated to fit an SQS message]');
    // the first halving falls inside an emoji (37 characters before 65,536 of them): no half is left
    expect([message?.error.raw.isWellFormed(), message?.error.message.isWellFormed()]).toEqual([true, true]);
    // the innermost frame, where it was raised, is kept
    expect(message?.error.frames.at(-1)?.file.endsWith('199.py')).toBe(true);
  });

  it('sends a received job back at the time asked (ChangeMessageVisibility), not at the queue timeout', async () => {
    const name = `q-${randomUUID()}`;
    const queueUrl = sqs.createQueue(name);
    const client = sqs.makeClient({ maxAttempts: 1 });
    const queue = new SqsJobQueue({ client, queueUrl });
    await queue.enqueue([makeJob(0)]);
    const receive = async () =>
      (
        await client.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, VisibilityTimeout: 3600, WaitTimeSeconds: 0 }),
        )
      ).Messages ?? [];

    const [first] = await receive();
    expect(await receive()).toEqual([]);
    // due now: visible again at once (an hour-long timeout notwithstanding)
    await queue.redeliverIn(first?.ReceiptHandle ?? '', 0);
    const [again] = await receive();
    expect(again?.MessageId).toBe(first?.MessageId);
    // due in ten minutes: hidden for now; a delay past SQS's 12-hour ceiling is clamped, not refused
    await queue.redeliverIn(again?.ReceiptHandle ?? '', 600);
    expect(await receive()).toEqual([]);
    await queue.redeliverIn(again?.ReceiptHandle ?? '', 48 * 60 * 60);
    expect(await receive()).toEqual([]);
  });
});
