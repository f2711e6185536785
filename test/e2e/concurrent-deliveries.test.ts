import { execFileSync } from 'node:child_process';
import { type DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { Message } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDbIncidentStore } from '../../functions/adapters/dynamodb-incident-store.ts';
import { SqsJobQueue } from '../../functions/adapters/sqs-job-queue.ts';
import {
  appErrorPayload,
  makeAppDetector,
  makeE2eAnalyzer,
  receiveQueued,
  seedAppRepo,
} from './support/app-flow.ts';
import { GOOD_SCRIPT, toSqsEvent } from './support/seed-app.ts';
import { useE2eStandIns } from './support/stand-ins.ts';

/**
 * Issue #10: two deliveries of the same repair job (SQS delivers at least once) run at once; the
 * second one's claim is held until the first reaches each of its steps in turn. Whatever the
 * step, exactly one branch, one PR and one email come out and the incident ends `pr_open` —
 * through dynalite, git http-backend and the GitHub stand-in.
 */
const TOKEN = 'ghs_e2eFakeTokenForTheConcurrencyTest';
const REVIEWER = 'oncall@acme.example';
const { tableName, servers, startAnthropic } = useE2eStandIns({ token: TOKEN });

type Send = DynamoDBClient['send'];

function readRefs(bare: string): string[] {
  return execFileSync('git', ['--git-dir', bare, 'for-each-ref', '--format=%(refname)'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
}

/** The real client with a hook around each command (the stand-ins are untouched). */
function hookedClient(
  real: DynamoDBClient,
  hooks: { before?: (command: unknown) => Promise<void>; after?: (command: unknown) => void },
): DynamoDBClient {
  return new Proxy(real, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      const send = (async (command: unknown, ...rest: unknown[]) => {
        await hooks.before?.(command);
        const output = await (target.send as (...args: unknown[]) => Promise<unknown>)(command, ...rest);
        hooks.after?.(command);
        return output;
      }) as Send;
      return send;
    },
  });
}

/** An incident status write (a transition) of `incidentKey`, and the status it moves to. */
function transitionTo(command: unknown, incidentKey: string): string | undefined {
  if (!(command instanceof UpdateItemCommand)) return undefined;
  const key = command.input.Key ? unmarshall(command.input.Key) : {};
  const values = command.input.ExpressionAttributeValues
    ? unmarshall(command.input.ExpressionAttributeValues)
    : {};
  return key.incidentKey === incidentKey && typeof values[':to'] === 'string' ? values[':to'] : undefined;
}

function isIncidentRead(command: unknown, incidentKey: string): boolean {
  return command instanceof GetItemCommand && unmarshall(command.input.Key ?? {}).incidentKey === incidentKey;
}

/** The first delivery's incident writes, in order: claim, model fence, analysis (then push), PR fence, pr_open, email fence, email sent. */
const STEPS = [1, 2, 3, 4, 5, 6, 7] as const;

async function race({ step, hold }: { step: number; hold: 'read' | 'claim' }) {
  const app = await seedAppRepo({ standIns: servers, owner: 'race' });
  const anthropic = await startAnthropic([...GOOD_SCRIPT, ...GOOD_SCRIPT]);
  const store = new DynamoDbIncidentStore({ client: servers.dynamoClient, tableName });
  const detector = makeAppDetector({
    app,
    store,
    queue: new SqsJobQueue({ client: servers.sqsClient, queueUrl: app.queueUrl }),
  });
  await detector(appErrorPayload({ app, message: "invalid literal for int() with base 10: 'abc'" }));
  const messages: Message[] = await receiveQueued({ standIns: servers, queueUrl: app.queueUrl });
  expect(messages).toHaveLength(1);
  const incidentKey = (JSON.parse(messages[0]?.Body ?? '{}') as { incidentKey: string }).incidentKey;

  let writes = 0;
  let reached = () => {};
  const firstAtStep = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const first = makeE2eAnalyzer({
    standIns: {
      ...servers,
      dynamoClient: hookedClient(servers.dynamoClient, {
        after: (command) => {
          if (transitionTo(command, incidentKey) !== undefined && ++writes === step) reached();
        },
      }),
    },
    tableName,
    token: TOKEN,
    reviewer: REVIEWER,
    anthropicUrl: anthropic.url,
  });
  let held = false;
  const second = makeE2eAnalyzer({
    standIns: {
      ...servers,
      dynamoClient: hookedClient(servers.dynamoClient, {
        before: async (command) => {
          const matches =
            hold === 'read'
              ? isIncidentRead(command, incidentKey)
              : transitionTo(command, incidentKey) === 'analyzing';
          if (held || !matches) return;
          held = true;
          // the second delivery's read (or claim write) lands only once the first reached the step
          await Promise.race([firstAtStep, new Promise((resolve) => setTimeout(resolve, 20_000))]);
        },
      }),
    },
    tableName,
    token: TOKEN,
    reviewer: REVIEWER,
    anthropicUrl: anthropic.url,
  });

  const event = toSqsEvent(messages);
  const [a, b] = await Promise.all([first(event), second(event)]);

  const branches = readRefs(app.bare).filter((ref) => ref.startsWith('refs/heads/fix/'));
  const pulls = servers.github.pulls({ owner: app.repo.owner, repo: app.repo.name });
  const emails = (await servers.ses.emails()).filter(
    (e) => e.subject.includes(app.repo.name) || e.body.text?.includes(app.repo.name),
  );
  return { a, b, branches, pulls, emails, incident: await store.get(incidentKey), anthropic, writes };
}

describe('two concurrent deliveries of one job, the second held at each step of the first', () => {
  for (const hold of ['read', 'claim'] as const)
    it.each(STEPS)(
      `second ${hold} held until the first's write #%i → one branch, one PR, one email`,
      async (step) => {
        const { a, b, branches, pulls, emails, incident, anthropic, writes } = await race({ step, hold });

        expect(writes).toBe(7);
        expect(a.batchItemFailures).toEqual([]);
        expect(b.batchItemFailures).toEqual([]);
        expect(branches).toHaveLength(1);
        expect(pulls).toHaveLength(1);
        expect(emails).toHaveLength(1);
        expect(incident).toMatchObject({ status: 'pr_open', prNumber: pulls[0]?.number });
        expect(incident?.pendingEmail).toBeUndefined();
        // the second delivery never paid for a model call
        expect(anthropic.requests).toHaveLength(GOOD_SCRIPT.length);
      },
    );
});
