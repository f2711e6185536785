// A value thrown that is no Error, uncaught, as Node prints it, from real captures (Node 24.22 and
// 26.12 from the npm registry; the program in test/fixtures/apps/node-esm-config, and a CommonJS
// script throwing an object). Node prints a code excerpt, the value and, for a string, a hint to
// run with --trace-uncaught. In an ES module the value has no stack: the excerpt is Node's own
// (`node:internal/modules/run_main:107`, `triggerUncaughtException(`), no file of the program's.
// An object is printed as util.inspect writes it, with no hint.
//
// Before, each of these made no record at all: the ES module's excerpt was not read as one (no
// `.js` in its first line), and a print with no hint was not read as a value's.
import { describe, expect, it } from 'vitest';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import { placeLogSite } from '../../../functions/core/repair/place-log-site.ts';
import { fixtureApp, makeFakeRepo } from '../../support/fake-repo.ts';
import { deliverThroughDefaultFilter } from '../../support/filtered-delivery.ts';
import { traceText } from '../../support/log-events.ts';
import { onlyRecordInBothShapes } from '../../support/one-record.ts';

const onlyRecord = (lines: readonly string[]) => onlyRecordInBothShapes(lines, { blanksAside: true });

const capture = (name: string): string[] =>
  traceText(`javascript/${name}.txt`).replace(/\n+$/, '').split('\n');

describe('a value thrown that is no Error, uncaught', () => {
  it.each(['node24', 'node26'])(
    '%s, in an ES module: the value is the message, and no frame is Node’s',
    (node) => {
      const record = onlyRecord(capture(`${node}-esm-uncaught-throw-string`));
      expect(record).toMatchObject({
        language: 'javascript',
        exceptionType: 'Error',
        message: 'ORDERS_TABLE is not set',
      });
      expect(record.frames).toEqual([]);
    },
  );

  it('is one incident on Node 24 and Node 26, whose excerpts name other lines of run_main', () => {
    const print = (node: string) =>
      fingerprintError(onlyRecord(capture(`${node}-esm-uncaught-throw-string`)));
    expect(capture('node24-esm-uncaught-throw-string')).not.toEqual(
      capture('node26-esm-uncaught-throw-string'),
    );
    expect(print('node26')).toBe(print('node24'));
  });

  it.each(['node24', 'node26'])(
    '%s, an object in an ES module: read on one line, as util.inspect prints a short one',
    (node) => {
      const record = onlyRecord(capture(`${node}-esm-uncaught-throw-object`));
      expect(record.message).toBe(
        "{ code: 'E_CONFIG', missing: [ 'REGION' ], hint: 'set it in the task definition' }",
      );
      expect(record.frames).toEqual([]);
    },
  );

  it('an object in a CommonJS script: the excerpt is where it was thrown', () => {
    const record = onlyRecord(capture('node24-uncaught-throw-object'));
    expect(record.message).toBe("{ code: 'E_CONFIG', missing: [ 'REGION' ] }");
    expect(record.frames).toMatchObject([{ file: '/tmp/esmshop/obj.cjs', line: 1, column: 19, inApp: true }]);
  });

  it('is placed at the statement that threw it, by its words', async () => {
    const record = onlyRecord(capture('node24-esm-uncaught-throw-string'));
    const placed = await placeLogSite({ error: record, repo: makeFakeRepo(fixtureApp('node-esm-config')) });
    expect(placed).toMatchObject({ kind: 'placed', location: 'src/config.mjs:2' });
  });

  it('through the default filter, which passes `triggerUncaughtException(` and the `Node.js v` line, is read from the stream', async () => {
    const { delivered, jobs } = await deliverThroughDefaultFilter([
      'INFO orders-api starting',
      ...capture('node26-esm-uncaught-throw-string'),
    ]);
    expect(delivered.map((e) => e.message.trim())).toEqual(['triggerUncaughtException(', 'Node.js v26.12.1']);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.error).toMatchObject({ exceptionType: 'Error', message: 'ORDERS_TABLE is not set' });
  });
});
