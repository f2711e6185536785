import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DoctorCheck } from '../../../functions/local/doctor/doctor-check.ts';
import { type DoctorDeps, runDoctor } from '../../../functions/local/doctor/doctor-command.ts';
import {
  type AnthropicStandIn,
  STAND_IN_MODELS,
  startAnthropicStandIn,
} from '../../support/anthropic-stand-in.ts';
import { type GitHubStandIn, startGitHubStandIn } from '../../support/github-stand-in.ts';
import { type SmtpStandIn, startSmtpStandIn } from '../../support/smtp-server.ts';

// Obviously fake, and built so no scanner mistakes them for real credentials.
const FAKE_TOKEN = ['github', 'pat', 'FAKE0000000000000000000000000000'].join('_');
const FAKE_KEY = ['sk', 'ant', 'FAKE-not-a-real-key-0000000000'].join('-');
const FAKE_PASSWORD = ['fake', 'smtp', 'password', '42'].join('-');

let github: GitHubStandIn;
let anthropic: AnthropicStandIn;
let smtp: SmtpStandIn;
let dir: string;

beforeAll(async () => {
  [github, anthropic, smtp] = await Promise.all([
    startGitHubStandIn({ tokens: [FAKE_TOKEN] }),
    startAnthropicStandIn({ script: [], apiKeys: [FAKE_KEY] }),
    startSmtpStandIn({ users: { bot: FAKE_PASSWORD } }),
  ]);
  github.addRepo({ owner: 'acme', repo: 'shop', defaultBranch: 'main', branches: { main: 'a'.repeat(40) } });
  dir = await mkdtemp(join(tmpdir(), 'ai-ops-doctor-it-'));
  await writeFile(join(dir, 'app.log'), 'started\n');
});
afterAll(async () => {
  await Promise.all([github.close(), anthropic.close(), smtp.close()]);
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.unstubAllEnvs();
});

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

function env(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    LOG_FILE_PATH: 'app.log',
    GITHUB_TOKEN: FAKE_TOKEN,
    GITHUB_REPO: 'acme/shop',
    // the stand-in is mounted under /api/v3, like GitHub Enterprise Server
    GITHUB_API_URL: github.baseUrl,
    ANTHROPIC_API_KEY: FAKE_KEY,
    ANTHROPIC_BASE_URL: anthropic.url,
    AI_OPS_MODEL: 'claude-sonnet-4-5',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    SMTP_USER: 'bot',
    SMTP_PASSWORD: FAKE_PASSWORD,
    SMTP_FROM: 'ai-ops@acme.test',
    SMTP_TO: 'dev@acme.test',
    ...overrides,
  };
}

async function doctor(
  settings: Record<string, string>,
  { args = ['--json'], deps = {} }: { args?: string[]; deps?: DoctorDeps } = {},
) {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runDoctor(
    args,
    { stdin: new PassThrough(), stdout, stderr },
    { env: settings, cwd: dir, ...deps },
  );
  const checks: DoctorCheck[] = args.includes('--json')
    ? (JSON.parse(stdout.text) as { checks: DoctorCheck[] }).checks
    : [];
  return { code, stdout: stdout.text, stderr: stderr.text, checks };
}

const inArea = (checks: DoctorCheck[], area: DoctorCheck['area']) =>
  checks.filter((c) => c.area === area).map((c) => [c.status, c.message]);

/**
 * The stand-in has no `GET /user` and leaves `permissions` out of the repository: script what
 * GitHub answers there (`failNext` without a route answers the next request, which is /user).
 */
function scriptUser(scopes?: string) {
  github.failNext({
    fault: {
      kind: 'respond',
      status: 200,
      body: { login: 'ai-ops-bot' },
      headers: scopes ? { 'x-oauth-scopes': scopes } : {},
    },
  });
}
function scriptRepoPermissions(push: boolean) {
  github.failNext({
    route: 'GET /repos/{owner}/{repo}',
    fault: {
      kind: 'respond',
      status: 200,
      body: {
        full_name: 'acme/shop',
        private: true,
        default_branch: 'main',
        permissions: { push, pull: true },
      },
    },
  });
}

