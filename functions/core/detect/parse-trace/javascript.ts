import type { StackFrame } from '../../contracts.ts';
import { isInApp } from '../in-app.ts';
import { readEmbeddedError } from './embedded-error.ts';
import type { ParsedTrace, TraceParser } from './parsed-trace.ts';

// Every regex here is anchored and free of nested quantifiers: log text is attacker-controlled.
const FRAME = /^\s*at\s+(\S.*)$/;
/**
 * Node (16.14+) folds the frames a stack shares with its `[cause]`: `... 2 lines matching cause stack
 * trace ...`; and those of where an error was emitted (EMITTED_AT) it shares with the error's:
 * `[... lines matching original stack trace ...]`.
 */
const FOLDED_FRAMES =
  /^\s*(?:\.\.\. \d{1,6} lines? matching cause stack trace \.\.\.|\[\.\.\. lines matching original stack trace \.\.\.\])\s*$/;
/**
 * `TypeError: msg`, `Error [ERR_X]: msg`, `Uncaught RangeError`, util.inspect's `[AggregateError: msg] {`,
 * and the Lambda Node runtime's own errors (`Runtime.HandlerNotFound: msg`; util.inspect's
 * `ImportModuleError [Runtime.ImportModuleError]: msg`, its class and then its name).
 */
