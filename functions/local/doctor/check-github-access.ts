import { z } from 'zod';
import type { RepoRef } from '../../core/contracts.ts';
import { DEFAULT_CHECK_TIMEOUT_MS, type DoctorCheck, describeNetworkError } from './doctor-check.ts';

export interface CheckGitHubAccessOptions {
  token: string;
  /** without it only the token is checked */
  repo?: RepoRef;
  /** GITHUB_API_URL: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server */
  apiUrl: string;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
}

type Answer =
  | { kind: 'response'; status: number; headers: Headers; body: unknown }
  | { kind: 'unreachable'; reason: string };

const area = 'GitHub';
const unreachableFix =
  'check GITHUB_API_URL (GitHub Enterprise Server: https://HOST/api/v3), the network and any proxy';

// Only the fields the checks read; anything else GitHub sends is ignored.
const UserBody = z.object({ login: z.string() });
const RepoBody = z.object({
  private: z.boolean().optional(),
  default_branch: z.string().optional(),
  permissions: z.object({ push: z.boolean() }).optional(),
});
const ErrorBody = z.object({ message: z.string() });

/**
 * The token works (GET /user), has the scopes a classic token needs, may push to the repository
 * (GET /repos/{owner}/{repo} → permissions.push) and the base branch exists. Never throws; the
 * token never appears in what it returns.
 */
