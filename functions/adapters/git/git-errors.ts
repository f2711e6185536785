// No isomorphic-git import here: the analyzer checks these classes at import, and loads
// isomorphic-git (~150 ms of import) only when a job clones (to-git-error.ts maps its errors).

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
