// A Rust program whose `main` returns an error, from real captures (rustc 1.95; anyhow 1.0.69 and
// eyre 0.6.8 as Debian packages them, built offline): the program in
// test/fixtures/apps/rust-anyhow-shop, its `?` chain wrapped with context at each step, and a
// boxed std error. Rust prints `Error: {err:?}`: anyhow and eyre write the message and its chain of
// causes (eyre also where the report was made), a boxed error its derived Debug.
//
// Before, each was read as JavaScript's `Error: msg`: the causes (the root cause, `invalid digit
// found in string`, among them) were lost, and in JavaScript a fix to the .rs file the analyzer
// found could never be applied.
import { describe, expect, it } from 'vitest';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import { deliverThroughDefaultFilter } from '../../support/filtered-delivery.ts';
import { makeEvents, traceText } from '../../support/log-events.ts';
import { onlyRecordInBothShapes } from '../../support/one-record.ts';

const capture = (name: string): string[] => traceText(`rust/${name}.txt`).replace(/\n+$/, '').split('\n');

const onlyRecord = onlyRecordInBothShapes;

const CHAIN = ['failed to price order 7', 'quantity "2x" is not a number', 'invalid digit found in string'];

describe("the report of an error a Rust program's main returned", () => {
  it.each([
    ['rust195-anyhow-1.0-main-returned-error-chain', 'checkout failed', CHAIN, []],
    ['rust195-anyhow-1.0-main-returned-error-one-cause', 'quantity "2x" is not a number', [CHAIN[2]], []],
    ['rust195-eyre-0.6-main-returned-error-chain-location', 'checkout failed', CHAIN, ['src/main.rs:7:35']],
    [
      'rust195-eyre-0.6-main-returned-error-one-cause-location',
      'quantity "2x" is not a number',
      [CHAIN[2]],
      ['src/main.rs:7:35'],
    ],
    ['rust195-eyre-0.6-main-returned-error-location-only', 'order has no items', [], ['src/main.rs:13:13']],
  ])('%s: one Rust record, its causes in order, and where eyre made it', (name, message, causes, frames) => {
    const record = onlyRecord(capture(name));
    expect(record).toMatchObject({ language: 'rust', exceptionType: 'Error', message });
    expect(record.causes.map((c) => c.message)).toEqual(causes);
    expect(record.frames.map((f) => `${f.file}:${f.line}:${f.column}`)).toEqual(frames);
    expect(record.frames.every((f) => f.inApp)).toBe(true);
  });

  it("reads a boxed error's Debug: io::Error's message, a struct's type", () => {
    expect(onlyRecord(capture('rust195-main-returned-boxed-io-error'))).toMatchObject({
      language: 'rust',
      exceptionType: 'std::io::Error',
      message: 'No such file or directory',
    });
    expect(onlyRecord(capture('rust195-main-returned-boxed-parse-int-error'))).toMatchObject({
      language: 'rust',
      exceptionType: 'ParseIntError',
      message: 'ParseIntError { kind: InvalidDigit }',
    });
    // a String boxed as the error prints quoted
    expect(onlyRecord(['Error: "order has no items"'])).toMatchObject({
      language: 'rust',
      message: 'order has no items',
    });
  });

  it('tells two causes apart: a different root cause is another incident', () => {
    const lines = capture('rust195-anyhow-1.0-main-returned-error-chain');
    const other = lines.map((line) =>
      line.replace('invalid digit found in string', 'number too large to fit in target type'),
    );
    expect(fingerprintError(onlyRecord(other))).not.toBe(fingerprintError(onlyRecord(lines)));
  });

  it("leaves JavaScript's `Error: msg` JavaScript's: with its frames, a message of several lines, or alone", () => {
    const js = (lines: string[]) => detectErrors(makeEvents([lines.join('\n')])).map((d) => d.record);
    const [framed] = js(['Error: checkout failed', '    at checkout (/var/task/index.mjs:3:9)']);
    expect(framed).toMatchObject({ language: 'javascript', message: 'checkout failed' });
    expect(framed?.frames).toHaveLength(1);
    const [multi] = js([
      'Error: Command failed: ls /x',
      '',
      "ls: cannot access '/x': No such file or directory",
      '    at genericNodeError (node:internal/errors:983:15)',
      '    at checkout (/var/task/index.mjs:3:9)',
    ]);
    expect(multi).toMatchObject({ language: 'javascript' });
    expect(multi?.message).toContain('cannot access');
    // alone, `Error: msg` says nothing of its language: read as before
    expect(js(['Error: order has no items'])[0]).toMatchObject({ language: 'javascript' });
  });

  it('through the default filter, which passes `Error: …` alone, reads the chain from the stream', async () => {
    const lines = capture('rust195-anyhow-1.0-main-returned-error-chain');
    const { delivered, jobs, reads } = await deliverThroughDefaultFilter(['INFO shop starting', ...lines]);
    expect(delivered.map((e) => e.message)).toEqual(['Error: checkout failed']);
    expect(reads).toBe(1);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.error).toMatchObject({ language: 'rust', message: 'checkout failed' });
    expect(jobs[0]?.error.causes.map((c) => c.message)).toEqual(CHAIN);
  });
});

