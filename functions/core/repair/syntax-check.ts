import type { ErrorRecord } from '../contracts.ts';
import type { RepoReader } from '../ports/repo-workspace.ts';
import type { ScriptGoal, SourceFile, SyntaxChecker, SyntaxFailure } from '../ports/syntax-checker.ts';
import { redact } from '../text/redact.ts';
import type { ChangedFile } from './edit-policy.ts';
import { NOT_APPLICATION_SOURCE, readText } from './place-bundled-frames.ts';

/**
 * What the JavaScript engine says about the repository's scripts, in two places of a repair: a fix
 * that leaves a file it edits unparseable is refused (and goes back to the model with the
 * engine's words), and a SyntaxError that names no file of the application (Lambda's
 * `Runtime.UserCodeSyntaxError`, an ES module's import) is placed in the file that fails the same
 * way. Only scripts Node runs as they are: `.js`, `.mjs`, `.cjs` (TypeScript and JSX are compiled
 * first, and a file that did not parse before an edit is not the edit's fault).
 */

const SCRIPT = /\.[cm]?js$/;
/** A repository this size is checked in the files listed first. */
const MAX_FILES_CHECKED = 2000;
const MAX_BYTES_CHECKED = 16 * 1024 * 1024;
/** Files an error is placed in at most: more that fail the same way say nothing about which. */
const MAX_PLACED = 3;
/** An ES module's failure is located with one more child process each: for this many at most. */
const MAX_LOCATED = 3;
/** The runtime's own types for a file that did not compile. */
const USER_CODE_SYNTAX_ERROR = 'Runtime.UserCodeSyntaxError';
const SYNTAX_ERROR_TYPES = new Set(['SyntaxError', USER_CODE_SYNTAX_ERROR]);
const MAX_QUOTED_LINE = 160;
/** V8's words for ES module syntax in a script compiled as CommonJS. */
const ESM_IN_COMMONJS =
  /^(?:Cannot use import statement outside a module|Unexpected token 'export'|Cannot use 'import\.meta' outside a module)$/;

/** Whether `path` is a script Node runs as it is. */
export const isScript = (path: string): boolean => SCRIPT.test(path);

/**
 * How Node loads each script: `.mjs` as an ES module, `.cjs` as CommonJS, `.js` by the `"type"`
 * of the nearest package.json above it. One reader per repository: each manifest is read once.
 */
export function goalReader(repo: RepoReader): (path: string) => Promise<ScriptGoal> {
  const typeOf = new Map<string, Promise<ScriptGoal | undefined>>();
  const manifestGoal = (dir: string): Promise<ScriptGoal | undefined> => {
    let known = typeOf.get(dir);
    if (!known) {
      known = readText(repo, dir === '' ? 'package.json' : `${dir}/package.json`).then((text) => {
        if (text === undefined) return undefined;
        try {
          const type = (JSON.parse(text) as { type?: unknown } | null)?.type;
          return type === 'module' ? 'module' : 'commonjs';
        } catch {
          // Node refuses to load beside a broken manifest; the parse of the file is no worse as CommonJS
          return 'commonjs';
        }
      });
      typeOf.set(dir, known);
    }
    return known;
  };
  return async (path) => {
    if (path.endsWith('.mjs')) return 'module';
    if (path.endsWith('.cjs')) return 'commonjs';
    let dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
    for (;;) {
      const goal = await manifestGoal(dir);
      if (goal) return goal;
      if (dir === '') return 'commonjs';
      dir = dir.includes('/') ? dir.slice(0, dir.lastIndexOf('/')) : '';
    }
  };
}

/**
 * The edited scripts that do not parse after the edits, each with its line and column. A script
 * that failed before in the same way (the same words at the same line of text: JSX or Flow in a
 * `.js` file, which Node cannot run either) is not the edit's doing and is left out, unless it is
 * one of `mustParse` (the files a SyntaxError was placed in: the fix is what makes them parse). A
 * checker that fails says nothing (an empty list): it never blocks a fix on its own failure.
 */
