// Optional: scores the whole detector (prefix stripping, assembly, parsing, redaction after
// parsing) against the annotations of the shared corpus (../shared/corpus, outside the
// repository), in both CloudWatch delivery shapes. Skipped where the corpus is absent.
import { describe, expect, it } from 'vitest';
import { type DetectedError, detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import {
  fingerprintError,
  normalizeFramePath,
  normalizeMessage,
} from '../../../functions/core/detect/fingerprint.ts';
import {
  CORPUS_LANGUAGES,
  type CorpusRecord,
  type CorpusView,
  expectedCorpusView,
  isCorpusPresent,
  readCorpus,
  toCorpusView,
} from '../../support/corpus.ts';
import { makeEvents } from '../../support/log-events.ts';

/** The records we knowingly do not match, with the reason; anything else missing fails the test. */
const KNOWN_MISSES: Record<string, string> = {
  // The corpus marks these frames best-effort (README: "don't score those records strictly").
  'java-fb-elastic': 'Elasticsearch `Type[message]` header with malformed frames, annotated best-effort',
  'js-de-v8': '"V8 errors stack trace" names no exception type; annotated best-effort',
  // The SQL text after the type is a message; the annotation says null.
  'cs-stp-runawaybugstacktrace': 'annotated message null although the text has one',
};

type Shape = 'one event' | 'per line';

/** The records holding the trace's own events (its neighbours may hold errors of their own). */
function recordsOf(record: CorpusRecord, shape: Shape): DetectedError[] {
  if (shape === 'one event') return detectErrors(makeEvents([record.events.join('\n')]));
  const before = record.context_before ?? [];
  const found = detectErrors(makeEvents([...before, ...record.events, ...(record.context_after ?? [])]));
  const own = new Set(record.events.map((_, i) => `e${before.length + i}`));
  return found.filter((d) => d.record.eventIds.some((id) => own.has(id)));
}

/**
 * A derived variant changed only per-occurrence noise (a deploy version in a path, an object
 * address, an e-mail) in its events, not in its annotation: compare it through the same
 * normalisation the fingerprint applies, and one spelling of redaction placeholders.
 */
function comparable(view: CorpusView, record: CorpusRecord): CorpusView {
  if (!record.derived_from) return view;
  const placeholder = (text: string) => text.replace(/\[REDACTED[^\]]{0,40}\]/g, '[REDACTED]');
  return {
    exceptionType: view.exceptionType,
    message: normalizeMessage(placeholder(view.message)),
    frames: view.frames.map((f) => ({ ...f, file: f.file === null ? null : normalizeFramePath(f.file) })),
  };
}

/** The corpus accepts a split for a few records ("a splitter that yields 3 records is also acceptable"). */
const acceptsSplit = (record: CorpusRecord): boolean => /is also acceptable/.test(record.note ?? '');

function score(
  language: string,
  record: CorpusRecord,
  shape: Shape,
): { exact: boolean; fingerprint?: string } {
  const found = recordsOf(record, shape);
  const detected = found.length === 1 || acceptsSplit(record) ? found[0] : undefined;
  if (!detected) return { exact: false };
  const actual = comparable(toCorpusView(language, detected.record), record);
  const expected = comparable(expectedCorpusView(language, record), record);
  return {
    exact: JSON.stringify(actual) === JSON.stringify(expected),
    fingerprint: fingerprintError(detected.record),
  };
}

describe.skipIf(!isCorpusPresent())('shared corpus: exact records from the detector', () => {
  it('matches ≥ 95% of the annotations exactly in both delivery shapes, one fingerprint per trace', () => {
    const misses = new Set<string>();
    const rows: Record<string, Record<string, string>> = {};
    let total = 0;
    const exact = { 'one event': 0, 'per line': 0 };
    let sameFingerprint = 0;
    for (const language of CORPUS_LANGUAGES) {
      const records = readCorpus(language);
      const row = { 'one event': 0, 'per line': 0 };
      for (const record of records) {
        const one = score(language, record, 'one event');
        const perLine = score(language, record, 'per line');
        if (one.exact) row['one event'] += 1;
        if (perLine.exact) row['per line'] += 1;
        if (!one.exact || !perLine.exact) misses.add(record.id);
        if (one.fingerprint && one.fingerprint === perLine.fingerprint) sameFingerprint += 1;
      }
      total += records.length;
      exact['one event'] += row['one event'];
      exact['per line'] += row['per line'];
      rows[language] = {
        'one event': `${row['one event']}/${records.length}`,
        'per line': `${row['per line']}/${records.length}`,
      };
    }
    console.log('corpus exact (type + message + every frame), per language:');
    console.table(rows);
    console.log(
      `corpus exact: one event ${exact['one event']}/${total}, per line ${exact['per line']}/${total}, same fingerprint in both shapes ${sameFingerprint}/${total}; misses: ${[...misses].join(', ')}`,
    );
    expect(exact['one event'] / total).toBeGreaterThanOrEqual(0.95);
    expect(exact['per line'] / total).toBeGreaterThanOrEqual(0.95);
    expect(sameFingerprint / total).toBeGreaterThanOrEqual(0.95);
    expect([...misses].sort()).toEqual(Object.keys(KNOWN_MISSES).sort());
  });
});
