import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { phpParser } from '../../../functions/core/detect/parse-trace/php.ts';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../fixtures/traces/php/${name}.txt`, import.meta.url), 'utf8');

/** Feeds lines the way the assembler does: the first that starts a trace, then while they continue it. */
function assemble(text: string): string[] {
  const lines = text.replace(/\n$/, '').split('\n');
  const start = lines.findIndex((line) => phpParser.startsTrace(line));
  if (start < 0) return [];
  const block = [lines[start] ?? ''];
  for (const line of lines.slice(start + 1)) {
    if (!phpParser.continuesTrace(line, block)) break;
    block.push(line);
  }
  return block;
}

const allLines = (text: string): string[] => text.replace(/\n$/, '').split('\n');
const WWW = '/tmp/capb/php/var/www';

describe('phpParser', () => {
  it('parses `PHP Fatal error:  Uncaught`: call-site file/line, callee without arguments, no {main}, the throw site innermost', () => {
    const text = fixture('uncaught-log');

    expect(assemble(text)).toEqual(allLines(text));
    expect(phpParser.parse(text)).toEqual({
      language: 'php',
      exceptionType: 'InvalidArgumentException',
      message: 'Division by zero',
      frames: [
        { file: `${WWW}/app.php`, line: 16, function: 'Invoice->average', inApp: true },
        { file: `${WWW}/app.php`, line: 11, function: 'divide', inApp: true },
        // the header's `in …/app.php:4`: where divide() threw, which no `#N` line names
        { file: `${WWW}/app.php`, line: 4, function: 'divide', inApp: true },
      ],
      causes: [],
    });
  });

  it('reads the display_errors form without the `PHP ` prefix the same way', () => {
    expect(phpParser.parse(fixture('uncaught-display'))).toEqual(phpParser.parse(fixture('uncaught-log')));
  });

  it('takes the last `Next` exception as the record and the previous ones as causes', () => {
    for (const name of ['previous-next-with-args', 'previous-next-display']) {
      const text = fixture(name);

      expect(assemble(text)).toEqual(allLines(text));
      const trace = phpParser.parse(text);
      expect(trace?.exceptionType).toBe('LogicException');
      expect(trace?.message).toBe('Order 42 could not be loaded');
      expect(trace?.frames.map((f) => [f.function, f.line])).toEqual([
        ['handle', 20],
        ['OrderRepository->load', 17],
        ['OrderRepository->load', 7],
      ]);
      expect(trace?.causes).toHaveLength(1);
      expect(trace?.causes[0]?.exceptionType).toBe('RuntimeException');
      expect(trace?.causes[0]?.message).toBe('Connection refused');
      expect(trace?.causes[0]?.frames.at(-1)).toMatchObject({ function: 'OrderRepository->query', line: 11 });
    }
  });

  it('keeps `[internal function]` frames without a line and out of the app', () => {
    const trace = phpParser.parse(fixture('internal-function'));

    expect(trace?.exceptionType).toBe('DivisionByZeroError');
    expect(trace?.frames).toEqual([
      { file: `${WWW}/internal.php`, line: 6, function: 'array_map', inApp: true },
      { file: '[internal function]', function: 'parse_item', inApp: false },
      { file: `${WWW}/internal.php`, line: 3, function: 'intdiv', inApp: true },
    ]);
  });

  it("drops the report's ` and defined in …` from a TypeError's message", () => {
    expect(phpParser.parse(fixture('type-error'))?.message).toBe(
      `greet(): Argument #1 ($name) must be of type string, null given, called in ${WWW}/typeerror.php on line 5`,
    );
  });

  it("reads PHP 5's `exception 'X' with message '…'` and vendor frames", () => {
    const text = [
      "PHP Fatal error:  Uncaught exception 'PDOException' with message 'could not find driver' in /var/www/vendor/lib/Db.php:12",
      'Stack trace:',
      "#0 /var/www/vendor/lib/Db.php(12): PDO->__construct('mysql:host=db', 'app', 'secret')",
      '#1 /var/www/index.php(5): Db->connect()',
      '#2 {main}',
      '  thrown in /var/www/vendor/lib/Db.php on line 12',
    ].join('\n');

    expect(assemble(text)).toEqual(text.split('\n'));
    expect(phpParser.parse(text)).toMatchObject({
      exceptionType: 'PDOException',
      message: 'could not find driver',
      frames: [
        { file: '/var/www/index.php', line: 5, function: 'Db->connect', inApp: true },
        { file: '/var/www/vendor/lib/Db.php', line: 12, function: 'PDO->__construct', inApp: false },
      ],
    });
  });

  it('reads a fatal error without an exception: its location is the one frame', () => {
    const trace = phpParser.parse(
      'PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes) in /var/www/report.php on line 88',
    );

    expect(trace).toMatchObject({
      exceptionType: 'Fatal error',
      frames: [{ file: '/var/www/report.php', line: 88, inApp: true }],
      causes: [],
    });
    expect(trace?.message).toBe(
      'Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes)',
    );
  });

  it('ends the record after `thrown in` and at ordinary log text', () => {
    const block = allLines(fixture('uncaught-log'));

    expect(phpParser.continuesTrace('#0 looks like a frame', block)).toBe(false);
    expect(phpParser.continuesTrace('', block.slice(0, 3))).toBe(false);
    expect(phpParser.continuesTrace('GET /index.php 500', block.slice(0, 3))).toBe(false);
  });

  it("keeps a PHP 8.4 closure's name whole: it names where the closure was declared, parentheses and all", () => {
    const trace = phpParser.parse(fixture('php84-cli-stderr-nested-closures'));

    expect(trace?.frames.map((f) => [f.file.replace('/tmp/cap-jvm/php/', ''), f.line, f.function])).toEqual([
      ['nested-closures.php', 20, '{closure:/tmp/cap-jvm/php/nested-closures.php:16}'],
      ['nested-closures.php', 18, '{closure:{closure:/tmp/cap-jvm/php/nested-closures.php:16}:17}'],
      ['nested-closures.php', 17, 'Shop\\Pricing\\Rules->apply'],
      ['nested-closures.php', 8, 'array_map'],
      ['[internal function]', undefined, 'Shop\\Pricing\\Rules->{closure:Shop\\Pricing\\Rules::apply():8}'],
      ['nested-closures.php', 9, 'array_map'],
      [
        '[internal function]',
        undefined,
        'Shop\\Pricing\\Rules->{closure:{closure:Shop\\Pricing\\Rules::apply():8}:9}',
      ],
      // the throw site: the closure #0 called
      [
        'nested-closures.php',
        10,
        'Shop\\Pricing\\Rules->{closure:{closure:Shop\\Pricing\\Rules::apply():8}:9}',
      ],
    ]);
  });

  it('returns undefined for text that is not a PHP trace', () => {
    expect(phpParser.startsTrace('#0 not a trace')).toBe(false);
    expect(phpParser.startsTrace('Error: something in progress:3')).toBe(false);
    expect(phpParser.parse('Stack trace:\n#0 {main}')).toBeUndefined();
    expect(phpParser.parse('')).toBeUndefined();
  });

  it('stays fast on a hostile 200 KB line', () => {
    const shapes = [
      `PHP Fatal error:  Uncaught Exception: ${'x in y'.repeat(33_000)}:1`,
      `#0 ${'a(1): '.repeat(33_000)}`,
      `#1 ${'('.repeat(200_000)}`,
      `exception '${"'".repeat(200_000)}`,
      `PHP Parse error: ${' in a on line 1x'.repeat(12_000)}`,
      `#0 /a.php(1): X->{closure:${'{'.repeat(200_000)}`,
    ];
    const started = performance.now();
    for (const line of shapes) {
      phpParser.startsTrace(line);
      phpParser.continuesTrace(line, ['PHP Fatal error:  Uncaught Exception: x in /a.php:1']);
      phpParser.parse(`PHP Fatal error:  Uncaught Exception: x in /a.php:1\nStack trace:\n${line}\n${line}`);
      phpParser.parse(line);
    }
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
