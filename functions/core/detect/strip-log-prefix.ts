import { stripAnsiEscapes } from '../text/strip-control.ts';
import { MONO_REPRINT } from './parse-trace/dotnet.ts';

/** A log line split into what the logging framework added and what the program wrote. */
export interface LineParts {
  /** normalised level when the prefix names one: 'error', 'warn', 'info', 'debug', 'fatal' */
  level?: Level;
  body: string;
}

export type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug';

// Every pattern is sticky (matched at the cursor, with no substring cut per step) and made of
// bounded or disjoint pieces, so each runs in linear time on a hostile line. They are tried in
// order; the first that matches wins. Each is tried only where its first character can start it.
// The request id is `undefined` in what the Node runtime logs during the init phase, before any
// invocation (runtime client 3.x, nodejs20.x), and `-` from runtime client 4.x (nodejs24.x).
const LAMBDA_NODE =
  /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z\t(?:[0-9a-f-]{36}|undefined|-)\t(?:(ERROR|WARN|INFO|DEBUG|TRACE|FATAL)\t)?/y;
// The request id is empty in what the Python runtime logs during the init phase.
const LAMBDA_PYTHON =
  /\[(ERROR|WARNING|INFO|DEBUG|CRITICAL)\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z\t(?:[0-9a-f-]{36})?\t/y;
const LAMBDA_PYTHON_UNHANDLED =
  /\[(ERROR)\] (?=[A-Za-z_][\w.]{0,200}(?:Error|Exception|Exit|Interrupt)\b|Runtime\.[A-Z][A-Za-z]{1,60}: |(?:[\w.]{1,200}\.)?[A-Z]\w{0,100}: An error occurred \()/y;
const CRI = /\d{4}-\d\d-\d\dT[\d:.]{8,18}(?:Z|[+-]\d\d:\d\d) (?:stdout|stderr) [FP] /y;
// Log shippers that tag each line with its date and stream: `2021/05/01<TAB>stderr<TAB>…`
// (optionally with the time), as in Elastic Beanstalk's and several PaaS log views.
const DATED_STREAM = /\d{4}\/\d\d\/\d\d(?: \d\d:\d\d:\d\d(?:\.\d{1,9})?)?\t(?:stdout|stderr)\t/y;
// Go's log date (log.LstdFlags, `.000000` with Lmicroseconds) before an upper-case level: log/slog's
// default handler writes through log (`2026/12/07 07:43:38 ERROR charge failed err=…`), and so do
// `log.Printf("ERROR: …")` calls. Before any other word it stays the line's (net/http's `http:
// panic serving …`, gin's `[Recovery] …`, which their own readers know). With Lshortfile (or
// Llongfile) set, the call's place comes between: `2026/12/08 00:59:20 main.go:19: ERROR: charge
// order ord-42: …` (the place holds no colon or space, so its try is short).
const GO_LOG_DATE =
  /\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})? (?:[^\s:]{1,512}\.go:\d{1,9}: )?(?=(?:FATAL|PANIC|ERROR|WARN|WARNING|INFO|DEBUG):? )/y;
// nginx's error log, and what php-fpm's stderr becomes in it: `2026/12/05 20:58:13 [error]
// 14195#14195: *1 FastCGI sent in stderr: "PHP message: PHP Fatal error:  Uncaught …`.
const NGINX_ERROR =
  /\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[(emerg|alert|crit|error|warn|notice|info|debug)\] \d{1,10}#\d{1,10}: (?:\*\d{1,20} )?(?:FastCGI sent in stderr: "(?:PHP message: )?)?/y;
