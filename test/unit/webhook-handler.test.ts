import { createHmac } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryBranchLinks } from '../../functions/adapters/memory-branch-links.ts';
import { MemoryDeliveryLog } from '../../functions/adapters/memory-delivery-log.ts';
import { MemoryIncidentStore } from '../../functions/adapters/memory-incident-store.ts';
import { RepairJobSchema } from '../../functions/core/contracts.ts';
import { makeHandler, type WebhookLogger } from '../../functions/webhook/handler.ts';
import {
  editWebhookFixture,
  eventNameOf,
  FakeQueue,
  FIX_BRANCH,
  INCIDENT_KEY,
  LINK_SECRET,
  makeWebhookApiEvent,
  PR_URL,
  readWebhookFixture,
  seedIncident,
  WEBHOOK_SECRET,
  type WebhookFixture,
} from '../support/webhook-requests.ts';

const silent: WebhookLogger = { info: () => {}, warn: () => {}, error: () => {} };

let store: MemoryIncidentStore;
let queue: FakeQueue;
let branchLinks: MemoryBranchLinks;
let deliveries: MemoryDeliveryLog;
let handle: ReturnType<typeof makeHandler>;

beforeEach(async () => {
  store = new MemoryIncidentStore();
  queue = new FakeQueue();
  branchLinks = new MemoryBranchLinks();
  deliveries = new MemoryDeliveryLog();
  await seedIncident(store);
  handle = makeHandler({
    webhook: { secret: async () => WEBHOOK_SECRET, deliveries, store, branchLinks, queue },
    page: { secret: async () => LINK_SECRET, store, flags: store, baseUrl: undefined },
    logger: silent,
  });
});

async function deliver(fixture: WebhookFixture, options: { body?: string; deliveryId?: string } = {}) {
  const response = (await handle(
    makeWebhookApiEvent({
      event: eventNameOf(fixture),
      body: options.body ?? readWebhookFixture(fixture),
      ...options,
    }),
  )) as APIGatewayProxyStructuredResultV2;
  return { status: response.statusCode, body: JSON.parse(response.body ?? '{}') as Record<string, unknown> };
}

/** The PR was opened: what links its branch to the incident for the CI events. */
async function linkBranch() {
  const { status, body } = await deliver('pull_request.opened');
  expect({ status, body }).toEqual({ status: 200, body: { linked: FIX_BRANCH, incident: INCIDENT_KEY } });
}

describe('webhook signature', () => {
  const body = readWebhookFixture('issue_comment.created');

  it('answers 401 to a bad signature and queues nothing', async () => {
    const response = await handle(
      makeWebhookApiEvent({ event: 'issue_comment', body, secret: 'not-the-secret' }),
    );
    expect(response).toMatchObject({ statusCode: 401 });
    expect(queue.jobs).toEqual([]);
  });

  it('answers 401 to a missing signature', async () => {
    const event = makeWebhookApiEvent({
      event: 'issue_comment',
      body,
      headers: { 'x-hub-signature-256': undefined },
    });
    expect(await handle(event)).toMatchObject({ statusCode: 401 });
    expect(queue.jobs).toEqual([]);
  });

  it('answers 401 to a SHA-1-only signature', async () => {
    const sha1 = `sha1=${createHmac('sha1', WEBHOOK_SECRET).update(body).digest('hex')}`;
    const event = makeWebhookApiEvent({
      event: 'issue_comment',
      body,
      headers: { 'x-hub-signature-256': undefined, 'x-hub-signature': sha1 },
    });
    const response = (await handle(event)) as APIGatewayProxyStructuredResultV2;
    expect(response.statusCode).toBe(401);
    expect(response.body).toContain('sha1_only');
    expect(queue.jobs).toEqual([]);
  });

  it('answers 401 when the body was re-serialised after signing (the raw body is what counts)', async () => {
    const event = makeWebhookApiEvent({ event: 'issue_comment', body });
    event.body = JSON.stringify(JSON.parse(body));
    expect(await handle(event)).toMatchObject({ statusCode: 401 });
    expect(queue.jobs).toEqual([]);
  });

  it('verifies a base64-encoded body on its decoded bytes', async () => {
    const response = await handle(makeWebhookApiEvent({ event: 'issue_comment', body, base64: true }));
    expect(response).toMatchObject({ statusCode: 202 });
    expect(queue.jobs.map((j) => j.kind)).toEqual(['revise']);
  });

  it('does not touch the delivery log before the signature checks out', async () => {
    const deliveryId = 'e0f1c2d3-0000-4000-8000-000000000001';
    await handle(makeWebhookApiEvent({ event: 'issue_comment', body, secret: 'wrong', deliveryId }));
    const { status } = await deliver('issue_comment.created', { deliveryId });
    expect(status).toBe(202);
  });
});

