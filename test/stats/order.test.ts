import { describe, expect, it } from 'vitest';
import { median } from '../../src/stats/order';
import { Random } from '../../src/random';

describe('median', () => {
  it('is the middle value of an odd count and the mean of the two middle values of an even count', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median(Float32Array.from([-1, 10]))).toBe(4.5);
  });

  it('sorts numerically, not as text (10 > 9)', () => {
    expect(median([10, 9, 100])).toBe(10);
    expect(median([-10, -9, 2])).toBe(-9);
  });

  it('splits the values in half: as many below as above (random values, checked by counting)', () => {
    const values = Array.from(new Random(3).normals(101));
    const m = median(values);
    expect(values.filter((v) => v < m)).toHaveLength(50);
    expect(values.filter((v) => v > m)).toHaveLength(50);
  });

  it('does not reorder its argument', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });

  it('rejects empty and non-finite input, naming the function', () => {
    expect(() => median([])).toThrow(/median: values must not be empty/);
    expect(() => median([1, NaN])).toThrow(/median: values must contain finite numbers/);
  });
});
