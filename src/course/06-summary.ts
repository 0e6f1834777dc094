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
  const draws = (model: Vae) => tf.tidy(() => Float32Array.from(model.sample(8, new Random(seed)).dataSync()));
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

/** One q on the spoil path of point 4, with its gap and its KL to the true posterior. */
export interface SpoiledPosteriorGap {
  /** How far q is spoiled: mean shifted by t posterior SDs, SDs widened by 1 + t. */
  t: number;
  /** log p_θ(x) − ELBO(q), closed forms. */
  gap: number;
  /** KL(q ‖ p_θ(z|x)), closed form, computed independently of the gap. */
  kl: number;
}

/**
 * Point 4: the exact posterior p_θ(z|x) = N(μ, diag σ²) of one x (diagonal: orthogonal columns of
 * W), spoiled step by step, q_t = N(μ + t·σ, diag((1 + t)²σ²)), and for each q_t the gap
 *   log p_θ(x) − ELBO(q_t)   beside   KL(q_t ‖ p_θ(z|x))
 * (document §3: the two are equal).
 */
export function spoiledPosteriorGaps(model: LinearGaussianModel, x: ArrayLike<number>, spoil: number[]): SpoiledPosteriorGap[] {
  const fn = 'spoiledPosteriorGaps';
  if (!(model instanceof LinearGaussianModel)) throw new TypeError(`${fn}: model must be a LinearGaussianModel`);
  checkFiniteArray(fn, 'x', x);
  checkFiniteArray(fn, 'spoil', spoil);
  spoil.forEach((t, k) => checkNumber(fn, `spoil[${k}]`, t, 0));
  const posterior = model.posteriorMarginals(x);
  const logEvidence = model.logMarginal(x);
  return spoil.map((t) => {
    const q = {
      mean: posterior.mean.map((m, j) => m + t * Math.exp(0.5 * posterior.logVariance[j])),
      logVariance: posterior.logVariance.map((lv) => lv + 2 * Math.log(1 + t)),
    };
    return { t, gap: logEvidence - model.elbo(x, q).elbo, kl: model.klToPosterior(x, q) };
  });
}

/** The table of point 4 (six decimals: the two columns agree to rounding). */
export function spoiledPosteriorTable(rows: SpoiledPosteriorGap[]): { headers: string[]; rows: (string | number)[][]; caption: string } {
  const fn = 'spoiledPosteriorTable';
  if (!Array.isArray(rows) || rows.length === 0) throw new TypeError(`${fn}: rows must be a non-empty array of {t, gap, kl}`);
  return {
    headers: ['spoil t', 'log p(x) − ELBO(q) (nats)', 'KL(q ‖ p(z|x)) (nats)'],
    rows: rows.map((r) => [r.t, r.gap.toFixed(6), r.kl.toFixed(6)]),
    caption: 'Point 4: the gap and the KL to the true posterior, one x',
  };
}

/** The gaps along the spoil path as "g₀ < g₁ < …" (three decimals), the measured text of the claim. */
export function gapPathText(rows: SpoiledPosteriorGap[]): string {
  const fn = 'gapPathText';
  if (!Array.isArray(rows) || rows.length === 0) throw new TypeError(`${fn}: rows must be a non-empty array of {t, gap, kl}`);
  return rows.map((r) => r.gap.toFixed(3)).join(' < ');
}

/** True when every value is larger than the one before it. */
export function strictlyIncreasing(values: ArrayLike<number>): boolean {
  const v = checkFiniteArray('strictlyIncreasing', 'values', values);
  for (let i = 1; i < v.length; i++) if (!(v[i] > v[i - 1])) return false;
  return true;
}

/** The exact ELBO, log-evidence and gap of each example of a data set (linear-Gaussian decoder). */
export interface ExactGapOverData {
  /** log p_θ(x) per example (closed form). */
  logEvidence: Float64Array;
  /** ELBO(x) = E_q[log p_θ(x|z)] − KL(q_φ(z|x) ‖ p(z)) per example, closed form for the encoder's q. */
  elbo: Float64Array;
  /** KL(q_φ(z|x) ‖ p_θ(z|x)) per example, from the closed-form posterior. */
  klToPosterior: Float64Array;
  /** Means over examples of the three. */
  meanLogEvidence: number;
  meanElbo: number;
  meanKlToPosterior: number;
}

