/**
 * The Adam step of ../ops/adam.ts as one kernel for the wasm backend (ElboLabAdamStep): reads
 * value, gradient and both moments once and writes the three new tensors, four floats at a time
 * by the WebAssembly SIMD function of ./wasmElementwise (a scalar loop for the rest, or for all
 * where SIMD is missing), with the same arithmetic as tfjs's AdamOptimizer; and the same update
 * written into the variables' own memory when nothing else shares it (adamInPlace).
 */
import * as tf from '@tensorflow/tfjs';
import { floatIndex, KernelArgs, product, WasmBackendLike } from './wasmBackend';
import { elementwiseFor } from './wasmElementwise';

export const ADAM_KERNEL = 'ElboLabAdamStep';

/** The Adam step's attributes: the hyperparameters and the bias corrections of this step. */
export interface AdamAttrs {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  oneMinusAccBeta1: number;
  oneMinusAccBeta2: number;
}

/**
 * The update of n parameters at float indices w0, m0, v0, g0 of the wasm heap into wo, mo, vo
 * (which may be w0, m0, v0 themselves: every element is read before it is written).
 */
function adamUpdate(
  backend: WasmBackendLike, n: number, a: AdamAttrs,
  [w0, m0, v0, g0, wo, mo, vo]: number[],
): void {
  const h = backend.wasm.HEAPF32;
  const b1 = a.beta1;
  const b2 = a.beta2;
  const alpha = a.learningRate / a.oneMinusAccBeta1;
  const s = 1 / Math.sqrt(a.oneMinusAccBeta2);
  const eps = a.epsilon;
  const simd = elementwiseFor(backend.wasm.asm?.memory)?.adam ?? null;
  let done = 0;
  if (simd !== null) {
    done = n - (n % 4);
    simd(4 * w0, 4 * m0, 4 * v0, 4 * g0, 4 * wo, 4 * mo, 4 * vo, done, b1, 1 - b1, b2, 1 - b2, alpha, s, eps);
  }
  // Scalar loop: the last n mod 4 parameters, or all of them without WebAssembly SIMD.
  for (let i = done; i < n; i++) {
    const g = h[g0 + i];
    const mi = Math.fround(b1 * h[m0 + i] + (1 - b1) * g);
    const vi = Math.fround(b2 * h[v0 + i] + (1 - b2) * g * g);
    h[mo + i] = mi;
    h[vo + i] = vi;
    h[wo + i] = h[w0 + i] - (alpha * mi) / (Math.sqrt(vi) * s + eps);
  }
}

function adamStepKernel(args: KernelArgs): tf.TensorInfo[] {
  const { value, m, v, gradient } = args.inputs;
  if (value === undefined || m === undefined || v === undefined || gradient === undefined) {
    throw new Error(`${ADAM_KERNEL}: inputs value, m, v and gradient are required`);
  }
  const n = product(value.shape);
  const backend = args.backend;
  const outValue = backend.makeOutput(value.shape, 'float32');
  const outM = backend.makeOutput(value.shape, 'float32');
  const outV = backend.makeOutput(value.shape, 'float32');
  // adamUpdate reads the heap view after these allocations (an allocation may replace it).
  const offsets = [value, m, v, gradient, outValue, outM, outV].map((t) => floatIndex(backend, t));
  adamUpdate(backend, n, args.attrs as unknown as AdamAttrs, offsets);
  return [outValue, outM, outV];
}

/**
 * The same update written into the variables' own memory, as TensorFlow's ResourceApplyAdam
 * does: no three new tensors per variable per step, a third less memory traffic. Only when the
 * wasm backend holds each of value, m and v under exactly one reference (the variable itself;
 * no clone or reshape of it is alive anywhere), so no other tensor can see the write. Returns
 * false, having done nothing, otherwise.
 */
export function adamInPlace(value: tf.Variable, m: tf.Variable, v: tf.Variable, gradient: tf.Tensor, attrs: AdamAttrs): boolean {
  if (tf.getBackend() !== 'wasm' || gradient.dtype !== 'float32' || value.dtype !== 'float32') return false;
  const backend = tf.backend() as unknown as WasmBackendLike & { refCount?(dataId: object): number };
  if (typeof backend.refCount !== 'function') return false;
  const refCount = backend.refCount.bind(backend);
  if (![value, m, v].every((t) => refCount(t.dataId) === 1)) return false;
  const [w0, m0, v0, g0] = [value, m, v, gradient].map((t) => floatIndex(backend, t));
  adamUpdate(backend, value.size, attrs, [w0, m0, v0, g0, w0, m0, v0]);
  return true;
}

/** Registers the fused Adam kernel for the wasm backend (once per process). */
export function registerAdamStepKernel(): void {
  if (tf.getKernel(ADAM_KERNEL, 'wasm') !== undefined) return;
  tf.registerKernel({ kernelName: ADAM_KERNEL, backendName: 'wasm', kernelFunc: adamStepKernel as unknown as tf.KernelFunc });
}
