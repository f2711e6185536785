// The detector Lambda end to end. (a) Cold start: the esbuild bundle of the handler (the infra's
// options) imported in fresh node processes, against a bundle of only its three SDK clients —
// what the handler adds on top of the SDK it cannot do without. (b) Warm invocation of a
// 10,000-event payload through makeHandler with in-memory store and queue, against the decode
// floor (base64 + gunzip + JSON.parse) of the same payload, measured in the same run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { type BuildOptions, build } from 'esbuild';
import { MemoryIncidentStore } from '../../functions/adapters/memory-incident-store.ts';
import type { RepairJob } from '../../functions/core/contracts.ts';
import type { LogContextSource } from '../../functions/core/ports/log-context-source.ts';
import { makeHandler } from '../../functions/detector/handler.ts';
import type { DetectorLogger } from '../../functions/detector/telemetry.ts';
import { makeDataPayload, makeLogEvents, pythonTrace } from '../support/payloads.ts';
import { cutOffStream, stubbedLogContext } from './cut-off-stream.ts';
import { payloadOf, realisticMessages } from './detector-workload.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// The same options as infra/ai-ops-function.ts (NodejsFunction bundling).
const ESM_REQUIRE_BANNER =
  "import { createRequire as __aiOpsCreateRequire } from 'node:module'; const require = __aiOpsCreateRequire(import.meta.url);";
const BUILD_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  minify: true,
  mainFields: ['module', 'main'],
  banner: { js: ESM_REQUIRE_BANNER },
  logLevel: 'error',
};

const SDK_ONLY = `
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
export const clients = [new DynamoDBClient({ maxAttempts: 6 }), new SQSClient({ maxAttempts: 6 }), new CloudWatchLogsClient({ maxAttempts: 3 })];
`;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** ms to import() the module in a fresh node process (process start excluded). */
function importTimeMs(file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(performance.now() - t);`;
  return Number(
    execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      // the SDK's Node-version notice on stderr is noise here
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim(),
  );
}

async function coldStart(runs: number) {
  const dir = mkdtempSync(join(tmpdir(), 'ai-ops-detector-bench-'));
  try {
    const handlerFile = join(dir, 'handler.mjs');
    const sdkFile = join(dir, 'sdk-only.mjs');
    await build({
      ...BUILD_OPTIONS,
      entryPoints: [join(ROOT, 'functions/detector/handler.ts')],
      outfile: handlerFile,
    });
    await build({
      ...BUILD_OPTIONS,
      stdin: { contents: SDK_ONLY, resolveDir: ROOT, loader: 'ts' },
      outfile: sdkFile,
    });
    const handler: number[] = [];
    const sdk: number[] = [];
    // Interleaved, so machine noise hits both alike.
    for (let i = 0; i < runs; i++) {
      handler.push(importTimeMs(handlerFile));
      sdk.push(importTimeMs(sdkFile));
    }
    return {
      handlerMs: median(handler),
      sdkMs: median(sdk),
      handlerKb: statSync(handlerFile).size / 1024,
      sdkKb: statSync(sdkFile).size / 1024,
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
  const floor = () => JSON.parse(gunzipSync(Buffer.from(payload.awslogs.data, 'base64')).toString('utf8'));
  let outcome: Awaited<ReturnType<typeof invoke>> | undefined;
  for (let i = 0; i < 3; i++) {
    outcome = await invoke();
    floor();
  }
  const handlerSamples: number[] = [];
  const floorSamples: number[] = [];
  for (let i = 0; i < runs; i++) {
    let start = performance.now();
    await invoke();
    handlerSamples.push(performance.now() - start);
    start = performance.now();
    floor();
    floorSamples.push(performance.now() - start);
  }
  const incidents = outcome?.kind === 'recorded' ? outcome.incidents.length : 0;
  const errors = outcome?.kind === 'recorded' ? outcome.errorsSeen : 0;
  return { handlerMs: median(handlerSamples), floorMs: median(floorSamples), incidents, errors };
}

export default async function run(): Promise<void> {
  const cold = await coldStart(7);
  console.log(
    `bundle: handler ${cold.handlerKb.toFixed(0)} KB, SDK clients only ${cold.sdkKb.toFixed(0)} KB (ESM, node22, minified)`,
  );
  console.table({
    'import handler bundle': { 'median ms': cold.handlerMs.toFixed(1) },
    'import SDK-clients-only bundle': { 'median ms': cold.sdkMs.toFixed(1) },
  });
  console.log(`cold-start import ratio handler / SDK only: ${(cold.handlerMs / cold.sdkMs).toFixed(2)}×`);

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
