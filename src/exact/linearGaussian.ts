/**
 * The linear-Gaussian latent-variable model (probabilistic PCA, Bishop PRML §12.2):
 *   p(z) = N(0, I_L),   p_θ(x|z) = N(x; W z + b, σ² I_D),   W: D×L.
 * Everything the document leaves intractable is closed form here, computed in float64:
 *   log p_θ(x) = log N(x; b, W Wᵀ + σ² I),
 *   p_θ(z|x)   = N(M⁻¹ Wᵀ (x − b), σ² M⁻¹),  M = Wᵀ W + σ² I_L,
 *   the ELBO of a diagonal q and KL(q ‖ p_θ(z|x)).
 * `asGenerativeModel()` gives the same decoder to the tfjs objectives (float32).
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../random';
import { LOG_2PI } from '../distributions/gaussian';
import { gaussianLogLikelihood } from '../distributions/gaussianLikelihood';
import { checkFiniteArray, checkInteger, checkMatrix, checkNumber, checkRandom, shapeString } from '../checks';
import type { GenerativeModel } from '../objectives/types';
import {
  cholesky, choleskyInverse, choleskySolve, dot, forwardSubstitute, gram, logDetFromCholesky, matTVec, matVec, transpose,
} from './linearAlgebra';
import { DiagonalGaussianLike, DiagonalGaussianParameters, toDiagonalParameters, toVector } from './inputs';
import { klDiagonalToStandardNormal, logNormalFromCholesky } from './gaussianClosedForms';

/** The exact posterior p_θ(z|x) = N(mean, covariance), covariance L×L row-major. */
export interface GaussianPosterior {
  mean: Float64Array;
  covariance: Float64Array;
  /** The diagonal of the covariance as log-variances (the best q has these only if the covariance is diagonal). */
  logVariance: Float64Array;
  /** max |corr(z_i, z_j)| over i ≠ j: 0 means a diagonal q can equal the posterior exactly. */
  maxAbsCorrelation: number;
}

/** The ELBO of q for one x, term by term, in closed form. */
export interface ExactElbo {
  /** E_q[log p_θ(x|z)] */
  reconstruction: number;
  /** KL(q ‖ p(z)) */
  kl: number;
  /** reconstruction − kl */
  elbo: number;
  /** E_q[log p(z)] */
  expectedLogPrior: number;
  /** H(q) = −E_q[log q(z|x)] */
  entropy: number;
}

export class LinearGaussianModel {
  readonly dataSize: number;
  readonly latentSize: number;
  /** W, D×L row-major. */
  readonly weights: Float64Array;
  /** b, length D. */
  readonly bias: Float64Array;
  /** log σ² of the observation noise. */
  readonly logVariance: number;
  private readonly variance: number;
  /** Cholesky factor of M = WᵀW + σ²I (L×L). */
  private readonly mFactor: Float64Array;
  private readonly columnNormsSquared: Float64Array;

  /**
   * @param weights W as D rows of L numbers (number[][]) or a row-major array with `dataSize` given.
   * @param bias b, length D.
   * @param logVariance log σ², finite.
   */
  constructor(weights: number[][] | ArrayLike<number>, bias: ArrayLike<number>, logVariance: number, dataSize?: number) {
    const fn = 'LinearGaussianModel';
    const rows = Array.isArray(weights) && Array.isArray(weights[0]) ? (weights as number[][]) : null;
    const d = rows ? rows.length : checkInteger(fn, 'dataSize', dataSize, 1);
    const flat = rows ? rows.flat() : Array.from(checkFiniteArray(fn, 'weights', weights));
    if (flat.length === 0 || flat.length % d !== 0 || (rows && rows.some((r) => r.length !== rows[0].length))) {
      throw new RangeError(`${fn}: weights must be a D×L matrix with D = ${d} rows of equal length, got ${flat.length} numbers`);
    }
    this.dataSize = d;
    this.latentSize = flat.length / d;
    this.weights = Float64Array.from(checkFiniteArray(fn, 'weights', flat));
    this.bias = toVector(fn, 'bias', bias, d);
    this.logVariance = checkNumber(fn, 'logVariance', logVariance);
    this.variance = Math.exp(logVariance);
    const m = this.matrixM();
    this.mFactor = cholesky(m, this.latentSize, fn);
    this.columnNormsSquared = Float64Array.from({ length: this.latentSize }, (_, j) => m[j * this.latentSize + j] - this.variance);
  }

