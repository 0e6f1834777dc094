import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import type { DiagonalGaussian } from '../../src/distributions/gaussian';
import { LinearGaussianModel } from '../../src/exact/linearGaussian';
import { elboTensors, estimateElbo } from '../../src/objectives/elbo';
import { importanceWeightedBound } from '../../src/objectives/iwae';
import { logImportanceWeights, logWeightsOf, sampleJoint, sampleJointBlocks } from '../../src/objectives/sampleJoint';
import type { GenerativeModel, InferenceModel } from '../../src/objectives/types';
import { expectNoLeak, take, useBackend } from '../distributions/testUtils';

beforeAll(async () => { await useBackend('cpu'); });

interface Setup {
  model: LinearGaussianModel;
  decoder: GenerativeModel;
  x: tf.Tensor2D;
  xRows: number[][];
  q: DiagonalGaussian;
  qRows: { mean: number[]; logVariance: number[] }[];
}

/** A linear-Gaussian model, 3 data points drawn from it, and a q per point (float32-exact inputs). */
function setup(seed: number, options: { orthogonal?: boolean; qFromPosterior?: number } = {}): Setup {
  const r = new Random(seed);
  const model = LinearGaussianModel.random(r, 5, 2, { logVariance: Math.log(0.5), orthogonalColumns: options.orthogonal });
  const x = tf.tensor2d(Array.from(model.sample(r, 3)), [3, 5]);
  const xRows = x.arraySync();
  const qRows = xRows.map((xi) => {
    if (options.qFromPosterior !== undefined) {
      const p = model.posteriorMarginals(xi);
      const shift = options.qFromPosterior;
      return { mean: Array.from(p.mean, (m, j) => m + shift * Math.exp(0.5 * p.logVariance[j])), logVariance: Array.from(p.logVariance, (v) => v + shift) };
    }
    return { mean: Array.from(r.normals(2), (v) => 0.5 * v), logVariance: Array.from(r.normals(2), (v) => -1 + 0.3 * v) };
  });
  const q = { mean: tf.tensor2d(qRows.map((v) => v.mean)), logVariance: tf.tensor2d(qRows.map((v) => v.logVariance)) };
  // Reference values use exactly the float32 numbers the tensors hold.
  const qf = { mean: q.mean.arraySync(), logVariance: q.logVariance.arraySync() };
  return { model, decoder: model.asGenerativeModel(), x, xRows, q, qRows: qf.mean.map((m, i) => ({ mean: m, logVariance: qf.logVariance[i] })) };
}

function free(s: Setup): void { tf.dispose([s.x, s.q.mean, s.q.logVariance]); }

/** An encoder whose q is a fixed function of x, to exercise the InferenceModel path. */
class FixedEncoder implements InferenceModel {
  readonly latentSize = 2;
  calls = 0;
  constructor(private readonly rows: { mean: number[]; logVariance: number[] }[]) {}
  encode(x: tf.Tensor2D): DiagonalGaussian {
    this.calls++;
    expect(x.shape[0]).toBe(this.rows.length);
    return { mean: tf.tensor2d(this.rows.map((r) => r.mean)), logVariance: tf.tensor2d(this.rows.map((r) => r.logVariance)) };
  }
}