describe('webhook deliveries', () => {
  it('answers ping with 200 and queues nothing', async () => {
    expect(await deliver('ping')).toEqual({ status: 200, body: { ignored: 'ping' } });
    expect(queue.jobs).toEqual([]);
  });

  it('queues one job for the same delivery sent twice', async () => {
    const deliveryId = '72d3162e-cc78-11e3-81ab-4c9367dc0958';
    expect((await deliver('issue_comment.created', { deliveryId })).status).toBe(202);
    const again = await deliver('issue_comment.created', { deliveryId });
    expect(again.status).toBe(200);
    expect(again.body.ignored).toContain('handled already');
    expect(queue.jobs).toHaveLength(1);
  });

  it('treats a captured body replayed under a new delivery id as a repeat (issue #11)', async () => {
    const first = await deliver('issue_comment.created', {
      deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0960',
    });
    expect(first.status).toBe(202);
    const replay = await deliver('issue_comment.created', {
      deliveryId: '0badc0de-0000-4000-8000-000000000000',
    });
    expect(replay.status).toBe(200);
    expect(queue.jobs).toHaveLength(1);
  });

  it('answers 500 and forgets the delivery when the queue refuses, so a redelivery works', async () => {
    const deliveryId = '72d3162e-cc78-11e3-81ab-4c9367dc0959';
    queue.refuseAll = true;
    expect((await deliver('issue_comment.created', { deliveryId })).status).toBe(500);
    queue.refuseAll = false;
    expect((await deliver('issue_comment.created', { deliveryId })).status).toBe(202);
    expect(queue.jobs).toHaveLength(1);
  });

  it('answers 400 to a signed body that is not JSON', async () => {
    const response = await handle(makeWebhookApiEvent({ event: 'issue_comment', body: 'payload=%7B%7D' }));
    expect(response).toMatchObject({ statusCode: 400 });
  });
});

describe('comments', () => {
  it('queues a revise job for a trusted /ai-ops comment on the ai-ops PR', async () => {
    expect((await deliver('issue_comment.created')).status).toBe(202);
    expect(queue.jobs).toHaveLength(1);
    const job = RepairJobSchema.parse(queue.jobs[0]);
    expect(job).toMatchObject({
      v: 1,
      kind: 'revise',
      incidentKey: INCIDENT_KEY,
      repo: { owner: 'acme', name: 'shop', baseBranch: 'main' },
      pr: { number: 2, url: PR_URL, branch: FIX_BRANCH },
      comment: { id: 492700400, body: '/ai-ops also handle a missing email address', author: 'octocat' },
    });
    expect(job.error.exceptionType).toBe('KeyError');
  });

  it('queues a revise job for a trusted review comment', async () => {
    expect((await deliver('pull_request_review_comment.created')).status).toBe(202);
    expect(queue.jobs[0]).toMatchObject({
      kind: 'revise',
      comment: { id: 284312630, body: '/ai-ops return a 404 here instead of None', author: 'octocat' },
    });
  });

  it.each(['NONE', 'CONTRIBUTOR', 'FIRST_TIME_CONTRIBUTOR', 'FIRST_TIMER', 'MANNEQUIN'])(
    'ignores a comment from a %s',
    async (association) => {
      const body = editWebhookFixture('issue_comment.created', [['comment.author_association', association]]);
      const { status, body: answer } = await deliver('issue_comment.created', { body });
      expect(status).toBe(200);
      expect(answer.ignored).toContain('not a collaborator');
      expect(queue.jobs).toEqual([]);
    },
  );

  it.each([
    ['a Bot user', [['comment.user.type', 'Bot']]],
    [
      'a [bot] login',
      [
        ['comment.user.login', 'ai-ops-app[bot]'],
        ['sender.login', 'ai-ops-app[bot]'],
      ],
    ],
  ] as const)('ignores a comment from %s, even a member’s', async (_, edits) => {
    const body = editWebhookFixture('issue_comment.created', [...edits]);
    const { status, body: answer } = await deliver('issue_comment.created', { body });
    expect(status).toBe(200);
    expect(answer.ignored).toContain('bot');
    expect(queue.jobs).toEqual([]);
  });

  it('ignores a comment without the /ai-ops command', async () => {
    const body = editWebhookFixture('issue_comment.created', [['comment.body', 'LGTM, thanks /ai-ops']]);
    expect((await deliver('issue_comment.created', { body })).body.ignored).toBe('not an /ai-ops command');
    expect(queue.jobs).toEqual([]);
  });

  it('ignores a comment on a PR ai-ops did not open (no marker)', async () => {
    const body = editWebhookFixture('issue_comment.created', [['issue.body', 'A human PR']]);
    const { status, body: answer } = await deliver('issue_comment.created', { body });
    expect(status).toBe(200);
    expect(answer.ignored).toContain('marker');
    expect(queue.jobs).toEqual([]);
  });

  it('ignores a comment on another PR that copied the marker', async () => {
    const body = editWebhookFixture('issue_comment.created', [['issue.number', 7]]);
    expect((await deliver('issue_comment.created', { body })).body.ignored).toContain('not the incident');
    expect(queue.jobs).toEqual([]);
  });

  it('ignores a comment on a plain issue', async () => {
    const body = editWebhookFixture('issue_comment.created', [['issue.pull_request', null]]);
    expect((await deliver('issue_comment.created', { body })).status).toBe(200);
    expect(queue.jobs).toEqual([]);
  });
});

