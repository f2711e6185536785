import type { StackFrame } from '../../contracts.ts';
import { isInApp } from '../in-app.ts';
import type { ParsedTrace, TraceParser } from './parsed-trace.ts';

// Every pattern is anchored and free of nested quantifiers: log text is attacker-controlled.
// `log.Printf`'s default prefix, which net/http's recovered-panic line carries when it is not stripped.
const GO_LOG_PREFIX = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d(?:\.\d+)? /;
const PANIC = /^panic: /;
const FATAL = /^fatal error: /;
const HTTP_PANIC = /^http: panic serving \S+: /;
// net/http logs a handler's panic through the server's ErrorLog, else the standard logger, with
// the flags and prefix the program gave it. `log.SetFlags(log.LstdFlags | log.Lshortfile)` puts
// the logging call's place after the date, net/http's own (`2026/12/08 00:49:42 server.go:3230:
// http: panic serving 127.0.0.1:49454: …`, Llongfile its whole path), and `log.SetPrefix("[cart-api]
// ")` its prefix before the date. Tried only on a line holding net/http's words (HTTP_PANIC_WORDS);
// the prefix is bounded and the place holds no colon, so each try is short.
const HTTP_PANIC_WORDS = 'http: panic serving ';
const GO_LOG_HEADER =
  /^(?:[^"{}\n]{1,64}?)?\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})? (?:[^\s:]{1,512}\.go:\d{1,9}: )?/;
// A logger made with no date flags prints only its prefix: echo's server logs through
// `log.New(…, "echo: ", 0)` (`echo: http: panic serving …`, every Echo app without its Recover
// middleware), `log.New(os.Stderr, "[cart-api] ", 0)` likewise. One name, as loggers' prefixes are.
const GO_LOG_NAME = /^(?:[\w.-]{1,32}: |\[[\w .-]{1,32}\] )$/;
// A program's own print of a recovered panic's stack (`debug.Stack()`): gorilla/handlers'
// RecoveryHandler with PrintRecoveryStack(true) logs the value, then the stack, each with
// log.Println (`2026/12/08 02:02:34 goroutine 5 [running]:`); a middleware's debug.PrintStack()
// prints it bare. Its first frame is runtime/debug.Stack; the panic's own are after `panic(…)`.
const STACK_PRINT = /^(?:\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})? )?(goroutine \d{1,10} \[running\]:)$/;
const DEBUG_STACK = 'runtime/debug.Stack';
const REPANIC = /^\s+panic: /;
// Go 1.25 prints `[recovered, repanicked]` when the same value is panicked again.
const RECOVERED_SUFFIX = / \[recovered(?:, repanicked)?\]$/;
const REPANICKED_SUFFIX = ' [recovered, repanicked]';
// `goroutine 7 [running]:`; Go 1.23 adds `gp=… m=… mp=…` before the state with GOTRACEBACK=system.
// Go 1.27 (a go.mod at 1.27: GODEBUG tracebacklabels=1) adds the goroutine's pprof labels after the
// state, `goroutine 19 [running] {handler: checkout, order: "o-17"}:`: a profiler's (a tracer's span
// ids), or any `pprof.Do` a goroutine was started under. A value that needs it is quoted, so it
// may hold anything; only the closing `}:` is Go's.
const LABELS = String.raw`(?: \{.{0,4096}\})?`;
const GOROUTINE = new RegExp(String.raw`^goroutine \d+ (?:[^[\]]* )?\[[^\]]*\]${LABELS}:$`);
const CREATED_BY = /^created by \S/;
const SIGNAL = /^\[signal /;
const ORIGINATING = /^\[originating from goroutine \d+\]:$/;
const ELIDED = /^\.\.\.(?:additional frames elided|\d+ frames elided)\.\.\.$/;
const STACK_UNAVAILABLE = /^\s+goroutine running on other thread; stack unavailable$/;
const RUNTIME_STACK = /^runtime stack:$/;
// Go indents only locations with a tab; a cut-off one (`\t/tmp/ap`) still belongs to the dump.
const TAB_INDENTED = /^\t\S/;
// `\t/app/main.go:12 +0x1d fp=… sp=… pc=…`; `+0x…` is absent for inlined frames.
const LOCATION =
  /^\s+(\S[^\t]*):(\d+)(?: \+0x[0-9a-fA-F]+)?(?: fp=0x[0-9a-fA-F]+ sp=0x[0-9a-fA-F]+(?: pc=0x[0-9a-fA-F]+)?)?$/;

// gin's Recovery middleware (in every gin.Default()): after log's date, `[Recovery] 2006/01/02 -
// 15:04:05 panic recovered:`, in debug mode the request it failed (request line, headers, a blank
// line), the panic's value, then gin's own stack: `/app/main.go:16 (0x65602a)` and `\tfunc: code`.
const GIN_RECOVERY = /^\[Recovery\] \d{4}\/\d\d\/\d\d - \d\d:\d\d:\d\d panic recovered:$/;
const GIN_LOCATION = /^(\S[^\t]*\.go):(\d+) \(0x[0-9a-fA-F]+\)$/;
const GIN_CALL = /^\t([^\s:][^:]*): /;
const HTTP_REQUEST_LINE = /^[A-Z]+ \S+ HTTP\/\d/;
/** Lines of a request dump and the panic's value held before gin's stack starts. */
const MAX_GIN_LEAD_LINES = 60;

// chi's Recoverer middleware (go-chi/chi v5) prints its own "pretty" stack to stderr: a blank
// line, ` panic: <value>`, a line holding one space, the panicking call and its location marked
// ` -> ` / ` ->   `, a blank line, then each outer call indented 4 spaces and its location 6, the
// arguments and offsets left out, innermost first.
const CHI_PANIC = /^ panic: /;
const CHI_LINE = /^ (?:-> | {3}\S| {5}\S)/;
const CHI_CALL = /^ (?:-> | {3})(\S+)$/;
const CHI_LOCATION = /^ (?:-> {2}| {4}) (\S[^\t]*\.go):(\d+)$/;

// echo's Recover middleware logs `[PANIC RECOVER] <value> goroutine 1 [running]:` and the rest of
// `runtime.Stack`'s dump, whose first frames are its own deferred recover and `panic(…)`.
const ECHO_RECOVER = '[PANIC RECOVER] ';
const ECHO_GOROUTINE = new RegExp(String.raw` (goroutine \d{1,10} \[[^\]\n]{1,60}\]${LABELS}:)$`);

/** Where net/http's words may start at most: a prefix, the date and time, a long file's place. */
const MAX_HTTP_PANIC_LEAD = 64 + 27 + 512 + 12;

type Header = {
  exceptionType: 'panic' | 'fatal error';
  message: string;
  gin?: true;
  chi?: true;
  /** echo's: the goroutine line its header ends with */
  goroutine?: string;
  /** a program's print of runtime/debug.Stack(): the value is on the line before (STACK_PRINT) */
  stackPrint?: true;
};

function readHeader(rawLine: string): Header | undefined {
  const line = rawLine.replace(GO_LOG_PREFIX, '');
  if (GIN_RECOVERY.test(line)) return { exceptionType: 'panic', message: '', gin: true };
  if (CHI_PANIC.test(rawLine))
    return { exceptionType: 'panic', message: rawLine.slice(' panic: '.length), chi: true };
  if (PANIC.test(line)) return { exceptionType: 'panic', message: line.slice('panic: '.length) };
  // (after echo's own text prefix, its print level is `-`)
  const echo = line.startsWith(`- ${ECHO_RECOVER}`) ? line.slice(2) : line;
  if (echo.startsWith(ECHO_RECOVER)) {
    const goroutine = ECHO_GOROUTINE.exec(echo);
    if (goroutine?.[1]) {
      const message = echo.slice(ECHO_RECOVER.length, echo.length - goroutine[0].length);
      return { exceptionType: 'panic', message, goroutine: goroutine[1] };
    }
  }
  if (FATAL.test(line)) return { exceptionType: 'fatal error', message: line.slice('fatal error: '.length) };
  const printed = STACK_PRINT.exec(rawLine);
  if (printed?.[1]) return { exceptionType: 'panic', message: '', goroutine: printed[1], stackPrint: true };
  const http = HTTP_PANIC.exec(line);
  if (http) return { exceptionType: 'panic', message: line.slice(http[0].length) };
  const at = rawLine.indexOf(HTTP_PANIC_WORDS);
  if (at > 0 && at <= MAX_HTTP_PANIC_LEAD) {
    const header = GO_LOG_HEADER.exec(rawLine);
    const lead = header?.[0].length === at || GO_LOG_NAME.test(rawLine.slice(0, at));
    const logged = lead ? HTTP_PANIC.exec(rawLine.slice(at)) : null;
    if (logged) return { exceptionType: 'panic', message: rawLine.slice(at + logged[0].length) };
  }
  return undefined;
}

/** `main.(*Cache).Put(0xc000…)` → `main.(*Cache).Put`; undefined when the line is not a call. */
function readCall(line: string): string | undefined {
  if (!line.endsWith(')') || /^\s/.test(line)) return undefined;
  const open = line.lastIndexOf('(');
  if (open <= 0) return undefined;
  const name = line.slice(0, open);
  if (/\s/.test(name) || line.slice(open + 1, -1).includes(')')) return undefined;
  return name;
}

/**
 * The package path of a Go symbol: up to the first dot after the last slash (`net/http.(*conn).serve`
 * → `net/http`); undefined for a name a library printed without its package (zerolog's `Total`).
 */
function packageOf(fn: string): string | undefined {
  const slash = fn.lastIndexOf('/');
  const dot = fn.indexOf('.', slash + 1);
  if (dot < 0) return fn === 'panic' ? 'runtime' : undefined; // the builtin `panic(…)` is runtime.gopanic
  return fn.slice(0, dot);
}

function goFrame(file: string, line: number, fn: string): StackFrame {
  const module = packageOf(fn);
  return module === undefined
    ? { file, line, function: fn, inApp: isInApp({ language: 'go', file }) }
    : { file, line, function: fn, module, inApp: isInApp({ language: 'go', file, module }) };
}

function isBlockLine(line: string): boolean {
  return (
    line.trim() === '' ||
    GOROUTINE.test(line) ||
    CREATED_BY.test(line) ||
    SIGNAL.test(line) ||
    ORIGINATING.test(line) ||
    ELIDED.test(line) ||
    STACK_UNAVAILABLE.test(line) ||
    RUNTIME_STACK.test(line) ||
    REPANIC.test(line) ||
    LOCATION.test(line) ||
    TAB_INDENTED.test(line) ||
    readCall(line) !== undefined
  );
}

function stripRecovered(message: string): string {
  return message.replace(RECOVERED_SUFFIX, '');
}

/** Frames of the first goroutine block, in printed order (innermost first). */
function readFirstGoroutine(lines: readonly string[]): StackFrame[] {
  const frames: StackFrame[] = [];
  const start = lines.findIndex((l) => GOROUTINE.test(l));
  if (start < 0) return frames;
  let pending: string | undefined;
  let afterCreatedBy = false;
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '' || GOROUTINE.test(line)) break;
    if (CREATED_BY.test(line)) {
      // the creator's location follows; it is where the goroutine started, not a frame
      afterCreatedBy = true;
      pending = undefined;
      continue;
    }
    const call = readCall(line);
    if (call !== undefined) {
      pending = call;
      afterCreatedBy = false;
      continue;
    }
    const location = LOCATION.exec(line);
    if (location && pending !== undefined && !afterCreatedBy) {
      const file = location[1] ?? '';
      frames.push(goFrame(file, Number(location[2]), pending));
    }
    pending = undefined;
  }
  return frames;
}

