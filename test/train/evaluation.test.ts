import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { Vae } from '../../src/models/vae';
import { evaluatePerExample, meanKlPerDimension, rateDistortion } from '../../src/train/evaluation';
import { evaluateVae } from '../../src/train/metrics';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const softplus = (l: number): number => (l > 0 ? l + Math.log1p(Math.exp(-l)) : Math.log1p(Math.exp(l)));

function smallSet(count: number, features: number, seed: number) {
  const r = new Random(seed);
  return { values: Float32Array.from(r.uniforms(count * features), (u) => (u < 0.5 ? 0 : 1)), count, features };
}

describe('evaluatePerExample: the one evaluation pass', () => {
  it('equals log p(x|z) − KL computed by hand from the encoder and decoder outputs (ε drawn batch by batch)', () => {
    const vae = new Vae({ inputSize: 5, latentSize: 2, hiddenSizes: [4] }, new Random(1));
    const data = smallSet(3, 5, 2);
    const before = tf.memory().numTensors;
    const got = evaluatePerExample(vae, data, { random: new Random(9), batchSize: 2 });
    expect(tf.memory().numTensors).toBe(before);
    // Independent: the same ε stream (two batches: 2 rows, then 1), the formulas in float64.
    const eps = new Random(9);
    const noise = [...eps.normals(4), ...eps.normals(2)];
    const x = tf.tensor2d(data.values, [3, 5]);
    const q = vae.encode(x);
    const mu = q.mean.arraySync();
    const lv = q.logVariance.arraySync();
    for (let i = 0; i < 3; i++) {
      const z = [0, 1].map((j) => mu[i][j] + Math.exp(0.5 * lv[i][j]) * noise[2 * i + j]);
      const logits = tf.tidy(() => vae.decoderOutput(tf.tensor2d([z])).arraySync()[0]);
      let rec = 0;
      for (let k = 0; k < 5; k++) rec += data.values[i * 5 + k] * logits[k] - softplus(logits[k]);
      const klDims = [0, 1].map((j) => -0.5 * (1 + lv[i][j] - mu[i][j] ** 2 - Math.exp(lv[i][j])));
      expect(got.reconstruction![i]).toBeCloseTo(rec, 3);
      expect(got.klPerDimension[2 * i]).toBeCloseTo(klDims[0], 5);
      expect(got.klPerDimension[2 * i + 1]).toBeCloseTo(klDims[1], 5);
      expect(got.kl[i]).toBeCloseTo(klDims[0] + klDims[1], 5);
      expect(got.elbo![i]).toBeCloseTo(rec - klDims[0] - klDims[1], 3);
      expect(got.encoderMean[2 * i + 1]).toBeCloseTo(mu[i][1], 6);
      expect(got.encoderLogVariance[2 * i]).toBeCloseTo(lv[i][0], 6);
    }
    tf.dispose([x, q.mean, q.logVariance]);
    vae.dispose();
  });

  it('gives the same numbers whatever the batch size (the ε stream is cut, not reordered)', () => {
    const vae = new Vae({ inputSize: 6, latentSize: 3, hiddenSizes: [5] }, new Random(4));
    const data = smallSet(7, 6, 5);
    const whole = evaluatePerExample(vae, data, { random: new Random(3), batchSize: 7 });
    const pieces = evaluatePerExample(vae, data, { random: new Random(3), batchSize: 3 });
    for (let i = 0; i < 7; i++) {
      expect(pieces.reconstruction![i]).toBeCloseTo(whole.reconstruction![i], 4);
      expect(pieces.kl[i]).toBeCloseTo(whole.kl[i], 5);
    }
    vae.dispose();
  });

  it('only encodes without a random generator (no decoder needed)', () => {
    const vae = new Vae({ inputSize: 4, latentSize: 2, hiddenSizes: [3] }, new Random(6));
    const encoderOnly = { latentSize: 2, inputSize: 4, encode: (x: tf.Tensor2D) => vae.encode(x) };
    const got = evaluatePerExample(encoderOnly, smallSet(5, 4, 7), { batchSize: 2 });
    expect(got.reconstruction).toBeNull();
    expect(got.elbo).toBeNull();
    expect(got.encoderMean).toHaveLength(10);
    // the mean KL per dimension sums to the mean KL
    const perDim = meanKlPerDimension(got);
    expect(perDim[0] + perDim[1]).toBeCloseTo(got.kl.reduce((s, v) => s + v, 0) / 5, 10);
    vae.dispose();
  });

  it('names the argument that is wrong', () => {
    const vae = new Vae({ inputSize: 4, latentSize: 2, hiddenSizes: [3] }, new Random(6));
    expect(() => evaluatePerExample(vae, smallSet(2, 5, 1))).toThrow(/evaluatePerExample: data must have 4 features per example/);
    expect(() => evaluatePerExample(vae, smallSet(2, 4, 1), { batchSize: 0 })).toThrow(/evaluatePerExample: options.batchSize must be an integer >= 1/);
    const encoderOnly = { latentSize: 2, encode: (x: tf.Tensor2D) => vae.encode(x) };
    expect(() => evaluatePerExample(encoderOnly, smallSet(2, 4, 1), { random: new Random(1) })).toThrow(/model must have logLikelihood/);
    vae.dispose();
  });
});

describe('metrics read from the pass', () => {
  it('rateDistortion: rate = KL, distortion = −log p(x|z), ELBO = −(rate + distortion)', () => {
    const vae = new Vae({ inputSize: 5, latentSize: 2, hiddenSizes: [4] }, new Random(8));
    const data = smallSet(6, 5, 9);
    const rd = rateDistortion(vae, data, new Random(11), 4);
    const terms = evaluatePerExample(vae, data, { random: new Random(11), batchSize: 4 });
    for (let i = 0; i < 6; i++) {
      expect(rd.rate[i]).toBe(terms.kl[i]);
      expect(rd.distortion[i]).toBe(-terms.reconstruction![i]);
      expect(-(rd.rate[i] + rd.distortion[i])).toBeCloseTo(terms.elbo![i], 10);
    }
    expect(rd.ratePerDimension[0] + rd.ratePerDimension[1]).toBeCloseTo(rd.rateMean.mean, 10);
    expect(rd.rateMean.n).toBe(6);
    vae.dispose();
  });

  it('evaluateVae: batch means of the pass, active units from the variance of μ', () => {
    const vae = new Vae({ inputSize: 5, latentSize: 2, hiddenSizes: [4] }, new Random(8));
    const data = smallSet(6, 5, 9);
    const m = evaluateVae(vae, data, { random: new Random(2), batchSize: 4 });
    const terms = evaluatePerExample(vae, data, { random: new Random(2), batchSize: 4 });
    const mean = (v: Float64Array) => v.reduce((s, a) => s + a, 0) / v.length;
    expect(m.elbo).toBeCloseTo(mean(terms.elbo!), 10);
    expect(m.reconstruction).toBeCloseTo(mean(terms.reconstruction!), 10);
    expect(m.kl).toBeCloseTo(mean(terms.kl), 10);
    const mu0 = Array.from({ length: 6 }, (_, i) => terms.encoderMean[2 * i]);
    const variance0 = mu0.reduce((s, v) => s + (v - mean(Float64Array.from(mu0))) ** 2, 0) / 6;
    expect(m.latentMeanVariance[0]).toBeCloseTo(variance0, 10);
    vae.dispose();
  });
});
