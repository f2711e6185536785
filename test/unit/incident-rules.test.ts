import { describe, expect, it } from 'vitest';
import { IncidentStatusSchema } from '../../functions/core/contracts.ts';
import {
  assertTransition,
  buildIncidentKey,
  canTransition,
  computeTtl,
  DEFAULT_REGRESSION_GRACE_MS,
  decideRecurrence,
  IncidentTransitionError,
  parseIncidentKey,
} from '../../functions/core/incident/incident-rules.ts';

describe('incident transitions', () => {
  it.each([
    ['new', 'queued'],
    ['queued', 'analyzing'],
    ['analyzing', 'pr_open'],
    ['analyzing', 'no_fix'],
    ['analyzing', 'failed'],
    ['analyzing', 'skipped'],
    ['pr_open', 'resolved_pending'],
    ['resolved_pending', 'resolved'],
    ['resolved', 'new'],
    ['resolved_pending', 'new'],
    ['new', 'analyzing'],
  ] as const)('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(() => assertTransition(from, to)).not.toThrow();
  });

  it.each([
    ['new', 'pr_open'],
    ['queued', 'resolved'],
    ['no_fix', 'queued'],
    ['failed', 'pr_open'],
    ['dismissed', 'analyzing'],
    ['resolved', 'queued'],
    ['pr_open', 'new'],
  ] as const)('forbids %s → %s with a named error', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    const error = (() => {
      try {
        assertTransition(from, to);
      } catch (e: unknown) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(IncidentTransitionError);
    expect(error).toMatchObject({ code: 'invalid_transition', from, to });
  });

  it('lets a status stay only where the analyzer records progress or an email in place, or the sweep re-queues', () => {
    const staying = IncidentStatusSchema.options.filter((status) => canTransition(status, status));
    expect(staying).toEqual(['queued', 'analyzing', 'pr_open', 'no_fix', 'failed']);
  });

  it('lets a person try again after no_fix, failed, skipped or a dismissed PR', () => {
    for (const from of ['no_fix', 'failed', 'skipped', 'dismissed'] as const)
      expect(canTransition(from, 'new')).toBe(true);
  });

  it('reopens a dismissed incident only after the grace period from the close', () => {
    const closedAt = 1_000_000;
    expect(decideRecurrence('dismissed', { dismissedAt: closedAt, now: closedAt + 1000 })).toEqual({
      kind: 'count_only',
    });
    expect(
      decideRecurrence('dismissed', { dismissedAt: closedAt, now: closedAt + DEFAULT_REGRESSION_GRACE_MS }),
    ).toEqual({ kind: 'enqueue', reopenFrom: 'dismissed' });
  });
});

describe('decideRecurrence', () => {
  it('enqueues again an incident an earlier delivery left new (its job never reached the queue)', () => {
    expect(decideRecurrence('new')).toEqual({ kind: 'enqueue' });
  });

  it('reopens a resolved incident', () => {
    expect(decideRecurrence('resolved')).toEqual({ kind: 'enqueue', reopenFrom: 'resolved' });
  });

  it('never reopens an incident with a job or PR in flight, whatever an old retryAfter says', () => {
    for (const status of ['queued', 'analyzing', 'pr_open'] as const) {
      expect(decideRecurrence(status, { retryAfter: 1, now: 2 })).toEqual({ kind: 'count_only' });
    }
  });

  it('reopens a skipped incident once its spend cap has reset, not before', () => {
    expect(decideRecurrence('skipped', { retryAfter: 2_000, now: 1_000 })).toEqual({ kind: 'count_only' });
    expect(decideRecurrence('skipped', { retryAfter: 2_000, now: 2_000 })).toEqual({
      kind: 'enqueue',
      reopenFrom: 'skipped',
    });
  });

  it.each(['queued', 'analyzing', 'pr_open', 'resolved_pending', 'no_fix', 'failed', 'skipped'] as const)(
    'only counts a recurrence of a %s incident',
    (status) => {
      expect(decideRecurrence(status)).toEqual({ kind: 'count_only' });
    },
  );

  it('reopens a merged fix as a regression only after the grace period for its deploy', () => {
    const mergedAt = 1_000_000;
    const grace = 10 * 60 * 1000;
    expect(
      decideRecurrence('resolved_pending', { mergedAt, regressionGraceMs: grace, now: mergedAt + grace - 1 }),
    ).toEqual({ kind: 'count_only' });
    expect(
      decideRecurrence('resolved_pending', { mergedAt, regressionGraceMs: grace, now: mergedAt + grace }),
    ).toEqual({ kind: 'enqueue', reopenFrom: 'resolved_pending' });
    // A stale spend-cap retry time never reopens a merged fix by itself.
    expect(decideRecurrence('resolved_pending', { retryAfter: 0, now: mergedAt })).toEqual({
      kind: 'count_only',
    });
  });

  it('reopens only through a transition the lifecycle allows', () => {
    for (const status of IncidentStatusSchema.options) {
      const action = decideRecurrence(status, { retryAfter: 0, mergedAt: 0, now: Date.now() });
      if (action.kind === 'enqueue' && action.reopenFrom)
        expect(canTransition(action.reopenFrom, 'new')).toBe(true);
    }
  });
});

describe('incident keys', () => {
  it('is owner/name#fingerprint and parses back', () => {
    const key = buildIncidentKey({ repo: { owner: 'acme', name: 'shop' }, fingerprint: '9a37fcc8' });
    expect(key).toBe('acme/shop#9a37fcc8');
    expect(parseIncidentKey(key)).toEqual({ owner: 'acme', name: 'shop', fingerprint: '9a37fcc8' });
  });

  it('differs per repository for the same fingerprint', () => {
    const a = buildIncidentKey({ repo: { owner: 'acme', name: 'shop' }, fingerprint: 'f' });
    const b = buildIncidentKey({ repo: { owner: 'acme', name: 'billing' }, fingerprint: 'f' });
    expect(a).not.toBe(b);
  });

  it('rejects what is not a key', () => {
    expect(parseIncidentKey('acme-shop-f')).toBeUndefined();
    expect(parseIncidentKey('acme/shop#')).toBeUndefined();
  });
});

describe('computeTtl', () => {
  it('is epoch seconds ttlDays after now', () => {
    expect(computeTtl({ nowMs: 1_714_564_800_123, ttlDays: 90 })).toBe(1_714_564_800 + 90 * 86_400);
  });

  it('is an integer for fractional days', () => {
    expect(Number.isInteger(computeTtl({ nowMs: 1_000_500, ttlDays: 0.5 }))).toBe(true);
  });
});
