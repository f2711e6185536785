import { describe, expect, it } from 'vitest';
import {
  GitAuthError,
  GitPushRejectedError,
  GitTransientError,
} from '../../functions/adapters/git/git-errors.ts';
import { MemoryIncidentStore } from '../../functions/adapters/memory-incident-store.ts';
import { MemoryRepairBudget } from '../../functions/adapters/memory-repair-budget.ts';
import {
  isRetryableAnalyzerError,
  makeHandler,
  repairsStoppedEmf,
} from '../../functions/analyzer/handler.ts';
import type {
  ErrorRecord,
  FixProposal,
  Incident,
  RepairJob,
  RepoRef,
} from '../../functions/core/contracts.ts';
import { decideOccurrence } from '../../functions/core/detect/record-errors.ts';
import { recordDismissal } from '../../functions/core/follow-up/record-merge.ts';
import {
  buildIncidentKey,
  computeTtl,
  DEFAULT_REGRESSION_GRACE_MS,
  decideRecurrence,
} from '../../functions/core/incident/incident-rules.ts';
import {
  type AdviceNoProposal,
  type AdviceProposal,
  type AdviceRequest,
  type AdviceResult,
  type FixAdvisor,
  ModelUnavailableError,
} from '../../functions/core/ports/fix-advisor.ts';
import type { IncidentStore } from '../../functions/core/ports/incident-store.ts';
import type { Mailer, OutgoingEmail } from '../../functions/core/ports/mailer.ts';
import {
  GitHubAuthError,
  GitHubRateLimitError,
  type OpenPullRequestRequest,
  type PullRequest,
  type PullRequests,
} from '../../functions/core/ports/pull-requests.ts';
import type { GitIdentity, ModelUsage, RepoWorkspace } from '../../functions/core/ports/repo-workspace.ts';
import { DEFAULT_EDIT_POLICY } from '../../functions/core/repair/edit-policy.ts';
import { MAX_FAILED_EMAILS_PER_DAY } from '../../functions/core/repair/render-email.ts';
import {
  DEFAULT_LEASE_MS,
  failureBackoffMs,
  type RepairDeps,
  type RepairOutcome,
  type RepairSettings,
  repairIncident,
  type Workspaces,
} from '../../functions/core/repair/repair-incident.ts';
import { makeFakeRepo } from '../support/fake-repo.ts';
import { sqsEvent } from '../support/sqs-events.ts';

// ── the application under repair ────────────────────────────────────────────────────────────

const REPO: RepoRef = { owner: 'acme', name: 'shop', baseBranch: 'main', pathPrefix: '' };
const FINGERPRINT = '9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const INCIDENT_KEY = buildIncidentKey({ repo: REPO, fingerprint: FINGERPRINT });
const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);
const BOT: GitIdentity = { name: 'ai-ops[bot]', email: 'ai-ops-bot@users.noreply.github.com' };

const APP_PY = [
  'def process_data(value):',
  '    return int(value)',
  '',
  '',
  'def main():',
  '    print(process_data("abc"))',
  '',
].join('\n');
const FIXED_LINE = '    return int(value) if str(value).isdigit() else 0';

function makeErrorRecord(overrides: Partial<ErrorRecord> = {}): ErrorRecord {
  return {
    language: 'python',
    exceptionType: 'ValueError',
    message: "invalid literal for int() with base 10: 'abc'",
    frames: [
      { file: '/app/app.py', line: 6, function: 'main', inApp: true },
      { file: '/app/app.py', line: 2, function: 'process_data', inApp: true },
    ],
    causes: [],
    raw: [
      'Traceback (most recent call last):',
      '  File "/app/app.py", line 6, in main',
      '  File "/app/app.py", line 2, in process_data',
      "ValueError: invalid literal for int() with base 10: 'abc'",
    ].join('\n'),
    logGroup: '/ecs/shop',
    logStream: 'web/1',
    timestamp: T0,
    eventIds: ['1'],
    ...overrides,
  };
}

function makeJob(overrides: Partial<RepairJob> = {}): RepairJob {
  return {
    v: 1,
    kind: 'repair',
    incidentKey: INCIDENT_KEY,
    error: makeErrorRecord(),
    repo: REPO,
    attempt: 0,
    ...overrides,
  };
}

function makeProposal(overrides: Partial<FixProposal> = {}): FixProposal {
  return {
    title: 'Return 0 for non-numeric input in process_data',
    rootCause: 'process_data calls int() on text that is not a number.',
    explanation: 'Check the value before converting it.',
    confidence: 'medium',
    edits: [{ path: 'app.py', oldText: '    return int(value)\n', newText: `${FIXED_LINE}\n` }],
    ...overrides,
  };
}

function makeUsage(overrides: Partial<ModelUsage> = {}): ModelUsage {
  return {
    inputTokens: 1000,
    outputTokens: 200,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    costUsd: 0.05,
    turns: 2,
    ...overrides,
  };
}

// ── crashes: a fake does its work, then the process "dies" ──────────────────────────────────

type CrashPoint = 'clone' | 'commit' | 'push' | 'open' | 'send';

class CrashError extends Error {
  override readonly name = 'CrashError';
}

/** Models a killed Lambda: after the armed step everything (the store too) fails until restart. */
class Crash {
  armed: CrashPoint | undefined;
  dead = false;

  after(point: CrashPoint): void {
    if (this.armed !== point) return;
    this.armed = undefined;
    this.dead = true;
    throw new CrashError(`crashed after ${point}`);
  }

  check(): void {
    if (this.dead) throw new CrashError('the process is gone');
  }
}

/** A step that fails once with `error` before doing its work (an outage, a refusal). */
type Faults = Partial<Record<CrashPoint | 'advise' | 'remoteBranchHead', unknown[]>>;

function takeFault(faults: Faults, point: keyof Faults): void {
  const error = faults[point]?.shift();
  if (error !== undefined) throw error;
}

// ── fakes typed against the ports ───────────────────────────────────────────────────────────

/** The store, dying with the process. */
function makeCrashableStore(inner: MemoryIncidentStore, crash: Crash): IncidentStore {
  return {
    async recordOccurrence(input) {
      crash.check();
      return inner.recordOccurrence(input);
    },
    async transition(input) {
      crash.check();
      return inner.transition(input);
    },
    async get(key) {
      crash.check();
      return inner.get(key);
    },
  };
}

interface RemoteBranch {
  commit: string;
  files: Map<string, string>;
}

/** A git remote in memory: branches, every push, and the workspaces cloned from it. */
class FakeRemote implements Workspaces {
  readonly branches = new Map<string, RemoteBranch>();
  readonly pushes: Array<{
    branch: string;
    commit: string;
    parent: string;
    author: GitIdentity;
    message: string;
  }> = [];
  clones = 0;
  #commits = 0;

  constructor(
    private readonly crash: Crash,
    private readonly faults: Faults,
  ) {
    this.branches.set('main', { commit: 'c0', files: new Map([['app.py', APP_PY]]) });
  }

