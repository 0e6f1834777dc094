/**
 * Course module of notebook 03-the-gap (document §3): its experiments and figures (uses the
 * library; the library never imports it).
 *
 * The notebook measures both sides of
 *   log p_θ(x) − ELBO = KL(q_φ(z|x) ‖ p_θ(z|x))
 * by different routes: on a linear-Gaussian model (closed forms, and the KL by sampling); on a VAE
 * with a 2-D latent, the left side as log p_θ(x) by a trapezoid grid (exact/quadrature2d) minus
 * the ELBO by the training code's own objective (sampled), the right side as the divergence from
 * q to the posterior normalised by adaptive cubature (exact/adaptiveCubature2d), and log p_θ(x)
 * once more by importance sampling (exact/importanceSampling); during training; while the encoder
 * alone is optimised (θ fixed, so every nat the ELBO gains is a nat of gap closed); and against the
 * importance-weighted bound L_k for many k from one pool of draws.
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../random';
import type { DiagonalGaussian } from '../distributions/gaussian';
import { DataMatrix, checkDataMatrix } from '../data/matrix';
import { Vae } from '../models/vae';
import { evaluatePerExample } from '../train/evaluation';
import { trainVae, TrainResult } from '../train/train';
import type { ProgressReporter } from '../train/progress';
import { quadrature2d, QuadratureOptions, QuadratureResult } from '../exact/quadrature2d';
import { klToGridPosterior, monteCarloKlToGaussian } from '../exact/kl';
import { CubatureKl, CubatureLogMarginal, klToPosteriorByCubature, logMarginalByCubature } from '../exact/adaptiveCubature2d';
import { ImportanceSampledEvidence, importanceSampledLogMarginal } from '../exact/importanceSampling';
import { trainingObjective } from '../train/objective';
import type { GaussianPosterior, LinearGaussianModel } from '../exact/linearGaussian';
import { logMeanExp } from '../objectives/monteCarlo';
import { independentDifference, meanAndStandardErrorOf, meanOfIndependentEstimates } from '../stats/index';
import { logWeightsOf, sampleJoint } from '../objectives/sampleJoint';
import type { GenerativeModel, InferenceModel } from '../objectives/types';
import type { PlotlyFigure } from '../display/plotly';
import type { ClaimSpec } from '../display/claims';
import { checkFiniteArray, checkInteger, checkMatrix, checkNumber, checkObject, checkRandom } from '../checks';
import { createDigits2dModel, digits2dEpochs, trainDigits2d, DIGITS_2D_MODEL } from './digits2d';

/** The shared 2-D-latent VAE on digits (src/course/digits2d.ts), as this notebook uses it. */
export { trainDigits2d, digits2dHeldOut, digits2dData, digits2dEpochs, createDigits2dModel } from './digits2d';

const LOG_2PI = Math.log(2 * Math.PI);
const SUBSCRIPTS = '₀₁₂₃₄₅₆₇₈₉';

function subscript(k: number): string {
  return String(k).replace(/\d/g, (d) => SUBSCRIPTS[Number(d)]);
}

/** A table as the notebook shows it (display.showTable(headers, rows, caption)). */
export interface Table {
  headers: string[];
  rows: Array<Array<string | number>>;
  caption: string;
}

/** A diagonal Gaussian q over the latent code, as plain numbers. */
export interface GaussianQ {
  mean: ArrayLike<number>;
  logVariance: ArrayLike<number>;
}

// ---------------------------------------------------------------------------------------------
// (a) Exactly: the linear-Gaussian model
// ---------------------------------------------------------------------------------------------

/**
 * An encoder distribution near the true posterior N(m, diag s²) of the linear-Gaussian model:
 *   mean_j = m_j + shift_j · s_j,   log-variance_j = log s_j² + log varianceFactor.
 */
export function shiftedEncoder(posterior: GaussianPosterior, shift: number[], varianceFactor: number): { mean: number[]; logVariance: number[] } {
  const fn = 'shiftedEncoder';
  checkObject(fn, 'posterior', posterior);
  checkFiniteArray(fn, 'shift', shift, posterior.mean.length);
  checkNumber(fn, 'varianceFactor', varianceFactor, Number.MIN_VALUE);
  const sd = Array.from(posterior.logVariance, (lv) => Math.exp(0.5 * lv));
  return {
    mean: Array.from(posterior.mean, (m, j) => m + shift[j] * sd[j]),
    logVariance: Array.from(posterior.logVariance, (lv) => lv + Math.log(varianceFactor)),
  };
}

/** A named encoder distribution q. */
export interface CandidateEncoder {
  name: string;
  q: { mean: number[]; logVariance: number[] };
}

/**
 * The five encoder distributions of the section (2-D latent): the true posterior itself, its mean
 * moved by one posterior standard deviation along z₁, variance ÷ 4, variance × 4, and the prior.
 */
export function candidateEncoders(posterior: GaussianPosterior): CandidateEncoder[] {
  checkObject('candidateEncoders', 'posterior', posterior);
  return [
    { name: 'q = the true posterior', q: shiftedEncoder(posterior, [0, 0], 1) },
    { name: 'mean off by 1 posterior sd', q: shiftedEncoder(posterior, [1, 0], 1) },
    { name: 'too narrow (variance ÷ 4)', q: shiftedEncoder(posterior, [0, 0], 0.25) },
    { name: 'too wide (variance × 4)', q: shiftedEncoder(posterior, [0, 0], 4) },
    { name: 'q = the prior N(0, I)', q: { mean: [0, 0], logVariance: [0, 0] } },
  ];
}

/** Both sides of the identity for one q of the linear-Gaussian model, three routes. */
export interface LinearGapRow {
  name: string;
  /** log p(x) − ELBO(q), both in closed form. */
  gapByDifference: number;
  /** KL(q ‖ p(z|x)), closed form between two Gaussians. */
  klClosedForm: number;
  /** KL(q ‖ p(z|x)) = E_q[log q(z) − log p(z|x)] by sampling z ~ q, with its SE. */
  klSampled: { value: number; standardError: number };
}

/**
 * For each candidate q: log p(x) − ELBO(q), KL(q ‖ p(z|x)) in closed form, and the same KL from
 * `samples` draws z ~ q (one `random` stream, candidates in order).
 */
export function linearGapRows(model: LinearGaussianModel, x: ArrayLike<number>, candidates: CandidateEncoder[], random: Random, samples: number): LinearGapRow[] {
  const fn = 'linearGapRows';
  checkObject(fn, 'model', model);
  checkFiniteArray(fn, 'x', x);
  if (!Array.isArray(candidates) || candidates.length === 0) throw new TypeError(`${fn}: candidates must be a non-empty array of {name, q}`);
  checkRandom(fn, 'random', random);
  checkInteger(fn, 'samples', samples, 2);
  const posterior = model.posterior(x);
  const logEvidence = model.logMarginal(x);
  return candidates.map(({ name, q }) => {
    const gapByDifference = logEvidence - model.elbo(x, q).elbo;
    const klClosedForm = model.klToPosterior(x, q);
    const klSampled = monteCarloKlToGaussian(q, posterior.mean, posterior.covariance, random, samples);
    return { name, gapByDifference, klClosedForm, klSampled };
  });
}

/** The table of the linear-Gaussian section: the gap and the KL by its three routes, per q. */
export function linearGapTable(rows: LinearGapRow[], logEvidence: number): Table {
  const fn = 'linearGapTable';
  if (!Array.isArray(rows) || rows.length === 0) throw new TypeError(`${fn}: rows must be a non-empty array (from linearGapRows)`);
  checkNumber(fn, 'logEvidence', logEvidence);
  return {
    headers: ['encoder distribution q', 'log p(x) − ELBO', 'KL(q ‖ p(z|x)), closed form', 'KL(q ‖ p(z|x)), sampled ± SE'],
    rows: rows.map((r) => [r.name, r.gapByDifference.toFixed(6), r.klClosedForm.toFixed(6),
      `${r.klSampled.value.toFixed(4)} ± ${r.klSampled.standardError.toFixed(4)}`]),
    caption: `Linear-Gaussian model (D = 20, L = 2), one x with log p(x) = ${logEvidence.toFixed(4)} nats`,
  };
}

