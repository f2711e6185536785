// An error a Node.js Lambda logged without a stack trace, end to end: `console.error(\`checkout
// failed for order ${id}:\`, err.message)` as the runtime client writes it (captured, Text format).
// Through the deployed detector and analyzer on the stand-ins, the record has no frame; the
// analyzer places it at the statement that logged it, found by the message's fixed words, and
// the model's fix there (the default edit policy allows no other file) lands as a pull request
// that says where.
import { describe, expect, it } from 'vitest';
import { step } from '../support/anthropic-stand-in.ts';
import { fixtureApp } from '../support/fake-repo.ts';
import { changedPathsBetween, readBlobAt } from '../support/git-server.ts';
import { capturedMessages } from '../support/log-events.ts';
import { detectAndRepair, seedAppRepo } from './support/app-flow.ts';
import { useE2eStandIns } from './support/stand-ins.ts';

const GIT_TOKEN = 'ghs_e2eFakeTokenForTheLocalStandIns';
const { tableName, servers, startAnthropic } = useE2eStandIns({ token: GIT_TOKEN });

const LOGGED = 'javascript/node20-lambda-ric-text-console-error-message-only.events.jsonl';
// The code that wrote the captured line: lib/checkout.js logs what total() in lib/orders.js threw.
const FILES = fixtureApp('node-lambda-checkout');

describe('an error logged without a stack trace, log line to pull request', () => {
  it('places it at the statement that logged it and opens the fix made there', async () => {
    const app = await seedAppRepo({ standIns: servers, owner: 'acme', files: FILES });
    const anthropic = await startAnthropic([
      step.toolUse([
        {
          id: 'toolu_fix',
          name: 'submit_fix',
          input: {
            title: 'Price an order without lines as 0',
            rootCause: 'checkout() hands total() an order without lines, and total() reads order.lines.',
            explanation: 'Default the missing lines to an empty list where checkout calls total.',
            confidence: 'high',
            edits: [
              {
                path: 'lib/checkout.js',
                oldText: '    return total(order);\n',
                newText: '    return total({ lines: [], ...order });\n',
              },
            ],
          },
        },
      ]),
    ]);
    const { queued, response } = await detectAndRepair({
      standIns: servers,
      tableName,
      app,
      lines: capturedMessages(LOGGED),
      token: GIT_TOKEN,
      anthropicUrl: anthropic.url,
    });
    expect(queued).toHaveLength(1);
    expect((JSON.parse(queued[0]?.Body ?? '{}') as { error?: { frames?: unknown } }).error?.frames).toEqual(
      [],
    );
    expect(response.batchItemFailures).toEqual([]);

    // the model was shown the statement that logged it, and the code it calls is in reach
    const prompt = JSON.stringify(anthropic.requests[0]?.json);
    expect(prompt).toContain('--- lib/checkout.js (lines 1-12) ---');
    // under the default edit policy only the placed file may change
    expect(prompt).toContain('Files in scope for edits: lib/checkout.js.');
    expect(prompt).toContain('(\\"checkout failed for order\\") is written at lib/checkout.js:8');
    expect(anthropic.requests).toHaveLength(1);

    const [pr] = servers.github.pulls({ owner: 'acme', repo: app.repo.name });
    expect(pr).toMatchObject({ base: 'main', state: 'open' });
    const head = pr?.head ?? '';
    expect(changedPathsBetween(app.bare, app.mainHead, head)).toEqual(['lib/checkout.js']);
    expect(pr?.body).toContain(
      "- **Where:** `lib/checkout.js:8` (the report names no file; found in the repository's code)",
    );
    expect(readBlobAt(app.bare, head, 'lib/checkout.js').toString()).toContain(
      'return total({ lines: [], ...order });',
    );
  });
});
