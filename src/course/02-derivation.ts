/**
 * Course module of notebook 02-derivation: the seven lines of the ELBO derivation as numbers,
 *   1  log p_θ(x) = log ∫ p_θ(x, z) dz
 *   2             = log ∫ q_φ(z|x) p_θ(x, z)/q_φ(z|x) dz
 *   3             = log E_q[p_θ(x, z)/q_φ(z|x)]
 *   4             ≥ E_q[log p_θ(x, z)/q_φ(z|x)]                       (Jensen)
 *   5             = E_q[log p_θ(x, z) − log q_φ(z|x)]
 *   6             = E_q[log p_θ(x|z) + log p(z) − log q_φ(z|x)]
 *   7             = E_q[log p_θ(x|z)] − KL(q_φ(z|x) ‖ p(z)),
 * evaluated by src/exact/derivation.ts; here is what the notebook adds around them: the q it
 * uses, the tables and the chart of the lines, why line 1 is intractable for a large latent (a
 * counted and timed grid), Jensen's inequality on importance weights as q leaves the posterior,
 * the relations of the chain as claims, and line 7 against the training code's estimate.
 * (Uses the library; the library never imports it.)
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../random';
import type { Estimate } from '../stats/estimate';
import { meanAndStandardErrorOf } from '../stats/index';
import type { ElboEstimate, GenerativeModel, InferenceModel } from '../objectives/types';
import { checkGenerativeModel } from '../objectives/sampleJoint';
import { logMeanExp, logMeanExpStandardError } from '../objectives/monteCarlo';
import { estimateElbo } from '../objectives/elbo';
import { LinearGaussianModel } from '../exact/linearGaussian';
import type { GaussianPosterior } from '../exact/linearGaussian';
import { DiagonalGaussianParameters, DiagonalGaussianLike, toVector } from '../exact/inputs';
import { ChainCheck, derivationSteps, DerivationOptions, DerivationResult, DerivationStep, effectiveSampleSize } from '../exact/derivation';
import type { ImageSet } from '../data/matrix';
import { Vae } from '../models/vae';
import type { PlotlyFigure } from '../display/plotly';
import { Cell, formatNumber } from '../display/table';
import type { ClaimSpec } from '../display/claims';
import {
  checkFiniteArray, checkInteger, checkNonEmptyString, checkNumber, checkObject, checkRandom,
} from '../checks';
import { DIGITS_2D_MODEL } from './digits2d';

/** The shared 2-D-latent VAE on digits (src/course/digits2d.ts), as this notebook uses it. */
export { trainDigits2d, digits2dHeldOut, DIGITS_2D_MODEL } from './digits2d';

const LOG_2PI = Math.log(2 * Math.PI);

/** A table as the notebook shows it: `display.showTable(t.headers, t.rows, t.caption)`. */
export interface Table {
  headers: string[];
  rows: Cell[][];
  caption: string;
}

// ---------------------------------------------------------------------------------------------
// The claims of the notebook (ids, sections, statements; what is compared stays in the cells).

const WHERE = {
  jensen: 'Jensen\'s inequality on importance weights',
  relations: 'Checking every relation of the derivation',
  engine: 'The last line is what training optimises',
};

/**
 * The claim specs of notebook 02, by name, each with the two routes it compares (the relations
 * of the chain: derivationRelationClaims, routes from the lines' own). Not claims, but shown as
 * illustrations, because they hold for any numbers whatever src/ computes: the grid count of
 * step 1 (arithmetic on grid sizes) and Jensen's gap of a sample (arithmetic ≥ geometric mean).
 */
export const claimSpecs = {
  jensenDropNonnegative: {
    id: 'jensen-drop-nonnegative', section: '§2 step 4', where: WHERE.jensen,
    statement: 'log E_q[w] ≥ E_q[log w] for every q along both paths (exact values)',
    routes: 'A: log E_q[w] = log p(x) by Woodbury / B: E_q[log w] = the closed-form ELBO(q) at each q',
  },
  jensenZeroAtPosterior: {
    id: 'jensen-zero-at-posterior', section: '§2 step 4', where: WHERE.jensen,
    statement: 'when q is the exact posterior the two sides are equal (drop 0)',
    routes: 'A: log p(x) by Woodbury / B: the closed-form ELBO of q = the posterior',
  },
  jensenSampleZeroAtPosterior: {
    id: 'jensen-sample-zero-at-posterior', section: '§2 step 4', where: WHERE.jensen,
    statement: 'when q is the exact posterior every weight equals p(x), so the sampled gap is 0 too',
    routes: 'A: log w_s = log p(x|z_s) + log p(z_s) − log q(z_s) at every draw (float64 densities) / B: log p(x) by Woodbury',
  },
  jensenDropGrows: {
    id: 'jensen-drop-grows', section: '§2 step 4', where: WHERE.jensen,
    statement: 'the drop grows as q moves away from the posterior (mean shifted, variance scaled up or down)',
    routes: 'A: the drop log p(x) − ELBO(q) (Woodbury, closed-form ELBO) at each q / B: the same at the q one step closer to the posterior',
  },
  jensenDropClosedForm: {
    id: 'jensen-drop-closed-form', section: '§2 step 4', where: WHERE.jensen,
    statement: 'the drop log p(x) − ELBO(q) equals ½Σ(r + δ² − 1 − log r), computed independently',
    routes: 'A: log p(x) by Woodbury − the closed-form ELBO(q) / B: ½Σ_j(r + δ² − 1 − log r) from the two shifts alone',
  },
  jensenSampledElbo: {
    id: 'jensen-sampled-elbo', section: '§2 step 4', where: WHERE.jensen,
    statement: 'the sample mean of log w estimates E_q[log w] = ELBO(q) at every q (two-sided, 5 SE)',
    routes: 'A: mean of S sampled log weights (draws z ~ q) / B: the closed-form ELBO(q)',
  },
  jensenSampledLogMean: {
    id: 'jensen-sampled-log-mean', section: '§2 step 3', where: WHERE.jensen,
    statement: 'log of the sample mean of w estimates log E_q[w] = log p(x), two-sided within 5 exact SE after its exact −V/(2S) bias, at every q whose weights have a finite third moment (σ²/s² > ⅔) and relative variance V ≤ 9 (effective sample size ≥ S/10)',
    routes: 'A: log (1/S) Σ w_s over S draws z ~ q / B: log p(x) by Woodbury, with SE √(V/S) and V = E_q[w²]/p(x)² − 1 in closed form',
  },
  monteCarloLines4To7: {
    id: 'monte-carlo-lines-4-7', section: '§2', where: WHERE.relations,
    statement: 'sampled lines 4–7 estimate the quadrature values (within 4 SE + quadrature error)',
    routes: "A: sample means over the draws z_s ~ q (lines 4–7) / B: the quadrature column's lines 4–7 (q's grid, line 5's grid in q's standardised coordinates, closed-form KL)",
  },
  monteCarloLine3: {
    id: 'monte-carlo-line-3', section: '§2 step 3', where: WHERE.relations,
    statement: 'the sampled log-mean weight (line 3) estimates log p(x): after adding back its bias SE²/2, within 4 SE plus the quadrature error on either side when the draws suffice (S ≥ e^{KL(p(z|x) ‖ q) + 4}), and never above it beyond that tolerance',
    routes: "A: log (1/S) Σ p/q over the draws z_s ~ q (importance sampling) / B: log p(x) on the posterior's grid (quadrature line 1)",
  },
  lineSevenEqualsEngine: {
    id: 'line7-equals-engine', section: '§2 step 7', where: WHERE.engine,
    statement: 'line 7 equals reconstruction − KL as the training code estimates it (within 4 SE), for both models',
    routes: 'A: line 7 by src/exact (closed form; grid E_q[log p(x|z)] − float64 KL) / B: objectives.estimateElbo (reparameterised draws, float32 analytic KL)',
  },
};

