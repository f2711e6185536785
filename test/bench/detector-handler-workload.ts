// The detector Lambda's warm invocation, bundled as deployed (detector-handler.bench.ts runs it
// through bundled-workload.ts): a 10,000-event payload through makeHandler with in-memory store
// and queue, against the decode floor (base64 + gunzip + JSON.parse) of the same payload,
// measured in the same run.
import { MemoryIncidentStore } from '../../functions/adapters/memory-incident-store.ts';
import type { RepairJob } from '../../functions/core/contracts.ts';
import type { LogContextSource } from '../../functions/core/ports/log-context-source.ts';
import { makeHandler } from '../../functions/detector/handler.ts';
import type { DetectorLogger } from '../../functions/detector/telemetry.ts';
import { makeDataPayload, makeLogEvents, pythonTrace } from '../support/payloads.ts';
import { cutOffStream, stubbedLogContext } from './cut-off-stream.ts';
import { decodeFloor, payloadOf, realisticMessages, timePairAsync } from './detector-workload.ts';

const silentLogger: DetectorLogger = {
  info: () => {},
  warn: () => {},
  error: () => {},
  withKeys: () => silentLogger,
};

async function warmInvocation(
  payload: { awslogs: { data: string } },
  runs: number,
  // As the deployed adapter: it reads around a cut-off trace and behind a delivery's first record
  // (an exit, a runtime's report) when its incident is new, as every incident is in a fresh store.
  logContext: LogContextSource = { fetchAround: async () => [], fetchBefore: async () => [] },
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
  const outcome = await invoke();
  // floor first: the ratio is floor / handler, the goal's way round
  const timed = await timePairAsync(() => decodeFloor(payload), invoke, runs);
  return {
    handlerMs: timed.b,
    floorMs: timed.a,
    ratio: timed.ratio,
    incidents: outcome.kind === 'recorded' ? outcome.incidents.length : 0,
    errors: outcome.kind === 'recorded' ? outcome.errorsSeen : 0,
  };
}

/** Prints the warm invocation table: realistic mix, error storm, heavy context-fetch payload. */
export async function measureWarmHandler(): Promise<void> {
  const events = 10_000;
  const runs = 21;
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
    const warm = await warmInvocation(payload, runs, logContext);
    rows[name] = {
      'errors / incidents': `${warm.errors} / ${warm.incidents}`,
      'handler median ms': warm.handlerMs.toFixed(2),
      'decode floor median ms': warm.floorMs.toFixed(2),
      'floor / handler (goal ≥ 0.5×)': `${warm.ratio.toFixed(2)}×`,
    };
  }
  console.log(
    `warm invocation on Node.js ${process.version}, ${events}-event payload, in-memory store and queue (median of ${runs} rounds, ratio: median of per-round ratios):`,
  );
  console.table(rows);
}
