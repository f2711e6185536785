import { createHash, randomUUID } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Mailer, MailerError, type OutgoingEmail, type SentEmail } from '../core/ports/mailer.ts';
import { buildMimeMessage, messageIdFor } from './build-mime-message.ts';

export interface OutboxMailerOptions {
  /** the folder the `.eml` files go to, created when missing (default `.ai-ops/outbox`) */
  directory?: string;
  now?: () => Date;
}

/**
 * `Mailer` for one machine without a mail server: every email becomes an RFC 5322 `.eml` file
 * in an outbox folder (open it with any mail client). The same idempotency key always maps to
 * the same file, so a retried send leaves one file, not two.
 */
export class OutboxMailer implements Mailer {
  readonly directory: string;
  readonly #now: () => Date;

  constructor({ directory = '.ai-ops/outbox', now = () => new Date() }: OutboxMailerOptions = {}) {
    this.directory = directory;
    this.#now = now;
  }

  async send(email: OutgoingEmail): Promise<SentEmail> {
    if (email.to.length === 0)
      throw new MailerError('no recipients', { code: 'NO_RECIPIENTS', retryable: false });
    const date = this.#now();
    const messageId = messageIdFor(email);
    const path = join(this.directory, fileNameFor(email, date));
    try {
      await mkdir(this.directory, { recursive: true });
      if (email.idempotencyKey) {
        const existing = await readMessageId(path);
        if (existing) return { messageId: existing };
      }
      const message = await buildMimeMessage(email, { date, messageId });
      // Write aside, then link into place: a reader never sees half a file, and of two racing
      // sends with one key exactly one creates the file (link fails with EEXIST for the other).
      const temporary = join(this.directory, `.${randomUUID()}.tmp`);
      await writeFile(temporary, message);
      try {
        await link(temporary, path);
      } catch (error: unknown) {
        if (!isCode(error, 'EEXIST')) throw error;
      } finally {
        await unlink(temporary);
      }
      return { messageId: (await readMessageId(path)) ?? messageId };
    } catch (error: unknown) {
      if (error instanceof MailerError) throw error;
      throw new MailerError(`cannot write to the outbox ${this.directory}: ${(error as Error).message}`, {
        code: 'OUTBOX_WRITE_FAILED',
        retryable: isCode(error, 'ENOSPC') || isCode(error, 'EMFILE') || isCode(error, 'EBUSY'),
        cause: error,
      });
    }
  }
}

/** `<utc time>-<key slug>-<key hash>.eml` with a key (stable), `<utc time>-<random>.eml` without. */
function fileNameFor(email: OutgoingEmail, date: Date): string {
  if (!email.idempotencyKey) return `${stamp(date)}-${randomUUID().slice(0, 8)}.eml`;
  const slug = email.idempotencyKey
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);
  const hash = createHash('sha256').update(email.idempotencyKey).digest('hex').slice(0, 12);
  return `${slug}-${hash}.eml`;
}

function stamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

async function readMessageId(path: string): Promise<string | undefined> {
  try {
    const head = (await readFile(path, 'utf8')).split('\r\n\r\n', 1)[0] ?? '';
    return /^Message-ID: (<[^>\r\n]+>)/im.exec(head)?.[1];
  } catch (error: unknown) {
    if (isCode(error, 'ENOENT')) return undefined;
    throw error;
  }
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === code;
}
