import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_PY, RECORDED_TRACEBACK, recordedConversation } from '../demo/shop-app.ts';
import { readBranchHead } from '../support/git-server.ts';
import { useTempDirs } from '../support/temp-dirs.ts';
import { useLocalStandIns } from './support/local-watch.ts';

const tempDir = useTempDirs();

const TOKEN = 'dry-run-token-not-a-secret';
const local = useLocalStandIns({
  token: TOKEN,
  files: { 'app.py': APP_PY },
  script: recordedConversation(),
});

describe('ai-ops watch --dry-run', () => {
  it('analyses for real but pushes, opens and mails nothing: patch, PR text and email go to the outbox', async () => {
    const dir = tempDir('ai-ops-dry-run-');
    const log = join(dir, 'app.log');
    writeFileSync(log, RECORDED_TRACEBACK.replaceAll('{APP}', join(dir, 'app')));
    const outbox = join(dir, 'outbox');
    const { code, printed } = await local.watch({ args: ['--once', '--dry-run', log], dir });
    expect(code, printed).toBe(0);

    const files = readdirSync(outbox);
    const patch = files.find((f) => f.endsWith('.patch'));
    const pr = files.find((f) => f.endsWith('.pr.md'));
    expect(patch).toMatch(/^fix_value-error-process-data-[0-9a-f]{8}\.patch$/);
    expect(pr).toBeDefined();
    expect(files.filter((f) => f.endsWith('.eml'))).toHaveLength(1);
    expect(readFileSync(join(outbox, pr ?? ''), 'utf8')).toContain(
      '# fix(ai): Reject a non-numeric quantity',
    );

    // The patch is a real one: it applies to a checkout of the base branch with git.
    const checkout = join(dir, 'checkout');
    execFileSync('git', ['clone', '--quiet', local.git.repoPath('demo', 'shop'), checkout]);
    execFileSync('git', ['apply', join(outbox, patch ?? '')], { cwd: checkout });
    expect(readFileSync(join(checkout, 'app.py'), 'utf8')).toContain(
      'except (KeyError, TypeError, ValueError):',
    );

    // …and nothing left this machine: no branch, no pull request.
    const branch = (patch ?? '').replace(/^fix_/, 'fix/').replace(/\.patch$/, '');
    expect(readBranchHead(local.git.repoPath('demo', 'shop'), branch)).toBeUndefined();
    expect(local.github.pulls({ owner: 'demo', repo: 'shop' })).toEqual([]);
  });
});
