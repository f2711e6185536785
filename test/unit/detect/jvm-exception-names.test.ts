// JVM exceptions whose printed name says no Exception or Error, captured on OpenJDK 17 (Debian's
// Java 17, Kotlin 1.3 and Scala 2.11): a domain error named for what happened (`RefundDenied`,
// `PaymentDeclined`), printed by printStackTrace, a logger or the `scala` runner with no
// `Exception in thread "…"` before it. The frames after its line make it a trace's header.
import { describe, expect, it } from 'vitest';
import type { ErrorRecord } from '../../../functions/core/contracts.ts';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError, fingerprintParts } from '../../../functions/core/detect/fingerprint.ts';
import { deliveries, makeEvents, traceText } from '../../support/log-events.ts';

/** The records a capture makes, alike as one event and as one event per line. */
function recordsInBothShapes(path: string): ErrorRecord[] {
  const { oneEvent, perLine } = deliveries(traceText(path));
  const whole = detectErrors(makeEvents(oneEvent)).map((d) => d.record);
  const lines = detectErrors(makeEvents(perLine)).map((d) => d.record);
  const summary = (r: ErrorRecord) => ({
    type: r.exceptionType,
    message: r.message,
    frames: r.frames,
    causes: r.causes.map((c) => [c.exceptionType, c.message, c.frames]),
    fingerprint: fingerprintError(r),
  });
  expect(lines.map(summary)).toEqual(whole.map(summary));
  return whole;
}

const innermostInApp = (record: ErrorRecord) => {
  const frame = record.frames.findLast((f) => f.inApp);
  return frame && `${frame.file}:${frame.line}`;
};

describe('a JVM exception whose class name says no Exception or Error', () => {
  it('is the trace its frames head: a Scala case class the `scala` runner prints uncaught', () => {
    // `case class RefundDenied(…) extends RuntimeException(…)`: the runner prints the exception's
    // toString and frames, no thread; the line before it is the program's own output (`1200`)
    const [record, ...rest] = recordsInBothShapes('java/scala211-runner-uncaught-case-class-exception.txt');
    expect(rest).toEqual([]);
    expect(record?.exceptionType).toBe('com.acme.shop.RefundDenied');
    expect(record?.message).toBe('refund for o-62 denied: amount over manual-review limit');
    expect(record?.frames).toHaveLength(21);
    expect(record && innermostInApp(record)).toBe('Refunds.scala:7');
  });

  it('…a nested class printStackTrace prints, the program going on after it', () => {
    const [record, ...rest] = recordsInBothShapes(
      'java/java17-printstacktrace-unsuffixed-nested-exception-class.txt',
    );
    expect(rest).toEqual([]);
    expect(record?.exceptionType).toBe('com.acme.shop.UnsuffixedExceptionApp$PaymentDeclined');
    expect(record?.message).toBe('card ending 4242 declined for order o-11');
    expect(record && innermostInApp(record)).toBe('UnsuffixedExceptionApp.java:14');
    const perLine = detectErrors(
      makeEvents(
        deliveries(traceText('java/java17-printstacktrace-unsuffixed-nested-exception-class.txt')).perLine,
      ),
    );
    // the header and its two frames, not the program's `continuing with next order`
    expect(perLine[0]?.record.eventIds).toEqual(['e0', 'e1', 'e2']);
  });

  it("…and one java.util.logging logs after its message: the SEVERE line leads the trace, as it leads an …Exception's", () => {
    // `LOG.log(Level.SEVERE, "payment for o-11 failed", e)`, then the same at WARNING: the exception's
    // line comes after the logger's, which an error line holds as more of its statement
    const records = recordsInBothShapes(
      'java/java17-jul-severe-and-warning-unsuffixed-exception-class.output',
    );
    expect(records.map((r) => [r.exceptionType, r.message, innermostInApp(r)])).toEqual([
      [
        'com.acme.shop.JulUnsuffixedApp$PaymentDeclined',
        'card ending 4242 declined for order o-11',
        'JulUnsuffixedApp.java:14',
      ],
      [
        'com.acme.shop.JulUnsuffixedApp$PaymentDeclined',
        'card ending 4242 declined for order o-12',
        'JulUnsuffixedApp.java:14',
      ],
    ]);
    // one incident: the same throw, two orders
    expect(new Set(records.map(fingerprintError)).size).toBe(1);
    const perLine = detectErrors(
      makeEvents(
        deliveries(traceText('java/java17-jul-severe-and-warning-unsuffixed-exception-class.output')).perLine,
      ),
    );
    // SEVERE's line, the exception's and its two frames; WARNING's line is no error's
    expect(perLine.map((d) => d.record.eventIds)).toEqual([
      ['e1', 'e2', 'e3', 'e4'],
      ['e8', 'e9', 'e10'],
    ]);
  });

  it('is no header without a frame after it, nor a line that names no class', () => {
    const frame = '\tat com.acme.shop.Refunds$.refund(Refunds.scala:7)';
    const read = (lines: string[]) => detectErrors(makeEvents(lines)).map((d) => d.record.exceptionType);
    expect(read(['com.acme.shop.RefundDenied: refund for o-62 denied', 'continuing'])).toEqual([]);
    // a message, a file name: no class as the JVM names a Throwable
    expect(read(['retrying in 5s: refund for o-62', frame])).toEqual([]);
    expect(read(['refunds.scala: line 7', frame])).toEqual([]);
    // a JavaScript frame is no JVM frame
    expect(
      read(['com.acme.shop.RefundDenied: refund denied', '    at refund (/app/refunds.js:7:11)']),
    ).not.toContain('com.acme.shop.RefundDenied');
  });
});

