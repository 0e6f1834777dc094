import { describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { bootstrapStandardError } from '../../src/stats/bootstrap';
import { meanEstimate } from '../../src/stats/estimate';

/** The mean of the resampled rows of `values`, as a bootstrap statistic. */
const resampledMean = (values: ArrayLike<number>) => (rows: Int32Array): number => {
  let s = 0;
  for (const r of rows) s += values[r];
  return s / rows.length;
};

describe('bootstrapStandardError', () => {
  it('is deterministic under a seed and differs under another', () => {
    const values = new Random(1).normals(50);
    const a = bootstrapStandardError(50, resampledMean(values), new Random(7), 100);
    const b = bootstrapStandardError(50, resampledMean(values), new Random(7), 100);
    const c = bootstrapStandardError(50, resampledMean(values), new Random(8), 100);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it('for the mean of a large sample, lands near the analytic SE s/√n', () => {
    const n = 2000;
    const values = new Random(3).normals(n).map((v) => 2 + 3 * v);
    const analytic = meanEstimate(values).standardError;
    const boot = bootstrapStandardError(n, resampledMean(values), new Random(4), 400);
    // With B = 400 resamples the relative error of a standard deviation is about 1/√(2B) ≈ 3.5%.
    expect(Math.abs(boot / analytic - 1)).toBeLessThan(0.15);
  });

  it('is the spread of the replicates: 0 for a statistic that does not depend on the rows', () => {
    expect(bootstrapStandardError(10, () => 4.2, new Random(1), 20)).toBe(0);
  });

  it('draws n indices in [0, n) per resample from the generator, in order', () => {
    const seen: number[] = [];
    bootstrapStandardError(3, (rows) => { seen.push(...rows); return rows[0]; }, new Random(5), 2);
    const reference = new Random(5);
    expect(seen).toEqual(Array.from({ length: 6 }, () => reference.integer(3)));
  });

  it('rejects bad input naming the argument', () => {
    const f = (): number => 0;
    expect(() => bootstrapStandardError(0, f, new Random(1))).toThrow(/bootstrapStandardError: n must be an integer >= 1/);
    expect(() => bootstrapStandardError(5, 3 as never, new Random(1))).toThrow(/bootstrapStandardError: statistic must be a function/);
    expect(() => bootstrapStandardError(5, f, {} as never)).toThrow(/bootstrapStandardError: random must be a Random/);
    expect(() => bootstrapStandardError(5, f, new Random(1), 1)).toThrow(/bootstrapStandardError: resamples must be an integer >= 2/);
  });
});
