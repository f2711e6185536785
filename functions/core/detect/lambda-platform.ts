/**
 * The Lambda platform's own reports of an invocation it stopped: the function's timeout, its
 * memory running out, the runtime process exiting. Lambda writes these lines itself, after the
 * function's code lost control, so they carry no stack trace and no word the trace parsers know
 * (`Task timed out after 3.01 seconds`). Shapes, as Lambda writes them to CloudWatch Logs:
 *
 *   2019-09-18T00:02:46.542Z f2704689-7aa3-4af3-ac88-857c01c4bd45 Task timed out after 5.01 seconds
 *   REPORT RequestId: <id>\tDuration: 3003.12 ms\t…\tMax Memory Used: 84 MB\tStatus: timeout
 *   REPORT RequestId: <id>\t…\tMemory Size: 1024 MB\tMax Memory Used: 1023 MB\tStatus: error\tError Type: Runtime.OutOfMemory
 *   INIT_REPORT Init Duration: 10007.21 ms\tPhase: init\tStatus: timeout
 *   RequestId: <id> Error: Runtime exited with error: signal: killed\nRuntime.ExitError
 *   {"time":"…","type":"platform.report","record":{"requestId":"…","metrics":{…},"status":"timeout"}}   (JSON log format)
 */

export interface PlatformFailure {
  exceptionType: string;
  message: string;
  /** the invocation the line reports on; INIT_REPORT names none */
  requestId?: string;
  /**
   * One stopped invocation is reported by several lines (an out-of-memory kill: the runtime's
   * exit, then the REPORT): the line of the highest rank names it, the others add nothing.
   */
  rank: number;
  /** how long the invocation ran before it was stopped, when the line says */
  durationMs?: number | undefined;
}

/** An invocation Lambda stopped, as a detected record carries it. */
export type StoppedInvocation = Required<Pick<PlatformFailure, 'requestId' | 'rank'>> &
  Pick<PlatformFailure, 'durationMs'>;

/** The type AWS gives a timed-out invocation (an invoke's `errorType`). */
export const TIMED_OUT_TYPE = 'Sandbox.Timedout';
export const OUT_OF_MEMORY_TYPE = 'Runtime.OutOfMemory';
export const EXITED_TYPE = 'Runtime.ExitError';

/**
 * How soon a runtime's second line about one error follows its first, when neither names the
 * invocation: the error, then the exit Lambda reports; a handler's print of what it caught, then
 * the runtime's report of it unhandled. One call stack unwinding and one process exiting: milliseconds.
 */
export const RUNTIME_FOLLOW_UP_WITHIN_MS = 2_000;

/** Lambda could not load the function's code: the runtime's own reports, before any of it ran. */
export const IMPORT_MODULE_ERROR = 'Runtime.ImportModuleError';
export const HANDLER_NOT_FOUND = 'Runtime.HandlerNotFound';
export const MALFORMED_HANDLER_NAME = 'Runtime.MalformedHandlerName';
/** The nodejs24.x runtime (client 4.x) refuses a handler that takes a callback, before any of it ran. */
export const CALLBACK_HANDLER_DEPRECATED = 'Runtime.CallbackHandlerDeprecated';
export const LOAD_FAILURE_TYPES: ReadonlySet<string> = new Set([
  IMPORT_MODULE_ERROR,
  HANDLER_NOT_FOUND,
  MALFORMED_HANDLER_NAME,
  CALLBACK_HANDLER_DEPRECATED,
]);

// The Java runtime's report of a handler method the class does not have: a bare line, with no
// level, type or trace (aws-lambda-java-runtime-interface-client 2.10, EventHandlerLoader).
const NO_PUBLIC_METHOD_WORDS = 'No public method named ';
const NO_PUBLIC_METHOD =
  /^No public method named [\w$]{1,200} with appropriate method signature found on class [\w.$]{1,300}\s*$/;

/** Whether `message` is the Java runtime's report of a handler method the class does not have. */
export function isJavaHandlerMissing(message: string): boolean {
  return message.startsWith(NO_PUBLIC_METHOD_WORDS) && NO_PUBLIC_METHOD.test(message);
}

