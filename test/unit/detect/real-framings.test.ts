// Issue #9: real traces in the framings people's logs actually have, each captured by running a
// program here (the fixture name says which runtime) or, where no runtime was at hand, written
// from the documented format (named `documented-*`). Every case runs in both delivery shapes.
import { describe, expect, it } from 'vitest';
import type { ErrorRecord } from '../../../functions/core/contracts.ts';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import { stripLogPrefix } from '../../../functions/core/detect/strip-log-prefix.ts';
import { explainUnplacedTrace } from '../../../functions/core/repair/explain-unplaced-trace.ts';
import {
  capturedMessages,
  DEFAULT_FILTER_TERMS,
  deliveries,
  makeEvents,
  passesDefaultFilter,
  traceText,
} from '../../support/log-events.ts';

const fixture = traceText;

interface Expected {
  language: ErrorRecord['language'];
  exceptionType: string;
  message: string;
  /** the innermost frame: where it was raised */
  innermost: { file: string; line: number; function?: string };
  frames?: number;
  /** `message` is the first line only (Ruby 3.1's error_highlight snippet follows it) */
  messageFirstLine?: true;
}

/** One record per delivery shape, identical in type, message, frames and fingerprint. */
function detectBothShapes(text: string): ErrorRecord {
  const { oneEvent, perLine } = deliveries(text);
  const one = detectErrors(makeEvents(oneEvent)).map((d) => d.record);
  const lines = detectErrors(makeEvents(perLine)).map((d) => d.record);
  expect(one).toHaveLength(1);
  expect(lines).toHaveLength(1);
  const [a, b] = [one[0] as ErrorRecord, lines[0] as ErrorRecord];
  expect(b.frames).toEqual(a.frames);
  expect([b.exceptionType, b.message]).toEqual([a.exceptionType, a.message]);
  expect(fingerprintError(b)).toBe(fingerprintError(a));
  return a;
}

function expectRecord(record: ErrorRecord, expected: Expected): void {
  const message = expected.messageFirstLine ? record.message.split('\n')[0] : record.message;
  expect({ language: record.language, type: record.exceptionType, message }).toEqual({
    language: expected.language,
    type: expected.exceptionType,
    message: expected.message,
  });
  const inner = record.frames.at(-1);
  expect(inner?.file.endsWith(expected.innermost.file)).toBe(true);
  expect(inner?.line).toBe(expected.innermost.line);
  if (expected.innermost.function) expect(inner?.function).toBe(expected.innermost.function);
  if (expected.frames !== undefined) expect(record.frames).toHaveLength(expected.frames);
}

describe('frames in files named like secrets keep their file and line (parse first, redact after)', () => {
  it.each<[string, Expected]>([
    [
      'javascript/node20-uncaught-session-js.txt',
      {
        language: 'javascript',
        exceptionType: 'TypeError',
        message: "Cannot read properties of undefined (reading 'user')",
        innermost: { file: '/src/session.js', line: 6, function: 'SessionStore.get' },
        frames: 9,
      },
    ],
    [
      'java/openjdk17-session-manager-npe.txt',
      {
        language: 'java',
        exceptionType: 'java.lang.NullPointerException',
        message:
          'Cannot invoke "String.length()" because the return value of "java.util.Map.get(Object)" is null',
        innermost: { file: 'SessionManager.java', line: 10, function: 'userNameLength' },
        frames: 2,
      },
    ],
    [
      'go/go119-session-go-nil-pointer.txt',
      {
        language: 'go',
        exceptionType: 'panic',
        message: 'runtime error: invalid memory address or nil pointer dereference',
        innermost: { file: '/session.go', line: 9, function: 'main.(*SessionStore).UserName' },
        frames: 2,
      },
    ],
    [
      'python/py311-token-store-keyerror.txt',
      {
        language: 'python',
        exceptionType: 'KeyError',
        message: "'t-1'",
        innermost: { file: '/shop/token_store.py', line: 6, function: 'owner' },
        frames: 3,
      },
    ],
  ])('%s', (path, expected) => {
    const record = detectBothShapes(fixture(path));
    expectRecord(record, expected);
    // Every frame keeps its line: none was eaten by a `key: value` rule.
    expect(record.frames.every((f) => f.line !== undefined && !f.file.includes('REDACTED'))).toBe(true);
  });

  it('still redacts the message of such a trace', () => {
    const trace = fixture('java/openjdk17-session-manager-npe.txt').replace(
      'because the return value',
      'for password=hunter2hunter2 because the return value',
    );
    const record = detectBothShapes(trace);
    expect(record.message).not.toContain('hunter2');
    expect(record.raw).not.toContain('hunter2');
    expect(record.frames.at(-1)).toMatchObject({ file: 'SessionManager.java', line: 10 });
  });
});

