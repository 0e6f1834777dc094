import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { LinearGaussianModel } from '../../src/exact/linearGaussian';
import { importanceSampledLogMarginal } from '../../src/exact/importanceSampling';
import type { GenerativeModel } from '../../src/objectives/types';
import { useBackend } from '../distributions/testUtils';
import { logNormal2d } from './gaussian2d';
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

  it('every draw, weight and summary recomputed in float64 from the same generator: the mixture, the weights, SE and ESS', () => {
    // A proposal with correlation (so its Cholesky factor matters) and a prior share of 0.3 (so both components draw).
    const proposal = { mean: [0.4, -0.7], covariance: [1.5, 0.6, 0.6, 0.8] };
    const alpha = 0.3;
    const samples = 60;
    const inner = m.asGenerativeModel();
    const seenZ: number[][] = [];
    const seenLogLikelihood: number[] = [];
    const recording: GenerativeModel = {
      latentSize: 2,
      logLikelihood: (xs, z) => {
        seenZ.push(...(z.arraySync() as number[][]));
        const ll = inner.logLikelihood(xs, z);
        seenLogLikelihood.push(...ll.dataSync());
        return ll;
      },
    };
    const e = importanceSampledLogMarginal(recording, x, proposal, new Random(6), samples, { priorFraction: alpha });
    // Replay: per draw, one uniform (prior component if < α), then two normals e; z = e or m + L e.
    const [a, b, , c] = proposal.covariance;
    const l00 = Math.sqrt(a); const l10 = b / l00; const l11 = Math.sqrt(c - l10 * l10);
    const replay = new Random(6);
    const logWeights: number[] = [];
    let fromPrior = 0;
    for (let s = 0; s < samples; s++) {
      const prior = replay.uniform() < alpha;
      const e0 = replay.normal(); const e1 = replay.normal();
      const z = prior ? [e0, e1] : [proposal.mean[0] + l00 * e0, proposal.mean[1] + l10 * e0 + l11 * e1];
      if (prior) fromPrior++;
      expect(seenZ[s][0]).toBeCloseTo(z[0], 5);
      expect(seenZ[s][1]).toBeCloseTo(z[1], 5);
      const logPrior = logNormal2d(z, [0, 0], [1, 0, 0, 1]);
      const logProposal = Math.log((1 - alpha) * Math.exp(logNormal2d(z, proposal.mean, proposal.covariance)) + alpha * Math.exp(logPrior));
      logWeights.push(seenLogLikelihood[s] + logPrior - logProposal);
    }
    expect(fromPrior).toBeGreaterThan(5);
    expect(fromPrior).toBeLessThan(samples - 5);
    const shift = Math.max(...logWeights);
    const w = logWeights.map((v) => Math.exp(v - shift));
    const meanW = w.reduce((t, v) => t + v, 0) / samples;
    const sd = Math.sqrt(w.reduce((t, v) => t + (v - meanW) ** 2, 0) / (samples - 1));
    expect(e.samples).toBe(samples);
    expect(e.logMarginal).toBeCloseTo(shift + Math.log(meanW), 9);
    expect(e.standardError).toBeCloseTo(sd / (Math.sqrt(samples) * meanW), 9);
    expect(e.effectiveSampleSize).toBeCloseTo(w.reduce((t, v) => t + v, 0) ** 2 / w.reduce((t, v) => t + v * v, 0), 9);
  });

  it('the prior alone as the proposal (priorFraction 1) is the plain Monte Carlo estimate E_p(z)[p(x|z)], unbiased within 4 SE', () => {
    const e = importanceSampledLogMarginal(m.asGenerativeModel(), x, post, new Random(7), 20000, { priorFraction: 1 });
    expect(Number.isFinite(e.logMarginal)).toBe(true);
    expect(Math.abs(e.logMarginal - exact)).toBeLessThan(4 * e.standardError + 2e-6 * Math.abs(exact));
  });

  it('validates its arguments', () => {
    expect(() => importanceSampledLogMarginal(m.asGenerativeModel(), x, null as never, new Random(1), 10)).toThrow(
      /importanceSampledLogMarginal: proposal.mean must be a number\[\], Float64Array or Float32Array, got/);
    const d = m.asGenerativeModel();
    expect(() => importanceSampledLogMarginal(d, x, { mean: [0], covariance: [1] }, new Random(1), 10)).toThrow(/proposal.mean must have length 2/);
    expect(() => importanceSampledLogMarginal(d, x, { mean: [0, 0], covariance: [1, 2, 2, 1] }, new Random(1), 10)).toThrow(/positive definite|not positive/);
    expect(() => importanceSampledLogMarginal(d, x, post, new Random(1), 1)).toThrow(/samples must be an integer >= 2/);
    expect(() => importanceSampledLogMarginal(d, x, post, new Random(1), 10, { priorFraction: 2 })).toThrow(/priorFraction/);
  });
});