describe('ELBO estimator, both forms', () => {
  it('matches the closed-form ELBO of the linear-Gaussian model within 5 SE, per example, for 3 seeds', () => {
    const s = setup(1);
    const exact = s.xRows.map((xi, i) => s.model.elbo(xi, s.qRows[i]));
    for (const seed of [10, 11, 12]) {
      for (const form of ['analyticKl', 'monteCarlo'] as const) {
        const e = expectNoLeak(() => estimateElbo(s.q, s.decoder, s.x, new Random(seed), 3000, form));
        expect(e.form).toBe(form);
        for (let i = 0; i < 3; i++) {
          expect(e.elboStandardError[i]).toBeGreaterThan(0);
          expect(Math.abs(e.elbo[i] - exact[i].elbo)).toBeLessThan(5 * e.elboStandardError[i]);
          expect(Math.abs(e.reconstruction[i] - exact[i].reconstruction)).toBeLessThan(5 * e.reconstructionStandardError[i]);
          expect(e.elbo[i]).toBeCloseTo(e.reconstruction[i] - e.kl[i], 10);
          if (form === 'analyticKl') {
            expect(e.klStandardError[i]).toBe(0);
            expect(e.kl[i]).toBeCloseTo(exact[i].kl, 5);
          } else {
            expect(Math.abs(e.kl[i] - exact[i].kl)).toBeLessThan(5 * e.klStandardError[i]);
          }
        }
        expect(e.batchMean.elbo).toBeCloseTo((e.elbo[0] + e.elbo[1] + e.elbo[2]) / 3, 10);
        expect(e.batchMean.elboStandardError).toBeCloseTo(Math.hypot(...e.elboStandardError) / 3, 10);
      }
    }
    free(s);
  });

  it('gap: log p(x) − ELBO estimate agrees with the closed-form KL(q ‖ p(z|x)) within 5 SE', () => {
    const s = setup(2);
    const e = estimateElbo(s.q, s.decoder, s.x, new Random(3), 20000);
    for (let i = 0; i < 3; i++) {
      const gap = s.model.logMarginal(s.xRows[i]) - e.elbo[i];
      const kl = s.model.klToPosterior(s.xRows[i], s.qRows[i]);
      expect(kl).toBeGreaterThan(10 * e.elboStandardError[i]);
      expect(Math.abs(gap - kl)).toBeLessThan(5 * e.elboStandardError[i] + 1e-5 * Math.abs(e.elbo[i]));
    }
    free(s);
  });

  it('an InferenceModel gives the same numbers as its explicit q, and its q is disposed', () => {
    const s = setup(4);
    const encoder = new FixedEncoder(s.qRows);
    const a = expectNoLeak(() => estimateElbo(encoder, s.decoder, s.x, new Random(5), 50, 'monteCarlo'));
    const b = estimateElbo(s.q, s.decoder, s.x, new Random(5), 50, 'monteCarlo');
    expect(Array.from(a.elbo)).toEqual(Array.from(b.elbo));
    expect(encoder.calls).toBe(1);
    expectNoLeak(() => importanceWeightedBound(encoder, s.decoder, s.x, new Random(5), 3, 2));
    expectNoLeak(() => logImportanceWeights(encoder, s.decoder, s.x, new Random(5), 3));
    free(s);
  });

  it('results do not depend on chunking, and both forms share the same z draws', () => {
    const s = setup(6);
    const a = estimateElbo(s.q, s.decoder, s.x, new Random(7), 40, 'monteCarlo');
    const b = estimateElbo(s.q, s.decoder, s.x, new Random(7), 40, 'monteCarlo', 7);
    for (let i = 0; i < 3; i++) expect(b.elbo[i]).toBeCloseTo(a.elbo[i], 9);
    const c = estimateElbo(s.q, s.decoder, s.x, new Random(7), 40, 'analyticKl', 13);
    for (let i = 0; i < 3; i++) expect(c.reconstruction[i]).toBeCloseTo(a.reconstruction[i], 9);
    free(s);
  });

  it('q = exact posterior: every sample of log p(x,z)/q(z|x) equals log p(x), so the ELBO has no gap', () => {
    const s = setup(8, { orthogonal: true, qFromPosterior: 0 });
    const e = estimateElbo(s.q, s.decoder, s.x, new Random(9), 200, 'monteCarlo');
    for (let i = 0; i < 3; i++) {
      const logPx = s.model.logMarginal(s.xRows[i]);
      // float32 arithmetic on values of size ~10: a few 1e-6 relative.
      expect(Math.abs(e.elbo[i] - logPx)).toBeLessThan(1e-4);
      expect(e.elboStandardError[i]).toBeLessThan(1e-5);
      expect(Math.abs(s.model.klToPosterior(s.xRows[i], s.qRows[i]))).toBeLessThan(1e-5);
    }
    free(s);
  });
});

