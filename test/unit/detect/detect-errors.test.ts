import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import { deliveries, makeEvents } from '../../support/log-events.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures/traces');
const LANGUAGE_OF_DIR: Record<string, string> = {
  python: 'python',
  java: 'java',
  javascript: 'javascript',
  go: 'go',
  ruby: 'ruby',
  php: 'php',
  dotnet: 'dotnet',
  rust: 'rust',
};
const fixtures = Object.keys(LANGUAGE_OF_DIR).flatMap((dir) => {
  let files: string[] = [];
  try {
    files = readdirSync(join(FIXTURES, dir)).filter((f) => f.endsWith('.txt'));
  } catch {
    return [];
  }
  return files.map((file) => ({ dir, file, text: readFileSync(join(FIXTURES, dir, file), 'utf8') }));
});

const NOISE_BEFORE = [
  'START RequestId: 6f1c2a9e-51d2-4a39-9f0e-2d7b1f6c4c11 Version: $LATEST',
  '2024-03-05T12:00:00Z INFO batch done processed=1200 errors=0 warnings=0',
];
const NOISE_AFTER = [
  '127.0.0.1 - - [05/Mar/2024:12:00:01 +0000] "GET /healthz HTTP/1.1" 200 2 "-" "kube-probe/1.27"',
  'END RequestId: 6f1c2a9e-51d2-4a39-9f0e-2d7b1f6c4c11',
];

describe('detectErrors over real traces', () => {
  it('has fixtures for every language', () => {
    expect(new Set(fixtures.map((f) => f.dir)).size).toBeGreaterThanOrEqual(7);
  });

  describe.each(fixtures)('$dir/$file', ({ dir, text }) => {
    const { oneEvent, perLine } = deliveries(text);

    it('is one record in the right language, delivered as one event', () => {
      const found = detectErrors(makeEvents(oneEvent));
      expect(found).toHaveLength(1);
      expect(found[0]?.record.language).toBe(LANGUAGE_OF_DIR[dir]);
      expect(found[0]?.needsContext).toBe(false);
    });

    it('is the same record and fingerprint when each line is its own event, among normal lines', () => {
      const [single] = detectErrors(makeEvents(oneEvent));
      const found = detectErrors(makeEvents([...NOISE_BEFORE, ...perLine, ...NOISE_AFTER]));
      expect(found).toHaveLength(1);
      const record = found[0]?.record;
      expect(record?.exceptionType).toBe(single?.record.exceptionType);
      expect(record?.frames).toEqual(single?.record.frames);
      expect(record && fingerprintError(record)).toBe(single && fingerprintError(single.record));
      // Every frame line is part of the record (a code excerpt printed above a Node header may not
      // be); a trace logged on one line with escaped breaks is one event however many frames it has.
      expect(record?.eventIds.length).toBeGreaterThanOrEqual(
        Math.min(perLine.length, record?.frames.length ?? 0),
      );
      expect(record?.eventIds).not.toContain('e0');
    });
  });
});

const PY_TRACE = `Traceback (most recent call last):
  File "/app/app.py", line 12, in <module>
    main()
  File "/app/app.py", line 9, in main
    process_data("x")
  File "/app/app.py", line 5, in process_data
    return int(value)
           ^^^^^^^^^^
ValueError: invalid literal for int() with base 10: 'x'`;

const JS_TRACE = `TypeError: Cannot read properties of undefined (reading 'id')
    at handler (/var/task/index.js:10:21)
    at Runtime.handleOnceNonStreaming (file:///var/runtime/index.mjs:1173:29)`;

