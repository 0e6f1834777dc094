import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { LinearGaussianModel } from '../../src/exact/linearGaussian';
import {
  adaptiveCubature2d, elboByCubature, klToPosteriorByCubature, logLikelihoodAtPoints, logMarginalByCubature,
} from '../../src/exact/adaptiveCubature2d';
import { useBackend } from '../distributions/testUtils';
import { mlpDecoder, reference64 } from './mlpDecoder';

beforeAll(async () => { await useBackend('cpu'); });

/** float32 evaluation of log p(x|z) adds a few 1e-7 relative. */
const f32Slack = (v: number): number => 2e-6 * Math.max(1, Math.abs(v));

/** f at the points, given as a function of (z0, z1). */
const pointwise = (f: (a: number, b: number) => number) => (p: Float64Array): Float64Array =>
  Float64Array.from({ length: p.length / 2 }, (_, k) => f(p[2 * k], p[2 * k + 1]));

describe('adaptiveCubature2d', () => {
  it('integrates a polynomial of degree 7 per axis exactly in the first round (error estimate 0)', () => {
    // ∫_{-1}^{2} ∫_{0}^{1} (x⁷ y⁶ + 3x²y + 1) dy dx = (2⁸ − 1)/8 · 1/7 + 3 · 3 · ½ + 3
    const r = adaptiveCubature2d(pointwise((x, y) => x ** 7 * y ** 6 + 3 * x * x * y + 1), [[-1, 2], [0, 1]], { absoluteTolerance: 1e-12, initialCells: 1 });
    expect(r.value).toBeCloseTo(255 / 56 + 4.5 + 3, 12);
    expect(r.errorEstimate).toBeLessThan(1e-12);
    expect(r.evaluations).toBe(80);
    expect(r.converged).toBe(true);
  });

  it('finds a narrow bump between the first nodes and meets its error estimate', () => {
    const s = 0.04, c = [0.37, -1.21];
    const bump = pointwise((x, y) => Math.exp(-0.5 * ((x - c[0]) ** 2 + (y - c[1]) ** 2) / (s * s)) / (2 * Math.PI * s * s));
    const r = adaptiveCubature2d(bump, [[-6, 6], [-6, 6]], { relativeTolerance: 1e-6 });
    expect(r.converged).toBe(true);
    expect(Math.abs(r.value - 1)).toBeLessThanOrEqual(r.errorEstimate);
    expect(Math.abs(r.value - 1)).toBeLessThan(1e-6);
    expect(r.boundaryMass).toBeLessThan(1e-12);
  });

  it('a kink (|x − 0.3|) is refined along it; a small budget stops early and says so, with an honest error estimate', () => {
    const f = pointwise((x, y) => Math.abs(x - 0.3) * Math.exp(-0.5 * (x * x + y * y)) / (2 * Math.PI));
    const fine = adaptiveCubature2d(f, [[-8, 8], [-8, 8]], { absoluteTolerance: 1e-6, maxEvaluations: 200000 });
    // E|Z − a| for Z ~ N(0,1): 2φ(a) + a(2Φ(a) − 1), a = 0.3 (Φ(0.3) = 0.6179114221889527)
    const exact = 2 * Math.exp(-0.045) / Math.sqrt(2 * Math.PI) + 0.3 * (2 * 0.6179114221889527 - 1);
    expect(fine.converged).toBe(true);
    expect(Math.abs(fine.value - exact)).toBeLessThanOrEqual(fine.errorEstimate);
    expect(Math.abs(fine.value - exact)).toBeLessThan(1e-6);
    const coarse = adaptiveCubature2d(f, [[-8, 8], [-8, 8]], { absoluteTolerance: 1e-6, maxEvaluations: 3500 });
    expect(coarse.converged).toBe(false);
    expect(coarse.evaluations).toBeLessThanOrEqual(3500);
    expect(Math.abs(coarse.value - exact)).toBeGreaterThan(1e-6);
    expect(Math.abs(coarse.value - exact)).toBeLessThanOrEqual(coarse.errorEstimate);
  });

  it('validates its arguments', () => {
    const f = pointwise(() => 1);
    expect(() => adaptiveCubature2d(f, [[1, 0], [0, 1]], { absoluteTolerance: 1 })).toThrow(/box must be/);
    expect(() => adaptiveCubature2d(f, [[0, 1], [0, 1]], {})).toThrow(/absoluteTolerance or options.relativeTolerance/);
    expect(() => adaptiveCubature2d(() => new Float64Array(3), [[0, 1], [0, 1]], { absoluteTolerance: 1, initialCells: 1 })).toThrow(/Float64Array of 80 values/);
    expect(() => adaptiveCubature2d(pointwise(() => NaN), [[0, 1], [0, 1]], { absoluteTolerance: 1 })).toThrow(/returned NaN/);
  });
});

