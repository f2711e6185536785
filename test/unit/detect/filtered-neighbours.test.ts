// Traces of a busy service, logged one line per event, as the default subscription filter delivers
// them: only the lines that hold a term, so two traces that stood apart in the stream arrive side by
// side, and a trace arrives as its header and the few frames that name an `Exception` or an `Error`.
// Each must still be its own incident, with the application's frame read back from the stream.
// Captured: Jackson 2.14 (Debian's libjackson2-databind-java) under OpenJDK 17; Java 21 and Ruby
// 3.1.2 crashes from the fixtures, two to a stream with an ordinary line between them.
import { describe, expect, it } from 'vitest';
import { MemoryIncidentStore } from '../../../functions/adapters/memory-incident-store.ts';
import type { RepairJob } from '../../../functions/core/contracts.ts';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import { recordErrors } from '../../../functions/core/detect/record-errors.ts';
import { deliverThroughDefaultFilter } from '../../support/filtered-delivery.ts';
import { deliveries, makeEvents, passesDefaultFilter, traceText } from '../../support/log-events.ts';
import { makeDataPayload } from '../../support/payloads.ts';

const JACKSON = 'java/java17-jackson-2.14-invalid-format-logged-then-unrecognized-uncaught.output';

/** Each job's type and its innermost frame of the application. */
async function jobsOf(lines: readonly string[]): Promise<[string, string][]> {
  const { jobs } = await deliverThroughDefaultFilter(lines);
  return jobs.map((job) => {
    const inApp = job.error.frames.filter((f) => f.inApp).at(-1);
    return [job.error.exceptionType, inApp ? `${inApp.file}:${inApp.line}` : '-'];
  });
}

const streamOf = (...paths: string[]): string[] =>
  paths.flatMap((path, i) => [
    ...(i > 0 ? ['INFO request finished'] : []),
    ...deliveries(traceText(path)).perLine,
  ]);

describe("Jackson's location line", () => {
  it('is the message, not a frame: the request body it quotes never makes a fingerprint of its own', () => {
    const text = traceText(JACKSON);
    const [first] = detectErrors(makeEvents(deliveries(text).perLine));
    const record = first?.record;
    expect(record?.message).toContain(
      '\n at [Source: (String)"{"id": "ord-7", "qty": "two"}"; line: 1, column: 24]',
    );
    expect(record?.frames.some((f) => f.file.includes('[Source'))).toBe(false);
    expect(record?.frames.filter((f) => f.inApp).at(-1)).toMatchObject({
      file: 'OrderController.java',
      line: 12,
    });
    // the next request's body: the same bug
    const other = text.replace(
      '"qty": "two"}"; line: 1, column: 24',
      '"qty": "seven", "id": "ord-9"}"; line: 1, column: 26',
    );
    const [again] = detectErrors(makeEvents(deliveries(other).perLine));
    expect(again && fingerprintError(again.record)).toBe(record && fingerprintError(record));
  });

  it('through the default filter: each of the two traces with the application frame read back', async () => {
    // the first arrives as its header and the two frames that name an Exception, the second follows
    expect(await jobsOf(deliveries(traceText(JACKSON)).perLine)).toEqual([
      ['com.fasterxml.jackson.databind.exc.InvalidFormatException', 'OrderController.java:12'],
      ['com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException', 'OrderController.java:12'],
    ]);
  });
});

describe('two traces a filter delivered side by side', () => {
  it.each([
    [
      "Java: the second header is the next trace, not the first one's message",
      ['java/java21-helpful-npe-record-accessor.txt', 'java/java21-jul-severe-throwable.txt'],
      [
        ['java.lang.NullPointerException', 'HelpfulNpe.java:12'],
        ['java.lang.NumberFormatException', 'JulSevere.java:10'],
      ],
    ],
    [
      // only `panic: runtime error: invalid memory address …` is delivered of each; the one read
      // holds both, the second cut where the stream ends
      "Go: a panic of the same message from another place is not completed with the first one's frames",
      ['go/go119-rsyslog-traditional-panic.txt', 'go/go119-session-go-nil-pointer.txt'],
      [
        ['panic', '/tmp/sl/app/internal/cart/cart.go:7'],
        ['panic', '/tmp/cap/go/session.go:9'],
      ],
    ],
    [
      "Go: gin's recovered panic, delivered as the lines that name a panic, is read back for the handler's frame",
      ['go/go119-gin-1.8-recovery-release-mode.txt', 'go/go119-index-out-of-range-inlined.txt'],
      [
        ['panic', '/srv/go/src/shop/main.go:16'],
        ['panic', '/tmp/held/f.go:3'],
      ],
    ],
    [
      // `?":in "` delivers both backtraces whole, with nothing between them: Ruby prints a cause so
      "Ruby: a crash that reads as the first one's cause is its own incident once the stream is read",
      ['ruby/ruby31-uncaught-errno-enoent.txt', 'ruby/ruby31-uncaught-net-http-econnrefused.txt'],
      [
        ['Errno::ENOENT', 'enoent.rb:3'],
        ['Errno::ECONNREFUSED', 'refused.rb:3'],
      ],
    ],
  ])('%s', async (_title, paths, expected) => {
    expect(await jobsOf(streamOf(...paths))).toEqual(expected);
  });

  it('Java: two incidents even when the stream cannot be read (the second header is no message of the first)', async () => {
    const lines = streamOf(
      'java/java21-helpful-npe-record-accessor.txt',
      'java/java21-jul-severe-throwable.txt',
    );
    const events = makeEvents(lines, { logGroup: '/ecs/orders', logStream: 'orders/app/4f1c2b' });
    const jobs: RepairJob[] = [];
    await recordErrors(
      {
        event: makeDataPayload(
          events
            .filter((e) => passesDefaultFilter(e.message))
            .map(({ id, timestamp, message }) => ({ id, timestamp, message })),
          { logGroup: '/ecs/orders', logStream: 'orders/app/4f1c2b' },
        ),
      },
      {
        store: new MemoryIncidentStore(),
        queue: {
          enqueue: async (sent: readonly RepairJob[]) => {
            jobs.push(...sent);
            return { sent: sent.map((j) => j.incidentKey), failed: [] };
          },
        },
        logContext: {
          fetchAround: async () => {
            throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
          },
        },
        resolveRepo: () => ({ owner: 'acme', name: 'orders', baseBranch: 'main', pathPrefix: '' }),
      },
    );
    expect(jobs.map((j) => j.error.exceptionType)).toEqual([
      'java.lang.NullPointerException',
      'java.lang.NumberFormatException',
    ]);
  });
});

