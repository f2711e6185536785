import { createHash } from 'node:crypto';
import type { ErrorRecord, Incident, IncidentStatus, LogEvent, RepairJob, RepoRef } from '../contracts.ts';
import { buildIncidentKey, computeTtl, decideRecurrence } from '../incident/incident-rules.ts';
import { DEFAULT_QUEUE_LEASE_MS, releaseQueueLease } from '../incident/queue-lease.ts';
import type { IncidentStore, OccurrenceResult } from '../ports/incident-store.ts';
import type { EnqueueFailure, JobQueue } from '../ports/job-queue.ts';
import type { LogContextSource } from '../ports/log-context-source.ts';
import { redact } from '../text/redact.ts';
import { BarrenLines } from './barren-lines.ts';
import { type DecodedSubscription, decodeSubscriptionEvent, PayloadError } from './decode-subscription.ts';
import { type DetectedError, detectErrors, isCauseOfExit } from './detect-errors.ts';
import { fingerprintError } from './fingerprint.ts';
import {
  invocationLastLines,
  isRuntimeExit,
  RUNTIME_FOLLOW_UP_WITHIN_MS,
  type StoppedInvocation,
  TIMED_OUT_TYPE,
} from './lambda-platform.ts';

export interface RecordErrorsDeps {
  store: IncidentStore;
  queue: JobQueue;
  logContext: LogContextSource;
  /** the repository that owns a log group's code, or undefined when none is configured */
  resolveRepo: (logGroup: string) => RepoRef | undefined;
  /** ai-ops' own log groups: never turned into incidents, even if a filter points at them */
  ownLogGroups?: ReadonlySet<string>;
  ttlDays?: number;
  now?: () => number;
  decode?: (event: unknown) => DecodedSubscription;
  detect?: (events: readonly LogEvent[], options?: { tentative?: boolean }) => DetectedError[];
  fingerprint?: (record: ErrorRecord) => string;
  /** GetLogEvents calls per delivery at most: a storm of cut-off traces must not become a storm of reads */
  maxContextFetches?: number;
  /**
   * Time for all context reads of one delivery, from the first read's start: a stalled or slow
   * CloudWatch Logs must cost the rest of a trace, never the delivery (the Lambda's timeout).
   */
  contextBudgetMs?: number;
  /** store writes in flight at once */
  concurrency?: number;
  /** the queue lease's owner on `queued` incidents (default `sqs`) */
  queueOwner?: string;
  /** how long a queued job may stay unclaimed before the sweep sends it again */
  queueLeaseMs?: number;
  /**
   * Lone lines read around in vain, remembered across deliveries (one per warm detector); by
   * default each delivery starts with none.
   */
  barrenLines?: BarrenLines;
}

export interface IncidentReport {
  incidentKey: string;
  result: OccurrenceResult['kind'];
  /** the status after this delivery */
  status: IncidentStatus;
  /** occurrences in this delivery */
  count: number;
  /** occurrences recorded so far, this delivery included */
  totalCount: number;
  enqueued: boolean;
  reopened: boolean;
}

export interface ContextFetchReport {
  /** GetLogEvents calls made */
  fetched: number;
  /** cut-off traces completed from the fetched events */
  assembled: number;
  /**
   * cut-off traces completed, with no read of their own, from the fetched trace of an earlier head
   * of the same signature (type and normalised message) in this delivery
   */
  inferred: number;
  /** cut-off traces left as they were because the cap was reached */
  skipped: number;
  /** cut-off traces left as they were because the delivery's time for reads ran out */
  outOfTime: number;
  /**
   * reads that failed: for the rest of a cut-off trace, for what a timed-out invocation logged
   * last (`lastLines`), for the error a runtime's exit may follow (`exitCause`), or for the print
   * of an error the runtime's report of it may follow (`earlierPrint`)
   */
  failures: {
    logStream: string;
    timestamp: number;
    message: string;
    lastLines?: true;
    exitCause?: true;
    earlierPrint?: true;
  }[];
}

export type RecordErrorsOutcome =
  | { kind: 'rejected'; code: string; reason: string }
  | { kind: 'control' }
  | { kind: 'ignored'; reason: 'own_log_group'; logGroup: string }
  | { kind: 'unrouted'; logGroup: string; errorsSeen: number }
  | {
      kind: 'recorded';
      logGroup: string;
      logStream: string;
      eventsSeen: number;
      errorsSeen: number;
      context: ContextFetchReport;
      incidents: IncidentReport[];
    };

export type EnqueueFailedErrorCode = 'enqueue_failed';

/**
 * Some jobs did not reach the queue. Their incidents stay `new`, so redelivering the payload
 * (Lambda retries a failed asynchronous invocation) enqueues exactly those again.
 */
/** Time for one delivery's context reads: the detector Lambda has 60 s for the whole delivery. */
export const DEFAULT_CONTEXT_BUDGET_MS = 10_000;

export class EnqueueFailedError extends Error {
  override readonly name = 'EnqueueFailedError';
  readonly code: EnqueueFailedErrorCode = 'enqueue_failed';
  readonly failures: EnqueueFailure[];
  readonly outcome: Extract<RecordErrorsOutcome, { kind: 'recorded' }>;
  constructor({
    failures,
    outcome,
  }: {
    failures: EnqueueFailure[];
    outcome: Extract<RecordErrorsOutcome, { kind: 'recorded' }>;
  }) {
    const first = failures[0];
    super(
      `${failures.length} repair job(s) were not accepted by the queue (first: ${first?.incidentKey}: ${first?.code} ${first?.message}); their incidents stay 'new' and are enqueued again on redelivery`,
    );
    this.failures = failures;
    this.outcome = outcome;
  }
}

