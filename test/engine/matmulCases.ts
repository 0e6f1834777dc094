/**
 * Shared cases for the matmul kernel tests: odd and training shapes, every transpose
 * combination, batch dimensions (equal and broadcast), and a float64 reference product
 * computed in plain JS, independent of every tfjs kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { Random } from '../../src/random';

/** [M, K, N] triples: degenerate, odd, around the SIMD/blocking widths, and the VAE layers. */
export const SHAPES: [number, number, number][] = [
  [1, 1, 1], [1, 3, 1], [3, 1, 17], [17, 3, 1], [3, 17, 129], [129, 3, 17], [17, 129, 3],
  [33, 65, 47], [128, 784, 400], [128, 400, 20], [128, 20, 400],
];

export const TRANSPOSES: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];

/** Batch shapes of a and b and the broadcast batch shape of the product. */
export const BATCHES: { a: number[]; b: number[]; out: number[] }[] = [
  { a: [1], b: [1], out: [1] },
  { a: [3], b: [3], out: [3] },
  { a: [2, 3], b: [2, 3], out: [2, 3] },
  { a: [4], b: [1], out: [4] },
  { a: [1], b: [4], out: [4] },
  { a: [4], b: [], out: [4] },
];

export function operandShapes(M: number, K: number, N: number, tA: boolean, tB: boolean, batchA: number[] = [], batchB: number[] = []): { a: number[]; b: number[] } {
  return { a: [...batchA, ...(tA ? [K, M] : [M, K])], b: [...batchB, ...(tB ? [N, K] : [K, N])] };
}

export function randomTensor(random: Random, shape: number[]): tf.Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  return tf.tensor(random.normals(n), shape);
}

/** op(A)·op(B) (+bias, activation) in float64 from plain arrays; batch broadcast by size 1 or absence. */
export function referenceMatMul(
  a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], tA: boolean, tB: boolean,
  bias?: Float32Array, activation: 'linear' | 'relu' | 'relu6' | 'elu' = 'linear',
): { values: Float64Array; shape: number[] } {
  const ra = aShape.length;
  const rb = bShape.length;
  const M = tA ? aShape[ra - 1] : aShape[ra - 2];
  const K = tA ? aShape[ra - 2] : aShape[ra - 1];
  const N = tB ? bShape[rb - 2] : bShape[rb - 1];
  const batchA = aShape.slice(0, -2).reduce((p, d) => p * d, 1);
  const batchB = bShape.slice(0, -2).reduce((p, d) => p * d, 1);
  const batch = Math.max(batchA, batchB);
  const outer = (batchA >= batchB ? aShape : bShape).slice(0, -2);
  const out = new Float64Array(batch * M * N);
  for (let t = 0; t < batch; t++) {
    const ao = (batchA === 1 ? 0 : t) * M * K;
    const bo = (batchB === 1 ? 0 : t) * K * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const av = a[ao + (tA ? k * M + i : i * K + k)];
          const bv = b[bo + (tB ? j * K + k : k * N + j)];
          s += av * bv;
        }
        if (bias) s += bias[bias.length === 1 ? 0 : j];
        if (activation === 'relu') s = Math.max(s, 0);
        else if (activation === 'relu6') s = Math.min(Math.max(s, 0), 6);
        else if (activation === 'elu') s = s > 0 ? s : Math.exp(s) - 1;
        out[(t * M + i) * N + j] = s;
      }
    }
  }
  return { values: out, shape: [...outer, M, N] };
}

/**
 * Float32 accumulation error bound for a K-term dot product of standard normals: a few
 * ulps times √K times the typical magnitude √K; generous enough for any summation order.
 */
export function tolerance(K: number): number {
  return 1e-5 * Math.max(1, K);
}

export function maxAbsDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let d = 0;
  for (let i = 0; i < got.length; i++) d = Math.max(d, Math.abs(got[i] - want[i]));
  return d;
}