// php-fpm hands nginx what PHP logged for a request as one stderr record, each message after
// `PHP message: `, joined with `; `, and nginx logs the record at [error] whatever PHP's own level:
// `… FastCGI sent in stderr: "PHP message: PHP Deprecated:  f(): Implicitly marking parameter $x
// as nullable is deprecated …; PHP message: PHP Fatal error:  Uncaught Error: …` (PHP 8.4 deprecates
// much code that ran clean, and the Docker images log every level). PHP's label is the level.
const PHP_MESSAGE = 'PHP message: ';
const PHP_MESSAGE_JOIN = '; PHP message: ';
const PHP_LABEL =
  /^PHP (Fatal error|Recoverable fatal error|Parse error|Warning|Notice|Deprecated|Strict Standards): /;
const PHP_LABEL_LEVEL: Readonly<Record<string, Level>> = {
  'Fatal error': 'error',
  'Recoverable fatal error': 'error',
  'Parse error': 'error',
  Warning: 'warn',
  Notice: 'info',
  Deprecated: 'info',
  'Strict Standards': 'info',
};
/** Messages of one stderr record read for a label, at most (a hostile line may hold any number). */
const MAX_PHP_MESSAGES = 32;

/**
 * The first of the PHP messages joined in `text` that PHP logged as an error, from it to the
 * record's end (an uncaught error's trace goes on after it), at PHP's level; else the first
 * message at its level. Undefined when the text starts with no PHP label.
 */
function phpMessages(text: string): LineParts | undefined {
  const first = PHP_LABEL.exec(text);
  if (!first) return undefined;
  for (let at = 0, read = 0; read < MAX_PHP_MESSAGES; read += 1) {
    const label = PHP_LABEL.exec(at === 0 ? text : text.slice(at));
    const level = label ? PHP_LABEL_LEVEL[label[1] ?? ''] : undefined;
    if (level === 'error') return { level, body: text.slice(at) };
    const next = text.indexOf(PHP_MESSAGE_JOIN, at);
    if (next < 0) break;
    at = next + PHP_MESSAGE_JOIN.length;
  }
  return { level: PHP_LABEL_LEVEL[first[1] ?? ''] ?? 'error', body: text };
}

// php-fpm's own log with `catch_workers_output = yes`: every line a worker wrote to stderr, quoted
// whole: `[06-Dec-2026 00:22:51] WARNING: [pool www] child 12655 said into stderr: "#0 /app/x.php(6): f()"`
// (decorated: the default, and what PHP before 7.3 always wrote).
const FPM_WORKER =
  /\[\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d(?:\.\d{1,9})?\] [A-Z]{4,7}: \[pool [^\]\n]{1,100}\] child \d{1,10} said into std(?:err|out): "/y;
/** What follows the worker's line: its closing quote, and the last one's notice. */
const FPM_WORKER_END = /"(?:, pipe is closed)?$/;
// Apache httpd's error log, where mod_php writes PHP's errors (a whole trace on one line, its line
// breaks escaped): `[Sun Dec 06 00:28:19.568285 2026] [php:error] [pid 17042:tid 17042] [client
// 127.0.0.1:57442] PHP Fatal error:  Uncaught …`
const APACHE_ERROR =
  /\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d{1,6})? \d{4}\] \[(?:[\w-]{1,40}:)?([a-z]{4,6})\d?\] \[pid \d{1,10}(?::tid \d{1,20})?\] (?:\[client [^\]\n]{1,100}\] )?/y;
