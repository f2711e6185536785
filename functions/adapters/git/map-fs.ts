// A small in-memory file system with the promise API isomorphic-git calls (readFile, writeFile,
// mkdir, rmdir, unlink, stat, lstat, readdir, readlink, symlink). The workspace keeps only the
// objects it writes and its refs here (the clone's pack lives in PackStore), so this needs no
// permissions, inodes or streams; memfs spent half of a repository listing on those.

interface FsError extends Error {
  code: string;
}

function fsError(
  code: 'ENOENT' | 'EEXIST' | 'ENOTDIR' | 'EISDIR' | 'ENOTEMPTY' | 'EINVAL',
  syscall: string,
  path: string,
): FsError {
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code });
}

function normalize(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

type Encoding = { encoding?: string | null } | string | undefined;

function encodingOf(options: Encoding): string | undefined {
  if (typeof options === 'string') return options;
  return options?.encoding ?? undefined;
}

export interface MapFsStats {
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  size: number;
  ino: number;
  mtimeMs: number;
  ctimeMs: number;
  uid: number;
  gid: number;
  dev: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

/** Files, directories and symlinks in Maps; paths are posix and absolute. */
export class MapFs {
  readonly #files = new Map<string, Uint8Array>();
  readonly #links = new Map<string, string>();
  /** directory → names of its entries */
  readonly #dirs = new Map<string, Set<string>>([['/', new Set()]]);

  async readFile(path: string, options?: Encoding): Promise<Uint8Array | string> {
    const at = normalize(path);
    const content = this.#files.get(at);
    if (content === undefined) throw fsError(this.#dirs.has(at) ? 'EISDIR' : 'ENOENT', 'open', path);
    const encoding = encodingOf(options);
    return encoding ? Buffer.from(content).toString(encoding as BufferEncoding) : content;
  }

  async writeFile(path: string, data: Uint8Array | string, options?: Encoding): Promise<void> {
    const at = normalize(path);
    if (this.#dirs.has(at)) throw fsError('EISDIR', 'open', path);
    this.#entriesOf(parentOf(at), 'open', path).add(at.slice(at.lastIndexOf('/') + 1));
    const encoding = encodingOf(options) as BufferEncoding | undefined;
    // a copy: callers may reuse their buffer
    this.#files.set(
      at,
      typeof data === 'string' ? Buffer.from(data, encoding ?? 'utf8') : Uint8Array.from(data),
    );
  }

  async mkdir(path: string, options?: { recursive?: boolean }): Promise<void> {
    const at = normalize(path);
    if (this.#dirs.has(at)) {
      if (options?.recursive) return;
      throw fsError('EEXIST', 'mkdir', path);
    }
    if (this.#files.has(at) || this.#links.has(at)) throw fsError('EEXIST', 'mkdir', path);
    if (options?.recursive && !this.#dirs.has(parentOf(at))) await this.mkdir(parentOf(at), options);
    this.#entriesOf(parentOf(at), 'mkdir', path).add(at.slice(at.lastIndexOf('/') + 1));
    this.#dirs.set(at, new Set());
  }

  async rmdir(path: string): Promise<void> {
    const at = normalize(path);
    const entries = this.#dirs.get(at);
    if (!entries) throw fsError(this.#files.has(at) ? 'ENOTDIR' : 'ENOENT', 'rmdir', path);
    if (entries.size > 0) throw fsError('ENOTEMPTY', 'rmdir', path);
    if (at === '/') throw fsError('EINVAL', 'rmdir', path);
    this.#dirs.delete(at);
    this.#dirs.get(parentOf(at))?.delete(at.slice(at.lastIndexOf('/') + 1));
  }

  async unlink(path: string): Promise<void> {
    const at = normalize(path);
    if (!this.#files.delete(at) && !this.#links.delete(at)) {
      throw fsError(this.#dirs.has(at) ? 'EISDIR' : 'ENOENT', 'unlink', path);
    }
    this.#dirs.get(parentOf(at))?.delete(at.slice(at.lastIndexOf('/') + 1));
  }

  async readdir(path: string): Promise<string[]> {
    const at = normalize(path);
    const entries = this.#dirs.get(at);
    if (!entries) throw fsError(this.#files.has(at) ? 'ENOTDIR' : 'ENOENT', 'scandir', path);
    return [...entries].sort();
  }

  async stat(path: string): Promise<MapFsStats> {
    const at = normalize(path);
    const target = this.#links.get(at);
    return target === undefined ? this.lstat(at) : this.stat(normalize(`${parentOf(at)}/${target}`));
  }

  async lstat(path: string): Promise<MapFsStats> {
    const at = normalize(path);
    const file = this.#files.get(at);
    if (file) return makeStats('file', file.byteLength);
    if (this.#dirs.has(at)) return makeStats('dir', 0);
    const link = this.#links.get(at);
    if (link !== undefined) return makeStats('symlink', link.length);
    throw fsError('ENOENT', 'stat', path);
  }

  async readlink(path: string): Promise<string> {
    const target = this.#links.get(normalize(path));
    if (target === undefined) throw fsError('EINVAL', 'readlink', path);
    return target;
  }

  async symlink(target: string, path: string): Promise<void> {
    const at = normalize(path);
    if (this.#files.has(at) || this.#dirs.has(at) || this.#links.has(at))
      throw fsError('EEXIST', 'symlink', path);
    this.#entriesOf(parentOf(at), 'symlink', path).add(at.slice(at.lastIndexOf('/') + 1));
    this.#links.set(at, target);
  }

  #entriesOf(dir: string, syscall: string, path: string): Set<string> {
    const entries = this.#dirs.get(dir);
    if (!entries) throw fsError(this.#files.has(dir) ? 'ENOTDIR' : 'ENOENT', syscall, path);
    return entries;
  }
}

function makeStats(type: MapFsStats['type'], size: number): MapFsStats {
  const mode = type === 'dir' ? 0o40755 : type === 'symlink' ? 0o120777 : 0o100644;
  return {
    type,
    mode,
    size,
    ino: 0,
    mtimeMs: 0,
    ctimeMs: 0,
    uid: 0,
    gid: 0,
    dev: 0,
    isFile: () => type === 'file',
    isDirectory: () => type === 'dir',
    isSymbolicLink: () => type === 'symlink',
  };
}
