// Monolog 2.9 (Debian's php-monolog) under PHP 8.2, logging a caught TypeError with
// `$log->error($e->getMessage(), ['exception' => $e])` as Laravel and Symfony report one: its
// LineFormatter as Laravel configures it (inline line breaks, stack traces), and its
// JsonFormatter with and without stack traces. The app: /tmp/lr/monolog/app2.php (app.php for
// the default JSON) calling src/Pricing.php, where array_map gets null.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ErrorRecord } from '../../../functions/core/contracts.ts';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { toLevel } from '../../../functions/core/detect/strip-log-prefix.ts';
import { deliveries, makeEvents } from '../../support/log-events.ts';

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
