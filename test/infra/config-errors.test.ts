import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AnalyzerConfigError, loadAnalyzerConfig } from '../../functions/analyzer/config.ts';
import { AiOpsConfigError, parseAiOpsConfig } from '../../infra/config.ts';
import { makeAutoRepairProps } from './synth-ai-ops.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function problemsOf(parse: () => unknown): readonly string[] {
  try {
    parse();
  } catch (error: unknown) {
    if (error instanceof AiOpsConfigError) return error.problems;
    if (error instanceof AnalyzerConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('a mistake in cdk.json', () => {
  it('prints one list of problems and no stack trace, and fails the synth', () => {
    const out = mkdtempSync(join(tmpdir(), 'ai-ops-synth-'));
    try {
      const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'infra', 'app.ts')], {
        cwd: out,
        encoding: 'utf8',
        env: {
          ...process.env,
          CDK_OUTDIR: out,
          CDK_CONTEXT_JSON: JSON.stringify({
            'ai-ops': { logGroups: {}, senderEmail: 'not-an-address', reviewerEmails: ['a@b.co'] },
          }),
        },
        timeout: 60_000,
      });
      expect(run.status).toBe(1);
      const lines = run.stderr.trimEnd().split('\n');
      expect(lines).toEqual([
        'ai-ops configuration is invalid (context key "ai-ops" in cdk.json, or AutoRepair props):',
        '  - logGroups: configure at least one log group to watch',
        '  - senderEmail: Invalid email address',
      ]);
      expect(run.stderr).not.toMatch(/^\s+at /m);
      expect(run.stdout).toBe('');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('model prices', () => {
  it('are required at synth for a model ai-ops has no prices for, and accepted when given', () => {
    expect(problemsOf(() => parseAiOpsConfig(makeAutoRepairProps({ modelId: 'claude-future-9' })))).toEqual([
      expect.stringMatching(/^modelPrices: no prices are known for model "claude-future-9"/),
    ]);
    const config = parseAiOpsConfig(
      makeAutoRepairProps({
        modelId: 'claude-future-9',
        modelPrices: { input: 4, output: 20, cacheRead: 0.5 },
      }),
    );
    expect(config.modelPrices).toEqual({ input: 4, output: 20, cacheWrite: 5, cacheRead: 0.5 });
    expect(
      problemsOf(() => parseAiOpsConfig(makeAutoRepairProps({ modelPrices: { input: -1, output: 1 } }))),
    ).toEqual([expect.stringMatching(/^modelPrices\.input: /)]);
  });

  it('reach the analyzer as MODEL_PRICES, checked at cold start too', () => {
    const env = {
      INCIDENTS_TABLE_NAME: 'incidents',
      GITHUB_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:t',
      ANTHROPIC_API_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:a',
      SENDER_EMAIL: 'ai-ops@acme.test',
      REVIEWER_EMAILS: 'oncall@acme.test',
      MODEL_ID: 'claude-future-9',
    };
    expect(problemsOf(() => loadAnalyzerConfig(env))).toEqual([
      expect.stringMatching(/^MODEL_PRICES: no prices are known for model "claude-future-9"/),
    ]);
    expect(loadAnalyzerConfig({ ...env, MODEL_PRICES: '{"input":4,"output":20}' }).modelPrices).toEqual({
      input: 4,
      output: 20,
      cacheWrite: 5,
      cacheRead: 0.4,
    });
    expect(problemsOf(() => loadAnalyzerConfig({ ...env, MODEL_PRICES: 'four dollars' }))).toEqual([
      expect.stringMatching(/^MODEL_PRICES: must be JSON/),
    ]);
  });
});
