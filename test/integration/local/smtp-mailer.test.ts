import { afterEach, describe, expect, it } from 'vitest';
import { SmtpMailer } from '../../../functions/adapters/smtp-mailer.ts';
import { MailerError, type OutgoingEmail } from '../../../functions/core/ports/mailer.ts';
import { type SmtpStandIn, type SmtpStandInOptions, startSmtpStandIn } from '../../support/smtp-server.ts';

const servers: SmtpStandIn[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function standIn(options: SmtpStandInOptions = {}): Promise<SmtpStandIn> {
  const server = await startSmtpStandIn(options);
  servers.push(server);
  return server;
}

const EMAIL: OutgoingEmail = {
  from: 'ai-ops@example.com',
  to: ['dev@example.com'],
  subject: 'Fix ready: KeyError — ✓',
  text: 'PR: https://github.com/acme/shop/pull/7\n.leading dot line',
  html: '<p>PR <a href="https://github.com/acme/shop/pull/7">#7</a></p>',
  idempotencyKey: 'acme/shop#abc#pr-opened',
};

describe('SmtpMailer against a local SMTP stand-in', () => {
  it('logs in and delivers a multipart message whose Message-ID comes from the idempotency key', async () => {
    const server = await standIn({ users: { bot: 'fake-password' } });
    const mailer = new SmtpMailer({
      host: '127.0.0.1',
      port: server.port,
      user: 'bot',
      password: 'fake-password',
    });

    const first = await mailer.send(EMAIL);
    const again = await mailer.send(EMAIL);
    mailer.close();

    expect(server.messages).toHaveLength(2);
    const [message] = server.messages;
    expect(message).toMatchObject({ from: 'ai-ops@example.com', to: ['dev@example.com'], user: 'bot' });
    expect(message?.data).toMatch(/^Content-Type: multipart\/alternative;/m);
    expect(message?.data).toMatch(/^X-Ai-Ops-Idempotency-Key: acme\/shop#abc#pr-opened$/im);
    expect(message?.data).toContain(`Message-ID: ${first.messageId}`);
    expect(message?.data).toContain('\r\n.leading dot line');
    expect(again.messageId).toBe(first.messageId);
    expect(server.commands.some((c) => c.startsWith('AUTH '))).toBe(true);
  });

  it('delivers without a login when no user is configured', async () => {
    const server = await standIn();
    const mailer = new SmtpMailer({ host: '127.0.0.1', port: server.port });
    await mailer.send({ ...EMAIL, to: ['a@example.com', 'b@example.com'] });
    mailer.close();
    expect(server.messages[0]?.to).toEqual(['a@example.com', 'b@example.com']);
    expect(server.commands.some((c) => c.startsWith('AUTH'))).toBe(false);
  });

  it('maps a wrong password to a permanent error that names the settings to check', async () => {
    const server = await standIn({ users: { bot: 'right' } });
    const mailer = new SmtpMailer({ host: '127.0.0.1', port: server.port, user: 'bot', password: 'wrong' });
    const error = await mailer.send(EMAIL).catch((e: unknown) => e);
    mailer.close();
    expect(error).toBeInstanceOf(MailerError);
    expect(error).toMatchObject({ code: 'SMTP_AUTH_FAILED', retryable: false });
    expect((error as Error).message).toContain('SMTP_USER and SMTP_PASSWORD');
    expect(server.messages).toHaveLength(0);
  });

  it('treats a 4xx reply as retryable and a refused recipient as permanent', async () => {
    const busy = await standIn({ dataReply: '451 4.3.0 try again later' });
    const busyMailer = new SmtpMailer({ host: '127.0.0.1', port: busy.port });
    await expect(busyMailer.send(EMAIL)).rejects.toMatchObject({ code: 'SMTP_451', retryable: true });
    busyMailer.close();

    const strict = await standIn({ rejectRecipients: ['dev@example.com'] });
    const strictMailer = new SmtpMailer({ host: '127.0.0.1', port: strict.port });
    await expect(strictMailer.send(EMAIL)).rejects.toMatchObject({ retryable: false });
    strictMailer.close();
  });

  it('treats a server that is not there as retryable', async () => {
    const server = await standIn();
    const port = server.port;
    await server.close();
    servers.pop();
    const mailer = new SmtpMailer({ host: '127.0.0.1', port, connectionTimeoutMs: 2000 });
    await expect(mailer.send(EMAIL)).rejects.toMatchObject({ retryable: true });
    mailer.close();
  });
});
