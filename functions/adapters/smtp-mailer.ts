import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { type Mailer, MailerError, type OutgoingEmail, type SentEmail } from '../core/ports/mailer.ts';
import { IDEMPOTENCY_HEADER, messageIdFor } from './build-mime-message.ts';

export interface SmtpMailerOptions {
  host: string;
  port?: number;
  user?: string;
  password?: string;
  /** implicit TLS (port 465); otherwise STARTTLS is used whenever the server offers it */
  secure?: boolean;
  /** refuse to send without STARTTLS (set it for servers outside this machine) */
  requireTls?: boolean;
  connectionTimeoutMs?: number;
}

/**
 * `Mailer` over SMTP with nodemailer, from the seed's SMTP_* settings. The idempotency key becomes
 * the Message-ID (and a header), so a resent message is recognisably the same one.
 */
export class SmtpMailer implements Mailer {
  readonly #transport: Transporter<SMTPTransport.SentMessageInfo>;
  readonly #host: string;

  constructor({
    host,
    port = 587,
    user,
    password,
    secure = port === 465,
    requireTls = false,
    connectionTimeoutMs = 10_000,
  }: SmtpMailerOptions) {
    this.#host = `${host}:${port}`;
    this.#transport = nodemailer.createTransport({
      host,
      port,
      secure,
      requireTLS: requireTls,
      connectionTimeout: connectionTimeoutMs,
      greetingTimeout: connectionTimeoutMs,
      socketTimeout: connectionTimeoutMs * 3,
      ...(user ? { auth: { user, pass: password ?? '' } } : {}),
    });
  }

  async send(email: OutgoingEmail): Promise<SentEmail> {
    if (email.to.length === 0)
      throw new MailerError('no recipients', { code: 'NO_RECIPIENTS', retryable: false });
    try {
      const info = await this.#transport.sendMail({
        from: email.from,
        to: email.to,
        subject: email.subject,
        text: email.text,
        html: email.html,
        messageId: messageIdFor(email),
        headers: email.idempotencyKey ? { [IDEMPOTENCY_HEADER]: email.idempotencyKey } : {},
      });
      if (info.rejected.length > 0 && info.accepted.length === 0)
        throw new MailerError(`${this.#host} accepted none of the recipients`, {
          code: 'SMTP_RECIPIENTS_REJECTED',
          retryable: false,
        });
      return { messageId: info.messageId };
    } catch (error: unknown) {
      if (error instanceof MailerError) throw error;
      throw toMailerError(error, this.#host);
    }
  }

  /** Closes pooled connections (none by default); for tests and shutdown. */
  close(): void {
    this.#transport.close();
  }
}

/** 4xx replies and network failures may pass on a later try; 5xx replies and bad credentials will not. */
function toMailerError(error: unknown, host: string): MailerError {
  const fields = typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : {};
  const responseCode = typeof fields.responseCode === 'number' ? fields.responseCode : undefined;
  const code = typeof fields.code === 'string' ? fields.code : 'SMTP_ERROR';
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'EAUTH')
    return new MailerError(`${host} refused the login: check SMTP_USER and SMTP_PASSWORD (${message})`, {
      code: 'SMTP_AUTH_FAILED',
      retryable: false,
      cause: error,
    });
  const retryable = responseCode !== undefined ? responseCode < 500 : true;
  return new MailerError(`sending through ${host} failed: ${message}`, {
    code: responseCode !== undefined ? `SMTP_${responseCode}` : code,
    retryable,
    cause: error,
  });
}
