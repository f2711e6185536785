// The esbuild settings every ai-ops function is bundled with, as plain values so the benches
// bundle the handlers exactly as `cdk synth` does (test/bench/bundle-options.ts) without CDK.

/** The bundles are ESM; some dependencies are CJS and call `require`, which ESM lacks. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __aiOpsCreateRequire } from 'node:module'; const require = __aiOpsCreateRequire(import.meta.url);";

export const AI_OPS_BUNDLING = {
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  minify: true,
  // Maps keep stack traces readable; without the sources embedded they are ~1/3 the size, and
  // `--enable-source-maps` parses them at import (measured in test/bench/cold-start.bench.ts).
  sourceMap: true,
  sourcesContent: false,
  /** esbuild target of the Lambda runtime (Node 24) */
  target: 'node24',
} as const;

/** NODE_OPTIONS of every function. */
export const AI_OPS_NODE_OPTIONS = '--enable-source-maps';
