import { access, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStateDatabase } from '../../../functions/adapters/sqlite-incident-store.ts';
import type { GetSesVerification, VerifySmtp } from '../../../functions/local/doctor/check-mail-delivery.ts';
import type { DoctorCheck, DoctorFs } from '../../../functions/local/doctor/doctor-check.ts';
import { type DoctorDeps, runDoctor } from '../../../functions/local/doctor/doctor-command.ts';

// Obviously fake, and built so no scanner mistakes them for real credentials.
const FAKE_TOKEN = ['ghp', 'FAKEFAKEFAKEFAKEFAKE0123456789abcdefgh'].join('_');
const FAKE_KEY = ['sk', 'ant', 'FAKE-not-a-real-key-0000000000'].join('-');
const FAKE_PASSWORD = ['fake', 'smtp', 'password', '42'].join('-');

type Handler = (request: {
  method: string;
  url: URL;
  headers: Headers;
  signal: AbortSignal;
}) => Response | Promise<Response>;

function json(
  body: unknown,
  { status = 200, headers = {} }: { status?: number; headers?: Record<string, string> } = {},
) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

const anthropicError = (status: number, type: string) =>
  json({ type: 'error', error: { type, message: `fake ${type}` } }, { status });

/** A fetch that answers `METHOD origin+path` from `routes` and records every call. */
function makeFetch(routes: Record<string, Handler>) {
  const calls: string[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const key = `${request.method} ${url.origin}${url.pathname}`;
    calls.push(key);
    const handler = routes[key];
    if (!handler)
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }),
      });
    // The caller's own signal, as fetch watches it: a Request holds the controller of its
    // `signal` weakly, so once the Request is collected that signal never aborts (a stalled
    // route then hung its test past 30 s whenever the GC ran first, under load).
    const signal = init?.signal ?? (input instanceof Request ? input.signal : request.signal);
    return handler({ method: request.method, url, headers: request.headers, signal });
  };
  return { fetch, calls };
}

// A full collection, on demand: the flag only makes `gc` reachable (a fresh context then has it).
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const GH = 'https://api.github.com';
const AN = 'https://api.anthropic.com';

function healthyRoutes(): Record<string, Handler> {
  return {
    [`GET ${GH}/user`]: () =>
      json({ login: 'octo-bot' }, { headers: { 'x-oauth-scopes': 'repo, workflow' } }),
    [`GET ${GH}/repos/acme/shop`]: () =>
      json({ full_name: 'acme/shop', private: true, default_branch: 'trunk', permissions: { push: true } }),
    [`GET ${GH}/repos/acme/shop/branches/main`]: () =>
      json({ name: 'main', commit: { sha: 'a'.repeat(40) } }),
    [`GET ${AN}/v1/models/claude-sonnet-4-5`]: () =>
      json({
        type: 'model',
        id: 'claude-sonnet-4-5-20250929',
        display_name: 'Claude Sonnet 4.5',
        created_at: '2025-09-29T00:00:00Z',
      }),
    [`GET ${AN}/v1/models`]: () =>
      json({
        data: [
          {
            type: 'model',
            id: 'claude-sonnet-4-5',
            display_name: 'Claude Sonnet 4.5',
            created_at: '2025-09-29T00:00:00Z',
          },
          {
            type: 'model',
            id: 'claude-haiku-4-5',
            display_name: 'Claude Haiku 4.5',
            created_at: '2025-10-01T00:00:00Z',
          },
        ],
        has_more: false,
        first_id: 'claude-sonnet-4-5',
        last_id: 'claude-haiku-4-5',
      }),
  };
}

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ai-ops-doctor-'));
  await writeFile(join(dir, 'app.log'), 'started\n');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function baseEnv(): Record<string, string> {
  return {
    GITHUB_TOKEN: FAKE_TOKEN,
    GITHUB_REPO: 'acme/shop',
    ANTHROPIC_API_KEY: FAKE_KEY,
    AI_OPS_MODEL: 'claude-sonnet-4-5',
    LOG_FILE_PATH: 'app.log',
  };
}

