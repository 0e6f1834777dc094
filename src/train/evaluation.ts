/**
 * The one batched evaluation pass: encode every row of a data set, and (given a random
 * generator) decode one reparameterised sample per row. Every per-example metric of ELBO Lab —
 * the training metrics, the ELBO's two terms as rate and distortion, the encoder's widths, the
 * aggregate posterior — reads its numbers from this pass.
 *
 * For each row x, with q_φ(z|x) = N(μ(x), diag σ²(x)):
 *   KL_u(x)           = KL(N(μ_u, σ_u²) ‖ N(0, 1)) = −½ (1 + log σ_u² − μ_u² − σ_u²)   per dimension u,
 *   KL(x)             = Σ_u KL_u(x)                                (summed in float64),
 *   reconstruction(x) = log p_θ(x | z),  z = μ(x) + σ(x)·ε,  ε ~ N(0, I) from `random`
 *                       (one draw per row, drawn batch by batch in row order),
 *   ELBO(x)           = reconstruction(x) − KL(x).
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../random';
import { reparameterize } from '../distributions/gaussian';
import { klToStandardNormalPerDimension } from '../objectives/kl';
import type { GenerativeModel, InferenceModel } from '../objectives/types';
import { DataMatrix, checkDataMatrix } from '../data/matrix';
import { Estimate, meanEstimate } from '../stats/index';
import { checkInteger, checkObject, checkRandom } from '../checks';

/** An encoder q_φ(z|x) (a Vae, or anything with encode); its inputSize, when it has one, is checked against the data. */
export type Encoder = InferenceModel & { inputSize?: number };

/** What the pass returns; per-example arrays are row-major float64. */
export interface PerExampleTerms {
  count: number;
  latentSize: number;
  /** μ(x) of every row ([count·latentSize]). */
  encoderMean: Float64Array;
  /** log σ²(x) of every row ([count·latentSize]). */
  encoderLogVariance: Float64Array;
  /** KL_u(x) of every row and dimension ([count·latentSize]). */
  klPerDimension: Float64Array;
  /** KL(x) = Σ_u KL_u(x) ([count]). */
  kl: Float64Array;
  /** log p_θ(x|z) at one z ~ q_φ(z|x) per row ([count]); null when the pass only encoded. */
  reconstruction: Float64Array | null;
  /** reconstruction − KL ([count]); null when the pass only encoded. */
  elbo: Float64Array | null;
}

export interface PassOptions {
  /** Source of ε. Without it the pass only encodes (no decoder needed). */
  random?: Random;
  /** Rows per forward pass (default 500). */
  batchSize?: number;
}

/**
 * The evaluation pass over every row of `data` (see the module comment). Disposes all it makes.
 * `fn` names the caller in error messages (a metric built on the pass reports its own name).
 */
export function evaluatePerExample(model: Encoder & Partial<Pick<GenerativeModel, 'logLikelihood'>>, data: DataMatrix, options: PassOptions = {}, fn = 'evaluatePerExample'): PerExampleTerms {
  checkObject(fn, 'model', model);
  if (typeof model.encode !== 'function') throw new TypeError(`${fn}: model must have encode(x)`);
  checkDataMatrix(fn, 'data', data);
  if (model.inputSize !== undefined && data.features !== model.inputSize) {
    throw new RangeError(`${fn}: data must have ${model.inputSize} features per example (the model's inputSize), got ${data.features}`);
  }
  checkObject(fn, 'options', options);
  const random = options.random;
  if (random !== undefined) {
    checkRandom(fn, 'options.random', random);
    if (typeof model.logLikelihood !== 'function') throw new TypeError(`${fn}: model must have logLikelihood(x, z) to decode (options.random given)`);
  }
  const batchSize = checkInteger(fn, 'options.batchSize', options.batchSize ?? 500, 1);
  const n = data.count;
  const latent = model.latentSize;
  const encoderMean = new Float64Array(n * latent);
  const encoderLogVariance = new Float64Array(n * latent);
  const klPerDimension = new Float64Array(n * latent);
  const kl = new Float64Array(n);
  const reconstruction = random ? new Float64Array(n) : null;
  for (let start = 0; start < n; start += batchSize) {
    const rows = Math.min(batchSize, n - start);
    const noise = random ? random.normals(rows * latent) : null;
    const outputs = tf.tidy(() => {
      const x = tf.tensor2d(data.values.subarray(start * data.features, (start + rows) * data.features), [rows, data.features]);
      const q = model.encode(x);
      const parts: tf.Tensor[] = [q.mean, q.logVariance, klToStandardNormalPerDimension(q)];
      if (noise) parts.push(model.logLikelihood!(x, reparameterize(q, tf.tensor2d(noise, [rows, latent]))));
      return parts;
    });
    const [mean, logVariance, klDim, logLik] = outputs.map((t) => t.dataSync());
    tf.dispose(outputs);
    encoderMean.set(mean, start * latent);
    encoderLogVariance.set(logVariance, start * latent);
    klPerDimension.set(klDim, start * latent);
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let j = 0; j < latent; j++) s += klDim[i * latent + j];
      kl[start + i] = s;
    }
    if (reconstruction && logLik) reconstruction.set(logLik, start);
  }
  const elbo = reconstruction ? reconstruction.map((r, i) => r - kl[i]) : null;
  return { count: n, latentSize: latent, encoderMean, encoderLogVariance, klPerDimension, kl, reconstruction, elbo };
}

/** Mean over rows of each latent dimension's KL ([latentSize]); sums to the mean KL. */
export function meanKlPerDimension(terms: PerExampleTerms): Float64Array {
  const { count, latentSize, klPerDimension } = terms;
  const sums = new Float64Array(latentSize);
  for (let i = 0; i < count; i++) for (let j = 0; j < latentSize; j++) sums[j] += klPerDimension[i * latentSize + j];
  return sums.map((s) => s / count);
}

/**
 * The ELBO's two terms named as in Alemi et al. 2018, per example (nats):
 *   rate R(x) = KL(q_φ(z|x) ‖ p(z)),   distortion D(x) = −log p_θ(x|z),   ELBO(x) = −(R(x) + D(x)).
 */
export interface RateDistortion {
  rate: Float64Array;
  distortion: Float64Array;
  /** Mean rate of each latent dimension ([latentSize]). */
  ratePerDimension: Float64Array;
  /** μ(x) and log σ²(x) of every row ([count·latentSize]). */
  encoderMean: Float64Array;
  encoderLogVariance: Float64Array;
  rateMean: Estimate;
  distortionMean: Estimate;
}

/** Rate and distortion of every row of `data`, one z per row with ε from `random` (the evaluation pass). */
export function rateDistortion(model: Encoder & Pick<GenerativeModel, 'logLikelihood'>, data: DataMatrix, random: Random, batchSize = 500): RateDistortion {
  checkRandom('rateDistortion', 'random', random);
  const terms = evaluatePerExample(model, data, { random, batchSize }, 'rateDistortion');
  const distortion = terms.reconstruction!.map((r) => -r);
  return {
    rate: terms.kl, distortion, ratePerDimension: meanKlPerDimension(terms),
    encoderMean: terms.encoderMean, encoderLogVariance: terms.encoderLogVariance,
    rateMean: meanEstimate(terms.kl), distortionMean: meanEstimate(distortion),
  };
}
