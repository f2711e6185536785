import type { StackFrame } from '../../contracts.ts';
import { isInApp } from '../in-app.ts';
import type { ParsedTrace, TraceParser } from './parsed-trace.ts';
import {
  continuesRustErrorMessage,
  continuesRustErrorReport,
  isCutShortRustErrorReport,
  isRustErrorReport,
  parseRustErrorReport,
  parsesAloneAsRustErrorReport,
  splitErrorChain,
  startsRustErrorReport,
} from './rust-error-report.ts';

// Every regex here is anchored or bounded by literal text, free of nested quantifiers:
// log text is attacker-controlled.
/** `thread 'main' panicked at …`, `thread 'main' (140213) panicked at …` (Rust ≥ 1.89 prints the id) */
const HEADER = /^thread '([^'\n]*)'(?: \(\d+\))? panicked at (.*)$/;
const BACKTRACE_START = /^stack backtrace:\s*$/;
/** `   3: shop::main` or, with RUST_BACKTRACE=full, `   3:     0x55d0c4a1f5fa - shop::main::h1234…` */
const FRAME = /^\s*\d+:\s+(?:0x[0-9a-fA-F]+ - )?(\S.*)$/;
const FRAME_AT = /^\s+at (\S.*)$/;
/** A backtrace's line as Rust indents it (`   3: …`, `             at …`): never a message's first line. */
const INDENTED_FRAME = /^\s+(?:\d+:\s|at \S)/;
const OMITTED = /^\s*\[\.\.\. omitted \d+ frames? \.\.\.\]\s*$/;
/**
 * A function the compiler inlined into the frame printed above it: its symbol, unnumbered, under
 * the frame's own (six spaces where `   8: ` stands), then its own `at`. Full backtraces are full of
 * them (anyhow's `Stack backtrace:`, std's runtime start); they are frames like any other. An
 * omission (`[... omitted 4 frames ...]`) is indented alike.
 */
