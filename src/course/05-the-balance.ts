/**
 * Course module of notebook 05-the-balance (document §5): the balance of the two terms. It uses
 * the library; the library never imports it.
 *
 * The notebook trains one network at eight values of β on the β-VAE objective (Higgins et al. 2017)
 *   L_β(x) = E_{q_φ(z|x)}[log p_θ(x|z)] − β·KL(q_φ(z|x) ‖ p(z)),
 * and names the two terms as Alemi et al. 2018 do:
 *   rate R(x) = KL(q_φ(z|x) ‖ p(z)),   distortion D(x) = −E_q[log p_θ(x|z)],   ELBO(x) = −(R(x) + D(x)),
 * so that training minimises D + β·R. Here: the sweep (training and measuring every model on the
 * same digits, ε and prior draws), the strict per-step trends along it (rate, distortion, the
 * sharpness of reconstructions), the measurements of posterior collapse (encoder mutual
 * information, informative units, spread and blur of prior decodes and reconstructions), the
 * evidence of memorisation (a β = 0 model on 300 digits judged by a classifier and by nearest
 * neighbours), the rate of a run epoch by epoch (annealing), four 2-D models per β whose latent
 * planes the reader walks in the explorer (display/latentExplorer.ts) with the variety of their
 * decodes over the prior's 2σ disc, the figures, the tables and the claim specs.
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../random';
import { Estimate, meanEstimate, pairedDifference } from '../stats/estimate';
import type { TrendStep } from '../stats/trend';
import { logSumExp } from '../exact/linearAlgebra';
import { LOG_2PI } from '../distributions/gaussian';
import type { Vae } from '../models/vae';
import type { DigitClassifier } from '../models/classifier';
import { DataMatrix, checkDataMatrix } from '../data/matrix';
import { RateDistortion, evaluatePerExample, meanKlPerDimension, rateDistortion } from '../train/evaluation';
import { columnVariances } from '../train/metrics';
import { trainVae } from '../train/train';
import type { BetaSchedule } from '../train/schedules';
import type { ProgressReporter } from '../train/progress';
import { trainingProgress } from '../display/progress';
import { grayImageTrace, PlotlyFigure } from '../display/plotly';
import { imageGrid } from '../display/imageGrid';
import { decodedPixels, latentGridCodes } from '../display/decoderPayload';
import type { LatentExplorerOptions } from '../display/latentExplorer';
import type { Cell } from '../display/table';
import type { ClaimSpec } from '../display/claims';
import { checkFiniteArray, checkInteger, checkNonEmptyString, checkNumber, checkObject, checkRandom } from '../checks';
import { Judgement, judgeImages } from './04-why-q-near-the-prior';

// ---------------------------------------------------------------- measurements of one model

/**
 * Spread of a set of images in pixel space: the mean over images of the squared distance to
 * their mean image, Σ_pixels (x_ij − x̄_j)², averaged over i. Zero when all images are equal.
 * Applied to decodes of different z ~ p(z), it measures how much the decoder uses z.
 * `images` is [count, pixels] (tensor or row-major array with `pixels` given).
 */
export function pixelSpread(images: tf.Tensor2D | Float32Array | Float64Array, pixels?: number): number {
  const fn = 'pixelSpread';
  let values: Float32Array | Float64Array;
  let d: number;
  if (images instanceof tf.Tensor) {
    if (images.rank !== 2 || images.shape[0] < 1) throw new RangeError(`${fn}: images must be a 2-D tensor [count, pixels], got shape [${images.shape}]`);
    values = images.dataSync() as Float32Array;
    d = images.shape[1];
  } else if (images instanceof Float32Array || images instanceof Float64Array) {
    if (!Number.isInteger(pixels) || (pixels as number) < 1 || images.length % (pixels as number) !== 0 || images.length === 0) {
      throw new RangeError(`${fn}: pixels must be an integer >= 1 dividing images.length (${images.length}), got ${String(pixels)}`);
    }
    values = images;
    d = pixels as number;
  } else {
    throw new TypeError(`${fn}: images must be a 2-D tensor or a Float32Array/Float64Array with pixels given`);
  }
  const n = values.length / d;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += values[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  let total = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) total += (values[i * d + j] - mean[j]) ** 2;
  if (!Number.isFinite(total)) throw new RangeError(`${fn}: images must hold finite numbers`);
  return total / n;
}

/** log N(z; μ_j, diag σ²_j) of one z under row j of the encoder's outputs (float64). */
function diagonalLogDensity(z: Float64Array, mean: ArrayLike<number>, logVariance: ArrayLike<number>, offset: number, d: number): number {
  let s = 0;
  for (let u = 0; u < d; u++) {
    const lv = logVariance[offset + u];
    s += LOG_2PI + lv + (z[u] - mean[offset + u]) ** 2 * Math.exp(-lv);
  }
  return -0.5 * s;
}

/**
 * Monte Carlo estimate of the mutual information between x and z under the encoder,
 *   I_q(x; z) = E_x E_{q_φ(z|x)}[ log q_φ(z|x) − log q_φ(z) ],   q_φ(z) = (1/N) Σ_j q_φ(z|x_j)
 * (the aggregate posterior over the N examples given; Hoffman & Johnson 2016). One z per
 * example from `random`; returns the mean over examples and its standard error. It lies in
 * [0, log N] up to Monte Carlo noise and never exceeds the mean rate E_x KL(q_φ(z|x) ‖ p(z))
 * in expectation; it is ≈ 0 when q_φ(z|x) is the same for every x (collapse).
 * `mean` and `logVariance` are row-major [count, latentSize].
 */
export function encoderMutualInformation(
  mean: ArrayLike<number>, logVariance: ArrayLike<number>, latentSize: number, random: Random,
): Estimate {
  const fn = 'encoderMutualInformation';
  checkInteger(fn, 'latentSize', latentSize, 1);
  checkRandom(fn, 'random', random);
  checkFiniteArray(fn, 'mean', mean);
  checkFiniteArray(fn, 'logVariance', logVariance, mean.length);
  const d = latentSize;
  if (mean.length === 0 || mean.length % d !== 0) throw new RangeError(`${fn}: mean.length must be a positive multiple of latentSize ${d}, got ${mean.length}`);
  const n = mean.length / d;
  if (n < 2) throw new RangeError(`${fn}: needs at least 2 examples, got ${n}`);
  const perExample = new Float64Array(n);
  const z = new Float64Array(d);
  const logDensities = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let u = 0; u < d; u++) z[u] = mean[i * d + u] + Math.exp(0.5 * logVariance[i * d + u]) * random.normal();
    for (let j = 0; j < n; j++) logDensities[j] = diagonalLogDensity(z, mean, logVariance, j * d, d);
    perExample[i] = logDensities[i] - (logSumExp(logDensities) - Math.log(n));
  }
  return meanEstimate(perExample);
}

/** Latent dimensions whose mean KL exceeds `threshold` nats (default 0.1): the units that carry information. */
export function informativeUnits(ratePerDimension: ArrayLike<number>, threshold = 0.1): number {
  const fn = 'informativeUnits';
  checkFiniteArray(fn, 'ratePerDimension', ratePerDimension);
  checkNumber(fn, 'threshold', threshold, 0);
  let count = 0;
  for (let u = 0; u < ratePerDimension.length; u++) if (ratePerDimension[u] > threshold) count++;
  return count;
}

/**
 * Blur of decoded images, per image: the Bernoulli entropy of its pixels,
 *   H(x) = Σ_j −[p_j log p_j + (1 − p_j) log(1 − p_j)]  (nats, summed over pixels),
 * where p is the decoder's pixel probability. Crisp images (p near 0 or 1) have low entropy;
 * a decoder that hedges toward the average digit has high entropy. `probabilities` is [count, pixels].
 */
export function pixelEntropies(probabilities: tf.Tensor2D, fn = 'pixelEntropies' /* the name in error messages */): Float64Array {
  if (!(probabilities instanceof tf.Tensor) || probabilities.rank !== 2 || probabilities.shape[0] < 1) {
    throw new TypeError(`${fn}: probabilities must be a 2-D tensor [count, pixels]`);
  }
  const p = probabilities.dataSync();
  const [n, d] = probabilities.shape;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let h = 0;
    for (let j = i * d; j < (i + 1) * d; j++) {
      const v = p[j];
      if (!(v >= 0 && v <= 1)) throw new RangeError(`${fn}: probabilities must lie in [0, 1], got ${v} at entry ${j}`);
      if (v > 0) h -= v * Math.log(v);
      if (v < 1) h -= (1 - v) * Math.log(1 - v);
    }
    out[i] = h;
  }
  return out;
}

/** The mean over images of pixelEntropies (nats per image). */
export function meanPixelEntropy(probabilities: tf.Tensor2D): number {
  let total = 0;
  const h = pixelEntropies(probabilities, 'meanPixelEntropy');
  for (const v of h) total += v;
  return total / h.length;
}

/**
 * Sharpness of each image of a set: the mean squared difference between neighbouring pixels
 * (each pixel with its right and its lower neighbour on a height × width grid),
 *   S(x) = (1/|E|) Σ_{(j,k) ∈ E} (x_j − x_k)²,   |E| = h(w − 1) + w(h − 1).
 * It is 0 for a flat image and, for pixels in [0, 1], at most 1 (a checkerboard). Blurring
 * moves neighbours toward each other and lowers it: a hard edge 0 | 1 contributes 1, the same
 * edge spread over three steps 0, ⅓, ⅔, 1 contributes 3 · (⅓)² = ⅓. `images` is row-major
 * [count, height·width]; returns one value per image.
 */
