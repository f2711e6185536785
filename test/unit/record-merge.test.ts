import { describe, expect, it } from 'vitest';
import type { RepairJob } from '../../functions/core/contracts.ts';
import {
  announceRegression,
  recordMerge,
  settleResolved,
} from '../../functions/core/follow-up/record-merge.ts';
import { decideRecurrence } from '../../functions/core/incident/incident-rules.ts';
import {
  BRANCH,
  INCIDENT_KEY,
  makeDeps,
  makeRepairJob,
  PR_REF,
  seedStore,
} from '../support/follow-up-fakes.ts';

const MERGED_AT = 1_700_000_500_000;
const MERGE_SHA = 'd'.repeat(40);
const HOUR = 60 * 60 * 1000;

function job(kind: 'merged' | 'repair'): RepairJob {
  return makeRepairJob({
    kind,
    pr: PR_REF,
    ...(kind === 'merged' ? { merge: { sha: MERGE_SHA, mergedAt: MERGED_AT } } : {}),
  });
}

describe('recordMerge', () => {
  it('moves the incident to resolved_pending with the merge, once', async () => {
    const store = await seedStore();

    expect(await recordMerge(job('merged'), { store })).toEqual({
      kind: 'resolved_pending',
      merge: { sha: MERGE_SHA, mergedAt: MERGED_AT },
    });
    expect(await recordMerge(job('merged'), { store })).toMatchObject({
      kind: 'ignored',
      reason: 'already_done',
    });
    expect(await store.get(INCIDENT_KEY)).toMatchObject({
      status: 'resolved_pending',
      merge: { sha: MERGE_SHA, mergedAt: MERGED_AT },
    });
  });

  it("ignores the merge of another PR than the incident's", async () => {
    const store = await seedStore();
    const other = { ...job('merged'), pr: { number: 3, url: 'u', branch: 'b' } };

    expect(await recordMerge(other, { store })).toMatchObject({
      kind: 'ignored',
      reason: 'other_pull_request',
    });
    expect((await store.get(INCIDENT_KEY))?.status).toBe('pr_open');
  });
});

describe('settleResolved', () => {
  it('resolves a merged fix whose error stayed away for the whole window, and records it', async () => {
    const store = await seedStore();
    await recordMerge(job('merged'), { store });
    const incident = (await store.get(INCIDENT_KEY)) ?? expect.unreachable();

    expect(await settleResolved({ incident, now: MERGED_AT + HOUR, windowMs: 24 * HOUR, store })).toEqual({
      kind: 'waiting',
      until: MERGED_AT + 24 * HOUR,
    });
    expect(
      await settleResolved({ incident, now: MERGED_AT + 24 * HOUR, windowMs: 24 * HOUR, store }),
    ).toEqual({
      kind: 'resolved',
    });
    expect(await store.get(INCIDENT_KEY)).toMatchObject({ status: 'resolved', merge: { sha: MERGE_SHA } });
  });

  it('reopens as a regression when the error was seen after the grace period', async () => {
    const store = await seedStore({ lastSeen: MERGED_AT + 2 * HOUR });
    await recordMerge(job('merged'), { store });
    const incident = (await store.get(INCIDENT_KEY)) ?? expect.unreachable();

    const outcome = await settleResolved({ incident, now: MERGED_AT + 3 * HOUR, graceMs: HOUR, store });

    expect(outcome).toEqual({ kind: 'regression' });
    expect(await store.get(INCIDENT_KEY)).toMatchObject({ status: 'new', regression: true });
  });
});

describe('announceRegression', () => {
  async function reopenedByDetector() {
    const store = await seedStore();
    await recordMerge(job('merged'), { store });
    const action = decideRecurrence('resolved_pending', { mergedAt: MERGED_AT, now: MERGED_AT + 2 * HOUR });
    expect(action).toEqual({ kind: 'enqueue', reopenFrom: 'resolved_pending' });
    await store.transition({ incidentKey: INCIDENT_KEY, from: 'resolved_pending', to: 'new' });
    return store;
  }

  it('comments on the merged PR, emails once and resets the incident for a new fix on a new branch', async () => {
    const { deps, github, mailer, store } = makeDeps({ store: await reopenedByDetector() });

    const first = await announceRegression(job('repair'), deps);
    const second = await announceRegression(job('repair'), deps);

    expect(first).toEqual({ kind: 'reopened', branch: `${BRANCH}-after-ddddddd`, commented: true });
    expect(second).toEqual({ kind: 'not_regression' });
    expect(github.comments).toHaveLength(1);
    expect(github.comments[0]?.body).toContain('came back after this fix was merged');
    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0]?.subject).toContain('regression');
    expect(mailer.sent[0]?.text).toContain('PR #7');
    const incident = await store.get(INCIDENT_KEY);
    expect(incident).toMatchObject({
      status: 'analyzing',
      regression: true,
      branch: `${BRANCH}-after-ddddddd`,
    });
    expect(incident?.prNumber).toBeUndefined();
    expect(incident?.analysis).toBeUndefined();
    expect(incident?.emailedAt).toBeUndefined();
    expect(incident?.merge).toBeUndefined();
  });

  it('is a no-op for an ordinary new incident', async () => {
    const { deps, github, mailer } = makeDeps({ store: await seedStore() });

    expect(await announceRegression(job('repair'), deps)).toEqual({ kind: 'not_regression' });
    expect(github.calls).toEqual([]);
    expect(mailer.sent).toHaveLength(0);
  });

  it('retries the email without a second comment when the mailer failed', async () => {
    const { deps, github, mailer } = makeDeps({ store: await reopenedByDetector() });
    mailer.failNext = 1;

    await expect(announceRegression(job('repair'), deps)).rejects.toThrow('SES throttled');
    expect((await announceRegression(job('repair'), deps)).kind).toBe('reopened');
    expect(github.comments).toHaveLength(1);
    expect(mailer.sent).toHaveLength(1);
  });
});
