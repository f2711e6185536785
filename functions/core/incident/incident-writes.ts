import type { Incident } from '../contracts.ts';
import type { OccurrenceInput, TransitionInput } from '../ports/incident-store.ts';

/**
 * The store writes as pure functions over one incident, for the stores that hold whole
 * incidents (memory, SQLite); DynamoDB says the same in its update expressions. The shared
 * contract suite holds all three to these semantics.
 */

/** The incident a first occurrence creates: status `new`, nothing spent yet. */
export function newIncident(input: OccurrenceInput): Incident {
  return {
    incidentKey: input.incidentKey,
    repo: { ...input.repo },
    fingerprint: input.fingerprint,
    status: 'new',
    count: input.count,
    firstSeen: input.firstSeen,
    lastSeen: input.lastSeen,
    sample: structuredClone(input.sample),
    attempts: 0,
    costUsd: 0,
    ttl: input.ttl,
  };
}

/** Adds a later delivery's occurrences: firstSeen stays, lastSeen and ttl are this delivery's. */
export function withOccurrences(incident: Incident, input: OccurrenceInput): Incident {
  return { ...incident, count: incident.count + input.count, lastSeen: input.lastSeen, ttl: input.ttl };
}

/**
 * The incident after a compare-and-set transition, or undefined when its condition fails (not in
 * `from`, or another attempt count). A field set to `undefined` is removed.
 */
export function transitioned(
  incident: Incident,
  { from, to, expectAttempts, expectLease, set = {} }: Omit<TransitionInput, 'incidentKey'>,
): Incident | undefined {
  if (incident.status !== from) return undefined;
  if (expectAttempts !== undefined && incident.attempts !== expectAttempts) return undefined;
  if (expectLease !== undefined && !isSameLease(incident.lease, expectLease)) return undefined;
  const next: Record<string, unknown> = { ...incident, status: to };
  for (const [field, value] of Object.entries(structuredClone(set))) {
    if (value === undefined) delete next[field];
    else next[field] = value;
  }
  return next as Incident;
}

function isSameLease(
  held: Incident['lease'],
  expected: NonNullable<TransitionInput['expectLease']> | null,
): boolean {
  if (expected === null) return held === undefined;
  return held !== undefined && held.owner === expected.owner && held.until === expected.until;
}
