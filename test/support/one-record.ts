import { expect } from 'vitest';
import type { ErrorRecord } from '../../functions/core/contracts.ts';
import { detectErrors } from '../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../functions/core/detect/fingerprint.ts';
import { deliveries, makeEvents, traceText } from './log-events.ts';

/**
 * The one record a capture's lines make, logged as one event and as one event per line alike:
 * the same fingerprint either way, and every line the record's (but blank ones, with `blanksAside`:
 * Node prints a blank line before its excerpt and before its `Node.js v…` line, of no record).
 */
export function onlyRecordInBothShapes(
  lines: readonly string[],
  { blanksAside = false, linesAside = false }: { blanksAside?: boolean; linesAside?: boolean } = {},
): ErrorRecord {
  const whole = detectErrors(makeEvents([lines.join('\n')]));
  const perLine = detectErrors(makeEvents(lines));
  expect(whole).toHaveLength(1);
  expect(perLine).toHaveLength(1);
  const [a, b] = [whole[0]?.record, perLine[0]?.record];
  if (!a || !b) throw new Error('no record');
  expect(fingerprintError(b)).toBe(fingerprintError(a));
  // `linesAside`: lines of the capture may be no part of the record (a program's own line before it)
  if (!linesAside)
    expect(b.eventIds).toHaveLength(
      blanksAside ? lines.filter((line) => line.trim() !== '').length : lines.length,
    );
  return a;
}

/**
 * The one record a fixture makes as one event and as one event per line (`path` under
 * test/fixtures/traces/), read alike: type, message, frames, each cause's type, message and frame
 * count, and fingerprint. Unlike onlyRecordInBothShapes, lines of the capture may be no part of it.
 */
export function readInBothShapes(path: string): { record: ErrorRecord; perLine: ErrorRecord } {
  const { oneEvent, perLine } = deliveries(traceText(path));
  const one = detectErrors(makeEvents(oneEvent)).map((d) => d.record);
  const lines = detectErrors(makeEvents(perLine)).map((d) => d.record);
  expect(one).toHaveLength(1);
  expect(lines).toHaveLength(1);
  const [a, b] = [one[0] as ErrorRecord, lines[0] as ErrorRecord];
  expect([b.exceptionType, b.message, b.frames]).toEqual([a.exceptionType, a.message, a.frames]);
  expect(b.causes.map((c) => [c.exceptionType, c.message, c.frames.length])).toEqual(
    a.causes.map((c) => [c.exceptionType, c.message, c.frames.length]),
  );
  expect(fingerprintError(b)).toBe(fingerprintError(a));
  return { record: a, perLine: b };
}
