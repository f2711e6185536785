import { Octokit } from '@octokit/rest';
import { GitHubRequestError } from '../core/ports/pull-requests.ts';
import { wellFormed } from '../core/text/well-formed.ts';

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';

// Octokit's own console logging would duplicate ours and can echo request URLs.
export const SILENT_LOG = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/**
 * A fetch that only talks to the configured API root and its GraphQL endpoint (`/graphql` on
 * github.com, `/api/graphql` on GitHub Enterprise Server), so the token Octokit attaches can never
 * reach another host: not through an absolute URL in a response, not through a redirect.
 */
export function pinnedFetch({
  baseUrl,
  fetch,
  redirect = 'error',
}: {
  baseUrl: string;
  fetch: typeof globalThis.fetch;
  /** 'manual' where the caller follows a redirect itself, without the token (Actions logs) */
  redirect?: 'error' | 'manual';
}): typeof globalThis.fetch {
  const root = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  const graphql = new URL(root.pathname.endsWith('/api/v3/') ? '../graphql' : 'graphql', root);
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const allowed =
      url.origin === root.origin &&
      (`${url.pathname}/`.startsWith(root.pathname) || url.pathname === graphql.pathname);
    if (!allowed) {
      return Promise.reject(
        new GitHubRequestError(`refusing to send a GitHub request outside ${root.origin}${root.pathname}`),
      );
    }
    return fetch(input, { ...init, redirect });
  };
}

/** An Octokit for one API root: pinned fetch, no console logging, our user agent. */
export function makeGitHubOctokit({
  baseUrl = DEFAULT_GITHUB_API_URL,
  fetch = globalThis.fetch,
  ...auth
}: {
  baseUrl?: string;
  fetch?: typeof globalThis.fetch;
} & Pick<ConstructorParameters<typeof Octokit>[0] & object, 'auth' | 'authStrategy'>): Octokit {
  const octokit = new Octokit({
    ...auth,
    baseUrl: baseUrl.replace(/\/+$/, ''),
    userAgent: 'ai-ops',
    log: SILENT_LOG,
    request: { fetch: pinnedFetch({ baseUrl, fetch }) },
  });
  // A PR's body or a comment holds log text and model prose, cut to fit: half an emoji left by a
  // cut would go out as a JSON escape a strict parser refuses (the Anthropic API's does), so
  // every parameter is mended first rather than found out on a PR that cannot be opened.
  octokit.hook.before('request', (options) => {
    Object.assign(options, wellFormed({ ...options }));
  });
  return octokit;
}
