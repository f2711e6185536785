import type { Incident, IncidentStatus } from '../core/contracts.ts';
import type { IncidentFlagStore, IncidentFlags } from '../core/incident/incident-flags.ts';
import { assertTransition } from '../core/incident/incident-rules.ts';
import { newIncident, transitioned, withOccurrences } from '../core/incident/incident-writes.ts';
import type {
  ListableIncidentStore,
  OccurrenceInput,
  OccurrenceResult,
  TransitionInput,
} from '../core/ports/incident-store.ts';

/**
 * IncidentStore in process memory: the core tests' store and the one-machine runner's base.
 * Same semantics as the DynamoDB store (the shared contract suite holds both to them); each
 * method runs without an `await` in between, which is what makes it atomic here.
 */
export class MemoryIncidentStore implements ListableIncidentStore, IncidentFlagStore {
  readonly #items = new Map<string, { incident: Incident; lastBatchId: string }>();

  async recordOccurrence(input: OccurrenceInput): Promise<OccurrenceResult> {
    const item = this.#items.get(input.incidentKey);
    if (!item) {
      const incident = newIncident(input);
      this.#items.set(input.incidentKey, { incident, lastBatchId: input.batchId });
      return { kind: 'created', incident: structuredClone(incident) };
    }
    if (item.lastBatchId === input.batchId)
      return { kind: 'duplicate', incident: structuredClone(item.incident) };
    item.incident = withOccurrences(item.incident, input);
    item.lastBatchId = input.batchId;
    return { kind: 'existing', incident: structuredClone(item.incident) };
  }

  async transition({ incidentKey, ...change }: TransitionInput): Promise<boolean> {
    assertTransition(change.from, change.to);
    const item = this.#items.get(incidentKey);
    const next = item && transitioned(item.incident, change);
    if (!item || !next) return false;
    item.incident = next;
    return true;
  }

  async get(incidentKey: string): Promise<Incident | undefined> {
    const item = this.#items.get(incidentKey);
    return item ? structuredClone(item.incident) : undefined;
  }

  async listByStatus(status: IncidentStatus, { limit }: { limit: number }): Promise<Incident[]> {
    const found: Incident[] = [];
    for (const { incident } of this.#items.values()) {
      if (found.length >= limit) break;
      if (incident.status === status) found.push(structuredClone(incident));
    }
    return found;
  }

  async setFlags({ incidentKey, flags }: { incidentKey: string; flags: IncidentFlags }): Promise<boolean> {
    const item = this.#items.get(incidentKey);
    if (!item) return false;
    Object.assign(item.incident, structuredClone(flags));
    return true;
  }

  /** Every incident, for tests and the local runner's status command. */
  list(): Incident[] {
    return [...this.#items.values()].map((item) => structuredClone(item.incident));
  }
}