/**
 * |sampled KL − gap| in standard errors of the sampled KL, per q. When q is the true posterior
 * every draw gives log q(z) − log p(z|x) = 0 up to float64 rounding, so the SE is 0 too: there the
 * two routes must agree to 1e-9 nats (score 0 when they do, Infinity when they do not), as in 02.
 */
export function sampledKlScores(rows: LinearGapRow[]): number[] {
  if (!Array.isArray(rows) || rows.length === 0) throw new TypeError('sampledKlScores: rows must be a non-empty array (from linearGapRows)');
  return rows.map((r) => {
    const difference = Math.abs(r.klSampled.value - r.gapByDifference);
    if (difference <= 1e-9) return 0;
    return r.klSampled.standardError > 0 ? difference / r.klSampled.standardError : Infinity;
  });
}

/**
 * The identity as a picture: q's mean slid along z₁ from −2 to 2 posterior standard deviations,
 * for variance × ¼, 1, 4; lines log p(x) − ELBO, markers (every fourth shift) the closed-form KL.
 */
export function gapAlongShiftFigure(model: LinearGaussianModel, x: ArrayLike<number>): PlotlyFigure {
  const fn = 'gapAlongShiftFigure';
  checkObject(fn, 'model', model);
  checkFiniteArray(fn, 'x', x);
  const posterior = model.posterior(x);
  const logEvidence = model.logMarginal(x);
  const shifts = Array.from({ length: 41 }, (_, i) => -2 + i * 0.1);
  const data = [0.25, 1, 4].flatMap((factor, index) => {
    const qs = shifts.map((s) => shiftedEncoder(posterior, [s, 0], factor));
    const color = ['#1f77b4', '#2ca02c', '#d62728'][index];
    return [
      { x: shifts, y: qs.map((q) => logEvidence - model.elbo(x, q).elbo), type: 'scatter', mode: 'lines',
        line: { color }, name: `log p(x) − ELBO, variance × ${factor}` },
      { x: shifts.filter((_, i) => i % 4 === 0), y: qs.filter((_, i) => i % 4 === 0).map((q) => model.klToPosterior(x, q)),
        type: 'scatter', mode: 'markers', marker: { color, symbol: 'circle-open', size: 9 }, name: `KL(q ‖ p(z|x)), variance × ${factor}` },
    ];
  });
  return { data, layout: {
    title: { text: 'Linear-Gaussian model: the gap is the KL to the true posterior' },
    xaxis: { title: { text: 'shift of the encoder mean along z₁ (posterior standard deviations)' } },
    yaxis: { title: { text: 'gap (nats)' } }, height: 440 } };
}

// ---------------------------------------------------------------------------------------------
// (b) By quadrature: a VAE with a 2-D latent
// ---------------------------------------------------------------------------------------------

/** The gap of one x, by quadrature, with the error estimates behind it (nats). */
export interface QuadratureGap {
  /** log p_θ(x) on the posterior grid. */
  logMarginal: number;
  /** The ELBO of q as a grid expectation E_q[log p_θ(x,z) − log q_φ(z|x)]. */
  elbo: number;
  /**
   * The gap log p_θ(x) − grid ELBO, written as the divergence Σ_g w_g [log q(z_g|x) − log p_θ(z_g|x)]
   * on q's grid (w_g ∝ τ_g q(z_g|x)) with the posterior normalised by the same log p_θ(x): the
   * same number, so not a second route (digitGaps computes one: KL by cubature).
   */
  klToPosterior: number;
  /** Stated quadrature error of logMarginal, of the ELBO, and of their difference. */
  logMarginalError: number;
  elboError: number;
  gapError: number;
}

/** Quadrature gap of one data row given the encoder's q for it (mean and logVariance, 2 numbers each). */
export function quadratureGap(decoder: GenerativeModel, x: ArrayLike<number>, q: GaussianQ, options: Omit<QuadratureOptions, 'q'> = {}): QuadratureGap & { result: QuadratureResult } {
  const result = quadrature2d(decoder, x, { ...options, q });
  const expectations = result.q as NonNullable<QuadratureResult['q']>;
  const elboError = expectations.discretizationError.elbo + expectations.truncationError;
  const logMarginalError = result.errorEstimate.total;
  return {
    logMarginal: result.logMarginal,
    elbo: expectations.elbo,
    klToPosterior: klToGridPosterior(result),
    logMarginalError,
    elboError,
    gapError: logMarginalError + elboError,
    result,
  };
}

/** A VAE with a 2-D latent: an encoder giving q and a decoder. */
type Vae2d = GenerativeModel & InferenceModel;

function checkVae2d(fn: string, model: unknown): asserts model is Vae2d {
  const m = model as Partial<Vae2d> | null;
  if (!m || typeof m.encode !== 'function' || typeof m.logLikelihood !== 'function') {
    throw new TypeError(`${fn}: model must be a VAE (encoder and decoder) with a 2-D latent`);
  }
  if (m.latentSize !== 2) throw new RangeError(`${fn}: model.latentSize must be 2, got ${m.latentSize}`);
}

/** The encoder's q of row i of an evaluation pass (2 numbers each, float64). */
function qOfRow(q: { encoderMean: Float64Array; encoderLogVariance: Float64Array }, i: number): { mean: Float64Array; logVariance: Float64Array } {
  return { mean: q.encoderMean.subarray(2 * i, 2 * i + 2), logVariance: q.encoderLogVariance.subarray(2 * i, 2 * i + 2) };
}

/** Per-example quadrature gaps of the rows of `data` under `model` (encoder gives q), plus their averages. */
export interface QuadratureGaps {
  perExample: QuadratureGap[];
  mean: { logMarginal: number; elbo: number; klToPosterior: number; gapError: number };
}

/** quadratureGap for each row of `data` (a VAE with a 2-D latent: its encoder gives q). */
export function quadratureGaps(model: Vae2d, data: DataMatrix, options: Omit<QuadratureOptions, 'q'> = {}): QuadratureGaps {
  const fn = 'quadratureGaps';
  checkDataMatrix(fn, 'data', data);
  checkVae2d(fn, model);
  const q = evaluatePerExample(model, data, { batchSize: data.count }, fn); // one batch, as the whole set
  const perExample: QuadratureGap[] = [];
  for (let i = 0; i < data.count; i++) {
    const row = data.values.subarray(i * data.features, (i + 1) * data.features);
    const { result: _result, ...gap } = quadratureGap(model, row, qOfRow(q, i), options);
    perExample.push(gap);
  }
  const avg = (key: 'logMarginal' | 'elbo' | 'klToPosterior' | 'gapError'): number => perExample.reduce((s, g) => s + g[key], 0) / perExample.length;
  return { perExample, mean: { logMarginal: avg('logMarginal'), elbo: avg('elbo'), klToPosterior: avg('klToPosterior'), gapError: avg('gapError') } };
}

/**
 * Float32 allowance: the decoder and the training code compute log p(x|z) in float32; their
 * results may differ from float64 arithmetic by about 1e-6 of |log p(x)| (02 uses the same).
 */
export const FLOAT32_RELATIVE = 1e-6;

/** The ELBO of each row as the training code computes it (engineElbo), with standard errors. */
export interface EngineElbo {
  /** Per row: −(mean of the batch losses) and its standard error over the batches. */
  perExample: Float64Array;
  perExampleStandardError: Float64Array;
  /** Mean over the rows and its standard error. */
  mean: number;
  standardError: number;
  samples: number;
  batches: number;
}

