import { redact } from './redact.ts';

/**
 * The model's prose (title, root cause, explanation, notes, revision replies) leaves ai-ops in
 * PR bodies, comments, emails and the incident page. The model read attacker-controlled logs
 * and repository text, so its prose gets the log text's treatment before anything renders it:
 * the same redaction (fail closed), hidden characters shown, and URLs that point anywhere but
 * the repository itself defanged, so neither a click nor an auto-link sends `?d=<secret>` out.
 */

/** Where model-written links may point: the repository's own pages on its code host. */
export interface LinkScope {
  /** e.g. `github.com` or a GitHub Enterprise host */
  host: string;
  /** e.g. `/acme/shop`; links must stay under it */
  pathPrefix: string;
}

const WITHHELD = '[withheld: this text could not be checked for secrets]';

/** The model's prose, redacted like log text; if redaction fails, nothing of it is shown. */
export function scrubProse(text: string): string {
  try {
    return redact(text);
  } catch {
    return WITHHELD;
  }
}

/** The link scope of a repository on `host` (github.com unless a GitHub Enterprise host is given). */
export function repositoryLinkScope({
  owner,
  name,
  host = 'github.com',
}: {
  owner: string;
  name: string;
  host?: string | undefined;
}): LinkScope {
  return { host: host.toLowerCase(), pathPrefix: `/${owner}/${name}`.toLowerCase() };
}

/**
 * The host people browse repositories on, from the REST API URL: `https://api.github.com` →
 * `github.com`; a GitHub Enterprise Server's `https://HOST/api/v3` → `HOST`.
 */
export function webHostOfApiUrl(apiUrl: string): string {
  try {
    const host = new URL(apiUrl).hostname.toLowerCase();
    return host === 'api.github.com' ? 'github.com' : host;
  } catch {
    return 'github.com';
  }
}

/** The scope of the repository a URL of it (a PR link) belongs to, if the URL is one. */
export function linkScopeOfUrl(url: string | undefined): LinkScope | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    const [owner, name] = parsed.pathname.split('/').filter((s) => s !== '');
    return owner && name ? repositoryLinkScope({ owner, name, host: parsed.hostname }) : undefined;
  } catch {
    return undefined;
  }
}

/** True when `url` is an https link inside one of the scopes (no credentials, no other port). */
export function isAllowedLink(url: string, scopes: readonly LinkScope[]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return false;
  }
  if (parsed.protocol !== 'https:' || parsed.username || parsed.password || parsed.port) return false;
  const path = decodeSafely(parsed.pathname).toLowerCase();
  return scopes.some(
    (scope) =>
      parsed.hostname.toLowerCase() === scope.host &&
      (path === scope.pathPrefix || path.startsWith(`${scope.pathPrefix}/`)),
  );
}

function decodeSafely(path: string): string {
  try {
    // `/acme/shop/..%2f..%2fevil` must not pass as a path under /acme/shop.
    const decoded = decodeURIComponent(path);
    return decoded.includes('..') ? '/..' : decoded;
  } catch {
    return '/..';
  }
}

// `scheme://…` and `www.…`, as renderers and mail clients auto-link them.
const URL_LIKE = /\b[A-Za-z][A-Za-z0-9+.-]{1,20}:\/\/[^\s<>"'`)\]]{1,2000}|\bwww\.[^\s<>"'`)\]]{1,2000}/g;

/** URLs outside the scopes written as `scheme[:]//host…`: still readable, never a live link. */
export function defangForeignUrls(text: string, scopes: readonly LinkScope[]): string {
  return text.replace(URL_LIKE, (url) => {
    if (isAllowedLink(url, scopes)) return url;
    return url.startsWith('www.') ? `www[.]${url.slice(4)}` : url.replace('://', '[:]//');
  });
}
