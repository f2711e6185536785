import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient } from '@aws-sdk/client-ses';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { loadAnalyzerConfig } from '../../functions/analyzer/config.ts';
import {
  buildRepairDeps,
  deployedSources,
  makeAnalyzer,
  makeHandler,
  type SendBack,
} from '../../functions/analyzer/handler.ts';
import type { RepairJobKind } from '../../functions/core/contracts.ts';
import { retryDueAt } from '../../functions/core/repair/repair-incident.ts';
import { makeRepairJob } from '../support/follow-up-fakes.ts';
import { sqsEvent } from '../support/sqs-events.ts';

// Nothing listens on the discard port: each store call fails at once, after the adapters were built.
const NOWHERE = 'http://127.0.0.1:9';
const AWS = {
  region: 'us-east-1',
  endpoint: NOWHERE,
  maxAttempts: 1,
  credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
};

const ENV = {
  INCIDENTS_TABLE_NAME: 'incidents',
  GITHUB_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:github-token',
  ANTHROPIC_API_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:anthropic-key',
  SENDER_EMAIL: 'ai-ops@acme.example',
  REVIEWER_EMAILS: 'dev@acme.example',
  GITHUB_API_URL: NOWHERE,
};
const config = loadAnalyzerConfig(ENV);

const jobs = (...kinds: RepairJobKind[]): SQSEvent =>
  sqsEvent(kinds.map((kind) => JSON.stringify(makeRepairJob({ kind }))));

/** The analyzer as deployed over unreachable AWS endpoints, counting the secrets each batch reads. */
function makeCountingAnalyzer({ failFirstRead = false } = {}) {
  const reads: string[] = [];
  let failNext = failFirstRead;
  const analyzer = makeAnalyzer({
    config,
    secret: async (arn) => {
      reads.push(arn);
      if (failNext) {
        failNext = false;
        throw new Error('Secrets Manager throttled');
      }
      return 'secret-value';
    },
    dynamodb: new DynamoDBClient(AWS),
    ses: new SESClient(AWS),
    logger: { info: () => {}, error: () => {} },
  });
  const anthropicReads = () => reads.filter((arn) => arn === config.anthropicApiKeySecretArn).length;
  const tokenReads = () => reads.filter((arn) => arn === config.githubTokenSecretArn).length;
  return { analyzer, anthropicReads, tokenReads };
}

describe('analyzer job runner', () => {
  it('builds the adapters once per invocation, whatever the kinds of its jobs', async () => {
    const { analyzer, anthropicReads, tokenReads } = makeCountingAnalyzer();

    const response = await analyzer(jobs('recurrence', 'recurrence', 'ci_passed', 'merged'));

    // the recurrences reached their use case, which failed on the unreachable table
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).slice(0, 2)).toEqual(['m0', 'm1']);
    // the follow-ups built their code host with the repository's token
    expect(tokenReads()).toBeGreaterThan(0);
    expect(anthropicReads()).toBe(1);

    // the next invocation builds its own (a rotated secret reaches it)
    await analyzer(jobs('recurrence'));
    expect(anthropicReads()).toBe(2);
  });

  it('does not keep a failed build: the next job of the batch tries again', async () => {
    const { analyzer, anthropicReads } = makeCountingAnalyzer({ failFirstRead: true });

    const response = await analyzer(jobs('recurrence', 'recurrence', 'recurrence'));

    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m0', 'm1', 'm2']);
    expect(anthropicReads()).toBe(2);
  });

  it('builds the deployed repair deps with waitForRetryAfter and the attempt limit it is given (MAX_REPAIR_ATTEMPTS), so a job SQS sends back early or past the limit is left alone', async () => {
    const deps = await buildRepairDeps({
      config,
      secret: async () => 'secret-value',
      dynamodb: new DynamoDBClient(AWS),
      ses: new SESClient(AWS),
    });
    expect(deps.waitForRetryAfter).toBe(true);
    // the PR keeps the model's links into the repository on the configured GitHub's host
    expect(deps.settings.webHost).toBe(
      new URL(config.githubApiUrl).hostname.replace(/^api\.github\.com$/, 'github.com'),
    );
    // MAX_REPAIR_ATTEMPTS reaches the repair too, so a redelivery cannot pass it
    const limited = await buildRepairDeps({
      config,
      secret: async () => 'secret-value',
      dynamodb: new DynamoDBClient(AWS),
      ses: new SESClient(AWS),
      maxAttempts: 1,
    });
    expect(limited.maxAttempts).toBe(1);
  });

  it('wires the deployed entry point from its environment: MAX_REPAIR_ATTEMPTS reaches the repair deps and the sweep alike, REPAIR_QUEUE_URL the send-back queue', async () => {
    const clients = {
      dynamodb: new DynamoDBClient(AWS),
      ses: new SESClient(AWS),
      secretsManager: new SecretsManagerClient(AWS),
      sqs: new SQSClient(AWS),
    };
    const queueUrl = 'https://sqs.us-east-1.amazonaws.com/123456789012/ai-ops-repair';
    const env = { ...ENV, REPAIR_QUEUE_URL: queueUrl };

    const limited = deployedSources({ ...env, MAX_REPAIR_ATTEMPTS: '1' }, clients);
    expect(limited.sweepConfig.maxAttempts).toBe(1);
    expect(limited.sources.repairQueue?.queueUrl).toBe(queueUrl);
    const deps = await buildRepairDeps({ ...limited.sources, secret: async () => 'secret-value' });
    expect(deps.maxAttempts).toBe(1);
    // unset: the default of 3, in both places
    const defaults = deployedSources(env, clients);
    expect(defaults.sweepConfig.maxAttempts).toBe(3);
    expect(defaults.sources.maxAttempts).toBe(3);
    // a bad value is refused with the setting named, before anything is built
    expect(() => deployedSources({ ...env, MAX_REPAIR_ATTEMPTS: '0' }, clients)).toThrow(
      /MAX_REPAIR_ATTEMPTS/,
    );
  });
});

