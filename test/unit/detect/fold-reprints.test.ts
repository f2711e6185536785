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
import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../../functions/core/contracts.ts';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
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
