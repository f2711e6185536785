import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { ErrorRecord, Incident, RepairJob } from '../../functions/core/contracts.ts';
import type { IncidentStore } from '../../functions/core/ports/incident-store.ts';
import type { EnqueueResult, JobQueue } from '../../functions/core/ports/job-queue.ts';
import { signWebhookBody } from '../../functions/core/webhook/webhook-signature.ts';

/** The fixtures' PR (test/fixtures/github-webhooks) belongs to this incident. */
export const FINGERPRINT = '0123456789abcdef0123456789abcdef';
export const INCIDENT_KEY = `acme/shop#${FINGERPRINT}`;
export const FIX_BRANCH = 'fix/keyerror-get-user-01234567';
export const PR_NUMBER = 2;
export const PR_URL = 'https://github.com/acme/shop/pull/2';
// Obviously fake, built so no scanner takes them for real secrets.
export const WEBHOOK_SECRET = ['fake', 'webhook', 'secret', 'for', 'tests'].join('-');
export const LINK_SECRET = ['fake', 'link', 'signing', 'key'].join('-');

export type WebhookFixture =
  | 'ping'
  | 'check_suite.completed'
  | 'workflow_run.completed'
  | 'issue_comment.created'
  | 'pull_request_review_comment.created'
  | 'pull_request.closed-merged'
  | 'pull_request.opened';

/** The fixture's exact bytes, as GitHub would send them. */
export function readWebhookFixture(name: WebhookFixture): string {
  return readFileSync(new URL(`../fixtures/github-webhooks/${name}.json`, import.meta.url), 'utf8');
}

/** The fixture with fields replaced (`['comment.user.type', 'Bot']`), serialised again. */
export function editWebhookFixture(
  name: WebhookFixture,
  edits: ReadonlyArray<readonly [path: string, value: unknown]>,
): string {
  const payload: unknown = JSON.parse(readWebhookFixture(name));
  for (const [path, value] of edits) {
    const keys = path.split('.');
    const last = keys.pop() ?? '';
    let node = payload;
    for (const key of keys) node = isObject(node) ? node[key] : undefined;
    if (!isObject(node)) throw new Error(`${name}: no object at ${path}`);
    node[last] = value;
  }
  return JSON.stringify(payload, null, 2);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export function eventNameOf(fixture: WebhookFixture): string {
  return fixture.split('.')[0] ?? fixture;
}

export function makeErrorRecord(overrides: Partial<ErrorRecord> = {}): ErrorRecord {
  return {
    language: 'python',
    exceptionType: 'KeyError',
    message: "'user-42'",
    frames: [{ file: 'app/users.py', line: 13, function: 'get_user', inApp: true }],
    causes: [],
    raw: 'Traceback (most recent call last):\n  File "app/users.py", line 13, in get_user\n    return cache[user_id]\nKeyError: \'user-42\'',
    logGroup: '/aws/lambda/shop-api',
    logStream: '2024/05/01/[$LATEST]abc',
    timestamp: 1_714_550_400_000,
    eventIds: ['e1'],
    ...overrides,
  };
}

/**
 * Puts the fixtures' incident into a store as the analyzer leaves it after opening the PR
 * (`pr_open`, PR number, URL and branch recorded), unless `recordPr` is false (just created).
 */
export async function seedIncident(
  store: IncidentStore,
  { recordPr = true, incidentKey = INCIDENT_KEY, fingerprint = FINGERPRINT } = {},
): Promise<void> {
  await store.recordOccurrence({
    incidentKey,
    repo: { owner: 'acme', name: 'shop', baseBranch: 'main', pathPrefix: '' },
    fingerprint,
    count: 3,
    firstSeen: 1_714_550_400_000,
    lastSeen: 1_714_553_000_000,
    sample: makeErrorRecord(),
    ttl: 1_800_000_000,
    batchId: 'b1',
  });
  if (!recordPr) return;
  await store.transition({ incidentKey, from: 'new', to: 'analyzing', set: { attempts: 1 } });
  await store.transition({
    incidentKey,
    from: 'analyzing',
    to: 'pr_open',
    set: { prNumber: PR_NUMBER, prUrl: PR_URL, branch: FIX_BRANCH, costUsd: 0.42 },
  });
}

export type IncidentOverrides = Partial<Incident>;

/** A JobQueue fake that keeps what it was given and refuses what it is told to. */
export class FakeQueue implements JobQueue {
  readonly jobs: RepairJob[] = [];
  refuseAll = false;
  async enqueue(jobs: readonly RepairJob[]): Promise<EnqueueResult> {
    if (this.refuseAll) {
      return {
        sent: [],
        failed: jobs.map((j) => ({ incidentKey: j.incidentKey, code: 'InternalError', message: 'down' })),
      };
    }
    this.jobs.push(...jobs);
    return { sent: jobs.map((j) => j.incidentKey), failed: [] };
  }
}

/** An HTTP API (payload v2) request for `POST /webhook`, signed unless told otherwise. */
export function makeWebhookApiEvent({
  event,
  body,
  secret = WEBHOOK_SECRET,
  deliveryId = randomUUID(),
  base64 = false,
  headers,
}: {
  event: string;
  body: string;
  secret?: string;
  deliveryId?: string;
  base64?: boolean;
  /** replaces the signature headers (and anything else) */
  headers?: Record<string, string | undefined>;
}): APIGatewayProxyEventV2 {
  return makeApiEvent({
    routeKey: 'POST /webhook',
    method: 'POST',
    rawPath: '/webhook',
    body: base64 ? Buffer.from(body, 'utf8').toString('base64') : body,
    isBase64Encoded: base64,
    headers: {
      // API Gateway HTTP APIs lower-case header names.
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/4a1f3c2',
      'x-github-event': event,
      'x-github-delivery': deliveryId,
      'x-github-hook-id': '109948940',
      'x-hub-signature-256': signWebhookBody({ body, secret }),
      ...headers,
    },
  });
}

export function makeApiEvent({
  routeKey,
  method,
  rawPath,
  body,
  isBase64Encoded = false,
  headers = {},
  pathParameters,
  queryStringParameters,
}: {
  routeKey: string;
  method: string;
  rawPath: string;
  body?: string;
  isBase64Encoded?: boolean;
  headers?: Record<string, string | undefined>;
  pathParameters?: Record<string, string>;
  queryStringParameters?: Record<string, string>;
}): APIGatewayProxyEventV2 {
  const definedHeaders = Object.fromEntries(
    Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: new URLSearchParams(queryStringParameters ?? {}).toString(),
    headers: definedHeaders,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    ...(pathParameters ? { pathParameters } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'test' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: '01/May/2024:08:00:00 +0000',
      timeEpoch: 1_714_550_400_000,
    },
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded,
  };
}
