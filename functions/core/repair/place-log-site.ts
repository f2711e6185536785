import type { ErrorRecord, Language, StackFrame } from '../contracts.ts';
import { isRuntimeExit } from '../detect/lambda-platform.ts';
import type { RepoReader } from '../ports/repo-workspace.ts';
import { stripControlCharacters } from '../text/strip-control.ts';
import { languageOfPath } from './edit-policy.ts';
import { NOT_APPLICATION_SOURCE, readText } from './place-bundled-frames.ts';

/**
 * An error logged without a stack trace (`log.error("failed to price order %s: %s", oid, e)`,
 * `console.error(\`checkout failed for order ${id}:\`, err.message)`) names no file, and the
 * repair had no code to show. The statement that logged it is found by its message's fixed text:
 * the words between the values a program puts in (numbers, ids, quoted values), in the order they
 * are written (the program's own words come first; an error's words, after a `: `, later),
 * searched inside the string literals of the repository's source. The one line that holds them
 * becomes the error's frame; text found on several lines places nothing. A message that quotes the
 * line of code that failed (Ruby's error_highlight) is placed at that line first.
 */

// Ruby's error_highlight (3.1+) quotes the line that failed in the error's message, a line of
// carets under the call (`    order[:lines].sum { … }` / `                 ^^^^`); a server that
// prints the message and no backtrace (Puma) still names the code that way. Sinatra and Puma end
// the marker line with their own `:` or `>`.
const CARET_MARKER = /^\s*\^{2,}[:>]?\s*$/;
const MIN_SNIPPET_CHARS = 10;
const MAX_SNIPPET_CHARS = 300;

/** The line of code an error's text quotes above a caret marker, trimmed, if any. */
export function quotedCodeLine(text: string): string | undefined {
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!CARET_MARKER.test(lines[i + 1] ?? '')) continue;
    const code = (lines[i] ?? '').trim();
    if (code.length >= MIN_SNIPPET_CHARS && code.length <= MAX_SNIPPET_CHARS) return code;
  }
  return undefined;
}

export type LogSitePlacement =
  /** `location`: `path:line`; `finding`: the same for the prompt, outside the fence */
  | { kind: 'placed'; error: ErrorRecord; path: string; location: string; finding: string }
  | { kind: 'not_applicable' };

// Where a program's values sit in a message: quoted values, redaction placeholders, anything
// holding a digit (ids, counts, times), addresses. A `: ` then splits what is left (`failed to
// price order: <the error's words>`).
const VALUE =
  /'[^'\n]{0,200}'|"[^"\n]{0,200}"|`[^`\n]{0,200}`|\[[A-Z]{3,12}(?::[^\]\n]{0,40})?\]|[a-z][a-z0-9+.-]{1,20}:\/\/\S{1,500}|\S{0,100}@\S{1,200}|\S{0,100}\d\S{0,100}/g;