export function imageSharpness(images: ArrayLike<number>, width = 28, height = width): Float64Array {
  const fn = 'imageSharpness';
  checkInteger(fn, 'width', width, 1);
  checkInteger(fn, 'height', height, 1);
  if (width * height < 2) throw new RangeError(`${fn}: an image must have at least 2 pixels, got ${width} × ${height}`);
  const size = width * height;
  checkFiniteArray(fn, 'images', images);
  if (images.length === 0 || images.length % size !== 0) throw new RangeError(`${fn}: images must hold whole images of ${height} × ${width} pixels, got ${images.length} values`);
  const n = images.length / size;
  const edges = height * (width - 1) + width * (height - 1);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * size;
    let s = 0;
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        const v = images[o + r * width + c];
        if (c + 1 < width) s += (images[o + r * width + c + 1] - v) ** 2;
        if (r + 1 < height) s += (images[o + (r + 1) * width + c] - v) ** 2;
      }
    }
    out[i] = s / edges;
  }
  return out;
}

/** What notebook 05 records of each model of the β sweep (all on the same examples, ε and prior draws). */
export interface BetaModelSummary {
  rateDistortion: RateDistortion;
  /** encoderMutualInformation on the first `miCount` examples. */
  mutualInformation: Estimate;
  /** pixelSpread of decodes of `priorCount` draws z ~ p(z). */
  priorDecodeSpread: number;
  /** meanPixelEntropy of those decodes (nats per image). */
  priorDecodeEntropy: number;
  /** pixelEntropies of those decodes, one per prior draw (the same draws for every model: paired). */
  priorDecodeEntropies: Float64Array;
  /** imageSharpness of the reconstruction decoder(μ_φ(x)) of every example. */
  reconstructionSharpness: Float64Array;
  /** pixelSpread of those reconstructions: how much the reconstructions of different inputs differ. */
  reconstructionSpread: number;
  /** Units with Cov_x(E_q[z_u]) > 0.01 (Burda et al. 2015). */
  activeUnits: number;
  /** Units with mean KL_u > 0.1 nats. */
  informativeUnits: number;
  /** exp(½ · mean of log σ²) over examples and dimensions: the typical encoder σ. */
  typicalEncoderSigma: number;
  /** Decoder means of the first `showCount` examples through the encoder mean, row-major (the first rows of the reconstructions above). */
  reconstructions: Float32Array;
  /** Decoder means of the first `showCount` prior draws, row-major. */
  priorSamples: Float32Array;
}

/** Options of summarizeBetaModel. */
export interface SummaryOptions {
  /** ε of the rate and distortion from Random(seed), prior draws from Random(seed + 1), the z of I(x; z) from Random(seed + 2). */
  seed: number;
  /** Reconstructions and prior decodes kept for pictures (default 8). */
  showCount?: number;
  /** Prior draws decoded (default 200). */
  priorCount?: number;
  /** Examples behind the mutual-information estimate (default 500, at most data.count). */
  miCount?: number;
}

/**
 * Measures one model of a β sweep: rate and distortion per example (ε from Random(seed)), the
 * encoder's mutual information, active and informative units, the sharpness and spread of the
 * reconstructions decoder(μ_φ(x)) of every example, and what the decoder makes of prior draws
 * (z from Random(seed + 1)). The same seed for every model makes the comparison paired.
 */
export function summarizeBetaModel(model: Vae, data: DataMatrix, options: SummaryOptions): BetaModelSummary {
  const fn = 'summarizeBetaModel';
  checkObject(fn, 'model', model);
  checkObject(fn, 'data', data);
  checkObject(fn, 'options', options);
  checkInteger(fn, 'options.seed', options.seed, 0, 0xffffffff - 2); // seed + 2 seeds a Random too
  const showCount = options.showCount ?? 8;
  const priorCount = checkInteger(fn, 'options.priorCount', options.priorCount ?? 200, 1);
  const miCount = Math.min(checkInteger(fn, 'options.miCount', options.miCount ?? 500, 2), data.count);
  checkInteger(fn, 'options.showCount', showCount, 1, Math.min(data.count, priorCount));
  const rd = rateDistortion(model, data, new Random(options.seed));
  const latent = model.latentSize;
  const mutualInformation = encoderMutualInformation(
    rd.encoderMean.subarray(0, miCount * latent), rd.encoderLogVariance.subarray(0, miCount * latent), latent, new Random(options.seed + 2),
  );
  const variances = columnVariances(rd.encoderMean, data.count, latent);
  let activeUnits = 0;
  for (const v of variances) if (v > 0.01) activeUnits++;
  let sumLogVariance = 0;
  for (const v of rd.encoderLogVariance) sumLogVariance += v;
  const priorRandom = new Random(options.seed + 1);
  const decodes = tf.tidy(() => model.decode(model.samplePriorLatents(priorCount, priorRandom)));
  const reconstructions = tf.tidy(() => model.reconstruct(tf.tensor2d(data.values, [data.count, data.features])));
  try {
    const reconstructed = reconstructions.dataSync() as Float32Array;
    const side = Math.round(Math.sqrt(data.features));
    const entropies = pixelEntropies(decodes);
    let entropySum = 0;
    for (const h of entropies) entropySum += h;
    return {
      rateDistortion: rd,
      mutualInformation,
      priorDecodeSpread: pixelSpread(decodes),
      priorDecodeEntropy: entropySum / entropies.length,
      priorDecodeEntropies: entropies,
      reconstructionSharpness: side * side === data.features ? imageSharpness(reconstructed, side) : imageSharpness(reconstructed, data.features, 1),
      reconstructionSpread: pixelSpread(reconstructed, data.features),
      activeUnits,
      informativeUnits: informativeUnits(rd.ratePerDimension),
      typicalEncoderSigma: Math.exp(0.5 * (sumLogVariance / rd.encoderLogVariance.length)),
      reconstructions: Float32Array.from(reconstructed.subarray(0, showCount * data.features)),
      priorSamples: Float32Array.from(decodes.dataSync().subarray(0, showCount * data.features)),
    };
  } finally {
    tf.dispose([decodes, reconstructions]);
  }
}

// ---------------------------------------------------------------- the sweep

/** What every model of the sweep shares: network, data, budget, and the seeds of training and of measuring. */
export interface SweepSetting {
  /** The network: encoder inputs–hidden–(2·latent), decoder latent–hidden–inputs (Bernoulli). */
  model: { latentSize: number; hiddenSizes: number[] };
  /** The training digits. */
  data: DataMatrix;
  /** Epochs of every model (the same budget). */
  epochs: number;
  /** Initial weights, mini-batches, binarisation and ε of training: the same for every model. */
  trainingSeed: number;
  /** The digits every model is measured on (binarised once). */
  evaluation: DataMatrix;
  /** ε and prior draws of the measurements (summarizeBetaModel's seed): the same for every model. */
  measurementSeed: number;
}

/** How the KL term is applied in training: β (a number or a schedule such as linearWarmup) and free bits λ. */
export interface KlWeighting {
  beta: number | BetaSchedule;
  freeBits?: number;
}

/** A live progress output per training run (default: display.trainingProgress), or none. */
export type ProgressFor = (title: string) => ProgressReporter | 'terminal' | 'none';

/** The rate after one epoch of training: β in force at its end and the mean closed-form KL on the run's fixed 500 training digits. */
export interface EpochRate {
  epoch: number;
  beta: number;
  rate: number;
}

/** One trained and measured model: its summary, its training time (wall clock, seconds) and its rate after every epoch. */
export interface TrainedModel {
  summary: BetaModelSummary;
  seconds: number;
  rateByEpoch: EpochRate[];
}

/** One model of the sweep: its β, summary and training time. */
export interface SweepEntry extends TrainedModel {
  beta: number;
}

function checkSetting(fn: string, setting: SweepSetting): void {
  checkObject(fn, 'setting', setting);
  checkObject(fn, 'setting.model', setting.model);
  checkObject(fn, 'setting.data', setting.data);
  checkInteger(fn, 'setting.epochs', setting.epochs, 1);
  checkInteger(fn, 'setting.trainingSeed', setting.trainingSeed, 0, 0xffffffff);
  checkObject(fn, 'setting.evaluation', setting.evaluation);
  checkInteger(fn, 'setting.measurementSeed', setting.measurementSeed, 0, 0xffffffff - 2);
}

/**
 * Trains one model of the setting with the given KL weighting (minimising D + β·R, or with free
 * bits D + β·Σ_u max(λ, KL_u)), measures it on the evaluation digits (summarizeBetaModel) and
 * disposes it. Held-out metrics during training: none (the evaluation pass measures afterwards).
 */
export async function trainAndSummarize(setting: SweepSetting, weighting: KlWeighting, title: string, progress: ProgressFor = trainingProgress): Promise<TrainedModel> {
  const fn = 'trainAndSummarize';
  checkSetting(fn, setting);
  checkObject(fn, 'weighting', weighting);
  checkNonEmptyString(fn, 'title', title);
  if (typeof progress !== 'function') throw new TypeError(`${fn}: progress must be a function of the run's title (e.g. display.trainingProgress)`);
  const run = await trainVae({
    model: setting.model, data: setting.data, epochs: setting.epochs, seed: setting.trainingSeed,
    evalCount: 500, evaluateInitial: false, progress: progress(title), ...weighting,
  });
  try {
    return {
      summary: summarizeBetaModel(run.model, setting.evaluation, { seed: setting.measurementSeed }), seconds: run.summary.seconds,
      rateByEpoch: run.history.map((m) => ({ epoch: m.epoch, beta: m.beta, rate: m.train.kl })),
    };
  } finally {
    run.model.dispose();
  }
}