const RANK_OUT_OF_MEMORY = 3;
const RANK_TIMED_OUT = 2;
const RANK_EXITED = 1;

/** The runtime process exited, and no memory kill or timeout explains it (one record per invocation names it so). */
export function isRuntimeExit(record: { exceptionType: string }): boolean {
  return record.exceptionType === EXITED_TYPE;
}

// Lambda's own prefix: an ISO time to the millisecond, then the request id (a UUID), each followed by one space.
const TIMED_OUT_AT = 62;
const TIMED_OUT_WORDS = 'Task timed out after ';
const TIMED_OUT_LINE =
  /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ([\w-]{1,64}) Task timed out after (\d{1,7}(?:\.\d{1,3})?) seconds\s*$/;
const REPORT_LINE = /^REPORT RequestId: ([\w-]{1,64})\s/;
// Lambda's report of a fault, its type on the next line (joined here by a space): the runtime's
// exit (`Runtime exited with error: signal: killed` / Runtime.ExitError), a bootstrap it could not
// start (`fork/exec /var/task/bootstrap: exec format error` / Runtime.InvalidEntrypoint), an
// extension that crashed (Extension.Crash): the Runtime Interface Emulator's FaultData, any type.
const FAULT_LINE =
  /^RequestId: ([\w-]{1,64}) Error: ([^\n]{1,300}?)(?:\s+((?:Runtime|Extension|Function|Sandbox)\.[A-Za-z]{1,60}))?\s*$/;
const STATUS = /(?:^|\s)Status: (\w{1,20})/;
const ERROR_TYPE = /(?:^|\s)Error Type: ([\w.]{1,80})/;
const DURATION = /(?<!Billed |Init |Restore )Duration: (\d{1,9}(?:\.\d{1,3})?) ms/;
const INIT_DURATION = /Init Duration: (\d{1,9}(?:\.\d{1,3})?) ms/;
const MEMORY_SIZE = /Memory Size: (\d{1,6}) MB/;
const MAX_MEMORY_USED = /Max Memory Used: (\d{1,6}) MB/;
const MAX_PLATFORM_LINE = 2048;

/**
 * Whether `text` may be one of the platform's lines: a few character reads, so every line of a
 * stream can be asked before the keyword check (a timeout's lines hold none of its words).
 */
export function mayBePlatformLine(text: string): boolean {
  const first = text.charCodeAt(0);
  if (first === 78) return text.startsWith(NO_PUBLIC_METHOD_WORDS); // N
  if (first === 82) return text.startsWith('REPORT RequestId: ') || text.startsWith('RequestId: '); // R
  if (first === 73) return text.startsWith('INIT_REPORT '); // I
  if (first === 123) return text.startsWith('{"time":') && text.includes('"type":"platform.'); // {
  if (first >= 48 && first <= 57)
    return text.charCodeAt(24) === 32 && text.startsWith(TIMED_OUT_WORDS, TIMED_OUT_AT);
  return false;
}

/**
 * The failure a platform line reports, or undefined for every other line (a REPORT of an
 * invocation that ended normally included). `logGroup` names the function: one repository often
 * holds several, and a timeout of one is not a timeout of another.
 */
