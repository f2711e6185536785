import { constants } from 'node:fs';
import { dirname } from 'node:path';
import { openStateDatabase } from '../../adapters/sqlite-incident-store.ts';
import { checkWritableDirectory } from './check-writable-directory.ts';
import { type DoctorCheck, type DoctorFs, errorCode } from './doctor-check.ts';

export interface CheckStateFileOptions {
  /** AI_OPS_STATE, resolved */
  path: string;
  fs: DoctorFs;
}

const area = 'state file';

/**
 * The state file's folder is writable and, when the file exists, it opens as ai-ops' SQLite
 * database. A missing file is fine (the first watch creates it); the check itself creates nothing.
 */
export async function checkStateFile({ path, fs }: CheckStateFileOptions): Promise<DoctorCheck[]> {
  let exists = true;
  try {
    await fs.stat(path);
  } catch (error: unknown) {
    if (errorCode(error) !== 'ENOENT')
      return [
        {
          status: 'fail',
          area,
          message: `cannot look at ${path}: ${error instanceof Error ? error.message : String(error)}`,
          fix: 'set AI_OPS_STATE to a file this user can read and write',
        },
      ];
    exists = false;
  }
  const directory = await checkWritableDirectory({
    area,
    directory: dirname(path),
    purpose: 'the state file',
    fs,
  });
  if (directory.status !== 'ok') return [directory];
  if (!exists)
    return [{ status: 'ok', area, message: `${path} will be created on first use; ${directory.message}` }];
  try {
    await fs.access(path, constants.R_OK | constants.W_OK);
  } catch {
    return [
      {
        status: 'fail',
        area,
        message: `${path} is not readable and writable by this user`,
        fix: `give this user access (sudo chown "$USER" ${path}*) or set AI_OPS_STATE to another file`,
      },
    ];
  }
  return [openDatabase(path)];
}

function openDatabase(path: string): DoctorCheck {
  let database: ReturnType<typeof openStateDatabase> | undefined;
  try {
    // A short busy timeout: a running watcher holds the file only for moments at a time.
    database = openStateDatabase({ path, busyTimeoutMs: 1000 });
    const hasIncidents =
      database.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'incidents'").get() !==
      undefined;
    const row = hasIncidents ? database.prepare('SELECT count(*) AS n FROM incidents').get() : undefined;
    const count = isCountRow(row) ? row.n : 0;
    return {
      status: 'ok',
      area,
      message: `${path} opens (${count} incident${count === 1 ? '' : 's'} recorded)`,
    };
  } catch (error: unknown) {
    const text = error instanceof Error ? error.message : String(error);
    return {
      status: 'fail',
      area,
      message: `${path} does not open as ai-ops' SQLite state: ${text}`,
      fix: /not a database|malformed|corrupt/i.test(text)
        ? `move it aside (mv ${path} ${path}.broken) so a new one is created, or set AI_OPS_STATE`
        : `stop other processes using ${path} and try again, or set AI_OPS_STATE to another file`,
    };
  } finally {
    database?.close();
  }
}

function isCountRow(row: unknown): row is { n: number } {
  return typeof row === 'object' && row !== null && 'n' in row && typeof row.n === 'number';
}
