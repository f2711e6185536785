import type { ErrorRecord, Incident, IncidentStatus, RepoRef } from '../contracts.ts';

/** One fingerprint's occurrences in one delivery, aggregated before they reach the store. */
export interface OccurrenceInput {
  incidentKey: string;
  repo: RepoRef;
  fingerprint: string;
  /** occurrences in this delivery (10,000 identical errors are one write with count 10,000) */
  count: number;
  /**
   * Earliest and latest occurrence in this delivery, ms since the epoch. `firstSeen` is kept from
   * the first delivery; `lastSeen` is overwritten (one write, no read: an out-of-order delivery
   * may move it back by seconds).
   */
  firstSeen: number;
  lastSeen: number;
  /** kept only when the incident is created; later occurrences do not replace it */
  sample: ErrorRecord;
  /** refreshed on every occurrence, so an incident expires `INCIDENT_TTL_DAYS` after it was last seen */
  ttl: number;
  /**
   * Identifies this delivery's occurrences (a hash of their log event ids). Recording the same
   * batch twice in a row (a redelivered payload) does not count it twice.
   */
  batchId: string;
}

export type OccurrenceResult =
  /** no incident existed: one was created with status `new` */
  | { kind: 'created'; incident: Incident }
  /** the incident existed: count and lastSeen were updated */
  | { kind: 'existing'; incident: Incident }
  /** this batch was the last one recorded (a redelivery): nothing changed */
  | { kind: 'duplicate'; incident: Incident };

export interface TransitionInput {
  incidentKey: string;
  /** the status the caller last saw; the change only happens when the incident is still in it */
  from: IncidentStatus;
  to: IncidentStatus;
  /** and only when `attempts` is still this (claims a job: two workers cannot both resume it) */
  expectAttempts?: number;
  /**
   * and only when the lease is exactly this (`null`: when there is none). The fencing check: a
   * worker whose lease was taken over (a later claim wrote another one) finds its writes refused.
   */
  expectLease?: { owner: string; until: number } | null;
  /** fields set together with the status; a field given as `undefined` is removed */
  set?: Partial<
    Pick<
      Incident,
      | 'prUrl'
      | 'prNumber'
      | 'prOpenedAt'
      | 'branch'
      | 'attempts'
      | 'lastError'
      | 'costUsd'
      | 'analysis'
      | 'emailedAt'
      | 'retryAfter'
      | 'revisions'
      | 'ciFailures'
      | 'ci'
      | 'merge'
      | 'regression'
      | 'lease'
      | 'pendingEmail'
      | 'dismissedPr'
    >
  >;
}

/**
 * Where incidents live (DynamoDB in the cloud, memory in tests, a file on one machine). Every
 * write is conditional, so concurrent detectors and analyzers never lose each other's updates.
 */
export interface IncidentStore {
  /** Create the incident as `new`, or add the occurrences to it, in one conditional write. */
  recordOccurrence(input: OccurrenceInput): Promise<OccurrenceResult>;
  /**
   * Compare-and-set the status: true when the incident was in `from` and now is in `to`, false
   * when it was not in `from` (someone else moved it first) or does not exist. Throws
   * IncidentTransitionError when the lifecycle forbids `from → to`.
   */
  transition(input: TransitionInput): Promise<boolean>;
  /** The incident, or undefined. */
  get(incidentKey: string): Promise<Incident | undefined>;
}

/**
 * A store that can also list incidents by status, for the scheduled sweep. Beside
 * `IncidentStore` rather than in it, so the use cases that never list keep their narrow fakes.
 */
export interface ListableIncidentStore extends IncidentStore {
  /**
   * Up to `limit` incidents currently in `status`, in no particular order (the post-merge and
   * no-CI sweep). Items that are not incidents (delivery ids, branch links, budgets) never appear.
   */
  listByStatus(status: IncidentStatus, options: { limit: number }): Promise<Incident[]>;
}
