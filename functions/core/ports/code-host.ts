import type { RepoCoordinates } from './pull-requests.ts';

/**
 * What the follow-up use cases (CI verdicts, review comments, merges) need from the code host
 * beyond `PullRequests` (which keeps `comment` and `addLabels`). A separate port rather than a
 * wider `PullRequests`, so the first-fix path and its fakes stay as they are.
 * `functions/adapters/octokit-code-host.ts` implements it over GitHub's REST, Actions, Checks
 * and GraphQL APIs; core tests use an in-memory fake.
 */
export interface CodeHost {
  /** turn a draft PR into one ready for review (GitHub: GraphQL only; a no-op when it is not a draft) */
  markReadyForReview(options: { repo: RepoCoordinates; number: number; nodeId: string }): Promise<void>;
  /** true when `user` may push to the repository (write, maintain or admin) */
  hasWritePermission(options: { repo: RepoCoordinates; user: string }): Promise<boolean>;
  /**
   * The logs of the failed jobs of one CI run (a workflow run, a check suite, or every check on
   * `headSha`), redacted and cut to `maxChars` in all (each log keeps its end, where errors are).
   */
  failingJobLogs(options: FailingJobLogsRequest): Promise<FailingJobLog[]>;
  /** true when anything reported a check or a status on the commit (a repository with CI) */
  hasChecks(options: { repo: RepoCoordinates; sha: string }): Promise<boolean>;
  /**
   * The state of every check run on the commit, across all its check suites (each Actions
   * workflow is its own suite): `pending` while any has not completed, `failure` when any
   * completed without passing, `success` when all passed (success, neutral or skipped), `none`
   * when there are no check runs at all.
   */
  combinedChecks(options: { repo: RepoCoordinates; sha: string }): Promise<CombinedChecks>;
  /** the head commit of `branch` with its message, or undefined when there is no such branch */
  branchHead(options: { repo: RepoCoordinates; branch: string }): Promise<BranchHead | undefined>;
  /** the PR's unified diff against its base, cut to `maxChars` */
  pullRequestDiff(options: { repo: RepoCoordinates; number: number; maxChars: number }): Promise<string>;
  /** the first comment on the PR whose body contains `marker` (how a redelivered job finds its own reply) */
  findComment(options: {
    repo: RepoCoordinates;
    number: number;
    marker: string;
  }): Promise<{ id: number; url: string } | undefined>;
}

export type CombinedChecks = 'pending' | 'success' | 'failure' | 'none';

export interface FailingJobLogsRequest {
  repo: RepoCoordinates;
  /** a workflow run id (`workflow_run` events) */
  runId?: number;
  /** a check suite id (`check_suite` events) */
  checkSuiteId?: number;
  headSha: string;
  /** characters of log text in all */
  maxChars: number;
}

export interface FailingJobLog {
  /** the job or check name */
  name: string;
  conclusion: string;
  url?: string;
  /** redacted; the end of the log when it was longer than its share */
  log: string;
  truncated: boolean;
}

export interface BranchHead {
  sha: string;
  message: string;
}