export function readLambdaPlatformFailure(text: string, logGroup: string): PlatformFailure | undefined {
  if (text.length > MAX_PLATFORM_LINE) return undefined;
  const where = functionLabel(logGroup);
  const first = text.charCodeAt(0);
  // The Java runtime's line, read here for its shape (no level, no keyword); it names no
  // invocation, so its rank is never compared.
  if (first === 78)
    return isJavaHandlerMissing(text)
      ? { exceptionType: HANDLER_NOT_FOUND, message: text.trim(), rank: 0 }
      : undefined;
  if (first === 123) return readJsonReport(text, where);
  if (first === 82 && text.startsWith('REPORT ')) {
    const id = REPORT_LINE.exec(text)?.[1];
    return id === undefined ? undefined : readReport(text, id, where);
  }
  if (first === 73) return readInitReport(text, where);
  if (first === 82) {
    const fault = FAULT_LINE.exec(text);
    const reason = fault?.[2]?.trim();
    // Without its type, only the runtime's exit is known to be Lambda's line.
    if (!fault || !reason || (fault[3] === undefined && !reason.startsWith('Runtime exited')))
      return undefined;
    return {
      exceptionType: fault[3] ?? EXITED_TYPE,
      message: `${reason}${where}`,
      requestId: fault[1] as string,
      rank: RANK_EXITED,
    };
  }
  const timedOut = TIMED_OUT_LINE.exec(text);
  if (!timedOut) return undefined;
  return {
    exceptionType: TIMED_OUT_TYPE,
    message: `Task timed out after ${timedOut[2]} seconds${where}`,
    requestId: timedOut[1] as string,
    rank: RANK_TIMED_OUT,
    durationMs: Number(timedOut[2]) * 1000,
  };
}

function readReport(text: string, requestId: string, where: string): PlatformFailure | undefined {
  const status = STATUS.exec(text)?.[1];
  if (status === 'timeout') {
    const ms = Number(DURATION.exec(text)?.[1]);
    const failure = {
      exceptionType: TIMED_OUT_TYPE,
      message: `${timedOutAfter('Task', ms)}${where}`,
      requestId,
      rank: RANK_TIMED_OUT,
    };
    return { ...failure, durationMs: Number.isFinite(ms) ? ms : undefined };
  }
  // Only the memory kill is read here. A runtime's exit has a line of its own with its reason,
  // and an error the function's code raised was logged, with its trace, by the runtime.
  if (status !== 'error' || ERROR_TYPE.exec(text)?.[1] !== OUT_OF_MEMORY_TYPE) return undefined;
  return {
    exceptionType: OUT_OF_MEMORY_TYPE,
    message: `${outOfMemory(MAX_MEMORY_USED.exec(text)?.[1], MEMORY_SIZE.exec(text)?.[1])}${where}`,
    requestId,
    rank: RANK_OUT_OF_MEMORY,
  };
}

function readInitReport(text: string, where: string): PlatformFailure | undefined {
  if (!text.startsWith('INIT_REPORT ')) return undefined;
  const status = STATUS.exec(text)?.[1];
  if (status === 'timeout') {
    const ms = Number(INIT_DURATION.exec(text)?.[1]);
    return {
      exceptionType: TIMED_OUT_TYPE,
      message: `${timedOutAfter('Init phase', ms)}${where}`,
      rank: RANK_TIMED_OUT,
    };
  }
  if (status !== 'error' || ERROR_TYPE.exec(text)?.[1] !== OUT_OF_MEMORY_TYPE) return undefined;
  return {
    exceptionType: OUT_OF_MEMORY_TYPE,
    message: `${outOfMemory(MAX_MEMORY_USED.exec(text)?.[1], MEMORY_SIZE.exec(text)?.[1])} during the init phase${where}`,
    rank: RANK_OUT_OF_MEMORY,
  };
}

/** The JSON log format's `platform.report` and `platform.initReport` (Telemetry API event shapes). */
function readJsonReport(text: string, where: string): PlatformFailure | undefined {
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(event) || !isObject(event.record)) return undefined;
  const { type } = event;
  const record = event.record;
  if (type !== 'platform.report' && type !== 'platform.initReport') return undefined;
  const isInit = type === 'platform.initReport';
  const metrics = isObject(record.metrics) ? record.metrics : {};
  const requestId = typeof record.requestId === 'string' ? record.requestId : undefined;
  const withId = <T extends object>(failure: T) =>
    requestId === undefined ? failure : { ...failure, requestId };
  if (record.status === 'timeout') {
    const ms = Number(metrics.durationMs);
    const failure = {
      exceptionType: TIMED_OUT_TYPE,
      message: `${timedOutAfter(isInit ? 'Init phase' : 'Task', ms)}${where}`,
      rank: RANK_TIMED_OUT,
    };
    return withId({ ...failure, durationMs: Number.isFinite(ms) ? ms : undefined });
  }
  if (record.status !== 'error') return undefined;
  // The JSON format writes no line of its own for the runtime's exit: its report names it, with
  // no reason (an uncaught error's trace was logged by the runtime before it; `process.exit(1)`
  // leaves this line alone).
  if (record.errorType === EXITED_TYPE && !isInit)
    return withId({
      exceptionType: EXITED_TYPE,
      message: `Runtime exited: the JSON log format names no reason${where}`,
      rank: RANK_EXITED,
    });
  if (record.errorType !== OUT_OF_MEMORY_TYPE) return undefined;
  const used = typeof metrics.maxMemoryUsedMB === 'number' ? String(metrics.maxMemoryUsedMB) : undefined;
  const size = typeof metrics.memorySizeMB === 'number' ? String(metrics.memorySizeMB) : undefined;
  return withId({
    exceptionType: OUT_OF_MEMORY_TYPE,
    message: `${outOfMemory(used, size)}${isInit ? ' during the init phase' : ''}${where}`,
    rank: RANK_OUT_OF_MEMORY,
  });
}