async function doctor({
  env = baseEnv(),
  routes = healthyRoutes(),
  args = ['--json'],
  deps = {},
}: {
  env?: Record<string, string>;
  routes?: Record<string, Handler>;
  args?: string[];
  deps?: DoctorDeps;
} = {}) {
  const stdout = new Capture();
  const stderr = new Capture();
  const { fetch, calls } = makeFetch(routes);
  const code = await runDoctor(
    args,
    { stdin: new PassThrough(), stdout, stderr },
    { env, cwd: dir, fetch, ...deps },
  );
  const parsed: unknown = args.includes('--json') && stdout.text !== '' ? JSON.parse(stdout.text) : undefined;
  const checks = (parsed as { checks?: DoctorCheck[] } | undefined)?.checks ?? [];
  return { code, stdout: stdout.text, stderr: stderr.text, checks, calls };
}

const failures = (checks: DoctorCheck[]) => checks.filter((c) => c.status === 'fail');
const find = (checks: DoctorCheck[], area: DoctorCheck['area'], text: string) =>
  checks.find((c) => c.area === area && c.message.includes(text));

describe('ai-ops doctor: the whole run', () => {
  it('exits 0 when everything repairs need works, and never prints a secret', async () => {
    const json = await doctor();
    expect(failures(json.checks)).toEqual([]);
    expect(json.code).toBe(0);
    expect(json.checks.map((c) => c.area)).toEqual([
      'configuration',
      'log files',
      'state file',
      'GitHub',
      'GitHub',
      'GitHub',
      'GitHub',
      'Anthropic',
      'mail',
    ]);
    expect(find(json.checks, 'GitHub', 'signed in as octo-bot')?.status).toBe('ok');
    expect(find(json.checks, 'GitHub', 'repo scope')?.status).toBe('ok');
    expect(find(json.checks, 'GitHub', 'write access to acme/shop')?.status).toBe('ok');
    expect(find(json.checks, 'Anthropic', 'Claude Sonnet 4.5')?.status).toBe('ok');

    const human = await doctor({ args: [], deps: { isTty: true } });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^✓ GitHub: token works \(signed in as octo-bot\)$/m);
    expect(human.stdout).toContain('All set');
    for (const output of [json.stdout, json.stderr, human.stdout, human.stderr]) {
      expect(output).not.toContain(FAKE_TOKEN);
      expect(output).not.toContain(FAKE_KEY);
    }
  });

  it('asks Anthropic only the free Models API, never for a generation', async () => {
    const { calls } = await doctor();
    expect(calls).toContain(`GET ${AN}/v1/models/claude-sonnet-4-5`);
    expect(calls.filter((c) => c.startsWith('POST'))).toEqual([]);
  });

  it('prints plain ok/FAIL words when stdout is not a terminal, each failure with its fix', async () => {
    const routes = {
      ...healthyRoutes(),
      [`GET ${GH}/user`]: () => json({ message: 'Bad credentials' }, { status: 401 }),
    };
    const { stdout, code } = await doctor({ args: [], routes, deps: { isTty: false } });
    expect(code).toBe(1);
    expect(stdout).toMatch(/^ok {3}configuration: settings are valid/m);
    expect(stdout).toMatch(
      /^FAIL GitHub: token invalid or expired \(401 Bad credentials\) — create a fine-grained token at https:\/\/github\.com\/settings\/personal-access-tokens\/new/m,
    );
    expect(stdout).toContain('1 problem: fix it');
  });

  it('lists every configuration problem and exits 2, with --json too', async () => {
    const env = { GITHUB_REPO: 'not a repo', SMTP_PORT: 'many', AI_OPS_MAIL: 'ses' };
    const human = await doctor({ env, args: [] });
    expect(human.code).toBe(2);
    expect(human.stderr).toContain('GITHUB_REPO: must be owner/name');
    expect(human.stderr).toContain('SMTP_PORT');
    expect(human.stderr).toContain('SMTP_FROM is missing');
    const machine = await doctor({ env });
    expect(machine.code).toBe(2);
    expect(JSON.parse(machine.stdout)).toMatchObject({
      ok: false,
      configErrors: expect.arrayContaining([expect.stringContaining('SMTP_TO')]),
    });
  });

  it('exits 2 on bad usage', async () => {
    expect((await doctor({ args: ['--frobnicate'] })).code).toBe(2);
    expect((await doctor({ args: ['--timeout-ms', 'soon'] })).code).toBe(2);
  });

  it('says what repairs still need and skips the checks that need it', async () => {
    const { checks, code } = await doctor({ env: { LOG_FILE_PATH: 'app.log' } });
    expect(code).toBe(1);
    expect(
      find(checks, 'configuration', 'repairs need GITHUB_TOKEN, GITHUB_REPO, ANTHROPIC_API_KEY'),
    ).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('set GITHUB_TOKEN, GITHUB_REPO, ANTHROPIC_API_KEY'),
    });
    expect(checks.filter((c) => c.status === 'skip').map((c) => c.area)).toEqual(['GitHub', 'Anthropic']);
  });

  it('warns when repairs are switched off', async () => {
    const { checks, code } = await doctor({ env: { ...baseEnv(), AI_OPS_REPAIRS_ENABLED: 'false' } });
    expect(code).toBe(0);
    expect(find(checks, 'configuration', 'switched off')?.status).toBe('warn');
  });
});

