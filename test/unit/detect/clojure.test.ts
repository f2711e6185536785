// Clojure on the JVM, from real captures: Clojure 1.11 (Debian's clojure package) on OpenJDK 17,
// running the program in test/fixtures/apps/clojure-shop — AOT-compiled and run as a class (what an
// uberjar or the Lambda Java runtime prints: a JVM trace), and through clojure.main (`clojure -M -m
// shop.core`, what a container runs), which prints no trace: a summary, and where it wrote the report.
//
// Before: Clojure's own frames (clojure.lang.*, clojure.core$…) were the application's, so
// `clojure.lang.Numbers.divide` was named as where a division by zero was raised and joined the
// fingerprint; every frame's function was `invoke` or `invokeStatic`; and clojure.main's report made
// no record at all (its EDN report on stderr made an Elixir record with no type or message).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StackFrame } from '../../../functions/core/contracts.ts';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import { isInApp } from '../../../functions/core/detect/in-app.ts';
import { clojureFunction } from '../../../functions/core/detect/parse-trace/clojure.ts';
import { mapFramesToRepo } from '../../../functions/core/repair/map-frames.ts';
import { deliverThroughDefaultFilter } from '../../support/filtered-delivery.ts';
import { makeEvents } from '../../support/log-events.ts';
import { onlyRecordInBothShapes } from '../../support/one-record.ts';

const capture = (name: string): string[] =>
  readFileSync(join(import.meta.dirname, '../../fixtures/traces/java', `${name}.txt`), 'utf8')
    .replace(/\n+$/, '')
    .split('\n');

const onlyRecord = onlyRecordInBothShapes;

const place = (frame: StackFrame | undefined) => frame && `${frame.function} ${frame.file}:${frame.line}`;
const innermostInApp = (frames: readonly StackFrame[]) => place(frames.filter((f) => f.inApp).at(-1));

describe('a Clojure program compiled ahead of time: the JVM trace', () => {
  it("names Clojure's functions, and leaves Clojure's own frames out of the application", () => {
    const record = onlyRecord(capture('clojure111-aot-uncaught-arithmetic'));
    expect(record.exceptionType).toBe('java.lang.ArithmeticException');
    expect(innermostInApp(record.frames)).toBe('unit-price pricing.clj:4');
    expect(record.frames.filter((f) => f.inApp).map((f) => f.function)).toEqual([
      'main',
      '-main',
      '-main',
      'checkout',
      'checkout',
      'line-prices',
      'line-prices',
      'unit-price',
      'unit-price',
    ]);
    const divide = record.frames.at(-1);
    expect(divide).toMatchObject({ module: 'clojure.lang.Numbers', function: 'divide', inApp: false });
  });

  it('reads munged names back (`ship_BANG_` is `ship!`), with the cause chain', () => {
    const record = onlyRecord(capture('clojure111-aot-ex-info-caused-by'));
    expect(record.exceptionType).toBe('clojure.lang.ExceptionInfo');
    expect(innermostInApp(record.frames)).toBe('ship! orders.clj:10');
    expect(innermostInApp(record.causes[0]?.frames ?? [])).toBe('load-order orders.clj:4');
  });

  it("keeps one fingerprint when the compiler's count of anonymous functions moves", () => {
    const lines = capture('clojure111-aot-anonymous-fn');
    const record = onlyRecord(lines);
    expect(innermostInApp(record.frames)).toBe('-main/fn main.clj:9');
    // a function added above `-main` renumbers every anonymous one after it
    const renumbered = lines.map((line) =>
      line.replace('fn__287', 'fn__312').replace('seq__5467', 'seq__5490'),
    );
    expect(renumbered).not.toEqual(lines);
    expect(fingerprintError(onlyRecord(renumbered))).toBe(fingerprintError(record));
  });

  it.each([
    ['shop.orders$valid_QMARK_', 'valid?'],
    ['shop.orders$__GT_order', '->order'],
    ['shop.orders$total_STAR_', 'total*'],
    ['shop.orders$reset_BANG__CIRCA_', 'reset!@'],
    ['shop.main$_main$fn__287$fn__289', '-main/fn/fn'],
    ['clojure.core$seq__5467', 'seq'],
  ])('names %s %s', (className, name) => {
    expect(clojureFunction('orders.clj', className)).toBe(name);
  });

  it('names no Clojure function for a Java frame, nor for a namespace class with no function', () => {
    expect(clojureFunction('Numbers.java', 'clojure.lang.Numbers')).toBeUndefined();
    expect(clojureFunction('Unknown Source', 'shop.main')).toBeUndefined();
    expect(clojureFunction('main.clj', 'shop.main')).toBeUndefined();
  });

  it('tells a namespace of the application named like a library from the library', () => {
    expect(isInApp({ language: 'java', file: 'ring.clj', module: 'shop.ring$handler' })).toBe(true);
    expect(
      isInApp({ language: 'java', file: 'params.clj', module: 'ring.middleware.params$wrap_params' }),
    ).toBe(false);
    expect(isInApp({ language: 'java', file: 'core.clj', module: 'clojure.core$mapv$fn__8535' })).toBe(false);
  });
});

