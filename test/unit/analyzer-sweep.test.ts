import type { ScheduledEvent, SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { isScheduledEvent, makeSweepHandler } from '../../functions/analyzer/handler.ts';
import type { RepairJob } from '../../functions/core/contracts.ts';
import { DEFAULT_RESOLVE_WINDOW_MS } from '../../functions/core/follow-up/record-merge.ts';
import type { EnqueueResult, JobQueue } from '../../functions/core/ports/job-queue.ts';
import { INCIDENT_KEY, makeDeps, seedStore } from '../support/follow-up-fakes.ts';

// The shape EventBridge delivers for a schedule rule (AWS docs, "Amazon EventBridge scheduled events").
const SCHEDULED: ScheduledEvent = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2024-05-01T12:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:123456789012:rule/ai-ops-sweep'],
  detail: {},
};

const SQS_EVENT: SQSEvent = { Records: [] };

class FakeQueue implements JobQueue {
  readonly jobs: RepairJob[] = [];
  async enqueue(jobs: readonly RepairJob[]): Promise<EnqueueResult> {
    this.jobs.push(...jobs);
    return { sent: jobs.map((j) => j.incidentKey), failed: [] };
  }
}

function makeLogger() {
  const lines: Array<{ level: 'info' | 'error'; message: string; attributes: Record<string, unknown> }> = [];
  return {
    lines,
    info: (message: string, attributes: Record<string, unknown> = {}) =>
      lines.push({ level: 'info', message, attributes }),
    error: (message: string, attributes: Record<string, unknown> = {}) =>
      lines.push({ level: 'error', message, attributes }),
  };
}

describe('the analyzer on a schedule', () => {
  it('tells a scheduled event from an SQS batch and from anything else', () => {
    expect(isScheduledEvent(SCHEDULED)).toBe(true);
    expect(isScheduledEvent(SQS_EVENT)).toBe(false);
    expect(isScheduledEvent({ source: 'aws.events', 'detail-type': 'EC2 Instance State-change' })).toBe(
      false,
    );
    expect(isScheduledEvent({ source: 'my.app', 'detail-type': 'Scheduled Event' })).toBe(false);
    expect(isScheduledEvent(null)).toBe(false);
  });

  it('runs the sweep: a merged fix quiet past its window is resolved, and the run is logged', async () => {
    const store = await seedStore();
    await store.transition({
      incidentKey: INCIDENT_KEY,
      from: 'pr_open',
      to: 'resolved_pending',
      set: { merge: { sha: 'f'.repeat(40), mergedAt: 1_700_000_000_000 } },
    });
    const logger = makeLogger();
    const { deps } = makeDeps({ store });
    const sweep = makeSweepHandler({
      sweepDeps: () => ({
        store,
        queue: new FakeQueue(),
        followUpDeps: async () => deps,
        now: () => 1_700_000_000_000 + DEFAULT_RESOLVE_WINDOW_MS,
      }),
      logger,
    });

    const response = await sweep(SCHEDULED);

    expect(response).toEqual({ counts: { resolved: 1 } });
    expect((await store.get(INCIDENT_KEY))?.status).toBe('resolved');
    expect(logger.lines.at(-1)).toMatchObject({
      level: 'info',
      message: 'sweep finished',
      attributes: { counts: { resolved: 1 }, eventId: SCHEDULED.id },
    });
  });

  it('logs an incident that failed as an error and still answers, so the schedule is not retried for it', async () => {
    const store = await seedStore();
    const logger = makeLogger();
    const sweep = makeSweepHandler({
      sweepDeps: () => ({
        store,
        queue: new FakeQueue(),
        followUpDeps: async () => {
          throw new Error('GitHub token unreadable');
        },
        now: () => 1 + 60 * 60 * 1000,
      }),
      logger,
    });

    const response = await sweep(SCHEDULED);

    expect(response).toEqual({ counts: { failed: 1 } });
    expect(logger.lines.filter((line) => line.level === 'error')).toEqual([
      expect.objectContaining({
        attributes: expect.objectContaining({
          incidentKey: INCIDENT_KEY,
          message: 'GitHub token unreadable',
        }),
      }),
    ]);
  });

  it('fails the invocation when the incidents cannot be listed at all', async () => {
    const store = await seedStore();
    store.listByStatus = async () => {
      throw new Error('AccessDeniedException');
    };
    const { deps } = makeDeps({ store });
    const sweep = makeSweepHandler({
      sweepDeps: () => ({ store, queue: new FakeQueue(), followUpDeps: async () => deps }),
      logger: makeLogger(),
    });

    await expect(sweep(SCHEDULED)).rejects.toThrow('AccessDeniedException');
  });
});
