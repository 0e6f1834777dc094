/**
 * Notebook 03 (document §3, the gap): measuring
 *   log p_θ(x) − ELBO = KL(q_φ(z|x) ‖ p_θ(z|x))
 * on a VAE with a 2-D latent, where quadrature gives log p_θ(x) and the true posterior;
 * optimising the encoder alone (θ fixed, so log p_θ(x) is constant and every nat the ELBO gains
 * is a nat of gap closed); and the importance-weighted bound L_k for many k from one pool of draws.
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../random';
import type { DiagonalGaussian } from '../distributions/gaussian';
import { binarizeValues } from '../data/binarize';
import { DataMatrix, checkDataMatrix } from '../data/matrix';
import { Vae } from '../models/vae';
import { objectiveStep } from '../train/objective';
import { Encoder, evaluatePerExample } from '../train/evaluation';
import { quadrature2d, QuadratureOptions, QuadratureResult } from '../exact/quadrature2d';
import { klToGridPosterior } from '../exact/kl';
import { logMeanExp } from '../objectives/monteCarlo';
import { meanAndStandardErrorOf, meanOfIndependentEstimates } from '../stats/index';
import { logWeightsOf, sampleJoint } from '../objectives/sampleJoint';
import type { GenerativeModel, InferenceModel } from '../objectives/types';

const LOG_2PI = Math.log(2 * Math.PI);

/** The gap of one x, by quadrature, with the error estimates behind it (nats). */
export interface QuadratureGap {
  /** log p_θ(x) on the posterior grid. */
  logMarginal: number;
  /** The ELBO of q as a grid expectation E_q[log p_θ(x,z) − log q_φ(z|x)]. */
  elbo: number;
  /**
   * KL(q ‖ p_θ(z|x)) as a divergence between two densities on q's grid: Σ_g w_g [log q(z_g|x) −
   * log p_θ(z_g|x)], w_g ∝ τ_g q(z_g|x), with the posterior density normalised by log p_θ(x).
   */
  klToPosterior: number;
  /** Stated quadrature error of logMarginal, of the ELBO, and of their difference. */
  logMarginalError: number;
  elboError: number;
  gapError: number;
}

/** Quadrature gap of one data row given the encoder's q for it (mean and logVariance, 2 numbers each). */
export function quadratureGap(decoder: GenerativeModel, x: ArrayLike<number>, q: { mean: ArrayLike<number>; logVariance: ArrayLike<number> }, options: Omit<QuadratureOptions, 'q'> = {}): QuadratureGap & { result: QuadratureResult } {
  const result = quadrature2d(decoder, x, { ...options, q });
  const expectations = result.q as NonNullable<QuadratureResult['q']>;
  const elboError = expectations.discretizationError.elbo + expectations.truncationError;
  const logMarginalError = result.errorEstimate.total;
  return {
    logMarginal: result.logMarginal,
    elbo: expectations.elbo,
    klToPosterior: klToGridPosterior(result),
    logMarginalError,
    elboError,
    gapError: logMarginalError + elboError,
    result,
  };
}

/** Per-example quadrature gaps of the rows of `data` under `model` (encoder gives q), plus their averages. */
export interface QuadratureGaps {
  perExample: QuadratureGap[];
  mean: { logMarginal: number; elbo: number; klToPosterior: number; gapError: number };
}