describe('ai-ops doctor: GitHub', () => {
  const withRoute = (key: string, handler: Handler) => ({ ...healthyRoutes(), [key]: handler });

  it('401: token invalid or expired, create one with Contents and Pull requests: Read and write', async () => {
    const { checks } = await doctor({
      routes: withRoute(`GET ${GH}/user`, () => json({ message: 'Bad credentials' }, { status: 401 })),
    });
    const check = find(checks, 'GitHub', 'token invalid or expired');
    expect(check).toMatchObject({ status: 'fail' });
    expect(check && 'fix' in check ? check.fix : '').toMatch(
      /settings\/personal-access-tokens.*acme\/shop.*Contents and Pull requests: Read and write/,
    );
    expect(checks.filter((c) => c.area === 'GitHub')).toHaveLength(1);
  });

  it('404 on the repository: not found or the token cannot see it', async () => {
    const { checks } = await doctor({
      routes: withRoute(`GET ${GH}/repos/acme/shop`, () => json({ message: 'Not Found' }, { status: 404 })),
    });
    expect(
      find(checks, 'GitHub', 'repository acme/shop not found, or the token cannot see it'),
    ).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('Repository access'),
    });
  });

  it('read-only access fails: ai-ops must push branches and open pull requests', async () => {
    const { checks, code } = await doctor({
      routes: withRoute(`GET ${GH}/repos/acme/shop`, () =>
        json({ private: true, default_branch: 'main', permissions: { push: false, pull: true } }),
      ),
    });
    expect(code).toBe(1);
    expect(find(checks, 'GitHub', 'read-only access')).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('Read and write'),
    });
  });

  it('a fine-grained token has no X-OAuth-Scopes: says so and relies on the repository check', async () => {
    const { checks, code } = await doctor({
      routes: withRoute(`GET ${GH}/user`, () => json({ login: 'octo-bot' })),
    });
    expect(code).toBe(0);
    expect(find(checks, 'GitHub', 'fine-grained or app token')?.status).toBe('ok');
  });

  it('a classic token needs repo (or public_repo for a public repository)', async () => {
    const scopes = (value: string) =>
      withRoute(`GET ${GH}/user`, () => json({ login: 'x' }, { headers: { 'x-oauth-scopes': value } }));
    const none = await doctor({ routes: scopes('read:user, gist') });
    expect(
      find(none.checks, 'GitHub', 'without the repo or public_repo scope (it has: read:user, gist)'),
    ).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('add the repo scope'),
    });
    const publicOnly = await doctor({ routes: scopes('public_repo') });
    expect(find(publicOnly.checks, 'GitHub', 'the repository is private')?.status).toBe('fail');
  });

  it('a missing base branch names the default branch', async () => {
    const { checks } = await doctor({
      routes: withRoute(`GET ${GH}/repos/acme/shop/branches/main`, () =>
        json({ message: 'Branch not found' }, { status: 404 }),
      ),
    });
    expect(find(checks, 'GitHub', 'base branch main not found')).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining(
        'GITHUB_BASE_BRANCH to the branch fixes should target (the default branch is trunk)',
      ),
    });
  });

  it('GitHub Enterprise: asks GITHUB_API_URL and points at the server for new tokens', async () => {
    const ghes = 'https://ghe.acme.test/api/v3';
    const { checks, calls } = await doctor({
      env: { ...baseEnv(), GITHUB_API_URL: ghes },
      routes: { [`GET ${ghes}/user`]: () => json({ message: 'Bad credentials' }, { status: 401 }) },
    });
    expect(calls).toContain(`GET ${ghes}/user`);
    const check = find(checks, 'GitHub', 'token invalid');
    expect(check && 'fix' in check ? check.fix : '').toContain(
      'https://ghe.acme.test/settings/personal-access-tokens',
    );
  });

  it('rate limits and SSO say what to do', async () => {
    const limited = await doctor({
      routes: withRoute(`GET ${GH}/user`, () =>
        json(
          { message: 'API rate limit exceeded' },
          { status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1767225600' } },
        ),
      ),
    });
    expect(find(limited.checks, 'GitHub', 'rate limit exhausted')).toMatchObject({
      fix: 'try again after 2026-01-01T00:00:00.000Z',
    });
    const sso = await doctor({
      routes: withRoute(`GET ${GH}/repos/acme/shop`, () =>
        json(
          { message: 'Resource protected by organization SAML enforcement.' },
          {
            status: 403,
            headers: {
              'x-github-sso': 'required; url=https://github.com/orgs/acme/sso?authorization_request=X',
            },
          },
        ),
      ),
    });
    expect(find(sso.checks, 'GitHub', 'SAML single sign-on')).toMatchObject({
      status: 'fail',
      fix: 'authorize the token for SSO at https://github.com/orgs/acme/sso?authorization_request=X',
    });
  });

  it('reports an unreachable or silent server as such, within the timeout, without throwing', async () => {
    const refused = await doctor({ env: { ...baseEnv(), GITHUB_API_URL: 'https://nowhere.test' } });
    expect(
      find(refused.checks, 'GitHub', 'cannot reach https://nowhere.test: connection refused')?.status,
    ).toBe('fail');

    // like fetch: nothing until the caller's signal gives up; the garbage collector runs meanwhile,
    // as it does on a busy machine (what the stand-in holds must keep that signal alive)
    const hang: Handler = ({ signal }) =>
      new Promise<Response>((_, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason));
        for (const ms of [5, 20, 50]) setTimeout(collectGarbage, ms);
      });
    const started = Date.now();
    const silent = await Promise.race([
      doctor({ args: ['--json', '--timeout-ms', '100'], routes: withRoute(`GET ${GH}/user`, hang) }),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 3000)),
    ]);
    expect(silent, 'the doctor still waits for the stalled server').toBeDefined();
    if (!silent) return;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(find(silent.checks, 'GitHub', 'no answer within 100 ms')?.status).toBe('fail');
  });
});

