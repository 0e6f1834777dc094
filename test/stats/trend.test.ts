import { describe, expect, it } from 'vitest';
import { monotoneTrend } from '../../src/stats/trend';
import { Random } from '../../src/random';

describe('monotoneTrend', () => {
  const noise = (seed: number, n: number): Float64Array => Float64Array.from(new Random(seed).normals(n));
  it('passes a clear decrease and fails a step up far beyond its standard error', () => {
    const base = noise(1, 400);
    const series = [0, 1, 2].map((k) => base.map((v, i) => 10 - 3 * k + 0.1 * noise(10 + k, 400)[i] + v));
    expect(monotoneTrend(series, 'nonIncreasing').allHold).toBe(true);
    expect(monotoneTrend(series, 'nonDecreasing').allHold).toBe(false);
    const up = [series[0], series[0].map((v) => v + 1)];
    const check = monotoneTrend(up, 'nonIncreasing', 4);
    expect(check.allHold).toBe(false);
    expect(check.steps[0].difference).toBeCloseTo(1, 10);
  });
  it('allows a wrong-way step within sigmas·SE (noise)', () => {
    const a = noise(2, 400);
    const b = Float64Array.from(a, (v, i) => v + 0.02 + noise(3, 400)[i]); // up by 0.02 with SE ≈ 0.05
    const check = monotoneTrend([a, b], 'nonIncreasing', 4);
    expect(check.steps[0].standardError).toBeGreaterThan(0.03);
    expect(check.allHold).toBe(true);
  });
  it('judges each step on the paired mean and SE of its differences (hand values)', () => {
    // step 0 → 1: differences 1, 2, 3: mean 2, s = 1, SE = 1/√3; step 1 → 2: differences −1, −1, −1: SE 0
    const check = monotoneTrend([[0, 0, 0], [1, 2, 3], [0, 1, 2]], 'nonIncreasing', 1);
    expect(check.steps.map((s) => [s.from, s.to])).toEqual([[0, 1], [1, 2]]);
    expect(check.steps[0].difference).toBeCloseTo(2, 14);
    expect(check.steps[0].standardError).toBeCloseTo(1 / Math.sqrt(3), 14);
    expect(check.steps[0].slack).toBeCloseTo(1 / Math.sqrt(3), 14);
    expect(check.steps[0].holds).toBe(false); // 2 > 1·0.577
    expect(check.steps[1]).toMatchObject({ difference: -1, standardError: 0, slack: 0, holds: true });
    // with 4 SE of slack the wrong-way step 2 ≤ 4/√3 ≈ 2.31 is allowed
    expect(monotoneTrend([[0, 0, 0], [1, 2, 3]], 'nonIncreasing', 4).allHold).toBe(true);
    expect(monotoneTrend([[0, 0, 0], [1, 2, 3]], 'nonIncreasing', 3).allHold).toBe(false);
  });
  it('rejects a sweep of one entry, an unknown direction and a negative sigmas', () => {
    expect(() => monotoneTrend([[1, 2]], 'nonIncreasing')).toThrow(/monotoneTrend: perExample must be an array of at least 2/);
    expect(() => monotoneTrend([[1, 2], [2, 3]], 'up' as 'nonIncreasing')).toThrow(/monotoneTrend: direction must be/);
    expect(() => monotoneTrend([[1, 2], [2, 3]], 'nonIncreasing', -1)).toThrow(/monotoneTrend: sigmas must be a finite number >= 0/);
    expect(() => monotoneTrend([[1, 2], [2, 3, 4]], 'nonIncreasing')).toThrow(/pairedDifference: a and b must have the same length/);
  });
});
