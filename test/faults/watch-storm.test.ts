import { appendFileSync, readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { runWatch } from '../../functions/local/commands/watch-command.ts';
import { createRepairPipeline } from '../../functions/local/pipeline/repair-pipeline.ts';
import { type FaultWorld, makeFaultWorld, readIncidents, TOKEN } from './watch-faults.ts';

/**
 * Issue #10: `ai-ops watch` refreshed the PR on every occurrence (5,689 GitHub requests in a
 * 10,500-occurrence storm). It now shares the detector's occurrence path: a refresh each time
 * the count doubles.
 */
const worlds: FaultWorld[] = [];
afterEach(async () => {
  await Promise.all(worlds.splice(0).map((w) => w.close()));
});

async function watchOnce(w: FaultWorld): Promise<{ code: number; output: string }> {
  const out = new PassThrough();
  let output = '';
  out.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const code = await runWatch(
    ['--once', '--quiet-ms', '20', w.log],
    { stdin: new PassThrough(), stdout: out, stderr: out },
    {
      env: {
        GITHUB_TOKEN: TOKEN,
        GITHUB_REPO: `${w.owner}/${w.name}`,
        GITHUB_API_URL: w.github.baseUrl,
        ANTHROPIC_API_KEY: 'sk-ant-fake-key-for-the-stand-in',
        ANTHROPIC_BASE_URL: w.anthropic.url,
        AI_OPS_STATE: `${w.dir}/state.db`,
        AI_OPS_MAIL: 'smtp',
        SMTP_HOST: '127.0.0.1',
        SMTP_PORT: String(w.smtp.port),
        SMTP_FROM: 'ai-ops@shop.example',
        SMTP_TO: 'oncall@shop.example',
      },
      cwd: w.dir,
      isTty: false,
      createHandler: createRepairPipeline({ stderr: out }),
    },
  );
  return { code, output };
}

describe('an error storm while the fix PR is open', () => {
  it('refreshes the PR when the count doubles, not on every occurrence', async () => {
    const w = await makeFaultWorld({ conversations: 1 });
    worlds.push(w);
    const first = await watchOnce(w);
    expect(first.code, first.output).toBe(0);
    expect(readIncidents(w)[0]?.status).toBe('pr_open');
    // the same request failing again and again, each trace closed by the next request's line
    const trace = `${readFileSync(w.log, 'utf8').trimEnd()}\n2026-11-26 09:14:04,000 INFO shop: next request\n`;
    const before = w.github.requests.length;
    const prKey = readIncidents(w)[0]?.incidentKey;

    const storm = Number(process.env.AI_OPS_STORM ?? 1000);
    appendFileSync(w.log, trace.repeat(storm));
    await watchOnce(w);

    // Read in one go, the 1,000 traces cross many read chunks: not one is split into a stray
    // record of its own, so they are one incident counted 1,000 more times.
    const incidents = readIncidents(w);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]?.incidentKey).toBe(prKey);
    expect(incidents[0]?.count).toBe(storm + 1);
    const requests = w.github.requests
      .slice(before)
      .filter((r) => /\/pulls\/1(\/|$|\?)|\/issues\/1\//.test(r.path)).length;
    expect(requests).toBeGreaterThan(0);
    // a refresh reads and updates the PR: a few requests per power of two, ~10 doublings for 1,000
    expect(requests).toBeLessThanOrEqual(4 * Math.ceil(Math.log2(storm + 1)));
    expect(w.smtp.messages).toHaveLength(1);
    console.info(`storm of ${storm} occurrences: ${requests} GitHub requests`);
  }, 120_000);
});
