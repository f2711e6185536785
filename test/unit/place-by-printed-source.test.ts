// A SAM project keeps each function in its own folder, each with an app.py: aws-samples/
// serverless-test-samples' workshops/serverless-testing-workshop has six (src/Checkout/app.py,
// src/GetInventory/app.py …, CodeUri src/<Function>/, Handler app.lambda_handler), and Lambda runs
// each as /var/task/app.py. Captured from its Checkout function at /var/task (its schemas.py, the
// X-Ray SDK 2.x, wrapt and fastjsonschema beside it), Powertools 3.2 as a layer in /opt/python
// (its @validator wraps the handler), under awslambdaric 4.0's own bootstrap (run() with a fake
// runtime API client, its telemetry frames read back as events), Python 3.11, in the text and JSON
// log formats: a POST body with no reserved_for made `KeyError: 'reserved_for'` at app.py line 45.
import { describe, expect, it } from 'vitest';
import type { ErrorRecord } from '../../functions/core/contracts.ts';
import { detectErrors } from '../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../functions/core/detect/fingerprint.ts';
import { buildRepairPrompt, mapTraceToRepo } from '../../functions/core/repair/build-repair-prompt.ts';
import { makeFakeRepo } from '../support/fake-repo.ts';
import { capturedMessages, deliveries, makeEvents, traceText } from '../support/log-events.ts';

const WORKSHOP = 'workshops/serverless-testing-workshop';
const CODE = 'checkout_to_name = post_payload["reserved_for"]';

/** Each function's app.py, 60 lines of our own; Checkout's line 45 is the code the trace printed. */
const appPy = (name: string, line45: string) =>
  `${Array.from({ length: 44 }, (_, i) => `# ${name} ${i + 1}`).join('\n')}\n    ${line45}\n${'    pass\n'.repeat(15)}`;
const FUNCTIONS = ['Checkout', 'CreateLocations', 'FileValidator', 'GetInventory', 'GetLocations'];
const REPO = {
  ...Object.fromEntries(
    FUNCTIONS.map((f) => [`${WORKSHOP}/src/${f}/app.py`, appPy(f, f === 'Checkout' ? CODE : `x = "${f}"`)]),
  ),
  ...Object.fromEntries(FUNCTIONS.map((f) => [`${WORKSHOP}/src/${f}/schemas.py`, 'OUTPUT_SCHEMA = {}\n'])),
  'python-test-samples/apigw-lambda/src/app.py': appPy('apigw', 'return {}'),
  [`${WORKSHOP}/template.yaml`]: 'Resources: {}\n',
};

/** The capture's one record, alike as one event and as one event per line. */
function records(format: 'text' | 'json'): ErrorRecord[] {
  const messages = capturedMessages(
    `python/py311-awslambdaric-4.0-${format}-sam-function-folders-key-error.events.jsonl`,
  );
  const whole = detectErrors(makeEvents(messages)).map((d) => d.record);
  const perLine = detectErrors(makeEvents(messages.flatMap((m) => m.split('\n')))).map((d) => d.record);
  expect(whole).toHaveLength(1);
  expect(perLine).toHaveLength(1);
  const [a, b] = [whole[0] as ErrorRecord, perLine[0] as ErrorRecord];
  expect(fingerprintError(b)).toBe(fingerprintError(a));
  return [a, b];
}

