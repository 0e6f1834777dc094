/**
 * How well the codes of a data set fill the prior (§4, reason 1: sampling).
 *
 * The aggregate posterior of N examples is the mixture of their encoder Gaussians,
 *   q(z) = (1/N) Σ_n q_φ(z | x_n) = (1/N) Σ_n N(z; μ_n, diag σ_n²).
 * Generation draws z ~ p(z) = N(0, I). Where p puts mass and q does not is "dead space": the
 * decoder was never trained there. The functions below measure it from both sides:
 *   KL(q ‖ p) = E_q[log q(z) − log p(z)]   (codes outside the prior: wasted prior mass elsewhere),
 *   KL(p ‖ q) = E_p[log p(z) − log q(z)]   (prior samples where no code lives),
 * and a Gaussian lower bound on KL(q ‖ p) from the mixture's first two moments.
 * Densities are computed in float64 in JavaScript (the mixture's log-sum-exp over N components
 * loses too much in float32 when the σ_n are tiny, as in a model trained without the KL term).
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../random';
import { DiagonalGaussian, checkDiagonalGaussian, LOG_2PI } from '../distributions/gaussian';
import type { DataMatrix } from '../data/matrix';
import { Encoder, evaluatePerExample } from '../train/evaluation';
import { checkMatrix, checkInteger, checkRandom } from '../tensorChecks';
import { Estimate, meanEstimate } from '../stats/index';
import { aggregatePosteriorGaussianKl } from '../exact/kl';

/** The mixture components as float64 arrays: means and variances, row-major [N, d]. */
export interface AggregatePosterior {
  readonly count: number;
  readonly latentSize: number;
  readonly means: Float64Array;
  readonly logVariances: Float64Array;
}

/** Copies an encoder output (mean, logVariance [N, d]) into an AggregatePosterior. Does not dispose it. */
export function aggregatePosterior(encoder: DiagonalGaussian): AggregatePosterior {
  checkDiagonalGaussian('aggregatePosterior', 'encoder', encoder);
  const [count, latentSize] = encoder.mean.shape;
  return {
    count,
    latentSize,
    means: Float64Array.from(encoder.mean.dataSync()),
    logVariances: Float64Array.from(encoder.logVariance.dataSync()),
  };
}

/** The aggregate posterior of `model`'s encoder over every row of `data` (encoded in batches; disposes what it makes). */
export function aggregatePosteriorOf(model: Encoder, data: DataMatrix, batchSize = 500): AggregatePosterior {
  const terms = evaluatePerExample(model, data, { batchSize }, 'aggregatePosteriorOf');
  return { count: terms.count, latentSize: terms.latentSize, means: terms.encoderMean, logVariances: terms.encoderLogVariance };
}

function checkAggregate(fn: string, q: AggregatePosterior): void {
  if (q === null || typeof q !== 'object' || !(q.means instanceof Float64Array) || !(q.logVariances instanceof Float64Array)) {
    throw new TypeError(`${fn}: aggregate must be an AggregatePosterior (from aggregatePosterior(encoder))`);
  }
  checkInteger(fn, 'aggregate.count', q.count, 1);
  checkInteger(fn, 'aggregate.latentSize', q.latentSize, 1);
  const size = q.count * q.latentSize;
  if (q.means.length !== size || q.logVariances.length !== size) {
    throw new RangeError(`${fn}: aggregate.means and aggregate.logVariances must have count·latentSize = ${size} entries, got ${q.means.length} and ${q.logVariances.length}`);
  }
}

function rowsOf(fn: string, name: string, z: tf.Tensor2D | Float64Array, latentSize: number): Float64Array {
  if (z instanceof Float64Array) {
    if (z.length % latentSize !== 0 || z.length === 0) {
      throw new RangeError(`${fn}: ${name} must hold whole rows of ${latentSize} values, got ${z.length} values`);
    }
    return z;
  }
  checkMatrix(fn, name, z, latentSize);
  return Float64Array.from(z.dataSync());
}

/**
 * log q(z) of the aggregate posterior at each row of z:
 *   log q(z) = log (1/N) Σ_n N(z; μ_n, diag σ_n²)   (log-sum-exp over the N components, float64).
 * z: [m, d] tensor (not disposed) or row-major Float64Array. Returns [m] values in nats.
 */
export function aggregatePosteriorLogDensity(aggregate: AggregatePosterior, z: tf.Tensor2D | Float64Array): Float64Array {
  const fn = 'aggregatePosteriorLogDensity';
  checkAggregate(fn, aggregate);
  const d = aggregate.latentSize;
  const rows = rowsOf(fn, 'z', z, d);
  const m = rows.length / d;
  const n = aggregate.count;
  // Per component: the constant −½ Σ_j (log 2π + log σ²_nj) and the precisions 1/σ²_nj.
  const constant = new Float64Array(n);
  const precision = new Float64Array(n * d);
  for (let c = 0; c < n; c++) {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const lv = aggregate.logVariances[c * d + j];
      s += LOG_2PI + lv;
      precision[c * d + j] = Math.exp(-lv);
    }
    constant[c] = -0.5 * s;
  }
  const out = new Float64Array(m);
  const logs = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    let best = -Infinity;
    for (let c = 0; c < n; c++) {
      let q = 0;
      for (let j = 0; j < d; j++) {
        const diff = rows[i * d + j] - aggregate.means[c * d + j];
        q += diff * diff * precision[c * d + j];
      }
      const v = constant[c] - 0.5 * q;
      logs[c] = v;
      if (v > best) best = v;
    }
    let sum = 0;
    for (let c = 0; c < n; c++) sum += Math.exp(logs[c] - best);
    out[i] = best + Math.log(sum) - Math.log(n);
  }
  return out;
}

