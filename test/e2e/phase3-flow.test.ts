import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, SQSBatchResponse } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { DynamoDbBranchLinks } from '../../functions/adapters/dynamodb-branch-links.ts';
import { DynamoDbDeliveryLog } from '../../functions/adapters/dynamodb-delivery-log.ts';
import { DynamoDbIncidentStore } from '../../functions/adapters/dynamodb-incident-store.ts';
import { SqsJobQueue } from '../../functions/adapters/sqs-job-queue.ts';
import {
  type Incident,
  type RepairJob,
  RepairJobSchema,
  type RepoRef,
} from '../../functions/core/contracts.ts';
import { makeHandler as makeWebhookHandler } from '../../functions/webhook/handler.ts';
import { type AnthropicStandIn, type StandInStep, step } from '../support/anthropic-stand-in.ts';
import { readBlobAt, readBranchHead, runGit } from '../support/git-server.ts';
import type { StoredEmail } from '../support/ses-server.ts';
import {
  LINK_SECRET,
  makeApiEvent,
  makeWebhookApiEvent,
  readWebhookFixture,
  WEBHOOK_SECRET,
  type WebhookFixture,
} from '../support/webhook-requests.ts';
import {
  analyzeAndSettle,
  appErrorPayload,
  makeAppDetector,
  makeE2eAnalyzer,
  receiveQueued,
  seedAppRepo,
} from './support/app-flow.ts';
import { APP_PY, FIX_NEW, FIX_OLD, GOOD_SCRIPT } from './support/seed-app.ts';
import { useE2eStandIns } from './support/stand-ins.ts';

/**
 * Seed phase 3 end to end: GitHub's webhook deliveries (the fixtures, re-pointed at the stand-in's
 * repository, PR, branch and commit) → webhook Lambda → SQS (fauxqs) → analyzer Lambda, composed
 * as deployed (`makeAnalyzer`), against git smart HTTP, the GitHub and Anthropic stand-ins,
 * dynalite and SES. Each test reaches its open draft fix PR through the real first-fix flow.
 */

const GIT_TOKEN = 'ghs_e2eFakePhase3TokenForTheStandIns';
const REVIEWER = 'oncall@acme.example';
const OWNER = 'acme';
const PAGE_BASE = 'https://hooks.acme.example/';
const BOT = { name: 'ai-ops[bot]', email: 'ai-ops-bot@users.noreply.github.com' };

// The fixtures' own coordinates, replaced by each flow's.
const FIXTURE_PR_URL = 'https://github.com/acme/shop/pull/2';
const FIXTURE_BRANCH = 'fix/keyerror-get-user-01234567';
const FIXTURE_SHA = 'ec26c3e57ca3a959ca5aad62de7213c562f8c821';

// The reviewer's revision: also accept surrounding whitespace.
const REVISED =
  '    return int(value) if str(value).strip().lstrip("-").isdigit() else 0  # ai-ops: trimmed\n';
// The revision CI asked for: the test expects -1 for junk.
const CI_REVISED = '    return int(value) if str(value).strip().lstrip("-").isdigit() else -1\n';

function submitFix(id: string, title: string, oldText: string, newText: string): StandInStep {
  return step.toolUse(
    [
      {
        id,
        name: 'submit_fix',
        input: {
          title,
          rootCause: 'process_data converts text it never checked.',
          explanation: `${title}.`,
          confidence: 'medium',
          edits: [{ path: 'app.py', oldText, newText }],
        },
      },
    ],
    { text: 'Revising.' },
  );
}

const { tableName, servers, startAnthropic } = useE2eStandIns({ token: GIT_TOKEN });

