// Optional: scores detection and assembly against the shared evaluation corpus when it is
// present (../shared/corpus, outside the repository). The project does not depend on it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import { makeEvents } from '../../support/log-events.ts';

const corpusDir = join(import.meta.dirname, '../../../../shared/corpus');

interface TraceRecord {
  id: string;
  events: string[];
  context_before?: string[];
  context_after?: string[];
}
interface NoiseRecord {
  id: string;
  event: string;
  ambiguous: boolean;
}

const readJsonl = <T>(file: string): T[] =>
  readFileSync(join(corpusDir, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);

describe.skipIf(!existsSync(corpusDir))('shared corpus: detection and assembly', () => {
  const traces = existsSync(corpusDir)
    ? readdirSync(corpusDir)
        .filter((f) => f.endsWith('.jsonl') && !['dedup.jsonl', 'noise.jsonl'].includes(f))
        .flatMap((f) => readJsonl<TraceRecord>(f))
    : [];

  it('finds each trace as one record in both delivery shapes, with one fingerprint', () => {
    const misses: string[] = [];
    for (const t of traces) {
      const one = detectErrors(makeEvents([t.events.join('\n')]));
      const before = t.context_before ?? [];
      const lines = [...before, ...t.events, ...(t.context_after ?? [])];
      const perLine = detectErrors(makeEvents(lines));
      const fpOne = one.length === 1 && one[0] ? fingerprintError(one[0].record) : undefined;
      // The records holding the trace's own lines (its neighbours may hold errors of their own).
      const own = new Set(t.events.map((_, i) => `e${before.length + i}`));
      const inTrace = perLine.filter((d) => d.record.eventIds.some((id) => own.has(id)));
      const fpLine = inTrace.length === 1 && inTrace[0] ? fingerprintError(inTrace[0].record) : undefined;
      if (!fpOne || fpOne !== fpLine)
        misses.push(`${t.id} (one event: ${one.length}, per line: ${inTrace.length})`);
    }
    const rate = (traces.length - misses.length) / traces.length;
    console.log(
      `corpus assembly: ${traces.length - misses.length}/${traces.length}; misses: ${misses.join(', ')}`,
    );
    expect(rate).toBeGreaterThanOrEqual(0.9);
  });

  it('stays silent on the noise lines that are not ambiguous', () => {
    const noise = readJsonl<NoiseRecord>('noise.jsonl').filter((n) => !n.ambiguous);
    const loud = noise.filter((n) => detectErrors(makeEvents([n.event])).length > 0).map((n) => n.id);
    console.log(
      `corpus noise: ${noise.length - loud.length}/${noise.length} silent; loud: ${loud.join(', ')}`,
    );
    expect(loud).toEqual([]);
  });
});
