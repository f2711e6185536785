import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');

describe('npm run demo', () => {
  it('runs the seed example offline, without credentials, from log to PR and email', () => {
    const env = { ...process.env };
    delete env.ANTHROPIC_API_KEY;
    delete env.ANTHROPIC_BASE_URL;
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'test/demo/run-demo.ts'], {
      cwd: root,
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    // the demo keeps its folder for a person to look into; the test leaves nothing behind
    const work = /^working in (\S+)$/m.exec(run.stdout ?? '')?.[1];
    if (work?.includes('ai-ops-demo-')) rmSync(work, { recursive: true, force: true });
    expect(run.status, run.stderr).toBe(0);
    const out = run.stdout;
    expect(out).toContain('RECORDED conversation');
    expect(out).toContain("python ValueError: invalid literal for int() with base 10: 'three'");
    expect(out).toContain('raised in process_data');
    expect(out).toMatch(/\+ {4}except \(KeyError, TypeError, ValueError\):/);
    expect(out).toMatch(/http:\/\/127\.0\.0\.1:\d+\/demo\/shop\/pull\/1 {2}\(draft: true, labels: ai-ops\)/);
    expect(out).toContain('Subject: [ai-ops] ValueError in demo/shop: draft fix PR #1 opened');
    expect(out).toContain('repairs: 1 succeeded, 0 failed');
  });
});
