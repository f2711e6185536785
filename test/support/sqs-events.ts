import type { SQSEvent } from 'aws-lambda';

/** An SQS event as Lambda's event source mapping delivers it, one record per body (`m0`, `m1`, …). */
export function sqsEvent(bodies: readonly string[], { sentAt = 1_700_000_000_000 } = {}): SQSEvent {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `m${i}`,
      receiptHandle: `r${i}`,
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(sentAt),
        SenderId: 'detector',
        ApproximateFirstReceiveTimestamp: String(sentAt),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:repairs',
      awsRegion: 'us-east-1',
    })),
  };
}
