/**
 * Course module of notebook 04-why-q-near-the-prior: its experiments and figures (uses the
 * library; the library never imports it).
 *
 * Section 4 of the text gives three reasons to pay the KL term of the ELBO,
 *   ELBO(x) = E_{q_φ(z|x)}[log p_θ(x|z)] − β·KL(q_φ(z|x) ‖ p(z)),
 * and the notebook measures each by comparing a VAE (β = 1) with a KL-free model (β = 0) that
 * is identical in every other respect:
 *  1. sampling: generation draws z ~ p(z), so the codes' aggregate posterior q(z) should cover
 *     the prior (both KL directions between q and p; a classifier judging the samples);
 *  2. generalisation: without the KL term the encoder memorises (train − held-out gaps; the
 *     encoder's widths σ(x) and distances ‖μ(x)‖; the per-dimension penalty that prevents it);
 *  3. geometry: straight paths between codes decode to images that change evenly (jump ratios).
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../random';
import { Estimate, bootstrapStandardError, independentDifference, meanAndStandardErrorOf, meanEstimate, median, pairedDifference } from '../stats/index';
import { LOG_2PI } from '../distributions/gaussian';
import { klToStandardNormalPerDimension } from '../objectives/kl';
import { aggregatePosteriorGaussianKl } from '../exact/kl';
import { DataMatrix, checkDataMatrix } from '../data/matrix';
import type { Vae } from '../models/vae';
import type { DigitClassifier } from '../models/classifier';
import type { TrainResult } from '../train/train';
import { PerExampleTerms, evaluatePerExample, meanKlPerDimension } from '../train/evaluation';
import type { PlotlyFigure } from '../display/plotly';
import { imageGrid, imageGridFigure } from '../display/imageGrid';
import { decodedPixels, latentGridCodes } from '../display/decoderPayload';
import type { Cell } from '../display/table';
import type { ClaimSpec } from '../display/claims';
import { checkFiniteArray, checkInteger, checkMatrix, checkNumber, checkObject, checkRandom } from '../checks';

/** The two models of every comparison, as the tables and figures name them. */
const VAE_NAME = 'VAE (β = 1)';
const FREE_NAME = 'KL-free (β = 0)';
const PIXELS = 784;

/** A table as display.showTable takes it. */
export interface Table {
  headers: string[];
  rows: Cell[][];
  caption: string;
}

// ---------------------------------------------------------------------------------------------
// Two models, one difference
// ---------------------------------------------------------------------------------------------

/** The held-out reconstruction term, KL term and ELBO of both trained models (batch means, one z per digit). */
export function heldOutTermsTable(vaeRun: TrainResult, freeRun: TrainResult): Table {
  const fn = 'heldOutTermsTable';
  const row = (name: string, run: TrainResult, argument: string): Cell[] => {
    checkObject(fn, argument, run);
    const m = run.final?.heldOut;
    if (!m) throw new TypeError(`${fn}: ${argument} must be a training run with held-out metrics (trainVae with heldOut)`);
    return [name, m.reconstruction, m.kl, m.elbo];
  };
  return {
    headers: ['model', 'held-out reconstruction term (nats)', 'held-out KL term (nats)', 'held-out ELBO (nats)'],
    rows: [row(VAE_NAME, vaeRun, 'vaeRun'), row(FREE_NAME, freeRun, 'freeRun')],
    caption: 'After training: batch means over 1,000 held-out digits (one z per digit)',
  };
}

// ---------------------------------------------------------------------------------------------
// Reason 1: generation starts from the prior
// ---------------------------------------------------------------------------------------------

/**
 * The decoder means E[x | z] of the first perRow² prior draws z ~ N(0, I) of each model
 * (`vaeSamples`, `freeSamples`: [n, 784], decoded from the SAME z), side by side.
 */
export function priorSamplesFigure(vaeSamples: tf.Tensor2D, freeSamples: tf.Tensor2D, perRow = 6): PlotlyFigure {
  const fn = 'priorSamplesFigure';
  checkInteger(fn, 'perRow', perRow, 1);
  const shown = perRow * perRow;
  const imagesOf = (name: string, samples: tf.Tensor2D) => {
    checkMatrix(fn, name, samples, PIXELS);
    if (samples.shape[0] < shown) throw new RangeError(`${fn}: ${name} must hold at least ${shown} images, got ${samples.shape[0]}`);
    return samples.dataSync().subarray(0, shown * PIXELS);
  };
  return imageGridFigure([
    { title: VAE_NAME, grid: imageGrid(imagesOf('vaeSamples', vaeSamples), perRow, { gap: 1 }) },
    { title: FREE_NAME, grid: imageGrid(imagesOf('freeSamples', freeSamples), perRow, { gap: 1 }) },
  ], `Decoded prior samples z ~ N(0, I): the same ${shown} codes through each decoder`);
}

/**
 * The aggregate posterior of N digits, the mixture of their encoder Gaussians
 *   q(z) = (1/N) Σ_n q_φ(z | x_n) = (1/N) Σ_n N(z; μ_n, diag σ_n²),
 * given by the components' means μ_n and log-variances log σ_n² (row-major [N, d], float64):
 * the encoder outputs of train.evaluatePerExample.
 */
export type AggregatePosterior = Pick<PerExampleTerms, 'count' | 'latentSize' | 'encoderMean' | 'encoderLogVariance'>;

function checkAggregate(fn: string, q: AggregatePosterior): void {
  if (q === null || typeof q !== 'object' || !(q.encoderMean instanceof Float64Array) || !(q.encoderLogVariance instanceof Float64Array)) {
    throw new TypeError(`${fn}: aggregate must be the encoder outputs { count, latentSize, encoderMean, encoderLogVariance } of train.evaluatePerExample`);
  }
  checkInteger(fn, 'aggregate.count', q.count, 1);
  checkInteger(fn, 'aggregate.latentSize', q.latentSize, 1);
  const size = q.count * q.latentSize;
  if (q.encoderMean.length !== size || q.encoderLogVariance.length !== size) {
    throw new RangeError(`${fn}: aggregate.encoderMean and aggregate.encoderLogVariance must have count·latentSize = ${size} entries, got ${q.encoderMean.length} and ${q.encoderLogVariance.length}`);
  }
}

