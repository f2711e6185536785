import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Language, StackFrame } from '../../functions/core/contracts.ts';
import {
  type FingerprintInput,
  fingerprintError,
  fingerprintParts,
} from '../../functions/core/detect/fingerprint.ts';
import { isInApp } from '../../functions/core/detect/in-app.ts';
import { TRACE_PARSERS } from '../../functions/core/detect/parse-trace/index.ts';
import type { ParsedTrace } from '../../functions/core/detect/parse-trace/parsed-trace.ts';
import { redact } from '../../functions/core/text/redact.ts';

// The shared evaluation corpus lives outside the repository (../shared/corpus/README.md); this
// file runs only where it is present and never copies it in.
const corpusDir = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
const hasCorpus = existsSync(corpusDir);

interface CorpusFrame {
  file: string | null;
  line: number | null;
  function: string | null;
}

interface CorpusExpected {
  exception_type: string | null;
  message: string | null;
  frames: CorpusFrame[];
  root_cause?: { exception_type: string | null; message: string | null };
  inner?: { exception_type: string | null; message: string | null };
  chain?: { exception_type: string | null; message: string | null }[];
}

interface CorpusRecord {
  id: string;
  language: string;
  events: string[];
  expected: CorpusExpected;
}

interface DedupPair {
  id: string;
  relation: 'same' | 'different' | 'ambiguous';
  a: string;
  b: string;
  why: string;
}

const LANGUAGE_FILES = ['python', 'java', 'javascript', 'go', 'ruby', 'php', 'csharp', 'rust'];

function readJsonLines<T>(file: string): T[] {
  return readFileSync(`${corpusDir}${file}`, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

function toLanguage(corpusLanguage: string): Language {
  return corpusLanguage === 'csharp' ? 'dotnet' : (corpusLanguage as Language);
}

// Languages whose function names carry the owning package/type, which isInApp reads as `module`.
const MODULE_IN_FUNCTION = new Set<Language>(['java', 'dotnet', 'go', 'rust']);

/** Corpus frames are innermost first; ours are outermost first. */
function toFrames(language: Language, frames: CorpusFrame[]): StackFrame[] {
  return [...frames].reverse().map((frame) => {
    const file = frame.file ?? '';
    const fn = frame.function ?? undefined;
    const module = MODULE_IN_FUNCTION.has(language) ? fn : undefined;
    return {
      file,
      ...(frame.line === null ? {} : { line: frame.line }),
      ...(fn === undefined ? {} : { function: fn }),
      inApp: isInApp({ language, file, ...(module === undefined ? {} : { module }) }),
    };
  });
}

function fromExpected(record: CorpusRecord): FingerprintInput {
  const language = toLanguage(record.language);
  const { expected } = record;
  const cause = expected.root_cause ?? expected.inner;
  return {
    language,
    exceptionType: expected.exception_type ?? '',
    message: expected.message ?? '',
    frames: toFrames(language, expected.frames),
    causes: cause
      ? [
          {
            language,
            exceptionType: cause.exception_type ?? '',
            message: cause.message ?? '',
            frames: [],
            causes: [],
          },
        ]
      : [],
  };
}

function withInApp(trace: ParsedTrace): FingerprintInput {
  return { ...trace, causes: trace.causes.map(withInApp) };
}

/** The record as the language's own parser reads the text (the corpus' derived variants differ only there). */
function fromParser(record: CorpusRecord): FingerprintInput | undefined {
  const language = toLanguage(record.language);
  const parser = TRACE_PARSERS.find((candidate) => candidate.language === language);
  // Redacted first, as the detector does before it parses.
  const trace = parser?.parse(redact(record.events.join('\n')));
  return trace ? withInApp(trace) : undefined;
}

function loadCorpus(): { records: Map<string, CorpusRecord>; pairs: DedupPair[] } {
  const records = new Map<string, CorpusRecord>();
  if (!hasCorpus) return { records, pairs: [] };
  for (const language of LANGUAGE_FILES) {
    for (const record of readJsonLines<CorpusRecord>(`${language}.jsonl`)) records.set(record.id, record);
  }
  // ONE_EVENT:/PER_LINE: pairs need the assembler; the detector's own tests cover them.
  const pairs = readJsonLines<DedupPair>('dedup.jsonl').filter(
    (pair) => pair.relation !== 'ambiguous' && !pair.a.includes(':') && !pair.b.includes(':'),
  );
  return { records, pairs };
}

function score({
  pairs,
  records,
  build,
}: {
  pairs: DedupPair[];
  records: Map<string, CorpusRecord>;
  build: (record: CorpusRecord) => FingerprintInput | undefined;
}): { same: number; different: number; failures: string[] } {
  let same = 0;
  let different = 0;
  const failures: string[] = [];
  for (const pair of pairs) {
    const a = records.get(pair.a);
    const b = records.get(pair.b);
    const inputA = a && build(a);
    const inputB = b && build(b);
    if (!inputA || !inputB) {
      failures.push(`${pair.id} (${pair.relation}): no record for ${pair.a} or ${pair.b}`);
      continue;
    }
    const isEqual = fingerprintError(inputA) === fingerprintError(inputB);
    if (pair.relation === 'same' && isEqual) same++;
    else if (pair.relation === 'different' && !isEqual) different++;
    else
      failures.push(
        `${pair.id} (${pair.relation}): ${JSON.stringify(fingerprintParts(inputA))} vs ${JSON.stringify(fingerprintParts(inputB))}`,
      );
  }
  return { same, different, failures };
}

describe.skipIf(!hasCorpus)('fingerprints on the shared corpus (dedup.jsonl)', () => {
  const { records, pairs } = loadCorpus();
  const sameCount = pairs.filter((pair) => pair.relation === 'same').length;
  const differentCount = pairs.filter((pair) => pair.relation === 'different').length;

  it('has the pairs the README describes (16 same without the delivery-shape pairs, 13 different)', () => {
    expect({ sameCount, differentCount }).toEqual({ sameCount: 16, differentCount: 13 });
  });

  it('groups every pair right when records are built from the annotations', () => {
    const result = score({ pairs, records, build: fromExpected });
    console.info(
      `fingerprint corpus (annotations): ${result.same}/${sameCount} same, ${result.different}/${differentCount} different`,
    );
    expect(result.failures).toEqual([]);
  });

  it('groups the pairs right when records come from the language parsers (derived variants differ in text only)', () => {
    const result = score({ pairs, records, build: fromParser });
    console.info(
      `fingerprint corpus (parsers): ${result.same}/${sameCount} same, ${result.different}/${differentCount} different`,
    );
    expect(result.failures).toEqual([]);
  });
});
