// What the deployed bundles contain and evaluate at import, checked on esbuild's metafile with
// the infra's options: full zod (classic) would add ~360 KB to each, and isomorphic-git at the
// analyzer's import ~150 ms (test/bench/cold-start.bench.ts measures both).
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { BUNDLE_OPTIONS } from '../bench/bundle-options.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function metafileOf(entry: string): Promise<Metafile> {
  const result = await build({
    ...BUNDLE_OPTIONS,
    entryPoints: [`${ROOT}${entry}`],
    write: false,
    outfile: 'out.mjs',
    metafile: true,
    sourcemap: false,
  });
  return result.metafile;
}

/** Inputs reached from the entry through static imports only (evaluated at import). */
function staticallyReached(metafile: Metafile, entry: string): string[] {
  const start = Object.keys(metafile.inputs).find((path) => path.endsWith(entry)) ?? entry;
  const seen = new Set([start]);
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    for (const imported of metafile.inputs[file]?.imports ?? []) {
      if (imported.kind === 'dynamic-import' || seen.has(imported.path)) continue;
      seen.add(imported.path);
      queue.push(imported.path);
    }
  }
  return [...seen];
}

describe('Lambda bundles', () => {
  it.each(['functions/detector/handler.ts', 'functions/analyzer/handler.ts', 'functions/webhook/handler.ts'])(
    '%s uses zod/mini only',
    async (entry) => {
      const inputs = Object.keys((await metafileOf(entry)).inputs);
      expect(inputs.some((path) => path.includes('/zod/v4/mini/'))).toBe(true);
      expect(inputs.filter((path) => path.includes('/zod/v4/classic/'))).toEqual([]);
    },
    30_000,
  );

  it('the analyzer imports isomorphic-git and auth-app only when a job needs them', async () => {
    const entry = 'functions/analyzer/handler.ts';
    const reached = staticallyReached(await metafileOf(entry), entry);
    expect(reached.length).toBeGreaterThan(50);
    expect(reached.filter((path) => /\/(isomorphic-git|pako|@octokit\/auth-app)\//.test(path))).toEqual([]);
  }, 30_000);
});
