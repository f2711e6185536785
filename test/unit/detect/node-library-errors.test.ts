// Errors of the npm packages Node services validate and call out with, as Node.js 24.22 prints them
// (captured here: joi 18.3.2, zod 4.6.7, axios 1.21.1, mongoose 9.13.2 from the npm registry, the
// programs under /tmp/njs/app). joi creates its ValidationError with no stack, so Node's print of it
// uncaught is util.inspect's `[Error [ValidationError]: …] {` under the code excerpt of the `throw`,
// and the excerpt is the only place that names the program's line.
import { describe, expect, it } from 'vitest';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import { deliverThroughDefaultFilter } from '../../support/filtered-delivery.ts';
import { deliveries, makeEvents, traceText } from '../../support/log-events.ts';
import { onlyRecordInBothShapes } from '../../support/one-record.ts';

const JOI_UNCAUGHT = 'javascript/node24-joi-18-validation-error-uncaught.txt';
const JOI_LOGGED = 'javascript/node24-joi-18-validation-error-logged-inspected-then-stack.output';

describe("joi's ValidationError, which has no stack", () => {
  it('is read by its name, at the line that threw it (the code excerpt), in both delivery shapes', () => {
    const { oneEvent, perLine } = deliveries(traceText(JOI_UNCAUGHT));
    for (const lines of [oneEvent, perLine]) {
      const found = detectErrors(makeEvents(lines));
      expect(found).toHaveLength(1);
      expect(found[0]?.record).toMatchObject({
        language: 'javascript',
        exceptionType: 'ValidationError',
        message: '"id" must be a string. "qty" must be greater than or equal to 1',
        frames: [{ file: '/tmp/njs/app/joi.js', line: 5, column: 14, inApp: true }],
      });
    }
  });

  it('reaches the queue with its frame through the default filter and the read around it', async () => {
    const { jobs } = await deliverThroughDefaultFilter(deliveries(traceText(JOI_UNCAUGHT)).perLine);
    expect(
      jobs.map((j) => [j.error.exceptionType, j.error.frames.map((f) => `${f.file}:${f.line}`)]),
    ).toEqual([['ValidationError', ['/tmp/njs/app/joi.js:5']]]);
  });

  it('logged as console.error(msg, err) and as err.stack, is one bug: both prints name it alike', () => {
    // `order rejected [Error [ValidationError]: …] {` and `ValidationError: …`: the name inspect puts
    // in brackets is the one the stack starts with
    const found = detectErrors(makeEvents(deliveries(traceText(JOI_LOGGED)).oneEvent));
    expect(found.map((d) => d.record.exceptionType)).toEqual(['ValidationError', 'ValidationError']);
    expect(new Set(found.map((d) => fingerprintError(d.record))).size).toBe(1);
  });

  it("keeps a Node error's code in brackets out of its type", () => {
    const [found] = detectErrors(
      makeEvents([
        'TypeError [ERR_INVALID_ARG_TYPE]: The "path" argument must be of type string. Received undefined',
        '    at readFileSync (node:fs:441:20)',
        '    at loadConfig (/srv/app/src/config.js:4:10)',
      ]),
    );
    expect(found?.record.exceptionType).toBe('TypeError');
  });
});

describe('other libraries, each one record with the program frame it failed in', () => {
  it.each([
    ['javascript/node24-zod-4.6-parse-error-uncaught.txt', 'ZodError', '/tmp/njs/app/zod4.js:4'],
    [
      'javascript/node24-axios-1.21-connection-refused-uncaught.txt',
      'AxiosError',
      '/tmp/njs/app/axios-uncaught.js:3',
    ],
    [
      'javascript/node24-mongoose-9.13-validation-error-uncaught.txt',
      'ValidationError',
      '/tmp/njs/app/mongoose.js:5',
    ],
  ])('%s', (path, type, at) => {
    const { oneEvent, perLine } = deliveries(traceText(path));
    const records = [oneEvent, perLine].map((lines) => {
      const found = detectErrors(makeEvents(lines));
      expect(found).toHaveLength(1);
      const [first] = found;
      if (!first) throw new Error(`no record in ${path}`);
      return first.record;
    });
    for (const record of records) {
      expect(record.exceptionType).toBe(type);
      const inApp = record.frames.filter((f) => f.inApp).at(-1);
      expect(`${inApp?.file}:${inApp?.line}`).toBe(at);
    }
    expect(new Set(records.map(fingerprintError)).size).toBe(1);
  });
});

// node-postgres names the DatabaseError the server reports `error` (its protocol message's name),
// so its stack starts `error: duplicate key value …`. Captured on Node 20.20 and 24.22 with pg 8
// against PostgreSQL 15: console.error('failed to insert order A-1:', err) puts the words before
// it, and the print made no record at all (logged alone, it was read).
describe("node-postgres's DatabaseError, named `error`, logged after a message", () => {
  const lines = (name: string) =>
    traceText(`javascript/${name}.txt`).replace(/\n+$/, '').split('\n').slice(1);

  it.each(['node20', 'node24'])(
    '%s: one record, the program frame it failed in, as the same error printed alone',
    (node) => {
      const logged = lines(`${node}-pg-8-console-error-message-then-database-error`);
      const record = onlyRecordInBothShapes(logged);
      expect(record).toMatchObject({
        language: 'javascript',
        exceptionType: 'Error',
        message: 'duplicate key value violates unique constraint "orders_ref_key"',
      });
      expect(record.frames.filter((f) => f.inApp).at(-1)?.file).toMatch(/\/src\/orders\/repository\.js$/);
      // the words before it are no part of the error: the same print without them is the same incident
      const alone = [logged[0]?.replace(/^.*?: (?=error: )/, '') ?? '', ...logged.slice(1)];
      expect(alone[0]).toMatch(/^error: duplicate key/);
      expect(fingerprintError(onlyRecordInBothShapes(alone))).toBe(fingerprintError(record));
    },
  );

  it.each([
    'node20-pg-8-console-error-message-then-database-error',
    'node20-pg-8-console-error-bare-database-error',
  ])(
    '%s: reaches the queue through the default filter, which passes only its severity field',
    async (name) => {
      // `error: …` holds no term of the filter (it is case-sensitive): `  severity: 'ERROR',` is read around
      const { delivered, jobs, reads } = await deliverThroughDefaultFilter(lines(name));
      expect(delivered.map((e) => e.message)).toEqual(["  severity: 'ERROR',"]);
      expect(reads).toBe(1);
      expect(jobs.map((j) => [j.error.exceptionType, j.error.message])).toEqual([
        ['Error', 'duplicate key value violates unique constraint "orders_ref_key"'],
      ]);
    },
  );

  it('is read around when a filter that passes `error` delivers its header alone', () => {
    const [header] = lines('node20-pg-8-console-error-message-then-database-error');
    const found = detectErrors(makeEvents([header ?? '']), { tentative: true });
    expect(found.map((d) => [d.needsContext, d.isTentative])).toEqual([[true, true]]);
  });

  it('drops the severity field when the stream holds no print of an error around it', async () => {
    const { jobs, reads } = await deliverThroughDefaultFilter([
      'INFO importing',
      '{',
      "  severity: 'ERROR',",
      '}',
    ]);
    expect(reads).toBe(1);
    expect(jobs).toEqual([]);
  });
});
