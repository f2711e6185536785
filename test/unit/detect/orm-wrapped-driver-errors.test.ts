// ORMs wrap the database driver's error in their own and keep it as a property: TypeORM 1.1's
// QueryFailedError as `driverError`, Sequelize 6.37's errors as `parent` and again as `original`.
// Node prints that property's error whole inside the wrapper's util.inspect block, its header after
// the key (`  driverError: error: duplicate key value …`, node-postgres naming its DatabaseError
// `error`), its frames under it, four spaces further in. Captured on Node 20.20 and 24.22 with
// pg 8.23 against PostgreSQL 15 (the programs under /srv/audit-b/<orm>/src).
import { describe, expect, it } from 'vitest';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import { deliverThroughDefaultFilter } from '../../support/filtered-delivery.ts';
import { makeEvents, traceText } from '../../support/log-events.ts';
import { readInBothShapes } from '../../support/one-record.ts';

const at = (frames: readonly { file: string; line?: number; inApp: boolean }[]) =>
  frames.filter((f) => f.inApp).map((f) => `${f.file}:${f.line}`);

describe("an error a property holds is the wrapper's cause, its frames the cause's", () => {
  it.each(['node20', 'node24'])("%s: TypeORM's QueryFailedError, uncaught", (node) => {
    const { record } = readInBothShapes(`javascript/${node}-typeorm-1.1-query-failed-error-uncaught.txt`);
    expect(record).toMatchObject({
      exceptionType: 'QueryFailedError',
      message: expect.stringMatching(/^duplicate key value violates unique constraint "/),
    });
    // its own four frames, not the driver's five after them
    expect(record.frames).toHaveLength(4);
    expect(at(record.frames)).toEqual(['/srv/audit-b/typeorm/src/main.js:15']);
    expect(record.causes.map((c) => [c.exceptionType, c.message, c.frames.length])).toEqual([
      ['Error', record.message, 5],
    ]);
  });

  it('is the same incident on Node 20 and 24', () => {
    const [a, b] = ['node20', 'node24'].map(
      (node) => readInBothShapes(`javascript/${node}-typeorm-1.1-query-failed-error-uncaught.txt`).record,
    );
    if (!a || !b) throw new Error('no record');
    expect(fingerprintError(a)).toBe(fingerprintError(b));
  });

  it("TypeORM's QueryFailedError logged with console.error(msg, err)", () => {
    const { record } = readInBothShapes('javascript/node24-typeorm-1.1-console-error-query-failed-error.txt');
    expect(record).toMatchObject({
      exceptionType: 'QueryFailedError',
      message: 'relation "invoices" does not exist',
    });
    expect(record.frames).toHaveLength(4);
    expect(at(record.frames)).toEqual(['/srv/audit-b/typeorm/src/main-missing.js:10']);
    expect(record.causes.map((c) => [c.exceptionType, c.message])).toEqual([
      ['Error', 'relation "invoices" does not exist'],
    ]);
  });

  it.each(['node20', 'node24'])(
    "%s: Sequelize's `parent` and `original`, the same error twice, are one cause",
    (node) => {
      const { record } = readInBothShapes(
        `javascript/${node}-sequelize-6.37-connection-refused-uncaught.txt`,
      );
      expect(record).toMatchObject({
        exceptionType: 'SequelizeConnectionRefusedError',
        message: 'connect ECONNREFUSED 127.0.0.1:55999',
      });
      expect(record.frames).toHaveLength(9);
      expect(record.frames.some((f) => f.file.startsWith('node:net'))).toBe(false);
      expect(record.causes.map((c) => [c.exceptionType, c.message, c.frames.length])).toEqual([
        ['Error', 'connect ECONNREFUSED 127.0.0.1:55999', 1],
      ]);
    },
  );

  it("mongoose's ValidationError: the ValidatorError of each path under `errors` is its own", () => {
    // `errors: { id: ValidatorError: Path \`id\` is required.` and its frames, then `qty: …`: the
    // ValidationError's frames are the two after its header (outermost first here) (captured on Node 24.22, mongoose 9.13)
    const { record } = readInBothShapes('javascript/node24-mongoose-9.13-validation-error-uncaught.txt');
    expect(record.frames.map((f) => `${f.file}:${f.line}`)).toEqual([
      '/tmp/njs/app/mongoose.js:5',
      '/tmp/njs/node_modules/mongoose/lib/document.js:2856',
    ]);
    expect(record.causes.map((c) => [c.exceptionType, c.message, c.frames.length])).toEqual([
      ['ValidatorError', 'Path `id` is required.', 3],
      ['ValidatorError', 'Path `qty` (0) is less than minimum allowed value (1).', 3],
    ]);
  });
});

// Sequelize 6.37 gives the errors a query fails with the stack of a bare `new Error()` taken before
// the query, and its name after: Node prints `Error`, no message, the frames, then `name:
// 'SequelizeUniqueConstraintError'` first among the properties, and the driver's error under
// `parent` and `original`.
describe("Sequelize's query errors, whose stack names only `Error`", () => {
  it.each([
    ['node20-sequelize-6.37-unique-constraint-error-uncaught', 'SequelizeUniqueConstraintError', 'main.js:6'],
    ['node24-sequelize-6.37-unique-constraint-error-uncaught', 'SequelizeUniqueConstraintError', 'main.js:6'],
    [
      'node24-sequelize-6.37-console-error-unique-constraint-error',
      'SequelizeUniqueConstraintError',
      'main-logged.js:7',
    ],
    ['node20-sequelize-6.37-database-error-uncaught', 'SequelizeDatabaseError', 'main-missing.js:7'],
    ['node24-sequelize-6.37-database-error-uncaught', 'SequelizeDatabaseError', 'main-missing.js:7'],
  ])('%s: typed by its name, with the driver error as its cause', (name, type, outer) => {
    const { record } = readInBothShapes(`javascript/${name}.txt`);
    expect(record.exceptionType).toBe(type);
    expect(record.message).toBe('');
    expect(at(record.frames).at(0)).toBe(`/srv/audit-b/sequelize/src/${outer}`);
    expect(record.causes.map((c) => c.exceptionType)).toEqual(['Error']);
    expect(record.causes[0]?.message).toMatch(
      /^duplicate key value violates|^relation "Users" does not exist$/,
    );
  });

  it('a model field called `name`, deeper in, is no name of the error', () => {
    // the unique violation's ValidationErrorItem holds the User, whose `name: 'Ana B'` is four
    // levels in: only the error's own name, two spaces in, is read
    const { record } = readInBothShapes(
      'javascript/node20-sequelize-6.37-unique-constraint-error-uncaught.txt',
    );
    expect(at(record.frames)).toEqual([
      '/srv/audit-b/sequelize/src/main.js:6',
      '/srv/audit-b/sequelize/src/users.js:3',
    ]);
  });
});

// Of a Sequelize print, a filter on `Error` passes the header (`Error`, `registration failed:
// Error`), `  name: 'SequelizeUniqueConstraintError',`, lines deep in its properties
// (`    ValidationErrorItem {`) and the driver error's `at parseErrorMessage (…)` frames: no frame of
// the error's own. A header a property follows directly lost its frames; the stream is read.
describe("Sequelize's print, one line per event, through the default filter", () => {
  const STREAM = { logGroup: '/ecs/orders', logStream: 'orders/app/4f1c2b' };
  const read = (name: string) => traceText(`javascript/${name}.txt`).replace(/\n+$/, '').split('\n');
  const wholePrints = (lines: readonly string[]) =>
    detectErrors(makeEvents(lines, STREAM)).map(({ record }) => fingerprintError(record));

  it.each([
    'node20-sequelize-6.37-unique-constraint-error-uncaught',
    'node24-sequelize-6.37-unique-constraint-error-uncaught',
    'node24-sequelize-6.37-console-error-unique-constraint-error',
  ])('%s: the incident read whole', async (name) => {
    const lines = read(name);
    const { jobs } = await deliverThroughDefaultFilter(lines, STREAM);
    expect(jobs.map((j) => fingerprintError(j.error))).toEqual(wholePrints(lines));
    expect(jobs[0]?.error.frames.filter((f) => f.inApp).at(-1)?.file).toBe(
      '/srv/audit-b/sequelize/src/users.js',
    );
  });

  it('logged, then another print of the kind: both incidents', async () => {
    const lines = [
      ...read('node24-sequelize-6.37-console-error-unique-constraint-error'),
      'INFO request finished',
      ...read('node20-sequelize-6.37-unique-constraint-error-uncaught'),
    ];
    const { jobs } = await deliverThroughDefaultFilter(lines, STREAM);
    expect(new Set(jobs.map((j) => fingerprintError(j.error)))).toEqual(new Set(wholePrints(lines)));
    expect(jobs).toHaveLength(2);
  });
});
