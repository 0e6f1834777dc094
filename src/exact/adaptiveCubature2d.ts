/**
 * A second quadrature route over a 2-D latent, written independently of quadrature2d (it shares
 * no code with it beyond the model's own log-densities): adaptive cubature.
 *
 * The rule: on each rectangular cell the tensor product of 4-point Gauss–Legendre rules (exact
 * for polynomials of degree 7 in each coordinate). Every cell is integrated twice, as a whole
 * ("coarse") and as the sum of its four quarters ("fine"); the fine sum is the estimate and
 * |coarse − fine| its error estimate. While the summed error is above the tolerance, the cells
 * with the largest errors are split into their quarters, in rounds (one batched decoder call per
 * round), up to a budget of evaluations. The error estimate is 2 Σ |coarse − fine| over the leaf
 * cells. For smooth integrands |coarse − fine| alone over-states the error of the fine sum by
 * orders of magnitude; for a kink (ReLU decoders) it is about 3× the fine sum's error in a typical
 * cell, but where a kink runs parallel to a column of cells at the same relative place the plain
 * sum fell short of the actual error by 1.4× (test/exact/adaptiveCubature2d.test.ts): the factor 2
 * covers that. Truncation: the integral over the cells that touch the box edge (`boundaryMass`),
 * which exceeds what lies beyond the box for integrands that decay outward.
 *
 * On top of it, for a decoder p_θ(x|z) with a 2-D latent and the prior N(0, I):
 *  - logMarginalByCubature: log p_θ(x) = log ∫ p_θ(x|z) p(z) dz over a box around the prior
 *    (±6 per axis, doubled while the edge cells hold more than 1e-6 of the mass);
 *  - elboByCubature: E_q[log p_θ(x, z) − log q(z|x)] for a diagonal Gaussian q, integrated in
 *    q's standardised coordinates e = (z − μ)/σ over ±6 per axis, every term evaluated at the
 *    nodes (no closed-form KL or entropy); truncation: twice q's mass outside the box times the
 *    largest |f − f(μ)| on the outermost unit strip of the box;
 *  - klToPosteriorByCubature: KL(q ‖ p_θ(z|x)) = E_q[log q(z|x) − log p̂_θ(z|x)] with the
 *    posterior log p̂_θ(z|x) = log p_θ(x, z) − log Ẑ normalised by the first route's Ẑ.
 * These are estimates, not rigorous bounds (a feature narrower than the node spacing of the first
 * round can be missed); they cover the integration only: the decoder computes log p(x|z) in float32.
 */
import * as tf from '@tensorflow/tfjs';
import { LOG_2PI } from '../distributions/gaussian';
import type { GenerativeModel } from '../objectives/types';
import { checkGenerativeModel } from '../objectives/sampleJoint';
import { defaultChunkRows } from '../objectives/monteCarlo';
import { checkBox2d, checkInteger, checkNumber, checkObject, shapeString } from '../checks';
import { DiagonalGaussianLike, toDataVector, toDiagonalParameters } from './inputs';

/** A rectangle [[lo0, hi0], [lo1, hi1]]. */
export type Rectangle = [[number, number], [number, number]];

/** 4-point Gauss–Legendre nodes and weights on [−1, 1]. */
const NODES = [-0.8611363115940526, -0.3399810435848563, 0.3399810435848563, 0.8611363115940526];
const WEIGHTS = [0.3478548451374538, 0.6521451548625461, 0.6521451548625461, 0.3478548451374538];
const RULE_SIZE = 16;

export interface CubatureOptions {
  /** Cells per axis of the first round (default 6). */
  initialCells?: number;
  /** Stop when the summed error estimate is ≤ max(absoluteTolerance, relativeTolerance·|estimate|). */
  absoluteTolerance?: number;
  relativeTolerance?: number;
  /** Integrand evaluations allowed in all (default 60,000). */
  maxEvaluations?: number;
}

export interface CubatureResult {
  /** The estimate: Σ over the leaf cells of their four quarters' rules. */
  value: number;
  /** 2 Σ over the leaf cells of |cell rule − quarters' rules| (see the file comment for the 2). */
  errorEstimate: number;
  /** Σ |estimate| over the leaf cells touching the box edge. */
  boundaryMass: number;
  evaluations: number;
  cells: number;
  /** Whether the error estimate met the tolerance within the budget. */
  converged: boolean;
}

