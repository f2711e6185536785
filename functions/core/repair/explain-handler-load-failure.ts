import type { ErrorRecord } from '../contracts.ts';
import { HANDLER_NOT_FOUND, IMPORT_MODULE_ERROR, LOAD_FAILURE_TYPES } from '../detect/lambda-platform.ts';
import type { RepoReader } from '../ports/repo-workspace.ts';

/**
 * Lambda could not load the function's code: its module imports a package the deployment package
 * lacks, the handler setting names a function the module does not define, or the setting is not
 * `module.function` at all. The runtime reports these before any line of the application ran, with
 * no trace into it, and the fix is rarely a line of code: it is the dependency manifest, the build
 * that makes the package, or the function's configuration. The repository says which, so the
 * incident is closed with that diagnosis and no model call.
 */

// Python: `Unable to import module 'lambda_function': No module named 'requests'`.
const PY_NO_MODULE = /No module named '([\w.]{1,200})'/;
const PY_HANDLER_MODULE = /Unable to import module '([\w./-]{1,300})'/;
// `cannot import name 'price' from 'orders.pricing' (/var/task/orders/pricing.py)`, and the same
// `from partially initialized module '…' (most likely due to a circular import)`.
const PY_CANNOT_IMPORT =
  /cannot import name '(\w{1,200})' from (partially initialized module )?'([\w.]{1,300})'/;
// Node: `Error: Cannot find module 'axios'\nRequire stack:\n- /var/task/index.js` (CommonJS) and
// `Cannot find package 'axios' imported from /var/task/index.mjs` (ES modules).
const NODE_NOT_FOUND = /Cannot find (?:module|package) '([^'\n]{1,300})'(?: imported from (\S{1,500}))?/;
// The first module of the require stack (its line breaks escaped when the raw line is JSON).
const REQUIRE_STACK_FIRST = /Require stack:(?:\s|\\n){1,10}- ([^\s"\\]{1,500})/;
// Python: `Handler 'handler' missing on module 'lambda_function'`; Node: `index.handler is undefined or not exported`.
const PY_HANDLER_MISSING = /Handler '([\w]{1,200})' missing on module '([\w./-]{1,300})'/;
const NODE_HANDLER_MISSING = /([\w./-]{1,300})\.([\w$]{1,200}) is undefined or not exported/;
const BAD_HANDLER = /Bad handler '([^'\n]{0,300})'/;
// Java (aws-lambda-java-runtime-interface-client): `Class not found: example.Hello`, `Error loading
// class example.Hello: com/fasterxml/jackson/databind/ObjectMapper` (a class the jar lacks),
// `No public method named handle with appropriate method signature found on class example.Hello`.
const JAVA_CLASS_NOT_FOUND = /Class not found: ([\w.$]{1,300})/;
const JAVA_CLASS_MISSING =
  /Error loading class [\w.$]{1,300}: ([\w$]{1,100}(?:\/[\w$]{1,100}){1,30})(?![\w$/])/;
const JAVA_NO_METHOD =
  /No public method named ([\w$]{1,200}) with appropriate method signature found on class ([\w.$]{1,300})/;
const JAVA_HANDLER_CLASS = /(?:Error loading class|Class not found:|found on class) ([\w.$]{1,300})/;
const JVM_SOURCES = ['java', 'kt', 'scala', 'groovy'];
// Ruby (aws_lambda_ric): `cannot load such file -- httparty` (Init<LoadError>), and the method a
// handler names called on the runtime's own object: ``undefined method `handler' for
// #<LambdaHandler:0x… @handler_file_name="lambda_function", @handler_method_name="handler">``.
const RUBY_CANNOT_LOAD = /cannot load such file -- (\S{1,300})/;
const RUBY_NO_HANDLER =
  /undefined method [`']([\w?!]{1,200})' for #<LambdaHandler[^>\n]{0,300}@handler_file_name=\\?"([\w./-]{1,300})\\?"/;
const RUBY_MANIFEST = /(?:^|\/)(?:Gemfile|[\w.-]{1,100}\.gemspec)$/;
const JVM_BUILD = /(?:^|\/)(?:pom\.xml|build\.gradle(?:\.kts)?|build\.sbt)$/;
// Where Lambda unpacks the deployment package, and a file of it named in a message or a frame.
const TASK_ROOT = '/var/task/';
const TASK_PATH = /\/var\/task\/([\w.@/-]{1,300}\.(?:py|js|mjs|cjs|rb))\b/g;
// A frame in the function's own code (Ruby's `/var/task/lambda_function.rb:2:in …`).
const TASK_FRAME = /\/var\/task\/[^\s"'`]{1,300}:\d{1,9}:in /;
// Files of the function's a failure names, at most (a repository of many functions named alike).
const MAX_ANCHORS = 20;

