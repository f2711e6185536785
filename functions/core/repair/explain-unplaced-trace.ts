import type { ErrorRecord } from '../contracts.ts';
import { EXITED_TYPE, OUT_OF_MEMORY_TYPE, TIMED_OUT_TYPE } from '../detect/lambda-platform.ts';
import { isJvmStartupFailure } from '../detect/parse-trace/jvm-startup.ts';
import { isBeamAllocationFailure } from '../detect/strip-log-prefix.ts';
import type { FrameMapping } from './map-frames.ts';

/** How many unmapped frames the explanation names. */
const MAX_NAMED_FRAMES = 5;

/** How many frames V8 prints unless told otherwise (Error.stackTraceLimit). */
const NODE_DEFAULT_STACK_FRAMES = 10;
const NODE_STACK_CUT =
  "Node.js printed its default 10 frames, all of them a dependency's or the runtime's: the calls of yours that led there were cut off. Run the function with NODE_OPTIONS=--stack-trace-limit=50 (on Lambda, an environment variable) and the next occurrence shows them";

/** What the Lambda platform's own reports of a stopped invocation mean, and where a person looks. */
const STOPPED_BY_LAMBDA: Readonly<Record<string, string>> = {
  [TIMED_OUT_TYPE]:
    "Lambda stopped the invocation at the function's configured timeout, which leaves no stack trace, so nothing points at a file of the repository. The usual cause is a call to another service (HTTP, a database, the AWS SDK) with no timeout of its own shorter than the function's, or work that grows with its input; the function's last log lines before the timeout show what it was waiting for. Raise the timeout only when the work is expected to take that long",
  [OUT_OF_MEMORY_TYPE]:
    'the function used all of its memory and Lambda stopped it, which leaves no stack trace, so nothing points at a file of the repository. Look for data read whole into memory (a file, a query result, a response body) or a cache that grows from one invocation to the next; raise the memory size only when the work needs it',
  [EXITED_TYPE]:
    "the function's runtime process exited (the message says how), which leaves no stack trace of its own, so nothing points at a file of the repository. A process that crashed rather than raised: an uncaught error logged just before an exit is counted with that error's incident, and none was logged before this one (or the stream could not be read back to find it)",
};

/**
 * A line logged at an error level with no message and no error in it: a logger that serialises an
 * Error as JSON drops both (its properties are not enumerable). winston's json format writes
 * `{"level":"error"}` for `logger.error(err)`, captured with winston 3.19.
 */
const NOTHING_LOGGED =
  "the line was logged at an error level with no message and no error in it, so nothing in it points at the code. Its logger wrote the error without its message and stack: winston's json format does so for logger.error(err) unless format.errors({ stack: true }) comes before it, and JSON.stringify turns an Error into {}. Log the error with its stack and the next occurrence can be repaired";

/** V8's last words when a Node.js process reaches its heap limit (`FATAL ERROR: Reached heap limit …`). */
const NODE_HEAP_LIMIT = 'JavaScript heap out of memory';
const NODE_OUT_OF_HEAP =
  'the Node.js process reached its heap limit and V8 stopped it, which leaves no JavaScript stack, so nothing points at a file of the repository. Look for data read whole into memory (a file, a query result, a response body) or a cache or list that grows from one request to the next; node --heapsnapshot-near-heap-limit=1 writes a heap snapshot that names what fills it. Raise the limit (--max-old-space-size in NODE_OPTIONS) only when the work needs it';

const BEAM_OUT_OF_MEMORY =
  'the Erlang VM could not allocate memory and stopped (it writes erl_crash.dump as it goes), which leaves no stack, so nothing points at a file of the repository. The allocator says what grew (eheap_alloc: a process heap; binary_alloc: binaries): look for a process whose state, mailbox or accumulated list grows from one message to the next, or a result read whole into memory; the crash dump names the largest processes (observer or crashdump_viewer). Give the container more memory only when the work needs it';

/** A JVM that did not start (the option or setting it refused is in the message). */
const jvmDidNotStart = (message: string): string =>
  `the JVM did not start (${message}), so no Java code ran and nothing points at a file of the repository. Its options come from the launch command, from JAVA_TOOL_OPTIONS or JDK_JAVA_OPTIONS (on Lambda, the function's environment variables), or from a Dockerfile or start script: an option a newer Java removed (UseBiasedLocking and other flags Java 18 to 25 dropped) stops every start after a runtime upgrade, and a heap or code cache size the JVM cannot reserve is larger than the function's or container's memory allows (or too small for the JVM)`;

