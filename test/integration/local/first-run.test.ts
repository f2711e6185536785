import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../functions/local/commands/cli.ts';
import {
  describeConfig,
  LocalConfigError,
  loadLocalConfig,
} from '../../../functions/local/commands/local-config.ts';
import { runWatch } from '../../../functions/local/commands/watch-command.ts';
import { createRepairPipeline } from '../../../functions/local/pipeline/repair-pipeline.ts';
import { capture, tempDir } from './watch-helpers.ts';

/** What a new user sees on a first run: each rough edge of issue #12 that was in the way. */

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function watchOnce(env: Record<string, string>) {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const log = join(dir, 'app.log');
  writeFileSync(log, 'INFO boot\n');
  const { io, out, err } = capture();
  const code = await runWatch(['--once', log], io, {
    env,
    cwd: dir,
    isTty: false,
    createHandler: createRepairPipeline({ stderr: io.stderr }),
  });
  return { code, log, out: out(), err: err() };
}

describe('a first run of ai-ops', () => {
  it('prints the log file passed on the command line in the settings, not "(none…)"', async () => {
    const run = await watchOnce({});
    expect(run.code).toBe(0);
    expect(run.out).toContain(`log files:      ${run.log}`);
    expect(run.out).not.toContain('(none: pass a file or set LOG_FILE_PATH)');
  });

  it('names GITHUB_REPO once when repairs are off for want of settings', async () => {
    const run = await watchOnce({});
    const line = run.err.split('\n').find((l) => l.includes('repairs are off')) ?? '';
    expect(line).toContain('GITHUB_TOKEN, GITHUB_REPO, ANTHROPIC_API_KEY');
    expect(line.match(/GITHUB_REPO/g)).toHaveLength(1);
  });

  it('answers --version with the package version', async () => {
    const version = (
      JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
        version: string;
      }
    ).version;
    for (const flag of ['--version', '-V', 'version']) {
      const { io, out } = capture();
      expect(await main([flag], io)).toBe(0);
      expect(out()).toBe(`ai-ops ${version}\n`);
    }
    const { io, out } = capture();
    await main(['help'], io);
    expect(out()).toContain('ai-ops --version');
  });

  it('takes prices for a model it does not know, and without them keeps repairs off (the dollar cap needs them)', () => {
    const env = {
      GITHUB_TOKEN: 'x',
      GITHUB_REPO: 'acme/shop',
      ANTHROPIC_API_KEY: 'y',
      AI_OPS_MODEL: 'claude-future-9',
    };
    const unpriced = loadLocalConfig({ env, fileExists: () => false });
    expect(unpriced.missingForRepair).toEqual(['AI_OPS_MODEL_PRICES']);
    expect(describeConfig(unpriced)).toContain('set AI_OPS_MODEL_PRICES to open fix pull requests');

    const priced = loadLocalConfig({
      env: { ...env, AI_OPS_MODEL_PRICES: '{"input": 4, "output": 20}' },
      fileExists: () => false,
    });
    expect(priced.missingForRepair).toEqual([]);
    expect(priced.modelPrices).toEqual({ input: 4, output: 20, cacheWrite: 5, cacheRead: 0.4 });

    const issues = (() => {
      try {
        loadLocalConfig({ env: { ...env, AI_OPS_MODEL_PRICES: '{"input": 4}' }, fileExists: () => false });
      } catch (error: unknown) {
        if (error instanceof LocalConfigError) return error.issues;
      }
      return [];
    })();
    expect(issues).toEqual([expect.stringMatching(/^AI_OPS_MODEL_PRICES\.output: /)]);
  });

  it('reads AI_OPS_TEST_COMMAND and its time limit, and shows them in the settings', () => {
    const config = loadLocalConfig({
      env: { AI_OPS_TEST_COMMAND: 'pytest -q', AI_OPS_TEST_TIMEOUT_SECONDS: '90' },
      fileExists: () => false,
    });
    expect(config.testCommand).toEqual({ command: 'pytest -q', timeoutMs: 90_000 });
    expect(describeConfig(config)).toContain('tests:          pytest -q (before each PR, at most 90 s)');
    expect(loadLocalConfig({ env: {}, fileExists: () => false }).testCommand).toBeUndefined();
  });
});
