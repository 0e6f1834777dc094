// A reference for the exact/ tests: the 2-D Gaussian log density written out by hand (explicit
// determinant and inverse of the 2×2 covariance), sharing nothing with exact/'s Cholesky route.

/** log N(z; mean, C) in 2-D, C = [[a, b], [b, c]] given row-major as [a, b, b, c]. */
export function logNormal2d(z: ArrayLike<number>, mean: ArrayLike<number>, covariance: ArrayLike<number>): number {
  const [a, b, c] = [covariance[0], covariance[1], covariance[3]];
  const det = a * c - b * b;
  const d0 = z[0] - mean[0];
  const d1 = z[1] - mean[1];
  return -Math.log(2 * Math.PI) - 0.5 * Math.log(det) - 0.5 * (c * d0 * d0 - 2 * b * d0 * d1 + a * d1 * d1) / det;
}
