import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SesMailer, toMailerError } from '../../functions/adapters/ses-mailer.ts';
import { MailerError } from '../../functions/core/ports/mailer.ts';
import { renderEmail } from '../../functions/core/repair/render-email.ts';
import { type SesServer, startSesServer } from '../support/ses-server.ts';

let ses: SesServer;

beforeAll(async () => {
  ses = await startSesServer();
});

afterAll(async () => {
  await ses.stop();
});

beforeEach(async () => {
  await ses.clear();
});

function makeEmail() {
  return renderEmail({
    kind: 'fix',
    repo: { owner: 'my-org', name: 'my-app' },
    error: {
      language: 'python',
      exceptionType: 'ValueError',
      message: 'bad <input> “quoted” ünïcode',
      frames: [{ file: 'app/orders.py', line: 42, function: 'parse_order', inApp: true }],
      logGroup: '/aws/lambda/orders',
    },
    analysis: {
      title: 'Validate ids',
      rootCause: 'No validation.',
      explanation: 'Add it.',
      confidence: 'high',
    },
    pr: { number: 42, url: 'https://github.com/my-org/my-app/pull/42' },
  });
}

describe('SesMailer against aws-ses-v2-local', () => {
  it('sends the subject, HTML and text bodies to every recipient', async () => {
    const client = ses.makeClient();
    const wire: string[] = [];
    client.middlewareStack.add(
      (next) => async (args) => {
        const { request } = args as { request: { body?: unknown } };
        wire.push(String(request.body));
        return next(args);
      },
      { step: 'finalizeRequest' },
    );
    const mailer = new SesMailer({ client });
    const email = makeEmail();
    const sent = await mailer.send({
      to: ['dev@example.com', 'oncall@example.com'],
      from: 'ai-ops@example.com',
      ...email,
      idempotencyKey: 'my-org/my-app#1a2b3c4d#pr_open',
    });

    const stored = await ses.emails();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      messageId: sent.messageId,
      from: 'ai-ops@example.com',
      // aws-ses-v2-local's SendEmail (v1) keeps only the first To address; the wire shows both went out.
      destination: { to: ['dev@example.com'], cc: [], bcc: [] },
      subject: '[ai-ops] ValueError in my-org/my-app: fix PR #42 ready for review',
      body: { html: email.html, text: email.text },
    });
    const form = new URLSearchParams(wire[0]);
    expect(form.get('Destination.ToAddresses.member.1')).toBe('dev@example.com');
    expect(form.get('Destination.ToAddresses.member.2')).toBe('oncall@example.com');
    expect(form.get('Tags.member.1.Name')).toBe('ai-ops-idempotency-key');
    expect(form.get('Tags.member.1.Value')).toBe('my-org_my-app_1a2b3c4d_pr_open');
    expect(stored[0]?.body.html).toContain('bad &lt;input&gt; “quoted” ünïcode');
    expect(stored[0]?.body.text).toContain('https://github.com/my-org/my-app/pull/42/files');
  });

  it('sends half an emoji a cut left in the subject or bodies mended (SES query encoding threw URIError on it)', async () => {
    const mailer = new SesMailer({ client: ses.makeClient() });
    const half = '\u{1F6D2}'.slice(0, 1);

    await mailer.send({
      to: ['dev@example.com'],
      from: 'ai-ops@example.com',
      subject: `[ai-ops] KeyError: 'cart ${half}'`,
      html: `<p>cart ${half}</p>`,
      text: `cart ${half}`,
    });

    const [stored] = await ses.emails();
    expect(stored?.subject).toBe("[ai-ops] KeyError: 'cart \uFFFD'");
    expect(stored?.body.text).toBe('cart \uFFFD');
  });

  it('builds its own client from a configurable endpoint', async () => {
    const mailer = new SesMailer({
      endpoint: ses.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDTESTFAKE', secretAccessKey: 'fake-secret-for-local-stand-ins' },
    });
    await mailer.send({
      to: ['dev@example.com'],
      from: 'ai-ops@example.com',
      subject: 's',
      html: '<p>h</p>',
      text: 't',
    });

    expect((await ses.emails()).map((e) => e.subject)).toEqual(['s']);
  });

  it('refuses an email without recipients before calling SES', async () => {
    const mailer = new SesMailer({ client: ses.makeClient() });
    const error = await mailer
      .send({ to: [], from: 'ai-ops@example.com', subject: 's', html: 'h', text: 't' })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(MailerError);
    expect(error).toMatchObject({ code: 'NO_RECIPIENTS', retryable: false });
    expect(await ses.emails()).toEqual([]);
  });

  it('maps a request SES refuses (400: empty subject) to a non-retryable MailerError', async () => {
    const mailer = new SesMailer({ client: ses.makeClient({ maxAttempts: 1 }) });
    const error = await mailer
      .send({ to: ['dev@example.com'], from: 'ai-ops@example.com', subject: '', html: '', text: '' })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(MailerError);
    expect(error).toMatchObject({ code: 'SES_HTTP_400', retryable: false });
    expect(await ses.emails()).toEqual([]);
  });

  it('treats a connection failure as retryable', async () => {
    const mailer = new SesMailer({
      client: ses.makeClient({ endpoint: 'http://127.0.0.1:9', maxAttempts: 1 }),
    });
    const error = await mailer
      .send({ to: ['dev@example.com'], from: 'ai-ops@example.com', subject: 's', html: 'h', text: 't' })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(MailerError);
    expect(error).toMatchObject({ retryable: true });
  });

  it('passes MailerErrors through unchanged', () => {
    const original = new MailerError('x', { code: 'X', retryable: false });
    expect(toMailerError(original)).toBe(original);
  });
});