describe('ai-ops doctor against the local stand-ins', () => {
  it('all green through the real protocols: exit 0, and no secret in the output', async () => {
    scriptUser('repo');
    scriptRepoPermissions(true);
    const before = anthropic.requests.length;
    const started = Date.now();
    const { code, stdout, stderr } = await doctor(env(), { args: [], deps: { isTty: true } });
    const elapsed = Date.now() - started;

    expect(stdout).toContain('✓ GitHub: token works (signed in as ai-ops-bot)');
    expect(stdout).toContain('✓ GitHub: write access to acme/shop');
    expect(stdout).toContain('✓ GitHub: base branch main exists');
    expect(stdout).toMatch(/✓ Anthropic: key works; model claude-sonnet-4-5/);
    expect(stdout).toContain(`✓ mail: SMTP 127.0.0.1:${smtp.port} accepts the login of bot`);
    expect(stdout).not.toContain('✗');
    expect(code).toBe(0);
    for (const output of [stdout, stderr]) {
      expect(output).not.toContain(FAKE_TOKEN);
      expect(output).not.toContain(FAKE_KEY);
      expect(output).not.toContain(FAKE_PASSWORD);
    }
    // the Models API only: nothing that costs money
    expect(anthropic.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /v1/models/claude-sonnet-4-5',
    ]);
    expect(smtp.messages).toEqual([]);
    expect(elapsed).toBeLessThan(5000);
  });

  it('GitHub: a wrong token is a 401 with how to make one', async () => {
    const { checks, code } = await doctor(env({ GITHUB_TOKEN: 'not-the-right-token' }));
    expect(code).toBe(1);
    expect(inArea(checks, 'GitHub')).toEqual([['fail', 'token invalid or expired (401 Bad credentials)']]);
    expect(checks.find((c) => c.area === 'GitHub')).toMatchObject({
      fix: expect.stringContaining(`${github.origin}/settings/personal-access-tokens`),
    });
  });

  it('GitHub: an unknown repository, a missing branch, read-only access', async () => {
    scriptUser();
    const unknown = await doctor(env({ GITHUB_REPO: 'acme/other' }));
    expect(inArea(unknown.checks, 'GitHub')).toEqual([
      ['ok', 'token works (signed in as ai-ops-bot)'],
      ['fail', 'repository acme/other not found, or the token cannot see it'],
    ]);

    scriptUser();
    const branch = await doctor(env({ GITHUB_BASE_BRANCH: 'develop' }));
    expect(inArea(branch.checks, 'GitHub')).toEqual([
      ['ok', 'token works (signed in as ai-ops-bot)'],
      [
        'ok',
        'fine-grained or app token (GitHub lists no scopes for those; the repository access below is what counts)',
      ],
      // the stand-in's repository JSON has no `permissions`: the doctor says it cannot tell
      ['warn', 'GitHub did not say whether the token may push to acme/shop'],
      ['fail', 'base branch develop not found in acme/shop'],
    ]);

    scriptUser('repo');
    scriptRepoPermissions(false);
    const readOnly = await doctor(env());
    expect(inArea(readOnly.checks, 'GitHub')).toContainEqual([
      'fail',
      'read-only access to acme/shop: ai-ops cannot push a fix branch or open a pull request',
    ]);
  });

  it('Anthropic: a wrong key is 401, an unknown model lists the known ones', async () => {
    const wrongKey = await doctor(env({ ANTHROPIC_API_KEY: 'sk-ant-wrong-key-for-the-stand-in' }));
    expect(inArea(wrongKey.checks, 'Anthropic')).toEqual([
      ['fail', 'key invalid (401 authentication_error)'],
    ]);

    const unknown = await doctor(env({ AI_OPS_MODEL: 'claude-opus-4-8' }));
    expect(unknown.checks.find((c) => c.area === 'Anthropic')).toMatchObject({
      status: 'fail',
      message: 'model id unknown: claude-opus-4-8',
      fix: `set AI_OPS_MODEL to one of: ${STAND_IN_MODELS.join(', ')}`,
    });
    expect(anthropic.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });

  it('Anthropic and GitHub: nothing listening is reported, not thrown', async () => {
    const port = await closedPort();
    const { checks } = await doctor(
      env({
        ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}`,
        GITHUB_API_URL: `http://127.0.0.1:${port}/api/v3`,
      }),
    );
    expect(inArea(checks, 'Anthropic')).toEqual([
      ['fail', `cannot reach http://127.0.0.1:${port}: connection refused (nothing listens there)`],
    ]);
    expect(inArea(checks, 'GitHub')).toEqual([
      ['fail', `cannot reach http://127.0.0.1:${port}/api/v3: connection refused (nothing listens there)`],
    ]);
  });

  it('SMTP (nodemailer verify): a wrong password, a closed port', async () => {
    const wrong = await doctor(env({ SMTP_PASSWORD: 'not-the-password' }));
    expect(wrong.checks.find((c) => c.area === 'mail')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining(`SMTP 127.0.0.1:${smtp.port} refused the login of bot`),
      fix: expect.stringContaining('SMTP_USER and SMTP_PASSWORD'),
    });
    const port = await closedPort();
    const closed = await doctor(env({ SMTP_PORT: String(port) }));
    expect(inArea(closed.checks, 'mail')).toEqual([
      ['fail', `cannot reach SMTP 127.0.0.1:${port}: connection refused (nothing listens there)`],
    ]);
  });

  it('a silent server is given up on after --timeout-ms', async () => {
    const sockets = new Set<Socket>();
    const silent = createTcpServer((socket) => sockets.add(socket)); // accepts, never answers
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const address = silent.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const started = Date.now();
      const { checks } = await doctor(
        env({ SMTP_PORT: String(port), ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}` }),
        {
          args: ['--json', '--timeout-ms', '300'],
        },
      );
      expect(Date.now() - started).toBeLessThan(3000);
      expect(inArea(checks, 'mail')).toEqual([
        ['fail', `cannot reach SMTP 127.0.0.1:${port}: no answer within 300 ms`],
      ]);
      expect(inArea(checks, 'Anthropic')).toEqual([
        ['fail', `cannot reach http://127.0.0.1:${port}: no answer within 300 ms`],
      ]);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});