/** A panic gin's Recovery logged: the value after the request dump, the frames of gin's stack. */
function parseGinRecovery(rest: readonly string[]): ParsedTrace | undefined {
  const stack = rest.findIndex((l) => GIN_LOCATION.test(l));
  // The header alone (all `?panic` delivers of it, one line per event) is the tip of the trace.
  if (stack < 0 && rest.every((l) => l.trim() === '')) return parsedPanic('', []);
  if (stack < 0) return undefined;
  let lead = rest.slice(0, stack);
  const request = lead.findIndex((l) => l.trim() !== '');
  if (HTTP_REQUEST_LINE.test(lead[request] ?? '')) {
    const end = lead.findIndex((l, i) => i > request && l.trim() === '');
    lead = end < 0 ? [] : lead.slice(end);
  }
  const frames: StackFrame[] = [];
  for (let i = stack; i < rest.length; i++) {
    const location = GIN_LOCATION.exec(rest[i] ?? '');
    if (!location) continue;
    const file = location[1] ?? '';
    const call = GIN_CALL.exec(rest[i + 1] ?? '');
    const fn = call?.[1];
    frames.push({
      file,
      line: Number(location[2]),
      ...(fn ? { function: fn } : {}),
      inApp: isInApp({ language: 'go', file }),
    });
  }
  return parsedPanic(lead.filter((l) => l.trim() !== '').join('\n'), frames.reverse());
}