/**
 * The ELBO of each row of x by the training engine's own objective (src/train/objective.ts,
 * β = 1, no free bits: the loss Adam minimises, fused ops and all): for each row, `batches`
 * batches of samples/batches copies of the row with fresh noise ε ~ N(0, I) from `random`;
 * ELBO = −(mean batch loss), its SE the standard deviation of the batch losses / √batches.
 * It shares no code with the quadratures beyond the networks' weights.
 */
export function engineElbo(model: Vae, x: tf.Tensor2D, random: Random, samples: number, batches = 40): EngineElbo {
  const fn = 'engineElbo';
  if (!(model instanceof Vae) || model.isDisposed) throw new TypeError(`${fn}: model must be a live Vae`);
  checkMatrix(fn, 'x', x, model.config.inputSize);
  checkRandom(fn, 'random', random);
  checkInteger(fn, 'batches', batches, 2);
  checkInteger(fn, 'samples', samples, batches);
  if (samples % batches !== 0) throw new RangeError(`${fn}: samples (${samples}) must be a multiple of batches (${batches})`);
  const size = samples / batches;
  const n = x.shape[0];
  const perExample = new Float64Array(n);
  const perExampleStandardError = new Float64Array(n);
  const losses = new Float64Array(batches);
  for (let i = 0; i < n; i++) {
    for (let b = 0; b < batches; b++) {
      const loss = tf.tidy(() => {
        const rows = tf.tile(tf.slice(x, [i, 0], [1, x.shape[1]]), [size, 1]) as tf.Tensor2D;
        const noise = tf.tensor2d(random.normals(size * model.latentSize), [size, model.latentSize]);
        return trainingObjective(model, rows, noise, 1, 0);
      });
      losses[b] = loss.dataSync()[0];
      loss.dispose();
    }
    const e = meanAndStandardErrorOf(losses, 0, batches);
    perExample[i] = -e.mean;
    perExampleStandardError[i] = e.standardError;
  }
  const batch = meanOfIndependentEstimates(perExample, perExampleStandardError);
  return { perExample, perExampleStandardError, mean: batch.mean, standardError: batch.standardError, samples, batches };
}

/**
 * One digit: the encoder's q, log p_θ(x) by the trapezoid grid of quadrature2d (run without q:
 * only the posterior's own grid), and KL(q ‖ p_θ(z|x)) by adaptive cubature (its own log Ẑ and
 * E_q, src/exact/adaptiveCubature2d.ts).
 */
export interface DigitGap {
  q: { mean: Float64Array; logVariance: Float64Array };
  /** The posterior grid (the pictures, and the posterior moments for importance sampling). */
  result: QuadratureResult;
  logMarginal: number;
  logMarginalError: number;
  cubature: CubatureKl;
}

/**
 * For each row of `data`: the encoder's q (one evaluation pass), quadrature2d on a grid of
 * options.pointsPerAxis nodes per axis (log p(x), the true posterior), and the KL by cubature.
 */
export function digitGaps(model: Vae2d, data: DataMatrix, options: Omit<QuadratureOptions, 'q'> = {}): DigitGap[] {
  const fn = 'digitGaps';
  checkDataMatrix(fn, 'data', data);
  checkVae2d(fn, model);
  const q = evaluatePerExample(model, data, { batchSize: data.count }, fn);
  return Array.from({ length: data.count }, (_, i) => {
    const qi = qOfRow(q, i);
    const row = data.values.subarray(i * data.features, (i + 1) * data.features);
    const result = quadrature2d(model, row, options);
    return { q: qi, result, logMarginal: result.logMarginal, logMarginalError: result.errorEstimate.total, cubature: klToPosteriorByCubature(model, row, qi) };
  });
}

/** The names of the digits shown: "#1 (a 3)", "#2 (a 7)", … from their class labels. */
export function digitNames(labels: ArrayLike<number>): string[] {
  checkObject('digitNames', 'labels', labels);
  return Array.from(labels, (l, i) => `#${i + 1} (a ${l})`);
}

/**
 * Plotly traces of one quadrature result for a subplot: the true posterior p_θ(z|x) as a heatmap
 * on its grid (every `stride`-th node, density rounded to 4 significant digits) and the contours
 * of q's density on the same nodes. `axes` names the subplot's axes (e.g. {x: 'x2', y: 'y2'}).
 */
export function posteriorHeatmapTraces(
  result: QuadratureResult, q: GaussianQ,
  axes: { x: string; y: string } = { x: 'x', y: 'y' }, stride = 2, showScale = false,
): Array<Record<string, unknown>> {
  const fn = 'posteriorHeatmapTraces';
  if (!result || !result.grid || !(result.logPosterior instanceof Float64Array)) throw new TypeError(`${fn}: result must come from quadrature2d`);
  checkInteger(fn, 'stride', stride, 1);
  const { axis0, axis1 } = result.grid;
  const i0 = Array.from({ length: Math.ceil(axis0.length / stride) }, (_, k) => k * stride);
  const i1 = Array.from({ length: Math.ceil(axis1.length / stride) }, (_, k) => k * stride);
  const round = (v: number): number => Number(v.toPrecision(4));
  const n1 = axis1.length;
  // Rows of z are values of z₂ (axis1), columns values of z₁ (axis0): z₁ runs left to right.
  const posterior = i1.map((j) => i0.map((i) => round(Math.exp(result.logPosterior[i * n1 + j]))));
  const qDensity = i1.map((j) => i0.map((i) => {
    let logQ = 0;
    const z = [axis0[i], axis1[j]];
    for (let u = 0; u < 2; u++) logQ += -0.5 * (LOG_2PI + q.logVariance[u] + (z[u] - q.mean[u]) ** 2 / Math.exp(q.logVariance[u]));
    return round(Math.exp(logQ));
  }));
  const x = i0.map((i) => round(axis0[i]));
  const y = i1.map((j) => round(axis1[j]));
  return [
    { type: 'heatmap', x, y, z: posterior, colorscale: 'Viridis', showscale: showScale, xaxis: axes.x, yaxis: axes.y,
      name: 'true posterior p_θ(z|x)', colorbar: showScale ? { title: { text: 'density' } } : undefined },
    { type: 'contour', x, y, z: qDensity, contours: { coloring: 'lines' }, line: { color: 'white', width: 1.5 }, showscale: false,
      ncontours: 6, xaxis: axes.x, yaxis: axes.y, name: 'encoder q_φ(z|x)' },
  ];
}

/** One subplot per digit: the true posterior on its grid (colour) and the encoder's q (white contours). */
export function posteriorsFigure(gaps: DigitGap[], names: string[]): PlotlyFigure {
  const fn = 'posteriorsFigure';
  if (!Array.isArray(gaps) || gaps.length === 0) throw new TypeError(`${fn}: gaps must be a non-empty array (from digitGaps)`);
  if (!Array.isArray(names) || names.length !== gaps.length) throw new RangeError(`${fn}: names must name each of the ${gaps.length} digits`);
  const data = gaps.flatMap((g, i) => posteriorHeatmapTraces(g.result, g.q, { x: i === 0 ? 'x' : `x${i + 1}`, y: i === 0 ? 'y' : `y${i + 1}` }, 2));
  const axis = (i: number, letter: 'x' | 'y') => [`${letter}axis${i === 0 ? '' : i + 1}`,
    { title: { text: letter === 'x' ? `z₁ · digit ${names[i]}` : 'z₂' } }] as const;
  return { data, layout: {
    title: { text: 'True posterior p_θ(z|x) (colour, density per unit area) and the encoder q_φ(z|x) (white contours)' },
    grid: { rows: 1, columns: gaps.length, pattern: 'independent' }, showlegend: false, height: 360,
    ...Object.fromEntries(gaps.flatMap((_, i) => [axis(i, 'x'), axis(i, 'y')])),
  } };
}

