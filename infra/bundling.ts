// The esbuild settings every ai-ops function is bundled with, as plain values so the benches
// bundle the handlers exactly as `cdk synth` does (test/bench/bundle-options.ts) without CDK.

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
 * (CPU ms of the import, median of 7, Node 20): detector 135 → 176 and analyzer 271 → 299, which
 * puts both over 1.2× their SDK clients' own import; webhook 124 → 157, within it. The maps ship
 * in every bundle either way, so a trace can be mapped by hand (`node --enable-source-maps` on
 * the bundle from cdk.out).
 */
export const SOURCE_MAPS_IN_TRACES = { detector: false, analyzer: false, webhook: true } as const;

/** NODE_OPTIONS of a function: `--enable-source-maps` where traces are mapped, else none. */
export function nodeOptions(sourceMapsInTraces: boolean): string {
  return sourceMapsInTraces ? '--enable-source-maps' : '';
}
