import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { installKernelSet, restoreStockKernels, activeKernelSet } from '../../src/engine/kernels/kernelSets';
import { wasmFastKernels } from '../../src/engine/kernels/wasmFast';
import {
  BATCHES, maxAbsDiff, operandShapes, randomTensor, referenceMatMul, SHAPES, tolerance, TRANSPOSES,
} from './matmulCases';

/** Runs f with the stock wasm kernels, then with ours; returns both results as arrays. */
function stockAndFast(f: () => tf.Tensor): { stock: Float32Array; fast: Float32Array; shape: number[] } {
  restoreStockKernels();
  const s = f();
  installKernelSet('wasm-fast', wasmFastKernels());
  const g = f();
  expect(g.shape).toEqual(s.shape);
  const out = { stock: s.dataSync() as Float32Array, fast: g.dataSync() as Float32Array, shape: g.shape };
  tf.dispose([s, g]);
  return out;
}

describe('wasm-fast matmul kernels', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await tf.ready();
  });
  afterAll(() => restoreStockKernels());

  it('matches the stock kernel and a float64 reference for all transposes and odd shapes', () => {
    const random = new Random(11);
    for (const [M, K, N] of SHAPES) {
      for (const [tA, tB] of TRANSPOSES) {
        const shapes = operandShapes(M, K, N, tA, tB);
        const a = randomTensor(random, shapes.a);
        const b = randomTensor(random, shapes.b);
        const before = tf.memory().numTensors;
        const { stock, fast, shape } = stockAndFast(() => tf.matMul(a, b, tA, tB));
        expect(tf.memory().numTensors).toBe(before);
        const ref = referenceMatMul(a.dataSync() as Float32Array, shapes.a, b.dataSync() as Float32Array, shapes.b, tA, tB);
        expect(shape).toEqual(ref.shape);
        const label = `M=${M} K=${K} N=${N} tA=${tA} tB=${tB}`;
        expect(maxAbsDiff(fast, stock), label).toBeLessThanOrEqual(tolerance(K));
        expect(maxAbsDiff(fast, ref.values), label).toBeLessThanOrEqual(tolerance(K));
        tf.dispose([a, b]);
      }
    }
  });

  it('handles batch dimensions, equal and broadcast, in every transpose combination', () => {
    const random = new Random(12);
    for (const batch of BATCHES) {
      for (const [tA, tB] of TRANSPOSES) {
        const [M, K, N] = [5, 7, 3];
        const shapes = operandShapes(M, K, N, tA, tB, batch.a, batch.b);
        const a = randomTensor(random, shapes.a);
        const b = randomTensor(random, shapes.b);
        const { fast, stock, shape } = stockAndFast(() => tf.matMul(a, b, tA, tB));
        const ref = referenceMatMul(a.dataSync() as Float32Array, shapes.a, b.dataSync() as Float32Array, shapes.b, tA, tB);
        expect(shape).toEqual([...batch.out, M, N]);
        expect(maxAbsDiff(fast, ref.values)).toBeLessThanOrEqual(tolerance(K));
        expect(maxAbsDiff(fast, stock)).toBeLessThanOrEqual(tolerance(K));
        tf.dispose([a, b]);
      }
    }
  });

  it('fused matmul with bias and activation matches in every transpose combination', () => {
    const random = new Random(13);
    for (const [M, K, N] of [[3, 17, 129], [129, 3, 17], [128, 400, 20], [1, 1, 1]] as [number, number, number][]) {
      for (const [tA, tB] of TRANSPOSES) {
        for (const [activation, biasSize] of [['linear', N], ['relu', N], ['elu', N], ['relu', 1], ['elu', 1]] as const) {
          const shapes = operandShapes(M, K, N, tA, tB);
          const a = randomTensor(random, shapes.a) as tf.Tensor2D;
          const b = randomTensor(random, shapes.b) as tf.Tensor2D;
          const bias = randomTensor(random, [biasSize]) as tf.Tensor1D;
          const before = tf.memory().numTensors;
          const { fast, stock } = stockAndFast(() =>
            tf.fused.matMul({ a, b, transposeA: tA, transposeB: tB, bias, activation }));
          expect(tf.memory().numTensors).toBe(before);
          const ref = referenceMatMul(a.dataSync() as Float32Array, shapes.a, b.dataSync() as Float32Array, shapes.b,
            tA, tB, bias.dataSync() as Float32Array, activation);
          const label = `fused ${activation} bias[${biasSize}] M=${M} K=${K} N=${N} tA=${tA} tB=${tB}`;
          expect(maxAbsDiff(fast, ref.values), label).toBeLessThanOrEqual(tolerance(K));
          // The stock kernel is the comparison only when untransposed: its transposed (scalar
          // loop) path adds bias[min(i·N + j, N − 1)], i.e. the wrong bias for every row after
          // the first, so there the float64 reference is the only judge; likewise for a
          // one-element bias, which the stock kernel reads past its end.
          if (!tA && !tB && biasSize === N) expect(maxAbsDiff(fast, stock), label).toBeLessThanOrEqual(tolerance(K));
          tf.dispose([a, b, bias]);
        }
      }
    }
  });

  it('gives the same gradients of a dense layer as the stock kernels, without leaking tensors', () => {
    const random = new Random(14);
    const x = randomTensor(random, [33, 65]) as tf.Tensor2D;
    const w = randomTensor(random, [65, 47]) as tf.Tensor2D;
    const bias = randomTensor(random, [47]) as tf.Tensor1D;
    const loss = (...[wv, bv]: tf.Tensor[]): tf.Scalar =>
      tf.sum(tf.square(tf.fused.matMul({ a: x, b: wv as tf.Tensor2D, bias: bv, activation: 'relu' })));
    const grads = (): tf.Tensor[] => tf.grads(loss)([w, bias]);
    restoreStockKernels();
    const before = tf.memory().numTensors;
    const stock = grads();
    installKernelSet('wasm-fast', wasmFastKernels());
    const fast = grads();
    for (let i = 0; i < 2; i++) {
      const scale = Math.max(1, ...Array.from(stock[i].dataSync()).map(Math.abs));
      expect(maxAbsDiff(fast[i].dataSync(), stock[i].dataSync()) / scale).toBeLessThan(1e-5);
    }
    tf.dispose([...stock, ...fast]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w, bias]);
  });

  it('softplus (WebAssembly SIMD) matches log(1 + eˣ) in float64 and the stock kernel, odd lengths, NaN and ±∞', () => {
    const special = [NaN, Infinity, -Infinity, 0, -0, 87, -87, -87.5, 88, -88, -200, 200, 1e-8, -1e-8, 1e30, -1e30];
    const grid = Array.from({ length: 2001 }, (_, i) => (i - 1000) / 25);
    const values = Float32Array.from([...special, ...grid, ...Array.from(new Random(15).normals(998))]);
    expect(values.length % 4).not.toBe(0); // exercises the scalar tail too
    const x = tf.tensor1d(values);
    const before = tf.memory().numTensors;
    const { stock, fast } = stockAndFast(() => tf.softplus(x));
    expect(tf.memory().numTensors).toBe(before);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      const want = v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v));
      if (Number.isNaN(want)) expect(fast[i]).toBeNaN();
      else if (!Number.isFinite(want)) expect(fast[i]).toBe(want);
      else {
        expect(Math.abs(fast[i] - want), `softplus(${v})`).toBeLessThanOrEqual(1e-6 * want + 1e-37);
        expect(Math.abs(fast[i] - stock[i]), `softplus(${v}) vs stock`).toBeLessThanOrEqual(2e-6 * Math.abs(want) + 1e-30);
      }
    }
    x.dispose();
  });

  it('installing twice is a no-op and restoring brings back the stock kernels', () => {
    installKernelSet('wasm-fast', wasmFastKernels());
    const ours = tf.getKernel('BatchMatMul', 'wasm');
    installKernelSet('wasm-fast', wasmFastKernels());
    expect(tf.getKernel('BatchMatMul', 'wasm')).toBe(ours);
    expect(activeKernelSet()).toBe('wasm-fast');
    restoreStockKernels();
    expect(tf.getKernel('BatchMatMul', 'wasm')).not.toBe(ours);
    expect(activeKernelSet()).toBe('stock');
  });
});
