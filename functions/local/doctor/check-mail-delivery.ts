import {
  GetIdentityVerificationAttributesCommand,
  SESClient,
  type SESClientConfig,
} from '@aws-sdk/client-ses';
import nodemailer from 'nodemailer';
import type { MailSettings } from '../commands/local-config.ts';
import { checkWritableDirectory } from './check-writable-directory.ts';
import {
  DEFAULT_CHECK_TIMEOUT_MS,
  type DoctorCheck,
  type DoctorFs,
  describeNetworkError,
  errorCode,
  noAnswerWithin,
} from './doctor-check.ts';

type SmtpSettings = Extract<MailSettings, { kind: 'smtp' }>;

/** Connects and logs in (nodemailer's `verify`) without sending; rejects with nodemailer's error. */
export type VerifySmtp = (options: { settings: SmtpSettings; timeoutMs: number }) => Promise<void>;

/** SES verification status by identity (Success, Pending, Failed, TemporaryFailure, NotStarted); absent = never verified. */
export type GetSesVerification = (options: {
  identities: readonly string[];
  timeoutMs: number;
}) => Promise<Readonly<Record<string, string>>>;

export interface CheckMailDeliveryOptions {
  mail: MailSettings;
  fs: DoctorFs;
  verifySmtp?: VerifySmtp;
  getSesVerification?: GetSesVerification;
  timeoutMs?: number;
}

const area = 'mail';

/** The configured mail route can deliver: outbox folder writable, SMTP login accepted, or SES sender verified. */
export async function checkMailDelivery({
  mail,
  fs,
  verifySmtp = verifyWithNodemailer,
  getSesVerification = makeSesVerification(),
  timeoutMs = DEFAULT_CHECK_TIMEOUT_MS,
}: CheckMailDeliveryOptions): Promise<DoctorCheck[]> {
  if (mail.kind === 'outbox') {
    const folder = await checkWritableDirectory({
      area,
      directory: mail.directory,
      purpose: 'the outbox',
      fs,
    });
    return folder.status === 'ok'
      ? [
          {
            status: 'ok',
            area,
            message: `mail is written as .eml files, not sent (AI_OPS_MAIL=smtp or ses sends it); ${folder.message}`,
          },
        ]
      : [folder];
  }
  if (mail.kind === 'smtp') return [await checkSmtp({ settings: mail, verifySmtp, timeoutMs })];
  return checkSes({ from: mail.from, to: mail.to, getSesVerification, timeoutMs });
}

async function checkSmtp({
  settings,
  verifySmtp,
  timeoutMs,
}: {
  settings: SmtpSettings;
  verifySmtp: VerifySmtp;
  timeoutMs: number;
}): Promise<DoctorCheck> {
  const server = `${settings.host}:${settings.port}`;
  try {
    await verifySmtp({ settings, timeoutMs });
    return {
      status: 'ok',
      area,
      message: settings.user
        ? `SMTP ${server} accepts the login of ${settings.user}`
        : `SMTP ${server} answers (no SMTP_USER, so no login was tried)`,
    };
  } catch (error: unknown) {
    const code = errorCode(error);
    const text = error instanceof Error ? error.message : String(error);
    if (code === 'EAUTH')
      return {
        status: 'fail',
        area,
        message: `SMTP ${server} refused the login${settings.user ? ` of ${settings.user}` : ''}: ${text}`,
        fix: 'check SMTP_USER and SMTP_PASSWORD (many providers want an app password or an API key here)',
      };
    if (code === 'ENOAUTH' || /auth.*required|530/i.test(text))
      return {
        status: 'fail',
        area,
        message: `SMTP ${server} wants a login`,
        fix: 'set SMTP_USER and SMTP_PASSWORD',
      };
    if (code === 'ETLS' || /certificate|ssl|tls/i.test(text))
      return {
        status: 'fail',
        area,
        message: `SMTP ${server}: TLS failed (${text})`,
        fix: 'use port 465 for implicit TLS or 587 for STARTTLS, and check the server certificate',
      };
    const refused = /ECONNREFUSED/.test(text) || code === 'ECONNREFUSED';
    const timedOut = code === 'ETIMEDOUT' || /timed? ?out/i.test(text);
    const reason = refused
      ? 'connection refused (nothing listens there)'
      : timedOut
        ? noAnswerWithin(timeoutMs)
        : code === 'EDNS' || /ENOTFOUND|EAI_AGAIN/.test(text)
          ? 'host name not found (DNS)'
          : describeNetworkError(error, timeoutMs);
    return {
      status: 'fail',
      area,
      message: `cannot reach SMTP ${server}: ${reason}`,
      fix: `check SMTP_HOST and SMTP_PORT (587 STARTTLS, 465 TLS)${timedOut ? '; a firewall or the cloud provider may block outgoing SMTP' : ''}`,
    };
  }
}

