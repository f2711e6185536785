import { describe, expect, it } from 'vitest';
import { MemoryIncidentStore } from '../../functions/adapters/memory-incident-store.ts';
import type { ErrorRecord, LogEvent, RepairJob, RepoRef } from '../../functions/core/contracts.ts';
import { BarrenLines } from '../../functions/core/detect/barren-lines.ts';
import { type DetectedError, detectErrors } from '../../functions/core/detect/detect-errors.ts';
import { fingerprintError } from '../../functions/core/detect/fingerprint.ts';
import {
  capSample,
  DEFAULT_CONTEXT_BUDGET_MS,
  EnqueueFailedError,
  type RecordErrorsDeps,
  type RecordErrorsOutcome,
  recordErrors,
} from '../../functions/core/detect/record-errors.ts';
import { DEFAULT_QUEUE_LEASE_MS } from '../../functions/core/incident/queue-lease.ts';
import type { IncidentStore, OccurrenceInput } from '../../functions/core/ports/incident-store.ts';
import type { EnqueueResult, JobQueue } from '../../functions/core/ports/job-queue.ts';
import type { LogContextRequest, LogContextSource } from '../../functions/core/ports/log-context-source.ts';
import { capturedMessages, makeEvents, passesDefaultFilter, traceText } from '../support/log-events.ts';
import { makeControlPayload, makeDataPayload, makeLogEvents } from '../support/payloads.ts';

const REPO: RepoRef = { owner: 'acme', name: 'shop', baseBranch: 'main', pathPrefix: '' };
const LOG_GROUP = '/aws/lambda/orders';
const STREAM = 'stream-1';
const NOW = 1_714_564_900_000;

/**
 * A stand-in detector so these tests do not depend on detection quality: `ERR <Type> <message>`
 * and `CUT <Type>` open a record, `  at <fn>` lines add frames to it; a `CUT` record with no
 * frames needs context (only its first line was delivered).
 */
function fakeDetect(events: readonly LogEvent[]): DetectedError[] {
  const found: { record: ErrorRecord; cut: boolean }[] = [];
  for (const event of events) {
    const current = found[found.length - 1];
    const frame = /^ {2}at (\S+)$/.exec(event.message);
    if (frame && current) {
      current.record.frames.push({ file: `${frame[1]}.py`, function: frame[1], inApp: true });
      current.record.eventIds.push(event.id);
      continue;
    }
    const opener = /^(ERR|CUT) (\S+)(?: (.*))?$/.exec(event.message);
    if (!opener) continue;
    found.push({
      cut: opener[1] === 'CUT',
      record: {
        language: 'python',
        exceptionType: opener[2] ?? '',
        message: opener[3] ?? '',
        frames: [],
        causes: [],
        raw: event.message,
        logGroup: event.logGroup,
        logStream: event.logStream,
        timestamp: event.timestamp,
        eventIds: [event.id],
      },
    });
  }
  return found.map(({ record, cut }) => ({ record, needsContext: cut && record.frames.length === 0 }));
}

const fakeFingerprint = (r: ErrorRecord) =>
  `${r.exceptionType}-${r.message}-${r.frames.map((f) => f.function).join('>')}`;

class FakeQueue implements JobQueue {
  readonly jobs: RepairJob[] = [];
  /** incident keys the queue refuses, for as many calls as `refusals` says */
  refuse = new Set<string>();
  async enqueue(jobs: readonly RepairJob[]): Promise<EnqueueResult> {
    const result: EnqueueResult = { sent: [], failed: [] };
    for (const job of jobs) {
      if (this.refuse.has(job.incidentKey)) {
        result.failed.push({ incidentKey: job.incidentKey, code: 'InternalError', message: 'try again' });
      } else {
        this.jobs.push(job);
        result.sent.push(job.incidentKey);
      }
    }
    return result;
  }
}

class FakeLogContext implements LogContextSource {
  readonly requests: LogContextRequest[] = [];
  constructor(private readonly respond: (request: LogContextRequest) => Promise<LogEvent[]>) {}
  async fetchAround(request: LogContextRequest): Promise<LogEvent[]> {
    this.requests.push(request);
    return this.respond(request);
  }
}

/** Counts writes on the way through to a MemoryIncidentStore; can fail the nth write. */
class CountingStore implements IncidentStore {
  readonly inner = new MemoryIncidentStore();
  readonly occurrences: OccurrenceInput[] = [];
  failOccurrenceNumber?: number;
  async recordOccurrence(input: OccurrenceInput) {
    this.occurrences.push(input);
    if (this.occurrences.length === this.failOccurrenceNumber)
      throw new Error('ProvisionedThroughputExceeded');
    return this.inner.recordOccurrence(input);
  }
  transition = (input: Parameters<IncidentStore['transition']>[0]) => this.inner.transition(input);
  get = (key: string) => this.inner.get(key);
}

function makeDeps(overrides: Partial<RecordErrorsDeps> = {}) {
  const store = new CountingStore();
  const queue = new FakeQueue();
  const logContext = new FakeLogContext(async () => []);
  const deps: RecordErrorsDeps = {
    store,
    queue,
    logContext,
    resolveRepo: (logGroup) => (logGroup === LOG_GROUP ? REPO : undefined),
    ownLogGroups: new Set(['/aws/lambda/ai-ops-detector']),
    now: () => NOW,
    detect: fakeDetect,
    fingerprint: fakeFingerprint,
    ...overrides,
  };
  return { deps, store, queue, logContext };
}

const payload = (messages: string[], { prefix = 'a', logGroup = LOG_GROUP } = {}) =>
  makeDataPayload(makeLogEvents(messages, { prefix }), { logGroup, logStream: STREAM });

