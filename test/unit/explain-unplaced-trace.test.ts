// Why no fix was attempted for a trace none of whose frames maps to the repository.
import { describe, expect, it } from 'vitest';
import type { ErrorRecord } from '../../functions/core/contracts.ts';
import { detectErrors } from '../../functions/core/detect/detect-errors.ts';
import { buildRepairPrompt } from '../../functions/core/repair/build-repair-prompt.ts';
import { explainUnplacedTrace } from '../../functions/core/repair/explain-unplaced-trace.ts';
import { makeFakeRepo } from '../support/fake-repo.ts';
import { deliveries, makeEvents, traceText } from '../support/log-events.ts';

// Node 20, an app whose insert goes ten calls deep into an ORM-like package before it throws:
// V8 prints its default 10 frames, all the package's; placeOrder and the handler are cut off.
const CUT = traceText('javascript/node20-stack-trace-limit-dependency-frames.txt');
const APP = {
  'app.mjs':
    "import { Repository } from 'ormish';\nconst orders = new Repository();\nasync function placeOrder(sku) { await orders.insert({ sku }); }\n",
};

async function explain(text: string): Promise<string | undefined> {
  const [found] = detectErrors(makeEvents(deliveries(text).oneEvent));
  const error = (found as { record: ErrorRecord }).record;
  const { mappings } = await buildRepairPrompt({ error, repo: makeFakeRepo(APP), randomFence: () => 'f' });
  return explainUnplacedTrace({ error, mappings, scope: 'trace' });
}

describe('explainUnplacedTrace', () => {
  it("says Node cut the trace at its 10 frames, and how to print more, when all ten are a dependency's", async () => {
    const why = await explain(CUT);
    expect(why).toContain('none of the 10 frames of the trace maps to a file of this repository');
    expect(why).toContain('NODE_OPTIONS=--stack-trace-limit=50');
    expect(why).not.toContain('routed to the right repository');
  });

  it('says to check the routing when fewer frames than the limit map nowhere', async () => {
    const nine = CUT.trimEnd().split('\n').slice(0, -1).join('\n');
    const why = await explain(nine);
    expect(why).toContain('none of the 9 frames');
    expect(why).toContain('routed to the right repository');
    expect(why).not.toContain('stack-trace-limit');
  });
});
