import type { Language } from '../contracts.ts';
import { readElixirBanner } from './parse-trace/elixir.ts';
import { type Level, toLevel } from './strip-log-prefix.ts';

/** An error-level structured (JSON) log line, reduced to what the detector needs. */
export interface StructuredError {
  level: Level;
  /** the trace text found in the object (stack, exc_info, exception, stack_trace …), if any */
  trace?: string;
  /**
   * true when `trace` is the message itself (several lines, no stack field: the Lambda Java
   * runtime's JSON format puts `printStackTrace` there): worth reading only if it holds frames
   */
  traceIsMessage?: boolean;
  exceptionType?: string;
  message: string;
  /** where the logger says the statement that logged it is, when it says (caller fields) */
  loggedAt?: LoggedAt;
  /** the language the line says its program is in, when it names no caller */
  language?: Language;
}

/** The logging statement's place, as a structured logger reports its caller. */
export interface LoggedAt {
  language: 'go' | 'python' | 'java';
  file: string;
  line: number;
  function?: string;
  /** Java's class (whose package names the file's directory) */
  module?: string;
}

// A JSON line larger than this is not parsed: no logger writes one, and parsing it would cost
// more than the whole rest of the batch.
const MAX_JSON_LENGTH = 512 * 1024;

type Json = Record<string, unknown>;

// The level as the object's first field, or its second after a timestamp (the Lambda runtimes'
// JSON log format: `{"timestamp":"…","level":"INFO",…}`).
const DECLARED_LEVEL =
  /^[^"]{0,40}\{(?:"(?:timestamp|time|ts|@t)": ?(?:"[\w:.+-]{1,40}"|\d{1,20}), ?)?"(?:level|severity|levelname|lvl|@l|log\.level)": ?(?:"(\w{1,10})"|(\d{1,3})[,}])/;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function pick(obj: Json, paths: readonly string[]): unknown {
  for (const path of paths) {
    // ECS writes `"log.level"` as one key; others nest `{ "error": { "stack": … } }`.
    let value: unknown = obj[path] ?? obj;
    if (value !== obj && value !== null && value !== '') return value;
    value = obj;
    for (const key of path.split('.')) {
      value = isObject(value) ? value[key] : undefined;
    }
    if (value !== undefined && value !== null && value !== '') return value;
  }
  return undefined;
}

/** The first path that holds text: `"error": true` or `"error": {…}` are not a message. */
function pickText(obj: Json, paths: readonly string[]): string | undefined {
  for (const path of paths) {
    const value = text(pick(obj, [path]));
    if (value !== undefined && value.trim() !== '') return value;
  }
  return undefined;
}

const text = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value;
  // Lambda's Node runtime and some loggers print the stack as an array of lines; Python's
  // `traceback.format_tb` (the Lambda Python runtime's `stackTrace`) as entries that end in `\n`.
  if (Array.isArray(value) && value.every((v) => typeof v === 'string'))
    return value.map((v: string) => (v.endsWith('\n') ? v.slice(0, -1) : v)).join('\n');
  return undefined;
};

// Logger conventions, most specific first: pino/bunyan (`err.stack`), Powertools TypeScript
// (`error.stack`), ECS (`error.stack_trace`), logstash/logback (`stack_trace`), structlog and
// Powertools Python (`exception`, `exc_info`), Serilog compact (`@x`), Lambda runtime (`stack`;
// `stackTrace` in its JSON log format, inside `message` when Node's console.error logged the
// error object alone).
const TRACE_PATHS = [
  'err.stack',
  'error.stack',
  'error.stack_trace',
  'exception.stacktrace',
  'exception.stack_trace',
  'exception.stack',
  'stack_trace',
  'stacktrace',
  'stack',
  'exception',
  'exc_info',
  'Exception',
  '@x',
  'error.exception',
  'stackTrace',
  'message.stackTrace',
  // winston's `logstash` format: `{"@fields":{"level":"error","stack":"…"},"@message":"…"}`
  '@fields.stack',
];
const LEVEL_PATHS = [
  'level',
  'severity',
  'levelname',
  'log.level',
  '@l',
  'lvl',
  'loglevel',
  'Level',
  'log_level',
  // loguru's `serialize=True`: `{"text": "<the formatted line and traceback>", "record": {…}}`
  'record.level.name',
  '@fields.level',
  // Datadog's reserved attributes, as logger_json's Datadog formatter (Elixir) writes them
  'syslog.severity',
];
const TYPE_PATHS = [
  'err.type',
  'err.name',
  'error.type',
  'error.name',
  'error.kind',
  'errorType',
  'exception_name',
  'exception.type',
  'exception.class',
  'message.errorType',
  'record.exception.type',
  'context.exception.class',
];
// zap (`"error":"card declined"` beside `"msg":"charge failed"`) and logrus (`"error":…`) put
// the error's own text in `error`: that is the message; `msg` says only what the program was doing.
const MESSAGE_PATHS = [
  'err.message',
  'error.message',
  'errorMessage',
  'exception.message',
  'message.errorMessage',
  'record.exception.value',
  'context.exception.message',
  'error',
  'err',
  // Rust's tracing (tracing-subscriber's JSON format, the Lambda Rust runtime's): the event's
  // fields nested, `error = %e` beside the message
  'fields.error',
  'fields.err',
  'msg',
  'message',
  'fields.message',
  // loguru's `serialize=True` without an exception
  'record.message',
  'event',
  '@m',
  '@mt',
  '@message',
];

