/**
 * The native-BLAS engine: BatchMatMul and _FusedMatMul for the wasm backend computed by
 * the system BLAS (OpenBLAS on Linux, Accelerate on macOS) through the small N-API addon
 * in native/ (built by `node native/build.js`). Operands are read and the result written
 * directly in the wasm heap: the addon receives the heap as a Float32Array plus offsets.
 * Softplus (the Bernoulli log-likelihood's costliest elementwise op) is computed there too,
 * by a vectorised branch-free formula about 2 ulp from exact, and so are the fused Bernoulli
 * log-likelihood, its gradient and the ReLU gradient (./vaeStepKernels.ts).
 *
 * Threads: OpenBLAS reads OPENBLAS_NUM_THREADS once, when the library is loaded, so it is
 * set (to 1, unless the user set it) before the addon is required. One thread because the
 * layers here are small (hundreds of columns): OpenBLAS's worker threads would busy-wait
 * between the many short GEMMs of a training step and compete with Node's own threads and
 * anything else on the machine (and Debian's pthread OpenBLAS warns about, and can hang
 * with, several threaded runtimes in one process). PyTorch in the benchmark runs with the
 * same single BLAS thread.
 */
import * as fs from 'fs';
import * as path from 'path';
import type * as tf from '@tensorflow/tfjs';
import { projectRoot } from '../../paths';
import { floatIndex, KernelArgs, matMulCall, product, StockKernel } from './wasmBackend';
import { stockKernel } from './kernelSets';
import { leadingAxesSum } from './leadingAxesSum';
import { fastFusedMatMul, sharedCast, sharedIdentity } from './wasmFast';
import { VaeStepAddon, vaeStepKernels } from './vaeStepKernels';

/** The addon's exports (see native/src/elbo_blas.cc). */
export interface BlasAddon extends VaeStepAddon {
  gemm(
    heap: Float32Array, batch: number, M: number, N: number, K: number,
    transA: boolean, transB: boolean,
    aOffset: number, aBatchStride: number, bOffset: number, bBatchStride: number, cOffset: number,
    biasOffset: number, biasSize: number, activation: number,
  ): void;
  softplus(heap: Float32Array, xOffset: number, outOffset: number, n: number): void;
  info(): string;
}

/** Where native/build.js puts the addon. */
export function nativeAddonPath(root: string = projectRoot()): string {
  return path.join(root, 'native', 'build', 'Release', 'elbo_blas.node');
}

/**
 * Load the addon from `addonPath`. Throws an Error saying why when it is missing or fails
 * to load (missing shared library, wrong architecture, ...); the engine selection catches it.
 */
export function loadBlasAddon(addonPath: string = nativeAddonPath()): BlasAddon {
  if (!fs.existsSync(addonPath)) {
    throw new Error(`not built (no ${path.relative(process.cwd(), addonPath) || addonPath}; run: node native/build.js)`);
  }
  if (process.env.OPENBLAS_NUM_THREADS === undefined) process.env.OPENBLAS_NUM_THREADS = '1';
  // A computed require so bundlers and tslab leave it alone; the addon is optional.
  const nodeRequire: NodeRequire = require;
  const mod = nodeRequire(addonPath) as Partial<BlasAddon>;
  const functions = ['gemm', 'softplus', 'bernoulliNll', 'bernoulliNllGrad', 'reluBackward', 'info'] as const;
  const missing = functions.filter((name) => typeof mod[name] !== 'function');
  if (missing.length > 0) {
    throw new Error(`${addonPath} is not the current ELBO Lab BLAS addon (${missing.join('/')} missing; run: node native/build.js)`);
  }
  return mod as BlasAddon;
}

const ACTIVATION_CODES: Record<string, number> = { linear: 0, relu: 1, relu6: 2 };

/**
 * out = op(a)·op(b) (+ bias) (activation) by BLAS, or null when this case is not ours
 * (non-float, unsupported broadcast, activation BLAS cannot fuse) and another kernel runs.
 */
function blasMatMul(addon: BlasAddon, args: KernelArgs, bias: tf.TensorInfo | undefined, activation: string): tf.TensorInfo | null {
  const { a, b, transposeA, transposeB, plan } = matMulCall(args);
  const backend = args.backend;
  const act = ACTIVATION_CODES[activation];
  if (plan === null || act === undefined || a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  let biasSize = 0;
  if (bias !== undefined) {
    biasSize = product(bias.shape);
    if (bias.dtype !== 'float32' || bias.shape.length > 1 || (biasSize !== 1 && biasSize !== plan.N)) return null;
  }
  const { M, N, K, batchA, batchB, batch } = plan;
  const out = backend.makeOutput(plan.outShape, 'float32');
  if (batch * M * N === 0) return out;
  // Read HEAPF32 after makeOutput: an allocation may grow (and replace) the heap.
  addon.gemm(
    backend.wasm.HEAPF32, batch, M, N, K, transposeA, transposeB,
    floatIndex(backend, a), batchA === 1 ? 0 : M * K,
    floatIndex(backend, b), batchB === 1 ? 0 : K * N,
    floatIndex(backend, out),
    bias === undefined ? 0 : floatIndex(backend, bias), biasSize, act,
  );
  return out;
}

/** The kernels of the native-BLAS engine, by kernel name, bound to a loaded addon. */
export function nativeBlasKernels(addon: BlasAddon): Record<string, StockKernel> {
  const batchMatMul = (args: KernelArgs): tf.TensorInfo =>
    blasMatMul(addon, args, undefined, 'linear') ?? stockKernel('BatchMatMul')(args);
  const fusedMatMul = (args: KernelArgs): tf.TensorInfo => {
    const activation = typeof args.attrs.activation === 'string' ? args.attrs.activation : 'linear';
    const hasPrelu = args.inputs.preluActivationWeights !== undefined && args.inputs.preluActivationWeights !== null;
    const out = hasPrelu ? null : blasMatMul(addon, args, args.inputs.bias ?? undefined, activation);
    return out ?? fastFusedMatMul(args);
  };
  const softplus = (args: KernelArgs): tf.TensorInfo => {
    const x = args.inputs.x;
    if (x === undefined || x.dtype !== 'float32') return stockKernel('Softplus')(args);
    const out = args.backend.makeOutput(x.shape, 'float32');
    const n = product(x.shape);
    if (n > 0) addon.softplus(args.backend.wasm.HEAPF32, floatIndex(args.backend, x), floatIndex(args.backend, out), n);
    return out;
  };
  return {
    BatchMatMul: batchMatMul, _FusedMatMul: fusedMatMul, Identity: sharedIdentity, Cast: sharedCast, Softplus: softplus,
    Sum: leadingAxesSum, ...vaeStepKernels(addon),
  };
}
