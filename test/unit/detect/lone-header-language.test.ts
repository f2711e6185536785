import { describe, expect, it } from 'vitest';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { deliveries, makeEvents, traceText } from '../../support/log-events.ts';

// A program that prints an error's class and message and no trace (`print(f"{type(e).__name__}:
// {e}", file=sys.stderr)`, Ruby's `warn "#{e.class}: #{e.message}"`) leaves a lone `Name: message`
// line, which the JavaScript parser reads (its header is the shape most languages print). With no
// frames nothing in it says JavaScript, and the language is what the PR and the email state and
// which source files a fix may edit. Both captures real: Python 3.11, Ruby 3.1.
function languagesInBothShapes(path: string): string[][] {
  const { oneEvent, perLine } = deliveries(traceText(path));
  return [oneEvent, perLine].map((messages) =>
    detectErrors(makeEvents(messages)).map((d) => `${d.record.language} ${d.record.exceptionType}`),
  );
}

describe('a lone `Name: message` line names its language only by a builtin of that language', () => {
  it('Python: a builtin only Python raises is Python; one Ruby shares is unknown', () => {
    const expected = [
      // at ERROR level after Python's logging prefix: read as any error line, as before
      'unknown ValueError',
      'unknown KeyError',
      'python FileNotFoundError',
    ];
    expect(
      languagesInBothShapes('python/py311-logging-and-stderr-type-name-lines-without-traceback.output'),
    ).toEqual([expected, expected]);
  });

  it("Ruby: a builtin only Ruby raises is Ruby's; ZeroDivisionError (Python's too) is unknown", () => {
    const expected = ['ruby NoMethodError', 'ruby ArgumentError', 'unknown ZeroDivisionError'];
    expect(
      languagesInBothShapes('ruby/ruby31-warn-class-and-message-lines-without-backtrace.output'),
    ).toEqual([expected, expected]);
  });

  it("JavaScript's own names, and any other name, keep the label", () => {
    const lines = [
      "TypeError: Cannot read properties of undefined (reading 'total')",
      'AxiosError: Request failed with status code 502',
    ];
    expect(detectErrors(makeEvents(lines)).map((d) => d.record.language)).toEqual([
      'javascript',
      'javascript',
    ]);
  });
});
