import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { openStateDatabase, SqliteIncidentStore } from '../../functions/adapters/sqlite-incident-store.ts';
import type { Incident } from '../../functions/core/contracts.ts';
import { runWatch } from '../../functions/local/commands/watch-command.ts';
import type { SweepScheduler } from '../../functions/local/pipeline/local-sweep.ts';
import { createRepairPipeline } from '../../functions/local/pipeline/repair-pipeline.ts';
import { APP_PY, RECORDED_TRACEBACK } from '../demo/shop-app.ts';
import { waitFor } from '../integration/local/watch-helpers.ts';
import { type StandInStep, startAnthropicStandIn, step } from '../support/anthropic-stand-in.ts';
import { createBareRepo, readBlobAt, readBranchHead, runGit } from '../support/git-server.ts';
import { useTempDirs } from '../support/temp-dirs.ts';
import { useLocalStandIns } from './support/local-watch.ts';

const tempDir = useTempDirs();

/**
 * One machine, no webhook: `ai-ops watch` with AI_OPS_TEST_COMMAND runs the repository's own
 * test (real python3) on the fix before the PR opens — red, one revision from its output, green —
 * then its sweep polls the PR: green checks → ready for review, merged → resolved_pending.
 * Against git smart HTTP, the GitHub and Anthropic stand-ins; mail to the outbox.
 */

const TOKEN = 'local-follow-up-token-not-a-secret';
const TEST_PY = `from app import process_data

assert process_data({"quantity": "3"}) == 3
assert process_data({"quantity": "three"}) is None, "a quantity that is not a number must give None"
print("2 checks passed")
`;
const ORIGINAL = '    return int(raw["quantity"])';
const FIRST_FIX = `    try:
        return int(raw["quantity"])
    except (KeyError, TypeError, ValueError):
        return 0`;
const REVISED = `    try:
        return int(raw["quantity"])
    except (KeyError, TypeError, ValueError):
        return None`;

function submit(id: string, title: string, oldText: string, newText: string): StandInStep {
  return step.toolUse([
    {
      id,
      name: 'submit_fix',
      input: {
        title,
        rootCause: 'process_data calls int() on a quantity nobody validated.',
        explanation: `${title}.`,
        confidence: 'medium',
        edits: [{ path: 'app.py', oldText, newText }],
      },
    },
  ]);
}

const local = useLocalStandIns({
  token: TOKEN,
  files: { 'app.py': APP_PY, 'test_app.py': TEST_PY },
  script: [
    submit('toolu_first', 'Give 0 for a quantity that is not a number', ORIGINAL, FIRST_FIX),
    submit('toolu_revision', 'Give None, as the tests expect', FIRST_FIX, REVISED),
  ],
});