interface Flow {
  repo: RepoRef;
  bare: string;
  queueName: string;
  anthropic: AnthropicStandIn;
  incidentKey: string;
  branch: string;
  prNumber: number;
  prUrl: string;
  detect(message: string, prefix: string): Promise<unknown>;
  /** one delivery to `POST /webhook`, signed with the test secret unless told otherwise */
  deliver(options: {
    fixture: WebhookFixture;
    edits?: ReadonlyArray<readonly [string, unknown]>;
    deliveryId?: string;
    secret?: string;
  }): Promise<APIGatewayProxyStructuredResultV2>;
  page(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2>;
  /** receive what is queued with the real SQS client and run the analyzer on it, as Lambda would */
  process(): Promise<{ jobs: RepairJob[]; outcomes: unknown[]; response: SQSBatchResponse }>;
  incident(): Promise<Incident>;
  head(): string;
  /** SQS delivers at least once: the same job body sent again */
  redeliver(job: RepairJob | undefined): Promise<void>;
}

/** A fresh repository, queue and model script; runs the first fix up to the open draft PR and its branch link. */
async function openDraftFix({
  script,
  env = {},
}: {
  script: StandInStep[];
  env?: Record<string, string>;
}): Promise<Flow> {
  const app = await seedAppRepo({ standIns: servers, owner: OWNER });
  const { repo, bare, queueName, queueUrl } = app;
  const name = repo.name;
  const anthropic = await startAnthropic(script);
  const store = new DynamoDbIncidentStore({ client: servers.dynamoClient, tableName });
  const queue = new SqsJobQueue({ client: servers.sqsClient, queueUrl });
  const detector = makeAppDetector({ app, store, queue });
  const outcomes: unknown[] = [];
  const analyzer = makeE2eAnalyzer({
    standIns: servers,
    tableName,
    token: GIT_TOKEN,
    reviewer: REVIEWER,
    anthropicUrl: anthropic.url,
    env,
    extraSecrets: (config) =>
      config.incidentPage ? { [config.incidentPage.signingSecretArn]: LINK_SECRET } : {},
    // The use cases' outcomes, as the handler logs them.
    logger: {
      info: (message, attributes) => {
        if (message === 'repair finished') outcomes.push(attributes?.outcome);
      },
      error: () => {},
    },
  });
  const webhook = makeWebhookHandler({
    webhook: {
      secret: async () => WEBHOOK_SECRET,
      deliveries: new DynamoDbDeliveryLog({ client: servers.dynamoClient, tableName }),
      store,
      branchLinks: new DynamoDbBranchLinks({ client: servers.dynamoClient, tableName }),
      queue,
    },
    page: { secret: async () => LINK_SECRET, store, flags: store, baseUrl: PAGE_BASE },
    logger: { info: () => {}, warn: () => {}, error: () => {} },
  });

  const process = async () => {
    const messages = await receiveQueued({ standIns: servers, queueUrl });
    const jobs = messages.map((m) => RepairJobSchema.parse(JSON.parse(m.Body ?? '')));
    outcomes.length = 0;
    const response = await analyzeAndSettle({ standIns: servers, queueUrl, analyzer, messages });
    return { jobs, outcomes: [...outcomes], response };
  };

  // The first fix, exactly as in production: log line → detector → SQS → analyzer.
  await detector(appErrorPayload({ app, message: "invalid literal for int() with base 10: 'abc'" }));
  const first = await process();
  expect(first.jobs.map((j) => j.kind)).toEqual(['repair']);
  expect(first.response.batchItemFailures).toEqual([]);
  const incidentKey = first.jobs[0]?.incidentKey ?? '';
  const opened = await store.get(incidentKey);
  expect(opened).toMatchObject({ status: 'pr_open', prNumber: 1 });
  const [pr] = servers.github.pulls({ owner: OWNER, repo: name });
  expect(pr).toMatchObject({ draft: true, state: 'open' });
  const branch = opened?.branch ?? '';
  const prUrl = opened?.prUrl ?? '';
  const prBody = pr?.body ?? '';

  const flow: Flow = {
    repo,
    bare,
    queueName,
    anthropic,
    incidentKey,
    branch,
    prNumber: 1,
    prUrl,
    detect: (message, prefix) => detector(appErrorPayload({ app, message, prefix })),
    async deliver({ fixture, edits = [], deliveryId, secret }) {
      const body = adaptFixture({ fixture, flow, prBody, edits });
      const response = await webhook(
        makeWebhookApiEvent({
          event: fixture.split('.')[0] ?? fixture,
          body,
          ...(deliveryId ? { deliveryId } : {}),
          ...(secret ? { secret } : {}),
        }),
      );
      return response as APIGatewayProxyStructuredResultV2;
    },
    page: async (event) => (await webhook(event)) as APIGatewayProxyStructuredResultV2,
    process,
    async incident() {
      const incident = await store.get(incidentKey);
      if (!incident) throw new Error(`no incident ${incidentKey}`);
      return incident;
    },
    head: () => readBranchHead(bare, branch)?.commit ?? '',
    async redeliver(job) {
      if (!job) throw new Error('nothing to redeliver');
      expect((await queue.enqueue([job])).failed).toEqual([]);
    },
  };

  // GitHub tells us about the PR it just opened: the webhook links the fix branch for CI events.
  const link = await flow.deliver({ fixture: 'pull_request.opened' });
  expect(link.statusCode).toBe(200);
  expect(JSON.parse(link.body ?? '{}')).toMatchObject({ linked: branch, incident: incidentKey });
  return flow;
}

/**
 * A fixture as GitHub would send it about this flow's PR: its repository, PR number, URL, body
 * (with the fingerprint marker), fix branch and head commit; then the test's own `edits`.
 */
function adaptFixture({
  fixture,
  flow,
  prBody,
  edits,
}: {
  fixture: WebhookFixture;
  flow: Flow;
  prBody: string;
  edits: ReadonlyArray<readonly [string, unknown]>;
}): string {
  const raw = readWebhookFixture(fixture)
    .replaceAll(FIXTURE_PR_URL, flow.prUrl)
    .replaceAll(FIXTURE_BRANCH, flow.branch)
    .replaceAll(FIXTURE_SHA, flow.head())
    .replaceAll('acme/shop', `${OWNER}/${flow.repo.name}`);
  const payload: unknown = JSON.parse(raw);
  const visit = (node: unknown, key: string): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item, key);
      return;
    }
    if (!isRecord(node)) return;
    if (node.name === 'shop') node.name = flow.repo.name;
    // The PR (top-level `number`, the issue, the pull request, a run's pull_requests) is this flow's.
    if (node.number === 2) node.number = flow.prNumber;
    if ((key === 'pull_request' || key === 'issue') && typeof node.body === 'string') node.body = prBody;
    for (const [child, value] of Object.entries(node)) visit(value, child);
  };
  visit(payload, '');
  for (const [path, value] of edits) {
    const keys = path.split('.');
    const last = keys.pop() ?? '';
    let node: unknown = payload;
    for (const key of keys) node = isRecord(node) ? node[key] : undefined;
    if (!isRecord(node)) throw new Error(`${fixture}: no object at ${path}`);
    node[last] = value;
  }
  return JSON.stringify(payload, null, 2);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What GitHub answers for the PR's diff: the fix branch against main, from the bare repository. */
