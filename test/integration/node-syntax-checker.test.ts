// The Node.js syntax checker on this machine's node: V8 compiles in a child process and nothing is
// run. Its words must be the ones Node's own loader logs (they are what a Lambda report is matched
// on), and a child that stalls or floods is killed, never waited on.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeNodeSyntaxChecker, readCheckOutput } from '../../functions/adapters/node-syntax-checker.ts';

const checker = makeNodeSyntaxChecker();
const dir = mkdtempSync(join(tmpdir(), 'ai-ops-syntax-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What `node <file>` itself prints for the file: its SyntaxError line, and the `file:N` line. */
function nodeLoads(name: string, text: string): { message: string; line: number } {
  const path = join(dir, name);
  writeFileSync(path, text);
  try {
    execFileSync(process.execPath, [path], { stdio: 'pipe', env: {} });
  } catch (error) {
    const stderr = String((error as { stderr: Buffer }).stderr);
    const message = /^SyntaxError: (.*)$/m.exec(stderr)?.[1] ?? '';
    const line = Number(new RegExp(`${name.replace('.', '\\.')}:(\\d+)$`, 'm').exec(stderr)?.[1]);
    return { message, line };
  }
  throw new Error(`${name} loaded`);
}

describe('makeNodeSyntaxChecker', () => {
  it('gives the words and line Node itself gives, for CommonJS (with the column) and ES modules', async () => {
    const cjs =
      "'use strict';\nfunction total(order) {\n\treturn order.lines.reduce((s, l) => s + l.price, 0;\n}\n";
    const esm = 'export function total(order) {\n  const lines = order.lines ?? [;\n  return lines;\n}\n';
    const failures = await checker.check([
      { path: 'lib/pricing.cjs', text: cjs, goal: 'commonjs' },
      { path: 'ok.js', text: 'module.exports = 1;\nreturn;\n', goal: 'commonjs' },
      { path: 'lib/pricing.mjs', text: esm, goal: 'module' },
      { path: 'ok.mjs', text: 'export const x = await Promise.resolve(1);\n', goal: 'module' },
    ]);
    const asNode = { cjs: nodeLoads('a.cjs', cjs), esm: nodeLoads('b.mjs', esm) };
    expect(failures).toEqual([
      // under the `0`, where Node's own caret is (the tab before the statement counts as one)
      { path: 'lib/pricing.cjs', message: asNode.cjs.message, line: asNode.cjs.line, column: 51 },
      { path: 'lib/pricing.mjs', message: asNode.esm.message },
    ]);
    expect(asNode).toEqual({
      cjs: { message: 'missing ) after argument list', line: 3 },
      esm: { message: "Unexpected token ';'", line: 2 },
    });
    expect(await checker.locate({ path: 'lib/pricing.mjs', text: esm, goal: 'module' })).toEqual({
      path: 'lib/pricing.mjs',
      message: "Unexpected token ';'",
      line: 2,
      column: 33,
    });
  });

  it('reads a file by its goal: `import` is no CommonJS, a top-level `return` no module', async () => {
    const failures = await checker.check([
      { path: 'a.js', text: "import x from 'y';\n", goal: 'commonjs' },
      { path: 'b.mjs', text: 'return 1;\n', goal: 'module' },
      { path: 'c.mjs', text: "import x from 'y';\nexport default x;\n", goal: 'module' },
    ]);
    expect(failures.map((f) => [f.path, f.message])).toEqual([
      ['a.js', 'Cannot use import statement outside a module'],
      ['b.mjs', 'Illegal return statement'],
    ]);
  });

  it('never runs the code it checks', async () => {
    const marker = join(dir, 'ran');
    const text = `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'x');\n`;
    expect(await checker.check([{ path: 'x.js', text, goal: 'commonjs' }])).toEqual([]);
    expect(
      await checker.check([
        {
          path: 'x.mjs',
          text: `import fs from 'node:fs';\nfs.writeFileSync(${JSON.stringify(marker)}, 'x');\n`,
          goal: 'module',
        },
      ]),
    ).toEqual([]);
    expect(() => execFileSync('test', ['!', '-e', marker])).not.toThrow();
  });

  it('kills a child that takes longer than its timeout, and says so', async () => {
    // a node that never answers: a script that waits forever stands in for a parser that stalls
    const stall = join(dir, 'stall.sh');
    writeFileSync(stall, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    const slow = makeNodeSyntaxChecker({ nodePath: stall, timeoutMs: 300 });
    const started = Date.now();
    await expect(slow.check([{ path: 'a.js', text: '1', goal: 'commonjs' }])).rejects.toThrow(
      /stopped \(SIGKILL\)/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('rejects when the node it was given cannot start', async () => {
    const missing = makeNodeSyntaxChecker({ nodePath: join(dir, 'no-such-node') });
    await expect(missing.check([{ path: 'a.js', text: '1', goal: 'commonjs' }])).rejects.toThrow(
      /could not start/,
    );
  });

  it("reads `node --check`'s report, and nothing from output that is not one", () => {
    expect(
      readCheckOutput('a.mjs', "[stdin]:4\n  x(;\n    ^\n\nSyntaxError: Unexpected token ';'\n"),
    ).toEqual({
      path: 'a.mjs',
      message: "Unexpected token ';'",
      line: 4,
      column: 5,
    });
    expect(readCheckOutput('a.mjs', 'Error: something else\n')).toBeUndefined();
  });
});