describe('ai-ops watch on one machine: tests before the PR, then polling instead of a webhook', () => {
  it('tests the fix (red → one revision → green), opens the draft, marks it ready on green checks and records the merge', async () => {
    const dir = tempDir('ai-ops-local-follow-up-');
    const log = join(dir, 'app.log');
    writeFileSync(log, RECORDED_TRACEBACK.replaceAll('{APP}', join(dir, 'app')));
    const outbox = join(dir, 'outbox');
    const state = join(dir, 'state.db');
    const out = new PassThrough();
    let printed = '';
    out.on('data', (c: Buffer) => {
      printed += c.toString();
    });
    let tick: (() => Promise<void>) | undefined;
    const sweepScheduler: SweepScheduler = (fire) => {
      tick = fire;
      return () => {};
    };
    const stop = new AbortController();
    const watching = runWatch(
      ['--from-start', log],
      { stdin: new PassThrough(), stdout: out, stderr: out },
      {
        env: {
          GITHUB_TOKEN: TOKEN,
          GITHUB_REPO: 'demo/shop',
          GITHUB_API_URL: local.github.baseUrl,
          ANTHROPIC_API_KEY: 'stand-in',
          ANTHROPIC_BASE_URL: local.anthropic.url,
          AI_OPS_STATE: state,
          AI_OPS_OUTBOX: outbox,
          AI_OPS_TEST_COMMAND: 'python3 test_app.py',
          SMTP_FROM: 'ai-ops@shop.example',
          SMTP_TO: 'you@shop.example',
        },
        cwd: dir,
        isTty: false,
        signal: stop.signal,
        sweepScheduler,
        createHandler: createRepairPipeline({ stderr: out }),
      },
    );
    const pulls = () => local.github.pulls({ owner: 'demo', repo: 'shop' });
    const incident = () => readIncident(state);
    try {
      await waitFor(() => existsSync(outbox) && readdirSync(outbox).some((f) => f.endsWith('.eml')), {
        timeoutMs: 20_000,
        what: 'the fix email',
      }).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${printed}`);
      });

      // The first fix failed the repository's test; its output went to the model, whose revision passed.
      const [pr] = pulls();
      expect(pr).toMatchObject({ draft: true, state: 'open' });
      expect(pr?.labels).not.toContain('needs-human');
      expect(pr?.body).toContain('failed on the first fix and passed after one revision');
      const bare = local.git.repoPath('demo', 'shop');
      const head = readBranchHead(bare, pr?.head ?? '');
      expect(head?.subject).toBe('fix(ai): Give None, as the tests expect');
      const subjects = runGit(['--git-dir', bare, 'log', '--format=%s', '-3', pr?.head ?? '']).toString();
      expect(subjects.split('\n').slice(0, 2)).toEqual([
        'fix(ai): Give None, as the tests expect',
        'fix(ai): Give 0 for a quantity that is not a number',
      ]);
      expect(readBlobAt(bare, pr?.head ?? '', 'app.py').toString()).toContain(REVISED);
      expect(local.anthropic.requests).toHaveLength(2);
      const revisionPrompt = local.anthropic.requests[1]?.raw.toString('utf8') ?? '';
      expect(revisionPrompt).toContain('a quantity that is not a number must give None');
      expect(revisionPrompt).toContain('python3 test_app.py');
      const email = readFileSync(
        join(outbox, readdirSync(outbox).find((f) => f.endsWith('.eml')) ?? ''),
        'utf8',
      );
      // No webhook hears comments here: neither the email nor the PR promises otherwise.
      expect(email.replace(/=\r?\n/g, '')).toContain('checks its CI at every sweep');
      expect(pr?.body).not.toContain('/ai-ops <instruction>');
      expect(pr?.body).toContain('does not read comments');
      expect((await incident())?.analysis?.verification).toMatchObject({
        outcome: 'passed',
        runs: 2,
        revised: true,
      });

      // CI on the PR's head: still running → nothing; all green → ready for review, with one comment.
      const sha = runGit(['--git-dir', bare, 'rev-parse', pr?.head ?? ''])
        .toString()
        .trim();
      local.github.setCheckRuns({
        owner: 'demo',
        repo: 'shop',
        ref: sha,
        checkRuns: [{ name: 'test' }, { name: 'lint', status: 'in_progress' }],
      });
      await tickNow(tick);
      expect(pulls()[0]?.draft).toBe(true);
      local.github.setCheckRuns({
        owner: 'demo',
        repo: 'shop',
        ref: sha,
        checkRuns: [{ name: 'test' }, { name: 'lint' }],
      });
      await tickNow(tick);
      expect(pulls()[0]?.draft).toBe(false);
      expect((await incident())?.ci).toMatchObject({ headSha: sha, conclusion: 'success' });
      expect(printed).toContain('poll: ready');
      await tickNow(tick);
      expect(
        local.github
          .comments({ owner: 'demo', repo: 'shop' })
          .filter((c) => c.body.includes('ready for review')),
      ).toHaveLength(1);

      // A person merges it: the next poll records the merge.
      local.github.closePull({ owner: 'demo', repo: 'shop', number: pr?.number ?? 0, merged: true });
      await tickNow(tick);
      expect((await incident())?.status).toBe('resolved_pending');
      expect((await incident())?.merge?.sha).toBe(sha);
    } finally {
      stop.abort();
    }
    expect(await watching, printed).toBe(0);
  }, 60_000);
});

describe('ai-ops watch --once with a test command that stays red', () => {
  it('opens the draft labelled needs-human after the one revision also fails, and says nothing follows it up', async () => {
    const model = await startAnthropicStandIn({
      script: [
        submit('toolu_first', 'Give 0 for a quantity that is not a number', ORIGINAL, FIRST_FIX),
        submit('toolu_revision', 'Give -1 instead', FIRST_FIX, FIRST_FIX.replace('return 0', 'return -1')),
      ],
    });
    try {
      await createBareRepo({
        server: local.git,
        owner: 'demo',
        name: 'stays-red',
        files: { 'app.py': APP_PY, 'test_app.py': TEST_PY },
      });
      local.github.addRepo({ owner: 'demo', repo: 'stays-red' });
      const dir = tempDir('ai-ops-local-red-');
      const log = join(dir, 'app.log');
      writeFileSync(log, RECORDED_TRACEBACK.replaceAll('{APP}', join(dir, 'app')));
      const outbox = join(dir, 'outbox');
      const out = new PassThrough();
      let printed = '';
      out.on('data', (c: Buffer) => {
        printed += c.toString();
      });
      const code = await runWatch(
        ['--once', log],
        { stdin: new PassThrough(), stdout: out, stderr: out },
        {
          env: {
            GITHUB_TOKEN: TOKEN,
            GITHUB_REPO: 'demo/stays-red',
            GITHUB_API_URL: local.github.baseUrl,
            ANTHROPIC_API_KEY: 'stand-in',
            ANTHROPIC_BASE_URL: model.url,
            AI_OPS_STATE: join(dir, 'state.db'),
            AI_OPS_OUTBOX: outbox,
            AI_OPS_TEST_COMMAND: 'python3 test_app.py',
          },
          cwd: dir,
          isTty: false,
          createHandler: createRepairPipeline({ stderr: out }),
        },
      );
      expect(code, printed).toBe(0);
      const [pr] = local.github.pulls({ owner: 'demo', repo: 'stays-red' });
      expect(pr).toMatchObject({ draft: true, state: 'open' });
      expect(pr?.labels).toEqual(expect.arrayContaining(['ai-ops', 'needs-human']));
      expect(pr?.body).toContain('still fails after one revision');
      expect(pr?.body).toContain('a quantity that is not a number must give None');
      expect(pr?.body).toContain('nothing follows this draft up');
      expect(model.requests).toHaveLength(2);
      const email = readFileSync(
        join(outbox, readdirSync(outbox).find((f) => f.endsWith('.eml')) ?? ''),
        'utf8',
      );
      expect(email).toContain('Subject: [ai-ops] ValueError in demo/stays-red: draft fix PR #1 opened, its');
      expect(email.replace(/=\r?\n/g, '')).toContain('labelled needs-human for a person to take over');
    } finally {
      await model.close();
    }
  }, 60_000);
});

async function tickNow(tick: (() => Promise<void>) | undefined): Promise<void> {
  if (!tick) throw new Error('the sweep was not started');
  await tick();
}

async function readIncident(path: string): Promise<Incident | undefined> {
  const database = openStateDatabase({ path });
  try {
    const store = new SqliteIncidentStore({ database });
    const [incident] = await store.listByStatus('pr_open', { limit: 5 });
    if (incident) return incident;
    const [pending] = await store.listByStatus('resolved_pending', { limit: 5 });
    return pending;
  } finally {
    database.close();
  }
}
