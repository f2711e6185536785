import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FsClient } from 'isomorphic-git';
import { createFsFromVolume, Volume } from 'memfs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cloneWorkspace,
  GitAuthError,
  GitNotFoundError,
  GitPushRejectedError,
  GitRefRefusedError,
  gitUrlFromApiUrl,
  isRetryableGitError,
  remoteBranchHead,
} from '../../functions/adapters/git-workspace.ts';
import {
  commitToBareRepo,
  createBareRepo,
  type GitServer,
  readBlobAt,
  readBranchHead,
  runGit,
  startGitServer,
} from '../support/git-server.ts';

// obviously fake, built so no scanner mistakes it for a credential
const TOKEN = ['test', 'token', 'not', 'secret'].join('-');
const BOT = { name: 'ai-ops bot', email: 'ai-ops-bot@example.test' };
const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);
const BINARY = Uint8Array.from({ length: 4096 }, (_, i) => (i * 131 + (i >> 3)) % 256);

let server: GitServer;
let base: string;

beforeAll(async () => {
  server = await startGitServer({ token: TOKEN });
  base = await createBareRepo({
    server,
    owner: 'acme',
    name: 'shop',
    files: {
      'src/app.py': 'def total(items):\n    return sum(i.price for i in items)\n',
      'src/win.txt': 'line one\r\nline two\r\n',
      'assets/logo.bin': BINARY,
      'bin/run': { kind: 'executable', content: '#!/bin/sh\necho run\n' },
      'docs/link': { kind: 'symlink', target: '../src/app.py' },
      'vendor/lib': { kind: 'submodule', commit: 'a'.repeat(40) },
    },
  });
});

afterAll(async () => {
  await server?.close();
});

const clone = (overrides: Partial<Parameters<typeof cloneWorkspace>[0]> = {}) =>
  cloneWorkspace({
    url: server.repoUrl('acme', 'shop'),
    branch: 'main',
    token: TOKEN,
    allowedHost: server.host,
    author: BOT,
    ...overrides,
  });