/** A panic chi's Recoverer printed: its value, then call and location pairs, innermost first. */
function parseChiRecoverer(message: string, rest: readonly string[]): ParsedTrace | undefined {
  if (rest.some((l) => l.trim() !== '' && !CHI_LINE.test(l))) return undefined;
  const frames: StackFrame[] = [];
  for (let i = 0; i + 1 < rest.length; i++) {
    const call = CHI_CALL.exec(rest[i] ?? '')?.[1];
    const location = call === undefined ? undefined : CHI_LOCATION.exec(rest[i + 1] ?? '');
    if (call === undefined || !location) continue;
    frames.push(goFrame(location[1] ?? '', Number(location[2]), call));
    i += 1;
  }
  return parsedPanic(message, frames.reverse());
}

function parsedPanic(message: string, frames: StackFrame[]): ParsedTrace {
  return { language: 'go', exceptionType: 'panic', message, frames, causes: [] };
}

/**
 * A stack a program printed with runtime/debug.Stack() after recovering: the frames after `panic(…)`
 * (those before are the recovering code's), the value the line logged before it. Undefined for a
 * stack printed with no panic in it (a diagnostic, no failure).
 */
function parseStackPrint(header: Header, value: string, rest: readonly string[]): ParsedTrace | undefined {
  const frames = readFirstGoroutine([header.goroutine ?? '', ...rest]);
  const panicked = frames.findIndex((f) => f.function === 'panic');
  if (frames[0]?.function !== DEBUG_STACK || panicked < 0) return undefined;
  return parsedPanic(value.replace(GO_LOG_PREFIX, ''), frames.slice(panicked + 1).reverse());
}

