import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStateDatabase, SqliteIncidentStore } from '../../functions/adapters/sqlite-incident-store.ts';
import type { Incident } from '../../functions/core/contracts.ts';
import { APP_PY, RECORDED_TRACEBACK, recordedConversation } from '../demo/shop-app.ts';
import { type AnthropicStandIn, startAnthropicStandIn } from '../support/anthropic-stand-in.ts';
import { createBareRepo, type GitServer, runGit, startGitServer } from '../support/git-server.ts';
import {
  bareRepoBranchResolver,
  type GitHubStandIn,
  startGitHubStandIn,
} from '../support/github-stand-in.ts';
import { type SmtpStandIn, startSmtpStandIn } from '../support/smtp-server.ts';

/**
 * The fault suite's world, from the outside: a real `ai-ops watch` child process against the
 * git, GitHub, Anthropic and SMTP stand-ins, killed with SIGKILL at a chosen step and started
 * again. What counts is what the stand-ins and the mail sink hold, and the exit codes.
 */
export const TOKEN = 'faults-token-not-a-secret';
const BIN = join(import.meta.dirname, '../../functions/local/bin/ai-ops.mjs');

export interface FaultWorld {
  git: GitServer;
  github: GitHubStandIn;
  smtp: SmtpStandIn;
  anthropic: AnthropicStandIn;
  dir: string;
  log: string;
  owner: string;
  name: string;
  close(): Promise<void>;
}

let counter = 0;

/** A fresh application (repo, log with one Python traceback), stand-ins and state directory. */
export async function makeFaultWorld({ conversations = 2 } = {}): Promise<FaultWorld> {
  const git = await startGitServer({ token: TOKEN });
  const github = await startGitHubStandIn({
    tokens: [TOKEN],
    gitOrigin: git.url,
    resolveBranch: bareRepoBranchResolver({ dirFor: git.repoPath }),
  });
  const smtp = await startSmtpStandIn();
  // By default twice the conversation: a second model call would still find a script (and be counted).
  const anthropic = await startAnthropicStandIn({
    script: Array.from({ length: conversations }, () => recordedConversation()).flat(),
  });
  const owner = 'faults';
  const name = `shop${++counter}`;
  await createBareRepo({ server: git, owner, name, files: { 'app.py': APP_PY } });
  github.addRepo({ owner, repo: name });
  const dir = mkdtempSync(join(tmpdir(), 'ai-ops-faults-'));
  const log = join(dir, 'app.log');
  writeFileSync(log, RECORDED_TRACEBACK.replaceAll('{APP}', join(dir, 'app')));
  return {
    git,
    github,
    smtp,
    anthropic,
    dir,
    log,
    owner,
    name,
    close: async () => {
      await Promise.allSettled([github.close(), git.close(), smtp.close(), anthropic.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface WatchRun {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `ai-ops watch --once` on the world's log as a child process. */
export function startWatch(world: FaultWorld, { smtpPort = world.smtp.port } = {}): WatchRun {
  const child = spawn(process.execPath, [BIN, 'watch', '--once', '--quiet-ms', '20', world.log], {
    cwd: world.dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: world.dir,
      GITHUB_TOKEN: TOKEN,
      GITHUB_REPO: `${world.owner}/${world.name}`,
      GITHUB_API_URL: world.github.baseUrl,
      ANTHROPIC_API_KEY: 'sk-ant-fake-key-for-the-stand-in',
      ANTHROPIC_BASE_URL: world.anthropic.url,
      AI_OPS_STATE: join(world.dir, 'state.db'),
      AI_OPS_MAIL: 'smtp',
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtpPort),
      SMTP_FROM: 'ai-ops@shop.example',
      SMTP_TO: 'oncall@shop.example',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exited };
}

/** Waits until `condition` holds (polling), or fails naming `what` and the child's output. */
export async function until(
  condition: () => boolean,
  { what, run, timeoutMs = 60_000 }: { what: string; run?: WatchRun; timeoutMs?: number },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}${run ? `\n--- ai-ops output ---\n${run.output()}` : ''}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** SIGKILL: no handler runs, nothing is flushed — what a crash or the OOM killer does. */
export async function killHard(
  run: WatchRun,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  run.child.kill('SIGKILL');
  return run.exited;
}

/** The fix branches in the bare repository (native git, not ai-ops' view). */
export function fixBranches(world: FaultWorld): string[] {
  return runGit(['for-each-ref', '--format=%(refname:short)', 'refs/heads/fix/'], {
    cwd: world.git.repoPath(world.owner, world.name),
  })
    .toString()
    .split('\n')
    .filter((line) => line !== '');
}

/** The incidents in the world's state file, read the way `ai-ops` reads them. */
export function readIncidents(world: FaultWorld): Incident[] {
  const database = openStateDatabase({ path: join(world.dir, 'state.db') });
  try {
    return new SqliteIncidentStore({ database }).list();
  } finally {
    database.close();
  }
}

/** The Message-ID header of a received message. */
export function messageIdOf(data: string): string | undefined {
  return /^Message-ID:\s*(\S+)/im.exec(data)?.[1];
}

/** A TCP port nothing listens on (bound, then released): an SMTP server that is down. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
