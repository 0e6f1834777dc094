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
import * as tf from '@tensorflow/tfjs';
import { Random } from '../random';
import type { Vae } from '../models/vae';
import { DataMatrix, checkDataMatrix } from '../data/matrix';
import { reparameterize } from '../distributions/gaussian';
import { klToStandardNormalPerDimension } from '../objectives/kl';
import { Estimate, meanEstimate, pairedDifference } from '../stats/index';

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

/** Rate and distortion of every example of a data set under one model. */
export interface RateDistortion {
  /** KL(q_φ(z|x) ‖ p(z)) per example (closed form, summed over latent dimensions), nats. */
  rate: Float64Array;
  /** −log p_θ(x|z) per example with one z ~ q_φ(z|x) (summed over pixels), nats. */
  distortion: Float64Array;
  /** Mean over examples of the KL of each latent dimension ([latentSize]); sums to mean rate. */
  ratePerDimension: Float64Array;
  /** The encoder mean μ_φ(x), row-major [count, latentSize]. */
  encoderMean: Float64Array;
  /** The encoder log σ²_φ(x), row-major [count, latentSize]. */
  encoderLogVariance: Float64Array;
  rateMean: Estimate;
  distortionMean: Estimate;
}

/**
 * Rate R(x) = KL(q_φ(z|x) ‖ p(z)) and distortion D(x) = −log p_θ(x|z), z = μ + σ·ε with ε from
 * `random` (one draw per example), for every row of `data` (binary or in [0, 1] for Bernoulli).
 * ELBO(x) = −(R(x) + D(x)). Disposes every tensor it makes.
 */
export function rateDistortion(model: Vae, data: DataMatrix, random: Random, batchSize = 500): RateDistortion {
  const fn = 'rateDistortion';
  if (model === null || typeof model !== 'object' || typeof model.encode !== 'function' || typeof model.logLikelihood !== 'function') {
    throw new TypeError(`${fn}: model must be a Vae`);
  }
  checkDataMatrix(data, fn, 'data');
  if (data.features !== model.inputSize) throw new RangeError(`${fn}: data must have ${model.inputSize} features per example (the model's inputSize), got ${data.features}`);
  if (!(random instanceof Random)) throw new TypeError(`${fn}: random must be a Random`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`${fn}: batchSize must be an integer >= 1, got ${batchSize}`);
  const n = data.count;
  const latent = model.latentSize;
  const rate = new Float64Array(n);
  const distortion = new Float64Array(n);
  const ratePerDimension = new Float64Array(latent);
  const encoderMean = new Float64Array(n * latent);
  const encoderLogVariance = new Float64Array(n * latent);
  for (let start = 0; start < n; start += batchSize) {
    const rows = Math.min(batchSize, n - start);
    const noise = random.normals(rows * latent);
    const [logLik, klDim, mean, logVariance] = tf.tidy(() => {
      const x = tf.tensor2d(data.values.subarray(start * data.features, (start + rows) * data.features), [rows, data.features]);
      const q = model.encode(x);
      const z = reparameterize(q, tf.tensor2d(noise, [rows, latent]));
      return [model.logLikelihood(x, z), klToStandardNormalPerDimension(q), q.mean, q.logVariance];
    });
    const ll = logLik.dataSync();
    const kd = klDim.dataSync();
    encoderMean.set(mean.dataSync(), start * latent);
    encoderLogVariance.set(logVariance.dataSync(), start * latent);
    tf.dispose([logLik, klDim, mean, logVariance]);
    for (let i = 0; i < rows; i++) {
      distortion[start + i] = -ll[i];
      let s = 0;
      for (let j = 0; j < latent; j++) {
        s += kd[i * latent + j];
        ratePerDimension[j] += kd[i * latent + j];
      }
      rate[start + i] = s;
    }
  }
  for (let j = 0; j < latent; j++) ratePerDimension[j] /= n;
  return {
    rate, distortion, ratePerDimension, encoderMean, encoderLogVariance,
    rateMean: meanEstimate(rate), distortionMean: meanEstimate(distortion),
  };
}