/** Both sides of the identity for one digit of the trained VAE (nats). */
export interface VaeGapRow {
  name: string;
  /** log p_θ(x) by the trapezoid grid and its stated error. */
  logMarginal: number;
  logMarginalError: number;
  /** The ELBO by the training objective (sampled) and its standard error. */
  elbo: number;
  elboSe: number;
  /** Left side: log p_θ(x) (grid) − ELBO (training objective). */
  left: number;
  /** Allowed distance of the left side from 0 or from any exact value: 4 SE + grid error + float32. */
  leftSlack: number;
  /** Right side: KL(q ‖ p_θ(z|x)) by cubature, with log Ẑ by cubature beside it. */
  right: number;
  cubatureLogMarginal: number;
  /** Allowed |left − right|: leftSlack + the cubature's error estimate. */
  tolerance: number;
}

/** Per digit: the left side log p(x) − ELBO (grid, training objective), the right side (cubature), and the allowed difference. */
export function vaeGapRows(gaps: DigitGap[], engine: EngineElbo, names: string[]): VaeGapRow[] {
  const fn = 'vaeGapRows';
  if (!Array.isArray(gaps) || gaps.length === 0) throw new TypeError(`${fn}: gaps must be a non-empty array (from digitGaps)`);
  checkObject(fn, 'engine', engine);
  if (engine.perExample.length !== gaps.length || !Array.isArray(names) || names.length !== gaps.length) {
    throw new RangeError(`${fn}: engine and names must hold one entry per digit (${gaps.length})`);
  }
  return gaps.map((g, i) => {
    const elbo = engine.perExample[i], elboSe = engine.perExampleStandardError[i];
    const leftSlack = 4 * elboSe + g.logMarginalError + FLOAT32_RELATIVE * Math.abs(g.logMarginal);
    return { name: names[i], logMarginal: g.logMarginal, logMarginalError: g.logMarginalError, elbo, elboSe,
      left: g.logMarginal - elbo, leftSlack, right: g.cubature.kl, cubatureLogMarginal: g.cubature.logMarginal.logMarginal,
      tolerance: leftSlack + g.cubature.errorEstimate };
  });
}

/** The table of both sides per digit. */
export function vaeGapTable(rows: VaeGapRow[]): Table {
  if (!Array.isArray(rows) || rows.length === 0) throw new TypeError('vaeGapTable: rows must be a non-empty array (from vaeGapRows)');
  return {
    headers: ['digit', 'log p(x), grid', 'ELBO, training objective ± SE', 'left: log p(x) − ELBO', 'right: KL(q ‖ p(z|x)), cubature',
      'log p(x), cubature', 'allowed |left − right|'],
    rows: rows.map((r) => [r.name, r.logMarginal.toFixed(3), `${r.elbo.toFixed(3)} ± ${r.elboSe.toFixed(3)}`, r.left.toFixed(3),
      r.right.toFixed(3), r.cubatureLogMarginal.toFixed(3), r.tolerance.toFixed(3)]),
    caption: 'The gap of the trained 2-D VAE, both sides by separate routes, nats',
  };
}

/** The largest |left − right| / allowed over the digits (≤ 1: the identity holds for every digit). */
export function largestGapMismatch(rows: VaeGapRow[]): number {
  if (!Array.isArray(rows) || rows.length === 0) throw new TypeError('largestGapMismatch: rows must be a non-empty array (from vaeGapRows)');
  return Math.max(...rows.map((r) => Math.abs(r.left - r.right) / r.tolerance));
}

/** The gap ≥ 0 for every digit: the smallest left side against its own slack, as a claim's text and outcome. */
export function gapNonnegativeCheck(rows: VaeGapRow[]): { measured: string; criterion: string; holds: boolean } {
  if (!Array.isArray(rows) || rows.length === 0) throw new TypeError('gapNonnegativeCheck: rows must be a non-empty array (from vaeGapRows)');
  const worst = rows.reduce((a, r) => (r.left + r.leftSlack < a.left + a.leftSlack ? r : a));
  return {
    measured: `smallest gap ${worst.left.toFixed(4)} nats (digit ${worst.name}); all: ${rows.map((r) => r.left.toFixed(3)).join(', ')}`,
    criterion: 'gap ≥ −(4 SE + grid error + float32) for every digit',
    holds: rows.every((r) => r.left >= -r.leftSlack),
  };
}

/** log p_θ(x) of one digit by the grid and by importance sampling. */
export interface EvidenceRow {
  name: string;
  grid: number;
  gridError: number;
  sampled: ImportanceSampledEvidence;
  /** Allowed |sampled − grid|: 4 SE + the grid's error + SE² (the log's bias is about −SE²/2). */
  tolerance: number;
}

/**
 * For each digit: log p_θ(x) by importance sampling (src/exact/importanceSampling.ts) with a wide
 * proposal, 0.9 N(m, 4 C) + 0.1 N(0, I), m and C the posterior mean and covariance on the grid
 * (they set only the variance: the estimate is unbiased for any proposal), `samples` draws each
 * from `random`, beside log p_θ(x) by the grid.
 */
export function evidenceBySampling(model: GenerativeModel, data: DataMatrix, gaps: DigitGap[], names: string[], random: Random, samples: number): EvidenceRow[] {
  const fn = 'evidenceBySampling';
  checkDataMatrix(fn, 'data', data);
  if (!Array.isArray(gaps) || gaps.length !== data.count || !Array.isArray(names) || names.length !== data.count) {
    throw new RangeError(`${fn}: gaps and names must hold one entry per row of data (${data.count})`);
  }
  checkRandom(fn, 'random', random);
  checkInteger(fn, 'samples', samples, 2);
  return gaps.map((g, i) => {
    const proposal = { mean: g.result.posteriorMean, covariance: g.result.posteriorCovariance.map((v) => 4 * v) };
    const sampled = importanceSampledLogMarginal(model, data.values.subarray(i * data.features, (i + 1) * data.features), proposal, random, samples);
    return { name: names[i], grid: g.logMarginal, gridError: g.logMarginalError, sampled,
      tolerance: 4 * sampled.standardError + g.logMarginalError + sampled.standardError ** 2 };
  });
}

/** The table of the two evidence routes. */
export function evidenceTable(rows: EvidenceRow[]): Table {
  if (!Array.isArray(rows) || rows.length === 0) throw new TypeError('evidenceTable: rows must be a non-empty array (from evidenceBySampling)');
  return {
    headers: ['digit', 'log p(x), grid ± error', 'log p(x), importance sampling ± SE', 'effective draws', 'allowed difference'],
    rows: rows.map((r) => [r.name, `${r.grid.toFixed(4)} ± ${r.gridError.toExponential(1)}`,
      `${r.sampled.logMarginal.toFixed(4)} ± ${r.sampled.standardError.toFixed(4)}`, Math.round(r.sampled.effectiveSampleSize), r.tolerance.toFixed(4)]),
    caption: `log p_θ(x) by the grid and by importance sampling (${rows[0].sampled.samples.toLocaleString('en-US')} draws per digit), nats`,
  };
}

/** The largest |sampled − grid| / allowed over the digits. */
export function largestEvidenceMismatch(rows: EvidenceRow[]): number {
  if (!Array.isArray(rows) || rows.length === 0) throw new TypeError('largestEvidenceMismatch: rows must be a non-empty array (from evidenceBySampling)');
  return Math.max(...rows.map((r) => Math.abs(r.sampled.logMarginal - r.grid) / r.tolerance));
}

/** Averages over the digits of log p(x) (grid) and its stated error, and of the ELBO by cubature with its largest error. */
export function averageOverDigits(gaps: DigitGap[]): { logMarginal: number; logMarginalError: number; elbo: number; largestElboError: number } {
  if (!Array.isArray(gaps) || gaps.length === 0) throw new TypeError('averageOverDigits: gaps must be a non-empty array');
  return {
    logMarginal: gaps.reduce((s, g) => s + g.logMarginal, 0) / gaps.length,
    logMarginalError: gaps.reduce((s, g) => s + g.logMarginalError, 0) / gaps.length,
    elbo: gaps.reduce((s, g) => s + g.cubature.elbo.elbo, 0) / gaps.length,
    largestElboError: Math.max(...gaps.map((g) => g.cubature.elbo.errorEstimate.total)),
  };
}

