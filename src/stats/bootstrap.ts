/**
 * The nonparametric bootstrap standard error of a statistic T of n rows (Efron 1979):
 * draw B resamples of n row indices with replacement, T_b = T(resample b), and
 *   SE_boot = √( Σ_b (T_b − T̄)² / (B − 1) ),   T̄ = (1/B) Σ_b T_b,
 * the spread of T over resamples (a standard deviation of the replicates, not a mean's SE).
 */
import type { Random } from '../random';
import { checkInteger, checkRandom } from '../checks';

/**
 * Bootstrap standard error of `statistic`, called with each resample's row indices (n of
 * them, drawn in order from `random`: the same generator state gives the same answer). The
 * index array is reused between calls: read it, do not keep it.
 */
export function bootstrapStandardError(
  n: number, statistic: (rows: Int32Array) => number, random: Random, resamples = 200,
): number {
  const fn = 'bootstrapStandardError';
  checkInteger(fn, 'n', n, 1);
  if (typeof statistic !== 'function') throw new TypeError(`${fn}: statistic must be a function of the row indices, got ${typeof statistic}`);
  checkRandom(fn, 'random', random);
  checkInteger(fn, 'resamples', resamples, 2);
  const values = new Float64Array(resamples);
  const rows = new Int32Array(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) rows[i] = random.integer(n);
    values[b] = statistic(rows);
  }
  // T̄ accumulated as Σ T_b / B (not Σ T_b, then / B): the rounding the notebooks' numbers were made with.
  let mean = 0;
  for (const v of values) mean += v / resamples;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  return Math.sqrt(ss / (resamples - 1));
}
