// Python 3.13 and Go 1.24, the runtimes Lambda and users run now, re-captured for the scenarios
// the py311-/go119- fixtures hold (and the shapes only the newer runtimes print): each must read
// as the one record it is, alike in both delivery shapes, its innermost in-app frame the
// program's own line. Python 3.14 and Go 1.27, the newest (Debian sid), for what they print anew.
import { describe, expect, it } from 'vitest';
import type { ErrorRecord } from '../../../functions/core/contracts.ts';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import { deliveries, makeEvents, traceText } from '../../support/log-events.ts';

interface Expected {
  path: string;
  type: string;
  message: string;
  /** the innermost in-app frame, as `<file's path from the capture's app directory>:<line>` */
  at: string;
  /** type and message of each cause, nearest first */
  causes?: [string, string][];
}

/** The one record of a fixture, read alike in both shapes: one event, or one event per line. */
function readBothShapes(path: string): ErrorRecord {
  const { oneEvent, perLine } = deliveries(traceText(path));
  const one = detectErrors(makeEvents(oneEvent)).map((d) => d.record);
  const lines = detectErrors(makeEvents(perLine)).map((d) => d.record);
  expect(one).toHaveLength(1);
  expect(lines).toHaveLength(1);
  const [a, b] = [one[0] as ErrorRecord, lines[0] as ErrorRecord];
  expect([b.exceptionType, b.message, b.frames]).toEqual([a.exceptionType, a.message, a.frames]);
  expect(b.causes.map((c) => [c.exceptionType, c.message])).toEqual(
    a.causes.map((c) => [c.exceptionType, c.message]),
  );
  expect(fingerprintError(b)).toBe(fingerprintError(a));
  return a;
}

function expectRead(record: ErrorRecord, { type, message, at, causes }: Expected): void {
  const inApp = record.frames.filter((f) => f.inApp).at(-1);
  expect({
    type: record.exceptionType,
    message: record.message,
    at: inApp && `${inApp.file.replace(/^\/tmp\/cap-pygo2?\/(?:py|go)\/[^/]+\//, '')}:${inApp.line}`,
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
    // add_note's notes print after the exception line, at column 0: not read (see the report)
    path: 'python/py313-add-note.txt',
    type: 'KeyError',
    message: "'total'",
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
    // 3.14's json adds notes naming the item (`when serializing dict item 'created'`): not read,
    // as add_note's are not
    path: 'python/py314-json-dumps-exception-notes.txt',
    type: 'TypeError',
    message: 'Object of type datetime is not JSON serializable',
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
