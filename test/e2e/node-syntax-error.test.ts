// A Node.js Lambda whose handler module does not parse, end to end: the runtime's report
// (Runtime.UserCodeSyntaxError, captured from the Node runtime client) names no file of the
// application. Through the deployed detector and analyzer on the stand-ins, the error is placed in
// the script that fails to parse with the same words; the model's first fix still does not parse
// and is refused with V8's message; its second lands as a pull request.
import { describe, expect, it } from 'vitest';
import { step } from '../support/anthropic-stand-in.ts';
import { changedPathsBetween, readBlobAt, runGit } from '../support/git-server.ts';
import { capturedMessages } from '../support/log-events.ts';
import { detectAndRepair, seedAppRepo } from './support/app-flow.ts';
import { useE2eStandIns } from './support/stand-ins.ts';

const GIT_TOKEN = 'ghs_e2eFakeTokenForTheLocalStandIns';
const { tableName, servers, startAnthropic } = useE2eStandIns({ token: GIT_TOKEN });

/** The Node.js runtime client's report (captured) of a handler module that does not parse. */
const USER_CODE_SYNTAX_ERROR = 'lambda/node20-lambda-ric-text-user-code-syntax-error.events.jsonl';
const BROKEN_LINE = '  const lines = order.lines ?? [;\n';
const FILES: Record<string, string> = {
  'package.json': '{\n  "name": "shop",\n  "type": "module"\n}\n',
  'index.js':
    "import { total } from './lib/pricing.js';\n\nexport const handler = async (event) => ({ total: total(event.order) });\n",
  'lib/pricing.js': [
    'export function total(order) {',
    BROKEN_LINE.trimEnd(),
    '  return lines.reduce((sum, line) => sum + line.price, 0);',
    '}',
    '',
  ].join('\n'),
  // the same words in a test: not what Lambda loaded
  'test/pricing.test.js': "import { total } from '../lib/pricing.js';\ntotal(;\n",
};

const fix = (id: string, newText: string) =>
  step.toolUse([
    {
      id,
      name: 'submit_fix',
      input: {
        title: 'Close the empty array literal in total()',
        rootCause: 'lib/pricing.js line 2 opens an array literal and never closes it.',
        explanation: 'Default a missing order.lines to an empty array.',
        confidence: 'high',
        edits: [{ path: 'lib/pricing.js', oldText: BROKEN_LINE, newText }],
      },
    },
  ]);

describe('a Node.js Lambda whose code does not parse, log line to pull request', () => {
  it('places the error in the script that fails the same way, refuses a fix that still does not parse, and opens the one that does', async () => {
    const app = await seedAppRepo({ standIns: servers, owner: 'acme', files: FILES });
    const anthropic = await startAnthropic([
      fix('toolu_still_broken', '  const lines = (order.lines ?? [;\n'),
      fix('toolu_fix', '  const lines = order.lines ?? [];\n'),
    ]);
    const { queued, response } = await detectAndRepair({
      standIns: servers,
      tableName,
      app,
      lines: capturedMessages(USER_CODE_SYNTAX_ERROR),
      token: GIT_TOKEN,
      anthropicUrl: anthropic.url,
    });
    expect(queued).toHaveLength(1);
    expect(response.batchItemFailures).toEqual([]);

    // the model was shown the broken line, in scope
    const [first, second] = anthropic.requests;
    const prompt = JSON.stringify(first?.json);
    expect(prompt).toContain('--- lib/pricing.js (lines 1-4) ---');
    expect(prompt).toContain('order.lines ?? [;');
    expect(prompt).not.toContain('test/pricing.test.js');
    expect(prompt).toContain(
      "lib/pricing.js:2:33 fails to parse with this message (SyntaxError: Unexpected token ';'): that is what the runtime could not load",
    );
    // and told, in V8's words, why its first fix was refused
    const feedback = JSON.stringify(second?.json);
    expect(feedback).toContain(
      "does_not_parse: lib/pricing.js:2:34 does not parse after the edit: SyntaxError: Unexpected token ';' — the line reads `const lines = (order.lines ?? [;`",
    );
    expect(anthropic.requests).toHaveLength(2);

    const [pr] = servers.github.pulls({ owner: 'acme', repo: app.repo.name });
    expect(pr).toMatchObject({ base: 'main', state: 'open' });
    const head = pr?.head ?? '';
    expect(changedPathsBetween(app.bare, app.mainHead, head)).toEqual(['lib/pricing.js']);
    // the PR, the commit and the email say where the error is, not the runtime's own frame
    expect(pr?.body).toContain(
      "- **Where:** `lib/pricing.js:2:33` (the report names no file; found in the repository's code)",
    );
    expect(runGit(['log', '-1', '--format=%B', head], { cwd: app.bare }).toString()).toContain(
      'Proposed by ai-ops for Runtime.UserCodeSyntaxError in lib/pricing.js:2:33.',
    );
    const [mail] = (await servers.ses.emails()).filter((e) => e.subject.includes(app.repo.name));
    expect(mail?.body.text).toMatch(/Where: +lib\/pricing\.js:2:33 \(the report names no file/);
    expect(readBlobAt(app.bare, head, 'lib/pricing.js').toString()).toBe(
      (FILES['lib/pricing.js'] ?? '').replace(BROKEN_LINE, '  const lines = order.lines ?? [];\n'),
    );
  });
});
