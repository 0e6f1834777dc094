/**
 * Deterministic 2-D quadrature for ANY decoder p_θ(x|z) with a 2-D latent: the integrals the
 * document calls intractable become sums over a grid of nodes z_g with trapezoid weights τ_g:
 *   log p_θ(x)    ≈ logsumexp_g [ log p_θ(x|z_g) + log p(z_g) + log τ_g ]
 *   p_θ(z_g|x)    = exp( log p_θ(x, z_g) − log p_θ(x) )              (density at each node)
 *   E_q[f]        ≈ Σ_g τ_g q(z_g) f(z_g) / Σ_g τ_g q(z_g)
 *   KL(q ‖ p_θ(z|x)) = E_q[ log q(z|x) − log p_θ(x, z) ] + log p_θ(x).
 *
 * Choice of the grid (the stated error budget, `epsilon`):
 *  1. a pilot box holds the prior's and q's mass up to ε each: per axis ±Φ⁻¹(1 − ε/4) standard
 *     deviations (union bound over the two axes). If the pilot posterior has mass > ε on the box
 *     edge the box is doubled (at most 4 times).
 *  2. On the pilot grid the posterior's marginals are cut where each tail holds ε/4, padded by
 *     two pilot cells; the fine posterior grid covers that box. Expectations under q use a second
 *     grid on q's own box (±Φ⁻¹(1 − ε/4) sd per axis), so each integrand is resolved on the scale
 *     where its mass lies, even when q is much wider or narrower than the posterior.
 *  3. Error estimates: truncation = pilot posterior mass outside the fine box + fine-grid mass on
 *     the boundary ring (a missing mass fraction τ shifts log p(x) by −log(1 − τ) ≈ τ);
 *     discretisation = |estimate on all nodes − estimate on every other node|. For the smooth,
 *     fast-decaying integrands here the trapezoid rule converges faster than any power of the
 *     spacing, so the halved-grid difference over-states the error of the fine estimate.
 * These are estimates, not rigorous bounds (a posterior mode missed by every pilot node between
 * nodes cannot be seen); the tests check them against closed forms. They cover the quadrature
 * only: the decoder itself computes log p(x|z) in float32 (about 1e-7 relative per value).
 * Cost: pilot² + points² decoder rows (+ points² more with q): 61² + 151² ≈ 26,000 by default.
 */
import * as tf from '@tensorflow/tfjs';
import { LOG_2PI } from '../distributions/gaussian';
import type { GenerativeModel } from '../objectives/types';
import { checkGenerativeModel } from '../objectives/sampleJoint';
import { defaultChunkRows } from '../objectives/monteCarlo';
import { checkBox2d, checkInteger, checkNumber, shapeString } from '../checks';
import { DiagonalGaussianLike, DiagonalGaussianParameters, toDataVector, toDiagonalParameters } from './inputs';
import { logSumExp, normalUpperQuantile, normalUpperTail } from './linearAlgebra';
import { logNormalDiagonal } from './gaussianClosedForms';

export type Box = [[number, number], [number, number]];

export interface QuadratureOptions {
  /** An approximate posterior: its region joins the grid, and E_q terms and KL(q ‖ p(z|x)) are computed. */
  q?: DiagonalGaussianLike;
  /** Fine-grid nodes per axis, ≥ 2 (odd numbers make the halved grid share the end node). Default 151. */
  pointsPerAxis?: number;
  /** Pilot nodes per axis, ≥ 2. Default 61. */
  pilotPointsPerAxis?: number;
  /** Probability mass allowed outside the box, in (0, 0.5]. Default 1e-6. */
  epsilon?: number;
  /** A fixed box [[lo0, hi0], [lo1, hi1]]: skips the pilot and the automatic choice. */
  extent?: Box;
  /** Rows per decoder call (memory), default from the data size. */
  maxRowsPerChunk?: number;
}

/** A tensor-product grid; node (i, j) is (axis0[i], axis1[j]) at flat index i·n1 + j. */
export interface Grid2d {
  axis0: Float64Array;
  axis1: Float64Array;
  spacing: [number, number];
  extent: Box;
  /** log τ_g, trapezoid weights (cell area, halved on edges, quartered at corners). */
  logWeights: Float64Array;
}