describe('ai-ops doctor: Anthropic', () => {
  const withModel = (handler: Handler) => ({
    ...healthyRoutes(),
    [`GET ${AN}/v1/models/claude-sonnet-4-5`]: handler,
  });

  it('401: key invalid', async () => {
    const { checks } = await doctor({ routes: withModel(() => anthropicError(401, 'authentication_error')) });
    expect(find(checks, 'Anthropic', 'key invalid')).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('ANTHROPIC_API_KEY'),
    });
  });

  it('404: model id unknown, with the ids the key may use', async () => {
    const { checks } = await doctor({ routes: withModel(() => anthropicError(404, 'not_found_error')) });
    expect(find(checks, 'Anthropic', 'model id unknown: claude-sonnet-4-5')).toMatchObject({
      status: 'fail',
      fix: 'set AI_OPS_MODEL to one of: claude-sonnet-4-5, claude-haiku-4-5',
    });
  });

  it('429 is a warning: the key was accepted', async () => {
    const { checks, code } = await doctor({
      routes: withModel(() => anthropicError(429, 'rate_limit_error')),
    });
    expect(code).toBe(0);
    expect(find(checks, 'Anthropic', 'rate-limited')?.status).toBe('warn');
  });

  it('uses ANTHROPIC_BASE_URL and reports it unreachable', async () => {
    const { checks, calls } = await doctor({
      env: { ...baseEnv(), ANTHROPIC_BASE_URL: 'http://proxy.test:8080' },
    });
    expect(calls).toContain('GET http://proxy.test:8080/v1/models/claude-sonnet-4-5');
    expect(find(checks, 'Anthropic', 'cannot reach http://proxy.test:8080')?.status).toBe('fail');
  });

  it('fails a model ai-ops has no prices for (the dollar cap needs them)', async () => {
    const routes = {
      ...healthyRoutes(),
      [`GET ${AN}/v1/models/claude-future-9`]: () =>
        json({
          type: 'model',
          id: 'claude-future-9',
          display_name: 'Claude Future',
          created_at: '2030-01-01T00:00:00Z',
        }),
    };
    const { checks } = await doctor({ env: { ...baseEnv(), AI_OPS_MODEL: 'claude-future-9' }, routes });
    expect(find(checks, 'Anthropic', 'key works')?.status).toBe('ok');
    expect(find(checks, 'Anthropic', 'no prices for claude-future-9')).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('claude-sonnet-4-5'),
    });
  });
});

