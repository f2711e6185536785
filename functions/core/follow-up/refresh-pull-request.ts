import type { RepairJob } from '../contracts.ts';
import type { IncidentStore } from '../ports/incident-store.ts';
import type { PullRequests } from '../ports/pull-requests.ts';
import { updateOccurrences } from '../repair/render-pull-request.ts';

export type RefreshOutcome =
  | { kind: 'refreshed'; prNumber: number; count: number }
  | { kind: 'ignored'; reason: 'unknown_incident' | 'no_open_pr' | 'unchanged' };

/**
 * One open PR per fingerprint: a recurrence updates that PR's occurrence line instead of
 * opening another. Idempotent: the body is rewritten from the incident's current counts.
 */
export async function refreshPullRequest(
  job: Pick<RepairJob, 'incidentKey'>,
  { store, pullRequests }: { store: IncidentStore; pullRequests: PullRequests },
): Promise<RefreshOutcome> {
  const incident = await store.get(job.incidentKey);
  if (!incident) return { kind: 'ignored', reason: 'unknown_incident' };
  if (incident.status !== 'pr_open' || incident.prNumber === undefined)
    return { kind: 'ignored', reason: 'no_open_pr' };
  const repo = { owner: incident.repo.owner, name: incident.repo.name };
  const pr = await pullRequests.get({ repo, number: incident.prNumber });
  if (pr?.state !== 'open') return { kind: 'ignored', reason: 'no_open_pr' };
  const body = updateOccurrences(pr.body, {
    count: incident.count,
    firstSeen: incident.firstSeen,
    lastSeen: incident.lastSeen,
  });
  if (body === pr.body) return { kind: 'ignored', reason: 'unchanged' };
  await pullRequests.updateBody({ repo, number: pr.number, body });
  return { kind: 'refreshed', prNumber: pr.number, count: incident.count };
}
