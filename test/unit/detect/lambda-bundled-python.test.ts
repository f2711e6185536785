// A Python function on Lambda ships its packages next to its own code: `sam build` and `pip install
// -t .` put them at the deployment package's root (`/var/task/sqlalchemy/…`), a layer's `python/`
// folder at `/opt/python/…`. Their frames are a dependency's, as under site-packages. Captured
// with the packages copied into /var/task and the function run from there: requests 2.34 and
// Jinja2 3.1 (CPython 3.11.7), SQLAlchemy 1.4 (Debian's python3-sqlalchemy, CPython 3.11.2).
import { describe, expect, it } from 'vitest';
import type { ErrorRecord } from '../../../functions/core/contracts.ts';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../../functions/core/detect/fingerprint.ts';
import { isInApp } from '../../../functions/core/detect/in-app.ts';
import { deliveries, makeEvents, traceText } from '../../support/log-events.ts';

const recordOf = (text: string): ErrorRecord => {
  const found = detectErrors(makeEvents(deliveries(text).perLine));
  expect(found).toHaveLength(1);
  return (found[0] as (typeof found)[number]).record;
};
const innermostInApp = (record: ErrorRecord) => {
  const frame = record.frames.findLast((f) => f.inApp);
  return frame && `${frame.file}:${frame.line}`;
};
const PLACE_ORDER = traceText('python/py311-var-task-sqlalchemy-1.4-orm-not-null-place-order.txt');
const REFUND = traceText('python/py311-var-task-sqlalchemy-1.4-orm-not-null-refund.txt');

describe('packages shipped next to a Python function on Lambda', () => {
  it('are no frames of the application: two bugs failing inside one ORM call are two incidents', () => {
    // a NOT NULL insert from place_order and one from refund: 22 frames in SQLAlchemy after each;
    // counted as the application's, they filled the fingerprint and the two were one incident
    const order = recordOf(PLACE_ORDER);
    const refund = recordOf(REFUND);
    expect(fingerprintError(order)).not.toBe(fingerprintError(refund));
    expect(innermostInApp(order)).toBe('/var/task/models.py:17');
    expect(innermostInApp(refund)).toBe('/var/task/models.py:21');
    expect(order.frames.filter((f) => f.file.startsWith('/var/task/sqlalchemy/')).length).toBeGreaterThan(10);
    expect(order.frames.some((f) => f.file.startsWith('/var/task/sqlalchemy/') && f.inApp)).toBe(false);
  });

  it('are where the error is said to be raised no more than a dependency installed anywhere else', () => {
    for (const [path, raisedAt] of [
      ['python/py311-var-task-requests-2.34-connection-refused.txt', '/var/task/orders.py:3'],
      ['python/py311-var-task-jinja2-3.1-undefined.txt', '/var/task/receipts.py:4'],
    ] as const) {
      const record = recordOf(traceText(path));
      expect(innermostInApp(record)).toBe(raisedAt);
      // the same function with its packages installed in site-packages: the same incident
      const installed = recordOf(
        traceText(path).replaceAll(
          /"\/var\/task\/(requests|urllib3|jinja2)\//g,
          '"/usr/local/lib/python3.11/site-packages/$1/',
        ),
      );
      expect(fingerprintError(installed)).toBe(fingerprintError(record));
    }
  });

  it("leaves the function's own packages and modules in the application, whatever their depth", () => {
    expect(isInApp({ language: 'python', file: '/var/task/orders/pricing.py' })).toBe(true);
    expect(isInApp({ language: 'python', file: '/var/task/app.py' })).toBe(true);
    expect(isInApp({ language: 'python', file: '/opt/python/shop_common/db.py' })).toBe(true);
    expect(isInApp({ language: 'python', file: '/opt/python/requests/sessions.py' })).toBe(false);
    expect(isInApp({ language: 'python', file: '/var/task/boto3/resources/factory.py' })).toBe(false);
    // a package of the function's own named like one (a folder `src/requests/` deployed elsewhere)
    expect(isInApp({ language: 'python', file: '/srv/app/requests/views.py' })).toBe(true);
  });

  it('include the layers that wrap a function and the servers Lambda Web Adapter runs it under', () => {
    // AWS Distro for OpenTelemetry's layer wraps every boto3 call: its wrapper was the innermost
    // "in-app" frame of every ClientError, named as the line that raised
    for (const file of [
      '/opt/python/opentelemetry/instrumentation/botocore/__init__.py',
      '/var/task/uvicorn/protocols/http/httptools_impl.py',
      '/var/task/gunicorn/workers/sync.py',
    ])
      expect(isInApp({ language: 'python', file })).toBe(false);
    // a word a function's own folder may be named is left to the function
    expect(isInApp({ language: 'python', file: '/var/task/channels/email.py' })).toBe(true);
    expect(isInApp({ language: 'python', file: '/var/task/graphql/resolvers.py' })).toBe(true);
  });
});
