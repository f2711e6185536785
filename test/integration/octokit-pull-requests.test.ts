import { Octokit } from '@octokit/rest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pinnedFetch } from '../../functions/adapters/github-octokit.ts';
import { OctokitPullRequests } from '../../functions/adapters/octokit-pull-requests.ts';
import {
  GitHubAuthError,
  GitHubNotFoundError,
  GitHubRateLimitError,
  GitHubRequestError,
  GitHubServerError,
  isRetryableGitHubError,
  type OpenPullRequestRequest,
} from '../../functions/core/ports/pull-requests.ts';
import { type GitHubStandIn, startGitHubStandIn } from '../support/github-stand-in.ts';

// Obviously fake; built by concatenation so secret scanners stay quiet.
const TOKEN = ['ghs', 'standInToken000000000000000000000000'].join('_');
const REPO = { owner: 'acme', name: 'orders' };
const BRANCH = 'fix/value-error-parse-order-1a2b3c4d';
const MAIN_SHA = 'a'.repeat(40);
const FIX_SHA = 'b'.repeat(40);

let gh: GitHubStandIn;
let sleeps: number[];

function makeAdapter(overrides: Partial<ConstructorParameters<typeof OctokitPullRequests>[0]> = {}) {
  return new OctokitPullRequests({
    auth: TOKEN,
    baseUrl: gh.baseUrl,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...overrides,
  });
}

function makeOpenRequest(overrides: Partial<OpenPullRequestRequest> = {}): OpenPullRequestRequest {
  return {
    repo: REPO,
    head: BRANCH,
    base: 'main',
    title: 'fix(ai): Reject non-numeric order ids',
    body: 'body\n**Occurrences:** 1 <!-- ai-ops:occurrences -->',
    labels: ['ai-ops'],
    ...overrides,
  };
}

beforeEach(async () => {
  sleeps = [];
  gh = await startGitHubStandIn({ tokens: [TOKEN] });
  gh.addRepo({ owner: REPO.owner, repo: REPO.name, branches: { main: MAIN_SHA, [BRANCH]: FIX_SHA } });
});

afterEach(async () => {
  await gh.close();
});

