// The Python runtime (awslambdaric): a module the package lacks, a name a module no longer defines,
// the handler's own module missing, a handler function the module does not define.
import { HANDLER_NOT_FOUND, IMPORT_MODULE_ERROR } from '../../detect/lambda-platform.ts';
import type { RepoReader } from '../../ports/repo-workspace.ts';
import { readText } from '../place-bundled-frames.ts';
import {
  ambiguityOf,
  type FunctionFiles,
  handlerNotDefined,
  type RuntimeReader,
  TASK_ROOT,
} from './function-files.ts';

// Python: `Unable to import module 'lambda_function': No module named 'requests'`.
const PY_NO_MODULE = /No module named '([\w.]{1,200})'/;
const PY_HANDLER_MODULE = /Unable to import module '([\w./-]{1,300})'/;
// `cannot import name 'price' from 'orders.pricing' (/var/task/orders/pricing.py)`, and the same
// `from partially initialized module '…' (most likely due to a circular import)`.
const PY_CANNOT_IMPORT =
  /cannot import name '(\w{1,200})' from (partially initialized module )?'([\w.]{1,300})'/;
// `Handler 'handler' missing on module 'lambda_function'`.
const PY_HANDLER_MISSING = /Handler '([\w]{1,200})' missing on module '([\w./-]{1,300})'/;

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

/** awslambdaric's reports, and a lazy import's ModuleNotFoundError on Lambda. */
export const python: RuntimeReader = {
  claims(error, text) {
    if (
      error.exceptionType === IMPORT_MODULE_ERROR &&
      (PY_NO_MODULE.test(text) || PY_CANNOT_IMPORT.test(text))
    )
      return 'init';
    if (error.exceptionType === HANDLER_NOT_FOUND && PY_HANDLER_MISSING.test(text)) return 'init';
    const later =
      error.exceptionType === 'ModuleNotFoundError' &&
      PY_NO_MODULE.test(error.message) &&
      text.includes(TASK_ROOT);
    return later ? 'later' : undefined;
  },
  anchors(text) {
    const module = PY_HANDLER_MODULE.exec(text)?.[1] ?? PY_HANDLER_MISSING.exec(text)?.[2];
    return module === undefined ? [] : [`${module.replace(/\./g, '/')}.py`];
  },
  async explain(text, files, repo) {
    const missing = PY_NO_MODULE.exec(text)?.[1];
    if (missing) {
      const handlerModule = PY_HANDLER_MODULE.exec(text)?.[1];
      if (handlerModule !== undefined && handlerModule.replace(/\//g, '.') === missing)
        return missingHandlerModule(handlerModule, files);
      return missingPythonModule(missing, files, repo);
    }
    const name = PY_CANNOT_IMPORT.exec(text);
    if (name?.[1] && name[3]) return missingPythonName(name[1], name[3], name[2] !== undefined, files, repo);
    const handler = PY_HANDLER_MISSING.exec(text);
    if (!handler?.[1] || !handler[2]) return undefined;
    const [, fn, module] = handler;
    const file = files.find([`${module.replace(/\./g, '/')}.py`]);
    if (!file)
      return `the handler setting '${module}.${fn}' names a module the repository does not hold (${module.replace(/\./g, '/')}.py): check the setting, and the log group's routing and path prefix`;
    const defined = pythonFunctions((await readText(repo, file)) ?? '');
    return handlerNotDefined({ setting: `${module}.${fn}`, fn, file, defined, verb: 'define' });
  },
};

/** A name one module imports from another of the repository, which that module does not define. */
async function missingPythonName(
  name: string,
  module: string,
  isCircular: boolean,
  files: FunctionFiles,
  repo: RepoReader,
): Promise<string | undefined> {
  const path = module.replace(/\./g, '/');
  const file = files.find([`${path}.py`, `${path}/__init__.py`]);
  if (!file) return undefined;
  if (isCircular)
    return `${file} was still being imported when an import of ${name} from it ran: a circular import (a module it imports, directly or not, imports it back). Move the shared code to a module both import, or import inside the function that needs it`;
  const defined = pythonTopLevelNames((await readText(repo, file)) ?? '');
  if (defined.includes(name))
    return `the code imports ${name} from ${file}, which defines it in the repository: the deployed package holds another version of ${file}, so deploy the current code`;
  const listed = defined.length > 0 ? ` (it defines ${defined.slice(0, 8).join(', ')})` : '';
  return `the code imports ${name} from ${file}, which does not define it${listed}: it was renamed or removed, and an import of it was left behind`;
}

/** `Unable to import module 'lambda_function': No module named 'lambda_function'`. */
function missingHandlerModule(module: string, files: FunctionFiles): string {
  const file = `${module.replace(/\./g, '/')}.py`;
  const own = files.find([file]);
  return own
    ? `the handler's own module, ${file}, is not at the root of the deployed package, though the repository holds it (${own}): a zip made of its folder, rather than of the folder's contents, puts it one level down; or the build packages another directory`
    : `the handler setting names the module ${module}, which neither the deployed package nor the repository holds (${file}): check the setting, and the log group's routing and path prefix`;
}

async function missingPythonModule(
  module: string,
  files: FunctionFiles,
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
  const own = files.find([`${top}.py`, `${top}/__init__.py`]);
  const full = module.replace(/\./g, '/');
  // `orders.pricng`: the repository's own package has no such module, a mistake in the code.
  if (own && module !== top && !files.find([`${full}.py`, `${full}/__init__.py`])) return undefined;
  if (own)
    return `'${top}' is the repository's own module (${own}), and the deployed package does not hold it: check what the build copies into the package (its source directory, CodeUri, or asset path)`;
  const distribution = PY_DISTRIBUTIONS[top] ?? top;
  const named = distribution === top ? '' : ` (the distribution that provides '${top}' is ${distribution})`;
  const ambiguous = ambiguityOf(files, `${distribution}${named}`, "the function's requirements");
  if (ambiguous) return ambiguous;
  for (const manifest of files.manifests(PY_MANIFEST))
    if (listsRequirement((await readText(repo, manifest)) ?? '', distribution))
      return `${manifest} lists ${distribution}${named}, so the deployment package was built without it: the build has to install the requirements into the package (pip install -r requirements.txt -t <package dir>) or a layer has to provide them`;
  const where = files.isAnchored ? "beside the function's code or above it" : 'of the repository';
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
