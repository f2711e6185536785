import { execFileSync } from 'node:child_process';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type GitHubAppStandInOptions,
  type MintedInstallationToken,
  makeGitHubAppState,
} from './github-app-stand-in.ts';

/**
 * A stateful stand-in for the slice of GitHub's REST (and GraphQL) API that ai-ops uses,
 * speaking the real paths, status codes and response shapes (docs.github.com/rest) on
 * 127.0.0.1, so adapters are tested through the real Octokit. It is mounted under a base
 * path (`/api/v3` by default, like GitHub Enterprise Server) so base-URL handling is tested too.
 */

export type BranchResolver = (owner: string, repo: string, branch: string) => string | undefined;

export interface GitHubStandInOptions {
  /** where the REST API is mounted; `''` for github.com-style URLs (default `/api/v3`) */
  basePath?: string;
  /**
   * heads of branches that are not in the stand-in's own state, e.g. the git server's bare repos:
   * `resolveBranch: bareRepoBranchResolver({ dirFor: gitServer.repoPath })`
   */
  resolveBranch?: BranchResolver;
  /** when given, only these tokens are accepted (`token X` or `Bearer X`); otherwise any token is */
  tokens?: string[];
  /**
   * origin of a git smart-HTTP server (test/support/git-server.ts): `/<owner>/<name>.git/…` is
   * forwarded there, so git and the API share one host, as on github.com and GitHub Enterprise
   */
  gitOrigin?: string;
  /**
   * act as a GitHub App: `GET /repos/{owner}/{repo}/installation` and
   * `POST /app/installations/{id}/access_tokens` take the app's JWT, and the installation tokens
   * they mint are accepted by every other route (besides `tokens`) until they expire
   */
  app?: GitHubAppStandInOptions;
}

export type Permission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

export interface CheckRunInput {
  name: string;
  status?: 'queued' | 'in_progress' | 'completed';
  conclusion?:
    | 'success'
    | 'failure'
    | 'neutral'
    | 'cancelled'
    | 'skipped'
    | 'timed_out'
    | 'action_required'
    | null;
  output?: { title?: string; summary?: string; text?: string };
}

export type Fault =
  | { kind: 'status'; status: number; message?: string; errors?: unknown[] }
  | { kind: 'unauthorized' }
  | { kind: 'rate_limit'; resetAt?: number }
  | { kind: 'secondary_rate_limit'; retryAfterSeconds?: number }
  | { kind: 'server_error'; status?: number }
  /** never answer (a GitHub that hangs): the request is held until the client gives up or dies */
  | { kind: 'stall' }
  /** do what the request asks, then never answer (the PR exists, but the client never learns it) */
  | { kind: 'stall_after' }
  /** answer with exactly this (e.g. an empty list, to play a read that raced a write) */
  | { kind: 'respond'; status: number; body: unknown; headers?: Record<string, string> };

export interface FaultRule {
  /** `METHOD /route/{template}` as in GitHub's docs (e.g. `POST /repos/{owner}/{repo}/pulls`); omit for every route */
  route?: string;
  /** how many matching requests answer with the fault (default 1) */
  times?: number;
  fault: Fault;
}

export interface RecordedRequest {
  method: string;
  /** the full path including the base path and query */
  path: string;
  /** the matched `METHOD /template`, undefined for unknown routes */
  route: string | undefined;
  headers: Record<string, string | undefined>;
  body: unknown;
  status: number;
}

export interface StandInLabel {
  id: number;
  node_id: string;
  name: string;
  color: string;
  description: string | null;
  default: boolean;
}

export interface StandInPull {
  number: number;
  nodeId: string;
  title: string;
  body: string;
  head: string;
  headSha: string;
  base: string;
  draft: boolean;
  state: 'open' | 'closed';
  merged: boolean;
  labels: string[];
  user: string;
  createdAt: string;
  updatedAt: string;
}

export interface StandInComment {
  id: number;
  issueNumber: number;
  body: string;
  user: string;
  createdAt: string;
}

interface RepoState {
  owner: string;
  name: string;
  id: number;
  defaultBranch: string;
  draftsSupported: boolean;
  branches: Map<string, string>;
  pulls: StandInPull[];
  comments: StandInComment[];
  labels: Map<string, StandInLabel>;
  checkRuns: Map<string, CheckRunInput[]>;
  permissions: Map<string, Permission>;
  workflowJobs: StandInWorkflowJob[];
  commitMessages: Map<string, string>;
  diffs: Map<number, string>;
}

/** A GitHub Actions job of a workflow run (its check run has the same id), with its log text. */
export interface StandInWorkflowJob {
  id: number;
  runId: number;
  checkSuiteId: number;
  headSha: string;
  name: string;
  conclusion: 'success' | 'failure' | 'cancelled' | 'skipped' | 'timed_out';
  log: string;
}

export interface AddRepoOptions {
  owner: string;
  repo: string;
  defaultBranch?: string;
  /** branch → commit sha */
  branches?: Record<string, string>;
  /** private repos on free plans refuse draft PRs with a 422 */
  draftsSupported?: boolean;
}