// LiteSpeed's (and OpenLiteSpeed's) stderr log of its PHP processes, after the timestamp, level and
// pid: `[T0] [127.0.0.1:60782#APVH_shop.example:443] [STDERR] PHP Fatal error: …` (escaped breaks too).
const LSAPI_STDERR = /(?:\[T\d{1,4}\] )?(?:\[[^\]\n]{1,200}\] )?\[STDERR\] /y;
// PHP's own error line as php-fpm's SAPI logger writes it to stderr when no `error_log` is set
// (the official Docker images): `NOTICE: PHP message: PHP Fatal error:  Uncaught …`.
const FPM_PHP_MESSAGE = /(?:NOTICE|WARNING|ERROR|ALERT|DEBUG): PHP message: /y;
// Ruby's Logger: `E, [2026-12-04T15:42:41.015177 #12508] ERROR -- checkout: …`; the Lambda Ruby
// runtime's puts the request id before the `--`: `… ERROR 8f5c2d1e-3b7a-… -- : …`.
const RUBY_LOGGER =
  /[DIWEFA], \[[\dT:.\- ]{10,40} #\d{1,10}\] +([A-Z]{4,7}|ANY) (?:[0-9a-f-]{36} )?-- [^:\n]{0,100}: /y;
// Rails' TaggedLogging (`config.log_tags`): every line of one log call starts with the tags in
// brackets, the first after the Logger's prefix (`… FATAL -- : [8f5c…]   `), the others at column 0
// (`[8f5c…] app/models/order.rb:3:in 'total'`, a trace's frames). A generated production.rb tags the
// request's id (a UUID); apps add others before or after it (`[:request_id, :remote_ip]`, the
// host, a proc's value). A run of tags holding the UUID one is stripped; a run without it is not
// told from a message that starts with brackets.
const REQUEST_TAGS =
  /(?:\[[^\]\n]{1,100}\] ){0,4}\[[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\] ?(?:\[[^\]\n]{1,100}\] ){0,4}/y;
// Celery's worker log, its default formats (`[%(asctime)s: %(levelname)s/%(processName)s]`, and
// without the process): `[2026-12-07 13:40:11,052: ERROR/ForkPoolWorker-2] Task shop.tasks.charge[…]
// raised unexpected: KeyError('price')`, the traceback after it.
const CELERY =
  /\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}: (CRITICAL|ERROR|WARNING|INFO|DEBUG)(?:\/[^\]\n]{1,100})?\] /y;
// Monolog and Laravel: `app.ERROR: …`, `production.CRITICAL: …` after the timestamp.
const MONOLOG_CHANNEL = /[\w-]{1,60}\.(EMERGENCY|ALERT|CRITICAL|ERROR|WARNING|NOTICE|INFO|DEBUG): /y;
// The timestamps loggers put first (ISO 8601, syslog's, Java's, Tomcat's …; Go's time.Kitchen,
// `3:04PM`, is zerolog's ConsoleWriter default)
const TIMESTAMP =
  /\[?(?:\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z| ?[+-]\d\d:?\d\d)?|\d\d:\d\d:\d\d(?:[.,]\d{1,6})?|[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d{1,6})? \d{4}|\d{6} \d{6}|\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d(?: [A-Za-z][\w/+-]{0,40})?|\d{1,2}:\d\d[AP]M)\]?,? +/y;
// A bracket is the level's only when it closes right after the word (`[ERROR]`, `[ERROR   ]`):
// `[PANIC RECOVER] …` (echo) is a label, not the level PANIC.
const LEVEL_WORD =
  /(?:\[(?=[A-Za-z]{1,8} {0,8}\])|<)?(FATAL|CRITICAL|CRIT|SEVERE|EMERG|ALERT|PANIC|ERROR|ERR|E|WARN|WARNING|W|INFO|I|NOTICE|DEBUG|D|TRACE|T|V|fatal|critical|error|warn|warning|info|notice|debug|trace)(?: {0,8}\]|>)?:? +/y;
const THREAD = /\[[^\]\n]{1,120}\] +/y;
// consola's fancy reporter, its default outside CI, colours off without a terminal: ` ERROR  msg`
// (its basic one writes `[error] msg`, a bracketed level read below)
const CONSOLA_BADGE = /^ (FATAL|ERROR|WARN|INFO|DEBUG|TRACE) {2}(?=\S)/;
/**
 * Rich's log handler (`RichHandler`): `[03:53:50] ERROR    msg … app.py:8`, its time column left
 * blank for the next record in the same second (`           ERROR    msg`), the caller right-aligned
 * at the end. Indented further than any traceback's source line.
 */
