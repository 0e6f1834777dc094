import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import {
  defaultChunkRows, logMeanExp, logMeanExpStandardError, meanAndStandardError, sampleAndEvaluate,
} from '../../src/objectives/monteCarlo';
import { effectiveSampleSize } from '../../src/exact/derivation';
import { disposeDiagonalGaussian, standardNormal } from '../../src/distributions/gaussian';
import { useBackend } from '../distributions/testUtils';

beforeAll(async () => { await useBackend('cpu'); });

describe('Monte Carlo summaries', () => {
  it('logMeanExp is exact for moderate values and stable for very negative ones', () => {
    const v = [0.1, -0.7, 1.3, 0.4];
    expect(logMeanExp(v)).toBeCloseTo(Math.log(v.reduce((s, x) => s + Math.exp(x), 0) / 4), 14);
    expect(logMeanExp(v.map((x) => x - 1000))).toBeCloseTo(logMeanExp(v) - 1000, 10);
    expect(logMeanExp([1, 2, 3, 4, 5, 6], 2, 3)).toBeCloseTo(Math.log((Math.exp(3) + Math.exp(4) + Math.exp(5)) / 3), 14);
    expect(logMeanExp([-Infinity, -Infinity])).toBe(-Infinity);
    // From `start` to the end when m is not given; an infinite or NaN weight is returned as it is.
    expect(logMeanExp([9, 9, 3, 4, 5], 2)).toBeCloseTo(Math.log((Math.exp(3) + Math.exp(4) + Math.exp(5)) / 3), 14);
    expect(logMeanExp([Infinity, 0])).toBe(Infinity);
    expect(logMeanExp([NaN, 0])).toBeNaN();
  });

  it('delta-method SE of log mean(w) equals sd(w)/(√m mean(w)) computed directly', () => {
    const r = new Random(1);
    const logW = Array.from(r.normals(50), (x) => 0.5 * x - 300);
    const w = logW.map((x) => Math.exp(x + 300));
    const m = w.reduce((s, x) => s + x, 0) / w.length;
    const sd = Math.sqrt(w.reduce((s, x) => s + (x - m) ** 2, 0) / (w.length - 1));
    expect(logMeanExpStandardError(logW)).toBeCloseTo(sd / (Math.sqrt(w.length) * m), 12);
    expect(logMeanExpStandardError([1])).toBeNaN();
    expect(logMeanExpStandardError([2, 2, 2])).toBe(0);
    // m = 2, w = (1, 3): sd = √2, mean = 2, so SE = √2 / (√2 · 2) = ½; and from `start` to the end.
    expect(logMeanExpStandardError([0, Math.log(3)])).toBeCloseTo(0.5, 14);
    expect(logMeanExpStandardError([7, 7, 7, 0, Math.log(3)], 3)).toBeCloseTo(0.5, 14);
  });

  it('per-example mean and SE of each row of a [n, samples] matrix', () => {
    const values = Float64Array.from([1, 2, 3, 4, 10, 10, 10, 10]);
    const { mean, standardError } = meanAndStandardError(values, 2, 4);
    expect(Array.from(mean)).toEqual([2.5, 10]);
    expect(standardError[0]).toBeCloseTo(Math.sqrt(5 / 3 / 4), 14);
    expect(standardError[1]).toBe(0);
    expect(meanAndStandardError(Float64Array.from([3]), 1, 1).standardError[0]).toBeNaN();
  });

  it("Kish's effective sample size: m for equal weights, ≈ 1 when one weight dominates", () => {
    expect(effectiveSampleSize([5, 5, 5, 5])).toBeCloseTo(4, 12);
    expect(effectiveSampleSize([0, -50, -60, -70])).toBeCloseTo(1, 12);
  });

  it('samples are evaluated in chunks of at most maxRows rows, none empty, with the same values for any chunking', () => {
    const q = { mean: tf.tensor2d([[0.5, -1], [2, 0.25]]), logVariance: tf.tensor2d([[-0.5, 0.2], [0.1, -1]]) };
    const run = (samples: number, maxRows: number): { rows: number[]; z0: Float64Array } => {
      const rows: number[] = [];
      const [z0] = sampleAndEvaluate(q, new Random(3), samples, maxRows, ({ z }) => {
        rows.push(z.shape[0]);
        return [tf.squeeze(tf.slice(z, [0, 0], [-1, 1]), [1]) as tf.Tensor1D];
      });
      return { rows, z0 };
    };
    // 2 examples × 4 samples = 8 rows in chunks of 3: 3 + 3 + 2 (the second chunk spans both examples).
    expect(run(4, 3).rows).toEqual([3, 3, 2]);
    // 2 × 3 = 6 rows fill two chunks exactly: no empty third chunk.
    expect(run(3, 3).rows).toEqual([3, 3]);
    expect(Array.from(run(4, 3).z0)).toEqual(Array.from(run(4, 100).z0));
    expect(() => sampleAndEvaluate(q, new Random(3), 0, 3, ({ z }) => [tf.sum(z, 1) as tf.Tensor1D])).toThrow(
      /sampleAndEvaluate: there is nothing to sample \(q has 2 rows, samples = 0\)/);
    tf.dispose([q.mean, q.logVariance]);
  });

  it('chunk sizes respect the element budget', () => {
    expect(defaultChunkRows(784)).toBe(Math.floor((1 << 22) / 784));
    expect(defaultChunkRows(1)).toBe(65536);
    expect(defaultChunkRows(1 << 23)).toBe(1);
  });

  it('standardNormal / disposeDiagonalGaussian leave no tensors', () => {
    const before = tf.memory().numTensors;
    disposeDiagonalGaussian(standardNormal(3, 2));
    expect(tf.memory().numTensors).toBe(before);
    expect(() => standardNormal(0, 2)).toThrow(/standardNormal: batch must be an integer >= 1, got 0/);
  });
});
