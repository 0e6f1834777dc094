/**
 * Why step 1, log p_θ(x) = log ∫ p_θ(x, z) dz, is intractable for a deep decoder, in numbers.
 * A grid with n nodes per axis over a d-dimensional latent needs n^d decoder evaluations
 * p_θ(x|z_g); at a measured cost per evaluation that is feasible for d = 2 and hopeless for d = 20.
 * These are honest estimates (count × measured time per evaluation), not benchmarks.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../random';
import type { GenerativeModel } from '../objectives/types';
import { checkGenerativeModel } from '../objectives/sampleJoint';
import { checkFiniteArray, checkInteger, checkNumber, checkRandom } from '../tensorChecks';

/** A decoder that counts the rows (one row = one decoder evaluation p_θ(x|z)) it was asked for. */
export interface CountingDecoder {
  decoder: GenerativeModel;
  /** Rows evaluated since creation or the last reset. */
  evaluations(): number;
  reset(): void;
}

/** Wraps `decoder` so every logLikelihood call adds its number of z rows to a counter. */
export function countingDecoder(decoder: GenerativeModel): CountingDecoder {
  const inner = checkGenerativeModel('countingDecoder', 'decoder', decoder);
  let count = 0;
  return {
    decoder: {
      latentSize: inner.latentSize,
      logLikelihood(x: tf.Tensor2D, z: tf.Tensor2D): tf.Tensor1D {
        const out = inner.logLikelihood(x, z);
        count += z.shape[0];
        return out;
      },
    },
    evaluations: () => count,
    reset: () => { count = 0; },
  };
}

/** Nodes of a tensor-product grid: pointsPerAxis^latentSize (a float for large d). */
export function gridPointCount(pointsPerAxis: number, latentSize: number): number {
  checkInteger('gridPointCount', 'pointsPerAxis', pointsPerAxis, 1);
  checkInteger('gridPointCount', 'latentSize', latentSize, 1);
  return pointsPerAxis ** latentSize;
}

/** Measured cost of the decoder, per evaluation p_θ(x|z) of one latent row. */
export interface DecoderTiming {
  latentSize: number;
  /** Rows per call. */
  rows: number;
  /** Timed calls (after one untimed warm-up call). */
  repeats: number;
  /** Median over the calls of (seconds per call / rows). */
  secondsPerEvaluation: number;
}

/**
 * Times `decoder.logLikelihood(x repeated, z)` on `rows` latent rows z ~ N(0, I) from `random`,
 * `repeats` times after a warm-up; reports the median time per row. Disposes what it makes.
 */
export function timeDecoderEvaluations(
  decoder: GenerativeModel, x: ArrayLike<number>, random: Random, rows = 4096, repeats = 5,
): DecoderTiming {
  const fn = 'timeDecoderEvaluations';
  checkGenerativeModel(fn, 'decoder', decoder);
  const xv = checkFiniteArray(fn, 'x', x);
  if (xv.length < 1) throw new RangeError(`${fn}: x must hold at least one number, got 0`);
  checkRandom(fn, 'random', random);
  checkInteger(fn, 'rows', rows, 1);
  checkInteger(fn, 'repeats', repeats, 1);
  const d = decoder.latentSize;
  const xs = tf.tidy(() => tf.tile(tf.tensor2d(Float32Array.from(xv), [1, xv.length]), [rows, 1]) as tf.Tensor2D);
  const z = tf.tensor2d(random.normals(rows * d), [rows, d]);
  const perRow: number[] = [];
  try {
    for (let r = 0; r <= repeats; r++) {
      const start = process.hrtime.bigint();
      const out = decoder.logLikelihood(xs, z);
      out.dataSync(); // wait for the values: the time must include the computation
      out.dispose();
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (r > 0) perRow.push(seconds / rows);
    }
  } finally {
    tf.dispose([xs, z]);
  }
  perRow.sort((a, b) => a - b);
  const mid = perRow.length >> 1;
  const median = perRow.length % 2 ? perRow[mid] : 0.5 * (perRow[mid - 1] + perRow[mid]);
  return { latentSize: d, rows, repeats, secondsPerEvaluation: median };
}

/** One row of the cost table. */
export interface GridCost {
  latentSize: number;
  pointsPerAxis: number;
  evaluations: number;
  secondsPerEvaluation: number;
  /** evaluations × secondsPerEvaluation */
  seconds: number;
  /** The same duration in words, e.g. "4.2 s", "3.1 days", "2.0e+31 years". */
  readable: string;
}

/** The cost of a grid over each latent size: n^d evaluations at the given seconds per evaluation. */
export function gridCost(latentSize: number, pointsPerAxis: number, secondsPerEvaluation: number): GridCost {
  const fn = 'gridCost';
  const evaluations = gridPointCount(pointsPerAxis, latentSize);
  const perEvaluation = checkNumber(fn, 'secondsPerEvaluation', secondsPerEvaluation, 0);
  const seconds = evaluations * perEvaluation;
  return { latentSize, pointsPerAxis, evaluations, secondsPerEvaluation: perEvaluation, seconds, readable: formatDuration(seconds) };
}

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86400;
const YEAR = 365.25 * DAY;

/** A duration in seconds in the largest sensible unit (years in exponent notation beyond 10⁴). */
export function formatDuration(seconds: number): string {
  checkNumber('formatDuration', 'seconds', seconds, 0);
  // Two significant digits, never in exponent notation below 10⁴ (810 ms, not 8.1e+2 ms).
  const two = (v: number): string => String(Number(v.toPrecision(2)));
  if (seconds === 0) return '0 s';
  if (seconds < 1e-3) return `${two(seconds * 1e6)} µs`;
  if (seconds < 1) return `${two(seconds * 1e3)} ms`;
  if (seconds < MINUTE) return `${two(seconds)} s`;
  if (seconds < HOUR) return `${two(seconds / MINUTE)} min`;
  if (seconds < DAY) return `${two(seconds / HOUR)} h`;
  if (seconds < YEAR) return `${two(seconds / DAY)} days`;
  const years = seconds / YEAR;
  return years < 1e4 ? `${two(years)} years` : `${years.toExponential(1)} years`;
}

/** The age of the universe, about 13.8 billion years, in seconds (for scale). */
export const AGE_OF_UNIVERSE_SECONDS = 13.8e9 * YEAR;
