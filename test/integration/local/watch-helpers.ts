import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  ErrorWatcher,
  type ErrorWatcherOptions,
  type WatchedError,
} from '../../../functions/local/follow/error-watcher.ts';
import { MemoryOffsetStore, type OffsetStore } from '../../../functions/local/follow/offset-store.ts';

export function pythonTrace(n: number | string): string {
  return [
    'Traceback (most recent call last):',
    '  File "/app/shop/cart.py", line 12, in checkout',
    '    total = price(item)',
    '  File "/app/shop/pricing.py", line 3, in price',
    "    return item['sku']",
    `KeyError: 'sku-${n}'`,
  ].join('\n');
}

/** Standard streams for a command under test, and what it wrote to each so far. */
export function capture() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (c: Buffer) => out.push(c.toString()));
  stderr.on('data', (c: Buffer) => err.push(c.toString()));
  return {
    io: { stdin: new PassThrough(), stdout, stderr },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ai-ops-watch-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function waitFor(
  check: () => boolean,
  { timeoutMs = 5000, what = 'condition' } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A watcher whose errors land in `errors`; quick timings so tests stay short. */
export function makeWatcher(
  overrides: Partial<ErrorWatcherOptions> & { patterns: string[]; offsets?: OffsetStore },
): { watcher: ErrorWatcher; errors: WatchedError[] } {
  const errors: WatchedError[] = [];
  const watcher = new ErrorWatcher({
    offsets: new MemoryOffsetStore(),
    onError: async (e) => {
      errors.push(e);
    },
    quietMs: 150,
    pollIntervalMs: 100,
    ...overrides,
  });
  return { watcher, errors };
}
