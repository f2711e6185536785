import { describe, expect, it } from 'vitest';
import { pollPullRequests } from '../../functions/core/follow-up/poll-pull-requests.ts';
import {
  BRANCH,
  HEAD,
  INCIDENT_KEY,
  makeDeps,
  makeFakeAdvisor,
  makeFakeGitHub,
  proposal,
  seedStore,
} from '../support/follow-up-fakes.ts';

async function world({ script = [] }: { script?: Parameters<typeof makeFakeAdvisor>[0] } = {}) {
  const store = await seedStore();
  const github = makeFakeGitHub();
  const made = makeDeps({ store, github, advisor: makeFakeAdvisor(script) });
  const poll = () =>
    pollPullRequests({
      store,
      followUpDeps: async () => made.deps,
      now: () => 1_700_000_200_000,
    });
  return { ...made, store, github, poll };
}

describe('pollPullRequests: the webhook’s work on a machine no webhook reaches', () => {
  it('waits while a check runs or none reported, then marks the draft ready once every check passed — once', async () => {
    const { poll, github, mailer, store } = await world();
    github.combined = 'pending';
    expect(await poll()).toEqual([{ incidentKey: INCIDENT_KEY, kind: 'waiting', checks: 'pending' }]);
    github.combined = 'none';
    expect(await poll()).toEqual([{ incidentKey: INCIDENT_KEY, kind: 'waiting', checks: 'none' }]);
    expect(github.pr.draft).toBe(true);

    github.combined = 'success';
    const [ready] = await poll();
    expect(ready).toMatchObject({ kind: 'verdict', outcome: { kind: 'ready', headSha: HEAD } });
    expect(github.pr.draft).toBe(false);
    expect(mailer.sent.map((m) => m.subject)).toEqual([expect.stringContaining('ready for review')]);
    expect((await store.get(INCIDENT_KEY))?.ci).toMatchObject({ headSha: HEAD, conclusion: 'success' });

    // The next sweeps see the same head: nothing more is done or mailed.
    expect(await poll()).toEqual([{ incidentKey: INCIDENT_KEY, kind: 'unchanged' }]);
    expect(mailer.sent).toHaveLength(1);
    expect(github.comments.filter((c) => c.body.includes('ready for review'))).toHaveLength(1);
  });

  it('red checks → a revision from the failing logs of every check on the head; red again → needs-human', async () => {
    const { poll, github, workspaces, store, advisor } = await world({
      script: [proposal({ title: 'Handle it' })],
    });
    github.combined = 'failure';
    const [revised] = await poll();
    expect(revised).toMatchObject({ kind: 'verdict', outcome: { kind: 'revised' } });
    expect(github.calls).toContain('logs');
    expect(advisor.requests[0]?.prompt).toContain('FAILED tests/test_users.py::test_get');
    expect(workspaces.pushes.map((p) => p.branch)).toEqual([BRANCH]);
    expect((await store.get(INCIDENT_KEY))?.ciFailures).toBe(1);

    // CI fails on the revision too (the new head): a person is asked, no second model call.
    const [stop] = await poll();
    expect(stop).toMatchObject({ kind: 'verdict', outcome: { kind: 'needs_human' } });
    expect(github.pr.labels).toContain('needs-human');
    expect(advisor.requests).toHaveLength(1);
    expect(await poll()).toEqual([{ incidentKey: INCIDENT_KEY, kind: 'unchanged' }]);
  });

  it('a merged PR → resolved_pending with its merge recorded', async () => {
    const { poll, github, store } = await world();
    Object.assign(github.pr, {
      state: 'closed',
      merged: true,
      mergedAt: 1_700_000_150_000,
      mergeCommitSha: 'm'.repeat(40),
    });
    const [merged] = await poll();
    expect(merged).toMatchObject({ kind: 'merged', outcome: { kind: 'resolved_pending' } });
    expect(await store.get(INCIDENT_KEY)).toMatchObject({
      status: 'resolved_pending',
      merge: { sha: 'm'.repeat(40), mergedAt: 1_700_000_150_000 },
    });
    // resolved_pending is no longer an open PR: the poll leaves it to the sweep's post-merge rules.
    expect(await poll()).toEqual([]);
  });

  it('a PR closed without a merge dismisses the incident, linking the closed PR, and nothing else', async () => {
    const { poll, github, store } = await world();
    Object.assign(github.pr, { state: 'closed', merged: false });
    expect(await poll()).toEqual([
      {
        incidentKey: INCIDENT_KEY,
        kind: 'closed',
        outcome: { kind: 'dismissed', closedAt: 1_700_000_200_000 },
      },
    ]);
    const incident = await store.get(INCIDENT_KEY);
    expect(incident?.status).toBe('dismissed');
    expect(incident?.dismissedPr?.number).toBe(7);
    // dismissed is no longer polled
    expect(await poll()).toEqual([]);
  });

  it('one failing PR does not stop the poll', async () => {
    const { poll, github } = await world();
    github.codeHost.combinedChecks = async () => {
      throw new Error('GitHub is down');
    };
    expect(await poll()).toEqual([{ incidentKey: INCIDENT_KEY, kind: 'failed', message: 'GitHub is down' }]);
  });
});
