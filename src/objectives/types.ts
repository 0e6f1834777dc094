/**
 * The two model interfaces every objective and exact tool is written against. The VAE of
 * src/models implements both; the linear-Gaussian model of src/exact implements
 * GenerativeModel, so the same objective code runs on a model whose log p(x) is known exactly.
 * The prior is fixed to p(z) = N(0, I) throughout, as in the document.
 */
import type * as tf from '@tensorflow/tfjs';
import type { DiagonalGaussian } from '../distributions/gaussian';

/** p_θ(x|z): row i of x scored against row i of z. */
export interface GenerativeModel {
  readonly latentSize: number;
  /** log p_θ(x_i | z_i) per row, summed over pixels: x [n, D], z [n, latentSize] -> [n] */
  logLikelihood(x: tf.Tensor2D, z: tf.Tensor2D): tf.Tensor1D;
}

/** q_φ(z|x) */
export interface InferenceModel {
  readonly latentSize: number;
  encode(x: tf.Tensor2D): DiagonalGaussian;
}
