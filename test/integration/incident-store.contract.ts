import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ErrorRecord, RepoRef } from '../../functions/core/contracts.ts';
import { IncidentTransitionError } from '../../functions/core/incident/incident-rules.ts';
import type { ListableIncidentStore, OccurrenceInput } from '../../functions/core/ports/incident-store.ts';

const REPO: RepoRef = { owner: 'acme', name: 'shop', baseBranch: 'main', pathPrefix: '' };

function makeSample(overrides: Partial<ErrorRecord> = {}): ErrorRecord {
  return {
    language: 'python',
    exceptionType: 'KeyError',
    message: "'sku'",
    frames: [{ file: 'app/cart.py', line: 3, function: 'price', inApp: true }],
    causes: [],
    raw: 'Traceback (most recent call last):\n  File "app/cart.py", line 3, in price\nKeyError: \'sku\'',
    logGroup: '/aws/lambda/orders',
    logStream: 'stream-1',
    timestamp: 1_714_564_800_000,
    eventIds: ['e1'],
    ...overrides,
  };
}

function makeOccurrence(overrides: Partial<OccurrenceInput> = {}): OccurrenceInput {
  const fingerprint = overrides.fingerprint ?? randomUUID().replaceAll('-', '');
  return {
    incidentKey: `${REPO.owner}/${REPO.name}#${fingerprint}`,
    repo: REPO,
    fingerprint,
    count: 1,
    firstSeen: 1_714_564_800_000,
    lastSeen: 1_714_564_800_000,
    sample: makeSample(),
    ttl: 1_722_340_800,
    batchId: randomUUID(),
    ...overrides,
  };
}

/**
 * The behaviour every IncidentStore must have, run against each implementation (memory,
 * DynamoDB through dynalite, the local runner's file store). `makeStore` may return the same
 * store every time: each test uses incident keys of its own.
 */
