import { MALFORMED_HANDLER_NAME } from '../detect/lambda-platform.ts';
import type { RepoReader } from '../ports/repo-workspace.ts';
import { FunctionFiles, type LoadFailure, taskPathsIn } from './handler-load/function-files.ts';
import { java } from './handler-load/java.ts';
import { node } from './handler-load/node.ts';
import { python } from './handler-load/python.ts';
import { ruby } from './handler-load/ruby.ts';

/**
 * Lambda could not load the function's code: its module imports a package the deployment package
 * lacks, the handler setting names a function the module does not define, or the setting is not
 * `module.function` at all. The runtime reports these before any line of the application ran, with
 * no trace into it, and the fix is rarely a line of code: it is the dependency manifest, the build
 * that makes the package, or the function's configuration. The repository says which, so the
 * incident is closed with that diagnosis and no model call.
 */

const RUNTIMES = [python, node, java, ruby];
const BAD_HANDLER = /Bad handler '([^'\n]{0,300})'/;

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
  const text = `${error.message}\n${error.raw}`;
  let when: 'init' | 'later' | undefined;
  const runtime = RUNTIMES.find((r) => {
    when = r.claims(error, text);
    return when !== undefined;
  });
  let diagnosis: string | undefined;
  if (runtime) {
    const listed = (await repo.listFiles())
      .filter((e) => e.kind === 'file' || e.kind === 'executable')
      .map((e) => e.path);
    const files = new FunctionFiles(listed, pathPrefix, [...taskPathsIn(text), ...runtime.anchors(text)]);
    diagnosis = await runtime.explain(text, files, repo);
  } else if (error.exceptionType === MALFORMED_HANDLER_NAME) {
    when = 'init';
    const setting = BAD_HANDLER.exec(text)?.[1];
    diagnosis = `the function's handler setting${setting === undefined ? '' : ` '${setting}'`} is not \`<file>.<function>\` (for example lambda_function.lambda_handler or index.handler). It is part of the function's configuration (the infrastructure code or the console), not of the application's code`;
  }
  if (diagnosis === undefined) return undefined;
  const what =
    when === 'init'
      ? "Lambda could not load the function's code, before any of it ran"
      : 'the code imports a module the deployment package does not hold';
  return `no fix was attempted: ${what} — ${diagnosis} (no model call was made)`;
}
