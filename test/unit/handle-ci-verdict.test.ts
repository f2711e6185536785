import { describe, expect, it } from 'vitest';
import type { RepairJob } from '../../functions/core/contracts.ts';
import { handleCiVerdict, handleNoCi } from '../../functions/core/follow-up/handle-ci-verdict.ts';
import {
  BRANCH,
  HEAD,
  INCIDENT_KEY,
  makeDeps,
  makeFakeAdvisor,
  makeRepairJob,
  PR_REF,
  proposal,
  seedStore,
} from '../support/follow-up-fakes.ts';

function ciJob(
  kind: 'ci_passed' | 'ci_failed',
  headSha = HEAD,
  conclusion = kind === 'ci_passed' ? 'success' : 'failure',
): RepairJob {
  return makeRepairJob({
    kind,
    pr: PR_REF,
    ci: { headSha, conclusion, runId: 42, url: 'https://github.com/acme/shop/actions/runs/42' },
  });
}

describe('handleCiVerdict: green', () => {
  it('marks the draft ready, comments once and emails once, even when the job is delivered twice', async () => {
    const { deps, github, mailer, store } = makeDeps({ store: await seedStore() });

    const first = await handleCiVerdict(ciJob('ci_passed'), deps);
    const second = await handleCiVerdict(ciJob('ci_passed'), deps);

    expect(first).toMatchObject({ kind: 'ready', headSha: HEAD, pr: { number: 7 } });
    expect(second).toMatchObject({ kind: 'ignored', reason: 'already_done' });
    expect(github.pr.draft).toBe(false);
    expect(github.calls.filter((c) => c === 'markReady')).toHaveLength(1);
    expect(github.comments).toHaveLength(1);
    expect(github.comments[0]?.body).toContain('CI passed');
    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0]?.subject).toContain('ready for review');
    expect(mailer.sent[0]?.text).toContain('https://github.com/acme/shop/pull/7');
    expect((await store.get(INCIDENT_KEY))?.ci).toMatchObject({ headSha: HEAD, conclusion: 'success' });
  });

  it('ignores a green verdict about a commit that is no longer the head', async () => {
    const { deps, github, mailer, store } = makeDeps({ store: await seedStore() });

    const outcome = await handleCiVerdict(ciJob('ci_passed', 'b'.repeat(40)), deps);

    expect(outcome).toMatchObject({ kind: 'ignored', reason: 'stale' });
    expect(github.pr.draft).toBe(true);
    expect(github.comments).toHaveLength(0);
    expect(mailer.sent).toHaveLength(0);
    expect((await store.get(INCIDENT_KEY))?.ci).toBeUndefined();
  });

  it('mails on the retry after the mailer failed, without a second comment', async () => {
    const { deps, github, mailer } = makeDeps({ store: await seedStore() });
    mailer.failNext = 1;

    await expect(handleCiVerdict(ciJob('ci_passed'), deps)).rejects.toThrow('SES throttled');
    const retried = await handleCiVerdict(ciJob('ci_passed'), deps);

    expect(retried.kind).toBe('ready');
    expect(mailer.sent).toHaveLength(1);
    expect(github.comments).toHaveLength(1);
  });

  it('waits while another check run on the head is pending: no ready, no comment, no email, nothing recorded', async () => {
    const { deps, github, mailer, store } = makeDeps({ store: await seedStore() });
    github.combined = 'pending';

    const waiting = await handleCiVerdict(ciJob('ci_passed'), deps);

    expect(waiting).toMatchObject({ kind: 'ignored', reason: 'checks_pending' });
    expect(github.pr.draft).toBe(true);
    expect(github.calls).toEqual([]);
    expect(mailer.sent).toHaveLength(0);
    expect((await store.get(INCIDENT_KEY))?.ci).toBeUndefined();

    // the other workflow completes green: its own verdict marks the draft ready, once
    github.combined = 'success';
    const ready = await handleCiVerdict(ciJob('ci_passed'), deps);
    const again = await handleCiVerdict(ciJob('ci_passed'), deps);

    expect(ready).toMatchObject({ kind: 'ready', headSha: HEAD });
    expect(again).toMatchObject({ kind: 'ignored', reason: 'already_done' });
    expect(github.calls.filter((c) => c === 'markReady')).toHaveLength(1);
    expect(mailer.sent).toHaveLength(1);
  });

  it('leaves the draft when another check run on the head failed (its own ci_failed job revises)', async () => {
    const { deps, github, mailer, store } = makeDeps({ store: await seedStore() });
    github.combined = 'failure';

    const outcome = await handleCiVerdict(ciJob('ci_passed'), deps);

    expect(outcome).toMatchObject({ kind: 'ignored', reason: 'checks_failed' });
    expect(github.pr.draft).toBe(true);
    expect(github.calls).toEqual([]);
    expect(mailer.sent).toHaveLength(0);
    expect((await store.get(INCIDENT_KEY))?.ci).toBeUndefined();
  });

  it('lets the verdict decide alone when the API lists no check runs on the head', async () => {
    const { deps, github } = makeDeps({ store: await seedStore() });
    github.combined = 'none';

    expect(await handleCiVerdict(ciJob('ci_passed'), deps)).toMatchObject({ kind: 'ready' });
    expect(github.pr.draft).toBe(false);
  });

  it('decides by the conclusion, not the job kind: a cancelled run does nothing', async () => {
    const { deps, github, mailer } = makeDeps({ store: await seedStore() });

    expect(await handleCiVerdict(ciJob('ci_passed', HEAD, 'cancelled'), deps)).toMatchObject({
      reason: 'inconclusive',
    });
    expect(await handleCiVerdict(ciJob('ci_failed', HEAD, 'success'), deps)).toMatchObject({
      reason: 'inconclusive',
    });
    expect(github.calls).toEqual([]);
    expect(mailer.sent).toHaveLength(0);
  });
});

