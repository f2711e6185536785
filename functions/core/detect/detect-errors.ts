import type { ErrorRecord, Language, LogEvent, StackFrame } from '../contracts.ts';
import { redact } from '../text/redact.ts';
import { stripAnsiEscapes } from '../text/strip-control.ts';
import { foldLoggedCauses, foldReprints } from './fold-reprints.ts';
import { isInApp } from './in-app.ts';
import {
  HANDLER_NOT_FOUND,
  isInitPhaseLine,
  isJavaHandlerMissing,
  isRuntimeExit,
  mayBePlatformLine,
  type PlatformFailure,
  RUNTIME_FOLLOW_UP_WITHIN_MS,
  readLambdaPlatformFailure,
  requestIdOfLine,
  type StoppedInvocation,
} from './lambda-platform.ts';
import { readElixirBanner, TELEMETRY_FAILURE } from './parse-trace/elixir.ts';
import { type EmbeddedError, readEmbeddedError } from './parse-trace/embedded-error.ts';
import { type ParsedTrace, TRACE_PARSERS, type TraceParser } from './parse-trace/index.ts';
import {
  continuesExcerpt,
  ERRNO_CODE_SOURCE,
  endsExcerpt,
  isBunExcerptFrame,
  isBunExcerptLine,
  isExcerptHeader,
  isRuntimeTrailer,
  isUncaughtValuePrint,
  javascriptParser,
  namesLowerCaseError,
  RUN_MAIN,
  readInspectedAfterWords,
} from './parse-trace/javascript.ts';
import { isServerSignOff, STACK_INFO } from './parse-trace/python.ts';
import { isScriptSyntaxError, withSyntaxErrorLocation } from './parse-trace/ruby.ts';
import { unboxRichTracebacks } from './rich-traceback.ts';
import { type Level, stripLogPrefix } from './strip-log-prefix.ts';
import {
  containerLogLine,
  isQuietStructuredLine,
  isStructuredLogLine,
  type LoggedAt,
  NODE_PROCESS_WARNING,
  rawLogField,
  readStructuredError,
  type StructuredError,
  sidekiqJsonLine,
} from './structured-log.ts';

/** One error found in a batch of log events. */
export interface DetectedError {
  record: ErrorRecord;
  /**
   * The trace looks cut off at the batch boundary (only its first lines were delivered):
   * the caller may fetch the rest of the stream around `record.timestamp` and detect again.
   */
  needsContext: boolean;
  /** the Lambda invocation a platform failure reports on: detectErrors keeps one record per invocation */
  invocation?: StoppedInvocation;
  /** the invocation the prefix of the record's first line names (Lambda runtimes' log formats) */
  requestId?: string | undefined;
  /** the first line is the Lambda Node runtime's own, from its init phase (it names no invocation) */
  isInitPhase?: true;
  /**
   * Asked for with `tentative`: a line delivered alone that names an error after other words, with
   * no level (`notify failed TypeError: …`, what Node's `console.error(msg, err)` prints): an error
   * only if its stream holds the trace it heads. The caller reads the stream (`needsContext` is
   * set) and drops the record unless the read finds that trace.
   */
  isTentative?: true;
  /**
   * Asked for with `tentative`: an error-level line delivered alone that names no error (consola's
   * `[error] Cannot read properties of undefined …`, Elixir Logger's `[error] import failed: …`),
   * which may head a trace whose lines hold no term a filter passes. The caller reads the stream
   * (`needsContext` is set) as sparingly as for a tentative line, but keeps the record whatever
   * the read finds: the line is an error.
   */
  mayHeadTrace?: true;
}

export interface DetectOptions {
  parsers?: readonly TraceParser[];
  /**
   * Also return, marked `isTentative`, lone lines that may head a trace the delivery left out (a
   * filter passes a trace's header line and none of its frames). For a caller that reads the stream.
   */
  tentative?: boolean;
  /**
   * What the events' timestamps are: when each was written (CloudWatch's, the default), or when a
   * follower read it from a file (`ai-ops watch`, whose reads can be seconds apart while one trace
   * is half written): only write times tell two statements apart by the time between them.
   */
  timestamps?: 'written' | 'read';
}

interface Line {
  /** the line as logged (capped), before its prefix is stripped */
  text: string;
  event: LogEvent;
  /** the event holds this one line only: the stream logs one event per line */
  isWholeEvent: boolean;
  /** no later line in this batch */
  isLast: boolean;
}

/** A line with its log prefix stripped: computed only for lines that may matter. */
interface Parsed extends Line {
  body: string;
  level?: Level;
}

/** `parsed` is undefined when no parser claimed the text */
type ParseCache = Map<string, { text: string; parsed: ParsedTrace | undefined }>;

interface Assembly {
  parsers: readonly TraceParser[];
  cache: ParseCache;
  /** DetectOptions.tentative */
  tentative?: boolean;
  /** DetectOptions.timestamps is 'read': no time between two lines says they are two statements */
  readTimes?: boolean;
}

interface Block {
  parsers: readonly TraceParser[];
  lines: Parsed[];
  bodies: string[];
  chars: number;
  lead?: Parsed;
  /**
   * Index of the first line kept only as possibly more of the header's message: no line a parser
   * continues the trace with has come after it yet. Handed back if the trace ends first.
   */
  tentativeFrom?: number;
  /** The block's latest line is more of its error's print after the trace (continuesTail). */
  endsOnTail?: boolean;
}

