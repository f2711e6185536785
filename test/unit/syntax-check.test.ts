// The engine's parse in a repair: a fix that leaves an edited script unparseable is refused, and a
// SyntaxError that names no file is placed in the script that fails the same way. Run against the
// real checker (V8 in a child process): its words are what a runtime's report is matched on.
import { describe, expect, it } from 'vitest';
import { makeNodeSyntaxChecker } from '../../functions/adapters/node-syntax-checker.ts';
import type { ErrorRecord } from '../../functions/core/contracts.ts';
import { detectErrors } from '../../functions/core/detect/detect-errors.ts';
import type { SyntaxChecker } from '../../functions/core/ports/syntax-checker.ts';
import { buildRepairPrompt } from '../../functions/core/repair/build-repair-prompt.ts';
import { applyFixProposal } from '../../functions/core/repair/edit-policy.ts';
import { explainUnplacedTrace } from '../../functions/core/repair/explain-unplaced-trace.ts';
import { goalReader, placeSyntaxError } from '../../functions/core/repair/syntax-check.ts';
import { makeFakeRepo } from '../support/fake-repo.ts';
import { capturedMessages, makeEvents } from '../support/log-events.ts';

const checker = makeNodeSyntaxChecker();
const failing: SyntaxChecker = {
  check: async () => {
    throw new Error('the syntax check could not start node');
  },
  locate: async () => {
    throw new Error('the syntax check could not start node');
  },
};

const PRICING = [
  'export function total(order) {',
  '  const lines = order.lines ?? [];',
  '  return lines.reduce((sum, line) => sum + line.price, 0);',
  '}',
  '',
].join('\n');
/** The same file with the error the Lambda report below names: `Unexpected token ';'` on line 2. */
const BROKEN_PRICING = PRICING.replace('?? [];', '?? [;');

/** The Node.js runtime client's report (captured) of a handler module that does not parse. */
const USER_CODE_SYNTAX_ERROR = 'lambda/node20-lambda-ric-text-user-code-syntax-error.events.jsonl';
function userCodeSyntaxError(): ErrorRecord {
  const [found] = detectErrors(makeEvents(capturedMessages(USER_CODE_SYNTAX_ERROR)));
  if (!found) throw new Error('the fixture holds no error');
  return found.record;
}

describe('goalReader: how Node loads each script', () => {
  it('reads .mjs and .cjs by their extension and .js by the nearest package.json', async () => {
    const repo = makeFakeRepo({
      'package.json': '{"name":"shop","type":"module"}',
      'legacy/package.json': '{"name":"legacy"}',
      'broken/package.json': '{ not json',
      'a.js': '',
      'src/deep/b.js': '',
      'legacy/c.js': '',
      'legacy/d.mjs': '',
      'e.cjs': '',
      'broken/f.js': '',
    });
    const goalOf = goalReader(repo);
    const goals = await Promise.all(
      ['a.js', 'src/deep/b.js', 'legacy/c.js', 'legacy/d.mjs', 'e.cjs', 'broken/f.js'].map(goalOf),
    );
    expect(goals).toEqual(['module', 'module', 'commonjs', 'module', 'commonjs', 'commonjs']);
    // each manifest once, however many files sit below it
    expect(repo.reads.filter((p) => p === 'package.json')).toHaveLength(1);
    expect(await goalReader(makeFakeRepo({ 'x.js': '' }))('x.js')).toBe('commonjs');
  });
});