/** Worded as Lambda's own line, so every report of a timeout reads alike (one fingerprint). */
function timedOutAfter(what: 'Task' | 'Init phase', ms: number): string {
  return Number.isFinite(ms)
    ? `${what} timed out after ${(ms / 1000).toFixed(2)} seconds`
    : `${what} timed out`;
}

function outOfMemory(used: string | undefined, size: string | undefined): string {
  if (used === undefined || size === undefined) return 'Out of memory';
  return `Out of memory: Max Memory Used ${used} MB of ${size} MB`;
}

/** ` (function name)` for Lambda's own log group, ` (log group x)` for a group the function was set to log to. */
function functionLabel(logGroup: string): string {
  if (logGroup === '') return '';
  return logGroup.startsWith('/aws/lambda/')
    ? ` (function ${logGroup.slice('/aws/lambda/'.length)})`
    : ` (log group ${logGroup})`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Where a runtime's own prefix puts the request id: Node's and Java's Text format
// (`2026-…Z\t<id>\tERROR\t…`), Python's (`[ERROR]\t2026-…Z\t<id>\t…`), Ruby's Logger
// (`E, […] ERROR <id> -- : …`), and a JSON line's field: the JSON format's `requestId`, Java's
// `AWSRequestId`, Powertools' `function_request_id` (Python, TypeScript, Java), pino-lambda's
// `awsRequestId`, the context attribute's own name `aws_request_id`.
const PREFIX_REQUEST_ID =
  /^(?:\[[A-Z]{4,8}\]\t)?\d{4}-\d\d-\d\dT[\d:.]{8,18}Z\t([0-9a-f-]{36})\t|^[DIWEFA], \[[^\]\n]{10,40}\] +[A-Z]{4,7} ([0-9a-f-]{36}) -- /;
const JSON_REQUEST_ID =
  /"(?:requestId|AWSRequestId|awsRequestId|aws_request_id|function_request_id)": ?"([\w-]{1,64})"/;
const REQUEST_ID_WITHIN = 600;

/**
 * The invocation a line says it was logged in, when the runtime's prefix names one; undefined for
 * a line whose runtime writes no request id (aws-lambda-go's `log`, a bare `print`).
 */
export function requestIdOfLine(message: string): string | undefined {
  const head = message.slice(0, REQUEST_ID_WITHIN);
  const m = PREFIX_REQUEST_ID.exec(head);
  if (m) return m[1] ?? m[2];
  // A JSON line's field may come after the stack, however long (the Python runtime's logger).
  const id = JSON_REQUEST_ID.exec(message.startsWith('{') ? message : head)?.[1];
  // `-`: the Node runtime client 4.x (nodejs24.x) outside any invocation, its init phase
  return id === INIT_PHASE_ID ? undefined : id;
}

