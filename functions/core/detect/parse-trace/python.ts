import type { StackFrame } from '../../contracts.ts';
import { isInApp } from '../in-app.ts';
import type { ParsedTrace, TraceParser } from './parsed-trace.ts';

// Every regex here is anchored and free of nested quantifiers: log text is attacker-controlled.
const HEADER = 'Traceback (most recent call last):';
// `logger.exception(…, stack_info=True)` prints, after the traceback, the stack that led to the
// logging call: part of the same record, not a trace of its own.
export const STACK_INFO = 'Stack (most recent call last):';
// faulthandler (`-X faulthandler`, PYTHONFAULTHANDLER=1, as many Dockerfiles set it) on a crash in C
// code: `Fatal Python error: Segmentation fault`, a blank line, then each thread's Python stack,
// most recent call first, the crashing one under `Current thread 0x… (most recent call first):`.
const FAULT = 'Fatal Python error: ';
// A log call that failed (`log.info("%s of %s", qty, sku, warehouse)`: one argument too many, a
// handler whose stream is closed) makes logging's Handler.handleError print `--- Logging error
// ---`, the traceback of the exception raised inside logging (its frames logging's own, down to
// `TypeError: not all arguments converted during string formatting`), then `Call stack:` and the
// stack of the log call (the application's frames, the call itself innermost), then the call's
// `Message: '…'` and `Arguments: (…)` (or, where no caller's frame was found, `Logged from file …,
// line N` instead of the stack). The stack is where the call went wrong, its frames the outermost
// of the record's; none of it is the exception's message.
const CALL_STACK = 'Call stack:';
const LOGGED_FROM = 'Logged from file ';
const CALL_MESSAGE = 'Message: ';
const CALL_ARGUMENTS = 'Arguments: ';
const FAULT_THREAD =
  /^(?:Current thread|Thread) 0x[0-9a-f]{1,16}(?: \[[^\]\n]{0,100}\])? \(most recent call first\):$/;
const FAULT_FRAME = /^\s+File "([^"]*)", line (\d+) in (.*)$/;
// What else faulthandler prints in its report (3.12+: the extension modules loaded, C frames).
const FAULT_OTHER =
  /^(?:\s+<no Python frame>|Extension modules: .*|\s+\.\.\.|Current thread's C stack trace.*|\s+Binary file .*)$/;
// loguru (`backtrace=True`, its default for `logger.exception`) marks the frame that caught the
// exception with `> ` at column 0.
// The Lambda runtime reports a syntax error in the handler's module with a frame of its own making:
// `File "/var/task/lambda_function.py" Line 4`.
const FRAME = /^(?:> |\s*)File "([^"]*)"(?:, line| Line) (\d+)(?:, in (.*))?$/;
const CAUGHT_HERE = /^> File "/;
const CHAIN =
  /^(?:During handling of the above exception, another exception occurred:|The above exception was the direct cause of the following exception:)$/;
const EXCEPTION_LINE = /^([A-Za-z_][\w.]*)(?::(?: (.*))?)?$/;
// Exception-group borders (`  | `, `  +-+---- 1 ----`, `    +----`), stripped to flatten the group.
const GROUP_BORDER = /^(?:\s*[|+])+ ?/;
// A group's box opens at the top level with `  + Exception Group Traceback …`; a group nested in
// it opens inside a sub-exception's border (`    | + Exception Group …`).
const GROUP_BOX_OPEN = /^\s*\+ Exception Group Traceback \(most recent call last\):\s*$/;
const GROUP_SEPARATOR = /^[-+]+(?: \d+ [-+]+| \.\.\. .*)?$/;
/** Longest line a regex sees; a frame or exception line longer than this is not a real one. */
const MAX_LINE = 8192;
// A process pool re-raises a worker's exception in the parent with the worker's traceback, as
// text between `"""` lines, for its cause: multiprocessing's `RemoteTraceback`, concurrent.futures'
// `_RemoteTraceback`, billiard's `ExceptionWithTraceback` (Celery 5.2 raises that one itself).
const REMOTE_LEAD = /^[A-Za-z_][\w.]{0,200}(?:RemoteTraceback|ExceptionWithTraceback): ?$/;
/** REMOTE_LEAD, tried only on a line that ends as it does (asked of every line that may open a trace) */
const isRemoteLead = (line: string): boolean =>
  (line.endsWith(':') || line.endsWith(': ')) && REMOTE_LEAD.test(line);
