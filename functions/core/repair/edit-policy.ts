import type { ErrorRecord, FixProposal, Language } from '../contracts.ts';
import type { RepoReader } from '../ports/repo-workspace.ts';
import type { SyntaxChecker } from '../ports/syntax-checker.ts';
import { findSecrets, hasHiddenCharacter } from '../text/redact.ts';
import { type AddedCodeFinding, addedLines, checkAddedCode } from './check-added-code.ts';
import { isBinary, normalizeRepoPath } from './fix-advisor/read-only-tools.ts';
import { brokenByEdits, describeSyntaxFailure } from './syntax-check.ts';

/**
 * Our code, not the prompt, decides what a model may change. Every proposal passes here
 * before a byte is written. An allow-list, not a deny-list: only existing source files of the
 * trace's languages that its frames implicate (never generated or vendored code), and only
 * added lines that import, run, fetch, evaluate, encode or hide nothing new. The deny-list of
 * files that steer builds, CI, dependencies, secrets or agents stays as a second wall.
 */

export interface EditPolicy {
  /** 'trace': only files mapped from the trace's in-app frames; 'repository': any allowed file */
  scope: 'trace' | 'repository';
  maxFiles: number;
  /** lines added + removed; an added line counts once per LINE_BYTES bytes, so one huge line cannot pass */
  maxChangedLines: number;
  maxFileBytes: number;
  /** edit files of mode 100755 too (scripts); by default only ordinary 100644 files */
  allowExecutables?: boolean;
}

export const DEFAULT_EDIT_POLICY: EditPolicy = Object.freeze({
  scope: 'trace',
  maxFiles: 3,
  maxChangedLines: 120,
  maxFileBytes: 512 * 1024,
});

export type EditRejectionCode =
  | 'no_edits'
  | 'unsafe_path'
  | 'forbidden_path'
  | 'out_of_scope'
  | 'not_found'
  | 'not_regular_file'
  | 'not_text'
  | 'file_too_large'
  | 'old_text_not_found'
  | 'old_text_ambiguous'
  | 'no_change'
  | 'too_many_files'
  | 'too_many_lines'
  | 'secret_in_output'
  | 'new_url'
  | 'redaction_marker'
  | 'not_source'
  | 'does_not_parse'
  | AddedCodeFinding['concern'];

export interface EditRejection {
  code: EditRejectionCode;
  path?: string;
  message: string;
}

export interface ChangedFile {
  path: string;
  /** the text before the edits, BOM removed and line endings as LF (for diffs and summaries) */
  before: string;
  /** the text after the edits, in the same form as `before` */
  afterText: string;
  /** the new content, encoded as the original was (BOM, line endings, final newline) */
  after: Uint8Array;
  /** lines a diff shows as added and removed (lines an edit quotes unchanged are not counted) */
  added: number;
  removed: number;
}

export type EditOutcome =
  | { kind: 'applied'; files: ChangedFile[] }
  | { kind: 'rejected'; rejections: EditRejection[] };

// Files that steer builds, CI, dependencies, deployment, secrets or coding agents: a fix for a
// runtime error never needs them, and a prompt-injected log line would love to reach them.
const FORBIDDEN_SEGMENT =
  /^(?:\.git.*|requirements|\.woodpecker|\.circleci|\.buildkite|\.husky|\.devcontainer|\.cursor|\.claude|\.aider.*|\.windsurf|\.roo|\.continue|\.kiro|\.codex|\.gemini|\.amazonq|\.vscode|\.idea|\.terraform|\.aws-sam|\.serverless|cdk\.out|node_modules|vendor)$/i;
