// Runs a bench workload as it is deployed: the module is bundled with the esbuild options
// `cdk synth` uses (bundle-options.ts: minified, no keep-names wrappers) and imported from the
// bundle. Run from the TypeScript sources through tsx instead, the same code measured ~25 % slower
// (tsx wraps every closure it creates in a naming helper the deployed bundle does not have).
// AI_OPS_BENCH_NODE=/path/to/node runs the bundle under another Node.js, such as the major the
// Lambda runtime uses (infra: nodejs24.x), which decodes UTF-8 and runs regexes unlike Node 20.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { BUNDLE_OPTIONS } from './bundle-options.ts';

/** Bundles `entry` and calls its export `run` (no arguments), here or under AI_OPS_BENCH_NODE. */
export async function runBundledWorkload(entry: URL, run: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ai-ops-bench-'));
  try {
    const outfile = join(dir, 'workload.mjs');
    await build({ ...BUNDLE_OPTIONS, entryPoints: [fileURLToPath(entry)], outfile });
    console.log('(the workload bundled with the deployed esbuild options, imported from the bundle)');
    const node = process.env.AI_OPS_BENCH_NODE;
    if (node) {
      const script = `import(${JSON.stringify(pathToFileURL(outfile).href)}).then((w) => w[${JSON.stringify(run)}]())`;
      const child = spawnSync(node, ['--no-warnings', '--input-type=module', '-e', script], {
        stdio: 'inherit',
      });
      if (child.status !== 0)
        throw new Error(`the workload under ${node} exited with ${child.status ?? child.signal}`);
      return;
    }
    const workload = (await import(pathToFileURL(outfile).href)) as Record<string, () => Promise<void>>;
    const measure = workload[run];
    if (!measure) throw new Error(`${fileURLToPath(entry)} exports no ${run}`);
    await measure();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