/**
 * aws-ses-v2-local has no GetIdentityVerificationAttributes, so SES is played by a small server
 * speaking the SES Query protocol (form-encoded request, XML answer) to the real SDK, found the
 * way the SDK finds it in production: AWS_ENDPOINT_URL_SES and AWS_REGION.
 */
describe('ai-ops doctor: SES through the real SDK and its standard environment', () => {
  let ses: Server;
  let endpoint = '';
  const bodies: URLSearchParams[] = [];
  let answer: { status: number; xml: string } = { status: 200, xml: '' };

  beforeAll(async () => {
    ses = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        bodies.push(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
        response.writeHead(answer.status, { 'content-type': 'text/xml' });
        response.end(answer.xml);
      });
    });
    ses.listen(0, '127.0.0.1');
    await once(ses, 'listening');
    const address = ses.address();
    endpoint = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  });
  afterAll(() => new Promise<void>((resolve) => ses.close(() => resolve())));

  function stubAws() {
    vi.stubEnv('AWS_ENDPOINT_URL_SES', endpoint);
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDTESTFAKE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'fake-secret-for-local-stand-ins');
    vi.stubEnv('AWS_PROFILE', '');
  }
  const sesEnv = () =>
    env({ AI_OPS_MAIL: 'ses', SMTP_HOST: '', SMTP_USER: '', SMTP_PASSWORD: '', SMTP_PORT: '' });

  it('asks for the sender, its domain and the recipients, and reads the statuses', async () => {
    stubAws();
    answer = { status: 200, xml: verificationXml({ 'acme.test': 'Success', 'ai-ops@acme.test': 'Pending' }) };
    const { checks } = await doctor(sesEnv());
    expect(Object.fromEntries(bodies.at(-1) ?? [])).toMatchObject({
      Action: 'GetIdentityVerificationAttributes',
      'Identities.member.1': 'ai-ops@acme.test',
      'Identities.member.2': 'acme.test',
      'Identities.member.3': 'dev@acme.test',
    });
    expect(inArea(checks, 'mail')).toEqual([
      ['ok', 'SES sender ai-ops@acme.test is verified (domain acme.test)'],
    ]);

    answer = { status: 200, xml: verificationXml({}) };
    const unverified = await doctor(sesEnv());
    expect(unverified.checks.filter((c) => c.area === 'mail')).toEqual([
      expect.objectContaining({
        status: 'fail',
        message: 'SES sender ai-ops@acme.test is not verified in this account and region (NotStarted)',
        fix: expect.stringContaining('aws sesv2 create-email-identity --email-identity ai-ops@acme.test'),
      }),
      expect.objectContaining({ status: 'warn', message: expect.stringContaining('dev@acme.test') }),
    ]);
  });

  it('an access-denied answer is a warning that names the permission', async () => {
    stubAws();
    answer = {
      status: 403,
      xml: `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to perform: ses:GetIdentityVerificationAttributes</Message></Error><RequestId>fake-request</RequestId></ErrorResponse>`,
    };
    const { checks } = await doctor(sesEnv());
    expect(checks.find((c) => c.area === 'mail')).toMatchObject({
      status: 'warn',
      fix: expect.stringContaining('ses:GetIdentityVerificationAttributes'),
    });
  });
});

function verificationXml(statuses: Record<string, string>): string {
  const entries = Object.entries(statuses)
    .map(
      ([identity, status]) =>
        `<entry><key>${identity}</key><value><VerificationStatus>${status}</VerificationStatus></value></entry>`,
    )
    .join('');
  return `<GetIdentityVerificationAttributesResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><GetIdentityVerificationAttributesResult><VerificationAttributes>${entries}</VerificationAttributes></GetIdentityVerificationAttributesResult><ResponseMetadata><RequestId>fake-request</RequestId></ResponseMetadata></GetIdentityVerificationAttributesResponse>`;
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
