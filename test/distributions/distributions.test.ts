import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import {
  DiagonalGaussian, diagonalGaussianLogDensity, reparameterize, sampleDiagonalGaussian,
  standardNormal, standardNormalLogDensity,
} from '../../src/distributions/gaussian';
import { bernoulliLogLikelihood } from '../../src/distributions/bernoulli';
import { gaussianLogLikelihood } from '../../src/distributions/gaussianLikelihood';
import { expectClose, expectNoLeak, f32, meanAndSe, take, useBackend } from './testUtils';

const N = 3;
const D = 4;

/** Reference: log of the product of 1-D densities written with σ (not log σ²), in float64. */
function refGaussianLogDensity(z: number[], mean: number[], logVar: number[]): number {
  let p = 0;
  for (let j = 0; j < z.length; j++) {
    const sigma = Math.sqrt(Math.exp(logVar[j]));
    p += Math.log(Math.exp(-0.5 * ((z[j] - mean[j]) / sigma) ** 2) / (sigma * Math.sqrt(2 * Math.PI)));
  }
  return p;
}

function rows(flat: number[], n: number, d: number): number[][] {
  return Array.from({ length: n }, (_, i) => flat.slice(i * d, (i + 1) * d));
}

function randomGaussian(random: Random, n: number, d: number): { q: DiagonalGaussian; mean: number[]; logVar: number[] } {
  const mean = f32(Array.from(random.normals(n * d)));
  const logVar = f32(Array.from(random.normals(n * d), (v) => 0.5 * v));
  return { q: { mean: tf.tensor2d(mean, [n, d]), logVariance: tf.tensor2d(logVar, [n, d]) }, mean, logVar };
}

beforeAll(async () => { await useBackend('cpu'); });

describe('diagonal Gaussian', () => {
  it('log-density matches the product of 1-D densities, summed over dimensions (per example)', () => {
    const random = new Random(1);
    const { q, mean, logVar } = randomGaussian(random, N, D);
    const z = f32(Array.from(random.normals(N * D)));
    const zT = tf.tensor2d(z, [N, D]);
    const got = expectNoLeak(() => take(diagonalGaussianLogDensity(zT, q)));
    const m = rows(mean, N, D); const lv = rows(logVar, N, D); const zr = rows(z, N, D);
    expectClose(got, zr.map((zi, i) => refGaussianLogDensity(zi, m[i], lv[i])), 1e-5, 1e-5);
    tf.dispose([zT, q.mean, q.logVariance]);
  });

  it('standard-normal log-density is N(0, I), summed over dimensions', () => {
    const z = [0, 0, 1, -2, 0.5, 3];
    const zT = tf.tensor2d(z, [2, 3]);
    const got = expectNoLeak(() => take(standardNormalLogDensity(zT)));
    const zero = [0, 0, 0];
    expectClose(got, [refGaussianLogDensity(z.slice(0, 3), zero, zero), refGaussianLogDensity(z.slice(3), zero, zero)], 1e-6);
    // Row 0 = (0, 0, 1): −(3/2) log 2π − ½.
    expect(got[0]).toBeCloseTo(-1.5 * Math.log(2 * Math.PI) - 0.5, 5);
    zT.dispose();
  });

  it('reparameterize computes μ + exp(½ log σ²)·ε exactly', () => {
    const random = new Random(2);
    const { q, mean, logVar } = randomGaussian(random, N, D);
    const eps = f32(Array.from(random.normals(N * D)));
    const epsT = tf.tensor2d(eps, [N, D]);
    const got = expectNoLeak(() => take(reparameterize(q, epsT)));
    expectClose(got, eps.map((e, i) => mean[i] + Math.sqrt(Math.exp(logVar[i])) * e), 1e-6, 1e-6);
    tf.dispose([epsT, q.mean, q.logVariance]);
  });

  it('reparameterize passes gradients to mean and logVariance', () => {
    const mean = tf.tensor2d([[0.3, -1]]);
    const logVar = tf.tensor2d([[0.2, -0.4]]);
    const eps = tf.tensor2d([[1.5, -0.5]]);
    const before = tf.memory().numTensors;
    const grads = tf.grads((m: tf.Tensor, lv: tf.Tensor) =>
      tf.sum(reparameterize({ mean: m as tf.Tensor2D, logVariance: lv as tf.Tensor2D }, eps)))([mean, logVar]);
    expectClose(take(grads[0]), [1, 1], 1e-6);
    // d/d logσ² of exp(½ logσ²)·ε = ½ exp(½ logσ²)·ε
    expectClose(take(grads[1]), [0.5 * Math.exp(0.1) * 1.5, 0.5 * Math.exp(-0.2) * -0.5], 1e-5);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([mean, logVar, eps]);
  });

  it('samples have the mean and variance of q (within 4 standard errors), and the seed fixes them', () => {
    const n = 4000;
    const mean = tf.tensor2d(Array.from({ length: n }, () => [1.5, -2]).flat(), [n, 2]);
    const logVar = tf.tensor2d(Array.from({ length: n }, () => [Math.log(0.25), Math.log(4)]).flat(), [n, 2]);
    const q = { mean, logVariance: logVar };
    const a = expectNoLeak(() => take(sampleDiagonalGaussian(q, new Random(3))));
    const b = take(sampleDiagonalGaussian(q, new Random(3)));
    expect(a).toEqual(b);
    const targets = [{ mu: 1.5, v: 0.25 }, { mu: -2, v: 4 }];
    targets.forEach(({ mu, v }, j) => {
      const col = a.filter((_, i) => i % 2 === j);
      const m = meanAndSe(col);
      expect(Math.abs(m.mean - mu)).toBeLessThan(4 * Math.sqrt(v / n));
      // Var of the sample variance for a normal: 2σ⁴/(n−1).
      const sq = meanAndSe(col.map((c) => (c - mu) ** 2));
      expect(Math.abs(sq.mean - v)).toBeLessThan(4 * Math.sqrt(2 * v * v / n));
    });
    tf.dispose([mean, logVar]);
  });

  it('standardNormal builds N(0, I) of the requested shape', () => {
    const p = standardNormal(2, 3);
    expect(p.mean.shape).toEqual([2, 3]);
    expect(take(p.logVariance)).toEqual([0, 0, 0, 0, 0, 0]);
    p.mean.dispose();
  });
});

