// What reaches ai-ops of a Bun or Node.js process that dies of an error it did not catch (Bun
// 1.4.5 and Node 24.22, captured: test/fixtures/traces/javascript/). Bun prints a plain Error as
// `error: …`, a module it cannot load or parse and a node:fs errno error with no word the default
// filter holds; Node prints an error class named without `Error` (`PaymentDeclined: …`) and a value
// thrown that is no Error so too. Both end with their version (`Bun v1.4.5 (Linux x64)`, `Node.js
// v24.22.3`): the filter's `?"Bun v"` and `?"Node.js v"` pass that line, and the detector reads the
// stream before it for the error it ends. Each crash, delivered through the default filter one line
// per event, is one incident with its frames. So is a Ruby process that dies of an exception whose
// class holds no `Error` (`Errno::ENOENT`, a class of the app's own): only `?":in "` passes its lines.
import { describe, expect, it } from 'vitest';
import type { RepairJob } from '../../../functions/core/contracts.ts';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { deliverThroughDefaultFilter } from '../../support/filtered-delivery.ts';
import { deliveries, makeEvents, passesDefaultFilter, traceText } from '../../support/log-events.ts';

/** The type, message and innermost in-app frame of the one job the lines make through the default filter. */
async function theOneJob(lines: readonly string[]): Promise<[string, string, string | undefined]> {
  const { jobs } = await deliverThroughDefaultFilter(lines);
  expect(jobs).toHaveLength(1);
  const error = (jobs[0] as RepairJob).error;
  const inApp = error.frames.filter((f) => f.inApp).at(-1);
  return [error.exceptionType, error.message, inApp && `${inApp.file}:${inApp.line}`];
}

