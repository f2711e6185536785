// The queue lease: an incident moves `new → queued` with a lease before its repair job is sent,
// so two senders (the detector, the sweep, the incident page, `ai-ops watch`) never both send
// it, and a job the queue refused is handed back to `new` for the next one.
import type { Incident } from '../contracts.ts';
import type { IncidentStore } from '../ports/incident-store.ts';
import type { JobQueue } from '../ports/job-queue.ts';

/** How long a job handed to the queue may stay unclaimed before the sweep sends it again. */
export const DEFAULT_QUEUE_LEASE_MS = 30 * 60 * 1000;

/** Hands a `queued` incident whose job the queue refused back to `new` (its lease, exactly). */
export async function releaseQueueLease({
  store,
  incidentKey,
  lease,
}: {
  store: Pick<IncidentStore, 'transition'>;
  incidentKey: string;
  lease: NonNullable<Incident['lease']>;
}): Promise<boolean> {
  return store.transition({
    incidentKey,
    from: 'queued',
    to: 'new',
    expectLease: lease,
    set: { lease: undefined },
  });
}

/**
 * `new → queued` with a queue lease, then one `repair` job. False when another sender took it
 * first, or when the queue refused or failed the send (the incident is handed back to `new`).
 */
export async function enqueueRepair(
  incident: Incident,
  deps: { store: Pick<IncidentStore, 'transition'>; queue: JobQueue; now?: () => number },
): Promise<boolean> {
  const now = deps.now ?? Date.now;
  const lease = { owner: 'sqs', until: now() + DEFAULT_QUEUE_LEASE_MS };
  const incidentKey = incident.incidentKey;
  if (!(await deps.store.transition({ incidentKey, from: 'new', to: 'queued', set: { lease } })))
    return false;
  const sent = await deps.queue
    .enqueue([{ v: 1, kind: 'repair', incidentKey, error: incident.sample, repo: incident.repo, attempt: 0 }])
    .then(
      ({ sent }) => sent.includes(incidentKey),
      () => false,
    );
  if (!sent) await releaseQueueLease({ store: deps.store, incidentKey, lease });
  return sent;
}
