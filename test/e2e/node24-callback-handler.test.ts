// A Node.js Lambda moved to nodejs24.x with a callback-style handler, end to end: the runtime
// (client 4.0, captured) refuses it at every cold start (`Runtime.CallbackHandlerDeprecated`) and
// Node prints the refusal again as the process dies; neither names a file of the application.
// Through the deployed detector and analyzer on the stand-ins, the two prints are one incident,
// the error is placed at the handler that takes the callback, and the model's rewrite of it to an
// async function lands as a pull request.
import { describe, expect, it } from 'vitest';
import { step } from '../support/anthropic-stand-in.ts';
import { changedPathsBetween, readBlobAt } from '../support/git-server.ts';
import { capturedMessages } from '../support/log-events.ts';
import { detectAndRepair, seedAppRepo } from './support/app-flow.ts';
import { useE2eStandIns } from './support/stand-ins.ts';

const GIT_TOKEN = 'ghs_e2eFakeTokenForTheLocalStandIns';
const { tableName, servers, startAnthropic } = useE2eStandIns({ token: GIT_TOKEN });

const REFUSED = 'lambda/node24-lambda-ric-4.0-text-callback-handler.events.jsonl';
const HANDLER = [
  "const { total } = require('./lib/orders');",
  '',
  'exports.handler = (event, context, callback) => {',
  '  try {',
  '    callback(null, { statusCode: 200, body: JSON.stringify({ total: total(event.order) }) });',
  '  } catch (err) {',
  '    callback(err);',
  '  }',
  '};',
  '',
].join('\n');
const ASYNC_HANDLER = [
  "const { total } = require('./lib/orders');",
  '',
  'exports.handler = async (event) => {',
  '  return { statusCode: 200, body: JSON.stringify({ total: total(event.order) }) };',
  '};',
  '',
].join('\n');
const FILES: Record<string, string> = {
  'package.json': '{\n  "name": "orders"\n}\n',
  'index.js': HANDLER,
  'lib/orders.js': 'exports.total = (order) => order.lines.reduce((sum, line) => sum + line.price, 0);\n',
  // Express's middleware takes three arguments too: no handler
  'lib/auth.js': 'exports.requireUser = (req, res, next) => (req.user ? next() : res.sendStatus(401));\n',
  // a test's callback-style stub is not what Lambda loaded
  'test/handler.test.js': 'exports.handler = (event, context, callback) => callback(null, {});\n',
};

describe('a Node.js Lambda whose callback handler nodejs24.x refuses, log line to pull request', () => {
  it('places the error at the handler and opens the rewrite to an async function', async () => {
    const app = await seedAppRepo({ standIns: servers, owner: 'acme', files: FILES });
    const anthropic = await startAnthropic([
      step.toolUse([
        {
          id: 'toolu_async_handler',
          name: 'submit_fix',
          input: {
            title: 'Make the Lambda handler async for the Node.js 24 runtime',
            rootCause: 'index.js exports a callback-style handler, which nodejs24.x no longer runs.',
            explanation: 'Return the response and let errors throw instead of calling back.',
            confidence: 'high',
            edits: [{ path: 'index.js', oldText: HANDLER, newText: ASYNC_HANDLER }],
          },
        },
      ]),
    ]);
    const { queued, response } = await detectAndRepair({
      standIns: servers,
      tableName,
      app,
      lines: capturedMessages(REFUSED),
      token: GIT_TOKEN,
      anthropicUrl: anthropic.url,
    });
    // the runtime's Init Error and Node's raw print of it: one incident, one job
    expect(queued).toHaveLength(1);
    expect(response.batchItemFailures).toEqual([]);

    const prompt = JSON.stringify(anthropic.requests[0]?.json);
    expect(prompt).toContain('--- index.js (lines 1-');
    expect(prompt).toContain('The one exported function of the application');
    expect(prompt).toContain('is handler at index.js:3 (its third parameter, callback)');
    expect(prompt).not.toContain('lib/auth.js');
    expect(prompt).not.toContain('test/handler.test.js');

    const [pr] = servers.github.pulls({ owner: 'acme', repo: app.repo.name });
    expect(pr).toMatchObject({ base: 'main', state: 'open' });
    const head = pr?.head ?? '';
    expect(changedPathsBetween(app.bare, app.mainHead, head)).toEqual(['index.js']);
    expect(pr?.body).toContain("`index.js:3` (the report names no file; found in the repository's code)");
    expect(readBlobAt(app.bare, head, 'index.js').toString()).toBe(ASYNC_HANDLER);
  });
});