describe('a Bun or Node.js process that dies of an uncaught error, through the default filter', () => {
  it.each([
    // no line but the last held a term of the filter before `?"Bun v"` and `?"Node.js v"`: never seen
    [
      'bun-1.4-imported-module-syntax-error.txt',
      'Error',
      'Expected ")" but found ";"',
      '/app/src/orders/broken.ts:3',
      false,
    ],
    [
      'bun-1.4-module-not-found.txt',
      'Error',
      "Cannot find module './orders/pricing-v2.ts' from '/app/src/module-not-found.ts'",
      '/app/src/module-not-found.ts:undefined',
      false,
    ],
    [
      'bun-1.4-node-fs-readfilesync-enoent.txt',
      'Error',
      "ENOENT: no such file or directory, open '/app/templates/receipt.html'",
      '/app/src/node-compat-fs.ts:7',
      false,
    ],
    // Node: a class named without `Error`, a value thrown that is no Error, a rejection of such a class
    [
      'node24-uncaught-custom-class-without-error-suffix.txt',
      'PaymentDeclined',
      'card declined for order ord-7',
      '/srv/orders-api/src/charge.js:9',
      false,
    ],
    [
      'node24-uncaught-throw-string.txt',
      'Error',
      'ORDERS_CONFIG is not set',
      '/srv/orders-api/src/throw-string.js:2',
      false,
    ],
    [
      'node24-unhandled-rejection-class-field-name.txt',
      'QuotaExceeded',
      'cannot reserve 9 of sku-42',
      '/srv/orders-api/src/reject-custom.mjs:7',
      false,
    ],
    // …and these were seen by a line of their excerpt or header: still one incident, not two
    [
      'bun-1.4-uncaught-error-string-cause.txt',
      'Error',
      'database unavailable',
      '/app/src/cause-string.ts:2',
      true,
    ],
    [
      'bun-1.4-uncaught-error-with-cause.txt',
      'Error',
      'config unreadable',
      '/app/src/error-cause.ts:7',
      true,
    ],
    [
      'bun-1.4-uncaught-typeerror-undefined.txt',
      'TypeError',
      "undefined is not an object (evaluating 'order.lines.reduce')",
      '/app/src/orders/pricing.ts:7',
      true,
    ],
  ])('%s: one incident, its frames read back', async (fixture, type, message, at, heldATerm) => {
    const lines = deliveries(traceText(`javascript/${fixture}`)).perLine;
    expect(lines.at(-1)).toMatch(/^(?:Bun v1\.4\.5 \(Linux x64\)|Node\.js v24\.22\.3)$/);
    // whether any line but the last held a term of the filter (those that did not were never seen)
    expect(lines.slice(0, -1).some(passesDefaultFilter)).toBe(heldATerm);
    expect(await theOneJob(lines)).toEqual([type, message, at]);
  });

  it.each([
    [
      'deno-2.9-module-not-found.txt',
      'Module not found "file:///app/src/orders/pricing-v2.ts".',
      '/app/src/module-not-found.ts:1',
    ],
    [
      'deno-2.9-import-not-a-dependency.txt',
      'Import "zod-missing" not a dependency',
      '/app/src/package-not-found.ts:1',
    ],
  ])(
    'a Deno program whose module does not load (%s): one incident, the importing file read back',
    async (fixture, message, at) => {
      // Deno prints no trailer, and neither line holds another term: `?"Module not found"`, `?"not a dependency"`
      const { delivered, jobs } = await deliverThroughDefaultFilter(
        deliveries(traceText(`javascript/${fixture}`)).perLine,
      );
      expect(delivered).toHaveLength(1);
      expect(jobs).toHaveLength(1);
      const error = (jobs[0] as RepairJob).error;
      const inApp = error.frames.filter((f) => f.inApp).at(-1);
      expect([
        error.exceptionType,
        error.message.split('\n')[0],
        inApp && `${inApp.file}:${inApp.line}`,
      ]).toEqual(['Error', message, at]);
    },
  );

  it.each([
    [
      'ruby31-uncaught-errno-enoent.txt',
      'Errno::ENOENT',
      'No such file or directory @ rb_sysopen - /srv/shop/config/shop.yml',
      'enoent.rb:3',
    ],
    [
      'ruby31-uncaught-net-http-econnrefused.txt',
      'Errno::ECONNREFUSED',
      'Failed to open TCP connection to 127.0.0.1:9 (Connection refused - connect(2) for 127.0.0.1:9)',
      'refused.rb:3',
    ],
    [
      'ruby31-uncaught-custom-class-multiline-message.txt',
      'OrderInvalid',
      'order ord-7 rejected:\n  email: required\n  qty: must be an integer',
      'multi.rb:6',
    ],
  ])(
    'a Ruby process that dies of an exception whose class holds no `Error` (%s): one incident, by `?":in "`',
    async (fixture, type, message, at) => {
      // Ruby 3.1.2 (Debian 12): no line holds another term of the filter
      const lines = deliveries(traceText(`ruby/${fixture}`)).perLine;
      expect(lines.some((line) => passesDefaultFilter(line.replace(':in ', ':at ')))).toBe(false);
      expect(await theOneJob(lines)).toEqual([type, message, at]);
    },
  );

  it("reads a Ruby thread's report and the join that raises it again as one exception, not its own cause", () => {
    // Ruby 3.1.2: `#<Thread:…> terminated with exception (report_on_exception is true):`, its trace,
    // then the same trace where `Thread#join` raised it in the main thread
    const { oneEvent, perLine } = deliveries(traceText('ruby/ruby31-thread-report-then-join-reraise.output'));
    for (const lines of [oneEvent, perLine]) {
      const found = detectErrors(makeEvents(lines));
      expect(found.map((d) => [d.record.exceptionType, d.record.message, d.record.causes.length])).toEqual([
        ['ZeroDivisionError', 'divided by 0', 0],
      ]);
    }
  });

  it("counts Bun's last line with the error it ends, in both delivery shapes", () => {
    const { oneEvent, perLine } = deliveries(traceText('javascript/bun-1.4-uncaught-error-string-cause.txt'));
    // one record in either shape: never a tentative record of the trailer beside the crash's
    const one = detectErrors(makeEvents(oneEvent), { tentative: true });
    const lines = detectErrors(makeEvents(perLine), { tentative: true });
    expect(one.map((d) => [d.record.message, d.isTentative])).toEqual([['database unavailable', undefined]]);
    expect(lines.map((d) => [d.record.message, d.isTentative])).toEqual([
      ['database unavailable', undefined],
    ]);
    // the trailer's event is the record's, so a read around it finds the record
    expect(lines[0]?.record.eventIds).toContain(`e${perLine.length - 1}`);
  });

  it("reads the trailer a container runtime's JSON envelope carries (docker's json-file log)", () => {
    const env = (log: string) =>
      JSON.stringify({ log: `${log}\n`, stream: 'stderr', time: '2026-12-07T12:00:00.000Z' });
    const crash = [
      'PaymentDeclined: card declined for order ord-7',
      '    at charge (/app/src/charge.js:9:27)',
      '',
      'Node.js v24.22.3',
    ];
    const read = (lines: string[]) =>
      detectErrors(makeEvents(lines.map(env)), { tentative: true }).map((d) => [
        d.record.eventIds,
        d.isTentative,
      ]);
    expect(read(crash)).toEqual([[['e0', 'e1', 'e3'], undefined]]);
    expect(read(crash.slice(-1))).toEqual([[['e0'], true]]);
  });

  it("reads Node's print of a value thrown that is no Error as one record, where it was thrown", () => {
    const { oneEvent, perLine } = deliveries(traceText('javascript/node24-uncaught-throw-string.txt'));
    for (const shape of [oneEvent, perLine]) {
      const found = detectErrors(makeEvents(shape));
      expect(
        found.map((d) => [
          d.record.exceptionType,
          d.record.message,
          d.record.frames.map((f) => [f.line, f.column]),
        ]),
      ).toEqual([['Error', 'ORDERS_CONFIG is not set', [[2, 13]]]]);
    }
  });

  it('reads around a lone trailer once, and records nothing when no error precedes it', async () => {
    const { jobs, reads } = await deliverThroughDefaultFilter([
      'listening on :3000',
      'GET /orders/7 200 3ms',
      'Bun v1.4.5 (Linux x64)',
    ]);
    expect(jobs).toEqual([]);
    expect(reads).toBe(1);
  });
});
