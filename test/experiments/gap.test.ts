import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { LinearGaussianModel } from '../../src/exact/linearGaussian';
import { quadrature2d } from '../../src/exact/quadrature2d';
import { Vae } from '../../src/models/vae';
import { binaryPatterns } from '../../src/data/synthetic';
import type { DiagonalGaussian } from '../../src/distributions/gaussian';
import {
  quadratureGap, quadratureGaps, withFreshEncoder, optimizeEncoderOnly, importanceWeightedCurve,
  posteriorHeatmapTraces, encodeToArrays,
} from '../../src/experiments/gap';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

function noLeak<T>(f: () => T): T {
  const before = tf.memory().numTensors;
  const out = f();
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

/** A linear-Gaussian decoder with an encoder that returns a fixed q for every row (a 2-D "VAE"). */
function linearVae(model: LinearGaussianModel, q: { mean: number[]; logVariance: number[] }) {
  const decoder = model.asGenerativeModel();
  return {
    latentSize: 2,
    logLikelihood: decoder.logLikelihood.bind(decoder),
    encode(x: tf.Tensor2D): DiagonalGaussian {
      const n = x.shape[0];
      return {
        mean: tf.tensor2d(Array.from({ length: n }, () => q.mean)),
        logVariance: tf.tensor2d(Array.from({ length: n }, () => q.logVariance)),
      };
    },
  };
}

describe('the gap by quadrature', () => {
  const random = new Random(11);
  const model = LinearGaussianModel.random(random, 5, 2, { logVariance: Math.log(0.5) });
  const x = Float32Array.from(model.sample(random, 1));
  const q = { mean: [0.4, -0.3], logVariance: [-1.2, -0.5] };

  it('KL to the grid posterior equals the closed-form KL(q ‖ p(z|x)) and log p(x) − ELBO', () => {
    const gap = noLeak(() => quadratureGap(model.asGenerativeModel(), x, q));
    const exactKl = model.klToPosterior(x, q);
    const slack = 2e-6 * Math.abs(model.logMarginal(x)); // float32 decoder
    expect(Math.abs(gap.klToPosterior - exactKl)).toBeLessThan(gap.gapError + slack);
    expect(Math.abs(gap.logMarginal - gap.elbo - (model.logMarginal(x) - model.elbo(x, q).elbo))).toBeLessThan(gap.gapError + slack);
    expect(exactKl).toBeGreaterThan(0.05); // not a trivial q
  });

  it('quadratureGaps averages the per-example gaps of the encoder q', () => {
    const vae = linearVae(model, q);
    const rows = Float32Array.from([...x, ...Float32Array.from(model.sample(new Random(3), 1))]);
    const gaps = noLeak(() => quadratureGaps(vae, { values: rows, count: 2, features: 5 }, { pointsPerAxis: 81 }));
    expect(gaps.perExample).toHaveLength(2);
    gaps.perExample.forEach((g, i) => {
      const xi = rows.subarray(i * 5, (i + 1) * 5);
      expect(Math.abs(g.klToPosterior - model.klToPosterior(xi, q))).toBeLessThan(g.gapError + 1e-4);
    });
    expect(gaps.mean.klToPosterior).toBeCloseTo((gaps.perExample[0].klToPosterior + gaps.perExample[1].klToPosterior) / 2, 12);
    expect(() => quadratureGaps({ ...vae, latentSize: 3 }, { values: rows, count: 2, features: 5 })).toThrow(/latentSize must be 2/);
  });
});

describe('importanceWeightedCurve', () => {
  const r = new Random(21);
  const m = LinearGaussianModel.random(r, 4, 2, { orthogonalColumns: true, logVariance: Math.log(0.5) });
  const values = Float32Array.from(m.sample(r, 2));
  const x = () => tf.tensor2d(values, [2, 4]);

  it('with q = prior: L_1 is the closed-form ELBO, L_k grows toward log p(x) and stays below it', () => {
    const xs = x();
    const prior: DiagonalGaussian = { mean: tf.zeros([2, 2]), logVariance: tf.zeros([2, 2]) };
    const curve = noLeak(() => importanceWeightedCurve(prior, m.asGenerativeModel(), xs, new Random(3), [1, 10, 1000], 20000));
    tf.dispose([xs, prior.mean, prior.logVariance]);
    const rows = [values.subarray(0, 4), values.subarray(4, 8)];
    const elbo = rows.map((v) => m.elbo(v, { mean: [0, 0], logVariance: [0, 0] }).elbo);
    const evidence = rows.map((v) => m.logMarginal(v));
    const mean = (a: number[]) => (a[0] + a[1]) / 2;
    expect(curve.map((p) => p.replicates)).toEqual([20000, 2000, 20]);
    expect(Math.abs(curve[0].value - mean(elbo))).toBeLessThan(4 * curve[0].standardError + 1e-5);
    expect(curve[1].value).toBeGreaterThan(curve[0].value);
    expect(curve[2].value).toBeGreaterThan(curve[1].value - 4 * Math.hypot(curve[1].standardError, curve[2].standardError));
    expect(curve[2].value).toBeLessThan(mean(evidence) + 4 * curve[2].standardError + 1e-5);
    expect(mean(evidence) - mean(elbo)).toBeGreaterThan(0.1); // the prior is a poor q here
  });

  it('with q = the exact posterior every weight is p(x): L_k = log p(x) for all k', () => {
    const xs = x();
    const post = [values.subarray(0, 4), values.subarray(4, 8)].map((v) => m.posteriorMarginals(v));
    const q: DiagonalGaussian = {
      mean: tf.tensor2d(post.map((p) => Array.from(p.mean))), logVariance: tf.tensor2d(post.map((p) => Array.from(p.logVariance))),
    };
    const curve = importanceWeightedCurve(q, m.asGenerativeModel(), xs, new Random(4), [1, 50], 200);
    tf.dispose([xs, q.mean, q.logVariance]);
    curve.forEach((p) => p.perExample.forEach((v, i) => {
      const exact = m.logMarginal(values.subarray(4 * i, 4 * i + 4));
      expect(Math.abs(v - exact)).toBeLessThan(1e-4 * Math.max(1, Math.abs(exact)));
    }));
  });

  it('validates k against the pool', () => {
    const xs = x();
    const prior: DiagonalGaussian = { mean: tf.zeros([2, 2]), logVariance: tf.zeros([2, 2]) };
    expect(() => importanceWeightedCurve(prior, m.asGenerativeModel(), xs, new Random(3), [60], 100)).toThrow(/two replicates/);
    expect(() => importanceWeightedCurve(prior, m.asGenerativeModel(), xs, new Random(3), [], 100)).toThrow(/ks must be/);
    tf.dispose([xs, prior.mean, prior.logVariance]);
  });
});

describe('encoder-only optimisation', () => {
  const data = binaryPatterns({ count: 256, features: 16, prototypes: 4 }, new Random(8));
  const config = { inputSize: 16, latentSize: 2, hiddenSizes: [8] };

  it('withFreshEncoder keeps the decoder and takes a new encoder from the random generator', () => {
    const trained = new Vae(config, new Random(1));
    const fresh = withFreshEncoder(trained, new Random(2));
    const reference = new Vae(config, new Random(2));
    const nEncoder = trained.encoderNetwork.variables().length;
    const [a, b, c] = [trained.getWeights(), fresh.getWeights(), reference.getWeights()];
    for (let i = 0; i < a.length; i++) expect(Array.from(b[i])).toEqual(Array.from(i < nEncoder ? c[i] : a[i]));
    [trained, fresh, reference].forEach((v) => v.dispose());
  });

  it('changes only φ, leaves θ bit-identical, raises the ELBO, and leaks no tensors', () => {
    const vae = new Vae(config, new Random(3));
    const nEncoder = vae.encoderNetwork.variables().length;
    const before = vae.getWeights();
    const tensors = tf.memory().numTensors;
    const seen: number[] = [];
    const losses = optimizeEncoderOnly(vae, data, {
      steps: 150, batchSize: 32, learningRate: 3e-3, random: new Random(4), checkpoints: [0, 150], onCheckpoint: (s) => seen.push(s),
    });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(seen).toEqual([0, 150]);
    const after = vae.getWeights();
    for (let i = nEncoder; i < after.length; i++) expect(Array.from(after[i])).toEqual(Array.from(before[i]));
    expect(after.slice(0, nEncoder).some((w, i) => w.some((v, j) => v !== before[i][j]))).toBe(true);
    const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
    const first = losses.subarray(0, 20), last = losses.subarray(130);
    const sd = Math.sqrt(mean(first.map((v) => (v - mean(first)) ** 2)) / 20 + mean(last.map((v) => (v - mean(last)) ** 2)) / 20);
    expect(mean(last)).toBeLessThan(mean(first) - 4 * sd);
    vae.dispose();
  });

  it('validates its arguments', () => {
    const vae = new Vae(config, new Random(3));
    expect(() => optimizeEncoderOnly(vae, data, { steps: 1, random: {} as Random })).toThrow(/options.random must be a Random/);
    expect(() => optimizeEncoderOnly(vae, data, { steps: 2, random: new Random(1), checkpoints: [3], onCheckpoint: () => {} })).toThrow(/checkpoints/);
    expect(() => optimizeEncoderOnly(vae, { ...data, values: data.values.map((v) => v * 2), features: 16 }, { steps: 1, random: new Random(1) })).toThrow(/\[0, 1\]/);
    vae.dispose();
  });
});

describe('display helpers', () => {
  it('posteriorHeatmapTraces: grids of the right size, q contours peaked at q.mean', () => {
    const r = new Random(9);
    const m = LinearGaussianModel.random(r, 5, 2);
    const xs = Float32Array.from(m.sample(r, 1));
    const q = { mean: [0.2, -0.1], logVariance: [-1, -1] };
    const res = quadrature2d(m.asGenerativeModel(), xs, { q, pointsPerAxis: 41, pilotPointsPerAxis: 21 });
    const [heat, contour] = posteriorHeatmapTraces(res, q, { x: 'x2', y: 'y2' }, 2) as Array<{ x: number[]; y: number[]; z: number[][]; xaxis: string }>;
    expect(heat.x).toHaveLength(21);
    expect(heat.z).toHaveLength(21);
    expect(heat.xaxis).toBe('x2');
    let best = [0, 0];
    contour.z.forEach((row, j) => row.forEach((v, i) => { if (v > contour.z[best[0]][best[1]]) best = [j, i]; }));
    expect(Math.abs(contour.x[best[1]] - q.mean[0])).toBeLessThanOrEqual(res.grid.spacing[0] * 2);
    expect(Math.abs(contour.y[best[0]] - q.mean[1])).toBeLessThanOrEqual(res.grid.spacing[1] * 2);
  });

  it('encodeToArrays returns the encoder outputs as float64', () => {
    const vae = linearVae(LinearGaussianModel.random(new Random(1), 3, 2), { mean: [1, 2], logVariance: [-1, 0] });
    const out = noLeak(() => encodeToArrays(vae, { values: new Float32Array(6), count: 2, features: 3 }));
    expect(Array.from(out.mean)).toEqual([1, 2, 1, 2]);
    expect(Array.from(out.logVariance)).toEqual([-1, 0, -1, 0]);
  });
});
