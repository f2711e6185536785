import type { RepairBudget } from '../core/repair/repair-incident.ts';
import type { SqliteDatabase } from './sqlite-incident-store.ts';

/** The daily repair cap in the one-machine state file: one row per repository, day and incident. */
export class SqliteRepairBudget implements RepairBudget {
  readonly #database: SqliteDatabase;

  constructor({ database }: { database: SqliteDatabase }) {
    this.#database = database;
    database.exec(`CREATE TABLE IF NOT EXISTS repair_budget (
      repo_key TEXT NOT NULL, day TEXT NOT NULL, incident_key TEXT NOT NULL,
      PRIMARY KEY (repo_key, day, incident_key))`);
  }

  async reserve({
    repoKey,
    day,
    incidentKey,
    cap,
  }: Parameters<RepairBudget['reserve']>[0]): Promise<boolean> {
    const db = this.#database;
    // IMMEDIATE: two processes on one state file cannot both take the last slot.
    return db
      .transaction(() => {
        const held = db
          .prepare('SELECT 1 FROM repair_budget WHERE repo_key = ? AND day = ? AND incident_key = ?')
          .get(repoKey, day, incidentKey);
        if (held) return true;
        const row = db
          .prepare('SELECT COUNT(*) AS used FROM repair_budget WHERE repo_key = ? AND day = ?')
          .get(repoKey, day) as { used: number };
        if (row.used >= cap) return false;
        db.prepare('INSERT INTO repair_budget (repo_key, day, incident_key) VALUES (?, ?, ?)').run(
          repoKey,
          day,
          incidentKey,
        );
        return true;
      })
      .immediate();
  }
}
