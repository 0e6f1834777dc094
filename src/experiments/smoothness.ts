/**
 * Geometry of the latent space (§4, reason 3): does walking in a straight line through z change
 * the decoded image gradually, or in jumps? For a path of T decoded images x_0 … x_{T−1}
 * (decoder means along z_t = (1 − t) z_A + t z_B, t evenly spaced in [0, 1]):
 *   jump ratio   = (T − 1) · max_t ‖x_{t+1} − x_t‖ / ‖x_{T−1} − x_0‖,
 *   length ratio = Σ_t ‖x_{t+1} − x_t‖ / ‖x_{T−1} − x_0‖.
 * Both are ≥ 1 (triangle inequality); the jump ratio is 1 when every step changes the image by
 * the same amount and T − 1 when the whole change happens in one step.
 */
import * as tf from '@tensorflow/tfjs';
import type { Vae } from '../models/vae';
import { checkInteger, checkMatrix, checkNumber } from '../tensorChecks';

export interface PathSmoothness {
  /** ‖x_{t+1} − x_t‖ for each of the T − 1 steps (Euclidean, pixel space). */
  steps: Float64Array;
  /** ‖x_{T−1} − x_0‖. */
  endpointDistance: number;
  jumpRatio: number;
  lengthRatio: number;
}

/** Jump and length ratios of a path of images, row-major [T, D] (T ≥ 2). */
export function pathSmoothness(images: ArrayLike<number>, count: number): PathSmoothness {
  const fn = 'pathSmoothness';
  checkInteger(fn, 'count', count, 2);
  if (images.length === 0 || images.length % count !== 0) {
    throw new RangeError(`${fn}: images must hold ${count} rows of equal length, got ${images.length} values`);
  }
  const d = images.length / count;
  const distance = (a: number, b: number): number => {
    let s = 0;
    for (let j = 0; j < d; j++) s += (images[a * d + j] - images[b * d + j]) ** 2;
    return Math.sqrt(s);
  };
  const steps = new Float64Array(count - 1);
  let longest = 0;
  let total = 0;
  for (let t = 0; t + 1 < count; t++) {
    steps[t] = distance(t, t + 1);
    if (!Number.isFinite(steps[t])) throw new RangeError(`${fn}: images must be finite (row ${t} or ${t + 1} is not)`);
    longest = Math.max(longest, steps[t]);
    total += steps[t];
  }
  const endpointDistance = distance(0, count - 1);
  if (!(endpointDistance > 0)) throw new RangeError(`${fn}: the first and last images are identical; the ratios are undefined`);
  return { steps, endpointDistance, jumpRatio: ((count - 1) * longest) / endpointDistance, lengthRatio: total / endpointDistance };
}

/** z_t = (1 − t) z_A + t z_B for `steps` evenly spaced t in [0, 1] ([steps, d]); zA and zB are [1, d]. */
export function latentPath(zA: tf.Tensor2D, zB: tf.Tensor2D, steps: number): tf.Tensor2D {
  const fn = 'latentPath';
  checkMatrix(fn, 'zA', zA);
  checkMatrix(fn, 'zB', zB, zA.shape[1]);
  if (zA.shape[0] !== 1 || zB.shape[0] !== 1) throw new RangeError(`${fn}: zA and zB must each be one row [1, d], got [${zA.shape}] and [${zB.shape}]`);
  checkInteger(fn, 'steps', steps, 2);
  return tf.tidy(() => {
    const t = tf.reshape(tf.linspace(0, 1, steps), [steps, 1]);
    return tf.add(tf.mul(tf.sub(1, t), zA), tf.mul(t, zB)) as tf.Tensor2D;
  });
}

/**
 * The decoded path between the encoder means of row a and row b of x ([n, D], not disposed)
 * and its smoothness. Returns the images (row-major [steps, D]) too.
 */
export function interpolationSmoothness(model: Vae, x: tf.Tensor2D, a: number, b: number, steps: number): PathSmoothness & { images: Float32Array } {
  const fn = 'interpolationSmoothness';
  checkMatrix(fn, 'x', x, model.inputSize);
  checkInteger(fn, 'a', a, 0, x.shape[0] - 1);
  checkInteger(fn, 'b', b, 0, x.shape[0] - 1);
  checkInteger(fn, 'steps', steps, 2);
  const decoded = tf.tidy(() => {
    const mean = model.encode(tf.gather(x, [a, b]) as tf.Tensor2D).mean;
    const path = latentPath(tf.slice(mean, [0, 0], [1, -1]), tf.slice(mean, [1, 0], [1, -1]), steps);
    return model.decode(path);
  });
  const images = decoded.dataSync() as Float32Array;
  decoded.dispose();
  return { ...pathSmoothness(images, steps), images };
}

/** A square grid of 2-D latent points, `count` per axis over [−extent, extent] ([count², 2], row by row from the top: z₂ descending). */
export function squareLatentGrid(count: number, extent: number): tf.Tensor2D {
  const fn = 'squareLatentGrid';
  checkInteger(fn, 'count', count, 2);
  checkNumber(fn, 'extent', extent, Number.MIN_VALUE);
  const values = new Float32Array(count * count * 2);
  for (let r = 0; r < count; r++) {
    for (let c = 0; c < count; c++) {
      const i = r * count + c;
      values[2 * i] = -extent + (2 * extent * c) / (count - 1);
      values[2 * i + 1] = extent - (2 * extent * r) / (count - 1);
    }
  }
  return tf.tensor2d(values, [count * count, 2]);
}
