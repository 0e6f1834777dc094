/**
 * Rank statistics: Spearman's rank correlation, ties sharing their average rank.
 *
 *   ρ = Σ (r_i − r̄)(s_i − r̄) / √(Σ (r_i − r̄)² · Σ (s_i − r̄)²),   r̄ = (n + 1)/2,
 * the Pearson correlation of the ranks r of x and s of y (average ranks keep r̄ = (n + 1)/2).
 */
import { checkFiniteArray } from '../checks';

/** Ranks 1..n of `values`, ties sharing their average rank (e.g. [5, 7, 7, 9] → [1, 2.5, 2.5, 4]). */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const v = checkFiniteArray('averageRanks', 'values', values);
  const order = Array.from({ length: v.length }, (_, i) => i).sort((i, j) => v[i] - v[j]);
  const out = new Float64Array(v.length);
  let start = 0;
  while (start < order.length) {
    let end = start;
    while (end + 1 < order.length && v[order[end + 1]] === v[order[start]]) end++;
    const rank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) out[order[k]] = rank;
    start = end + 1;
  }
  return out;
}

/** Spearman's rank correlation of paired x and y, in [−1, 1]. */
export function spearmanCorrelation(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const fn = 'spearmanCorrelation';
  const vx = checkFiniteArray(fn, 'x', x);
  const vy = checkFiniteArray(fn, 'y', y);
  if (vx.length < 2) throw new RangeError(`${fn}: x must hold at least 2 numbers, got ${vx.length}`);
  if (vx.length !== vy.length) throw new RangeError(`${fn}: x and y must have the same length, got ${vx.length} and ${vy.length}`);
  const rx = averageRanks(vx);
  const ry = averageRanks(vy);
  const n = rx.length;
  const mean = (n + 1) / 2;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (rx[i] - mean) * (ry[i] - mean);
    sxx += (rx[i] - mean) ** 2;
    syy += (ry[i] - mean) ** 2;
  }
  if (sxx === 0 || syy === 0) throw new RangeError(`${fn}: x and y must each hold at least two different values`);
  return sxy / Math.sqrt(sxx * syy);
}