/** Expectations under q on the grid, each with its halved-grid error estimate. */
export interface GridExpectations {
  /** Σ τ_g q(z_g): the part of q's mass the grid holds (≈ 1). */
  massOnGrid: number;
  /** q's exact mass outside its grid's box (union bound over the axes). */
  massOutsideBox: number;
  /** E_q[log p_θ(x|z)] */
  reconstruction: number;
  /** E_q[log p(z)] */
  expectedLogPrior: number;
  /** H(q) on the grid = −E_q[log q] */
  entropy: number;
  /** E_q[log p_θ(x,z) − log q(z|x)]: the ELBO by quadrature. */
  elbo: number;
  /** log E_q[p_θ(x,z) / q(z|x)] (normalised q weights), on q's grid or, when the posterior has mass > ε outside q's box, on a grid over both boxes (`ratioGridExtent`). */
  logExpectedRatio: number;
  /** The box logExpectedRatio was summed over. */
  ratioGridExtent: Box;
  /** KL(q ‖ p_θ(z|x)) = log p_θ(x) − ELBO, by quadrature. */
  klToPosterior: number;
  /** The posterior's mass outside q's box (from the posterior grid): what line 3's sum on q's grid misses. */
  posteriorMassOutsideBox: number;
  /**
   * Estimated error of the elbo (and so of klToPosterior) from q's mass outside the box:
   * 2 · massOutsideBox · max over the box edge of |log p(x,z) − log q − elbo|.
   * Total error estimate of elbo = discretizationError.elbo + truncationError.
   */
  truncationError: number;
  /** |fine − halved-grid| for elbo, klToPosterior and logExpectedRatio. */
  discretizationError: { elbo: number; klToPosterior: number; logExpectedRatio: number };
  /** The grid on q's box these expectations use. */
  grid: Grid2d;
  /** log q(z_g|x) and log p_θ(x, z_g) at every node of that grid. */
  logDensity: Float64Array;
  logJoint: Float64Array;
}

export interface QuadratureResult {
  grid: Grid2d;
  /** log p_θ(x) by quadrature. */
  logMarginal: number;
  /** The same on every other node (spacing doubled). */
  logMarginalHalvedGrid: number;
  errorEstimate: { discretization: number; truncation: number; total: number };
  /** log p_θ(x | z_g) and log p_θ(x, z_g) at every node. */
  logLikelihood: Float64Array;
  logJoint: Float64Array;
  /** log p_θ(z_g | x) (a density) and the normalised node masses τ_g p(z_g|x) (sum 1). */
  logPosterior: Float64Array;
  posteriorMass: Float64Array;
  posteriorMean: Float64Array;
  /** 2×2 row-major. */
  posteriorCovariance: Float64Array;
  /** Posterior mass on the outermost ring of nodes. */
  edgeMass: number;
  /** Posterior mass outside the fine box according to the pilot grid (0 with a fixed extent). */
  pilotMassOutside: number;
  q?: GridExpectations;
}

/**
 * Quadrature over the 2-D latent of `decoder` for one data vector x ([1, D] tensor, [D] tensor
 * or array of D numbers). See the file comment for the grid choice and the error estimates.
 */
