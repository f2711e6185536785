import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openStateDatabase, SqliteIncidentStore } from '../../../functions/adapters/sqlite-incident-store.ts';
import { resumeIncidents } from '../../../functions/core/incident/sweep-incidents.ts';
import { runRetry } from '../../../functions/local/commands/retry-command.ts';
import { runWatch } from '../../../functions/local/commands/watch-command.ts';
import { useTempDirs } from '../../support/temp-dirs.ts';

const tempDir = useTempDirs();

function io() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  return { io: { stdin: new PassThrough(), stdout, stderr }, out: () => out, err: () => err };
}

function dir() {
  const d = tempDir('ai-ops-state-');
  writeFileSync(join(d, 'app.log'), 'INFO fine\n');
  return d;
}

describe('a state file ai-ops cannot use', () => {
  it.each([
    ['corrupt', (path: string) => writeFileSync(path, 'this is not a database, just bytes\n'.repeat(200))],
    [
      'foreign',
      (path: string) => {
        const db = new Database(path);
        db.exec(
          "CREATE TABLE incidents (id INTEGER PRIMARY KEY, title TEXT); INSERT INTO incidents VALUES (1, 'x')",
        );
        db.close();
      },
    ],
  ])('%s → one sentence naming the file and how to recover, exit 2, no stack trace', async (_kind, make) => {
    const d = dir();
    const state = join(d, 'state.db');
    make(state);
    const { io: cli, err } = io();

    const code = await runWatch(['--once', '--state', state, join(d, 'app.log')], cli, {
      env: {},
      cwd: d,
      isTty: false,
    });

    expect(code).toBe(2);
    const lines = err().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(state);
    expect(lines[0]).toContain(`mv "${state}" "${state}.bad"`);
    expect(err()).not.toMatch(/^\s+at /m);
  });
});

describe('ai-ops retry <incident>', () => {
  async function seeded(status: 'failed' | 'pr_open') {
    const d = dir();
    const path = join(d, 'state.db');
    const database = openStateDatabase({ path });
    const store = new SqliteIncidentStore({ database });
    const incidentKey = 'acme/shop#0123456789abcdef';
    await store.recordOccurrence({
      incidentKey,
      repo: { owner: 'acme', name: 'shop', baseBranch: 'main', pathPrefix: '' },
      fingerprint: '0123456789abcdef',
      count: 1,
      firstSeen: 1,
      lastSeen: 1,
      sample: {
        language: 'python',
        exceptionType: 'KeyError',
        message: "'sku'",
        frames: [],
        causes: [],
        raw: "KeyError: 'sku'",
        logGroup: 'app.log',
        logStream: 'app.log',
        timestamp: 1,
        eventIds: ['e'],
      },
      ttl: 1,
      batchId: 'b',
    });
    await store.transition({ incidentKey, from: 'new', to: 'analyzing', set: { attempts: 5 } });
    await store.transition({
      incidentKey,
      from: 'analyzing',
      to: status,
      set: { lastError: 'Anthropic down' },
    });
    return { d, path, database, store, incidentKey };
  }

  it('sends a failed incident (attempts spent) back to new, and the next resume queues it', async () => {
    const { d, path, database, store, incidentKey } = await seeded('failed');
    const { io: cli, out } = io();

    const code = await runRetry(['--state', path, 'acme/shop#01234567'], cli, { env: {}, cwd: d });

    expect(code).toBe(0);
    expect(out()).toContain(incidentKey);
    expect(await store.get(incidentKey)).toMatchObject({ status: 'new' });
    const jobs: string[] = [];
    const results = await resumeIncidents({
      store,
      queue: {
        enqueue: async (list) => {
          jobs.push(...list.map((j) => j.incidentKey));
          return { sent: list.map((j) => j.incidentKey), failed: [] };
        },
      },
      followUpDeps: async () => {
        throw new Error('not needed');
      },
    });
    expect(results).toEqual([{ incidentKey, kind: 'resumed', from: 'new' }]);
    expect(jobs).toEqual([incidentKey]);
    database.close();
  });

  it('refuses an incident whose PR is open (exit 1) and an unknown one (exit 2)', async () => {
    const { d, path, database } = await seeded('pr_open');
    const first = io();
    expect(await runRetry(['--state', path, 'acme/shop#0123'], first.io, { env: {}, cwd: d })).toBe(1);
    expect(first.err()).toContain('pr_open');
    const second = io();
    expect(await runRetry(['--state', path, 'acme/shop#ffff'], second.io, { env: {}, cwd: d })).toBe(2);
    database.close();
  });
});
