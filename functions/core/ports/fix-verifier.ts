import type { IncidentAnalysis } from '../contracts.ts';
import type { RepoReader } from './repo-workspace.ts';

/**
 * Runs the application's own tests on a fix before its pull request opens (the seed's design
 * did this; the Lambda has no toolchain, so only the one-machine runner plugs one in:
 * functions/local/pipeline/command-fix-verifier.ts runs `AI_OPS_TEST_COMMAND` in a temporary copy of
 * the tree). Core tests use a fake.
 */
export interface FixVerifier {
  /** what runs, for people (PR comment, email) and the model's revision prompt */
  readonly command: string;
  /** run the tests on `tree` (the committed fix, not yet pushed) */
  verify(options: { tree: RepoReader; commit: string }): Promise<VerificationResult>;
}

export type VerificationResult =
  | { kind: 'passed'; durationMs: number }
  /** the tests ran and failed (non-zero exit, or killed at the time limit); `output` is the end of stdout+stderr, not yet redacted */
  | {
      kind: 'failed';
      reason: 'exit_code' | 'timeout';
      exitCode?: number;
      output: string;
      durationMs: number;
    }
  /**
   * the command could not run at all (not found, not executable, no temp space): the fix is
   * not to blame, so no revision is asked for; the PR says the tests did not run
   */
  | { kind: 'not_run'; detail: string };

/** What the incident records about the verification of its first fix (stored with the analysis). */
export type VerificationRecord = NonNullable<IncidentAnalysis['verification']>;
