/**
 * Course module of notebook 06-summary (document §6, the summary in numbers): its experiments,
 * tables and figures (uses the library; the library never imports it).
 *
 * The text closes with five sentences, each recomputed once more in the notebook:
 *   1. ELBO = E_q[log p_θ(x|z)] − KL(q_φ(z|x) ‖ p(z));
 *   2. the reconstruction term makes the decoder explain the data, through the code z;
 *   3. the KL term keeps the codes of the data near the prior (the latent space usable);
 *   4. the gap log p_θ(x) − ELBO(q) = KL(q ‖ p_θ(z|x)) measures posterior quality;
 *   5. maximising the ELBO improves both the model (log p_θ(x)) and the encoder (the gap),
 * the last two exactly, on a linear-Gaussian model (probabilistic PCA) whose evidence and
 * posterior are closed forms.
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../random';
import { Estimate, meanEstimate, pairedDifference } from '../stats/estimate';
import { reparameterize } from '../distributions/gaussian';
import type { ElboBatchMean, InferenceModel } from '../objectives/types';
import { LinearGaussianModel } from '../exact/linearGaussian';
import { aggregatePosteriorGaussianKl } from '../exact/kl';
import { cholesky, choleskyInverse, choleskySolve, logDetFromCholesky } from '../exact/linearAlgebra';
import { logNormalDiagonal, logNormalFromCholesky } from '../exact/gaussianClosedForms';
import { DataMatrix, checkDataMatrix, toTensor } from '../data/matrix';
import { Vae, VaeConfig } from '../models/vae';
import { linearGaussianFromVae } from '../models/linearDecoder';
import { trainVae, TrainResult } from '../train/train';
import type { EpochMetrics } from '../train/metrics';
import type { ProgressReporter } from '../train/progress';
import { evaluatePerExample } from '../train/evaluation';
import { grayImageTrace, PlotlyFigure } from '../display/plotly';
import { imageGrid } from '../display/imageGrid';
import type { ClaimSpec } from '../display/claims';
import { checkFiniteArray, checkInteger, checkNumber, checkObject, checkOneOf, checkRandom } from '../checks';

// ---------------------------------------------------------------------------------------------
// The small VAE on digits (points 1–3)

/** The digit VAE of points 1–3: a 784–200–8 encoder and a Bernoulli decoder (its twin trains with β = 0). */
export const digitModel: Omit<VaeConfig, 'inputSize'> = { latentSize: 8, hiddenSizes: [200] };

/** The ELBO of a Monte Carlo estimate's batch mean as an estimate { mean, standardError } (for the claims). */
export function elboOf(batchMean: ElboBatchMean): { mean: number; standardError: number } {
  const fn = 'elboOf';
  checkObject(fn, 'batchMean', batchMean);
  checkNumber(fn, 'batchMean.elbo', batchMean.elbo);
  checkNumber(fn, 'batchMean.elboStandardError', batchMean.elboStandardError, 0);
  return { mean: batchMean.elbo, standardError: batchMean.elboStandardError };
}

/**
 * Point 1 as an equation with its numbers: ELBO = E_q[log p_θ(x|z)] − KL(q_φ(z|x) ‖ p(z)) (the
 * split form, KL in closed form) and the definition E_q[log p_θ(x,z)/q_φ(z|x)] (every term sampled).
 */
export function pointOneTex(splitForm: ElboBatchMean, definition: ElboBatchMean): string {
  const fn = 'pointOneTex';
  checkObject(fn, 'splitForm', splitForm);
  checkObject(fn, 'definition', definition);
  const f = (v: number) => v.toFixed(2);
  return `\\underbrace{${f(splitForm.elbo)}}_{\\text{ELBO}} \\;=\\; \\underbrace{${f(splitForm.reconstruction)}}_{\\mathbb{E}_q[\\log p_\\theta(x\\mid z)]} \\;-\\; ` +
    `\\underbrace{${f(splitForm.kl)}}_{\\mathrm{KL}(q_\\phi(z\\mid x)\\,\\Vert\\,p(z))} \\qquad\\text{and}\\qquad ` +
    `\\mathbb{E}_q\\Big[\\log \\tfrac{p_\\theta(x,z)}{q_\\phi(z\\mid x)}\\Big] \\approx ${f(definition.elbo)} \\pm ${f(definition.elboStandardError)}\\ \\text{nats}`;
}

/** Point 2: log p_θ(x|z) of each digit with its own code and with another digit's code. */
export interface ReconstructionThroughCode {
  /** (1/N) Σ_i log p_θ(x_i | z_i), z_i = μ(x_i) + σ(x_i)·ε_i ~ q_φ(z|x_i): each digit decoded from its own code. */
  own: Estimate;
  /** (1/N) Σ_i log p_θ(x_i | z_π(i)): the same codes, each given to another digit (a fixed shuffle π). */
  other: Estimate;
  /** The paired difference own − other over the same digits. */
  difference: Estimate;
}

/**
 * Does the decoder explain the data through the code? For every row x_i of `data` one
 * z_i = μ(x_i) + σ(x_i)·ε_i with ε from `random` (the draws rateDistortion makes with the same
 * generator), then log p_θ(x_i | z_i) against log p_θ(x_i | z_π(i)), π a permutation drawn from
 * `shuffle`. No tensor is left.
 */
export function reconstructionThroughCode(model: Vae, data: DataMatrix, random: Random, shuffle: Random): ReconstructionThroughCode {
  const fn = 'reconstructionThroughCode';
  checkObject(fn, 'model', model);
  checkDataMatrix(fn, 'data', data);
  checkRandom(fn, 'random', random);
  checkRandom(fn, 'shuffle', shuffle);
  if (data.features !== model.inputSize) throw new RangeError(`${fn}: data must have ${model.inputSize} features (the model's inputSize), got ${data.features}`);
  const n = data.count;
  const permutation = shuffle.permutation(n);
  const [ownTensor, otherTensor] = tf.tidy(() => {
    const x = toTensor(data);
    const z = reparameterize(model.encode(x), tf.tensor2d(random.normals(n * model.latentSize), [n, model.latentSize]));
    const zOther = tf.gather(z, tf.tensor1d(Array.from(permutation), 'int32')) as tf.Tensor2D;
    return [model.logLikelihood(x, z), model.logLikelihood(x, zOther)];
  });
  const own = Float64Array.from(ownTensor.dataSync());
  const other = Float64Array.from(otherTensor.dataSync());
  tf.dispose([ownTensor, otherTensor]);
  return { own: meanEstimate(own), other: meanEstimate(other), difference: pairedDifference(own, other) };
}

/** The table of point 2: the held-out reconstruction term before and after training, and through z. */
export function reconstructionTable(run: TrainResult, through: ReconstructionThroughCode): { headers: string[]; rows: string[][]; caption: string } {
  const fn = 'reconstructionTable';
  checkObject(fn, 'run', run);
  checkObject(fn, 'through', through);
  if (!run.initial?.heldOut || !run.final.heldOut) throw new RangeError(`${fn}: run must have held-out metrics before and after training (evaluateInitial and heldOut)`);
  const f = (v: number) => v.toFixed(2);
  return {
    headers: ['reconstruction term E_q[log p(x|z)] of held-out digits', 'nats per digit'],
    rows: [
      ['before training (epoch 0)', f(run.initial.heldOut.reconstruction)],
      [`after ${run.history.length} epochs`, f(run.final.heldOut.reconstruction)],
      ['after training, each digit decoded from its own code', f(through.own.mean)],
      ['after training, each digit decoded from another digit’s code', f(through.other.mean)],
    ],
    caption: 'Point 2: the decoder explains the data, through z',
  };
}

/** Point 3: where the codes of the data sit, relative to the prior. */
export interface CodesVsPrior {
  /** KL(N(m, S) ‖ N(0, I)) of the aggregate posterior's moment-matched Gaussian (exact.aggregatePosteriorGaussianKl). */
  aggregateKl: number;
  /** The mean rate (1/N) Σ_i KL(q_φ(z|x_i) ‖ p(z)). */
  rate: Estimate;
}

