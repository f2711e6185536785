import { afterAll, beforeAll } from 'vitest';
import { DynamoDbIncidentStore } from '../../functions/adapters/dynamodb-incident-store.ts';
import { MemoryIncidentStore } from '../../functions/adapters/memory-incident-store.ts';
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
