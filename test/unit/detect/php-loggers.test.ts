// Monolog 2.9 (Debian's php-monolog) under PHP 8.2, logging a caught TypeError with
// `$log->error($e->getMessage(), ['exception' => $e])` as Laravel and Symfony report one: its
// LineFormatter as Laravel configures it (inline line breaks, stack traces), and its
// JsonFormatter with and without stack traces. The app: /tmp/lr/monolog/app2.php (app.php for
// the default JSON) calling src/Pricing.php, where array_map gets null.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ErrorRecord } from '../../../functions/core/contracts.ts';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import { toLevel } from '../../../functions/core/detect/strip-log-prefix.ts';
import { deliverThroughDefaultFilter } from '../../support/filtered-delivery.ts';
import { deliveries, makeEvents } from '../../support/log-events.ts';
import { onlyRecordInBothShapes } from '../../support/one-record.ts';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../fixtures/traces/php/${name}`, import.meta.url), 'utf8');

const TYPE_ERROR = {
  language: 'php',
  exceptionType: 'TypeError',
  message: 'array_map(): Argument #2 ($array) must be of type array, null given',
};
const where = (record: ErrorRecord) => record.frames.map((f) => [f.file.split('/').pop(), f.line]);

describe('Monolog', () => {
  it("Laravel's line format: the exception in the context, `[stacktrace]`, the frames, in either delivery shape", () => {
    const text = fixture('php82-monolog-2.9-laravel-line-format.txt');
    expect(text).toContain('production.ERROR: ');
    expect(text).toContain('{"exception":"[object] (TypeError(code: 0): ');
    const { oneEvent, perLine } = deliveries(text);
    for (const events of [oneEvent, perLine]) {
      const found = detectErrors(makeEvents(events));
      expect(found).toHaveLength(1);
      const record = found[0]?.record as ErrorRecord;
      expect(record).toMatchObject(TYPE_ERROR);
      expect(where(record)).toEqual([
        ['app2.php', 32],
        ['app2.php', 27],
        ['Pricing.php', 8],
      ]);
      // the frame's callee as PHP names it, not JSON-escaped
      expect(record.frames[1]?.function).toBe('Shop\\Pricing->total');
    }
  });

  it('JsonFormatter with stack traces: context.exception as a PHP trace', () => {
    const [found, ...more] = detectErrors(
      makeEvents([fixture('php82-monolog-2.9-json-with-stacktraces.txt').trimEnd()]),
    );
    expect(more).toEqual([]);
    expect(found?.record).toMatchObject(TYPE_ERROR);
    expect(where(found?.record as ErrorRecord)).toEqual([
      ['app2.php', 32],
      ['app2.php', 27],
      ['Pricing.php', 8],
    ]);
  });

  it("reads Monolog's numeric levels on its own scale (400 is an error, not pino's fatal)", () => {
    expect([100, 200, 250, 300, 400, 500, 600].map(toLevel)).toEqual([
      'debug',
      'info',
      'info',
      'warn',
      'error',
      'fatal',
      'fatal',
    ]);
    expect([30, 50, 60].map(toLevel)).toEqual(['info', 'error', 'fatal']);
  });

  it("JsonFormatter's default (no stack traces): the file and line it was thrown at are a frame", () => {
    const [found] = detectErrors(makeEvents([fixture('php82-monolog-2.9-json.txt').trimEnd()]));
    expect(found?.record).toMatchObject(TYPE_ERROR);
    expect(where(found?.record as ErrorRecord)).toEqual([['Pricing.php', 8]]);
  });
});

// Captured on PHP 8.2 (Debian's php-cli), a PDO insert that fails inside a repository wrapped in the
// app's own exception: `error_log('checkout failed: ' . $e)` writes the exception's string (chain
// and frames) after the words it was appended to, and made no record at all (the same string
// logged alone was read).
describe('an exception appended to a message: error_log($message . $e)', () => {
  const lines = (name: string) => fixture(name).replace(/\n+$/, '').split('\n');
  const APPENDED = 'php82-error-log-message-then-exception-tostring-previous.txt';

  it('is the exception and its previous one, at the frames of the app, as the string logged alone', () => {
    const record = onlyRecordInBothShapes(lines(APPENDED));
    expect(record).toMatchObject({
      language: 'php',
      exceptionType: 'App\\Orders\\OrderNotSaved',
      message: 'could not save order A-1042',
    });
    expect(record.causes.map((c) => c.exceptionType)).toEqual(['PDOException']);
    expect(record.frames.filter((f) => f.inApp).at(-1)?.file).toMatch(/\/src\/Orders\/OrderRepository\.php$/);
    const alone = lines(APPENDED).map((line, i) => (i === 0 ? line.replace('checkout failed: ', '') : line));
    expect(fingerprintError(onlyRecordInBothShapes(alone))).toBe(fingerprintError(record));
  });

  it('reaches the queue through the default filter', async () => {
    const { jobs } = await deliverThroughDefaultFilter(lines(APPENDED));
    expect(jobs.map((j) => [j.error.exceptionType, j.error.causes.length])).toEqual([
      ['App\\Orders\\OrderNotSaved', 1],
    ]);
  });

  it('leaves words with a colon before a name that is no exception alone', () => {
    expect(
      detectErrors(makeEvents(['[07-Dec-2026 23:41:18 UTC] retry: Orders: 3 queued in /srv/shop/a.php:3'])),
    ).toEqual([]);
  });
});

// Debian and Ubuntu package PHP libraries under /usr/share/php (php-guzzlehttp): an uncaught
// ClientException of Guzzle 7, captured on PHP 8.2. Guzzle's own frames there were the app's, and
// the innermost was RequestException.php, where Guzzle builds the exception.
describe('libraries Debian packages under /usr/share/php', () => {
  it("are no frames of the application's", () => {
    const all = fixture('php82-cli-uncaught-guzzle-7-client-exception-debian-usr-share-php.txt')
      .replace(/\n+$/, '')
      .split('\n');
    const record = onlyRecordInBothShapes(all.slice(1));
    expect(record.exceptionType).toBe('GuzzleHttp\\Exception\\ClientException');
    expect(record.frames.filter((f) => f.inApp).map((f) => f.file.split('/').slice(-2).join('/'))).toEqual([
      'bin/labels.php',
      'Shipping/CarrierApi.php',
    ]);
  });
});

// A handler of the application's own (set_exception_handler) logging the exception as JSON fields:
// `exception` (its class), `message`, `file`, `line` and `trace` ($e->getTraceAsString()). Captured
// on PHP 8.2. Read as a record of unknown language typed by the line's level, no frame at all.
describe('an exception logged as JSON fields of its own', () => {
  it('is the PHP exception, thrown at its file and line, with the trace', async () => {
    const lines = fixture('php82-set-exception-handler-json-fields-trace-as-string.output')
      .replace(/\n+$/, '')
      .split('\n');
    const found = detectErrors(makeEvents(lines)).map((d) => d.record);
    expect(found.map((r) => [r.language, r.exceptionType, r.message])).toEqual([
      ['php', 'Error', 'Call to a member function email() on null'],
    ]);
    expect(found[0]?.frames.map((f) => `${f.file.split('/').pop()}:${f.line}`)).toEqual([
      'mail-json-log.php:7',
      'InvoiceMailer.php:14',
    ]);
    const { jobs } = await deliverThroughDefaultFilter(lines);
    expect(jobs.map((j) => j.error.exceptionType)).toEqual(['Error']);
  });

  it('leaves fields that are no PHP trace as they were read', () => {
    const line = JSON.stringify({
      level: 'error',
      message: 'x',
      exception: 'Error',
      file: 'a.php',
      line: 3,
      trace: 'none',
    });
    expect(detectErrors(makeEvents([line])).map((d) => d.record.language)).not.toContain('php');
  });
});