const FORBIDDEN_FILE = new RegExp(
  [
    // CI and automation
    '^(?:\\.gitlab-ci\\.ya?ml|\\.travis\\.ya?ml|\\.drone\\.ya?ml|\\.woodpecker\\.ya?ml|lefthook(?:-local)?\\.ya?ml|\\.lefthook\\.ya?ml|\\.?overcommit\\.ya?ml|justfile|taskfile\\.ya?ml|rakefile|gulpfile\\..*|gruntfile\\..*|noxfile\\.py|tox\\.ini|conftest\\.py|jenkinsfile|azure-pipelines\\.ya?ml|bitbucket-pipelines\\.ya?ml|buildspec\\.ya?ml|appveyor\\.ya?ml|cloudbuild\\.ya?ml|\\.pre-commit-config\\.ya?ml|codeowners|makefile)$',
    // dependency manifests and lockfiles
    '^(?:package\\.json|package-lock\\.json|npm-shrinkwrap\\.json|yarn\\.lock|pnpm-lock\\.yaml|pnpm-workspace\\.yaml|bun\\.lockb?|\\.npmrc|\\.yarnrc(?:\\.yml)?|(?:.*[-_.])?requirements.*\\.(?:txt|in)|constraints.*\\.txt|pdm\\.lock|uv\\.toml|pixi\\.(?:toml|lock)|module\\.bazel(?:\\.lock)?|workspace(?:\\.bazel)?|build(?:\\.bazel)?|\\.bazelrc|\\.bazelversion|pipfile(?:\\.lock)?|pyproject\\.toml|poetry\\.lock|uv\\.lock|setup\\.py|setup\\.cfg|go\\.mod|go\\.sum|go\\.work|cargo\\.toml|cargo\\.lock|gemfile(?:\\.lock)?|.*\\.gemspec|composer\\.json|composer\\.lock|pom\\.xml|build\\.gradle(?:\\.kts)?|settings\\.gradle(?:\\.kts)?|gradle\\.properties|.*\\.csproj|.*\\.fsproj|.*\\.sln|packages\\.config|packages\\.lock\\.json|directory\\.packages\\.props|nuget\\.config|mix\\.exs|mix\\.lock|deno\\.jsonc?|deno\\.lock|build\\.sbt|package\\.swift|package\\.resolved|podfile(?:\\.lock)?|pubspec\\.(?:yaml|lock)|environment\\.ya?ml|flake\\.(?:nix|lock)|lerna\\.json|renovate\\.json5?|\\.renovaterc.*|\\.tool-versions|\\.nvmrc|\\.node-version|\\.python-version|runtime\\.txt|global\\.json|directory\\.build\\.(?:props|targets)|libs\\.versions\\.toml|gradlew(?:\\.bat)?|mvnw(?:\\.cmd)?)$',
    // containers and infrastructure as code
    '^(?:dockerfile.*|.*\\.dockerfile|containerfile|docker-compose.*\\.ya?ml|compose\\.ya?ml|\\.dockerignore|.*\\.tf|.*\\.tf\\.json|.*\\.tfvars|.*\\.hcl|.*\\.bicep|pulumi(?:\\..*)?\\.ya?ml|cdk\\.json|serverless\\.ya?ml|template\\.ya?ml|samconfig\\.toml|chart\\.yaml|values\\.yaml|skaffold\\.yaml|kustomization\\.yaml|procfile|app\\.yaml|vercel\\.json|netlify\\.toml|fly\\.toml)$',
    // secrets and credentials
    '^(?:\\.env.*|.*\\.pem|.*\\.key|.*\\.p12|.*\\.pfx|.*\\.jks|.*\\.keystore|id_rsa.*|id_ed25519.*|\\.netrc|\\.pypirc|credentials.*|secrets?\\..*)$',
    // coding-agent instructions
    '^(?:claude\\.md|agents\\.md|gemini\\.md|copilot-instructions\\.md|\\.cursorrules|\\.windsurfrules|\\.clinerules|\\.goosehints|conventions\\.md|claude\\.local\\.md|\\.?mcp\\.json|\\.roomodes)$',
  ].join('|'),
  'i',
);
// Any scheme, not only http(s): a fix for a runtime error has no reason to add an endpoint,
// and `wss://`, `ftp://` or `s3://` exfiltrate as well as `https://`.
const URL_PATTERN = /\b[A-Za-z][A-Za-z0-9+.-]{1,20}:\/\/[^\s'"`<>)\]}]{1,500}/g;

// The source files of each language a trace can come from: the only files a fix may touch.
const SOURCE_EXTENSIONS: Readonly<Record<Exclude<Language, 'unknown'>, readonly string[]>> = {
  python: ['py', 'pyw'],
  javascript: ['js', 'mjs', 'cjs', 'jsx', 'ts', 'tsx', 'mts', 'cts', 'vue', 'svelte'],
  java: ['java', 'kt', 'scala', 'groovy', 'clj', 'cljc'],
  go: ['go'],
  ruby: ['rb', 'erb', 'rake'],
  php: ['php'],
  dotnet: ['cs', 'fs', 'vb'],
  rust: ['rs'],
  elixir: ['ex', 'exs', 'eex', 'heex', 'leex'],
};
// Generated or vendored code: edited at its source, never in place.
const GENERATED_SEGMENT =
  /^(?:dist|build|out|target|obj|generated|__generated__|\.next|\.nuxt|\.svelte-kit|coverage|third_party|third-party|bower_components|site-packages|\.venv|venv|__pycache__)$/i;
const GENERATED_FILE =
  /(?:\.min\.[cm]?js|\.bundle\.[cm]?js|[._-]pb2(?:_grpc)?\.py|\.pb(?:\.gw)?\.go|_gen\.go|_generated\.go|\.gen\.[a-z]+|\.generated\.[a-z]+|\.g\.(?:cs|dart)|\.g\.i\.cs|\.designer\.cs|\.d\.[cm]?ts|_pb\.(?:js|ts)|\.pyi)$/i;
const GENERATED_HEADER =
  /(?:Code generated\b.{0,200}\bDO NOT EDIT|@generated\b|<auto-generated|This file (?:is|was) (?:automatically |auto-)?generated)/i;

/** A file's extension, lower case, without the dot ('' for none, and for a dotfile's name). */
function extensionOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

/** The language whose source files have `path`'s extension, if any. */
export function languageOfPath(path: string): Exclude<Language, 'unknown'> | undefined {
  const extension = extensionOf(path);
  if (extension === '') return undefined;
  for (const [language, extensions] of Object.entries(SOURCE_EXTENSIONS)) {
    if (extensions.includes(extension)) return language as Exclude<Language, 'unknown'>;
  }
  return undefined;
}

/** The languages whose source files a trace's frames can implicate ('unknown' allows every language). */
export function sourceExtensions(languages: readonly Language[]): Set<string> {
  const known = languages.filter((l): l is Exclude<Language, 'unknown'> => l !== 'unknown');
  const chosen =
    known.length === 0 || known.length < languages.length ? Object.keys(SOURCE_EXTENSIONS) : known;
  return new Set(chosen.flatMap((l) => SOURCE_EXTENSIONS[l as Exclude<Language, 'unknown'>]));
}

/** The languages of an error and its chained causes: whose source files a fix may edit. */
export function traceLanguages(error: Pick<ErrorRecord, 'language' | 'causes'>): Language[] {
  const languages = new Set<Language>([error.language]);
  for (const cause of error.causes) for (const l of traceLanguages(cause)) languages.add(l);
  return [...languages];
}

/** Why a path is not a source file of the trace's languages a fix may edit, or undefined when it is. */
export function notSourceReason(
  path: string,
  languages: readonly Language[] = ['unknown'],
): string | undefined {
  const segments = path.split('/');
  const name = segments[segments.length - 1] ?? '';
  const allowed = sourceExtensions(languages);
  if (!allowed.has(extensionOf(path))) {
    return `${path} is not a source file of this ${languages.filter((l) => l !== 'unknown').join('/') || 'trace'}'s language (ai-ops edits only ${[...allowed].map((e) => `.${e}`).join(' ')} files)`;
  }
  if (segments.slice(0, -1).some((s) => GENERATED_SEGMENT.test(s)) || GENERATED_FILE.test(name)) {
    return `${path} is generated or vendored code; fix its source instead`;
  }
  return undefined;
}

// Windows and macOS resolve several spellings to one file: `GIT~1` (an 8.3 short name),
// `package.json.` and `x.py ` (trailing dots and spaces dropped), `x.py::$DATA` (an alternate
// data stream), and on HFS+ zero-width characters are ignored (`.git\u200c`). A checked-out
// copy on such a system would write a different file than the one this policy judged.
function aliasReason(path: string): string | undefined {
  for (const segment of path.split('/')) {
    if (/~\d/.test(segment))
      return `${path} contains an 8.3 short name (${segment}) that can alias another file`;
    if (/[. ]$/.test(segment)) return `${path} has a name ending in a dot or space, which Windows drops`;
    if (segment.includes(':')) return `${path} names an alternate data stream or a drive (":")`;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
    if (hasHiddenCharacter(segment) || /[\u0000-\u001f\u007f]/.test(segment)) {
      return `${path} contains invisible or control characters`;
    }
  }
  return undefined;
}

/** Why a path may never be edited, or undefined when it may be (scope aside). */
export function forbiddenPathReason(given: string): string | undefined {
  // Judge the case-folded, compatibility-normalised name: `.GITHUB`, `ＭＡＫＥＦＩＬＥ`.
  const path = given.normalize('NFKC');
  const segments = path.split('/');
  const name = segments[segments.length - 1] ?? '';
  if (segments.slice(0, -1).some((s) => FORBIDDEN_SEGMENT.test(s)) || FORBIDDEN_SEGMENT.test(name)) {
    return `${path} is inside a directory ai-ops never edits (.git*, CI, editor or agent configuration, vendored code)`;
  }
  if (path.toLowerCase().startsWith('.github/'))
    return `${path} is GitHub configuration (workflows, actions)`;
  if (FORBIDDEN_FILE.test(name)) {
    return `${path} steers builds, dependencies, deployment, secrets or coding agents: ai-ops only edits source files`;
  }
  return undefined;
}

/** Checks a proposal against the policy and, if it passes, computes every changed file. */
export async function applyFixProposal({
  proposal,
  repo,
  implicatedPaths,
  languages = ['unknown'],
  policy = DEFAULT_EDIT_POLICY,
  syntax,
  mustParse,
}: {
  proposal: Pick<FixProposal, 'edits'>;
  repo: RepoReader;
  /** repository paths the trace's frames map to: the 'trace' scope (non-source files never count) */
  implicatedPaths: ReadonlySet<string>;
  /** the trace's languages (the error and its causes): only their source files are editable */
  languages?: readonly Language[];
  policy?: EditPolicy;
  /** when given, an edited script that no longer parses is refused (the last check, once all else passed) */
  syntax?: SyntaxChecker;
  /** scripts that must parse after the edit even if they did not before (where a SyntaxError was placed) */
  mustParse?: ReadonlySet<string>;
}): Promise<EditOutcome> {
  const rejections: EditRejection[] = [];
  const reject = (code: EditRejectionCode, message: string, path?: string) => {
    rejections.push(path === undefined ? { code, message } : { code, message, path });
  };
  if (proposal.edits.length === 0) {
    return { kind: 'rejected', rejections: [{ code: 'no_edits', message: 'the proposal changes nothing' }] };
  }

  const entries = new Map((await repo.listFiles()).map((e) => [e.path, e.kind]));
  const byPath = new Map<string, FixProposal['edits']>();
  for (const edit of proposal.edits) {
    const path = checkPath(edit.path, { entries, implicatedPaths, languages, policy, reject });
    if (path === undefined) continue;
    const list = byPath.get(path) ?? [];
    list.push(edit);
    byPath.set(path, list);
  }
  if (byPath.size > policy.maxFiles) {
    reject(
      'too_many_files',
      `the proposal changes ${byPath.size} files; at most ${policy.maxFiles} are allowed`,
    );
  }

  const files: ChangedFile[] = [];
  for (const [path, edits] of byPath) {
    const changed = await applyToFile({ path, edits, repo, policy, reject });
    if (changed) files.push(changed);
  }
  // Counted in bytes too: one 50 KB line is not one line's worth of review.
  const changedLines = files.reduce((n, f) => n + f.added + f.removed + extraLineWeight(f), 0);
  if (changedLines > policy.maxChangedLines) {
    reject(
      'too_many_lines',
      `the proposal changes ${changedLines} lines (a long line counts once per ${LINE_BYTES} bytes); at most ${policy.maxChangedLines} are allowed`,
    );
  }
  if (rejections.length === 0 && syntax) {
    for (const failure of await brokenByEdits({
      files,
      repo,
      checker: syntax,
      ...(mustParse ? { mustParse } : {}),
    })) {
      const file = files.find((f) => f.path === failure.path);
      reject('does_not_parse', describeSyntaxFailure(failure, file?.afterText ?? ''), failure.path);
    }
  }
  return rejections.length > 0 ? { kind: 'rejected', rejections } : { kind: 'applied', files };
}

/** A changed line's share of the line cap beyond its first: one more per LINE_BYTES bytes. */
const LINE_BYTES = 160;

function extraLineWeight(file: Pick<ChangedFile, 'before' | 'afterText'>): number {
  const encoder = new TextEncoder();
  let extra = 0;
  for (const line of addedLines(file.before, file.afterText)) {
    extra += Math.max(0, Math.ceil(encoder.encode(line).length / LINE_BYTES) - 1);
  }
  return extra;
}

function checkPath(
  given: string,
  {
    entries,
    implicatedPaths,
    languages,
    policy,
    reject,
  }: {
    entries: ReadonlyMap<string, string>;
    implicatedPaths: ReadonlySet<string>;
    languages: readonly Language[];
    policy: EditPolicy;
    reject: (code: EditRejectionCode, message: string, path?: string) => void;
  },
): string | undefined {
  // Absolute paths, drive letters, NULs and `..` are refused rather than "fixed up": a model
  // that writes them is confused or steered, and guessing what it meant is how escapes happen.
  if (given.startsWith('/') || given.startsWith('\\') || /^[A-Za-z]:/.test(given) || given.includes('\0')) {
    reject('unsafe_path', `${JSON.stringify(given)} is not a path relative to the repository root`, given);
    return undefined;
  }
  const path = normalizeRepoPath(given);
  if (path === undefined || path === '') {
    reject('unsafe_path', `${JSON.stringify(given)} leaves the repository`, given);
    return undefined;
  }
  const alias = aliasReason(path);
  if (alias) {
    reject('unsafe_path', alias, path);
    return undefined;
  }
  const forbidden = forbiddenPathReason(path);
  if (forbidden) {
    reject('forbidden_path', forbidden, path);
    return undefined;
  }
  const kind = entries.get(path);
  if (kind === undefined) {
    reject('not_found', `${path} does not exist in the repository (ai-ops only edits existing files)`, path);
    return undefined;
  }
  if (kind !== 'file' && !(kind === 'executable' && policy.allowExecutables)) {
    reject('not_regular_file', `${path} is a ${kind}, not an ordinary file; ai-ops edits only those`, path);
    return undefined;
  }
  const notSource = notSourceReason(path, languages);
  if (notSource) {
    reject('not_source', notSource, path);
    return undefined;
  }
  if (policy.scope === 'trace' && !implicatedPaths.has(path)) {
    // A frame that points at a manifest or config file (forged or not) never widens the scope.
    const inScope = [...implicatedPaths].filter(
      (p) => notSourceReason(p, languages) === undefined && forbiddenPathReason(p) === undefined,
    );
    const allowed = inScope.join(', ') || 'none could be mapped';
    reject('out_of_scope', `${path} is not implicated by the stack trace (files in scope: ${allowed})`, path);
    return undefined;
  }
  return path;
}

// What redact() leaves where a secret was: the model's view of files and logs carries it.
const REDACTION_MARKER = '[REDACTED:';
// Past this many cells the exact line diff is skipped and every line counts as changed: the
// count then errs towards the cap, never past it unnoticed.
const MAX_DIFF_CELLS = 250_000;

async function applyToFile({
  path,
  edits,
  repo,
  policy,
  reject,
}: {
  path: string;
  edits: FixProposal['edits'];
  repo: RepoReader;
  policy: EditPolicy;
  reject: (code: EditRejectionCode, message: string, path?: string) => void;
}): Promise<ChangedFile | undefined> {
  const bytes = await repo.readFile(path);
  if (!bytes) {
    reject('not_found', `${path} could not be read`, path);
    return undefined;
  }
  if (bytes.length > policy.maxFileBytes) {
    reject(
      'file_too_large',
      `${path} has ${bytes.length} bytes; ai-ops edits files up to ${policy.maxFileBytes}`,
      path,
    );
    return undefined;
  }
  if (isBinary(bytes)) {
    reject('not_text', `${path} is a binary file; ai-ops only edits text files`, path);
    return undefined;
  }
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    reject('not_text', `${path} is not valid UTF-8 text; ai-ops only edits UTF-8 files`, path);
    return undefined;
  }
  if (GENERATED_HEADER.test(decoded.slice(0, 2000))) {
    reject('not_source', `${path} says it is generated code; fix what generates it instead`, path);
    return undefined;
  }
  const bom = decoded.startsWith('\uFEFF');
  const original = bom ? decoded.slice(1) : decoded;
  const crlfCount = original.split('\r\n').length - 1;
  const lfCount = original.split('\n').length - 1 - crlfCount;
  // New lines take the ending of the text they replace, else the file's dominant one: a CRLF
  // file stays CRLF, and a mixed file keeps every untouched line exactly as it was.
  const fileEol = crlfCount > lfCount ? '\r\n' : '\n';
  const hasFinalNewline = original.endsWith('\n');

  let text = original;
  let removed = 0;
  let added = 0;
  for (const edit of edits) {
    const oldText = toLf(edit.oldText);
    const newText = toLf(edit.newText);
    if (oldText === '') {
      reject(
        'old_text_not_found',
        `an edit of ${path} has an empty oldText; quote the exact lines to replace`,
        path,
      );
      return undefined;
    }
    const first = findTolerant(text, oldText, 0);
    if (first === undefined && oldText.includes(REDACTION_MARKER) && !original.includes(REDACTION_MARKER)) {
      // The model saw this file through redaction: it cannot quote the hidden secret back.
      reject(
        'old_text_not_found',
        `oldText of ${path} quotes a ${REDACTION_MARKER}…] marker, which stands for a hidden secret and is not in the file; quote lines without it`,
        path,
      );
      return undefined;
    }
    if (first === undefined && /<U\+[0-9A-F]{4}>|&lt;!--|--&gt;/.test(oldText)) {
      // The model saw hidden characters and HTML comments revealed (`<U+202E>`, `&lt;!--`).
      reject(
        'old_text_not_found',
        `oldText of ${path} quotes text as ai-ops showed it (<U+XXXX> stands for an invisible character, &lt;!-- for <!--); quote lines without it`,
        path,
      );
      return undefined;
    }
    if (first === undefined) {
      reject(
        'old_text_not_found',
        `oldText was not found in ${path}; copy it exactly from the current file`,
        path,
      );
      return undefined;
    }
    // From first.index + 1, so overlapping occurrences ("aa" in "aaa") count as ambiguous too.
    if (findTolerant(text, oldText, first.index + 1) !== undefined) {
      reject(
        'old_text_ambiguous',
        `oldText occurs more than once in ${path}; include more surrounding lines`,
        path,
      );
      return undefined;
    }
    const eol = first.text.includes('\r\n') ? '\r\n' : first.text.includes('\n') ? '\n' : fileEol;
    const replacement = eol === '\n' ? newText : newText.replaceAll('\n', eol);
    text = text.slice(0, first.index) + replacement + text.slice(first.index + first.text.length);
    const counts = countChangedLines(oldText, newText);
    removed += counts.removed;
    added += counts.added;
  }
  if (hasFinalNewline && !text.endsWith('\n')) text += fileEol;
  if (!hasFinalNewline) text = text.replace(/(?:\r?\n)+$/, '');
  if (text === original) {
    reject('no_change', `the edits leave ${path} unchanged`, path);
    return undefined;
  }

  if (text.includes(REDACTION_MARKER) && !original.includes(REDACTION_MARKER)) {
    reject(
      'redaction_marker',
      `the edit of ${path} writes a ${REDACTION_MARKER}…] marker into the file; it stands for a hidden secret: leave that line unchanged`,
      path,
    );
    return undefined;
  }
  // Scan the whole result, not each newText: a secret or URL can be assembled across an edit's
  // boundary from new text and old text that were harmless apart.
  const knownSecrets = new Set(findSecrets(original).map((s) => original.slice(s.index, s.index + s.length)));
  const newSecret = findSecrets(text).find((s) => !knownSecrets.has(text.slice(s.index, s.index + s.length)));
  if (newSecret) {
    reject(
      'secret_in_output',
      `the edit of ${path} writes what looks like a secret (${newSecret.rule})`,
      path,
    );
    return undefined;
  }
  const knownUrls = new Set(original.match(URL_PATTERN) ?? []);
  const newUrl = (text.match(URL_PATTERN) ?? []).find((url) => !knownUrls.has(url));
  if (newUrl !== undefined) {
    reject('new_url', `the edit of ${path} introduces a URL not already in the file (${newUrl})`, path);
    return undefined;
  }

  // Before judging the content: a file whose change alone is over the cap is refused for that.
  const weight = added + removed + extraLineWeight({ before: toLf(original), afterText: toLf(text) });
  if (weight > policy.maxChangedLines) {
    reject(
      'too_many_lines',
      `the edits of ${path} change ${weight} lines (a long line counts once per ${LINE_BYTES} bytes); at most ${policy.maxChangedLines} are allowed`,
      path,
    );
    return undefined;
  }
  const findings = checkAddedCode({ path, before: toLf(original), after: toLf(text) });
  const [first] = findings;
  if (first) {
    const listed = findings
      .slice(0, 3)
      .map((f) => `${f.concern}: ${f.detail} in ${JSON.stringify(f.line)}`)
      .join('; ');
    reject(
      first.concern,
      `the edit of ${path} adds code that ai-ops never pushes unreviewed (${listed}${findings.length > 3 ? `; ${findings.length - 3} more` : ''}). Fix the error without new imports, processes, network calls, eval, hosts or URLs, encoded data or invisible characters`,
      path,
    );
    return undefined;
  }

  const after = new TextEncoder().encode(bom ? `\uFEFF${text}` : text);
  if (after.length > policy.maxFileBytes) {
    reject(
      'file_too_large',
      `the edits grow ${path} to ${after.length} bytes; ai-ops edits files up to ${policy.maxFileBytes}`,
      path,
    );
    return undefined;
  }
  return { path, before: toLf(original), afterText: toLf(text), after, added, removed };
}

