import { createHash, randomUUID } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type { OutgoingEmail } from '../core/ports/mailer.ts';

export const IDEMPOTENCY_HEADER = 'X-AI-Ops-Idempotency-Key';

/**
 * The Message-ID for an email: derived from its idempotency key when it has one, so a resend
 * carries the same id and mail clients fold the duplicate away.
 */
export function messageIdFor(email: Pick<OutgoingEmail, 'idempotencyKey'>, domain = 'ai-ops.local'): string {
  const local = email.idempotencyKey
    ? createHash('sha256').update(email.idempotencyKey).digest('hex').slice(0, 32)
    : randomUUID();
  return `<${local}@${domain}>`;
}

/**
 * An RFC 5322 message (multipart/alternative, text then HTML, UTF-8, encoded-word subject, Date,
 * Message-ID), built by nodemailer's composer: the same bytes the SMTP adapter sends.
 */
export async function buildMimeMessage(
  email: OutgoingEmail,
  { date = new Date(), messageId = messageIdFor(email) }: { date?: Date; messageId?: string } = {},
): Promise<Buffer> {
  const composer = new MailComposer({
    from: email.from,
    to: email.to,
    subject: email.subject,
    // RFC 5322 lines end in CRLF; the composer leaves 7bit bodies' line ends as given.
    text: toCrlf(email.text),
    html: toCrlf(email.html),
    date,
    messageId,
    headers: email.idempotencyKey ? { [IDEMPOTENCY_HEADER]: email.idempotencyKey } : {},
  });
  return composer.compile().build();
}

function toCrlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}
