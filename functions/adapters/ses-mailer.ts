import { SESClient, type SESClientConfig, SESServiceException, SendEmailCommand } from '@aws-sdk/client-ses';
import { type Mailer, MailerError, type OutgoingEmail, type SentEmail } from '../core/ports/mailer.ts';
import { awsClientOptions } from './aws-client-options.ts';

export interface SesMailerOptions {
  /** a pre-built client (module scope in a handler); otherwise one is built from the options below */
  client?: SESClient;
  region?: string;
  /** e.g. a local aws-ses-v2-local for tests */
  endpoint?: string;
  credentials?: SESClientConfig['credentials'];
  /** SES configuration set for event publishing (bounces, complaints) */
  configurationSetName?: string;
}

// SES errors that another attempt will not fix: identities, sandbox, account state.
const PERMANENT = new Set([
  'MessageRejected',
  'MailFromDomainNotVerifiedException',
  'ConfigurationSetDoesNotExistException',
  'ConfigurationSetSendingPausedException',
  'AccountSendingPausedException',
  'InvalidParameterValue',
  'AccessDenied',
  'AccessDeniedException',
]);

/** `Mailer` over Amazon SES (SendEmail, HTML + text bodies). */
export class SesMailer implements Mailer {
  readonly #client: SESClient;
  readonly #configurationSetName: string | undefined;

  constructor({ client, region, endpoint, credentials, configurationSetName }: SesMailerOptions = {}) {
    // ai-ops watch's own client: bounded like the analyzer's, so a stalled connection is retried
    this.#client =
      client ??
      new SESClient({
        region,
        endpoint,
        credentials,
        ...awsClientOptions({ maxAttempts: 4, timeoutMs: 10_000 }),
      });
    this.#configurationSetName = configurationSetName;
  }

  async send({ to, from, subject, html, text, idempotencyKey }: OutgoingEmail): Promise<SentEmail> {
    if (to.length === 0) throw new MailerError('no recipients', { code: 'NO_RECIPIENTS', retryable: false });
    try {
      const result = await this.#client.send(
        new SendEmailCommand({
          Source: from,
          Destination: { ToAddresses: to },
          // SES's query encoding throws on half an emoji (URIError): each part is mended first
          Message: {
            Subject: { Data: subject.toWellFormed(), Charset: 'UTF-8' },
            Body: {
              Html: { Data: html.toWellFormed(), Charset: 'UTF-8' },
              Text: { Data: text.toWellFormed(), Charset: 'UTF-8' },
            },
          },
          ConfigurationSetName: this.#configurationSetName,
          // SES has no idempotency token; the tag makes duplicates traceable in event publishing.
          Tags: idempotencyKey
            ? [{ Name: 'ai-ops-idempotency-key', Value: toTagValue(idempotencyKey) }]
            : undefined,
        }),
      );
      if (!result.MessageId)
        throw new MailerError('SES answered without a MessageId', {
          code: 'SES_NO_MESSAGE_ID',
          retryable: true,
        });
      return { messageId: result.MessageId };
    } catch (error: unknown) {
      throw toMailerError(error);
    }
  }
}

/** Map an SES client failure to a `MailerError` with a retry decision. */
export function toMailerError(error: unknown): MailerError {
  if (error instanceof MailerError) return error;
  if (error instanceof SESServiceException) {
    const status = error.$metadata.httpStatusCode ?? 0;
    const retryable =
      !PERMANENT.has(error.name) &&
      (error.$retryable !== undefined || status >= 500 || status === 429 || error.name === 'Throttling');
    return new MailerError(`SES refused the email (${error.name}): ${error.message}`, {
      code: `SES_${error.name}`,
      retryable,
      cause: error,
    });
  }
  // An HTTP answer the SDK could not parse (a proxy's page, a stand-in's JSON): judge by the status.
  const status = httpStatusOf(error);
  if (status !== undefined) {
    const retryable = status >= 500 || status === 429;
    return new MailerError(`SES answered ${status}: ${String(error)}`, {
      code: `SES_HTTP_${status}`,
      retryable,
      cause: error,
    });
  }
  // No HTTP answer at all (DNS, connection reset, timeout): worth another try.
  return new MailerError(`sending through SES failed: ${String(error)}`, {
    code: 'SES_NETWORK',
    retryable: true,
    cause: error,
  });
}

function toTagValue(key: string): string {
  // SES tag values: ASCII letters, digits, `_` and `-`, at most 256 characters.
  return key.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256);
}

function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('$metadata' in error)) return undefined;
  const metadata = error.$metadata;
  if (typeof metadata !== 'object' || metadata === null || !('httpStatusCode' in metadata)) return undefined;
  return typeof metadata.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}