  async remoteBranchHead({ branch }: { repo: RepoRef; branch: string }): Promise<string | undefined> {
    this.crash.check();
    takeFault(this.faults, 'remoteBranchHead');
    return this.branches.get(branch)?.commit;
  }

  async clone({ branch }: { repo: RepoRef; branch: string }): Promise<RepoWorkspace> {
    this.crash.check();
    takeFault(this.faults, 'clone');
    const base = this.branches.get(branch);
    if (!base) throw new Error(`no branch ${branch}`);
    this.clones++;
    const files = new Map(base.files);
    const reader = () => makeFakeRepo(Object.fromEntries(files));
    let local: { branch: string; commit: string; message: string; author: GitIdentity } | undefined;
    const remote = this;
    const workspace: RepoWorkspace = {
      headCommit: base.commit,
      branch,
      listFiles: () => reader().listFiles(),
      readFile: (path) => reader().readFile(path),
      async writeFile(path, content) {
        files.set(path, new TextDecoder().decode(content));
      },
      async commit({ branch: target, message, author }) {
        remote.crash.check();
        takeFault(remote.faults, 'commit');
        local = { branch: target, commit: `c${++remote.#commits}`, message, author };
        remote.crash.after('commit');
        return local.commit;
      },
      async push({ branch: target }) {
        remote.crash.check();
        takeFault(remote.faults, 'push');
        if (!local || local.branch !== target) throw new Error(`nothing committed on ${target}`);
        const there = remote.branches.get(target);
        if (there && there.commit !== local.commit)
          throw new GitPushRejectedError(`not-fast-forward: ${target} is at ${there.commit}`);
        remote.branches.set(target, { commit: local.commit, files: new Map(files) });
        remote.pushes.push({ ...local, parent: base.commit });
        remote.crash.after('push');
      },
    };
    this.crash.after('clone');
    return workspace;
  }
}

class FakePullRequests implements PullRequests {
  readonly prs: PullRequest[] = [];
  readonly requests: OpenPullRequestRequest[] = [];

  constructor(
    private readonly crash: Crash,
    private readonly faults: Faults,
  ) {}

  async findOpen({ branch }: { branch: string }): Promise<PullRequest | undefined> {
    this.crash.check();
    return this.prs.find((pr) => pr.headBranch === branch && pr.state === 'open');
  }

  async open(request: OpenPullRequestRequest) {
    this.crash.check();
    takeFault(this.faults, 'open');
    const found = this.prs.find((pr) => pr.headBranch === request.head && pr.state === 'open');
    if (found) return { kind: 'existing' as const, pr: found };
    this.requests.push(request);
    const number = this.prs.length + 1;
    const pr: PullRequest = {
      number,
      url: `https://github.example/acme/shop/pull/${number}`,
      nodeId: `PR_${number}`,
      title: request.title,
      body: request.body,
      headBranch: request.head,
      headSha: 'sha',
      baseBranch: request.base,
      draft: request.draft ?? true,
      state: 'open',
      merged: false,
      labels: request.labels ?? [],
    };
    this.prs.push(pr);
    this.crash.after('open');
    return { kind: 'opened' as const, pr };
  }

  async get({ number }: { number: number }) {
    return this.prs.find((pr) => pr.number === number);
  }
  async updateBody(): Promise<PullRequest> {
    throw new Error('not used by the repair');
  }
  async addLabels(): Promise<void> {}
  async comment() {
    return { id: 1, url: 'https://github.example/comment/1' };
  }
}

class FakeMailer implements Mailer {
  readonly sent: OutgoingEmail[] = [];
  constructor(
    private readonly crash: Crash,
    private readonly faults: Faults,
  ) {}
  async send(email: OutgoingEmail) {
    this.crash.check();
    takeFault(this.faults, 'send');
    this.sent.push(email);
    this.crash.after('send');
    return { messageId: `m${this.sent.length}` };
  }
}

/** One scripted conversation step: a proposal (and what a rejection leads to) or none. */
type Script =
  | { kind: 'proposal'; proposal: FixProposal; onReject?: Script; costUsd?: number }
  | { kind: 'no_proposal'; reason: AdviceNoProposal['reason']; analysis: string; costUsd?: number };

class FakeAdvisor implements FixAdvisor {
  calls = 0;
  readonly requests: AdviceRequest[] = [];
  readonly rejections: string[] = [];
  /** awaited inside advise(), to interleave a second delivery with a running one */
  gate: (() => Promise<void>) | undefined;

  constructor(
    private readonly crash: Crash,
    private readonly faults: Faults,
    public script: Script = { kind: 'proposal', proposal: makeProposal() },
  ) {}

  async advise(request: AdviceRequest): Promise<AdviceResult> {
    this.crash.check();
    this.calls++;
    this.requests.push(request);
    takeFault(this.faults, 'advise');
    await this.gate?.();
    return this.#play(this.script, 0);
  }

  #play(step: Script, spent: number): AdviceResult {
    const usage = makeUsage({ costUsd: spent + (step.costUsd ?? 0.05) });
    if (step.kind === 'no_proposal')
      return {
        kind: 'no_proposal',
        reason: step.reason,
        detail: `ended: ${step.reason}`,
        analysis: step.analysis,
        usage,
      };
    const result: AdviceProposal = {
      kind: 'proposal',
      proposal: step.proposal,
      source: 'submit_fix',
      analysis: 'The value is not validated before int().',
      usage,
      reject: async (reason) => {
        this.rejections.push(reason);
        return step.onReject
          ? this.#play(step.onReject, usage.costUsd)
          : { kind: 'no_proposal', reason: 'rejected', detail: 'retry spent', analysis: '', usage };
      },
    };
    return result;
  }
}

// ── the world: one incident, the fakes, and the deps wired to them ──────────────────────────

interface World {
  memory: MemoryIncidentStore;
  store: IncidentStore;
  crash: Crash;
  faults: Faults;
  remote: FakeRemote;
  prs: FakePullRequests;
  mailer: FakeMailer;
  advisor: FakeAdvisor;
  budget: MemoryRepairBudget;
  clock: { now: number };
  deps: RepairDeps;
  run(job?: RepairJob): Promise<RepairOutcome>;
  incident(): Promise<Incident>;
  /** the branch pushes of the fix (main is never pushed) */
  fixPushes(): FakeRemote['pushes'];
}

async function makeWorld({
  settings = {},
  script,
  deps = {},
}: {
  settings?: Partial<RepairSettings>;
  script?: Script;
  deps?: Partial<RepairDeps>;
} = {}): Promise<World> {
  const crash = new Crash();
  const faults: Faults = {};
  const memory = new MemoryIncidentStore();
  const store = makeCrashableStore(memory, crash);
  const remote = new FakeRemote(crash, faults);
  const prs = new FakePullRequests(crash, faults);
  const mailer = new FakeMailer(crash, faults);
  const advisor = new FakeAdvisor(crash, faults, script);
  const budget = new MemoryRepairBudget();
  const clock = { now: T0 };
  await seedIncident(memory);
  const full: RepairDeps = {
    store,
    budget,
    advisor,
    workspaces: remote,
    pullRequests: prs,
    mailer,
    now: () => clock.now,
    settings: {
      repairsEnabled: true,
      dailyRepairCap: 5,
      model: 'claude-sonnet-4-6',
      bot: BOT,
      sender: 'ai-ops@acme.example',
      reviewers: ['oncall@acme.example'],
      ...settings,
    },
    ...deps,
  };
  return {
    memory,
    store,
    crash,
    faults,
    remote,
    prs,
    mailer,
    advisor,
    budget,
    clock,
    deps: full,
    run: (job = makeJob()) => repairIncident(job, full),
    incident: async () => {
      const found = await memory.get(INCIDENT_KEY);
      if (!found) throw new Error('the incident is gone');
      return found;
    },
    fixPushes: () => remote.pushes.filter((p) => p.branch !== 'main'),
  };
}

