/**
 * The reference VAE of the benchmark, written out in tfjs ops (ELBO Lab's fused ones from
 * src/engine/ops/vaeStep, which fall back to stock ops on engines without their kernels) so the
 * benchmark measures the engine, not a particular trainer: encoder 784-400-(20 mean, 20 logVariance) with ReLU,
 * decoder 20-400-784 with ReLU then Bernoulli logits, Adam 1e-3, batches of 128. The same
 * layers, initial weights, data and batch order are handed to PyTorch (bench/torch_vae.py).
 *
 * Loss per batch = batch mean of the per-example negative ELBO
 *   −ELBO(x) = Σ_pixels [softplus(l) − x·l] + Σ_dims −½(1 + logσ² − μ² − σ²),
 * with z = μ + exp(½ logσ²)·ε, one ε per example.
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../src/random';
import { createAdam } from '../src/engine/ops/adam';
import { bernoulliNegativeLogLikelihood, dense as denseOp, gaussianKlToStandardNormalRows, gaussianSample } from '../src/engine/ops/vaeStep';

export const LAYERS = [
  { name: 'fc1', in: 784, out: 400 },
  { name: 'fc21', in: 400, out: 20 },
  { name: 'fc22', in: 400, out: 20 },
  { name: 'fc3', in: 20, out: 400 },
  { name: 'fc4', in: 400, out: 784 },
] as const;

export const LATENT = 20;
export const PIXELS = 784;

/** Initial weights as plain arrays (W row-major [in, out]; biases zero): the shared start. */
export function initialWeights(random: Random): Float32Array[] {
  return LAYERS.map((layer) => {
    // He-uniform before a ReLU layer's activation, Glorot-uniform for linear outputs.
    const relu = layer.name === 'fc1' || layer.name === 'fc3';
    const limit = relu ? Math.sqrt(6 / layer.in) : Math.sqrt(6 / (layer.in + layer.out));
    const w = random.uniforms(layer.in * layer.out);
    for (let i = 0; i < w.length; i++) w[i] = (2 * w[i] - 1) * limit;
    return w;
  });
}

export interface ReferenceVae {
  weights: tf.Variable[];
  biases: tf.Variable[];
  optimizer: tf.Optimizer;
}

export function createReferenceVae(init: Float32Array[]): ReferenceVae {
  const weights = LAYERS.map((l, i) => tf.variable(tf.tensor2d(init[i], [l.in, l.out]), true, `bench/${l.name}/w/${uid}`));
  const biases = LAYERS.map((l) => tf.variable(tf.zeros([l.out]), true, `bench/${l.name}/b/${uid}`));
  uid++;
  // epsilon 1e-8 as in torch.optim.Adam (tfjs would default to 1e-7).
  return { weights, biases, optimizer: process.env.ELBO_LAB_BENCH_STOCK_ADAM ? tf.train.adam(1e-3, 0.9, 0.999, 1e-8) : createAdam(1e-3) };
}
let uid = 0;

export function disposeReferenceVae(vae: ReferenceVae): void {
  tf.dispose([...vae.weights, ...vae.biases]);
  vae.optimizer.dispose();
}

function dense(vae: ReferenceVae, i: number, x: tf.Tensor2D, activation: 'relu' | 'linear'): tf.Tensor2D {
  return denseOp(x, vae.weights[i] as tf.Tensor2D, vae.biases[i] as tf.Tensor1D, activation);
}

/** Per-example negative ELBO (nats, summed over pixels and latent dimensions): [batch]. */
export function negativeElboPerExample(vae: ReferenceVae, x: tf.Tensor2D, noise: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const h = dense(vae, 0, x, 'relu');
    const mean = dense(vae, 1, h, 'linear');
    const logVariance = dense(vae, 2, h, 'linear');
    const z = gaussianSample(mean, logVariance, noise);
    const logits = dense(vae, 4, dense(vae, 3, z, 'relu'), 'linear');
    return tf.add(bernoulliNegativeLogLikelihood(logits, x), gaussianKlToStandardNormalRows(mean, logVariance)) as tf.Tensor1D;
  });
}

/**
 * Rows `order[start..end)` of `x` (count × 784) as a tensor. The rows are gathered in one
 * staging buffer reused across batches (tensor creation copies it into the backend), as a data
 * loader would, so a batch leaves no 400 KB array for the garbage collector.
 */
let staging = new Float32Array(0);
function batchTensor(x: Float32Array, order: Int32Array, start: number, end: number): tf.Tensor2D {
  const size = (end - start) * PIXELS;
  if (staging.length < size) staging = new Float32Array(size);
  const rows = staging.subarray(0, size);
  for (let r = start; r < end; r++) rows.set(x.subarray(order[r] * PIXELS, (order[r] + 1) * PIXELS), (r - start) * PIXELS);
  return tf.tensor2d(rows, [end - start, PIXELS]);
}

/**
 * One epoch of Adam over the examples in `order` (batches in that order; the last one may be
 * smaller). `maxBatches` limits the number of steps (for very slow engines). Returns the mean
 * training loss (reads one scalar per batch only at the end).
 */
export function trainEpoch(
  vae: ReferenceVae, x: Float32Array, order: Int32Array, batchSize: number, random: Random, maxBatches = Infinity,
): { meanLoss: number; batches: number } {
  const losses: tf.Scalar[] = [];
  const varList = [...vae.weights, ...vae.biases];
  for (let start = 0, b = 0; start < order.length && b < maxBatches; start += batchSize, b++) {
    const end = Math.min(start + batchSize, order.length);
    const xb = batchTensor(x, order, start, end);
    const noise = tf.tensor2d(random.normals((end - start) * LATENT), [end - start, LATENT]);
    const loss = vae.optimizer.minimize(() => tf.mean(negativeElboPerExample(vae, xb, noise)) as tf.Scalar, true, varList);
    tf.dispose([xb, noise]);
    if (loss !== null) losses.push(loss);
  }
  const values = losses.map((l) => l.dataSync()[0]);
  tf.dispose(losses);
  return { meanLoss: values.reduce((s, v) => s + v, 0) / Math.max(1, values.length), batches: values.length };
}

/** Held-out ELBO (nats per example, mean over examples and `draws` noise draws). */
export function heldOutElbo(vae: ReferenceVae, x: Float32Array, count: number, draws: number, random: Random): number {
  let total = 0;
  const batch = 500;
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    const xb = tf.tensor2d(x.subarray(start * PIXELS, (start + n) * PIXELS), [n, PIXELS]);
    for (let d = 0; d < draws; d++) {
      const noise = tf.tensor2d(random.normals(n * LATENT), [n, LATENT]);
      const s = tf.tidy(() => tf.sum(negativeElboPerExample(vae, xb, noise)));
      total -= s.dataSync()[0];
      tf.dispose([s, noise]);
    }
    xb.dispose();
  }
  return total / (count * draws);
}
