// What Python prints after a traceback's exception line belongs to that error: the rest of a
// message of several lines (pydantic's ValidationError names each field that failed on lines of
// its own, jsonschema the schema path and the instance) and the exception's notes (`add_note`,
// 3.11+). The Lambda runtime prints the whole message in its `[ERROR]` lead, before the traceback.
// Captured here (Python 3.11.7): pydantic 2.13.4, jsonschema 4.26.0 and Flask 3.1.3 (its dev
// server, a request that fails and the access lines after it) as installed on this machine; the
// Lambda runtime's report of an unhandled pydantic error, and the root logger's of one the handler
// logged with logger.exception, through awslambdaric 4.0.1's own `handle_event_request`, logging
// setup and log sink (aws-lambda-python-runtime-interface-client 46e4c6a, its
// telemetry frames decoded; simplejson, absent here, stood in by the stdlib json), the handler and
// its dependencies at /var/task as a deployment package holds them.
import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../../functions/core/contracts.ts';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import { deliverThroughDefaultFilter } from '../../support/filtered-delivery.ts';
import { capturedMessages, deliveries, makeEvents, traceText } from '../../support/log-events.ts';

const PYDANTIC = 'python/py311-pydantic-2.13-validation-error-uncaught.txt';
const JSONSCHEMA = 'python/py311-jsonschema-4.26-validation-error-uncaught.txt';
const NOTES = 'python/py311-add-note-notes-read-like-errors.output';
const FLASK = 'python/py311-flask-3.1-dev-server-key-error-then-access-line.output';
// a worker thread that died (threading's excepthook prints its traceback as text) while the program
// logs JSON through logging with a formatter of its own, the time field first
const THREAD_THEN_JSON = 'python/py311-thread-exception-then-json-logging.output';
const CELERY_SHUTDOWN = 'python/py311-celery-5.2-solo-chained-then-retry-then-warm-shutdown.output';

function only(events: LogEvent[]) {
  const found = detectErrors(events);
  expect(found).toHaveLength(1);
  const [first] = found;
  if (!first) throw new Error('no record');
  return first.record;
}