/** quadratureGap for each row of `data` (a VAE with a 2-D latent: its encoder gives q). */
export function quadratureGaps(model: GenerativeModel & InferenceModel, data: DataMatrix, options: Omit<QuadratureOptions, 'q'> = {}): QuadratureGaps {
  const fn = 'quadratureGaps';
  checkDataMatrix(data, fn, 'data');
  if (!model || typeof model.encode !== 'function' || typeof model.logLikelihood !== 'function') {
    throw new TypeError(`${fn}: model must be a VAE (encoder and decoder) with a 2-D latent`);
  }
  if (model.latentSize !== 2) throw new RangeError(`${fn}: model.latentSize must be 2, got ${model.latentSize}`);
  const q = encodeToArrays(model, data);
  const perExample: QuadratureGap[] = [];
  for (let i = 0; i < data.count; i++) {
    const row = data.values.subarray(i * data.features, (i + 1) * data.features);
    const { result: _result, ...gap } = quadratureGap(model, row, { mean: q.mean.subarray(2 * i, 2 * i + 2), logVariance: q.logVariance.subarray(2 * i, 2 * i + 2) }, options);
    perExample.push(gap);
  }
  const avg = (key: 'logMarginal' | 'elbo' | 'klToPosterior' | 'gapError'): number => perExample.reduce((s, g) => s + g[key], 0) / perExample.length;
  return { perExample, mean: { logMarginal: avg('logMarginal'), elbo: avg('elbo'), klToPosterior: avg('klToPosterior'), gapError: avg('gapError') } };
}

/** The encoder's q for every row, as plain float64 arrays [n·latent]. */
export function encodeToArrays(encoder: Encoder, data: DataMatrix): { mean: Float64Array; logVariance: Float64Array } {
  checkDataMatrix(data, 'encodeToArrays', 'data');
  const terms = evaluatePerExample(encoder, data, { batchSize: data.count }, 'encodeToArrays'); // one batch, as the whole set
  return { mean: terms.encoderMean, logVariance: terms.encoderLogVariance };
}

/**
 * A copy of `model` with the same decoder p_θ(x|z) and a freshly initialised encoder q_φ(z|x)
 * (weights from `random`). The caller disposes the copy.
 */
export function withFreshEncoder(model: Vae, random: Random): Vae {
  const fn = 'withFreshEncoder';
  if (!(model instanceof Vae) || model.isDisposed) throw new TypeError(`${fn}: model must be a live Vae`);
  if (!(random instanceof Random)) throw new TypeError(`${fn}: random must be a Random`);
  const fresh = new Vae(model.config, random);
  const encoderCount = fresh.encoderNetwork.variables().length;
  const weights = fresh.getWeights();
  const trained = model.getWeights();
  fresh.setWeights([...weights.slice(0, encoderCount), ...trained.slice(encoderCount)]);
  return fresh;
}

export interface EncoderOnlyOptions {
  /** Adam steps on the encoder's weights φ (θ stays fixed). */
  steps: number;
  /** Examples per step (default 128). */
  batchSize?: number;
  /** Adam learning rate (default 1e-3). */
  learningRate?: number;
  /** Drives batches, per-batch binarization and ε. */
  random: Random;
  /** After these step counts (0 = before the first step) onCheckpoint(step) is called. */
  checkpoints?: number[];
  onCheckpoint?: (step: number) => void;
}

/**
 * Maximises the ELBO over the encoder parameters φ only, with the decoder θ held fixed:
 *   φ ← Adam step on −(1/B) Σ_i [E_q log p_θ(x_i|z) − KL(q_φ(z|x_i) ‖ p(z))]  (one z per example).
 * With θ fixed, log p_θ(x) does not move, so ELBO(φ) = log p_θ(x) − KL(q_φ ‖ p_θ(z|x)) rises
 * exactly as the gap falls. Data in [0, 1] is binarized afresh for every batch (Bernoulli VAE).
 * Returns the loss (−ELBO batch mean) of every step.
 */
