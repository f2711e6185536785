import { describe, expect, it } from 'vitest';
import {
  actionsOf,
  functionEnvironment,
  makeAutoRepairProps,
  renderArn,
  resourcesOf,
  roleStatements,
  type Statement,
  synthAiOps,
} from './synth-ai-ops.ts';

/** Which secrets (by name) the analyzer may read. */
function readableSecrets(statements: Statement[]): string[] {
  return statements
    .filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'))
    .flatMap(resourcesOf)
    .map((arn) => arn.replace(/^.*:secret:/, '').replace(/-\?{6}$/, ''))
    .sort();
}

describe('GitHub authentication of the analyzer', () => {
  it('with a GitHub App, reads the app secret and not the token secret', () => {
    const { template } = synthAiOps({ props: makeAutoRepairProps({ githubAuth: 'app' }) });
    const env = functionEnvironment(template, 'ai-ops-analyzer');

    expect(env.GITHUB_AUTH).toBe('app');
    expect(renderArn(env.GITHUB_APP_SECRET_ARN)).toBe(
      'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:ai-ops/github-app',
    );
    expect(env).not.toHaveProperty('GITHUB_TOKEN_SECRET_ARN');
    const secrets = readableSecrets(roleStatements(template, 'ai-ops-analyzer'));
    expect(secrets).toContain('ai-ops/github-app');
    expect(secrets).not.toContain('ai-ops/github-token');
  });

  it('with a token (the default), reads the token secret and not the app secret', () => {
    const { template } = synthAiOps();
    const env = functionEnvironment(template, 'ai-ops-analyzer');

    expect(env.GITHUB_AUTH).toBe('token');
    expect(env).not.toHaveProperty('GITHUB_APP_SECRET_ARN');
    const secrets = readableSecrets(roleStatements(template, 'ai-ops-analyzer'));
    expect(secrets).toContain('ai-ops/github-token');
    expect(secrets).not.toContain('ai-ops/github-app');
  });

  it('takes another app secret name and keeps every secret value out of the template', () => {
    const { template } = synthAiOps({
      props: makeAutoRepairProps({ githubAuth: 'app', githubAppSecretName: 'prod/ai-ops-app' }),
    });
    const text = JSON.stringify(template.toJSON());

    expect(readableSecrets(roleStatements(template, 'ai-ops-analyzer'))).toContain('prod/ai-ops-app');
    expect(text).not.toMatch(/PRIVATE KEY|SecretString|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_/);
  });
});
