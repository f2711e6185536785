import { describe, expect, it } from 'vitest';
import { buildRevisionPrompt, diffPaths } from '../../functions/core/follow-up/build-revision-prompt.ts';
import { makeFakeRepo } from '../support/fake-repo.ts';
import { makeErrorRecord, REPO } from '../support/follow-up-fakes.ts';

// A fix of app.py whose added lines are themselves diff text: the second `+++ b/` is inside the hunk.
const DIFF = [
  'diff --git a/app.py b/app.py',
  'index 1111111..2222222 100644',
  '--- a/app.py',
  '+++ b/app.py',
  '@@ -1,2 +1,4 @@',
  ' def f():',
  '+++ b/.github/workflows/ci.yml',
  '+++ b/requirements.txt',
  '     return 1',
  '',
].join('\n');

describe('revision scope (issue #11)', () => {
  it('takes paths from file headers, not from `+++ b/` lines inside a hunk', () => {
    expect(diffPaths(DIFF)).toEqual(['app.py']);
  });

  it('reads several files, hunks without counts and "no newline" markers', () => {
    const diff = [
      'diff --git a/a.py b/a.py',
      '--- a/a.py',
      '+++ b/a.py',
      '@@ -1 +1 @@',
      '-x',
      '+++ b/evil.py',
      '\\ No newline at end of file',
      'diff --git a/b.py b/b.py',
      '--- a/b.py',
      '+++ b/b.py',
      '@@ -3,2 +3,2 @@ def g():',
      ' y',
      '-z',
      '+w',
      '',
    ].join('\n');
    expect(diffPaths(diff)).toEqual(['a.py', 'b.py']);
  });

  it('does not widen the scope the model is told about', async () => {
    const repo = makeFakeRepo({ 'app.py': 'def f():\n    return 1\n', 'requirements.txt': 'x\n' });
    const prompt = await buildRevisionPrompt({
      incident: { sample: makeErrorRecord({ frames: [] }), repo: REPO, analysis: undefined },
      diff: DIFF,
      request: { kind: 'review_comment', author: 'alice', body: 'please' },
      repo,
    });
    expect([...prompt.implicatedPaths]).toEqual(['app.py']);
  });
});
