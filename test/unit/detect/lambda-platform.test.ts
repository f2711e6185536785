// The Lambda platform's own reports of an invocation it stopped: a timeout, the memory running out,
// the runtime process exiting. Lambda writes these lines itself (no runtime client prints them, so
// they cannot be captured here): the `documented-*.events.jsonl` fixtures in
// test/fixtures/traces/lambda/ are whole invocations as a stream holds them, one CloudWatch event
// per line, put together from
// - the `Task timed out after 5.01 seconds` event of a CloudWatch Logs subscription payload kept in
//   a public project's tests (2019), and the same line in AWS's troubleshooting pages;
// - REPORT and INIT_REPORT lines with `Status: timeout` and `Status: error\tError Type:
//   Runtime.OutOfMemory` as users quote them from their log groups (tab-separated fields);
// - the runtime's exit, `RequestId: … Error: Runtime exited with error: signal: killed` then
//   `Runtime.ExitError` (the reasons are the ones the Lambda Runtime Interface Emulator's
//   rapid/handlers.go words: `Runtime exited with error: <how>`, `… without providing a reason`);
// - the JSON log format's `platform.report` (the Telemetry API event schema: `status` `timeout`
//   with no `errorType`, `error` with one).
import { describe, expect, it } from 'vitest';
import type { ErrorRecord } from '../../../functions/core/contracts.ts';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import {
  invocationLastLines,
  MAX_LAST_LINES,
  mayBePlatformLine,
  requestIdOfLine,
} from '../../../functions/core/detect/lambda-platform.ts';
import { explainUnplacedTrace } from '../../../functions/core/repair/explain-unplaced-trace.ts';
import { redact } from '../../../functions/core/text/redact.ts';
import { capturedMessages, makeEvents, passesDefaultFilter } from '../../support/log-events.ts';

const messages = (name: string): string[] => capturedMessages(`lambda/${name}`);

function records(lines: readonly string[], logGroup = '/aws/lambda/checkout'): ErrorRecord[] {
  return detectErrors(makeEvents(lines, { logGroup })).map((d) => d.record);
}

/**
 * What the default subscription filter delivers of `lines`: an OR of terms (`?ERROR`) and quoted
 * phrases (`?"Task timed out"`), each matched case-sensitively in the event's text.
 */
function delivered(lines: readonly string[]): string[] {
  return lines.filter(passesDefaultFilter);
}

