import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStateDatabase, SqliteIncidentStore } from '../../functions/adapters/sqlite-incident-store.ts';
import type { OccurrenceInput } from '../../functions/core/ports/incident-store.ts';
import { describeIncidentStoreContract } from './incident-store.contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'ai-ops-sqlite-'));
const shared = new SqliteIncidentStore({ path: join(dir, 'state.db') });
afterAll(() => {
  shared.database.close();
  rmSync(dir, { recursive: true, force: true });
});

describeIncidentStoreContract('SQLite file', () => shared);
describeIncidentStoreContract('SQLite in memory', () => new SqliteIncidentStore({ path: ':memory:' }));

function occurrence(overrides: Partial<OccurrenceInput> = {}): OccurrenceInput {
  return {
    incidentKey: 'acme/shop#abc',
    repo: { owner: 'acme', name: 'shop', baseBranch: 'main', pathPrefix: '' },
    fingerprint: 'abc',
    count: 1,
    firstSeen: 1,
    lastSeen: 2,
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
      eventIds: ['app.log:0'],
    },
    ttl: 100,
    batchId: 'b1',
    ...overrides,
  };
}

describe('SqliteIncidentStore on a state file', () => {
  it('keeps incidents across a reopen of the same file, and lists them with their status', async () => {
    const path = join(dir, 'reopen.db');
    const first = new SqliteIncidentStore({ path });
    await first.recordOccurrence(occurrence());
    await first.transition({ incidentKey: 'acme/shop#abc', from: 'new', to: 'queued' });
    first.database.close();

    const second = new SqliteIncidentStore({ database: openStateDatabase({ path }) });
    const again = await second.recordOccurrence(occurrence({ batchId: 'b2', count: 4 }));

    expect(again).toMatchObject({ kind: 'existing', incident: { status: 'queued', count: 5 } });
    expect(second.list().map((i) => [i.incidentKey, i.status])).toEqual([['acme/shop#abc', 'queued']]);
    second.database.close();
  });

  it('does not count a batch replayed after a restart (the follower re-reads uncommitted lines)', async () => {
    const store = new SqliteIncidentStore({ path: ':memory:' });
    await store.recordOccurrence(occurrence({ batchId: 'lines-0-100' }));
    const replay = await store.recordOccurrence(occurrence({ batchId: 'lines-0-100' }));
    expect(replay.kind).toBe('duplicate');
    expect((await store.get('acme/shop#abc'))?.count).toBe(1);
  });

  it('lets only one of two stores on the same file claim an incident', async () => {
    const path = join(dir, 'two-processes.db');
    const a = new SqliteIncidentStore({ path });
    const b = new SqliteIncidentStore({ path });
    await a.recordOccurrence(occurrence());
    const claims = [
      await a.transition({ incidentKey: 'acme/shop#abc', from: 'new', to: 'analyzing' }),
      await b.transition({ incidentKey: 'acme/shop#abc', from: 'new', to: 'analyzing' }),
    ];
    expect(claims).toEqual([true, false]);
    a.database.close();
    b.database.close();
  });

  it('sets the incident page flags without touching the status, and refuses an unknown incident', async () => {
    const store = new SqliteIncidentStore({ path: ':memory:' });
    await store.recordOccurrence(occurrence());

    expect(
      await store.setFlags({ incidentKey: 'acme/shop#abc', flags: { snoozedUntil: 5000, ignored: true } }),
    ).toBe(true);
    expect(await store.setFlags({ incidentKey: 'acme/shop#nope', flags: { ignored: true } })).toBe(false);

    expect(await store.get('acme/shop#abc')).toMatchObject({
      status: 'new',
      snoozedUntil: 5000,
      ignored: true,
    });
  });
});
