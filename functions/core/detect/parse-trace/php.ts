import type { StackFrame } from '../../contracts.ts';
import { isInApp } from '../in-app.ts';
import type { ParsedTrace, TraceParser } from './parsed-trace.ts';

// Every pattern is anchored and free of nested quantifiers: log text is attacker-controlled.
// `PHP Fatal error:  Uncaught …` (error_log) or `Fatal error: Uncaught …` (display_errors).
const UNCAUGHT = /^(?:PHP )?Fatal error: +Uncaught /;
const FATAL = /^(?:PHP )?(Fatal error|Parse error): +/;
const NEXT = /^Next /;
// PHP 5: `exception 'Type' with message 'msg' in /file.php:5`
const PHP5 = /^exception '([^']+)' with message '/;
// PHP 7+: `Type: msg in /file.php:5`; namespaced types use backslashes.
const PHP7_TYPE = /^([A-Za-z_\\][\w\\]*): /;
const STACK_TRACE = /^Stack trace:$/;
const FRAME = /^#(\d+) /;
const MAIN_FRAME = /^#\d+ \{main\}$/;
const UNCAUGHT_PRINT = 'Uncaught ';
// nginx closes php-fpm's quoted stderr after it: `… on line 5" while reading response header …`
// nginx appends `" while reading response header …`, Apache `, referer: https://…`
const THROWN_IN = /^\s+thrown in .+ on line \d+(?:" while .*|, referer: .*)?$/;
const LINE_SUFFIX = /:(\d+)$/;
const ON_LINE_SUFFIX = / on line (\d+)$/;
const PHP_FILE = /\.(?:php\d?|phtml|inc)$/;
const DEFINED_SUFFIX = / and defined$/;
// Laravel's log line (Monolog's LineFormatter with stack traces): the exception in the JSON context,
// `… {"exception":"[object] (TypeError(code: 0): msg at /app/x.php:8)`, then `[stacktrace]`, the
// frames, `"}`; a previous exception as `[previous exception] [object] (…)` and its own frames.
const LARAVEL_OBJECT = '{"exception":"[object] (';
const LARAVEL_PREVIOUS = '[previous exception] [object] (';
// Without Monolog's `includeStacktraces` (its LineFormatter's default; Symfony's ErrorListener logs
// `Uncaught PHP Exception Error: "…" at … line 13 {"exception":"[object] (Error(code: 0): … at
// …:13)"} []`) the context closes on the same line.
const CONTEXT_CLOSE = String.raw`"\}(?: [^\n]{0,400})?`;
const LARAVEL_EXCEPTION = new RegExp(
  String.raw`^([A-Za-z_\\][\w\\]{0,300})\(code: [^)\n]{0,40}\): (.*) at ([^\s()]{1,1000}):(\d{1,9})\)(?:${CONTEXT_CLOSE})?$`,
);
const LARAVEL_CLOSED_LINE = new RegExp(String.raw`\)${CONTEXT_CLOSE}$`);
const LARAVEL_STACKTRACE = /^\[stacktrace\]$/;
const LARAVEL_END = /^"\}(?: \S{0,200})?\s*$/;
const MAX_MESSAGE_LINES = 20;
// Slim 4's ErrorHandler logs an error as its PlainTextErrorRenderer writes it, through error_log
// unless it was given a logger: `Slim Application Error`, `Type: Error`, `Code: 0`, `Message: …`
// (htmlentities applied; several lines when the message has them), `File: …`, `Line: 37` (the
// throw site: PHP lists only callers as frames), `Trace: #0 …` and the rest of getTraceAsString,
// then `Previous Error:` and the same fields for each previous exception, and `Tips: …` when the
// response shows no details. Monolog's LineFormatter writes it all on one line, newlines as spaces.
const SLIM_TITLE = 'Slim Application Error';
const SLIM_ONE_LINE = `${SLIM_TITLE} Type: `;
const SLIM_FIELD = /^(?:Type|Code|Message|File|Line): /;
const SLIM_TRACE = 'Trace: ';
const SLIM_PREVIOUS = 'Previous Error:';
const SLIM_TIPS = 'Tips: ';
/** Exceptions read from one Slim line (the thrown one and its previous ones). */
const MAX_SLIM_EXCEPTIONS = 16;

type Exception = { exceptionType: string; message: string };
/** Where the exception was thrown: the header's ` in /file.php:5` (PHP lists only callers as frames). */
type Location = { file: string; line: number };
// `quoted`: the PHP 5 format, whose message sits in quotes that close just before ` in /file:line`
type Found = Exception & {
  complete: boolean;
  quoted: boolean;
  thrownAt?: Location;
  /** Laravel's format: the thrown exception first, its previous ones after (PHP prints them the other way) */
  laravel?: boolean;
  /** Slim's plain-text report (SLIM_TITLE): its fields follow on lines of their own */
  slim?: boolean;
};

/** Splits `… in /file.php:5` off the end; undefined when the text does not end with a PHP location. */
function splitLocation(text: string): { before: string; location: Location } | undefined {
  const suffix = LINE_SUFFIX.exec(text);
  if (!suffix) return undefined;
  const at = text.lastIndexOf(' in ', suffix.index);
  if (at < 0) return undefined;
  const file = text.slice(at + 4, suffix.index);
  if (!PHP_FILE.test(file)) return undefined;
  return { before: text.slice(0, at), location: { file, line: Number(suffix[1]) } };
}

/** The exception named in a header body (after `Uncaught ` / `Next ` / nothing); complete once the location is seen. */
function readException(body: string): Found | undefined {
  const located = splitLocation(body);
  const text = located ? located.before : body;
  const php5 = PHP5.exec(text);
  if (php5) {
    const rest = text.slice(php5[0].length);
    const message = located && rest.endsWith("'") ? rest.slice(0, -1) : rest;
    return withLocation(
      { exceptionType: php5[1] ?? '', message, complete: located !== undefined, quoted: true },
      located?.location,
    );
  }
  const php7 = PHP7_TYPE.exec(text);
  if (php7) {
    // A TypeError's report appends ` and defined` (then ` in <callee file>:<line>`) to its message.
    const message = text.slice(php7[0].length);
    return withLocation(
      {
        exceptionType: php7[1] ?? '',
        message: located && message.includes(', called in ') ? message.replace(DEFINED_SUFFIX, '') : message,
        complete: located !== undefined,
        quoted: false,
      },
      located?.location,
    );
  }
  return undefined;
}

function withLocation(found: Found, location: Location | undefined): Found {
  if (location) found.thrownAt = location;
  return found;
}

/**
 * Symfony's ErrorListener logs an exception the kernel did not handle in a sentence of its own,
 * whatever the logger (its HttpKernel Logger writes nothing else of it): `Uncaught PHP Exception
 * Error: "Call to a member function getTotal() on null" at /app/src/Controller/Checkout.php line 13`.
 */
const SYMFONY_UNCAUGHT_WORDS = 'Uncaught PHP Exception ';
const SYMFONY_UNCAUGHT = /^([A-Za-z_\\][\w\\]{0,300}): "(.*)" at ([^\s"]{1,1000}) line (\d{1,9})(?= |$)/;

function readSymfonyUncaught(body: string): Found | undefined {
  const found = SYMFONY_UNCAUGHT.exec(body);
  if (!found || !PHP_FILE.test(found[3] ?? '')) return undefined;
  return {
    exceptionType: found[1] ?? '',
    message: found[2] ?? '',
    complete: true,
    quoted: false,
    thrownAt: { file: found[3] ?? '', line: Number(found[4]) },
  };
}

/** `TypeError(code: 0): msg at /app/x.php:8)`, JSON-escaped as Monolog wrote it inside its context. */
function readLaravelException(body: string): Found | undefined {
  const found = LARAVEL_EXCEPTION.exec(body);
  if (!found) return undefined;
  const fromJson = (text: string) => text.replace(/\\(["\\/])/g, '$1');
  return {
    exceptionType: fromJson(found[1] ?? ''),
    message: fromJson(found[2] ?? ''),
    complete: true,
    quoted: false,
    thrownAt: { file: fromJson(found[3] ?? ''), line: Number(found[4]) },
    laravel: true,
  };
}

function readHeader(line: string): Found | undefined {
  if (line === SLIM_TITLE || (line.startsWith(SLIM_ONE_LINE) && expandSlimLine(line) !== undefined))
    return { exceptionType: '', message: '', complete: true, quoted: false, slim: true };
  const laravel = line.indexOf(LARAVEL_OBJECT);
  if (laravel >= 0) return readLaravelException(line.slice(laravel + LARAVEL_OBJECT.length));
  const symfony = line.indexOf(SYMFONY_UNCAUGHT_WORDS);
  if (symfony >= 0) return readSymfonyUncaught(line.slice(symfony + SYMFONY_UNCAUGHT_WORDS.length));
  if (UNCAUGHT.test(line)) {
    return readException(line.replace(UNCAUGHT, ''));
  }
  if (PHP5.test(line)) {
    return readException(line);
  }
  // A handler's `error_log('app.ERROR: Uncaught ' . $e)` (Monolog-style channel already stripped)
  if (line.startsWith('Uncaught ')) {
    const logged = readException(line.slice('Uncaught '.length));
    return logged?.complete ? logged : undefined;
  }
  const fatal = FATAL.exec(line);
  if (fatal) {
    // `PHP Fatal error:  Allowed memory size … in /x.php on line 12`: no exception object, no trace
    const body = line.slice(fatal[0].length);
    const onLine = ON_LINE_SUFFIX.exec(body);
    const at = onLine ? body.lastIndexOf(' in ', onLine.index) : -1;
    if (!onLine || at < 0) return undefined;
    const file = body.slice(at + 4, onLine.index);
    return withLocation(
      { exceptionType: fatal[1] ?? 'Fatal error', message: body.slice(0, at), complete: true, quoted: false },
      PHP_FILE.test(file) ? { file, line: Number(onLine[1]) } : undefined,
    );
  }
  // PHP 7+ `(string) $e` as logged by an application: only with a PHP file location, to stay specific
  return readLoggedString(line);
}

/** `(string) $e` as an application logs it, alone or appended to words (readAppendedException). */
function readLoggedString(line: string): Found | undefined {
  const bare = readException(line);
  if (bare?.complete && isExceptionName(bare.exceptionType)) return bare;
  return readAppendedException(line);
}

/** The line is read by a rule of readHeader's before the logged string's (PHP's own prints, Laravel's, Symfony's). */
const isNamedFirst = (line: string): boolean =>
  line.includes(LARAVEL_OBJECT) ||
  line.includes(SYMFONY_UNCAUGHT_WORDS) ||
  UNCAUGHT.test(line) ||
  PHP5.test(line) ||
  line.startsWith(UNCAUGHT_PRINT) ||
  FATAL.test(line);

const isExceptionName = (type: string): boolean => /\\/.test(type) || /(?:Exception|Error)$/.test(type);

// `error_log('checkout failed: ' . $e)`: the same string after the words it was appended to
// (`checkout failed: PDOException: SQLSTATE[23000]: … in /app/src/OrderRepository.php:15`).
const APPENDED_AT = /: (?=[A-Za-z_\\][\w\\]{0,300}: )/g;
/** Longest prefix of words before an appended exception; a real one is a short message. */
const MAX_APPENDED_PREFIX = 400;

function readAppendedException(line: string): Found | undefined {
  APPENDED_AT.lastIndex = 0;
  for (let at = APPENDED_AT.exec(line); at !== null; at = APPENDED_AT.exec(line)) {
    if (at.index > MAX_APPENDED_PREFIX) return undefined;
    const found = readException(line.slice(at.index + 2));
    if (found?.complete && isExceptionName(found.exceptionType)) return found;
  }
  return undefined;
}

const CLOSURE_NAME = '{closure:';
/** Deepest `{closure:…}` nesting read; PHP nests one level per enclosing closure. */
const MAX_CLOSURE_DEPTH = 16;

/**
 * Where a PHP 8.4 closure's name ends in a frame's callee (0 when it names none): the name says
 * where the closure was declared, a method's with its parentheses (`Cart->{closure:Cart::total():10}()`,
 * nested `{closure:{closure:/app/x.php:16}:17}`), so the call's `(` is the first one after it.
 */
function closureNameEnd(callee: string): number {
  const start = callee.indexOf(CLOSURE_NAME);
  if (start < 0) return 0;
  let depth = 0;
  for (let i = start; i < callee.length; i += 1) {
    const ch = callee.charCodeAt(i);
    if (ch === 123 /* { */) {
      depth += 1;
      if (depth > MAX_CLOSURE_DEPTH) return 0;
    } else if (ch === 125 /* } */) {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
  }
  return 0;
}

/** `#1 /var/www/app.php(12): Cls->method('x')` or `#0 [internal function]: fn()`; `{main}` is not a frame. */
function readFrame(line: string): StackFrame | 'main' | undefined {
  const numbered = FRAME.exec(line);
  if (!numbered) return undefined;
  const body = line.slice(numbered[0].length);
  if (body === '{main}') return 'main';
  let file: string;
  let lineNo: number | undefined;
  let callee: string;
  if (body.startsWith('[internal function]: ')) {
    file = '[internal function]';
    callee = body.slice('[internal function]: '.length);
  } else {
    const colon = body.indexOf('): ');
    const open = colon < 0 ? -1 : body.lastIndexOf('(', colon);
    if (open <= 0) return undefined;
    const digits = body.slice(open + 1, colon);
    if (!/^\d+$/.test(digits)) return undefined;
    file = body.slice(0, open);
    lineNo = Number(digits);
    callee = body.slice(colon + 3);
  }
  const paren = callee.indexOf('(', closureNameEnd(callee));
  // Laravel's frames sit inside a JSON string: `Shop\\Pricing->total()`
  const fn = (paren < 0 ? callee : callee.slice(0, paren)).replaceAll('\\\\', '\\');
  return {
    file,
    ...(lineNo !== undefined ? { line: lineNo } : {}),
    function: fn,
    inApp: isInApp({ language: 'php', file }),
  };
}

type Building = Found & { frames: StackFrame[] };

/**
 * The line that threw, as the innermost frame: PHP's `#0 file(line): callee()` is the call into the
 * function that threw, and the throw itself is only in the header (`… in /app/Entry.php:197`).
 * Without it the file where the error happened was never in the prompt. The function is #0's callee
 * (none when #0 is `{main}`: thrown at the top level).
 */
function throwSite(b: Building): StackFrame[] {
  if (!b.thrownAt) return [];
  // frames are still as printed, innermost (#0) first
  const first = b.frames[0];
  const { file, line } = b.thrownAt;
  // An internal function (`intdiv`, `PDO->__construct`) throws at its call site: #0 is that line.
  if (first && first.file === file && first.line === line) return [];
  const callee = first?.function;
  return [
    {
      file,
      line,
      ...(callee ? { function: callee } : {}),
      inApp: isInApp({ language: 'php', file }),
    },
  ];
}

function parsePhp(text: string): ParsedTrace | undefined {
  const lines = text.split(/\r?\n/);
  const first = lines.findIndex((l) => l.trim() !== '');
  const header = first < 0 ? undefined : readHeader(lines[first] ?? '');
  if (!header) return undefined;
  if (header.slim) return parseSlim(lines.slice(first));
  const built: Building[] = [{ ...header, frames: [] }];
  for (const line of lines.slice(first + 1)) {
    const current = built[built.length - 1];
    if (!current) break;
    if (NEXT.test(line)) {
      const next = readException(line.slice('Next '.length));
      if (next) {
        built.push({ ...next, frames: [] });
        continue;
      }
    }
    if (header.laravel) {
      if (LARAVEL_END.test(line)) break;
      if (line.startsWith(LARAVEL_PREVIOUS)) {
        const previous = readLaravelException(line.slice(LARAVEL_PREVIOUS.length));
        if (previous) built.push({ ...previous, frames: [] });
        continue;
      }
    }
    if (!current.complete) {
      // a multi-line message: the header's ` in /file.php:5` closes it on a later line
      const located = splitLocation(line);
      const part = located ? located.before : line;
      const unquoted = located && current.quoted && part.endsWith("'") ? part.slice(0, -1) : part;
      current.message += `\n${unquoted}`;
      current.complete = located !== undefined;
      if (located) current.thrownAt = located.location;
      continue;
    }
    const frame = readFrame(line);
    if (frame && frame !== 'main') current.frames.push(frame);
  }
  // PHP prints the earliest (previous) exception first; the last `Next` is the one that was thrown.
  const thrownFirst = header.laravel ? built : built.reverse();
  const [primary, ...causes] = thrownFirst.map((b): ParsedTrace => {
    const site = throwSite(b);
    return {
      language: 'php',
      exceptionType: b.exceptionType,
      message: b.message,
      frames: [...b.frames.reverse(), ...site],
      causes: [],
    };
  });
  return primary && { ...primary, causes };
}

/**
 * Slim's report (see SLIM_TITLE), the thrown exception first and its previous ones after, each
 * with its throw site (`File:`, `Line:`) as the innermost frame. A report Monolog wrote on one
 * line is read as the lines it was.
 */
function parseSlim(report: readonly string[]): ParsedTrace | undefined {
  const lines = report.length === 1 ? expandSlimLine(report[0] ?? '') : report;
  const built: Building[] = [];
  let current: Building | undefined;
  let inMessage = false;
  let file: string | undefined;
  for (const line of lines?.slice(1) ?? []) {
    if (line.startsWith(SLIM_TIPS)) break;
    if (!current) {
      if (!line.startsWith('Type: ')) break;
      current = {
        exceptionType: line.slice('Type: '.length),
        message: '',
        complete: true,
        quoted: false,
        frames: [],
      };
      built.push(current);
    } else if (line === SLIM_PREVIOUS) {
      current = undefined;
    } else if (inMessage && !line.startsWith('File: ')) {
      current.message += `\n${line}`;
    } else if (line.startsWith('Message: ')) {
      current.message = line.slice('Message: '.length);
      inMessage = true;
    } else if (line.startsWith('File: ')) {
      file = line.slice('File: '.length);
      inMessage = false;
    } else if (line.startsWith('Line: ') && file !== undefined) {
      current.thrownAt = { file, line: Number(line.slice('Line: '.length)) };
      file = undefined;
    } else {
      const frame = readFrame(line.startsWith(SLIM_TRACE) ? line.slice(SLIM_TRACE.length) : line);
      if (frame && frame !== 'main') current.frames.push(frame);
    }
  }
  const [primary, ...causes] = built.map((b): ParsedTrace => {
    // the throw site is read off the frames as printed, innermost first
    const site = throwSite(b);
    return {
      language: 'php',
      exceptionType: b.exceptionType,
      message: fromHtmlEntities(b.message),
      frames: [...b.frames.reverse(), ...site],
      causes: [],
    };
  });
  return primary && { ...primary, causes };
}

/** The characters htmlentities() encodes in an ASCII message (Slim encodes the message it logs). */
function fromHtmlEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text
    .replaceAll('&quot;', '"')
    .replaceAll('&#039;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

/**
 * Slim's report as Monolog wrote it on one line (`Slim Application Error Type: Error Code: 0
 * Message: … File: /app/x.php Line: 37 Trace: #0 … #1 … #19 {main} Tips: … [] {…}`) as the lines
 * Slim wrote; undefined when it does not hold the thrown exception's fields. Frames are told
 * apart by their numbers, which count up from `#0` to `{main}`; a line cut short keeps those before
 * the cut (a previous exception's report, the outermost frames).
 */
function expandSlimLine(line: string): string[] | undefined {
  const out = [SLIM_TITLE];
  let rest = line.slice(SLIM_TITLE.length + 1);
  for (let exception = 0; exception < MAX_SLIM_EXCEPTIONS; exception += 1) {
    const trace = rest.indexOf(` ${SLIM_TRACE}#0 `);
    if (!rest.startsWith('Type: ') || trace < 0) return undefined;
    const head = rest.slice(0, trace);
    const code = head.indexOf(' Code: ');
    const message = head.indexOf(' Message: ', code);
    const lineAt = head.lastIndexOf(' Line: ');
    const file = head.lastIndexOf(' File: ', lineAt);
    if (code < 0 || message < 0 || file < message || lineAt < file) return undefined;
    out.push(
      head.slice(0, code),
      head.slice(code + 1, message),
      head.slice(message + 1, file),
      head.slice(file + 1, lineAt),
      head.slice(lineAt + 1),
    );
    let at = trace + 1 + SLIM_TRACE.length;
    for (let k = 0; ; k += 1) {
      const main = `#${k} {main}`;
      if (rest.startsWith(main, at)) {
        out.push(main);
        at += main.length;
        break;
      }
      const next = rest.indexOf(` #${k + 1} `, at);
      // the line was cut (the detector reads 4 KiB of a line): the frames it still holds
      if (next < 0) return out;
      out.push(`${k === 0 ? SLIM_TRACE : ''}${rest.slice(at, next)}`);
      at = next + 1;
    }
    rest = rest.slice(at);
    if (!rest.startsWith(` ${SLIM_PREVIOUS} `)) return out;
    out.push(SLIM_PREVIOUS);
    rest = rest.slice(SLIM_PREVIOUS.length + 2);
  }
  return undefined;
}

/** Whether `line` goes on Slim's report `block` (see SLIM_TITLE): its fields, frames, the message's lines. */
function continuesSlim(line: string, block: readonly string[]): boolean {
  if (block.length === 1 && block[0] !== SLIM_TITLE) return false;
  if ((block[block.length - 1] ?? '').startsWith(SLIM_TIPS)) return false;
  if (SLIM_FIELD.test(line) || line.startsWith(SLIM_TRACE) || FRAME.test(line)) return true;
  if (line === SLIM_PREVIOUS || line.startsWith(SLIM_TIPS)) return true;
  // a message of several lines: after `Message: `, before `File: `
  for (let i = block.length - 1; i >= Math.max(1, block.length - MAX_MESSAGE_LINES); i -= 1) {
    const earlier = block[i] ?? '';
    if (earlier.startsWith('Message: ')) return true;
    if (SLIM_FIELD.test(earlier) || FRAME.test(earlier)) return false;
  }
  return false;
}

const isSlimReport = (block: readonly string[]): boolean => {
  const first = block[0] ?? '';
  return first === SLIM_TITLE || first.startsWith(SLIM_ONE_LINE);
};

function isOpenMessage(block: readonly string[]): boolean {
  if (block.length > MAX_MESSAGE_LINES) return false;
  const header = readHeader(block[0] ?? '');
  if (!header || header.complete) return false;
  return !block.slice(1).some((l) => splitLocation(l) !== undefined || STACK_TRACE.test(l));
}

/** Whether a PHP block is whole: see endsTrace. */
function endsPhpTrace(block: readonly string[]): boolean {
  const last = block[block.length - 1] ?? '';
  if (isSlimReport(block)) return block.length === 1 ? last !== SLIM_TITLE : last.startsWith(SLIM_TIPS);
  if (THROWN_IN.test(last) || LARAVEL_END.test(last)) return true;
  if (block.length !== 1) return false;
  const laravel = last.indexOf(LARAVEL_OBJECT);
  return laravel >= 0 ? LARAVEL_CLOSED_LINE.test(last) : last.includes(SYMFONY_UNCAUGHT_WORDS);
}

/**
 * Whether a PHP block stops short of what its header promises: PHP's own print of an uncaught
 * exception ends with `thrown in … on line N`; Monolog's context opened on the header's line
 * (`{"exception":"[object] (…`) closes with `"}`; an exception printed whole after `Uncaught `
 * (a handler's `$logger->error('Uncaught ' . $e)`) ends with its `#N {main}`.
 */
function isPhpCutShort(block: readonly string[]): boolean {
  const first = block[0] ?? '';
  if (UNCAUGHT.test(first) || first.includes(LARAVEL_OBJECT)) return !endsPhpTrace(block);
  // `(string) $e` is followed by its `Stack trace:` down to `#N {main}`, always
  if (readHeader(first) !== undefined && readLoggedString(first) !== undefined && !isNamedFirst(first))
    return !block.some((line) => MAIN_FRAME.test(line));
  return (
    first.startsWith(UNCAUGHT_PRINT) &&
    splitLocation(first) !== undefined &&
    !block.some((line) => MAIN_FRAME.test(line))
  );
}

/** PHP uncaught exceptions (PHP 5 and 7+ formats, `Next` chains, `[internal function]`) and fatal errors. */
export const phpParser: TraceParser = {
  language: 'php',
  startsTrace: (line) => readHeader(line) !== undefined,
  continuesTrace: (line, block) => {
    const last = block[block.length - 1] ?? '';
    if (THROWN_IN.test(last)) return false;
    if (isSlimReport(block)) return continuesSlim(line, block);
    if (STACK_TRACE.test(line) || FRAME.test(line) || THROWN_IN.test(line)) return true;
    if (block[0]?.includes(LARAVEL_OBJECT)) {
      if (LARAVEL_END.test(last)) return false;
      return LARAVEL_STACKTRACE.test(line) || LARAVEL_END.test(line) || line.startsWith(LARAVEL_PREVIOUS);
    }
    // a chained exception: `#N {main}`, a blank line, then `Next Type: msg in …`
    if (line.trim() === '') return MAIN_FRAME.test(last);
    if (NEXT.test(line)) return readException(line.slice('Next '.length)) !== undefined;
    return isOpenMessage(block);
  },
  isCutShort: isPhpCutShort,
  // `thrown in … on line N` ends PHP's own print; Monolog's context ends at `"}`; a line that
  // holds the whole error (the context on that line, Symfony's sentence alone) ends with it.
  endsTrace: (block) => endsPhpTrace(block),
  parse: (text) => {
    try {
      return parsePhp(text);
    } catch {
      return undefined;
    }
  },
};
