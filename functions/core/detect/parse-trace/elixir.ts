import type { StackFrame } from '../../contracts.ts';
import { isInApp } from '../in-app.ts';
import { readTermFrames } from './erlang-term-stacktrace.ts';
import type { ParsedTrace, TraceParser } from './parsed-trace.ts';

// Every pattern is anchored and free of nested quantifiers: log text is attacker-controlled.
//
// Elixir prints an error as a banner and its stacktrace, innermost call first, each frame four
// spaces deeper than the banner:
//   ** (ArgumentError) errors were found at the given arguments:
//       :erlang.binary_to_integer("x")
//       (shop 0.1.0) lib/shop/pricing.ex:12: Shop.Pricing.parse_qty/1
// An exit prints its reason's banner nested four spaces deeper, with the frames of the process
// that exited at the outer level (`** (stop) exited in: GenServer.call(…)` + `    ** (EXIT) time
// out`), and an exit caused by an exception nests that exception with its own frames
// (`** (exit) an exception was raised:` + `    ** (RuntimeError) boom` + `        (app) …`).
// Logger's crash reports (GenServer, Task, Plug.Cowboy) put their header on the log line before
// the banner and add fields after the frames (`Last message …`, `State: …`, `Client … is alive`
// and the client's own stacktrace, `Function: …`, `    Args: …`).