describe('ai-ops doctor: mail', () => {
  const smtpEnv = () => ({
    ...baseEnv(),
    SMTP_HOST: 'mail.acme.test',
    SMTP_PORT: '587',
    SMTP_USER: 'bot',
    SMTP_PASSWORD: FAKE_PASSWORD,
    SMTP_FROM: 'ai-ops@acme.test',
    SMTP_TO: 'dev@acme.test',
  });
  const failingSmtp =
    (error: Error): VerifySmtp =>
    async () => {
      throw error;
    };

  it('SMTP login accepted', async () => {
    const verifySmtp: VerifySmtp = async ({ settings }) => {
      expect(settings).toMatchObject({
        host: 'mail.acme.test',
        port: 587,
        user: 'bot',
        password: FAKE_PASSWORD,
      });
    };
    const { checks, code } = await doctor({ env: smtpEnv(), deps: { verifySmtp } });
    expect(code).toBe(0);
    expect(find(checks, 'mail', 'SMTP mail.acme.test:587 accepts the login of bot')?.status).toBe('ok');
  });

  it('SMTP login refused: check SMTP_USER and SMTP_PASSWORD, and the password never shows', async () => {
    // Some servers echo what they were sent; the doctor must not pass that on.
    const error = Object.assign(
      new Error(`Invalid login: 535 5.7.8 bad credentials for bot/${FAKE_PASSWORD}`),
      { code: 'EAUTH' },
    );
    const { checks, stdout } = await doctor({ env: smtpEnv(), deps: { verifySmtp: failingSmtp(error) } });
    expect(find(checks, 'mail', 'refused the login of bot')).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('SMTP_USER and SMTP_PASSWORD'),
    });
    expect(stdout).not.toContain(FAKE_PASSWORD);
  });

  it('SMTP connection refused or silent', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:587'), { code: 'ESOCKET' });
    const a = await doctor({ env: smtpEnv(), deps: { verifySmtp: failingSmtp(refused) } });
    expect(find(a.checks, 'mail', 'cannot reach SMTP mail.acme.test:587: connection refused')).toMatchObject({
      fix: expect.stringContaining('SMTP_HOST and SMTP_PORT'),
    });
    const timeout = Object.assign(new Error('Connection timeout'), { code: 'ETIMEDOUT' });
    const b = await doctor({ env: smtpEnv(), deps: { verifySmtp: failingSmtp(timeout) } });
    expect(find(b.checks, 'mail', 'no answer within 5 s')).toMatchObject({
      fix: expect.stringContaining('firewall'),
    });
  });

  const sesEnv = () => ({
    ...baseEnv(),
    AI_OPS_MAIL: 'ses',
    SMTP_FROM: 'ai-ops@acme.test',
    SMTP_TO: 'dev@acme.test,ops@other.test',
  });
  const ses =
    (statuses: Record<string, string>): GetSesVerification =>
    async ({ identities }) => {
      expect(identities).toEqual([
        'ai-ops@acme.test',
        'acme.test',
        'dev@acme.test',
        'ops@other.test',
        'other.test',
      ]);
      return statuses;
    };

  it('SES: a verified domain covers the sender and its recipients; others are a sandbox warning', async () => {
    const { checks, code } = await doctor({
      env: sesEnv(),
      deps: { getSesVerification: ses({ 'acme.test': 'Success' }) },
    });
    expect(code).toBe(0);
    expect(find(checks, 'mail', 'SES sender ai-ops@acme.test is verified (domain acme.test)')?.status).toBe(
      'ok',
    );
    expect(find(checks, 'mail', 'recipients not verified in SES: ops@other.test')?.status).toBe('warn');
  });

  it('SES: an unverified sender gets the command that verifies it; a pending one the link', async () => {
    const unverified = await doctor({ env: sesEnv(), deps: { getSesVerification: ses({}) } });
    expect(unverified.code).toBe(1);
    expect(find(unverified.checks, 'mail', 'SES sender ai-ops@acme.test is not verified')).toMatchObject({
      fix: expect.stringContaining('aws sesv2 create-email-identity --email-identity ai-ops@acme.test'),
    });
    const pending = await doctor({
      env: sesEnv(),
      deps: { getSesVerification: ses({ 'ai-ops@acme.test': 'Pending' }) },
    });
    expect(find(pending.checks, 'mail', 'verification pending')).toMatchObject({
      fix: expect.stringContaining('click the link'),
    });
  });

  it('SES: missing credentials, rejected credentials and denied reads each say what to do', async () => {
    const throwing =
      (name: string, message: string): GetSesVerification =>
      async () => {
        throw Object.assign(new Error(message), { name, $metadata: {} });
      };
    const cases: Array<[GetSesVerification, string, DoctorCheck['status']]> = [
      [
        throwing('CredentialsProviderError', 'Could not load credentials from any providers'),
        'AWS_PROFILE',
        'fail',
      ],
      [
        throwing('InvalidClientTokenId', 'The security token included in the request is invalid.'),
        'aws sso login',
        'fail',
      ],
      [
        throwing('AccessDenied', 'not authorized to perform: ses:GetIdentityVerificationAttributes'),
        'ses:GetIdentityVerificationAttributes',
        'warn',
      ],
      [throwing('Error', 'Region is missing'), 'AWS_REGION', 'fail'],
    ];
    for (const [getSesVerification, hint, status] of cases) {
      const { checks } = await doctor({ env: sesEnv(), deps: { getSesVerification } });
      const mail = checks.filter((c) => c.area === 'mail');
      expect(mail).toHaveLength(1);
      expect(mail[0]).toMatchObject({ status, fix: expect.stringContaining(hint) });
    }
  });

  it('outbox: a folder that can be created is fine, an unwritable one is not', async () => {
    const ok = await doctor();
    expect(find(ok.checks, 'mail', 'not sent')?.status).toBe('ok');
    const { checks } = await doctor({ deps: { fs: denying([dir], 'write') } });
    expect(find(checks, 'mail', `${dir} is not writable`)).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('chown'),
    });
  });
});

