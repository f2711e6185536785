import type { StackFrame } from '../contracts.ts';
import type { RepoReader } from '../ports/repo-workspace.ts';
import { isBinary } from './fix-advisor/read-only-tools.ts';
import { type FrameMapping, stripDeployPrefix } from './map-frames.ts';

/**
 * Frames of a bundled Node.js deployment, placed in the repository by the function they name.
 *
 * A CDK NodejsFunction bundles with esbuild and, by default, no source map: its frames name the
 * bundle (`at requireLines (/var/task/index.js:31:28)`), a file the repository does not hold.
 * Matched by path, such a frame finds no file, or a file that merely shares the bundle's basename
 * (a `scripts/index.js`) at a line that means nothing there. A JavaScript frame matched on its
 * basename alone is therefore checked against the file's text (its line and column must exist, its
 * function must be named in it); one that fails, or found nothing, is placed where its function is defined
 * when exactly one source file of the repository defines it. Minified names (`at u (…:1:558)`)
 * stay unplaced: reported as a bundle, so the email can say source maps would have helped.
 */
export async function placeBundledFrames({
  mappings,
  files,
  repo,
}: {
  mappings: readonly FrameMapping[];
  files: readonly string[];
  repo: RepoReader;
}): Promise<FrameMapping[]> {
  // The files basename matches point at, read once however many frames share one (a bundle's
  // frames all name `index.js`); the definition search reads each file once and keeps nothing.
  const matched = new Map<string, Promise<string | undefined>>();
  const readMatched = (path: string): Promise<string | undefined> => {
    const known = matched.get(path);
    if (known) return known;
    const text = readText(repo, path);
    matched.set(path, text);
    return text;
  };

  const suspects: number[] = [];
  for (const [i, m] of mappings.entries()) {
    if (!BUNDLE_FILE.test(m.frame.file)) continue;
    if (
      m.kind === 'unmapped'
        ? m.reason === 'not_in_app' && !isTaskBundleFrame(m.frame)
        : !(await isOnlyBasenameMatch(m, readMatched)) && !(await isBundleBesideSource(m, readMatched))
    )
      continue;
    suspects.push(i);
  }
  if (suspects.length === 0) return [...mappings];

  // Innermost first (as the mappings come), and bounded: a forged trace of 200 distinct names
  // must not make one search of the whole repository a long one.
  const wanted = new Set(
    suspects
      .flatMap((i) => {
        const { frame } = mappings[i] as FrameMapping;
        const name = definedName(frame);
        const unrenamed = name ? withoutRenameSuffix(name) : undefined;
        const owner = name ? ownerClass(frame) : undefined;
        return [name, unrenamed, owner].filter((n): n is string => n !== undefined);
      })
      .slice(0, MAX_NAMES_SEARCHED),
  );
  const definitions =
    wanted.size > 0 ? await findDefinitions(wanted, files, repo) : new Map<string, Definition[]>();
  // A bundle is one file holding many functions, or a minified one holding them on one line.
  const functionsByFile = new Map<string, Set<string>>();
  for (const { frame } of mappings) {
    const set = functionsByFile.get(frame.file) ?? new Set();
    set.add(frame.function ?? '');
    functionsByFile.set(frame.file, set);
  }
  const isBundle = (frame: StackFrame) =>
    (functionsByFile.get(frame.file)?.size ?? 0) > 1 || (frame.column ?? 0) > MINIFIED_COLUMN;
  const placed = [...mappings];
  for (const i of suspects) {
    const m = mappings[i] as FrameMapping;
    const { frame } = m;
    const name = definedName(frame);
    const unrenamed = name ? withoutRenameSuffix(name) : undefined;
    const found = atFramePath(
      frame,
      inOwnerClass(
        name ? (definitions.get(name) ?? (unrenamed ? definitions.get(unrenamed) : undefined)) : undefined,
        definitions.get(ownerClass(frame) ?? ''),
      ),
    );
    if (found?.length === 1 && found[0]) {
      placed[i] = { frame, kind: 'mapped', path: found[0].path, bundledAt: found[0].line };
    } else if (isBundle(frame)) {
      placed[i] = { frame, kind: 'unmapped', reason: 'bundled' };
    } else if (m.kind === 'mapped') {
      // matched on its basename, but that file does not hold the frame
      placed[i] = { frame, kind: 'unmapped', reason: 'no_match' };
    }
  }
  return placed;
}

const DECODER = new TextDecoder();

/** A source file's text; undefined when absent, binary or too large to be one. */
export async function readText(repo: RepoReader, path: string): Promise<string | undefined> {
  const bytes = await repo.readFile(path);
  return bytes && bytes.length <= MAX_SOURCE_BYTES && !isBinary(bytes) ? DECODER.decode(bytes) : undefined;
}
const BUNDLE_FILE = /\.[cm]?js$/;

