import { describe, expect, it } from 'vitest';
import { BarrenLines } from '../../../functions/core/detect/barren-lines.ts';

describe('BarrenLines', () => {
  it('forgets a kind after its time, and the oldest kinds past its size', () => {
    const barren = new BarrenLines({ ttlMs: 1_000, maxEntries: 2 });
    barren.add('a', 0);
    expect(barren.has('a', 999)).toBe(true);
    expect(barren.has('a', 1_000)).toBe(false);

    barren.add('a', 2_000);
    barren.add('b', 2_000);
    // remembered again, `a` is the newest: `b` is the oldest when `c` comes
    barren.add('a', 2_100);
    barren.add('c', 2_200);
    expect(['a', 'b', 'c'].map((k) => barren.has(k, 2_300))).toEqual([true, false, true]);
  });

  it('takes a few reads a minute per log group, and counts the least recently read groups out first', () => {
    const barren = new BarrenLines({ readsPerWindow: 2, windowMs: 60_000, maxEntries: 2 });
    expect([0, 10, 20].map((at) => barren.takeRead('/ecs/orders', at))).toEqual([true, true, false]);
    // another group has its own
    expect(barren.takeRead('/ecs/billing', 30)).toBe(true);
    // a minute after the first read, one more
    expect(barren.takeRead('/ecs/orders', 60_000)).toBe(true);
    expect(barren.takeRead('/ecs/orders', 60_005)).toBe(false);
    // a third group counts the least recently read one (billing) out: it starts afresh
    barren.takeRead('/ecs/audit', 60_010);
    expect([barren.takeRead('/ecs/billing', 60_020), barren.takeRead('/ecs/billing', 60_030)]).toEqual([
      true,
      true,
    ]);
  });
});