/**
 * The aggregate posterior q_φ(z) = (1/N) Σ_i q_φ(z|x_i) of the rows of `data`, fitted by a
 * Gaussian N(m, S), and its KL to p(z) = N(0, I) (0: the codes fill the prior), with the mean
 * rate; the encoder only (one evaluation pass, no sampling).
 */
export function codesVsPrior(encoder: InferenceModel & { inputSize?: number }, data: DataMatrix): CodesVsPrior {
  const fn = 'codesVsPrior';
  checkObject(fn, 'encoder', encoder);
  const terms = evaluatePerExample(encoder, data, {}, fn);
  return {
    aggregateKl: aggregatePosteriorGaussianKl(terms.encoderMean, terms.encoderLogVariance, terms.latentSize),
    rate: meanEstimate(terms.kl),
  };
}

/** The table of point 3: the aggregate posterior's KL to the prior and the mean rate, with and without the KL term. */
export function codesVsPriorTable(withKl: CodesVsPrior, withoutKl: CodesVsPrior): { headers: string[]; rows: string[][]; caption: string } {
  const fn = 'codesVsPriorTable';
  checkObject(fn, 'withKl', withKl);
  checkObject(fn, 'withoutKl', withoutKl);
  return {
    headers: ['model', 'KL(aggregate posterior ‖ prior), Gaussian fit (nats)', 'mean rate (nats)'],
    rows: [
      ['VAE (β = 1)', withKl.aggregateKl.toFixed(3), withKl.rate.mean.toFixed(2)],
      ['no KL term (β = 0)', withoutKl.aggregateKl.toFixed(3), withoutKl.rate.mean.toFixed(2)],
    ],
    caption: 'Point 3: where the codes of the data sit, relative to the prior',
  };
}

/**
 * Eight draws z ~ p(z) decoded by each model (pixel probabilities of 28×28 digits), the VAE on
 * the top row and the model without KL term below; both decode the same z (Random(seed) each).
 */