describe('Bernoulli likelihood', () => {
  it('matches Σ x log σ(l) + (1−x) log(1−σ(l)) in float64, summed over pixels', () => {
    const random = new Random(4);
    const logits = f32(Array.from(random.normals(N * D), (v) => 3 * v));
    const x = f32(Array.from(random.uniforms(N * D)).map((u, i) => (i % 3 === 0 ? u : u > 0.5 ? 1 : 0)));
    const xT = tf.tensor2d(x, [N, D]);
    const lT = tf.tensor2d(logits, [N, D]);
    const got = expectNoLeak(() => take(bernoulliLogLikelihood(xT, lT)));
    const ref = rows(x, N, D).map((xi, i) => xi.reduce((s, xv, j) => {
      const p = 1 / (1 + Math.exp(-logits[i * D + j]));
      return s + xv * Math.log(p) + (1 - xv) * Math.log(1 - p);
    }, 0));
    expectClose(got, ref, 1e-5, 1e-5);
    tf.dispose([xT, lT]);
  });

  it('stays exact for extreme logits (no log 0)', () => {
    const xT = tf.tensor2d([[1, 0, 1, 0]]);
    const lT = tf.tensor2d([[100, -100, -100, 100]]);
    const [got] = take(bernoulliLogLikelihood(xT, lT));
    // log σ(100) ≈ −e⁻¹⁰⁰ ≈ 0; log σ(−100) ≈ −100, twice.
    expect(got).toBeCloseTo(-200, 3);
    tf.dispose([xT, lT]);
  });

  it('sums (does not average) over 784 pixels', () => {
    const xT = tf.ones([2, 784]) as tf.Tensor2D;
    const lT = tf.zeros([2, 784]) as tf.Tensor2D;
    expectClose(take(bernoulliLogLikelihood(xT, lT)), [-784 * Math.LN2, -784 * Math.LN2], 1e-5);
    tf.dispose([xT, lT]);
  });
});

describe('Gaussian likelihood', () => {
  const random = new Random(5);
  const x = f32(Array.from(random.normals(N * D)));
  const mean = f32(Array.from(random.normals(N * D)));
  const lvFull = f32(Array.from(random.normals(N * D), (v) => 0.3 * v));

  it('per-pixel log-variance matches the float64 density', () => {
    const [xT, mT, vT] = [tf.tensor2d(x, [N, D]), tf.tensor2d(mean, [N, D]), tf.tensor2d(lvFull, [N, D])];
    const got = expectNoLeak(() => take(gaussianLogLikelihood(xT, mT, vT)));
    const xr = rows(x, N, D); const mr = rows(mean, N, D); const vr = rows(lvFull, N, D);
    expectClose(got, xr.map((xi, i) => refGaussianLogDensity(xi, mr[i], vr[i])), 1e-5, 1e-5);
    tf.dispose([xT, mT, vT]);
  });

  it('shared [1, D] and scalar log-variance broadcast over rows', () => {
    const [xT, mT] = [tf.tensor2d(x, [N, D]), tf.tensor2d(mean, [N, D])];
    const shared = lvFull.slice(0, D);
    const sT = tf.tensor2d(shared, [1, D]);
    const xr = rows(x, N, D); const mr = rows(mean, N, D);
    expectClose(expectNoLeak(() => take(gaussianLogLikelihood(xT, mT, sT))),
      xr.map((xi, i) => refGaussianLogDensity(xi, mr[i], shared)), 1e-5, 1e-5);
    const c = Math.log(0.3);
    expectClose(expectNoLeak(() => take(gaussianLogLikelihood(xT, mT, c))),
      xr.map((xi, i) => refGaussianLogDensity(xi, mr[i], [c, c, c, c])), 1e-5, 1e-5);
    tf.dispose([xT, mT, sT]);
  });
});