function recorded(outcome: RecordErrorsOutcome): Extract<RecordErrorsOutcome, { kind: 'recorded' }> {
  if (outcome.kind !== 'recorded') throw new Error(`expected recorded, got ${outcome.kind}`);
  return outcome;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('recordErrors', () => {
  it('creates a new incident, enqueues one repair job and marks it queued', async () => {
    const { deps, store, queue } = makeDeps();

    const outcome = recorded(await recordErrors({ event: payload(['INFO ok', 'ERR KeyError sku']) }, deps));

    const key = 'acme/shop#KeyError-sku-';
    expect(outcome.incidents).toEqual([
      {
        incidentKey: key,
        result: 'created',
        status: 'queued',
        count: 1,
        totalCount: 1,
        enqueued: true,
        reopened: false,
      },
    ]);
    expect(queue.jobs).toHaveLength(1);
    expect(queue.jobs[0]).toMatchObject({ v: 1, kind: 'repair', incidentKey: key, repo: REPO, attempt: 0 });
    expect(queue.jobs[0]?.error).toMatchObject({ exceptionType: 'KeyError', logGroup: LOG_GROUP });
    expect(await store.get(key)).toMatchObject({
      status: 'queued',
      count: 1,
      ttl: Math.floor(NOW / 1000) + 90 * 86_400,
    });
  });

  it('aggregates a payload first: 10,000 identical errors are one write with count 10,000 and one job', async () => {
    const { deps, store, queue } = makeDeps();
    const messages = Array.from({ length: 10_000 }, () => 'ERR TimeoutError upstream');

    const outcome = recorded(await recordErrors({ event: payload(messages) }, deps));

    expect(store.occurrences).toHaveLength(1);
    expect(store.occurrences[0]?.count).toBe(10_000);
    expect(queue.jobs).toHaveLength(1);
    expect(outcome.errorsSeen).toBe(10_000);
    expect(outcome.incidents[0]).toMatchObject({ count: 10_000, totalCount: 10_000 });
  });

  it('counts a known error without a new job', async () => {
    const { deps, store, queue } = makeDeps();
    await recordErrors({ event: payload(['ERR KeyError sku'], { prefix: 'a' }) }, deps);

    const outcome = recorded(
      await recordErrors({ event: payload(['ERR KeyError sku', 'ERR KeyError sku'], { prefix: 'b' }) }, deps),
    );

    expect(outcome.incidents[0]).toMatchObject({
      result: 'existing',
      status: 'queued',
      count: 2,
      totalCount: 3,
    });
    expect(queue.jobs).toHaveLength(1);
    expect((await store.get('acme/shop#KeyError-sku-'))?.count).toBe(3);
  });

  it('does not enqueue or count again when the same payload is redelivered', async () => {
    const { deps, store, queue } = makeDeps();
    const event = payload(['ERR KeyError sku']);
    await recordErrors({ event }, deps);

    const outcome = recorded(await recordErrors({ event }, deps));

    expect(outcome.incidents[0]).toMatchObject({ result: 'duplicate', enqueued: false, count: 0 });
    expect(queue.jobs).toHaveLength(1);
    expect((await store.get('acme/shop#KeyError-sku-'))?.count).toBe(1);
  });

  it('keeps distinct errors apart: one incident and one job each', async () => {
    const { deps, queue } = makeDeps();
    const messages = Array.from({ length: 50 }, (_, i) => `ERR Error${i} boom`);

    const outcome = recorded(await recordErrors({ event: payload(messages) }, deps));

    expect(outcome.incidents).toHaveLength(50);
    expect(new Set(queue.jobs.map((j) => j.incidentKey)).size).toBe(50);
  });

  it('throws when the queue refuses a job, leaves that incident new, and a redelivery enqueues it exactly once', async () => {
    const { deps, store, queue } = makeDeps();
    const event = payload(['ERR KeyError sku', 'ERR TypeError none']);
    queue.refuse.add('acme/shop#KeyError-sku-');

    const error = await rejection(recordErrors({ event }, deps));
    expect(error).toBeInstanceOf(EnqueueFailedError);
    expect(error).toMatchObject({
      code: 'enqueue_failed',
      failures: [{ incidentKey: 'acme/shop#KeyError-sku-' }],
    });
    expect((await store.get('acme/shop#KeyError-sku-'))?.status).toBe('new');
    expect((await store.get('acme/shop#TypeError-none-'))?.status).toBe('queued');

    queue.refuse.clear();
    const outcome = recorded(await recordErrors({ event }, deps));

    expect(queue.jobs.map((j) => j.incidentKey).sort()).toEqual([
      'acme/shop#KeyError-sku-',
      'acme/shop#TypeError-none-',
    ]);
    expect(outcome.incidents.find((i) => i.enqueued)).toMatchObject({
      incidentKey: 'acme/shop#KeyError-sku-',
    });
    expect((await store.get('acme/shop#KeyError-sku-'))?.status).toBe('queued');
    expect((await store.get('acme/shop#KeyError-sku-'))?.count).toBe(1);
  });

  it('throws when the store fails midway, and the redelivery enqueues every incident once', async () => {
    const { deps, store, queue } = makeDeps({ concurrency: 1 });
    const event = payload(['ERR AError x', 'ERR BError y', 'ERR CError z']);
    store.failOccurrenceNumber = 2;

    await expect(recordErrors({ event }, deps)).rejects.toThrow('ProvisionedThroughputExceeded');
    expect(queue.jobs).toHaveLength(0);

    await recordErrors({ event }, deps);
    expect(queue.jobs.map((j) => j.incidentKey).sort()).toEqual([
      'acme/shop#AError-x-',
      'acme/shop#BError-y-',
      'acme/shop#CError-z-',
    ]);
  });

  it('reopens a resolved incident when its error comes back, and leaves a no_fix one alone', async () => {
    const { deps, store, queue } = makeDeps();
    await recordErrors({ event: payload(['ERR KeyError sku', 'ERR TypeError none'], { prefix: 'a' }) }, deps);
    for (const [key, path] of [
      ['acme/shop#KeyError-sku-', ['queued', 'analyzing', 'pr_open', 'resolved_pending', 'resolved']],
      ['acme/shop#TypeError-none-', ['queued', 'analyzing', 'no_fix']],
    ] as const) {
      for (let i = 1; i < path.length; i++) {
        const from = path[i - 1];
        const to = path[i];
        if (from && to) expect(await store.transition({ incidentKey: key, from, to })).toBe(true);
      }
    }

    const outcome = recorded(
      await recordErrors(
        { event: payload(['ERR KeyError sku', 'ERR TypeError none'], { prefix: 'b' }) },
        deps,
      ),
    );

    expect(outcome.incidents.find((i) => i.incidentKey === 'acme/shop#KeyError-sku-')).toMatchObject({
      reopened: true,
      enqueued: true,
      status: 'queued',
    });
    expect(outcome.incidents.find((i) => i.incidentKey === 'acme/shop#TypeError-none-')).toMatchObject({
      enqueued: false,
      status: 'no_fix',
    });
    expect(queue.jobs.filter((j) => j.incidentKey === 'acme/shop#KeyError-sku-')).toHaveLength(2);
    expect(queue.jobs.filter((j) => j.incidentKey === 'acme/shop#TypeError-none-')).toHaveLength(1);
  });

  it('reopens a merged fix whose error is back after the deploy grace period, not before', async () => {
    const { deps, store, queue } = makeDeps();
    await recordErrors({ event: payload(['ERR KeyError sku', 'ERR TypeError none'], { prefix: 'a' }) }, deps);
    const mergedAt = {
      'acme/shop#KeyError-sku-': NOW - 2 * 60 * 60 * 1000,
      'acme/shop#TypeError-none-': NOW - 1000,
    };
    for (const [key, at] of Object.entries(mergedAt)) {
      for (const [from, to] of [
        ['new', 'queued'],
        ['queued', 'analyzing'],
        ['analyzing', 'pr_open'],
      ] as const) {
        await store.transition({ incidentKey: key, from, to });
      }
      await store.transition({
        incidentKey: key,
        from: 'pr_open',
        to: 'resolved_pending',
        set: { merge: { sha: 'abc123', mergedAt: at } },
      });
    }

    const outcome = recorded(
      await recordErrors(
        { event: payload(['ERR KeyError sku', 'ERR TypeError none'], { prefix: 'b' }) },
        deps,
      ),
    );

    expect(outcome.incidents.find((i) => i.incidentKey === 'acme/shop#KeyError-sku-')).toMatchObject({
      reopened: true,
      enqueued: true,
    });
    expect(outcome.incidents.find((i) => i.incidentKey === 'acme/shop#TypeError-none-')).toMatchObject({
      reopened: false,
      enqueued: false,
      status: 'resolved_pending',
    });
    expect(queue.jobs.filter((j) => j.kind === 'repair')).toHaveLength(3);
  });

  it('ignores a CONTROL_MESSAGE', async () => {
    const { deps, store, queue } = makeDeps();
    expect(await recordErrors({ event: makeControlPayload() }, deps)).toEqual({ kind: 'control' });
    expect(store.occurrences).toHaveLength(0);
    expect(queue.jobs).toHaveLength(0);
  });

  it('rejects a corrupt payload with its reason instead of throwing', async () => {
    const { deps, queue } = makeDeps();
    const outcome = await recordErrors({ event: { awslogs: { data: 'bm90IGd6aXA=' } } }, deps);
    expect(outcome).toMatchObject({ kind: 'rejected', code: 'bad_gzip' });
    expect(queue.jobs).toHaveLength(0);
  });

  it('rethrows what is not a payload problem (a bug must surface)', async () => {
    const { deps } = makeDeps({
      decode: () => {
        throw new TypeError('bug');
      },
    });
    await expect(recordErrors({ event: {} }, deps)).rejects.toThrow(TypeError);
  });

  it("ignores its own log groups' events", async () => {
    const { deps, store } = makeDeps();
    const outcome = await recordErrors(
      { event: payload(['ERR KeyError sku'], { logGroup: '/aws/lambda/ai-ops-detector' }) },
      deps,
    );
    expect(outcome).toEqual({
      kind: 'ignored',
      reason: 'own_log_group',
      logGroup: '/aws/lambda/ai-ops-detector',
    });
    expect(store.occurrences).toHaveLength(0);
  });

  it('counts errors from a log group with no repository, and records nothing', async () => {
    const { deps, store, queue } = makeDeps();
    const outcome = await recordErrors(
      { event: payload(['ERR KeyError sku', 'ERR KeyError sku'], { logGroup: '/aws/lambda/unknown' }) },
      deps,
    );
    expect(outcome).toEqual({ kind: 'unrouted', logGroup: '/aws/lambda/unknown', errorsSeen: 2 });
    expect(store.occurrences).toHaveLength(0);
    expect(queue.jobs).toHaveLength(0);
  });

  describe('cut-off traces', () => {
    const contextFor =
      (frames: string[]) =>
      async ({ logGroup, logStream, timestamp }: LogContextRequest): Promise<LogEvent[]> =>
        ['INFO before', 'CUT KeyError', ...frames.map((f) => `  at ${f}`), 'INFO after'].map(
          (message, i) => ({
            id: `ctx-${i}`,
            // the delivered line sits at its own timestamp, as GetLogEvents returns it
            timestamp: timestamp - 1 + i,
            message,
            logGroup,
            logStream,
          }),
        );

    it('reads the rest of the stream around the event and keeps the record that covers it', async () => {
      const logContext = new FakeLogContext(contextFor(['load_cart', 'price_item']));
      const { deps, queue } = makeDeps({ logContext });
      const events = makeLogEvents(['CUT KeyError'], { start: 1_714_564_800_000 });

      const outcome = recorded(
        await recordErrors(
          { event: makeDataPayload(events, { logGroup: LOG_GROUP, logStream: STREAM }) },
          deps,
        ),
      );

      expect(logContext.requests).toEqual([
        {
          logGroup: LOG_GROUP,
          logStream: STREAM,
          timestamp: 1_714_564_800_000,
          timeoutMs: DEFAULT_CONTEXT_BUDGET_MS,
        },
      ]);
      expect(outcome.context).toMatchObject({ fetched: 1, assembled: 1, failures: [] });
      expect(queue.jobs[0]?.error.frames.map((f) => f.function)).toEqual(['load_cart', 'price_item']);
      expect(queue.jobs[0]?.error.eventIds).toContain(events[0]?.id);
      expect(queue.jobs[0]?.incidentKey).toBe('acme/shop#KeyError--load_cart>price_item');
    });

    /**
     * Log lines as one stream, one event per line. `deliver` picks what a subscription delivers of
     * it (by default what the default filter pattern passes); reads (GetLogEvents) answer with
     * `respond`, by default the whole stream; `deps` go to recordErrors as they are. The messages
     * delivered, the jobs queued, the incidents, the read report and the reads made.
     */
    async function deliverLines(
      lines: readonly string[],
      {
        deliver = (events: LogEvent[]) => events.filter((e) => passesDefaultFilter(e.message)),
        respond,
        deps: given = {},
      }: {
        deliver?: (events: LogEvent[]) => LogEvent[];
        respond?: (request: LogContextRequest) => Promise<LogEvent[]>;
        deps?: Partial<RecordErrorsDeps>;
      } = {},
    ) {
      const stream = makeEvents(lines, { logGroup: LOG_GROUP, logStream: STREAM, idPrefix: 'ctx-' });
      const delivered = deliver(stream);
      const logContext = new FakeLogContext(respond ?? (async () => stream));
      const { deps, queue } = makeDeps({
        logContext,
        detect: detectErrors,
        fingerprint: fingerprintError,
        ...given,
      });
      const out = recorded(
        await recordErrors(
          { event: makeDataPayload(delivered, { logGroup: LOG_GROUP, logStream: STREAM }) },
          deps,
        ),
      );
      return {
        delivered: delivered.map((e) => e.message),
        jobs: queue.jobs,
        incidents: out.incidents,
        context: out.context,
        reads: logContext.requests.length,
      };
    }

    /** `deliverLines` of a captured fixture, `path` under test/fixtures/traces/. */
    const deliverFrom = (path: string, deliver?: (events: LogEvent[]) => LogEvent[]) =>
      deliverLines(traceText(path).trimEnd().split('\n'), deliver ? { deliver } : {});
    /** What a subscription filter of these terms alone delivers (case-sensitive, anywhere in the line). */
    const passing =
      (...terms: string[]) =>
      (events: LogEvent[]) =>
        events.filter((e) => terms.some((term) => e.message.includes(term)));

    it("reads back Node's code excerpt before a SyntaxError delivered without it: the broken file is the innermost frame", async () => {
      // `node main.js` whose require('./bad.js') does not parse, one event per line: a delivery that
      // holds the trace from its SyntaxError line to its last frame (and ends there) is read around;
      // the excerpt naming bad.js is in the read before it
      const { jobs, context } = await deliverFrom('javascript/node20-require-syntax-error.txt', (events) => {
        const at = events.findIndex((e) => e.message.startsWith('SyntaxError'));
        const last = events.findLastIndex((e) => e.message.trimStart().startsWith('at '));
        return events.slice(at, last + 1);
      });
      expect(context).toMatchObject({ fetched: 1, assembled: 1 });
      expect(jobs).toHaveLength(1);
      expect(jobs[0]?.error.frames.at(-1)).toEqual({
        file: '/tmp/syn/app/bad.js',
        line: 3,
        column: 14,
        inApp: true,
      });
    });

    it("completes Sinatra's error header, the one line `?Error` delivers, from the stream's tab-indented frames", async () => {
      // Ruby 3.1, Sinatra 3.0.5 in production, one event per line: the frames hold no error word
      const { jobs, context } = await deliverFrom(
        'ruby/ruby31-sinatra-3.0.5-webrick-production-dump-errors.output',
        (events) => events.filter((e) => e.message.includes(' - KeyError - ')),
      );
      expect(context).toMatchObject({ fetched: 1, assembled: 1 });
      expect(jobs).toHaveLength(1);
      expect(jobs[0]?.error).toMatchObject({
        exceptionType: 'KeyError',
        message: 'key not found: :lines',
      });
      expect(jobs[0]?.error.frames.filter((f) => f.inApp).at(-1)).toMatchObject({
        file: '/srv/rb/lib/pricing.rb',
        line: 8,
      });
    });

    it('completes an Elixir crash report from the two lines the default filter passes, its `[error]` line and the banner', async () => {
      // Elixir 1.14, a Task's crash report as Logger's console backend writes it, one event per
      // line: only its `[error]` line and the banner hold a term of the filter, no frame does
      const { delivered, jobs, context } = await deliverFrom(
        'elixir/elixir114-task-terminating-key-error.txt',
      );
      expect(delivered).toEqual([
        '04:51:15.901 [error] Task #PID<0.139.0> started from #PID<0.96.0> terminating',
        '** (KeyError) key :lines not found in: %{}',
      ]);
      expect(context).toMatchObject({ fetched: 1, assembled: 1 });
      expect(jobs).toHaveLength(1);
      expect(jobs[0]?.error).toMatchObject({ language: 'elixir', exceptionType: 'KeyError' });
      expect(jobs[0]?.error.frames.at(-1)).toMatchObject({
        file: 'lib/shop/pricing.ex',
        line: 3,
        inApp: true,
      });
      expect(jobs[0]?.error.raw.split('\n')[0]).toBe(
        'Task #PID<0.139.0> started from #PID<0.96.0> terminating',
      );
    });

    it('reads back the frames of a Logger entry that is a stacktrace alone, delivered as its first line', async () => {
      // `Logger.error(msg)` then `Logger.error(Exception.format_stacktrace(__STACKTRACE__))`, one
      // event per line: the filter passes the two `[error]` lines of each pair, not the frames
      const { delivered, jobs } = await deliverFrom(
        'elixir/elixir118-logger-error-message-then-format-stacktrace-entry.txt',
      );
      expect(delivered).toHaveLength(4);
      expect(jobs.map((j) => [j.error.exceptionType, j.error.message, j.error.frames.length])).toEqual([
        ['ERROR', 'feed sync crashed: errors were found at the given arguments:', 8],
        ['KeyError', 'Pricing error: %KeyError{key: :lines, term: %{}, message: nil}', 8],
      ]);
    });

    it('reads back why a JVM did not start from the launcher lines the filter passes, one incident per reason', async () => {
      // OpenJDK 25 with a JAVA_TOOL_OPTIONS flag it refuses (a flag a newer Java removed), a heap
      // too small, a malformed option, an unknown launcher option, a code cache it cannot reserve:
      // the reason lines hold no filter term, the launcher's `Error: …` lines do
      const { jobs, incidents } = await deliverFrom('java/java25-jvm-start-failures.output');
      expect(jobs.map((j) => [j.error.language, j.error.exceptionType, j.error.message])).toEqual([
        [
          'java',
          'Error',
          "Could not create the Java Virtual Machine: Unrecognized VM option 'UseBiasedLocking'",
        ],
        ['java', 'Error', 'Error occurred during initialization of VM: Too small maximum heap'],
        [
          'java',
          'Error',
          "Could not create the Java Virtual Machine: Improperly specified VM option 'MaxRAMPercentage=abc'",
        ],
        [
          'java',
          'Error',
          'Could not create the Java Virtual Machine: Unrecognized option: --enable-preview-x',
        ],
        [
          'java',
          'Error',
          'Error occurred during initialization of VM: Could not reserve enough space for code cache (245764K)',
        ],
      ]);
      expect(incidents).toHaveLength(5);
    });

    it("reads back telemetry's report of a detached handler from its first line, the one the filter passes", async () => {
      const { delivered, jobs } = await deliverFrom('elixir/elixir118-telemetry-handler-failed-detached.txt');
      expect(delivered).toHaveLength(2);
      expect(jobs.map((j) => [j.error.exceptionType, j.error.frames.length])).toEqual([
        ['ArithmeticError', 8],
        ['FunctionClauseError', 8],
      ]);
    });

    it.each([
      ['elixir118-task-exit-timeout', 'stop', 2],
      ['issue-phoenix-2935-gen-server-call-timeout', 'exit', 0],
    ])(
      "reads back Logger's report of a crashed Elixir process from its first line, when the exit after it holds no term of the filter (%s)",
      async (name, type, frames) => {
        // `[error] Task #PID<…> started from #PID<…> terminating` then `** (stop) exited in:
        // GenServer.call(…)`: one event per line, the default filter passes the first line alone
        const { delivered, jobs, context } = await deliverFrom(`elixir/${name}.txt`);
        expect(delivered).toHaveLength(1);
        expect(context).toMatchObject({ fetched: 1, assembled: 1 });
        expect(jobs.map((j) => [j.error.exceptionType, j.error.frames.length])).toEqual([[type, frames]]);
        expect(jobs[0]?.error.message).toMatch(/^exited in: /);
      },
    );

    it.each([
      ['go119-fatal-error-concurrent-map-writes', 'concurrent map writes', 'main.reserve', 8],
      ['go119-fatal-error-stack-overflow', 'stack overflow', 'main.depth', 7],
      ['go119-fatal-error-out-of-memory', 'out of memory', 'main.remember', 6],
    ])(
      "completes Go's %s from its `fatal error:` header, the line the default filter passes",
      async (name, message, fn, line) => {
        // Go 1.19, the runtime's unrecoverable errors, one event per line: before `?"fatal error"`
        // the filter passed nothing of the first, and of the others only a frame in panic.go
        const { delivered, jobs, context } = await deliverFrom(`go/${name}.txt`);
        expect(delivered).toContain(`fatal error: ${message}`);
        expect(context).toMatchObject({ fetched: 1, assembled: 1 });
        expect(jobs).toHaveLength(1);
        expect(jobs[0]?.error).toMatchObject({ language: 'go', exceptionType: 'fatal error', message });
        expect(jobs[0]?.error.frames.filter((f) => f.inApp).at(-1)).toMatchObject({ function: fn, line });
      },
    );

    it.each([
      [
        'javascript/node20-tsc-dist-console-error.txt',
        'TypeError',
        '/tmp/cap/tsapp/dist/orders/service.js',
        3,
      ],
      ['javascript/node20-err-stack-after-message.txt', 'SyntaxError', undefined, undefined],
      ['javascript/node20-console-trace-error.txt', 'TypeError', undefined, undefined],
      // a plain Error, with no message (`order check failed Error`), printed with colours or not
      [
        'javascript/node20-console-error-message-then-bare-error.txt',
        'Error',
        '/tmp/cap/app/src/empty.js',
        2,
      ],
      ['javascript/node20-force-color-console-error.txt', 'Error', '/tmp/cap/app/src/empty.js', 2],
    ])(
      'reads the stream behind %s, whose one delivered line names its error after other words and holds no level',
      async (path, type, file, line) => {
        // Node's console.error(msg, err) (`notify failed TypeError: …`), a message joined to
        // err.stack, console.trace: one event per line, the default filter passes the header
        // alone; before, the detector dropped it (a lone line is an error only at an error level)
        const { delivered, jobs, context } = await deliverFrom(path);
        expect(delivered).toHaveLength(1);
        expect(context).toMatchObject({ fetched: 1, assembled: 1 });
        expect(jobs.map((j) => j.error.exceptionType)).toEqual([type]);
        expect(jobs[0]?.error.frames.length).toBeGreaterThan(0);
        if (file) expect(jobs[0]?.error.frames.filter((f) => f.inApp).at(-1)).toMatchObject({ file, line });
      },
    );

    it('leaves out a line that only names an error when its stream holds no trace after it, reading once per kind and twice per delivery at most', async () => {
      // a program that prints what it retried, with no level, on every request
      const lines = [
        ...Array.from({ length: 20 }, (_, i) => `retry ${i + 1} after TimeoutError: upstream took too long`),
        'cache refresh failed RangeError: size out of range',
        'warmup skipped KeyError: region',
        'pool drained ConnectionError: reset by peer',
      ];
      const { jobs, incidents, reads } = await deliverLines(lines, { deliver: (events) => events });
      expect(jobs).toEqual([]);
      expect(incidents).toEqual([]);
      // the twenty retries are one kind; of the three others, one more is read
      expect(reads).toBe(2);
    });

    it('does not read around a plain name that only labels the next line', async () => {
      // mono's unhandled exception report: the line after it names the error
      const { reads, jobs } = await deliverLines(['Unhandled Exception:'], { deliver: (events) => events });
      expect(reads).toBe(0);
      expect(jobs).toEqual([]);
    });

    it('does not read such lines again in the next deliveries to a warm detector, until it forgets them', async () => {
      const lines = [
        ...Array.from({ length: 5 }, (_, i) => `retry ${i + 1} after TimeoutError: upstream took too long`),
        'cache refresh failed RangeError: size out of range',
      ];
      let clock = NOW;
      const barrenLines = new BarrenLines({ ttlMs: 15 * 60_000 });
      const deliver = async () =>
        (await deliverLines(lines, { deliver: (events) => events, deps: { barrenLines, now: () => clock } }))
          .reads;

      expect(await deliver()).toBe(2);
      clock += 60_000;
      expect(await deliver()).toBe(0);
      // a program's next release may print a trace after the same line: read again in time
      clock += 15 * 60_000;
      expect(await deliver()).toBe(2);
      // without a memory (the default) every delivery reads
      expect((await deliverLines(lines, { deliver: (events) => events })).reads).toBe(2);
      expect((await deliverLines(lines, { deliver: (events) => events })).reads).toBe(2);
    });

    it('remembers no line as barren from a read that failed, and reads no more such lines in that delivery', async () => {
      const lines = [
        "notify failed TypeError: Cannot read properties of undefined (reading 'email')",
        'cache refresh failed RangeError: size out of range',
      ];
      const barrenLines = new BarrenLines();
      let throttled = true;
      const respond = async () => {
        if (throttled) throw new Error('ThrottlingException: Rate exceeded');
        return makeEvents(lines, { logGroup: LOG_GROUP, logStream: STREAM, idPrefix: 'ctx-' });
      };
      const first = await deliverLines(lines, {
        deliver: (events) => events,
        respond,
        deps: { barrenLines },
      });
      expect(first.reads).toBe(1);
      throttled = false;
      const second = await deliverLines(lines, {
        deliver: (events) => events,
        respond,
        deps: { barrenLines },
      });
      expect(second.reads).toBe(2);
    });

    it('leaves out such a line when its stream cannot be read, rather than making a frameless incident of it', async () => {
      const { jobs, context } = await deliverLines(
        ["notify failed TypeError: Cannot read properties of undefined (reading 'email')"],
        {
          deliver: (events) => events,
          respond: async () => {
            throw new Error('ThrottlingException: Rate exceeded');
          },
        },
      );
      expect(jobs).toEqual([]);
      expect(context.failures).toHaveLength(1);
    });

    it.each([
      // `consola.error(err)`: `[error] <message>` (basic) or ` ERROR  <message>` (fancy), then the
      // frames, with the error's name left out; and `consola.error("checkout failed", err)`
      ['javascript/node24-consola-3.4-basic-reporter-error.output', ['Error', 'Error'], 'total.mjs', 2],
      ['javascript/node24-consola-3.4-fancy-reporter-error.output', ['Error', 'Error'], 'total.mjs', 2],
      // Logger.error of a message, then Logger.error of Exception.format_stacktrace(__STACKTRACE__)
      [
        'elixir/elixir114-logger-error-message-then-format-stacktrace.txt',
        ['ERROR', 'ArgumentError'],
        'lib/shop/pricing.ex',
        12,
      ],
      // `log.error(…, stack_info=True)`: `Stack (most recent call last):` holds no term
      ['python/py311-logging-error-stack-info-without-exception.txt', ['ERROR'], '/srv/py2/app2.py', 13],
    ])(
      'reads the stream after an error-level line of %s that names no error, for the trace whose lines hold no term',
      async (path, types, file, line) => {
        // one event per line: the default filter passes the error-level lines alone; before, each
        // was a frameless incident of its own, and no fix could be placed
        const { delivered, jobs, context } = await deliverFrom(path);
        expect(delivered).toHaveLength(types.length);
        // one read holds them all
        expect(context).toMatchObject({ fetched: 1, assembled: types.length });
        expect(jobs.map((j) => j.error.exceptionType)).toEqual(types);
        for (const job of jobs)
          expect(job.error.frames.filter((f) => f.inApp).at(-1)).toMatchObject({ file, line });
      },
    );

    it('keeps error-level lines that head no trace, reading once per kind, twice per delivery and a few a minute per log group', async () => {
      const lines = [
        ...Array.from({ length: 20 }, (_, i) => `ERROR payment declined for order ${i + 1}`),
        'ERROR cache refresh failed',
        'ERROR warmup skipped for region eu-west-1',
      ];
      let clock = NOW;
      const barrenLines = new BarrenLines({ ttlMs: 15 * 60_000 });
      const deps = { barrenLines, now: () => clock };
      // each read holds the line it was made for alone (a read of the whole stream answers for
      // every line in it, and no more are made)
      const stream = makeEvents(lines, { logGroup: LOG_GROUP, logStream: STREAM, idPrefix: 'ctx-' });
      const respond = async ({ timestamp }: LogContextRequest) =>
        stream.filter((e) => e.timestamp === timestamp);
      const first = await deliverLines(lines, { respond, deps });
      // the twenty declines are one kind; of the two others, one more is read
      expect(first.reads).toBe(2);
      // nothing is lost: each kind is an incident, as delivered
      expect(first.jobs.map((j) => [j.error.exceptionType, j.error.message, j.error.frames.length])).toEqual([
        ['ERROR', 'payment declined for order 1', 0],
        ['ERROR', 'cache refresh failed', 0],
        ['ERROR', 'warmup skipped for region eu-west-1', 0],
      ]);
      // a warm detector reads neither of the two kinds whose read found no trace again
      clock += 60_000;
      expect((await deliverLines(lines, { respond, deps })).reads).toBe(1);
      // and a log group reads a few a minute, however many new kinds its deliveries bring
      const kinds = (n: number) => ['x', 'y'].map((s) => `ERROR job ${'abcd'[n]}${s} failed`);
      const reads = [];
      for (let n = 0; n < 4; n++) reads.push((await deliverLines(kinds(n), { respond, deps })).reads);
      expect(reads).toEqual([2, 1, 0, 0]);
      clock += 60_000;
      expect((await deliverLines(kinds(3), { respond, deps })).reads).toBe(2);
    });

    it("does not read around an error-level line a Lambda runtime's logger wrote: its trace is in the same event", async () => {
      // the Node runtime's Text format: console.error writes one event, however many lines
      const { reads, jobs } = await deliverLines([
        '2026-12-07T02:26:10.137Z\t3f9c2a71-8d4e-4b6f-a1c5-7e2d9b0f4a18\tERROR\tpayment declined for order 7',
        '[ERROR]\t2026-12-07T02:26:11.201Z\t5a3e7b1c-2f4d-4c8e-9b6a-1d2e3f4a5b6c\tcache refresh failed',
      ]);
      expect(reads).toBe(0);
      expect(jobs.map((j) => j.error.message)).toEqual([
        'payment declined for order 7',
        'cache refresh failed',
      ]);
    });

    it('keeps an error-level line whose stream cannot be read, as delivered', async () => {
      const { jobs, context } = await deliverLines(['ERROR payment declined for order 7'], {
        respond: async () => {
          throw new Error('ThrottlingException: Rate exceeded');
        },
      });
      expect(jobs.map((j) => j.error.message)).toEqual(['payment declined for order 7']);
      expect(context.failures).toHaveLength(1);
    });

    it("reads back Node's crash on a promise rejected with a string, whose one term is its UnhandledPromiseRejection line", async () => {
      // Node 20, `Promise.reject("order 7 not found in the catalogue")` unhandled: the runtime's
      // excerpt, its `UnhandledPromiseRejection: …` (no Error, no ERROR), `code: 'ERR_UNHANDLED_REJECTION'`
      const { delivered, jobs } = await deliverFrom(
        'javascript/node20-unhandled-rejection-string-reason.txt',
      );
      // the excerpt's code line and the error's header, and Node's last line (`?"Node.js v"`)
      expect(delivered.map((line) => line.trim().slice(0, 30))).toEqual([
        'new UnhandledPromiseRejection(',
        'UnhandledPromiseRejection: Thi',
        'Node.js v20.20.2',
      ]);
      expect(jobs.map((j) => [j.error.exceptionType, j.error.message])).toEqual([
        ['UnhandledPromiseRejection', 'order 7 not found in the catalogue'],
      ]);
    });

    it("completes Rich's boxed traceback from the lines the default filter passes: the frames come from the read", async () => {
      // Python 3.11, Rich 13.3's RichHandler, one event per line: the level line, the box's top
      // (`Traceback`), the exception lines and code lines naming an error pass `?ERROR ?Error
      // ?Traceback …`; no frame's `path:line in function` does
      const {
        delivered: passed,
        jobs,
        context,
      } = await deliverFrom('python/py311-rich-13.3-handler-chained-wrapped-paths.txt');
      expect(passed.filter((m) => m.includes('Traceback'))).toHaveLength(2);
      expect(passed.some((m) => / in (?:handle|checkout|compute_order_total_with_discounts) /.test(m))).toBe(
        false,
      );
      expect(context).toMatchObject({ fetched: 1, failures: [] });
      expect(jobs).toHaveLength(1);
      expect(jobs[0]?.error).toMatchObject({
        exceptionType: 'PricingError',
        message: 'order ord-1042 could not be priced',
      });
      expect(jobs[0]?.error.frames.map((f) => f.line)).toEqual([24, 19]);
      expect(jobs[0]?.error.causes[0]?.frames.at(-1)?.function).toBe('<genexpr>');
    });

    it("completes a process pool's failure from the lines the default filter passes: one record, the worker's frames innermost", async () => {
      // Python 3.11 ProcessPoolExecutor, one event per line, through `?Traceback ?Error …`: the
      // wrapper's line, both `Traceback` headers and both `KeyError` lines, no frame and no fence
      const { delivered: passed, jobs } = await deliverFrom(
        'python/py311-process-pool-executor-remote-traceback.txt',
      );
      expect(passed.map((m) => m.slice(0, 9))).toEqual([
        'concurren',
        'Traceback',
        'KeyError:',
        'Traceback',
        'KeyError:',
      ]);
      expect(jobs).toHaveLength(1);
      expect(jobs[0]?.error).toMatchObject({ exceptionType: 'KeyError', message: "'lines'" });
      expect(jobs[0]?.error.frames.at(-1)).toMatchObject({ file: '/srv/shop/shop/pricing.py', line: 2 });
    });

    it("completes gin's recovered panic from what `?panic` passes: its header and the runtime's panic frames, not the value or the app's frames", async () => {
      // Go 1.19, gin 1.8.1 in release mode, one event per line: the value says `runtime error`
      // (no term of the default pattern matches it), and of the stack only the runtime's panic lines pass
      const { delivered: passed, jobs } = await deliverFrom('go/go119-gin-1.8-recovery-release-mode.txt');
      expect(passed[0]).toContain('[Recovery]');
      expect(passed.some((m) => m.includes('runtime error') || m.includes('main.go'))).toBe(false);
      expect(jobs).toHaveLength(1);
      expect(jobs[0]?.error).toMatchObject({
        exceptionType: 'panic',
        message: 'runtime error: invalid memory address or nil pointer dereference',
      });
      expect(jobs[0]?.error.frames.filter((f) => f.inApp).at(-1)).toMatchObject({
        line: 16,
        function: 'total',
      });
    });

    it("completes faulthandler's crash report from its header, all `?Fatal` delivers of it", async () => {
      // Python 3.11, -X faulthandler, a segfault in ctypes, one event per line
      const { delivered: passed, jobs } = await deliverFrom('python/py311-faulthandler-segfault.txt');
      expect(passed).toEqual(['Fatal Python error: Segmentation fault']);
      expect(jobs).toHaveLength(1);
      expect(jobs[0]?.error).toMatchObject({ language: 'python', exceptionType: 'Fatal Python error' });
      expect(jobs[0]?.error.frames.at(-1)).toMatchObject({ function: 'string_at' });
    });

    it("completes chi's recovered panic from its header, all `?panic` delivers of it", async () => {
      // Go 1.19, chi 5.0.7's Recoverer, one event per line; no frame line holds a term of the pattern
      const { delivered: passed, jobs } = await deliverFrom('go/go119-chi-5.0.7-recoverer-pretty-stack.txt');
      expect(passed).toEqual([' panic: runtime error: invalid memory address or nil pointer dereference']);
      expect(jobs).toHaveLength(1);
      expect(jobs[0]?.error).toMatchObject({ language: 'go', exceptionType: 'panic' });
      expect(jobs[0]?.error.frames.at(-1)).toMatchObject({ file: '/srv/goshop/orders/price.go', line: 12 });
    });

    it("completes echo's recovered panic logged as text from the lines the default filter passes", async () => {
      // Go 1.19, echo 4.2.1's Recover with a text header, one event per line: its header passes
      // `?"PANIC RECOVER"` (its value's `runtime error` is lower case), `panic(…)` passes `?panic`
      const { delivered: passed, jobs } = await deliverFrom('go/go119-echo-4.2-recover-text-header.txt');
      expect(passed[0]).toContain('[PANIC RECOVER]');
      expect(passed.some((m) => m.includes('price.go'))).toBe(false);
      expect(jobs).toHaveLength(1);
      expect(jobs[0]?.error).toMatchObject({ language: 'go', exceptionType: 'panic' });
      expect(jobs[0]?.error.frames.at(-1)).toMatchObject({
        function: 'example.com/echoshop/orders.Total',
        line: 12,
      });
    });

    it("completes Mono's unhandled exception from the lines the default filter passes: one job", async () => {
      // Mono 6.8, one event per line: `Unhandled Exception:`, the exception line and the reprint's
      // `[ERROR] FATAL UNHANDLED EXCEPTION: …` pass; no frame does
      const { delivered: passed, jobs } = await deliverFrom(
        'dotnet/mono-6.8-unhandled-exception-and-fatal-reprint.txt',
      );
      expect(passed).toHaveLength(3);
      expect(jobs).toHaveLength(1);
      expect(jobs[0]?.error).toMatchObject({
        language: 'dotnet',
        exceptionType: 'System.InvalidOperationException',
      });
      expect(jobs[0]?.error.frames.at(-1)).toMatchObject({
        file: '/srv/csshop/src/Orders/OrderService.cs',
        line: 15,
      });
    });

    it.each([
      'ruby31-rails-6.1-production-log-tags-request-id.txt',
      'ruby31-rails-6.1-production-log-tags-request-id-remote-ip.txt',
      'ruby31-rails-6.1-log-tags-host-request-id-simple-formatter.txt',
      'ruby31-rails-6.1-activejob-async-error-performing.txt',
    ])(
      "completes Rails' tagged error from the lines `?FATAL ?Error` pass: its header, not its frames (%s)",
      async (name) => {
        // Ruby 3.1.2, Rails 6.1.7 in production with log_tags (a request's, a job's), one event per
        // line, through a pattern of those two terms (the default one's `?":in "` passes the frames too)
        const { delivered: passed, jobs } = await deliverFrom(`ruby/${name}`, passing('FATAL', 'Error'));
        expect(passed.some((m) => m.includes('app/models/order.rb'))).toBe(false);
        expect(jobs).toHaveLength(1);
        expect(jobs[0]?.error).toMatchObject({ exceptionType: 'NoMethodError' });
        expect(jobs[0]?.error.frames.at(-1)).toMatchObject({ line: 3, function: 'total' });
        expect(jobs[0]?.error.frames.at(-1)?.file).toMatch(/(?:^|\/)app\/models\/order\.rb$/);
      },
    );

    it("completes Sidekiq's job error from what `?Error ?Exception` pass: its header, not its backtrace", async () => {
      // Ruby 3.1.2, Sidekiq 6.4.1, Pretty formatter, one event per line, through those two terms
      const { delivered: passed, jobs } = await deliverFrom(
        'ruby/ruby31-sidekiq-6.4-pretty-job-raised.txt',
        passing('Error', 'Exception'),
      );
      expect(passed.some((m) => m.includes('order.rb'))).toBe(false);
      expect(jobs).toHaveLength(1);
      expect(jobs[0]?.error).toMatchObject({ exceptionType: 'NoMethodError' });
      expect(jobs[0]?.error.frames.at(-1)).toMatchObject({ file: '/app/app/models/order.rb', line: 3 });
    });

    it('reuses one read for several cut-off traces of the same stream', async () => {
      const start = 1_714_564_800_000;
      const logContext = new FakeLogContext(async ({ logGroup, logStream }) =>
        [
          [start, 'CUT KeyError'],
          [start, '  at load_cart'],
          [start + 1, 'CUT TypeError'],
          [start + 1, '  at render'],
          [start + 2, 'INFO after'],
        ].map(([timestamp, message], i) => ({
          id: `ctx-${i}`,
          timestamp: Number(timestamp),
          message: String(message),
          logGroup,
          logStream,
        })),
      );
      const { deps, queue } = makeDeps({ logContext });
      const events = makeLogEvents(['CUT KeyError', 'CUT TypeError'], { start });

      const outcome = recorded(
        await recordErrors(
          { event: makeDataPayload(events, { logGroup: LOG_GROUP, logStream: STREAM }) },
          deps,
        ),
      );

      expect(logContext.requests).toHaveLength(1);
      expect(outcome.context).toMatchObject({ fetched: 1, assembled: 2 });
      expect(queue.jobs.map((j) => j.incidentKey).sort()).toEqual([
        'acme/shop#KeyError--load_cart',
        'acme/shop#TypeError--render',
      ]);
    });

    it('keeps the delivered record when the read fails', async () => {
      const logContext = new FakeLogContext(async () => {
        throw new Error('ThrottlingException');
      });
      const { deps, queue } = makeDeps({ logContext });

      const outcome = recorded(await recordErrors({ event: payload(['CUT KeyError']) }, deps));

      expect(outcome.context.failures).toEqual([
        expect.objectContaining({ message: 'Error: ThrottlingException' }),
      ]);
      expect(queue.jobs).toHaveLength(1);
      expect(queue.jobs[0]?.error.frames).toEqual([]);
    });

    it('keeps the delivered record when the stream holds nothing that covers it', async () => {
      const logContext = new FakeLogContext(async () => []);
      const { deps, queue } = makeDeps({ logContext });
      const outcome = recorded(await recordErrors({ event: payload(['CUT KeyError']) }, deps));
      expect(outcome.context).toMatchObject({ fetched: 1, assembled: 0 });
      expect(queue.jobs).toHaveLength(1);
    });

    it('completes a head beyond every read like the heads of its signature, without a read', async () => {
      const start = 1_714_564_800_000;
      // The stream around the first head only: its trace, then another head of the same signature.
      const logContext = new FakeLogContext(async ({ logGroup, logStream, timestamp }) =>
        timestamp !== start
          ? []
          : [
              [start, 'CUT KeyError'],
              [start, '  at load_cart'],
              [start, '  at price_item'],
            ].map(([at, message], i) => ({
              id: `ctx-${i}`,
              timestamp: Number(at),
              message: String(message),
              logGroup,
              logStream,
            })),
      );
      const { deps, queue, store } = makeDeps({ logContext });
      const events = [
        { id: 'd-1', timestamp: start, message: 'CUT KeyError' },
        { id: 'd-2', timestamp: start + 60_000, message: 'CUT KeyError' },
      ];

      const outcome = recorded(
        await recordErrors(
          { event: makeDataPayload(events, { logGroup: LOG_GROUP, logStream: STREAM }) },
          deps,
        ),
      );

      expect(logContext.requests).toHaveLength(1);
      expect(outcome.context).toMatchObject({ fetched: 1, assembled: 1, inferred: 1, skipped: 0 });
      // One incident of two occurrences, not a second, frameless one that no fix could place.
      expect(outcome.incidents).toEqual([
        expect.objectContaining({ incidentKey: 'acme/shop#KeyError--load_cart>price_item', count: 2 }),
      ]);
      // The incident's sample is the trace read from the stream.
      expect(queue.jobs[0]?.error.eventIds).toEqual(['d-1', 'ctx-1', 'ctx-2']);
      expect(store.occurrences[0]).toMatchObject({ count: 2, firstSeen: start, lastSeen: start + 60_000 });
    });

    it('reads again when heads of one signature were completed to different traces', async () => {
      const start = 1_714_564_800_000;
      // Two `KeyError` heads from two places in the code, then a third beyond the first read.
      const logContext = new FakeLogContext(async ({ logGroup, logStream, timestamp }) =>
        (timestamp === start
          ? [
              [start, 'CUT KeyError'],
              [start, '  at load_cart'],
              [start + 1, 'CUT KeyError'],
              [start + 1, '  at apply_coupon'],
            ]
          : [
              [timestamp, 'CUT KeyError'],
              [timestamp, '  at load_cart'],
            ]
        ).map(([at, message], i) => ({
          id: `ctx-${timestamp}-${i}`,
          timestamp: Number(at),
          message: String(message),
          logGroup,
          logStream,
        })),
      );
      const { deps } = makeDeps({ logContext });
      const events = [start, start + 1, start + 60_000].map((timestamp, i) => ({
        id: `d-${i}`,
        timestamp,
        message: 'CUT KeyError',
      }));

      const outcome = recorded(
        await recordErrors(
          { event: makeDataPayload(events, { logGroup: LOG_GROUP, logStream: STREAM }) },
          deps,
        ),
      );

      expect(logContext.requests.map((r) => r.timestamp)).toEqual([start, start + 60_000]);
      expect(outcome.context).toMatchObject({ fetched: 2, assembled: 3, inferred: 0 });
      expect(outcome.incidents.map((i) => [i.incidentKey, i.count])).toEqual([
        ['acme/shop#KeyError--load_cart', 2],
        ['acme/shop#KeyError--apply_coupon', 1],
      ]);
    });

    it('caps the reads per delivery', async () => {
      const logContext = new FakeLogContext(async () => []);
      const { deps } = makeDeps({ logContext, maxContextFetches: 3 });
      const messages = Array.from({ length: 10 }, (_, i) => `CUT Error${i}`);

      const outcome = recorded(await recordErrors({ event: payload(messages) }, deps));

      expect(logContext.requests).toHaveLength(3);
      expect(outcome.context).toMatchObject({ fetched: 3, skipped: 7 });
      expect(outcome.incidents).toHaveLength(10);
    });

    it('gives the reads of one delivery a time budget: each read is told what is left, none starts past it', async () => {
      let clock = NOW;
      // each read takes 4 s of the clock
      const logContext = new FakeLogContext(async () => {
        clock += 4_000;
        return [];
      });
      const { deps } = makeDeps({ logContext, now: () => clock, contextBudgetMs: 10_000 });
      const messages = Array.from({ length: 5 }, (_, i) => `CUT Error${i}`);

      const outcome = recorded(await recordErrors({ event: payload(messages) }, deps));

      expect(logContext.requests.map((r) => r.timeoutMs)).toEqual([10_000, 6_000, 2_000]);
      expect(outcome.context).toMatchObject({ fetched: 3, outOfTime: 2, skipped: 0 });
      expect(outcome.incidents).toHaveLength(5);
    });

    it('does not read context for complete records', async () => {
      const logContext = new FakeLogContext(async () => []);
      const { deps } = makeDeps({ logContext });
      await recordErrors({ event: payload(['ERR KeyError sku']) }, deps);
      expect(logContext.requests).toHaveLength(0);
    });

    it('completes every trace of a storm of cut-off heads in one stream with the records the whole stream holds', async () => {
      // A Java service logging 300 traces 1 ms apart; a level filter delivered only the heads.
      const start = 1_714_564_800_000;
      const types = [
        'java.lang.IllegalStateException',
        'java.net.SocketTimeoutException',
        'com.example.CardDeclinedException',
      ];
      const frames = [
        '\tat com.example.orders.OrderService.total(OrderService.java:88)',
        '\tat com.example.orders.OrderController.checkout(OrderController.java:41)',
        '\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)',
      ];
      const stream: LogEvent[] = [];
      const heads: { timestamp: number; message: string }[] = [];
      for (let i = 0; i < 300; i++) {
        const timestamp = start + i;
        const message = `2024-05-01 12:00:00.${String(i % 1000).padStart(3, '0')} ERROR [exec-${i % 8}] c.e.Orders - ${types[i % 3]}: order ${4000 + i} failed`;
        heads.push({ timestamp, message });
        for (const line of [message, ...frames])
          stream.push({
            id: `s-${stream.length}`,
            timestamp,
            message: line,
            logGroup: LOG_GROUP,
            logStream: STREAM,
          });
      }
      // As the CloudWatch Logs adapter reads: forward from shortly before the event, 500 events at most.
      const logContext = new FakeLogContext(async ({ timestamp }) =>
        stream
          .filter((e) => e.timestamp >= timestamp - 5)
          .slice(0, 500)
          .map((e, i) => ({ ...e, id: `ctx-${timestamp}-${i}` })),
      );
      const used: ErrorRecord[] = [];
      const { deps, store } = makeDeps({
        logContext,
        detect: detectErrors,
        fingerprint: (record) => {
          // as the fingerprint saw it (a cut-off record completed by likeness is completed in place)
          used.push({ ...record });
          return fingerprintError(record);
        },
      });
      const delivered = heads.map((h, i) => ({ id: `d-${String(i).padStart(4, '0')}`, ...h }));

      const outcome = recorded(
        await recordErrors(
          { event: makeDataPayload(delivered, { logGroup: LOG_GROUP, logStream: STREAM }) },
          deps,
        ),
      );

      // One read of 500 events covers some 120 traces, each type's heads completed alike; the
      // heads beyond it are completed like them, with no read of their own.
      expect(outcome.context).toMatchObject({ fetched: 1, skipped: 0, failures: [] });
      expect(outcome.context.assembled).toBeGreaterThanOrEqual(100);
      expect(outcome.context.assembled + outcome.context.inferred).toBe(300);
      // Reference: the records detected over the whole stream at once, one per head.
      const shape = (r: ErrorRecord) => ({
        timestamp: r.timestamp,
        exceptionType: r.exceptionType,
        message: r.message,
        frames: r.frames,
        raw: r.raw,
      });
      const whole = detectErrors(stream).map((d) => d.record);
      expect(whole).toHaveLength(300);
      // The records read from the stream are exactly the reference's (the cut-off heads' own
      // frameless fingerprints, their signatures, are asked for too).
      const read = used.filter((r) => r.frames.length > 0);
      expect(read).toHaveLength(outcome.context.assembled);
      for (const record of read) {
        const reference = whole.find((w) => w.timestamp === record.timestamp);
        expect(shape(record)).toEqual(reference && shape(reference));
        expect(record.eventIds).toContain(delivered.find((d) => d.timestamp === record.timestamp)?.id);
      }
      // Every incident's sample is a trace read from the stream, with the reference's frames.
      for (const [i, type] of types.entries()) {
        const sample = store.occurrences.find((o) => o.sample.exceptionType === type)?.sample;
        expect(sample?.frames).toEqual(whole[i]?.frames);
        expect(sample?.raw).toBe(whole.find((w) => w.timestamp === sample?.timestamp)?.raw);
      }
      expect(outcome.incidents.map((r) => r.count)).toEqual([100, 100, 100]);
    });
  });
});

describe('capSample', () => {
  const base: ErrorRecord = {
    language: 'java',
    exceptionType: 'IllegalStateException',
    message: 'boom',
    frames: [{ file: 'A.java', function: 'a', inApp: true }],
    causes: [],
    raw: 'java.lang.IllegalStateException: boom',
    logGroup: LOG_GROUP,
    logStream: STREAM,
    timestamp: NOW,
    eventIds: ['e1'],
  };

  it('returns a record within bounds as it is', () => {
    expect(capSample(base)).toBe(base);
  });

  it('bounds a megabyte trace to what a DynamoDB item and an SQS message hold, keeping head and innermost end', () => {
    const frames = Array.from({ length: 5_000 }, (_, i) => ({
      file: `F${i}.java`,
      function: `f${i}`,
      inApp: true,
    }));
    const huge: ErrorRecord = {
      ...base,
      raw: `HEAD${'x'.repeat(1_000_000)}TAIL`,
      frames,
      eventIds: Array.from({ length: 5_000 }, (_, i) => `e${i}`),
    };

    const capped = capSample(huge);

    expect(capped.raw.length).toBeLessThanOrEqual(70 * 1024);
    expect(capped.raw.startsWith('HEAD')).toBe(true);
    expect(capped.raw.endsWith('TAIL')).toBe(true);
    expect(capped.frames).toHaveLength(200);
    expect(capped.frames.at(-1)).toEqual(frames.at(-1));
    expect(capped.frames[0]).toEqual(frames[0]);
    expect(Buffer.byteLength(JSON.stringify(capped))).toBeLessThan(200 * 1024);
  });

  it("cuts a message of several hundred lines, and a cause's, keeping the headline", () => {
    const long = (head: string) => `${head}\n${'  field: must be a whole number\n'.repeat(20_000)}`;
    const capped = capSample({
      ...base,
      message: long('order rejected'),
      causes: [{ ...base, message: long('qty invalid') }],
    });
    expect(capped.message.startsWith('order rejected\n  field:')).toBe(true);
    expect(capped.message).toContain('[cut by ai-ops to fit the incident store]');
    expect(capped.message.length).toBeLessThanOrEqual(17 * 1024);
    expect(capped.causes[0]?.message.startsWith('qty invalid')).toBe(true);
    expect(capped.causes[0]?.message.length).toBeLessThanOrEqual(17 * 1024);
  });

  it('fits any record in a job and an incident item by bytes, not characters: CJK text, hostile frame names', () => {
    const wide = (n: number) => '漢'.repeat(n);
    const frames = Array.from({ length: 200 }, (_, i) => ({
      file: `/srv/app/${wide(1000)}${i}.py`,
      function: wide(1000),
      module: wide(1000),
      line: i + 1,
      inApp: true,
    }));
    const hostile: ErrorRecord = {
      ...base,
      message: wide(16 * 1024),
      raw: wide(64 * 1024),
      frames,
      causes: Array.from({ length: 5 }, () => ({ ...base, message: wide(16 * 1024), frames })),
    };

    const capped = capSample(hostile);

    expect(Buffer.byteLength(JSON.stringify(capped))).toBeLessThanOrEqual(192 * 1024);
    // where it was raised is still there, its line and its name's head
    expect(capped.frames.at(-1)).toMatchObject({ line: 200, inApp: true });
    expect(capped.frames.at(-1)?.function?.startsWith('漢漢')).toBe(true);
    expect(capped.message.startsWith('漢')).toBe(true);
    // a record that fits keeps everything it has
    const cjk = { ...base, message: wide(5_000), raw: wide(20_000) };
    expect(capSample(cjk)).toBe(cjk);
  });

  it('leaves no half emoji where it cuts', () => {
    const capped = capSample({
      ...base,
      raw: `x${'\u{1F6D2}'.repeat(40_000)}`,
      message: `y${'\u{1F6D2}'.repeat(10_000)}`,
    });
    expect(capped.raw).toContain('[cut by ai-ops to fit the incident store]');
    expect(capped.raw.isWellFormed()).toBe(true);
    expect(capped.message.isWellFormed()).toBe(true);
  });

  it('bounds a deep cause chain', () => {
    let record = base;
    for (let i = 0; i < 50; i++) record = { ...base, causes: [record] };
    let depth = 0;
    for (let r = capSample(record); r.causes[0]; r = r.causes[0]) depth++;
    expect(depth).toBeLessThan(5);
  });

  it('is applied to the sample that is stored and queued', async () => {
    const { deps, queue } = makeDeps({
      detect: (events) =>
        fakeDetect(events).map((d) => ({ ...d, record: { ...d.record, raw: 'y'.repeat(500_000) } })),
    });
    await recordErrors({ event: payload(['ERR KeyError sku']) }, deps);
    expect(queue.jobs[0]?.error.raw.length).toBeLessThanOrEqual(70 * 1024);
  });
});

describe('recordErrors while the fix PR is open', () => {
  it('asks for a PR refresh each time the count doubles, never for a second repair', async () => {
    const { deps, store, queue } = makeDeps();
    await recordErrors({ event: payload(['ERR KeyError sku'], { prefix: 'p0' }) }, deps);
    const key = queue.jobs[0]?.incidentKey ?? '';
    await store.transition({ incidentKey: key, from: 'queued', to: 'analyzing' });
    await store.transition({ incidentKey: key, from: 'analyzing', to: 'pr_open', set: { prNumber: 7 } });
    for (let i = 1; i <= 20; i++) {
      await recordErrors({ event: payload(['ERR KeyError sku'], { prefix: `p${i}` }) }, deps);
    }
    expect((await store.get(key))?.count).toBe(21);
    expect(queue.jobs.filter((j) => j.kind === 'repair')).toHaveLength(1);
    // 1→2, 2→4, 4→8, 8→16: four doublings in 21 occurrences.
    expect(queue.jobs.filter((j) => j.kind === 'recurrence')).toHaveLength(4);
  });

  it.each([
    ['snoozed', { snoozedUntil: NOW + 1 }],
    ['ignored', { ignored: true }],
  ] as const)('asks for no refresh once the incident is %s on its page', async (_, flags) => {
    const { deps, store, queue } = makeDeps();
    await recordErrors({ event: payload(['ERR KeyError sku'], { prefix: 'p0' }) }, deps);
    const key = queue.jobs[0]?.incidentKey ?? '';
    await store.transition({ incidentKey: key, from: 'queued', to: 'analyzing' });
    await store.transition({
      incidentKey: key,
      from: 'analyzing',
      to: 'pr_open',
      set: { prNumber: 7, ...flags },
    });
    for (let i = 1; i <= 3; i++) {
      await recordErrors({ event: payload(['ERR KeyError sku'], { prefix: `p${i}` }) }, deps);
    }
    expect((await store.get(key))?.count).toBe(4);
    expect(queue.jobs.map((j) => j.kind)).toEqual(['repair']);
  });
});

describe('one job per incident (the conditional new → queued)', () => {
  it('queues once when concurrent deliveries of other batches all find the incident new', async () => {
    const { deps, queue, store } = makeDeps();
    const slowStore: IncidentStore = {
      // every delivery records before any of them queues: the old code sent one job per delivery
      recordOccurrence: async (input) => {
        const result = await store.recordOccurrence(input);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return result;
      },
      transition: (input) => store.transition(input),
      get: (key) => store.get(key),
    };
    await Promise.all(
      ['a', 'b', 'c', 'd'].map((prefix) =>
        recordErrors({ event: payload(['ERR KeyError sku'], { prefix }) }, { ...deps, store: slowStore }),
      ),
    );

    expect(queue.jobs).toHaveLength(1);
    expect(await store.get('acme/shop#KeyError-sku-')).toMatchObject({
      status: 'queued',
      count: 4,
      lease: { owner: 'sqs', until: NOW + DEFAULT_QUEUE_LEASE_MS },
    });
  });

  it('does not queue again on a redelivery while queued, and hands a refused job back as new', async () => {
    const { deps, queue, store } = makeDeps();
    queue.refuse.add('acme/shop#KeyError-sku-');
    await expect(
      recordErrors({ event: payload(['ERR KeyError sku'], { prefix: 'a' }) }, deps),
    ).rejects.toThrow(EnqueueFailedError);
    expect((await store.get('acme/shop#KeyError-sku-'))?.status).toBe('new');
    expect((await store.get('acme/shop#KeyError-sku-'))?.lease).toBeUndefined();

    queue.refuse.clear();
    await recordErrors({ event: payload(['ERR KeyError sku'], { prefix: 'a' }) }, deps);
    await recordErrors({ event: payload(['ERR KeyError sku'], { prefix: 'b' }) }, deps);
    await recordErrors({ event: payload(['ERR KeyError sku'], { prefix: 'b' }) }, deps);

    expect(queue.jobs.filter((j) => j.kind === 'repair')).toHaveLength(1);
    expect((await store.get('acme/shop#KeyError-sku-'))?.status).toBe('queued');
  });

  it('refreshes an open PR only when the count doubles, and never while snoozed', async () => {
    const { deps, queue, store } = makeDeps();
    await recordErrors({ event: payload(['ERR KeyError sku'], { prefix: 'p0' }) }, deps);
    const key = 'acme/shop#KeyError-sku-';
    await store.transition({ incidentKey: key, from: 'queued', to: 'analyzing' });
    await store.transition({ incidentKey: key, from: 'analyzing', to: 'pr_open' });
    for (let i = 1; i <= 1000; i++)
      await recordErrors({ event: payload(['ERR KeyError sku'], { prefix: `p${i}` }) }, deps);
    // 2, 4, 8, …, 512 (1001 occurrences)
    expect(queue.jobs.filter((j) => j.kind === 'recurrence')).toHaveLength(9);

    await store.inner.setFlags({ incidentKey: key, flags: { snoozedUntil: NOW + 60_000 } });
    for (let i = 1001; i <= 1100; i++)
      await recordErrors({ event: payload(['ERR KeyError sku'], { prefix: `p${i}` }) }, deps);
    expect(queue.jobs.filter((j) => j.kind === 'recurrence')).toHaveLength(9);
  });
});

describe('recordErrors: what a timed-out invocation logged last', () => {
  const id = (n: number) => `8b2c0ff1-5c1e-4a3e-9d0e-1f2a3b4c5d${String(n).padStart(2, '0')}`;
  /** Lambda's two lines for a timeout of invocation `n`. */
  const timeout = (n: number) => [
    `2024-05-01T12:00:03.015Z ${id(n)} Task timed out after 3.00 seconds\n\n`,
    `REPORT RequestId: ${id(n)}\tDuration: 3003.12 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 84 MB\tStatus: timeout\n`,
  ];
  /** A source whose backward reads answer the invocation's lines, counted. */
  function backwards(answer: (request: LogContextRequest & { spanMs: number }) => Promise<LogEvent[]>) {
    const reads: (LogContextRequest & { spanMs: number })[] = [];
    const logContext: LogContextSource = {
      fetchAround: async () => [],
      fetchBefore: async (request) => {
        reads.push(request);
        return answer(request);
      },
    };
    return { logContext, reads };
  }
  const invocationLines = async ({ timestamp }: LogContextRequest): Promise<LogEvent[]> =>
    ['START RequestId: x Version: $LATEST', 'calling the payments API', 'still waiting for payments'].map(
      (message, i) => ({
        id: `c${i}`,
        timestamp: timestamp - 3000 + i,
        message,
        logGroup: LOG_GROUP,
        logStream: STREAM,
      }),
    );

  it("puts the invocation's last lines on the incident's sample, one read per incident", async () => {
    const { logContext, reads } = backwards(invocationLines);
    const { deps, store, queue } = makeDeps({
      detect: detectErrors,
      fingerprint: fingerprintError,
      logContext,
    });

    const outcome = recorded(await recordErrors({ event: payload([...timeout(1), ...timeout(2)]) }, deps));

    expect(outcome.incidents).toHaveLength(1);
    expect(outcome.incidents[0]?.count).toBe(2);
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatchObject({ logGroup: LOG_GROUP, logStream: STREAM, spanMs: 3000 });
    expect(store.occurrences[0]?.sample.lastLines).toEqual([
      'calling the payments API',
      'still waiting for payments',
    ]);
    expect(queue.jobs[0]?.error.lastLines).toEqual([
      'calling the payments API',
      'still waiting for payments',
    ]);
    expect(outcome.context.fetched).toBe(1);
  });

  it('reads nothing for an incident already recorded: its sample is kept from the first', async () => {
    const { logContext, reads } = backwards(invocationLines);
    const { deps, store } = makeDeps({ detect: detectErrors, fingerprint: fingerprintError, logContext });

    // A storm of timeouts: each execution environment's stream is a delivery of its own.
    const keys = new Set<string>();
    for (let n = 1; n <= 5; n++) {
      const outcome = recorded(await recordErrors({ event: payload(timeout(n), { prefix: `s${n}` }) }, deps));
      for (const { incidentKey } of outcome.incidents) keys.add(incidentKey);
    }

    expect(reads).toHaveLength(1);
    expect(keys.size).toBe(1);
    const incident = await store.get([...keys][0] as string);
    expect(incident?.count).toBe(5);
    expect(incident?.sample.lastLines).toEqual(['calling the payments API', 'still waiting for payments']);

    // A store that cannot say whether the incident exists does not cost the lines.
    store.get = async () => {
      throw new Error('ProvisionedThroughputExceededException');
    };
    await recordErrors({ event: payload(timeout(6), { prefix: 's6' }) }, deps);
    expect(reads).toHaveLength(2);
  });

  it('reads for three incidents of a delivery at most', async () => {
    const { logContext, reads } = backwards(invocationLines);
    const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
    const { deps } = makeDeps({
      // five timeouts that fingerprint apart (as five functions' would)
      detect: (events) =>
        detectErrors(events).map((d, i) => ({
          ...d,
          record: { ...d.record, message: `${d.record.message} ${words[i]}` },
        })),
      fingerprint: fingerprintError,
      logContext,
    });

    const outcome = recorded(
      await recordErrors({ event: payload(words.map((_, n) => timeout(n)[0] ?? '')) }, deps),
    );

    expect(outcome.incidents).toHaveLength(5);
    expect(reads).toHaveLength(3);
  });

  it('keeps the record as it was when the read fails, and reports the failure', async () => {
    const { logContext } = backwards(async () => {
      throw new Error('ThrottlingException: Rate exceeded');
    });
    const { deps, store } = makeDeps({ detect: detectErrors, fingerprint: fingerprintError, logContext });

    const outcome = recorded(await recordErrors({ event: payload(timeout(1)) }, deps));

    expect(outcome.incidents).toHaveLength(1);
    expect(store.occurrences[0]?.sample.lastLines).toBeUndefined();
    expect(outcome.context.failures).toEqual([
      expect.objectContaining({
        logStream: STREAM,
        message: 'Error: ThrottlingException: Rate exceeded',
        lastLines: true,
      }),
    ]);
  });

  it('reads nothing for other errors, nor from a source that cannot read backwards', async () => {
    const { logContext, reads } = backwards(invocationLines);
    const { deps } = makeDeps({ detect: detectErrors, fingerprint: fingerprintError, logContext });
    await recordErrors({ event: payload(['ValueError: bad input']) }, deps);
    expect(reads).toHaveLength(0);

    const { deps: forward, store } = makeDeps({ detect: detectErrors, fingerprint: fingerprintError });
    recorded(await recordErrors({ event: payload(timeout(1)) }, forward));
    expect(store.occurrences[0]?.sample.lastLines).toBeUndefined();
  });
});

/** A Node invocation's crash, as the runtime and Lambda log it: the error, then the exit. */
const CRASH_ID = '5a3e7b1c-2f4d-4c8e-9b6a-1d2e3f4a5b6c';
const CRASH_ERROR = `2026-12-06T03:50:38.895Z\t${CRASH_ID}\tERROR\tUnhandled Promise Rejection \t${JSON.stringify(
  {
    errorType: 'Runtime.UnhandledPromiseRejection',
    errorMessage: "TypeError: Cannot read properties of undefined (reading 'email')",
    reason: {
      errorType: 'TypeError',
      errorMessage: "Cannot read properties of undefined (reading 'email')",
      stack: [
        "TypeError: Cannot read properties of undefined (reading 'email')",
        '    at sendReceipt (/var/task/notify.js:3:40)',
        '    at Object.handler (/var/task/checkout.js:4:3)',
      ],
    },
  },
)}\n`;
// what the default filter delivers of the exit: the END holds none of its words
const CRASH_EXIT = [
  `RequestId: ${CRASH_ID} Error: Runtime exited with error: exit status 128\nRuntime.ExitError\n`,
  `REPORT RequestId: ${CRASH_ID}\tDuration: 41.07 ms\tBilled Duration: 42 ms\tMemory Size: 128 MB\tMax Memory Used: 61 MB\tStatus: error\tError Type: Runtime.ExitError\n`,
];

describe('recordErrors: a runtime that died of an error it did not catch', () => {
  it('opens one incident and queues one repair for the error and the exit Lambda reported after it', async () => {
    const crash = [CRASH_ERROR, ...CRASH_EXIT];
    const { deps, store, queue } = makeDeps({ detect: detectErrors, fingerprint: fingerprintError });

    const outcome = recorded(await recordErrors({ event: payload(crash) }, deps));

    expect(outcome.incidents).toHaveLength(1);
    expect(outcome.incidents[0]?.count).toBe(1);
    expect(queue.jobs).toHaveLength(1);
    expect(queue.jobs[0]?.error.exceptionType).toBe('TypeError');
    expect(queue.jobs[0]?.error.eventIds).toHaveLength(2);
    expect(store.occurrences).toHaveLength(1);

    // Subscription delivery is at least once: the same payload again counts nothing.
    const again = recorded(await recordErrors({ event: payload(crash) }, deps));
    expect(again.incidents).toEqual([expect.objectContaining({ result: 'duplicate', totalCount: 1 })]);
    expect(queue.jobs).toHaveLength(1);
  });
});

/**
 * A log context that reads `stream` back as GetLogEvents does behind an event: the span before it,
 * the end exclusive, ids of its own; or fails as a throttled read does. Records each read.
 */
function backwards(stream: LogEvent[], fail = false) {
  const reads: (LogContextRequest & { spanMs: number })[] = [];
  const logContext: LogContextSource = {
    fetchAround: async () => [],
    fetchBefore: async (request) => {
      reads.push(request);
      if (fail) throw new Error('ThrottlingException: Rate exceeded');
      return stream
        .filter((e) => e.timestamp < request.timestamp && e.timestamp >= request.timestamp - request.spanMs)
        .map((e, i) => ({ ...e, id: `ctx-before-${request.timestamp}-${i}` }));
    },
  };
  return { logContext, reads };
}

describe('recordErrors: a crash whose error and exit came in two deliveries', () => {
  const START = 1_714_564_800_000;
  const events = (messages: string[], at: number, prefix: string) =>
    makeLogEvents(messages, { prefix }).map(
      (e, i): LogEvent => ({ ...e, timestamp: at + i, logGroup: LOG_GROUP, logStream: STREAM }),
    );
  const delivery = (list: LogEvent[]) => makeDataPayload(list, { logGroup: LOG_GROUP, logStream: STREAM });

  it("leaves the exit out when the stream holds the error it died of: the error's delivery records the crash", async () => {
    const first = events([CRASH_ERROR], START, 'a');
    const second = events(CRASH_EXIT, START + 120, 'b');
    const { logContext, reads } = backwards([...first, ...second]);
    const { deps, queue } = makeDeps({ detect: detectErrors, fingerprint: fingerprintError, logContext });

    recorded(await recordErrors({ event: delivery(first) }, deps));
    const outcome = recorded(await recordErrors({ event: delivery(second) }, deps));

    expect(reads).toEqual([
      expect.objectContaining({ logStream: STREAM, timestamp: START + 120, spanMs: 2000 }),
    ]);
    expect(outcome.incidents).toEqual([]);
    expect(queue.jobs.map((j) => j.error.exceptionType)).toEqual(['TypeError']);
  });

  it('keeps an exit the stream explains with nothing (process.exit), and one it could not read behind', async () => {
    const bare = events(CRASH_EXIT, START + 120, 'b');
    const { logContext, reads } = backwards(events(['INFO sending receipt'], START, 'a'));
    const { deps, queue } = makeDeps({ detect: detectErrors, fingerprint: fingerprintError, logContext });
    const outcome = recorded(await recordErrors({ event: delivery(bare) }, deps));
    expect(reads).toHaveLength(1);
    expect(outcome.incidents).toHaveLength(1);
    expect(queue.jobs.map((j) => j.error.exceptionType)).toEqual(['Runtime.ExitError']);

    // the incident is known now: the next such exit is counted, with no read
    recorded(await recordErrors({ event: delivery(events(CRASH_EXIT, START + 5_000, 'c')) }, deps));
    expect(reads).toHaveLength(1);

    const failing = backwards([], true);
    const { deps: other } = makeDeps({
      detect: detectErrors,
      fingerprint: fingerprintError,
      logContext: failing.logContext,
    });
    const kept = recorded(await recordErrors({ event: delivery(bare) }, other));
    expect(kept.incidents).toHaveLength(1);
    expect(kept.context.failures).toEqual([expect.objectContaining({ exitCause: true })]);
  });

  it('reads nothing behind an exit that is not the first record of its delivery', async () => {
    const { logContext, reads } = backwards([]);
    const { deps } = makeDeps({ detect: detectErrors, fingerprint: fingerprintError, logContext });
    // another invocation's error first; the exit's own invocation logged nothing
    const other = CRASH_ERROR.replaceAll(CRASH_ID, '0b9d6a2e-7c41-4f3a-8e5d-2c6b1a9f0e37');
    const outcome = recorded(
      await recordErrors({ event: delivery(events([other, ...CRASH_EXIT], START, 'a')) }, deps),
    );
    expect(reads).toHaveLength(0);
    expect(outcome.incidents).toHaveLength(2);
  });
});

describe("recordErrors: a handler's print in one delivery, the runtime's report of it in the next", () => {
  const START = 1_714_564_800_000;
  const LAMBDA_STREAM = '2026/12/07/[$LATEST]3c1f9e0a7b2d4c6e8f0a1b2c3d4e5f60';
  /** The captured prints, each an event in `stream` at the same millisecond (as captured). */
  const prints = (capture: string, logStream = LAMBDA_STREAM) =>
    capturedMessages(`${capture}.events.jsonl`).map(
      (message, i): LogEvent => ({ id: `p${i}`, timestamp: START, message, logGroup: LOG_GROUP, logStream }),
    );
  const delivery = (list: LogEvent[]) =>
    makeDataPayload(list, { logGroup: LOG_GROUP, logStream: list[0]?.logStream ?? LAMBDA_STREAM });
  const split = async (capture: string, logStream?: string) => {
    const [print, report] = prints(capture, logStream) as [LogEvent, LogEvent];
    const { logContext, reads } = backwards([print, report]);
    const { deps, queue } = makeDeps({ detect: detectErrors, fingerprint: fingerprintError, logContext });
    const first = recorded(await recordErrors({ event: delivery([print]) }, deps));
    const second = recorded(await recordErrors({ event: delivery([report]) }, deps));
    return { first, second, reads, queue };
  };

  // The report alone would open an incident of its own (it names no cause, or another error), so
  // it is left out; where it reads as the print does (Node's JSON format prints no `[cause]`), it
  // is that incident's and is counted there, with no read.
  it.each([
    ['python/py311-awslambdaric-text-logged-then-raised-from', 'KeyError', 'left out'],
    ['python/py311-awslambdaric-json-logged-then-raised-from', 'KeyError', 'left out'],
    [
      'python/py311-awslambdaric-text-logged-then-unhandled-chained',
      'orders.pricing.PricingError',
      'left out',
    ],
    ['javascript/node20-lambda-ric-text-console-error-then-invoke-error-wrapping', 'TypeError', 'left out'],
    ['javascript/node20-lambda-ric-text-console-error-then-invoke-error-with-cause', 'Error', 'left out'],
    ['javascript/node20-lambda-ric-json-console-error-then-invoke-error-with-cause', 'Error', 'counted'],
  ] as const)('%s: one incident, one repair', async (capture, type, report) => {
    const { first, second, reads, queue } = await split(capture);
    expect(first.incidents).toHaveLength(1);
    expect(queue.jobs.map((j) => j.error.exceptionType)).toEqual([type]);
    if (report === 'counted') {
      expect(reads).toHaveLength(1);
      expect(second.incidents).toEqual([
        expect.objectContaining({ incidentKey: first.incidents[0]?.incidentKey, totalCount: 2 }),
      ]);
      return;
    }
    // each delivery's first record is of an incident not yet recorded: each looks behind once
    expect(reads).toEqual([
      expect.objectContaining({ timestamp: START + 1 }),
      expect.objectContaining({ logStream: LAMBDA_STREAM, timestamp: START + 1, spanMs: 2000 }),
    ]);
    expect(second.incidents).toEqual([]);
  });

  it('keeps a report with no print behind it, reads nothing for a known incident or another stream, and keeps a report it could not read behind', async () => {
    const [, report] = prints('python/py311-awslambdaric-text-logged-then-raised-from') as [
      LogEvent,
      LogEvent,
    ];
    const { logContext, reads } = backwards([report]);
    const { deps, queue } = makeDeps({ detect: detectErrors, fingerprint: fingerprintError, logContext });
    expect(recorded(await recordErrors({ event: delivery([report]) }, deps)).incidents).toHaveLength(1);
    expect(reads).toHaveLength(1);
    expect(queue.jobs.map((j) => j.error.exceptionType)).toEqual(['PricingError']);
    // the incident is known now: the next report is counted, with no read
    const next = { ...report, id: 'later', timestamp: START + 60_000 };
    recorded(await recordErrors({ event: delivery([next]) }, deps));
    expect(reads).toHaveLength(1);

    // not a Lambda log stream: no runtime's report to look behind for
    const elsewhere = split('python/py311-awslambdaric-text-logged-then-raised-from', 'orders-1');
    expect((await elsewhere).reads).toEqual([]);
    expect((await elsewhere).second.incidents).toHaveLength(1);

    const failing = backwards([], true);
    const { deps: other } = makeDeps({
      detect: detectErrors,
      fingerprint: fingerprintError,
      logContext: failing.logContext,
    });
    const kept = recorded(await recordErrors({ event: delivery([report]) }, other));
    expect(kept.incidents).toHaveLength(1);
    expect(kept.context.failures).toEqual([expect.objectContaining({ earlierPrint: true })]);
  });
});

describe('recordErrors: a Python handler that logs an error and raises it again', () => {
  const fixture = (how: string, capture = 'py311-awslambdaric-text-dynamodb-access-denied-') =>
    capturedMessages(`python/${capture}${how}.events.jsonl`);

  it('opens one incident for the logged traceback and the runtime report of the same error', async () => {
    // `logger.exception(…)` prints `botocore.exceptions.ClientError: …`; the runtime's report of
    // the raise that follows, `[ERROR] ClientError: …`
    const invocation = [...fixture('logger-exception'), ...fixture('unhandled')];
    const { deps, queue } = makeDeps({ detect: detectErrors, fingerprint: fingerprintError });

    const outcome = recorded(await recordErrors({ event: payload(invocation) }, deps));

    expect(outcome.errorsSeen).toBe(2);
    expect(outcome.incidents).toHaveLength(1);
    expect(outcome.incidents[0]?.count).toBe(2);
    expect(queue.jobs).toHaveLength(1);
  });

  it('counts one occurrence, with the chain the logger printed, when both prints are of one invocation', async () => {
    // `logger.exception` printed the KeyError → PricingError chain; the runtime's report, the
    // PricingError alone (see test/unit/detect/fold-reprints.test.ts)
    const invocation = fixture('logged-then-unhandled-chained', 'py311-awslambdaric-text-');
    const { deps, queue } = makeDeps({ detect: detectErrors, fingerprint: fingerprintError });

    const outcome = recorded(await recordErrors({ event: payload(invocation) }, deps));

    expect(outcome.errorsSeen).toBe(1);
    expect(outcome.incidents.map((i) => i.count)).toEqual([1]);
    expect(queue.jobs).toHaveLength(1);
    expect(queue.jobs[0]?.error.causes.map((c) => c.exceptionType)).toEqual(['KeyError']);
    expect(queue.jobs[0]?.error.eventIds).toHaveLength(2);
  });
});

describe("recordErrors: an exit the program explained in its own words (Go's log.Fatalf)", () => {
  // test/fixtures/apps/go-log-fatal-shop built with Go 1.19 and run: its two lines as captured,
  // between the Lambda platform's lines for an invocation whose runtime exited 1 (their shape as
  // documented-text-runtime-exit's). log.Fatalf writes no error word: the default filter delivers
  // the platform's lines alone, and no error explains the exit.
  const START = 1_714_564_800_000;
  const stream = capturedMessages('lambda/go119-log-fatalf-then-runtime-exit.events.jsonl').map(
    (message, i): LogEvent => ({
      id: `s${i}`,
      timestamp: START + i,
      message,
      logGroup: LOG_GROUP,
      logStream: STREAM,
    }),
  );
  const delivered = stream.filter((e) => passesDefaultFilter(e.message));

  it('keeps the exit, with the lines the invocation logged last: they say why it exited', async () => {
    expect(delivered.map((e) => e.message.split(' ')[0])).toEqual(['RequestId:', 'REPORT']);
    const { logContext, reads } = backwards(stream);
    const { deps, queue } = makeDeps({ detect: detectErrors, fingerprint: fingerprintError, logContext });
    const outcome = recorded(
      await recordErrors(
        { event: makeDataPayload(delivered, { logGroup: LOG_GROUP, logStream: STREAM }) },
        deps,
      ),
    );
    expect(reads).toHaveLength(1);
    expect(outcome.incidents).toHaveLength(1);
    expect(queue.jobs[0]?.error).toMatchObject({
      exceptionType: 'Runtime.ExitError',
      lastLines: [
        '2026/12/07 21:44:31 pricing order 7',
        '2026/12/07 21:44:31 failed to price order 7: quantity "2x": strconv.Atoi: parsing "2x": invalid syntax',
      ],
    });
  });

  it('an exit with nothing logged before it in its invocation has no last lines', async () => {
    const silent = stream.filter((e) => !e.message.startsWith('2026/'));
    const { logContext } = backwards(silent);
    const { deps, queue } = makeDeps({ detect: detectErrors, fingerprint: fingerprintError, logContext });
    recorded(
      await recordErrors(
        { event: makeDataPayload(delivered, { logGroup: LOG_GROUP, logStream: STREAM }) },
        deps,
      ),
    );
    expect(queue.jobs[0]?.error.exceptionType).toBe('Runtime.ExitError');
    expect(queue.jobs[0]?.error.lastLines).toBeUndefined();
  });
});