describe('each function of a SAM project as /var/task/app.py: placed by the code Python printed', () => {
  it.each(['text', 'json'] as const)(
    '%s format: the KeyError is placed in src/Checkout/app.py, with its code',
    async (format) => {
      for (const record of records(format)) {
        expect([record.exceptionType, record.message]).toEqual(['KeyError', "'reserved_for'"]);
        expect(record.frames.map((f) => [f.file, f.line, f.inApp])).toEqual([
          ['/opt/python/aws_lambda_powertools/middleware_factory/factory.py', 137, false],
          ['/opt/python/aws_lambda_powertools/utilities/validation/validator.py', 154, false],
          ['/var/task/app.py', 45, true],
        ]);
        for (const pathPrefix of ['', WORKSHOP]) {
          const repo = makeFakeRepo(REPO);
          const mappings = await mapTraceToRepo({ error: record, repo, pathPrefix });
          expect(mappings.map((m) => (m.kind === 'mapped' ? m.path : m.reason))).toEqual([
            `${WORKSHOP}/src/Checkout/app.py`,
            'not_in_app',
            'not_in_app',
          ]);
          const built = await buildRepairPrompt({ error: record, repo, pathPrefix, randomFence: () => 'F' });
          expect(built.implicatedPaths).toEqual(new Set([`${WORKSHOP}/src/Checkout/app.py`]));
          expect(built.prompt).toContain(CODE);
        }
      }
    },
  );

  it('leaves the tie when no file, or more than one, holds that code at that line', async () => {
    const [record] = records('text');
    if (!record) throw new Error('no record');
    // the code moved since the deploy: no function's line 45 holds it
    const moved = { ...REPO, [`${WORKSHOP}/src/Checkout/app.py`]: appPy('Checkout', 'pass') };
    // two functions copied from one template: both hold it
    const copied = { ...REPO, [`${WORKSHOP}/src/GetInventory/app.py`]: appPy('GetInventory', CODE) };
    for (const files of [moved, copied]) {
      const mappings = await mapTraceToRepo({ error: record, repo: makeFakeRepo(files), pathPrefix: '' });
      expect(mappings[0]).toMatchObject({ kind: 'unmapped', reason: 'ambiguous' });
    }
  });

  // aws-samples/aws-serverless-airline-booking (master): its catalog and booking services each
  // have a reserve.py (src/backend/catalog/src/reserve-flight/, src/backend/booking/src/
  // reserve-booking/), both run as /var/task/reserve.py. The catalog's ReserveFlight, its DynamoDB
  // resource pointed at a local endpoint nothing listens on (endpoint_url added to line 8 of our
  // copy), failed at update_item with EndpointConnectionError: two frames in reserve.py, lines 26
  // and 54, then botocore's under /var/runtime.
  it.each(['text', 'json'] as const)(
    '%s format: both reserve.py frames of ReserveFlight are placed in the catalog service',
    async (format) => {
      const messages = capturedMessages(
        `python/py311-awslambdaric-4.0-${format}-sam-same-file-name-endpoint-refused.events.jsonl`,
      );
      const [record] = detectErrors(makeEvents(messages)).map((d) => d.record);
      if (!record) throw new Error('no record');
      expect(record.exceptionType).toBe('EndpointConnectionError');
      const lines = (l26: string, l54: string) =>
        `${'#\n'.repeat(25)}        ${l26}\n${'#\n'.repeat(27)}        ${l54}\n`;
      const catalog = 'src/backend/catalog/src/reserve-flight/reserve.py';
      const repo = makeFakeRepo({
        [catalog]: lines('table.update_item(', "ret = reserve_seat_on_flight(event['outboundFlightId'])"),
        'src/backend/booking/src/reserve-booking/reserve.py': lines('table.put_item(', 'return ret'),
      });
      const mappings = await mapTraceToRepo({ error: record, repo, pathPrefix: '' });
      const placed = mappings.filter((m) => m.kind === 'mapped');
      expect(placed.map((m) => [m.frame.line, m.kind === 'mapped' && m.path])).toEqual([
        [26, catalog],
        [54, catalog],
      ]);
    },
  );

  // serverless-test-samples' python-test-samples/async-lambda-dynamodb: src/app.py (CodeUri src/,
  // Handler app.handler) with Powertools 3.2's Logger and Tracer (and the X-Ray SDK) beside it in
  // /var/task, run offline: S3's endpoint did not resolve, so `logger.exception(e)` wrote a JSON
  // line whose exception (a chain of three tracebacks) and stack_trace run past the 4 KiB of it the
  // record keeps, then `raise` made the runtime's [ERROR]. The cut text no longer parses as JSON,
  // yet holds app.py's frame (line 27, in handler) and its code, escaped.
  it.each(['text', 'json'] as const)(
    '%s format: the frame is placed by its code, read from a JSON line cut short',
    async (format) => {
      const messages = capturedMessages(
        `python/py311-awslambdaric-4.0-${format}-powertools-3.2-logger-exception-endpoint-unreachable.events.jsonl`,
      );
      const whole = detectErrors(makeEvents(messages)).map((d) => d.record);
      const perLine = detectErrors(makeEvents(messages.flatMap((m) => m.split('\n')))).map((d) => d.record);
      expect([whole.length, perLine.length]).toEqual([1, 1]);
      const [record] = whole;
      if (!record) throw new Error('no record');
      expect(fingerprintError(perLine[0] as ErrorRecord)).toBe(fingerprintError(record));
      expect(record.exceptionType).toBe('botocore.exceptions.EndpointConnectionError');
      expect(record.frames.filter((f) => f.inApp)).toEqual([
        { file: '/var/task/app.py', line: 27, function: 'handler', inApp: true },
      ]);
      expect(() => JSON.parse(record.raw)).toThrow();
      const code = "lowerCaseMessage = originalObject.get()['Body'].read().decode('utf-8')";
      const samples = 'python-test-samples';
      const s3App = `${samples}/async-lambda-dynamodb/src/app.py`;
      // the code at another line (appPy's 45) than the frame's 27: no file holds it there
      const repo = makeFakeRepo({
        [s3App]: appPy('async', code),
        [`${samples}/apigw-lambda/src/app.py`]: appPy('apigw', 'return {}'),
        [`${samples}/kinesis-lambda-dynamodb/src/app.py`]: appPy('kinesis', 'pass'),
        [`${WORKSHOP}/src/Checkout/app.py`]: appPy('Checkout', CODE),
      });
      const at27 = (name: string, line27: string) =>
        `${Array.from({ length: 26 }, (_, i) => `# ${name} ${i + 1}`).join('\n')}\n            ${line27}\n`;
      const files = {
        [s3App]: at27('async', code),
        [`${samples}/apigw-lambda/src/app.py`]: at27('apigw', 'return {}'),
        [`${WORKSHOP}/src/Checkout/app.py`]: at27('Checkout', CODE),
      };
      expect((await mapTraceToRepo({ error: record, repo, pathPrefix: '' }))[0]).toMatchObject({
        kind: 'unmapped',
      });
      for (const pathPrefix of ['', samples]) {
        const built = await buildRepairPrompt({
          error: record,
          repo: makeFakeRepo(files),
          pathPrefix,
          randomFence: () => 'F',
        });
        expect(built.implicatedPaths).toEqual(new Set([s3App]));
        expect(built.prompt).toContain(code);
      }
    },
  );
});

