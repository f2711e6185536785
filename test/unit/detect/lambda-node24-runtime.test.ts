// The Lambda Node.js 24 runtime (nodejs24.x, and nodejs22.x on Managed Instances) runs runtime
// client 4.x, a rewrite of the 3.x that nodejs20.x runs (lambda-runtime-formats.test.ts). Captured
// here: aws-lambda-ric 4.0.2 (the npm package's index.mjs, installed as /var/runtime/index.mjs) run
// whole under Node 24.22 as root with the code at /var/task, against a stand-in Runtime API on
// 127.0.0.1 (AWS_LAMBDA_NODEJS_USE_ALTERNATIVE_CLIENT_1 for `next`; the native addon replaced by a
// stand-in that posts results and errors over HTTP), in both log formats. Each telemetry frame is
// one event; each line the process printed to stderr is one event, as Lambda keeps them. What 4.x
// changed, and what the detector must read:
// - outside an invocation its Text prefix names request id `-` (3.x: `undefined`), its JSON format
//   `"requestId":"-"`; a load failure is logged as `Init Error` (3.x: `Uncaught Exception`);
// - it then throws the failure on, and Node prints it again, raw, as the process dies
//   (`node:internal/process/promises:394` … `Node.js v24.22.3`): one failure, two prints;
// - its JSON format names an error by its class (`HandlerNotFoundError`), its Text format and
//   Node's print by its name (`Runtime.HandlerNotFound`; util.inspect's `ImportModuleError
//   [Runtime.ImportModuleError]`, or `{ name: 'Runtime.UserCodeSyntaxError' }` after the frames);
// - it no longer catches an unhandled rejection or an uncaught exception: Node prints it to
//   stderr with no prefix and exits 1 (3.x logged `Unhandled Promise Rejection` and exited 128);
// - a handler that takes a callback is refused at init (`Runtime.CallbackHandlerDeprecated`).
import { describe, expect, it } from 'vitest';
import type { ErrorRecord, LogEvent, RepairJob } from '../../../functions/core/contracts.ts';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import { isInitPhaseLine, requestIdOfLine } from '../../../functions/core/detect/lambda-platform.ts';
import { explainHandlerLoadFailure } from '../../../functions/core/repair/explain-handler-load-failure.ts';
import { makeFakeRepo } from '../../support/fake-repo.ts';
import { deliverThroughDefaultFilter } from '../../support/filtered-delivery.ts';
import { capturedMessages, makeEvents } from '../../support/log-events.ts';

const LOG_GROUP = '/aws/lambda/orders';
const STREAM = '2026/12/07/[$LATEST]0a1b2c3d4e5f';
const path = (format: string, scenario: string) =>
  `lambda/node24-lambda-ric-4.0-${format}-${scenario}.events.jsonl`;
const CALLBACK_REMOVED =
  'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. You need to modify this function to use a supported handler signature to use Node.js 24 or later. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.';

interface Scenario {
  scenario: string;
  type: string;
  message: string;
  /** the innermost in-app frame as `file:line`, or undefined when the runtime's frames are all there is */
  at: string | undefined;
}

const SCENARIOS: Scenario[] = [
  {
    scenario: 'invoke-error',
    type: 'TypeError',
    message: "Cannot read properties of undefined (reading 'lines')",
    at: '/var/task/orders.js:2',
  },
  {
    scenario: 'console-error-message-then-error',
    type: 'TypeError',
    message: "Cannot read properties of undefined (reading 'lines')",
    at: '/var/task/orders.js:2',
  },
  {
    scenario: 'unhandled-rejection',
    type: 'TypeError',
    message: "Cannot read properties of undefined (reading 'email')",
    at: '/var/task/notify.js:3',
  },
  {
    scenario: 'uncaught-timer',
    type: 'TypeError',
    message: "Cannot read properties of undefined (reading 'region')",
    at: '/var/task/metrics.js:2',
  },
  {
    scenario: 'init-type-error',
    type: 'TypeError',
    message: "Cannot read properties of undefined (reading 'orders')",
    at: '/var/task/lib/orders.js:3',
  },
  {
    scenario: 'handler-not-found',
    type: 'Runtime.HandlerNotFound',
    message: 'index.handler is undefined or not exported',
    at: undefined,
  },
  {
    scenario: 'import-module-error',
    type: 'Runtime.ImportModuleError',
    message: "Cannot find module 'axios'\nRequire stack:\n- /var/task/index.js",
    at: undefined,
  },
  {
    scenario: 'esm-package-not-found',
    type: 'Error',
    message: "Cannot find package 'axios' imported from /var/task/index.mjs",
    at: '/var/task/index.mjs:undefined',
  },
  // 4.x puts Node's code excerpt in the stack: the broken file is named (3.x named none)
  {
    scenario: 'user-code-syntax-error',
    type: 'Runtime.UserCodeSyntaxError',
    message: 'missing ) after argument list',
    at: '/var/task/index.js:2',
  },
  // The runtime calls any SyntaxError thrown while the module loads a syntax error, JSON.parse's too:
  // its frames say where.
  {
    scenario: 'init-top-level-await',
    type: 'Runtime.UserCodeSyntaxError',
    message: '"undefined" is not valid JSON',
    at: '/var/task/config.mjs:3',
  },
  {
    scenario: 'callback-handler',
    type: 'Runtime.CallbackHandlerDeprecated',
    message: CALLBACK_REMOVED,
    at: undefined,
  },
];

