import type { ErrorRecord, StackFrame } from '../contracts.ts';
import type { DetectedError } from './detect-errors.ts';
import { exceptionClassName } from './fingerprint.ts';
import { RUNTIME_FOLLOW_UP_WITHIN_MS } from './lambda-platform.ts';

/**
 * One error printed twice in one invocation is one occurrence. A handler that logs what it caught
 * (`logger.exception`, `console.error(err)`, `logger.error(e)`) and throws it again writes the
 * error, and then the Lambda runtime reports it unhandled. The report leaves out what the logger
 * printed of the error's causes (Python's chain, Node's `[cause]`), so its record would
 * fingerprint apart, open a second incident and queue a second repair of the same bug.
 *
 * A record joins the stream's nearest earlier record that reads as the same error: the same class
 * (a Python module aside), the same first message line, and the same frames, file, line and
 * function, the shorter list ending the longer (a report drops the runtime's outer frames). Both
 * lines must name one invocation in their prefixes; a report whose runtime writes no request id
 * must follow a record that names one within 2 s, and joins one such record at most. The Node
 * runtime's report that the code did not load, from its init phase, stands for an invocation: its
 * client 4.x (nodejs24.x) throws the error on, and Node prints it again, raw, as the process dies.
 * The record kept is the one that says more (causes, then frames), holding both prints' events.
 */
export function foldReprints(found: DetectedError[]): DetectedError[] {
  // Only a print that names its invocation can be joined: outside Lambda, nothing to do.
  if (!found.some(namesInvocation)) return found;
  const byKey = new Map<string, number[]>();
  let repeated = false;
  found.forEach((d, i) => {
    if (d.invocation || d.record.frames.length === 0) return;
    const key = keyOf(d.record);
    const seen = byKey.get(key);
    if (seen) {
      seen.push(i);
      repeated = true;
    } else byKey.set(key, [i]);
  });
  if (!repeated) return found;

  // joinedInto[i]: the index of the record that record i's print joined
  const joinedInto = new Map<number, number>();
  const tookAnonymous = new Set<number>();
  for (const [first, ...rest] of byKey.values()) {
    // the nearest earlier print of the error that has not joined another
    let open = first as number;
    for (const at of rest) {
      const earlier = found[open] as DetectedError;
      const later = found[at] as DetectedError;
      const sameInvocation =
        namesInvocation(earlier) &&
        (later.requestId === undefined
          ? !tookAnonymous.has(open) &&
            later.record.timestamp >= earlier.record.timestamp &&
            later.record.timestamp - earlier.record.timestamp <= RUNTIME_FOLLOW_UP_WITHIN_MS
          : later.requestId === earlier.requestId);
      if (!sameInvocation || !framesAgree(earlier.record.frames, later.record.frames)) {
        open = at;
        continue;
      }
      if (later.requestId === undefined) tookAnonymous.add(open);
      joinedInto.set(at, open);
    }
  }
  if (joinedInto.size === 0) return found;

  const joined = new Map<number, DetectedError[]>();
  for (const [from, into] of joinedInto)
    joined.set(into, [...(joined.get(into) ?? []), found[from] as DetectedError]);
  const out: DetectedError[] = [];
  found.forEach((d, i) => {
    if (joinedInto.has(i)) return;
    const prints = joined.get(i);
    if (!prints) {
      out.push(d);
      return;
    }
    const all = [d, ...prints];
    const kept = all.reduce((best, next) => (saysMore(next.record, best.record) ? next : best));
    const eventIds = [...new Set(all.flatMap((print) => print.record.eventIds))];
    out.push({ ...kept, record: { ...kept.record, eventIds, timestamp: d.record.timestamp } });
  });
  return out;
}

/**
 * An error logged where it was caught (`logger.exception`, `log.error("…", e)`, `console.error(err)`)
 * and then raised again as the cause of another (`raise OrderError(…) from e`, `throw new
 * RuntimeException(e)`, `new Error(…, { cause })`) is one failure: the crash's record holds the
 * logged one as a cause, and a record of its own would open a second incident and queue a second
 * repair of the same bug. The logged record joins the crash's when it is the stream's record right
 * before it, came at most 2 s before it, names the same invocation when both name one, and reads
 * as one of its causes (class, first message line, frames as `foldReprints` compares them).
 *
 * The Lambda runtimes report an unhandled error without its causes (Python's prints the raised
 * error's own frames, Node's its `stack`), so there the crash names no cause to compare. When it
 * was raised while handling the logged error (`raisedWhileHandling`), the crash joins the logged
 * record instead: the root cause is the bug, and its record reads the same whether or not the
 * runtime's report reached ai-ops in the same delivery. Both prints are its text.
 */