export async function checkGitHubAccess({
  token,
  repo,
  apiUrl,
  fetch = globalThis.fetch,
  timeoutMs = DEFAULT_CHECK_TIMEOUT_MS,
}: CheckGitHubAccessOptions): Promise<DoctorCheck[]> {
  const base = apiUrl.replace(/\/+$/, '');
  const newTokenUrl = `${webOrigin(base)}/settings/personal-access-tokens/new`;
  const repoName = repo ? `${repo.owner}/${repo.name}` : 'the repository';
  const createToken = `create a fine-grained token at ${newTokenUrl} for ${repoName} with Contents and Pull requests: Read and write, then set GITHUB_TOKEN`;
  const get = async (path: string): Promise<Answer> => {
    try {
      const response = await fetch(`${base}${path}`, {
        headers: {
          accept: 'application/vnd.github+json',
          authorization: `Bearer ${token}`,
          'user-agent': 'ai-ops-doctor',
          'x-github-api-version': '2022-11-28',
        },
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      return { kind: 'response', status: response.status, headers: response.headers, body: parseJson(text) };
    } catch (error: unknown) {
      return { kind: 'unreachable', reason: describeNetworkError(error, timeoutMs) };
    }
  };

  const checks: DoctorCheck[] = [];
  const user = await get('/user');
  if (user.kind === 'unreachable')
    return [
      {
        status: 'fail',
        area,
        message: `cannot reach ${base}: ${user.reason}`,
        fix: unreachableFix,
      },
    ];
  if (user.status === 401)
    return [
      { status: 'fail', area, message: 'token invalid or expired (401 Bad credentials)', fix: createToken },
    ];
  const scopes = user.headers.get('x-oauth-scopes');
  if (user.status === 200) {
    const login = UserBody.safeParse(user.body).data?.login;
    checks.push({ status: 'ok', area, message: `token works${login ? ` (signed in as ${login})` : ''}` });
  } else {
    const problem = failureOf(user, { what: 'GET /user', createToken });
    // GitHub App installation tokens may not read /user (403); the repository check still tells.
    if (user.status === 403 && problem.status === 'warn') checks.push(problem);
    else return [problem];
  }
  if (!repo) return [...checks, scopeCheck({ scopes, isPrivate: undefined, createToken })];

  const repoAnswer = await get(`/repos/${encodeURIComponent(repo.owner)}/${encodeURIComponent(repo.name)}`);
  if (repoAnswer.kind === 'unreachable')
    return [
      ...checks,
      { status: 'fail', area, message: `cannot reach ${base}: ${repoAnswer.reason}`, fix: unreachableFix },
    ];
  if (repoAnswer.status === 404)
    return [
      ...checks,
      {
        status: 'fail',
        area,
        message: `repository ${repoName} not found, or the token cannot see it`,
        fix: `check GITHUB_REPO (owner/name); a fine-grained token must list ${repoName} under "Repository access", a classic one needs the repo scope for a private repository`,
      },
    ];
  if (repoAnswer.status !== 200)
    return [...checks, failureOf(repoAnswer, { what: `GET /repos/${repoName}`, createToken })];

  const repoBody = RepoBody.safeParse(repoAnswer.body).data;
  checks.push(scopeCheck({ scopes, isPrivate: repoBody?.private, createToken }));
  const push = repoBody?.permissions?.push;
  if (push === true)
    checks.push({
      status: 'ok',
      area,
      message: `write access to ${repoName} (may push branches and open pull requests)`,
    });
  else if (push === false)
    checks.push({
      status: 'fail',
      area,
      message: `read-only access to ${repoName}: ai-ops cannot push a fix branch or open a pull request`,
      fix: `give the token Contents and Pull requests: Read and write (or its user write access to ${repoName})`,
    });
  else
    checks.push({
      status: 'warn',
      area,
      message: `GitHub did not say whether the token may push to ${repoName}`,
      fix: 'make sure it has Contents and Pull requests: Read and write',
    });

  const branch = await get(
    `/repos/${encodeURIComponent(repo.owner)}/${encodeURIComponent(repo.name)}/branches/${encodeURIComponent(repo.baseBranch)}`,
  );
  if (branch.kind === 'unreachable')
    checks.push({
      status: 'fail',
      area,
      message: `cannot reach ${base}: ${branch.reason}`,
      fix: unreachableFix,
    });
  else if (branch.status === 200)
    checks.push({ status: 'ok', area, message: `base branch ${repo.baseBranch} exists` });
  else if (branch.status === 404) {
    const defaultBranch = repoBody?.default_branch;
    checks.push({
      status: 'fail',
      area,
      message: `base branch ${repo.baseBranch} not found in ${repoName}`,
      fix: `set GITHUB_BASE_BRANCH to the branch fixes should target${defaultBranch ? ` (the default branch is ${defaultBranch})` : ''}`,
    });
  } else checks.push(failureOf(branch, { what: `GET branch ${repo.baseBranch}`, createToken }));
  return checks;
}

/** Classic tokens list their scopes in X-OAuth-Scopes; fine-grained and app tokens send no such header. */
function scopeCheck({
  scopes,
  isPrivate,
  createToken,
}: {
  scopes: string | null;
  isPrivate: boolean | undefined;
  createToken: string;
}): DoctorCheck {
  if (scopes === null)
    return {
      status: 'ok',
      area,
      message:
        'fine-grained or app token (GitHub lists no scopes for those; the repository access below is what counts)',
    };
  const list = scopes
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (list.includes('repo')) return { status: 'ok', area, message: `classic token with the repo scope` };
  if (list.includes('public_repo'))
    return isPrivate === true
      ? {
          status: 'fail',
          area,
          message: 'classic token with only the public_repo scope, but the repository is private',
          fix: `add the repo scope to the token, or ${createToken}`,
        }
      : {
          status: 'ok',
          area,
          message: 'classic token with the public_repo scope (enough for a public repository)',
        };
  return {
    status: 'fail',
    area,
    message: `classic token without the repo or public_repo scope (it has: ${list.join(', ') || 'no scopes'})`,
    fix: `add the repo scope to the token, or ${createToken}`,
  };
}

function failureOf(
  answer: Extract<Answer, { kind: 'response' }>,
  { what, createToken }: { what: string; createToken: string },
): DoctorCheck {
  const message = ErrorBody.safeParse(answer.body).data?.message ?? '';
  if (answer.status === 401)
    return {
      status: 'fail',
      area,
      message: 'token invalid or expired (401 Bad credentials)',
      fix: createToken,
    };
  const sso = answer.headers.get('x-github-sso');
  // `X-GitHub-SSO: required; url=https://github.com/orgs/…/sso?authorization_request=…`
  const ssoUrl = sso === null ? undefined : /url=(\S+)/.exec(sso)?.[1];
  if (answer.status === 403 && sso !== null)
    return {
      status: 'fail',
      area,
      message: `${what}: the organization uses SAML single sign-on and the token is not authorized for it`,
      fix: `authorize the token for SSO ${ssoUrl ? `at ${ssoUrl}` : 'on its settings page'}`,
    };
  if (
    (answer.status === 403 || answer.status === 429) &&
    answer.headers.get('x-ratelimit-remaining') === '0'
  ) {
    const reset = Number(answer.headers.get('x-ratelimit-reset'));
    return {
      status: 'fail',
      area,
      message: `${what}: rate limit exhausted`,
      fix: `try again${Number.isFinite(reset) && reset > 0 ? ` after ${new Date(reset * 1000).toISOString()}` : ' later'}`,
    };
  }
  if (answer.status === 403)
    return {
      status: 'warn',
      area,
      message: `${what} answered 403${message ? ` (${message})` : ''}`,
      fix: 'an app installation token may not read /user; the repository checks below still apply',
    };
  return {
    status: 'fail',
    area,
    message: `${what} answered ${answer.status}${message ? ` (${message})` : ''}`,
    fix:
      answer.status >= 500 ? 'GitHub had a problem: try again later' : 'check GITHUB_API_URL and GITHUB_REPO',
  };
}

/** Where people create tokens: github.com for api.github.com, the server itself for GHES (/api/v3). */
function webOrigin(apiBase: string): string {
  try {
    const url = new URL(apiBase);
    // api.github.com → github.com; api.<tenant>.ghe.com → <tenant>.ghe.com (GHE.com data residency)
    if (url.hostname.startsWith('api.')) return `${url.protocol}//${url.host.slice(4)}`;
    return url.origin;
  } catch {
    return 'https://github.com';
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
