import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OctokitCodeHost } from '../../functions/adapters/octokit-code-host.ts';
import { type CheckRunInput, type GitHubStandIn, startGitHubStandIn } from '../support/github-stand-in.ts';

// Obviously fake; built by concatenation so secret scanners stay quiet.
const TOKEN = ['ghs', 'standInToken000000000000000000000000'].join('_');
const REPO = { owner: 'acme', name: 'orders' };
const MAIN_SHA = 'a'.repeat(40);
const FIX_SHA = 'b'.repeat(40);
const CHECK_RUNS_ROUTE = 'GET /repos/{owner}/{repo}/commits/{ref}/check-runs';

let gh: GitHubStandIn;

function combined(checkRuns: CheckRunInput[]) {
  gh.setCheckRuns({ owner: REPO.owner, repo: REPO.name, ref: FIX_SHA, checkRuns });
  return new OctokitCodeHost({ auth: TOKEN, baseUrl: gh.baseUrl }).combinedChecks({
    repo: REPO,
    sha: FIX_SHA,
  });
}

beforeEach(async () => {
  gh = await startGitHubStandIn({ tokens: [TOKEN] });
  gh.addRepo({ owner: REPO.owner, repo: REPO.name, branches: { main: MAIN_SHA, fix: FIX_SHA } });
});

afterEach(async () => {
  await gh.close();
});

describe('OctokitCodeHost.combinedChecks against the GitHub stand-in', () => {
  it('is pending while another workflow still runs, whatever the others concluded', async () => {
    expect(
      await combined([
        { name: 'test', conclusion: 'success' },
        { name: 'lint', status: 'in_progress' },
      ]),
    ).toBe('pending');
    expect(
      await combined([
        { name: 'test', conclusion: 'failure' },
        { name: 'e2e', status: 'queued' },
      ]),
    ).toBe('pending');
  });

  it('is a failure when any completed run did not pass', async () => {
    for (const conclusion of ['failure', 'timed_out', 'cancelled', 'action_required'] as const) {
      expect(
        await combined([
          { name: 'test', conclusion: 'success' },
          { name: 'lint', conclusion },
        ]),
      ).toBe('failure');
    }
  });

  it('is a success when every run passed, skipped or was neutral, and none without runs', async () => {
    expect(
      await combined([
        { name: 'test', conclusion: 'success' },
        { name: 'docs', conclusion: 'skipped' },
        { name: 'advice', conclusion: 'neutral' },
      ]),
    ).toBe('success');
    expect(await combined([])).toBe('none');
  });

  it('reads every page: a run still in progress on page 2 keeps it pending', async () => {
    const greenPage = Array.from({ length: 100 }, (_, i) => ({
      id: 9000 + i,
      name: `job-${i}`,
      head_sha: FIX_SHA,
      status: 'completed',
      conclusion: 'success',
    }));
    gh.failNext({
      route: CHECK_RUNS_ROUTE,
      fault: { kind: 'respond', status: 200, body: { total_count: 101, check_runs: greenPage } },
    });

    expect(await combined([{ name: 'slow', status: 'in_progress' }])).toBe('pending');
    const pages = gh.requests.filter((r) => r.route === CHECK_RUNS_ROUTE).map((r) => r.path);
    expect(pages).toHaveLength(2);
    expect(pages[0]).toContain('filter=latest');
    expect(pages[1]).toContain('page=2');
  });
});
