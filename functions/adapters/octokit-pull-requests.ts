import type { Octokit } from '@octokit/rest';
import {
  GitHubAuthError,
  GitHubError,
  GitHubForbiddenError,
  GitHubNotFoundError,
  GitHubRateLimitError,
  GitHubRequestError,
  GitHubServerError,
  GitHubValidationError,
  type OpenPullRequestOutcome,
  type OpenPullRequestRequest,
  type PullRequest,
  type PullRequests,
  type RepoCoordinates,
} from '../core/ports/pull-requests.ts';
import { DEFAULT_GITHUB_API_URL, makeGitHubOctokit } from './github-octokit.ts';

export interface OctokitPullRequestsOptions {
  /** a token (installation, fine-grained or classic); ignored when `octokit` is given */
  auth?: string;
  /** REST root: `https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise Server */
  baseUrl?: string;
  /** a pre-built client, e.g. one authenticating as a GitHub App through @octokit/auth-app */
  octokit?: Octokit;
  fetch?: typeof globalThis.fetch;
  /** per request, including the body */
  timeoutMs?: number;
  /** extra attempts for 5xx, timeouts and connection errors (rate limits are never waited out here) */
  maxRetries?: number;
  /** delay before retry `attempt` (1-based) */
  retryDelayMs?: (attempt: number) => number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  labelColor?: string;
}

/** `PullRequests` over the GitHub REST API through @octokit/rest. */
export class OctokitPullRequests implements PullRequests {
  readonly #octokit: Octokit;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #retryDelayMs: (attempt: number) => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => number;
  readonly #labelColor: string;

  constructor({
    auth,
    baseUrl = DEFAULT_GITHUB_API_URL,
    octokit,
    fetch = globalThis.fetch,
    timeoutMs = 10_000,
    maxRetries = 2,
    retryDelayMs = (attempt) => 250 * 2 ** (attempt - 1),
    sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now = Date.now,
    labelColor = '5319e7',
  }: OctokitPullRequestsOptions) {
    this.#octokit = octokit ?? makeGitHubOctokit({ baseUrl, fetch, ...(auth ? { auth } : {}) });
    this.#timeoutMs = timeoutMs;
    this.#maxRetries = maxRetries;
    this.#retryDelayMs = retryDelayMs;
    this.#sleep = sleep;
    this.#now = now;
    this.#labelColor = labelColor;
  }

