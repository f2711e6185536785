// A Clojure service's division by zero, end to end on the stand-ins: the crash as it was captured
// (test/fixtures/apps/clojure-shop on Clojure 1.11 and OpenJDK 17), shipped one event per line,
// through the deployed detector and analyzer.
// - AOT-compiled and run as a class (an uberjar): a JVM trace, whose Clojure frames (clojure.lang,
//   clojure.core) are not the application's; the model is shown the namespaces the trace runs
//   through, placed by namespace (src/shop/core.clj, never clojure.core's core.clj).
// - Run through clojure.main (`clojure -M -m shop.core`): no trace, a summary naming the function,
//   its file and line; the model is shown that namespace.
// Before, Clojure's frames were the application's (the pull request named clojure.lang.Numbers'
// divide as where it was raised) and an edit of a .clj file was refused as not a source file.
import { describe, expect, it } from 'vitest';
import { fixtureApp } from '../support/fake-repo.ts';
import { traceText } from '../support/log-events.ts';
import { detectAndRepair, expectFixPullRequest, seedAppRepo, submitFixStep } from './support/app-flow.ts';
import { useE2eStandIns } from './support/stand-ins.ts';

const GIT_TOKEN = 'ghs_e2eFakeTokenForTheLocalStandIns';
const { tableName, servers, startAnthropic } = useE2eStandIns({ token: GIT_TOKEN });

const EDIT = {
  path: 'src/shop/pricing.clj',
  oldText: '  (/ (:total item) (:quantity item)))',
  newText: [
    '  (let [quantity (:quantity item)]',
    '    (when (zero? quantity)',
    '      (throw (ex-info "item has no quantity" {:item item})))',
    '    (/ (:total item) quantity)))',
  ].join('\n'),
};

const CASES = [
  {
    name: 'compiled ahead of time',
    crash: 'java/clojure111-aot-uncaught-arithmetic.txt',
    type: 'java.lang.ArithmeticException',
    shown: ['src/shop/pricing.clj', 'src/shop/core.clj'],
  },
  {
    name: 'run through clojure.main',
    crash: 'java/clojure111-cli-execution-error-report-file.txt',
    type: 'ArithmeticException',
    shown: ['src/shop/pricing.clj'],
  },
];

describe('a Clojure service dividing by zero, log lines to pull request', () => {
  it.each(CASES)('$name: shows, edits and names its own code', async (c) => {
    const app = await seedAppRepo({ standIns: servers, owner: 'acme', files: fixtureApp('clojure-shop') });
    const anthropic = await startAnthropic([
      submitFixStep({
        title: 'Refuse an item with no quantity',
        rootCause: 'unit-price divides by an item quantity of zero.',
        explanation: 'Throw an ex-info naming the item before dividing.',
        confidence: 'high',
        edits: [EDIT],
      }),
    ]);
    const { queued, response } = await detectAndRepair({
      standIns: servers,
      tableName,
      app,
      lines: traceText(c.crash).trimEnd().split('\n'),
      token: GIT_TOKEN,
      anthropicUrl: anthropic.url,
    });
    expect(queued).toHaveLength(1);
    const job = JSON.parse(queued[0]?.Body ?? '{}') as {
      error?: { exceptionType?: string; frames?: { file: string; function?: string; inApp: boolean }[] };
    };
    expect(job.error?.exceptionType).toBe(c.type);
    expect(job.error?.frames?.filter((f) => f.inApp).at(-1)).toMatchObject({
      file: 'pricing.clj',
      function: 'unit-price',
    });
    expect(response.batchItemFailures).toEqual([]);

    const prompt = JSON.stringify(anthropic.requests[0]?.json);
    for (const path of c.shown) expect(prompt).toContain(`--- ${path}`);

    const pr = expectFixPullRequest(servers, app, EDIT);
    expect(pr?.body).toContain('- **Where:** `unit-price` at `pricing.clj:4`');
  });
});