const RICH_CONTINUED = /^ {8,}(CRITICAL|ERROR|WARNING|INFO|DEBUG) {2,}(?=\S)/;
const RICH_CALLER = / {2,}[\w.-]{1,100}\.py:\d{1,7}$/;

/** A Rich handler's line without the caller it right-aligns after the message. */
function withoutRichCaller(body: string): string {
  return isDigit(body.charCodeAt(body.length - 1)) && body.includes('.py:')
    ? body.replace(RICH_CALLER, '')
    : body;
}
// After the logger's bracket, the caller's and a bracket of `key=value` context, then ` - `:
// OpenTelemetry's logging instrumentation (`set_logging_format=True`, its DEFAULT_LOGGING_FORMAT)
// writes `[orders.checkout] [app.py:35] [trace_id=0af7… span_id=b7ad… resource.service.name=orders
// trace_sampled=True] - …`; the ids change with every request, so left in they made every line an
// incident of its own.
const CONTEXT_BRACKET = String.raw`\[(?:[\w.]{1,60}=[^\s\]]{0,200} ?){1,12}\] +`;
const CALLER_AND_CONTEXT = new RegExp(
  String.raw`(?:\[[\w./\\-]{1,200}:\d{1,7}\] +(?:${CONTEXT_BRACKET}){0,4}|(?:${CONTEXT_BRACKET}){1,4})(?:- +)?`,
  'y',
);
// Spring Boot's console and file pattern after the level: the pid, `---`, the application name
// (3.2+), the thread and a correlation id in brackets, the logger padded to 40, ` : `:
// `2026-12-06T04:00:00.123Z ERROR 1 --- [shop] [nio-8080-exec-1] o.a.c.c.C.[.[.[/].[dispatcherServlet]    : …`
const SPRING_BOOT = /\d{1,10} +--- (?:\[[^\]\n]{0,120}\] *){1,4}\S{1,200} +: /y;
const PID = /\d{1,7} +/y;
// Elixir's Logger (`$time $metadata[$level] $message`, Phoenix's default) writes the process's
// metadata between the time and the level: `04:53:34.078 request_id=F7x2kQm9Zp1AAAAB [error] …`.
const ELIXIR_METADATA =
  /(?:[a-z_]\w{0,60}=[^\s[\]]{0,200} ){1,12}(?=\[(?:error|warning|warn|notice|info|debug|critical|alert|emergency)\] )/y;
const COLON_GAP = /: +/y;
// `c.e.Foo - `, `com.example.Foo: `, `root: ` — a logger name ending the prefix (log4j, logback, Python logging)
const LOGGER = /[A-Za-z_$][\w$.]{0,150}(?: +- +|: +)/y;
// An exception type is the program's text, not a logger name: `ERROR KeyError: 't-1'`, and
// JavaScript's bare `ERROR Error: upstream timed out`.
const EXCEPTION_TYPE_FIRST =
  /(?:[A-Za-z_$][\w$.]{0,150})?(?:Error|Exception|Exit|Interrupt|Warning|Fault|Panic): /y;
// Sidekiq's log formatters (6.x, 7.x): `pid=… tid=…`, the job's context as `key=value` pairs
// (`class=PriceOrderJob jid=… elapsed=0.002`), then `LEVEL: `; after an ISO timestamp (Pretty) or
// with none (WithoutTimestamp, on Heroku). A failed job's error goes out at WARN in three calls:
// the context as JSON, `Class: message`, then the backtrace, its first line after the prefix.
const SIDEKIQ =
  /pid=\d{1,10} tid=[\w-]{1,40}(?: [\w.-]{1,60}=[^\s=]{0,200}){0,12} (DEBUG|INFO|WARN|ERROR|FATAL|UNKNOWN): /y;
