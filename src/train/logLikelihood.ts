import * as tf from '@tensorflow/tfjs';
import { Random } from '../random';
import { importanceWeightedBound } from '../objectives/iwae';
import type { Vae } from '../models/vae';
import { DataMatrix, checkDataMatrix } from '../data/matrix';
import type { LogLikelihoodEstimate } from './metrics';
import { meanAndStandardErrorOf } from '../stats/index';
import { checkInteger, checkRandom } from '../checks';

/**
 * The importance-weighted bound (Burda et al. 2015) as a log-likelihood estimate on the first
 * `count` examples of `data`:
 *   L_k(x) = E[ log (1/k) Σ_s p_θ(x, z_s) / q_φ(z_s|x) ],  z_s ~ q_φ(z|x),
 * averaged over the examples; the standard error is over examples. k = 5000 on MNIST costs
 * k decoder passes per example: keep `count` small (100–1000).
 */
export function estimateLogLikelihood(model: Vae, data: DataMatrix, k: number, count: number, random: Random): LogLikelihoodEstimate {
  const fn = 'estimateLogLikelihood';
  checkDataMatrix(fn, 'data', data);
  checkInteger(fn, 'k', k, 1);
  if (!Number.isInteger(count) || count < 1 || count > data.count) {
    throw new RangeError(`${fn}: count must be an integer in [1, ${data.count}], got ${count}`);
  }
  checkRandom(fn, 'random', random);
  const x = tf.tensor2d(data.values.subarray(0, count * data.features), [count, data.features]);
  try {
    const estimate = importanceWeightedBound(model, model, x, random, k);
    return { k, ...meanAndStandardErrorOf(estimate.value, 0, count) };
  } finally {
    x.dispose();
  }
}