function checkRows(fn: string, name: string, z: ArrayLike<number>, latentSize: number): ArrayLike<number> {
  checkFiniteArray(fn, name, z);
  if (z.length === 0 || z.length % latentSize !== 0) {
    throw new RangeError(`${fn}: ${name} must hold whole rows of ${latentSize} values, got ${z.length} values`);
  }
  return z;
}

/**
 * log q(z) of the aggregate posterior at each row of z (row-major [m, d]):
 *   log q(z) = log (1/N) Σ_n N(z; μ_n, diag σ_n²)
 *            = max_n a_n + log Σ_n exp(a_n − max_n a_n) − log N,   a_n = log N(z; μ_n, diag σ_n²),
 * in float64 (the log-sum-exp over N components loses too much in float32 when the σ_n are tiny,
 * as in a model trained without the KL term). Returns [m] values in nats.
 */
export function aggregatePosteriorLogDensity(aggregate: AggregatePosterior, z: ArrayLike<number>): Float64Array {
  const fn = 'aggregatePosteriorLogDensity';
  checkAggregate(fn, aggregate);
  const d = aggregate.latentSize;
  const rows = checkRows(fn, 'z', z, d);
  const m = rows.length / d;
  const n = aggregate.count;
  // Per component: the constant −½ Σ_j (log 2π + log σ²_nj) and the precisions 1/σ²_nj.
  const constant = new Float64Array(n);
  const precision = new Float64Array(n * d);
  for (let c = 0; c < n; c++) {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const lv = aggregate.encoderLogVariance[c * d + j];
      s += LOG_2PI + lv;
      precision[c * d + j] = Math.exp(-lv);
    }
    constant[c] = -0.5 * s;
  }
  const out = new Float64Array(m);
  const logs = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    let best = -Infinity;
    for (let c = 0; c < n; c++) {
      let q = 0;
      for (let j = 0; j < d; j++) {
        const diff = rows[i * d + j] - aggregate.encoderMean[c * d + j];
        q += diff * diff * precision[c * d + j];
      }
      const v = constant[c] - 0.5 * q;
      logs[c] = v;
      if (v > best) best = v;
    }
    let sum = 0;
    for (let c = 0; c < n; c++) sum += Math.exp(logs[c] - best);
    out[i] = best + Math.log(sum) - Math.log(n);
  }
  return out;
}

/** log p(z) = −½ Σ_j (log 2π + z_j²) of the prior N(0, I), per row of z (row-major [m, d]), float64. */
export function priorLogDensity(z: ArrayLike<number>, latentSize: number): Float64Array {
  const fn = 'priorLogDensity';
  checkInteger(fn, 'latentSize', latentSize, 1);
  const rows = checkRows(fn, 'z', z, latentSize);
  const m = rows.length / latentSize;
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < latentSize; j++) s += LOG_2PI + rows[i * latentSize + j] ** 2;
    out[i] = -0.5 * s;
  }
  return out;
}

/** `count` draws from the mixture q(z): a component n uniformly, then z = μ_n + σ_n ε. Row-major [count, d]. */
export function sampleAggregatePosterior(aggregate: AggregatePosterior, count: number, random: Random): Float64Array {
  const fn = 'sampleAggregatePosterior';
  checkAggregate(fn, aggregate);
  checkInteger(fn, 'count', count, 1);
  checkRandom(fn, 'random', random);
  const d = aggregate.latentSize;
  const out = new Float64Array(count * d);
  for (let i = 0; i < count; i++) {
    const c = random.integer(aggregate.count);
    for (let j = 0; j < d; j++) {
      out[i * d + j] = aggregate.encoderMean[c * d + j] + Math.exp(0.5 * aggregate.encoderLogVariance[c * d + j]) * random.normal();
    }
  }
  return out;
}

/** How well the codes fill the prior, measured from both sides (nats). */
export interface PriorFit {
  /** KL(q ‖ p) = E_q[log q(z) − log p(z)], Monte Carlo over z ~ q: codes crowding where the prior rarely samples. */
  klAggregateToPrior: Estimate;
  /** KL(p ‖ q) = E_p[log p(z) − log q(z)], Monte Carlo over z ~ p: prior samples where no code lives (dead space). */
  klPriorToAggregate: Estimate;
  /** Mean log q(z) at the prior samples. */
  meanAggregateLogDensityAtPriorSamples: number;
  /** KL(N(m, S) ‖ N(0, I)) of the Gaussian with the mixture's mean and covariance: a lower bound on KL(q ‖ p). */
  momentMatchedKl: number;
}

/**
 * Both KL directions between the aggregate posterior q(z) and the prior p(z) (`samples` Monte
 * Carlo draws from each side, q first, with standard errors), the mean log q(z) at the prior
 * draws, and the moment-matched lower bound
 *   KL(q ‖ p) ≥ KL(N(m, S) ‖ N(0, I)),
 * which holds because, among densities with a given mean and covariance, the Gaussian has the
 * largest entropy while E_q[log p(z)] depends on the first two moments only.
 */
export function priorFit(aggregate: AggregatePosterior, random: Random, options: { samples?: number } = {}): PriorFit {
  const fn = 'priorFit';
  checkAggregate(fn, aggregate);
  checkRandom(fn, 'random', random);
  checkObject(fn, 'options', options);
  const samples = checkInteger(fn, 'options.samples', options.samples ?? 1000, 2);
  const d = aggregate.latentSize;

  const fromQ = sampleAggregatePosterior(aggregate, samples, random);
  const logQatQ = aggregatePosteriorLogDensity(aggregate, fromQ);
  const logPatQ = priorLogDensity(fromQ, d);
  const klQP = meanEstimate(logQatQ.map((v, i) => v - logPatQ[i]));

  // Prior draws z ~ N(0, I): the float32 normals of Random, read as float64.
  const fromP = Float64Array.from(random.normals(samples * d));
  const logQatP = aggregatePosteriorLogDensity(aggregate, fromP);
  const logPatP = priorLogDensity(fromP, d);
  const klPQ = meanEstimate(logPatP.map((v, i) => v - logQatP[i]));
  let sumLogQ = 0;
  for (let i = 0; i < samples; i++) sumLogQ += logQatP[i];
  return {
    klAggregateToPrior: klQP,
    klPriorToAggregate: klPQ,
    meanAggregateLogDensityAtPriorSamples: sumLogQ / samples,
    momentMatchedKl: aggregatePosteriorGaussianKl(aggregate.encoderMean, aggregate.encoderLogVariance, aggregate.latentSize),
  };
}

