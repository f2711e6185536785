import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';

/**
 * How long a git server may stay silent: before its answer's headers, and between two pieces of
 * its body. GitHub sends a pack's progress while it counts and compresses objects, so silence
 * this long is a dead connection, not a big repository.
 */
export const DEFAULT_GIT_IDLE_MS = 60_000;

/**
 * `http` with an inactivity limit: isomorphic-git's Node client has none, so a git server that
 * accepts the connection and never answers (or stops halfway through a pack) held a clone or a
 * push until the Lambda timed out, and `ai-ops watch` forever. Past `idleMs` of silence the
 * request is aborted and GitServerSilentError thrown (toGitError: a GitTransientError, so the job
 * is retried like after any network error).
 */
export function withIdleTimeout(http: HttpClient, idleMs = DEFAULT_GIT_IDLE_MS): HttpClient {
  return {
    async request(request: GitHttpRequest): Promise<GitHttpResponse> {
      const controller = new AbortController();
      const outer = request.signal;
      if (outer?.aborted) controller.abort(outer.reason);
      else outer?.addEventListener('abort', () => controller.abort(outer.reason), { once: true });
      const silent = () => {
        controller.abort();
        return new GitServerSilentError(
          `the git server sent nothing for ${idleMs / 1000} s (${request.method ?? 'GET'} ${displayUrl(request.url)})`,
        );
      };
      const response = await withinIdle(
        http.request({ ...request, signal: controller.signal }),
        idleMs,
        silent,
      );
      return response.body ? { ...response, body: idleBody(response.body, idleMs, silent) } : response;
    },
  };
}

/** The git server stayed silent past the idle limit. */
export class GitServerSilentError extends Error {
  override readonly name = 'GitServerSilentError';
}

/** `pending`, or the error `silent` makes once `idleMs` pass first. */
async function withinIdle<T>(pending: Promise<T>, idleMs: number, silent: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(silent()), idleMs);
  });
  try {
    return await Promise.race([pending, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function* idleBody(
  body: AsyncIterableIterator<Uint8Array>,
  idleMs: number,
  silent: () => Error,
): AsyncIterableIterator<Uint8Array> {
  try {
    while (true) {
      const { value, done } = await withinIdle(body.next(), idleMs, silent);
      if (done) return;
      yield value;
    }
  } finally {
    // ends the underlying response stream, also when the reader stops early
    await body.return?.();
  }
}

/** The URL without credentials or query (`?service=git-upload-pack`), for a message. */
function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    return parsed.toString();
  } catch {
    return 'the remote';
  }
}