export function priorDrawsFigure(withKl: Vae, withoutKl: Vae, seed: number): PlotlyFigure {
  const fn = 'priorDrawsFigure';
  checkObject(fn, 'withKl', withKl);
  checkObject(fn, 'withoutKl', withoutKl);
  checkInteger(fn, 'seed', seed, 0, 0xffffffff);
  for (const [name, model] of [['withKl', withKl], ['withoutKl', withoutKl]] as const) {
    if (model.inputSize !== 784) throw new RangeError(`${fn}: ${name} must decode 28×28 digits (inputSize 784), got inputSize ${model.inputSize}`);
  }
  // The values are read after the tensor is made, not returned from tf.tidy (tidy walks a returned array element by element).
  const draws = (model: Vae) => {
    const samples = model.sample(8, new Random(seed));
    const values = Float32Array.from(samples.dataSync());
    samples.dispose();
    return values;
  };
  return {
    data: [grayImageTrace(imageGrid([draws(withKl), draws(withoutKl)], 8, { decimals: 3 }), { name: 'samples' })],
    layout: {
      title: { text: 'Eight draws z ~ p(z) decoded by the VAE (top) and by the model without KL term (bottom)' },
      xaxis: { title: { text: 'prior draws' }, showticklabels: false },
      yaxis: { title: { text: 'β = 1 · β = 0' }, autorange: 'reversed', showticklabels: false, scaleanchor: 'x' },
      height: 300,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The linear-Gaussian model (points 4 and 5)
//
// Two routes to the gap of a q, sharing nothing but the model's W, b and σ²:
//   A (src/exact/linearGaussian.ts): log p_θ(x) by Woodbury (through M = WᵀW + σ²I) minus the
//     closed-form ELBO of q;
//   B (here): the true posterior found by conditioning the joint Gaussian of (x, z) on x,
//     p_θ(z|x) = N(Wᵀ C⁻¹ (x − b), I − Wᵀ C⁻¹ W),  C = W Wᵀ + σ² I (a D×D solve, no M),
//     and KL(q ‖ that Gaussian) by the general Gaussian formula, or by Monte Carlo under q.

/** The true posterior of a linear-Gaussian model by conditioning the joint Gaussian of (x, z) (route B). */
export interface ConditionedPosterior {
  latentSize: number;
  /** S = I − Wᵀ C⁻¹ W (L×L, row-major), the same for every x. */
  covariance: Float64Array;
  /** The Cholesky factor of S. */
  factor: Float64Array;
  /** max |corr(z_i, z_j)|, i ≠ j: 0 when the posterior is diagonal (orthogonal columns of W). */
  maxAbsCorrelation: number;
  /** The posterior mean Wᵀ C⁻¹ (x − b) of one x. */
  mean(x: ArrayLike<number>): Float64Array;
}

/**
 * p_θ(z|x) of a linear-Gaussian model by conditioning the joint Gaussian of (x, z):
 * Cov(x) = C = W Wᵀ + σ² I (built here from W and σ²), Cov(z, x) = Wᵀ, so
 * E[z|x] = Wᵀ C⁻¹ (x − b) and Cov(z|x) = I − Wᵀ C⁻¹ W (one D×D Cholesky of C). It shares no
 * arithmetic with the model's own posterior, log-evidence or KL (which go through M = WᵀW + σ²I).
 */
export function conditionedPosterior(model: LinearGaussianModel): ConditionedPosterior {
  const fn = 'conditionedPosterior';
  if (!(model instanceof LinearGaussianModel)) throw new TypeError(`${fn}: model must be a LinearGaussianModel`);
  const { dataSize: d, latentSize: l, weights: w, bias } = model;
  const variance = Math.exp(model.logVariance);
  const c = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < d; k++) {
      let s = i === k ? variance : 0;
      for (let j = 0; j < l; j++) s += w[i * l + j] * w[k * l + j];
      c[i * d + k] = s;
    }
  }
  const cFactor = cholesky(c, d, fn);
  // K = C⁻¹ W (D×L), one column at a time
  const k = new Float64Array(d * l);
  for (let j = 0; j < l; j++) {
    const column = choleskySolve(cFactor, d, Float64Array.from({ length: d }, (_, i) => w[i * l + j]));
    for (let i = 0; i < d; i++) k[i * l + j] = column[i];
  }
  const covariance = new Float64Array(l * l);
  for (let a = 0; a < l; a++) {
    for (let b = 0; b < l; b++) {
      let s = a === b ? 1 : 0;
      for (let i = 0; i < d; i++) s -= w[i * l + a] * k[i * l + b];
      covariance[a * l + b] = s;
    }
  }
  for (let a = 0; a < l; a++) for (let b = 0; b < a; b++) covariance[b * l + a] = covariance[a * l + b] = 0.5 * (covariance[a * l + b] + covariance[b * l + a]);
  let maxAbsCorrelation = 0;
  for (let a = 0; a < l; a++) {
    for (let b = 0; b < a; b++) maxAbsCorrelation = Math.max(maxAbsCorrelation, Math.abs(covariance[a * l + b]) / Math.sqrt(covariance[a * l + a] * covariance[b * l + b]));
  }
  return {
    latentSize: l, covariance, factor: cholesky(covariance, l, fn), maxAbsCorrelation,
    mean(x: ArrayLike<number>): Float64Array {
      const v = checkFiniteArray(`${fn}().mean`, 'x', x, d);
      const out = new Float64Array(l);
      for (let j = 0; j < l; j++) for (let i = 0; i < d; i++) out[j] += k[i * l + j] * (v[i] - bias[i]);
      return out;
    },
  };
}

/** One diagonal Gaussian q = N(mean, diag exp(logVariance)). */
export interface DiagonalQ {
  mean: ArrayLike<number>;
  logVariance: ArrayLike<number>;
}

/**
 * KL(N(μ, diag s²) ‖ N(m, S)) = ½ [tr(S⁻¹ diag s²) + (m − μ)ᵀ S⁻¹ (m − μ) − L + log det S − Σ log s²],
 * the general Gaussian formula on S's own Cholesky factor (route B of the gap).
 */
export function klToConditionedPosterior(q: DiagonalQ, posterior: ConditionedPosterior, posteriorMean: ArrayLike<number>): number {
  const fn = 'klToConditionedPosterior';
  checkObject(fn, 'posterior', posterior);
  const l = posterior.latentSize;
  const mu = checkFiniteArray(fn, 'q.mean', q.mean, l);
  const lv = checkFiniteArray(fn, 'q.logVariance', q.logVariance, l);
  const m = checkFiniteArray(fn, 'posteriorMean', posteriorMean, l);
  const inverse = choleskyInverse(posterior.factor, l);
  let trace = 0;
  let sumLogQ = 0;
  for (let j = 0; j < l; j++) {
    trace += inverse[j * l + j] * Math.exp(lv[j]);
    sumLogQ += lv[j];
  }
  const diff = Float64Array.from({ length: l }, (_, j) => m[j] - mu[j]);
  let quad = 0;
  for (let a = 0; a < l; a++) for (let b = 0; b < l; b++) quad += diff[a] * inverse[a * l + b] * diff[b];
  return 0.5 * (trace + quad - l + logDetFromCholesky(posterior.factor, l) - sumLogQ);
}

/**
 * KL(q ‖ N(m, S)) by Monte Carlo under q: the mean of log q(z) − log N(z; m, S) over `samples`
 * draws z = μ + s ⊙ ε, ε from `random` (Gaussian log-densities only, no KL formula).
 */
export function klToConditionedPosteriorSampled(q: DiagonalQ, posterior: ConditionedPosterior, posteriorMean: ArrayLike<number>, random: Random, samples: number): Estimate {
  const fn = 'klToConditionedPosteriorSampled';
  checkObject(fn, 'posterior', posterior);
  checkRandom(fn, 'random', random);
  checkInteger(fn, 'samples', samples, 2);
  const l = posterior.latentSize;
  const mu = checkFiniteArray(fn, 'q.mean', q.mean, l);
  const lv = checkFiniteArray(fn, 'q.logVariance', q.logVariance, l);
  const m = checkFiniteArray(fn, 'posteriorMean', posteriorMean, l);
  const values = new Float64Array(samples);
  const z = new Float64Array(l);
  const diff = new Float64Array(l);
  for (let s = 0; s < samples; s++) {
    for (let j = 0; j < l; j++) {
      z[j] = mu[j] + Math.exp(0.5 * lv[j]) * random.normal();
      diff[j] = z[j] - m[j];
    }
    values[s] = logNormalDiagonal(z, mu, lv) - logNormalFromCholesky(posterior.factor, l, diff);
  }
  return meanEstimate(values);
}

/** Unit roundoff of float64 (2⁻⁵³) doubled: the machine epsilon 2⁻⁵². */
const FLOAT64_EPSILON = 2 ** -52;

/**
 * A bound on the float64 rounding error of a gap or log-density of the linear-Gaussian model of
 * size `magnitude` (nats): D² · κ̄ · 2⁻⁵² · (1 + magnitude), with κ̄ = 1 + ‖W‖²_F / σ² ≥ the
 * condition number of C = W Wᵀ + σ² I (a Cholesky solve of size D loses at most about D·κ·ε
 * relative accuracy; D such results are summed).
 */
export function float64RoundingBound(model: LinearGaussianModel, magnitude: number): number {
  const fn = 'float64RoundingBound';
  if (!(model instanceof LinearGaussianModel)) throw new TypeError(`${fn}: model must be a LinearGaussianModel`);
  checkNumber(fn, 'magnitude', magnitude, 0);
  let frobenius = 0;
  for (const w of model.weights) frobenius += w * w;
  const kappa = 1 + frobenius / Math.exp(model.logVariance);
  return model.dataSize ** 2 * kappa * FLOAT64_EPSILON * (1 + magnitude);
}

/** One q on the spoil path of point 4, with its gap by route A and its KL to the true posterior by route B. */
export interface SpoiledPosteriorGap {
  /** How far q is spoiled: mean shifted by t posterior SDs, SDs widened by 1 + t. */
  t: number;
  /** log p_θ(x) − ELBO(q): Woodbury and the closed-form ELBO (route A). */
  gap: number;
  /** KL(q ‖ p_θ(z|x)), the posterior by conditioning the joint, closed form (route B). */
  kl: number;
  /** The same KL by Monte Carlo under q (route B, sampled). */
  klSampled: Estimate;
  /** The float64 rounding bound of the gap (float64RoundingBound). */
  roundingBound: number;
}

/**
 * Point 4: the exact posterior of one x (by conditioning the joint; diagonal, which needs
 * orthogonal columns of W), spoiled step by step, q_t = N(m + t·s, diag((1 + t)² s²)), and for each
 * q_t the gap log p_θ(x) − ELBO(q_t) (route A) beside KL(q_t ‖ p_θ(z|x)) in closed form and by
 * Monte Carlo under q_t (`samples` draws from `random`) (route B). Document §3: they are equal.
 */
export function spoiledPosteriorGaps(model: LinearGaussianModel, x: ArrayLike<number>, spoil: number[], random: Random, samples = 4000): SpoiledPosteriorGap[] {
  const fn = 'spoiledPosteriorGaps';
  if (!(model instanceof LinearGaussianModel)) throw new TypeError(`${fn}: model must be a LinearGaussianModel`);
  checkFiniteArray(fn, 'x', x, model.dataSize);
  checkFiniteArray(fn, 'spoil', spoil);
  spoil.forEach((t, k) => checkNumber(fn, `spoil[${k}]`, t, 0));
  checkRandom(fn, 'random', random);
  const posterior = conditionedPosterior(model);
  if (posterior.maxAbsCorrelation > 1e-9) throw new RangeError(`${fn}: the posterior must be diagonal (orthogonal columns of W), max |correlation| is ${posterior.maxAbsCorrelation}`);
  const l = model.latentSize;
  const m = posterior.mean(x);
  const sd = Float64Array.from({ length: l }, (_, j) => Math.sqrt(posterior.covariance[j * l + j]));
  const logEvidence = model.logMarginal(x);
  return spoil.map((t) => {
    const q = { mean: m.map((v, j) => v + t * sd[j]), logVariance: sd.map((s) => 2 * Math.log((1 + t) * s)) };
    const gap = logEvidence - model.elbo(x, q).elbo;
    return {
      t, gap, kl: klToConditionedPosterior(q, posterior, m), klSampled: klToConditionedPosteriorSampled(q, posterior, m, random, samples),
      roundingBound: float64RoundingBound(model, Math.abs(logEvidence)),
    };
  });
}

/** The table of point 4: the gap, the KL in closed form (six decimals: they agree to rounding) and sampled. */
export function spoiledPosteriorTable(rows: SpoiledPosteriorGap[]): { headers: string[]; rows: (string | number)[][]; caption: string } {
  checkGapRows('spoiledPosteriorTable', rows);
  return {
    headers: ['spoil t', 'log p(x) − ELBO(q), route A (nats)', 'KL(q ‖ p(z|x)), route B, closed form', 'KL(q ‖ p(z|x)), route B, Monte Carlo ± SE'],
    rows: rows.map((r) => [r.t, r.gap.toFixed(6), r.kl.toFixed(6), `${r.klSampled.mean.toFixed(3)} ± ${r.klSampled.standardError.toFixed(3)}`]),
    caption: 'Point 4: the gap and the KL to the true posterior, one x',
  };
}

/** The gaps along the spoil path as "g₀ < g₁ < …" (three decimals), the measured text of the claim. */
export function gapPathText(rows: SpoiledPosteriorGap[]): string {
  checkGapRows('gapPathText', rows);
  return rows.map((r) => r.gap.toFixed(3)).join(' < ');
}

/** The largest |gap − KL| over the path, in units of its rounding bound, with the text of the claim. */
export function gapVersusKl(rows: SpoiledPosteriorGap[]): { holds: boolean; text: string } {
  checkGapRows('gapVersusKl', rows);
  const worst = rows.reduce((a, r) => (Math.abs(r.gap - r.kl) / r.roundingBound > Math.abs(a.gap - a.kl) / a.roundingBound ? r : a));
  return {
    holds: rows.every((r) => Math.abs(r.gap - r.kl) <= r.roundingBound),
    text: `largest |gap − KL| = ${Math.abs(worst.gap - worst.kl).toExponential(2)} nats at t = ${worst.t} (rounding bound there ${worst.roundingBound.toExponential(2)}); ${rows.length} values of t`,
  };
}

/** Every |gap − sampled KL| within `sigmas` standard errors plus the rounding bound, with the text of the claim. */
export function gapVersusSampledKl(rows: SpoiledPosteriorGap[], sigmas = 4): { holds: boolean; text: string } {
  checkGapRows('gapVersusSampledKl', rows);
  checkNumber('gapVersusSampledKl', 'sigmas', sigmas, 0);
  const score = (r: SpoiledPosteriorGap) => Math.abs(r.gap - r.klSampled.mean) / (sigmas * r.klSampled.standardError + r.roundingBound);
  const worst = rows.reduce((a, r) => (score(r) > score(a) ? r : a));
  return {
    holds: rows.every((r) => score(r) <= 1),
    text: `largest |gap − sampled KL| / (${sigmas}·SE + rounding bound) = ${score(worst).toFixed(3)} at t = ${worst.t} ` +
      `(gap ${worst.gap.toFixed(4)}, sampled ${worst.klSampled.mean.toFixed(4)} ± ${worst.klSampled.standardError.toFixed(4)}, n = ${worst.klSampled.n})`,
  };
}

/** True when every value is larger than the one before it. */
export function strictlyIncreasing(values: ArrayLike<number>): boolean {
  const v = checkFiniteArray('strictlyIncreasing', 'values', values);
  for (let i = 1; i < v.length; i++) if (!(v[i] > v[i - 1])) return false;
  return true;
}

/** The exact ELBO, log-evidence and gap of each example of a data set (linear-Gaussian decoder). */
export interface ExactGapOverData {
  /** log p_θ(x) per example (Woodbury, src: route A). */
  logEvidence: Float64Array;
  /** ELBO(x) = E_q[log p_θ(x|z)] − KL(q_φ(z|x) ‖ p(z)) per example, closed form (src: route A). */
  elbo: Float64Array;
  /** KL(q_φ(z|x) ‖ p_θ(z|x)) per example, the posterior by conditioning the joint (route B). */
  klToPosterior: Float64Array;
  /** Means over examples of the three. */
  meanLogEvidence: number;
  meanElbo: number;
  meanKlToPosterior: number;
  /** The float64 rounding bound of the means (float64RoundingBound at their largest size). */
  roundingBound: number;
}

/** (1/n) Σ_i v_i, summed in row order. */
function meanOf(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return s / v.length;
}

/** The diagonal Gaussians q of every row of a data set: means and log-variances, row-major [count, latentSize]. */
export interface DiagonalQs {
  latentSize: number;
  mean: Float64Array;
  logVariance: Float64Array;
}

/** The encoder's q_φ(z|x) of every row of `data` as float64 arrays (one evaluation pass, no sampling). */
export function encoderQs(encoder: InferenceModel & { inputSize?: number }, data: DataMatrix): DiagonalQs {
  const fn = 'encoderQs';
  checkObject(fn, 'encoder', encoder);
  if (typeof encoder.encode !== 'function') throw new TypeError(`${fn}: encoder must be an InferenceModel (with encode)`);
  checkDataMatrix(fn, 'data', data);
  const terms = evaluatePerExample(encoder, data, { batchSize: data.count }, fn);
  return { latentSize: terms.latentSize, mean: terms.encoderMean, logVariance: terms.encoderLogVariance };
}

/**
 * The exact posterior of every row of `data` as a diagonal q (by conditioning the joint); the
 * posterior must be diagonal (orthogonal columns of W), so that the q equals it.
 */
export function exactPosteriorQs(model: LinearGaussianModel, data: DataMatrix): DiagonalQs {
  const fn = 'exactPosteriorQs';
  checkModelAndData(fn, model, data);
  const posterior = conditionedPosterior(model);
  if (posterior.maxAbsCorrelation > 1e-9) throw new RangeError(`${fn}: the posterior must be diagonal (orthogonal columns of W), max |correlation| is ${posterior.maxAbsCorrelation}`);
  const { count: n, features: d } = data;
  const l = model.latentSize;
  const mean = new Float64Array(n * l);
  const logVariance = new Float64Array(n * l);
  for (let i = 0; i < n; i++) {
    mean.set(posterior.mean(data.values.subarray(i * d, (i + 1) * d)), i * l);
    for (let j = 0; j < l; j++) logVariance[i * l + j] = Math.log(posterior.covariance[j * l + j]);
  }
  return { latentSize: l, mean, logVariance };
}

/**
 * For each row x of `data` and its q (`qs`): log p_θ(x) and the ELBO of q by src's closed forms
 * (route A), and KL(q ‖ p_θ(z|x)) with the posterior by conditioning the joint (route B), all in
 * float64. The gap identity of §3 says logEvidence − elbo = klToPosterior for every row.
 */
export function exactGapOfQs(model: LinearGaussianModel, data: DataMatrix, qs: DiagonalQs): ExactGapOverData {
  const fn = 'exactGapOfQs';
  checkModelAndData(fn, model, data);
  checkObject(fn, 'qs', qs);
  const { count: n, features: d } = data;
  const l = model.latentSize;
  if (qs.latentSize !== l) throw new RangeError(`${fn}: qs.latentSize must equal model.latentSize ${l}, got ${qs.latentSize}`);
  checkFiniteArray(fn, 'qs.mean', qs.mean, n * l);
  checkFiniteArray(fn, 'qs.logVariance', qs.logVariance, n * l);
  const posterior = conditionedPosterior(model);
  const logEvidence = new Float64Array(n);
  const elbo = new Float64Array(n);
  const klToPosterior = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = data.values.subarray(i * d, (i + 1) * d);
    const q = { mean: qs.mean.subarray(i * l, (i + 1) * l), logVariance: qs.logVariance.subarray(i * l, (i + 1) * l) };
    logEvidence[i] = model.logMarginal(x);
    elbo[i] = model.elbo(x, q).elbo;
    klToPosterior[i] = klToConditionedPosterior(q, posterior, posterior.mean(x));
  }
  const meanLogEvidence = meanOf(logEvidence), meanElbo = meanOf(elbo);
  return {
    logEvidence, elbo, klToPosterior, meanLogEvidence, meanElbo, meanKlToPosterior: meanOf(klToPosterior),
    roundingBound: float64RoundingBound(model, Math.max(Math.abs(meanLogEvidence), Math.abs(meanElbo))),
  };
}

