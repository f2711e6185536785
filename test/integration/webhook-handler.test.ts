import { createHash } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbBranchLinks } from '../../functions/adapters/dynamodb-branch-links.ts';
import { DynamoDbDeliveryLog } from '../../functions/adapters/dynamodb-delivery-log.ts';
import { DynamoDbIncidentStore } from '../../functions/adapters/dynamodb-incident-store.ts';
import { SqsJobQueue } from '../../functions/adapters/sqs-job-queue.ts';
import { RepairJobSchema } from '../../functions/core/contracts.ts';
import { signIncidentLink } from '../../functions/core/incident/incident-link.ts';
import { decideRecurrence } from '../../functions/core/incident/incident-rules.ts';
import { makeHandler } from '../../functions/webhook/handler.ts';
import { type DynaliteServer, startDynalite } from '../support/dynalite-server.ts';
import { type SqsStandIn, startSqsStandIn } from '../support/fauxqs-server.ts';
import {
  FIX_BRANCH,
  INCIDENT_KEY,
  LINK_SECRET,
  makeApiEvent,
  makeWebhookApiEvent,
  readWebhookFixture,
  seedIncident,
  WEBHOOK_SECRET,
} from '../support/webhook-requests.ts';

const TABLE = 'incidents';
const QUEUE = 'repair-jobs';
const BASE = 'https://abc123.execute-api.eu-west-1.amazonaws.com/';

let dynalite: DynaliteServer;
let sqs: SqsStandIn;
let handle: ReturnType<typeof makeHandler>;
let store: DynamoDbIncidentStore;

beforeAll(async () => {
  [dynalite, sqs] = await Promise.all([startDynalite(), startSqsStandIn()]);
  await dynalite.createIncidentsTable(TABLE);
  const client = dynalite.makeClient();
  store = new DynamoDbIncidentStore({ client, tableName: TABLE });
  await seedIncident(store);
  handle = makeHandler({
    webhook: {
      secret: async () => WEBHOOK_SECRET,
      deliveries: new DynamoDbDeliveryLog({ client, tableName: TABLE }),
      store,
      branchLinks: new DynamoDbBranchLinks({ client, tableName: TABLE }),
      queue: new SqsJobQueue({ client: sqs.makeClient(), queueUrl: sqs.createQueue(QUEUE) }),
    },
    page: { secret: async () => LINK_SECRET, store, flags: store, baseUrl: BASE },
    logger: { info: () => {}, warn: () => {}, error: () => {} },
  });
});

afterAll(async () => {
  await Promise.all([dynalite?.stop(), sqs?.stop()]);
});

const jobsOnQueue = () => sqs.peekBodies(QUEUE).map((body) => RepairJobSchema.parse(JSON.parse(body)));

async function deliver(event: string, fixture: Parameters<typeof readWebhookFixture>[0], deliveryId: string) {
  const started = performance.now();
  const response = (await handle(
    makeWebhookApiEvent({ event, body: readWebhookFixture(fixture), deliveryId }),
  )) as APIGatewayProxyStructuredResultV2;
  return { status: response.statusCode, ms: performance.now() - started };
}

describe('webhook handler on DynamoDB (dynalite) and SQS (fauxqs)', () => {
  it('refuses a bad signature with 401 and leaves table and queue alone', async () => {
    const response = await handle(
      makeWebhookApiEvent({
        event: 'issue_comment',
        body: readWebhookFixture('issue_comment.created'),
        secret: 'wrong',
        deliveryId: 'd-bad',
      }),
    );
    expect(response).toMatchObject({ statusCode: 401 });
    expect(jobsOnQueue()).toEqual([]);
    const { Item } = await dynalite
      .makeClient()
      .send(new GetItemCommand({ TableName: TABLE, Key: { incidentKey: { S: 'delivery#d-bad' } } }));
    expect(Item).toBeUndefined();
  });

  it('queues one revise job for a comment delivered twice, even concurrently', async () => {
    const results = await Promise.all([
      deliver('issue_comment', 'issue_comment.created', 'd-comment'),
      deliver('issue_comment', 'issue_comment.created', 'd-comment'),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 202]);
    expect((await deliver('issue_comment', 'issue_comment.created', 'd-comment')).status).toBe(200);
    // the same signed body under another delivery id: a replay, not a new comment
    expect((await deliver('issue_comment', 'issue_comment.created', 'd-replayed')).status).toBe(200);
    const jobs = jobsOnQueue();
    expect(jobs.map((j) => j.kind)).toEqual(['revise']);
    expect(jobs[0]?.incidentKey).toBe(INCIDENT_KEY);
    const bodyHash = createHash('sha256').update(readWebhookFixture('issue_comment.created')).digest('hex');
    const { Item } = await dynalite.makeClient().send(
      new GetItemCommand({
        TableName: TABLE,
        Key: { incidentKey: { S: `delivery#body-sha256:${bodyHash}` } },
      }),
    );
    expect(Number(Item?.ttl?.N)).toBeGreaterThan(Date.now() / 1000);
  });

  it('links the fix branch on the opened PR, then turns CI results and the merge into jobs, each well under 10 s', async () => {
    const timings = [
      await deliver('pull_request', 'pull_request.opened', 'd-opened'),
      await deliver('check_suite', 'check_suite.completed', 'd-suite'),
      await deliver('workflow_run', 'workflow_run.completed', 'd-run'),
      await deliver('pull_request', 'pull_request.closed-merged', 'd-merged'),
    ];
    expect(timings.map((t) => t.status)).toEqual([200, 202, 202, 202]);
    expect(jobsOnQueue().map((j) => j.kind)).toEqual(['revise', 'ci_passed', 'ci_failed', 'merged']);
    expect(jobsOnQueue()[1]?.pr?.branch).toBe(FIX_BRANCH);
    for (const { ms } of timings) expect(ms).toBeLessThan(2_000);
  });

  it('snoozes through the signed page on DynamoDB without changing the status; GET changes nothing', async () => {
    const link = new URL(
      signIncidentLink({
        baseUrl: BASE,
        incidentKey: INCIDENT_KEY,
        expiresAt: Date.now() + 60_000,
        secret: LINK_SECRET,
      }),
    );
    const key = link.pathname.split('/')[2] ?? '';
    const query = Object.fromEntries(link.searchParams);
    const before = await store.get(INCIDENT_KEY);
    const page = (await handle(
      makeApiEvent({
        routeKey: 'GET /incidents/{key}',
        method: 'GET',
        rawPath: link.pathname,
        pathParameters: { key },
        queryStringParameters: query,
      }),
    )) as APIGatewayProxyStructuredResultV2;
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('KeyError');
    expect(await store.get(INCIDENT_KEY)).toEqual(before);

    const posted = await handle(
      makeApiEvent({
        routeKey: 'POST /incidents/{key}/{action}',
        method: 'POST',
        rawPath: `${link.pathname}/snooze`,
        pathParameters: { key, action: 'snooze' },
        queryStringParameters: query,
      }),
    );
    expect(posted).toMatchObject({ statusCode: 303 });
    const after = await store.get(INCIDENT_KEY);
    expect(after?.status).toBe(before?.status);
    expect(after?.snoozedUntil).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    expect(decideRecurrence('resolved', { snoozedUntil: after?.snoozedUntil })).toEqual({
      kind: 'count_only',
    });
    expect(await store.setFlags({ incidentKey: 'acme/shop#nope', flags: { ignored: true } })).toBe(false);
    expect(await store.get('acme/shop#nope')).toBeUndefined();
  });
});