// A level field anywhere in an object (python-json-logger and hand-written formatters put the time
// first, as `"asctime": "2026-12-07 18:42:05,583"`, which DECLARED_LEVEL's fast path does not read;
// loguru's `serialize=True` nests it, `"level": {"icon": "❌", "name": "ERROR", "no": 40}`).
const LEVEL_FIELD =
  /"(?:level|severity|levelname|lvl|@l|log\.level)": ?(?:"\w{1,10}"|\d{1,3}[,}]|\{[^{}]{0,200}"name": ?"\w{1,10}")/;

/**
 * A JSON object on a line of its own that names a level: a structured logger's statement, never
 * the rest of a text line before it.
 */
export function isStructuredLogLine(line: string): boolean {
  const text = line.trim();
  return text.charCodeAt(0) === 123 && text.endsWith('}') && LEVEL_FIELD.test(text);
}

/**
 * True for a JSON line whose leading level field says info, debug or warn. Most structured lines
 * are such lines that merely mention "error" (`"error":null`): this answers without parsing them.
 */
export function isQuietStructuredLine(line: string): boolean {
  // A text line (most lines) has no `{"`: one fast scan, not the anchored pattern's 40 steps.
  if (!line.includes('{"')) return false;
  const declared = DECLARED_LEVEL.exec(line);
  if (!declared) return false;
  const level = toLevel(declared[1] ?? Number(declared[2]));
  return level === 'info' || level === 'debug' || level === 'warn';
}

/**
 * Reads one log line as a structured log object and returns its error, or undefined when the
 * line is not JSON or not an error (`"level":"info"`, `"error":null` …).
 */
export function readStructuredError(body: string): StructuredError | undefined {
  const start = body.indexOf('{');
  if (start < 0 || body.length > MAX_JSON_LENGTH || !body.trimEnd().endsWith('}')) return undefined;
  // Lambda's Node runtime writes `Invoke Error \t{…}`: allow a short label before the object.
  return (start <= 40 ? readObjectLine(body, start) : undefined) ?? readTextWithTrailingTrace(body);
}

