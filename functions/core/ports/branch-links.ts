import type { RepoCoordinates } from './pull-requests.ts';

/**
 * Which incident a fix branch belongs to. CI events (`check_suite`, `workflow_run`) name the
 * branch and the PR number but carry no PR body, so they cannot show the fingerprint marker; the
 * webhook records the link when it sees the PR (opened, edited, pushed to) and reads it back here.
 */
export interface BranchLinks {
  link(input: { repo: RepoCoordinates; branch: string; incidentKey: string; ttl: number }): Promise<void>;
  /** The incident key linked to the branch, or undefined. */
  find(input: { repo: RepoCoordinates; branch: string }): Promise<string | undefined>;
}

/** The store key of a branch link; owner and name are lower-cased because GitHub ignores their case. */
export function branchLinkKey({ repo, branch }: { repo: RepoCoordinates; branch: string }): string {
  return `branch#${repo.owner.toLowerCase()}/${repo.name.toLowerCase()}#${branch}`;
}