describe('a JVM exception whose toString() is overridden (Lombok-style `Name(field=…)`)', () => {
  it('is a cause after `Caused by:`, its fields its message', () => {
    // `throw new IllegalStateException("checkout failed", e)` over a GatewayException whose
    // toString() prints its fields: the cause was dropped, and with it the root cause's type
    const [record, ...rest] = recordsInBothShapes('java/java17-caused-by-custom-tostring-exception.txt');
    expect(rest).toEqual([]);
    expect([record?.exceptionType, record?.message]).toEqual([
      'java.lang.IllegalStateException',
      'checkout failed',
    ]);
    expect(record && innermostInApp(record)).toBe('CustomToStringApp.java:29');
    const [cause, ...more] = record?.causes ?? [];
    expect(more).toEqual([]);
    expect(cause?.exceptionType).toBe('GatewayException');
    expect(cause?.message).toBe('status=402, code=card_declined, message=payment pay_123 declined');
    expect(cause && innermostInApp(cause)).toBe('CustomToStringApp.java:22');
    expect(record && fingerprintParts(record).rootCauseType).toBe('GatewayException');
  });
});

describe('a Kotlin data class exception (its toString its fields: `OrderRejected(orderId=o-52, …)`)', () => {
  it('heads its frames printed by printStackTrace, and the uncaught crash after `Exception in thread "main"`', () => {
    // `data class OrderRejected(val orderId: String, val reason: String) : RuntimeException(…)`:
    // no package, no `: message`; caught and printed once, then thrown out of main
    const path = 'java/kotlin13-data-class-exception-printstacktrace-then-uncaught.output';
    const records = recordsInBothShapes(path);
    expect(records.map((r) => [r.exceptionType, r.message, innermostInApp(r)])).toEqual([
      ['OrderRejected', 'orderId=o-51, reason=quantity 12 over limit', 'DataClassMain.kt:6'],
      ['OrderRejected', 'orderId=o-52, reason=quantity 40 over limit', 'DataClassMain.kt:6'],
    ]);
    expect(records.map((r) => r.frames.at(-1)?.function)).toEqual(['placeOrder', 'placeOrder']);
    // one throw in placeOrder, two orders: one incident
    expect(new Set(records.map(fingerprintError)).size).toBe(1);
    const perLine = detectErrors(makeEvents(deliveries(traceText(path)).perLine));
    expect(perLine.map((d) => d.record.eventIds)).toEqual([
      ['e0', 'e1', 'e2', 'e3'],
      ['e4', 'e5', 'e6', 'e7'],
    ]);
  });

  it('is no header when its line says no field, or frames do not follow', () => {
    const frame = '\tat com.acme.shop.DataClassMainKt.placeOrder(DataClassMain.kt:6)';
    const read = (lines: string[]) => detectErrors(makeEvents(lines)).map((d) => d.record.exceptionType);
    expect(read(['OrderRejected(orderId=o-51, reason=quantity 12 over limit)', 'placed o-53'])).toEqual([]);
    expect(read(['Retrying(3 times)', frame])).toEqual([]);
    expect(read(['orderRejected(orderId=o-51)', frame])).toEqual([]);
  });
});
