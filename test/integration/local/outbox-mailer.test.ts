import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OutboxMailer } from '../../../functions/adapters/outbox-mailer.ts';
import type { OutgoingEmail } from '../../../functions/core/ports/mailer.ts';
import { tempDir } from './watch-helpers.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function email(overrides: Partial<OutgoingEmail> = {}): OutgoingEmail {
  return {
    from: 'ai-ops@example.com',
    to: ['dev@example.com', 'lead@example.com'],
    subject: 'Fix ready: KeyError in pricing.py — ünïcode ✓',
    text: 'The fix is in https://github.com/acme/shop/pull/7\n.\nA line with a lone dot above.',
    html: '<p>The fix is in <a href="https://github.com/acme/shop/pull/7">#7</a></p>',
    idempotencyKey: 'acme/shop#abc123#pr-opened',
    ...overrides,
  };
}

function outbox() {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const directory = join(dir, 'outbox');
  return { directory, mailer: new OutboxMailer({ directory, now: () => new Date('2024-05-01T12:00:00Z') }) };
}

const emlFiles = (directory: string) => readdirSync(directory).filter((f) => f.endsWith('.eml'));

describe('OutboxMailer', () => {
  it('writes an RFC 5322 multipart/alternative .eml with headers, date, message id and an encoded subject', async () => {
    const { directory, mailer } = outbox();

    const sent = await mailer.send(email());

    const files = emlFiles(directory);
    expect(files).toEqual([expect.stringMatching(/^acme-shop-abc123-pr-opened-[0-9a-f]{12}\.eml$/)]);
    const eml = readFileSync(join(directory, files[0] ?? ''), 'utf8');
    const blank = eml.indexOf('\r\n\r\n');
    const head = eml.slice(0, blank);
    const body = eml.slice(blank + 4);
    expect(head).toMatch(/^From: ai-ops@example\.com$/m);
    expect(head).toMatch(/^To: dev@example\.com, lead@example\.com$/m);
    expect(head).toMatch(/^Date: Wed, 01 May 2024 12:00:00 \+0000$/m);
    expect(head).toMatch(/^MIME-Version: 1\.0$/m);
    expect(head).toMatch(/^Content-Type: multipart\/alternative;/m);
    expect(head).toMatch(/^X-Ai-Ops-Idempotency-Key: acme\/shop#abc123#pr-opened$/im);
    expect(head).toContain(`Message-ID: ${sent.messageId}`);
    expect(sent.messageId).toMatch(/^<[0-9a-f]{32}@ai-ops\.local>$/);
    // Non-ASCII subjects travel as RFC 2047 encoded words, never raw bytes.
    expect(head).toMatch(/^Subject: =\?UTF-8\?[QB]\?/m);
    expect(head).not.toContain('ünïcode');
    expect(body.indexOf('Content-Type: text/plain; charset=utf-8')).toBeLessThan(
      body.indexOf('Content-Type: text/html; charset=utf-8'),
    );
    expect(body).toContain('https://github.com/acme/shop/pull/7');
    expect(eml.replaceAll('\r\n', '')).not.toContain('\n');
  });

  it('is idempotent on the key: the same key twice is one file and one message id', async () => {
    const { directory, mailer } = outbox();

    const first = await mailer.send(email());
    const second = await mailer.send(email({ subject: 'a retry with other text' }));
    const racing = await Promise.all([
      mailer.send(email({ idempotencyKey: 'k2' })),
      mailer.send(email({ idempotencyKey: 'k2' })),
    ]);

    expect(second.messageId).toBe(first.messageId);
    expect(racing[0].messageId).toBe(racing[1].messageId);
    expect(emlFiles(directory)).toHaveLength(2);
    expect(readdirSync(directory).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('writes one file per message without a key, and refuses a message with no recipients', async () => {
    const { directory, mailer } = outbox();
    const { idempotencyKey: _, ...withoutKey } = email();

    const a = await mailer.send(withoutKey);
    const b = await mailer.send(withoutKey);

    expect(a.messageId).not.toBe(b.messageId);
    expect(emlFiles(directory)).toHaveLength(2);
    await expect(mailer.send(email({ to: [] }))).rejects.toMatchObject({
      code: 'NO_RECIPIENTS',
      retryable: false,
    });
  });
});