/**
 * An application frame in a bundle kept at its handler's path under the Lambda root
 * (serverless-esbuild's `/var/task/src/actions/index.cjs`, the aws-nodejs-typescript template's
 * `/var/task/src/functions/hello/handler.js`): map-frames wants all of a path below /var/task to
 * match, no repository file does (the sources are `.ts`), and it calls the frame none of the
 * application's; the detector knows better, so its function is looked for like a root bundle's.
 */
function isTaskBundleFrame(frame: StackFrame): boolean {
  return frame.inApp && TASK_FILE.test(frame.file);
}
const TASK_FILE = /^\/var\/task\/(?!node_modules\/)/;
const SOURCE_FILE = /\.(?:[cm]?[jt]sx?)$/;
// Not the application's own source, whatever the language: declarations are not definitions;
// tests, fixtures, dependencies and build output define what they mock or ship, and write
// messages of their own.
export const NOT_APPLICATION_SOURCE =
  /\.d\.[cm]?ts$|(?:^|\/)(?:node_modules|vendor|site-packages|dist-packages|\.venv|venv|dist|build|out|target|coverage|__tests__|__mocks__|tests?|spec|e2e|fixtures|migrations)\/|(?:^|\/)(?:test_[^/]*\.py|[^/]*_test\.(?:py|go|rb)|[^/]*_spec\.rb|[^/]*\.(?:test|spec)\.[cm]?[jt]sx?|[^/]*Tests?\.(?:java|kt|cs))$/;
/** A repository this size is searched in the files read first; the model can search the rest. */
const MAX_FILES_SEARCHED = 4000;
const MAX_BYTES_SEARCHED = 32 * 1024 * 1024;
const MAX_SOURCE_BYTES = 1024 * 1024;
const MAX_NAMES_SEARCHED = 40;
/** Past this column a frame is in a minified line. */
const MINIFIED_COLUMN = 200;
/** An esbuild or webpack bundle keeps names of three letters and more; minifiers leave one or two. */
const NAMED = /^[A-Za-z_$][\w$]{2,100}$/;
const NOT_A_DEFINITION = new Set(['anonymous', 'Object', 'Module', 'Promise', 'async', 'new']);

/** The function a frame names, as the source would define it: `Pricing.requireLines` → `requireLines`. */
function definedName(frame: StackFrame): string | undefined {
  const fn = (frame.function ?? '').replace(/^(?:async|new) /, '').replace(/ \[as [^\]]*\]$/, '');
  const name = fn.slice(fn.lastIndexOf('.') + 1);
  return NAMED.test(name) && !NOT_A_DEFINITION.has(name) ? name : undefined;
}

/** The class a method frame names (`AppService.getHello` → `AppService`); undefined for others. */
function ownerClass(frame: StackFrame): string | undefined {
  const fn = (frame.function ?? '').replace(/^async /, '').replace(/ \[as [^\]]*\]$/, '');
  const dot = fn.lastIndexOf('.');
  const owner = dot > 0 ? fn.slice(fn.lastIndexOf('.', dot - 1) + 1, dot) : '';
  return /^[A-Z]/.test(owner) && NAMED.test(owner) && !NOT_A_DEFINITION.has(owner) ? owner : undefined;
}

/**
 * The definitions of a method narrowed to the file that defines its class: a NestJS controller's
 * `getHello` calls its service's `getHello`, and a bundle's frame names which (`AppService.getHello`).
 */
function inOwnerClass(
  found: readonly Definition[] | undefined,
  classes: readonly Definition[] | undefined,
): readonly Definition[] | undefined {
  if (!found || found.length < 2 || !classes) return found;
  const narrowed = found.filter((d) => classes.some((c) => c.path === d.path));
  return narrowed.length === 1 ? narrowed : found;
}

/**
 * The definitions of a name narrowed to the one at the bundle's own path, its extension aside:
 * serverless-esbuild bundles each function to its handler's path (`/var/task/src/functions/
 * deletePost/handler.js`), and each handler.ts of the Serverless template defines `handler`.
 */
function atFramePath(
  frame: StackFrame,
  found: readonly Definition[] | undefined,
): readonly Definition[] | undefined {
  if (!found || found.length < 2) return found;
  const stem = stripDeployPrefix(frame.file).replace(SOURCE_FILE, '');
  const narrowed = found.filter((d) => {
    const own = d.path.replace(SOURCE_FILE, '');
    return own === stem || own.endsWith(`/${stem}`);
  });
  return narrowed.length === 1 ? narrowed : found;
}

// esbuild renames a bundled symbol that collides with another of the bundle by appending a number
// (`normalizeEmail` → `normalizeEmail2`): a frame names the renamed function, the source the original.
const RENAMED = /^([A-Za-z_$][\w$]{2,100}?)\d{1,3}$/;

