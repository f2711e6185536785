import { type FSWatcher, type Stats, watch } from 'node:fs';
import { type FileHandle, open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { globToRegex, hasGlob } from './glob-to-regex.ts';
import type { FileOffset, OffsetStore } from './offset-store.ts';

/** One complete line of a followed file, decoded as UTF-8 (invalid bytes become U+FFFD). */
export interface FollowedLine {
  text: string;
  /** byte offset of the line's first byte */
  offset: number;
  /** byte offset just past its newline */
  end: number;
}

export interface LineBatch {
  /** the path as followed (absolute) */
  path: string;
  dev: number;
  ino: number;
  lines: FollowedLine[];
  /** everything the file holds right now has been read */
  atEnd: boolean;
  /**
   * this identity of the file is finished (rotated away, removed, or a `--once` run): nothing more
   * will follow, so a trace at its end is complete
   */
  final: boolean;
}

export type FileFollowErrorCode = 'permission_denied' | 'not_a_file' | 'unreadable' | 'bad_pattern';

/** A followed file that cannot be read; the message names the file and what to do. */
export class FileFollowError extends Error {
  override readonly name = 'FileFollowError';
  readonly code: FileFollowErrorCode;
  readonly path: string;
  constructor({
    code,
    path,
    message,
    cause,
  }: { code: FileFollowErrorCode; path: string; message: string; cause?: unknown }) {
    super(message, { cause });
    this.code = code;
    this.path = path;
  }
}

export type FollowerNotice =
  | { kind: 'unreadable'; error: FileFollowError }
  | { kind: 'truncated'; path: string; offset: number; size: number }
  | { kind: 'rotated'; path: string }
  | { kind: 'resumed_rotated'; path: string; rotatedTo: string; offset: number }
  | { kind: 'lost_while_down'; path: string; offset: number }
  | { kind: 'appeared'; path: string }
  | { kind: 'long_line'; path: string; offset: number; bytes: number }
  | { kind: 'watch_failed'; directory: string; message: string };

export interface FileFollowerOptions {
  /** files or file-name globs (`/var/log/app/*.log`); relative ones resolve against `cwd` */
  patterns: readonly string[];
  /** receives the lines in file order; the next batch waits until this resolves */
  onBatch: (batch: LineBatch) => Promise<void>;
  /** where a previous run stopped; the follower records only where it starts a file */
  offsets: OffsetStore;
  /** read files that exist at start from their beginning, not only what is appended */
  fromStart?: boolean;
  cwd?: string;
  /** bytes per read: memory stays flat whatever the file's size */
  chunkSize?: number;
  /** a line longer than this is handed on in pieces rather than held in memory */
  maxLineBytes?: number;
  /** safety-net re-scan for file systems whose change notifications are missing or late */
  pollIntervalMs?: number;
  /** use OS change notifications (fs.watch, inotify on Linux); false polls only */
  useNotifications?: boolean;
  onNotice?: (notice: FollowerNotice) => void;
}

interface Target {
  directory: string;
  /** literal file name, or a matcher for a glob */
  name: string | RegExp;
}

interface OpenFile {
  path: string;
  handle: FileHandle;
  dev: number;
  ino: number;
  /** next byte to read */
  position: number;
  /** bytes after the last newline read so far */
  partial: Buffer;
  partialStart: number;
}

const NEWLINE = 0x0a;

/**
 * Follows log files like `tail -F`: appended lines only (or from the start), through rename and
 * copy-truncate rotation, across restarts (offsets by path + inode), in bounded chunks, and files
 * that appear later. Lines are handed on one batch at a time and in order.
 */
export class FileFollower {
  readonly #options: Required<Omit<FileFollowerOptions, 'onNotice'>> & Pick<FileFollowerOptions, 'onNotice'>;
  readonly #targets: Target[];
  readonly #files = new Map<string, OpenFile>();
  readonly #watchers = new Map<string, FSWatcher>();
  readonly #warned = new Set<string>();
  /** identities (`dev:ino`) this run already read to their end after they were rotated away */
  readonly #finished = new Set<string>();
  #started = false;
  #closed = false;
  #scan: Promise<void> | undefined;
  #rescan = false;
  #timer: NodeJS.Timeout | undefined;
  #failure: ((error: unknown) => void) | undefined;

  constructor({
    patterns,
    onBatch,
    offsets,
    fromStart = false,
    cwd = process.cwd(),
    chunkSize = 64 * 1024,
    maxLineBytes = 1024 * 1024,
    pollIntervalMs = 1000,
    useNotifications = true,
    onNotice,
  }: FileFollowerOptions) {
    this.#options = {
      patterns,
      onBatch,
      offsets,
      fromStart,
      cwd,
      chunkSize,
      maxLineBytes,
      pollIntervalMs,
      useNotifications,
      onNotice,
    };
    this.#targets = patterns.map((pattern) => toTarget(resolve(cwd, pattern)));
  }

  /**
   * Reads what is there (from the saved offsets, else the end or, with `fromStart`, the start),
   * then keeps following. A named file that exists but cannot be read rejects with FileFollowError.
   * `onFailure` hears an error thrown by `onBatch` while following; following stops then.
   */
  async start({ onFailure }: { onFailure?: (error: unknown) => void } = {}): Promise<void> {
    this.#failure = onFailure;
    await this.#checkNamedFiles();
    await this.#runScan({ initial: true, final: false });
    this.#started = true;
    if (this.#closed) return;
    if (this.#options.useNotifications)
      for (const target of this.#targets) this.#watchDirectory(target.directory);
    // Referenced on purpose: a follower keeps the process alive until it is closed.
    this.#timer = setInterval(() => this.requestScan(), this.#options.pollIntervalMs);
  }

  /** Reads every followed file to its end once and treats what was read as complete (`--once`). */
  async readOnce(): Promise<void> {
    await this.#checkNamedFiles();
    await this.#runScan({ initial: true, final: true });
  }

  /** Asks for a re-scan (coalesced): what the change notifications and the poll timer call. */
  requestScan(): void {
    if (this.#closed || !this.#started) return;
    if (this.#scan) {
      this.#rescan = true;
      return;
    }
    this.#scan = this.#scanLoop().finally(() => {
      this.#scan = undefined;
    });
  }

  /** Resolves once no scan is running (the current one and any it queued are done). */
  async settled(): Promise<void> {
    while (this.#scan) await this.#scan;
  }

  /** Stops following; lines not yet handed on stay unread (their offsets uncommitted). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
    await this.settled().catch(() => undefined);
    await Promise.all([...this.#files.values()].map((file) => file.handle.close().catch(() => undefined)));
    this.#files.clear();
  }

  async #scanLoop(): Promise<void> {
    do {
      this.#rescan = false;
      try {
        await this.#runScan({ initial: false, final: false });
      } catch (error: unknown) {
        await this.close();
        this.#failure?.(error);
        return;
      }
    } while (this.#rescan && !this.#closed);
  }

  async #checkNamedFiles(): Promise<void> {
    for (const target of this.#targets) {
      if (typeof target.name !== 'string') continue;
      const path = `${target.directory}/${target.name}`;
      const found = await tryStat(path);
      if (!found.ok) {
        if (errorCode(found.error) === 'ENOENT') continue;
        throw toFollowError(path, found.error);
      }
      if (!found.info.isFile()) throw notAFile(path);
      const handle = await open(path, 'r').catch((error: unknown) => {
        throw toFollowError(path, error);
      });
      await handle.close();
    }
  }

  async #runScan({ initial, final }: { initial: boolean; final: boolean }): Promise<void> {
    const present = new Set<string>();
    for (const target of this.#targets) {
      for (const path of await this.#matches(target)) {
        if (this.#closed) return;
        present.add(path);
        await this.#follow(path, { initial, final });
      }
    }
    // Renamed or removed with nothing in its place yet: finish what the old file holds.
    for (const [path, file] of this.#files) {
      if (present.has(path) || this.#closed) continue;
      this.#options.onNotice?.({ kind: 'rotated', path });
      await this.#drain(file, { final: true });
      await file.handle.close();
      this.#files.delete(path);
      this.#finished.add(`${file.dev}:${file.ino}`);
    }
  }

  async #matches(target: Target): Promise<string[]> {
    if (typeof target.name === 'string') return [`${target.directory}/${target.name}`];
    const entries = await readdir(target.directory).catch(() => [] as string[]);
    const matcher = target.name;
    return entries
      .filter((name) => matcher.test(name))
      .sort()
      .map((name) => `${target.directory}/${name}`);
  }

  async #follow(path: string, { initial, final }: { initial: boolean; final: boolean }): Promise<void> {
    const found = await tryStat(path);
    if (!found.ok) {
      if (errorCode(found.error) !== 'ENOENT') this.#warn(toFollowError(path, found.error));
      return;
    }
    const { info } = found;
    if (!info.isFile()) {
      this.#warn(notAFile(path));
      return;
    }
    let file = this.#files.get(path);
    if (file && (file.ino !== info.ino || file.dev !== info.dev)) {
      // Rename rotation: the old file may still have lines written after our last read.
      this.#options.onNotice?.({ kind: 'rotated', path });
      await this.#drain(file, { final: true });
      await file.handle.close();
      this.#files.delete(path);
      this.#finished.add(`${file.dev}:${file.ino}`);
      file = undefined;
    }
    if (!file) {
      file = await this.#open(path, { dev: info.dev, ino: info.ino, size: info.size, initial });
      if (!file) return;
      this.#files.set(path, file);
    } else if (info.size < file.position) {
      // Copy-truncate rotation: the same inode starts over.
      this.#options.onNotice?.({ kind: 'truncated', path, offset: file.position, size: info.size });
      file.position = 0;
      file.partial = Buffer.alloc(0);
      file.partialStart = 0;
    }
    await this.#drain(file, { final });
  }

  async #open(
    path: string,
    { dev, ino, size, initial }: { dev: number; ino: number; size: number; initial: boolean },
  ): Promise<OpenFile | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error: unknown) {
      if (errorCode(error) !== 'ENOENT') this.#warn(toFollowError(path, error));
      return undefined;
    }
    this.#warned.delete(path);
    const saved = this.#options.offsets.load(path);
    let position: number;
    if (saved && saved.dev === dev && saved.ino === ino) {
      if (saved.offset <= size) position = saved.offset;
      else {
        this.#options.onNotice?.({ kind: 'truncated', path, offset: saved.offset, size });
        position = 0;
      }
    } else if (saved) {
      // Rotated while we were down: finish the old file under its new name, then start this one.
      if (!this.#finished.has(`${saved.dev}:${saved.ino}`)) await this.#resumeRotated(saved);
      else this.#options.onNotice?.({ kind: 'appeared', path });
      position = 0;
    } else if (initial) {
      position = this.#options.fromStart ? 0 : size;
    } else {
      this.#options.onNotice?.({ kind: 'appeared', path });
      position = 0;
    }
    if (!saved || saved.dev !== dev || saved.ino !== ino || saved.offset !== position)
      this.#options.offsets.commit({ path, dev, ino, offset: position });
    return { path, handle, dev, ino, position, partial: Buffer.alloc(0), partialStart: position };
  }

  async #resumeRotated(saved: FileOffset): Promise<void> {
    const directory = dirname(saved.path);
    for (const name of await readdir(directory).catch(() => [] as string[])) {
      const candidate = `${directory}/${name}`;
      const info = await stat(candidate).catch(() => undefined);
      if (!info?.isFile() || info.ino !== saved.ino || info.dev !== saved.dev) continue;
      this.#options.onNotice?.({
        kind: 'resumed_rotated',
        path: saved.path,
        rotatedTo: candidate,
        offset: saved.offset,
      });
      const handle = await open(candidate, 'r').catch(() => undefined);
      if (!handle) break;
      const old: OpenFile = {
        path: saved.path,
        handle,
        dev: saved.dev,
        ino: saved.ino,
        position: Math.min(saved.offset, info.size),
        partial: Buffer.alloc(0),
        partialStart: Math.min(saved.offset, info.size),
      };
      try {
        await this.#drain(old, { final: true });
      } finally {
        await handle.close();
      }
      return;
    }
    this.#options.onNotice?.({ kind: 'lost_while_down', path: saved.path, offset: saved.offset });
  }

  /** Reads from the file's position to its current end, one chunk (one batch) at a time. */
  async #drain(file: OpenFile, { final }: { final: boolean }): Promise<void> {
    const { chunkSize, maxLineBytes, onBatch } = this.#options;
    const buffer = Buffer.allocUnsafe(chunkSize);
    for (;;) {
      if (this.#closed) return;
      const { bytesRead } = await file.handle.read(buffer, 0, chunkSize, file.position);
      if (bytesRead === 0) break;
      const lines: FollowedLine[] = [];
      const data =
        file.partial.length > 0
          ? Buffer.concat([file.partial, buffer.subarray(0, bytesRead)])
          : buffer.subarray(0, bytesRead);
      const base = file.partialStart;
      let start = 0;
      for (let nl = data.indexOf(NEWLINE, start); nl !== -1; nl = data.indexOf(NEWLINE, start)) {
        const stop = nl > start && data[nl - 1] === 0x0d ? nl - 1 : nl;
        lines.push({ text: data.toString('utf8', start, stop), offset: base + start, end: base + nl + 1 });
        start = nl + 1;
      }
      file.position += bytesRead;
      if (data.length - start > maxLineBytes) {
        // A runaway line (a binary blob, a minified dump): hand on what we have rather than grow.
        this.#options.onNotice?.({
          kind: 'long_line',
          path: file.path,
          offset: base + start,
          bytes: data.length - start,
        });
        lines.push({ text: data.toString('utf8', start), offset: base + start, end: base + data.length });
        start = data.length;
      }
      // Copy: `buffer` is reused for the next read.
      file.partial = Buffer.from(data.subarray(start));
      file.partialStart = base + start;
      if (lines.length > 0) {
        // A short read reached what the file holds now; a full chunk means more is already there,
        // so a trace cut at this chunk's end continues in the next batch, not later.
        const atEnd = bytesRead < chunkSize;
        await onBatch({ path: file.path, dev: file.dev, ino: file.ino, lines, atEnd, final: false });
      }
    }
    if (final && file.partial.length > 0) {
      // The file is finished: its unterminated last line is a whole line now.
      const line = {
        text: file.partial.toString('utf8'),
        offset: file.partialStart,
        end: file.partialStart + file.partial.length,
      };
      file.partial = Buffer.alloc(0);
      file.partialStart = line.end;
      await onBatch({
        path: file.path,
        dev: file.dev,
        ino: file.ino,
        lines: [line],
        atEnd: true,
        final: true,
      });
      return;
    }
    await onBatch({ path: file.path, dev: file.dev, ino: file.ino, lines: [], atEnd: true, final });
  }

  #watchDirectory(directory: string): void {
    if (this.#watchers.has(directory) || this.#closed) return;
    try {
      const watcher = watch(directory, { persistent: false }, () => this.requestScan());
      watcher.on('error', (error) => {
        // The directory went away (or the watch limit was hit): polling takes over until it is back.
        watcher.close();
        this.#watchers.delete(directory);
        this.#options.onNotice?.({ kind: 'watch_failed', directory, message: error.message });
        const retry = setTimeout(() => this.#watchDirectory(directory), this.#options.pollIntervalMs);
        retry.unref();
      });
      this.#watchers.set(directory, watcher);
    } catch (error: unknown) {
      // Missing directory: the poll re-tries, and the file is picked up when it appears.
      if (errorCode(error) !== 'ENOENT')
        this.#options.onNotice?.({ kind: 'watch_failed', directory, message: String(error) });
      const retry = setTimeout(() => this.#watchDirectory(directory), this.#options.pollIntervalMs);
      retry.unref();
    }
  }

  #warn(error: FileFollowError): void {
    const key = `${error.path}\0${error.code}`;
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.#options.onNotice?.({ kind: 'unreadable', error });
  }
}

function toTarget(absolute: string): Target {
  const directory = dirname(absolute);
  const name = basename(absolute);
  if (hasGlob(directory))
    throw new FileFollowError({
      code: 'bad_pattern',
      path: absolute,
      message: `${absolute}: only the file name may hold wildcards (e.g. /var/log/app/*.log); list each directory separately`,
    });
  return { directory, name: hasGlob(name) ? globToRegex(name) : name };
}

async function tryStat(path: string): Promise<{ ok: true; info: Stats } | { ok: false; error: unknown }> {
  try {
    return { ok: true, info: await stat(path) };
  } catch (error: unknown) {
    return { ok: false, error };
  }
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

function notAFile(path: string): FileFollowError {
  return new FileFollowError({
    code: 'not_a_file',
    path,
    message: `${path} is not a regular file (a directory?): give the log file itself, or a glob such as ${path}/*.log`,
  });
}

/** The FileFollowError for an fs error on `path`: what happened and what to do about it. */
export function toFollowError(path: string, error: unknown): FileFollowError {
  const code = errorCode(error);
  if (code === 'EACCES' || code === 'EPERM')
    return new FileFollowError({
      code: 'permission_denied',
      path,
      cause: error,
      message: `cannot read ${path}: permission denied. Run ai-ops as a user that may read it (for example add that user to the file's group, often "adm": sudo usermod -aG adm $USER), or make the file readable (chmod o+r ${path}).`,
    });
  if (code === 'EISDIR') return notAFile(path);
  return new FileFollowError({
    code: 'unreadable',
    path,
    cause: error,
    message: `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`,
  });
}
