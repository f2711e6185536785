// The analyzer's working copy: a shallow, single-branch clone into memfs that never checks out.
// Checking out (and committing through the index) walks every tree and writes every blob;
// on a 13k-object repository that alone was ~9x native git. Instead files are read lazily
// from the object store, and a commit writes only the changed blobs and the trees on their
// paths (leaf to root), so its cost grows with the change, not with the repository.
import git, { type FsClient, type HttpClient, type TreeEntry } from 'isomorphic-git';
import nodeHttp from 'isomorphic-git/http/node';
import { createFsFromVolume, Volume } from 'memfs';
import type { GitIdentity, RepoEntry, RepoEntryKind, RepoWorkspace } from '../core/ports.ts';
import { GitInvalidPathError, toGitError } from './git/git-errors.ts';
import { pushObjects } from './git/push-objects.ts';

export {
  GitAuthError,
  GitInvalidPathError,
  GitNotFoundError,
  GitPushRejectedError,
  GitTransientError,
  GitWorkspaceError,
  isRetryableGitError,
} from './git/git-errors.ts';

/** GitHub's convention for a token used over HTTPS Basic auth. */
const TOKEN_USERNAME = 'x-access-token';
const GITDIR = '/repo/.git';
const DIR = '/repo';
const MODE_FILE = '100644';
const MODE_EXECUTABLE = '100755';
const MODE_SYMLINK = '120000';
const MODE_SUBMODULE = '160000';
const MODE_TREE = '040000';

export interface RemoteOptions {
  /** clone URL, e.g. https://github.com/owner/name.git (never with credentials in it) */
  url: string;
  token?: string;
  /** `host[:port]` the token belongs to; any other host gets no credentials, even after a redirect */
  allowedHost: string;
  http?: HttpClient;
}

export interface CloneWorkspaceOptions extends RemoteOptions {
  branch: string;
  /** committer of every commit, and author when `commit` is not given one */
  author: GitIdentity;
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

/** The token goes only to the configured host: a clone URL elsewhere gets a cancel, never the secret. */
function makeOnAuth(token: string | undefined, allowedHost: string) {
  return (url: string) => {
    if (token === undefined || new URL(url).host !== allowedHost.toLowerCase()) return { cancel: true };
    return { username: TOKEN_USERNAME, password: token };
  };
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
  const { url, token, allowedHost, http = nodeHttp, branch } = options;
  try {
    const refs = await git.listServerRefs({
      http,
      url,
      onAuth: makeOnAuth(token, allowedHost),
      protocolVersion: 1,
    });
    return refs.find((ref) => ref.ref === `refs/heads/${branch}`)?.oid;
  } catch (error: unknown) {
    throw toGitError(error, `listing the branches of ${url}`);
  }
}

/** Clones `branch` of `url` shallowly into memory without a checkout. */
export async function cloneWorkspace(options: CloneWorkspaceOptions): Promise<GitWorkspace> {
  const {
    url,
    branch,
    token,
    allowedHost,
    author,
    http = nodeHttp,
    fs = createFsFromVolume(new Volume()) as unknown as FsClient,
    depth = 1,
    now = () => new Date(),
  } = options;
  // One cache for every call: it keeps the parsed pack index and the pack bytes, which
  // otherwise are re-read from memfs (and the pack re-hashed) on each object read.
  const cache = {};
  const onAuth = makeOnAuth(token, allowedHost);
  let head: string;
  try {
    await git.clone({
      fs,
      http,
      dir: DIR,
      gitdir: GITDIR,
      url,
      ref: branch,
      singleBranch: true,
      noCheckout: true,
      noTags: true,
      depth,
      cache,
      onAuth,
    });
    head = await git.resolveRef({ fs, gitdir: GITDIR, ref: `refs/remotes/origin/${branch}` });
  } catch (error: unknown) {
    throw toGitError(error, `cloning ${branch} of ${url}`);
  }
  const rootTree = (await git.readCommit({ fs, gitdir: GITDIR, oid: head, cache })).commit.tree;
  return new MemoryGitWorkspace({
    fs,
    http,
    cache,
    url,
    branch,
    head,
    rootTree,
    author,
    now,
    token,
    allowedHost,
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
  readonly #cache: object;
  readonly #url: string;
  readonly #author: GitIdentity;
  readonly #now: () => Date;
  readonly #remote: RemoteOptions;
  readonly #trees = new Map<string, TreeEntry[]>();
  /** written but not yet committed, by path */
  readonly #pending = new Map<string, PendingWrite>();
  readonly #changed = new Set<string>();
  /** objects written since the last push: exactly what the remote lacks */
  readonly #unpushed = new Set<string>();
  /** commits of this workspace; the remote branch may be at any of them for a fast-forward */
  readonly #ours = new Set<string>();

  constructor(init: {
    fs: FsClient;
    http: HttpClient;
    cache: object;
    url: string;
    branch: string;
    head: string;
    rootTree: string;
    author: GitIdentity;
    now: () => Date;
    token: string | undefined;
    allowedHost: string;
  }) {
    this.#fs = init.fs;
    this.#http = init.http;
    this.#cache = init.cache;
    this.#url = init.url;
    this.branch = init.branch;
    this.headCommit = init.head;
    this.#tip = init.head;
    this.#rootTree = init.rootTree;
    this.#author = init.author;
    this.#now = init.now;
    this.#remote = { url: init.url, token: init.token, allowedHost: init.allowedHost, http: init.http };
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
      ({ tree: entries } = await git.readTree({ fs: this.#fs, gitdir: GITDIR, oid, cache: this.#cache }));
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