describe('differentiable ELBO tensors', () => {
  it('per-example values and the μ-gradient match the closed forms given the same noise', () => {
    const s = setup(12);
    const samples = 4;
    const before = tf.memory().numTensors;
    const grad = tf.grad((mean: tf.Tensor) => {
      const t = elboTensors({ mean: mean as tf.Tensor2D, logVariance: s.q.logVariance }, s.decoder, s.x, new Random(13), samples);
      return tf.sum(t.elbo);
    })(s.q.mean);
    const g = take(grad);
    expect(tf.memory().numTensors).toBe(before);
    // Same noise as elboTensors draws: one block, sample-major rows.
    const eps = new Random(13).normals(samples * 3 * 2);
    const { model } = s;
    const sigma2 = Math.exp(model.logVariance);
    for (let i = 0; i < 3; i++) {
      const { mean, logVariance } = s.qRows[i];
      // d/dμ of (1/S) Σ_s log N(x; W z_s + b, σ²I) − KL = Wᵀ(x − b − W z̄)/σ² − μ, z̄ the mean draw.
      const zbar = [0, 1].map((j) => mean[j] + Math.exp(0.5 * logVariance[j]) * (Array.from({ length: samples }, (_, t) => eps[(t * 3 + i) * 2 + j]).reduce((a, b) => a + b, 0) / samples));
      for (let j = 0; j < 2; j++) {
        let gj = 0;
        for (let k = 0; k < 5; k++) {
          const resid = s.xRows[i][k] - model.bias[k] - model.weights[2 * k] * zbar[0] - model.weights[2 * k + 1] * zbar[1];
          gj += model.weights[2 * k + j] * resid / sigma2;
        }
        expect(g[i * 2 + j]).toBeCloseTo(gj - mean[j], 3);
      }
    }
    const t = elboTensors(s.q, s.decoder, s.x, new Random(1), 1, 'monteCarlo');
    expect(t.elbo.shape).toEqual([3]);
    tf.dispose([t.elbo, t.kl, t.reconstruction]);
    free(s);
  });

  it("the Monte Carlo form's KL is log q(z|x) − log p(z) at the drawn z, not the closed form", () => {
    const s = setup(24);
    const t = elboTensors(s.q, s.decoder, s.x, new Random(25), 1, 'monteCarlo');
    const [kl, elbo, reconstruction] = [take(t.kl), take(t.elbo), take(t.reconstruction)];
    const closedForm = take(elboTensors(s.q, s.decoder, s.x, new Random(25), 1, 'analyticKl').kl);
    // One sample per example, ε row i: log N(z; μ, σ²) − log N(z; 0, 1) = Σ_j ½ (z_j² − ε_j² − log σ²_j), in float64.
    const eps = new Random(25).normals(3 * 2);
    for (let i = 0; i < 3; i++) {
      const { mean, logVariance } = s.qRows[i];
      let expected = 0;
      for (let j = 0; j < 2; j++) {
        const e = eps[i * 2 + j];
        const z = mean[j] + Math.exp(0.5 * logVariance[j]) * e;
        expected += 0.5 * (z * z - e * e - logVariance[j]);
      }
      expect(kl[i]).toBeCloseTo(expected, 5);
      expect(Math.abs(kl[i] - closedForm[i])).toBeGreaterThan(1e-3);
      expect(elbo[i]).toBeCloseTo(reconstruction[i] - kl[i], 5);
    }
    free(s);
  });

  it('with an InferenceModel, the q it encodes is freed', () => {
    const s = setup(26);
    const encoder = new FixedEncoder(s.qRows);
    const a = expectNoLeak(() => elboTensors(encoder, s.decoder, s.x, new Random(27), 2));
    expect(encoder.calls).toBe(1);
    expect(a.elbo.isDisposed).toBe(true);
    free(s);
  });

  it('averaged over many draws they estimate the exact ELBO (5 SE), in both forms', () => {
    const s = setup(14);
    for (const form of ['analyticKl', 'monteCarlo'] as const) {
      const t = expectNoLeak(() => elboTensors(s.q, s.decoder, s.x, new Random(15), 1, form));
      tf.dispose([t.elbo, t.kl, t.reconstruction]);
      const draws: number[][] = [];
      for (let rep = 0; rep < 400; rep++) {
        const d = elboTensors(s.q, s.decoder, s.x, new Random(100 + rep), 1, form);
        draws.push(take(d.elbo));
        tf.dispose([d.kl, d.reconstruction]);
      }
      for (let i = 0; i < 3; i++) {
        const v = draws.map((d) => d[i]);
        const m = v.reduce((a, b) => a + b, 0) / v.length;
        const se = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1) / v.length);
        expect(Math.abs(m - s.model.elbo(s.xRows[i], s.qRows[i]).elbo)).toBeLessThan(5 * se);
      }
    }
    free(s);
  });
});

