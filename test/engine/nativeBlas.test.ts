import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { installKernelSet, restoreStockKernels } from '../../src/engine/kernels/kernelSets';
import { BlasAddon, loadBlasAddon, nativeBlasKernels } from '../../src/engine/kernels/nativeBlas';
import {
  BATCHES, maxAbsDiff, operandShapes, randomTensor, referenceMatMul, SHAPES, tolerance, TRANSPOSES,
} from './matmulCases';

let addon: BlasAddon | null = null;
let whyNot = '';
try {
  addon = loadBlasAddon();
} catch (err) {
  whyNot = err instanceof Error ? err.message : String(err);
}
if (addon === null) {
  // Printed so a skipped run says why (the addon is optional: `node native/build.js`).
  console.log(`native BLAS tests skipped: ${whyNot}`);
}

function withNative<T extends tf.Tensor>(f: () => T): { native: Float32Array; shape: number[] } {
  installKernelSet('wasm-blas', nativeBlasKernels(addon as BlasAddon));
  const t = f();
  const out = { native: t.dataSync() as Float32Array, shape: t.shape };
  t.dispose();
  return out;
}

describe.skipIf(addon === null)('native BLAS matmul kernels', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await tf.ready();
  });
  afterAll(() => restoreStockKernels());

  it('matches a float64 reference (and the stock kernel) for all transposes and odd shapes', () => {
    const random = new Random(21);
    for (const [M, K, N] of SHAPES) {
      for (const [tA, tB] of TRANSPOSES) {
        const shapes = operandShapes(M, K, N, tA, tB);
        const a = randomTensor(random, shapes.a);
        const b = randomTensor(random, shapes.b);
        restoreStockKernels();
        const stock = tf.matMul(a, b, tA, tB);
        const before = tf.memory().numTensors;
        const { native, shape } = withNative(() => tf.matMul(a, b, tA, tB));
        expect(tf.memory().numTensors).toBe(before);
        const ref = referenceMatMul(a.dataSync() as Float32Array, shapes.a, b.dataSync() as Float32Array, shapes.b, tA, tB);
        const label = `M=${M} K=${K} N=${N} tA=${tA} tB=${tB}`;
        expect(shape).toEqual(ref.shape);
        expect(maxAbsDiff(native, ref.values), label).toBeLessThanOrEqual(tolerance(K));
        expect(maxAbsDiff(native, stock.dataSync()), label).toBeLessThanOrEqual(tolerance(K));
        tf.dispose([a, b, stock]);
      }
    }
  });

  it('handles batch dimensions, equal and broadcast', () => {
    const random = new Random(22);
    for (const batch of BATCHES) {
      for (const [tA, tB] of TRANSPOSES) {
        const [M, K, N] = [5, 7, 3];
        const shapes = operandShapes(M, K, N, tA, tB, batch.a, batch.b);
        const a = randomTensor(random, shapes.a);
        const b = randomTensor(random, shapes.b);
        const { native, shape } = withNative(() => tf.matMul(a, b, tA, tB));
        const ref = referenceMatMul(a.dataSync() as Float32Array, shapes.a, b.dataSync() as Float32Array, shapes.b, tA, tB);
        expect(shape).toEqual([...batch.out, M, N]);
        expect(maxAbsDiff(native, ref.values)).toBeLessThanOrEqual(tolerance(K));
        tf.dispose([a, b]);
      }
    }
  });

  it('fused matmul: bias (vector or scalar) and linear/relu/relu6 natively, other activations by fallback', () => {
    const random = new Random(23);
    for (const [M, K, N] of [[3, 17, 129], [129, 3, 17], [128, 400, 20], [1, 1, 1]] as [number, number, number][]) {
      for (const [tA, tB] of TRANSPOSES) {
        for (const activation of ['linear', 'relu', 'relu6', 'elu'] as const) {
          for (const biasSize of [N, 1]) {
            const shapes = operandShapes(M, K, N, tA, tB);
            const a = randomTensor(random, shapes.a) as tf.Tensor2D;
            const b = randomTensor(random, shapes.b) as tf.Tensor2D;
            const bias = randomTensor(random, [biasSize]) as tf.Tensor1D;
            const before = tf.memory().numTensors;
            const { native } = withNative(() =>
              tf.fused.matMul({ a, b, transposeA: tA, transposeB: tB, bias, activation }));
            expect(tf.memory().numTensors).toBe(before);
            const ref = referenceMatMul(a.dataSync() as Float32Array, shapes.a, b.dataSync() as Float32Array,
              shapes.b, tA, tB, bias.dataSync() as Float32Array, activation);
            expect(maxAbsDiff(native, ref.values), `${activation} bias[${biasSize}] M=${M} K=${K} N=${N} tA=${tA} tB=${tB}`)
              .toBeLessThanOrEqual(tolerance(K));
            tf.dispose([a, b, bias]);
          }
        }
      }
    }
  });

  it('softplus matches log(1 + eˣ) in float64 to a few ulp, keeps NaN and infinities, leaks nothing', () => {
    const special = [NaN, Infinity, -Infinity, 0, -0, 87, -87, -87.5, 88, -88, -200, 200, 1e-8, -1e-8, 1e30, -1e30];
    const grid = Array.from({ length: 2001 }, (_, i) => (i - 1000) / 25);
    const values = Float32Array.from([...special, ...grid, ...Array.from(new Random(24).normals(999))]);
    const x = tf.tensor1d(values);
    const before = tf.memory().numTensors;
    const { native } = withNative(() => tf.softplus(x));
    expect(tf.memory().numTensors).toBe(before);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      const want = v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v));
      if (Number.isNaN(want)) expect(native[i]).toBeNaN();
      else if (!Number.isFinite(want)) expect(native[i]).toBe(want);
      else expect(Math.abs(native[i] - want), `softplus(${v})`).toBeLessThanOrEqual(1e-6 * want + 1e-37);
    }
    x.dispose();
  });

  it('refuses operands outside the heap view and bad arguments, naming the problem', () => {
    const heap = new Float32Array(16);
    const gemm = (addon as BlasAddon).gemm;
    expect(() => gemm(heap, 1, 4, 4, 4, false, false, 0, 0, 0, 0, 4, 0, 0, 0)).toThrow(/outside the heap/);
    expect(() => gemm(heap, 1, 2, 2, 2, false, false, 0, 0, 4, 0, 8, 0, 0, 7)).toThrow(/activation/);
    expect(() => gemm(new Float64Array(4) as unknown as Float32Array, 1, 1, 1, 1, false, false, 0, 0, 1, 0, 2, 0, 0, 0))
      .toThrow(/Float32Array/);
    // A valid call: [[1,2],[3,4]]·[[5,6],[7,8]] = [[19,22],[43,50]].
    heap.set([1, 2, 3, 4, 5, 6, 7, 8]);
    gemm(heap, 1, 2, 2, 2, false, false, 0, 0, 4, 0, 8, 0, 0, 0);
    expect(Array.from(heap.subarray(8, 12))).toEqual([19, 22, 43, 50]);
  });
});
