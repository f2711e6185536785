import type { RepoCoordinates } from '../ports/pull-requests.ts';
import type { FollowUpDeps } from './follow-up-deps.ts';

/** The hidden HTML comment a reply carries so a redelivered job can find it (`ai-ops:<key>`). */
export function replyMarker(key: string): string {
  return `<!-- ai-ops:${key.replace(/[^\w.:=-]/g, '_')} -->`;
}

/**
 * Comments on the PR unless a comment carrying the marker for `key` is already there: a
 * redelivered job (or a retry after a later step failed) does not say the same thing twice.
 */
export async function commentOnce({
  deps,
  repo,
  number,
  key,
  body,
}: {
  deps: Pick<FollowUpDeps, 'pullRequests' | 'codeHost'>;
  repo: RepoCoordinates;
  number: number;
  key: string;
  body: string;
}): Promise<{ id: number; url: string; posted: boolean }> {
  const marker = replyMarker(key);
  const existing = await deps.codeHost.findComment({ repo, number, marker });
  if (existing) return { ...existing, posted: false };
  const posted = await deps.pullRequests.comment({ repo, number, body: `${body.trimEnd()}\n\n${marker}` });
  return { ...posted, posted: true };
}
