/**
 * KL divergences in float64 beyond the diagonal Gaussians of objectives/kl.ts: the reference
 * values the notebooks check estimates against. They live in the exact layer because they need
 * its pieces: Cholesky factors (full covariances) and quadrature results.
 *  - aggregatePosteriorGaussianKl: closed form, a full-covariance Gaussian to N(0, I);
 *  - monteCarloKlToGaussian: Monte Carlo, a diagonal Gaussian to a full-covariance one;
 *  - klToGridPosterior: quadrature, q to the true posterior p_θ(z|x) of a 2-D latent (equal to
 *    log p_θ(x) − the grid ELBO of the same quadrature).
 */
import type { Random } from '../random';
import { LOG_2PI } from '../distributions/gaussian';
import { meanAndStandardErrorOf } from '../stats/index';
import { checkFiniteArray, checkInteger, checkRandom } from '../checks';
import { cholesky, logDetFromCholesky } from './linearAlgebra';
import { logNormalFromCholesky } from './gaussianClosedForms';
import type { QuadratureResult } from './quadrature2d';

/**
 * How far the aggregate posterior q_φ(z) = (1/N) Σ_i q_φ(z|x_i) sits from the prior p(z) = N(0, I),
 * through its moment-matched Gaussian N(m, S):
 *   m = (1/N) Σ_i μ_i,   S = (1/N) Σ_i [diag(σ²_i) + (μ_i − m)(μ_i − m)ᵀ],
 *   KL(N(m, S) ‖ N(0, I)) = ½ [tr S + mᵀm − L − log det S].
 * Zero when the codes of the data fill the prior exactly (in their first two moments); large when
 * they sit in a corner of latent space or are spread far beyond it. `mean`, `logVariance` are
 * row-major [N, latentSize].
 */
export function aggregatePosteriorGaussianKl(mean: ArrayLike<number>, logVariance: ArrayLike<number>, latentSize: number): number {
  const fn = 'aggregatePosteriorGaussianKl';
  checkInteger(fn, 'latentSize', latentSize, 1);
  checkFiniteArray(fn, 'mean', mean);
  if (mean.length === 0 || mean.length % latentSize !== 0) {
    throw new RangeError(`${fn}: mean must have a length that is a positive multiple of latentSize ${latentSize}, got ${mean.length}`);
  }
  checkFiniteArray(fn, 'logVariance', logVariance, mean.length);
  const d = latentSize;
  const n = mean.length / d;
  const m = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let u = 0; u < d; u++) m[u] += mean[i * d + u] / n;
  }
  const s = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let u = 0; u < d; u++) {
      const cu = mean[i * d + u] - m[u];
      s[u * d + u] += Math.exp(logVariance[i * d + u]) / n;
      for (let v = 0; v < d; v++) s[u * d + v] += (cu * (mean[i * d + v] - m[v])) / n;
    }
  }
  let trace = 0;
  let mm = 0;
  for (let u = 0; u < d; u++) {
    trace += s[u * d + u];
    mm += m[u] * m[u];
  }
  const logDet = logDetFromCholesky(cholesky(s, d, fn), d);
  return 0.5 * (trace + mm - d - logDet);
}

/**
 * KL(q ‖ N(mean, covariance)) by Monte Carlo, independent of any closed form:
 *   (1/S) Σ_s [log q(z_s) − log N(z_s; mean, covariance)],  z_s ~ q (diagonal Gaussian),
 * with the standard error of that average. covariance is L×L row-major, positive definite.
 */
export function monteCarloKlToGaussian(
  q: { mean: ArrayLike<number>; logVariance: ArrayLike<number> }, mean: ArrayLike<number>, covariance: ArrayLike<number>,
  random: Random, samples: number,
): { value: number; standardError: number } {
  const fn = 'monteCarloKlToGaussian';
  const l = mean.length;
  if (!q || q.mean.length !== l || q.logVariance.length !== l) throw new RangeError(`${fn}: q.mean and q.logVariance must have ${l} entries like mean`);
  if (covariance.length !== l * l) throw new RangeError(`${fn}: covariance must be ${l}×${l} row-major (${l * l} numbers), got ${covariance.length}`);
  checkRandom(fn, 'random', random);
  checkInteger(fn, 'samples', samples, 2);
  const factor = cholesky(covariance, l, fn);
  let sumLogVar = 0;
  for (let j = 0; j < l; j++) sumLogVar += q.logVariance[j];
  const logNormQ = -0.5 * (l * LOG_2PI + sumLogVar);
  const values = new Float64Array(samples);
  const z = new Float64Array(l);
  const diff = new Float64Array(l);
  for (let s = 0; s < samples; s++) {
    // log q(z) through the draw's own noise e = (z − μ)/σ, which it knows exactly.
    let quadQ = 0;
    for (let j = 0; j < l; j++) {
      const e = random.normal();
      z[j] = q.mean[j] + Math.exp(0.5 * q.logVariance[j]) * e;
      quadQ += e * e;
      diff[j] = z[j] - mean[j];
    }
    values[s] = logNormQ - 0.5 * quadQ - logNormalFromCholesky(factor, l, diff);
  }
  const e = meanAndStandardErrorOf(values, 0, samples);
  return { value: e.mean, standardError: e.standardError };
}

/**
 * KL(q ‖ p_θ(z|x)) from a quadrature2d result run with a q: the posterior density at q's grid
 * nodes is log p_θ(x, z_g) − log p_θ(x) (Bayes' rule, normalised by the posterior grid), and
 *   KL = Σ_g w_g [log q(z_g|x) − log p_θ(z_g|x)],  w_g = τ_g q(z_g|x) / Σ_h τ_h q(z_h|x).
 * With the posterior normalised by the same quadrature's log p_θ(x), this is algebraically
 * log p_θ(x) − the grid ELBO (quadrature2d's q.klToPosterior): the same number, not a second
 * route to the gap. An independent route: klToPosteriorByCubature (adaptiveCubature2d.ts).
 */
export function klToGridPosterior(result: QuadratureResult): number {
  const fn = 'klToGridPosterior';
  if (!result?.q) throw new TypeError(`${fn}: result must come from quadrature2d(decoder, x, { q })`);
  const { grid, logDensity, logJoint } = result.q;
  if (logDensity.length !== grid.logWeights.length || logJoint.length !== grid.logWeights.length) {
    throw new RangeError(`${fn}: result.q arrays must have one entry per grid node (${grid.logWeights.length})`);
  }
  let maxLog = -Infinity;
  for (let g = 0; g < logDensity.length; g++) maxLog = Math.max(maxLog, grid.logWeights[g] + logDensity[g]);
  let mass = 0;
  let sum = 0;
  for (let g = 0; g < logDensity.length; g++) {
    const w = Math.exp(grid.logWeights[g] + logDensity[g] - maxLog);
    const logPosterior = logJoint[g] - result.logMarginal;
    mass += w;
    sum += w * (logDensity[g] - logPosterior);
  }
  return sum / mass;
}
