/**
 * log p_θ(x) by importance sampling with a wide proposal: a third route to the evidence, by
 * sampling, sharing nothing with the quadratures beyond the decoder's log p_θ(x|z).
 *
 *   p_θ(x) = E_r[ p_θ(x|z) p(z) / r(z) ],   z ~ r,
 *   r(z) = (1 − α) N(z; m, C) + α N(z; 0, I)   (α = priorFraction, a "defensive" mixture:
 *          the prior component keeps every weight ≤ p_θ(x|z)/α, so the variance is finite).
 * The estimate is log of the mean weight; its standard error by the delta method,
 * SE = sd(w) / (√S · mean(w)). The log of a mean is biased low by about SE²/2 (second order).
 * Any m, C give an unbiased p_θ(x): they only set the variance. A wide C (several times the
 * posterior's covariance) keeps the weights tame when the posterior is skewed or has two modes.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../random';
import { LOG_2PI } from '../distributions/gaussian';
import type { GenerativeModel } from '../objectives/types';
import { checkGenerativeModel } from '../objectives/sampleJoint';
import { checkFiniteArray, checkInteger, checkNumber, checkRandom } from '../checks';
import { toDataVector } from './inputs';
import { cholesky } from './linearAlgebra';
import { logNormalFromCholesky } from './gaussianClosedForms';
import { logLikelihoodAtPoints } from './adaptiveCubature2d';

export interface ImportanceSampledEvidence {
  /** log of the mean importance weight. */
  logMarginal: number;
  /** Its delta-method standard error. */
  standardError: number;
  /** (Σ w)² / Σ w²: how many equally weighted draws the sample is worth. */
  effectiveSampleSize: number;
  samples: number;
}

/**
 * log p_θ(x) from `samples` draws of the mixture proposal above (mean `mean`, covariance
 * `covariance` L×L row-major, prior fraction `priorFraction`, default 0.1), for any latent size L.
 */
export function importanceSampledLogMarginal(
  decoder: GenerativeModel, x: tf.Tensor | ArrayLike<number>, proposal: { mean: ArrayLike<number>; covariance: ArrayLike<number> },
  random: Random, samples: number, options: { priorFraction?: number; maxRowsPerChunk?: number } = {},
): ImportanceSampledEvidence {
  const fn = 'importanceSampledLogMarginal';
  checkGenerativeModel(fn, 'decoder', decoder);
  const l = decoder.latentSize;
  const xv = Float32Array.from(toDataVector(fn, x));
  const mean = checkFiniteArray(fn, 'proposal.mean', proposal?.mean, l);
  const factor = cholesky(checkFiniteArray(fn, 'proposal.covariance', proposal.covariance, l * l), l, fn);
  checkRandom(fn, 'random', random);
  checkInteger(fn, 'samples', samples, 2);
  const alpha = checkNumber(fn, 'options.priorFraction', options.priorFraction ?? 0.1, 0, 1);
  const z = new Float64Array(samples * l);
  const e = new Float64Array(l);
  for (let s = 0; s < samples; s++) {
    const fromPrior = random.uniform() < alpha;
    for (let j = 0; j < l; j++) e[j] = random.normal();
    for (let j = 0; j < l; j++) {
      let v = 0;
      for (let k = 0; k <= j; k++) v += factor[j * l + k] * e[k];
      z[s * l + j] = fromPrior ? e[j] : mean[j] + v;
    }
  }
  const logLikelihood = logLikelihoodAtPoints(decoder, xv, z, options.maxRowsPerChunk);
  const logWeights = new Float64Array(samples);
  const diff = new Float64Array(l);
  for (let s = 0; s < samples; s++) {
    let sq = 0;
    for (let j = 0; j < l; j++) {
      sq += z[s * l + j] ** 2;
      diff[j] = z[s * l + j] - mean[j];
    }
    const logPrior = -0.5 * (l * LOG_2PI + sq);
    const wide = alpha < 1 ? Math.log(1 - alpha) + logNormalFromCholesky(factor, l, diff) : -Infinity;
    const defensive = alpha > 0 ? Math.log(alpha) + logPrior : -Infinity;
    const top = Math.max(wide, defensive);
    const logProposal = top + Math.log(Math.exp(wide - top) + Math.exp(defensive - top));
    logWeights[s] = logLikelihood[s] + logPrior - logProposal;
  }
  let max = -Infinity;
  for (const v of logWeights) max = Math.max(max, v);
  let sum = 0;
  let sumSquares = 0;
  for (const v of logWeights) {
    const w = Math.exp(v - max);
    sum += w;
    sumSquares += w * w;
  }
  const meanWeight = sum / samples;
  const variance = Math.max(0, (sumSquares - samples * meanWeight * meanWeight) / (samples - 1));
  return {
    logMarginal: max + Math.log(meanWeight),
    standardError: Math.sqrt(variance / samples) / meanWeight,
    effectiveSampleSize: (sum * sum) / sumSquares,
    samples,
  };
}
