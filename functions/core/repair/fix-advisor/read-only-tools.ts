import * as z from 'zod/mini';
import { describe } from 'zod/v4/core';
import type { RepoReader } from '../../ports/repo-workspace.ts';
import { redact } from '../../text/redact.ts';

/**
 * The model's only window on the repository: read-only, bounded, redacted. It has no
 * shell, no network and no write tool; edits come back through `submit_fix` and are
 * applied by our code under policy.
 */

/** Most lines one view_file call returns; bigger files must be read in ranges. */
export const MAX_VIEW_LINES = 400;
/** Most characters one line of a view or a search hit keeps. */
export const MAX_LINE_CHARS = 400;
/** Most entries list_directory returns. */
export const MAX_LIST_ENTRIES = 300;
/** Default and ceiling for search_text hits. */
export const DEFAULT_SEARCH_RESULTS = 30;
export const MAX_SEARCH_RESULTS = 100;
/** Most characters one tool result carries (about 12k tokens): a backstop for minified files. */
export const MAX_TOOL_OUTPUT_CHARS = 48_000;
/** Files larger than this are not searched (generated bundles, data dumps). */
export const MAX_SEARCH_FILE_BYTES = 512 * 1024;

const RepoPathSchema = z
  .string()
  .check(z.maxLength(1000), describe('Path relative to the repository root, e.g. "src/app.py"'));

const LineSchema = z.int().check(z.minimum(1), z.maximum(10_000_000));

export const ViewFileInputSchema = z.object({
  path: RepoPathSchema,
  startLine: z.optional(LineSchema).check(describe('First line to show (1-based)')),
  endLine: z.optional(LineSchema).check(describe('Last line to show (inclusive)')),
});

export const ListDirectoryInputSchema = z.object({
  path: z
    ._default(z.string().check(z.maxLength(1000)), '')
    .check(describe('Directory relative to the repository root; "" for the root')),
});

export const SearchTextInputSchema = z.object({
  query: z
    .string()
    .check(z.minLength(1), z.maxLength(200), describe('Literal text to find (not a regular expression)')),
  path: z
    ._default(z.string().check(z.maxLength(1000)), '')
    .check(describe('Only search under this directory; "" for everywhere')),
  ignoreCase: z._default(z.boolean(), false),
  maxResults: z._default(z.int().check(z.minimum(1), z.maximum(MAX_SEARCH_RESULTS)), DEFAULT_SEARCH_RESULTS),
});

export interface ReadOnlyToolDefinition {
  name: ReadOnlyToolName;
  description: string;
  inputSchema: z.ZodMiniObject;
}

export type ReadOnlyToolName = 'view_file' | 'list_directory' | 'search_text';

export const READ_ONLY_TOOLS: readonly ReadOnlyToolDefinition[] = [
  {
    name: 'view_file',
    description:
      'Show a text file of the repository with line numbers, whole or a line range. ' +
      `At most ${MAX_VIEW_LINES} lines per call; ask for a range to see more. Secrets are redacted.`,
    inputSchema: ViewFileInputSchema,
  },
  {
    name: 'list_directory',
    description:
      'List the files and subdirectories directly inside a directory of the repository (subdirectories end with "/").',
    inputSchema: ListDirectoryInputSchema,
  },
  {
    name: 'search_text',
    description:
      'Find a literal string in the repository text files. Returns "path:line: text" hits, ' +
      `at most ${MAX_SEARCH_RESULTS}. Secrets are redacted.`,
    inputSchema: SearchTextInputSchema,
  },
];

/** True for the names of the read-only repository tools. */
export function isReadOnlyToolName(name: string): name is ReadOnlyToolName {
  return READ_ONLY_TOOLS.some((tool) => tool.name === name);
}

/** What a tool call returns to the model: redacted text, flagged when the call failed. */
export interface ToolExecution {
  content: string;
  isError: boolean;
}

