/**
 * Gaussian decoder likelihood p_θ(x|z) = N(x; mean(z), diag σ²), σ² given as log-variance:
 * one per pixel ([n, D]), shared by all rows ([1, D]), or one number for every pixel.
 * Per-example log-likelihoods are SUMS over pixels, in nats.
 */
import * as tf from '@tensorflow/tfjs';
import { LOG_2PI } from './gaussian';
import { checkMatrix, checkNumber, checkSameShape, checkTensorValues, shapeString } from '../checks';

/**
 * log N(x; mean, diag exp(logVariance)) per example:
 *   Σ_i −½ [ log 2π + log σ²_i + (x_i − mean_i)² / σ²_i ]     → shape [n].
 */
export function gaussianLogLikelihood(
  x: tf.Tensor2D, mean: tf.Tensor2D, logVariance: tf.Tensor2D | number,
): tf.Tensor1D {
  const fn = 'gaussianLogLikelihood';
  checkMatrix(fn, 'x', x);
  checkMatrix(fn, 'mean', mean);
  checkSameShape(fn, 'x', x, 'mean', mean);
  checkTensorValues(fn, 'x', x);
  checkTensorValues(fn, 'mean', mean);
  if (typeof logVariance === 'number') {
    checkNumber(fn, 'logVariance', logVariance);
  } else {
    checkMatrix(fn, 'logVariance', logVariance);
    const [n, d] = x.shape;
    const [r, c] = logVariance.shape;
    if (c !== d || (r !== n && r !== 1)) {
      throw new RangeError(`${fn}: logVariance must have shape [${n},${d}] or [1,${d}] (or be a number), got ${shapeString(logVariance.shape)}`);
    }
    checkTensorValues(fn, 'logVariance', logVariance);
  }
  return tf.tidy(() => {
    // tfjs ops take a number as a scalar, so a shared σ² and a per-pixel one go through one formula.
    const standardized = tf.mul(tf.squaredDifference(x, mean), tf.exp(tf.neg(logVariance)));
    const perPixel = tf.mul(tf.add(tf.add(standardized, logVariance), LOG_2PI), -0.5);
    return tf.sum(perPixel, 1) as tf.Tensor1D;
  });
}
