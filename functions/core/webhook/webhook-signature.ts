import { createHmac, timingSafeEqual } from 'node:crypto';

/** Why a delivery's signature was not accepted; every kind is answered with 401. */
export type WebhookSignatureVerdict =
  | { kind: 'valid' }
  | {
      kind: 'invalid';
      /**
       * `missing`: no signature header at all; `sha1_only`: only the legacy `X-Hub-Signature`
       * (HMAC-SHA1), which we do not accept; `malformed`: not `sha256=<64 hex>`; `mismatch`: signed
       * with another secret, or the body was altered on the way.
       */
      reason: 'missing' | 'sha1_only' | 'malformed' | 'mismatch';
    };

export interface VerifyWebhookSignatureInput {
  /** the body exactly as received: bytes, never a re-serialised JSON value */
  rawBody: Uint8Array;
  /** the `X-Hub-Signature-256` header */
  signature256: string | undefined;
  /** the legacy `X-Hub-Signature` header, only to tell "SHA-1 only" apart from "missing" */
  signature1?: string | undefined;
  secret: string;
}

const SIGNATURE_256 = /^sha256=([0-9a-f]{64})$/i;

/** Checks GitHub's `X-Hub-Signature-256` (HMAC-SHA256 of the raw body) in constant time. */
export function verifyWebhookSignature({
  rawBody,
  signature256,
  signature1,
  secret,
}: VerifyWebhookSignatureInput): WebhookSignatureVerdict {
  if (signature256 === undefined || signature256 === '') {
    return { kind: 'invalid', reason: signature1 ? 'sha1_only' : 'missing' };
  }
  const match = SIGNATURE_256.exec(signature256.trim());
  if (!match?.[1]) return { kind: 'invalid', reason: 'malformed' };
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  const given = Buffer.from(match[1], 'hex');
  // Both are 32 bytes here (the regex fixed the length), which timingSafeEqual requires.
  return timingSafeEqual(expected, given) ? { kind: 'valid' } : { kind: 'invalid', reason: 'mismatch' };
}

/** The `X-Hub-Signature-256` value GitHub would send for `body` (for stand-ins and tests). */
export function signWebhookBody({ body, secret }: { body: Uint8Array | string; secret: string }): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * The request body's bytes. API Gateway hands over text bodies as they came but base64-encodes
 * what it considers binary (and says so in `isBase64Encoded`); the HMAC is over the bytes GitHub
 * sent, so they are recovered without any JSON round trip.
 */
export function readRawBody({
  body,
  isBase64Encoded,
}: {
  body: string | undefined;
  isBase64Encoded: boolean;
}): Buffer {
  if (body === undefined) return Buffer.alloc(0);
  return isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
}
