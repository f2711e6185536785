import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { RepairBudget } from '../core/repair/repair-incident.ts';

const DAY_SECONDS = 24 * 60 * 60;

/**
 * The daily repair cap as one item per repository and UTC day in the incidents table
 * (`budget#<owner/name>#<day>`), holding the set of incidents that used it. Adding an incident
 * already in the set succeeds again, so a redelivered job never spends a second slot.
 */
export class DynamoDbRepairBudget implements RepairBudget {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  constructor({ client, tableName }: { client: DynamoDBClient; tableName: string }) {
    this.#client = client;
    this.#tableName = tableName;
  }

  async reserve({
    repoKey,
    day,
    incidentKey,
    cap,
  }: Parameters<RepairBudget['reserve']>[0]): Promise<boolean> {
    if (cap <= 0) return false;
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: { incidentKey: { S: `budget#${repoKey}#${day}` } },
          UpdateExpression: 'ADD #incidents :one SET #ttl = :ttl',
          ConditionExpression:
            'attribute_not_exists(#incidents) OR contains(#incidents, :key) OR size(#incidents) < :cap',
          ExpressionAttributeNames: { '#incidents': 'incidents', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':one': { SS: [incidentKey] },
            ':key': { S: incidentKey },
            ':cap': { N: String(cap) },
            ':ttl': { N: String(Math.floor(Date.parse(`${day}T00:00:00Z`) / 1000) + 3 * DAY_SECONDS) },
          },
        }),
      );
      return true;
    } catch (error: unknown) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