// Classification looks at a bounded head of each line: a 5 MB line costs no more than a short one.
const MAX_CLASSIFIED_CHARS = 4096;
// A runaway block (a goroutine dump of 100k lines, a log that never ends its trace) is closed
// here and parsed as it stands.
const MAX_BLOCK_LINES = 4000;
const MAX_BLOCK_CHARS = 1024 * 1024;
// Blank lines an error line may be separated from the trace it introduces by.
const MAX_BLANKS_AFTER_LEAD = 1;
// …and from a Logger entry that is its stacktrace alone: Logger starts each entry with a blank
// line, and a message that ends with a line break (ArgumentError's) leaves one more.
const MAX_BLANKS_BEFORE_STACK_ENTRY = 2;
// Lines between an error line and its trace: the entry's other fields, indented as pino-pretty
// prints them (`    orderId: 7`, `    err: {`, `      "type": "TypeError",`, `      "stack":`), or
// the context asyncio's exception handler prints at column 0 (`future: <Task finished …>`).
const MAX_DETAILS_AFTER_LEAD = 16;
const ASYNCIO_CONTEXT = /^(?:future|task|handle|protocol|transport|socket|source_traceback): </;
// …or the request Plug.Cowboy names between its `#PID<…> running ShopWeb.Endpoint (…) terminated`
// and the exit it prints (`Server: localhost:4000 (http)`, `Request: POST /checkout`).
const PLUG_CONTEXT = /^(?:Server: \S{1,300} \(https?\)$|Request: [A-Z]{3,10} \S)/;
const isDetailLine = (text: string): boolean => {
  const first = text.charCodeAt(0);
  return (
    ((first === 32 || first === 9) && text.trim() !== '') ||
    ASYNCIO_CONTEXT.test(text) ||
    PLUG_CONTEXT.test(text)
  );
};
// Lines held as a possible message of several lines before the frames that would confirm them.
const MAX_TENTATIVE_LINES = 100;
// An indented Elixir frame that names its application (`    (shop 0.1.0) lib/…`) or an Erlang call
// (`    :erlang.binary_to_integer(…)`), as `Exception.format_stacktrace` prints frames with no banner.
const ELIXIR_FRAME_START = String.raw`^\s+(?:\([a-z]\w{0,100}(?: [\w.+-]{1,60})?\) |:[a-z]\w{0,100}\.)`;
// …or Elixir's banner, which names an exception that need not say Error (`** (Shop.CardDeclined) …`).
const ELIXIR_LINE_START = String.raw`^\s*\*\* \(|${ELIXIR_FRAME_START}`;
const ELIXIR_STACK_ENTRY = new RegExp(ELIXIR_FRAME_START);
// Bun heads a system error it prints with its code: `ENOENT: no such file or directory, …`
const ERRNO_START = `^${ERRNO_CODE_SOURCE}: `;
// Cheap gate before asking the parsers: every trace header any parser accepts contains one of these.
const MAY_START_TRACE = new RegExp(
  String.raw`rror|xception|Traceback|panic|atal|Uncaught|Unhandled|Throwable|File "|^\s*at |goroutine|thread '|Caused by|^\s*#\d|\(\w*(?:Error|Exception)\)|:\d+:in [\u0060']|^Runtime\.[A-Z]|^\{:clojure\.main\/message$|${ELIXIR_LINE_START}|detached\. Class=|${ERRNO_START}`,
);
// Outside a trace, a line without any of these can be neither an error nor a trace's start, and is
// skipped before any other work: most of a busy stream is such lines. The words are matched in any
// case; spelled as ASCII classes (`[eE][rR][rR]`), which V8 scans faster than the same words under
// the `i` flag, and the anchored and quoted alternatives are tried only where they can match.
const MAY_MATTER_WORDS = anyCase([
  'err',
  'xcept',
  'fatal',
  'critical',
  'severe',
  'panic',
  'traceback',
  'uncaught',
  'unhandled',
  'throwable',
  'file "',
  'goroutine',
  "thread '",
  'caused by',
]);
// Elixir's banners and frames, the Erlang VM's allocator failure (`eheap_alloc: Cannot allocate
// …`) and Bun's print of a system error (`ENOENT: no such file or directory, …`) say no error word
// either; nor do Bun's and Node's last lines after a crash (`Node.js v24.22.3`), which the assembler
// reads before this check, but which a shipper's envelope carries past it (envelopedLine); nor the
// first line of clojure.main's report of an error (its EDN map, parse-trace/clojure.ts).
const MAY_MATTER_START = new RegExp(
  String.raw`^\s*(?:at |#\d)|^[efEF]\d{4} |^[a-z_]{1,40}_alloc: Cannot allocate |^Bun v\d|^Node\.js v\d|^\{:clojure\.main\/message$|${ELIXIR_LINE_START}|${ERRNO_START}`,
);
const MAY_MATTER_JSON = /"level": ?[56]\d|"@l"/;
const MAY_MATTER_RUBY = /:\d+:in [`']/;

/** The cheap first check of every line outside a trace (exported for the bench's ceiling). */
export function mayMatter(text: string): boolean {
  return (
    MAY_MATTER_WORDS.test(text) ||
    MAY_MATTER_START.test(text) ||
    (text.includes('"') && MAY_MATTER_JSON.test(text)) ||
    (text.includes(':in ') && MAY_MATTER_RUBY.test(text))
  );
}

/** A regex matching any of `words` in any ASCII case, without the `i` flag. */
function anyCase(words: readonly string[]): RegExp {
  const spell = (word: string) =>
    [...word]
      .map((ch) => {
        const lower = ch.toLowerCase();
        const upper = ch.toUpperCase();
        return lower === upper ? ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : `[${lower}${upper}]`;
      })
      .join('');
  return new RegExp(words.map(spell).join('|'));
}
// `UnhandledPromiseRejection: …` is Node's crash on a promise rejected with no Error (a string).
const EXCEPTION_HEADER =
  /^([A-Za-z_$][\w$.]{0,200}(?:Error|Exception|Exit|Interrupt|Fault|Panic)|Error|UnhandledPromiseRejection)(?::[ \t]+(.*)|:?[ \t]*)$/;
const LOGFMT_LEVEL =
  /(?:^|[ \t])(?:level|lvl|severity)=["']?(error|err|fatal|panic|crit|critical|alert|emerg)\b/i;
// Headers that open a trace and say nothing else: alone, they are a trace cut off after them.
const TRACE_ONLY_HEADER =
  /Traceback \(most recent call last\):|^goroutine \d+ \[|^Stack trace:|^stack backtrace:|^Exception in thread "/;
// What a logger or a person leaves where it cut lines out of a trace: `[...]`, `...`, `…`.
// (`\u2026` is `…`: a regex literal is bundled as written, and one character past ASCII makes
// Node decode the whole bundle as UTF-8 at every cold start; see test/infra/bundle-contents.test.ts)
const ELISION = /^\s*(?:\[(?:\.\.\.|\u2026)\]|\.\.\.|\u2026)\s*$/;
const LOGGER_NAME = /^[\w.-]{1,100} (?=\S)/;
// An unquoted value runs to the next ` key=` or the line's end: Rust's tracing writes a Display
// value as it is (`error=order 4411 has no lines`).
const LOGFMT_ERROR =
  /(?:^|[ \t])(?:error|err)=(?:"((?:[^"\\\n]|\\.){0,2000})"|([^\s"][^\n]{0,1999}?)(?=[ \t][\w.-]{1,60}=|[ \t]*$))/;
const LOGFMT_MSG = /(?:^|[ \t])msg=(?:"((?:[^"\\\n]|\\.){0,2000})"|(\S{1,2000}))/;
// The statement that logged a logfmt line, when the logger says: log/slog's TextHandler with
// AddSource (`source=/app/charge.go:16`), logrus' text format with SetReportCaller
// (`func=main.charge file="/app/charge.go:16"`).
const LOGFMT_GO_SOURCE = /(?:^|[ \t])(?:source|file)=("?)([^\s"=]{1,500}\.go):(\d{1,7})\1(?=[ \t]|$)/;
const LOGFMT_FUNC = /(?:^|[ \t])func=("?)([^\s"=]{1,300})\1(?=[ \t]|$)/;
// The first line of Logger's reports of a crashed process (Elixir's Logger.Translator), and of
// Plug.Cowboy's of a request whose process exited: the exception or exit is printed after it (as
// it is after telemetry's report of a handler it detached: TELEMETRY_FAILURE).
const ELIXIR_REPORT_HEAD =
  /^(?:(?:GenServer|:gen_statem) \S.{0,300} terminating|Task \S.{0,300} started from \S.{0,300} terminating|Process \S.{0,300} (?:raised an exception|terminating)|:gen_event handler \S.{0,300} installed in \S.{0,300} terminating|#PID<[\d.]{5,40}> running \S.{0,300} terminated)$/;
const ELIXIR_EMBEDDED_BANNER = /(?:^|[ \t])(\*\* \([A-Z][\w.]{0,200}\) .*)$/;
const ELIXIR_INSPECTED_EXCEPTION = /(?:^|[\s:(])%([A-Z][\w.]{0,200}(?:Error|Exception))\{/;

/**
 * The body of a Logger entry that is a stacktrace alone (Elixir's `Logger.error(Exception.
 * format_stacktrace(…))`), its first frame's indentation given back (the prefix reader trims it,
 * and it is what makes the line a frame); undefined for any other line with a level.
 */
function stackEntryBody(text: string, body: string): string | undefined {
  const indented =
    body !== '' &&
    text.endsWith(body) &&
    text.charCodeAt(text.length - body.length - 1) === 32 &&
    text.charCodeAt(text.length - body.length - 2) === 32;
  return indented && ELIXIR_STACK_ENTRY.test(`    ${body}`) ? `    ${body}` : undefined;
}

/** A line, not yet read, that is the first line of such an entry. */
function isOwnStackEntry(text: string): boolean {
  const { level, body } = stripLogPrefix(stripAnsiEscapes(text));
  return level !== undefined && stackEntryBody(text, body) !== undefined;
}

/** A block that is only such a first line (the one with a level a filter passes). */
const isLoneStackEntry = (block: Block): boolean =>
  block.lines.length === 1 &&
  block.lines[0]?.level !== undefined &&
  ELIXIR_STACK_ENTRY.test(block.lines[0]?.body ?? '');

/**
 * A trace logged one line per event that holds frames, none of the application's, and whose every
 * line after its header names an `Exception`, an `Error` or a `panic` (`at …InvalidFormatException
 * .from(…)`, `at …DeserializationContext.weirdStringException(…)`; Go's `runtime/panic.go:260`,
 * `panicmem: panic(memoryError)`): what a filter such as the default `?Error ?Exception ?panic`
 * passes of it. The lines between, the application's frames among them, are in the stream: read
 * like a header delivered alone. A trace whose every line names one is rare unfiltered.
 */
function looksFilteredToItsTerms(block: Block, parsed: ParsedTrace): boolean {
  if (parsed.frames.length === 0 || parsed.frames.some((f) => f.inApp) || block.bodies.length < 2)
    return false;
  for (let i = 1; i < block.bodies.length; i++) {
    const body = block.bodies[i] ?? '';
    if (!body.includes('Exception') && !body.includes('Error') && !body.includes('panic')) return false;
  }
  return true;
}

/** The parser that read the block says nothing more of it can follow. */
const endsItself = (block: Block, bodies: readonly string[], parsed: ParsedTrace): boolean =>
  block.parsers.some((p) => p.language === parsed.language && p.endsTrace?.(bodies) === true);

/** The parser that read the block says more of it must follow (TraceParser.isCutShort). */
const isCutShort = (block: Block, bodies: readonly string[], parsed: ParsedTrace): boolean =>
  block.parsers.some((p) => p.language === parsed.language && p.isCutShort?.(bodies) === true);

/** Finds error records in log events (one stream or many), assembling multi-line traces. */
export function detectErrors(
  events: readonly LogEvent[],
  { parsers = TRACE_PARSERS, tentative = false, timestamps = 'written' }: DetectOptions = {},
): DetectedError[] {
  const found: DetectedError[] = [];
  // An error storm repeats one trace thousands of times: redact and parse each distinct text once.
  const cache: ParseCache = new Map();
  let reportsInvocations = false;
  for (const streamEvents of groupByStream(events)) {
    assembleStream(
      linesOf(unboxRichTracebacks(joinSplitLines(streamEvents))),
      { parsers, cache, tentative, readTimes: timestamps === 'read' },
      (detected) => {
        if (detected.invocation) reportsInvocations = true;
        found.push(detected);
      },
    );
  }
  return foldLoggedCauses(
    foldReprints(reportsInvocations ? foldExitsIntoTheirCause(oneRecordPerInvocation(found)) : found),
  );
}

/**
 * A runtime that dies of an error its code did not catch logs the error, then exits, and Lambda
 * reports the exit: Node's `Uncaught Exception` and `Unhandled Promise Rejection` (exit 129, 128),
 * aws-lambda-go's panic (exit 1). One crash is one incident: the exit's events join the error's
 * record, the error being the stream's nearest record before the exit that names the same
 * invocation in its prefix, or, when its runtime writes no request id, was logged just before.
 * An exit with no such error (`process.exit(1)`, `sys.exit`) stays a record of its own.
 */
function foldExitsIntoTheirCause(found: DetectedError[]): DetectedError[] {
  if (!found.some((d) => d.invocation && isRuntimeExit(d.record))) return found;
  // Records come stream by stream, in the order of their lines: the last one seen of a stream
  // is the nearest before the exit.
  const lastOfStream = new Map<string, { d: DetectedError; ids: string[] }>();
  const out: { d: DetectedError; ids: string[] }[] = [];
  for (const d of found) {
    const { logGroup, logStream, timestamp, eventIds } = d.record;
    const stream = `${logGroup}\u0000${logStream}`;
    if (!d.invocation) {
      const entry = { d, ids: eventIds };
      lastOfStream.set(stream, entry);
      out.push(entry);
      continue;
    }
    const cause = isRuntimeExit(d.record) ? lastOfStream.get(stream) : undefined;
    if (cause && isCauseOfExit(cause.d, d.invocation.requestId, timestamp)) {
      cause.ids = [...cause.ids, ...eventIds];
    } else out.push({ d, ids: eventIds });
    // An invocation Lambda stopped ends what came before it in the stream.
    lastOfStream.delete(stream);
  }
  return out.map(({ d, ids }) =>
    ids === d.record.eventIds ? d : { ...d, record: { ...d.record, eventIds: [...new Set(ids)] } },
  );
}

/**
 * Whether `cause`, logged before an exit of the runtime in its stream, is the error the runtime died
 * of: it names the exit's invocation, or, when its line names none, came at most 2 s before.
 */
export function isCauseOfExit(cause: DetectedError, exitRequestId: string, exitTimestamp: number): boolean {
  const { timestamp } = cause.record;
  if (timestamp > exitTimestamp) return false;
  const { requestId } = cause;
  return requestId === undefined
    ? exitTimestamp - timestamp <= RUNTIME_FOLLOW_UP_WITHIN_MS
    : requestId === exitRequestId;
}

/**
 * Lambda reports one stopped invocation on several lines (a timeout: `Task timed out after …` and
 * the REPORT's `Status: timeout`; a memory kill: the runtime's exit and the REPORT's
 * `Runtime.OutOfMemory`): one record stands for it, the most telling, holding every line's event.
 */
function oneRecordPerInvocation(found: readonly DetectedError[]): DetectedError[] {
  const byInvocation = new Map<
    string,
    { best: DetectedError; rank: number; ids: string[]; durationMs: number | undefined }
  >();
  const keyOf = (d: DetectedError, requestId: string) =>
    `${d.record.logGroup}\u0000${d.record.logStream}\u0000${requestId}`;
  for (const d of found) {
    if (!d.invocation) continue;
    const key = keyOf(d, d.invocation.requestId);
    const seen = byInvocation.get(key);
    if (!seen) {
      const { rank, durationMs } = d.invocation;
      byInvocation.set(key, { best: d, rank, ids: [...d.record.eventIds], durationMs });
    } else {
      seen.ids.push(...d.record.eventIds);
      if (d.invocation.rank > seen.rank) Object.assign(seen, { best: d, rank: d.invocation.rank });
      seen.durationMs ??= d.invocation.durationMs;
    }
  }
  const out: DetectedError[] = [];
  for (const d of found) {
    if (!d.invocation) {
      out.push(d);
      continue;
    }
    const seen = byInvocation.get(keyOf(d, d.invocation.requestId));
    if (seen?.best !== d) continue;
    out.push({
      record: { ...d.record, eventIds: [...new Set(seen.ids)] },
      needsContext: false,
      invocation: { ...d.invocation, durationMs: seen.durationMs },
      requestId: d.requestId,
    });
  }
  return out;
}

function groupByStream(events: readonly LogEvent[]): (readonly LogEvent[])[] {
  // A subscription payload is one stream, in time order: one pass checks both, and the events
  // are used as they came, with no copy.
  if (isOneSortedStream(events)) return [events];
  const streams = new Map<string, LogEvent[]>();
  let current: LogEvent[] | undefined;
  let previous: LogEvent | undefined;
  for (const event of events) {
    // Skip the key building while the stream stays the same.
    if (!current || event.logStream !== previous?.logStream || event.logGroup !== previous.logGroup) {
      const key = `${event.logGroup}\u0000${event.logStream}`;
      current = streams.get(key);
      if (!current) {
        current = [];
        streams.set(key, current);
      }
    }
    current.push(event);
    previous = event;
  }
  // Array.prototype.sort is stable: events with one timestamp keep their delivery order.
  return [...streams.values()].map((list) =>
    isOneSortedStream(list) ? list : list.sort((a, b) => a.timestamp - b.timestamp),
  );
}

function isOneSortedStream(list: readonly LogEvent[]): boolean {
  const first = list[0];
  if (!first) return true;
  const { logGroup, logStream } = first;
  let previous = first.timestamp;
  for (let i = 1; i < list.length; i++) {
    const event = list[i] as LogEvent;
    const timestamp = event.timestamp;
    if (timestamp < previous || event.logStream !== logStream || event.logGroup !== logGroup) return false;
    previous = timestamp;
  }
  return true;
}

// Container log drivers cut a line longer than their buffer into several events: Docker's copier
// at 16 KiB (the awslogs driver in non-blocking mode, moby#41794), ECS's shim logger at 262,118
// bytes (256 KiB less CloudWatch's per-event overhead). A JSON line cut so is no JSON at all, and
// its error was lost. An event of exactly such a size in UTF-8 is joined with the stream's next.
const SPLIT_BYTES = new Set([16_384, 262_118]);
const MIN_SPLIT_CHARS = 16_384 / 4;
const MAX_SPLIT_CHARS = 262_118;
/** A line is joined from this many pieces at most (1 MiB of 16 KiB pieces, 4 of 256 KiB). */
const MAX_PIECES = 64;
/** The pieces of one line are sent together: a next event later than this is another line. */
const MAX_PIECE_GAP_MS = 1_000;

function isSplitPiece(message: string): boolean {
  return (
    message.length >= MIN_SPLIT_CHARS &&
    message.length <= MAX_SPLIT_CHARS &&
    SPLIT_BYTES.has(utf8Length(message))
  );
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

/** The stream's events with each line a driver cut into pieces joined again (the first piece's id and time). */
function joinSplitLines(events: readonly LogEvent[]): readonly LogEvent[] {
  let joined: LogEvent[] | undefined;
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as LogEvent;
    if (!isSplitPiece(event.message) || i + 1 === events.length) {
      joined?.push(event);
      continue;
    }
    joined ??= events.slice(0, i);
    let message = event.message;
    let pieces = 1;
    while (i + 1 < events.length && pieces < MAX_PIECES) {
      const next = events[i + 1] as LogEvent;
      if (next.timestamp - event.timestamp > MAX_PIECE_GAP_MS) break;
      message += next.message;
      pieces += 1;
      i += 1;
      if (!isSplitPiece(next.message)) break;
    }
    joined.push({ ...event, message });
  }
  return joined ?? events;
}

/** Feeds a stream's lines to `visit` without materialising them: most lines are dropped unread. */
type LineSource = (
  visit: (text: string, event: LogEvent, isWholeEvent: boolean, isLast: boolean, whole?: string) => void,
) => void;

function linesOf(events: readonly LogEvent[]): LineSource {
  return (visit) => {
    const lastIndex = events.length - 1;
    events.forEach((event, index) => {
      const message = event.message;
      // The Lambda Python runtime ends each line of an unhandled error's report with `\r` alone.
      const hasCarriageReturns = message.includes('\r');
      if (!hasCarriageReturns && !message.includes('\n')) {
        visit(capLine(message), event, true, index === lastIndex);
        return;
      }
      // A JSON document printed over several lines (the Lambda Ruby runtime's error report) is
      // read as the one-line object it is.
      // Lambda's report of a fault (its runtime's exit, a bootstrap it could not start) puts the
      // type on a line of its own: one report.
      if (message.startsWith('RequestId: ') && PLATFORM_FAULT.test(message)) {
        visit(capLine(message.trim().replace(/\s*\r?\n\s*/g, ' ')), event, true, index === lastIndex);
        return;
      }
      const document = jsonDocumentLine(message);
      if (document !== undefined) {
        visit(capLine(document), event, true, index === lastIndex, document);
        return;
      }
      const parts = hasCarriageReturns ? message.split(/\r\n|\r|\n/) : message.split('\n');
      while (parts.length > 1 && parts[parts.length - 1]?.trim() === '') parts.pop();
      const lastPart = parts.length - 1;
      parts.forEach((part, i) => {
        visit(capLine(part), event, parts.length === 1, index === lastIndex && i === lastPart);
      });
    });
  };
}

/**
 * The whole line `text` was capped from: the event's message when the event is that one line.
 * A line read out of an event (an envelope's content, an escaped part) is itself whole already.
 */
function uncapped(text: string, event: LogEvent, isWholeEvent: boolean, whole?: string): string {
  if (whole !== undefined) return whole;
  const message = event.message;
  return isWholeEvent && message.length > text.length && message.startsWith(text) ? message : text;
}

/** `line`'s body as read from its whole text, when the line was capped for classification. */
function wholeBody(line: Parsed, text: string, whole: string): string {
  return whole === text ? line.body : stripLogPrefix(stripAnsiEscapes(whole)).body;
}

/** A message that is one JSON object printed over several lines, as one line; else undefined. */
function jsonDocumentLine(message: string): string | undefined {
  const start = message.trimStart();
  if (start.charCodeAt(0) !== 123 || !message.trimEnd().endsWith('}') || message.length > MAX_JSON_DOCUMENT)
    return undefined;
  try {
    const parsed: unknown = JSON.parse(message);
    return typeof parsed === 'object' && parsed !== null ? JSON.stringify(parsed) : undefined;
  } catch {
    return undefined;
  }
}
const MAX_JSON_DOCUMENT = 512 * 1024;
const PLATFORM_FAULT =
  /^RequestId: \S{1,64} Error: (?:Runtime exited|[^\n]{1,300}\n\s*(?:Runtime|Extension|Function|Sandbox)\.[A-Za-z]{1,60}\s*$)/;

function capLine(text: string): string {
  let capped = text.length > MAX_CLASSIFIED_CHARS ? text.slice(0, MAX_CLASSIFIED_CHARS) : text;
  if (capped.endsWith('\r')) capped = capped.slice(0, -1);
  // The Lambda Python runtime indents an unhandled error's traceback with NO-BREAK SPACEs
  // (awslambdaric's ERROR_LOG_IDENT): read as the spaces they stand for.
  return capped.charCodeAt(0) === 0xa0 ? capped.replace(LEADING_NO_BREAK_SPACES, spaces) : capped;
}
const LEADING_NO_BREAK_SPACES = /^\u00a0+/;
const spaces = (run: string): string => ' '.repeat(run.length);

function parseLine(line: Line): Parsed {
  // Colours (`FORCE_COLOR=1` Node, Python 3.13 on a TTY) would hide frames from every parser and
  // reach the PR and the email: gone before the prefix is read. Only lines that may matter pay.
  const text = stripAnsiEscapes(line.text);
  const { level, body } = stripLogPrefix(text);
  const parsed: Parsed = {
    text,
    event: line.event,
    isWholeEvent: line.isWholeEvent,
    isLast: line.isLast,
    body,
  };
  if (level) parsed.level = level;
  return parsed;
}

function assembleStream(
  source: LineSource,
  assembly: Assembly,
  emitRecord: (d: DetectedError) => void,
): void {
  const { parsers } = assembly;
  // The last record emitted, while no line but blank ones has come after it: Bun's trailer joins it.
  let lastEmitted: DetectedError | undefined;
  const emit = (d: DetectedError) => {
    lastEmitted = d;
    emitRecord(d);
  };
  let block: Block | undefined;
  let pending: Parsed | undefined;
  // Blank lines seen since `pending`: a lead and its trace may have one between them.
  let blanksAfterPending = 0;
  // the blank line past MAX_BLANKS_AFTER_LEAD held while a stack entry of its own may still follow
  let heldBlank: { text: string; event: LogEvent; isWholeEvent: boolean } | undefined;
  let detailsAfterPending = 0;
  // The blank and detail lines held since `pending`, in order: the trace may take them with it
  // (TraceParser.takesLead). At most MAX_DETAILS_AFTER_LEAD details and a few blanks per gap.
  let heldAfterPending: Line[] = [];
  // The line before this one when nothing took it (no trace, no record yet): a frame right after
  // it may make it a trace's header. Kept as its parts: no object per line on the hot path.
  let looseText: string | undefined;
  let looseEvent: LogEvent | undefined;
  let looseIsWholeEvent = false;
  // The line before this one when it was held as more of `pending`'s statement (holdsDetail): a
  // frame right after it may make it the header of the trace `pending` introduces.
  let heldDetail: { text: string; event: LogEvent; isWholeEvent: boolean } | undefined;
  // Node's code excerpt before an error it prints (`/app/x.js:3`, the source line, a caret under
  // the column, a blank line): held until the error's header follows it, then read as the start of
  // that trace. For a SyntaxError it is the only place the broken file is named. Anything else
  // after it hands the held lines back, read as any lines (`replaying`: not held again).
  let excerpt: Line[] | undefined;
  let replaying = false;
  // Bun prints an error's cause after it as it prints any error (a blank line, the cause's code
  // excerpt, its header, its frames), with no word that says cause: the record the trace after
  // such a gap may be the cause of, and how far the gap has come.
  let causeOf: DetectedError | undefined;
  let causeGap: CauseGap = 'none';

  const releaseExcerpt = () => {
    const held = excerpt;
    excerpt = undefined;
    if (!held) return;
    // Node's print of an uncaught value that is no Error is its excerpt and the value: one record.
    const lines = held.map(parseLine);
    if (isUncaughtValuePrint(lines.map((line) => line.body))) {
      while (lines.length > 1 && lines.at(-1)?.body.trim() === '') lines.pop();
      const bodies = lines.map((line) => line.body);
      close({ parsers: [javascriptParser], lines, bodies, chars: bodies.join('').length }, undefined);
      return;
    }
    replaying = true;
    for (const line of held) visit(line.text, line.event, line.isWholeEvent, line.isLast);
    replaying = false;
  };
  /** Holds `text` as (more of) a code excerpt: false when it is none, and the line is read as any. */
  const holdsExcerpt = (text: string, event: LogEvent, isWholeEvent: boolean, isLast: boolean): boolean => {
    if (replaying) return false;
    if (excerpt) {
      const last = excerpt[excerpt.length - 1]?.text ?? '';
      // Past the source line, an error's header ends the excerpt: a whole one is taken by the block
      // the header starts, any other is handed back.
      const isHeader =
        excerpt.length > 1 && startsJavascriptTrace(parseLine({ text, event, isWholeEvent, isLast }).body);
      if (!isHeader && continuesExcerpt(excerpt.length, last)) {
        excerpt.push({ text, event, isWholeEvent, isLast });
        return true;
      }
      if (!isHeader || !endsExcerpt(excerpt.length, last)) releaseExcerpt();
      return false;
    }
    if (
      !isDigitCode(text.charCodeAt(text.length - 1)) ||
      !(EXCERPT_TAIL.test(text) || text.includes(RUN_MAIN))
    )
      return false;
    if (!isExcerptHeader(parseLine({ text, event, isWholeEvent, isLast }).body)) return false;
    excerpt = [{ text, event, isWholeEvent, isLast }];
    return true;
  };
  const flushPending = () => {
    if (pending) emit(singleLineError(pending, assembly.tentative));
    pending = undefined;
    blanksAfterPending = 0;
    heldBlank = undefined;
    heldAfterPending = [];
    heldDetail = undefined;
  };
  const keepLoose = (text: string, event: LogEvent, isWholeEvent: boolean) => {
    if (lastEmitted && text.trim() !== '') lastEmitted = undefined;
    looseText = text;
    looseEvent = event;
    looseIsWholeEvent = isWholeEvent;
  };

  /**
   * Closes the open block. Lines it held only tentatively (a message no frame confirmed) are
   * handed back and read again as ordinary lines, before `next` if one ended the block.
   */
  const close = (open: Block, next: Parsed | undefined): void => {
    block = undefined;
    const from = open.tentativeFrom;
    const handBack = from === undefined ? [] : open.lines.splice(from);
    if (from !== undefined) open.bodies.splice(from);
    const parent = causeGap === 'header' ? causeOf : undefined;
    causeOf = undefined;
    causeGap = 'none';
    let emitted: DetectedError | undefined;
    const lone = closeBlock(open, assembly, (d) => {
      if (parent && isPrintedCause(parent.record, d.record)) {
        joinPrintedCause(parent, d);
        emitted = parent;
        lastEmitted = parent;
        return;
      }
      emitted = d;
      emit(d);
    });
    const last = open.bodies[open.bodies.length - 1];
    if (emitted?.record.language === 'javascript' && last !== undefined && isBunExcerptFrame(last)) {
      causeOf = emitted;
      causeGap = next?.body.trim() === '' ? 'blank' : 'none';
    }
    // A lone error line that only looked like a trace's start may introduce a trace that goes on
    // in the same log statement (the line after it has no level of its own), never the next statement.
    const after = handBack[0] ?? next;
    if (lone && after?.level === undefined) {
      pending = lone;
      blanksAfterPending = 0;
      detailsAfterPending = 0;
      heldAfterPending = [];
    } else if (lone) emit(singleLineError(lone, assembly.tentative));
    for (const line of handBack) visit(line.text, line.event, line.isWholeEvent, line.isLast);
  };

  /**
   * Bun's and Node's last line after an error they did not catch (`Bun v1.4.5 (Linux x64)`,
   * `Node.js v24.22.3`, a blank line after the frames) is that error's: one crash, one record
   * holding all its lines. Delivered with none of them (a filter's `?"Bun v"` or `?"Node.js v"`
   * passes it, where no line of the crash holds a term: Bun prints a plain Error as `error: …`, and
   * a class may be named `PaymentDeclined`), it ends a report the stream holds: a tentative record,
   * which a read of the stream confirms (or leaves out).
   */
  const runtimeTrailer = (text: string, event: LogEvent, isWholeEvent: boolean, isLast: boolean) => {
    releaseExcerpt();
    while (block) close(block, undefined);
    flushPending();
    const crash = lastEmitted;
    lastEmitted = undefined;
    if (crash?.record.language === 'javascript') {
      if (!crash.record.eventIds.includes(event.id)) crash.record.eventIds.push(event.id);
      return;
    }
    keepLoose(text, event, isWholeEvent);
    if (!assembly.tentative || !isWholeEvent) return;
    const line = parseLine({ text, event, isWholeEvent, isLast });
    const record = toRecord(
      frameless('javascript', 'Error', `${text.trim()} ended on an error it did not catch`),
      redact(text.trim()),
      [line],
    );
    emit({ record, needsContext: true, isTentative: true, ...loggedIn(event.message) });
  };

  /**
   * A line between a held error line and its trace (its fields, asyncio's context, the rest of a
   * message of several lines: `logger.exception("charge failed\npayload: %s", …)`): skipped, the
   * line still held. `isMore`: the line is more of the held line's log statement.
   */
  const holdsDetail = (line: Line, isMore = false): boolean => {
    if (!pending || detailsAfterPending >= MAX_DETAILS_AFTER_LEAD || !(isMore || isDetailLine(line.text)))
      return false;
    detailsAfterPending += 1;
    heldAfterPending.push(line);
    // the blank allowed before the trace is per gap: a message of several lines may hold its own
    // (Elixir's ArgumentError: the message, a blank, `  * 1st argument: …`, a blank, the frames)
    blanksAfterPending = 0;
    return true;
  };

  /**
   * Whether a line is more of the held error line's log statement: a line of the same event (the
   * event is that statement), or, logged one line per event, a line with no error word written
   * right after it (TAIL_GAP_MS) with no prefix or level of its own. A line that starts with a
   * digit is taken for the next statement unread: most prefixes open with a timestamp, and the
   * line after each of a storm's one-line error heads is such a one.
   */
  const continuesHeldStatement = (text: string, event: LogEvent, isWholeEvent: boolean): boolean => {
    if (!pending || text.trim() === '') return false;
    if (!isWholeEvent) return !pending.isWholeEvent && event === pending.event;
    if (!pending.isWholeEvent || event.timestamp - pending.event.timestamp > TAIL_GAP_MS) return false;
    if (isDigitCode(text.charCodeAt(0))) return false;
    const parts = stripLogPrefix(text);
    return parts.level === undefined && parts.body.length === text.length;
  };

  /** Each line of a text an envelope, a logger or escaped breaks carried, read as a line of the stream. */
  const visitParts = (parts: readonly string[], event: LogEvent, isWholeEvent: boolean, isLast: boolean) => {
    const last = parts.length - 1;
    parts.forEach((part, i) => {
      visit(capLine(part), event, isWholeEvent && parts.length === 1, isLast && i === last);
    });
  };

  const visit = (
    text: string,
    event: LogEvent,
    isWholeEvent: boolean,
    isLast: boolean,
    whole?: string,
  ): void => {
    // Lambda's own reports of an invocation it stopped hold none of the words the check below
    // looks for (`Task timed out after 3.01 seconds`): a few character reads set them apart.
    if (mayBePlatformLine(text)) {
      const failure = readLambdaPlatformFailure(text, event.logGroup);
      if (failure) {
        while (block) close(block, undefined);
        flushPending();
        emit(platformError(failure, { text, event, isWholeEvent, isLast }));
        return;
      }
    }
    // Past the blank lines a lead and its trace may have between them, the held error line leads
    // only a Logger entry that is a stacktrace alone; before any other line it stands alone, as
    // it would have at the blank line.
    if (heldBlank && text.trim() !== '') {
      if (!pending || !isOwnStackEntry(text)) {
        flushPending();
        keepLoose(heldBlank.text, heldBlank.event, heldBlank.isWholeEvent);
      }
      heldBlank = undefined;
    }
    if (causeOf && !block) causeGap = nextCauseGap(causeGap, text);
    if (isRuntimeTrailer(text)) {
      runtimeTrailer(text, event, isWholeEvent, isLast);
      return;
    }
    if (!block && holdsExcerpt(text, event, isWholeEvent, isLast)) return;
    // Sidekiq's JSON lines are read as its plain ones: a job's error is three lines at WARN. (Read
    // whole: a long backtrace's line is past the classification cap.)
    const sidekiq =
      text.charCodeAt(0) === 123 ? sidekiqJsonLine(uncapped(text, event, isWholeEvent, whole)) : undefined;
    if (sidekiq !== undefined) {
      visitParts(sidekiq.split(/\r?\n/), event, isWholeEvent, isLast);
      return;
    }
    // Python's `stack_info=True` prints the logging call's stack after the error line, under a
    // header with no error word: it opens that line's trace.
    const opensStack = pending !== undefined && !block && text === STACK_INFO;
    if (!block && !opensStack && isQuietLine(text)) {
      heldDetail = undefined;
      // Spring Boot's %wEx puts a blank line between a `log.error("Failed to …", e)` and its trace.
      if (pending && blanksAfterPending < MAX_BLANKS_BEFORE_STACK_ENTRY && text.trim() === '') {
        blanksAfterPending += 1;
        heldAfterPending.push({ text, event, isWholeEvent, isLast });
        if (blanksAfterPending > MAX_BLANKS_AFTER_LEAD) heldBlank = { text, event, isWholeEvent };
        return;
      }
      // (asked only while a line is held: the call alone, on every quiet line, cost +2 to +4 %)
      if (
        pending &&
        holdsDetail({ text, event, isWholeEvent, isLast }, continuesHeldStatement(text, event, isWholeEvent))
      ) {
        heldDetail = { text, event, isWholeEvent };
        return;
      }
      flushPending();
      keepLoose(text, event, isWholeEvent);
      return;
    }
    // A shipper's envelope around the application's line: the line is what is read.
    const shipped =
      text.charCodeAt(0) === 123 ? containerLogLine(uncapped(text, event, isWholeEvent, whole)) : undefined;
    if (shipped !== undefined) {
      visitParts(shipped.split(/\r?\n/), event, isWholeEvent, isLast);
      return;
    }
    const loose = looseText;
    looseText = undefined;
    const detail = heldDetail;
    heldDetail = undefined;
    const line = parseLine({ text, event, isWholeEvent, isLast });
    if (block) {
      const body = line.body;
      // A trace logged as one multi-line event is whole: the next event starts something else,
      // even when it is another trace of the same shape (a storm of identical tracebacks). (The
      // event the block's latest line came from: a backtrace logged apart joined it.)
      const open = block;
      const latest = open.lines[open.lines.length - 1];
      // So is a trace logged one line per event once a line with its own level prefix arrives:
      // that is the next log statement (a storm of one-line `ERROR … Exception: …` heads), or a
      // trace's start or an error line written long after the trace's latest line (a runtime writes
      // a trace at once; Ruby prints a cause as it prints a crash, and the next crash of a restarting
      // process read as one). A header's first frame stamped late (a shipper's read time) still
      // goes on, even one that may start a trace (Python's `  File "…"` may): isBacktraceOfItsOwn.
      const isSealed =
        latest !== undefined &&
        ((!latest.isWholeEvent && line.event !== latest.event) ||
          (line.isWholeEvent && line.level !== undefined) ||
          opensLater(open, line, parsers, assembly)) &&
        !isBacktraceOfItsOwn(open, body);
      const mayContinue = !isSealed && open.lines.length < MAX_BLOCK_LINES && open.chars < MAX_BLOCK_CHARS;
      const only = open.parsers.length === 1 ? open.parsers[0] : undefined;
      // One candidate language is the common case: ask it without building a new array per line.
      const continuing = !mayContinue
        ? []
        : only
          ? only.continuesTrace(body, open.bodies)
            ? open.parsers
            : []
          : open.parsers.filter((p) => p.continuesTrace(body, open.bodies));
      // An elision mark inside a trace is part of it, whatever the parsers make of it.
      const isElided = mayContinue && continuing.length === 0 && ELISION.test(body);
      const isMessage =
        mayContinue && continuing.length === 0 && !isElided && continuesMessage(open, line, parsers);
      const isTail =
        mayContinue &&
        continuing.length === 0 &&
        !isElided &&
        !isMessage &&
        continuesTail(open, line, parsers);
      if (continuing.length > 0 || isElided || isMessage || isTail) {
        if (continuing.length > 0) {
          open.parsers = continuing;
          // a line of the trace itself (a frame, not a blank) confirms the message lines before it
          if (body.trim() !== '') open.tentativeFrom = undefined;
        }
        if (isMessage) open.tentativeFrom ??= open.lines.length;
        open.endsOnTail = isTail;
        open.lines.push(line);
        open.bodies.push(body);
        open.chars += body.length;
        return;
      }
      // The line that ends the trace opens another right after a tail line: that line is the next
      // print's lead (Django's `Internal Server Error: /catalog/books/` before its traceback, in an
      // event a shipper joined from both), not more of this error's message.
      if (open.endsOnTail && startsPythonTraceback(body)) open.tentativeFrom = open.lines.length - 1;
      if (open.tentativeFrom !== undefined) {
        // the lines handed back come before this one: read them, then this line, afresh
        close(open, line);
        visit(text, event, isWholeEvent, isLast);
        return;
      }
      const prior = lastEmitted;
      close(open, line);
      if (lastEmitted !== prior && joinsAsSignOff(lastEmitted, line, latest)) return;
      if (holdsExcerpt(text, event, isWholeEvent, isLast)) return;
      // The line that ended the trace is judged like any line outside one.
      if (!mayMatter(text) || isQuietStructuredLine(text)) {
        flushPending();
        keepLoose(text, event, isWholeEvent);
        return;
      }
    }

    // Read whole: a JSON line past the classification cap (a logged stack of 80 frames) must parse.
    const structured = line.body.includes('{')
      ? readStructuredError(wholeBody(line, text, uncapped(text, event, isWholeEvent, whole)))
      : undefined;
    if (structured) {
      flushPending();
      emit(structuredError(line, structured, assembly));
      return;
    }
    // JSON escapes its own line breaks: a structured line is read by its fields, never split.
    const escaped = line.body.startsWith('{')
      ? undefined
      : escapedLines(text, uncapped(text, event, isWholeEvent, whole));
    if (escaped) {
      visitParts(escaped, event, false, isLast);
      return;
    }

    // A logged message that is a stacktrace alone (Elixir's `Logger.error(Exception.format_stacktrace(
    // __STACKTRACE__))` after a `Logger.error` of the error): the prefix reader trims its first
    // frame's indentation, which is what makes it a frame.
    const entry = line.level === undefined ? undefined : stackEntryBody(text, line.body);
    if (entry !== undefined && parsers.some((p) => p.startsTrace(entry))) line.body = entry;
    const mayStart = opensStack || MAY_START_TRACE.test(line.body);
    const starters = mayStart ? parsers.filter((p) => p.startsTrace(line.body)) : [];
    if (starters.length > 0) {
      // After Node's excerpt (held only when this line starts a JavaScript trace) the trace is
      // Node's, whatever else its header could be read as.
      const parsers = excerpt ? [javascriptParser] : starters;
      block = { parsers, lines: [line], bodies: [line.body], chars: line.body.length };
      if (excerpt) {
        const held = excerpt.map(parseLine);
        excerpt = undefined;
        block.lines.unshift(...held);
        block.bodies.unshift(...held.map((l) => l.body));
        block.chars += held.reduce((n, l) => n + l.body.length, 0);
      }
      // An error-level line just before a trace ("ERROR … failed to process order") introduces it.
      // (Not one written long before it: that was another statement, whatever came between.)
      if (pending && isWrittenLater(line.event, pending.event, assembly)) flushPending();
      else if (pending) {
        // …unless it is the trace's own first line, and the lines held since it more of the trace
        // (Ruby's Logger: a message of several lines, its class after the last; takesLead).
        const held = line.level === undefined && !excerpt ? heldAfterPending.map(parseLine) : [];
        const lead = pending;
        const takers =
          line.level === undefined && !excerpt
            ? parsers.filter((p) =>
                p.takesLead?.(
                  lead.body,
                  held.map((h) => h.body),
                  line.body,
                ),
              )
            : [];
        if (takers.length > 0) {
          const taken = [lead, ...held];
          block.parsers = takers;
          block.lines.unshift(...taken);
          block.bodies.unshift(...taken.map((l) => l.body));
          block.chars += taken.reduce((n, l) => n + l.body.length, 0);
        } else block.lead = pending;
      }
      // A line with no error word may be the start of what this one goes on with (the option a
      // JVM refused, before the launcher's `Error: Could not create the Java Virtual Machine.`).
      // Asked of the line as logged (its reason has no prefix): no prefix is read for the common
      // case, a trace after an ordinary line.
      else if (
        !excerpt &&
        loose !== undefined &&
        !isWrittenLater(line.event, looseEvent ?? event, assembly)
      ) {
        const heads = starters.filter((p) => p.headsFrame?.(loose, line.body, false));
        if (heads.length > 0) {
          const header = parseLine({
            text: loose,
            event: looseEvent ?? event,
            isWholeEvent: looseIsWholeEvent,
            isLast: false,
          });
          block.parsers = heads;
          block.lines.unshift(header);
          block.bodies.unshift(header.body);
          block.chars += header.body.length;
        }
      }
      pending = undefined;
      heldAfterPending = [];
      return;
    }

    // A frame with no header of its own: the line right before it may be one that no parser took
    // alone (`Unhandled rejection: PaymentDeclined: card declined`, a custom class after a message).
    // `pending` is that line when it was held as an error; `loose` when nothing took it.
    // …or the line held after that error line as more of its statement: a logger's message, then
    // the exception's own header, which says no error word (java.util.logging's `SEVERE: payment
    // for o-11 failed`, then `com.acme.shop.App$PaymentDeclined: card ending 4242 declined`).
    if (mayStart && pending && detail) {
      const header = parseLine({ ...detail, isLast: false });
      const heads = parsers.filter((p) => p.headsFrame?.(header.body, line.body, false));
      if (heads.length > 0) {
        const lead = isWrittenLater(line.event, pending.event, assembly) ? undefined : pending;
        if (!lead) flushPending();
        block = {
          parsers: heads,
          lines: [header, line],
          bodies: [header.body, line.body],
          chars: header.body.length + line.body.length,
          ...(lead ? { lead } : {}),
        };
        pending = undefined;
        return;
      }
    }
    if (mayStart && (pending || loose !== undefined)) {
      const header =
        pending ??
        parseLine({
          text: (loose?.charCodeAt(0) === 123 ? containerLogLine(loose) : undefined) ?? loose ?? '',
          event: looseEvent ?? event,
          isWholeEvent: looseIsWholeEvent,
          isLast: false,
        });
      const heads = parsers.filter((p) => p.headsFrame?.(header.body, line.body, pending !== undefined));
      if (heads.length > 0) {
        block = {
          parsers: heads,
          lines: [header, line],
          bodies: [header.body, line.body],
          chars: header.body.length + line.body.length,
        };
        pending = undefined;
        heldAfterPending = [];
        return;
      }
    }

    // a line with a level of its own is a record of its own, however indented (Rich's handler
    // leaves its time column blank within a second)
    if (line.level === undefined && holdsDetail(line, !isWholeEvent && event === pending?.event)) {
      heldDetail = { text, event, isWholeEvent };
      return;
    }
    flushPending();
    if (isErrorLine(line)) {
      pending = line;
      blanksAfterPending = 0;
      detailsAfterPending = 0;
      heldAfterPending = [];
    } else if (
      assembly.tentative &&
      isWholeEvent &&
      (INSPECTED_DATABASE_ERROR_FIELD.test(text) || GO_PANIC_CALL_FRAME.test(text))
    ) {
      emit({ ...singleLineError(line), needsContext: true, isTentative: true });
    } else keepLoose(text, event, isWholeEvent);
  };

  source(visit);
  releaseExcerpt();
  // Lines handed back at the end may open a block of their own.
  while (block) close(block, undefined);
  flushPending();
}

/** How far the lines after a Bun print have come towards a cause printed after it. */
type CauseGap = 'none' | 'blank' | 'excerpt' | 'header';

/** The gap after a Bun print once `text` is read: 'none' once it can no longer lead to a cause. */
function nextCauseGap(gap: CauseGap, text: string): CauseGap {
  if (gap === 'none' || gap === 'header') return 'none';
  if (text.trim() === '') return 'none';
  // the cause's code excerpt, then the line that heads it
  return isBunExcerptLine(text) ? 'excerpt' : gap === 'excerpt' ? 'header' : 'none';
}

/**
 * A trace printed after a Bun print of another is its cause when it is another error that was
 * thrown on the way to the same outermost call (file, line and column): what `new Error(msg, {
 * cause })` in a `catch` gives. Another error logged after it, or the next request's, comes from
 * another call.
 */
function isPrintedCause(parent: ErrorRecord, child: ErrorRecord): boolean {
  if (child.language !== 'javascript' || child.causes.length > 0) return false;
  const a = parent.frames[0];
  const b = child.frames[0];
  if (!a || !b || a.column === undefined) return false;
  if (a.file !== b.file || a.line !== b.line || a.column !== b.column) return false;
  const same = (r: ErrorRecord) => `${r.exceptionType}\u0000${r.message}`;
  return same(parent) !== same(child) && !parent.causes.some((c) => same(c) === same(child));
}

/** Adds a cause Bun printed after its error to the error's record (nearest first, as Deno's). */
function joinPrintedCause(parent: DetectedError, child: DetectedError): void {
  const record = parent.record;
  record.causes.push(child.record);
  record.eventIds = [...new Set([...record.eventIds, ...child.record.eventIds])];
  record.raw = `${record.raw}\n\n${child.record.raw}`;
  parent.needsContext = child.needsContext;
}

/**
 * A line outside a trace that is neither an error nor a trace's start: no term of mayMatter, or a
 * structured line at a quiet level. A JSON line is asked its level first: a third of a busy
 * stream's lines can be `{"level":"info",…,"error":null}`, whose `error` key passes mayMatter. A
 * shipper's envelope is judged by the line it carries (its `"stream":"stderr"` says nothing).
 */
function isQuietLine(text: string): boolean {
  if (text.charCodeAt(0) !== 123) return !mayMatter(text) || isQuietStructuredLine(text);
  return isQuietStructuredLine(text) || !mayMatter(envelopedLine(text) ?? text);
}

/**
 * The raw line a shipper's envelope carries, which the envelope is judged by; undefined when the
 * line holds no `"log"` field or is no envelope. A `"log"` key nested in an application's own JSON
 * line (structlog's dict_tracebacks prints each frame's locals, and `log = structlog.get_logger()`
 * is one) must not stand for the line: parsed to tell, only when the line would matter without it.
 */
function envelopedLine(text: string): string | undefined {
  const raw = rawLogField(text);
  if (raw === undefined || mayMatter(raw) || !mayMatter(text)) return raw;
  return containerLogLine(text) === undefined ? undefined : raw;
}

// A trace logged on one line with its line breaks written as `\n`: logback's and log4j2's
// `%replace(%ex){'[\r\n]+', '\\n'}` (a common way to keep a trace one CloudWatch event), LiteSpeed's
// stderr log. Only a line where an escaped break is followed by a trace's own line is split.
const ESCAPED_TRACE_LINE =
  /\\n(?:(?:\\t|\t| {2,})(?:at|from) \S|#\d{1,5} \S|Stack trace:|Traceback \(most recent call last\):| {2}File "|goroutine \d{1,10} \[|Caused by: )/;

/** The lines a line with escaped line breaks stands for, read from the whole event when it is one line. */
function escapedLines(text: string, whole: string): string[] | undefined {
  if (!text.includes('\\n') || !ESCAPED_TRACE_LINE.test(text)) return undefined;
  const source = whole.length > MAX_BLOCK_CHARS ? whole.slice(0, MAX_BLOCK_CHARS) : whole;
  const parts = source.split('\\n').slice(0, MAX_BLOCK_LINES);
  while (parts.length > 1 && parts[parts.length - 1]?.trim() === '') parts.pop();
  // a frame's indent escaped too: `\tat com.example.Foo.bar(Foo.java:12)`
  return parts.map((part) => (part.startsWith('\\t') ? `\t${part.slice(2)}` : part));
}

/**
 * Logged one line per event, a trace's lines come within this of each other: a runtime or logger
 * writes a trace at once (a pause of the JVM's collector mid-print stays well under it).
 */
const MAX_TRACE_GAP_MS = 1_000;
/** `event` came from another write than `earlier`, past MAX_TRACE_GAP_MS after it: no line of its statement. */
const isWrittenLater = (event: LogEvent, earlier: LogEvent, assembly: Assembly): boolean =>
  assembly.readTimes !== true && event !== earlier && event.timestamp - earlier.timestamp > MAX_TRACE_GAP_MS;

/**
 * `line` starts a record of its own (a trace's start, an error line) written long after the open
 * block's latest line that holds anything (a blank one may open the next print).
 */
function opensLater(open: Block, line: Parsed, parsers: readonly TraceParser[], assembly: Assembly): boolean {
  // A stream is in time order: within the gap of the block's first line, within that of every line
  // (most lines of a trace, told without looking back).
  if (!isWrittenLater(line.event, (open.lines[0] as Parsed).event, assembly)) return false;
  let latest = open.lines[0] as Parsed;
  for (let i = open.lines.length - 1; i > 0; i--) {
    const candidate = open.lines[i] as Parsed;
    if (candidate.body.trim() === '') continue;
    latest = candidate;
    break;
  }
  return (
    isWrittenLater(line.event, latest.event, assembly) &&
    (isErrorLine(line) || opensTrace(line.body, parsers))
  );
}

/**
 * A log statement that is only a backtrace, right after a header that has no frames yet: the
 * error's header and its backtrace written in two calls (Sidekiq's `Class: message`, then
 * `ex.backtrace.join("\n")`), each with its own prefix, or shipped as two events.
 */
function isBacktraceOfItsOwn(open: Block, body: string): boolean {
  const isFrameless = open.lines.length === 1 || open.tentativeFrom === 1;
  return isFrameless && open.parsers.some((p) => p.isFrame?.(body));
}

/**
 * `line` may be more of the open block's header message: a parser of the block says so, the
 * block holds no more such lines than the cap, and the line is neither an error nor a trace's
 * start of its own (those are never swallowed into another error's message).
 */
function continuesMessage(open: Block, line: Parsed, parsers: readonly TraceParser[]): boolean {
  const held = open.tentativeFrom === undefined ? 0 : open.lines.length - open.tentativeFrom;
  if (held >= MAX_TENTATIVE_LINES) return false;
  const body = line.body;
  if (!open.parsers.some((p) => p.continuesMessage?.(body, open.bodies))) return false;
  if (isErrorLine(line)) return false;
  return !opensTrace(body, parsers);
}

/** `body` is Python's traceback header, at column 0 (a new print, where no chain line came before it). */
const startsPythonTraceback = (body: string): boolean =>
  body.startsWith('Traceback (most recent call last):');

/** Some parser would open a trace at `body` (the cheap gate first). */
const opensTrace = (body: string, parsers: readonly TraceParser[]): boolean =>
  MAY_START_TRACE.test(body) && parsers.some((p) => p.startsTrace(body));

/**
 * More of the error's print after its trace's end (TraceParser.continuesTail), never a line with a
 * level or a prefix of its own that the line before it lacks, nor a JSON logger's line, which names
 * its level in a field (the next statement, even in an event a shipper joined from several). In
 * the event the trace came in, any other line: the event is that print (a note may read `Error:
 * …`). Logged one line per event, only a line written within
 * TAIL_GAP_MS of the one before it, not after a blank line, that is no error line and opens no
 * trace: the next print may have no prefix either (another process's on the same stream, a
 * script's `Text after`).
 */
function continuesTail(open: Block, line: Parsed, parsers: readonly TraceParser[]): boolean {
  const latest = open.lines[open.lines.length - 1];
  const body = line.body;
  if (!latest || line.level !== undefined) return false;
  // a timestamp stripped off this line, where the exception line had none
  if (body.length !== line.text.length && latest.body.length === latest.text.length) return false;
  if (!open.parsers.some((p) => p.continuesTail?.(body, open.bodies))) return false;
  // A JSON logger's statement after a traceback the runtime printed as text (a thread that died
  // while the others log JSON) is its own, even where a shipper joined it to the traceback's event.
  if (isStructuredLogLine(body)) return false;
  if (!line.isWholeEvent && line.event === latest.event) return true;
  return (
    line.event.timestamp - latest.event.timestamp <= TAIL_GAP_MS &&
    latest.body.trim() !== '' &&
    !isErrorLine(line) &&
    !opensTrace(body, parsers)
  );
}
// A runtime writes an error's print at once: its lines reach the log within milliseconds.
const TAIL_GAP_MS = 100;

/**
 * A server's error line right after the Python traceback it logged, that says only that it gives
 * up (uvicorn's `Application startup failed. Exiting.`, python.ts isServerSignOff): the record
 * `crash`, just emitted from the trace `line` ended, holds it, as one crash is one record; else
 * every startup failure would be two incidents, the second alike for every cause.
 */
function joinsAsSignOff(crash: DetectedError | undefined, line: Parsed, latest: Parsed | undefined): boolean {
  if (crash?.record.language !== 'python' || line.level !== 'error' || latest === undefined) return false;
  if (line.event.timestamp - latest.event.timestamp > TAIL_GAP_MS || !isServerSignOff(line.body))
    return false;
  if (!crash.record.eventIds.includes(line.event.id)) crash.record.eventIds.push(line.event.id);
  return true;
}

/**
 * The line names no error type of its own, only the word `Error` or `Exception` among others
 * (`Internal Server Error: /orders/7`), where `msg: Error: x` would have joined a message to one.
 */
function namesOnlyGenericError(body: string): boolean {
  return !EXCEPTION_HEADER.test(body) && isGenericEmbedded(readEmbeddedError(body.trim()));
}

function isGenericEmbedded(named: EmbeddedError | undefined): boolean {
  return named !== undefined && !named.afterColon && GENERIC_NAMES.has(named.exceptionType);
}
const GENERIC_NAMES = new Set(['Error', 'Exception']);

function isErrorLine(line: Parsed): boolean {
  if (line.level === 'error' || line.level === 'fatal')
    return line.body.trim() !== '' && !NODE_PROCESS_WARNING.test(line.body);
  return EXCEPTION_HEADER.test(line.body) || LOGFMT_LEVEL.test(line.body);
}

/**
 * Emits the block's record. A lone error-level line whose only error word is a bare `Error` (Django's
 * `Internal Server Error: /orders/7` reads like console.error's `msg Error: x`) is handed back
 * instead: the caller holds it like any error line, to introduce the trace that follows it in the
 * same log statement, or to stand alone.
 */
function closeBlock(
  block: Block,
  { cache, tentative }: Assembly,
  emit: (d: DetectedError) => void,
): Parsed | undefined {
  const bodies = [...block.bodies];
  while (bodies.length > 1 && bodies[bodies.length - 1]?.trim() === '') bodies.pop();
  const original = bodies.join('\n');
  const only = block.lines[0];
  const isLoneLine = block.lines.length === 1 && only !== undefined && !block.lead;
  let hit = cache.get(original);
  if (!hit && isLoneLine && only) {
    // A line that only might have opened a trace (`import failed: SyntaxError: …` with no frames
    // after it, a storm of one-line `ERROR … Exception: …` heads) is judged like any other single
    // line: an error only at an error level. Parsed before anything is redacted.
    if (!firstParse(block.parsers, original, { isLoneLine: true })) {
      if (isErrorLine(only)) {
        if (namesOnlyGenericError(only.body)) return only;
        emit(singleLineError(only, tentative));
        return undefined;
      }
      // `Traceback (most recent call last):` alone is a trace whose rest was not delivered.
      if (!TRACE_ONLY_HEADER.test(only.body)) {
        if (tentative && mayHeadLeftOutTrace(only))
          emit({ ...singleLineError(only), needsContext: true, isTentative: true });
        return undefined;
      }
    }
  }
  if (!hit) {
    // Parse the text as logged, then redact what leaves the detector: a redaction rule must never
    // cost a frame its file or line (`session.js:12`, `SessionManager.java:7`, `token_store.py`).
    const parseable = bodies.some((b) => ELISION.test(b))
      ? bodies.filter((b) => !ELISION.test(b)).join('\n')
      : original;
    const read = firstParse(block.parsers, parseable);
    const parsed = read && isLoneLine ? withLoneHeaderLanguage(read) : read;
    hit = { text: redact(original), parsed: parsed && redactParsed(parsed) };
    cache.set(original, hit);
  }
  const text = hit.text;
  const parsed = hit.parsed ?? redactParsed(parseUnknown(original));
  const lines = block.lead ? [block.lead, ...block.lines] : block.lines;
  const raw = block.lead ? `${redact(block.lead.body)}\n${text}` : text;
  const perLine = block.lines.every((l) => l.isWholeEvent);
  const endsBatch = block.lines[block.lines.length - 1]?.isLast === true;
  emit({
    record: toRecord(withLeadHeader(parsed, block.lead, block.lines[0]), raw, lines),
    // Python prints the exception line last: a parsed Python trace that ends the batch is whole,
    // as is Ruby's one line for a script that does not parse. A Logger entry that is a stacktrace
    // alone, delivered as its first line only (the one with a level a filter passes), is cut off.
    // A report with no frames that its parser says is whole (a JVM that did not start) needs none.
    needsContext:
      perLine &&
      ((parsed.frames.length === 0 && !endsItself(block, bodies, parsed)) ||
        isLoneStackEntry(block) ||
        looksFilteredToItsTerms(block, parsed) ||
        isCutShort(block, bodies, parsed) ||
        (endsBatch &&
          parsed.language !== 'python' &&
          !isScriptSyntaxError(parsed) &&
          !endsItself(block, bodies, parsed))),
    ...loggedIn((lines[0] as Line).event.message),
  });
}

/**
 * node-postgres's DatabaseError as util.inspect prints it (console.error(msg, err)) is named `error`
 * (`msg: error: duplicate key value …`): of the print, a filter on `ERROR` passes only the server's
 * severity among its fields (`  severity: 'ERROR',`). A stream logged one line per event is read
 * around it; the print there is the record, and when there is none the line is dropped.
 */
const INSPECTED_DATABASE_ERROR_FIELD = /^ {2}severity: '(?:ERROR|FATAL|PANIC)',$/;

/**
 * The frame of the builtin `panic` call in a Go stack a program printed after recovering
 * (`log.Printf("%s", debug.Stack())`, gorilla's RecoveryHandler with PrintRecoveryStack): of that
 * print, a filter on `panic` passes only this line and `runtime/panic.go:884 +0x212`. Read around
 * like the field above: the print there is the record, and when there is none the line is dropped.
 */
const GO_PANIC_CALL_FRAME =
  /^panic\((?:\{0x[0-9a-f]{1,16}, 0x[0-9a-f]{1,16}\}|0x[0-9a-f]{1,16}, 0x[0-9a-f]{1,16})\)$/;

/**
 * A line a trace parser started and could not parse alone, delivered as an event of its own with
 * no level, that names an error after other words (`notify failed TypeError: …`, `Trace:
 * TypeError: …`): in a stream logged one line per event, the one line of a trace a filter passes.
 */
function mayHeadLeftOutTrace(line: Parsed): boolean {
  if (!line.isWholeEvent || line.level !== undefined) return false;
  const body = line.body.trim();
  // node-postgres's DatabaseError after a message (`insert failed: error: duplicate key …`)
  if (namesLowerCaseError(body)) return true;
  const named = readEmbeddedError(body);
  if (named === undefined) return false;
  // A plain Error is what console.error(msg, err) prints most (`order check failed Error`,
  // `notify failed Error: boom`): worth a read, which a warm detector makes once per kind of line
  // (BarrenLines). A plain name ending the line with a colon labels the next line (mono's
  // `Unhandled Exception:`), which names the error itself.
  return !isGenericEmbedded(named) || !body.endsWith(':');
}

/**
 * Frames printed with no header of their own (`puts e.backtrace`) take type and message from the
 * line before; with none, frames logged at a level of their own (a Logger entry that is a
 * stacktrace alone) are an error of that level with no message.
 */
function withLeadHeader(
  parsed: ParsedTrace,
  lead: Parsed | undefined,
  first: Parsed | undefined,
): ParsedTrace {
  if (parsed.exceptionType !== '') return parsed;
  if (!lead) {
    const level = first?.level;
    return level === 'error' || level === 'fatal'
      ? { ...parsed, exceptionType: level === 'fatal' ? 'FATAL' : 'ERROR' }
      : parsed;
  }
  const header = parseUnknown(lead.body.trim(), lead.level);
  return { ...parsed, exceptionType: header.exceptionType, message: redact(header.message) };
}

/**
 * The fields of a parsed trace that carry the program's data (type, message, causes' messages)
 * redacted; frames keep their files, functions and lines as parsed, since those name code.
 */
function redactParsed(parsed: ParsedTrace): ParsedTrace {
  // Every field named, not spread: an object spread costs several times a literal in V8.
  return {
    language: parsed.language,
    exceptionType: redact(parsed.exceptionType),
    message: redact(parsed.message),
    frames: parsed.frames,
    causes: parsed.causes.map(redactParsed),
  };
}

/**
 * A lone `KeyError: 'sku'` (a Python service's `log.error("%s: %s", type(e).__name__, e)`, a lone
 * line of a traceback a filter let through) is read by the JavaScript parser, whose header is the
 * shape most languages print; with no frames, nothing in it says JavaScript. A builtin only Python
 * raises makes it Python's, one only Ruby raises Ruby's, one the two share (`KeyError`,
 * `ZeroDivisionError`) unknown: the language is what the PR and the email state and which source
 * files a fix may edit. Every other name keeps the label (JavaScript's own, an npm library's).
 */
function withLoneHeaderLanguage(parsed: ParsedTrace): ParsedTrace {
  if (parsed.language !== 'javascript' || parsed.frames.length > 0 || parsed.causes.length > 0) return parsed;
  const language = PYTHON_ONLY_BUILTINS.has(parsed.exceptionType)
    ? 'python'
    : RUBY_ONLY_BUILTINS.has(parsed.exceptionType)
      ? 'ruby'
      : PYTHON_AND_RUBY_BUILTINS.has(parsed.exceptionType)
        ? 'unknown'
        : undefined;
  return language === undefined ? parsed : { ...parsed, language };
}
// Names JavaScript also throws (TypeError, SyntaxError, ReferenceError, TimeoutError, Node's
// AssertionError) are in none of these.
const PYTHON_ONLY_BUILTINS = new Set([
  'ValueError',
  'AttributeError',
  'ImportError',
  'ModuleNotFoundError',
  'LookupError',
  'UnboundLocalError',
  'OSError',
  'IOError',
  'FileNotFoundError',
  'FileExistsError',
  'IsADirectoryError',
  'NotADirectoryError',
  'PermissionError',
  'ProcessLookupError',
  'ChildProcessError',
  'BrokenPipeError',
  'ConnectionError',
  'ConnectionAbortedError',
  'ConnectionRefusedError',
  'ConnectionResetError',
  'BlockingIOError',
  'InterruptedError',
  'OverflowError',
  'RecursionError',
  'UnicodeError',
  'UnicodeDecodeError',
  'UnicodeEncodeError',
  'UnicodeTranslateError',
  'IndentationError',
  'TabError',
  'MemoryError',
  'BufferError',
  'FloatingPointError',
  'ArithmeticError',
  'JSONDecodeError',
  'ExceptionGroup',
  'BaseExceptionGroup',
  'StopAsyncIteration',
]);
const RUBY_ONLY_BUILTINS = new Set([
  'NoMethodError',
  'ArgumentError',
  'LoadError',
  'FrozenError',
  'LocalJumpError',
  'FiberError',
  'ThreadError',
  'StandardError',
  'ScriptError',
  'SystemStackError',
  'NoMatchingPatternError',
  'NoMatchingPatternKeyError',
  'UncaughtThrowError',
  'ClosedQueueError',
  'EncodingError',
  'RegexpError',
  'FloatDomainError',
]);
const PYTHON_AND_RUBY_BUILTINS = new Set([
  'KeyError',
  'IndexError',
  'NameError',
  'ZeroDivisionError',
  'NotImplementedError',
  'RuntimeError',
  'StopIteration',
  'EOFError',
]);

function firstParse(
  parsers: readonly TraceParser[],
  text: string,
  { isLoneLine = false }: { isLoneLine?: boolean } = {},
): ParsedTrace | undefined {
  for (const parser of parsers) {
    if (isLoneLine && parser.parsesAlone?.(text) === false) continue;
    try {
      const parsed = parser.parse(text);
      if (parsed) return parsed;
    } catch {
      // A parser bug must cost one record its frames, never the batch: fall through to the next.
    }
  }
  return undefined;
}

function singleLineError(line: Parsed, tentative = false): DetectedError {
  // One line has no frames to protect: redact it once and read type and message from that.
  const text = redact(line.body.trim());
  const parsed = parseUnknown(text, line.level);
  // A lone `ValueError: bad input` is usually the visible tip of a trace logged one line per event;
  // so is the first line of Logger's report of an Elixir process that crashed, when the exit
  // printed after it holds no term a filter passes (`** (stop) exited in: GenServer.call(…)`).
  const isHeader =
    EXCEPTION_HEADER.test(line.body) ||
    (line.level === 'error' && (ELIXIR_REPORT_HEAD.test(text) || TELEMETRY_FAILURE.test(text)));
  const logged = loggedIn(line.event.message);
  // An error-level line delivered alone that names no error may head a trace whose lines hold no
  // term a filter passes (DetectedError.mayHeadTrace); not one a Lambda runtime's logger wrote (its
  // prefix names the invocation): it writes each log statement as one event, trace and all.
  const mayHead =
    tentative &&
    !isHeader &&
    line.isWholeEvent &&
    (line.level === 'error' || line.level === 'fatal') &&
    logged.requestId === undefined &&
    logged.isInitPhase === undefined;
  const record = toRecord(parsed, text, [line]);
  return mayHead
    ? { record, needsContext: true, mayHeadTrace: true, ...logged }
    : { record, needsContext: isHeader && line.isWholeEvent, ...logged };
}

/** The invocation a record's first line names, or that it is the Node runtime's from its init phase. */
function loggedIn(message: string): Pick<DetectedError, 'requestId' | 'isInitPhase'> {
  const requestId = requestIdOfLine(message);
  return requestId === undefined && isInitPhaseLine(message)
    ? { requestId, isInitPhase: true }
    : { requestId };
}

function platformError(failure: PlatformFailure, line: Line): DetectedError {
  const parsed: ParsedTrace = {
    language: 'unknown',
    exceptionType: failure.exceptionType,
    message: redact(failure.message),
    frames: [],
    causes: [],
  };
  const record = toRecord(parsed, redact(line.text.trim()), [line]);
  const { requestId, rank, durationMs } = failure;
  return requestId === undefined
    ? { record, needsContext: false, requestId: requestIdOfLine(line.event.message) }
    : {
        record,
        needsContext: false,
        invocation: { requestId, rank, durationMs },
        requestId: requestIdOfLine(line.event.message),
      };
}

function structuredError(line: Parsed, error: StructuredError, assembly: Assembly): DetectedError {
  let parsed: ParsedTrace | undefined;
  if (error.trace) {
    const inner: DetectedError[] = [];
    const traceLines = error.trace.split('\n');
    const source: LineSource = (visit) => {
      traceLines.forEach((text, i) => {
        visit(capLine(text), line.event, false, i === traceLines.length - 1);
      });
    };
    assembleStream(source, assembly, (d) => inner.push(d));
    const best = inner.find((d) => d.record.frames.length > 0) ?? inner[0];
    if (best) parsed = best.record;
    if (!parsed?.frames.length && GO_FRAMES.test(error.trace)) parsed = goStack(error, assembly) ?? parsed;
    if (!parsed?.frames.length && PYTHON_FRAME.test(error.trace))
      parsed = pythonStack(error, assembly) ?? parsed;
    // A message of several lines that holds no frames is only a message.
    if (error.traceIsMessage && !parsed?.frames.length) parsed = undefined;
  }
  const message = redact(error.message);
  // The Lambda Node runtime's own faults (`Runtime.ImportModuleError: Error: Cannot find module …`)
  // are named by the runtime, not by the error inside them, and alike in both log formats (the
  // JSON format drops the `Runtime.` prefix from errorType).
  const fault = LAMBDA_RUNTIME_FAULT.exec(error.exceptionType ?? '')?.[1];
  if (parsed && fault) parsed = { ...parsed, exceptionType: `Runtime.${fault}` };
  // Frames alone (the Lambda Ruby runtime's `stackTrace`): the object names the error.
  if (parsed && parsed.exceptionType === '' && parsed.message === '' && error.exceptionType)
    parsed = { ...parsed, exceptionType: error.exceptionType, message };
  // No trace: the statement that logged it is the one frame, when the logger names its caller.
  const at = error.loggedAt;
  parsed ??= {
    language: at?.language ?? error.language ?? 'unknown',
    exceptionType: fault
      ? `Runtime.${fault}`
      : isJavaHandlerMissing(error.message)
        ? HANDLER_NOT_FOUND
        : (error.exceptionType ?? parseUnknown(message, error.level).exceptionType),
    message: error.exceptionType ? message : parseUnknown(message, error.level).message,
    frames: at ? [loggedAtFrame(at)] : [],
    causes: [],
  };
  return {
    record: toRecord(parsed, redact(line.body), [line]),
    needsContext: false,
    ...loggedIn(line.event.message),
  };
}

// What every line outside a trace is asked before it may be the header of Node's code excerpt:
// a digit last, then a script's `.js:12` there.
// (or Node's own, for a value thrown uncaught in an ES module: RUN_MAIN)
const EXCERPT_TAIL = /\.[cm]?[jt]sx?:\d{1,9}$/;
const isDigitCode = (code: number): boolean => code >= 48 && code <= 57;

/** The error header Node prints after its code excerpt: a JavaScript trace's start. */
function startsJavascriptTrace(body: string): boolean {
  return MAY_START_TRACE.test(body) && javascriptParser.startsTrace(body);
}

const LAMBDA_RUNTIME_FAULT =
  /^(?:Runtime\.)?(ImportModuleError|HandlerNotFound|MalformedHandlerName|UserCodeSyntaxError|BuiltInModuleConflict|CallbackHandlerDeprecated)$/;

// zap and logrus print a goroutine's frames without the panic header around them.
const GO_FRAMES = /^[\w./*()-]{1,300}\(?.*\)?\n\t\S{1,500}\.go:\d/m;

/** A Go logger's bare stack (zap's `stacktrace`), read by the Go parser under a borrowed header. */
function goStack(error: StructuredError, assembly: Assembly): ParsedTrace | undefined {
  const go = assembly.parsers.find((p) => p.language === 'go');
  // zap writes `main.charge` where a panic writes `main.charge(0x1, …)`.
  const frames = (error.trace ?? '')
    .split('\n')
    .map((l) => (l === '' || l.startsWith('\t') || l.endsWith(')') ? l : `${l}()`))
    .join('\n');
  const parsed = go?.parse(`panic: logged error\n\ngoroutine 1 [running]:\n${frames}`);
  if (!parsed || parsed.frames.length === 0) return undefined;
  return {
    ...redactParsed(parsed),
    exceptionType: error.exceptionType ?? 'error',
    message: redact(error.message),
  };
}

// `traceback.format_tb`'s frames with no `Traceback` header and no exception line after them: the
// Lambda Python runtime's `stackTrace` field (JSON log format).
const PYTHON_FRAME = /^\s*File "[^"\n]{1,1000}"(?:, line \d{1,9}, in | Line \d)/m;

/** Python frames alone, read by the Python parser between a borrowed header and the record's type. */
function pythonStack(error: StructuredError, assembly: Assembly): ParsedTrace | undefined {
  const python = assembly.parsers.find((p) => p.language === 'python');
  const type = error.exceptionType ?? 'Exception';
  const parsed = python?.parse(
    `Traceback (most recent call last):\n${error.trace ?? ''}\n${type}: ${error.message}`,
  );
  if (!parsed || parsed.frames.length === 0) return undefined;
  return { ...redactParsed(parsed), exceptionType: type, message: redact(error.message) };
}

/** The frame of the statement a structured logger says logged the error. */
function loggedAtFrame({ language, file, line, function: fn, module }: LoggedAt): StackFrame {
  return {
    file,
    line,
    ...(fn ? { function: fn } : {}),
    ...(module ? { module } : {}),
    inApp: isInApp({ language, file, ...(module ? { module } : {}) }),
  };
}

/** Type and message of a text no parser claimed: `SomeError: message`, else the level and the first line. */
function parseUnknown(text: string, level?: Level): ParsedTrace {
  const first = (text.split('\n', 1)[0] ?? '').trim();
  // `ValueError: x`; with Python's `%(name)s` first, `root ValueError: x`.
  const header = EXCEPTION_HEADER.exec(first) ?? EXCEPTION_HEADER.exec(first.replace(LOGGER_NAME, ''));
  if (header?.[1]) {
    return frameless('unknown', header[1], header[2] ?? '');
  }
  // `feed import failed: SyntaxError: …`: the error a message names is its type.
  const embedded = first.includes(': ') ? readEmbeddedError(first) : undefined;
  if (embedded && !isGenericEmbedded(embedded)) {
    return frameless('unknown', embedded.exceptionType, embedded.message);
  }
  // `rates refresh failed [DOMException [TimeoutError]: …]`: console.error(msg, err) of an error
  // util.inspect printed in its own form (no frames of its own, a name it differs by).
  const nodeInspected = MAY_START_TRACE.test(first) ? readInspectedAfterWords(first) : undefined;
  if (nodeInspected) {
    return frameless('unknown', nodeInspected.exceptionType, nodeInspected.message);
  }
  // Elixir: a banner inside a logged line (`Postgrex.Protocol (#PID<0.567.0>) disconnected: **
  // (DBConnection.ConnectionError) …`), or an exception logged with inspect (`import failed:
  // %ArgumentError{message: "…"}`): the exception's module is the type.
  const banner = ELIXIR_EMBEDDED_BANNER.exec(first)?.[1];
  const elixir = banner === undefined ? undefined : readElixirBanner(banner);
  if (elixir) {
    return frameless('elixir', elixir.type, elixir.message);
  }
  const inspected = ELIXIR_INSPECTED_EXCEPTION.exec(first);
  if (inspected?.[1]) {
    return frameless('elixir', inspected[1], first);
  }
  // logrus: `msg="charge failed" error="card declined"`: the error field is the error's own text.
  const logfmt = LOGFMT_ERROR.exec(first) ?? LOGFMT_MSG.exec(first);
  const message = logfmt ? (logfmt[1] ?? logfmt[2] ?? first) : first;
  const type = level === 'fatal' ? 'FATAL' : 'ERROR';
  const at = logfmt ? logfmtSource(first) : undefined;
  return at
    ? { language: at.language, exceptionType: type, message, frames: [loggedAtFrame(at)], causes: [] }
    : frameless('unknown', type, message);
}

/** A trace of one line: a type and a message, no frames. */
function frameless(language: Language, exceptionType: string, message: string): ParsedTrace {
  return { language, exceptionType, message, frames: [], causes: [] };
}

/** Where a logfmt line says it was logged, as a Go logger writes its caller. */
function logfmtSource(line: string): LoggedAt | undefined {
  const source = LOGFMT_GO_SOURCE.exec(line);
  const lineNumber = Number(source?.[3]);
  if (!source?.[2] || !Number.isInteger(lineNumber) || lineNumber <= 0) return undefined;
  const fn = LOGFMT_FUNC.exec(line)?.[2];
  return { language: 'go', file: source[2], line: lineNumber, ...(fn ? { function: fn } : {}) };
}

/**
 * The ids of the events `lines` came from, each once, in order. An event's lines are consecutive,
 * so consecutive repeats are dropped by identity; the ids left are deduplicated by a Set only when
 * they are not strictly increasing (CloudWatch numbers a stream's events in order, so a delivery's
 * are): hashing every id of a 65-line trace, fresh strings each, cost as much as parsing it.
 */
function eventIdsOf(lines: readonly Line[]): string[] {
  const ids: string[] = [];
  let last: LogEvent | undefined;
  let isIncreasing = true;
  for (const { event } of lines) {
    if (event === last) continue;
    last = event;
    const previous = ids[ids.length - 1];
    if (previous !== undefined && !(event.id > previous)) isIncreasing = false;
    ids.push(event.id);
  }
  return isIncreasing ? ids : [...new Set(ids)];
}

function toRecord(parsed: ParsedTrace, raw: string, lines: readonly Line[]): ErrorRecord {
  const first = lines[0]?.event;
  const ids = lines.length === 1 && first ? [first.id] : eventIdsOf(lines);
  const convert = (p: ParsedTrace): ErrorRecord => ({
    language: p.language,
    exceptionType: p.exceptionType,
    message: p.message,
    frames: [...p.frames],
    causes: p.causes.map(convert),
    raw: '',
    logGroup: first?.logGroup ?? '',
    logStream: first?.logStream ?? '',
    timestamp: first?.timestamp ?? 0,
    eventIds: [],
  });
  // Completed in place, not spread into a new object: this runs for every record.
  const record = convert(withSyntaxErrorLocation(parsed));
  record.raw = raw;
  record.eventIds = ids;
  return record;
}