const CASES = SCENARIOS.flatMap((s) => ['text', 'json'].map((format) => ({ ...s, format })));

const events = (messages: readonly string[]): LogEvent[] =>
  makeEvents(messages, { logGroup: LOG_GROUP, logStream: STREAM });

function expectRead(record: ErrorRecord, { type, message, at }: Scenario): void {
  const inApp = record.frames.filter((f) => f.inApp).at(-1);
  expect({
    type: record.exceptionType,
    message: record.message,
    at: inApp && `${inApp.file}:${inApp.line}`,
  }).toEqual({ type, message, at });
}

describe('the Lambda Node.js 24 runtime (runtime client 4.0)', () => {
  it.each(CASES)('$format $scenario: one record, every print of it one occurrence', (c) => {
    const messages = capturedMessages(path(c.format, c.scenario));
    const found = detectErrors(events(messages));
    expect(found).toHaveLength(1);
    const record = (found[0] as { record: ErrorRecord }).record;
    expectRead(record, c);
    // The runtime's report and Node's raw print of it, when both were written, are one record.
    const isRuntimeLine = (m: string) => m.startsWith('{') || /^\d{4}-\d\d-\d\dT/.test(m);
    const firstPrinted = messages.findIndex((m) => !isRuntimeLine(m));
    if (firstPrinted > 0) {
      expect(record.eventIds).toContain('e0');
      expect(record.eventIds.some((id) => Number(id.slice(1)) >= firstPrinted)).toBe(true);
    }
  });

  it.each(CASES)(
    '$format $scenario: one incident through the default filter and the read back',
    async (c) => {
      const { delivered, jobs } = await deliverThroughDefaultFilter(
        capturedMessages(path(c.format, c.scenario)),
        {
          logGroup: LOG_GROUP,
          logStream: STREAM,
        },
      );
      expect(delivered.length).toBeGreaterThan(0);
      expect(jobs).toHaveLength(1);
      expectRead((jobs[0] as RepairJob).error, c);
    },
  );

  it.each(SCENARIOS)('$scenario: one fingerprint in both log formats', (s) => {
    const [text, json] = ['text', 'json'].map(
      (format) => detectErrors(events(capturedMessages(path(format, s.scenario))))[0]?.record,
    );
    expect(text && fingerprintError(text)).toBe(json && fingerprintError(json));
  });

  it.each(['handler-not-found', 'import-module-error', 'init-type-error', 'esm-package-not-found'])(
    '%s: the same failure keeps its fingerprint from nodejs20.x (runtime client 3.3) to nodejs24.x',
    (scenario) => {
      for (const format of ['text', 'json']) {
        const [before, after] = [
          `lambda/node20-lambda-ric-${format}-${scenario}.events.jsonl`,
          path(format, scenario),
        ].map((p) => detectErrors(events(capturedMessages(p)))[0]?.record);
        // the runtime's loader frames moved (3.x `UserFunction.js.module.exports.load`, 4.x
        // `resolveHandler`): they are not the failure
        expect(after && fingerprintError(after), format).toBe(before && fingerprintError(before));
      }
    },
  );

  it.each(['text', 'json'])(
    '%s: says why the code did not load, from the repository, as for nodejs20.x',
    async (format) => {
      const diagnose = (scenario: string, files: Record<string, string>) => {
        const [found] = detectErrors(events(capturedMessages(path(format, scenario))));
        return explainHandlerLoadFailure({
          error: (found as { record: ErrorRecord }).record,
          repo: makeFakeRepo(files),
        });
      };
      expect(
        await diagnose('import-module-error', {
          'index.js': "const axios = require('axios');\n",
          'package.json': JSON.stringify({ devDependencies: { axios: '^1.7.0' } }),
        }),
      ).toContain('package.json lists axios only in devDependencies');
      expect(
        await diagnose('handler-not-found', { 'index.js': 'exports.main = async () => ({});\n' }),
      ).toContain('which index.js does not export (it defines main)');
    },
  );

  it('reads the init phase: no invocation named, yet the runtime’s own line', () => {
    const [text] = capturedMessages(path('text', 'handler-not-found'));
    const [json] = capturedMessages(path('json', 'handler-not-found'));
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z\t-\tERROR\tInit Error \t\{/);
    expect(json).toContain('"requestId":"-"');
    for (const line of [text ?? '', json ?? '']) {
      expect(requestIdOfLine(line)).toBeUndefined();
      expect(isInitPhaseLine(line)).toBe(true);
    }
    const [invoke] = capturedMessages(path('text', 'invoke-error'));
    expect(requestIdOfLine(invoke ?? '')).toBe('5a3e7b1c-2f4d-4c8e-9b6a-1d2e3f4a5b6c');
    expect(isInitPhaseLine(invoke ?? '')).toBe(false);
  });

  it('keeps two load failures apart when more than 2 s separate the runtime’s report and a raw print', () => {
    const messages = capturedMessages(path('text', 'init-type-error'));
    const spread = events(messages).map((e, i) => (i === 0 ? e : { ...e, timestamp: e.timestamp + 5_000 }));
    expect(detectErrors(spread)).toHaveLength(2);
  });
});