/** The table of the dead-space measurement: both KL directions (mean ± SE), the moment-matched bound, mean log q at prior samples. */
export function priorFitTable(vae: PriorFit, free: PriorFit): Table {
  const fn = 'priorFitTable';
  const row = (name: string, fit: PriorFit, argument: string): Cell[] => {
    checkObject(fn, argument, fit);
    return [name, fit.klPriorToAggregate, fit.klAggregateToPrior, fit.momentMatchedKl, fit.meanAggregateLogDensityAtPriorSamples];
  };
  return {
    headers: ['model', 'KL(p ‖ q): dead space (nats)', 'KL(q ‖ p) (nats)', 'moment-matched lower bound on KL(q ‖ p) (nats)', 'mean log q(z) at prior samples (nats)'],
    rows: [row(VAE_NAME, vae, 'vae'), row(FREE_NAME, free, 'free')],
    caption: 'Aggregate posterior q(z) vs prior p(z), 16-D latent (mean ± standard error)',
  };
}

// ---------------------------------------------------------------------------------------------
// A judge for the samples: the classifier's predictions summarised
// ---------------------------------------------------------------------------------------------

/** What the classifier's p(y|x) says about a set of images. */
export interface PredictiveSummary {
  /** Mean over rows of max_y p(y|x). */
  confidence: Estimate;
  /** Mean over rows of the predictive entropy H = −Σ_y p(y|x) log p(y|x) (nats; at most log classes). */
  entropy: Estimate;
  /** Entropy of the mean prediction H(p̄(y)), p̄(y) = mean_x p(y|x) (nats): how evenly the rows spread over the classes. */
  marginalEntropy: number;
  /**
   * I(y; x) = H(p̄(y)) − mean_x H(p(y|x)) ≥ 0 (nats), the log of the Inception Score
   * (Salimans et al. 2016): high when every row is confidently one class AND the classes vary.
   */
  labelInformation: number;
  /** How many rows go to each predicted class. */
  predictedCounts: number[];
  /** Per-row values, for histograms. */
  perRowConfidence: Float64Array;
  perRowEntropy: Float64Array;
}

/** Confidence, entropy and label information of a probability matrix given row-major ([n, classes]). */
export function summarizePredictions(probabilities: ArrayLike<number>, classes: number): PredictiveSummary {
  const fn = 'summarizePredictions';
  checkInteger(fn, 'classes', classes, 2);
  if (probabilities.length === 0 || probabilities.length % classes !== 0) {
    throw new RangeError(`${fn}: probabilities must hold whole rows of ${classes} values, got ${probabilities.length} values`);
  }
  const n = probabilities.length / classes;
  const confidence = new Float64Array(n);
  const entropy = new Float64Array(n);
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < n; i++) {
    let best = -1;
    let arg = 0;
    let h = 0;
    for (let k = 0; k < classes; k++) {
      const p = probabilities[i * classes + k];
      if (!(p >= 0 && p <= 1 + 1e-5)) throw new RangeError(`${fn}: probabilities must lie in [0, 1], got ${p} at row ${i}, class ${k}`);
      if (p > best) { best = p; arg = k; }
      if (p > 0) h -= p * Math.log(p);
    }
    confidence[i] = best;
    entropy[i] = h;
    counts[arg]++;
  }
  const meanEntropy = meanAndStandardErrorOf(entropy, 0, n);
  const marginalEntropy = marginalEntropyOf(probabilities, classes, null);
  return {
    confidence: meanAndStandardErrorOf(confidence, 0, n), entropy: meanEntropy, marginalEntropy,
    labelInformation: marginalEntropy - meanEntropy.mean, predictedCounts: counts, perRowConfidence: confidence, perRowEntropy: entropy,
  };
}

/** H(p̄) of the mean p̄ of the rows listed in `rows` (all rows when null). */
function marginalEntropyOf(probabilities: ArrayLike<number>, classes: number, rows: Int32Array | null): number {
  const n = rows ? rows.length : probabilities.length / classes;
  const mean = new Float64Array(classes);
  for (let i = 0; i < n; i++) {
    const r = rows ? rows[i] : i;
    for (let k = 0; k < classes; k++) mean[k] += probabilities[r * classes + k] / n;
  }
  let h = 0;
  for (const p of mean) if (p > 0) h -= p * Math.log(p);
  return h;
}

/**
 * Bootstrap standard error of the label information I(y; x): rows resampled with replacement
 * `resamples` times (indices from `random`), the spread of the recomputed I(y; x).
 */
export function labelInformationStandardError(probabilities: ArrayLike<number>, classes: number, random: Random, resamples = 200): number {
  const fn = 'labelInformationStandardError';
  const summary = summarizePredictions(probabilities, classes);
  checkRandom(fn, 'random', random);
  checkInteger(fn, 'resamples', resamples, 2);
  const n = summary.perRowEntropy.length;
  return bootstrapStandardError(n, (rows) => {
    let h = 0;
    for (let i = 0; i < n; i++) h += summary.perRowEntropy[rows[i]] / n;
    return marginalEntropyOf(probabilities, classes, rows) - h;
  }, random, resamples);
}

/** The judge's verdict on a set of images: the summary, with the label information as an estimate (bootstrap SE). */
export interface Judgement extends Omit<PredictiveSummary, 'labelInformation'> {
  /** I(y; x) with its bootstrap standard error; n = number of images. */
  labelInformation: Estimate;
}

/**
 * The classifier's confidence, predictive entropy and label information on images x ([n, 784]
 * tensor, not disposed, or a DataMatrix), the label information's standard error by the
 * bootstrap with indices from `random`.
 */
export function judgeImages(classifier: DigitClassifier, x: tf.Tensor2D | DataMatrix, random: Random): Judgement {
  const fn = 'judgeImages';
  checkObject(fn, 'classifier', classifier);
  checkRandom(fn, 'random', random);
  let probabilities: tf.Tensor2D;
  if (x instanceof tf.Tensor) {
    probabilities = classifier.probabilities(checkMatrix(fn, 'x', x, classifier.inputSize));
  } else {
    checkDataMatrix(fn, 'x', x);
    if (x.features !== classifier.inputSize) throw new RangeError(`${fn}: x must have ${classifier.inputSize} features per example, got ${x.features}`);
    probabilities = tf.tidy(() => classifier.probabilities(tf.tensor2d(x.values, [x.count, x.features])));
  }
  const values = probabilities.dataSync();
  probabilities.dispose();
  const summary = summarizePredictions(values, classifier.classes);
  const standardError = labelInformationStandardError(values, classifier.classes, random);
  return { ...summary, labelInformation: { mean: summary.labelInformation, standardError, n: summary.perRowEntropy.length } };
}

