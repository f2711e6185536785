// What the deployed bundles contain and evaluate at import, checked on esbuild's metafile with
// the infra's options: full zod (classic) would add ~360 KB to each, isomorphic-git at the
// analyzer's import ~150 ms, Powertools ~0.04 and the decode/config schemas ~0.04 of the
// detector's SDK-only import (test/bench/cold-start.bench.ts measures them).
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { CODE_SPLITTING, SPLIT_OUTPUT } from '../../infra/bundling.ts';
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

/** The function's handler bundled as deployed, and the chunks it imports statically: what Node parses at a cold start. */
async function codeReadAtImport(name: keyof typeof CODE_SPLITTING): Promise<string> {
  const outdir = join(tmpdir(), 'ai-ops-bundle-contents', name);
  const result = await build({
    ...BUNDLE_OPTIONS,
    entryPoints: [`${ROOT}functions/${name}/handler.ts`],
    write: false,
    metafile: true,
    sourcemap: false,
    ...(CODE_SPLITTING[name] ? { ...SPLIT_OUTPUT, outdir } : { outfile: join(outdir, 'index.mjs') }),
  });
  const text = new Map(result.outputFiles.map((f) => [relative(process.cwd(), f.path), f.text]));
  const outputs = result.metafile.outputs;
  const entry = Object.keys(outputs).find((path) => outputs[path]?.entryPoint !== undefined);
  const read = new Set(entry === undefined ? [] : [entry]);
  for (const path of read)
    for (const imported of outputs[path]?.imports ?? [])
      if (imported.kind === 'import-statement' && imported.path in outputs) read.add(imported.path);
  return [...read].map((path) => text.get(path) ?? '').join('\n');
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

  // One character past ASCII in what a handler parses at import (esbuild escapes strings, not
  // regex literals) and Node decodes the whole file as UTF-8 and V8 compiles it as two-byte
  // source, at every cold start: four such regexes cost the detector 176 → 169 ms of import CPU
  // (Node 24), 1.24× → 1.19× its SDK clients. (A chunk read on first use may hold some: the
  // analyzer's isomorphic-git does.)
  it.each(['detector', 'analyzer', 'webhook'] as const)(
    "the %s's code read at import is ASCII only",
    async (name) => {
      const code = await codeReadAtImport(name);
      expect(code.length).toBeGreaterThan(100_000);
      const beyond = [...code.matchAll(/[^\t\n\r\x20-\x7e]/g)].map((m) =>
        code.slice(Math.max(0, m.index - 40), m.index + 10),
      );
      expect(beyond).toEqual([]);
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
