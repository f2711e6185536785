import { MemoryIncidentStore } from '../../functions/adapters/memory-incident-store.ts';
import type { ErrorRecord, FixProposal, RepairJob } from '../../functions/core/contracts.ts';
import type { FollowUpDeps, FollowUpSettings } from '../../functions/core/follow-up/follow-up-deps.ts';
import type {
  BranchHead,
  CodeHost,
  CombinedChecks,
  FailingJobLog,
} from '../../functions/core/ports/code-host.ts';
import type { AdviceRequest, AdviceResult, FixAdvisor } from '../../functions/core/ports/fix-advisor.ts';
import type { IncidentStore } from '../../functions/core/ports/incident-store.ts';
import type { Mailer, OutgoingEmail } from '../../functions/core/ports/mailer.ts';
import type { PullRequest, PullRequests } from '../../functions/core/ports/pull-requests.ts';
import type { ModelUsage, RepoEntry, RepoWorkspace } from '../../functions/core/ports/repo-workspace.ts';
import type { Workspaces } from '../../functions/core/repair/repair-incident.ts';

export const REPO = { owner: 'acme', name: 'shop', baseBranch: 'main', pathPrefix: '' };
export const BRANCH = 'fix/key-error-get-user-9a37fcc8';
export const INCIDENT_KEY = 'acme/shop#9a37fcc8aa';
export const HEAD = 'a'.repeat(40);

export function makeErrorRecord(overrides: Partial<ErrorRecord> = {}): ErrorRecord {
  return {
    language: 'python',
    exceptionType: 'KeyError',
    message: "'user_id'",
    frames: [{ file: '/app/src/users.py', line: 3, function: 'get_user', inApp: true }],
    causes: [],
    raw: 'Traceback (most recent call last):\n  File "/app/src/users.py", line 3, in get_user\nKeyError: \'user_id\'',
    logGroup: '/aws/lambda/shop',
    logStream: 's',
    timestamp: 1_700_000_000_000,
    eventIds: ['e1'],
    ...overrides,
  };
}

/** The fix PR `seedStore` records, as a follow-up job carries it. */
export const PR_REF = { number: 7, url: 'https://github.com/acme/shop/pull/7', branch: BRANCH };