/** exactGapOfQs with q = encoder.encode(x) for every row (the encoder's outputs read as float64). */
export function exactGapOverData(model: LinearGaussianModel, encoder: InferenceModel, data: DataMatrix): ExactGapOverData {
  const fn = 'exactGapOverData';
  checkModelAndData(fn, model, data);
  checkObject(fn, 'encoder', encoder);
  if (encoder.latentSize !== model.latentSize) throw new RangeError(`${fn}: encoder.latentSize must equal model.latentSize ${model.latentSize}, got ${encoder.latentSize}`);
  return exactGapOfQs(model, data, encoderQs(encoder, data));
}

/** (1/N) Σ_i log p_θ(x_i) over the rows of `data`, closed form (e.g. of the model that generated them). */
export function meanExactLogEvidence(model: LinearGaussianModel, data: DataMatrix): number {
  const fn = 'meanExactLogEvidence';
  checkModelAndData(fn, model, data);
  const d = data.features;
  return meanOf(Float64Array.from({ length: data.count }, (_, i) => model.logMarginal(data.values.subarray(i * d, (i + 1) * d))));
}

/** The VAE of point 5: affine encoder, affine decoder, 2-D latent, Gaussian likelihood (a linear-Gaussian model). */
export const linearVaeConfig: VaeConfig = { inputSize: 8, latentSize: 2, hiddenSizes: [], decoderHiddenSizes: [], likelihood: 'gaussian' };

