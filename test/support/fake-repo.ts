import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { RepoEntry, RepoEntryKind, RepoReader } from '../../functions/core/ports/repo-workspace.ts';

/** Content of a fake file: text is stored as UTF-8, bytes as given. */
export type FakeFileContent = string | Uint8Array;

export interface FakeRepoOptions {
  /** symlinks: a path (pointing at `target`, default `../outside`) — read returns the target, as git stores it */
  symlinks?: ReadonlyArray<string | { path: string; target: string }>;
  /** submodule entries (gitlinks): listed, never readable */
  submodules?: readonly string[];
  /** paths among `files` whose mode is 100755 */
  executables?: readonly string[];
}

/** A RepoReader over a fixed tree that also records what was read, for assertions. */
export interface FakeRepo extends RepoReader {
  /** every path passed to readFile, in call order */
  readonly reads: string[];
  /** how many times listFiles was called */
  readonly listCalls: number;
}

/**
 * An in-memory RepoReader typed against the port: `makeFakeRepo({ 'src/app.py': 'print(1)\n' },
 * { symlinks: ['link.py'], submodules: ['vendor/lib'] })`. Paths are taken as given (posix,
 * root-relative); reads return copies, so a caller that mutates bytes cannot change the tree.
 */
export function makeFakeRepo(
  files: Readonly<Record<string, FakeFileContent>>,
  { symlinks = [], submodules = [], executables = [] }: FakeRepoOptions = {},
): FakeRepo {
  const encoder = new TextEncoder();
  const tree = new Map<string, { kind: RepoEntryKind; content?: Uint8Array }>();
  const executable = new Set(executables);
  for (const [path, content] of Object.entries(files)) {
    const bytes = typeof content === 'string' ? encoder.encode(content) : content.slice();
    tree.set(path, { kind: executable.has(path) ? 'executable' : 'file', content: bytes });
  }
  for (const link of symlinks) {
    const { path, target } = typeof link === 'string' ? { path: link, target: '../outside' } : link;
    tree.set(path, { kind: 'symlink', content: encoder.encode(target) });
  }
  for (const path of submodules) tree.set(path, { kind: 'submodule' });
  for (const path of executable) {
    if (!tree.has(path)) throw new Error(`makeFakeRepo: executable ${path} is not among the files`);
  }

  const reads: string[] = [];
  let listCalls = 0;
  return {
    reads,
    get listCalls() {
      return listCalls;
    },
    async listFiles(): Promise<RepoEntry[]> {
      listCalls++;
      return [...tree]
        .map(([path, { kind }]) => ({ path, kind }))
        .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    },
    async readFile(path: string): Promise<Uint8Array | undefined> {
      reads.push(path);
      return tree.get(path)?.content?.slice();
    },
  };
}

/**
 * An application's source kept under test/fixtures/apps/<name>/ (the code that wrote a captured
 * log), as `path → text` for makeFakeRepo or a seeded repository.
 */
export function fixtureApp(name: string): Record<string, string> {
  const root = join(import.meta.dirname, '../fixtures/apps', name);
  const files: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else files[relative(root, path)] = readFileSync(path, 'utf8');
    }
  };
  walk(root);
  return files;
}