export function quadrature2d(decoder: GenerativeModel, x: tf.Tensor | ArrayLike<number>, options: QuadratureOptions = {}): QuadratureResult {
  const fn = 'quadrature2d';
  checkGenerativeModel(fn, 'decoder', decoder);
  if (decoder.latentSize !== 2) {
    throw new RangeError(`${fn}: decoder.latentSize must be 2 (quadrature is over a 2-D latent), got ${decoder.latentSize}`);
  }
  const xv = Float32Array.from(toDataVector(fn, x));
  const points = checkInteger(fn, 'options.pointsPerAxis', options.pointsPerAxis ?? 151, 2);
  const pilotPoints = checkInteger(fn, 'options.pilotPointsPerAxis', options.pilotPointsPerAxis ?? 61, 2);
  const epsilon = checkNumber(fn, 'options.epsilon', options.epsilon ?? 1e-6, Number.MIN_VALUE, 0.5);
  const q = options.q === undefined ? undefined : toDiagonalParameters(fn, 'options.q', options.q, 2);
  const maxRows = options.maxRowsPerChunk === undefined ? defaultChunkRows(xv.length)
    : checkInteger(fn, 'options.maxRowsPerChunk', options.maxRowsPerChunk, 1);
  const evaluate = (grid: Grid2d): Float64Array => logLikelihoodOnGrid(decoder, xv, grid, maxRows);
  let box: Box;
  let pilotMassOutside = 0;
  const extent = options.extent === undefined ? undefined : checkBox2d(fn, 'options.extent', options.extent);
  if (extent !== undefined) {
    box = extent;
  } else {
    const chosen = chooseBox(evaluate, q, epsilon, pilotPoints);
    box = chosen.box;
    pilotMassOutside = chosen.pilotMassOutside;
  }
  const grid = makeGrid(box, points);
  const result = summarize(grid, evaluate(grid), pilotMassOutside);
  if (q) {
    const qGrid = extent !== undefined ? grid : makeGrid(gaussianBox(q.mean, q.logVariance, epsilon), points);
    const qLogLikelihood = qGrid === grid ? result.logLikelihood : evaluate(qGrid);
    const expectations = expectationsUnderQ(qGrid, q, qLogLikelihood, [result.logMarginal, result.logMarginalHalvedGrid]);
    result.q = { ...expectations, posteriorMassOutsideBox: massOutside(result.posteriorMass, grid, qGrid.extent) };
    if (extent === undefined && result.q.posteriorMassOutsideBox > epsilon) {
      const { ratioError, ...ratio } = expectedRatioOnUnion(qGrid, grid, q, evaluate, result.posteriorMass, points);
      result.q = { ...result.q, ...ratio, discretizationError: { ...result.q.discretizationError, logExpectedRatio: ratioError } };
    }
  }
  return result;
}

/**
 * E_q[p/q] = ∫ p(x, z) dz needs p's mass, which may lie outside q's box (a poor q). Then the
 * ratio is recomputed on a grid over q's box ∪ the posterior's box.
 */
function expectedRatioOnUnion(
  qGrid: Grid2d, posteriorGrid: Grid2d, q: DiagonalGaussianParameters, evaluate: (grid: Grid2d) => Float64Array,
  posteriorMass: Float64Array, points: number,
): { logExpectedRatio: number; posteriorMassOutsideBox: number; ratioGridExtent: Box; ratioError: number } {
  const union = makeGrid(unionBox(qGrid.extent, posteriorGrid.extent), points);
  const logLikelihood = evaluate(union);
  const logJoint = logLikelihood.map((ll, g) => ll + logPriorAt(union, g));
  const logQ = logDiagonalGaussianOnGrid(q, union);
  const fine = qExpectations(union.logWeights, logQ, logLikelihood, logJoint, union);
  const coarse = qExpectations(halvedGridLogWeights(union), logQ, logLikelihood, logJoint, union);
  return {
    logExpectedRatio: fine.logExpectedRatio,
    posteriorMassOutsideBox: massOutside(posteriorMass, posteriorGrid, union.extent),
    ratioGridExtent: union.extent,
    ratioError: Math.abs(fine.logExpectedRatio - coarse.logExpectedRatio),
  };
}

/** log N(z_g; μ, diag s²) at every node of a grid. */
export function logDiagonalGaussianOnGrid(q: DiagonalGaussianParameters, grid: Grid2d): Float64Array {
  return Float64Array.from({ length: grid.axis0.length * grid.axis1.length }, (_, g) => logQAt(q, grid, g));
}

/** A grid of n×n nodes on the box, with trapezoid log-weights. */
export function makeGrid(box: Box, n: number): Grid2d {
  // The last node is the box's upper edge itself (lo + (n−1)·h can round past it, and a node past
  // the edge would count as outside the grid's own box).
  const axis = (k: 0 | 1): Float64Array => Float64Array.from({ length: n }, (_, i) => (i === n - 1 ? box[k][1] : box[k][0] + (i * (box[k][1] - box[k][0])) / (n - 1)));
  const spacing: [number, number] = [(box[0][1] - box[0][0]) / (n - 1), (box[1][1] - box[1][0]) / (n - 1)];
  const logWeights = new Float64Array(n * n);
  const edge = (i: number): number => (i === 0 || i === n - 1 ? Math.log(0.5) : 0);
  const logArea = Math.log(spacing[0] * spacing[1]);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) logWeights[i * n + j] = logArea + edge(i) + edge(j);
  return { axis0: axis(0), axis1: axis(1), spacing, extent: box, logWeights };
}

