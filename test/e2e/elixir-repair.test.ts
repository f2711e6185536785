// An Elixir service's crash, end to end: a GenServer's crash report as Logger's console backend
// wrote it (captured with Elixir 1.14 / OTP 25 from test/fixtures/apps/elixir-shop), shipped one
// event per line as a container's stderr is. Through the deployed detector and analyzer on the
// stand-ins: one record with its frames, the model shown the code they name, the fix a pull
// request on the file where the exception was raised.
import { describe, expect, it } from 'vitest';
import { step } from '../support/anthropic-stand-in.ts';
import { fixtureApp } from '../support/fake-repo.ts';
import { changedPathsBetween, readBlobAt } from '../support/git-server.ts';
import { traceText } from '../support/log-events.ts';
import { detectAndRepair, seedAppRepo } from './support/app-flow.ts';
import { useE2eStandIns } from './support/stand-ins.ts';

const GIT_TOKEN = 'ghs_e2eFakeTokenForTheLocalStandIns';
const { tableName, servers, startAnthropic } = useE2eStandIns({ token: GIT_TOKEN });

const CRASH = 'elixir/elixir114-genserver-terminating-case-clause.txt';

describe("an Elixir GenServer's crash report, log lines to pull request", () => {
  it('reads the report as the exception with its frames and opens the fix where it was raised', async () => {
    const app = await seedAppRepo({ standIns: servers, owner: 'acme', files: fixtureApp('elixir-shop') });
    const anthropic = await startAnthropic([
      step.toolUse([
        {
          id: 'toolu_fix',
          name: 'submit_fix',
          input: {
            title: 'Leave the total as it is for an unknown discount code',
            rootCause: 'discount/2 matches only "HALF"; any other code raises CaseClauseError in the cart.',
            explanation: 'Add a catch-all clause that applies no discount.',
            confidence: 'high',
            edits: [
              {
                path: 'lib/shop/pricing.ex',
                oldText: '      "HALF" -> total / 2\n',
                newText: '      "HALF" -> total / 2\n      _other -> total\n',
              },
            ],
          },
        },
      ]),
    ]);
    const lines = traceText(CRASH).replace(/^\n/, '').trimEnd().split('\n');
    const { queued, response } = await detectAndRepair({
      standIns: servers,
      tableName,
      app,
      lines,
      token: GIT_TOKEN,
      anthropicUrl: anthropic.url,
      logStream: 'ecs/shop/5a3e7b1c2f4d4c8e9b6a1d2e3f4a5b6c',
    });
    expect(queued).toHaveLength(1);
    const job = JSON.parse(queued[0]?.Body ?? '{}') as {
      error?: {
        language?: string;
        exceptionType?: string;
        frames?: { file: string; line?: number; inApp: boolean }[];
      };
    };
    expect(job.error).toMatchObject({ language: 'elixir', exceptionType: 'CaseClauseError' });
    expect(job.error?.frames?.filter((f) => f.inApp).map((f) => `${f.file}:${f.line}`)).toEqual([
      'lib/shop/cart.ex:12',
      'lib/shop/pricing.ex:7',
    ]);
    expect(response.batchItemFailures).toEqual([]);

    // the model was shown the code the frames name
    const prompt = JSON.stringify(anthropic.requests[0]?.json);
    expect(prompt).toContain('Language: elixir.');
    expect(prompt).toContain('--- lib/shop/pricing.ex');
    expect(prompt).toContain('--- lib/shop/cart.ex');

    const [pr] = servers.github.pulls({ owner: 'acme', repo: app.repo.name });
    expect(pr).toMatchObject({ base: 'main', state: 'open' });
    const head = pr?.head ?? '';
    expect(changedPathsBetween(app.bare, app.mainHead, head)).toEqual(['lib/shop/pricing.ex']);
    expect(readBlobAt(app.bare, head, 'lib/shop/pricing.ex').toString()).toContain('_other -> total');
  });
});
