import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { toDataVector, toDiagonalParameters, toVector } from '../../src/exact/inputs';
import { useBackend } from '../distributions/testUtils';

beforeAll(async () => { await useBackend('cpu'); });

describe('exact/ inputs: arrays and one-row tensors become float64 vectors', () => {
  it('a vector of the given length from an array, a typed array, a [L] or a [1, L] tensor', () => {
    const values = [0.5, -1.25, 3];
    const tensors = [tf.tensor1d(values), tf.tensor2d([values])];
    for (const v of [values, Float32Array.from(values), Float64Array.from(values), ...tensors]) {
      const out = toVector('f', 'v', v, 3);
      expect(out).toBeInstanceOf(Float64Array);
      expect(Array.from(out)).toEqual(values);
    }
    // A copy: changing the result leaves the input alone.
    const source = Float64Array.from(values);
    toVector('f', 'v', source, 3)[0] = 99;
    expect(source[0]).toBe(0.5);
    tf.dispose(tensors);
  });

  it('refuses a tensor of the wrong size or shape, a disposed one, and non-finite values, naming the argument', () => {
    const wrongSize = tf.tensor1d([1, 2]);
    expect(() => toVector('f', 'q.mean', wrongSize, 3)).toThrow('f: q.mean must be a vector of length 3 (or a [1,3] tensor), got shape [2]');
    const twoRows = tf.tensor2d([[1], [2]]);
    expect(() => toVector('f', 'q.mean', twoRows, 2)).toThrow('f: q.mean must be a vector of length 2 (or a [1,2] tensor), got shape [2,1]');
    const rank3 = tf.zeros([1, 1, 2]);
    expect(() => toVector('f', 'q.mean', rank3, 2)).toThrow('f: q.mean must be a vector of length 2 (or a [1,2] tensor), got shape [1,1,2]');
    const nan = tf.tensor1d([0, NaN]);
    expect(() => toVector('f', 'q.mean', nan, 2)).toThrow('f: q.mean must contain finite numbers, got NaN at index 1');
    const gone = tf.tensor1d([1, 2]);
    gone.dispose();
    expect(() => toVector('f', 'q.mean', gone, 2)).toThrow(new TypeError('f: q.mean has already been disposed'));
    expect(() => toVector('f', 'q.mean', [1, 2], 3)).toThrow('f: q.mean must have length 3, got 2');
    expect(() => toVector('f', 'q.mean', [1, Infinity], 2)).toThrow('f: q.mean must contain finite numbers, got Infinity at index 1');
    tf.dispose([wrongSize, twoRows, rank3, nan]);
  });

  it('one data vector x: [D], [1, D] or an array of D >= 1 numbers, and nothing else', () => {
    const row = tf.tensor2d([[1, 2, 3, 4]]);
    expect(Array.from(toDataVector('f', row))).toEqual([1, 2, 3, 4]);
    const flat = tf.tensor1d([1, 2, 3]);
    expect(Array.from(toDataVector('f', flat))).toEqual([1, 2, 3]);
    flat.dispose();
    expect(Array.from(toDataVector('f', [7, 8]))).toEqual([7, 8]);
    // D = 1 is a data vector too.
    const single = tf.tensor1d([5]);
    expect(Array.from(toDataVector('f', single))).toEqual([5]);
    expect(Array.from(toDataVector('f', [6]))).toEqual([6]);
    single.dispose();
    const twoRows = tf.zeros([2, 3]);
    const rank3 = tf.zeros([1, 1, 3]);
    const empty = tf.tensor1d([]);
    for (const [x, shape] of [[twoRows, '[2,3]'], [rank3, '[1,1,3]'], [empty, '[0]']] as const) {
      expect(() => toDataVector('f', x)).toThrow(`f: x must be one data vector ([D] or [1,D]), got shape ${shape}`);
    }
    for (const bad of [null, undefined, [], 5, {}]) {
      expect(() => toDataVector('f', bad)).toThrow(new TypeError('f: x must be a tensor or an array of numbers'));
    }
    expect(() => toDataVector('f', [1, NaN])).toThrow('f: x must contain finite numbers, got NaN at index 1');
    tf.dispose([row, twoRows, rank3, empty]);
  });

  it('q as {mean, logVariance} of the latent size; anything without both fields is refused', () => {
    const q = toDiagonalParameters('f', 'q', { mean: [0.5, -1], logVariance: tf.tensor2d([[-0.25, 0.75]]) }, 2);
    expect(Array.from(q.mean)).toEqual([0.5, -1]);
    expect(Array.from(q.logVariance)).toEqual([-0.25, 0.75]);
    for (const bad of [null, 3, 'q', { mean: [0, 0] }, { logVariance: [0, 0] }]) {
      expect(() => toDiagonalParameters('f', 'q', bad, 2)).toThrow(new TypeError('f: q must be a diagonal Gaussian {mean, logVariance}'));
    }
    expect(() => toDiagonalParameters('f', 'q', { mean: [0, 0], logVariance: [0, -Infinity] }, 2)).toThrow(
      'f: q.logVariance must contain finite numbers, got -Infinity at index 1');
    expect(() => toDiagonalParameters('f', 'q', { mean: [0, 0, 0], logVariance: [0, 0] }, 2)).toThrow('f: q.mean must have length 2, got 3');
  });
});