/** The exact means over a data set at one moment (nats per example). */
export interface ExactGapPoint {
  /** (1/N) Σ log p_θ(x_i), Woodbury (route A). */
  logEvidence: number;
  /** (1/N) Σ ELBO(x_i), closed form (route A). */
  elbo: number;
  /** (1/N) Σ KL(q_φ(z|x_i) ‖ p_θ(z|x_i)), the posterior by conditioning the joint (route B). */
  gap: number;
  /** The float64 rounding bound of these means. */
  roundingBound: number;
}

/** One recorded moment of training. */
export interface ExactGapRecord extends ExactGapPoint {
  epoch: number;
}

function pointOf(g: ExactGapOverData): ExactGapPoint {
  return { logEvidence: g.meanLogEvidence, elbo: g.meanElbo, gap: g.meanKlToPosterior, roundingBound: g.roundingBound };
}

/** Options of exactGapDuringTraining. */
export interface ExactGapTrainingOptions {
  /** 'all' (θ and φ) or 'encoder' (φ only, θ fixed). */
  parameters: 'all' | 'encoder';
  epochs: number;
  seed: number;
  /** Adam learning rate (default 1e-2). */
  learningRate?: number;
  /** Record after every `every`-th epoch and the last (default 1: every epoch). */
  every?: number;
  /** Rows of trainVae's per-epoch evaluation subset (default 200). */
  evalCount?: number;
  progress?: ProgressReporter | 'none';
}

/**
 * Trains a linear-Gaussian VAE (an affine Gaussian decoder: see linearGaussianFromVae) by the
 * ELBO, batches of 100, and records the exact mean log p_θ(x), ELBO and gap
 * KL(q_φ(z|x) ‖ p_θ(z|x)) over `data` before training and after every `every`-th epoch and the
 * last. With parameters 'encoder' θ stays fixed, so log p_θ(x) is a constant and every gain of
 * the ELBO is a fall of the gap (document §3).
 */
export async function exactGapDuringTraining(model: Vae, data: DataMatrix, options: ExactGapTrainingOptions): Promise<ExactGapRecord[]> {
  const fn = 'exactGapDuringTraining';
  checkObject(fn, 'model', model);
  checkDataMatrix(fn, 'data', data);
  checkObject(fn, 'options', options);
  const { epochs } = options;
  const parameters = checkOneOf(fn, 'options.parameters', options.parameters, ['all', 'encoder'] as const);
  checkInteger(fn, 'options.epochs', epochs, 1);
  const every = checkInteger(fn, 'options.every', options.every ?? 1, 1);
  const trace: ExactGapRecord[] = [];
  const record = (epoch: number) => trace.push({ epoch, ...pointOf(exactGapOverData(linearGaussianFromVae(model), model, data)) });
  record(0);
  await trainVae({
    model, data, parameters, epochs, batchSize: 100, learningRate: options.learningRate ?? 1e-2, seed: options.seed,
    evaluateInitial: false, evalCount: options.evalCount ?? 200, progress: options.progress ?? 'none',
    onEpoch: (metrics: EpochMetrics) => { if (metrics.epoch % every === 0 || metrics.epoch === epochs) record(metrics.epoch); },
  });
  return trace;
}

/** One step between two exact points: ELBO gain = change of log p_θ(x) + fall of the gap, both sides. */
export interface ElboGainSplit {
  label: string;
  /** ELBO after − before (route A). */
  elboGain: number;
  /** log p_θ(x) after − before (route A). */
  evidenceChange: number;
  /** gap before − after (route B). */
  gapFall: number;
  /** elboGain − (evidenceChange + gapFall): 0 up to rounding. */
  discrepancy: number;
  /** The sum of the two points' rounding bounds. */
  tolerance: number;
}

/** The split of the ELBO gain from `before` to `after`. */
export function elboGainSplit(label: string, before: ExactGapPoint, after: ExactGapPoint): ElboGainSplit {
  const fn = 'elboGainSplit';
  checkObject(fn, 'before', before);
  checkObject(fn, 'after', after);
  const elboGain = after.elbo - before.elbo;
  const evidenceChange = after.logEvidence - before.logEvidence;
  const gapFall = before.gap - after.gap;
  return { label, elboGain, evidenceChange, gapFall, discrepancy: elboGain - (evidenceChange + gapFall), tolerance: before.roundingBound + after.roundingBound };
}

/** The split of every recorded interval of a training trace (epoch e₁ → e₂). */
export function traceGainSplits(trace: ExactGapRecord[]): ElboGainSplit[] {
  const fn = 'traceGainSplits';
  if (!Array.isArray(trace) || trace.length < 2) throw new TypeError(`${fn}: trace must hold at least two records`);
  return trace.slice(1).map((r, k) => elboGainSplit(`epochs ${trace[k].epoch} → ${r.epoch}`, trace[k], r));
}

/** Every split holds to its tolerance; the text of the claim. */
export function gainSplitsHold(splits: ElboGainSplit[]): { holds: boolean; text: string } {
  const fn = 'gainSplitsHold';
  if (!Array.isArray(splits) || splits.length === 0) throw new TypeError(`${fn}: splits must be a non-empty array (from elboGainSplit)`);
  const worst = splits.reduce((a, s) => (Math.abs(s.discrepancy) / s.tolerance > Math.abs(a.discrepancy) / a.tolerance ? s : a));
  return {
    holds: splits.every((s) => Math.abs(s.discrepancy) <= s.tolerance),
    text: `${splits.length} steps; largest |ELBO gain − (Δ log p + gap fall)| / rounding bound = ${(Math.abs(worst.discrepancy) / worst.tolerance).toExponential(2)} ` +
      `(${Math.abs(worst.discrepancy).toExponential(2)} nats, ${worst.label})`,
  };
}

/**
 * The wrong-way moves of a training trace: the recorded intervals in which the ELBO rose while the
 * gap rose, and those in which it rose while log p_θ(x) fell (each beyond its rounding bound).
 */
export function wrongWayMoves(splits: ElboGainSplit[]): { gapRose: ElboGainSplit[]; evidenceFell: ElboGainSplit[]; elboRose: number } {
  const fn = 'wrongWayMoves';
  if (!Array.isArray(splits) || splits.length === 0) throw new TypeError(`${fn}: splits must be a non-empty array (from elboGainSplit)`);
  const rose = splits.filter((s) => s.elboGain > s.tolerance);
  return { gapRose: rose.filter((s) => s.gapFall < -s.tolerance), evidenceFell: rose.filter((s) => s.evidenceChange < -s.tolerance), elboRose: rose.length };
}

/**
 * The decoder θ = (W, b, σ²) that maximises the ELBO for fixed q's (one q per row of `data`): the
 * M-step of variational EM, a least-squares fit in closed form. With z̃ = (z, 1), A = [W b],
 *   A = (Σ_i x_i E[z̃_i]ᵀ) (Σ_i E[z̃_i z̃_iᵀ])⁻¹,   σ² = (1/(N·D)) Σ_i E_q‖x_i − A z̃_i‖²,
 * E[z̃] = (μ, 1), E[z̃ z̃ᵀ] = [[μμᵀ + diag s², μ], [μᵀ, 1]].
 */