export function optimizeEncoderOnly(model: Vae, data: DataMatrix, options: EncoderOnlyOptions): Float64Array {
  const fn = 'optimizeEncoderOnly';
  if (!(model instanceof Vae) || model.isDisposed) throw new TypeError(`${fn}: model must be a live Vae`);
  checkDataMatrix(data, fn, 'data');
  if (data.features !== model.inputSize) throw new RangeError(`${fn}: data must have ${model.inputSize} features, got ${data.features}`);
  if (!options || !(options.random instanceof Random)) throw new TypeError(`${fn}: options.random must be a Random`);
  const { steps, random } = options;
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`${fn}: options.steps must be an integer >= 0, got ${steps}`);
  const batchSize = options.batchSize ?? 128;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > data.count) {
    throw new RangeError(`${fn}: options.batchSize must be an integer in [1, ${data.count}], got ${batchSize}`);
  }
  const learningRate = options.learningRate ?? 1e-3;
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) throw new RangeError(`${fn}: options.learningRate must be a finite number > 0, got ${learningRate}`);
  const checkpoints = new Set(options.checkpoints ?? []);
  for (const c of checkpoints) if (!Number.isInteger(c) || c < 0 || c > steps) throw new RangeError(`${fn}: options.checkpoints must be integers in [0, ${steps}], got ${c}`);
  if (checkpoints.size > 0 && typeof options.onCheckpoint !== 'function') throw new TypeError(`${fn}: options.onCheckpoint must be a function when checkpoints are given`);
  if (model.likelihood === 'bernoulli') {
    for (const v of data.values) if (!(v >= 0 && v <= 1)) throw new RangeError(`${fn}: data values must lie in [0, 1] for a Bernoulli decoder, got ${v}`);
  }

  const encoderVariables = model.encoderNetwork.variables();
  const optimizer = tf.train.adam(learningRate, 0.9, 0.999, 1e-8);
  const losses = new Float64Array(steps);
  const d = data.features;
  let order = random.permutation(data.count);
  let cursor = 0;
  try {
    if (checkpoints.has(0)) options.onCheckpoint!(0);
    for (let step = 1; step <= steps; step++) {
      if (cursor + batchSize > data.count) { order = random.permutation(data.count); cursor = 0; }
      const rows = new Float32Array(batchSize * d);
      for (let i = 0; i < batchSize; i++) rows.set(data.values.subarray(order[cursor + i] * d, (order[cursor + i] + 1) * d), i * d);
      cursor += batchSize;
      const xs = model.likelihood === 'bernoulli' ? binarizeValues(rows, random) : rows;
      const noise = random.normals(batchSize * model.latentSize);
      losses[step - 1] = objectiveStep(model, optimizer, encoderVariables, xs, noise, batchSize);
      if (!Number.isFinite(losses[step - 1])) throw new RangeError(`${fn}: the loss became ${losses[step - 1]} at step ${step}; try a smaller learningRate`);
      if (checkpoints.has(step)) options.onCheckpoint!(step);
    }
  } finally {
    optimizer.dispose();
  }
  return losses;
}

/** L_k of one example for several k, from one pool of draws (see importanceWeightedCurve). */
export interface ImportanceWeightedPoint {
  k: number;
  /** Disjoint groups of k draws the pool holds: the replicates behind the mean. */
  replicates: number;
  /** Batch mean over examples of L_k (nats). */
  value: number;
  /** Its standard error: √(Σ_i SE_i²) / n, SE_i over each example's replicates. */
  standardError: number;
  /** Per example: the mean over replicates and its SE. */
  perExample: Float64Array;
  perExampleStandardError: Float64Array;
}

/**
 * The importance-weighted bound L_k = E[log (1/k) Σ_{s≤k} p_θ(x, z_s)/q_φ(z_s|x)] for every k
 * in `ks`, from ONE pool of `pool` draws z ~ q per example: for each k the pool is cut into
 * ⌊pool/k⌋ disjoint groups of k consecutive draws, each an independent draw of the inner
 * log-mean-exp, so L_k and its standard error come from those replicates (needs ⌊pool/k⌋ ≥ 2).
 * Estimates for different k share draws (they are correlated, not independent).
 */
