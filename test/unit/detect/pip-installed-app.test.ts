// A Python service installed as a package (`pip install .` into a venv or an image) runs from
// site-packages: its own frames (`/opt/venv/lib/python3.11/site-packages/shop/orders.py`) are no
// more in-app than SQLAlchemy's, and the detector cannot tell which package is the service's.
// Captured with test/fixtures/apps/python-pip-shop installed by `pip install --no-index
// --no-build-isolation` into a venv made with `/usr/bin/python3 -m venv --system-site-packages
// /opt/venv` (CPython 3.11.2, Debian's python3-sqlalchemy 1.4.46 and python3-requests 2.28.1), its
// console script `shop-worker` run from `/`: `logger.exception` of a job that failed, stderr as
// written. The library-only traces: `/opt/venv/bin/python -c "import requests; requests.get(…)"`
// and `… pkg_resources.require('shop-billing')`, uncaught.
// The console-script traces: the same package installed into the system Python (`/usr/bin/python3
// -m pip install --break-system-packages`, as a python image installs it), its `shop-once` command
// (`once()`, which does not catch) run from `/`: uncaught, stderr as written.
import { describe, expect, it } from 'vitest';
import type { ErrorRecord } from '../../../functions/core/contracts.ts';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError, fingerprintParts } from '../../../functions/core/detect/fingerprint.ts';
import { isInApp, isLikelyAppPackageFrame } from '../../../functions/core/detect/in-app.ts';
import { deliveries, makeEvents, traceText } from '../../support/log-events.ts';

const recordOf = (text: string): ErrorRecord => {
  const found = detectErrors(makeEvents(deliveries(text).perLine));
  expect(found).toHaveLength(1);
  return (found[0] as (typeof found)[number]).record;
};
const pip = (name: string) => recordOf(traceText(`python/py311-pip-installed-app-${name}.txt`));

