import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { exactGapOverData, trainEncoderOnly } from '../../src/experiments/summary';
import { LinearGaussianModel } from '../../src/exact/linearGaussian';
import { linearGaussianDataset } from '../../src/data/synthetic';
import { linearGaussianFromVae } from '../../src/models/linearDecoder';
import { Vae } from '../../src/models/vae';
import { Random } from '../../src/random';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('exactGapOverData', () => {
  it('gives gap 0 for the exact (diagonal) posterior and logEvidence − elbo = klToPosterior otherwise', () => {
    const { model, data } = linearGaussianDataset({ dataSize: 5, latentSize: 2, count: 6 }, new Random(3));
    const d = 5;
    const exact = {
      latentSize: 2,
      encode: (x: tf.Tensor2D) => {
        const rows = x.arraySync();
        const ps = rows.map((r) => model.posteriorMarginals(r));
        return { mean: tf.tensor2d(ps.map((p) => Array.from(p.mean))), logVariance: tf.tensor2d(ps.map((p) => Array.from(p.logVariance))) };
      },
    };
    const before = tf.memory().numTensors;
    const g = exactGapOverData(model, exact, data);
    expect(tf.memory().numTensors).toBe(before);
    for (let i = 0; i < data.count; i++) {
      expect(g.klToPosterior[i]).toBeLessThan(1e-4); // float32 encoder outputs
      expect(g.logEvidence[i]).toBeCloseTo(model.logMarginalDense(data.values.subarray(i * d, (i + 1) * d)), 6);
    }
    const off = { latentSize: 2, encode: (x: tf.Tensor2D) => ({ mean: tf.zeros([x.shape[0], 2]) as tf.Tensor2D, logVariance: tf.zeros([x.shape[0], 2]) as tf.Tensor2D }) };
    const h = exactGapOverData(model, off, data);
    for (let i = 0; i < data.count; i++) expect(h.logEvidence[i] - h.elbo[i]).toBeCloseTo(h.klToPosterior[i], 6);
    expect(h.meanKlToPosterior).toBeGreaterThan(0.1);
  });
  it('rejects a non-linear-Gaussian model', () => {
    expect(() => exactGapOverData({} as LinearGaussianModel, { latentSize: 1, encode: () => { throw new Error(); } }, { values: new Float32Array(1), count: 1, features: 1 })).toThrow(/exactGapOverData: model/);
  });
});

describe('trainEncoderOnly', () => {
  it('leaves the decoder untouched and lowers the exact gap (θ fixed), without leaks', async () => {
    const { data } = linearGaussianDataset({ dataSize: 6, latentSize: 2, count: 200 }, new Random(5));
    const vae = new Vae({ inputSize: 6, latentSize: 2, hiddenSizes: [], decoderHiddenSizes: [], likelihood: 'gaussian' }, new Random(6));
    const decoderBefore = vae.decoderNetwork.variables().map((v) => Float32Array.from(v.dataSync()));
    const encoderBefore = vae.encoderNetwork.variables().map((v) => Float32Array.from(v.dataSync()));
    const lg = linearGaussianFromVae(vae);
    const gapBefore = exactGapOverData(lg, vae, data).meanKlToPosterior;
    const tensors = tf.memory().numTensors;
    let epochs = 0;
    await trainEncoderOnly(vae, data, { epochs: 20, batchSize: 50, learningRate: 0.02, seed: 1, onEpoch: () => { epochs++; } });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(epochs).toBe(20);
    vae.decoderNetwork.variables().forEach((v, k) => expect(Array.from(v.dataSync())).toEqual(Array.from(decoderBefore[k])));
    expect(vae.encoderNetwork.variables().some((v, k) => v.dataSync().some((w, j) => w !== encoderBefore[k][j]))).toBe(true);
    const gapAfter = exactGapOverData(lg, vae, data).meanKlToPosterior;
    expect(gapAfter).toBeLessThan(0.5 * gapBefore);
    vae.dispose();
  });
  it('rejects bad options', async () => {
    const vae = new Vae({ inputSize: 2, latentSize: 1, hiddenSizes: [] }, new Random(1));
    await expect(trainEncoderOnly(vae, { values: new Float32Array(4), count: 2, features: 2 }, { epochs: 0 })).rejects.toThrow(/trainEncoderOnly: options.epochs/);
    vae.dispose();
  });
});