/** (1/n) Σ_i v_i, summed in row order. */
function meanOf(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return s / v.length;
}

/**
 * For each row x of `data`: log p_θ(x), the ELBO of q_φ(z|x) = encoder.encode(x), and
 * KL(q_φ(z|x) ‖ p_θ(z|x)), all in closed form (float64) for the linear-Gaussian decoder `model`.
 * The gap identity of §3 says logEvidence − elbo = klToPosterior for every row.
 */
export function exactGapOverData(model: LinearGaussianModel, encoder: InferenceModel, data: DataMatrix): ExactGapOverData {
  const fn = 'exactGapOverData';
  if (!(model instanceof LinearGaussianModel)) throw new TypeError(`${fn}: model must be a LinearGaussianModel`);
  checkObject(fn, 'encoder', encoder);
  if (typeof encoder.encode !== 'function') throw new TypeError(`${fn}: encoder must be an InferenceModel (with encode)`);
  checkDataMatrix(fn, 'data', data);
  if (data.features !== model.dataSize) throw new RangeError(`${fn}: data must have ${model.dataSize} features (the model's dataSize), got ${data.features}`);
  if (encoder.latentSize !== model.latentSize) throw new RangeError(`${fn}: encoder.latentSize must equal model.latentSize ${model.latentSize}, got ${encoder.latentSize}`);
  const n = data.count;
  const d = data.features;
  const l = model.latentSize;
  // one batch, as the whole set; the encoder's outputs as float64
  const terms = evaluatePerExample(encoder, data, { batchSize: n }, fn);
  const logEvidence = new Float64Array(n);
  const elbo = new Float64Array(n);
  const klToPosterior = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = data.values.subarray(i * d, (i + 1) * d);
    const q = { mean: terms.encoderMean.subarray(i * l, (i + 1) * l), logVariance: terms.encoderLogVariance.subarray(i * l, (i + 1) * l) };
    logEvidence[i] = model.logMarginal(x);
    elbo[i] = model.elbo(x, q).elbo;
    klToPosterior[i] = model.klToPosterior(x, q);
  }
  return { logEvidence, elbo, klToPosterior, meanLogEvidence: meanOf(logEvidence), meanElbo: meanOf(elbo), meanKlToPosterior: meanOf(klToPosterior) };
}

/** (1/N) Σ_i log p_θ(x_i) over the rows of `data`, closed form (e.g. of the model that generated them). */
export function meanExactLogEvidence(model: LinearGaussianModel, data: DataMatrix): number {
  const fn = 'meanExactLogEvidence';
  if (!(model instanceof LinearGaussianModel)) throw new TypeError(`${fn}: model must be a LinearGaussianModel`);
  checkDataMatrix(fn, 'data', data);
  if (data.features !== model.dataSize) throw new RangeError(`${fn}: data must have ${model.dataSize} features (the model's dataSize), got ${data.features}`);
  const d = data.features;
  return meanOf(Float64Array.from({ length: data.count }, (_, i) => model.logMarginal(data.values.subarray(i * d, (i + 1) * d))));
}

/** The VAE of point 5: affine encoder, affine decoder, 2-D latent, Gaussian likelihood (a linear-Gaussian model). */
export const linearVaeConfig: VaeConfig = { inputSize: 8, latentSize: 2, hiddenSizes: [], decoderHiddenSizes: [], likelihood: 'gaussian' };

