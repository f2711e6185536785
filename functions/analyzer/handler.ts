import type { SQSEvent } from 'aws-lambda';

/**
 * PLACEHOLDER so the CDK app synthesizes before the real analyzer lands; replace this file.
 * It fails every record on purpose: a placeholder that "succeeded" would silently drop repair jobs,
 * whereas failures keep them on the queue and, after five attempts, in the dead-letter queue.
 */
export async function handler(event: SQSEvent): Promise<never> {
  throw new Error(
    `analyzer not deployed yet: functions/analyzer/handler.ts is a placeholder; ${event.Records.length} repair job(s) left on the queue`,
  );
}
