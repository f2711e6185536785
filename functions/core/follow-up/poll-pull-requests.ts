import type { Incident, RepairJob, RepoRef } from '../contracts.ts';
import type { ListableIncidentStore } from '../ports/incident-store.ts';
import type { FollowUpDeps } from './follow-up-deps.ts';
import { type CiVerdictOutcome, handleCiVerdict } from './handle-ci-verdict.ts';
import {
  type RecordDismissalOutcome,
  type RecordMergeOutcome,
  recordDismissal,
  recordMerge,
} from './record-merge.ts';
import { hasPullRequest } from './revise-incident.ts';

/** Open fix PRs looked at per poll: a backlog is worked through over several polls. */
export const DEFAULT_POLL_LIMIT = 50;

export type PollResult = {
  incidentKey: string;
} /** a check on the head has not finished, or nothing reported yet (the sweep's no-CI rule decides later) */ & (
  | { kind: 'waiting'; checks: 'pending' | 'none' }
  /** this head's verdict is already recorded */
  | { kind: 'unchanged' }
  | { kind: 'verdict'; outcome: CiVerdictOutcome }
  | { kind: 'merged'; outcome: RecordMergeOutcome }
  /** closed without a merge: the incident is `dismissed` */
  | { kind: 'closed'; outcome: RecordDismissalOutcome }
  | { kind: 'gone' }
  | { kind: 'failed'; message: string }
);

export interface PollDeps {
  store: ListableIncidentStore;
  followUpDeps: (repo: RepoRef) => Promise<FollowUpDeps>;
  now?: () => number;
}

/**
 * The webhook's work for a machine no webhook reaches: for each incident with an open fix PR,
 * read the PR and the checks on its head. Merged → `recordMerge` (→ `resolved_pending`); all
 * checks finished green → a `ci_passed` verdict (draft → ready, one comment, one email); one
 * finished red → a `ci_failed` verdict (a revision from the failing logs, then `needs-human`).
 * The verdicts go through `handleCiVerdict`, so polling and the webhook obey one set of rules,
 * and a head whose verdict is recorded is not looked at again.
 */
export async function pollPullRequests(
  deps: PollDeps,
  { limit = DEFAULT_POLL_LIMIT }: { limit?: number } = {},
): Promise<PollResult[]> {
  const now = deps.now ?? Date.now;
  const results: PollResult[] = [];
  const followUps = new Map<string, Promise<FollowUpDeps>>();
  const followUpsFor = (repo: RepoRef) => {
    const key = `${repo.owner}/${repo.name}`.toLowerCase();
    let built = followUps.get(key);
    if (!built) {
      built = deps.followUpDeps(repo);
      followUps.set(key, built);
    }
    return built;
  };
  for (const incident of await deps.store.listByStatus('pr_open', { limit })) {
    const incidentKey = incident.incidentKey;
    try {
      results.push({
        incidentKey,
        ...(await pollOne({ incident, deps: await followUpsFor(incident.repo) })),
      });
    } catch (error: unknown) {
      results.push({
        incidentKey,
        kind: 'failed',
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return results;

  async function pollOne({
    incident,
    deps: followUp,
  }: {
    incident: Incident;
    deps: FollowUpDeps;
  }): Promise<DistributiveOmit<PollResult, 'incidentKey'>> {
    if (!hasPullRequest(incident)) return { kind: 'gone' };
    const repo = incident.repo;
    const pr = await followUp.pullRequests.get({ repo, number: incident.prNumber });
    if (!pr) return { kind: 'gone' };
    const job = (kind: RepairJob['kind'], extra: Partial<RepairJob>): RepairJob => ({
      v: 1,
      kind,
      incidentKey: incident.incidentKey,
      error: incident.sample,
      repo,
      attempt: 0,
      pr: { number: pr.number, url: pr.url, branch: pr.headBranch },
      ...extra,
    });
    if (pr.merged) {
      const merge = { sha: pr.mergeCommitSha ?? pr.headSha, mergedAt: pr.mergedAt ?? now() };
      return { kind: 'merged', outcome: await recordMerge(job('merged', { merge }), followUp) };
    }
    if (pr.state === 'closed') {
      // Closed without a merge: the person said no to this fix (GitHub's REST pull has closed_at,
      // the port does not carry it; the tick's time is within a sweep interval of it).
      return {
        kind: 'closed',
        outcome: await recordDismissal(job('dismissed', { closedAt: now() }), followUp),
      };
    }
    // A recorded green or red verdict on this head was acted on; `no_ci` is not a verdict (a CI
    // that reports late is still heard, as with the webhook).
    if (incident.ci?.headSha === pr.headSha && incident.ci.conclusion !== 'no_ci')
      return { kind: 'unchanged' };
    const checks = await followUp.codeHost.combinedChecks({ repo, sha: pr.headSha });
    if (checks === 'pending' || checks === 'none') return { kind: 'waiting', checks };
    const ci = { headSha: pr.headSha, conclusion: checks };
    const outcome = await handleCiVerdict(
      job(checks === 'success' ? 'ci_passed' : 'ci_failed', { ci }),
      followUp,
    );
    return { kind: 'verdict', outcome };
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
