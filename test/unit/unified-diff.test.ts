import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../functions/core/repair/unified-diff.ts';

/** Applies the patch with native git, the way a reviewer would, and returns the result. */
function applyWithGit(before: string, patch: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ai-ops-diff-'));
  try {
    writeFileSync(join(dir, 'app.py'), before);
    writeFileSync(join(dir, 'fix.patch'), patch);
    execFileSync('git', ['apply', '--unidiff-zero', 'fix.patch'], { cwd: dir });
    return readFileSync(join(dir, 'app.py'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('unifiedDiff', () => {
  const before = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`)
    .join('\n')
    .concat('\n');

  it.each([
    ['a change in the middle', before.replace('line 10\n', 'line ten\nline 10.5\n')],
    ['a change on the first line', before.replace('line 1\n', 'first\n')],
    ['a change on the last line', before.replace('line 20\n', 'last\n')],
    ['a deletion', before.replace('line 7\nline 8\n', '')],
    ['an insertion', before.replace('line 3\n', 'line 3\ninserted\n')],
  ])('%s applies with git and gives the new text', (_name, after) => {
    const patch = unifiedDiff({ path: 'app.py', before, after });
    expect(patch.startsWith('--- a/app.py\n+++ b/app.py\n@@ ')).toBe(true);
    expect(applyWithGit(before, patch)).toBe(after);
  });

  it('is empty when nothing changed', () => {
    expect(unifiedDiff({ path: 'app.py', before, after: before })).toBe('');
  });
});