const FENCE = '"""';
// A subinterpreter's uncaught exception (3.14's concurrent.interpreters: `Interpreter.call`,
// `InterpreterPoolExecutor`) reaches the caller as `ExecutionFailed: KeyError: 'lines'`, whose
// message goes on after this line with that interpreter's whole traceback, its own chain included,
// down to the exception line the wrapper's message began with.
const INTERPRETER_UNCAUGHT = 'Uncaught in the interpreter:';
/** Lines looked ahead over for the end of a subinterpreter's traceback. */
const MAX_INTERPRETER_LOOKAHEAD = 2000;
/** Lines of a wrapper's message (the worker's exception, a blank line) before the mark. */
const MAX_WRAPPER_MESSAGE_LINES = 40;
/** Lines looked back over for an open fence: a worker's traceback longer than this is split off. */
const MAX_FENCE_LOOKBACK = 400;

interface Section {
  frames: StackFrame[];
  exceptionType?: string;
  messageLines: string[];
  /** a worker's exception raised again in this section (see `REMOTE_LEAD`) */
  worker?: ParsedTrace;
  /** the section is a subinterpreter's wrapper standing for the worker's exception it carries */
  isInterpreterWrapper?: true;
}

const isIndented = (line: string): boolean => line.startsWith(' ') || line.startsWith('\t');

function toFrame(match: RegExpExecArray): StackFrame {
  const file = match[1] ?? '';
  const fn = match[3]?.trim();
  return {
    file,
    line: Number(match[2]),
    ...(fn ? { function: fn } : {}),
    inApp: isInApp({ language: 'python', file }),
  };
}

function toTrace(section: Section): ParsedTrace {
  const lines = [...section.messageLines];
  while (lines.length > 0 && (lines.at(-1) ?? '').trim() === '') lines.pop();
  return {
    language: 'python',
    exceptionType: section.exceptionType ?? '',
    // a line's trailing spaces are a layout's (Rich pads every line to its width), not the message's
    message: lines.map((line) => line.trimEnd()).join('\n'),
    frames: section.worker ? [...section.frames, ...section.worker.frames] : section.frames,
    causes: section.worker?.causes ?? [],
  };
}

/** Splits a traceback (possibly chained, possibly an exception group flattened) into its printed sections. */
function readSections(lines: readonly string[], isGroup: boolean): Section[] {
  const sections: Section[] = [];
  let current: Section | undefined;
  let inMessage = false;
  // a worker's traceback read from its fence, waiting for the parent's section it caused
  let remote: ParsedTrace | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const line = raw.length > MAX_LINE ? raw.slice(0, MAX_LINE) : raw;
    const close = lines[i + 1] === FENCE && REMOTE_LEAD.test(line) ? lines.indexOf(FENCE, i + 2) : -1;
    if (close > 0) {
      // The worker's frames are the innermost of the call that failed: they go below the frames
      // of the section the worker's exception was raised again in, or, when the pool's wrapper
      // was raised itself, stand for the wrapper and its frames (the same frames, printed twice).
      const worker = parsePython(lines.slice(i + 2, close).join('\n'));
      i = close;
      if (!worker) continue;
      if (current && !inMessage && current.exceptionType === undefined) {
        current.frames = [];
        current.worker = worker;
        current.exceptionType = worker.exceptionType;
        current.messageLines = [worker.message];
        inMessage = true;
      } else remote = worker;
      continue;
    }
    if (line.includes(HEADER)) {
      current = { frames: [], messageLines: [], ...(remote ? { worker: remote } : {}) };
      remote = undefined;
      sections.push(current);
      inMessage = false;
      continue;
    }
    if (CHAIN.test(line.trim()) || (isGroup && GROUP_SEPARATOR.test(line.trim()))) {
      current = undefined;
      inMessage = false;
      continue;
    }
    if (inMessage && current) {
      const end = line === INTERPRETER_UNCAUGHT ? interpreterTracebackEnd(lines, i, current) : -1;
      const worker = end > i ? parsePython(lines.slice(i + 1, end + 1).join('\n')) : undefined;
      if (worker) {
        // Like a pool's wrapper raised itself: the worker's exception is the error, its frames the
        // innermost of the call; a later line of its message still follows, so the message stays open.
        current.worker = worker;
        current.exceptionType = worker.exceptionType;
        current.messageLines = [worker.message];
        current.isInterpreterWrapper = true;
        i = end;
        continue;
      }
      current.messageLines.push(raw);
      continue;
    }
    const frame = FRAME.exec(line);
    if (frame) {
      // A SyntaxError report has no "Traceback" header: its `File` line opens the section.
      if (!current) {
        current = { frames: [], messageLines: [] };
        sections.push(current);
      }
      current.frames.push(toFrame(frame));
      continue;
    }
    if (isIndented(line) || line.trim() === '') continue;
    const exception = EXCEPTION_LINE.exec(line);
    if (!exception) continue;
    // A group's member that was never raised (`ExceptionGroup("…", [ValueError("x")])`) is its
    // exception line alone, after the member's separator.
    if (!current && isGroup) {
      current = { frames: [], messageLines: [] };
      sections.push(current);
    }
    if (!current) continue;
    current.exceptionType = exception[1];
    const message = raw.slice((exception[1] ?? '').length).replace(/^: ?/, '');
    current.messageLines = [message];
    inMessage = true;
  }
  return reraisedFromInterpreters(sections);
}