// aws-samples/chalice-workshop's todo app (code/todo-app/final: app.py, chalicelib/), packaged as
// Chalice 1.33 packages it (app.py and chalicelib/ at /var/task, Chalice's own runtime as
// /var/task/chalice/app.py, PyJWT beside them) and run under awslambdaric 4.0 with an API Gateway
// POST /todos whose body has no description: Chalice caught the KeyError and logged it to stdout
// (`mytodo - ERROR - Caught exception for path /todos` and the traceback), one event per line.
describe('a Chalice view error on Lambda', () => {
  const record = () => {
    const { oneEvent, perLine } = deliveries(
      traceText('python/py311-var-task-chalice-1.33-view-key-error.txt'),
    );
    const [a] = detectErrors(makeEvents(oneEvent)).map((d) => d.record);
    const [b, ...more] = detectErrors(makeEvents(perLine)).map((d) => d.record);
    if (!a || !b) throw new Error('no record');
    expect(more).toEqual([]);
    expect(fingerprintError(b)).toBe(fingerprintError(a));
    return a;
  };
  const line68 = "description=body['description'],";
  const at68 = (text: string) => `${'#\n'.repeat(67)}        ${text}\n`;

  it("places the view's frame in the app, never Chalice's runtime in it; identical copies need the path prefix", async () => {
    const error = record();
    expect([error.exceptionType, error.message]).toEqual(['KeyError', "'description'"]);
    expect(error.frames.map((f) => [f.file, f.line, f.inApp])).toEqual([
      ['/var/task/chalice/app.py', 1923, false],
      ['/var/task/app.py', 68, true],
    ]);
    const files = {
      'code/todo-app/final/app.py': at68(line68),
      'code/todo-app/final/chalicelib/db.py': 'class DynamoDBTodo: ...\n',
      // the workshop's step copies: one holds the same line 68, one does not
      'code/todo-app/part2/01-package-cmd/app.py': at68(line68),
      'code/todo-app/part1/04-add-auth/app.py': at68('return get_app_db().add_item('),
    };
    const inApp = async (pathPrefix: string) =>
      (await mapTraceToRepo({ error, repo: makeFakeRepo(files), pathPrefix })).map((m) =>
        m.kind === 'mapped' ? m.path : m.reason,
      );
    expect(await inApp('code/todo-app/final')).toEqual(['code/todo-app/final/app.py', 'not_in_app']);
    // two files hold the printed line at 68: a tie no code breaks
    expect(await inApp('')).toEqual(['ambiguous', 'not_in_app']);
  });
});
