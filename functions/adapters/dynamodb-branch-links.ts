import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { type BranchLinks, branchLinkKey } from '../core/ports/branch-links.ts';
import type { RepoCoordinates } from '../core/ports/pull-requests.ts';

/** BranchLinks in the incidents table: `branch#<owner>/<name>#<branch>` → `target` (the incident key), with TTL. */
export class DynamoDbBranchLinks implements BranchLinks {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  constructor({ client, tableName }: { client: DynamoDBClient; tableName: string }) {
    this.#client = client;
    this.#tableName = tableName;
  }

  async link({
    repo,
    branch,
    incidentKey,
    ttl,
  }: {
    repo: RepoCoordinates;
    branch: string;
    incidentKey: string;
    ttl: number;
  }): Promise<void> {
    await this.#client.send(
      new PutItemCommand({
        TableName: this.#tableName,
        Item: {
          incidentKey: { S: branchLinkKey({ repo, branch }) },
          target: { S: incidentKey },
          ttl: { N: String(ttl) },
        },
      }),
    );
  }

  async find({ repo, branch }: { repo: RepoCoordinates; branch: string }): Promise<string | undefined> {
    const { Item } = await this.#client.send(
      new GetItemCommand({
        TableName: this.#tableName,
        Key: { incidentKey: { S: branchLinkKey({ repo, branch }) } },
        ConsistentRead: true,
      }),
    );
    return Item?.target?.S;
  }
}
