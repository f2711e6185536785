import { appendFileSync, mkdirSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ErrorWatcher, WatchedError } from '../../../functions/local/follow/error-watcher.ts';
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
  return dir;
}

async function started(watcher: ErrorWatcher): Promise<ErrorWatcher> {
  cleanups.push(() => watcher.close());
  await watcher.start();
  return watcher;
}

const messages = (errors: WatchedError[]) => errors.map((e) => e.record.message);

describe('ErrorWatcher on local files', () => {
  it('handles only appended lines by default, and existing content with fromStart', async () => {
    const dir = setup();
    const log = join(dir, 'app.log');
    writeFileSync(log, `INFO boot\n${pythonTrace('old')}\n`);
    const tail = makeWatcher({ patterns: [log] });
    const full = makeWatcher({ patterns: [log], fromStart: true });
    await started(tail.watcher);
    await started(full.watcher);

    appendFileSync(log, `INFO request\n${pythonTrace('new')}\nINFO next\n`);
    await waitFor(() => tail.errors.length >= 1 && full.errors.length >= 2, { what: 'both watchers' });

    expect(messages(tail.errors)).toEqual(["'sku-new'"]);
    expect(messages(full.errors)).toEqual(["'sku-old'", "'sku-new'"]);
    expect(tail.errors[0]?.record).toMatchObject({
      language: 'python',
      exceptionType: 'KeyError',
      logGroup: log,
    });
    expect(tail.errors[0]?.record.frames).toHaveLength(2);
  });

  it('keeps following through rename rotation, reading the old file to its end first', async () => {
    const dir = setup();
    const log = join(dir, 'app.log');
    writeFileSync(log, '');
    const notices: FollowerNotice[] = [];
    const { watcher, errors } = makeWatcher({ patterns: [log], onNotice: (n) => notices.push(n) });
    await started(watcher);

    appendFileSync(log, `${pythonTrace(1)}\nINFO a\n`);
    await waitFor(() => errors.length === 1, { what: 'first error' });
    renameSync(log, `${log}.1`);
    appendFileSync(`${log}.1`, `${pythonTrace(2)}\n`); // a late write to the rotated file
    writeFileSync(log, `${pythonTrace(3)}\nINFO b\n`);
    await waitFor(() => errors.length === 3, { what: 'errors after rotation' });

    expect(messages(errors)).toEqual(["'sku-1'", "'sku-2'", "'sku-3'"]);
    expect(notices.some((n) => n.kind === 'rotated')).toBe(true);
  });

  it('starts over after copy-truncate rotation', async () => {
    const dir = setup();
    const log = join(dir, 'app.log');
    writeFileSync(log, '');
    const notices: FollowerNotice[] = [];
    const { watcher, errors } = makeWatcher({ patterns: [log], onNotice: (n) => notices.push(n) });
    await started(watcher);

    appendFileSync(log, `${'INFO padding line\n'.repeat(50)}${pythonTrace(1)}\nINFO a\n`);
    await waitFor(() => errors.length === 1, { what: 'first error' });
    truncateSync(log, 0);
    await watcher.idle();
    appendFileSync(log, `${pythonTrace(2)}\nINFO b\n`);
    await waitFor(() => errors.length === 2, { what: 'error after truncation' });

    expect(messages(errors)).toEqual(["'sku-1'", "'sku-2'"]);
    expect(notices.some((n) => n.kind === 'truncated')).toBe(true);
  });

  // Lines 120 ms apart against a 1 s quiet period: the margin absorbs a loaded machine's stalls.
  it('assembles a trace written slowly line by line into one record', async () => {
    const dir = setup();
    const log = join(dir, 'app.log');
    writeFileSync(log, 'INFO start\n');
    const { watcher, errors } = makeWatcher({ patterns: [log], quietMs: 1000, maxHoldMs: 8000 });
    await started(watcher);

    for (const line of pythonTrace('slow').split('\n')) {
      appendFileSync(log, `${line}\n`);
      await new Promise((r) => setTimeout(r, 120));
      await watcher.idle();
    }
    await waitFor(() => errors.length >= 1, { what: 'the slow trace' });
    // Long enough for a second half to show up, were the trace split.
    await new Promise((r) => setTimeout(r, 300));

    expect(errors).toHaveLength(1);
    expect(errors[0]?.record).toMatchObject({ exceptionType: 'KeyError', message: "'sku-slow'" });
    expect(errors[0]?.record.frames).toHaveLength(2);
  });

  it('follows two files at once (a glob), each as its own stream', async () => {
    const dir = setup();
    writeFileSync(join(dir, 'api.log'), '');
    writeFileSync(join(dir, 'worker.log'), '');
    writeFileSync(join(dir, 'notes.txt'), '');
    const { watcher, errors } = makeWatcher({ patterns: [join(dir, '*.log')] });
    await started(watcher);

    appendFileSync(join(dir, 'api.log'), `${pythonTrace('api')}\nINFO x\n`);
    appendFileSync(join(dir, 'worker.log'), `${pythonTrace('worker')}\nINFO y\n`);
    appendFileSync(join(dir, 'notes.txt'), `${pythonTrace('ignored')}\nINFO z\n`);
    await waitFor(() => errors.length >= 2, { what: 'errors of both files' });
    await watcher.idle();

    const byFile = Object.fromEntries(errors.map((e) => [e.path, e.record.message]));
    expect(byFile).toEqual({
      [join(dir, 'api.log')]: "'sku-api'",
      [join(dir, 'worker.log')]: "'sku-worker'",
    });
  });

  it('picks up a file that does not exist yet, from its first line, even in a directory made later', async () => {
    const dir = setup();
    const log = join(dir, 'later', 'app.log');
    const { watcher, errors } = makeWatcher({ patterns: [log] });
    await started(watcher);

    mkdirSync(join(dir, 'later'));
    writeFileSync(log, `${pythonTrace('late')}\nINFO x\n`);
    await waitFor(() => errors.length === 1, { what: 'the late file' });

    expect(errors[0]?.record.message).toBe("'sku-late'");
  });

  it('passes a binary, non-UTF-8 line on with replacement characters and keeps going', async () => {
    const dir = setup();
    const log = join(dir, 'app.log');
    writeFileSync(log, '');
    const { watcher, errors } = makeWatcher({ patterns: [log] });
    await started(watcher);

    appendFileSync(
      log,
      Buffer.from([0x45, 0x52, 0x52, 0x4f, 0x52, 0x20, 0xff, 0xfe, 0x00, 0xc3, 0x28, 0x0a]),
    );
    // (the INFO line ends the ERROR line's statement: unprefixed lines right after an error line
    // may be more of its message, and a traceback after them would be its trace)
    appendFileSync(
      log,
      Buffer.concat([
        Buffer.from([0x00, 0x01, 0x80, 0x0a]),
        Buffer.from(`INFO between\n${pythonTrace('after')}\nINFO x\n`),
      ]),
    );
    await waitFor(() => errors.length === 2, { what: 'both errors' });

    expect(errors[0]?.record.raw).toContain('\ufffd');
    expect(errors[1]?.record.message).toBe("'sku-after'");
  });

  it('splits lines correctly across chunk boundaries', async () => {
    const dir = setup();
    const log = join(dir, 'app.log');
    const text = `${'INFO ünïcödé line\r\n'.repeat(20)}${pythonTrace('chunks')}\nINFO end\n`;
    writeFileSync(log, text);
    const offsets = new MemoryOffsetStore();
    const { watcher, errors } = makeWatcher({ patterns: [log], fromStart: true, chunkSize: 7, offsets });
    await watcher.runOnce();

    expect(messages(errors)).toEqual(["'sku-chunks'"]);
    expect(errors[0]?.record.frames).toHaveLength(2);
    expect(watcher.stats.lines).toBe(text.split('\n').length - 1);
    expect(offsets.load(log)?.offset).toBe(Buffer.byteLength(text));
  });
});
