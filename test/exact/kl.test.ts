// The float64 KLs of src/exact/kl.ts against closed forms written out here by hand, and against
// the linear-Gaussian model's own closed-form KL(q ‖ p(z|x)) (an independent route: its posterior
// comes from the model's normal equations, not from a grid or from samples).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { LinearGaussianModel } from '../../src/exact/linearGaussian';
import { quadrature2d } from '../../src/exact/quadrature2d';
import { aggregatePosteriorGaussianKl, klToGridPosterior, monteCarloKlToGaussian } from '../../src/exact/kl';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('aggregatePosteriorGaussianKl', () => {
  it('is 0 when every q is the prior, and matches 1-D and 2-D hand formulas', () => {
    expect(aggregatePosteriorGaussianKl(new Float64Array(6), new Float64Array(6), 2)).toBeCloseTo(0, 12);
    // 1-D: means −1, 1, unit variances: m = 0, S = 1 + 1 = 2; KL = ½(2 − 1 − ln 2)
    expect(aggregatePosteriorGaussianKl([-1, 1], [0, 0], 1)).toBeCloseTo(0.5 * (1 - Math.log(2)), 12);
    // 2-D: rows (0,0), (2,2), variances e^{-2}: m = (1,1), S = [[1+v, 1],[1, 1+v]]
    const v = Math.exp(-2);
    const det = (1 + v) ** 2 - 1;
    const expected = 0.5 * (2 * (1 + v) + 2 - 2 - Math.log(det));
    expect(aggregatePosteriorGaussianKl([0, 0, 2, 2], [-2, -2, -2, -2], 2)).toBeCloseTo(expected, 10);
  });

  it('of a two-point mixture ±a with variance v: mixture variance s² = a² + v, KL = ½(s² − 1 − ln s²)', () => {
    const a = 2, v = 0.04, s2 = a * a + v;
    expect(aggregatePosteriorGaussianKl([a, -a], [Math.log(v), Math.log(v)], 1)).toBeCloseTo(0.5 * (s2 - 1 - Math.log(s2)), 12);
  });

  it('rejects bad shapes, naming the argument', () => {
    expect(() => aggregatePosteriorGaussianKl([0, 0, 0], [0, 0, 0], 2)).toThrow(/aggregatePosteriorGaussianKl: mean/);
    expect(() => aggregatePosteriorGaussianKl([0, 0], [0], 2)).toThrow(/aggregatePosteriorGaussianKl: logVariance/);
    expect(() => aggregatePosteriorGaussianKl([0, 0], [0, 0], 0)).toThrow(/aggregatePosteriorGaussianKl: latentSize/);
  });
});

describe('monteCarloKlToGaussian', () => {
  it('agrees with the closed-form KL to the linear-Gaussian posterior within 4 SE, and is 0 at the posterior', () => {
    const r = new Random(5);
    const m = LinearGaussianModel.random(r, 8, 2, { logVariance: Math.log(0.4) });
    const xs = m.sample(r, 1);
    const post = m.posterior(xs);
    const q = { mean: [post.mean[0] + 0.3, post.mean[1]], logVariance: [post.logVariance[0] + 0.7, post.logVariance[1] - 0.4] };
    const mc = monteCarloKlToGaussian(q, post.mean, post.covariance, new Random(6), 20000);
    expect(Math.abs(mc.value - m.klToPosterior(xs, q))).toBeLessThan(4 * mc.standardError);
    expect(mc.standardError).toBeGreaterThan(0);
    // 1-D: KL(N(0, 1) ‖ N(0, 1)) = 0 exactly for every draw
    const zero = monteCarloKlToGaussian({ mean: [0], logVariance: [0] }, [0], [1], new Random(7), 100);
    expect(Math.abs(zero.value)).toBeLessThan(1e-12);
    expect(() => monteCarloKlToGaussian(q, post.mean, [1, 0, 0], new Random(1), 10)).toThrow(/covariance must be 2×2/);
    expect(() => monteCarloKlToGaussian(q, post.mean, post.covariance, new Random(1), 1)).toThrow(/monteCarloKlToGaussian: samples/);
  });

  it('1-D against the closed form ½[ln(s²/σ²) + (σ² + (μ − m)²)/s² − 1]', () => {
    const mu = 0.5, logVar = Math.log(0.3), m = -0.2, s2 = 1.7;
    const exact = 0.5 * (Math.log(s2) - logVar + (Math.exp(logVar) + (mu - m) ** 2) / s2 - 1);
    const mc = monteCarloKlToGaussian({ mean: [mu], logVariance: [logVar] }, [m], [s2], new Random(8), 20000);
    expect(Math.abs(mc.value - exact)).toBeLessThan(4 * mc.standardError);
  });
});

describe('klToGridPosterior', () => {
  const random = new Random(11);
  const model = LinearGaussianModel.random(random, 5, 2, { logVariance: Math.log(0.5) });
  const x = Float32Array.from(model.sample(random, 1));

  it('equals the closed-form KL(q ‖ p(z|x)) within the quadrature’s stated error', () => {
    const q = { mean: [0.4, -0.3], logVariance: [-1.2, -0.5] };
    const res = quadrature2d(model.asGenerativeModel(), x, { q });
    const expectations = res.q!;
    const error = res.errorEstimate.total + expectations.discretizationError.elbo + expectations.truncationError;
    const exactKl = model.klToPosterior(x, q);
    expect(exactKl).toBeGreaterThan(0.05); // not a trivial q
    expect(Math.abs(klToGridPosterior(res) - exactKl)).toBeLessThan(error + 2e-6 * Math.abs(model.logMarginal(x)));
  });

  it('gives ~0 when q is the true posterior (orthogonal columns make it diagonal)', () => {
    const r = new Random(12);
    const m = LinearGaussianModel.random(r, 6, 2, { orthogonalColumns: true, logVariance: Math.log(0.3) });
    const xs = Float32Array.from(m.sample(r, 1));
    const post = m.posteriorMarginals(xs);
    const res = quadrature2d(m.asGenerativeModel(), xs, { q: post });
    expect(Math.abs(klToGridPosterior(res))).toBeLessThan(1e-4);
  });

  it('rejects a result without q', () => {
    const res = quadrature2d(model.asGenerativeModel(), x, { pointsPerAxis: 21, pilotPointsPerAxis: 11 });
    expect(() => klToGridPosterior(res)).toThrow(/klToGridPosterior: result must come from quadrature2d/);
  });
});