function readObjectLine(body: string, start: number): StructuredError | undefined {
  if (isQuietStructuredLine(body)) return undefined;
  const obj = parseObject(body.slice(start));
  if (!obj) return undefined;
  const job = failedObanJob(obj);
  if (job) return job;
  const rawLevel = pick(obj, LEVEL_PATHS);
  const level = toLevel(rawLevel);
  const isError = level === 'error' || level === 'fatal';
  // The Lambda runtime's own error objects carry no level: errorType is the tell.
  const isRuntimeError = rawLevel === undefined && typeof obj.errorType === 'string';
  // echo's Recover logs the panic it recovered at its print level (`"level":"-"`).
  const isRecoveredPanic = typeof obj.message === 'string' && obj.message.startsWith('[PANIC RECOVER] ');
  if (!isError && !isRuntimeError && !isRecoveredPanic) return undefined;
  // The error is the rejection's reason, not the runtime's wrapper around it (whose stack is the
  // runtime's own listener).
  const error = rejectionReason(obj) ?? obj;
  // The first path that holds text: Powertools Python's `stack_trace` is an object of frames,
  // its `exception` the printed traceback.
  const trace =
    phpExceptionFields(error) ??
    withCauses(pickText(error, TRACE_PATHS), error) ??
    lambdaGoFrames(error.stackTrace) ??
    zerologStack(error.stack) ??
    loguruTraceback(error) ??
    structlogTraceback(error.exception) ??
    monologTrace(error.context) ??
    log4jThrown(error.thrown) ??
    nestedTrace(error);
  // The Lambda Ruby runtime says where the error came from: `Function<NoMethodError>`, `Init<…>`.
  const exceptionType = pickText(error, TYPE_PATHS)?.replace(RUNTIME_PHASE, '$1');
  const message = pickText(error, MESSAGE_PATHS) ?? '';
  // No stack field: a message of several lines may be a printed trace itself. So is a message that
  // prints the whole error around the frames the stack field holds alone (logger_json's Datadog
  // format: Logger's crash report in `message`, `Exception.format_stacktrace` in `error.stack`).
  const whole = text(error.message);
  const printsTrace = trace !== undefined && whole !== undefined && printsFramesOf(whole, trace);
  const printed = trace === undefined || printsTrace ? whole : undefined;
  // Lambda's JSON format of Node's warning print (see NODE_PROCESS_WARNING): no error.
  if (trace === undefined && exceptionType === undefined && NODE_PROCESS_WARNING.test(message))
    return undefined;
  const at = trace === undefined ? loggedAt(obj) : undefined;
  return {
    level: level ?? 'error',
    ...(at ? { loggedAt: at } : {}),
    ...(trace?.includes('\n') && !printsTrace ? { trace } : {}),
    ...(printed?.includes('\n') ? { trace: printed, traceIsMessage: true } : {}),
    ...(exceptionType ? { exceptionType } : {}),
    message: message.split('\n', 1)[0] ?? '',
  };
}

// Node's print of a process warning (`(node:8) [DEP0005] DeprecationWarning: …`, the AWS SDK's
// `(node:8) NOTE: …` and `Warning: NodeVersionSupportWarning: …`) goes through console.error, so
// Lambda's Node runtime labels it ERROR: a warning, no error (on stderr it is no error line either).
// Not Node 14's UnhandledPromiseRejectionWarning, which reports an unhandled rejection's error.
export const NODE_PROCESS_WARNING =
  /^\(node:\d{1,10}\) (?:\[[A-Z]{1,12}\d{0,6}\] )?(?!UnhandledPromiseRejectionWarning:)(?:[A-Za-z]{0,60}Warning|NOTE):/;

const RUNTIME_PHASE = /^(?:Function|Init)<(.{1,300})>$/;

/**
 * A job Oban ran and saw fail, as its default logger (Oban.Telemetry.attach_default_logger) writes
 * it: `"event":"job:exception"` (a failure that will be retried, or the last attempt: `state`
 * `failure` or `discard`), the error's banner in `error`, no stacktrace, at the level the logger
 * was attached with — `info` by default, which no level rule would read as an error. Oban rescues
 * the job's exception, so no crash report follows: this line is all the log holds of it.
 */
function failedObanJob(obj: Json): StructuredError | undefined {
  if (obj.source !== 'oban' || obj.event !== 'job:exception' || typeof obj.error !== 'string')
    return undefined;
  // Oban.CrashError around an exit or a throw: the exit is the error (readElixirBanner)
  const banner = readElixirBanner(obj.error);
  return {
    level: 'error',
    language: 'elixir',
    ...(banner ? { exceptionType: banner.type } : {}),
    message: (banner?.message ?? obj.error).split('\n', 1)[0] ?? '',
  };
}

/**
 * The stack is frames alone (its first line indented: no header names the error) and `message`,
 * of several lines, holds them: the message is the whole print of the error. A stack with its own
 * header is read as it is, even when a message prints more (Node's `[cause]`, which the Lambda
 * runtime's JSON format leaves out of its `stackTrace`).
 */
function printsFramesOf(message: string, stack: string): boolean {
  if (!message.includes('\n')) return false;
  const first = stack.split('\n', 4).find((line) => line.trim() !== '');
  if (first === undefined || !/^\s/.test(first)) return false;
  const frame = first.trim();
  return frame.length >= 8 && message.includes(frame);
}

function parseObject(text: string): Json | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