describe('analyzer: a job sent back for a retry comes back when it is due', () => {
  const NOW = 1_800_000_000_000;
  it("sets the message's visibility to the incident's retry time, and still reports the failure", async () => {
    const calls: [string, number][] = [];
    const sendBack: SendBack = {
      dueAt: async () => NOW + 5 * 60 * 1000 + 1,
      redeliverIn: async (handle, seconds) => {
        calls.push([handle, seconds]);
      },
    };
    const handler = makeHandler({ ...failingDeps(), sendBack, now: () => NOW });

    const response = await handler(jobs('repair'));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm0' }]);
    expect(calls).toEqual([['r0', 301]]);
  });

  it('leaves the timing to the queue when the incident names no retry time, or the lookup fails', async () => {
    const calls: number[] = [];
    const errors: string[] = [];
    const make = (dueAt: SendBack['dueAt']) =>
      makeHandler({
        ...failingDeps(),
        sendBack: { dueAt, redeliverIn: async (_h, seconds) => void calls.push(seconds) },
        logger: { info: () => {}, error: (message) => errors.push(message) },
        now: () => NOW,
      });

    expect((await make(async () => undefined)(jobs('repair'))).batchItemFailures).toHaveLength(1);
    const lost = await make(async () => {
      throw new Error('DynamoDB throttled');
    })(jobs('repair'));
    expect(lost.batchItemFailures).toHaveLength(1);
    expect(calls).toEqual([]);
    expect(errors).toContain('could not time the retry; the queue timeout applies');
  });

  it('asks only about repair jobs of failed incidents', async () => {
    const store = (incident: unknown) => ({ get: async () => incident as never });
    const job = makeRepairJob();
    expect(await retryDueAt(job, store({ status: 'failed', retryAfter: NOW }))).toBe(NOW);
    expect(await retryDueAt(job, store({ status: 'pr_open', retryAfter: NOW }))).toBeUndefined();
    expect(await retryDueAt(job, store(undefined))).toBeUndefined();
    expect(
      await retryDueAt(makeRepairJob({ kind: 'revise' }), store({ status: 'failed', retryAfter: NOW })),
    ).toBeUndefined();
  });

  function failingDeps() {
    return {
      useCases: () => ({
        repair: async () => {
          throw Object.assign(new Error('overloaded'), { retryable: true });
        },
      }),
      logger: { info: () => {}, error: () => {} },
    };
  }
});
