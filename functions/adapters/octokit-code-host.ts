import type { Octokit } from '@octokit/rest';
import type {
  BranchHead,
  CodeHost,
  CombinedChecks,
  FailingJobLog,
  FailingJobLogsRequest,
} from '../core/ports/code-host.ts';
import {
  GitHubNotFoundError,
  GitHubRequestError,
  GitHubValidationError,
  type RepoCoordinates,
} from '../core/ports/pull-requests.ts';
import { redact } from '../core/text/redact.ts';
import { DEFAULT_GITHUB_API_URL, makeGitHubOctokit, pinnedFetch } from './github-octokit.ts';
import { toGitHubError } from './octokit-pull-requests.ts';

export interface OctokitCodeHostOptions {
  /** a token; ignored when `octokit` is given */
  auth?: string;
  /** REST root: `https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise Server */
  baseUrl?: string;
  /** a pre-built client (e.g. GitHub App auth); its requests still go through `fetch` below only if it was built with it */
  octokit?: Octokit;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
  /** failing jobs whose logs are fetched per run */
  maxJobs?: number;
  /** bytes of one raw log read before the rest is dropped (only its end is kept anyway) */
  maxLogBytes?: number;
  now?: () => number;
}

const FAILED = new Set(['failure', 'timed_out', 'startup_failure']);
const WRITE_ROLES = new Set(['admin', 'maintain', 'write']);
/** Completed check runs that let a fix be ready; any other conclusion (failure, cancelled, stale…) does not. */
const PASSED = new Set(['success', 'neutral', 'skipped']);
/** Pages of 100 check runs read per commit; a commit with more is treated as still pending. */
const MAX_CHECK_PAGES = 10;
// Actions log lines start with an ISO timestamp; it costs tokens and tells the model nothing.
const LOG_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?/gm;

/** `CodeHost` over GitHub's REST, Actions, Checks and GraphQL APIs through @octokit/rest. */
export class OctokitCodeHost implements CodeHost {
  readonly #octokit: Octokit;
  readonly #fetch: typeof globalThis.fetch;
  readonly #root: URL;
  readonly #timeoutMs: number;
  readonly #maxJobs: number;
  readonly #maxLogBytes: number;
  readonly #now: () => number;

  constructor({
    auth,
    baseUrl = DEFAULT_GITHUB_API_URL,
    octokit,
    fetch = globalThis.fetch,
    timeoutMs = 10_000,
    maxJobs = 4,
    maxLogBytes = 8 * 1024 * 1024,
    now = Date.now,
  }: OctokitCodeHostOptions) {
    this.#root = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    this.#fetch = fetch;
    this.#octokit = octokit ?? makeGitHubOctokit({ baseUrl, fetch, ...(auth ? { auth } : {}) });
    this.#timeoutMs = timeoutMs;
    this.#maxJobs = maxJobs;
    this.#maxLogBytes = maxLogBytes;
    this.#now = now;
  }