/** Import names whose distribution is named otherwise (the ones Lambda users meet most). */
const PY_DISTRIBUTIONS: Readonly<Record<string, string>> = {
  yaml: 'PyYAML',
  PIL: 'Pillow',
  cv2: 'opencv-python',
  sklearn: 'scikit-learn',
  bs4: 'beautifulsoup4',
  dateutil: 'python-dateutil',
  jwt: 'PyJWT',
  dotenv: 'python-dotenv',
  Crypto: 'pycryptodome',
  jose: 'python-jose',
  attr: 'attrs',
  docx: 'python-docx',
};

const PY_MANIFEST =
  /(?:^|\/)(?:requirements[\w.-]{0,60}\.(?:txt|in)|pyproject\.toml|Pipfile|setup\.cfg|setup\.py)$/;
const NODE_MANIFEST = /(?:^|\/)package\.json$/;
// Installed dependencies: never the application's own files.
const DEPENDENCIES = /(?:^|\/)(?:node_modules|vendor|site-packages|\.venv|venv)\//;
// Manifests of dependencies, tests and examples are not the function's.
const VENDORED =
  /(?:^|\/)(?:node_modules|vendor|site-packages|\.venv|venv|test|tests|__tests__|fixtures?|examples?|testdata)\//;
const MAX_MANIFESTS_READ = 50;
const MAX_MANIFEST_DEPTH = 5;
const MAX_SOURCE_BYTES = 512 * 1024;

type LoadFailure = Pick<ErrorRecord, 'exceptionType' | 'message' | 'raw'>;

/**
 * Why Lambda could not load the function, read against the repository, or undefined when `error`
 * is no such failure or its message names nothing the repository can answer for.
 */
export async function explainHandlerLoadFailure({
  error,
  repo,
  pathPrefix = '',
}: {
  error: LoadFailure;
  repo: RepoReader;
  pathPrefix?: string;
}): Promise<string | undefined> {
  const { exceptionType } = error;
  const text = `${error.message}\n${error.raw}`;
  const java =
    (exceptionType === 'java.lang.ClassNotFoundException' && JAVA_CLASS_NOT_FOUND.test(text)) ||
    (exceptionType === 'java.lang.NoClassDefFoundError' && JAVA_CLASS_MISSING.test(text));
  const ruby =
    (exceptionType === 'LoadError' &&
      RUBY_CANNOT_LOAD.test(error.message) &&
      (text.includes(TASK_ROOT) || text.includes('Init<LoadError>'))) ||
    (exceptionType === 'NoMethodError' && RUBY_NO_HANDLER.test(text));
  const atInit = LOAD_FAILURE_TYPES.has(exceptionType) || java || ruby;
  // A package missing later (a lazy import in the handler, an ES module's import) is the same
  // failure, when the code runs on Lambda (from /var/task): elsewhere there is no deployment package.
  const missingLater =
    ((exceptionType === 'ModuleNotFoundError' && PY_NO_MODULE.test(error.message)) ||
      (exceptionType === 'Error' && NODE_NOT_FOUND.test(error.message))) &&
    text.includes(TASK_ROOT);
  if (!atInit && !missingLater) return undefined;
  const missing = missingLater || exceptionType === IMPORT_MODULE_ERROR;
  const files = (await repo.listFiles())
    .filter((e) => e.kind === 'file' || e.kind === 'executable')
    .map((e) => e.path);
  const tree = new Tree(files, pathPrefix, deployedPathsIn(text));
  let diagnosis: string | undefined;
  if (java || JAVA_NO_METHOD.test(text)) diagnosis = await javaLoadFailure(text, tree, repo);
  else if (ruby) diagnosis = await rubyLoadFailure(text, tree, repo);
  else if (missing) diagnosis = await missingModule(text, tree, repo);
  else if (exceptionType === HANDLER_NOT_FOUND) diagnosis = await missingHandler(text, tree, repo);
  else {
    const setting = BAD_HANDLER.exec(text)?.[1];
    diagnosis = `the function's handler setting${setting === undefined ? '' : ` '${setting}'`} is not \`<file>.<function>\` (for example lambda_function.lambda_handler or index.handler). It is part of the function's configuration (the infrastructure code or the console), not of the application's code`;
  }
  const what = atInit
    ? "Lambda could not load the function's code, before any of it ran"
    : 'the code imports a module the deployment package does not hold';
  return diagnosis === undefined
    ? undefined
    : `no fix was attempted: ${what} — ${diagnosis} (no model call was made)`;
}

