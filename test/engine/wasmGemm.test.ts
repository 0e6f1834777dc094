/**
 * The hand-assembled SIMD GEMM (src/engine/kernels/wasmGemm.ts) on a bare WebAssembly memory,
 * against a float64 product in plain JS; and the kernels built on it (leading-axes Sum) and
 * beside it (same-dtype Cast) on the wasm backend, against the stock kernels.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { gemm, gemmFor, gemmModuleBytes } from '../../src/engine/kernels/wasmGemm';
import { installKernelSet, restoreStockKernels } from '../../src/engine/kernels/kernelSets';
import { webAssembly } from '../../src/engine/kernels/wasmBackend';
import { wasmFastKernels } from '../../src/engine/kernels/wasmFast';
import { maxAbsDiff, randomTensor, tolerance } from './matmulCases';

/** A bare WebAssembly memory (`initial` 64 KiB pages); lib es2022 has no WebAssembly types. */
function newMemory(descriptor: { initial: number }): { buffer: ArrayBuffer } {
  const Memory = webAssembly().Memory;
  if (Memory === undefined) throw new Error('no WebAssembly.Memory');
  return new Memory(descriptor);
}

interface Case { M: number; K: number; N: number; layout: 'NN' | 'TN' | 'ones'; bias: boolean; relu: boolean }

/** Lays A, B, bias out on a fresh memory, runs the GEMM, returns C and a float64 reference. */
function runCase(c: Case, random: Random): { got: Float32Array; want: Float64Array } {
  const { M, K, N } = c;
  const memory = newMemory({ initial: 1 + Math.ceil((4 * (M * K + K * N + M * N + N) + 4096) / 65536) });
  const fns = gemmFor(memory);
  if (fns === null) throw new Error('no SIMD');
  const heap = (): Float32Array => new Float32Array(memory.buffer);
  const h = heap();
  const aAt = 64;
  const aCount = c.layout === 'ones' ? 1 : M * K;
  const bAt = aAt + 4 * aCount + 64;
  const cAt = bAt + 4 * K * N + 64;
  const biasAt = cAt + 4 * M * N + 64;
  h.set(c.layout === 'ones' ? [1] : random.normals(aCount), aAt / 4);
  h.set(random.normals(K * N), bAt / 4);
  h.set(random.normals(N), biasAt / 4);
  h.fill(NaN, cAt / 4, cAt / 4 + M * N); // every output must be written
  const strides = { NN: [K, 1], TN: [1, M], ones: [0, 0] }[c.layout];
  gemm(fns, heap, {
    M, N, K, a: aAt, rowStrideA: strides[0], colStrideA: strides[1], b: bAt, c: cAt, bias: c.bias ? biasAt : 0, relu: c.relu,
  });
  const A = (i: number, k: number): number => h[aAt / 4 + i * strides[0] + k * strides[1]];
  const want = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += A(i, k) * h[bAt / 4 + k * N + j];
      if (c.bias) s += h[biasAt / 4 + j];
      want[i * N + j] = c.relu ? Math.max(s, 0) : s;
    }
  }
  return { got: h.slice(cAt / 4, cAt / 4 + M * N), want };
}