describe('bad input', () => {
  const good = (): DiagonalGaussian => ({ mean: tf.zeros([4, 2]), logVariance: tf.zeros([4, 2]) });

  it('mismatched shapes name the argument and both shapes', () => {
    const q = { mean: tf.zeros([4, 2]) as tf.Tensor2D, logVariance: tf.zeros([4, 3]) as tf.Tensor2D };
    expect(() => diagonalGaussianLogDensity(tf.zeros([4, 2]) as tf.Tensor2D, q))
      .toThrow(/diagonalGaussianLogDensity: q.logVariance must have the same shape as q.mean \[4,2\], got \[4,3\]/);
    const g = good();
    expect(() => reparameterize(g, tf.zeros([4, 3]) as tf.Tensor2D)).toThrow(/reparameterize: noise .*\[4,2\], got \[4,3\]/);
    expect(() => bernoulliLogLikelihood(tf.zeros([2, 3]) as tf.Tensor2D, tf.zeros([2, 4]) as tf.Tensor2D)).toThrow(RangeError);
    expect(() => gaussianLogLikelihood(tf.zeros([2, 3]) as tf.Tensor2D, tf.zeros([2, 3]) as tf.Tensor2D, tf.zeros([2, 4]) as tf.Tensor2D))
      .toThrow(/gaussianLogLikelihood: logVariance must have shape \[2,3\] or \[1,3\]/);
    expect(() => standardNormalLogDensity(tf.zeros([3]) as unknown as tf.Tensor2D)).toThrow(/z must be a rank-2 tensor/);
  });

  it('non-finite parameters (σ = 0 or ∞, NaN) are rejected', () => {
    const q = { mean: tf.zeros([1, 2]) as tf.Tensor2D, logVariance: tf.tensor2d([[0, -Infinity]]) };
    expect(() => sampleDiagonalGaussian(q, new Random(1))).toThrow(/sampleDiagonalGaussian: q.logVariance must contain finite values, got -Infinity/);
    const q2 = { mean: tf.tensor2d([[NaN, 0]]), logVariance: tf.zeros([1, 2]) as tf.Tensor2D };
    expect(() => diagonalGaussianLogDensity(tf.zeros([1, 2]) as tf.Tensor2D, q2)).toThrow(/q.mean must contain finite values/);
    expect(() => gaussianLogLikelihood(tf.zeros([1, 2]) as tf.Tensor2D, tf.zeros([1, 2]) as tf.Tensor2D, Infinity))
      .toThrow(/gaussianLogLikelihood: logVariance must be a finite number/);
    expect(() => bernoulliLogLikelihood(tf.tensor2d([[2, 0]]), tf.zeros([1, 2]) as tf.Tensor2D))
      .toThrow(/bernoulliLogLikelihood: x must contain finite values in \[0, 1\], got 2/);
  });

  it('wrong types name what was expected', () => {
    expect(() => standardNormalLogDensity([[1, 2]] as unknown as tf.Tensor2D)).toThrow(TypeError);
    expect(() => sampleDiagonalGaussian(good(), {} as Random)).toThrow(/random must be a Random/);
    expect(() => reparameterize(null as unknown as DiagonalGaussian, tf.zeros([1, 1]) as tf.Tensor2D)).toThrow(/q must be a DiagonalGaussian/);
    expect(() => standardNormalLogDensity(tf.zeros([1, 2], 'int32') as tf.Tensor2D)).toThrow(/dtype float32/);
  });

  it('a q that is not an object says what it got (null, a number)', () => {
    const noise = tf.zeros([1, 1]) as tf.Tensor2D;
    expect(() => reparameterize(null as unknown as DiagonalGaussian, noise)).toThrow(/reparameterize: q must be a DiagonalGaussian \{mean, logVariance\}, got null$/);
    expect(() => reparameterize(3 as unknown as DiagonalGaussian, noise)).toThrow(/reparameterize: q must be a DiagonalGaussian \{mean, logVariance\}, got number$/);
    noise.dispose();
  });

  it('standardNormal takes any batch and latent size ≥ 1 and names a bad one', () => {
    const p = standardNormal(1, 1);
    expect(p.mean.shape).toEqual([1, 1]);
    tf.dispose([p.mean, p.logVariance]);
    expect(() => standardNormal(0, 2)).toThrow(/standardNormal: batch must be an integer >= 1, got 0/);
    expect(() => standardNormal(2, 0)).toThrow(/standardNormal: latentSize must be an integer >= 1, got 0/);
    expect(() => standardNormal(2, 1.5)).toThrow(/standardNormal: latentSize must be an integer >= 1, got 1.5/);
  });

  it('a per-row log-variance of another batch size is refused (only [n, D] or [1, D] broadcast)', () => {
    expect(() => gaussianLogLikelihood(tf.zeros([2, 3]) as tf.Tensor2D, tf.zeros([2, 3]) as tf.Tensor2D, tf.zeros([3, 3]) as tf.Tensor2D))
      .toThrow(/gaussianLogLikelihood: logVariance must have shape \[2,3\] or \[1,3\] \(or be a number\), got \[3,3\]/);
  });
});