const INLINED = /^ {6}(?![ [])(?!at )(\S.*)$/;
const NOTE = /^note: /;
const SYMBOL_HASH = /::h[0-9a-f]{16}$/;
const CRATE_HASH = /\[[0-9a-f]{16}\]/g;
/** Longest line a regex sees; a real header or frame is far shorter. */
const MAX_LINE = 8192;

interface Location {
  file: string;
  line?: number;
  column?: number;
}

const bounded = (line: string): string => (line.length > MAX_LINE ? line.slice(0, MAX_LINE) : line);

/** `src/main.rs:5:9` (an optional `./` stripped so it maps onto the repository). */
function readLocation(text: string): Location {
  const parts = text.trim().split(':');
  const column = parts.length >= 3 ? parts.at(-1) : undefined;
  const line = parts.length >= 3 ? parts.at(-2) : parts.length === 2 ? parts.at(-1) : undefined;
  const isNumbered =
    line !== undefined && /^\d+$/.test(line) && (column === undefined || /^\d+$/.test(column));
  const pathParts = isNumbered ? parts.slice(0, column === undefined ? -1 : -2) : parts;
  const file = pathParts.join(':').replace(/^\.\//, '');
  return {
    file,
    ...(isNumbered ? { line: Number(line) } : {}),
    ...(isNumbered && column !== undefined ? { column: Number(column) } : {}),
  };
}

/** Either the new `at src/main.rs:5:9:` (message on the next lines) or the old `at 'msg', src/main.rs:5:9`. */
function readPanicAt(rest: string): { location: Location; inlineMessage?: string } {
  if (rest.startsWith("'")) {
    const end = rest.lastIndexOf("', ");
    if (end > 0) return { location: readLocation(rest.slice(end + 3)), inlineMessage: rest.slice(1, end) };
  }
  return { location: readLocation(rest.endsWith(':') ? rest.slice(0, -1) : rest) };
}

function cleanSymbol(symbol: string): string {
  return symbol.trim().replace(CRATE_HASH, '').replace(SYMBOL_HASH, '');
}

function toFrame(symbol: string, location: Location | undefined): StackFrame {
  const fn = cleanSymbol(symbol);
  // The owner path lets in-app rules see `std::`/`core::`/`<alloc::…>` even when no `at` line exists.
  const path = fn.startsWith('<') ? fn : (fn.split('<')[0] ?? fn);
  const split = path.lastIndexOf('::');
  const module = split > 0 ? path.slice(0, split) : fn;
  const file = location?.file ?? '';
  return {
    file,
    ...(location?.line !== undefined ? { line: location.line } : {}),
    ...(location?.column !== undefined ? { column: location.column } : {}),
    function: fn,
    module,
    inApp: isInApp({ language: 'rust', file, module }),
  };
}

function parseRust(text: string): ParsedTrace | undefined {
  const lines = text.split(/\r?\n/).map(bounded);
  const headerAt = lines.findIndex((line) => HEADER.test(line));
  if (headerAt < 0) return undefined;
  const header = HEADER.exec(lines[headerAt] ?? '');
  const { location, inlineMessage } = readPanicAt(header?.[2] ?? '');
  const messageLines: string[] = inlineMessage === undefined ? [] : [inlineMessage];
  const backtrace: string[] = [];
  let inBacktrace = false;
  let hasBacktrace = false;
  let isMessageDone = inlineMessage !== undefined;
  for (const line of lines.slice(headerAt + 1)) {
    // A second panic (another thread, or a panic during cleanup) is a record of its own.
    if (HEADER.test(line)) break;
    if (BACKTRACE_START.test(line)) {
      inBacktrace = true;
      hasBacktrace = true;
      isMessageDone = true;
      continue;
    }
    if (NOTE.test(line)) {
      inBacktrace = false;
      isMessageDone = true;
      continue;
    }
    // Frames right after a header of the new format: a filter passed them without the message
    // and the `stack backtrace:` line between (isCutShort), and they are no message.
    if (!inBacktrace && !isMessageDone && messageLines.length === 0 && INDENTED_FRAME.test(line)) {
      inBacktrace = true;
      isMessageDone = true;
    }
    if (!inBacktrace) {
      if (!isMessageDone) messageLines.push(line);
      continue;
    }
    if (isBacktraceLine(line)) backtrace.push(line);
    else inBacktrace = false;
  }
  while (messageLines.length > 0 && (messageLines.at(-1) ?? '').trim() === '') messageLines.pop();
  const { message, causes } = splitErrorChain(messageLines.join('\n'));
  // Without a backtrace the panic location is the only frame there is; keep it so the
  // analyzer knows which file to read (Rust services rarely run with RUST_BACKTRACE).
  const frames = hasBacktrace
    ? readBacktrace(backtrace)
    : [{ ...location, inApp: isInApp({ language: 'rust', file: location.file }) }];
  return { language: 'rust', exceptionType: 'panic', message, frames, causes };
}

/** A backtrace's line: a frame (`   3: shop::main`), an inlined one, its place (`at src/main.rs:5:9`), an omission. */
const isBacktraceLine = (line: string): boolean =>
  FRAME.test(line) || FRAME_AT.test(line) || OMITTED.test(line) || INLINED.test(line);

/** A backtrace's frames, outermost first (it prints the innermost first). */
function readBacktrace(lines: readonly string[]): StackFrame[] {
  const symbols: { symbol: string; location?: Location }[] = [];
  for (const line of lines) {
    const at = FRAME_AT.exec(line);
    const last = symbols.at(-1);
    if (at) {
      // Only the first `at` belongs to the symbol; inlined frames repeat the index instead.
      if (last && !last.location) last.location = readLocation(at[1] ?? '');
      continue;
    }
    const frame = FRAME.exec(line) ?? INLINED.exec(line);
    if (frame) symbols.push({ symbol: frame[1] ?? '' });
  }
  return symbols.map((s) => toFrame(s.symbol, s.location)).reverse();
}

function continuesRust(line: string, block: readonly string[]): boolean {
  if (block.length === 0) return false;
  const head = bounded(line);
  if (HEADER.test(head)) return false;
  if (BACKTRACE_START.test(head) || NOTE.test(head)) return true;
  if (FRAME.test(head) || FRAME_AT.test(head) || OMITTED.test(head)) return true;
  if (INLINED.test(head)) return isBacktraceLine(bounded(block[block.length - 1] ?? ''));
  // The new format prints the message on the line after the header (assert_eq! adds
  // indented `left:`/`right:` lines); the old format has it inline.
  const header = HEADER.exec(bounded(block[0] ?? ''));
  const isNewFormat = header !== null && !(header[2] ?? '').startsWith("'");
  if (!isNewFormat) return false;
  const isMessageOpen = !block.some((l) => BACKTRACE_START.test(l) || NOTE.test(l));
  if (!isMessageOpen) return false;
  if (block.length === 1 || /^\s/.test(head) || /^\s*(?:left|right): /.test(head)) return true;
  return isAfterDebugValue(head, block);
}

/**
 * `head` follows a value the message pretty-printed (`{:#?}`): its opener at column 0 (`Order {`),
 * its fields indented, its closer at column 0 (`}`), then more of the format string at column 0:
 *
 *     rejected order:
 *     Order {
 *         id: "o-42",
 *     }
 *     error: ValidationError { field: "quantity", reason: "must be positive for SKU-7" }
 *     stack backtrace:
 *
 * The closer after the value's fields, and the line after the closer, are the message's. The line
 * after it may open another trace of its own (`error: …` is Bun's and Deno's header), which is never
 * held tentatively (continuesPanicMessage): taken here, it is no false JavaScript record.
 */
function isAfterDebugValue(head: string, block: readonly string[]): boolean {
  const previous = bounded(block[block.length - 1] ?? '');
  if (DEBUG_CLOSER.test(head)) return /^\s+\S/.test(previous);
  const beforePrevious = bounded(block[block.length - 2] ?? '');
  return head.trim() !== '' && DEBUG_CLOSER.test(previous) && /^\s+\S/.test(beforePrevious);
}
/** The last line of a value `{:#?}` printed: its closing bracket alone, at column 0. */
const DEBUG_CLOSER = /^[}\])],?\s*$/;

