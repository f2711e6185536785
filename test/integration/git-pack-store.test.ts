// The pack indexer and the Map-backed fs against native git: packs written by `git pack-objects`
// (with delta chains), every object compared with `git cat-file`; isomorphic-git writing and
// reading objects through MapFs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import git, { type FsClient } from 'isomorphic-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MapFs } from '../../functions/adapters/git/map-fs.ts';
import {
  applyDelta,
  CorruptPackError,
  hashObject,
  PackStore,
  parseTree,
} from '../../functions/adapters/git/pack-store.ts';
import { commitToBareRepo, createBareRepo, runGit } from '../support/git-server.ts';

let root: string;
let bare: string;
let pack: Buffer;
let oids: string[];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pack-store-'));
  const server = { repoPath: (owner: string, name: string) => join(root, owner, `${name}.git`) };
  const body = Array.from({ length: 300 }, (_, i) => `def f${i}(x):\n    return x * ${i}\n`).join('');
  const files: Record<string, string | Uint8Array> = {
    'bin/data.bin': Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 251),
  };
  for (let i = 0; i < 30; i++)
    files[`src/pkg${i % 4}/mod${i}.py`] = `${body}# variant ${i}\n${body.slice(i * 97)}`;
  await createBareRepo({ server, owner: 'o', name: 'r', files });
  bare = server.repoPath('o', 'r');
  await commitToBareRepo({ bare, branch: 'main', files: { 'src/pkg0/mod0.py': `${body}# edited\n` } });
  oids = runGit(['rev-list', '--objects', '--all'], { cwd: bare })
    .toString()
    .trim()
    .split('\n')
    .map((line) => line.slice(0, 40));
  // deltas against each other (ofs-delta, as servers send them)
  pack = runGit(['pack-objects', '--stdout', '--delta-base-offset', '--depth=50', '--window=50', '-q'], {
    cwd: bare,
    input: `${oids.join('\n')}\n`,
  });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('PackStore', () => {
  it('indexes a native pack with delta chains and reads every object as git cat-file does', () => {
    const store = PackStore.index(pack);
    expect(store.size).toBe(oids.length);
    for (const oid of oids) {
      const object = store.read(oid);
      expect(object).toBeDefined();
      const type = runGit(['cat-file', '-t', oid], { cwd: bare }).toString().trim();
      expect(object?.type).toBe(type);
      expect(hashObject(object?.type ?? 'blob', object?.data ?? Buffer.alloc(0))).toBe(oid);
      expect(object?.data.equals(runGit(['cat-file', type, oid], { cwd: bare }))).toBe(true);
    }
  });

  it('reads ref-delta packs too', () => {
    // without --delta-base-offset, pack-objects names each delta's base by oid
    const refDeltas = runGit(['pack-objects', '--stdout', '--depth=50', '-q'], {
      cwd: bare,
      input: `${oids.join('\n')}\n`,
    });
    const store = PackStore.index(refDeltas);
    for (const oid of oids)
      expect(hashObject(store.read(oid)?.type ?? 'blob', store.read(oid)?.data ?? Buffer.alloc(0))).toBe(oid);
  });

  it('parses trees with six-digit modes like isomorphic-git', () => {
    const store = PackStore.index(pack);
    const head = runGit(['rev-parse', 'main^{tree}'], { cwd: bare }).toString().trim();
    const entries = parseTree(store.tree(head) ?? Buffer.alloc(0));
    expect(entries.map((e) => `${e.mode} ${e.path}`)).toEqual(['040000 bin', '040000 src']);
  });

  it('refuses a pack whose bytes were changed, truncated or not a pack', () => {
    const flipped = Buffer.from(pack);
    flipped[100] = (flipped[100] ?? 0) ^ 0xff;
    expect(() => PackStore.index(flipped)).toThrow(CorruptPackError);
    expect(() => PackStore.index(pack.subarray(0, pack.byteLength - 40))).toThrow(CorruptPackError);
    expect(() => PackStore.index(Buffer.from('not a pack at all, just some text bytes'))).toThrow(
      CorruptPackError,
    );
  });

  it('refuses a delta that copies outside its base', () => {
    // base size 3, result size 4, copy offset 0 size 4
    expect(() => applyDelta(Buffer.from('abc'), Buffer.from([3, 4, 0x90, 4]))).toThrow(CorruptPackError);
    expect(applyDelta(Buffer.from('abc'), Buffer.from([3, 4, 0x90, 3, 1, 0x21])).toString()).toBe('abc!');
  });
});

describe('MapFs', () => {
  it('answers with the error codes isomorphic-git checks for', async () => {
    const fs = new MapFs();
    await expect(fs.readFile('/nope')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(fs.writeFile('/a/b', 'x')).rejects.toMatchObject({ code: 'ENOENT' });
    await fs.mkdir('/a');
    await expect(fs.mkdir('/a')).rejects.toMatchObject({ code: 'EEXIST' });
    await fs.writeFile('/a/b', 'x');
    await expect(fs.readFile('/a')).rejects.toMatchObject({ code: 'EISDIR' });
    await expect(fs.readdir('/a/b')).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(fs.rmdir('/a')).rejects.toMatchObject({ code: 'ENOTEMPTY' });
    expect(await fs.readFile('/a/b', 'utf8')).toBe('x');
    expect(await fs.readdir('/a')).toEqual(['b']);
    expect((await fs.stat('/a')).isDirectory()).toBe(true);
    await fs.unlink('/a/b');
    await fs.rmdir('/a');
    expect(await fs.readdir('/')).toEqual([]);
  });

  it('keeps what isomorphic-git writes: objects, refs, and a pack of them', async () => {
    const fs = new MapFs() as unknown as FsClient;
    const gitdir = '/repo/.git';
    const blob = await git.writeBlob({ fs, gitdir, blob: new TextEncoder().encode('hello\n') });
    expect(blob).toBe(runGit(['hash-object', '--stdin'], { input: 'hello\n' }).toString().trim());
    const tree = await git.writeTree({
      fs,
      gitdir,
      tree: [{ mode: '100644', path: 'a.txt', oid: blob, type: 'blob' }],
    });
    await git.writeRef({ fs, gitdir, ref: 'refs/heads/fix/x', value: tree, force: true });
    expect(await git.resolveRef({ fs, gitdir, ref: 'refs/heads/fix/x' })).toBe(tree);
    expect(new TextDecoder().decode((await git.readBlob({ fs, gitdir, oid: blob })).blob)).toBe('hello\n');
    const { packfile } = await git.packObjects({ fs, gitdir, oids: [blob, tree] });
    const store = PackStore.index(Buffer.from(packfile ?? new Uint8Array()));
    expect(store.has(blob) && store.has(tree)).toBe(true);
  });
});
