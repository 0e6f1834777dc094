/**
 * Measuring posterior collapse (notebook 05, document §5): when the KL term dominates, the
 * encoder returns q_φ(z|x) ≈ p(z) for every x, z carries no information about x, and the decoder
 * learns to ignore z.
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../random';
import { logSumExp } from '../exact/linearAlgebra';
import { RateDistortion, rateDistortion } from '../train/evaluation';
import { Estimate, meanEstimate } from '../stats/index';
import type { Vae } from '../models/vae';
import type { DataMatrix } from '../data/matrix';
import { columnVariances } from '../train/metrics';

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * Spread of a set of images in pixel space: the mean over images of the squared distance to
 * their mean image, Σ_pixels (x_ij − x̄_j)², averaged over i. Zero when all images are equal.
 * Applied to decodes of different z ~ p(z), it measures how much the decoder uses z.
 * `images` is [count, pixels] (tensor or row-major array with `pixels` given).
 */
export function pixelSpread(images: tf.Tensor2D | Float32Array | Float64Array, pixels?: number): number {
  const fn = 'pixelSpread';
  let values: Float32Array | Float64Array;
  let d: number;
  if (images instanceof tf.Tensor) {
    if (images.rank !== 2 || images.shape[0] < 1) throw new RangeError(`${fn}: images must be a 2-D tensor [count, pixels], got shape [${images.shape}]`);
    values = images.dataSync() as Float32Array;
    d = images.shape[1];
  } else if (images instanceof Float32Array || images instanceof Float64Array) {
    if (!Number.isInteger(pixels) || (pixels as number) < 1 || images.length % (pixels as number) !== 0 || images.length === 0) {
      throw new RangeError(`${fn}: pixels must be an integer >= 1 dividing images.length (${images.length}), got ${String(pixels)}`);
    }
    values = images;
    d = pixels as number;
  } else {
    throw new TypeError(`${fn}: images must be a 2-D tensor or a Float32Array/Float64Array with pixels given`);
  }
  const n = values.length / d;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += values[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  let total = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) total += (values[i * d + j] - mean[j]) ** 2;
  if (!Number.isFinite(total)) throw new RangeError(`${fn}: images must hold finite numbers`);
  return total / n;
}

/**
 * How much the decoder uses z: the pixelSpread of the decoder means of `count` draws z ~ p(z)
 * (the same draws for every model given the same seed). Disposes what it makes.
 */
export function decoderSpreadOverPrior(decoder: { latentSize: number; decode(z: tf.Tensor2D): tf.Tensor2D }, count: number, random: Random): number {
  const fn = 'decoderSpreadOverPrior';
  if (decoder === null || typeof decoder !== 'object' || typeof decoder.decode !== 'function') throw new TypeError(`${fn}: decoder must be a Vae (with decode)`);
  if (!Number.isInteger(count) || count < 2) throw new RangeError(`${fn}: count must be an integer >= 2, got ${count}`);
  if (!(random instanceof Random)) throw new TypeError(`${fn}: random must be a Random`);
  const images = tf.tidy(() => decoder.decode(tf.tensor2d(random.normals(count * decoder.latentSize), [count, decoder.latentSize])));
  try {
    return pixelSpread(images);
  } finally {
    images.dispose();
  }
}

function diagonalLogDensity(z: Float64Array, mean: ArrayLike<number>, logVariance: ArrayLike<number>, offset: number, d: number): number {
  let s = 0;
  for (let u = 0; u < d; u++) {
    const lv = logVariance[offset + u];
    s += LOG_2PI + lv + (z[u] - mean[offset + u]) ** 2 * Math.exp(-lv);
  }
  return -0.5 * s;
}

/**
 * Monte Carlo estimate of the mutual information between x and z under the encoder,
 *   I_q(x; z) = E_x E_{q_φ(z|x)}[ log q_φ(z|x) − log q_φ(z) ],   q_φ(z) = (1/N) Σ_j q_φ(z|x_j)
 * (the aggregate posterior over the N examples given; Hoffman & Johnson 2016). One z per
 * example from `random`; returns the mean over examples and its standard error. It lies in
 * [0, log N] up to Monte Carlo noise and never exceeds the mean rate E_x KL(q_φ(z|x) ‖ p(z))
 * in expectation; it is ≈ 0 when q_φ(z|x) is the same for every x (collapse).
 * `mean` and `logVariance` are row-major [count, latentSize].
 */