interface Cell {
  rect: Rectangle;
  coarse: number;
  quarters: number[];
  fine: number;
  error: number;
}

function quartersOf(r: Rectangle): Rectangle[] {
  const m0 = 0.5 * (r[0][0] + r[0][1]);
  const m1 = 0.5 * (r[1][0] + r[1][1]);
  return [
    [[r[0][0], m0], [r[1][0], m1]], [[r[0][0], m0], [m1, r[1][1]]],
    [[m0, r[0][1]], [r[1][0], m1]], [[m0, r[0][1]], [m1, r[1][1]]],
  ];
}

function pushNodes(points: number[], r: Rectangle): void {
  const c0 = 0.5 * (r[0][0] + r[0][1]), h0 = 0.5 * (r[0][1] - r[0][0]);
  const c1 = 0.5 * (r[1][0] + r[1][1]), h1 = 0.5 * (r[1][1] - r[1][0]);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) points.push(c0 + h0 * NODES[i], c1 + h1 * NODES[j]);
}

function ruleValue(values: Float64Array, offset: number, r: Rectangle): number {
  let s = 0;
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) s += WEIGHTS[i] * WEIGHTS[j] * values[offset + 4 * i + j];
  return 0.25 * (r[0][1] - r[0][0]) * (r[1][1] - r[1][0]) * s;
}

function touchesEdge(r: Rectangle, box: Rectangle): boolean {
  return r[0][0] === box[0][0] || r[0][1] === box[0][1] || r[1][0] === box[1][0] || r[1][1] === box[1][1];
}

/**
 * ∫∫ over `box` of f, where `integrand(points)` returns f at the points (row-major [m, 2]) as m
 * finite numbers. See the file comment for the rule, the error estimate and the refinement.
 */
export function adaptiveCubature2d(integrand: (points: Float64Array) => Float64Array, box: Rectangle, options: CubatureOptions = {}): CubatureResult {
  const fn = 'adaptiveCubature2d';
  if (typeof integrand !== 'function') throw new TypeError(`${fn}: integrand must be a function of the points`);
  checkBox2d(fn, 'box', box);
  const initialCells = checkInteger(fn, 'options.initialCells', options.initialCells ?? 6, 1);
  const absoluteTolerance = checkNumber(fn, 'options.absoluteTolerance', options.absoluteTolerance ?? 0, 0);
  const relativeTolerance = checkNumber(fn, 'options.relativeTolerance', options.relativeTolerance ?? 0, 0);
  if (absoluteTolerance === 0 && relativeTolerance === 0) throw new RangeError(`${fn}: give options.absoluteTolerance or options.relativeTolerance (> 0)`);
  const maxEvaluations = checkInteger(fn, 'options.maxEvaluations', options.maxEvaluations ?? 60000, 1);
  let evaluations = 0;
  // Evaluates the quarters of each rectangle (and the rectangle itself when its coarse value is not known).
  const evaluate = (requests: Array<{ rect: Rectangle; coarse?: number }>): Cell[] => {
    const points: number[] = [];
    for (const { rect, coarse } of requests) {
      if (coarse === undefined) pushNodes(points, rect);
      for (const quarter of quartersOf(rect)) pushNodes(points, quarter);
    }
    const values = integrand(Float64Array.from(points));
    if (!(values instanceof Float64Array) || values.length !== points.length / 2) {
      throw new RangeError(`${fn}: integrand must return a Float64Array of ${points.length / 2} values`);
    }
    for (let k = 0; k < values.length; k++) {
      if (!Number.isFinite(values[k])) throw new RangeError(`${fn}: integrand returned ${values[k]} at (${points[2 * k]}, ${points[2 * k + 1]})`);
    }
    evaluations += values.length;
    let offset = 0;
    return requests.map(({ rect, coarse }) => {
      let own = coarse as number;
      if (coarse === undefined) {
        own = ruleValue(values, offset, rect);
        offset += RULE_SIZE;
      }
      const quarters = quartersOf(rect).map((q) => {
        const v = ruleValue(values, offset, q);
        offset += RULE_SIZE;
        return v;
      });
      const fine = quarters[0] + quarters[1] + quarters[2] + quarters[3];
      return { rect, coarse: own, quarters, fine, error: 2 * Math.abs(own - fine) };
    });
  };
  const w0 = (box[0][1] - box[0][0]) / initialCells;
  const w1 = (box[1][1] - box[1][0]) / initialCells;
  const first: Array<{ rect: Rectangle }> = [];
  for (let i = 0; i < initialCells; i++) {
    for (let j = 0; j < initialCells; j++) {
      const lo0 = i === 0 ? box[0][0] : box[0][0] + i * w0, hi0 = i === initialCells - 1 ? box[0][1] : box[0][0] + (i + 1) * w0;
      const lo1 = j === 0 ? box[1][0] : box[1][0] + j * w1, hi1 = j === initialCells - 1 ? box[1][1] : box[1][0] + (j + 1) * w1;
      first.push({ rect: [[lo0, hi0], [lo1, hi1]] });
    }
  }
  let cells = evaluate(first);
  const splitCost = 4 * 4 * RULE_SIZE;
  for (;;) {
    const value = cells.reduce((s, c) => s + c.fine, 0);
    const error = cells.reduce((s, c) => s + c.error, 0);
    const tolerance = Math.max(absoluteTolerance, relativeTolerance * Math.abs(value));
    if (error <= tolerance || evaluations + splitCost > maxEvaluations) {
      const boundaryMass = cells.reduce((s, c) => s + (touchesEdge(c.rect, box) ? Math.abs(c.fine) : 0), 0);
      return { value, errorEstimate: error, boundaryMass, evaluations, cells: cells.length, converged: error <= tolerance };
    }
    // Split the largest-error cells until what stays unsplit holds at most a quarter of the tolerance.
    const order = cells.map((_, k) => k).sort((a, b) => cells[b].error - cells[a].error);
    const split = new Set<number>();
    let remaining = error;
    for (const k of order) {
      if (remaining <= 0.25 * tolerance || evaluations + (split.size + 1) * splitCost > maxEvaluations) break;
      split.add(k);
      remaining -= cells[k].error;
    }
    const children = evaluate([...split].flatMap((k) => quartersOf(cells[k].rect).map((rect, q) => ({ rect, coarse: cells[k].quarters[q] }))));
    cells = [...cells.filter((_, k) => !split.has(k)), ...children];
  }
}

