// esbuild options equal to what `cdk synth` runs for an AiOpsFunction (infra/bundling.ts), so a
// bench measures the bundle that is deployed.
import type { BuildOptions } from 'esbuild';
import { AI_OPS_BUNDLING } from '../../infra/bundling.ts';

export const BUNDLE_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: AI_OPS_BUNDLING.target,
  minify: AI_OPS_BUNDLING.minify,
  mainFields: [...AI_OPS_BUNDLING.mainFields],
  banner: { js: AI_OPS_BUNDLING.banner },
  sourcemap: AI_OPS_BUNDLING.sourceMap,
  sourcesContent: AI_OPS_BUNDLING.sourcesContent,
  logLevel: 'error',
};