// A text line whose metadata ends it as JSON: winston's `simple` format writes
// `error: failed to price order 7 {"stack":"TypeError: …\n    at …"}` (its level, the message, then
// the rest of the entry), and many a `console.error(msg, JSON.stringify(meta))` alike.
const TEXT_LEVEL = /^([A-Za-z]{3,8}): /;
const OBJECT_START = ' {"';
/** Places a trailing object may start at, tried from the first (a message may hold `{"` too). */
const MAX_OBJECT_STARTS = 4;

/**
 * The trace a text line carries in the JSON object that ends it, when its level (if it names one)
 * is an error's. The message is the text before the object, its level word left out.
 */
function readTextWithTrailingTrace(body: string): StructuredError | undefined {
  const leading = TEXT_LEVEL.exec(body);
  const level = leading ? toLevel(leading[1]) : undefined;
  if (level !== undefined && level !== 'error' && level !== 'fatal') return undefined;
  let at = body.indexOf(OBJECT_START);
  for (let tries = 0; at >= 0 && tries < MAX_OBJECT_STARTS; tries++) {
    const obj = parseObject(body.slice(at + 1));
    const trace = obj ? pickText(obj, TRACE_PATHS) : undefined;
    if (trace?.includes('\n')) {
      const message = body.slice(level === undefined ? 0 : (leading?.[0].length ?? 0), at).trim();
      return { level: level ?? 'error', trace, message };
    }
    at = body.indexOf(OBJECT_START, at + OBJECT_START.length);
  }
  return undefined;
}

// Causes read from one object: the chains printed to logs are short; a deeper one is data.
const MAX_CAUSES = 8;

/**
 * A JavaScript error's causes, when the logger wrote them beside its stack as objects (Powertools
 * TypeScript's `error.cause`, pino's `errWithCause`: `{name, message, stack}`), follow the stack
 * as Node's console.error prints them (`{ [cause]: … }`): one chain, read as every other.
 */
function withCauses(trace: string | undefined, obj: Json): string | undefined {
  const holder = [obj.err, obj.error].find((e): e is Json => isObject(e) && e.stack === trace);
  if (trace === undefined || !holder) return trace;
  let out = trace;
  let depth = 0;
  for (
    let cause = holder.cause;
    depth < MAX_CAUSES && isObject(cause) && typeof cause.stack === 'string';
    cause = cause.cause
  ) {
    depth++;
    const indent = '  '.repeat(depth);
    out += ` {\n${indent}[cause]: ${cause.stack.split('\n').join(`\n${indent}`)}`;
  }
  for (; depth > 0; depth--) out += `\n${'  '.repeat(depth - 1)}}`;
  return out;
}

// Where a layout of the application's own making keeps the error (log4js's custom layouts:
// `"data": ["failed to price order 7", {"message": …, "stack": …}]`): a field named for a trace,
// anywhere a few levels down.
const TRACE_KEY = /^(?:stack|stack_?trace|stacktrace|traceback|exc_info|exception|backtrace)$/i;
const MAX_NESTED_DEPTH = 3;
/** Values looked at in all: the object comes from the log, and may be large. */
const MAX_NESTED_VALUES = 200;

/** The first text of several lines under a trace-named key, breadth first, bounded. */
function nestedTrace(obj: Json): string | undefined {
  let level: unknown[] = [obj];
  let seen = 0;
  for (let depth = 0; depth < MAX_NESTED_DEPTH && level.length > 0; depth++) {
    const next: unknown[] = [];
    for (const value of level) {
      if (!isObject(value) && !Array.isArray(value)) continue;
      // for…in: no array of every entry built for an object that may hold thousands
      for (const key in value) {
        if (++seen > MAX_NESTED_VALUES) return undefined;
        const inner: unknown = (value as Json)[key];
        if (typeof inner === 'string' && inner.includes('\n') && TRACE_KEY.test(key)) return inner;
        if (typeof inner === 'object' && inner !== null) next.push(inner);
      }
    }
    level = next;
  }
  return undefined;
}

/** A value from the log written as one line of a trace we print: it cannot add lines of its own. */
const oneLine = (value: string): string => value.replace(/[\r\n]+/g, ' ');

/**
 * structlog's `dict_tracebacks`: `"exception": [{"exc_type", "exc_value", "frames": [{"filename",
 * "lineno", "name"}, …]}, …]`, the raised exception first, then its causes: the raised one printed
 * as the traceback Python would print for it.
 */