describe('cloneWorkspace', () => {
  it('clones, edits, commits on a fix branch and pushes a commit native git can read', async () => {
    const ws = await clone();
    expect(ws.headCommit).toBe(base);
    expect(decode(await ws.readFile('src/app.py'))).toContain('def total');
    await ws.writeFile(
      'src/app.py',
      encode('def total(items):\n    return sum(i.price for i in items or [])\n'),
    );
    await ws.writeFile('src/new/helper.py', encode('X = 1\n'));
    expect(ws.changedPaths()).toEqual(['src/app.py', 'src/new/helper.py']);

    const commit = await ws.commit({
      branch: 'fix/total-none',
      message: 'fix(ai): handle None',
      author: BOT,
    });
    await ws.push({ branch: 'fix/total-none' });

    const bare = server.repoPath('acme', 'shop');
    expect(readBranchHead(bare, 'fix/total-none')).toEqual({
      commit,
      parents: [base],
      authorName: BOT.name,
      authorEmail: BOT.email,
      subject: 'fix(ai): handle None',
    });
    expect(readBlobAt(bare, 'fix/total-none', 'src/app.py').toString()).toContain('items or []');
    expect(readBlobAt(bare, 'fix/total-none', 'src/new/helper.py').toString()).toBe('X = 1\n');
    // untouched entries keep their bytes and modes
    expect(readBlobAt(bare, 'fix/total-none', 'assets/logo.bin').equals(Buffer.from(BINARY))).toBe(true);
    expect(readBranchHead(bare, 'main')?.commit).toBe(base);
    expect(
      await remoteBranchHead({
        url: server.repoUrl('acme', 'shop'),
        token: TOKEN,
        allowedHost: server.host,
        branch: 'fix/total-none',
      }),
    ).toBe(commit);
  });

  it('resumes an already-pushed fix branch and adds a commit on top', async () => {
    const first = await clone();
    await first.writeFile('src/app.py', encode('# attempt 1\n'));
    const one = await first.commit({ branch: 'fix/resume', message: 'fix(ai): one', author: BOT });
    await first.push({ branch: 'fix/resume' });

    const probe = await clone();
    const head = await probe.remoteBranchHead('fix/resume');
    expect(head).toBe(one);
    const second = await clone({ branch: 'fix/resume' });
    expect(second.headCommit).toBe(one);
    expect(decode(await second.readFile('src/app.py'))).toBe('# attempt 1\n');
    await second.writeFile('src/app.py', encode('# attempt 2\n'));
    const two = await second.commit({ branch: 'fix/resume', message: 'fix(ai): two', author: BOT });
    await second.push({ branch: 'fix/resume' });

    const bare = server.repoPath('acme', 'shop');
    expect(readBranchHead(bare, 'fix/resume')).toMatchObject({ commit: two, parents: [one] });
    expect(readBlobAt(bare, 'fix/resume', 'src/app.py').toString()).toBe('# attempt 2\n');
  });

  it('lists files with their kinds, including symlinks and submodules', async () => {
    const ws = await clone();
    expect(await ws.listFiles()).toEqual([
      { path: 'assets/logo.bin', kind: 'file' },
      { path: 'bin/run', kind: 'executable' },
      { path: 'docs/link', kind: 'symlink' },
      { path: 'src/app.py', kind: 'file' },
      { path: 'src/win.txt', kind: 'file' },
      { path: 'vendor/lib', kind: 'submodule' },
    ]);
    expect(await ws.readFile('vendor/lib')).toBeUndefined();
    expect(await ws.readFile('missing.txt')).toBeUndefined();
    await expect(ws.writeFile('../escape', encode('x'))).rejects.toMatchObject({ code: 'git_invalid_path' });
    await expect(ws.writeFile('.git/config', encode('x'))).rejects.toMatchObject({
      code: 'git_invalid_path',
    });
  });

  it('round-trips binary and CRLF files byte for byte and keeps the executable bit', async () => {
    const ws = await clone();
    expect(await ws.readFile('assets/logo.bin')).toEqual(BINARY);
    const crlf = await ws.readFile('src/win.txt');
    expect(decode(crlf)).toBe('line one\r\nline two\r\n');
    await ws.writeFile('src/win.txt', encode('line one\r\nline 2\r\n'));
    await ws.writeFile('bin/run', encode('#!/bin/sh\necho fixed\n'));
    await ws.commit({ branch: 'fix/bytes', message: 'fix(ai): bytes', author: BOT });
    await ws.push({ branch: 'fix/bytes' });

    const bare = server.repoPath('acme', 'shop');
    expect(readBlobAt(bare, 'fix/bytes', 'src/win.txt').toString('latin1')).toBe('line one\r\nline 2\r\n');
    expect(readBlobAt(bare, 'fix/bytes', 'assets/logo.bin').equals(Buffer.from(BINARY))).toBe(true);
    const again = await clone({ branch: 'fix/bytes' });
    expect((await again.listFiles()).find((e) => e.path === 'bin/run')?.kind).toBe('executable');
  });

  it('rejects a wrong token with GitAuthError', async () => {
    const error = await clone({ token: 'wrong-token' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitAuthError);
    expect(isRetryableGitError(error)).toBe(false);
  });

  it('reports a missing repository or branch as GitNotFoundError', async () => {
    await expect(clone({ url: server.repoUrl('acme', 'nope') })).rejects.toBeInstanceOf(GitNotFoundError);
    await expect(clone({ branch: 'no-such-branch' })).rejects.toBeInstanceOf(GitNotFoundError);
  });

  it('never sends the token to a host other than the configured one', async () => {
    const other = await startGitServer({ token: TOKEN });
    try {
      await createBareRepo({ server: other, owner: 'acme', name: 'shop', files: { 'a.txt': 'a\n' } });
      const error = await cloneWorkspace({
        url: other.repoUrl('acme', 'shop'),
        branch: 'main',
        token: TOKEN,
        allowedHost: server.host,
        author: BOT,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GitAuthError);
      expect(other.requests.length).toBeGreaterThan(0);
      expect(other.requests.filter((r) => r.authorization !== undefined)).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('turns a pre-receive hook refusal into GitPushRejectedError', async () => {
    const bare = server.repoPath('acme', 'shop');
    const hook = join(bare, 'hooks', 'pre-receive');
    await writeFile(hook, '#!/bin/sh\necho "protected by policy" >&2\nexit 1\n', { mode: 0o755 });
    try {
      const ws = await clone();
      await ws.writeFile('src/app.py', encode('# hooked\n'));
      await ws.commit({ branch: 'fix/hooked', message: 'fix(ai): hooked', author: BOT });
      const error = await ws.push({ branch: 'fix/hooked' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GitPushRejectedError);
      expect(readBranchHead(bare, 'fix/hooked')).toBeUndefined();
    } finally {
      await writeFile(hook, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    }
  });

  it('refuses a non-fast-forward push when the fix branch moved on the remote', async () => {
    const ours = await clone();
    const theirs = await clone();
    await ours.writeFile('src/app.py', encode('# ours\n'));
    await ours.commit({ branch: 'fix/raced', message: 'fix(ai): ours', author: BOT });
    await theirs.writeFile('src/app.py', encode('# theirs\n'));
    const winner = await theirs.commit({ branch: 'fix/raced', message: 'fix(ai): theirs', author: BOT });
    await theirs.push({ branch: 'fix/raced' });

    const error = await ours.push({ branch: 'fix/raced' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitPushRejectedError);
    expect(isRetryableGitError(error)).toBe(true);
    expect(readBranchHead(server.repoPath('acme', 'shop'), 'fix/raced')?.commit).toBe(winner);
  });
});

describe('cloneWorkspace over other file systems and packs', () => {
  it('works the same with memfs holding the written objects', async () => {
    const ws = await clone({ fs: createFsFromVolume(new Volume()) as unknown as FsClient });
    await ws.writeFile('src/app.py', encode('# over memfs\n'));
    const commit = await ws.commit({ branch: 'fix/memfs', message: 'fix(ai): memfs', author: BOT });
    await ws.push({ branch: 'fix/memfs' });
    const bare = server.repoPath('acme', 'shop');
    expect(readBranchHead(bare, 'fix/memfs')?.commit).toBe(commit);
    expect(readBlobAt(bare, 'fix/memfs', 'src/app.py').toString()).toBe('# over memfs\n');
  });

  it('reads every file of a pack full of deltas byte for byte as native git does', async () => {
    // similar files make git store most of them as deltas of one another (ofs-delta chains)
    const files: Record<string, string> = {};
    const body = Array.from({ length: 200 }, (_, i) => `line ${i} of a long shared module body\n`).join('');
    for (let i = 0; i < 40; i++)
      files[`pkg/m${i % 7}/file${i}.txt`] = `${body}variant ${i}\n${body.slice(0, i * 50)}`;
    await createBareRepo({ server, owner: 'acme', name: 'deltas', files });
    await commitToBareRepo({
      bare: server.repoPath('acme', 'deltas'),
      branch: 'main',
      files: { 'pkg/m0/file0.txt': `${body}changed\n` },
    });
    runGit(['repack', '-adq', '--depth=50'], { cwd: server.repoPath('acme', 'deltas') });
    const ws = await clone({ url: server.repoUrl('acme', 'deltas') });
    const listed = await ws.listFiles();
    expect(listed.map((e) => e.path)).toEqual(Object.keys(files).sort());
    for (const { path } of listed) {
      const native = readBlobAt(server.repoPath('acme', 'deltas'), 'main', path);
      expect(Buffer.from((await ws.readFile(path)) ?? new Uint8Array()).equals(native)).toBe(true);
    }
  });

  it('lists a file written since the clone, once per change', async () => {
    const ws = await clone();
    const before = await ws.listFiles();
    await ws.writeFile('src/added.py', encode('A = 1\n'));
    const after = await ws.listFiles();
    expect(after.length).toBe(before.length + 1);
    expect(after.find((e) => e.path === 'src/added.py')).toEqual({ path: 'src/added.py', kind: 'file' });
    // the caller may change what it gets without changing the workspace
    after.length = 0;
    expect((await ws.listFiles()).length).toBe(before.length + 1);
  });
});

describe('push ref guard', () => {
  it.each([
    ['main', 'the base branch'],
    ['feature/x', 'not a fix branch'],
    ['fix', 'no fix/ prefix'],
    ['fixed/x', 'a look-alike prefix'],
  ])('refuses to push %s (%s) before talking to the server', async (branch) => {
    const ws = await clone();
    await ws.writeFile('src/app.py', encode('# nope\n'));
    await ws.commit({ branch, message: 'fix(ai): nope', author: BOT });
    const pushesBefore = server.requests.filter((r) => r.path.includes('receive-pack')).length;
    const error = await ws.push({ branch }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitRefRefusedError);
    expect(error).toMatchObject({ code: 'git_ref_refused', ref: `refs/heads/${branch}` });
    expect(isRetryableGitError(error)).toBe(false);
    expect(server.requests.filter((r) => r.path.includes('receive-pack')).length).toBe(pushesBefore);
    expect(readBranchHead(server.repoPath('acme', 'shop'), 'main')?.commit).toBe(base);
  });

  it('refuses the base branch even when it is named like a fix branch', async () => {
    const ws = await clone({ baseBranch: 'fix/base' });
    await ws.writeFile('src/app.py', encode('# base\n'));
    await ws.commit({ branch: 'fix/base', message: 'fix(ai): base', author: BOT });
    await expect(ws.push({ branch: 'fix/base' })).rejects.toBeInstanceOf(GitRefRefusedError);
  });
});

describe('gitUrlFromApiUrl', () => {
  it('maps GitHub, GitHub Enterprise Server and a prefixed stand-in to clone URLs', () => {
    expect(gitUrlFromApiUrl('https://api.github.com', 'o', 'n')).toBe('https://github.com/o/n.git');
    expect(gitUrlFromApiUrl('https://ghe.example.com/api/v3/', 'o', 'n')).toBe(
      'https://ghe.example.com/o/n.git',
    );
    expect(gitUrlFromApiUrl('http://127.0.0.1:8080/api', 'o', 'n')).toBe('http://127.0.0.1:8080/o/n.git');
  });
});