describe('a trace the filter passed in part is read back, and is the incident its whole print makes', () => {
  it.each([
    [
      // `=1` arrives as its header and three frame lines that name `panicking`: its message line,
      // the one after the header, has no term; nor has `stack backtrace:`. Read as it came, the
      // first frame line was the message (a fingerprint of its own, and no read).
      'Rust: RUST_BACKTRACE=1 and =full of one panic are one incident',
      ['rust/rust195-index-backtrace-1.txt', 'rust/rust195-index-backtrace-full.txt'],
      [['panic', 'index out of bounds: the len is 2 but the index is 8']],
    ],
    [
      // a handler's `$logger->error('Uncaught ' . $e)`: the header line alone has a term
      'PHP: an exception printed whole after `Uncaught ` is read back for its `Stack trace:`',
      ['php/php82-error-log-app-error-channel.txt', 'php/php82-error-log-division-by-zero.txt'],
      [
        ['Error', 'Call to a member function apply() on null'],
        ['DivisionByZeroError', 'Division by zero'],
      ],
    ],
    [
      // the template's lines after the header and the bare `file.erb:1` line hold no term: the
      // header and the frames that name `:in ` arrive, and a crash after them, so the template
      // error no longer ended the delivery and was kept without them (another fingerprint)
      "Ruby: Rails' template error is read back for the template's lines a filter leaves out",
      ['ruby/documented-rails-template-error.txt', 'ruby/documented-ruby34-quotes.txt'],
      [
        ['ActionView::Template::Error', "undefined method `name' for nil:NilClass"],
        ['ZeroDivisionError', 'divided by 0'],
      ],
    ],
    [
      // the context opened on the header's line (`{"exception":"[object] (…`) closes lines later
      "PHP: Laravel's line whose context is not closed on it is read back for its `[stacktrace]`",
      [
        'php/php82-monolog-2.9-laravel-line-format.txt',
        'php/php82-symfony-5.4-error-listener-kernel-logger.txt',
      ],
      [
        ['TypeError', 'array_map(): Argument #2 ($array) must be of type array, null given'],
        ['Error', 'Call to a member function getTotal() on null'],
      ],
    ],
  ])('%s', async (_title, paths, expected) => {
    // the second print seconds after the first, as two requests' are
    const lines = streamOf(...paths);
    const second = lines.indexOf('INFO request finished');
    const timestamps = lines.map((_, i) => 1_714_564_800_000 + i + (i >= second ? 5_000 : 0));
    const { jobs, reads } = await deliverThroughDefaultFilter(lines, { timestamps });
    expect(jobs.map((job) => [job.error.exceptionType, job.error.message])).toEqual(expected);
    expect(reads).toBeGreaterThan(0);
    // each job is the incident its trace read whole makes (the frames the filter left out count)
    const whole = new Set(
      paths.flatMap((path) =>
        detectErrors(makeEvents(deliveries(traceText(path)).perLine)).map(({ record }) =>
          fingerprintError(record),
        ),
      ),
    );
    expect(new Set(jobs.map((job) => fingerprintError(job.error)))).toEqual(whole);
  });

  it("Rust: a frame line right after a panic's header is no message, and says the print was cut", () => {
    const lines = deliveries(traceText('rust/rust195-index-backtrace-1.txt')).perLine;
    const delivered = makeEvents([...lines.filter(passesDefaultFilter), 'ERROR next request failed']);
    const [first] = detectErrors(delivered);
    expect(first?.record.message).toBe('');
    expect(first?.needsContext).toBe(true);
    // the panic's place is still its frame until the read completes it
    expect(first?.record.frames.map((f) => `${f.file}:${f.line}`)).toEqual(['src/balance.rs:3']);
  });
});