// `%(asctime)s - %(name)s - %(levelname)s - %(message)s`, Python's most copied format
const PY_DASHED = /- [\w.]{1,150} - (CRITICAL|ERROR|WARNING|INFO|DEBUG) - /y;
const PY_LOGGING = /(CRITICAL|ERROR|WARNING|INFO|DEBUG):[\w.]{1,150}:/y;
const KLOG = /([EWIF])\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ [\w.-]{1,100}:\d{1,6}\] /y;
// syslog as rsyslog writes it to /var/log/syslog or /var/log/messages (and `journalctl` prints it):
// `Dec  5 19:11:27 host orders[31337]: …` (traditional) and `2026-12-05T19:11:27.083285+00:00 host
// orders[31337]: …` (RSYSLOG_FileFormat, Debian 12's and Ubuntu's default). The tag's `[pid]` is
// required in the second form: without it, `2024-05-01T12:00:00Z ERROR root: x` would read as one.
const SYSLOG_TRADITIONAL =
  /(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d [\w.:-]{1,255} [\w./@()-]{1,100}(?:\[\d{1,10}\])?: /y;
const SYSLOG_RFC3339 =
  /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d) [\w.:-]{1,255} [\w./@()-]{1,100}\[\d{1,10}\]: /y;
// rsyslog escapes control characters as `#` and three octal digits: a frame's leading tab is `#011`.
const SYSLOG_ESCAPE = /#([0-3][0-7]{2})/g;

const LEVELS: Record<string, Level> = {
  FATAL: 'fatal',
  CRITICAL: 'fatal',
  CRIT: 'fatal',
  EMERG: 'fatal',
  ALERT: 'fatal',
  PANIC: 'fatal',
  F: 'fatal',
  SEVERE: 'error',
  ERROR: 'error',
  ERR: 'error',
  E: 'error',
  WARN: 'warn',
  WARNING: 'warn',
  W: 'warn',
  INFO: 'info',
  I: 'info',
  NOTICE: 'info',
  DEBUG: 'debug',
  D: 'debug',
  TRACE: 'debug',
  T: 'debug',
  V: 'debug',
};

// A Map, not an object: a level read from a log line must never find `constructor` or `__proto__`.
const LEVEL_BY_NAME = new Map<string, Level>(
  Object.entries(LEVELS).flatMap(([name, level]) => [
    [name, level],
    [name.toLowerCase(), level],
  ]),
);

/** Normalises a level name or number (pino/bunyan: 50 error, 60 fatal; Monolog: 400 error) to a Level. */
export function toLevel(value: unknown): Level | undefined {
  if (typeof value === 'number') {
    // Monolog's scale: 100 debug, 200 info, 250 notice, 300 warning, 400 error, 500 critical …
    if (value >= 100)
      return value >= 500
        ? 'fatal'
        : value >= 400
          ? 'error'
          : value >= 300
            ? 'warn'
            : value >= 200
              ? 'info'
              : 'debug';
    if (value >= 60) return 'fatal';
    if (value >= 50) return 'error';
    if (value >= 40) return 'warn';
    if (value >= 30) return 'info';
    return 'debug';
  }
  if (typeof value !== 'string' || value.length > 20) return undefined;
  // Levels come in upper or lower case: looked up as they are first, upper-cased only otherwise.
  return LEVEL_BY_NAME.get(value) ?? LEVEL_BY_NAME.get(value.toUpperCase());
}

/**
 * A position in a line; `take` consumes a prefix that matches there. A class, not a closure over
 * a local: this runs on every line that may matter, and a closure's context is garbage per call.
 */
class Cursor {
  at = 0;
  constructor(readonly line: string) {}
  take(re: RegExp): RegExpExecArray | null {
    re.lastIndex = this.at;
    const m = re.exec(this.line);
    if (m) this.at += m[0].length;
    return m;
  }
  /** `take` for a prefix whose text is not read: no match array is made */
  skip(re: RegExp): boolean {
    re.lastIndex = this.at;
    if (!re.test(this.line)) return false;
    this.at = re.lastIndex;
    return true;
  }
  /** the match at the cursor, without consuming it */
  peek(re: RegExp): RegExpExecArray | null {
    re.lastIndex = this.at;
    return re.exec(this.line);
  }
  test(re: RegExp, at = this.at): boolean {
    re.lastIndex = at;
    return re.test(this.line);
  }
  /** the character code at the cursor (NaN at the end) */
  get code(): number {
    return this.line.charCodeAt(this.at);
  }
  get rest(): string {
    return this.at === 0 ? this.line : this.line.slice(this.at);
  }
}

