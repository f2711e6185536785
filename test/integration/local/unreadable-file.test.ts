import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileFollowError, toFollowError } from '../../../functions/local/follow/file-follower.ts';
import { makeWatcher, tempDir } from './watch-helpers.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

// root reads a chmod 000 file anyway: there, only the directory case can be exercised.
const canBeDenied = typeof process.getuid === 'function' && process.getuid() !== 0;

describe('a followed path that cannot be read', () => {
  it('is a clear error naming the path when a directory stands where the log file should be', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const path = join(dir, 'app.log');
    mkdirSync(path);
    const { watcher } = makeWatcher({ patterns: [path] });

    const error = await watcher.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    await watcher.close();

    expect(error).toBeInstanceOf(FileFollowError);
    expect(error).toMatchObject({ code: 'not_a_file', path });
    expect(String((error as Error).message)).toContain(`${path} is not a regular file`);
  });

  it('is a permission_denied error that says what to do, when the file is not readable', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const path = join(dir, 'app.log');
    writeFileSync(path, 'x\n');
    chmodSync(path, 0o000);
    const { watcher } = makeWatcher({ patterns: [path] });

    const error = await watcher.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    await watcher.close();

    if (canBeDenied) {
      expect(error).toMatchObject({ code: 'permission_denied', path });
      expect(String((error as Error).message)).toMatch(/permission denied.*Run ai-ops as a user/);
    } else {
      // root reads a chmod 000 file: the start succeeds; the message is checked on the mapped error below.
      expect(error).toBeUndefined();
    }
  });

  it('maps EACCES to a message naming the file and the fix', () => {
    const denied = Object.assign(new Error("EACCES: permission denied, open '/var/log/app.log'"), {
      code: 'EACCES',
    });
    const error = toFollowError('/var/log/app.log', denied);
    expect(error).toMatchObject({ code: 'permission_denied', path: '/var/log/app.log', cause: denied });
    expect(error.message).toBe(
      'cannot read /var/log/app.log: permission denied. Run ai-ops as a user that may read it (for example add that user to the file\'s group, often "adm": sudo usermod -aG adm $USER), or make the file readable (chmod o+r /var/log/app.log).',
    );
  });
});
