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
});