describe('a Python service installed with pip, whose every frame is under site-packages', () => {
  it('has its own frames tell apart two bugs that fail inside one library call the same way', () => {
    // a NOT NULL insert into the ledger from place_order and from refund, 20 frames deep in
    // SQLAlchemy's ORM; the same refused connection from check_stock and restock through requests.
    // The innermost frames and the message are alike: before, each pair was one incident.
    for (const [a, b] of [
      ['sqlalchemy-1.4-not-null-place-order', 'sqlalchemy-1.4-not-null-refund'],
      ['requests-2.28-connection-refused-check-stock', 'requests-2.28-connection-refused-restock'],
    ] as const) {
      const [first, second] = [pip(a), pip(b)];
      expect(fingerprintParts(first).message).toBe(fingerprintParts(second).message);
      expect(fingerprintError(first)).not.toBe(fingerprintError(second));
    }
    expect(fingerprintParts(pip('sqlalchemy-1.4-not-null-refund'))).toMatchObject({
      frameSource: 'package',
      frames: [
        'site-packages/shop/worker.py:run',
        'site-packages/shop/worker.py:handle',
        'site-packages/shop/worker.py:<lambda>',
        'site-packages/shop/refunds.py:refund',
      ],
      message: '(sqlite<n>.IntegrityError) NOT NULL constraint failed: ledger.amount',
    });
  });

  it('keeps one bug one incident when it recurs with other ids', () => {
    const once = pip('sqlalchemy-1.4-not-null-place-order');
    const again = pip('sqlalchemy-1.4-not-null-place-order-again');
    expect(again.message).not.toBe(once.message);
    expect(fingerprintError(again)).toBe(fingerprintError(once));
    // `/items/1042` and `/items/88`, and another object address
    const stock = pip('requests-2.28-connection-refused-check-stock');
    const stockAgain = pip('requests-2.28-connection-refused-check-stock-again');
    expect(stockAgain.message).not.toBe(stock.message);
    expect(fingerprintError(stockAgain)).toBe(fingerprintError(stock));
  });

  it('reads past the console script pip wrote in /usr/local/bin when the error was not caught', () => {
    // installed into the system Python (as a python image's `pip install .` does): its command
    // `/usr/local/bin/shop-once` was the one in-app frame, and the fingerprint kept neither the
    // package's frames nor the message — every IntegrityError, every ConnectionError, one incident
    const script = (name: string) =>
      recordOf(traceText(`python/py311-pip-installed-system-console-script-${name}.txt`));
    for (const [a, b] of [
      ['sqlalchemy-1.4-not-null-place-order', 'sqlalchemy-1.4-not-null-refund'],
      ['requests-2.28-connection-refused-check-stock', 'requests-2.28-connection-refused-restock'],
    ] as const) {
      const [first, second] = [script(a), script(b)];
      expect(first.frames[0]).toMatchObject({ file: '/usr/local/bin/shop-once', inApp: false });
      expect(fingerprintParts(first).frameSource).toBe('package');
      expect(fingerprintError(first)).not.toBe(fingerprintError(second));
    }
    expect(fingerprintParts(script('sqlalchemy-1.4-not-null-refund')).frames).toEqual([
      'dist-packages/shop/worker.py:once',
      'dist-packages/shop/worker.py:handle',
      'dist-packages/shop/worker.py:<lambda>',
      'dist-packages/shop/refunds.py:refund',
    ]);
    // where else pip puts commands; a script of the repository's own stays the application's
    for (const file of [
      '/usr/bin/shop-worker',
      '/home/deploy/.local/bin/shop-worker',
      '/root/.pyenv/versions/3.11.7/bin/gunicorn',
      '/opt/conda/bin/celery',
    ])
      expect(isInApp({ language: 'python', file })).toBe(false);
    expect(isInApp({ language: 'python', file: '/app/bin/run_worker' })).toBe(true);
    expect(isInApp({ language: 'python', file: '/srv/shop/bin/manage.py' })).toBe(true);
  });

  it('reads past the console script pip wrote into a virtual environment of any name', () => {
    // sqlite-utils 4.2 (simonw/sqlite-utils) installed with `pip install --no-deps
    // --no-build-isolation .` into a venv named `venv-su` (CPython 3.11.2, Debian's click 8.1.3),
    // uncaught: `create-view x.db v 'selec 1'` and `convert x.db t name 'value.upper()'` over a
    // NULL (the callback's own error is printed first, as unraisable). Its command
    // `venv-su/bin/sqlite-utils` was the one in-app frame: the two bugs, one in create_view and one
    // in convert, were one incident.
    const view = recordOf(
      traceText('python/py311-venv-sqlite-utils-4.2-console-script-create-view-syntax-error.txt'),
    );
    const convert = detectErrors(
      makeEvents(
        deliveries(
          traceText('python/py311-venv-sqlite-utils-4.2-console-script-convert-function-raised.output'),
        ).perLine,
      ),
    ).map((d) => d.record);
    expect(convert.map((r) => r.exceptionType)).toEqual(['AttributeError', 'sqlite3.OperationalError']);
    const uncaught = convert[1] as ErrorRecord;
    for (const record of [view, uncaught]) {
      expect(record.frames[0]).toMatchObject({
        file: '/tmp/audit-python/venv-su/bin/sqlite-utils',
        inApp: false,
      });
      expect(fingerprintParts(record).frameSource).toBe('package');
    }
    expect(fingerprintParts(view).frames.at(0)).toBe('site-packages/sqlite_utils/cli.py:create_view');
    expect(fingerprintParts(uncaught).frames.at(0)).toBe('site-packages/sqlite_utils/cli.py:convert');
    expect(fingerprintError(view)).not.toBe(fingerprintError(uncaught));
  });

  it("keeps a script in a bin/ folder the application's when no frame runs in an environment there", () => {
    const frames = (text: string) => recordOf(text).frames.map((f) => [f.file, f.inApp]);
    const trace = (script: string, library: string) =>
      [
        'Traceback (most recent call last):',
        `  File "${script}", line 8, in <module>`,
        '    sys.exit(main())',
        `  File "${library}", line 3, in main`,
        '    raise ValueError("x")',
        'ValueError: x',
      ].join('\n');
    // the repository's own script beside its package (no lib/python3.N/site-packages/ under /srv/shop)
    expect(frames(trace('/srv/shop/bin/run', '/srv/shop/shop/cli.py'))).toEqual([
      ['/srv/shop/bin/run', true],
      ['/srv/shop/shop/cli.py', true],
    ]);
    // another environment's packages say nothing of this folder
    expect(
      frames(trace('/srv/shop/bin/run', '/opt/tools/lib/python3.11/site-packages/shop/cli.py'))[0],
    ).toEqual(['/srv/shop/bin/run', true]);
    expect(
      frames(trace('/opt/tools/bin/shop', '/opt/tools/lib/python3.11/site-packages/shop/cli.py'))[0],
    ).toEqual(['/opt/tools/bin/shop', false]);
  });

  it('changes no frame: the analyzer still finds the service by its repository', () => {
    const record = pip('sqlalchemy-1.4-not-null-place-order');
    expect(record.frames.some((frame) => frame.inApp)).toBe(false);
    expect(record.frames.at(-1)).toMatchObject({
      file: '/usr/lib/python3/dist-packages/sqlalchemy/engine/default.py',
      line: 736,
      function: 'do_execute',
      inApp: false,
    });
    expect(
      isInApp({ language: 'python', file: '/opt/venv/lib/python3.11/site-packages/shop/orders.py' }),
    ).toBe(false);
  });

  it('reads the package of a frame by its import name', () => {
    const app = (file: string) => isLikelyAppPackageFrame('python', file);
    expect(app('/usr/local/lib/python3.11/site-packages/shop/orders.py')).toBe(true);
    expect(app('/usr/local/lib/python3.11/dist-packages/shop/orders.py')).toBe(true);
    expect(app('C:\\app\\.venv\\Lib\\site-packages\\shop\\orders.py')).toBe(true);
    // the common libraries (the list Lambda's bundled packages use, and more)
    expect(app('/usr/lib/python3/dist-packages/sqlalchemy/orm/session.py')).toBe(false);
    expect(app('/usr/local/lib/python3.11/site-packages/gunicorn/workers/sync.py')).toBe(false);
    expect(app('/opt/venv/lib/python3.11/site-packages/pkg_resources/__init__.py')).toBe(false);
    // a module alone (`six.py`), the standard library, other languages
    expect(app('/usr/local/lib/python3.11/site-packages/six.py')).toBe(false);
    expect(app('/usr/local/lib/python3.11/json/decoder.py')).toBe(false);
    expect(isLikelyAppPackageFrame('ruby', '/usr/local/site-packages/shop/orders.rb')).toBe(false);
  });
});

