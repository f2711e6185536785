import type { StackFrame } from '../contracts.ts';
import { isInApp } from '../in-app.ts';
import type { ParsedTrace, TraceParser } from './parsed-trace.ts';

// Every regex here is anchored and free of nested quantifiers: log text is attacker-controlled.
const HEADER = 'Traceback (most recent call last):';
const FRAME = /^\s*File "([^"]*)", line (\d+)(?:, in (.*))?$/;
const CHAIN =
  /^(?:During handling of the above exception, another exception occurred:|The above exception was the direct cause of the following exception:)$/;
const EXCEPTION_LINE = /^([A-Za-z_][\w.]*)(?::(?: (.*))?)?$/;
// Exception-group borders (`  | `, `  +-+---- 1 ----`, `    +----`), stripped to flatten the group.
const GROUP_BORDER = /^(?:\s*[|+])+ ?/;
const GROUP_SEPARATOR = /^[-+]+(?: \d+ [-+]+| \.\.\. .*)?$/;
/** Longest line a regex sees; a frame or exception line longer than this is not a real one. */
const MAX_LINE = 8192;

interface Section {
  frames: StackFrame[];
  exceptionType?: string;
  messageLines: string[];
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
    message: lines.join('\n'),
    frames: section.frames,
    causes: [],
  };
}

/** Splits a traceback (possibly chained, possibly an exception group flattened) into its printed sections. */
function readSections(lines: readonly string[], isGroup: boolean): Section[] {
  const sections: Section[] = [];
  let current: Section | undefined;
  let inMessage = false;
  for (const raw of lines) {
    const line = raw.length > MAX_LINE ? raw.slice(0, MAX_LINE) : raw;
    if (line.includes(HEADER)) {
      current = { frames: [], messageLines: [] };
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
    if (!current || isIndented(line) || line.trim() === '') continue;
    const exception = EXCEPTION_LINE.exec(line);
    if (!exception) continue;
    current.exceptionType = exception[1];
    const message = raw.slice((exception[1] ?? '').length).replace(/^: ?/, '');
    current.messageLines = [message];
    inMessage = true;
  }
  return sections.filter((s) => s.exceptionType !== undefined);
}

function parsePython(text: string): ParsedTrace | undefined {
  const isGroup = text.includes('Exception Group Traceback');
  let lines = text.split(/\r?\n/);
  if (isGroup) lines = lines.map((line) => line.replace(GROUP_BORDER, ''));
  const sections = readSections(lines, isGroup);
  if (sections.length === 0) return undefined;
  // A group prints itself first and its sub-exceptions after; a chain prints the record last.
  const [first, ...rest] = sections;
  if (isGroup && first) return { ...toTrace(first), causes: rest.map(toTrace) };
  const record = sections.at(-1);
  if (!record) return undefined;
  // Nearest cause first, like Java's "Caused by" order.
  return { ...toTrace(record), causes: sections.slice(0, -1).reverse().map(toTrace) };
}

function continuesPython(line: string, block: readonly string[]): boolean {
  if (block.length === 0) return false;
  const trimmed = line.trim();
  if (trimmed === '' || isIndented(line) || CHAIN.test(trimmed)) return true;
  if (line.includes(HEADER)) {
    // Another traceback belongs to this one only as a chained exception ("During handling…",
    // "The above exception was the direct cause…"); otherwise it is the next error.
    for (let i = block.length - 1, seen = 0; i >= 0 && seen < 200; i -= 1, seen += 1) {
      const previous = (block[i] ?? '').trim();
      if (previous !== '') return CHAIN.test(previous);
    }
    return false;
  }
  // A column-0 line is the exception line only while this section has not printed one yet:
  // look back to the latest column-0 line (bounded, so a long block cannot make this quadratic).
  for (let i = block.length - 1, seen = 0; i >= 0 && seen < 200; i -= 1, seen += 1) {
    const previous = block[i] ?? '';
    if (previous.trim() === '' || isIndented(previous)) continue;
    if (previous.includes(HEADER)) return EXCEPTION_LINE.test(line.slice(0, MAX_LINE));
    return false;
  }
  // Only indented lines so far: a header-less SyntaxError report or a group; the exception line ends it.
  return EXCEPTION_LINE.test(line.slice(0, MAX_LINE));
}

/** Python tracebacks: chained exceptions, 3.11 markers, header-less SyntaxError, exception groups. */
export const pythonParser: TraceParser = {
  language: 'python',
  startsTrace: (line) => {
    const head = line.slice(0, MAX_LINE);
    return head.includes(HEADER) || (FRAME.test(head) && isIndented(head));
  },
  continuesTrace: continuesPython,
  parse: (text) => {
    try {
      return parsePython(text);
    } catch {
      return undefined;
    }
  },
};
