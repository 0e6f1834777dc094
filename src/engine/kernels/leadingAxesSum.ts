/**
 * Sum over leading axes for the wasm backend, by the SIMD GEMM: a bias gradient is the column
 * sum of dY ([batch, units] summed over the batch), which the stock kernel computes by first
 * transposing dY so the reduced axis is innermost. A column sum is a product 1ᵀ·X, so the GEMM
 * reads X in place, with A a single 1 seen through zero strides.
 */
import type * as tf from '@tensorflow/tfjs';
import { KernelArgs, product } from './wasmBackend';
import { stockKernel } from './kernelSets';
import { gemm, gemmFor, heapOf } from './wasmGemm';

/** The reduced axes of a Sum call, non-negative and sorted, or null when malformed. */
function reducedAxes(axis: unknown, rank: number): number[] | null {
  const list = Array.isArray(axis) ? axis : [axis];
  const axes = list.map((a) => (typeof a === 'number' && a < 0 ? a + rank : a));
  if (!axes.every((a): a is number => typeof a === 'number' && Number.isInteger(a) && a >= 0 && a < rank)) return null;
  return [...new Set(axes)].sort((p, q) => p - q);
}

/** Sum kernel: leading-axes float32 sums through the GEMM; everything else to the stock kernel. */
export function leadingAxesSum(args: KernelArgs): tf.TensorInfo {
  const x = args.inputs.x;
  const backend = args.backend;
  const fns = gemmFor(backend.wasm.asm?.memory);
  const axes = x === undefined ? null : reducedAxes(args.attrs.axis, x.shape.length);
  const leading = axes !== null && axes.length < (x?.shape.length ?? 0) && axes.every((a, i) => a === i);
  if (x === undefined || x.dtype !== 'float32' || fns === null || axes === null || !leading) return stockKernel('Sum')(args);
  const rows = product(x.shape.slice(0, axes.length));
  const kept = x.shape.slice(axes.length);
  const cols = product(kept);
  if (rows === 0 || cols === 0) return stockKernel('Sum')(args);
  const outShape = args.attrs.keepDims === true ? [...axes.map(() => 1), ...kept] : kept;
  const out = backend.makeOutput(outShape, 'float32');
  const one = backend.makeOutput([1], 'float32');
  try {
    const oneAt = backend.getMemoryOffset(one.dataId);
    backend.wasm.HEAPF32[oneAt >> 2] = 1;
    gemm(fns, heapOf(backend), {
      M: 1, N: cols, K: rows,
      a: oneAt, rowStrideA: 0, colStrideA: 0,
      b: backend.getMemoryOffset(x.dataId),
      c: backend.getMemoryOffset(out.dataId),
      bias: 0, relu: false,
    });
  } finally {
    backend.disposeData(one.dataId);
  }
  return out;
}