describe('fingerprints the package rule leaves as they were', () => {
  // Taken with the code before the rule: records with in-app frames, and records whose frames are
  // all the runtime's and well-known libraries', keep these exactly.
  it.each([
    [
      'py311-var-task-sqlalchemy-1.4-orm-not-null-place-order.txt',
      'f81a96b5b648ec0deab90920977be57c',
      'in-app',
    ],
    ['py311-var-task-sqlalchemy-1.4-orm-not-null-refund.txt', 'c54a343e99693da24a43495b37b26c6f', 'in-app'],
    ['py311-gunicorn-20.1-error-handling-request.txt', 'cdff7f816461e4d624676713b233598f', 'in-app'],
    [
      'py311-uvicorn-0.17-fastapi-0.92-exception-in-asgi-application.txt',
      '9724987fb9b3d1632fa1a88707dc6fe0',
      'in-app',
    ],
    ['py311-python-c-requests-2.28-connection-refused.txt', '1d9f1263f533652f867e914cdcf3eac7', 'innermost'],
    [
      'py311-venv-setuptools-66-pkg-resources-distribution-not-found.txt',
      '239fecebec01c2f11e3d24ed1bb19346',
      'innermost',
    ],
  ])('%s', (file, fingerprint, frameSource) => {
    const record = recordOf(traceText(`python/${file}`));
    expect(fingerprintParts(record).frameSource).toBe(frameSource);
    expect(fingerprintError(record)).toBe(fingerprint);
  });
});
