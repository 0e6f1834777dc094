/**
 * Bernoulli decoder likelihood p_θ(x|z) with logits l = decoder output (pre-sigmoid).
 * Per-example log-likelihoods are SUMS over pixels, in nats.
 */
import * as tf from '@tensorflow/tfjs';
import { checkMatrix, checkSameShape, checkTensorValues } from '../checks';
import { bernoulliNegativeLogLikelihood } from '../engine/ops/vaeStep';

/**
 * log p(x | logits) per example, summed over pixels:
 *   Σ_i [ x_i log σ(l_i) + (1 − x_i) log(1 − σ(l_i)) ] = Σ_i [ x_i l_i − softplus(l_i) ].
 * The right-hand form never evaluates log σ(l), so it stays exact for |l| in the hundreds.
 * x may be binary or grey levels in [0, 1] (the latter gives the usual cross-entropy objective).
 * Computed by the engine's fused op (the training step uses the same op, without these checks).
 */
export function bernoulliLogLikelihood(x: tf.Tensor2D, logits: tf.Tensor2D): tf.Tensor1D {
  const fn = 'bernoulliLogLikelihood';
  checkMatrix(fn, 'x', x);
  checkMatrix(fn, 'logits', logits);
  checkSameShape(fn, 'x', x, 'logits', logits);
  checkTensorValues(fn, 'x', x, 0, 1);
  checkTensorValues(fn, 'logits', logits);
  return tf.tidy(() => tf.neg(bernoulliNegativeLogLikelihood(logits, x)) as tf.Tensor1D);
}
