import type { StackFrame } from '../../contracts.ts';
import { isInApp } from '../in-app.ts';
import type { ParsedTrace, TraceParser } from './parsed-trace.ts';

// Every pattern is anchored and free of nested quantifiers: log text is attacker-controlled.
// .NET Core: `Unhandled exception. X: …`; .NET Framework: `Unhandled Exception: X: …`; Mono prints
// `Unhandled Exception:` on a line of its own, the exception and its frames, then all of it again
// after `[ERROR] FATAL UNHANDLED EXCEPTION: ` (a reprint, read as part of the first).
const UNHANDLED = /^\s*(?:Unhandled [Ee]xception[.:]|\[ERROR\] FATAL UNHANDLED EXCEPTION:) /;
export const MONO_REPRINT = '[ERROR] FATAL UNHANDLED EXCEPTION: ';
// `checkout failed: System.ApplicationException: …`: a program's words before the exception it
// printed (`Console.Error.WriteLine("checkout failed: " + e)`); the type after them is .NET-shaped.
const MAX_LEAD_CHARS = 200;
// .NET namespaces are PascalCase (Java packages are lower case): `System.IO.IOException`, `Dictionary`2`.
const TYPE = /^[A-Z][\w`]*(?:\.[\w`+<>]+)+(?: \(0x[0-9A-Fa-f]+\))?$/;
const ERROR_NAME = /(?:Exception|Error)(?: \(0x[0-9A-Fa-f]+\))?$/;
const FRAME = /^\s*at /;
const INNER_ON_OWN_LINE = /^\s*---> /;
const INNER_SEPARATOR = ' ---> ';
const AGGREGATE_INNER = /^\(Inner Exception #\d+\) /;
const END_OF_INNER = /^\s*--- End of inner exception stack trace ---$/;
const END_OF_ASYNC = /^\s*--- End of stack trace from previous location/;
const AGGREGATE_END = /^\s*<---$/;
// Messages that .NET itself continues on the next line (ArgumentException, FileNotFoundException, …).
const MESSAGE_CONTINUATION = /^\s*(?:Parameter name|File name|Object name|Actual value was): /;
const DOTNET_LOCATION = /:line (\d+)$/;
const MONO_LOCATION = /:(\d+)$/;
// Mono marks runtime trampolines: `at (wrapper managed-to-native) System.X.Y(…)`.
const MONO_WRAPPER = /^\(wrapper [^()]*\) /;
const MONO_OFFSET = / (?:\[0x[0-9a-fA-F]+\]|<0x[0-9a-fA-F]+ \+ 0x[0-9a-fA-F]+>)$/;
// Java (`Foo.java:12`, `Native Method`) and JavaScript (`file.js:1:2`) frames share the `at ` shape.
const FOREIGN_ARGS = /:\d+$|^(?:Native Method|Unknown Source)$/;

type Exception = { exceptionType: string; message: string };

/** `System.X (0x80004005): msg` → type and message; undefined unless the type is .NET-shaped. */
function readTyped(text: string): Exception | undefined {
  const colon = text.indexOf(': ');
  const type = colon < 0 ? text.trim() : text.slice(0, colon);
  if (!TYPE.test(type)) return undefined;
  return { exceptionType: type, message: colon < 0 ? '' : text.slice(colon + 2) };
}

function stripUnhandled(line: string): string {
  return line.replace(UNHANDLED, '').trimStart();
}

/** The exception's own text of a header line: what an unhandled marker or a program's words led. */
function headerText(line: string): string | undefined {
  const text = stripUnhandled(line);
  if (isTypedError(text)) return text;
  // the words end at the first colon, a space after it; a .NET type starts with a capital after that
  const colon = text.indexOf(':');
  const after = text.charCodeAt(colon + 2);
  if (colon < 1 || colon > MAX_LEAD_CHARS || text.charCodeAt(colon + 1) !== 32 || after < 65 || after > 90)
    return undefined;
  if (UNHANDLED.test(line)) return undefined;
  const rest = text.slice(colon + 2);
  return !text.slice(0, colon).includes('\n') &&
    isTypedError(rest) &&
    ERROR_NAME.test(readTyped(firstPart(rest))?.exceptionType ?? '')
    ? rest
    : undefined;
}

const firstPart = (text: string): string => {
  const inner = text.indexOf(INNER_SEPARATOR);
  return inner < 0 ? text : text.slice(0, inner);
};

function isTypedError(text: string): boolean {
  return readTyped(firstPart(text)) !== undefined;
}

function isHeader(line: string): boolean {
  // every .NET type has a namespace (`System.InvalidOperationException`): no dot, no header
  if (!line.includes('.')) return false;
  const text = headerText(line);
  if (text === undefined) return false;
  const typed = readTyped(firstPart(text));
  return typed !== undefined && (UNHANDLED.test(line) || ERROR_NAME.test(typed.exceptionType));
}

/** `Ns.Class.Method` → `Ns.Class` (the owner that in-app rules look at). */
function ownerOf(fn: string): string | undefined {
  const ctor = fn.search(/\.\.c?ctor$/);
  if (ctor > 0) return fn.slice(0, ctor);
  const dot = fn.lastIndexOf('.');
  return dot > 0 ? fn.slice(0, dot) : undefined;
}

/** `at Ns.C.M(String s) in /src/C.cs:line 42`, Mono's `at Ns.C.M (String s) [0x0001b] in f.cs:9`, or no location. */
function readFrame(line: string): StackFrame | undefined {
  const at = FRAME.exec(line);
  if (!at) return undefined;
  let body = line.slice(at[0].length).trimEnd().replace(MONO_WRAPPER, '');
  let file = '';
  let lineNo: number | undefined;
  const suffix = DOTNET_LOCATION.exec(body) ?? MONO_LOCATION.exec(body);
  const inAt = suffix ? body.lastIndexOf(' in ', suffix.index) : -1;
  if (suffix && inAt > 0) {
    file = body.slice(inAt + 4, suffix.index);
    lineNo = Number(suffix[1]);
    body = body.slice(0, inAt).replace(MONO_OFFSET, '');
  }
  const open = body.indexOf('(');
  if (open <= 0 || !body.endsWith(')')) return undefined;
  if (file === '' && FOREIGN_ARGS.test(body.slice(open + 1, -1))) return undefined;
  const fn = body.slice(0, open).trimEnd();
  if (fn === '' || /\s/.test(fn)) return undefined;
  const module = ownerOf(fn);
  return {
    file,
    ...(lineNo !== undefined ? { line: lineNo } : {}),
    function: fn,
    ...(module !== undefined ? { module } : {}),
    inApp: isInApp({ language: 'dotnet', file, module }),
  };
}

/** The exception chain from the header text: outer first, then each ` ---> ` inner exception. */
function readChain(headerText: string): Exception[] | undefined {
  const chain: Exception[] = [];
  for (const part of headerText.split(INNER_SEPARATOR)) {
    const text = part.trimStart().replace(AGGREGATE_INNER, '');
    const typed = readTyped(text);
    const previous = chain[chain.length - 1];
    if (typed) chain.push(typed);
    else if (previous) previous.message += `${INNER_SEPARATOR}${part}`;
    else return undefined;
  }
  return chain.map((e) => ({ ...e, message: e.message.trimEnd() }));
}

function parseDotnet(text: string): ParsedTrace | undefined {
  const lines = text.split(/\r?\n/);
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first < 0 || !isHeader(lines[first] ?? '')) return undefined;
  const headerLines = [headerText(lines[first] ?? '') ?? ''];
  const segments: StackFrame[][] = [[]];
  let inFrames = false;
  for (const line of lines.slice(first + 1)) {
    // Mono's reprint of the same exception: the first print is read
    if (line.startsWith(MONO_REPRINT)) break;
    const segment = segments[segments.length - 1] ?? [];
    const frame = readFrame(line);
    if (frame) {
      inFrames = true;
      segment.push(frame);
    } else if (END_OF_INNER.test(line)) {
      inFrames = true;
      segments.push([]);
    } else if (!inFrames) {
      headerLines.push(line);
    } else if (INNER_ON_OWN_LINE.test(line)) {
      // AggregateException lists its other inner exceptions after its own trace; they are not its frames
      break;
    }
  }
  const chain = readChain(headerLines.join('\n'));
  if (!chain) return undefined;
  // The first segment belongs to the deepest inner exception, the last one to the outer exception.
  const framesOf: StackFrame[][] = chain.map(() => []);
  const last = segments.length - 1;
  segments.forEach((segment, index) => {
    const owner = index === last ? 0 : Math.max(chain.length - 1 - index, 0);
    framesOf[owner]?.push(...segment);
  });
  const [primary, ...causes] = chain.map(
    (e, index): ParsedTrace => ({
      language: 'dotnet',
      exceptionType: e.exceptionType,
      message: e.message,
      frames: [...(framesOf[index] ?? [])].reverse(),
      causes: [],
    }),
  );
  return primary && { ...primary, causes };
}

/** .NET / Mono exception text (`ToString()` output) with ` ---> ` inner exceptions and async separators. */
export const dotnetParser: TraceParser = {
  language: 'dotnet',
  startsTrace: isHeader,
  continuesTrace: (line, block) => {
    if (readFrame(line) || END_OF_INNER.test(line) || END_OF_ASYNC.test(line) || AGGREGATE_END.test(line)) {
      return true;
    }
    if (INNER_ON_OWN_LINE.test(line)) return true;
    if (line.startsWith(MONO_REPRINT)) return block.some((l) => readFrame(l) !== undefined);
    const beforeFrames = !block.some((l) => readFrame(l) !== undefined);
    return beforeFrames && MESSAGE_CONTINUATION.test(line);
  },
  parse: (text) => {
    try {
      return parseDotnet(text);
    } catch {
      return undefined;
    }
  },
};
