import {
  openStateDatabase,
  type SqliteDatabase,
  SqliteIncidentStore,
} from '../../adapters/sqlite-incident-store.ts';
import { SqliteOffsetStore } from '../follow/sqlite-offset-store.ts';

export type StateFileErrorCode = 'unreadable_state_file';

/** The state file is not one ai-ops can use (corrupt, or another program's database). */
export class StateFileError extends Error {
  override readonly name = 'StateFileError';
  readonly code: StateFileErrorCode = 'unreadable_state_file';
  readonly path: string;
  constructor({ path, cause }: { path: string; cause: unknown }) {
    const why = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    super(
      `${path} is not a usable ai-ops state file (${why}): move it aside (mv "${path}" "${path}.bad") and run again to start a fresh one, or pass --state <file>; the incidents it held are not carried over`,
      { cause },
    );
    this.path = path;
  }
}

export interface StateFile {
  database: SqliteDatabase;
  store: SqliteIncidentStore;
  offsets: SqliteOffsetStore;
}

/**
 * Opens the state file and reads every incident once, so a corrupt file or a foreign database
 * is refused at start with StateFileError (one sentence naming the file and the way out), not
 * with a stack trace halfway through the first error.
 */
export function openStateFile({ path }: { path: string }): StateFile {
  let database: SqliteDatabase | undefined;
  try {
    database = openStateDatabase({ path });
    const store = new SqliteIncidentStore({ database });
    const offsets = new SqliteOffsetStore({ database });
    store.list();
    return { database, store, offsets };
  } catch (error: unknown) {
    database?.close();
    throw new StateFileError({ path, cause: error });
  }
}
