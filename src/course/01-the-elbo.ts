/**
 * Course module of notebook 01-the-elbo: its experiments and figures (uses the library; the
 * library never imports it).
 *
 * For a handful of held-out digits x the notebook puts a number on every part of
 *   log p_θ(x) ≥ E_{q_φ(z|x)}[log p_θ(x|z)] − KL(q_φ(z|x) ‖ p(z)),
 * the reconstruction term and the ELBO by Monte Carlo (mean ± SE), the KL term in closed form,
 * and the left side by the importance-weighted bound L_k (which errs low). Here: the pictures of
 * the digits, the per-digit rows, their table and chart, and what the claims compare.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../random';
import type { Estimate } from '../stats/estimate';
import { independentDifference } from '../stats/estimate';
import type { ElboEstimate } from '../objectives/types';
import type { ImportanceWeightedEstimate } from '../objectives/iwae';
import { sampleDiagonalGaussian } from '../distributions/gaussian';
import type { Vae } from '../models/vae';
import { grayImageTrace, PlotlyFigure } from '../display/plotly';
import { imageGrid } from '../display/imageGrid';
import type { ClaimSpec } from '../display/claims';
import { checkFiniteArray, checkInteger, checkMatrix, checkNonEmptyString, checkObject, checkRandom } from '../checks';

/** One row of the picture: a label and images of side×side pixel intensities in [0, 1]. */
export interface DigitRow {
  label: string;
  images: ArrayLike<number>[];
}

/**
 * A grayscale picture of rows of digit images side by side (one Plotly image trace from a PNG,
 * 1-pixel white gaps; black 0 … white 1, as the 'Greys' heatmap it replaces drew them), image 0 of
 * each row at the left; `columnLabels` name the columns under the images.
 */
export function digitRowsFigure(rows: DigitRow[], title: string, columnLabels: string[] = [], side = 28): PlotlyFigure {
  const fn = 'digitRowsFigure';
  if (!Array.isArray(rows) || rows.length === 0) throw new TypeError(`${fn}: rows must be a non-empty array of {label, images}`);
  if (!Number.isInteger(side) || side < 1) throw new RangeError(`${fn}: side must be an integer >= 1, got ${side}`);
  const columns = rows[0].images.length;
  rows.forEach((row, r) => {
    if (!row || !Array.isArray(row.images) || row.images.length !== columns) {
      throw new RangeError(`${fn}: rows[${r}].images must hold ${columns} images like rows[0]`);
    }
    row.images.forEach((image, c) => {
      if (!image || image.length !== side * side) throw new RangeError(`${fn}: rows[${r}].images[${c}] must have ${side}×${side} = ${side * side} pixels, got ${image?.length}`);
    });
  });
  const cell = side + 1;
  // One block per row: its images one after another, tiled with 1-pixel gaps.
  const blocks = rows.map((row) => {
    const block = new Float64Array(columns * side * side);
    row.images.forEach((image, c) => block.set(image, c * side * side));
    return block;
  });
  const z = imageGrid(blocks, columns, { height: side, width: side, gap: 1 });
  return {
    data: [grayImageTrace(z, { name: 'digits' })],
    layout: {
      title: { text: title },
      xaxis: {
        title: { text: 'held-out digit' }, tickvals: Array.from({ length: columns }, (_, c) => c * cell + side / 2),
        ticktext: Array.from({ length: columns }, (_, c) => columnLabels[c] ?? String(c + 1)), showgrid: false, zeroline: false,
        scaleanchor: 'y', constrain: 'domain',
      },
      yaxis: {
        title: { text: 'pixel intensity / probability (0–1)' }, autorange: 'reversed', tickvals: rows.map((_, r) => r * cell + side / 2),
        ticktext: rows.map((row) => row.label), showgrid: false, zeroline: false,
      },
      height: 80 + rows.length * 90,
      margin: { t: 40, b: 50, l: 140 },
      plot_bgcolor: 'white',
    },
  };
}

/** The names of the digits shown: "#1 (a 3)", "#2 (a 7)", … from their class labels. */
export function digitLabels(classes: ArrayLike<number>): string[] {
  const fn = 'digitLabels';
  checkObject(fn, 'classes', classes);
  return Array.from(classes, (label, i) => `#${i + 1} (a ${label})`);
}

/**
 * What the decoder makes of ONE code per digit: its pixel probabilities π = decode(z) at
 * z = μ + σ ⊙ ε ~ q_φ(z|x), ε ~ N(0, I) from `random` (row-major [digits, 784]); no tensor is left.
 */
