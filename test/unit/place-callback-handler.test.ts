import { describe, expect, it } from 'vitest';
import type { ErrorRecord } from '../../functions/core/contracts.ts';
import { detectErrors } from '../../functions/core/detect/detect-errors.ts';
import { placeCallbackHandler } from '../../functions/core/repair/place-callback-handler.ts';
import { makeFakeRepo } from '../support/fake-repo.ts';
import { capturedMessages, makeEvents } from '../support/log-events.ts';

/** The nodejs24.x runtime's refusal of a callback handler, as captured (runtime client 4.0). */
const refused = (): ErrorRecord => {
  const [found] = detectErrors(
    makeEvents(capturedMessages('lambda/node24-lambda-ric-4.0-json-callback-handler.events.jsonl')),
  );
  return (found as { record: ErrorRecord }).record;
};

const place = (files: Record<string, string>, pathPrefix = '') =>
  placeCallbackHandler({ error: refused(), repo: makeFakeRepo(files), pathPrefix });

describe('placeCallbackHandler', () => {
  it.each([
    ['exports.handler = (event, context, callback) => {\n  callback(null, 1);\n};\n', 'handler', 1],
    ["'use strict';\n\nmodule.exports.main = async function (e, ctx, cb) {\n  cb(null, 1);\n};\n", 'main', 3],
    ['export const handler = (event, context, callback) => callback(null, 1);\n', 'handler', 1],
    [
      "import type { Handler } from 'aws-lambda';\n\nexport const handler: Handler = (event: unknown, context, callback) => {\n  callback(null);\n};\n",
      'handler',
      3,
    ],
    ['export function handler(event, context, done) {\n  done(null, 1);\n}\n', 'handler', 1],
    [
      'function handler(evt, _context, next) {\n  next(null, 1);\n}\n\nmodule.exports = { handler };\n',
      'handler',
      1,
    ],
    ['const run = (event, context, callback) => callback(null, 1);\n\nexports.handler = run;\n', 'run', 1],
  ])('places the refusal at the exported handler that takes a callback: %s', async (source, name, line) => {
    const placement = await place({ 'src/index.ts': source, 'package.json': '{}' });
    expect(placement).toMatchObject({
      kind: 'placed',
      path: 'src/index.ts',
      location: `src/index.ts:${line}`,
    });
    if (placement.kind !== 'placed') return;
    expect(placement.error.frames).toEqual([{ file: 'src/index.ts', line, function: name, inApp: true }]);
    expect(placement.finding).toContain(`is ${name} at src/index.ts:${line}`);
  });

  it.each([
    // Express's middleware and a handler already async take no callback
    ['exports.requireUser = (req, res, next) => next();\n'],
    ['exports.handler = async (event, context) => ({ statusCode: 200 });\n'],
    // defined, never exported
    ['function handler(event, context, callback) {\n  callback(null);\n}\n'],
  ])('finds no handler in %s, and says why no fix is attempted', async (source) => {
    const placement = await place({ 'index.js': source });
    expect(placement.kind).toBe('unplaced');
    if (placement.kind === 'unplaced') expect(placement.reason).toContain('no function of the repository');
  });

  it("leaves tests and dependencies' code out", async () => {
    const callback = 'exports.handler = (event, context, callback) => callback(null, 1);\n';
    const placement = await place({
      'index.js': 'exports.handler = async () => 1;\n',
      'test/index.test.js': callback,
      'node_modules/serverless-http/index.js': callback,
    });
    expect(placement.kind).toBe('unplaced');
  });

  it('names the candidates when several functions of the repository take a callback, and places none', async () => {
    const callback = 'exports.handler = (event, context, callback) => callback(null, 1);\n';
    const files = { 'orders/index.js': callback, 'billing/index.js': callback };
    const placement = await place(files);
    expect(placement.kind).toBe('unplaced');
    if (placement.kind === 'unplaced')
      expect(placement.reason).toContain('2 exported functions of the repository take one');
    // the log group routed to its function's directory chooses
    expect(await place(files, 'billing')).toMatchObject({ kind: 'placed', path: 'billing/index.js' });
  });

  it('is no concern of any other error', async () => {
    const other = { ...refused(), exceptionType: 'Runtime.HandlerNotFound' };
    const placement = await placeCallbackHandler({
      error: other,
      repo: makeFakeRepo({ 'index.js': 'exports.handler = (event, context, callback) => 1;\n' }),
    });
    expect(placement.kind).toBe('not_applicable');
  });
});
