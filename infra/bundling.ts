// The esbuild settings every ai-ops function is bundled with, as plain values so the benches
// bundle the handlers exactly as `cdk synth` does (test/bench/bundle-options.ts) without CDK.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';

/** The bundles are ESM; some dependencies are CJS and call `require`, which ESM lacks. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __aiOpsCreateRequire } from 'node:module'; const require = __aiOpsCreateRequire(import.meta.url);";

export const AI_OPS_BUNDLING = {
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  minify: true,
  // Maps keep stack traces readable; without the sources embedded they are ~1/4 the size, and
  // `--enable-source-maps` parses them at import (see SOURCE_MAPS_IN_TRACES).
  sourceMap: true,
  sourcesContent: false,
  /** esbuild target of the Lambda runtime (Node 24) */
  target: 'node24',
} as const;

/**
 * Which functions map stack traces in their logs back to the TypeScript sources. Node parses the
 * map at import when `--enable-source-maps` is on; measured with test/bench/cold-start.bench.ts
 * (CPU ms of the import, then still medians of 7 unpaired runs, Node 20, before the detector lost
 * Powertools and the analyzer was split): detector 135 → 176 and analyzer 271 → 299, which put
 * both over 1.2× their SDK clients' own import; webhook 124 → 157, within it (paired, now: webhook
 * 1.17–1.18× with maps; `AI_OPS_BENCH_COLD_MAPS=1` measures the other setting too). The maps ship
 * in every bundle either way, so a trace can be mapped by hand (`node --enable-source-maps` on
 * the bundle from cdk.out).
 */
export const SOURCE_MAPS_IN_TRACES = { detector: false, analyzer: false, webhook: true } as const;

/** NODE_OPTIONS of a function: `--enable-source-maps` where traces are mapped, else none. */
export function nodeOptions(sourceMapsInTraces: boolean): string {
  return sourceMapsInTraces ? '--enable-source-maps' : '';
}

/**
 * Which functions are bundled with esbuild code splitting: what a handler loads with `import()`
 * (the analyzer's isomorphic-git, follow-up use cases and auth-app; the SDK's credential
 * providers) goes to `chunk-*.mjs` files read on first use, instead of being parsed at every
 * cold start as part of one file. Measured with test/bench/cold-start.bench.ts (CPU ms of the
 * import, median of paired ratios, Node 20, loaded machine): the analyzer 244 → 176 ms and
 * 1.27× → 1.11× its likewise split SDK clients. Split, the detector (134 → 112 ms) and the
 * webhook import faster too, but read 1.26× / 1.28× against SDK clients that shed their
 * credential providers as well, against 1.17× / 1.18× unsplit; they stay one file for now.
 */
export const CODE_SPLITTING = { detector: false, analyzer: true, webhook: false } as const;

/** esbuild output options of a split bundle: `index.mjs` and its chunks in one folder. */
export const SPLIT_OUTPUT = {
  splitting: true,
  entryNames: 'index',
  chunkNames: 'chunk-[hash]',
  outExtension: { '.js': '.mjs' },
} as const;

const quote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;

/**
 * The esbuild command line that bundles `entry` into `outdir` with AI_OPS_BUNDLING and
 * SPLIT_OUTPUT. NodejsFunction always passes `--outfile`, which esbuild refuses with
 * `--splitting`, so a split function is bundled again after it (splitBundleHooks).
 */
export function splitBundleCommand({
  esbuild = join(dirname(createRequire(import.meta.url).resolve('esbuild')), '..', 'bin', 'esbuild'),
  entry,
  outdir,
}: {
  esbuild?: string;
  entry: string;
  outdir: string;
}): string {
  const b = AI_OPS_BUNDLING;
  return [
    esbuild,
    entry,
    '--bundle',
    '--platform=node',
    '--format=esm',
    `--target=${b.target}`,
    ...(b.minify ? ['--minify'] : []),
    `--main-fields=${b.mainFields.join(',')}`,
    `--banner:js=${b.banner}`,
    ...(b.sourceMap ? ['--sourcemap'] : []),
    `--sources-content=${b.sourcesContent}`,
    '--splitting',
    `--outdir=${outdir}`,
    `--entry-names=${SPLIT_OUTPUT.entryNames}`,
    `--chunk-names=${SPLIT_OUTPUT.chunkNames}`,
    '--out-extension:.js=.mjs',
    '--log-level=warning',
  ]
    .map(quote)
    .join(' ');
}

/** NodejsFunction hooks that replace its one-file bundle of `entry` with a split one (local bundling). */
export function splitBundleHooks(entry: string): ICommandHooks {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir, outputDir) => [splitBundleCommand({ entry, outdir: outputDir })],
  };
}
