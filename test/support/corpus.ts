import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ParsedTrace, TraceParser } from '../../functions/core/detect/parse-trace/parsed-trace.ts';

// The shared evaluation corpus lives outside the repository (see ../shared/corpus/README.md);
// its tests run only where it is present and never copy it in.
const corpusDir = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));

export interface CorpusFrame {
  file: string | null;
  line: number | null;
  function: string | null;
}

/** One annotated record of `<language>.jsonl`; the optional fields are annotated for some languages only. */
export interface CorpusRecord {
  id: string;
  events: string[];
  context_before?: string[];
  context_after?: string[];
  note?: string;
  derived_from?: string;
  expected: {
    exception_type: string | null;
    message: string | null;
    frames: CorpusFrame[];
    panic_location?: { file: string; line: number };
    thrown_at?: { file: string; line: number };
    inner?: { exception_type: string; message: string };
  };
}

/** The records of one language, or none where the corpus is absent. */
export function readCorpus(language: string): CorpusRecord[] {
  if (!existsSync(corpusDir)) return [];
  return readFileSync(`${corpusDir}${language}.jsonl`, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as CorpusRecord);
}

/**
 * One test per corpus record of each language, skipped where the corpus is absent: the parser's
 * result, in corpus terms (`actualOf`), must equal `expectedOf`. A record in `knownDifferences`
 * must differ, so a known miss that starts matching fails and the list stays honest.
 */
export function describeCorpus({
  languages,
  knownDifferences,
  actualOf,
  expectedOf,
}: {
  languages: readonly (readonly [string, TraceParser])[];
  knownDifferences: Readonly<Record<string, string>>;
  actualOf: (options: { language: string; trace: ParsedTrace | undefined; record: CorpusRecord }) => unknown;
  expectedOf: (options: { language: string; record: CorpusRecord }) => unknown;
}): void {
  const names = languages.map(([language]) => language).join(', ');
  describe.skipIf(!existsSync(corpusDir))(`shared corpus (${names})`, () => {
    for (const [language, parser] of languages) {
      describe(language, () => {
        const records = readCorpus(language);
        it.each(records.map((record) => [record.id, record] as const))('%s', (id, record) => {
          const trace = parser.parse(record.events.join('\n'));
          const actual = actualOf({ language, trace, record });
          const expected = expectedOf({ language, record });
          if (id in knownDifferences) expect(actual).not.toEqual(expected);
          else expect(actual).toEqual(expected);
        });
      });
    }
  });
}

export const isCorpusPresent = (): boolean => existsSync(corpusDir);

/** The trace languages of the corpus (file names), `csharp` being our `dotnet`. */
export const CORPUS_LANGUAGES = [
  'python',
  'java',
  'javascript',
  'go',
  'ruby',
  'php',
  'csharp',
  'rust',
] as const;

/**
 * A parsed trace in the corpus's terms: frames innermost first; Java's function is
 * `package.Class.method`; .NET lists the frames of every inner exception in printed order;
 * a frame with no file (`[internal function]`, a bare `<anonymous>`) has file null.
 */
export function toCorpusView(language: string, trace: ParsedTrace): CorpusView {
  const frames = language === 'csharp' ? [trace, ...trace.causes].flatMap((t) => t.frames) : trace.frames;
  return {
    exceptionType: trace.exceptionType,
    message: trace.message,
    frames: [...frames].reverse().map((frame) => ({
      file: frame.file === '' || frame.file === '[internal function]' ? null : frame.file,
      line: frame.line ?? null,
      function:
        language === 'java' && frame.module && frame.function
          ? `${frame.module}.${frame.function}`
          : (frame.function ?? null),
    })),
  };
}

export interface CorpusView {
  exceptionType: string;
  message: string;
  frames: CorpusFrame[];
}

/**
 * The annotation in the same terms. Our conventions where the corpus leaves a choice: a Rust
 * panic without a backtrace has its location as the one frame; a PHP trace's header location
 * (`thrown_at`) is its innermost frame, in the function #0 called; a Java frame's class has no
 * JPMS module (`java.base/`), so in-app package rules apply.
 */
export function expectedCorpusView(language: string, record: CorpusRecord): CorpusView {
  const { frames, panic_location: location, thrown_at: thrownAt } = record.expected;
  let expected = frames;
  if (frames.length === 0 && location)
    expected = [{ file: location.file, line: location.line, function: null }];
  // PHP's header location is where it was thrown: the innermost frame, in #0's callee.
  if (language === 'php' && thrownAt) {
    const callee =
      frames[0]?.file === null && frames[0]?.function === '{main}' ? null : (frames[0]?.function ?? null);
    expected = [{ file: thrownAt.file, line: thrownAt.line, function: callee }, ...frames];
  }
  if (language === 'java') {
    expected = frames.map((frame) => ({
      ...frame,
      function: frame.function?.replace(/^[^/(]*\//, '') ?? null,
    }));
  }
  return {
    exceptionType: record.expected.exception_type ?? '',
    message: record.expected.message ?? '',
    frames: expected,
  };
}
