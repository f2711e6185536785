// Python logging libraries' exception output, each captured here with Debian's packages under
// Python 3.11.2: loguru 0.6.0 (`logger.exception` with its default sink — backtrace and diagnose
// on —, with `diagnose=False`, and `serialize=True`) and structlog 22.3.0 (JSONRenderer after
// `format_exc_info`, and after `dict_tracebacks`). The app: /tmp/lr/loguru/app.py (or
// /tmp/lr/structlog/app.py) calling shop/pricing.py's order_total, which raises KeyError 'qty'.
import { describe, expect, it } from 'vitest';
import type { ErrorRecord } from '../../../functions/core/contracts.ts';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import { deliveries, makeEvents, traceText } from '../../support/log-events.ts';

const fixture = (name: string): string => traceText(`python/${name}`);

/** One record in each delivery shape (the whole output in one event; one event per line), alike. */
function onlyRecord(text: string): ErrorRecord {
  const { oneEvent, perLine } = deliveries(text);
  const [one, ...moreOne] = detectErrors(makeEvents(oneEvent)).map((d) => d.record);
  const [lines, ...moreLines] = detectErrors(makeEvents(perLine)).map((d) => d.record);
  expect([moreOne, moreLines]).toEqual([[], []]);
  expect(lines?.frames).toEqual(one?.frames);
  return one as ErrorRecord;
}

const framesOf = (record: ErrorRecord) =>
  record.frames.map((f) => [f.file.split('/').slice(-2).join('/'), f.line, f.function]);

describe('loguru', () => {
  it.each([
    ['py311-loguru-0.6-exception.txt', 'app.py'],
    ['py311-loguru-0.6-exception-no-diagnose.txt', 'app_nodiag.py'],
  ])('%s: one record with every frame, the catching one marked `> File`', (name, app) => {
    const text = fixture(name);
    expect(text).toContain('> File "/tmp/lr/loguru/');
    const record = onlyRecord(text);
    expect(record).toMatchObject({ language: 'python', exceptionType: 'KeyError', message: "'qty'" });
    expect(framesOf(record)).toEqual([
      [`loguru/${app}`, 16, '<module>'],
      [`loguru/${app}`, 11, 'checkout'],
      ['shop/pricing.py', 2, 'order_total'],
      ['shop/pricing.py', 2, '<genexpr>'],
    ]);
  });

  it('reads the variable annotations (diagnose) as part of the trace, not as lines of their own', () => {
    const text = fixture('py311-loguru-0.6-exception.txt');
    expect(text).toContain('└ {');
    const record = onlyRecord(text);
    expect(record.raw).toContain("└ {'price': 5}");
  });

  it('reads `serialize=True`: the traceback in `text`, the level and exception in `record`', () => {
    const text = fixture('py311-loguru-0.6-exception-serialize.txt').trimEnd();
    const [found, ...more] = detectErrors(makeEvents([text]));
    expect(more).toEqual([]);
    expect(found?.record).toMatchObject({ language: 'python', exceptionType: 'KeyError', message: "'qty'" });
    expect(found?.record.frames.at(-1)).toMatchObject({ file: '/tmp/lr/loguru/shop/pricing.py', line: 2 });
    expect(found?.record.frames).toHaveLength(4);
  });
});

