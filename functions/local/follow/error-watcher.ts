import type { LogEvent } from '../../core/contracts.ts';
import { type DetectedError, detectErrors } from '../../core/detect/detect-errors.ts';
import { FileFollower, type FollowedLine, type FollowerNotice, type LineBatch } from './file-follower.ts';
import type { OffsetStore } from './offset-store.ts';

/** An error found in a followed file. `record.logGroup` and `logStream` are the file's path. */
export interface WatchedError extends DetectedError {
  path: string;
}

export interface ErrorWatcherOptions {
  /** files or file-name globs */
  patterns: readonly string[];
  offsets: OffsetStore;
  /**
   * Called once per error, in file order; the watcher waits for it before committing the offset
   * past the error's lines. A throw stops the watcher with that error (the lines stay
   * uncommitted and are read again on restart: at-least-once).
   */
  onError: (error: WatchedError) => Promise<void>;
  fromStart?: boolean;
  cwd?: string;
  /** a trace at the end of what was read is held back until no line arrived for this long */
  quietMs?: number;
  /** ... but never longer than this, however slowly its lines trickle in */
  maxHoldMs?: number;
  /** lines held back at most (the detector closes a trace at 4,000 lines anyway) */
  maxHoldLines?: number;
  chunkSize?: number;
  pollIntervalMs?: number;
  useNotifications?: boolean;
  onNotice?: (notice: FollowerNotice) => void;
  now?: () => number;
  detect?: (events: readonly LogEvent[]) => DetectedError[];
}

interface HeldLine extends FollowedLine {
  timestamp: number;
}

interface FileState {
  dev: number;
  ino: number;
  held: HeldLine[];
  heldSince: number;
  timer?: NodeJS.Timeout;
  lastTimestamp: number;
  /** the held lines end at a read-chunk boundary, not at the file's end: the rest is already there */
  heldAtChunk: boolean;
}

export interface WatchStats {
  lines: number;
  errors: number;
  batches: number;
}

/**
 * The detector core on local files: follows the files, feeds their lines to `detectErrors` as
 * LogEvents (`id` `<path>:<byte offset>`), hands each error to `onError`, and commits offsets
 * after it. A trace still being written is held back until more lines arrive or the file goes
 * quiet, so it becomes one record, not two halves.
 */
export class ErrorWatcher {
  readonly stats: WatchStats = { lines: 0, errors: 0, batches: 0 };
  readonly #follower: FileFollower;
  readonly #files = new Map<string, FileState>();
  readonly #options: Required<
    Pick<ErrorWatcherOptions, 'quietMs' | 'maxHoldMs' | 'maxHoldLines' | 'now' | 'detect'>
  > &
    ErrorWatcherOptions;
  #chain: Promise<void> = Promise.resolve();
  #failure: unknown;
  #closed = false;
  readonly #stopped: Promise<void>;
  #stop!: (error?: unknown) => void;