// ---------------------------------------------------------------------------------------------
// The implication, measured during training: both θ and φ trained
// ---------------------------------------------------------------------------------------------

/** The quadrature gaps of the tracked digits at one epoch (0 = the initial model). */
export interface EpochGaps {
  epoch: number;
  gaps: QuadratureGaps;
}

/** The epochs at which the gap is tracked: 1, 2, 4, …, 64 up to the last epoch, and the last. */
export function trackedEpochs(totalEpochs: number): Set<number> {
  checkInteger('trackedEpochs', 'totalEpochs', totalEpochs, 1);
  return new Set([1, 2, 4, 8, 16, 32, 64, totalEpochs].filter((e) => e <= totalEpochs));
}

/**
 * Trains the shared 2-D VAE of notebook seed `seed` (trainDigits2d) and measures the quadrature
 * gaps of `tracked` on the untrained model (epoch 0, the same initial weights) and after the
 * epochs of trackedEpochs. The caller disposes run.model.
 */
export async function trainTrackingGaps(
  seed: number, tracked: DataMatrix, options: { grid: Omit<QuadratureOptions, 'q'>; progress?: ProgressReporter | 'none' },
): Promise<{ run: TrainResult; history: EpochGaps[] }> {
  const fn = 'trainTrackingGaps';
  checkDataMatrix(fn, 'tracked', tracked);
  checkObject(fn, 'options', options);
  checkObject(fn, 'options.grid', options.grid);
  const epochs = trackedEpochs(digits2dEpochs());
  const history: EpochGaps[] = [];
  const untrained = createDigits2dModel(seed); // the same initial weights training starts from
  try {
    history.push({ epoch: 0, gaps: quadratureGaps(untrained, tracked, options.grid) });
  } finally {
    untrained.dispose();
  }
  const run = await trainDigits2d(seed, {
    progress: options.progress,
    onEpoch: (metrics, live) => {
      if (epochs.has(metrics.epoch)) history.push({ epoch: metrics.epoch, gaps: quadratureGaps(live, tracked, options.grid) });
    },
  });
  return { run, history };
}

/** Evidence and ELBO (left axis) and the gap (right axis) at the tracked epochs, mean of the digits. */
export function jointTrainingFigure(history: EpochGaps[]): PlotlyFigure {
  if (!Array.isArray(history) || history.length === 0) throw new TypeError('jointTrainingFigure: history must be a non-empty array (from trainTrackingGaps)');
  const epochs = history.map((h) => h.epoch);
  const meanOf = (key: 'elbo' | 'logMarginal' | 'klToPosterior') => history.map((h) => h.gaps.mean[key]);
  return { data: [
    { x: epochs, y: meanOf('logMarginal'), type: 'scatter', mode: 'lines+markers', name: 'log p_θ(x), quadrature' },
    { x: epochs, y: meanOf('elbo'), type: 'scatter', mode: 'lines+markers', name: 'ELBO' },
    { x: epochs, y: meanOf('klToPosterior'), type: 'scatter', mode: 'lines+markers', name: 'gap = KL(q ‖ p(z|x))', yaxis: 'y2' },
  ], layout: {
    title: { text: 'Joint training: evidence, ELBO (left axis) and gap (right axis), mean of 4 held-out digits' },
    xaxis: { title: { text: 'epoch' } }, yaxis: { title: { text: 'log-density per digit (nats)' } },
    yaxis2: { title: { text: 'gap (nats)' }, overlaying: 'y', side: 'right', rangemode: 'tozero' }, height: 440,
    legend: { x: 0.45, y: 0.1 } } };
}

/** The table of joint training; its caption counts the intervals in which the gap rose. */
export function jointTrainingTable(history: EpochGaps[]): Table {
  if (!Array.isArray(history) || history.length === 0) throw new TypeError('jointTrainingTable: history must be a non-empty array (from trainTrackingGaps)');
  const gapRises = history.slice(1).filter((h, i) => h.gaps.mean.klToPosterior > history[i].gaps.mean.klToPosterior).length;
  return {
    headers: ['epoch', 'log p(x)', 'ELBO', 'gap'],
    rows: history.map((h) => [h.epoch, h.gaps.mean.logMarginal.toFixed(2), h.gaps.mean.elbo.toFixed(2), h.gaps.mean.klToPosterior.toFixed(3)]),
    caption: `Joint training, mean of 4 digits (nats); the gap rose in ${gapRises} of ${history.length - 1} intervals`,
  };
}

// ---------------------------------------------------------------------------------------------
// Only φ trained (decoder fixed)
// ---------------------------------------------------------------------------------------------

/**
 * A copy of `model` with the same decoder p_θ(x|z) and a freshly initialised encoder q_φ(z|x)
 * (weights from `random`). The caller disposes the copy.
 */
export function withFreshEncoder(model: Vae, random: Random): Vae {
  const fn = 'withFreshEncoder';
  if (!(model instanceof Vae) || model.isDisposed) throw new TypeError(`${fn}: model must be a live Vae`);
  if (!(random instanceof Random)) throw new TypeError(`${fn}: random must be a Random`);
  const fresh = new Vae(model.config, random);
  const encoderCount = fresh.encoderNetwork.variables().length;
  const weights = fresh.getWeights();
  const trained = model.getWeights();
  fresh.setWeights([...weights.slice(0, encoderCount), ...trained.slice(encoderCount)]);
  return fresh;
}

/** What is measured at one checkpoint of the encoder-only run (tracked digits, means over them). */
export interface EncoderCheckpoint {
  /** Epochs of encoder-only training done (0 = the fresh encoder). */
  epoch: number;
  /** log p_θ(x) by the trapezoid grid (quadrature2d without q) and its stated error. */
  logMarginal: number;
  logMarginalError: number;
  /** The ELBO by the training objective (engineElbo) and its standard error. */
  elbo: number;
  elboSe: number;
  /** KL(q_φ ‖ p_θ(z|x)) by cubature (log Ẑ once per digit, E_q at this checkpoint) and its error estimate. */
  kl: number;
  klError: number;
}

/** The checkpoints of an encoder-only run of `epochs` epochs: 0, 1, 2, 4, 8, 16 (those ≤ epochs) and epochs. */
export function encoderCheckpoints(epochs: number): number[] {
  checkInteger('encoderCheckpoints', 'epochs', epochs, 1);
  return [0, 1, 2, 4, 8, 16, epochs].filter((e, i, a) => e <= epochs && a.indexOf(e) === i);
}

/** Options of encoderOnlyExperiment. */
export interface EncoderOnlyOptions {
  /** Epochs of Adam on φ over `data` (θ stays fixed). */
  epochs: number;
  /** The fresh encoder's initial weights. */
  encoderRandom: Random;
  /** Seed of the training run: per epoch a fresh binarization and a permutation, then ε per batch. */
  seed: number;
  /** ε of the ELBO by the training objective at each checkpoint (elboRandom.fork() per checkpoint). */
  elboRandom: Random;
  /** The tracked digits, as a data matrix and as a tensor [count, features]. */
  tracked: DataMatrix;
  xTracked: tf.Tensor2D;
  /** The quadrature grid of log p_θ(x). */
  grid: Omit<QuadratureOptions, 'q'>;
  /**
   * log Ẑ by cubature of each tracked digit under this decoder (e.g. digitGaps(...)[i].cubature.logMarginal:
   * the same θ and digits); computed here when absent.
   */
  cubatureEvidence?: CubatureLogMarginal[];
  /** Noise draws per digit of the ELBO (default 1000, in 20 batches). */
  elboSamples?: number;
  /** Examples per Adam step and learning rate (default: those of the shared model, 128 and 1e-3). */
  batchSize?: number;
  learningRate?: number;
  /** Live training output (a reporter, e.g. display.trainingProgress(...)); default silent. */
  progress?: ProgressReporter | 'none';
}