/**
 * The line index of the subinterpreter's exception line in a wrapper's message that goes on with
 * `Uncaught in the interpreter:` at `mark`: the line the wrapper's message began with, after a
 * traceback header; -1 when the text has none.
 */
function interpreterTracebackEnd(lines: readonly string[], mark: number, wrapper: Section): number {
  const head = (wrapper.messageLines[0] ?? '').trimEnd();
  // Python prints the mark after the message and one blank line; a message grown past a few lines
  // is not that (and a long one, its every line a mark, must not scan ahead once per line).
  const { length } = wrapper.messageLines;
  if (head === '' || length > MAX_WRAPPER_MESSAGE_LINES || wrapper.messageLines[length - 1]?.trim() !== '')
    return -1;
  let header = mark + 1;
  while (header < lines.length && (lines[header] ?? '').trim() === '') header += 1;
  if (!(lines[header] ?? '').startsWith(HEADER)) return -1;
  const last = Math.min(lines.length, header + MAX_INTERPRETER_LOOKAHEAD);
  for (let i = header + 1; i < last; i++) if ((lines[i] ?? '').trimEnd() === head) return i;
  return -1;
}

/**
 * InterpreterPoolExecutor raises the worker's exception again from the wrapper (`raise exc from
 * wrapper`): that section is the worker's exception, its frames above the worker's, and the
 * wrapper, which said the same, drops out of the chain, as a process pool's `RemoteTraceback` does.
 */
function reraisedFromInterpreters(sections: Section[]): Section[] {
  return sections.filter((wrapper, i) => {
    const next = sections[i + 1];
    if (!wrapper.isInterpreterWrapper || !next || next.worker || !isSameException(wrapper, next)) return true;
    next.worker = wrapper.worker;
    return false;
  });
}

const isSameException = (a: Section, b: Section): boolean =>
  a.exceptionType !== undefined &&
  a.exceptionType === b.exceptionType &&
  (a.messageLines[0] ?? '').trimEnd() === (b.messageLines[0] ?? '').trimEnd();

// Python's exception names: `KeyError`, `botocore.exceptions.ClientError`, `SystemExit`, `UserWarning`;
// and the runtime's own faults, which are not exceptions: `Runtime.HandlerNotFound`.
const LEAD_EXCEPTION =
  /^([A-Za-z_][\w.]{0,200}(?:Error|Exception|Exit|Interrupt|Warning)|Runtime\.[A-Z][A-Za-z]{1,60}): (.*)$/;
// botocore names the exceptions it models after the service's error code, with no suffix
// (`AccessDenied`, `NoSuchKey`): its message says what they are. A capitalised name only: a
// logger's (`root: An error occurred …`) is no exception.
const BOTOCORE_LEAD =
  /^((?:[\w.]{1,200}\.)?[A-Z]\w{0,100}): (An error occurred \(\w{1,100}\) when calling the \w{1,100} operation.*)$/;

/**
 * The Lambda Python runtime logs an unhandled exception as `[ERROR] KeyError: 't-1'` followed by
 * `Traceback …` and the frames, with no exception line after them: the lead line names it.
 */