describe('handleCiVerdict: red', () => {
  it('pushes a revision commit on the fix branch from the failing logs, fenced in the prompt', async () => {
    const advisor = makeFakeAdvisor([proposal()]);
    const { deps, github, workspaces, store } = makeDeps({ store: await seedStore(), advisor });

    const outcome = await handleCiVerdict(ciJob('ci_failed'), deps);

    expect(outcome).toMatchObject({ kind: 'revised', resumed: false });
    expect(workspaces.clones).toEqual([BRANCH]);
    expect(workspaces.pushes).toHaveLength(1);
    expect(workspaces.pushes[0]).toMatchObject({ branch: BRANCH, files: ['src/users.py'] });
    expect(workspaces.pushes[0]?.message).toContain(`AI-Ops-Revision: ci-${HEAD}`);
    const prompt = advisor.requests[0]?.prompt ?? '';
    const fence = prompt.match(/AIOPS-DATA-[0-9a-f]+/)?.[0] ?? 'missing';
    expect(prompt).toMatch(new RegExp(`${fence}\\nFAILED tests/test_users.py::test_get\\n${fence}`));
    expect(github.comments).toHaveLength(1);
    expect(github.comments[0]?.body).toContain('CI failed');
    const incident = await store.get(INCIDENT_KEY);
    expect(incident).toMatchObject({ status: 'pr_open', ciFailures: 1, revisions: 1 });
    expect(incident?.ci).toMatchObject({ headSha: HEAD, conclusion: 'failure' });
  });

  it('after two failed commits labels needs-human, comments and emails once, with no third model call', async () => {
    const advisor = makeFakeAdvisor([proposal(), proposal()]);
    const { deps, github, mailer, workspaces } = makeDeps({ store: await seedStore(), advisor });

    await handleCiVerdict(ciJob('ci_failed'), deps);
    const revisedHead = github.heads.get(BRANCH)?.sha ?? '';
    const second = await handleCiVerdict(ciJob('ci_failed', revisedHead), deps);
    const redelivered = await handleCiVerdict(ciJob('ci_failed', revisedHead), deps);

    expect(second).toMatchObject({ kind: 'needs_human' });
    expect(redelivered).toMatchObject({ kind: 'ignored', reason: 'already_done' });
    // the first fix was model call 1 (outside this test), the revision call 2: no call 3
    expect(advisor.requests).toHaveLength(1);
    expect(workspaces.pushes).toHaveLength(1);
    expect(github.pr.labels).toContain('needs-human');
    expect(github.comments.filter((c) => c.body.includes('needs-human'))).toHaveLength(1);
    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0]?.subject).toContain('needs a person');
    expect(github.pr.draft).toBe(true);
  });

  it('ignores a red verdict for an older commit, and a redelivered one after the revision', async () => {
    const advisor = makeFakeAdvisor([proposal()]);
    const { deps, workspaces } = makeDeps({ store: await seedStore(), advisor });

    expect(await handleCiVerdict(ciJob('ci_failed', 'b'.repeat(40)), deps)).toMatchObject({
      reason: 'stale',
    });
    await handleCiVerdict(ciJob('ci_failed'), deps);
    expect(await handleCiVerdict(ciJob('ci_failed'), deps)).toMatchObject({ kind: 'revised', resumed: true });
    expect(workspaces.pushes).toHaveLength(1);
    expect(advisor.requests).toHaveLength(1);
  });

  it('finishes the record without pushing again when the job stopped right after the push', async () => {
    const advisor = makeFakeAdvisor([proposal(), proposal()]);
    const seeded = await seedStore();
    const { deps, workspaces, store, github } = makeDeps({ store: seeded, advisor });
    const transition = seeded.transition.bind(seeded);
    // The record after the push and the release in the error path both fail, like a process that died.
    let crashes = 2;
    seeded.transition = async (input) => {
      if (crashes > 0 && input.from === 'analyzing' && input.to === 'pr_open') {
        crashes -= 1;
        throw new Error('Lambda timed out');
      }
      return transition(input);
    };

    await expect(handleCiVerdict(ciJob('ci_failed'), deps)).rejects.toThrow('Lambda timed out');
    expect((await store.get(INCIDENT_KEY))?.status).toBe('analyzing');
    const resumed = await handleCiVerdict(ciJob('ci_failed'), deps);

    expect(resumed).toMatchObject({ kind: 'revised', resumed: true });
    expect(workspaces.pushes).toHaveLength(1);
    expect(advisor.requests).toHaveLength(1);
    expect(await store.get(INCIDENT_KEY)).toMatchObject({ status: 'pr_open', ciFailures: 1, revisions: 1 });
    expect(github.comments).toHaveLength(1);
  });

  it('asks for a person when the model proposes no acceptable revision', async () => {
    const forbidden = proposal({
      edits: [{ path: '.github/workflows/ci.yml', oldText: 'on: push\n', newText: 'on: []\n' }],
    });
    const advisor = makeFakeAdvisor([forbidden, forbidden]);
    const { deps, workspaces, mailer, github } = makeDeps({ store: await seedStore(), advisor });

    const outcome = await handleCiVerdict(ciJob('ci_failed'), deps);

    expect(outcome).toMatchObject({ kind: 'needs_human' });
    expect(workspaces.pushes).toHaveLength(0);
    expect(github.pr.labels).toContain('needs-human');
    expect(mailer.sent).toHaveLength(1);
  });
});

