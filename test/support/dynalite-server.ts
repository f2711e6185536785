import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

// dynalite is CommonJS without type declarations: this is the part of its API the tests use.
type Dynalite = (options: {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;
const dynalite = createRequire(import.meta.url)('dynalite') as Dynalite;

/** Obviously fake: the stand-ins accept any signature. */
export const FAKE_CREDENTIALS = {
  accessKeyId: 'AKIDTESTFAKE',
  secretAccessKey: 'fake-secret-for-local-stand-ins',
};

export interface DynaliteServer {
  endpoint: string;
  /** a client for this server with fake credentials; `config` adds to or overrides the defaults */
  makeClient(config?: DynamoDBClientConfig): DynamoDBClient;
  /** create a table keyed by `incidentKey` (S), the shape infra deploys */
  createIncidentsTable(tableName: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts dynalite (DynamoDB on LevelDB in memory) on 127.0.0.1 and a random port. */
export async function startDynalite(): Promise<DynaliteServer> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const makeClient = (config: DynamoDBClientConfig = {}) =>
    new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: FAKE_CREDENTIALS, ...config });
  return {
    endpoint,
    makeClient,
    async createIncidentsTable(tableName) {
      const client = makeClient();
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          AttributeDefinitions: [{ AttributeName: 'incidentKey', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'incidentKey', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      client.destroy();
    },
    stop: () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