function publishPullDiff(flow: Flow): void {
  const diff = runGit(['--git-dir', flow.bare, 'diff', `main...${flow.branch}`]).toString();
  servers.github.setPullDiff({ owner: OWNER, repo: flow.repo.name, number: flow.prNumber, diff });
}

async function emailsFor(flow: Flow): Promise<StoredEmail[]> {
  return (await servers.ses.emails()).filter((e) => e.subject.includes(flow.repo.name));
}

function commentsOn(flow: Flow): string[] {
  return servers.github.comments({ owner: OWNER, repo: flow.repo.name }).map((c) => c.body);
}

/** The body of a failed workflow run's `workflow_run` delivery for `sha`, with its failing job's log. */
function failedRun(flow: Flow, { runId, sha, log }: { runId: number; sha: string; log: string }) {
  servers.github.addWorkflowJobs({
    owner: OWNER,
    repo: flow.repo.name,
    runId,
    checkSuiteId: runId + 1,
    headSha: sha,
    jobs: [
      { name: 'lint', conclusion: 'success', log: 'All checks passed.' },
      { name: 'test', conclusion: 'failure', log },
    ],
  });
  return [
    ['workflow_run.id', runId],
    ['workflow_run.check_suite_id', runId + 1],
    ['workflow_run.head_sha', sha],
    ['workflow_run.conclusion', 'failure'],
  ] as const;
}

