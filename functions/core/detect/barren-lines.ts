/**
 * Kinds of lone lines (a log group and a line's own fingerprint) that were read around because
 * they might head a trace the subscription filter left out, and whose read found none. Kept by
 * a warm detector across deliveries: a program that prints `retry after TimeoutError: …` with no
 * level on every request would otherwise cost GetLogEvents calls on every delivery, and those
 * are throttled per account, shared with the user's own tools. Forgotten after `ttlMs`, so a
 * line that later does head a trace is read again; at most `maxEntries` kinds, oldest out first.
 * It also counts the reads of each log group's error-level lines that name no error (takeRead).
 */
export class BarrenLines {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #readsPerWindow: number;
  readonly #windowMs: number;
  // by key, when it is forgotten; a Map iterates in insertion order, oldest first
  readonly #until = new Map<string, number>();
  // by log group, when its reads of the window were made, oldest first
  readonly #reads = new Map<string, number[]>();

  constructor({
    ttlMs = 15 * 60_000,
    maxEntries = 1_000,
    readsPerWindow = 4,
    windowMs = 60_000,
  }: { ttlMs?: number; maxEntries?: number; readsPerWindow?: number; windowMs?: number } = {}) {
    this.#ttlMs = ttlMs;
    this.#maxEntries = maxEntries;
    this.#readsPerWindow = readsPerWindow;
    this.#windowMs = windowMs;
  }

  /**
   * Takes one read of a log group's lines that only may head a trace, if the group has had fewer
   * than `readsPerWindow` in the last `windowMs`: a service that logs many kinds of plain `ERROR …`
   * lines reads a few a minute, however many deliveries bring new kinds. At most `maxEntries`
   * groups are counted, the least recently read out first.
   */
  takeRead(logGroup: string, now: number): boolean {
    const recent = (this.#reads.get(logGroup) ?? []).filter((at) => now - at < this.#windowMs);
    if (recent.length >= this.#readsPerWindow) return false;
    recent.push(now);
    this.#reads.delete(logGroup);
    this.#reads.set(logGroup, recent);
    for (const oldest of this.#reads.keys()) {
      if (this.#reads.size <= this.#maxEntries) break;
      this.#reads.delete(oldest);
    }
    return true;
  }

  has(key: string, now: number): boolean {
    const until = this.#until.get(key);
    if (until === undefined) return false;
    if (until > now) return true;
    this.#until.delete(key);
    return false;
  }

  add(key: string, now: number): void {
    this.#until.delete(key);
    this.#until.set(key, now + this.#ttlMs);
    for (const oldest of this.#until.keys()) {
      if (this.#until.size <= this.#maxEntries) break;
      this.#until.delete(oldest);
    }
  }
}
