// Logged one line per event, the lines of one statement are written at once: a runtime prints a
// trace in one go. Two captures delivered 5 s apart (a process that crashed, restarted and crashed
// again; an error logged, then another error seconds later) are two statements, whatever their
// lines look like: Ruby prints a crash's cause as it prints a crash, and an error-level line
// introduces the trace right after it. Before, each pair below was one record, and the second
// failure was lost. Only a line that opens something of its own (a trace's start, an error line)
// is told apart so: a frame a shipper stamped when it read it still goes on. Followed from a file
// (`ai-ops watch`), a timestamp is when the line was read, and reads seconds apart may split one
// trace: there the time says nothing.
import { describe, expect, it } from 'vitest';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import { makeEvents, traceText } from '../../support/log-events.ts';

const START = 1_714_564_800_000;
const PAIRS = [
  ['ruby/ruby31-uncaught-errno-enoent.txt', 'ruby/ruby31-uncaught-net-http-econnrefused.txt'],
  ['ruby/ruby33-nomethod-for-an-instance-of.txt', 'ruby/ruby33-zero-division.txt'],
  ['elixir/elixir114-logger-error-interpolated-message.txt', 'elixir/elixir114-mix-run-argument-error.txt'],
  ['elixir/elixir114-beam-out-of-memory.txt', 'elixir/elixir114-mix-run-undefined-function.txt'],
  ['python/documented-lambda-python-runtime-unhandled.txt', 'python/exception-group.txt'],
  ['go/panic-error-value.txt', 'go/go119-chi-5.0.7-recoverer-pretty-stack.txt'],
  // a deploy that no longer compiles, after the crash before it: the report opens with a frame
  ['python/site-packages-qualified-type.txt', 'python/syntax-error.txt'],
] as const;

const lines = (path: string) => traceText(path).replace(/\n+$/, '').split('\n');
const alone = (path: string) => detectErrors(makeEvents(lines(path))).map((d) => fingerprintError(d.record));

describe('two statements written seconds apart, one line per event', () => {
  it.each(PAIRS)('%s, then %s 5 s later: two records, each as it is alone', (first, second) => {
    const events = [
      ...makeEvents(lines(first), { start: START, idPrefix: 'a' }),
      ...makeEvents(lines(second), { start: START + 5_000, idPrefix: 'b' }),
    ];
    const found = detectErrors(events).map((d) => fingerprintError(d.record));
    expect(found).toEqual([...alone(first), ...alone(second)]);
  });

  it('keeps a trace whose lines came within a second one record', () => {
    const trace = lines('ruby/ruby31-uncaught-net-http-econnrefused.txt');
    // a line each 100 ms: a slow writer, a collector's pause
    const events = makeEvents(trace).map((e, i) => ({ ...e, timestamp: START + i * 100 }));
    expect(detectErrors(events).map((d) => fingerprintError(d.record))).toEqual(
      alone('ruby/ruby31-uncaught-net-http-econnrefused.txt'),
    );
  });

  it('keeps the frames a shipper stamped when it read them with the header stamped by the logger', () => {
    // a file tailer that reads the time from the header's prefix, and gives the frames, which have
    // none, the time it read them (here 5 s later, catching up): frames open nothing of their own
    for (const path of [
      'ruby/ruby31-uncaught-net-http-econnrefused.txt',
      'python/py311-token-store-keyerror.txt',
    ]) {
      const events = makeEvents(lines(path)).map((e, i) => ({
        ...e,
        timestamp: START + (i === 0 ? 0 : 5_000),
      }));
      expect(detectErrors(events).map((d) => fingerprintError(d.record))).toEqual(alone(path));
    }
  });

  it('reads times a follower stamped as it read the lines as saying nothing', () => {
    const [first, second] = PAIRS[2];
    const events = [
      ...makeEvents(lines(first), { start: START, idPrefix: 'a' }),
      ...makeEvents(lines(second), { start: START + 5_000, idPrefix: 'b' }),
    ];
    // as ai-ops watch reads them: the error line leads the trace after it, as when written together
    const read = detectErrors(events, { timestamps: 'read' });
    expect(read).toHaveLength(1);
    expect(read[0]?.record.exceptionType).toBe('ArgumentError');
  });
});