describe('phase 3: webhook → SQS → analyzer on an open draft fix PR', () => {
  it('revises on a trusted /ai-ops comment and on a red CI, then asks a person after the second red', async () => {
    const flow = await openDraftFix({
      script: [
        ...GOOD_SCRIPT,
        submitFix('toolu_rev', 'Trim whitespace before the check', FIX_NEW, REVISED),
        submitFix('toolu_ci', 'Return -1 for junk as the tests expect', REVISED, CI_REVISED),
      ],
    });
    servers.github.setPermission({
      owner: OWNER,
      repo: flow.repo.name,
      user: 'octocat',
      permission: 'write',
    });
    const firstFix = flow.head();
    expect(readBlobAt(flow.bare, flow.branch, 'app.py').toString()).toBe(APP_PY.replace(FIX_OLD, FIX_NEW));

    // A member asks for a change on the PR.
    publishPullDiff(flow);
    const asked = await flow.deliver({
      fixture: 'issue_comment.created',
      edits: [['comment.body', '/ai-ops also accept surrounding whitespace']],
    });
    expect(asked.statusCode).toBe(202);
    const revise = await flow.process();
    expect(revise.jobs.map((j) => j.kind)).toEqual(['revise']);
    expect(revise.outcomes).toEqual([expect.objectContaining({ kind: 'revised', resumed: false })]);
    expect(revise.response.batchItemFailures).toEqual([]);

    const revision = readBranchHead(flow.bare, flow.branch);
    expect(revision).toMatchObject({
      parents: [firstFix],
      authorName: BOT.name,
      authorEmail: BOT.email,
      subject: 'fix(ai): Trim whitespace before the check',
    });
    expect(readBlobAt(flow.bare, flow.branch, 'app.py').toString()).toBe(APP_PY.replace(FIX_OLD, REVISED));
    const reply = commentsOn(flow).find((body) => body.startsWith('@octocat I pushed'));
    expect(reply).toContain((revision?.commit ?? '').slice(0, 7));
    expect(flow.anthropic.requests[2]?.raw.toString('utf8')).toContain('also accept surrounding whitespace');
    expect(flow.anthropic.requests).toHaveLength(3);
    // The same job again (SQS redelivery): no second commit, no second reply, no model call.
    await flow.redeliver(revise.jobs[0]);
    expect((await flow.process()).outcomes).toEqual([{ kind: 'ignored', reason: 'already_done' }]);
    expect(flow.head()).toBe(revision?.commit);
    expect(commentsOn(flow).filter((body) => body.startsWith('@octocat'))).toHaveLength(1);
    expect(flow.anthropic.requests).toHaveLength(3);

    // A green run on the first fix, which is no longer the head, proves nothing about the PR.
    const stale = await flow.deliver({
      fixture: 'workflow_run.completed',
      edits: [
        ['workflow_run.conclusion', 'success'],
        ['workflow_run.head_sha', firstFix],
      ],
    });
    expect(stale.statusCode).toBe(202);
    expect((await flow.process()).outcomes).toEqual([expect.objectContaining({ reason: 'stale' })]);
    expect(servers.github.pulls({ owner: OWNER, repo: flow.repo.name })[0]?.draft).toBe(true);

    // CI fails on the revision: its failing job's log goes to the model, which revises again.
    publishPullDiff(flow);
    const red = await flow.deliver({
      fixture: 'workflow_run.completed',
      edits: failedRun(flow, {
        runId: 7001,
        sha: revision?.commit ?? '',
        log: 'FAILED test_app.py::test_junk - AssertionError: assert process_data("x") == -1',
      }),
    });
    expect(red.statusCode).toBe(202);
    const ciFix = await flow.process();
    expect(ciFix.jobs.map((j) => j.kind)).toEqual(['ci_failed']);
    expect(ciFix.outcomes).toEqual([expect.objectContaining({ kind: 'revised', resumed: false })]);
    expect(ciFix.response.batchItemFailures).toEqual([]);
    const ciRevision = readBranchHead(flow.bare, flow.branch);
    expect(ciRevision).toMatchObject({
      parents: [revision?.commit],
      authorName: BOT.name,
      subject: 'fix(ai): Return -1 for junk as the tests expect',
    });
    expect(readBlobAt(flow.bare, flow.branch, 'app.py').toString()).toBe(APP_PY.replace(FIX_OLD, CI_REVISED));
    expect(flow.anthropic.requests).toHaveLength(4);
    const ciPrompt = flow.anthropic.requests[3]?.raw.toString('utf8') ?? '';
    expect(ciPrompt).toContain('assert process_data(\\"x\\") == -1');
    expect(ciPrompt).not.toContain('All checks passed.');
    expect(commentsOn(flow).some((body) => body.startsWith('CI failed on'))).toBe(true);

    // CI fails again: the second failed commit of this fix; a person takes over, no model call.
    const again = await flow.deliver({
      fixture: 'workflow_run.completed',
      edits: failedRun(flow, {
        runId: 7003,
        sha: ciRevision?.commit ?? '',
        log: 'FAILED test_app.py::test_neg',
      }),
    });
    expect(again.statusCode).toBe(202);
    const stop = await flow.process();
    expect(stop.jobs.map((j) => j.kind)).toEqual(['ci_failed']);
    expect(stop.outcomes).toEqual([expect.objectContaining({ kind: 'needs_human' })]);
    expect(stop.response.batchItemFailures).toEqual([]);
    expect(flow.anthropic.requests).toHaveLength(4);
    expect(flow.head()).toBe(ciRevision?.commit);
    const [pr] = servers.github.pulls({ owner: OWNER, repo: flow.repo.name });
    expect(pr?.labels).toContain('needs-human');
    expect(pr?.draft).toBe(true);
    expect(commentsOn(flow).filter((body) => body.includes('I stopped revising'))).toHaveLength(1);
    const mails = await emailsFor(flow);
    expect(mails.map((m) => m.subject)).toEqual([
      expect.stringContaining('draft fix PR #1 opened'),
      expect.stringContaining('fix PR #1 needs a person'),
    ]);
    expect(await flow.incident()).toMatchObject({ status: 'pr_open', ciFailures: 2, revisions: 2 });
    // Redelivered, the verdict is already recorded: no second label comment or email.
    await flow.redeliver(stop.jobs[0]);
    expect((await flow.process()).response.batchItemFailures).toEqual([]);
    expect(commentsOn(flow).filter((body) => body.includes('I stopped revising'))).toHaveLength(1);
    expect(await emailsFor(flow)).toHaveLength(2);
    expect(flow.anthropic.requests).toHaveLength(4);
  }, 30_000);

  it('marks the PR ready once on green (same delivery twice, a second delivery of the same verdict), records the merge, and ignores bad signatures and untrusted comments', async () => {
    const flow = await openDraftFix({ script: GOOD_SCRIPT });
    servers.github.setPermission({
      owner: OWNER,
      repo: flow.repo.name,
      user: 'octocat',
      permission: 'write',
    });

    // A forged delivery: 401, nothing queued.
    const forged = await flow.deliver({ fixture: 'issue_comment.created', secret: 'not-the-webhook-secret' });
    expect(forged.statusCode).toBe(401);
    // A contributor and a bot say the magic words: nothing queued.
    const contributor = await flow.deliver({
      fixture: 'issue_comment.created',
      edits: [['comment.author_association', 'CONTRIBUTOR']],
    });
    const bot = await flow.deliver({
      fixture: 'issue_comment.created',
      edits: [
        ['comment.user', { login: 'helper-app[bot]', id: 9, type: 'Bot' }],
        ['sender', { login: 'helper-app[bot]', id: 9, type: 'Bot' }],
      ],
    });
    expect([contributor.statusCode, bot.statusCode]).toEqual([200, 200]);
    expect(servers.sqs.peekBodies(flow.queueName)).toEqual([]);
    // A member GitHub vouches for, who cannot push: queued, then refused by the API check, silently.
    servers.github.setPermission({ owner: OWNER, repo: flow.repo.name, user: 'mallory', permission: 'read' });
    const member = await flow.deliver({
      fixture: 'issue_comment.created',
      edits: [
        ['comment.user.login', 'mallory'],
        ['sender.login', 'mallory'],
      ],
    });
    expect(member.statusCode).toBe(202);
    expect((await flow.process()).outcomes).toEqual([{ kind: 'ignored', reason: 'not_authorized' }]);
    expect(commentsOn(flow)).toEqual([]);

    // CI passes on the fix's head: the same delivery twice, and another delivery of the same verdict.
    const head = flow.head();
    const green = [
      ['workflow_run.conclusion', 'success'],
      ['workflow_run.head_sha', head],
    ] as const;
    // Another workflow on the same commit still runs: one suite's green is not the fix's green.
    const checks = { owner: OWNER, repo: flow.repo.name, ref: head };
    const mailsBefore = (await emailsFor(flow)).length;
    servers.github.setCheckRuns({
      ...checks,
      checkRuns: [{ name: 'test' }, { name: 'lint', status: 'in_progress' }],
    });
    // Another run than the one below: GitHub's bodies of two runs differ (replays are keyed on the body).
    const otherRun = [...green, ['workflow_run.id', 900_000_001]] as const;
    expect((await flow.deliver({ fixture: 'workflow_run.completed', edits: otherRun })).statusCode).toBe(202);
    expect((await flow.process()).outcomes).toEqual([
      { kind: 'ignored', reason: 'checks_pending', status: 'pr_open' },
    ]);
    expect(servers.github.pulls({ owner: OWNER, repo: flow.repo.name })[0]?.draft).toBe(true);
    expect(await emailsFor(flow)).toHaveLength(mailsBefore);
    // It completes green: its own delivery (below, with duplicates) marks the draft ready.
    servers.github.setCheckRuns({ ...checks, checkRuns: [{ name: 'test' }, { name: 'lint' }] });
    const deliveryId = randomUUID();
    const statuses = [
      (await flow.deliver({ fixture: 'workflow_run.completed', edits: green, deliveryId })).statusCode,
      (await flow.deliver({ fixture: 'workflow_run.completed', edits: green, deliveryId })).statusCode,
      // the same verdict reported again by another event (a re-run): a new body, so not a replay
      (
        await flow.deliver({
          fixture: 'workflow_run.completed',
          edits: [...green, ['workflow_run.run_attempt', 2]],
        })
      ).statusCode,
    ];
    expect(statuses).toEqual([202, 200, 202]);
    const verdicts = await flow.process();
    expect(verdicts.jobs.map((j) => j.kind)).toEqual(['ci_passed', 'ci_passed']);
    expect(verdicts.outcomes).toEqual([
      expect.objectContaining({ kind: 'ready', headSha: head }),
      { kind: 'ignored', reason: 'already_done', status: 'pr_open' },
    ]);
    expect(verdicts.response.batchItemFailures).toEqual([]);

    const [pr] = servers.github.pulls({ owner: OWNER, repo: flow.repo.name });
    expect(pr?.draft).toBe(false);
    expect(servers.github.requests.filter((r) => r.route === 'POST /graphql')).toHaveLength(1);
    const ready = (await emailsFor(flow)).filter((m) => m.subject.includes('ready for review'));
    expect(ready).toHaveLength(1);
    expect(ready[0]?.body.text).toContain(flow.prUrl);
    expect(commentsOn(flow).filter((body) => body.startsWith('CI passed on'))).toHaveLength(1);
    expect(flow.head()).toBe(head);
    expect(flow.anthropic.requests).toHaveLength(2);

    // A person merges it.
    servers.github.closePull({ owner: OWNER, repo: flow.repo.name, number: flow.prNumber, merged: true });
    const merged = await flow.deliver({
      fixture: 'pull_request.closed-merged',
      edits: [['pull_request.merged_at', new Date().toISOString()]],
    });
    expect(merged.statusCode).toBe(202);
    const merge = await flow.process();
    expect(merge.jobs.map((j) => j.kind)).toEqual(['merged']);
    expect(merge.outcomes).toEqual([expect.objectContaining({ kind: 'resolved_pending' })]);
    expect(merge.response.batchItemFailures).toEqual([]);
    expect(await flow.incident()).toMatchObject({
      status: 'resolved_pending',
      merge: { sha: expect.any(String) },
    });
  }, 30_000);

  it("opens the email's signed incident page read-only, and a snooze there keeps the detector from queueing work", async () => {
    const flow = await openDraftFix({
      script: GOOD_SCRIPT,
      env: {
        INCIDENT_PAGE_BASE_URL: PAGE_BASE,
        LINK_SIGNING_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:link-signing',
      },
    });
    const [mail] = await emailsFor(flow);
    const href = mail?.body.text?.match(/https:\/\/hooks\.acme\.example\/incidents\/\S+/)?.[0] ?? '';
    expect(href).not.toBe('');
    const link = new URL(href);
    const key = link.pathname.split('/')[2] ?? '';
    const query = Object.fromEntries(link.searchParams);

    const before = await flow.incident();
    const page = await flow.page(
      makeApiEvent({
        routeKey: 'GET /incidents/{key}',
        method: 'GET',
        rawPath: link.pathname,
        pathParameters: { key },
        queryStringParameters: query,
      }),
    );
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('ValueError');
    expect(await flow.incident()).toEqual(before);

    const snoozed = await flow.page(
      makeApiEvent({
        routeKey: 'POST /incidents/{key}/{action}',
        method: 'POST',
        rawPath: `${link.pathname}/snooze`,
        pathParameters: { key, action: 'snooze' },
        queryStringParameters: query,
      }),
    );
    expect(snoozed.statusCode).toBe(303);
    expect((await flow.incident()).snoozedUntil).toBeGreaterThan(Date.now());

    // The error happens again: counted, and nothing queued.
    await flow.detect("invalid literal for int() with base 10: 'zz'", 'snoozed');
    expect(servers.sqs.peekBodies(flow.queueName)).toEqual([]);
    expect(await flow.incident()).toMatchObject({ status: 'pr_open', count: 2 });
  }, 30_000);
});
