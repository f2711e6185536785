import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OctokitCodeHost } from '../../functions/adapters/octokit-code-host.ts';
import { OctokitPullRequests } from '../../functions/adapters/octokit-pull-requests.ts';
import { replyMarker } from '../../functions/core/follow-up/comment-once.ts';
import { GitHubAuthError, GitHubNotFoundError } from '../../functions/core/ports/pull-requests.ts';
import { type GitHubStandIn, startGitHubStandIn } from '../support/github-stand-in.ts';

// Obviously fake; built by concatenation so secret scanners stay quiet.
const TOKEN = ['ghs', 'standInToken000000000000000000000000'].join('_');
const FAKE_AWS_KEY = `AKIA${'Q'.repeat(16)}`;
const REPO = { owner: 'acme', name: 'orders' };
const BRANCH = 'fix/value-error-parse-order-1a2b3c4d';
const MAIN_SHA = 'a'.repeat(40);
const FIX_SHA = 'b'.repeat(40);

let gh: GitHubStandIn;

function makeCodeHost(overrides: Partial<ConstructorParameters<typeof OctokitCodeHost>[0]> = {}) {
  return new OctokitCodeHost({ auth: TOKEN, baseUrl: gh.baseUrl, ...overrides });
}

async function openDraft(): Promise<{ number: number; nodeId: string }> {
  const prs = new OctokitPullRequests({ auth: TOKEN, baseUrl: gh.baseUrl });
  const { pr } = await prs.open({ repo: REPO, head: BRANCH, base: 'main', title: 'fix(ai): x', body: 'b' });
  return { number: pr.number, nodeId: pr.nodeId };
}

beforeEach(async () => {
  gh = await startGitHubStandIn({ tokens: [TOKEN] });
  gh.addRepo({ owner: REPO.owner, repo: REPO.name, branches: { main: MAIN_SHA, [BRANCH]: FIX_SHA } });
});

afterEach(async () => {
  await gh.close();
});