/** log p(z) = −½ Σ_j (log 2π + z_j²) of the prior N(0, I), per row, float64. */
export function priorLogDensityRows(z: Float64Array, latentSize: number): Float64Array {
  const fn = 'priorLogDensityRows';
  checkInteger(fn, 'latentSize', latentSize, 1);
  const rows = rowsOf(fn, 'z', z, latentSize);
  const m = rows.length / latentSize;
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < latentSize; j++) s += LOG_2PI + rows[i * latentSize + j] ** 2;
    out[i] = -0.5 * s;
  }
  return out;
}

/** count draws from the mixture q(z): pick a component uniformly, then z = μ_n + σ_n ε. Row-major [count, d]. */
export function sampleAggregatePosterior(aggregate: AggregatePosterior, count: number, random: Random): Float64Array {
  const fn = 'sampleAggregatePosterior';
  checkAggregate(fn, aggregate);
  checkInteger(fn, 'count', count, 1);
  checkRandom(fn, 'random', random);
  const d = aggregate.latentSize;
  const out = new Float64Array(count * d);
  for (let i = 0; i < count; i++) {
    const c = random.integer(aggregate.count);
    for (let j = 0; j < d; j++) {
      out[i * d + j] = aggregate.means[c * d + j] + Math.exp(0.5 * aggregate.logVariances[c * d + j]) * random.normal();
    }
  }
  return out;
}

/** Prior draws z ~ N(0, I) as a row-major Float64Array [count, d] (the float32 draws of Random.normals). */
export function priorSamplesFloat64(count: number, latentSize: number, random: Random): Float64Array {
  const fn = 'priorSamplesFloat64';
  checkInteger(fn, 'count', count, 1);
  checkInteger(fn, 'latentSize', latentSize, 1);
  checkRandom(fn, 'random', random);
  return Float64Array.from(random.normals(count * latentSize));
}

export interface PriorFit {
  /** KL(q ‖ p) = E_q[log q(z) − log p(z)], Monte Carlo over z ~ q (nats). */
  klAggregateToPrior: Estimate;
  /** KL(p ‖ q) = E_p[log p(z) − log q(z)], Monte Carlo over z ~ p (nats). */
  klPriorToAggregate: Estimate;
  /** Mean log q(z) at the prior samples (nats). */
  meanAggregateLogDensityAtPriorSamples: number;
  /** KL(N(m, S) ‖ N(0, I)) of the Gaussian with the mixture's mean and covariance: a lower bound on KL(q ‖ p). */
  momentMatchedKl: number;
}

export interface PriorFitOptions {
  /** Monte Carlo samples from each side (default 1000). */
  samples?: number;
}

/**
 * Both KL directions between the aggregate posterior q(z) and the prior p(z) (Monte Carlo with
 * standard errors), the mean log q(z) at prior samples, and the moment-matched lower bound
 *   KL(q ‖ p) ≥ KL(N(m, S) ‖ N(0, I)),
 * which holds because, among densities with a given mean and covariance, the Gaussian has the
 * largest entropy while E_q[log p(z)] depends on the first two moments only.
 */
export function priorFit(aggregate: AggregatePosterior, random: Random, options: PriorFitOptions = {}): PriorFit {
  const fn = 'priorFit';
  checkAggregate(fn, aggregate);
  checkRandom(fn, 'random', random);
  const samples = checkInteger(fn, 'options.samples', options.samples ?? 1000, 2);
  const d = aggregate.latentSize;

  const fromQ = sampleAggregatePosterior(aggregate, samples, random);
  const logQatQ = aggregatePosteriorLogDensity(aggregate, fromQ);
  const logPatQ = priorLogDensityRows(fromQ, d);
  const klQP = meanEstimate(logQatQ.map((v, i) => v - logPatQ[i]));

  const fromP = priorSamplesFloat64(samples, d, random);
  const logQatP = aggregatePosteriorLogDensity(aggregate, fromP);
  const logPatP = priorLogDensityRows(fromP, d);
  const klPQ = meanEstimate(logPatP.map((v, i) => v - logQatP[i]));
  let sumLogQ = 0;
  for (let i = 0; i < samples; i++) sumLogQ += logQatP[i];
  return {
    klAggregateToPrior: klQP,
    klPriorToAggregate: klPQ,
    meanAggregateLogDensityAtPriorSamples: sumLogQ / samples,
    momentMatchedKl: aggregatePosteriorGaussianKl(aggregate.means, aggregate.logVariances, aggregate.latentSize),
  };
}