/**
 * The detector use case: decode a subscription delivery, find its errors (fetching the rest of
 * cut-off traces), record one conditional write per fingerprint and enqueue a repair job for
 * every incident that has none. Throws when the store or the queue fails, so the delivery is retried.
 */
export async function recordErrors(
  { event }: { event: unknown },
  {
    store,
    queue,
    logContext,
    resolveRepo,
    ownLogGroups = new Set(),
    ttlDays = 90,
    now = Date.now,
    decode = decodeSubscriptionEvent,
    detect = detectErrors,
    fingerprint = fingerprintError,
    maxContextFetches = 10,
    contextBudgetMs = DEFAULT_CONTEXT_BUDGET_MS,
    concurrency = 16,
    queueOwner = 'sqs',
    queueLeaseMs = DEFAULT_QUEUE_LEASE_MS,
    barrenLines = new BarrenLines(),
  }: RecordErrorsDeps,
): Promise<RecordErrorsOutcome> {
  let decoded: DecodedSubscription;
  try {
    decoded = decode(event);
  } catch (error: unknown) {
    // Only a payload that can never decode is swallowed; anything else is a bug and must surface.
    if (error instanceof PayloadError) return { kind: 'rejected', code: error.code, reason: error.message };
    throw error;
  }
  if (decoded.kind === 'control') return { kind: 'control' };
  const { logGroup, logStream, events } = decoded;
  if (ownLogGroups.has(logGroup)) return { kind: 'ignored', reason: 'own_log_group', logGroup };

  const repo = resolveRepo(logGroup);
  if (!repo) return { kind: 'unrouted', logGroup, errorsSeen: detect(events).length };

  // Lone lines that may head a trace the filter left out come back tentative: kept only if the
  // read of their stream finds that trace.
  const found = detect(events, { tentative: true });
  const { records, report: context } = await completeCutOffTraces({
    detected: found,
    events,
    logContext,
    detect,
    fingerprint,
    maxContextFetches,
    contextBudgetMs,
    now,
    barrenLines,
  });
  const detected = found.some((d) => d.isTentative) ? found.filter((d) => !d.isTentative) : found;

  const groups = groupByIncident({ records, repo, fingerprint });
  await dropLaterHalfOfEarlierFailure({
    detected,
    events,
    groups,
    store,
    logContext,
    detect,
    context,
    contextBudgetMs,
  });
  await readTimedOutInvocations({
    detected,
    groups: [...groups.values()],
    store,
    logContext,
    context,
    contextBudgetMs,
    now,
  });
  const ttl = computeTtl({ nowMs: now(), ttlDays });
  // Queue leases taken in this delivery: if it fails before their jobs are sent, they are
  // handed back, so the retried delivery sends them rather than finding them `queued`.
  const taken: { incidentKey: string; lease: NonNullable<Incident['lease']> }[] = [];
  const recorded = await mapWithConcurrency([...groups.values()], concurrency, async (group) => {
    const result = await store.recordOccurrence({
      incidentKey: group.incidentKey,
      repo,
      fingerprint: group.fingerprint,
      count: group.records.length,
      firstSeen: group.firstSeen,
      lastSeen: group.lastSeen,
      sample: group.sample,
      ttl,
      batchId: hashEventIds(group.records),
    });
    const decision = await decideOccurrence({
      result,
      added: group.records.length,
      store,
      now,
      queueOwner,
      queueLeaseMs,
    });
    if (decision.lease) taken.push({ incidentKey: group.incidentKey, lease: decision.lease });
    return { group, result, ...decision };
  }).catch(async (error: unknown) => {
    await Promise.allSettled(taken.map((t) => releaseQueueLease({ store, ...t })));
    throw error;
  });

  const toJob = (group: IncidentGroup, kind: RepairJob['kind']): RepairJob => ({
    v: 1,
    kind,
    incidentKey: group.incidentKey,
    error: group.sample,
    repo,
    attempt: 0,
  });
  const jobs = recorded.filter((r) => r.repair).map(({ group }) => toJob(group, 'repair'));
  const { sent, failed } = jobs.length > 0 ? await queue.enqueue(jobs) : { sent: [], failed: [] };
  // Best effort: a lost refresh is cosmetic, and the next doubling carries the count anyway.
  const refreshes = recorded.filter((r) => r.refresh).map(({ group }) => toJob(group, 'recurrence'));
  if (refreshes.length > 0) await queue.enqueue(refreshes).catch(() => undefined);
  const sentKeys = new Set(sent);
  // The queue refused these: hand the incident back (`queued → new`) so the retried delivery,
  // the next occurrence or the sweep sends the job. A false return means it moved on already.
  await mapWithConcurrency(failed, concurrency, async ({ incidentKey }) => {
    const lease = recorded.find((r) => r.group.incidentKey === incidentKey)?.lease;
    if (lease) await releaseQueueLease({ store, incidentKey, lease });
  });
  const queued = new Set(sent);

  const incidents: IncidentReport[] = recorded.map(({ group, result, reopened }) => {
    const enqueued = sentKeys.has(group.incidentKey);
    return {
      incidentKey: group.incidentKey,
      result: result.kind,
      status: queued.has(group.incidentKey) ? 'queued' : reopened ? 'new' : result.incident.status,
      count: result.kind === 'duplicate' ? 0 : group.records.length,
      totalCount: result.incident.count,
      enqueued,
      reopened,
    };
  });
  const outcome = {
    kind: 'recorded',
    logGroup,
    logStream,
    eventsSeen: events.length,
    errorsSeen: records.length,
    context,
    incidents,
  } as const;
  if (failed.length > 0) throw new EnqueueFailedError({ failures: failed, outcome });
  return outcome;
}