export async function brokenByEdits({
  files,
  repo,
  checker,
  mustParse = new Set(),
}: {
  files: readonly Pick<ChangedFile, 'path' | 'before' | 'afterText'>[];
  repo: RepoReader;
  checker: SyntaxChecker;
  mustParse?: ReadonlySet<string>;
}): Promise<SyntaxFailure[]> {
  const scripts = new Map(files.filter((f) => isScript(f.path)).map((f) => [f.path, f]));
  if (scripts.size === 0) return [];
  const goalOf = goalReader(repo);
  try {
    const goals = new Map(
      await Promise.all([...scripts.keys()].map(async (path) => [path, await goalOf(path)] as const)),
    );
    const version =
      (side: 'before' | 'afterText') =>
      (path: string): SourceFile => ({
        path,
        text: scripts.get(path)?.[side] ?? '',
        goal: goals.get(path) ?? 'commonjs',
      });
    let after = await checker.check([...scripts.keys()].map(version('afterText')));
    if (after.length === 0) return [];
    // ES module syntax in a file Node would load as CommonJS, before the edit too: written for a
    // bundler or a transpiler (webpack, Babel), so it is read as an ES module, the way that tool reads it.
    const suspects = after.filter((f) => goals.get(f.path) === 'commonjs' && ESM_IN_COMMONJS.test(f.message));
    if (suspects.length > 0) {
      const wasEsm = (await checker.check(suspects.map((f) => version('before')(f.path)))).filter((f) =>
        ESM_IN_COMMONJS.test(f.message),
      );
      for (const f of wasEsm) goals.set(f.path, 'module');
      if (wasEsm.length > 0) {
        const flipped = new Set(wasEsm.map((f) => f.path));
        const asModules = await checker.check([...flipped].map(version('afterText')));
        after = [...after.filter((f) => !flipped.has(f.path)), ...asModules];
        if (after.length === 0) return [];
      }
    }
    const failedAfter = await located(after, version('afterText'), checker);
    // Only a file that may have failed so before is checked before the edit.
    const excusable = failedAfter.filter((f) => !mustParse.has(f.path));
    const before =
      excusable.length > 0 ? await checker.check(excusable.map((f) => version('before')(f.path))) : [];
    const failedBefore = new Map((await located(before, version('before'), checker)).map((f) => [f.path, f]));
    return failedAfter.filter((f) => {
      const earlier = failedBefore.get(f.path);
      const file = scripts.get(f.path);
      if (!earlier || !file || mustParse.has(f.path)) return true;
      return !(
        earlier.message === f.message && lineAt(file.before, earlier.line) === lineAt(file.afterText, f.line)
      );
    });
  } catch {
    return [];
  }
}

/** The failures, those without a line located again (an ES module's), as far as the cap allows. */
async function located(
  failures: readonly SyntaxFailure[],
  sourceOf: (path: string) => SourceFile,
  checker: SyntaxChecker,
): Promise<SyntaxFailure[]> {
  let budget = MAX_LOCATED;
  const out: SyntaxFailure[] = [];
  for (const failure of failures) {
    if (failure.line !== undefined || budget === 0) {
      out.push(failure);
      continue;
    }
    budget -= 1;
    const again = await checker.locate(sourceOf(failure.path)).catch(() => undefined);
    out.push(
      again?.line !== undefined
        ? { ...failure, line: again.line, ...(again.column ? { column: again.column } : {}) }
        : failure,
    );
  }
  return out;
}

/** Line `line` (1-based) of `text`, when there is one. */
function lineAt(text: string, line: number | undefined): string | undefined {
  return line === undefined ? undefined : text.split('\n')[line - 1];
}

/** `path`, `path:line` or `path:line:column`. */
function positionOf(failure: SyntaxFailure): string {
  if (failure.line === undefined) return failure.path;
  return `${failure.path}:${failure.line}${failure.column ? `:${failure.column}` : ''}`;
}

/** A refusal's words for one file that no longer parses: where, the engine's message, the line itself. */
export function describeSyntaxFailure(failure: SyntaxFailure, text: string): string {
  const where = positionOf(failure);
  const line = lineAt(text, failure.line)?.trim();
  const quoted =
    line === undefined || line === ''
      ? ''
      : ` — the line reads \`${line.length > MAX_QUOTED_LINE ? `${line.slice(0, MAX_QUOTED_LINE)}…` : line}\``;
  return `${where} does not parse after the edit: SyntaxError: ${failure.message}${quoted}`;
}

export type SyntaxPlacement =
  /**
   * `location`: where, as `path:line:column` (several joined by `, `); `finding`: the same in the
   * engine's words, for the prompt (the fix must make these files parse)
   */
  | { kind: 'placed'; error: ErrorRecord; paths: string[]; location: string; finding: string }
  /** a candidate no file explains: why, for the no-fix reason */
  | { kind: 'unplaced'; reason: string }
  | { kind: 'not_applicable' };

/**
 * A SyntaxError that names no file of the application, placed in the repository's scripts that fail
 * to parse with the same message: those files become the innermost frames of the error (at the
 * engine's line and column), so the prompt shows them and the edit policy's 'trace' scope allows
 * them. For Lambda's report of a package that did not load, the one file that fails with other
 * words (another Node version words it differently) is taken too.
 */
