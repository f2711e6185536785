import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeGitWorkspaces } from '../../functions/adapters/git-workspaces.ts';
import {
  createCredentialsOctokit,
  GitHubAppAuthError,
  GitHubAppNotInstalledError,
  githubAppCredentials,
} from '../../functions/adapters/github-credentials.ts';
import { createOctokitPullRequests } from '../../functions/adapters/octokit-pull-requests.ts';
import { isRetryableGitHubError } from '../../functions/core/ports/pull-requests.ts';
import { createBareRepo, type GitServer, startGitServer, TEST_GIT_USERNAME } from '../support/git-server.ts';
import { type GitHubStandIn, startGitHubStandIn } from '../support/github-stand-in.ts';

// Generated per run and never written anywhere: the repository holds no private key.
const newKeyPair = () =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    // GitHub hands out PKCS#1 keys ("RSA PRIVATE KEY"); auth-app converts them.
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });

const APP_ID = '123456';
const REPO = { owner: 'acme', name: 'orders' };
const REPO_REF = { ...REPO, baseBranch: 'main', pathPrefix: '' };
const MINUTE = 60_000;
const BOT = { name: 'ai-ops[bot]', email: 'ai-ops-bot@users.noreply.github.com' };

let keys: ReturnType<typeof newKeyPair>;
let gh: GitHubStandIn;
let git: GitServer | undefined;
let installationId: number;
let clockOffsetMs: number;

function makeCredentials(privateKey = keys.privateKey) {
  return githubAppCredentials({
    app: async () => ({ appId: APP_ID, privateKey }),
    baseUrl: gh.baseUrl,
    now: () => Date.now() + clockOffsetMs,
  });
}

const routeRequests = (route: string) => gh.requests.filter((r) => r.route === route);
const LOOKUP = 'GET /repos/{owner}/{repo}/installation';
const MINT = 'POST /app/installations/{id}/access_tokens';

