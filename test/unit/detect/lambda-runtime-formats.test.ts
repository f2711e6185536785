// The Lambda runtimes' own error output, in both of Lambda's log formats (Text and JSON). Each
// `*.events.jsonl` fixture holds one CloudWatch Logs event per line (a JSON string): the frames the
// runtime wrote to its telemetry fd, captured by running the runtime clients' own logging code here:
// - Python: awslambdaric 4.0.1 (aws-lambda-python-runtime-interface-client 46e4c6a) under Python
//   3.11.2 — `bootstrap.build_fault_result` + `log_error` for an unhandled error, the root logger
//   `_setup_logging` installs for `logger.exception`, both into `FramedTelemetryLogSink`;
// - Node.js: aws-lambda-nodejs-runtime-interface-client 3.3.0 (da5777a) `LogPatch.js` and
//   `Errors.js` under Node 20.20 — `structuredConsole.logError('Invoke Error', err)` for an
//   unhandled error, `console.error('checkout failed', err)`, and index.mjs's unhandledRejection
//   listener (`logError('Unhandled Promise Rejection', new UnhandledPromiseRejection(reason, …))`
//   for a promise the handler did not await), written to the telemetry fd.
// - Java: aws-lambda-java-runtime-interface-client 2.10.1 (aws-lambda-java-libs c4dcbab) built
//   from source under OpenJDK 17.0.15 — `UserFault.reportableError()` of a real exception through
//   the runtime's Text and JSON log formatters (the invoke loop around them is a stand-in);
// - Go: a `provided.al2023`-style bootstrap built with aws-lambda-go v1.54.0 (Go 1.19; the module
//   served from a local proxy made from the library's git tag), its invoke loop run against a
//   stand-in Runtime API: a nil pointer dereference, a panic of an error value (built with
//   -trimpath) and a returned error, each logged by the library's own `log.Printf` of its report;
// - Ruby: aws-lambda-ruby-runtime-interface-client 3.1.3 (70a2045) installed at /var/runtime/lib,
//   under Ruby 3.1.2, its runtime loop run against a stand-in Runtime API and its framed telemetry
//   fd decoded: an unhandled NoMethodError, a raised application error, and `logger.error(e)` then
//   the unhandled report (with RUBYOPT=--disable-error_highlight: one-line messages, as on 3.2+);
// - Powertools for AWS Lambda: the Python Logger 3.2.1a1 (fa1c29f, default `serialize_stacktrace`)
//   and the TypeScript Logger 2.36.0 (npm), each logging the caught error.
// The handlers are /var/task/lambda_function.py + orders/pricing.py and /var/task/index.js +
// orders.js; the outer Node frames (`/tmp/lr/…`, `Module._compile`) are the capture's.
// The init-phase failures in test/fixtures/traces/lambda/ (a missing package, a handler the module
// does not define, a syntax error, a module that raises while imported) ran each runtime whole, as
// root with the code at /var/task and the runtime at /var/runtime, against a stand-in Runtime API:
// - Python: `python3.11 -m awslambdaric lambda_function.lambda_handler` (awslambdaric 4.0.1, 46e4c6a;
//   its C extension replaced by a pure-Python one that only initialises, as init fails first), a
//   Python 3.11.7 with no site-packages; it logs LAMBDA_WARNING, then the error, reports it to
//   /runtime/init/error and exits 1;
// - Node.js: the runtime client 3.3.0 (da5777a) bundled by its own build.js into
//   /var/runtime/index.mjs with its launcher, under Node 20.20.2 (the native client stubbed, never
//   called); it logs `Uncaught Exception` (request id `undefined`: no invocation yet), reports the
//   error to /runtime/init/error and exits 129. Line numbers inside index.mjs are this bundle's.
// - Java: the runtime client 2.10.1 (c4dcbab) built with javac under OpenJDK 17.0.15, its own
//   AWSLambda.main run from /var/task (its JNI client replaced by a pure-Java one with the same
//   calls, gson and Jackson from Debian) on the flags a java17 Lambda process runs with: a handler
//   class not on the classpath, a class of a dependency the jar lacks (com.fasterxml.jackson),
//   a handler method the class lacks, and a static initialiser that throws.
// - Ruby: the runtime client 3.1.3 (70a2045) at /var/runtime/lib under Ruby 3.1.2, its bootstrap run
//   from /var/task: a gem the package lacks, the handler's own file missing, a syntax error, and a
//   handler method the file does not define.
// The *-access-denied-* fixtures ran one invocation each through the same Python and Node runtimes
// (a stand-in Runtime API serving it): boto3/botocore 1.43.11 and the AWS SDK for JavaScript v3
// (under /var/runtime, as Lambda bundles them) calling a local endpoint that answers as DynamoDB
// (400, AccessDeniedException, IAM's wording) and S3 (403, AccessDenied) answer a denied call.
import { describe, expect, it } from 'vitest';
import type { ErrorRecord } from '../../../functions/core/contracts.ts';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError, fingerprintParts } from '../../../functions/core/detect/fingerprint.ts';
import { isQuietStructuredLine } from '../../../functions/core/detect/structured-log.ts';
import { buildRepairPrompt } from '../../../functions/core/repair/build-repair-prompt.ts';
import { explainAccessDenied } from '../../../functions/core/repair/explain-access-denied.ts';
import { explainHandlerLoadFailure } from '../../../functions/core/repair/explain-handler-load-failure.ts';
import { makeFakeRepo } from '../../support/fake-repo.ts';
import { capturedMessages, makeEvents, passesDefaultFilter } from '../../support/log-events.ts';