/** What an occurrence, just recorded, asks for; shared by the detector and `ai-ops watch`. */
export interface OccurrenceDecision {
  /** this caller won `new → queued` and must hand a repair job to its queue */
  repair: boolean;
  /** the queue lease written with `queued` (to release it when the queue refuses the job) */
  lease?: NonNullable<Incident['lease']>;
  /** the PR is open and the count just passed a power of two: refresh its occurrence count */
  refresh: boolean;
  /** a resolved, skipped or dismissed incident was reopened as `new` by this occurrence */
  reopened: boolean;
}

/**
 * The one occurrence path: reopen what the rules reopen, then queue a job once per incident —
 * the conditional `new → queued` (with a queue lease) lets exactly one of any number of
 * deliveries send it; one that finds the incident `queued` sends nothing. A PR is refreshed when
 * the count doubles (10,000 errors are 14 updates, not 10,000); snoozed or ignored incidents
 * get neither.
 */
export async function decideOccurrence({
  result,
  added,
  store,
  now,
  queueOwner,
  queueLeaseMs = DEFAULT_QUEUE_LEASE_MS,
}: {
  result: OccurrenceResult;
  /** occurrences this write added */
  added: number;
  store: IncidentStore;
  now: () => number;
  /** whose queue the job goes to (the one-machine runner names its process) */
  queueOwner: string;
  queueLeaseMs?: number;
}): Promise<OccurrenceDecision> {
  const incident = result.incident;
  const muted =
    incident.ignored === true || (incident.snoozedUntil !== undefined && now() < incident.snoozedUntil);
  const refresh =
    result.kind === 'existing' &&
    incident.status === 'pr_open' &&
    !muted &&
    crossesDoubling(incident.count - added, incident.count);
  // A redelivered batch counts nothing, but still sends the job a refused enqueue left owed (`new`).
  if (result.kind === 'duplicate' && incident.status !== 'new')
    return { repair: false, refresh: false, reopened: false };
  let reopened = false;
  if (result.kind === 'existing') {
    const action = decideRecurrence(incident.status, {
      ...(incident.retryAfter !== undefined ? { retryAfter: incident.retryAfter } : {}),
      ...(incident.merge ? { mergedAt: incident.merge.mergedAt } : {}),
      ...(incident.dismissedPr ? { dismissedAt: incident.dismissedPr.closedAt } : {}),
      ...(incident.snoozedUntil !== undefined ? { snoozedUntil: incident.snoozedUntil } : {}),
      ...(incident.ignored !== undefined ? { ignored: incident.ignored } : {}),
      now: now(),
    });
    if (action.kind === 'count_only') return { repair: false, refresh, reopened: false };
    if (action.reopenFrom) {
      // Two detectors may see the same resolved incident come back: only the one that reopens it goes on.
      reopened = await store.transition({
        incidentKey: incident.incidentKey,
        from: action.reopenFrom,
        to: 'new',
        // whatever an earlier life held is over
        set: { lease: undefined },
      });
      if (!reopened) return { repair: false, refresh, reopened: false };
    }
  }
  const lease = { owner: queueOwner, until: now() + queueLeaseMs };
  const repair = await store.transition({
    incidentKey: incident.incidentKey,
    // `new` is left by one writer only: the status alone decides who sends the job.
    from: 'new',
    to: 'queued',
    set: { lease },
  });
  return repair ? { repair, lease, refresh, reopened } : { repair, refresh, reopened };
}

interface IncidentGroup {
  incidentKey: string;
  fingerprint: string;
  records: ErrorRecord[];
  sample: ErrorRecord;
  firstSeen: number;
  lastSeen: number;
}

function groupByIncident({
  records,
  repo,
  fingerprint,
}: {
  /** each with its fingerprint when already known (records completed by likeness carry their model's) */
  records: readonly Completed[];
  repo: RepoRef;
  fingerprint: (record: ErrorRecord) => string;
}): Map<string, IncidentGroup> {
  const groups = new Map<string, IncidentGroup>();
  // An error storm is one text thousands of times: identical raw text has one fingerprint.
  const byRaw = new Map<string, string>();
  for (const { record, print: known } of records) {
    let print = known ?? byRaw.get(record.raw);
    if (print === undefined) {
      print = fingerprint(record);
      byRaw.set(record.raw, print);
    }
    const incidentKey = buildIncidentKey({ repo, fingerprint: print });
    const group = groups.get(incidentKey);
    if (!group) {
      groups.set(incidentKey, {
        incidentKey,
        fingerprint: print,
        records: [record],
        sample: capSample(record),
        firstSeen: record.timestamp,
        lastSeen: record.timestamp,
      });
      continue;
    }
    group.records.push(record);
    // The most complete trace of the group is the one worth showing the model.
    if (record.frames.length > group.sample.frames.length) group.sample = capSample(record);
    group.firstSeen = Math.min(group.firstSeen, record.timestamp);
    group.lastSeen = Math.max(group.lastSeen, record.timestamp);
  }
  return groups;
}

