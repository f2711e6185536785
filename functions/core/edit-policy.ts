import type { FixProposal } from './contracts.ts';
import { isBinary, normalizeRepoPath } from './fix-advisor/read-only-tools.ts';
import type { RepoReader } from './ports.ts';
import { findSecrets } from './redact.ts';

/**
 * Our code, not the prompt, decides what a model may change. Every proposal passes here
 * before a byte is written: paths confined to the repository, only ordinary text files the
 * trace implicates, never the files that steer builds, CI, dependencies, secrets or agents.
 */

export interface EditPolicy {
  /** 'trace': only files mapped from the trace's in-app frames; 'repository': any allowed file */
  scope: 'trace' | 'repository';
  maxFiles: number;
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
  | 'redaction_marker';

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
  /^(?:\.git.*|\.circleci|\.buildkite|\.husky|\.devcontainer|\.cursor|\.claude|\.aider.*|\.windsurf|\.roo|\.continue|\.kiro|\.codex|\.gemini|\.amazonq|\.vscode|\.idea|\.terraform|\.aws-sam|\.serverless|cdk\.out|node_modules|vendor)$/i;
const FORBIDDEN_FILE = new RegExp(
  [
    // CI and automation
    '^(?:\\.gitlab-ci\\.ya?ml|\\.travis\\.ya?ml|jenkinsfile|azure-pipelines\\.ya?ml|bitbucket-pipelines\\.ya?ml|buildspec\\.ya?ml|appveyor\\.ya?ml|cloudbuild\\.ya?ml|\\.pre-commit-config\\.ya?ml|codeowners|makefile)$',
    // dependency manifests and lockfiles
    '^(?:package\\.json|package-lock\\.json|npm-shrinkwrap\\.json|yarn\\.lock|pnpm-lock\\.yaml|pnpm-workspace\\.yaml|bun\\.lockb?|\\.npmrc|\\.yarnrc(?:\\.yml)?|requirements.*\\.(?:txt|in)|constraints\\.txt|pipfile(?:\\.lock)?|pyproject\\.toml|poetry\\.lock|uv\\.lock|setup\\.py|setup\\.cfg|go\\.mod|go\\.sum|go\\.work|cargo\\.toml|cargo\\.lock|gemfile(?:\\.lock)?|.*\\.gemspec|composer\\.json|composer\\.lock|pom\\.xml|build\\.gradle(?:\\.kts)?|settings\\.gradle(?:\\.kts)?|gradle\\.properties|.*\\.csproj|.*\\.fsproj|.*\\.sln|packages\\.config|packages\\.lock\\.json|directory\\.packages\\.props|nuget\\.config|mix\\.exs|mix\\.lock|deno\\.jsonc?|deno\\.lock|build\\.sbt|package\\.swift|package\\.resolved|podfile(?:\\.lock)?|pubspec\\.(?:yaml|lock)|environment\\.ya?ml|flake\\.(?:nix|lock)|lerna\\.json|renovate\\.json5?|\\.renovaterc.*|\\.tool-versions|\\.nvmrc|\\.node-version|\\.python-version|runtime\\.txt|global\\.json|directory\\.build\\.(?:props|targets)|libs\\.versions\\.toml|gradlew(?:\\.bat)?|mvnw(?:\\.cmd)?)$',
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

/** Why a path may never be edited, or undefined when it may be (scope aside). */
export function forbiddenPathReason(path: string): string | undefined {
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
  policy = DEFAULT_EDIT_POLICY,
}: {
  proposal: Pick<FixProposal, 'edits'>;
  repo: RepoReader;
  /** repository paths the trace's frames map to: the 'trace' scope */
  implicatedPaths: ReadonlySet<string>;
  policy?: EditPolicy;
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
    const path = checkPath(edit.path, { entries, implicatedPaths, policy, reject });
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
  const changedLines = files.reduce((n, f) => n + f.added + f.removed, 0);
  if (changedLines > policy.maxChangedLines) {
    reject(
      'too_many_lines',
      `the proposal changes ${changedLines} lines; at most ${policy.maxChangedLines} are allowed`,
    );
  }
  return rejections.length > 0 ? { kind: 'rejected', rejections } : { kind: 'applied', files };
}

function checkPath(
  given: string,
  {
    entries,
    implicatedPaths,
    policy,
    reject,
  }: {
    entries: ReadonlyMap<string, string>;
    implicatedPaths: ReadonlySet<string>;
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
  if (policy.scope === 'trace' && !implicatedPaths.has(path)) {
    const allowed = [...implicatedPaths].join(', ') || 'none could be mapped';
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
