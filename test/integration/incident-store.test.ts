import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbBranchLinks } from '../../functions/adapters/dynamodb-branch-links.ts';
import { DynamoDbIncidentStore } from '../../functions/adapters/dynamodb-incident-store.ts';
import { MemoryIncidentStore } from '../../functions/adapters/memory-incident-store.ts';
import type { ErrorRecord } from '../../functions/core/contracts.ts';
import { type DynaliteServer, startDynalite } from '../support/dynalite-server.ts';
import { describeIncidentStoreContract } from './incident-store.contract.ts';

let dynalite: DynaliteServer;
let dynamoStore: DynamoDbIncidentStore;

beforeAll(async () => {
  dynalite = await startDynalite();
  await dynalite.createIncidentsTable('incidents');
  dynamoStore = new DynamoDbIncidentStore({ client: dynalite.makeClient(), tableName: 'incidents' });
});

afterAll(async () => {
  await dynalite?.stop();
});

describeIncidentStoreContract('memory', () => new MemoryIncidentStore());
describeIncidentStoreContract('DynamoDB (dynalite)', () => dynamoStore);

describe('DynamoDbIncidentStore.listByStatus', () => {
  const repo = { owner: 'acme', name: 'shop', baseBranch: 'main', pathPrefix: '' };
  const sample: ErrorRecord = {
    language: 'python',
    exceptionType: 'KeyError',
    message: "'sku'",
    frames: [],
    causes: [],
    // ~100 KB each: 14 of them span more than one 1 MB Scan page.
    raw: 'x'.repeat(100_000),
    logGroup: '/aws/lambda/orders',
    logStream: 'stream-1',
    timestamp: 1,
    eventIds: ['e1'],
  };

  it('pages through the whole table and skips delivery ids, branch links and budget items', async () => {
    await dynalite.createIncidentsTable('paged');
    const client = dynalite.makeClient();
    const store = new DynamoDbIncidentStore({ client, tableName: 'paged' });
    const keys: string[] = [];
    for (let index = 0; index < 14; index++) {
      const incidentKey = `acme/shop#fp${index}`;
      keys.push(incidentKey);
      await store.recordOccurrence({
        incidentKey,
        repo,
        fingerprint: `fp${index}`,
        count: 1,
        firstSeen: 1,
        lastSeen: 2,
        sample,
        ttl: 100,
        batchId: `b${index}`,
      });
    }
    await new DynamoDbBranchLinks({ client, tableName: 'paged' }).link({
      repo,
      branch: 'fix/key-error-fp0',
      incidentKey: 'acme/shop#fp0',
      ttl: 100,
    });
    await client.send(
      new PutItemCommand({
        TableName: 'paged',
        Item: { incidentKey: { S: 'delivery#d-1' }, ttl: { N: '100' } },
      }),
    );
    // Not an incident even though it has a status-like attribute: no fingerprint, so never listed.
    await client.send(
      new PutItemCommand({
        TableName: 'paged',
        Item: { incidentKey: { S: 'budget#acme/shop#2024-05-01' }, status: { S: 'new' }, count: { N: '1' } },
      }),
    );

    const listed = await store.listByStatus('new', { limit: 100 });

    expect(listed.map((incident) => incident.incidentKey).sort()).toEqual([...keys].sort());
    expect(await store.listByStatus('new', { limit: 13 })).toHaveLength(13);
    client.destroy();
  });
});