function structlogTraceback(value: unknown): string | undefined {
  const raised: unknown = Array.isArray(value) ? value[0] : undefined;
  if (!isObject(raised) || typeof raised.exc_type !== 'string' || !Array.isArray(raised.frames))
    return undefined;
  const lines = ['Traceback (most recent call last):'];
  for (const frame of raised.frames.slice(0, MAX_FRAME_OBJECTS)) {
    if (!isObject(frame) || typeof frame.filename !== 'string' || typeof frame.lineno !== 'number') continue;
    const name = typeof frame.name === 'string' ? frame.name : '<unknown>';
    lines.push(`  File "${oneLine(frame.filename)}", line ${frame.lineno}, in ${oneLine(name)}`);
  }
  const message = typeof raised.exc_value === 'string' ? raised.exc_value : '';
  lines.push(message ? `${raised.exc_type}: ${message}` : raised.exc_type);
  return lines.join('\n');
}

/**
 * An exception a PHP handler logs as fields of its own (`set_exception_handler` writing
 * json_encode of `'exception' => get_class($e)`, its message, `'file'`, `'line'` and `'trace' =>
 * $e->getTraceAsString()`): printed as PHP prints the exception, its throw site the first frame.
 */
function phpExceptionFields(error: Record<string, unknown>): string | undefined {
  const { trace, file, line } = error;
  if (typeof trace !== 'string' || !PHP_TRACE_START.test(trace) || typeof file !== 'string') return undefined;
  if (typeof line !== 'number' && typeof line !== 'string') return undefined;
  const type = pickText(error, PHP_TYPE_PATHS) ?? 'Exception';
  if (!PHP_CLASS.test(type)) return undefined;
  const message = typeof error.message === 'string' ? error.message : '';
  return `${type}: ${oneLine(message)} in ${oneLine(file)}:${oneLine(String(line))}\nStack trace:\n${trace}`;
}
const PHP_TRACE_START = /^#0 \S/;
const PHP_TYPE_PATHS = ['exception', 'class', 'exception_class'];
const PHP_CLASS = /^\\?[A-Za-z_][\w\\]{0,300}$/;

/**
 * Monolog's normalised exception (its JsonFormatter, Laravel's and Symfony's JSON logs):
 * `"context": {"exception": {"class", "message", "code", "file": "/app/x.php:8", "trace":
 * ["/app/y.php:27", …]}}`, the trace only when stack traces are included; printed as PHP prints
 * an exception, so the throw site is a frame even without the trace.
 */
function monologTrace(context: unknown): string | undefined {
  const exception = isObject(context) ? context.exception : undefined;
  if (!isObject(exception) || typeof exception.class !== 'string' || typeof exception.file !== 'string')
    return undefined;
  const message = typeof exception.message === 'string' ? exception.message : '';
  const lines = [
    `${oneLine(exception.class)}: ${oneLine(message)} in ${oneLine(exception.file)}`,
    'Stack trace:',
  ];
  const trace = Array.isArray(exception.trace) ? exception.trace.slice(0, MAX_FRAME_OBJECTS) : [];
  for (const entry of trace) {
    const at = typeof entry === 'string' ? /^(.{1,1000}):(\d{1,9})$/.exec(oneLine(entry)) : null;
    if (at) lines.push(`#${lines.length - 2} ${at[1]}(${at[2]}): `);
  }
  lines.push(`#${lines.length - 2} {main}`);
  return lines.join('\n');
}

/**
 * Log4j2's JsonLayout: `thrown` is the error as an object (`name`, `message`, its frames in
 * `extendedStackTrace` as `{class, method, file, line}`, its `cause`), or with
 * `stacktraceAsString` its printed trace: written as Java prints it.
 */
function log4jThrown(thrown: unknown): string | undefined {
  if (!isObject(thrown) || typeof thrown.name !== 'string') return undefined;
  if (typeof thrown.extendedStackTrace === 'string') return thrown.extendedStackTrace;
  const lines: string[] = [];
  let error: unknown = thrown;
  for (let depth = 0; depth < MAX_CAUSES && isObject(error) && typeof error.name === 'string'; depth++) {
    const message = typeof error.message === 'string' ? `: ${oneLine(error.message)}` : '';
    lines.push(`${depth === 0 ? '' : 'Caused by: '}${oneLine(error.name)}${message}`);
    const frames = Array.isArray(error.extendedStackTrace)
      ? error.extendedStackTrace.slice(0, MAX_FRAME_OBJECTS)
      : [];
    for (const frame of frames) {
      if (!isObject(frame) || typeof frame.class !== 'string' || typeof frame.method !== 'string') continue;
      const file = typeof frame.file === 'string' ? oneLine(frame.file) : 'Unknown Source';
      const line = typeof frame.line === 'number' && frame.line >= 0 ? `:${frame.line}` : '';
      lines.push(`\tat ${oneLine(frame.class)}.${oneLine(frame.method)}(${file}${line})`);
    }
    error = error.cause;
  }
  return lines.join('\n');
}