/**
 * log p_θ(x | z) at each of the points z (row-major [m, L]), the decoder called in chunks of
 * `maxRows` rows; float64 copies of the decoder's float32 values.
 */
export function logLikelihoodAtPoints(decoder: GenerativeModel, x: Float32Array, points: Float64Array, maxRows = defaultChunkRows(x.length)): Float64Array {
  const l = decoder.latentSize;
  const m = points.length / l;
  const out = new Float64Array(m);
  for (let start = 0; start < m; start += maxRows) {
    const rows = Math.min(maxRows, m - start);
    const values = tf.tidy(() => {
      const xs = tf.tile(tf.tensor2d(x, [1, x.length]), [rows, 1]) as tf.Tensor2D;
      const z = tf.tensor2d(Float32Array.from(points.subarray(start * l, (start + rows) * l)), [rows, l]);
      const ll = decoder.logLikelihood(xs, z);
      if (!(ll instanceof tf.Tensor) || ll.rank !== 1 || ll.shape[0] !== rows) {
        throw new RangeError(`logLikelihoodAtPoints: decoder.logLikelihood must return a [${rows}] tensor, got ${ll instanceof tf.Tensor ? shapeString(ll.shape) : typeof ll}`);
      }
      return ll;
    });
    out.set(values.dataSync(), start);
    values.dispose();
  }
  return out;
}

function decoderAndData(fn: string, decoder: GenerativeModel, x: unknown): Float32Array {
  checkGenerativeModel(fn, 'decoder', decoder);
  if (decoder.latentSize !== 2) throw new RangeError(`${fn}: decoder.latentSize must be 2, got ${decoder.latentSize}`);
  return Float32Array.from(toDataVector(fn, x));
}

/** Error estimates of a cubature route (nats). */
export interface CubatureError {
  /** From |cell rule − quarters' rules| (relative to the integral for log p(x)). */
  discretization: number;
  /** From the cells at the box edge. */
  truncation: number;
  total: number;
}

export interface CubatureLogMarginal {
  logMarginal: number;
  errorEstimate: CubatureError;
  /** The box integrated over (after any doubling). */
  box: Rectangle;
  evaluations: number;
  converged: boolean;
}

