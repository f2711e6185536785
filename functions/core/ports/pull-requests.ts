import type { RepoRef } from '../contracts.ts';

/**
 * The pull-request side of the repair: what the use case needs from the code host, named
 * for what it needs. `functions/adapters/octokit-pull-requests.ts` implements it over the
 * GitHub REST API; core tests use an in-memory fake.
 */

/** owner + name of a repository (a `RepoRef` without the branch). */
export type RepoCoordinates = Pick<RepoRef, 'owner' | 'name'>;

export interface PullRequest {
  number: number;
  /** the page a person opens (`html_url`) */
  url: string;
  /** the GraphQL node id (needed by `markPullRequestReadyForReview`) */
  nodeId: string;
  title: string;
  body: string;
  headBranch: string;
  headSha: string;
  baseBranch: string;
  draft: boolean;
  state: 'open' | 'closed';
  merged: boolean;
  /** epoch ms of the merge, when merged */
  mergedAt?: number;
  /** the commit the merge made on the base branch, when GitHub reports it */
  mergeCommitSha?: string;
  labels: string[];
}

export interface OpenPullRequestRequest {
  repo: RepoCoordinates;
  /** the branch holding the fix, in the same repository */
  head: string;
  base: string;
  title: string;
  body: string;
  /** defaults to true: a person marks it ready (or CI does) */
  draft?: boolean;
  labels?: string[];
}

/** One open PR per head branch: opening twice answers the PR that is already there. */
export type OpenPullRequestOutcome =
  | { kind: 'opened'; pr: PullRequest }
  | { kind: 'existing'; pr: PullRequest };

export interface PullRequests {
  /** the open PR whose head is `branch`, if any */
  findOpen(options: { repo: RepoCoordinates; branch: string }): Promise<PullRequest | undefined>;
  /** open a (draft) PR, or answer the open one for the same head branch */
  open(request: OpenPullRequestRequest): Promise<OpenPullRequestOutcome>;
  get(options: { repo: RepoCoordinates; number: number }): Promise<PullRequest | undefined>;
  updateBody(options: { repo: RepoCoordinates; number: number; body: string }): Promise<PullRequest>;
  /** add labels, creating missing ones in the repository first */
  addLabels(options: { repo: RepoCoordinates; number: number; labels: string[] }): Promise<void>;
  comment(options: {
    repo: RepoCoordinates;
    number: number;
    body: string;
  }): Promise<{ id: number; url: string }>;
}

export type GitHubErrorCode =
  | 'GITHUB_AUTH'
  | 'GITHUB_RATE_LIMIT'
  | 'GITHUB_NOT_FOUND'
  | 'GITHUB_FORBIDDEN'
  | 'GITHUB_VALIDATION'
  | 'GITHUB_SERVER'
  | 'GITHUB_REQUEST';

interface GitHubErrorOptions {
  status?: number;
  cause?: unknown;
}

/** Base of every error a `PullRequests` implementation throws; `retryable` drives the SQS retry. */
export abstract class GitHubError extends Error {
  abstract readonly code: GitHubErrorCode;
  abstract readonly retryable: boolean;
  readonly status: number | undefined;

  constructor(message: string, { status, cause }: GitHubErrorOptions = {}) {
    super(message, { cause });
    this.name = new.target.name;
    this.status = status;
  }
}

export class GitHubAuthError extends GitHubError {
  readonly code = 'GITHUB_AUTH';
  readonly retryable = false;
}

export class GitHubRateLimitError extends GitHubError {
  readonly code = 'GITHUB_RATE_LIMIT';
  readonly retryable = true;
  /** when the limit resets (epoch ms) */
  readonly resetAt: number;

  constructor(message: string, options: GitHubErrorOptions & { resetAt: number }) {
    super(message, options);
    this.resetAt = options.resetAt;
  }
}

export class GitHubNotFoundError extends GitHubError {
  readonly code = 'GITHUB_NOT_FOUND';
  readonly retryable = false;
}

/** 403 that is not a rate limit: the token lacks a permission (e.g. pull_requests: write). */
export class GitHubForbiddenError extends GitHubError {
  readonly code = 'GITHUB_FORBIDDEN';
  readonly retryable = false;
}

export class GitHubValidationError extends GitHubError {
  readonly code = 'GITHUB_VALIDATION';
  readonly retryable = false;
  /** GitHub's `errors[].message` / `errors[].code` entries */
  readonly details: string[];

  constructor(message: string, options: GitHubErrorOptions & { details?: string[] } = {}) {
    super(message, options);
    this.details = options.details ?? [];
  }
}

/** 5xx, timeouts and connection failures: worth another try later. */
export class GitHubServerError extends GitHubError {
  readonly code = 'GITHUB_SERVER';
  readonly retryable = true;
}

export class GitHubRequestError extends GitHubError {
  readonly code = 'GITHUB_REQUEST';
  readonly retryable = false;
}

/** True when a failed GitHub call may succeed if the whole job is tried again later. */
export function isRetryableGitHubError(error: unknown): boolean {
  return error instanceof GitHubError && error.retryable;
}
