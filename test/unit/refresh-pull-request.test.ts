import { describe, expect, it } from 'vitest';
import { MemoryIncidentStore } from '../../functions/adapters/memory-incident-store.ts';
import type { ErrorRecord } from '../../functions/core/contracts.ts';
import { refreshPullRequest } from '../../functions/core/follow-up/refresh-pull-request.ts';
import type { PullRequest, PullRequests } from '../../functions/core/ports/pull-requests.ts';
import { renderOccurrencesLine } from '../../functions/core/repair/render-pull-request.ts';

const sample: ErrorRecord = {
  language: 'python',
  exceptionType: 'ValueError',
  message: 'bad',
  frames: [],
  causes: [],
  raw: 'ValueError: bad',
  logGroup: '/aws/lambda/app',
  logStream: 's',
  timestamp: 1,
  eventIds: ['e1'],
};

function fakePulls(pr: PullRequest): PullRequests & { bodies: string[] } {
  const bodies: string[] = [];
  const unused = () => Promise.reject(new Error('not used'));
  return {
    bodies,
    findOpen: unused,
    open: unused,
    addLabels: unused,
    comment: unused,
    get: async () => ({ ...pr, body: bodies.at(-1) ?? pr.body }),
    updateBody: async ({ body }) => {
      bodies.push(body);
      return { ...pr, body };
    },
  };
}

describe('refreshPullRequest', () => {
  it("rewrites the open PR's occurrence line from the incident's counts, once per change", async () => {
    const store = new MemoryIncidentStore();
    const input = {
      incidentKey: 'acme/shop#fp',
      repo: { owner: 'acme', name: 'shop', baseBranch: 'main', pathPrefix: '' },
      fingerprint: 'fp',
      count: 1,
      firstSeen: 1_000,
      lastSeen: 1_000,
      sample,
      ttl: 0,
      batchId: 'b1',
    };
    await store.recordOccurrence(input);
    await store.transition({ incidentKey: input.incidentKey, from: 'new', to: 'analyzing' });
    await store.transition({
      incidentKey: input.incidentKey,
      from: 'analyzing',
      to: 'pr_open',
      set: { prNumber: 3 },
    });
    await store.recordOccurrence({ ...input, count: 41, lastSeen: 9_000, batchId: 'b2' });
    const before = `Intro\n\n${renderOccurrencesLine({ count: 1, firstSeen: 1_000, lastSeen: 1_000 })}\n\nrest`;
    const pulls = fakePulls({
      number: 3,
      url: 'http://x/pull/3',
      nodeId: 'n',
      title: 't',
      body: before,
      headBranch: 'fix/x',
      headSha: 'a',
      baseBranch: 'main',
      draft: true,
      state: 'open',
      merged: false,
      labels: [],
    });
    expect(await refreshPullRequest(input, { store, pullRequests: pulls })).toEqual({
      kind: 'refreshed',
      prNumber: 3,
      count: 42,
    });
    expect(pulls.bodies[0]).toContain(
      renderOccurrencesLine({ count: 42, firstSeen: 1_000, lastSeen: 9_000 }),
    );
    expect(pulls.bodies[0]).toContain('rest');
    expect(await refreshPullRequest(input, { store, pullRequests: pulls })).toEqual({
      kind: 'ignored',
      reason: 'unchanged',
    });
  });
});