export interface GitHubStandIn {
  /** REST base URL to give Octokit, e.g. `http://127.0.0.1:PORT/api/v3` */
  readonly baseUrl: string;
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** where Octokit's graphql client posts for this base URL */
  readonly graphqlUrl: string;
  readonly requests: RecordedRequest[];
  addRepo(options: AddRepoOptions): void;
  setBranch(options: { owner: string; repo: string; branch: string; sha: string }): void;
  setCheckRuns(options: { owner: string; repo: string; ref: string; checkRuns: CheckRunInput[] }): void;
  setPermission(options: { owner: string; repo: string; user: string; permission: Permission }): void;
  /** a workflow run's jobs (Actions API) and the check runs of its suite (Checks API) */
  addWorkflowJobs(options: {
    owner: string;
    repo: string;
    runId: number;
    checkSuiteId: number;
    headSha: string;
    jobs: Array<Pick<StandInWorkflowJob, 'name' | 'conclusion' | 'log'>>;
  }): StandInWorkflowJob[];
  /** the message `GET /branches/{branch}` reports for a commit */
  setCommitMessage(options: { owner: string; repo: string; sha: string; message: string }): void;
  /** what `GET /pulls/{n}` answers with `Accept: application/vnd.github.diff` */
  setPullDiff(options: { owner: string; repo: string; number: number; diff: string }): void;
  failNext(rule: FaultRule): void;
  /** install the app (`app` option) on a repository; returns the installation id */
  installApp(options: { owner: string; repo: string }): number;
  /** every installation token minted so far, oldest first */
  installationTokens(): MintedInstallationToken[];
  pulls(options: { owner: string; repo: string }): StandInPull[];
  comments(options: { owner: string; repo: string }): StandInComment[];
  labels(options: { owner: string; repo: string }): StandInLabel[];
  /** simulate a merge (or a close without merge) done by a person */
  closePull(options: { owner: string; repo: string; number: number; merged: boolean }): void;
  close(): Promise<void>;
}

interface RouteContext {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  user: string;
  headers: Record<string, string | undefined>;
}

interface Reply {
  status: number;
  body?: unknown;
  /** sent as is instead of JSON (raw diffs, log blobs); set the content-type in `headers` */
  raw?: string;
  headers?: Record<string, string>;
}

/** Where job logs are served from, like GitHub's signed blob URLs: outside the API, no token needed. */
const LOG_BLOB_PATH = '/_blobs/job-logs/';

type Handler = (context: RouteContext) => Reply;

const DOCS = 'https://docs.github.com/rest';
const STAND_IN_USER = 'ai-ops-bot[bot]';