  /**
   * A random model: W with N(0, scale²) entries (orthogonalised columns, scaled to random norms,
   * when `orthogonalColumns`, which makes the exact posterior diagonal), b ~ N(0, 1).
   */
  static random(
    random: Random, dataSize: number, latentSize: number,
    options: { logVariance?: number; scale?: number; orthogonalColumns?: boolean } = {},
  ): LinearGaussianModel {
    const fn = 'LinearGaussianModel.random';
    checkRandom(fn, 'random', random);
    checkInteger(fn, 'dataSize', dataSize, 1);
    checkInteger(fn, 'latentSize', latentSize, 1, options.orthogonalColumns ? dataSize : Infinity);
    const scale = checkNumber(fn, 'options.scale', options.scale ?? 1, 0);
    const w = Array.from({ length: dataSize * latentSize }, () => scale * random.normal());
    if (options.orthogonalColumns) orthogonalizeColumns(w, dataSize, latentSize, random, scale);
    const bias = Array.from({ length: dataSize }, () => random.normal());
    return new LinearGaussianModel(w, bias, options.logVariance ?? 0, dataSize);
  }

  /** x − b, validated. */
  private residual(fn: string, x: unknown): Float64Array {
    const v = toVector(fn, 'x', x, this.dataSize);
    for (let i = 0; i < v.length; i++) v[i] -= this.bias[i];
    return v;
  }

  /**
   * Exact log p_θ(x) = log N(x; b, C), C = W Wᵀ + σ² I, through the L×L matrix M (Woodbury):
   *   log det C = (D − L) log σ² + log det M,   rᵀ C⁻¹ r = (‖r‖² − rᵀ W M⁻¹ Wᵀ r) / σ²,  r = x − b.
   */
  logMarginal(x: ArrayLike<number> | tf.Tensor): number {
    const r = this.residual('LinearGaussianModel.logMarginal', x);
    const { dataSize: d, latentSize: l } = this;
    const wtr = matTVec(this.weights, d, l, r);
    const y = forwardSubstitute(this.mFactor, l, wtr);
    const quad = (dot(r, r) - dot(y, y)) / this.variance;
    const logDet = (d - l) * this.logVariance + logDetFromCholesky(this.mFactor, l);
    return -0.5 * (d * LOG_2PI + logDet + quad);
  }

  /** The same log N(x; b, W Wᵀ + σ² I) by a D×D Cholesky of C (an independent route, O(D³)). */
  logMarginalDense(x: ArrayLike<number> | tf.Tensor): number {
    const r = this.residual('LinearGaussianModel.logMarginalDense', x);
    const c = this.marginalCovariance();
    const factor = cholesky(c, this.dataSize, 'LinearGaussianModel.logMarginalDense');
    return logNormalFromCholesky(factor, this.dataSize, r);
  }

  /** C = W Wᵀ + σ² I (D×D). */
  marginalCovariance(): Float64Array {
    const { dataSize: d, latentSize: l } = this;
    const c = gram(transpose(this.weights, d, l), l, d);
    for (let i = 0; i < d; i++) c[i * d + i] += this.variance;
    return c;
  }

  /** Exact posterior p_θ(z|x) = N(M⁻¹ Wᵀ (x − b), σ² M⁻¹). */
  posterior(x: ArrayLike<number> | tf.Tensor): GaussianPosterior {
    const r = this.residual('LinearGaussianModel.posterior', x);
    const l = this.latentSize;
    const mean = choleskySolve(this.mFactor, l, matTVec(this.weights, this.dataSize, l, r));
    const covariance = choleskyInverse(this.mFactor, l).map((v) => v * this.variance);
    // Make the rounding symmetric too, so callers can rely on S_ij === S_ji.
    for (let i = 0; i < l; i++) for (let j = 0; j < i; j++) covariance[j * l + i] = covariance[i * l + j];
    const logVariance = Float64Array.from({ length: l }, (_, j) => Math.log(covariance[j * l + j]));
    let maxAbsCorrelation = 0;
    for (let i = 0; i < l; i++) {
      for (let j = 0; j < i; j++) {
        const c = covariance[i * l + j] / Math.sqrt(covariance[i * l + i] * covariance[j * l + j]);
        maxAbsCorrelation = Math.max(maxAbsCorrelation, Math.abs(c));
      }
    }
    return { mean, covariance, logVariance, maxAbsCorrelation };
  }

