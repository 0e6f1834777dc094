/**
 * Closed-form KL divergences between diagonal Gaussians (Kingma & Welling 2014, Appendix B).
 * Per-example values are SUMS over latent dimensions, in nats. Inputs are not disposed.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../random';
import {
  checkDiagonalGaussian, DiagonalGaussian, diagonalGaussianLogDensity, standardNormalLogDensity,
} from '../distributions/gaussian';
import { checkInteger, checkRandom, shapeString } from '../checks';
import { defaultChunkRows, meanAndStandardError, sampleAndEvaluate } from './monteCarlo';
import type { MonteCarloEstimate } from './types';
import { gaussianKlToStandardNormalRows } from '../engine/ops/vaeStep';

/**
 * KL(q ‖ N(0, I)) per latent dimension, shape [batch, latent]:
 *   KL_j = −½ (1 + log σ²_j − μ_j² − σ²_j).
 * Needed to spot posterior collapse (dimensions whose KL is ≈ 0 for every x).
 */
export function klToStandardNormalPerDimension(q: DiagonalGaussian): tf.Tensor2D {
  checkDiagonalGaussian('klToStandardNormalPerDimension', 'encoder', q);
  return tf.tidy(() => klPerDimensionUnchecked(q.mean, q.logVariance));
}

/**
 * The same per-dimension KL without reading values back to validate them (for the training
 * step's free-bits term, inside the gradient tape; the data are validated once up front).
 */
export function klPerDimensionUnchecked(mean: tf.Tensor2D, logVariance: tf.Tensor2D): tf.Tensor2D {
  const inner = tf.sub(tf.sub(tf.add(logVariance, 1), tf.square(mean)), tf.exp(logVariance));
  return tf.mul(inner, -0.5) as tf.Tensor2D;
}

/**
 * KL(q ‖ N(0, I)) per example: Σ_j −½ (1 + log σ²_j − μ_j² − σ²_j), shape [batch], by the
 * engine's fused op (the training step uses the same op, without these checks).
 */
export function klToStandardNormal(q: DiagonalGaussian): tf.Tensor1D {
  checkDiagonalGaussian('klToStandardNormal', 'encoder', q);
  return gaussianKlToStandardNormalRows(q.mean, q.logVariance);
}

/**
 * KL(q ‖ p) between diagonal Gaussians, per example (p may have batch 1 to broadcast):
 *   Σ_j ½ [ log σ²_p,j − log σ²_q,j + (σ²_q,j + (μ_q,j − μ_p,j)²) / σ²_p,j − 1 ],  shape [batch].
 */
export function klDiagonalGaussians(q: DiagonalGaussian, p: DiagonalGaussian): tf.Tensor1D {
  const fn = 'klDiagonalGaussians';
  checkDiagonalGaussian(fn, 'q', q);
  checkDiagonalGaussian(fn, 'p', p);
  const [n, d] = q.mean.shape;
  const [pn, pd] = p.mean.shape;
  if (pd !== d || (pn !== n && pn !== 1)) {
    throw new RangeError(`${fn}: p.mean must have shape [${n},${d}] or [1,${d}] like q.mean, got ${shapeString(p.mean.shape)}`);
  }
  return tf.tidy(() => {
    const logRatio = tf.sub(p.logVariance, q.logVariance);
    const numerator = tf.add(tf.exp(q.logVariance), tf.squaredDifference(q.mean, p.mean));
    const quadratic = tf.mul(numerator, tf.exp(tf.neg(p.logVariance)));
    return tf.sum(tf.mul(tf.sub(tf.add(logRatio, quadratic), 1), 0.5), 1) as tf.Tensor1D;
  });
}

/**
 * Monte Carlo KL(q ‖ p) per example, with its standard error:
 *   KL ≈ (1/S) Σ_s [ log q(z_s) − log p(z_s) ],  z_s ~ q  (reparameterised, seeded by `random`).
 * `p` is a DiagonalGaussian of q's shape (or batch 1), or 'standardNormal' for the prior N(0, I).
 */
export function klMonteCarlo(
  q: DiagonalGaussian, p: DiagonalGaussian | 'standardNormal', random: Random, samples: number,
): MonteCarloEstimate {
  const fn = 'klMonteCarlo';
  checkDiagonalGaussian(fn, 'q', q);
  const [n, d] = q.mean.shape;
  if (p !== 'standardNormal') {
    checkDiagonalGaussian(fn, 'p', p);
    const [pn, pd] = p.mean.shape;
    if (pd !== d || (pn !== n && pn !== 1)) {
      throw new RangeError(`${fn}: p.mean must have shape [${n},${d}] or [1,${d}] like q.mean, got ${shapeString(p.mean.shape)}`);
    }
  }
  checkRandom(fn, 'random', random);
  checkInteger(fn, 'samples', samples, 1);
  const [logRatio] = sampleAndEvaluate(q, random, samples, defaultChunkRows(d), ({ exampleIndex, z, q: qRows }) => {
    const logQ = diagonalGaussianLogDensity(z, qRows);
    if (p === 'standardNormal') return [tf.sub(logQ, standardNormalLogDensity(z)) as tf.Tensor1D];
    // p's row for each sampled row: its example's, or the one row of a p with batch 1.
    const pIndex = p.mean.shape[0] === 1 ? tf.zerosLike(exampleIndex) : exampleIndex;
    const pRows = { mean: tf.gather(p.mean, pIndex) as tf.Tensor2D, logVariance: tf.gather(p.logVariance, pIndex) as tf.Tensor2D };
    return [tf.sub(logQ, diagonalGaussianLogDensity(z, pRows)) as tf.Tensor1D];
  });
  const { mean, standardError } = meanAndStandardError(logRatio, n, samples);
  return { value: mean, standardError, samples };
}