/**
 * The β sweep: one model per β of `betas`, each trained with the same seed and budget
 * (trainAndSummarize; one progress output titled "β = …" per run) and measured on the same
 * digits with the same ε and prior draws, so that models differ only by β.
 */
export async function betaSweep(setting: SweepSetting, betas: number[], options: { progress?: ProgressFor } = {}): Promise<SweepEntry[]> {
  const fn = 'betaSweep';
  checkSetting(fn, setting);
  if (!Array.isArray(betas) || betas.length === 0) throw new TypeError(`${fn}: betas must be a non-empty array of numbers >= 0`);
  betas.forEach((beta, k) => checkNumber(fn, `betas[${k}]`, beta, 0));
  checkObject(fn, 'options', options);
  const sweep: SweepEntry[] = [];
  for (const beta of betas) {
    const trained = await trainAndSummarize(setting, { beta }, `β = ${beta}`, options.progress);
    sweep.push({ beta, ...trained });
  }
  return sweep;
}

/** The summary of the model trained at `beta` (throws if the sweep has none). */
export function summaryAt(sweep: SweepEntry[], beta: number): BetaModelSummary {
  const fn = 'summaryAt';
  checkSweep(fn, sweep);
  const entry = sweep.find((s) => s.beta === beta);
  if (!entry) throw new RangeError(`${fn}: the sweep has no model at β = ${beta} (it has β = ${sweep.map((s) => s.beta).join(', ')})`);
  return entry.summary;
}

function checkSweep(fn: string, sweep: SweepEntry[]): void {
  if (!Array.isArray(sweep) || sweep.length === 0) throw new TypeError(`${fn}: sweep must be a non-empty array of {beta, summary} (betaSweep's result)`);
}

// ---------------------------------------------------------------- the latent plane: 2-D models per β, walked

/**
 * What the 2-D models of the plane share: training digits, network, budget and seed; and the
 * held-out digits whose codes the explorer draws. Every model differs from the others by β only.
 */
export interface PlaneSetting {
  /** The training digits. */
  data: DataMatrix;
  /** The held-out digits (with labels) whose codes μ(x) each plane shows. */
  codeDigits: DataMatrix;
  /** Hidden layers of encoder and decoder; the latent space is 2-D. */
  hiddenSizes: number[];
  /** Epochs of every model. */
  epochs: number;
  /** Initial weights, mini-batches, binarisation and ε of training: the same for every model. */
  trainingSeed: number;
}

/** One 2-D model of the plane sweep. Its `vae` is live: the caller disposes it (disposePlane). */
export interface PlaneModel {
  beta: number;
  vae: Vae;
  /** Encoder means μ(x) of the code digits, [n·2] (z₁, z₂ of the first digit, then the second …). */
  codes: Float64Array;
  /** Mean KL_u(x) of each of the two latent dimensions over the code digits (nats). */
  klPerDimension: Float64Array;
  /** Training time (wall clock, seconds). */
  seconds: number;
}

function checkPlaneSetting(fn: string, setting: PlaneSetting): void {
  checkObject(fn, 'setting', setting);
  checkDataMatrix(fn, 'setting.data', setting.data);
  checkDataMatrix(fn, 'setting.codeDigits', setting.codeDigits);
  if (!setting.codeDigits.labels) throw new TypeError(`${fn}: setting.codeDigits must carry labels (the explorer colours codes by digit)`);
  if (!Array.isArray(setting.hiddenSizes) || setting.hiddenSizes.length === 0) throw new TypeError(`${fn}: setting.hiddenSizes must be a non-empty array of layer sizes`);
  setting.hiddenSizes.forEach((size, k) => checkInteger(fn, `setting.hiddenSizes[${k}]`, size, 1));
  checkInteger(fn, 'setting.epochs', setting.epochs, 1);
  checkInteger(fn, 'setting.trainingSeed', setting.trainingSeed, 0, 0xffffffff);
}

/**
 * One 2-D model per β of `betas` (latentSize 2, Bernoulli decoder), each trained with the same
 * seed, data and budget (one progress output titled "β = …, 2-D latent" per run), and its codes
 * μ(x) of the code digits. The models stay live for the explorer; on an error the ones already
 * trained are disposed.
 */
export async function planeSweep(setting: PlaneSetting, betas: number[], progress: ProgressFor = trainingProgress): Promise<PlaneModel[]> {
  const fn = 'planeSweep';
  checkPlaneSetting(fn, setting);
  if (!Array.isArray(betas) || betas.length === 0 || betas.length > 4) throw new RangeError(`${fn}: betas must be an array of 1 to 4 values of β (the explorer shows up to four planes)`);
  betas.forEach((beta, k) => checkNumber(fn, `betas[${k}]`, beta, 0));
  if (typeof progress !== 'function') throw new TypeError(`${fn}: progress must be a function of the run's title (e.g. display.trainingProgress)`);
  const plane: PlaneModel[] = [];
  try {
    for (const beta of betas) {
      const run = await trainVae({
        model: { latentSize: 2, hiddenSizes: setting.hiddenSizes }, data: setting.data, epochs: setting.epochs, beta, seed: setting.trainingSeed,
        evalCount: 500, evaluateInitial: false, progress: progress(`β = ${beta}, 2-D latent`),
      });
      const terms = evaluatePerExample(run.model, setting.codeDigits);
      plane.push({ beta, vae: run.model, codes: terms.encoderMean, klPerDimension: meanKlPerDimension(terms), seconds: run.summary.seconds });
    }
  } catch (error) {
    disposePlane(plane);
    throw error;
  }
  return plane;
}

/** Disposes the models of a plane sweep. */
export function disposePlane(plane: PlaneModel[]): void {
  for (const model of plane) if (!model.vae.isDisposed) model.vae.dispose();
}

function checkPlane(fn: string, plane: PlaneModel[]): void {
  if (!Array.isArray(plane) || plane.length === 0) throw new TypeError(`${fn}: plane must be a non-empty array of 2-D models (planeSweep's result)`);
}

/** The plane model trained at `beta` (throws if there is none). */
export function planeModelAt(plane: PlaneModel[], beta: number): PlaneModel {
  const fn = 'planeModelAt';
  checkPlane(fn, plane);
  const model = plane.find((m) => m.beta === beta);
  if (!model) throw new RangeError(`${fn}: the plane sweep has no model at β = ${beta} (it has β = ${plane.map((m) => m.beta).join(', ')})`);
  return model;
}

/**
 * The codes of a count × count grid over [−radius, radius]² that lie in the disc |z| ≤ radius,
 * row by row from the top (z₂ descending), float32 [n·2]. With the defaults (21 × 21, radius 2,
 * the prior's 2σ circle) 317 codes, 0.2 apart.
 */
export function discCodes(count = 21, radius = 2): Float32Array {
  const fn = 'discCodes';
  checkInteger(fn, 'count', count, 2, 1001);
  checkNumber(fn, 'radius', radius, Number.MIN_VALUE, 1e6);
  const grid = latentGridCodes(count, radius);
  const kept: number[] = [];
  // inside or on the circle, judged in float64 from the grid's indices (the float32 codes of a point
  // on the circle, such as (1.2, 1.6), can lie a rounding outside it)
  const at = (k: number): number => -radius + (2 * radius * k) / (count - 1);
  for (let r = 0; r < count; r++) {
    for (let c = 0; c < count; c++) {
      const i = 2 * (r * count + c);
      if (at(c) ** 2 + at(r) ** 2 <= radius ** 2 * (1 + 1e-9)) kept.push(grid[i], grid[i + 1]);
    }
  }
  return Float32Array.from(kept);
}

/**
 * How much a decoder's answer varies over a set of 2-D codes: the mean per-pixel variance of its
 * means E[x | z] over the codes,
 *   spread = (1/D) Σ_j Var_z(E[x_j | z]) = pixelSpread(decodes) / D,
 * 0 when every code decodes to the same image. Over discCodes() it measures the variety a reader
 * meets walking the prior's 2σ disc of the plane.
 */
export function decodedSpread(vae: Vae, codes: Float32Array): number {
  const fn = 'decodedSpread';
  checkObject(fn, 'vae', vae);
  if (vae.latentSize !== 2) throw new RangeError(`${fn}: vae must have a 2-D latent space, got latentSize ${vae.latentSize}`);
  if (!(codes instanceof Float32Array) || codes.length < 4 || codes.length % 2 !== 0) throw new TypeError(`${fn}: codes must be a Float32Array of at least two 2-D codes [z₁, z₂, …]`);
  checkFiniteArray(fn, 'codes', codes);
  return pixelSpread(decodedPixels(vae, codes), vae.inputSize) / vae.inputSize;
}

/** A plane model's spread over the prior's disc (decodedSpread). */
export interface PlaneSpread {
  beta: number;
  spread: number;
}

/** The spread of each plane model over the same codes (decodedSpread; default: the 317 codes of discCodes()), in the order of the sweep. */
export function planeSpreads(plane: PlaneModel[], codes: Float32Array = discCodes()): PlaneSpread[] {
  checkPlane('planeSpreads', plane);
  return plane.map((model) => ({ beta: model.beta, spread: decodedSpread(model.vae, codes) }));
}

