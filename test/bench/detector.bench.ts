// Detector throughput against the decode floor, measured on the code as it is deployed: the
// workload (test/bench/detector-workload.ts) is bundled with the esbuild options `cdk synth` uses
// and imported from the bundle (bundled-workload.ts; AI_OPS_BENCH_NODE picks the Node.js).
import { runBundledWorkload } from './bundled-workload.ts';

export default async function run(): Promise<void> {
  await runBundledWorkload(new URL('./detector-workload.ts', import.meta.url), 'measureDetector');
}
