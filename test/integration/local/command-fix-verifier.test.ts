import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeCommandFixVerifier } from '../../../functions/local/pipeline/command-fix-verifier.ts';
import { makeFakeRepo } from '../../support/fake-repo.ts';
import { tempDir } from './watch-helpers.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function temp(): string {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  return dir;
}

const TREE = makeFakeRepo(
  {
    'app.py': 'def add(a, b):\n    return a + b\n',
    'tests/check.sh': '#!/bin/sh\ngrep -q "return a + b" app.py\n',
  },
  {
    executables: ['tests/check.sh'],
    submodules: ['vendor/lib'],
    symlinks: [{ path: 'main.py', target: 'app.py' }],
  },
);

describe('AI_OPS_TEST_COMMAND: the command fix verifier', () => {
  it('runs the command in a fresh copy of the tree (executables kept executable) and passes on exit 0', async () => {
    const root = temp();
    const verifier = makeCommandFixVerifier({
      command: './tests/check.sh && test -L main.py && grep -q add main.py',
      tempRoot: root,
    });
    const result = await verifier.verify({ tree: TREE, commit: 'c'.repeat(40) });
    expect(result.kind).toBe('passed');
    // The temporary checkout is gone afterwards.
    expect(readdirSync(root)).toEqual([]);
  });

  it('fails on a non-zero exit with the end of stdout and stderr, cut to the cap', async () => {
    const verifier = makeCommandFixVerifier({
      command: 'seq 1 20000; echo "FAILED test_add" >&2; exit 3',
      tempRoot: temp(),
      maxOutputBytes: 1000,
    });
    const result = await verifier.verify({ tree: TREE, commit: 'c'.repeat(40) });
    expect(result).toMatchObject({ kind: 'failed', reason: 'exit_code', exitCode: 3 });
    if (result.kind !== 'failed') throw new Error('expected a failure');
    expect(result.output).toContain('FAILED test_add');
    expect(result.output).toContain('20000');
    expect(result.output).not.toContain('\n1\n');
    expect(result.output).toMatch(/^\[\d+ earlier bytes cut\]/);
    expect(result.output.length).toBeLessThan(1100);
  });

  it('kills the whole process group at the time limit, what the command started in the background too', async () => {
    const marker = join(temp(), 'survivor');
    const verifier = makeCommandFixVerifier({
      // A background child that would write the marker after the limit, and a foreground sleep.
      command: `(sleep 2; touch ${marker}) & echo started; sleep 30`,
      tempRoot: temp(),
      timeoutMs: 300,
      killGraceMs: 100,
    });
    const result = await verifier.verify({ tree: TREE, commit: 'c'.repeat(40) });
    expect(result).toMatchObject({ kind: 'failed', reason: 'timeout' });
    if (result.kind !== 'failed') throw new Error('expected a failure');
    expect(result.output).toContain('started');
    expect(result.durationMs).toBeLessThan(10_000);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(existsSync(marker)).toBe(false);
  });

  it("never hands ai-ops' own secrets to the command", async () => {
    const out = join(temp(), 'env.txt');
    const verifier = makeCommandFixVerifier({
      command: `env > ${out}`,
      tempRoot: temp(),
      env: {
        PATH: process.env.PATH,
        GITHUB_TOKEN: 'ghp_not_for_tests',
        ANTHROPIC_API_KEY: 'sk-ant-not-for-tests',
        SMTP_PASSWORD: 'hunter2',
        APP_SETTING: 'kept',
      },
    });
    expect((await verifier.verify({ tree: TREE, commit: 'c'.repeat(40) })).kind).toBe('passed');
    const env = readFileSync(out, 'utf8');
    expect(env).toContain('APP_SETTING=kept');
    expect(env).not.toMatch(/GITHUB_TOKEN|ANTHROPIC_API_KEY|SMTP_PASSWORD/);
  });

  it('a command the shell cannot find is not_run (no revision is asked for it)', async () => {
    const verifier = makeCommandFixVerifier({ command: 'no-such-test-runner-here -q', tempRoot: temp() });
    const result = await verifier.verify({ tree: TREE, commit: 'c'.repeat(40) });
    expect(result).toMatchObject({ kind: 'not_run' });
    if (result.kind === 'not_run') expect(result.detail).toContain('127');
  });
});
