// Words Node prints with an error that are not the error's own (class, name, frames), from real
// captures (Node 20.20 and 24.22; programs in /tmp/audit/node-py-php-rb/programs/node-shop, the others in
// /tmp/js-exp/node-shop: the worker wrapping its error in one with a `[cause]`, the listener's
// program run with none (line for line the same), a listener logging a custom class, an
// EventEmitter's error with a cause).
//
// A worker_threads Worker's uncaught error reaches its parent as a copy whose Symbol.toStringTag
// Node sets to `Error`; util.inspect prints a tag that differs from the class in brackets after it,
// where it prints a name that does: `TypeError [Error]: img.width.map is not a function`. Before,
// the bracket was read as the error's name (as joi's `Error [ValidationError]` is), and every
// error a worker threw was an `Error`.
import { describe, expect, it } from 'vitest';
import type { ErrorRecord } from '../../../functions/core/contracts.ts';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import { traceText } from '../../support/log-events.ts';
import { onlyRecordInBothShapes } from '../../support/one-record.ts';

const capture = (name: string): string[] =>
  traceText(`javascript/${name}.txt`).replace(/\n+$/, '').split('\n');

/**
 * The one record a capture makes, logged as one event and as one event per line alike (the same
 * fingerprint). Not every line is the record's: the program's own first line, and Node's excerpt
 * of its `node:internal/event_target` where the parent re-throws, are not.
 */
const onlyRecord = (name: string): ErrorRecord => onlyRecordInBothShapes(capture(name), { linesAside: true });

describe('an error a worker thread did not catch, as its parent prints it', () => {
  it.each(['node20', 'node24'])('%s: `TypeError [Error]` is a TypeError, thrown in the worker', (node) => {
    const record = onlyRecord(`${node}-worker-thread-uncaught-typeerror`);
    expect(record).toMatchObject({
      language: 'javascript',
      exceptionType: 'TypeError',
      message: 'img.width.map is not a function',
    });
    expect(record.frames.filter((f) => f.inApp).at(-1)).toMatchObject({
      file: '/tmp/audit/node-py-php-rb/programs/node-shop/src/workers/resize.js',
      line: 2,
      function: 'scale',
    });
  });

  it('node24: its `[cause]`, a copy too, keeps its class', () => {
    const record = onlyRecord('node24-worker-thread-uncaught-error-with-cause');
    expect(record).toMatchObject({ exceptionType: 'RangeError', message: 'cannot resize img-7' });
    expect(record.causes).toMatchObject([
      { exceptionType: 'TypeError', message: 'img.width.map is not a function' },
    ]);
  });
});

// A process.on('uncaughtException') listener is handed the error and its origin, and often logs
// both: `2026-12-07T23:18:58.862Z FATAL uncaughtException: SyntaxError: Expected double-quoted
// property name in JSON at position 35`, then err.stack's frames. Before, the origin word, ending in
// Exception, was read as the error's class, its header the message: every crash so logged was one
// `uncaughtException`, whatever was thrown. (The same listener's `unhandledRejection: …` was read
// right: that word ends in neither Error nor Exception.)
describe('an error a process.on(`uncaughtException`) listener logs after its origin', () => {
  it.each(['node20', 'node24'])('%s: the SyntaxError after `uncaughtException:` is the error', (node) => {
    const lines = capture(`${node}-uncaught-exception-handler-iso-fatal-json-syntax`);
    expect(lines[0]).toMatch(/ INFO boot$/);
    const record = onlyRecordInBothShapes(lines.slice(1));
    expect(record).toMatchObject({ language: 'javascript', exceptionType: 'SyntaxError' });
    expect(record.message).toMatch(/^Expected double-quoted property name in JSON at position 35(?: \(|$)/);
    expect(record.frames.filter((f) => f.inApp).at(-1)).toMatchObject({
      file: '/tmp/audit/node-py-php-rb/programs/node-shop/src/lib/config.js',
      line: 2,
      function: 'loadConfig',
    });
  });

  it.each(['node20', 'node24'])(
    '%s: is one incident with the same crash as Node prints it with no listener',
    (node) => {
      const logged = onlyRecord(`${node}-uncaught-exception-handler-iso-fatal-json-syntax`);
      const printed = onlyRecord(`${node}-uncaught-json-syntax-default-print`);
      expect(printed.exceptionType).toBe('SyntaxError');
      expect(fingerprintError(logged)).toBe(fingerprintError(printed));
    },
  );

  it.each(['node20', 'node24'])('%s: a custom class after `uncaughtException:` is the error', (node) => {
    const record = onlyRecordInBothShapes(
      capture(`${node}-uncaught-exception-handler-iso-fatal-custom-class`).slice(1),
    );
    expect(record).toMatchObject({ exceptionType: 'PaymentDeclined', message: 'card declined for ord-52' });
    expect(record.frames.filter((f) => f.inApp).at(-1)).toMatchObject({ line: 7, function: 'settle' });
  });
});

// An error an EventEmitter emitted with no listener (a Worker's, re-emitted in its parent, too):
// Node prints its frames, `Emitted 'error' event at:` (`… on Worker instance at:`) and the frames
// of the emit, folded where they match the error's (`[... lines matching original stack trace
// ...]`), then util.inspect's `{` of the error's properties, its `[cause]` among them. Before, the
// `Emitted` line ended the record: the cause was an incident of its own, and the error had no root
// cause.
describe('an error emitted with no listener, with a `[cause]`', () => {
  it.each(['node20', 'node24'])(
    '%s: one record, its cause the SyntaxError, the emit’s frames none of its',
    (node) => {
      const record = onlyRecord(`${node}-emitter-error-with-cause`);
      expect(record).toMatchObject({ exceptionType: 'Error', message: 'cannot publish ord-9' });
      expect(record.causes).toMatchObject([{ exceptionType: 'SyntaxError' }]);
      // the emit's `at publish (…/emitter-cause.js:4:52)`
      expect(record.frames.map((f) => f.column)).not.toContain(52);
      expect(record.frames.filter((f) => f.inApp).at(-1)).toMatchObject({
        line: 4,
        column: 66,
        function: 'publish',
      });
    },
  );

  it('node20, a Worker’s: one incident with Node 24’s, which prints no `Emitted` line', () => {
    const node20 = onlyRecord('node20-worker-thread-uncaught-error-with-cause');
    const node24 = onlyRecord('node24-worker-thread-uncaught-error-with-cause');
    expect(node20.causes).toMatchObject([{ exceptionType: 'TypeError' }]);
    expect(fingerprintError(node20)).toBe(fingerprintError(node24));
  });
});
