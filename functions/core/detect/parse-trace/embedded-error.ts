/** An error's own `Type: message` found after words the program or its logger put first. */
export interface EmbeddedError {
  exceptionType: string;
  message: string;
}

// Anchored at a candidate start; the name is bounded and the rest is taken whole: linear time.
const TYPE_AT = /^([A-Za-z_$][\w$.]{0,200}(?:::[A-Z]\w{0,100}){0,5})(?::[ \t](.*)|:?$)/;
const ERROR_NAME = /(?:Error|Exception)$/;
// A real prefix is short (`feed import failed: `, `Trace: `); a long line is data, not a header.
const MAX_PREFIX = 400;
const MAX_CANDIDATES = 8;

/**
 * `feed import failed: SyntaxError: Unexpected token` → SyntaxError; `Trace: TypeError: x`
 * (console.trace) → TypeError; `payment failed: KeyError: key not found` → KeyError. Only a
 * name ending in Error or Exception counts, so `retry: 3: ok` or `user: bob` never do.
 */
export function readEmbeddedError(line: string): EmbeddedError | undefined {
  let from = 0;
  for (let seen = 0; seen < MAX_CANDIDATES; seen += 1) {
    const colon = line.indexOf(': ', from);
    if (colon < 0 || colon > MAX_PREFIX) return undefined;
    const match = TYPE_AT.exec(line.slice(colon + 2));
    const name = match?.[1];
    if (name && ERROR_NAME.test(name)) return { exceptionType: name, message: match?.[2] ?? '' };
    from = colon + 2;
  }
  return undefined;
}