/** The spread of the model trained at `beta` (throws if there is none). */
export function spreadAt(spreads: PlaneSpread[], beta: number): number {
  const fn = 'spreadAt';
  if (!Array.isArray(spreads) || spreads.length === 0) throw new TypeError(`${fn}: spreads must be a non-empty array of {beta, spread} (planeSpreads's result)`);
  const found = spreads.find((s) => s.beta === beta);
  if (!found) throw new RangeError(`${fn}: no spread at β = ${beta} (there are β = ${spreads.map((s) => s.beta).join(', ')})`);
  return found.spread;
}

/**
 * Whether the spread falls by the factor at every step of `betas` (in order): spread(β_{k+1}) ≤
 * factor · spread(β_k); with the steps as text ("β = 1 → 4: 0.0196 → 0.0175 (89 %); …").
 */
export function spreadSteps(spreads: PlaneSpread[], betas: number[], factor: number): { text: string; holds: boolean } {
  const fn = 'spreadSteps';
  if (!Array.isArray(betas) || betas.length < 2) throw new RangeError(`${fn}: betas must name at least two models`);
  checkNumber(fn, 'factor', factor, Number.MIN_VALUE, 1);
  const values = betas.map((beta) => spreadAt(spreads, beta));
  const steps = betas.slice(1).map((beta, k) => ({ text: `β = ${betas[k]} → ${beta}: ${values[k].toFixed(4)} → ${values[k + 1].toFixed(4)} (${(100 * values[k + 1] / values[k]).toFixed(0)} %)`, holds: values[k + 1] <= factor * values[k] }));
  return { text: steps.map((step) => step.text).join('; '), holds: steps.every((step) => step.holds) };
}

/** One row per 2-D model: β, the KL of each dimension, the spread over the 2σ disc and its share of the reference β's, the training time. */
export function planeTable(plane: PlaneModel[], spreads: PlaneSpread[], reference = 1): Table {
  const fn = 'planeTable';
  checkPlane(fn, plane);
  const base = spreadAt(spreads, reference);
  const codes = discCodes().length / 2;
  return {
    headers: ['β', 'KL of z₁, z₂ (nats)', 'spread of decodes over the 2σ disc', `share of β = ${reference}'s`, 'training (s)'],
    rows: plane.map((model) => {
      const spread = spreadAt(spreads, model.beta);
      return [model.beta, `${fixed(model.klPerDimension[0])}, ${fixed(model.klPerDimension[1])}`, spread.toFixed(4), `${(100 * spread / base).toFixed(0)} %`, fixed(model.seconds, 1)];
    }),
    caption: `The 2-D models: KL per dimension (mean over ${(plane[0].codes.length / 2).toLocaleString('en-US')} held-out digits) and the mean per-pixel variance of their decodes over the ${codes} codes of a 21 × 21 grid inside the prior's 2σ disc`,
  };
}

/**
 * The explorer of the plane sweep: one panel per model, named by its β, over the codes of the
 * held-out digits, z ∈ [−extent, extent]² (default 5: the prior's circles large enough to walk,
 * most codes of a small β in view; the panel counts those beyond).
 */
export function planeExplorer(plane: PlaneModel[], labels: ArrayLike<number>, extent = 5): LatentExplorerOptions {
  checkPlane('planeExplorer', plane);
  return {
    title: `The latent planes of ${COUNT_WORDS[plane.length] ?? plane.length} 2-D models, β = ${plane.map((m) => m.beta).join(', ')}`,
    models: plane.map((model) => ({ name: `β = ${model.beta}`, vae: model.vae, codes: model.codes })),
    labels, extent,
  };
}

// ---------------------------------------------------------------- memorisation, shown

/** A model trained on few digits judged on its copies and its samples (memorisationEvidence). */
export interface MemorisationEvidence {
  /** Training digits and their copies decoder(μ_φ(x)) (row-major [count, D]), decodes of `sampleCount` prior draws ([sampleCount, D]). */
  digits: Float32Array;
  copies: Float32Array;
  samples: Float32Array;
  count: number;
  sampleCount: number;
  /** The classifier's verdict on each set (label information with bootstrap SE): judgeImages of notebook 04. */
  onDigits: Judgement;
  onCopies: Judgement;
  onSamples: Judgement;
  /** The classifier's accuracy against the digits' labels, on the digits and on their copies. */
  accuracyDigits: number;
  accuracyCopies: number;
  /** Per digit, correct(copy) − correct(digit) (1 right, 0 wrong), averaged: the paired change of accuracy and its SE. */
  accuracyChange: Estimate;
  /** Share of the copies whose nearest training digit (Euclidean distance in pixel space) is their own input. */
  ownNearest: number;
  /** ‖copy − its digit‖ per digit. */
  copyDistance: Float64Array;
  /** Distance of each training digit to its nearest OTHER training digit. */
  digitNeighbourDistance: Float64Array;
  /** Distance of each prior decode to its nearest training digit. */
  sampleNeighbourDistance: Float64Array;
  /** The same model on digits it never saw (options.heldOut): their copies, ‖copy − its digit‖ per digit, the classifier's verdict and accuracy on the copies. */
  heldOut: { count: number; copies: Float32Array; copyDistance: Float64Array; onCopies: Judgement; accuracyCopies: number };
}

function squaredDistance(a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) s += (a[i * d + k] - b[j * d + k]) ** 2;
  return s;
}

function predictedLabels(classifier: DigitClassifier, images: Float32Array, count: number, features: number): Int32Array {
  const predicted = tf.tidy(() => tf.argMax(classifier.logits(tf.tensor2d(images, [count, features])), 1));
  const out = Int32Array.from(predicted.dataSync());
  predicted.dispose();
  return out;
}

/**
 * The evidence that a model copies rather than generates: its copies decoder(μ_φ(x)) of its own
 * training digits `digits` (with labels) and of digits it never saw (`options.heldOut`, with
 * labels), and its decodes of `samples` prior draws z ~ p(z) (from `random`), judged by a digit
 * classifier trained elsewhere (its accuracy against the labels, and judgeImages with bootstrap
 * SEs from `random`) and by distances in pixel space: each copy to its own digit, and nearest
 * neighbours among the training digits.
 */
export function memorisationEvidence(model: Vae, digits: DataMatrix, classifier: DigitClassifier, options: { samples: number; random: Random; heldOut: DataMatrix }): MemorisationEvidence {
  const fn = 'memorisationEvidence';
  checkObject(fn, 'model', model);
  checkDataMatrix(fn, 'digits', digits);
  checkObject(fn, 'classifier', classifier);
  checkObject(fn, 'options', options);
  const sampleCount = checkInteger(fn, 'options.samples', options.samples, 2);
  checkRandom(fn, 'options.random', options.random);
  checkDataMatrix(fn, 'options.heldOut', options.heldOut);
  if (!(digits.labels instanceof Uint8Array)) throw new TypeError(`${fn}: digits must carry their labels`);
  if (!(options.heldOut.labels instanceof Uint8Array)) throw new TypeError(`${fn}: options.heldOut must carry its labels`);
  if (options.heldOut.features !== digits.features) throw new RangeError(`${fn}: options.heldOut must have ${digits.features} features per digit, got ${options.heldOut.features}`);
  if (digits.count < 2) throw new RangeError(`${fn}: digits must hold at least 2 digits, got ${digits.count}`);
  const d = digits.features;
  const n = digits.count;
  const held = options.heldOut;
  const copiesTensor = tf.tidy(() => model.reconstruct(tf.tensor2d(digits.values, [n, d])));
  const heldCopiesTensor = tf.tidy(() => model.reconstruct(tf.tensor2d(held.values, [held.count, d])));
  const samplesTensor = model.sample(sampleCount, options.random);
  try {
    const copies = Float32Array.from(copiesTensor.dataSync());
    const samples = Float32Array.from(samplesTensor.dataSync());
    const digitValues = Float32Array.from(digits.values);
    const onDigits = judgeImages(classifier, digits, options.random);
    const onCopies = judgeImages(classifier, copiesTensor, options.random);
    const onSamples = judgeImages(classifier, samplesTensor, options.random);
    const labelsDigits = predictedLabels(classifier, digitValues, n, d);
    const labelsCopies = predictedLabels(classifier, copies, n, d);
    const rightDigits = Float64Array.from(labelsDigits, (y, i) => (y === digits.labels![i] ? 1 : 0));
    const rightCopies = Float64Array.from(labelsCopies, (y, i) => (y === digits.labels![i] ? 1 : 0));
    const copyDistance = new Float64Array(n);
    const digitNeighbourDistance = new Float64Array(n).fill(Infinity);
    let own = 0;
    for (let i = 0; i < n; i++) {
      let nearest = 0;
      let best = Infinity;
      for (let j = 0; j < n; j++) {
        const toCopy = squaredDistance(copies, i, digitValues, j, d);
        if (toCopy < best) { best = toCopy; nearest = j; }
        if (j > i) {
          const between = squaredDistance(digitValues, i, digitValues, j, d);
          digitNeighbourDistance[i] = Math.min(digitNeighbourDistance[i], between);
          digitNeighbourDistance[j] = Math.min(digitNeighbourDistance[j], between);
        }
      }
      if (nearest === i) own++;
      copyDistance[i] = Math.sqrt(squaredDistance(copies, i, digitValues, i, d));
    }
    const sampleNeighbourDistance = new Float64Array(sampleCount);
    for (let i = 0; i < sampleCount; i++) {
      let best = Infinity;
      for (let j = 0; j < n; j++) best = Math.min(best, squaredDistance(samples, i, digitValues, j, d));
      sampleNeighbourDistance[i] = Math.sqrt(best);
    }
    const heldCopies = Float32Array.from(heldCopiesTensor.dataSync());
    const heldValues = Float32Array.from(held.values);
    const heldLabels = predictedLabels(classifier, heldCopies, held.count, d);
    const mean = (v: ArrayLike<number>) => Array.from(v).reduce((a, b) => a + b, 0) / v.length;
    return {
      digits: digitValues, copies, samples, count: n, sampleCount, onDigits, onCopies, onSamples,
      accuracyDigits: mean(rightDigits), accuracyCopies: mean(rightCopies), accuracyChange: pairedDifference(rightCopies, rightDigits),
      ownNearest: own / n, copyDistance, digitNeighbourDistance: digitNeighbourDistance.map(Math.sqrt), sampleNeighbourDistance,
      heldOut: {
        count: held.count, copies: heldCopies,
        copyDistance: Float64Array.from({ length: held.count }, (_, i) => Math.sqrt(squaredDistance(heldCopies, i, heldValues, i, d))),
        onCopies: judgeImages(classifier, heldCopiesTensor, options.random),
        accuracyCopies: mean(Array.from(heldLabels, (y, i) => (y === held.labels![i] ? 1 : 0))),
      },
    };
  } finally {
    tf.dispose([copiesTensor, heldCopiesTensor, samplesTensor]);
  }
}