  async markReadyForReview({
    nodeId,
  }: {
    repo: RepoCoordinates;
    number: number;
    nodeId: string;
  }): Promise<void> {
    try {
      // REST cannot leave the draft state; only this GraphQL mutation can.
      await this.#octokit.graphql(
        'mutation($id: ID!) { markPullRequestReadyForReview(input: { pullRequestId: $id }) { pullRequest { isDraft } } }',
        { id: nodeId, request: { signal: AbortSignal.timeout(this.#timeoutMs) } },
      );
    } catch (error: unknown) {
      const message = error instanceof Error ? error.message : String(error);
      if (/not a draft|already ready/i.test(message)) return;
      if (/Could not resolve to a node/i.test(message))
        throw new GitHubNotFoundError(`GitHub mark ready for review failed: ${message}`, { cause: error });
      throw this.#map(error, 'mark pull request ready for review');
    }
  }

  async hasWritePermission({ repo, user }: { repo: RepoCoordinates; user: string }): Promise<boolean> {
    try {
      const { data } = await this.#octokit.rest.repos.getCollaboratorPermissionLevel({
        owner: repo.owner,
        repo: repo.name,
        username: user,
        request: { signal: AbortSignal.timeout(this.#timeoutMs) },
      });
      // `role_name` holds custom and fine-grained roles; `permission` only the legacy four.
      return (
        WRITE_ROLES.has(data.role_name) ||
        WRITE_ROLES.has(data.permission) ||
        data.user?.permissions?.push === true
      );
    } catch (error: unknown) {
      const mapped = this.#map(error, 'read collaborator permission');
      // Not a collaborator (404) or not a known user: no write access.
      if (mapped instanceof GitHubNotFoundError || mapped instanceof GitHubValidationError) return false;
      throw mapped;
    }
  }

  async failingJobLogs({
    repo,
    runId,
    checkSuiteId,
    headSha,
    maxChars,
  }: FailingJobLogsRequest): Promise<FailingJobLog[]> {
    const failed = (await this.#failedJobs({ repo, runId, checkSuiteId, headSha })).slice(0, this.#maxJobs);
    const share = Math.max(200, Math.floor(maxChars / Math.max(1, failed.length)));
    const logs: FailingJobLog[] = [];
    for (const job of failed) {
      const raw = job.actionsJob ? await this.#downloadJobLog(repo, job.id) : job.text;
      const text = redact(raw.replace(LOG_TIMESTAMP, ''));
      const truncated = text.length > share;
      logs.push({
        name: job.name,
        conclusion: job.conclusion,
        ...(job.url ? { url: job.url } : {}),
        log: truncated ? text.slice(-share) : text,
        truncated,
      });
    }
    return logs;
  }

  async hasChecks({ repo, sha }: { repo: RepoCoordinates; sha: string }): Promise<boolean> {
    const { data } = await this.#call('list check runs', () =>
      this.#octokit.rest.checks.listForRef({
        owner: repo.owner,
        repo: repo.name,
        ref: sha,
        per_page: 1,
        request: { signal: AbortSignal.timeout(this.#timeoutMs) },
      }),
    );
    return data.total_count > 0;
  }

  async combinedChecks({ repo, sha }: { repo: RepoCoordinates; sha: string }): Promise<CombinedChecks> {
    let seen = 0;
    let failed = false;
    for (let page = 1; page <= MAX_CHECK_PAGES; page++) {
      const { data } = await this.#call('list check runs', () =>
        this.#octokit.rest.checks.listForRef({
          owner: repo.owner,
          repo: repo.name,
          ref: sha,
          // A re-run replaces its check run: only the latest of each name counts.
          filter: 'latest',
          per_page: 100,
          page,
          request: { signal: AbortSignal.timeout(this.#timeoutMs) },
        }),
      );
      for (const run of data.check_runs) {
        if (run.status !== 'completed') return 'pending';
        if (run.conclusion === null || !PASSED.has(run.conclusion)) failed = true;
      }
      seen += data.check_runs.length;
      if (data.check_runs.length < 100 || seen >= data.total_count) {
        if (seen === 0) return 'none';
        return failed ? 'failure' : 'success';
      }
    }
    // Runs beyond the pages read are unknown: waiting is the answer that cannot mark a red fix ready.
    return 'pending';
  }

  async branchHead({
    repo,
    branch,
  }: {
    repo: RepoCoordinates;
    branch: string;
  }): Promise<BranchHead | undefined> {
    try {
      const { data } = await this.#octokit.rest.repos.getBranch({
        owner: repo.owner,
        repo: repo.name,
        branch,
        request: { signal: AbortSignal.timeout(this.#timeoutMs) },
      });
      return { sha: data.commit.sha, message: data.commit.commit.message };
    } catch (error: unknown) {
      const mapped = this.#map(error, 'read branch');
      if (mapped instanceof GitHubNotFoundError) return undefined;
      throw mapped;
    }
  }

  async pullRequestDiff({
    repo,
    number,
    maxChars,
  }: {
    repo: RepoCoordinates;
    number: number;
    maxChars: number;
  }): Promise<string> {
    const { data } = await this.#call('read pull request diff', () =>
      this.#octokit.rest.pulls.get({
        owner: repo.owner,
        repo: repo.name,
        pull_number: number,
        mediaType: { format: 'diff' },
        request: { signal: AbortSignal.timeout(this.#timeoutMs) },
      }),
    );
    // With the diff media type the body is text, which the generated types do not know.
    const diff = typeof data === 'string' ? data : String(data);
    return diff.length > maxChars
      ? `${diff.slice(0, maxChars)}\n…[diff cut at ${maxChars} characters]`
      : diff;
  }

