import { spawn } from 'node:child_process';
import type { SourceFile, SyntaxChecker, SyntaxFailure } from '../core/ports/syntax-checker.ts';

/**
 * The SyntaxChecker of this very Node.js: V8 compiles each file in a child process, and nothing is
 * ever evaluated (a CommonJS file is compiled as the function Node wraps it in, an ES module is
 * constructed as a `vm.SourceTextModule` and never linked). A child, because V8 parses an ES
 * module only behind `--experimental-vm-modules`, and because a file that takes the parser long
 * is then killed with its process instead of stalling the job. The child gets an empty
 * environment: none of the job's secrets, and no NODE_OPTIONS that could load code into it.
 *
 * V8 gives a CommonJS failure's line in its stack and an ES module's in none: `locate` asks
 * `node --check` for that one file (its source on stdin, as `[stdin]`).
 */
export function makeNodeSyntaxChecker({
  nodePath = process.execPath,
  timeoutMs = 20_000,
}: {
  /** the node binary to run (default: this process's) */
  nodePath?: string;
  /** per child: a check of many files, or one `locate` */
  timeoutMs?: number;
} = {}): SyntaxChecker {
  const check = async (files: readonly SourceFile[]): Promise<SyntaxFailure[]> => {
    if (files.length === 0) return [];
    const { stdout } = await run({
      nodePath,
      args: ['--experimental-vm-modules', '--no-warnings', '-e', CHECK_SCRIPT],
      input: JSON.stringify(files.map(({ text, goal }) => ({ text, goal }))),
      timeoutMs,
      // it exits 0 with its findings on stdout; any other exit is its own failure
      mustSucceed: true,
    });
    const found = JSON.parse(stdout) as { i: number; message: string; line?: number; column?: number }[];
    return found.flatMap(({ i, message, line, column }) => {
      const file = files[i];
      if (!file) return [];
      return [
        {
          path: file.path,
          message,
          ...(line !== undefined ? { line } : {}),
          ...(column !== undefined ? { column } : {}),
        },
      ];
    });
  };
  return {
    check,
    async locate(file) {
      if (file.goal === 'commonjs') return (await check([file]))[0];
      const { code, stderr } = await run({
        nodePath,
        args: ['--input-type=module', '--check'],
        input: file.text,
        timeoutMs,
        mustSucceed: false,
      });
      if (code === 0) return undefined;
      return readCheckOutput(file.path, stderr);
    },
  };
}

/** `node --check`'s report on stderr: `[stdin]:3`, the line, a caret under the column, the error. */
export function readCheckOutput(path: string, stderr: string): SyntaxFailure | undefined {
  const lines = stderr.split('\n');
  const at = lines.findIndex((l) => /^\[stdin\]:\d+$/.test(l));
  const error = lines.find((l) => l.startsWith('SyntaxError: '));
  if (!error) return undefined;
  const message = error.slice('SyntaxError: '.length);
  if (at < 0) return { path, message };
  const line = Number((lines[at] as string).slice('[stdin]:'.length));
  const caret = lines[at + 2]?.indexOf('^') ?? -1;
  return caret >= 0 ? { path, message, line, column: caret + 1 } : { path, message, line };
}

// Run in the child (CommonJS, `-e`): reads [{ text, goal }] on stdin, writes the failures as
// [{ i, message, line?, column? }]. A CommonJS file's failure carries Node's own `file:line`,
// source line and caret at the top of its stack; an ES module's carries no position.
const CHECK_SCRIPT = `
const vm = require('node:vm');
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const files = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const out = [];
  files.forEach(({ text, goal }, i) => {
    try {
      if (goal === 'module') new vm.SourceTextModule(text, { identifier: 'file' });
      else vm.compileFunction(text, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: 'file' });
    } catch (error) {
      if (!error || error.name !== 'SyntaxError') throw error;
      const at = /^file:(\\d+)\\n[^\\n]*\\n([ \\t]*)\\^/.exec(String(error.stack));
      out.push(at ? { i, message: error.message, line: Number(at[1]), column: at[2].length + 1 } : { i, message: error.message });
    }
  });
  process.stdout.write(JSON.stringify(out));
});
`;

const MAX_OUTPUT_BYTES = 1024 * 1024;

function run({
  nodePath,
  args,
  input,
  timeoutMs,
  mustSucceed,
}: {
  nodePath: string;
  args: string[];
  input: string;
  timeoutMs: number;
  /** reject on a non-zero exit (a report of its own on stderr otherwise, read by the caller) */
  mustSucceed: boolean;
}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(nodePath, args, { env: {}, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let bytes = 0;
    const keep = (into: Buffer[]) => (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= MAX_OUTPUT_BYTES) into.push(chunk);
      else child.kill('SIGKILL');
    };
    child.stdout.on('data', keep(out));
    child.stderr.on('data', keep(err));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`the syntax check could not start ${nodePath}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (signal) {
        reject(
          new Error(
            `the syntax check was stopped (${signal}) after ${timeoutMs} ms or ${MAX_OUTPUT_BYTES} bytes of output`,
          ),
        );
        return;
      }
      if (mustSucceed && code !== 0) {
        reject(new Error(`the syntax check failed (exit ${code}): ${stderr.slice(0, 500)}`));
        return;
      }
      resolve({ code: code ?? 0, stdout, stderr });
    });
    // a child that exits early closes stdin: its exit code says what happened, not EPIPE
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}
