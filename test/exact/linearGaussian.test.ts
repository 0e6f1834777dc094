import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { LinearGaussianModel } from '../../src/exact/linearGaussian';
import { cholesky, choleskyInverse, normalUpperQuantile, normalUpperTail } from '../../src/exact/linearAlgebra';
import { expectClose, expectNoLeak, take, useBackend } from '../distributions/testUtils';

beforeAll(async () => { await useBackend('cpu'); });

const LOG_2PI = Math.log(2 * Math.PI);

/** Independent float64 brute force: p(x) and posterior moments by a fine 2-D Riemann sum of p(x|z)p(z). */
function bruteForce2d(m: LinearGaussianModel, x: number[], half = 9, n = 1200): { logPx: number; mean: number[]; cov: number[] } {
  const h = (2 * half) / n;
  let total = 0;
  const s1 = [0, 0];
  const s2 = [0, 0, 0];
  for (let i = 0; i <= n; i++) {
    for (let j = 0; j <= n; j++) {
      const z = [-half + i * h, -half + j * h];
      let sq = 0;
      for (let k = 0; k < m.dataSize; k++) {
        const mean = m.weights[2 * k] * z[0] + m.weights[2 * k + 1] * z[1] + m.bias[k];
        sq += (x[k] - mean) ** 2;
      }
      const logJoint = -0.5 * (m.dataSize * (LOG_2PI + m.logVariance) + sq / Math.exp(m.logVariance)) - LOG_2PI - 0.5 * (z[0] ** 2 + z[1] ** 2);
      const w = Math.exp(logJoint);
      total += w;
      s1[0] += w * z[0]; s1[1] += w * z[1];
      s2[0] += w * z[0] * z[0]; s2[1] += w * z[0] * z[1]; s2[2] += w * z[1] * z[1];
    }
  }
  const mean = [s1[0] / total, s1[1] / total];
  const cov = [s2[0] / total - mean[0] ** 2, s2[1] / total - mean[0] * mean[1], s2[2] / total - mean[1] ** 2];
  return { logPx: Math.log(total * h * h), mean, cov };
}

describe('linear algebra', () => {
  it('Cholesky reproduces A and its inverse; the normal tail matches known values', () => {
    const a = [4, 2, 0.4, 2, 5, 1, 0.4, 1, 3];
    const l = cholesky(a, 3);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += l[i * 3 + k] * l[j * 3 + k];
      expect(s).toBeCloseTo(a[i * 3 + j], 12);
    }
    const inv = choleskyInverse(l, 3);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += a[i * 3 + k] * inv[k * 3 + j];
      expect(s).toBeCloseTo(i === j ? 1 : 0, 12);
    }
    expect(() => cholesky([1, 2, 2, 1], 2)).toThrow(/positive definite/);
    // Documented accuracy of the erfc fit: 1.2e-7 relative.
    expect(normalUpperTail(1.959963984540054) / 0.025).toBeCloseTo(1, 6);
    expect(normalUpperTail(0) / 0.5).toBeCloseTo(1, 6);
    expect(normalUpperTail(5) / 2.866515718791939e-7).toBeCloseTo(1, 6);
    expect(normalUpperTail(-1.959963984540054) / 0.975).toBeCloseTo(1, 6);
    expect(normalUpperQuantile(0.025)).toBeCloseTo(1.959963984540054, 6);
  });
});

