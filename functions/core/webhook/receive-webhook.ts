import { createHash } from 'node:crypto';
import type { Incident, RepairJobKind } from '../contracts.ts';
import { computeTtl } from '../incident/incident-rules.ts';
import type { BranchLinks } from '../ports/branch-links.ts';
import type { DeliveryLog } from '../ports/delivery-log.ts';
import type { IncidentStore } from '../ports/incident-store.ts';
import type { JobQueue } from '../ports/job-queue.ts';
import { findIncidentReference, parseWebhookEvent, routeWebhook } from './route-webhook.ts';
import { verifyWebhookSignature } from './webhook-signature.ts';

/** A webhook request as it reached us: header names lower-cased, the body's exact bytes. */
export interface WebhookRequest {
  headers: Readonly<Record<string, string | undefined>>;
  rawBody: Uint8Array;
}

export interface ReceiveWebhookDeps {
  /** the webhook secret (read from Secrets Manager, cached by the caller) */
  secret: () => Promise<string>;
  deliveries: DeliveryLog;
  store: Pick<IncidentStore, 'get'>;
  branchLinks: BranchLinks;
  queue: JobQueue;
  now?: () => number;
  /** GitHub redelivers on request for days; a week covers manual redeliveries */
  deliveryTtlSeconds?: number;
  /** how long a branch link lives (an open fix PR can sit for a while) */
  branchLinkTtlDays?: number;
}

export type WebhookOutcome =
  /** signature missing, SHA-1 only, malformed or wrong: answered 401, nothing else happens */
  | { kind: 'unauthorized'; reason: string }
  /** signed, but not something GitHub sends (no delivery id, not JSON): 400 */
  | { kind: 'bad_request'; reason: string }
  /** this signed body was handled already (whatever delivery id it came with) */
  | { kind: 'duplicate'; deliveryId: string }
  | { kind: 'ignored'; reason: string }
  | { kind: 'queued'; job: RepairJobKind; incidentKey: string }
  | { kind: 'linked'; branch: string; incidentKey: string }
  /** the queue refused the job: 500, so the delivery shows as failed and can be redelivered */
  | { kind: 'enqueue_failed'; incidentKey: string; message: string };

/**
 * Handles one GitHub webhook delivery: verify the signature over the raw body, drop repeats of a
 * signed body, turn the event into at most one job and enqueue it. Only enqueues, so it answers
 * well within GitHub's 10 s; the analyzer does the work.
 */
export async function receiveWebhook(
  request: WebhookRequest,
  deps: ReceiveWebhookDeps,
): Promise<WebhookOutcome> {
  const { deliveries, store, branchLinks, queue, now = Date.now } = deps;
  const { deliveryTtlSeconds = 7 * 86_400, branchLinkTtlDays = 90 } = deps;
  const header = (name: string) => request.headers[name];
  const verdict = verifyWebhookSignature({
    rawBody: request.rawBody,
    signature256: header('x-hub-signature-256'),
    signature1: header('x-hub-signature'),
    secret: await deps.secret(),
  });
  if (verdict.kind === 'invalid') return { kind: 'unauthorized', reason: verdict.reason };

  const deliveryId = header('x-github-delivery');
  const eventName = header('x-github-event');
  if (!deliveryId || !eventName)
    return { kind: 'bad_request', reason: 'X-GitHub-Delivery or X-GitHub-Event missing' };
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(request.rawBody).toString('utf8'));
  } catch {
    return { kind: 'bad_request', reason: 'the body is not JSON (set the content type to application/json)' };
  }

  // Replay protection keys on what the signature covers: the body. The delivery id header is
  // not signed, so a captured request replayed under a fresh id must still count as a repeat
  // (GitHub's own redeliveries resend the same body, so they are repeats too).
  const replayKey = `body-sha256:${createHash('sha256').update(request.rawBody).digest('hex')}`;
  if (!(await deliveries.firstTime(replayKey, deliveryTtlSeconds))) return { kind: 'duplicate', deliveryId };
  try {
    const outcome = await actOnEvent({
      eventName,
      payload,
      store,
      branchLinks,
      queue,
      now,
      branchLinkTtlDays,
    });
    if (outcome.kind === 'enqueue_failed') await deliveries.forget(replayKey);
    return outcome;
  } catch (error: unknown) {
    // Not handled after all: GitHub's redelivery of this id must not be taken for a repeat.
    await deliveries.forget(replayKey);
    throw error;
  }
}

async function actOnEvent({
  eventName,
  payload,
  store,
  branchLinks,
  queue,
  now,
  branchLinkTtlDays,
}: {
  eventName: string;
  payload: unknown;
  store: Pick<IncidentStore, 'get'>;
  branchLinks: BranchLinks;
  queue: JobQueue;
  now: () => number;
  branchLinkTtlDays: number;
}): Promise<WebhookOutcome> {
  const parsed = parseWebhookEvent({ name: eventName, payload });
  if (parsed.kind === 'ignored') return parsed;
  const { event } = parsed;
  const reference = findIncidentReference(event);
  let incident: Incident | undefined;
  if (reference.kind === 'key') {
    incident = await store.get(reference.incidentKey);
  } else if (reference.kind === 'branch') {
    const incidentKey = await branchLinks.find({ repo: reference.repo, branch: reference.branch });
    incident = incidentKey === undefined ? undefined : await store.get(incidentKey);
  } else if (event.name !== 'ping') {
    return { kind: 'ignored', reason: reference.reason };
  }

  const route = routeWebhook({ event, incident });
  switch (route.kind) {
    case 'ignored':
      return route;
    case 'link_branch':
      await branchLinks.link({
        repo: route.repo,
        branch: route.branch,
        incidentKey: route.incidentKey,
        ttl: computeTtl({ nowMs: now(), ttlDays: branchLinkTtlDays }),
      });
      return { kind: 'linked', branch: route.branch, incidentKey: route.incidentKey };
    case 'job': {
      const { failed } = await queue.enqueue([route.job]);
      const failure = failed[0];
      if (failure)
        return { kind: 'enqueue_failed', incidentKey: failure.incidentKey, message: failure.message };
      return { kind: 'queued', job: route.job.kind, incidentKey: route.job.incidentKey };
    }
  }
}