/** A fragment worth searching: several words of letters, long enough not to be everywhere. */
const MIN_FRAGMENT_LETTERS = 12;
const MIN_FRAGMENT_WORDS = 2;
const MAX_FRAGMENTS = 3;
const MAX_FRAGMENT_CHARS = 120;
/** The part of a message read for fragments: its first line, capped. */
const MAX_HEADLINE_CHARS = 2000;
/** A repository this size is searched in the files listed first. */
const MAX_FILES_SEARCHED = 4000;
const MAX_BYTES_SEARCHED = 32 * 1024 * 1024;
/** Lines kept per fragment at its longest form (one places it; more only bound the list). */
const MAX_HITS = 8;
const QUOTES = /['"`]/;
// Types that are the platform's or the runtime's own words, never a statement of the program.
const PLATFORM_TYPE = /^(?:Runtime|Sandbox|Extension|Function|Init)\./;

/** The message's fixed text, in the order written: the words a log statement wrote as they are. */
export function fixedFragments(message: string): string[] {
  const headline = (message.split('\n').find((line) => line.trim() !== '') ?? '').slice(
    0,
    MAX_HEADLINE_CHARS,
  );
  return headline
    .split(VALUE)
    .flatMap((part) => part.split(/: /))
    .map((part) => part.replace(/^[\s:;,.(){}[\]=-]+|[\s:;,(){}[\]=-]+$/g, '').trim())
    .filter((part) => isSearchable(part.split(/\s+/)))
    .map((part) => part.slice(0, MAX_FRAGMENT_CHARS))
    .slice(0, MAX_FRAGMENTS);
}

// One word is enough when it is an event's key (`jobs.retry_failed`, `partner.image_delete_failed`).
const KEY_WORD = /^[A-Za-z]+(?:[._-][A-Za-z]+){1,6}$/;

const isSearchable = (words: readonly string[]): boolean =>
  (words.length >= MIN_FRAGMENT_WORDS || (words.length === 1 && KEY_WORD.test(words[0] ?? ''))) &&
  words.join('').replace(/[^A-Za-z]/g, '').length >= MIN_FRAGMENT_LETTERS;

/**
 * What of a fragment a statement may have written as it is, longest first: the fragment, then
 * without its last words, then without its first (a value with no digit in it, `the value abc`,
 * is part of the fragment: the statement wrote `the value %s`).
 */
export function fragmentForms(fragment: string): string[] {
  const words = fragment.split(/\s+/);
  const forms: string[] = [];
  for (let n = words.length; n >= 1; n--) {
    const head = words.slice(0, n);
    const tail = words.slice(words.length - n);
    if (isSearchable(head)) forms.push(head.join(' '));
    if (n < words.length && isSearchable(tail)) forms.push(tail.join(' '));
  }
  return [...new Set(forms)];
}

interface Hit {
  path: string;
  line: number;
  /** the fragment's longest form the line holds */
  form: string;
}

/**
 * The line of the repository that logged an error with no frames, found by the message's fixed
 * text (see the module's comment). `pathPrefix` (an application inside a monorepo) is searched first.
 */
export async function placeLogSite({
  error,
  repo,
  pathPrefix = '',
}: {
  error: ErrorRecord;
  repo: RepoReader;
  pathPrefix?: string;
}): Promise<LogSitePlacement> {
  // A runtime that exited with no error logged: its last line is what the program said before it
  // exited (Go's `log.Fatalf("failed to price order %d: %v", …)`), searched as a message is (its
  // time, `2026/12/07 21:44:31`, holds digits: a value, as an id is).
  const lastWords = isRuntimeExit(error) ? error.lastLines?.at(-1) : undefined;
  if (hasFrames(error) || (PLATFORM_TYPE.test(error.exceptionType) && lastWords === undefined))
    return { kind: 'not_applicable' };
  const fragments =
    lastWords !== undefined
      ? fixedFragments(lastWords)
      : [
          // the statement's own words first, then the error's
          ...new Set([...loggedTexts(error.raw).flatMap(fixedFragments), ...fixedFragments(error.message)]),
        ].slice(0, MAX_FRAGMENTS);
  const snippet = quotedCodeLine(error.raw);
  const worker = obanWorker(error.raw);
  if (fragments.length === 0 && snippet === undefined && worker === undefined)
    return { kind: 'not_applicable' };
  const prefix = pathPrefix.replace(/^\/+|\/+$/g, '');
  const entries = await repo.listFiles();
  const candidates = entries
    .filter((e) => (e.kind === 'file' || e.kind === 'executable') && languageOfPath(e.path) !== undefined)
    .map((e) => e.path)
    .filter((path) => !NOT_APPLICATION_SOURCE.test(path))
    .sort((a, b) => Number(!a.startsWith(`${prefix}/`)) - Number(!b.startsWith(`${prefix}/`)));
  const forms = fragments.map(fragmentForms);
  // the shortest forms: a file holding none of them holds no form at all
  const shortest = forms.flatMap((list) => list.slice(-2));
  const hits = fragments.map((): Hit[] => []);
  const snippetHits: Hit[] = [];
  const workerHits: Hit[] = [];
  let searched = 0;
  let bytes = 0;
  for (const path of candidates) {
    if (searched >= MAX_FILES_SEARCHED || bytes >= MAX_BYTES_SEARCHED) break;
    const text = await readText(repo, path);
    if (text === undefined) continue;
    searched += 1;
    bytes += text.length;
    if (worker !== undefined && workerHits.length <= MAX_HITS) {
      const at = performOf(text, worker.module);
      if (at !== undefined) workerHits.push({ path, line: at, form: worker.module });
    }
    const hasSnippet = snippet !== undefined && text.includes(snippet);
    if (!hasSnippet && !shortest.some((form) => text.includes(form))) continue;
    for (const [i, line] of text.split('\n').entries()) {
      if (hasSnippet && snippetHits.length <= MAX_HITS && line.trim() === snippet)
        snippetHits.push({ path, line: i + 1, form: snippet });
      for (const [f, list] of forms.entries()) {
        // the longest form on the line, inside a string literal: a quote before it
        const form = list.find((candidate) => {
          const at = line.indexOf(candidate);
          return at >= 0 && QUOTES.test(line.slice(0, at));
        });
        const found = hits[f];
        if (!form || !found) continue;
        // only the lines holding the longest form found so far are kept: a shorter form
        // (`Failed to fetch`) on many lines says nothing against the one holding all of it
        const best = found[0]?.form.length ?? 0;
        if (form.length > best) found.splice(0, found.length, { path, line: i + 1, form });
        else if (form.length === best && found.length <= MAX_HITS) found.push({ path, line: i + 1, form });
      }
    }
  }
  // The quoted line of code is where it failed; else the statement that logged it: the first
  // fragment whose longest form is on exactly one line — or on one line under the path prefix (the
  // application a monorepo's other services share words with), as frames break such a tie.
  const failedAt = onlyHit(snippetHits, prefix);
  if (failedAt) return placed(error, failedAt, 'quoted');
  for (const found of hits) {
    const only = onlyHit(found, prefix);
    if (only) return placed(error, only, 'logged');
  }
  const job = onlyHit(workerHits, prefix);
  if (job) return placed(error, job, 'worker');
  return { kind: 'not_applicable' };
}

// `"worker":"Shop.Workers.Charge"`: an Elixir module name, as Oban's default logger writes it
const MODULE_NAME = /^[A-Z]\w{0,100}(?:\.[A-Z]\w{0,100}){0,10}$/;

/**
 * The worker of a job Oban's default logger reports failed (`"source":"oban"`, `"event":
 * "job:exception"`): it names the job's module, not where in it the job failed.
 */
function obanWorker(raw: string): { module: string } | undefined {
  const fields = jsonFields(raw);
  const module = fields?.worker;
  if (fields?.source !== 'oban' || fields.event !== 'job:exception' || typeof module !== 'string')
    return undefined;
  return MODULE_NAME.test(module) ? { module } : undefined;
}

/** The line of `def perform(` in the file's `defmodule <module> do`, or of the defmodule itself. */
function performOf(text: string, module: string): number | undefined {
  const opening = `defmodule ${module} do`;
  const at = text.indexOf(opening);
  if (at < 0) return undefined;
  const next = text.indexOf('\n', at + opening.length);
  if (next >= 0 && text.slice(at + opening.length, next).trim() !== '') return undefined;
  const first = text.slice(0, at).split('\n').length;
  const lines = text.slice(at).split('\n');
  // the next module's opening ends this one's body (a file may hold several)
  const end = lines.findIndex((line, i) => i > 0 && /^\s*defmodule\s/.test(line));
  const body = end < 0 ? lines : lines.slice(0, end);
  const perform = body.findIndex((line) => /^\s*def perform\(/.test(line));
  return first + Math.max(perform, 0);
}

function onlyHit(found: readonly Hit[], prefix: string): Hit | undefined {
  const [only, ...more] = found;
  if (more.length === 0) return only;
  const under = prefix === '' ? [] : found.filter((h) => h.path.startsWith(`${prefix}/`));
  return under.length === 1 ? under[0] : undefined;
}

// A structured logger keeps the program's words apart from the error's: logrus and zap put the
// error in `error` (the record's message) and the statement's text in `msg`.
const LOGGED_TEXT_FIELDS = ['msg', 'message', 'event', '@m'] as const;
const MAX_RAW_JSON_CHARS = 64 * 1024;

/** The statement's own text a JSON log line holds beside the error, if the line is JSON. */
function loggedTexts(raw: string): string[] {
  const fields = jsonFields(raw);
  if (!fields) return [];
  // Rust's tracing nests the event's fields, its message among them: `{"fields":{"message":…}}`
  const nested = fields.fields;
  const inner = typeof nested === 'object' && nested !== null ? (nested as Record<string, unknown>) : {};
  return [fields, inner].flatMap((level) =>
    LOGGED_TEXT_FIELDS.flatMap((key) => (typeof level[key] === 'string' ? [level[key]] : [])),
  );
}

/** The fields of a record's raw text when it is one JSON object. */
function jsonFields(raw: string): Record<string, unknown> | undefined {
  const line = raw.trim();
  if (!line.startsWith('{') || !line.endsWith('}') || line.length > MAX_RAW_JSON_CHARS) return undefined;
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    return undefined;
  }
  return typeof obj === 'object' && obj !== null && !Array.isArray(obj)
    ? (obj as Record<string, unknown>)
    : undefined;
}

function hasFrames(error: Pick<ErrorRecord, 'frames' | 'causes'>): boolean {
  return error.frames.length > 0 || error.causes.some(hasFrames);
}

function placed(error: ErrorRecord, hit: Hit, how: 'quoted' | 'logged' | 'worker'): LogSitePlacement {
  const frame: StackFrame = { file: hit.path, line: hit.line, inApp: true };
  // The file that wrote the error is its language: a frameless line's own says little (Rust's
  // `Error: order has no items`, what anyhow prints for an error with no context, reads as
  // JavaScript's), and a fix is allowed only in files of the record's language.
  const language: Language = languageOfPath(hit.path) ?? error.language;
  const location = `${hit.path}:${hit.line}`;
  const quoted = stripControlCharacters(hit.form).replace(/`/g, "'");
  return {
    kind: 'placed',
    error: { ...error, language, frames: [frame] },
    path: hit.path,
    location,
    finding:
      how === 'quoted'
        ? `The error was logged without a stack trace, but its message quotes the line of code that failed ("${quoted}"): that is ${location}, and no other line of the application's source reads so.`
        : how === 'worker'
          ? `The error was logged without a stack trace by Oban, for a job of the worker ${quoted}, defined at ${location} (its perform/1). The job failed in that function or in code it calls; the log does not say where.`
          : isRuntimeExit(error)
            ? `The function's runtime exited with no error logged before it. The last line it logged ("${quoted}" is its fixed text) is written at ${location} and nowhere else in the application's source: most likely the statement that logged why and exited (log.Fatal and the like). What failed is then in the code around it, not in the log statement itself.`
            : `The error was logged without a stack trace. The fixed text of its message ("${quoted}") is written at ${location} and nowhere else in the application's source: most likely the statement that logged it. What failed is then in the code around it (what it caught or checked just before), not in the log statement itself.`,
  };
}
