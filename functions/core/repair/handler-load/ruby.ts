// The Ruby runtime client (aws_lambda_ric): a gem or file it cannot load, a handler method the file
// does not define.
import type { RepoReader } from '../../ports/repo-workspace.ts';
import { readText } from '../place-bundled-frames.ts';
import { type FunctionFiles, type RuntimeReader, TASK_ROOT } from './function-files.ts';

// Ruby (aws_lambda_ric): `cannot load such file -- httparty` (Init<LoadError>), and the method a
// handler names called on the runtime's own object: ``undefined method `handler' for
// #<LambdaHandler:0x… @handler_file_name="lambda_function", @handler_method_name="handler">``.
const RUBY_CANNOT_LOAD = /cannot load such file -- (\S{1,300})/;
const RUBY_NO_HANDLER =
  /undefined method [`']([\w?!]{1,200})' for #<LambdaHandler[^>\n]{0,300}@handler_file_name=\\?"([\w./-]{1,300})\\?"/;
const RUBY_MANIFEST = /(?:^|\/)(?:Gemfile|[\w.-]{1,100}\.gemspec)$/;
// A frame in the function's own code (Ruby's `/var/task/lambda_function.rb:2:in …`).
const TASK_FRAME = /\/var\/task\/[^\s"'`]{1,300}:\d{1,9}:in /;

/** aws_lambda_ric's reports: a file or gem it cannot load, a handler method the file lacks. */
export const ruby: RuntimeReader = {
  claims({ exceptionType, message }, text) {
    const claimed =
      (exceptionType === 'LoadError' &&
        RUBY_CANNOT_LOAD.test(message) &&
        (text.includes(TASK_ROOT) || text.includes('Init<LoadError>'))) ||
      (exceptionType === 'NoMethodError' && RUBY_NO_HANDLER.test(text));
    return claimed ? 'init' : undefined;
  },
  anchors: () => [],
  explain: rubyLoadFailure,
};

/** The Ruby runtime could not load the handler's file or a gem it requires, or call its method. */
async function rubyLoadFailure(
  text: string,
  files: FunctionFiles,
  repo: RepoReader,
): Promise<string | undefined> {
  const noHandler = RUBY_NO_HANDLER.exec(text);
  if (noHandler?.[1] && noHandler[2]) {
    const [, method, fileName] = noHandler;
    const file = files.find([`${fileName}.rb`]);
    if (!file)
      return `the handler setting names ${fileName}.${method}, a file the repository does not hold (${fileName}.rb): check the setting and the log group's routing`;
    const defined = [
      ...((await readText(repo, file)) ?? '').matchAll(/^\s*def\s+(?:self\.)?([\w?!]{1,200})/gm),
    ].map((m) => m[1] as string);
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
    const own = files.find([relative]);
    return own
      ? `the code requires ${relative}, which is in the repository (${own}) but not in the deployed package: check what the build copies into it`
      : `the code requires ${relative}, which the repository does not hold either: the require names a file that does not exist`;
  }
  // Lambda requires the handler's file itself with no frame of the function's before it.
  if (!TASK_FRAME.test(text)) {
    const own = files.find([`${name}.rb`]);
    return own
      ? `the handler's own file, ${name}.rb, is not at the root of the deployed package, though the repository holds it (${own}): a zip made of its folder, rather than of the folder's contents, puts it one level down`
      : `the handler setting names the file ${name}.rb, which neither the deployed package nor the repository holds: check the setting (file.method) and the log group's routing`;
  }
  const gem = name.split('/')[0] as string;
  const normalise = (value: string) => value.toLowerCase().replace(/[-_]/g, '');
  for (const manifest of files.manifests(RUBY_MANIFEST)) {
    const gems = [
      ...((await readText(repo, manifest)) ?? '').matchAll(
        /\b(?:gem|add_(?:runtime_)?dependency)\s*\(?\s*["']([\w.-]{1,100})["']/g,
      ),
    ];
    if (gems.some((m) => normalise(m[1] as string) === normalise(gem)))
      return `${manifest} lists ${gem}, so the deployment package was built without it: install the bundle into the package (bundle config set --local path vendor/bundle; bundle install) and zip vendor/ with the code, or let a layer provide it`;
  }
  const where = files.isAnchored ? "beside the function's code or above it" : 'of the repository';
  return `no Gemfile ${where} lists ${gem}, which the code requires: add gem '${gem}' to the one the build installs from`;
}
