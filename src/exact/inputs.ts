/**
 * Argument conversion for the exact (float64) tools: a data vector or a diagonal Gaussian may be
 * given as plain arrays or as tensors with a single row; both become Float64Arrays.
 */
import * as tf from '@tensorflow/tfjs';
import { checkFiniteArray, shapeString } from '../checks';

/** A diagonal Gaussian in float64: N(mean, diag exp(logVariance)). */
export interface DiagonalGaussianParameters {
  mean: Float64Array;
  logVariance: Float64Array;
}

/** What the exact tools accept for q: plain arrays, or a DiagonalGaussian of tensors with one row. */
export interface DiagonalGaussianLike {
  mean: ArrayLike<number> | tf.Tensor;
  logVariance: ArrayLike<number> | tf.Tensor;
}

/** A vector of `length` finite numbers from an array, typed array, or a tensor with that many elements. */
export function toVector(fn: string, name: string, value: unknown, length: number): Float64Array {
  if (value instanceof tf.Tensor) {
    if (value.isDisposed) throw new TypeError(`${fn}: ${name} has already been disposed`);
    if (value.size !== length || (value.rank === 2 && value.shape[0] !== 1) || value.rank > 2) {
      throw new RangeError(`${fn}: ${name} must be a vector of length ${length} (or a [1,${length}] tensor), got shape ${shapeString(value.shape)}`);
    }
    return toVector(fn, name, Float64Array.from(value.dataSync()), length);
  }
  return Float64Array.from(checkFiniteArray(fn, name, value, length));
}

/** One data vector x, given as a [D] or [1, D] tensor or as an array of D ≥ 1 finite numbers. */
export function toDataVector(fn: string, x: unknown): Float64Array {
  if (x instanceof tf.Tensor) {
    if (x.rank > 2 || (x.rank === 2 && x.shape[0] !== 1) || x.size < 1) {
      throw new RangeError(`${fn}: x must be one data vector ([D] or [1,D]), got shape ${shapeString(x.shape)}`);
    }
    return toVector(fn, 'x', x, x.size);
  }
  const length = (x as ArrayLike<number> | null)?.length;
  if (typeof length !== 'number' || length < 1) throw new TypeError(`${fn}: x must be a tensor or an array of numbers`);
  return toVector(fn, 'x', x, length);
}

/** Converts and validates q with `latentSize` dimensions (finite log-variances, i.e. σ > 0). */
export function toDiagonalParameters(fn: string, name: string, q: unknown, latentSize: number): DiagonalGaussianParameters {
  if (q === null || typeof q !== 'object' || !('mean' in q) || !('logVariance' in q)) {
    throw new TypeError(`${fn}: ${name} must be a diagonal Gaussian {mean, logVariance}`);
  }
  const g = q as DiagonalGaussianLike;
  return {
    mean: toVector(fn, `${name}.mean`, g.mean, latentSize),
    logVariance: toVector(fn, `${name}.logVariance`, g.logVariance, latentSize),
  };
}