export function reconstructionsAtOneCode(model: Vae, x: tf.Tensor2D, random: Random): Float32Array {
  const fn = 'reconstructionsAtOneCode';
  checkObject(fn, 'model', model);
  checkMatrix(fn, 'x', x);
  checkRandom(fn, 'random', random);
  const probabilities = tf.tidy(() => model.decode(sampleDiagonalGaussian(model.encode(x), random)));
  const values = probabilities.dataSync().slice() as Float32Array;
  probabilities.dispose();
  return values;
}

const COUNT_WORDS = ['', 'One', 'Two', 'Three', 'Four', 'Five', 'Six', 'Seven', 'Eight', 'Nine', 'Ten', 'Eleven', 'Twelve'];

/** Images of `pixels` each, cut from row-major values [count, pixels]. */
function imagesOf(values: Float32Array | Float64Array, count: number, pixels: number): ArrayLike<number>[] {
  return Array.from({ length: count }, (_, i) => values.subarray(i * pixels, (i + 1) * pixels));
}

/**
 * The figure of the section: the binarised inputs x (top row) and the decoder's pixel
 * probabilities p_θ(pixel = 1 | z) at one code z ~ q_φ(z|x) (bottom row), one column per digit.
 */
export function inputsAndReconstructionsFigure(inputs: Float32Array | Float64Array, reconstructions: Float32Array | Float64Array, labels: string[], side = 28): PlotlyFigure {
  const fn = 'inputsAndReconstructionsFigure';
  checkInteger(fn, 'side', side, 1);
  if (!Array.isArray(labels) || labels.length === 0) throw new TypeError(`${fn}: labels must name at least one digit`);
  const pixels = side * side;
  for (const [name, values] of [['inputs', inputs], ['reconstructions', reconstructions]] as const) {
    if (!values || values.length !== labels.length * pixels) {
      throw new RangeError(`${fn}: ${name} must hold ${labels.length} images of ${pixels} pixels (${labels.length * pixels} values), got ${values?.length}`);
    }
  }
  return digitRowsFigure([
    { label: 'input x (binarised)', images: imagesOf(inputs, labels.length, pixels) },
    { label: 'decoder p(pixel=1 | z), z ~ q', images: imagesOf(reconstructions, labels.length, pixels) },
  ], `${COUNT_WORDS[labels.length] ?? labels.length} held-out digit${labels.length === 1 ? '' : 's'} and what the decoder makes of one code drawn from the encoder`, labels, side);
}

/** Every part of the bound for one digit, in nats (estimates: mean ± one Monte Carlo SE). */
export interface DigitTerms {
  label: string;
  /** E_q[log p_θ(x|z)], by Monte Carlo. */
  reconstruction: Estimate;
  /** KL(q_φ(z|x) ‖ p(z)), closed form (exact). */
  kl: number;
  /** ELBO = reconstruction − KL. */
  elbo: Estimate;
  /** The left side log p_θ(x), estimated by L_k (errs low). */
  logEvidence: Estimate;
}

/**
 * The rows of the table: per digit i, the reconstruction term and ELBO of `elbo` (analytic-KL
 * form: its KL is the closed form), and log p̂(x) = L_k of `bound` (SE over its replicates).
 */
export function digitTerms(labels: string[], elbo: ElboEstimate, bound: ImportanceWeightedEstimate): DigitTerms[] {
  const fn = 'digitTerms';
  if (!Array.isArray(labels) || labels.length === 0) throw new TypeError(`${fn}: labels must name at least one digit`);
  checkObject(fn, 'elbo', elbo);
  checkObject(fn, 'bound', bound);
  if (elbo.form !== 'analyticKl') throw new RangeError(`${fn}: elbo must be the analytic-KL form (its KL term is then the closed form), got '${elbo.form}'`);
  if (elbo.elbo.length !== labels.length || bound.value.length !== labels.length) {
    throw new RangeError(`${fn}: elbo and bound must hold one value per label (${labels.length}), got ${elbo.elbo.length} and ${bound.value.length}`);
  }
  return labels.map((label, i) => ({
    label,
    reconstruction: { mean: elbo.reconstruction[i], standardError: elbo.reconstructionStandardError[i], n: elbo.samples },
    kl: elbo.kl[i],
    elbo: { mean: elbo.elbo[i], standardError: elbo.elboStandardError[i], n: elbo.samples },
    logEvidence: { mean: bound.value[i], standardError: bound.standardError[i], n: bound.replicates },
  }));
}

const twoDecimals = (e: { mean: number; standardError: number }) => `${e.mean.toFixed(2)} ± ${e.standardError.toFixed(2)}`;