describe('applyFixProposal with the syntax checker', () => {
  const files = {
    'package.json': '{"type":"module"}',
    'lib/pricing.js': PRICING,
    'lib/notes.md': '# notes\n',
  };
  const apply = (
    edits: { path: string; oldText: string; newText: string }[],
    syntax: SyntaxChecker = checker,
    repoFiles: Record<string, string> = files,
    mustParse?: ReadonlySet<string>,
  ) =>
    applyFixProposal({
      proposal: { edits },
      repo: makeFakeRepo(repoFiles),
      implicatedPaths: new Set(['lib/pricing.js']),
      languages: ['javascript'],
      policy: { scope: 'repository', maxFiles: 3, maxChangedLines: 120, maxFileBytes: 512 * 1024 },
      syntax,
      ...(mustParse ? { mustParse } : {}),
    });

  it('refuses an edit to a script that did not parse before when it fails otherwise after, or must parse', async () => {
    const broken = { ...files, 'lib/pricing.js': BROKEN_PRICING };
    // the broken line rewritten, still broken: the same words at another line of text
    const rewritten = [{ path: 'lib/pricing.js', oldText: '?? [;', newText: '?? ([;' }];
    expect((await apply(rewritten, checker, broken)).kind).toBe('rejected');
    // the broken line left as it is: not the edit's doing, unless that file is the one to repair
    const beside = [
      { path: 'lib/pricing.js', oldText: 'sum + line.price', newText: 'sum + (line.price ?? 0)' },
    ];
    expect((await apply(beside, checker, broken)).kind).toBe('applied');
    const refused = await apply(beside, checker, broken, new Set(['lib/pricing.js']));
    expect(refused).toMatchObject({
      kind: 'rejected',
      rejections: [{ code: 'does_not_parse', path: 'lib/pricing.js' }],
    });
    expect((refused as { rejections: { message: string }[] }).rejections[0]?.message).toContain(
      'lib/pricing.js:2:33',
    );
  });

  it("refuses an edit that leaves the script unparseable, in the engine's words, at its line", async () => {
    const outcome = await apply([
      {
        path: 'lib/pricing.js',
        oldText: 'return lines.reduce((sum, line) => sum + line.price, 0);',
        newText: 'return lines.reduce((sum, line) => sum + line.price, 0;',
      },
    ]);
    expect(outcome).toEqual({
      kind: 'rejected',
      rejections: [
        {
          code: 'does_not_parse',
          path: 'lib/pricing.js',
          message:
            'lib/pricing.js:3:56 does not parse after the edit: SyntaxError: missing ) after argument list — the line reads `return lines.reduce((sum, line) => sum + line.price, 0;`',
        },
      ],
    });
  });

  it('applies an edit that parses, and one to a script that did not parse before it either (JSX, Flow)', async () => {
    const good = await apply([{ path: 'lib/pricing.js', oldText: '?? []', newText: '?? [] ' }]);
    expect(good.kind).toBe('applied');
    const jsx = { ...files, 'lib/pricing.js': `${PRICING}export const View = () => <p>total</p>;\n` };
    const still = await apply(
      [{ path: 'lib/pricing.js', oldText: '?? []', newText: '?? [ ]' }],
      checker,
      jsx,
    );
    expect(still.kind).toBe('applied');
  });

  it('reads ES module syntax in a CommonJS-goal file (written for webpack or Babel) as a module: its real errors are found', async () => {
    // serverless/examples and webpack hold many such files: `import` in a .js under no "type": "module"
    const bundled = {
      'package.json': '{"name":"resizer"}',
      'lib/pricing.js': `import { round } from './round.js';\n\n${PRICING}`,
    };
    const broken = await apply(
      [{ path: 'lib/pricing.js', oldText: 'sum + line.price, 0);', newText: 'sum + line.price, 0;' }],
      checker,
      bundled,
    );
    expect(broken).toMatchObject({
      kind: 'rejected',
      rejections: [{ code: 'does_not_parse', path: 'lib/pricing.js' }],
    });
    expect((broken as { rejections: { message: string }[] }).rejections[0]?.message).toContain(
      'lib/pricing.js:5:56 does not parse after the edit: SyntaxError: missing ) after argument list',
    );
    const good = await apply(
      [{ path: 'lib/pricing.js', oldText: '?? []', newText: '?? [] ' }],
      checker,
      bundled,
    );
    expect(good.kind).toBe('applied');
  });

  it('applies the edit when the checker itself fails: its failure never blocks a fix', async () => {
    const outcome = await apply(
      [
        {
          path: 'lib/pricing.js',
          oldText: 'return lines.reduce((sum, line) => sum + line.price, 0);',
          newText: 'return lines.reduce(;',
        },
      ],
      failing,
    );
    expect(outcome.kind).toBe('applied');
  });
});