describe('OctokitPullRequests against the GitHub stand-in', () => {
  it('opens a draft PR with the ai-ops label, creating the label first', async () => {
    const outcome = await makeAdapter().open(makeOpenRequest());

    expect(outcome.kind).toBe('opened');
    expect(outcome.pr).toMatchObject({
      number: 1,
      draft: true,
      state: 'open',
      headBranch: BRANCH,
      headSha: FIX_SHA,
      baseBranch: 'main',
      labels: ['ai-ops'],
      url: `${gh.origin}/acme/orders/pull/1`,
    });
    expect(gh.pulls({ owner: 'acme', repo: 'orders' })).toHaveLength(1);
    expect(gh.labels({ owner: 'acme', repo: 'orders' }).map((l) => [l.name, l.color])).toEqual([
      ['ai-ops', '5319e7'],
    ]);
    const routes = gh.requests.map((r) => `${r.route} ${r.status}`);
    expect(routes).toEqual([
      'GET /repos/{owner}/{repo}/pulls 200',
      'POST /repos/{owner}/{repo}/pulls 201',
      'GET /repos/{owner}/{repo}/labels/{name} 404',
      'POST /repos/{owner}/{repo}/labels 201',
      'POST /repos/{owner}/{repo}/issues/{issue_number}/labels 200',
    ]);
    expect(gh.requests[0]?.path).toContain(`head=${encodeURIComponent(`acme:${BRANCH}`)}`);
    expect(gh.requests[1]?.body).toMatchObject({ draft: true, head: BRANCH, base: 'main' });
  });

  it('answers the existing PR when the same branch is opened again (found by list)', async () => {
    const adapter = makeAdapter();
    const first = await adapter.open(makeOpenRequest());
    const second = await adapter.open(makeOpenRequest({ title: 'another title' }));

    expect(second).toEqual({ kind: 'existing', pr: first.pr });
    expect(gh.pulls({ owner: 'acme', repo: 'orders' })).toHaveLength(1);
  });

  it('answers the existing PR when GitHub says one already exists (a lost race)', async () => {
    const adapter = makeAdapter();
    const first = await adapter.open(makeOpenRequest());
    // The other attempt's PR is invisible to our first list, as if it was created just after it.
    gh.failNext({
      route: 'GET /repos/{owner}/{repo}/pulls',
      fault: { kind: 'respond', status: 200, body: [] },
    });
    const raced = await adapter.open(makeOpenRequest());

    expect(raced.kind).toBe('existing');
    expect(raced.pr.number).toBe(first.pr.number);
    const create = gh.requests.filter((r) => r.route === 'POST /repos/{owner}/{repo}/pulls').at(-1);
    expect(create?.status).toBe(422);
    expect(gh.pulls({ owner: 'acme', repo: 'orders' })).toHaveLength(1);
  });

  it('opens a separate PR once the previous one for the branch was merged', async () => {
    const adapter = makeAdapter();
    const first = await adapter.open(makeOpenRequest());
    gh.closePull({ owner: 'acme', repo: 'orders', number: first.pr.number, merged: true });
    const second = await adapter.open(makeOpenRequest());

    expect(second.kind).toBe('opened');
    expect(second.pr.number).toBe(2);
    expect(await adapter.get({ repo: REPO, number: 1 })).toMatchObject({ state: 'closed', merged: true });
  });

  it('falls back to a normal PR where the repository has no draft PRs', async () => {
    gh.addRepo({
      owner: 'acme',
      repo: 'free',
      branches: { main: MAIN_SHA, [BRANCH]: FIX_SHA },
      draftsSupported: false,
    });
    const outcome = await makeAdapter().open(makeOpenRequest({ repo: { owner: 'acme', name: 'free' } }));
    expect(outcome.pr.draft).toBe(false);
  });

  it('updates the occurrence count in the body and reads it back', async () => {
    const adapter = makeAdapter();
    const { pr } = await adapter.open(makeOpenRequest());
    const updated = await adapter.updateBody({
      repo: REPO,
      number: pr.number,
      body: pr.body.replace('1 <!--', '42 <!--'),
    });

    expect(updated.body).toContain('**Occurrences:** 42');
    expect((await adapter.get({ repo: REPO, number: pr.number }))?.body).toContain('**Occurrences:** 42');
    expect(await adapter.get({ repo: REPO, number: 99 })).toBeUndefined();
  });

  it('comments on the PR', async () => {
    const adapter = makeAdapter();
    const { pr } = await adapter.open(makeOpenRequest());
    const comment = await adapter.comment({ repo: REPO, number: pr.number, body: 'CI is green.' });

    expect(comment.url).toBe(`${gh.origin}/acme/orders/pull/1#issuecomment-${comment.id}`);
    expect(gh.comments({ owner: 'acme', repo: 'orders' }).map((c) => c.body)).toEqual(['CI is green.']);
  });

  it('tolerates a label created concurrently between lookup and create (422 already_exists)', async () => {
    const adapter = makeAdapter();
    const { pr } = await adapter.open(makeOpenRequest({ labels: [] }));
    gh.failNext({
      route: 'POST /repos/{owner}/{repo}/labels',
      fault: {
        kind: 'status',
        status: 422,
        errors: [{ resource: 'Label', code: 'already_exists', field: 'name' }],
      },
    });
    await adapter.addLabels({ repo: REPO, number: pr.number, labels: ['ai-ops'] });

    expect((await adapter.get({ repo: REPO, number: pr.number }))?.labels).toEqual(['ai-ops']);
  });

  it('maps 401 to a non-retryable GitHubAuthError', async () => {
    const error = await makeAdapter({ auth: 'wrong' })
      .open(makeOpenRequest())
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(GitHubAuthError);
    expect(error).toMatchObject({ code: 'GITHUB_AUTH', status: 401, retryable: false });
    expect(isRetryableGitHubError(error)).toBe(false);
    expect(gh.requests).toHaveLength(1);
  });

  it('maps a primary rate limit to a retryable GitHubRateLimitError carrying the reset time', async () => {
    const resetAt = Date.UTC(2030, 0, 1, 0, 0, 0);
    gh.failNext({ route: 'GET /repos/{owner}/{repo}/pulls', fault: { kind: 'rate_limit', resetAt } });
    const error = await makeAdapter()
      .open(makeOpenRequest())
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(GitHubRateLimitError);
    expect(error).toMatchObject({ code: 'GITHUB_RATE_LIMIT', retryable: true, resetAt, status: 403 });
    // Rate limits are left to the queue's redelivery, never slept out inside the Lambda.
    expect(sleeps).toEqual([]);
  });

  it('maps a secondary rate limit to GitHubRateLimitError using retry-after', async () => {
    gh.failNext({
      route: 'POST /repos/{owner}/{repo}/pulls',
      fault: { kind: 'secondary_rate_limit', retryAfterSeconds: 120 },
    });
    const now = 1_700_000_000_000;
    const error = await makeAdapter({ now: () => now })
      .open(makeOpenRequest())
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(GitHubRateLimitError);
    expect(error).toMatchObject({ resetAt: now + 120_000 });
  });

  it('retries a 500 and then succeeds', async () => {
    gh.failNext({ route: 'POST /repos/{owner}/{repo}/pulls', times: 2, fault: { kind: 'server_error' } });
    const outcome = await makeAdapter().open(makeOpenRequest());

    expect(outcome.kind).toBe('opened');
    expect(sleeps).toEqual([250, 500]);
    expect(gh.pulls({ owner: 'acme', repo: 'orders' })).toHaveLength(1);
  });

  it('gives up on persistent 5xx with a retryable GitHubServerError', async () => {
    gh.failNext({
      route: 'POST /repos/{owner}/{repo}/pulls',
      times: 5,
      fault: { kind: 'server_error', status: 502 },
    });
    const error = await makeAdapter({ maxRetries: 1 })
      .open(makeOpenRequest())
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(GitHubServerError);
    expect(error).toMatchObject({ status: 502, retryable: true });
    expect(gh.requests.filter((r) => r.route === 'POST /repos/{owner}/{repo}/pulls')).toHaveLength(2);
  });

  it('does not retry a comment after a 5xx (it may have been posted)', async () => {
    const adapter = makeAdapter();
    const { pr } = await adapter.open(makeOpenRequest());
    gh.failNext({
      route: 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
      fault: { kind: 'server_error' },
    });
    const error = await adapter
      .comment({ repo: REPO, number: pr.number, body: 'x' })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(GitHubServerError);
    expect(gh.requests.filter((r) => r.route?.endsWith('/comments'))).toHaveLength(1);
  });

  it('maps 404 to GitHubNotFoundError', async () => {
    const error = await makeAdapter()
      .updateBody({ repo: { owner: 'acme', name: 'missing' }, number: 1, body: 'x' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubNotFoundError);
    expect(error).toMatchObject({ code: 'GITHUB_NOT_FOUND', retryable: false });
  });

  it('maps a timeout to a retryable error', async () => {
    const slowFetch: typeof fetch = (input, init) =>
      new Promise((resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        setTimeout(() => resolve(fetch(input, init)), 5_000);
      });
    const error = await makeAdapter({ fetch: slowFetch, timeoutMs: 50, maxRetries: 0 })
      .findOpen({ repo: REPO, branch: BRANCH })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubServerError);
  });

  it('sends the token only to the configured base URL, as `token <x>`', async () => {
    const decoy = await startGitHubStandIn();
    try {
      const adapter = makeAdapter();
      const { pr } = await adapter.open(makeOpenRequest());
      await adapter.updateBody({ repo: REPO, number: pr.number, body: 'x' });

      expect(gh.requests.length).toBeGreaterThan(0);
      for (const request of gh.requests) {
        expect(request.path.startsWith('/api/v3/')).toBe(true);
        expect(request.headers.authorization).toBe(`token ${TOKEN}`);
        expect(request.headers['user-agent']).toMatch(/^ai-ops /);
      }
      // Even a request Octokit is told to send elsewhere is refused before it leaves.
      const octokit = new Octokit({
        auth: TOKEN,
        log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
        baseUrl: gh.baseUrl,
        request: { fetch: pinnedFetch({ baseUrl: gh.baseUrl, fetch }) },
      });
      const refused = await octokit
        .request(`GET ${decoy.baseUrl}/repos/acme/orders`)
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(Error);
      expect((refused as Error).cause).toBeInstanceOf(GitHubRequestError);
      expect(decoy.requests).toEqual([]);
    } finally {
      await decoy.close();
    }
  });
});