// ---------------------------------------------------------------------------------------------
// The two models: the linear-Gaussian q, the held-out digits.

/** A q(z|x) as plain arrays: N(mean, diag exp(logVariance)). */
export interface DiagonalQ {
  mean: number[];
  logVariance: number[];
}

/**
 * A q described relative to a diagonal posterior N(m, diag s²):
 *   μ_j = m_j + meanShift · s_j,   log σ_j² = log s_j² + logVarianceShift,
 * i.e. the mean moved by `meanShift` posterior standard deviations in every coordinate and the
 * variance scaled by exp(logVarianceShift).
 */
export function shiftedPosterior(
  posterior: Pick<GaussianPosterior, 'mean' | 'logVariance'>, meanShift: number, logVarianceShift: number,
): DiagonalQ {
  const fn = 'shiftedPosterior';
  checkObject(fn, 'posterior', posterior);
  const mean = checkFiniteArray(fn, 'posterior.mean', posterior.mean);
  const logVariance = checkFiniteArray(fn, 'posterior.logVariance', posterior.logVariance, mean.length);
  checkNumber(fn, 'meanShift', meanShift);
  checkNumber(fn, 'logVarianceShift', logVarianceShift);
  return {
    mean: Array.from(mean, (m, j) => m + meanShift * Math.exp(0.5 * logVariance[j])),
    logVariance: Array.from(logVariance, (lv) => lv + logVarianceShift),
  };
}

/** Latent coordinate names z₁, z₂, … */
function latentName(j: number): string {
  return `z${String(j + 1).replace(/\d/g, (d) => '₀₁₂₃₄₅₆₇₈₉'[Number(d)])}`;
}

/** The exact posterior beside the q of the derivation: mean and log σ² per latent coordinate. */
export function posteriorVersusQTable(posterior: GaussianPosterior, q: DiagonalQ): Table {
  const fn = 'posteriorVersusQTable';
  checkObject(fn, 'posterior', posterior);
  checkObject(fn, 'q', q);
  const l = checkFiniteArray(fn, 'posterior.mean', posterior.mean).length;
  checkFiniteArray(fn, 'q.mean', q.mean, l);
  checkFiniteArray(fn, 'q.logVariance', q.logVariance, l);
  const row = (name: string, values: ArrayLike<number>): Cell[] => [name, ...Array.from(values)];
  return {
    headers: ['', ...Array.from({ length: l }, (_, j) => latentName(j))],
    rows: [
      row('posterior mean', posterior.mean), row('posterior log σ²', posterior.logVariance),
      row('q mean', q.mean), row('q log σ²', q.logVariance),
    ],
    caption: `Linear-Gaussian model: exact posterior vs the q used in the derivation (max |correlation| of the posterior: ${formatNumber(posterior.maxAbsCorrelation)})`,
  };
}

/** Digit `index` of a set of images, as one row of pixel values. */
export function digitRow(digits: ImageSet, index: number): Float32Array {
  const fn = 'digitRow';
  checkObject(fn, 'digits', digits);
  checkInteger(fn, 'index', index, 0, digits.count - 1);
  return digits.values.slice(index * digits.features, (index + 1) * digits.features);
}

// ---------------------------------------------------------------------------------------------
// The seven lines: tables and the chart of the chain.

/** One column of results: a model, how it was computed, and its seven lines. */
export interface NamedDerivation {
  name: string;
  result: DerivationResult;
}

function checkNamed(fn: string, series: readonly NamedDerivation[]): void {
  if (!Array.isArray(series) || series.length < 1) throw new TypeError(`${fn}: series must be a non-empty array of {name, result}`);
  series.forEach((s, i) => {
    if (typeof s?.name !== 'string' || !Array.isArray(s?.result?.steps) || s.result.steps.length !== 7) {
      throw new TypeError(`${fn}: series[${i}] must be {name: string, result: DerivationResult with 7 steps}`);
    }
  });
}

/**
 * The uncertainty of one line as text: "± 0.012 (4 SE)" for Monte Carlo, "error ≈ 2e-8 (stated)"
 * for quadrature, "exact (float64)" for closed forms.
 */
export function stepUncertainty(step: DerivationStep, sigmas = 4): string {
  if (step.method === 'monteCarlo') return `± ${(sigmas * step.standardError).toPrecision(2)} (${sigmas} SE)`;
  if (step.method === 'quadrature') return `error ≈ ${step.errorEstimate.toPrecision(2)} (stated)`;
  return 'exact (float64)';
}

/** Table rows [model, value (nats), uncertainty, how computed] for line `step` of each series. */
export function derivationStepRows(step: number, series: readonly NamedDerivation[]): Cell[][] {
  checkInteger('derivationStepRows', 'step', step, 1, 7);
  checkNamed('derivationStepRows', series);
  return series.map(({ name, result }) => {
    const s = result.steps[step - 1];
    return [name, s.value, stepUncertainty(s), s.route];
  });
}

/** The table of line `step` of the derivation, one row per model (derivationStepRows). */
export function derivationStepTable(step: number, series: readonly NamedDerivation[]): Table {
  return {
    headers: ['model', 'value (nats)', 'uncertainty', 'how this line is computed'],
    rows: derivationStepRows(step, series),
    caption: `Line ${step}`,
  };
}

/**
 * Line 7 of a result term by term, as TeX:
 *   E_q[log p_θ(x|z)] − KL(q_φ(z|x) ‖ p(z)) = line 7 ≤ log p_θ(x) = line 1.
 */
export function lineSevenMath(result: DerivationResult, digitLabel: number | string): string {
  checkNamed('lineSevenMath', [{ name: 'result', result }]);
  const { reconstruction, klToPrior } = result.terms;
  return `\\underbrace{${formatNumber(reconstruction.value)}}_{\\text{reconstruction}} - \\underbrace{${formatNumber(klToPrior.value)}}_{\\mathrm{KL}(q_\\phi(z|x) \\| p(z))} = ${formatNumber(result.steps[6].value)}\\ \\text{nats} \\;\\le\\; \\log p_\\theta(x) = ${formatNumber(result.steps[0].value)}\\ \\text{nats (digit ${digitLabel})}`;
}

/**
 * A chart of the chain: one panel per model (each on its own scale, in nats), the seven lines as
 * points joined step by step, error bars of `sigmas` SE (Monte Carlo) or the stated quadrature
 * error, and the Jensen drop between lines 3 and 4 marked with its size.
 */
