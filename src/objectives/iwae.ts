/**
 * The importance-weighted bound (Burda, Grosse & Salakhutdinov 2015):
 *   L_k = E_{z_1..z_k ~ q}[ log (1/k) Σ_{s=1..k} p_θ(x, z_s) / q_φ(z_s|x) ],
 * computed with logsumexp. L_1 is the ELBO, L_k ≤ L_{k+1} ≤ log p_θ(x), and L_k → log p_θ(x)
 * as k → ∞ (when p/q is bounded). One replicate gives one draw of the inner log-mean; the
 * expectation and its standard error come from `replicates` independent draws.
 * Samples are evaluated in chunks of rows (tensor memory) and blocks of examples (JS memory), so
 * k = 5000 on a 784-pixel decoder, for a whole test set, stays within a fixed memory budget.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../random';
import type { DiagonalGaussian } from '../distributions/gaussian';
import { checkInteger, checkMatrix } from '../checks';
import { logMeanExp, meanAndStandardError } from './monteCarlo';
import { meanOfIndependentEstimates } from '../stats/index';
import { logWeightsOf, sampleJointBlocks } from './sampleJoint';
import type { GenerativeModel, InferenceModel } from './types';

/** L_k per example: mean over replicates, its standard error (NaN with one replicate), and the draws. */
export interface ImportanceWeightedEstimate {
  k: number;
  replicates: number;
  value: Float64Array;
  standardError: Float64Array;
  /** [n·replicates], example-major: the log-mean-exp of each replicate's k weights. */
  replicateValues: Float64Array;
  batchMean: { value: number; standardError: number };
}

/**
 * Estimates L_k for each row of x from k·replicates draws z ~ q per example (seeded by `random`).
 * `encoder` is an InferenceModel or an explicit q with one row per x.
 */
export function importanceWeightedBound(
  encoder: InferenceModel | DiagonalGaussian, decoder: GenerativeModel, x: tf.Tensor2D,
  random: Random, k: number, replicates = 1, maxRowsPerChunk?: number,
): ImportanceWeightedEstimate {
  const fn = 'importanceWeightedBound';
  checkInteger(fn, 'k', k, 1);
  checkInteger(fn, 'replicates', replicates, 1);
  const n = checkMatrix(fn, 'x', x).shape[0];
  const replicateValues = new Float64Array(n * replicates);
  sampleJointBlocks(fn, encoder, decoder, x, random, k * replicates, maxRowsPerChunk, (block, first) => {
    const logWeights = logWeightsOf(block);
    // Replicate r of the block's examples is the log-mean-exp of weights [r·k, (r+1)·k).
    const blockValues = Float64Array.from({ length: block.n * replicates }, (_, r) => logMeanExp(logWeights, r * k, k));
    replicateValues.set(blockValues, first * replicates);
  });
  const { mean, standardError } = meanAndStandardError(replicateValues, n, replicates);
  const batch = meanOfIndependentEstimates(mean, standardError);
  return {
    k, replicates, value: mean, standardError, replicateValues,
    batchMean: { value: batch.mean, standardError: batch.standardError },
  };
}
