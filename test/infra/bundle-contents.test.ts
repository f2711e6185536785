// What the deployed bundles contain and evaluate at import, checked on esbuild's metafile with
// the infra's options: full zod (classic) would add ~360 KB to each, isomorphic-git at the
// analyzer's import ~150 ms, Powertools ~0.04 and the decode/config schemas ~0.04 of the
// detector's SDK-only import (test/bench/cold-start.bench.ts measures them).
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

  it('the detector carries no Powertools, and its decode and config build no zod schema', async () => {
    const metafile = await metafileOf('functions/detector/handler.ts');
    const inputs = Object.keys(metafile.inputs);
    expect(inputs.filter((path) => path.includes('@aws-lambda-powertools/'))).toEqual([]);
    for (const own of ['functions/core/detect/decode-subscription.ts', 'functions/detector/config.ts']) {
      const imports = Object.entries(metafile.inputs).find(([path]) => path.endsWith(own))?.[1].imports;
      expect(imports, own).toBeDefined();
      expect(
        imports?.filter((i) => i.path.includes('/zod/')),
        own,
      ).toEqual([]);
    }
  }, 30_000);
});