/**
 * The encoder-only experiment: keep the decoder θ of `model`, start a fresh encoder (weights from
 * `encoderRandom`) and maximise the ELBO over φ alone (train.trainVae with parameters 'encoder'):
 *   φ ← Adam step on −(1/B) Σ_i [E_q log p_θ(x_i|z) − KL(q_φ(z|x_i) ‖ p(z))]  (one z per example).
 * With θ fixed, log p_θ(x) does not move, so ELBO(φ) = log p_θ(x) − KL(q_φ ‖ p_θ(z|x)) rises
 * exactly as the gap falls. Before training and after the epochs of encoderCheckpoints the
 * tracked digits are measured by separate routes: log p_θ(x) by the grid, the ELBO by the training
 * objective (elboSamples draws per digit from elboRandom.fork()), and KL(q ‖ p_θ(z|x)) by cubature.
 * The cubature's log Ẑ is computed once per digit (or taken from options.cubatureEvidence): θ does
 * not change (the grid's log p_θ(x), recomputed at every checkpoint, checks that). `model` itself
 * is not changed.
 */
export async function encoderOnlyExperiment(model: Vae, data: DataMatrix, options: EncoderOnlyOptions): Promise<EncoderCheckpoint[]> {
  const fn = 'encoderOnlyExperiment';
  checkObject(fn, 'options', options);
  const epochs = checkInteger(fn, 'options.epochs', options.epochs, 1);
  checkRandom(fn, 'options.elboRandom', options.elboRandom);
  const tracked = options.tracked;
  checkDataMatrix(fn, 'options.tracked', tracked);
  checkMatrix(fn, 'options.xTracked', options.xTracked, tracked.features);
  checkObject(fn, 'options.grid', options.grid);
  const elboSamples = checkInteger(fn, 'options.elboSamples', options.elboSamples ?? 1000, 40);
  const checkpoints = new Set(encoderCheckpoints(epochs));
  const fresh = withFreshEncoder(model, options.encoderRandom);
  const rows = Array.from({ length: tracked.count }, (_, i) => tracked.values.subarray(i * tracked.features, (i + 1) * tracked.features));
  const history: EncoderCheckpoint[] = [];
  const mean = (values: number[]): number => values.reduce((s, v) => s + v, 0) / values.length;
  try {
    const given = options.cubatureEvidence;
    if (given !== undefined && (!Array.isArray(given) || given.length !== tracked.count)) {
      throw new RangeError(`${fn}: options.cubatureEvidence must hold one log Ẑ per tracked digit (${tracked.count})`);
    }
    const logZ = given ?? rows.map((row) => logMarginalByCubature(fresh, row));
    const measure = (epoch: number): void => {
      const q = evaluatePerExample(fresh, tracked, { batchSize: tracked.count }, fn);
      const grids = rows.map((row) => quadrature2d(fresh, row, options.grid));
      // At most 6,000 nodes for E_q: a fresh encoder's wide q does not converge to 1e-3 within that, and its
      // stated error (≈ 0.1 nats, part of the tolerance) is far below the ELBO's SE there.
      const kls = rows.map((row, i) => klToPosteriorByCubature(fresh, row, qOfRow(q, i), { logMarginal: logZ[i], expectation: { maxEvaluations: 6000 } }));
      const elbo = engineElbo(fresh, options.xTracked, options.elboRandom.fork(), elboSamples, 20);
      history.push({ epoch, logMarginal: mean(grids.map((g) => g.logMarginal)), logMarginalError: mean(grids.map((g) => g.errorEstimate.total)),
        elbo: elbo.mean, elboSe: elbo.standardError, kl: mean(kls.map((k) => k.kl)), klError: mean(kls.map((k) => k.errorEstimate)) });
    };
    measure(0);
    await trainVae({
      model: fresh, data, parameters: 'encoder', epochs, seed: options.seed,
      batchSize: options.batchSize ?? DIGITS_2D_MODEL.batchSize, learningRate: options.learningRate ?? DIGITS_2D_MODEL.learningRate,
      evaluateInitial: false, evalCount: 500, progress: options.progress ?? 'none',
      onEpoch: (metrics) => { if (checkpoints.has(metrics.epoch)) measure(metrics.epoch); },
    });
  } finally {
    fresh.dispose();
  }
  return history;
}

/** log p_θ(x) (grid), the ELBO (training objective, ± 2 SE) and log p_θ(x) − KL (cubature) at the checkpoints of the encoder-only run. */
export function encoderOnlyFigure(history: EncoderCheckpoint[]): PlotlyFigure {
  if (!Array.isArray(history) || history.length === 0) throw new TypeError('encoderOnlyFigure: history must be a non-empty array (from encoderOnlyExperiment)');
  const epochs = history.map((h) => h.epoch);
  return { data: [
    { x: epochs, y: history.map((h) => h.logMarginal), type: 'scatter', mode: 'lines+markers', name: 'log p_θ(x) (grid)' },
    { x: epochs, y: history.map((h) => h.elbo), type: 'scatter', mode: 'lines+markers', name: 'ELBO (training objective, sampled)',
      error_y: { type: 'data', array: history.map((h) => 2 * h.elboSe), visible: true } },
    { x: epochs, y: history.map((h) => h.logMarginal - h.kl), type: 'scatter', mode: 'markers',
      marker: { symbol: 'x', size: 10 }, name: 'log p_θ(x) (grid) − KL(q ‖ p(z|x)) (cubature)' },
  ], layout: {
    title: { text: 'Encoder only (θ fixed): the ELBO climbs to log p(x) as the gap to the true posterior shrinks' },
    xaxis: { title: { text: 'epochs of Adam on φ (8,000 digits, 128 a step)' } }, yaxis: { title: { text: 'nats per digit (mean of 4 held-out digits)' } }, height: 440 } };
}

/** The table of the encoder-only run: log p(x), the ELBO, the KL and ELBO + KL per checkpoint. */
export function encoderOnlyTable(history: EncoderCheckpoint[]): Table {
  if (!Array.isArray(history) || history.length === 0) throw new TypeError('encoderOnlyTable: history must be a non-empty array (from encoderOnlyExperiment)');
  return {
    headers: ['epoch', 'log p(x), grid', 'ELBO, training objective ± SE', 'KL(q ‖ p(z|x)), cubature', 'ELBO + KL'],
    rows: history.map((h) => [h.epoch, h.logMarginal.toFixed(4), `${h.elbo.toFixed(3)} ± ${h.elboSe.toFixed(3)}`,
      h.kl.toFixed(3), (h.elbo + h.kl).toFixed(3)]),
    caption: 'Encoder-only optimisation, mean of 4 digits (nats)',
  };
}

/** The allowed |ELBO + KL − log p_θ(x)| at one checkpoint: 4 SE + both quadrature errors + float32. */
function identityTolerance(h: EncoderCheckpoint): number {
  return 4 * h.elboSe + h.logMarginalError + h.klError + FLOAT32_RELATIVE * Math.abs(h.logMarginal);
}

/**
 * The largest, over checkpoints, of |ELBO (training objective) + KL (cubature) − log p_θ(x) (grid)|
 * divided by the allowed difference 4 SE + the grid's and the cubature's error estimates + float32.
 */
export function largestIdentityExcess(history: EncoderCheckpoint[]): number {
  if (!Array.isArray(history) || history.length === 0) throw new TypeError('largestIdentityExcess: history must be a non-empty array (from encoderOnlyExperiment)');
  return Math.max(...history.map((h) => Math.abs(h.elbo + h.kl - h.logMarginal) / identityTolerance(h)));
}

/**
 * From the first to the last checkpoint: the ELBO's gain (two independent sampled estimates,
 * SE = √(SE₁² + SE₂²)), the KL's fall (cubature; its log Ẑ is the same at both ends and cancels,
 * so the fall is the gain of the cubature's E_q) and the cubature errors of both ends.
 */