function readLead(line: string): { exceptionType: string; message: string } | undefined {
  const head = line.slice(0, MAX_LINE);
  const lead = LEAD_EXCEPTION.exec(head) ?? BOTOCORE_LEAD.exec(head);
  return lead ? { exceptionType: lead[1] ?? '', message: lead[2] ?? '' } : undefined;
}

/** A traceback a logger indented as a whole (`logging.error("…:\n%s", indent(tb))`) reads like one at column 0. */
function dedent(lines: string[]): string[] {
  const header = lines.find((line) => line.includes(HEADER));
  const indent = header ? header.length - header.trimStart().length : 0;
  if (indent === 0 || !header?.trimStart().startsWith(HEADER)) return lines;
  const prefix = header.slice(0, indent);
  return lines.map((line) => (line.startsWith(prefix) ? line.slice(indent) : line));
}

function parsePython(text: string): ParsedTrace | undefined {
  const isGroup = text.includes('Exception Group Traceback');
  let lines = dedent(text.split(/\r?\n/));
  if ((lines[0] ?? '').startsWith(FAULT)) return parseFault(lines);
  // the logging call's own stack (stack_info=True) after the exception: not its frames
  const stackInfo = lines.indexOf(STACK_INFO);
  if (stackInfo > 0) lines = lines.slice(0, stackInfo);
  // stack_info=True with no exception: the stack is the record's frames, the line before it
  // (the caller's lead) its type and message
  if (stackInfo === 0) return stackFrames(lines.slice(1));
  if (isGroup) return parseGroupChain(lines);
  const callStack = callStackAt(lines);
  if (callStack > 0) {
    const record = parseTraceback(text, lines.slice(0, callStack));
    const caller = stackFrames(lines.slice(callStack + 1));
    return record && caller ? { ...record, frames: [...caller.frames, ...record.frames] } : record;
  }
  return parseTraceback(text, lines);
}

/**
 * Where logging's `Call stack:` (CALL_STACK) stands after the exception's lines (at column 0, as
 * its message's are), the stack or `Logged from file` after it; -1 when none does.
 */
function callStackAt(lines: readonly string[]): number {
  const at = lines.indexOf(CALL_STACK);
  if (at < 2) return -1;
  const next = (lines[at + 1] ?? '').slice(0, MAX_LINE);
  const previous = lines[at - 1] ?? '';
  const follows = next.startsWith(LOGGED_FROM) || (isIndented(next) && FRAME.test(next));
  return follows && previous.trim() !== '' && !isIndented(previous) ? at : -1;
}

/** A traceback (a chain's sections, a Lambda runtime's lead before it), its last exception the record. */
function parseTraceback(text: string, lines: readonly string[]): ParsedTrace | undefined {
  const lead = lines[0]?.includes(HEADER) ? undefined : readLead(lines[0] ?? '');
  // A lone `KeyError: …` line is no traceback: left to the other parsers and the single-line rules.
  if (lead && !text.includes(HEADER)) return undefined;
  // the lead's message goes on up to the header (continuesLeadMessage)
  const header = lead ? leadHeaderAt(lines) : -1;
  const sections = readSections(header > 1 ? lines.slice(header) : lines, false);
  const last = sections.at(-1);
  if (lead && (!last || last.exceptionType === undefined)) {
    const section = last ?? { frames: [], messageLines: [] };
    section.exceptionType = lead.exceptionType;
    section.messageLines = [lead.message, ...lines.slice(1, Math.max(1, header))];
    if (!last) sections.push(section);
  }
  return chainOf(sections.filter((s) => s.exceptionType !== undefined).map(toTrace));
}

/** A chain printed oldest first: the last is the record, the others its causes, nearest first. */
function chainOf(links: readonly ParsedTrace[]): ParsedTrace | undefined {
  const record = links.at(-1);
  if (!record) return undefined;
  // Like Java's "Caused by" order; a worker's own causes (or a group's members) are the nearest.
  return { ...record, causes: [...record.causes, ...links.slice(0, -1).reverse()] };
}

/**
 * A traceback that holds an exception group. The group's box is one link of a chain like any
 * traceback (`except* E as g: raise Other from g` prints the box, then the exception raised; a
 * group raised while handling another prints that one first): the last link is the record. In
 * its box a group prints itself first and its members after, flattened into its causes.
 */