export function encoderMutualInformation(
  mean: ArrayLike<number>, logVariance: ArrayLike<number>, latentSize: number, random: Random,
): Estimate {
  const fn = 'encoderMutualInformation';
  if (!Number.isInteger(latentSize) || latentSize < 1) throw new RangeError(`${fn}: latentSize must be an integer >= 1, got ${latentSize}`);
  if (!(random instanceof Random)) throw new TypeError(`${fn}: random must be a Random`);
  if (mean === null || typeof mean !== 'object' || typeof mean.length !== 'number') throw new TypeError(`${fn}: mean must be an array of numbers`);
  if (logVariance === null || typeof logVariance !== 'object' || logVariance.length !== mean.length) {
    throw new RangeError(`${fn}: logVariance must be an array of the same length as mean (${mean.length})`);
  }
  const d = latentSize;
  if (mean.length === 0 || mean.length % d !== 0) throw new RangeError(`${fn}: mean.length must be a positive multiple of latentSize ${d}, got ${mean.length}`);
  for (let i = 0; i < mean.length; i++) {
    if (!Number.isFinite(mean[i]) || !Number.isFinite(logVariance[i])) throw new RangeError(`${fn}: mean and logVariance must be finite (entry ${i})`);
  }
  const n = mean.length / d;
  if (n < 2) throw new RangeError(`${fn}: needs at least 2 examples, got ${n}`);
  const perExample = new Float64Array(n);
  const z = new Float64Array(d);
  const logDensities = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let u = 0; u < d; u++) z[u] = mean[i * d + u] + Math.exp(0.5 * logVariance[i * d + u]) * random.normal();
    for (let j = 0; j < n; j++) logDensities[j] = diagonalLogDensity(z, mean, logVariance, j * d, d);
    perExample[i] = logDensities[i] - (logSumExp(logDensities) - Math.log(n));
  }
  return meanEstimate(perExample);
}

/** Latent dimensions whose mean KL exceeds `threshold` nats (default 0.1): the units that carry information. */
export function informativeUnits(ratePerDimension: ArrayLike<number>, threshold = 0.1): number {
  const fn = 'informativeUnits';
  if (ratePerDimension === null || typeof ratePerDimension !== 'object' || typeof ratePerDimension.length !== 'number') {
    throw new TypeError(`${fn}: ratePerDimension must be an array of numbers`);
  }
  if (!(typeof threshold === 'number' && threshold >= 0 && Number.isFinite(threshold))) throw new RangeError(`${fn}: threshold must be a finite number >= 0, got ${String(threshold)}`);
  let count = 0;
  for (let u = 0; u < ratePerDimension.length; u++) {
    if (!Number.isFinite(ratePerDimension[u])) throw new RangeError(`${fn}: ratePerDimension[${u}] must be finite, got ${ratePerDimension[u]}`);
    if (ratePerDimension[u] > threshold) count++;
  }
  return count;
}

/**
 * Blur of decoded images: the mean over images of the Bernoulli entropy of their pixels,
 *   H(x) = Σ_j −[p_j log p_j + (1 − p_j) log(1 − p_j)]  (nats, summed over pixels),
 * where p is the decoder's pixel probability. Crisp images (p near 0 or 1) have low entropy;
 * a decoder that hedges toward the average digit has high entropy. `probabilities` is [count, pixels].
 */
export function meanPixelEntropy(probabilities: tf.Tensor2D): number {
  const fn = 'meanPixelEntropy';
  if (!(probabilities instanceof tf.Tensor) || probabilities.rank !== 2 || probabilities.shape[0] < 1) {
    throw new TypeError(`${fn}: probabilities must be a 2-D tensor [count, pixels]`);
  }
  const p = probabilities.dataSync();
  const n = probabilities.shape[0];
  let total = 0;
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    if (!(v >= 0 && v <= 1)) throw new RangeError(`${fn}: probabilities must lie in [0, 1], got ${v} at entry ${i}`);
    if (v > 0) total -= v * Math.log(v);
    if (v < 1) total -= (1 - v) * Math.log(1 - v);
  }
  return total / n;
}