describe('common framings, each from a real capture', () => {
  it.each<[string, Expected]>([
    [
      'php/php82-error-log-uncaught.txt',
      {
        language: 'php',
        exceptionType: 'Error',
        message: 'Call to a member function apply() on null',
        // the header's `in /tmp/cap/php/src/Cart.php:17`: before, src/Cart.php was in no frame
        innermost: { file: '/src/Cart.php', line: 17, function: 'Cart->checkout' },
        frames: 3,
      },
    ],
    [
      'php/php82-error-log-app-error-channel.txt',
      {
        language: 'php',
        exceptionType: 'Error',
        message: 'Call to a member function apply() on null',
        // the header's `in /tmp/cap/php/src/Cart.php:17`: before, src/Cart.php was in no frame
        innermost: { file: '/src/Cart.php', line: 17, function: 'Cart->checkout' },
        frames: 3,
      },
    ],
    [
      'ruby/ruby31-logger-exception.txt',
      {
        language: 'ruby',
        exceptionType: 'KeyError',
        message: 'key not found: "sku-42"',
        innermost: { file: '/lib/shop/pricing.rb', line: 8, function: 'fetch' },
        frames: 4,
      },
    ],
    [
      'ruby/ruby31-logger-message-then-backtrace.txt',
      {
        language: 'ruby',
        exceptionType: 'KeyError',
        message: 'key not found: "sku-42"',
        innermost: { file: '/lib/shop/pricing.rb', line: 8, function: 'fetch' },
        frames: 4,
      },
    ],
    [
      'ruby/ruby31-error-colon-then-backtrace.txt',
      {
        language: 'ruby',
        exceptionType: 'Error',
        message: 'key not found: "sku-42"',
        innermost: { file: '/lib/shop/pricing.rb', line: 8, function: 'fetch' },
        frames: 4,
      },
    ],
    [
      'python/documented-lambda-python-runtime-unhandled.txt',
      {
        language: 'python',
        exceptionType: 'KeyError',
        message: "'order_id'",
        innermost: { file: '/var/task/orders/token_store.py', line: 9, function: 'fetch_order' },
        frames: 2,
      },
    ],
    [
      'python/py311-logging-indented-traceback.txt',
      {
        language: 'python',
        exceptionType: 'KeyError',
        message: "'t-1'",
        innermost: { file: '/shop/token_store.py', line: 6, function: 'owner' },
        frames: 3,
      },
    ],
    [
      'javascript/node20-console-trace-error.txt',
      {
        language: 'javascript',
        exceptionType: 'TypeError',
        message: "Cannot read properties of undefined (reading 'user')",
        innermost: { file: '/src/session.js', line: 6, function: 'SessionStore.get' },
      },
    ],
    [
      'javascript/node20-err-stack-after-message.txt',
      {
        language: 'javascript',
        exceptionType: 'SyntaxError',
        message: 'Unexpected token \']\', "{"items": [1, 2,]}" is not valid JSON',
        innermost: { file: '', line: Number.NaN },
      },
    ],
    [
      'java/openjdk17-npe-console-wrapped-fold-80.txt',
      {
        language: 'java',
        exceptionType: 'java.lang.NullPointerException',
        message:
          'Cannot invoke "java.lang.Integer.intValue()" because the return value of "java.util.Map.get(Object)" is null',
        innermost: {
          file: 'DiscountCalculationService.java',
          line: 9,
          function: 'calculateDiscountedPriceForCampaign',
        },
        frames: 2,
      },
    ],
  ])('%s', (path, expected) => {
    const record = detectBothShapes(fixture(path));
    if (Number.isNaN(expected.innermost.line)) {
      // `at JSON.parse (<anonymous>)`: V8 names no file; the first frame with one is the caller.
      expect({ type: record.exceptionType, message: record.message }).toEqual({
        type: expected.exceptionType,
        message: expected.message,
      });
      expect(record.frames.at(-1)).toMatchObject({ file: '', function: 'JSON.parse' });
      expect(record.frames.at(-2)).toMatchObject({ line: 11, function: 'Object.<anonymous>' });
      return;
    }
    expectRecord(record, expected);
  });

  it('places an ES module import that cannot be resolved in the importing file (Node names it only in the message)', () => {
    const record = detectBothShapes(fixture('javascript/node20-esm-import-not-found.txt'));
    expect({ type: record.exceptionType, message: record.message }).toEqual({
      type: 'Error',
      message: "Cannot find module '/tmp/lr/mnf/src/config.js' imported from /tmp/lr/mnf/src/server.mjs",
    });
    // every frame is Node's resolver; the importer is the one in-app frame, innermost
    expect(record.frames.filter((f) => f.inApp)).toEqual([
      { file: '/tmp/lr/mnf/src/server.mjs', function: '<import>', inApp: true },
    ]);
    expect(record.frames.at(-1)?.file).toBe('/tmp/lr/mnf/src/server.mjs');
  });

  // Spring Boot's log pattern (its defaults.xml FILE_LOG_PATTERN, pid 4242, application `shop`)
  // through logback 1.2 with a stand-in for its %wEx converter (a line break before and after the
  // throwable), logging Tomcat's report of a failed request as StandardWrapperValve does: the
  // thrown exception named in the message, its root cause's trace after a blank line.
  it.each([
    [
      'java/java17-logback-spring-boot-pattern-root-cause.txt',
      'java.lang.NullPointerException',
      'Cannot invoke "java.lang.Integer.intValue()" because the return value of "java.util.Map.get(Object)" is null',
      { file: 'OrderService.java', line: 9, function: 'reserve' },
    ],
    [
      'java/java17-logback-spring-boot-pattern-wrapped-root-cause.txt',
      'java.lang.NumberFormatException',
      'For input string: "2x"',
      { file: 'Main.java', line: 16, function: 'main' },
    ],
  ])('%s: one record, the root cause, its report as the lead', (path, type, message, innermost) => {
    const text = fixture(path);
    expect(text).toContain(
      'ERROR 4242 --- [shop] [           main] o.a.c.c.C.[.[.[/].[dispatcherServlet]    : ',
    );
    const record = detectBothShapes(text);
    expect({ type: record.exceptionType, message: record.message }).toEqual({ type, message });
    expect(record.frames.filter((f) => f.inApp).at(-1)).toMatchObject(innermost);
    expect(record.raw).toContain('with root cause');
  });

  it('reads an application\'s log.error("…", e) in Spring Boot\'s pattern: the message, a blank line, the trace', () => {
    const text = fixture('java/java17-logback-spring-boot-pattern-app-error.txt');
    const record = detectBothShapes(text);
    expect({ type: record.exceptionType, message: record.message }).toEqual({
      type: 'java.lang.IllegalStateException',
      message: 'quantity is not a number',
    });
    expect(record.causes.map((c) => c.exceptionType)).toEqual(['java.lang.NumberFormatException']);
    // the lead keeps what the application said, without the pattern's pid, thread and logger
    expect(record.raw).toContain('Failed to reserve 1 of sku-9');
    expect(record.raw).not.toContain('4242 ---');
  });

  it('reads the Lambda Python report when the runtime ends its lines with \\r', () => {
    const text = fixture('python/documented-lambda-python-runtime-unhandled.txt').trimEnd();
    const found = detectErrors(makeEvents([text.replaceAll('\n', '\r')]));
    expect(found).toHaveLength(1);
    expect(found[0]?.record).toMatchObject({ language: 'python', exceptionType: 'KeyError' });
    expect(found[0]?.record.frames.at(-1)).toMatchObject({ line: 9, function: 'fetch_order' });
  });

  it('keeps the exception type after a level when no logger name is printed (`ERROR KeyError: …`)', () => {
    const [record] = detectErrors(
      makeEvents([fixture('python/py311-logging-error-type-first.stderr').trim()]),
    );
    expect(record?.record).toMatchObject({ exceptionType: 'KeyError', message: "'t-1'" });
  });

  it('reads the type after a logger name (`ERROR root ValueError: …`)', () => {
    const found = detectErrors(
      makeEvents(fixture('python/py311-logging-name-then-type.stderr').trim().split('\n')),
    );
    expect(found.map((d) => [d.record.exceptionType, d.record.message])).toEqual([
      ['ValueError', "invalid literal for int() with base 10: 'x1'"],
      ['ValueError', "invalid literal for int() with base 10: 'x1'"],
    ]);
  });

  it('gives RUST_BACKTRACE=1 and =full of one panic one fingerprint', () => {
    const short = detectBothShapes(fixture('rust/rust195-index-backtrace-1.txt'));
    const full = detectBothShapes(fixture('rust/rust195-index-backtrace-full.txt'));
    expect(full.frames.length).toBeGreaterThan(short.frames.length);
    expect(fingerprintError(full)).toBe(fingerprintError(short));
  });

  it('keeps one error one record across a stray `[...]` inside the trace', () => {
    // The captured Node trace with a line cut out by a log viewer, as users paste them.
    const lines = fixture('javascript/node20-uncaught-session-js.txt').trimEnd().split('\n');
    const atFrames = lines.findIndex((l) => l.includes('at handle'));
    const cut = [...lines.slice(0, atFrames + 1), '    [...]', ...lines.slice(atFrames + 3)].join('\n');
    const record = detectBothShapes(cut);
    expect(record.frames.at(-1)).toMatchObject({ function: 'SessionStore.get', line: 6 });
    expect(record.frames[0]?.file).toBe('node:internal/main/run_main_module');
  });

  it('reads lower-case levels before a timestamp and dated stream prefixes', () => {
    const found = detectErrors(
      makeEvents([
        'error 2021-05-01T12:00:00.000Z : feed import failed: SyntaxError: Unexpected end of JSON input',
        '2021/05/01\tstderr\tTypeError: Cannot read properties of null (reading "id")',
        '2021/05/01\tstderr\t    at load (/app/src/feed.js:12:5)',
      ]),
    );
    expect(found.map((d) => [d.record.exceptionType, d.record.message, d.record.frames.length])).toEqual([
      ['SyntaxError', 'Unexpected end of JSON input', 0],
      ['TypeError', 'Cannot read properties of null (reading "id")', 1],
    ]);
  });

  it("reads Node's console.error(message, err), which joins them with a space, as the error it prints", () => {
    // `price refresh failed TypeError: fetch failed` + frames + `[cause]`: it was read as the
    // cause alone (`Error: bad port`), with the cause's frames and the outer ones lost.
    const fetchFailed = detectBothShapes(fixture('javascript/node20-console-error-message-then-error.txt'));
    expect([fetchFailed.exceptionType, fetchFailed.message]).toEqual(['TypeError', 'fetch failed']);
    expect(fetchFailed.frames.filter((f) => f.inApp).map((f) => [f.file, f.line, f.function])).toEqual([
      ['/tmp/cap/app/src/prices.mjs', 6, undefined],
      ['/tmp/cap/app/src/prices.mjs', 2, 'loadPrices'],
    ]);
    expect(fetchFailed.causes.map((c) => [c.exceptionType, c.message])).toEqual([['Error', 'bad port']]);
    // `new Error()` has no message: the line ends with the name
    const bare = detectBothShapes(fixture('javascript/node20-console-error-message-then-bare-error.txt'));
    expect([bare.exceptionType, bare.message]).toEqual(['Error', '']);
    expect(bare.frames.at(-1)).toMatchObject({
      file: '/tmp/cap/app/src/empty.js',
      line: 2,
      function: 'check',
    });
  });

  it("keeps an error and its [cause] one record across Node's `... N lines matching cause stack trace ...`", () => {
    // Node 24, an unhandled rejection logged with console.error: the fold line ended the trace,
    // so the cause became a second incident and the error lost it.
    const record = detectBothShapes(fixture('javascript/node24-cause-folded-frames.txt'));
    expect([record.exceptionType, record.message]).toEqual(['CardDeclinedError', 'card 4242 declined']);
    expect(record.frames.at(-1)).toMatchObject({
      file: '/tmp/cap/app/src/agg2.mjs',
      line: 2,
      function: 'charge',
    });
    expect(record.causes.map((c) => [c.exceptionType, c.message])).toEqual([['Error', 'issuer said no']]);
  });

  it.each([
    ['javascript/node24-unhandled-rejection-custom-class.txt', 'card 4242 declined', 19],
    ['javascript/node24-console-error-message-then-custom-class.txt', 'card 5555 declined', 20],
  ])(
    'reads a custom error class logged after a message (%s) as that class, with its own frames',
    (path, message, callerLine) => {
      // `Unhandled rejection: PaymentDeclined: …` / `checkout failed PaymentDeclined: …`: a name that
      // ends in neither Error nor Exception opens no trace alone; the frame right after it makes it
      // the header. Before, the record was its [cause] alone (SyntaxError), the outer frames lost.
      const record = detectBothShapes(fixture(path));
      expect([record.exceptionType, record.message]).toEqual(['PaymentDeclined', message]);
      expect(record.frames.filter((f) => f.inApp).map((f) => [f.file, f.line, f.function])).toEqual([
        ['/tmp/cap/app/src/checkout.mjs', callerLine, undefined],
        ['/tmp/cap/app/src/checkout.mjs', 12, 'charge'],
      ]);
      expect(record.causes.map((c) => c.exceptionType)).toEqual(['SyntaxError']);
    },
  );

  it('does not make an ordinary line the header of frames that follow it unless it names a class-like error', () => {
    const frames = ['    at charge (/app/src/pay.js:3:9)', '    at main (/app/src/pay.js:9:1)'];
    const [listening] = detectErrors(makeEvents(['server: listening on 8080', ...frames]));
    // no record claims `server` as an error type: the frames stay headerless
    expect(listening?.record.exceptionType).not.toBe('server');
    const [custom] = detectErrors(
      makeEvents(['order 7 failed: StaleOrder: version 3 is older than 4', ...frames]),
    );
    expect([custom?.record.exceptionType, custom?.record.message, custom?.record.frames.length]).toEqual([
      'StaleOrder',
      'version 3 is older than 4',
      2,
    ]);
  });

  it.each([['go/go119-rsyslog-traditional-panic.txt'], ['go/go119-rsyslog-rfc3339-panic.txt']])(
    'reads a Go panic from an rsyslog file (%s): header stripped, `#011` read as the tab it was',
    (path) => {
      // A service under systemd whose output rsyslog writes to /var/log/syslog (what the CloudWatch
      // agent ships): captured with rsyslogd 8.2302 and logger(1). The panic was lost whole before.
      const record = detectBothShapes(fixture(path));
      expect([record.language, record.exceptionType, record.message]).toEqual([
        'go',
        'panic',
        'runtime error: invalid memory address or nil pointer dereference',
      ]);
      expect(record.frames.map((f) => [f.file, f.line])).toEqual([
        ['/tmp/sl/app/main.go', 16],
        ['/tmp/sl/app/main.go', 10],
        ['/tmp/sl/app/internal/cart/cart.go', 7],
      ]);
    },
  );

  it("reads a PHP fatal error from nginx's error log (php-fpm's stderr as FastCGI passes it)", () => {
    // nginx 1.22 + php-fpm 8.2, captured here: the most common PHP deployment. Nothing was recorded
    // before (the nginx prefix hid the PHP header; `thrown in …" while reading …` ended no trace).
    const record = detectBothShapes(fixture('php/php82-fpm-nginx-error-log.txt'));
    expect([record.language, record.exceptionType, record.message]).toEqual([
      'php',
      'Error',
      'Call to a member function apply() on null',
    ]);
    expect(record.frames.map((f) => [f.file, f.line, f.function])).toEqual([
      ['/tmp/px/www/index.php', 7, 'handle'],
      ['/tmp/px/www/index.php', 5, 'Cart->checkout'],
      ['/tmp/px/www/src/Cart.php', 5, 'Cart->checkout'],
    ]);
  });

  it.each([
    // the official php:*-fpm images: decorate_workers_output = no, no error_log (PHP's SAPI logger)
    'php/php82-fpm-workers-undecorated.txt',
    // catch_workers_output with the default decoration, each worker line quoted in php-fpm's log:
    // with PHP's own error_log to stderr, and with none (the SAPI logger's `NOTICE: PHP message:`)
    'php/php82-fpm-workers-decorated-error-log.txt',
    'php/php82-fpm-workers-decorated-sapi.txt',
  ])("reads a PHP fatal error from php-fpm's log of its workers' stderr (%s)", (path) => {
    // php-fpm 8.2 + nginx 1.22, captured here. Nothing was recorded before: the SAPI logger's
    // `NOTICE: PHP message: ` and php-fpm's `… child N said into stderr: "…"` hid every line.
    const record = detectBothShapes(fixture(path));
    expect([record.language, record.exceptionType, record.message]).toEqual([
      'php',
      'TypeError',
      'array_map(): Argument #2 ($array) must be of type array, null given',
    ]);
    expect(record.frames.map((f) => [f.file, f.line, f.function])).toEqual([
      ['/tmp/fpm/www/index.php', 4, 'Cart->total'],
      ['/tmp/fpm/www/src/Cart.php', 6, 'array_map'],
    ]);
  });

  it.each([
    // Apache httpd + mod_php 8.2 (captured here), with and without the `, referer: …` Apache appends
    ['php/php82-apache-mod-php-error-log.txt', '/tmp/ap/www'],
    ['php/php82-apache-mod-php-error-log-referer.txt', '/tmp/ap/www'],
    // LiteSpeed's stderr log, written from the format FreshRSS/FreshRSS#7384 shows (no LiteSpeed here)
    ['php/documented-litespeed-stderr-escaped-newlines.txt', '/home/shop/public_html'],
  ])('reads a PHP trace logged on one line with its breaks escaped as \\n (%s)', (path, root) => {
    // Nothing was recorded before: the whole trace was one line no parser could read.
    const record = detectBothShapes(fixture(path));
    expect([record.language, record.exceptionType, record.message]).toEqual([
      'php',
      'TypeError',
      'array_map(): Argument #2 ($array) must be of type array, null given',
    ]);
    expect(record.frames.map((f) => [f.file, f.line, f.function])).toEqual([
      [`${root}/index.php`, 4, 'Cart->total'],
      [`${root}/src/Cart.php`, 6, 'array_map'],
    ]);
    expect(record.raw.split('\n')).toHaveLength(6);
  });

  it("reads logback's %replace(%ex){'[\\r\\n]+', '\\\\n'} (a trace kept in one event) as the trace it stands for", () => {
    // Java 17 + logback 1.2.11, captured here. Before: one frameless record of the *cause*
    // (NumberFormatException), its message the rest of the trace.
    const record = detectBothShapes(fixture('java/java17-logback-replace-newlines.txt'));
    expect([record.exceptionType, record.message]).toEqual([
      'java.lang.IllegalStateException',
      'bad order line',
    ]);
    expect(record.frames.at(-1)).toMatchObject({ file: 'OrderService.java', line: 18, function: 'main' });
    const [cause] = record.causes;
    expect([cause?.exceptionType, cause?.message]).toEqual([
      'java.lang.NumberFormatException',
      'For input string: "two"',
    ]);
    expect(cause?.frames.find((f) => f.inApp)).toMatchObject({ line: 16, function: 'main' });
    expect(cause?.frames.at(-1)).toMatchObject({
      function: 'forInputString',
      line: 67,
    });
  });

  it('leaves a JSON line whole: its fields carry their own escaped line breaks', () => {
    const info = '{"level":"info","msg":"retry ok","previous":"Error: x\\n    at f (/app/a.js:1:1)"}';
    expect(detectErrors(makeEvents([info]))).toEqual([]);
  });

  it("reads Python's logging.exception through rsyslog as one record with its frames", () => {
    // It was a frameless `ERROR` record whose message was the syslog header and `Traceback …`.
    const record = detectBothShapes(fixture('python/py311-rsyslog-traditional-logging-exception.txt'));
    expect([record.exceptionType, record.message]).toEqual([
      'ValueError',
      "invalid literal for int() with base 10: 'x'",
    ]);
    expect(record.frames.at(-1)).toMatchObject({
      file: '/tmp/sl/py/shop/prices.py',
      line: 8,
      function: 'parse',
    });
    expect(record.raw).not.toContain('shop-worker[4242]');
  });

  it('reads a coloured trace (Python 3.13 PYTHON_COLORS, Node FORCE_COLOR) like the plain one, and keeps no escape', () => {
    // Both were parsed as nothing: Python's frames as `File \x1b[35m"…"`, Node's grey frames.
    const python = detectBothShapes(fixture('python/py313-python-colors-valueerror.txt'));
    expect([python.exceptionType, python.message]).toEqual([
      'ValueError',
      "invalid literal for int() with base 10: 'x'",
    ]);
    expect(python.frames.map((f) => [f.file, f.line, f.function])).toEqual([
      ['/tmp/cap/app/src/parse.py', 4, '<module>'],
      ['/tmp/cap/app/src/parse.py', 2, 'parse'],
    ]);
    expect(python.raw).not.toContain('\u001b');
    // the same program's output without colour: one fingerprint
    const coloured = detectBothShapes(fixture('javascript/node20-force-color-console-error.txt'));
    const plain = detectBothShapes(fixture('javascript/node20-console-error-message-then-bare-error.txt'));
    expect(coloured.frames).toEqual(plain.frames);
    expect(fingerprintError(coloured)).toBe(fingerprintError(plain));
    expect(coloured.raw).toBe(plain.raw);
  });

  it("keeps Django's `Internal Server Error: /path` the lead of its traceback, not an error of its own", () => {
    // Django's django.request message under the `verbose` formatter of Django's logging docs
    // ({levelname} {asctime} {module} {process:d} {thread:d} {message}), written from that format.
    const logged = [
      'ERROR 2026-12-05 12:40:07,112 log 4123 140 Internal Server Error: /orders/7',
      'Traceback (most recent call last):',
      '  File "/srv/shop/venv/lib/python3.11/site-packages/django/core/handlers/exception.py", line 55, in inner',
      '    response = get_response(request)',
      '  File "/srv/shop/shop/views.py", line 22, in order',
      '    return totals[order_id]',
      "KeyError: '7'",
    ].join('\n');
    const record = detectBothShapes(logged);
    expect([record.exceptionType, record.message]).toEqual(['KeyError', "'7'"]);
    expect(record.raw).toContain('Internal Server Error: /orders/7');
    // alone, it is still an error, with its words whole (the verbose format's module, process and
    // thread fields stay in the message: no prefix rule knows them)
    const alone = detectErrors(makeEvents([logged.split('\n')[0] ?? '']));
    expect(alone).toHaveLength(1);
    expect(alone[0]?.record.exceptionType).toBe('ERROR');
    expect(alone[0]?.record.message).toMatch(/Internal Server Error: \/orders\/7$/);
  });

  it("keeps Django's `Internal Server Error: /path` out of the message of the error logged before it", () => {
    // MDN's django-locallibrary-tutorial (made to run on Django 3.2: its 4.x constraints dropped, a
    // KeyError and a NoReverseMatch put in index and Book.get_absolute_url) under gunicorn 20.1 in
    // /usr/src/app, DEBUG on: Django's console handler writes `Internal Server Error: /catalog/books/`
    // right after the traceback before it, no blank line. Joined into one event (a shipper's
    // multi-line pattern on gunicorn's `[` lines), that line was read as more of the KeyError's
    // message, and the first NoReverseMatch's.
    const { oneEvent, perLine } = deliveries(
      fixture('python/py311-gunicorn-20.1-django-3.2-internal-server-errors-one-after-another.output'),
    );
    const read = (events: string[]) =>
      detectErrors(makeEvents(events)).map(({ record }) => [record.exceptionType, record.message]);
    const expected = [
      ['KeyError', "'num_visits'"],
      ...Array.from({ length: 2 }, () => [
        'django.urls.exceptions.NoReverseMatch',
        "Reverse for 'book-details' not found. 'book-details' is not a valid view function or pattern name.",
      ]),
    ];
    expect(read(oneEvent)).toEqual(expected);
    expect(read(perLine)).toEqual(expected);
  });

  it('still reads a line after the exception line, in its event, as more of its message', () => {
    // pydantic's field errors after `ValidationError: 1 validation error …`, then the next print
    const text = [
      'Traceback (most recent call last):',
      '  File "/app/shop/orders.py", line 9, in create',
      '    Order(**payload)',
      'pydantic_core._pydantic_core.ValidationError: 1 validation error for Order',
      'qty',
      'INFO 2026-12-08 02:00:00 shop ready',
    ].join('\n');
    const [found] = detectErrors(makeEvents([text]));
    expect(found?.record.message).toBe('1 validation error for Order\nqty');
  });

  it('stays silent on a line that only mentions an error without a level or frames', () => {
    expect(
      detectErrors(makeEvents(['retrying import: SyntaxError: Unexpected token, attempt 2 of 3'])),
    ).toEqual([]);
  });
});

