import type { Octokit } from '@octokit/rest';
import * as z from 'zod/mini';
import {
  GitHubAuthError,
  GitHubNotFoundError,
  GitHubRequestError,
  type RepoCoordinates,
} from '../core/ports/pull-requests.ts';
import { makeGitHubOctokit, SILENT_LOG } from './github-octokit.ts';
import { toGitHubError } from './octokit-pull-requests.ts';

/**
 * Where the analyzer's GitHub clients (git over HTTPS, the REST API) get their token: a personal
 * or fine-grained token from Secrets Manager, or a GitHub App's short-lived installation token.
 */
export interface GitHubCredentials {
  /** a token that may act on `repo` for at least a few more minutes */
  token(repo: RepoCoordinates): Promise<string>;
}

/** A personal or fine-grained token: one secret for every repository (read through the cached secret reader). */
export function tokenCredentials({ token }: { token: () => Promise<string> }): GitHubCredentials {
  return { token: () => token() };
}

/** The JSON secret of a GitHub App: `{"appId": "123456", "privateKey": "<the .pem file's text>"}`. */
export const GitHubAppSecretSchema = z.object({
  appId: z.pipe(
    z.union([z.string().check(z.regex(/^\d+$/, 'must be the numeric App ID')), z.int().check(z.positive())]),
    z.transform(String),
  ),
  privateKey: z
    .pipe(
      z.string(),
      // A key pasted into JSON by hand often keeps its line breaks as the two characters "\n".
      z.transform((key: string) => key.replace(/\\n/g, '\n').trim()),
    )
    .check(
      z.refine(
        (key) => key.includes('PRIVATE KEY-----'),
        'must be the PEM text of the private key (.pem file)',
      ),
    ),
});

export type GitHubAppSecret = z.output<typeof GitHubAppSecretSchema>;

/** The GitHub App secret is not `{"appId", "privateKey"}`; the message never contains the value. */
export class GitHubAppSecretError extends Error {
  override readonly name = 'GitHubAppSecretError';
  readonly code = 'GITHUB_APP_SECRET_INVALID';
}

/** Parses the GitHub App secret's text; throws GitHubAppSecretError naming the fields at fault. */
export function parseGitHubAppSecret(text: string): GitHubAppSecret {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new GitHubAppSecretError(
      'the GitHub App secret is not JSON: store {"appId": "<App ID>", "privateKey": "<contents of the .pem file>"}',
    );
  }
  const parsed = GitHubAppSecretSchema.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map(
      (i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`,
    );
    throw new GitHubAppSecretError(`the GitHub App secret is invalid — ${fields.join('; ')}`);
  }
  return parsed.data;
}

/** GitHub refused the app's JWT: the private key does not belong to the app id, or was revoked. */
export class GitHubAppAuthError extends GitHubAuthError {
  readonly appId: string;
  constructor(message: string, options: { appId: string; status?: number; cause?: unknown }) {
    super(message, options);
    this.appId = options.appId;
  }
}

/** The GitHub App has no installation on the repository (or its installation was removed). */
export class GitHubAppNotInstalledError extends GitHubNotFoundError {
  readonly appId: string;
  readonly repository: string;
  constructor(options: { appId: string; repo: RepoCoordinates; status?: number; cause?: unknown }) {
    const repository = `${options.repo.owner}/${options.repo.name}`;
    super(
      `GitHub App ${options.appId} is not installed on ${repository}: install the GitHub App on ${repository} (the app's page → Install App → choose the repository)`,
      options,
    );
    this.appId = options.appId;
    this.repository = repository;
  }
}

export interface GitHubAppCredentialsOptions {
  /** the app id and private key; read from Secrets Manager through a cached reader, so a new key is picked up */
  app: () => Promise<GitHubAppSecret>;
  /** REST root: `https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise Server */
  baseUrl?: string;
  fetch?: typeof globalThis.fetch;
  now?: () => number;
  /** a token is replaced this long before it expires, so a clone, a model call and a push never outlive it */
  refreshMarginMs?: number;
}

interface CachedToken {
  token: Promise<string>;
  /** epoch ms; undefined while the token is being minted */
  expiresAt?: number;
}

/**
 * A GitHub App: a JWT signed with the app's private key finds the repository's installation
 * (cached per repository) and mints an installation token (cached per installation until
 * `refreshMarginMs` before its `expires_at`). @octokit/auth-app keeps its own cache for a fixed
 * 59 minutes regardless of `expires_at`, so the expiry decision is made here and every mint asks
 * it for a fresh token.
 */
