// A bundled Node.js Lambda end to end: the Lambda Node runtime's report of an uncaught error in a
// plain esbuild bundle (a CDK NodejsFunction's default, no source map) goes through the deployed
// detector and analyzer on the stand-ins, and the fix lands in the TypeScript source file that
// defines the function the bundle's frame names (test/support/bundled-shop.ts).
import { describe, expect, it } from 'vitest';
import { step } from '../support/anthropic-stand-in.ts';
import { bundledShopEvents, SHOP_FILES } from '../support/bundled-shop.ts';
import { changedPathsBetween, readBlobAt } from '../support/git-server.ts';
import { detectAndRepair, seedAppRepo } from './support/app-flow.ts';
import { useE2eStandIns } from './support/stand-ins.ts';

const GIT_TOKEN = 'ghs_e2eFakeTokenForTheLocalStandIns';
const { tableName, servers, startAnthropic } = useE2eStandIns({ token: GIT_TOKEN });

// line 11 of src/orders/pricing.ts, where the error is thrown
const FIX_OLD = `${(SHOP_FILES['src/orders/pricing.ts'] ?? '').split('\n')[10]}\n`;
const FIX_NEW =
  "  if (!order?.lines) throw new TypeError(order ? 'order has no lines' : 'order is missing');\n";

describe('a bundled Node.js Lambda, log line to pull request', () => {
  it('fixes the source file that defines the function the bundle frame names', async () => {
    const app = await seedAppRepo({ standIns: servers, owner: 'acme', files: SHOP_FILES });
    const anthropic = await startAnthropic([
      step.toolUse([
        {
          id: 'toolu_fix',
          name: 'submit_fix',
          input: {
            title: 'Say which part of the order is missing',
            rootCause: 'requireLines prints the whole order into the error message.',
            explanation: 'Name what is missing instead of serialising the order.',
            confidence: 'medium',
            edits: [{ path: 'src/orders/pricing.ts', oldText: FIX_OLD, newText: FIX_NEW }],
          },
        },
      ]),
    ]);
    const { queued, response } = await detectAndRepair({
      standIns: servers,
      tableName,
      app,
      lines: bundledShopEvents('plain'),
      token: GIT_TOKEN,
      anthropicUrl: anthropic.url,
    });
    expect(queued).toHaveLength(1);
    expect(response.batchItemFailures).toEqual([]);
    expect(FIX_OLD).toContain('throw new TypeError');

    // the model was shown the source at the definition, and told the lines are the bundle's
    const [request] = anthropic.requests;
    const prompt = JSON.stringify(request?.json);
    expect(prompt).toContain('requireLines → src/orders/pricing.ts:10');
    expect(prompt).toContain('--- src/orders/pricing.ts (lines 1-13) ---');

    const [pr] = servers.github.pulls({ owner: 'acme', repo: app.repo.name });
    expect(pr).toMatchObject({ base: 'main', draft: true, state: 'open' });
    const head = pr?.head ?? '';
    expect(changedPathsBetween(app.bare, app.mainHead, head)).toEqual(['src/orders/pricing.ts']);
    expect(readBlobAt(app.bare, head, 'src/orders/pricing.ts').toString()).toBe(
      (SHOP_FILES['src/orders/pricing.ts'] ?? '').replace(FIX_OLD, FIX_NEW),
    );
  });
});
