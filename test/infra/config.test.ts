import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AiOpsConfigError,
  DEFAULT_FILTER_PATTERN,
  parseAiOpsConfig,
  resolveRepositoryRouting,
} from '../../infra/config.ts';
import { makeAutoRepairProps } from './synth-ai-ops.ts';

describe('ai-ops configuration', () => {
  it('accepts the documented example in cdk.json', () => {
    const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'));
    expect(cdkJson.app).toBe('npx tsx infra/app.ts');
    const config = parseAiOpsConfig(cdkJson.context['ai-ops']);
    expect(Object.keys(config.logGroups).length).toBeGreaterThan(0);
    // the example leaves the pattern to the default: a copy of it there went stale once
    expect(config.filterPattern).toBe(DEFAULT_FILTER_PATTERN);
  });

  it('fills in the defaults', () => {
    const config = parseAiOpsConfig(makeAutoRepairProps());
    expect(config).toMatchObject({
      instanceName: 'ai-ops',
      filterPattern: DEFAULT_FILTER_PATTERN,
      modelId: 'claude-sonnet-4-6',
      githubApiUrl: 'https://api.github.com',
      githubTokenSecretName: 'ai-ops/github-token',
      anthropicApiKeySecretName: 'ai-ops/anthropic-api-key',
      repairsEnabled: true,
      logRetentionDays: 30,
    });
  });

  it('routes log groups without a repository to the default, and others keep their own branch', () => {
    const routing = resolveRepositoryRouting(
      parseAiOpsConfig(
        makeAutoRepairProps({
          defaultRepository: { repository: 'acme/mono', baseBranch: 'trunk', pathPrefix: '' },
          logGroups: {
            '/aws/lambda/a': {},
            '/aws/lambda/b': { pathPrefix: 'apps/b' },
            '/aws/lambda/c': { repository: 'acme/other' },
          },
        }),
      ),
    );
    expect(routing.logGroups).toEqual({
      '/aws/lambda/a': { owner: 'acme', name: 'mono', baseBranch: 'trunk', pathPrefix: '' },
      '/aws/lambda/b': { owner: 'acme', name: 'mono', baseBranch: 'trunk', pathPrefix: 'apps/b' },
      '/aws/lambda/c': { owner: 'acme', name: 'other', baseBranch: 'main', pathPrefix: '' },
    });
  });

  it('lists every problem with its path', () => {
    let caught: unknown;
    try {
      parseAiOpsConfig({
        logGroups: {
          'bad name!': {},
          '/ok': { repository: 'x/y', pathPrefix: '../escape' },
          '/json': { filterPattern: '' },
        },
        senderEmail: 'not-an-email',
        reviewerEmails: [],
        githubApiUrl: 'http://github.example',
        logRetentionDays: 31,
      });
    } catch (error: unknown) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AiOpsConfigError);
    const message = (caught as Error).message;
    for (const path of [
      'logGroups.bad name!',
      'logGroups./ok.pathPrefix',
      'logGroups./json.filterPattern',
      'senderEmail',
      'reviewerEmails',
      'githubApiUrl',
      'logRetentionDays',
    ]) {
      expect(message).toContain(`  - ${path}`);
    }
  });

  it('rejects unknown keys, which are usually typos', () => {
    expect(() => parseAiOpsConfig({ ...makeAutoRepairProps(), repairsEnable: false })).toThrow(
      /repairsEnable/,
    );
  });
});