describe('the Lambda platform reports a stopped invocation', () => {
  it('records a timeout once, from the `Task timed out` line and the REPORT that both tell it', () => {
    const found = records(messages('documented-text-timeout.events.jsonl'));

    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      language: 'unknown',
      exceptionType: 'Sandbox.Timedout',
      message: 'Task timed out after 3.00 seconds (function checkout)',
      frames: [],
      raw: expect.stringContaining('Task timed out after 3.00 seconds'),
      // both lines are this record's: a redelivery of either counts nothing twice
      eventIds: ['e2', 'e4'],
    });
  });

  it('names a memory kill by the REPORT, over the runtime exit it caused', () => {
    const found = records(messages('documented-text-out-of-memory.events.jsonl'));

    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      exceptionType: 'Runtime.OutOfMemory',
      message: 'Out of memory: Max Memory Used 1024 MB of 1024 MB (function checkout)',
      eventIds: ['e2', 'e4'],
    });
  });

  it("keeps a runtime exit's reason, and leaves its REPORT to it", () => {
    const found = records(messages('documented-text-runtime-exit.events.jsonl'));

    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      exceptionType: 'Runtime.ExitError',
      message: 'Runtime exited with error: exit status 1 (function checkout)',
      eventIds: ['e1'],
    });
  });

  it('records an init phase that timed out apart from invocations that did', () => {
    const [init] = records(messages('documented-init-timeout.events.jsonl'));
    const [invoke] = records(messages('documented-text-timeout.events.jsonl'));

    expect(init).toMatchObject({
      exceptionType: 'Sandbox.Timedout',
      message: 'Init phase timed out after 10.01 seconds (function checkout)',
    });
    expect(fingerprintError(init as ErrorRecord)).not.toBe(fingerprintError(invoke as ErrorRecord));
  });

  it("reads the JSON log format's platform.report as the Text format's lines", () => {
    const [json] = records(messages('documented-json-timeout.events.jsonl'));
    const [text] = records(messages('documented-text-timeout.events.jsonl'));
    const [jsonMemory] = records(messages('documented-json-out-of-memory.events.jsonl'));
    const [textMemory] = records(messages('documented-text-out-of-memory.events.jsonl'));

    expect(json).toMatchObject({ exceptionType: 'Sandbox.Timedout', eventIds: ['e2'] });
    expect(jsonMemory).toMatchObject({ exceptionType: 'Runtime.OutOfMemory', eventIds: ['e1'] });
    expect(fingerprintError(json as ErrorRecord)).toBe(fingerprintError(text as ErrorRecord));
    expect(fingerprintError(jsonMemory as ErrorRecord)).toBe(fingerprintError(textMemory as ErrorRecord));
  });

  it('gives every timeout of one function one fingerprint, and each function its own', () => {
    const stream = messages('documented-text-timeout.events.jsonl');
    const print = (lines: string[], logGroup?: string) => {
      const found = records(lines, logGroup);
      expect(found).toHaveLength(1);
      return fingerprintError(found[0] as ErrorRecord);
    };
    const whole = print(stream);
    // The filter delivers the two lines in one payload, or a payload holds one of them.
    expect(print(delivered(stream))).toBe(whole);
    expect(print([stream[2] as string])).toBe(whole);
    expect(print([stream[4] as string])).toBe(whole);
    const slower = stream.map((line) =>
      line.replace('3.00 seconds', '30.01 seconds').replace('3003.12', '30012.40'),
    );
    expect(print(slower)).toBe(whole);
    expect(print(stream, '/aws/lambda/refunds')).not.toBe(whole);
    // A function set to log to a group of its own is named by that group.
    expect(records(stream, '/shop/orders')[0]?.message).toBe(
      'Task timed out after 3.00 seconds (log group /shop/orders)',
    );
  });

  it('is delivered by the default filter pattern, every fixture with its failure', () => {
    for (const [name, type] of [
      ['documented-text-timeout.events.jsonl', 'Sandbox.Timedout'],
      ['documented-text-out-of-memory.events.jsonl', 'Runtime.OutOfMemory'],
      ['documented-text-runtime-exit.events.jsonl', 'Runtime.ExitError'],
      ['documented-init-timeout.events.jsonl', 'Sandbox.Timedout'],
      ['documented-json-timeout.events.jsonl', 'Sandbox.Timedout'],
      ['documented-json-out-of-memory.events.jsonl', 'Runtime.OutOfMemory'],
    ] as const) {
      expect(
        records(delivered(messages(name))).map((r) => r.exceptionType),
        name,
      ).toEqual([type]);
    }
    // A JSON-format timeout has no errorType: `timeout` is the one term that delivers its report.
    expect(
      delivered(messages('documented-json-timeout.events.jsonl')).map((line) => JSON.parse(line).type),
    ).toEqual(['platform.report']);
  });

  it('records nothing for the REPORT of an invocation that ended normally, or its other lines', () => {
    const R = '0b6a3c44-7f2e-4d5a-8c1b-9e0f1a2b3c4d';
    const lines = [
      `START RequestId: ${R} Version: $LATEST\n`,
      `END RequestId: ${R}\n`,
      `REPORT RequestId: ${R}\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 61 MB\t\n`,
      `REPORT RequestId: ${R}\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 61 MB\tStatus: success\n`,
      'INIT_REPORT Init Duration: 160.15 ms\tPhase: init\tStatus: success\n',
      `{"time":"2024-05-01T12:00:00.013Z","type":"platform.report","record":{"requestId":"${R}","metrics":{"durationMs":12.34,"billedDurationMs":13,"memorySizeMB":128,"maxMemoryUsedMB":61},"status":"success"}}`,
      `{"time":"2024-05-01T12:00:00.013Z","type":"platform.runtimeDone","record":{"requestId":"${R}","status":"timeout"}}`,
      '2024-05-01T12:00:00.120Z INFO the batch timed out after 3 retries',
    ];
    expect(records(lines)).toEqual([]);
  });

  it('ends a trace the REPORT follows, and records both', () => {
    const R = '5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6';
    const found = records([
      `[ERROR] KeyError: 'qty'\nTraceback (most recent call last):\n  File "/var/task/lambda_function.py", line 8, in handler\n    return price(event)\n`,
      `REPORT RequestId: ${R}\tDuration: 3003.12 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 84 MB\tStatus: timeout\n`,
    ]);
    expect(found.map((r) => r.exceptionType)).toEqual(['KeyError', 'Sandbox.Timedout']);
    expect(found[0]?.frames).toHaveLength(1);
  });

  it('keeps the invocations of one payload apart', () => {
    const stream = messages('documented-text-timeout.events.jsonl');
    const other = stream.map((line) =>
      line.replaceAll('8b2c0ff1-5c1e-4a3e-9d0e-1f2a3b4c5d6e', '9c3d1002-6d2f-4b4f-8e1f-2a3b4c5d6e7f'),
    );
    const found = records([...stream, ...other]);
    expect(found.map((r) => r.eventIds)).toEqual([
      ['e2', 'e4'],
      ['e7', 'e9'],
    ]);
  });

  it('asks a few characters of an ordinary line, never its whole text', () => {
    // The check runs on every delivered line, before the keyword check.
    expect(mayBePlatformLine('2024-05-01T12:00:00.002Z INFO [worker-1] c.e.Jobs - processed batch 2')).toBe(
      false,
    );
    expect(mayBePlatformLine('{"level":"info","msg":"request completed"}')).toBe(false);
    expect(mayBePlatformLine('Task timed out after 3.00 seconds')).toBe(false);
    expect(
      mayBePlatformLine(
        '2019-09-18T00:02:46.542Z f2704689-7aa3-4af3-ac88-857c01c4bd45 Task timed out after 5.01 seconds',
      ),
    ).toBe(true);
  });

  it('says in the no-fix email why Lambda stopped it and where a person looks, with no model call', () => {
    const [timeout] = records(messages('documented-text-timeout.events.jsonl'));
    const [memory] = records(messages('documented-text-out-of-memory.events.jsonl'));
    const [exit] = records(messages('documented-text-runtime-exit.events.jsonl'));
    const explain = (error: ErrorRecord | undefined) =>
      explainUnplacedTrace({ error: error as ErrorRecord, mappings: [], scope: 'trace' });

    expect(explain(timeout)).toMatch(
      /^no fix was attempted: Lambda stopped the invocation at the function's configured timeout/,
    );
    expect(explain(timeout)).toContain('no timeout of its own');
    expect(explain(memory)).toContain('used all of its memory');
    expect(explain(exit)).toContain('runtime process exited');
    for (const error of [timeout, memory, exit]) expect(explain(error)).toContain('no model call was made');
  });

  describe('what a timed-out invocation logged last', () => {
    const ID = '8b2c0ff1-5c1e-4a3e-9d0e-1f2a3b4c5d6e';
    const PREVIOUS = '0b6a3c44-7f2e-4d5a-8c1b-9e0f1a2b3c4d';
    const at = (i: number, message: string) => ({ timestamp: 1_714_564_800_000 + i, message });
    const lastLines = (events: { timestamp: number; message: string }[]) =>
      invocationLastLines(events, ID, (line) => redact(line));

    it("keeps its own lines after its START, the newest ten, redacted, and none of Lambda's", () => {
      // Built by concatenation so secret scanners do not flag the repository.
      const key = `AKIA${'IOSFODNN7EXAMPLE'}`;
      const own = Array.from(
        { length: 12 },
        (_, i) => `[INFO]\t2024-05-01T12:00:00.${100 + i}Z\t${ID}\tstep ${i}`,
      );
      const events = [
        at(0, `[INFO]\t2024-05-01T11:59:59.000Z\t${PREVIOUS}\tthe previous invocation`),
        at(1, `END RequestId: ${PREVIOUS}\n`),
        at(
          2,
          `REPORT RequestId: ${PREVIOUS}\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 61 MB\t\n`,
        ),
        at(3, `START RequestId: ${ID} Version: $LATEST\n`),
        ...own.map((line, i) => at(4 + i, `${line}\n`)),
        at(
          16,
          `[INFO]\t2024-05-01T12:00:00.200Z\t${ID}\tcalling https://payments.example.com/charge with ${key}\n`,
        ),
      ];

      const found = lastLines(events.reverse());

      expect(found).toHaveLength(MAX_LAST_LINES);
      expect(found.slice(0, -1)).toEqual(own.slice(-(MAX_LAST_LINES - 1)));
      expect(found.at(-1)).toContain('calling https://payments.example.com/charge with');
      expect(found.at(-1)).not.toContain(key);
    });

    it('keeps only its own lines where invocations run concurrently (Lambda Managed Instances)', () => {
      // Runtime client 4.0 with AWS_LAMBDA_MAX_CONCURRENCY (two worker threads, four invocations at
      // once, captured): one stream, the invocations' JSON lines interleaved, each naming its own.
      const stream = capturedMessages(
        'lambda/node24-lambda-ric-4.0-managed-instances-concurrent.events.jsonl',
      );
      const first = '11111111-2f4d-4c8e-9b6a-1d2e3f4a5b6c';
      const start = JSON.stringify({
        time: '2026-12-07T11:39:40.750Z',
        type: 'platform.start',
        record: { requestId: first, version: '$LATEST' },
      });
      const events = [start, ...stream].map((message, i) => at(i, message));
      const own = invocationLastLines(events, first, (line) => redact(line));
      expect(own.map((line) => JSON.parse(line).message)).toEqual([
        'pricing order o-1',
        'priced order o-1 2',
      ]);
      // and the one invocation that failed among them is one record, its own
      const found = detectErrors(makeEvents(stream));
      expect(found.map((d) => [d.record.exceptionType, d.requestId])).toEqual([
        ['TypeError', '22222222-2f4d-4c8e-9b6a-1d2e3f4a5b6c'],
      ]);
    });

    it("reads a read that began after its START up to Lambda's last line about another invocation", () => {
      expect(
        lastLines([
          at(0, 'the previous invocation, its lines cut by the read'),
          at(1, `REPORT RequestId: ${PREVIOUS}\tDuration: 12.34 ms\t\n`),
          at(2, 'opening a connection to db.internal:5432\n'),
          at(3, `END RequestId: ${ID}\n`),
        ]),
      ).toEqual(['opening a connection to db.internal:5432']);
      expect(lastLines([at(0, 'waiting for the queue'), at(1, 'still waiting')])).toEqual([
        'waiting for the queue',
        'still waiting',
      ]);
    });

    it('reads the JSON log format alike', () => {
      expect(
        lastLines([
          at(
            0,
            `{"time":"2024-05-01T12:00:00.000Z","type":"platform.start","record":{"requestId":"${ID}","version":"$LATEST"}}`,
          ),
          at(
            1,
            `{"timestamp":"2024-05-01T12:00:00.120Z","level":"INFO","requestId":"${ID}","message":"calling the payments API"}`,
          ),
        ]),
      ).toEqual([
        `{"timestamp":"2024-05-01T12:00:00.120Z","level":"INFO","requestId":"${ID}","message":"calling the payments API"}`,
      ]);
    });
  });

  describe('a runtime Lambda could not start', () => {
    // documented-text-invalid-entrypoint.events.jsonl: the log a user quoted in aws/aws-lambda-go#554
    // (a Go bootstrap built for another architecture, provided.al2023); the other reasons as users
    // quoted them (awslabs/aws-lambda-dart-runtime#20, softprops/serverless-rust#98). The line is
    // the Lambda Runtime Interface Emulator's FaultData: `RequestId: <id> Error: <reason>\n<type>`.
    const stream = messages('documented-text-invalid-entrypoint.events.jsonl');

    it('records the fault once, with its reason, as the default filter delivers it', () => {
      for (const lines of [stream, delivered(stream)]) {
        const found = records(lines, '/aws/lambda/hello');
        expect(found).toHaveLength(1);
        expect(found[0]).toMatchObject({
          exceptionType: 'Runtime.InvalidEntrypoint',
          message: 'fork/exec /var/task/bootstrap: exec format error (function hello)',
          frames: [],
        });
      }
      // the two INIT_REPORTs (`Error Type:`) are delivered too, and add no record of their own
      expect(delivered(stream)).toHaveLength(3);
    });

    it('says what each reason means, with no model call', () => {
      const explain = (reason: string) => {
        const lines = stream.map((line) => line.replace('exec format error', reason));
        const [record] = records(lines, '/aws/lambda/hello');
        return explainUnplacedTrace({ error: record as ErrorRecord, mappings: [], scope: 'trace' });
      };
      expect(explain('exec format error')).toContain(
        'Lambda could not run /var/task/bootstrap: it was built for another CPU architecture',
      );
      expect(explain('no such file or directory')).toContain(
        "a custom runtime's zip has to hold an executable named bootstrap at its root",
      );
      expect(explain('permission denied')).toContain(
        '/var/task/bootstrap is not executable in the deployed package',
      );
      for (const reason of ['exec format error', 'permission denied'])
        expect(explain(reason)).toMatch(/^no fix was attempted: .*\(no model call was made\)$/);
    });

    it('reads any fault type Lambda reports on that line, and no other line that starts alike', () => {
      const id = '0b6a3c44-7f2e-4d5a-8c1b-9e0f1a2b3c4d';
      expect(
        records([`RequestId: ${id} Error: exit code 0\nExtension.Crash\n`]).map((r) => r.exceptionType),
      ).toEqual(['Extension.Crash']);
      // an application's own line that happens to start with the words
      expect(records([`RequestId: ${id} Error: the cart was empty\n`])).toEqual([]);
    });
  });

  describe('a runtime that dies of an error it did not catch', () => {
    // The runtime logs the error and exits; Lambda then reports the exit on its own line. The
    // error's lines are captured from the runtimes (the fixtures of lambda-runtime-formats.test.ts);
    // Lambda's lines around them are worded as in documented-text-runtime-exit.events.jsonl.
    const captured = capturedMessages;
    // the request id the captured Node runtime ran its invocation under
    const NODE_ID = '5a3e7b1c-2f4d-4c8e-9b6a-1d2e3f4a5b6c';
    const exitLines = (id: string, status: number) => [
      `RequestId: ${id} Error: Runtime exited with error: exit status ${status}\nRuntime.ExitError\n`,
      `END RequestId: ${id}\n`,
      `REPORT RequestId: ${id}\tDuration: 41.07 ms\tBilled Duration: 42 ms\tMemory Size: 128 MB\tMax Memory Used: 61 MB\tStatus: error\tError Type: Runtime.ExitError\n`,
    ];
    const crash = (errorLines: readonly string[], id: string, status: number) => [
      `START RequestId: ${id} Version: $LATEST\n`,
      ...errorLines,
      ...exitLines(id, status),
    ];
    const alone = (lines: readonly string[]) => records(lines);

    it.each([
      ['javascript/node20-lambda-ric-text-unhandled-rejection.events.jsonl', NODE_ID, 128],
      // A function whose code does not load: the runtime logs why (no invocation yet, so no
      // request id) and exits; Lambda reports the exit in the invocation that started it.
      ['lambda/node20-lambda-ric-text-import-module-error.events.jsonl', NODE_ID, 129],
      ['lambda/py311-awslambdaric-text-import-module-error.events.jsonl', NODE_ID, 1],
      [
        'go/go119-aws-lambda-go-1.54-nil-pointer-panic.events.jsonl',
        'c3a1e7d2-0b4f-4c8e-9a61-2f5d8e7b9c10',
        1,
      ],
    ])("%s: one crash is one record, the error holding the exit's event", (path, id, status) => {
      const error = captured(path);
      const [expected] = alone(error);
      const stream = crash(error, id, status);
      const exitIndex = stream.findIndex((line) => line.startsWith('RequestId: '));

      for (const lines of [stream, delivered(stream)]) {
        const found = records(lines);
        expect(found, path).toHaveLength(1);
        const [record] = found as [ErrorRecord];
        expect(record.exceptionType).toBe(expected?.exceptionType);
        expect(fingerprintError(record)).toBe(fingerprintError(expected as ErrorRecord));
        // the exit's event is counted with the crash: a redelivery of it adds nothing
        expect(record.eventIds.at(-1)).toBe(`e${lines.indexOf(stream[exitIndex] as string)}`);
      }
    });

    it("reads the JSON log format's report of the exit: the crash's error holds it, a bare exit is its own record", () => {
      // The JSON format has no `RequestId: … Error: Runtime exited` line: its platform.report (the
      // Telemetry API's shape, as documented-json-out-of-memory.events.jsonl) names the exit.
      const report = (id: string) =>
        JSON.stringify({
          time: '2026-12-06T03:50:39.201Z',
          type: 'platform.report',
          record: {
            requestId: id,
            metrics: { durationMs: 41.07, billedDurationMs: 42, memorySizeMB: 128, maxMemoryUsedMB: 61 },
            status: 'error',
            errorType: 'Runtime.ExitError',
          },
        });
      const error = captured('javascript/node20-lambda-ric-json-unhandled-rejection.events.jsonl');
      const stream = [...error, report(NODE_ID)];
      for (const lines of [stream, delivered(stream)]) {
        const found = records(lines);
        expect(found.map((r) => [r.exceptionType, r.eventIds])).toEqual([
          ['TypeError', ['e0', `e${lines.length - 1}`]],
        ]);
      }
      // `process.exit(1)`: nothing but the report
      expect(records(delivered([report(NODE_ID)]))).toEqual([
        expect.objectContaining({
          exceptionType: 'Runtime.ExitError',
          message: 'Runtime exited: the JSON log format names no reason (function checkout)',
        }),
      ]);
    });

    it("reads the invocation from each runtime's prefix, and from none where there is none", () => {
      const id = '2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901';
      for (const line of [
        `2026-12-06T03:50:38.895Z\t${id}\tERROR\tUncaught Exception \t{"errorType":"TypeError"}`,
        `[ERROR]\t2026-12-06T03:50:38.895Z\t${id}\tpayment failed`,
        `E, [2026-12-06T03:50:38.895123 #8] ERROR ${id} -- : undefined method 'email' for nil (NoMethodError)`,
        `{"timestamp":"2026-12-06T03:50:38.895Z","level":"ERROR","requestId":"${id}","message":{}}`,
        // the Java runtime's JSON format; Powertools' Logger (after addContext / inject_lambda_context)
        `{"timestamp":"2026-12-06T02:57:41.178Z","message":"boom","level":"ERROR","AWSRequestId":"${id}"}`,
        `{"level":"ERROR","message":"checkout failed","service":"orders","function_request_id":"${id}"}`,
        // the Python runtime's JSON logger writes it after the stack, however long
        `{"level": "ERROR", "stackTrace": ["${'  File \\"/var/task/app.py\\", line 1, in h\\n'.repeat(40)}"], "requestId": "${id}"}`,
      ])
        expect(requestIdOfLine(line), line).toBe(id);
      for (const line of [
        '2026/12/06 03:21:45 {"errorMessage":"runtime error","errorType":"errorString"}',
        `[ERROR] KeyError: 'qty'`,
        `2026-12-06T03:50:38.895Z ERROR order ${id} failed`,
      ])
        expect(requestIdOfLine(line), line).toBeUndefined();
    });

    it('keeps an exit of its own when the error before it named another invocation', () => {
      // Node's Text format names the invocation: an error an earlier invocation logged (and survived)
      // is not why this one exited, however soon after.
      const earlier = captured('javascript/node20-lambda-ric-text-invoke-error.events.jsonl');
      const other = '7d4e5f60-1a2b-4c3d-9e8f-0a1b2c3d4e5f';
      const found = records([...earlier, ...exitLines(other, 1)]);
      expect(found.map((r) => r.exceptionType)).toEqual(['TypeError', 'Runtime.ExitError']);
    });

    it('ties an error that names no invocation only when the exit follows it at once', () => {
      const panic = captured('go/go119-aws-lambda-go-1.54-nil-pointer-panic.events.jsonl');
      const id = 'c3a1e7d2-0b4f-4c8e-9a61-2f5d8e7b9c10';
      const start = 1_714_564_800_000;
      const later = (ms: number) => [
        ...makeEvents(panic, { start }),
        ...makeEvents(exitLines(id, 1), { start: start + ms, idPrefix: 'x' }),
      ];
      expect(detectErrors(later(40)).map((d) => d.record.exceptionType)).toEqual(['errorString']);
      expect(detectErrors(later(60_000)).map((d) => d.record.exceptionType)).toEqual([
        'errorString',
        'Runtime.ExitError',
      ]);
      // another stream's exit is another execution environment's
      const elsewhere = [
        ...makeEvents(panic, { start }),
        ...makeEvents(exitLines(id, 1), { start: start + 40, idPrefix: 'x', logStream: 'stream-2' }),
      ];
      expect(detectErrors(elsewhere)).toHaveLength(2);
    });

    it('ties each crash of a stream to its own exit, and leaves a bare exit alone', () => {
      const rejection = captured('javascript/node20-lambda-ric-text-unhandled-rejection.events.jsonl');
      const second = '2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901';
      const third = '3c4d5e6f-7081-4293-a4b5-c6d7e8f90a12';
      const lines = [
        ...crash(rejection, NODE_ID, 128),
        ...crash(
          rejection.map((line) => line.replace(NODE_ID, second)),
          second,
          128,
        ),
        // `process.exit(1)` logs nothing first
        ...crash([], third, 1),
      ];
      const found = records(lines);
      expect(found.map((r) => r.exceptionType)).toEqual([
        expect.not.stringMatching(/ExitError/),
        expect.not.stringMatching(/ExitError/),
        'Runtime.ExitError',
      ]);
      expect(found.map((r) => r.eventIds)).toEqual([['e1', 'e2'], ['e6', 'e7'], ['e11']]);
    });
  });
});
