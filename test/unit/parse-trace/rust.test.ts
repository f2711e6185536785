import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rustParser } from '../../../functions/core/detect/parse-trace/rust.ts';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../fixtures/traces/rust/${name}.txt`, import.meta.url), 'utf8');

/** Feeds lines the way the assembler does: the first that starts a trace, then while they continue it. */
function assemble(text: string): string[] {
  const lines = text.replace(/\n$/, '').split('\n');
  const start = lines.findIndex((line) => rustParser.startsTrace(line));
  if (start < 0) return [];
  const block = [lines[start] ?? ''];
  for (const line of lines.slice(start + 1)) {
    if (!rustParser.continuesTrace(line, block)) break;
    block.push(line);
  }
  return block;
}

const inAppFrames = (text: string) =>
  rustParser
    .parse(text)
    ?.frames.filter((f) => f.inApp)
    .map((f) => [f.function, f.file, f.line]);

describe('rustParser', () => {
  it('reads the new format: message on the next line, backtrace reversed to outermost first', () => {
    const text = fixture('index-backtrace');
    const trace = rustParser.parse(text);

    expect(trace?.exceptionType).toBe('panic');
    expect(trace?.message).toBe('index out of bounds: the len is 3 but the index is 99');
    expect(trace?.causes).toEqual([]);
    expect(trace?.frames).toHaveLength(8);
    expect(trace?.frames[0]).toMatchObject({
      function: 'core::ops::function::FnOnce::call_once',
      inApp: false,
    });
    expect(trace?.frames[1]).toEqual({
      file: 'src/main.rs',
      line: 26,
      column: 25,
      function: 'shop::main',
      module: 'shop',
      inApp: true,
    });
    expect(trace?.frames.at(-1)).toMatchObject({ function: '__rustc::rust_begin_unwind', inApp: false });
    expect(inAppFrames(text)).toEqual([['shop::main', 'src/main.rs', 26]]);
    expect(assemble(text)).toHaveLength(20);
  });

  it('keeps a multi-part expect() message and the in-app frames in order', () => {
    const text = fixture('expect-backtrace');

    expect(rustParser.parse(text)?.message).toBe(
      'quantity must be a number: ParseIntError { kind: InvalidDigit }',
    );
    expect(inAppFrames(text)).toEqual([
      ['shop::main', 'src/main.rs', 16],
      ['shop::parse_qty', 'src/main.rs', 4],
    ]);
  });

  it('uses the panic location as the one frame when there is no backtrace', () => {
    const text = fixture('index-no-backtrace');

    expect(rustParser.parse(text)).toEqual({
      language: 'rust',
      exceptionType: 'panic',
      message: 'index out of bounds: the len is 3 but the index is 99',
      frames: [{ file: 'src/main.rs', line: 26, column: 25, inApp: true }],
      causes: [],
    });
    expect(assemble(text)).toHaveLength(3);
  });

  it('reads a named thread and RUST_BACKTRACE=full frames without addresses and symbol hashes', () => {
    const full = rustParser.parse(fixture('named-thread-backtrace-full'));

    expect(full?.message).toBe('no entry found for key');
    expect(full?.frames).toHaveLength(36);
    expect(full?.frames.filter((f) => f.inApp).map((f) => [f.function, f.line])).toEqual([
      ['shop::main::{{closure}}', 20],
      ['shop::price_of', 8],
    ]);
    expect(full?.frames.at(-1)?.function).toBe('std::backtrace_rs::backtrace::libunwind::trace');
    expect(full?.frames[0]).toEqual({ file: '', function: '<unknown>', module: '<unknown>', inApp: false });
    expect(inAppFrames(fixture('named-thread-backtrace'))).toEqual([
      ['shop::main::{{closure}}', 'src/main.rs', 20],
      ['shop::price_of', 'src/main.rs', 8],
    ]);
  });

  it('reads the old format (hand-written from the Rust book: rustc here is new)', () => {
    const text = fixture('old-format-handwritten');

    expect(rustParser.parse(text)).toEqual({
      language: 'rust',
      exceptionType: 'panic',
      message: 'crash and burn',
      frames: [{ file: 'src/main.rs', line: 2, column: 5, inApp: true }],
      causes: [],
    });
    expect(assemble(text)).toHaveLength(2);
    const withBacktrace = fixture('old-format-backtrace-handwritten');
    expect(rustParser.parse(withBacktrace)?.message).toBe('called `Option::unwrap()` on a `None` value');
    expect(inAppFrames(withBacktrace)).toEqual([
      ['myapp::main', 'src/main.rs', 6],
      ['myapp::config::load', 'src/config.rs', 14],
    ]);
    expect(rustParser.parse(withBacktrace)?.frames.at(-1)).toMatchObject({
      function: 'rust_begin_unwind',
      inApp: false,
    });
  });

  it('treats a second panic as a record of its own', () => {
    const text = [
      "thread 'worker' panicked at src/a.rs:1:1:",
      'first',
      "thread 'main' panicked at src/b.rs:2:2:",
      'second',
    ].join('\n');

    expect(rustParser.parse(text)?.message).toBe('first');
    expect(assemble(text)).toEqual(["thread 'worker' panicked at src/a.rs:1:1:", 'first']);
  });

  it('returns undefined for text that is not a panic', () => {
    expect(rustParser.parse('panic_on_oom = 0')).toBeUndefined();
    expect(rustParser.startsTrace("thread 'main' started")).toBe(false);
  });

  it('stays linear on a hostile 200 KB line', () => {
    const started = performance.now();

    rustParser.startsTrace(`thread '${"'".repeat(200_000)}`);
    rustParser.startsTrace(`thread 'x' (${'1'.repeat(200_000)}`);
    rustParser.continuesTrace(`  1: ${' 0x1 - '.repeat(30_000)}`, ["thread 'main' panicked at a.rs:1:1:"]);
    rustParser.parse(
      `thread 'main' panicked at '${"', ".repeat(60_000)}\nstack backtrace:\n  0: ${'a::'.repeat(60_000)}[`,
    );

    expect(performance.now() - started).toBeLessThan(1000);
  });
});