function parseGo(text: string): ParsedTrace | undefined {
  const lines = text.split(/\r?\n/);
  const first = lines.findIndex((l) => l.trim() !== '');
  const header = first < 0 ? undefined : readHeader(lines[first] ?? '');
  // the value a stack print follows (headsFrame)
  const stackPrint = header ? undefined : readHeader(lines[first + 1] ?? '');
  if (stackPrint?.stackPrint) return parseStackPrint(stackPrint, lines[first] ?? '', lines.slice(first + 2));
  if (!header) return undefined;
  const rest = lines.slice(first + 1);
  if (header.stackPrint) return parseStackPrint(header, '', rest);
  if (header.gin) return parseGinRecovery(rest);
  if (header.goroutine) {
    // the panic happened in the frame after `panic(…)`: those before it are echo's recover
    const frames = readFirstGoroutine([header.goroutine, ...rest]);
    const panicked = frames.findIndex((f) => f.function === 'panic');
    return parsedPanic(header.message, frames.slice(panicked + 1).reverse());
  }
  if (header.chi) return parseChiRecoverer(header.message, rest);
  const hasGoroutine = rest.some((l) => GOROUTINE.test(l));
  // A bare `panic: x` with nothing Go-shaped after it is too weak to claim.
  if (!hasGoroutine && rest.some((l) => l.trim() !== '')) return undefined;

  // The values panicked, first to last: `panic: a [recovered]` + `\tpanic: b` (b is what killed the
  // program, a is its cause). A value of several lines (`errors.Join`, a formatted report) runs on
  // to the next value or the blank line; Go 1.24 prints its later lines after a tab
  // (runtime.printindented), which is not the value's own.
  const values: string[][] = [[header.message]];
  for (const line of rest) {
    if (line.trim() === '' || GOROUTINE.test(line) || SIGNAL.test(line)) break;
    if (REPANIC.test(line)) values.push([line.replace(REPANIC, '')]);
    else values.at(-1)?.push(line.startsWith('\t') ? line.slice(1) : line);
  }
  // A value recovered and panicked again unchanged (testing's tRunner does it to every failing
  // test; so does any `defer` that logs and re-panics `r`) was printed twice up to Go 1.24, as
  // `panic: x [recovered]` + `\tpanic: x`, and once since 1.25, as `panic: x [recovered,
  // repanicked]`: both are the two panics it was, so the same bug keeps its cause, and its
  // fingerprint, through the upgrade.
  const printed = values.flatMap((value) => {
    const text = value.join('\n');
    return text.endsWith(REPANICKED_SUFFIX) ? [text, text] : [text];
  });
  const messages = printed.map(stripRecovered).reverse();
  const causes: ParsedTrace[] = messages.slice(1).map((message) => ({
    language: 'go',
    exceptionType: 'panic',
    message,
    frames: [],
    causes: [],
  }));
  return {
    language: 'go',
    exceptionType: header.exceptionType,
    message: messages[0] ?? header.message,
    frames: readFirstGoroutine(rest).reverse(),
    causes,
  };
}

