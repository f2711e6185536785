/** Where the follower stopped in one file: the file's identity and the first byte not yet processed. */
export interface FileOffset {
  path: string;
  dev: number;
  ino: number;
  offset: number;
}

/**
 * The follower's read offsets. Committed only after the lines before `offset` were handed on and
 * processed, so a restart neither skips nor (beyond the last uncommitted record) repeats lines.
 */
export interface OffsetStore {
  load(path: string): FileOffset | undefined;
  commit(offset: FileOffset): void;
}

/** Offsets in process memory: tests, and `--once` runs that keep no state. */
export class MemoryOffsetStore implements OffsetStore {
  readonly #offsets = new Map<string, FileOffset>();

  load(path: string): FileOffset | undefined {
    const found = this.#offsets.get(path);
    return found ? { ...found } : undefined;
  }

  commit(offset: FileOffset): void {
    this.#offsets.set(offset.path, { ...offset });
  }
}