/**
 * More of a panic's message, held until what Rust prints after a message confirms it: `stack
 * backtrace:`, or the first panic's `note: run with RUST_BACKTRACE=1 …`. A later panic prints
 * neither, and the service's next lines are no part of it: handed back.
 *
 * A message runs to those lines whatever it holds: lines at column 0 (a value pretty-printed with
 * `{:#?}`: `Order {`, its fields indented, `}`), and an error's chain when `.expect("…")` on an
 * anyhow or eyre error panics with its Debug (the message, a blank line, `Caused by:`, the causes).
 * After a blank line only `Caused by:` goes on.
 */
function continuesPanicMessage(line: string, block: readonly string[]): boolean {
  const header = HEADER.exec(bounded(block[0] ?? ''));
  if (!header || (header[2] ?? '').startsWith("'") || block.length > MAX_PANIC_MESSAGE_LINES) return false;
  if (block.some((l) => BACKTRACE_START.test(l) || NOTE.test(l))) return false;
  const previous = block[block.length - 1] ?? '';
  if (line.trim() === '') return block.length >= 2 && previous.trim() !== '';
  if (previous.trim() === '') return line === 'Caused by:';
  return true;
}
/** Lines of a panic's message looked at for a chain: an error's Debug is a few lines. */
const MAX_PANIC_MESSAGE_LINES = 100;

/**
 * A panic's print of which a filter passed only some lines: a header of the new format alone (its
 * message is on the next line, always: `explicit panic` when none is given), or backtrace lines with
 * no `stack backtrace:` before them.
 */
function isRustCutShort(block: readonly string[]): boolean {
  if (isRustErrorReport(block)) return isCutShortRustErrorReport(block);
  const header = HEADER.exec(bounded(block[0] ?? ''));
  if (!header) return false;
  if (block.length === 1) return !(header[2] ?? '').startsWith("'");
  for (let i = 1; i < block.length; i++) {
    const line = bounded(block[i] ?? '');
    if (BACKTRACE_START.test(line) || NOTE.test(line)) return false;
    if (INDENTED_FRAME.test(line)) return true;
  }
  return false;
}

/**
 * Rust panics: old (`panicked at 'msg', file`) and new (message on the next line) formats,
 * backtraces; and the report of an error `main` returned (rust-error-report.ts).
 */
export const rustParser: TraceParser = {
  language: 'rust',
  startsTrace: (line) => startsRustErrorReport(line) || HEADER.test(bounded(line)),
  continuesTrace: (line, block) =>
    isRustErrorReport(block)
      ? continuesRustErrorReport(bounded(line), block, isBacktraceLine)
      : continuesRust(line, block),
  continuesMessage: (line, block) =>
    isRustErrorReport(block) ? continuesRustErrorMessage(line, block) : continuesPanicMessage(line, block),
  isCutShort: isRustCutShort,
  // a boxed error's report is its Debug value alone: nothing follows it
  endsTrace: (block) =>
    block.length === 1 && isRustErrorReport(block) && parsesAloneAsRustErrorReport(bounded(block[0] ?? '')),
  parsesAlone: (line) => !startsRustErrorReport(line) || parsesAloneAsRustErrorReport(bounded(line)),
  parse: (text) => {
    try {
      return startsRustErrorReport(text) ? parseRustErrorReport(text, readBacktrace) : parseRust(text);
    } catch {
      return undefined;
    }
  },
};