/** Before gin's stack: the request dump and the value; then its locations and calls, to the first other line. */
function continuesGinRecovery(line: string, block: readonly string[]): boolean {
  // Past the lead's bound the block can only be in the stack: the lines looked at stay bounded.
  const inStack = block.length > MAX_GIN_LEAD_LINES || block.some((l) => GIN_LOCATION.test(l));
  if (!inStack) return block.length <= MAX_GIN_LEAD_LINES;
  return GIN_LOCATION.test(line) || TAB_INDENTED.test(line);
}

/** Go panics, `fatal error:` crashes and net/http recovered panics, including whole GOTRACEBACK=all dumps. */
export const goParser: TraceParser = {
  language: 'go',
  startsTrace: (line) => readHeader(line) !== undefined,
  continuesTrace: (line, block) => {
    // asked per line of every Go block: a substring search before the header's patterns
    const head = block[0] ?? '';
    if (head.includes('[Recovery]') && readHeader(head)?.gin) return continuesGinRecovery(line, block);
    if (CHI_PANIC.test(head)) {
      if (line.trim() !== '') return CHI_LINE.test(line);
      // one blank line between the marked call and the rest; two in a row end it
      return (block[block.length - 1] ?? '').trim() !== '';
    }
    if (line.trim() === '') {
      // dumps separate goroutines by one blank line; two in a row end the record
      const last = block[block.length - 1];
      return last !== undefined && last.trim() !== '';
    }
    return isBlockLine(line);
  },
  // Lines between `panic: …` and the blank line before the first goroutine are its message.
  continuesMessage: (_line, block) =>
    !block.some(
      (previous) => previous.trim() === '' || GOROUTINE.test(previous) || STACK_PRINT.test(previous),
    ),
  // The recovered value a program logged (with log's date) right before printing its stack.
  headsFrame: (line, next) => GO_LOG_PREFIX.test(line) && STACK_PRINT.test(next) && !readHeader(line),
  parse: (text) => {
    try {
      return parseGo(text);
    } catch {
      return undefined;
    }
  },
};