describe('the cubature route on the linear-Gaussian model (closed forms)', () => {
  const r = new Random(5);
  const m = LinearGaussianModel.random(r, 30, 2, { logVariance: Math.log(0.3), scale: 0.8 });
  const x = Float32Array.from(m.sample(r, 1));
  const post = m.posterior(x);
  const decoder = m.asGenerativeModel();

  it('log p(x) matches Woodbury within the stated error; no tensor is left', () => {
    const before = tf.memory().numTensors;
    const res = logMarginalByCubature(decoder, x);
    expect(tf.memory().numTensors).toBe(before);
    const exact = m.logMarginal(x);
    expect(res.converged).toBe(true);
    expect(res.errorEstimate.total).toBeLessThan(1e-3);
    expect(Math.abs(res.logMarginal - exact)).toBeLessThan(res.errorEstimate.total + f32Slack(exact));
  });

  for (const [name, q] of [
    ['q near the posterior', { mean: [post.mean[0] + 0.1, post.mean[1]], logVariance: [post.logVariance[0], post.logVariance[1] + 0.5] }],
    ['q = the prior', { mean: [0, 0], logVariance: [0, 0] }],
    ['q narrow and off', { mean: [post.mean[0] - 0.3, post.mean[1] + 0.2], logVariance: [-6, -5] }],
  ] as const) {
    it(`${name}: the ELBO and KL(q ‖ p(z|x)) match the closed forms within the stated errors`, () => {
      const qq = { mean: [...q.mean], logVariance: [...q.logVariance] };
      const elbo = elboByCubature(decoder, x, qq);
      const exactElbo = m.elbo(x, qq).elbo;
      expect(elbo.converged).toBe(true);
      expect(Math.abs(elbo.elbo - exactElbo)).toBeLessThan(elbo.errorEstimate.total + f32Slack(exactElbo));
      const kl = klToPosteriorByCubature(decoder, x, qq);
      const exactKl = m.klToPosterior(x, qq);
      expect(Math.abs(kl.kl - exactKl)).toBeLessThan(kl.errorEstimate + f32Slack(exactElbo));
      expect(exactKl).toBeGreaterThan(0.05);
    });
  }

  it('a given log Ẑ is used as it is (computed once for a fixed decoder)', () => {
    const z = logMarginalByCubature(decoder, x);
    const q = { mean: [0.1, 0.2], logVariance: [-1, -1] };
    const shifted = klToPosteriorByCubature(decoder, x, q, { logMarginal: { ...z, logMarginal: z.logMarginal + 1 } });
    const own = klToPosteriorByCubature(decoder, x, q, { logMarginal: z });
    expect(shifted.kl - own.kl).toBeCloseTo(1, 12);
  });
});

describe('the cubature route on a nonlinear decoder (float64 reference)', () => {
  const dec = mlpDecoder(7);
  const x = dec.sampleX(new Random(8), [0.8, -0.5]);
  const q = { mean: [0.6, -0.3], logVariance: [-1.5, -1.2] };
  const ref = reference64(dec, x, q);

  it('log p(x) and the ELBO match the fine float64 midpoint sums', () => {
    const z = logMarginalByCubature(dec, x);
    expect(Math.abs(z.logMarginal - ref.logPx)).toBeLessThan(z.errorEstimate.total + f32Slack(ref.logPx) + 1e-5);
    const e = elboByCubature(dec, x, q);
    expect(Math.abs(e.elbo - ref.elbo)).toBeLessThan(e.errorEstimate.total + f32Slack(ref.elbo) + 1e-5);
  });

  it('doubles the box when the posterior reaches its edge', () => {
    const z = logMarginalByCubature(dec, x, { box: [[0.5, 1.5], [-1, 0]] });
    expect(z.box[0][1] - z.box[0][0]).toBeGreaterThan(1);
    expect(Math.abs(z.logMarginal - ref.logPx)).toBeLessThan(z.errorEstimate.total + f32Slack(ref.logPx) + 1e-5);
  });

  it('logLikelihoodAtPoints evaluates the decoder at the points, in chunks', () => {
    const points = Float64Array.from([0.1, -0.2, 1.3, 0.4, -2, 0.5]);
    const ll = logLikelihoodAtPoints(dec, Float32Array.from(x), points, 2);
    [[0.1, -0.2], [1.3, 0.4], [-2, 0.5]].forEach((z, k) => expect(ll[k]).toBeCloseTo(dec.logLikelihood64(x, z as [number, number]), 4));
    expect(() => logMarginalByCubature(mlpDecoder(1, 12, 4, 3), x)).toThrow(/latentSize must be 2/);
  });
});
