import { MemoryIncidentStore } from '../../functions/adapters/memory-incident-store.ts';
import type { LogEvent, RepairJob } from '../../functions/core/contracts.ts';
import { recordErrors } from '../../functions/core/detect/record-errors.ts';
import type { LogContextSource } from '../../functions/core/ports/log-context-source.ts';
import { makeEvents, passesDefaultFilter } from './log-events.ts';
import { makeDataPayload } from './payloads.ts';

/**
 * A stream as the default subscription filter delivers it, one line per event, through the
 * detector's whole use case: the lines the filter passes in one delivery, the rest of the stream
 * read back as GetLogEvents answers around an event (ids of the reader's own), an in-memory store
 * and queue. What a deployed detector would queue, and how many reads it made.
 */
export async function deliverThroughDefaultFilter(
  lines: readonly string[],
  {
    logGroup = '/ecs/orders',
    logStream = 'orders/app/4f1c2b',
    timestamps,
  }: {
    logGroup?: string;
    logStream?: string;
    /** each line's, when not 1 ms after the one before */
    timestamps?: readonly number[];
  } = {},
): Promise<{ delivered: LogEvent[]; jobs: RepairJob[]; reads: number }> {
  const stream = makeEvents(lines, { logGroup, logStream }).map((e, i) =>
    timestamps?.[i] === undefined ? e : { ...e, timestamp: timestamps[i] as number },
  );
  const delivered = stream.filter((e) => passesDefaultFilter(e.message));
  let reads = 0;
  const logContext: LogContextSource = {
    fetchAround: async ({ timestamp }) => {
      reads += 1;
      return stream
        .filter((e) => Math.abs(e.timestamp - timestamp) <= 60_000)
        .map((e, i) => ({ ...e, id: `read-${i}` }));
    },
  };
  const jobs: RepairJob[] = [];
  const outcome = await recordErrors(
    {
      event: makeDataPayload(
        delivered.map(({ id, timestamp, message }) => ({ id, timestamp, message })),
        { logGroup, logStream },
      ),
    },
    {
      store: new MemoryIncidentStore(),
      queue: {
        enqueue: async (sent: readonly RepairJob[]) => {
          jobs.push(...sent);
          return { sent: sent.map((j) => j.incidentKey), failed: [] };
        },
      },
      logContext,
      resolveRepo: () => ({ owner: 'acme', name: 'orders', baseBranch: 'main', pathPrefix: '' }),
    },
  );
  if (outcome.kind !== 'recorded') throw new Error(`expected a recorded delivery, got ${outcome.kind}`);
  return { delivered, jobs, reads };
}