export function elboMaximisingDecoder(data: DataMatrix, qs: DiagonalQs): LinearGaussianModel {
  const fn = 'elboMaximisingDecoder';
  checkDataMatrix(fn, 'data', data);
  checkObject(fn, 'qs', qs);
  const { count: n, features: d } = data;
  const l = checkInteger(fn, 'qs.latentSize', qs.latentSize, 1);
  checkFiniteArray(fn, 'qs.mean', qs.mean, n * l);
  checkFiniteArray(fn, 'qs.logVariance', qs.logVariance, n * l);
  const a1 = l + 1;
  const g = new Float64Array(a1 * a1); // Σ E[z̃ z̃ᵀ]
  const b = new Float64Array(d * a1); // Σ x E[z̃]ᵀ
  const ez = new Float64Array(a1);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < l; j++) ez[j] = qs.mean[i * l + j];
    ez[l] = 1;
    for (let p = 0; p < a1; p++) {
      for (let r = 0; r < a1; r++) g[p * a1 + r] += ez[p] * ez[r] + (p === r && p < l ? Math.exp(qs.logVariance[i * l + p]) : 0);
    }
    for (let k = 0; k < d; k++) for (let p = 0; p < a1; p++) b[k * a1 + p] += data.values[i * d + k] * ez[p];
  }
  const factor = cholesky(g, a1, fn);
  const a = new Float64Array(d * a1);
  for (let k = 0; k < d; k++) a.set(choleskySolve(factor, a1, b.subarray(k * a1, (k + 1) * a1)), k * a1);
  // σ² = (1/(N·D)) Σ_i [‖x_i − A E[z̃_i]‖² + Σ_j s_ij² ‖A_{:,j}‖²]
  const columnNorms = Float64Array.from({ length: l }, (_, j) => { let s = 0; for (let k = 0; k < d; k++) s += a[k * a1 + j] ** 2; return s; });
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < d; k++) {
      let fit = a[k * a1 + l];
      for (let j = 0; j < l; j++) fit += a[k * a1 + j] * qs.mean[i * l + j];
      total += (data.values[i * d + k] - fit) ** 2;
    }
    for (let j = 0; j < l; j++) total += Math.exp(qs.logVariance[i * l + j]) * columnNorms[j];
  }
  const weights = new Float64Array(d * l);
  const bias = new Float64Array(d);
  for (let k = 0; k < d; k++) {
    for (let j = 0; j < l; j++) weights[k * l + j] = a[k * a1 + j];
    bias[k] = a[k * a1 + l];
  }
  return new LinearGaussianModel(weights, bias, Math.log(total / (n * d)), d);
}

/** One ELBO-maximising step of θ for fixed q's, with the exact points before and after. */
export interface DecoderStep {
  decoder: LinearGaussianModel;
  before: ExactGapPoint;
  after: ExactGapPoint;
  split: ElboGainSplit;
}

/** Moves θ from `model` to elboMaximisingDecoder(data, qs), q held fixed, and records both sides. */
export function decoderStep(label: string, model: LinearGaussianModel, data: DataMatrix, qs: DiagonalQs): DecoderStep {
  const fn = 'decoderStep';
  checkModelAndData(fn, model, data);
  const decoder = elboMaximisingDecoder(data, qs);
  const before = pointOf(exactGapOfQs(model, data, qs));
  const after = pointOf(exactGapOfQs(decoder, data, qs));
  return { decoder, before, after, split: elboGainSplit(label, before, after) };
}

/**
 * A decoder far from the data whose true posterior is diagonal: the model's W halved (its columns
 * stay orthogonal when they were), b = 0 and σ² = 1.
 */
export function shrunkenDecoder(model: LinearGaussianModel): LinearGaussianModel {
  if (!(model instanceof LinearGaussianModel)) throw new TypeError('shrunkenDecoder: model must be a LinearGaussianModel');
  return new LinearGaussianModel(model.weights.map((w) => 0.5 * w), new Float64Array(model.dataSize), 0, model.dataSize);
}

/** The measured text of a wrong-way claim: the three terms of the step, with its rounding bound. */
export function stepText(step: DecoderStep): string {
  checkObject('stepText', 'step', step);
  const s = step.split;
  const f = (v: number) => (v >= 0 ? '+' : '') + v.toFixed(4);
  return `${s.label}: ELBO ${f(s.elboGain)}, log p_θ(x) ${f(s.evidenceChange)}, gap ${f(-s.gapFall)} nats per example (rounding bound ${s.tolerance.toExponential(1)})`;
}

/** The rows worth showing of a trace's splits: the first and the last, and up to `each` of each wrong-way kind. */
export function notableSplits(splits: ElboGainSplit[], each = 3): ElboGainSplit[] {
  const { gapRose, evidenceFell } = wrongWayMoves(splits);
  const chosen = new Set([splits[0], ...gapRose.slice(0, each), ...evidenceFell.slice(0, each), splits[splits.length - 1]]);
  return splits.filter((s) => chosen.has(s));
}

/** One line on a trace's wrong-way moves: how many intervals raised the ELBO, and in how many of them each term moved the wrong way. */
export function wrongWayText(splits: ElboGainSplit[]): string {
  const { gapRose, evidenceFell, elboRose } = wrongWayMoves(splits);
  return `${elboRose} of ${splits.length} recorded intervals raised the ELBO; in ${gapRose.length} of them the gap rose, in ${evidenceFell.length} log p_θ(x) fell`;
}

/** The table of point 5: the split of the ELBO gain, for the joint run and the two decoder steps. */
export function gainSplitTable(rows: ElboGainSplit[]): { headers: string[]; rows: string[][]; caption: string } {
  if (!Array.isArray(rows) || rows.length === 0) throw new TypeError('gainSplitTable: rows must be a non-empty array (from elboGainSplit)');
  // four decimals; a change too small for them in exponent form, so that its sign shows
  const f = (v: number) => (v >= 0 ? '+' : '') + (v !== 0 && Math.abs(v) < 5e-5 ? v.toExponential(1) : v.toFixed(4));
  return {
    headers: ['step', 'ELBO gain', '= Δ log p_θ(x)', '+ fall of the gap', 'difference of the two sides'],
    rows: rows.map((r) => [r.label, f(r.elboGain), f(r.evidenceChange), f(r.gapFall), r.discrepancy.toExponential(1)]),
    caption: 'ELBO gain = change of the evidence + fall of the gap (nats per example; the ELBO and log p_θ(x) by src/, the gap by conditioning the joint)',
  };
}

/** Gives `vae` a fresh encoder φ (the weights a new Vae(vae.config, random) draws); the decoder θ is untouched. */
export function resetEncoder(vae: Vae, random: Random): void {
  const fn = 'resetEncoder';
  checkObject(fn, 'vae', vae);
  checkRandom(fn, 'random', random);
  const fresh = new Vae(vae.config, random);
  const freshVariables = fresh.encoderNetwork.variables();
  vae.encoderNetwork.variables().forEach((v, k) => v.assign(freshVariables[k]));
  fresh.dispose();
}

/** True when two linear-Gaussian models have bit-identical W, b and σ² (θ untouched). */
export function sameLinearGaussian(a: LinearGaussianModel, b: LinearGaussianModel): boolean {
  const fn = 'sameLinearGaussian';
  if (!(a instanceof LinearGaussianModel) || !(b instanceof LinearGaussianModel)) throw new TypeError(`${fn}: a and b must be LinearGaussianModels`);
  const same = (u: Float64Array, v: Float64Array) => u.length === v.length && u.every((w, i) => w === v[i]);
  return same(a.weights, b.weights) && same(a.bias, b.bias) && a.logVariance === b.logVariance;
}

/** The table of point 5a: start and end of joint training, and the model that generated the data. */
export function jointTrainingTable(trace: ExactGapRecord[], trueLogEvidence: number): { headers: string[]; rows: string[][]; caption: string } {
  const fn = 'jointTrainingTable';
  if (!Array.isArray(trace) || trace.length < 2) throw new TypeError(`${fn}: trace must hold at least two records`);
  checkNumber(fn, 'trueLogEvidence', trueLogEvidence);
  const f = (v: number) => v.toFixed(3);
  const start = trace[0], end = trace[trace.length - 1];
  return {
    headers: ['', 'mean log p_θ(x) (exact)', 'mean ELBO (exact)', 'mean gap = KL(q ‖ p_θ(z|x))'],
    rows: [
      ['before training', f(start.logEvidence), f(start.elbo), f(start.gap)],
      [`after ${end.epoch} epochs`, f(end.logEvidence), f(end.elbo), f(end.gap)],
      ['the model that generated the data', f(trueLogEvidence), '', ''],
    ],
    caption: 'Point 5a: training θ and φ together by the ELBO (nats per example)',
  };
}

