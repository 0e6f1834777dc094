/**
 * A sample mean with its standard error: the one estimate shape every layer of ELBO Lab returns.
 *
 * For n values v_1..v_n:
 *   mean = (1/n) Σ v_i,   s² = Σ (v_i − mean)² / (n − 1),   SE = √(s² / n)   (NaN when n = 1).
 * Combinations of estimates (paired, independent, averaged) live here too, so that each
 * formula exists once in src/.
 */
import { checkFiniteArray } from '../checks';

/** A sample mean, its standard error s/√n, and the number of values n behind it. */
export interface Estimate {
  mean: number;
  standardError: number;
  n: number;
}

/** Anything that carries a mean and its standard error (an Estimate, or a difference of two). */
export interface EstimateLike {
  mean: number;
  standardError: number;
  n?: number;
}

/**
 * The core of every mean ± SE in src/: values[start, start + count), two passes (mean, then
 * squared deviations; the two-pass form does not cancel when the mean is large). Values are
 * not checked, so Monte Carlo rows holding −∞ or NaN propagate them as before.
 */
export function meanAndStandardErrorOf(values: ArrayLike<number>, start: number, count: number): Estimate {
  let sum = 0;
  for (let j = 0; j < count; j++) sum += values[start + j];
  const mean = sum / count;
  let ss = 0;
  for (let j = 0; j < count; j++) ss += (values[start + j] - mean) ** 2;
  return { mean, standardError: count > 1 ? Math.sqrt(ss / (count - 1) / count) : NaN, n: count };
}

/** Mean of `values` and its standard error √(s²/n) (NaN for one value); values must be finite. */
export function meanEstimate(values: ArrayLike<number>): Estimate {
  const fn = 'meanEstimate';
  const v = checkFiniteArray(fn, 'values', values);
  if (v.length < 1) throw new RangeError(`${fn}: values must hold at least 1 number, got 0`);
  return meanAndStandardErrorOf(v, 0, v.length);
}

/**
 * Paired difference of two measurements on the SAME items: the estimate of the mean of
 * d_i = a_i − b_i. Pairing removes the item-to-item spread both share.
 */
export function pairedDifference(a: ArrayLike<number>, b: ArrayLike<number>): Estimate {
  const fn = 'pairedDifference';
  const va = checkFiniteArray(fn, 'a', a);
  const vb = checkFiniteArray(fn, 'b', b);
  if (va.length < 2) throw new RangeError(`${fn}: a must hold at least 2 numbers, got ${va.length}`);
  if (va.length !== vb.length) throw new RangeError(`${fn}: a and b must have the same length (paired items), got ${va.length} and ${vb.length}`);
  const d = Float64Array.from({ length: va.length }, (_, i) => va[i] - vb[i]);
  return meanAndStandardErrorOf(d, 0, d.length);
}

function checkEstimate(fn: string, name: string, value: unknown): { mean: number; standardError: number } {
  const e = value as { mean?: unknown; standardError?: unknown } | null;
  if (e === null || typeof e !== 'object' || typeof e.mean !== 'number' || typeof e.standardError !== 'number') {
    throw new TypeError(`${fn}: ${name} must be an estimate { mean, standardError, n }, got ${value === null ? 'null' : typeof value}`);
  }
  return e as { mean: number; standardError: number };
}

/**
 * Difference a − b of two INDEPENDENT estimates (different items): the variances add,
 *   SE(a − b) = √(SE_a² + SE_b²).
 * (For the same items use pairedDifference, which is tighter.)
 */
export function independentDifference(a: EstimateLike, b: EstimateLike): { mean: number; standardError: number } {
  const fn = 'independentDifference';
  const ea = checkEstimate(fn, 'a', a);
  const eb = checkEstimate(fn, 'b', b);
  return { mean: ea.mean - eb.mean, standardError: Math.sqrt(ea.standardError ** 2 + eb.standardError ** 2) };
}

/**
 * Average of n independent estimates (e.g. per-example Monte Carlo means over a batch):
 *   mean = (1/n) Σ m_i,   SE = √(Σ SE_i²) / n.
 */
export function meanOfIndependentEstimates(means: ArrayLike<number>, standardErrors: ArrayLike<number>): { mean: number; standardError: number } {
  const fn = 'meanOfIndependentEstimates';
  if (means === null || typeof means !== 'object' || typeof means.length !== 'number' || means.length < 1) {
    throw new TypeError(`${fn}: means must be a non-empty array of numbers`);
  }
  if (standardErrors === null || typeof standardErrors !== 'object' || standardErrors.length !== means.length) {
    throw new RangeError(`${fn}: standardErrors must be an array of the same length as means (${means.length})`);
  }
  let s = 0;
  let v = 0;
  for (let i = 0; i < means.length; i++) { s += means[i]; v += standardErrors[i] ** 2; }
  return { mean: s / means.length, standardError: Math.sqrt(v) / means.length };
}
