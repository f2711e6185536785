import type { RepoReader } from '../ports/repo-workspace.ts';
import type { FrameMapping } from './map-frames.ts';
import { readText } from './place-bundled-frames.ts';

/**
 * Frames that matched several files equally well, placed in the one whose line holds the code the
 * trace printed for it. A SAM or CDK project keeps each function in its own folder, each with an
 * `app.py` (SAM's template names them so), and Lambda runs each as `/var/task/app.py`: the path
 * alone cannot say which function failed. Python prints every frame's line of code under it
 * (`File "/var/task/app.py", line 39, in lambda_handler` then `checkout_to_name = …`), in the
 * runtime's text and JSON formats and in a logger's traceback alike; the file whose line N is that
 * code is the one that ran (a JSON line cut short at 4 KiB still holds the frames before the cut,
 * escaped). Only a single such file counts: none (the code changed since) or two (copies of one
 * function) leave the frame ambiguous, as before.
 */
export async function placeByPrintedSource({
  mappings,
  raw,
  repo,
}: {
  mappings: readonly FrameMapping[];
  /** the record's assembled text: the traceback as printed, or the JSON that holds it */
  raw: string;
  repo: RepoReader;
}): Promise<FrameMapping[]> {
  if (!mappings.some((m) => m.kind === 'unmapped' && m.tied && m.frame.line !== undefined))
    return [...mappings];
  const printed = printedSource(raw);
  if (printed.size === 0) return [...mappings];
  // a file tied for several frames is read once
  const texts = new Map<string, Promise<string | undefined>>();
  const read = (path: string): Promise<string | undefined> => {
    const text = texts.get(path) ?? readText(repo, path);
    texts.set(path, text);
    return text;
  };
  return Promise.all(
    mappings.map(async (mapping): Promise<FrameMapping> => {
      if (mapping.kind !== 'unmapped' || !mapping.tied || mapping.frame.line === undefined) return mapping;
      const { file, line } = mapping.frame;
      const code = printed.get(`${file}:${line}`);
      if (code === undefined) return mapping;
      const holding: string[] = [];
      for (const path of mapping.tied.slice(0, MAX_TIED_READ))
        if (lineOf(await read(path), line) === code) holding.push(path);
      const [only] = holding;
      return holding.length === 1 && only !== undefined
        ? { frame: mapping.frame, kind: 'mapped', path: only }
        : mapping;
    }),
  );
}

/** Files of one tie read at most: a tie among more is no project's layout. */
const MAX_TIED_READ = 20;

// A Python frame's header and the line of code printed under it (spaces or, in the Lambda
// runtime's text format, no-break spaces before it); a header followed by another has no code.
const FRAME_WITH_CODE =
  /File "([^"\n]{1,500})", line (\d{1,7}), in [^\n]{1,300}\n[ \t\u00a0]*([^\n]{1,1000})/g;

/**
 * `file:line` → the code the traceback printed for that frame, trimmed. The runtime's JSON format
 * and a JSON logger's (Powertools' `exception`) hold the traceback in string fields: those are
 * read too. A frame printed twice with different code (two runs of one file) is left out.
 */
function printedSource(raw: string): Map<string, string> {
  const found = new Map<string, string | null>();
  for (const text of [raw, ...jsonStrings(raw)])
    for (const m of text.matchAll(FRAME_WITH_CODE)) {
      const [, file, line, code = ''] = m;
      const trimmed = code.trim();
      if (trimmed === '' || trimmed.startsWith('File "')) continue;
      const key = `${file}:${line}`;
      const known = found.get(key);
      found.set(key, known === undefined || known === trimmed ? trimmed : null);
    }
  const printed = new Map<string, string>();
  for (const [key, code] of found) if (code !== null) printed.set(key, code);
  return printed;
}

/** The string values of a record that is one JSON object (a JSON log line), else none. */
function jsonStrings(raw: string): string[] {
  const trimmed = raw.trim();
  if (!trimmed.startsWith('{')) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    // cut short (a line is kept to its first 4 KiB): its escapes read as the strings they stand for
    return [trimmed.replace(JSON_ESCAPE, unescapeJson)];
  }
  const strings: string[] = [];
  const walk = (value: unknown, depth: number): void => {
    if (typeof value === 'string') strings.push(value);
    else if (depth < 4 && value !== null && typeof value === 'object')
      for (const v of Object.values(value)) walk(v, depth + 1);
  };
  walk(parsed, 0);
  // each stackTrace element is one frame: joined, a header and its code stay together
  return [strings.join('\n')];
}

const JSON_ESCAPE = /\\(?:u([0-9a-fA-F]{4})|(["\\/bfnrt]))/g;
const ESCAPED: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
const unescapeJson = (_: string, code: string | undefined, char: string | undefined): string =>
  code !== undefined ? String.fromCharCode(Number.parseInt(code, 16)) : (ESCAPED[char ?? ''] ?? char ?? '');

/** Line `n` (1-based) of a file's text, trimmed; undefined past its end. */
function lineOf(text: string | undefined, n: number): string | undefined {
  if (text === undefined) return undefined;
  let start = 0;
  for (let i = 1; i < n; i++) {
    const next = text.indexOf('\n', start);
    if (next < 0) return undefined;
    start = next + 1;
  }
  const end = text.indexOf('\n', start);
  return text.slice(start, end < 0 ? undefined : end).trim();
}
