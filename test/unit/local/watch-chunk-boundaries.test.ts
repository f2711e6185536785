import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import type { WatchedError } from '../../../functions/local/follow/error-watcher.ts';
import { RECORDED_TRACEBACK } from '../../demo/shop-app.ts';
import { makeWatcher, tempDir } from '../../integration/local/watch-helpers.ts';

/**
 * Issue #10: reading 1,000 concatenated Python tracebacks in one go split a few of them at
 * read-chunk boundaries into stray incidents. A chunk that ends inside a trace (a lead error line
 * whose "Traceback" header is the chunk's last line, a trace whose frames are in the next chunk)
 * must be held and completed by the next chunk, not handed on as a record of its own.
 */
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

// The request failing again and again, each trace closed by the next request's line.
const TRACE = `${RECORDED_TRACEBACK.replaceAll('{APP}', '/srv/shop').trimEnd()}\n2026-11-26 09:14:04,000 INFO shop: next request\n`;
const TRACE_BYTES = Buffer.byteLength(TRACE);

function writeLog(copies: number): string {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const log = join(dir, 'app.log');
  writeFileSync(log, TRACE.repeat(copies));
  return log;
}

async function readWithChunk(log: string, chunkSize: number): Promise<WatchedError[]> {
  // A loaded machine: seconds pass between two reads (records written, the PR refreshed). Neither
  // the hold limit nor the quiet period may flush a chunk's tail before the next chunk is read.
  let clock = 0;
  const { watcher, errors } = makeWatcher({
    patterns: [log],
    fromStart: true,
    chunkSize,
    useNotifications: false,
    now: () => (clock += 5_000),
  });
  await watcher.runOnce();
  return errors;
}

const shape = (e: WatchedError) =>
  `${fingerprintError(e.record)} ${e.record.exceptionType} frames=${e.record.frames.length} lines=${e.record.eventIds.length}`;

describe('ErrorWatcher across read-chunk boundaries', () => {
  it('keeps a trace whole wherever a chunk ends inside it', async () => {
    const log = writeLog(40);
    const whole = (await readWithChunk(log, 1 << 20)).map(shape);
    expect(whole).toHaveLength(40);
    expect(new Set(whole).size).toBe(1);
    const split: string[] = [];
    // A chunk of 3 traces + p bytes ends p bytes into the fourth trace (every position), the next
    // chunks 2p, 3p… bytes in, each starting with what the previous one held.
    for (let p = 1; p < TRACE_BYTES; p++) {
      const shapes = (await readWithChunk(log, 3 * TRACE_BYTES + p)).map(shape);
      if (shapes.length !== 40 || shapes.some((s) => s !== whole[0]))
        split.push(`${p} bytes in: ${shapes.length} records, ${new Set(shapes).size} shapes`);
    }
    expect(split).toEqual([]);
  }, 60_000);

  it('finds 1,000 identical traces read in one go as one fingerprint, 1,000 occurrences', async () => {
    const log = writeLog(1000);
    // The follower's default chunk (64 KiB) and odd sizes that land everywhere inside a trace.
    for (const chunkSize of [64 * 1024, 4099, 1021]) {
      const errors = await readWithChunk(log, chunkSize);
      expect(new Set(errors.map((e) => fingerprintError(e.record))).size, `chunk ${chunkSize}`).toBe(1);
      expect(errors, `chunk ${chunkSize}`).toHaveLength(1000);
    }
  }, 60_000);
});