/** The name a bundler renamed (`handler2` → `handler`); undefined when it ends in no number. */
function withoutRenameSuffix(name: string): string | undefined {
  const base = RENAMED.exec(name)?.[1];
  return base !== undefined && NAMED.test(base) && !NOT_A_DEFINITION.has(base) ? base : undefined;
}

/**
 * A frame taken for compiled output of a source beside it (`dist/index.js` → `src/index.ts`) that
 * is a bundle built to that name (esbuild, tsup). tsc emits about a line per source line, its
 * helpers (`__awaiter`, `__importStar` …) a few dozen more, and the functions the source names:
 * a line well past the source's end, of a function the source does not name (or of an anonymous
 * one, past twice its length), is the bundle's.
 */
async function isBundleBesideSource(
  m: Extract<FrameMapping, { kind: 'mapped' }>,
  read: (path: string) => Promise<string | undefined>,
): Promise<boolean> {
  const line = m.frame.line;
  if (m.compiledFrom === undefined || line === undefined || line <= COMPILER_ADDED_LINES) return false;
  const text = await read(m.path);
  if (text === undefined) return false;
  const lines = text.split('\n', line).length;
  const name = definedName(m.frame);
  return name === undefined
    ? line > 2 * lines + COMPILER_ADDED_LINES
    : line > lines + COMPILER_ADDED_LINES && !text.includes(name);
}
/** Lines a compiler may add to a file's output beyond its source's (helpers, downlevelled code). */
const COMPILER_ADDED_LINES = 40;

/**
 * A frame matched by its basename alone whose file does not hold its line, its column or its
 * function: a bundle that shares a name with a repository file (`index.js`). Longer matches are
 * trusted.
 */
async function isOnlyBasenameMatch(
  m: Extract<FrameMapping, { kind: 'mapped' }>,
  read: (path: string) => Promise<string | undefined>,
): Promise<boolean> {
  if (m.compiledFrom !== undefined || m.bundledAt !== undefined) return false;
  const segments = stripDeployPrefix(m.frame.file).split('/');
  const path = m.path.split('/');
  if (segments.length > 1 && path.length > 1 && segments.at(-2) === path.at(-2)) return false;
  const text = await read(m.path);
  if (text === undefined) return false;
  const line = m.frame.line ?? 1;
  const lines = text.split('\n', line);
  const at = lines.length === line ? lines[line - 1] : undefined;
  const name = definedName(m.frame);
  return (
    at === undefined ||
    (m.frame.column !== undefined && m.frame.column > at.length + 1) ||
    (name !== undefined && !text.includes(name))
  );
}

/** Where a name is defined: a file and the line of the definition. */
interface Definition {
  path: string;
  line: number;
}

/** Where each name is defined (function, method, `const x = (…) =>`, class), in application source files. */
async function findDefinitions(
  names: ReadonlySet<string>,
  files: readonly string[],
  repo: RepoReader,
): Promise<Map<string, Definition[]>> {
  const alternation = [...names].join('|');
  // Each name is an identifier (checked by NAMED): nothing to escape but `$`.
  const escaped = alternation.replaceAll('$', '\\$');
  const definition = new RegExp(
    [
      `\\bfunction\\s*\\*?\\s*(${escaped})\\s*[<(]`,
      `\\b(?:const|let|var)\\s+(${escaped})\\s*(?::[^=\\n]{0,200})?=\\s*(?:async\\s*)?(?:function\\b|\\(|[A-Za-z_$][\\w$]*\\s*=>)`,
      `^[ \\t]*(?:(?:public|private|protected|static|async|override|readonly|export|default|get|set)\\s+)*(${escaped})\\s*(?:<[^>\\n]{0,100}>)?\\s*\\([^)\\n]{0,300}\\)\\s*(?::[^{\\n]{0,200})?\\{`,
      `\\b(${escaped})\\s*:\\s*(?:async\\s*)?(?:function\\b|\\([^)\\n]{0,300}\\)\\s*=>)`,
      `\\bclass\\s+(${escaped})\\b`,
    ].join('|'),
    'gm',
  );
  const found = new Map<string, Definition[]>();
  let searched = 0;
  let bytes = 0;
  for (const path of files) {
    if (!SOURCE_FILE.test(path) || NOT_APPLICATION_SOURCE.test(path)) continue;
    if (searched >= MAX_FILES_SEARCHED || bytes >= MAX_BYTES_SEARCHED) break;
    const text = await readText(repo, path);
    if (text === undefined) continue;
    searched += 1;
    bytes += text.length;
    const seen = new Set<string>();
    for (const match of text.matchAll(definition)) {
      const name = match.slice(1).find((group) => group !== undefined);
      if (!name || seen.has(name)) continue;
      seen.add(name);
      const line = text.slice(0, match.index).split('\n').length;
      const list = found.get(name) ?? [];
      list.push({ path, line });
      found.set(name, list);
    }
  }
  return found;
}
