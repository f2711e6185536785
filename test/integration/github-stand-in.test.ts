import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Octokit } from '@octokit/rest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  bareRepoBranchResolver,
  type GitHubStandIn,
  startGitHubStandIn,
} from '../support/github-stand-in.ts';

// The stand-in is shared test infrastructure: these tests pin the parts the PR adapter's tests do not reach.

const TOKEN = ['ghs', 'standInToken000000000000000000000000'].join('_');
const MAIN_SHA = 'a'.repeat(40);
const FIX_SHA = 'b'.repeat(40);
const SILENT = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

let gh: GitHubStandIn;
let octokit: Octokit;

beforeEach(async () => {
  gh = await startGitHubStandIn();
  gh.addRepo({ owner: 'acme', repo: 'orders', branches: { main: MAIN_SHA, 'fix/x': FIX_SHA } });
  octokit = new Octokit({ auth: TOKEN, baseUrl: gh.baseUrl, log: SILENT });
});

afterEach(async () => {
  await gh.close();
});

async function openPull() {
  const { data } = await octokit.rest.pulls.create({
    owner: 'acme',
    repo: 'orders',
    head: 'fix/x',
    base: 'main',
    title: 't',
    draft: true,
  });
  return data;
}

describe('GitHub stand-in', () => {
  it('marks a draft PR ready for review through the GraphQL mutation', async () => {
    const pull = await openPull();
    const result = await octokit.graphql<{
      markPullRequestReadyForReview: { pullRequest: { isDraft: boolean; number: number } };
    }>(
      'mutation($id: ID!) { markPullRequestReadyForReview(input: { pullRequestId: $id }) { pullRequest { isDraft number } } }',
      { id: pull.node_id },
    );

    expect(result.markPullRequestReadyForReview.pullRequest).toMatchObject({
      isDraft: false,
      number: pull.number,
    });
    expect(gh.pulls({ owner: 'acme', repo: 'orders' })[0]?.draft).toBe(false);
    expect(gh.requests.at(-1)?.path).toBe('/api/graphql');
  });

  it('answers GraphQL NOT_FOUND for an unknown node id', async () => {
    const error = await octokit
      .graphql(
        'mutation($id: ID!) { markPullRequestReadyForReview(input: { pullRequestId: $id }) { pullRequest { isDraft } } }',
        {
          id: 'PR_nope',
        },
      )
      .catch((e: unknown) => e);
    expect(String(error)).toContain("Could not resolve to a node with the global id of 'PR_nope'");
  });

  it('serves check runs set by the test, by branch or sha', async () => {
    gh.setCheckRuns({
      owner: 'acme',
      repo: 'orders',
      ref: FIX_SHA,
      checkRuns: [
        { name: 'test', conclusion: 'failure', output: { title: '1 failed' } },
        { name: 'lint', status: 'in_progress' },
      ],
    });
    const { data } = await octokit.rest.checks.listForRef({ owner: 'acme', repo: 'orders', ref: 'fix/x' });

    expect(data.total_count).toBe(2);
    expect(data.check_runs.map((r) => [r.name, r.status, r.conclusion, r.head_sha])).toEqual([
      ['test', 'completed', 'failure', FIX_SHA],
      ['lint', 'in_progress', null, FIX_SHA],
    ]);
  });

  it('answers collaborator permissions, `none` for strangers', async () => {
    gh.setPermission({ owner: 'acme', repo: 'orders', user: 'alice', permission: 'maintain' });
    const alice = await octokit.rest.repos.getCollaboratorPermissionLevel({
      owner: 'acme',
      repo: 'orders',
      username: 'alice',
    });
    const mallory = await octokit.rest.repos.getCollaboratorPermissionLevel({
      owner: 'acme',
      repo: 'orders',
      username: 'mallory',
    });

    expect(alice.data).toMatchObject({
      permission: 'write',
      role_name: 'maintain',
      user: { login: 'alice' },
    });
    expect(mallory.data.permission).toBe('none');
  });

  it('lists PRs filtered by head and state, ignoring a head without an owner like GitHub does', async () => {
    await openPull();
    const byHead = await octokit.rest.pulls.list({ owner: 'acme', repo: 'orders', head: 'acme:fix/x' });
    const otherHead = await octokit.rest.pulls.list({ owner: 'acme', repo: 'orders', head: 'acme:fix/y' });
    const bareHead = await octokit.rest.pulls.list({ owner: 'acme', repo: 'orders', head: 'fix/y' });
    const closed = await octokit.rest.pulls.list({ owner: 'acme', repo: 'orders', state: 'closed' });

    expect(byHead.data).toHaveLength(1);
    expect(otherHead.data).toHaveLength(0);
    expect(bareHead.data).toHaveLength(1);
    expect(closed.data).toHaveLength(0);
  });

  it('refuses a PR whose head branch does not exist (422) and an unknown repo (404)', async () => {
    const badHead = await octokit.rest.pulls
      .create({ owner: 'acme', repo: 'orders', head: 'nope', base: 'main', title: 't' })
      .catch((e: unknown) => e);
    const badRepo = await octokit.rest.pulls
      .create({ owner: 'acme', repo: 'nope', head: 'fix/x', base: 'main', title: 't' })
      .catch((e: unknown) => e);
    expect(badHead).toMatchObject({ status: 422 });
    expect(badRepo).toMatchObject({ status: 404 });
  });

  it('injects faults for the next N requests to one route, and records requests', async () => {
    gh.failNext({ route: 'GET /repos/{owner}/{repo}', times: 2, fault: { kind: 'unauthorized' } });
    const first = await octokit.rest.repos.get({ owner: 'acme', repo: 'orders' }).catch((e: unknown) => e);
    const second = await octokit.rest.repos.get({ owner: 'acme', repo: 'orders' }).catch((e: unknown) => e);
    const third = await octokit.rest.repos.get({ owner: 'acme', repo: 'orders' });

    expect([first, second]).toMatchObject([{ status: 401 }, { status: 401 }]);
    expect(third.data.default_branch).toBe('main');
    expect(gh.requests.map((r) => r.status)).toEqual([401, 401, 200]);
    expect(gh.requests[0]?.headers.authorization).toBe(`token ${TOKEN}`);
  });

  it('rejects tokens it was not given when started with a token list', async () => {
    const strict = await startGitHubStandIn({ tokens: [TOKEN], basePath: '' });
    try {
      strict.addRepo({ owner: 'acme', repo: 'orders' });
      const other = new Octokit({ auth: 'ghs_other', baseUrl: strict.baseUrl, log: SILENT });
      const error = await other.rest.repos.get({ owner: 'acme', repo: 'orders' }).catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 401 });
      expect(strict.requests[0]?.path).toBe('/repos/acme/orders');
    } finally {
      await strict.close();
    }
  });

  it('reads branch heads from a bare git repository', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gh-stand-in-'));
    try {
      const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
      git('init', '--quiet', '--bare', '--initial-branch=main', 'orders.git');
      git('init', '--quiet', '--initial-branch=main', 'work');
      const work = (...args: string[]) =>
        execFileSync(
          'git',
          ['-C', join(root, 'work'), '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args],
          {
            encoding: 'utf8',
          },
        ).trim();
      work('commit', '--quiet', '--allow-empty', '-m', 'init');
      work('push', '--quiet', join(root, 'orders.git'), 'main');
      const head = work('rev-parse', 'HEAD');

      const linked = await startGitHubStandIn({
        resolveBranch: bareRepoBranchResolver({
          dirFor: (owner, repo) => (owner === 'acme' ? join(root, `${repo}.git`) : undefined),
        }),
      });
      try {
        linked.addRepo({ owner: 'acme', repo: 'orders' });
        const client = new Octokit({ auth: TOKEN, baseUrl: linked.baseUrl, log: SILENT });
        const { data } = await client.rest.repos.getBranch({ owner: 'acme', repo: 'orders', branch: 'main' });
        expect(data.commit.sha).toBe(head);
        const missing = await client.rest.repos
          .getBranch({ owner: 'acme', repo: 'orders', branch: 'nope' })
          .catch((e: unknown) => e);
        expect(missing).toMatchObject({ status: 404 });
      } finally {
        await linked.close();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
