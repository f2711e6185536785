import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorWatcher } from '../../../functions/local/follow/error-watcher.ts';
import { MemoryOffsetStore } from '../../../functions/local/follow/offset-store.ts';
import { pythonTrace, tempDir } from './watch-helpers.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A 4 KB block of ordinary lines ending in one trace, written `times` times. */
async function writeLargeLog(path: string, times: number): Promise<{ bytes: number }> {
  const info = 'INFO 2024-05-01T12:00:00Z request handled path=/api/cart status=200 duration_ms=12\n';
  let block = `${pythonTrace('big')}\n`;
  while (block.length + info.length <= 4096) block = info + block;
  block = block.padStart(4096, 'X');
  const buffer = Buffer.from(block);
  const stream = createWriteStream(path);
  for (let i = 0; i < times; i++) {
    if (!stream.write(buffer)) await new Promise<void>((r) => stream.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) =>
    stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
  return { bytes: buffer.length * times };
}

describe('a 200 MB log', () => {
  it('is processed with flat memory', { timeout: 60_000 }, async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const log = join(dir, 'big.log');
    const blocks = 50 * 1024; // 50 Ki blocks of 4 KiB = 200 MiB
    const { bytes } = await writeLargeLog(log, blocks);
    globalThis.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);

    let errors = 0;
    const watcher = new ErrorWatcher({
      patterns: [log],
      fromStart: true,
      offsets: new MemoryOffsetStore(),
      onError: async () => {
        errors++;
      },
    });
    try {
      await watcher.runOnce();
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);

    expect(bytes).toBe(200 * 1024 * 1024);
    expect(errors).toBe(blocks);
    expect((peak - baseline) / 1024 / 1024).toBeLessThan(150);
  });
});