function parseGroupChain(lines: readonly string[]): ParsedTrace | undefined {
  const links: ParsedTrace[] = [];
  for (const part of splitGroupBoxes(lines)) {
    if (!part.isBox) {
      for (const section of readSections(part.lines, false))
        if (section.exceptionType !== undefined) links.push(toTrace(section));
      continue;
    }
    const flat = part.lines.map((line) => line.replace(GROUP_BORDER, ''));
    const [group, ...members] = readSections(flat, true).filter((s) => s.exceptionType !== undefined);
    if (group) links.push({ ...toTrace(group), causes: members.map(toTrace) });
  }
  return chainOf(links);
}

/** The lines of each top-level group box, and the text between boxes, in printed order. */
function splitGroupBoxes(lines: readonly string[]): { lines: string[]; isBox: boolean }[] {
  const parts: { lines: string[]; isBox: boolean }[] = [];
  let part: { lines: string[]; isBox: boolean } | undefined;
  for (const line of lines) {
    const opens = GROUP_BOX_OPEN.test(line.slice(0, MAX_LINE));
    // every line of a box carries its border, blank ones too (`    | `): a line without one ends it
    const isBox = opens || (part?.isBox === true && line.trim() !== '' && GROUP_BORDER.test(line));
    if (!part || opens || part.isBox !== isBox) {
      part = { lines: [], isBox };
      parts.push(part);
    }
    part.lines.push(line);
  }
  // a box whose opening line reads otherwise than Python's is still read whole, flattened
  return parts.some((p) => p.isBox) ? parts : [{ lines: [...lines], isBox: true }];
}

/** faulthandler's report: the crashing thread's frames, innermost last. */
function parseFault(lines: readonly string[]): ParsedTrace | undefined {
  const message = (lines[0] ?? '').slice(FAULT.length).trim();
  const frames: StackFrame[] = [];
  let inCurrent = false;
  for (const line of lines.slice(1)) {
    if (FAULT_THREAD.test(line)) inCurrent = line.startsWith('Current thread');
    const frame = inCurrent ? FAULT_FRAME.exec(line.slice(0, MAX_LINE)) : null;
    if (frame) frames.push(toFrame(frame));
  }
  return {
    language: 'python',
    exceptionType: 'Fatal Python error',
    message,
    frames: frames.reverse(),
    causes: [],
  };
}

function continuesFault(line: string, block: readonly string[]): boolean {
  if (line.trim() === '') return (block[block.length - 1] ?? '').trim() !== '';
  return FAULT_THREAD.test(line) || FAULT_FRAME.test(line.slice(0, MAX_LINE)) || FAULT_OTHER.test(line);
}

/** The block's latest line (blank ones aside) announces a chained exception. */
function followsChain(block: readonly string[]): boolean {
  for (let i = block.length - 1, seen = 0; i >= 0 && seen < 200; i -= 1, seen += 1) {
    const previous = (block[i] ?? '').trim();
    if (previous !== '') return CHAIN.test(previous) || previous === INTERPRETER_UNCAUGHT;
  }
  return false;
}

function continuesPython(line: string, block: readonly string[]): boolean {
  if (block.length === 0) return false;
  // The Lambda runtime's `[ERROR] KeyError: …` lead: only its traceback continues it, right after
  // it; a lead that another language's parser kept going (Ruby's `Type: msg` and its snippet) is
  // not Python's to continue.
  // (asked per line of every Python block: most begin with the header itself, told at once)
  const head = block[0] ?? '';
  if (!head.startsWith(HEADER)) {
    if (head.startsWith(FAULT)) return continuesFault(line, block);
    const led = continuesLead(line, block, head);
    if (led !== undefined) return led;
  }
  if (line === STACK_INFO) return true;
  // A worker's traceback in its fence is read whole; the fence opens on the line after the wrapper's.
  if (isFenceOpen(block)) return true;
  if (line === FENCE && REMOTE_LEAD.test((block.at(-1) ?? '').slice(0, MAX_LINE))) return true;
  const trimmed = line.trim();
  if (trimmed === '' || CHAIN.test(trimmed) || CAUGHT_HERE.test(line) || line === INTERPRETER_UNCAUGHT)
    return true;
  // Another traceback belongs to this one only as a chained exception ("During handling…", "The
  // above exception was the direct cause…"); otherwise it is the next error. So does an exception
  // group's box opened at the top level (`  + Exception Group Traceback …`, indented as it is).
  if (line.includes(HEADER) && (!isIndented(line) || GROUP_BOX_OPEN.test(line.slice(0, MAX_LINE))))
    return followsChain(block);
  // The place a SyntaxError report starts with (`  File "x.py", line 2`, no function) after a
  // section that printed its exception line: the next print (one event, a shipper's join).
  if (isIndented(line)) return !(isSyntaxErrorPlace(line) && endsOnItsException(block));
  // A column-0 line is the exception line only while this section has not printed one yet.
  const latest = latestColumnZero(block);
  // (only indented lines so far: a header-less SyntaxError report or a group, which it ends)
  if (latest === undefined || latest.includes(HEADER)) return EXCEPTION_LINE.test(line.slice(0, MAX_LINE));
  return false;
}

