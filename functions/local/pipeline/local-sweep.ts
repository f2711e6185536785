import type { RepairJob, RepoRef } from '../../core/contracts.ts';
import type { FollowUpDeps } from '../../core/follow-up/follow-up-deps.ts';
import { type PollResult, pollPullRequests } from '../../core/follow-up/poll-pull-requests.ts';
import {
  resumeIncidents,
  type SweepOptions,
  type SweepResult,
  type SweepSummary,
  sweepIncidents,
} from '../../core/incident/sweep-incidents.ts';
import type { ListableIncidentStore } from '../../core/ports/incident-store.ts';
import type { JobQueue } from '../../core/ports/job-queue.ts';
import type { Lease } from '../../core/repair/repair-incident.ts';
import type { ProgressEvent } from '../commands/watch-progress.ts';
import type { WorkOutcome } from './handle-error.ts';

/** How often `ai-ops watch` sweeps unless `--sweep-minutes` says otherwise (0 turns it off). */
export const DEFAULT_SWEEP_MINUTES = 10;

/** What the repair pipeline lends the sweep: how it runs a repair job, and the follow-up ports. */
export interface SweepSource {
  runRepair: (job: RepairJob, report: (progress: ProgressEvent) => void) => Promise<WorkOutcome>;
  followUpDeps: (repo: RepoRef) => Promise<FollowUpDeps>;
  /** leases of processes that no longer run are taken over at once */
  isLeaseAbandoned?: (lease: Lease) => boolean;
  /** the resume settings (attempt cap, this process's queue lease) */
  resumeOptions?: Pick<SweepOptions, 'maxAttempts' | 'queueOwner' | 'queueLeaseMs'>;
}

/** An in-process queue: what the sweep sends is collected and run after it, as SQS would. */
function collectingQueue(): { queue: JobQueue; pending: RepairJob[] } {
  const pending: RepairJob[] = [];
  return {
    pending,
    queue: {
      async enqueue(jobs) {
        pending.push(...jobs);
        return { sent: jobs.map((job) => job.incidentKey), failed: [] };
      },
    },
  };
}

/**
 * What each `ai-ops watch` start does before reading: resume the work an earlier run left —
 * repairs interrupted (a kill, a crash) or failed with attempts left, jobs never started, and
 * emails recorded as owed (SMTP was down). Each resumed job goes to `onWork`.
 */
export async function resumeLocalWork({
  store,
  source,
  onWork,
  report,
  now,
}: {
  store: ListableIncidentStore;
  source: SweepSource;
  onWork: (job: RepairJob, work: Promise<WorkOutcome>) => void;
  report: (progress: ProgressEvent) => void;
  now?: () => number;
}): Promise<SweepResult[]> {
  const { queue, pending } = collectingQueue();
  const results = await resumeIncidents(
    {
      store,
      queue,
      followUpDeps: source.followUpDeps,
      ...(now ? { now } : {}),
      ...(source.isLeaseAbandoned ? { isLeaseAbandoned: source.isLeaseAbandoned } : {}),
    },
    source.resumeOptions ?? {},
  );
  for (const job of pending) onWork(job, source.runRepair(job, report));
  return results;
}

/**
 * Calls `tick` every `ms` until the returned function is called (tests pass one they drive, and
 * may await the sweep it starts).
 */
export type SweepScheduler = (tick: () => Promise<void>, ms: number) => () => void;

export const intervalScheduler: SweepScheduler = (tick, ms) => {
  const timer = setInterval(() => void tick(), ms);
  // The watcher keeps the process alive; the sweep alone must not.
  timer.unref();
  return () => clearInterval(timer);
};

export interface LocalSweep {
  /** one sweep now; a tick while one runs joins it instead of overlapping */
  tick(): Promise<void>;
  /** no more ticks; resolves once a running one finished (its repairs are the caller's `onWork`) */
  stop(): Promise<void>;
}

export interface LocalSweepOptions {
  store: ListableIncidentStore;
  source: SweepSource;
  intervalMs: number;
  /** a repair job the sweep started (a regression); the caller waits for it and tallies it */
  onWork: (job: RepairJob, work: Promise<WorkOutcome>) => void;
  onSummary: (summary: SweepSummary) => void;
  /** what polling the open fix PRs found (checks, merges), before the sweep proper */
  onPoll?: (results: PollResult[]) => void;
  /** the sweep could not list incidents; the next tick tries again */
  onFailure: (error: unknown) => void;
  report: (progress: ProgressEvent) => void;
  scheduler?: SweepScheduler;
  now?: () => number;
  options?: SweepOptions;
}

/**
 * The cloud's scheduled sweep on one machine, and the webhook's part too: every `intervalMs`,
 * `pollPullRequests` (CI verdicts and merges of the open fix PRs), then `sweepIncidents` over
 * the SQLite store, with an in-process queue whose `repair` jobs (regressions) go to the pipeline's
 * repair runner. Jobs start after the tick, so the sweep has marked them `queued` first, as
 * with SQS.
 */
export function startLocalSweep({
  store,
  source,
  intervalMs,
  onWork,
  onSummary,
  onPoll,
  onFailure,
  report,
  scheduler = intervalScheduler,
  now,
  options = {},
}: LocalSweepOptions): LocalSweep {
  let running: Promise<void> | undefined;
  let stopped = false;

  const sweepOnce = async () => {
    const { queue, pending } = collectingQueue();
    try {
      // No webhook reaches this machine: read each open fix PR's checks and merge state instead.
      // First, so a merge seen now is settled by the sweep's post-merge rules from this tick on.
      onPoll?.(
        await pollPullRequests({
          store,
          followUpDeps: source.followUpDeps,
          ...(now ? { now } : {}),
        }),
      );
      const summary = await sweepIncidents(
        {
          store,
          queue,
          followUpDeps: source.followUpDeps,
          ...(now ? { now } : {}),
          ...(source.isLeaseAbandoned ? { isLeaseAbandoned: source.isLeaseAbandoned } : {}),
        },
        { ...source.resumeOptions, ...options },
      );
      onSummary(summary);
    } catch (error: unknown) {
      onFailure(error);
    }
    for (const job of pending) onWork(job, source.runRepair(job, report));
  };

  const tick = () => {
    if (stopped) return Promise.resolve();
    running ??= sweepOnce().finally(() => {
      running = undefined;
    });
    return running;
  };
  const cancel = scheduler(tick, intervalMs);

  return {
    tick,
    async stop() {
      stopped = true;
      cancel();
      await running;
    },
  };
}
