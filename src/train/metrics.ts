import { Random } from '../random';
import type { Vae } from '../models/vae';
import type { DataMatrix } from '../data/matrix';
import { evaluatePerExample, meanKlPerDimension } from './evaluation';
import { Estimate, meanAndStandardErrorOf } from '../stats/index';

/** Metrics of a model on one data set. Per-example quantities are averaged over the examples. */
export interface SplitMetrics {
  /** Examples evaluated. */
  count: number;
  /** Batch mean of the per-example ELBO = reconstruction − KL (nats; one z sample per example). */
  elbo: number;
  /** Standard error of that mean over examples. */
  elboStandardError: number;
  /** Batch mean of log p_θ(x|z), z ~ q_φ(z|x) (one sample; summed over pixels). */
  reconstruction: number;
  /** Batch mean of KL(q_φ(z|x) ‖ p(z)) (closed form; summed over latent dimensions). */
  kl: number;
  /** Batch mean of the KL of each latent dimension ([latentSize]); sums to `kl`. */
  klPerDimension: Float64Array;
  /** Cov_x(E_q[z_u]): variance over examples of the encoder mean, per dimension. */
  latentMeanVariance: Float64Array;
  /** Number of dimensions with latentMeanVariance > activeUnitThreshold (Burda et al. 2015). */
  activeUnits: number;
  /** The importance-weighted bound L_k as log-likelihood estimate, when requested. */
  importanceWeighted?: LogLikelihoodEstimate;
}

/** The batch mean of L_k over n examples (nats) with its standard error over examples, and k. */
export interface LogLikelihoodEstimate extends Estimate {
  k: number;
}

/** One row of training history. */
export interface EpochMetrics {
  /** 1-based (0 = before training). */
  epoch: number;
  /** β in force at the end of the epoch. */
  beta: number;
  /** Mean training objective over the epoch's batches (−β-ELBO with free bits, batch means). */
  trainLoss: number;
  /** The objective of every batch of the epoch, in order. */
  batchLosses: Float64Array;
  /** Metrics on a fixed subset of the training data. */
  train: SplitMetrics;
  /** Metrics on a fixed subset of the held-out data (null without held-out data). */
  heldOut: SplitMetrics | null;
  /** Wall time of the epoch's training steps (evaluation excluded). */
  seconds: number;
}

export interface EvaluateOptions {
  /** Source of ε (one z per example). A fixed seed gives numbers comparable across epochs. */
  random: Random;
  /** Rows per forward pass (default 500). */
  batchSize?: number;
  /** Active-unit threshold on Cov_x(E_q[z_u]) (default 0.01, Burda et al. 2015). */
  activeUnitThreshold?: number;
}

/** Variance over rows of each column of a row-major [n, d] array (population variance). */
export function columnVariances(values: Float64Array | Float32Array, n: number, d: number): Float64Array {
  const mean = new Float64Array(d);
  const out = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += values[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const c = values[i * d + j] - mean[j];
      out[j] += c * c;
    }
  }
  for (let j = 0; j < d; j++) out[j] /= n;
  return out;
}

/**
 * ELBO, reconstruction, KL, KL per dimension and active units of `model` on `data`:
 *   ELBO(x) = E_q[log p_θ(x|z)] − KL(q_φ(z|x) ‖ p(z)),
 * the expectation estimated with one reparameterised sample z = μ + σ ε per example, the KL in
 * closed form. Active units: u is active when Cov_x(E_q[z_u]) > 0.01. Disposes all it makes.
 */
export function evaluateVae(model: Vae, data: DataMatrix, options: EvaluateOptions): SplitMetrics {
  const fn = 'evaluateVae';
  if (!options || !(options.random instanceof Random)) throw new TypeError(`${fn}: options.random must be a Random`);
  const threshold = options.activeUnitThreshold ?? 0.01;
  const terms = evaluatePerExample(model, data, { random: options.random, batchSize: options.batchSize }, 'evaluateVae');
  const n = terms.count;
  const elboStats = meanAndStandardErrorOf(terms.elbo!, 0, n);
  const latentMeanVariance = columnVariances(terms.encoderMean, n, terms.latentSize);
  let activeUnits = 0;
  for (const v of latentMeanVariance) if (v > threshold) activeUnits++;
  return {
    count: n,
    elbo: elboStats.mean,
    elboStandardError: elboStats.standardError,
    reconstruction: meanAndStandardErrorOf(terms.reconstruction!, 0, n).mean,
    kl: meanAndStandardErrorOf(terms.kl, 0, n).mean,
    klPerDimension: meanKlPerDimension(terms),
    latentMeanVariance,
    activeUnits,
  };
}

/** Training history as columns of plain numbers, one entry per epoch (for plots and tables). */
export interface HistoryColumns {
  epoch: Float64Array;
  beta: Float64Array;
  trainLoss: Float64Array;
  trainElbo: Float64Array;
  trainReconstruction: Float64Array;
  trainKl: Float64Array;
  /** NaN where there was no held-out data. */
  heldOutElbo: Float64Array;
  heldOutReconstruction: Float64Array;
  heldOutKl: Float64Array;
  heldOutActiveUnits: Float64Array;
  /** [epochs][latentSize]: held-out (else train) KL of each latent dimension. */
  klPerDimension: Float64Array[];
  /** L_k where computed, NaN elsewhere. */
  logLikelihood: Float64Array;
  seconds: Float64Array;
}

/** Columns of a history (pass `[initial, ...history]` to include epoch 0). */
export function historyColumns(history: readonly EpochMetrics[]): HistoryColumns {
  if (!Array.isArray(history)) throw new TypeError('historyColumns: history must be an array of EpochMetrics');
  const col = (f: (m: EpochMetrics) => number | undefined): Float64Array =>
    Float64Array.from(history, (m) => {
      const v = f(m);
      return v === undefined ? NaN : v;
    });
  return {
    epoch: col((m) => m.epoch),
    beta: col((m) => m.beta),
    trainLoss: col((m) => m.trainLoss),
    trainElbo: col((m) => m.train.elbo),
    trainReconstruction: col((m) => m.train.reconstruction),
    trainKl: col((m) => m.train.kl),
    heldOutElbo: col((m) => m.heldOut?.elbo),
    heldOutReconstruction: col((m) => m.heldOut?.reconstruction),
    heldOutKl: col((m) => m.heldOut?.kl),
    heldOutActiveUnits: col((m) => m.heldOut?.activeUnits),
    klPerDimension: history.map((m) => Float64Array.from((m.heldOut ?? m.train).klPerDimension)),
    logLikelihood: col((m) => (m.heldOut ?? m.train).importanceWeighted?.mean),
    seconds: col((m) => m.seconds),
  };
}
