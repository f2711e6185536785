import type { IncidentStatus } from '../contracts.ts';
import type { IncidentStore } from '../ports/incident-store.ts';
import type { JobQueue } from '../ports/job-queue.ts';
import type { IncidentFlagStore, IncidentFlags } from './incident-flags.ts';
import {
  decodeIncidentKey,
  type IncidentLinkAction,
  incidentActionUrl,
  incidentPageUrl,
  verifyIncidentLink,
} from './incident-link.ts';
import { enqueueRepair } from './queue-lease.ts';
import { renderIncidentGonePage, renderIncidentPage, renderLinkRefusedPage } from './render-incident-page.ts';

export const SNOOZE_MS = 7 * 24 * 60 * 60 * 1000;

export interface IncidentPageRequest {
  method: string;
  /** the `{key}` path segment (the incident key in base64url) */
  keySegment: string;
  /** the `{action}` path segment of a POST */
  action?: string;
  query: Readonly<Record<string, string | undefined>>;
}

export interface IncidentPageDeps {
  /** the link-signing key (Secrets Manager, cached by the caller) */
  secret: () => Promise<string>;
  store: Pick<IncidentStore, 'get' | 'transition'>;
  flags: IncidentFlagStore;
  /** the public base URL the links were signed for */
  baseUrl: string;
  /**
   * where "Try again" sends the repair job at once (the cloud's repair queue); without one, or
   * when the queue refuses it, the incident waits in `new` for the next sweep
   */
  queue?: JobQueue;
  now?: () => number;
}

export type IncidentPageResponse =
  | { kind: 'page'; html: string }
  | { kind: 'refused'; reason: 'expired' | 'tampered'; html: string }
  | { kind: 'not_found'; html: string }
  /** after a form: back to the page (303, so a reload does not post again) */
  | { kind: 'redirect'; location: string };

type FlagAction = Exclude<IncidentLinkAction, 'retry'>;

const ACTIONS: Record<FlagAction, { done: string; flags: (now: number) => IncidentFlags }> = {
  snooze: { done: 'Snoozed for 7 days.', flags: (now) => ({ snoozedUntil: now + SNOOZE_MS }) },
  ignore: { done: 'Ignored: ai-ops will not work on this error again.', flags: () => ({ ignored: true }) },
};

const RETRY_DONE = 'Queued for another attempt.';
const RETRY_LATER = 'Sent back for another attempt: the next sweep queues it.';

/** Outcomes a person may send back for another attempt ("Try again"). */
export const RETRYABLE_STATUSES: readonly IncidentStatus[] = ['no_fix', 'failed', 'skipped', 'dismissed'];

function isFlagAction(action: string | undefined): action is FlagAction {
  return action === 'snooze' || action === 'ignore';
}

/**
 * The signed incident page. GET only reads (mail scanners pre-fetch links, so a GET must never
 * change anything); POST `snooze` or `ignore` with the same signature sets the flag, `retry`
 * sends a no_fix, failed, skipped or dismissed incident back to `new` for the sweep; then 303.
 */
export async function serveIncidentPage(
  request: IncidentPageRequest,
  { secret, store, flags, baseUrl, queue, now = Date.now }: IncidentPageDeps,
): Promise<IncidentPageResponse> {
  const notFound = { kind: 'not_found', html: renderIncidentGonePage() } as const;
  const incidentKey = decodeIncidentKey(request.keySegment);
  const { exp, sig } = request.query;
  if (incidentKey === undefined)
    return { kind: 'refused', reason: 'tampered', html: renderLinkRefusedPage({ reason: 'tampered' }) };
  const verdict = verifyIncidentLink({ incidentKey, exp, sig, secret: await secret(), now: now() });
  if (verdict.kind !== 'ok')
    return { kind: 'refused', reason: verdict.kind, html: renderLinkRefusedPage({ reason: verdict.kind }) };
  // Both are set once the signature checked out.
  const signed = { baseUrl, incidentKey, exp: exp ?? '', sig: sig ?? '' };

  if (request.method === 'POST') {
    if (request.action === 'retry') {
      // Back to `new` (a compare-and-set on the status seen), then queued at once when a queue is
      // at hand; otherwise, or if the queue refuses, the sweep queues it.
      const incident = await store.get(incidentKey);
      if (!incident) return notFound;
      const sentBack =
        RETRYABLE_STATUSES.includes(incident.status) &&
        (await store.transition({
          incidentKey,
          from: incident.status,
          to: 'new',
          set: { retryAfter: undefined, lease: undefined, lastError: undefined },
        }));
      const queued = sentBack && queue ? await enqueueRepair(incident, { store, queue, now }) : false;
      const location = new URL(incidentPageUrl(signed));
      location.searchParams.set('done', queued || !sentBack ? 'retry' : 'retry_later');
      return { kind: 'redirect', location: location.toString() };
    }
    if (!isFlagAction(request.action)) return notFound;
    const changed = await flags.setFlags({ incidentKey, flags: ACTIONS[request.action].flags(now()) });
    if (!changed) return notFound;
    const location = new URL(incidentPageUrl(signed));
    location.searchParams.set('done', request.action);
    return { kind: 'redirect', location: location.toString() };
  }
  if (request.method !== 'GET' || request.action !== undefined) return notFound;

  const incident = await store.get(incidentKey);
  if (!incident) return notFound;
  const done = request.query.done;
  return {
    kind: 'page',
    html: renderIncidentPage({
      incident,
      now: now(),
      actions: {
        snooze: incidentActionUrl({ ...signed, action: 'snooze' }),
        ignore: incidentActionUrl({ ...signed, action: 'ignore' }),
        ...(RETRYABLE_STATUSES.includes(incident.status)
          ? { retry: incidentActionUrl({ ...signed, action: 'retry' }) }
          : {}),
      },
      ...(isFlagAction(done)
        ? { notice: ACTIONS[done].done }
        : done === 'retry'
          ? { notice: RETRY_DONE }
          : done === 'retry_later'
            ? { notice: RETRY_LATER }
            : {}),
    }),
  };
}