const isDigit = (code: number) => code >= 48 && code <= 57;
const isUpper = (code: number) => code >= 65 && code <= 90;
const OPEN_BRACKET = 91;
const isWordCode = (code: number) =>
  isDigit(code) || isUpper(code) || (code >= 97 && code <= 122) || code === 95; // \w
/** `[\w$.]`: an exception type's characters */
const isNameCode = (code: number) => isWordCode(code) || code === 36 || code === 46;
/** `[\w-]`: a Monolog channel's characters */
const isChannelCode = (code: number) => isWordCode(code) || code === 45;

/**
 * The index after the run of `isIn` characters at the cursor, at most `max` of them read (a longer
 * run ends on one of its own): a pattern whose run must end in a given character is tried only
 * where it does.
 */
function runEnd(cursor: Cursor, isIn: (code: number) => boolean, max: number): number {
  const { line, at } = cursor;
  let end = at;
  while (end - at < max && isIn(line.charCodeAt(end))) end++;
  return end;
}

// The Erlang VM's last words when an allocator fails (a process heap past the container's memory):
// `eheap_alloc: Cannot allocate 123210440 bytes of memory (of type "heap").`, written to stderr
// with no prefix and no level, before `Crash dump is being written to: erl_crash.dump...done`.
const BEAM_ALLOC_FAILURE = /^[a-z_]{1,40}_alloc: Cannot allocate \d{1,20} bytes of memory \(of type "/;

/** The Erlang VM's allocator failure line (read as fatal here; explained to the reviewer in the email). */
export const isBeamAllocationFailure = (text: string): boolean => BEAM_ALLOC_FAILURE.test(text);

/**
 * EXCEPTION_TYPE_FIRST at the cursor. Its name is a run of `[\w$.]` (at most 160) right before
 * `: `: a logger's name (`c.e.o.OrderController - `) is told apart by one scan, before the
 * pattern tries every length of it against every type word.
 */
function isExceptionTypeAt(cursor: Cursor): boolean {
  const end = runEnd(cursor, isNameCode, 161);
  return (
    cursor.line.charCodeAt(end) === 58 &&
    cursor.line.charCodeAt(end + 1) === 32 &&
    cursor.test(EXCEPTION_TYPE_FIRST)
  );
}

/** Strips the timestamp/level/thread/logger prefix a logging framework or runtime put before the text. */
export function stripLogPrefix(line: string): LineParts {
  // Indented lines (a trace's frames) and empty ones carry no prefix: most lines of a trace.
  const first = line.charCodeAt(0);
  if (first === 32 || first === 9 || Number.isNaN(first)) {
    // Two prefixes start with spaces: consola's badge (Nuxt, Nitro and the other unjs tools), and
    // Rich's log handler's level after its time column, left blank within one second
    const badge =
      first !== 32
        ? null
        : isUpper(line.charCodeAt(1))
          ? CONSOLA_BADGE.exec(line)
          : line.charCodeAt(7) === 32
            ? RICH_CONTINUED.exec(line)
            : null;
    if (!badge) return { body: line };
    return { level: toLevel(badge[1]) ?? 'error', body: withoutRichCaller(line.slice(badge[0].length)) };
  }
  // a runtime's fatal line: its words are its level
  if (first >= 97 && first <= 122 && BEAM_ALLOC_FAILURE.test(line)) return { level: 'fatal', body: line };
  const cursor = new Cursor(line);
  const firstIsDigit = isDigit(first);
  // SYSLOG_RFC3339, LAMBDA_NODE and CRI open with an ISO date and its `T`; DATED_STREAM with `2021/`.
  const isoDated = firstIsDigit && line.charCodeAt(10) === 84; // T
  const syslog =
    isUpper(first) && isDigit(line.charCodeAt(5))
      ? cursor.take(SYSLOG_TRADITIONAL)
      : isoDated
        ? cursor.take(SYSLOG_RFC3339)
        : null;
  // The message after syslog's header is a line of its own, with whatever prefix its program wrote.
  if (syslog) return stripLogPrefix(unescapeSyslog(cursor.rest));
  // The worker's line inside php-fpm's log is a line of its own, with whatever prefix PHP wrote.
  const fpm = first === OPEN_BRACKET && line.charCodeAt(3) === 45 ? cursor.take(FPM_WORKER) : null; // `[06-…`
  if (fpm) return stripLogPrefix(cursor.rest.replace(FPM_WORKER_END, ''));
  // Mono's reprint of an unhandled exception starts `[ERROR] FATAL UNHANDLED EXCEPTION:`: the
  // runtime's words, not a logger's level (it continues the first print's trace).
  if (first === OPEN_BRACKET && line.startsWith(MONO_REPRINT)) return { body: line };
  // A tagged line's tag goes; what follows is read as the line.
  const tag = first === OPEN_BRACKET ? cursor.take(REQUEST_TAGS) : null;
  if (tag) return stripLogPrefix(cursor.rest);
  // `[2026-12-07 13:40:11,052: `: a comma before the milliseconds, a colon after them
  const isCelery = first === OPEN_BRACKET && line.charCodeAt(20) === 44 && line.charCodeAt(24) === 58;
  const celery = isCelery ? cursor.take(CELERY) : null;
  if (celery) return { level: toLevel(celery[1]), body: cursor.rest };
  const apache = first === OPEN_BRACKET && line.charCodeAt(4) === 32 ? cursor.take(APACHE_ERROR) : null; // `[Sun …`
  if (apache) {
    const level = toLevel(apache[1]);
    return level ? { level, body: cursor.rest } : { body: cursor.rest };
  }
  const lambda = isoDated
    ? cursor.take(LAMBDA_NODE)
    : first === OPEN_BRACKET
      ? (cursor.take(LAMBDA_PYTHON) ?? cursor.take(LAMBDA_PYTHON_UNHANDLED))
      : null;
  if (lambda) {
    const level = toLevel(lambda[1]);
    return level ? { level, body: cursor.rest } : { body: cursor.rest };
  }
  if (isUpper(first)) {
    if (cursor.take(FPM_PHP_MESSAGE)) return { body: cursor.rest };
    const klog = isDigit(line.charCodeAt(1)) ? cursor.take(KLOG) : null;
    if (klog) return { level: toLevel(klog[1]), body: cursor.rest };
    const ruby = line.charCodeAt(1) === 44 ? cursor.take(RUBY_LOGGER) : null;
    if (ruby) {
      cursor.take(REQUEST_TAGS);
      const level = toLevel(ruby[1]);
      return level ? { level, body: cursor.rest } : { body: cursor.rest };
    }
  }
  let goDated = false;
  if (firstIsDigit) {
    const slashed = line.charCodeAt(4) === 47; // `2026/…`
    const nginx = slashed ? cursor.take(NGINX_ERROR) : null;
    if (nginx) {
      if (nginx[0].endsWith(PHP_MESSAGE))
        return phpMessages(cursor.rest) ?? { level: 'error', body: cursor.rest };
      return { level: toLevel(nginx[1]) ?? 'error', body: cursor.rest };
    }
    goDated = slashed && cursor.skip(GO_LOG_DATE);
    if (!goDated) (isoDated && cursor.skip(CRI)) || (slashed && cursor.skip(DATED_STREAM));
  }
  const py = isUpper(cursor.code) ? cursor.take(PY_LOGGING) : null;
  if (py) return { level: toLevel(py[1]), body: cursor.rest };
  const opens = cursor.code;
  const stamped =
    goDated || ((isDigit(opens) || isUpper(opens) || opens === OPEN_BRACKET) && cursor.skip(TIMESTAMP));
  const sidekiq = cursor.code === 112 && (stamped || cursor.at === 0) ? cursor.take(SIDEKIQ) : null; // `pid=`
  if (sidekiq) return { level: toLevel(sidekiq[1]) ?? 'error', body: cursor.rest };
  if (stamped) {
    const dashed = cursor.code === 45 ? cursor.take(PY_DASHED) : null;
    if (dashed) return { level: toLevel(dashed[1]), body: cursor.rest };
    const monolog =
      line.charCodeAt(runEnd(cursor, isChannelCode, 61)) === 46 ? cursor.take(MONOLOG_CHANNEL) : null; // `app.`
    if (monolog) return { level: toLevel(monolog[1]), body: cursor.rest };
    if (isDigit(cursor.code)) cursor.skip(PID);
    else if (cursor.code >= 97 && cursor.code <= 122) cursor.skip(ELIXIR_METADATA);
  }
  let level: Level | undefined;
  // Single-letter levels (`E`, `I`) only count after a timestamp: alone they are ordinary words.
  const levelMatch = cursor.peek(LEVEL_WORD);
  // Without a timestamp only an upper-case level counts: `fatal error: …` (Go) and `error: …`
  // (compilers, CLIs) are the program's words, not a logging framework's prefix.
  const word = levelMatch?.[1];
  if (
    word !== undefined &&
    (stamped ||
      (word.length > 1 && word === word.toUpperCase()) ||
      // a bracketed one at the start of the line, whatever its case: `[error] …` (consola's basic
      // reporter, Symfony's HttpKernel Logger)
      (word.length > 1 && cursor.at === 0 && levelMatch?.[0].startsWith('[') === true) ||
      // A lower-case level counts when a timestamp follows it: `error 2021-05-01T12:00:00.000Z : …`.
      cursor.test(TIMESTAMP, cursor.at + (levelMatch?.[0].length ?? 0)))
  ) {
    cursor.at += levelMatch?.[0].length ?? 0;
    level = toLevel(word);
    if (stamped && isDigit(cursor.code) && cursor.skip(SPRING_BOOT)) return { level, body: cursor.rest };
  }
  if (stamped || level) {
    if (cursor.code === OPEN_BRACKET && cursor.skip(THREAD) && cursor.code === OPEN_BRACKET)
      cursor.skip(LSAPI_STDERR) || cursor.skip(CALLER_AND_CONTEXT);
    if (level && !stamped) {
      cursor.skip(TIMESTAMP);
      cursor.skip(COLON_GAP);
    }
    if (!level) {
      const after = cursor.take(LEVEL_WORD);
      if (after?.[1]) {
        level = toLevel(after[1]);
        if (cursor.code === OPEN_BRACKET) cursor.skip(THREAD);
      }
    }
    if (level && !isExceptionTypeAt(cursor)) cursor.skip(LOGGER);
  }
  return level ? { level, body: withoutRichCaller(cursor.rest) } : { body: cursor.rest };
}

/** `#011/app/main.go:16` → a tab, then the path: rsyslog's octal escapes of control characters. */
function unescapeSyslog(message: string): string {
  if (!message.includes('#0')) return message;
  const unescaped = message.replace(SYSLOG_ESCAPE, (escaped, octal: string) => {
    const code = Number.parseInt(octal, 8);
    return code < 32 ? String.fromCharCode(code) : escaped;
  });
  // `#033[31m` was a colour: gone like any other escape sequence.
  return unescaped.includes('\u001b') ? stripAnsiEscapes(unescaped) : unescaped;
}
