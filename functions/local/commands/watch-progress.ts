import type { FollowerNotice } from '../follow/file-follower.ts';

/** Where a repair stands; the pipeline reports each stage it reaches. */
export type ProgressStage =
  | 'detected'
  | 'analysing'
  | 'proposed'
  | 'pushed'
  | 'pr'
  | 'emailed'
  | 'no_fix'
  | 'skipped'
  | 'failed';

export interface ProgressEvent {
  incidentKey: string;
  stage: ProgressStage;
  /** for people: the PR link, the reason, the error summary… (never a token) */
  detail?: string;
}

const STAGE_LABEL: Record<ProgressStage, string> = {
  detected: 'detected',
  analysing: 'analysing',
  proposed: 'fix proposed',
  pushed: 'branch pushed',
  pr: 'pull request open',
  emailed: 'emailed',
  no_fix: 'no fix',
  skipped: 'skipped',
  failed: 'FAILED',
};

const LIVE_LINES = 12;

/**
 * The watcher's output. `json`: one JSON object per line for machines. On a TTY: one live status
 * line per incident (detected → analysing → pushed → PR → emailed), rewritten in place. Otherwise
 * one plain line per event.
 */
export class WatchProgress {
  readonly #out: NodeJS.WritableStream;
  readonly #err: NodeJS.WritableStream;
  readonly #mode: 'json' | 'live' | 'plain';
  readonly #now: () => Date;
  readonly #live = new Map<string, string>();
  #rendered = 0;

  constructor({
    stdout,
    stderr,
    json = false,
    isTty = false,
    now = () => new Date(),
  }: {
    stdout: NodeJS.WritableStream;
    stderr: NodeJS.WritableStream;
    json?: boolean;
    isTty?: boolean;
    now?: () => Date;
  }) {
    this.#out = stdout;
    this.#err = stderr;
    this.#mode = json ? 'json' : isTty ? 'live' : 'plain';
    this.#now = now;
  }

  /** A line of information (start, summary): a `{type:"info"}` object in JSON mode. */
  info(message: string, data: Record<string, unknown> = {}): void {
    if (this.#mode === 'json') {
      this.#json({ type: 'info', message, ...data });
      return;
    }
    this.#above(`${message}\n`, this.#out);
  }

  warn(message: string, data: Record<string, unknown> = {}): void {
    if (this.#mode === 'json') {
      this.#json({ type: 'warning', message, ...data });
      return;
    }
    this.#above(`warning: ${message}\n`, this.#err);
  }

  notice(notice: FollowerNotice): void {
    if (notice.kind === 'unreadable') {
      this.warn(notice.error.message, { code: notice.error.code, path: notice.error.path });
      return;
    }
    if (this.#mode === 'json') {
      this.#json({ type: 'notice', ...notice });
      return;
    }
    this.info(describeNotice(notice));
  }

  /** An error record reached the store: its one-line summary. */
  detected(event: { incidentKey: string; summary: string; path: string; occurrence: string }): void {
    if (this.#mode === 'json') {
      this.#json({ type: 'detected', ...event });
      return;
    }
    this.progress({
      incidentKey: event.incidentKey,
      stage: 'detected',
      detail: `${event.summary} (${event.path}; ${event.occurrence})`,
    });
  }

  progress(event: ProgressEvent): void {
    if (this.#mode === 'json') {
      this.#json({ type: 'progress', ...event });
      return;
    }
    const line = `${shortKey(event.incidentKey)}  ${STAGE_LABEL[event.stage]}${event.detail ? `: ${event.detail}` : ''}`;
    if (this.#mode === 'plain') {
      this.#out.write(`${this.#stamp()} ${line}\n`);
      return;
    }
    this.#live.delete(event.incidentKey);
    this.#live.set(event.incidentKey, line);
    while (this.#live.size > LIVE_LINES) {
      const [oldest] = this.#live;
      if (!oldest) break;
      this.#live.delete(oldest[0]);
    }
    this.#render();
  }

  /** Leaves the live block as it stands, so later output starts below it. */
  finish(): void {
    this.#rendered = 0;
  }

  #json(value: Record<string, unknown>): void {
    this.#out.write(`${JSON.stringify({ time: this.#now().toISOString(), ...value })}\n`);
  }

  #stamp(): string {
    return this.#now()
      .toISOString()
      .replace(/\.\d+Z$/, 'Z');
  }

  /** Writes a line above the live block (or plainly), then redraws the block. */
  #above(text: string, stream: NodeJS.WritableStream): void {
    if (this.#mode !== 'live' || this.#rendered === 0) {
      stream.write(this.#mode === 'plain' ? `${this.#stamp()} ${text}` : text);
      return;
    }
    this.#clear();
    stream.write(text);
    this.#render();
  }

  #clear(): void {
    if (this.#rendered > 0) this.#out.write(`\x1b[${this.#rendered}A\x1b[0J`);
    this.#rendered = 0;
  }

  #render(): void {
    this.#clear();
    const lines = [...this.#live.values()];
    this.#out.write(lines.map((line) => `\x1b[2K${line}\n`).join(''));
    this.#rendered = lines.length;
  }
}

function shortKey(incidentKey: string): string {
  const hash = incidentKey.lastIndexOf('#');
  return hash === -1
    ? incidentKey
    : `${incidentKey.slice(0, hash + 1)}${incidentKey.slice(hash + 1, hash + 9)}`;
}

function describeNotice(notice: Exclude<FollowerNotice, { kind: 'unreadable' }>): string {
  switch (notice.kind) {
    case 'rotated':
      return `${notice.path} was rotated: finished the old file, following the new one`;
    case 'truncated':
      return `${notice.path} was truncated (copy-truncate rotation?): reading it from the start`;
    case 'resumed_rotated':
      return `${notice.path} was rotated while ai-ops was stopped: finishing ${notice.rotatedTo} from byte ${notice.offset}`;
    case 'lost_while_down':
      return `${notice.path} was replaced while ai-ops was stopped and the old file is gone: lines after byte ${notice.offset} of it were not read`;
    case 'appeared':
      return `${notice.path} appeared: following it from its first line`;
    case 'long_line':
      return `${notice.path}: a line of ${notice.bytes} bytes at byte ${notice.offset} was handed on in pieces`;
    case 'watch_failed':
      return `cannot watch ${notice.directory} for changes (${notice.message}): polling it instead`;
  }
}
