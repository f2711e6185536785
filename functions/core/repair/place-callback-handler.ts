import type { ErrorRecord, StackFrame } from '../contracts.ts';
import { CALLBACK_HANDLER_DEPRECATED } from '../detect/lambda-platform.ts';
import type { RepoReader } from '../ports/repo-workspace.ts';
import { languageOfPath } from './edit-policy.ts';
import { NOT_APPLICATION_SOURCE, readText } from './place-bundled-frames.ts';

/**
 * Lambda's Node.js 24 runtime refuses, at every cold start, a handler that takes a callback
 * (`Runtime.CallbackHandlerDeprecated`): a function moved from nodejs20.x or nodejs22.x (CDK's
 * NODEJS_LATEST did so by itself) stops working with no line of it in the report, whose frames are
 * the runtime's. The fix is the handler's own code, so the handler is looked for in the repository:
 * a function taking Lambda's three arguments (`(event, context, callback)`, by their usual names)
 * that its module exports. One such function places the error there, as its frame, and the model
 * is shown it; none, or several the log cannot choose between, place nothing, and say why.
 */

export type CallbackHandlerPlacement =
  /** `location`: `path:line`; `finding`: what the prompt says of it, outside the fence */
  | { kind: 'placed'; error: ErrorRecord; path: string; location: string; finding: string }
  | { kind: 'unplaced'; reason: string }
  | { kind: 'not_applicable' };

const SOURCE = /\.(?:[cm]?js|[cm]?ts)$/;
/** A repository this size is searched in the files listed first (those under the path prefix). */
const MAX_FILES_SEARCHED = 4000;
const MAX_BYTES_SEARCHED = 32 * 1024 * 1024;
const MAX_NAMED = 5;

// A parameter: its name, then an optional TypeScript annotation without commas or parentheses.
// Each alternative of DEFINITION captures the same five groups: how it is exported as written (if
// it is), its name, its three parameters.
const PARAM = String.raw`\s*([\w$]{1,60})\s*(?::[^,()]{1,200})?`;
const PARAMS = String.raw`\(${PARAM},${PARAM},${PARAM}\)`;
const ASYNC_FN = String.raw`(?:async\s+)?(?:function\s*\*?\s*[\w$]{0,100}\s*)?`;
// `exports.handler = (event, context, callback) =>`, `module.exports.main = async function (e, ctx, cb)`,
// `export const handler: Handler = (…) =>`, `export (async) function handler(…)`, and a function
// defined under a name (`const handler = (…) =>`, `function handler(…)`) the module exports apart.
const DEFINITION = new RegExp(
  [
    String.raw`(?:^|[\s;])((?:module\.)?exports\.)([\w$]{1,100})\s*=\s*${ASYNC_FN}${PARAMS}`,
    String.raw`(?:^|[\s;])(export\s+(?:default\s+)?)?(?:async\s+)?function\s*\*?\s*([\w$]{1,100})\s*${PARAMS}`,
    String.raw`(?:^|[\s;])(export\s+)?(?:const|let|var)\s+([\w$]{1,100})\s*(?::[^=\n]{1,200})?=\s*${ASYNC_FN}${PARAMS}`,
  ].join('|'),
  'gm',
);
// Lambda's arguments by their usual names: the third is the callback, or the first two are
// `event` and `context` (Express's `(req, res, next)` is no handler).
const CALLBACK_NAME = /^_?(?:callback|cb|done)$/i;
const EVENT_NAME = /^_?(?:event|evt|e)$/i;
const CONTEXT_NAME = /^_?(?:context|ctx)$/i;

interface Handler {
  path: string;
  line: number;
  name: string;
  callback: string;
}

/** The exported callback-taking handlers of one module's text. */
function handlersIn(path: string, text: string): Handler[] {
  const found: Handler[] = [];
  for (const m of text.matchAll(DEFINITION)) {
    // the alternative that matched is the one whose name group is set
    const first = m[2] !== undefined ? 1 : m[7] !== undefined ? 6 : 11;
    const [exportedAs, name = '', event = '', context = '', callback = ''] = m.slice(first, first + 5);
    if (!CALLBACK_NAME.test(callback) && !(EVENT_NAME.test(event) && CONTEXT_NAME.test(context))) continue;
    if (exportedAs === undefined && !exportsName(text, name)) continue;
    const at = (m.index ?? 0) + (m[0].length - m[0].trimStart().length);
    found.push({ path, line: text.slice(0, at).split('\n').length, name, callback });
  }
  return found;
}

