import { constants } from 'node:fs';
import { dirname } from 'node:path';
import { type DoctorArea, type DoctorCheck, type DoctorFs, errorCode } from './doctor-check.ts';

export interface CheckWritableDirectoryOptions {
  area: DoctorArea;
  directory: string;
  /** what ai-ops keeps there, e.g. "the state file" */
  purpose: string;
  fs: DoctorFs;
}

/**
 * Whether ai-ops can write in `directory`, or create it: a folder that does not exist yet is fine
 * when its nearest existing parent is writable (ai-ops creates it on first use). Creates nothing.
 */
export async function checkWritableDirectory({
  area,
  directory,
  purpose,
  fs,
}: CheckWritableDirectoryOptions): Promise<DoctorCheck> {
  let existing = directory;
  for (;;) {
    try {
      const info = await fs.stat(existing);
      if (!info.isDirectory())
        return {
          status: 'fail',
          area,
          message: `${existing} is not a directory, so ${directory} cannot hold ${purpose}`,
          fix: `move ${existing} away or choose another location for ${purpose}`,
        };
      break;
    } catch (error: unknown) {
      const parent = dirname(existing);
      if (errorCode(error) !== 'ENOENT' || parent === existing)
        return {
          status: 'fail',
          area,
          message: `cannot look at ${existing}: ${error instanceof Error ? error.message : String(error)}`,
          fix: `choose a location for ${purpose} that this user can read and write`,
        };
      existing = parent;
    }
  }
  try {
    await fs.access(existing, constants.W_OK | constants.X_OK);
  } catch (error: unknown) {
    const code = errorCode(error);
    const denied = code === 'EACCES' || code === 'EPERM' || code === 'EROFS';
    return {
      status: 'fail',
      area,
      message: `${existing} is not writable${denied ? '' : ` (${code ?? String(error)})`}, so ${purpose} cannot be ${existing === directory ? 'written' : `created in ${directory}`}`,
      fix: `give this user write access (e.g. sudo chown -R "$USER" ${existing}) or choose another location for ${purpose}`,
    };
  }
  return {
    status: 'ok',
    area,
    message:
      existing === directory
        ? `${directory} is writable (${purpose})`
        : `${directory} can be created for ${purpose}, ${existing} is writable`,
  };
}