describe("the rest of a Python error's print, after its exception line", () => {
  it("keeps pydantic's field errors with the error, in both delivery shapes, its fingerprint the headline's", () => {
    const { oneEvent, perLine } = deliveries(traceText(PYDANTIC));
    for (const events of [makeEvents(oneEvent), makeEvents(perLine)]) {
      const record = only(events);
      expect(record.exceptionType).toBe('pydantic_core._pydantic_core.ValidationError');
      expect(record.message.split('\n')).toEqual([
        '3 validation errors for Order',
        'id',
        "  Input should be a valid integer, unable to parse string as an integer [type=int_parsing, input_value='x', input_type=str]",
        '    For further information visit https://errors.pydantic.dev/2.13/v/int_parsing',
        'qty',
        "  Input should be a valid integer, unable to parse string as an integer [type=int_parsing, input_value='three', input_type=str]",
        '    For further information visit https://errors.pydantic.dev/2.13/v/int_parsing',
        'email',
        "  Field required [type=missing, input_value={'id': 'x', 'qty': 'three'}, input_type=dict]",
        '    For further information visit https://errors.pydantic.dev/2.13/v/missing',
      ]);
      expect(record.raw).toContain('qty\n  Input should be a valid integer');
      expect(record.frames.filter((f) => f.inApp).at(-1)).toMatchObject({
        file: '/tmp/cap/py/pyd.py',
        line: 7,
      });
    }
    // The next request's values are another occurrence of the same bug: one incident.
    const other = traceText(PYDANTIC).replaceAll("'x'", "'ord-77'").replaceAll("'three'", "'4.5'");
    expect(fingerprintError(only(makeEvents(deliveries(other).perLine)))).toBe(
      fingerprintError(only(makeEvents(perLine))),
    );
  });

  it("keeps jsonschema's schema path and instance in one event; logged line by line, a blank line ends the print", () => {
    const { oneEvent, perLine } = deliveries(traceText(JSONSCHEMA));
    const whole = only(makeEvents(oneEvent));
    expect(whole.message).toBe(
      "0 is less than the minimum of 1\n\nFailed validating 'minimum' in schema['properties']['qty']:\n    {'type': 'integer', 'minimum': 1}\n\nOn instance['qty']:\n    0",
    );
    // One event per line, what follows a blank line may be the next print: it is left out.
    const lined = only(makeEvents(perLine));
    expect(lined.message).toBe('0 is less than the minimum of 1');
    expect(fingerprintError(lined)).toBe(fingerprintError(whole));
  });

  it('keeps notes that read like errors with the error they annotate when the print is one event', () => {
    const text = traceText(NOTES);
    const record = only(makeEvents(deliveries(text).oneEvent));
    expect(record.exceptionType).toBe('json.decoder.JSONDecodeError');
    expect(record.message.split('\n')).toEqual([
      'Expecting property name enclosed in double quotes: line 1 column 9 (char 8)',
      'Error: config file /etc/shop/config.json is not valid JSON',
      'ValueError: this usually means a trailing comma',
    ]);
    // Logged one line per event, a note that reads as an error header cannot be told from the next
    // print: it stays a record of its own (known; see the report), the traceback's record unchanged.
    const lined = detectErrors(makeEvents(deliveries(text).perLine));
    expect(lined[0]?.record.message).toBe(
      'Expecting property name enclosed in double quotes: line 1 column 9 (char 8)',
    );
    expect(fingerprintError(lined[0]?.record ?? record)).toBe(fingerprintError(record));
  });

  it('keeps a chain whose cause carries a note one record: the note was read as the end of the traceback', () => {
    // it split into two incidents, the KeyError and the ValueError it caused, the second without its cause
    const { oneEvent, perLine } = deliveries(traceText('python/py311-add-note-on-chained-cause.txt'));
    for (const events of [makeEvents(oneEvent), makeEvents(perLine)]) {
      const record = only(events);
      expect([record.exceptionType, record.message]).toEqual(['ValueError', 'database not configured']);
      expect(record.causes.map((c) => [c.exceptionType, c.message])).toEqual([
        ['KeyError', "'db'\nconfig file: /srv/shop/config.yml"],
      ]);
    }
  });

  it("never takes the server's access line for the failed request, nor a line with a level of its own", () => {
    const { perLine } = deliveries(traceText(FLASK));
    const record = only(makeEvents(perLine));
    expect(record.exceptionType).toBe('KeyError');
    expect(record.message).toBe("'price'");
    expect(record.raw).not.toContain('GET /orders/7');
    const end = perLine.indexOf("KeyError: 'price'") + 1;
    const leveled = [...perLine.slice(6, end), '[2026-12-07 13:33:58,001] INFO in app: order 8 priced'];
    expect(only(makeEvents(leveled)).message).toBe("'price'");
  });

  it("never takes the next statement: Celery's next task line (its level), nor a line with a timestamp the exception line lacks", () => {
    const celery = traceText('python/py311-celery-5.2-billiard-exception-with-traceback.txt')
      .replace(/\n+$/, '')
      .split('\n');
    const next =
      '[2026-12-06 21:36:41,401: INFO/ForkPoolWorker-1] Task shop.price[5b8c0d2e-1f3a-4b5c-9d6e-7f8a9b0c1d2e] received';
    const record = only(makeEvents([...celery, next]));
    expect(record.message).toBe("'lines'");
    // Celery's own line, the task that raised, leads the record
    expect(record.raw.split('\n')[0]).toContain('raised unexpected: ExceptionWithTraceback()');
    const stamped = only(makeEvents([...celery, '2026-12-06 21:36:41 pricing order 8']));
    expect(stamped.message).toBe("'lines'");
  });

  it("ends a Celery task's failure at the worker traceback's closing fence: the worker's shutdown line is not the message", () => {
    // Celery 5.2.6 (billiard 4.1, Python 3.11.7, `-P solo`): a task's chained error, then a retried
    // task's, then Ctrl-C. The shutdown line has no timestamp, so a shipper's multiline pattern
    // (`^\\[`) joins it, after a blank line, to the event of the failure before it.
    const lines = traceText(CELERY_SHUTDOWN).replace(/\n+$/, '').split('\n');
    const last = lines.findLastIndex((line) => line.includes('raised unexpected'));
    for (const events of [
      makeEvents([lines.join('\n')]),
      makeEvents([...lines.slice(0, last), lines.slice(last).join('\n')]),
      makeEvents(lines),
    ]) {
      const found = detectErrors(events).map((d) => d.record);
      expect(found.map((r) => [r.exceptionType, r.message])).toEqual([
        ['tasks2.InvoiceError', 'invoice payload unreadable (4 bytes)'],
        ['ConnectionRefusedError', '[Errno 111] Connection refused'],
      ]);
      expect(found[1]?.raw).not.toContain('Warm shutdown');
      expect(found[1]?.frames.filter((f) => f.inApp).map((f) => `${f.file}:${f.line}`)).toEqual([
        '/srv/audit-a/celeryshop/tasks2.py:33',
        '/srv/audit-a/celeryshop/tasks2.py:31',
      ]);
    }
  });

  it("never takes a script's SyntaxError report that a shipper joined to the crash before it", () => {
    // a worker's crash, then its restart failing to parse the script (`  File "x.py", line 2`, no
    // function, starts that report): one event when a multiline pattern joins what has no timestamp
    const lines = (path: string) => traceText(path).replace(/\n+$/, '').split('\n');
    const crash = lines('python/site-packages-qualified-type.txt');
    const syntax = lines('python/syntax-error.txt');
    const found = detectErrors(makeEvents([[...crash, ...syntax].join('\n')]));
    expect(found.map((d) => d.record.exceptionType)).toEqual([
      'fakelib.exceptions.ConnectionError',
      'SyntaxError',
    ]);
    expect(found[0]?.record.message).toBe(
      "HTTPSConnectionPool(host='prices.internal', port=443): Max retries exceeded",
    );
    expect(found[1]?.record.frames.map((f) => `${f.file}:${f.line}`)).toEqual([
      '/tmp/cap/py/app/syntax.py:2',
    ]);
  });

  it('takes a line logged apart only when it came right after the exception line', () => {
    const lines = traceText('python/py313-add-note.txt').replace(/\n+$/, '').split('\n');
    const late = makeEvents(lines).map((event, i) =>
      i >= lines.length - 2 ? { ...event, timestamp: event.timestamp + 5_000 } : event,
    );
    const found = detectErrors(late);
    expect(found[0]?.record.message).toBe("'total'");
    const onTime = only(makeEvents(lines));
    expect(onTime.message).toBe("'total'\nwhile charging order o-17\nthe cart service sent no total");
  });

  it('reads the same print through the default filter and the read around it', async () => {
    const { jobs } = await deliverThroughDefaultFilter(deliveries(traceText(PYDANTIC)).perLine);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.error.message).toContain('qty\n  Input should be a valid integer');
  });
});