describe('messages of several lines: the frames after them stay the trace', () => {
  // Before, the line after the header ended the trace: the frames were lost (or, after a message,
  // the whole error), since only frames, folded frames and open util.inspect braces continued it.
  it.each<[string, Expected]>([
    [
      'javascript/node20-console-error-execsync-stderr.txt',
      {
        // console.error('thumbnail failed', err) of execSync's error: the command's stderr is its
        // message. Before: no record at all.
        language: 'javascript',
        exceptionType: 'Error',
        message:
          "Command failed: ls /nope/photo.jpg\nls: cannot access '/nope/photo.jpg': No such file or directory",
        innermost: { file: 'node:internal/errors', line: 984, function: 'genericNodeError' },
      },
    ],
    [
      'javascript/node20-console-error-zod-issues.txt',
      {
        // console.error('request failed', err) of a ZodError: its message is the issues as JSON,
        // `],` and `},` included. Before: `ZodError: [` and no frames.
        language: 'javascript',
        exceptionType: 'ZodError',
        message: JSON.stringify(
          [
            {
              expected: 'string',
              code: 'invalid_type',
              path: ['id'],
              message: 'Invalid input: expected string, received number',
            },
            {
              origin: 'number',
              code: 'too_small',
              minimum: 0,
              inclusive: false,
              path: ['qty'],
              message: 'Too small: expected number to be >0',
            },
          ],
          null,
          2,
        ),
        innermost: { file: '/tmp/cap/app/src/orders.mjs', line: 4, function: 'parseOrder' },
      },
    ],
    [
      'javascript/node20-console-error-assertion-diff.txt',
      {
        // node:assert's diff, blank line included. Before: the header alone, no frames.
        language: 'javascript',
        exceptionType: 'AssertionError',
        message: [
          'Expected values to be strictly deep-equal:',
          '+ actual - expected',
          '',
          '  {',
          '+   amount: 12,',
          '-   amount: 10,',
          "    currency: 'EUR'",
          '  }',
        ].join('\n'),
        innermost: { file: '/tmp/cap/app/src/exec.mjs', line: 7, function: 'checkTotal' },
      },
    ],
    [
      'javascript/node20-iso-error-prefix-multiline-message.txt',
      {
        // console.error(isoDate, 'ERROR', err): `… ERROR Error: …` kept its type (the logger-name
        // strip ate a bare `Error:`), and the INFO line after the frames is not part of it.
        language: 'javascript',
        exceptionType: 'Error',
        message: 'payment gateway refused refund for ord_7\nstatus: 502\nbody: upstream connect error',
        innermost: { file: '/tmp/cap/app/src/gateway.mjs', line: 2, function: 'refund' },
      },
    ],
    [
      'go/go119-panic-multiline-error.txt',
      {
        // panic(err) of an error formatted over several lines. Before: `order rejected:`, no frames.
        language: 'go',
        exceptionType: 'panic',
        message: 'order rejected:\nqty -2 must be positive\nsku is required',
        innermost: { file: '/tmp/cap/gop/main.go', line: 24, function: 'main.main' },
      },
    ],
  ])('%s', (path, expected) => {
    // the message is compared whole: every line of it, none of the frames
    expectRecord(detectBothShapes(fixture(path)), expected);
  });

  it('hands the lines back when no frame follows: each is read on its own, as before', () => {
    const lines = [
      'Error: upstream timed out',
      'order 7 queued',
      'Unhandled rejection: PaymentDeclined: card declined',
      '    at charge (/app/src/pay.js:3:9)',
      '2026-12-05T10:00:00.000Z ERROR Error: refund failed',
      'retrying in 5 s',
      'level=error msg="queue full"',
      '    at flush (/app/src/queue.js:9:3)',
    ];
    for (const events of [makeEvents([lines.join('\n')]), makeEvents(lines)]) {
      const records = detectErrors(events).map((d) => [
        d.record.exceptionType,
        d.record.message,
        d.record.frames.length,
      ]);
      // the custom class keeps its frame (the line before a frame heads it, not the message above);
      // an error line of its own is never taken into the message above it, frame or not
      expect(records).toEqual([
        ['Error', 'upstream timed out', 0],
        ['PaymentDeclined', 'card declined', 1],
        ['Error', 'refund failed', 0],
        ['ERROR', 'queue full', 0],
      ]);
    }
  });

  it('holds at most 100 lines for a message: a header followed by a plain log is not one error', () => {
    const plain = Array.from({ length: 150 }, (_, i) => `worker ${i} ready`);
    const lines = ['TypeError: x is not a function', ...plain, '    at run (/app/src/a.js:3:9)'];
    const records = detectErrors(makeEvents(lines)).map((d) => d.record);
    expect(records.map((r) => [r.exceptionType, r.message, r.frames.length])).toEqual([
      ['TypeError', 'x is not a function', 0],
    ]);
  });
});

describe('a line a container log driver cut into pieces (Docker 16 KiB, ECS non-blocking 262,118 bytes)', () => {
  // Node 20, pino 10.4 (through fastify 5's dependency): `logger.error({ err, cart }, 'failed to
  // price order')` with a 400-item cart, a 32 KB JSON line. Docker's copier cuts a line at 16 KiB
  // and the awslogs driver in non-blocking mode sends each piece as an event (moby#41794): cut
  // here at 16,384 bytes as it does. Before: silent (no piece is JSON).
  const line = fixture('javascript/node20-pino-10.4-error-with-large-context.output').trimEnd();
  const cut = (text: string, size: number): string[] => {
    const bytes = Buffer.from(text, 'utf8');
    const pieces: string[] = [];
    for (let at = 0; at < bytes.length; at += size)
      pieces.push(bytes.subarray(at, at + size).toString('utf8'));
    return pieces;
  };

  it('joins the pieces again: the error is read from the whole line', () => {
    const pieces = cut(line, 16_384);
    expect(pieces.length).toBeGreaterThan(1);
    const records = detectErrors(makeEvents(['INFO request started', ...pieces, 'INFO request ended'])).map(
      (d) => d.record,
    );
    expect(records).toHaveLength(1);
    const [whole] = detectErrors(makeEvents([line])).map((d) => d.record);
    expect(records[0]).toMatchObject({
      exceptionType: 'TypeError',
      message: "Cannot read properties of undefined (reading 'reduce')",
    });
    expect(records[0]?.frames).toEqual(whole?.frames);
    expect(records[0]?.frames.at(-1)).toMatchObject({ file: '/srv/fapp/lib/orders.js', line: 2 });
  });

  it('ends a joined line at its last piece, and leaves lines of other sizes or later events alone', () => {
    const piece = 'x'.repeat(16_384);
    // 100 pieces and the short one that ends them: the next line is not swallowed
    const many = detectErrors(
      makeEvents([...Array.from({ length: 100 }, () => piece), 'x', 'ERROR on a line of its own']),
    );
    expect(many.map((d) => d.record.message)).toEqual(['on a line of its own']);
    const short = `${'y'.repeat(16_383)}`;
    expect(detectErrors(makeEvents([short, 'ERROR on its own line'])).map((d) => d.record.message)).toEqual([
      'on its own line',
    ]);
    // a piece's size, but the next event a minute later: another line
    const later = makeEvents([piece, 'ERROR a minute later']).map((e, i) => ({
      ...e,
      timestamp: e.timestamp + i * 60_000,
    }));
    expect(detectErrors(later).map((d) => d.record.message)).toEqual(['a minute later']);
  });
});

describe("a log shipper's envelope around each line (EKS Container Insights, ECS FireLens)", () => {
  // The envelopes as Fluent Bit writes them to CloudWatch (AWS's Container Insights and FireLens
  // documentation), around a real capture: Node 20 running a tsc build. Before, nothing was read.
  const trace = fixture('javascript/node20-tsc-dist-console-error.txt').trimEnd().split('\n');
  const eks = (line: string, i: number) =>
    JSON.stringify({
      log: `${line}\n`,
      stream: 'stderr',
      time: `2026-12-06T00:00:00.${String(i).padStart(3, '0')}Z`,
      kubernetes: { pod_name: 'shop-api-7d9f', namespace_name: 'shop', container_name: 'api' },
    });
  const fireLens = (line: string) =>
    JSON.stringify({
      container_id: '3f2a9c',
      container_name: '/ecs-shop-api-1-api',
      ecs_cluster: 'shop',
      ecs_task_arn: 'arn:aws:ecs:us-east-1:111122223333:task/shop/3f2a9c',
      log: line,
      source: 'stderr',
    });

  it.each([
    ['EKS, one line an event', trace.map(eks)],
    ['ECS FireLens, one line an event', trace.map(fireLens)],
    // a multiline filter upstream: the whole trace in one envelope
    ['one envelope holding the whole trace', [eks(trace.join('\n'), 0)]],
  ])('%s', (_name, events) => {
    const found = detectErrors(makeEvents(events)).map((d) => d.record);
    expect(found).toHaveLength(1);
    expect([found[0]?.exceptionType, found[0]?.message]).toEqual([
      'TypeError',
      "Cannot read properties of undefined (reading 'email')",
    ]);
    expect(found[0]?.frames.at(-1)).toMatchObject({ file: '/tmp/cap/tsapp/dist/orders/service.js', line: 3 });
    expect(found[0]?.raw).not.toContain('kubernetes');
  });

  it('reads a structured log line inside the envelope by its fields, and leaves JSON without a shipper alone', () => {
    const pino = JSON.stringify({
      level: 50,
      msg: 'charge failed',
      err: {
        type: 'TypeError',
        message: 'x is undefined',
        stack: 'TypeError: x is undefined\n    at charge (/app/src/pay.js:3:9)',
      },
    });
    const [found] = detectErrors(makeEvents([eks(pino, 0)]));
    expect([found?.record.exceptionType, found?.record.frames.at(-1)?.file]).toEqual([
      'TypeError',
      '/app/src/pay.js',
    ]);
    // an application's own object with a `log` field is not an envelope
    const own = JSON.stringify({ level: 'info', log: 'TypeError: x\n    at f (/app/a.js:1:1)' });
    expect(detectErrors(makeEvents([own]))).toEqual([]);
  });
});

