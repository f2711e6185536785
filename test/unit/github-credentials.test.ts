import { generateKeyPairSync } from 'node:crypto';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import {
  createCredentialsOctokit,
  GitHubAppSecretError,
  type GitHubCredentials,
  parseGitHubAppSecret,
  tokenCredentials,
} from '../../functions/adapters/github-credentials.ts';
import { makeSecretReader } from '../../functions/adapters/secrets.ts';
import { AnalyzerConfigError, loadAnalyzerConfig } from '../../functions/analyzer/config.ts';
import { githubCredentials } from '../../functions/analyzer/handler.ts';

// Generated per run: the repository holds no private key, not even a fake one.
const { privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 1024,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

const REPO = { owner: 'acme', name: 'orders' };
const BASE_ENV = {
  INCIDENTS_TABLE_NAME: 'incidents',
  ANTHROPIC_API_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:anthropic',
  SENDER_EMAIL: 'ai-ops@acme.test',
  REVIEWER_EMAILS: 'oncall@acme.test',
};
const TOKEN_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:github-token';
const APP_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:github-app';

describe('parseGitHubAppSecret', () => {
  it('reads the app id (string or number) and the PEM key', () => {
    expect(parseGitHubAppSecret(JSON.stringify({ appId: '123456', privateKey }))).toEqual({
      appId: '123456',
      privateKey: privateKey.trim(),
    });
    expect(parseGitHubAppSecret(JSON.stringify({ appId: 123456, privateKey })).appId).toBe('123456');
  });

  it('restores line breaks pasted as the two characters \\n', () => {
    const flattened = privateKey.trim().replace(/\n/g, '\\n');
    const secret = `{"appId": "1", "privateKey": ${JSON.stringify(flattened)}}`;

    expect(parseGitHubAppSecret(secret).privateKey).toBe(privateKey.trim());
  });

  it.each([
    ['not JSON', 'ghs_plain-token-text', /is not JSON: store \{"appId"/],
    ['no key', JSON.stringify({ appId: '1' }), /privateKey/],
    ['a non-numeric app id', JSON.stringify({ appId: 'my-app', privateKey }), /appId/],
    ['a key that is not PEM', JSON.stringify({ appId: '1', privateKey: 'c2VjcmV0LWtleS1ieXRlcw==' }), /PEM/],
  ])('refuses %s with the field at fault and never the value', (_, text, message) => {
    const failure = (() => {
      try {
        parseGitHubAppSecret(text);
      } catch (error: unknown) {
        return error;
      }
    })();

    expect(failure).toBeInstanceOf(GitHubAppSecretError);
    expect((failure as Error).message).toMatch(message);
    expect((failure as Error).message).not.toContain('c2VjcmV0');
    expect((failure as Error).message).not.toContain('plain-token-text');
    expect((failure as Error).message).not.toContain(privateKey.split('\n')[1]);
  });
});

describe('tokenCredentials', () => {
  it('answers the secret for every repository, read on each call so a rotation reaches it', async () => {
    let secret = 'first';
    const credentials = tokenCredentials({ token: async () => secret });

    expect(await credentials.token(REPO)).toBe('first');
    secret = 'second';
    expect(await credentials.token({ owner: 'acme', name: 'billing' })).toBe('second');
  });
});

describe('analyzer config: GITHUB_AUTH', () => {
  it('defaults to a token and needs its secret', () => {
    const config = loadAnalyzerConfig({ ...BASE_ENV, GITHUB_TOKEN_SECRET_ARN: TOKEN_ARN });

    expect(config.githubAuth).toEqual({ kind: 'token', tokenSecretArn: TOKEN_ARN });
    expect(config.githubTokenSecretArn).toBe(TOKEN_ARN);
    expect(() => loadAnalyzerConfig(BASE_ENV)).toThrow(
      /GITHUB_TOKEN_SECRET_ARN is missing \(GITHUB_AUTH=token\)/,
    );
  });

  it('with a GitHub App needs the app secret, not the token secret', () => {
    const config = loadAnalyzerConfig({ ...BASE_ENV, GITHUB_AUTH: 'app', GITHUB_APP_SECRET_ARN: APP_ARN });

    expect(config.githubAuth).toEqual({ kind: 'app', appSecretArn: APP_ARN });
    expect(() =>
      loadAnalyzerConfig({ ...BASE_ENV, GITHUB_AUTH: 'app', GITHUB_TOKEN_SECRET_ARN: TOKEN_ARN }),
    ).toThrow(/GITHUB_APP_SECRET_ARN is missing \(GITHUB_AUTH=app\)/);
  });

  it('lists a missing GitHub secret beside every other problem', () => {
    const failure = (() => {
      try {
        loadAnalyzerConfig({ GITHUB_AUTH: 'app', SENDER_EMAIL: 'not-an-address' });
      } catch (error: unknown) {
        return error;
      }
    })();

    expect(failure).toBeInstanceOf(AnalyzerConfigError);
    const issues = (failure as AnalyzerConfigError).issues.join('\n');
    expect(issues).toMatch(/INCIDENTS_TABLE_NAME is missing/);
    expect(issues).toMatch(/SENDER_EMAIL/);
    expect(issues).toMatch(/GITHUB_APP_SECRET_ARN is missing/);
  });

  it('refuses an unknown mode', () => {
    expect(() =>
      loadAnalyzerConfig({ ...BASE_ENV, GITHUB_AUTH: 'oauth', GITHUB_TOKEN_SECRET_ARN: TOKEN_ARN }),
    ).toThrow(/GITHUB_AUTH/);
  });
});

describe('githubCredentials (the analyzer composition)', () => {
  it('reads the token secret in token mode', async () => {
    const config = loadAnalyzerConfig({ ...BASE_ENV, GITHUB_TOKEN_SECRET_ARN: TOKEN_ARN });
    const credentials = githubCredentials({
      config,
      secret: async (arn) => (arn === TOKEN_ARN ? 'the-token' : 'wrong'),
    });

    expect(await credentials.token(REPO)).toBe('the-token');
  });

  it('refuses app mode without a reader that keeps the JSON secret whole', () => {
    const config = loadAnalyzerConfig({ ...BASE_ENV, GITHUB_AUTH: 'app', GITHUB_APP_SECRET_ARN: APP_ARN });

    expect(() => githubCredentials({ config, secret: async () => '1' })).toThrow(/secretString/);
  });

  it('in app mode, reads the app secret whole and reports a malformed one', async () => {
    const config = loadAnalyzerConfig({ ...BASE_ENV, GITHUB_AUTH: 'app', GITHUB_APP_SECRET_ARN: APP_ARN });
    const read: string[] = [];
    const credentials = githubCredentials({
      config,
      secret: async () => 'unused',
      secretString: async (arn) => {
        read.push(arn);
        return '{"appId": "1"}';
      },
    });

    await expect(credentials.token(REPO)).rejects.toBeInstanceOf(GitHubAppSecretError);
    expect(read).toEqual([APP_ARN]);
  });
});

describe('createCredentialsOctokit', () => {
  it('sends each repository its own token', async () => {
    const credentials: GitHubCredentials = { token: async (repo) => `token-for-${repo.name}` };
    const sent: Array<[string, string | null]> = [];
    const octokit = createCredentialsOctokit({
      credentials,
      baseUrl: 'https://ghe.acme.test/api/v3',
      fetch: async (input, init) => {
        const url = input instanceof Request ? input.url : String(input);
        sent.push([url, new Headers(init?.headers).get('authorization')]);
        return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
      },
    });

    await octokit.rest.pulls.list({ owner: 'acme', repo: 'orders' });
    await octokit.rest.pulls.list({ owner: 'acme', repo: 'billing' });

    expect(sent).toEqual([
      ['https://ghe.acme.test/api/v3/repos/acme/orders/pulls', 'token token-for-orders'],
      ['https://ghe.acme.test/api/v3/repos/acme/billing/pulls', 'token token-for-billing'],
    ]);
  });
});

describe('makeSecretReader({ whole: true })', () => {
  it('answers a JSON secret whole, cached for the ttl, and names an empty secret', async () => {
    let calls = 0;
    let value: string | undefined = '{"appId": "1", "privateKey": "k"}';
    let clock = 0;
    const client: Pick<SecretsManagerClient, 'send'> = {
      send: async () => {
        calls += 1;
        return { SecretString: value, $metadata: {} };
      },
    };
    const read = makeSecretReader({ client, ttlMs: 1000, now: () => clock, whole: true });

    expect(await read(APP_ARN)).toBe('{"appId": "1", "privateKey": "k"}');
    expect(await read(APP_ARN)).toBe('{"appId": "1", "privateKey": "k"}');
    expect(calls).toBe(1);
    clock = 1001;
    value = '';
    await expect(read(APP_ARN)).rejects.toThrow(/secret .*github-app is empty/);
    expect(calls).toBe(2);
  });
});