/** log p_θ(x | z_g) at every node, decoder called in chunks of rows. */
function logLikelihoodOnGrid(decoder: GenerativeModel, x: Float32Array, grid: Grid2d, maxRows: number): Float64Array {
  const n0 = grid.axis0.length;
  const n1 = grid.axis1.length;
  const total = n0 * n1;
  const out = new Float64Array(total);
  for (let start = 0; start < total; start += maxRows) {
    const rows = Math.min(maxRows, total - start);
    const z = new Float32Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      const g = start + r;
      z[2 * r] = grid.axis0[Math.floor(g / n1)];
      z[2 * r + 1] = grid.axis1[g % n1];
    }
    const values = tf.tidy(() => {
      const xs = tf.tile(tf.tensor2d(x, [1, x.length]), [rows, 1]) as tf.Tensor2D;
      const ll = decoder.logLikelihood(xs, tf.tensor2d(z, [rows, 2]));
      if (!(ll instanceof tf.Tensor) || ll.rank !== 1 || ll.shape[0] !== rows) {
        throw new RangeError(`quadrature2d: decoder.logLikelihood must return a [${rows}] tensor, got ${ll instanceof tf.Tensor ? shapeString(ll.shape) : typeof ll}`);
      }
      return ll;
    });
    out.set(values.dataSync(), start);
    values.dispose();
  }
  return out;
}

function logPriorAt(grid: Grid2d, g: number): number {
  const n1 = grid.axis1.length;
  const a = grid.axis0[Math.floor(g / n1)];
  const b = grid.axis1[g % n1];
  return -LOG_2PI - 0.5 * (a * a + b * b);
}

function logQAt(q: DiagonalGaussianParameters, grid: Grid2d, g: number): number {
  const n1 = grid.axis1.length;
  return logNormalDiagonal([grid.axis0[Math.floor(g / n1)], grid.axis1[g % n1]], q.mean, q.logVariance);
}

/** Box holding N(μ, diag s²) up to mass ε (per axis ±Φ⁻¹(1 − ε/4) s). */
function gaussianBox(mean: ArrayLike<number>, logVariance: ArrayLike<number>, epsilon: number): Box {
  const r = normalUpperQuantile(epsilon / 4);
  const side = (k: number): [number, number] => {
    const s = Math.exp(0.5 * logVariance[k]);
    return [mean[k] - r * s, mean[k] + r * s];
  };
  return [side(0), side(1)];
}

function unionBox(a: Box, b: Box): Box {
  return [[Math.min(a[0][0], b[0][0]), Math.max(a[0][1], b[0][1])], [Math.min(a[1][0], b[1][0]), Math.max(a[1][1], b[1][1])]];
}

/** Normalised node masses of exp(logValues + logWeights). */
function normalizedMasses(logValues: Float64Array, logWeights: Float64Array): { logTotal: number; mass: Float64Array; logMass: Float64Array } {
  const terms = logValues.map((v, g) => v + logWeights[g]);
  const logTotal = logSumExp(terms);
  const logMass = terms.map((t) => t - logTotal);
  return { logTotal, mass: logMass.map(Math.exp), logMass };
}

function ringMass(mass: Float64Array, n0: number, n1: number): number {
  let s = 0;
  for (let i = 0; i < n0; i++) for (let j = 0; j < n1; j++) {
    if (i === 0 || j === 0 || i === n0 - 1 || j === n1 - 1) s += mass[i * n1 + j];
  }
  return s;
}

/** Steps 1–2 of the file comment: pilot box (prior ∪ q), pilot posterior, fine posterior box. */
function chooseBox(
  evaluate: (grid: Grid2d) => Float64Array, q: DiagonalGaussianParameters | undefined, epsilon: number, pilotPoints: number,
): { box: Box; pilotMassOutside: number } {
  const prior = gaussianBox([0, 0], [0, 0], epsilon);
  const qBox = q ? gaussianBox(q.mean, q.logVariance, epsilon) : null;
  let box = qBox ? unionBox(prior, qBox) : prior;
  let pilot = makeGrid(box, pilotPoints);
  let mass = pilotPosterior(pilot, evaluate(pilot));
  for (let attempt = 0; attempt < 4 && ringMass(mass, pilotPoints, pilotPoints) > epsilon; attempt++) {
    box = scaleBox(box, 2);
    pilot = makeGrid(box, pilotPoints);
    mass = pilotPosterior(pilot, evaluate(pilot));
  }
  const posteriorBox: Box = [marginalRange(mass, pilot, 0, epsilon), marginalRange(mass, pilot, 1, epsilon)];
  return { box: posteriorBox, pilotMassOutside: massOutside(mass, pilot, posteriorBox) };
}

