import {
  CloudWatchLogsClient,
  type GetLogEventsCommandInput,
  type GetLogEventsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import type { Message } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import type { DetectorLogger, DetectorMetrics } from '../../../functions/detector/telemetry.ts';
import { type StandInStep, step } from '../../support/anthropic-stand-in.ts';
import { FAKE_CREDENTIALS } from '../../support/dynalite-server.ts';

/** The application under repair in the e2e flows: the seed's example, a Python app under /app in its container. */
export const APP_PY = [
  'def process_data(value):',
  '    return int(value)',
  '',
  '',
  'def main():',
  '    print(process_data("abc"))',
  '',
  '',
  'main()',
  '',
].join('\n');
export const CI_YML =
  'name: ci\non: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest\n';
export const FIX_OLD = '    return int(value)\n';
export const FIX_NEW = '    return int(value) if str(value).strip().lstrip("-").isdigit() else 0\n';

/** The files of a fresh application repository. */
export const APP_FILES = {
  'app.py': APP_PY,
  'requirements.txt': 'requests==2.32.3\n',
  '.github/workflows/ci.yml': CI_YML,
};

/** The traceback the application logs, as CloudWatch receives it. */
export function pythonTraceback(message: string): string {
  return [
    'Traceback (most recent call last):',
    '  File "/app/app.py", line 9, in <module>',
    '    main()',
    '  File "/app/app.py", line 6, in main',
    '    print(process_data("abc"))',
    '  File "/app/app.py", line 2, in process_data',
    '    return int(value)',
    `ValueError: ${message}`,
  ].join('\n');
}

export const FIX_INPUT = {
  title: 'Return 0 for non-numeric input in process_data',
  rootCause: 'process_data passes its argument to int() without checking that it holds digits.',
  explanation: 'Check the text before converting it, and fall back to 0 as the caller expects a number.',
  confidence: 'medium',
  edits: [{ path: 'app.py', oldText: FIX_OLD, newText: FIX_NEW }],
};

/** The model's first fix: read app.py, then submit the fix. */
export const GOOD_SCRIPT: StandInStep[] = [
  step.toolUse([{ id: 'toolu_view', name: 'view_file', input: { path: 'app.py' } }], {
    text: 'Let me read app.py.',
  }),
  step.toolUse([{ id: 'toolu_fix', name: 'submit_fix', input: FIX_INPUT }], {
    text: 'int() gets the text "abc".',
  }),
];

export const silentDetectorLogger: DetectorLogger = {
  info: () => {},
  warn: () => {},
  error: () => {},
  withKeys: () => silentDetectorLogger,
};
export const noMetrics: DetectorMetrics = { count: () => {}, publish: () => {} };

/** GetLogEvents answered in process (the traces in these payloads are complete, so it is never needed). */
export function makeLogsStub(): CloudWatchLogsClient {
  const client = new CloudWatchLogsClient({ region: 'us-east-1', credentials: FAKE_CREDENTIALS });
  client.middlewareStack.add(
    () => async () => {
      throw new Error('GetLogEvents was not expected in this flow');
    },
    { step: 'initialize', name: 'noLogEvents' },
  );
  return client;
}

/**
 * A CloudWatch Logs client whose GetLogEvents answers from `stream` (one log stream's events, in
 * time order), forward or backward as asked, stubbed at the SDK edge.
 */
export function makeLogsStreamStub(
  stream: readonly { timestamp: number; message: string }[],
): CloudWatchLogsClient {
  const client = new CloudWatchLogsClient({ region: 'us-east-1', credentials: FAKE_CREDENTIALS });
  client.middlewareStack.add(
    () => async (args) => {
      const input = args.input as GetLogEventsCommandInput;
      const inRange = stream.filter(
        (e) =>
          e.timestamp >= (input.startTime ?? 0) && e.timestamp < (input.endTime ?? Number.POSITIVE_INFINITY),
      );
      const limit = input.limit ?? 10_000;
      const events = input.startFromHead === false ? inRange.slice(-limit) : inRange.slice(0, limit);
      const output: GetLogEventsCommandOutput = { $metadata: {}, events };
      return { output, response: {} };
    },
    { step: 'initialize', name: 'streamLogEvents' },
  );
  return client;
}

/** Messages received with the real SQS client, as Lambda's event source mapping hands them over. */
export function toSqsEvent(messages: Message[]): SQSEvent {
  return {
    Records: messages.map((m) => ({
      messageId: m.MessageId ?? '',
      receiptHandle: m.ReceiptHandle ?? '',
      body: m.Body ?? '',
      attributes: {
        ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: m.Attributes?.SentTimestamp ?? '0',
        SenderId: m.Attributes?.SenderId ?? 'detector',
        ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? '0',
      },
      messageAttributes: {},
      md5OfBody: m.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:repairs',
      awsRegion: 'us-east-1',
    })),
  };
}
