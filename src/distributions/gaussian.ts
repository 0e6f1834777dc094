/**
 * Diagonal Gaussians N(μ, diag σ²) parameterised by (mean, logVariance = log σ²), the form the
 * encoder q_φ(z|x) outputs, and the standard-normal prior p(z) = N(0, I).
 *
 * Conventions: tensors are [batch, latent]; every log-density is PER EXAMPLE, i.e. SUMMED over
 * the latent dimensions (never averaged), in nats. Functions do not dispose their inputs.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../random';
import { checkMatrix, checkRandom, checkSameShape, checkTensorValues } from '../checks';

/** A batch of diagonal Gaussians: row i is N(mean[i], diag exp(logVariance[i])). Shapes [batch, latent]. */
export interface DiagonalGaussian {
  mean: tf.Tensor2D;
  logVariance: tf.Tensor2D;
}

/** log(2π), the constant in every Gaussian log-density. */
export const LOG_2PI = Math.log(2 * Math.PI);

/**
 * Validates a DiagonalGaussian: both fields float32 rank-2 of equal shape, finite values
 * (σ² = exp(logVariance) > 0 holds exactly when logVariance is finite).
 * `name` is what error messages call it, e.g. 'encoder'.
 */
export function checkDiagonalGaussian(fn: string, name: string, q: unknown): DiagonalGaussian {
  if (q === null || typeof q !== 'object') {
    throw new TypeError(`${fn}: ${name} must be a DiagonalGaussian {mean, logVariance}, got ${q === null ? 'null' : typeof q}`);
  }
  const g = q as DiagonalGaussian;
  const mean = checkMatrix(fn, `${name}.mean`, g.mean);
  const logVariance = checkMatrix(fn, `${name}.logVariance`, g.logVariance);
  checkSameShape(fn, `${name}.mean`, mean, `${name}.logVariance`, logVariance);
  checkTensorValues(fn, `${name}.mean`, mean);
  // A finite log σ² is what guarantees σ > 0; −∞ would mean σ = 0, a degenerate Gaussian.
  checkTensorValues(fn, `${name}.logVariance`, logVariance);
  return g;
}

/**
 * Reparameterisation trick: z = μ + σ ⊙ ε with σ = exp(½ log σ²) and ε ~ N(0, I) given.
 * The randomness sits in `noise`, so gradients flow to μ and log σ².
 */
export function reparameterize(q: DiagonalGaussian, noise: tf.Tensor2D): tf.Tensor2D {
  const fn = 'reparameterize';
  checkDiagonalGaussian(fn, 'q', q);
  checkMatrix(fn, 'noise', noise);
  checkSameShape(fn, 'q.mean', q.mean, 'noise', noise);
  return reparameterizeUnchecked(q, noise);
}

/**
 * `reparameterize` without its argument checks, for callers that have checked q and the noise (the Monte Carlo
 * estimators, per chunk): the one place the library turns ε into z = μ + exp(½ log σ²) ⊙ ε.
 */
export function reparameterizeUnchecked(q: DiagonalGaussian, noise: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.add(q.mean, tf.mul(tf.exp(tf.mul(q.logVariance, 0.5)), noise)));
}

/** One draw z ~ q per row, through `reparameterize` with noise from the explicit generator. */
export function sampleDiagonalGaussian(q: DiagonalGaussian, random: Random): tf.Tensor2D {
  const fn = 'sampleDiagonalGaussian';
  checkDiagonalGaussian(fn, 'q', q);
  checkRandom(fn, 'random', random);
  const [n, d] = q.mean.shape;
  return tf.tidy(() => reparameterize(q, tf.tensor2d(random.normals(n * d), [n, d])));
}

/**
 * log N(z; μ, diag σ²) per example:
 *   Σ_j −½ [ log 2π + log σ²_j + (z_j − μ_j)² / σ²_j ]     → shape [batch].
 */
export function diagonalGaussianLogDensity(z: tf.Tensor2D, q: DiagonalGaussian): tf.Tensor1D {
  const fn = 'diagonalGaussianLogDensity';
  checkDiagonalGaussian(fn, 'q', q);
  checkMatrix(fn, 'z', z);
  checkSameShape(fn, 'q.mean', q.mean, 'z', z);
  return tf.tidy(() => {
    const standardized = tf.mul(tf.squaredDifference(z, q.mean), tf.exp(tf.neg(q.logVariance)));
    const perDimension = tf.mul(tf.add(tf.add(standardized, q.logVariance), LOG_2PI), -0.5);
    return tf.sum(perDimension, 1) as tf.Tensor1D;
  });
}

/** Prior log p(z) = log N(z; 0, I) per example: Σ_j −½ (log 2π + z_j²) → shape [batch]. */
export function standardNormalLogDensity(z: tf.Tensor2D): tf.Tensor1D {
  checkMatrix('standardNormalLogDensity', 'z', z);
  return tf.tidy(() => tf.sum(tf.mul(tf.add(tf.square(z), LOG_2PI), -0.5), 1) as tf.Tensor1D);
}

/** The standard-normal prior N(0, I) as a DiagonalGaussian of the given shape (caller disposes). */
export function standardNormal(batch: number, latentSize: number): DiagonalGaussian {
  if (!Number.isInteger(batch) || batch < 1) {
    throw new RangeError(`standardNormal: batch must be an integer >= 1, got ${batch}`);
  }
  if (!Number.isInteger(latentSize) || latentSize < 1) {
    throw new RangeError(`standardNormal: latentSize must be an integer >= 1, got ${latentSize}`);
  }
  return { mean: tf.zeros([batch, latentSize]), logVariance: tf.zeros([batch, latentSize]) };
}

/** Disposes both tensors of a DiagonalGaussian. */
export function disposeDiagonalGaussian(q: DiagonalGaussian): void {
  tf.dispose([q.mean, q.logVariance]);
}
