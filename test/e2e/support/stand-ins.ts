import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SESClient } from '@aws-sdk/client-ses';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll } from 'vitest';
import {
  type AnthropicStandIn,
  type StandInStep,
  startAnthropicStandIn,
} from '../../support/anthropic-stand-in.ts';
import { type DynaliteServer, startDynalite } from '../../support/dynalite-server.ts';
import { type SqsStandIn, startSqsStandIn } from '../../support/fauxqs-server.ts';
import { type GitServer, startGitServer } from '../../support/git-server.ts';
import {
  bareRepoBranchResolver,
  type GitHubStandIn,
  startGitHubStandIn,
} from '../../support/github-stand-in.ts';
import { type SesServer, startSesServer } from '../../support/ses-server.ts';

/** Every external system of an end-to-end run, on 127.0.0.1, with the real SDK clients pointed at them. */
export interface E2eStandIns {
  git: GitServer;
  github: GitHubStandIn;
  dynalite: DynaliteServer;
  sqs: SqsStandIn;
  ses: SesServer;
  dynamoClient: DynamoDBClient;
  sqsClient: SQSClient;
  sesClient: SESClient;
}

/** Starts git (served through the GitHub stand-in's host, as on GitHub), DynamoDB, SQS and SES. */
export async function startE2eStandIns({
  token,
  tableName,
}: {
  token: string;
  tableName: string;
}): Promise<E2eStandIns> {
  const git = await startGitServer({ token });
  const [github, dynalite, sqs, ses] = await Promise.all([
    startGitHubStandIn({
      tokens: [token],
      gitOrigin: git.url,
      resolveBranch: bareRepoBranchResolver({ dirFor: (owner, name) => git.repoPath(owner, name) }),
    }),
    startDynalite(),
    startSqsStandIn(),
    startSesServer(),
  ]);
  await dynalite.createIncidentsTable(tableName);
  return {
    git,
    github,
    dynalite,
    sqs,
    ses,
    dynamoClient: dynalite.makeClient(),
    sqsClient: sqs.makeClient(),
    sesClient: ses.makeClient(),
  };
}

/** Stops what startE2eStandIns started, and the per-test Anthropic stand-ins. */
export async function stopE2eStandIns(
  standIns: Partial<E2eStandIns>,
  anthropics: readonly AnthropicStandIn[] = [],
): Promise<void> {
  standIns.dynamoClient?.destroy();
  standIns.sqsClient?.destroy();
  standIns.sesClient?.destroy();
  await Promise.all([
    ...anthropics.map((s) => s.close()),
    standIns.github?.close(),
    standIns.git?.close(),
    standIns.dynalite?.stop(),
    standIns.sqs?.stop(),
    standIns.ses?.stop(),
  ]);
}

/** What a test file gets from useE2eStandIns. */
export interface E2eSuite {
  /** the incidents table, created fresh for this file */
  tableName: string;
  /** filled in before the file's first test */
  servers: E2eStandIns;
  /** an Anthropic stand-in playing `script`, stopped with the rest after the file's tests */
  startAnthropic(script: StandInStep[]): Promise<AnthropicStandIn>;
}

/** Starts the stand-ins before the file's tests and stops them, and every Anthropic stand-in it started, after. */
export function useE2eStandIns({ token }: { token: string }): E2eSuite {
  const tableName = `incidents-${randomUUID()}`;
  const anthropics: AnthropicStandIn[] = [];
  let started: Partial<E2eStandIns> = {};
  // Filled in place, so the tests can hold on to it before beforeAll has run.
  const servers = {} as E2eStandIns;
  beforeAll(async () => {
    started = await startE2eStandIns({ token, tableName });
    Object.assign(servers, started);
  }, 30_000);
  afterAll(() => stopE2eStandIns(started, anthropics));
  return {
    tableName,
    servers,
    async startAnthropic(script) {
      const anthropic = await startAnthropicStandIn({ script });
      anthropics.push(anthropic);
      return anthropic;
    },
  };
}