// A DynamoDB item holds 400 KB and an SQS message 256 KB, while the detector may assemble a
// trace of a megabyte: the sample keeps the head and the innermost end, which matter most.
const MAX_SAMPLE_RAW_CHARS = 64 * 1024;
// A message of several hundred lines (a validator's report of every field, a payload it dumps)
// keeps its headline and first lines; its whole text is in the raw excerpt, itself cut as above.
const MAX_SAMPLE_MESSAGE_CHARS = 16 * 1024;
const MAX_SAMPLE_FRAMES = 200;
/** causes per record, and chain depth */
const MAX_SAMPLE_CAUSES = 5;
const MAX_SAMPLE_EVENT_IDS = 100;
const CUT_MARK = '\n… [cut by ai-ops to fit the incident store] …\n';

/** `text` within `max` characters: its first three quarters and its end, the cut marked (no half emoji left). */
function cutToFit(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.floor(max * 0.75);
  return (text.slice(0, head) + CUT_MARK + text.slice(text.length - (max - head))).toWellFormed();
}

// What the sample may weigh as JSON: a job (the sample and a few ids) must fit one SQS message of
// 256 KiB, an incident (the sample and its state) one DynamoDB item of 400 KB. Characters are not
// bytes: a trace in CJK or emoji is three or four bytes a character, and hostile text can hold 200
// frames of 1,000-character names.
const MAX_SAMPLE_BYTES = 192 * 1024;
/**
 * What a sample past MAX_SAMPLE_BYTES is cut to, tighter and tighter: the last holds at most a few
 * dozen kilobytes whatever its text (its frames' names cut, no causes).
 */
const TIGHTER = [
  { raw: 16 * 1024, message: 4 * 1024, frames: 60, name: 300, causes: 2 },
  { raw: 4 * 1024, message: 1024, frames: 20, name: 120, causes: 0 },
] as const;

/**
 * Bounds a record's size for storage and queueing; a record within bounds comes back as it is.
 * Cut to its usual bounds and still too heavy as JSON, it is cut tighter (TIGHTER).
 */
export function capSample(record: ErrorRecord): ErrorRecord {
  let sample = capParts(record, 0);
  for (const bounds of TIGHTER) {
    if (Buffer.byteLength(JSON.stringify(sample)) <= MAX_SAMPLE_BYTES) break;
    sample = cutTighter(sample, bounds);
  }
  return sample;
}

function cutTighter(record: ErrorRecord, bounds: (typeof TIGHTER)[number]): ErrorRecord {
  const name = (text: string) => (text.length <= bounds.name ? text : `${text.slice(0, bounds.name)}…`);
  const { frames } = record;
  // the outermost few and the innermost, where it was raised
  const kept =
    frames.length <= bounds.frames ? frames : [...frames.slice(0, 5), ...frames.slice(5 - bounds.frames)];
  return {
    ...record,
    message: cutToFit(record.message, bounds.message),
    raw: cutToFit(record.raw, bounds.raw),
    frames: kept.map((f) => ({
      ...f,
      file: name(f.file),
      ...(f.function === undefined ? {} : { function: name(f.function) }),
      ...(f.module === undefined ? {} : { module: name(f.module) }),
    })),
    causes: record.causes.slice(0, bounds.causes).map((c) => cutTighter({ ...c, causes: [] }, bounds)),
  };
}

function capParts(record: ErrorRecord, depth: number): ErrorRecord {
  const { message, raw, frames, causes, eventIds } = record;
  const cappedCauses =
    depth + 1 >= MAX_SAMPLE_CAUSES
      ? []
      : causes.slice(0, MAX_SAMPLE_CAUSES).map((c) => capParts(c, depth + 1));
  const isWithinBounds =
    raw.length <= MAX_SAMPLE_RAW_CHARS &&
    message.length <= MAX_SAMPLE_MESSAGE_CHARS &&
    frames.length <= MAX_SAMPLE_FRAMES &&
    eventIds.length <= MAX_SAMPLE_EVENT_IDS &&
    cappedCauses.length === causes.length &&
    cappedCauses.every((c, i) => c === causes[i]);
  if (isWithinBounds) return record;
  return {
    ...record,
    message: cutToFit(message, MAX_SAMPLE_MESSAGE_CHARS),
    raw: cutToFit(raw, MAX_SAMPLE_RAW_CHARS),
    // Frames run outermost to innermost: the innermost ones, where it was raised, are kept whole.
    frames:
      frames.length <= MAX_SAMPLE_FRAMES
        ? frames
        : [...frames.slice(0, 50), ...frames.slice(-(MAX_SAMPLE_FRAMES - 50))],
    causes: cappedCauses,
    eventIds: eventIds.slice(0, MAX_SAMPLE_EVENT_IDS),
  };
}

function hashEventIds(records: readonly ErrorRecord[]): string {
  const ids = records.flatMap((r) => r.eventIds).sort();
  return createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 32);
}

interface FetchedContext {
  logStream: string;
  /** the time span of the fetched events: a record outside it cannot be covered by them */
  from: number;
  to: number;
  /** the records found in the fetched events, by the delivered event ids they hold */
  byEventId: Map<string, DetectedError>;
}

/** What the exactly completed heads of one signature became. */
interface Likeness {
  record: ErrorRecord;
  print: string;
  /** heads of this signature completed to different fingerprints: it names no single trace */
  isAmbiguous: boolean;
}

/** A record with its fingerprint, when completing it already computed one. */
interface Completed {
  record: ErrorRecord;
  print?: string;
}

