import type { StackFrame } from '../../contracts.ts';
import type { ParsedTrace } from './parsed-trace.ts';

// Clojure on the JVM. A Clojure function is a class: `shop.pricing$unit_price` is `unit-price` of
// the namespace `shop.pricing`, its frames' methods (`invoke`, `invokeStatic`, `doInvoke`) the same
// for every function. An anonymous one carries a number the compiler counts up across the
// namespace (`shop.main$_main$fn__287`), which moves when unrelated code is added above it.
//
// clojure.main (`clojure -M -m app.core`, the CLI a container runs) prints no stack trace for an
// error it did not catch: a summary (clojure.main/ex-str), then, by default, where the full report
// was written; with `-Dclojure.main.report=stderr` the report itself (an EDN map) before it:
//
//   Execution error (ArithmeticException) at shop.pricing/unit-price (pricing.clj:4).
//   Divide by zero
//
//   Full report at:
//   /tmp/clojure-15584350477500293232.edn

/** The characters Clojure munges in a name, by the word it writes (clojure.lang.Compiler's CHAR_MAP). */
const MUNGED: Readonly<Record<string, string>> = {
  SINGLEQUOTE: "'",
  DOUBLEQUOTE: '"',
  AMPERSAND: '&',
  PERCENT: '%',
  QMARK: '?',
  CARET: '^',
  COLON: ':',
  SHARP: '#',
  SLASH: '/',
  BSLASH: '\\',
  TILDE: '~',
  CIRCA: '@',
  LBRACK: '[',
  RBRACK: ']',
  LBRACE: '{',
  RBRACE: '}',
  BANG: '!',
  PLUS: '+',
  STAR: '*',
  BAR: '|',
  GT: '>',
  LT: '<',
  EQ: '=',
};
const MUNGED_NAME = new RegExp(`_(${Object.keys(MUNGED).join('|')})_`, 'g');
// the compiler's count after a generated name: `fn__287`, `seq__5467`, `iter__123`
const COUNTED = /__\d{1,10}$/;
const CLOJURE_SOURCE = /\.clj[cs]?$/;

/** `unit_price` → `unit-price`, `ship_BANG_` → `ship!`, `fn__287` → `fn`. */
function demungePart(part: string): string {
  return part
    .replace(COUNTED, '')
    .replace(MUNGED_NAME, (name, word: string) => MUNGED[word] ?? name)
    .replaceAll('_', '-');
}

/**
 * The Clojure function a JVM frame ran, by its class (`shop.main$_main$fn__287` → `-main/fn`),
 * when the frame is in a Clojure source file; undefined for any other frame.
 */
export function clojureFunction(file: string, className: string | undefined): string | undefined {
  if (className === undefined || !CLOJURE_SOURCE.test(file)) return undefined;
  const dollar = className.indexOf('$');
  if (dollar < 0) return undefined;
  return className
    .slice(dollar + 1)
    .split('$')
    .filter((part) => part !== '')
    .map(demungePart)
    .join('/');
}

// clojure.main/ex-str's first line, one per phase: `Execution error (Type) at ns/fn (file:line).`,
// `Syntax error compiling at (path:line:col).`, `Syntax error reading source at (…).` … The type is
// left out for Exception and RuntimeException; a compile phase's error is a CompilerException.
const SUMMARY =
  /^(Execution error|Syntax error|Unexpected error|Error reading eval result|Error printing return value)(?: \(([A-Za-z_$][\w$]{0,200})\))?(?: - invalid arguments to ([^\s()]{1,500}))?(?: (?:compiling|macroexpanding|reading source))?(?: ([^\s()]{1,500}))? at(?: ([^\s()]{1,500}))? \(([^()\s]{1,500}?):(\d{1,9})(?::\d{1,9})?\)\.$/;
const REPORT_START = '{:clojure.main/message';
const FULL_REPORT = 'Full report at:';
/** Lines of message the summary may have before the report's end. */
const MAX_MESSAGE_LINES = 40;
/** Lines of EDN the stderr report may have (its trace, each exception's data). */
const MAX_REPORT_LINES = 2000;
const TRACE_ELEMENT = /^\s*\[{1,2}([\w$.-]{1,500}) ([\w$<>-]{1,200}) "([^"]{1,500})" (\d{1,9})\]/;

/** The line is clojure.main's summary of an error, or the start of its EDN report. */
export function startsClojureReport(line: string): boolean {
  const first = line.charCodeAt(0);
  // E, S, U, {
  if (first !== 69 && first !== 83 && first !== 85 && first !== 123) return false;
  return line === REPORT_START || (line.endsWith(').') && SUMMARY.test(line));
}

/** Whether `block` is a report clojure.main printed (startsClojureReport took its first line). */
export const isClojureReport = (block: readonly string[]): boolean => startsClojureReport(block[0] ?? '');

type Stage = 'report' | 'message' | 'gap' | 'pointer' | 'path' | 'over';

interface Progress {
  /** lines read */
  read: number;
  /** the last line read, to tell the block it was read from still holds it */
  last: string | undefined;
  stage: Stage;
  messageLines: number;
}

// Where each open report stands, so each of its lines is read once however long it grows.
const progressOf = new WeakMap<readonly string[], Progress>();