describe('CI results', () => {
  it('queues ci_passed for a successful check suite on the fix branch', async () => {
    await linkBranch();
    expect((await deliver('check_suite.completed')).status).toBe(202);
    expect(RepairJobSchema.parse(queue.jobs[0])).toMatchObject({
      kind: 'ci_passed',
      incidentKey: INCIDENT_KEY,
      pr: { number: 2, url: PR_URL, branch: FIX_BRANCH },
      ci: {
        headSha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821',
        conclusion: 'success',
        checkSuiteId: 118578147,
      },
    });
  });

  it('queues ci_failed for a failed workflow run, with the run id for its logs', async () => {
    await linkBranch();
    expect((await deliver('workflow_run.completed')).status).toBe(202);
    expect(queue.jobs[0]).toMatchObject({
      kind: 'ci_failed',
      ci: { conclusion: 'failure', runId: 30433642, checkSuiteId: 42111 },
    });
  });

  it('queues ci_failed for a timed-out suite and nothing for a cancelled one', async () => {
    await linkBranch();
    const timedOut = editWebhookFixture('check_suite.completed', [['check_suite.conclusion', 'timed_out']]);
    await deliver('check_suite.completed', { body: timedOut });
    const cancelled = editWebhookFixture('check_suite.completed', [['check_suite.conclusion', 'cancelled']]);
    expect((await deliver('check_suite.completed', { body: cancelled })).body.ignored).toBe(
      'CI concluded cancelled',
    );
    expect(queue.jobs.map((j) => j.kind)).toEqual(['ci_failed']);
  });

  it('ignores CI on a branch that is not a fix branch, and on an unlinked fix branch', async () => {
    const main = editWebhookFixture('check_suite.completed', [['check_suite.head_branch', 'main']]);
    expect((await deliver('check_suite.completed', { body: main })).status).toBe(200);
    expect((await deliver('check_suite.completed')).body.ignored).toContain('not an ai-ops pull request');
    expect(queue.jobs).toEqual([]);
  });

  it('ignores a requested (not completed) check suite', async () => {
    const requested = editWebhookFixture('check_suite.completed', [['action', 'requested']]);
    expect((await deliver('check_suite.completed', { body: requested })).body.ignored).toBe(
      'check_suite requested',
    );
  });
});

describe('merges', () => {
  it('queues a merged job for the ai-ops PR closed with a merge', async () => {
    expect((await deliver('pull_request.closed-merged')).status).toBe(202);
    expect(RepairJobSchema.parse(queue.jobs[0])).toMatchObject({
      kind: 'merged',
      merge: {
        sha: 'c4295bd74fb0f4fda03689c3df3f2803b658fd85',
        mergedAt: Date.parse('2019-05-15T15:40:38Z'),
      },
    });
  });

  it('queues a dismissed job for the ai-ops PR closed without a merge', async () => {
    const closed = editWebhookFixture('pull_request.closed-merged', [
      ['pull_request.merged', false],
      ['pull_request.merged_at', null],
      ['pull_request.closed_at', '2019-05-15T16:00:00Z'],
    ]);
    expect((await deliver('pull_request.closed-merged', { body: closed })).status).toBe(202);
    expect(RepairJobSchema.parse(queue.jobs[0])).toMatchObject({
      kind: 'dismissed',
      closedAt: Date.parse('2019-05-15T16:00:00Z'),
    });
  });

  it('ignores a merged or closed PR ai-ops did not open', async () => {
    const human = editWebhookFixture('pull_request.closed-merged', [['pull_request.body', 'Bump deps']]);
    expect((await deliver('pull_request.closed-merged', { body: human })).status).toBe(200);
    const closed = editWebhookFixture('pull_request.closed-merged', [
      ['pull_request.body', 'Bump deps'],
      ['pull_request.merged', false],
      ['pull_request.merged_at', null],
    ]);
    expect((await deliver('pull_request.closed-merged', { body: closed })).status).toBe(200);
    expect(queue.jobs).toEqual([]);
  });

  it('does not link a branch from a fork, even with the marker', async () => {
    const fresh = new MemoryIncidentStore();
    await seedIncident(fresh, { recordPr: false });
    const forked = makeHandler({
      webhook: { secret: async () => WEBHOOK_SECRET, deliveries, store: fresh, branchLinks, queue },
      page: { secret: async () => LINK_SECRET, store: fresh, flags: fresh, baseUrl: undefined },
      logger: silent,
    });
    const body = editWebhookFixture('pull_request.opened', [
      ['pull_request.head.repo.full_name', 'mallory/shop'],
    ]);
    const response = (await forked(
      makeWebhookApiEvent({ event: 'pull_request', body }),
    )) as APIGatewayProxyStructuredResultV2;
    expect(response.body).toContain('not the incident');
    expect(
      await branchLinks.find({ repo: { owner: 'acme', name: 'shop' }, branch: FIX_BRANCH }),
    ).toBeUndefined();
  });
});