/** The table of the section: both terms, the ELBO, log p̂(x) = L_k and the gap, per digit. */
export function digitTermsTable(rows: DigitTerms[], k = 5000): { headers: string[]; rows: string[][]; caption: string } {
  const fn = 'digitTermsTable';
  checkRows(fn, rows);
  checkInteger(fn, 'k', k, 1);
  const lk = `L${subscript(k)}`;
  return {
    headers: ['digit', 'reconstruction term', 'KL term', 'ELBO = rec − KL', `log p̂(x) = ${lk}`, 'log p̂(x) − ELBO'],
    rows: rows.map((r) => [r.label, twoDecimals(r.reconstruction), r.kl.toFixed(2), twoDecimals(r.elbo), twoDecimals(r.logEvidence),
      (r.logEvidence.mean - r.elbo.mean).toFixed(2)]),
    caption: 'Per digit, in nats (± one Monte Carlo standard error)',
  };
}

/** The chart of the section: reconstruction term, −KL, ELBO and log p̂(x) per digit (error bars 2 SE). */
export function digitTermsFigure(rows: DigitTerms[], k = 5000): PlotlyFigure {
  const fn = 'digitTermsFigure';
  checkRows(fn, rows);
  checkInteger(fn, 'k', k, 1);
  const x = rows.map((r) => r.label);
  const bar = (name: string, y: number[], error?: number[]) => ({ type: 'bar', name, x, y,
    error_y: error ? { type: 'data', array: error.map((e) => 2 * e), visible: true } : undefined });
  return {
    data: [
      bar('reconstruction term', rows.map((r) => r.reconstruction.mean), rows.map((r) => r.reconstruction.standardError)),
      bar('− KL term', rows.map((r) => -r.kl)),
      bar('ELBO = reconstruction − KL', rows.map((r) => r.elbo.mean), rows.map((r) => r.elbo.standardError)),
      bar(`log p̂(x) (L${subscript(k)})`, rows.map((r) => r.logEvidence.mean), rows.map((r) => r.logEvidence.standardError)),
    ],
    layout: {
      title: { text: 'The two terms of the ELBO and the evidence, per held-out digit (error bars: 2 SE)' },
      barmode: 'group', xaxis: { title: { text: 'held-out digit' } },
      yaxis: { title: { text: 'nats per example (log-density, summed over pixels)' } }, height: 460,
    },
  };
}

/** How far one digit's ELBO sits from log p̂(x): the difference ELBO − log p̂(x) as an estimate. */
export interface BoundMargin {
  label: string;
  /** ELBO − log p̂(x), SE = √(SE_ELBO² + SE_L²) (independent draws). */
  difference: { mean: number; standardError: number };
}

/** ELBO − log p̂(x) for every digit, with the standard error of the difference of two independent estimates. */
export function boundMargins(rows: DigitTerms[]): BoundMargin[] {
  checkRows('boundMargins', rows);
  return rows.map((r) => ({ label: r.label, difference: independentDifference(r.elbo, r.logEvidence) }));
}

/** The digit whose ELBO comes closest to (or furthest above) log p̂(x) in standard errors: the largest difference / SE. */
export function closestToBound(margins: BoundMargin[]): BoundMargin {
  const fn = 'closestToBound';
  if (!Array.isArray(margins) || margins.length === 0) throw new TypeError(`${fn}: margins must be a non-empty array (from boundMargins)`);
  const score = (m: BoundMargin) => m.difference.mean / m.difference.standardError;
  return margins.reduce((closest, m) => (score(m) > score(closest) ? m : closest), margins[0]);
}

/** What the claim "ELBO ≤ log p̂(x)" measured: the range of ELBO − log p̂(x) and the digit closest to the bound. */
export function boundMarginsText(margins: BoundMargin[]): string {
  const closest = closestToBound(margins);
  const means = margins.map((m) => m.difference.mean);
  return `ELBO − log p̂(x) from ${Math.min(...means).toFixed(2)} to ${Math.max(...means).toFixed(2)} nats over ${margins.length} digits; ` +
    `closest: ${closest.label}, ${closest.difference.mean.toFixed(2)} nats, SE ${closest.difference.standardError.toFixed(3)}`;
}

/**
 * Per digit, |closed-form KL − sampled KL| / SE of the sampled one: how many standard errors
 * separate KL(q ‖ p) = −½ Σ_u (1 + log σ_u² − μ_u² − σ_u²) from the Monte Carlo average of
 * log q_φ(z|x) − log p(z) over z ~ q (`sampled`, the Monte Carlo form of estimateElbo).
 */