const events = capturedMessages;

function onlyRecord(path: string): ErrorRecord {
  const found = detectErrors(makeEvents(events(path), { logGroup: '/aws/lambda/orders' }));
  expect(found).toHaveLength(1);
  return (found[0] as { record: ErrorRecord }).record;
}

const PYTHON_KEY_ERROR = {
  language: 'python',
  exceptionType: 'KeyError',
  message: "'qty'",
};
/** One uncaught error printed four ways: Text and JSON formats, the runtime's report and console.error. */
const NODE_PRINTS = [
  'javascript/node20-lambda-ric-text-invoke-error.events.jsonl',
  'javascript/node20-lambda-ric-json-invoke-error.events.jsonl',
  'javascript/node20-lambda-ric-text-console-error-message-then-error.events.jsonl',
  'javascript/node20-lambda-ric-json-console-error-message-then-error.events.jsonl',
];
const NODE_TYPE_ERROR = {
  language: 'javascript',
  exceptionType: 'TypeError',
  message: "Cannot read properties of undefined (reading 'lines')",
};
const innermostOf = (record: ErrorRecord) => {
  const frame = record.frames.at(-1);
  return { file: frame?.file, line: frame?.line, function: frame?.function };
};

describe('the Lambda Python runtime (awslambdaric) in both log formats', () => {
  it.each([
    ['python/py311-awslambdaric-text-unhandled.events.jsonl', 'lambda_handler', 8],
    ['python/py311-awslambdaric-json-unhandled.events.jsonl', 'lambda_handler', 8],
    ['python/py311-awslambdaric-text-logger-exception.events.jsonl', 'lambda_handler_logged', 13],
    ['python/py311-awslambdaric-json-logger-exception.events.jsonl', 'lambda_handler_logged', 13],
  ])('%s: the error with every frame', (path, handler, line) => {
    const record = onlyRecord(path);
    expect(record).toMatchObject(PYTHON_KEY_ERROR);
    expect(record.frames.map((f) => [f.file, f.line, f.function])).toEqual([
      ['/var/task/lambda_function.py', line, handler],
      ['/var/task/orders/pricing.py', 2, 'order_total'],
      ['/var/task/orders/pricing.py', 2, '<genexpr>'],
    ]);
  });

  it('reads the unhandled report the Text format indents with NO-BREAK SPACEs', () => {
    // awslambdaric writes ERROR_LOG_IDENT (U+00A0) where the traceback had spaces
    expect(events('python/py311-awslambdaric-text-unhandled.events.jsonl')[0]).toContain(
      '\u00a0\u00a0File "/var/task/orders/pricing.py", line 2',
    );
    const record = onlyRecord('python/py311-awslambdaric-text-unhandled.events.jsonl');
    expect(innermostOf(record)).toEqual({
      file: '/var/task/orders/pricing.py',
      line: 2,
      function: '<genexpr>',
    });
    expect(record.raw).not.toContain('\u00a0');
  });

  it('gives one bug one fingerprint whichever log format the function uses', () => {
    const text = onlyRecord('python/py311-awslambdaric-text-unhandled.events.jsonl');
    const json = onlyRecord('python/py311-awslambdaric-json-unhandled.events.jsonl');
    expect(fingerprintError(json)).toBe(fingerprintError(text));
    const logged = onlyRecord('python/py311-awslambdaric-text-logger-exception.events.jsonl');
    const loggedJson = onlyRecord('python/py311-awslambdaric-json-logger-exception.events.jsonl');
    expect(fingerprintError(loggedJson)).toBe(fingerprintError(logged));
  });

  it('gives one bug one fingerprint whether it was logged with its module-qualified class or reported unhandled', () => {
    // A traceback's last line qualifies a class outside builtins; the runtime's report and the
    // JSON format name the class alone. A handler that logs an error and raises it writes both.
    const path = (format: string, how: string) =>
      `python/py311-awslambdaric-${format}-dynamodb-access-denied-${how}.events.jsonl`;
    const logged = onlyRecord(path('text', 'logger-exception'));
    expect(logged.exceptionType).toBe('botocore.exceptions.ClientError');
    const others = [
      onlyRecord(path('json', 'logger-exception')),
      onlyRecord(path('text', 'unhandled')),
      onlyRecord(path('json', 'unhandled')),
    ];
    expect(others.map((record) => record.exceptionType)).toEqual([
      'ClientError',
      'ClientError',
      'ClientError',
    ]);
    for (const record of others) expect(fingerprintError(record)).toBe(fingerprintError(logged));
    // the record keeps the name the log printed: the module is worth reading in an email
    expect(fingerprintParts(logged).exceptionType).toBe('ClientError');
  });
});