/**
 * Replaces each record the detector marked `needsContext` with the record found in the rest of
 * its stream (GetLogEvents around its timestamp), the one that covers the original event.
 *
 * A storm of cut-off heads repeats a few signatures (type and normalised message) hundreds of
 * times: once heads of one signature have been completed from the stream, and all to one
 * fingerprint, a later head of that signature outside every read is completed like them —
 * it takes their frames and causes, keeps its own text, ids and time — with no read of its own.
 * GetLogEvents is throttled per account (25 calls a second), and a frameless record would
 * otherwise become an incident of its own that no fix can place in the code.
 *
 * This runs once per record of a storm (10,000 in one delivery): records are never used as map
 * keys (an object's first use as a key costs it an identity hash), signatures are looked up by
 * strings that already carry their hash, and only records from reads are checked for overlap.
 */
async function completeCutOffTraces({
  detected,
  events,
  logContext,
  detect,
  fingerprint,
  maxContextFetches,
  contextBudgetMs,
  now,
  barrenLines,
}: {
  detected: readonly DetectedError[];
  events: readonly LogEvent[];
  logContext: LogContextSource;
  detect: (events: readonly LogEvent[]) => DetectedError[];
  fingerprint: (record: ErrorRecord) => string;
  maxContextFetches: number;
  contextBudgetMs: number;
  now: () => number;
  barrenLines: BarrenLines;
}): Promise<{ records: Completed[]; report: ContextFetchReport }> {
  const report: ContextFetchReport = {
    fetched: 0,
    assembled: 0,
    inferred: 0,
    skipped: 0,
    outOfTime: 0,
    failures: [],
  };
  if (!detected.some((d) => d.needsContext))
    return { records: detected.map(({ record }) => ({ record })), report };

  // Nothing is indexed per delivery or per fetch: a record knows its first event's stream, time
  // and id, and fetched events find their delivered twins by binary search (GetLogEvents gives
  // no ids). Re-indexing 10,000 delivered events on each fetch cost more than detecting them.
  let delivered: readonly LogEvent[] | undefined;
  // when the delivery's time for reads ends, set as the first read starts
  let readsEnd: number | undefined;
  const fetchedContexts: FetchedContext[] = [];
  // the delivered ids that fetched events were matched to
  const adopted = new Set<string>();
  // Records found in reads (they may hold other delivered events, which they then cover) and
  // records completed by likeness (they hold only their own events), in the order they were met.
  const completed: (Completed & { isRead: boolean })[] = [];
  const kept: ErrorRecord[] = [];
  // by stream, then by the cut-off record's own (frameless) fingerprint
  const learned = new Map<string, Map<string, Likeness>>();
  const learn = (
    stream: Map<string, Likeness>,
    signature: string,
    found: ErrorRecord,
  ): string | undefined => {
    if (found.frames.length === 0 && found.causes.length === 0) return undefined;
    const print = fingerprint(found);
    const known = stream.get(signature);
    if (!known) stream.set(signature, { record: found, print, isAmbiguous: false });
    else if (known.print !== print) known.isAmbiguous = true;
    return print;
  };

  // reads so far of lines that only may head a trace (tentative, mayHeadTrace); the kinds whose
  // read found no trace they head are barrenLines'
  let maybeReads = 0;
  for (const { record, needsContext, isTentative, mayHeadTrace } of detected) {
    const id = record.eventIds[0];
    // A tentative record not confirmed by a read is not an error: it is left out, never kept.
    if (!needsContext || id === undefined) {
      if (!isTentative) kept.push(record);
      continue;
    }
    const { logGroup, logStream, timestamp } = record;
    // A storm of cut-off traces from one stream is usually covered by one earlier fetch.
    let found: DetectedError | undefined;
    let foundIn: FetchedContext | undefined;
    // a read that holds this head's own trace, cut where the read ended
    let cut: { covering: DetectedError; context: FetchedContext } | undefined;
    for (const context of fetchedContexts) {
      if (context.logStream !== logStream || timestamp < context.from || timestamp > context.to) continue;
      const covering = context.byEventId.get(id);
      if (covering && !covering.needsContext) {
        found = covering;
        foundIn = context;
        break;
      }
      if (covering && covering.record.frames.length > 0) cut ??= { covering, context };
    }
    let stream = learned.get(logStream);
    if (!stream) {
      stream = new Map();
      learned.set(logStream, stream);
    }
    const signature = fingerprint(record);
    // a line read only because it may head a trace: read sparingly, once per kind
    const isMaybe = isTentative === true || mayHeadTrace === true;
    const kind = isMaybe ? `${logGroup}\n${signature}` : '';
    // Another trace of the same signature stands for this one only if what the read holds of this
    // one's own is part of it: two Go panics of one message, from two places, are two bugs.
    if (!found && cut && !isPartOf(cut.covering.record, stream.get(signature)?.record)) {
      found = cut.covering;
      foundIn = cut.context;
    }
    if (!found) {
      const like = stream.get(signature);
      if (like && !like.isAmbiguous) {
        completed.push({ record: completeLike(record, like.record), print: like.print, isRead: false });
        report.inferred += 1;
        continue;
      }
      // A line that only may head a trace reads at most a few times per delivery, once per signature
      // (left out uncounted: it is no trace left cut off, only a line that was not looked behind).
      if (isMaybe && (maybeReads >= MAX_MAYBE_READS || barrenLines.has(kind, now()))) {
        if (!isTentative) kept.push(record);
        continue;
      }
      if (report.fetched >= maxContextFetches) {
        report.skipped += 1;
        if (!isTentative) kept.push(record);
        continue;
      }
      readsEnd ??= now() + contextBudgetMs;
      const timeoutMs = readsEnd - now();
      if (timeoutMs <= 0) {
        report.outOfTime += 1;
        if (!isTentative) kept.push(record);
        continue;
      }
      // an error-level line's log group reads a few a minute (BarrenLines.takeRead)
      if (mayHeadTrace && !barrenLines.takeRead(logGroup, now())) {
        kept.push(record);
        continue;
      }
      report.fetched += 1;
      if (isMaybe) maybeReads += 1;
      try {
        const fetched = await logContext.fetchAround({ logGroup, logStream, timestamp, timeoutMs });
        delivered ??= isSortedByTime(events) ? events : [...events].sort((a, b) => a.timestamp - b.timestamp);
        const span = spanOf(fetched);
        const context: FetchedContext = {
          logStream,
          from: Math.min(timestamp, span.from),
          to: Math.max(timestamp, span.to),
          byEventId: indexByDeliveredId(detect(adoptDeliveredIds(fetched, delivered, adopted))),
        };
        fetchedContexts.push(context);
        found = context.byEventId.get(id);
        foundIn = context;
      } catch (error: unknown) {
        // The cut-off record is still worth an incident; a richer trace is a nicety, not a must.
        report.failures.push(failedRead(logStream, timestamp, error));
        // A throttled or failing read says nothing of a line: none is remembered as barren, and
        // no more lines that only may head a trace are read this delivery.
        if (isMaybe) {
          maybeReads = MAX_MAYBE_READS;
          if (!isTentative) kept.push(record);
          continue;
        }
      }
    }
    // The read holds the error-level line alone: no trace follows it (barren, kept as delivered).
    if (found && mayHeadTrace && found.record.frames.length === 0 && found.record.causes.length === 0)
      found = undefined;
    if (found) {
      report.assembled += 1;
      const print = learn(stream, signature, found.record);
      completed.push(
        print === undefined
          ? { record: found.record, isRead: true }
          : { record: found.record, print, isRead: true },
      );
      // A delivered record may hold the events of several: a filter left out what stood between two
      // traces, and they read as one (Ruby prints a cause as it prints a crash). Each other record
      // the read found for its events is one of the delivery's too, never dropped with it.
      for (const other of othersCovering(foundIn, record.eventIds, found)) {
        report.assembled += 1;
        completed.push({ record: other.record, isRead: true });
      }
    } else {
      if (isMaybe) barrenLines.add(kind, now());
      if (!isTentative) kept.push(record);
    }
  }

  // A trace completed from a read may swallow other records of the delivery (its own later
  // lines, another head's read of the same trace): keep it once. A record completed by likeness
  // holds only its own cut-off events, which no other record of the delivery holds (one line
  // makes one record): it swallows nothing and is swallowed only by a read that covers it.
  // A read holding several delivered events could be covered by them only with the likeness
  // records' ids counted too: then every id is tracked. (A read's other ids are fetched events'.)
  const tracksAll = completed.some(
    (c) => c.isRead && c.record.eventIds.reduce((n, id) => (adopted.has(id) ? n + 1 : n), 0) > 1,
  );
  const covered = new Set<string>();
  const isCovered = (r: ErrorRecord) => covered.size > 0 && r.eventIds.every((id) => covered.has(id));
  const unique: Completed[] = [];
  for (const { record, print, isRead } of completed) {
    // A likeness record can be covered only by a read holding several delivered events.
    if ((isRead || tracksAll) && isCovered(record)) continue;
    if (isRead || tracksAll) for (const id of record.eventIds) covered.add(id);
    unique.push(print === undefined ? { record } : { record, print });
  }
  const rest: Completed[] = [];
  for (const record of kept) if (record.eventIds.length === 0 || !isCovered(record)) rest.push({ record });
  return { records: [...rest, ...unique].sort((a, b) => a.record.timestamp - b.record.timestamp), report };
}

