import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FixVerifier, VerificationResult } from '../../core/ports/fix-verifier.ts';
import type { RepoReader } from '../../core/ports/repo-workspace.ts';

/** How long a test run may take before its whole process group is killed (10 minutes). */
export const DEFAULT_TEST_TIMEOUT_MS = 10 * 60 * 1000;
/** Bytes of output kept: the end, where test runners summarise failures. */
export const DEFAULT_TEST_OUTPUT_BYTES = 64 * 1024;

/** Settings the test command never sees: a test suite (or a prompt-injected fix) could print or send them. */
const WITHHELD_ENV =
  /^(?:GITHUB_TOKEN|GH_TOKEN|ANTHROPIC_API_KEY|SMTP_PASSWORD|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN)$/;

export interface CommandFixVerifierOptions {
  /** a shell command line, e.g. `pytest -q` or `npm ci && npm test` */
  command: string;
  timeoutMs?: number;
  maxOutputBytes?: number;
  /** where the temporary checkouts are made (default the OS temp folder) */
  tempRoot?: string;
  /** the environment of the command, secrets of ai-ops' own removed (default process.env) */
  env?: Readonly<Record<string, string | undefined>>;
  /** after SIGTERM at the time limit, SIGKILL follows this much later */
  killGraceMs?: number;
  /** keep the temporary checkout (for debugging a test command) */
  keep?: boolean;
}

/**
 * `AI_OPS_TEST_COMMAND` as a FixVerifier: writes the committed tree (the in-memory clone, so
 * what is tested is exactly what would be pushed) to a fresh temporary folder, runs the command
 * there through `/bin/sh -c` in its own process group, keeps the end of its output, and kills
 * the whole group at the time limit. Exit 0 passes; 126/127 (the shell could not run it) and a
 * checkout that could not be written are `not_run`.
 */
export function makeCommandFixVerifier({
  command,
  timeoutMs = DEFAULT_TEST_TIMEOUT_MS,
  maxOutputBytes = DEFAULT_TEST_OUTPUT_BYTES,
  tempRoot = tmpdir(),
  env = process.env,
  killGraceMs = 2000,
  keep = false,
}: CommandFixVerifierOptions): FixVerifier {
  return {
    command,
    async verify({ tree, commit }) {
      const started = Date.now();
      let dir: string | undefined;
      try {
        dir = await mkdtemp(join(tempRoot, `ai-ops-test-${commit.slice(0, 8)}-`));
        await materializeTree({ tree, dir });
      } catch (error: unknown) {
        if (dir && !keep) await rm(dir, { recursive: true, force: true });
        return { kind: 'not_run', detail: `the checkout could not be written: ${messageOf(error)}` };
      }
      try {
        const run = await runCommand({
          command,
          cwd: dir,
          env: withoutSecrets(env),
          timeoutMs,
          maxOutputBytes,
          killGraceMs,
        });
        return toResult(run, Date.now() - started);
      } finally {
        if (!keep) await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Writes every file of the tree under `dir` (executables 0755, symlinks as links; submodules have no content here). */
export async function materializeTree({ tree, dir }: { tree: RepoReader; dir: string }): Promise<number> {
  const entries = await tree.listFiles();
  const made = new Set<string>();
  let written = 0;
  for (const entry of entries) {
    if (entry.kind === 'submodule') continue;
    const content = await tree.readFile(entry.path);
    if (content === undefined) continue;
    const target = join(dir, ...entry.path.split('/'));
    const parent = dirname(target);
    if (!made.has(parent)) {
      await mkdir(parent, { recursive: true });
      made.add(parent);
    }
    if (entry.kind === 'symlink') await symlink(Buffer.from(content).toString('utf8'), target);
    else {
      await writeFile(target, content);
      if (entry.kind === 'executable') await chmod(target, 0o755);
    }
    written++;
  }
  return written;
}

interface CommandRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  output: string;
  spawnError?: Error;
}

function runCommand({
  command,
  cwd,
  env,
  timeoutMs,
  maxOutputBytes,
  killGraceMs,
}: {
  command: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  maxOutputBytes: number;
  killGraceMs: number;
}): Promise<CommandRun> {
  return new Promise((resolve) => {
    // Its own process group (detached), so the time limit kills what the command started too
    // (a test runner's workers, a dev server a test forgot), not just the shell.
    const child = spawn('/bin/sh', ['-c', command], {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = new TailBuffer(maxOutputBytes);
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), killGraceMs);
    }, timeoutMs);
    let settled = false;
    const finish = (run: Omit<CommandRun, 'output' | 'timedOut'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      resolve({ ...run, timedOut, output: output.text() });
    };
    child.on('error', (spawnError) => finish({ exitCode: null, signal: null, spawnError }));
    // Whatever the shell left running in its group goes with it: a leftover holding the pipes
    // open would otherwise keep the run waiting until the time limit.
    child.on('exit', () => killGroup('SIGKILL'));
    child.on('close', (exitCode, signal) => finish({ exitCode, signal }));
  });
}

function toResult(run: CommandRun, durationMs: number): VerificationResult {
  if (run.spawnError)
    return { kind: 'not_run', detail: `the shell could not start: ${run.spawnError.message}` };
  if (run.timedOut) return { kind: 'failed', reason: 'timeout', output: run.output, durationMs };
  if (run.exitCode === 0) return { kind: 'passed', durationMs };
  if (run.exitCode === 126 || run.exitCode === 127)
    return {
      kind: 'not_run',
      detail: `the shell could not run it (exit ${run.exitCode}): ${run.output.trim().slice(-500)}`,
    };
  return {
    kind: 'failed',
    reason: 'exit_code',
    ...(run.exitCode !== null ? { exitCode: run.exitCode } : {}),
    output: run.signal ? `${run.output}\n[killed by ${run.signal}]` : run.output,
    durationMs,
  };
}

function withoutSecrets(env: Readonly<Record<string, string | undefined>>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env))
    if (value !== undefined && !WITHHELD_ENV.test(name)) out[name] = value;
  return out;
}

/** The last `max` bytes of a stream, without holding more than twice that. */
class TailBuffer {
  readonly #max: number;
  #chunks: Buffer[] = [];
  #size = 0;
  #dropped = 0;
  constructor(max: number) {
    this.#max = max;
  }
  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    if (this.#size > 2 * this.#max) {
      const joined = Buffer.concat(this.#chunks);
      this.#dropped += joined.length - this.#max;
      this.#chunks = [joined.subarray(joined.length - this.#max)];
      this.#size = this.#max;
    }
  }
  text(): string {
    const joined = Buffer.concat(this.#chunks);
    const kept = joined.length > this.#max ? joined.subarray(joined.length - this.#max) : joined;
    const dropped = this.#dropped + (joined.length - kept.length);
    return `${dropped > 0 ? `[${dropped} earlier bytes cut]\n` : ''}${kept.toString('utf8')}`;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