/** The judge's table: per set of images, mean confidence and entropy, label information (± SE) and the predicted digit counts. */
export function judgementTable(rows: { images: string; judgement: Judgement }[], accuracy: number): Table {
  const fn = 'judgementTable';
  if (!Array.isArray(rows) || rows.length === 0) throw new TypeError(`${fn}: rows must be a non-empty array of { images, judgement }`);
  checkNumber(fn, 'accuracy', accuracy, 0, 1);
  return {
    headers: ['images', 'mean confidence', 'mean entropy (nats)', 'label information I(y; x) (nats)', 'predicted digit counts 0–9'],
    rows: rows.map(({ images, judgement }, i) => {
      checkObject(fn, `rows[${i}].judgement`, judgement);
      return [images, judgement.confidence, judgement.entropy, judgement.labelInformation, judgement.predictedCounts.join(' ')];
    }),
    caption: `The classifier (held-out accuracy ${(100 * accuracy).toFixed(1)} %) on 1,000 images of each kind`,
  };
}

// ---------------------------------------------------------------------------------------------
// Reason 2: the KL term prevents memorisation
// ---------------------------------------------------------------------------------------------

/** A per-example quantity on the training and the held-out digits, and the gap between their means. */
export interface GeneralizationGap {
  train: Estimate;
  heldOut: Estimate;
  /** mean(train) − mean(heldOut), SE = √(SE_train² + SE_heldOut²) (independent sets). */
  gap: { mean: number; standardError: number };
}

function gapOf(train: Float64Array, heldOut: Float64Array): GeneralizationGap {
  const a = meanEstimate(train);
  const b = meanEstimate(heldOut);
  return { train: a, heldOut: b, gap: independentDifference(a, b) };
}

/**
 * The generalisation gaps of the reconstruction term log p_θ(x|z) and of the ELBO: per-example
 * values from the evaluation pass (one z = μ + σ ε per digit, ε from Random(seeds.train) on
 * `trainData` and Random(seeds.heldOut) on `heldOutData`: the same seeds give every model the
 * same noise), then mean(train) − mean(held-out) with its standard error.
 */
export function generalizationGaps(model: Vae, trainData: DataMatrix, heldOutData: DataMatrix, seeds: { train: number; heldOut: number }): { reconstruction: GeneralizationGap; elbo: GeneralizationGap } {
  const fn = 'generalizationGaps';
  checkObject(fn, 'model', model);
  checkObject(fn, 'seeds', seeds);
  const onTrain = evaluatePerExample(model, trainData, { random: new Random(checkInteger(fn, 'seeds.train', seeds.train, 0)) }, fn);
  const onHeld = evaluatePerExample(model, heldOutData, { random: new Random(checkInteger(fn, 'seeds.heldOut', seeds.heldOut, 0)) }, fn);
  return { reconstruction: gapOf(onTrain.reconstruction!, onHeld.reconstruction!), elbo: gapOf(onTrain.elbo!, onHeld.elbo!) };
}

/** The memorisation table: train and held-out means of both terms and their gaps (± SE), per model. */
export function generalizationTable(vae: { reconstruction: GeneralizationGap; elbo: GeneralizationGap }, free: { reconstruction: GeneralizationGap; elbo: GeneralizationGap }): Table {
  const fn = 'generalizationTable';
  const row = (name: string, g: typeof vae, argument: string): Cell[] => {
    checkObject(fn, argument, g);
    return [name, g.reconstruction.train.mean, g.reconstruction.heldOut.mean, g.reconstruction.gap, g.elbo.train.mean, g.elbo.heldOut.mean, g.elbo.gap];
  };
  return {
    headers: ['model', 'reconstruction: train', 'reconstruction: held-out', 'reconstruction gap', 'ELBO: train', 'ELBO: held-out', 'ELBO gap'],
    rows: [row(VAE_NAME, vae, 'vae'), row(FREE_NAME, free, 'free')],
    caption: 'Per-example means (nats) on the 300 training digits and 1,000 held-out digits; gap = train − held-out ± SE',
  };
}

/** What the encoder outputs on a data set: where memorisation lives. */
export interface EncoderSpread {
  /** σ_u(x) = exp(½ log σ²_u(x)) for every example and dimension (row-major [n, d]). */
  sigma: Float64Array;
  /** ‖μ(x)‖ = √(Σ_u μ_u(x)²) per example (distance from the prior's centre). */
  meanNorm: Float64Array;
  /** Mean over examples of KL_u = −½ (1 + log σ_u² − μ_u² − σ_u²) per dimension ([d]). */
  klPerDimension: Float64Array;
  /** The mean KL term per example, Σ_u klPerDimension[u] (nats). */
  kl: number;
  medianSigma: number;
  medianMeanNorm: number;
}

/** σ(x), ‖μ(x)‖ and the KL per dimension of the encoder outputs of the evaluation pass, with their medians. */
export function encoderSpread(terms: PerExampleTerms): EncoderSpread {
  const fn = 'encoderSpread';
  checkObject(fn, 'terms', terms);
  if (!(terms.encoderMean instanceof Float64Array) || !(terms.encoderLogVariance instanceof Float64Array) || !(terms.klPerDimension instanceof Float64Array)) {
    throw new TypeError(`${fn}: terms must be the result of train.evaluatePerExample`);
  }
  const n = terms.count;
  const d = terms.latentSize;
  const sigma = terms.encoderLogVariance.map((lv: number) => Math.exp(0.5 * lv));
  const meanNorm = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += terms.encoderMean[i * d + j] ** 2;
    meanNorm[i] = Math.sqrt(s);
  }
  const klPerDimension = meanKlPerDimension(terms);
  let kl = 0;
  for (const v of klPerDimension) kl += v;
  return { sigma, meanNorm, klPerDimension, kl, medianSigma: median(sigma), medianMeanNorm: median(meanNorm) };
}