describe("Node's SyntaxError of a file it compiled: the code excerpt before it names the file", () => {
  // V8's frames of such an error are the loader's and the require's, never the broken file's: Node
  // names it only in the excerpt it prints first (`/app/x.js:3`, the line, a caret, a blank).
  it.each<[string, string, number]>([
    // `node main.js`, whose require('./bad.js') does not parse; `node bad.mjs` (an ES module); Node 20 and 24
    ['javascript/node20-require-syntax-error.txt', '/tmp/syn/app/bad.js', 2],
    ['javascript/node20-esm-syntax-error.txt', '/tmp/syn/app/bad.mjs', 1],
    ['javascript/node24-require-syntax-error.txt', '/tmp/syn/app/bad.js', 2],
    ['javascript/node24-esm-syntax-error.txt', '/tmp/syn/app/bad.mjs', 1],
  ])('%s', (path, file, inApp) => {
    const record = detectBothShapes(fixture(path));
    expectRecord(record, {
      language: 'javascript',
      exceptionType: 'SyntaxError',
      message: "Unexpected token ';'",
      innermost: { file, line: 3 },
    });
    expect(record.frames.at(-1)).toEqual({ file, line: 3, column: 14, inApp: true });
    expect(record.frames.filter((f) => f.inApp)).toHaveLength(inApp);
    expect(record.raw.split('\n')[0]).toBe(fixture(path).split('\n')[0]);
  });

  // The Node.js runtime client 3.3.0 (captured): a handler whose lazy require('./lib/pricing.js')
  // does not parse, thrown (`Invoke Error`) or caught and logged with console.error(err), in both
  // log formats. The text format's console.error starts its event with the excerpt at ERROR level.
  const lambdaMessages = (name: string): string[] => capturedMessages(`lambda/${name}.events.jsonl`);
  it("reads the Lambda runtime's reports of it as one record in the broken file, one fingerprint in all four", () => {
    const records = ['text', 'json'].flatMap((format) =>
      ['lazy-require', 'console-error'].map((how) => {
        const found = detectErrors(
          makeEvents(lambdaMessages(`node20-lambda-ric-${format}-${how}-syntax-error`)),
        );
        expect(found, `${format} ${how}`).toHaveLength(1);
        return (found[0] as { record: ErrorRecord }).record;
      }),
    );
    for (const record of records) {
      expect(record.exceptionType).toBe('SyntaxError');
      expect(record.message).toBe('missing ) after argument list');
      expect(record.frames.at(-1)).toEqual({
        file: '/var/task/lib/pricing.js',
        line: 3,
        column: 62,
        inApp: true,
      });
    }
    expect(new Set(records.map(fingerprintError)).size).toBe(1);
  });

  it('hands back lines that only looked like an excerpt: each is read as before, in order', () => {
    const lines = [
      '/srv/app/server.js:12',
      'listening on 8080',
      '2026-12-06T10:00:00.000Z ERROR payment failed: card declined',
      '2026-12-06T10:00:01.000Z INFO done',
    ];
    for (const events of [makeEvents(lines), makeEvents([lines.join('\n')])]) {
      const found = detectErrors(events).map((d) => d.record);
      expect(found.map((r) => r.message)).toEqual(['payment failed: card declined']);
    }
    // at an error level and followed by no excerpt, the line is the error it always was
    const alone = detectErrors(
      makeEvents(['2026-12-06T10:00:00.000Z ERROR /srv/app/server.js:12', 'INFO next']),
    );
    expect(alone.map((d) => d.record.message)).toEqual(['/srv/app/server.js:12']);
  });

  it("keeps an uncaught JSON.parse SyntaxError where its frames put it (Node's excerpt is of `<anonymous_script>`)", () => {
    const record = detectBothShapes(fixture('javascript/node20-uncaught-json-parse-syntax-error.txt'));
    expect(record.frames.filter((f) => f.inApp).at(-1)).toMatchObject({
      file: '/tmp/syn/app/j.js',
      line: 1,
      function: 'parse',
    });
  });
});

describe('an error logged where it was caught, then raised as the cause of another: one failure, one record', () => {
  // Captured here: Python 3.11 logger.exception + `raise OrderError(…) from e`; Node 20
  // console.error(err) + `throw new Error(…, { cause: err })`; Java 17 java.util.logging SEVERE
  // with the exception + `throw new IllegalStateException(…, e)`.
  it.each<[string, string, string, string]>([
    ['python/py311-logging-exception-then-raise-from.txt', 'OrderError', 'bad order ord-7', 'ValueError'],
    ['javascript/node20-console-error-then-throw-with-cause.txt', 'Error', 'bad order ord-7', 'RangeError'],
    [
      'java/java17-jul-severe-then-throw-caused-by.txt',
      'java.lang.IllegalStateException',
      'bad order ord-7',
      'java.lang.NumberFormatException',
    ],
  ])('%s', (path, type, message, cause) => {
    const record = detectBothShapes(fixture(path));
    expect([record.exceptionType, record.message]).toEqual([type, message]);
    expect(record.causes.map((c) => c.exceptionType)).toEqual([cause]);
    // the logged print's lines count with the crash: its exception line is one of the record's events
    const lines = fixture(path).trimEnd().split('\n');
    const loggedAt = lines.findIndex((l) => l.startsWith(`${cause}:`));
    const [perLine] = detectErrors(makeEvents(lines)).map((d) => d.record);
    expect(perLine?.eventIds).toContain(`e${loggedAt}`);
  });

  it('keeps the logged error apart when it is another occurrence: other words, or more than 2 s before', () => {
    const text = fixture('python/py311-logging-exception-then-raise-from.txt').trimEnd();
    const other = text.replace(
      "ValueError: invalid literal for int() with base 10: 'three'\nTraceback",
      "ValueError: invalid literal for int() with base 10: 'four'\nTraceback",
    );
    expect(other).not.toBe(text);
    expect(detectErrors(makeEvents([other])).map((d) => d.record.exceptionType)).toEqual([
      'ValueError',
      'OrderError',
    ]);
    const lines = text.split('\n');
    const split = lines.findIndex((l) => l.startsWith('ValueError:')) + 1;
    const late = [
      ...makeEvents([lines.slice(0, split).join('\n')], { start: 1_000_000 }),
      ...makeEvents([lines.slice(split).join('\n')], { start: 1_000_000 + 2_500, idPrefix: 'late' }),
    ];
    expect(detectErrors(late).map((d) => d.record.exceptionType)).toEqual(['ValueError', 'OrderError']);
  });
});

describe('web frameworks as they log a failed request in production (captured, read right already)', () => {
  // Python 3.11 with Debian's Flask 2.2 (app.logger: `[time] ERROR in app: Exception on /orders/7
  // [GET]`), uvicorn 0.17 + FastAPI 0.92 (`ERROR:    Exception in ASGI application`), a
  // python-json-logger 2.0 JsonFormatter (`exc_info`), gunicorn 20.1's `[ERROR] Error handling
  // request /orders/7` for a WSGI app's exception, Django 3.2's `django.request` through the
  // docs' "verbose" format (`{levelname} {asctime} {module} {process:d} {thread:d} {message}`);
  // Koa 2's default handler (the stack indented two spaces between blank lines), hapi 21's
  // `Debug: internal, implementation, error`, NestJS 10.4's coloured ExceptionsHandler, and Bun
  // 1.4's `Bun.serve` (the code excerpt, JavaScriptCore's message, frames in the .ts it ran).
  it.each<[string, string, string, string, number]>([
    [
      'python/py311-flask-2.2-app-logger-exception-on-request.txt',
      'KeyError',
      "'lines'",
      '/srv/shop/shop/pricing.py',
      2,
    ],
    [
      'python/py311-uvicorn-0.17-fastapi-0.92-exception-in-asgi-application.txt',
      'KeyError',
      "'lines'",
      '/srv/shop/shop/pricing.py',
      2,
    ],
    [
      'python/py311-python-json-logger-2.0-exc-info.txt',
      'KeyError',
      "'lines'",
      '/srv/shop/shop/pricing.py',
      2,
    ],
    [
      'python/py311-gunicorn-20.1-error-handling-request.txt',
      'KeyError',
      "'lines'",
      '/srv/shop/shop/pricing.py',
      2,
    ],
    [
      'python/py311-django-3.2-logging-verbose-internal-server-error.txt',
      'KeyError',
      "'lines'",
      '/srv/pyshop/shop/pricing.py',
      2,
    ],
    [
      'javascript/bun-1.4-serve-fetch-handler-error.txt',
      'TypeError',
      "undefined is not an object (evaluating 'order.lines.reduce')",
      '/srv/bunapp/src/pricing.ts',
      7,
    ],
    [
      'javascript/node20-koa-2-default-error-handler.txt',
      'TypeError',
      "Cannot read properties of undefined (reading 'reduce')",
      '/srv/kapp/lib/orders.js',
      3,
    ],
    [
      'javascript/node20-hapi-21-debug-internal-implementation-error.txt',
      'TypeError',
      "Cannot read properties of undefined (reading 'reduce')",
      '/srv/kapp/lib/orders.js',
      3,
    ],
    [
      'javascript/node20-nestjs-10.4-exceptions-handler-color.txt',
      'TypeError',
      "Cannot read properties of undefined (reading 'reduce')",
      '/srv/nest/src/pricing.ts',
      2,
    ],
  ])('%s', (path, type, message, file, line) => {
    const record = detectBothShapes(fixture(path));
    expect([record.exceptionType, record.message]).toEqual([type, message]);
    expect(record.frames.at(-1)).toMatchObject({ file, line, inApp: true });
    expect(record.frames.filter((f) => f.inApp).every((f) => f.file.startsWith('/srv/'))).toBe(true);
  });
});

describe('Mono (6.8, `mcs -debug`, `mono --debug`): its unhandled-exception report and a printed exception', () => {
  // Mono prints an unhandled exception twice: `Unhandled Exception:`, the exception and its frames
  // (`at Ns.C.M (args) [0x0005a] in /path/File.cs:15 `, a space at the end), then the same after
  // `[ERROR] FATAL UNHANDLED EXCEPTION: `. Before: two records, the second read as Java with the
  // arguments for files. `Console.Error.WriteLine("checkout failed: " + e)` of an exception with
  // an inner one was read as Java too.
  it('is one crash, one record', () => {
    const record = detectBothShapes(fixture('dotnet/mono-6.8-unhandled-exception-and-fatal-reprint.txt'));
    expect([record.language, record.exceptionType, record.message]).toEqual([
      'dotnet',
      'System.InvalidOperationException',
      'order 4411 has no lines',
    ]);
    expect(record.frames.map((f) => `${f.file}:${f.line}`)).toEqual([
      '/srv/csshop/src/Program.cs:23',
      '/srv/csshop/src/Orders/OrderService.cs:15',
    ]);
  });

  it("reads a program's words before the exception, and the inner exception's frames as its cause's", () => {
    const record = detectBothShapes(fixture('dotnet/mono-6.8-console-error-exception-with-inner.txt'));
    expect([record.language, record.exceptionType, record.message]).toEqual([
      'dotnet',
      'System.ApplicationException',
      'checkout failed',
    ]);
    const [inner] = record.causes;
    expect(inner).toMatchObject({
      exceptionType: 'System.InvalidOperationException',
      message: 'order 4411 has no lines',
    });
    expect(inner?.frames.at(-1)).toMatchObject({ file: '/srv/csshop/src/Orders/OrderService.cs', line: 15 });
  });
});

describe("Tomcat's OneLineFormatter (catalina.out): the exception a tab in, its frames two", () => {
  // Java 17, embedded Tomcat 10.1 (Debian's), JUL through org.apache.juli.OneLineFormatter as
  // catalina.out has it: a servlet whose service throws. Read right already.
  it('is one record at the service that threw', () => {
    const record = detectBothShapes(
      fixture('java/java17-tomcat-10.1-one-line-formatter-servlet-exception.txt'),
    );
    expectRecord(record, {
      language: 'java',
      exceptionType: 'java.lang.IllegalStateException',
      message: 'order 4411 has no lines',
      innermost: { file: 'OrderService.java', line: 8, function: 'total' },
    });
  });
});

describe("a process pool's worker traceback: one failure, raised where the worker raised it", () => {
  // Python 3.11 (Debian's): ProcessPoolExecutor and multiprocessing.Pool re-raise a worker's
  // KeyError in the parent, its traceback printed between `"""` lines as the cause; the same
  // through logging.exception; Celery 5.2.6 with billiard 4.1 logs a task's failure as billiard's
  // ExceptionWithTraceback wrapping the worker's traceback. Before: two records (or three with
  // the logger's line) per failure, one of them aimed at the parent's `.result()` line.
  it.each<[string, string]>([
    ['python/py311-process-pool-executor-remote-traceback.txt', '/srv/shop/workers.py:13'],
    ['python/py311-multiprocessing-pool-remote-traceback.txt', '/srv/shop/workers.py:16'],
    ['python/py311-logging-exception-process-pool.txt', '/srv/shop/workers.py:22'],
    ['python/py311-celery-5.2-billiard-exception-with-traceback.txt', '/srv/shop/tasks.py:8'],
  ])('%s', (path, caller) => {
    const record = detectBothShapes(fixture(path));
    expectRecord(record, {
      language: 'python',
      exceptionType: 'KeyError',
      message: "'lines'",
      innermost: { file: '/srv/shop/shop/pricing.py', line: 2, function: 'total' },
    });
    // the call that handed the work to the pool stays a frame, outside the worker's
    expect(record.frames.filter((f) => f.inApp).map((f) => `${f.file}:${f.line}`)[0]).toBe(caller);
    expect(record.causes).toEqual([]);
    expect(record.raw).toContain('"""');
  });

  it("reads a worker traceback cut off inside its fence as the worker's error, losing no line", () => {
    const lines = fixture('python/py311-process-pool-executor-remote-traceback.txt').split('\n');
    const cut = lines.slice(0, lines.findIndex((l) => l.startsWith('KeyError:')) + 1);
    const { oneEvent, perLine } = deliveries(cut.join('\n'));
    for (const shape of [oneEvent, perLine]) {
      const found = detectErrors(makeEvents(shape)).map((d) => d.record);
      expect(found.map((r) => [r.exceptionType, r.frames.at(-1)?.line])).toEqual([['KeyError', 2]]);
      expect(found[0]?.eventIds).toHaveLength(shape.length);
    }
  });

  it('gives two failures of the pool from two bugs two fingerprints, not one for the shared call site', () => {
    const text = fixture('python/py311-process-pool-executor-remote-traceback.txt');
    const other = text.replace('shop/pricing.py", line 2, in total', 'shop/stock.py", line 9, in reserve');
    expect(other).not.toBe(text);
    const [a, b] = [text, other].map((t) => fingerprintError(detectBothShapes(t)));
    expect(a).not.toBe(b);
  });
});