/** The table of point 5b: a fresh encoder against the frozen decoder, before and after. */
export function encoderTrainingTable(trace: ExactGapRecord[]): { headers: string[]; rows: string[][]; caption: string } {
  const fn = 'encoderTrainingTable';
  if (!Array.isArray(trace) || trace.length < 2) throw new TypeError(`${fn}: trace must hold at least two records`);
  const f = (v: number) => v.toFixed(3);
  const start = trace[0], end = trace[trace.length - 1];
  return {
    headers: ['θ fixed, φ trained', 'mean log p_θ(x)', 'mean ELBO', 'mean gap'],
    rows: [
      ['fresh encoder', f(start.logEvidence), f(start.elbo), f(start.gap)],
      [`after ${end.epoch} epochs`, f(end.logEvidence), f(end.elbo), f(end.gap)],
    ],
    caption: 'Point 5b: with the decoder frozen, the ELBO can only rise by closing the gap',
  };
}

/**
 * With θ fixed: the ELBO gain since the first record against the fall of the gap since then, at
 * every record (log p_θ(x) is constant, so the two are equal); the text and outcome of the claim.
 */
export function gainIsGapFall(trace: ExactGapRecord[]): { holds: boolean; text: string } {
  const fn = 'gainIsGapFall';
  if (!Array.isArray(trace) || trace.length < 2) throw new TypeError(`${fn}: trace must hold at least two records`);
  const start = trace[0];
  const rows = trace.slice(1).map((r) => ({ epoch: r.epoch, gain: r.elbo - start.elbo, fall: start.gap - r.gap, tolerance: start.roundingBound + r.roundingBound }));
  const worst = rows.reduce((a, r) => (Math.abs(r.gain - r.fall) / r.tolerance > Math.abs(a.gain - a.fall) / a.tolerance ? r : a));
  const end = rows[rows.length - 1];
  return {
    holds: rows.every((r) => Math.abs(r.gain - r.fall) <= r.tolerance),
    text: `at the end: ELBO gain ${end.gain.toFixed(4)}, gap fall ${end.fall.toFixed(4)} nats; largest |gain − fall| over ${rows.length} records ` +
      `${Math.abs(worst.gain - worst.fall).toExponential(2)} (epoch ${worst.epoch}, rounding bound ${worst.tolerance.toExponential(2)})`,
  };
}

function checkGapRows(fn: string, rows: unknown): asserts rows is SpoiledPosteriorGap[] {
  if (!Array.isArray(rows) || rows.length === 0) throw new TypeError(`${fn}: rows must be a non-empty array of {t, gap, kl, klSampled, roundingBound}`);
}

function checkModelAndData(fn: string, model: unknown, data: DataMatrix): asserts model is LinearGaussianModel {
  if (!(model instanceof LinearGaussianModel)) throw new TypeError(`${fn}: model must be a LinearGaussianModel`);
  checkDataMatrix(fn, 'data', data);
  if (data.features !== model.dataSize) throw new RangeError(`${fn}: data must have ${model.dataSize} features (the model's dataSize), got ${data.features}`);
}

// ---------------------------------------------------------------------------------------------
// The dashboard

/** What the dashboard shows: the numbers behind the five points. */
export interface SummaryNumbers {
  /** Point 1: the ELBO's batch means, split form (closed-form KL) and definition (all sampled). */
  splitForm: ElboBatchMean;
  definition: ElboBatchMean;
  /** Point 2: the digit VAE's per-epoch metrics from epoch 0 on (with held-out metrics). */
  epochs: EpochMetrics[];
  /** Point 3: the aggregate posterior's KL to the prior, with and without the KL term. */
  aggregateKl: { withKl: number; withoutKl: number };
  /** Point 4: the spoil path. */
  gapPath: SpoiledPosteriorGap[];
  /** Point 5: exact traces of joint and encoder-only training. */
  joint: ExactGapRecord[];
  encoderOnly: ExactGapRecord[];
}

const PANEL_TITLES = ['1. ELBO = reconstruction − KL', '2. reconstruction vs training', '3. codes vs prior',
  '4. gap = KL to true posterior', '5a. θ and φ trained together', '5b. θ fixed, φ trained'];

/**
 * The summary in numbers: six panels, one per point (5 in two), on a 2×3 grid. Error bars of
 * point 1 are ±4 Monte Carlo SE; the gap of 5b on a log scale.
 */
