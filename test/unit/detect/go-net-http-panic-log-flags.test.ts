// net/http logs a handler's panic (`http: panic serving <addr>: <value>`, then the goroutine's
// stack) through the standard logger when the server has no ErrorLog, with the flags and prefix
// the program set: `log.SetFlags(log.LstdFlags | log.Lshortfile)`, common in Go services, puts
// net/http's own place after the date (`server.go:3230: `), Llongfile its whole path, and
// `log.SetPrefix("[cart-api] ")` the prefix before the date. Captured on Go 1.19.8 (Debian
// bookworm's golang-1.19), one program, a nil map in a handler, run with each setting.
import { describe, expect, it } from 'vitest';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import { makeEvents, traceText } from '../../support/log-events.ts';
import { onlyRecordInBothShapes } from '../../support/one-record.ts';

const lines = (name: string) =>
  traceText(`go/go119-net-http-panic-serving-log-${name}.txt`).replace(/\n+$/, '').split('\n');
const SETTINGS = ['lshortfile', 'llongfile', 'setprefix', 'lmicroseconds-lutc'];

describe("net/http's recovered panic, logged with the logger's flags and prefix", () => {
  it.each(SETTINGS)('is one record in both shapes, the handler its innermost in-app frame: %s', (name) => {
    const record = onlyRecordInBothShapes(lines(name));
    expect([record.language, record.exceptionType, record.message]).toEqual([
      'go',
      'panic',
      'runtime error: invalid memory address or nil pointer dereference',
    ]);
    expect(record.frames.filter((f) => f.inApp).at(-1)).toMatchObject({
      file: '/srv/audit-a/goflags/main.go',
      line: 16,
      function: 'main.addItem',
    });
  });

  it('is one incident whatever the flags', () => {
    const fingerprints = SETTINGS.map((name) => {
      const [found] = detectErrors(makeEvents([lines(name).join('\n')]));
      return found ? fingerprintError(found.record) : undefined;
    });
    expect(new Set(fingerprints).size).toBe(1);
    expect(fingerprints[0]).toBeDefined();
  });

  it('reads only a Go log header before the words: other text before them opens no trace', () => {
    const [header, ...stack] = lines('lshortfile');
    const rest = (header ?? '').slice((header ?? '').indexOf('http: panic serving'));
    for (const lead of ['{"msg":"2026/12/08 00:49:42 ', 'proxy said: ', '2026/12/08 00:49:42 main.go: ']) {
      expect(detectErrors(makeEvents([`${lead}${rest}`, ...stack]))).not.toContainEqual(
        expect.objectContaining({ record: expect.objectContaining({ language: 'go' }) }),
      );
    }
  });
});
