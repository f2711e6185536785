import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { javascriptParser } from '../../../functions/core/detect/parse-trace/javascript.ts';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../fixtures/traces/javascript/${name}.txt`, import.meta.url), 'utf8');

/** Feeds lines the way the assembler does: the first that starts a trace, then while they continue it. */
function assemble(text: string): string[] {
  const lines = text.replace(/\n$/, '').split('\n');
  const start = lines.findIndex((line) => javascriptParser.startsTrace(line));
  if (start < 0) return [];
  const block = [lines[start] ?? ''];
  for (const line of lines.slice(start + 1)) {
    if (!javascriptParser.continuesTrace(line, block)) break;
    block.push(line);
  }
  return block;
}

const APP = '/tmp/cap/js/app/src';

describe('javascriptParser', () => {
  it('reads a [cause] block as a cause and async frames without the async keyword', () => {
    const text = fixture('cause-async');
    const trace = javascriptParser.parse(text);

    expect(trace?.exceptionType).toBe('Error');
    expect(trace?.message).toBe('failed to load user 7');
    expect(trace?.frames).toEqual([
      { file: `${APP}/cause.js`, line: 20, column: 3, function: 'main', inApp: true },
      { file: `${APP}/cause.js`, line: 15, column: 11, function: 'loadUser', inApp: true },
    ]);
    expect(trace?.causes).toHaveLength(1);
    expect(trace?.causes[0]?.exceptionType).toBe('TypeError');
    expect(trace?.causes[0]?.message).toBe("Cannot read properties of null (reading 'find')");
    expect(trace?.causes[0]?.frames.map((f) => f.function)).toEqual(['main', 'loadUser', 'Repo.find']);
    expect(assemble(text)).toHaveLength(8);
  });

  it('reads AggregateError with its [errors] members as causes', () => {
    const text = fixture('aggregate-error');
    const trace = javascriptParser.parse(text);

    expect(trace?.exceptionType).toBe('AggregateError');
    expect(trace?.message).toBe('All promises were rejected');
    expect(trace?.frames).toEqual([]);
    expect(trace?.causes.map((c) => [c.exceptionType, c.message])).toEqual([
      ['RangeError', 'no replica for eu'],
      ['RangeError', 'no replica for us'],
    ]);
    expect(trace?.causes[0]?.frames).toEqual([
      { file: 'index 0', function: 'Promise.any', inApp: false },
      { file: `${APP}/aggregate.js`, line: 3, column: 9, function: 'fetchOne', inApp: true },
    ]);
    expect(assemble(text)).toHaveLength(10);
  });

  it('skips the code excerpt of an uncaught exception and marks node:internal frames', () => {
    const text = fixture('uncaught-code-excerpt');
    const trace = javascriptParser.parse(text);

    expect(trace?.exceptionType).toBe('TypeError');
    expect(trace?.message).toBe('config.listen is not a function');
    expect(trace?.frames.at(-1)).toEqual({
      file: `${APP}/uncaught.js`,
      line: 4,
      column: 17,
      function: 'start',
      inApp: true,
    });
    expect(trace?.frames.at(-2)?.function).toBe('Object.<anonymous>');
    expect(trace?.frames[0]).toEqual({
      file: 'node:internal/main/run_main_module',
      line: 28,
      column: 49,
      inApp: false,
    });
    // Everything up to the last frame; the blank line and "Node.js v20…" are not the trace.
    expect(assemble(text)).toHaveLength(13);
  });

  it('reads `new Foo` frames after an uncaught excerpt', () => {
    const trace = javascriptParser.parse(fixture('new-constructor-uncaught'));

    expect(trace?.exceptionType).toBe('TypeError');
    expect(trace?.message).toBe('name is required');
    expect(trace?.frames.filter((f) => f.inApp).map((f) => f.function)).toEqual([
      'Timeout._onTimeout',
      'build',
      'new Foo',
    ]);
  });

  it('strips file:// from ESM paths and ignores the trailing props block', () => {
    const text = fixture('esm-file-url-props');
    const trace = javascriptParser.parse(text);

    expect(trace?.message).toBe("ENOENT: no such file or directory, open '/nonexistent/settings.json'");
    expect(trace?.frames.slice(-3)).toEqual([
      { file: `${APP}/code.mjs`, line: 8, column: 3, inApp: true },
      { file: `${APP}/code.mjs`, line: 4, column: 10, function: 'readSettings', inApp: true },
      { file: 'node:fs', line: 448, column: 20, function: 'readFileSync', inApp: false },
    ]);
    expect(trace?.causes).toEqual([]);
    expect(assemble(text)).toHaveLength(12);
  });

  it('keeps the message clean of a `code: ERR_X` props block', () => {
    const text = fixture('err-code-props');
    const trace = javascriptParser.parse(text);

    expect(trace?.exceptionType).toBe('TypeError');
    expect(trace?.message).toBe('Invalid URL');
    expect(trace?.frames.at(-1)).toMatchObject({
      file: 'node:internal/url',
      function: 'new URL',
      inApp: false,
    });
    expect(assemble(text)).toHaveLength(13);
  });

  it('keeps source-mapped TypeScript paths', () => {
    const trace = javascriptParser.parse(fixture('typescript-sourcemap'));

    expect(trace?.frames).toEqual([
      { file: '/tmp/cap/js/app/ts/src/handler.ts', line: 12, column: 10, function: 'handler', inApp: true },
      { file: '/tmp/cap/js/app/ts/src/handler.ts', line: 7, column: 23, function: 'totalQty', inApp: true },
    ]);
  });

  it('reads `Error [ERR_X]: msg`, anonymous frames and node_modules frames', () => {
    const trace = javascriptParser.parse(
      [
        "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'left-pad'",
        '    at /app/node_modules/express/lib/router/index.js:615:15',
        '    at /app/src/server.js:12:3',
      ].join('\n'),
    );

    expect(trace?.exceptionType).toBe('Error');
    expect(trace?.message).toBe("Cannot find package 'left-pad'");
    expect(trace?.frames).toEqual([
      { file: '/app/src/server.js', line: 12, column: 3, inApp: true },
      { file: '/app/node_modules/express/lib/router/index.js', line: 615, column: 15, inApp: false },
    ]);
  });

  it('returns undefined for text that is not a JavaScript error', () => {
    expect(javascriptParser.parse('GET /health 200 3ms')).toBeUndefined();
    expect(javascriptParser.parse('errors=0 warnings=2')).toBeUndefined();
    expect(javascriptParser.startsTrace('ErrorHandler registered')).toBe(false);
  });

  it('stays linear on a hostile 200 KB line', () => {
    const started = performance.now();

    javascriptParser.startsTrace(`Error ${'['.repeat(200_000)}`);
    javascriptParser.startsTrace(`/${'a/'.repeat(100_000)}x.js:`);
    javascriptParser.continuesTrace(`    at ${'a ('.repeat(70_000)}`, ['Error: x']);
    javascriptParser.parse(
      `Error: x\n    at f (${'1:'.repeat(100_000)})\n  [cause]: ${'Error'.repeat(40_000)}`,
    );

    expect(performance.now() - started).toBeLessThan(1000);
  });
});
