/**
 * The tfjs wasm backend as our kernels see it: a structural view of the backend (only the
 * members we use, so a tfjs upgrade that renames internals fails loudly here), the slice of the
 * WebAssembly JS API that instantiates our hand-assembled modules on the backend's own memory,
 * the kernel calling convention, and the shape bookkeeping of a matmul.
 */
import type * as tf from '@tensorflow/tfjs';

/**
 * The slice of the WebAssembly JS API the kernels use. Declared here because tslab compiles
 * notebook imports against lib es2022 only (no DOM types, where TypeScript keeps WebAssembly);
 * Node has the API at run time.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
  Memory?: new (descriptor: { initial: number }) => WasmMemory;
}
/** The global WebAssembly object, typed by WasmApi. */
export function webAssembly(): WasmApi {
  return (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
}

/**
 * The exports of the module `bytes()` instantiated on `memory` (the wasm backend's own, so its
 * functions work on tensors in place), compiled once per memory; null without a memory or where
 * the module does not validate or instantiate (no WebAssembly SIMD: callers then use the stock
 * kernels or scalar loops).
 */
export function moduleOnMemory<T>(bytes: () => Uint8Array): (memory: WasmMemory | undefined) => T | null {
  const cache = new WeakMap<WasmMemory, T | null>();
  return (memory) => {
    if (memory === undefined) return null;
    if (cache.has(memory)) return cache.get(memory) ?? null;
    let exports: T | null = null;
    try {
      const wasm = webAssembly();
      const code = bytes();
      if (wasm.validate(code)) exports = new wasm.Instance(new wasm.Module(code), { env: { memory } }).exports as unknown as T;
    } catch {
      exports = null;
    }
    cache.set(memory, exports);
    return exports;
  };
}

/** The members of tfjs-backend-wasm's BackendWasm that the kernels touch. */
export interface WasmBackendLike {
  incRef(dataId: object): void;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  getMemoryOffset(dataId: object): number;
  /** `asm.memory` is the module's WebAssembly.Memory (the emscripten build exports it). */
  wasm: { HEAPF32: Float32Array; asm?: { memory?: WasmMemory } };
}

export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: WasmBackendLike;
  attrs: Record<string, unknown>;
}

export type StockKernel = (args: KernelArgs) => tf.TensorInfo;

/** A 2-D-or-batched matmul reduced to its sizes: out[batch, M, N] = op(a)[M, K] · op(b)[K, N]. */
export interface MatMulPlan {
  batchA: number;
  batchB: number;
  batch: number;
  M: number;
  N: number;
  K: number;
  outShape: number[];
}

/** The number of elements of a shape (1 for a scalar). */
export function product(dims: readonly number[]): number {
  let p = 1;
  for (const d of dims) p *= d;
  return p;
}

/** Where a float32 tensor's data starts in the wasm heap, as an index into HEAPF32. */
export function floatIndex(backend: WasmBackendLike, t: { dataId: object }): number {
  return backend.getMemoryOffset(t.dataId) / 4;
}

/**
 * Sizes of a (possibly transposed, possibly batched) matmul, or null when the outer
 * dimensions broadcast in a way the fast paths do not handle (then the stock kernel runs).
 */
export function planMatMul(
  aShape: number[],
  bShape: number[],
  transposeA: boolean,
  transposeB: boolean,
): MatMulPlan | null {
  if (aShape.length < 2 || bShape.length < 2) return null;
  const ra = aShape.length;
  const rb = bShape.length;
  const M = transposeA ? aShape[ra - 1] : aShape[ra - 2];
  const Ka = transposeA ? aShape[ra - 2] : aShape[ra - 1];
  const Kb = transposeB ? bShape[rb - 1] : bShape[rb - 2];
  const N = transposeB ? bShape[rb - 2] : bShape[rb - 1];
  if (Ka !== Kb) return null;
  const outerA = aShape.slice(0, -2);
  const outerB = bShape.slice(0, -2);
  const batchA = product(outerA);
  const batchB = product(outerB);
  let outer: number[];
  if (batchA === batchB && outerA.length === outerB.length &&
      outerA.every((d, i) => d === outerB[i])) {
    outer = outerA;
  } else if (batchB === 1) {
    outer = outerA.length >= outerB.length ? outerA : outerB;
  } else if (batchA === 1) {
    outer = outerB.length >= outerA.length ? outerB : outerA;
  } else {
    return null;
  }
  return { batchA, batchB, batch: Math.max(batchA, batchB), M, N, K: Ka, outShape: [...outer, M, N] };
}

/** A matmul kernel's call: its operands a and b, their transposes, and its plan (null: see planMatMul). */
export interface MatMulCall {
  a: tf.TensorInfo;
  b: tf.TensorInfo;
  transposeA: boolean;
  transposeB: boolean;
  plan: MatMulPlan | null;
}

/** Reads a BatchMatMul or _FusedMatMul call (inputs a and b always present; checked for the type system). */
export function matMulCall(args: KernelArgs): MatMulCall {
  const { a, b } = args.inputs;
  if (a === undefined || b === undefined) throw new Error('engine: matmul kernel called without inputs a and b');
  const transposeA = args.attrs.transposeA === true;
  const transposeB = args.attrs.transposeB === true;
  return { a, b, transposeA, transposeB, plan: planMatMul(a.shape, b.shape, transposeA, transposeB) };
}

/** A zero-copy reshaped view of a tensor's data (tfjs reshape is metadata only). */
export function view(t: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}