  constructor(options: ErrorWatcherOptions) {
    this.#options = {
      quietMs: 300,
      maxHoldMs: 3000,
      maxHoldLines: 5000,
      now: Date.now,
      // a line's timestamp is when it was read: reads seconds apart may split one trace
      detect: (events) => detectErrors(events, { timestamps: 'read' }),
      ...options,
    };
    this.#stopped = new Promise<void>((resolve, reject) => {
      this.#stop = (error?: unknown) => (error === undefined ? resolve() : reject(error));
    });
    // A failure is reported through `done`; keep an unobserved one from crashing the process.
    this.#stopped.catch(() => undefined);
    this.#follower = new FileFollower({
      patterns: options.patterns,
      offsets: options.offsets,
      onBatch: (batch) => this.#enqueue(() => this.#onBatch(batch)),
      ...(options.fromStart !== undefined ? { fromStart: options.fromStart } : {}),
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      ...(options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {}),
      ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
      ...(options.useNotifications !== undefined ? { useNotifications: options.useNotifications } : {}),
      ...(options.onNotice !== undefined ? { onNotice: options.onNotice } : {}),
    });
  }

  /** Settles when the watcher stops: resolves after `close()`, rejects with what stopped it. */
  get done(): Promise<void> {
    return this.#stopped;
  }

  /** Reads what is there and keeps following; rejects when a named file cannot be read. */
  async start(): Promise<void> {
    await this.#follower.start({ onFailure: (error) => this.#fail(error) });
    await this.#chain;
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Processes everything the files hold now, traces at the end included, and stops (`--once`). */
  async runOnce(): Promise<void> {
    try {
      await this.#follower.readOnce();
      await this.#chain;
    } finally {
      await this.close();
    }
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Resolves once what was appended so far has been read and handed on (held traces may remain). */
  async idle(): Promise<void> {
    this.#follower.requestScan();
    await this.#follower.settled();
    await this.#chain;
  }

  /** Stops following. Held-back lines are not emitted: their offsets stay uncommitted for the next run. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const state of this.#files.values()) if (state.timer) clearTimeout(state.timer);
    await this.#follower.close();
    await this.#chain.catch(() => undefined);
    this.#stop(this.#failure);
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(() => (this.#failure === undefined && !this.#closed ? task() : undefined));
    this.#chain = run.catch((error: unknown) => this.#fail(error));
    return run;
  }

  #fail(error: unknown): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    void this.close();
  }

  async #onBatch(batch: LineBatch): Promise<void> {
    const now = this.#options.now();
    let state = this.#files.get(batch.path);
    if (!state || state.ino !== batch.ino || state.dev !== batch.dev) {
      if (state?.timer) clearTimeout(state.timer);
      state = {
        dev: batch.dev,
        ino: batch.ino,
        held: [],
        heldSince: now,
        lastTimestamp: 0,
        heldAtChunk: false,
      };
      this.#files.set(batch.path, state);
    }
    // "Nothing new" is not activity: it must not restart the quiet period of a held trace. Lines
    // held only because a chunk ended under them are judged now that the file's end is reached.
    if (batch.lines.length === 0 && (!batch.final || state.held.length === 0)) {
      if (batch.atEnd && state.heldAtChunk && state.held.length > 0) {
        if (state.timer) clearTimeout(state.timer);
        state.timer = undefined;
        await this.#process(batch.path, state, [...state.held], {
          mayHold: now - state.heldSince < this.#options.maxHoldMs,
          atChunk: false,
        });
      }
      return;
    }
    // One file is one stream: keep its timestamps non-decreasing so the detector keeps line order.
    const timestamp = Math.max(now, state.lastTimestamp);
    state.lastTimestamp = timestamp;
    const lines: HeldLine[] = state.held.length > 0 ? [...state.held] : [];
    for (const line of batch.lines) lines.push({ ...line, timestamp });
    this.stats.lines += batch.lines.length;
    this.stats.batches += 1;
    if (state.timer) clearTimeout(state.timer);
    state.timer = undefined;
    const mayHold =
      !batch.final && now - (state.held.length > 0 ? state.heldSince : now) < this.#options.maxHoldMs;
    await this.#process(batch.path, state, lines, { mayHold, atChunk: !batch.atEnd && !batch.final });
  }

  async #process(
    path: string,
    state: FileState,
    lines: HeldLine[],
    { mayHold, atChunk }: { mayHold: boolean; atChunk: boolean },
  ) {
    const hadHeld = state.held.length > 0;
    const events: LogEvent[] = lines.map((line) => ({
      id: `${path}:${line.offset}`,
      timestamp: line.timestamp,
      message: line.text,
      logGroup: path,
      logStream: path,
    }));
    const detected = events.length > 0 ? this.#options.detect(events) : [];
    let holdFrom = lines.length;
    const lastId = events[events.length - 1]?.id;
    const last = detected[detected.length - 1];
    // A trace the detector knows is whole (a Python traceback ends with its exception line) is
    // not held: it goes out at once, in milliseconds, as the seed promised.
    const isWhole = last !== undefined && !last.needsContext && last.record.frames.length > 0;
    if (atChunk) {
      // A read chunk ended here and the file already holds what follows: whatever the detector
      // makes of this tail (a "whole" trace whose chained cause is next, a lead error line whose
      // traceback header sits alone and unrecognised at the end), it is decided with the next
      // batch. Held from the last record's start, or the last lines when no record was found.
      const first = last
        ? indexOfEvent(events, last.record.eventIds[0])
        : Math.max(0, lines.length - CHUNK_TAIL_LINES);
      if (lines.length - first <= this.#options.maxHoldLines) holdFrom = first;
    } else if (mayHold && last && !isWhole && lastId !== undefined && last.record.eventIds.includes(lastId)) {
      // The last record reaches the end of what was read: its trace may still be being written.
      const first = indexOfEvent(events, last.record.eventIds[0]);
      if (lines.length - first <= this.#options.maxHoldLines) holdFrom = first;
    }
    const byId = detected.length > 0 ? new Map(events.map((e, i) => [e.id, i])) : undefined;
    for (const found of detected) {
      const firstIndex = byId?.get(found.record.eventIds[0] ?? '') ?? 0;
      if (firstIndex >= holdFrom) break;
      this.stats.errors += 1;
      await this.#options.onError({ ...found, path });
      // Commit right after each error: a crash repeats at most this one record, and the store
      // recognises its batch id (its event ids) as a duplicate.
      const lastIndex = Math.max(...found.record.eventIds.map((id) => byId?.get(id) ?? 0));
      const end = lines[lastIndex]?.end;
      if (end !== undefined)
        this.#options.offsets.commit({ path, dev: state.dev, ino: state.ino, offset: end });
    }
    state.held = lines.slice(holdFrom);
    state.heldAtChunk = atChunk && state.held.length > 0;
    const commitTo = state.held[0]?.offset ?? lines[lines.length - 1]?.end;
    if (commitTo !== undefined)
      this.#options.offsets.commit({ path, dev: state.dev, ino: state.ino, offset: commitTo });
    // No quiet-period timer for a chunk's tail: the follower reads the next chunk at once, and a
    // timer firing during that read (a slow disk, a loaded machine) would cut the trace in two.
    if (state.held.length === 0 || state.heldAtChunk) return;
    if (!hadHeld || holdFrom > 0) state.heldSince = state.held[0]?.timestamp ?? this.#options.now();
    const wait = Math.max(
      0,
      Math.min(this.#options.quietMs, state.heldSince + this.#options.maxHoldMs - this.#options.now()),
    );
    state.timer = setTimeout(() => {
      state.timer = undefined;
      void this.#enqueue(async () => {
        if (state.held.length === 0 || this.#files.get(path) !== state) return;
        await this.#process(path, state, [...state.held], { mayHold: false, atChunk: false });
      }).catch(() => undefined);
    }, wait);
  }
}

/**
 * Lines kept from a chunk's end when it holds no record: enough for a lead error line plus a
 * trace header the detector does not recognise alone, few enough to stay cheap to re-detect.
 */
const CHUNK_TAIL_LINES = 8;

function indexOfEvent(events: readonly LogEvent[], id: string | undefined): number {
  for (let i = events.length - 1; i >= 0; i--) if (events[i]?.id === id) return i;
  return 0;
}