describe("clojure.main's report of an error the program did not catch", () => {
  it.each([
    [
      'clojure111-cli-execution-error-report-file',
      'ArithmeticException',
      'Divide by zero',
      'unit-price pricing.clj:4',
    ],
    ['clojure111-cli-ex-info-root-cause', 'ExceptionInfo', 'order not found', 'load-order orders.clj:4'],
    // the type is left out for Exception and RuntimeException
    ['clojure111-cli-exception-no-class', 'Exception', 'plain failure', 'plain orders.clj:12'],
    ['clojure111-cli-anonymous-fn', 'ArithmeticException', 'Divide by zero', '-main/fn main.clj:9'],
  ])('%s: the summary is the record, at the function it names', (name, type, message, at) => {
    const record = onlyRecord(capture(name));
    expect(record.exceptionType).toBe(type);
    expect(record.message).toBe(message);
    expect(innermostInApp(record.frames)).toBe(at);
  });

  it.each([
    [
      'clojure111-cli-syntax-error-compiling',
      'Unable to resolve symbol: ordr in this context',
      'shop/broken.clj:4',
    ],
    [
      'clojure111-cli-syntax-error-reading-source',
      'EOF while reading, starting at line 3',
      'shop/reader.clj:5',
    ],
  ])('%s: a compile error is placed at the path it names', (name, message, at) => {
    const record = onlyRecord(capture(name));
    expect(record.exceptionType).toBe('clojure.lang.Compiler$CompilerException');
    expect(record.message).toBe(message);
    const [frame] = record.frames;
    expect(`${frame?.file}:${frame?.line}`).toBe(at);
    expect(frame?.inApp).toBe(true);
  });

  it('the report printed to stderr (its EDN map, then the summary) is one record, with its trace', () => {
    const record = onlyRecord(capture('clojure111-cli-execution-error-report-stderr'));
    expect(record.language).toBe('java');
    expect(record.exceptionType).toBe('ArithmeticException');
    expect(record.message).toBe('Divide by zero');
    expect(innermostInApp(record.frames)).toBe('unit-price pricing.clj:4');
    // the same frames of the application as the AOT-compiled program's trace of this error
    const aot = onlyRecord(capture('clojure111-aot-uncaught-arithmetic'));
    const own = (frames: readonly StackFrame[]) =>
      frames.filter((f) => f.inApp && f.file.endsWith('.clj')).map(place);
    expect(own(record.frames)).toEqual(own(aot.frames));
  });

  it('two reports a shipper joined into one event are two records', () => {
    // the report on stderr ends its message with a blank line; joined without it, the next
    // report's summary still ends the message
    const stderr = capture('clojure111-cli-execution-error-report-stderr');
    const compile = capture('clojure111-cli-syntax-error-compiling');
    for (const joined of [
      [...stderr, '', ...compile],
      [...stderr, ...compile],
    ]) {
      const found = detectErrors(makeEvents([joined.join('\n')]));
      expect(found.map((d) => [d.record.exceptionType, d.record.message])).toEqual([
        ['ArithmeticException', 'Divide by zero'],
        ['clojure.lang.Compiler$CompilerException', 'Unable to resolve symbol: ordr in this context'],
      ]);
    }
  });

  it('through the default filter, which passes the summary alone, the message is read from the stream', async () => {
    const lines = capture('clojure111-cli-exception-no-class');
    const { delivered, jobs, reads } = await deliverThroughDefaultFilter([
      'INFO shop.main - starting',
      ...lines,
    ]);
    expect(delivered.map((e) => e.message)).toEqual([
      'Execution error at shop.orders/plain (orders.clj:12).',
    ]);
    expect(reads).toBe(1);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.error).toMatchObject({ exceptionType: 'Exception', message: 'plain failure' });
  });
});

describe('a Clojure frame is placed in the repository by its namespace', () => {
  const files = [
    'deps.edn',
    'src/shop/core.clj',
    'src/shop/pricing.clj',
    'src/shop/db/core.clj',
    'test/shop/pricing_test.clj',
  ];

  it("maps the application's frames, never Clojure's own core.clj to the application's", () => {
    const record = onlyRecord(capture('clojure111-aot-uncaught-arithmetic'));
    const mapped = mapFramesToRepo({ frames: record.frames, files });
    const where = new Map(mapped.map((m) => [place(m.frame), m.kind === 'mapped' ? m.path : m.reason]));
    expect(where.get('unit-price pricing.clj:4')).toBe('src/shop/pricing.clj');
    // two files are named core.clj: the namespace tells them apart
    expect(where.get('checkout core.clj:6')).toBe('src/shop/core.clj');
    expect(where.get('mapv core.clj:6970')).toBe('not_in_app');
  });

  it('maps a compile error by the path it names', () => {
    const record = onlyRecord(capture('clojure111-cli-syntax-error-compiling'));
    const [mapping] = mapFramesToRepo({ frames: record.frames, files: [...files, 'src/shop/broken.clj'] });
    expect(mapping).toMatchObject({ kind: 'mapped', path: 'src/shop/broken.clj' });
  });
});

describe("clojure.main's report, hostile", () => {
  it('reads each line of a long report once: four times the lines cost well under sixteen times as long', () => {
    // an EDN report of thousands of indented lines (an ex-info's data), logged as one event
    const report = (lines: number) =>
      makeEvents([
        ['{:clojure.main/message', ...Array.from({ length: lines }, (_, i) => `  :k${i} "v",`)].join('\n'),
      ]);
    const time = (lines: number) => {
      const events = report(lines);
      // each sample long enough (ten reads) that a timer tick or a busy neighbour is small in it
      const runs: number[] = [];
      for (let i = 0; i < 7; i++) {
        const start = performance.now();
        for (let j = 0; j < 10; j++) detectErrors(events);
        runs.push(performance.now() - start);
      }
      return runs.sort((a, b) => a - b)[3] ?? 0;
    };
    time(500);
    // quadratic reading would make this ~16×
    expect(time(1600) / time(400)).toBeLessThan(9);
  });
});
