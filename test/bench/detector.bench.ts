// Detector throughput against the decode floor, measured on the code as it is deployed: the
// workload (test/bench/detector-workload.ts) is bundled with the esbuild options `cdk synth` uses
// (test/bench/bundle-options.ts: minified, no keep-names wrappers) and imported from the bundle.
// Run from the TypeScript sources through tsx instead, the same code measured ~25 % slower: tsx
// wraps every closure it creates in a naming helper that the deployed bundle does not have.
// AI_OPS_BENCH_NODE=/path/to/node runs the bundle under another Node.js, such as the major the
// Lambda runtime uses (infra: nodejs24.x), which decodes UTF-8 and runs regexes unlike Node 20.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { BUNDLE_OPTIONS } from './bundle-options.ts';

export default async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ai-ops-detector-bench-'));
  try {
    const outfile = join(dir, 'detector-workload.mjs');
    await build({
      ...BUNDLE_OPTIONS,
      entryPoints: [fileURLToPath(new URL('./detector-workload.ts', import.meta.url))],
      outfile,
    });
    console.log('(the workload bundled with the deployed esbuild options, imported from the bundle)');
    const node = process.env.AI_OPS_BENCH_NODE;
    if (node) {
      const script = `import(${JSON.stringify(pathToFileURL(outfile).href)}).then((w) => w.measureDetector())`;
      const run = spawnSync(node, ['--no-warnings', '--input-type=module', '-e', script], {
        stdio: 'inherit',
      });
      if (run.status !== 0)
        throw new Error(`the workload under ${node} exited with ${run.status ?? run.signal}`);
      return;
    }
    const workload = (await import(pathToFileURL(outfile).href)) as { measureDetector: () => Promise<void> };
    await workload.measureDetector();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
