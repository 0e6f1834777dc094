import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import type { DiagonalGaussian } from '../../src/distributions/gaussian';
import {
  klDiagonalGaussians, klMonteCarlo, klToStandardNormal, klToStandardNormalPerDimension,
} from '../../src/objectives/kl';
import { expectClose, expectNoLeak, f32, take, useBackend } from '../distributions/testUtils';

/** KL(N(m1, v1) ‖ N(m2, v2)) in 1-D by Simpson quadrature of q log(q/p) over ±14 σ_q (float64). */
function klByQuadrature(m1: number, v1: number, m2: number, v2: number): number {
  const s1 = Math.sqrt(v1);
  const a = m1 - 14 * s1;
  const h = (28 * s1) / 4000;
  const logN = (z: number, m: number, v: number): number => -0.5 * (Math.log(2 * Math.PI * v) + ((z - m) ** 2) / v);
  let total = 0;
  for (let i = 0; i <= 4000; i++) {
    const z = a + i * h;
    const w = i === 0 || i === 4000 ? 1 : i % 2 === 1 ? 4 : 2;
    const lq = logN(z, m1, v1);
    total += w * Math.exp(lq) * (lq - logN(z, m2, v2));
  }
  return (total * h) / 3;
}

function gaussian(mean: number[], logVar: number[], n: number, d: number): DiagonalGaussian {
  return { mean: tf.tensor2d(mean, [n, d]), logVariance: tf.tensor2d(logVar, [n, d]) };
}

const free = (...qs: DiagonalGaussian[]): void => qs.forEach((q) => tf.dispose([q.mean, q.logVariance]));

beforeAll(async () => { await useBackend('cpu'); });

describe('closed-form KL', () => {
  const random = new Random(11);
  const n = 3; const d = 2;
  const mq = f32(Array.from(random.normals(n * d)));
  const vq = f32(Array.from(random.normals(n * d), (v) => 0.7 * v));
  const mp = f32(Array.from(random.normals(n * d)));
  const vp = f32(Array.from(random.normals(n * d), (v) => 0.7 * v));

  it('KL(q ‖ N(0,I)) per dimension and per example match 1-D quadrature, summed over dimensions', () => {
    const q = gaussian(mq, vq, n, d);
    const perDim = expectNoLeak(() => take(klToStandardNormalPerDimension(q)));
    const ref = mq.map((m, i) => klByQuadrature(m, Math.exp(vq[i]), 0, 1));
    expectClose(perDim, ref, 1e-5, 1e-6);
    const total = expectNoLeak(() => take(klToStandardNormal(q)));
    expectClose(total, [0, 1, 2].map((i) => ref[2 * i] + ref[2 * i + 1]), 1e-5, 1e-6);
    free(q);
  });

  it('KL between two diagonal Gaussians matches 1-D quadrature; p may broadcast with batch 1', () => {
    const q = gaussian(mq, vq, n, d);
    const p = gaussian(mp, vp, n, d);
    const got = expectNoLeak(() => take(klDiagonalGaussians(q, p)));
    const ref = mq.map((m, i) => klByQuadrature(m, Math.exp(vq[i]), mp[i], Math.exp(vp[i])));
    expectClose(got, [0, 1, 2].map((i) => ref[2 * i] + ref[2 * i + 1]), 1e-5, 1e-6);
    const p1 = gaussian(mp.slice(0, d), vp.slice(0, d), 1, d);
    const got1 = expectNoLeak(() => take(klDiagonalGaussians(q, p1)));
    const ref1 = mq.map((m, i) => klByQuadrature(m, Math.exp(vq[i]), mp[i % d], Math.exp(vp[i % d])));
    expectClose(got1, [0, 1, 2].map((i) => ref1[2 * i] + ref1[2 * i + 1]), 1e-5, 1e-6);
    free(q, p, p1);
  });

  it('KL ≥ 0 for 500 random pairs, = 0 for equal Gaussians, > 0 for a small difference', () => {
    const r = new Random(12);
    const m = 500; const dd = 3;
    const q = gaussian(Array.from(r.normals(m * dd)), Array.from(r.normals(m * dd)), m, dd);
    const p = gaussian(Array.from(r.normals(m * dd)), Array.from(r.normals(m * dd)), m, dd);
    expect(Math.min(...take(klDiagonalGaussians(q, p)))).toBeGreaterThan(0);
    expect(Math.min(...take(klToStandardNormal(q)))).toBeGreaterThan(0);
    expect(take(klDiagonalGaussians(q, q)).every((v) => Math.abs(v) < 1e-6)).toBe(true);
    const zero = gaussian([0, 0], [0, 0], 1, 2);
    expect(take(klToStandardNormal(zero))).toEqual([0]);
    const near = gaussian([0.01, 0], [0, 0], 1, 2);
    // ½ μ² = 5e-5 exactly in the limit; float32 keeps it positive and close.
    expect(take(klToStandardNormal(near))[0]).toBeCloseTo(5e-5, 7);
    free(q, p, zero, near);
  });

  it('gradients are the closed-form ones: ∂KL/∂μ = μ, ∂KL/∂log σ² = ½(σ² − 1)', () => {
    const mean = tf.tensor2d([[0.5, -1.2]]);
    const logVar = tf.tensor2d([[0.3, -0.8]]);
    const before = tf.memory().numTensors;
    const [gm, gv] = tf.grads((m: tf.Tensor, v: tf.Tensor) =>
      tf.sum(klToStandardNormal({ mean: m as tf.Tensor2D, logVariance: v as tf.Tensor2D })))([mean, logVar]);
    expectClose(take(gm), [0.5, -1.2], 1e-6);
    expectClose(take(gv), [0.5 * (Math.exp(0.3) - 1), 0.5 * (Math.exp(-0.8) - 1)], 1e-5);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([mean, logVar]);
  });
});