describe('OctokitCodeHost against the GitHub stand-in', () => {
  it('marks a draft ready for review through GraphQL (REST cannot)', async () => {
    const pr = await openDraft();

    await makeCodeHost().markReadyForReview({ repo: REPO, ...pr });

    expect(gh.pulls(REPO_ARGS())[0]?.draft).toBe(false);
    expect(gh.requests.at(-1)).toMatchObject({ method: 'POST', path: '/api/graphql', status: 200 });
  });

  it('reports an unknown node as not found', async () => {
    await expect(
      makeCodeHost().markReadyForReview({ repo: REPO, number: 9, nodeId: 'PR_nope' }),
    ).rejects.toBeInstanceOf(GitHubNotFoundError);
  });

  it('confirms write permission for write, maintain and admin, and denies triage, read and strangers', async () => {
    const host = makeCodeHost();
    const perms = ['admin', 'maintain', 'write', 'triage', 'read'] as const;
    for (const permission of perms) gh.setPermission({ ...REPO_ARGS(), user: `u-${permission}`, permission });

    const answers = await Promise.all(
      [...perms, 'stranger'].map((p) => host.hasWritePermission({ repo: REPO, user: `u-${p}` })),
    );

    expect(answers).toEqual([true, true, true, false, false, false]);
  });

  it('fetches failing Actions job logs of a workflow run through the redirect, without the token, redacted and cut to the end', async () => {
    const longLog = [
      ...Array.from({ length: 2000 }, (_, i) => `2024-05-01T10:00:00.0000000Z setup line ${i}`),
      `2024-05-01T10:00:01.0000000Z aws_key=${FAKE_AWS_KEY}`,
      '2024-05-01T10:00:02.0000000Z FAILED tests/test_orders.py::test_parse - ValueError',
    ].join('\n');
    const [, failing] = gh.addWorkflowJobs({
      ...REPO_ARGS(),
      runId: 42,
      checkSuiteId: 77,
      headSha: FIX_SHA,
      jobs: [
        { name: 'lint', conclusion: 'success', log: 'ok' },
        { name: 'test', conclusion: 'failure', log: longLog },
      ],
    });

    const logs = await makeCodeHost().failingJobLogs({
      repo: REPO,
      runId: 42,
      headSha: FIX_SHA,
      maxChars: 1000,
    });

    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ name: 'test', conclusion: 'failure', truncated: true });
    expect(logs[0]?.log.length).toBeLessThanOrEqual(1000);
    expect(logs[0]?.log).toMatch(/FAILED tests\/test_orders.py::test_parse - ValueError$/);
    expect(logs[0]?.log).not.toContain(FAKE_AWS_KEY);
    expect(logs[0]?.log).not.toContain('2024-05-01T');
    const blob = gh.requests.find((r) => r.path === `/_blobs/job-logs/${failing?.id}`);
    expect(blob).toBeDefined();
    expect(blob?.headers.authorization).toBeUndefined();
  });

  it('finds the failing jobs of a check suite too', async () => {
    gh.addWorkflowJobs({
      ...REPO_ARGS(),
      runId: 43,
      checkSuiteId: 78,
      headSha: FIX_SHA,
      jobs: [{ name: 'build', conclusion: 'timed_out', log: 'killed after 6h' }],
    });

    const logs = await makeCodeHost().failingJobLogs({
      repo: REPO,
      checkSuiteId: 78,
      headSha: FIX_SHA,
      maxChars: 500,
    });

    expect(logs).toEqual([
      expect.objectContaining({
        name: 'build',
        conclusion: 'timed_out',
        log: 'killed after 6h',
        truncated: false,
      }),
    ]);
  });

  it('reads the branch head with its commit message, and undefined for a missing branch', async () => {
    gh.setCommitMessage({ ...REPO_ARGS(), sha: FIX_SHA, message: 'fix(ai): x\n\nAI-Ops-Revision: ci-1\n' });
    const host = makeCodeHost();

    expect(await host.branchHead({ repo: REPO, branch: BRANCH })).toEqual({
      sha: FIX_SHA,
      message: 'fix(ai): x\n\nAI-Ops-Revision: ci-1\n',
    });
    expect(await host.branchHead({ repo: REPO, branch: 'gone' })).toBeUndefined();
  });

  it('reads the PR diff as text, cut to the bound', async () => {
    const pr = await openDraft();
    const diff = `diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+${'b'.repeat(500)}\n`;
    gh.setPullDiff({ ...REPO_ARGS(), number: pr.number, diff });
    const host = makeCodeHost();

    expect(await host.pullRequestDiff({ repo: REPO, number: pr.number, maxChars: 10_000 })).toBe(diff);
    expect(await host.pullRequestDiff({ repo: REPO, number: pr.number, maxChars: 40 })).toBe(
      `${diff.slice(0, 40)}\n…[diff cut at 40 characters]`,
    );
  });

  it('finds our own reply by its marker', async () => {
    const pr = await openDraft();
    const prs = new OctokitPullRequests({ auth: TOKEN, baseUrl: gh.baseUrl });
    await prs.comment({ repo: REPO, number: pr.number, body: 'unrelated' });
    const posted = await prs.comment({
      repo: REPO,
      number: pr.number,
      body: `done\n\n${replyMarker('reply=comment-5')}`,
    });
    const host = makeCodeHost();

    expect(
      await host.findComment({ repo: REPO, number: pr.number, marker: replyMarker('reply=comment-5') }),
    ).toEqual(posted);
    expect(
      await host.findComment({ repo: REPO, number: pr.number, marker: replyMarker('reply=comment-6') }),
    ).toBeUndefined();
  });

  it('tells a head with checks from one without', async () => {
    gh.setCheckRuns({ ...REPO_ARGS(), ref: FIX_SHA, checkRuns: [{ name: 'test' }] });
    const host = makeCodeHost();

    expect(await host.hasChecks({ repo: REPO, sha: FIX_SHA })).toBe(true);
    expect(await host.hasChecks({ repo: REPO, sha: MAIN_SHA })).toBe(false);
  });

  it('maps a bad token to GitHubAuthError', async () => {
    await expect(
      makeCodeHost({ auth: 'wrong' }).branchHead({ repo: REPO, branch: BRANCH }),
    ).rejects.toBeInstanceOf(GitHubAuthError);
  });
});

function REPO_ARGS() {
  return { owner: REPO.owner, repo: REPO.name };
}
