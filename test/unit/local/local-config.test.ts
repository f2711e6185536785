import { describe, expect, it } from 'vitest';
import {
  describeConfig,
  LocalConfigError,
  loadLocalConfig,
  maskSecret,
} from '../../../functions/local/commands/local-config.ts';

// Obviously fake, and built so no scanner mistakes it for a real token.
const FAKE_TOKEN = ['ghp', 'FAKEFAKEFAKEFAKEFAKE0123456789abcdefgh'].join('_');
const FAKE_KEY = ['sk', 'ant', 'FAKE-not-a-real-key-0000000000'].join('-');

function load(env: Record<string, string>, files: Record<string, string> = {}, configFile?: string) {
  return loadLocalConfig({
    env,
    cwd: '/srv/app',
    ...(configFile ? { configFile } : {}),
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: ${path}`);
      return text;
    },
    fileExists: (path) => path in files,
  });
}

function issuesOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error: unknown) {
    if (error instanceof LocalConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a LocalConfigError');
}

describe('loadLocalConfig', () => {
  it('needs nothing at all: detect and record only, outbox mail, state under .ai-ops', () => {
    const config = load({});
    expect(config).toMatchObject({
      logFiles: [],
      githubApiUrl: 'https://api.github.com',
      model: 'claude-sonnet-4-6',
      statePath: '/srv/app/.ai-ops/state.db',
      mail: { kind: 'outbox', directory: '/srv/app/.ai-ops/outbox' },
      dailyRepairCap: 10,
      repairsEnabled: true,
      missingForRepair: ['GITHUB_TOKEN', 'GITHUB_REPO', 'ANTHROPIC_API_KEY'],
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("keeps the seed's names working, and picks SMTP when SMTP_HOST is set", () => {
    const config = load({
      GITHUB_TOKEN: FAKE_TOKEN,
      GITHUB_REPO: 'acme/shop',
      LOG_FILE_PATH: 'app.log, /var/log/worker-*.log',
      SMTP_HOST: 'mail.example.com',
      SMTP_PORT: '2525',
      SMTP_USER: 'bot',
      SMTP_PASSWORD: 'fake-password',
      SMTP_FROM: 'ai-ops@example.com',
      SMTP_TO: 'a@example.com, b@example.com',
      ANTHROPIC_API_KEY: FAKE_KEY,
      GITHUB_BASE_BRANCH: 'develop',
    });
    expect(config).toMatchObject({
      logFiles: ['app.log', '/var/log/worker-*.log'],
      repo: { owner: 'acme', name: 'shop', baseBranch: 'develop', pathPrefix: '' },
      mail: {
        kind: 'smtp',
        host: 'mail.example.com',
        port: 2525,
        user: 'bot',
        to: ['a@example.com', 'b@example.com'],
      },
      missingForRepair: [],
    });
  });

  it('lists every problem in one error, without echoing values', () => {
    const issues = issuesOf(() =>
      load({
        GITHUB_REPO: 'not a repo',
        GITHUB_API_URL: FAKE_TOKEN,
        SMTP_PORT: '99999',
        AI_OPS_MAIL: 'smtp',
        AI_OPS_DAILY_CAP: '-1',
        AI_OPS_REPAIRS_ENABLED: 'maybe',
        SMTP_TO: 'nobody',
      }),
    );
    expect(issues.map((i) => i.split(':')[0]?.split(' ')[0])).toEqual([
      'GITHUB_REPO',
      'GITHUB_API_URL',
      'SMTP_PORT',
      'SMTP_TO',
      'AI_OPS_DAILY_CAP',
      'AI_OPS_REPAIRS_ENABLED',
      'SMTP_HOST',
      'SMTP_FROM',
    ]);
    expect(issues.join('\n')).not.toContain(FAKE_TOKEN);
  });

  it('reads ai-ops.config.json from the working directory, with the environment winning', () => {
    const files = {
      '/srv/app/ai-ops.config.json': JSON.stringify({
        GITHUB_REPO: 'acme/from-file',
        LOG_FILE_PATH: ['a.log', 'b.log'],
        AI_OPS_DAILY_CAP: 3,
      }),
    };
    const config = load({ GITHUB_REPO: 'acme/from-env' }, files);
    expect(config.repo?.name).toBe('from-env');
    expect(config.logFiles).toEqual(['a.log', 'b.log']);
    expect(config.dailyRepairCap).toBe(3);
    expect(config.sources).toMatchObject({
      GITHUB_REPO: 'environment',
      LOG_FILE_PATH: 'config file',
      AI_OPS_MODEL: 'default',
    });
  });

  it('reports a --config file that is missing, not JSON, or holds unknown names', () => {
    expect(issuesOf(() => load({}, {}, 'nope.json'))[0]).toMatch(
      /^\/srv\/app\/nope\.json: cannot read it as JSON/,
    );
    const files = { '/srv/app/c.json': JSON.stringify({ GITHUB_REPOSITORY: 'x/y', SMTP_PORT: {} }) };
    expect(issuesOf(() => load({}, files, 'c.json'))).toEqual([
      expect.stringContaining('unknown setting GITHUB_REPOSITORY'),
      expect.stringContaining('SMTP_PORT must be a string, number or boolean'),
    ]);
  });
});

describe('describeConfig', () => {
  it('masks tokens and passwords and says when only detection runs', () => {
    const withSecrets = describeConfig(
      load({
        GITHUB_TOKEN: FAKE_TOKEN,
        ANTHROPIC_API_KEY: FAKE_KEY,
        SMTP_HOST: 'h',
        SMTP_USER: 'u',
        SMTP_PASSWORD: 'fake-password-123',
        SMTP_FROM: 'a@b.co',
        SMTP_TO: 'c@d.co',
      }),
    );
    expect(withSecrets).not.toContain(FAKE_TOKEN);
    expect(withSecrets).not.toContain(FAKE_KEY);
    expect(withSecrets).not.toContain('fake-password-123');
    expect(withSecrets).toContain(`GitHub token:   ${maskSecret(FAKE_TOKEN)}`);
    expect(withSecrets).toContain('detect and record only — set GITHUB_REPO');

    expect(maskSecret(FAKE_TOKEN)).toBe(`ghp_…**** (${FAKE_TOKEN.length} chars)`);
    expect(maskSecret('short')).toBe('****');
    expect(maskSecret(undefined)).toBe('(not set)');
  });
});
