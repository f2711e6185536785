// A local git smart-HTTP stand-in: node's http server in front of `git http-backend` (CGI),
// with GitHub-style Basic auth (`x-access-token:<token>`). Repositories live under
// `<root>/<owner>/<name>.git` and are served at `/<owner>/<name>.git`.
import { spawn, spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface GitRequestLogEntry {
  method: string;
  path: string;
  /** the raw Authorization header, when the client sent one */
  authorization: string | undefined;
  status: number;
}

export interface GitServer {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** `host:port`, what a workspace's `allowedHost` must equal to get the token */
  host: string;
  root: string;
  requests: GitRequestLogEntry[];
  repoUrl(owner: string, name: string): string;
  /** absolute path of the bare repository behind `/<owner>/<name>.git` */
  repoPath(owner: string, name: string): string;
  close(): Promise<void>;
}

export interface StartGitServerOptions {
  /** directory that holds `<owner>/<name>.git`; a fresh temp dir when omitted (removed on close) */
  root?: string;
  /** when set, every request needs Basic auth with password = token; when omitted, anonymous access */
  token?: string;
}

export const TEST_GIT_USERNAME = 'x-access-token';

export async function startGitServer({ root, token }: StartGitServerOptions = {}): Promise<GitServer> {
  const ownsRoot = root === undefined;
  const repoRoot = root ?? (await mkdtemp(join(tmpdir(), 'git-server-')));
  const requests: GitRequestLogEntry[] = [];
  const expected =
    token === undefined
      ? undefined
      : `Basic ${Buffer.from(`${TEST_GIT_USERNAME}:${token}`).toString('base64')}`;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const entry: GitRequestLogEntry = {
      method: req.method ?? 'GET',
      path: url.pathname + url.search,
      authorization: req.headers.authorization,
      status: 0,
    };
    requests.push(entry);
    res.on('finish', () => {
      entry.status = res.statusCode;
    });
    if (expected !== undefined && req.headers.authorization !== expected) {
      req.resume();
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="test git"', 'Content-Type': 'text/plain' });
      res.end('authentication required\n');
      return;
    }
    runBackend({
      req,
      res,
      url,
      root: repoRoot,
      user: expected === undefined ? 'anonymous' : TEST_GIT_USERNAME,
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    host: `127.0.0.1:${port}`,
    root: repoRoot,
    requests,
    repoUrl: (owner, name) => `${base}/${owner}/${name}.git`,
    repoPath: (owner, name) => join(repoRoot, owner, `${name}.git`),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownsRoot) await rm(repoRoot, { recursive: true, force: true });
    },
  };
}

function runBackend(options: {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  root: string;
  user: string;
}): void {
  const { req, res, url, root, user } = options;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: root,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    REQUEST_METHOD: req.method ?? 'GET',
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    CONTENT_LENGTH: req.headers['content-length'] ?? '',
    HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
    GIT_PROTOCOL: typeof req.headers['git-protocol'] === 'string' ? req.headers['git-protocol'] : '',
    // http-backend enables receive-pack for an authenticated user
    REMOTE_USER: user,
    REMOTE_ADDR: '127.0.0.1',
  };
  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  req.pipe(child.stdin);
  child.stdin.on('error', () => {});
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const crlf = head.indexOf('\r\n\r\n');
    const lf = head.indexOf('\n\n');
    const end = crlf !== -1 && (lf === -1 || crlf < lf) ? crlf + 4 : lf !== -1 ? lf + 2 : -1;
    if (end === -1) return;
    headersDone = true;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else headers[name] = value;
    }
    res.writeHead(status, headers);
    res.write(head.subarray(end));
  });
  child.on('close', (code) => {
    if (!headersDone) {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`git http-backend exited ${code}: ${stderr}`);
      return;
    }
    res.end();
  });
}

/** One entry of a repository built with {@link createBareRepo}. */
export type RepoFileSpec =
  | string
  | Uint8Array
  | { kind: 'executable'; content: string | Uint8Array }
  | { kind: 'symlink'; target: string }
  | { kind: 'submodule'; commit: string };

export const TEST_AUTHOR = { name: 'Test Author', email: 'author@example.test' };

const gitEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
  GIT_AUTHOR_NAME: TEST_AUTHOR.name,
  GIT_AUTHOR_EMAIL: TEST_AUTHOR.email,
  GIT_COMMITTER_NAME: TEST_AUTHOR.name,
  GIT_COMMITTER_EMAIL: TEST_AUTHOR.email,
});

/**
 * Runs native git on local paths, failing loudly; returns stdout. Synchronous, so never use it
 * against a server running in the same process (the server could not answer): use runGitAsync.
 */
