import type { RepairJob, RepairJobKind } from './contracts.ts';
import type { RepairOutcome } from './repair/repair-incident.ts';

/** The job kinds other than `repair`: each goes to its own use case, never to the repair one. */
export type FollowUpJobKind = Exclude<RepairJobKind, 'repair'>;

/** A use case for one follow-up kind (CI verdicts, revisions, merges, recurrences); outcomes are unions. */
export type FollowUpUseCase = (job: RepairJob) => Promise<{ readonly kind: string }>;

/**
 * The use cases a runner offers, by job kind; the composition root builds them once per
 * invocation over its adapters (and may import each lazily).
 */
export type JobUseCases = {
  repair: (job: RepairJob) => Promise<RepairOutcome>;
  /**
   * Runs before a `repair` job: a merged fix whose error came back is announced (PR comment,
   * email) and reset here; `proceed: false` when another worker holds the incident.
   */
  beforeRepair?: (job: RepairJob) => Promise<{ proceed: boolean }>;
} & Partial<Record<FollowUpJobKind, FollowUpUseCase>>;

/** What running one job came to; a thrown error is the caller's to retry or settle. */
export type JobRun =
  | { kind: 'repaired'; outcome: RepairOutcome }
  | { kind: 'followed_up'; jobKind: FollowUpJobKind; outcome: { readonly kind: string } }
  /** `beforeRepair` found another worker holding the incident */
  | { kind: 'claimed_elsewhere' }
  /**
   * No use case for this kind here. `settle` says whether the job may be dropped: a `recurrence`
   * may (its refresh is cosmetic and the next doubling carries the count); any other must go
   * back to its queue, and on to a dead-letter queue where it waits for a build that handles it.
   */
  | { kind: 'unhandled'; jobKind: FollowUpJobKind; settle: boolean };

// Every follow-up kind, checked against the type, so a key of the map that is no kind
// (`beforeRepair`, `toString`) is never taken for a use case.
const FOLLOW_UP_KINDS: Readonly<Record<FollowUpJobKind, true>> = {
  recurrence: true,
  revise: true,
  ci_passed: true,
  ci_failed: true,
  merged: true,
  dismissed: true,
};

function isFollowUpKind(kind: string): kind is FollowUpJobKind {
  return Object.hasOwn(FOLLOW_UP_KINDS, kind);
}

/** Sends one job to the use case for its kind: the one dispatch the analyzer and `ai-ops watch` share. */
export async function runJob(job: RepairJob, useCases: JobUseCases): Promise<JobRun> {
  if (job.kind === 'repair') {
    if (useCases.beforeRepair && !(await useCases.beforeRepair(job)).proceed)
      return { kind: 'claimed_elsewhere' };
    return { kind: 'repaired', outcome: await useCases.repair(job) };
  }
  // A kind without a use case is never handed to `repair`: it would claim a failed incident and repair it again.
  const followUp = isFollowUpKind(job.kind) ? useCases[job.kind] : undefined;
  if (!followUp) return { kind: 'unhandled', jobKind: job.kind, settle: job.kind === 'recurrence' };
  return { kind: 'followed_up', jobKind: job.kind, outcome: await followUp(job) };
}