describe("the Lambda Python runtime's report of an error whose message has several lines", () => {
  const text = capturedMessages(
    'python/py311-awslambdaric-text-pydantic-validation-error-unhandled.events.jsonl',
  );
  const json = capturedMessages(
    'python/py311-awslambdaric-json-pydantic-validation-error-unhandled.events.jsonl',
  );

  it('is one record with its frames in the Text format, the fingerprint the JSON format gives', () => {
    const record = only(makeEvents(text));
    expect(record.exceptionType).toBe('ValidationError');
    expect(record.message.split('\n').slice(0, 2)).toEqual(['2 validation errors for Order', 'email']);
    expect(record.message).toContain('lines.0.qty\n  Input should be a valid integer');
    expect(record.frames.map((f) => `${f.file}:${f.line}`)).toEqual([
      '/var/task/lambda_function.py:7',
      '/var/task/pydantic/main.py:732',
    ]);
    expect(fingerprintError(record)).toBe(fingerprintError(only(makeEvents(json))));
  });

  it("keeps the field errors of one that logger.exception logged, the root logger's event being the print", () => {
    const logged = capturedMessages(
      'python/py311-awslambdaric-text-pydantic-validation-error-logger-exception.events.jsonl',
    );
    const record = only(makeEvents(logged));
    expect(record.message).toContain('lines.0.qty\n  Input should be a valid integer');
    expect(fingerprintError(record)).toBe(fingerprintError(only(makeEvents(text))));
  });

  it('hands back what followed a lead no traceback came after, read as before', () => {
    const lines = ['ValueError: order 7 has no lines', 'retrying order 7', 'order 7 failed for good'];
    const found = detectErrors(makeEvents(lines));
    expect(found.map((d) => [d.record.exceptionType, d.record.message])).toEqual([
      ['ValueError', 'order 7 has no lines'],
    ]);
    expect(found[0]?.record.eventIds).toEqual(['e0']);
  });
});