describe('SIMD GEMM (hand-assembled WebAssembly)', () => {
  it('is a valid module with its four tile functions', () => {
    expect(webAssembly().validate(gemmModuleBytes())).toBe(true);
    const fns = gemmFor(newMemory({ initial: 1 }));
    expect(fns && Object.keys(fns).sort()).toEqual(['gemm1x4', 'gemm1x8', 'gemm4x4', 'gemm4x8']);
  });

  it('matches a float64 product for A plain, A transposed and A of zero strides, every edge tile, bias and ReLU', () => {
    const random = new Random(31);
    // Sizes around the 4-row and 8/4-column tiles, plus the VAE's layer shapes.
    const shapes: [number, number, number][] = [
      [1, 1, 1], [4, 1, 8], [5, 3, 13], [7, 9, 12], [3, 17, 3], [8, 2, 4], [9, 33, 17], [128, 400, 20], [33, 65, 47], [2, 0, 9],
    ];
    for (const [M, K, N] of shapes) {
      for (const layout of ['NN', 'TN', 'ones'] as const) {
        for (const [bias, relu] of [[false, false], [true, false], [true, true], [false, true]]) {
          const { got, want } = runCase({ M, K, N, layout, bias, relu }, random);
          const label = `${layout} M=${M} K=${K} N=${N} bias=${bias} relu=${relu}`;
          expect(maxAbsDiff(got, want), label).toBeLessThanOrEqual(tolerance(K));
        }
      }
    }
  });

  it('propagates NaN through the sum and through ReLU', () => {
    const memory = newMemory({ initial: 1 });
    const fns = gemmFor(memory);
    if (fns === null) throw new Error('no SIMD');
    const heap = (): Float32Array => new Float32Array(memory.buffer);
    const [M, K, N] = [4, 2, 9];
    const h = heap();
    h.fill(1, 16, 16 + M * K);
    h.fill(1, 64, 64 + K * N);
    h[64 + 3] = NaN; // B[0,3]: column 3 of every row; column 8 is the JS edge
    h[64 + 8] = NaN;
    gemm(fns, heap, { M, N, K, a: 64, rowStrideA: K, colStrideA: 1, b: 256, c: 512, bias: 0, relu: true });
    const out = heap().slice(128, 128 + M * N);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        if (j === 3 || j === 8) expect(out[i * N + j]).toBeNaN();
        else expect(out[i * N + j]).toBe(2);
      }
    }
  });
});

describe('Sum and Cast kernels of the fast engines', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await tf.ready();
  });
  afterAll(() => restoreStockKernels());

  it('sums over leading axes like the stock kernel, and leaves other reductions to it', () => {
    const random = new Random(32);
    const cases: { shape: number[]; axis: number | number[]; keepDims?: boolean }[] = [
      { shape: [128, 400], axis: 0 }, { shape: [1, 128, 20], axis: [0, 1] }, { shape: [1, 128, 20], axis: [1, 0], keepDims: true },
      { shape: [7, 3], axis: -2 }, { shape: [5, 6, 3], axis: [0] }, { shape: [9, 1], axis: 0 }, { shape: [5, 6, 3], axis: [0, 2] },
      { shape: [6, 5], axis: 1 }, { shape: [6, 5], axis: [0, 1] }, { shape: [0, 4], axis: 0 },
    ];
    for (const c of cases) {
      const x = randomTensor(random, c.shape);
      restoreStockKernels();
      const stock = tf.sum(x, c.axis, c.keepDims);
      installKernelSet('wasm-fast', wasmFastKernels());
      const before = tf.memory().numTensors;
      const fast = tf.sum(x, c.axis, c.keepDims);
      expect(tf.memory().numTensors).toBe(before + 1);
      const label = `sum ${JSON.stringify(c)}`;
      expect(fast.shape, label).toEqual(stock.shape);
      expect(maxAbsDiff(fast.dataSync(), stock.dataSync()), label).toBeLessThanOrEqual(tolerance(c.shape[0]));
      tf.dispose([x, stock, fast]);
    }
    const ints = tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32');
    const s = tf.sum(ints, 0);
    expect(s.dtype).toBe('int32');
    expect(Array.from(s.dataSync())).toEqual([4, 6]);
    tf.dispose([ints, s]);
  });

  it('casts to the same dtype without copying, and converts other dtypes as the stock kernel does', () => {
    installKernelSet('wasm-fast', wasmFastKernels());
    const x = tf.tensor1d([1.5, -2.5, 0]);
    const same = tf.engine().runKernel('Cast', { x }, { dtype: 'float32' }) as tf.Tensor;
    expect(same.dataId).toBe(x.dataId); // shared data, no copy
    x.dispose();
    expect(Array.from(same.dataSync())).toEqual([1.5, -2.5, 0]); // still alive through its own reference
    const ints = tf.cast(same, 'int32');
    expect(Array.from(ints.dataSync())).toEqual([1, -2, 0]);
    tf.dispose([same, ints]);
  });
});
