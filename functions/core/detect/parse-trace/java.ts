import type { StackFrame } from '../../contracts.ts';
import { isInApp } from '../in-app.ts';
import {
  clojureFunction,
  continuesClojureReport,
  endsClojureReport,
  isClojureReport,
  isClojureReportCutShort,
  parseClojureReport,
  startsClojureReport,
} from './clojure.ts';
import {
  continuesJvmStartup,
  endsJvmStartup,
  headsJvmStartup,
  isJvmStartup,
  parseJvmStartup,
  startsJvmStartup,
} from './jvm-startup.ts';
import type { ParsedTrace, TraceParser } from './parsed-trace.ts';

// Every regex here is anchored and free of nested quantifiers: log text is attacker-controlled.
// A frame names a class (`at com.example.Svc.run(Svc.java:3)`, `at java.base/…`, `at app//…`), never
// a bracket: Jackson ends its message with ` at [Source: (String)"{…}"; line: 1, column: 24]`, the
// request's own JSON, which read as a frame made every request's body a fingerprint of its own.
const FRAME = /^\s*at\s+([^\s[].*)$/;
const OMITTED = /^\s*\.\.\. \d+ (?:more|common frames omitted)\s*$/;
// A frame as the JVM prints it, indented: `\tat pkg.Class.method(File.java:12)`, `(File.kt)`,
// `(Native Method)`, `(Unknown Source)`, a module before the class (`java.base/…`), logback's
// packaging data after it. The name holds no space and no `(`, the file no `:`: one way to match.
const JVM_FRAME =
  /^\s+at\s+([\w$./<>-]{1,800})\((?:Native Method|Unknown Source|[\w$.-]{1,200}(?::\d{1,9})?)\)/;
const JS_LOCATION = /:\d{1,9}:\d{1,9}\)?\s*$/;
// `Caused by:` links an exception to its cause; `Wrapped by:` to the exception that wraps it, as
// logback's and log4j2's `%rEx` (root cause first) print a chain: the root, then each wrapper outward.
const CHAINED = /^\s*(Caused|Wrapped) by: (.*)$/;
const SUPPRESSED = /^(\s*)Suppressed: /;
const THREAD_PREFIX = 'Exception in thread "';
// The java launcher's report that it could not start the main class (sun.launcher.LauncherHelper's
// messages), the exception it names on the next line, after `Caused by: ` or a tab: the class not
// found, or built for a newer Java (`UnsupportedClassVersionError`). The report has no type of its own,
// and read alone its `Error: …` is a JavaScript Error's header: the record is the exception it names.
const LAUNCHER_REPORT =
  /^Error: (?:Could not find or load|Unable to (?:initialize|load)|LinkageError occurred while loading) main class \S+(?: in module \S+)?$/;
// …and its report that the main class has no main method it can run (LauncherHelper, its fixed
// English text: `Error: Main method not found in class com.example.App, please define the main
// method as:`, the signature on the next line): no exception and no frame, but the class is named.
const MAIN_METHOD_REPORT =
  /^Error: Main method (?:not found|is not static|must return a value of type void) in class ([A-Za-z_$][\w$]{0,200}(?:\.[A-Za-z_$][\w$]{0,200}){0,30}), please define the main method as:$/;
/** The line is the launcher's report that the main class has no main method it can run. */
const isMainMethodReport = (line: string): boolean =>
  line.startsWith('Error: Main method ') && MAIN_METHOD_REPORT.test(line.trimEnd());
// A type name as Java prints it: `pkg.Outer$Inner` segments, none empty, none starting with a digit.
// Each repetition starts with its own `.`, so the match is linear.
const TYPE_NAME = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*/;
// What may follow a whole type name: another name character means the name was not valid.
const NAME_CHAR = /^[\w$.]/;
// What the class name of a Throwable ends with (a qualified name's last segment).
const THROWABLE_SUFFIXES = ['Exception', 'Error', 'Throwable', 'Failure'];
/** Longest line a regex sees; a real frame or header is far shorter. */
const MAX_LINE = 8192;
/** How many `: `-separated prefixes (logger names, timestamps) a header line may carry. */
const MAX_PREFIXES = 6;
/** Lines of multi-line message the assembler accepts before the first frame. */
const MAX_MESSAGE_LINES = 12;

interface Header {
  exceptionType: string;
  message: string;
  /** "Exception in thread" printed it, so the type needs no Exception/Error suffix to be believed */
  isThreadHeader: boolean;
  /** found inside a sentence (after a `: `), not where the line's text starts */
  isMention?: boolean;
  /** the java launcher's report: the exception it names is the error */
  isLauncherReport?: boolean;
}

