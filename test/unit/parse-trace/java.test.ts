import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { javaParser } from '../../../functions/core/detect/parse-trace/java.ts';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../fixtures/traces/java/${name}.txt`, import.meta.url), 'utf8');

/** Feeds lines the way the assembler does: the first that starts a trace, then while they continue it. */
function assemble(text: string): string[] {
  const lines = text.replace(/\n$/, '').split('\n');
  const start = lines.findIndex((line) => javaParser.startsTrace(line));
  if (start < 0) return [];
  const block = [lines[start] ?? ''];
  for (const line of lines.slice(start + 1)) {
    if (!javaParser.continuesTrace(line, block)) break;
    block.push(line);
  }
  return block;
}

describe('javaParser', () => {
  it('reads Caused-by chains in order, skips "... N more" and Suppressed blocks', () => {
    const text = fixture('caused-by-suppressed');
    const trace = javaParser.parse(text);

    expect(trace?.exceptionType).toBe('java.lang.IllegalStateException');
    expect(trace?.message).toBe('checkout failed');
    expect(trace?.frames).toEqual([
      { file: 'App.java', line: 34, function: 'main', module: 'com.example.shop.App', inApp: true },
      { file: 'App.java', line: 29, function: 'checkout', module: 'com.example.shop.App', inApp: true },
    ]);
    expect(trace?.causes.map((c) => c.exceptionType)).toEqual([
      'java.lang.RuntimeException',
      'java.lang.NullPointerException',
    ]);
    const [first, root] = trace?.causes ?? [];
    expect(first?.message).toBe('price lookup failed for zzz');
    expect(first?.frames.map((f) => [f.module, f.function, f.inApp])).toEqual([
      ['com.example.shop.App', 'checkout', true],
      ['java.lang.Iterable', 'forEach', false],
      ['com.example.shop.App', 'lambda$checkout$0', true],
      ['com.example.shop.App', 'price', true],
    ]);
    // The suppressed close() failure is not part of the chain: only the NPE's own two frames.
    expect(root?.frames.map((f) => [f.module, f.function, f.line])).toEqual([
      ['com.example.shop.App', 'price', 19],
      ['com.example.shop.App$Repo', 'load', 13],
    ]);
    expect(assemble(text)).toHaveLength(17);
  });

  it('reads a root-cause-first trace (`Wrapped by:`, the %rEx of logback and log4j2) outermost first', () => {
    // logback 1.6 on OpenJDK 25: the root cause printed first, each exception that wraps it after
    const text = fixture('java25-logback-1.6-pattern-root-cause-first');
    const trace = javaParser.parse(text);

    expect([trace?.exceptionType, trace?.message]).toEqual([
      'java.lang.IllegalStateException',
      'checkout failed for ord-7',
    ]);
    expect(trace?.frames.map((f) => [f.function, f.line])).toEqual([
      ['main', 31],
      ['checkout', 25],
    ]);
    expect(trace?.causes.map((c) => [c.exceptionType, c.message, c.frames.at(-1)?.line])).toEqual([
      ['java.lang.IllegalArgumentException', 'bad quantity three', 17],
      ['java.lang.NumberFormatException', 'For input string: "three"', 67],
    ]);
    expect(assemble(text)).toHaveLength(14);
  });

  it("reads the java launcher's report that it could not start the main class as the exception it names", () => {
    const notFound = javaParser.parse(fixture('java25-launcher-main-class-not-found'));
    const tooNew = javaParser.parse(fixture('java25-classes-on-java21-unsupported-class-version'));

    expect(notFound).toEqual({
      language: 'java',
      exceptionType: 'java.lang.ClassNotFoundException',
      message: 'com.example.shop.Nope',
      frames: [],
      causes: [],
    });
    expect([tooNew?.exceptionType, tooNew?.frames, tooNew?.causes]).toEqual([
      'java.lang.UnsupportedClassVersionError',
      [],
      [],
    ]);
    expect(tooNew?.message).toMatch(/^com\/example\/shop\/Checkout has been compiled .* up to 65\.0$/);
    // the report alone names no exception: left to the other readers
    expect(
      javaParser.parse('Error: Could not find or load main class com.example.shop.Nope'),
    ).toBeUndefined();
  });

  it('strips the JPMS module from the class and marks JDK frames as not in-app', () => {
    const trace = javaParser.parse(fixture('thread-jdk-frames'));

    expect(trace?.exceptionType).toBe('java.lang.NumberFormatException');
    expect(trace?.message).toBe('For input string: "12x"');
    expect(trace?.frames[0]).toEqual({
      file: 'Thread.java',
      line: 840,
      function: 'run',
      module: 'java.lang.Thread',
      inApp: false,
    });
    expect(trace?.frames.at(-1)?.function).toBe('forInputString');
    expect(trace?.frames.filter((f) => f.inApp).map((f) => f.function)).toEqual(['lambda$main$0', 'parse']);
  });

  it('finds the exception line after a logback-style line and reads Native Method frames', () => {
    const text = fixture('logback-prefix-native-method');
    const trace = javaParser.parse(text);

    expect(trace?.exceptionType).toBe('java.lang.reflect.InvocationTargetException');
    expect(trace?.message).toBe('');
    expect(trace?.frames.at(-1)).toEqual({
      file: 'Native Method',
      function: 'invoke0',
      module: 'jdk.internal.reflect.NativeMethodAccessorImpl',
      inApp: false,
    });
    expect(trace?.causes[0]?.exceptionType).toBe('java.lang.UnsupportedOperationException');
    expect(trace?.causes[0]?.frames).toEqual([
      { file: 'Logged.java', line: 10, function: 'handle', module: 'com.example.shop.Logged', inApp: true },
    ]);
    // The logback line itself is not a Java header: the block starts at the exception line.
    expect(javaParser.startsTrace(text.split('\n')[0] ?? '')).toBe(false);
    expect(assemble(text)).toHaveLength(9);
  });

  it('reads a Kotlin trace (hand-written from the documented format: no kotlinc here)', () => {
    const trace = javaParser.parse(fixture('kotlin-handwritten'));

    expect(trace?.exceptionType).toBe('java.lang.IllegalArgumentException');
    expect(trace?.message).toBe('Order total must be positive, was -3');
    expect(trace?.frames.map((f) => [f.file, f.line, f.function, f.inApp])).toEqual([
      ['Main.kt', undefined, 'main', true],
      ['Main.kt', 9, 'main', true],
      ['OrderService.kt', 16, 'place', true],
      ['_Collections.kt', 1095, 'forEach', false],
      ['OrderService.kt', 17, 'place$lambda$0', true],
      ['OrderService.kt', 42, 'validate', true],
    ]);
    expect(trace?.causes.map((c) => [c.exceptionType, c.message])).toEqual([
      ['kotlin.KotlinNullPointerException', ''],
    ]);
  });

  it('tolerates a prefix before the header on the same line', () => {
    const line =
      '2024-05-01 12:00:00.123 ERROR [main] c.e.App - Failed: java.lang.IllegalStateException: boom';
    const trace = javaParser.parse(`${line}\n\tat com.e.App.run(App.java:3)`);

    expect(javaParser.startsTrace(line)).toBe(true);
    expect(trace?.exceptionType).toBe('java.lang.IllegalStateException');
    expect(trace?.message).toBe('boom');
  });

  it('does not claim JavaScript or plain log lines', () => {
    expect(javaParser.startsTrace('TypeError: x is not a function')).toBe(false);
    expect(javaParser.startsTrace('c.e.shop.Logged - Failed to handle order')).toBe(false);
    expect(javaParser.startsTrace('    at fn (/app/src/x.js:10:5)')).toBe(false);
    expect(javaParser.parse('app.Config: loaded 3 keys')).toBeUndefined();
    expect(javaParser.parse('GET /health 200')).toBeUndefined();
  });

  it('ends the block at a log line after the frames', () => {
    const text = `${fixture('thread-jdk-frames')}single line\n`;

    expect(assemble(text).at(-1)).toBe('\tat java.base/java.lang.Thread.run(Thread.java:840)');
  });

  it('stays linear on a hostile 200 KB line', () => {
    const started = performance.now();

    javaParser.startsTrace(`${'a.'.repeat(100_000)}!`);
    javaParser.startsTrace(`Exception in thread "${'x'.repeat(200_000)}`);
    javaParser.startsTrace(': '.repeat(100_000));
    javaParser.continuesTrace(`\tat ${'a('.repeat(100_000)}`, ['java.lang.Exception']);
    javaParser.parse(`java.lang.Exception: x\n\tat ${'a.'.repeat(100_000)}(${'1:'.repeat(50_000)}`);

    expect(performance.now() - started).toBeLessThan(1000);
  });
});