  async findComment({
    repo,
    number,
    marker,
  }: {
    repo: RepoCoordinates;
    number: number;
    marker: string;
  }): Promise<{ id: number; url: string } | undefined> {
    // Our replies are few and recent, but a busy PR may hold many comments: bounded pages.
    for (let page = 1; page <= 10; page++) {
      const { data } = await this.#call('list comments', () =>
        this.#octokit.rest.issues.listComments({
          owner: repo.owner,
          repo: repo.name,
          issue_number: number,
          per_page: 100,
          page,
          request: { signal: AbortSignal.timeout(this.#timeoutMs) },
        }),
      );
      const found = data.find((c) => c.body?.includes(marker));
      if (found) return { id: found.id, url: found.html_url };
      if (data.length < 100) return undefined;
    }
    return undefined;
  }

  async #failedJobs({
    repo,
    runId,
    checkSuiteId,
    headSha,
  }: Omit<FailingJobLogsRequest, 'maxChars'>): Promise<
    Array<{ id: number; name: string; conclusion: string; url?: string; actionsJob: boolean; text: string }>
  > {
    const signal = () => AbortSignal.timeout(this.#timeoutMs);
    if (runId !== undefined) {
      const { data } = await this.#call('list workflow run jobs', () =>
        this.#octokit.rest.actions.listJobsForWorkflowRun({
          owner: repo.owner,
          repo: repo.name,
          run_id: runId,
          filter: 'latest',
          per_page: 100,
          request: { signal: signal() },
        }),
      );
      return data.jobs
        .filter((j) => j.conclusion !== null && FAILED.has(j.conclusion))
        .map((j) => ({
          id: j.id,
          name: j.name,
          conclusion: j.conclusion ?? 'failure',
          ...(j.html_url ? { url: j.html_url } : {}),
          actionsJob: true,
          text: '',
        }));
    }
    const { data } = await this.#call('list check runs', () =>
      checkSuiteId !== undefined
        ? this.#octokit.rest.checks.listForSuite({
            owner: repo.owner,
            repo: repo.name,
            check_suite_id: checkSuiteId,
            filter: 'latest',
            per_page: 100,
            request: { signal: signal() },
          })
        : this.#octokit.rest.checks.listForRef({
            owner: repo.owner,
            repo: repo.name,
            ref: headSha,
            filter: 'latest',
            per_page: 100,
            request: { signal: signal() },
          }),
    );
    return data.check_runs
      .filter((r) => r.conclusion !== null && FAILED.has(r.conclusion))
      .map((r) => ({
        id: r.id,
        name: r.name,
        conclusion: r.conclusion ?? 'failure',
        ...(r.html_url ? { url: r.html_url } : {}),
        // An Actions check run's id is its job's id; other CI apps only leave their output text.
        actionsJob: r.app?.slug === 'github-actions',
        text: [r.output?.title, r.output?.summary, r.output?.text].filter(Boolean).join('\n'),
      }));
  }

  /**
   * GitHub answers the log request with a redirect to a short-lived signed URL on another host.
   * Octokit would follow it with our token attached, so the redirect is taken by hand and the
   * blob is fetched without credentials, reading at most `maxLogBytes` (keeping the end).
   */
  async #downloadJobLog(repo: RepoCoordinates, jobId: number): Promise<string> {
    const response = await this.#call('download job log', () =>
      this.#octokit.request('GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs', {
        owner: repo.owner,
        repo: repo.name,
        job_id: jobId,
        request: {
          fetch: pinnedFetch({ baseUrl: this.#root.href, fetch: this.#fetch, redirect: 'manual' }),
          signal: AbortSignal.timeout(this.#timeoutMs),
        },
      }),
    );
    const location = (response.headers as Record<string, string | undefined>).location;
    if (!location) return typeof response.data === 'string' ? response.data : '';
    const target = new URL(location, this.#root);
    if (target.protocol !== 'https:' && target.origin !== this.#root.origin)
      throw new GitHubRequestError(
        `refusing a job log URL that is neither https nor the API host: ${target.origin}`,
      );
    const blob = await this.#fetch(target, {
      redirect: 'follow',
      signal: AbortSignal.timeout(this.#timeoutMs * 3),
    });
    if (!blob.ok || !blob.body) {
      // Logs expire (90 days by default) or are still being written: no log is not a failure of the job.
      return `(the log of this job could not be downloaded: HTTP ${blob.status})`;
    }
    return readTail(blob.body, this.#maxLogBytes);
  }

  async #call<T>(action: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error: unknown) {
      throw this.#map(error, action);
    }
  }

  #map(error: unknown, action: string) {
    return toGitHubError(error, { action, now: this.#now() });
  }
}

/** Build the adapter; see `OctokitCodeHostOptions`. */
export function createOctokitCodeHost(options: OctokitCodeHostOptions): CodeHost {
  return new OctokitCodeHost(options);
}

/** Reads a stream to the end, keeping only its last `maxBytes` bytes, as text. */
async function readTail(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let kept = 0;
  let dropped = false;
  for await (const chunk of body) {
    chunks.push(chunk);
    kept += chunk.byteLength;
    while (kept - (chunks[0]?.byteLength ?? 0) >= maxBytes && chunks.length > 1) {
      kept -= chunks.shift()?.byteLength ?? 0;
      dropped = true;
    }
  }
  const all = new Uint8Array(kept);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  const start = Math.max(0, kept - maxBytes);
  // `fatal: false`: a cut through a multi-byte character becomes one replacement character.
  const text = new TextDecoder('utf-8', { fatal: false }).decode(all.subarray(start));
  return dropped || start > 0 ? `[earlier log cut]\n${text}` : text;
}