export function klDiscrepancyInStandardErrors(closedForm: ElboEstimate, sampled: ElboEstimate): number[] {
  const fn = 'klDiscrepancyInStandardErrors';
  checkObject(fn, 'closedForm', closedForm);
  checkObject(fn, 'sampled', sampled);
  if (closedForm.form !== 'analyticKl' || sampled.form !== 'monteCarlo') {
    throw new RangeError(`${fn}: closedForm must be the analytic-KL estimate and sampled the Monte Carlo one, got '${closedForm.form}' and '${sampled.form}'`);
  }
  checkFiniteArray(fn, 'sampled.kl', sampled.kl, closedForm.kl.length);
  return Array.from(closedForm.kl, (kl, i) => Math.abs(kl - sampled.kl[i]) / sampled.klStandardError[i]);
}

/** The equation of the course with one digit's numbers substituted (TeX for showMath). */
export function substitutedEquationTex(row: DigitTerms): string {
  const fn = 'substitutedEquationTex';
  checkObject(fn, 'row', row);
  checkNonEmptyString(fn, 'row.label', row.label);
  return `\\underbrace{${row.logEvidence.mean.toFixed(2)}}_{\\log \\hat p_\\theta(x)} \\;\\ge\\; ` +
    `\\underbrace{${row.reconstruction.mean.toFixed(2)}}_{\\text{reconstruction term}} \\;-\\; ` +
    `\\underbrace{${row.kl.toFixed(2)}}_{\\text{KL term}} \\;=\\; \\underbrace{${row.elbo.mean.toFixed(2)}}_{\\text{ELBO}}` +
    `\\qquad\\text{(digit ${row.label.replace('#', '\\#')}, nats)}`;
}

/** The notebook's claims (ids, sections, statements, where they are checked), indexed by the cells. */
export const claimSpecs = {
  elboBelowEvidence: { id: 'elbo-below-evidence', section: '§1', where: 'Checking the bound, digit by digit',
    statement: 'for every digit shown, the ELBO (reconstruction − KL) does not exceed log p(x), estimated by L₅₀₀₀ (which errs low), beyond Monte Carlo error',
    routes: 'A: the ELBO per digit, the Monte Carlo mean of log p_θ(x|z) over 2,000 z ~ q (stream \'elbo\') minus the closed-form KL term / ' +
      'B: L₅₀₀₀ per digit, log of the mean of 5,000 importance weights p_θ(x, z)/q_φ(z|x), z ~ q (stream \'bound\'), averaged over 4 replicates' },
  klTermNonnegative: { id: 'kl-term-nonnegative', section: '§1', where: 'Checking the bound, digit by digit',
    statement: 'the KL term KL(q_φ(z|x) ‖ p(z)) is ≥ 0 for every digit shown',
    routes: 'A: the closed-form KL term per digit, src/objectives/kl.ts on the encoder\'s μ and log σ² (float32) / B: the bound 0 of Gibbs\' inequality' },
  klTermIsExpectation: { id: 'kl-term-is-expectation', section: '§1', where: 'Checking the bound, digit by digit',
    statement: 'the closed-form KL term equals the expectation it stands for, E_q[log q_φ(z|x) − log p(z)], sampled with 2,000 draws per digit, within 4 SE for every digit',
    routes: 'A: the closed form −½ Σ_u (1 + log σ_u² − μ_u² − σ_u²) (src/objectives/kl.ts) / ' +
      'B: the Monte Carlo mean of log q_φ(z|x) − log p(z) over 2,000 z ~ q per digit, Gaussian log-densities (estimateElbo, \'monteCarlo\' form)' },
  substitutedEquation: { id: 'substituted-equation', section: '§1', where: 'The equation again, with one digit\'s numbers',
    statement: 'the inequality holds with the first digit\'s numbers substituted, as displayed (the two estimates themselves, no allowance for their errors)',
    routes: 'A: the ELBO of digit #1 as displayed, Monte Carlo reconstruction term − closed-form KL / B: L₅₀₀₀ of digit #1 as displayed (importance sampling, independent draws)' },
} satisfies Record<string, ClaimSpec>;

const SUBSCRIPTS = '₀₁₂₃₄₅₆₇₈₉';
function subscript(k: number): string {
  return String(k).replace(/\d/g, (d) => SUBSCRIPTS[Number(d)]);
}

function checkRows(fn: string, rows: unknown): asserts rows is DigitTerms[] {
  if (!Array.isArray(rows) || rows.length === 0) throw new TypeError(`${fn}: rows must be a non-empty array of digit terms (from digitTerms)`);
  rows.forEach((row, i) => checkObject(fn, `rows[${i}]`, row));
}