describe('importance-weighted bound L_k', () => {
  it('L_1 with R replicates is the Monte Carlo ELBO with R samples (same seed, same draws)', () => {
    const s = setup(16);
    const iw = expectNoLeak(() => importanceWeightedBound(s.q, s.decoder, s.x, new Random(17), 1, 64));
    const e = estimateElbo(s.q, s.decoder, s.x, new Random(17), 64, 'monteCarlo');
    for (let i = 0; i < 3; i++) {
      expect(iw.value[i]).toBeCloseTo(e.elbo[i], 9);
      expect(iw.standardError[i]).toBeCloseTo(e.elboStandardError[i], 9);
    }
    // The batch mean is the mean of the three examples, its SE that of independent estimates.
    expect(iw.batchMean.value).toBeCloseTo((iw.value[0] + iw.value[1] + iw.value[2]) / 3, 12);
    expect(iw.batchMean.standardError).toBeCloseTo(Math.hypot(...iw.standardError) / 3, 12);
    expect(iw.batchMean.value).toBeCloseTo(e.batchMean.elbo, 9);
    free(s);
  });

  it('q = exact posterior: L_k = log p(x) for k = 1, 10, 100', () => {
    const s = setup(18, { orthogonal: true, qFromPosterior: 0 });
    for (const k of [1, 10, 100]) {
      const iw = importanceWeightedBound(s.q, s.decoder, s.x, new Random(k), k, 3);
      for (let i = 0; i < 3; i++) expect(Math.abs(iw.value[i] - s.model.logMarginal(s.xRows[i]))).toBeLessThan(1e-4);
    }
    free(s);
  });

  it('non-decreasing in k (averaged over replicates), ≤ log p(x), converging to it', () => {
    // q: the posterior's marginals shifted by 0.5 sd and widened (log-variance + 0.5).
    const s = setup(20, { qFromPosterior: 0.5 });
    const ks = [1, 4, 16, 64];
    const est = ks.map((k, t) => importanceWeightedBound(s.q, s.decoder, s.x, new Random(200 + t), k, 400));
    for (let i = 0; i < 3; i++) {
      const logPx = s.model.logMarginal(s.xRows[i]);
      const gap1 = s.model.klToPosterior(s.xRows[i], s.qRows[i]);
      expect(Math.abs(logPx - est[0].value[i] - gap1)).toBeLessThan(5 * est[0].standardError[i]);
      for (let t = 0; t < ks.length; t++) {
        expect(est[t].value[i]).toBeLessThan(logPx + 4 * est[t].standardError[i]);
        if (t > 0) {
          const seDiff = Math.hypot(est[t].standardError[i], est[t - 1].standardError[i]);
          expect(est[t].value[i] - est[t - 1].value[i]).toBeGreaterThan(-4 * seDiff);
        }
      }
      // Overall rise is real, and the remaining gap at k = 64 is a small part of the ELBO's gap.
      expect(est[3].value[i] - est[0].value[i]).toBeGreaterThan(4 * Math.hypot(est[3].standardError[i], est[0].standardError[i]));
      expect(logPx - est[3].value[i]).toBeLessThan(0.15 * gap1 + 4 * est[3].standardError[i]);
    }
    free(s);
  });

  it('k = 5000 on a 784-pixel decoder runs in bounded chunks and recovers log p(x)', () => {
    const r = new Random(22);
    const model = LinearGaussianModel.random(r, 784, 2, { logVariance: Math.log(0.1), scale: 0.3, orthogonalColumns: true });
    const xData = Array.from(model.sample(r, 1));
    const x = tf.tensor2d(xData, [1, 784]);
    const post = model.posteriorMarginals(x);
    const q = { mean: tf.tensor2d([Array.from(post.mean)]), logVariance: tf.tensor2d([Array.from(post.logVariance, (v) => v + 0.3)]) };
    const inner = model.asGenerativeModel();
    let maxRows = 0; let calls = 0;
    const decoder: GenerativeModel = {
      latentSize: 2,
      logLikelihood: (xs, z) => { maxRows = Math.max(maxRows, z.shape[0]); calls++; return inner.logLikelihood(xs, z); },
    };
    const a = expectNoLeak(() => importanceWeightedBound(q, decoder, x, new Random(23), 5000, 1, 1024));
    expect(maxRows).toBe(1024);
    expect(calls).toBe(5);
    const b = importanceWeightedBound(q, decoder, x, new Random(23), 5000, 1);
    expect(b.value[0]).toBeCloseTo(a.value[0], 6);
    const logPx = model.logMarginal(Array.from(x.dataSync()));
    // q has the posterior's mean and variance × r, r = e^0.3, per dimension, so the weights'
    // χ² = Var_q[w / p(x)] = (r / √(2r − 1))² − 1 in 2-D. One draw of L_k then has sd ≈ √(χ²/k)
    // and bias ≈ χ²/(2k); float32 sums over 784 pixels add ~1e-4.
    const ratio = Math.exp(0.3);
    const chi2 = (ratio / Math.sqrt(2 * ratio - 1)) ** 2 - 1;
    const tolerance = 5 * Math.sqrt(chi2 / 5000) + chi2 / 10000 + 5e-4;
    expect(Math.abs(a.value[0] - logPx)).toBeLessThan(tolerance);
    expect(tolerance).toBeLessThan(0.025);
    tf.dispose([x, q.mean, q.logVariance]);
  });
});

