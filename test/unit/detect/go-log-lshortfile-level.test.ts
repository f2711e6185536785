// A Go program's own `log.Printf("ERROR: %v", err)` with `log.SetFlags(log.LstdFlags |
// log.Lshortfile)`: log puts the call's place between the date and the level (`2026/12/08 00:59:20
// main.go:19: ERROR: charge order ord-42: …`). Captured on Go 1.19.8 (Debian's golang-1.19): an
// INFO line, then the ERROR line of a wrapped error.
import { describe, expect, it } from 'vitest';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import { makeEvents, traceText } from '../../support/log-events.ts';

const lines = traceText('go/go119-log-lshortfile-printf-error-level.output').replace(/\n+$/, '').split('\n');

describe("a Go log line's level after the call's place (log.Lshortfile)", () => {
  it('is an error record in both shapes, the INFO line none, as without the flag', () => {
    const shapes = [makeEvents(lines), makeEvents([lines.join('\n')])];
    const records = shapes.map((events) => detectErrors(events).map((d) => d.record));
    for (const found of records) {
      expect(found.map((r) => [r.exceptionType, r.message])).toEqual([
        ['ERROR', 'charge order ord-42: card declined: insufficient funds'],
      ]);
    }
    const [perLine, whole] = records.map((found) => (found[0] ? fingerprintError(found[0]) : undefined));
    expect(perLine).toBe(whole);
    // the same call logged with log's default flags is the same incident
    const plain = (lines[1] ?? '').replace(' main.go:19:', '');
    const [withoutFlag] = detectErrors(makeEvents([plain]));
    expect(withoutFlag && fingerprintError(withoutFlag.record)).toBe(perLine);
  });
});
