import type { StackFrame } from '../../contracts.ts';
import { isInApp } from '../in-app.ts';
import { readEmbeddedError } from './embedded-error.ts';
import type { ParsedTrace, TraceParser } from './parsed-trace.ts';

// Every regex here is anchored and free of nested quantifiers: log text is attacker-controlled.
const FRAME = /^\s*at\s+(\S.*)$/;
/** Node (16.14+) folds the frames a stack shares with its `[cause]`: `... 2 lines matching cause stack trace ...` */
const FOLDED_FRAMES = /^\s*\.\.\. \d{1,6} lines? matching cause stack trace \.\.\.\s*$/;
/** `TypeError: msg`, `Error [ERR_X]: msg`, `Uncaught RangeError`, util.inspect's `[AggregateError: msg] {` */
const HEADER = /^\s*(?:Uncaught )?(\[?)([A-Za-z_$][\w$]*)(?: \[([\w.-]+)\])?(?:(:) ?(.*))?$/;
const ERROR_NAME = /(?:Error|Exception)$/;
/** A capitalised name after a space, then `: ` and a message: where an embedded custom error may start. */
const EMBEDDED_CLASS = /[ \t][A-Z][\w$]{0,100}: \S/g;
/** A message before an embedded error is short; a long line is data. */
const MAX_EMBEDDED_PREFIX = 400;
/** Names a header read only from the frame after it must look like: a class (`PaymentDeclined`). */
const CLASS_LIKE = /^[A-Z$_]/;
const CAUSE = /^\s*\[cause\]: (.*)$/;
/** pino's `err` serializer (pino-std-serializers 6+) appends each cause's stack: `caused by: Error: …` */
const CAUSED_BY = /^\s*caused by: (.*)$/;
const ERRORS_OPEN = /^\s*\[errors\]: \[\s*$/;
/** The first line of Node's uncaught-exception print: `/app/x.js:10` (then source, caret, blank). */
const EXCERPT_HEADER = /^(?:file:\/\/)?(?:\/|[A-Za-z]:[\\/]|\.{1,2}\/)\S*\.(?:[cm]?[jt]sx?):\d+$/;
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

function readHeader(line: string, { anyName = false }: { anyName?: boolean } = {}): Header | undefined {
  const match = HEADER.exec(bounded(line).trimEnd());
  if (!match) return undefined;
  const [, bracket, name = '', , colon, rest = ''] = match;
  if (!anyName && !ERROR_NAME.test(name)) return undefined;
  if (!colon && rest !== '') return undefined;
  let message = rest;
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

/**
 * `feed import failed: SyntaxError: …` (a message that embeds `err.stack`) and console.trace's
 * `Trace: TypeError: …`: the error named inside the line.
 */
function readEmbeddedHeader(line: string): Header | undefined {
  const found = readEmbeddedError(bounded(line).trim());
  if (found) return { exceptionType: found.exceptionType, message: found.message, opensProps: false };
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

/**
 * The header of the top exception: its own, else one embedded in a message, else any `Name: msg`,
 * else a class-like name after other words (the last two only where a frame follows the line).
 */
function readTopHeader(line: string): Header | undefined {
  return (
    readHeader(line) ??
    readEmbeddedHeader(line) ??
    readHeader(line, { anyName: true }) ??
    readEmbeddedClassHeader(line)
  );
}

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
  while (lines.length > 1 && (lines.at(-1) ?? '').trim() === '') lines.pop();
  // Deno prints the line that threw and a caret under it between the header and the frames:
  // the program's code, not the error's message.
  if (lines.length >= 3 && CARET_LINE.test(lines.at(-1) ?? '')) lines.splice(-2);
  const frames = [...section.frames].reverse();
  // An ES module that imports what cannot be found: every frame is Node's resolver, and the
  // importing file, where the import statement is, is named only in the message.
  const importer = IMPORTED_FROM.exec(section.message)?.[1];
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
// `Cannot find module '/app/src/config.js' imported from /app/src/server.mjs` (also `package`)
const IMPORTED_FROM = /^Cannot find (?:module|package) '[^'\n]{1,1000}' imported from (\S{1,1000})$/;

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
    if (readHeader(line)) return i;
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
  if (headerAt < 0 && !nameless) return undefined;
  const at = nameless ? 0 : headerAt;
  const topLine = lines[at] ?? '';
  const top = nameless ?? readTopHeader(topLine);
  if (!top) return undefined;
  const sections: Section[] = [newSection(top)];
  let current: Section = sections[0] as Section;
  let inProps = top.opensProps;
  let inErrors = false;
  for (const raw of lines.slice(at + 1)) {
    const line = bounded(raw);
    if (FOLDED_FRAMES.test(line)) continue;
    const frame = FRAME.exec(line);
    if (frame) {
      current.frames.push(readFrame(frame[1] ?? ''));
      current.hasFrameLine = true;
      if (line.trimEnd().endsWith(' {')) inProps = true;
      continue;
    }
    const cause = CAUSE.exec(line) ?? (current.hasFrameLine ? CAUSED_BY.exec(line) : null);
    if (cause) {
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
  const isEmbedded = readHeader(topLine) === undefined && readEmbeddedHeader(topLine) !== undefined;
  // …or when util.inspect's braces follow its bracketed form (an error with no frames of its own).
  if (isEmbedded && !first.hasFrameLine && !top.opensProps) return undefined;
  const trace = toTrace(first);
  // Node's report of a promise rejected with something that is not an Error (`throw \`…\``,
  // `reject('…')`): the reason is all there is of the failure, and the frames are Node's own.
  const reason =
    trace.exceptionType === 'UnhandledPromiseRejection' ? REJECTED_WITH.exec(trace.message)?.[1] : undefined;
  if (reason !== undefined && trace.frames.every((f) => f.file.startsWith('node:')))
    return { ...trace, message: reason, frames: [], causes: causes.map(toTrace) };
  const compiled = trace.exceptionType === 'SyntaxError' ? excerptFrame(lines) : undefined;
  // Innermost, and only when no frame names that line already (a JSON.parse inside the file).
  if (compiled && !trace.frames.some((f) => f.file === compiled.file && f.line === compiled.line))
    trace.frames.push(compiled);
  return { ...trace, causes: causes.map(toTrace) };
}

/**
 * The file and line of Node's code excerpt (`/app/x.js:3`, the source line, a caret under the
 * column): for a SyntaxError of a file Node compiled, the only place its file is named — V8's
 * frames are the loader's and the require's, never the broken file's.
 */
function excerptFrame(lines: readonly string[]): StackFrame | undefined {
  const header = bounded(lines[0] ?? '').trim();
  if (!EXCERPT_HEADER.test(header)) return undefined;
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
  if (CAUSED_BY.test(head)) return block.some((previous) => FRAME.test(bounded(previous)));
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

/** Node.js / TypeScript (V8) stack traces: `[cause]`, AggregateError, async frames, uncaught prints. */
export const javascriptParser: TraceParser = {
  language: 'javascript',
  startsTrace: (line) => {
    const head = bounded(line);
    return (
      readHeader(head) !== undefined ||
      EXCERPT_HEADER.test(head.trim()) ||
      // `msg: TypeError: x` and console.error(msg, err)'s `msg TypeError: x` or `msg Error`
      ((head.includes(': ') || ERROR_NAME.test(head.trimEnd())) && readEmbeddedHeader(head) !== undefined)
    );
  },
  continuesTrace: continuesJavascript,
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