describe('detectErrors assembly', () => {
  it('finds several traces in one batch, split per line and interleaved with normal lines', () => {
    const lines = [
      'INFO starting',
      ...PY_TRACE.split('\n'),
      'INFO request 2',
      ...JS_TRACE.split('\n'),
      'INFO done',
    ];
    const found = detectErrors(makeEvents(lines));
    expect(found.map((d) => [d.record.language, d.record.exceptionType])).toEqual([
      ['python', 'ValueError'],
      ['javascript', 'TypeError'],
    ]);
    expect(found[0]?.record.frames.map((f) => f.function)).toEqual(['<module>', 'main', 'process_data']);
  });

  it('keeps streams apart when their lines interleave in one batch', () => {
    const py = makeEvents(PY_TRACE.split('\n'), { logStream: 'a', idPrefix: 'a' });
    const js = makeEvents(JS_TRACE.split('\n'), { logStream: 'b', idPrefix: 'b' });
    const mixed = py.flatMap((e, i) => (js[i] ? [e, js[i]] : [e]));
    const found = detectErrors(mixed);
    expect(found.map((d) => d.record.logStream).sort()).toEqual(['a', 'b']);
    expect(found.every((d) => d.record.frames.length > 0)).toBe(true);
  });

  it('flags a trace cut at the end of the batch so the caller can fetch the rest', () => {
    const lines = ['INFO ok', ...JS_TRACE.split('\n').slice(0, 2)];
    const [found] = detectErrors(makeEvents(lines));
    expect(found?.needsContext).toBe(true);
  });

  it('flags a lone exception header (the line a subscription filter let through)', () => {
    const found = detectErrors(makeEvents(["ValueError: invalid literal for int() with base 10: 'x'"]));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ needsContext: true, record: { exceptionType: 'ValueError' } });
  });

  it('takes the error line logged just before a trace as its introduction, not a second error', () => {
    const lines = [
      '2024-05-01 12:00:00.123 ERROR [main] c.e.App - Failed to process order 42',
      ...JS_TRACE.split('\n'),
    ];
    const found = detectErrors(makeEvents(lines));
    expect(found).toHaveLength(1);
    expect(found[0]?.record.raw).toContain('Failed to process order 42');
    expect(found[0]?.record.eventIds).toContain('e0');
  });

  it('still yields a record for an error format no parser knows', () => {
    const found = detectErrors(
      makeEvents(['ERROR Failed to connect to redis at 10.0.0.5:6379 (attempt 3/5)']),
    );
    expect(found).toHaveLength(1);
    expect(found[0]?.record).toMatchObject({ language: 'unknown', exceptionType: 'ERROR', frames: [] });
    expect(found[0]?.record.message).toContain('Failed to connect to redis');
  });

  it('redacts the raw text and message of what it reports', () => {
    const key = ['AKIA', 'IOSFODNN7EXAMPLE'].join('');
    const found = detectErrors(makeEvents([`ERROR upload failed with key ${key}`]));
    expect(JSON.stringify(found)).not.toContain(key);
  });
});