const INIT_PHASE_ID = '-';
// The Node runtime's logger outside any invocation: its Text format's request id is `undefined`
// (runtime client 3.x) or `-` (4.x), its JSON format's `"requestId":"-"` (4.x).
const INIT_PHASE_PREFIX = /^\d{4}-\d\d-\d\dT[\d:.]{8,18}Z\t(?:undefined|-)\t/;
const INIT_PHASE_JSON = /^\{"timestamp":"[^"]{1,40}","level":"[A-Z]{4,5}","requestId":"-"/;

/**
 * The line is the Lambda Node runtime's own, logged in the init phase, before any invocation (its
 * report that the function's code did not load): it names no invocation, yet it is the runtime's.
 */
export function isInitPhaseLine(message: string): boolean {
  return INIT_PHASE_PREFIX.test(message) || INIT_PHASE_JSON.test(message);
}

/** Lines shown of what a stopped invocation logged last, each capped. */
export const MAX_LAST_LINES = 10;
const MAX_LAST_LINE_CHARS = 300;
// Lambda's own lines that open, close and report invocations and the init phase.
const PLATFORM_FRAME =
  /^(?:(?:START|END|REPORT) RequestId: |INIT_(?:START|REPORT|RUNTIME_DONE) |EXTENSION\t|TELEMETRY\t|\{"time":"[^"]{1,40}","type":"platform\.)/;

/**
 * The last lines `requestId` logged before Lambda stopped it, oldest first, from the stream's
 * events that precede the stop (any order of reading; `redact` applied to each line). A log
 * stream is one execution environment, which runs one invocation at a time: its lines are the
 * ones after its `START` (or, read from after it, after the last line Lambda wrote about another
 * invocation) — unless the environment runs several at once (Managed Instances: the lines that
 * name it). Lambda's own lines are left out.
 */
export function invocationLastLines(
  events: readonly { timestamp: number; message: string }[],
  requestId: string,
  redact: (text: string) => string,
): string[] {
  const ordered = [...events].sort((a, b) => a.timestamp - b.timestamp);
  const concurrent = concurrentLines(ordered, requestId);
  if (concurrent) return lastOf(concurrent, redact);
  let from = 0;
  for (let i = ordered.length - 1; i >= 0; i--) {
    const message = (ordered[i] as { message: string }).message;
    if (!PLATFORM_FRAME.test(message) || (message.includes(requestId) && !isStartOf(message))) continue;
    from = i + 1;
    break;
  }
  return lastOf(
    ordered.slice(from).map((e) => e.message),
    redact,
  );
}

/**
 * Lambda Managed Instances run invocations concurrently in one execution environment, whose log
 * stream interleaves their lines, each naming its invocation (the JSON log format, the only one it
 * has). When a line after `requestId`'s first names another invocation, the stream is such a
 * stream, and the invocation's lines are the ones that name it; otherwise undefined.
 */
function concurrentLines(ordered: readonly { message: string }[], requestId: string): string[] | undefined {
  const first = ordered.findIndex(({ message }) => message.includes(requestId));
  if (first < 0) return undefined;
  const after = ordered.slice(first).map(({ message }) => ({ message, id: requestIdOfLine(message) }));
  const isOther = ({ message, id }: { message: string; id: string | undefined }) =>
    id !== undefined && id !== requestId && !PLATFORM_FRAME.test(message);
  return after.some(isOther) ? after.filter(({ id }) => id === requestId).map((e) => e.message) : undefined;
}

/** The newest MAX_LAST_LINES lines of `messages`, Lambda's own left out, each capped and redacted. */
function lastOf(messages: readonly string[], redact: (text: string) => string): string[] {
  const lines: string[] = [];
  for (const message of messages) {
    if (PLATFORM_FRAME.test(message) || mayBePlatformLine(message)) continue;
    for (const line of message.split(/\r?\n/)) if (line.trim() !== '') lines.push(line.trimEnd());
  }
  return lines
    .slice(-MAX_LAST_LINES)
    .map((line) =>
      redact(line.length > MAX_LAST_LINE_CHARS ? `${line.slice(0, MAX_LAST_LINE_CHARS)}…` : line),
    );
}

function isStartOf(message: string): boolean {
  return message.startsWith('START RequestId: ') || message.includes('"type":"platform.start"');
}
