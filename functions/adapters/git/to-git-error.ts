import { Errors } from 'isomorphic-git';
import {
  GitAuthError,
  GitNotFoundError,
  GitPushRejectedError,
  GitTransientError,
  GitWorkspaceError,
} from './git-errors.ts';
import { GitServerSilentError } from './idle-timeout-http.ts';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/** Maps whatever isomorphic-git or the http client threw to one of the named errors above. */
export function toGitError(error: unknown, action: string): GitWorkspaceError {
  if (error instanceof GitWorkspaceError) return error;
  if (error instanceof GitServerSilentError)
    return new GitTransientError('git_network', `${action}: ${error.message}`, { cause: error });
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
