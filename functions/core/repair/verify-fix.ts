import type { Incident, IncidentAnalysis } from '../contracts.ts';
import { buildRevisionPrompt } from '../follow-up/build-revision-prompt.ts';
import { proposeRevision } from '../follow-up/propose-revision.ts';
import type { FixAdvisor } from '../ports/fix-advisor.ts';
import type { FixVerifier, VerificationRecord, VerificationResult } from '../ports/fix-verifier.ts';
import type { GitIdentity, RepoWorkspace } from '../ports/repo-workspace.ts';
import type { SyntaxChecker } from '../ports/syntax-checker.ts';
import { redact } from '../text/redact.ts';
import type { ChangedFile, EditPolicy } from './edit-policy.ts';
import { unifiedDiff } from './unified-diff.ts';

/** Characters of the failing output kept (its end, where test runners print the failures). */
export const DEFAULT_TEST_OUTPUT_CHARS = 6000;
/** The label a fix whose tests still fail after its one revision gets, as after two red CI runs. */
export const NEEDS_HUMAN_LABEL = 'needs-human';

export interface VerifyFixResult {
  /** the analysis with `verification` set and `changes` covering the revision too */
  analysis: IncidentAnalysis;
  /** what the revision's model call cost (0 without one) */
  costUsd: number;
  /** the branch's head after verification: the fix, or the revision on top of it */
  commit: string;
}

/**
 * The test command on the committed (not yet pushed) fix. Red → the failing output goes back to
 * the model once, its revision is committed on top and tested again; still red → the fix is
 * pushed as a draft labelled for a person, like a fix CI failed twice on. A command that could
 * not run at all asks the model nothing.
 */
export async function verifyFix({
  verifier,
  workspace,
  branch,
  commit,
  incident,
  analysis,
  changed,
  advisor,
  policy,
  bot,
  syntax,
  maxOutputChars = DEFAULT_TEST_OUTPUT_CHARS,
  onProgress,
}: {
  verifier: FixVerifier;
  /** the clone with the fix committed on `branch` */
  workspace: RepoWorkspace;
  branch: string;
  commit: string;
  incident: Pick<Incident, 'incidentKey' | 'sample' | 'repo'>;
  analysis: IncidentAnalysis;
  /** the first fix's files, for the diff the revision prompt shows */
  changed: readonly ChangedFile[];
  advisor: FixAdvisor;
  policy: EditPolicy;
  bot: GitIdentity;
  syntax?: SyntaxChecker | undefined;
  maxOutputChars?: number;
  onProgress?: (detail: string) => void;
}): Promise<VerifyFixResult> {
  const command = verifier.command;
  const record = (verification: VerificationRecord, extra: Partial<VerifyFixResult> = {}) => ({
    analysis: { ...analysis, ...extra.analysis, verification },
    costUsd: extra.costUsd ?? 0,
    commit: extra.commit ?? commit,
  });

  onProgress?.(`testing: ${command}`);
  const first = await verifier.verify({ tree: workspace, commit });
  if (first.kind === 'passed') return record({ command, outcome: 'passed', runs: 1, revised: false });
  if (first.kind === 'not_run')
    return record({ command, outcome: 'not_run', runs: 0, revised: false, detail: first.detail });

  const output = failingOutput(first, maxOutputChars);
  onProgress?.(`tests failed (${describeFailure(first)}); asking for a revision`);
  const diff = changed
    .map((f) => unifiedDiff({ path: f.path, before: f.before, after: f.afterText }))
    .join('');
  const prompt = await buildRevisionPrompt({
    incident: { sample: incident.sample, repo: incident.repo, analysis },
    diff,
    request: {
      kind: 'ci_failure',
      headSha: commit,
      logs: [{ name: `the test command ${command}`, conclusion: describeFailure(first), log: output }],
    },
    repo: workspace,
    limits: { maxLogChars: maxOutputChars },
  });
  const attempt = await proposeRevision({
    advisor,
    prompt,
    workspace,
    sample: incident.sample,
    policy,
    syntax,
  });
  if (attempt.kind === 'applied') {
    const title = attempt.advice.proposal.title.replace(/\s+/g, ' ').trim().slice(0, 120);
    const revision = await workspace.commit({
      branch,
      message: [
        `fix(ai): ${title}`,
        '',
        `Revision after the test command failed on ${commit.slice(0, 12)}.`,
        '',
        `Incident: ${incident.incidentKey}`,
        '',
      ].join('\n'),
      author: bot,
    });
    const extra = {
      costUsd: attempt.advice.usage.costUsd,
      commit: revision,
      analysis: { ...analysis, changes: combinedChanges(changed, attempt.files) },
    };
    onProgress?.(`testing the revision: ${command}`);
    const second = await verifier.verify({ tree: workspace, commit: revision });
    if (second.kind === 'passed')
      return record({ command, outcome: 'passed', runs: 2, revised: true }, extra);
    if (second.kind === 'not_run')
      return record({ command, outcome: 'not_run', runs: 1, revised: true, detail: second.detail }, extra);
    return record(
      { command, outcome: 'failed', runs: 2, revised: true, detail: failingOutput(second, maxOutputChars) },
      extra,
    );
  }
  // No usable revision: the first fix stands, red; a person takes it from the draft.
  return record(
    { command, outcome: 'failed', runs: 1, revised: false, detail: output },
    { costUsd: attempt.advice.usage.costUsd },
  );
}

/** The extra labels a fix's PR opens with: a person is asked for when its tests still fail. */
export function verificationLabels(
  verification: VerificationRecord | undefined,
  label = NEEDS_HUMAN_LABEL,
): string[] {
  return verification?.outcome === 'failed' ? [label] : [];
}

function describeFailure(result: Extract<VerificationResult, { kind: 'failed' }>): string {
  return result.reason === 'timeout' ? 'timed out' : `exit code ${result.exitCode ?? 'unknown'}`;
}

/** The end of the output, redacted: test output prints fixtures, environment and tokens too. */
function failingOutput(result: Extract<VerificationResult, { kind: 'failed' }>, max: number): string {
  const text = redact(result.output);
  return text.length > max ? `…${text.slice(-max)}` : text;
}

/** Per path, the first fix and its revision together (the PR's "Files changed" list). */
function combinedChanges(
  first: readonly ChangedFile[],
  revision: readonly ChangedFile[],
): IncidentAnalysis['changes'] {
  const byPath = new Map<string, { before: string; after: string }>();
  for (const file of [...first, ...revision]) {
    const seen = byPath.get(file.path);
    byPath.set(file.path, { before: seen?.before ?? file.before, after: file.afterText });
  }
  return [...byPath].map(([path, { before, after }]) => {
    const lines = unifiedDiff({ path, before, after }).split('\n').slice(3);
    return {
      path,
      additions: lines.filter((l) => l.startsWith('+')).length,
      deletions: lines.filter((l) => l.startsWith('-')).length,
    };
  });
}