describe('objectives: bad input', () => {
  it('errors name the function, the argument and what was expected', () => {
    const s = setup(30);
    const r = new Random(1);
    expect(() => importanceWeightedBound(s.q, s.decoder, s.x, r, 0)).toThrow('importanceWeightedBound: k must be an integer >= 1, got 0');
    expect(() => importanceWeightedBound(s.q, s.decoder, s.x, r, 2, 0)).toThrow(/replicates must be an integer >= 1, got 0/);
    expect(() => estimateElbo(s.q, s.decoder, s.x, r, 0)).toThrow(/estimateElbo: samples must be an integer >= 1, got 0/);
    expect(() => estimateElbo(s.q, s.decoder, s.x, r, 1, 'exact' as never)).toThrow(/form must be 'analyticKl' or 'monteCarlo', got exact/);
    expect(() => estimateElbo(s.q, {} as GenerativeModel, s.x, r, 1)).toThrow(/decoder must be a GenerativeModel/);
    const x2 = tf.zeros([2, 5]) as tf.Tensor2D;
    expect(() => estimateElbo(s.q, s.decoder, x2, r, 1)).toThrow(/encoder must give q of shape \[2,2\] \(rows of x, decoder.latentSize\), got \[3,2\]/);
    const xNaN = tf.tensor2d([[NaN, 0, 0, 0, 0]]);
    expect(() => elboTensors(s.q, s.decoder, xNaN, r)).toThrow(/elboTensors: x must contain finite values/);
    const badDecoder: GenerativeModel = { latentSize: 2, logLikelihood: (xs) => tf.zeros([xs.shape[0], 1]) as unknown as tf.Tensor1D };
    expect(() => estimateElbo(s.q, badDecoder, s.x, r, 2)).toThrow(/decoder.logLikelihood must return a \[6\] tensor \(one value per row\), got \[6,1\]/);
    const badQ = { mean: s.q.mean, logVariance: tf.fill([3, 2], -Infinity) as tf.Tensor2D };
    expect(() => importanceWeightedBound(badQ, s.decoder, s.x, r, 2)).toThrow(/encoder.logVariance must contain finite values/);
    expect(() => logImportanceWeights(s.q, s.decoder, s.x, r, 2, 0)).toThrow(/maxRowsPerChunk must be an integer >= 1/);
    expect(() => estimateElbo(s.q, null as unknown as GenerativeModel, s.x, r, 1)).toThrow(/estimateElbo: decoder must be a GenerativeModel/);
    expect(() => elboTensors(s.q, undefined as unknown as GenerativeModel, s.x, r)).toThrow(/elboTensors: decoder must be a GenerativeModel/);
    expect(() => estimateElbo(null as unknown as DiagonalGaussian, s.decoder, s.x, r, 1)).toThrow(
      /estimateElbo: encoder must be a DiagonalGaussian \{mean, logVariance\}, got null/);
    expect(() => sampleJoint('test', s.q, s.decoder, [[1, 2]] as unknown as tf.Tensor2D, r, 1)).toThrow(/test: x must be a tf.Tensor/);
    // q of the right rows but the wrong latent width.
    const wide = { mean: tf.zeros([3, 3]) as tf.Tensor2D, logVariance: tf.zeros([3, 3]) as tf.Tensor2D };
    expect(() => importanceWeightedBound(wide, s.decoder, s.x, r, 2)).toThrow(/encoder must give q of shape \[3,2\] \(rows of x, decoder.latentSize\), got \[3,3\]/);
    const nullDecoder: GenerativeModel = { latentSize: 2, logLikelihood: () => null as unknown as tf.Tensor1D };
    expect(() => estimateElbo(s.q, nullDecoder, s.x, r, 2)).toThrow(/decoder.logLikelihood must return a \[6\] tensor \(one value per row\), got object/);
    const shortDecoder: GenerativeModel = { latentSize: 2, logLikelihood: () => tf.zeros([5]) as tf.Tensor1D };
    expect(() => estimateElbo(s.q, shortDecoder, s.x, r, 2)).toThrow(/decoder.logLikelihood must return a \[6\] tensor \(one value per row\), got \[5\]/);
    tf.dispose([wide.mean, wide.logVariance]);
    free(s);
  });

  it("a rejected q is freed when the encoder made it, and left to the caller when the caller gave it", () => {
    const s = setup(32);
    const r = new Random(1);
    const wrongWidth = { encode: (): DiagonalGaussian => ({ mean: tf.zeros([3, 3]) as tf.Tensor2D, logVariance: tf.zeros([3, 3]) as tf.Tensor2D }), latentSize: 3 };
    const before = tf.memory().numTensors;
    expect(() => estimateElbo(wrongWidth, s.decoder, s.x, r, 1)).toThrow(/encoder must give q of shape \[3,2\]/);
    const nanEncoder = { encode: (): DiagonalGaussian => ({ mean: tf.fill([3, 2], NaN) as tf.Tensor2D, logVariance: tf.zeros([3, 2]) as tf.Tensor2D }), latentSize: 2 };
    expect(() => importanceWeightedBound(nanEncoder, s.decoder, s.x, r, 2)).toThrow(/encoder.encode\(x\).mean must contain finite values/);
    const nothing = { encode: (): DiagonalGaussian => null as unknown as DiagonalGaussian, latentSize: 2 };
    expect(() => logImportanceWeights(nothing, s.decoder, s.x, r, 2)).toThrow(/encoder.encode\(x\) must be a DiagonalGaussian \{mean, logVariance\}, got null/);
    expect(tf.memory().numTensors).toBe(before);
    const given = { mean: tf.zeros([3, 3]) as tf.Tensor2D, logVariance: tf.zeros([3, 3]) as tf.Tensor2D };
    expect(() => elboTensors(given, s.decoder, s.x, r)).toThrow(/encoder must give q of shape/);
    expect(given.mean.isDisposed || given.logVariance.isDisposed).toBe(false);
    tf.dispose([given.mean, given.logVariance]);
    free(s);
  });
});

