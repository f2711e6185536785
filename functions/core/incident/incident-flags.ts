import type { Incident } from '../contracts.ts';

/** The flags a person sets from the incident page; they never change the incident's status. */
export type IncidentFlags = Partial<Pick<Incident, 'snoozedUntil' | 'ignored'>>;

/**
 * Sets the incident page's flags without a status change (the lifecycle is the analyzer's and
 * the detector's; snoozing is orthogonal to it). Implemented by the memory and DynamoDB stores.
 */
export interface IncidentFlagStore {
  /** True when the incident exists and now carries the flags; false when there is no such incident. */
  setFlags(input: { incidentKey: string; flags: IncidentFlags }): Promise<boolean>;
}