export function summaryFigure(numbers: SummaryNumbers): PlotlyFigure {
  const fn = 'summaryFigure';
  checkObject(fn, 'numbers', numbers);
  const { splitForm: s, definition: d, epochs, aggregateKl, gapPath, joint, encoderOnly } = numbers;
  for (const [name, list] of [['epochs', epochs], ['gapPath', gapPath], ['joint', joint], ['encoderOnly', encoderOnly]] as const) {
    if (!Array.isArray(list) || list.length === 0) throw new TypeError(`${fn}: numbers.${name} must be a non-empty array`);
  }
  const jointEnd = joint[joint.length - 1];
  return {
    data: [
      { x: ['reconstruction', '− KL', 'ELBO (split)', 'ELBO (definition)'], y: [s.reconstruction, -s.kl, s.elbo, d.elbo], type: 'bar', name: 'point 1 (nats)', xaxis: 'x', yaxis: 'y',
        error_y: { type: 'data', array: [4 * s.reconstructionStandardError, 0, 4 * s.elboStandardError, 4 * d.elboStandardError] } },
      { x: epochs.map((m) => m.epoch), y: epochs.map((m) => m.heldOut!.reconstruction), type: 'scatter', mode: 'lines+markers', name: 'held-out reconstruction', xaxis: 'x2', yaxis: 'y2' },
      { x: ['β = 1 (VAE)', 'β = 0 (no KL)'], y: [aggregateKl.withKl, aggregateKl.withoutKl], type: 'bar', name: 'KL(aggregate posterior ‖ prior)', xaxis: 'x3', yaxis: 'y3' },
      { x: gapPath.map((r) => r.t), y: gapPath.map((r) => r.gap), type: 'scatter', mode: 'lines+markers', name: 'log p(x) − ELBO', xaxis: 'x4', yaxis: 'y4' },
      { x: gapPath.map((r) => r.t), y: gapPath.map((r) => r.kl), type: 'scatter', mode: 'markers', marker: { symbol: 'x', size: 10 }, name: 'KL(q ‖ p(z|x))', xaxis: 'x4', yaxis: 'y4' },
      { x: joint.map((r) => r.epoch), y: joint.map((r) => r.logEvidence), type: 'scatter', mode: 'lines', name: 'log p_θ(x)', xaxis: 'x5', yaxis: 'y5' },
      { x: joint.map((r) => r.epoch), y: joint.map((r) => r.elbo), type: 'scatter', mode: 'lines', name: 'ELBO', xaxis: 'x5', yaxis: 'y5' },
      { x: encoderOnly.map((r) => r.epoch), y: encoderOnly.map((r) => r.gap), type: 'scatter', mode: 'lines', name: 'gap, θ fixed', xaxis: 'x6', yaxis: 'y6' },
    ],
    layout: {
      title: { text: 'The summary in numbers: the five points of §6' },
      grid: { rows: 2, columns: 3, pattern: 'independent' },
      xaxis: { title: { text: 'term' } }, yaxis: { title: { text: 'nats per digit' } },
      xaxis2: { title: { text: 'epoch' } }, yaxis2: { title: { text: 'E_q[log p(x|z)] (nats)' } },
      xaxis3: { title: { text: 'model' } }, yaxis3: { title: { text: 'KL (nats)' } },
      xaxis4: { title: { text: 'spoil t of q' } }, yaxis4: { title: { text: 'nats' } },
      xaxis5: { title: { text: 'epoch' } }, yaxis5: { title: { text: 'nats per example (exact)' }, range: [jointEnd.logEvidence - 15, jointEnd.logEvidence + 2] },
      xaxis6: { title: { text: 'epoch (encoder only)' } }, yaxis6: { title: { text: 'gap (nats, log scale)' }, type: 'log' },
      annotations: PANEL_TITLES.map((text, k) => ({ text: `<b>${text}</b>`, showarrow: false, xref: `x${k === 0 ? '' : k + 1} domain`, yref: `y${k === 0 ? '' : k + 1} domain`, x: 0.5, y: 1.18, xanchor: 'center' })),
      height: 720, showlegend: false, margin: { t: 90 },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The claims

const pointFive = '5. Maximising the ELBO improves both';
const wrongWay = 'With θ moving, either term can move the wrong way';
const thetaFixed = 'With θ fixed, every gain of the ELBO is a fall of the gap';
const pointFour = '4. The gap measures posterior quality';
const routeA = 'log p_θ(x) by Woodbury (src/exact/linearGaussian.ts, through M = WᵀW + σ²I) − ELBO(q) in closed form (src)';
const routeB = 'KL(q ‖ p_θ(z|x)) in closed form, the posterior found here by conditioning the joint Gaussian of (x, z) on x (a D×D Cholesky of C = WWᵀ + σ²I, no M)';

/** The notebook's claims: ids, sections, statements and the routes compared (what is compared stays in the cells). */
export const claimSpecs = {
  elboIsReconstructionMinusKl: { id: 'elbo-is-rec-minus-kl', section: '§6', where: '1. ELBO = reconstruction − KL',
    statement: 'the ELBO as defined, E_q[log p(x,z) − log q(z|x)], equals reconstruction − KL within 4 SE (500 digits × 20 draws each side, independent draws)',
    routes: 'A: the definition by Monte Carlo, log p_θ(x|z) + log p(z) − log q_φ(z|x) averaged over 20 z ~ q per digit (stream \'definition\') / ' +
      'B: the split form, the Monte Carlo mean of log p_θ(x|z) over 20 other z ~ q per digit (stream \'measure\') minus the closed-form KL' },
  reconstructionImproves: { id: 'reconstruction-improves', section: '§6', where: '2. Reconstruction makes the decoder explain the data',
    statement: 'training raises the reconstruction term of held-out digits (by more than 100 nats per digit)',
    routes: 'A: the held-out reconstruction term after training (trainVae\'s evaluation, one z ~ q per digit, 500 digits) / B: the same before training (epoch 0), plus 100 nats' },
  reconstructionThroughZ: { id: 'reconstruction-through-z', section: '§6', where: '2. Reconstruction makes the decoder explain the data',
    statement: 'the decoder explains each digit through its own code: log p(x|z) is higher with z from q(z|x) than with another digit’s z, by more than 4 SE (paired)',
    routes: 'A: log p_θ(x_i | z_i), z_i ~ q_φ(z|x_i), 500 held-out digits / B: log p_θ(x_i | z_π(i)), the same codes given to other digits (a fixed shuffle π)' },
  klKeepsLatentUsable: { id: 'kl-keeps-latent-usable', section: '§6', where: '3. KL keeps the encoder honest and the latent space usable',
    statement: 'with the KL term the codes of the data sit close to the prior: the aggregate posterior’s KL to N(0, I) is less than half that of the model trained without it',
    routes: 'A: KL(N(m, S) ‖ N(0, I)) of the Gaussian fitted to the VAE\'s aggregate posterior (500 held-out digits) / B: half the same for the twin trained with β = 0' },
  gapIsKl: { id: 'gap-is-kl', section: '§6', where: pointFour,
    statement: 'log p(x) − ELBO(q) equals KL(q ‖ true posterior) for every q tried, to float64 rounding (D²·κ(C)·2⁻⁵²·(1 + |log p(x)|))',
    routes: `A: ${routeA} / B: ${routeB}` },
  gapIsKlSampled: { id: 'gap-is-kl-sampled', section: '§6', where: pointFour,
    statement: 'log p(x) − ELBO(q) equals KL(q ‖ true posterior) sampled under q, within 4 SE (plus float64 rounding) for every q tried',
    routes: `A: ${routeA} / B: the Monte Carlo mean of log q(z) − log p_θ(z|x) over 4,000 z ~ q (stream 'klSampling'), the posterior's density from conditioning the joint` },
  gapZeroAtPosterior: { id: 'summary-gap-zero-at-posterior', section: '§6', where: pointFour,
    statement: 'when q is the true posterior the gap is zero: the ELBO equals log p(x), to float64 rounding',
    routes: 'A: ELBO(q) in closed form (src), q the posterior found by conditioning the joint Gaussian of (x, z) / B: log p_θ(x) by Woodbury (src, through M)' },
  gapGrowsWithError: { id: 'gap-grows-with-error', section: '§6', where: pointFour,
    statement: 'the worse q approximates the posterior, the larger the gap (strictly increasing along the spoil path)',
    routes: `A: the gap at t = 0, 0.25, …, 3, ${routeA} / B: the order of the spoil t` },
  elboImprovesModel: { id: 'elbo-improves-model', section: '§6', where: pointFive,
    statement: 'in this run, maximising the ELBO improves the generative model: exact mean log p_θ(x) rises from start to end of training (by more than 1 nat)',
    routes: 'A: mean log p_θ(x) after training, Woodbury (src) / B: the same before training, plus 1 nat' },
  elboImprovesEncoderJoint: { id: 'elbo-improves-encoder-joint', section: '§6', where: pointFive,
    statement: 'in this run (one run, not a law: with θ moving the gap may rise) the exact gap KL(q ‖ p_θ(z|x)) at the end is below a tenth of its value at the start',
    routes: `A: the mean gap after training, ${routeB} / B: a tenth of the same before training` },
  elboBelowEvidence: { id: 'training-elbo-below-evidence', section: '§6', where: pointFive,
    statement: 'throughout training the ELBO stays below log p_θ(x) (largest ELBO − log p over the recorded epochs, up to float64 rounding)',
    routes: 'A: the mean ELBO in closed form (src) at every record / B: the mean log p_θ(x) by Woodbury (src) at the same record' },
  elboGainSplits: { id: 'elbo-gain-splits', section: '§6', where: wrongWay,
    statement: 'with θ and φ both moving, every ELBO gain equals the change of log p_θ(x) plus the fall of the gap (each recorded interval of training and both decoder steps), to float64 rounding',
    routes: `A: the ELBO gain, closed form (src) / B: the change of log p_θ(x) by Woodbury (src) plus the fall of the gap, ${routeB}` },
  evidenceCanFall: { id: 'evidence-can-fall', section: '§6', where: wrongWay,
    statement: 'the evidence itself can fall while the ELBO rises: the ELBO-maximising θ for a fresh encoder\'s q, from the trained decoder, raises the mean ELBO and lowers the mean log p_θ(x), each beyond rounding',
    routes: 'A: mean ELBO (closed form, src) and mean log p_θ(x) (Woodbury, src) after the step / B: the same before it' },
  gapCanRise: { id: 'gap-can-rise', section: '§6', where: wrongWay,
    statement: 'and the gap can rise while the ELBO rises: from q equal to a decoder\'s exact posterior (gap 0), the ELBO-maximising θ for that q raises the mean ELBO and the mean gap, each beyond rounding',
    routes: `A: mean ELBO (closed form, src) and mean gap (${routeB}) after the step / B: the same before it` },
  thetaFixed: { id: 'theta-fixed', section: '§6', where: thetaFixed,
    statement: 'the decoder θ is untouched by encoder-only training',
    routes: 'A: W, b and σ² read from the decoder before encoder-only training / B: the same read after it (bit for bit)' },
  gapFallsPhiOnly: { id: 'gap-falls-phi-only', section: '§6', where: thetaFixed,
    statement: 'with θ fixed, maximising the ELBO over φ pushes q toward the true posterior: the exact gap falls to below a tenth',
    routes: `A: the mean gap after encoder-only training, ${routeB} / B: a tenth of the same for the fresh encoder` },
  elboGainIsGapFall: { id: 'elbo-gain-is-gap-fall', section: '§6', where: thetaFixed,
    statement: 'with θ fixed, the ELBO gain since the fresh encoder equals the fall of the gap at every recorded epoch, to float64 rounding (log p_θ(x) is constant)',
    routes: `A: the mean ELBO gain, closed form (src) / B: the fall of the mean gap, ${routeB}` },
} satisfies Record<string, ClaimSpec>;
