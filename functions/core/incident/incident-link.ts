import { createHmac, timingSafeEqual } from 'node:crypto';

/** How long an emailed incident link works. */
export const INCIDENT_LINK_TTL_MS = 30 * 24 * 60 * 60 * 1000;

export type IncidentLinkAction = 'snooze' | 'ignore' | 'retry';

export type IncidentLinkVerdict =
  | { kind: 'ok'; expiresAt: number }
  /** the signature is ours but its time is up */
  | { kind: 'expired'; expiresAt: number }
  /** no signature, a malformed one, or one made for another incident or expiry */
  | { kind: 'tampered' };

// Versioned so the MAC's input can change without old links verifying under the new meaning.
function mac({ incidentKey, exp, secret }: { incidentKey: string; exp: number; secret: string }): Buffer {
  return createHmac('sha256', secret).update(`ai-ops-incident-link:v1\n${incidentKey}\n${exp}`).digest();
}

/**
 * The incident key as one URL path segment. Keys hold `/` and `#`, which API Gateway would
 * split on or drop even when percent-encoded, so the segment is the key in base64url.
 */
export function encodeIncidentKey(incidentKey: string): string {
  return Buffer.from(incidentKey, 'utf8').toString('base64url');
}

/** The incident key back from its path segment; undefined when the segment is not one. */
export function decodeIncidentKey(segment: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(segment)) return undefined;
  const key = Buffer.from(segment, 'base64url').toString('utf8');
  // base64url decoding is lenient: only a segment that round-trips is a key we issued.
  return encodeIncidentKey(key) === segment ? key : undefined;
}

export interface SignIncidentLinkInput {
  /** where the incident pages are served, e.g. the API's URL (`https://abc.execute-api…/`) */
  baseUrl: string;
  incidentKey: string;
  /** epoch ms; stored in the link as whole seconds, rounded up */
  expiresAt: number;
  secret: string;
}

/** The signed URL of an incident's page: `<base>/incidents/<key>?exp=<s>&sig=<HMAC-SHA256, base64url>`. */
export function signIncidentLink({ baseUrl, incidentKey, expiresAt, secret }: SignIncidentLinkInput): string {
  const exp = Math.ceil(expiresAt / 1000);
  const sig = mac({ incidentKey, exp, secret }).toString('base64url');
  return incidentUrl({ baseUrl, incidentKey, query: { exp: String(exp), sig } });
}

/** The URL a page form posts to: the same signature, one action. */
export function incidentActionUrl({
  baseUrl,
  incidentKey,
  action,
  exp,
  sig,
}: {
  baseUrl: string;
  incidentKey: string;
  action: IncidentLinkAction;
  exp: string;
  sig: string;
}): string {
  return incidentUrl({ baseUrl, incidentKey, suffix: `/${action}`, query: { exp, sig } });
}

/** The page URL for a signature already checked (the forms' redirect target). */
export function incidentPageUrl({
  baseUrl,
  incidentKey,
  exp,
  sig,
}: {
  baseUrl: string;
  incidentKey: string;
  exp: string;
  sig: string;
}): string {
  return incidentUrl({ baseUrl, incidentKey, query: { exp, sig } });
}

function incidentUrl({
  baseUrl,
  incidentKey,
  suffix = '',
  query,
}: {
  baseUrl: string;
  incidentKey: string;
  suffix?: string;
  query: Record<string, string>;
}): string {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const url = new URL(`incidents/${encodeIncidentKey(incidentKey)}${suffix}`, base);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  return url.toString();
}

/** Checks an incident link's `exp` and `sig` in constant time; a valid but old link is `expired`. */
export function verifyIncidentLink({
  incidentKey,
  exp,
  sig,
  secret,
  now = Date.now(),
}: {
  incidentKey: string;
  exp: string | undefined;
  sig: string | undefined;
  secret: string;
  now?: number;
}): IncidentLinkVerdict {
  if (!exp || !sig || !/^\d{1,12}$/.test(exp) || !/^[A-Za-z0-9_-]{43}$/.test(sig))
    return { kind: 'tampered' };
  const seconds = Number(exp);
  const expected = mac({ incidentKey, exp: seconds, secret });
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { kind: 'tampered' };
  const expiresAt = seconds * 1000;
  return now < expiresAt ? { kind: 'ok', expiresAt } : { kind: 'expired', expiresAt };
}