/** Whether every frame of `part` is one of `whole`'s (a trace cut short of them, not another trace). */
function isPartOf(part: ErrorRecord, whole: ErrorRecord | undefined): boolean {
  if (!whole || part.exceptionType !== whole.exceptionType) return false;
  const frames = new Set(whole.frames.map((f) => `${f.file}:${f.line}:${f.function}`));
  return part.frames.every((f) => frames.has(`${f.file}:${f.line}:${f.function}`));
}

/** The records of a read, other than `found`, that hold the delivered events `ids` (its second and later). */
function othersCovering(
  context: FetchedContext | undefined,
  ids: readonly string[],
  found: DetectedError,
): DetectedError[] {
  if (!context || ids.length < 2) return [];
  const others: DetectedError[] = [];
  for (let i = 1; i < ids.length; i++) {
    const other = context.byEventId.get(ids[i] ?? '');
    if (other && other !== found && !others.includes(other)) others.push(other);
  }
  return others;
}

/**
 * Reads per delivery for lines that only may head a trace the filter left out, tentative or at an
 * error level (a stream whose program prints `retry after TimeoutError: …` with no level on every
 * request must not turn every delivery into GetLogEvents calls, which are throttled per account).
 */
const MAX_MAYBE_READS = 2;

/** Timed-out invocations whose last lines are read per delivery: one per incident, these at most. */
const MAX_LAST_LINE_READS = 3;

