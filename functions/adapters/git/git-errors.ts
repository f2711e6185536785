import { Errors } from 'isomorphic-git';

export type GitErrorCode =
  | 'git_auth'
  | 'git_not_found'
  | 'git_push_rejected'
  | 'git_network'
  | 'git_server'
  | 'git_invalid_path'
  | 'git_ref_refused'
  | 'git_failed';

/** Base of every error the git workspace throws; `code` is what callers branch on. */
export class GitWorkspaceError extends Error {
  readonly code: GitErrorCode;
  constructor(code: GitErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GitWorkspaceError';
    this.code = code;
  }
}

/** The remote refused the credentials (401/403), or the token was withheld from a foreign host. */
export class GitAuthError extends GitWorkspaceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('git_auth', message, options);
    this.name = 'GitAuthError';
  }
}

/** The repository or branch does not exist (or the token cannot see it). */
export class GitNotFoundError extends GitWorkspaceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('git_not_found', message, options);
    this.name = 'GitNotFoundError';
  }
}

/** The remote refused the push: not a fast-forward, or a hook / branch protection said no. */
export class GitPushRejectedError extends GitWorkspaceError {
  readonly reason: string;
  constructor(reason: string, options?: { cause?: unknown }) {
    super('git_push_rejected', `push rejected: ${reason}`, options);
    this.name = 'GitPushRejectedError';
    this.reason = reason;
  }
}

/** The connection failed or the server answered 5xx: worth another attempt later. */
export class GitTransientError extends GitWorkspaceError {
  constructor(code: 'git_network' | 'git_server', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'GitTransientError';
  }
}

/** A path outside the repository, into `.git`, or through a file / submodule. */
export class GitInvalidPathError extends GitWorkspaceError {
  readonly path: string;
  constructor(path: string, why: string) {
    super('git_invalid_path', `invalid repository path ${JSON.stringify(path)}: ${why}`);
    this.name = 'GitInvalidPathError';
    this.path = path;
  }
}

/**
 * A push to a ref the workspace must never write: anything but a `fix/…` branch, or the base
 * branch. The analyzer's token may write the whole repository; this keeps it to its own branches.
 */
export class GitRefRefusedError extends GitWorkspaceError {
  readonly ref: string;
  constructor(ref: string, why: string) {
    super('git_ref_refused', `refusing to push ${ref}: ${why}`);
    this.name = 'GitRefRefusedError';
    this.ref = ref;
  }
}

/**
 * Whether a later attempt (a fresh clone) may succeed. A rejected push is retryable: the usual
 * cause is a branch that moved meanwhile, and a retried job re-clones it.
 */
export function isRetryableGitError(error: unknown): boolean {
  return error instanceof GitTransientError || error instanceof GitPushRejectedError;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/** Maps whatever isomorphic-git or the http client threw to one of the named errors above. */
export function toGitError(error: unknown, action: string): GitWorkspaceError {
  if (error instanceof GitWorkspaceError) return error;
  if (error instanceof Errors.HttpError) {
    const status = error.data.statusCode;
    const message = `${action}: the git server answered HTTP ${status}`;
    if (status === 401 || status === 403) {
      return new GitAuthError(`${message}; check that the token is valid and may access the repository`, {
        cause: error,
      });
    }
    if (status === 404)
      return new GitNotFoundError(`${message}; check the owner and repository name`, { cause: error });
    if (status >= 500 || status === 429)
      return new GitTransientError('git_server', message, { cause: error });
    return new GitWorkspaceError('git_failed', message, { cause: error });
  }
  if (error instanceof Errors.UserCanceledError) {
    return new GitAuthError(
      `${action}: the server asked for credentials, and the token is only sent to the configured git host`,
      { cause: error },
    );
  }
  if (error instanceof Errors.PushRejectedError) {
    return new GitPushRejectedError(error.data.reason, { cause: error });
  }
  if (error instanceof Errors.GitPushError) {
    const details = Object.entries(error.data.result.refs ?? {})
      .filter(([, status]) => !status.ok)
      .map(([ref, status]) => `${ref}: ${status.error}`);
    const reason = error.data.result.error ?? (details.join('; ') || error.message);
    return new GitPushRejectedError(reason, { cause: error });
  }
  if (error instanceof Errors.NotFoundError) {
    return new GitNotFoundError(`${action}: ${error.message}`, { cause: error });
  }
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  if (NETWORK_CODES.has(code)) {
    return new GitTransientError('git_network', `${action}: ${code}`, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new GitWorkspaceError('git_failed', `${action}: ${message}`, { cause: error });
}
