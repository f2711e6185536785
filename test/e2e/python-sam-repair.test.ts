// A Python service whose packages sit beside its code, failing inside SQLAlchemy, end to end: the
// NOT NULL failure from refund() as the traceback was captured, shipped one event per line, through
// the deployed detector and analyzer on the stand-ins.
// - Packaged by `sam build` (test/fixtures/apps/python-sam-orders run from /var/task, SQLAlchemy
//   1.4 at /var/task/sqlalchemy/): the function's own frames are the application's, the model is
//   shown its code (not SQLAlchemy's, which the repository does not hold), and the pull request
//   says where it raised.
// - Installed with `pip install .` (test/fixtures/apps/python-pip-shop in a venv's site-packages,
//   `logger.exception` of the job): no frame of the report is the application's, so the repository
//   decides — its src/shop/ files are shown, edited, and named as where it raised, by their path in
//   the repository (before, the pull request and the email named SQLAlchemy's do_execute).
import { describe, expect, it } from 'vitest';
import { step } from '../support/anthropic-stand-in.ts';
import { fixtureApp } from '../support/fake-repo.ts';
import { changedPathsBetween, readBlobAt, runGit } from '../support/git-server.ts';
import { traceText } from '../support/log-events.ts';
import { detectAndRepair, seedAppRepo } from './support/app-flow.ts';
import { useE2eStandIns } from './support/stand-ins.ts';

const GIT_TOKEN = 'ghs_e2eFakeTokenForTheLocalStandIns';
const { tableName, servers, startAnthropic } = useE2eStandIns({ token: GIT_TOKEN });

const CASES = [
  {
    name: 'a SAM-packaged function',
    app: 'python-sam-orders',
    crash: 'python/py311-var-task-sqlalchemy-1.4-orm-not-null-refund.txt',
    // SQLAlchemy's 22 frames are a dependency's, under /var/task as they are
    inApp: ['/var/task/orm_function.py:7', '/var/task/orm_function.py:5', '/var/task/models.py:21'],
    shown: ['models.py', 'orm_function.py'],
    edit: {
      path: 'models.py',
      oldText: 'def refund(order_id):\n',
      newText:
        'def refund(order_id):\n    if order_id is None:\n        raise ValueError("a refund needs an amount")\n',
    },
    where: '`refund` at `/var/task/models.py:21`',
    mailWhere: /Where: +refund at \/var\/task\/models\.py:21\n/,
  },
  {
    name: 'a service installed with pip',
    app: 'python-pip-shop',
    crash: 'python/py311-pip-installed-app-sqlalchemy-1.4-not-null-refund.txt',
    inApp: [],
    shown: ['src/shop/refunds.py', 'src/shop/worker.py'],
    edit: {
      path: 'src/shop/refunds.py',
      oldText: 'def refund(order_id, request):\n',
      newText:
        'def refund(order_id, request):\n    if request.get("amount") is None:\n        raise ValueError("a refund needs an amount")\n',
    },
    where: '`refund` at `src/shop/refunds.py:11`',
    mailWhere: /Where: +refund at src\/shop\/refunds\.py:11\n/,
  },
];

describe('a Python service failing inside SQLAlchemy, log lines to pull request', () => {
  it.each(CASES)('$name: shows, edits and names its own code', async (c) => {
    const app = await seedAppRepo({ standIns: servers, owner: 'acme', files: fixtureApp(c.app) });
    const anthropic = await startAnthropic([
      step.toolUse([
        {
          id: 'toolu_fix',
          name: 'submit_fix',
          input: {
            title: 'Refuse a refund that cannot be recorded',
            rootCause: 'refund() inserts a row whose NOT NULL column is None.',
            explanation: 'Raise a ValueError naming what is missing before opening a session.',
            confidence: 'high',
            edits: [c.edit],
          },
        },
      ]),
    ]);
    const { queued, response } = await detectAndRepair({
      standIns: servers,
      tableName,
      app,
      lines: traceText(c.crash).trimEnd().split('\n'),
      token: GIT_TOKEN,
      anthropicUrl: anthropic.url,
    });
    expect(queued).toHaveLength(1);
    const job = JSON.parse(queued[0]?.Body ?? '{}') as {
      error?: { exceptionType?: string; frames?: { file: string; line?: number; inApp: boolean }[] };
    };
    expect(job.error?.exceptionType).toBe('sqlalchemy.exc.IntegrityError');
    expect(job.error?.frames?.filter((f) => f.inApp).map((f) => `${f.file}:${f.line}`)).toEqual(c.inApp);
    expect(response.batchItemFailures).toEqual([]);

    const prompt = JSON.stringify(anthropic.requests[0]?.json);
    for (const path of c.shown) expect(prompt).toContain(`--- ${path}`);

    const [pr] = servers.github.pulls({ owner: 'acme', repo: app.repo.name });
    expect(pr).toMatchObject({ base: 'main', state: 'open' });
    expect(pr?.body).toContain(`- **Where:** ${c.where}`);
    const head = pr?.head ?? '';
    expect(runGit(['log', '-1', '--format=%B', head], { cwd: app.bare }).toString()).toContain(
      `in refund (${c.where.split('`')[3]})`,
    );
    expect(changedPathsBetween(app.bare, app.mainHead, head)).toEqual([c.edit.path]);
    expect(readBlobAt(app.bare, head, c.edit.path).toString()).toContain(c.edit.newText);
    const [mail] = (await servers.ses.emails()).filter((e) => e.subject.includes(app.repo.name));
    expect(mail?.body.text).toMatch(c.mailWhere);
  });
});
