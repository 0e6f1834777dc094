// The float64 KLs of src/exact/kl.ts against closed forms written out here by hand, and against
// the linear-Gaussian model's own closed-form KL(q ‖ p(z|x)) (an independent route: its posterior
// comes from the model's normal equations, not from a grid or from samples).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { LinearGaussianModel } from '../../src/exact/linearGaussian';
import { quadrature2d } from '../../src/exact/quadrature2d';
import { aggregatePosteriorGaussianKl, klToGridPosterior, monteCarloKlToGaussian } from '../../src/exact/kl';
import { logNormal2d } from './gaussian2d';

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
    const fn = 'aggregatePosteriorGaussianKl';
    expect(() => aggregatePosteriorGaussianKl([0, 0, 0], [0, 0, 0], 2)).toThrow(`${fn}: mean must have a length that is a positive multiple of latentSize 2, got 3`);
    expect(() => aggregatePosteriorGaussianKl([], [], 2)).toThrow(`${fn}: mean must have a length that is a positive multiple of latentSize 2, got 0`);
    expect(() => aggregatePosteriorGaussianKl(null as never, [0, 0], 2)).toThrow(`${fn}: mean must be a number[], Float64Array or Float32Array, got null`);
    expect(() => aggregatePosteriorGaussianKl([0, 0], [0], 2)).toThrow(`${fn}: logVariance must have length 2, got 1`);
    expect(() => aggregatePosteriorGaussianKl([0, 0], null as never, 2)).toThrow(`${fn}: logVariance must be a number[], Float64Array or Float32Array, got null`);
    expect(() => aggregatePosteriorGaussianKl([0, NaN], [0, 0], 2)).toThrow(`${fn}: mean must contain finite numbers, got NaN at index 1`);
    expect(() => aggregatePosteriorGaussianKl([0, 0], [Infinity, 0], 2)).toThrow(`${fn}: logVariance must contain finite numbers, got Infinity at index 0`);
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

  it('each draw z = μ + σ e from the generator, log q(z) − log N(z; m, C) recomputed in float64: mean and SE', () => {
    const q = { mean: [0.3, -0.6], logVariance: [-0.4, 0.5] };
    const mean = [0.1, 0.2];
    const [a, b, c] = [1.2, -0.3, 0.7];
    const got = monteCarloKlToGaussian(q, mean, [a, b, b, c], new Random(9), 40);
    const replay = new Random(9);
    const values: number[] = [];
    for (let s = 0; s < 40; s++) {
      const e = [replay.normal(), replay.normal()];
      const z = e.map((ej, j) => q.mean[j] + Math.exp(0.5 * q.logVariance[j]) * ej);
      const logQ = e.reduce((t, ej, j) => t - 0.5 * (Math.log(2 * Math.PI) + q.logVariance[j] + ej * ej), 0);
      values.push(logQ - logNormal2d(z, mean, [a, b, b, c]));
    }
    const average = values.reduce((t, v) => t + v, 0) / 40;
    const sd = Math.sqrt(values.reduce((t, v) => t + (v - average) ** 2, 0) / 39);
    expect(got.value).toBeCloseTo(average, 12);
    expect(got.standardError).toBeCloseTo(sd / Math.sqrt(40), 12);
  });

  it('rejects a q or a covariance of the wrong size, naming it', () => {
    const fn = 'monteCarloKlToGaussian';
    const q = { mean: [0, 0], logVariance: [0, 0] };
    expect(() => monteCarloKlToGaussian(null as never, [0, 0], [1, 0, 0, 1], new Random(1), 10)).toThrow(`${fn}: q.mean and q.logVariance must have 2 entries like mean`);
    expect(() => monteCarloKlToGaussian({ mean: [0], logVariance: [0, 0] }, [0, 0], [1, 0, 0, 1], new Random(1), 10)).toThrow(`${fn}: q.mean and q.logVariance must have 2 entries like mean`);
    expect(() => monteCarloKlToGaussian({ mean: [0, 0], logVariance: [0] }, [0, 0], [1, 0, 0, 1], new Random(1), 10)).toThrow(`${fn}: q.mean and q.logVariance must have 2 entries like mean`);
    expect(() => monteCarloKlToGaussian(q, [0, 0], [1, 0, 0], new Random(1), 10)).toThrow(`${fn}: covariance must be 2×2 row-major (4 numbers), got 3`);
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
    expect(() => klToGridPosterior(null as never)).toThrow(new TypeError('klToGridPosterior: result must come from quadrature2d(decoder, x, { q })'));
  });

  /** A hand-made result: 3 nodes with weights τ, log q and log p(x, z) at each, and log p(x). */
  const handMade = (logDensity: number[], logJoint: number[], logMarginal: number): Parameters<typeof klToGridPosterior>[0] =>
    ({ logMarginal, q: { grid: { logWeights: Float64Array.from([0.1, 0.5, 0.2], Math.log) }, logDensity: Float64Array.from(logDensity), logJoint: Float64Array.from(logJoint) } }) as never;

  it('Σ_g w_g [log q − log p(z|x)] with w ∝ τ q, even where q underflows (log q near −1000 at every node)', () => {
    const logDensity = [-1000.5, -999.2, -1001.1];
    const logJoint = [-3.2, -2.1, -4.0];
    const logMarginal = -1.7;
    // w_g ∝ τ_g e^{log q_g + 1000}: the shift cancels in the normalised weights.
    const tau = [0.1, 0.5, 0.2];
    const w = tau.map((t, g) => t * Math.exp(logDensity[g] + 1000));
    const total = w.reduce((s, v) => s + v, 0);
    const expected = w.reduce((s, v, g) => s + (v / total) * (logDensity[g] - (logJoint[g] - logMarginal)), 0);
    expect(klToGridPosterior(handMade(logDensity, logJoint, logMarginal))).toBeCloseTo(expected, 10);
    expect(() => klToGridPosterior(handMade([0, 0], [0, 0, 0], 0))).toThrow(new RangeError('klToGridPosterior: result.q arrays must have one entry per grid node (3)'));
    expect(() => klToGridPosterior(handMade([0, 0, 0], [0, 0], 0))).toThrow(new RangeError('klToGridPosterior: result.q arrays must have one entry per grid node (3)'));
  });
});
