import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { DeliveryLog } from '../core/ports/delivery-log.ts';
import { appliedEarlier, newWriteMark, WRITE_MARK_ATTRIBUTE } from './dynamodb-write-mark.ts';

/**
 * DeliveryLog in the incidents table: one item `delivery#<id>` per webhook delivery, written with
 * `attribute_not_exists` so of two concurrent deliveries of one id exactly one wins, and removed
 * by DynamoDB's TTL later (TTL deletion lags, so the condition also treats an expired item as gone).
 */
export class DynamoDbDeliveryLog implements DeliveryLog {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #now: () => number;

  constructor({
    client,
    tableName,
    now = Date.now,
  }: { client: DynamoDBClient; tableName: string; now?: () => number }) {
    this.#client = client;
    this.#tableName = tableName;
    this.#now = now;
  }

  async firstTime(deliveryId: string, ttlSeconds: number): Promise<boolean> {
    const nowSeconds = Math.floor(this.#now() / 1000);
    const key = { incidentKey: { S: deliveryKey(deliveryId) } };
    const mark = newWriteMark();
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: {
            ...key,
            ttl: { N: String(nowSeconds + ttlSeconds) },
            [WRITE_MARK_ATTRIBUTE]: { S: mark },
          },
          ConditionExpression: 'attribute_not_exists(#key) OR #ttl < :now',
          ExpressionAttributeNames: { '#key': 'incidentKey', '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':now': { N: String(nowSeconds) } },
        }),
      );
      return true;
    } catch (error: unknown) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // this call's own earlier attempt recorded it: the first time still, not GitHub's redelivery
      return appliedEarlier({ error, client: this.#client, tableName: this.#tableName, key, mark });
    }
  }

  async forget(deliveryId: string): Promise<void> {
    await this.#client.send(
      new DeleteItemCommand({
        TableName: this.#tableName,
        Key: { incidentKey: { S: deliveryKey(deliveryId) } },
      }),
    );
  }
}

function deliveryKey(deliveryId: string): string {
  return `delivery#${deliveryId}`;
}
