// Ruby's Logger prints an exception (`logger.error(e)`, its default formatter) as
// `"#{e.message} (#{e.class})\n#{e.backtrace.join("\n")}"`. On Ruby 3.1 error_highlight and
// did_you_mean write lines of their own into the message, so the class comes lines below the
// Logger's prefix: after error_highlight's carets (`      ^^^^^^^ (NoMethodError)`) or
// did_you_mean's suggestion (`Did you mean?  :standard (KeyError)`). Captured on Ruby 3.1.2
// (Debian bookworm), most entries among INFO lines of the same program; every case is read in
// both delivery shapes, the whole capture as one event and one event per line.
import { describe, expect, it } from 'vitest';
import type { ErrorRecord } from '../../../functions/core/contracts.ts';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import { deliveries, makeEvents, passesDefaultFilter, traceText } from '../../support/log-events.ts';
import { readInBothShapes } from '../../support/one-record.ts';

const readBothShapes = (name: string) => readInBothShapes(`ruby/${name}`);

const innermost = (record: ErrorRecord): string => {
  const frame = record.frames.at(-1);
  return `${frame?.file.replace(/^.*\/rbshop\//, '')}:${frame?.line} ${frame?.function ?? ''}`.trim();
};

describe("Ruby 3.1 Logger: an exception's message of several lines", () => {
  it.each([
    [
      // the class was lost with the caret line (held as the error line's detail), and the
      // Logger's level stood in for it: `ERROR`
      'ruby31-logger-error-nomethod-nil-error-highlight.txt',
      'NoMethodError',
      "undefined method `upcase' for nil:NilClass",
      'lib/shop/reports.rb:4 block in monthly',
      8,
    ],
    [
      // the message was did_you_mean's suggestion, the line read as Logger's `msg (Type)`
      'ruby31-logger-error-nameerror-error-highlight-did-you-mean.txt',
      'NameError',
      'uninitialized constant Shop::Pricing::TaxTabel',
      'lib/shop/pricing.rb:9 total',
      7,
    ],
    [
      'ruby31-logger-error-keyerror-did-you-mean.txt',
      'KeyError',
      'key not found: :standard_rate\nDid you mean?  :standard',
      'lib/shop/invoice.rb:20 fetch',
      5,
    ],
    [
      // several suggestions: the class after the last, indented under the first
      'ruby31-logger-error-keyerror-did-you-mean-three-suggestions.txt',
      'KeyError',
      'key not found: :standardd\nDid you mean?  :standard\n               :standards\n               :standart',
      'bin/rates_logged.rb:6 fetch',
      6,
    ],
    [
      // a message of two lines of the program's own (`raise ArgumentError, "…\n…"`)
      'ruby31-logger-error-argumenterror-two-line-message.txt',
      'ArgumentError',
      'row 7 rejected\nsku is blank',
      'bin/import_logged.rb:4 import',
      4,
    ],
  ])('%s', (name, type, message, at, lines) => {
    const { record, perLine } = readBothShapes(name);

    expect([record.language, record.exceptionType, record.message]).toEqual(['ruby', type, message]);
    expect(innermost(record)).toBe(at);
    expect(record.causes).toEqual([]);
    // the entry's lines from the Logger's prefix to the last frame, the INFO lines around it aside
    expect(perLine.eventIds).toHaveLength(lines);
  });

  it("keeps error_highlight's snippet in the record's text, out of its message", () => {
    const { record } = readBothShapes('ruby31-logger-error-nomethod-nil-error-highlight.txt');

    expect(record.raw).toContain('      orders.map { |o| o[:customer].upcase }');
    expect(record.raw).toContain('^^^^^^^ (NoMethodError)');
    expect(record.frames).toHaveLength(4);
  });

  it.each([
    [
      'ruby31-logger-error-nameerror-error-highlight-did-you-mean.txt',
      'ruby31-uncaught-nameerror-error-highlight-did-you-mean.txt',
    ],
    ['ruby31-logger-error-keyerror-did-you-mean.txt', 'ruby31-keyerror-did-you-mean.txt'],
  ])("reads the same error's message as Ruby's own report of it: %s", (logged, uncaught) => {
    const a = readBothShapes(logged).record;
    const b = readBothShapes(uncaught).record;

    expect([a.exceptionType, a.message]).toEqual([b.exceptionType, b.message]);
  });

  it('reads the carets as no message where the default filter dropped the blank line and the code before them', () => {
    const { record } = readBothShapes('ruby31-logger-error-nomethod-nil-error-highlight.txt');
    const lines = deliveries(traceText('ruby/ruby31-logger-error-nomethod-nil-error-highlight.txt')).perLine;
    const delivered = lines.filter(passesDefaultFilter);
    expect(delivered[1]).toBe('                                   ^^^^^^^ (NoMethodError)');

    const found = detectErrors(makeEvents(delivered)).map((d) => d.record);

    expect(found.map((r) => [r.exceptionType, r.message, fingerprintError(r)])).toEqual([
      [record.exceptionType, record.message, fingerprintError(record)],
    ]);
  });
});

describe("Ruby 3.1: a report's further message lines after an earlier print's frames", () => {
  it('reads an error Logger printed and then Ruby printed as it ended the program as one error, no cause of its own', () => {
    const { record, perLine } = readBothShapes('ruby31-logger-error-then-reraise-nomethod-nil.txt');

    // was typed ERROR, its second print a cause of one frame (its `from` lines past the snippet lost)
    expect([record.exceptionType, record.message]).toEqual([
      'NoMethodError',
      "undefined method `upcase' for nil:NilClass",
    ]);
    expect(innermost(record)).toBe('lib/shop/reports.rb:4 block in monthly');
    expect(record.frames).toHaveLength(4);
    expect(record.causes).toEqual([]);
    // both prints are the record's text
    expect(record.raw).toContain("\tfrom bin/reports.rb:6:in `<main>'");
    expect(perLine.eventIds).toHaveLength(15);
  });

  it("keeps the frames of a cause whose message error_highlight's snippet follows", () => {
    const { record } = readBothShapes('ruby31-uncaught-raise-in-rescue-cause-nomethod-error-highlight.txt');

    expect([record.exceptionType, record.message]).toEqual(['ReportError', 'monthly report failed']);
    // was one frame, the cause's header: the block ended at the blank line before the snippet
    expect(
      record.causes.map((c) => [c.exceptionType, c.message, c.frames.map((f) => `${f.line} ${f.function}`)]),
    ).toEqual([
      [
        'NoMethodError',
        "undefined method `upcase' for nil:NilClass",
        ['5 <main>', '4 monthly', '4 map', '4 block in monthly'],
      ],
    ]);
  });
});