export function runGit(args: string[], options: { cwd?: string; input?: string } = {}): Buffer {
  const result = spawnSync('git', args, {
    cwd: options.cwd,
    input: options.input,
    maxBuffer: 1 << 30,
    env: gitEnv(),
  });
  if (result.status !== 0) {
    throw new Error(`git ${args.join(' ')} failed (${result.status}): ${result.stderr?.toString()}`);
  }
  return result.stdout;
}

/** Runs native git without blocking the event loop (for talking to an in-process server). */
export function runGitAsync(args: string[], options: { cwd?: string } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd: options.cwd, env: gitEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`git ${args.join(' ')} failed (${code}): ${err}`));
    });
  });
}

/**
 * Builds `<server root>/<owner>/<name>.git` with native git from a map of files, as one commit on
 * `branch` (further commits with {@link commitToBareRepo}). Returns the commit id.
 */
export async function createBareRepo(options: {
  server: Pick<GitServer, 'repoPath'>;
  owner: string;
  name: string;
  files: Record<string, RepoFileSpec>;
  branch?: string;
  message?: string;
}): Promise<string> {
  const { server, owner, name, files, branch = 'main', message = 'initial commit' } = options;
  const bare = server.repoPath(owner, name);
  await mkdir(dirname(bare), { recursive: true });
  runGit(['init', '--quiet', '--bare', `--initial-branch=${branch}`, bare]);
  runGit(['config', 'http.receivepack', 'true'], { cwd: bare });
  return commitToBareRepo({ bare, branch, files, message, parent: false });
}

/** Adds a commit with `files` (added or replaced) on top of `branch` of a bare repository. */
export async function commitToBareRepo(options: {
  bare: string;
  branch: string;
  files: Record<string, RepoFileSpec>;
  message?: string;
  /** false for the first commit of a new repository */
  parent?: boolean;
}): Promise<string> {
  const { bare, branch, files, message = 'update', parent = true } = options;
  const work = await mkdtemp(join(tmpdir(), 'git-work-'));
  try {
    if (parent) runGit(['clone', '--quiet', '--branch', branch, bare, work]);
    else runGit(['init', '--quiet', `--initial-branch=${branch}`, work]);
    runGit(['config', 'core.autocrlf', 'false'], { cwd: work });
    const gitlinks: string[] = [];
    for (const [path, spec] of Object.entries(files)) {
      const full = join(work, path);
      await mkdir(dirname(full), { recursive: true });
      if (typeof spec === 'string' || spec instanceof Uint8Array) {
        await writeFile(full, spec);
      } else if (spec.kind === 'executable') {
        await writeFile(full, spec.content);
        await chmod(full, 0o755);
      } else if (spec.kind === 'symlink') {
        await symlink(spec.target, full);
      } else {
        gitlinks.push(`160000,${spec.commit},${path}`);
      }
    }
    runGit(['add', '--all'], { cwd: work });
    for (const info of gitlinks) runGit(['update-index', '--add', '--cacheinfo', info], { cwd: work });
    runGit(['commit', '--quiet', '--allow-empty', '-m', message], { cwd: work });
    runGit(['push', '--quiet', bare, `HEAD:refs/heads/${branch}`], { cwd: work });
    return runGit(['rev-parse', 'HEAD'], { cwd: work }).toString().trim();
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export interface BranchCommit {
  commit: string;
  parents: string[];
  authorName: string;
  authorEmail: string;
  subject: string;
}

/** Reads the head commit of `branch` of a bare repository with native git, or undefined when absent. */
export function readBranchHead(bare: string, branch: string): BranchCommit | undefined {
  const exists = spawnSync('git', [
    '--git-dir',
    bare,
    'rev-parse',
    '--verify',
    '--quiet',
    `refs/heads/${branch}`,
  ]);
  if (exists.status !== 0) return undefined;
  const out = runGit([
    '--git-dir',
    bare,
    'log',
    '-1',
    '--format=%H%n%P%n%an%n%ae%n%s',
    `refs/heads/${branch}`,
  ])
    .toString()
    .split('\n');
  return {
    commit: out[0] ?? '',
    parents: (out[1] ?? '').split(' ').filter(Boolean),
    authorName: out[2] ?? '',
    authorEmail: out[3] ?? '',
    subject: out[4] ?? '',
  };
}

/** The bytes of `path` at `ref` of a bare repository, read with native git. */
export function readBlobAt(bare: string, ref: string, path: string): Buffer {
  return runGit(['--git-dir', bare, 'cat-file', 'blob', `${ref}:${path}`]);
}

/** Paths changed between two commits, read with native git. */
export function changedPathsBetween(bare: string, from: string, to: string): string[] {
  return runGit(['--git-dir', bare, 'diff', '--name-only', from, to]).toString().split('\n').filter(Boolean);
}