describe('Monte Carlo KL', () => {
  it('agrees with the closed form within 5 standard errors, for 4 seeds and both kinds of p', () => {
    const q = gaussian([0.4, -1, 2, 0.3], [-0.5, 0.4, 0.1, -1], 2, 2);
    const p = gaussian([0.1, 0.2, 1, -0.3], [0.3, -0.2, 0.5, 0.2], 2, 2);
    const exactPrior = take(klToStandardNormal(q));
    const exactPair = take(klDiagonalGaussians(q, p));
    for (const seed of [1, 2, 3, 4]) {
      const a = expectNoLeak(() => klMonteCarlo(q, 'standardNormal', new Random(seed), 4000));
      const b = expectNoLeak(() => klMonteCarlo(q, p, new Random(seed + 100), 4000));
      for (let i = 0; i < 2; i++) {
        expect(a.standardError[i]).toBeGreaterThan(0);
        expect(Math.abs(a.value[i] - exactPrior[i])).toBeLessThan(5 * a.standardError[i]);
        expect(Math.abs(b.value[i] - exactPair[i])).toBeLessThan(5 * b.standardError[i]);
      }
    }
    free(q, p);
  });

  it('standard error shrinks like 1/√S and the z-scores over 40 seeds look standard normal', () => {
    const q = gaussian([1, -0.5], [0.2, -0.3], 1, 2);
    const exact = take(klToStandardNormal(q))[0];
    const z: number[] = [];
    let se100 = 0; let se1600 = 0;
    for (let seed = 0; seed < 40; seed++) {
      const e = klMonteCarlo(q, 'standardNormal', new Random(1000 + seed), 100);
      z.push((e.value[0] - exact) / e.standardError[0]);
      se100 += e.standardError[0] / 40;
      se1600 += klMonteCarlo(q, 'standardNormal', new Random(5000 + seed), 1600).standardError[0] / 40;
    }
    expect(se100 / se1600).toBeGreaterThan(3.2);
    expect(se100 / se1600).toBeLessThan(4.8);
    const meanZ = z.reduce((s, v) => s + v, 0) / z.length;
    const varZ = z.reduce((s, v) => s + (v - meanZ) ** 2, 0) / (z.length - 1);
    // Mean of 40 N(0,1) has SE 0.16; the sample variance of 40 has SE ≈ 0.23.
    expect(Math.abs(meanZ)).toBeLessThan(0.8);
    expect(varZ).toBeGreaterThan(0.3);
    expect(varZ).toBeLessThan(2.2);
    free(q);
  });

  it('is reproducible from the seed and independent of the batch it sits in', () => {
    const q = gaussian([0.4, -1, 2, 0.3], [-0.5, 0.4, 0.1, -1], 2, 2);
    const q0 = gaussian([0.4, -1], [-0.5, 0.4], 1, 2);
    const a = klMonteCarlo(q, 'standardNormal', new Random(9), 50);
    const b = klMonteCarlo(q, 'standardNormal', new Random(9), 50);
    const c = klMonteCarlo(q0, 'standardNormal', new Random(9), 50);
    expect(Array.from(a.value)).toEqual(Array.from(b.value));
    expect(c.value[0]).toBe(a.value[0]);
    free(q, q0);
  });

  it('a p of one row serves every example: the same values as that row repeated for each', () => {
    const q = gaussian([0.4, -1, 2, 0.3, -0.6, 0.9], [-0.5, 0.4, 0.1, -1, 0.2, -0.3], 3, 2);
    const p1 = gaussian([0.2, -0.1], [0.3, -0.4], 1, 2);
    const p3 = gaussian([0.2, -0.1, 0.2, -0.1, 0.2, -0.1], [0.3, -0.4, 0.3, -0.4, 0.3, -0.4], 3, 2);
    const one = expectNoLeak(() => klMonteCarlo(q, p1, new Random(12), 200));
    const each = klMonteCarlo(q, p3, new Random(12), 200);
    expect(Array.from(one.value)).toEqual(Array.from(each.value));
    expect(Array.from(one.standardError)).toEqual(Array.from(each.standardError));
    free(q, p1, p3);
  });
});