describe('a logged message of several lines before its traceback', () => {
  // `log.exception("charge failed for order %s\npayload: %s", …)`: the message's second line is at
  // column 0, between the error line and the traceback. It was two incidents (a frameless
  // `charge failed…` and the traceback), and through the default filter only the frameless one.
  it('is one record with the error line leading the traceback, in both delivery shapes and through the filter', async () => {
    const { oneEvent, perLine } = deliveries(
      traceText('python/py311-logging-exception-message-of-several-lines.txt'),
    );
    for (const events of [makeEvents(oneEvent), makeEvents(perLine)]) {
      const record = only(events);
      expect([record.exceptionType, record.message]).toEqual(['ZeroDivisionError', 'division by zero']);
      expect(record.raw.split('\n')[0]).toContain('charge failed for order ord-7');
    }
    const { jobs } = await deliverThroughDefaultFilter(perLine);
    expect(jobs.map((j) => j.error.exceptionType)).toEqual(['ZeroDivisionError']);
  });

  it("is one record in the Lambda runtime's Text format, the root logger's one event", () => {
    const logged = capturedMessages(
      'python/py311-awslambdaric-text-logger-exception-message-of-several-lines.events.jsonl',
    );
    const record = only(makeEvents(logged));
    expect(record.exceptionType).toBe('ZeroDivisionError');
    expect(record.frames.at(-1)).toMatchObject({ file: '/var/task/lambda_function.py', line: 9 });
  });

  it('logged one line per event, takes no line written apart from the error line, nor one with a prefix of its own', () => {
    const lines = traceText('python/py311-logging-exception-message-of-several-lines.txt').split('\n');
    const late = makeEvents(lines).map((event, i) =>
      i >= 1 ? { ...event, timestamp: event.timestamp + 5_000 } : event,
    );
    expect(detectErrors(late).map((d) => d.record.exceptionType)).toEqual(['ERROR', 'ZeroDivisionError']);
  });

  it("leaves a JSON logger's statements after the traceback their own, its error line a record", () => {
    // before, both JSON lines were read as more of the ValueError's message, and the error the
    // program logged was no record of its own
    const { oneEvent, perLine } = deliveries(traceText(THREAD_THEN_JSON));
    for (const events of [makeEvents(oneEvent), makeEvents(perLine)]) {
      const found = detectErrors(events).map(({ record }) => [record.exceptionType, record.message]);
      expect(found).toEqual([
        ['ValueError', "invalid literal for int() with base 10: 'three'"],
        ['ERROR', 'reconciler thread died; restarting'],
      ]);
    }
  });

  it("ends the print at loguru's serialized line, whose level is an object of its own", () => {
    const trace = 'python/py311-logging-exception-raise-from.txt';
    const json = 'python/py311-loguru-0.6-serialize-error-without-exception.txt';
    const lines = (path: string) => traceText(path).trimEnd().split('\n');
    const alone = (path: string) => detectErrors(makeEvents(lines(path))).map(({ record }) => record.message);
    const found = detectErrors(makeEvents([...lines(trace), ...lines(json)])).map(
      ({ record }) => record.message,
    );
    expect(found).toEqual([...alone(trace), ...alone(json)]);
  });

  it("ends a traceback where an exception group's box opens the next one, with no chain line between", () => {
    // an asyncio service that logged one error, then had a TaskGroup fail: the box's first line is
    // indented (`  + Exception Group Traceback …`), and was read as more of the first traceback
    const logged = 'python/py313-logging-exception-raise-from.txt';
    const group = 'python/py313-taskgroup-except-star-raise-from.txt';
    const lines = (path: string) => traceText(path).trimEnd().split('\n');
    const alone = (path: string) =>
      detectErrors(makeEvents(lines(path))).map(({ record }) => fingerprintError(record));
    const found = detectErrors(makeEvents([...lines(logged), ...lines(group)])).map(({ record }) =>
      fingerprintError(record),
    );
    expect(found).toEqual([...alone(logged), ...alone(group)]);
  });
});
