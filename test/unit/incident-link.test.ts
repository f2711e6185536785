import { describe, expect, it } from 'vitest';
import {
  decodeIncidentKey,
  encodeIncidentKey,
  signIncidentLink,
  verifyIncidentLink,
} from '../../functions/core/incident/incident-link.ts';
import { INCIDENT_KEY, LINK_SECRET } from '../support/webhook-requests.ts';

const BASE = 'https://abc123.execute-api.eu-west-1.amazonaws.com/';
const NOW = 1_714_550_400_000;
const EXPIRES = NOW + 30 * 86_400_000;

function parts(url: string) {
  const parsed = new URL(url);
  const segment = parsed.pathname.split('/').at(-1) ?? '';
  return {
    parsed,
    segment,
    exp: parsed.searchParams.get('exp') ?? undefined,
    sig: parsed.searchParams.get('sig') ?? undefined,
  };
}

describe('signIncidentLink / verifyIncidentLink', () => {
  const link = signIncidentLink({
    baseUrl: BASE,
    incidentKey: INCIDENT_KEY,
    expiresAt: EXPIRES,
    secret: LINK_SECRET,
  });
  const { parsed, segment, exp, sig } = parts(link);

  it('puts the key in one path segment and the expiry and base64url signature in the query', () => {
    expect(parsed.origin + parsed.pathname).toBe(`${BASE}incidents/${encodeIncidentKey(INCIDENT_KEY)}`);
    expect(segment).not.toMatch(/[/#%]/);
    expect(decodeIncidentKey(segment)).toBe(INCIDENT_KEY);
    expect(exp).toBe(String(EXPIRES / 1000));
    expect(sig).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('keeps a base path and works without a trailing slash', () => {
    const withPath = signIncidentLink({
      baseUrl: 'https://ops.acme.test/ai-ops',
      incidentKey: INCIDENT_KEY,
      expiresAt: EXPIRES,
      secret: LINK_SECRET,
    });
    expect(withPath.startsWith('https://ops.acme.test/ai-ops/incidents/')).toBe(true);
  });

  it('verifies its own link until it expires', () => {
    expect(
      verifyIncidentLink({ incidentKey: INCIDENT_KEY, exp, sig, secret: LINK_SECRET, now: NOW }),
    ).toEqual({
      kind: 'ok',
      expiresAt: EXPIRES,
    });
    expect(
      verifyIncidentLink({ incidentKey: INCIDENT_KEY, exp, sig, secret: LINK_SECRET, now: EXPIRES }).kind,
    ).toBe('expired');
  });

  it('calls a link tampered when the expiry, the incident, the signature or the key changed', () => {
    const later = String(Number(exp) + 86_400);
    expect(
      verifyIncidentLink({ incidentKey: INCIDENT_KEY, exp: later, sig, secret: LINK_SECRET, now: NOW }).kind,
    ).toBe('tampered');
    expect(
      verifyIncidentLink({ incidentKey: `${INCIDENT_KEY}0`, exp, sig, secret: LINK_SECRET, now: NOW }).kind,
    ).toBe('tampered');
    const flipped = `${sig?.slice(0, -2)}${sig?.endsWith('AA') ? 'AB' : 'AA'}`;
    expect(
      verifyIncidentLink({ incidentKey: INCIDENT_KEY, exp, sig: flipped, secret: LINK_SECRET, now: NOW })
        .kind,
    ).toBe('tampered');
    expect(
      verifyIncidentLink({ incidentKey: INCIDENT_KEY, exp, sig, secret: 'another-fake-key', now: NOW }).kind,
    ).toBe('tampered');
  });

  it('calls a tampered link tampered even after its expiry (no oracle for old links)', () => {
    const later = String(Number(exp) + 1);
    expect(
      verifyIncidentLink({
        incidentKey: INCIDENT_KEY,
        exp: later,
        sig,
        secret: LINK_SECRET,
        now: EXPIRES * 2,
      }).kind,
    ).toBe('tampered');
  });

  it.each([
    [undefined, undefined],
    ['', ''],
    ['abc', 'x'.repeat(43)],
    ['1e10', 'x'.repeat(43)],
    ['1714550400', 'too-short'],
  ])('calls exp=%j sig=%j tampered without throwing', (badExp, badSig) => {
    expect(
      verifyIncidentLink({
        incidentKey: INCIDENT_KEY,
        exp: badExp,
        sig: badSig,
        secret: LINK_SECRET,
        now: NOW,
      }).kind,
    ).toBe('tampered');
  });
});

describe('decodeIncidentKey', () => {
  it('refuses segments that are not base64url or do not round-trip', () => {
    expect(decodeIncidentKey('')).toBeUndefined();
    expect(decodeIncidentKey('a/b')).toBeUndefined();
    expect(decodeIncidentKey('a+b=')).toBeUndefined();
    expect(decodeIncidentKey(`${encodeIncidentKey(INCIDENT_KEY)}B`)).toBeUndefined();
  });
});
