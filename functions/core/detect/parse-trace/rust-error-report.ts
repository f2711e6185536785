import type { StackFrame } from '../../contracts.ts';
import { isInApp } from '../in-app.ts';
import type { ParsedTrace } from './parsed-trace.ts';

// A Rust program whose `main` returns an error prints `Error: {err:?}` and exits 1: no panic, no
// backtrace. What follows `Error: ` is the error's Debug, which anyhow and eyre (the error types
// most services return from main) write as the message and its chain of causes, eyre also where
// the report was made:
//
//   Error: checkout failed
//
//   Caused by:
//       0: failed to price order 7
//       1: quantity "2x" is not a number
//       2: invalid digit found in string
//
//   Location:
//       src/main.rs:7:35
//
// (one cause is printed unnumbered; eyre indents the numbers three spaces, anyhow four). A boxed
// std error prints its derived Debug: `Error: ParseIntError { kind: InvalidDigit }`, `Error: Os {
// code: 2, kind: NotFound, message: "No such file or directory" }` (an io::Error), `Error: "…"`.
// Read as JavaScript's `Error: msg` before, the causes were lost and the language was wrong (a fix
// to the .rs file could never be applied).

const REPORT_HEADER = 'Error: ';
const CAUSED_BY = 'Caused by:';
const LOCATION = 'Location:';
const STACK_BACKTRACE = 'Stack backtrace:';
/** A cause of several: `    0: failed to price order 7` (anyhow) or `   0: …` (eyre). */
const NUMBERED_CAUSE = /^ {3,4}\d{1,4}: (.+)$/;
/**
 * A numbered line of the chain or of the backtrace (`    0: failed to price order 7`, `   8: shop::main`)
 * right after the header: a filter passed it, not the section's title or the blank line before.
 */
const NUMBERED_ENTRY = /^ {1,4}\d{1,4}: \S/;
/** The one cause, or the location's path: indented four spaces. */
const INDENTED_ENTRY = /^ {4}(\S.*)$/;
const PLACE = /^ {4}([^\s:]{1,500}\.rs):(\d{1,9})(?::(\d{1,9}))?$/;
/** A derived Debug of a struct, a tuple struct or a string: what a boxed error's report holds. */
const DEBUG_VALUE =
  /^Error: (?:([A-Z][A-Za-z0-9_]{0,100}) (?:\{.*\}|\(.*\))|([A-Z][A-Za-z0-9_]{0,100})\(.*\)|"(.*)")$/;
// io::Error's Debug, by its representation: `Os { code, kind, message }`, `Custom { kind, error }`,
// `Kind(NotFound)`, `SimpleMessage { … }`
const IO_ERROR_REPR = new Set(['Os', 'Custom', 'Kind', 'Simple', 'SimpleMessage']);
const IO_MESSAGE = /\bmessage: "((?:[^"\\]|\\.){0,2000})"/;
/** Lines of one section the reader takes: a chain this long is no report. */
const MAX_SECTION_LINES = 200;

type Section = 'header' | 'gap' | 'causes' | 'location' | 'backtrace';

/** The line starts a Rust error report (`Error: …` at column 0). */
export const startsRustErrorReport = (line: string): boolean => line.startsWith(REPORT_HEADER);

/** Whether `block` is a Rust error report's (its first line `Error: …`). */
export const isRustErrorReport = (block: readonly string[]): boolean =>
  (block[0] ?? '').startsWith(REPORT_HEADER);

/** A lone `Error: …` line is a Rust report only when it holds a Debug value. */
export const parsesAloneAsRustErrorReport = (line: string): boolean => DEBUG_VALUE.test(line);

/** The section the report's latest lines are in, read back over a bounded number of lines. */
function sectionOf(block: readonly string[]): Section {
  for (let i = block.length - 1, seen = 0; i >= 1 && seen < MAX_SECTION_LINES; i -= 1, seen += 1) {
    const line = block[i] ?? '';
    if (line === CAUSED_BY) return 'causes';
    if (line === LOCATION) return 'location';
    if (line === STACK_BACKTRACE) return 'backtrace';
  }
  return block.length === 1 ? 'header' : 'gap';
}

/**
 * `line` is more of the report: `Caused by:`, `Location:` or `Stack backtrace:` after a blank line,
 * and the indented entries under each. The blank line after the header is only possibly the
 * report's (continuesRustErrorMessage): JavaScript's `Error: msg` has one line too.
 */
