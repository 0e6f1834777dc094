/**
 * The β sweep of notebook 05 (document §5): rate and distortion per example, and honest trend
 * checks over β.
 *
 * With the β-weighted objective  −E_q[log p_θ(x|z)] + β·KL(q_φ(z|x) ‖ p(z))  (Higgins et al. 2017)
 * the two terms are named as in Alemi et al. 2018:
 *   rate R(x)       = KL(q_φ(z|x) ‖ p(z))          (nats the code spends on x),
 *   distortion D(x) = −E_q[log p_θ(x|z)]           (nats the decoder still misses),
 * so that ELBO(x) = −(R(x) + D(x)). Per-example quantities are sums over pixels / latent
 * dimensions; the summaries are means over examples, with standard errors over examples.
 */
import { pairedDifference } from '../stats/index';

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
 * Checks that a per-example quantity measured on the same examples for each entry of a sweep
 * moves in one direction, allowing each consecutive step to go the wrong way by at most
 * `sigmas` paired standard errors (Monte Carlo and optimisation noise):
 *   'nonIncreasing': mean(v[i+1] − v[i]) ≤ sigmas·SE,   'nonDecreasing': mean(v[i+1] − v[i]) ≥ −sigmas·SE.
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

/** Rate and distortion per example now come from the one evaluation pass (src/train/evaluation.ts). */
export { RateDistortion, rateDistortion } from '../train/evaluation';