export interface LogMarginalCubatureOptions extends Omit<CubatureOptions, 'absoluteTolerance'> {
  /** Default [[−6, 6], [−6, 6]] (the prior's mass outside: about 4e-9). */
  box?: Rectangle;
  /** Rows per decoder call. */
  maxRowsPerChunk?: number;
}

/**
 * log p_θ(x) = log ∫ p_θ(x|z) N(z; 0, I) dz by adaptive cubature (relative tolerance default
 * 1e-3, i.e. about 1e-3 nats). The integrand is exp(log p_θ(x, z) − c), c the largest log-joint
 * of the first round. The box is doubled (at most twice) while its edge cells hold > 1e-6 of the mass.
 */
export function logMarginalByCubature(decoder: GenerativeModel, x: tf.Tensor | ArrayLike<number>, options: LogMarginalCubatureOptions = {}): CubatureLogMarginal {
  const fn = 'logMarginalByCubature';
  const xv = decoderAndData(fn, decoder, x);
  let box = checkBox2d(fn, 'options.box', options.box ?? [[-6, 6], [-6, 6]]);
  let evaluations = 0;
  for (let attempt = 0; ; attempt++) {
    let shift = NaN;
    const integrand = (points: Float64Array): Float64Array => {
      const ll = logLikelihoodAtPoints(decoder, xv, points, options.maxRowsPerChunk);
      const logJoint = ll.map((v, k) => v - LOG_2PI - 0.5 * (points[2 * k] ** 2 + points[2 * k + 1] ** 2));
      if (Number.isNaN(shift)) {
        // The first round's largest log p(x, z): every value exp(· − shift) ≤ 1 there, and the integral > 0.
        shift = Math.max(...logJoint);
        if (!Number.isFinite(shift)) throw new RangeError(`${fn}: log p(x, z) is ${shift} at best on the first round's nodes of the box ${JSON.stringify(box)}`);
      }
      return logJoint.map((v) => Math.exp(v - shift));
    };
    const r = adaptiveCubature2d(integrand, box, {
      initialCells: options.initialCells, relativeTolerance: options.relativeTolerance ?? 1e-3, maxEvaluations: options.maxEvaluations,
    });
    evaluations += r.evaluations;
    const truncation = r.boundaryMass / r.value;
    if (truncation <= 1e-6 || attempt === 2) {
      const discretization = r.errorEstimate / r.value;
      return {
        logMarginal: shift + Math.log(r.value), errorEstimate: { discretization, truncation, total: discretization + truncation },
        box, evaluations, converged: r.converged,
      };
    }
    box = box.map(([lo, hi]) => [1.5 * lo - 0.5 * hi, 1.5 * hi - 0.5 * lo]) as Rectangle;
  }
}

export interface CubatureElbo {
  /** E_q[log p_θ(x, z) − log q(z|x)]. */
  elbo: number;
  errorEstimate: CubatureError;
  evaluations: number;
  converged: boolean;
}

export interface ElboCubatureOptions extends Omit<CubatureOptions, 'relativeTolerance'> {
  /** Half-width of the box in q's standard deviations (default 6). */
  halfWidth?: number;
  maxRowsPerChunk?: number;
}

/**
 * The ELBO of a diagonal Gaussian q, E_q[log p_θ(x|z) + log p(z) − log q(z|x)], by adaptive
 * cubature in q's standardised coordinates e (z = μ + σ ⊙ e): the integrand N(e; 0, I) · [f(z) −
 * f(μ)] with f the log-ratio evaluated at each node (absolute tolerance default 1e-3 nats, at most
 * 20,000 evaluations by default). Truncation: the estimate E_q[f] ≈ f(μ) + ∫_box N(e)[f − f(μ)]
 * drops the integral beyond the box, taken as 2 × q's mass outside × the largest |f − f(μ)| at the
 * nodes within 1 of the box edge (f grows at most quadratically outward).
 */
