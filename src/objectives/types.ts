/**
 * The two model interfaces every objective and exact tool is written against. The VAE of
 * src/models implements both; the linear-Gaussian model of src/exact implements
 * GenerativeModel, so the same objective code runs on a model whose log p(x) is known exactly.
 * The prior is fixed to p(z) = N(0, I) throughout, as in the document.
 */
import type * as tf from '@tensorflow/tfjs';
import type { DiagonalGaussian } from '../distributions/gaussian';

/** p_θ(x|z): row i of x scored against row i of z. */
export interface GenerativeModel {
  readonly latentSize: number;
  /** log p_θ(x_i | z_i) per row, summed over pixels: x [n, D], z [n, latentSize] -> [n] */
  logLikelihood(x: tf.Tensor2D, z: tf.Tensor2D): tf.Tensor1D;
}

/** q_φ(z|x) */
export interface InferenceModel {
  readonly latentSize: number;
  encode(x: tf.Tensor2D): DiagonalGaussian;
}

/**
 * A Monte Carlo estimate per example (plain float64 numbers for display and assertions).
 * `standardError` is the standard error of the Monte Carlo mean (NaN with a single sample).
 */
export interface MonteCarloEstimate {
  value: Float64Array;
  standardError: Float64Array;
  samples: number;
}

/**
 * Which form of the ELBO an estimate used:
 *  - 'analyticKl':  E_q[log p_θ(x|z)] − KL(q_φ(z|x) ‖ p(z)), KL in closed form (only the
 *                   reconstruction term is sampled);
 *  - 'monteCarlo':  E_q[log p_θ(x,z) − log q_φ(z|x)], everything sampled.
 */
export type ElboForm = 'analyticKl' | 'monteCarlo';

/** Batch means of an ELBO estimate, with the Monte Carlo standard error of each mean. */
export interface ElboBatchMean {
  elbo: number;
  reconstruction: number;
  kl: number;
  elboStandardError: number;
  reconstructionStandardError: number;
  klStandardError: number;
}

/**
 * ELBO per example (one entry per row of x), in nats: elbo = reconstruction − kl holds entry by
 * entry. Standard errors are those of the Monte Carlo means (0 for a closed-form term).
 */
export interface ElboEstimate {
  form: ElboForm;
  samples: number;
  elbo: Float64Array;
  reconstruction: Float64Array;
  kl: Float64Array;
  elboStandardError: Float64Array;
  reconstructionStandardError: Float64Array;
  klStandardError: Float64Array;
  batchMean: ElboBatchMean;
}
