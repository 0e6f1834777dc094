/**
 * Trend over a sweep, checked honestly: a per-example quantity measured on the SAME examples for
 * each entry of a sweep (e.g. the rate of eight models trained at eight values of β) should move
 * in one direction. Each consecutive step is judged on its paired difference,
 *   Δ_i = mean over examples of v_{i+1}(x) − v_i(x),   SE_i its paired standard error,
 * and may go the wrong way by at most `sigmas`·SE_i (Monte Carlo and optimisation noise):
 *   'nonIncreasing': Δ_i ≤ sigmas·SE_i,   'nonDecreasing': Δ_i ≥ −sigmas·SE_i.
 */
import { pairedDifference } from './estimate';

/** One step of a trend check: from sweep entry i to i + 1. */
export interface TrendStep {
  from: number;
  to: number;
  /** Mean over examples of value[i + 1] − value[i] (paired). */
  difference: number;
  standardError: number;
  /** Allowed move against the trend: sigmas · standardError. */
  slack: number;
  holds: boolean;
}

/**
 * The paired steps of a sweep and whether every one keeps the direction (see the module comment).
 * `perExample[i]` holds the values of sweep entry i, one per example, the examples in the same order.
 */
export function monotoneTrend(
  perExample: ArrayLike<number>[], direction: 'nonIncreasing' | 'nonDecreasing', sigmas = 4,
): { steps: TrendStep[]; allHold: boolean } {
  const fn = 'monotoneTrend';
  if (!Array.isArray(perExample) || perExample.length < 2) throw new RangeError(`${fn}: perExample must be an array of at least 2 per-example arrays (one per sweep entry)`);
  if (direction !== 'nonIncreasing' && direction !== 'nonDecreasing') {
    throw new RangeError(`${fn}: direction must be 'nonIncreasing' or 'nonDecreasing', got ${String(direction)}`);
  }
  if (!(typeof sigmas === 'number' && sigmas >= 0 && Number.isFinite(sigmas))) throw new RangeError(`${fn}: sigmas must be a finite number >= 0, got ${String(sigmas)}`);
  const steps: TrendStep[] = [];
  for (let i = 0; i + 1 < perExample.length; i++) {
    const d = pairedDifference(perExample[i + 1], perExample[i]);
    const slack = sigmas * d.standardError;
    const holds = direction === 'nonIncreasing' ? d.mean <= slack : d.mean >= -slack;
    steps.push({ from: i, to: i + 1, difference: d.mean, standardError: d.standardError, slack, holds });
  }
  return { steps, allHold: steps.every((s) => s.holds) };
}
