import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { Vae } from '../../src/models/vae';
import { interpolationSmoothness, squareLatentGrid, latentPath, pathSmoothness } from '../../src/experiments/smoothness';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('pathSmoothness', () => {
  it('an evenly spaced straight path has both ratios 1', () => {
    const images = [0, 0, 1, 2, 2, 4, 3, 6]; // 4 rows of 2 pixels along (1, 2)
    const s = pathSmoothness(images, 4);
    expect(s.jumpRatio).toBeCloseTo(1, 12);
    expect(s.lengthRatio).toBeCloseTo(1, 12);
    expect(s.endpointDistance).toBeCloseTo(3 * Math.sqrt(5), 12);
  });
  it('all change in one step gives jump ratio T − 1; a detour raises the length ratio', () => {
    expect(pathSmoothness([0, 0, 0, 1, 1], 5).jumpRatio).toBeCloseTo(4, 12);
    const detour = pathSmoothness([0, 0, 1, 1, 2, 0], 3); // (0,0) → (1,1) → (2,0)
    expect(detour.lengthRatio).toBeCloseTo((2 * Math.SQRT2) / 2, 12);
    expect(detour.jumpRatio).toBeCloseTo((2 * Math.SQRT2) / 2, 12);
  });
  it('rejects identical endpoints and ragged input', () => {
    expect(() => pathSmoothness([1, 2, 1], 3)).toThrow(/identical/);
    expect(() => pathSmoothness([1, 2, 3], 2)).toThrow(/pathSmoothness: images must hold 2 rows/);
  });
});

describe('latentPath / squareLatentGrid', () => {
  it('path: endpoints and midpoint', () => {
    const a = tf.tensor2d([[0, 2]]);
    const b = tf.tensor2d([[4, -2]]);
    const p = latentPath(a, b, 3);
    expect(p.arraySync()).toEqual([[0, 2], [2, 0], [4, -2]]);
    tf.dispose([a, b, p]);
  });
  it('grid: corners, top row first', () => {
    const g = squareLatentGrid(3, 2);
    const v = g.arraySync();
    expect(v[0]).toEqual([-2, 2]);
    expect(v[2]).toEqual([2, 2]);
    expect(v[8]).toEqual([2, -2]);
    g.dispose();
  });
});

describe('interpolationSmoothness', () => {
  it('decodes the same path as Vae.interpolate, without leaking', () => {
    const vae = new Vae({ inputSize: 6, latentSize: 2, hiddenSizes: [5] }, new Random(2));
    const x = tf.tensor2d(new Random(3).uniforms(4 * 6), [4, 6]);
    const before = tf.memory().numTensors;
    const s = interpolationSmoothness(vae, x, 0, 3, 7);
    expect(tf.memory().numTensors).toBe(before);
    const reference = tf.tidy(() => vae.interpolate(tf.slice(x, [0, 0], [1, -1]), tf.slice(x, [3, 0], [1, -1]), 7).dataSync());
    Array.from(reference).forEach((v, i) => expect(s.images[i]).toBeCloseTo(v, 5));
    expect(s.jumpRatio).toBeGreaterThanOrEqual(1 - 1e-9);
    expect(() => interpolationSmoothness(vae, x, 0, 4, 7)).toThrow(/interpolationSmoothness: b/);
    x.dispose();
    vae.dispose();
  });
});
