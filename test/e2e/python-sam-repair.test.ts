// A Python function packaged by `sam build` (its packages installed next to its code, at
// /var/task/sqlalchemy/…), end to end: SQLAlchemy's NOT NULL failure from refund() as the
// traceback was captured (test/fixtures/apps/python-sam-orders run from /var/task with SQLAlchemy
// 1.4), shipped one event per line. Through the deployed detector and analyzer on the stand-ins:
// the frames of the application are the function's own, the model is shown its code (not
// SQLAlchemy's, which the repository does not hold), and the pull request says where it raised.
import { describe, expect, it } from 'vitest';
import { step } from '../support/anthropic-stand-in.ts';
import { fixtureApp } from '../support/fake-repo.ts';
import { changedPathsBetween, readBlobAt } from '../support/git-server.ts';
import { traceText } from '../support/log-events.ts';
import { detectAndRepair, seedAppRepo } from './support/app-flow.ts';
import { useE2eStandIns } from './support/stand-ins.ts';

const GIT_TOKEN = 'ghs_e2eFakeTokenForTheLocalStandIns';
const { tableName, servers, startAnthropic } = useE2eStandIns({ token: GIT_TOKEN });

const CRASH = 'python/py311-var-task-sqlalchemy-1.4-orm-not-null-refund.txt';

describe('a SAM-packaged Python function failing inside SQLAlchemy, log lines to pull request', () => {
  it("reads the function's frames as the application's and opens the fix in its own file", async () => {
    const app = await seedAppRepo({
      standIns: servers,
      owner: 'acme',
      files: fixtureApp('python-sam-orders'),
    });
    const anthropic = await startAnthropic([
      step.toolUse([
        {
          id: 'toolu_fix',
          name: 'submit_fix',
          input: {
            title: 'Refuse a refund without an order id',
            rootCause: 'refund() inserts a Refund whose order_id is None; the column is NOT NULL.',
            explanation: 'Raise a ValueError naming the missing order id before opening a session.',
            confidence: 'high',
            edits: [
              {
                path: 'models.py',
                oldText: 'def refund(order_id):\n',
                newText:
                  'def refund(order_id):\n    if order_id is None:\n        raise ValueError("a refund needs the order it refunds")\n',
              },
            ],
          },
        },
      ]),
    ]);
    const { queued, response } = await detectAndRepair({
      standIns: servers,
      tableName,
      app,
      lines: traceText(CRASH).trimEnd().split('\n'),
      token: GIT_TOKEN,
      anthropicUrl: anthropic.url,
    });
    expect(queued).toHaveLength(1);
    const job = JSON.parse(queued[0]?.Body ?? '{}') as {
      error?: { exceptionType?: string; frames?: { file: string; line?: number; inApp: boolean }[] };
    };
    expect(job.error?.exceptionType).toBe('sqlalchemy.exc.IntegrityError');
    // SQLAlchemy's 22 frames are a dependency's, under /var/task as they are
    expect(job.error?.frames?.filter((f) => f.inApp).map((f) => `${f.file}:${f.line}`)).toEqual([
      '/var/task/orm_function.py:7',
      '/var/task/orm_function.py:5',
      '/var/task/models.py:21',
    ]);
    expect(response.batchItemFailures).toEqual([]);

    const prompt = JSON.stringify(anthropic.requests[0]?.json);
    expect(prompt).toContain('--- models.py');
    expect(prompt).toContain('--- orm_function.py');

    const [pr] = servers.github.pulls({ owner: 'acme', repo: app.repo.name });
    expect(pr).toMatchObject({ base: 'main', state: 'open' });
    expect(pr?.body).toContain('`refund` at `/var/task/models.py:21`');
    const head = pr?.head ?? '';
    expect(changedPathsBetween(app.bare, app.mainHead, head)).toEqual(['models.py']);
    expect(readBlobAt(app.bare, head, 'models.py').toString()).toContain('a refund needs the order');
  });
});
