import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { LinearGaussianModel } from '../../src/exact/linearGaussian';
import { quadrature2d } from '../../src/exact/quadrature2d';
import { estimateElbo } from '../../src/objectives/elbo';
import { importanceWeightedBound } from '../../src/objectives/iwae';
import type { GenerativeModel } from '../../src/objectives/types';
import { useBackend } from '../distributions/testUtils';
import { mlpDecoder, reference64 } from './mlpDecoder';

beforeAll(async () => { await useBackend('cpu'); });

/** float32 evaluation of log p(x|z) (values ~10–200) adds a few 1e-7 relative. */
const f32Slack = (v: number): number => 2e-6 * Math.max(1, Math.abs(v));

function expectNoTensorLeak<T>(f: () => T): T {
  const before = tf.memory().numTensors;
  const out = f();
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

describe('2-D quadrature on the linear-Gaussian model', () => {
  it('log p(x), posterior moments and KL(q ‖ p(z|x)) match the closed forms within the stated error', () => {
    for (const seed of [1, 2]) {
      const r = new Random(seed);
      const m = LinearGaussianModel.random(r, 5, 2, { logVariance: Math.log(0.5) });
      const x = Array.from(m.sample(r, 1));
      const q = { mean: [0.3, -0.2], logVariance: [-1, -0.6] };
      const res = expectNoTensorLeak(() => quadrature2d(m.asGenerativeModel(), x, { q, epsilon: 1e-7 }));
      const exact = m.logMarginal(Array.from(Float32Array.from(x)));
      expect(res.errorEstimate.total).toBeLessThan(1e-5);
      expect(Math.abs(res.logMarginal - exact)).toBeLessThan(res.errorEstimate.total + f32Slack(exact));
      const post = m.posterior(Float32Array.from(x));
      for (let j = 0; j < 2; j++) expect(Math.abs(res.posteriorMean[j] - post.mean[j])).toBeLessThan(1e-5);
      for (let k = 0; k < 4; k++) expect(Math.abs(res.posteriorCovariance[k] - post.covariance[k])).toBeLessThan(1e-5);
      const g = res.q!;
      const klExact = m.klToPosterior(Float32Array.from(x), q);
      const e = m.elbo(Float32Array.from(x), q);
      expect(Math.abs(g.klToPosterior - klExact)).toBeLessThan(g.discretizationError.klToPosterior + g.truncationError + f32Slack(e.elbo));
      expect(Math.abs(g.reconstruction - e.reconstruction)).toBeLessThan(1e-5 * Math.abs(e.reconstruction));
      expect(g.entropy).toBeCloseTo(e.entropy, 5);
      expect(g.massOnGrid).toBeGreaterThan(1 - 1e-6);
      // The posterior on the grid is a normalised density.
      const tau = res.grid.logWeights;
      expect(res.logPosterior.reduce((s, v, i) => s + Math.exp(v + tau[i]), 0)).toBeCloseTo(1, 12);
      expect(res.posteriorMass.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    }
  });

  it('adapts the box to a narrow posterior (784 pixels) and still matches the exact log p(x)', () => {
    const r = new Random(3);
    const m = LinearGaussianModel.random(r, 784, 2, { logVariance: Math.log(0.1), scale: 0.3 });
    const x = Float32Array.from(m.sample(r, 1));
    const res = quadrature2d(m.asGenerativeModel(), x, { pointsPerAxis: 81, pilotPointsPerAxis: 41 });
    const post = m.posterior(x);
    const width = res.grid.extent[0][1] - res.grid.extent[0][0];
    expect(width).toBeLessThan(3);
    expect(width).toBeGreaterThan(8 * Math.sqrt(post.covariance[0]));
    const exact = m.logMarginal(x);
    expect(Math.abs(res.logMarginal - exact)).toBeLessThan(res.errorEstimate.total + f32Slack(exact));
  });
});

describe('2-D quadrature when q and the posterior live on different scales', () => {
  const r = new Random(4);
  const m = LinearGaussianModel.random(r, 200, 2, { logVariance: Math.log(0.2), scale: 0.3 });
  const x = Float32Array.from(m.sample(r, 1));
  const post = m.posterior(x);

  for (const [name, q] of [
    ['q = prior (far wider than the posterior)', { mean: [0, 0], logVariance: [0, 0] }],
    ['q narrower than the posterior, off its mean', {
      mean: [post.mean[0] + Math.sqrt(post.covariance[0]), post.mean[1]],
      logVariance: [Math.log(post.covariance[0]) - 2, Math.log(post.covariance[3]) - 2],
    }],
  ] as const) {
    it(`${name}: ELBO, KL(q ‖ p(z|x)) and log E_q[p/q] match the closed forms`, () => {
      const qq = { mean: [...q.mean], logVariance: [...q.logVariance] };
      const res = quadrature2d(m.asGenerativeModel(), x, { q: qq, pointsPerAxis: 101, pilotPointsPerAxis: 41 });
      const g = res.q!;
      const exactElbo = m.elbo(x, qq);
      const exactKl = m.klToPosterior(x, qq);
      const logPx = m.logMarginal(x);
      expect(Math.abs(res.logMarginal - logPx)).toBeLessThan(res.errorEstimate.total + f32Slack(logPx));
      expect(Math.abs(g.elbo - exactElbo.elbo)).toBeLessThan(g.discretizationError.elbo + g.truncationError + f32Slack(exactElbo.elbo));
      expect(Math.abs(g.klToPosterior - exactKl)).toBeLessThan(g.discretizationError.klToPosterior + g.truncationError + f32Slack(exactElbo.elbo));
      expect(Math.abs(g.logExpectedRatio - logPx)).toBeLessThan(g.discretizationError.logExpectedRatio + g.posteriorMassOutsideBox + res.errorEstimate.total + f32Slack(logPx));
      expect(exactKl).toBeGreaterThan(1);
    });
  }
});

describe('2-D quadrature on a nonlinear decoder', () => {
  const dec = mlpDecoder(7);
  const x = dec.sampleX(new Random(8), [0.8, -0.5]);
  const q = { mean: [0.6, -0.3], logVariance: [-1.5, -1.2] };
  const ref = reference64(dec, x, q);

  it('converges as the grid refines on a fixed box; the halved-grid estimate bounds the actual error', () => {
    const errors: number[] = [];
    for (const n of [11, 21, 41, 81, 161]) {
      const res = quadrature2d(dec, x, { extent: [[-7, 7], [-7, 7]], pointsPerAxis: n });
      const err = Math.abs(res.logMarginal - ref.logPx);
      errors.push(err);
      if (n >= 21) expect(err).toBeLessThanOrEqual(res.errorEstimate.discretization + f32Slack(ref.logPx));
    }
    for (let i = 1; i < errors.length; i++) expect(errors[i]).toBeLessThanOrEqual(errors[i - 1] + 1e-6);
    expect(errors[0]).toBeGreaterThan(1e-3);
    expect(errors[4]).toBeLessThan(1e-4);
  });

  it('automatic extent meets the error estimate; ELBO and KL(q ‖ p(z|x)) on the grid match the float64 reference', () => {
    const res = expectNoTensorLeak(() => quadrature2d(dec, Float32Array.from(x), { q }));
    expect(Math.abs(res.logMarginal - ref.logPx)).toBeLessThan(res.errorEstimate.total + f32Slack(ref.logPx));
    const g = res.q!;
    expect(Math.abs(g.elbo - ref.elbo)).toBeLessThan(g.discretizationError.elbo + g.truncationError + 1e-4);
    expect(g.klToPosterior).toBeCloseTo(ref.logPx - ref.elbo, 3);
    expect(g.logExpectedRatio).toBeCloseTo(res.logMarginal, 4);
  });

  it('Monte Carlo ELBO and L_k agree with quadrature: gap = KL(q ‖ p(z|x)) and L_k → log p(x)', () => {
    const xt = tf.tensor2d([x]);
    const qt = { mean: tf.tensor2d([q.mean]), logVariance: tf.tensor2d([q.logVariance]) };
    const res = quadrature2d(dec, x, { q });
    const e = estimateElbo(qt, dec, xt, new Random(9), 20000);
    const gapMc = res.logMarginal - e.elbo[0];
    expect(Math.abs(gapMc - res.q!.klToPosterior)).toBeLessThan(5 * e.elboStandardError[0] + 1e-4);
    const l1 = importanceWeightedBound(qt, dec, xt, new Random(10), 1, 400);
    const l100 = importanceWeightedBound(qt, dec, xt, new Random(11), 100, 100);
    expect(l100.value[0] - l1.value[0]).toBeGreaterThan(4 * Math.hypot(l1.standardError[0], l100.standardError[0]));
    expect(l100.value[0]).toBeLessThan(res.logMarginal + 4 * l100.standardError[0]);
    expect(res.logMarginal - l100.value[0]).toBeLessThan(0.2 * res.q!.klToPosterior + 4 * l100.standardError[0]);
    tf.dispose([xt, qt.mean, qt.logVariance]);
  });
});

describe('quadrature bad input', () => {
  const dec = mlpDecoder(7);
  const x = new Array(12).fill(0);
  it('names the argument and what was expected', () => {
    expect(() => quadrature2d(mlpDecoder(1, 12, 4, 3), x)).toThrow('quadrature2d: decoder.latentSize must be 2 (quadrature is over a 2-D latent), got 3');
    expect(() => quadrature2d(dec, x, { pointsPerAxis: 1 })).toThrow(/options.pointsPerAxis must be an integer >= 2, got 1/);
    expect(() => quadrature2d(dec, x, { pilotPointsPerAxis: 1.5 })).toThrow(/options.pilotPointsPerAxis must be an integer >= 2/);
    expect(() => quadrature2d(dec, x, { epsilon: 0 })).toThrow(/options.epsilon must be a finite number in/);
    expect(() => quadrature2d(dec, x, { extent: [[1, -1], [0, 1]] })).toThrow(/options.extent must be \[\[lo0, hi0\], \[lo1, hi1\]\]/);
    expect(() => quadrature2d(dec, x, { q: { mean: [0, 0, 0], logVariance: [0, 0, 0] } })).toThrow(/options.q.mean must have length 2, got 3/);
    expect(() => quadrature2d(dec, x, { q: { mean: [0, 0], logVariance: [0, NaN] } })).toThrow(/options.q.logVariance must contain finite numbers/);
    expect(() => quadrature2d(dec, tf.zeros([2, 12]))).toThrow(/x must be one data vector \(\[D\] or \[1,D\]\), got shape \[2,12\]/);
    expect(() => quadrature2d({ latentSize: 2 } as GenerativeModel, x)).toThrow(/decoder must be a GenerativeModel/);
  });
});