  /** log p_θ(x | z) = log N(x; W z + b, σ² I) in float64. */
  logLikelihood(x: ArrayLike<number> | tf.Tensor, z: ArrayLike<number> | tf.Tensor): number {
    const r = this.residual('LinearGaussianModel.logLikelihood', x);
    const zz = toVector('LinearGaussianModel.logLikelihood', 'z', z, this.latentSize);
    const wz = matVec(this.weights, this.dataSize, this.latentSize, zz);
    let s = 0;
    for (let i = 0; i < r.length; i++) s += (r[i] - wz[i]) ** 2;
    return -0.5 * (this.dataSize * (LOG_2PI + this.logVariance) + s / this.variance);
  }

  /**
   * The ELBO of a diagonal q for x in closed form:
   *   E_q[log p(x|z)] = −½ [D log 2πσ² + (‖x − b − Wμ‖² + Σ_j s_j² ‖W_{:,j}‖²) / σ²],
   *   KL(q ‖ N(0,I)) = Σ_j −½ (1 + log s_j² − μ_j² − s_j²),
   *   E_q[log p(z)] = −½ Σ_j (log 2π + μ_j² + s_j²),  H(q) = ½ Σ_j (1 + log 2π + log s_j²).
   */
  elbo(x: ArrayLike<number> | tf.Tensor, q: DiagonalGaussianLike): ExactElbo {
    const fn = 'LinearGaussianModel.elbo';
    const r = this.residual(fn, x);
    const { mean, logVariance } = toDiagonalParameters(fn, 'q', q, this.latentSize);
    const wm = matVec(this.weights, this.dataSize, this.latentSize, mean);
    let sq = 0;
    for (let i = 0; i < r.length; i++) sq += (r[i] - wm[i]) ** 2;
    let trace = 0;
    let expectedLogPrior = 0;
    let entropy = 0;
    for (let j = 0; j < this.latentSize; j++) {
      const s2 = Math.exp(logVariance[j]);
      trace += s2 * this.columnNormsSquared[j];
      expectedLogPrior += -0.5 * (LOG_2PI + mean[j] ** 2 + s2);
      entropy += 0.5 * (1 + LOG_2PI + logVariance[j]);
    }
    const reconstruction = -0.5 * (this.dataSize * (LOG_2PI + this.logVariance) + (sq + trace) / this.variance);
    const kl = klDiagonalToStandardNormal(mean, logVariance);
    return { reconstruction, kl, elbo: reconstruction - kl, expectedLogPrior, entropy };
  }

  /**
   * KL(q ‖ p_θ(z|x)) for diagonal q = N(μ, diag s²) and the exact posterior N(m, S), S = σ² M⁻¹:
   *   ½ [ tr(S⁻¹ diag s²) + (m − μ)ᵀ S⁻¹ (m − μ) − L + log det S − Σ_j log s_j² ],  S⁻¹ = M / σ².
   * By the gap identity this equals log p_θ(x) − ELBO(q).
   */
  klToPosterior(x: ArrayLike<number> | tf.Tensor, q: DiagonalGaussianLike): number {
    const fn = 'LinearGaussianModel.klToPosterior';
    const l = this.latentSize;
    const qp = toDiagonalParameters(fn, 'q', q, l);
    const post = this.posterior(toVector(fn, 'x', x, this.dataSize));
    const m = this.matrixM();
    const diff = post.mean.map((v, j) => v - qp.mean[j]);
    let trace = 0;
    let sumLogQ = 0;
    for (let j = 0; j < l; j++) {
      trace += (m[j * l + j] / this.variance) * Math.exp(qp.logVariance[j]);
      sumLogQ += qp.logVariance[j];
    }
    const quad = dot(diff, matVec(m, l, l, diff)) / this.variance;
    const logDetS = l * this.logVariance - logDetFromCholesky(this.mFactor, l);
    return 0.5 * (trace + quad - l + logDetS - sumLogQ);
  }

