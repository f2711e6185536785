import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { synthAiOps } from './synth-ai-ops.ts';

describe('real bundling (local esbuild, no Docker)', () => {
  it('emits a minified ESM bundle with a require shim and a source map for each function', () => {
    const { app } = synthAiOps({ bundle: true });
    const outdir = app.outdir;
    const assets = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
    expect(assets).toHaveLength(3);
    const split: string[] = [];
    for (const asset of assets) {
      const files = readdirSync(join(outdir, asset)).sort();
      const chunks = files.filter((name) => name.startsWith('chunk-'));
      expect(files.filter((name) => !chunks.includes(name))).toEqual(['index.mjs', 'index.mjs.map']);
      if (chunks.length > 0) split.push(asset);
      // every chunk has its map, and carries the require shim like the entry
      expect(
        chunks
          .filter((name) => name.endsWith('.mjs'))
          .map((name) => `${name}.map`)
          .sort(),
      ).toEqual(chunks.filter((name) => name.endsWith('.map')));
      // maps without the sources: --enable-source-maps parses the whole map at import
      const map = JSON.parse(readFileSync(join(outdir, asset, 'index.mjs.map'), 'utf8')) as {
        sources: string[];
        sourcesContent?: unknown[];
      };
      expect(map.sources.length).toBeGreaterThan(0);
      expect((map.sourcesContent ?? []).filter((content) => content !== null)).toEqual([]);
      const code = readFileSync(join(outdir, asset, 'index.mjs'), 'utf8');
      expect(code.startsWith('import { createRequire as __aiOpsCreateRequire }')).toBe(true);
      expect(code).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
      // Loading the bundle as ESM is what Lambda does; CJS dependencies that call require() would fail here.
      const href = pathToFileURL(join(outdir, asset, 'index.mjs')).href;
      const loaded = spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(href)}); process.stdout.write(typeof m.handler);`,
        ],
        { encoding: 'utf8', env: { ...process.env, AWS_REGION: 'us-east-1' } },
      );
      expect(loaded.status, loaded.stderr).toBe(0);
      expect(loaded.stdout).toBe('function');
    }
    // the analyzer's asset is split (CODE_SPLITTING in infra/bundling.ts), the others are one file
    expect(split).toHaveLength(1);
  }, 60_000);
});