describe('structlog', () => {
  it('prints a frame a log forged with a line break as one line (the break cannot add an exception line)', () => {
    const line = JSON.stringify({
      event: 'checkout failed',
      level: 'error',
      exception: [
        {
          exc_type: 'KeyError',
          exc_value: "'qty'",
          frames: [{ filename: '/app/shop/pricing.py\nSystemExit: forged', lineno: 2, name: 'order_total' }],
        },
      ],
    });
    const [found, ...more] = detectErrors(makeEvents([line]));
    expect(more).toEqual([]);
    expect(found?.record).toMatchObject({ exceptionType: 'KeyError', message: "'qty'" });
    expect(found?.record.frames).toHaveLength(1);
  });

  it('reads `format_exc_info` and `dict_tracebacks` alike, one bug one fingerprint', () => {
    const printed = detectErrors(makeEvents([fixture('py311-structlog-22.3-format-exc-info.txt').trimEnd()]));
    const structured = detectErrors(
      makeEvents([fixture('py311-structlog-22.3-dict-tracebacks.txt').trimEnd()]),
    );
    expect(printed).toHaveLength(1);
    expect(structured).toHaveLength(1);
    const [a, b] = [printed[0]?.record as ErrorRecord, structured[0]?.record as ErrorRecord];
    // dict_tracebacks: `"exception": [{"exc_type": "KeyError", "exc_value": "'qty'", "frames": […]}]`
    expect(b).toMatchObject({ language: 'python', exceptionType: 'KeyError', message: "'qty'" });
    expect(framesOf(b)).toEqual(framesOf(a));
    expect(framesOf(b)).toEqual([
      ['structlog/app.py', 19, 'checkout'],
      ['shop/pricing.py', 2, 'order_total'],
      ['shop/pricing.py', 2, '<genexpr>'],
    ]);
    expect(fingerprintError(b)).toBe(fingerprintError(a));
  });

  it('reads dict_tracebacks whose frame locals hold a `log` (a logger in the module)', () => {
    // Python 3.13.5, structlog 25.3 (Debian's): dict_tracebacks prints each frame's locals, and
    // `log = structlog.get_logger()` is one of the module's. Its `"log": "…"` was taken for a log
    // shipper's envelope and the line judged by that value alone: no error word, no record.
    const text = fixture('py313-structlog-25.3-dict-tracebacks.txt');
    expect(text).toContain('"log": "\'<BoundLoggerLazyProxy');
    const record = onlyRecord(text);
    expect(record).toMatchObject({ language: 'python', exceptionType: 'KeyError', message: "'lines'" });
    expect(framesOf(record)).toEqual([
      ['app/slog_struct.py', 20, '<module>'],
      ['app/slog_struct.py', 17, 'price'],
    ]);
  });
});

describe('logging with stack_info=True', () => {
  // Python 3.11.2's logging: `log.exception(msg, stack_info=True)` prints, after the traceback,
  // `Stack (most recent call last):` and the stack that led to the logging call; `log.error(msg,
  // stack_info=True)` prints that stack alone. The app: /srv/py2/app.py calling shop/pricing.py.
  // Before: a second record of the stack (type ERROR, message `File "…", line 20, in <module>`),
  // a second incident for one error; the stack alone was that record beside a frameless one.
  it('leaves the logging call’s stack out of the exception it printed', () => {
    const record = onlyRecord(fixture('py311-logging-exception-stack-info.txt'));
    expect([record.exceptionType, record.message]).toEqual(['KeyError', "'lines'"]);
    expect(framesOf(record)).toEqual([
      ['py2/app.py', 11, 'price_order'],
      ['shop/pricing.py', 2, 'total'],
    ]);
  });

  it('reads the stack alone as the logged error’s frames, the logging call innermost', () => {
    const record = onlyRecord(fixture('py311-logging-error-stack-info-without-exception.txt'));
    expect([record.language, record.exceptionType, record.message]).toEqual([
      'python',
      'ERROR',
      'failed to price order 7',
    ]);
    expect(framesOf(record)).toEqual([
      ['py2/app2.py', 20, '<module>'],
      ['py2/app2.py', 17, 'handler'],
      ['py2/app2.py', 13, 'price_order'],
    ]);
  });
});