/** What the detector leaves behind: the incident recorded and its job queued. */
async function seedIncident(store: MemoryIncidentStore, key = INCIDENT_KEY, fingerprint = FINGERPRINT) {
  await store.recordOccurrence({
    incidentKey: key,
    repo: REPO,
    fingerprint,
    count: 3,
    firstSeen: T0 - 60_000,
    lastSeen: T0,
    sample: makeErrorRecord(),
    ttl: computeTtl({ nowMs: T0, ttlDays: 30 }),
    batchId: 'b1',
  });
  await store.transition({ incidentKey: key, from: 'new', to: 'queued' });
}

function expectOneFix(world: World, incident: Incident) {
  expect(world.fixPushes()).toHaveLength(1);
  expect(world.prs.prs).toHaveLength(1);
  expect(world.mailer.sent).toHaveLength(1);
  expect(incident).toMatchObject({
    status: 'pr_open',
    prUrl: 'https://github.example/acme/shop/pull/1',
    prNumber: 1,
    branch: world.fixPushes()[0]?.branch,
  });
  expect(world.remote.branches.get(incident.branch ?? '')?.files.get('app.py')).toContain(FIXED_LINE);
}

// ── tests ───────────────────────────────────────────────────────────────────────────────────

describe('repairIncident', () => {
  it('opens one draft PR from the pushed fix branch and mails its link once', async () => {
    const world = await makeWorld();

    const outcome = await world.run();

    const incident = await world.incident();
    expect(outcome).toEqual({
      kind: 'pr_open',
      pr: { number: 1, url: 'https://github.example/acme/shop/pull/1' },
      branch: incident.branch,
      resumed: false,
    });
    expectOneFix(world, incident);
    expect(incident.branch).toMatch(/^fix\/value-error-process-data-9f8e7d6c$/);
    expect(incident.analysis).toMatchObject({
      title: 'Return 0 for non-numeric input in process_data',
      confidence: 'medium',
      changes: [{ path: 'app.py', additions: 1, deletions: 1 }],
      model: 'claude-sonnet-4-6',
    });
    expect(incident.costUsd).toBeCloseTo(0.05);
    expect(incident.emailedAt).toBe(T0);
    // the no-CI sweep times its wait from here
    expect(incident.prOpenedAt).toBe(T0);
    expect(world.advisor.calls).toBe(1);
    const [push] = world.fixPushes();
    expect(push).toMatchObject({ parent: 'c0', author: BOT });
    expect(push?.message).toMatch(/^fix\(ai\): Return 0 for non-numeric input/);
    const [request] = world.prs.requests;
    expect(request).toMatchObject({ head: incident.branch, base: 'main', draft: true, labels: ['ai-ops'] });
    const [mail] = world.mailer.sent;
    expect(mail?.to).toEqual(['oncall@acme.example']);
    expect(mail?.text).toContain('https://github.example/acme/shop/pull/1');
    // the prompt carries the trace and the code around the frames
    expect(world.advisor.requests[0]?.prompt).toContain('def process_data(value):');
  });

  describe('a crash at every step, then the redelivered job', () => {
    const cases: Array<{ point: CrashPoint; modelCalls: number; redelivered: RepairOutcome['kind'] }> = [
      // nothing was recorded before the model call: the redelivery asks once
      { point: 'clone', modelCalls: 1, redelivered: 'pr_open' },
      // the analysis was not recorded yet: the redelivery asks the model again
      { point: 'commit', modelCalls: 2, redelivered: 'pr_open' },
      // the analysis was recorded and the branch is on the remote: no second model call
      { point: 'push', modelCalls: 1, redelivered: 'pr_open' },
      { point: 'open', modelCalls: 1, redelivered: 'pr_open' },
    ];
    it.each(cases)(
      'after $point → one push, one PR, one email ($modelCalls model calls)',
      async ({ point, modelCalls, redelivered }) => {
        const world = await makeWorld();
        world.crash.armed = point;

        await expect(world.run()).rejects.toThrow(CrashError);
        world.crash.dead = false;
        // before the dead worker's lease runs out, a redelivery leaves the incident alone
        expect(await world.run()).toEqual({ kind: 'ignored', reason: 'claimed_elsewhere' });
        world.clock.now += DEFAULT_LEASE_MS + 1000; // a new Lambda picks the message up after the lease
        const second = await world.run();
        const third = await world.run(); // and a duplicate delivery of the same message

        const incident = await world.incident();
        expectOneFix(world, incident);
        expect(world.advisor.calls).toBe(modelCalls);
        expect(second.kind).toBe(redelivered);
        expect(third).toEqual({ kind: 'ignored', reason: 'already_done', status: 'pr_open' });
      },
    );
  });

  it('sends again, with the same idempotency key, an email the mailer accepted right before a crash (at least once)', async () => {
    const world = await makeWorld();
    world.crash.armed = 'send';

    await expect(world.run()).rejects.toThrow(CrashError);
    world.crash.dead = false;
    world.clock.now += DEFAULT_LEASE_MS + 1000;
    const second = await world.run();
    const third = await world.run();

    expect(second.kind).toBe('pr_open');
    expect(third).toEqual({ kind: 'ignored', reason: 'already_done', status: 'pr_open' });
    expect(world.prs.prs).toHaveLength(1);
    expect(world.advisor.calls).toBe(1);
    const keys = world.mailer.sent.map((m) => m.idempotencyKey);
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(1);
    expect(await world.incident()).toMatchObject({ emailedAt: expect.any(Number) });
    expect((await world.incident()).pendingEmail).toBeUndefined();
  });

  it('sends the email of a repair that failed for good after a crash right after the mailer accepted it (at least once, same key), and no more attempts', async () => {
    const world = await makeWorld({
      deps: { waitForRetryAfter: true, isRetryable: isRetryableAnalyzerError },
    });
    world.faults.push = [new GitPushRejectedError('pre-receive hook declined')];
    world.crash.armed = 'send';

    await expect(world.run()).rejects.toThrow(CrashError);
    expect(await world.memory.get(INCIDENT_KEY)).toMatchObject({
      status: 'failed',
      pendingEmail: { tries: 0 },
    });
    world.crash.dead = false;
    // The redelivery waits for the dead worker's lease, then only finishes the email.
    expect(await world.run()).toEqual({ kind: 'ignored', reason: 'claimed_elsewhere' });
    world.clock.now += DEFAULT_LEASE_MS + 1000;
    expect((await world.run()).kind).toBe('failed');
    expect(await world.run()).toEqual({ kind: 'ignored', reason: 'not_retryable', status: 'failed' });

    const keys = world.mailer.sent.map((m) => m.idempotencyKey);
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(1);
    expect(await world.incident()).toMatchObject({
      status: 'failed',
      attempts: 1,
      emailedAt: expect.any(Number),
    });
    expect((await world.incident()).pendingEmail).toBeUndefined();
    expect(world.remote.pushes).toHaveLength(0);
  });

  it('ignores a duplicate job for an incident whose PR is open; the detector only counts the recurrence', async () => {
    const world = await makeWorld();
    await world.run();

    const recurrence = await world.memory.recordOccurrence({
      incidentKey: INCIDENT_KEY,
      repo: REPO,
      fingerprint: FINGERPRINT,
      count: 50,
      firstSeen: T0 + 1000,
      lastSeen: T0 + 2000,
      sample: makeErrorRecord(),
      ttl: computeTtl({ nowMs: T0, ttlDays: 30 }),
      batchId: 'b2',
    });
    const duplicate = await world.run();

    expect(decideRecurrence(recurrence.incident.status, { now: T0 + 2000 })).toEqual({ kind: 'count_only' });
    expect(duplicate).toEqual({ kind: 'ignored', reason: 'already_done', status: 'pr_open' });
    expect(world.advisor.calls).toBe(1);
    expect(world.prs.prs).toHaveLength(1);
    expect(world.mailer.sent).toHaveLength(1);
    expect((await world.incident()).count).toBe(53);
  });

  it('lets exactly one of two concurrent deliveries work on the incident', async () => {
    const world = await makeWorld();

    const outcomes = await Promise.all([world.run(), world.run()]);

    expect(outcomes.map((o) => o.kind).sort()).toEqual(['ignored', 'pr_open']);
    expect(outcomes).toContainEqual({ kind: 'ignored', reason: 'claimed_elsewhere' });
    expect(world.advisor.calls).toBe(1);
    expectOneFix(world, await world.incident());
  });

  it('stops an attempt whose claim a later delivery took over, before it pushes anything', async () => {
    const world = await makeWorld();
    let release = () => {};
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    // the first attempt waits inside the model call while the second claims and finishes
    world.advisor.gate = async () => {
      world.advisor.gate = undefined;
      await blocked;
    };

    const first = world.run();
    await new Promise((resolve) => setTimeout(resolve, 10));
    // while the first holds its lease, a duplicate is turned away
    expect(await world.run()).toEqual({ kind: 'ignored', reason: 'claimed_elsewhere' });
    world.clock.now += DEFAULT_LEASE_MS + 1000; // the first stalls past its lease: it counts as dead
    const second = await world.run();
    release();

    expect(second.kind).toBe('pr_open');
    expect(await first).toEqual({ kind: 'ignored', reason: 'claimed_elsewhere' });
    expectOneFix(world, await world.incident());
    expect(world.advisor.calls).toBe(2);
  });

  it('tells the reviewers once per repository and day that the kill switch stopped repairs, not once per job', async () => {
    const world = await makeWorld({ settings: { repairsEnabled: false } });
    const others = ['a1', 'b2', 'c3'].map((suffix) => ({
      key: buildIncidentKey({ repo: REPO, fingerprint: `${FINGERPRINT}${suffix}` }),
      fingerprint: `${FINGERPRINT}${suffix}`,
    }));
    for (const other of others) await seedIncident(world.memory, other.key, other.fingerprint);

    await world.run();
    for (const other of others) await world.run(makeJob({ incidentKey: other.key }));

    expect(world.mailer.sent).toHaveLength(1);
    expect(world.mailer.sent[0]).toMatchObject({
      subject: '[ai-ops] repairs stopped for acme/shop today',
      idempotencyKey: `acme/shop#stop-notice#${new Date(T0).toISOString().slice(0, 10)}`,
    });
    expect(world.mailer.sent[0]?.text).toContain('kill switch');
    // the next day, the first stop is told again
    world.clock.now += 24 * 60 * 60 * 1000;
    await world.memory.transition({ incidentKey: INCIDENT_KEY, from: 'skipped', to: 'new' });
    await world.run();
    expect(world.mailer.sent).toHaveLength(2);
  });

  it('skips without a model call while the kill switch is off, until an hour later', async () => {
    const world = await makeWorld({ settings: { repairsEnabled: false } });

    const outcome = await world.run();

    expect(outcome).toEqual({ kind: 'skipped', reason: expect.stringContaining('kill switch') });
    const incident = await world.incident();
    expect(incident).toMatchObject({ status: 'skipped', retryAfter: T0 + 60 * 60 * 1000 });
    expect(world.advisor.calls).toBe(0);
    expect(world.remote.clones).toBe(0);
    // only the day's one notice that repairs stopped, no outcome email
    expect(world.mailer.sent.map((m) => m.subject)).toEqual(['[ai-ops] repairs stopped for acme/shop today']);
  });

  it('skips at the daily cap until the next UTC day, when a recurrence reopens it and the repair runs', async () => {
    const world = await makeWorld({ settings: { dailyRepairCap: 1 } });
    const day = new Date(T0).toISOString().slice(0, 10);
    await world.budget.reserve({ repoKey: 'acme/shop', day, incidentKey: 'acme/shop#other', cap: 1 });

    const outcome = await world.run();

    const midnight = Date.UTC(2024, 4, 2);
    expect(outcome).toEqual({ kind: 'skipped', reason: expect.stringContaining('daily cap of 1') });
    expect(await world.incident()).toMatchObject({ status: 'skipped', retryAfter: midnight });
    expect(world.advisor.calls).toBe(0);
    // the reviewers hear that repairs stopped (once a day, see below)
    expect(world.mailer.sent.map((m) => m.subject)).toEqual(['[ai-ops] repairs stopped for acme/shop today']);
    world.mailer.sent.splice(0);
    expect(decideRecurrence('skipped', { retryAfter: midnight, now: midnight - 1 })).toEqual({
      kind: 'count_only',
    });
    expect(decideRecurrence('skipped', { retryAfter: midnight, now: midnight })).toEqual({
      kind: 'enqueue',
      reopenFrom: 'skipped',
    });

    // the next day: the detector reopens it and queues the job again
    world.clock.now = midnight + 5 * 60 * 1000;
    expect(await world.memory.transition({ incidentKey: INCIDENT_KEY, from: 'skipped', to: 'new' })).toBe(
      true,
    );
    const again = await world.run();

    expect(again.kind).toBe('pr_open');
    const incident = await world.incident();
    expect(incident.retryAfter).toBeUndefined();
    expect(incident.lastError).toBeUndefined();
    expectOneFix(world, incident);
  });

  it('ends as no_fix and still mails the analysis when the model submits no fix', async () => {
    const world = await makeWorld({
      script: {
        kind: 'no_proposal',
        reason: 'no_fix_submitted',
        analysis: 'The caller passes user text; the fix belongs in the form validation.',
      },
    });

    const outcome = await world.run();

    expect(outcome).toEqual({ kind: 'no_fix', reason: expect.stringContaining('no_fix_submitted') });
    const incident = await world.incident();
    expect(incident).toMatchObject({ status: 'no_fix', costUsd: 0.05 });
    expect(incident.analysis?.notes).toContain('form validation');
    expect(world.fixPushes()).toHaveLength(0);
    expect(world.prs.prs).toHaveLength(0);
    expect(world.mailer.sent).toHaveLength(1);
    expect(world.mailer.sent[0]?.text).toContain('form validation');
  });

  describe('a trace that maps to no file of the repository (issue #9)', () => {
    it.each([
      [
        'frames in files the repository does not have',
        [{ file: '/app/billing/invoice.py', line: 7, function: 'total', inApp: true }],
        'matched no file of the repository',
      ],
      [
        "only a dependency's frames",
        [
          {
            file: '/usr/local/lib/python3.12/site-packages/requests/api.py',
            line: 73,
            function: 'get',
            inApp: false,
          },
        ],
        'dependency or runtime code',
      ],
      ['no frames at all', [], 'without a stack trace'],
    ])('ends as no_fix with %s: a clear record and email, and no model call', async (_, frames, why) => {
      const world = await makeWorld();

      const outcome = await world.run(makeJob({ error: makeErrorRecord({ frames }) }));

      expect(outcome).toEqual({ kind: 'no_fix', reason: expect.stringContaining(why) });
      expect(world.advisor.calls).toBe(0);
      const incident = await world.incident();
      expect(incident).toMatchObject({ status: 'no_fix', costUsd: 0 });
      expect(incident.lastError).toContain('no fix was attempted');
      expect(incident.lastError).toContain('no model call was made');
      expect(world.fixPushes()).toHaveLength(0);
      expect(world.mailer.sent).toHaveLength(1);
      expect(world.mailer.sent[0]?.text).toContain(why);
      // A redelivered job neither calls the model nor mails again.
      await world.run(makeJob({ error: makeErrorRecord({ frames }) }));
      expect(world.advisor.calls).toBe(0);
      expect(world.mailer.sent).toHaveLength(1);
    });

    it('places an error logged without a stack trace at the statement that logged it (found by its text), and asks the model', async () => {
      // `log.error("could not process the value %s: %s", v, e)`: the record has a message and no frame
      const world = await makeWorld();
      const main = world.remote.branches.get('main');
      if (!main) throw new Error('no main branch');
      main.files.set(
        'app.py',
        [
          'import logging',
          '',
          'log = logging.getLogger(__name__)',
          '',
          'def process_data(value):',
          '    return int(value)',
          '',
          '',
          'def main(value):',
          '    try:',
          '        print(process_data(value))',
          '    except ValueError as e:',
          '        log.error("could not process the value %s: %s", value, e)',
          '',
        ].join('\n'),
      );
      const logged = makeErrorRecord({
        language: 'unknown',
        exceptionType: 'ERROR',
        message: "could not process the value abc: invalid literal for int() with base 10: 'abc'",
        frames: [],
        raw: "2026-12-06 22:40:01,377 ERROR [app] could not process the value abc: invalid literal for int() with base 10: 'abc'",
      });

      const outcome = await world.run(makeJob({ error: logged }));

      expect(outcome).toMatchObject({ kind: 'pr_open' });
      expect(world.advisor.calls).toBe(1);
      const prompt = world.advisor.requests[0]?.prompt ?? '';
      expect(prompt).toContain('is written at app.py:13 and nowhere else');
      expect(prompt).toMatch(/ 13 +log\.error\("could not process the value %s: %s", value, e\)\n/);
      expect((await world.incident()).analysis?.location).toBe('app.py:13');
    });

    it('asks no model for a call AWS denied, though its frames are in the repository', async () => {
      const world = await makeWorld();
      const denied = makeErrorRecord({
        exceptionType: 'AccessDeniedException',
        message:
          'User: arn:aws:sts::123456789012:assumed-role/shop-role/shop is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/Orders because no identity-based policy allows the dynamodb:PutItem action',
        frames: [{ file: '/var/task/app.py', line: 3, function: 'handler', inApp: true }],
      });

      const outcome = await world.run(makeJob({ error: denied }));

      expect(outcome).toEqual({ kind: 'no_fix', reason: expect.stringContaining('AWS denied') });
      expect(world.advisor.calls).toBe(0);
      expect(world.mailer.sent[0]?.text).toContain('dynamodb:PutItem');
    });

    it('still asks the model when the edit policy allows the whole repository', async () => {
      const world = await makeWorld({
        settings: { editPolicy: { ...DEFAULT_EDIT_POLICY, scope: 'repository' } },
      });
      await world.run(
        makeJob({
          error: makeErrorRecord({ frames: [{ file: '/app/billing/invoice.py', line: 7, inApp: true }] }),
        }),
      );
      expect(world.advisor.calls).toBe(1);
    });
  });

  it('gives a rejected proposal one retry with the reason, and opens the PR for the revision', async () => {
    const world = await makeWorld({
      script: {
        kind: 'proposal',
        proposal: makeProposal({ edits: [{ path: 'app.py', oldText: 'no such text', newText: 'x' }] }),
        onReject: { kind: 'proposal', proposal: makeProposal() },
      },
    });

    const outcome = await world.run();

    expect(outcome.kind).toBe('pr_open');
    expect(world.advisor.rejections).toHaveLength(1);
    expect(world.advisor.rejections[0]).toContain('old_text_not_found');
    expect(world.advisor.calls).toBe(1);
    expectOneFix(world, await world.incident());
  });

  it('ends as no_fix with the analysis mailed after a second rejection', async () => {
    const bad = makeProposal({ edits: [{ path: '.github/workflows/ci.yml', oldText: 'a', newText: 'b' }] });
    const world = await makeWorld({
      script: { kind: 'proposal', proposal: bad, onReject: { kind: 'proposal', proposal: bad } },
    });

    const outcome = await world.run();

    expect(outcome).toEqual({ kind: 'no_fix', reason: expect.stringContaining('rejected twice') });
    expect(world.advisor.rejections).toHaveLength(1);
    const incident = await world.incident();
    expect(incident.status).toBe('no_fix');
    expect(incident.lastError).toContain('forbidden_path');
    expect(incident.analysis?.rootCause).toBe(bad.rootCause);
    expect(incident.costUsd).toBeCloseTo(0.1);
    expect(world.fixPushes()).toHaveLength(0);
    expect(world.prs.prs).toHaveLength(0);
    expect(world.mailer.sent).toHaveLength(1);
  });

  it('throws a retryable model failure for the queue, marks the incident failed, and claims it again on retry', async () => {
    const world = await makeWorld();
    const overloaded = new ModelUnavailableError({
      message: 'overloaded (529)',
      retryable: true,
      status: 529,
      usage: makeUsage({ costUsd: 0.02 }),
    });
    world.faults.advise = [overloaded];

    await expect(world.run()).rejects.toBe(overloaded);
    const failed = await world.incident();
    expect(failed).toMatchObject({ status: 'failed', lastError: 'overloaded (529)', attempts: 1 });
    expect(failed.costUsd).toBeCloseTo(0.02);

    const retried = await world.run();
    expect(retried.kind).toBe('pr_open');
    const incident = await world.incident();
    expect(incident.costUsd).toBeCloseTo(0.07);
    expectOneFix(world, incident);
  });

  it('retries a GitHub rate limit on the PR without a second model call', async () => {
    const world = await makeWorld();
    world.faults.open = [new GitHubRateLimitError('rate limited', { status: 403, resetAt: T0 + 60_000 })];

    await expect(world.run()).rejects.toBeInstanceOf(GitHubRateLimitError);
    expect(await world.incident()).toMatchObject({ status: 'failed', lastError: 'rate limited' });

    expect((await world.run()).kind).toBe('pr_open');
    expect(world.advisor.calls).toBe(1);
    expectOneFix(world, await world.incident());
  });

  it("records GitHub's retry-after as the failed incident's retryAfter when it asks for longer than the backoff", async () => {
    const world = await makeWorld();
    const resetAt = T0 + 6 * 60 * 60 * 1000;
    world.faults.open = [new GitHubRateLimitError('secondary rate limit', { status: 403, resetAt })];

    await expect(world.run()).rejects.toBeInstanceOf(GitHubRateLimitError);

    expect(await world.incident()).toMatchObject({ status: 'failed', retryAfter: resetAt });
    expect((await world.incident()).lease).toBeUndefined();
  });

  it("leaves a job sent back before the failure's retryAfter to the sweep when told to wait (the cloud), and runs it once due", async () => {
    const world = await makeWorld({ deps: { waitForRetryAfter: true } });
    const resetAt = T0 + 2 * 60 * 60 * 1000;
    world.faults.open = [new GitHubRateLimitError('secondary rate limit', { status: 403, resetAt })];
    await expect(world.run()).rejects.toBeInstanceOf(GitHubRateLimitError);

    // SQS sends the job back after its 30-minute visibility timeout: too early.
    world.clock.now = T0 + 30 * 60 * 1000;
    expect(await world.run()).toEqual({ kind: 'ignored', reason: 'not_due', status: 'failed' });
    expect(await world.incident()).toMatchObject({ status: 'failed', attempts: 1, retryAfter: resetAt });

    world.clock.now = resetAt;
    expect((await world.run()).kind).toBe('pr_open');
    expect(world.advisor.calls).toBe(1);
  });

  it('mails the reviewers once when the last allowed attempt fails (no throw, nothing left to retry), and runs no redelivery after it', async () => {
    const world = await makeWorld({ deps: { waitForRetryAfter: true, maxAttempts: 2 } });
    world.faults.open = [
      new GitHubRateLimitError('rate limited', { status: 403, resetAt: T0 + 60_000 }),
      new GitHubRateLimitError('rate limited again', { status: 403, resetAt: T0 + 60_000 }),
    ];
    // Attempt 1 of 2: retryable, thrown for SQS to send back; nobody is mailed yet.
    await expect(world.run()).rejects.toBeInstanceOf(GitHubRateLimitError);
    expect(world.mailer.sent).toHaveLength(0);

    // Redelivered after the visibility timeout, past the backoff: attempt 2 is the last one.
    world.clock.now = T0 + 30 * 60 * 1000;
    expect(await world.run()).toEqual({ kind: 'failed', reason: 'rate limited again' });
    const failed = await world.incident();
    expect(failed).toMatchObject({ status: 'failed', attempts: 2, lastError: 'rate limited again' });
    expect(failed.retryAfter).toBeUndefined();
    expect(failed.pendingEmail).toBeUndefined();
    expect(failed.lease).toBeUndefined();
    expect(world.mailer.sent).toHaveLength(1);
    expect(world.mailer.sent[0]?.subject).toMatch(/repair failed, ai-ops stopped trying/);
    expect(world.mailer.sent[0]?.text).toContain('tried to repair this error 2 times');
    expect(world.mailer.sent[0]?.text).toContain('rate limited again');

    // A duplicate delivery of the same job (a crash before the ack): no third attempt, no second email.
    expect(await world.run()).toEqual({ kind: 'ignored', reason: 'no_attempts_left', status: 'failed' });
    expect(await world.incident()).toMatchObject({ status: 'failed', attempts: 2 });
    // the second attempt reused the analysis the first one stored
    expect(world.advisor.calls).toBe(1);
    expect(world.mailer.sent).toHaveLength(1);
    expect(world.prs.prs).toHaveLength(0);
  });

  it('mails at most MAX_FAILED_EMAILS_PER_DAY failures a repository a day: a broken token fails every incident alike', async () => {
    const world = await makeWorld({ deps: { isRetryable: isRetryableAnalyzerError } });
    const day = new Date(T0).toISOString().slice(0, 10);
    for (let i = 0; i < MAX_FAILED_EMAILS_PER_DAY; i++)
      expect(
        await world.budget.reserve({
          repoKey: 'acme/shop#failed-notice',
          day,
          incidentKey: `acme/shop#earlier${i}`,
          cap: MAX_FAILED_EMAILS_PER_DAY,
        }),
      ).toBe(true);
    world.faults.open = [new GitHubAuthError('Bad credentials', { status: 401 })];

    expect(await world.run()).toEqual({ kind: 'failed', reason: 'Bad credentials' });

    const incident = await world.incident();
    expect(incident).toMatchObject({ status: 'failed', lastError: 'Bad credentials' });
    expect(incident.pendingEmail).toBeUndefined();
    expect(incident.lease).toBeUndefined();
    expect(world.mailer.sent).toHaveLength(0);
  });

  it('runs no job SQS sends back for a failure that is not retryable', async () => {
    const world = await makeWorld({
      deps: { waitForRetryAfter: true, isRetryable: isRetryableAnalyzerError },
    });
    world.faults.push = [new GitPushRejectedError('pre-receive hook declined')];
    expect((await world.run()).kind).toBe('failed');
    expect(await world.run()).toEqual({ kind: 'ignored', reason: 'not_retryable', status: 'failed' });
    expect(world.advisor.calls).toBe(1);
    expect(world.mailer.sent).toHaveLength(1);
  });

  it('keeps the email of a repair that failed for good owed when the mail service fails, and the redelivery sends it', async () => {
    const world = await makeWorld({
      deps: { waitForRetryAfter: true, isRetryable: isRetryableAnalyzerError },
    });
    world.faults.push = [new GitPushRejectedError('pre-receive hook declined')];
    const throttled = Object.assign(new Error('Throttling'), { retryable: true });
    world.faults.send = [throttled];

    await expect(world.run()).rejects.toBe(throttled);
    expect(await world.incident()).toMatchObject({ status: 'failed', pendingEmail: { tries: 1 } });

    expect(await world.run()).toEqual({ kind: 'failed', reason: 'push rejected: pre-receive hook declined' });
    expect(world.mailer.sent).toHaveLength(1);
    expect(world.mailer.sent[0]?.text).toContain('pre-receive hook declined');
    expect((await world.incident()).pendingEmail).toBeUndefined();
    expect(world.advisor.calls).toBe(1);
  });

  it('runs a job for a failed incident at once when not told to wait (the one-machine runner retries in process)', async () => {
    const world = await makeWorld();
    world.faults.open = [
      new GitHubRateLimitError('secondary rate limit', { status: 403, resetAt: T0 + 60 * 60 * 1000 }),
    ];
    await expect(world.run()).rejects.toBeInstanceOf(GitHubRateLimitError);
    expect((await world.run()).kind).toBe('pr_open');
  });

  it('backs a transient failure off by attempt when nobody asked for longer', async () => {
    const world = await makeWorld();
    world.faults.open = [new GitHubRateLimitError('rate limited', { status: 403, resetAt: T0 + 1000 })];
    await expect(world.run()).rejects.toBeInstanceOf(GitHubRateLimitError);
    expect((await world.incident()).retryAfter).toBe(T0 + failureBackoffMs(1));
  });

  it.each([
    { name: 'a git auth failure', point: 'clone' as const, error: new GitAuthError('clone: HTTP 401') },
    {
      name: 'a GitHub 401',
      point: 'open' as const,
      error: new GitHubAuthError('Bad credentials', { status: 401 }),
    },
    {
      name: 'a refused push',
      point: 'push' as const,
      error: new GitPushRejectedError('pre-receive hook declined'),
    },
  ])(
    'fails for good on $name: no throw, lastError kept, the reviewers told why',
    async ({ point, error }) => {
      const world = await makeWorld({ deps: { isRetryable: isRetryableAnalyzerError } });
      world.faults[point] = [error];

      const outcome = await world.run();

      expect(outcome).toEqual({ kind: 'failed', reason: error.message });
      expect(await world.incident()).toMatchObject({ status: 'failed', lastError: error.message });
      expect((await world.incident()).retryAfter).toBeUndefined();
      expect(world.prs.prs).toHaveLength(0);
      expect(world.mailer.sent).toHaveLength(1);
      expect(world.mailer.sent[0]?.subject).toMatch(/repair failed/);
      expect(world.mailer.sent[0]?.text).toContain(error.message);
    },
  );

  it('sends the email on the retry when the mailer failed, and only once', async () => {
    const world = await makeWorld();
    const throttled = Object.assign(new Error('Throttling'), { retryable: true });
    world.faults.send = [throttled];

    await expect(world.run()).rejects.toBe(throttled);
    expect(await world.incident()).toMatchObject({ status: 'pr_open' });
    expect((await world.incident()).emailedAt).toBeUndefined();

    expect((await world.run()).kind).toBe('pr_open');
    expect(await world.run()).toEqual({ kind: 'ignored', reason: 'already_done', status: 'pr_open' });
    expectOneFix(world, await world.incident());
  });

  it('sends a no_fix email that failed on the retry', async () => {
    const world = await makeWorld({
      script: { kind: 'no_proposal', reason: 'turns', analysis: 'Ran out of turns.' },
    });
    world.faults.send = [Object.assign(new Error('Throttling'), { retryable: true })];

    await expect(world.run()).rejects.toThrow('Throttling');
    const retried = await world.run();

    expect(retried).toEqual({ kind: 'no_fix', reason: expect.stringContaining('turns') });
    expect(world.mailer.sent).toHaveLength(1);
    expect(world.advisor.calls).toBe(1);
  });

  it('pushes beside a branch of the same name left by an earlier life of the incident', async () => {
    const world = await makeWorld();
    await world.run();
    // the fix was merged, the branch kept, the incident resolved, and the error came back
    const first = await world.incident();
    await world.memory.transition({ incidentKey: INCIDENT_KEY, from: 'pr_open', to: 'resolved_pending' });
    await world.memory.transition({ incidentKey: INCIDENT_KEY, from: 'resolved_pending', to: 'resolved' });
    await world.memory.transition({ incidentKey: INCIDENT_KEY, from: 'resolved', to: 'new' });
    world.prs.prs[0] = { ...(world.prs.prs[0] as PullRequest), state: 'closed', merged: true };

    const outcome = await world.run();

    const incident = await world.incident();
    expect(outcome.kind).toBe('pr_open');
    expect(incident.branch).toBe(`${first.branch}-${incident.attempts}`);
    expect(incident.prNumber).toBe(2);
    expect(world.advisor.calls).toBe(2);
    expect(world.mailer.sent).toHaveLength(2);
  });

  it('a PR closed unmerged dismisses the incident; a recurrence after the grace period opens a new attempt linking it', async () => {
    const world = await makeWorld();
    await world.run();
    world.prs.prs[0] = { ...(world.prs.prs[0] as PullRequest), state: 'closed', merged: false };
    const closedAt = world.clock.now;
    const dismissed = await recordDismissal(
      makeJob({ kind: 'dismissed', closedAt, pr: { number: 1, url: 'u', branch: 'b' } }),
      { store: world.store },
    );
    expect(dismissed).toEqual({ kind: 'dismissed', closedAt });
    expect(await world.incident()).toMatchObject({
      status: 'dismissed',
      dismissedPr: { number: 1, closedAt },
    });

    const occur = async (batchId: string) =>
      decideOccurrence({
        result: await world.memory.recordOccurrence({
          incidentKey: INCIDENT_KEY,
          repo: REPO,
          fingerprint: FINGERPRINT,
          count: 1,
          firstSeen: world.clock.now,
          lastSeen: world.clock.now,
          sample: makeErrorRecord(),
          ttl: computeTtl({ nowMs: T0, ttlDays: 30 }),
          batchId,
        }),
        added: 1,
        store: world.memory,
        now: () => world.clock.now,
        queueOwner: 'sqs',
      });
    // the occurrences the reviewer saw when closing it do not reopen it
    expect((await occur('soon')).repair).toBe(false);
    world.clock.now += DEFAULT_REGRESSION_GRACE_MS;
    expect(await occur('later')).toMatchObject({ repair: true, reopened: true });

    const again = await world.run();

    expect(again.kind).toBe('pr_open');
    expect(world.prs.prs).toHaveLength(2);
    expect(world.prs.requests[1]?.body).toContain('[#1](https://github.example/acme/shop/pull/1)');
    expect(world.advisor.calls).toBe(2);
  });

  it('links the fix branch to the incident before pushing it, once, so an early CI run finds it', async () => {
    const links: Array<{ branch: string; incidentKey: string; ttl: number; pushesBefore: number }> = [];
    let world: World | undefined;
    world = await makeWorld({
      deps: {
        branchLinks: {
          async link({ branch, incidentKey, ttl }) {
            links.push({ branch, incidentKey, ttl, pushesBefore: world?.fixPushes().length ?? -1 });
          },
        },
      },
    });

    await world.run();
    await world.run(); // a duplicate delivery links nothing more

    const incident = await world.incident();
    expect(links).toEqual([
      { branch: incident.branch, incidentKey: INCIDENT_KEY, ttl: incident.ttl, pushesBefore: 0 },
    ]);
    expectOneFix(world, incident);
  });

  it('ignores a job whose incident does not exist', async () => {
    const world = await makeWorld();
    expect(await world.run(makeJob({ incidentKey: 'acme/shop#nope' }))).toEqual({
      kind: 'ignored',
      reason: 'unknown_incident',
    });
  });
});