export async function placeSyntaxError({
  error,
  repo,
  pathPrefix = '',
  checker,
}: {
  error: ErrorRecord;
  repo: RepoReader;
  pathPrefix?: string;
  checker: SyntaxChecker;
}): Promise<SyntaxPlacement> {
  if (!isUnplacedSyntaxError(error)) return { kind: 'not_applicable' };
  const prefix = pathPrefix.replace(/^\/+|\/+$/g, '');
  const under = prefix === '' ? '' : `${prefix}/`;
  const listed = (await repo.listFiles()).filter(
    (e) =>
      (e.kind === 'file' || e.kind === 'executable') &&
      isScript(e.path) &&
      e.path.startsWith(under) &&
      !NOT_APPLICATION_SOURCE.test(e.path.slice(under.length)),
  );
  const goalOf = goalReader(repo);
  const sources: SourceFile[] = [];
  let bytes = 0;
  for (const { path } of listed) {
    if (sources.length >= MAX_FILES_CHECKED || bytes >= MAX_BYTES_CHECKED) break;
    const text = await readText(repo, path);
    if (text === undefined) continue;
    bytes += text.length;
    sources.push({ path, text, goal: await goalOf(path) });
  }
  // Lambda's report says a file of the package did not load: the one script that fails is it,
  // whatever its words. A plain SyntaxError may come from code the application compiles itself
  // (`new Function`, `vm`): only a script failing with its very words is taken for it.
  const isLoadFailure = error.exceptionType === USER_CODE_SYNTAX_ERROR;
  const where = prefix === '' ? 'the repository' : `${prefix}/`;
  if (sources.length === 0)
    return isLoadFailure
      ? {
          kind: 'unplaced',
          reason: `the SyntaxError names no file, and ${where} holds no JavaScript file Node runs as it is (.js, .mjs, .cjs): the code Lambda loaded was built from other sources (TypeScript or a bundle: look at the build's output)`,
        }
      : { kind: 'not_applicable' };
  let failures: SyntaxFailure[];
  try {
    failures = await checker.check(sources);
  } catch {
    return { kind: 'not_applicable' };
  }
  const wanted = error.message.replace(/^SyntaxError: /, '');
  const same = failures.filter((f) => redact(f.message) === wanted);
  const chosen = same.length > 0 ? same : isLoadFailure && failures.length === 1 ? failures : [];
  // Not a file's, then: the trace's own explanation stands.
  if (chosen.length === 0 && !isLoadFailure) return { kind: 'not_applicable' };
  if (chosen.length === 0 || chosen.length > MAX_PLACED) {
    const n = sources.length;
    const reason =
      failures.length === 0
        ? `${n === 1 ? `the one JavaScript file of ${where} parses` : `all ${n} JavaScript files of ${where} parse`}, so the code Lambda loaded is not the code of the base branch: it was built from other sources (TypeScript or a bundle: look at the build's output), or deployed from another commit`
        : `${failures.length} of the ${n} JavaScript files of ${where} do not parse, and the message names none of them alone: ${failures
            .slice(0, 5)
            .map((f) => f.path)
            .join(', ')}`;
    return { kind: 'unplaced', reason: `the SyntaxError names no file, and ${reason}` };
  }
  const bySource = new Map(sources.map((s) => [s.path, s]));
  const placed = await located(chosen, (path) => bySource.get(path) as SourceFile, checker);
  // Innermost last, as the detector orders frames.
  const frames = placed.map((f) => ({
    file: f.path,
    ...(f.line !== undefined ? { line: f.line } : {}),
    ...(f.column !== undefined ? { column: f.column } : {}),
    inApp: true,
  }));
  const locations = placed.map(positionOf);
  return {
    kind: 'placed',
    error: { ...error, frames: [...error.frames, ...frames] },
    paths: placed.map((f) => f.path),
    location: locations.join(', '),
    finding: `The report names no file of the repository. Parsed here with Node's own parser, ${locations.join(', ')} ${locations.length === 1 ? 'fails' : 'fail'} to parse with this message (SyntaxError: ${redact(placed[0]?.message ?? '')}): that is what the runtime could not load. A fix must leave ${locations.length === 1 ? 'it' : 'them'} parsing; a fix that does not parse is refused.`,
  };
}

/**
 * A JavaScript SyntaxError whose innermost frame is not the application's: the engine compiled a file
 * the trace does not name (JSON.parse's errors name JSON and are never a file's).
 */
function isUnplacedSyntaxError(error: ErrorRecord): boolean {
  if (error.language !== 'javascript' || !SYNTAX_ERROR_TYPES.has(error.exceptionType)) return false;
  if (error.message.includes('JSON')) return false;
  return !(error.frames.at(-1)?.inApp ?? false);
}
