import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decoderSpreadOverPrior, encoderMutualInformation, informativeUnits, pixelSpread } from '../../src/experiments/collapse';
import { Random } from '../../src/random';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('pixelSpread', () => {
  it('matches a hand example, is zero for equal images, and agrees between tensor and array', () => {
    // rows (0,0) and (2,2): mean (1,1), each squared distance 2
    expect(pixelSpread(Float64Array.from([0, 0, 2, 2]), 2)).toBeCloseTo(2, 12);
    expect(pixelSpread(Float64Array.from([0.3, 0.7, 0.3, 0.7, 0.3, 0.7]), 2)).toBeCloseTo(0, 12);
    const t = tf.tensor2d([[0, 1, 2], [3, 1, 0], [1, 1, 1]]);
    // means (4/3, 1, 1); squared distances: 16/9+0+1, 25/9+0+1, 1/9+0+0 -> total 42/9 + 2, /3
    expect(pixelSpread(t)).toBeCloseTo((42 / 9 + 2) / 3, 6);
    t.dispose();
  });
  it('rejects a length not divisible by pixels', () => {
    expect(() => pixelSpread(new Float32Array(5), 2)).toThrow(/pixelSpread: pixels must be an integer/);
  });
});

describe('decoderSpreadOverPrior', () => {
  it('is 0 for a decoder that ignores z and ≈ L(n−1)/n for the identity decoder, without leaks', () => {
    const constant = { latentSize: 4, decode: (z: tf.Tensor2D) => tf.tidy(() => tf.add(tf.mul(z, 0), 0.5) as tf.Tensor2D) };
    const before = tf.memory().numTensors;
    expect(decoderSpreadOverPrior(constant, 50, new Random(1))).toBeCloseTo(0, 12);
    const identity = { latentSize: 4, decode: (z: tf.Tensor2D) => tf.clone(z) };
    const n = 4000;
    const spread = decoderSpreadOverPrior(identity, n, new Random(2));
    // E = 4 (n−1)/n; ‖z‖² ~ χ²₄ has sd √8, so the mean over n has SE √8/√n ≈ 0.045
    expect(Math.abs(spread - (4 * (n - 1)) / n)).toBeLessThan(4 * Math.sqrt(8 / n));
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('encoderMutualInformation', () => {
  it('is exactly 0 when q(z|x) is the same for every x (collapse)', () => {
    const mean = new Float64Array(20 * 3).fill(0.2);
    const logVariance = new Float64Array(20 * 3).fill(-0.1);
    const mi = encoderMutualInformation(mean, logVariance, 3, new Random(1));
    expect(Math.abs(mi.mean)).toBeLessThan(1e-12);
  });
  it('is log 2 for two far-apart groups and log N for N far-apart codes', () => {
    const n = 40;
    const two = Float64Array.from({ length: n * 2 }, (_, k) => (Math.floor(k / 2) % 2 === 0 ? -50 : 50));
    expect(encoderMutualInformation(two, new Float64Array(n * 2), 2, new Random(3)).mean).toBeCloseTo(Math.log(2), 6);
    const apart = Float64Array.from({ length: n }, (_, i) => 100 * i);
    expect(encoderMutualInformation(apart, new Float64Array(n), 1, new Random(4)).mean).toBeCloseTo(Math.log(n), 6);
  });
  it('rejects mismatched lengths', () => {
    expect(() => encoderMutualInformation([0, 0, 0, 0], [0, 0], 2, new Random(1))).toThrow(/encoderMutualInformation: logVariance/);
  });
});

describe('informativeUnits', () => {
  it('counts dimensions above the threshold', () => {
    expect(informativeUnits([0.01, 0.2, 0.5, 0.1])).toBe(2);
    expect(informativeUnits([0.01, 0.2, 0.5, 0.1], 0.005)).toBe(4);
    expect(() => informativeUnits([NaN])).toThrow(/informativeUnits/);
  });
});

describe('meanPixelEntropy', () => {
  it('is D·ln 2 for p = ½, 0 for crisp pixels, and matches a hand value', async () => {
    const { meanPixelEntropy } = await import('../../src/experiments/collapse');
    const half = tf.fill([3, 10], 0.5) as tf.Tensor2D;
    expect(meanPixelEntropy(half)).toBeCloseTo(10 * Math.log(2), 5);
    const crisp = tf.tensor2d([[0, 1, 1], [1, 0, 0]]);
    expect(meanPixelEntropy(crisp)).toBe(0);
    const one = tf.tensor2d([[0.1, 0.9]]);
    expect(meanPixelEntropy(one)).toBeCloseTo(-2 * (0.1 * Math.log(0.1) + 0.9 * Math.log(0.9)), 6);
    expect(() => meanPixelEntropy(tf.tensor2d([[1.5]]))).toThrow(/meanPixelEntropy: probabilities must lie in \[0, 1\]/);
    tf.dispose([half, crisp, one]);
  });
});

describe('summarizeBetaModel', () => {
  it('agrees with its parts computed separately, pairs models through the seed, and leaks nothing', async () => {
    const { summarizeBetaModel, pixelSpread: spread, informativeUnits: informative } = await import('../../src/experiments/collapse');
    const { rateDistortion } = await import('../../src/experiments/betaSweep');
    const { Vae } = await import('../../src/models/vae');
    const model = new Vae({ inputSize: 16, latentSize: 3, hiddenSizes: [8] }, new Random(2));
    const r = new Random(3);
    const data = { values: Float32Array.from({ length: 30 * 16 }, () => (r.uniform() < 0.4 ? 1 : 0)), count: 30, features: 16 };
    const before = tf.memory().numTensors;
    const s = summarizeBetaModel(model, data, { seed: 7, showCount: 4, priorCount: 20, miCount: 30 });
    expect(tf.memory().numTensors).toBe(before);
    const rd = rateDistortion(model, data, new Random(7));
    expect(Array.from(s.rateDistortion.rate)).toEqual(Array.from(rd.rate));
    expect(s.informativeUnits).toBe(informative(rd.ratePerDimension));
    const z = tf.tensor2d(new Random(8).normals(20 * 3), [20, 3]);
    const decodes = model.decode(z);
    expect(s.priorDecodeSpread).toBeCloseTo(spread(decodes), 6);
    expect(Array.from(s.priorSamples)).toEqual(Array.from(decodes.dataSync().subarray(0, 4 * 16)));
    let sumLv = 0;
    for (const v of rd.encoderLogVariance) sumLv += v;
    expect(s.typicalEncoderSigma).toBeCloseTo(Math.exp(0.5 * sumLv / rd.encoderLogVariance.length), 10);
    expect(s.reconstructions.length).toBe(4 * 16);
    tf.dispose([z, decodes]);
    model.dispose();
  });
});
