import { describe, expect, it } from 'vitest';
import type { RepairJob, RepairJobKind } from '../../functions/core/contracts.ts';
import type { RepairOutcome } from '../../functions/core/repair/repair-incident.ts';
import { type FollowUpJobKind, type JobUseCases, runJob } from '../../functions/core/run-job.ts';
import { makeRepairJob } from '../support/follow-up-fakes.ts';

const FOLLOW_UP_KINDS: readonly FollowUpJobKind[] = [
  'recurrence',
  'revise',
  'ci_passed',
  'ci_failed',
  'merged',
  'dismissed',
];

const makeJob = (kind: RepairJobKind): RepairJob => makeRepairJob({ kind });

/** Every use case records the kinds it was handed; `omit` leaves kinds without one. */
function makeUseCases({
  omit = [],
  proceed,
  repairOutcome = {
    kind: 'pr_open',
    pr: { number: 7, url: 'https://github.test/pr/7' },
    branch: 'fix/x',
    resumed: false,
  },
}: {
  omit?: readonly FollowUpJobKind[];
  proceed?: boolean;
  repairOutcome?: RepairOutcome;
} = {}): {
  useCases: JobUseCases;
  calls: string[];
} {
  const calls: string[] = [];
  const useCases: JobUseCases = {
    repair: async (job) => {
      calls.push(`repair:${job.kind}`);
      return repairOutcome;
    },
    ...(proceed === undefined
      ? {}
      : {
          beforeRepair: async (job: RepairJob) => {
            calls.push(`beforeRepair:${job.kind}`);
            return { proceed };
          },
        }),
  };
  for (const kind of FOLLOW_UP_KINDS) {
    if (omit.includes(kind)) continue;
    useCases[kind] = async (job) => {
      calls.push(`${kind}:${job.kind}`);
      return { kind: `${kind}_done` };
    };
  }
  return { useCases, calls };
}

describe('runJob', () => {
  it('sends a repair job to the repair use case, after beforeRepair when there is one', async () => {
    const plain = makeUseCases();
    expect(await runJob(makeJob('repair'), plain.useCases)).toEqual({
      kind: 'repaired',
      outcome: expect.objectContaining({ kind: 'pr_open' }),
    });
    expect(plain.calls).toEqual(['repair:repair']);

    const announced = makeUseCases({ proceed: true, repairOutcome: { kind: 'no_fix', reason: 'unsure' } });
    expect(await runJob(makeJob('repair'), announced.useCases)).toEqual({
      kind: 'repaired',
      outcome: { kind: 'no_fix', reason: 'unsure' },
    });
    expect(announced.calls).toEqual(['beforeRepair:repair', 'repair:repair']);
  });

  it('does not repair an incident beforeRepair found claimed elsewhere', async () => {
    const { useCases, calls } = makeUseCases({ proceed: false });
    expect(await runJob(makeJob('repair'), useCases)).toEqual({ kind: 'claimed_elsewhere' });
    expect(calls).toEqual(['beforeRepair:repair']);
  });

  it.each(FOLLOW_UP_KINDS)(
    'sends a %s job to its own use case only (no beforeRepair, no repair)',
    async (kind) => {
      const { useCases, calls } = makeUseCases({ proceed: true });
      expect(await runJob(makeJob(kind), useCases)).toEqual({
        kind: 'followed_up',
        jobKind: kind,
        outcome: { kind: `${kind}_done` },
      });
      expect(calls).toEqual([`${kind}:${kind}`]);
    },
  );

  it('settles a recurrence without a use case, never repairing it', async () => {
    const { useCases, calls } = makeUseCases({ omit: ['recurrence'], proceed: true });
    expect(await runJob(makeJob('recurrence'), useCases)).toEqual({
      kind: 'unhandled',
      jobKind: 'recurrence',
      settle: true,
    });
    expect(calls).toEqual([]);
  });

  it.each(FOLLOW_UP_KINDS.filter((kind) => kind !== 'recurrence'))(
    'sends a %s job without a use case back (not settled), never repairing it',
    async (kind) => {
      const { useCases, calls } = makeUseCases({ omit: [kind], proceed: true });
      expect(await runJob(makeJob(kind), useCases)).toEqual({
        kind: 'unhandled',
        jobKind: kind,
        settle: false,
      });
      expect(calls).toEqual([]);
    },
  );

  it('rejects a kind it does not know as unhandled rather than repairing it', async () => {
    const { useCases, calls } = makeUseCases({ proceed: true });
    // A newer producer's kind reaching an older runner (the queue body is parsed, but the map is data).
    const job = { ...makeJob('revise'), kind: 'rebase' } as unknown as RepairJob;
    expect(await runJob(job, useCases)).toEqual({ kind: 'unhandled', jobKind: 'rebase', settle: false });
    expect(calls).toEqual([]);

    // nor a key of the map that is no job kind
    const odd = { ...makeJob('revise'), kind: 'beforeRepair' } as unknown as RepairJob;
    expect(await runJob(odd, useCases)).toEqual({
      kind: 'unhandled',
      jobKind: 'beforeRepair',
      settle: false,
    });
    expect(calls).toEqual([]);
  });

  it('lets a use case error through to the caller, which decides on the retry', async () => {
    const failing = new Error('model unavailable');
    const { useCases } = makeUseCases();
    await expect(
      runJob(makeJob('repair'), {
        ...useCases,
        repair: async () => {
          throw failing;
        },
      }),
    ).rejects.toBe(failing);
    await expect(
      runJob(makeJob('ci_failed'), {
        ...useCases,
        ci_failed: async () => {
          throw failing;
        },
      }),
    ).rejects.toBe(failing);
  });
});
