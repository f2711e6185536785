// `ai-ops watch` on one machine with a Node.js app whose module does not parse: the crash is
// produced here by running node on the app, and read from its log file as a person's app writes
// it. The trace names the broken file only in Node's code excerpt; the model's first fix still does
// not parse and is refused with V8's words; the second is written to the outbox as a patch.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { step } from '../support/anthropic-stand-in.ts';
import { useTempDirs } from '../support/temp-dirs.ts';
import { useLocalStandIns } from './support/local-watch.ts';

const tempDir = useTempDirs();

const TOKEN = 'local-syntax-token-not-a-secret';
const BROKEN = '  return order.lines.reduce((sum, line) => sum + line.price, 0;\n';
const FIXED = '  return order.lines.reduce((sum, line) => sum + line.price, 0);\n';
const FILES: Record<string, string> = {
  'main.js':
    "'use strict';\nconst { total } = require('./lib/pricing.js');\nconsole.log(total({ lines: [{ price: 5 }] }));\n",
  'lib/pricing.js': `'use strict';\nfunction total(order) {\n${BROKEN}}\nmodule.exports = { total };\n`,
};

const fix = (id: string, newText: string) =>
  step.toolUse([
    {
      id,
      name: 'submit_fix',
      input: {
        title: 'Close the reduce call in total()',
        rootCause: 'lib/pricing.js line 3 never closes the call to reduce.',
        explanation: 'Add the missing parenthesis.',
        confidence: 'high',
        edits: [{ path: 'lib/pricing.js', oldText: BROKEN, newText }],
      },
    },
  ]);

const local = useLocalStandIns({
  token: TOKEN,
  files: FILES,
  script: [fix('toolu_still_broken', BROKEN.replace(', 0;', ', 0;)')), fix('toolu_fix', FIXED)],
});

describe('ai-ops watch: a Node.js module that does not parse', () => {
  it('reads the file from the crash, refuses a fix that still does not parse, and writes the one that does', async () => {
    const dir = tempDir('ai-ops-local-syntax-');
    const app = join(dir, 'app');
    mkdirSync(join(app, 'lib'), { recursive: true });
    for (const [path, text] of Object.entries(FILES)) writeFileSync(join(app, path), text);
    const crash = spawnSync(process.execPath, ['main.js'], { cwd: app, encoding: 'utf8', env: {} });
    expect(crash.stderr).toContain(`${join(app, 'lib/pricing.js')}:3\n`);
    const log = join(dir, 'app.log');
    writeFileSync(log, crash.stderr);

    const outbox = join(dir, 'outbox');
    const { code, printed } = await local.watch({ args: ['--once', '--dry-run', log], dir });
    expect(code, printed).toBe(0);

    const [first, second] = local.anthropic.requests;
    expect(JSON.stringify(first?.json)).toContain('--- lib/pricing.js (lines 1-5) ---');
    expect(JSON.stringify(second?.json)).toContain(
      // the same words as before the edit, at a line that now reads otherwise: the edit's doing
      'does_not_parse: lib/pricing.js:3:62 does not parse after the edit: SyntaxError: missing ) after argument list — the line reads `return order.lines.reduce((sum, line) => sum + line.price, 0;)`',
    );

    const patch = readdirSync(outbox).find((f) => f.endsWith('.patch'));
    expect(patch).toBeDefined();
    const checkout = join(dir, 'checkout');
    execFileSync('git', ['clone', '--quiet', local.git.repoPath('demo', 'shop'), checkout]);
    execFileSync('git', ['apply', join(outbox, patch ?? '')], { cwd: checkout });
    expect(readFileSync(join(checkout, 'lib/pricing.js'), 'utf8')).toContain(FIXED);
    // the fixed app runs
    expect(execFileSync(process.execPath, ['main.js'], { cwd: checkout, encoding: 'utf8', env: {} })).toBe(
      '5\n',
    );
  });
});