/** `** (KeyError) key :id not found`, `** (exit) :undef`, `** (EXIT from #PID<0.96.0>) …` */
const BANNER = /^( *)\*\* \(([A-Za-z_][\w.]{0,200}|EXIT from #PID<[\d.]{1,40}>)\)(?: (.*))?$/;
/** `(shop 0.1.0) ` or, before Elixir 1.9 printed versions, `(plug) ` */
const APP = /^\(([a-z][\w]{0,100})(?: ([\w.+-]{1,60}))?\) /;
/** `lib/shop/pricing.ex:12: Shop.Pricing.parse_qty/1`, `lib/x.ex: X.y/0` (no line known) */
const LOCATED = /^([^\s:]{1,1000}):(?:(\d{1,9}):)? (\S.{0,1000})$/;
const ELIXIR_FILE = /\.(?:ex|exs|erl|hrl|eex|heex|leex)$|^nofile$/;
/** An Erlang call printed with its arguments (a BIF the error was raised in): `:erlang.*("2", 5)` */
const ERLANG_CALL = /^:[a-z][\w@]{0,100}\.(?:'[^'\n]{1,100}'|[^\s(/']{1,300})(?:\(|\/\d)/;
/** A call printed with its arguments after its application: `(shop 0.1.0) Shop.Pricing.nope(1, "a b")` */
const CALL = /^(?::[a-z][\w@]{0,100}|[A-Z]\w{0,100}(?:\.[A-Z]\w{0,100}){0,30})\.[^\s(]{1,300}\(/;
/** What a Logger crash report prints after the stacktrace, at the banner's depth. */
const REPORT_FIELD =
  /^(?:Last message(?: \(from [^)]{1,200}\))?: |State: |Client \S{1,200} is (?:alive|dead)|Function: |\s+Args: |Parent: |Initial call: )/;
/** `anonymous fn/2 in Shop.Pricing.total/1` names the function it is in. */
const ANONYMOUS = /^anonymous fn\/\d{1,3} in /;
const ALIAS = /^[A-Z][\w]{0,100}(?:\.[A-Z][\w]{0,100}){0,30}/;
const ERLANG_MODULE = /^:[a-z][\w@]{0,100}/;
/** A banner as text: `** (RuntimeError) card declined`, `** (exit) time out` (Exception.format_banner/3). */
const BANNER_TEXT = /^\*\* \(([A-Za-z_][\w.]{0,200})\) ?(.*)$/s;
/**
 * Exceptions that carry another error, their message that error's banner: Plug's, around what a
 * request raised (to carry its conn), and Oban's, around an exit or a throw in a job. The error is
 * the one they carry, as the error trackers report it (Sentry, AppSignal and Bugsnag unwrap Plug's).
 */
const WRAPPERS = new Set(['Plug.Conn.WrapperError', 'Oban.CrashError']);

/** The error a banner names (`** (Type) message`), the one a wrapper carries when it is one. */
export function readElixirBanner(text: string): { type: string; message: string } | undefined {
  const banner = BANNER_TEXT.exec(text);
  if (!banner?.[1]) return undefined;
  return unwrapped(banner[1], banner[2] ?? '');
}

function unwrapped(type: string, message: string): { type: string; message: string } {
  const inner = WRAPPERS.has(type) ? BANNER_TEXT.exec(message) : null;
  return inner?.[1] ? { type: inner[1], message: inner[2] ?? '' } : { type, message };
}
/**
 * telemetry's report of a handler that raised (beam-telemetry/telemetry, `report_cb/1`): the
 * handler is detached, so the events it measured go unrecorded from then on. `Class=…`, then
 * `Reason=<term>` and `Stacktrace=<term>`, printed as Erlang terms (readTermFrames).
 */
export const TELEMETRY_FAILURE =
  /^Handler (\S.{0,300}) has failed and has been detached\. Class=:?(error|exit|throw)$/;
const TERM_FIELD = /^(Reason|Stacktrace)=(.*)$/;
/** Longest line a regex sees; a real banner or frame is far shorter. */
const MAX_LINE = 8192;

const bounded = (line: string): string => (line.length > MAX_LINE ? line.slice(0, MAX_LINE) : line);
const indentOf = (line: string): number => line.length - line.trimStart().length;

interface Level {
  indent: number;
  kind: string;
  messageLines: string[];
  frames: StackFrame[];
  /** a frame or a nested banner came: later lines at this depth are no longer its message */
  isMessageDone: boolean;
}

/** One stacktrace line, or undefined when the line is not one (text of a message, a report field). */
function readFrame(line: string): StackFrame | undefined {
  let rest = line.trim();
  const app = APP.exec(rest);
  if (app) rest = rest.slice(app[0].length);
  const located = LOCATED.exec(rest);
  const file = located?.[1];
  if (located && file !== undefined && (app || ELIXIR_FILE.test(file))) {
    const lineNumber = located[2];
    return toFrame(
      app?.[1],
      located[3] ?? '',
      file,
      lineNumber === undefined ? undefined : Number(lineNumber),
    );
  }
  // A call printed with its arguments, not its place: an Erlang BIF, or an undefined function.
  if (ERLANG_CALL.test(rest) || (app && CALL.test(rest))) {
    return toFrame(app?.[1], rest, undefined, undefined);
  }
  return undefined;
}

function toFrame(
  app: string | undefined,
  call: string,
  file: string | undefined,
  line: number | undefined,
): StackFrame {
  const owner = call.replace(ANONYMOUS, '');
  const module = ERLANG_MODULE.exec(owner)?.[0] ?? ALIAS.exec(owner)?.[0];
  // The application a frame belongs to says whether it is the runtime's (`elixir`, `stdlib`);
  // an Erlang call printed without one or a place (`:erlang.*`) is the runtime's. A place with no
  // application is the program's own file, whatever module its code was compiled into (a script's
  // `anonymous fn/0 in :elixir_compiler_2.__FILE__/1`).
  const owningApp = app ?? (file === undefined && module?.startsWith(':') ? module : undefined);
  return {
    file: file ?? '',
    ...(line === undefined || line === 0 ? {} : { line }),
    function: call,
    ...(module === undefined ? {} : { module }),
    inApp: isInApp({ language: 'elixir', ...(file === undefined ? {} : { file }), module: owningApp ?? '' }),
  };
}

/**
 * A stacktrace printed on its own (`Exception.format_stacktrace/1` after a logged message): an
 * indented frame that names its application or an Erlang module, the strictest shapes.
 */
function isLoneFrame(line: string): boolean {
  if (indentOf(line) === 0) return false;
  const rest = line.trimStart();
  return (APP.test(rest) || ERLANG_CALL.test(rest)) && readFrame(line) !== undefined;
}

/** Frames with no banner: the error is named by what logged them (the detector's lead). */
function parseFramesAlone(lines: readonly string[]): ParsedTrace | undefined {
  const frames: StackFrame[] = [];
  for (const line of lines) {
    if (line.trim() === '') continue;
    const frame = readFrame(line);
    if (!frame) break;
    frames.push(frame);
  }
  if (frames.length === 0) return undefined;
  return { language: 'elixir', exceptionType: '', message: '', frames: frames.reverse(), causes: [] };
}

function parseElixir(text: string): ParsedTrace | undefined {
  const lines = text.split(/\r?\n/).map(bounded);
  const telemetry = TELEMETRY_FAILURE.exec(lines[0] ?? '');
  if (telemetry) return parseTelemetryFailure(telemetry[1] ?? '', telemetry[2] ?? 'error', lines.slice(1));
  const start = lines.findIndex((line) => BANNER.test(line));
  if (start < 0) return isLoneFrame(lines[0] ?? '') ? parseFramesAlone(lines) : undefined;
  const levels: Level[] = [];
  const open = (line: string): void => {
    const banner = BANNER.exec(line);
    if (!banner) return;
    levels.push({
      indent: (banner[1] ?? '').length,
      kind: banner[2] ?? '',
      messageLines: [banner[3] ?? ''],
      frames: [],
      isMessageDone: false,
    });
  };
  open(lines[start] ?? '');
  const outer = levels[0];
  if (!outer) return undefined;
  for (const line of lines.slice(start + 1)) {
    const indent = indentOf(line);
    // A report's fields end the error: the stacktrace after `Client … is alive` is the caller's.
    if (REPORT_FIELD.test(line)) break;
    if (indent > outer.indent && BANNER.test(line)) {
      for (const level of levels) level.isMessageDone = true;
      open(line);
      continue;
    }
    // A banner at the outer depth is another error printed after this one.
    if (indent <= outer.indent && BANNER.test(line)) break;
    const frame = readFrame(line);
    // A frame belongs to the banner four spaces above it.
    const owner = frame && levels.findLast((level) => level.indent + 4 === indent);
    if (frame && owner) {
      owner.frames.push(frame);
      for (const level of levels) if (level.indent <= owner.indent) level.isMessageDone = true;
      continue;
    }
    const last = levels[levels.length - 1];
    if (last && !last.isMessageDone) {
      // A message's later lines are printed at column 0 under a nested banner too: only an indent
      // as deep as the banner's is the banner's.
      last.messageLines.push((indent >= last.indent ? line.slice(last.indent) : line).trimEnd());
      continue;
    }
    if (line.trim() === '') continue;
    break;
  }
  return toParsed(levels);
}

function parseTelemetryFailure(
  handler: string,
  kind: string,
  lines: readonly string[],
): ParsedTrace | undefined {
  const fields: Record<string, string[]> = { Reason: [], Stacktrace: [] };
  let field: string[] | undefined;
  for (const line of lines) {
    const start = TERM_FIELD.exec(line);
    if (start) {
      field = fields[start[1] ?? ''];
      field?.push(start[2] ?? '');
    } else field?.push(line);
  }
  const reason = (fields.Reason ?? []).join('\n').trim();
  // the header alone (all a filter passes of it) names no error: left to the single-line rules
  if (reason === '') return undefined;
  const error = erlangError(kind, reason);
  return {
    language: 'elixir',
    exceptionType: error.type,
    message: `Handler ${handler} has failed and has been detached: ${error.message}`,
    frames: readTermFrames((fields.Stacktrace ?? []).join('\n')),
    causes: [],
  };
}

// What Elixir calls the errors Erlang raises with a bare reason (Exception.normalize/3), and the
// message it gives them; an exception struct printed as the reason names itself.
const ERLANG_REASONS: Record<string, [string, string]> = {
  badarith: ['ArithmeticError', 'bad argument in arithmetic expression'],
  badarg: ['ArgumentError', 'argument error'],
  function_clause: ['FunctionClauseError', 'no function clause matches'],
  undef: ['UndefinedFunctionError', 'undefined function'],
  system_limit: ['SystemLimitError', 'a system limit has been reached'],
  if_clause: ['ErlangError', 'Erlang error: :if_clause'],
};
const ERLANG_TAGGED: Record<string, [string, string]> = {
  badmatch: ['MatchError', 'no match of right hand side value: '],
  case_clause: ['CaseClauseError', 'no case clause matching: '],
  try_clause: ['TryClauseError', 'no try clause matching: '],
  badkey: ['KeyError', 'key not found: '],
  badmap: ['BadMapError', 'expected a map, got: '],
  badfun: ['BadFunctionError', 'expected a function, got: '],
};
const TAGGED_REASON = /^\{:([a-z_]{1,40}), (.*)\}$/s;
const STRUCT_REASON = /^%([A-Z][\w.]{0,200})\{(?:.*?message: "((?:[^"\\\n]|\\.){0,2000})")?/s;

function erlangError(kind: string, reason: string): { type: string; message: string } {
  const first = reason.split('\n', 1)[0] ?? '';
  if (kind !== 'error') return { type: kind, message: first };
  const bare = ERLANG_REASONS[first.replace(/^:/, '')];
  if (bare) return { type: bare[0], message: bare[1] };
  const tagged = TAGGED_REASON.exec(reason.replace(/\s*\n\s*/g, ' '));
  const known = tagged && ERLANG_TAGGED[tagged[1] ?? ''];
  if (tagged && known) return { type: known[0], message: `${known[1]}${tagged[2] ?? ''}` };
  const struct = STRUCT_REASON.exec(reason);
  if (struct?.[1]) return { type: struct[1], message: struct[2] ?? first };
  return { type: 'ErlangError', message: `Erlang error: ${first}` };
}

const messageOf = (level: Level): string => {
  const lines = level.messageLines.map((l) => l.trimEnd());
  while (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines.join('\n');
};

// An exception is named by its module (`RuntimeError`, `Ecto.NoResultsError`); the kinds of exit
// are lower case (`exit`, `stop`, `throw`) or Erlang's `EXIT`.
const isException = (kind: string): boolean => /^[A-Z]/.test(kind) && !kind.startsWith('EXIT');

/**
 * The error is the innermost exception an exit carries (the bug is where it was raised, whichever
 * process's report printed it), with its own frames, or the frames of the nearest level that has
 * some. An exit with no exception in it (`exited in: GenServer.call(…)` + `** (EXIT) time out`)
 * is the exit itself, its reasons its message.
 */
function toParsed(levels: readonly Level[]): ParsedTrace | undefined {
  const outer = levels[0];
  if (!outer) return undefined;
  const at = levels.findLastIndex((level) => isException(level.kind));
  const framesFrom = (index: number): StackFrame[] => {
    for (let i = index; i >= 0; i--) {
      const frames = levels[i]?.frames ?? [];
      if (frames.length > 0) return [...frames].reverse();
    }
    return [];
  };
  if (at >= 0) {
    const error = levels[at] as Level;
    const message = messageOf(error);
    const { type, message: carried } = unwrapped(error.kind, message);
    return { language: 'elixir', exceptionType: type, message: carried, frames: framesFrom(at), causes: [] };
  }
  const kind = outer.kind.startsWith('EXIT') ? 'EXIT' : outer.kind;
  const message = [messageOf(outer), ...levels.slice(1).map((l) => `** (${l.kind}) ${messageOf(l)}`)].join(
    '\n',
  );
  return { language: 'elixir', exceptionType: kind, message, frames: framesFrom(0), causes: [] };
}

// How far each block (the assembler's growing array of lines) has been read for a report field:
// a line is read once, however many lines follow it (a block may hold thousands).
const reportFieldSeen = new WeakMap<readonly string[], { read: number; seen: boolean }>();

function hasReportField(block: readonly string[]): boolean {
  const state = reportFieldSeen.get(block) ?? { read: 0, seen: false };
  for (; !state.seen && state.read < block.length; state.read++) {
    state.seen = REPORT_FIELD.test(bounded(block[state.read] ?? ''));
  }
  reportFieldSeen.set(block, state);
  return state.seen;
}

function continuesElixir(line: string, block: readonly string[]): boolean {
  const head = bounded(line);
  const first = block[0];
  if (first === undefined) return false;
  // telemetry's report goes on to the `]` that closes its stacktrace's term
  if (TELEMETRY_FAILURE.test(bounded(first))) {
    const last = block[block.length - 1] ?? '';
    return last !== ']' && !/^Stacktrace=\[\]$/.test(last);
  }
  const indent = indentOf(head);
  if (BANNER.test(head)) return indent > indentOf(first);
  if (REPORT_FIELD.test(head) || readFrame(head) !== undefined) return true;
  // After a report's fields: its multi-line values, and the client's stacktrace after a blank line.
  return (head.trim() === '' || indent > 0) && hasReportField(block);
}

/**
 * Lines after a banner and before its first frame are its message (ArgumentError's blank line and
 * `  * 1st argument: …`, printed at column 0 even under a banner nested in an exit's report).
 */
function continuesElixirMessage(_line: string, block: readonly string[]): boolean {
  for (let i = block.length - 1; i >= 0; i--) {
    const b = bounded(block[i] ?? '');
    if (BANNER.test(b)) return true;
    if (readFrame(b) !== undefined || REPORT_FIELD.test(b)) return false;
  }
  return false;
}

/** Elixir errors: the `** (Module) message` banner, nested exit reasons, stacktraces and Logger's crash reports. */
export const elixirParser: TraceParser = {
  language: 'elixir',
  startsTrace: (line) =>
    BANNER.test(bounded(line)) || isLoneFrame(bounded(line)) || TELEMETRY_FAILURE.test(bounded(line)),
  continuesTrace: continuesElixir,
  continuesMessage: continuesElixirMessage,
  parse: (text) => {
    try {
      return parseElixir(text);
    } catch {
      return undefined;
    }
  },
};
