import { describe, expect, it } from 'vitest';
import type { IncidentAnalysis } from '../../functions/core/contracts.ts';
import type { FixVerifier, VerificationResult } from '../../functions/core/ports/fix-verifier.ts';
import type { RepoReader } from '../../functions/core/ports/repo-workspace.ts';
import { applyFixProposal, DEFAULT_EDIT_POLICY } from '../../functions/core/repair/edit-policy.ts';
import { verificationLabels, verifyFix } from '../../functions/core/repair/verify-fix.ts';
import {
  BRANCH,
  INCIDENT_KEY,
  makeErrorRecord,
  makeFakeAdvisor,
  makeFakeGitHub,
  makeFakeWorkspaces,
  proposal,
  REPO,
} from '../support/follow-up-fakes.ts';

const FAKE_TOKEN = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';

/** A verifier that answers each run with the next scripted result and records what it saw. */
function makeVerifier(
  results: VerificationResult[],
): FixVerifier & { runs: Array<{ commit: string; users: string }> } {
  const runs: Array<{ commit: string; users: string }> = [];
  return {
    command: 'pytest -q',
    runs,
    async verify({ tree, commit }: { tree: RepoReader; commit: string }) {
      const users = new TextDecoder().decode((await tree.readFile('src/users.py')) ?? new Uint8Array());
      runs.push({ commit, users });
      const next = results.shift();
      if (!next) throw new Error('no more scripted test runs');
      return next;
    },
  };
}

const RED: VerificationResult = {
  kind: 'failed',
  reason: 'exit_code',
  exitCode: 1,
  output: `collected 3 items\nFAILED tests/test_users.py::test_unknown - assert None == {}\nGITHUB_TOKEN=${FAKE_TOKEN}\n1 failed, 2 passed`,
  durationMs: 40,
};
const GREEN: VerificationResult = { kind: 'passed', durationMs: 30 };

const ANALYSIS: IncidentAnalysis = {
  title: 'Return None for an unknown user',
  rootCause: 'missing key',
  explanation: 'The caller handles None.',
  confidence: 'medium',
  changes: [{ path: 'src/users.py', additions: 1, deletions: 1 }],
  model: 'claude-test',
  notes: '',
};

/** The first fix applied and committed on the branch, as the repair use case leaves it before the hook. */
async function committedFix() {
  const github = makeFakeGitHub();
  const workspace = await makeFakeWorkspaces(github).clone({ repo: REPO, branch: 'main' });
  const applied = await applyFixProposal({
    proposal: proposal(),
    repo: workspace,
    implicatedPaths: new Set(['src/users.py']),
    policy: DEFAULT_EDIT_POLICY,
  });
  if (applied.kind !== 'applied') throw new Error('the first fix did not apply');
  for (const file of applied.files) await workspace.writeFile(file.path, file.after);
  const commit = await workspace.commit({ branch: BRANCH, message: 'fix(ai): first', author: BOT });
  return { workspace, commit, changed: applied.files };
}

const BOT = { name: 'ai-ops[bot]', email: 'bot@example.com' };
const INCIDENT = { incidentKey: INCIDENT_KEY, sample: makeErrorRecord(), repo: REPO };
const REVISION = proposal({
  title: 'Return an empty dict, as the tests expect',
  edits: [
    {
      path: 'src/users.py',
      oldText: '    # unknown users are None\n',
      newText: '    # unknown users are {}\n',
    },
  ],
});

async function run(results: VerificationResult[], script: Parameters<typeof makeFakeAdvisor>[0]) {
  const fix = await committedFix();
  const verifier = makeVerifier(results);
  const advisor = makeFakeAdvisor(script);
  const result = await verifyFix({
    verifier,
    workspace: fix.workspace,
    branch: BRANCH,
    commit: fix.commit,
    incident: INCIDENT,
    analysis: ANALYSIS,
    changed: fix.changed,
    advisor,
    policy: DEFAULT_EDIT_POLICY,
    bot: BOT,
  });
  return { ...fix, verifier, advisor, result };
}

describe('verifyFix: the test command on the committed fix, before the push', () => {
  it('green on the first run: no model call, recorded as passed', async () => {
    const { result, advisor, verifier, commit } = await run([GREEN], []);
    expect(advisor.requests).toHaveLength(0);
    expect(verifier.runs.map((r) => r.commit)).toEqual([commit]);
    expect(verifier.runs[0]?.users).toContain('# unknown users are None');
    expect(result).toMatchObject({
      commit,
      costUsd: 0,
      analysis: { verification: { command: 'pytest -q', outcome: 'passed', runs: 1, revised: false } },
    });
    expect(verificationLabels(result.analysis.verification)).toEqual([]);
  });

  it('red → the failing output (redacted) goes back to the model once → its revision is committed and tested green', async () => {
    const { result, advisor, verifier, commit } = await run([RED, GREEN], [REVISION]);
    expect(advisor.requests).toHaveLength(1);
    const prompt = advisor.requests[0]?.prompt ?? '';
    expect(prompt).toContain('FAILED tests/test_users.py::test_unknown');
    expect(prompt).toContain('pytest -q');
    expect(prompt).toContain('+    # unknown users are None');
    expect(prompt).not.toContain(FAKE_TOKEN);
    expect(verifier.runs).toHaveLength(2);
    expect(verifier.runs[1]?.commit).not.toBe(commit);
    expect(verifier.runs[1]?.users).toContain('# unknown users are {}');
    expect(result.commit).toBe(verifier.runs[1]?.commit);
    expect(result.costUsd).toBeGreaterThan(0);
    expect(result.analysis.verification).toEqual({
      command: 'pytest -q',
      outcome: 'passed',
      runs: 2,
      revised: true,
    });
    // The PR's file list covers the fix and its revision together: one line changed in all.
    expect(result.analysis.changes).toEqual([{ path: 'src/users.py', additions: 1, deletions: 1 }]);
  });

  it('red → revision → still red: failed, and the PR opens labelled needs-human (no third run, no second model call)', async () => {
    const { result, advisor, verifier } = await run([RED, RED], [REVISION]);
    expect(advisor.requests).toHaveLength(1);
    expect(verifier.runs).toHaveLength(2);
    expect(result.analysis.verification).toMatchObject({ outcome: 'failed', runs: 2, revised: true });
    expect(result.analysis.verification?.detail).toContain('1 failed, 2 passed');
    expect(result.analysis.verification?.detail).not.toContain(FAKE_TOKEN);
    expect(verificationLabels(result.analysis.verification)).toEqual(['needs-human']);
  });

  it('red and no usable revision: the first fix stands, failed', async () => {
    const { result, commit, verifier } = await run([RED], ['none']);
    expect(verifier.runs).toHaveLength(1);
    expect(result.commit).toBe(commit);
    expect(result.analysis.verification).toMatchObject({ outcome: 'failed', runs: 1, revised: false });
  });

  it('a command that cannot run asks the model nothing and says the fix is untested', async () => {
    const { result, advisor } = await run([{ kind: 'not_run', detail: 'sh: pytest: not found' }], [REVISION]);
    expect(advisor.requests).toHaveLength(0);
    expect(result.analysis.verification).toMatchObject({
      outcome: 'not_run',
      detail: 'sh: pytest: not found',
    });
    expect(verificationLabels(result.analysis.verification)).toEqual([]);
  });
});