export function elboByCubature(decoder: GenerativeModel, x: tf.Tensor | ArrayLike<number>, q: DiagonalGaussianLike, options: ElboCubatureOptions = {}): CubatureElbo {
  const fn = 'elboByCubature';
  const xv = decoderAndData(fn, decoder, x);
  const { mean, logVariance } = toDiagonalParameters(fn, 'q', q, 2);
  const r = checkNumber(fn, 'options.halfWidth', options.halfWidth ?? 6, 2);
  const sd = [Math.exp(0.5 * logVariance[0]), Math.exp(0.5 * logVariance[1])];
  // f at the points e (standardised), and the standard normal density of e.
  const logRatio = (e: Float64Array): { f: Float64Array; logDensity: Float64Array } => {
    const m = e.length / 2;
    const z = new Float64Array(2 * m);
    for (let k = 0; k < m; k++) for (let u = 0; u < 2; u++) z[2 * k + u] = mean[u] + sd[u] * e[2 * k + u];
    const ll = logLikelihoodAtPoints(decoder, xv, z, options.maxRowsPerChunk);
    const f = new Float64Array(m);
    const logDensity = new Float64Array(m);
    for (let k = 0; k < m; k++) {
      let logPrior = -LOG_2PI;
      let logQ = -LOG_2PI;
      for (let u = 0; u < 2; u++) {
        logPrior -= 0.5 * z[2 * k + u] ** 2;
        logQ -= 0.5 * (logVariance[u] + (z[2 * k + u] - mean[u]) ** 2 / Math.exp(logVariance[u]));
      }
      f[k] = ll[k] + logPrior - logQ;
      logDensity[k] = -LOG_2PI - 0.5 * (e[2 * k] ** 2 + e[2 * k + 1] ** 2);
    }
    return { f, logDensity };
  };
  const atMean = logRatio(new Float64Array(2)).f[0];
  let edgeDeviation = 0;
  const result = adaptiveCubature2d((e) => {
    const { f, logDensity } = logRatio(e);
    for (let k = 0; k < f.length; k++) {
      if (Math.max(Math.abs(e[2 * k]), Math.abs(e[2 * k + 1])) >= r - 1) edgeDeviation = Math.max(edgeDeviation, Math.abs(f[k] - atMean));
    }
    return f.map((v, k) => Math.exp(logDensity[k]) * (v - atMean));
  }, [[-r, r], [-r, r]], {
    initialCells: options.initialCells ?? 4, absoluteTolerance: options.absoluteTolerance ?? 1e-3, maxEvaluations: options.maxEvaluations ?? 20000,
  });
  const truncation = 2 * Math.min(1, 4 * normalTail(r)) * edgeDeviation;
  return {
    elbo: atMean + result.value,
    errorEstimate: { discretization: result.errorEstimate, truncation, total: result.errorEstimate + truncation },
    evaluations: result.evaluations + 1, converged: result.converged,
  };
}

/** P(Z > t) for t ≥ 1 by the continued-fraction bound φ(t)/t (an upper bound). */
function normalTail(t: number): number {
  return Math.exp(-0.5 * t * t) / (t * Math.sqrt(2 * Math.PI));
}

export interface CubatureKl {
  /** KL(q ‖ p_θ(z|x)) = log Ẑ − E_q[log p_θ(x, z) − log q(z|x)]. */
  kl: number;
  logMarginal: CubatureLogMarginal;
  elbo: CubatureElbo;
  /** Sum of the two routes' error estimates (nats). */
  errorEstimate: number;
}

/**
 * KL(q ‖ p_θ(z|x)) as E_q[log q(z|x) − log p̂_θ(z|x)], with the posterior normalised by adaptive
 * cubature, log p̂_θ(z|x) = log p_θ(x, z) − log Ẑ (logMarginalByCubature, or `logMarginal` when
 * given, e.g. computed once for a decoder that does not change), and the expectation under q by
 * elboByCubature.
 */
export function klToPosteriorByCubature(
  decoder: GenerativeModel, x: tf.Tensor | ArrayLike<number>, q: DiagonalGaussianLike,
  options: { logMarginal?: CubatureLogMarginal; evidence?: LogMarginalCubatureOptions; expectation?: ElboCubatureOptions } = {},
): CubatureKl {
  const fn = 'klToPosteriorByCubature';
  checkObject(fn, 'options', options);
  const logMarginal = options.logMarginal ?? logMarginalByCubature(decoder, x, options.evidence);
  checkObject(fn, 'options.logMarginal', logMarginal);
  const elbo = elboByCubature(decoder, x, q, options.expectation);
  return { kl: logMarginal.logMarginal - elbo.elbo, logMarginal, elbo, errorEstimate: logMarginal.errorEstimate.total + elbo.errorEstimate.total };
}
