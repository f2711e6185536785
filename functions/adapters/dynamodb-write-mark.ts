import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  type ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
} from '@aws-sdk/client-dynamodb';

/**
 * A conditional write whose answer was lost (a reset, an attempt timed out after DynamoDB acted)
 * is retried by the SDK, and the retry fails its own condition: the first attempt already made
 * the change. Each such write carries a mark of its own (`writeMark`, a fresh id per call); a
 * failed condition on a call the SDK sent more than once reads the item back, and the write
 * stands when the mark is its own. A condition that fails on the first attempt costs no read.
 */
export const WRITE_MARK_ATTRIBUTE = 'writeMark';

export function newWriteMark(): string {
  return randomUUID();
}

/** The write behind `error` was applied by an earlier attempt of the same call. */
export async function appliedEarlier({
  error,
  client,
  tableName,
  key,
  mark,
}: {
  error: ConditionalCheckFailedException;
  client: DynamoDBClient;
  tableName: string;
  key: Record<string, AttributeValue>;
  mark: string;
}): Promise<boolean> {
  if ((error.$metadata?.attempts ?? 1) <= 1) return false;
  const { Item } = await client.send(
    new GetItemCommand({
      TableName: tableName,
      Key: key,
      ConsistentRead: true,
      ProjectionExpression: '#mark',
      ExpressionAttributeNames: { '#mark': WRITE_MARK_ATTRIBUTE },
    }),
  );
  return Item?.[WRITE_MARK_ATTRIBUTE]?.S === mark;
}