export function continuesRustErrorReport(
  line: string,
  block: readonly string[],
  isFrame: (line: string) => boolean,
): boolean {
  const previous = block[block.length - 1] ?? '';
  if (line === CAUSED_BY || line === LOCATION || line === STACK_BACKTRACE)
    return previous.trim() === '' && block.length >= 2;
  if (line.trim() === '') return block.length >= 3 && previous.trim() !== '';
  switch (sectionOf(block)) {
    // Cut short (isCutShortRustErrorReport): the lines a filter passed of a chain or a backtrace.
    case 'header':
      return NUMBERED_ENTRY.test(line);
    case 'gap':
      return isUnsectioned(block) && previous.trim() !== '' && (isFrame(line) || NUMBERED_CAUSE.test(line));
    case 'causes':
      return previous.trim() !== '' && (NUMBERED_CAUSE.test(line) || INDENTED_ENTRY.test(line));
    case 'location':
      return previous === LOCATION && PLACE.test(line);
    case 'backtrace':
      return previous.trim() !== '' && isFrame(line);
    default:
      return false;
  }
}

const isUnsectioned = (block: readonly string[]): boolean => NUMBERED_ENTRY.test(block[1] ?? '');

/**
 * A report of which a filter passed the header and some lines of its chain or backtrace, but not
 * the titles between (`Caused by:` holds no term; a backtrace's lines do, `core::panic::…`): what
 * it left out is read back from the stream.
 */
export const isCutShortRustErrorReport = (block: readonly string[]): boolean =>
  isUnsectioned(block) && sectionOf(block) === 'gap';

/** The blank line right after the header, held until `Caused by:` or `Location:` confirms it. */
export const continuesRustErrorMessage = (line: string, block: readonly string[]): boolean =>
  block.length === 1 && line.trim() === '';

const frameless = (exceptionType: string, message: string): ParsedTrace => ({
  language: 'rust',
  exceptionType,
  message,
  frames: [],
  causes: [],
});

const CHAIN_START = `\n\n${CAUSED_BY}\n`;

/**
 * A message that ends with an anyhow or eyre error's chain (`.expect("…")` on such an error
 * panics with its Debug: the message, a blank line, `Caused by:` and the causes), split into the
 * message and its causes; the message alone when it holds none.
 */
export function splitErrorChain(text: string): { message: string; causes: ParsedTrace[] } {
  const at = text.indexOf(CHAIN_START);
  if (at < 0) return { message: text, causes: [] };
  const chain = parseRustErrorReport(`${REPORT_HEADER}-${text.slice(at)}`, () => []);
  return chain && chain.causes.length > 0
    ? { message: text.slice(0, at), causes: chain.causes }
    : { message: text, causes: [] };
}

/**
 * The record of a Rust error report, or undefined for an `Error: msg` line with no chain, place or
 * Debug value (JavaScript's, as much as Rust's). `readBacktrace` reads a `Stack backtrace:`
 * section's lines as the panic reader does.
 */
export function parseRustErrorReport(
  text: string,
  readBacktrace: (lines: readonly string[]) => StackFrame[],
): ParsedTrace | undefined {
  const lines = text.split(/\r?\n/);
  const header = lines[0] ?? '';
  if (!header.startsWith(REPORT_HEADER)) return undefined;
  const causes: ParsedTrace[] = [];
  const backtrace: string[] = [];
  let place: StackFrame | undefined;
  let section: Section = 'header';
  for (const line of lines.slice(1)) {
    if (line === CAUSED_BY) section = 'causes';
    else if (line === LOCATION) section = 'location';
    else if (line === STACK_BACKTRACE) section = 'backtrace';
    else if (line.trim() === '') continue;
    else if (section === 'causes') {
      const cause = NUMBERED_CAUSE.exec(line)?.[1] ?? INDENTED_ENTRY.exec(line)?.[1];
      if (cause !== undefined) causes.push(frameless('Error', cause));
    } else if (section === 'location') {
      const at = PLACE.exec(line);
      if (at) {
        const file = at[1] ?? '';
        place = {
          file,
          line: Number(at[2]),
          ...(at[3] === undefined ? {} : { column: Number(at[3]) }),
          inApp: isInApp({ language: 'rust', file }),
        };
      }
    } else if (section === 'backtrace') backtrace.push(line);
  }
  const frames = backtrace.length > 0 ? readBacktrace(backtrace) : place ? [place] : [];
  if (causes.length > 0 || frames.length > 0) {
    return { ...frameless('Error', header.slice(REPORT_HEADER.length)), frames, causes };
  }
  // cut short by a filter: Rust's by its numbered lines, their sections to be read back
  if (isUnsectioned(lines)) return frameless('Error', header.slice(REPORT_HEADER.length));
  const debug = DEBUG_VALUE.exec(header);
  if (!debug) return undefined;
  const [, named, tuple, quoted] = debug;
  if (quoted !== undefined) return frameless('Error', quoted);
  const type = named ?? tuple ?? 'Error';
  if (IO_ERROR_REPR.has(type)) {
    const message = IO_MESSAGE.exec(header)?.[1];
    return frameless('std::io::Error', message ?? header.slice(REPORT_HEADER.length));
  }
  return frameless(type, header.slice(REPORT_HEADER.length));
}
