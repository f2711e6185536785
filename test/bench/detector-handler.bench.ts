// The detector Lambda end to end. (a) Cold start: the deployed bundle of the handler against a
// bundle of only its three SDK clients, imported in pairs in fresh node processes, as
// cold-start.bench.ts measures every function — what the handler adds on top of the SDK it cannot
// do without. (b) Warm invocation of a 10,000-event payload through makeHandler with in-memory
// store and queue, against the decode floor (base64 + gunzip + JSON.parse) of the same payload,
// measured in the same run.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryIncidentStore } from '../../functions/adapters/memory-incident-store.ts';
import type { RepairJob } from '../../functions/core/contracts.ts';
import type { LogContextSource } from '../../functions/core/ports/log-context-source.ts';
import { makeHandler } from '../../functions/detector/handler.ts';
import type { DetectorLogger } from '../../functions/detector/telemetry.ts';
import { nodeOptions, SOURCE_MAPS_IN_TRACES } from '../../infra/bundling.ts';
import { makeDataPayload, makeLogEvents, pythonTrace } from '../support/payloads.ts';
import { buildFunction, FUNCTIONS, pairedImport, quantile } from './cold-start.bench.ts';
import { cutOffStream, stubbedLogContext } from './cut-off-stream.ts';
import { decodeFloor, payloadOf, realisticMessages } from './detector-workload.ts';

const median = (values: readonly number[]) => quantile(values, 0.5);

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

const silentLogger: DetectorLogger = {
  info: () => {},
  warn: () => {},
  error: () => {},
  withKeys: () => silentLogger,
};

async function warmInvocation(
  payload: { awslogs: { data: string } },
  runs: number,
  logContext: LogContextSource = { fetchAround: async () => [] },
) {
  const invoke = async () => {
    const handle = makeHandler({
      store: new MemoryIncidentStore(),
      queue: {
        enqueue: async (jobs: readonly RepairJob[]) => ({ sent: jobs.map((j) => j.incidentKey), failed: [] }),
      },
      logContext,
      resolveRepo: () => ({ owner: 'acme', name: 'shop', baseBranch: 'main', pathPrefix: '' }),
      logger: silentLogger,
      metrics: { count: () => {}, publish: () => {} },
    });
    return handle(payload);
  };
  const floor = () => decodeFloor(payload);
  let outcome: Awaited<ReturnType<typeof invoke>> | undefined;
  for (let i = 0; i < 3; i++) {
    outcome = await invoke();
    floor();
  }
  const handlerSamples: number[] = [];
  const floorSamples: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Each timed call follows an untimed one of its own side: each pays for its own garbage only.
    await invoke();
    let start = performance.now();
    await invoke();
    handlerSamples.push(performance.now() - start);
    floor();
    start = performance.now();
    floor();
    floorSamples.push(performance.now() - start);
  }
  const incidents = outcome?.kind === 'recorded' ? outcome.incidents.length : 0;
  const errors = outcome?.kind === 'recorded' ? outcome.errorsSeen : 0;
  return { handlerMs: median(handlerSamples), floorMs: median(floorSamples), incidents, errors };
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

  const events = 10_000;
  const mix = makeDataPayload(makeLogEvents(realisticMessages(events)));
  // An error storm: every event the same trace, with ordinary lines between as real streams have.
  const storm = makeDataPayload(
    makeLogEvents(
      Array.from({ length: events }, (_, i) => (i % 2 === 0 ? pythonTrace() : 'INFO request finished')),
    ),
  );
  // The context-fetch path: one in 20 delivered lines is a one-line `ERROR …Exception` head whose
  // frames stayed in the stream, read back through the real adapter over a stubbed SDK client.
  const heads = cutOffStream(events, { headEvery: 20 });
  const heavy = payloadOf(heads.delivered, heads.deliveredTimestamps);
  const rows: Record<string, Record<string, string>> = {};
  for (const [name, payload, logContext] of [
    ['realistic mix', mix, undefined],
    ['error storm (5,000 identical traces)', storm, undefined],
    ['heavy: 500 one-line ERROR heads, GetLogEvents', heavy, stubbedLogContext(heads.stream).logContext],
  ] as const) {
    const warm = await warmInvocation(payload, 9, logContext);
    rows[name] = {
      'errors / incidents': `${warm.errors} / ${warm.incidents}`,
      'handler median ms': warm.handlerMs.toFixed(2),
      'decode floor median ms': warm.floorMs.toFixed(2),
      'floor / handler (goal ≥ 0.5×)': `${(warm.floorMs / warm.handlerMs).toFixed(2)}×`,
    };
  }
  console.log(`warm invocation, ${events}-event payload, in-memory store and queue:`);
  console.table(rows);
}