describe('logging’s report of a log call that failed (`--- Logging error ---`)', () => {
  // Python 3.11.2: `log.info("restocked %s units of %s", qty, sku, warehouse)`, one argument too
  // many (shop/stock.py:7, the audit program /tmp/audit/node-py-php-rb/programs/pyshop). logging
  // prints `--- Logging error ---`, the traceback inside logging/__init__.py, then `Call stack:`
  // and the log call's stack, then `Message: '…'` and `Arguments: (…)`. Before: the message ran on
  // over the call stack and the arguments (each call's values a new incident), and the frames were
  // logging's alone, none of them the app's; `Message:` and `Arguments:` were left out of the record.
  const text = fixture('py311-logging-error-block-bad-format-args.txt');

  it('is the TypeError, the log call’s stack its outermost frames, the call innermost in-app', () => {
    const record = onlyRecord(text);
    expect([record.language, record.exceptionType, record.message]).toEqual([
      'python',
      'TypeError',
      'not all arguments converted during string formatting',
    ]);
    expect(framesOf(record)).toEqual([
      ['bin/run_stock.py', 4, '<module>'],
      ['shop/stock.py', 7, 'restock'],
      ['logging/__init__.py', 1110, 'emit'],
      ['logging/__init__.py', 953, 'format'],
      ['logging/__init__.py', 687, 'format'],
      ['logging/__init__.py', 377, 'getMessage'],
    ]);
    expect(record.frames.filter((f) => f.inApp).map((f) => `${f.file.split('/').at(-1)}:${f.line}`)).toEqual([
      'run_stock.py:4',
      'stock.py:7',
    ]);
  });

  it('holds the report to its `Message:` and `Arguments:` lines, which are no part of the message', () => {
    const perLine = detectErrors(makeEvents(deliveries(text).perLine)).map((d) => d.record);
    expect(perLine).toHaveLength(1);
    // the lines from `Traceback …` to `Arguments: …`: neither logging's banner nor the next INFO line
    expect(perLine[0]?.eventIds).toHaveLength(21);
    expect(perLine[0]?.raw.split('\n').at(-1)).toBe("Arguments: (12, 'SKU-1', 'berlin')");
    expect(perLine[0]?.message).not.toContain('Arguments');
    // the values a call passed are no part of the incident
    const other = text.replace("Arguments: (12, 'SKU-1', 'berlin')", "Arguments: (3, 'SKU-9', 'hamburg')");
    expect(fingerprintError(onlyRecord(other))).toBe(fingerprintError(onlyRecord(text)));
  });

  it('ends at `Arguments:`: the next print, with no prefix to tell it apart, is no part of it', () => {
    // the same run with `format="%(message)s"` (Python 3.11.7): `restock run finished` comes next
    const plain = fixture('py311-logging-error-block-bad-format-args-plain-format.txt');
    expect(plain.trimEnd().split('\n').at(-1)).toBe('restock run finished');
    const record = onlyRecord(plain);
    expect(record.raw.split('\n').at(-1)).toBe("Arguments: (12, 'SKU-1', 'berlin')");
    expect(fingerprintError(record)).toBe(fingerprintError(onlyRecord(text)));
  });
});

describe("asyncio's report of a task whose exception was never retrieved", () => {
  // Python 3.11.2, asyncio.ensure_future of a coroutine that raises, never awaited: its exception
  // handler logs `Task exception was never retrieved`, `future: <Task finished …>` and the
  // traceback. Before: two records, the first a frameless ERROR (two incidents for one error).
  it('is one record: the handler’s line introduces the traceback across its context line', () => {
    const record = onlyRecord(fixture('py311-asyncio-task-exception-never-retrieved.txt'));
    expect([record.exceptionType, record.message]).toEqual(['KeyError', "'lines'"]);
    expect(framesOf(record).at(-1)).toEqual(['shop/pricing.py', 2, 'total']);
    expect(record.raw.split('\n')[0]).toContain('Task exception was never retrieved');
  });
});

describe("faulthandler's report of a crash in C code", () => {
  // Python 3.11.2 with `-X faulthandler` (PYTHONFAULTHANDLER=1 in many Dockerfiles), ctypes reading
  // address 0: `Fatal Python error: Segmentation fault`, then the thread's stack most recent call
  // first (`File "…", line 5 in read_order`, no comma). Before: silent in both shapes.
  it('is one Python record, its frames innermost last', () => {
    const record = onlyRecord(fixture('py311-faulthandler-segfault.txt'));
    expect([record.language, record.exceptionType, record.message]).toEqual([
      'python',
      'Fatal Python error',
      'Segmentation fault',
    ]);
    expect(framesOf(record)).toEqual([
      ['py2/crash.py', 12, '<module>'],
      ['py2/crash.py', 9, 'handler'],
      ['py2/crash.py', 5, 'read_order'],
      ['ctypes/__init__.py', 519, 'string_at'],
    ]);
  });
});