const HEADER =
  /^\s*(?:Uncaught )?(\[?)([A-Za-z_$][\w$]*|Runtime\.[A-Z][\w$]{0,100})(?: \[([\w.-]+)\])?(?:(:) ?(.*))?$/;
const ERROR_NAME = /(?:Error|Exception)$|^Runtime\.[A-Z]/;
// The Lambda Node runtime names its errors `Runtime.<Name>` whatever their class: the name is the
// error's, as the runtime reports it to Lambda. util.inspect prints it in brackets after the
// class, or, for an error whose stack another's header starts (Runtime.UserCodeSyntaxError keeps
// its SyntaxError's), as a property after the frames (`{ name: 'Runtime.UserCodeSyntaxError' }`).
const RUNTIME_NAME_PROP = /^\s*name: '(Runtime\.[A-Z]\w{0,100})',?$/;
/**
 * An error's own `name` where its stack's header names only `Error`: Sequelize builds the stack of
 * the errors a query fails with from a bare `new Error()` and names them after (`this.name =
 * 'SequelizeUniqueConstraintError'`), so Node prints `Error` and the frames, then the name among the
 * error's properties, two spaces in (a model's `name` field, deeper in, is no error's).
 */
const OWN_NAME_PROP = /^ {2}name: '([A-Z][\w$]{0,100}(?:Error|Exception))',?$/;
/**
 * A property of an error whose value is another error, util.inspect printing its header after the
 * key and its frames under it: `  parent: error: duplicate key value violates unique constraint
 * "Users_email_key"` (Sequelize's `parent` and `original`, the driver's error it wraps), TypeORM's
 * `  driverError: error: relation "invoices" does not exist`. Read only where a frame follows.
 */
const PROP_ERROR =
  /^ {2,80}[A-Za-z_$][\w$]{0,100}: ([A-Za-z_$][\w$]{0,100}(?: \[[\w.-]{1,100}\])?: .*|[A-Z][\w$]{0,100})$/;
// Its message is often the error it wraps, printed whole (`Runtime.ImportModuleError: Error: Cannot
// find module 'axios'`): the wrapped error's message is the failure's.
const WRAPPED_HEADER = /^(?:[A-Za-z_$][\w$]{0,100})?(?:Error|Exception): /;
/** A capitalised name after a space, then `: ` and a message: where an embedded custom error may start. */
const EMBEDDED_CLASS = /[ \t][A-Z][\w$]{0,100}: \S/g;
/** A message before an embedded error is short; a long line is data. */
const MAX_EMBEDDED_PREFIX = 400;
/** Names a header read only from the frame after it must look like: a class (`PaymentDeclined`). */
const CLASS_LIKE = /^[A-Z$_]/;
const CAUSE = /^\s*\[cause\]: (.*)$/;
/** Deno's print of an error's cause, after the error's frames: `Caused by: SyntaxError: …` */
const DENO_CAUSE = 'Caused by: ';
/** pino's `err` serializer (pino-std-serializers 6+) appends each cause's stack: `caused by: Error: …` */
const CAUSED_BY = /^\s*caused by: (.*)$/;
const ERRORS_OPEN = /^\s*\[errors\]: \[\s*$/;
/**
 * What Node prints after the frames of an error an EventEmitter emitted with no listener (and
 * that a Worker re-emits in its parent): where it was emitted, then that call's frames. They are
 * the emitter's, not the error's; a `[cause]` the error has follows them.
 */
const EMITTED_AT = /^Emitted 'error' event(?: on [\w$.]{1,200} instance)? at:$/;
/**
 * The first line of Node's uncaught-exception print: `/app/x.js:10` (then source, caret, blank). A
 * value thrown that is no Error, uncaught in an ES module (`throw 'bad config'` at its top level, in
 * an async function it awaits), has no stack: the excerpt is Node's own `triggerUncaughtException(`
 * in `node:internal/modules/run_main`, and names no code of the program (RUN_MAIN).
 */
const EXCERPT_HEADER =
  /^(?:file:\/\/)?(?:\/|[A-Za-z]:[\\/]|\.{1,2}\/)\S*\.(?:[cm]?[jt]sx?):\d+$|^node:internal\/modules\/run_main:\d{1,9}$/;
export const RUN_MAIN = 'node:internal/modules/run_main:';
/** Whether a line (its log prefix stripped) is the `/app/x.js:10` that opens Node's code excerpt. */
export const isExcerptHeader = (body: string): boolean => EXCERPT_HEADER.test(bounded(body).trim());
/**
 * The most lines an excerpt holds. Node's is the `file:line` header, the source line, a caret line
 * under the column and a blank line (an ES module's link error, `does not provide an export named`,
 * prints no blank); type stripping's code frame (ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX, Node 22.18+
 * and 24) shows every line of what it refused (a whole enum) with one around them, then a blank.
 * Lines held past the source line are handed back, read as any, when no error's header follows.
 */
export const MAX_EXCERPT_LINES = 64;
/** The excerpt's third line: a caret under the column (the indent before it gives the column). */
const CARET_LINE = /^([ \t]*)\^+\s*$/;
/** Whether `text` can follow the `held` lines of a code excerpt, the last of them `last`: a blank ends one. */
export function continuesExcerpt(held: number, last: string): boolean {
  return held === 1 || (held < MAX_EXCERPT_LINES && last.trim() !== '');
}
/** Whether the `held` excerpt lines, the last of them `last`, are a whole excerpt: an error's header may follow. */
export function endsExcerpt(held: number, last: string): boolean {
  return held >= 3 && (last.trim() === '' || CARET_LINE.test(bounded(last)));
}
// Bun prints the lines before the one that threw, numbered (` 9 |   loadConfig(raw);`), a caret under
// the column, then the error; its frames, under such an excerpt, six spaces in.
const BUN_EXCERPT_LINE = /^ {0,8}\d{1,7} \|(?: |$)/;
const BUN_EXCERPT_FRAME = /^ {6}at \S/;
/** Whether a line is of Bun's code excerpt before an error it prints: a numbered line, or the caret. */
export const isBunExcerptLine = (text: string): boolean =>
  BUN_EXCERPT_LINE.test(bounded(text)) || CARET_LINE.test(bounded(text));
/** Whether a trace's last line is a frame as Bun prints one under its code excerpt. */
export const isBunExcerptFrame = (text: string): boolean => BUN_EXCERPT_FRAME.test(bounded(text));
// What Bun and Node print last when an error they did not catch ends the process, after a blank
// line: `Bun v1.4.5 (Linux x64)`, `Node.js v24.22.3`.
const RUNTIME_TRAILER =
  /^(?:Bun v\d{1,4}\.\d{1,4}\.\d{1,6}\S{0,80} \([^()\n]{1,80}\)|Node\.js v\d{1,3}\.\d{1,3}\.\d{1,4})\s*$/;
export const isRuntimeTrailer = (text: string): boolean =>
  (text.startsWith('Bun v') || text.startsWith('Node.js v')) && RUNTIME_TRAILER.test(text);
// Node's print of a value thrown that is no Error (`throw 'not configured'`): its code excerpt, the
// value where an error's header would be, and this hint (Node 12+).
const TRACE_UNCAUGHT_HINT =
  /^\(Use `node --trace-uncaught \.\.\.` to show where the exception was thrown\)\s*$/;

/**
 * Whether `lines`, a code excerpt Node printed (its `file:line` first), is its print of an uncaught
 * value that is no Error: the caret, the value's line(s) right after it (an Error's header comes
 * after a blank line), then Node's `--trace-uncaught` hint, which it leaves out for an object
 * (`throw { code: 'E_CONFIG' }` prints the object, util.inspect's lines, and a blank line).
 */
export const isUncaughtValuePrint = (lines: readonly string[]): boolean => uncaughtValueEnd(lines) > 0;

/** Where the value of such a print ends (Node's hint, a blank line, the print's end), or -1 when `lines` is none. */
function uncaughtValueEnd(lines: readonly string[]): number {
  if (!CARET_LINE.test(bounded(lines[2] ?? '')) || !isExcerptHeader(lines[0] ?? '')) return -1;
  const hint = lines.findIndex((line) => TRACE_UNCAUGHT_HINT.test(bounded(line)));
  if (hint >= 4) return hint;
  const value = bounded(lines[3] ?? '');
  if (value.trim() === '' || readHeader(value) !== undefined) return -1;
  const blank = lines.findIndex((line, i) => i > 3 && line.trim() === '');
  return blank < 0 ? lines.length : blank;
}
const BUILTIN_LOCATION = /^(?:<anonymous>|native)$/;
const INSPECT_OPEN = /(?:\{|\[)$/;
const INSPECT_CLOSE = /^\s*[\]}],?$/;
/** Longest line a regex sees; a real frame or header is far shorter. */
const MAX_LINE = 8192;
/** How far back the assembler looks for an open util.inspect brace. */
const MAX_LOOKBACK = 500;

interface Header {
  exceptionType: string;
  message: string;
  /** util.inspect printed `{` after the header: what follows is props, not message */
  opensProps: boolean;
}

interface Section extends Header {
  messageLines: string[];
  frames: StackFrame[];
  hasFrameLine: boolean;
}

const bounded = (line: string): string => (line.length > MAX_LINE ? line.slice(0, MAX_LINE) : line);

interface HeaderOptions {
  /** any name is an error's, not only one ending in Error or Exception */
  anyName?: boolean;
  /** the line is what follows a lower-case word (see headerAfterWord): no such word is read again */
  afterWord?: boolean;
}

function readHeader(
  line: string,
  { anyName = false, afterWord = false }: HeaderOptions = {},
): Header | undefined {
  const match = HEADER.exec(bounded(line).trimEnd());
  if (!match) return undefined;
  const [, bracket, className = '', inBrackets, colon, rest = ''] = match;
  const after =
    !afterWord && !bracket && inBrackets === undefined && colon
      ? headerAfterWord(className, rest)
      : undefined;
  // A header where either word names an error is one (`uncaughtException: PaymentDeclined: …`, as
  // `TypeError: …` is); a custom class's after any other word, only where any name is taken.
  if (after)
    return anyName || ERROR_NAME.test(after.exceptionType) || ERROR_NAME.test(className) ? after : undefined;
  // The bracket after the class holds the error's name where it differs from the class (joi's
  // `Error [ValidationError]`, `DOMException [TimeoutError]`) or a Node error's code (`TypeError
  // [ERR_INVALID_ARG_TYPE]`): a name is the error's type, as `err.name` says. util.inspect prints
  // an error's Symbol.toStringTag there too, where it differs from the class: Node gives one of
  // `Error` to every error a worker_threads Worker passes to its parent (`TypeError [Error]: …`,
  // the worker's uncaught TypeError, its name still `TypeError`). `Error` in brackets is so never
  // the name (a name `Error` on a TypeError prints `TypeError: …`): the class is the type.
  const name =
    inBrackets !== undefined && inBrackets !== 'Error' && ERROR_NAME.test(inBrackets)
      ? inBrackets
      : className;
  if (!anyName && !ERROR_NAME.test(name)) return undefined;
  if (!colon && rest !== '') return undefined;
  let message = name.startsWith('Runtime.') ? rest.replace(WRAPPED_HEADER, '') : rest;
  let opensProps = false;
  if (bracket) {
    // `[AggregateError: All promises were rejected] {`: the brackets are util.inspect's, not the message's.
    const close = message.lastIndexOf(']');
    if (close < 0) return undefined;
    opensProps = message.slice(close + 1).trim() === '{';
    message = message.slice(0, close);
  } else if (message.endsWith(' {')) {
    opensProps = true;
    message = message.slice(0, -2);
  }
  return { exceptionType: name, message, opensProps };
}

/** A word that starts lower-case: a variable's, a function's or an event's, never a class's. */
const LOWER_CASE_WORD = /^[a-z]/;
const UPPER_CASE_START = /^[A-Z]/;

/**
 * The error whose header follows a lower-case word and `: `. Node hands a process.on('uncaughtException')
 * listener the error and its origin, `uncaughtException` or `unhandledRejection`, and a listener
 * often logs both: `2026-12-07T23:18:58.862Z FATAL uncaughtException: SyntaxError: Expected
 * double-quoted property name in JSON at position 35`, then err.stack's frames. A JavaScript
 * class's name is capitalised (node-postgres's `error` is read apart, and its messages are
 * lower-case): the error is the SyntaxError, whose header, class and message, follows the word.
 * Undefined where `word` is no lower-case word, or no `Name: message` (or a name ending in Error
 * or Exception) follows it.
 */
function headerAfterWord(word: string, rest: string): Header | undefined {
  if (!LOWER_CASE_WORD.test(word) || !UPPER_CASE_START.test(rest)) return undefined;
  const header = readHeader(rest, { anyName: true, afterWord: true });
  return header && (header.message !== '' || ERROR_NAME.test(header.exceptionType)) ? header : undefined;
}

/**
 * `feed import failed: SyntaxError: …` (a message that embeds `err.stack`) and console.trace's
 * `Trace: TypeError: …`: the error named inside the line.
 */
function readEmbeddedHeader(line: string): Header | undefined {
  const found = readEmbeddedError(bounded(line).trim());
  if (found) {
    // `FATAL uncaughtException: SyntaxError: …`, its log prefix not taken off: the word is no name
    const after = headerAfterWord(found.exceptionType, found.message);
    return after ?? { exceptionType: found.exceptionType, message: found.message, opensProps: false };
  }
  return readInspectedAfterWords(line);
}

// Where util.inspect's own form of an error may start after other words: `[Name: msg]`, or a name
// with the `[name]` inspect adds when it differs from the class (`DOMException [TimeoutError]: …`).
const INSPECTED_START = /[ \t](?=\[[A-Z]|[A-Z][\w$]{0,100} \[[\w.-]{1,100}\]: )/g;

/**
 * console.error(msg, err) of an error util.inspect prints in its own form: in brackets when its stack
 * holds no frame (`price refresh failed [TypeError: fetch failed] {` — Node 24's fetch rejects with
 * such a TypeError, its frames only under `[cause]`), or with the name it differs by
 * (`rates refresh failed DOMException [TimeoutError]: The operation was aborted due to timeout`).
 */
export function readInspectedAfterWords(line: string): Header | undefined {
  const head = bounded(line);
  const prefix = head.slice(0, MAX_EMBEDDED_PREFIX + 1);
  INSPECTED_START.lastIndex = 0;
  for (let found = INSPECTED_START.exec(prefix); found !== null; found = INSPECTED_START.exec(prefix)) {
    const header = readHeader(head.slice(found.index + 1).trimEnd());
    if (header) return header;
  }
  return undefined;
}

/**
 * `Unhandled rejection: PaymentDeclined: card declined` (console.error('…:', err) of a custom error
 * class): the first capitalised name after other words that is followed by `: ` and a message.
 */
function readEmbeddedClassHeader(line: string): Header | undefined {
  const head = bounded(line);
  EMBEDDED_CLASS.lastIndex = 0;
  for (let found = EMBEDDED_CLASS.exec(head); found !== null; found = EMBEDDED_CLASS.exec(head)) {
    const start = found.index + 1;
    if (start > MAX_EMBEDDED_PREFIX) return undefined;
    const header = readHeader(head.slice(start), { anyName: true });
    if (header) return header;
  }
  return undefined;
}

// An error named `error` after other words: node-postgres names the DatabaseError the server
// reports `error` (its protocol message's), so console.error('insert failed:', err) prints
// `insert failed: error: duplicate key value violates unique constraint "orders_ref_key"`, then
// its frames and its fields. Read, where a frame follows, as the `Error` it is when printed alone.
// Only after a colon: `Pricing error: %KeyError{…}` (Elixir's Logger) is a message's own words.
const EMBEDDED_LOWER_CASE_ERROR = /: error: (?=\S)/g;

/** The line names an error called `error` after other words (EMBEDDED_LOWER_CASE_ERROR). */
export const namesLowerCaseError = (line: string): boolean => readEmbeddedLowerCaseError(line) !== undefined;

function readEmbeddedLowerCaseError(line: string): Header | undefined {
  const head = bounded(line).trimEnd();
  EMBEDDED_LOWER_CASE_ERROR.lastIndex = 0;
  const found = EMBEDDED_LOWER_CASE_ERROR.exec(head.slice(0, MAX_EMBEDDED_PREFIX + RUNTIME_LABEL.length + 1));
  if (!found) return undefined;
  let message = head.slice(found.index + found[0].length);
  const opensProps = message.endsWith(' {');
  if (opensProps) message = message.slice(0, -2);
  return { exceptionType: 'Error', message, opensProps };
}

// Bun and Deno start what they print of an error they report with `error: ` at column 0. Bun
// writes it for an error named `Error` (`error: config unreadable`, its class's name otherwise) and
// for what its loader could not build or resolve (`error: Expected ")" but found ";"`, `error:
// Cannot find module './x' from '/app/y.ts'`); Deno for an error nothing caught (`error: Uncaught
// (in promise) TypeError: …`) and for a module it could not load (`error: Module not found
// "file:///app/x.ts".`, `error: SyntaxError: …`), with its frames under it.
const RUNTIME_LABEL = 'error: ';
const UNCAUGHT_LABEL = /^Uncaught (\(in promise\) )?/;
// Deno's reports of a module it could not load, the program's start failing: whole on their own,
// the importing file on the frame under them.
const DENO_LOAD_FAILURE = /^(?:Module not found "[^"\n]{1,1000}"|Import "[^"\n]{1,300}" not a dependency)/;
/** A value thrown that is no Error, as Deno prints it: `"upstream said no"`, `42`, `undefined`. */
const QUOTED_VALUE = /^"(.*)"$/;

interface Labelled {
  header: Header;
  /** Deno's `Uncaught`, or a module it could not load: nothing caught it, whatever follows */
  isUncaught: boolean;
  /** what was thrown is no Error (`"upstream said no"`): Deno prints nothing more of it */
  isValue?: true;
}

/** The error a Bun or Deno `error: ` line reports (see RUNTIME_LABEL); undefined for any other line. */
function readLabelled(line: string): Labelled | undefined {
  if (!line.startsWith(RUNTIME_LABEL)) return undefined;
  const rest = bounded(line).slice(RUNTIME_LABEL.length).trimEnd();
  if (rest === '' || rest.startsWith(' ')) return undefined;
  const uncaught = UNCAUGHT_LABEL.exec(rest);
  if (uncaught) {
    const value = rest.slice(uncaught[0].length);
    const header = readHeader(value, { anyName: true });
    if (header) return { header, isUncaught: true };
    // a promise rejected with a string is what Node names UnhandledPromiseRejection
    const message = QUOTED_VALUE.exec(value)?.[1] ?? value;
    const exceptionType = uncaught[1] ? 'UnhandledPromiseRejection' : 'Error';
    return { header: { exceptionType, message, opensProps: false }, isUncaught: true, isValue: true };
  }
  const header = readHeader(rest) ?? { exceptionType: 'Error', message: rest, opensProps: false };
  return { header: { ...header, opensProps: false }, isUncaught: DENO_LOAD_FAILURE.test(rest) };
}

/**
 * The header of the top exception: its own, else one embedded in a message, else any `Name: msg`,
 * else a class-like name after other words (the last two only where a frame follows the line).
 */
function readTopHeader(line: string): Header | undefined {
  const header =
    readLabelled(line)?.header ??
    readHeader(line) ??
    readEmbeddedHeader(line) ??
    readHeader(line, { anyName: true }) ??
    readEmbeddedClassHeader(line) ??
    readEmbeddedLowerCaseError(line);
  // Bun prints a system error (an `Error` with a `code`) without its name: `ENOENT: no such file
  // or directory, open '/app/x.html'`. Node prints `Error: ENOENT: …`, and so is it read.
  return header && ERRNO_CODE.test(header.exceptionType)
    ? { ...header, exceptionType: 'Error', message: `${header.exceptionType}: ${header.message}` }
    : header;
}
/** A system error's code (`ENOENT`, `ECONNREFUSED`), as a regex's source. */
export const ERRNO_CODE_SOURCE = 'E[A-Z][A-Z_]{1,15}';
const ERRNO_CODE = new RegExp(`^${ERRNO_CODE_SOURCE}$`);
/** `ENOENT: no such file or directory, open '/app/x.html'`: how Bun heads a system error it prints. */
const ERRNO_HEADER = new RegExp(`^${ERRNO_CODE_SOURCE}: \\S`);

/** Strips the `file://` scheme so ESM paths look like CommonJS ones (and map onto the repository). */
function normaliseFile(file: string): string {
  if (!file.startsWith('file://')) return file;
  const path = file.slice('file://'.length);
  return /^\/[A-Za-z]:\//.test(path) ? path.slice(1) : path;
}

/** `file:line:col`, `file:line` or a bare location (`native`, `<anonymous>`, `index 0`). */
function readLocation(location: string): Pick<StackFrame, 'file' | 'line' | 'column'> {
  const last = location.lastIndexOf(':');
  const tail = location.slice(last + 1);
  if (last < 0 || !/^\d+$/.test(tail)) return { file: normaliseFile(location) };
  const head = location.slice(0, last);
  const previous = head.lastIndexOf(':');
  const lineText = head.slice(previous + 1);
  if (previous >= 0 && /^\d+$/.test(lineText)) {
    return { file: normaliseFile(head.slice(0, previous)), line: Number(lineText), column: Number(tail) };
  }
  return { file: normaliseFile(head), line: Number(tail) };
}

function readFrame(rawBody: string): StackFrame {
  // The last frame before a util.inspect props block ends in ` {`; inside `[errors]` in `,`.
  let body = rawBody.trimEnd();
  if (body.endsWith(' {')) body = body.slice(0, -2);
  if (body.endsWith(',')) body = body.slice(0, -1);
  let fn: string | undefined;
  let location = body;
  const open = body.indexOf(' (');
  if (open > 0 && body.endsWith(')')) {
    fn = body.slice(0, open);
    location = body.slice(open + 2, -1);
  }
  // `at async file:///app/main.mjs:6:3`: an awaited top-level or anonymous frame, no name
  if (fn === undefined && location.startsWith('async ')) location = location.slice('async '.length);
  let where = readLocation(location);
  if (fn === undefined && where.line === undefined && !/[\\/<]/.test(location)) {
    // `at a_function_name`: a name with no location at all.
    fn = location;
    where = { file: '' };
  }
  // `async fn` is the same function as `fn`; keeping the keyword would split fingerprints.
  if (fn?.startsWith('async ')) fn = fn.slice('async '.length);
  const inApp = isInApp({ language: 'javascript', file: where.file });
  // `at Array.map (<anonymous>)`, `(native)`: V8 names no file there, only that there is none.
  if (where.line === undefined && BUILTIN_LOCATION.test(where.file)) where = { file: '' };
  return { ...where, ...(fn ? { function: fn } : {}), inApp };
}

function toTrace(section: Section): ParsedTrace {
  const lines = [section.message, ...section.messageLines];
  // Bun prints an error's own properties after its message, one a line, their colons aligned
  // (` orderId: "ord-7",`, `    code: "ENOENT"`), then a blank line before the frames.
  const props = lines.length >= 3 && section.hasFrameLine && lines.at(-1)?.trim() === '';
  if (props && lines.slice(1, -1).every((line) => BUN_PROPERTY.test(bounded(line)))) lines.splice(1);
  while (lines.length > 1 && (lines.at(-1) ?? '').trim() === '') lines.pop();
  // Deno prints the line that threw and a caret under it between the header and the frames:
  // the program's code, not the error's message.
  if (lines.length >= 3 && CARET_LINE.test(lines.at(-1) ?? '')) lines.splice(-2);
  // …and the line of a module it could not parse in a gutter, a tilde under the column:
  // `  |`, `3 |   return Math.round(cents * (1 - rate);`, `  |                 ~`
  if (lines.length >= 3 && GUTTER_MARK.test(bounded(lines.at(-1) ?? ''))) {
    const first = lines.findIndex((line, i) => i > 0 && GUTTER_LINE.test(bounded(line)));
    if (first > 0 && lines.slice(first).every((line) => GUTTER_LINE.test(bounded(line)))) lines.splice(first);
  }
  const frames = [...section.frames].reverse();
  // An ES module that imports what cannot be found: every frame is Node's resolver, and the
  // importing file, where the import statement is, is named only in the message.
  const imported = IMPORTED_FROM.exec(section.message);
  const importer = imported?.[1] ?? imported?.[2];
  if (importer !== undefined && !frames.some((f) => f.inApp)) {
    const file = normaliseFile(importer);
    frames.push({ file, function: '<import>', inApp: isInApp({ language: 'javascript', file }) });
  }
  // A require() of an ES module Node cannot load synchronously (ERR_REQUIRE_ASYNC_MODULE, 22.12+):
  // the frames are Node's loader, the file that called require() is named in the message only.
  const requirer = frames.some((f) => f.inApp) ? undefined : requiringFile(lines);
  if (requirer !== undefined) {
    frames.push({
      file: requirer,
      function: '<require>',
      inApp: isInApp({ language: 'javascript', file: requirer }),
    });
  }
  return {
    language: 'javascript',
    exceptionType: section.exceptionType,
    message: lines.join('\n'),
    frames,
    causes: [],
  };
}
// a property of a value inspection prints on its line: a string, number, boolean, null, undefined
const BUN_PROPERTY =
  /^ {0,40}[A-Za-z_$][\w$]{0,100}: (?:"[^\n]*"|-?\d[\d.]{0,40}|true|false|null|undefined),?$/;
const GUTTER_LINE = /^ {0,12}(?:\d{1,9} )?\|(?: .*)?$/;
const GUTTER_MARK = /^ {0,12}\| +~+\s*$/;
// `Cannot find module '/app/src/config.js' imported from /app/src/server.mjs` (also `package`);
// Bun's loader: `Cannot find module './config.ts' from '/app/src/server.ts'`
const IMPORTED_FROM =
  /^Cannot find (?:module|package) '[^'\n]{1,1000}' (?:imported from (\S{1,1000})|from '([^'\n]{1,1000})')$/;
// Node 22: `  From /app/main.cjs `, `  Requiring /app/config.mjs `; Node 24: `Required module:
// /app/config.mjs`, `Require stack:`, `- /app/main.cjs` (the nearest requirer first). A plain CJS
// `Cannot find module` lists a `Require stack:` too, with no `Required module:` before it: there the
// frames name the requirer, and the Lambda runtime's load failure is the runtime's.
const REQUIRED_FROM = /^ {2}From (\S{1,1000}) ?$/;
const REQUIRING = /^ {2}Requiring \S/;
const REQUIRED_MODULE = /^Required module: \S/;
const REQUIRE_STACK_ENTRY = /^- (\S{1,1000})$/;

/** The file whose require() of an ES module failed, as the message names it. */
function requiringFile(lines: readonly string[]): string | undefined {
  for (let i = 1; i < lines.length - 1; i += 1) {
    const line = bounded(lines[i] ?? '');
    const next = bounded(lines[i + 1] ?? '');
    const from = REQUIRED_FROM.exec(line)?.[1];
    if (from !== undefined && REQUIRING.test(next)) return from;
    if (REQUIRED_MODULE.test(line) && next === 'Require stack:')
      return REQUIRE_STACK_ENTRY.exec(bounded(lines[i + 2] ?? ''))?.[1];
  }
  return undefined;
}

const newSection = (header: Header): Section => ({
  ...header,
  messageLines: [],
  frames: [],
  hasFrameLine: false,
});

/** Index of the first line after the code excerpt `lines` starts with (see MAX_EXCERPT_LINES). */
function excerptEnd(lines: readonly string[]): number {
  const last = Math.min(lines.length, MAX_EXCERPT_LINES + 1);
  for (let i = 1; i < last; i += 1) {
    const line = bounded(lines[i] ?? '');
    if (line.trim() === '') return i + 1;
    if (i >= 3 && CARET_LINE.test(bounded(lines[i - 1] ?? '')) && readHeader(line, { anyName: true }))
      return i;
  }
  return 1;
}

/** Index of the line holding the top exception's header, skipping Node's uncaught-exception code excerpt. */
function findHeader(lines: readonly string[]): number {
  const start = EXCERPT_HEADER.test(bounded(lines[0] ?? '').trim()) ? excerptEnd(lines) : 0;
  // `msg [AggregateError: …] {`: the errors listed inside the braces are its members, not it.
  if (readInspectedAfterWords(lines[start] ?? '')?.opensProps) return start;
  for (let i = start; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    if (readHeader(line) || readLabelled(line)) return i;
    // Any `Name: msg` directly followed by a frame is a (custom-named) error too.
    if (FRAME.test(bounded(lines[i + 1] ?? '')) && readTopHeader(line)) return i;
  }
  // `thumbnail failed Error: Command failed: ls /x` (console.error(msg, err)), then the rest of a
  // message of several lines, then frames: the first line is the header.
  const hasFrame = lines.some((line) => FRAME.test(bounded(line)));
  return hasFrame && readTopHeader(lines[start] ?? '') ? start : -1;
}

// A V8 frame at a file's line and column (`    at total (total.mjs:2:22)`): a Java frame's
// `(App.java:12)` has no column, so frames with no header are taken for JavaScript only so.
const V8_LOCATED_FRAME = /^\s*at (?:[^\n]{1,1000} \()?[^\s()]{1,1000}:\d{1,9}:\d{1,9}\)?\s*$/;
const STRUCTURED_LINE = /^\s*\{|(?:^|\s)(?:level|lvl|severity|msg)=/;

/** The first line as the message of an error whose name was not printed (`Error`, JavaScript's base class). */
function namelessHeader(line: string): Header | undefined {
  const message = line.trim();
  return message === '' || FRAME.test(bounded(line))
    ? undefined
    : { exceptionType: 'Error', message, opensProps: false };
}

const REJECTED_WITH = /The promise rejected with the reason "([^\n]{0,2000})"\.$/;

function parseJavascript(text: string): ParsedTrace | undefined {
  // A Lambda-style `timestamp\trequest-id\t` prefix may survive on the first line.
  const lines = text
    .split(/\r?\n/)
    .map((line, i) => (i === 0 ? line.slice(line.lastIndexOf('\t') + 1) : line));
  const headerAt = findHeader(lines);
  // A message with no error's name before the frames: a logger that prints the error's message and
  // stack alone (consola: ` ERROR  Cannot read properties of undefined …` then `    at …`). The
  // detector hands such a block over only for a line logged at an error level.
  const nameless =
    headerAt < 0 && V8_LOCATED_FRAME.test(bounded(lines[1] ?? ''))
      ? namelessHeader(lines[0] ?? '')
      : undefined;
  if (headerAt < 0 && !nameless) return uncaughtValue(lines);
  const at = nameless ? 0 : headerAt;
  const topLine = lines[at] ?? '';
  const top = nameless ?? readTopHeader(topLine);
  if (!top) return undefined;
  const sections: Section[] = [newSection(top)];
  let current: Section = sections[0] as Section;
  let inProps = top.opensProps;
  // Deno lists an AggregateError's errors under its header, indented, with no `[errors]: [`
  let inErrors = top.exceptionType === 'AggregateError' && !top.opensProps;
  let runtimeName: string | undefined;
  let ownName: string | undefined;
  // frames that are not the current error's: an emit's (EMITTED_AT), a property error's read already
  let skipFrames = false;
  const rest = lines.slice(at + 1);
  for (let i = 0; i < rest.length; i += 1) {
    const raw = rest[i] ?? '';
    const line = bounded(raw);
    if (FOLDED_FRAMES.test(line)) continue;
    if (current.hasFrameLine && EMITTED_AT.test(line.trimEnd())) {
      skipFrames = true;
      continue;
    }
    const frame = FRAME.exec(line);
    if (frame && skipFrames) {
      if (line.trimEnd().endsWith(' {')) inProps = true;
      continue;
    }
    skipFrames = false;
    // An error a property holds (PROP_ERROR) is one the error wraps, read as its cause: its frames
    // are its own, never the error's. Sequelize prints the same driver error under `parent` and
    // `original`; the second is no cause of the first, and its frames are skipped.
    const held = !frame && (inProps || current.hasFrameLine) ? propertyError(line, rest[i + 1]) : undefined;
    if (held) {
      const last = sections.length > 1 ? sections[sections.length - 1] : undefined;
      if (last?.exceptionType === held.exceptionType && last.message === held.message) skipFrames = true;
      else {
        current = newSection(held);
        sections.push(current);
      }
      continue;
    }
    if (frame) {
      current.frames.push(readFrame(frame[1] ?? ''));
      current.hasFrameLine = true;
      if (line.trimEnd().endsWith(' {')) inProps = true;
      continue;
    }
    const cause = line.startsWith(DENO_CAUSE)
      ? [line, line.slice(DENO_CAUSE.length)]
      : (CAUSE.exec(line) ?? (current.hasFrameLine ? CAUSED_BY.exec(line) : null));
    if (cause) {
      // a cause that is no Error (`[cause]: 'db offline'`, Deno's `Caused by: "db offline"`) has no frames
      const header = readHeader(cause[1] ?? '', { anyName: true });
      if (header) {
        current = newSection(header);
        sections.push(current);
      }
      continue;
    }
    if (ERRORS_OPEN.test(line)) {
      inErrors = true;
      continue;
    }
    if (inErrors) {
      // AggregateError members are listed as causes too: they are what actually failed.
      const member = readHeader(line, { anyName: true });
      if (member && /^\s/.test(line)) {
        current = newSection(member);
        sections.push(current);
        continue;
      }
    }
    const isMessage = !inProps && !inErrors && !current.opensProps && !current.hasFrameLine;
    if (!isMessage && current === sections[0]) {
      runtimeName ??= RUNTIME_NAME_PROP.exec(line)?.[1];
      ownName ??= OWN_NAME_PROP.exec(line)?.[1];
    }
    // `],` closing a JSON array inside a message (ZodError's issues) is message, not util.inspect's
    if (INSPECT_CLOSE.test(line) && !isMessage) {
      if (line.trim().startsWith(']')) inErrors = false;
      continue;
    }
    if (!isMessage) continue;
    if (current === sections[0]) current.messageLines.push(raw);
  }
  const [first, ...causes] = sections;
  if (!first) return undefined;
  // A line that merely mentions an error inside its text is a trace only when frames follow it.
  const labelled = readLabelled(topLine);
  const isEmbedded =
    !labelled && readHeader(topLine) === undefined && readEmbeddedHeader(topLine) !== undefined;
  // …or when util.inspect's braces follow its bracketed form (an error with no frames of its own).
  if (isEmbedded && !first.hasFrameLine && !top.opensProps) return undefined;
  const trace = toTrace(first);
  // So is an `error: ` line that is not Deno's report of an uncaught error, unless it names the
  // module that imports what Bun could not find (`… from '/app/src/server.ts'`): many a program
  // starts a line so.
  if (labelled && !labelled.isUncaught && trace.frames.length === 0) return undefined;
  // Node's report of a promise rejected with something that is not an Error (`throw \`…\``,
  // `reject('…')`): the reason is all there is of the failure, and the frames are Node's own.
  const reason =
    trace.exceptionType === 'UnhandledPromiseRejection' ? REJECTED_WITH.exec(trace.message)?.[1] : undefined;
  if (reason !== undefined && trace.frames.every((f) => f.file.startsWith('node:')))
    return { ...trace, message: reason, frames: [], causes: causes.map(toTrace) };
  // The excerpt's line is where the error was thrown: for a SyntaxError of a file Node compiled, the
  // only place its file is named (V8's frames are the loader's and the require's); for an error
  // that has no frames (joi creates its ValidationError with no stack), the one place there is.
  const thrown =
    trace.exceptionType === 'SyntaxError' || trace.frames.length === 0 ? excerptFrame(lines) : undefined;
  // Innermost, and only when no frame names that line already (a JSON.parse inside the file).
  if (thrown && !trace.frames.some((f) => f.file === thrown.file && f.line === thrown.line))
    trace.frames.push(thrown);
  const name = runtimeName ?? (trace.exceptionType === 'Error' ? ownName : undefined);
  return { ...trace, ...(name ? { exceptionType: name } : {}), causes: causes.map(toTrace) };
}

/**
 * The error a property's line holds (PROP_ERROR), where `next`, the line after it, is a frame.
 * node-postgres names the DatabaseError the server reports `error`: read as `Error`, as a header
 * `error: …` is elsewhere.
 */
function propertyError(line: string, next: string | undefined): Header | undefined {
  if (next === undefined || !FRAME.test(bounded(next))) return undefined;
  const value = PROP_ERROR.exec(line.trimEnd())?.[1];
  if (value === undefined) return undefined;
  const header = readHeader(value, { anyName: true });
  if (!header) return undefined;
  return header.exceptionType === 'error' ? { ...header, exceptionType: 'Error' } : header;
}

/**
 * A value thrown that is no Error, as Node prints it uncaught: the value is the message, with no
 * name of its own (read as an `Error`, what Sentry and Node's own `ERR_UNHANDLED_REJECTION` make of
 * one), and the excerpt's line is where it was thrown, the one frame Node gives.
 */
function uncaughtValue(lines: readonly string[]): ParsedTrace | undefined {
  const end = uncaughtValueEnd(lines);
  if (end < 0) return undefined;
  const frame = excerptFrame(lines);
  const value = lines.slice(3, end);
  return {
    language: 'javascript',
    exceptionType: 'Error',
    // an object util.inspect spread over lines, read on one, as it prints a short one
    message: (value.length > 1 && INSPECT_OPEN.test(value[0]?.trim() ?? '')
      ? value.map((line) => line.trim()).join(' ')
      : value.join('\n')
    ).trim(),
    frames: frame ? [frame] : [],
    causes: [],
  };
}

/** The file, line and column of Node's code excerpt (`/app/x.js:3`, the source line, a caret under the column). */
function excerptFrame(lines: readonly string[]): StackFrame | undefined {
  const header = bounded(lines[0] ?? '').trim();
  if (!EXCERPT_HEADER.test(header) || header.startsWith(RUN_MAIN)) return undefined;
  const where = readLocation(header);
  const caret = CARET_LINE.exec(bounded(lines[2] ?? ''));
  const file = where.file;
  return {
    file,
    ...(where.line !== undefined ? { line: where.line } : {}),
    ...(caret ? { column: (caret[1] ?? '').length + 1 } : {}),
    inApp: isInApp({ language: 'javascript', file }),
  };
}

function continuesJavascript(line: string, block: readonly string[]): boolean {
  if (block.length === 0) return false;
  const head = bounded(line);
  if (FRAME.test(head) || FOLDED_FRAMES.test(head)) return true;
  // Deno's `Caused by: …` after an error's frames; its AggregateError's errors, indented under it
  if (head.startsWith(DENO_CAUSE)) return block.some((previous) => FRAME.test(bounded(previous)));
  if (isIndented(head) && readHeader(head) !== undefined && isDenoAggregate(block)) return true;
  // pino's `caused by: …` after an error's frames; Node's `Emitted 'error' event on Worker instance at:`
  if (CAUSED_BY.test(head) || EMITTED_AT.test(head.trimEnd()))
    return block.some((previous) => FRAME.test(bounded(previous)));
  const first = bounded(block[0] ?? '').trim();
  // Node's uncaught print: `/app/x.js:10`, the source line, the caret line, a blank, then the error.
  if (EXCERPT_HEADER.test(first) && !block.some((l) => readHeader(l) !== undefined)) {
    return block.length < 4 || readHeader(head) !== undefined;
  }
  if (head.trim() === '') return false;
  // Inside a util.inspect block (`{ [cause]: …, code: 'ERR_X' }`, `[errors]: [ … ]`) until it closes.
  let depth = 0;
  for (let i = block.length - 1, seen = 0; i >= 0 && seen < MAX_LOOKBACK; i -= 1, seen += 1) {
    const previous = bounded(block[i] ?? '').trimEnd();
    if (INSPECT_CLOSE.test(previous)) depth -= 1;
    else if (INSPECT_OPEN.test(previous)) depth += 1;
    if (depth > 0) return true;
  }
  return false;
}

const isIndented = (line: string): boolean => line.charCodeAt(0) === 32 || line.charCodeAt(0) === 9;

/** A block Deno's report of an uncaught AggregateError heads (its errors follow, indented). */
function isDenoAggregate(block: readonly string[]): boolean {
  const header = readLabelled(bounded(block[0] ?? ''));
  return header?.isUncaught === true && header.header.exceptionType === 'AggregateError';
}

// One of util.inspect's properties of an error, two spaces in: `  name: 'SequelizeUniqueConstraintError',`.
const OWN_PROP = /^ {2}[A-Za-z_$][\w$]{0,100}: \S/;
/** How far into a block its header may stand (a lead line, Node's excerpt before it). */
const MAX_HEADER_AT = 8;

/**
 * util.inspect prints an error's properties after its frames (or after `{` on its header's line when
 * it has none): a header a property follows directly lost its frames. A filter on `Error` delivers
 * of Sequelize's print `Error`, `  name: 'SequelizeUniqueConstraintError',`, then lines deep in its
 * properties (`    ValidationErrorItem {`, a driver error's `at parseErrorMessage (…)`): no frame of
 * the error's own, and the stream holds them. So too console.error('registration failed:', err):
 * `registration failed: Error`, then `  name: …`.
 */
function isJavascriptCutShort(block: readonly string[]): boolean {
  const last = Math.min(block.length - 1, MAX_HEADER_AT);
  for (let i = 0; i < last; i += 1) {
    const header = readTopHeader(bounded(block[i] ?? ''));
    if (header) return !header.opensProps && OWN_PROP.test(bounded(block[i + 1] ?? ''));
  }
  return false;
}

/** Node.js / TypeScript (V8) stack traces: `[cause]`, AggregateError, async frames, uncaught prints. */
export const javascriptParser: TraceParser = {
  language: 'javascript',
  startsTrace: (line) => {
    const head = bounded(line);
    return (
      readHeader(head) !== undefined ||
      EXCERPT_HEADER.test(head.trim()) ||
      readLabelled(head) !== undefined ||
      ERRNO_HEADER.test(head) ||
      // `msg: TypeError: x` and console.error(msg, err)'s `msg TypeError: x` or `msg Error`
      ((head.includes(': ') || ERROR_NAME.test(head.trimEnd())) && readEmbeddedHeader(head) !== undefined) ||
      // console.error(msg, err) of node-postgres's DatabaseError: `msg: error: duplicate key …`
      namesLowerCaseError(head)
    );
  },
  continuesTrace: continuesJavascript,
  endsTrace: (block) => block.length === 1 && readLabelled(block[0] ?? '')?.isValue === true,
  isCutShort: isJavascriptCutShort,
  continuesMessage: (line, block) => {
    if (block.some((previous) => FRAME.test(bounded(previous)))) return false;
    // `Unhandled rejection: PaymentDeclined: card declined` heads a trace of its own if frames follow
    const header = readTopHeader(line);
    return header === undefined || !CLASS_LIKE.test(header.exceptionType);
  },
  headsFrame: (line, next, isErrorLine) => {
    if (!FRAME.test(bounded(next))) return false;
    const header = readTopHeader(line);
    // a structured line (JSON, logfmt) is read by its fields, never as a message of its own
    if (header === undefined)
      return (
        isErrorLine &&
        V8_LOCATED_FRAME.test(bounded(next)) &&
        !FRAME.test(bounded(line)) &&
        line.trim() !== '' &&
        !STRUCTURED_LINE.test(line)
      );
    return CLASS_LIKE.test(header.exceptionType);
  },
  parse: (text) => {
    try {
      return parseJavascript(text);
    } catch {
      return undefined;
    }
  },
};