export function githubAppCredentials({
  app,
  baseUrl = 'https://api.github.com',
  fetch = globalThis.fetch,
  now = Date.now,
  refreshMarginMs = 5 * 60 * 1000,
}: GitHubAppCredentialsOptions): GitHubCredentials {
  let current: AppClient | undefined;

  // The secret is read (through its cached reader) on every call, so a rotated key or another app
  // id takes effect with a new client whose caches start empty.
  const appClient = async (): Promise<AppClient> => {
    const { appId, privateKey } = await app();
    // loaded by the first token a GitHub App mints (token auth never needs it); awaited before
    // the check below, so concurrent callers still share one client
    const { createAppAuth } = await import('@octokit/auth-app');
    const key = `${appId}\n${privateKey}`;
    if (current?.key !== key) {
      current = {
        key,
        appId,
        // auth-app sends its JWT and mints tokens through this client's request, so the
        // app's signatures and the tokens only ever travel to the configured API root.
        octokit: makeGitHubOctokit({
          baseUrl,
          fetch,
          authStrategy: createAppAuth,
          auth: { appId, privateKey, log: SILENT_LOG },
        }),
        installations: new Map(),
        tokens: new Map(),
      };
    }
    return current;
  };

  return {
    async token(repo) {
      const client = await appClient();
      const installationId = await installationOf(client, repo);
      const cached = client.tokens.get(installationId);
      if (cached && (cached.expiresAt === undefined || cached.expiresAt - refreshMarginMs > now())) {
        return cached.token;
      }
      const entry: CachedToken = {
        token: mintToken(client, { repo, installationId }).then(
          (minted) => {
            entry.expiresAt = minted.expiresAt;
            return minted.token;
          },
          (error: unknown) => {
            if (client.tokens.get(installationId) === entry) client.tokens.delete(installationId);
            // The installation was removed since it was looked up: look it up again next time.
            if (error instanceof GitHubAppNotInstalledError) client.installations.delete(repoKey(repo));
            throw error;
          },
        ),
      };
      client.tokens.set(installationId, entry);
      return entry.token;
    },
  };
}

interface AppClient {
  key: string;
  appId: string;
  octokit: Octokit;
  /** `owner/name` (lower case) → installation id */
  installations: Map<string, Promise<number>>;
  /** installation id → its current token (one token serves every repository of the installation) */
  tokens: Map<number, CachedToken>;
}

const repoKey = (repo: RepoCoordinates) => `${repo.owner}/${repo.name}`.toLowerCase();

function installationOf(client: AppClient, repo: RepoCoordinates): Promise<number> {
  const key = repoKey(repo);
  let pending = client.installations.get(key);
  if (!pending) {
    pending = lookUpInstallation(client, repo);
    client.installations.set(key, pending);
    // A failure is not remembered: the app may be installed a minute later.
    pending.catch(() => client.installations.delete(key));
  }
  return pending;
}

async function lookUpInstallation({ appId, octokit }: AppClient, repo: RepoCoordinates): Promise<number> {
  try {
    // auth-app signs this route with the app's JWT (it is one of the app-only routes).
    const { data } = await octokit.rest.apps.getRepoInstallation({ owner: repo.owner, repo: repo.name });
    return data.id;
  } catch (error: unknown) {
    throw toAppError(error, { appId, repo, action: `find the installation on ${repo.owner}/${repo.name}` });
  }
}

async function mintToken(
  { appId, octokit }: AppClient,
  { repo, installationId }: { repo: RepoCoordinates; installationId: number },
): Promise<{ token: string; expiresAt: number }> {
  try {
    // `refresh`: auth-app's own cache would answer for 59 minutes whatever `expires_at` says.
    const auth = (await octokit.auth({ type: 'installation', installationId, refresh: true })) as {
      token: string;
      expiresAt: string;
    };
    return { token: auth.token, expiresAt: Date.parse(auth.expiresAt) };
  } catch (error: unknown) {
    throw toAppError(error, { appId, repo, action: `mint a token for installation ${installationId}` });
  }
}

function toAppError(
  error: unknown,
  { appId, repo, action }: { appId: string; repo: RepoCoordinates; action: string },
): Error {
  const mapped = toGitHubError(error, { action, now: Date.now() });
  if (mapped.status === 404)
    return new GitHubAppNotInstalledError({ appId, repo, status: 404, cause: error });
  if (mapped.status === 401 || isSigningFailure(error)) {
    return new GitHubAppAuthError(
      `GitHub App ${appId} could not authenticate (${action}): ${mapped.message}. Check that the private key in the app secret belongs to App ID ${appId} and has not been deleted in the app's settings.`,
      { appId, status: mapped.status, cause: error },
    );
  }
  return mapped;
}

/** auth-app signs the JWT before any request: a malformed key fails there, with no HTTP status. */
function isSigningFailure(error: unknown): boolean {
  return error instanceof Error && !('status' in error);
}

/**
 * An Octokit whose every request carries the token of the repository it names (the route's
 * `owner`/`repo`), for `createOctokitPullRequests({ octokit })`: one client serves every repository,
 * whichever installation each belongs to.
 */
export function createCredentialsOctokit({
  credentials,
  baseUrl = 'https://api.github.com',
  fetch = globalThis.fetch,
}: {
  credentials: GitHubCredentials;
  baseUrl?: string;
  fetch?: typeof globalThis.fetch;
}): Octokit {
  const octokit = makeGitHubOctokit({ baseUrl, fetch });
  octokit.hook.before('request', async (options) => {
    const { owner, repo } = options as { owner?: unknown; repo?: unknown };
    if (typeof owner !== 'string' || typeof repo !== 'string') {
      throw new GitHubRequestError(
        `${options.method} ${options.url} names no repository to pick a token for`,
      );
    }
    options.headers.authorization = `token ${await credentials.token({ owner, name: repo })}`;
  });
  return octokit;
}