function overlaidHistograms(vae: ArrayLike<number>, free: ArrayLike<number>, bins: number, title: string, xTitle: string, yTitle: string): PlotlyFigure {
  return {
    data: [
      { x: Array.from(vae), type: 'histogram', name: VAE_NAME, opacity: 0.6, nbinsx: bins },
      { x: Array.from(free), type: 'histogram', name: FREE_NAME, opacity: 0.6, nbinsx: bins },
    ],
    layout: { title: { text: title }, barmode: 'overlay', xaxis: { title: { text: xTitle } }, yaxis: { title: { text: yTitle } }, height: 380 },
  };
}

/** Histograms of log₁₀ σ(x) over every (digit, dimension) pair, both models overlaid. */
export function encoderWidthsFigure(vae: EncoderSpread, free: EncoderSpread, digits = 300): PlotlyFigure {
  const fn = 'encoderWidthsFigure';
  checkObject(fn, 'vae', vae);
  checkObject(fn, 'free', free);
  checkInteger(fn, 'digits', digits, 1);
  return overlaidHistograms(Array.from(vae.sigma, Math.log10), Array.from(free.sigma, Math.log10), 60,
    `Encoder widths σ(x) on the ${digits} training digits (all ${vae.klPerDimension.length} dimensions)`,
    'log₁₀ σ(x) (σ in latent units; prior: log₁₀ 1 = 0)', 'count of (digit, dimension) pairs');
}

/** Histograms of the distance ‖μ(x)‖ of the encoder mean from the prior's centre, both models overlaid. */
export function meanNormsFigure(vae: EncoderSpread, free: EncoderSpread, digits = 300): PlotlyFigure {
  const fn = 'meanNormsFigure';
  checkObject(fn, 'vae', vae);
  checkObject(fn, 'free', free);
  checkInteger(fn, 'digits', digits, 1);
  return overlaidHistograms(vae.meanNorm, free.meanNorm, 40,
    `Distance of the encoder mean from the prior centre, ‖μ(x)‖, on the ${digits} training digits`,
    '‖μ(x)‖ (latent units; a prior draw has ‖z‖ ≈ 4)', 'count of digits');
}

/** Median σ(x), median ‖μ(x)‖ and the mean KL term per digit, per model. */
export function encoderSpreadTable(vae: EncoderSpread, free: EncoderSpread): Table {
  const fn = 'encoderSpreadTable';
  checkObject(fn, 'vae', vae);
  checkObject(fn, 'free', free);
  return {
    headers: ['model', 'median σ(x)', 'median ‖μ(x)‖', 'mean KL term per digit (nats)'],
    rows: [[VAE_NAME, vae.medianSigma, vae.medianMeanNorm, vae.kl], [FREE_NAME, free.medianSigma, free.medianMeanNorm, free.kl]],
    caption: 'What the encoder outputs on its training digits',
  };
}

/**
 * The per-dimension KL penalty on a grid: value[i][j] = −½(1 + log σ_i² − μ_j² − σ_i²) for
 * σ = sigmas[i], μ = means[j] (rows follow σ, columns μ, as a Plotly contour expects).
 * Computed by the library's objectives.klToStandardNormalPerDimension.
 */
export function klPenaltySurface(means: ArrayLike<number>, sigmas: ArrayLike<number>): number[][] {
  const fn = 'klPenaltySurface';
  checkFiniteArray(fn, 'means', means);
  checkFiniteArray(fn, 'sigmas', sigmas);
  if (means.length === 0 || sigmas.length === 0) throw new RangeError(`${fn}: means and sigmas must not be empty`);
  for (let i = 0; i < sigmas.length; i++) {
    if (!(sigmas[i] > 0)) throw new RangeError(`${fn}: sigmas must be > 0, got ${sigmas[i]} at index ${i}`);
  }
  const m = means.length;
  const s = sigmas.length;
  const mu = new Float32Array(m * s);
  const lv = new Float32Array(m * s);
  for (let i = 0; i < s; i++) {
    for (let j = 0; j < m; j++) {
      mu[i * m + j] = means[j];
      lv[i * m + j] = 2 * Math.log(sigmas[i]);
    }
  }
  const values = tf.tidy(() => klToStandardNormalPerDimension({ mean: tf.tensor2d(mu, [m * s, 1]), logVariance: tf.tensor2d(lv, [m * s, 1]) }).dataSync());
  const out: number[][] = [];
  for (let i = 0; i < s; i++) out.push(Array.from(values.subarray(i * m, (i + 1) * m)));
  return out;
}

function checkPenalty(fn: string, means: ArrayLike<number>, sigmas: ArrayLike<number>, penalty: number[][]): void {
  checkFiniteArray(fn, 'means', means);
  checkFiniteArray(fn, 'sigmas', sigmas);
  if (!Array.isArray(penalty) || penalty.length !== sigmas.length || penalty.some((row) => !Array.isArray(row) || row.length !== means.length)) {
    throw new RangeError(`${fn}: penalty must have sigmas.length = ${sigmas.length} rows of means.length = ${means.length} values (klPenaltySurface)`);
  }
}

/**
 * The per-dimension KL penalty as a contour map over (μ, σ): filled contours every half nat with
 * labelled lines, and the prior (μ = 0, σ = 1), where the penalty is zero, marked. It shows the
 * single minimum at the prior, the growth with |μ|, the steep rise as σ shrinks towards 0 and
 * the slow one as σ grows past 1.
 */
export function klPenaltyFigure(means: ArrayLike<number>, sigmas: ArrayLike<number>, penalty: number[][]): PlotlyFigure {
  checkPenalty('klPenaltyFigure', means, sigmas, penalty);
  let max = 0;
  for (const row of penalty) for (const v of row) max = Math.max(max, v);
  return {
    data: [
      {
        type: 'contour', x: Array.from(means), y: Array.from(sigmas), z: penalty, colorscale: 'Viridis', name: 'KL penalty',
        contours: { start: 0, end: Math.ceil(max * 2) / 2, size: 0.5, showlabels: true, labelfont: { color: 'white', size: 10 } },
        colorbar: { title: { text: 'nats' } },
        hovertemplate: 'μ = %{x}, σ = %{y}: %{z:.3f} nats<extra></extra>',
      },
      {
        type: 'scatter', mode: 'markers+text', x: [0], y: [1], name: 'the prior (μ = 0, σ = 1)', text: ['prior: 0 nats'],
        textposition: 'top center', textfont: { color: 'white' }, marker: { color: 'white', size: 10, symbol: 'x' },
        hovertemplate: 'μ = 0, σ = 1: the prior, penalty 0<extra></extra>', showlegend: false,
      },
    ],
    layout: {
      title: { text: 'Per-dimension KL penalty −½(1 + log σ² − μ² − σ²)' },
      xaxis: { title: { text: 'encoder mean μ' } },
      yaxis: { title: { text: 'encoder width σ' } },
      height: 520,
    },
  };
}

