// The detector Lambda end to end. (a) Cold start: the deployed bundle of the handler against a
// bundle of only its three SDK clients, imported in pairs in fresh node processes, as
// cold-start.bench.ts measures every function — what the handler adds on top of the SDK it cannot
// do without. (b) Warm invocation of a 10,000-event payload through makeHandler with in-memory
// store and queue, against the decode floor (base64 + gunzip + JSON.parse) of the same payload,
// measured in the same run, on the handler bundled as deployed (detector-handler-workload.ts;
// AI_OPS_BENCH_NODE picks the Node.js). Measured from the TypeScript sources through tsx on
// Node 20, as it was until December, the realistic mix read 0.36×; bundled, 0.52–0.53× on
// Node 20 and 24.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeOptions, SOURCE_MAPS_IN_TRACES } from '../../infra/bundling.ts';
import { runBundledWorkload } from './bundled-workload.ts';
import { buildFunction, FUNCTIONS, pairedImport } from './cold-start.bench.ts';

async function coldStart(pairs: number) {
  const dir = mkdtempSync(join(tmpdir(), 'ai-ops-detector-bench-'));
  try {
    const detector = FUNCTIONS.find((fn) => fn.name === 'detector');
    if (!detector) throw new Error('cold-start.bench.ts lists no detector');
    const built = await buildFunction(detector, dir);
    return {
      ...pairedImport({
        handler: built.handler,
        sdk: built.sdk,
        nodeOptions: nodeOptions(SOURCE_MAPS_IN_TRACES.detector),
        pairs,
      }),
      handlerKb: statSync(built.handler).size / 1024,
      sdkKb: statSync(built.sdk).size / 1024,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export default async function run(): Promise<void> {
  const cold = await coldStart(Math.max(5, Number(process.env.AI_OPS_BENCH_COLD_PAIRS ?? 41)));
  console.log(
    `bundle as deployed: handler ${cold.handlerKb.toFixed(0)} KB, SDK clients only ${cold.sdkKb.toFixed(0)} KB`,
  );
  console.table({
    'import handler bundle': { 'median CPU ms': cold.handlerMs.toFixed(1) },
    'import SDK-clients-only bundle': { 'median CPU ms': cold.sdkMs.toFixed(1) },
  });
  console.log(
    `cold-start import ratio handler / SDK only, median of ${cold.pairs} pairs: ${cold.ratio.toFixed(2)}× (IQR ${cold.q1.toFixed(2)}–${cold.q3.toFixed(2)})`,
  );

  await runBundledWorkload(new URL('./detector-handler-workload.ts', import.meta.url), 'measureWarmHandler');
}