async function checkSes({
  from,
  to,
  getSesVerification,
  timeoutMs,
}: {
  from: string;
  to: readonly string[];
  getSesVerification: GetSesVerification;
  timeoutMs: number;
}): Promise<DoctorCheck[]> {
  const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();
  const identities = [...new Set([from, domainOf(from), ...to, ...to.map(domainOf)])];
  let statuses: Readonly<Record<string, string>>;
  try {
    statuses = await getSesVerification({ identities, timeoutMs });
  } catch (error: unknown) {
    return [sesFailure({ error, timeoutMs })];
  }
  const verified = (address: string) =>
    statuses[address] === 'Success' || statuses[domainOf(address)] === 'Success';
  const checks: DoctorCheck[] = [];
  if (verified(from))
    checks.push({
      status: 'ok',
      area,
      message: `SES sender ${from} is verified${statuses[from] === 'Success' ? '' : ` (domain ${domainOf(from)})`}`,
    });
  else {
    const status = statuses[from] ?? statuses[domainOf(from)] ?? 'NotStarted';
    checks.push({
      status: 'fail',
      area,
      message:
        status === 'Pending'
          ? `SES sender ${from} is not verified yet (verification pending)`
          : `SES sender ${from} is not verified in this account and region (${status})`,
      fix:
        status === 'Pending'
          ? `click the link SES mailed to ${from}, or publish the DKIM records of ${domainOf(from)}`
          : `verify it with aws sesv2 create-email-identity --email-identity ${from} (or the whole domain: --email-identity ${domainOf(from)}) in the region in AWS_REGION`,
    });
  }
  const unverified = to.filter((address) => !verified(address));
  if (unverified.length > 0)
    checks.push({
      status: 'warn',
      area,
      message: `recipients not verified in SES: ${unverified.join(', ')} (fine with production access; the SES sandbox refuses mail to them)`,
      fix: `request production access, or verify each with aws sesv2 create-email-identity --email-identity ${unverified[0]}`,
    });
  return checks;
}

function sesFailure({ error, timeoutMs }: { error: unknown; timeoutMs: number }): DoctorCheck {
  const name = error instanceof Error ? error.name : '';
  const text = error instanceof Error ? error.message : String(error);
  if (name === 'AccessDenied' || name === 'AccessDeniedException')
    return {
      status: 'warn',
      area,
      message:
        'the AWS credentials may not read SES identities, so whether the sender is verified is unknown',
      fix: 'allow ses:GetIdentityVerificationAttributes, or check the sender in the SES console',
    };
  if (
    ['InvalidClientTokenId', 'SignatureDoesNotMatch', 'UnrecognizedClientException', 'ExpiredToken'].includes(
      name,
    )
  )
    return {
      status: 'fail',
      area,
      message: `AWS rejected the credentials (${name})`,
      fix: 'refresh them (aws sso login, or new access keys) and check AWS_PROFILE',
    };
  if (name === 'CredentialsProviderError' || /credential/i.test(text))
    return {
      status: 'fail',
      area,
      message: `no usable AWS credentials for SES: ${text}`,
      fix: 'set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where an IAM role is available',
    };
  if (/region is missing/i.test(text))
    return {
      status: 'fail',
      area,
      message: 'no AWS region for SES',
      fix: 'set AWS_REGION to the region SES sends from',
    };
  const isHttpAnswer =
    typeof error === 'object' && error !== null && '$metadata' in error && name !== '' && name !== 'Error';
  return {
    status: 'fail',
    area,
    message: isHttpAnswer
      ? `SES answered ${name}: ${text}`
      : `cannot reach SES: ${describeNetworkError(error, timeoutMs)}`,
    fix: 'check AWS_REGION and AWS_ENDPOINT_URL_SES (unset for the real SES), the network and any proxy',
  };
}

/** nodemailer with the SMTP mailer's settings: connect, STARTTLS when offered, log in, quit. */
export const verifyWithNodemailer: VerifySmtp = async ({ settings, timeoutMs }) => {
  const transport = nodemailer.createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.port === 465,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    ...(settings.user ? { auth: { user: settings.user, pass: settings.password ?? '' } } : {}),
  });
  try {
    await transport.verify();
  } finally {
    transport.close();
  }
};

/**
 * SES GetIdentityVerificationAttributes through the SDK, which reads AWS_REGION,
 * AWS_ENDPOINT_URL_SES and the credential chain itself; `config` overrides them (tests).
 */
export function makeSesVerification(config: SESClientConfig = {}): GetSesVerification {
  return async ({ identities, timeoutMs }) => {
    const client = new SESClient({
      maxAttempts: 1,
      requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
      ...config,
    });
    try {
      const answer = await client.send(
        new GetIdentityVerificationAttributesCommand({ Identities: [...identities] }),
        { abortSignal: AbortSignal.timeout(timeoutMs) },
      );
      const statuses: Record<string, string> = {};
      for (const [identity, attributes] of Object.entries(answer.VerificationAttributes ?? {}))
        if (attributes.VerificationStatus) statuses[identity] = attributes.VerificationStatus;
      return statuses;
    } finally {
      client.destroy();
    }
  };
}