/** The smallest penalty of the grid and where it lies (the first such grid point, σ rows scanned first). */
export function penaltyMinimum(means: ArrayLike<number>, sigmas: ArrayLike<number>, penalty: number[][]): { value: number; mean: number; sigma: number } {
  checkPenalty('penaltyMinimum', means, sigmas, penalty);
  let value = Infinity;
  let at = [-1, -1];
  penalty.forEach((row, i) => row.forEach((v, j) => { if (v < value) { value = v; at = [i, j]; } }));
  return { value, mean: means[at[1]], sigma: sigmas[at[0]] };
}

/**
 * Whether the penalty grows strictly with |μ| at every σ of the grid: away from the column
 * μ = 0 (means ascending, 0 among them), each value exceeds its neighbour nearer to 0.
 */
export function increasesWithAbsoluteMean(means: ArrayLike<number>, penalty: number[][]): boolean {
  const fn = 'increasesWithAbsoluteMean';
  checkFiniteArray(fn, 'means', means);
  const j0 = Array.from(means).indexOf(0);
  if (j0 < 0) throw new RangeError(`${fn}: means must include 0`);
  for (let j = 1; j < means.length; j++) if (!(means[j] > means[j - 1])) throw new RangeError(`${fn}: means must be increasing`);
  if (!Array.isArray(penalty) || penalty.some((row) => !Array.isArray(row) || row.length !== means.length)) {
    throw new RangeError(`${fn}: penalty must have rows of means.length = ${means.length} values (klPenaltySurface)`);
  }
  return penalty.every((row) => row.every((v, j) => j === j0 || (j > j0 ? v > row[j - 1] : v > row[j + 1])));
}

/** Whether the penalty grows strictly as σ shrinks below 1 at every μ of the grid (sigmas ascending). */
export function increasesAsSigmaShrinks(sigmas: ArrayLike<number>, penalty: number[][]): boolean {
  const fn = 'increasesAsSigmaShrinks';
  checkFiniteArray(fn, 'sigmas', sigmas);
  for (let i = 1; i < sigmas.length; i++) if (!(sigmas[i] > sigmas[i - 1])) throw new RangeError(`${fn}: sigmas must be increasing`);
  if (!Array.isArray(penalty) || penalty.length !== sigmas.length || penalty.some((row) => !Array.isArray(row) || row.length !== penalty[0].length)) {
    throw new RangeError(`${fn}: penalty must have sigmas.length = ${sigmas.length} rows of equal length (klPenaltySurface)`);
  }
  return penalty[0].every((_, j) => penalty.every((row, i) => i === 0 || sigmas[i] > 1 || penalty[i - 1][j] > row[j]));
}

// ---------------------------------------------------------------------------------------------
// Reason 3: a smooth latent space
// ---------------------------------------------------------------------------------------------

/**
 * Where the digits' codes sit in a 2-D latent space: the encoder means μ(x) of each model
 * (`vae`, `free`: the evaluation pass of each, latentSize 2), coloured by digit (`labels`).
 */
export function latentCodesFigure(vae: PerExampleTerms, free: PerExampleTerms, labels: ArrayLike<number>): PlotlyFigure {
  const fn = 'latentCodesFigure';
  for (const [name, terms] of [['vae', vae], ['free', free]] as const) {
    checkObject(fn, name, terms);
    if (terms.latentSize !== 2 || terms.count !== labels.length) {
      throw new RangeError(`${fn}: ${name} must hold 2-D codes of the ${labels.length} labelled digits, got ${terms.count} codes of dimension ${terms.latentSize}`);
    }
  }
  const traces = [vae, free].flatMap((terms, panel) => Array.from({ length: 10 }, (_, digit) => {
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < terms.count; i++) {
      if (labels[i] === digit) { x.push(terms.encoderMean[2 * i]); y.push(terms.encoderMean[2 * i + 1]); }
    }
    return { x, y, type: 'scatter', mode: 'markers', marker: { size: 4, color: digit },
      name: `${digit}`, legendgroup: `${digit}`, showlegend: panel === 0, xaxis: panel ? 'x2' : 'x', yaxis: panel ? 'y2' : 'y' };
  }));
  return {
    data: traces,
    layout: { title: { text: `Encoder means μ(x) of ${labels.length.toLocaleString('en-US')} held-out digits: VAE (left) and KL-free model (right)` }, height: 440,
      xaxis: { domain: [0, 0.46], title: { text: 'z₁ (latent units)' } }, yaxis: { title: { text: 'z₂ (latent units)' } },
      xaxis2: { domain: [0.54, 1], title: { text: 'z₁ (latent units)' } }, yaxis2: { anchor: 'x2', title: { text: 'z₂ (latent units)' } } },
  };
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

/** The decoder means E[x | z] over the square grid z ∈ [−extent, extent]² of both 2-D models, side by side. */
export function decodedLatentGridFigure(vae: Vae, free: Vae, count = 15, extent = 2.5): PlotlyFigure {
  const fn = 'decodedLatentGridFigure';
  checkObject(fn, 'vae', vae);
  checkObject(fn, 'free', free);
  checkInteger(fn, 'count', count, 2);
  checkNumber(fn, 'extent', extent, Number.MIN_VALUE);
  // The values are read after tf.tidy, not returned from it (tidy walks a returned array element by element).
  const codes = latentGridCodes(count, extent);
  const decoded = (model: Vae) => decodedPixels(model, codes);
  return imageGridFigure([
    { title: VAE_NAME, grid: imageGrid(decoded(vae), count) },
    { title: FREE_NAME, grid: imageGrid(decoded(free), count) },
  ], `Decoded grid z ∈ [−${extent}, ${extent}]² (z₁ left to right, z₂ bottom to top): where the prior samples`, 520);
}

/**
 * How evenly a path of T decoded images x_0 … x_{T−1} changes (Euclidean distances in pixel space):
 *   jump ratio   = (T − 1) · max_t ‖x_{t+1} − x_t‖ / ‖x_{T−1} − x_0‖,
 *   length ratio = Σ_t ‖x_{t+1} − x_t‖ / ‖x_{T−1} − x_0‖.
 * Both are ≥ 1 (triangle inequality); the jump ratio is 1 when every step changes the image by
 * the same amount and T − 1 when the whole change happens in one step.
 */
