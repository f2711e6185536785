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
  | 'new_url';

export interface EditRejection {
  code: EditRejectionCode;
  path?: string;
  message: string;
}

export interface ChangedFile {
  path: string;
  before: string;
  /** the new content, encoded as the original was (BOM, line endings, final newline) */
  after: Uint8Array;
  added: number;
  removed: number;
}

export type EditOutcome =
  | { kind: 'applied'; files: ChangedFile[] }
  | { kind: 'rejected'; rejections: EditRejection[] };

// Files that steer builds, CI, dependencies, deployment, secrets or coding agents: a fix for a
// runtime error never needs them, and a prompt-injected log line would love to reach them.
const FORBIDDEN_SEGMENT =
  /^(?:\.git.*|\.circleci|\.buildkite|\.husky|\.devcontainer|\.cursor|\.claude|\.aider.*|\.vscode|\.idea|node_modules|vendor)$/i;
const FORBIDDEN_FILE = new RegExp(
  [
    // CI and automation
    '^(?:\\.gitlab-ci\\.ya?ml|\\.travis\\.ya?ml|jenkinsfile|azure-pipelines\\.ya?ml|bitbucket-pipelines\\.ya?ml|buildspec\\.ya?ml|appveyor\\.ya?ml|cloudbuild\\.ya?ml|\\.pre-commit-config\\.ya?ml|codeowners|makefile)$',
    // dependency manifests and lockfiles
    '^(?:package\\.json|package-lock\\.json|npm-shrinkwrap\\.json|yarn\\.lock|pnpm-lock\\.yaml|pnpm-workspace\\.yaml|bun\\.lockb?|\\.npmrc|\\.yarnrc(?:\\.yml)?|requirements.*\\.(?:txt|in)|constraints\\.txt|pipfile(?:\\.lock)?|pyproject\\.toml|poetry\\.lock|uv\\.lock|setup\\.py|setup\\.cfg|go\\.mod|go\\.sum|go\\.work|cargo\\.toml|cargo\\.lock|gemfile(?:\\.lock)?|.*\\.gemspec|composer\\.json|composer\\.lock|pom\\.xml|build\\.gradle(?:\\.kts)?|settings\\.gradle(?:\\.kts)?|gradle\\.properties|.*\\.csproj|.*\\.fsproj|.*\\.sln|packages\\.config|packages\\.lock\\.json|directory\\.packages\\.props|nuget\\.config|mix\\.exs|mix\\.lock)$',
    // containers and infrastructure as code
    '^(?:dockerfile.*|.*\\.dockerfile|containerfile|docker-compose.*\\.ya?ml|compose\\.ya?ml|\\.dockerignore|.*\\.tf|.*\\.tfvars|.*\\.hcl|cdk\\.json|serverless\\.ya?ml|template\\.ya?ml|samconfig\\.toml|chart\\.yaml|values\\.yaml|skaffold\\.yaml|kustomization\\.yaml|procfile|app\\.yaml|vercel\\.json|netlify\\.toml|fly\\.toml)$',
    // secrets and credentials
    '^(?:\\.env.*|.*\\.pem|.*\\.key|.*\\.p12|.*\\.pfx|.*\\.jks|.*\\.keystore|id_rsa.*|id_ed25519.*|\\.netrc|\\.pypirc|credentials.*|secrets?\\..*)$',
    // coding-agent instructions
    '^(?:claude\\.md|agents\\.md|gemini\\.md|copilot-instructions\\.md|\\.cursorrules|\\.windsurfrules|\\.clinerules|\\.goosehints|conventions\\.md)$',
  ].join('|'),
  'i',
);
const URL_PATTERN = /\bhttps?:\/\/[^\s'"`<>)\]}]{1,500}/g;

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
  if (kind !== 'file' && kind !== 'executable') {
    reject('not_regular_file', `${path} is a ${kind}, not an ordinary file`, path);
    return undefined;
  }
  if (policy.scope === 'trace' && !implicatedPaths.has(path)) {
    const allowed = [...implicatedPaths].join(', ') || 'none could be mapped';
    reject('out_of_scope', `${path} is not implicated by the stack trace (files in scope: ${allowed})`, path);
    return undefined;
  }
  return path;
}

interface Encoding {
  bom: boolean;
  crlf: boolean;
  finalNewline: boolean;
}

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
  let decoded: string;
  try {
    if (isBinary(bytes)) throw new Error('binary');
    decoded = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    reject('not_text', `${path} is not UTF-8 text`, path);
    return undefined;
  }
  const encoding: Encoding = {
    bom: decoded.startsWith('\uFEFF'),
    crlf: /\r\n/.test(decoded) && !/(?<!\r)\n/.test(decoded),
    finalNewline: /\n$/.test(decoded),
  };
  const before = toLf(encoding.bom ? decoded.slice(1) : decoded);
  let text = before;
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
    const first = text.indexOf(oldText);
    if (first < 0) {
      reject(
        'old_text_not_found',
        `oldText was not found in ${path}; copy it exactly from the current file`,
        path,
      );
      return undefined;
    }
    if (text.indexOf(oldText, first + 1) >= 0) {
      reject(
        'old_text_ambiguous',
        `oldText occurs more than once in ${path}; include more surrounding lines`,
        path,
      );
      return undefined;
    }
    const introduced = findSecrets(newText).filter(
      (s) => !oldText.includes(newText.slice(s.index, s.index + s.length)),
    );
    if (introduced.length > 0) {
      reject(
        'secret_in_output',
        `the edit of ${path} writes what looks like a secret (${introduced[0]?.rule})`,
        path,
      );
      return undefined;
    }
    const newUrls = [...newText.matchAll(URL_PATTERN)]
      .map((m) => m[0])
      .filter((url) => !before.includes(url));
    if (newUrls.length > 0) {
      reject('new_url', `the edit of ${path} introduces a URL not already in the file (${newUrls[0]})`, path);
      return undefined;
    }
    text = text.slice(0, first) + newText + text.slice(first + oldText.length);
    removed += countLines(oldText);
    added += countLines(newText);
  }
  if (text === before) {
    reject('no_change', `the edits leave ${path} unchanged`, path);
    return undefined;
  }
  return { path, before, after: encode(text, encoding), added, removed };
}

function toLf(text: string): string {
  return text.replace(/\r\n/g, '\n');
}

function countLines(text: string): number {
  if (text === '') return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

function encode(text: string, { bom, crlf, finalNewline }: Encoding): Uint8Array {
  let out = text;
  if (finalNewline && !out.endsWith('\n')) out += '\n';
  if (!finalNewline) out = out.replace(/\n+$/, '');
  if (crlf) out = out.replace(/\n/g, '\r\n');
  return new TextEncoder().encode(bom ? `\uFEFF${out}` : out);
}
