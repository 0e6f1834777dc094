import { beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Random } from '../../src/random';
import { Vae } from '../../src/models/vae';
import { linearGaussianFromVae } from '../../src/models/linearDecoder';
import { importanceWeightedBound } from '../../src/objectives/iwae';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** x W + b with ReLU, in float64 JS (an independent forward pass). */
function denseJs(x: number[], w: Float32Array, b: Float32Array, out: number, relu: boolean): number[] {
  const y: number[] = [];
  for (let j = 0; j < out; j++) {
    let s = b[j];
    for (let i = 0; i < x.length; i++) s += x[i] * w[i * out + j];
    y.push(relu ? Math.max(0, s) : s);
  }
  return y;
}

describe('Vae', () => {
  it('draws He/Glorot-uniform weights from the Random: bounds and variance limit²/3', () => {
    const vae = new Vae({ inputSize: 300, latentSize: 4, hiddenSizes: [200] }, new Random(1));
    const [w1, b1] = vae.getWeights();
    const limit = Math.sqrt(6 / 300); // He uniform before a ReLU
    let ss = 0;
    for (const v of w1) { expect(Math.abs(v)).toBeLessThanOrEqual(limit); ss += v * v; }
    const variance = ss / w1.length;
    // Var of U(±a) is a²/3; the sample variance of 60,000 draws has relative SE ≈ √(0.8/60000).
    expect(Math.abs(variance / (limit * limit / 3) - 1)).toBeLessThan(5 * Math.sqrt(0.8 / w1.length));
    expect(b1.every((v) => v === 0)).toBe(true);
    const again = new Vae({ inputSize: 300, latentSize: 4, hiddenSizes: [200] }, new Random(1));
    expect(again.getWeights()).toEqual(vae.getWeights());
    vae.dispose();
    again.dispose();
  });

  it('encodes, decodes and scores like an independent float64 forward pass', () => {
    const before = tf.memory().numTensors;
    const vae = new Vae({ inputSize: 6, latentSize: 2, hiddenSizes: [5], decoderHiddenSizes: [3] }, new Random(2));
    const [ew1, eb1, ew2, eb2, dw1, db1, dw2, db2] = vae.getWeights();
    const x = [0, 1, 1, 0, 1, 0];
    const h = denseJs(x, ew1, eb1, 5, true);
    const out = denseJs(h, ew2, eb2, 4, false);
    const xt = tf.tensor2d([x]);
    const q = vae.encode(xt);
    const mean = q.mean.dataSync();
    const logVariance = q.logVariance.dataSync();
    for (let j = 0; j < 2; j++) {
      expect(mean[j]).toBeCloseTo(out[j], 5);
      expect(logVariance[j]).toBeCloseTo(out[2 + j], 5);
    }
    const z = [0.3, -1.2];
    const logits = denseJs(denseJs(z, dw1, db1, 3, true), dw2, db2, 6, false);
    let logLik = 0;
    for (let j = 0; j < 6; j++) {
      const p = 1 / (1 + Math.exp(-logits[j]));
      logLik += x[j] * Math.log(p) + (1 - x[j]) * Math.log(1 - p);
    }
    const zt = tf.tensor2d([z]);
    const ll = vae.logLikelihood(xt, zt);
    expect(ll.dataSync()[0]).toBeCloseTo(logLik, 4);
    const decodedTensor = vae.decode(zt);
    const decoded = decodedTensor.dataSync();
    for (let j = 0; j < 6; j++) expect(decoded[j]).toBeCloseTo(1 / (1 + Math.exp(-logits[j])), 5);
    tf.dispose([xt, zt, q.mean, q.logVariance, ll, decodedTensor]);
    vae.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('Gaussian likelihood uses the learned log σ² (checked against the closed form)', () => {
    const vae = new Vae({ inputSize: 3, latentSize: 1, hiddenSizes: [], likelihood: 'gaussian' }, new Random(3));
    vae.observationLogVariance!.assign(tf.scalar(Math.log(0.5)));
    const [, , dw, db] = vae.getWeights();
    const x = [0.2, -1, 2];
    const m = denseJs([0.7], dw, db, 3, false);
    let expected = 0;
    for (let j = 0; j < 3; j++) expected += -0.5 * (Math.log(2 * Math.PI * 0.5) + (x[j] - m[j]) ** 2 / 0.5);
    const value = tf.tidy(() => vae.logLikelihood(tf.tensor2d([x]), tf.tensor2d([[0.7]])).dataSync()[0]);
    expect(value).toBeCloseTo(expected, 4);
    // The affine Gaussian decoder is exactly a linear-Gaussian model.
    const lin = linearGaussianFromVae(vae);
    expect(lin.logLikelihood(x, [0.7])).toBeCloseTo(expected, 4);
    vae.dispose();
  });

  it('samples, interpolates between encoder means, and reconstructs', () => {
    const before = tf.memory().numTensors;
    const vae = new Vae({ inputSize: 8, latentSize: 2, hiddenSizes: [6] }, new Random(4));
    const samples = vae.sample(5, new Random(9));
    expect(samples.shape).toEqual([5, 8]);
    const a = tf.tensor2d([[1, 0, 1, 0, 1, 0, 1, 0]]);
    const b = tf.tensor2d([[0, 1, 0, 1, 0, 1, 0, 1]]);
    const path = vae.interpolate(a, b, 4);
    expect(path.shape).toEqual([4, 8]);
    const ends = tf.tidy(() => tf.concat([vae.reconstruct(a), vae.reconstruct(b)]).arraySync());
    const rows = path.arraySync();
    for (let j = 0; j < 8; j++) {
      expect(rows[0][j]).toBeCloseTo(ends[0][j], 5);
      expect(rows[3][j]).toBeCloseTo(ends[1][j], 5);
    }
    tf.dispose([samples, a, b, path]);
    vae.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('saves and loads weights exactly', () => {
    const vae = new Vae({ inputSize: 5, latentSize: 3, hiddenSizes: [4], likelihood: 'gaussian' }, new Random(5));
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'elbo-vae-')), 'vae.json');
    vae.save(file);
    const loaded = Vae.load(file);
    expect(loaded.config).toEqual(vae.config);
    expect(loaded.getWeights()).toEqual(vae.getWeights());
    fs.rmSync(path.dirname(file), { recursive: true });
    vae.dispose();
    loaded.dispose();
  });

  it('works with the math core objectives: L_1 ≤ L_100 on average (importance-weighted bound)', () => {
    const vae = new Vae({ inputSize: 8, latentSize: 2, hiddenSizes: [6] }, new Random(6));
    const x = tf.tensor2d(new Random(7).uniforms(20 * 8).map((u) => (u < 0.5 ? 1 : 0)), [20, 8]);
    const l1 = importanceWeightedBound(vae, vae, x, new Random(8), 1, 20).batchMean;
    const l100 = importanceWeightedBound(vae, vae, x, new Random(8), 100, 4).batchMean;
    expect(l100.value).toBeGreaterThan(l1.value - 4 * Math.hypot(l1.standardError, l100.standardError));
    x.dispose();
    vae.dispose();
  });

  it('rejects bad configs and inputs, naming the argument', () => {
    const r = new Random(1);
    expect(() => new Vae({ inputSize: 4, latentSize: 0 }, r)).toThrow(/config\.latentSize must be an integer >= 1, got 0/);
    expect(() => new Vae({ inputSize: 4, latentSize: 1.5 }, r)).toThrow(/config\.latentSize/);
    expect(() => new Vae({ inputSize: 0, latentSize: 2 }, r)).toThrow(/config\.inputSize/);
    expect(() => new Vae({ inputSize: 4, latentSize: 2, hiddenSizes: [3, 0] }, r)).toThrow(/config\.hiddenSizes\[1\]/);
    expect(() => new Vae({ inputSize: 4, latentSize: 2, likelihood: 'poisson' as 'gaussian' }, r)).toThrow(/config\.likelihood/);
    const vae = new Vae({ inputSize: 4, latentSize: 2, hiddenSizes: [3] }, r);
    const wrong = tf.zeros([2, 5]) as tf.Tensor2D;
    expect(() => vae.encode(wrong)).toThrow(/Vae\.encode: x must have shape \[n, 4\], got \[2,5\]/);
    wrong.dispose();
    vae.dispose();
    expect(() => vae.sample(2, r)).toThrow(/disposed/);
  });
});
