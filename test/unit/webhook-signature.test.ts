import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  readRawBody,
  signWebhookBody,
  verifyWebhookSignature,
} from '../../functions/core/webhook/webhook-signature.ts';
import { readWebhookFixture, WEBHOOK_SECRET } from '../support/webhook-requests.ts';

const raw = readWebhookFixture('issue_comment.created');
const bytes = Buffer.from(raw, 'utf8');

describe('verifyWebhookSignature', () => {
  it('accepts the HMAC-SHA256 of the raw body under the secret', () => {
    const signature256 = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(bytes).digest('hex')}`;
    expect(verifyWebhookSignature({ rawBody: bytes, signature256, secret: WEBHOOK_SECRET })).toEqual({
      kind: 'valid',
    });
  });

  it('accepts GitHub’s documented test vector', () => {
    // docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    const verdict = verifyWebhookSignature({
      rawBody: Buffer.from('Hello, World!'),
      signature256: 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
      secret: "It's a Secret to Everybody",
    });
    expect(verdict).toEqual({ kind: 'valid' });
  });

  it('refuses a signature made with another secret', () => {
    const signature256 = signWebhookBody({ body: bytes, secret: 'another-fake-secret' });
    expect(verifyWebhookSignature({ rawBody: bytes, signature256, secret: WEBHOOK_SECRET })).toEqual({
      kind: 'invalid',
      reason: 'mismatch',
    });
  });

  it('refuses the same JSON re-serialised with other spacing: only the raw bytes verify', () => {
    const signature256 = signWebhookBody({ body: bytes, secret: WEBHOOK_SECRET });
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(raw)), 'utf8');
    expect(reserialised.equals(bytes)).toBe(false);
    expect(verifyWebhookSignature({ rawBody: reserialised, signature256, secret: WEBHOOK_SECRET })).toEqual({
      kind: 'invalid',
      reason: 'mismatch',
    });
  });

  it('refuses a body changed by one byte', () => {
    const signature256 = signWebhookBody({ body: bytes, secret: WEBHOOK_SECRET });
    const changed = Buffer.from(bytes);
    changed[changed.length - 2] = 0x20;
    expect(verifyWebhookSignature({ rawBody: changed, signature256, secret: WEBHOOK_SECRET }).kind).toBe(
      'invalid',
    );
  });

  it('refuses a missing signature, and a SHA-1-only one', () => {
    expect(
      verifyWebhookSignature({ rawBody: bytes, signature256: undefined, secret: WEBHOOK_SECRET }),
    ).toEqual({
      kind: 'invalid',
      reason: 'missing',
    });
    const sha1 = `sha1=${createHmac('sha1', WEBHOOK_SECRET).update(bytes).digest('hex')}`;
    expect(
      verifyWebhookSignature({
        rawBody: bytes,
        signature256: undefined,
        signature1: sha1,
        secret: WEBHOOK_SECRET,
      }),
    ).toEqual({ kind: 'invalid', reason: 'sha1_only' });
    // A SHA-1 value put in the SHA-256 header is no better.
    expect(verifyWebhookSignature({ rawBody: bytes, signature256: sha1, secret: WEBHOOK_SECRET })).toEqual({
      kind: 'invalid',
      reason: 'malformed',
    });
  });

  it.each(['sha256=', 'sha256=abc', `sha256=${'g'.repeat(64)}`, 'md5=0000', `${'a'.repeat(64)}`])(
    'refuses the malformed header %j without throwing',
    (signature256) => {
      expect(verifyWebhookSignature({ rawBody: bytes, signature256, secret: WEBHOOK_SECRET })).toEqual({
        kind: 'invalid',
        reason: 'malformed',
      });
    },
  );
});

describe('readRawBody', () => {
  it('returns a text body’s UTF-8 bytes unchanged', () => {
    expect(readRawBody({ body: raw, isBase64Encoded: false }).equals(bytes)).toBe(true);
  });

  it('decodes a base64 body to the bytes GitHub signed, including bytes that are not UTF-8', () => {
    const binary = Buffer.concat([bytes, Buffer.from([0xff, 0xfe, 0x00])]);
    const decoded = readRawBody({ body: binary.toString('base64'), isBase64Encoded: true });
    expect(decoded.equals(binary)).toBe(true);
    const signature256 = signWebhookBody({ body: binary, secret: WEBHOOK_SECRET });
    expect(verifyWebhookSignature({ rawBody: decoded, signature256, secret: WEBHOOK_SECRET }).kind).toBe(
      'valid',
    );
  });

  it('treats a missing body as empty', () => {
    expect(readRawBody({ body: undefined, isBase64Encoded: false }).length).toBe(0);
  });
});