function pilotPosterior(grid: Grid2d, logLikelihood: Float64Array): Float64Array {
  return normalizedMasses(logLikelihood.map((ll, g) => ll + logPriorAt(grid, g)), grid.logWeights).mass;
}

function scaleBox(box: Box, factor: number): Box {
  return box.map(([lo, hi]) => {
    const c = 0.5 * (lo + hi);
    const h = 0.5 * (hi - lo) * factor;
    return [c - h, c + h];
  }) as Box;
}

/** The range of axis k leaving ≤ ε/4 of the marginal mass in each tail, padded by two pilot cells. */
function marginalRange(mass: Float64Array, grid: Grid2d, k: 0 | 1, epsilon: number): [number, number] {
  const axis = k === 0 ? grid.axis0 : grid.axis1;
  const n0 = grid.axis0.length;
  const n1 = grid.axis1.length;
  const marginal = new Float64Array(axis.length);
  for (let i = 0; i < n0; i++) for (let j = 0; j < n1; j++) marginal[k === 0 ? i : j] += mass[i * n1 + j];
  // The marginal sums to 1 > ε/4 (ε ≤ ½): the lower cut stops at the last row at the latest, and
  // the upper one at lo, since rows lo… hold at least 1 − ε/4 > ε/4. No bound checks are needed.
  let lo = 0;
  for (let cum = 0; cum + marginal[lo] <= epsilon / 4; lo++) cum += marginal[lo];
  let hi = axis.length - 1;
  for (let cum = 0; cum + marginal[hi] <= epsilon / 4; hi--) cum += marginal[hi];
  const pad = 2 * grid.spacing[k];
  return [axis[lo] - pad, axis[hi] + pad];
}

function massOutside(mass: Float64Array, grid: Grid2d, box: Box): number {
  const n1 = grid.axis1.length;
  let s = 0;
  for (let g = 0; g < mass.length; g++) {
    const a = grid.axis0[Math.floor(g / n1)];
    const b = grid.axis1[g % n1];
    if (a < box[0][0] || a > box[0][1] || b < box[1][0] || b > box[1][1]) s += mass[g];
  }
  return s;
}

/** The grid of every other node (spacing doubled) with its trapezoid weights, as a node mask. */
export function halvedGridLogWeights(grid: Grid2d): Float64Array {
  const n = grid.axis0.length;
  const last = n - 1 - ((n - 1) % 2);
  const out = new Float64Array(n * n).fill(-Infinity);
  const logArea = Math.log(4 * grid.spacing[0] * grid.spacing[1]);
  const edge = (i: number): number => (i === 0 || i === last ? Math.log(0.5) : 0);
  for (let i = 0; i <= last; i += 2) for (let j = 0; j <= last; j += 2) out[i * n + j] = logArea + edge(i) + edge(j);
  return out;
}

function summarize(grid: Grid2d, logLikelihood: Float64Array, pilotMassOutside: number): QuadratureResult {
  const n = grid.axis0.length;
  const logJoint = logLikelihood.map((ll, g) => ll + logPriorAt(grid, g));
  const { logTotal: logMarginal, mass } = normalizedMasses(logJoint, grid.logWeights);
  const halved = halvedGridLogWeights(grid);
  const logMarginalHalvedGrid = n >= 3 ? normalizedMasses(logJoint, halved).logTotal : NaN;
  const edgeMass = ringMass(mass, n, n);
  const discretization = Math.abs(logMarginal - logMarginalHalvedGrid);
  const truncation = pilotMassOutside + edgeMass;
  const mean = new Float64Array(2);
  const cov = new Float64Array(4);
  forEachNode(grid, (g, z0, z1) => { mean[0] += mass[g] * z0; mean[1] += mass[g] * z1; });
  forEachNode(grid, (g, z0, z1) => {
    const d = [z0 - mean[0], z1 - mean[1]];
    for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) cov[a * 2 + b] += mass[g] * d[a] * d[b];
  });
  return {
    grid, logMarginal, logMarginalHalvedGrid,
    errorEstimate: { discretization, truncation, total: discretization + truncation },
    logLikelihood, logJoint,
    logPosterior: logJoint.map((v) => v - logMarginal),
    posteriorMass: mass, posteriorMean: mean, posteriorCovariance: cov, edgeMass, pilotMassOutside,
  };
}