/** What notebook 05 records of each model of the β sweep (all on the same examples, ε and prior draws). */
export interface BetaModelSummary {
  rateDistortion: RateDistortion;
  /** encoderMutualInformation on the first `miCount` examples. */
  mutualInformation: Estimate;
  /** pixelSpread of decodes of `priorCount` draws z ~ p(z). */
  priorDecodeSpread: number;
  /** meanPixelEntropy of those decodes (nats per image). */
  priorDecodeEntropy: number;
  /** Units with Cov_x(E_q[z_u]) > 0.01 (Burda et al. 2015). */
  activeUnits: number;
  /** Units with mean KL_u > 0.1 nats. */
  informativeUnits: number;
  /** exp(½ · mean of log σ²) over examples and dimensions: the typical encoder σ. */
  typicalEncoderSigma: number;
  /** Decoder means of the first `showCount` examples through the encoder mean, row-major. */
  reconstructions: Float32Array;
  /** Decoder means of the first `showCount` prior draws, row-major. */
  priorSamples: Float32Array;
}

/**
 * Measures one model of a β sweep: rate and distortion per example (ε from Random(seed)), the
 * encoder's mutual information, active and informative units, and what the decoder makes of
 * prior draws (z from Random(seed + 1)). The same seed for every model makes the comparison paired.
 */
export function summarizeBetaModel(
  model: Vae, data: DataMatrix,
  options: { seed: number; showCount?: number; priorCount?: number; miCount?: number },
): BetaModelSummary {
  const fn = 'summarizeBetaModel';
  if (options === null || typeof options !== 'object' || !Number.isInteger(options.seed) || options.seed < 0 || options.seed >= 0xffffffff) {
    throw new RangeError(`${fn}: options.seed must be an integer in [0, 2^32 − 1)`);
  }
  const showCount = options.showCount ?? 8;
  const priorCount = options.priorCount ?? 200;
  const miCount = Math.min(options.miCount ?? 500, data.count);
  if (!Number.isInteger(showCount) || showCount < 1 || showCount > Math.min(data.count, priorCount)) {
    throw new RangeError(`${fn}: options.showCount must be an integer in [1, min(data.count, priorCount)], got ${showCount}`);
  }
  const rd = rateDistortion(model, data, new Random(options.seed));
  const latent = model.latentSize;
  const mutualInformation = encoderMutualInformation(
    rd.encoderMean.subarray(0, miCount * latent), rd.encoderLogVariance.subarray(0, miCount * latent), latent, new Random(options.seed + 2),
  );
  const variances = columnVariances(rd.encoderMean, data.count, latent);
  let activeUnits = 0;
  for (const v of variances) if (v > 0.01) activeUnits++;
  let sumLogVariance = 0;
  for (const v of rd.encoderLogVariance) sumLogVariance += v;
  const priorRandom = new Random(options.seed + 1);
  const decodes = tf.tidy(() => model.decode(model.samplePriorLatents(priorCount, priorRandom)));
  const shown = tf.tidy(() => model.reconstruct(tf.tensor2d(data.values.subarray(0, showCount * data.features), [showCount, data.features])));
  try {
    return {
      rateDistortion: rd,
      mutualInformation,
      priorDecodeSpread: pixelSpread(decodes),
      priorDecodeEntropy: meanPixelEntropy(decodes),
      activeUnits,
      informativeUnits: informativeUnits(rd.ratePerDimension),
      typicalEncoderSigma: Math.exp(0.5 * (sumLogVariance / rd.encoderLogVariance.length)),
      reconstructions: Float32Array.from(shown.dataSync()),
      priorSamples: Float32Array.from(decodes.dataSync().subarray(0, showCount * data.features)),
    };
  } finally {
    tf.dispose([decodes, shown]);
  }
}
