// The Node.js runtime client: a package or file the package lacks (CommonJS and ES modules), a
// handler the module does not export.
import { HANDLER_NOT_FOUND, IMPORT_MODULE_ERROR } from '../../detect/lambda-platform.ts';
import type { RepoReader } from '../../ports/repo-workspace.ts';
import { resolveSymlinkTarget } from '../map-frames.ts';
import { readText } from '../place-bundled-frames.ts';
import {
  ambiguityOf,
  type FunctionFiles,
  handlerNotDefined,
  type RuntimeReader,
  TASK_ROOT,
} from './function-files.ts';

// Node: `Error: Cannot find module 'axios'\nRequire stack:\n- /var/task/index.js` (CommonJS) and
// `Cannot find package 'axios' imported from /var/task/index.mjs` (ES modules).
const NODE_NOT_FOUND = /Cannot find (?:module|package) '([^'\n]{1,300})'(?: imported from (\S{1,500}))?/;
// The first module of the require stack (its line breaks escaped when the raw line is JSON).
const REQUIRE_STACK_FIRST = /Require stack:(?:\s|\\n){1,10}- ([^\s"\\]{1,500})/;
// `index.handler is undefined or not exported`.
const NODE_HANDLER_MISSING = /([\w./-]{1,300})\.([\w$]{1,200}) is undefined or not exported/;
const NODE_MANIFEST = /(?:^|\/)package\.json$/;

/** The Node.js runtime client's reports, and a package missing at run time on Lambda. */
export const node: RuntimeReader = {
  claims(error, text) {
    if (error.exceptionType === IMPORT_MODULE_ERROR && NODE_NOT_FOUND.test(text)) return 'init';
    if (error.exceptionType === HANDLER_NOT_FOUND && NODE_HANDLER_MISSING.test(text)) return 'init';
    const later =
      error.exceptionType === 'Error' && NODE_NOT_FOUND.test(error.message) && text.includes(TASK_ROOT);
    return later ? 'later' : undefined;
  },
  anchors: () => [],
  async explain(text, files, repo) {
    const missing = NODE_NOT_FOUND.exec(text);
    if (missing?.[1]) {
      // An ES module imported without its extension: Node names the fix, a line of the importer the
      // model is shown (`Did you mean to import "./lib/config.js"?`).
      if (text.includes('Did you mean to import')) return undefined;
      const importer = missing[2] ?? REQUIRE_STACK_FIRST.exec(text)?.[1];
      return missingNodeModule(missing[1], importer, files, repo);
    }
    const handler = NODE_HANDLER_MISSING.exec(text);
    if (!handler?.[1] || !handler[2]) return undefined;
    const [, module, fn] = handler;
    const candidates = ['.js', '.mjs', '.cjs', '.ts'].map((ext) => `${module}${ext}`);
    const file = files.find(candidates);
    if (!file)
      return `the handler setting '${module}.${fn}' names a module the repository does not hold (${candidates[0]}): check the setting, and the log group's routing and path prefix`;
    const defined = nodeExports((await readText(repo, file)) ?? '');
    return handlerNotDefined({ setting: `${module}.${fn}`, fn, file, defined, verb: 'export' });
  },
};

async function missingNodeModule(
  specifier: string,
  importer: string | undefined,
  files: FunctionFiles,
  repo: RepoReader,
): Promise<string> {
  if (specifier.startsWith('.') || specifier.startsWith('/'))
    return missingNodeFile(specifier, importer, files);
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
  // Appended to every diagnosis of it: a function moved to a newer runtime meets this first.
  const runtimeSdk =
    name === 'aws-sdk'
      ? ". The nodejs18.x and later runtimes include the AWS SDK for JavaScript v3 (@aws-sdk/client-*), not v2's aws-sdk, which a function on them has to bring itself"
      : '';
  const ambiguous = ambiguityOf(files, name, "the function's package.json dependencies");
  if (ambiguous) return `${ambiguous}${runtimeSdk}`;
  for (const manifest of files.manifests(NODE_MANIFEST)) {
    let json: unknown;
    try {
      json = JSON.parse((await readText(repo, manifest)) ?? '');
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
  const where = files.isAnchored ? "beside the function's code or above it" : 'of the repository';
  return `no package.json ${where} lists ${name}, which the code imports: add it to dependencies${runtimeSdk}`;
}

function missingNodeFile(specifier: string, importer: string | undefined, files: FunctionFiles): string {
  const deployed = (path: string) => (path.startsWith(TASK_ROOT) ? path.slice(TASK_ROOT.length) : undefined);
  const importerPath = importer?.startsWith('file://') ? importer.slice('file://'.length) : importer;
  const from = importerPath === undefined ? undefined : deployed(importerPath);
  let target: string | undefined;
  if (specifier.startsWith('/')) target = deployed(specifier);
  // resolved against the importer's directory, as a link's target is against the link's
  else if (from !== undefined) target = resolveSymlinkTarget(from, specifier);
  if (target === undefined)
    return `the code imports '${specifier}', which the deployment package does not hold`;
  const stem = target.replace(/\.(?:c|m)?js$/, '');
  const own = files.find([
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