function forEachNode(grid: Grid2d, f: (g: number, z0: number, z1: number) => void): void {
  const n1 = grid.axis1.length;
  for (let i = 0; i < grid.axis0.length; i++) for (let j = 0; j < n1; j++) f(i * n1 + j, grid.axis0[i], grid.axis1[j]);
}

function expectationsUnderQ(
  grid: Grid2d, q: DiagonalGaussianParameters, logLikelihood: Float64Array, logMarginal: [number, number],
): Omit<GridExpectations, 'posteriorMassOutsideBox'> {
  const logJoint = logLikelihood.map((ll, g) => ll + logPriorAt(grid, g));
  const logDensity = logDiagonalGaussianOnGrid(q, grid);
  const halved = halvedGridLogWeights(grid);
  const fine = qExpectations(grid.logWeights, logDensity, logLikelihood, logJoint, grid);
  const coarse = qExpectations(halved, logDensity, logLikelihood, logJoint, grid);
  const qOutside = Math.min(1, [0, 1].reduce((s, k) => {
    const sd = Math.exp(0.5 * q.logVariance[k]);
    return s + normalUpperTail((q.mean[k] - grid.extent[k][0]) / sd) + normalUpperTail((grid.extent[k][1] - q.mean[k]) / sd);
  }, 0));
  // Renormalising q on the box drops E_q[f · 1(outside)]; f = log p(x,z) − log q grows beyond the
  // box (quadratically for Gaussian tails), so bound it by twice its largest deviation on the edge.
  let edgeDeviation = 0;
  const n = grid.axis0.length;
  forEachNode(grid, (g) => {
    const i = Math.floor(g / n);
    const j = g % n;
    if (i === 0 || j === 0 || i === n - 1 || j === n - 1) {
      edgeDeviation = Math.max(edgeDeviation, Math.abs(logJoint[g] - logDensity[g] - fine.elbo));
    }
  });
  return {
    ...fine, massOutsideBox: qOutside, truncationError: 2 * qOutside * edgeDeviation, klToPosterior: logMarginal[0] - fine.elbo,
    discretizationError: {
      elbo: Math.abs(fine.elbo - coarse.elbo),
      klToPosterior: Math.abs(logMarginal[0] - fine.elbo - (logMarginal[1] - coarse.elbo)),
      logExpectedRatio: Math.abs(fine.logExpectedRatio - coarse.logExpectedRatio),
    },
    grid, logDensity, logJoint, ratioGridExtent: grid.extent,
  };
}

function qExpectations(
  logWeights: Float64Array, logQ: Float64Array, logLikelihood: Float64Array, logJoint: Float64Array, grid: Grid2d,
): { massOnGrid: number; reconstruction: number; expectedLogPrior: number; entropy: number; elbo: number; logExpectedRatio: number } {
  const { logTotal, mass, logMass } = normalizedMasses(logQ, logWeights);
  let reconstruction = 0;
  let expectedLogPrior = 0;
  let expectedLogQ = 0;
  for (let g = 0; g < mass.length; g++) {
    if (mass[g] === 0) continue;
    reconstruction += mass[g] * logLikelihood[g];
    expectedLogPrior += mass[g] * logPriorAt(grid, g);
    expectedLogQ += mass[g] * logQ[g];
  }
  // In logs throughout: where q's mass underflows to 0 far out, p/q need not be small.
  const logExpectedRatio = logSumExp(logJoint.map((lj, g) => logMass[g] + lj - logQ[g]));
  return {
    massOnGrid: Math.exp(logTotal), reconstruction, expectedLogPrior, entropy: -expectedLogQ,
    elbo: reconstruction + expectedLogPrior - expectedLogQ, logExpectedRatio,
  };
}