// anyhow built with its `backtrace` feature, run with RUST_BACKTRACE=1, adds `Stack backtrace:`,
// whose innermost frame is anyhow's own `with_context`, in the copy Cargo keeps of the crate. The
// program and compiler are the same in all three captures; only where the crate was kept differs:
// Debian's packaged crates, and the same crates laid out as Cargo lays out its downloads under
// CARGO_HOME (`/usr/local/cargo` in the official Rust images, `~/.cargo` on a workstation).
describe("anyhow's stack backtrace, wherever Cargo keeps the crates", () => {
  const homes = ['debian-crates', 'cargo-home-usr-local', 'cargo-home-root'] as const;
  const lines = (home: (typeof homes)[number]) => capture(`rust195-anyhow-1.0.69-stack-backtrace-${home}`);

  it.each(homes)('%s: the frames of the application only are its own, anyhow`s with_context not', (home) => {
    const record = onlyRecord(lines(home));
    expect(record).toMatchObject({ language: 'rust', exceptionType: 'Error', message: 'checkout failed' });
    expect(record.causes.map((c) => c.message)).toEqual(CHAIN);
    expect(record.frames.filter((f) => f.inApp).map((f) => `${f.function} ${f.file}:${f.line}`)).toEqual([
      'shop::main src/main.rs:24',
      'shop::price_order src/main.rs:20',
      'shop::pricing::unit_price src/main.rs:11',
      'shop::pricing::parse_quantity src/main.rs:7',
    ]);
    expect(record.frames.at(-1)?.function).toContain('anyhow::context');
  });

  it('is one incident wherever the crates were kept: one fingerprint', () => {
    expect(new Set(homes.map((home) => fingerprintError(onlyRecord(lines(home))))).size).toBe(1);
  });

  it('reads the functions the compiler inlined, printed unnumbered under their frame, as frames', () => {
    // one event per line, the record stopped at the first of them before: 26 of the 50 lines
    const record = onlyRecord(lines('cargo-home-usr-local'));
    const functions = record.frames.map((f) => f.function);
    expect(functions).toHaveLength(22);
    expect(functions).toContain('std::rt::lang_start_internal');
    expect(record.frames.find((f) => f.function === 'std::rt::lang_start_internal')).toMatchObject({
      line: 171,
      inApp: false,
    });
    // an omission is indented as they are, and is no frame
    const panic = onlyRecord([
      "thread 'main' panicked at src/main.rs:4:5:",
      'boom',
      'stack backtrace:',
      '   0: shop::checkout',
      '      [... omitted 2 frames ...]',
      '   1: shop::main',
      'note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.',
    ]);
    expect(panic.frames.map((f) => f.function)).toEqual(['shop::main', 'shop::checkout']);
  });

  it('through the default filter, which passes the header and the backtrace lines that name panic, reads the rest back', async () => {
    const capture = lines('cargo-home-usr-local');
    const { delivered, jobs, reads } = await deliverThroughDefaultFilter(['INFO shop starting', ...capture]);
    // the chain and the section titles hold no term: the filter passed a backtrace's lines after the header
    expect(delivered[0]?.message).toBe('Error: checkout failed');
    expect(delivered[1]?.message).toMatch(/^ {3}8: <&dyn core::ops::function::Fn/);
    expect(reads).toBe(1);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.error).toMatchObject({ language: 'rust', message: 'checkout failed' });
    expect(jobs[0]?.error.causes.map((c) => c.message)).toEqual(CHAIN);
    expect(jobs[0] && fingerprintError(jobs[0].error)).toBe(fingerprintError(onlyRecord(capture)));
  });
});