describe("gin's Recovery middleware: `[Recovery] … panic recovered:`, the value, gin's own stack", () => {
  // Go 1.19 (Debian's), gin 1.8.1 vendored, gin.New() + gin.Recovery(), a handler dereferencing a
  // nil order: release mode, and debug mode (the request dump, Authorization masked by gin, before
  // the value). Silent before.
  it.each([['go/go119-gin-1.8-recovery-release-mode.txt'], ['go/go119-gin-1.8-recovery-debug-mode.txt']])(
    '%s',
    (path) => {
      const record = detectBothShapes(fixture(path));
      expect([record.language, record.exceptionType, record.message]).toEqual([
        'go',
        'panic',
        'runtime error: invalid memory address or nil pointer dereference',
      ]);
      const inApp = record.frames.filter((f) => f.inApp);
      expect(inApp.at(-1)).toEqual({
        file: '/srv/go/src/shop/main.go',
        line: 16,
        function: 'total',
        inApp: true,
      });
      expect(inApp.map((f) => f.function)).toEqual(['main', 'main.func1', 'total']);
      // gin's own frames (vendored) and the runtime's are not the app's
      expect(record.frames.find((f) => f.file.includes('/vendor/github.com/gin-gonic/'))?.inApp).toBe(false);
      expect(record.frames.at(-1)).toMatchObject({ function: 'panicmem', inApp: false });
    },
  );

  it("reads the header alone as the tip of a trace to read around (`?panic` passes no line of the app's part)", () => {
    const header = fixture('go/go119-gin-1.8-recovery-release-mode.txt')
      .split('\n')
      .find((l) => l.includes('[Recovery]')) as string;
    const [alone, ...rest] = detectErrors(makeEvents([header]));
    expect(rest).toEqual([]);
    expect(alone?.record).toMatchObject({ language: 'go', exceptionType: 'panic' });
    expect(alone?.needsContext).toBe(true);
  });
});

describe("chi's Recoverer: its own pretty stack", () => {
  // Go 1.19, go-chi/chi 5.0.7 (Debian's) built as a module with a local replace, `r.Use(
  // middleware.Logger, middleware.Recoverer)`, a handler dereferencing a nil order: chi prints
  // ` panic: <value>`, the panicking call marked ` -> `, then each outer call and its location
  // indented, arguments and offsets left out. Silent before, in both delivery shapes.
  const log = fixture('go/go119-chi-5.0.7-recoverer-pretty-stack.txt');

  it('is one Go panic with its calls and their locations, innermost last', () => {
    const record = detectBothShapes(log);
    expect([record.language, record.exceptionType, record.message]).toEqual([
      'go',
      'panic',
      'runtime error: invalid memory address or nil pointer dereference',
    ]);
    expect(record.frames.slice(-2)).toEqual([
      { file: '/srv/goshop/main.go', line: 17, function: 'main.show', module: 'main', inApp: true },
      {
        file: '/srv/goshop/orders/price.go',
        line: 12,
        function: 'example.com/shop/orders.Total',
        module: 'example.com/shop/orders',
        inApp: true,
      },
    ]);
    expect(record.frames).toHaveLength(11);
  });

  it('claims only its own shape: an indented line of another kind ends it', () => {
    const [first = '', second = '', ...rest] = log.trimEnd().split('\n');
    const records = detectErrors(makeEvents([[first, second, '  some other output', ...rest].join('\n')]));
    expect(records.every((d) => d.record.frames.length === 0 || d.record.language === 'go')).toBe(true);
    expect(records.some((d) => d.record.frames.some((f) => f.function === 'main.show'))).toBe(false);
  });
});

describe("echo's Recover middleware: `[PANIC RECOVER] <value> goroutine 1 [running]:` and the dump", () => {
  // Go 1.19, labstack/echo 4.2.1 (Debian's), `e.Use(middleware.Logger(), middleware.Recover())`:
  // the panic is logged at echo's print level (`-`) with runtime.Stack's dump, whose first frames
  // are echo's deferred recover and `panic(…)`; through echo's default JSON logger (the dump
  // escaped in `message`: `.output`, one line) and with a text header (`${time_rfc3339} ${level}`).
  // Silent before in both: a JSON line at level `-`, and `[PANIC` read as a level.
  it.each(['go/go119-echo-4.2-recover-json-logger.output', 'go/go119-echo-4.2-recover-text-header.txt'])(
    '%s: one panic whose innermost frame is where it panicked',
    (path) => {
      const record = detectBothShapes(fixture(path));
      expect([record.language, record.exceptionType, record.message]).toEqual([
        'go',
        'panic',
        'runtime error: invalid memory address or nil pointer dereference',
      ]);
      expect(record.frames.at(-1)).toMatchObject({
        file: '/srv/gopath/src/example.com/echoshop/orders/price.go',
        line: 12,
        function: 'example.com/echoshop/orders.Total',
      });
      // echo's deferred recover and `panic(…)` itself are not frames of the failure
      expect(
        record.frames.filter((f) => f.function === 'panic' || f.function?.endsWith('func1.1.1')),
      ).toEqual([]);
    },
  );

  it('takes a bracket for the level only when it closes right after the word', () => {
    expect(
      [
        '2026-12-07T00:21:53Z - [PANIC RECOVER] runtime error: boom goroutine 1 [running]:',
        '2026-12-07 00:21:53,123 [ERROR   ] shop.pricing: failed',
        '2026-12-07 00:21:53,123 [ERROR] shop.pricing: failed',
      ].map((line) => stripLogPrefix(line)),
    ).toEqual([
      { body: '- [PANIC RECOVER] runtime error: boom goroutine 1 [running]:' },
      { level: 'error', body: 'failed' },
      { level: 'error', body: 'failed' },
    ]);
  });
});

describe("Sinatra's dump_errors: `time - Type - message:` and the tab-indented backtrace", () => {
  // Ruby 3.1.2, Sinatra 3.0.5 in production under WEBrick, two requests failing: a NoMethodError
  // (its message followed by error_highlight's snippet before the colon) and a KeyError. Silent before.
  const log = fixture('ruby/ruby31-sinatra-3.0.5-webrick-production-dump-errors.output');
  const section = (type: string): string => {
    const lines = log.split('\n');
    const from = lines.findIndex((l) => l.includes(` - ${type} - `));
    const to = lines.findIndex(
      (l, i) => i > from && !l.startsWith('\t') && / - \w+Error - |^127\.0\.0\.1 /.test(l),
    );
    return lines.slice(from, to).join('\n');
  };

  it.each<[string, string, number, string]>([
    ['NoMethodError', "undefined method `sum' for nil:NilClass", 3, 'total'],
    // Ruby 3.1 names the C method the frame called (`fetch`) at the caller's line
    ['KeyError', 'key not found: :lines', 8, 'fetch'],
  ])('%s', (type, message, line, fn) => {
    const record = detectBothShapes(section(type));
    expect([record.language, record.exceptionType, record.message]).toEqual(['ruby', type, message]);
    const inApp = record.frames.filter((f) => f.inApp);
    expect(inApp.at(-1)).toMatchObject({ file: '/srv/rb/lib/pricing.rb', line, function: fn });
    expect(inApp[0]).toMatchObject({ file: 'app.rb', line: 13 });
    expect(record.frames.filter((f) => f.file.includes('/gems/')).every((f) => !f.inApp)).toBe(true);
  });

  it("reads the server's whole log line by line as the two failures, nothing else", () => {
    const lines = log.trimEnd().split('\n');
    const found = detectErrors(makeEvents(lines)).map((d) => d.record.exceptionType);
    expect(found).toEqual(['NoMethodError', 'KeyError']);
  });

  it('reads the header alone as the tip of a trace whose frames a filter did not deliver, when it names an error class', () => {
    // `?Error` passes the header; the frames hold no such word
    const header = section('KeyError').split('\n')[0] ?? '';
    const [alone, ...rest] = detectErrors(makeEvents([header]));
    expect(rest).toEqual([]);
    expect(alone?.record).toMatchObject({ exceptionType: 'KeyError', message: 'key not found: :lines' });
    expect(alone?.needsContext).toBe(true);
    // another class name is believed only with frames after it
    expect(detectErrors(makeEvents(['- Deploy - error budget spent:', 'the next line']))).toEqual([]);
  });
});

describe("Rails in production: every line of the error tagged with the request's id", () => {
  // Ruby 3.1.2, Rails 6.1.7 (Debian's): DebugExceptions logs the error, its error_highlight
  // snippet and the cleaned backtrace in one FATAL call, every line after the first starting with
  // the tags. `config.log_tags = [:request_id]` as a generated production.rb has it; with the
  // client's address added after it; with a proc's value (the host) before it, through the
  // SimpleFormatter `ActiveSupport::TaggedLogging.logger(STDOUT)` (Rails 8's production.rb) gives,
  // which writes no Logger prefix. Before: a bogus FATAL record of the tag alone (of the tags
  // after the id, once several were set), and a record with no type or message whose frames'
  // files began with a tag.
  it.each([
    'ruby31-rails-6.1-production-log-tags-request-id.txt',
    'ruby31-rails-6.1-production-log-tags-request-id-remote-ip.txt',
    'ruby31-rails-6.1-log-tags-host-request-id-simple-formatter.txt',
  ])('is one record: the type, the message, the frames at their files (%s)', (name) => {
    const record = detectBothShapes(fixture(`ruby/${name}`));
    expect([record.language, record.exceptionType, record.message.split('\n')[0]]).toEqual([
      'ruby',
      'NoMethodError',
      "undefined method `sum' for nil:NilClass",
    ]);
    expect(record.frames.at(-1)).toEqual({
      file: 'app/models/order.rb',
      line: 3,
      function: 'total',
      inApp: true,
    });
    expect(record.frames.every((f) => !f.file.startsWith('['))).toBe(true);
  });

  it('strips a run of tags by its id, and leaves brackets that hold none to the line', () => {
    const id = '8b2c0ff1-5c1e-4a3e-9d0e-1f2a3b4c5d6e';
    expect(
      [
        `E, [2026-12-07T00:03:52.996833 #23515] ERROR -- : [ActiveJob] [OrderJob] [${id}] Error performing OrderJob`,
        "[203.0.113.9] app/models/order.rb:3:in `total'",
        `[ERROR]\t2024-05-01T12:00:00.000Z\t${id}\tboom`,
      ].map(stripLogPrefix),
    ).toEqual([
      { level: 'error', body: 'Error performing OrderJob' },
      { body: "[203.0.113.9] app/models/order.rb:3:in `total'" },
      { level: 'error', body: 'boom' },
    ]);
  });
});

describe("ActiveJob's report of a job that raised", () => {
  // Ruby 3.1.2, Rails 6.1.7 (Debian's), the async adapter, production's Logger::Formatter: the
  // job's tags, then `Error performing PriceOrderJob (Job ID: …) from Async(default) in 2.96ms:
  // NoMethodError (msg):` and the backtrace, one ERROR call. Before: a record of the sentence
  // alone (type ERROR) and one of the frames with no type; with the SimpleFormatter, the frames'
  // record only. (The SimpleFormatter shape is the capture without the Logger's prefix, which is
  // all that formatter leaves out.)
  const log = fixture('ruby/ruby31-rails-6.1-activejob-async-error-performing.txt');
  const simple = log.replace(/^[DIWEFA], \[[^\]]+\] +[A-Z]+ -- : /gm, '');

  it.each([
    ['Logger::Formatter', log],
    ['SimpleFormatter', simple],
  ])('is one record of the error the job raised (%s)', (_, text) => {
    expectRecord(detectBothShapes(text), {
      language: 'ruby',
      exceptionType: 'NoMethodError',
      message: "undefined method `sum' for nil:NilClass",
      messageFirstLine: true,
      innermost: { file: '/srv/shop/app/models/order.rb', line: 3 },
    });
  });
});

