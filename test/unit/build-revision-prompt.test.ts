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

describe('revision prompt: the trace placed as the repair prompt placed it', () => {
  it("maps an installed copy of the repository's own package (node_modules/<name>/) to its files", async () => {
    // The fix was made in lib/parse.js for a frame under node_modules/@acme/feed/: the revision of
    // it must see the same file in scope, not lose it for want of the package's name.
    const repo = makeFakeRepo({
      'package.json': JSON.stringify({ name: '@acme/feed', version: '1.0.0' }),
      'lib/parse.js': 'module.exports = (x) => x.items;\n',
    });
    const prompt = await buildRevisionPrompt({
      incident: {
        sample: makeErrorRecord({
          language: 'javascript',
          frames: [{ file: '/srv/app/node_modules/@acme/feed/lib/parse.js', line: 1, inApp: false }],
        }),
        repo: REPO,
        analysis: undefined,
      },
      diff: '',
      request: { kind: 'review_comment', author: 'alice', body: 'also handle a missing items field' },
      repo,
    });
    expect([...prompt.implicatedPaths]).toEqual(['lib/parse.js']);
  });
});