/**
 * One failure is one incident even when its two halves reached ai-ops in two deliveries, the first
 * half at the end of one and the second at the start of the next:
 * - a crash: the runtime's error, then Lambda's report of the exit;
 * - an error a handler logged and raised (again, or wrapped in another), then the runtime's report
 *   of the raise (a Lambda log stream's).
 * The first record of a delivery that may be such a second half, of an incident not yet recorded,
 * is looked up behind: the stream's last 2 s before it, detected again (with the record's own
 * events, for a report: a print and its report can share a millisecond). If they hold the first
 * half (the error the runtime died of; a print the report joins), the record is left out: the
 * first half's delivery recorded the failure. One read per delivery at most (a delivery is one
 * stream, and only its first record can have been cut from what came before); a failed read keeps
 * the record, as delivered.
 */
async function dropLaterHalfOfEarlierFailure({
  detected,
  events,
  groups,
  store,
  logContext,
  detect,
  context,
  contextBudgetMs,
}: {
  detected: readonly DetectedError[];
  events: readonly LogEvent[];
  groups: Map<string, IncidentGroup>;
  store: IncidentStore;
  logContext: LogContextSource;
  detect: (events: readonly LogEvent[]) => DetectedError[];
  context: ContextFetchReport;
  contextBudgetMs: number;
}): Promise<void> {
  if (!logContext.fetchBefore || detected.length === 0) return;
  const first = detected.reduce((a, b) => (b.record.timestamp < a.record.timestamp ? b : a));
  const { record, invocation } = first;
  const exit = invocation && isRuntimeExit(record) ? invocation : undefined;
  if (!exit && (invocation || record.frames.length === 0 || !LAMBDA_LOG_STREAM.test(record.logStream)))
    return;
  const entry = [...groups].find(([, group]) => group.records.includes(record));
  if (!entry) return;
  const [incidentKey, group] = entry;
  // An incident already recorded is counted as before: this look is for a new one's first email.
  if (await store.get(incidentKey).catch(() => undefined)) return;
  const { logGroup, logStream, timestamp } = record;
  context.fetched += 1;
  let before: LogEvent[];
  try {
    before = await logContext.fetchBefore({
      logGroup,
      logStream,
      // the end is exclusive: a report's look takes in its own millisecond
      timestamp: exit ? timestamp : timestamp + 1,
      spanMs: RUNTIME_FOLLOW_UP_WITHIN_MS,
      timeoutMs: contextBudgetMs,
    });
  } catch (error: unknown) {
    context.failures.push({
      ...failedRead(logStream, timestamp, error),
      ...(exit ? { exitCause: true as const } : { earlierPrint: true as const }),
    });
    return;
  }
  const explained = exit
    ? detect(before).some((d) => !d.invocation && isCauseOfExit(d, exit.requestId, timestamp))
    : joinsEarlierPrint(record, before, events, detect);
  if (!explained) {
    // An exit no error explains: the program said why in words of its own and exited (Go's
    // `log.Fatalf("failed to price order %d: %v", …)`, which writes no error word, then exit 1).
    // What the invocation logged last is all there is to tell why, as for a timeout.
    const lastLines = exit ? invocationLastLines(before, exit.requestId, (line) => redact(line)) : [];
    if (lastLines.length > 0) {
      record.lastLines = lastLines;
      group.sample = capSample(record);
    }
    return;
  }
  const rest = group.records.filter((r) => r !== record);
  const [sample] = rest;
  if (!sample) {
    groups.delete(incidentKey);
    return;
  }
  group.records = rest;
  group.sample = capSample(sample);
  group.firstSeen = Math.min(...rest.map((r) => r.timestamp));
  group.lastSeen = Math.max(...rest.map((r) => r.timestamp));
}

/** `2024/05/01/[$LATEST]0f1e…`: the streams Lambda names, one per execution environment. */
const LAMBDA_LOG_STREAM = /^\d{4}\/\d\d\/\d\d\/\[[^\]]{1,64}\][0-9a-f]{32}$/;

/**
 * Whether `record`, detected again after the stream's events `before` it, joins a print of them
 * (foldReprints, foldLoggedCauses). The read takes in the record's own millisecond, so it holds the
 * record's first event too: only what the stream logged before that is read as earlier.
 */
function joinsEarlierPrint(
  record: ErrorRecord,
  before: readonly LogEvent[],
  events: readonly LogEvent[],
  detect: (events: readonly LogEvent[]) => DetectedError[],
): boolean {
  const ids = new Set(record.eventIds);
  // Its events in delivery order, the scan stopping once all are found: the record is the
  // delivery's first, and looking up every id of a 10,000-event delivery (fresh strings, each
  // hashed) cost a millisecond.
  const own: LogEvent[] = [];
  for (const e of events) {
    if (own.length === ids.size) break;
    if (ids.has(e.id)) own.push(e);
  }
  const [head] = own;
  if (!head) return false;
  // Before the record in the stream's order: events of its millisecond logged after it are not.
  const at = before.findIndex((e) => e.timestamp === head.timestamp && e.message === head.message);
  const earlier = at >= 0 ? before.slice(0, at) : before.filter((e) => e.timestamp < head.timestamp);
  if (earlier.length === 0) return false;
  const again = detect([...earlier, ...own]).find((d) => d.record.eventIds.some((id) => ids.has(id)));
  return again?.record.eventIds.some((id) => !ids.has(id)) === true;
}

