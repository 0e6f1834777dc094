/**
 * Fused training ops: the pieces of a VAE training step, each one kernel forward and one
 * backward where the engine has the kernel (the fast wasm engines: ../kernels/vaeStepKernels.ts),
 * and the same function composed of stock tfjs ops everywhere else (cpu, tfjs-node, WebGPU,
 * stock wasm). Values and gradients agree to float rounding (test/engine/vaeStep.test.ts).
 *
 * Why: a step of the reference VAE ran ~165 kernels, most of them elementwise on small
 * tensors, each with tfjs's bookkeeping (tape record, clones of saved tensors, a backward
 * function of several more kernels). The matrix products were already at BLAS speed; the rest
 * was this overhead.
 *
 *   dense(x, W, b, act)                y = act(x·W + b), act ∈ {linear, relu}
 *   bernoulliNegativeLogLikelihood     −log p_θ(x|z) = Σ_j softplus(l_j) − x_j·l_j per row (l: logits)
 *   gaussianSample                     z = μ + exp(½ log σ²) ⊙ ε   (reparameterisation)
 *   gaussianKlToStandardNormalRows     KL(N(μ, σ²) ‖ N(0, I)) = ½ Σ_u (μ_u² + σ_u² − log σ_u² − 1) per row
 */
import * as tf from '@tensorflow/tfjs';
import {
  BERNOULLI_NLL_GRAD_KERNEL, BERNOULLI_NLL_KERNEL, DENSE_KERNEL, GAUSSIAN_GRAD_KERNEL, GAUSSIAN_KL_KERNEL,
  GAUSSIAN_SAMPLE_KERNEL, RELU_BACKWARD_KERNEL,
} from '../kernels/vaeStepKernels';

export type DenseActivation = 'linear' | 'relu';

function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

function run(name: string, inputs: tf.NamedTensorMap, attrs: Record<string, unknown> = {}): tf.Tensor {
  return tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
}

function expectShape(fn: string, name: string, t: tf.Tensor, shape: number[]): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => shape[i] >= 0 && d !== shape[i])) {
    const want = shape.map((d) => (d < 0 ? '?' : String(d))).join(', ');
    throw new Error(`${fn}: ${name} must have shape [${want}], got [${t.shape.join(', ')}]`);
  }
  if (t.dtype !== 'float32') throw new Error(`${fn}: ${name} must be float32, got ${t.dtype}`);
}

/** dy where y > 0, else 0: the ReLU's gradient from its output y (NaN in y passes through). */
export function reluBackward(y: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  if (hasKernel(RELU_BACKWARD_KERNEL)) return run(RELU_BACKWARD_KERNEL, { y, dy });
  return tf.mul(dy, tf.step(y));
}

/**
 * A dense layer y = act(x·W + b): x [batch, in], weight [in, out], bias [out].
 * Gradients: g = dy (linear) or dy ⊙ 1[y > 0] (relu); ∂x = g·Wᵀ, ∂W = xᵀ·g, ∂b = Σ_batch g.
 */
export function dense(x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D, activation: DenseActivation = 'linear'): tf.Tensor2D {
  const fn = 'dense';
  expectShape(fn, 'x', x, [-1, -1]);
  expectShape(fn, 'weight', weight, [x.shape[1], -1]);
  expectShape(fn, 'bias', bias, [weight.shape[1]]);
  if (activation !== 'linear' && activation !== 'relu') throw new Error(`${fn}: activation must be 'linear' or 'relu', got ${String(activation)}`);
  if (hasKernel(DENSE_KERNEL)) return run(DENSE_KERNEL, { x, weight, bias }, { activation }) as tf.Tensor2D;
  // tfjs's own fused op: one kernel on backends that fuse (tfjs-node, WebGPU), split under a tape.
  return tf.fused.matMul({ a: x, b: weight, bias, activation }) as tf.Tensor2D;
}

/**
 * −log p_θ(x|z) for Bernoulli pixels with logits l, summed over each row:
 *   Σ_j softplus(l_j) − x_j·l_j  (= −Σ_j [x_j log σ(l_j) + (1 − x_j) log(1 − σ(l_j))]).
 * logits and x [batch, pixels] → [batch]. Gradient: ∂l = dy_r·(σ(l) − x), ∂x = −dy_r·l.
 * No range check on x here (a training step's hot path): callers validate data once.
 */
