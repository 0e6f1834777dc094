// rateDistortion against an independent computation: the encoder's outputs, the noise drawn as
// the evaluation pass draws it, then the closed-form KL and the Bernoulli log-likelihood by hand.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { rateDistortion } from '../../src/train/evaluation';
import { meanEstimate } from '../../src/stats/estimate';
import { Vae } from '../../src/models/vae';
import { Random } from '../../src/random';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('rateDistortion', () => {
  it('equals the closed-form KL and a hand-computed Bernoulli log-likelihood with the same noise, without leaks', () => {
    const model = new Vae({ inputSize: 6, latentSize: 3, hiddenSizes: [5] }, new Random(4));
    const r = new Random(9);
    const n = 7;
    const values = Float32Array.from({ length: n * 6 }, () => (r.uniform() < 0.5 ? 1 : 0));
    const data = { values, count: n, features: 6 };
    const before = tf.memory().numTensors;
    const result = rateDistortion(model, data, new Random(11), 3); // batches of 3: 3 + 3 + 1 rows
    expect(tf.memory().numTensors).toBe(before);
    // Independent computation: encoder outputs, then the formulas in float64 by hand.
    const x = tf.tensor2d(values, [n, 6]);
    const q = model.encode(x);
    const mu = q.mean.arraySync();
    const lv = q.logVariance.arraySync();
    const noiseRandom = new Random(11);
    const eps: number[][] = [];
    for (const rows of [3, 3, 1]) {
      const block = noiseRandom.normals(rows * 3);
      for (let i = 0; i < rows; i++) eps.push(Array.from(block.subarray(i * 3, i * 3 + 3)));
    }
    const z = mu.map((row, i) => row.map((m, j) => m + Math.exp(0.5 * lv[i][j]) * eps[i][j]));
    const zt = tf.tensor2d(z);
    const logits = model.decoderOutput(zt).arraySync();
    for (let i = 0; i < n; i++) {
      const kl = mu[i].reduce((s, m, j) => s - 0.5 * (1 + lv[i][j] - m * m - Math.exp(lv[i][j])), 0);
      const ll = logits[i].reduce((s, l, j) => s + values[i * 6 + j] * l - Math.log1p(Math.exp(l)), 0);
      expect(result.rate[i]).toBeCloseTo(kl, 4);
      expect(result.distortion[i]).toBeCloseTo(-ll, 3);
      expect(result.rate[i]).toBeGreaterThanOrEqual(0);
    }
    const perDimSum = result.ratePerDimension.reduce((s, v) => s + v, 0);
    expect(perDimSum).toBeCloseTo(result.rateMean.mean, 6);
    expect(result.distortionMean).toEqual(meanEstimate(result.distortion));
    expect(result.rateMean.n).toBe(n);
    tf.dispose([x, q.mean, q.logVariance, zt]);
    model.dispose();
  });
  it('rejects data of the wrong width', () => {
    const model = new Vae({ inputSize: 6, latentSize: 2, hiddenSizes: [] }, new Random(1));
    expect(() => rateDistortion(model, { values: new Float32Array(10), count: 2, features: 5 }, new Random(1))).toThrow(/rateDistortion: data must have 6 features/);
    model.dispose();
  });
});
