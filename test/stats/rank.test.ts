import { describe, expect, it } from 'vitest';
import { averageRanks, spearmanCorrelation } from '../../src/stats/rank';

describe('averageRanks', () => {
  it('ranks 1..n with ties sharing their average rank', () => {
    expect(Array.from(averageRanks([5, 9, 7, 7]))).toEqual([1, 4, 2.5, 2.5]);
    expect(Array.from(averageRanks([3, 3, 3]))).toEqual([2, 2, 2]);
  });
});

describe('spearmanCorrelation', () => {
  it('is +1 for monotone increasing data and −1 for decreasing data, whatever the scale', () => {
    expect(spearmanCorrelation([1, 2, 3, 4], [1, 8, 27, 64])).toBeCloseTo(1, 14);
    expect(spearmanCorrelation([0, 0.25, 1, 16], [50, 20, 3, 0.1])).toBeCloseTo(-1, 14);
  });

  it('matches a hand computation with ties', () => {
    // ranks x = [1, 2.5, 2.5, 4], y = [1, 3, 2, 4], mean 2.5: sxy = 4.5, sxx = 4.5, syy = 5
    expect(spearmanCorrelation([1, 2, 2, 3], [1, 3, 2, 4])).toBeCloseTo(4.5 / Math.sqrt(4.5 * 5), 14);
  });

  it('without ties equals 1 − 6 Σ d² / (n(n² − 1))', () => {
    const x = [0.3, 1.2, -0.5, 2.2, 0.9, 1.7];
    const y = [1.0, 0.2, 0.1, 3.0, 2.5, 0.4];
    // ranks x = [2, 4, 1, 6, 3, 5], y = [4, 2, 1, 6, 5, 3]: d² = 4, 4, 0, 0, 4, 4
    const n = 6;
    expect(spearmanCorrelation(x, y)).toBeCloseTo(1 - (6 * 16) / (n * (n * n - 1)), 14);
  });

  it('rejects constant, short, mismatched or non-finite input naming the argument', () => {
    expect(() => spearmanCorrelation([1, 1, 1], [1, 2, 3])).toThrow(/spearmanCorrelation: x and y must each hold at least two different values/);
    expect(() => spearmanCorrelation([1], [1])).toThrow(/spearmanCorrelation: x must hold at least 2 numbers/);
    expect(() => spearmanCorrelation([1, 2], [1, 2, 3])).toThrow(/spearmanCorrelation: x and y must have the same length/);
    expect(() => spearmanCorrelation([1, 2], [NaN, 2])).toThrow(/spearmanCorrelation: y must contain finite numbers/);
  });
});