/** One recorded moment of training, exact (nats per example, means over the data). */
export interface ExactGapRecord {
  epoch: number;
  /** (1/N) Σ log p_θ(x_i). */
  logEvidence: number;
  /** (1/N) Σ ELBO(x_i). */
  elbo: number;
  /** (1/N) Σ KL(q_φ(z|x_i) ‖ p_θ(z|x_i)) = logEvidence − elbo. */
  gap: number;
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
  const record = (epoch: number) => {
    const g = exactGapOverData(linearGaussianFromVae(model), model, data);
    trace.push({ epoch, logEvidence: g.meanLogEvidence, elbo: g.meanElbo, gap: g.meanKlToPosterior });
  };
  record(0);
  await trainVae({
    model, data, parameters, epochs, batchSize: 100, learningRate: options.learningRate ?? 1e-2, seed: options.seed,
    evaluateInitial: false, evalCount: options.evalCount ?? 200, progress: options.progress ?? 'none',
    onEpoch: (metrics: EpochMetrics) => { if (metrics.epoch % every === 0 || metrics.epoch === epochs) record(metrics.epoch); },
  });
  return trace;
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

/** The notebook's claims: ids, sections and statements (what is compared stays in the cells). */
export const claimSpecs = {
  elboIsReconstructionMinusKl: { id: 'elbo-is-rec-minus-kl', section: '§6', where: '1. ELBO = reconstruction − KL',
    statement: 'the ELBO as defined, E_q[log p(x,z) − log q(z|x)], equals reconstruction − KL (Monte Carlo vs closed-form KL, 500 digits × 20 draws)' },
  reconstructionImproves: { id: 'reconstruction-improves', section: '§6', where: '2. Reconstruction makes the decoder explain the data',
    statement: 'training raises the reconstruction term of held-out digits (by more than 100 nats per digit)' },
  reconstructionThroughZ: { id: 'reconstruction-through-z', section: '§6', where: '2. Reconstruction makes the decoder explain the data',
    statement: 'the decoder explains each digit through its own code: log p(x|z) is higher with z from q(z|x) than with another digit’s z, by more than 4 SE (paired)' },
  klKeepsLatentUsable: { id: 'kl-keeps-latent-usable', section: '§6', where: '3. KL keeps the encoder honest and the latent space usable',
    statement: 'with the KL term the codes of the data sit close to the prior: the aggregate posterior’s KL to N(0, I) is less than half that of the model trained without it' },
  gapIsKl: { id: 'gap-is-kl', section: '§6', where: '4. The gap measures posterior quality',
    statement: 'log p(x) − ELBO(q) equals KL(q ‖ true posterior) for every q tried (largest difference, closed forms in float64)' },
  gapZeroAtPosterior: { id: 'summary-gap-zero-at-posterior', section: '§6', where: '4. The gap measures posterior quality',
    statement: 'when q is the true posterior the gap is zero: the ELBO equals log p(x)' },
  gapGrowsWithError: { id: 'gap-grows-with-error', section: '§6', where: '4. The gap measures posterior quality',
    statement: 'the worse q approximates the posterior, the larger the gap (strictly increasing along the spoil path)' },
  elboImprovesModel: { id: 'elbo-improves-model', section: '§6', where: pointFive,
    statement: 'maximising the ELBO improves the generative model: exact mean log p_θ(x) rises from start to end of training (by more than 1 nat)' },
  elboImprovesEncoderJoint: { id: 'elbo-improves-encoder-joint', section: '§6', where: pointFive,
    statement: 'and the encoder: the exact gap KL(q ‖ p_θ(z|x)) at the end is below a tenth of its value at the start' },
  elboBelowEvidence: { id: 'training-elbo-below-evidence', section: '§6', where: pointFive,
    statement: 'throughout training the ELBO stays below log p_θ(x) (largest ELBO − log p over the recorded epochs)' },
  thetaFixed: { id: 'theta-fixed', section: '§6', where: pointFive,
    statement: 'the decoder θ is untouched by encoder-only training' },
  gapFallsPhiOnly: { id: 'gap-falls-phi-only', section: '§6', where: pointFive,
    statement: 'with θ fixed, maximising the ELBO over φ pushes q toward the true posterior: the exact gap falls to below a tenth' },
  elboGainIsGapFall: { id: 'elbo-gain-is-gap-fall', section: '§6', where: pointFive,
    statement: 'with θ fixed, the ELBO gain equals the fall of the gap exactly (log p_θ(x) is constant)' },
} satisfies Record<string, ClaimSpec>;