describe('handleNoCi', () => {
  it('leaves the draft with one explanation when nothing reported a check', async () => {
    const { deps, github } = makeDeps({ store: await seedStore() });
    github.checks = false;

    expect(await handleNoCi({ incidentKey: INCIDENT_KEY }, deps)).toMatchObject({ kind: 'left_draft' });
    await handleNoCi({ incidentKey: INCIDENT_KEY }, deps);

    expect(github.pr.draft).toBe(true);
    expect(github.comments).toHaveLength(1);
    expect(github.comments[0]?.body).toContain('No CI check ran');
  });

  it('marks it ready and emails when the policy says so', async () => {
    const { deps, github, mailer } = makeDeps({
      store: await seedStore(),
      settings: { noCiPolicy: 'mark_ready' },
    });
    github.checks = false;

    expect(await handleNoCi({ incidentKey: INCIDENT_KEY }, deps)).toMatchObject({ kind: 'ready' });
    expect(github.pr.draft).toBe(false);
    expect(mailer.sent).toHaveLength(1);
  });

  it('waits for the verdict when the head has checks', async () => {
    const { deps, github } = makeDeps({ store: await seedStore(), settings: { noCiPolicy: 'mark_ready' } });

    expect(await handleNoCi({ incidentKey: INCIDENT_KEY }, deps)).toEqual({ kind: 'has_ci' });
    expect(github.calls).toEqual([]);
  });
});