describe('KL bad input', () => {
  it('names the function, argument and expectation', () => {
    const q = { mean: tf.zeros([4, 2]) as tf.Tensor2D, logVariance: tf.zeros([4, 3]) as tf.Tensor2D };
    expect(() => klToStandardNormal(q)).toThrow(
      'klToStandardNormal: encoder.logVariance must have the same shape as encoder.mean [4,2], got [4,3]');
    const good = gaussian([0, 0], [0, 0], 1, 2);
    const bad = { mean: tf.zeros([1, 2]) as tf.Tensor2D, logVariance: tf.tensor2d([[0, NaN]]) };
    expect(() => klToStandardNormalPerDimension(bad)).toThrow(/encoder.logVariance must contain finite values, got NaN/);
    expect(() => klDiagonalGaussians(good, bad)).toThrow(/klDiagonalGaussians: p.logVariance must contain finite values/);
    const wide = gaussian([0, 0, 0], [0, 0, 0], 1, 3);
    expect(() => klDiagonalGaussians(good, wide)).toThrow(/p.mean must have shape \[1,2\] or \[1,2\]/);
    // p must have q's rows or one row, and q's width: 2 rows for 3 examples, or a p of bad values, is refused.
    const q3 = gaussian([0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0], 3, 2);
    const p2 = gaussian([0, 0, 0, 0], [0, 0, 0, 0], 2, 2);
    expect(() => klDiagonalGaussians(q3, p2)).toThrow(/klDiagonalGaussians: p.mean must have shape \[3,2\] or \[1,2\] like q.mean, got \[2,2\]/);
    expect(() => klMonteCarlo(q3, p2, new Random(1), 2)).toThrow(/klMonteCarlo: p.mean must have shape \[3,2\] or \[1,2\] like q.mean, got \[2,2\]/);
    expect(() => klMonteCarlo(good, wide, new Random(1), 2)).toThrow(/klMonteCarlo: p.mean must have shape \[1,2\] or \[1,2\] like q.mean, got \[1,3\]/);
    expect(() => klMonteCarlo(good, bad, new Random(1), 2)).toThrow(/klMonteCarlo: p.logVariance must contain finite values/);
    free(q3, p2);
    expect(() => klMonteCarlo(good, 'standardNormal', new Random(1), 0)).toThrow(/klMonteCarlo: samples must be an integer >= 1, got 0/);
    expect(() => klMonteCarlo(good, 'standardNormal', new Random(1), 2.5)).toThrow(RangeError);
    expect(() => klMonteCarlo(good, 'standardNormal', undefined as unknown as Random, 2)).toThrow(/random must be a Random/);
  });
});
