/**
 * The mail port: SES in the cloud; SES, SMTP or an outbox folder on one machine.
 */

export interface OutgoingEmail {
  to: string[];
  from: string;
  subject: string;
  html: string;
  text: string;
  /**
   * Stable per logical message (e.g. `${incidentKey}#pr-opened`). Adapters that can
   * de-duplicate do; the others pass it along as a header or tag for tracing.
   */
  idempotencyKey?: string;
}

export interface SentEmail {
  messageId: string;
}

export interface Mailer {
  send(email: OutgoingEmail): Promise<SentEmail>;
}

/** The mail service refused or failed; `retryable` says whether trying later may help. */
export class MailerError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(message: string, options: { code: string; retryable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'MailerError';
    this.code = options.code;
    this.retryable = options.retryable;
  }
}