export function encoderOnlyTrade(history: EncoderCheckpoint[]): { elboGain: { mean: number; standardError: number }; gapFall: number; gapFallError: number } {
  if (!Array.isArray(history) || history.length < 2) throw new TypeError('encoderOnlyTrade: history must hold two checkpoints at least (from encoderOnlyExperiment)');
  const start = history[0], end = history[history.length - 1];
  return {
    elboGain: independentDifference({ mean: end.elbo, standardError: end.elboSe }, { mean: start.elbo, standardError: start.elboSe }),
    gapFall: start.kl - end.kl,
    gapFallError: start.klError + end.klError + FLOAT32_RELATIVE * (Math.abs(start.elbo) + Math.abs(end.elbo)),
  };
}

// ---------------------------------------------------------------------------------------------
// Closing the gap with more samples: the importance-weighted bound
// ---------------------------------------------------------------------------------------------

/** L_k of a batch of examples for one k, from one pool of draws (see importanceWeightedCurve). */
export interface ImportanceWeightedPoint {
  k: number;
  /** Disjoint groups of k draws the pool holds: the replicates behind the mean. */
  replicates: number;
  /** Batch mean over examples of L_k (nats). */
  mean: number;
  /** Its standard error: √(Σ_i SE_i²) / n, SE_i over each example's replicates. */
  standardError: number;
  /** Per example: the mean over replicates and its SE. */
  perExample: Float64Array;
  perExampleStandardError: Float64Array;
}

/**
 * The importance-weighted bound L_k = E[log (1/k) Σ_{s≤k} p_θ(x, z_s)/q_φ(z_s|x)] for every k
 * in `ks`, from ONE pool of `pool` draws z ~ q per example: for each k the pool is cut into
 * ⌊pool/k⌋ disjoint groups of k consecutive draws, each an independent draw of the inner
 * log-mean-exp, so L_k and its standard error come from those replicates (needs ⌊pool/k⌋ ≥ 2).
 * Estimates for different k share draws (they are correlated, not independent).
 */
export function importanceWeightedCurve(
  encoder: InferenceModel | DiagonalGaussian, decoder: GenerativeModel, x: tf.Tensor2D,
  random: Random, ks: number[], pool: number,
): ImportanceWeightedPoint[] {
  const fn = 'importanceWeightedCurve';
  if (!Array.isArray(ks) || ks.length === 0) throw new TypeError(`${fn}: ks must be a non-empty array of integers >= 1`);
  if (!Number.isInteger(pool) || pool < 2) throw new RangeError(`${fn}: pool must be an integer >= 2, got ${pool}`);
  for (const k of ks) {
    if (!Number.isInteger(k) || k < 1 || Math.floor(pool / k) < 2) {
      throw new RangeError(`${fn}: every k must be an integer in [1, pool/2 = ${Math.floor(pool / 2)}] (two replicates at least), got ${k}`);
    }
  }
  const samples = sampleJoint(fn, encoder, decoder, x, random, pool);
  const logWeights = logWeightsOf(samples);
  const n = samples.n;
  return ks.map((k) => {
    const replicates = Math.floor(pool / k);
    const perExample = new Float64Array(n);
    const perExampleStandardError = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const values = new Float64Array(replicates);
      for (let r = 0; r < replicates; r++) values[r] = logMeanExp(logWeights, i * pool + r * k, k);
      const e = meanAndStandardErrorOf(values, 0, replicates);
      perExample[i] = e.mean;
      perExampleStandardError[i] = e.standardError;
    }
    const batch = meanOfIndependentEstimates(perExample, perExampleStandardError);
    return { k, replicates, mean: batch.mean, standardError: batch.standardError, perExample, perExampleStandardError };
  });
}

function checkCurve(fn: string, curve: unknown): asserts curve is ImportanceWeightedPoint[] {
  if (!Array.isArray(curve) || curve.length < 2) throw new TypeError(`${fn}: curve must hold two points at least (from importanceWeightedCurve)`);
}

/** L_k against k (log axis, ± 2 SE) with log p_θ(x) by quadrature and the ELBO by cubature as lines. */
export function importanceWeightedFigure(curve: ImportanceWeightedPoint[], logEvidence: number, elbo: number): PlotlyFigure {
  const fn = 'importanceWeightedFigure';
  checkCurve(fn, curve);
  checkNumber(fn, 'logEvidence', logEvidence);
  checkNumber(fn, 'elbo', elbo);
  const ks = curve.map((p) => p.k);
  const ends = [ks[0], ks[ks.length - 1]];
  return { data: [
    { x: ks, y: curve.map((p) => p.mean), type: 'scatter', mode: 'lines+markers', name: 'L_k (mean of 4 digits)',
      error_y: { type: 'data', array: curve.map((p) => 2 * p.standardError), visible: true } },
    { x: ends, y: [logEvidence, logEvidence], type: 'scatter', mode: 'lines', line: { dash: 'dash' }, name: 'log p_θ(x), quadrature' },
    { x: ends, y: [elbo, elbo], type: 'scatter', mode: 'lines', line: { dash: 'dot' }, name: 'ELBO (cubature)' },
  ], layout: {
    title: { text: 'The importance-weighted bound L_k closes the gap as k grows' },
    xaxis: { title: { text: 'k, codes per estimate (log scale)' }, type: 'log' },
    yaxis: { title: { text: 'nats per digit (mean of 4 held-out digits)' } }, height: 420 } };
}

/**
 * Whether L_k' ≥ L_k holds for ANY pool of draws: when k' is a multiple of k and both cover the
 * same draws, each group of k' is the union of k'/k groups of k, and log of a mean of means is at
 * least the mean of their logs (Jensen on the sample). Such steps cannot fail, so they are shown,
 * not checked.
 */
export function stepHoldsForAnySample(a: ImportanceWeightedPoint, b: ImportanceWeightedPoint): boolean {
  return b.k % a.k === 0 && a.k * a.replicates === b.k * b.replicates;
}

/**
 * The worst step of the curve among the consecutive k < k' whose groups are NOT nested (see
 * stepHoldsForAnySample): min of (L_k' − L_k) / √(SE_k² + SE_k'²), negative when L_k falls
 * (the two share draws, so the combined SE over-states the difference's), and the steps counted.
 */
export function worstStepInStandardErrors(curve: ImportanceWeightedPoint[]): { worst: number; checked: number; nested: number } {
  checkCurve('worstStepInStandardErrors', curve);
  const steps = curve.slice(1).map((p, i) => ({ a: curve[i], b: p }));
  const open = steps.filter(({ a, b }) => !stepHoldsForAnySample(a, b));
  if (open.length === 0) throw new RangeError('worstStepInStandardErrors: every step of the curve is nested (true for any sample): nothing to check');
  return {
    worst: Math.min(...open.map(({ a, b }) => (b.mean - a.mean) / Math.hypot(b.standardError, a.standardError))),
    checked: open.length, nested: steps.length - open.length,
  };
}

/**
 * How much of the gap the largest k closes, against an INDEPENDENT estimate of the ELBO (e.g.
 * engineElbo: its own draws; L₁ of the same pool would sit below L_K for any sample): L_K − ELBO
 * against 4 combined standard errors, as the claim's measured text, criterion and outcome.
 */
export function gapClosedByBound(curve: ImportanceWeightedPoint[], logEvidence: number, elbo: { mean: number; standardError: number }): { measured: string; criterion: string; holds: boolean } {
  const fn = 'gapClosedByBound';
  checkCurve(fn, curve);
  checkNumber(fn, 'logEvidence', logEvidence);
  checkObject(fn, 'elbo', elbo);
  const top = curve[curve.length - 1];
  const gain = independentDifference(top, elbo);
  const closed = gain.mean / (logEvidence - elbo.mean);
  const top_ = `L${subscript(top.k)}`;
  return {
    measured: `${top_} − ELBO = ${gain.mean.toFixed(3)} nats, ${(100 * closed).toFixed(0)}% of the gap log p(x) − ELBO = ${(logEvidence - elbo.mean).toFixed(3)}`,
    criterion: `${top_} − ELBO > 4·SE = ${(4 * gain.standardError).toFixed(3)}`,
    holds: gain.mean > 4 * gain.standardError,
  };
}

