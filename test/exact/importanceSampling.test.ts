import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { LinearGaussianModel } from '../../src/exact/linearGaussian';
import { importanceSampledLogMarginal } from '../../src/exact/importanceSampling';
import { useBackend } from '../distributions/testUtils';
import { mlpDecoder, reference64 } from './mlpDecoder';

beforeAll(async () => { await useBackend('cpu'); });

describe('importanceSampledLogMarginal', () => {
  const r = new Random(12);
  const m = LinearGaussianModel.random(r, 20, 2, { logVariance: Math.log(0.4) });
  const x = Float32Array.from(m.sample(r, 1));
  const post = m.posterior(x);
  const exact = m.logMarginal(x);

  it('with the exact posterior as the whole proposal every weight is p(x): the estimate is exact and the SE ~ 0', () => {
    const e = importanceSampledLogMarginal(m.asGenerativeModel(), x, post, new Random(1), 200, { priorFraction: 0 });
    expect(Math.abs(e.logMarginal - exact)).toBeLessThan(2e-6 * Math.abs(exact));
    expect(e.standardError).toBeLessThan(1e-5);
    expect(e.effectiveSampleSize).toBeGreaterThan(199.9);
  });

  it('with a wide defensive proposal: unbiased within 4 SE, and the stated SE matches the spread of repeated estimates', () => {
    const wide = { mean: post.mean, covariance: post.covariance.map((v) => 4 * v) };
    const random = new Random(2);
    const runs = Array.from({ length: 30 }, () => importanceSampledLogMarginal(m.asGenerativeModel(), x, wide, random, 300));
    const values = runs.map((e) => e.logMarginal);
    const meanValue = values.reduce((s, v) => s + v, 0) / values.length;
    const spread = Math.sqrt(values.reduce((s, v) => s + (v - meanValue) ** 2, 0) / (values.length - 1));
    const stated = runs.reduce((s, e) => s + e.standardError, 0) / runs.length;
    expect(spread / stated).toBeGreaterThan(0.6);
    expect(spread / stated).toBeLessThan(1.6);
    expect(Math.abs(meanValue - exact)).toBeLessThan(4 * spread / Math.sqrt(values.length));
    const big = importanceSampledLogMarginal(m.asGenerativeModel(), x, wide, new Random(3), 20000);
    expect(Math.abs(big.logMarginal - exact)).toBeLessThan(4 * big.standardError + 2e-6 * Math.abs(exact));
    expect(big.standardError).toBeLessThan(0.02);
  });

  it('agrees with the float64 reference on a nonlinear decoder', () => {
    const dec = mlpDecoder(7);
    const xs = dec.sampleX(new Random(8), [0.8, -0.5]);
    const ref = reference64(dec, xs, null);
    const e = importanceSampledLogMarginal(dec, xs, { mean: [0, 0], covariance: [1, 0, 0, 1] }, new Random(4), 20000);
    expect(Math.abs(e.logMarginal - ref.logPx)).toBeLessThan(4 * e.standardError + 1e-4);
  });

  it('validates its arguments', () => {
    const d = m.asGenerativeModel();
    expect(() => importanceSampledLogMarginal(d, x, { mean: [0], covariance: [1] }, new Random(1), 10)).toThrow(/proposal.mean must have length 2/);
    expect(() => importanceSampledLogMarginal(d, x, { mean: [0, 0], covariance: [1, 2, 2, 1] }, new Random(1), 10)).toThrow(/positive definite|not positive/);
    expect(() => importanceSampledLogMarginal(d, x, post, new Random(1), 1)).toThrow(/samples must be an integer >= 2/);
    expect(() => importanceSampledLogMarginal(d, x, post, new Random(1), 10, { priorFraction: 2 })).toThrow(/priorFraction/);
  });
});