/** Start the stand-in on 127.0.0.1 and a free port. */
export async function startGitHubStandIn({
  basePath = '/api/v3',
  resolveBranch,
  tokens,
  gitOrigin,
  app,
}: GitHubStandInOptions = {}): Promise<GitHubStandIn> {
  const repos = new Map<string, RepoState>();
  const requests: RecordedRequest[] = [];
  const faults: Array<Required<Pick<FaultRule, 'times'>> & FaultRule> = [];
  let nextId = 1000;
  let origin = '';

  const repoKey = (owner: string, repo: string) => `${owner.toLowerCase()}/${repo.toLowerCase()}`;
  const findRepo = (owner: string, repo: string) => repos.get(repoKey(owner, repo));
  const requireRepo = (owner: string, repo: string) => {
    const state = findRepo(owner, repo);
    if (!state) throw new ReplyError({ status: 404, body: notFound() });
    return state;
  };
  const branchHead = (state: RepoState, branch: string) =>
    state.branches.get(branch) ?? resolveBranch?.(state.owner, state.name, branch);
  const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const repoUrl = (state: RepoState) => `${origin}${basePath}/repos/${state.owner}/${state.name}`;
  const htmlRepoUrl = (state: RepoState) => `${origin}/${state.owner}/${state.name}`;

  const labelJson = (state: RepoState, label: StandInLabel) => ({
    ...label,
    url: `${repoUrl(state)}/labels/${encodeURIComponent(label.name)}`,
  });
  const ensureLabel = (
    state: RepoState,
    name: string,
    color = 'ededed',
    description: string | null = null,
  ) => {
    const existing = findLabel(state, name);
    if (existing) return existing;
    const id = nextId++;
    const label: StandInLabel = { id, node_id: nodeId('LA', id), name, color, description, default: false };
    state.labels.set(name.toLowerCase(), label);
    return label;
  };
  const repoJson = (state: RepoState) => ({
    id: state.id,
    node_id: nodeId('R', state.id),
    name: state.name,
    full_name: `${state.owner}/${state.name}`,
    owner: { login: state.owner, id: 1, type: 'Organization' },
    private: true,
    html_url: htmlRepoUrl(state),
    url: repoUrl(state),
    default_branch: state.defaultBranch,
  });
  const pullJson = (state: RepoState, pull: StandInPull) => ({
    url: `${repoUrl(state)}/pulls/${pull.number}`,
    id: pull.number + 500_000,
    node_id: pull.nodeId,
    html_url: `${htmlRepoUrl(state)}/pull/${pull.number}`,
    diff_url: `${htmlRepoUrl(state)}/pull/${pull.number}.diff`,
    issue_url: `${repoUrl(state)}/issues/${pull.number}`,
    number: pull.number,
    state: pull.state,
    locked: false,
    title: pull.title,
    user: { login: pull.user, id: 2, type: 'Bot' },
    body: pull.body,
    labels: pull.labels.map((name) => labelJson(state, ensureLabel(state, name))),
    created_at: pull.createdAt,
    updated_at: pull.updatedAt,
    closed_at: pull.state === 'closed' ? pull.updatedAt : null,
    merged_at: pull.merged ? pull.updatedAt : null,
    merge_commit_sha: null,
    draft: pull.draft,
    merged: pull.merged,
    head: {
      label: `${state.owner}:${pull.head}`,
      ref: pull.head,
      sha: branchHead(state, pull.head) ?? pull.headSha,
      user: { login: state.owner },
      repo: repoJson(state),
    },
    base: {
      label: `${state.owner}:${pull.base}`,
      ref: pull.base,
      sha: branchHead(state, pull.base) ?? '',
      user: { login: state.owner },
      repo: repoJson(state),
    },
    author_association: 'NONE',
  });
  const commentJson = (state: RepoState, comment: StandInComment) => ({
    id: comment.id,
    node_id: nodeId('IC', comment.id),
    url: `${repoUrl(state)}/issues/comments/${comment.id}`,
    html_url: `${htmlRepoUrl(state)}/pull/${comment.issueNumber}#issuecomment-${comment.id}`,
    issue_url: `${repoUrl(state)}/issues/${comment.issueNumber}`,
    body: comment.body,
    user: { login: comment.user, id: 2, type: 'Bot' },
    created_at: comment.createdAt,
    updated_at: comment.createdAt,
    author_association: 'NONE',
  });
  const requirePull = (state: RepoState, numberParam: string | undefined) => {
    const pull = state.pulls.find((p) => p.number === Number(numberParam));
    if (!pull) throw new ReplyError({ status: 404, body: notFound() });
    return pull;
  };

  const routes: Array<[string, Handler]> = [
    [
      'GET /repos/{owner}/{repo}',
      ({ params }) => ({ status: 200, body: repoJson(requireRepo(params.owner ?? '', params.repo ?? '')) }),
    ],
    [
      'GET /repos/{owner}/{repo}/branches/{branch}',
      ({ params }) => {
        const state = requireRepo(params.owner ?? '', params.repo ?? '');
        const sha = branchHead(state, params.branch ?? '');
        if (!sha)
          return {
            status: 404,
            body: { message: 'Branch not found', documentation_url: DOCS, status: '404' },
          };
        return {
          status: 200,
          body: {
            name: params.branch,
            commit: {
              sha,
              url: `${repoUrl(state)}/commits/${sha}`,
              commit: { message: state.commitMessages.get(sha) ?? '' },
            },
            protected: false,
          },
        };
      },
    ],
    [
      'GET /repos/{owner}/{repo}/git/ref/{ref+}',
      ({ params }) => {
        const state = requireRepo(params.owner ?? '', params.repo ?? '');
        const ref = params.ref ?? '';
        const sha = ref.startsWith('heads/') ? branchHead(state, ref.slice('heads/'.length)) : undefined;
        if (!sha) return { status: 404, body: notFound() };
        return {
          status: 200,
          body: {
            ref: `refs/${ref}`,
            node_id: nodeId('REF', 1),
            url: `${repoUrl(state)}/git/refs/${ref}`,
            object: { sha, type: 'commit' },
          },
        };
      },
    ],
    [
      'POST /repos/{owner}/{repo}/git/refs',
      ({ params, body }) => {
        const state = requireRepo(params.owner ?? '', params.repo ?? '');
        const { ref, sha } = asRecord(body);
        if (typeof ref !== 'string' || !ref.startsWith('refs/heads/') || typeof sha !== 'string') {
          return validationFailed([{ resource: 'Reference', field: 'ref', code: 'invalid' }]);
        }
        const branch = ref.slice('refs/heads/'.length);
        if (branchHead(state, branch))
          return {
            status: 422,
            body: { message: 'Reference already exists', documentation_url: DOCS, status: '422' },
          };
        state.branches.set(branch, sha);
        return {
          status: 201,
          body: { ref, url: `${repoUrl(state)}/git/${ref}`, object: { sha, type: 'commit' } },
        };
      },
    ],
    [
      'GET /repos/{owner}/{repo}/pulls',
      ({ params, query }) => {
        const state = requireRepo(params.owner ?? '', params.repo ?? '');
        const wantedState = query.get('state') ?? 'open';
        // GitHub wants `user:ref-name`; a bare branch name is silently ignored (and lists every PR).
        const head = query.get('head');
        const headFilter = head?.includes(':') ? head : undefined;
        const base = query.get('base');
        const perPage = Math.min(100, Number(query.get('per_page') ?? 30) || 30);
        const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
        const matching = state.pulls
          .filter((p) => wantedState === 'all' || p.state === wantedState)
          .filter((p) => !headFilter || `${state.owner}:${p.head}`.toLowerCase() === headFilter.toLowerCase())
          .filter((p) => !base || p.base === base)
          .sort((a, b) => b.number - a.number);
        return {
          status: 200,
          body: matching.slice((page - 1) * perPage, page * perPage).map((p) => pullJson(state, p)),
        };
      },
    ],
    [
      'POST /repos/{owner}/{repo}/pulls',
      ({ params, body, user }) => {
        const state = requireRepo(params.owner ?? '', params.repo ?? '');
        const input = asRecord(body);
        const rawHead = typeof input.head === 'string' ? input.head : '';
        const head = rawHead.includes(':') ? rawHead.slice(rawHead.indexOf(':') + 1) : rawHead;
        const base = typeof input.base === 'string' ? input.base : '';
        const title = typeof input.title === 'string' ? input.title : '';
        if (!title)
          return validationFailed([{ resource: 'PullRequest', field: 'title', code: 'missing_field' }]);
        const headSha = branchHead(state, head);
        if (!headSha) return validationFailed([{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
        if (!branchHead(state, base))
          return validationFailed([{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
        if (state.pulls.some((p) => p.state === 'open' && p.head === head && p.base === base)) {
          return validationFailed([
            {
              resource: 'PullRequest',
              code: 'custom',
              message: `A pull request already exists for ${state.owner}:${head}.`,
            },
          ]);
        }
        if (input.draft === true && !state.draftsSupported) {
          return validationFailed([
            {
              resource: 'PullRequest',
              code: 'custom',
              message: 'Draft pull requests are not supported in this repository.',
            },
          ]);
        }
        const number = state.pulls.length + 1;
        const created = now();
        const pull: StandInPull = {
          number,
          nodeId: nodeId('PR', number, `${state.owner}/${state.name}`),
          title,
          body: typeof input.body === 'string' ? input.body : '',
          head,
          headSha,
          base,
          draft: input.draft === true,
          state: 'open',
          merged: false,
          labels: [],
          user,
          createdAt: created,
          updatedAt: created,
        };
        state.pulls.push(pull);
        return {
          status: 201,
          body: pullJson(state, pull),
          headers: { location: `${repoUrl(state)}/pulls/${number}` },
        };
      },
    ],
    [
      'GET /repos/{owner}/{repo}/pulls/{pull_number}',
      ({ params, headers }) => {
        const state = requireRepo(params.owner ?? '', params.repo ?? '');
        const pull = requirePull(state, params.pull_number);
        if (/application\/vnd\.github(?:\.v3)?\.diff/.test(headers.accept ?? ''))
          return {
            status: 200,
            raw: state.diffs.get(pull.number) ?? '',
            headers: { 'content-type': 'text/plain; charset=utf-8' },
          };
        return { status: 200, body: pullJson(state, pull) };
      },
    ],
    [
      'PATCH /repos/{owner}/{repo}/pulls/{pull_number}',
      ({ params, body }) => {
        const state = requireRepo(params.owner ?? '', params.repo ?? '');
        const pull = requirePull(state, params.pull_number);
        const input = asRecord(body);
        if (typeof input.title === 'string') pull.title = input.title;
        if (typeof input.body === 'string') pull.body = input.body;
        if (input.state === 'open' || input.state === 'closed') pull.state = input.state;
        if (typeof input.base === 'string') pull.base = input.base;
        pull.updatedAt = now();
        return { status: 200, body: pullJson(state, pull) };
      },
    ],
    [
      'PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge',
      ({ params }) => {
        const state = requireRepo(params.owner ?? '', params.repo ?? '');
        const pull = requirePull(state, params.pull_number);
        if (pull.state !== 'open' || pull.draft) {
          return {
            status: 405,
            body: { message: 'Pull Request is not mergeable', documentation_url: DOCS, status: '405' },
          };
        }
        Object.assign(pull, { state: 'closed', merged: true, updatedAt: now() });
        return {
          status: 200,
          body: { sha: pull.headSha, merged: true, message: 'Pull Request successfully merged' },
        };
      },
    ],
    [
      'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
      ({ params }) => {
        const state = requireRepo(params.owner ?? '', params.repo ?? '');
        requirePull(state, params.issue_number);
        const number = Number(params.issue_number);
        return {
          status: 200,
          body: state.comments.filter((c) => c.issueNumber === number).map((c) => commentJson(state, c)),
        };
      },
    ],
    [
      'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
      ({ params, body, user }) => {
        const state = requireRepo(params.owner ?? '', params.repo ?? '');
        const pull = requirePull(state, params.issue_number);
        const text = asRecord(body).body;
        if (typeof text !== 'string' || text === '')
          return validationFailed([{ resource: 'IssueComment', field: 'body', code: 'missing_field' }]);
        const comment: StandInComment = {
          id: nextId++,
          issueNumber: pull.number,
          body: text,
          user,
          createdAt: now(),
        };
        state.comments.push(comment);
        return {
          status: 201,
          body: commentJson(state, comment),
          headers: { location: `${repoUrl(state)}/issues/comments/${comment.id}` },
        };
      },
    ],
    [
      'GET /repos/{owner}/{repo}/labels/{name}',
      ({ params }) => {
        const state = requireRepo(params.owner ?? '', params.repo ?? '');
        const label = findLabel(state, params.name ?? '');
        return label ? { status: 200, body: labelJson(state, label) } : { status: 404, body: notFound() };
      },
    ],
    [
      'POST /repos/{owner}/{repo}/labels',
      ({ params, body }) => {
        const state = requireRepo(params.owner ?? '', params.repo ?? '');
        const { name, color, description } = asRecord(body);
        if (typeof name !== 'string' || name === '')
          return validationFailed([{ resource: 'Label', field: 'name', code: 'missing_field' }]);
        if (findLabel(state, name))
          return validationFailed([{ resource: 'Label', field: 'name', code: 'already_exists' }]);
        const label = ensureLabel(
          state,
          name,
          typeof color === 'string' ? color.replace(/^#/, '') : 'ededed',
          typeof description === 'string' ? description : null,
        );
        return { status: 201, body: labelJson(state, label) };
      },
    ],
    [
      'GET /repos/{owner}/{repo}/issues/{issue_number}/labels',
      ({ params }) => {
        const state = requireRepo(params.owner ?? '', params.repo ?? '');
        const pull = requirePull(state, params.issue_number);
        return { status: 200, body: pull.labels.map((name) => labelJson(state, ensureLabel(state, name))) };
      },
    ],
    [
      'POST /repos/{owner}/{repo}/issues/{issue_number}/labels',
      ({ params, body }) => {
        const state = requireRepo(params.owner ?? '', params.repo ?? '');
        const pull = requirePull(state, params.issue_number);
        const input = asRecord(body);
        const labels = Array.isArray(input.labels) ? input.labels : [];
        if (labels.length === 0 || !labels.every((l): l is string => typeof l === 'string')) {
          return validationFailed([{ resource: 'Label', field: 'labels', code: 'invalid' }]);
        }
        for (const name of labels) {
          // Like GitHub, adding a label the repository lacks creates it with the default colour.
          const label = ensureLabel(state, name);
          if (!pull.labels.some((l) => l.toLowerCase() === label.name.toLowerCase()))
            pull.labels.push(label.name);
        }
        return { status: 200, body: pull.labels.map((name) => labelJson(state, ensureLabel(state, name))) };
      },
    ],
    [
      'GET /repos/{owner}/{repo}/commits/{ref}/check-runs',
      ({ params }) => {
        const state = requireRepo(params.owner ?? '', params.repo ?? '');
        const ref = params.ref ?? '';
        const sha = /^[0-9a-f]{40}$/.test(ref) ? ref : branchHead(state, ref);
        if (!sha)
          return {
            status: 422,
            body: { message: `No commit found for SHA: ${ref}`, documentation_url: DOCS, status: '422' },
          };
        const runs = state.checkRuns.get(sha) ?? state.checkRuns.get(ref) ?? [];
        return {
          status: 200,
          body: {
            total_count: runs.length,
            check_runs: runs.map((run, index) => {
              const id = 9000 + index;
              const status = run.status ?? 'completed';
              return {
                id,
                node_id: nodeId('CR', id),
                head_sha: sha,
                external_id: '',
                url: `${repoUrl(state)}/check-runs/${id}`,
                html_url: `${htmlRepoUrl(state)}/runs/${id}`,
                details_url: `${htmlRepoUrl(state)}/actions/runs/${id}`,
                status,
                conclusion: status === 'completed' ? (run.conclusion ?? 'success') : null,
                started_at: now(),
                completed_at: status === 'completed' ? now() : null,
                output: {
                  title: run.output?.title ?? null,
                  summary: run.output?.summary ?? null,
                  text: run.output?.text ?? null,
                  annotations_count: 0,
                },
                name: run.name,
                app: { id: 15368, slug: 'github-actions', name: 'GitHub Actions' },
                pull_requests: [],
              };
            }),
          },
        };
      },
    ],
    [
      'GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs',
      ({ params }) => {
        const state = requireRepo(params.owner ?? '', params.repo ?? '');
        const jobs = state.workflowJobs.filter((j) => j.runId === Number(params.run_id));
        return {
          status: 200,
          body: { total_count: jobs.length, jobs: jobs.map((j) => workflowJobJson(state, j)) },
        };
      },
    ],
    [
      'GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs',
      ({ params }) => {
        const state = requireRepo(params.owner ?? '', params.repo ?? '');
        const job = state.workflowJobs.find((j) => j.id === Number(params.job_id));
        if (!job) return { status: 404, body: notFound() };
        // GitHub answers with a redirect to a short-lived blob URL on another host.
        return { status: 302, headers: { location: `${origin}${LOG_BLOB_PATH}${job.id}` } };
      },
    ],
    [
      'GET /repos/{owner}/{repo}/check-suites/{check_suite_id}/check-runs',
      ({ params }) => {
        const state = requireRepo(params.owner ?? '', params.repo ?? '');
        const jobs = state.workflowJobs.filter((j) => j.checkSuiteId === Number(params.check_suite_id));
        return {
          status: 200,
          body: {
            total_count: jobs.length,
            check_runs: jobs.map((j) => ({
              id: j.id,
              name: j.name,
              head_sha: j.headSha,
              status: 'completed',
              conclusion: j.conclusion,
              html_url: `${htmlRepoUrl(state)}/actions/runs/${j.runId}/job/${j.id}`,
              details_url: `${htmlRepoUrl(state)}/actions/runs/${j.runId}/job/${j.id}`,
              output: { title: null, summary: null, text: null, annotations_count: 0 },
              check_suite: { id: j.checkSuiteId },
              app: { id: 15368, slug: 'github-actions', name: 'GitHub Actions' },
            })),
          },
        };
      },
    ],
    [
      'GET /repos/{owner}/{repo}/collaborators/{username}/permission',
      ({ params }) => {
        const state = requireRepo(params.owner ?? '', params.repo ?? '');
        const username = params.username ?? '';
        const permission = state.permissions.get(username.toLowerCase()) ?? 'none';
        // `permission` keeps the legacy four values; `role_name` carries the fine-grained one.
        const legacy = permission === 'maintain' ? 'write' : permission === 'triage' ? 'read' : permission;
        return {
          status: 200,
          body: {
            permission: legacy,
            role_name: permission,
            user: { login: username, id: 3, type: 'User', permissions: permissionFlags(permission) },
          },
        };
      },
    ],
  ];

  // GitHub App routes: answered only with the app's JWT (checked in `handle`), like GitHub.
  const appState = app ? makeGitHubAppState(app) : undefined;
  const APP_ROUTES = new Set([
    'GET /repos/{owner}/{repo}/installation',
    'POST /app/installations/{id}/access_tokens',
  ]);
  if (appState) {
    routes.push(
      [
        'GET /repos/{owner}/{repo}/installation',
        ({ params }) => {
          const state = requireRepo(params.owner ?? '', params.repo ?? '');
          const id = appState.installationOf(repoKey(state.owner, state.name));
          if (id === undefined) return { status: 404, body: notFound() };
          return {
            status: 200,
            body: {
              id,
              app_id: Number(app?.appId),
              account: { login: state.owner, id: 1, type: 'Organization' },
              repository_selection: 'selected',
              target_type: 'Organization',
              access_tokens_url: `${origin}${basePath}/app/installations/${id}/access_tokens`,
              permissions: { contents: 'write', pull_requests: 'write', issues: 'write', checks: 'read' },
              events: ['check_suite', 'workflow_run', 'issue_comment', 'pull_request'],
            },
          };
        },
      ],
      [
        'POST /app/installations/{id}/access_tokens',
        ({ params }) => {
          const id = Number(params.id);
          if (!appState.hasInstallation(id)) return { status: 404, body: notFound() };
          const minted = appState.mint(id);
          return {
            status: 201,
            body: {
              token: minted.token,
              expires_at: minted.expiresAt,
              permissions: { contents: 'write', pull_requests: 'write', issues: 'write', checks: 'read' },
              repository_selection: 'selected',
            },
          };
        },
      ],
    );
  }
  const isAuthorized = (route: string | undefined, token: string | undefined): boolean => {
    if (appState && route !== undefined && APP_ROUTES.has(route)) return appState.isAppJwt(token);
    if (appState?.isInstallationToken(token)) return true;
    return token !== undefined && (!tokens || tokens.includes(token));
  };

  const graphql = (body: unknown): Reply => {
    const { query, variables } = asRecord(body);
    if (typeof query !== 'string')
      return { status: 400, body: { message: 'Problems parsing JSON', documentation_url: DOCS } };
    if (!/\bmarkPullRequestReadyForReview\b/.test(query)) {
      return {
        status: 200,
        body: { errors: [{ message: 'The stand-in only supports markPullRequestReadyForReview' }] },
      };
    }
    const vars = asRecord(variables);
    const inline = query.match(/pullRequestId:\s*"([^"]+)"/)?.[1];
    const id = inline ?? Object.values(vars).find((v): v is string => typeof v === 'string');
    for (const state of repos.values()) {
      const pull = state.pulls.find((p) => p.nodeId === id);
      if (!pull) continue;
      pull.draft = false;
      pull.updatedAt = now();
      return {
        status: 200,
        body: {
          data: {
            markPullRequestReadyForReview: {
              clientMutationId: null,
              pullRequest: {
                id: pull.nodeId,
                number: pull.number,
                isDraft: false,
                url: `${htmlRepoUrl(state)}/pull/${pull.number}`,
                state: pull.state.toUpperCase(),
              },
            },
          },
        },
      };
    }
    return {
      status: 200,
      body: {
        data: { markPullRequestReadyForReview: null },
        errors: [
          {
            type: 'NOT_FOUND',
            path: ['markPullRequestReadyForReview'],
            locations: [{ line: 1, column: 1 }],
            message: `Could not resolve to a node with the global id of '${id ?? ''}'`,
          },
        ],
      },
    };
  };

  const graphqlPaths = new Set([
    `${basePath}/graphql`,
    basePath.endsWith('/api/v3') ? basePath.replace(/\/v3$/, '/graphql') : '/graphql',
  ]);

  const takeFault = (route: string | undefined): Fault | undefined => {
    const index = faults.findIndex((f) => f.route === undefined || f.route === route);
    const rule = faults[index];
    if (!rule) return undefined;
    rule.times -= 1;
    if (rule.times <= 0) faults.splice(index, 1);
    return rule.fault;
  };

  const workflowJobJson = (state: RepoState, job: StandInWorkflowJob) => ({
    id: job.id,
    run_id: job.runId,
    head_sha: job.headSha,
    name: job.name,
    status: 'completed',
    conclusion: job.conclusion,
    html_url: `${htmlRepoUrl(state)}/actions/runs/${job.runId}/job/${job.id}`,
    check_run_url: `${repoUrl(state)}/check-runs/${job.id}`,
    steps: [],
  });
  const findJobLog = (id: number) => {
    for (const state of repos.values()) {
      const job = state.workflowJobs.find((j) => j.id === id);
      if (job) return job.log;
    }
    return undefined;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    if (request.method === 'GET' && url.pathname.startsWith(LOG_BLOB_PATH)) {
      const log = findJobLog(Number(url.pathname.slice(LOG_BLOB_PATH.length)));
      requests.push({
        method: 'GET',
        path: url.pathname,
        route: `GET ${LOG_BLOB_PATH}{job_id}`,
        headers: { authorization: request.headers.authorization },
        body: '',
        status: log === undefined ? 404 : 200,
      });
      response.writeHead(log === undefined ? 404 : 200, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(log ?? 'Not Found');
      return;
    }
    const raw = await readBody(request);
    let body: unknown = raw;
    if (raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    const method = request.method ?? 'GET';
    const headers = Object.fromEntries(
      Object.entries(request.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]),
    );
    const record: RecordedRequest = {
      method,
      path: `${url.pathname}${url.search}`,
      route: undefined,
      headers,
      body,
      status: 0,
    };
    requests.push(record);

    let reply: Reply;
    const isGraphql = method === 'POST' && graphqlPaths.has(url.pathname);
    const match = isGraphql ? undefined : matchRoute(routes, method, url.pathname, basePath);
    record.route = isGraphql ? 'POST /graphql' : match?.route;
    const token = bearer(headers.authorization);
    const fault = takeFault(record.route);
    if (fault?.kind === 'stall') return;
    if (fault && fault.kind !== 'stall_after') {
      reply = faultReply(fault);
    } else if (!isAuthorized(record.route, token)) {
      reply = { status: 401, body: { message: 'Bad credentials', documentation_url: DOCS, status: '401' } };
    } else if (isGraphql) {
      reply = graphql(body);
    } else if (!match) {
      reply = { status: 404, body: notFound() };
    } else {
      try {
        reply = match.handler({
          params: match.params,
          query: url.searchParams,
          body,
          user: STAND_IN_USER,
          headers,
        });
      } catch (error: unknown) {
        if (!(error instanceof ReplyError)) throw error;
        reply = error.reply;
      }
    }
    record.status = reply.status;
    if (fault?.kind === 'stall_after') return;
    const payload = reply.raw ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
    response.writeHead(reply.status, {
      'content-type': 'application/json; charset=utf-8',
      'x-github-request-id': `STAND-IN:${requests.length}`,
      'x-github-media-type': 'github.v3; format=json',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      'x-ratelimit-resource': 'core',
      ...reply.headers,
    });
    response.end(payload);
  };

  const server = createServer((request, response) => {
    if (gitOrigin && /^\/[^/]+\/[^/]+\.git\//.test(request.url ?? '')) {
      forwardToGit({ request, response, gitOrigin });
      return;
    }
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ message: `stand-in bug: ${String(error)}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  const graphqlUrl = `${origin}${[...graphqlPaths][1] ?? `${basePath}/graphql`}`;

  const requireState = (owner: string, repo: string) => {
    const state = findRepo(owner, repo);
    if (!state) throw new Error(`stand-in has no repo ${owner}/${repo}; call addRepo first`);
    return state;
  };

  return {
    baseUrl: `${origin}${basePath}`,
    origin,
    graphqlUrl,
    requests,
    addRepo({ owner, repo, defaultBranch = 'main', branches = {}, draftsSupported = true }) {
      repos.set(repoKey(owner, repo), {
        owner,
        name: repo,
        id: nextId++,
        defaultBranch,
        draftsSupported,
        branches: new Map(Object.entries(branches)),
        pulls: [],
        comments: [],
        labels: new Map(),
        checkRuns: new Map(),
        permissions: new Map(),
        workflowJobs: [],
        commitMessages: new Map(),
        diffs: new Map(),
      });
    },
    setBranch({ owner, repo, branch, sha }) {
      requireState(owner, repo).branches.set(branch, sha);
    },
    setCheckRuns({ owner, repo, ref, checkRuns }) {
      requireState(owner, repo).checkRuns.set(ref, checkRuns);
    },
    setPermission({ owner, repo, user, permission }) {
      requireState(owner, repo).permissions.set(user.toLowerCase(), permission);
    },
    addWorkflowJobs({ owner, repo, runId, checkSuiteId, headSha, jobs }) {
      const state = requireState(owner, repo);
      const added = jobs.map((job) => ({ ...job, id: nextId++, runId, checkSuiteId, headSha }));
      state.workflowJobs.push(...added);
      return added;
    },
    setCommitMessage({ owner, repo, sha, message }) {
      requireState(owner, repo).commitMessages.set(sha, message);
    },
    setPullDiff({ owner, repo, number, diff }) {
      requireState(owner, repo).diffs.set(number, diff);
    },
    failNext({ route, times = 1, fault }) {
      faults.push({ route, times, fault });
    },
    installApp({ owner, repo }) {
      if (!appState) throw new Error('start the stand-in with the `app` option to install a GitHub App');
      const state = requireState(owner, repo);
      const id = nextId++;
      appState.install(repoKey(state.owner, state.name), id);
      return id;
    },
    installationTokens: () => [...(appState?.minted ?? [])],
    pulls: ({ owner, repo }) => requireState(owner, repo).pulls,
    comments: ({ owner, repo }) => requireState(owner, repo).comments,
    labels: ({ owner, repo }) => [...requireState(owner, repo).labels.values()],
    closePull({ owner, repo, number, merged }) {
      const pull = requireState(owner, repo).pulls.find((p) => p.number === number);
      if (!pull) throw new Error(`stand-in has no PR #${number} in ${owner}/${repo}`);
      Object.assign(pull, { state: 'closed', merged, updatedAt: now() });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Resolve branch heads from bare repositories on disk (`git rev-parse`), e.g. the ones the git server serves. */
export function bareRepoBranchResolver({
  dirFor,
}: {
  dirFor: (owner: string, repo: string) => string | undefined;
}): BranchResolver {
  return (owner, repo, branch) => {
    const dir = dirFor(owner, repo);
    if (!dir) return undefined;
    try {
      return execFileSync(
        'git',
        ['--git-dir', dir, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`],
        {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        },
      ).trim();
    } catch {
      return undefined;
    }
  };
}

class ReplyError extends Error {
  constructor(readonly reply: Reply) {
    super(`reply ${reply.status}`);
  }
}

function matchRoute(
  routes: Array<[string, Handler]>,
  method: string,
  pathname: string,
  basePath: string,
): { route: string; handler: Handler; params: Record<string, string> } | undefined {
  if (!pathname.startsWith(`${basePath}/`)) return undefined;
  const segments = pathname
    .slice(basePath.length + 1)
    .split('/')
    .map(decodeURIComponent);
  for (const [route, handler] of routes) {
    const [routeMethod, template = ''] = route.split(' ');
    if (routeMethod !== method) continue;
    const parts = template.slice(1).split('/');
    const params: Record<string, string> = {};
    let matched = true;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] ?? '';
      const segment = segments[i];
      if (part.endsWith('+}')) {
        // a greedy parameter: the rest of the path (git refs contain slashes)
        params[part.slice(1, -2)] = segments.slice(i).join('/');
        i = parts.length;
        break;
      }
      if (segment === undefined) {
        matched = false;
        break;
      }
      if (part.startsWith('{')) params[part.slice(1, -1)] = segment;
      else if (part !== segment) {
        matched = false;
        break;
      }
    }
    if (matched && (parts.at(-1)?.endsWith('+}') || parts.length === segments.length))
      return { route, handler, params };
  }
  return undefined;
}

function faultReply(fault: Exclude<Fault, { kind: 'stall' | 'stall_after' }>): Reply {
  switch (fault.kind) {
    case 'unauthorized':
      return { status: 401, body: { message: 'Bad credentials', documentation_url: DOCS, status: '401' } };
    case 'rate_limit': {
      const reset = Math.floor((fault.resetAt ?? Date.now() + 60_000) / 1000);
      return {
        status: 403,
        headers: {
          'x-ratelimit-limit': '5000',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-used': '5000',
          'x-ratelimit-reset': String(reset),
        },
        body: {
          message:
            'API rate limit exceeded for installation ID 1. If you reach out to GitHub Support for help, please include the request ID STAND-IN.',
          documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
          status: '403',
        },
      };
    }
    case 'secondary_rate_limit':
      return {
        status: 403,
        headers: { 'retry-after': String(fault.retryAfterSeconds ?? 60) },
        body: {
          message:
            'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID STAND-IN.',
          documentation_url:
            'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
          status: '403',
        },
      };
    case 'respond':
      return { status: fault.status, body: fault.body, headers: fault.headers };
    case 'server_error':
      return { status: fault.status ?? 500, body: { message: 'Server Error' } };
    case 'status':
      return {
        status: fault.status,
        body: {
          message: fault.message ?? 'Validation Failed',
          ...(fault.errors ? { errors: fault.errors } : {}),
          documentation_url: DOCS,
          status: String(fault.status),
        },
      };
  }
}

function validationFailed(errors: unknown[]): Reply {
  return {
    status: 422,
    body: { message: 'Validation Failed', errors, documentation_url: DOCS, status: '422' },
  };
}

function notFound() {
  return { message: 'Not Found', documentation_url: DOCS, status: '404' };
}

function findLabel(state: RepoState, name: string): StandInLabel | undefined {
  return state.labels.get(name.toLowerCase());
}

function nodeId(prefix: string, id: number, scope = ''): string {
  return `${prefix}_${Buffer.from(`${scope}#${id}`).toString('base64url')}`;
}

function permissionFlags(permission: Permission) {
  const rank = ['none', 'read', 'triage', 'write', 'maintain', 'admin'].indexOf(permission);
  return { admin: rank >= 5, maintain: rank >= 4, push: rank >= 3, triage: rank >= 2, pull: rank >= 1 };
}

function bearer(authorization: string | undefined): string | undefined {
  return authorization?.match(/^(?:token|bearer)\s+(\S+)$/i)?.[1];
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/** Pipes one git smart-HTTP request to the git server and its answer back, untouched. */
function forwardToGit({
  request,
  response,
  gitOrigin,
}: {
  request: IncomingMessage;
  response: ServerResponse;
  gitOrigin: string;
}): void {
  const target = new URL(request.url ?? '/', gitOrigin);
  const upstream = httpRequest(
    target,
    { method: request.method, headers: { ...request.headers, host: target.host } },
    (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    },
  );
  upstream.on('error', (error) => {
    response.writeHead(502, { 'content-type': 'text/plain' });
    response.end(`git server unreachable: ${error.message}`);
  });
  request.pipe(upstream);
}
