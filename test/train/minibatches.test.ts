import { describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { gatherRows, shuffledBatches } from '../../src/train/minibatches';

describe('shuffledBatches', () => {
  it('cuts one permutation into consecutive batches, the last shorter, each row once', () => {
    const batches = shuffledBatches(10, 4, new Random(3));
    expect(batches.map((b) => b.length)).toEqual([4, 4, 2]);
    const all = batches.flatMap((b) => Array.from(b));
    expect(all).toEqual(Array.from(new Random(3).permutation(10)));
    expect([...all].sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });
  it('draws exactly one permutation from the generator', () => {
    const r = new Random(5);
    shuffledBatches(7, 3, r);
    const s = new Random(5);
    s.permutation(7);
    expect(r.nextUint32()).toBe(s.nextUint32());
  });
  it('names a bad argument', () => {
    expect(() => shuffledBatches(0, 2, new Random(1))).toThrow(/shuffledBatches: count must be an integer >= 1/);
    expect(() => shuffledBatches(5, 1.5, new Random(1))).toThrow(/shuffledBatches: batchSize must be an integer >= 1/);
  });
});

describe('gatherRows', () => {
  it('copies the rows in the order given into the staging buffer', () => {
    const values = Float32Array.from({ length: 12 }, (_, i) => i); // 4 rows × 3
    const out = new Float32Array(9);
    expect(Array.from(gatherRows(values, 3, [2, 0], out))).toEqual([6, 7, 8, 0, 1, 2]);
    expect(() => gatherRows(values, 3, [0, 1, 2, 3], out)).toThrow(/gatherRows: out must hold at least 12 values/);
  });
});
