import type { RepairBudget } from '../core/repair/repair-incident.ts';

/** RepairBudget in memory: tests and a single process. */
export class MemoryRepairBudget implements RepairBudget {
  readonly #days = new Map<string, Set<string>>();

  async reserve({
    repoKey,
    day,
    incidentKey,
    cap,
  }: Parameters<RepairBudget['reserve']>[0]): Promise<boolean> {
    const key = `${repoKey}#${day}`;
    const used = this.#days.get(key) ?? new Set<string>();
    if (used.has(incidentKey)) return true;
    if (used.size >= cap) return false;
    used.add(incidentKey);
    this.#days.set(key, used);
    return true;
  }
}
