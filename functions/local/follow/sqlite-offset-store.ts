import type { SqliteDatabase } from '../../adapters/sqlite-incident-store.ts';
import type { FileOffset, OffsetStore } from './offset-store.ts';

interface OffsetRow {
  path: string;
  dev: number;
  ino: number;
  offset: number;
}

/**
 * The follower's offsets in the `file_offsets` table of the state database, next to the
 * incidents: one state file holds everything a restart needs.
 */
export class SqliteOffsetStore implements OffsetStore {
  readonly #load;
  readonly #commit;

  constructor({ database }: { database: SqliteDatabase }) {
    database.exec(`
      CREATE TABLE IF NOT EXISTS file_offsets (
        path       TEXT PRIMARY KEY,
        dev        INTEGER NOT NULL,
        ino        INTEGER NOT NULL,
        offset     INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      )
    `);
    this.#load = database.prepare<[string], OffsetRow>(
      'SELECT path, dev, ino, offset FROM file_offsets WHERE path = ?',
    );
    this.#commit = database.prepare<[string, number, number, number, number]>(
      `INSERT INTO file_offsets (path, dev, ino, offset, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (path) DO UPDATE SET dev = excluded.dev, ino = excluded.ino,
         offset = excluded.offset, updated_at = excluded.updated_at`,
    );
  }

  load(path: string): FileOffset | undefined {
    const row = this.#load.get(path);
    return row ? { path: row.path, dev: row.dev, ino: row.ino, offset: row.offset } : undefined;
  }

  commit({ path, dev, ino, offset }: FileOffset): void {
    this.#commit.run(path, dev, ino, offset, Date.now());
  }
}
