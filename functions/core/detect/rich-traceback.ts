import type { LogEvent } from '../contracts.ts';
import { stripAnsiEscapes } from '../text/strip-control.ts';
import { isStructuredLogLine } from './structured-log.ts';

// Rich's tracebacks (`RichHandler(rich_tracebacks=True)`, `rich.traceback.install()`) draw each
// traceback of a chain in a box: a frame's `path:line in function` over as many lines as the box
// is wide (80 columns without a terminal, so a site-packages path is cut mid-word), then a few
// lines of its code; the exception line and the chain's "The above exception…" after the box,
// word-wrapped. As printed, no parser can read it. Before the stream is read, each such run of
// lines is rewritten line for line as the Python traceback it stands for: the box's top is the
// `Traceback` header, a frame's first line its `File "…", line N, in f`, an exception's or a
// chain note's last line the whole of it, and every other line of the run empty. Each event keeps
// its id and time, so the record still holds every event the traceback was delivered in.

const BOX_TOP = '╭';
const BOX_SIDE = '│';
const BOX_BOTTOM = '╰';
const TITLE = 'Traceback (most recent call last)';
// `/app/x.py:17 in checkout`, read once a header's wrapped lines are joined
const FRAME_HEADER = /^(.+?):(\d{1,9}) in (.+)$/;
// a line of a frame's code (`  14 │   try:`, `❱ 17 │   │   return …`), and Rich's note of frames left out
// (`\u2771` is `❱`: regex literals are kept ASCII, as bundled; see test/infra/bundle-contents.test.ts)
const CODE_LINE = /^(?:\u2771 +|\s*)\d{1,9}\s/;
// a line of the box's own frame: `│`, `╭`, `╰` (escaped, as CODE_LINE)
const BOX_LINE = /^[\u2502\u256d\u2570]/;
const HIDDEN = /^\s*\.\.\. \d+ frames? hidden \.\.\.\s*$/;
const CHAINS = [
  'The above exception was the direct cause of the following exception:',
  'During handling of the above exception, another exception occurred:',
];
/** Lines of one boxed traceback at most: a runaway box is left as it was printed. */
const MAX_LINES = 4000;
/** How much shorter than the box a line Rich word-wrapped can be: the next line's first word fit no more. */
const MAX_WRAP_SLACK = 24;

/** The stream's events with each Rich traceback rewritten as Python prints one, line for line. */
export function unboxRichTracebacks(events: readonly LogEvent[]): readonly LogEvent[] {
  let out: LogEvent[] | undefined;
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as LogEvent;
    const rewritten = mayOpenBox(event.message) ? rewriteFrom(events, i) : undefined;
    if (!rewritten) {
      out?.push(event);
      continue;
    }
    out ??= events.slice(0, i);
    out.push(...rewritten);
    i += rewritten.length - 1;
  }
  return out ?? events;
}

// The box's top, its sides, its bottom and the least its first frame takes: no shorter event
// holds a box after other text.
const MIN_BOX_EVENT_CHARS = 300;

/**
 * Whether an event may hold a box's top: it starts a line of its own, so an event of one line
 * starts with it (after spaces); only an event long enough to hold a box is searched. Asked of
 * every event of every delivery: most are short lines, told at their first character.
 */
function mayOpenBox(message: string): boolean {
  let i = 0;
  while (message.charCodeAt(i) === 32) i++;
  const first = message.charCodeAt(i);
  if (first === 0x256d) return message.includes(TITLE, i);
  // in colour (structlog's ConsoleRenderer colours its Rich box even into a file): the title is
  // broken up by escape sequences, read without them
  if (first === 0x1b) return isBoxTop(stripAnsiEscapes(message));
  if (message.length < MIN_BOX_EVENT_CHARS) return false;
  const at = message.indexOf(BOX_TOP, i);
  if (at < 0) return false;
  return (
    message.includes(TITLE, at) || (message.includes('\u001b') && stripAnsiEscapes(message).includes(TITLE))
  );
}

