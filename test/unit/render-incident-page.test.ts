import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryBranchLinks } from '../../functions/adapters/memory-branch-links.ts';
import { MemoryDeliveryLog } from '../../functions/adapters/memory-delivery-log.ts';
import { MemoryIncidentStore } from '../../functions/adapters/memory-incident-store.ts';
import type { Incident } from '../../functions/core/contracts.ts';
import { signIncidentLink } from '../../functions/core/incident/incident-link.ts';
import { decideRecurrence } from '../../functions/core/incident/incident-rules.ts';
import {
  renderIncidentPage,
  renderLinkRefusedPage,
} from '../../functions/core/incident/render-incident-page.ts';
import { SNOOZE_MS } from '../../functions/core/incident/serve-incident-page.ts';
import { makeHandler } from '../../functions/webhook/handler.ts';
import {
  FakeQueue,
  INCIDENT_KEY,
  LINK_SECRET,
  makeApiEvent,
  makeErrorRecord,
  PR_URL,
  seedIncident,
  WEBHOOK_SECRET,
} from '../support/webhook-requests.ts';

const BASE = 'https://abc123.execute-api.eu-west-1.amazonaws.com/';
const NOW = 1_714_600_000_000;

function makeIncident(overrides: Partial<Incident> = {}): Incident {
  return {
    incidentKey: INCIDENT_KEY,
    repo: { owner: 'acme', name: 'shop', baseBranch: 'main', pathPrefix: '' },
    fingerprint: '0123456789abcdef0123456789abcdef',
    status: 'pr_open',
    count: 1234,
    firstSeen: NOW - 2 * 86_400_000,
    lastSeen: NOW - 3_600_000,
    sample: makeErrorRecord(),
    prUrl: PR_URL,
    prNumber: 2,
    branch: 'fix/keyerror-get-user-01234567',
    attempts: 1,
    costUsd: 0.4213,
    ttl: 1_800_000_000,
    analysis: {
      title: 'Return None for unknown users',
      rootCause: 'The cache raises KeyError for ids it has not seen.',
      explanation: 'Use dict.get so a cache miss falls through to the database.',
      confidence: 'high',
      changes: [{ path: 'app/users.py', additions: 1, deletions: 1 }],
      model: 'claude-sonnet-4-6',
      notes: '',
    },
    ci: { headSha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821', conclusion: 'success', at: NOW - 600_000 },
    ...overrides,
  };
}

const actions = {
  snooze: `${BASE}incidents/k/snooze?exp=1&sig=s`,
  ignore: `${BASE}incidents/k/ignore?exp=1&sig=s`,
};

describe('renderIncidentPage', () => {
  it('shows the error, occurrences, analysis, PR, CI state, cost and both forms', () => {
    const html = renderIncidentPage({ incident: makeIncident(), actions, now: NOW });
    expect(html).toContain('<h1>KeyError: &#39;user-42&#39;</h1>');
    expect(html).toContain('1,234');
    expect(html).toContain('First seen</td><td>2024-04-29 21:46 UTC');
    expect(html).toContain('Return None for unknown users');
    expect(html).toContain('The cache raises KeyError');
    expect(html).toContain(`<a href="${PR_URL}" rel="noreferrer noopener">Pull request #2</a>`);
    expect(html).toContain('success on ec26c3e');
    expect(html).toContain('$0.42');
    expect(html).toContain('File &quot;app/users.py&quot;, line 13');
    expect(html).toContain(`<form method="post" action="${actions.snooze.replaceAll('&', '&amp;')}">`);
    expect(html).toContain(`<form method="post" action="${actions.ignore.replaceAll('&', '&amp;')}">`);
  });

  it('escapes what came from logs and the model, and links only web URLs', () => {
    const html = renderIncidentPage({
      incident: makeIncident({
        sample: makeErrorRecord({
          message: '<script>alert(1)</script>',
          raw: '<img src=x onerror=alert(1)>',
        }),
        prUrl: 'javascript:alert(1)',
      }),
      actions,
      now: NOW,
    });
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('href="javascript:');
  });

  it('shows a running snooze and the ignore mark, but not a snooze that has passed', () => {
    const snoozed = renderIncidentPage({
      incident: makeIncident({ snoozedUntil: NOW + 1000, ignored: true }),
      actions,
      now: NOW,
    });
    expect(snoozed).toContain('snoozed until');
    expect(snoozed).toContain('>ignored<');
    const over = renderIncidentPage({
      incident: makeIncident({ snoozedUntil: NOW - 1000 }),
      actions,
      now: NOW,
    });
    expect(over).not.toContain('snoozed until');
  });

  it('says when there is no analysis or PR yet', () => {
    const { analysis: _a, prUrl: _p, prNumber: _n, ci: _c, ...bare } = makeIncident({ status: 'queued' });
    const html = renderIncidentPage({ incident: bare, actions, now: NOW });
    expect(html).toContain('Claude has not analysed this error yet.');
    expect(html).toContain('No pull request (yet).');
  });

  it('explains an expired and a tampered link plainly', () => {
    expect(renderLinkRefusedPage({ reason: 'expired' })).toContain('This incident link has expired.');
    expect(renderLinkRefusedPage({ reason: 'tampered' })).toContain('is not valid');
  });
});

describe('the incident page behind the handler', () => {
  let store: MemoryIncidentStore;
  let clock: number;
  let handle: ReturnType<typeof makeHandler>;

  beforeEach(async () => {
    store = new MemoryIncidentStore();
    await seedIncident(store);
    clock = NOW;
    handle = makeHandler({
      webhook: {
        secret: async () => WEBHOOK_SECRET,
        deliveries: new MemoryDeliveryLog(),
        store,
        branchLinks: new MemoryBranchLinks(),
        queue: new FakeQueue(),
      },
      page: { secret: async () => LINK_SECRET, store, flags: store, baseUrl: BASE, now: () => clock },
      logger: { info: () => {}, warn: () => {}, error: () => {} },
    });
  });

  function request(url: string, { method = 'GET', action }: { method?: string; action?: string } = {}) {
    const parsed = new URL(url);
    const [, , key = ''] = parsed.pathname.split('/');
    return handle(
      makeApiEvent({
        routeKey: action ? 'POST /incidents/{key}/{action}' : 'GET /incidents/{key}',
        method,
        rawPath: parsed.pathname + (action ? `/${action}` : ''),
        pathParameters: action ? { key, action } : { key },
        queryStringParameters: Object.fromEntries(parsed.searchParams),
      }),
    ) as Promise<APIGatewayProxyStructuredResultV2>;
  }

  const link = (expiresAt = NOW + 86_400_000) =>
    signIncidentLink({ baseUrl: BASE, incidentKey: INCIDENT_KEY, expiresAt, secret: LINK_SECRET });

  it('renders the incident for a valid link, with headers that keep the link private', async () => {
    const before = await store.get(INCIDENT_KEY);
    const response = await request(link());
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
    expect(response.body).toContain('KeyError');
    expect(response.body).toContain('Count</td><td>3</td>');
    expect(response.body).toContain('/snooze?exp=');
    // GET never changes anything: mail scanners fetch every link in a message.
    expect(await store.get(INCIDENT_KEY)).toEqual(before);
  });

  it('answers 403 to an expired link and to a tampered one, changing nothing', async () => {
    const before = await store.get(INCIDENT_KEY);
    const expired = await request(link(NOW - 1000));
    expect(expired.statusCode).toBe(403);
    expect(expired.body).toContain('expired');
    const tampered = new URL(link());
    tampered.searchParams.set('exp', String(Number(tampered.searchParams.get('exp')) + 3600));
    const refused = await request(tampered.toString());
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('not valid');
    const forged = await request(link().replace(/\/incidents\/[^?]+/, '/incidents/b3RoZXIvcmVwbyNmZmZm'));
    expect(forged.statusCode).toBe(403);
    expect(await store.get(INCIDENT_KEY)).toEqual(before);
  });

  it('refuses a POST with a tampered signature and changes nothing', async () => {
    const tampered = new URL(link());
    tampered.searchParams.set('sig', 'A'.repeat(43));
    expect((await request(tampered.toString(), { method: 'POST', action: 'snooze' })).statusCode).toBe(403);
    expect((await store.get(INCIDENT_KEY))?.snoozedUntil).toBeUndefined();
  });

  it('snoozes for 7 days on POST, redirects 303 to the page, and the detector then only counts', async () => {
    const response = await request(link(), { method: 'POST', action: 'snooze' });
    expect(response.statusCode).toBe(303);
    const location = String(response.headers?.location);
    expect(location).toContain('done=snooze');
    const incident = await store.get(INCIDENT_KEY);
    expect(incident?.snoozedUntil).toBe(NOW + SNOOZE_MS);
    expect(incident?.status).toBe('pr_open');
    // An incident the detector would otherwise reopen: resolved.
    const options = { snoozedUntil: incident?.snoozedUntil, ignored: incident?.ignored };
    expect(decideRecurrence('resolved', { ...options, now: NOW + 1000 })).toEqual({ kind: 'count_only' });
    expect(decideRecurrence('new', { ...options, now: NOW + 1000 })).toEqual({ kind: 'count_only' });
    // After the snooze, the error is worked on again.
    expect(decideRecurrence('resolved', { ...options, now: NOW + SNOOZE_MS })).toEqual({
      kind: 'enqueue',
      reopenFrom: 'resolved',
    });
    const page = await request(location);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Snoozed for 7 days.');
  });

  it('ignores on POST, and the detector then never enqueues for that fingerprint', async () => {
    expect((await request(link(), { method: 'POST', action: 'ignore' })).statusCode).toBe(303);
    const incident = await store.get(INCIDENT_KEY);
    expect(incident?.ignored).toBe(true);
    for (const status of ['new', 'resolved', 'skipped'] as const) {
      expect(decideRecurrence(status, { ignored: incident?.ignored, retryAfter: 0, now: NOW })).toEqual({
        kind: 'count_only',
      });
    }
  });

  it('answers 404 to an unknown action and to a valid link whose incident is gone', async () => {
    expect((await request(link(), { method: 'POST', action: 'delete' })).statusCode).toBe(404);
    const gone = signIncidentLink({
      baseUrl: BASE,
      incidentKey: 'acme/shop#ffff',
      expiresAt: NOW + 1000,
      secret: LINK_SECRET,
    });
    expect((await request(gone)).statusCode).toBe(404);
    expect((await request(gone, { method: 'POST', action: 'ignore' })).statusCode).toBe(404);
  });
});
