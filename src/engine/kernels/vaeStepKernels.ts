/**
 * Kernels of the fused VAE-step ops (../ops/vaeStep.ts) for the wasm backend. Each replaces a
 * chain of stock kernels (and, in training, the tape bookkeeping and saved-tensor clones of
 * every link) by one pass over the data:
 *   ElboLabDense            y = act(x·W + b), by the engine's own _FusedMatMul (GEMM + epilogue);
 *   ElboLabReluBackward     dy where y > 0, else 0;
 *   ElboLabBernoulliNll     per-row Σ softplus(l) − x·l       (native addon only: needs SIMD exp/log);
 *   ElboLabBernoulliNllGrad dy_r·(σ(l) − x)                   (native addon only);
 *   ElboLabGaussianSample   z = μ + exp(½ log σ²)·ε;
 *   ElboLabGaussianKl       per-row ½ Σ (μ² + σ² − log σ² − 1);
 *   ElboLabGaussianGrad     the small gradients of the two above (attr `part`).
 * The Gaussian ones act on [batch, latent] tensors (thousands of numbers), where a JS loop
 * over the heap costs less than one kernel launch.
 */
import * as tf from '@tensorflow/tfjs';
import { floatIndex, KernelArgs, product, StockKernel, view } from './wasmBackend';

export const DENSE_KERNEL = 'ElboLabDense';
export const RELU_BACKWARD_KERNEL = 'ElboLabReluBackward';
export const BERNOULLI_NLL_KERNEL = 'ElboLabBernoulliNll';
export const BERNOULLI_NLL_GRAD_KERNEL = 'ElboLabBernoulliNllGrad';
export const GAUSSIAN_SAMPLE_KERNEL = 'ElboLabGaussianSample';
export const GAUSSIAN_KL_KERNEL = 'ElboLabGaussianKl';
export const GAUSSIAN_GRAD_KERNEL = 'ElboLabGaussianGrad';

/** The addon functions the native versions use (see native/src/elbo_blas.cc). */
export interface VaeStepAddon {
  bernoulliNll(heap: Float32Array, logits: number, x: number, out: number, rows: number, cols: number): void;
  bernoulliNllGrad(heap: Float32Array, logits: number, x: number, dy: number, out: number, rows: number, cols: number): void;
  reluBackward(heap: Float32Array, y: number, dy: number, out: number, n: number): void;
}

function input(args: KernelArgs, name: string): tf.TensorInfo {
  const t = args.inputs[name];
  if (t === undefined || t === null) throw new Error(`engine: kernel called without input ${name}`);
  return t;
}

/** y = act(x·W + b) by the wasm backend's _FusedMatMul as registered now (ours in a fast set). */
function dense(args: KernelArgs): tf.TensorInfo {
  const x = input(args, 'x');
  const weight = input(args, 'weight');
  const bias = input(args, 'bias');
  const [rows, inner] = x.shape;
  const cols = weight.shape[1];
  const fused = tf.getKernel('_FusedMatMul', 'wasm');
  if (fused === undefined) throw new Error('engine: the wasm backend has no _FusedMatMul kernel');
  const out = (fused.kernelFunc as unknown as StockKernel)({
    inputs: { a: view(x, [1, rows, inner]), b: view(weight, [1, inner, cols]), bias },
    backend: args.backend,
    attrs: { transposeA: false, transposeB: false, activation: args.attrs.activation, leakyreluAlpha: 0 },
  });
  return view(out, [rows, cols]);
}

function reluBackwardJs(args: KernelArgs): tf.TensorInfo {
  const y = input(args, 'y');
  const dy = input(args, 'dy');
  const backend = args.backend;
  const out = backend.makeOutput(y.shape, 'float32');
  const h = backend.wasm.HEAPF32;
  const [y0, d0, o0] = [floatIndex(backend, y), floatIndex(backend, dy), floatIndex(backend, out)];
  const n = product(y.shape);
  for (let i = 0; i < n; i++) {
    const v = h[y0 + i];
    h[o0 + i] = v > 0 ? h[d0 + i] : v === v ? 0 : v; // NaN passes through, as tfjs's step does
  }
  return out;
}

function gaussianSample(args: KernelArgs): tf.TensorInfo {
  const mean = input(args, 'mean');
  const logVariance = input(args, 'logVariance');
  const noise = input(args, 'noise');
  const backend = args.backend;
  const out = backend.makeOutput(mean.shape, 'float32');
  const h = backend.wasm.HEAPF32;
  const [m0, l0, e0, o0] = [floatIndex(backend, mean), floatIndex(backend, logVariance), floatIndex(backend, noise), floatIndex(backend, out)];
  const n = product(mean.shape);
  for (let i = 0; i < n; i++) h[o0 + i] = h[m0 + i] + Math.exp(0.5 * h[l0 + i]) * h[e0 + i];
  return out;
}

function gaussianKl(args: KernelArgs): tf.TensorInfo {
  const mean = input(args, 'mean');
  const logVariance = input(args, 'logVariance');
  const backend = args.backend;
  const [rows, cols] = mean.shape;
  const out = backend.makeOutput([rows], 'float32');
  const h = backend.wasm.HEAPF32;
  const [m0, l0, o0] = [floatIndex(backend, mean), floatIndex(backend, logVariance), floatIndex(backend, out)];
  for (let r = 0; r < rows; r++) {
    let total = 0;
    for (let c = r * cols; c < (r + 1) * cols; c++) {
      const m = h[m0 + c];
      const lv = h[l0 + c];
      total += m * m + Math.exp(lv) - lv - 1;
    }
    h[o0 + r] = 0.5 * total;
  }
  return out;
}