/** Lambda could not start the function's runtime: what the reason in the message means. */
function couldNotStart(message: string): string {
  const path = /fork\/exec (\S{1,300}):/.exec(message)?.[1] ?? "the function's executable";
  if (message.includes('exec format error'))
    return `Lambda could not run ${path}: it was built for another CPU architecture than the function's (arm64 or x86_64), or for another operating system than Linux. Build it for the function's architecture (GOOS=linux GOARCH=arm64 or amd64; cargo lambda's --arm64 or --x86-64; a container image's --platform), or change the function's architecture`;
  if (message.includes('no such file or directory'))
    return `Lambda found nothing to run at ${path}: a custom runtime's zip has to hold an executable named bootstrap at its root, not in a folder; a container image's ENTRYPOINT has to be an absolute path that exists in the image; and a script's first line has to name an interpreter that exists (with Windows line endings it names one that does not)`;
  if (message.includes('permission denied'))
    return `${path} is not executable in the deployed package: give it the executable mode (chmod 755) before it is zipped; a zip made on Windows loses it`;
  return `Lambda could not start the function's runtime (${message})`;
}

/** The Lambda platform's reports that name no code, keyed by type, for the types whose reason is in the message. */
const FAULTS: Readonly<Record<string, (message: string) => string>> = {
  'Runtime.InvalidEntrypoint': couldNotStart,
  'Extension.Crash': (message) =>
    `a Lambda extension (a layer's agent, not the function's code) crashed (${message}): look at the extension's own lines in the log, and at its layer's version`,
};

/**
 * Why no fix can be attempted for a trace, or undefined when one can. With the edit policy's
 * 'trace' scope, a fix may only touch files the trace maps to: when none maps, a model call
 * could only end rejected, so the incident is closed with this reason instead (no paid call).
 */
export function explainUnplacedTrace({
  error,
  mappings,
  scope,
}: {
  error: Pick<ErrorRecord, 'exceptionType' | 'frames' | 'message' | 'language'>;
  mappings: readonly FrameMapping[];
  scope: 'trace' | 'repository';
}): string | undefined {
  if (scope === 'repository' || mappings.some((m) => m.kind === 'mapped')) return undefined;
  if (mappings.length === 0) {
    const reason =
      // own keys only: a logged type named `constructor` is not the tables' prototype's
      (Object.hasOwn(STOPPED_BY_LAMBDA, error.exceptionType)
        ? STOPPED_BY_LAMBDA[error.exceptionType]
        : undefined) ??
      (Object.hasOwn(FAULTS, error.exceptionType)
        ? FAULTS[error.exceptionType]?.(withoutFunction(error.message))
        : undefined) ??
      (error.message.trim() === '' ? NOTHING_LOGGED : undefined) ??
      (error.message.includes(NODE_HEAP_LIMIT) ? NODE_OUT_OF_HEAP : undefined) ??
      (isBeamAllocationFailure(error.message) ? BEAM_OUT_OF_MEMORY : undefined) ??
      (isJvmStartupFailure(error.message) ? jvmDidNotStart(error.message) : undefined) ??
      `the ${error.exceptionType || 'error'} was logged without a stack trace, so nothing points at a file of the repository`;
    return `no fix was attempted: ${reason} (no model call was made)`;
  }
  const counts = { not_in_app: 0, no_match: 0, ambiguous: 0, bundled: 0 };
  for (const m of mappings) if (m.kind === 'unmapped') counts[m.reason] += 1;
  const named = mappings
    .filter((m) => m.kind === 'unmapped' && m.reason !== 'not_in_app')
    .slice(0, MAX_NAMED_FRAMES)
    .map((m) => `${m.frame.file}${m.frame.line ? `:${m.frame.line}` : ''}`);
  const parts = [
    counts.no_match > 0 ? `${counts.no_match} matched no file of the repository` : '',
    counts.ambiguous > 0 ? `${counts.ambiguous} matched several files equally well` : '',
    counts.bundled > 0
      ? `${counts.bundled} point into a JavaScript bundle with no source map and name no function that exactly one file of the repository defines (deploy source maps — esbuild's sourcemap and NODE_OPTIONS=--enable-source-maps — and the frames name the source files)`
      : '',
    counts.not_in_app > 0 ? `${counts.not_in_app} are dependency or runtime code` : '',
  ].filter(Boolean);
  const examples = named.length > 0 ? ` (e.g. ${named.join(', ')})` : '';
  // V8 stops at its limit: a trace of exactly that many frames, none of them the application's,
  // was cut before the application's calls (an ORM's, a client's own depth fills it)
  const isCutByNode =
    error.language === 'javascript' &&
    error.frames.length === NODE_DEFAULT_STACK_FRAMES &&
    counts.not_in_app === mappings.length;
  const advice = isCutByNode
    ? NODE_STACK_CUT
    : 'Check that the log group is routed to the right repository and path prefix';
  return `no fix was attempted: none of the ${mappings.length} frames of the trace maps to a file of this repository — ${parts.join(', ')}${examples}. ${advice} (no model call was made)`;
}

/** A platform record's message without the ` (function name)` the detector ends it with. */
function withoutFunction(message: string): string {
  return message.replace(/ \((?:function|log group) [^()]{1,300}\)$/, '');
}