/** node:fs/promises, except that `access` to the given paths is denied (tests run as root, where chmod does not bite). */
function denying(paths: string[], kind: 'read' | 'write'): DoctorFs {
  return {
    stat,
    readdir: (path) => readdir(path),
    access: async (path, mode) => {
      const asked = kind === 'read' ? mode & 4 : mode & 2;
      if (paths.includes(path) && asked)
        throw Object.assign(new Error(`EACCES: permission denied, access '${path}'`), { code: 'EACCES' });
      await access(path, mode);
    },
  };
}

describe('ai-ops doctor: log files and state file', () => {
  it('a missing file or an empty glob is a warning; a missing directory or an unreadable file fails', async () => {
    await writeFile(join(dir, 'api-1.log'), '');
    await writeFile(join(dir, 'api-2.log'), '');
    const env = {
      ...baseEnv(),
      LOG_FILE_PATH: 'app.log,later.log,api-*.log,worker-*.log,nope/x.log,*/y.log',
    };
    const { checks } = await doctor({ env });
    const logs = checks.filter((c) => c.area === 'log files');
    expect(logs.map((c) => [c.status, c.message])).toEqual([
      ['ok', `${dir}/app.log is readable (8 bytes)`],
      ['warn', `${dir}/later.log does not exist yet; watch starts reading it when it appears`],
      ['ok', `${dir}/api-*.log matches 2 readable files (api-1.log, api-2.log)`],
      ['warn', `${dir}/worker-*.log matches no file yet; watch picks up matching files when they appear`],
      ['fail', `directory ${dir}/nope does not exist`],
      ['fail', `${dir}/*/y.log: only the file name may hold wildcards`],
    ]);

    const denied = await doctor({ deps: { fs: denying([join(dir, 'app.log')], 'read') } });
    expect(find(denied.checks, 'log files', 'permission denied')).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining(`chmod o+r ${dir}/app.log`),
    });
  });

  it('a directory given as the log file fails with the glob to use', async () => {
    await mkdir(join(dir, 'logs'));
    const { checks } = await doctor({ env: { ...baseEnv(), LOG_FILE_PATH: 'logs' } });
    expect(find(checks, 'log files', 'is not a regular file')).toMatchObject({
      fix: `give the log file itself, or a glob such as ${dir}/logs/*.log`,
    });
  });

  it('no LOG_FILE_PATH is a warning', async () => {
    const env = baseEnv();
    delete env.LOG_FILE_PATH;
    const { checks, code } = await doctor({ env });
    expect(code).toBe(0);
    expect(find(checks, 'log files', 'LOG_FILE_PATH is not set')?.status).toBe('warn');
  });

  it('the state file opens and its incidents are counted; a file that is no database fails with what to do', async () => {
    const fresh = await doctor();
    expect(find(fresh.checks, 'state file', 'will be created on first use')?.status).toBe('ok');
    await expect(stat(join(dir, '.ai-ops'))).rejects.toThrow(); // the doctor created nothing

    const statePath = join(dir, 'state.db');
    const database = openStateDatabase({ path: statePath });
    database.exec(
      'CREATE TABLE incidents (incident_key TEXT PRIMARY KEY); INSERT INTO incidents VALUES (1), (2);',
    );
    database.close();
    const opened = await doctor({ args: ['--json', '--state', 'state.db'] });
    expect(find(opened.checks, 'state file', `${statePath} opens (2 incidents recorded)`)?.status).toBe('ok');

    await writeFile(
      join(dir, 'broken.db'),
      'this is not sqlite, just text that is long enough to be read as a header',
    );
    const broken = await doctor({ env: { ...baseEnv(), AI_OPS_STATE: 'broken.db' } });
    expect(find(broken.checks, 'state file', 'does not open')).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining(`mv ${dir}/broken.db ${dir}/broken.db.broken`),
    });
  });

  it('an unwritable state folder fails', async () => {
    const { checks, code } = await doctor({
      env: { ...baseEnv(), AI_OPS_STATE: 'state.db' },
      deps: { fs: denying([dir], 'write') },
    });
    expect(code).toBe(1);
    expect(find(checks, 'state file', `${dir} is not writable`)?.status).toBe('fail');
  });
});