// ---------------------------------------------------------------- numbers read from the summaries

/**
 * The p-quantile of the per-example rate (the sorted value at index ⌊p·(n − 1)⌋, no
 * interpolation): e.g. p = 0.05, the rate that the cheapest 5% of digits stay under.
 */
export function rateQuantile(summary: BetaModelSummary, p: number): number {
  const fn = 'rateQuantile';
  checkObject(fn, 'summary', summary);
  checkNumber(fn, 'p', p, 0, 1);
  const sorted = Array.from(summary.rateDistortion.rate).sort((a, b) => a - b);
  return sorted[Math.floor(p * (sorted.length - 1))];
}

/** The largest mean KL of one latent dimension (nats). */
export function largestDimensionRate(summary: BetaModelSummary): number {
  checkObject('largestDimensionRate', 'summary', summary);
  return Math.max(...Array.from(summary.rateDistortion.ratePerDimension));
}

/** The largest rate of one digit (nats). */
export function largestExampleRate(summary: BetaModelSummary): number {
  checkObject('largestExampleRate', 'summary', summary);
  return Math.max(...Array.from(summary.rateDistortion.rate));
}

/** ELBO = −(R + D), averaged over the evaluation digits (nats). */
export function meanElbo(summary: BetaModelSummary): number {
  checkObject('meanElbo', 'summary', summary);
  return -(summary.rateDistortion.rateMean.mean + summary.rateDistortion.distortionMean.mean);
}

/** The steps of a trend over the sweep as text: "0→0.25: −115.23±1.29; …" (paired mean ± SE of each step, `digits` decimals; strictTrend or stats.monotoneTrend). */
export function trendStepsText(trend: { steps: Pick<TrendStep, 'from' | 'to' | 'difference' | 'standardError'>[] }, betas: number[], digits = 2): string {
  const fn = 'trendStepsText';
  checkObject(fn, 'trend', trend);
  checkInteger(fn, 'digits', digits, 0, 20);
  if (!Array.isArray(betas) || betas.length !== trend.steps.length + 1) throw new RangeError(`${fn}: betas must name the ${trend.steps.length + 1} entries of the sweep`);
  return trend.steps.map((s) => `${betas[s.from]}→${betas[s.to]}: ${s.difference >= 0 ? '+' : ''}${s.difference.toFixed(digits)}±${s.standardError.toFixed(digits)}`).join('; ');
}

/** One step of a strict trend over the sweep: from entry i to i + 1. */
export interface SweepStep {
  from: number;
  to: number;
  /** Mean over examples of value[i + 1] − value[i] (paired). */
  difference: number;
  standardError: number;
  /** Whether the step goes the stated way by more than `sigmas` standard errors. */
  holds: boolean;
}

/**
 * Whether a per-example quantity measured on the SAME examples for each entry of a sweep moves
 * strictly one way at EVERY step, beyond noise: each consecutive step's paired difference
 *   Δ_i = mean over examples of v_{i+1}(x) − v_i(x),   SE_i its paired standard error,
 * must satisfy Δ_i < −sigmas·SE_i ('decreasing') or Δ_i > sigmas·SE_i ('increasing'). (The
 * library's stats.monotoneTrend is the lenient form, which lets a step go the wrong way by up to
 * sigmas·SE_i.)
 */
export function strictTrend(perExample: ArrayLike<number>[], direction: 'decreasing' | 'increasing', sigmas = 4): { steps: SweepStep[]; allHold: boolean } {
  const fn = 'strictTrend';
  if (!Array.isArray(perExample) || perExample.length < 2) throw new RangeError(`${fn}: perExample must be an array of at least 2 per-example arrays (one per sweep entry)`);
  if (direction !== 'decreasing' && direction !== 'increasing') throw new RangeError(`${fn}: direction must be 'decreasing' or 'increasing', got ${String(direction)}`);
  checkNumber(fn, 'sigmas', sigmas, 0);
  const steps: SweepStep[] = [];
  for (let i = 0; i + 1 < perExample.length; i++) {
    const d = pairedDifference(perExample[i + 1], perExample[i]);
    const holds = direction === 'decreasing' ? d.mean < -sigmas * d.standardError : d.mean > sigmas * d.standardError;
    steps.push({ from: i, to: i + 1, difference: d.mean, standardError: d.standardError, holds });
  }
  return { steps, allHold: steps.every((s) => s.holds) };
}

/** The sweep's rate, distortion and reconstruction sharpness, each checked with strictTrend (4 SE, paired over the evaluation digits). */
export function sweepTrends(sweep: SweepEntry[]): { rate: ReturnType<typeof strictTrend>; distortion: ReturnType<typeof strictTrend>; sharpness: ReturnType<typeof strictTrend> } {
  checkSweep('sweepTrends', sweep);
  return {
    rate: strictTrend(sweep.map((s) => s.summary.rateDistortion.rate), 'decreasing', 4),
    distortion: strictTrend(sweep.map((s) => s.summary.rateDistortion.distortion), 'increasing', 4),
    sharpness: strictTrend(sweep.map((s) => s.summary.reconstructionSharpness), 'decreasing', 4),
  };
}

// ---------------------------------------------------------------- tables

/** A table for display.showTable. */
export interface Table {
  headers: string[];
  rows: Cell[][];
  caption: string;
}

const fixed = (v: number, digits = 2): string => v.toFixed(digits);
const meanOf = (v: ArrayLike<number>): number => meanEstimate(v).mean;
const plusMinus = (e: { mean: number; standardError: number }, digits = 2): string => `${e.mean.toFixed(digits)} ± ${e.standardError.toFixed(digits)}`;

/** One row per model of the sweep: R, D (mean ± SE over the evaluation digits), ELBO = −(R + D), units, I(x; z), σ, time. */
export function sweepTable(sweep: SweepEntry[]): Table {
  const fn = 'sweepTable';
  checkSweep(fn, sweep);
  const count = sweep[0].summary.rateDistortion.rate.length;
  return {
    headers: ['β', 'rate R (nats)', 'distortion D (nats)', 'ELBO = −(R + D)', 'active units', 'informative units', 'I(x; z) estimate (nats)', 'typical encoder σ', 'training (s)'],
    rows: sweep.map(({ beta, summary: s, seconds }) => [
      beta, plusMinus(s.rateDistortion.rateMean), plusMinus(s.rateDistortion.distortionMean), fixed(meanElbo(s)),
      s.activeUnits, s.informativeUnits, plusMinus(s.mutualInformation), fixed(s.typicalEncoderSigma, 3), fixed(seconds, 1),
    ]),
    caption: `β sweep: means over ${count} held-out digits ± standard error over examples`,
  };
}

/** The collapsed model against the reference VAE on the four measurements of collapse. */
export function collapseTable(reference: BetaModelSummary, collapsed: BetaModelSummary, betas: [number, number] = [1, 16]): Table {
  const fn = 'collapseTable';
  checkObject(fn, 'reference', reference);
  checkObject(fn, 'collapsed', collapsed);
  const quantiles = (s: BetaModelSummary, digits: number) => `${fixed(rateQuantile(s, 0.05), digits)} / ${fixed(rateQuantile(s, 0.95), digits)} / ${fixed(largestExampleRate(s), digits)}`;
  const [b1, b2] = betas;
  return {
    headers: ['measurement', `β = ${b1}`, `β = ${b2}`],
    rows: [
      ['mean rate (nats)', fixed(reference.rateDistortion.rateMean.mean, 3), fixed(collapsed.rateDistortion.rateMean.mean, 3)],
      ['largest KL of one dimension (nats)', fixed(largestDimensionRate(reference), 3), fixed(largestDimensionRate(collapsed), 3)],
      ['rate of the digits: 5% quantile / 95% quantile / largest (nats)', quantiles(reference, 2), quantiles(collapsed, 3)],
      ['I(x; z) estimate (nats)', plusMinus(reference.mutualInformation, 3), plusMinus(collapsed.mutualInformation, 3)],
      ['spread of decodes of 200 prior draws (squared pixels)', fixed(reference.priorDecodeSpread), fixed(collapsed.priorDecodeSpread)],
      ['entropy of decoded pixels (nats per image)', fixed(reference.priorDecodeEntropy, 1), fixed(collapsed.priorDecodeEntropy, 1)],
      ['informative units (KL_u > 0.1)', reference.informativeUnits, collapsed.informativeUnits],
    ],
    caption: `Posterior collapse: β = ${b2} against β = ${b1}`,
  };
}