interface Section extends Header {
  messageLines: string[];
  frames: StackFrame[];
}

/** `Type`, `Type: message` or Elasticsearch's `Type[message]`, starting exactly at `text`'s start. */
function readTypeAndMessage(text: string): { exceptionType: string; message: string } | undefined {
  const token = TYPE_NAME.exec(text)?.[0];
  if (!token) return undefined;
  const rest = text.slice(token.length);
  // `com.1abc.X`, `a..b`, `java.lang.`: the name stopped where it stopped being one.
  if (NAME_CHAR.test(rest)) return undefined;
  if (rest === '' || rest.trim() === '') return { exceptionType: token, message: '' };
  if (rest.startsWith(': ') || rest === ':') return { exceptionType: token, message: rest.slice(2) };
  if (rest.startsWith('[') && rest.trimEnd().endsWith(']')) {
    return { exceptionType: token, message: rest.trimEnd().slice(1, -1) };
  }
  return undefined;
}

// A class whose toString() is overridden is printed as that wherever the JVM names it (after
// `Caused by: `, `Exception in thread "main" `, at column 0 by printStackTrace): Lombok's @ToString,
// `GatewayException(status=402, code=card_declined, message=payment pay_123 declined)`, or a Kotlin
// data class's `OrderRejected(orderId=o-52, reason=quantity 40 over limit)`: no package, no
// `: message`. The name, `(`, a field and its `=`, and a `)` that ends the line.
const FIELDS_OPEN = /^\([A-Za-z_$][\w$]{0,100}=/;

/** `Type(field=value, …)`, such a toString, exactly at `text`'s start: its fields are its message. */
function readTypeAndFields(text: string): { exceptionType: string; message: string } | undefined {
  const token = TYPE_NAME.exec(text)?.[0];
  if (!token) return undefined;
  const rest = text.slice(token.length).trimEnd();
  if (!rest.endsWith(')') || !FIELDS_OPEN.test(rest)) return undefined;
  return { exceptionType: token, message: rest.slice(1, -1) };
}

/** An exception as the JVM names it: `Type: message` (`Type`, `Type[message]`), or its fields. */
const readNamed = (text: string): { exceptionType: string; message: string } | undefined =>
  readTypeAndMessage(text) ?? readTypeAndFields(text);

/** Unqualified `…Error` names are left to JavaScript (listed after Java): `TypeError: x` is not Java. */
function isBelievable(exceptionType: string): boolean {
  // endsWith, not a `$`-anchored regex: that one is tried at every position of the name.
  if (!exceptionType.includes('.'))
    return exceptionType.endsWith('Exception') || exceptionType.endsWith('Throwable');
  return THROWABLE_SUFFIXES.some((suffix) => exceptionType.endsWith(suffix));
}

/**
 * An exception printStackTrace (or a logger) printed at column 0 with no `Exception in thread "…"`
 * before it, whose class says no Exception or Error: `com.acme.shop.RefundDenied: refund for o-62
 * denied: …` (a Scala case class, uncaught under the `scala` runner), `com.acme.shop.App$PaymentDeclined:
 * card ending 4242 declined`. Alone such a line is any line; `next`, a JVM frame right after it, makes
 * it the header. Qualified as classes are (a lower-case package, an upper-case class): a message such
 * as `retrying in 5s` is none. A Kotlin data class prints its fields instead, with no package
 * (`OrderRejected(orderId=o-51, reason=quantity 12 over limit)`): its class upper-case.
 */
function readHeaderOfFrames(line: string, next: string | undefined): Header | undefined {
  if (next === undefined || !isJvmFrame(next)) return undefined;
  const text = line.length > MAX_LINE ? line.slice(0, MAX_LINE) : line;
  const fields = readTypeAndFields(text);
  const found = fields ?? (/^[a-z]/.test(text) ? readTypeAndMessage(text) : undefined);
  if (!found) return undefined;
  const type = found.exceptionType;
  const dot = type.lastIndexOf('.');
  if ((dot < 0 && !fields) || !/^[A-Z]/.test(type.slice(dot + 1))) return undefined;
  return { exceptionType: type, message: found.message, isThreadHeader: false };
}

/** `next` is a frame as the JVM prints one (a JavaScript frame is not: no `(` after a name with a space). */
function isJvmFrame(line: string): boolean {
  const name = JVM_FRAME.exec(line.length > MAX_LINE ? line.slice(0, MAX_LINE) : line)?.[1];
  return name?.includes('.') === true;
}

/**
 * Finds the exception header in a line, tolerating what loggers print before it
 * (`Exception in thread "main" `, a java.util.logging `… MakeLog: `, a syslog date).
 */
function readHeader(line: string): Header | undefined {
  const text = line.length > MAX_LINE ? line.slice(0, MAX_LINE) : line;
  if (LAUNCHER_REPORT.test(text.trimEnd())) {
    return { exceptionType: '', message: text.trim(), isThreadHeader: false, isLauncherReport: true };
  }
  const thread = text.indexOf(THREAD_PREFIX);
  if (thread >= 0) {
    const close = text.indexOf('" ', thread + THREAD_PREFIX.length);
    if (close < 0) return undefined;
    const found = readNamed(text.slice(close + 2));
    return found
      ? { exceptionType: found.exceptionType, message: found.message, isThreadHeader: true }
      : undefined;
  }
  // At the text's start, then after each of the first `: `-separated prefixes.
  let start = text.length - text.trimStart().length;
  for (let i = 0, from = 0; ; i += 1) {
    const found = readTypeAndMessage(start === 0 ? text : text.slice(start));
    // A literal, not a spread: this runs on every line that might open a trace.
    if (found && isBelievable(found.exceptionType))
      return {
        exceptionType: found.exceptionType,
        message: found.message,
        isThreadHeader: false,
        isMention: i > 0,
      };
    const at = i < MAX_PREFIXES ? text.indexOf(': ', from) : -1;
    if (at < 0) return undefined;
    start = at + 2;
    from = at + 2;
  }
}

/** `pkg.Class.method(File.java:12)`, `java.base/…(Native Method)`, ` ~[jar:1.0]` suffixes. */
function readFrame(body: string): StackFrame {
  const open = body.indexOf('(');
  const close = body.lastIndexOf(')');
  const qualified = (open >= 0 ? body.slice(0, open) : body).trim();
  // JPMS prints `java.base/` or `app//` before the class; it is not part of the class name.
  const name = qualified.slice(qualified.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  const module = dot > 0 ? name.slice(0, dot) : undefined;
  const method = dot > 0 ? name.slice(dot + 1) : name;
  const location = open >= 0 && close > open ? body.slice(open + 1, close) : '';
  const colon = location.lastIndexOf(':');
  const lineText = colon >= 0 ? location.slice(colon + 1) : '';
  const hasLine = /^\d+$/.test(lineText);
  const file = hasLine ? location.slice(0, colon) : location;
  // a Clojure function's frames all run `invoke`: the function is its class's (clojure.ts)
  const fn = clojureFunction(file, module) ?? method;
  return {
    file,
    ...(hasLine ? { line: Number(lineText) } : {}),
    ...(fn ? { function: fn } : {}),
    ...(module ? { module } : {}),
    inApp: isInApp({ language: 'java', file, ...(module ? { module } : {}) }),
  };
}

const indentOf = (line: string): number => line.length - line.trimStart().length;

function toTrace(section: Section): ParsedTrace {
  const lines = [section.message, ...section.messageLines];
  while (lines.length > 1 && (lines.at(-1) ?? '').trim() === '') lines.pop();
  return {
    language: 'java',
    exceptionType: section.exceptionType,
    message: lines.join('\n'),
    frames: [...section.frames].reverse(),
    causes: [],
  };
}

/** A frame a console cut at its width before the location closed: `\tat com.x.Service.calcula`. */
const isOpenFrame = (line: string): boolean => FRAME.test(line) && !line.includes(')');
// A frame this long without its `(` may be one a console cut short.
const MIN_WRAP_WIDTH = 60;
// Terminal and `fold` widths: a header exactly that long was most likely cut there.
const CONSOLE_WIDTHS = new Set([80, 100, 120, 132, 160, 200]);

/** The header line's length when it looks cut at a console's width, else undefined. */
function wrapWidth(block: readonly string[]): number | undefined {
  const width = (block[0] ?? '').length;
  return CONSOLE_WIDTHS.has(width) ? width : undefined;
}

function isWrapContinuation(line: string, previous: string, width: number | undefined): boolean {
  if (line.trim() === '' || FRAME.test(line) || CHAINED.test(line) || OMITTED.test(line)) return false;
  return isOpenFrame(previous) || (width !== undefined && previous.length === width && !FRAME.test(previous));
}

/** Joins the pieces of lines a console wrapped at its width (frames cut mid-name, a long message). */
function unwrap(lines: readonly string[]): string[] {
  const width = wrapWidth(lines);
  const out: string[] = [];
  // The previous physical line: the width test applies to it, not to what it was joined into.
  let piece: string | undefined;
  for (const line of lines) {
    const previous = out.at(-1);
    if (previous !== undefined && piece !== undefined && isWrapContinuation(line, piece, width)) {
      out[out.length - 1] = previous + line;
      // A frame may be cut twice: the joined frame is what must show its `)`.
      piece = isOpenFrame(previous) ? previous + line : line;
    } else {
      out.push(line);
      piece = line;
    }
  }
  return out;
}

function parseJava(text: string): ParsedTrace | undefined {
  const lines = unwrap(text.split(/\r?\n/));
  // The chain as it is read: outermost first, whichever order the text printed it in.
  const sections: Section[] = [];
  let current: Section | undefined;
  // `Suppressed:` blocks are skipped (documented in the report): they are not the cause chain.
  let suppressedIndent = -1;
  for (const [index, raw] of lines.entries()) {
    const line = raw.length > MAX_LINE ? raw.slice(0, MAX_LINE) : raw;
    if (suppressedIndent >= 0) {
      if (line.trim() === '' || indentOf(line) >= suppressedIndent) continue;
      suppressedIndent = -1;
    }
    if (!current) {
      const header = readHeader(line) ?? readHeaderOfFrames(line, lines[index + 1]);
      if (header) {
        current = { ...header, messageLines: [], frames: [] };
        sections.push(current);
      }
      continue;
    }
    const frame = FRAME.exec(line);
    if (frame) {
      current.frames.push(readFrame(frame[1] ?? ''));
      continue;
    }
    if (OMITTED.test(line)) continue;
    const suppressed = SUPPRESSED.exec(line);
    if (suppressed) {
      suppressedIndent = (suppressed[1] ?? '').length;
      continue;
    }
    const link = CHAINED.exec(line);
    if (link) {
      const found = readNamed((link[2] ?? '').trim());
      if (!found) break;
      current = { ...found, isThreadHeader: false, messageLines: [], frames: [] };
      if (link[1] === 'Wrapped') sections.unshift(current);
      else sections.push(current);
      continue;
    }
    // Before its first frame an exception's message may run over several lines; after, the trace is over.
    if (current.frames.length > 0) break;
    const named = current.isLauncherReport ? readTypeAndMessage(line.trim()) : undefined;
    if (named && isBelievable(named.exceptionType)) {
      current = { ...named, isThreadHeader: false, messageLines: [], frames: [] };
      sections.push(current);
      continue;
    }
    // The exception named in a line before its printed trace, then the trace's own header at
    // column 0: the second is the header. The Lambda Java runtime's report (`order 4411 has no
    // lines: java.lang.IllegalStateException`), Tomcat's `… threw exception [Request processing
    // failed: java.lang.NullPointerException: …] with root cause` and a blank line (Spring Boot).
    // A mention may name another exception than the trace's (the wrapper, not the root cause).
    const again = indentOf(line) === 0 ? readTypeAndMessage(line) : undefined;
    if (
      again &&
      (again.exceptionType === current.exceptionType ||
        (current.isMention === true && isBelievable(again.exceptionType)))
    ) {
      current.exceptionType = again.exceptionType;
      current.message = again.message;
      current.messageLines = [];
      current.isMention = false;
      continue;
    }
    current.messageLines.push(raw);
  }
  const [first, ...causes] = sections;
  if (!first) return undefined;
  if (first.isLauncherReport) {
    // Without the exception it names (its next line not delivered) the report is left to other readers.
    const [named, ...nested] = causes;
    return named && { ...toTrace(named), causes: nested.map(toTrace) };
  }
  if (!first.isThreadHeader && first.frames.length === 0 && causes.length === 0) return undefined;
  return { ...toTrace(first), causes: causes.map(toTrace) };
}

/**
 * The launcher's report that the main class has no main method it can run: the class is where the
 * method belongs (or the launch command names the wrong class), its one frame.
 */
function parseMainMethodReport(text: string): ParsedTrace | undefined {
  const first = (text.split('\n', 1)[0] ?? '').trim();
  const className = first.startsWith('Error: Main method ') ? MAIN_METHOD_REPORT.exec(first)?.[1] : undefined;
  if (className === undefined) return undefined;
  const simple = className.slice(className.lastIndexOf('.') + 1).split('$')[0] ?? className;
  return {
    language: 'java',
    exceptionType: 'Error',
    message: first.slice('Error: '.length).replace(/, please define the main method as:$/, ''),
    // the frame a trace through its main method would print: `com.example.App.main(App.java)`
    frames: [readFrame(`${className}.main(${simple}.java)`)],
    causes: [],
  };
}

function continuesJava(line: string, block: readonly string[]): boolean {
  if (block.length === 0) return false;
  const head = line.slice(0, MAX_LINE);
  // A JavaScript frame (`at saveOrder (file:///var/task/lib/store.mjs:7:3)`): Java prints a line,
  // never a column. An AWS SDK error in Node is named like a Java one (`AccessDeniedException: …`).
  if (FRAME.test(head) && JS_LOCATION.test(head)) return false;
  if (FRAME.test(head) && (head.includes('(') || head.length >= MIN_WRAP_WIDTH)) return true;
  if (isWrapContinuation(head, (block.at(-1) ?? '').slice(0, MAX_LINE), wrapWidth(block))) return true;
  if (OMITTED.test(head) || CHAINED.test(head) || SUPPRESSED.test(head)) return true;
  // A multi-line message (blank, indented or nested-exception lines such as javax.mail prints) is
  // accepted only while the newest exception has printed no frame yet.
  const isMessageLike = head.trim() === '' || /^\s/.test(head) || readTypeAndMessage(head) !== undefined;
  if (isNextTrace(head, block)) return false;
  if (!isMessageLike) return false;
  for (let i = block.length - 1, seen = 0; i >= 0; i -= 1, seen += 1) {
    const previous = block[i] ?? '';
    if (FRAME.test(previous.slice(0, MAX_LINE)) || OMITTED.test(previous)) return false;
    if (seen >= MAX_MESSAGE_LINES) return false;
    if (i === 0 || CHAINED.test(previous.slice(0, MAX_LINE))) return true;
  }
  return false;
}

/**
 * A header of another exception at column 0 after a trace's own header (not a mention of one, as
 * the Lambda runtime's `msg: Type` or Tomcat's `… [Request processing failed: Type: msg]` is) that
 * printed no frame yet: the next trace. A filter such as `?Exception` delivers only the headers of
 * a busy service's traces, one after another; read as the first one's message, the second was lost.
 * Not after a line that announces it (javax.mail's `  nested exception is:`).
 */
function isNextTrace(head: string, block: readonly string[]): boolean {
  if (/^\s/.test(head) || (block.at(-1) ?? '').trimEnd().endsWith(':')) return false;
  const next = readTypeAndMessage(head);
  if (!next || !isBelievable(next.exceptionType)) return false;
  const first = readHeader(block[0] ?? '');
  return (
    first !== undefined &&
    first.isMention !== true &&
    first.isLauncherReport !== true &&
    first.exceptionType !== next.exceptionType
  );
}

const isLibraryClass = (module: string): boolean => !isInApp({ language: 'java', module });

/**
 * Java, Kotlin and Clojure stack traces: `Caused by`/`Wrapped by` chains, `... N more`, JPMS
 * modules, logger prefixes; the JVM's and the java launcher's reports that it could not start;
 * clojure.main's report of an error it did not catch.
 */
export const javaParser: TraceParser = {
  language: 'java',
  startsTrace: (line) =>
    startsJvmStartup(line) ||
    isMainMethodReport(line) ||
    startsClojureReport(line) ||
    readHeader(line) !== undefined,
  continuesTrace: (line, block) =>
    isJvmStartup(block)
      ? continuesJvmStartup(line, block)
      : isClojureReport(block)
        ? continuesClojureReport(line, block)
        : continuesJava(line, block),
  headsFrame: (line, next) => headsJvmStartup(line, next) || readHeaderOfFrames(line, next) !== undefined,
  endsTrace: (block) =>
    (isJvmStartup(block) && endsJvmStartup(block)) ||
    isMainMethodReport(block[0] ?? '') ||
    (isClojureReport(block) && endsClojureReport(block)),
  isCutShort: (block) => isClojureReport(block) && isClojureReportCutShort(block),
  // Only `Exception in thread "main" …` is a trace without frames (see parseJava), and the
  // launcher's, the JVM's and clojure.main's reports.
  parsesAlone: (line) =>
    line.includes(THREAD_PREFIX) ||
    startsJvmStartup(line) ||
    isMainMethodReport(line) ||
    startsClojureReport(line),
  parse: (text) => {
    try {
      const first = text.split(/\r?\n/, 1)[0] ?? '';
      return (
        parseJvmStartup(text) ??
        parseMainMethodReport(text) ??
        (startsClojureReport(first) ? parseClojureReport(text, isLibraryClass) : parseJava(text))
      );
    } catch {
      return undefined;
    }
  },
};