/** Run one read-only tool against the repository; every output passes through redact(). */
export async function executeReadOnlyTool(options: {
  name: string;
  input: unknown;
  repo: RepoReader;
}): Promise<ToolExecution> {
  const { name, input, repo } = options;
  let result: ToolExecution;
  try {
    result = await runTool({ name, input, repo });
  } catch (error: unknown) {
    // A path the model made up (`app.py/x`: ENOTDIR, a directory read as a file, a missing
    // object) is a wrong guess, not a failed repair: the model hears why and tries again.
    result = {
      isError: true,
      content: `${name} could not read the repository there: ${describeReadError(error)}`,
    };
  }
  // Redact first, then clip: a cut through a secret could leave a prefix no rule recognises.
  const content = redact(result.content);
  const clipped =
    content.length > MAX_TOOL_OUTPUT_CHARS
      ? `${content.slice(0, MAX_TOOL_OUTPUT_CHARS)}\n[output truncated at ${MAX_TOOL_OUTPUT_CHARS} characters; ask for less]`
      : content;
  return { content: clipped, isError: result.isError };
}

async function runTool(options: { name: string; input: unknown; repo: RepoReader }): Promise<ToolExecution> {
  const { name, input, repo } = options;
  switch (name) {
    case 'view_file': {
      const parsed = ViewFileInputSchema.safeParse(input);
      if (!parsed.success) return invalidInput(name, parsed.error);
      return viewFile({ repo, ...parsed.data });
    }
    case 'list_directory': {
      const parsed = ListDirectoryInputSchema.safeParse(input);
      if (!parsed.success) return invalidInput(name, parsed.error);
      return listDirectory({ repo, ...parsed.data });
    }
    case 'search_text': {
      const parsed = SearchTextInputSchema.safeParse(input);
      if (!parsed.success) return invalidInput(name, parsed.error);
      return searchText({ repo, ...parsed.data });
    }
    default:
      return {
        isError: true,
        content: `Unknown tool "${name}". Available: ${READ_ONLY_TOOLS.map((t) => t.name).join(', ')}, submit_fix.`,
      };
  }
}

function describeReadError(error: unknown): string {
  const code =
    typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
      ? error.code
      : undefined;
  const message = error instanceof Error ? error.message : String(error);
  // The first line only: a stack or an absolute path of the workspace tells the model nothing useful.
  const first = (message.split('\n')[0] ?? '').slice(0, 200);
  return code ? `${code} (${first})` : first || 'unknown error';
}

function invalidInput(name: string, error: z.core.$ZodError): ToolExecution {
  return { isError: true, content: `Invalid input for ${name}:\n${z.prettifyError(error)}` };
}

/** Normalise a model-given path to the posix, root-relative form RepoReader uses. */
export function normalizeRepoPath(path: string): string | undefined {
  const parts: string[] = [];
  for (const part of path.replaceAll('\\', '/').split('/')) {
    if (part === '' || part === '.') continue;
    // `..` can only mean an escape attempt or confusion; neither should be honoured.
    if (part === '..') return undefined;
    parts.push(part);
  }
  return parts.join('/');
}

/** True when the bytes look binary (a NUL byte in the first 8 KiB, as git decides). */
export function isBinary(bytes: Uint8Array): boolean {
  const end = Math.min(bytes.length, 8192);
  for (let i = 0; i < end; i++) if (bytes[i] === 0) return true;
  return false;
}

const decoder = new TextDecoder('utf-8');

function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  // A trailing newline ends the last line; it does not start another.
  if (lines.length > 1 && lines.at(-1) === '') lines.pop();
  return lines;
}