describe('linear-Gaussian exact references', () => {
  it('1-D model: log p(x) = log N(x; b, w² + σ²) by hand', () => {
    const m = new LinearGaussianModel([[1.7]], [0.3], Math.log(0.4));
    const v = 1.7 ** 2 + 0.4;
    for (const x of [-2, 0.3, 1.1, 4]) {
      const ref = -0.5 * (LOG_2PI + Math.log(v) + (x - 0.3) ** 2 / v);
      expect(m.logMarginal([x])).toBeCloseTo(ref, 12);
      // Posterior by hand: precision 1 + w²/σ², mean (w/σ²)(x − b) / precision.
      const precision = 1 + 1.7 ** 2 / 0.4;
      const post = m.posterior([x]);
      expect(post.mean[0]).toBeCloseTo((1.7 / 0.4) * (x - 0.3) / precision, 12);
      expect(post.covariance[0]).toBeCloseTo(1 / precision, 12);
    }
  });

  it('log p(x): Woodbury (L×L) = dense D×D Cholesky = brute-force 2-D integration, for 3 random models', () => {
    for (const seed of [1, 2, 3]) {
      const r = new Random(seed);
      const m = LinearGaussianModel.random(r, 4, 2, { logVariance: Math.log(0.3 + r.uniform()) });
      const x = Array.from(m.sample(r, 1));
      const woodbury = m.logMarginal(x);
      expect(woodbury).toBeCloseTo(m.logMarginalDense(x), 10);
      const brute = bruteForce2d(m, x);
      expect(Math.abs(woodbury - brute.logPx)).toBeLessThan(1e-7);
    }
  });

  it('Woodbury and dense routes agree for a 784-pixel, 5-latent model', () => {
    const r = new Random(4);
    const m = LinearGaussianModel.random(r, 784, 5, { logVariance: Math.log(0.2), scale: 0.2 });
    const x = Array.from(m.sample(r, 1));
    expect(Math.abs(m.logMarginal(x) - m.logMarginalDense(x))).toBeLessThan(1e-9 * Math.abs(m.logMarginal(x)));
  });

  it("the exact posterior equals Bayes' rule by brute-force 2-D integration", () => {
    const r = new Random(5);
    const m = LinearGaussianModel.random(r, 3, 2, { logVariance: Math.log(0.5) });
    const x = Array.from(m.sample(r, 1));
    const post = m.posterior(x);
    const brute = bruteForce2d(m, x);
    expectClose(post.mean, brute.mean, 0, 1e-7);
    expectClose([post.covariance[0], post.covariance[1], post.covariance[3]], brute.cov, 0, 1e-7);
    expect(post.covariance[1]).toBe(post.covariance[2]);
  });

  it('gap identity in float64: log p(x) − ELBO(q) = KL(q ‖ p(z|x)) to 1e-10 relative, 20 random q', () => {
    const r = new Random(6);
    const m = LinearGaussianModel.random(r, 6, 3, { logVariance: Math.log(0.7) });
    const x = Array.from(m.sample(r, 1));
    for (let t = 0; t < 20; t++) {
      const q = { mean: Array.from(r.normals(3)), logVariance: Array.from(r.normals(3)) };
      const kl = m.klToPosterior(x, q);
      expect(kl).toBeGreaterThan(0);
      const gap = m.logMarginal(x) - m.elbo(x, q).elbo;
      expect(Math.abs(gap - kl)).toBeLessThan(1e-10 * Math.max(1, kl));
    }
  });

  it('closed-form ELBO terms agree with float64 Monte Carlo over z ~ q (5 standard errors)', () => {
    const r = new Random(7);
    const m = LinearGaussianModel.random(r, 5, 2, { logVariance: Math.log(0.5) });
    const x = Array.from(m.sample(r, 1));
    const q = { mean: [0.3, -0.4], logVariance: [-0.7, 0.2] };
    const e = m.elbo(x, q);
    const s = 20000;
    let sum = 0; let sumSq = 0;
    for (let i = 0; i < s; i++) {
      const z = [0, 1].map((j) => q.mean[j] + Math.exp(0.5 * q.logVariance[j]) * r.normal());
      const v = m.logLikelihood(x, z);
      sum += v; sumSq += v * v;
    }
    const mean = sum / s;
    const se = Math.sqrt((sumSq / s - mean ** 2) / s);
    expect(Math.abs(mean - e.reconstruction)).toBeLessThan(5 * se);
    expect(e.elbo).toBeCloseTo(e.reconstruction + e.expectedLogPrior + e.entropy, 12);
  });

  it('q = exact posterior (orthogonal columns) gives KL 0 and ELBO = log p(x)', () => {
    const r = new Random(8);
    const m = LinearGaussianModel.random(r, 7, 3, { logVariance: Math.log(0.4), orthogonalColumns: true });
    const x = Array.from(m.sample(r, 1));
    const post = m.posterior(x);
    expect(post.maxAbsCorrelation).toBeLessThan(1e-12);
    const q = m.posteriorMarginals(x);
    expect(Math.abs(m.klToPosterior(x, q))).toBeLessThan(1e-12);
    expect(m.elbo(x, q).elbo).toBeCloseTo(m.logMarginal(x), 10);
  });

  it('random({ orthogonalColumns }): W is the Q of the drawn Gaussian matrix (R with a positive diagonal), each column scaled to scale·√D·(0.5 + u)', () => {
    const [d, l, scale, seed] = [9, 4, 0.7, 31];
    const m = LinearGaussianModel.random(new Random(seed), d, l, { orthogonalColumns: true, scale, logVariance: -0.5 });
    // The same generator, replayed in the documented order: D·L normals for W₀, L uniforms for the norms, D normals for b.
    const replay = new Random(seed);
    const w0 = Array.from({ length: d * l }, () => scale * replay.normal());
    const norms = Array.from({ length: l }, () => scale * Math.sqrt(d) * (0.5 + replay.uniform()));
    const bias = Array.from({ length: d }, () => replay.normal());
    expect(Array.from(m.bias)).toEqual(bias);
    const column = (a: ArrayLike<number>, j: number): number[] => Array.from({ length: d }, (_, i) => a[i * l + j]);
    const inner = (u: number[], v: number[]): number => u.reduce((t, ui, i) => t + ui * v[i], 0);
    for (let j = 0; j < l; j++) {
      // Orthogonal columns of the drawn norms.
      for (let k = 0; k < l; k++) expect(inner(column(m.weights, j), column(m.weights, k))).toBeCloseTo(j === k ? norms[j] ** 2 : 0, 10);
      // Wᵀ W₀ = diag(norms) · R: zero below the diagonal (column j of W lies in the span of W₀'s first j + 1 columns), positive on it.
      for (let k = 0; k < j; k++) expect(Math.abs(inner(column(m.weights, j), column(w0, k)))).toBeLessThan(1e-10);
      expect(inner(column(m.weights, j), column(w0, j))).toBeGreaterThan(0.1);
    }
  });

  it('sample(random, n): row i is W z_i + b + σ ε_i with z_i then ε_i drawn from random, n·(L + D) normals in all', () => {
    const m = new LinearGaussianModel([[1, 0.5], [-0.3, 2], [0.7, -1.1]], [1, -1, 0.25], Math.log(0.25));
    const [n, seed] = [5, 12];
    const random = new Random(seed);
    const xs = m.sample(random, n);
    const replay = new Random(seed);
    for (let i = 0; i < n; i++) {
      const z = [replay.normal(), replay.normal()];
      for (let k = 0; k < 3; k++) {
        const expected = m.weights[2 * k] * z[0] + m.weights[2 * k + 1] * z[1] + m.bias[k] + 0.5 * replay.normal();
        expect(xs[i * 3 + k]).toBeCloseTo(expected, 14);
      }
    }
    // Nothing more was drawn: the caller's generator goes on where the replay does.
    expect(random.normal()).toBe(replay.normal());
  });

  it('posterior: the covariance is exactly symmetric, and maxAbsCorrelation is the largest |corr| (closed form of a 2×2 block of M)', () => {
    // Columns 0 and 2 of W overlap, column 1 is orthogonal to both: M = WᵀW + σ²I is block diagonal, and
    // the posterior correlation of z₀ and z₂ is −M₀₂ / √(M₀₀ M₂₂) (the inverse of a 2×2 block); the others are 0.
    const w = [[1, 0, 0.6], [0, 2, 0], [0.5, 0, -0.2], [0, 0, 0.9]];
    const m = new LinearGaussianModel(w, [0, 0, 0, 0], Math.log(0.3));
    const mm = m.matrixM();
    const post = m.posterior([0.4, -0.2, 1.3, 0.1]);
    expect(post.maxAbsCorrelation).toBeCloseTo(Math.abs(mm[2]) / Math.sqrt(mm[0] * mm[8]), 12);
    expect(post.maxAbsCorrelation).toBeGreaterThan(0.1);
    // A 5-latent model: S_ij === S_ji to the last bit, though σ² M⁻¹ solved column by column is not.
    const big = LinearGaussianModel.random(new Random(13), 8, 5, { logVariance: Math.log(0.2) });
    const bigPosterior = big.posterior(Array.from(big.sample(new Random(14), 1)));
    const s = bigPosterior.covariance;
    const raw = choleskyInverse(cholesky(big.matrixM(), 5), 5).map((v) => v * 0.2);
    let asymmetricRaw = 0;
    let largest = 0;
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < i; j++) {
        expect(s[j * 5 + i]).toBe(s[i * 5 + j]);
        expect(s[i * 5 + j]).toBeCloseTo(raw[i * 5 + j], 12);
        if (raw[i * 5 + j] !== raw[j * 5 + i]) asymmetricRaw++;
        largest = Math.max(largest, Math.abs(raw[j * 5 + i]) / Math.sqrt(raw[i * 6] * raw[j * 6]));
      }
    }
    expect(asymmetricRaw).toBeGreaterThan(0);
    // Every pair of the 5 counts (from the upper triangle of the unsymmetrised inverse here).
    expect(bigPosterior.maxAbsCorrelation).toBeCloseTo(largest, 12);
  });

  it('sample() draws x with mean b and covariance WWᵀ + σ²I (4 standard errors)', () => {
    const r = new Random(9);
    const m = new LinearGaussianModel([[1, 0.5], [-0.3, 2]], [1, -1], Math.log(0.25));
    const n = 20000;
    const xs = m.sample(new Random(10), n);
    const c = m.marginalCovariance();
    for (let k = 0; k < 2; k++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += xs[i * 2 + k];
      expect(Math.abs(s / n - m.bias[k])).toBeLessThan(4 * Math.sqrt(c[k * 2 + k] / n));
    }
    let cross = 0;
    for (let i = 0; i < n; i++) cross += (xs[i * 2] - 1) * (xs[i * 2 + 1] + 1);
    const c01 = c[1];
    expect(Math.abs(cross / n - c01)).toBeLessThan(4 * Math.sqrt((c[0] * c[3] + c01 * c01) / n));
    expect(r).toBeDefined();
  });

  it('the tfjs adapter computes log N(x; Wz + b, σ²I) like the float64 method, leaking nothing', () => {
    const r = new Random(11);
    const m = LinearGaussianModel.random(r, 6, 2, { logVariance: Math.log(0.3) });
    const xs = Array.from(m.sample(r, 3));
    const zs = Array.from(r.normals(6));
    const decoder = m.asGenerativeModel();
    const xT = tf.tensor2d(xs, [3, 6]);
    const zT = tf.tensor2d(zs, [3, 2]);
    const got = expectNoLeak(() => take(decoder.logLikelihood(xT, zT)));
    const xf = Array.from(xT.dataSync()); const zf = Array.from(zT.dataSync());
    const ref = [0, 1, 2].map((i) => m.logLikelihood(xf.slice(6 * i, 6 * i + 6), zf.slice(2 * i, 2 * i + 2)));
    expectClose(got, ref, 2e-6, 1e-5);
    expect(() => decoder.logLikelihood(xT, tf.zeros([2, 2]) as tf.Tensor2D)).toThrow(/z must have as many rows as x \(3\)/);
    expect(() => decoder.logLikelihood(xT, tf.zeros([3, 3]) as tf.Tensor2D)).toThrow(/z must have 2 columns/);
    tf.dispose([xT, zT]);
  });

  it('exact methods accept [1, D] tensors and create no tensors', () => {
    const m = new LinearGaussianModel([[1, 0], [0, 1], [1, 1]], [0, 0, 0], 0);
    const xT = tf.tensor2d([[0.5, -0.5, 1]]);
    const before = tf.memory().numTensors;
    const q = { mean: tf.tensor2d([[0.1, 0.2]]), logVariance: tf.tensor2d([[-1, -1]]) };
    const after = tf.memory().numTensors;
    expect(m.logMarginal(xT)).toBeCloseTo(m.logMarginal([0.5, -0.5, 1]), 6);
    expect(m.klToPosterior(xT, q)).toBeCloseTo(m.klToPosterior([0.5, -0.5, 1], { mean: [0.1, 0.2], logVariance: [-1, -1] }), 5);
    m.posterior(xT); m.elbo(xT, q); m.logMarginalDense(xT); m.sample(new Random(1), 2); m.asGenerativeModel();
    expect(tf.memory().numTensors).toBe(after);
    expect(after - before).toBe(2);
    tf.dispose([xT, q.mean, q.logVariance]);
  });

  it('bad input names the argument', () => {
    const m = new LinearGaussianModel([[1, 0], [0, 1]], [0, 0], 0);
    expect(() => new LinearGaussianModel([[1, 0], [1]], [0, 0], 0)).toThrow(/weights must be a D×L matrix/);
    // Each way a shape can be wrong on its own: ragged rows of a divisible total, a flat array not a
    // multiple of dataSize, no numbers at all.
    expect(() => new LinearGaussianModel([[1, 0], [1], [1, 2, 3]], [0, 0, 0], 0)).toThrow(/weights must be a D×L matrix with D = 3 rows of equal length, got 6 numbers/);
    expect(() => new LinearGaussianModel([1, 2, 3], [0, 0], 0, 2)).toThrow(/weights must be a D×L matrix with D = 2 rows of equal length, got 3 numbers/);
    expect(() => new LinearGaussianModel([[]], [0], 0)).toThrow(/weights must be a D×L matrix with D = 1 rows of equal length, got 0 numbers/);
    expect(() => new LinearGaussianModel([[1]], [0, 0], 0)).toThrow(/LinearGaussianModel: bias must have length 1, got 2/);
    expect(() => new LinearGaussianModel([[1]], [0], Infinity)).toThrow(/logVariance must be a finite number/);
    expect(() => new LinearGaussianModel([[NaN]], [0], 0)).toThrow(/weights must contain finite numbers/);
    expect(() => m.logMarginal([1, 2, 3])).toThrow(/LinearGaussianModel.logMarginal: x must have length 2, got 3/);
    expect(() => m.elbo([1, 2], { mean: [0, 0], logVariance: [0, -Infinity] })).toThrow(/q.logVariance must contain finite numbers/);
    expect(() => m.klToPosterior([1, 2], { mean: [0], logVariance: [0] })).toThrow(/q.mean must have length 2/);
    expect(() => m.elbo([1, 2], [0, 0] as never)).toThrow(/q must be a diagonal Gaussian/);
    expect(() => LinearGaussianModel.random(new Random(1), 2, 3, { orthogonalColumns: true })).toThrow(/latentSize must be an integer in \[1, 2\]/);
  });
});