function jwtClaims(authorization: string | undefined): Record<string, unknown> {
  const jwt = authorization?.replace(/^bearer\s+/i, '') ?? '';
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

beforeAll(() => {
  keys = newKeyPair();
});

beforeEach(async () => {
  clockOffsetMs = 0;
  // `tokens: []`: no static token is accepted, only installation tokens the app minted.
  gh = await startGitHubStandIn({ tokens: [], app: { appId: APP_ID, publicKey: keys.publicKey } });
  gh.addRepo({
    owner: REPO.owner,
    repo: REPO.name,
    branches: { main: 'a'.repeat(40), 'fix/x': 'b'.repeat(40) },
  });
  installationId = gh.installApp({ owner: REPO.owner, repo: REPO.name });
});

afterEach(async () => {
  await gh.close();
  await git?.close();
  git = undefined;
});

describe('GitHub App credentials through @octokit/auth-app against the stand-in', () => {
  it('signs a JWT the stand-in accepts, finds the installation and mints an installation token', async () => {
    const token = await makeCredentials().token(REPO);

    const [lookup] = routeRequests(LOOKUP);
    expect(lookup?.status).toBe(200);
    expect(lookup?.path).toBe('/api/v3/repos/acme/orders/installation');
    expect(String(jwtClaims(lookup?.headers.authorization).iss)).toBe(APP_ID);
    const [mint] = routeRequests(MINT);
    expect(mint?.status).toBe(201);
    expect(mint?.path).toBe(`/api/v3/app/installations/${installationId}/access_tokens`);
    expect(gh.installationTokens().map((t) => t.token)).toEqual([token]);
    expect(token).toMatch(/^ghs_/);
  });

  it('reuses the token and the installation id until five minutes before the token expires', async () => {
    const credentials = makeCredentials();
    const first = await credentials.token(REPO);
    clockOffsetMs = 54 * MINUTE;
    expect(await credentials.token(REPO)).toBe(first);
    expect(routeRequests(MINT)).toHaveLength(1);

    clockOffsetMs = 56 * MINUTE;
    const refreshed = await credentials.token(REPO);
    expect(refreshed).not.toBe(first);
    expect(routeRequests(MINT)).toHaveLength(2);
    // The installation of a repository does not change with its token.
    expect(routeRequests(LOOKUP)).toHaveLength(1);
  });

  it('starts afresh when the secret holds another key (a rotation), without reusing the old token', async () => {
    let privateKey = keys.privateKey;
    const credentials = githubAppCredentials({
      app: async () => ({ appId: APP_ID, privateKey }),
      baseUrl: gh.baseUrl,
    });
    await credentials.token(REPO);

    // The stand-in still knows only the first key, so the new one must be what signs the JWT now.
    privateKey = newKeyPair().privateKey;
    await expect(credentials.token(REPO)).rejects.toBeInstanceOf(GitHubAppAuthError);

    privateKey = keys.privateKey;
    await credentials.token(REPO);
    expect(routeRequests(LOOKUP).map((r) => r.status)).toEqual([200, 401, 200]);
    expect(routeRequests(MINT)).toHaveLength(2);
  });

  it('mints once for concurrent callers', async () => {
    const credentials = makeCredentials();
    const tokens = await Promise.all([
      credentials.token(REPO),
      credentials.token(REPO),
      credentials.token(REPO),
    ]);
    expect(new Set(tokens).size).toBe(1);
    expect(routeRequests(MINT)).toHaveLength(1);
    expect(routeRequests(LOOKUP)).toHaveLength(1);
  });

  it('is the token the PR client sends, per repository', async () => {
    const credentials = makeCredentials();
    const pullRequests = createOctokitPullRequests({
      octokit: createCredentialsOctokit({ credentials, baseUrl: gh.baseUrl }),
    });

    const outcome = await pullRequests.open({
      repo: REPO,
      head: 'fix/x',
      base: 'main',
      title: 'fix(ai): x',
      body: 'body',
      labels: ['ai-ops'],
    });

    expect(outcome.kind).toBe('opened');
    const [minted] = gh.installationTokens();
    const prCalls = gh.requests.filter((r) => r.route?.includes('/pulls') || r.route?.includes('/labels'));
    expect(prCalls.length).toBeGreaterThan(0);
    for (const call of prCalls) expect(call.headers.authorization).toBe(`token ${minted?.token}`);
    expect(routeRequests(MINT)).toHaveLength(1);
  });

  it('is the password git clones with (x-access-token)', async () => {
    const credentials = makeCredentials();
    const token = await credentials.token(REPO);
    // A git server that accepts only this installation token.
    git = await startGitServer({ token });
    const head = await createBareRepo({
      server: git,
      owner: REPO.owner,
      name: REPO.name,
      files: { 'a.py': 'x = 1\n' },
    });
    const workspaces = makeGitWorkspaces({
      apiUrl: git.url,
      token: () => credentials.token(REPO),
      author: BOT,
    });

    expect(await workspaces.remoteBranchHead({ repo: REPO_REF, branch: 'main' })).toBe(head);
    const workspace = await workspaces.clone({ repo: REPO_REF, branch: 'main' });
    expect(new TextDecoder().decode(await workspace.readFile('a.py'))).toBe('x = 1\n');
    const basic = `Basic ${Buffer.from(`${TEST_GIT_USERNAME}:${token}`).toString('base64')}`;
    expect(git.requests.some((r) => r.authorization === basic && r.status === 200)).toBe(true);
    expect(routeRequests(MINT)).toHaveLength(1);
  });

  it('names the app id when GitHub refuses the JWT of a wrong private key', async () => {
    const wrongKey = newKeyPair().privateKey;

    const failure = await makeCredentials(wrongKey)
      .token(REPO)
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(GitHubAppAuthError);
    expect((failure as GitHubAppAuthError).message).toMatch(/GitHub App 123456 could not authenticate/);
    expect((failure as GitHubAppAuthError).message).toMatch(/belongs to App ID 123456/);
    expect((failure as GitHubAppAuthError).appId).toBe(APP_ID);
    expect(isRetryableGitHubError(failure)).toBe(false);
    expect(routeRequests(LOOKUP).map((r) => r.status)).toEqual([401]);
    expect(gh.installationTokens()).toEqual([]);
  });

  it('names a malformed private key as the app failing to authenticate, without the key', async () => {
    // PEM armour around garbage, assembled so that no key-shaped block sits in the repository.
    const armour = (edge: string) => `-----${edge} ${['PRIVATE', 'KEY'].join(' ')}-----`;
    const failure = await makeCredentials([armour('BEGIN'), 'not base64 at all', armour('END')].join('\n'))
      .token(REPO)
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(GitHubAppAuthError);
    expect((failure as Error).message).toContain('GitHub App 123456');
    expect((failure as Error).message).not.toContain('not base64 at all');
  });

  it('asks to install the app on a repository without an installation, then finds it once installed', async () => {
    gh.addRepo({ owner: 'acme', repo: 'billing' });
    const credentials = makeCredentials();
    const billing = { owner: 'acme', name: 'billing' };

    const failure = await credentials.token(billing).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(GitHubAppNotInstalledError);
    expect((failure as Error).message).toContain('install the GitHub App on acme/billing');
    expect(isRetryableGitHubError(failure)).toBe(false);

    gh.installApp({ owner: 'acme', repo: 'billing' });
    expect(await credentials.token(billing)).toMatch(/^ghs_/);
  });

  it('never sends a token outside the configured API root, nor for a route that names no repository', async () => {
    const sent: string[] = [];
    const octokit = createCredentialsOctokit({
      credentials: makeCredentials(),
      baseUrl: gh.baseUrl,
      fetch: (input, init) => {
        sent.push(input instanceof Request ? input.url : String(input));
        return globalThis.fetch(input, init);
      },
    });

    await expect(
      octokit.request('GET https://example.test/repos/{owner}/{repo}', { owner: 'acme', repo: 'orders' }),
    ).rejects.toThrow(/refusing to send a GitHub request outside/);
    await expect(octokit.request('GET /user')).rejects.toThrow(/names no repository to pick a token for/);
    expect(sent).toEqual([]);
    // The installation token itself was minted against the API root only.
    expect(gh.requests.map((r) => r.route)).toEqual([LOOKUP, MINT]);
  });
});