describe("Sidekiq's report of a job that raised", () => {
  // Ruby 3.1.2, Sidekiq 6.4.1 (Debian's) against a local redis, the app in /app: a job raising
  // NoMethodError, logged by the default (Pretty) formatter and by Sidekiq's JSON one. Sidekiq
  // logs it at WARN in three calls: the job's context as JSON, `Class: message` (error_highlight's
  // snippet inside, under Ruby 3.1), then the backtrace, its first frame after the `… pid=… tid=…
  // WARN: ` prefix. Before: in plain text the job's frame was the innermost in-app one (the
  // model's file read `pid=… WARN: /app/app/models/…`); in JSON, nothing (a JSON line at warn).
  // (the JSON capture is `.output`: its backtrace is one line, so it is no fixture of a trace
  // logged one line per frame)
  const SHAPES = ['pretty', 'json'] as const;
  const log = (shape: (typeof SHAPES)[number]) =>
    fixture(`ruby/ruby31-sidekiq-6.4-${shape}-job-raised.${shape === 'json' ? 'output' : 'txt'}`);

  it.each(SHAPES)('is one record whose innermost frame is the model that failed (%s)', (shape) => {
    const record = detectBothShapes(log(shape));
    expect([record.language, record.exceptionType, record.message.split('\n')[0]]).toEqual([
      'ruby',
      'NoMethodError',
      "undefined method `sum' for nil:NilClass",
    ]);
    expect(record.frames.filter((f) => f.inApp).map((f) => `${f.file}:${f.line}`)).toEqual([
      '/app/app/jobs/price_order_job.rb:7',
      '/app/app/models/order.rb:3',
    ]);
  });

  it.each(SHAPES)('is the same record shipped one event per log call (%s)', (shape) => {
    const calls: string[] = [];
    for (const line of log(shape).trimEnd().split('\n')) {
      if (/^(?:\d{4}-|\{)/.test(line) || calls.length === 0) calls.push(line);
      else calls[calls.length - 1] += `\n${line}`;
    }
    const records = detectErrors(makeEvents(calls)).map((d) => d.record);
    expect(records).toHaveLength(1);
    expect(records[0]?.eventIds).toHaveLength(2);
    expect(records[0]?.frames.at(-1)).toMatchObject({ file: '/app/app/models/order.rb', line: 3 });
  });

  it("reads a JSON backtrace line past the classification cap whole (a Rails job's 200 frames)", () => {
    // the captured JSON lines, the backtrace's gem frames repeated to 200 frames (~22 KB)
    const lines = log('json').trimEnd().split('\n');
    const at = lines.findIndex((l) => l.includes('"msg":"/app/app/models/order.rb'));
    const entry = JSON.parse(lines[at] as string) as { msg: string };
    const [own = '', job = '', ...gems] = entry.msg.split('\n');
    const long = [own, job, ...Array.from({ length: 198 }, (_, i) => gems[i % gems.length])].join('\n');
    lines[at] = JSON.stringify({ ...entry, msg: long });
    expect((lines[at] as string).length).toBeGreaterThan(16_384);
    const records = detectErrors(makeEvents(lines)).map((d) => d.record);
    expect(records).toHaveLength(1);
    expect(records[0]?.frames).toHaveLength(200);
    expect(records[0]?.frames.at(-1)).toMatchObject({ file: '/app/app/models/order.rb', line: 3 });
  });

  it('joins a backtrace logged on its own only to a header that has no frames yet', () => {
    const header =
      "2026-12-07T00:09:23.570Z pid=1 tid=lv5 WARN: NoMethodError: undefined method `sum' for nil:NilClass";
    const frame = "2026-12-07T00:09:23.571Z pid=1 tid=lv5 WARN: /app/app/models/order.rb:3:in `total'";
    const other = "2026-12-07T00:09:23.572Z pid=1 tid=lv5 WARN: /app/app/models/cart.rb:9:in `lines'";
    const records = detectErrors(makeEvents([header, frame, other])).map((d) => d.record);
    // the second backtrace follows a record that has its frame: it stands on its own
    expect(records.map((r) => [r.exceptionType, r.frames.map((f) => f.file)])).toEqual([
      ['NoMethodError', ['/app/app/models/order.rb']],
      ['', ['/app/app/models/cart.rb']],
    ]);
  });
});

describe("Puma's report of an error that escaped the Rack app", () => {
  // Ruby 3.1.2, Puma 5.6.5 in production, a bare Rack app raising NoMethodError: Puma prints the
  // inspected error (error_highlight's snippet inside it) and no backtrace. Silent before.
  it('is one Ruby record with the type and first line of the message, read around for frames when alone', () => {
    const log = fixture('ruby/ruby31-puma-5.6.5-production-rack-app-error.output').trimEnd();
    const perLine = detectErrors(makeEvents(log.split('\n')));
    expect(perLine.map((d) => [d.record.language, d.record.exceptionType, d.record.message])).toEqual([
      ['ruby', 'NoMethodError', "undefined method `sum' for nil:NilClass"],
    ]);
    expect(perLine[0]?.needsContext).toBe(true);
    // Puma's startup and shutdown lines stay out of it
    expect(perLine[0]?.record.eventIds).toHaveLength(4);
    const whole = detectErrors(makeEvents([log])).map((d) => d.record);
    expect(whole.map((r) => [r.exceptionType, r.message])).toEqual([
      ['NoMethodError', "undefined method `sum' for nil:NilClass"],
    ]);
    expect(fingerprintError(whole[0] as ErrorRecord)).toBe(
      fingerprintError(perLine[0]?.record as ErrorRecord),
    );
  });
});

describe("Ruby's syntax errors: the file and line the message names are the innermost frame", () => {
  // Ruby 3.1.2: `ruby app.rb` requiring a file that does not parse, `ruby lib/pricing.rb` on it
  // (no type printed), and Logger's `log.error(e)` of the SyntaxError a rescue caught.
  it.each<[string, string, number]>([
    ['ruby/ruby31-syntax-error-in-required-file.txt', '/tmp/rsyn/lib/pricing.rb', 3],
    ['ruby/ruby31-syntax-error-in-main-script.txt', 'lib/pricing.rb', 1],
    ['ruby/ruby31-logger-syntax-error.txt', '/tmp/rsyn/lib/pricing.rb', 3],
  ])('%s', (path, file, frames) => {
    const record = detectBothShapes(fixture(path));
    expect(record.message).toBe(`${file}:4: syntax error, unexpected end-of-input, expecting \`end'`);
    expectRecord(record, {
      language: 'ruby',
      exceptionType: 'SyntaxError',
      message: record.message,
      innermost: { file, line: 4 },
      frames,
    });
    expect(record.frames.at(-1)?.inApp).toBe(true);
  });

  it("is delivered by the default filter pattern: Ruby's line for a script names no type", () => {
    const line = fixture('ruby/ruby31-syntax-error-in-main-script.txt').trim();
    expect(DEFAULT_FILTER_TERMS.filter((term) => line.includes(term))).toEqual(['syntax error']);
  });
});

describe('structured loggers: the error field is the message', () => {
  it('zap JSON (written from zap’s documented production encoder output)', () => {
    const zap = fixture('go/documented-zap-production-error.json').trim();
    const [found] = detectErrors(makeEvents([zap]));
    expect(found?.record).toMatchObject({ language: 'go', message: 'card declined: insufficient funds' });
    expect(found?.record.frames.at(-1)).toMatchObject({ function: 'main.charge', line: 42 });
  });

  it("pino's errWithCause (10.4, captured): each cause written beside the stack is a cause", () => {
    const line = fixture('javascript/node20-pino-10.4-err-with-cause-nested.txt').trim();
    const [found, ...rest] = detectErrors(makeEvents([line]));
    expect(rest).toHaveLength(0);
    const record = found?.record as ErrorRecord;
    expect(record).toMatchObject({
      language: 'javascript',
      exceptionType: 'Error',
      message: 'checkout failed',
    });
    expect(record.frames.at(-1)).toMatchObject({ function: 'checkout', line: 17 });
    const [cause] = record.causes;
    expect(cause).toMatchObject({ exceptionType: 'Error', message: 'order ord-1042 could not be priced' });
    expect(cause?.frames.at(-1)).toMatchObject({ function: 'orderTotal', line: 10 });
    const root = cause?.causes[0] ?? record.causes[1];
    expect(root).toMatchObject({ exceptionType: 'TypeError' });
    expect(root?.frames.at(-1)).toMatchObject({ function: 'lineTotal', line: 4 });
    // the root cause names the bug: the fingerprint reads it
    expect(fingerprintError(record)).not.toBe(fingerprintError({ ...record, causes: [] }));
  });

  // Node 20, winston 3.19 with format.errors({ stack: true }): `simple` (plain and colorized)
  // writes the level, the message, then the rest of the entry as JSON, the stack in it; `logstash`
  // nests level and stack in `@fields`. log4js 6.9 with a JSON layout of the application's own
  // (`data`: the arguments, the error as {message, stack}). All three were silent before.
  it.each([
    ['javascript/node20-winston-3.19-simple-error.txt', '/srv/app/winston-json.js'],
    ['javascript/node20-winston-3.19-colorize-simple-error.txt', '/srv/app/winston-more.js'],
    ['javascript/node20-winston-3.19-logstash-error.txt', '/srv/app/winston-json.js'],
    ['javascript/node20-log4js-6.9-custom-json-layout-error.txt', '/srv/app/log4js-app.js'],
  ])('%s: the stack in the entry is the error', (path, caller) => {
    const record = detectBothShapes(fixture(path));
    expectRecord(record, {
      language: 'javascript',
      exceptionType: 'TypeError',
      message: "Cannot read properties of undefined (reading 'reduce')",
      innermost: { file: '/srv/app/lib/orders.js', line: 3, function: 'total' },
      frames: 8,
    });
    expect(record.frames.filter((f) => f.inApp)[0]?.file).toBe(caller);
    expect(record.raw).not.toContain('\u001b');
  });

  it("leaves winston's warn with a stack alone, as a JSON line at warn is, and a trailing object with no trace", () => {
    expect(
      detectErrors(makeEvents([fixture('javascript/node20-winston-3.19-colorize-simple-warn.output')])),
    ).toEqual([]);
    const record = (line: string) => detectErrors(makeEvents([line])).map((d) => d.record.frames.length);
    // no trace in the object: read as the line it is, as before
    expect(record('error: failed to price order 7 {"orderId":7}')).toEqual(
      record('error: failed to price order 7'),
    );
  });

  // Node 20, winston 3.19's json format without format.errors(): `log.error(err)` writes
  // `{"level":"error","service":"orders"}` (an Error's properties are not enumerable), and
  // `log.error('checkout failed', err)` the message and the stack. The empty record cannot be
  // placed; the email says why and what to change, and no model is asked.
  it("explains winston's error logged with nothing in it, and reads the one logged with its stack", () => {
    const [empty, withStack, messageOnly, ...rest] = detectErrors(
      makeEvents(fixture('javascript/node20-winston-3.19-json-without-format-errors.output').split('\n')),
    ).map((d) => d.record);
    expect(rest).toEqual([]);
    expect(empty).toMatchObject({ exceptionType: 'ERROR', message: '', frames: [] });
    expect(explainUnplacedTrace({ error: empty as ErrorRecord, mappings: [], scope: 'trace' })).toMatch(
      /^no fix was attempted: the line was logged .* format\.errors\(\{ stack: true \}\) .*no model call was made\)$/,
    );
    expectRecord(withStack as ErrorRecord, {
      language: 'javascript',
      exceptionType: 'TypeError',
      message: "Cannot read properties of undefined (reading 'reduce')",
      innermost: { file: '/srv/app/checkout.js', line: 11, function: 'total' },
      frames: 8,
    });
    // a type the log named is looked up as the tables' own keys only
    expect(
      explainUnplacedTrace({
        error: { language: 'unknown', exceptionType: 'constructor', message: 'x', frames: [] },
        mappings: [],
        scope: 'trace',
      }),
    ).toContain('the constructor was logged without a stack trace');
    // a message without its error is placed by its words (log-site search), not explained away
    expect(messageOnly).toMatchObject({ message: 'checkout failed', frames: [] });
    expect(
      explainUnplacedTrace({ error: messageOnly as ErrorRecord, mappings: [], scope: 'trace' }),
    ).toContain('logged without a stack trace');
  });

  // Node 20 and 24 at `--max-old-space-size=24` with a list that grows on a timer: V8's report (the
  // last GCs, `FATAL ERROR: Reached heap limit …`, the native stack) holds no JavaScript frame.
  it.each(['javascript/node20-heap-out-of-memory.output', 'javascript/node24-heap-out-of-memory.output'])(
    '%s: one record whose email says what a heap limit means, with no model call',
    (path) => {
      const { oneEvent, perLine } = deliveries(fixture(path));
      for (const messages of [oneEvent, perLine]) {
        const records = detectErrors(makeEvents(messages)).map((d) => d.record);
        expect(records).toHaveLength(1);
        expect(records[0]).toMatchObject({
          exceptionType: 'FATAL',
          message: 'Reached heap limit Allocation failed - JavaScript heap out of memory',
          frames: [],
        });
        expect(
          explainUnplacedTrace({ error: records[0] as ErrorRecord, mappings: [], scope: 'trace' }),
        ).toMatch(
          /^no fix was attempted: the Node\.js process reached its heap limit .*--max-old-space-size.* \(no model call was made\)$/,
        );
      }
    },
  );

  // Python 3.11, Rich 13.3 (Debian's), no terminal: `RichHandler(rich_tracebacks=True)` and
  // `rich.traceback.install()` draw a traceback in a box 80 columns wide (or $COLUMNS): a frame's
  // `path:line in function` folded mid-word when longer than the box, or word-wrapped at ` in `;
  // code around it; the exception line after the box, word-wrapped. Before: a record of the
  // box's top as a JavaScript or unknown `KeyError` with no frame, and another of the last line.
  it.each<[string, Expected & { causes?: string[] }]>([
    [
      'python/py311-rich-13.3-handler-logger-exception.txt',
      {
        language: 'python',
        exceptionType: 'KeyError',
        message: "'qty'",
        innermost: { file: '/srv/app/richapp/app.py', line: 10, function: '<genexpr>' },
        frames: 3,
      },
    ],
    [
      'python/py311-rich-13.3-handler-chained-wrapped-paths.txt',
      {
        language: 'python',
        exceptionType: 'PricingError',
        message: 'order ord-1042 could not be priced',
        innermost: { file: '/srv/app/richapp/app2.py', line: 19, function: 'checkout' },
        frames: 2,
        causes: ['KeyError'],
      },
    ],
    [
      // structlog's default ConsoleRenderer draws its exceptions with Rich when Rich is installed,
      // in colour even into a file: the title is broken up by escape sequences
      'python/py311-structlog-22.3-console-renderer-rich-colour.txt',
      {
        language: 'python',
        exceptionType: 'KeyError',
        message: "'qty'",
        innermost: { file: '/srv/app/sl/app.py', line: 7, function: '<genexpr>' },
        frames: 3,
      },
    ],
    [
      'python/py311-rich-13.3-traceback-install-uncaught.txt',
      {
        language: 'python',
        exceptionType: 'ValueError',
        message: "invalid literal for int() with base 10: 'three'",
        innermost: { file: '/srv/app/richapp/app4.py', line: 7, function: 'parse_quantity' },
        frames: 3,
      },
    ],
  ])("%s: Rich's boxed traceback is the Python traceback it draws", (path, expected) => {
    const record = detectBothShapes(fixture(path));
    expectRecord(record, expected);
    expect(record.causes.map((c) => c.exceptionType)).toEqual(expected.causes ?? []);
    // a path longer than the box, folded over three lines, is one file again
    if (expected.causes)
      expect(record.causes[0]?.frames.at(-1)).toMatchObject({
        file: '/srv/app/richapp/very_long_package_name_for_testing/services/checkout_pipeline/order_totals.py',
        line: 2,
        function: '<genexpr>',
      });
  });

  it.each([
    'python/py311-rich-13.3-handler-wrapped-message-then-next-record.output',
    'python/py311-rich-13.3-handler-show-locals.output',
    'python/py311-rich-13.3-handler-columns-120.output',
  ])(
    "%s: Rich's word-wrapped headers and message are read whole; the next record is not part of them",
    (path) => {
      const { perLine } = deliveries(fixture(path));
      // one event per record: the error's (its message wrapped over three lines, then the box), the next one's
      const next = perLine.findIndex((line) => line.includes('INFO     next feed scheduled'));
      const perRecord = [perLine.slice(0, next).join('\n'), ...perLine.slice(next)];
      for (const messages of [perRecord, perLine]) {
        const records = detectErrors(makeEvents(messages)).map((d) => d.record);
        expect(records).toHaveLength(1);
        expectRecord(records[0] as ErrorRecord, {
          language: 'python',
          exceptionType: 'JSONDecodeError',
          message: 'Expecting value: line 1 column 18 (char 17)',
          innermost: { file: '/usr/lib/python3.11/json/decoder.py', line: 355, function: 'raw_decode' },
          frames: 5,
        });
        // `/usr/lib/python3.11/json/__init__.py:346 in` | `loads`: wrapped at the space
        expect(records[0]?.frames[2]).toMatchObject({
          file: '/usr/lib/python3.11/json/__init__.py',
          function: 'loads',
        });
      }
    },
  );

  // `Console(stderr=True).print_exception()` in a loop that logs JSON after each order (Rich 13.3,
  // CPython 3.11.2, run from /srv/shop). Rich's box sits at the margin, where its word-wrapped
  // exception line cannot be told from the program's next line by indentation: before, both JSON
  // lines were read as more of the ValueError's message, and the error the program logged was lost.
  // A line Rich wrapped ends where the next one's first word no longer fits.
  it("ends a boxed traceback's exception line where the program's next line begins", () => {
    const { oneEvent, perLine } = deliveries(
      fixture('python/py311-rich-13.3-console-print-exception-then-json-logging.output'),
    );
    for (const messages of [perLine, oneEvent]) {
      const records = detectErrors(makeEvents(messages)).map((d) => d.record);
      expect(records.map((r) => [r.exceptionType, r.message, r.frames.length])).toEqual([
        ['ValueError', "invalid literal for int() with base 10: 'three'", 3],
        ['ERROR', 'order 7 failed', 0],
      ]);
    }
  });

  // RichHandler without tracebacks: `[03:53:50] ERROR    msg … app5.py:8`, the next record in the
  // same second with its time column blank. Before: the caller column was part of the message,
  // and the second error was held as a detail line of the first (a burst of errors lost all but one).
  it("reads each of Rich's log lines as its own record, without the caller column", () => {
    const lines = fixture('python/py311-rich-13.3-handler-errors-same-second.output').trimEnd().split('\n');
    const records = detectErrors(makeEvents(lines)).map((d) => d.record);
    expect(records.map((r) => [r.exceptionType, r.message])).toEqual([
      ['ERROR', 'order ord-1042 left unpriced'],
      ['ERROR', 'order ord-2077 left unpriced'],
    ]);
    expect(fingerprintError(records[0] as ErrorRecord)).toBe(fingerprintError(records[1] as ErrorRecord));
  });

  // RichHandler's default (no rich tracebacks): `logger.exception` prints Python's own traceback in
  // the message column, every line padded to 80 columns. Before: the message kept the padding.
  it("reads a traceback Rich's handler prints as text, twice in one second, each without its padding", () => {
    const lines = fixture('python/py311-rich-13.3-handler-default-logger-exception.output')
      .trimEnd()
      .split('\n');
    const records = detectErrors(makeEvents(lines)).map((d) => d.record);
    expect(records.map((r) => [r.exceptionType, r.message, r.frames.length])).toEqual([
      ['KeyError', "'qty'", 3],
      ['KeyError', "'qty'", 3],
    ]);
    expect(fingerprintError(records[0] as ErrorRecord)).toBe(fingerprintError(records[1] as ErrorRecord));
  });

  it("leaves a box that is not one of Rich's tracebacks as it was", () => {
    const text = fixture('python/py311-rich-13.3-handler-logger-exception.txt');
    // a frame line that is no `path:line in function`
    const broken = text.replace('/srv/app/richapp/app.py:15 in checkout', 'order ord-1042 has no quantity  ');
    expect(broken).not.toBe(text);
    const { perLine } = deliveries(broken);
    expect(detectErrors(makeEvents(perLine)).every((d) => d.record.frames.length === 0)).toBe(true);
    // a box that never closes
    const open = text
      .split('\n')
      .filter((line) => !line.includes('╰'))
      .join('\n');
    expect(
      detectErrors(makeEvents(deliveries(open).perLine)).every(
        (d) => d.record.language !== 'python' || d.record.frames.length === 0,
      ),
    ).toBe(true);
  });

  // Python 3.11 logging in OpenTelemetry's instrumentation format (its DEFAULT_LOGGING_FORMAT, the
  // attributes its record factory adds inside a sampled span): the caller's bracket and the trace
  // context's were read as the message, so every request's ids made an incident of its own.
  it("reads the message after OpenTelemetry's caller and trace context brackets: one fingerprint for every request", () => {
    const lines = fixture('python/py311-logging-otel-instrumentation-format.output').trimEnd().split('\n');
    const records = detectErrors(makeEvents(lines)).map((d) => d.record);
    expect(records.map((r) => [r.exceptionType, r.message, r.frames.length])).toEqual([
      ['KeyError', "'qty'", 3],
      ['ERROR', 'order ord-1042 left unpriced', 0],
    ]);
    const unpriced = lines.at(-1) as string;
    // another request (another span, not sampled), and a line logged outside any span
    const others = [
      unpriced
        .replace('0af7651916cd43dd8448eb211c80319c', '5bf7651916cd43dd8448eb211c80319d')
        .replace('b7ad6b7169203331', 'a1ad6b7169203339')
        .replace('trace_sampled=True', 'trace_sampled=False')
        .replace('ord-1042', 'ord-2077'),
      unpriced.replace(
        /trace_id=\S+ span_id=\S+ resource\.service\.name=\S* trace_sampled=\S+\]/,
        'trace_id=0 span_id=0 resource.service.name= trace_sampled=False]',
      ),
    ];
    expect(others.every((line) => line !== unpriced)).toBe(true);
    const prints = detectErrors(makeEvents([unpriced, ...others])).map((d) => fingerprintError(d.record));
    expect(new Set(prints).size).toBe(1);
  });

  // PHP 8.2, Symfony 5.4's HttpKernel (Debian's): an Error the kernel does not catch, handed to
  // terminateWithException as its ErrorHandler does; the ErrorListener logs `Uncaught PHP Exception
  // Error: "…" at … line 13` through Monolog 2.9's LineFormatter to stderr (without and with
  // includeStacktraces) or through HttpKernel's own Logger. Before: a frameless FATAL record of
  // the sentence in the first and last, with no file for the repair to look at.
  it.each([
    ['php/php82-symfony-5.4-error-listener-monolog-2.9-line.txt', 1],
    ['php/php82-symfony-5.4-error-listener-monolog-2.9-line-stacktraces.txt', 4],
    ['php/php82-symfony-5.4-error-listener-kernel-logger.txt', 1],
  ])('%s: the uncaught exception Symfony logged, at the line that threw', (path, frames) => {
    // whole as delivered, one event per line: no read of the stream after it
    const found = detectErrors(makeEvents(deliveries(fixture(path)).perLine));
    expect(found.map((d) => d.needsContext)).toEqual([false]);
    expectRecord(detectBothShapes(fixture(path)), {
      language: 'php',
      exceptionType: 'Error',
      message: 'Call to a member function getTotal() on null',
      innermost: { file: '/srv/app/sf/src/Controller/CheckoutController.php', line: 13 },
      frames,
    });
  });

  it("needs no read after PHP's own print that ends the delivery: `thrown in … on line N` ends it", () => {
    const lines = deliveries(fixture('php/php82-error-log-uncaught.txt')).perLine;
    expect(detectErrors(makeEvents(lines)).map((d) => d.needsContext)).toEqual([false]);
    // cut before its end, it still does
    expect(detectErrors(makeEvents(lines.slice(0, -1))).map((d) => d.needsContext)).toEqual([true]);
  });

  // Deno 2.9 (its npm package's binary), NO_COLOR=1: an uncaught rejection prints the line that
  // threw and a caret between the header and the frames; `Deno.serve` logs a handler's error with
  // its own `ext:deno_http/…` frames. Before: the code and caret were the message's second and
  // third lines, and Deno's frames were the app's (one bug, a fingerprint per handler shape).
  it("reads Deno's uncaught error without its code excerpt, and Deno's own frames as the runtime's", () => {
    expectRecord(detectBothShapes(fixture('javascript/deno-2.9-uncaught-in-promise-excerpt.txt')), {
      language: 'javascript',
      exceptionType: 'TypeError',
      message: "Cannot read properties of undefined (reading 'reduce')",
      innermost: { file: '/srv/denoapp/orders.ts', line: 6, function: 'total' },
      frames: 3,
    });
    const served = detectErrors(
      makeEvents(fixture('javascript/deno-2.9-serve-handler-errors.output').trimEnd().split('\n')),
    ).map((d) => d.record);
    expect(served).toHaveLength(2);
    for (const record of served) {
      expect(record.frames.filter((f) => f.inApp).map((f) => f.file)).toEqual([
        '/srv/denoapp/main.ts',
        '/srv/denoapp/orders.ts',
      ]);
    }
    // the handler that awaited first and the one that did not: one bug
    expect(fingerprintError(served[0] as ErrorRecord)).toBe(fingerprintError(served[1] as ErrorRecord));
  });

  // Node 20, consola 3.4 (the logger of Nuxt, Nitro and the other unjs tools): `consola.error(err)`
  // and `consola.error('checkout failed', err)` print the error's message and its frames (paths
  // relative to the working directory) without its name, after ` ERROR  ` (the fancy reporter, its
  // default outside CI, no colours without a terminal) or `[error] ` (the basic one, in CI).
  // Before: silent.
  it.each([
    'javascript/node20-consola-3.4-fancy-reporter-error.output',
    'javascript/node20-consola-3.4-basic-reporter-error.output',
  ])('%s: an error with its frames, named Error (consola prints no name)', (path) => {
    const lines = fixture(path).trimEnd().split('\n');
    // one event per line (a container's stream), and the whole output in one event
    for (const events of [makeEvents(lines), makeEvents([lines.join('\n')])]) {
      const records = detectErrors(events).map((d) => d.record);
      expect(records.map((r) => [r.language, r.exceptionType, r.message])).toEqual([
        ['javascript', 'Error', "Cannot read properties of undefined (reading 'reduce')"],
        ['javascript', 'Error', "checkout failed Cannot read properties of undefined (reading 'reduce')"],
      ]);
      for (const record of records)
        expect(record.frames.at(-1)).toMatchObject({
          file: 'total.mjs',
          line: 2,
          function: 'total',
          inApp: true,
        });
    }
  });

  it("takes frames with no header for JavaScript's only when they are V8's (a file's line and column)", () => {
    // Java frames after an error line with no exception line: not a JavaScript error
    const java = detectErrors(
      makeEvents([
        '2026-12-07 03:00:00.123 ERROR [main] c.e.App - checkout failed',
        '\tat com.example.App.main(App.java:12)',
      ]),
    ).map((d) => d.record);
    expect(java.map((r) => [r.language, r.frames.length])).toEqual([['unknown', 0]]);
    // and a line at another level is never such an error's header
    const info = detectErrors(
      makeEvents(['2026-12-07T03:00:00.123Z INFO payment retried', '    at charge (/app/src/pay.js:3:9)']),
    );
    expect(info).toEqual([]);
  });

  // Java 17, Log4j 2.19 and Jackson 2.14 (Debian's), `<JsonLayout compact="true" eventEol="true"/>`:
  // `LOG.error("Failed to price order 4411", new RuntimeException("checkout failed", e))` with the
  // IllegalStateException thrown in OrderService as the cause. `thrown` holds the error as an
  // object (its frames in `extendedStackTrace`, its `cause`), or with `stacktraceAsString="true"`
  // the printed trace. Before: a frameless `ERROR Failed to price order 4411`.
  it.each([
    'java/java17-log4j2-2.19-json-layout-thrown.txt',
    'java/java17-log4j2-2.19-json-layout-stacktrace-as-string.txt',
  ])("Log4j2's JsonLayout (%s): `thrown` is the error, its cause's frames the bug's", (path) => {
    const record = detectBothShapes(fixture(path));
    expect(record).toMatchObject({
      language: 'java',
      exceptionType: 'java.lang.RuntimeException',
      message: 'checkout failed',
    });
    expect(record.frames.at(-1)).toMatchObject({ file: 'Main.java', line: 14, function: 'main' });
    const [cause] = record.causes;
    expect(cause).toMatchObject({
      exceptionType: 'java.lang.IllegalStateException',
      message: 'order 4411 has no lines',
    });
    expect(cause?.frames.at(-1)).toMatchObject({ file: 'OrderService.java', line: 8, function: 'total' });
  });

  it("reads JsonLayout's `thrown` as data: a message cannot add a frame, and the causes are bounded", () => {
    const fake = '\n\tat com.evil.Fake.run(Fake.java:1)';
    let thrown: Record<string, unknown> = {
      name: 'java.lang.IllegalStateException',
      message: `order has no lines${fake}`,
      extendedStackTrace: [
        { class: 'com.example.orders.OrderService', method: 'total', file: 'OrderService.java', line: 8 },
      ],
    };
    for (let i = 0; i < 20; i++) thrown = { ...thrown, cause: thrown };
    const line = JSON.stringify({ level: 'ERROR', loggerName: 'c.e.Main', message: 'failed', thrown });
    const [found] = detectErrors(makeEvents([line]));
    const frames = (r?: ErrorRecord): string[] => [
      ...(r?.frames ?? []).map((f) => f.file),
      ...(r?.causes ?? []).flatMap((c) => frames(c)),
    ];
    expect(frames(found?.record)).not.toContain('Fake.java');
    expect(frames(found?.record).length).toBeLessThanOrEqual(8);
  });

  // Go 1.19, zerolog 1.26.1 and pkg/errors 0.9.1 (Debian's), `zerolog.ErrorStackMarshaler =
  // pkgerrors.MarshalStack`, `log.Error().Stack().Err(err).Msg("failed to price order")` of an
  // error wrapped where it was made: JSON (`stack` as {func, line, source} objects) and through the
  // ConsoleWriter (`12:38AM ERR …`, Go's kitchen time). Before: no frames; the console line silent.
  it("zerolog's stack objects are the error's frames, and its console line is an error", () => {
    const [json] = detectErrors(makeEvents([fixture('go/go119-zerolog-1.26-pkgerrors-stack.output').trim()]));
    expect(json?.record).toMatchObject({ language: 'go', message: 'pricing order 4411: order has no lines' });
    expect(json?.record.frames).toEqual([
      { file: 'main.go', line: 17, function: 'main', inApp: true },
      { file: 'price.go', line: 9, function: 'Total', inApp: true },
    ]);
    const console = detectErrors(makeEvents([fixture('go/go119-zerolog-1.26-console-writer.output').trim()]));
    expect(console.map((d) => [d.record.exceptionType, d.record.message])).toEqual([
      ['ERROR', 'pricing order 4411: order has no lines'],
    ]);
  });

  // An error logged with no trace by a logger that names its caller: logrus 1.9 with
  // SetReportCaller (`file`, `func`), zap 1.23's production config with its stack traces kept for
  // panics (`caller`), Log4j 2.19's JsonLayout with locationInfo (`source`), loguru 0.6 with
  // serialize=True (`record.file.path`, `record.line`; its `record.message` was not read: an empty
  // message), structlog 22.3 with CallsiteParameterAdder (`pathname`, `lineno`, `func_name`),
  // python-json-logger 2.0 with `%(pathname)s %(lineno)d %(funcName)s` in its format.
  // Before: no frame (the log-site search was the only way to the code).
  it.each([
    [
      'go/go119-logrus-1.9-json-report-caller-error.txt',
      'go',
      'sql: no rows in result set',
      '/srv/lshop/orders/price.go',
      17,
      'example.com/lshop/orders.Price',
    ],
    [
      'python/py311-loguru-0.6-serialize-error-without-exception.txt',
      'python',
      "failed to price order 7: missing 'lines'",
      '/srv/pyshop/callers.py',
      36,
      'price_order',
    ],
    [
      'python/py311-python-json-logger-2.0-pathname-lineno-error.txt',
      'python',
      "failed to price order 7: missing 'lines'",
      '/srv/pyshop/pjl.py',
      17,
      'price_order',
    ],
    [
      'python/py311-structlog-22.3-callsite-parameters-error.txt',
      'python',
      "failed to price order 7: missing 'lines'",
      '/srv/pyshop/callers.py',
      36,
      'price_order',
    ],
  ])('%s: the statement the logger names is the frame', (path, language, message, file, line, fn) => {
    const record = detectBothShapes(fixture(path));
    expect(record).toMatchObject({ language, exceptionType: 'ERROR', message });
    expect(record.frames).toEqual([{ file, line, function: fn, inApp: true }]);
  });

  it("zap's short caller and Log4j2's source (its class for the file's package) are frames too", () => {
    const zap = detectBothShapes(fixture('go/go119-zap-1.23-production-caller-without-stacktrace.txt'));
    expect(zap).toMatchObject({ language: 'go', message: 'sql: no rows in result set' });
    expect(zap.frames).toEqual([{ file: 'orders/price.go', line: 17, inApp: true }]);
    const log4j = detectBothShapes(fixture('java/java17-log4j2-2.19-json-layout-location-info-error.txt'));
    expect(log4j).toMatchObject({ language: 'java', message: 'Failed to price order 4411: no lines' });
    expect(log4j.frames).toEqual([
      {
        file: 'Frameless.java',
        line: 11,
        function: 'main',
        module: 'com.example.orders.Frameless',
        inApp: true,
      },
    ]);
  });

  it('takes a caller field only in its logger’s shape', () => {
    const frames = (line: string) => detectErrors(makeEvents([line])).map((d) => d.record.frames);
    expect(
      [
        '{"level":"error","msg":"export failed","file":"report.csv"}',
        '{"level":"error","msg":"export failed","file":"report.csv:12","func":"main.export"}',
        '{"level":"error","msg":"export failed","caller":"the scheduler"}',
        '{"level":"error","msg":"export failed","pathname":"/srv/app/export.py","lineno":"12"}',
      ].flatMap(frames),
    ).toEqual([[], [], [], []]);
  });

  it("log/slog's default handler: an error-level line after log's date", () => {
    // Go 1.24, `slog.Error("charge failed", "order", "o-17", "err", err)` with no handler set: slog
    // writes through log, `2026/12/07 07:43:38 ERROR charge failed … err="…"`. Before: no record
    // (log's date hid the level; the default filter delivers it by its ERROR).
    const line = fixture('go/go124-slog-default-handler-error.output').trim();
    expect(passesDefaultFilter(line)).toBe(true);
    const record = detectBothShapes(line);
    expect(record).toMatchObject({ exceptionType: 'ERROR', message: 'card declined: insufficient funds' });
  });

  it("log/slog's source (JSON and text, AddSource) and logrus' text caller are the frame", () => {
    // Go 1.24: slog's JSONHandler (`"source":{"function","file","line"}`) and TextHandler
    // (`source=/…/main.go:20`), logrus 1.9's TextFormatter with SetReportCaller (`func=…
    // file="…:12"`). Before: frameless `unknown ERROR` records, one fingerprint for every
    // statement that logged the same error text, in any service.
    const slog = fixture('go/go124-slog-json-and-text-error.output').trim().split('\n');
    const app = '/tmp/cap-pygo/go/app/cmd/slogjson/main.go';
    for (const shape of [[slog.join('\n')], slog]) {
      expect(detectErrors(makeEvents(shape)).map((d) => [d.record.language, d.record.frames])).toEqual([
        ['go', [{ file: app, line: 16, function: 'main.main', inApp: true }]],
        ['go', [{ file: app, line: 20, inApp: true }]],
      ]);
    }
    const logrus = detectBothShapes(fixture('go/go124-logrus-1.9-text-report-caller-error.logfmt'));
    expect(logrus).toMatchObject({
      language: 'go',
      exceptionType: 'ERROR',
      message: 'sql: no rows in result set',
    });
    expect(logrus.frames).toEqual([
      {
        file: '/tmp/cap-pygo/gopath/src/example.com/lshop/orders/price.go',
        line: 12,
        function: 'example.com/lshop/orders.Price',
        inApp: true,
      },
    ]);
    // a `file` or `source` field that names no Go file and line is no caller
    const frames = (line: string) => detectErrors(makeEvents([line])).map((d) => d.record.frames);
    expect(
      [
        'level=error msg="export failed" file=report.csv',
        'level=error msg="export failed" source=scheduler:12',
        'level=error msg="export failed" file="main.go:0"',
        '{"level":"ERROR","msg":"export failed","source":{"function":"export","file":"report.csv","line":3}}',
      ].flatMap(frames),
    ).toEqual([[], [], [], []]);
  });

  it("pino-pretty's error entry is one record: the level line, the fields, the stack", () => {
    // Node 20, pino 10.4 through pino-pretty 13 (colorize off): `[time] ERROR (pid): msg`, the
    // entry's fields indented four spaces, `err` as an object whose `"stack":` is printed below it.
    // Before: two records (a frameless `(pid): failed to price order` and the TypeError): two
    // incidents for one error.
    const record = detectBothShapes(fixture('javascript/node20-pino-pretty-13-error-with-err.txt'));
    expectRecord(record, {
      language: 'javascript',
      exceptionType: 'TypeError',
      message: "Cannot read properties of undefined (reading 'reduce')",
      innermost: { file: '/srv/fapp/lib/orders.js', line: 2, function: 'total' },
    });
    expect(record.raw.split('\n')[0]).toContain('failed to price order');
  });

  it('holds an error line across a bounded number of indented fields only', () => {
    const trace = ['TypeError: boom', '    at total (/srv/app/lib/orders.js:2:22)'];
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `    field${i}: ${i}`);
    const types = (lines: string[]) => detectErrors(makeEvents(lines)).map((d) => d.record.exceptionType);
    expect(types(['ERROR checkout failed', ...fields(16), ...trace])).toEqual(['TypeError']);
    expect(types(['ERROR checkout failed', ...fields(17), ...trace])).toEqual(['ERROR', 'TypeError']);
    // no trace after them: the error line is the record, as before
    expect(types(['ERROR checkout failed', ...fields(3), 'INFO next request'])).toEqual(['ERROR']);
  });

  it('logrus text (written from logrus’ documented TextFormatter output)', () => {
    const line = fixture('go/documented-logrus-text-error.logfmt').trim();
    const [found] = detectErrors(makeEvents([line]));
    expect(found?.record).toMatchObject({ message: 'card declined: insufficient funds' });
    // its level is its only term of the default filter
    expect(DEFAULT_FILTER_TERMS.filter((term) => line.includes(term))).toEqual(['level=error']);
  });
});