const isSummary = (line: string): boolean => {
  const first = line.charCodeAt(0);
  // E, S, U: no indented EDN line needs the regex
  return (first === 69 || first === 83 || first === 85) && SUMMARY.test(line);
};

/** Where the report that `block` holds stands: what its next line can be. */
function stageOf(block: readonly string[]): Stage {
  let progress = progressOf.get(block);
  if (!progress || progress.read > block.length || block[progress.read - 1] !== progress.last) {
    progress = {
      read: 1,
      last: block[0],
      stage: block[0] === REPORT_START ? 'report' : 'message',
      messageLines: 0,
    };
    progressOf.set(block, progress);
  }
  for (; progress.read < block.length && progress.stage !== 'over'; progress.read += 1) {
    progress.stage = nextStage(progress, block[progress.read] ?? '');
  }
  progress.last = block[progress.read - 1];
  return progress.stage;
}

function nextStage(progress: Progress, line: string): Stage {
  switch (progress.stage) {
    case 'report':
      // the EDN map is printed indented below its first line, then a blank line, then the summary
      if (progress.read > MAX_REPORT_LINES) return 'over';
      return isSummary(line) ? 'message' : 'report';
    case 'message':
      if (line.trim() === '') return 'gap';
      progress.messageLines += 1;
      return progress.messageLines > MAX_MESSAGE_LINES ? 'over' : 'message';
    case 'gap':
      return line === FULL_REPORT ? 'pointer' : 'over';
    case 'pointer':
      return 'path';
    default:
      return 'over';
  }
}

/** `line` is more of the report `block` holds. */
export function continuesClojureReport(line: string, block: readonly string[]): boolean {
  const stage = stageOf(block);
  switch (stage) {
    case 'report':
      return line.trim() === '' || /^\s/.test(line) || isSummary(line);
    case 'message':
      // another report's summary ends this one's message (a shipper joined the two prints)
      return !isSummary(line);
    case 'gap':
      return line === FULL_REPORT;
    case 'pointer':
      return line.trim() !== '';
    default:
      return false;
  }
}

/**
 * The summary is always followed by the error's message (ex-str ends its first line there): one
 * with no line after it was cut (a filter passes the summary's words, never the message's).
 */
export function isClojureReportCutShort(block: readonly string[]): boolean {
  return block.length === 1 && block[0] !== REPORT_START;
}

/** Nothing more of the report can follow: it named where the full report was written. */
export function endsClojureReport(block: readonly string[]): boolean {
  return stageOf(block) === 'path';
}

/**
 * The record of clojure.main's report: the summary's type and message, and the place it names (the
 * function's source file and line; a compile error's path from the classpath root); the report's
 * EDN trace, when it was printed, as the frames. `isLibraryFrame` decides which frames are the
 * application's (the JVM's rule).
 */
export function parseClojureReport(
  text: string,
  isLibraryFrame: (module: string) => boolean,
): ParsedTrace | undefined {
  const lines = text.split(/\r?\n/);
  const at = lines.findIndex(isSummary);
  const summary = at < 0 ? undefined : SUMMARY.exec(lines[at] ?? '');
  if (!summary) return undefined;
  const [, phase = '', simpleType, invalidArgsTo, before, after, location = '', lineText = ''] = summary;
  // The function an error was raised in; a compile phase names the macro it expanded, an invalid
  // call the function it called: the place is the caller's, in the file the location names.
  const symbol = invalidArgsTo === undefined && before === undefined ? after : undefined;
  const message: string[] = [];
  for (const line of lines.slice(at + 1)) {
    if (line.trim() === '') break;
    message.push(line);
  }
  const exceptionType =
    simpleType ?? (phase === 'Execution error' ? 'Exception' : 'clojure.lang.Compiler$CompilerException');
  const line = Number(lineText);
  const frames: StackFrame[] = [];
  for (const entry of lines.slice(0, at)) {
    const element = TRACE_ELEMENT.exec(entry);
    if (!element) continue;
    const [, className = '', method = '', file = '', elementLine = ''] = element;
    frames.push({
      file,
      line: Number(elementLine),
      function: clojureFunction(file, className) ?? method,
      module: className,
      inApp: !isLibraryFrame(className),
    });
  }
  if (frames.length === 0) {
    // `shop.pricing/unit-price` in `pricing.clj`: the class its frames would name, for the path
    const slash = symbol?.indexOf('/') ?? -1;
    const ns = symbol !== undefined && slash > 0 ? symbol.slice(0, slash) : undefined;
    const fn = symbol !== undefined && slash > 0 ? symbol.slice(slash + 1).replaceAll('$', '/') : undefined;
    const module =
      ns === undefined
        ? undefined
        : `${ns.replaceAll('-', '_')}$${(fn ?? '').replaceAll('-', '_').replaceAll('/', '$')}`;
    frames.push({
      file: location,
      ...(Number.isFinite(line) ? { line } : {}),
      ...(fn === undefined ? {} : { function: fn }),
      ...(module === undefined ? {} : { module }),
      inApp: module === undefined || !isLibraryFrame(module),
    });
  }
  return {
    language: 'java',
    exceptionType,
    message: message.join('\n'),
    // the EDN trace is innermost first, as a JVM prints one
    frames: frames.reverse(),
    causes: [],
  };
}
