/** An error's own `Type: message` found after words the program or its logger put first. */
export interface EmbeddedError {
  exceptionType: string;
  message: string;
  /** the words before the name end in `: ` (`failed: KeyError: x`), not just a space */
  afterColon: boolean;
}

// Where an error's name may end: `…Error` or `…Exception`, then its `: message` or the line's end.
const NAME_END = /(?:Error|Exception)(?=:[ \t]|:?$)/g;
// Anchored at the name's start; the name is bounded and the rest is taken whole: linear time.
const TYPE_AT = /^([A-Za-z_$][\w$.]{0,200}(?:::[A-Z]\w{0,100}){0,5})(?::[ \t](.*)|:?$)/;
// A real prefix is short (`feed import failed: `, `Trace: `); a long line is data, not a header.
const MAX_PREFIX = 400;
const MAX_NAME = 800;

/**
 * The error a line names after other words: `feed import failed: SyntaxError: Unexpected token`
 * (a message joined to `err.stack`) → SyntaxError; `Trace: TypeError: x` (console.trace) →
 * TypeError; `price refresh failed TypeError: fetch failed` (Node's `console.error(msg, err)`,
 * which joins with a space) → TypeError. Only a name ending in Error or Exception, standing as a
 * word of its own, counts: `retry: 3: ok`, `user: bob` or `MyErrorHandler: ok` never do.
 */
export function readEmbeddedError(line: string): EmbeddedError | undefined {
  // A name after other words starts after a space or a tab: no name ends before the first one
  // (`java.lang.IllegalStateException: …`, a plain header, is passed over unread).
  NAME_END.lastIndex = firstBlank(line) + 1;
  for (let end = NAME_END.exec(line); end !== null; end = NAME_END.exec(line)) {
    const start = nameStart(line, end.index);
    if (start > MAX_PREFIX) return undefined;
    const before = line.charCodeAt(start - 1);
    // a word of its own, after other words (a line that starts with the name is a plain header)
    if (start === 0 || (before !== 32 && before !== 9)) continue;
    const match = TYPE_AT.exec(line.slice(start));
    const name = match?.[1];
    if (name && name.length === end.index + end[0].length - start) {
      return {
        exceptionType: name,
        message: match?.[2] ?? '',
        afterColon: line.charCodeAt(start - 2) === 58,
      };
    }
  }
  return undefined;
}

/** The index of the line's first space or tab; the line's length when it holds neither. */
function firstBlank(line: string): number {
  const space = line.indexOf(' ');
  const tab = line.indexOf('\t');
  if (space < 0) return tab < 0 ? line.length : tab;
  return tab < 0 || space < tab ? space : tab;
}

/** Where the name that ends at `at` begins: back over name characters and `::` (Ruby, PHP). */
function nameStart(line: string, at: number): number {
  let start = at;
  while (start > 0 && at - start < MAX_NAME) {
    const code = line.charCodeAt(start - 1);
    const isNameChar =
      (code >= 48 && code <= 57) || // 0-9
      (code >= 65 && code <= 90) || // A-Z
      (code >= 97 && code <= 122) || // a-z
      code === 95 || // _
      code === 36 || // $
      code === 46 || // .
      (code === 58 && line.charCodeAt(start - 2) === 58); // ::
    if (!isNameChar) break;
    start -= code === 58 ? 2 : 1;
  }
  return start;
}