export interface PathSmoothness {
  /** ‖x_{t+1} − x_t‖ for each of the T − 1 steps. */
  steps: Float64Array;
  /** ‖x_{T−1} − x_0‖. */
  endpointDistance: number;
  jumpRatio: number;
  lengthRatio: number;
}

/** Jump and length ratios of a path of `count` images, row-major [T, D] (T ≥ 2). */
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

/** One decoded path: its smoothness and its images (row-major [steps, D]). */
export type InterpolationPath = PathSmoothness & { images: Float32Array };

/**
 * The decoded path z_t = (1 − t) μ(x_a) + t μ(x_b) between the encoder means of rows a and b of
 * x ([n, D], not disposed) and its smoothness.
 */
export function interpolationSmoothness(model: Vae, x: tf.Tensor2D, a: number, b: number, steps: number): InterpolationPath {
  const fn = 'interpolationSmoothness';
  checkObject(fn, 'model', model);
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

/** `count` pairs of row indices [a, b] with different labels, each index drawn uniformly from `random` (a, then b). */
export function differentClassPairs(labels: ArrayLike<number>, count: number, random: Random): [number, number][] {
  const fn = 'differentClassPairs';
  checkObject(fn, 'labels', labels);
  checkInteger(fn, 'count', count, 1);
  checkRandom(fn, 'random', random);
  const n = labels.length;
  if (n < 2 || Array.from(labels).every((l) => l === labels[0])) throw new RangeError(`${fn}: labels must hold at least two different classes`);
  const pairs: [number, number][] = [];
  while (pairs.length < count) {
    const a = random.integer(n);
    const b = random.integer(n);
    if (labels[a] !== labels[b]) pairs.push([a, b]);
  }
  return pairs;
}

/** The decoded paths of `model` between the digits of every pair (rows of `digits`), `steps` images each. */
export function interpolationPaths(model: Vae, digits: DataMatrix, pairs: [number, number][], steps: number): InterpolationPath[] {
  const fn = 'interpolationPaths';
  checkDataMatrix(fn, 'digits', digits);
  if (!Array.isArray(pairs) || pairs.length === 0) throw new TypeError(`${fn}: pairs must be a non-empty array of [a, b] row indices`);
  const x = tf.tensor2d(digits.values, [digits.count, digits.features]);
  try {
    return pairs.map(([a, b]) => interpolationSmoothness(model, x, a, b, steps));
  } finally {
    x.dispose();
  }
}

/** The first `shownPairs` paths of each model, one pair per row, side by side. */
export function interpolationsFigure(vae: InterpolationPath[], free: InterpolationPath[], titles: [string, string], title: string, shownPairs = 4): PlotlyFigure {
  const fn = 'interpolationsFigure';
  checkInteger(fn, 'shownPairs', shownPairs, 1);
  const gridOf = (name: string, paths: InterpolationPath[]) => {
    if (!Array.isArray(paths) || paths.length < shownPairs) throw new RangeError(`${fn}: ${name} must hold at least ${shownPairs} paths`);
    return imageGrid(paths.slice(0, shownPairs).flatMap((p) => Array.from(p.images)), paths[0].steps.length + 1, { gap: 1 });
  };
  return imageGridFigure([{ title: titles[0], grid: gridOf('vae', vae) }, { title: titles[1], grid: gridOf('free', free) }], title, 360);
}

/** The two models' paths over the same pairs, compared. */
export interface JumpComparison {
  /** Mean jump ratio of each model over the pairs. */
  vae: Estimate;
  free: Estimate;
  /** Paired difference: the mean over pairs of (KL-free − VAE) jump ratios, with its standard error. */
  difference: Estimate;
  /** Mean length ratio of each model. */
  vaeLength: number;
  freeLength: number;
}

/** Mean jump ratios of both models and their paired difference (the same pairs for both: stats.pairedDifference). */
export function compareJumps(vae: InterpolationPath[], free: InterpolationPath[]): JumpComparison {
  const fn = 'compareJumps';
  if (!Array.isArray(vae) || !Array.isArray(free) || vae.length !== free.length || vae.length < 2) {
    throw new RangeError(`${fn}: vae and free must hold the paths of the same pairs (at least 2)`);
  }
  const jumps = (paths: InterpolationPath[]) => paths.map((p) => p.jumpRatio);
  const lengths = (paths: InterpolationPath[]) => paths.map((p) => p.lengthRatio);
  return {
    vae: meanEstimate(jumps(vae)), free: meanEstimate(jumps(free)), difference: pairedDifference(jumps(free), jumps(vae)),
    vaeLength: meanEstimate(lengths(vae)).mean, freeLength: meanEstimate(lengths(free)).mean,
  };
}

/** The smoothness table: mean jump ratios, their paired difference (± SE) and mean length ratios, per latent size. */
export function smoothnessTable(rows: { latent: string; comparison: JumpComparison }[], pairs: number): Table {
  const fn = 'smoothnessTable';
  if (!Array.isArray(rows) || rows.length === 0) throw new TypeError(`${fn}: rows must be a non-empty array of { latent, comparison }`);
  checkInteger(fn, 'pairs', pairs, 1);
  return {
    headers: ['latent', 'mean jump ratio, VAE', 'mean jump ratio, KL-free', 'paired difference (KL-free − VAE)', 'mean path length ratio, VAE', 'mean path length ratio, KL-free'],
    rows: rows.map(({ latent, comparison: c }) => [latent, c.vae.mean, c.free.mean, c.difference, c.vaeLength, c.freeLength]),
    caption: `Smoothness of ${pairs} interpolation paths (1 = perfectly even change; lower is smoother)`,
  };
}

// ---------------------------------------------------------------------------------------------
// Claims
// ---------------------------------------------------------------------------------------------

const deadSpace = 'Reason 1: dead space, measured';
const judge = 'A judge for the samples';
const memorisation = 'Reason 2: memorisation';
const charges = 'What the KL term charges';
const walking = 'Reason 3: walking between two digits';

/**
 * The notebook's claims (ids, sections, statements, where they are checked, and the two routes
 * each compares), indexed by the cells. Most compare the β = 0 model with the β = 1 model through
 * the same estimator; the routes say which estimator and on which data.
 */
export const claimSpecs = {
  deadSpace: { id: 'r1-dead-space', section: '§4', where: deadSpace,
    statement: 'without the KL term, prior samples land where the codes are not: KL(p ‖ q_agg) is larger for β = 0 than for β = 1',
    routes: 'A: KL(p ‖ q_agg) of the β = 0 model, Monte Carlo over 1,000 z ~ p(z) with log q_agg by log-sum-exp over the encoder Gaussians of 2,000 training digits / B: the same estimator on the β = 1 model (its own encoder on the same digits)' },
  codesOffPrior: { id: 'r1-codes-off-prior', section: '§4', where: deadSpace,
    statement: 'without the KL term the codes move away from the prior: KL(q_agg ‖ p) is larger for β = 0 than for β = 1',
    routes: 'A: KL(q_agg ‖ p) of the β = 0 model, Monte Carlo over 1,000 z ~ q_agg (the mixture of 2,000 encoder Gaussians) / B: the same estimator on the β = 1 model' },
  momentBoundVae: { id: 'r1-moment-bound-vae', section: '§4', where: deadSpace,
    statement: '(check of the estimator, β=1) the moment-matched Gaussian KL does not exceed the Monte Carlo KL(q_agg ‖ p)',
    routes: 'A: KL(N(m, S) ‖ N(0, I)) in closed form from the mixture\'s mean and covariance (exact.aggregatePosteriorGaussianKl, log-determinant) / B: KL(q_agg ‖ p) by Monte Carlo over 1,000 z ~ q_agg (β = 1 model)' },
  momentBoundFree: { id: 'r1-moment-bound-free', section: '§4', where: deadSpace,
    statement: '(check of the estimator, β=0) the moment-matched Gaussian KL does not exceed the Monte Carlo KL(q_agg ‖ p)',
    routes: 'A: KL(N(m, S) ‖ N(0, I)) in closed form from the mixture\'s mean and covariance (exact.aggregatePosteriorGaussianKl, log-determinant) / B: KL(q_agg ‖ p) by Monte Carlo over 1,000 z ~ q_agg (β = 0 model)' },
  judgeAccuracy: { id: 'r1-judge-accuracy', section: '§4', where: judge,
    statement: '(the judge is competent) the classifier labels held-out real digits correctly at least 90 % of the time',
    routes: 'A: the share of the 2,000 held-out digits whose most probable class under the classifier is their label / B: the fixed bar of 90 %' },
  samplesRecognisable: { id: 'r1-samples-recognisable', section: '§4', where: judge,
    statement: 'prior samples of the VAE are more recognisable as (varied) digits than those of the KL-free model: higher label information I(y; x)',
    routes: 'A: the classifier\'s label information I(y; x) on the β = 1 decoder\'s means of 1,000 z ~ p(z) (bootstrap SE) / B: the same on the β = 0 decoder\'s means of the same 1,000 z' },
  generalisationGap: { id: 'r2-generalisation-gap', section: '§4', where: memorisation,
    statement: 'without the KL term the model memorises: its train − held-out gap in the reconstruction term is larger than the VAE\'s',
    routes: 'A: mean log p(x|z) of the β = 0 model on its 300 training digits minus that on 1,000 held-out digits (one z each) / B: the same gap of the β = 1 model (same binary draws, same ε)' },
  sigmaCollapses: { id: 'r2-sigma-collapses', section: '§4', where: memorisation,
    statement: 'without the KL term the encoder collapses its variance: median σ(x) of β = 0 is below a tenth of the VAE\'s',
    routes: 'A: median of σ_u(x) of the β = 0 encoder over its 300 training digits × 16 dimensions / B: a tenth of the same median of the β = 1 encoder' },
  meansSpread: { id: 'r2-means-spread', section: '§4', where: memorisation,
    statement: 'without the KL term the encoder means move away from the prior centre: median ‖μ(x)‖ of β = 0 exceeds the VAE\'s by half',
    routes: 'A: median ‖μ(x)‖ of the β = 0 encoder over its 300 training digits / B: 1.5 × the same median of the β = 1 encoder' },
  penaltyMinimum: { id: 'r2-penalty-minimum', section: '§4', where: charges,
    statement: 'the KL penalty is smallest, and zero, where the encoder equals the prior (μ = 0, σ = 1)',
    routes: 'A: objectives.klToStandardNormalPerDimension (float32) on a grid of 50 σ × 61 μ, its smallest value and where it lies / B: the minimum of −½(1 + log σ² − μ² − σ²) found by hand: 0 at μ = 0, σ = 1' },
  penaltyLargeMean: { id: 'r2-penalty-large-mean', section: '§4', where: charges,
    statement: 'the KL penalty punishes large |μ|: at every σ of the grid it grows as |μ| grows',
    routes: 'A: objectives.klToStandardNormalPerDimension on the grid, each value / B: its neighbour one step nearer μ = 0 on the same row (must be strictly smaller, as μ²/2 is)' },
  penaltyTinySigma: { id: 'r2-penalty-tiny-sigma', section: '§4', where: charges,
    statement: 'the KL penalty punishes tiny σ: at every μ it grows as σ shrinks below 1',
    routes: 'A: objectives.klToStandardNormalPerDimension on the grid, each value with σ ≤ 1 / B: its neighbour one step smaller in σ in the same column (must be strictly larger, as (σ² − 1 − log σ²)/2 is)' },
  smoother16d: { id: 'r3-smoother-16d', section: '§4', where: walking,
    statement: 'interpolating through the VAE\'s latent space changes the image more evenly than through the KL-free model\'s (16-D): mean jump ratio lower by more than 3 SE (paired over the 30 pairs)',
    routes: 'A: mean jump ratio of 30 decoded straight paths between held-out digits of different classes, 16-D β = 0 model / B: the same 30 pairs through the 16-D β = 1 model (paired difference and its SE)' },
  smoother2d: { id: 'r3-smoother-2d', section: '§4', where: walking,
    statement: 'in 2-D as well, interpolating through the VAE\'s latent space changes the image more evenly than through the KL-free model\'s: mean jump ratio lower by more than 3 SE (paired over the 30 pairs)',
    routes: 'A: mean jump ratio of the same 30 paths, 2-D β = 0 model / B: the same 30 pairs through the 2-D β = 1 model (paired difference and its SE)' },
} satisfies Record<string, ClaimSpec>;
