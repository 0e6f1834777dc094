/**
 * Helpers of notebook 06 (document §6, the summary): the exact gap of a linear-Gaussian VAE over
 * a data set, and training the encoder alone (the aggregate posterior's KL is in exact/kl.ts).
 */
import { Random } from '../random';
import type { Vae } from '../models/vae';
import type { InferenceModel } from '../objectives/types';
import { LinearGaussianModel } from '../exact/linearGaussian';
import { DataMatrix, checkDataMatrix } from '../data/matrix';
import { objectiveStep } from '../train/objective';
import { evaluatePerExample } from '../train/evaluation';
import { createAdam } from '../engine/adam';

/** The exact ELBO, log-evidence and gap of each example of a data set (linear-Gaussian decoder). */
export interface ExactGapOverData {
  /** log p_θ(x) per example (closed form). */
  logEvidence: Float64Array;
  /** ELBO(x) = E_q[log p_θ(x|z)] − KL(q_φ(z|x) ‖ p(z)) per example, closed form for the encoder's q. */
  elbo: Float64Array;
  /** KL(q_φ(z|x) ‖ p_θ(z|x)) per example, from the closed-form posterior. */
  klToPosterior: Float64Array;
  /** Means over examples of the three. */
  meanLogEvidence: number;
  meanElbo: number;
  meanKlToPosterior: number;
}

/**
 * For each row x of `data`: log p_θ(x), the ELBO of q_φ(z|x) = encoder.encode(x), and
 * KL(q_φ(z|x) ‖ p_θ(z|x)), all in closed form (float64) for the linear-Gaussian decoder `model`.
 * The gap identity of §3 says logEvidence − elbo = klToPosterior for every row.
 */
export function exactGapOverData(model: LinearGaussianModel, encoder: InferenceModel, data: DataMatrix): ExactGapOverData {
  const fn = 'exactGapOverData';
  if (!(model instanceof LinearGaussianModel)) throw new TypeError(`${fn}: model must be a LinearGaussianModel`);
  if (encoder === null || typeof encoder !== 'object' || typeof encoder.encode !== 'function') throw new TypeError(`${fn}: encoder must be an InferenceModel (with encode)`);
  checkDataMatrix(data, fn, 'data');
  if (data.features !== model.dataSize) throw new RangeError(`${fn}: data must have ${model.dataSize} features (the model's dataSize), got ${data.features}`);
  if (encoder.latentSize !== model.latentSize) throw new RangeError(`${fn}: encoder.latentSize must equal model.latentSize ${model.latentSize}, got ${encoder.latentSize}`);
  const n = data.count;
  const d = data.features;
  const l = model.latentSize;
  // one batch, as the whole set; the encoder's outputs as float64
  const terms = evaluatePerExample(encoder, data, { batchSize: n }, 'exactGapOverData');
  const means = terms.encoderMean;
  const logVariances = terms.encoderLogVariance;
  const logEvidence = new Float64Array(n);
  const elbo = new Float64Array(n);
  const klToPosterior = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = data.values.subarray(i * d, (i + 1) * d);
    const q = { mean: means.subarray(i * l, (i + 1) * l), logVariance: logVariances.subarray(i * l, (i + 1) * l) };
    logEvidence[i] = model.logMarginal(x);
    elbo[i] = model.elbo(x, q).elbo;
    klToPosterior[i] = model.klToPosterior(x, q);
  }
  const avg = (v: Float64Array): number => v.reduce((s, a) => s + a, 0) / n;
  return { logEvidence, elbo, klToPosterior, meanLogEvidence: avg(logEvidence), meanElbo: avg(elbo), meanKlToPosterior: avg(klToPosterior) };
}

export interface EncoderOnlyTrainingOptions {
  epochs: number;
  /** Examples per step (default 100). */
  batchSize?: number;
  /** Adam learning rate (default 1e-2). */
  learningRate?: number;
  /** Seeds shuffling and ε (default 0). */
  seed?: number;
  /** Called after each epoch (1-based), e.g. to record the exact gap. */
  onEpoch?: (epoch: number) => void;
}

/**
 * Maximises the ELBO over the encoder parameters φ only (the decoder θ stays exactly as it is):
 * Adam steps on the batch mean of −[log p_θ(x|z) − KL(q_φ(z|x) ‖ p(z))], z = μ + σ·ε, over
 * `model.encoderNetwork` alone. With θ fixed, log p_θ(x) is a constant, so every gain in the
 * ELBO is a fall of the gap KL(q_φ(z|x) ‖ p_θ(z|x)) (document §3). Data as given (no binarization).
 */
export async function trainEncoderOnly(model: Vae, data: DataMatrix, options: EncoderOnlyTrainingOptions): Promise<void> {
  const fn = 'trainEncoderOnly';
  if (model === null || typeof model !== 'object' || !model.encoderNetwork || typeof model.encoderNetwork.variables !== 'function') throw new TypeError(`${fn}: model must be a Vae`);
  checkDataMatrix(data, fn, 'data');
  if (data.features !== model.inputSize) throw new RangeError(`${fn}: data must have ${model.inputSize} features, got ${data.features}`);
  if (options === null || typeof options !== 'object') throw new TypeError(`${fn}: options must be {epochs, batchSize?, learningRate?, seed?}`);
  const { epochs } = options;
  if (!Number.isInteger(epochs) || epochs < 1) throw new RangeError(`${fn}: options.epochs must be an integer >= 1, got ${String(epochs)}`);
  const batchSize = options.batchSize ?? 100;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`${fn}: options.batchSize must be an integer >= 1, got ${String(batchSize)}`);
  const learningRate = options.learningRate ?? 1e-2;
  if (!(typeof learningRate === 'number' && learningRate > 0 && Number.isFinite(learningRate))) throw new RangeError(`${fn}: options.learningRate must be a finite number > 0, got ${String(learningRate)}`);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`${fn}: options.seed must be an integer in [0, 2^32), got ${String(seed)}`);
  const random = new Random(seed);
  const optimizer = createAdam(learningRate);
  const variables = model.encoderNetwork.variables();
  const n = data.count;
  const d = data.features;
  const latent = model.latentSize;
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const order = random.permutation(n);
      for (let start = 0; start < n; start += batchSize) {
        const rows = Math.min(batchSize, n - start);
        const xs = new Float32Array(rows * d);
        for (let i = 0; i < rows; i++) xs.set(data.values.subarray(order[start + i] * d, (order[start + i] + 1) * d), i * d);
        const noise = random.normals(rows * latent);
        const value = objectiveStep(model, optimizer, variables, xs, noise, rows);
        if (!Number.isFinite(value)) throw new RangeError(`${fn}: the loss became ${value} at epoch ${epoch}; try a smaller learningRate (now ${learningRate})`);
      }
      if (options.onEpoch) options.onEpoch(epoch);
    }
  } finally {
    optimizer.dispose();
  }
}