  /** M = WᵀW + σ² I (L×L). */
  matrixM(): Float64Array {
    const m = gram(this.weights, this.dataSize, this.latentSize);
    for (let j = 0; j < this.latentSize; j++) m[j * this.latentSize + j] += this.variance;
    return m;
  }

  /** n draws x ~ p_θ(x) (z ~ N(0,I), x = Wz + b + σε), row-major [n·D] float64; per row, z's L normals then ε's D from `random`. */
  sample(random: Random, n: number): Float64Array {
    checkRandom('LinearGaussianModel.sample', 'random', random);
    checkInteger('LinearGaussianModel.sample', 'n', n, 1);
    const { dataSize: d, latentSize: l } = this;
    const out = new Float64Array(n * d);
    const sigma = Math.sqrt(this.variance);
    for (let i = 0; i < n; i++) {
      const z = Float64Array.from({ length: l }, () => random.normal());
      const wz = matVec(this.weights, d, l, z);
      for (let k = 0; k < d; k++) out[i * d + k] = wz[k] + this.bias[k] + sigma * random.normal();
    }
    return out;
  }

  /**
   * The decoder p_θ(x|z) for the tfjs objectives (float32): logLikelihood(x, z) =
   * gaussianLogLikelihood(x, z Wᵀ + b, log σ²). Holds no tensors between calls.
   */
  asGenerativeModel(): GenerativeModel {
    const { dataSize: d, latentSize: l } = this;
    const weightsT = new Float32Array(l * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < l; j++) weightsT[j * d + i] = this.weights[i * l + j];
    const bias = Float32Array.from(this.bias);
    const logVariance = this.logVariance;
    return {
      latentSize: l,
      logLikelihood(x: tf.Tensor2D, z: tf.Tensor2D): tf.Tensor1D {
        const fn = 'LinearGaussianModel.asGenerativeModel().logLikelihood';
        checkMatrix(fn, 'x', x, d);
        checkMatrix(fn, 'z', z, l);
        if (x.shape[0] !== z.shape[0]) {
          throw new RangeError(`${fn}: z must have as many rows as x (${x.shape[0]}), got shape ${shapeString(z.shape)}`);
        }
        return tf.tidy(() => {
          const mean = tf.add(tf.matMul(z, tf.tensor2d(weightsT, [l, d])), tf.tensor1d(bias)) as tf.Tensor2D;
          return gaussianLogLikelihood(x, mean, logVariance);
        });
      },
    };
  }

  /** The exact posterior as a diagonal Gaussian (its marginals); exact as a q only when maxAbsCorrelation = 0. */
  posteriorMarginals(x: ArrayLike<number> | tf.Tensor): DiagonalGaussianParameters {
    const p = this.posterior(x);
    return { mean: p.mean, logVariance: p.logVariance };
  }
}

/** Gram–Schmidt on the columns of w (D×L, row-major, in place), then random column norms ~ scale·√D·U(0.5, 1.5). */
function orthogonalizeColumns(w: number[], d: number, l: number, random: Random, scale: number): void {
  for (let j = 0; j < l; j++) {
    for (let k = 0; k < j; k++) {
      let p = 0;
      for (let i = 0; i < d; i++) p += w[i * l + j] * w[i * l + k];
      for (let i = 0; i < d; i++) w[i * l + j] -= p * w[i * l + k];
    }
    let norm = 0;
    for (let i = 0; i < d; i++) norm += w[i * l + j] ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < d; i++) w[i * l + j] /= norm;
  }
  for (let j = 0; j < l; j++) {
    const target = scale * Math.sqrt(d) * (0.5 + random.uniform());
    for (let i = 0; i < d; i++) w[i * l + j] *= target;
  }
}