/**
 * The two-row table of document §5 with this sweep's numbers: "too strong reconstruction" is the
 * β = 0 model (`autoencoder`), "too strong KL" the β = 16 model (`collapsed`), the β = 1 VAE the reference.
 */
export function balanceTable(autoencoder: BetaModelSummary, vae: BetaModelSummary, collapsed: BetaModelSummary): Table {
  const fn = 'balanceTable';
  checkObject(fn, 'autoencoder', autoencoder);
  checkObject(fn, 'vae', vae);
  checkObject(fn, 'collapsed', collapsed);
  const rate = (s: BetaModelSummary) => s.rateDistortion.rateMean.mean;
  const distortion = (s: BetaModelSummary) => s.rateDistortion.distortionMean.mean;
  return {
    headers: ['term', 'wants', 'measured: what it achieves', 'risk if too strong', 'measured: the risk'],
    rows: [
      ['Reconstruction', 'perfect reproduction of the input',
        `lowest distortion of the sweep at β = 0: D = ${fixed(distortion(autoencoder))} nats (β = 1: ${fixed(distortion(vae))})`,
        'memorisation, sharp posteriors',
        `typical encoder σ ${fixed(autoencoder.typicalEncoderSigma, 3)} at β = 0 vs ${fixed(vae.typicalEncoderSigma, 3)} at β = 1; rate ${fixed(rate(autoencoder), 1)} nats per digit (β = 1: ${fixed(rate(vae), 1)})`],
      ['KL', 'posteriors that match the prior',
        `rate at β = 16: ${fixed(rate(collapsed), 3)} nats (β = 1: ${fixed(rate(vae), 1)})`,
        'posterior collapse, blurry outputs',
        `I(x; z) ${fixed(collapsed.mutualInformation.mean, 3)} nats, decode spread ${fixed(collapsed.priorDecodeSpread)} vs ${fixed(vae.priorDecodeSpread)}, distortion ${fixed(distortion(collapsed))} vs ${fixed(distortion(vae))} nats, reconstruction sharpness ${fixed(meanOf(collapsed.reconstructionSharpness), 4)} vs ${fixed(meanOf(vae.reconstructionSharpness), 4)}`],
    ],
    caption: 'Document §5 table with the numbers of this notebook',
  };
}

/** The collapsing configuration and its rescues, one row each: [name, summary]. */
export function rescueTable(rows: [string, BetaModelSummary][]): Table {
  const fn = 'rescueTable';
  if (!Array.isArray(rows) || rows.length === 0) throw new TypeError(`${fn}: rows must be a non-empty array of [name, summary]`);
  return {
    headers: ['β = 16 training', 'rate (nats)', 'distortion (nats)', 'informative units', 'active units', 'I(x; z) (nats)', 'decode spread'],
    rows: rows.map(([name, m]) => [
      name, plusMinus(m.rateDistortion.rateMean, 3), plusMinus(m.rateDistortion.distortionMean), m.informativeUnits, m.activeUnits,
      plusMinus(m.mutualInformation, 3), fixed(m.priorDecodeSpread),
    ]),
    caption: 'Rescuing the collapsing configuration (same network, seed and budget)',
  };
}

/**
 * Blur along the sweep: per β, the sharpness of the reconstructions decoder(μ_φ(x)) of the
 * evaluation digits (imageSharpness, mean ± SE), as a share of the sharpness of the digits
 * themselves, and how much the reconstructions of different digits differ (pixelSpread).
 */
export function blurTable(sweep: SweepEntry[], evaluation: DataMatrix): Table {
  const fn = 'blurTable';
  checkSweep(fn, sweep);
  checkDataMatrix(fn, 'evaluation', evaluation);
  const inputs = meanOf(imageSharpness(evaluation.values));
  return {
    headers: ['β', 'sharpness of the reconstructions', 'share of the digits\' own sharpness', 'spread of the reconstructions (squared pixels)'],
    rows: sweep.map(({ beta, summary: s }) => {
      const e = meanEstimate(s.reconstructionSharpness);
      return [beta, plusMinus(e, 4), `${(100 * e.mean / inputs).toFixed(1)} %`, fixed(s.reconstructionSpread)];
    }),
    caption: `Sharpness (mean squared difference of neighbouring pixels) of decoder(μ(x)) for ${evaluation.count.toLocaleString('en-US')} held-out digits, mean ± SE; the digits themselves: ${inputs.toFixed(4)}`,
  };
}

/** The memorisation table: per set of images, the classifier's accuracy, confidence and label information, and the nearest-neighbour distances. */
export function memorisationTable(e: MemorisationEvidence): Table {
  const fn = 'memorisationTable';
  checkObject(fn, 'e', e);
  const row = (name: string, judgement: Judgement, accuracy: string, distance: string, distances: Float64Array): Cell[] =>
    [name, accuracy, fixed(judgement.confidence.mean, 3), plusMinus(judgement.labelInformation, 3), `${distance}: ${fixed(median(distances))}`];
  return {
    headers: ['images', 'classifier accuracy (labels of the digits)', 'mean confidence', 'label information I(y; x) (nats)', 'median distance (pixel space)'],
    rows: [
      row(`its ${e.count} training digits`, e.onDigits, `${(100 * e.accuracyDigits).toFixed(1)} %`, 'to the nearest other training digit', e.digitNeighbourDistance),
      row('its copies decoder(μ(x)) of them', e.onCopies, `${(100 * e.accuracyCopies).toFixed(1)} %`, 'to their own digit', e.copyDistance),
      row(`its copies of ${e.heldOut.count} held-out digits it never saw`, e.heldOut.onCopies, `${(100 * e.heldOut.accuracyCopies).toFixed(1)} %`, 'to their own digit', e.heldOut.copyDistance),
      row(`its decodes of ${e.sampleCount} z ~ p(z)`, e.onSamples, '—', 'to the nearest training digit', e.sampleNeighbourDistance),
    ],
    caption: `A β = 0 model trained on ${e.count} digits: copies and samples judged; ${(100 * e.ownNearest).toFixed(1)} % of the copies are nearest to their own digit`,
  };
}

function median(values: ArrayLike<number>): number {
  const sorted = Array.from(values).sort((a, b) => a - b);
  const h = sorted.length >> 1;
  return sorted.length % 2 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2;
}

// ---------------------------------------------------------------- figures

/**
 * The rate–distortion curve: one point (R, D) per model (error bars ±4 SE), and the line of
 * equal ELBO = −(R + D) (slope −1) through the best model of the sweep.
 */
export function rateDistortionFigure(sweep: SweepEntry[]): PlotlyFigure {
  checkSweep('rateDistortionFigure', sweep);
  const rates = sweep.map((s) => s.summary.rateDistortion.rateMean);
  const distortions = sweep.map((s) => s.summary.rateDistortion.distortionMean);
  const bestElbo = Math.max(...sweep.map((s) => meanElbo(s.summary)));
  const maxRate = Math.max(...rates.map((r) => r.mean));
  return {
    data: [
      {
        x: rates.map((r) => r.mean), y: distortions.map((d) => d.mean), type: 'scatter', mode: 'lines+markers+text',
        text: sweep.map((s) => `β=${s.beta}`), textposition: 'top right', name: 'trained models',
        error_x: { type: 'data', array: rates.map((r) => 4 * r.standardError), visible: true },
        error_y: { type: 'data', array: distortions.map((d) => 4 * d.standardError), visible: true },
      },
      { x: [0, maxRate], y: [-bestElbo, -bestElbo - maxRate], type: 'scatter', mode: 'lines', line: { dash: 'dot' }, name: `ELBO = ${bestElbo.toFixed(1)} (best of the sweep)` },
    ],
    layout: {
      title: { text: 'Rate–distortion curve of the β sweep (error bars ±4 SE)' },
      xaxis: { title: { text: 'rate R = KL(q(z|x) ‖ p(z)) (nats)' } },
      yaxis: { title: { text: 'distortion D = −E_q[log p(x|z)] (nats)' } },
      height: 460,
    },
  };
}