// `.expect("…")` or `.unwrap()` on an anyhow error panics with the error's Debug in its message:
// the message, a blank line, `Caused by:` and the causes. Captured (rustc 1.95, Debian's anyhow
// 1.0.69 and serde_json, RUST_BACKTRACE=1, debug and release builds). Before, the panic's record
// ended at the blank line: the causes were lost, and so was the backtrace printed after them (the
// record's one frame the panic's place, `src/main.rs:33` with no function).
describe('a panic whose message holds an error chain', () => {
  const PARSE_ERROR = 'invalid type: string "two", expected u32 at line 1 column 42';

  it.each([
    ['rust195-anyhow-1.0.69-serde-json-expect-on-error-chain-backtrace-1', 6, 'src/main.rs:33'],
    ['rust195-anyhow-1.0.69-serde-json-release-expect-on-error-chain-backtrace-1', 4, 'undefined:undefined'],
  ])('%s: the message, its cause, and the backtrace after them', (name, frames, place) => {
    const lines = capture(name).slice(2); // the program's own first line, and a blank one
    const record = onlyRecord(lines);
    expect(record).toMatchObject({
      language: 'rust',
      exceptionType: 'panic',
      message: 'failed to parse incoming order: invalid order payload (60 bytes)',
    });
    expect(record.causes.map((c) => c.message)).toEqual([PARSE_ERROR]);
    expect(record.frames).toHaveLength(frames);
    // std's panic entry (`__rustc::rust_begin_unwind`, no file in a release build) is no frame of the app's
    expect(
      record.frames.filter((f) => f.inApp).map((f) => `${f.function} ${f.file || undefined}:${f.line}`),
    ).toEqual([`shop::main ${place}`]);
  });

  it('reads a numbered chain, and tells two root causes apart', () => {
    const lines = capture('rust195-anyhow-1.0.69-serde-json-unwrap-on-error-two-causes-backtrace-1').slice(2);
    const record = onlyRecord(lines);
    expect(record.message).toBe('called `Result::unwrap()` on an `Err` value: loading order from disk');
    expect(record.causes.map((c) => c.message)).toEqual([
      'invalid order payload (56 bytes)',
      'invalid value: integer `-5`, expected u32 at line 1 column 54',
    ]);
    const other = lines.map((line) =>
      line.replace('integer `-5`', 'string "x"').replace('invalid value', 'invalid type'),
    );
    expect(fingerprintError(onlyRecord(other))).not.toBe(fingerprintError(record));
  });

  it('keeps a panic without a chain as it was, and a blank line after its message no part of it', () => {
    const record = onlyRecord([
      "thread 'main' panicked at src/main.rs:4:5:",
      'order has no items',
      'note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace',
    ]);
    expect(record).toMatchObject({ message: 'order has no items', causes: [] });
    // a second thread's panic prints no note: a blank line and the service's next line are its own
    const found = detectErrors(
      makeEvents([
        "thread 'worker' panicked at src/main.rs:9:5:",
        'queue closed',
        '',
        'INFO shop: shutting down',
      ]),
    );
    expect(found.map((d) => [d.record.message, d.record.eventIds])).toEqual([['queue closed', ['e0', 'e1']]]);
  });
});

// `panic!("rejected order:\n{:#?}\nerror: {:?}", order, err)`: the message runs over several lines,
// a value pretty-printed at column 0 (`Order {`, its fields indented, `}`), then `error: {:?}` at
// column 0 (Bun's and Deno's header), up to `stack backtrace:` or the first panic's `note:`.
// Captured (rustc 1.95, the program /tmp/audit/jvm-go-rust/programs/rust-shop, mode `pretty`).
// Before, the message ended at its first line (`rejected order:`); with RUST_BACKTRACE=1 the
// backtrace was lost to a second, JavaScript record read from `error: ValidationError { … }`, its
// one frame std's panicking.rs, taken for the app's.
describe('a panic whose message pretty-prints a value', () => {
  const MESSAGE = [
    'rejected order:',
    'Order {',
    '    id: "o-42",',
    '    sku: "SKU-7",',
    '    quantity: 0,',
    '    unit_cents: 1250,',
    '}',
    'error: ValidationError { field: "quantity", reason: "must be positive for SKU-7" }',
  ].join('\n');

  it('keeps the whole message, and the backtrace after it, in one Rust record', () => {
    const record = onlyRecord(capture('rust195-panic-pretty-debug-multiline-backtrace-1').slice(2));
    expect(record).toMatchObject({ language: 'rust', exceptionType: 'panic', message: MESSAGE, causes: [] });
    expect(record.frames.map((f) => f.function)).toEqual([
      'core::ops::function::FnOnce::call_once',
      'shop::main',
      'core::panicking::panic_fmt',
      '__rustc::rust_begin_unwind',
    ]);
    expect(record.frames.filter((f) => f.inApp).map((f) => `${f.file}:${f.line}`)).toEqual([
      'src/main.rs:43',
    ]);
  });

  it('keeps the whole message up to the note when no backtrace is printed', () => {
    const record = onlyRecord(capture('rust195-panic-pretty-debug-multiline').slice(2));
    expect(record).toMatchObject({ language: 'rust', exceptionType: 'panic', message: MESSAGE });
    expect(record.frames.map((f) => `${f.file}:${f.line}:${f.inApp}`)).toEqual(['src/main.rs:43:true']);
  });

  it("hands back a later panic's next lines at column 0, which no note or backtrace confirms", () => {
    // a panic after the first prints no note: the service's next lines are its own
    const lines = [
      "thread 'worker' (12) panicked at src/main.rs:9:5:",
      'queue closed',
      'draining 3 orders',
      'shop stopped',
    ];
    for (const events of [lines, [lines.join('\n')]]) {
      const found = detectErrors(makeEvents(events));
      expect(found.map((d) => d.record.message)).toEqual(['queue closed']);
      expect(found[0]?.record.raw).toBe(lines.slice(0, 2).join('\n'));
    }
  });
});