/**
 * The repository's files as the function sees them. Anchored on the files of the function's that
 * the failure names (the handler's module, the paths under /var/task): in a repository of several
 * functions, a manifest or module is the function's only if it sits beside one of them or above it.
 */
class Tree {
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
          !VENDORED.test(f) &&
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
        (f) => (f === `${this.#prefix}${relative}` || f.endsWith(`/${relative}`)) && !DEPENDENCIES.test(f),
      )
      .sort((a, b) => a.length - b.length);
  }
}

/** What can be said of a missing package when the failure's files are several functions'. */
function ambiguityOf(tree: Tree, name: string, manifest: string): string | undefined {
  const dirs = tree.ambiguity;
  if (!dirs) return undefined;
  const shown = dirs.slice(0, 3).map((dir) => dir || '(the root)');
  return `the deployment package lacks ${name}, and ${dirs.length} functions of the repository (${shown.join(', ')}${dirs.length > 3 ? ', …' : ''}) have the handler's file, so which manifest is this function's is not known: add ${name} to ${manifest} or, when they list it, make the build install them into the package. Give this log group the function's directory as its path prefix and the next diagnosis reads its own manifest`;
}

function dirOf(path: string): string {
  return path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
}

/** The function's own files a failure names: the handler's module, and its paths under /var/task. */
function deployedPathsIn(text: string): string[] {
  const paths = [...text.matchAll(TASK_PATH)]
    .map((m) => m[1] as string)
    .filter((p) => !p.includes('node_modules/'))
    // compiled from TypeScript: the repository holds the source beside where the output went
    .flatMap((p) => (/\.[cm]?js$/.test(p) ? [p, p.replace(/js$/, 'ts')] : [p]));
  const handlerModule = PY_HANDLER_MODULE.exec(text)?.[1] ?? PY_HANDLER_MISSING.exec(text)?.[2];
  if (handlerModule !== undefined) paths.push(`${handlerModule.replace(/\./g, '/')}.py`);
  const handlerClass = JAVA_HANDLER_CLASS.exec(text)?.[1];
  if (handlerClass !== undefined) paths.push(...jvmSources(handlerClass));
  return [...new Set(paths)];
}

async function readText(repo: RepoReader, path: string): Promise<string> {
  const bytes = await repo.readFile(path);
  if (!bytes || bytes.length > MAX_SOURCE_BYTES) return '';
  return new TextDecoder().decode(bytes);
}

