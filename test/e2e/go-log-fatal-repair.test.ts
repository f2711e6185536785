// A Go Lambda that gave up with log.Fatalf, end to end on the stand-ins: its two lines as
// test/fixtures/apps/go-log-fatal-shop wrote them (Go 1.19), between the Lambda platform's lines
// for a runtime that exited 1, through the default subscription filter. log.Fatalf writes no
// error word: the filter delivers the platform's report alone. The detector reads the stream back
// behind the exit, keeps what the invocation logged last, and the analyzer places the exit at the
// statement that wrote its last line; the model's fix there lands as a pull request.
// Before, the exit was an incident with nothing of the program's in it: no model call, an email
// saying that nothing pointed at the code.
import { describe, expect, it } from 'vitest';
import { fixtureApp } from '../support/fake-repo.ts';
import { capturedMessages, passesDefaultFilter } from '../support/log-events.ts';
import { detectAndRepair, expectFixPullRequest, seedAppRepo, submitFixStep } from './support/app-flow.ts';
import { useE2eStandIns } from './support/stand-ins.ts';

const GIT_TOKEN = 'ghs_e2eFakeTokenForTheLocalStandIns';
const { tableName, servers, startAnthropic } = useE2eStandIns({ token: GIT_TOKEN });

const EDIT = {
  path: 'main.go',
  oldText: '\tquantity, err := strconv.Atoi(rawQuantity)\n',
  newText:
    "\tif n := len(rawQuantity); n > 0 && rawQuantity[n-1] == 'x' {\n\t\trawQuantity = rawQuantity[:n-1]\n\t}\n\tquantity, err := strconv.Atoi(rawQuantity)\n",
};

describe('a Go Lambda that exited through log.Fatalf, log lines to pull request', () => {
  it('keeps its last words with the exit, places the exit at the statement that wrote them, and opens the fix', async () => {
    const app = await seedAppRepo({
      standIns: servers,
      owner: 'acme',
      files: fixtureApp('go-log-fatal-shop'),
    });
    const anthropic = await startAnthropic([
      submitFixStep({
        title: 'Accept a quantity written with a trailing x',
        rootCause: 'unitPrice cannot parse "2x", and main exits through log.Fatalf.',
        explanation: 'Strip the trailing x before parsing the quantity.',
        confidence: 'medium',
        edits: [EDIT],
      }),
    ]);
    const { queued, response } = await detectAndRepair({
      standIns: servers,
      tableName,
      app,
      lines: capturedMessages('lambda/go119-log-fatalf-then-runtime-exit.events.jsonl'),
      token: GIT_TOKEN,
      anthropicUrl: anthropic.url,
      deliver: passesDefaultFilter,
    });
    expect(queued).toHaveLength(1);
    const job = JSON.parse(queued[0]?.Body ?? '{}') as {
      error?: { exceptionType?: string; lastLines?: string[] };
    };
    expect(job.error?.exceptionType).toBe('Runtime.ExitError');
    expect(job.error?.lastLines?.at(-1)).toContain('failed to price order 7: quantity "2x"');
    expect(response.batchItemFailures).toEqual([]);

    const prompt = JSON.stringify(anthropic.requests[0]?.json);
    expect(prompt).toContain('--- main.go');
    expect(prompt).toContain('What the invocation logged last before its runtime exited:');
    expect(prompt).toContain('is written at main.go:21');

    expectFixPullRequest(servers, app, EDIT);
    const [mail] = (await servers.ses.emails()).filter((e) => e.subject.includes(app.repo.name));
    expect(mail?.body.text).toContain('What it logged last before it exited:');
  });
});