export function importanceWeightedCurve(
  encoder: InferenceModel | DiagonalGaussian, decoder: GenerativeModel, x: tf.Tensor2D,
  random: Random, ks: number[], pool: number,
): ImportanceWeightedPoint[] {
  const fn = 'importanceWeightedCurve';
  if (!Array.isArray(ks) || ks.length === 0) throw new TypeError(`${fn}: ks must be a non-empty array of integers >= 1`);
  if (!Number.isInteger(pool) || pool < 2) throw new RangeError(`${fn}: pool must be an integer >= 2, got ${pool}`);
  for (const k of ks) {
    if (!Number.isInteger(k) || k < 1 || Math.floor(pool / k) < 2) {
      throw new RangeError(`${fn}: every k must be an integer in [1, pool/2 = ${Math.floor(pool / 2)}] (two replicates at least), got ${k}`);
    }
  }
  const samples = sampleJoint(fn, encoder, decoder, x, random, pool);
  const logWeights = logWeightsOf(samples);
  const n = samples.n;
  return ks.map((k) => {
    const replicates = Math.floor(pool / k);
    const perExample = new Float64Array(n);
    const perExampleStandardError = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const values = new Float64Array(replicates);
      for (let r = 0; r < replicates; r++) values[r] = logMeanExp(logWeights, i * pool + r * k, k);
      const e = meanAndStandardErrorOf(values, 0, replicates);
      perExample[i] = e.mean;
      perExampleStandardError[i] = e.standardError;
    }
    const batch = meanOfIndependentEstimates(perExample, perExampleStandardError);
    return { k, replicates, value: batch.mean, standardError: batch.standardError, perExample, perExampleStandardError };
  });
}

/**
 * Plotly traces of one quadrature result for a subplot: the true posterior p_θ(z|x) as a heatmap
 * on its grid (every `stride`-th node, density rounded to 4 significant digits) and the contours
 * of q's density on the same nodes. `axes` names the subplot's axes (e.g. {x: 'x2', y: 'y2'}).
 */
export function posteriorHeatmapTraces(
  result: QuadratureResult, q: { mean: ArrayLike<number>; logVariance: ArrayLike<number> },
  axes: { x: string; y: string } = { x: 'x', y: 'y' }, stride = 2, showScale = false,
): Array<Record<string, unknown>> {
  const fn = 'posteriorHeatmapTraces';
  if (!result || !result.grid || !(result.logPosterior instanceof Float64Array)) throw new TypeError(`${fn}: result must come from quadrature2d`);
  if (!Number.isInteger(stride) || stride < 1) throw new RangeError(`${fn}: stride must be an integer >= 1, got ${stride}`);
  const { axis0, axis1 } = result.grid;
  const i0 = Array.from({ length: Math.ceil(axis0.length / stride) }, (_, k) => k * stride);
  const i1 = Array.from({ length: Math.ceil(axis1.length / stride) }, (_, k) => k * stride);
  const round = (v: number): number => Number(v.toPrecision(4));
  const n1 = axis1.length;
  // Rows of z are values of z₂ (axis1), columns values of z₁ (axis0): z₁ runs left to right.
  const posterior = i1.map((j) => i0.map((i) => round(Math.exp(result.logPosterior[i * n1 + j]))));
  const qDensity = i1.map((j) => i0.map((i) => {
    let logQ = 0;
    const z = [axis0[i], axis1[j]];
    for (let u = 0; u < 2; u++) logQ += -0.5 * (LOG_2PI + q.logVariance[u] + (z[u] - q.mean[u]) ** 2 / Math.exp(q.logVariance[u]));
    return round(Math.exp(logQ));
  }));
  const x = i0.map((i) => round(axis0[i]));
  const y = i1.map((j) => round(axis1[j]));
  return [
    { type: 'heatmap', x, y, z: posterior, colorscale: 'Viridis', showscale: showScale, xaxis: axes.x, yaxis: axes.y,
      name: 'true posterior p_θ(z|x)', colorbar: showScale ? { title: { text: 'density' } } : undefined },
    { type: 'contour', x, y, z: qDensity, contours: { coloring: 'lines' }, line: { color: 'white', width: 1.5 }, showscale: false,
      ncontours: 6, xaxis: axes.x, yaxis: axes.y, name: 'encoder q_φ(z|x)' },
  ];
}