describe('detectErrors on structured logs', () => {
  const cases: [string, object, string][] = [
    [
      'pino err.stack',
      {
        level: 50,
        time: 1,
        msg: 'request failed',
        err: { type: 'TypeError', message: 'x is not a function', stack: JS_TRACE },
      },
      'javascript',
    ],
    [
      'Powertools TypeScript error.stack',
      { level: 'ERROR', message: 'failed', error: { name: 'TypeError', message: 'boom', stack: JS_TRACE } },
      'javascript',
    ],
    ['structlog exception', { event: 'failed', level: 'error', exception: PY_TRACE }, 'python'],
    [
      'Powertools Python exception',
      { level: 'ERROR', message: 'failed', exception: PY_TRACE, exception_name: 'ValueError' },
      'python',
    ],
    [
      'Serilog @x',
      { '@t': '2024-01-01T00:00:00Z', '@l': 'Error', '@mt': 'failed', '@x': PY_TRACE },
      'python',
    ],
    [
      'ECS error.stack_trace',
      { 'log.level': 'error', message: 'failed', error: { stack_trace: JS_TRACE } },
      'javascript',
    ],
    [
      'bunyan',
      { name: 'app', level: 50, msg: 'boom', err: { message: 'boom', name: 'TypeError', stack: JS_TRACE } },
      'javascript',
    ],
  ];
  it.each(cases)('%s', (_name, obj, language) => {
    const found = detectErrors(makeEvents([JSON.stringify(obj)]));
    expect(found).toHaveLength(1);
    expect(found[0]?.record.language).toBe(language);
    expect(found[0]?.record.frames.length).toBeGreaterThan(0);
  });

  it("reads zap's bare Go stack (no panic header) as Go frames", () => {
    const zap = {
      level: 'error',
      ts: 1714564800.1,
      caller: 'app/main.go:25',
      msg: 'payment failed',
      error: 'card declined',
      stacktrace:
        'main.charge\n\t/app/main.go:25\nmain.main\n\t/app/main.go:40\nruntime.main\n\t/usr/local/go/src/runtime/proc.go:250',
    };
    const [found] = detectErrors(makeEvents([JSON.stringify(zap)]));
    expect(found?.record).toMatchObject({
      language: 'go',
      exceptionType: 'error',
      // zap's `error` field is the error's text; `msg` is what the program was doing (issue #9).
      message: 'card declined',
    });
    expect(found?.record.frames.map((f) => [f.function, f.inApp])).toEqual([
      ['runtime.main', false],
      ['main.main', true],
      ['main.charge', true],
    ]);
  });

  it('reads the Lambda Node runtime error line', () => {
    const line = `2024-05-01T12:00:00.123Z\t6f1c2a9e-51d2-4a39-9f0e-2d7b1f6c4c11\tERROR\tInvoke Error \t${JSON.stringify(
      {
        errorType: 'TypeError',
        errorMessage: "Cannot read properties of undefined (reading 'id')",
        stack: JS_TRACE.split('\n'),
      },
    )}`;
    const [found] = detectErrors(makeEvents([line]));
    expect(found?.record).toMatchObject({ language: 'javascript', exceptionType: 'TypeError' });
  });

  it('reports an error-level object without a stack as type and message', () => {
    const found = detectErrors(
      makeEvents([JSON.stringify({ level: 'error', msg: 'payment declined', error: 'card expired' })]),
    );
    expect(found[0]?.record).toMatchObject({ language: 'unknown', message: 'card expired' });
  });
});

describe('detectErrors ignores noise', () => {
  const noise = [
    '2024-03-05T12:00:00Z INFO batch done processed=1200 errors=0 warnings=0',
    'INFO  [main] o.s.w.s.h.SimpleUrlHandlerMapping: ErrorHandler registered for /error',
    'INFO ErrorPageFilter: mapped error page /error.html',
    'DEBUG retry policy: maxErrors=5 backoff=200ms',
    'INFO Loaded 3 exception mappers: NotFoundExceptionMapper, ValidationExceptionMapper',
    'INFO health check ok: db=up cache=up last_error=null',
    '{"level":"info","msg":"request completed","status":200,"error":null,"latency_ms":12}',
    '{"level":"info","msg":"metrics","error_rate":0.0,"p99_ms":87}',
    'at the end of the day the job ran fine',
    '    at least 3 replicas are healthy',
    'Traceback logging enabled: level=DEBUG',
    'goroutine pool size set to 64',
    'panic_on_oom = 0',
    'Caused by config change #4411, cache will be rebuilt',
    '#0 step: fetching manifests',
    'from /etc/app/config.yml: loaded 14 keys',
    '127.0.0.1 - - [05/Mar/2024:12:00:01 +0000] "GET /healthz HTTP/1.1" 200 2 "-" "kube-probe/1.27"',
    'START RequestId: 6f1c2a9e-51d2-4a39-9f0e-2d7b1f6c4c11 Version: $LATEST',
    'END RequestId: 6f1c2a9e-51d2-4a39-9f0e-2d7b1f6c4c11',
    'REPORT RequestId: 6f1c2a9e-51d2-4a39-9f0e-2d7b1f6c4c11\tDuration: 12.31 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 71 MB',
    'INIT_START Runtime Version: python:3.12.v18',
    '',
    '   ',
    'Exception handling middleware initialised',
    'Error budget remaining: 99.95%',
    'INFO Setting sys.excepthook to custom handler',
  ];
  it.each(noise)('%j', (line) => {
    expect(detectErrors(makeEvents([line]))).toEqual([]);
  });

  it('stays silent over all of them in one batch, per line', () => {
    expect(detectErrors(makeEvents(noise))).toEqual([]);
  });
});