/**
 * A timeout leaves no trace: each incident it makes gets, on its sample, the last lines its
 * invocation logged (read back from the stream, up to the invocation's length), which show what
 * it was waiting for. One read per incident and delivery, a few at most, within their own time;
 * a failed read leaves the record as it was (and is reported, like a cut-off trace's).
 */
async function readTimedOutInvocations({
  detected,
  groups,
  store,
  logContext,
  context,
  contextBudgetMs,
  now,
}: {
  detected: readonly DetectedError[];
  groups: readonly IncidentGroup[];
  store: IncidentStore;
  logContext: LogContextSource;
  context: ContextFetchReport;
  contextBudgetMs: number;
  now: () => number;
}): Promise<void> {
  if (!logContext.fetchBefore) return;
  // Few: platform records are rare, so records are fine as keys here.
  const timedOut = new Map<ErrorRecord, StoppedInvocation>();
  for (const { record, invocation } of detected)
    if (invocation && record.exceptionType === TIMED_OUT_TYPE) timedOut.set(record, invocation);
  if (timedOut.size === 0) return;
  const readsEnd = now() + contextBudgetMs;
  let reads = 0;
  for (const group of groups) {
    const record = group.records.find((r) => timedOut.has(r));
    const invocation = record && timedOut.get(record);
    if (!record || !invocation) continue;
    if (reads >= MAX_LAST_LINE_READS) break;
    // The stored sample is the first occurrence's, never replaced: an incident already recorded
    // has no use for these lines. A storm of timeouts (each environment its own stream and
    // delivery) then reads once, not once per stream, and leaves GetLogEvents' per-account rate
    // to the user's console. A failed look is no reason not to read.
    if (await store.get(group.incidentKey).catch(() => undefined)) continue;
    const timeoutMs = readsEnd - now();
    if (timeoutMs <= 0) break;
    reads += 1;
    context.fetched += 1;
    const { logGroup, logStream, timestamp } = record;
    try {
      const events = await logContext.fetchBefore({
        logGroup,
        logStream,
        timestamp,
        spanMs: invocation.durationMs ?? MAX_INVOCATION_MS,
        timeoutMs,
      });
      const lastLines = invocationLastLines(events, invocation.requestId, (line) => redact(line));
      if (lastLines.length === 0) continue;
      // The record was made by this delivery's detection: completed in place, and shown (every
      // record of a timeout's incident is as frameless as the next).
      record.lastLines = lastLines;
      group.sample = capSample(record);
    } catch (error: unknown) {
      context.failures.push({ ...failedRead(logStream, timestamp, error), lastLines: true });
    }
  }
}
const MAX_INVOCATION_MS = 15 * 60 * 1000;

/** A read of the stream that failed, as the delivery's report lists it. */
function failedRead(
  logStream: string,
  timestamp: number,
  error: unknown,
): ContextFetchReport['failures'][number] {
  return {
    logStream,
    timestamp,
    message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  };
}

/** The earliest and latest timestamps of events in any order (none: an empty span, from > to). */
function spanOf(events: readonly LogEvent[]): { from: number; to: number } {
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const { timestamp } of events) {
    if (timestamp < from) from = timestamp;
    if (timestamp > to) to = timestamp;
  }
  return { from, to };
}

/**
 * A cut-off record completed like `model`: its frames and causes (shared, never mutated), the
 * record's own text, ids and time. In place: the record was made by this delivery's detection.
 */
function completeLike(record: ErrorRecord, model: ErrorRecord): ErrorRecord {
  record.language = model.language;
  record.frames = model.frames;
  record.causes = model.causes;
  return record;
}

/** The first record holding each event id (ids the fetch adopted from the delivery included). */
function indexByDeliveredId(detected: readonly DetectedError[]): Map<string, DetectedError> {
  const byId = new Map<string, DetectedError>();
  for (const d of detected) {
    for (const id of d.record.eventIds) if (!byId.has(id)) byId.set(id, d);
  }
  return byId;
}

function isSortedByTime(events: readonly LogEvent[]): boolean {
  // Each timestamp read once: a read of a millisecond timestamp (past 2^31) may box a number.
  let previous = events[0]?.timestamp ?? 0;
  for (let i = 1; i < events.length; i++) {
    const timestamp = (events[i] as LogEvent).timestamp;
    if (timestamp < previous) return false;
    previous = timestamp;
  }
  return true;
}

/** GetLogEvents returns no event ids: match fetched events to delivered ones by stream, timestamp and text. */
function adoptDeliveredIds(
  fetched: readonly LogEvent[],
  delivered: readonly LogEvent[],
  /** receives the ids adopted */
  adopted: Set<string>,
): LogEvent[] {
  return fetched.map((e) => {
    for (let i = firstAtOrAfter(delivered, e.timestamp); i < delivered.length; i++) {
      const d = delivered[i];
      if (!d || d.timestamp !== e.timestamp) break;
      if (d.message === e.message && d.logStream === e.logStream) {
        adopted.add(d.id);
        return { ...e, id: d.id };
      }
    }
    return e;
  });
}

/** Index of the first event at or after `timestamp` in events sorted by time. */
function firstAtOrAfter(events: readonly LogEvent[], timestamp: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((events[mid]?.timestamp ?? 0) < timestamp) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** True when a count going from `before` to `after` passes a power of two. */
function crossesDoubling(before: number, after: number): boolean {
  return before >= 1 && Math.floor(Math.log2(after)) > Math.floor(Math.log2(before));
}
