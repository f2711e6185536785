import { describe, expect, it } from 'vitest';
import { MemoryIncidentStore } from '../../functions/adapters/memory-incident-store.ts';
import type { RepairJob } from '../../functions/core/contracts.ts';
import { signIncidentLink } from '../../functions/core/incident/incident-link.ts';
import { serveIncidentPage } from '../../functions/core/incident/serve-incident-page.ts';
import type { JobQueue } from '../../functions/core/ports/job-queue.ts';

/** A queue that keeps what it is sent, or refuses everything. */
function queue({ refuse = false } = {}): JobQueue & { jobs: RepairJob[] } {
  const jobs: RepairJob[] = [];
  return {
    jobs,
    enqueue: async (sent) => {
      if (refuse)
        return {
          sent: [],
          failed: sent.map((j) => ({ incidentKey: j.incidentKey, code: 'x', message: 'no' })),
        };
      jobs.push(...sent);
      return { sent: sent.map((j) => j.incidentKey), failed: [] };
    },
  };
}

const BASE = 'https://ai-ops.example/incidents';
const SECRET = 'link-secret-for-tests';
const KEY = 'acme/shop#0123456789abcdef';

async function seeded(status: 'no_fix' | 'pr_open') {
  const store = new MemoryIncidentStore();
  await store.recordOccurrence({
    incidentKey: KEY,
    repo: { owner: 'acme', name: 'shop', baseBranch: 'main', pathPrefix: '' },
    fingerprint: '0123456789abcdef',
    count: 1,
    firstSeen: 1,
    lastSeen: 1,
    sample: {
      language: 'python',
      exceptionType: 'KeyError',
      message: "'sku'",
      frames: [],
      causes: [],
      raw: "KeyError: 'sku'",
      logGroup: 'g',
      logStream: 's',
      timestamp: 1,
      eventIds: ['e'],
    },
    ttl: 1,
    batchId: 'b',
  });
  await store.transition({ incidentKey: KEY, from: 'new', to: 'analyzing' });
  await store.transition({
    incidentKey: KEY,
    from: 'analyzing',
    to: status,
    set: { lastError: 'no safe fix' },
  });
  return store;
}

function request(method: string, action?: string) {
  const link = new URL(
    signIncidentLink({ baseUrl: BASE, incidentKey: KEY, expiresAt: Date.now() + 60_000, secret: SECRET }),
  );
  return {
    method,
    keySegment: link.pathname.split('/').at(-1) ?? '',
    ...(action ? { action } : {}),
    query: Object.fromEntries(link.searchParams),
  };
}

describe('the incident page\'s "Try again"', () => {
  it('shows the button for a no_fix incident; its signed POST sends the incident back to new', async () => {
    const store = await seeded('no_fix');
    const deps = { secret: async () => SECRET, store, flags: store, baseUrl: BASE };

    const page = await serveIncidentPage(request('GET'), deps);
    expect(page.kind === 'page' && page.html).toContain('Try again');
    expect((await store.get(KEY))?.status).toBe('no_fix');

    const posted = await serveIncidentPage(request('POST', 'retry'), deps);
    expect(posted).toMatchObject({ kind: 'redirect', location: expect.stringContaining('done=retry') });
    expect(await store.get(KEY)).toMatchObject({ status: 'new' });
    expect((await store.get(KEY))?.lastError).toBeUndefined();
  });

  it('offers no button, and changes nothing, while the PR is open; an unsigned POST is refused', async () => {
    const store = await seeded('pr_open');
    const deps = { secret: async () => SECRET, store, flags: store, baseUrl: BASE };
    const page = await serveIncidentPage(request('GET'), deps);
    expect(page.kind === 'page' && page.html).not.toContain('Try again');
    await serveIncidentPage(request('POST', 'retry'), deps);
    expect((await store.get(KEY))?.status).toBe('pr_open');

    const forged = { ...request('POST', 'retry'), query: { exp: '9999999999', sig: 'forged' } };
    expect((await serveIncidentPage(forged, deps)).kind).toBe('refused');
  });

  it('queues the repair at once when the page has the repair queue (the cloud), not at the next sweep', async () => {
    const store = await seeded('no_fix');
    const jobs = queue();
    const deps = { secret: async () => SECRET, store, flags: store, baseUrl: BASE, queue: jobs };

    const posted = await serveIncidentPage(request('POST', 'retry'), deps);

    expect(await store.get(KEY)).toMatchObject({ status: 'queued', lease: { owner: 'sqs' } });
    expect(jobs.jobs).toEqual([expect.objectContaining({ kind: 'repair', incidentKey: KEY, attempt: 0 })]);
    const location = posted.kind === 'redirect' ? posted.location : '';
    const back = await serveIncidentPage(
      { ...request('GET'), query: Object.fromEntries(new URL(location).searchParams) },
      deps,
    );
    expect(back.kind === 'page' && back.html).toContain('Queued for another attempt.');

    // A second POST (a double click) finds it queued and sends nothing more.
    await serveIncidentPage(request('POST', 'retry'), deps);
    expect(jobs.jobs).toHaveLength(1);
  });

  it('leaves the incident in new for the sweep, and says so, when the queue refuses the job', async () => {
    const store = await seeded('no_fix');
    const deps = {
      secret: async () => SECRET,
      store,
      flags: store,
      baseUrl: BASE,
      queue: queue({ refuse: true }),
    };

    const posted = await serveIncidentPage(request('POST', 'retry'), deps);

    expect(await store.get(KEY)).toMatchObject({ status: 'new' });
    expect((await store.get(KEY))?.lease).toBeUndefined();
    expect(posted.kind === 'redirect' && posted.location).toContain('done=retry_later');
  });
});
