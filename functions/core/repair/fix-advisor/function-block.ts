/**
 * A `<code_block>` that holds one function and nothing else is the model showing the function
 * it changed, not the new file: replacing the whole file with it would delete everything else.
 * This finds that function in the current file and makes the block an edit of it alone.
 *
 * Functions are recognised by their header line in the languages the detector parses (Python,
 * Ruby, JavaScript/TypeScript, PHP, Go, Rust, Java/Kotlin/C#); their extent by indentation
 * (a header ending in `:`), by `end` (Ruby) or by balanced braces.
 */

export type FunctionBlockEdit =
  /** the block is one function found in the file: replace `oldText` (the function as it is) with `newText` */
  | { kind: 'function'; name: string; oldText: string; newText: string }
  /** the block is one function, but the file has no function of that name */
  | { kind: 'not_found'; name: string }
  /** anything else: the block is taken as the whole file */
  | { kind: 'whole_file' };

const HEADERS: readonly RegExp[] = [
  // Python (`async def`), Ruby (`def self.name`, `def name?`)
  /^(?<indent>[ \t]*)(?:async[ \t]+)?def[ \t]+(?:self\.)?(?<name>[A-Za-z_]\w*[?!=]?)/,
  // JavaScript / TypeScript / PHP functions and PHP methods
  /^(?<indent>[ \t]*)(?:export[ \t]+)?(?:default[ \t]+)?(?:(?:public|private|protected|static|final|abstract|async)[ \t]+)*function[ \t]*\*?[ \t]*(?<name>[A-Za-z_$][\w$]*)[ \t]*[(<]/,
  // Go, with or without a receiver
  /^(?<indent>[ \t]*)func[ \t]+(?:\([^)]*\)[ \t]*)?(?<name>[A-Za-z_]\w*)[ \t]*[([]/,
  // Rust
  /^(?<indent>[ \t]*)(?:pub(?:\([^)]*\))?[ \t]+)?(?:const[ \t]+)?(?:async[ \t]+)?(?:unsafe[ \t]+)?fn[ \t]+(?<name>[A-Za-z_]\w*)/,
  // Kotlin
  /^(?<indent>[ \t]*)(?:(?:public|private|protected|internal|override|open|suspend|inline|operator)[ \t]+)*fun[ \t]+(?:<[^>]*>[ \t]*)?(?:[\w.]+\.)?(?<name>[A-Za-z_]\w*)[ \t]*\(/,
  // Java / C# methods: at least one modifier, so a call such as `return foo(` never matches
  /^(?<indent>[ \t]*)(?:(?:public|private|protected|internal|static|final|abstract|synchronized|override|virtual|async|sealed)[ \t]+)+(?:[\w<>[\],.?]+[ \t]+)?(?<name>[A-Za-z_]\w*)[ \t]*\(/,
];

/** Decides whether `block` is one function of `current` (both may use CRLF) and builds its edit. */
export function functionBlockEdit({ block, current }: { block: string; current: string }): FunctionBlockEdit {
  const blockLines = trimBlankEdges(block.replace(/\r\n/g, '\n').split('\n'));
  const unit = findUnit(blockLines, 0);
  // Only a block that is exactly one function (its decorators included) is partial.
  if (unit?.start !== 0 || unit.end !== blockLines.length - 1) return { kind: 'whole_file' };

  const crlf = current.includes('\r\n');
  const fileLines = current.replace(/\r\n/g, '\n').split('\n');
  const candidates = findAllUnits(fileLines).filter((u) => u.name === unit.name);
  if (candidates.length === 0) return { kind: 'not_found', name: unit.name };
  const target = candidates[0];
  if (!target) return { kind: 'not_found', name: unit.name };
  // A file that is this function and nothing else: the whole-file reading says the same thing.
  const rest = [...fileLines.slice(0, target.start), ...fileLines.slice(target.end + 1)];
  if (rest.every((line) => line.trim() === '')) return { kind: 'whole_file' };

  // The model may have shown a method without its class's indentation: put it back.
  const reindented = reindent(blockLines, unit.indent, target.indent);
  // Decorators the block does not repeat stay as they are in the file.
  const from = unit.decorators > 0 ? target.start : target.start + target.decorators;
  const join = (lines: string[]) => (crlf ? lines.join('\r\n') : lines.join('\n'));
  return {
    kind: 'function',
    name: unit.name,
    oldText: join(fileLines.slice(from, target.end + 1)),
    newText: join(reindented),
  };
}

interface Unit {
  name: string;
  indent: string;
  /** first line, decorators included */
  start: number;
  /** decorator lines above the header */
  decorators: number;
  /** last line of the body */
  end: number;
}

function findAllUnits(lines: readonly string[]): Unit[] {
  const units: Unit[] = [];
  for (let i = 0; i < lines.length; i++) {
    const unit = findUnit(lines, i);
    if (unit && unit.start === i) {
      units.push(unit);
      i = unit.end;
    }
  }
  return units;
}

/** The function whose decorators or header start at line `at`, with its extent. */
function findUnit(lines: readonly string[], at: number): Unit | undefined {
  let header = at;
  while (header < lines.length && /^[ \t]*@[\w.]/.test(lines[header] ?? '')) header++;
  const line = lines[header];
  if (line === undefined) return undefined;
  const match = HEADERS.map((pattern) => pattern.exec(line)).find((m) => m !== null);
  const name = match?.groups?.name;
  const indent = match?.groups?.indent ?? '';
  if (!match || !name) return undefined;
  const end = bodyEnd(lines, header, indent);
  if (end === undefined) return undefined;
  return { name, indent, start: at, decorators: header - at, end };
}

function bodyEnd(lines: readonly string[], header: number, indent: string): number | undefined {
  const first = lines[header] ?? '';
  const code = stripStringsAndComments(first);
  if (/^[ \t]*(?:async[ \t]+)?def\b/.test(first)) {
    // Python: the signature may run over several lines; the body starts after its closing `:`.
    const signatureEnd = pythonSignatureEnd(lines, header);
    if (signatureEnd !== undefined) return indentedEnd(lines, signatureEnd, indent.length);
  }
  if (/^[ \t]*def\b/.test(first) && !code.includes('{')) return rubyEnd(lines, header, indent);
  return braceEnd(lines, header);
}

function pythonSignatureEnd(lines: readonly string[], header: number): number | undefined {
  let depth = 0;
  for (let i = header; i < lines.length && i - header < 20; i++) {
    const code = stripStringsAndComments(lines[i] ?? '');
    for (const char of code) {
      if (char === '(' || char === '[') depth++;
      else if (char === ')' || char === ']') depth--;
    }
    if (depth <= 0 && /:\s*$/.test(code)) return i;
    if (depth <= 0 && i > header) return undefined;
  }
  return undefined;
}

/** Python: the lines indented deeper than the header, blank lines between them included. */
function indentedEnd(lines: readonly string[], header: number, width: number): number {
  let end = header;
  for (let i = header + 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.trim() === '') continue;
    if (leadingWidth(line) <= width) break;
    end = i;
  }
  return end;
}

function rubyEnd(lines: readonly string[], header: number, indent: string): number | undefined {
  for (let i = header + 1; i < lines.length; i++) if (lines[i] === `${indent}end`) return i;
  return undefined;
}

/** Balanced braces from the header on; the body must open within a few lines of it. */
function braceEnd(lines: readonly string[], header: number): number | undefined {
  let depth = 0;
  let opened = false;
  for (let i = header; i < lines.length; i++) {
    for (const char of stripStringsAndComments(lines[i] ?? '')) {
      if (char === '{') {
        depth++;
        opened = true;
      } else if (char === '}') depth--;
    }
    if (opened && depth <= 0) return i;
    if (!opened && i - header >= 5) return undefined;
  }
  return undefined;
}

function stripStringsAndComments(line: string): string {
  return line
    .replace(/"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`(?:\\.|[^`\\])*`/g, '""')
    .replace(/\/\/.*$|(?:^|\s)#(?![[{]).*$/, '');
}

function reindent(lines: readonly string[], from: string, to: string): string[] {
  if (from === to) return [...lines];
  return lines.map((line) => {
    if (line.trim() === '') return line;
    const body = line.startsWith(from) ? line.slice(from.length) : line.trimStart();
    return `${to}${body}`;
  });
}

function leadingWidth(line: string): number {
  return line.length - line.trimStart().length;
}

function trimBlankEdges(lines: string[]): string[] {
  let start = 0;
  let end = lines.length;
  while (start < end && (lines[start] ?? '').trim() === '') start++;
  while (end > start && (lines[end - 1] ?? '').trim() === '') end--;
  return lines.slice(start, end);
}