describe('held-out captures (expectations written from the captures by hand, before any tuning)', () => {
  // type, message, innermost in-app frame (file suffix, line)
  it.each<[string, string, string, string, number]>([
    ['python/py311-logging-exception-raise-from.txt', 'RuntimeError', 'config unreadable', '/a.py', 7],
    ['python/py311-zero-division-in-method.txt', 'ZeroDivisionError', 'division by zero', '/b.py', 3],
    ['javascript/node20-unhandled-rejection-excerpt.txt', 'RangeError', 'user 42 out of range', '/c.js', 1],
    [
      'javascript/node20-console-error-syntaxerror.txt',
      'SyntaxError',
      'Unexpected token \'o\', "nope" is not valid JSON',
      '/d.js',
      1,
    ],
    [
      'java/openjdk17-caused-by-numberformat.txt',
      'java.lang.IllegalStateException',
      'bad config',
      'E.java',
      3,
    ],
    [
      'go/go119-index-out-of-range-inlined.txt',
      'panic',
      'runtime error: index out of range [5] with length 2',
      '/f.go',
      3,
    ],
    [
      'ruby/ruby31-nomethod-nil-error-highlight.txt',
      'NoMethodError',
      "undefined method `[]' for nil:NilClass",
      'g.rb',
      2,
    ],
    [
      'ruby/ruby31-logger-argumenterror-no-progname.txt',
      'ArgumentError',
      'invalid value for Integer(): "12a"',
      'j.rb',
      4,
    ],
    ['php/php82-error-log-division-by-zero.txt', 'DivisionByZeroError', 'Division by zero', '/h.php', 2],
    [
      'php/php82-display-errors-typeerror.txt',
      'TypeError',
      'f(): Argument #1 ($s) must be of type string, array given, called in /tmp/held/i.php on line 3',
      '/i.php',
      // was 3 (the call, #0) until the header's location became the innermost frame: f() is defined on 2
      2,
    ],
    ['rust/rust195-expect-none-backtrace-1.txt', 'panic', 'config value missing', 'src/main.rs', 3],
  ])('%s', (path, exceptionType, message, file, line) => {
    const record = detectBothShapes(fixture(path));
    expect([record.exceptionType, record.message]).toEqual([exceptionType, message]);
    const inner = record.frames.filter((f) => f.inApp).at(-1);
    expect(inner?.file.endsWith(file)).toBe(true);
    expect(inner?.line).toBe(line);
  });
});