export function bernoulliNegativeLogLikelihood(logits: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor1D {
  const fn = 'bernoulliNegativeLogLikelihood';
  expectShape(fn, 'logits', logits, [-1, -1]);
  expectShape(fn, 'x', x, logits.shape);
  if (hasKernel(BERNOULLI_NLL_KERNEL)) return run(BERNOULLI_NLL_KERNEL, { logits, x }) as tf.Tensor1D;
  return tf.tidy(() => tf.sum(tf.sub(tf.softplus(logits), tf.mul(x, logits)), 1) as tf.Tensor1D);
}

/**
 * The reparameterised sample z = μ + exp(½ log σ²) ⊙ ε, all [batch, latent].
 * Gradients: ∂μ = dz, ∂log σ² = ½·dz ⊙ σ ⊙ ε, ∂ε = dz ⊙ σ.
 */
export function gaussianSample(mean: tf.Tensor2D, logVariance: tf.Tensor2D, noise: tf.Tensor2D): tf.Tensor2D {
  const fn = 'gaussianSample';
  expectShape(fn, 'mean', mean, [-1, -1]);
  expectShape(fn, 'logVariance', logVariance, mean.shape);
  expectShape(fn, 'noise', noise, mean.shape);
  if (hasKernel(GAUSSIAN_SAMPLE_KERNEL)) return run(GAUSSIAN_SAMPLE_KERNEL, { mean, logVariance, noise }) as tf.Tensor2D;
  return tf.tidy(() => tf.add(mean, tf.mul(tf.exp(tf.mul(logVariance, 0.5)), noise)) as tf.Tensor2D);
}

/**
 * KL(N(μ, diag σ²) ‖ N(0, I)) per row: ½ Σ_u (μ_u² + σ_u² − log σ_u² − 1); [batch, latent] → [batch].
 * Gradients: ∂μ = dy_r·μ, ∂log σ² = ½·dy_r·(σ² − 1).
 */
export function gaussianKlToStandardNormalRows(mean: tf.Tensor2D, logVariance: tf.Tensor2D): tf.Tensor1D {
  const fn = 'gaussianKlToStandardNormalRows';
  expectShape(fn, 'mean', mean, [-1, -1]);
  expectShape(fn, 'logVariance', logVariance, mean.shape);
  if (hasKernel(GAUSSIAN_KL_KERNEL)) return run(GAUSSIAN_KL_KERNEL, { mean, logVariance }) as tf.Tensor1D;
  return tf.tidy(() => tf.mul(tf.sum(tf.sub(tf.add(tf.square(mean), tf.exp(logVariance)), tf.add(logVariance, 1)), 1), 0.5) as tf.Tensor1D);
}

/** dy [batch] as a column [batch, 1], to scale the rows of a [batch, n] tensor. */
function column(dy: tf.Tensor): tf.Tensor {
  return tf.reshape(dy, [dy.shape[0], 1]);
}

function gaussianGrad(part: string, inputs: tf.NamedTensorMap, composite: () => tf.Tensor): tf.Tensor {
  return hasKernel(GAUSSIAN_GRAD_KERNEL) ? run(GAUSSIAN_GRAD_KERNEL, inputs, { part }) : composite();
}

const GRADIENTS: tf.GradConfig[] = [
  {
    kernelName: DENSE_KERNEL,
    inputsToSave: ['x', 'weight'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, weight, y] = saved;
      const g = (attrs as { activation?: string }).activation === 'relu' ? reluBackward(y, dy as tf.Tensor) : (dy as tf.Tensor);
      return {
        x: () => tf.matMul(g, weight, false, true),
        weight: () => tf.matMul(x, g, true, false),
        bias: () => tf.sum(g, 0),
      };
    },
  },
  {
    kernelName: BERNOULLI_NLL_KERNEL,
    inputsToSave: ['logits', 'x'],
    gradFunc: (dy, saved) => {
      const [logits, x] = saved;
      const d = dy as tf.Tensor;
      return {
        logits: () => (hasKernel(BERNOULLI_NLL_GRAD_KERNEL)
          ? run(BERNOULLI_NLL_GRAD_KERNEL, { logits, x, dy: d })
          : tf.mul(tf.sub(tf.sigmoid(logits), x), column(d))),
        x: () => tf.neg(tf.mul(logits, column(d))),
      };
    },
  },
  {
    kernelName: GAUSSIAN_SAMPLE_KERNEL,
    inputsToSave: ['logVariance', 'noise'],
    gradFunc: (dy, saved) => {
      const [logVariance, noise] = saved;
      const dz = dy as tf.Tensor;
      return {
        mean: () => tf.clone(dz),
        logVariance: () => gaussianGrad('sampleLogVariance', { dy: dz, logVariance, noise },
          () => tf.mul(tf.mul(dz, tf.mul(tf.exp(tf.mul(logVariance, 0.5)), noise)), 0.5)),
        noise: () => gaussianGrad('sampleNoise', { dy: dz, logVariance }, () => tf.mul(dz, tf.exp(tf.mul(logVariance, 0.5)))),
      };
    },
  },
  {
    kernelName: GAUSSIAN_KL_KERNEL,
    inputsToSave: ['mean', 'logVariance'],
    gradFunc: (dy, saved) => {
      const [mean, logVariance] = saved;
      const d = dy as tf.Tensor;
      return {
        mean: () => gaussianGrad('klMean', { dy: d, mean }, () => tf.mul(mean, column(d))),
        logVariance: () => gaussianGrad('klLogVariance', { dy: d, logVariance },
          () => tf.mul(tf.mul(tf.sub(tf.exp(logVariance), 1), column(d)), 0.5)),
      };
    },
  },
];

// Gradients are registered by kernel name, once per process (tslab may evaluate this module
// again; tfjs warns on a second registration).
for (const config of GRADIENTS) {
  if (tf.getGradient(config.kernelName) === undefined) tf.registerGradient(config);
}
