/**
 * Adam with the whole per-variable update in one kernel on the wasm engines.
 *
 * tf.train.adam updates each variable with about a dozen elementwise kernels (two moment
 * updates, two bias corrections, sqrt, add, div, mul, add, three assigns), each a full pass
 * over the parameters plus a kernel launch; on the wasm backend that costs more per step than
 * the dense layers' matrix products of the reference VAE. Here one kernel reads value,
 * gradient and both moments once and writes the three new tensors, with the same arithmetic
 * as tfjs's AdamOptimizer:
 *   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,
 *   θ ← θ − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε).
 * The optimizer is a subclass of tf.AdamOptimizer (same state, weights, serialisation) and
 * uses the stock update on any backend without the fused kernel (cpu, tfjs-node). On wasm the
 * update is written into the variables' own memory when nothing else shares it (adamInPlace).
 */
import * as tf from '@tensorflow/tfjs';
import { floatIndex, KernelArgs, product, WasmBackendLike } from './kernels/shared';
import { simdFor } from './kernels/wasmSimd';

export const ADAM_KERNEL = 'ElboLabAdamStep';

interface AdamAttrs {
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
  const simd = simdFor(backend.wasm.asm?.memory)?.adam ?? null;
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
function adamInPlace(value: tf.Variable, m: tf.Variable, v: tf.Variable, gradient: tf.Tensor, attrs: AdamAttrs): boolean {
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
export function registerFusedAdamKernel(): void {
  if (tf.getKernel(ADAM_KERNEL, 'wasm') !== undefined) return;
  tf.registerKernel({ kernelName: ADAM_KERNEL, backendName: 'wasm', kernelFunc: adamStepKernel as unknown as tf.KernelFunc });
}

interface AdamState {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
}

/** tf.AdamOptimizer whose update is one fused kernel per variable where the backend has it. */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    if (tf.getKernel(ADAM_KERNEL, tf.getBackend()) === undefined) {
      super.applyGradients(variableGradients);
      return;
    }
    const state = this as unknown as AdamState;
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    const oneMinusAccBeta1 = 1 - state.accBeta1.dataSync()[0];
    const oneMinusAccBeta2 = 1 - state.accBeta2.dataSync()[0];
    const attrs = {
      learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon,
      oneMinusAccBeta1, oneMinusAccBeta2,
    };
    names.forEach((name, i) => {
      const value = tf.engine().registeredVariables[name];
      const gradient = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
      if (gradient === undefined || gradient === null) return;
      const moment = (list: AdamState['accumulatedFirstMoment'], suffix: string): tf.Variable => {
        let slot = list[i];
        if (slot === undefined || slot === null) {
          slot = { originalName: `${name}/${suffix}`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
          list[i] = slot;
        }
        return slot.variable;
      };
      const m = moment(state.accumulatedFirstMoment, 'm');
      const v = moment(state.accumulatedSecondMoment, 'v');
      if (adamInPlace(value, m, v, gradient, attrs)) return;
      const outs = tf.engine().runKernel(ADAM_KERNEL, { value, m, v, gradient }, attrs) as tf.Tensor[];
      value.assign(outs[0]);
      m.assign(outs[1]);
      v.assign(outs[2]);
      tf.dispose(outs);
    });
    tf.tidy(() => {
      state.accBeta1.assign(tf.mul(state.accBeta1, this.beta1));
      state.accBeta2.assign(tf.mul(state.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }
}

/**
 * Adam for ELBO Lab trainers: same arguments and results as tf.train.adam, faster on the
 * wasm engines. Defaults as tf.train.adam except epsilon, which defaults to 1e-8 (PyTorch's)
 * rather than the backend's float epsilon.
 */
export function createAdam(learningRate = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8): FusedAdamOptimizer {
  const fn = 'createAdam';
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) throw new RangeError(`${fn}: learningRate must be a positive number, got ${learningRate}`);
  if (!(beta1 >= 0 && beta1 < 1)) throw new RangeError(`${fn}: beta1 must be in [0, 1), got ${beta1}`);
  if (!(beta2 >= 0 && beta2 < 1)) throw new RangeError(`${fn}: beta2 must be in [0, 1), got ${beta2}`);
  if (!(epsilon > 0) || !Number.isFinite(epsilon)) throw new RangeError(`${fn}: epsilon must be a positive number, got ${epsilon}`);
  registerFusedAdamKernel();
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon);
}