describe('placeSyntaxError: a SyntaxError that names no file', () => {
  const record = userCodeSyntaxError();

  it('is the captured Lambda report: no frame of the application, the message V8 gives', () => {
    expect(record).toMatchObject({
      exceptionType: 'Runtime.UserCodeSyntaxError',
      message: "Unexpected token ';'",
    });
    expect(record.frames.some((f) => f.inApp)).toBe(false);
  });

  it('is placed in the script that fails the same way, at its line, and the prompt shows it in scope', async () => {
    const repo = makeFakeRepo({
      'package.json': '{"type":"module"}',
      'index.js':
        "import { total } from './lib/pricing.js';\nexport const handler = async (e) => total(e.order);\n",
      'lib/pricing.js': BROKEN_PRICING,
      // fails otherwise: another file's own trouble
      'scripts/legacy.cjs': 'module.exports = f(;\n'.replace('f(;', 'f(1, 2'),
      // fails the same way, but tests and dependencies are not what Lambda loaded
      'test/pricing.test.js': BROKEN_PRICING,
      'node_modules/dep/index.js': BROKEN_PRICING,
    });
    const placement = await placeSyntaxError({ error: record, repo, checker });
    expect(placement.kind).toBe('placed');
    if (placement.kind !== 'placed') return;
    expect(placement.paths).toEqual(['lib/pricing.js']);
    expect(placement.error.frames.at(-1)).toEqual({
      file: 'lib/pricing.js',
      line: 2,
      column: 33,
      inApp: true,
    });
    expect(placement.error.frames.slice(0, -1)).toEqual(record.frames);

    const prompt = await buildRepairPrompt({ error: placement.error, repo });
    expect([...prompt.implicatedPaths]).toEqual(['lib/pricing.js']);
    expect(prompt.prompt).toContain('const lines = order.lines ?? [;');
    expect(
      explainUnplacedTrace({ error: placement.error, mappings: prompt.mappings, scope: 'trace' }),
    ).toBeUndefined();
  });

  it('looks only under the path prefix', async () => {
    const repo = makeFakeRepo({
      'services/orders/lib/pricing.mjs': BROKEN_PRICING,
      'services/billing/lib/pricing.mjs': BROKEN_PRICING,
    });
    const placement = await placeSyntaxError({
      error: record,
      repo,
      pathPrefix: 'services/orders/',
      checker,
    });
    expect(placement).toMatchObject({ kind: 'placed', paths: ['services/orders/lib/pricing.mjs'] });
    const prompt = await buildRepairPrompt({
      error: (placement as { error: ErrorRecord }).error,
      repo,
      pathPrefix: 'services/orders',
    });
    expect([...prompt.implicatedPaths]).toEqual(['services/orders/lib/pricing.mjs']);
  });

  it('takes the one script that fails when another Node words the error differently, for a package that did not load', async () => {
    const repo = makeFakeRepo({
      'handler.cjs': 'exports.handler = async () => f(1, 2;\n',
      'ok.js': 'exports.x = 1;\n',
    });
    const placement = await placeSyntaxError({ error: record, repo, checker });
    expect(placement).toMatchObject({ kind: 'placed', paths: ['handler.cjs'] });
    // a SyntaxError of code the application compiles itself (`new Function`) is not any file's
    const compiled: ErrorRecord = { ...record, exceptionType: 'SyntaxError' };
    expect(await placeSyntaxError({ error: compiled, repo, checker })).toEqual({ kind: 'not_applicable' });
  });

  it('says why when every script parses: the code Lambda loaded is not the base branch', async () => {
    const repo = makeFakeRepo({
      'index.mjs': 'export const handler = async () => 1;\n',
      'src/app.ts': 'export const x: number = ;\n',
    });
    const placement = await placeSyntaxError({ error: record, repo, checker });
    expect(placement).toEqual({
      kind: 'unplaced',
      reason:
        "the SyntaxError names no file, and the one JavaScript file of the repository parses, so the code Lambda loaded is not the code of the base branch: it was built from other sources (TypeScript or a bundle: look at the build's output), or deployed from another commit",
    });
  });

  it('says why when the repository holds no script Node runs as it is (TypeScript, built before deploy)', async () => {
    const repo = makeFakeRepo({
      'src/handler.ts': 'export const handler = async (): Promise<number> => 1;\n',
    });
    const placement = await placeSyntaxError({ error: record, repo, checker });
    expect(placement).toMatchObject({ kind: 'unplaced' });
    expect((placement as { reason: string }).reason).toContain(
      'the repository holds no JavaScript file Node runs as it is (.js, .mjs, .cjs): the code Lambda loaded was built from other sources',
    );
  });

  it('places nothing when more than three scripts fail the same way', async () => {
    const repo = makeFakeRepo(
      Object.fromEntries(['a', 'b', 'c', 'd'].map((n) => [`${n}.mjs`, BROKEN_PRICING])),
    );
    const placement = await placeSyntaxError({ error: record, repo, checker });
    expect(placement.kind).toBe('unplaced');
    expect((placement as { reason: string }).reason).toContain(
      '4 of the 4 JavaScript files of the repository do not parse',
    );
  });

  it('leaves alone what it cannot help with: JSON.parse errors, errors with an in-app frame, a failed checker', async () => {
    const repo = makeFakeRepo({ 'a.mjs': BROKEN_PRICING });
    const json: ErrorRecord = {
      ...record,
      exceptionType: 'SyntaxError',
      message: 'Unexpected end of JSON input',
    };
    const inApp: ErrorRecord = {
      ...record,
      exceptionType: 'SyntaxError',
      frames: [...record.frames, { file: '/var/task/a.mjs', line: 2, inApp: true }],
    };
    const python: ErrorRecord = { ...record, language: 'python', exceptionType: 'SyntaxError' };
    for (const error of [json, inApp, python])
      expect(await placeSyntaxError({ error, repo, checker })).toEqual({ kind: 'not_applicable' });
    expect(await placeSyntaxError({ error: record, repo, checker: failing })).toEqual({
      kind: 'not_applicable',
    });
    expect(repo.reads.filter((p) => p === 'a.mjs')).toHaveLength(1);
  });
});