export function derivationChainFigure(series: readonly NamedDerivation[], title: string, sigmas = 4): PlotlyFigure {
  checkNamed('derivationChainFigure', series);
  const steps = [1, 2, 3, 4, 5, 6, 7];
  const layout: Record<string, unknown> = {
    title: { text: title },
    grid: { rows: 1, columns: series.length, pattern: 'independent' },
    height: 430,
    showlegend: false,
    annotations: [] as Record<string, unknown>[],
  };
  const data = series.map(({ name, result }, i) => {
    const suffix = i === 0 ? '' : String(i + 1);
    layout[`xaxis${suffix}`] = { title: { text: `line of the derivation (${name})` }, tickvals: steps, dtick: 1 };
    layout[`yaxis${suffix}`] = { title: { text: 'value (nats)' } };
    const drop = result.steps[2].value - result.steps[3].value;
    (layout.annotations as Record<string, unknown>[]).push({
      x: 4.15, y: 0.5 * (result.steps[2].value + result.steps[3].value), xref: `x${suffix}`, yref: `y${suffix}`,
      text: `Jensen drop<br>${drop.toPrecision(3)} nats`, showarrow: false, xanchor: 'left',
    });
    return {
      type: 'scatter', mode: 'lines+markers', name,
      x: steps, y: result.steps.map((s) => s.value),
      error_y: {
        type: 'data', visible: true,
        array: result.steps.map((s) => (s.method === 'monteCarlo' ? sigmas * s.standardError : s.errorEstimate)),
      },
      text: result.steps.map((s) => s.route),
      xaxis: `x${suffix}`, yaxis: `y${suffix}`,
    };
  });
  return { data, layout };
}

// ---------------------------------------------------------------------------------------------
// Step 1 is intractable: decoder evaluations counted and timed.

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

/** The seven lines of a derivation, with the decoder evaluations they took and the wall-clock time. */
export interface CountedDerivation {
  result: DerivationResult;
  /** Decoder evaluations p_θ(x|z), one per latent row. */
  evaluations: number;
  /** Seconds the whole computation took (with its bookkeeping). */
  seconds: number;
}

/**
 * derivationSteps(decoder, x, q, options) with the decoder wrapped in a counter and the call timed:
 * for a 2-D latent (quadrature) the count is the grid and Gauss–Hermite nodes the seven lines need.
 */
