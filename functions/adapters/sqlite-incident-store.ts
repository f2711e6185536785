import Database from 'better-sqlite3';
import { type Incident, IncidentSchema, type IncidentStatus } from '../core/contracts.ts';
import type { IncidentFlagStore, IncidentFlags } from '../core/incident/incident-flags.ts';
import { assertTransition } from '../core/incident/incident-rules.ts';
import { newIncident, transitioned, withOccurrences } from '../core/incident/incident-writes.ts';
import type {
  ListableIncidentStore,
  OccurrenceInput,
  OccurrenceResult,
  TransitionInput,
} from '../core/ports/incident-store.ts';

export type SqliteDatabase = Database.Database;

export interface OpenStateDatabaseOptions {
  /** the state file; `:memory:` for a throwaway database */
  path: string;
  /** ms a writer waits for another process's lock before SQLITE_BUSY */
  busyTimeoutMs?: number;
}

/**
 * Opens (creating when missing) the one-machine runner's state file: incidents and the log
 * follower's read offsets live in one SQLite database, so one file is all the state there is.
 */
export function openStateDatabase({ path, busyTimeoutMs = 5000 }: OpenStateDatabaseOptions): SqliteDatabase {
  const db = new Database(path);
  // WAL lets `ai-ops status` read while the watcher writes; NORMAL is durable across process
  // crashes (not power loss), which is what an at-least-once reader needs.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  return db;
}

interface IncidentRow {
  incident: string;
  last_batch_id: string;
}

/**
 * IncidentStore in a SQLite file (better-sqlite3) for the one-machine runner. Same semantics as
 * the DynamoDB and memory stores (the shared contract suite holds all three to them): each write
 * is one IMMEDIATE transaction, so a second process on the same file cannot interleave with it.
 * The whole incident is kept as JSON; status and fingerprint are columns for listing.
 */
export class SqliteIncidentStore implements ListableIncidentStore, IncidentFlagStore {
  readonly database: SqliteDatabase;
  readonly #select: Database.Statement<[string], IncidentRow>;
  readonly #insert: Database.Statement<[string, string, string, string, string, number]>;
  readonly #update: Database.Statement<[string, string, string, number, string]>;
  readonly #list: Database.Statement<[], { incident: string }>;
  readonly #listByStatus: Database.Statement<[string, number], { incident: string }>;

  /** `database` from openStateDatabase (shared with the offset store), or a `path` to open. */
  constructor(options: { database: SqliteDatabase } | { path: string }) {
    this.database = 'database' in options ? options.database : openStateDatabase({ path: options.path });
    this.database.exec(`
      CREATE TABLE IF NOT EXISTS incidents (
        incident_key  TEXT PRIMARY KEY,
        fingerprint   TEXT NOT NULL,
        status        TEXT NOT NULL,
        incident      TEXT NOT NULL,
        last_batch_id TEXT NOT NULL,
        last_seen     INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS incidents_status ON incidents (status, last_seen);
    `);
    this.#select = this.database.prepare(
      'SELECT incident, last_batch_id FROM incidents WHERE incident_key = ?',
    );
    this.#insert = this.database.prepare(
      'INSERT INTO incidents (incident_key, fingerprint, status, incident, last_batch_id, last_seen) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#update = this.database.prepare(
      'UPDATE incidents SET status = ?, incident = ?, last_batch_id = ?, last_seen = ? WHERE incident_key = ?',
    );
    this.#list = this.database.prepare('SELECT incident FROM incidents ORDER BY last_seen DESC');
    // Served by the (status, last_seen) index; the oldest first, so a bounded sweep drains a backlog.
    this.#listByStatus = this.database.prepare(
      'SELECT incident FROM incidents WHERE status = ? ORDER BY last_seen ASC LIMIT ?',
    );
  }

  async recordOccurrence(input: OccurrenceInput): Promise<OccurrenceResult> {
    return this.database
      .transaction((): OccurrenceResult => {
        const row = this.#select.get(input.incidentKey);
        if (!row) {
          const incident = newIncident(input);
          this.#insert.run(
            input.incidentKey,
            input.fingerprint,
            incident.status,
            JSON.stringify(incident),
            input.batchId,
            incident.lastSeen,
          );
          return { kind: 'created', incident: structuredClone(incident) };
        }
        const stored = parseIncident(row.incident);
        if (row.last_batch_id === input.batchId) return { kind: 'duplicate', incident: stored };
        const incident = withOccurrences(stored, input);
        this.#write(incident, input.batchId);
        return { kind: 'existing', incident };
      })
      .immediate();
  }

  async transition({ incidentKey, ...change }: TransitionInput): Promise<boolean> {
    assertTransition(change.from, change.to);
    return this.database
      .transaction((): boolean => {
        const row = this.#select.get(incidentKey);
        const next = row && transitioned(parseIncident(row.incident), change);
        if (!row || !next) return false;
        this.#write(next, row.last_batch_id);
        return true;
      })
      .immediate();
  }

  async setFlags({ incidentKey, flags }: { incidentKey: string; flags: IncidentFlags }): Promise<boolean> {
    return this.database
      .transaction((): boolean => {
        const row = this.#select.get(incidentKey);
        if (!row) return false;
        const incident = { ...parseIncident(row.incident), ...flags };
        this.#write(incident, row.last_batch_id);
        return true;
      })
      .immediate();
  }

  async get(incidentKey: string): Promise<Incident | undefined> {
    const row = this.#select.get(incidentKey);
    return row ? parseIncident(row.incident) : undefined;
  }

  async listByStatus(status: IncidentStatus, { limit }: { limit: number }): Promise<Incident[]> {
    if (limit <= 0) return [];
    return this.#listByStatus.all(status, Math.floor(limit)).map((row) => parseIncident(row.incident));
  }

  /** Every incident, most recently seen first: for `ai-ops status` and tests. */
  list(): Incident[] {
    return this.#list.all().map((row) => parseIncident(row.incident));
  }

  #write(incident: Incident, batchId: string): void {
    this.#update.run(
      incident.status,
      JSON.stringify(incident),
      batchId,
      incident.lastSeen,
      incident.incidentKey,
    );
  }
}

function parseIncident(json: string): Incident {
  return IncidentSchema.parse(JSON.parse(json));
}