describe('example blocks', () => {
  it('processing examples in blocks gives the same draws as all at once, and frees the slices', () => {
    const s = setup(40);
    const whole = logImportanceWeights(s.q, s.decoder, s.x, new Random(41), 5);
    const got = new Float64Array(15);
    const firsts: number[] = [];
    expectNoLeak(() => sampleJointBlocks('test', s.q, s.decoder, s.x, new Random(41), 5, undefined, (block, first) => {
      firsts.push(first);
      got.set(logWeightsOf(block), first * 5);
    }, 10));
    expect(firsts).toEqual([0, 2]);
    for (let i = 0; i < 15; i++) expect(got[i]).toBeCloseTo(whole.logWeights[i], 9);
    // One example per block: three blocks, none after the last example.
    const firstsOfOne: number[] = [];
    sampleJointBlocks('test', s.q, s.decoder, s.x, new Random(41), 5, undefined, (block, first) => {
      firstsOfOne.push(first);
      expect(block.n).toBe(1);
      for (let i = 0; i < 5; i++) expect(logWeightsOf(block)[i]).toBeCloseTo(whole.logWeights[first * 5 + i], 9);
    }, 5);
    expect(firstsOfOne).toEqual([0, 1, 2]);
    free(s);
  });

  it('the default chunk keeps the widest [rows, width] tensor (here x, 8192 wide) within the element budget', () => {
    const x = tf.zeros([3, 8192]) as tf.Tensor2D;
    const q = { mean: tf.zeros([3, 1]) as tf.Tensor2D, logVariance: tf.zeros([3, 1]) as tf.Tensor2D };
    const rows: number[] = [];
    const decoder: GenerativeModel = { latentSize: 1, logLikelihood: (xs) => { rows.push(xs.shape[0]); return tf.sum(xs, 1) as tf.Tensor1D; } };
    logImportanceWeights(q, decoder, x, new Random(1), 300);
    // (1 << 22) / 8192 = 512 rows per chunk: 900 rows make 512 + 388.
    expect(rows).toEqual([512, 388]);
    tf.dispose([x, q.mean, q.logVariance]);
  });

  it('more (example, sample) pairs than one block holds: every example gets the values of a run on it alone', () => {
    // 2 examples × (2^19 + 1) draws exceed the 2^20 pairs of one block, so each example is a block of its own.
    const decoder: GenerativeModel = { latentSize: 1, logLikelihood: (xs, z) => tf.sum(tf.mul(tf.squaredDifference(xs, z), -0.5), 1) as tf.Tensor1D };
    const x = tf.tensor2d([[0.3], [-1.2]]);
    const q = { mean: tf.tensor2d([[0.1], [-0.8]]), logVariance: tf.tensor2d([[-0.4], [0.3]]) };
    const row = (t: tf.Tensor2D, i: number): tf.Tensor2D => tf.slice(t, [i, 0], [1, -1]);
    /** The generator as example i finds it: example i draws from the (i+1)-th fork. */
    const streamOf = (seed: number, i: number): Random => { const r = new Random(seed); for (let j = 0; j < i; j++) r.fork(); return r; };
    const maxDifference = (a: ArrayLike<number>, offset: number, b: ArrayLike<number>): number => {
      let worst = 0;
      for (let j = 0; j < b.length; j++) worst = Math.max(worst, Math.abs(a[offset + j] - b[j]));
      return worst;
    };
    const samples = (1 << 19) + 1;
    const whole = logImportanceWeights(q, decoder, x, new Random(51), samples);
    const k = 174763; // 3 replicates × k = 2^19 + 1 draws per example
    const bound = importanceWeightedBound(q, decoder, x, new Random(52), k, 3);
    for (const i of [0, 1]) {
      const qi = { mean: row(q.mean, i), logVariance: row(q.logVariance, i) };
      const xi = row(x, i);
      const alone = logImportanceWeights(qi, decoder, xi, streamOf(51, i), samples);
      expect(maxDifference(whole.logWeights, i * samples, alone.logWeights)).toBe(0);
      expect(maxDifference(whole.logQ, i * samples, alone.logQ)).toBe(0);
      const boundAlone = importanceWeightedBound(qi, decoder, xi, streamOf(52, i), k, 3);
      expect(maxDifference(bound.replicateValues, i * 3, boundAlone.replicateValues)).toBe(0);
      expect(bound.value[i]).toBe(boundAlone.value[0]);
      tf.dispose([qi.mean, qi.logVariance, xi]);
    }
    tf.dispose([x, q.mean, q.logVariance]);
  });
});