export function describeIncidentStoreContract(
  name: string,
  makeStore: () => ListableIncidentStore | Promise<ListableIncidentStore>,
) {
  describe(`IncidentStore contract: ${name}`, () => {
    it('creates an unknown incident as new, with count, times, sample, ttl and zeroed attempts and cost', async () => {
      const store = await makeStore();
      const input = makeOccurrence({ count: 7, firstSeen: 100, lastSeen: 200 });

      const result = await store.recordOccurrence(input);

      expect(result.kind).toBe('created');
      const expected = {
        incidentKey: input.incidentKey,
        repo: REPO,
        fingerprint: input.fingerprint,
        status: 'new',
        count: 7,
        firstSeen: 100,
        lastSeen: 200,
        sample: input.sample,
        attempts: 0,
        costUsd: 0,
        ttl: input.ttl,
      };
      expect(result.incident).toEqual(expected);
      expect(await store.get(input.incidentKey)).toEqual(expected);
    });

    it('adds the occurrences of a known incident, keeps its first sample and firstSeen, refreshes lastSeen and ttl', async () => {
      const store = await makeStore();
      const first = makeOccurrence({ count: 2, firstSeen: 100, lastSeen: 150 });
      await store.recordOccurrence(first);

      const result = await store.recordOccurrence({
        ...first,
        count: 5,
        firstSeen: 300,
        lastSeen: 400,
        ttl: first.ttl + 60,
        sample: makeSample({ message: 'another' }),
        batchId: randomUUID(),
      });

      expect(result.kind).toBe('existing');
      expect(result.incident).toMatchObject({ count: 7, firstSeen: 100, lastSeen: 400, ttl: first.ttl + 60 });
      expect(result.incident.sample.message).toBe(first.sample.message);
    });

    it('does not count the same batch twice in a row (a redelivered payload)', async () => {
      const store = await makeStore();
      const input = makeOccurrence({ count: 3 });
      await store.recordOccurrence(input);

      const result = await store.recordOccurrence(input);

      expect(result).toMatchObject({ kind: 'duplicate', incident: { count: 3, status: 'new' } });
      expect((await store.get(input.incidentKey))?.count).toBe(3);
    });

    it('creates exactly once under concurrent first writes, and loses no occurrence', async () => {
      const store = await makeStore();
      const base = makeOccurrence();
      const results = await Promise.all(
        Array.from({ length: 8 }, () => store.recordOccurrence({ ...base, count: 2, batchId: randomUUID() })),
      );
      expect(results.filter((r) => r.kind === 'created')).toHaveLength(1);
      expect((await store.get(base.incidentKey))?.count).toBe(16);
    });

    it('changes status only from the status the caller saw', async () => {
      const store = await makeStore();
      const input = makeOccurrence();
      await store.recordOccurrence(input);

      expect(await store.transition({ incidentKey: input.incidentKey, from: 'new', to: 'queued' })).toBe(
        true,
      );
      expect(await store.transition({ incidentKey: input.incidentKey, from: 'new', to: 'queued' })).toBe(
        false,
      );
      expect((await store.get(input.incidentKey))?.status).toBe('queued');
    });

    it('lets exactly one of two racing claims win', async () => {
      const store = await makeStore();
      const input = makeOccurrence();
      await store.recordOccurrence(input);
      await store.transition({ incidentKey: input.incidentKey, from: 'new', to: 'queued' });

      const claims = await Promise.all([
        store.transition({ incidentKey: input.incidentKey, from: 'queued', to: 'analyzing' }),
        store.transition({ incidentKey: input.incidentKey, from: 'queued', to: 'analyzing' }),
      ]);

      expect(claims.filter(Boolean)).toHaveLength(1);
    });

    it('sets fields together with the status', async () => {
      const store = await makeStore();
      const input = makeOccurrence();
      await store.recordOccurrence(input);
      for (const [from, to] of [
        ['new', 'queued'],
        ['queued', 'analyzing'],
      ] as const) {
        await store.transition({ incidentKey: input.incidentKey, from, to });
      }

      const moved = await store.transition({
        incidentKey: input.incidentKey,
        from: 'analyzing',
        to: 'pr_open',
        set: {
          prUrl: 'https://github.com/acme/shop/pull/7',
          prNumber: 7,
          branch: 'fix/key-error-abc',
          costUsd: 0.42,
          attempts: 1,
        },
      });

      expect(moved).toBe(true);
      expect(await store.get(input.incidentKey)).toMatchObject({
        status: 'pr_open',
        prUrl: 'https://github.com/acme/shop/pull/7',
        prNumber: 7,
        branch: 'fix/key-error-abc',
        costUsd: 0.42,
        attempts: 1,
      });
    });

    it('returns false for an incident that does not exist, and creates nothing', async () => {
      const store = await makeStore();
      const key = makeOccurrence().incidentKey;
      expect(await store.transition({ incidentKey: key, from: 'new', to: 'queued' })).toBe(false);
      expect(await store.get(key)).toBeUndefined();
    });

    it('refuses a transition the lifecycle forbids', async () => {
      const store = await makeStore();
      const input = makeOccurrence();
      await store.recordOccurrence(input);
      await expect(
        store.transition({ incidentKey: input.incidentKey, from: 'new', to: 'pr_open' }),
      ).rejects.toBeInstanceOf(IncidentTransitionError);
      expect((await store.get(input.incidentKey))?.status).toBe('new');
    });

    it('keeps a large, nested sample intact', async () => {
      const store = await makeStore();
      const cause = makeSample({ exceptionType: 'OSError', message: 'disk', causes: [] });
      const sample = makeSample({ raw: 'x'.repeat(100_000), causes: [cause], eventIds: ['a', 'b', 'c'] });
      const input = makeOccurrence({ sample });
      await store.recordOccurrence(input);
      expect((await store.get(input.incidentKey))?.sample).toEqual(sample);
    });

    it('claims by attempt count, so two workers cannot both resume one job', async () => {
      const store = await makeStore();
      const input = makeOccurrence();
      await store.recordOccurrence(input);
      const claim = { incidentKey: input.incidentKey, from: 'new' as const, to: 'analyzing' as const };
      expect(await store.transition({ ...claim, expectAttempts: 0, set: { attempts: 1 } })).toBe(true);
      const resume = { incidentKey: input.incidentKey, from: 'analyzing' as const, to: 'analyzing' as const };
      const results = await Promise.all([
        store.transition({ ...resume, expectAttempts: 1, set: { attempts: 2 } }),
        store.transition({ ...resume, expectAttempts: 1, set: { attempts: 2 } }),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await store.get(input.incidentKey))?.attempts).toBe(2);
    });

    it('fences on the exact lease: a write expecting a lease that was taken over is refused', async () => {
      const store = await makeStore();
      const input = makeOccurrence();
      await store.recordOccurrence(input);
      const key = { incidentKey: input.incidentKey };
      const a = { owner: 'run-a', until: 1000 };
      const b = { owner: 'run-b', until: 2000 };
      // the detector's queue lease, only when there is none yet
      expect(
        await store.transition({ ...key, from: 'new', to: 'queued', expectLease: null, set: { lease: a } }),
      ).toBe(true);
      expect(
        await store.transition({
          ...key,
          from: 'queued',
          to: 'queued',
          expectLease: null,
          set: { lease: b },
        }),
      ).toBe(false);
      // a claim takes over the exact lease it saw; the old holder's renewal is then refused
      const claims = await Promise.all([
        store.transition({ ...key, from: 'queued', to: 'analyzing', expectLease: a, set: { lease: b } }),
        store.transition({ ...key, from: 'queued', to: 'analyzing', expectLease: a, set: { lease: b } }),
      ]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(
        await store.transition({
          ...key,
          from: 'analyzing',
          to: 'analyzing',
          expectLease: a,
          set: { lease: a },
        }),
      ).toBe(false);
      expect(await store.get(input.incidentKey)).toMatchObject({ status: 'analyzing', lease: b });
      // released: removed with the outcome, and then only a claim expecting none succeeds
      expect(
        await store.transition({
          ...key,
          from: 'analyzing',
          to: 'failed',
          expectLease: b,
          set: { lease: undefined },
        }),
      ).toBe(true);
      expect((await store.get(input.incidentKey))?.lease).toBeUndefined();
      expect(await store.transition({ ...key, from: 'failed', to: 'analyzing', expectLease: b })).toBe(false);
      expect(await store.transition({ ...key, from: 'failed', to: 'analyzing', expectLease: null })).toBe(
        true,
      );
    });

    it('keeps an outbox entry and removes it once sent', async () => {
      const store = await makeStore();
      const input = makeOccurrence();
      await store.recordOccurrence(input);
      const key = { incidentKey: input.incidentKey };
      const pendingEmail = { key: `${input.incidentKey}#pr_open#1`, recordedAt: 5, tries: 0 };
      await store.transition({ ...key, from: 'new', to: 'analyzing' });
      await store.transition({ ...key, from: 'analyzing', to: 'pr_open', set: { pendingEmail } });
      expect((await store.get(input.incidentKey))?.pendingEmail).toEqual(pendingEmail);
      await store.transition({
        ...key,
        from: 'pr_open',
        to: 'pr_open',
        set: { pendingEmail: undefined, emailedAt: 6 },
      });
      expect(await store.get(input.incidentKey)).toMatchObject({ emailedAt: 6 });
      expect((await store.get(input.incidentKey))?.pendingEmail).toBeUndefined();
    });

    it('lists incidents by status, bounded by the limit, and only those still in it', async () => {
      const store = await makeStore();
      const inputs = [makeOccurrence(), makeOccurrence(), makeOccurrence()];
      const steps = [
        ['new', 'analyzing'],
        ['analyzing', 'pr_open'],
        ['pr_open', 'resolved_pending'],
      ] as const;
      for (const input of inputs) {
        await store.recordOccurrence(input);
        for (const [from, to] of steps) await store.transition({ incidentKey: input.incidentKey, from, to });
      }
      const keys = inputs.map((input) => input.incidentKey);
      // A store may be shared by the suite: only this test's keys are compared exactly.
      const mine = async (limit: number) =>
        (await store.listByStatus('resolved_pending', { limit })).filter((i) => keys.includes(i.incidentKey));

      const all = await store.listByStatus('resolved_pending', { limit: 1000 });
      expect(all.every((incident) => incident.status === 'resolved_pending')).toBe(true);
      expect((await mine(1000)).map((i) => i.incidentKey).sort()).toEqual([...keys].sort());
      expect((await mine(1000))[0]).toEqual(await store.get((await mine(1000))[0]?.incidentKey ?? ''));
      expect(await store.listByStatus('resolved_pending', { limit: 2 })).toHaveLength(2);
      expect(await store.listByStatus('resolved_pending', { limit: 0 })).toEqual([]);

      const [first] = keys;
      await store.transition({ incidentKey: first ?? '', from: 'resolved_pending', to: 'resolved' });
      expect((await mine(1000)).map((i) => i.incidentKey).sort()).toEqual(keys.slice(1).sort());
      expect((await store.listByStatus('resolved', { limit: 1000 })).map((i) => i.incidentKey)).toContain(
        first,
      );
    });

    it('stores the analysis and removes a field given as undefined', async () => {
      const store = await makeStore();
      const input = makeOccurrence();
      await store.recordOccurrence(input);
      const analysis = {
        title: 'Guard the missing sku',
        rootCause: 'the cart assumes every line has a sku',
        explanation: 'skip lines without one',
        confidence: 'medium' as const,
        changes: [{ path: 'app/cart.py', additions: 2, deletions: 1 }],
        model: 'claude-sonnet-4-6',
        notes: '',
      };
      const key = { incidentKey: input.incidentKey };
      await store.transition({ ...key, from: 'new', to: 'analyzing', set: { analysis, emailedAt: 5 } });
      expect(await store.get(input.incidentKey)).toMatchObject({ analysis, emailedAt: 5 });
      await store.transition({ ...key, from: 'analyzing', to: 'analyzing', set: { emailedAt: undefined } });
      expect((await store.get(input.incidentKey))?.emailedAt).toBeUndefined();
    });
  });
}