/** A job about the seeded incident; `kind` and the rest by override (`{ kind: 'merged', pr: PR_REF }`). */
export function makeRepairJob(overrides: Partial<RepairJob> = {}): RepairJob {
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

/**
 * Puts the seeded incident into `store` as a merged fix leaves it (`resolved_pending`, merge
 * recorded), first seen an hour before the merge unless told otherwise.
 */
export async function seedMergedIncident(
  store: IncidentStore,
  {
    mergedAt,
    firstSeen = mergedAt - 60 * 60 * 1000,
    lastSeen = firstSeen,
    prUrl,
  }: { mergedAt: number; firstSeen?: number; lastSeen?: number; prUrl?: string },
): Promise<void> {
  await store.recordOccurrence({
    incidentKey: INCIDENT_KEY,
    repo: REPO,
    fingerprint: '9a37fcc8aa',
    count: 1,
    firstSeen,
    lastSeen,
    sample: makeErrorRecord(),
    ttl: 1,
    batchId: 'b1',
  });
  await store.transition({ incidentKey: INCIDENT_KEY, from: 'new', to: 'analyzing', set: { attempts: 1 } });
  await store.transition({
    incidentKey: INCIDENT_KEY,
    from: 'analyzing',
    to: 'pr_open',
    set: { prNumber: 7, ...(prUrl ? { prUrl } : {}) },
  });
  await store.transition({
    incidentKey: INCIDENT_KEY,
    from: 'pr_open',
    to: 'resolved_pending',
    set: { merge: { sha: 'f'.repeat(40), mergedAt } },
  });
}

/** A store holding one incident with an open draft fix PR (as the first fix leaves it). */
export async function seedStore({
  status = 'pr_open',
  lastSeen = 1_700_000_000_000,
  revisions,
}: {
  status?: 'pr_open' | 'analyzing' | 'resolved_pending';
  lastSeen?: number;
  revisions?: number;
} = {}): Promise<MemoryIncidentStore> {
  const store = new MemoryIncidentStore();
  await store.recordOccurrence({
    incidentKey: INCIDENT_KEY,
    repo: REPO,
    fingerprint: '9a37fcc8aa',
    count: 3,
    firstSeen: 1_700_000_000_000,
    lastSeen,
    sample: makeErrorRecord(),
    ttl: 1,
    batchId: 'b1',
  });
  await store.transition({ incidentKey: INCIDENT_KEY, from: 'new', to: 'analyzing', set: { attempts: 1 } });
  await store.transition({
    incidentKey: INCIDENT_KEY,
    from: 'analyzing',
    to: 'pr_open',
    set: {
      prNumber: 7,
      prUrl: 'https://github.com/acme/shop/pull/7',
      branch: BRANCH,
      emailedAt: 1,
      analysis: {
        title: 'Guard the missing user id',
        rootCause: 'the id is optional',
        explanation: 'use get()',
        confidence: 'high',
        changes: [{ path: 'src/users.py', additions: 1, deletions: 1 }],
        model: 'm',
        notes: '',
      },
      ...(revisions !== undefined ? { revisions } : {}),
    },
  });
  if (status !== 'pr_open')
    await store.transition({ incidentKey: INCIDENT_KEY, from: 'pr_open', to: status });
  return store;
}

export interface FakeGitHub {
  pullRequests: PullRequests;
  codeHost: CodeHost;
  pr: PullRequest;
  comments: Array<{ id: number; body: string }>;
  heads: Map<string, BranchHead>;
  permissions: Map<string, boolean>;
  calls: string[];
  logs: FailingJobLog[];
  checks: boolean;
  /** what `combinedChecks` answers for every commit (all green by default) */
  combined: CombinedChecks;
}

export function makeFakeGitHub(): FakeGitHub {
  const calls: string[] = [];
  const comments: Array<{ id: number; body: string }> = [];
  const heads = new Map<string, BranchHead>([
    [BRANCH, { sha: HEAD, message: 'fix(ai): Guard the missing user id\n' }],
  ]);
  const permissions = new Map<string, boolean>([['alice', true]]);
  const github: FakeGitHub = {
    calls,
    comments,
    heads,
    permissions,
    logs: [
      { name: 'test', conclusion: 'failure', log: 'FAILED tests/test_users.py::test_get', truncated: false },
    ],
    checks: true,
    combined: 'success',
    pr: {
      number: 7,
      url: 'https://github.com/acme/shop/pull/7',
      nodeId: 'PR_7',
      title: 'fix(ai): Guard the missing user id',
      body: '',
      headBranch: BRANCH,
      get headSha() {
        return heads.get(BRANCH)?.sha ?? '';
      },
      baseBranch: 'main',
      draft: true,
      state: 'open',
      merged: false,
      labels: ['ai-ops'],
    },
    pullRequests: {
      async findOpen() {
        return github.pr;
      },
      async open() {
        throw new Error('not used');
      },
      async get() {
        return { ...github.pr, headSha: heads.get(BRANCH)?.sha ?? '' };
      },
      async updateBody() {
        return github.pr;
      },
      async addLabels({ labels }) {
        calls.push(`addLabels:${labels.join(',')}`);
        for (const l of labels) if (!github.pr.labels.includes(l)) github.pr.labels.push(l);
      },
      async comment({ body }) {
        calls.push('comment');
        const id = 500 + comments.length;
        comments.push({ id, body });
        return { id, url: `https://github.com/acme/shop/pull/7#issuecomment-${id}` };
      },
    },
    codeHost: {
      async markReadyForReview() {
        calls.push('markReady');
        github.pr.draft = false;
      },
      async hasWritePermission({ user }) {
        calls.push(`permission:${user}`);
        return permissions.get(user) ?? false;
      },
      async failingJobLogs() {
        calls.push('logs');
        return github.logs;
      },
      async hasChecks() {
        return github.checks;
      },
      async combinedChecks() {
        return github.combined;
      },
      async branchHead({ branch }) {
        return heads.get(branch);
      },
      async pullRequestDiff() {
        return '--- a/src/users.py\n+++ b/src/users.py\n@@ -3 +3 @@\n-    return users[id]\n+    return users.get(id)\n';
      },
      async findComment({ marker }) {
        const found = comments.find((c) => c.body.includes(marker));
        return found ? { id: found.id, url: `u#${found.id}` } : undefined;
      },
    },
  };
  return github;
}

/** Clones of the fix branch over a fixed tree; commits move the fake GitHub's branch head. */
export function makeFakeWorkspaces(github: FakeGitHub): Workspaces & {
  pushes: Array<{ branch: string; commit: string; message: string; files: string[] }>;
  clones: string[];
} {
  const pushes: Array<{ branch: string; commit: string; message: string; files: string[] }> = [];
  const clones: string[] = [];
  let seq = 0;
  return {
    pushes,
    clones,
    async remoteBranchHead({ branch }) {
      return github.heads.get(branch)?.sha;
    },
    async clone({ branch }): Promise<RepoWorkspace> {
      clones.push(branch);
      const files = new Map<string, Uint8Array>([
        [
          'src/users.py',
          new TextEncoder().encode('def get_user(users, id):\n    pass\n    return users.get(id)\n'),
        ],
        ['.github/workflows/ci.yml', new TextEncoder().encode('on: push\n')],
      ]);
      const written: string[] = [];
      let pending: { commit: string; message: string } | undefined;
      return {
        headCommit: github.heads.get(branch)?.sha ?? '',
        branch,
        async listFiles(): Promise<RepoEntry[]> {
          return [...files.keys()].map((path) => ({ path, kind: 'file' }));
        },
        async readFile(path) {
          return files.get(path)?.slice();
        },
        async writeFile(path, content) {
          files.set(path, content);
          written.push(path);
        },
        async commit({ message }) {
          seq += 1;
          pending = { commit: String(seq).padStart(40, 'c'), message };
          return pending.commit;
        },
        async push({ branch: pushed }) {
          if (!pending) throw new Error('nothing committed');
          pushes.push({ branch: pushed, ...pending, files: [...written] });
          github.heads.set(pushed, { sha: pending.commit, message: pending.message });
        },
      };
    },
  };
}

const USAGE: ModelUsage = {
  inputTokens: 100,
  outputTokens: 50,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  costUsd: 0.01,
  turns: 1,
};

export function proposal(overrides: Partial<FixProposal> = {}): FixProposal {
  return {
    title: 'Return None for an unknown user',
    rootCause: 'missing key',
    explanation: 'The caller handles None.',
    confidence: 'medium',
    edits: [{ path: 'src/users.py', oldText: '    pass\n', newText: '    # unknown users are None\n' }],
    ...overrides,
  };
}

/** An advisor that answers each call with the next scripted proposal (or no proposal). */
export function makeFakeAdvisor(
  script: Array<FixProposal | 'none'>,
): FixAdvisor & { requests: AdviceRequest[] } {
  const requests: AdviceRequest[] = [];
  const answer = (item: FixProposal | 'none' | undefined): AdviceResult =>
    item === undefined || item === 'none'
      ? {
          kind: 'no_proposal',
          reason: 'no_fix_submitted',
          detail: 'no safe change',
          analysis: '',
          usage: USAGE,
        }
      : {
          kind: 'proposal',
          proposal: item,
          source: 'submit_fix',
          analysis: '',
          usage: USAGE,
          reject: async () => answer(script.shift()),
        };
  return {
    requests,
    async advise(request) {
      requests.push(request);
      return answer(script.shift());
    },
  };
}

export function makeFakeMailer(): Mailer & { sent: OutgoingEmail[]; failNext: number } {
  const mailer = {
    sent: [] as OutgoingEmail[],
    failNext: 0,
    async send(email: OutgoingEmail) {
      if (mailer.failNext > 0) {
        mailer.failNext -= 1;
        throw Object.assign(new Error('SES throttled'), { retryable: true });
      }
      mailer.sent.push(email);
      return { messageId: `m${mailer.sent.length}` };
    },
  };
  return mailer;
}

export const SETTINGS: FollowUpSettings = {
  repairsEnabled: true,
  dailyRepairCap: 10,
  model: 'claude-test',
  bot: { name: 'ai-ops', email: 'ai-ops@example.com' },
  sender: 'ai-ops@example.com',
  reviewers: ['team@example.com'],
};

export function makeDeps({
  store,
  github = makeFakeGitHub(),
  advisor = makeFakeAdvisor([]),
  settings = {},
}: {
  store: MemoryIncidentStore;
  github?: FakeGitHub;
  advisor?: ReturnType<typeof makeFakeAdvisor>;
  settings?: Partial<FollowUpSettings>;
}) {
  const workspaces = makeFakeWorkspaces(github);
  const mailer = makeFakeMailer();
  const deps: FollowUpDeps = {
    store,
    advisor,
    workspaces,
    pullRequests: github.pullRequests,
    codeHost: github.codeHost,
    mailer,
    settings: { ...SETTINGS, ...settings },
    now: () => 1_700_000_100_000,
  };
  return { deps, github, advisor, workspaces, mailer, store };
}