/** The module exports `name` apart from where it is defined. */
function exportsName(text: string, name: string): boolean {
  if (name === '') return false;
  const id = name.replace(/\$/g, '\\$');
  return new RegExp(
    String.raw`(?:module\.)?exports\.[\w$]{1,100}\s*=\s*${id}\b|module\.exports\s*=\s*${id}\b|(?:module\.exports\s*=|export)\s*\{[^}]{0,2000}\b${id}\b`,
  ).test(text);
}

export async function placeCallbackHandler({
  error,
  repo,
  pathPrefix = '',
}: {
  error: ErrorRecord;
  repo: RepoReader;
  pathPrefix?: string;
}): Promise<CallbackHandlerPlacement> {
  if (error.exceptionType !== CALLBACK_HANDLER_DEPRECATED) return { kind: 'not_applicable' };
  const prefix = pathPrefix.replace(/^\/+|\/+$/g, '');
  const under = (path: string) => prefix === '' || path.startsWith(`${prefix}/`);
  const paths = (await repo.listFiles())
    .filter((e) => (e.kind === 'file' || e.kind === 'executable') && SOURCE.test(e.path))
    .map((e) => e.path)
    .filter((path) => !NOT_APPLICATION_SOURCE.test(path))
    .sort((a, b) => Number(!under(a)) - Number(!under(b)));
  const handlers: Handler[] = [];
  let bytes = 0;
  for (const path of paths.slice(0, MAX_FILES_SEARCHED)) {
    if (bytes >= MAX_BYTES_SEARCHED) break;
    const text = await readText(repo, path);
    if (text === undefined) continue;
    bytes += text.length;
    handlers.push(...handlersIn(path, text));
  }
  // the function's own code is under the prefix its log group is routed to, when it has one
  const inScope = handlers.filter((h) => under(h.path));
  const candidates = inScope.length > 0 ? inScope : handlers;
  const [only, ...more] = candidates;
  const refused =
    "Lambda's Node.js 24 runtime refused the function's handler before any of it ran: it no longer runs a handler that takes a callback";
  if (!only)
    return {
      kind: 'unplaced',
      reason: `${refused}, and no function of the repository's JavaScript or TypeScript source takes (event, context, callback) and is exported: the handler is built from other sources, or a dependency's wrapper (a framework's adapter) makes it. Make it an async function that returns its result or throws, or update the wrapper; keeping the function on nodejs22.x only postpones it`,
    };
  if (more.length > 0) {
    const named = candidates
      .slice(0, MAX_NAMED)
      .map((h) => `${h.name} (${h.path}:${h.line})`)
      .join(', ');
    return {
      kind: 'unplaced',
      reason: `${refused}, and ${candidates.length} exported functions of the repository take one — ${named}${candidates.length > MAX_NAMED ? ', …' : ''}: the log does not say which is this function's handler (its handler setting does; routing its log group to its directory with a path prefix lets the next occurrence be repaired). Each has to become an async function that returns its result or throws`,
    };
  }
  const frame: StackFrame = { file: only.path, line: only.line, function: only.name, inApp: true };
  const location = `${only.path}:${only.line}`;
  return {
    kind: 'placed',
    error: { ...error, language: languageOfPath(only.path) ?? 'javascript', frames: [frame] },
    path: only.path,
    location,
    finding: `${refused} (Runtime.CallbackHandlerDeprecated, logged at every cold start; its frames are the runtime's own). The one exported function of the application's source that takes Lambda's callback is ${only.name} at ${location} (its third parameter, ${only.callback}): that is the handler to change. Make it an async function that returns what it passed to ${only.callback} as the result and throws what it passed as the error, awaiting what it used to wait for with callbacks, so that it behaves as before for every caller; nothing else needs to change.`,
  };
}
