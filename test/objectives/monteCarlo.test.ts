import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import {
  defaultChunkRows, logMeanExp, logMeanExpStandardError, meanAndStandardError,
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
