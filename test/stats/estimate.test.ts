import { describe, expect, it } from 'vitest';
import {
  independentDifference, meanAndStandardErrorOf, meanEstimate, meanOfIndependentEstimates, pairedDifference,
} from '../../src/stats/estimate';

describe('meanEstimate', () => {
  it('matches a hand computation: mean, s/√n with the n − 1 variance, and n', () => {
    // [1, 2, 3, 4]: mean 2.5, s² = (2.25 + 0.25 + 0.25 + 2.25)/3 = 5/3
    const m = meanEstimate([1, 2, 3, 4]);
    expect(m.mean).toBeCloseTo(2.5, 14);
    expect(m.standardError).toBeCloseTo(Math.sqrt(5 / 3 / 4), 14);
    expect(m.n).toBe(4);
    expect(meanEstimate(Float32Array.from([2, 2, 2])).standardError).toBe(0);
  });

  it('has a NaN standard error for one value (no spread to estimate)', () => {
    const m = meanEstimate([7]);
    expect(m.mean).toBe(7);
    expect(m.standardError).toBeNaN();
    expect(m.n).toBe(1);
  });

  it('does not cancel for a large offset (two passes, not Σv² − n·mean²)', () => {
    const m = meanEstimate([1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4]);
    expect(m.standardError).toBeCloseTo(Math.sqrt(5 / 3 / 4), 12);
  });

  it('rejects bad input naming the function and the argument', () => {
    expect(() => meanEstimate([1, NaN])).toThrow(/meanEstimate: values must contain finite numbers, got NaN at index 1/);
    expect(() => meanEstimate([])).toThrow(/meanEstimate: values must hold at least 1 number/);
    expect(() => meanEstimate('12' as never)).toThrow(/meanEstimate: values must be a number\[\]/);
  });
});

describe('meanAndStandardErrorOf', () => {
  it('summarises the slice [start, start + count) only, as meanEstimate of that slice', () => {
    const values = [100, 1, 2, 3, 4, -100];
    expect(meanAndStandardErrorOf(values, 1, 4)).toEqual(meanEstimate([1, 2, 3, 4]));
    expect(meanAndStandardErrorOf(values, 5, 1).standardError).toBeNaN();
  });
});

describe('pairedDifference', () => {
  it('is meanEstimate of the differences a_i − b_i', () => {
    const a = [3, 5, 7, 4.5];
    const b = [1, 2, 3, 4];
    expect(pairedDifference(a, b)).toEqual(meanEstimate([2, 3, 4, 0.5]));
    // differences 2, 3, 4: mean 3, s² = 1, SE = 1/√3
    const d = pairedDifference([3, 5, 7], [1, 2, 3]);
    expect(d.mean).toBeCloseTo(3, 14);
    expect(d.standardError).toBeCloseTo(1 / Math.sqrt(3), 14);
    expect(d.n).toBe(3);
  });

  it('removes a shared spread that an independent difference keeps', () => {
    const b = [0, 10, 20, 30, 40];
    const a = b.map((v, i) => v + 1 + 0.1 * i);
    const paired = pairedDifference(a, b);
    const independent = independentDifference(meanEstimate(a), meanEstimate(b));
    expect(paired.mean).toBeCloseTo(independent.mean, 12);
    expect(paired.standardError).toBeLessThan(independent.standardError / 50);
  });

  it('rejects bad input naming the function and the argument', () => {
    expect(() => pairedDifference([1, 2], [1, 2, 3])).toThrow(/pairedDifference: a and b must have the same length/);
    expect(() => pairedDifference([1], [1])).toThrow(/pairedDifference: a must hold at least 2 numbers/);
    expect(() => pairedDifference([1, 2], [1, Infinity])).toThrow(/pairedDifference: b must contain finite numbers/);
  });
});

describe('independentDifference', () => {
  it('subtracts the means and adds the variances: SE = √(SE_a² + SE_b²)', () => {
    const d = independentDifference({ mean: 5, standardError: 0.3, n: 10 }, { mean: 2, standardError: 0.4, n: 20 });
    expect(d.mean).toBe(3);
    expect(d.standardError).toBeCloseTo(0.5, 14);
  });

  it('matches a hand computation from two samples', () => {
    const se1 = Math.sqrt((((1 - 2.5) ** 2 + (2 - 2.5) ** 2 + (3 - 2.5) ** 2 + (4 - 2.5) ** 2) / 3) / 4);
    const se2 = Math.sqrt((((0 - 1) ** 2 * 2 + (3 - 1) ** 2) / 2) / 3);
    const d = independentDifference(meanEstimate([1, 2, 3, 4]), meanEstimate([0, 0, 3]));
    expect(d.mean).toBeCloseTo(1.5, 14);
    expect(d.standardError).toBeCloseTo(Math.sqrt(se1 ** 2 + se2 ** 2), 14);
  });

  it('rejects a non-estimate naming the argument', () => {
    expect(() => independentDifference({ mean: 1, standardError: 0, n: 1 }, null as never)).toThrow(/independentDifference: b must be an estimate/);
  });
});

describe('meanOfIndependentEstimates', () => {
  it('averages the means; SE = √(Σ SE_i²) / n', () => {
    const b = meanOfIndependentEstimates(Float64Array.from([1, 3]), Float64Array.from([0.3, 0.4]));
    expect(b.mean).toBe(2);
    expect(b.standardError).toBeCloseTo(0.25, 14);
  });

  it('rejects mismatched lengths naming the argument', () => {
    expect(() => meanOfIndependentEstimates([1, 2], [0.1])).toThrow(/meanOfIndependentEstimates: standardErrors must be an array of the same length/);
    expect(() => meanOfIndependentEstimates([], [])).toThrow(/meanOfIndependentEstimates: means must be a non-empty array/);
  });
});