const COUNT_WORDS = ['', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve'];

/**
 * Per β, one picture of three rows (a slider shows one β at a time, β = 1 first): the first
 * `show` evaluation digits, their reconstructions decoder(μ_φ(x)), and the decodes of the same
 * `show` draws z ~ p(z) (pixel values rounded to 3 decimals, as the pictures were first drawn).
 */
export function picturesPerBetaFigure(sweep: SweepEntry[], evaluation: DataMatrix, show = 8): PlotlyFigure {
  const fn = 'picturesPerBetaFigure';
  checkSweep(fn, sweep);
  checkObject(fn, 'evaluation', evaluation);
  checkInteger(fn, 'show', show, 1, evaluation.count);
  const originals = evaluation.values.subarray(0, show * evaluation.features);
  const betas = sweep.map((s) => s.beta);
  const active = Math.max(0, betas.indexOf(1));
  const words = COUNT_WORDS[show] ?? String(show);
  return {
    // one picture per β (a PNG: pixel value 0 black … 1 white); the slider shows one at a time
    data: sweep.map((entry, k) => grayImageTrace(
      imageGrid([originals, entry.summary.reconstructions, entry.summary.priorSamples], show, { decimals: 3 }),
      { visible: k === active, name: `β = ${entry.beta}` },
    )),
    layout: {
      title: { text: 'Held-out digits, reconstructions and prior samples, per β' },
      xaxis: { title: { text: `${words} examples, 28 pixels each` }, showticklabels: false },
      yaxis: { title: { text: 'input · reconstruction · sample' }, autorange: 'reversed', showticklabels: false, scaleanchor: 'x' },
      height: 420,
      sliders: [{
        active, currentvalue: { prefix: 'β = ' }, pad: { t: 40 },
        steps: betas.map((beta, k) => ({ label: String(beta), method: 'restyle', args: ['visible', betas.map((_, j) => j === k)] })),
      }],
    },
  };
}

/** Heatmap: per β (row) the mean KL of each latent dimension, dimensions sorted by their KL within the row (log10 colour). */
export function ratePerDimensionFigure(sweep: SweepEntry[]): PlotlyFigure {
  checkSweep('ratePerDimensionFigure', sweep);
  const sorted = sweep.map((s) => Array.from(s.summary.rateDistortion.ratePerDimension).sort((a, b) => b - a));
  return {
    data: [{
      z: sorted.map((row) => row.map((v) => Math.log10(Math.max(v, 1e-4)))), x: sorted[0].map((_, u) => u + 1),
      y: sweep.map((s) => `β=${s.beta}`), type: 'heatmap', colorscale: 'Viridis', colorbar: { title: { text: 'log10 KL_u (nats)' } },
      text: sorted.map((row) => row.map((v) => v.toFixed(3))), hovertemplate: '%{y}, rank %{x}: KL = %{text} nats<extra></extra>',
    }],
    layout: {
      title: { text: 'KL of each latent dimension vs β (log scale)' },
      xaxis: { title: { text: 'latent dimension, sorted by its KL (rank)' } },
      yaxis: { title: { text: 'β' } },
      height: 380,
    },
  };
}

/** Active units, informative units and the I(x; z) estimate (right axis) against β. */
export function unitsFigure(sweep: SweepEntry[]): PlotlyFigure {
  checkSweep('unitsFigure', sweep);
  const x = sweep.map((s) => String(s.beta));
  const units = sweep[0].summary.rateDistortion.ratePerDimension.length;
  return {
    data: [
      { x, y: sweep.map((s) => s.summary.activeUnits), type: 'scatter', mode: 'lines+markers', name: 'active units (Cov_x E_q[z_u] > 0.01)' },
      { x, y: sweep.map((s) => s.summary.informativeUnits), type: 'scatter', mode: 'lines+markers', name: 'informative units (KL_u > 0.1 nats)' },
      { x, y: sweep.map((s) => s.summary.mutualInformation.mean), type: 'scatter', mode: 'lines+markers', name: 'I(x; z) estimate (nats)', yaxis: 'y2' },
    ],
    layout: {
      title: { text: 'How many latent dimensions are used, and how much z says about x, vs β' },
      xaxis: { title: { text: 'β' }, type: 'category' },
      yaxis: { title: { text: `units (of ${units})` }, range: [0, units + 1] },
      yaxis2: { title: { text: 'I(x; z) (nats)' }, overlaying: 'y', side: 'right' },
      height: 400, legend: { orientation: 'h', y: -0.25 },
    },
  };
}

/** The same `show` draws z ~ p(z) decoded by the reference model (top row) and the collapsed one (bottom row). */
export function priorDecodesFigure(reference: BetaModelSummary, collapsed: BetaModelSummary, betas: [number, number] = [1, 16], show = 8): PlotlyFigure {
  const fn = 'priorDecodesFigure';
  checkObject(fn, 'reference', reference);
  checkObject(fn, 'collapsed', collapsed);
  checkInteger(fn, 'show', show, 1);
  const words = COUNT_WORDS[show] ?? String(show);
  const [b1, b2] = betas;
  return {
    data: [grayImageTrace(imageGrid([reference.priorSamples, collapsed.priorSamples], show, { decimals: 3 }), { name: 'decodes' })],
    layout: {
      title: { text: `The same ${words} z ~ p(z) decoded by the β = ${b1} model (top) and the β = ${b2} model (bottom)` },
      xaxis: { title: { text: `${words} prior draws z` }, showticklabels: false },
      yaxis: { title: { text: `β = ${b1} · β = ${b2}` }, autorange: 'reversed', showticklabels: false, scaleanchor: 'x' },
      height: 300,
    },
  };
}

/** Three rows: the first `show` training digits of the memorising model, its copies of them, and its decodes of `show` prior draws. */
export function memorisationFigure(e: MemorisationEvidence, show = 8): PlotlyFigure {
  const fn = 'memorisationFigure';
  checkObject(fn, 'e', e);
  checkInteger(fn, 'show', show, 1, Math.min(e.count, e.sampleCount));
  const words = COUNT_WORDS[show] ?? String(show);
  const size = e.digits.length / e.count;
  const head = (v: Float32Array) => v.subarray(0, show * size);
  return {
    data: [grayImageTrace(imageGrid([head(e.digits), head(e.copies), head(e.samples)], show, { decimals: 3 }), { name: 'memorisation' })],
    layout: {
      title: { text: `A β = 0 model trained on ${e.count} digits: ${words} of its training digits, its copies of them, and ${words} of its samples` },
      xaxis: { title: { text: `${words} digits, 28 pixels each` }, showticklabels: false },
      yaxis: { title: { text: 'digit · copy · sample' }, autorange: 'reversed', showticklabels: false, scaleanchor: 'x' },
      height: 360,
    },
  };
}

/** The rate after every epoch of training (mean KL on the run's 500 fixed training digits), one line per named run, with β of the first run on the right axis. */
export function rateByEpochFigure(runs: [string, EpochRate[]][]): PlotlyFigure {
  const fn = 'rateByEpochFigure';
  if (!Array.isArray(runs) || runs.length === 0) throw new TypeError(`${fn}: runs must be a non-empty array of [name, rateByEpoch]`);
  runs.forEach(([name, history], k) => {
    checkNonEmptyString(fn, `runs[${k}][0]`, name);
    if (!Array.isArray(history) || history.length === 0) throw new TypeError(`${fn}: runs[${k}][1] must be a non-empty rate history (trainAndSummarize's rateByEpoch)`);
  });
  const [firstName, first] = runs[0];
  return {
    data: [
      ...runs.map(([name, history]) => ({ x: history.map((h) => h.epoch), y: history.map((h) => h.rate), type: 'scatter', mode: 'lines+markers', name })),
      { x: first.map((h) => h.epoch), y: first.map((h) => h.beta), type: 'scatter', mode: 'lines', line: { dash: 'dot' }, name: `β at the end of the epoch (${firstName})`, yaxis: 'y2' },
    ],
    layout: {
      title: { text: 'Rate after each epoch of training (mean KL on 500 fixed training digits)' },
      xaxis: { title: { text: 'epoch' }, dtick: 1 },
      yaxis: { title: { text: 'rate (nats)' }, rangemode: 'tozero' },
      yaxis2: { title: { text: 'β' }, overlaying: 'y', side: 'right', rangemode: 'tozero' },
      height: 400, legend: { orientation: 'h', y: -0.25 },
    },
  };
}

/** The largest rate of a history before its last epoch, and the last: { peak, peakEpoch, last }. */
export function rateGivenBack(history: EpochRate[]): { peak: number; peakEpoch: number; last: number } {
  const fn = 'rateGivenBack';
  if (!Array.isArray(history) || history.length < 2) throw new RangeError(`${fn}: history must hold at least 2 epochs`);
  let peak = -Infinity;
  let peakEpoch = 0;
  for (const h of history.slice(0, -1)) if (h.rate > peak) { peak = h.rate; peakEpoch = h.epoch; }
  return { peak, peakEpoch, last: history[history.length - 1].rate };
}

// ---------------------------------------------------------------- claims

const where = {
  sweep: 'The β sweep',
  blur: 'Blur along the sweep, measured',
  collapse: 'Posterior collapse, made visible',
  plane: 'Collapse, walked: four 2-D latent planes',
  table: 'The two-row table, measured',
  memorisation: 'Too strong reconstruction: a model that memorises',
  rescue: 'A rescue: KL annealing and free bits',
};

function spec(id: string, at: string, statement: string, routes: string): ClaimSpec {
  return { id, section: '§5', where: at, statement, routes };
}

/** The claims of the notebook: ids, statements, where they are checked and the two routes each compares (the cells compare the numbers). */
export const claimSpecs = {
  rateFallsWithBeta: spec('rate-falls-with-beta', where.sweep,
    'a larger β (stronger KL term) gives a smaller rate KL(q(z|x) ‖ p(z)) at every step of the sweep: each step lowers the mean rate by more than 4 SE (paired)',
    'A: per-digit rate KL(q(z|x) ‖ p(z)), closed form, of the model at the larger β on the 1,000 evaluation digits / B: the same of the model at the next smaller β, same digits (paired difference and its SE, per step)'),
  distortionRisesWithBeta: spec('distortion-rises-with-beta', where.sweep,
    'a larger β gives a larger distortion −E_q[log p(x|z)] (worse reconstruction) at every step of the sweep: each step raises the mean distortion by more than 4 SE (paired)',
    'A: per-digit distortion −log p(x|z), one z = μ + σε per digit, of the model at the larger β / B: the same of the model at the next smaller β, same digits and ε (paired difference and its SE, per step)'),
  rateRankCorrelation: spec('rate-rank-correlation', where.sweep, 'over the whole sweep, rate decreases with β (Spearman rank correlation)',
    'A: Spearman ρ between β and the mean rate of the eight models / B: the bar −0.9'),
  distortionRankCorrelation: spec('distortion-rank-correlation', where.sweep, 'over the whole sweep, distortion increases with β (Spearman rank correlation)',
    'A: Spearman ρ between β and the mean distortion of the eight models / B: the bar 0.9'),
  reconstructionsBlur: spec('reconstructions-blur-with-beta', where.blur,
    'a larger β gives blurrier reconstructions: the sharpness of decoder(μ(x)) falls at every step of the sweep, by more than 4 SE (paired)',
    'A: imageSharpness (mean squared difference of neighbouring pixels) of the reconstructions of the 1,000 evaluation digits by the model at the larger β / B: the same by the model at the next smaller β, same digits (paired difference and its SE, per step)'),
  collapseRateNearZero: spec('collapse-rate-near-zero', where.collapse, 'when the KL term dominates (β = 16), the rate falls to ≈ 0: below 5% of the β = 1 rate',
    'A: mean rate of the β = 16 model on the 1,000 evaluation digits / B: 5 % of the β = 1 model\'s mean rate on the same digits'),
  collapseMostDimensions: spec('collapse-most-dimensions', where.collapse, 'at β = 16 most latent dimensions collapse (KL ≤ 0.1 nats, q(z|x) ≈ p(z) in that dimension): fewer than half stay informative',
    'A: the number of latent dimensions of the β = 16 model whose mean KL_u exceeds 0.1 nats / B: half of the 16 dimensions'),
  collapseFewerThanVae: spec('collapse-fewer-than-vae', where.collapse, 'β = 16 keeps fewer informative dimensions than β = 1',
    'A: informative units (KL_u > 0.1 nats) of the β = 16 model / B: those of the β = 1 model, on the same digits'),
  collapseEveryExample: spec('collapse-every-example', where.collapse, 'at β = 16, q(z|x) is close to p(z) for (almost) every x: 95% of the 1,000 digits spend less than a quarter of what the cheapest 5% spend at β = 1',
    'A: the 95 % quantile of the per-digit rate at β = 16 / B: a quarter of the 5 % quantile of the per-digit rate at β = 1 (same digits)'),
  vaeEveryExample: spec('vae-every-example', where.collapse, 'at β = 1, by contrast, even the 5% of digits with the smallest rate spend more than 5 nats on their code',
    'A: the 5 % quantile of the per-digit rate at β = 1 / B: the bar 5 nats'),
  collapseNoInformation: spec('collapse-no-information', where.collapse, 'at β = 16 the latent carries little information about x: I(x; z) (+4 SE) below a fifth of its value at β = 1',
    'A: I(x; z) of the β = 16 encoder, Monte Carlo over 500 digits against their aggregate posterior, + 4 SE / B: a fifth of the same estimate at β = 1, − 4 SE'),
  vaeHasInformation: spec('vae-has-information', where.collapse, 'at β = 1 the latent does carry information about x (the comparison point): I(x; z) ≥ 3 nats',
    'A: I(x; z) of the β = 1 encoder, Monte Carlo over 500 digits against their aggregate posterior / B: the bar 3 nats'),
  collapseDecoderIgnoresZ: spec('collapse-decoder-ignores-z', where.collapse, 'at β = 16 the decoder ignores z: decodes of different z ~ p(z) differ less than a quarter as much as at β = 1',
    'A: pixel spread of the β = 16 decoder\'s means for 200 z ~ p(z) / B: a quarter of the β = 1 decoder\'s spread for the same 200 z'),
  collapseReconstructionsAlike: spec('collapse-reconstructions-alike', where.collapse, 'at β = 16 the reconstructions are nearly the same image whatever the input: the reconstructions of different digits differ less than a quarter as much as at β = 1',
    'A: pixel spread of the β = 16 reconstructions decoder(μ(x)) of the 1,000 evaluation digits / B: a quarter of the same at β = 1'),
  collapseBlurry: spec('collapse-blurry', where.collapse, 'the collapsed model’s outputs are blurrier: its decodes of the same prior draws have a higher pixel entropy than at β = 1, by more than 4 SE (paired)',
    'A: Bernoulli entropy of the β = 16 decoder\'s pixel probabilities, per decode of 200 z ~ p(z) / B: the same for the β = 1 decoder and the same 200 z (paired difference and its SE)'),
  planeVarietyFalls: spec('plane-variety-falls', where.plane,
    'from β = 1 on, a stronger KL term leaves less variety to walk through: the spread of the 2-D decoders\' images over the prior\'s 2σ disc falls by at least 5 % at each step β = 1 → 4 → 16',
    'A: mean per-pixel variance of the decoder means E[x|z] over the 317 codes of a 21 × 21 grid inside |z| ≤ 2, model at the larger β (library decoder, float32) / B: 0.95 × the same for the model at the next smaller β, same codes'),
  planeCollapses: spec('plane-collapses', where.plane,
    'at β = 16 the 2-D model\'s 2σ disc decodes to less than 60 % of the variety of the β = 1 model\'s: a few blurred shapes instead of ten digits',
    'A: mean per-pixel variance of the β = 16 decoder\'s means over the 317 codes of the 2σ disc / B: 0.6 × the same for the β = 1 decoder, same codes'),
  tableReconstructionWants: spec('table-reconstruction-wants', where.table, 'without the KL term (β = 0) reconstruction is best: distortion lower than the β = 1 VAE by more than 4 SE (paired)',
    'A: per-digit distortion at β = 1 / B: per-digit distortion at β = 0, same digits and ε (paired difference and its SE)'),
  tableReconstructionRisk: spec('table-reconstruction-risk', where.table, 'a too-strong reconstruction term gives sharp posteriors: the β = 0 encoder’s typical σ is less than half the β = 1 encoder’s',
    'A: the typical encoder σ at β = 0, exp(½ · mean log σ²) over 1,000 digits × 16 dimensions / B: half the same at β = 1'),
  tableReconstructionRiskRate: spec('table-reconstruction-risk-rate', where.table, 'a too-strong reconstruction term spends many more nats per digit on the code: β = 0 rate at least 3× the β = 1 rate',
    'A: mean rate at β = 0 on the 1,000 evaluation digits / B: 3 × the mean rate at β = 1 on the same digits'),
  tableKlRisk: spec('table-kl-risk', where.table, 'a too-strong KL term costs reconstruction: distortion at β = 16 exceeds β = 1 by more than 4 SE (paired)',
    'A: per-digit distortion at β = 16 / B: per-digit distortion at β = 1, same digits and ε (paired difference and its SE)'),
  memorisedCopiesOwn: spec('memorised-copies-own', where.memorisation, 'a β = 0 model trained on 300 digits returns copies of its training digits: at least 95 % of its copies are nearer to the digit they were made from than to any other of the 300',
    'A: for each copy decoder(μ(x)), the nearest of the 300 training digits in pixel space (Euclidean) / B: the digit x the copy was made from'),
  memorisedCopiesRecognised: spec('memorised-copies-recognised', where.memorisation, 'the classifier recognises those copies almost as often as the digits themselves: the accuracy lost on the copies, even at the far end of its 3-SE interval (paired over the 300 digits), is smaller than the classifier\'s own error rate on held-out real digits',
    'A: the paired change of the classifier\'s accuracy (against the labels) from the 300 training digits to their copies, |Δ| + 3 SE / B: the classifier\'s error rate on the 2,000 held-out real digits'),
  memorisedOnlyTraining: spec('memorised-only-training', where.memorisation, 'the copies are memorised, not general: digits the model never saw come back farther from themselves than its training digits do, by more than 4 SE',
    'A: mean ‖copy − digit‖ in pixel space over 300 held-out digits / B: the same over the 300 training digits (independent sets)'),
  memorisedPoorSamples: spec('memorised-poor-samples', where.memorisation, 'the same model generates poorly: its decodes of z ~ p(z) carry less label information I(y; x) than its copies, by more than 4 SE',
    'A: the classifier\'s label information I(y; x) on the copies of the 300 training digits (bootstrap SE) / B: the same on the model\'s decodes of 300 z ~ p(z) (bootstrap SE)'),
  collapsedFewUnits: spec('collapsed-few-units', where.rescue, 'the plain β = 16 configuration collapses: at most 2 of 16 informative units (KL_u > 0.1 nats)',
    'A: informative units of the plain β = 16 model / B: the bar 2'),
  freeBitsRescue: spec('free-bits-rescue', where.rescue, 'free bits (λ = 0.5 nats) bring the collapsing β = 16 configuration back: at least 12 of 16 informative units',
    'A: informative units of the β = 16 model trained with free bits λ = 0.5 / B: the bar 12'),
  freeBitsInformation: spec('free-bits-information', where.rescue, 'with free bits the latent carries information again: I(x; z) at least 1 nat above the collapsed model (4 SE margin)',
    'A: I(x; z) of the free-bits model − 4 SE / B: I(x; z) of the plain β = 16 model + 4 SE, plus 1 nat'),
  annealingDelaysCollapse: spec('annealing-delays-collapse', where.rescue, 'KL annealing keeps more of the code in use under the same final β and budget: rate at least twice the collapsed model’s, and higher by more than 4 SE (paired)',
    'A: per-digit rate of the annealed model on the 1,000 evaluation digits / B: per-digit rate of the plain β = 16 model on the same digits (ratio of the means; paired difference and its SE)'),
  annealingGivesBack: spec('annealing-gives-back', where.rescue, 'annealing delays the pull of the KL term but does not remove it: as β climbs to 16 the annealed model gives back most of its code — its rate after the last epoch is below half its peak over the earlier epochs',
    'A: the annealed model\'s mean KL(q(z|x) ‖ p(z)) on its 500 fixed training digits after the last epoch / B: half the largest value of the same after any earlier epoch'),
} as const;
