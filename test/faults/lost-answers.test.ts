// A conditional write that DynamoDB applied but whose answer never reached the client (a reset
// or a timed-out connection after the server acted), injected on the wire: the SDK retries it,
// and the retry fails its own condition, because the first attempt already made the change. That
// must read as "done", not as "someone else got there first": a claim the analyzer itself took,
// or a webhook delivery recorded by this very call, would otherwise be dropped.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClientOptions } from '../../functions/adapters/aws-client-options.ts';
import { DynamoDbDeliveryLog } from '../../functions/adapters/dynamodb-delivery-log.ts';
import { DynamoDbIncidentStore } from '../../functions/adapters/dynamodb-incident-store.ts';
import { type DynaliteServer, startDynalite } from '../support/dynalite-server.ts';
import { makeErrorRecord } from '../support/follow-up-fakes.ts';
import { type StallingProxy, startStallingProxy } from '../support/stalling-proxy.ts';

const REPO = { owner: 'acme', name: 'shop', baseBranch: 'main', pathPrefix: '' };
const proxies: StallingProxy[] = [];
let dynalite: DynaliteServer;

beforeAll(async () => {
  dynalite = await startDynalite();
});

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await dynalite?.stop();
});

/** A table behind a proxy that loses the answer to the first request `loses` picks. */
async function tableLosing(loses: (request: string) => boolean) {
  const tableName = `incidents-${randomUUID()}`;
  await dynalite.createIncidentsTable(tableName);
  const proxy = await startStallingProxy({
    target: Number(new URL(dynalite.endpoint).port),
    loseAnswerTo: loses,
  });
  proxies.push(proxy);
  // as deployed (3 attempts), with a shorter attempt timeout so the test does not wait 5 s
  const client = dynalite.makeClient({
    endpoint: proxy.endpoint,
    ...awsClientOptions({ maxAttempts: 3, timeoutMs: 400 }),
  });
  const direct = dynalite.makeClient();
  return { tableName, proxy, client, direct };
}

const isTransition = (request: string) =>
  request.includes('DynamoDB_20120810.UpdateItem') && request.includes('#status = :from');

describe('conditional writes whose answer was lost', () => {
  it('a transition that applied is reported as done after the retry fails its condition', async () => {
    const { tableName, proxy, client, direct } = await tableLosing(isTransition);
    const store = new DynamoDbIncidentStore({ client, tableName });
    const incidentKey = `k-${randomUUID()}`;
    await store.recordOccurrence({
      incidentKey,
      repo: REPO,
      fingerprint: 'fp-1',
      batchId: 'b-1',
      sample: makeErrorRecord(),
      firstSeen: 1,
      lastSeen: 1,
      count: 1,
      ttl: 4_000_000_000,
    });

    const moved = await store.transition({
      incidentKey,
      from: 'new',
      to: 'queued',
      set: { lease: { owner: 'detector-1', until: 2 } },
    });

    expect(proxy.answersLost()).toBe(1);
    expect(moved).toBe(true);
    const stored = await new DynamoDbIncidentStore({ client: direct, tableName }).get(incidentKey);
    expect([stored?.status, stored?.lease?.owner]).toEqual(['queued', 'detector-1']);
    // A transition someone else made is still refused: the same move again, by another writer.
    const again = await new DynamoDbIncidentStore({ client: direct, tableName }).transition({
      incidentKey,
      from: 'new',
      to: 'queued',
      set: { lease: { owner: 'detector-2', until: 3 } },
    });
    expect(again).toBe(false);
    client.destroy();
    direct.destroy();
  }, 20_000);

  it('a webhook delivery recorded by this call is its first time, not a duplicate', async () => {
    const { tableName, proxy, client, direct } = await tableLosing(
      (request) => request.includes('DynamoDB_20120810.PutItem') && request.includes('delivery#'),
    );
    const deliveryId = randomUUID();

    const first = await new DynamoDbDeliveryLog({ client, tableName }).firstTime(deliveryId, 3600);

    expect(proxy.answersLost()).toBe(1);
    expect(first).toBe(true);
    // GitHub's redelivery of the same id is a duplicate
    expect(await new DynamoDbDeliveryLog({ client: direct, tableName }).firstTime(deliveryId, 3600)).toBe(
      false,
    );
    client.destroy();
    direct.destroy();
  }, 20_000);
});
