import { describe, expect, it } from 'vitest';
import { AnalyzerConfigError, loadAnalyzerConfig } from '../../functions/analyzer/config.ts';
import { loadSweepConfig, SweepConfigError } from '../../functions/analyzer/sweep-config.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:';

/** The environment infra sets for the analyzer (with the GitHub token, the default auth). */
function makeEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    INCIDENTS_TABLE_NAME: 'incidents',
    GITHUB_TOKEN_SECRET_ARN: `${ARN}ai-ops/github-token-AbCdEf`,
    ANTHROPIC_API_KEY_SECRET_ARN: `${ARN}ai-ops/anthropic-api-key-AbCdEf`,
    SENDER_EMAIL: 'ai-ops@mail.acme.test',
    REVIEWER_EMAILS: 'oncall@acme.test, lead@acme.test',
    ...overrides,
  };
}

function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (error: unknown) {
    if (error instanceof AnalyzerConfigError || error instanceof SweepConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('loadAnalyzerConfig', () => {
  it('lists every missing variable in one error', () => {
    const problems = problemsOf(() => loadAnalyzerConfig({}));

    expect(problems).toEqual(
      expect.arrayContaining([
        'INCIDENTS_TABLE_NAME is missing',
        'ANTHROPIC_API_KEY_SECRET_ARN is missing',
        'SENDER_EMAIL is missing',
        'REVIEWER_EMAILS is missing',
        expect.stringMatching(/^GITHUB_TOKEN_SECRET_ARN is missing/),
      ]),
    );
    expect(problems).toHaveLength(5);
  });

  it('names a malformed value apart from a missing one', () => {
    const problems = problemsOf(() =>
      loadAnalyzerConfig(makeEnv({ SENDER_EMAIL: 'not-an-address', DAILY_REPAIR_CAP: '-1' })),
    );

    expect(problems).toHaveLength(2);
    expect(problems.every((p) => !p.endsWith('is missing'))).toBe(true);
    expect(problems.join('\n')).toMatch(/^SENDER_EMAIL: /m);
    expect(problems.join('\n')).toMatch(/^DAILY_REPAIR_CAP: /m);
  });

  it('fills in the defaults and splits the reviewer list', () => {
    const config = loadAnalyzerConfig(makeEnv());

    expect(config).toMatchObject({
      incidentsTableName: 'incidents',
      model: 'claude-sonnet-4-6',
      sender: 'ai-ops@mail.acme.test',
      reviewers: ['oncall@acme.test', 'lead@acme.test'],
      githubApiUrl: 'https://api.github.com',
      githubAuth: { kind: 'token', tokenSecretArn: `${ARN}ai-ops/github-token-AbCdEf` },
      dailyRepairCap: 10,
      repairsEnabled: true,
      maxUsdPerJob: 2,
      maxTurns: 12,
      editScope: 'trace',
      bot: { name: 'ai-ops[bot]', email: 'ai-ops-bot@users.noreply.github.com' },
      serviceName: 'ai-ops-analyzer',
    });
    expect(config.incidentPage).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads the kill switch and the caps as the strings Lambda passes', () => {
    const config = loadAnalyzerConfig(
      makeEnv({ REPAIRS_ENABLED: 'false', DAILY_REPAIR_CAP: '0', MAX_USD_PER_JOB: '0.5' }),
    );
    expect(config).toMatchObject({ repairsEnabled: false, dailyRepairCap: 0, maxUsdPerJob: 0.5 });
  });

  it('refuses a reviewer list with a bad address', () => {
    expect(problemsOf(() => loadAnalyzerConfig(makeEnv({ REVIEWER_EMAILS: 'a@acme.test,nope' })))).toEqual([
      expect.stringMatching(/^REVIEWER_EMAILS/),
    ]);
  });

  describe('the incident page', () => {
    const page = {
      INCIDENT_PAGE_BASE_URL: 'https://abc123.execute-api.us-east-1.amazonaws.com/',
      LINK_SIGNING_SECRET_ARN: `${ARN}ai-ops/link-signing-key-AbCdEf`,
    };

    it('links the page when both the base URL and the signing key are set', () => {
      expect(loadAnalyzerConfig(makeEnv(page)).incidentPage).toEqual({
        baseUrl: page.INCIDENT_PAGE_BASE_URL,
        signingSecretArn: page.LINK_SIGNING_SECRET_ARN,
      });
    });

    it('links no page when neither is set, or only one of them (emails then carry no page link)', () => {
      expect(loadAnalyzerConfig(makeEnv()).incidentPage).toBeUndefined();
      expect(
        loadAnalyzerConfig(makeEnv({ INCIDENT_PAGE_BASE_URL: page.INCIDENT_PAGE_BASE_URL })).incidentPage,
      ).toBeUndefined();
      expect(
        loadAnalyzerConfig(makeEnv({ LINK_SIGNING_SECRET_ARN: page.LINK_SIGNING_SECRET_ARN })).incidentPage,
      ).toBeUndefined();
    });

    it('refuses a base URL that is not a URL', () => {
      expect(
        problemsOf(() => loadAnalyzerConfig(makeEnv({ ...page, INCIDENT_PAGE_BASE_URL: 'incidents' }))),
      ).toEqual([expect.stringMatching(/^INCIDENT_PAGE_BASE_URL: /)]);
    });
  });
});

describe('loadSweepConfig', () => {
  it('needs the queue URL and defaults the rest', () => {
    expect(problemsOf(() => loadSweepConfig({}))).toEqual(['REPAIR_QUEUE_URL is missing']);
    expect(
      loadSweepConfig({ REPAIR_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/repairs' }),
    ).toEqual({
      repairQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/repairs',
      limit: 50,
      noCiAfterMs: 30 * 60 * 1000,
      noCiPolicy: 'leave_draft',
      maxAttempts: 3,
    });
  });

  it('lists every malformed setting', () => {
    const problems = problemsOf(() =>
      loadSweepConfig({ REPAIR_QUEUE_URL: 'queue', SWEEP_LIMIT: '0', NO_CI_POLICY: 'merge' }),
    );
    expect(problems).toHaveLength(3);
  });
});