describe('detectErrors on hostile input', () => {
  it('handles a 5 MB line and a ReDoS-shaped batch in time proportional to their size', () => {
    const huge = `ERROR ${'a'.repeat(5 * 1024 * 1024)}`;
    const redos = Array.from({ length: 2000 }, (_, i) => `${'Error'.repeat(200)}${i} ${'\tat '.repeat(300)}`);
    const start = performance.now();
    const found = detectErrors(makeEvents([huge, ...redos]));
    const elapsed = performance.now() - start;
    const floorStart = performance.now();
    let n = 0;
    for (const line of [huge, ...redos]) n += line.split('\n').length + (line.includes('@') ? 1 : 0);
    const floor = Math.max(performance.now() - floorStart, 1);
    expect(n).toBeGreaterThan(0);
    expect(found.length).toBeGreaterThan(0);
    // Coarse on purpose: the machine is shared. A backtracking regex takes minutes here, not seconds.
    expect(elapsed).toBeLessThan(Math.max(5000, floor * 500));
  });
});

describe('detectErrors on a storm', () => {
  it('keeps back-to-back traces apart when each event holds one whole trace', () => {
    const found = detectErrors(makeEvents([PY_TRACE, PY_TRACE, PY_TRACE, JS_TRACE, JS_TRACE]));
    expect(found.map((d) => d.record.exceptionType)).toEqual([
      'ValueError',
      'ValueError',
      'ValueError',
      'TypeError',
      'TypeError',
    ]);
    expect(found.map((d) => d.record.eventIds)).toEqual([['e0'], ['e1'], ['e2'], ['e3'], ['e4']]);
  });
});

describe('detectErrors on a storm logged one line per event', () => {
  it('starts a new record at each traceback that is not a chained cause', () => {
    const lines = [...PY_TRACE.split('\n'), ...PY_TRACE.split('\n'), ...PY_TRACE.split('\n')];
    const found = detectErrors(makeEvents(lines));
    expect(found.map((d) => [d.record.exceptionType, d.record.causes.length])).toEqual([
      ['ValueError', 0],
      ['ValueError', 0],
      ['ValueError', 0],
    ]);
  });
});

describe("a record's event ids", () => {
  const lines = PY_TRACE.split('\n');
  const withIds = (ids: readonly string[]) =>
    makeEvents(lines).map((event, i) => ({ ...event, id: ids[i] ?? '' }));

  it('are each event a trace was logged in, in order, as CloudWatch numbers them', () => {
    const ids = lines.map(
      (_, i) => `3791234567890123456789012345678901234567890123${String(i).padStart(8, '0')}`,
    );
    const found = detectErrors(withIds(ids));
    expect(found.map((d) => d.record.eventIds)).toEqual([ids]);
  });

  it('name an event once when another event repeats its id, wherever it is', () => {
    // ids a shipper made up, not in order: the same id twice, apart, and one that sorts before its predecessor
    const ids = lines.map((_, i) => (i === lines.length - 1 ? 'line-0' : `line-${i === 1 ? 10 : i}`));
    const found = detectErrors(withIds(ids));
    expect(found.map((d) => d.record.eventIds)).toEqual([ids.slice(0, -1)]);
  });
});