describe('the Lambda Node.js runtime in both log formats', () => {
  it.each(NODE_PRINTS)('%s: the error with every frame', (path) => {
    const record = onlyRecord(path);
    expect(record).toMatchObject(NODE_TYPE_ERROR);
    expect(record.frames).toHaveLength(9);
    expect(record.frames.slice(-2).map((f) => [f.file, f.line, f.function])).toEqual([
      ['/var/task/index.js', 4, 'handler'],
      ['/var/task/orders.js', 3, 'total'],
    ]);
  });

  it.each([
    'javascript/node20-lambda-ric-text-unhandled-rejection.events.jsonl',
    'javascript/node20-lambda-ric-json-unhandled-rejection.events.jsonl',
  ])('%s: the rejected error, not the runtime wrapper around it', (path) => {
    // `Runtime.UnhandledPromiseRejection`'s own stack is the runtime's listener; `reason` is the error
    expect(events(path)[0]).toContain('UnhandledPromiseRejection');
    const record = onlyRecord(path);
    expect(record).toMatchObject({
      language: 'javascript',
      exceptionType: 'TypeError',
      message: "Cannot read properties of undefined (reading 'email')",
    });
    expect(record.frames.slice(-2).map((f) => [f.file, f.line, f.function])).toEqual([
      ['/var/task/checkout.js', 4, 'Object.handler'],
      ['/var/task/notify.js', 3, 'sendReceipt'],
    ]);
  });

  it('reads the error object console.error logged alone, nested in `message` (JSON format)', () => {
    const [line] = events('javascript/node20-lambda-ric-json-invoke-error.events.jsonl');
    expect(JSON.parse(line ?? '')).toMatchObject({
      level: 'ERROR',
      message: { errorType: 'TypeError', stackTrace: expect.any(Array) },
    });
    expect(onlyRecord('javascript/node20-lambda-ric-json-invoke-error.events.jsonl').exceptionType).toBe(
      'TypeError',
    );
  });

  it('gives one bug one fingerprint whichever log format the function uses', () => {
    const prints = NODE_PRINTS.map((path) => fingerprintError(onlyRecord(path)));
    expect(new Set(prints).size).toBe(1);
  });
});

it.each([
  'python/py311-awslambdaric-json-info-warning.events.jsonl',
  'javascript/node20-lambda-ric-json-info-warn.events.jsonl',
])('%s: INFO and WARN lines of the JSON format are passed over unread', (path) => {
  const lines = events(path);
  expect(lines.map(isQuietStructuredLine)).toEqual([true, true]);
  expect(detectErrors(makeEvents(lines))).toEqual([]);
});

describe('the Lambda Java runtime in both log formats', () => {
  it.each([
    'java/java17-lambda-ric-2.10-text-unhandled.events.jsonl',
    'java/java17-lambda-ric-2.10-json-unhandled.events.jsonl',
  ])('%s: the exception, its message once, every frame', (path) => {
    // the report restates the exception: `<message>: <type>`, then the printed trace's own header
    expect(events(path)[0]).toContain('order 4411 has no lines: java.lang.IllegalStateException');
    const record = onlyRecord(path);
    expect(record).toMatchObject({
      language: 'java',
      exceptionType: 'java.lang.IllegalStateException',
      message: 'order 4411 has no lines',
    });
    expect(innermostOf(record)).toEqual({ file: 'OrderService.java', line: 15, function: 'total' });
    expect(record.frames).toHaveLength(3);
  });

  it('gives one bug one fingerprint whichever log format the function uses', () => {
    const text = onlyRecord('java/java17-lambda-ric-2.10-text-unhandled.events.jsonl');
    const json = onlyRecord('java/java17-lambda-ric-2.10-json-unhandled.events.jsonl');
    expect(fingerprintError(json)).toBe(fingerprintError(text));
  });
});

