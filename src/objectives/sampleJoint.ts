/**
 * The one sampling routine behind the ELBO, the importance-weighted bound and the Monte Carlo
 * derivation steps: draw z_s ~ q_φ(z|x) and record, per example and sample,
 *   log p_θ(x|z_s),  log p(z_s),  log q_φ(z_s|x)     (float32 values, kept in float64 arrays).
 * Also the shared argument resolution: an encoder may be an InferenceModel or an explicit q.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../random';
import {
  checkDiagonalGaussian, DiagonalGaussian, diagonalGaussianLogDensity, disposeDiagonalGaussian,
  standardNormalLogDensity,
} from '../distributions/gaussian';
import { checkInteger, checkMatrix, checkRandom, checkTensorValues, shapeString } from '../checks';
import { defaultChunkRows, sampleAndEvaluate } from './monteCarlo';
import type { GenerativeModel, InferenceModel } from './types';

/** Validates a GenerativeModel (duck-typed). */
export function checkGenerativeModel(fn: string, name: string, decoder: unknown): GenerativeModel {
  const m = decoder as Partial<GenerativeModel> | null | undefined;
  if (typeof m?.logLikelihood !== 'function') {
    throw new TypeError(`${fn}: ${name} must be a GenerativeModel with a logLikelihood(x, z) method`);
  }
  checkInteger(fn, `${name}.latentSize`, m.latentSize, 1);
  return m as GenerativeModel;
}

/**
 * Turns `encoder` (an InferenceModel, or an explicit q as a DiagonalGaussian with one row per x)
 * into q, checked against x and the decoder's latent size. `owned` says whether the caller must
 * dispose q (true when this function called encoder.encode).
 */
export function resolveEncoder(
  fn: string, encoder: InferenceModel | DiagonalGaussian, x: tf.Tensor2D, latentSize: number,
): { q: DiagonalGaussian; owned: boolean } {
  const isModel = typeof (encoder as Partial<InferenceModel> | null | undefined)?.encode === 'function';
  const q = isModel ? (encoder as InferenceModel).encode(x) : (encoder as DiagonalGaussian);
  try {
    checkDiagonalGaussian(fn, isModel ? 'encoder.encode(x)' : 'encoder', q);
    const [n, d] = q.mean.shape;
    if (n !== x.shape[0] || d !== latentSize) {
      throw new RangeError(`${fn}: encoder must give q of shape [${x.shape[0]},${latentSize}] (rows of x, decoder.latentSize), got ${shapeString(q.mean.shape)}`);
    }
  } catch (e) {
    // What encode made is ours to free, even when it is not a valid q; an explicit q is the caller's.
    const made = q as Partial<DiagonalGaussian> | null;
    if (isModel) tf.dispose([made?.mean, made?.logVariance] as tf.Tensor[]);
    throw e;
  }
  return { q, owned: isModel };
}

/** Validates x: float32 [n, D] with finite values. */
export function checkData(fn: string, x: unknown): tf.Tensor2D {
  const t = checkMatrix(fn, 'x', x);
  checkTensorValues(fn, 'x', t);
  return t;
}

/** Per-example, per-sample terms of the joint; each Float64Array is [n·samples], example-major. */
export interface JointSamples {
  n: number;
  samples: number;
  logLikelihood: Float64Array;
  logPrior: Float64Array;
  logQ: Float64Array;
}

/** Draws z ~ q and evaluates the three log-densities (q already validated; not disposed). */
export function sampleJointTerms(
  fn: string, q: DiagonalGaussian, decoder: GenerativeModel, x: tf.Tensor2D,
  random: Random, samples: number, maxRows: number,
): JointSamples {
  const [logLikelihood, logPrior, logQ] = sampleAndEvaluate(q, random, samples, maxRows, ({ exampleIndex, z, q: qRows }) => {
    const xRows = tf.gather(x, exampleIndex) as tf.Tensor2D;
    const ll = decoder.logLikelihood(xRows, z);
    if (!(ll instanceof tf.Tensor) || ll.rank !== 1 || ll.shape[0] !== z.shape[0]) {
      const got = ll instanceof tf.Tensor ? shapeString(ll.shape) : typeof ll;
      throw new RangeError(`${fn}: decoder.logLikelihood must return a [${z.shape[0]}] tensor (one value per row), got ${got}`);
    }
    return [ll, standardNormalLogDensity(z), diagonalGaussianLogDensity(z, qRows)];
  });
  return { n: q.mean.shape[0], samples, logLikelihood, logPrior, logQ };
}

