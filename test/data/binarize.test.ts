import { describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { binarize, binarizeValues, createBinarizer } from '../../src/data/binarize';

describe('binarize', () => {
  it('draws Bernoulli(x): the mean of draws matches x within 5 standard errors; 0 and 1 stay', () => {
    const n = 20000;
    const p = 0.3;
    const values = new Float32Array(n).fill(p);
    values[0] = 0;
    values[1] = 1;
    const out = binarizeValues(values, new Random(3));
    expect(out[0]).toBe(0);
    expect(out[1]).toBe(1);
    let ones = 0;
    for (let i = 2; i < n; i++) {
      expect(out[i] === 0 || out[i] === 1).toBe(true);
      ones += out[i];
    }
    const se = Math.sqrt((p * (1 - p)) / (n - 2));
    expect(Math.abs(ones / (n - 2) - p)).toBeLessThan(5 * se);
  });

  it('gives fresh draws from a moving generator and equal ones from equal seeds', () => {
    const values = new Float32Array(1000).fill(0.5);
    const r = new Random(9);
    const a = binarizeValues(values, r);
    const b = binarizeValues(values, r);
    expect(a).not.toEqual(b);
    expect(binarizeValues(values, new Random(9))).toEqual(a);
  });

  it('rejects values outside [0, 1] and NaN, naming where', () => {
    const bad = { values: new Float32Array([0, 0.5, 1.5, 0]), count: 2, features: 2 };
    expect(() => binarize(bad, new Random(1))).toThrow(/example 1, feature 0/);
    const nan = { values: new Float32Array([0, NaN]), count: 1, features: 2 };
    expect(() => binarize(nan, new Random(1))).toThrow(/NaN/);
  });
});

describe('createBinarizer', () => {
  it('gives exactly binarizeValues output for the same generator state, call after call', () => {
    const values = new Random(4).uniforms(5000).map((u, i) => (i % 3 === 0 ? 0 : i % 7 === 0 ? 1 : u));
    const binarizer = createBinarizer(values);
    const a = new Random(12);
    const b = new Random(12);
    for (let rep = 0; rep < 3; rep++) expect(binarizer(a)).toEqual(binarizeValues(values, b));
  });
});
