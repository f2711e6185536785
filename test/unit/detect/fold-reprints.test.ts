// One error printed twice in one invocation — the handler logs what it caught and throws it again,
// and the Lambda runtime reports it unhandled — is one occurrence (foldReprints). The prints are the
// runtime clients' own output (see the header of lambda-runtime-formats.test.ts for how each
// fixture was captured); where a case needs a second invocation or a later report, the test says
// what it changed of the captured text. The `*-chained` and `*-with-cause` fixtures are one
// invocation each of a handler that logs an error with a cause and raises it again:
// - Python: awslambdaric 4.0.1 (46e4c6a) under Python 3.11.7, `python3.11 -m awslambdaric
//   lambda_function.lambda_handler` from /var/task (its C extension replaced by a pure-Python one
//   serving one invocation): `logger.exception` through the root logger `_setup_logging` installs,
//   then `handle_event_request`'s `log_error`, both through `FramedTelemetryLogSink`;
// - Node.js: the runtime client 3.3.0 (da5777a) under Node 20.20.2, its `run()` with
//   `LogPatch.patchConsole()`, the real RAPIDClient over a stand-in native client and
//   `Runtime.handleOnceNonStreaming`: the handler's `console.error('checkout failed', err)`, then
//   the runtime's `Invoke Error` (its outer `/tmp/cap2/…` frame is the capture's); the
//   `*-powertools-error-*` ones the same with the handler's `logger.error('checkout failed', err)`
//   of Powertools' Logger 2.36.0 after `logger.addContext(context)`, which writes to stderr.
// The `*-raised-from` and `*-wrapping` ones are a handler that logs the error it caught and raises
// another with it as the cause (Python's `raise PricingError(…) from e`, in the handler or in the
// function below it that caught it; Node's `throw new Error(…, { cause: err })`), captured the same
// way with the same commits: Python 3.11.2 through awslambdaric's `run()` with a stand-in for its
// native client and the real FramedTelemetryLogSink (each frame one event); Node 20.20.2 through
// the runtime client's `run()` bundled by its build.js, a stand-in native client, and its
// telemetry log frames. The runtime's report of the raised error names no cause in either.
import { describe, expect, it } from 'vitest';
import type { ErrorRecord, LogEvent } from '../../../functions/core/contracts.ts';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import { capturedMessages, makeEvents } from '../../support/log-events.ts';

const LOG_GROUP = '/aws/lambda/orders';
const fixture = (path: string): string[] => capturedMessages(`${path}.events.jsonl`);
const detect = (events: LogEvent[]) => detectErrors(events).map((d) => d.record);
const eventsOf = (messages: string[], start?: number) =>
  makeEvents(messages, { logGroup: LOG_GROUP, ...(start === undefined ? {} : { start }) });
/** Node's console.error(err) and then the runtime's `Invoke Error` of the same err, one invocation. */
const nodeLogThenThrow = (format: 'text' | 'json') => [
  ...fixture(`javascript/node20-lambda-ric-${format}-console-error-message-then-error`),
  ...fixture(`javascript/node20-lambda-ric-${format}-invoke-error`),
];
const NODE_REQUEST_ID = '5a3e7b1c-2f4d-4c8e-9b6a-1d2e3f4a5b6c';
const PY_REQUEST_ID = '3f9c2a71-8d4e-4b6f-a1c5-7e2d9b0f4a18';

