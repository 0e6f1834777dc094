/**
 * Our kernel sets in place of the stock wasm kernels: installing one set (replacing stock
 * kernels, adding the fused ops' kernels), putting the stock kernels back, and the stock kernel
 * of a name, which ours fall back to. The swap is kept in a process-global record
 * (../processGlobal) so that a notebook cell run twice (or a module evaluated twice by tslab)
 * never swaps twice and can always put the stock kernels back.
 */
import * as tf from '@tensorflow/tfjs';
import { processGlobal } from '../processGlobal';
import type { StockKernel } from './wasmBackend';

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

/** Kernel names of ours that add a kernel rather than replace a stock one (see ./vaeStepKernels). */
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
