// A Rust service whose main returned an anyhow error, end to end on the stand-ins: the report as it
// was captured (test/fixtures/apps/rust-anyhow-shop, rustc 1.95, anyhow 1.0.69), shipped one event
// per line, through the deployed detector and analyzer. The report names no file: the analyzer
// places it at the statement that wrote its context (`.context("checkout failed")`), the model is
// shown the code with the chain of causes, and its fix to src/main.rs lands as a pull request.
// Before, the report was read as JavaScript's `Error: checkout failed`: its causes were lost, and
// an edit of a .rs file was refused as no source of the trace's language.
import { describe, expect, it } from 'vitest';
import { fixtureApp } from '../support/fake-repo.ts';
import { traceText } from '../support/log-events.ts';
import { detectAndRepair, expectFixPullRequest, seedAppRepo, submitFixStep } from './support/app-flow.ts';
import { useE2eStandIns } from './support/stand-ins.ts';

const GIT_TOKEN = 'ghs_e2eFakeTokenForTheLocalStandIns';
const { tableName, servers, startAnthropic } = useE2eStandIns({ token: GIT_TOKEN });

const EDIT = {
  path: 'src/main.rs',
  oldText: '        raw.trim().parse::<u32>()',
  newText: "        raw.trim().trim_end_matches('x').parse::<u32>()",
};

describe("a Rust service's main returning an anyhow error, log lines to pull request", () => {
  it('reads the chain, places it at the code that wrote it, and opens the fix made there', async () => {
    const app = await seedAppRepo({
      standIns: servers,
      owner: 'acme',
      files: fixtureApp('rust-anyhow-shop'),
    });
    const anthropic = await startAnthropic([
      submitFixStep({
        title: 'Accept a quantity written with a trailing x',
        rootCause: 'parse_quantity rejects "2x", and checkout fails with it.',
        explanation: 'Strip the trailing x before parsing the quantity.',
        confidence: 'medium',
        edits: [EDIT],
      }),
    ]);
    const { queued, response } = await detectAndRepair({
      standIns: servers,
      tableName,
      app,
      lines: traceText('rust/rust195-anyhow-1.0-main-returned-error-chain.txt').trimEnd().split('\n'),
      token: GIT_TOKEN,
      anthropicUrl: anthropic.url,
    });
    expect(queued).toHaveLength(1);
    const job = JSON.parse(queued[0]?.Body ?? '{}') as {
      error?: { language?: string; message?: string; causes?: { message: string }[] };
    };
    expect(job.error).toMatchObject({ language: 'rust', message: 'checkout failed' });
    expect(job.error?.causes?.map((c) => c.message)).toEqual([
      'failed to price order 7',
      'quantity "2x" is not a number',
      'invalid digit found in string',
    ]);
    expect(response.batchItemFailures).toEqual([]);

    const prompt = JSON.stringify(anthropic.requests[0]?.json);
    expect(prompt).toContain('--- src/main.rs');
    expect(prompt).toContain('invalid digit found in string');
    expect(prompt).toContain('is written at src/main.rs:24');

    expectFixPullRequest(servers, app, EDIT);
  });
});
