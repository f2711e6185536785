// uvicorn logs the traceback of an ASGI app's lifespan handler that raised (Starlette's
// `lifespan.startup.failed` hands it the formatted traceback) at ERROR, then, at ERROR too,
// `Application startup failed. Exiting.`, and exits: one crash. Captured on Python 3.11.7 with
// Debian's uvicorn 0.17.6 and Starlette 0.26.1, a startup handler that cannot reach its database,
// under uvicorn itself (`ERROR:    …`) and under gunicorn 20.1's UvicornWorker (`[…] [ERROR] …`).
import { describe, expect, it } from 'vitest';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { makeEvents, traceText } from '../../support/log-events.ts';
import { readInBothShapes } from '../../support/one-record.ts';

const UVICORN = 'python/py311-uvicorn-0.17-starlette-0.26-lifespan-startup-failed.txt';
const GUNICORN = 'python/py311-gunicorn-20.1-uvicorn-worker-lifespan-startup-failed.txt';
const lines = (path: string) => traceText(path).replace(/\n+$/, '').split('\n');

describe("uvicorn's `Application startup failed. Exiting.` after the traceback it logged", () => {
  it.each([UVICORN, GUNICORN])("is the startup error's, one record in both shapes: %s", (path) => {
    const { record, perLine } = readInBothShapes(path);
    expect([record.exceptionType, record.message]).toEqual(['OSError', 'could not reach db-primary:5432']);
    expect(record.frames.filter((f) => f.inApp).at(-1)).toMatchObject({
      file: '/srv/audit-a/uvishop/boot.py',
      line: 7,
      function: 'connect_db',
    });
    // its line is the record's, as the traceback's are
    const signOff = lines(path).findIndex((line) => line.endsWith('Application startup failed. Exiting.'));
    expect(perLine.eventIds).toContain(`e${signOff}`);
  });

  it('stands alone when no traceback came right before it', () => {
    const all = lines(UVICORN);
    const signOff = all.length - 1;
    // alone, and long after the traceback (another start's, its traceback in an earlier delivery)
    expect(detectErrors(makeEvents([all[signOff] as string]))).toHaveLength(1);
    const late = makeEvents(all).map((e, i) =>
      i === signOff ? { ...e, timestamp: e.timestamp + 60_000 } : e,
    );
    expect(detectErrors(late).map((d) => d.record.message)).toEqual([
      'could not reach db-primary:5432',
      'Application startup failed. Exiting.',
    ]);
  });
});