describe('one error printed twice in one invocation', () => {
  it.each(['text', 'json'] as const)(
    'Node.js (%s): console.error(err) and the Invoke Error of that err are one record',
    (format) => {
      const records = detect(eventsOf(nodeLogThenThrow(format)));
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ exceptionType: 'TypeError', eventIds: ['e0', 'e1'] });
    },
  );

  it.each(['text', 'json'] as const)(
    'Python (%s): the logged chain and the runtime report of its last error are one record, with the chain',
    (format) => {
      const prints = fixture(`python/py311-awslambdaric-${format}-logged-then-unhandled-chained`);
      // the report alone names the class without its module and leaves the cause out
      const [report] = detect(eventsOf(prints.slice(1)));
      expect(report).toMatchObject({ exceptionType: 'PricingError', causes: [] });

      const records = detect(eventsOf(prints));
      expect(records).toHaveLength(1);
      expect(records[0]?.eventIds).toEqual(['e0', 'e1']);
      expect(records[0]?.message).toBe("order ord-1042 has a line without 'qty'");
      // Text: `logger.exception` printed the chain, which the record keeps; JSON's logger prints none
      expect(records[0]?.causes.map((c) => c.exceptionType)).toEqual(format === 'text' ? ['KeyError'] : []);
    },
  );

  // Node's Text console.error prints `[cause]` (util.inspect); its JSON format's errorType and
  // stackTrace hold none. Powertools writes `error.cause`, and names the invocation in
  // `function_request_id`.
  it.each([
    ['text', 'console-error', ['TypeError']],
    ['json', 'console-error', []],
    ['text', 'powertools-error', ['TypeError']],
    ['json', 'powertools-error', ['TypeError']],
  ] as const)(
    'Node.js (%s): the %s of an error with a cause and its Invoke Error are one record',
    (format, print, causes) => {
      const prints = fixture(`javascript/node20-lambda-ric-${format}-${print}-then-invoke-error-with-cause`);
      const records = detect(eventsOf(prints));
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ exceptionType: 'Error', eventIds: ['e0', 'e1'] });
      expect(records[0]?.causes.map((c) => c.exceptionType)).toEqual(causes);
    },
  );

  it.each([
    ['python/py311-awslambdaric-text-logged-then-raised-from', 'KeyError', 3],
    ['python/py311-awslambdaric-json-logged-then-raised-from', 'KeyError', 3],
    ['python/py311-awslambdaric-text-logged-deeper-then-raised-from', 'KeyError', 2],
    ['python/py311-awslambdaric-json-logged-deeper-then-raised-from', 'KeyError', 2],
    ['javascript/node20-lambda-ric-text-console-error-then-invoke-error-wrapping', 'TypeError', 5],
    ['javascript/node20-lambda-ric-json-console-error-then-invoke-error-wrapping', 'TypeError', 5],
  ] as const)(
    '%s: the error raised while handling the logged one joins it, the root cause',
    (path, rootCause, frames) => {
      const prints = fixture(path);
      // the runtime's report names no cause: alone, the wrapper would be an incident of its own
      const [report] = detect(eventsOf(prints.slice(1)));
      expect(report?.causes).toEqual([]);
      const [logged] = detect(eventsOf(prints.slice(0, 1)));

      const records = detect(eventsOf(prints));
      expect(records).toHaveLength(1);
      const [record] = records;
      expect(record).toMatchObject({ exceptionType: rootCause, eventIds: ['e0', 'e1'] });
      expect(record?.frames).toHaveLength(frames);
      // both prints are the trace the prompt shows
      expect(record?.raw).toContain(report?.message ?? '?');
      expect(record?.raw).toContain(logged?.message ?? '?');
      // one incident whether or not the report came in the same delivery as the print
      expect(fingerprintError(record as ErrorRecord)).toBe(fingerprintError(logged as ErrorRecord));
    },
  );

  it('keeps an error apart that was not raised while handling the one logged before it', () => {
    const prints = fixture('python/py311-awslambdaric-text-logged-then-raised-from');
    const [logged = '', report = ''] = prints;
    // edited: the report's raise moved above the call the logged error passed through
    const raisedBefore = report.replace('line 13, in lambda_handler', 'line 9, in lambda_handler');
    expect(detect(eventsOf([logged, raisedBefore]))).toHaveLength(2);
    // edited: raised in a function the logged error did not pass through
    const raisedElsewhere = report.replace('line 13, in lambda_handler', 'line 13, in refund_handler');
    expect(detect(eventsOf([logged, raisedElsewhere]))).toHaveLength(2);
    // more than 2 s later: a report that names no invocation may be another's
    const late = [...eventsOf([logged]), ...eventsOf([report], 1_714_564_800_000 + 2_001)].map((e, i) => ({
      ...e,
      id: `e${i}`,
    }));
    expect(detect(late)).toHaveLength(2);
    // another invocation named (JSON format)
    const [jsonLogged = '', jsonReport = ''] = fixture(
      'python/py311-awslambdaric-json-logged-then-raised-from',
    );
    const other = jsonReport.replace(PY_REQUEST_ID, '0b9d6a2e-7c41-4f3a-8e5d-2c6b1a9f0e37');
    expect(other).not.toBe(jsonReport);
    expect(detect(eventsOf([jsonLogged, other]))).toHaveLength(2);
    // the same two prints outside Lambda (no invocation named): nothing ties them
    const bare = logged.replace(/^\[ERROR\]\t\S+\t\S+\t/, '');
    expect(bare).not.toBe(logged);
    expect(detect(eventsOf([bare, report]))).toHaveLength(2);
  });

  it('waits 2 s at most for a report that names no invocation, and joins one report to a print', () => {
    const [logged = '', report = ''] = fixture(
      'python/py311-awslambdaric-text-logged-then-unhandled-chained',
    );
    const late = [...eventsOf([logged]), ...eventsOf([report], 1_714_564_800_000 + 2_001)].map((e, i) => ({
      ...e,
      id: `e${i}`,
    }));
    expect(detect(late)).toHaveLength(2);
    // a second report (another invocation that logged nothing) is an occurrence of its own
    expect(detect(eventsOf([logged, report, report])).map((r) => r.eventIds)).toEqual([['e0', 'e1'], ['e2']]);
  });

  it('keeps one record per invocation: the same bug in two invocations is two occurrences', () => {
    const second = nodeLogThenThrow('text').map((line) =>
      line.replaceAll(NODE_REQUEST_ID, '0b9d6a2e-7c41-4f3a-8e5d-2c6b1a9f0e37'),
    );
    const records = detect(eventsOf([...nodeLogThenThrow('text'), ...second]));
    expect(records.map((r) => r.eventIds)).toEqual([
      ['e0', 'e1'],
      ['e2', 'e3'],
    ]);
  });

  it('does not join prints of other invocations, nor of the same error raised elsewhere', () => {
    // the Python runtime's Text report names no invocation: two of them are two invocations
    const report = fixture('python/py311-awslambdaric-text-unhandled');
    expect(detect(eventsOf([...report, ...report]))).toHaveLength(2);
    // captured from two handlers: the same KeyError, logged in one and raised from the other
    const logged = fixture('python/py311-awslambdaric-text-logger-exception');
    const records = detect(eventsOf([...logged, ...report]));
    expect(records.map((r) => r.frames[0]?.function)).toEqual(['lambda_handler_logged', 'lambda_handler']);
  });
});
