/**
 * What the fast matmul kernels share: a structural view of the wasm backend (only the
 * members we use, so a tfjs upgrade that renames internals fails loudly here), matmul
 * shape bookkeeping, and the swap of stock kernels for ours, kept in a process-global
 * record so that a notebook cell run twice (or a module evaluated twice by tslab) never
 * swaps twice and can always put the stock kernels back.
 */
import * as tf from '@tensorflow/tfjs';
import { processGlobal } from '../processGlobal';

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

/** The a and b inputs of a matmul kernel (always present; checked for the type system). */
export function operands(inputs: tf.NamedTensorInfoMap): { a: tf.TensorInfo; b: tf.TensorInfo } {
  const { a, b } = inputs;
  if (a === undefined || b === undefined) throw new Error('engine: matmul kernel called without inputs a and b');
  return { a, b };
}

/** A zero-copy reshaped view of a tensor's data (tfjs reshape is metadata only). */
export function view(t: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

interface SwapState {
  /** Stock configs saved the first time we replaced them, by kernel name. */
  stock: Map<string, tf.KernelConfig>;
  /** Kernels of ours with no stock counterpart (the fused ops' kernels) registered now. */
  added?: Set<string>;
  /** Which of our kernel sets is registered now ('stock' when none). */
  active: string;
}

function swapState(): SwapState {
  return processGlobal<SwapState>('elbo-lab.engine.kernels', () => ({ stock: new Map(), active: 'stock' }));
}

/** The stock wasm kernel for `kernelName`, as registered by tfjs-backend-wasm. */
export function stockKernel(kernelName: string): StockKernel {
  const saved = swapState().stock.get(kernelName) ?? tf.getKernel(kernelName, 'wasm');
  if (saved === undefined) {
    throw new Error(`engine: the wasm backend has no ${kernelName} kernel (is @tensorflow/tfjs-backend-wasm loaded?)`);
  }
  return saved.kernelFunc as unknown as StockKernel;
}

/** The name of the kernel set now registered for wasm matmuls ('stock', 'wasm-fast', 'wasm-blas'). */
export function activeKernelSet(): string {
  return swapState().active;
}

/** Kernel names of ours that add a kernel rather than replace a stock one (see ../fused). */
export const ADDED_KERNEL_PREFIX = 'ElboLab';

/**
 * Replace the wasm kernels named in `kernels` by ours (names starting with ADDED_KERNEL_PREFIX
 * are added instead: the fused ops' kernels, which the stock backend does not have). Idempotent: the same set twice is a
 * no-op; another set first restores the stock kernels. The wasm backend must already be
 * initialised, because the stock kernels' setup (binding their wasm functions) runs at
 * backend start-up; our configs carry the stock setupFunc so a later re-initialisation of
 * the backend still binds them.
 */
export function installKernelSet(setName: string, kernels: Record<string, StockKernel>): void {
  const state = swapState();
  if (state.active === setName) return;
  restoreStockKernels();
  const added = state.added ?? new Set<string>();
  state.added = added;
  for (const kernelName of Object.keys(kernels)) {
    if (kernelName.startsWith(ADDED_KERNEL_PREFIX)) {
      tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernels[kernelName] as unknown as tf.KernelFunc });
      added.add(kernelName);
      continue;
    }
    const stock = tf.getKernel(kernelName, 'wasm');
    if (stock === undefined) {
      throw new Error(`engine: the wasm backend has no ${kernelName} kernel to replace`);
    }
    state.stock.set(kernelName, stock);
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({
      kernelName,
      backendName: 'wasm',
      setupFunc: stock.setupFunc,
      kernelFunc: kernels[kernelName] as unknown as tf.KernelFunc,
    });
  }
  state.active = setName;
}

/** Put the stock wasm kernels back (tests compare against them; benchmarks time them). */
export function restoreStockKernels(): void {
  const state = swapState();
  if (state.active === 'stock') return;
  for (const [kernelName, config] of state.stock) {
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel(config);
  }
  for (const kernelName of state.added ?? []) {
    if (tf.getKernel(kernelName, 'wasm') !== undefined) tf.unregisterKernel(kernelName, 'wasm');
  }
  state.added?.clear();
  state.active = 'stock';
}

/**
 * Identity without the copy. tfjs clones every tensor it saves for the backward pass
 * (dozens per training step) through this kernel, and the stock wasm Identity copies the
 * data; the cpu and webgl backends instead share it and count references, which is what
 * this does. Safe because no wasm kernel writes into an existing tensor's memory (outputs
 * are always fresh allocations, and Variable.assign swaps data rather than writing into it).
 */
export function sharedIdentity(args: KernelArgs): tf.TensorInfo {
  const x = args.inputs.x;
  if (x === undefined) throw new Error('engine: Identity called without input x');
  if (x.dtype === 'string') return stockKernel('Identity')(args);
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * Cast to the tensor's own dtype without the copy (tfjs casts float32 gradients to float32 in
 * several backward functions); a real conversion goes to the stock kernel.
 */
export function sharedCast(args: KernelArgs): tf.TensorInfo {
  const x = args.inputs.x;
  if (x === undefined) throw new Error('engine: Cast called without input x');
  if (x.dtype !== args.attrs.dtype || x.dtype === 'string') return stockKernel('Cast')(args);
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}