export function foldLoggedCauses(found: DetectedError[]): DetectedError[] {
  if (!found.some((d) => d.record.causes.length > 0 || d.requestId !== undefined)) return found;
  const previousOfStream = new Map<string, number>();
  // from → into: the record at `from` is left out, its events held by the one at `into`
  const joinedInto = new Map<number, number>();
  const joined = new Map<number, number>();
  found.forEach((d, i) => {
    const stream = `${d.record.logGroup}\u0000${d.record.logStream}`;
    const before = previousOfStream.get(stream);
    previousOfStream.set(stream, i);
    // a record joins once, with its neighbour: never one that has joined or been joined
    if (before === undefined || joinedInto.has(before) || joined.has(before)) return;
    const logged = found[before] as DetectedError;
    const [from, into] =
      d.record.causes.length > 0
        ? isLoggedCause(logged, d)
          ? [before, i]
          : []
        : raisedWhileHandling(logged, d)
          ? [i, before]
          : [];
    if (from === undefined || into === undefined) return;
    joinedInto.set(from, into);
    joined.set(into, from);
  });
  if (joinedInto.size === 0) return found;
  return found.flatMap((d, i) => {
    if (joinedInto.has(i)) return [];
    const other = joined.get(i);
    if (other === undefined) return [d];
    const { record } = found[other] as DetectedError;
    if (other < i)
      // the crash holds the logged error among its causes, and its text
      return [
        { ...d, record: { ...d.record, eventIds: [...new Set([...record.eventIds, ...d.record.eventIds])] } },
      ];
    // the logged error is the root cause of the crash its handler raised
    const eventIds = [...new Set([...d.record.eventIds, ...record.eventIds])];
    return [{ ...d, record: { ...d.record, raw: `${d.record.raw}\n${record.raw}`, eventIds } }];
  });
}

/**
 * The crash, which names no cause, was raised while the logged error was being handled: the logged
 * print names an invocation (a Lambda runtime's logger) and the crash the same one or none, at most
 * 2 s later; they are different errors; and the crash was raised in a function the logged error
 * passed through (same file and function), on a later line than the one the error passed through
 * it at (the `except`/`catch` block follows the call in `try`), called the same way. Python's
 * traceback of a caught error starts at the function that caught it, Node's stack goes on to the
 * runtime: the frames outside that function are compared as far as both go.
 */
function raisedWhileHandling(logged: DetectedError, crash: DetectedError): boolean {
  const a = logged.record;
  const b = crash.record;
  if (logged.requestId === undefined || logged.invocation || crash.invocation) return false;
  if (crash.requestId !== undefined && crash.requestId !== logged.requestId) return false;
  if (a.timestamp > b.timestamp || b.timestamp - a.timestamp > RUNTIME_FOLLOW_UP_WITHIN_MS) return false;
  const raisedAt = b.frames.at(-1);
  if (a.frames.length === 0 || raisedAt === undefined || errorKey(a) === errorKey(b)) return false;
  const at = a.frames.findIndex((f) => f.file === raisedAt.file && f.function === raisedAt.function);
  const passed = a.frames[at];
  if (passed === undefined || !isLaterInFunction(raisedAt, passed)) return false;
  const outer = Math.min(at, b.frames.length - 1);
  for (let j = 1; j <= outer; j++) {
    const x = a.frames[at - j] as StackFrame;
    const y = b.frames[b.frames.length - 1 - j] as StackFrame;
    if (x.file !== y.file || x.line !== y.line || x.function !== y.function) return false;
  }
  return true;
}

function isLaterInFunction(raised: StackFrame, passed: StackFrame): boolean {
  if (raised.line === undefined || passed.line === undefined) return false;
  if (raised.line !== passed.line) return raised.line > passed.line;
  return raised.column !== undefined && passed.column !== undefined && raised.column > passed.column;
}

function isLoggedCause(logged: DetectedError, crash: DetectedError): boolean {
  const a = logged.record;
  const b = crash.record;
  if (a.frames.length === 0 || logged.invocation || crash.invocation) return false;
  if (a.timestamp > b.timestamp || b.timestamp - a.timestamp > RUNTIME_FOLLOW_UP_WITHIN_MS) return false;
  if (logged.requestId !== undefined && crash.requestId !== undefined && logged.requestId !== crash.requestId)
    return false;
  const error = errorKey(a);
  return b.causes.some((cause) => errorKey(cause) === error && framesAgree(a.frames, cause.frames));
}

const namesInvocation = (d: DetectedError): boolean => d.requestId !== undefined || d.isInitPhase === true;

/** The stream and the error: prints of one error in one stream share it. */
function keyOf(record: ErrorRecord): string {
  return `${record.logGroup}\u0000${record.logStream}\u0000${errorKey(record)}`;
}

/** The error as a print reads: language, class (a Python module aside), first message line. */
function errorKey(record: ErrorRecord): string {
  const headline = record.message.trimStart().split('\n', 1)[0] ?? '';
  return `${record.language}\u0000${exceptionClassName(record.exceptionType, record.language)}\u0000${headline.trimEnd()}`;
}

function framesAgree(a: readonly StackFrame[], b: readonly StackFrame[]): boolean {
  const [shorter, longer] = a.length <= b.length ? [a, b] : [b, a];
  const offset = longer.length - shorter.length;
  return shorter.every((frame, i) => {
    const other = longer[offset + i] as StackFrame;
    return frame.file === other.file && frame.line === other.line && frame.function === other.function;
  });
}

function saysMore(a: ErrorRecord, b: ErrorRecord): boolean {
  return a.causes.length !== b.causes.length
    ? a.causes.length > b.causes.length
    : a.frames.length > b.frames.length;
}
