import { createPublicKey, type KeyObject, randomBytes, verify } from 'node:crypto';

/**
 * The GitHub App half of the GitHub stand-in: verifies app JWTs (RS256, `iss` = app id, signed
 * with the key whose public half the test hands over) and mints installation tokens that the
 * stand-in's REST routes then accept until they expire.
 */
export interface GitHubAppStandInOptions {
  appId: number | string;
  /** the public half of the key pair the test generated (PEM or KeyObject) */
  publicKey: string | KeyObject;
  /** how long minted tokens live; GitHub's are 3600 s */
  tokenLifetimeSeconds?: number;
}

export interface MintedInstallationToken {
  token: string;
  installationId: number;
  /** ISO 8601, as GitHub returns it */
  expiresAt: string;
}

export interface GitHubAppState {
  /** true for a well-formed RS256 JWT of this app, signed with its key and not expired */
  isAppJwt(token: string | undefined): boolean;
  /** true for an installation token this stand-in minted that has not expired */
  isInstallationToken(token: string | undefined): boolean;
  install(repoKey: string, installationId: number): void;
  installationOf(repoKey: string): number | undefined;
  hasInstallation(installationId: number): boolean;
  mint(installationId: number): MintedInstallationToken;
  readonly minted: MintedInstallationToken[];
}

/** The stand-in's app state; `now` is seconds since the epoch. */
export function makeGitHubAppState({
  appId,
  publicKey,
  tokenLifetimeSeconds = 3600,
  now = () => Math.floor(Date.now() / 1000),
}: GitHubAppStandInOptions & { now?: () => number }): GitHubAppState {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  const installations = new Map<string, number>();
  const minted: MintedInstallationToken[] = [];
  return {
    minted,
    isAppJwt(token) {
      const claims = token === undefined ? undefined : verifyJwt(token, key);
      if (!claims) return false;
      // GitHub allows 60 s of clock drift on iat and at most 10 minutes of life.
      const t = now();
      return (
        String(claims.iss) === String(appId) &&
        typeof claims.iat === 'number' &&
        typeof claims.exp === 'number' &&
        claims.iat <= t + 60 &&
        claims.exp > t &&
        claims.exp - claims.iat <= 600 + 60
      );
    },
    isInstallationToken(token) {
      const found = minted.find((m) => m.token === token);
      return found !== undefined && Date.parse(found.expiresAt) / 1000 > now();
    },
    install(repoKey, installationId) {
      installations.set(repoKey, installationId);
    },
    installationOf: (repoKey) => installations.get(repoKey),
    hasInstallation: (installationId) => [...installations.values()].includes(installationId),
    mint(installationId) {
      const token = `ghs_${randomBytes(18).toString('hex')}`;
      const expiresAt = new Date((now() + tokenLifetimeSeconds) * 1000)
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z');
      const entry = { token, installationId, expiresAt };
      minted.push(entry);
      return entry;
    },
  };
}

interface JwtClaims {
  iss?: unknown;
  iat?: unknown;
  exp?: unknown;
}

function verifyJwt(token: string, key: KeyObject): JwtClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [header, payload, signature] = parts as [string, string, string];
  try {
    const alg = (JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown }).alg;
    if (alg !== 'RS256') return undefined;
    const valid = verify(
      'RSA-SHA256',
      Buffer.from(`${header}.${payload}`),
      key,
      Buffer.from(signature, 'base64url'),
    );
    if (!valid) return undefined;
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as JwtClaims;
  } catch {
    return undefined;
  }
}
