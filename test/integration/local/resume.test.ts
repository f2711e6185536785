import { appendFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FollowerNotice } from '../../../functions/local/follow/file-follower.ts';
import { MemoryOffsetStore } from '../../../functions/local/follow/offset-store.ts';
import { makeWatcher, pythonTrace, tempDir, waitFor } from './watch-helpers.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function setup() {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  return { dir, log: join(dir, 'app.log'), offsets: new MemoryOffsetStore() };
}

describe('resuming from saved offsets', () => {
  it('reads what was appended while the watcher was stopped, and nothing from before its first start', async () => {
    const { log, offsets } = setup();
    writeFileSync(log, `${pythonTrace('before')}\nINFO x\n`);
    const first = makeWatcher({ patterns: [log], offsets });
    await first.watcher.start();
    await first.watcher.close();

    appendFileSync(log, `${pythonTrace('while-down')}\nINFO y\n`);
    const second = makeWatcher({ patterns: [log], offsets });
    cleanups.push(() => second.watcher.close());
    await second.watcher.start();
    await waitFor(() => second.errors.length === 1, { what: 'the error appended while down' });

    expect(first.errors).toEqual([]);
    expect(second.errors.map((e) => e.record.message)).toEqual(["'sku-while-down'"]);
  });

  it('finishes a file rotated while stopped (found by its inode) before reading the new one', async () => {
    const { log, offsets } = setup();
    writeFileSync(log, 'INFO start\n');
    const first = makeWatcher({ patterns: [log], offsets });
    await first.watcher.start();
    await first.watcher.close();

    appendFileSync(log, `${pythonTrace('old-file')}\nINFO y\n`);
    renameSync(log, `${log}.1`);
    writeFileSync(log, `${pythonTrace('new-file')}\nINFO z\n`);
    const notices: FollowerNotice[] = [];
    const second = makeWatcher({ patterns: [log], offsets, onNotice: (n) => notices.push(n) });
    cleanups.push(() => second.watcher.close());
    await second.watcher.start();
    await waitFor(() => second.errors.length === 2, { what: 'both files' });

    expect(second.errors.map((e) => e.record.message)).toEqual(["'sku-old-file'", "'sku-new-file'"]);
    expect(notices).toContainEqual(
      expect.objectContaining({ kind: 'resumed_rotated', rotatedTo: `${log}.1` }),
    );
  });

  it('does not report lines as lost when a rotated file it already finished is deleted', async () => {
    const { log, offsets } = setup();
    writeFileSync(log, '');
    const notices: FollowerNotice[] = [];
    const { watcher, errors } = makeWatcher({ patterns: [log], offsets, onNotice: (n) => notices.push(n) });
    cleanups.push(() => watcher.close());
    await watcher.start();

    appendFileSync(log, `${pythonTrace(1)}\nINFO a\n`);
    await waitFor(() => errors.length === 1, { what: 'first error' });
    renameSync(log, `${log}.1`);
    await watcher.idle();
    unlinkSync(`${log}.1`);
    writeFileSync(log, `${pythonTrace(2)}\nINFO b\n`);
    await waitFor(() => errors.length === 2, { what: 'the new file' });

    expect(notices.map((n) => n.kind)).not.toContain('lost_while_down');
    expect(notices.map((n) => n.kind)).toContain('appeared');
  });
});
