// The analyzer's working copy: a shallow, single-branch clone held in memory that never checks
// out. Checking out (and committing through the index) walks every tree and writes every blob;
// on a 13k-object repository that alone was ~9x native git. Instead the fetched pack is indexed
// once (git/pack-store.ts: synchronous SHA-1 and inflate, trees kept parsed), files are read
// lazily from it, and a commit writes only the changed blobs and the trees on their paths (leaf
// to root) through isomorphic-git into a small Map-backed fs, so its cost grows with the change.
import git, { type FsClient, type HttpClient, type TreeEntry } from 'isomorphic-git';
import nodeHttp from 'isomorphic-git/http/node';
import type { GitIdentity, RepoEntry, RepoEntryKind, RepoWorkspace } from '../core/ports/repo-workspace.ts';
import { discoverRefs, fetchPack } from './git/fetch-pack.ts';
import { GitInvalidPathError, GitRefRefusedError } from './git/git-errors.ts';
import { withIdleTimeout } from './git/idle-timeout-http.ts';
import { MapFs } from './git/map-fs.ts';
import { PackStore, parseTree } from './git/pack-store.ts';
import { pushObjects } from './git/push-objects.ts';
import { toGitError } from './git/to-git-error.ts';

export {
  GitAuthError,
  GitInvalidPathError,
  GitNotFoundError,
  GitPushRejectedError,
  GitRefRefusedError,
  GitTransientError,
  GitWorkspaceError,
  isRetryableGitError,
} from './git/git-errors.ts';

