/**
 * Closed forms for Gaussians in float64 that several exact references share: the log-density of
 * a diagonal Gaussian, the log-density of a full-covariance one from its Cholesky factor, and the
 * KL of a diagonal Gaussian to the prior N(0, I). (distributions/gaussian.ts has the float32 tfjs
 * versions the objectives use.)
 */
import { LOG_2PI } from '../distributions/gaussian';
import { dot, forwardSubstitute, logDetFromCholesky } from './linearAlgebra';

/** log N(z; μ, diag σ²) = Σ_j −½ [log 2π + log σ²_j + (z_j − μ_j)² / σ²_j]. */
export function logNormalDiagonal(z: ArrayLike<number>, mean: ArrayLike<number>, logVariance: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < z.length; j++) s += -0.5 * (LOG_2PI + logVariance[j] + (z[j] - mean[j]) ** 2 / Math.exp(logVariance[j]));
  return s;
}

/**
 * log N(x; m, Σ) = −½ [n log 2π + log det Σ + ‖L⁻¹(x − m)‖²] from Σ = L Lᵀ's Cholesky factor L
 * (n×n) and the difference x − m.
 */
export function logNormalFromCholesky(factor: Float64Array, n: number, difference: ArrayLike<number>): number {
  const y = forwardSubstitute(factor, n, difference);
  return -0.5 * (n * LOG_2PI + logDetFromCholesky(factor, n) + dot(y, y));
}

/** KL(N(μ, diag σ²) ‖ N(0, I)) = Σ_j −½ (1 + log σ²_j − μ_j² − σ²_j). */
export function klDiagonalToStandardNormal(mean: ArrayLike<number>, logVariance: ArrayLike<number>): number {
  let kl = 0;
  for (let j = 0; j < mean.length; j++) kl += -0.5 * (1 + logVariance[j] - mean[j] ** 2 - Math.exp(logVariance[j]));
  return kl;
}
