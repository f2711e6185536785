import { constants } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { globToRegex, hasGlob } from '../follow/glob-to-regex.ts';
import { type DoctorCheck, type DoctorFs, errorCode } from './doctor-check.ts';

export interface CheckLogFilesOptions {
  /** LOG_FILE_PATH's files or file-name globs */
  patterns: readonly string[];
  cwd: string;
  fs: DoctorFs;
}

const area = 'log files';

/**
 * One finding per LOG_FILE_PATH entry: the file exists and is readable, or the glob matches
 * readable files. A file or match that is not there yet is a warning (watch picks it up later).
 */
export async function checkLogFiles({ patterns, cwd, fs }: CheckLogFilesOptions): Promise<DoctorCheck[]> {
  if (patterns.length === 0)
    return [
      {
        status: 'warn',
        area,
        message: 'LOG_FILE_PATH is not set',
        fix: 'set LOG_FILE_PATH (files or globs, comma-separated) or pass the files to "ai-ops watch"',
      },
    ];
  return Promise.all(patterns.map((pattern) => checkPattern({ path: resolve(cwd, pattern), fs })));
}

async function checkPattern({ path, fs }: { path: string; fs: DoctorFs }): Promise<DoctorCheck> {
  const directory = dirname(path);
  const name = basename(path);
  if (hasGlob(directory))
    return {
      status: 'fail',
      area,
      message: `${path}: only the file name may hold wildcards`,
      fix: 'list each directory separately in LOG_FILE_PATH, e.g. /var/log/api/*.log,/var/log/worker/*.log',
    };
  if (hasGlob(name)) return checkGlob({ directory, name, path, fs });

  try {
    const info = await fs.stat(path);
    if (!info.isFile())
      return {
        status: 'fail',
        area,
        message: `${path} is not a regular file (a directory?)`,
        fix: `give the log file itself, or a glob such as ${path}/*.log`,
      };
    const unreadable = await readFailure({ path, fs });
    if (unreadable) return unreadable;
    return { status: 'ok', area, message: `${path} is readable (${formatSize(info.size)})` };
  } catch (error: unknown) {
    if (errorCode(error) !== 'ENOENT') return cannotRead({ path, error });
    const missingDirectory = await directoryProblem({ directory, fs });
    if (missingDirectory) return missingDirectory;
    return {
      status: 'warn',
      area,
      message: `${path} does not exist yet; watch starts reading it when it appears`,
      fix: 'check the name in LOG_FILE_PATH if the application already logs',
    };
  }
}

async function checkGlob({
  directory,
  name,
  path,
  fs,
}: {
  directory: string;
  name: string;
  path: string;
  fs: DoctorFs;
}): Promise<DoctorCheck> {
  let entries: string[];
  try {
    entries = await fs.readdir(directory);
  } catch (error: unknown) {
    if (errorCode(error) === 'ENOENT')
      return (await directoryProblem({ directory, fs })) ?? cannotRead({ path: directory, error });
    return cannotRead({ path: directory, error });
  }
  const matcher = globToRegex(name);
  const matches = entries.filter((entry) => matcher.test(entry)).sort();
  if (matches.length === 0)
    return {
      status: 'warn',
      area,
      message: `${path} matches no file yet; watch picks up matching files when they appear`,
      fix: `check the pattern if the application already logs (${directory} holds ${entries.length} entries)`,
    };
  const files: string[] = [];
  for (const match of matches) {
    const file = resolve(directory, match);
    try {
      if (!(await fs.stat(file)).isFile()) continue;
    } catch {
      continue; // rotated away between readdir and stat
    }
    const unreadable = await readFailure({ path: file, fs });
    if (unreadable) return unreadable;
    files.push(match);
  }
  if (files.length === 0)
    return {
      status: 'warn',
      area,
      message: `${path} matches only directories`,
      fix: 'point the glob at the log files themselves',
    };
  const shown = files.length <= 3 ? files.join(', ') : `${files.slice(0, 3).join(', ')}, …`;
  return {
    status: 'ok',
    area,
    message: `${path} matches ${files.length} readable file${files.length === 1 ? '' : 's'} (${shown})`,
  };
}

async function directoryProblem({
  directory,
  fs,
}: {
  directory: string;
  fs: DoctorFs;
}): Promise<DoctorCheck | undefined> {
  try {
    if ((await fs.stat(directory)).isDirectory()) return undefined;
  } catch (error: unknown) {
    if (errorCode(error) !== 'ENOENT') return cannotRead({ path: directory, error });
  }
  return {
    status: 'fail',
    area,
    message: `directory ${directory} does not exist`,
    fix: 'check the path in LOG_FILE_PATH',
  };
}

async function readFailure({ path, fs }: { path: string; fs: DoctorFs }): Promise<DoctorCheck | undefined> {
  try {
    await fs.access(path, constants.R_OK);
    return undefined;
  } catch (error: unknown) {
    return cannotRead({ path, error });
  }
}

function cannotRead({ path, error }: { path: string; error: unknown }): DoctorCheck {
  const code = errorCode(error);
  if (code === 'EACCES' || code === 'EPERM')
    return {
      status: 'fail',
      area,
      message: `cannot read ${path}: permission denied`,
      fix: `run ai-ops as a user that may read it (often by joining the file's group, e.g. sudo usermod -aG adm "$USER"), or make it readable (chmod o+r ${path})`,
    };
  return {
    status: 'fail',
    area,
    message: `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`,
    fix: 'check the path in LOG_FILE_PATH',
  };
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
