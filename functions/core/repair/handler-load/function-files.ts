// What every runtime's reading of a handler-load failure shares: the repository's files as the
// function sees them (anchored on the files the report names), and the wording they have in common.
import type { ErrorRecord } from '../../contracts.ts';
import type { RepoReader } from '../../ports/repo-workspace.ts';
import { VENDORED_MANIFEST } from '../build-repair-prompt.ts';
import { VENDORED_REPO_DIR } from '../map-frames.ts';

/** What a runtime's report of a load failure is read from. */
export type LoadFailure = Pick<ErrorRecord, 'exceptionType' | 'message' | 'raw'>;

/** One runtime's reading of the reports it writes when a function's code does not load. */
export interface RuntimeReader {
  /**
   * `init` when `error` is this runtime's report that the function's code did not load, `later`
   * when it is a package missing at run time on Lambda (a lazy import), undefined otherwise.
   * `text` is the message and the raw lines together.
   */
  claims(error: LoadFailure, text: string): 'init' | 'later' | undefined;
  /** the function's own files the report names, relative to the deployed root */
  anchors(text: string): string[];
  /** what the failure means for this repository, or undefined when the repository cannot say */
  explain(text: string, files: FunctionFiles, repo: RepoReader): Promise<string | undefined>;
}

// Where Lambda unpacks the deployment package, and a file of it named in a message or a frame.
export const TASK_ROOT = '/var/task/';
const TASK_PATH = /\/var\/task\/([\w.@/-]{1,300}\.(?:py|js|mjs|cjs|rb))\b/g;
// Files of the function's a failure names, at most (a repository of many functions named alike).
const MAX_ANCHORS = 20;
// Manifests of dependencies, tests and examples are not the function's.
const isVendored = (path: string) => VENDORED_MANIFEST.test(path) || VENDORED_REPO_DIR.test(path);
const MAX_MANIFESTS_READ = 50;
const MAX_MANIFEST_DEPTH = 5;

/**
 * The repository's files as the function sees them. Anchored on the files of the function's that
 * the failure names (the handler's module, the paths under /var/task): in a repository of several
 * functions, a manifest or module is the function's only if it sits beside one of them or above it.
 */
export class FunctionFiles {
  readonly #files: readonly string[];
  readonly #set: ReadonlySet<string>;
  readonly #prefix: string;
  /** directories of the function's own files (repository paths, '' for the root), nearest first */
  readonly #anchorDirs: readonly string[];
  /** the anchors' directories and every directory above them, up to the root */
  readonly #scope: ReadonlySet<string> | undefined;

  constructor(files: readonly string[], pathPrefix: string, deployedPaths: readonly string[]) {
    const prefix = pathPrefix.replace(/^\/+|\/+$/g, '');
    this.#prefix = prefix === '' ? '' : `${prefix}/`;
    this.#files = files.filter((f) => f.startsWith(this.#prefix) || this.#prefix === '');
    this.#set = new Set(files);
    const anchors = new Set<string>();
    for (const deployed of deployedPaths) for (const file of this.#everywhere(deployed)) anchors.add(file);
    this.#anchorDirs = [...anchors].slice(0, MAX_ANCHORS).map(dirOf);
    if (this.#anchorDirs.length === 0) return;
    const scope = new Set<string>();
    for (let dir of this.#anchorDirs)
      for (;;) {
        scope.add(dir);
        if (dir === '') break;
        dir = dirOf(dir);
      }
    this.#scope = scope;
  }

  /** Whether the failure named a file of the function that the repository holds. */
  get isAnchored(): boolean {
    return this.#scope !== undefined;
  }

  /**
   * The directories of several functions the failure's files could be (several `app.py`, the
   * repository routed whole), or undefined when they name one function or none.
   */
  get ambiguity(): readonly string[] | undefined {
    const dirs = [...new Set(this.#anchorDirs)].sort();
    return dirs.length > 1 ? dirs : undefined;
  }

  /**
   * The first of `candidates` (paths relative to the deployed root) the repository holds: beside
   * the function's files, at the application's root, or (nothing anchoring it) anywhere in it.
   */
  find(candidates: readonly string[]): string | undefined {
    const roots = [...this.#anchorDirs.map((dir) => (dir === '' ? '' : `${dir}/`)), this.#prefix];
    for (const root of roots)
      for (const candidate of candidates)
        if (this.#set.has(`${root}${candidate}`)) return `${root}${candidate}`;
    return this.isAnchored ? undefined : this.findAnywhere(candidates);
  }

  /** The first of `candidates` anywhere in the application: a class's source under any source root. */
  findAnywhere(candidates: readonly string[]): string | undefined {
    for (const candidate of candidates) {
      const hit = this.#everywhere(candidate)[0];
      if (hit) return hit;
    }
    return undefined;
  }

  /** Manifests matching `pattern` that may be the function's, the nearest first. */
  manifests(pattern: RegExp): string[] {
    return this.#files
      .filter(
        (f) =>
          pattern.test(f) &&
          !isVendored(f) &&
          f.split('/').length <= MAX_MANIFEST_DEPTH &&
          (this.#scope === undefined || this.#scope.has(dirOf(f))),
      )
      .sort((a, b) => b.split('/').length - a.split('/').length || a.localeCompare(b))
      .slice(0, MAX_MANIFESTS_READ);
  }

  /** The application's files whose path ends with `relative`, the shortest first. */
  #everywhere(relative: string): string[] {
    return this.#files
      .filter(
        (f) =>
          (f === `${this.#prefix}${relative}` || f.endsWith(`/${relative}`)) && !VENDORED_REPO_DIR.test(f),
      )
      .sort((a, b) => a.length - b.length);
  }
}

/** What can be said of a missing package when the failure's files are several functions'. */
export function ambiguityOf(files: FunctionFiles, name: string, manifest: string): string | undefined {
  const dirs = files.ambiguity;
  if (!dirs) return undefined;
  const shown = dirs.slice(0, 3).map((dir) => dir || '(the root)');
  return `the deployment package lacks ${name}, and ${dirs.length} functions of the repository (${shown.join(', ')}${dirs.length > 3 ? ', …' : ''}) have the handler's file, so which manifest is this function's is not known: add ${name} to ${manifest} or, when they list it, make the build install them into the package. Give this log group the function's directory as its path prefix and the next diagnosis reads its own manifest`;
}

function dirOf(path: string): string {
  return path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
}

/** The function's own files a report names by their deployed paths (/var/task/…), a TypeScript source for a .js. */
export function taskPathsIn(text: string): string[] {
  return (
    [...text.matchAll(TASK_PATH)]
      .map((m) => m[1] as string)
      .filter((p) => !p.includes('node_modules/'))
      // compiled from TypeScript: the repository holds the source beside where the output went
      .flatMap((p) => (/\.[cm]?js$/.test(p) ? [p, p.replace(/js$/, 'ts')] : [p]))
  );
}

/** A handler setting that names a function its file does not define, or defines in the repository only. */
export function handlerNotDefined({
  setting,
  fn,
  file,
  defined,
  verb,
}: {
  setting: string;
  fn: string;
  file: string;
  defined: readonly string[];
  verb: 'define' | 'export';
}): string {
  if (defined.includes(fn))
    return `the handler setting '${setting}' names ${fn}, which ${file} in the repository defines: the deployed package holds another version of ${file}, or none, so deploy the current code`;
  const listed = defined.length > 0 ? ` (it defines ${defined.slice(0, 8).join(', ')})` : '';
  return `the handler setting '${setting}' names ${fn}, which ${file} does not ${verb}${listed}: point the setting at the function that handles events, or give it that name`;
}