/** The lines of events from `first` on, read as far as asked for: a traceback ends long before the delivery. */
class Lines {
  readonly #events: readonly LogEvent[];
  readonly #first: number;
  readonly #lines: string[] = [];
  /** the event each line came from, counted from `first` */
  readonly #owners: number[] = [];
  #next: number;
  constructor(events: readonly LogEvent[], first: number) {
    this.#events = events;
    this.#first = first;
    this.#next = first;
  }
  at(i: number): string | undefined {
    while (i >= this.#lines.length && this.#next < this.#events.length && this.#lines.length < MAX_LINES) {
      for (const line of (this.#events[this.#next] as LogEvent).message.split(/\r?\n/)) {
        this.#lines.push(stripAnsiEscapes(line));
        this.#owners.push(this.#next - this.#first);
      }
      this.#next += 1;
    }
    return this.#lines[i];
  }
  owner(i: number): number | undefined {
    return this.at(i) === undefined ? undefined : this.#owners[i];
  }
}

/**
 * The events from `first` on that hold a Rich traceback chain starting in event `first`, each
 * with its lines rewritten (lines outside the chain as they were); undefined when the box is not
 * one Rich draws.
 */
function rewriteFrom(events: readonly LogEvent[], first: number): LogEvent[] | undefined {
  const lines = new Lines(events, first);
  let start = 0;
  for (let line = lines.at(0); line !== undefined && !isBoxTop(line); line = lines.at(++start));
  if (lines.owner(start) !== 0) return undefined;
  // the chain's lines, from `start`, rewritten: the rest of them read as empty
  const rewritten = new Map<number, string>();
  let i = start;
  for (;;) {
    const top = lines.at(i) as string;
    const indent = top.length - top.trimStart().length;
    const width = top.trim().length;
    const box = readBox(lines, i);
    if (!box) return undefined;
    rewritten.set(i, 'Traceback (most recent call last):');
    for (const [at, frame] of box.frames) rewritten.set(at, frame);
    const exception = readParagraph(lines, box.end, indent, width);
    if (exception.text === '') return undefined;
    // on its last line: an empty line after the exception's would end it early
    rewritten.set(exception.end - 1, exception.text);
    i = exception.end;
    // `The above exception …` (wrapped), then the next box
    const note = readParagraph(lines, skipBlank(lines, i), indent, width);
    const next = skipBlank(lines, note.end);
    const nextTop = lines.at(next);
    if (!CHAINS.includes(note.text) || nextTop === undefined || !isBoxTop(nextTop)) break;
    rewritten.set(note.end - 1, note.text);
    i = next;
  }
  const last = lines.owner(i - 1) ?? 0;
  const out: LogEvent[] = [];
  let line = 0;
  for (let e = 0; e <= last; e++) {
    const event = events[first + e] as LogEvent;
    const parts: string[] = [];
    for (; lines.owner(line) === e; line++) {
      const original = lines.at(line) as string;
      if (line < start || line >= i) parts.push(original);
      else {
        const text = rewritten.get(line);
        // in an event of several lines, the chain's other lines are left out (its blank ones kept)
        if (text !== undefined || original.trim() === '') parts.push(text ?? '');
      }
    }
    out.push({ ...event, message: parts.join('\n') });
  }
  return out;
}

function isBoxTop(line: string): boolean {
  return line.trimStart().startsWith(BOX_TOP) && line.includes(TITLE);
}

/** A box from its top line at `top`: its frames as Python prints them (by the line they start on), and the line after it. */
function readBox(lines: Lines, top: number): { frames: [number, string][]; end: number } | undefined {
  const frames: [number, string][] = [];
  let run: string[] = [];
  let runStart = 0;
  const closeRun = (): boolean => {
    const first = run[0];
    if (first !== undefined && !CODE_LINE.test(first) && !HIDDEN.test(first) && !BOX_LINE.test(first)) {
      // A piece Rich word-wrapped ends in padding (` in` | `loads`), one it folded mid-word (a
      // path longer than the box) does not.
      const header = run.map((piece) => (piece.endsWith(' ') ? `${piece.trimEnd()} ` : piece)).join('');
      const match = FRAME_HEADER.exec(header.trimEnd());
      if (!match) return false;
      frames.push([runStart, `  File "${match[1]}", line ${match[2]}, in ${match[3]}`]);
    }
    run = [];
    return true;
  };
  for (let i = top + 1; ; i++) {
    const raw = lines.at(i);
    if (raw === undefined) return undefined;
    const line = raw.trim();
    if (line.startsWith(BOX_BOTTOM))
      return closeRun() && frames.length > 0 ? { frames, end: i + 1 } : undefined;
    if (!line.startsWith(BOX_SIDE)) return undefined;
    // `│ content │`: the content as drawn, without the box's padding on either side
    const inner = line.slice(1, line.length > 1 && line.endsWith(BOX_SIDE) ? -1 : undefined);
    const content = inner.slice(inner.startsWith(' ') ? 1 : 0, inner.endsWith(' ') ? -1 : undefined);
    if (content.trim() === '') {
      if (!closeRun()) return undefined;
    } else {
      if (run.length === 0) runStart = i;
      run.push(content);
    }
  }
}

/**
 * The words Rich wrapped from line `from` on, joined: the lines up to a blank one, each indented
 * as the box (a log handler's next record starts further left). A box at the margin cannot tell
 * its next line from the program's: a line joins there only after one Rich filled to its width.
 */
function readParagraph(
  lines: Lines,
  from: number,
  indent: number,
  width: number,
): { text: string; end: number } {
  const words: string[] = [];
  let i = from;
  for (let line = lines.at(i); line !== undefined; line = lines.at(++i)) {
    const text = line.trim();
    if (text === '') break;
    if (words.length > 0) {
      const lineIndent = line.length - line.trimStart().length;
      if (lineIndent !== indent) break;
      const previous = words[words.length - 1] as string;
      // Rich ends a line where the next word no longer fits: a line the next one's first word would
      // have fit on ended there, and so does one before a JSON logger's line (one long word)
      const next = text.split(' ', 1)[0] ?? '';
      if (
        indent === 0 &&
        (previous.length < width - MAX_WRAP_SLACK ||
          previous.length + 1 + next.length <= width ||
          isStructuredLogLine(text))
      )
        break;
    }
    words.push(text);
  }
  return { text: words.join(' '), end: i };
}

function skipBlank(lines: Lines, from: number): number {
  let i = from;
  for (let line = lines.at(i); line !== undefined && line.trim() === ''; line = lines.at(++i));
  return i;
}