/**
 * part 'sampleLogVariance': ½·dz·exp(½ log σ²)·ε     (∂z/∂log σ² times dz)
 * part 'sampleNoise':       dz·exp(½ log σ²)          (∂z/∂ε times dz)
 * part 'klMean':            dy_r·μ                    (∂KL_r/∂μ times dy)
 * part 'klLogVariance':     ½·dy_r·(σ² − 1)           (∂KL_r/∂log σ² times dy)
 */
function gaussianGrad(args: KernelArgs): tf.TensorInfo {
  const part = args.attrs.part;
  const dy = input(args, 'dy');
  const backend = args.backend;
  const h = backend.wasm.HEAPF32;
  if (part === 'sampleLogVariance' || part === 'sampleNoise') {
    const logVariance = input(args, 'logVariance');
    const noise = part === 'sampleLogVariance' ? input(args, 'noise') : null;
    const out = backend.makeOutput(logVariance.shape, 'float32');
    const [d0, l0, o0] = [floatIndex(backend, dy), floatIndex(backend, logVariance), floatIndex(backend, out)];
    const n = product(logVariance.shape);
    if (noise === null) {
      for (let i = 0; i < n; i++) h[o0 + i] = h[d0 + i] * Math.exp(0.5 * h[l0 + i]);
    } else {
      const e0 = floatIndex(backend, noise);
      for (let i = 0; i < n; i++) h[o0 + i] = 0.5 * h[d0 + i] * Math.exp(0.5 * h[l0 + i]) * h[e0 + i];
    }
    return out;
  }
  if (part === 'klMean' || part === 'klLogVariance') {
    const x = input(args, part === 'klMean' ? 'mean' : 'logVariance');
    const [rows, cols] = x.shape;
    const out = backend.makeOutput(x.shape, 'float32');
    const [d0, x0, o0] = [floatIndex(backend, dy), floatIndex(backend, x), floatIndex(backend, out)];
    for (let r = 0; r < rows; r++) {
      const g = h[d0 + r];
      for (let c = r * cols; c < (r + 1) * cols; c++) {
        h[o0 + c] = part === 'klMean' ? g * h[x0 + c] : 0.5 * g * (Math.exp(h[x0 + c]) - 1);
      }
    }
    return out;
  }
  throw new Error(`engine: ${GAUSSIAN_GRAD_KERNEL} got an unknown part ${String(part)}`);
}

function bernoulliNllNative(addon: VaeStepAddon): StockKernel {
  return (args) => {
    const logits = input(args, 'logits');
    const x = input(args, 'x');
    const backend = args.backend;
    const [rows, cols] = logits.shape;
    const out = backend.makeOutput([rows], 'float32');
    // HEAPF32 is read after makeOutput: an allocation may grow (and replace) the heap.
    addon.bernoulliNll(backend.wasm.HEAPF32, floatIndex(backend, logits), floatIndex(backend, x), floatIndex(backend, out), rows, cols);
    return out;
  };
}

function bernoulliNllGradNative(addon: VaeStepAddon): StockKernel {
  return (args) => {
    const logits = input(args, 'logits');
    const x = input(args, 'x');
    const dy = input(args, 'dy');
    const backend = args.backend;
    const [rows, cols] = logits.shape;
    const out = backend.makeOutput(logits.shape, 'float32');
    addon.bernoulliNllGrad(backend.wasm.HEAPF32, floatIndex(backend, logits), floatIndex(backend, x), floatIndex(backend, dy), floatIndex(backend, out), rows, cols);
    return out;
  };
}

function reluBackwardNative(addon: VaeStepAddon): StockKernel {
  return (args) => {
    const y = input(args, 'y');
    const dy = input(args, 'dy');
    const backend = args.backend;
    const out = backend.makeOutput(y.shape, 'float32');
    addon.reluBackward(backend.wasm.HEAPF32, floatIndex(backend, y), floatIndex(backend, dy), floatIndex(backend, out), product(y.shape));
    return out;
  };
}

/**
 * The fused ops' kernels for a fast wasm kernel set: with the native addon, its vectorised
 * Bernoulli and ReLU-gradient loops too; without, the Bernoulli op keeps its composite form
 * (softplus, product, sum), whose softplus is already the engine's SIMD kernel.
 */
export function vaeStepKernels(addon?: VaeStepAddon): Record<string, StockKernel> {
  const kernels: Record<string, StockKernel> = {
    [DENSE_KERNEL]: dense,
    [RELU_BACKWARD_KERNEL]: reluBackwardJs,
    [GAUSSIAN_SAMPLE_KERNEL]: gaussianSample,
    [GAUSSIAN_KL_KERNEL]: gaussianKl,
    [GAUSSIAN_GRAD_KERNEL]: gaussianGrad,
  };
  if (addon !== undefined) {
    kernels[RELU_BACKWARD_KERNEL] = reluBackwardNative(addon);
    kernels[BERNOULLI_NLL_KERNEL] = bernoulliNllNative(addon);
    kernels[BERNOULLI_NLL_GRAD_KERNEL] = bernoulliNllGradNative(addon);
  }
  return kernels;
}