/** At most this many (example, sample) pairs are held in JS arrays at once (4 arrays × 8 MiB). */
const BLOCK_SAMPLES = 1 << 20;

/**
 * Public entry: validates everything, resolves the encoder, samples, disposes what it made.
 * Examples are processed in blocks of at most BLOCK_SAMPLES (example, sample) pairs; `onBlock`
 * receives each block's terms and the index of its first example. Because the generator is
 * forked per example in example order, the draws do not depend on the block size.
 * log w_s = logLikelihood + logPrior − logQ are the log importance weights log p(x,z_s)/q(z_s|x).
 */
export function sampleJointBlocks(
  fn: string, encoder: InferenceModel | DiagonalGaussian, decoder: GenerativeModel, x: tf.Tensor2D,
  random: Random, samples: number, maxRowsPerChunk: number | undefined,
  onBlock: (block: JointSamples, firstExample: number, q: DiagonalGaussian) => void,
  blockSamples = BLOCK_SAMPLES,
): void {
  checkGenerativeModel(fn, 'decoder', decoder);
  checkData(fn, x);
  checkRandom(fn, 'random', random);
  checkInteger(fn, 'samples', samples, 1);
  const maxRows = maxRowsPerChunk === undefined ? defaultChunkRows(Math.max(x.shape[1], decoder.latentSize))
    : checkInteger(fn, 'maxRowsPerChunk', maxRowsPerChunk, 1);
  const { q, owned } = resolveEncoder(fn, encoder, x, decoder.latentSize);
  try {
    const n = x.shape[0];
    const perBlock = Math.max(1, Math.floor(blockSamples / samples));
    for (let start = 0; start < n; start += perBlock) {
      const size = Math.min(perBlock, n - start);
      const slice = <T extends tf.Tensor2D>(t: T): tf.Tensor2D => (size === n ? t : tf.slice(t, [start, 0], [size, -1]));
      const qBlock = { mean: slice(q.mean), logVariance: slice(q.logVariance) };
      const xBlock = slice(x);
      try {
        onBlock(sampleJointTerms(fn, qBlock, decoder, xBlock, random, samples, maxRows), start, qBlock);
      } finally {
        if (size !== n) tf.dispose([qBlock.mean, qBlock.logVariance, xBlock]);
      }
    }
  } finally {
    if (owned) disposeDiagonalGaussian(q);
  }
}

/** All terms for all examples at once (see sampleJointBlocks); memory grows as n·samples. */
export function sampleJoint(
  fn: string, encoder: InferenceModel | DiagonalGaussian, decoder: GenerativeModel, x: tf.Tensor2D,
  random: Random, samples: number, maxRowsPerChunk?: number,
): JointSamples {
  const n = checkMatrix(fn, 'x', x).shape[0];
  const all: JointSamples = {
    n, samples, logLikelihood: new Float64Array(n * samples), logPrior: new Float64Array(n * samples), logQ: new Float64Array(n * samples),
  };
  sampleJointBlocks(fn, encoder, decoder, x, random, samples, maxRowsPerChunk, (block, first) => {
    all.logLikelihood.set(block.logLikelihood, first * samples);
    all.logPrior.set(block.logPrior, first * samples);
    all.logQ.set(block.logQ, first * samples);
  });
  return all;
}

/**
 * Log importance weights log w = log p_θ(x, z_s) − log q_φ(z_s|x), z_s ~ q, per example and
 * sample (float64 array [n·samples], example-major), with the three terms they are made of.
 */
export function logImportanceWeights(
  encoder: InferenceModel | DiagonalGaussian, decoder: GenerativeModel, x: tf.Tensor2D,
  random: Random, samples: number, maxRowsPerChunk?: number,
): JointSamples & { logWeights: Float64Array } {
  const s = sampleJoint('logImportanceWeights', encoder, decoder, x, random, samples, maxRowsPerChunk);
  return { ...s, logWeights: logWeightsOf(s) };
}

/** log p(x|z) + log p(z) − log q(z|x), elementwise. */
export function logWeightsOf(s: JointSamples): Float64Array {
  return Float64Array.from(s.logLikelihood, (logLikelihood, i) => logLikelihood + s.logPrior[i] - s.logQ[i]);
}
