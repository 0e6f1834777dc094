/** A small fixed nonlinear decoder with a 2-D latent (Bernoulli, tanh MLP), in tfjs and in float64 JS. */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../../src/random';
import type { GenerativeModel } from '../../src/objectives/types';

export interface MlpDecoder extends GenerativeModel {
  /** float64 log p(x|z), an independent implementation of the same function. */
  logLikelihood64(x: ArrayLike<number>, z: [number, number]): number;
  dataSize: number;
  /** A binary data vector drawn from p(x|z) at the given z. */
  sampleX(random: Random, z: [number, number]): number[];
}

export function mlpDecoder(seed: number, dataSize = 12, hidden = 8, latentSize = 2): MlpDecoder {
  const r = new Random(seed);
  // float32-representable weights, so both implementations use identical parameters.
  const a = Float32Array.from(r.normals(latentSize * hidden), (v) => 1.2 * v);
  const c = Float32Array.from(r.normals(hidden), (v) => 0.3 * v);
  const b = Float32Array.from(r.normals(hidden * dataSize), (v) => 1.5 * v);
  const d = Float32Array.from(r.normals(dataSize), (v) => 0.3 * v);
  const logits64 = (z: ArrayLike<number>): number[] => {
    const h = Array.from({ length: hidden }, (_, k) => {
      let s = c[k];
      for (let j = 0; j < latentSize; j++) s += z[j] * a[j * hidden + k];
      return Math.tanh(s);
    });
    return Array.from({ length: dataSize }, (_, i) => {
      let s = d[i];
      for (let k = 0; k < hidden; k++) s += h[k] * b[k * dataSize + i];
      return s;
    });
  };
  return {
    latentSize,
    dataSize,
    logLikelihood(x: tf.Tensor2D, z: tf.Tensor2D): tf.Tensor1D {
      return tf.tidy(() => {
        const h = tf.tanh(tf.add(tf.matMul(z, tf.tensor2d(a, [latentSize, hidden])), tf.tensor1d(c)));
        const logits = tf.add(tf.matMul(h, tf.tensor2d(b, [hidden, dataSize])), tf.tensor1d(d));
        return tf.sum(tf.sub(tf.mul(x, logits), tf.softplus(logits)), 1) as tf.Tensor1D;
      });
    },
    logLikelihood64(x: ArrayLike<number>, z: [number, number]): number {
      const l = logits64(z);
      let s = 0;
      for (let i = 0; i < dataSize; i++) s += x[i] * l[i] - (Math.max(l[i], 0) + Math.log1p(Math.exp(-Math.abs(l[i]))));
      return s;
    },
    sampleX(random: Random, z: [number, number]): number[] {
      return logits64(z).map((l) => (random.uniform() < 1 / (1 + Math.exp(-l)) ? 1 : 0));
    },
  };
}

/** float64 reference: log p(x) and the ELBO of q by a fine midpoint sum over [−half, half]². */
export function reference64(
  dec: MlpDecoder, x: number[], q: { mean: number[]; logVariance: number[] } | null, half = 7, n = 700,
): { logPx: number; elbo: number } {
  const h = (2 * half) / n;
  const logJ: number[] = [];
  const logQ: number[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    const z: [number, number] = [-half + (i + 0.5) * h, -half + (j + 0.5) * h];
    logJ.push(dec.logLikelihood64(x, z) - Math.log(2 * Math.PI) - 0.5 * (z[0] ** 2 + z[1] ** 2));
    if (q) logQ.push([0, 1].reduce((s, k) => s - 0.5 * (Math.log(2 * Math.PI) + q.logVariance[k] + (z[k] - q.mean[k]) ** 2 / Math.exp(q.logVariance[k])), 0));
  }
  const max = logJ.reduce((m, v) => Math.max(m, v), -Infinity);
  const logPx = max + Math.log(logJ.reduce((s, v) => s + Math.exp(v - max), 0) * h * h);
  let elbo = NaN;
  if (q) {
    let wSum = 0; let acc = 0;
    logQ.forEach((lq, g) => { const w = Math.exp(lq); wSum += w; acc += w * (logJ[g] - lq); });
    elbo = acc / wSum;
  }
  return { logPx, elbo };
}