const SYNTAX_ERROR_PLACE = /^\s+File "[^"\n]{1,1000}", line \d{1,9}$/;
const isSyntaxErrorPlace = (line: string): boolean => {
  const last = line.charCodeAt(line.length - 1);
  return last >= 48 && last <= 57 && SYNTAX_ERROR_PLACE.test(line.slice(0, MAX_LINE));
};

/**
 * The block's latest column-0 line (neither blank, indented nor a caret line), looked back over at
 * most 200 lines so a long block cannot make asking per line quadratic; undefined when none.
 */
function latestColumnZero(block: readonly string[]): string | undefined {
  for (let i = block.length - 1, seen = 0; i >= 0 && seen < 200; i -= 1, seen += 1) {
    const previous = block[i] ?? '';
    if (previous.trim() === '' || isIndented(previous) || CAUGHT_HERE.test(previous)) continue;
    return previous.slice(0, MAX_LINE);
  }
  return undefined;
}

/** The block's latest section has printed its exception line. */
function endsOnItsException(block: readonly string[]): boolean {
  const latest = latestColumnZero(block);
  return latest !== undefined && !latest.includes(HEADER) && EXCEPTION_LINE.test(latest);
}

// warnings.showwarning's line: `<file>:<line>: <Category>: <message>`
const WARNING_LINE = /^[^\s:]{1,1000}:\d{1,9}: [A-Za-z_][\w.]{0,200}Warning: /;
// an HTTP access log's request and status: `127.0.0.1 - - [07/Dec/2026 13:33:57] "GET /orders/7 HTTP/1.1" 500 -`
const ACCESS_LINE = /"[A-Z]{3,7} [^\s"]{1,4000} HTTP\/\d(?:\.\d)?" \d{3}\b/;
/** Lines looked back over from a line after a trace's end for the exception line it follows. */
const MAX_TAIL_LOOKBACK = 200;

/**
 * A column-0 line after the exception line of the trace's last section: the rest of a message of
 * several lines (pydantic names each field that failed, jsonschema the schema path and the
 * instance), or a note (`add_note`, 3.11+). Not after a section that printed none (the Lambda
 * runtime's lead, whose traceback ends at its frames), nor one that opens a traceback of its own.
 */
function continuesTail(line: string, block: readonly string[]): boolean {
  if (line.trim() === '' || isIndented(line) || isPythonStart(line) || line.startsWith(FAULT)) return false;
  if (endsLoggingCallStack(line, block)) return true;
  // `Arguments: (…)` is the last line of logging's report: what follows is the next print
  if (isLoggingCallStackEnd(block)) return false;
  // a warning the interpreter printed after it (`<sys>:0: RuntimeWarning: …` at exit) is its own
  // print, and so is the server's access line for the request that failed (werkzeug, gunicorn)
  const head = line.slice(0, MAX_LINE);
  if (WARNING_LINE.test(head) || ACCESS_LINE.test(head)) return false;
  if ((block[0] ?? '').startsWith(FAULT)) return false;
  let isPastExceptionLine = false;
  for (let i = block.length - 1, seen = 0; i >= 0 && seen < MAX_TAIL_LOOKBACK; i -= 1, seen += 1) {
    const previous = (block[i] ?? '').slice(0, MAX_LINE);
    // A worker's traceback's closing fence ends the print: Celery 5.2's `Task … raised unexpected:
    // ExceptionWithTraceback()` ends on it (billiard's wrapper is the exception line, its message
    // the fenced traceback), and what comes next is the worker's (`worker: Warm shutdown
    // (MainProcess)` after a blank line, as one event where a shipper joins lines with no
    // timestamp). A chained section after the fence (multiprocessing's) continuesPython takes.
    if (!isPastExceptionLine && previous === FENCE) return false;
    if (previous.includes(HEADER) || FRAME.test(previous)) return isPastExceptionLine;
    if (previous.trim() !== '' && !isIndented(previous) && !CHAIN.test(previous)) isPastExceptionLine = true;
  }
  return false;
}