// `path/to/file.ext:17`, as zap's `caller` and logrus' `file` (SetReportCaller) write it.
const FILE_AND_LINE = /^(\S[^\n:]{0,500}\.(?:go|py|java|kt)):(\d{1,7})$/;

/**
 * The statement that logged an error with no trace, as the logger reports its caller: logrus'
 * `file` and `func` (SetReportCaller), zap's `caller`, slog's and Log4j2 JsonLayout's `source`
 * (locationInfo), loguru's `record.file.path` and `record.line`, structlog's CallsiteParameterAdder
 * and python-json-logger's `pathname`/`lineno`.
 */
function loggedAt(obj: Json): LoggedAt | undefined {
  const at = (
    language: LoggedAt['language'],
    file: unknown,
    line: unknown,
    fn: unknown,
  ): LoggedAt | undefined =>
    typeof file === 'string' && file !== '' && typeof line === 'number' && Number.isInteger(line) && line > 0
      ? {
          language,
          file: oneLine(file),
          line,
          ...(typeof fn === 'string' && fn !== '' ? { function: oneLine(fn) } : {}),
        }
      : undefined;
  const located = (value: unknown, fn: unknown): LoggedAt | undefined => {
    const match = typeof value === 'string' ? FILE_AND_LINE.exec(value) : null;
    if (!match) return undefined;
    const file = match[1] ?? '';
    const language = file.endsWith('.go') ? 'go' : file.endsWith('.py') ? 'python' : 'java';
    return at(language, file, Number(match[2]), fn);
  };
  if (typeof obj.func === 'string') {
    const logrus = located(obj.file, obj.func);
    if (logrus) return logrus;
  }
  const zap = located(obj.caller, undefined);
  if (zap) return zap;
  const source = obj.source;
  if (isObject(source)) {
    const java =
      typeof source.class === 'string' ? at('java', source.file, source.line, source.method) : undefined;
    if (java) return { ...java, module: oneLine(String(source.class)) };
    // log/slog's AddSource (Go 1.21+): `"source":{"function":"main.charge","file":"/app/charge.go","line":16}`
    if (typeof source.function === 'string' && typeof source.file === 'string' && source.file.endsWith('.go'))
      return at('go', source.file, source.line, source.function);
  }
  const record = obj.record;
  if (isObject(record) && isObject(record.file))
    return at('python', record.file.path, record.line, record.function);
  if (typeof obj.pathname === 'string')
    return at('python', obj.pathname, obj.lineno, obj.func_name ?? obj.funcName);
  return undefined;
}

/** loguru's serialized record: the traceback is in the formatted `text`, when it has an exception. */
function loguruTraceback(obj: Json): string | undefined {
  const record = obj.record;
  return isObject(record) && isObject(record.exception) && typeof obj.text === 'string'
    ? obj.text
    : undefined;
}

/**
 * The reason of the Lambda Node runtime's `Runtime.UnhandledPromiseRejection` report, when it is
 * an error object: `{"errorType":"Runtime.UnhandledPromiseRejection",…,"reason":{…,"stack":[…]}}`
 * (Text format), the same nested in `message` (JSON format).
 */
function rejectionReason(obj: Json): Json | undefined {
  const report = isObject(obj.message) ? obj.message : obj;
  const type = report.errorType;
  if (typeof type !== 'string' || !type.endsWith('UnhandledPromiseRejection')) return undefined;
  return isObject(report.reason) ? report.reason : undefined;
}

/** Frame objects read from one log line at most (aws-lambda-go's panics carry 32). */
const MAX_FRAME_OBJECTS = 200;

/**
 * aws-lambda-go's report of a panic (`log.Printf` of the error it returns to Lambda): `stackTrace`
 * is `[{"path":"src/shop/orders/pricing.go","line":22,"label":"Total"}, …]`, innermost first,
 * printed here as a goroutine's frames (function line, then the tab-indented file and line).
 */