describe('the Lambda Go runtime (aws-lambda-go)', () => {
  it.each([
    [
      'go/go119-aws-lambda-go-1.54-nil-pointer-panic.events.jsonl',
      'runtime error: invalid memory address or nil pointer dereference',
      'src/shop/orders/pricing.go',
      22,
      'orders.Total',
    ],
    [
      'go/go119-aws-lambda-go-1.54-trimpath-panic-error.events.jsonl',
      'order 4411 has no lines',
      'example.com/shop/orders/pricing.go',
      31,
      'orders.Validate',
    ],
  ])('%s: the panic with the frames of its stackTrace objects', (path, message, file, line, fn) => {
    // `2026/12/06 03:10:54 {"errorMessage":…,"errorType":…,"stackTrace":[{"path":…,"line":…,"label":…}]}`
    expect(events(path)[0]).toMatch(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \{"errorMessage"/);
    const record = onlyRecord(path);
    expect(record).toMatchObject({ language: 'go', exceptionType: 'errorString', message });
    const inApp = record.frames.filter((f) => f.inApp);
    expect(inApp.at(-1)).toMatchObject({ file, line, function: fn });
    expect(inApp.map((f) => f.file)).toContain('shop/main.go');
    expect(record.frames.find((f) => f.file.startsWith('github.com/aws/aws-lambda-go@'))?.inApp).toBe(false);
  });

  it('places the app frames in the repository the bootstrap was built from', async () => {
    const record = onlyRecord('go/go119-aws-lambda-go-1.54-nil-pointer-panic.events.jsonl');
    const repo = makeFakeRepo({
      'go.mod': 'module example.com/shop\n\ngo 1.19\n',
      'main.go': 'package main\n',
      'orders/pricing.go': 'package orders\n',
    });
    const { implicatedPaths } = await buildRepairPrompt({ error: record, repo, randomFence: () => 'f' });
    expect([...implicatedPaths].sort()).toEqual(['main.go', 'orders/pricing.go']);
    // a build with -trimpath (`example.com/shop/…`) and one without (`src/shop/…`) name a frame alike
    expect(fingerprintParts(record).frames).toEqual([
      'shop/main.go:shop.main',
      'shop/main.go:shop.handler',
      'shop/orders/pricing.go:orders.Total',
    ]);
    const trimmed = onlyRecord('go/go119-aws-lambda-go-1.54-trimpath-panic-error.events.jsonl');
    expect(fingerprintParts(trimmed).frames.at(-1)).toBe('shop/orders/pricing.go:orders.Validate');
  });

  it('records a returned error, which the library reports without a stack', () => {
    const record = onlyRecord('go/go119-aws-lambda-go-1.54-returned-error.events.jsonl');
    expect(record).toMatchObject({ exceptionType: 'errorString', message: 'card declined', frames: [] });
  });
});

describe('the Lambda Ruby runtime', () => {
  it.each([
    [
      'ruby/ruby31-aws-lambda-ric-3.1.3-unhandled.events.jsonl',
      'NoMethodError',
      "undefined method `[]' for nil:NilClass",
      19,
    ],
    [
      'ruby/ruby31-aws-lambda-ric-3.1.3-handler-error.events.jsonl',
      'Orders::PaymentError',
      'card declined',
      17,
    ],
  ])('%s: the report printed as a JSON document over several lines', (path, type, message, handlerLine) => {
    const [intro, report] = events(path);
    expect(intro).toMatch(/^(?:Critical exception from handler|Error raised from handler method)\n$/);
    expect(report).toMatch(/^\{\n {2}"errorMessage": /);
    const record = onlyRecord(path);
    // `Function<NoMethodError>`: the runtime's phase is not part of the type
    expect(record).toMatchObject({ language: 'ruby', exceptionType: type, message });
    expect(record.frames.map((f) => [f.file, f.line])).toEqual([
      ['/var/task-ruby/lambda_function.rb', handlerLine],
      ['/var/task-ruby/lib/orders/pricing.rb', path.includes('handler-error') ? 10 : 6],
    ]);
  });

  it('reads the runtime logger (its request id before `--`) and tells the runtime client from the app', () => {
    const path =
      'ruby/ruby31-aws-lambda-ric-3.1.3-logger-error-then-unhandled-no-error-highlight.events.jsonl';
    expect(events(path)[0]).toMatch(/^E, \[[^\]]+\] ERROR [0-9a-f-]{36} -- : undefined method/);
    const found = detectErrors(makeEvents(events(path)));
    // the logged error and the runtime's report of it, one occurrence (see foldReprints)
    expect(found.map((d) => [d.record.exceptionType, d.record.message])).toEqual([
      ['NoMethodError', "undefined method `[]' for nil:NilClass"],
    ]);
    // the logger's line and the report (`Critical exception from handler` between them is neither)
    expect(found[0]?.record.eventIds).toEqual(['e0', 'e2']);
    const logged = found[0]?.record.frames ?? [];
    expect(logged.length).toBeGreaterThan(2);
    expect(logged.filter((f) => f.file.startsWith('/var/runtime/')).every((f) => !f.inApp)).toBe(true);
    expect(logged.filter((f) => f.file.startsWith('/var/task-ruby/')).every((f) => f.inApp)).toBe(true);
  });
});

describe('Powertools for AWS Lambda', () => {
  it('Python: reads the printed `exception`, not the `stack_trace` object beside it', () => {
    const path = 'python/py311-powertools-3.2-logger-exception.events.jsonl';
    expect(JSON.parse(events(path)[0] ?? '')).toMatchObject({
      stack_trace: { type: 'KeyError', frames: expect.any(Array) },
      exception: expect.stringContaining('Traceback (most recent call last):'),
    });
    const record = onlyRecord(path);
    expect(record).toMatchObject(PYTHON_KEY_ERROR);
    expect(record.frames).toHaveLength(3);
    expect(innermostOf(record)).toEqual({
      file: '/var/task/orders/pricing.py',
      line: 2,
      function: '<genexpr>',
    });
  });

  it('TypeScript with POWERTOOLS_DEV: reads the object pretty-printed over several lines', () => {
    const path = 'javascript/node20-powertools-logger-2.36-dev-mode-error.events.jsonl';
    expect(events(path)[0]).toMatch(/^\{\n {4}"level": "ERROR"/);
    const record = onlyRecord(path);
    expect(record).toMatchObject(NODE_TYPE_ERROR);
    expect(innermostOf(record)).toEqual({ file: '/var/task/orders.js', line: 3, function: 'total' });
  });

  it('TypeScript: reads the `error` object the Logger writes', () => {
    const record = onlyRecord('javascript/node20-powertools-logger-2.36-error.events.jsonl');
    expect(record).toMatchObject(NODE_TYPE_ERROR);
    expect(innermostOf(record)).toEqual({ file: '/var/task/orders.js', line: 3, function: 'total' });
  });
});

describe('a JSON error line longer than what classification reads (4 KB)', () => {
  it('is read whole: a logged stack of 80 frames', () => {
    const frames = Array.from(
      { length: 80 },
      (_, i) => `    at checkoutStep${i} (/app/src/orders/checkout-step-${i}.js:${i + 1}:5)`,
    );
    const stack = ['TypeError: boom', ...frames].join('\n');
    const line = JSON.stringify({
      level: 50,
      msg: 'checkout failed',
      err: { type: 'TypeError', message: 'boom', stack },
    });
    expect(line.length).toBeGreaterThan(4096);
    const [found] = detectErrors(makeEvents([`2026-12-06T03:30:00.000Z ${line}`]));
    expect(found?.record).toMatchObject({ exceptionType: 'TypeError', message: 'boom' });
    expect(found?.record.frames).toHaveLength(80);
  });
});

describe('a JSON error line whose message has several lines', () => {
  it('reads frames printed into the message when no field holds a stack', () => {
    const printed = [
      'java.lang.IllegalStateException: order 4411 has no lines',
      '\tat com.example.orders.OrderService.total(OrderService.java:88)',
      '\tat com.example.orders.Handler.handleRequest(Handler.java:21)',
    ].join('\n');
    const line = JSON.stringify({ timestamp: '2026-12-06T02:55:53.027Z', message: printed, level: 'ERROR' });
    const [found] = detectErrors(makeEvents([line]));
    expect(found?.record).toMatchObject({
      language: 'java',
      exceptionType: 'java.lang.IllegalStateException',
      message: 'order 4411 has no lines',
    });
    expect(innermostOf(found?.record as ErrorRecord)).toMatchObject({ file: 'OrderService.java', line: 88 });
  });

  it('keeps a message of several lines without frames as the message', () => {
    const line = JSON.stringify({ level: 'error', message: 'upload failed\nS3Error: slow down' });
    const [found] = detectErrors(makeEvents([line]));
    expect(found?.record).toMatchObject({ message: 'upload failed', frames: [] });
  });
});

describe("the Lambda runtimes' init phase: a function whose code does not load", () => {
  // Every file holds one real failure in the Text and the JSON log format (see the header).
  const both = (name: string) => [
    `lambda/${name.replace('%', 'text')}`,
    `lambda/${name.replace('%', 'json')}`,
  ];

  it.each([
    [
      'py311-awslambdaric-%-import-module-error.events.jsonl',
      'Runtime.ImportModuleError',
      "Unable to import module 'lambda_function': No module named 'requests'",
      [],
    ],
    [
      'py311-awslambdaric-%-handler-not-found.events.jsonl',
      'Runtime.HandlerNotFound',
      "Handler 'lambda_handler' missing on module 'lambda_function'",
      [],
    ],
    [
      'py311-awslambdaric-%-user-code-syntax-error.events.jsonl',
      'Runtime.UserCodeSyntaxError',
      "Syntax error in module 'lambda_function': expected ':' (lambda_function.py, line 4)",
      // the runtime's own frame, `File "/var/task/lambda_function.py" Line 4`: the model is shown it
      ['/var/task/lambda_function.py:4'],
    ],
    // A module that raises while it is imported is the error it raised, with its frames.
    [
      'py311-awslambdaric-%-init-key-error.events.jsonl',
      'KeyError',
      "'TABLE'",
      ['/var/task/lambda_function.py:1', '/var/task/orders/pricing.py:3'],
    ],
    [
      'node20-lambda-ric-%-import-module-error.events.jsonl',
      'Runtime.ImportModuleError',
      "Cannot find module 'axios'\nRequire stack:\n- /var/task/index.js\n- /var/runtime/index.mjs",
      [],
    ],
    [
      'node20-lambda-ric-%-esm-package-not-found.events.jsonl',
      'Error',
      "Cannot find package 'axios' imported from /var/task/index.mjs",
      ['/var/task/index.mjs:undefined'],
    ],
    [
      'node20-lambda-ric-%-handler-not-found.events.jsonl',
      'Runtime.HandlerNotFound',
      'index.handler is undefined or not exported',
      [],
    ],
    // Node names no file for a syntax error in the handler's module.
    [
      'node20-lambda-ric-%-user-code-syntax-error.events.jsonl',
      'Runtime.UserCodeSyntaxError',
      "Unexpected token ';'",
      [],
    ],
    [
      'node20-lambda-ric-%-init-type-error.events.jsonl',
      'TypeError',
      "Cannot read properties of undefined (reading 'orders')",
      ['/var/task/index.js:2', '/var/task/lib/orders.js:3'],
    ],
  ])('%s: one record, alike in both formats', (name, exceptionType, message, inApp) => {
    const [text, json] = both(name).map(onlyRecord) as [ErrorRecord, ErrorRecord];
    for (const record of [text, json]) {
      expect(record).toMatchObject({ exceptionType, message });
      expect(record.frames.filter((f) => f.inApp).map((f) => `${f.file}:${f.line}`)).toEqual(inApp);
    }
    // the runtime's warning before it (`LAMBDA_WARNING: Unhandled exception…`) is no record, and
    // the JSON format's errorType without its `Runtime.` prefix names the same failure
    expect(fingerprintError(json)).toBe(fingerprintError(text));
  });

  it('tells one missing package from another: the names are the failure', () => {
    const [requests] = both('py311-awslambdaric-%-import-module-error.events.jsonl').map(onlyRecord);
    const yaml = {
      ...(requests as ErrorRecord),
      message: (requests as ErrorRecord).message.replace('requests', 'yaml'),
    };
    expect(fingerprintError(yaml)).not.toBe(fingerprintError(requests as ErrorRecord));
  });

  it('says why, from the repository, in place of a model call', async () => {
    const diagnose = async (path: string, files: Record<string, string>) =>
      explainHandlerLoadFailure({ error: onlyRecord(path), repo: makeFakeRepo(files) });

    expect(
      await diagnose('lambda/py311-awslambdaric-text-import-module-error.events.jsonl', {
        'lambda_function.py': 'import requests\n',
        'requirements.txt': 'requests==2.32.3\n',
      }),
    ).toContain('requirements.txt lists requests, so the deployment package was built without it');
    for (const format of ['text', 'json'])
      expect(
        await diagnose(`lambda/node20-lambda-ric-${format}-import-module-error.events.jsonl`, {
          'index.js': "const axios = require('axios');\n",
          'package.json': JSON.stringify({ devDependencies: { axios: '^1.7.0' } }),
        }),
        format,
      ).toContain('package.json lists axios only in devDependencies');
    expect(
      await diagnose('lambda/node20-lambda-ric-json-esm-package-not-found.events.jsonl', {
        'index.mjs': "import axios from 'axios';\n",
        'package.json': '{"name":"shop"}',
      }),
    ).toContain("no package.json beside the function's code or above it lists axios");
    expect(
      await diagnose('lambda/py311-awslambdaric-json-handler-not-found.events.jsonl', {
        'lambda_function.py': 'def handler(event, context):\n    return {}\n',
      }),
    ).toContain('names lambda_handler, which lambda_function.py does not define (it defines handler)');
    expect(
      await diagnose('lambda/node20-lambda-ric-text-handler-not-found.events.jsonl', {
        'index.js': 'exports.main = async () => ({});\n',
      }),
    ).toContain('which index.js does not export (it defines main)');
    // an error its code raised goes to the model as any other
    expect(
      await diagnose('lambda/py311-awslambdaric-text-init-key-error.events.jsonl', {
        'orders/pricing.py': '',
      }),
    ).toBeUndefined();
  });
});

describe('the Lambda Java runtime: a handler it cannot load', () => {
  // test/fixtures/traces/java/java17-lambda-ric-2.10-{text,json}-*.events.jsonl (see the header):
  // the class not on the classpath and the method it lacks are reported on every invoke; a class
  // of a dependency the jar lacks on the first invoke, then the JVM exits; a static initialiser
  // that throws at init, then the JVM exits 1.
  const both = (name: string) =>
    [
      `java/java17-lambda-ric-2.10-text-${name}.events.jsonl`,
      `java/java17-lambda-ric-2.10-json-${name}.events.jsonl`,
    ].map(onlyRecord) as [ErrorRecord, ErrorRecord];
  const JAVA_APP = {
    'pom.xml':
      '<project><dependencies><dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-databind</artifactId></dependency></dependencies></project>\n',
    'src/main/java/example/Hello.java':
      'package example;\n\npublic class Hello implements RequestHandler<Map<String, Object>, String> {\n  public String handleRequest(Map<String, Object> event, Context context) {\n    return "ok";\n  }\n}\n',
  };
  const diagnose = (record: ErrorRecord, files: Record<string, string> = JAVA_APP) =>
    explainHandlerLoadFailure({ error: record, repo: makeFakeRepo(files) });

  it.each([
    ['class-not-found', 'java.lang.ClassNotFoundException', 'example.Hello'],
    ['no-class-def-found', 'java.lang.NoClassDefFoundError', 'com/fasterxml/jackson/databind/ObjectMapper'],
    // a bare line, no level or type: the default filter's `"No public method named"` delivers it
    [
      'no-public-method',
      'Runtime.HandlerNotFound',
      'No public method named handle with appropriate method signature found on class example.Hello',
    ],
  ])('%s: one record, alike in both formats, diagnosed from the repository', async (name, type, message) => {
    const [text, json] = both(name);
    for (const record of [text, json]) expect(record).toMatchObject({ exceptionType: type, message });
    expect(fingerprintError(json)).toBe(fingerprintError(text));
    expect(await diagnose(text)).toMatch(/^no fix was attempted: Lambda could not load the function's code/);
  });

  it('says what each failure means for this repository', async () => {
    const [classNotFound] = both('class-not-found');
    const [noClassDef] = both('no-class-def-found');
    const [noMethod] = both('no-public-method');
    expect(await diagnose(classNotFound)).toContain(
      'names example.Hello, which the repository defines (src/main/java/example/Hello.java), and the deployed package does not hold its compiled class',
    );
    expect(await diagnose(classNotFound, { 'src/main/java/example/App.java': '' })).toContain(
      'names the class example.Hello, which the repository does not define',
    );
    expect(await diagnose(noClassDef)).toContain(
      'pom.xml declares com.fasterxml.jackson.core:jackson-databind, which would provide com.fasterxml.jackson.databind.ObjectMapper, and the deployed jar does not hold it',
    );
    expect(
      await diagnose(noClassDef, { ...JAVA_APP, 'pom.xml': '<project><dependencies/></project>\n' }),
    ).toContain(
      'no build file of the function (pom.xml) declares a dependency that provides com.fasterxml.jackson.databind, whose class ObjectMapper its code uses',
    );
    expect(await diagnose(noMethod)).toContain(
      'names example.Hello::handle, and src/main/java/example/Hello.java has no public method handle a handler can be (its public methods: handleRequest)',
    );
  });

  it('sends a static initialiser that threw to the model, with its frames', async () => {
    const [text, json] = both('static-init-error');
    for (const record of [text, json]) {
      expect(record.exceptionType).toBe('java.lang.ExceptionInInitializerError');
      expect(record.causes[0]).toMatchObject({ exceptionType: 'java.lang.NumberFormatException' });
    }
    expect(await diagnose(text)).toBeUndefined();
  });

  it('is delivered by the default filter pattern', () => {
    for (const name of ['class-not-found', 'no-class-def-found', 'no-public-method', 'static-init-error'])
      for (const format of ['text', 'json'])
        for (const line of events(`java/java17-lambda-ric-2.10-${format}-${name}.events.jsonl`))
          expect(passesDefaultFilter(line), `${format} ${name}`).toBe(true);
  });
});

describe('the Lambda Ruby runtime: a handler it cannot load', () => {
  // test/fixtures/traces/ruby/ruby31-aws-lambda-ric-3.1.3-text-*.events.jsonl (see the header): the
  // runtime logs `Init error when loading handler` and the error, reports it to /runtime/init/error
  // and exits 252; a method the file lacks fails at the first invoke (exit 255). 3.1.3 has no JSON format.
  const record = (name: string) => onlyRecord(`ruby/ruby31-aws-lambda-ric-3.1.3-text-${name}.events.jsonl`);
  const diagnose = (name: string, files: Record<string, string>) =>
    explainHandlerLoadFailure({ error: record(name), repo: makeFakeRepo(files) });
  const APP = {
    Gemfile: "source 'https://rubygems.org'\n\ngem 'httparty', '~> 0.22'\n",
    'lambda_function.rb':
      "require 'json'\nrequire 'httparty'\n\ndef lambda_handler(event:, context:)\n  {}\nend\n",
  };

  it('reads each as one record', () => {
    expect(record('load-error-gem')).toMatchObject({
      exceptionType: 'LoadError',
      message: 'cannot load such file -- httparty',
    });
    expect(record('handler-file-missing')).toMatchObject({
      exceptionType: 'LoadError',
      message: 'cannot load such file -- app',
    });
    expect(record('handler-not-found').exceptionType).toBe('NoMethodError');
    // the object's address differs from one cold start to the next; the fingerprint does not
    const again = { ...record('handler-not-found') };
    again.message = again.message.replace(/0x[0-9a-f]+/, '0x00007f0a1b2c3d40');
    expect(fingerprintError(again)).toBe(fingerprintError(record('handler-not-found')));
  });

  it('says what each failure means for this repository, in place of a model call', async () => {
    expect(await diagnose('load-error-gem', APP)).toMatch(
      /^no fix was attempted: Lambda could not load the function's code.* — Gemfile lists httparty, so the deployment package was built without it/,
    );
    expect(
      await diagnose('load-error-gem', { ...APP, Gemfile: "source 'https://rubygems.org'\n" }),
    ).toContain(
      "no Gemfile beside the function's code or above it lists httparty, which the code requires: add gem 'httparty'",
    );
    expect(await diagnose('handler-file-missing', { 'src/app.rb': '' })).toContain(
      "the handler's own file, app.rb, is not at the root of the deployed package, though the repository holds it (src/app.rb)",
    );
    expect(await diagnose('handler-not-found', APP)).toContain(
      'the handler setting names lambda_function.handler, and lambda_function.rb defines no handler (it defines lambda_handler)',
    );
    // a syntax error is the code's: left to the model and the other explanations
    expect(await diagnose('syntax-error', APP)).toBeUndefined();
  });

  it("places a syntax error at the line its message names: the trace's frames are the runtime's require", () => {
    const syntax = record('syntax-error');
    expect(syntax.frames.slice(0, -1).every((f) => !f.inApp)).toBe(true);
    expect(syntax.frames.at(-1)).toEqual({ file: '/var/task/lambda_function.rb', line: 8, inApp: true });
  });
});

describe('an AWS call IAM denied, as the SDKs report it in each runtime and format', () => {
  // Real boto3 1.43 and AWS SDK for JavaScript v3 calls against a local endpoint answering as
  // DynamoDB and S3 answer a denied call (see the header); the app at /var/task, the SDKs under
  // /var/runtime as Lambda bundles them.
  const cases = [
    [
      'python/py311-awslambdaric-%-dynamodb-access-denied-unhandled',
      'ClientError',
      ['lambda_function.py', 'store.py'],
    ],
    [
      'python/py311-awslambdaric-%-dynamodb-access-denied-logger-exception',
      'ClientError',
      ['lambda_function.py', 'store.py'],
    ],
    // botocore models S3's AccessDenied: a type with no Error suffix, read by its message
    [
      'python/py311-awslambdaric-%-s3-access-denied-unhandled',
      'AccessDenied',
      ['lambda_function.py', 'invoices.py'],
    ],
    // an SDK error named like a Java one, its frames JavaScript's (file:// URLs, line and column)
    [
      'javascript/node20-lambda-ric-%-dynamodb-access-denied-invoke-error',
      'AccessDeniedException',
      ['index.mjs', 'store.mjs'],
    ],
    [
      'javascript/node20-lambda-ric-%-dynamodb-access-denied-console-error',
      'AccessDeniedException',
      ['index.mjs', 'store.mjs'],
    ],
    // Node's ten frames are spent in the SDK's middleware: the helper that called it is the one left
    ['javascript/node20-lambda-ric-%-s3-access-denied-invoke-error', 'AccessDenied', ['invoices.mjs']],
  ] as const;

  it.each(cases)('%s: its type and the app frames, in both formats', (path, type, files) => {
    for (const format of ['text', 'json']) {
      const record = onlyRecord(`${path.replace('%', format)}.events.jsonl`);
      expect(record.exceptionType.endsWith(type), `${format}: ${record.exceptionType}`).toBe(true);
      expect(record.frames.filter((f) => f.inApp).map((f) => f.file.split('/').at(-1))).toEqual(files);
    }
  });

  it('says what AWS denied, and needs no model', async () => {
    const diagnose = (path: string) =>
      explainAccessDenied({
        error: onlyRecord(`${path}.events.jsonl`),
        repo: makeFakeRepo({
          'template.yaml': 'Resources:\n  Orders:\n    Properties:\n      TableName: Orders\n',
        }),
      });
    for (const path of cases
      .slice(0, 2)
      .concat(cases.slice(3, 5))
      .map(([p]) => p))
      for (const format of ['text', 'json'])
        expect(await diagnose(path.replace('%', format)), `${path} ${format}`).toContain(
          "AWS denied the function's role, orders-fn-role, dynamodb:PutItem on arn:aws:dynamodb:us-east-1:123456789012:table/Orders, because no identity-based policy allows it.",
        );
    for (const path of [cases[2][0], cases[5][0]])
      for (const format of ['text', 'json'])
        expect(await diagnose(path.replace('%', format)), `${path} ${format}`).toContain('S3 refused');
    expect(await diagnose('python/py311-awslambdaric-text-dynamodb-access-denied-unhandled')).toContain(
      "The repository's infrastructure code names them at template.yaml:2.",
    );
  });
});

describe("a Node process warning the Lambda runtime's console.error labels ERROR", () => {
  // aws-samples/serverless-typescript-demo's GetProductFunction (src/api/get-product.ts) bundled as
  // CDK's NodejsFunction does (esbuild --bundle --minify --sourcemap --external:@aws-sdk/*, run with
  // --enable-source-maps; the map's sources ../../src/… resolve to /src/… under /var/task), its
  // DynamoDB call answered ResourceNotFoundException by a stand-in endpoint, caught and logged by
  // Powertools' Logger 1.18. On its first call the SDK (3.1178) emits NodeVersionSupportWarning,
  // which Node prints through console.error: `ERROR\t(node:13724) Warning: …`. The console is a
  // stand-in patched as the runtime client's LogPatch.js patches it (see the other Node captures).
  const path = (format: string) =>
    `javascript/node20-lambda-ric-${format}-cdk-esbuild-source-maps-powertools-1.18-dynamodb-not-found-sdk-node-warning.events.jsonl`;

  it.each(['text', 'json'])('is no record; the logged SDK error is the one (%s format)', (format) => {
    const messages = events(path(format));
    const perLine = messages.flatMap((m) => m.replace(/\n$/, '').split('\n'));
    const records = [makeEvents(messages), makeEvents(perLine)].map((shape) =>
      detectErrors(shape).map((d) => d.record),
    );
    for (const found of records) {
      expect(found.map((r) => [r.exceptionType, r.message])).toEqual([
        ['ResourceNotFoundException', 'Requested resource not found'],
      ]);
    }
    const [[whole], [lines]] = records as [[ErrorRecord], [ErrorRecord]];
    expect(fingerprintError(lines)).toBe(fingerprintError(whole));
    expect(whole.frames.filter((f) => f.inApp).map((f) => f.file)).toEqual([
      '/src/store/dynamodb/dynamodb-store.ts',
    ]);
  });

  it.each([
    // aws-sdk v2 on Node 18 (the SDK's own type, NOTE), a deprecation and a listener leak
    '(node:8) NOTE: The AWS SDK for JavaScript (v2) is in maintenance mode.\n SDK releases are limited to address critical bug fixes and security issues only.\n\nPlease migrate your code to use AWS SDK for JavaScript (v3).\nFor more information, check the blog post at https://a.co/cUPnyil\n(Use `node --trace-warnings ...` to show where the warning was created)',
    '(node:8) [DEP0005] DeprecationWarning: Buffer() is deprecated due to security and usability issues. Please use the Buffer.alloc(), Buffer.allocUnsafe(), or Buffer.from() methods instead.\n(Use `node --trace-deprecation ...` to show where the warning was created)',
    '(node:8) MaxListenersExceededWarning: Possible EventEmitter memory leak detected. 11 error listeners added to [TLSSocket]. Use emitter.setMaxListeners() to increase limit\n(Use `node --trace-warnings ...` to show where the warning was created)',
  ])('is no record in either format: %s', (warning) => {
    const requestId = '3f1c2a9e-7b4d-4e21-9c0a-5d6e7f8a9b10';
    const at = '2026-12-08T02:57:14.482Z';
    const text = `${at}\t${requestId}\tERROR\t${warning}\n`;
    const json = JSON.stringify({ timestamp: at, level: 'ERROR', requestId, message: warning });
    for (const messages of [[text], text.replace(/\n$/, '').split('\n'), [json]])
      expect(detectErrors(makeEvents(messages))).toEqual([]);
  });

  it("still reads Node 14's UnhandledPromiseRejectionWarning as the rejection's error", () => {
    const warning =
      '(node:8) UnhandledPromiseRejectionWarning: Error: boom\n    at handler (/var/task/index.js:3:9)\n(Use `node --trace-warnings ...` to show where the warning was created)';
    const found = detectErrors(
      makeEvents([`2026-12-08T02:57:14.482Z\t3f1c2a9e-7b4d-4e21-9c0a-5d6e7f8a9b10\tERROR\t${warning}\n`]),
    );
    expect(found.map((d) => [d.record.exceptionType, d.record.message])).toEqual([['Error', 'boom']]);
  });
});