/**
 * logging's `Message: '…'` after the log call's stack (CALL_STACK), or after `Logged from file …`,
 * and `Arguments: (…)` after it: the end of its report of a log call that failed. `line` would
 * follow the block's first `end` lines.
 */
function endsLoggingCallStack(line: string, block: readonly string[], end = block.length): boolean {
  const previous = block[end - 1] ?? '';
  if (line.startsWith(CALL_ARGUMENTS))
    return previous.startsWith(CALL_MESSAGE) && endsLoggingCallStack(previous, block, end - 1);
  if (!line.startsWith(CALL_MESSAGE)) return false;
  if (!isIndented(previous) && !previous.startsWith(LOGGED_FROM)) return false;
  for (let i = end - 1, seen = 0; i >= 0 && seen < MAX_TAIL_LOOKBACK; i -= 1, seen += 1) {
    const earlier = (block[i] ?? '').slice(0, MAX_LINE);
    if (earlier === CALL_STACK) return true;
    if (!isIndented(earlier) && !earlier.startsWith(LOGGED_FROM)) return false;
  }
  return false;
}

/** The block ends on logging's `Message:` and `Arguments:` after a log call's stack. */
function isLoggingCallStackEnd(block: readonly string[]): boolean {
  const latest = block[block.length - 1] ?? '';
  return latest.startsWith(CALL_ARGUMENTS) && endsLoggingCallStack(latest, block, block.length - 1);
}

/** A block another line leads (not `Traceback…`): whether `line` continues it, if that is decided here. */
function continuesLead(line: string, block: readonly string[], head: string): boolean | undefined {
  if (isPythonStart(head)) return undefined;
  // The lead's message may go on over lines of its own (continuesLeadMessage) before the header.
  return leadHeaderAt(block) < 0 ? line.trimStart().startsWith(HEADER) : undefined;
}

/** Lines of a lead's message before its `Traceback` header: pydantic's field errors, a few each. */
const MAX_LEAD_MESSAGE_LINES = 100;

/** Where the traceback header of a lead's block is; -1 while none has come. */
function leadHeaderAt(block: readonly string[]): number {
  const last = Math.min(block.length, MAX_LEAD_MESSAGE_LINES + 2);
  for (let i = 1; i < last; i++) if ((block[i] ?? '').trimStart().startsWith(HEADER)) return i;
  return -1;
}

/**
 * The Lambda runtime's lead holds the exception's whole message, so a message of several lines
 * (pydantic's `2 validation errors for Order`, then each field and its error) comes between the
 * lead and the `Traceback` header: held as more of the message until the header confirms it.
 */
function continuesLeadMessage(line: string, block: readonly string[]): boolean {
  const head = block[0] ?? '';
  if (isPythonStart(head) || head.startsWith(FAULT) || block.length > MAX_LEAD_MESSAGE_LINES) return false;
  return !line.trimStart().startsWith(HEADER) && leadHeaderAt(block) < 0;
}

/** Whether the block ends inside a worker's traceback: between the fence after a wrapper's line and its close. */
function isFenceOpen(block: readonly string[]): boolean {
  for (let i = block.length - 1, seen = 0; i >= 0 && seen < MAX_FENCE_LOOKBACK; i -= 1, seen += 1) {
    // the nearest fence: an opening one follows the wrapper's line, a closing one the worker's exception
    if (block[i] === FENCE) return REMOTE_LEAD.test((block[i - 1] ?? '').slice(0, MAX_LINE));
  }
  return false;
}

function isPythonStart(line: string): boolean {
  const head = line.slice(0, MAX_LINE);
  return (
    head.includes(HEADER) ||
    head === STACK_INFO ||
    (FRAME.test(head) && isIndented(head)) ||
    isRemoteLead(head)
  );
}