function clip(line: string): string {
  return line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)} …[line truncated]` : line;
}

async function viewFile(options: {
  repo: RepoReader;
  path: string;
  startLine?: number | undefined;
  endLine?: number | undefined;
}): Promise<ToolExecution> {
  const path = normalizeRepoPath(options.path);
  if (path === undefined || path === '') {
    return { isError: true, content: `"${options.path}" is not a file path inside the repository.` };
  }
  const bytes = await options.repo.readFile(path);
  if (bytes === undefined) {
    return { isError: true, content: `No such file: ${path}. Use list_directory or search_text to find it.` };
  }
  if (isBinary(bytes)) return { isError: true, content: `${path} is a binary file (${bytes.length} bytes).` };
  const lines = splitLines(decoder.decode(bytes));
  const total = lines.length;
  const start = options.startLine ?? 1;
  if (start > total) {
    return { isError: true, content: `${path} has ${total} lines; startLine ${start} is past the end.` };
  }
  const requestedEnd = Math.min(options.endLine ?? total, total);
  if (requestedEnd < start) {
    return { isError: true, content: `endLine ${requestedEnd} is before startLine ${start}.` };
  }
  const end = Math.min(requestedEnd, start + MAX_VIEW_LINES - 1);
  const width = String(end).length;
  const body = lines
    .slice(start - 1, end)
    .map((line, index) => `${String(start + index).padStart(width, ' ')}\t${clip(line)}`)
    .join('\n');
  const header = `${path} (lines ${start}-${end} of ${total})`;
  const more =
    end < requestedEnd ? `\n[showing ${MAX_VIEW_LINES} lines; ask for startLine ${end + 1} to continue]` : '';
  return { isError: false, content: `${header}\n${body}${more}` };
}

async function listDirectory(options: { repo: RepoReader; path: string }): Promise<ToolExecution> {
  const dir = normalizeRepoPath(options.path);
  if (dir === undefined)
    return { isError: true, content: `"${options.path}" is not a path inside the repository.` };
  const prefix = dir === '' ? '' : `${dir}/`;
  const children = new Set<string>();
  for (const entry of await options.repo.listFiles()) {
    if (!entry.path.startsWith(prefix)) continue;
    const rest = entry.path.slice(prefix.length);
    const slash = rest.indexOf('/');
    children.add(slash === -1 ? rest : `${rest.slice(0, slash)}/`);
  }
  if (children.size === 0) {
    return { isError: true, content: `No such directory: ${dir === '' ? '(root)' : dir}` };
  }
  const sorted = [...children].sort();
  const shown = sorted.slice(0, MAX_LIST_ENTRIES);
  const more =
    sorted.length > shown.length ? `\n[${sorted.length - shown.length} more entries not shown]` : '';
  return { isError: false, content: `${dir === '' ? '(root)' : dir}:\n${shown.join('\n')}${more}` };
}

async function searchText(options: {
  repo: RepoReader;
  query: string;
  path: string;
  ignoreCase: boolean;
  maxResults: number;
}): Promise<ToolExecution> {
  const dir = normalizeRepoPath(options.path);
  if (dir === undefined)
    return { isError: true, content: `"${options.path}" is not a path inside the repository.` };
  const prefix = dir === '' ? '' : `${dir}/`;
  const needle = options.ignoreCase ? options.query.toLowerCase() : options.query;
  const hits: string[] = [];
  let truncated = false;
  const entries = (await options.repo.listFiles())
    .filter((entry) => entry.kind === 'file' || entry.kind === 'executable')
    .filter((entry) => entry.path.startsWith(prefix))
    .sort((a, b) => a.path.localeCompare(b.path));
  search: for (const entry of entries) {
    const bytes = await options.repo.readFile(entry.path);
    if (bytes === undefined || bytes.length > MAX_SEARCH_FILE_BYTES || isBinary(bytes)) continue;
    const lines = splitLines(decoder.decode(bytes));
    for (const [index, line] of lines.entries()) {
      const haystack = options.ignoreCase ? line.toLowerCase() : line;
      if (!haystack.includes(needle)) continue;
      if (hits.length >= options.maxResults) {
        truncated = true;
        break search;
      }
      hits.push(`${entry.path}:${index + 1}: ${clip(line.trim())}`);
    }
  }
  if (hits.length === 0) return { isError: false, content: `No matches for "${options.query}".` };
  const more = truncated ? `\n[stopped at ${options.maxResults} matches; narrow the query or the path]` : '';
  return { isError: false, content: `${hits.join('\n')}${more}` };
}