async function missingModule(text: string, tree: Tree, repo: RepoReader): Promise<string | undefined> {
  const python = PY_NO_MODULE.exec(text);
  if (python?.[1]) {
    const handlerModule = PY_HANDLER_MODULE.exec(text)?.[1];
    if (handlerModule !== undefined && handlerModule.replace(/\//g, '.') === python[1])
      return missingHandlerModule(handlerModule, tree);
    return missingPythonModule(python[1], tree, repo);
  }
  const name = PY_CANNOT_IMPORT.exec(text);
  if (name?.[1] && name[3]) return missingPythonName(name[1], name[3], name[2] !== undefined, tree, repo);
  const node = NODE_NOT_FOUND.exec(text);
  // An ES module imported without its extension: Node names the fix, a line of the importer the
  // model is shown (`Did you mean to import "./lib/config.js"?`).
  if (!node?.[1] || text.includes('Did you mean to import')) return undefined;
  const importer = node[2] ?? REQUIRE_STACK_FIRST.exec(text)?.[1];
  return missingNodeModule(node[1], importer, tree, repo);
}

/** A name one module imports from another of the repository, which that module does not define. */
async function missingPythonName(
  name: string,
  module: string,
  isCircular: boolean,
  tree: Tree,
  repo: RepoReader,
): Promise<string | undefined> {
  const path = module.replace(/\./g, '/');
  const file = tree.find([`${path}.py`, `${path}/__init__.py`]);
  if (!file) return undefined;
  if (isCircular)
    return `${file} was still being imported when an import of ${name} from it ran: a circular import (a module it imports, directly or not, imports it back). Move the shared code to a module both import, or import inside the function that needs it`;
  const defined = pythonTopLevelNames(await readText(repo, file));
  if (defined.includes(name))
    return `the code imports ${name} from ${file}, which defines it in the repository: the deployed package holds another version of ${file}, so deploy the current code`;
  const listed = defined.length > 0 ? ` (it defines ${defined.slice(0, 8).join(', ')})` : '';
  return `the code imports ${name} from ${file}, which does not define it${listed}: it was renamed or removed, and an import of it was left behind`;
}

/** `Unable to import module 'lambda_function': No module named 'lambda_function'`. */
function missingHandlerModule(module: string, tree: Tree): string {
  const file = `${module.replace(/\./g, '/')}.py`;
  const own = tree.find([file]);
  return own
    ? `the handler's own module, ${file}, is not at the root of the deployed package, though the repository holds it (${own}): a zip made of its folder, rather than of the folder's contents, puts it one level down; or the build packages another directory`
    : `the handler setting names the module ${module}, which neither the deployed package nor the repository holds (${file}): check the setting, and the log group's routing and path prefix`;
}

async function missingPythonModule(
  module: string,
  tree: Tree,
  repo: RepoReader,
): Promise<string | undefined> {
  const top = module.split('.')[0] as string;
  // `pydantic_core._pydantic_core`: the package is there, its compiled part is not loadable here.
  if (
    module
      .split('.')
      .slice(1)
      .some((part) => part.startsWith('_'))
  )
    return `'${module}' is the compiled part of ${top}: the package was deployed, built for another platform or Python version than the function's. Install it for Lambda's (pip install --platform manylinux2014_x86_64, or manylinux2014_aarch64 for arm64, --only-binary=:all: --python-version <the runtime's> -t <package dir>)`;
  const own = tree.find([`${top}.py`, `${top}/__init__.py`]);
  const full = module.replace(/\./g, '/');
  // `orders.pricng`: the repository's own package has no such module, a mistake in the code.
  if (own && module !== top && !tree.find([`${full}.py`, `${full}/__init__.py`])) return undefined;
  if (own)
    return `'${top}' is the repository's own module (${own}), and the deployed package does not hold it: check what the build copies into the package (its source directory, CodeUri, or asset path)`;
  const distribution = PY_DISTRIBUTIONS[top] ?? top;
  const named = distribution === top ? '' : ` (the distribution that provides '${top}' is ${distribution})`;
  const ambiguous = ambiguityOf(tree, `${distribution}${named}`, "the function's requirements");
  if (ambiguous) return ambiguous;
  for (const manifest of tree.manifests(PY_MANIFEST))
    if (listsRequirement(await readText(repo, manifest), distribution))
      return `${manifest} lists ${distribution}${named}, so the deployment package was built without it: the build has to install the requirements into the package (pip install -r requirements.txt -t <package dir>) or a layer has to provide them`;
  const where = tree.isAnchored ? "beside the function's code or above it" : 'of the repository';
  return `no requirements file ${where} (requirements.txt, pyproject.toml, Pipfile, setup.py) lists ${distribution}${named}, which the code imports: add it to the one the build installs from`;
}

/** Whether a Python manifest names the distribution as a requirement (names compared as PEP 503 normalises them). */
function listsRequirement(manifest: string, distribution: string): boolean {
  const normalise = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-');
  const wanted = normalise(distribution);
  // A requirement starts a line or follows a quote: `requests==2.32`, `"requests>=2",`, `requests = "*"`.
  for (const match of manifest.matchAll(/(?:^|["'])[ \t]*([A-Za-z0-9][A-Za-z0-9._-]{0,100})/gm))
    if (normalise(match[1] as string) === wanted) return true;
  return false;
}

async function missingNodeModule(
  specifier: string,
  importer: string | undefined,
  tree: Tree,
  repo: RepoReader,
): Promise<string> {
  if (specifier.startsWith('.') || specifier.startsWith('/'))
    return missingNodeFile(specifier, importer, tree);
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
  // Appended to every diagnosis of it: a function moved to a newer runtime meets this first.
  const runtimeSdk =
    name === 'aws-sdk'
      ? ". The nodejs18.x and later runtimes include the AWS SDK for JavaScript v3 (@aws-sdk/client-*), not v2's aws-sdk, which a function on them has to bring itself"
      : '';
  const ambiguous = ambiguityOf(tree, name, "the function's package.json dependencies");
  if (ambiguous) return `${ambiguous}${runtimeSdk}`;
  for (const manifest of tree.manifests(NODE_MANIFEST)) {
    let json: unknown;
    try {
      json = JSON.parse(await readText(repo, manifest));
    } catch {
      continue;
    }
    const section = (key: string) => {
      const deps = (json as Record<string, unknown> | null)?.[key];
      return typeof deps === 'object' && deps !== null && Object.hasOwn(deps, name);
    };
    if (section('dependencies') || section('optionalDependencies'))
      return `${manifest} lists ${name} in its dependencies, so the deployment package was built without it: node_modules was left out of the package, or a bundler marked ${name} external. Bundle it, or install the production dependencies into the package${runtimeSdk}`;
    if (section('devDependencies'))
      return `${manifest} lists ${name} only in devDependencies, which a production install (npm ci --omit=dev) and most packaging steps leave out: move it to dependencies${runtimeSdk}`;
    if (section('peerDependencies'))
      return `${manifest} lists ${name} only as a peer dependency, which nothing installs for the function: add it to dependencies${runtimeSdk}`;
  }
  const where = tree.isAnchored ? "beside the function's code or above it" : 'of the repository';
  return `no package.json ${where} lists ${name}, which the code imports: add it to dependencies${runtimeSdk}`;
}

function missingNodeFile(specifier: string, importer: string | undefined, tree: Tree): string {
  const deployed = (path: string) => (path.startsWith(TASK_ROOT) ? path.slice(TASK_ROOT.length) : undefined);
  const importerPath = importer?.startsWith('file://') ? importer.slice('file://'.length) : importer;
  const from = importerPath === undefined ? undefined : deployed(importerPath);
  let target: string | undefined;
  if (specifier.startsWith('/')) target = deployed(specifier);
  else if (from !== undefined)
    target = joinPosix(from.includes('/') ? from.slice(0, from.lastIndexOf('/')) : '', specifier);
  if (target === undefined)
    return `the code imports '${specifier}', which the deployment package does not hold`;
  const stem = target.replace(/\.(?:c|m)?js$/, '');
  const own = tree.find([
    target,
    `${stem}.js`,
    `${stem}.mjs`,
    `${stem}.cjs`,
    `${stem}.json`,
    `${stem}.ts`,
    `${stem}/index.js`,
  ]);
  const who = from ?? 'the code';
  return own
    ? `${who} imports '${specifier}', which is in the repository (${own}) but not in the deployed package: check what the build copies into it (a TypeScript file has to be compiled or bundled first)`
    : `${who} imports '${specifier}', which the repository does not hold either: the import names a file that does not exist`;
}

function joinPosix(dir: string, relative: string): string | undefined {
  const out = dir === '' ? [] : dir.split('/');
  for (const part of relative.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(part);
  }
  return out.join('/');
}

async function missingHandler(text: string, tree: Tree, repo: RepoReader): Promise<string | undefined> {
  const python = PY_HANDLER_MISSING.exec(text);
  const node = python ? undefined : NODE_HANDLER_MISSING.exec(text);
  const [module, fn] = python ? [python[2], python[1]] : node ? [node[1], node[2]] : [];
  if (module === undefined || fn === undefined) return undefined;
  const setting = `${module}.${fn}`;
  const candidates = python
    ? [`${module.replace(/\./g, '/')}.py`]
    : ['.js', '.mjs', '.cjs', '.ts'].map((ext) => `${module}${ext}`);
  const file = tree.find(candidates);
  if (!file)
    return `the handler setting '${setting}' names a module the repository does not hold (${candidates[0]}): check the setting, and the log group's routing and path prefix`;
  const source = await readText(repo, file);
  const defined = python ? pythonFunctions(source) : nodeExports(source);
  if (defined.includes(fn))
    return `the handler setting '${setting}' names ${fn}, which ${file} in the repository defines: the deployed package holds another version of ${file}, or none, so deploy the current code`;
  const listed = defined.length > 0 ? ` (it defines ${defined.slice(0, 8).join(', ')})` : '';
  return `the handler setting '${setting}' names ${fn}, which ${file} does not ${python ? 'define' : 'export'}${listed}: point the setting at the function that handles events, or give it that name`;
}

/** The Ruby runtime could not load the handler's file or a gem it requires, or call its method. */
async function rubyLoadFailure(text: string, tree: Tree, repo: RepoReader): Promise<string | undefined> {
  const noHandler = RUBY_NO_HANDLER.exec(text);
  if (noHandler?.[1] && noHandler[2]) {
    const [, method, fileName] = noHandler;
    const file = tree.find([`${fileName}.rb`]);
    if (!file)
      return `the handler setting names ${fileName}.${method}, a file the repository does not hold (${fileName}.rb): check the setting and the log group's routing`;
    const defined = [...(await readText(repo, file)).matchAll(/^\s*def\s+(?:self\.)?([\w?!]{1,200})/gm)].map(
      (m) => m[1] as string,
    );
    if (defined.includes(method))
      return `the handler setting names ${fileName}.${method}, which ${file} in the repository defines: the deployed package holds another version of it, so deploy the current code`;
    const listed = defined.length > 0 ? ` (it defines ${defined.slice(0, 8).join(', ')})` : '';
    return `the handler setting names ${fileName}.${method}, and ${file} defines no ${method}${listed}: point the setting at the method that handles events`;
  }
  const name = RUBY_CANNOT_LOAD.exec(text)?.[1];
  if (!name) return undefined;
  // `require_relative 'lib/orders'`: a file of the package's own, by its deployed path.
  if (name.startsWith(TASK_ROOT)) {
    const relative = `${name.slice(TASK_ROOT.length).replace(/\.rb$/, '')}.rb`;
    const own = tree.find([relative]);
    return own
      ? `the code requires ${relative}, which is in the repository (${own}) but not in the deployed package: check what the build copies into it`
      : `the code requires ${relative}, which the repository does not hold either: the require names a file that does not exist`;
  }
  // Lambda requires the handler's file itself with no frame of the function's before it.
  if (!TASK_FRAME.test(text)) {
    const own = tree.find([`${name}.rb`]);
    return own
      ? `the handler's own file, ${name}.rb, is not at the root of the deployed package, though the repository holds it (${own}): a zip made of its folder, rather than of the folder's contents, puts it one level down`
      : `the handler setting names the file ${name}.rb, which neither the deployed package nor the repository holds: check the setting (file.method) and the log group's routing`;
  }
  const gem = name.split('/')[0] as string;
  const normalise = (value: string) => value.toLowerCase().replace(/[-_]/g, '');
  for (const manifest of tree.manifests(RUBY_MANIFEST)) {
    const gems = [
      ...(await readText(repo, manifest)).matchAll(
        /\b(?:gem|add_(?:runtime_)?dependency)\s*\(?\s*["']([\w.-]{1,100})["']/g,
      ),
    ];
    if (gems.some((m) => normalise(m[1] as string) === normalise(gem)))
      return `${manifest} lists ${gem}, so the deployment package was built without it: install the bundle into the package (bundle config set --local path vendor/bundle; bundle install) and zip vendor/ with the code, or let a layer provide it`;
  }
  const where = tree.isAnchored ? "beside the function's code or above it" : 'of the repository';
  return `no Gemfile ${where} lists ${gem}, which the code requires: add gem '${gem}' to the one the build installs from`;
}

/** `example.Hello$Inner` → `example/Hello.java`, `.kt`, …: where its source would be under a source root. */
function jvmSources(className: string): string[] {
  const path = className.replace(/\$.*$/, '').replace(/\./g, '/');
  return JVM_SOURCES.map((ext) => `${path}.${ext}`);
}

/** The Java runtime could not load the handler's class, a class it uses, or the handler's method. */
async function javaLoadFailure(text: string, tree: Tree, repo: RepoReader): Promise<string | undefined> {
  const noMethod = JAVA_NO_METHOD.exec(text);
  if (noMethod?.[1] && noMethod[2]) {
    const [, method, cls] = noMethod;
    const file = tree.findAnywhere(jvmSources(cls));
    if (!file)
      return `the handler setting names the method ${method} of ${cls}, a class the repository does not define: check the setting (package.Class::method) and the log group's routing`;
    const methods = jvmPublicMethods(await readText(repo, file));
    if (methods.includes(method))
      return `the handler setting names ${cls}::${method}, which ${file} in the repository defines: the deployed jar holds another version of the class, so deploy the current build`;
    const listed = methods.length > 0 ? ` (its public methods: ${methods.slice(0, 8).join(', ')})` : '';
    return `the handler setting names ${cls}::${method}, and ${file} has no public method ${method} a handler can be${listed}: point the setting at the method that handles events`;
  }
  const notFound = JAVA_CLASS_NOT_FOUND.exec(text)?.[1];
  if (notFound) {
    const file = tree.findAnywhere(jvmSources(notFound));
    return file
      ? `the handler setting names ${notFound}, which the repository defines (${file}), and the deployed package does not hold its compiled class: deploy the jar or zip the build makes, not the sources or another module's artifact`
      : `the handler setting names the class ${notFound}, which the repository does not define: check the setting (package.Class::method) and the log group's routing`;
  }
  const missing = JAVA_CLASS_MISSING.exec(text)?.[1];
  if (!missing) return undefined;
  const cls = missing.replace(/\//g, '.');
  const own = tree.findAnywhere(jvmSources(cls));
  if (own)
    return `${cls} is the repository's own class (${own}), and the deployed jar does not hold it: package every module the function uses into the artifact Lambda runs`;
  const pkg = cls.split('.').slice(0, -1);
  const builds = tree.manifests(JVM_BUILD);
  for (const build of builds) {
    // The likeliest: the most words of the package in its artifact (aws-lambda-java-events over
    // aws-lambda-java-core for …lambda.runtime.events); a BOM holds no classes.
    let dependency: JvmDependency | undefined;
    let best = 0;
    for (const d of declaredDependencies(await readText(repo, build))) {
      const score = d.artifact === 'bom' || d.artifact.endsWith('-bom') ? 0 : provides(d, pkg);
      if (score > best) [dependency, best] = [d, score];
    }
    if (dependency)
      return `${build} declares ${dependency.group}:${dependency.artifact}, which would provide ${cls}, and the deployed jar does not hold it: Lambda runs one jar with every dependency in it (the maven-shade-plugin, Gradle's shadow plugin) or a zip with them in lib/, and a dependency of scope provided (or compileOnly) is left out`;
  }
  const where = builds.length > 0 ? `(${builds.slice(0, 3).join(', ')})` : '(pom.xml, build.gradle)';
  return `no build file of the function ${where} declares a dependency that provides ${pkg.join('.')}, whose class ${cls.split('.').at(-1)} its code uses: add the one that does`;
}

interface JvmDependency {
  group: string;
  artifact: string;
}

/** The dependencies a pom.xml, build.gradle(.kts) or build.sbt declares, as far as its text says plainly. */
function declaredDependencies(build: string): JvmDependency[] {
  const found: JvmDependency[] = [];
  const patterns = [
    /<groupId>\s*([\w.-]{1,200})\s*<\/groupId>\s*<artifactId>\s*([\w.-]{1,200})\s*<\/artifactId>/g,
    /["']([\w.-]{1,200}):([\w.-]{1,200})(?::[^"'\n]{0,100})?["']/g,
    /"([\w.-]{1,200})"\s*%%?\s*"([\w.-]{1,200})"/g,
  ];
  for (const pattern of patterns)
    for (const m of build.matchAll(pattern)) found.push({ group: m[1] as string, artifact: m[2] as string });
  return found;
}

/**
 * How likely a dependency holds a package's classes, 0 for not at all: its group shares the
 * package's first three segments (com.fasterxml.jackson.core for com.fasterxml.jackson.databind),
 * or is a shorter prefix of it and its artifact names a word of the rest (com.amazonaws's
 * aws-lambda-java-events for com.amazonaws.services.lambda.runtime.events); each word of the
 * package its artifact names counts more.
 */
function provides({ group, artifact }: JvmDependency, pkg: readonly string[]): number {
  const segments = group.split('.');
  const shared = segments.findIndex((segment, i) => segment !== pkg[i]);
  const common = shared === -1 ? segments.length : shared;
  const rest = new Set(pkg.slice(Math.min(common, 2)).map((word) => word.toLowerCase()));
  const named = artifact
    .toLowerCase()
    .split(/[-_.]/)
    .filter((word) => word.length >= 4 && rest.has(word)).length;
  const isGroupOfPackage = common >= 2 && common === segments.length;
  if (common >= 3 || (isGroupOfPackage && (named > 0 || common === pkg.length))) return named * 10 + common;
  return 0;
}

/** The public methods a Java, Kotlin or Scala source declares, as far as its text says plainly. */
function jvmPublicMethods(source: string): string[] {
  const names = new Set<string>();
  for (const m of source.matchAll(
    /\bpublic\s+(?:(?:static|final|synchronized|abstract|default)\s+)*(?:<[^>\n]{1,200}>\s+)?[\w.<>[\],? ]{1,200}?\s+([\w$]{1,200})\s*\(/g,
  ))
    names.add(m[1] as string);
  // Kotlin and Scala: public unless said otherwise
  for (const m of source.matchAll(/^\s*(?:override\s+)?(?:fun|def)\s+([\w$]{1,200})\s*[([]/gm))
    names.add(m[1] as string);
  return [...names];
}

/** The names a Python module defines at its top level: functions, classes, assignments, imports. */
function pythonTopLevelNames(source: string): string[] {
  const names = new Set<string>();
  for (const m of source.matchAll(
    /^(?:(?:async[ \t]+)?def|class)[ \t]+([A-Za-z_]\w{0,100})|^([A-Za-z_]\w{0,100})[ \t]*(?::[^=\n]{0,200})?=(?!=)/gm,
  ))
    names.add((m[1] ?? m[2]) as string);
  // `from x import a, b as c` binds a and c; `import os.path` binds os.
  for (const m of source.matchAll(/^(?:from[ \t]+[\w.]{1,200}[ \t]+)?import[ \t]+\(?([^)\n]{1,2000})/gm))
    for (const part of (m[1] as string).split(',')) {
      const bound = /(?:\sas\s+)?(\w+)(?:\.[\w.]*)?\s*$/.exec(part.trim())?.[1];
      if (bound) names.add(bound);
    }
  return [...names];
}

/** The module-level functions of a Python file. */
function pythonFunctions(source: string): string[] {
  return [...source.matchAll(/^(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w{0,100})/gm)].map((m) => m[1] as string);
}

/** The names a JavaScript or TypeScript module exports, as far as its text says plainly. */
function nodeExports(source: string): string[] {
  const names = new Set<string>();
  const add = (name: string | undefined) => {
    if (name) names.add(name);
  };
  for (const m of source.matchAll(/\b(?:module\.)?exports\.([\w$]{1,100})\s*=/g)) add(m[1]);
  for (const m of source.matchAll(
    /^export\s+(?:async\s+)?(?:function\*?|const|let|var|class)\s+([\w$]{1,100})/gm,
  ))
    add(m[1]);
  for (const m of source.matchAll(/(?:module\.exports\s*=|^export)\s*\{([^}]{0,2000})\}/gm))
    for (const part of (m[1] as string).split(','))
      add(/(?:^|\bas\s+)([\w$]+)\s*(?::.*)?$/.exec(part.trim())?.[1]);
  return [...names];
}