/** The frames of a logging call's stack (`Stack (most recent call last):`), innermost last. */
function stackFrames(lines: readonly string[]): ParsedTrace | undefined {
  const frames: StackFrame[] = [];
  for (const line of lines) {
    const frame = FRAME.exec(line.length > MAX_LINE ? line.slice(0, MAX_LINE) : line);
    if (frame) frames.push(toFrame(frame));
  }
  return frames.length === 0
    ? undefined
    : { language: 'python', exceptionType: '', message: '', frames, causes: [] };
}

/**
 * The trace with the console script pip wrote into a virtual environment's `bin/` (`/opt/shop/bin/
 * shop`, a venv of any name) no longer the application's: it is the environment's when another
 * frame runs in that environment's `lib/python3.N/site-packages/`. Counted as in-app it was the one
 * in-app frame of every error a pip-installed command did not catch, so two bugs (a view's syntax
 * error, a conversion's failed callback) that reached one library call were one incident.
 */
function setEnvironmentScriptsAside(trace: ParsedTrace): ParsedTrace {
  const all = [trace, ...trace.causes];
  const environments = new Set<string>();
  for (const link of all)
    for (const frame of link.frames) {
      const root = environmentOf(frame.file);
      if (root !== undefined) environments.add(root);
    }
  if (environments.size === 0) return trace;
  const aside = (frames: StackFrame[]): StackFrame[] =>
    frames.map((frame) =>
      frame.inApp && environments.has(scriptFolderOf(frame.file) ?? '') ? { ...frame, inApp: false } : frame,
    );
  return {
    ...trace,
    frames: aside(trace.frames),
    causes: trace.causes.map((cause) => ({ ...cause, frames: aside(cause.frames) })),
  };
}

/** `/opt/shop` of `/opt/shop/lib/python3.11/site-packages/x.py`; undefined outside an environment. */
function environmentOf(file: string): string | undefined {
  const lib = file.indexOf('/lib/python');
  if (lib <= 0) return undefined;
  const rest = file.slice(lib);
  return rest.includes('/site-packages/') || rest.includes('/dist-packages/')
    ? file.slice(0, lib)
    : undefined;
}

/** `/opt/shop` of a script at `/opt/shop/bin/shop` (a file right in a `bin/` folder); else undefined. */
function scriptFolderOf(file: string): string | undefined {
  const bin = file.lastIndexOf('/bin/');
  return bin > 0 && !file.includes('/', bin + '/bin/'.length) ? file.slice(0, bin) : undefined;
}

// uvicorn's last word on an ASGI app's lifespan handler that raised: it logs the traceback the app
// hands it (Starlette's `lifespan.startup.failed`, FastAPI's too) at ERROR, then this at ERROR, and
// exits (`ERROR:    Application startup failed. Exiting.`, a blank line after the traceback; through
// gunicorn's UvicornWorker, `[…] [ERROR] Application startup failed. Exiting.`).
const SERVER_SIGN_OFFS: ReadonlySet<string> = new Set([
  'Application startup failed. Exiting.',
  'Application shutdown failed. Exiting.',
]);

/**
 * `body` (a line's, its log prefix off) is a server's sign-off after the Python traceback it
 * logged right before: that error's, one crash, not an error of its own.
 */
export const isServerSignOff = (body: string): boolean => SERVER_SIGN_OFFS.has(body.trimEnd());

/** Python tracebacks: chained exceptions, 3.11 markers, header-less SyntaxError, exception groups. */
export const pythonParser: TraceParser = {
  language: 'python',
  startsTrace: (line) => isPythonStart(line) || line.startsWith(FAULT) || readLead(line) !== undefined,
  continuesTrace: continuesPython,
  isFrame: (line) => isIndented(line) && FRAME.test(line.slice(0, MAX_LINE)),
  continuesMessage: continuesLeadMessage,
  continuesTail,
  // One line is never a traceback: a header without frames, a frame without its exception line, or
  // a lone `KeyError: …` (left to the single-line rules). faulthandler's header is its report.
  parsesAlone: (line) => line.startsWith(FAULT),
  parse: (text) => {
    try {
      const trace = parsePython(text);
      return trace && setEnvironmentScriptsAside(trace);
    } catch {
      return undefined;
    }
  },
};