describe('analyzer handler', () => {
  function makeLogger() {
    const lines: Array<{ level: string; message: string; attributes?: Record<string, unknown> }> = [];
    return {
      lines,
      info: (message: string, attributes?: Record<string, unknown>) =>
        lines.push({ level: 'info', message, ...(attributes ? { attributes } : {}) }),
      error: (message: string, attributes?: Record<string, unknown>) =>
        lines.push({ level: 'error', message, ...(attributes ? { attributes } : {}) }),
    };
  }

  it('reports garbage bodies as batch item failures (they reach the DLQ) and settles good ones', async () => {
    const world = await makeWorld();
    const logger = makeLogger();
    const handler = makeHandler({
      useCases: () => ({ repair: (job) => repairIncident(job, world.deps) }),
      logger,
    });

    const response = await handler(
      sqsEvent(['not json', JSON.stringify({ v: 2 }), JSON.stringify(makeJob())]),
    );

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm0' }, { itemIdentifier: 'm1' }]);
    expect((await world.incident()).status).toBe('pr_open');
    expect(logger.lines.filter((l) => l.level === 'error')).toHaveLength(2);
  });

  it('reports a retryable failure as a batch item failure and a final one as settled', async () => {
    const world = await makeWorld({ deps: { isRetryable: isRetryableAnalyzerError } });
    const handler = makeHandler({
      useCases: () => ({ repair: (job) => repairIncident(job, world.deps) }),
      logger: makeLogger(),
    });
    world.faults.clone = [new GitTransientError('git_server', 'HTTP 503')];

    expect((await handler(sqsEvent([JSON.stringify(makeJob())]))).batchItemFailures).toEqual([
      { itemIdentifier: 'm0' },
    ]);
    expect((await handler(sqsEvent([JSON.stringify(makeJob())]))).batchItemFailures).toEqual([]);
    expect((await world.incident()).status).toBe('pr_open');

    const other = await makeWorld({ deps: { isRetryable: isRetryableAnalyzerError } });
    other.faults.clone = [new GitAuthError('HTTP 401')];
    const settled = makeHandler({
      useCases: () => ({ repair: (job) => repairIncident(job, other.deps) }),
      logger: makeLogger(),
    });
    expect((await settled(sqsEvent([JSON.stringify(makeJob())]))).batchItemFailures).toEqual([]);
    expect((await other.incident()).status).toBe('failed');
  });

  it('emits the RepairsStopped metric (one EMF line) when the kill switch or the daily cap stops a repair, not otherwise', async () => {
    const stops: Array<{ incidentKey: string; reason: string }> = [];
    const stopped = await makeWorld({ settings: { repairsEnabled: false } });
    const handler = makeHandler({
      useCases: () => ({ repair: (job) => repairIncident(job, stopped.deps) }),
      onRepairsStopped: (stop) => stops.push(stop),
      logger: makeLogger(),
    });
    expect((await handler(sqsEvent([JSON.stringify(makeJob())]))).batchItemFailures).toEqual([]);
    expect(stops).toEqual([{ incidentKey: INCIDENT_KEY, reason: expect.stringContaining('kill switch') }]);

    const capped = await makeWorld({ settings: { dailyRepairCap: 1 } });
    const day = new Date(T0).toISOString().slice(0, 10);
    await capped.budget.reserve({ repoKey: 'acme/shop', day, incidentKey: 'acme/shop#other', cap: 1 });
    const cappedHandler = makeHandler({
      useCases: () => ({ repair: (job) => repairIncident(job, capped.deps) }),
      onRepairsStopped: (stop) => stops.push(stop),
      logger: makeLogger(),
    });
    await cappedHandler(sqsEvent([JSON.stringify(makeJob())]));
    expect(stops[1]?.reason).toContain('daily cap of 1');

    const repaired = await makeWorld();
    const repairHandler = makeHandler({
      useCases: () => ({ repair: (job) => repairIncident(job, repaired.deps) }),
      onRepairsStopped: (stop) => stops.push(stop),
      logger: makeLogger(),
    });
    await repairHandler(sqsEvent([JSON.stringify(makeJob())]));
    expect((await repaired.incident()).status).toBe('pr_open');
    expect(stops).toHaveLength(2);

    // The line CloudWatch Logs turns into the metric the alarm in infra/auto-repair.ts watches.
    const emf = JSON.parse(
      repairsStoppedEmf({
        namespace: 'AiOps',
        service: 'ai-ops-analyzer',
        incidentKey: INCIDENT_KEY,
        reason: stops[0]?.reason ?? '',
        now: T0,
      }),
    );
    expect(emf).toEqual({
      _aws: {
        Timestamp: T0,
        CloudWatchMetrics: [
          {
            Namespace: 'AiOps',
            Dimensions: [['service']],
            Metrics: [{ Name: 'RepairsStopped', Unit: 'Count' }],
          },
        ],
      },
      service: 'ai-ops-analyzer',
      RepairsStopped: 1,
      incidentKey: INCIDENT_KEY,
      reason: expect.stringContaining('kill switch'),
    });
  });

  it('never hands another job kind to the repair use case', async () => {
    const world = await makeWorld();
    await world.run();
    await world.memory.transition({ incidentKey: INCIDENT_KEY, from: 'pr_open', to: 'analyzing' });
    await world.memory.transition({ incidentKey: INCIDENT_KEY, from: 'analyzing', to: 'failed' });
    const seen: string[] = [];
    const handler = makeHandler({
      useCases: () => ({
        repair: (job) => repairIncident(job, world.deps),
        ci_failed: async (job) => {
          seen.push(job.kind);
          return { kind: 'done' };
        },
      }),
      logger: makeLogger(),
    });

    const response = await handler(
      sqsEvent([
        JSON.stringify(makeJob({ kind: 'revise' })),
        JSON.stringify(makeJob({ kind: 'recurrence' })),
        JSON.stringify(makeJob({ kind: 'ci_failed' })),
      ]),
    );

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm0' }]);
    expect(seen).toEqual(['ci_failed']);
    expect(world.advisor.calls).toBe(1);
    expect((await world.incident()).status).toBe('failed');
  });

  it('retries git connection failures and 5xx, not refused pushes or bad credentials', () => {
    expect(isRetryableAnalyzerError(new GitTransientError('git_network', 'ECONNRESET'))).toBe(true);
    expect(isRetryableAnalyzerError(new GitPushRejectedError('hook declined'))).toBe(false);
    expect(isRetryableAnalyzerError(new GitAuthError('401'))).toBe(false);
    expect(isRetryableAnalyzerError(new ModelUnavailableError({ message: '429', retryable: true }))).toBe(
      true,
    );
  });
});