  async findOpen({
    repo,
    branch,
  }: {
    repo: RepoCoordinates;
    branch: string;
  }): Promise<PullRequest | undefined> {
    const { data } = await this.#call('list open pull requests', { idempotent: true }, (request) =>
      this.#octokit.rest.pulls.list({
        owner: repo.owner,
        repo: repo.name,
        // GitHub ignores a bare branch name here and lists every PR: it must be `owner:branch`.
        head: `${repo.owner}:${branch}`,
        state: 'open',
        per_page: 10,
        request,
      }),
    );
    const match = data.find((pr) => pr.head.ref === branch);
    return match ? toPullRequest(match) : undefined;
  }

  async open({
    repo,
    head,
    base,
    title,
    body,
    draft = true,
    labels = [],
  }: OpenPullRequestRequest): Promise<OpenPullRequestOutcome> {
    const existing = await this.findOpen({ repo, branch: head });
    if (existing) return { kind: 'existing', pr: await this.#withLabels(repo, existing, labels) };

    let created: PullRequest;
    try {
      created = await this.#create({ repo, head, base, title, body, draft });
    } catch (error: unknown) {
      if (
        error instanceof GitHubValidationError &&
        error.details.some((d) => /pull request already exists/i.test(d))
      ) {
        // Lost a race with another attempt (SQS delivers at least once): answer that PR.
        const raced = await this.findOpen({ repo, branch: head });
        if (raced) return { kind: 'existing', pr: await this.#withLabels(repo, raced, labels) };
      }
      throw error;
    }
    return { kind: 'opened', pr: await this.#withLabels(repo, created, labels) };
  }

  async get({ repo, number }: { repo: RepoCoordinates; number: number }): Promise<PullRequest | undefined> {
    try {
      const { data } = await this.#call('get pull request', { idempotent: true }, (request) =>
        this.#octokit.rest.pulls.get({ owner: repo.owner, repo: repo.name, pull_number: number, request }),
      );
      return toPullRequest(data);
    } catch (error: unknown) {
      if (error instanceof GitHubNotFoundError) return undefined;
      throw error;
    }
  }

  async updateBody({
    repo,
    number,
    body,
  }: {
    repo: RepoCoordinates;
    number: number;
    body: string;
  }): Promise<PullRequest> {
    const { data } = await this.#call('update pull request body', { idempotent: true }, (request) =>
      this.#octokit.rest.pulls.update({
        owner: repo.owner,
        repo: repo.name,
        pull_number: number,
        body,
        request,
      }),
    );
    return toPullRequest(data);
  }

  async addLabels({
    repo,
    number,
    labels,
  }: {
    repo: RepoCoordinates;
    number: number;
    labels: string[];
  }): Promise<void> {
    if (labels.length === 0) return;
    for (const name of labels) await this.#ensureLabel(repo, name);
    await this.#call('add labels', { idempotent: true }, (request) =>
      this.#octokit.rest.issues.addLabels({
        owner: repo.owner,
        repo: repo.name,
        issue_number: number,
        labels,
        request,
      }),
    );
  }

  async comment({
    repo,
    number,
    body,
  }: {
    repo: RepoCoordinates;
    number: number;
    body: string;
  }): Promise<{ id: number; url: string }> {
    // Not retried on 5xx: the comment may have been created before the error, and a duplicate is visible to people.
    const { data } = await this.#call('comment on pull request', { idempotent: false }, (request) =>
      this.#octokit.rest.issues.createComment({
        owner: repo.owner,
        repo: repo.name,
        issue_number: number,
        body,
        request,
      }),
    );
    return { id: data.id, url: data.html_url };
  }

  async #create(options: Required<Omit<OpenPullRequestRequest, 'labels'>>): Promise<PullRequest> {
    const { repo, head, base, title, body, draft } = options;
    try {
      const { data } = await this.#call('open pull request', { idempotent: true }, (request) =>
        this.#octokit.rest.pulls.create({
          owner: repo.owner,
          repo: repo.name,
          head,
          base,
          title,
          body,
          draft,
          request,
        }),
      );
      return toPullRequest(data);
    } catch (error: unknown) {
      // Private repositories on free plans have no draft PRs; an open PR still needs a person to merge it.
      if (
        draft &&
        error instanceof GitHubValidationError &&
        error.details.some((d) => /draft pull requests are not supported/i.test(d))
      ) {
        return this.#create({ ...options, draft: false });
      }
      throw error;
    }
  }

  async #withLabels(repo: RepoCoordinates, pr: PullRequest, labels: string[]): Promise<PullRequest> {
    const missing = labels.filter((l) => !pr.labels.some((have) => have.toLowerCase() === l.toLowerCase()));
    if (missing.length === 0) return pr;
    await this.addLabels({ repo, number: pr.number, labels: missing });
    return { ...pr, labels: [...pr.labels, ...missing] };
  }

  async #ensureLabel(repo: RepoCoordinates, name: string): Promise<void> {
    try {
      await this.#call('get label', { idempotent: true }, (request) =>
        this.#octokit.rest.issues.getLabel({ owner: repo.owner, repo: repo.name, name, request }),
      );
      return;
    } catch (error: unknown) {
      if (!(error instanceof GitHubNotFoundError)) throw error;
    }
    try {
      await this.#call('create label', { idempotent: true }, (request) =>
        this.#octokit.rest.issues.createLabel({
          owner: repo.owner,
          repo: repo.name,
          name,
          color: this.#labelColor,
          description: 'Fix proposed by ai-ops',
          request,
        }),
      );
    } catch (error: unknown) {
      // Another attempt created it between our GET and POST.
      if (error instanceof GitHubValidationError && error.details.includes('already_exists')) return;
      throw error;
    }
  }

  async #call<T>(
    action: string,
    { idempotent }: { idempotent: boolean },
    send: (request: { signal: AbortSignal }) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await send({ signal: AbortSignal.timeout(this.#timeoutMs) });
      } catch (error: unknown) {
        const mapped = toGitHubError(error, { action, now: this.#now() });
        const mayRetry = idempotent && mapped instanceof GitHubServerError && attempt < this.#maxRetries;
        if (!mayRetry) throw mapped;
        await this.#sleep(this.#retryDelayMs(attempt + 1));
      }
    }
  }
}

/** Build the adapter; see `OctokitPullRequestsOptions`. */
export function createOctokitPullRequests(options: OctokitPullRequestsOptions): PullRequests {
  return new OctokitPullRequests(options);
}

interface OctokitErrorShape {
  status: number;
  message: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

function isOctokitError(error: unknown): error is OctokitErrorShape {
  return error instanceof Error && typeof (error as Partial<OctokitErrorShape>).status === 'number';
}

/** Map an Octokit failure to the port's named errors (pure: the clock is passed in). */
export function toGitHubError(error: unknown, { action, now }: { action: string; now: number }): GitHubError {
  if (error instanceof GitHubError) return error;
  // Octokit wraps whatever fetch threw (our pinnedFetch refusal included) in a status-500 RequestError.
  if (error instanceof Error && error.cause instanceof GitHubError) return error.cause;
  if (!isOctokitError(error)) {
    // fetch failures that Octokit did not wrap (a timeout's AbortError is given status 500 by Octokit)
    return new GitHubServerError(`GitHub ${action} failed: ${String(error)}`, { cause: error });
  }
  const { status } = error;
  const headers = error.response?.headers ?? {};
  const data = error.response?.data;
  const message = describe(data) ?? error.message;
  const context = `GitHub ${action} failed (${status}): ${message}`;
  if (status === 401) {
    return new GitHubAuthError(
      `${context}. Check that the token (or GitHub App key) in Secrets Manager is current.`,
      { status, cause: error },
    );
  }
  if (status === 403 || status === 429) {
    const remaining = headers['x-ratelimit-remaining'];
    const retryAfter = Number(headers['retry-after']);
    if (String(remaining) === '0') {
      const reset = Number(headers['x-ratelimit-reset']);
      return new GitHubRateLimitError(context, {
        status,
        cause: error,
        resetAt: Number.isFinite(reset) && reset > 0 ? reset * 1000 : now + 60_000,
      });
    }
    if (status === 429 || /secondary rate limit|abuse/i.test(message) || Number.isFinite(retryAfter)) {
      return new GitHubRateLimitError(context, {
        status,
        cause: error,
        resetAt: now + (Number.isFinite(retryAfter) ? retryAfter : 60) * 1000,
      });
    }
    return new GitHubForbiddenError(
      `${context}. The token needs pull_requests, issues and contents write access to this repository.`,
      { status, cause: error },
    );
  }
  if (status === 404) return new GitHubNotFoundError(context, { status, cause: error });
  if (status === 422)
    return new GitHubValidationError(context, { status, cause: error, details: validationDetails(data) });
  if (status >= 500) return new GitHubServerError(context, { status, cause: error });
  return new GitHubRequestError(context, { status, cause: error });
}

function describe(data: unknown): string | undefined {
  if (typeof data === 'object' && data !== null && 'message' in data && typeof data.message === 'string')
    return data.message;
  return undefined;
}

function validationDetails(data: unknown): string[] {
  if (typeof data !== 'object' || data === null || !('errors' in data) || !Array.isArray(data.errors))
    return [];
  return data.errors.flatMap((entry: unknown) => {
    if (typeof entry === 'string') return [entry];
    if (typeof entry !== 'object' || entry === null) return [];
    return ['message', 'code']
      .map((key) => (entry as Record<string, unknown>)[key])
      .filter((value): value is string => typeof value === 'string');
  });
}

interface OctokitPull {
  number: number;
  html_url: string;
  node_id: string;
  title: string;
  body?: string | null;
  head: { ref: string; sha: string };
  base: { ref: string };
  draft?: boolean;
  state: string;
  merged?: boolean;
  merged_at: string | null;
  merge_commit_sha?: string | null;
  labels: Array<{ name?: string } | string>;
}

function toPullRequest(pr: OctokitPull): PullRequest {
  return {
    number: pr.number,
    url: pr.html_url,
    nodeId: pr.node_id,
    title: pr.title,
    body: pr.body ?? '',
    headBranch: pr.head.ref,
    headSha: pr.head.sha,
    baseBranch: pr.base.ref,
    draft: pr.draft ?? false,
    state: pr.state === 'closed' ? 'closed' : 'open',
    merged: pr.merged ?? pr.merged_at !== null,
    ...(pr.merged_at && Number.isFinite(Date.parse(pr.merged_at))
      ? { mergedAt: Date.parse(pr.merged_at) }
      : {}),
    ...(pr.merge_commit_sha && (pr.merged ?? pr.merged_at !== null)
      ? { mergeCommitSha: pr.merge_commit_sha }
      : {}),
    labels: pr.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? ''))).filter((l) => l !== ''),
  };
}
