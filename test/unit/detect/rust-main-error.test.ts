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