// ---------------------------------------------------------------------------------------------
// The claims of the notebook
// ---------------------------------------------------------------------------------------------

const LINEAR = '(a) Exactly: the linear-Gaussian model';
const DIGITS = 'The true posterior and the encoder, digit by digit';
const JOINT = 'Both θ and φ trained';
const PHI = 'Only φ trained';
const BOUND = 'Closing the gap with more samples';

export const claimSpecs = {
  gapEqualsKlExact: { id: 'gap-equals-kl-exact', section: '§3', where: LINEAR,
    statement: 'log p(x) − ELBO equals KL(q ‖ true posterior), closed forms, five encoder distributions (largest difference)',
    routes: 'A: log p(x) by Woodbury minus the closed-form ELBO of q / B: the closed-form KL between q and the posterior N(M⁻¹Wᵀ(x − b), σ²M⁻¹)' },
  gapEqualsKlSampled: { id: 'gap-equals-kl-sampled', section: '§3', where: LINEAR,
    statement: 'the gap also equals the KL estimated by sampling z ~ q (20,000 draws each; largest deviation in SE; at q = posterior, where the SE is 0, to 1e-9)',
    routes: 'A: log p(x) by Woodbury minus the closed-form ELBO / B: the mean of log q(z) − log N(z; posterior) over 20,000 draws z ~ q' },
  gapNonnegativeLinear: { id: 'gap-nonnegative-linear', section: '§3', where: LINEAR,
    statement: 'the gap is ≥ 0 for every encoder distribution tried',
    routes: 'A: log p(x) by Woodbury minus the closed-form ELBO, smallest over the five q / B: the bound 0' },
  gapZeroAtPosterior: { id: 'gap-zero-at-posterior', section: '§3', where: LINEAR,
    statement: 'when q is the true posterior the gap is zero: the ELBO equals log p(x)',
    routes: 'A: log p(x) by Woodbury / B: the closed-form ELBO (reconstruction − KL to the prior) of q = the closed-form posterior' },
  gapEqualsKlVae: { id: 'gap-equals-kl-vae', section: '§3', where: DIGITS,
    statement: 'trained VAE: log p(x) − ELBO equals KL(q_φ(z|x) ‖ p_θ(z|x)) for each digit (largest |difference| / allowed)',
    routes: 'A: log p(x) by the trapezoid grid minus the ELBO by the training objective (4,000 noise draws) / B: E_q[log q − log p(x,z)] by adaptive cubature under q plus log Ẑ by adaptive cubature over the prior box' },
  vaeEvidenceBySampling: { id: 'vae-evidence-by-sampling', section: '§3', where: DIGITS,
    statement: 'trained VAE: log p_θ(x) by the grid agrees with importance sampling from a wide proposal, each digit (largest |difference| / allowed)',
    routes: 'A: log p(x) by the trapezoid grid / B: log of the mean weight p(x|z)p(z)/r(z), 5,000 draws z ~ r = 0.9 N(grid posterior mean, 4 × its covariance) + 0.1 N(0, I)' },
  gapNonnegativeVae: { id: 'gap-nonnegative-vae', section: '§3', where: DIGITS,
    statement: 'trained VAE: the gap log p(x) − ELBO is ≥ 0 for every digit shown (within 4 SE + grid error)',
    routes: 'A: log p(x) by the trapezoid grid minus the ELBO by the training objective, per digit / B: the bound 0' },
  trainingRaisesElbo: { id: 'training-raises-elbo', section: '§3', where: JOINT,
    statement: 'maximising the ELBO raised it on held-out digits (epoch 0 → last, mean of 4, by more than 4× the quadrature error)',
    routes: 'A: the ELBO by the grid under q after the last epoch / B: the same at epoch 0 (the same initial weights training starts from)' },
  trainingRaisesEvidence: { id: 'training-raises-evidence', section: '§3', where: JOINT,
    statement: 'implication 1: maximising the ELBO raised log p_θ(x) (quadrature, epoch 0 → last, mean of 4)',
    routes: 'A: log p(x) by the trapezoid grid after the last epoch / B: the same at epoch 0' },
  jointGainIsEvidence: { id: 'joint-gain-is-evidence', section: '§3', where: JOINT,
    statement: 'with θ moving, most of what the ELBO gains is evidence, not a smaller gap: Δ log p(x) ≥ ½ Δ ELBO',
    routes: 'A: Δ log p(x) by the posterior grid, epoch 0 → last / B: ½ Δ ELBO by the grid under q (a separate grid on q\'s box)' },
  phiOnlyEvidenceFixed: { id: 'phi-only-evidence-fixed', section: '§3', where: PHI,
    statement: 'with θ fixed, log p_θ(x) does not move while the encoder trains (spread over checkpoints)',
    routes: 'A: log p(x) by the trapezoid grid at each checkpoint, recomputed from the live model / B: the same at the other checkpoints (moves only if training touched θ)' },
  phiOnlyGapFalls: { id: 'phi-only-gap-falls', section: '§3', where: PHI,
    statement: 'implication 2: maximising the ELBO over φ pushes q toward the true posterior: the gap at least halves',
    routes: 'A: KL(q ‖ p(z|x)) by cubature at the last checkpoint / B: ½ × the same at the first' },
  phiOnlyIdentityEachCheckpoint: { id: 'phi-only-identity-each-checkpoint', section: '§3', where: PHI,
    statement: 'at every checkpoint, ELBO + KL(q ‖ p_θ(z|x)) = log p_θ(x) (largest |difference| / allowed)',
    routes: 'A: the ELBO by the training objective (1,000 noise draws per digit) plus the KL by cubature / B: log p(x) by the trapezoid grid' },
  phiOnlyExactTrade: { id: 'phi-only-exact-trade', section: '§3', where: PHI,
    statement: 'with θ fixed, the ELBO rises by exactly what the gap falls (first → last checkpoint)',
    routes: 'A: the gain of the ELBO by the training objective (independent draws at each end) / B: the fall of the KL by cubature (its log Ẑ is the same at both ends and cancels: the fall of E_q[log q − log p(x,z)] by cubature)' },
  iwaeNondecreasing: { id: 'iwae-nondecreasing', section: '§3', where: BOUND,
    statement: 'L_k does not decrease with k (mean of 4 digits; worst step L_k\' − L_k in combined SE, over the steps whose groups are not nested)',
    routes: 'A: L_k\' from the pool cut into groups of k\' / B: L_k from the same pool cut into groups of k (k\' not a multiple of k)' },
  iwaeBelowEvidence: { id: 'iwae-below-evidence', section: '§3', where: BOUND,
    statement: 'L₅₀₀₀ stays below log p_θ(x) from quadrature',
    routes: 'A: L₅₀₀₀ from 4 groups of 5,000 draws z ~ q per digit / B: log p(x) by the trapezoid grid' },
  iwaeOneIsElbo: { id: 'iwae-one-is-elbo', section: '§3', where: BOUND,
    statement: 'L₁ is the ELBO (sampled L₁ vs the ELBO by cubature)',
    routes: 'A: L₁, the mean log-weight of 20,000 draws z ~ q per digit / B: E_q[log p(x,z) − log q] by adaptive cubature' },
  iwaeClosesGap: { id: 'iwae-closes-gap', section: '§3', where: BOUND,
    statement: 'more samples close part of the gap: L₅₀₀₀ sits above the ELBO, beyond 4 SE',
    routes: 'A: L₅₀₀₀ from the pool of 20,000 draws per digit / B: the ELBO by the training objective (its own 4,000 draws per digit)' },
} satisfies Record<string, ClaimSpec>;