function toLf(text: string): string {
  return text.replace(/\r\n/g, '\n');
}

/** The one place `needle` (LF endings) occurs in `text` at or after `from`, whatever its line endings. */
function findTolerant(
  text: string,
  needle: string,
  from: number,
): { index: number; text: string } | undefined {
  // A literal with `\r?\n` for each newline: no nested quantifiers, linear per start position.
  const pattern = new RegExp(needle.split('\n').map(escapeRegExp).join('\\r?\\n'), 'g');
  pattern.lastIndex = from;
  const match = pattern.exec(text);
  return match ? { index: match.index, text: match[0] } : undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Lines a diff of oldText → newText shows as removed and added (common lines are context). */
function countChangedLines(oldText: string, newText: string): { removed: number; added: number } {
  const a = oldText.split('\n');
  const b = newText.split('\n');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const oldLines = a.slice(start, endA);
  const newLines = b.slice(start, endB);
  const common =
    oldLines.length * newLines.length <= MAX_DIFF_CELLS ? longestCommonSubsequence(oldLines, newLines) : 0;
  return { removed: oldLines.length - common, added: newLines.length - common };
}

function longestCommonSubsequence(a: readonly string[], b: readonly string[]): number {
  let previous = new Uint32Array(b.length + 1);
  let current = new Uint32Array(b.length + 1);
  for (const line of a) {
    for (let j = 1; j <= b.length; j++) {
      current[j] =
        line === b[j - 1] ? (previous[j - 1] ?? 0) + 1 : Math.max(previous[j] ?? 0, current[j - 1] ?? 0);
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length] ?? 0;
}

/** The rejections as one line of feedback for the model (and the incident's reason). */
export function describeRejections(rejections: readonly EditRejection[]): string {
  return rejections.map((r) => `${r.code}: ${r.message}`).join('; ');
}
