/**
 * Monte Carlo machinery shared by the KL, ELBO and importance-weighted estimators:
 * chunked sampling z ~ q_φ(z|x) with per-example random streams, and float64 summaries
 * (mean, standard error, log-mean-exp).
 *
 * Reproducibility: the generator is forked once per example (in example order), and each
 * example's noise is drawn from its own stream in sample order. So a seed fixes every number,
 * independently of how rows are chunked, and example i's draws do not depend on the batch size.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../random';
import { type DiagonalGaussian, reparameterizeUnchecked } from '../distributions/gaussian';
import { meanAndStandardErrorOf } from '../stats/index';

/** Budget of float32 elements per [rows, width] tensor in one chunk (16 MiB). */
const CHUNK_ELEMENTS = 1 << 22;

/** Rows per chunk so that a [rows, width] tensor stays within the chunk budget. */
export function defaultChunkRows(width: number): number {
  return Math.max(1, Math.min(65536, Math.floor(CHUNK_ELEMENTS / Math.max(1, width))));
}

/** What one chunk of samples gives the term function: which example each row belongs to, z and q tiled. */
export interface SampleChunk {
  /** int32 [rows]: index of the example (row of x / q) each sampled row belongs to. */
  exampleIndex: tf.Tensor1D;
  /** [rows, latent]: z = μ + σ ε, one sample per row. */
  z: tf.Tensor2D;
  /** q's rows gathered to match z. */
  q: DiagonalGaussian;
}

/**
 * Draws `samples` z ~ q per example and evaluates `terms` (each a per-row [rows] tensor) chunk by
 * chunk. Returns one Float64Array per term, laid out example-major: value (i, s) at i·samples + s.
 * All tensors made here are disposed; `q` is not.
 */
export function sampleAndEvaluate(
  q: DiagonalGaussian, random: Random, samples: number, maxRows: number,
  terms: (chunk: SampleChunk) => tf.Tensor1D[],
): Float64Array[] {
  const [n, latent] = q.mean.shape;
  const streams: Random[] = [];
  for (let i = 0; i < n; i++) streams.push(random.fork());
  let outputs: Float64Array[] | null = null;
  let written = 0;
  for (const chunk of planChunks(n, samples, maxRows)) {
    const rows = chunk.length;
    const noise = new Float32Array(rows * latent);
    const exampleIndex = new Int32Array(rows);
    let r = 0;
    for (const piece of chunk.pieces) {
      noise.set(streams[piece.example].normals(piece.count * latent), r * latent);
      exampleIndex.fill(piece.example, r, r + piece.count);
      r += piece.count;
    }
    const values = evaluateChunk(q, noise, exampleIndex, terms);
    if (outputs === null) outputs = values.map(() => new Float64Array(n * samples));
    values.forEach((v, t) => (outputs as Float64Array[])[t].set(v, written));
    written += rows;
  }
  if (outputs === null) throw new RangeError(`sampleAndEvaluate: there is nothing to sample (q has ${n} rows, samples = ${samples})`);
  return outputs;
}

function evaluateChunk(
  q: DiagonalGaussian, noise: Float32Array, exampleIndex: Int32Array,
  terms: (chunk: SampleChunk) => tf.Tensor1D[],
): Float32Array[] {
  const latent = q.mean.shape[1];
  const results = tf.tidy(() => {
    const index = tf.tensor1d(exampleIndex, 'int32');
    const mean = tf.gather(q.mean, index) as tf.Tensor2D;
    const logVariance = tf.gather(q.logVariance, index) as tf.Tensor2D;
    const eps = tf.tensor2d(noise, [exampleIndex.length, latent]);
    // The one reparameterisation of the library (distributions/gaussian.ts): z = μ + exp(½ log σ²) ⊙ ε.
    const z = reparameterizeUnchecked({ mean, logVariance }, eps);
    return terms({ exampleIndex: index, z, q: { mean, logVariance } });
  });
  const out = results.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose(results);
  return out;
}

interface Piece { example: number; count: number }
interface Chunk { pieces: Piece[]; length: number }

/** Splits n·samples rows (example-major) into chunks of at most maxRows rows. */
function planChunks(n: number, samples: number, maxRows: number): Chunk[] {
  const chunks: Chunk[] = [];
  let current: Chunk = { pieces: [], length: 0 };
  for (let example = 0; example < n; example++) {
    let left = samples;
    while (left > 0) {
      const count = Math.min(left, maxRows - current.length);
      current.pieces.push({ example, count });
      current.length += count;
      left -= count;
      if (current.length === maxRows) { chunks.push(current); current = { pieces: [], length: 0 }; }
    }
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Per-example mean and standard error of the mean over `samples` values: row i of the
 * row-major [n, samples] matrix `values` through the one mean ± SE of src/stats (SE is NaN
 * when samples = 1).
 */
export function meanAndStandardError(values: Float64Array, n: number, samples: number): { mean: Float64Array; standardError: Float64Array } {
  const mean = new Float64Array(n);
  const standardError = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = meanAndStandardErrorOf(values, i * samples, samples);
    mean[i] = row.mean;
    standardError[i] = row.standardError;
  }
  return { mean, standardError };
}

/** log((1/m) Σ exp(v_j)) over values[start, start+m), stable (max subtracted first). */
export function logMeanExp(values: ArrayLike<number>, start = 0, m = values.length - start): number {
  let max = -Infinity;
  for (let j = 0; j < m; j++) max = Math.max(max, values[start + j]);
  // All −∞ (every weight 0), +∞ or NaN: the answer is max itself.
  if (!Number.isFinite(max)) return max;
  let s = 0;
  for (let j = 0; j < m; j++) s += Math.exp(values[start + j] - max);
  return max + Math.log(s / m);
}

/**
 * Delta-method standard error of log((1/m) Σ w_j) from log-weights:
 *   SE ≈ sd(w) / (√m · mean(w)) = √( m/(m−1) · (Σ w̃_j² − 1/m) ),  w̃_j = w_j / Σ w.
 * (Reliable only when the weights are not too heavy-tailed; NaN when m = 1.)
 */
export function logMeanExpStandardError(logWeights: ArrayLike<number>, start = 0, m = logWeights.length - start): number {
  if (m < 2) return NaN;
  let max = -Infinity;
  for (let j = 0; j < m; j++) max = Math.max(max, logWeights[start + j]);
  let s = 0;
  let s2 = 0;
  for (let j = 0; j < m; j++) {
    const w = Math.exp(logWeights[start + j] - max);
    s += w;
    s2 += w * w;
  }
  const sumSquaresNormalized = s2 / (s * s);
  return Math.sqrt(Math.max(0, (m / (m - 1)) * (sumSquaresNormalized - 1 / m)));
}