/** GitHub's convention for a token used over HTTPS Basic auth. */
const TOKEN_USERNAME = 'x-access-token';
const GITDIR = '/repo/.git';
const MODE_FILE = '100644';
const MODE_EXECUTABLE = '100755';
const MODE_SYMLINK = '120000';
const MODE_SUBMODULE = '160000';
const MODE_TREE = '040000';
/** the only branches the workspace pushes: the fix branches it names (render-pull-request.ts) */
const FIX_BRANCH = /^fix\/[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

export interface RemoteOptions {
  /** clone URL, e.g. https://github.com/owner/name.git (never with credentials in it) */
  url: string;
  token?: string;
  /** `host[:port]` the token belongs to; any other host gets no credentials, even after a redirect */
  allowedHost: string;
  http?: HttpClient;
  /** how long the git server may stay silent before the request is given up (withIdleTimeout) */
  idleMs?: number;
}

export interface CloneWorkspaceOptions extends RemoteOptions {
  branch: string;
  /** the repository's base branch: never pushed to, even if it were named `fix/…` */
  baseBranch?: string;
  /** committer of every commit, and author when `commit` is not given one */
  author: GitIdentity;
  /** where the objects and refs the workspace writes live (a fresh MapFs by default) */
  fs?: FsClient;
  depth?: number;
  /** clock for commit timestamps */
  now?: () => Date;
}

/** What the analyzer gets beyond the port: the remote's state and a summary of its changes. */
export interface GitWorkspace extends RepoWorkspace {
  /** the commit the last `commit` made (or `headCommit` before any) */
  readonly tipCommit: string;
  /** paths written since the clone, sorted */
  changedPaths(): string[];
  /** the remote's head of `branch`, or undefined when the remote has no such branch */
  remoteBranchHead(branch: string): Promise<string | undefined>;
}

/**
 * Maps a GitHub REST API base URL to the HTTPS clone URL of a repository. Rule: `api.github.com`
 * becomes `github.com`; otherwise a trailing `/api/v3` (GitHub Enterprise Server) or `/api` (a
 * stand-in mounted under a prefix) is stripped; then `/<owner>/<name>.git` is appended.
 */
export function gitUrlFromApiUrl(apiUrl: string, owner: string, name: string): string {
  const url = new URL(apiUrl);
  if (url.hostname === 'api.github.com') url.hostname = 'github.com';
  const base = url.pathname.replace(/\/+$/, '').replace(/\/api(\/v3)?$/, '');
  return `${url.protocol}//${url.host}${base}/${encodeURIComponent(owner)}/${encodeURIComponent(name)}.git`;
}

/** The Basic credentials for `url`, or undefined when its host is not the configured git host. */
function basicAuthorization({ url, token, allowedHost }: RemoteOptions): string | undefined {
  if (token === undefined || new URL(url).host !== allowedHost.toLowerCase()) return undefined;
  return `Basic ${Buffer.from(`${TOKEN_USERNAME}:${token}`).toString('base64')}`;
}

/** The head commit of `branch` on the remote, or undefined when it has no such branch. */
export async function remoteBranchHead(
  options: RemoteOptions & { branch: string },
): Promise<string | undefined> {
  const { url, http = nodeHttp, idleMs, branch } = options;
  try {
    const { refs } = await discoverRefs({
      http: withIdleTimeout(http, idleMs),
      url,
      authorization: basicAuthorization(options),
      service: 'git-upload-pack',
    });
    return refs.get(`refs/heads/${branch}`);
  } catch (error: unknown) {
    throw toGitError(error, `listing the branches of ${url}`);
  }
}

/** Clones `branch` of `url` shallowly into memory without a checkout. */
export async function cloneWorkspace(options: CloneWorkspaceOptions): Promise<GitWorkspace> {
  const {
    url,
    branch,
    baseBranch,
    token,
    allowedHost,
    author,
    http: transport = nodeHttp,
    idleMs,
    fs = new MapFs() as unknown as FsClient,
    depth = 1,
    now = () => new Date(),
  } = options;
  // one bounded client for the clone and every later push of this workspace
  const http = withIdleTimeout(transport, idleMs);
  let head: string;
  let pack: PackStore;
  try {
    const fetched = await fetchPack({ http, url, authorization: basicAuthorization(options), branch, depth });
    head = fetched.head;
    pack = PackStore.index(fetched.pack);
  } catch (error: unknown) {
    throw toGitError(error, `cloning ${branch} of ${url}`);
  }
  const commit = pack.read(head);
  const rootTree =
    commit?.type === 'commit' ? /^tree ([0-9a-f]{40})/.exec(commit.data.toString('latin1'))?.[1] : undefined;
  if (rootTree === undefined)
    throw toGitError(new Error(`the pack lacks the commit ${head}`), `cloning ${branch} of ${url}`);
  return new MemoryGitWorkspace({
    fs,
    http,
    remote: { url, allowedHost, http: transport, ...(token ? { token } : {}), ...(idleMs ? { idleMs } : {}) },
    pack,
    branch,
    baseBranch,
    head,
    rootTree,
    author,
    now,
  });
}

interface PendingWrite {
  oid: string;
  content: Uint8Array;
}

class MemoryGitWorkspace implements GitWorkspace {
  readonly headCommit: string;
  readonly branch: string;
  #tip: string;
  #rootTree: string;
  readonly #fs: FsClient;
  readonly #http: HttpClient;
  /** isomorphic-git's object cache for the objects the workspace wrote */
  readonly #cache = {};
  readonly #pack: PackStore;
  readonly #baseBranch: string | undefined;
  readonly #url: string;
  readonly #author: GitIdentity;
  readonly #now: () => Date;
  readonly #remote: RemoteOptions;
  readonly #trees = new Map<string, TreeEntry[]>();
  /** the sorted listing, until the next write: the analyzer lists several times per job */
  #listing: RepoEntry[] | undefined;
  /** written but not yet committed, by path */
  readonly #pending = new Map<string, PendingWrite>();
  readonly #changed = new Set<string>();
  /** objects written since the last push: exactly what the remote lacks */
  readonly #unpushed = new Set<string>();
  /** commits of this workspace; the remote branch may be at any of them for a fast-forward */
  readonly #ours = new Set<string>();

  constructor(init: {
    fs: FsClient;
    /** the bounded client for pushes */
    http: HttpClient;
    /** the remote as given, for a later look at its branches */
    remote: RemoteOptions;
    pack: PackStore;
    branch: string;
    baseBranch: string | undefined;
    head: string;
    rootTree: string;
    author: GitIdentity;
    now: () => Date;
  }) {
    this.#fs = init.fs;
    this.#http = init.http;
    this.#pack = init.pack;
    this.#baseBranch = init.baseBranch;
    this.#url = init.remote.url;
    this.branch = init.branch;
    this.headCommit = init.head;
    this.#tip = init.head;
    this.#rootTree = init.rootTree;
    this.#author = init.author;
    this.#now = init.now;
    this.#remote = init.remote;
    this.#ours.add(init.head);
  }

  get tipCommit(): string {
    return this.#tip;
  }

  changedPaths(): string[] {
    return [...this.#changed].sort();
  }

  remoteBranchHead(branch: string): Promise<string | undefined> {
    return remoteBranchHead({ ...this.#remote, branch });
  }

  async listFiles(): Promise<RepoEntry[]> {
    this.#listing ??= await this.#list();
    return [...this.#listing];
  }

  async #list(): Promise<RepoEntry[]> {
    const entries = new Map<string, RepoEntryKind>();
    const walk = async (treeOid: string, prefix: string): Promise<void> => {
      for (const entry of await this.#readTree(treeOid)) {
        const path = prefix + entry.path;
        if (entry.mode === MODE_TREE) await walk(entry.oid, `${path}/`);
        else entries.set(path, kindOf(entry.mode));
      }
    };
    await walk(this.#rootTree, '');
    for (const path of this.#pending.keys()) {
      if (!entries.has(path)) entries.set(path, 'file');
    }
    return [...entries].map(([path, kind]) => ({ path, kind })).sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  async readFile(path: string): Promise<Uint8Array | undefined> {
    const clean = normalizePath(path);
    const pending = this.#pending.get(clean);
    if (pending) return pending.content.slice();
    const entry = await this.#lookup(clean);
    if (!entry || entry.mode === MODE_TREE || entry.mode === MODE_SUBMODULE) return undefined;
    // inflated afresh on every read, so the caller may keep or change it
    const packed = this.#pack.read(entry.oid);
    if (packed) return new Uint8Array(packed.data.buffer, packed.data.byteOffset, packed.data.byteLength);
    const { blob } = await git.readBlob({ fs: this.#fs, gitdir: GITDIR, oid: entry.oid, cache: this.#cache });
    // a copy: the object cache may hold the same buffer
    return blob.slice();
  }

  async writeFile(path: string, content: Uint8Array): Promise<void> {
    const clean = normalizePath(path);
    const existing = await this.#lookup(clean);
    if (existing?.mode === MODE_TREE) throw new GitInvalidPathError(path, 'is a directory');
    if (existing?.mode === MODE_SUBMODULE) throw new GitInvalidPathError(path, 'is a submodule');
    const copy = content.slice();
    const oid = await git.writeBlob({ fs: this.#fs, gitdir: GITDIR, blob: copy });
    this.#pending.set(clean, { oid, content: copy });
    if (!this.#listing?.some((e) => e.path === clean)) this.#listing = undefined;
    this.#unpushed.add(oid);
    this.#changed.add(clean);
  }

  async commit(options: { branch: string; message: string; author: GitIdentity }): Promise<string> {
    const { branch, message, author } = options;
    const changes = new Map<string, string>();
    for (const [path, { oid }] of this.#pending) changes.set(path, oid);
    const tree = await this.#rebuildTree(this.#rootTree, '', changes);
    const seconds = Math.floor(this.#now().getTime() / 1000);
    const stamp = (who: GitIdentity) => ({
      name: who.name,
      email: who.email,
      timestamp: seconds,
      timezoneOffset: 0,
    });
    const oid = await git.writeCommit({
      fs: this.#fs,
      gitdir: GITDIR,
      commit: {
        message: message.endsWith('\n') ? message : `${message}\n`,
        tree,
        parent: [this.#tip],
        author: stamp(author),
        committer: stamp(this.#author),
      },
    });
    await git.writeRef({
      fs: this.#fs,
      gitdir: GITDIR,
      ref: `refs/heads/${branch}`,
      value: oid,
      force: true,
    });
    this.#tip = oid;
    this.#ours.add(oid);
    this.#unpushed.add(oid);
    this.#rootTree = tree;
    this.#pending.clear();
    return oid;
  }

  async push(options: { branch: string }): Promise<void> {
    const { branch } = options;
    const ref = `refs/heads/${branch}`;
    if (!FIX_BRANCH.test(branch) || branch.includes('..') || branch.endsWith('.lock')) {
      throw new GitRefRefusedError(ref, 'the workspace pushes only fix/… branches');
    }
    if (branch === this.#baseBranch) throw new GitRefRefusedError(ref, 'it is the base branch');
    try {
      const oid = await git.resolveRef({ fs: this.#fs, gitdir: GITDIR, ref });
      // an explicit URL, never a remote name read from the clone's config
      await pushObjects({
        fs: this.#fs,
        http: this.#http,
        gitdir: GITDIR,
        cache: this.#cache,
        url: this.#url,
        authorization: basicAuthorization(this.#remote),
        ref,
        oid,
        objects: [...this.#unpushed],
        expectedOld: this.#ours,
      });
      this.#unpushed.clear();
    } catch (error: unknown) {
      throw toGitError(error, `pushing ${branch} to ${this.#url}`);
    }
  }

  async #readTree(oid: string): Promise<TreeEntry[]> {
    let entries = this.#trees.get(oid);
    if (!entries) {
      const packed = this.#pack.tree(oid);
      entries = packed
        ? parseTree(packed).map((e) => ({ ...e, type: treeEntryType(e.mode) }))
        : (await git.readTree({ fs: this.#fs, gitdir: GITDIR, oid, cache: this.#cache })).tree;
      this.#trees.set(oid, entries);
    }
    return entries;
  }

  /** the committed entry at `path`, or undefined; throws when a parent is not a directory */
  async #lookup(path: string): Promise<TreeEntry | undefined> {
    const parts = path.split('/');
    let tree = this.#rootTree;
    for (const [index, part] of parts.entries()) {
      const entry = (await this.#readTree(tree)).find((e) => e.path === part);
      if (!entry) return undefined;
      if (index === parts.length - 1) return entry;
      if (entry.mode !== MODE_TREE) {
        throw new GitInvalidPathError(path, `${parts.slice(0, index + 1).join('/')} is not a directory`);
      }
      tree = entry.oid;
    }
    return undefined;
  }

  /** Writes the trees on the changed paths, from the leaves up; untouched subtrees keep their oid. */
  async #rebuildTree(
    treeOid: string | undefined,
    prefix: string,
    changes: Map<string, string>,
  ): Promise<string> {
    const entries = new Map<string, TreeEntry>();
    if (treeOid) for (const entry of await this.#readTree(treeOid)) entries.set(entry.path, entry);
    const subdirs = new Map<string, Map<string, string>>();
    for (const [path, oid] of changes) {
      const slash = path.indexOf('/');
      if (slash === -1) {
        const existing = entries.get(path);
        // keep the executable bit; a symlink written as content becomes a regular file
        const mode = existing?.mode === MODE_EXECUTABLE ? MODE_EXECUTABLE : MODE_FILE;
        entries.set(path, { mode, path, oid, type: 'blob' });
      } else {
        const dir = path.slice(0, slash);
        const group = subdirs.get(dir) ?? new Map<string, string>();
        subdirs.set(dir, group);
        group.set(path.slice(slash + 1), oid);
      }
    }
    for (const [dir, group] of subdirs) {
      const existing = entries.get(dir);
      if (existing && existing.mode !== MODE_TREE) {
        throw new GitInvalidPathError(prefix + dir, 'is not a directory');
      }
      const oid = await this.#rebuildTree(existing?.oid, `${prefix}${dir}/`, group);
      entries.set(dir, { mode: MODE_TREE, path: dir, oid, type: 'tree' });
    }
    const tree = [...entries.values()];
    const oid = await git.writeTree({ fs: this.#fs, gitdir: GITDIR, tree });
    this.#trees.set(oid, tree);
    this.#unpushed.add(oid);
    return oid;
  }
}

function treeEntryType(mode: string): TreeEntry['type'] {
  if (mode === MODE_TREE) return 'tree';
  if (mode === MODE_SUBMODULE) return 'commit';
  return 'blob';
}

function kindOf(mode: string): RepoEntryKind {
  if (mode === MODE_EXECUTABLE) return 'executable';
  if (mode === MODE_SYMLINK) return 'symlink';
  if (mode === MODE_SUBMODULE) return 'submodule';
  return 'file';
}

/** posix, relative, no `.`/`..`/empty segments and nothing inside `.git` */
function normalizePath(path: string): string {
  const clean = path.replace(/^\.\//, '');
  if (clean === '' || clean.startsWith('/')) throw new GitInvalidPathError(path, 'must be relative');
  for (const part of clean.split('/')) {
    if (part === '' || part === '.' || part === '..')
      throw new GitInvalidPathError(path, 'has an empty, . or .. segment');
    if (part.toLowerCase() === '.git') throw new GitInvalidPathError(path, 'is inside .git');
  }
  if (clean.includes('\\') || clean.includes('\0'))
    throw new GitInvalidPathError(path, 'has a backslash or NUL');
  return clean;
}
