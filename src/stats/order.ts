/**
 * Order statistics: the median of a list of numbers,
 *   median = v_(m+1)                    for n = 2m + 1 values,
 *   median = ½ (v_(m) + v_(m+1))        for n = 2m values,
 * with v_(1) ≤ … ≤ v_(n) the values sorted in increasing order.
 */
import { checkFiniteArray } from '../checks';

/** Median of `values` (the mean of the two middle values for an even count); values must be finite. */
export function median(values: ArrayLike<number>): number {
  const fn = 'median';
  checkFiniteArray(fn, 'values', values);
  if (values.length === 0) throw new RangeError(`${fn}: values must not be empty`);
  const sorted = Float64Array.from(values).sort();
  const h = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[h] : 0.5 * (sorted[h - 1] + sorted[h]);
}