function lambdaGoFrames(value: unknown): string | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const lines: string[] = [];
  for (const frame of value.slice(0, MAX_FRAME_OBJECTS)) {
    if (!isObject(frame) || typeof frame.path !== 'string' || typeof frame.line !== 'number')
      return undefined;
    const label = typeof frame.label === 'string' && frame.label !== '' ? frame.label : 'unknown';
    // The library cut the package off the label; the file's directory names it again
    // (`runtime.gopanic`, `orders.Total`): the same name whichever GOPATH or -trimpath built it.
    const dirs = frame.path.split('/').slice(0, -1);
    const pkg = (dirs.at(-1) ?? '').replace(/@.*$/, '');
    lines.push(`${oneLine(pkg ? `${pkg}.${label}` : label)}()`, `\t${oneLine(frame.path)}:${frame.line}`);
  }
  return lines.join('\n');
}

/**
 * zerolog's `Stack()` through pkgerrors.MarshalStack: `stack` is `[{"func":"Total","line":"9",
 * "source":"price.go"}, …]`, innermost first, the file's name only; printed as a goroutine's
 * frames. The runtime's own entry frames at the bottom (`main` in proc.go, `goexit`) are left out.
 */
function zerologStack(value: unknown): string | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const lines: string[] = [];
  for (const frame of value.slice(0, MAX_FRAME_OBJECTS)) {
    if (!isObject(frame) || typeof frame.func !== 'string' || typeof frame.source !== 'string')
      return undefined;
    const line = Number(frame.line);
    if (!Number.isInteger(line) || line < 0) return undefined;
    if (frame.func === 'goexit' || (frame.func === 'main' && frame.source === 'proc.go')) continue;
    lines.push(`${oneLine(frame.func)}()`, `\t${oneLine(frame.source)}:${line}`);
  }
  return lines.length > 0 ? lines.join('\n') : undefined;
}

const SIDEKIQ_JSON_START = '{"ts":"';

/**
 * A line of Sidekiq's JSON formatter (`{"ts":…,"pid":…,"tid":…,"lvl":"WARN","msg":…}`, `ctx`
 * beside them for a job's lines) as its plain formatter writes it without a timestamp:
 * `pid=… tid=… WARN: <msg>`. A job that raised is logged at WARN in three such lines (the job as
 * JSON, `Class: message`, the backtrace): read as text, they are the one error they are in plain
 * text, where a JSON line at warn would be quiet. Undefined for any other line.
 */
export function sidekiqJsonLine(line: string): string | undefined {
  if (!line.startsWith(SIDEKIQ_JSON_START) || !line.includes('"lvl":"') || line.length > MAX_JSON_LENGTH)
    return undefined;
  const obj = parseObject(line);
  if (!obj) return undefined;
  const { pid, tid, lvl, msg } = obj;
  if (
    typeof pid !== 'number' ||
    typeof tid !== 'string' ||
    typeof lvl !== 'string' ||
    typeof msg !== 'string'
  )
    return undefined;
  return `pid=${pid} tid=${tid} ${lvl}: ${msg}`;
}

/**
 * The application's own line inside a log shipper's envelope: Fluent Bit or Fluentd tailing a
 * container's log (EKS Container Insights: `{"log":"…\n","stream":"stderr","kubernetes":{…}}`;
 * with the CRI parser `"logtag":"F"`) and ECS FireLens (`{"log":"…","source":"stderr",
 * "ecs_task_arn":…}`). Undefined when the line is no such envelope.
 */
export function containerLogLine(line: string): string | undefined {
  if (!line.includes('"log":') || line.length > MAX_JSON_LENGTH) return undefined;
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isObject(obj) || typeof obj.log !== 'string') return undefined;
  const shipped =
    typeof obj.stream === 'string' ||
    typeof obj.source === 'string' ||
    isObject(obj.kubernetes) ||
    typeof obj.ecs_task_arn === 'string' ||
    typeof obj.container_id === 'string';
  return shipped ? obj.log.replace(/\r?\n$/, '') : undefined;
}

// The `log` field's text as written (escaped), for the cheap check before anything is parsed.
const LOG_FIELD = /"log": ?"((?:[^"\\\n]|\\.){0,65536})"/;

/** The raw (still JSON-escaped) `log` field of a line that may be a shipper's envelope. */
export function rawLogField(line: string): string | undefined {
  return line.includes('"log":') ? LOG_FIELD.exec(line)?.[1] : undefined;
}
