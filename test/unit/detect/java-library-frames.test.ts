// The libraries a JVM service's stack runs through are not its code: an error raised deep in one
// must not fill a fingerprint's frames with the library's. Captured on OpenJDK 17 with Debian's
// okhttp 3.13, HikariCP 2.7 and the PostgreSQL JDBC driver 42.5: one client, two methods, each
// refused a connection; a pool that could not reach its database.
import { describe, expect, it } from 'vitest';
import type { ErrorRecord } from '../../../functions/core/contracts.ts';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError, fingerprintParts } from '../../../functions/core/detect/fingerprint.ts';
import { isInApp } from '../../../functions/core/detect/in-app.ts';
import { deliveries, makeEvents, traceText } from '../../support/log-events.ts';

const recordOf = (path: string): ErrorRecord => {
  const found = detectErrors(makeEvents(deliveries(traceText(path)).perLine));
  expect(found).toHaveLength(1);
  return (found[0] as (typeof found)[number]).record;
};

describe("a JVM library's frames", () => {
  it('leave the application its own: two methods refused by one HTTP client are two incidents', () => {
    // 18 okhttp frames above each method; counted as the application's, they were all the
    // fingerprint kept, and every refused call of the service was one incident
    const stock = recordOf('java/java17-okhttp-3.13-connect-refused-stock.txt');
    const price = recordOf('java/java17-okhttp-3.13-connect-refused-price.txt');
    expect(fingerprintError(stock)).not.toBe(fingerprintError(price));
    expect(fingerprintParts(stock).frames).toEqual(['Handler.java:main', 'StockClient.java:stockOf']);
    expect(stock.frames.filter((f) => f.module?.startsWith('okhttp3.')).length).toBeGreaterThan(10);
    expect(stock.frames.findLast((f) => f.inApp)).toMatchObject({ file: 'StockClient.java', line: 12 });
  });

  it("place a pool's failure to reach its database at the application's call", () => {
    const record = recordOf('java/java17-hikaricp-2.7-postgresql-42.5-connection-refused.txt');
    expect(record.exceptionType).toBe('com.zaxxer.hikari.pool.HikariPool$PoolInitializationException');
    expect(record.causes.map((c) => c.exceptionType)).toContain('org.postgresql.util.PSQLException');
    expect(record.frames.findLast((f) => f.inApp)).toMatchObject({ file: 'Handler.java', line: 17 });
  });

  it("are told apart by package: the AWS SDKs, the Lambda runtime's own, Google's libraries, not an app of Google's", () => {
    const java = (module: string) => isInApp({ language: 'java', file: 'X.java', module });
    expect(
      java('software.amazon.awssdk.core.internal.http.pipeline.stages.ApiCallTimeoutTrackingStage'),
    ).toBe(false);
    expect(java('com.amazonaws.services.lambda.runtime.api.client.AWSLambda')).toBe(false);
    expect(java('lambdainternal.EventHandlerLoader$PojoHandlerAsStreamHandler')).toBe(false);
    expect(java('com.google.common.base.Preconditions')).toBe(false);
    expect(java('com.google.devtools.search.cloud.feeder.MakeLog')).toBe(true);
    expect(java('com.example.orders.OrderService')).toBe(true);
  });
});

describe("Groovy's runtime (Groovy 2.4 on OpenJDK 17, a script's uncaught division by zero)", () => {
  it("is not the application's: the full stack trace keeps the script's frames, as Groovy's own sanitized one does", () => {
    // `groovy -d` prints the trace whole, as a framework that logs it does (Grails, Jenkins); the
    // default print leaves Groovy's frames out
    const full = recordOf('java/groovy24-script-caught-full-stacktrace.txt');
    const sanitized = recordOf('java/groovy24-script-caught-sanitized.txt');
    expect(full.frames.filter((f) => f.module?.startsWith('org.codehaus.groovy.')).length).toBeGreaterThan(
      10,
    );
    expect(full.frames.findLast((f) => f.inApp)).toMatchObject({
      file: 'orders.groovy',
      line: 3,
      function: 'unitPrice',
    });
    expect(fingerprintParts(full).frames).toEqual(fingerprintParts(sanitized).frames);
    expect(fingerprintError(full)).toBe(fingerprintError(sanitized));
  });
});