export function countedDerivationSteps(
  decoder: GenerativeModel, x: ArrayLike<number>, q: DiagonalGaussianLike | InferenceModel, options: DerivationOptions = {},
): CountedDerivation {
  const counter = countingDecoder(decoder);
  const start = process.hrtime.bigint();
  const result = derivationSteps(counter.decoder, x, q, options);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { result, evaluations: counter.evaluations(), seconds };
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

/**
 * The decoder's cost per evaluation for the trained 2-D decoder and for an untrained one of the
 * same architecture with a `largeLatentSize`-D input (the cost does not depend on the weights),
 * both timed on x with `random` (the untrained weights drawn from random.fork()).
 */
export function decoderTimings(vae: GenerativeModel, x: ArrayLike<number>, random: Random, largeLatentSize = 20): DecoderTiming[] {
  const fn = 'decoderTimings';
  const xv = checkFiniteArray(fn, 'x', x);
  checkRandom(fn, 'random', random);
  checkInteger(fn, 'largeLatentSize', largeLatentSize, 1);
  const trained = timeDecoderEvaluations(vae, xv, random);
  const { hiddenSizes, likelihood } = DIGITS_2D_MODEL;
  const large = new Vae({ inputSize: xv.length, latentSize: largeLatentSize, hiddenSizes, likelihood }, random.fork());
  try {
    return [trained, timeDecoderEvaluations(large, xv, random)];
  } finally {
    large.dispose();
  }
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

/** The cost of a grid over a latentSize-D latent: n^d evaluations at the given seconds per evaluation. */
export function gridCost(latentSize: number, pointsPerAxis: number, secondsPerEvaluation: number): GridCost {
  const fn = 'gridCost';
  const evaluations = gridPointCount(pointsPerAxis, latentSize);
  const perEvaluation = checkNumber(fn, 'secondsPerEvaluation', secondsPerEvaluation, 0);
  const seconds = evaluations * perEvaluation;
  return { latentSize, pointsPerAxis, evaluations, secondsPerEvaluation: perEvaluation, seconds, readable: formatDuration(seconds) };
}

/**
 * gridCost for each latent size d, at the time per evaluation measured for a d-D decoder when
 * `timings` has one, otherwise at that of timings[0] (the trained decoder's).
 */
export function gridCosts(latentSizes: readonly number[], pointsPerAxis: number, timings: readonly DecoderTiming[]): GridCost[] {
  const fn = 'gridCosts';
  if (!Array.isArray(latentSizes) || latentSizes.length < 1) throw new TypeError(`${fn}: latentSizes must be a non-empty array of integers`);
  if (!Array.isArray(timings) || timings.length < 1) throw new TypeError(`${fn}: timings must be a non-empty array of DecoderTiming`);
  return latentSizes.map((d) => gridCost(d, pointsPerAxis, (timings.find((t) => t.latentSize === d) ?? timings[0]).secondsPerEvaluation));
}

/** The cost table: the quadrature measured above, then the estimated grids of `costs`. */
export function gridCostTable(measured: CountedDerivation, costs: readonly GridCost[]): Table {
  const fn = 'gridCostTable';
  checkObject(fn, 'measured', measured);
  checkInteger(fn, 'measured.evaluations', measured.evaluations, 1);
  checkNumber(fn, 'measured.seconds', measured.seconds, 0);
  return {
    headers: ['latent dimensions d', 'grid', 'decoder evaluations', 'seconds per evaluation (measured)', 'time'],
    rows: [
      ['2', 'the quadrature column above (pilot grid, posterior grid, q\'s grids, q\'s Gauss–Hermite rules, line 5\'s grid)', measured.evaluations.toLocaleString('en-US'),
        (measured.seconds / measured.evaluations).toExponential(2), `${formatDuration(measured.seconds)} (measured, with bookkeeping)`],
      ...costs.map((c) => [String(c.latentSize), `${c.pointsPerAxis} nodes per axis`, c.evaluations < 1e7 ? c.evaluations.toLocaleString('en-US') : c.evaluations.toExponential(2),
        c.secondsPerEvaluation.toExponential(2), `${c.readable} (estimate)`]),
    ],
    caption: 'Decoder evaluations a grid over the latent needs, and the time they take on this machine',
  };
}

/** The largest grid of `costs` against the age of the universe, and a coarser grid for scale. */
export function intractabilityInWords(largest: GridCost, timing: DecoderTiming): string {
  checkObject('intractabilityInWords', 'largest', largest);
  checkObject('intractabilityInWords', 'timing', timing);
  const coarse = gridCost(largest.latentSize, 10, timing.secondsPerEvaluation);
  return `${largest.latentSize}-D grid: ${largest.readable} = ${(largest.seconds / AGE_OF_UNIVERSE_SECONDS).toExponential(1)} × the age of the universe; `
    + `even 10 nodes per axis would need ${coarse.evaluations.toExponential(0).replace('e+', 'e')} evaluations = ${coarse.readable}`;
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

// ---------------------------------------------------------------------------------------------
// Step 4: Jensen's inequality on importance weights w(z) = p_θ(x, z)/q(z|x), z ~ q(z|x):
//   log E_q[w] ≥ E_q[log w],
// where log E_q[w] = log p_θ(x) for EVERY q (step 3) and E_q[log w] = ELBO(q) (step 4), so the drop
// is log p_θ(x) − ELBO(q) = KL(q ‖ p_θ(z|x)) ≥ 0, zero only when q is the posterior. On the
// linear-Gaussian model both sides are exact (float64), and a sample of S weights gives the
// empirical version log (1/S) Σ w_s ≥ (1/S) Σ log w_s (Jensen for the sample itself).

/** Both sides of Jensen's inequality for a sample of log weights. */
export interface SampleJensen {
  /** log (1/S) Σ_s w_s (stable log-mean-exp). */
  logMeanWeight: number;
  /** (1/S) Σ_s log w_s. */
  meanLogWeight: number;
  /** logMeanWeight − meanLogWeight ≥ 0. */
  gap: number;
  /** S */
  count: number;
}

/**
 * Jensen's gap of a sample of importance weights given as logs:
 *   log (1/S) Σ_s exp(l_s) − (1/S) Σ_s l_s  ≥ 0,
 * the log-mean-exp computed with the maximum subtracted first, so ±1000 do not overflow.
 */
export function sampleJensenGap(logWeights: ArrayLike<number>): SampleJensen {
  const fn = 'sampleJensenGap';
  const values = checkFiniteArray(fn, 'logWeights', logWeights);
  if (values.length < 1) throw new RangeError(`${fn}: logWeights must hold at least one number, got 0`);
  const logMeanWeight = logMeanExp(values);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  const meanLogWeight = sum / values.length;
  // Rounding can make a zero gap a few ulps negative; Jensen makes it ≥ 0 exactly.
  return { logMeanWeight, meanLogWeight, gap: Math.max(0, logMeanWeight - meanLogWeight), count: values.length };
}

/** A q(z|x) described relative to the exact posterior N(m, diag s²) of the linear-Gaussian model. */
export interface PosteriorPerturbation {
  /** Every coordinate of q's mean is m_j + meanShift · s_j (shift in posterior standard deviations). */
  meanShift: number;
  /** Every log-variance of q is log s_j² + logVarianceShift (q's variance scaled by exp(shift)). */
  logVarianceShift: number;
}

/**
 * The two arms of a path away from the posterior: q's mean shifted by each δ of `meanShifts`
 * (variance kept), then q's log-variance shifted by each Δ of `logVarianceShifts` (mean kept).
 */
export function jensenPath(meanShifts: readonly number[], logVarianceShifts: readonly number[]): PosteriorPerturbation[] {
  const fn = 'jensenPath';
  checkFiniteArray(fn, 'meanShifts', meanShifts);
  checkFiniteArray(fn, 'logVarianceShifts', logVarianceShifts);
  return [
    ...meanShifts.map((meanShift) => ({ meanShift, logVarianceShift: 0 })),
    ...logVarianceShifts.map((logVarianceShift) => ({ meanShift: 0, logVarianceShift })),
  ];
}

/** One q along a path away from the posterior, with Jensen's two sides exact and sampled. */
export interface JensenPoint extends PosteriorPerturbation {
  q: DiagonalGaussianParameters;
  /** log E_q[w] exactly: log p_θ(x) (the same for every q). */
  logExpectedWeight: number;
  /** E_q[log w] exactly: the closed-form ELBO(q). */
  expectedLogWeight: number;
  /** logExpectedWeight − expectedLogWeight: the Jensen drop, in nats. */
  drop: number;
  /**
   * KL(q ‖ p_θ(z|x)) for two diagonal Gaussians: ½ Σ_j [ r_j + (μ_j − m_j)²/s_j² − 1 − log r_j ],
   * r_j = σ_j²/s_j² — an independent route to the drop (valid when the posterior is diagonal).
   */
  klToPosterior: number;
  /**
   * V = Var_q(w)/p(x)² = E_q[w²]/p(x)² − 1 in closed form: per coordinate E_q[w_j²] = ρ(δ, r) =
   * r/√(2r − 1) · exp(δ²/(2r − 1)), r = e^Δ, so V = ρ^L − 1; Infinity when r ≤ ½ (the weights
   * then have no variance: a narrow q's p/q grows too fast in the tails).
   */
  weightRelativeVariance: number;
  /** q's variance ÷ the posterior's, the same in every coordinate: r = e^Δ. */
  varianceRatio: number;
  /** The same two sides estimated from `samples` draws z ~ q, all in float64. */
  sampled: SampleJensen & {
    /** max_s |log w_s − log p(x)|: 0 (to rounding) exactly when q is the posterior. */
    maxDeviationFromLogEvidence: number;
    /** Delta-method SE of logMeanWeight. */
    logMeanWeightStandardError: number;
    /** SE of meanLogWeight. */
    meanLogWeightStandardError: number;
    /** Kish's effective sample size of the weights. */
    effectiveSampleSize: number;
  };
}

/** log w(z) = log p_θ(x|z) + log p(z) − log q(z|x) in float64, for one z. */
export function linearGaussianLogWeight(model: LinearGaussianModel, x: ArrayLike<number>, q: DiagonalGaussianParameters, z: ArrayLike<number>): number {
  let logPrior = 0;
  let logQ = 0;
  for (let j = 0; j < z.length; j++) {
    logPrior += -0.5 * (LOG_2PI + z[j] * z[j]);
    logQ += -0.5 * (LOG_2PI + q.logVariance[j] + (z[j] - q.mean[j]) ** 2 / Math.exp(q.logVariance[j]));
  }
  return model.logLikelihood(x, z) + logPrior - logQ;
}

/**
 * Jensen's inequality along a path of q's that move away from the exact posterior of a
 * linear-Gaussian model (one point per perturbation, q = shiftedPosterior). Needs a diagonal
 * posterior (e.g. LinearGaussianModel.random(..., { orthogonalColumns: true })), so that q can
 * equal it. Each point draws `samples` z ~ q from `random` (z = μ + exp(½ log σ²)·ε).
 */
export function jensenAlongPath(
  model: LinearGaussianModel, x: ArrayLike<number>, perturbations: readonly PosteriorPerturbation[],
  random: Random, samples: number,
): JensenPoint[] {
  const fn = 'jensenAlongPath';
  if (!(model instanceof LinearGaussianModel)) throw new TypeError(`${fn}: model must be a LinearGaussianModel`);
  const xv = toVector(fn, 'x', x, model.dataSize);
  checkRandom(fn, 'random', random);
  checkInteger(fn, 'samples', samples, 2);
  if (!Array.isArray(perturbations) || perturbations.length < 1) {
    throw new TypeError(`${fn}: perturbations must be a non-empty array of {meanShift, logVarianceShift}`);
  }
  const posterior = model.posterior(xv);
  if (posterior.maxAbsCorrelation > 1e-9) {
    throw new RangeError(`${fn}: model's posterior must be diagonal (max |correlation| ≤ 1e-9) so that a diagonal q can equal it, got ${posterior.maxAbsCorrelation}; use orthogonal columns`);
  }
  const logMarginal = model.logMarginal(xv);
  return perturbations.map((p, index) => {
    const meanShift = checkNumber(fn, `perturbations[${index}].meanShift`, p?.meanShift);
    const logVarianceShift = checkNumber(fn, `perturbations[${index}].logVarianceShift`, p?.logVarianceShift);
    const shifted = shiftedPosterior(posterior, meanShift, logVarianceShift);
    const q: DiagonalGaussianParameters = { mean: Float64Array.from(shifted.mean), logVariance: Float64Array.from(shifted.logVariance) };
    const elbo = model.elbo(xv, q).elbo;
    const l = model.latentSize;
    const r = Math.exp(logVarianceShift);
    const klToPosterior = 0.5 * l * (r + meanShift * meanShift - 1 - logVarianceShift);
    const logWeights = new Float64Array(samples);
    const z = new Float64Array(l);
    for (let s = 0; s < samples; s++) {
      for (let j = 0; j < l; j++) z[j] = q.mean[j] + Math.exp(0.5 * q.logVariance[j]) * random.normal();
      logWeights[s] = linearGaussianLogWeight(model, xv, q, z);
    }
    const sampled = sampleJensenGap(logWeights);
    let maxDeviation = 0;
    for (let s = 0; s < samples; s++) maxDeviation = Math.max(maxDeviation, Math.abs(logWeights[s] - logMarginal));
    return {
      meanShift, logVarianceShift, q,
      logExpectedWeight: logMarginal,
      expectedLogWeight: elbo,
      drop: logMarginal - elbo,
      klToPosterior,
      weightRelativeVariance: weightRelativeVariance(meanShift, r, l),
      varianceRatio: r,
      sampled: {
        ...sampled,
        maxDeviationFromLogEvidence: maxDeviation,
        logMeanWeightStandardError: logMeanExpStandardError(logWeights),
        meanLogWeightStandardError: meanAndStandardErrorOf(logWeights, 0, samples).standardError,
        effectiveSampleSize: effectiveSampleSize(logWeights),
      },
    };
  });
}

/**
 * Var_q(w)/E_q[w]² for w = p(z|x)/q(z) with posterior N(m, diag s²) and q = N(m + δs, diag r s²)
 * in `latentSize` coordinates: ρ^L − 1, ρ = ∫ N(u; 0, 1)²/N(u; δ, r) du = r/√(2r − 1) · e^{δ²/(2r − 1)}
 * (Infinity for r ≤ ½).
 */
export function weightRelativeVariance(meanShift: number, varianceRatio: number, latentSize: number): number {
  const fn = 'weightRelativeVariance';
  checkNumber(fn, 'meanShift', meanShift);
  checkNumber(fn, 'varianceRatio', varianceRatio, Number.MIN_VALUE);
  checkInteger(fn, 'latentSize', latentSize, 1);
  if (varianceRatio <= 0.5) return Infinity;
  const rho = (varianceRatio / Math.sqrt(2 * varianceRatio - 1)) * Math.exp((meanShift * meanShift) / (2 * varianceRatio - 1));
  return rho ** latentSize - 1;
}

/** The two-sided check of the sampled log-mean weight against log p(x) (claim jensen-sampled-log-mean). */
export interface LogMeanCheck {
  /** Points where the check applies: σ²/s² > ⅔ (finite third moment) and V ≤ maxRelativeVariance. */
  eligible: JensenPoint[];
  /** (sampled − log p(x) + V/(2S)) / √(V/S) at each eligible point (0 where V = 0 and they agree to 1e-9). */
  scores: number[];
  /** The largest |score|. */
  worst: number;
  /** The points left out, with their score by the same formula (NaN where V is infinite): shown, not claimed. */
  excluded: { point: JensenPoint; score: number }[];
}

/**
 * log (1/S) Σ w_s against log p(x) with the exact delta-method moments of the estimator:
 * mean log p(x) − V/(2S), standard error √(V/S), V = weightRelativeVariance. Valid where the
 * normal approximation is (finite third moment of w: r > ⅔, and V ≤ maxRelativeVariance, i.e. an
 * effective sample size ≥ S/(1 + V)); the other points are reported, not scored.
 */
export function logMeanWeightCheck(points: readonly JensenPoint[], samples: number, maxRelativeVariance = 9): LogMeanCheck {
  const fn = 'logMeanWeightCheck';
  if (!Array.isArray(points) || points.length < 1) throw new TypeError(`${fn}: points must be a non-empty array of JensenPoint`);
  checkInteger(fn, 'samples', samples, 2);
  checkNumber(fn, 'maxRelativeVariance', maxRelativeVariance, 0);
  const score = (p: JensenPoint): number => {
    const v = p.weightRelativeVariance;
    const difference = p.sampled.logMeanWeight - p.logExpectedWeight;
    if (v === 0) return Math.abs(difference) <= 1e-9 ? 0 : Infinity * Math.sign(difference);
    return Number.isFinite(v) ? (difference + v / (2 * samples)) / Math.sqrt(v / samples) : NaN;
  };
  const ok = (p: JensenPoint): boolean => p.varianceRatio > 2 / 3 && p.weightRelativeVariance <= maxRelativeVariance;
  const eligible = points.filter(ok);
  const scores = eligible.map(score);
  return {
    eligible, scores, worst: Math.max(...scores.map(Math.abs)),
    excluded: points.filter((p) => !ok(p)).map((point) => ({ point, score: score(point) })),
  };
}

/** The measured text of jensen-sampled-log-mean: the worst score, and what was left out and why. */
export function logMeanCheckInWords(check: LogMeanCheck): string {
  checkObject('logMeanCheckInWords', 'check', check);
  const total = check.eligible.length + check.excluded.length;
  const finite = check.excluded.filter((e) => Number.isFinite(e.score));
  const lowest = finite.length > 0 ? `, lowest score ${formatNumber(Math.min(...finite.map((e) => e.score)))}` : '';
  return `worst |score| ${formatNumber(check.worst)} exact SE over ${check.eligible.length} of ${total} q's; `
    + `left out (not claimed): ${finite.length} with V > 9 or r ≤ ⅔${lowest}, ${check.excluded.length - finite.length} with V = ∞`;
}

/** The two arms of a path: q's mean shifted (variance kept), and q's variance scaled (mean kept). */
export function jensenArms(points: readonly JensenPoint[]): { meanShift: JensenPoint[]; logVarianceShift: JensenPoint[] } {
  if (!Array.isArray(points)) throw new TypeError('jensenArms: points must be an array of JensenPoint');
  const byMean = points.filter((p) => p.logVarianceShift === 0).sort((a, b) => a.meanShift - b.meanShift);
  const byVariance = points.filter((p) => p.meanShift === 0).sort((a, b) => a.logVarianceShift - b.logVarianceShift);
  return { meanShift: byMean, logVarianceShift: byVariance };
}

/** The point of `points` where q is the posterior itself (both shifts 0). */
export function pointAtPosterior(points: readonly JensenPoint[]): JensenPoint {
  if (!Array.isArray(points)) throw new TypeError('pointAtPosterior: points must be an array of JensenPoint');
  const found = points.find((p) => p.meanShift === 0 && p.logVarianceShift === 0);
  if (found === undefined) throw new RangeError('pointAtPosterior: points must include q = the posterior (meanShift 0, logVarianceShift 0)');
  return found;
}

/**
 * Whether the drop increases strictly as q moves away from the posterior along one arm, in
 * either direction of `shift` (sorted by |shift| on each side of 0, the posterior on both sides).
 */
export function dropGrowsAwayFromPosterior(arm: readonly JensenPoint[], shift: keyof PosteriorPerturbation): boolean {
  if (!Array.isArray(arm)) throw new TypeError('dropGrowsAwayFromPosterior: arm must be an array of JensenPoint');
  if (shift !== 'meanShift' && shift !== 'logVarianceShift') {
    throw new RangeError(`dropGrowsAwayFromPosterior: shift must be 'meanShift' or 'logVarianceShift', got ${String(shift)}`);
  }
  const away = (sign: number): JensenPoint[] => arm.filter((p) => sign * p[shift] >= 0).sort((a, b) => Math.abs(a[shift]) - Math.abs(b[shift]));
  return [1, -1].every((sign) => away(sign).every((p, i, list) => i === 0 || p.drop > list[i - 1].drop));
}

/** The drop at δ = 1, 2, 3 (mean arm) and at Δ = ±1 (variance arm), as the claim's measured text. */
export function describeJensenDrops(arms: { meanShift: JensenPoint[]; logVarianceShift: JensenPoint[] }): string {
  const fn = 'describeJensenDrops';
  checkObject(fn, 'arms', arms);
  const at = (arm: JensenPoint[], shift: keyof PosteriorPerturbation, value: number): string => {
    const p = arm.find((point) => point[shift] === value);
    if (p === undefined) throw new RangeError(`${fn}: arms.${shift} must include ${shift} = ${value}`);
    return formatNumber(p.drop);
  };
  return `drop at δ = 1, 2, 3: ${[1, 2, 3].map((d) => at(arms.meanShift, 'meanShift', d)).join(', ')} nats; `
    + `at Δ = ±1: ${[-1, 1].map((d) => at(arms.logVarianceShift, 'logVarianceShift', d)).join(', ')} nats`;
}

/**
 * Sampled minus exact in standard errors at every q: (sampled − exact)/SE for the mean log weight
 * (vs ELBO(q)) and the log mean weight (vs log p(x)). At q = posterior the SE is 0 and the
 * difference must be 0 too: a difference within 1e-9 counts as 0 SE.
 */
export function jensenStandardScores(points: readonly JensenPoint[]): { meanLogWeight: number[]; logMeanWeight: number[] } {
  if (!Array.isArray(points)) throw new TypeError('jensenStandardScores: points must be an array of JensenPoint');
  const score = (difference: number, standardError: number): number => (Math.abs(difference) <= 1e-9 ? 0 : difference / standardError);
  return {
    meanLogWeight: points.map((p) => score(p.sampled.meanLogWeight - p.expectedLogWeight, p.sampled.meanLogWeightStandardError)),
    logMeanWeight: points.map((p) => score(p.sampled.logMeanWeight - p.logExpectedWeight, p.sampled.logMeanWeightStandardError)),
  };
}

/**
 * Jensen's inequality along both arms, two panels: with `show: 'sides'`, log E_q[w] and E_q[log w]
 * (exact lines, sampled points with ± `sigmas` SE); with `show: 'drop'`, the exact drop
 * KL(q ‖ p(z|x)) and the sampled gap log (1/S)Σw − (1/S)Σ log w.
 */
export function jensenFigure(points: readonly JensenPoint[], show: 'sides' | 'drop', sigmas = 4): PlotlyFigure {
  if (show !== 'sides' && show !== 'drop') throw new RangeError(`jensenFigure: show must be 'sides' or 'drop', got ${String(show)}`);
  const arms = jensenArms(points);
  const panels: [JensenPoint[], (p: JensenPoint) => number, string][] = [
    [arms.meanShift, (p) => p.meanShift, "shift of q's mean (posterior standard deviations)"],
    [arms.logVarianceShift, (p) => p.logVarianceShift, "log of q's variance ÷ the posterior's"],
  ];
  const data: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = {
    title: { text: show === 'sides' ? 'Jensen: log E_q[w] (= log p(x)) vs E_q[log w] (= ELBO) as q leaves the posterior'
      : 'The Jensen drop log E_q[w] − E_q[log w] as q leaves the posterior' },
    grid: { rows: 1, columns: 2, pattern: 'independent' },
    height: 430,
    legend: { orientation: 'h', y: -0.25 },
  };
  panels.forEach(([arm, param, axisTitle], i) => {
    const suffix = i === 0 ? '' : '2';
    const axes = { xaxis: `x${suffix}`, yaxis: `y${suffix}`, showlegend: i === 0 };
    const x = arm.map(param);
    layout[`xaxis${suffix}`] = { title: { text: axisTitle } };
    layout[`yaxis${suffix}`] = { title: { text: show === 'sides' ? 'nats' : 'drop (nats)' } };
    if (show === 'sides') {
      data.push(
        { type: 'scatter', mode: 'lines', name: 'log E_q[w] exact (log p(x))', x, y: arm.map((p) => p.logExpectedWeight), line: { color: '#1f77b4' }, legendgroup: 'a', ...axes },
        { type: 'scatter', mode: 'lines', name: 'E_q[log w] exact (ELBO)', x, y: arm.map((p) => p.expectedLogWeight), line: { color: '#d62728' }, legendgroup: 'b', ...axes },
        {
          type: 'scatter', mode: 'markers', name: 'log (1/S) Σ w_s, sampled', x, y: arm.map((p) => p.sampled.logMeanWeight),
          error_y: { type: 'data', visible: true, array: arm.map((p) => sigmas * p.sampled.logMeanWeightStandardError) },
          marker: { color: '#1f77b4', symbol: 'circle-open' }, legendgroup: 'a', ...axes,
        },
        {
          type: 'scatter', mode: 'markers', name: '(1/S) Σ log w_s, sampled', x, y: arm.map((p) => p.sampled.meanLogWeight),
          error_y: { type: 'data', visible: true, array: arm.map((p) => sigmas * p.sampled.meanLogWeightStandardError) },
          marker: { color: '#d62728', symbol: 'x' }, legendgroup: 'b', ...axes,
        },
      );
    } else {
      data.push(
        { type: 'scatter', mode: 'lines', name: 'exact drop = KL(q ‖ p(z|x))', x, y: arm.map((p) => p.drop), line: { color: '#2ca02c' }, legendgroup: 'a', ...axes },
        { type: 'scatter', mode: 'markers', name: 'sampled gap of S weights', x, y: arm.map((p) => p.sampled.gap), marker: { color: '#9467bd' }, legendgroup: 'b', ...axes },
      );
    }
  });
  return { data, layout };
}

// ---------------------------------------------------------------------------------------------
// The relations of the chain, checked on several examples.

/** One relation of the chain checked on several examples: the worst case, and whether all hold. */
export interface MergedChainCheck {
  id: string;
  relation: string;
  examples: number;
  /** The example whose difference used the largest share of its tolerance. */
  worst: ChainCheck;
  /** Largest difference ÷ tolerance (signed for the inequality, absolute for equalities); ≤ 1 passes. */
  worstRatio: number;
  pass: boolean;
}

/**
 * Merges checkDerivationChain results of several examples relation by relation (same ids in the
 * same order), keeping the worst case: for "line 4 ≤ line 3" the largest (line 4 − line 3)/tolerance,
 * for equalities the largest |difference|/tolerance.
 */
export function mergeChainChecks(perExample: readonly ChainCheck[][]): MergedChainCheck[] {
  const fn = 'mergeChainChecks';
  const raw: unknown = perExample;
  if (!Array.isArray(raw) || raw.length < 1 || raw.some((c: unknown) => !Array.isArray(c))) {
    throw new TypeError(`${fn}: perExample must be a non-empty array of ChainCheck arrays`);
  }
  const ids = perExample[0].map((c) => c.id);
  perExample.forEach((checks, i) => {
    const other = checks.map((c) => c.id);
    if (other.length !== ids.length || other.some((id, j) => id !== ids[j])) {
      throw new RangeError(`${fn}: perExample[${i}] must check the same relations as perExample[0] (${ids.join(', ')}), got ${other.join(', ')}`);
    }
  });
  return ids.map((id, j) => {
    const column = perExample.map((checks) => checks[j]);
    const ratio = (c: ChainCheck): number => {
      const d = c.id === 'step4<=step3' ? c.difference : Math.abs(c.difference);
      return c.tolerance > 0 ? d / c.tolerance : d > 0 ? Infinity : d < 0 ? -Infinity : 0;
    };
    let worst = column[0];
    for (const c of column) if (ratio(c) > ratio(worst)) worst = c;
    return { id, relation: worst.relation, examples: column.length, worst, worstRatio: ratio(worst), pass: column.every((c) => c.pass) };
  });
}

/** The relations the text states, in words (the gap = KL(q ‖ p(z|x)) is notebook 03's subject). */
export const RELATION_LABELS: Readonly<Record<string, string>> = {
  'step1=step2': 'lines 1 = 2: inserting q/q changes nothing',
  'step2=step3': 'lines 2 = 3: the integral against q is an expectation under q',
  'step4<=step3': 'line 4 ≤ line 3: Jensen\'s inequality',
  'step4=step5': 'lines 4 = 5: log of a ratio = difference of logs',
  'step5=step6': 'lines 5 = 6: the joint factors into likelihood × prior',
  'step6=step7': 'lines 6 = 7: regrouped into reconstruction − KL',
};

/** The checks of one way of computing the lines (one claim per relation, id `<relation>-<key>`). */
export interface RelationColumn {
  /** Short key in the claim ids, e.g. "quadrature". */
  key: string;
  /** The model and method in words, e.g. "2-D VAE, quadrature, 4 digits". */
  name: string;
  /** checkDerivationChain of each example. */
  perExample: ChainCheck[][];
  /**
   * True when every line comes from ONE sample (Monte Carlo): lines 1–3 are one estimator, so
   * 1 = 2 and 2 = 3 are left out, and 4 ≤ 3 (Jensen for the empirical distribution), 4 = 5 and
   * 5 = 6 (the same sample means regrouped) hold for any sample: they are shown as
   * illustrations, not claimed. Only 6 = 7 (the sampled KL against the closed form) is a claim.
   */
  oneSample?: boolean;
}

/** Relations that hold for any sample when all lines come from one sample (RelationColumn.oneSample). */
const TRUE_FOR_ANY_SAMPLE = new Set(['step4<=step3', 'step4=step5', 'step5=step6']);

/** One relation of the chain as a claim (spec, measured, criterion, outcome) or an illustration, and a table row. */
export interface RelationClaim {
  spec: ClaimSpec;
  /** 'claim': two routes compared, recorded with lesson.claims; 'illustration': holds for any sample, shown only. */
  kind: 'claim' | 'illustration';
  measured: string;
  criterion: string;
  holds: boolean;
  /** [model, relation, worst difference, tolerance, ✓/✗, claim or illustration] */
  row: Cell[];
}

/**
 * The relations 1 = 2, 2 = 3, 4 ≤ 3, 4 = 5, 5 = 6, 6 = 7 of each column, each at its worst example
 * (mergeChainChecks): |difference| ≤ tolerance, or difference ≤ tolerance for Jensen. The spec's
 * routes are those of the two lines compared (ChainCheck.routes).
 */
export function derivationRelationClaims(columns: readonly RelationColumn[]): RelationClaim[] {
  const fn = 'derivationRelationClaims';
  if (!Array.isArray(columns) || columns.length < 1) throw new TypeError(`${fn}: columns must be a non-empty array of {key, name, perExample}`);
  const claims: RelationClaim[] = [];
  columns.forEach((column, i) => {
    checkObject(fn, `columns[${i}]`, column);
    checkNonEmptyString(fn, `columns[${i}].key`, column.key);
    checkNonEmptyString(fn, `columns[${i}].name`, column.name);
    for (const m of mergeChainChecks(column.perExample)) {
      if (!(m.id in RELATION_LABELS)) continue;
      if (column.oneSample && (m.id === 'step1=step2' || m.id === 'step2=step3')) continue;
      const kind = column.oneSample && TRUE_FOR_ANY_SAMPLE.has(m.id) ? 'illustration' : 'claim';
      const label = RELATION_LABELS[m.id];
      claims.push({
        spec: { id: `${m.id}-${column.key}`, section: '§2', where: WHERE.relations, statement: `${label} (${column.name})`, routes: m.worst.routes },
        kind,
        measured: `${formatNumber(m.worst.lhs)} vs ${formatNumber(m.worst.rhs)} nats, difference ${formatNumber(m.worst.difference)} (worst of ${m.examples})`,
        criterion: m.id === 'step4<=step3' ? `difference ≤ ${formatNumber(m.worst.tolerance)}` : `|difference| ≤ ${formatNumber(m.worst.tolerance)}`,
        holds: m.pass,
        row: [column.name, label, m.worst.difference, m.worst.tolerance, m.pass ? '✓' : '✗', kind === 'claim' ? 'claim' : 'illustration (true for any sample)'],
      });
    }
  });
  return claims;
}

/** The table of derivationRelationClaims. */
export function relationTable(claims: readonly RelationClaim[]): Table {
  if (!Array.isArray(claims)) throw new TypeError('relationTable: claims must be an array of RelationClaim');
  return {
    headers: ['model', 'relation', 'difference (worst case, nats)', 'tolerance (nats)', 'holds', 'checked as'],
    rows: claims.map((c) => c.row),
    caption: 'The relations of the derivation: each claim compares two routes (see the claims table); the illustrations hold for any sample',
  };
}

/**
 * How far an estimate of a line (a sampled line, or the engine's {mean, standardError}) misses the
 * reference value beyond its tolerance, in nats:
 *   |estimate − reference| − sigmas·SE − reference's stated error − relativeTolerance·|reference|
 * (≤ 0: they agree).
 */
export function excessOverTolerance(
  estimate: { mean: number; standardError: number } | Pick<DerivationStep, 'value' | 'standardError'>,
  reference: Pick<DerivationStep, 'value' | 'errorEstimate'>, sigmas: number, relativeTolerance = 0,
): number {
  const fn = 'excessOverTolerance';
  checkObject(fn, 'estimate', estimate);
  checkObject(fn, 'reference', reference);
  const value = 'mean' in estimate ? checkNumber(fn, 'estimate.mean', estimate.mean) : checkNumber(fn, 'estimate.value', estimate.value);
  checkNumber(fn, 'estimate.standardError', estimate.standardError, 0);
  checkNumber(fn, 'reference.value', reference.value);
  checkNumber(fn, 'reference.errorEstimate', reference.errorEstimate, 0);
  checkNumber(fn, 'sigmas', sigmas, 0);
  checkNumber(fn, 'relativeTolerance', relativeTolerance, 0);
  return Math.abs(value - reference.value) - sigmas * estimate.standardError - reference.errorEstimate - relativeTolerance * Math.abs(reference.value);
}

/** The check of the sampled line 3 against the quadrature log p(x) (claim monte-carlo-line-3). */
export interface LineThreeCheck {
  /** Draws needed for the two-sided form: e^{KL(p(z|x) ‖ q) + margin}. */
  requiredSamples: number;
  samples: number;
  /** Whether the draws suffice for the two-sided form. */
  twoSided: boolean;
  measured: string;
  criterion: string;
  holds: boolean;
}

/**
 * Line 3 by importance sampling (log (1/S) Σ p/q, S draws z ~ q) against log p(x) by quadrature.
 * A log of a mean is biased low, by about SE²/2 when the weights are tame; but importance sampling
 * needs about e^{KL(p(z|x) ‖ q)} draws before it sees the posterior's mass at all (Chatterjee &
 * Diaconis 2018), and with fewer it falls short by more than its SE says. So: when
 * S ≥ e^{KL + margin} (KL from the quadrature column, `margin` = 4 by default), two-sided:
 * |line 3 + SE²/2 − log p(x)| ≤ sigmas·SE + quadrature error; otherwise only the side that holds
 * for any S: line 3 ≤ log p(x) + sigmas·SE + quadrature error (E[log mean] ≤ log E[w], Jensen).
 */
export function lineThreeBySampling(sampled: DerivationResult, quadrature: DerivationResult, samples: number, sigmas = 4, margin = 4): LineThreeCheck {
  const fn = 'lineThreeBySampling';
  checkNamed(fn, [{ name: 'sampled', result: sampled }, { name: 'quadrature', result: quadrature }]);
  checkInteger(fn, 'samples', samples, 2);
  const kl = checkNumber(fn, 'quadrature.klPosteriorToQ', quadrature.klPosteriorToQ);
  const line3 = sampled.steps[2];
  const reference = quadrature.steps[0];
  const se = line3.standardError;
  const requiredSamples = Math.exp(kl + margin);
  const twoSided = samples >= requiredSamples;
  const corrected = line3.value + 0.5 * se * se;
  const allowed = sigmas * se + reference.errorEstimate;
  const difference = corrected - reference.value;
  const why = `S = ${samples} draws vs e^(KL(p(z|x) ‖ q) + ${margin}) = ${requiredSamples.toPrecision(3)} needed (KL = ${formatNumber(kl)})`;
  return {
    requiredSamples, samples, twoSided,
    measured: `sampled line 3 + SE²/2 = ${formatNumber(corrected)} ± ${formatNumber(se)}, quadrature log p(x) = ${formatNumber(reference.value)} nats; difference ${formatNumber(difference)}; ${why}`,
    criterion: twoSided ? `|difference| ≤ ${sigmas}·SE + quadrature error = ${formatNumber(allowed)} (two-sided: enough draws)`
      : `difference ≤ ${sigmas}·SE + quadrature error = ${formatNumber(allowed)} (too few draws for the two-sided form: only the side that holds for any S)`,
    holds: twoSided ? Math.abs(difference) <= allowed : difference <= allowed,
  };
}

// ---------------------------------------------------------------------------------------------
// Line 7 against the training code.

/** Line 7 of src/exact beside the training code's estimate of the same ELBO, for one example. */
export interface EngineComparison {
  name: string;
  lineSeven: DerivationStep;
  /** The engine's ELBO: mean over `samples` draws, its standard error, n = samples. */
  engine: Estimate;
  reconstruction: number;
  kl: number;
}

/** The linear-Gaussian example of the notebook: model, x, q and its derivation. */
export interface LinearExample {
  model: LinearGaussianModel;
  x: ArrayLike<number>;
  q: DiagonalQ;
  steps: DerivationResult;
}

/**
 * The training code's estimate (objectives.estimateElbo, analytic KL: reparameterised draws for
 * E_q[log p_θ(x|z)], the closed-form KL(q ‖ p(z))) beside line 7, for the digits under the VAE
 * (digitSteps[i] is digit i's derivation) and for the linear-Gaussian example. The VAE's draws
 * come first from `random`, then the linear model's.
 */
export function lineSevenByTheEngine(
  vae: Vae, digits: ImageSet, digitSteps: readonly DerivationResult[], linear: LinearExample, random: Random, samples: number,
): EngineComparison[] {
  const fn = 'lineSevenByTheEngine';
  checkObject(fn, 'digits', digits);
  if (!Array.isArray(digitSteps) || digitSteps.length !== digits.count) {
    throw new RangeError(`${fn}: digitSteps must hold one DerivationResult per digit (${digits.count})`);
  }
  checkObject(fn, 'linear', linear);
  checkRandom(fn, 'random', random);
  checkInteger(fn, 'samples', samples, 2);
  const digitTensor = tf.tensor2d(digits.values, [digits.count, digits.features]);
  const engineVae = withDisposal([digitTensor], () => estimateElbo(vae, vae, digitTensor, random, samples));
  const q = { mean: tf.tensor2d([Array.from(linear.q.mean)]), logVariance: tf.tensor2d([Array.from(linear.q.logVariance)]) };
  const x = tf.tensor2d([Array.from(linear.x)]);
  const engineLinear = withDisposal([q.mean, q.logVariance, x], () => estimateElbo(q, linear.model.asGenerativeModel(), x, random, samples));
  const row = (name: string, steps: DerivationResult, e: ElboEstimate, i: number): EngineComparison => ({
    name, lineSeven: steps.steps[6],
    engine: { mean: e.elbo[i], standardError: e.elboStandardError[i], n: samples },
    reconstruction: e.reconstruction[i], kl: e.kl[i],
  });
  return [
    row('linear-Gaussian', linear.steps, engineLinear, 0),
    ...digitSteps.map((steps, i) => row(`2-D VAE, digit ${digits.labels[i]}`, steps, engineVae, i)),
  ];
}

/** run(), then dispose `tensors` whatever happens. */
function withDisposal<T>(tensors: tf.Tensor[], run: () => T): T {
  try {
    return run();
  } finally {
    tf.dispose(tensors);
  }
}

/** The table of lineSevenByTheEngine: line 7, the engine's ELBO ± SE and its two terms. */
export function lineSevenTable(comparisons: readonly EngineComparison[]): Table {
  if (!Array.isArray(comparisons) || comparisons.length < 1) throw new TypeError('lineSevenTable: comparisons must be a non-empty array of EngineComparison');
  return {
    headers: ['model', 'line 7 (src/exact)', 'engine ELBO (± SE)', 'engine reconstruction', 'engine KL'],
    rows: comparisons.map((c) => [c.name, c.lineSeven.value, c.engine, c.reconstruction, c.kl]),
    caption: `Line 7 vs the training code's estimate (${comparisons[0].engine.n} draws per example)`,
  };
}
