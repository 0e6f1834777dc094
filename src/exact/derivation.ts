/**
 * The seven lines of the ELBO derivation as numbers, for one x, one model and one q:
 *   1  log p_θ(x) = log ∫ p_θ(x,z) dz
 *   2             = log ∫ q(z|x) p_θ(x,z)/q(z|x) dz
 *   3             = log E_q[ p_θ(x,z)/q(z|x) ]
 *   4             ≥ E_q[ log p_θ(x,z)/q(z|x) ]                        (Jensen)
 *   5             = E_q[ log p_θ(x,z) − log q(z|x) ]
 *   6             = E_q[ log p_θ(x|z) + log p(z) − log q(z|x) ]
 *   7             = E_q[ log p_θ(x|z) ] − KL(q(z|x) ‖ p(z))
 * Each line is computed by its own route, so that every relation of the chain compares two
 * computations that share nothing but the model's density evaluations (`method`):
 *  - 'closedForm'  (LinearGaussianModel, latent size ≤ 3, float64): 1 by the L×L Woodbury form of
 *    log N(x; b, WWᵀ + σ²I); 2 as the integral over z of q(z)·(p(x,z)/q(z)) by the trapezoid rule on
 *    a grid over z (q's density evaluated at every node); 3 as the expectation under q of p/q by
 *    q's Gauss–Hermite rule (nodes placed by q's mean and standard deviations, no q density in
 *    the weights); 4 as the grid expectation of log(p/q) under q's normalised node masses (the
 *    grid of line 2); 5 as E_q[log N((x, z); joint)] with the joint of (x, z) as ONE
 *    (D+L)-dimensional Gaussian (closed form, its Cholesky factor) plus the closed-form entropy;
 *    6 as the three closed-form expectations E_q[log p(x|z)] + E_q[log p(z)] + H(q); 7 as the
 *    closed-form E_q[log p(x|z)] − KL(q ‖ N(0, I)). The grids hold all but 1e-12 of q's and of
 *    the posterior's mass; their error estimates are the halved-grid (coarser rule) differences
 *    plus the mass outside.
 *  - 'quadrature'  (any decoder with a 2-D latent, see quadrature2d): 1 on the posterior's grid;
 *    2 on a grid centred on q (other nodes), q·(p/q) with q's density evaluated; 3 by q's
 *    Gauss–Hermite rule; 4 on q's grid with q's normalised node masses; 5 as E_q[log p(x,z) −
 *    log q(z|x)] on a grid of its own in q's standardised coordinates (weights τ·φ(e), both
 *    densities at its nodes); 6 as the three expectations on q's grid;
 *    7 as the grid E_q[log p(x|z)] − the closed-form KL. (For a VAE the joint is DEFINED as
 *    likelihood × prior, so 5 = 6 checks two integrations of the same function.) Each with an
 *    error estimate: halved grid for the grids, the largest difference from four coarser rules
 *    for Gauss–Hermite, twice the halved-grid difference for line 5 (see standardisedGridLine5). No KL to
 *    the posterior is reported: on the grid it would be line 1 − line 4.
 *  - 'monteCarlo'  (any model): ONE sample z_s ~ q; lines 1–3 by log (1/S) Σ_s p/q (importance
 *    sampling with q, delta-method SE; no other estimator exists, so all three are that number),
 *    4–6 by sample means of the same draws, 7 by the sampled reconstruction minus the closed-form
 *    KL. Lines 1–3 are biased low by about SE²/2 (more with heavy-tailed weights; see
 *    effectiveSampleSize). Line 4 ≤ line 3 and lines 4 = 5 = 6 hold for ANY sample (Jensen for
 *    the empirical distribution; the same means regrouped): only 6 = 7 (sampled KL against the
 *    closed form) compares two routes.
 * With a `random` given, closed-form and quadrature results also carry the Monte Carlo column.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../random';
import type { DiagonalGaussian } from '../distributions/gaussian';
import type { GenerativeModel, InferenceModel } from '../objectives/types';
import { checkGenerativeModel, JointSamples, sampleJoint } from '../objectives/sampleJoint';
import { defaultChunkRows, logMeanExp, logMeanExpStandardError } from '../objectives/monteCarlo';
import { meanAndStandardErrorOf } from '../stats/index';
import { checkInteger, checkNumber, checkRandom } from '../checks';
import { DiagonalGaussianLike, DiagonalGaussianParameters, toDataVector, toDiagonalParameters } from './inputs';
import { LinearGaussianModel } from './linearGaussian';
import { Box, Grid2d, halvedGridLogWeights, logDiagonalGaussianOnGrid, makeGrid, QuadratureOptions, quadrature2d, QuadratureResult } from './quadrature2d';
import { cholesky, choleskyInverse, logSumExp, normalUpperQuantile, normalUpperTail } from './linearAlgebra';
import { klDiagonalToStandardNormal, logNormalDiagonal, logNormalFromCholesky } from './gaussianClosedForms';
import { GaussianRule, gaussianRule } from './gaussHermite';

export type StepMethod = 'closedForm' | 'quadrature' | 'monteCarlo';

/** One line of the derivation as a number. */
export interface DerivationStep {
  step: number;
  /** The line in LaTeX. */
  latex: string;
  /** How this number was computed, in a few words. */
  route: string;
  value: number;
  /** Monte Carlo standard error (0 for deterministic methods). */
  standardError: number;
  /** Estimated deterministic error (quadrature; 0 otherwise). */
  errorEstimate: number;
  method: StepMethod;
}

/** The pieces of lines 6–7, each with its Monte Carlo standard error (0 when exact). */
export interface DerivationTerms {
  reconstruction: { value: number; standardError: number };
  expectedLogPrior: { value: number; standardError: number };
  entropy: { value: number; standardError: number };
  klToPrior: { value: number; standardError: number };
}

export interface DerivationResult {
  method: StepMethod;
  steps: DerivationStep[];
  terms: DerivationTerms;
  /**
   * KL(q ‖ p_θ(z|x)) by an independent route: 'closedForm' only (the model's closed form with the
   * full-covariance posterior). Undefined for quadrature (on a grid it would be line 1 − line 4
   * itself) and Monte Carlo.
   */
  klToPosterior?: number;
  /**
   * Monte Carlo only: Kish's effective sample size (Σw)²/Σw² of the importance weights behind
   * lines 1–3. Far below the sample count means heavy-tailed weights: lines 1–3 are then biased
   * low and their delta-method standard errors too small.
   */
  effectiveSampleSize?: number;
  /**
   * Quadrature only: KL(p_θ(z|x) ‖ q) on the posterior's grid (line 1's), the direction that sets
   * how many draws importance sampling with q needs to estimate log p(x): about e^KL (Chatterjee &
   * Diaconis 2018). A grid estimate without an error bound, meant as a guide.
   */
  klPosteriorToQ?: number;
  /** The same seven lines by sampling, when a Random was given and the main method is not Monte Carlo. */
  monteCarlo?: DerivationResult;
}

export interface DerivationOptions {
  /** Needed for 'monteCarlo'; otherwise adds the Monte Carlo column. */
  random?: Random;
  /** Samples z ~ q for Monte Carlo lines (default 1000). */
  samples?: number;
  /** Force a method (default: closedForm for a LinearGaussianModel, quadrature for a 2-D latent, else monteCarlo). */
  method?: StepMethod;
  /** Options of quadrature2d (q is added). */
  quadrature?: Omit<QuadratureOptions, 'q'>;
}

export const STEP_LATEX: readonly string[] = [
  '\\log p_\\theta(x) = \\log \\int p_\\theta(x, z)\\, dz',
  '= \\log \\int q_\\phi(z|x) \\frac{p_\\theta(x, z)}{q_\\phi(z|x)}\\, dz',
  '= \\log \\mathbb{E}_{q_\\phi(z|x)}\\left[\\frac{p_\\theta(x, z)}{q_\\phi(z|x)}\\right]',
  '\\geq \\mathbb{E}_{q_\\phi(z|x)}\\left[\\log \\frac{p_\\theta(x, z)}{q_\\phi(z|x)}\\right]',
  '= \\mathbb{E}_{q_\\phi(z|x)}\\left[\\log p_\\theta(x, z) - \\log q_\\phi(z|x)\\right]',
  '= \\mathbb{E}_{q_\\phi(z|x)}\\left[\\log p_\\theta(x|z) + \\log p(z) - \\log q_\\phi(z|x)\\right]',
  '= \\mathbb{E}_{q_\\phi(z|x)}[\\log p_\\theta(x|z)] - \\mathrm{KL}(q_\\phi(z|x) \\| p(z))',
];

/**
 * The value of every line of the derivation for one data vector x (a [1, D] or [D] tensor, or an
 * array) under `model` and q (explicit, or an InferenceModel whose encode(x) gives it).
 */
export function derivationSteps(
  model: LinearGaussianModel | GenerativeModel, x: tf.Tensor | ArrayLike<number>,
  q: DiagonalGaussianLike | InferenceModel, options: DerivationOptions = {},
): DerivationResult {
  const fn = 'derivationSteps';
  const isLinear = model instanceof LinearGaussianModel;
  const decoder = isLinear ? model.asGenerativeModel() : checkGenerativeModel(fn, 'model', model);
  const method = options.method ?? (isLinear ? 'closedForm' : decoder.latentSize === 2 ? 'quadrature' : 'monteCarlo');
  if (method !== 'closedForm' && method !== 'quadrature' && method !== 'monteCarlo') {
    throw new RangeError(`${fn}: options.method must be 'closedForm', 'quadrature' or 'monteCarlo', got ${String(method)}`);
  }
  if (method === 'closedForm' && !isLinear) throw new RangeError(`${fn}: options.method 'closedForm' needs a LinearGaussianModel`);
  if (method === 'monteCarlo' && options.random === undefined) {
    throw new TypeError(`${fn}: options.random must be a Random for the 'monteCarlo' method`);
  }
  if (options.random !== undefined) checkRandom(fn, 'options.random', options.random);
  const samples = checkInteger(fn, 'options.samples', options.samples ?? 1000, 2);
  const xv = toDataVector(fn, x);
  const qp = resolveQ(fn, q, xv, decoder.latentSize);
  let result: DerivationResult;
  if (method === 'closedForm') result = closedFormSteps(model as LinearGaussianModel, xv, qp);
  else if (method === 'quadrature') result = quadratureSteps(decoder, xv, qp, options.quadrature);
  else return monteCarloSteps(decoder, xv, qp, options.random as Random, samples);
  if (options.random !== undefined) result.monteCarlo = monteCarloSteps(decoder, xv, qp, options.random, samples);
  return result;
}

function resolveQ(fn: string, q: unknown, x: Float64Array, latentSize: number): DiagonalGaussianParameters {
  const model = q as Partial<InferenceModel> | null | undefined;
  if (typeof model?.encode === 'function') {
    const xt = tf.tensor2d(Float32Array.from(x), [1, x.length]);
    let g: DiagonalGaussian | undefined;
    try {
      g = (model as InferenceModel).encode(xt);
      return toDiagonalParameters(fn, 'q.encode(x)', g, latentSize);
    } finally {
      xt.dispose();
      if (g) tf.dispose([g.mean, g.logVariance]);
    }
  }
  return toDiagonalParameters(fn, 'q', q, latentSize);
}

function step(i: number, value: number, method: StepMethod, route: string, standardError = 0, errorEstimate = 0): DerivationStep {
  return { step: i, latex: STEP_LATEX[i - 1], route, value, standardError, errorEstimate, method };
}

const exactTerm = (value: number): { value: number; standardError: number } => ({ value, standardError: 0 });

/** Largest latent size of the 'closedForm' method (its lines 2–4 are quadratures over z). */
export const CLOSED_FORM_MAX_LATENT = 3;

/**
 * Gauss–Hermite nodes per axis by latent size, for line 3: the fine rule, then the coarser rules
 * whose largest difference from it is the error estimate. (A ReLU decoder's log-likelihood has
 * kinks, and the rule then converges erratically: one coarser rule can agree with the fine one by
 * chance. On the digits VAE, 4 held-out digits under 4 seeds, the largest difference from 24–48
 * nodes exceeded line 3's distance from line 1 by 3.4× or more; for the same rule's E_q[log p(x,z)]
 * it did not: off by 2.0e-3 nats where it said 1.2e-3 (by up to 2.4e-3 in all), which is why
 * line 5 is on a grid. Line 3's rule reaches about ±10.5 of q's standard deviations only: where
 * the posterior is much wider than q it misses mass, and so do the coarser rules, so the estimate
 * misses it too; with q 6× narrower than the posterior across the kink of the test's one-kink
 * decoder, line 3 was 25 nats low against an estimate of 8.5. The encoder's q's are not that far
 * from their posteriors: see the 16 digits above.)
 */
const HERMITE_NODES: Record<number, number[]> = { 1: [64, 24, 32, 40, 48], 2: [64, 24, 32, 40, 48], 3: [48, 24, 30, 36] };
/**
 * Line 5 of the quadrature method: nodes per axis (odd, so that the halved grid keeps both ends)
 * and the half-width of its square in q's standard deviations (q's mass outside ≤ 4·P(Z > 7.5) ≈ 1.3e-13).
 */
const LINE5_NODES = 201;
const LINE5_HALF_WIDTH = 7.5;
/** Trapezoid nodes per axis of the float64 grid over z by latent size (odd: the halved grid shares the ends). */
const GRID_NODES: Record<number, number> = { 1: 301, 2: 151, 3: 61 };
/** Mass of q and of the posterior the float64 grid may leave outside its box. */
const GRID_EPSILON = 1e-12;

function closedFormSteps(model: LinearGaussianModel, x: Float64Array, q: DiagonalGaussianParameters): DerivationResult {
  const l = model.latentSize;
  if (l > CLOSED_FORM_MAX_LATENT) {
    throw new RangeError(`derivationSteps: the 'closedForm' method integrates over z on a grid, so the model's latentSize must be ≤ ${CLOSED_FORM_MAX_LATENT}, got ${l}`);
  }
  const e = model.elbo(x, q);
  const logJoint = (z: Float64Array): number => model.logLikelihood(x, z) + logNormalDiagonal(z, new Float64Array(l), new Float64Array(l));
  const post = model.posterior(x);
  const postSd = Float64Array.from({ length: l }, (_, j) => Math.sqrt(post.covariance[j * l + j]));
  const grid = tensorGrid(q, post.mean, postSd, GRID_NODES[l]);
  const lj = Float64Array.from({ length: grid.count }, (_, k) => logJoint(grid.points.subarray(k * l, (k + 1) * l)));
  const lq = Float64Array.from({ length: grid.count }, (_, k) => logNormalDiagonal(grid.points.subarray(k * l, (k + 1) * l), q.mean, q.logVariance));
  const onGrid = gridLines(grid, lj, lq, grid.posteriorMassOutside, grid.qMassOutside);
  const line3 = hermiteLine3(q, HERMITE_NODES[l], (rule) => Float64Array.from({ length: rule.count }, (_, k) => logJoint(rule.points.subarray(k * l, (k + 1) * l))));
  const m = 'closedForm';
  const g = 'quadrature';
  return {
    method: m,
    steps: [
      step(1, model.logMarginal(x), m, 'log N(x; b, WWᵀ + σ²I) via the L×L matrix M (Woodbury)'),
      step(2, onGrid.integral, g, `trapezoid grid over z (${grid.nodesPerAxis}/axis): Σ τ·q(z)·[p(x,z)/q(z)], q's density evaluated`, 0, onGrid.integralError),
      step(3, line3.value, g, `q's Gauss–Hermite rule (${HERMITE_NODES[l][0]}/axis): log Σ W_k p(x,z_k)/q(z_k)`, 0, line3.errorEstimate),
      step(4, onGrid.expectedLogRatio, g, "line 2's grid, q's normalised node masses: Σ m_g log(p(x,z_g)/q(z_g))", 0, onGrid.expectedLogRatioError),
      step(5, jointGaussianExpectation(model, x, q) + e.entropy, m, 'E_q[log N((x,z); joint (D+L)-dim Gaussian)] + H(q), closed forms'),
      step(6, e.reconstruction + e.expectedLogPrior + e.entropy, m, 'closed-form E_q[log p(x|z)] + E_q[log p(z)] + H(q)'),
      step(7, e.reconstruction - e.kl, m, 'closed-form E_q[log p(x|z)] − KL(q ‖ N(0,I))'),
    ],
    terms: {
      reconstruction: exactTerm(e.reconstruction), expectedLogPrior: exactTerm(e.expectedLogPrior),
      entropy: exactTerm(e.entropy), klToPrior: exactTerm(e.kl),
    },
    klToPosterior: model.klToPosterior(x, q),
  };
}

/**
 * E_q[log p_θ(x, z)] for the linear-Gaussian model with the joint of v = (x, z) as one Gaussian
 * N((b, 0), Σ), Σ = [[WWᵀ + σ²I, W], [Wᵀ, I]] (D+L square): for z ~ q = N(μ, diag s²),
 *   E_q[log N(v; m, Σ)] = log N((x, μ); m, Σ) − ½ Σ_j (Σ⁻¹)_{zj,zj} s_j².
 * Never forms p(x|z) or p(z): an independent route to the expectation of line 6's two terms.
 */
export function jointGaussianExpectation(model: LinearGaussianModel, x: ArrayLike<number>, q: DiagonalGaussianParameters): number {
  const { dataSize: d, latentSize: l } = model;
  const n = d + l;
  const c = model.marginalCovariance();
  const joint = new Float64Array(n * n);
  for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) joint[i * n + k] = c[i * d + k];
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < l; j++) {
      joint[i * n + d + j] = model.weights[i * l + j];
      joint[(d + j) * n + i] = model.weights[i * l + j];
    }
  }
  for (let j = 0; j < l; j++) joint[(d + j) * n + d + j] = 1;
  const factor = cholesky(joint, n, 'jointGaussianExpectation');
  const difference = Float64Array.from({ length: n }, (_, i) => (i < d ? x[i] - model.bias[i] : q.mean[i - d]));
  const precision = choleskyInverse(factor, n);
  let trace = 0;
  for (let j = 0; j < l; j++) trace += precision[(d + j) * n + d + j] * Math.exp(q.logVariance[j]);
  return logNormalFromCholesky(factor, n, difference) - 0.5 * trace;
}

/** A tensor-product trapezoid grid over z in float64, with its halved grid (every other node). */
export interface TensorGrid {
  latentSize: number;
  nodesPerAxis: number;
  count: number;
  points: Float64Array;
  logWeights: Float64Array;
  halvedLogWeights: Float64Array;
  /** Node on the box's boundary. */
  edge: Uint8Array;
  /** Union bounds of the mass of q and of the posterior (marginals) outside the box. */
  qMassOutside: number;
  posteriorMassOutside: number;
}

/**
 * A grid of n nodes per axis (n odd, so that the halved grid, every other node, keeps both ends)
 * over the box holding all but GRID_EPSILON of q's mass and of the posterior's (marginal mean ± r
 * sd per axis). Exported for its tests; not part of the library's API.
 */
export function tensorGrid(q: DiagonalGaussianParameters, postMean: ArrayLike<number>, postSd: ArrayLike<number>, n: number): TensorGrid {
  if (!Number.isInteger(n) || n < 3 || n % 2 !== 1) throw new RangeError(`tensorGrid: n must be an odd integer ≥ 3 (the halved grid keeps both ends), got ${n}`);
  const l = q.mean.length;
  const r = normalUpperQuantile(GRID_EPSILON / (4 * l));
  const qSd = Array.from(q.logVariance, (lv) => Math.exp(0.5 * lv));
  const lo = Array.from({ length: l }, (_, j) => Math.min(q.mean[j] - r * qSd[j], postMean[j] - r * postSd[j]));
  const hi = Array.from({ length: l }, (_, j) => Math.max(q.mean[j] + r * qSd[j], postMean[j] + r * postSd[j]));
  const h = lo.map((v, j) => (hi[j] - v) / (n - 1));
  const count = n ** l;
  const points = new Float64Array(count * l);
  const logWeights = new Float64Array(count);
  const halvedLogWeights = new Float64Array(count);
  const edge = new Uint8Array(count);
  for (let k = 0; k < count; k++) {
    let rest = k;
    let lw = 0;
    let lh = 0;
    for (let j = l - 1; j >= 0; j--) {
      const i = rest % n;
      rest = Math.floor(rest / n);
      points[k * l + j] = lo[j] + i * h[j];
      const end = i === 0 || i === n - 1;
      if (end) edge[k] = 1;
      lw += Math.log(h[j]) + (end ? Math.log(0.5) : 0);
      lh += i % 2 === 1 ? -Infinity : Math.log(2 * h[j]) + (end ? Math.log(0.5) : 0);
    }
    logWeights[k] = lw;
    halvedLogWeights[k] = lh;
  }
  const outside = (mean: ArrayLike<number>, sd: ArrayLike<number>): number => {
    let s = 0;
    for (let j = 0; j < l; j++) s += normalUpperTail((mean[j] - lo[j]) / sd[j]) + normalUpperTail((hi[j] - mean[j]) / sd[j]);
    return Math.min(1, s);
  };
  return {
    latentSize: l, nodesPerAxis: n, count, points, logWeights, halvedLogWeights, edge,
    qMassOutside: outside(q.mean, qSd), posteriorMassOutside: outside(postMean, postSd),
  };
}

/** Lines 2 and 4 on a trapezoid grid over z: the integral of q·(p/q) and E_q[log p/q], each with its error estimate. */
interface GridLines {
  integral: number;
  integralError: number;
  expectedLogRatio: number;
  expectedLogRatioError: number;
}

/**
 * On a grid with log-weights τ (and their halved-grid version): line 2 = log Σ τ_g q_g (p_g/q_g)
 * (q evaluated and multiplied back), error |full − halved| + the posterior mass outside the box
 * (−log(1 − m) ≈ m); line 4 = Σ m_g (log p_g − log q_g) with m_g = τ_g q_g / Σ τ q, error
 * |full − halved| + 2 · q's mass outside · the largest |log(p/q) − line 4| on the box's edge.
 */
function gridLines(
  grid: { logWeights: Float64Array; halvedLogWeights: Float64Array; edge: Uint8Array }, logJoint: Float64Array, logQ: Float64Array,
  posteriorMassOutside: number, qMassOutside: number,
): GridLines {
  const integralOn = (w: Float64Array): number => logSumExp(w.map((v, g) => v + logQ[g] + (logJoint[g] - logQ[g])));
  const expectationOn = (w: Float64Array): number => {
    const masses = normalizeLog(w.map((v, g) => v + logQ[g]));
    let s = 0;
    for (let g = 0; g < masses.length; g++) if (masses[g] > 0) s += masses[g] * (logJoint[g] - logQ[g]);
    return s;
  };
  const integral = integralOn(grid.logWeights);
  const expectedLogRatio = expectationOn(grid.logWeights);
  let edgeDeviation = 0;
  for (let g = 0; g < logJoint.length; g++) {
    if (grid.edge[g]) edgeDeviation = Math.max(edgeDeviation, Math.abs(logJoint[g] - logQ[g] - expectedLogRatio));
  }
  return {
    integral,
    integralError: Math.abs(integral - integralOn(grid.halvedLogWeights)) + posteriorMassOutside,
    expectedLogRatio,
    expectedLogRatioError: Math.abs(expectedLogRatio - expectationOn(grid.halvedLogWeights)) + 2 * qMassOutside * edgeDeviation,
  };
}

/** Normalised masses of exp(logValues). */
function normalizeLog(logValues: Float64Array): Float64Array {
  const total = logSumExp(logValues);
  return logValues.map((v) => Math.exp(v - total));
}

/**
 * Line 3, log Σ_k W_k p(x,z_k)/q(z_k), by q's Gauss–Hermite rule of nodes[0] points per axis, with
 * the largest difference from the coarser rules nodes[1…] as its error estimate.
 */
function hermiteLine3(
  q: DiagonalGaussianParameters, nodes: number[], logJointAt: (rule: GaussianRule) => Float64Array,
): { value: number; errorEstimate: number } {
  const on = (n: number): number => {
    const rule = gaussianRule(q, n);
    const logJoint = logJointAt(rule);
    const l = rule.latentSize;
    const terms = new Float64Array(rule.count);
    for (let k = 0; k < rule.count; k++) {
      terms[k] = rule.logWeights[k] + logJoint[k] - logNormalDiagonal(rule.points.subarray(k * l, (k + 1) * l), q.mean, q.logVariance);
    }
    return logSumExp(terms);
  };
  const [fine, ...coarse] = nodes.map(on);
  return { value: fine, errorEstimate: Math.max(...coarse.map((c) => Math.abs(fine - c))) };
}

/**
 * log p_θ(x | z_k) + log p(z_k) at the rows of `points` ([count · L]), the decoder called in chunks
 * of at most maxRows rows (quadrature2d's maxRowsPerChunk, the same default).
 */
function decoderLogJoint(decoder: GenerativeModel, x: Float64Array, points: Float64Array, count: number, maxRows: number): Float64Array {
  const l = decoder.latentSize;
  const out = new Float64Array(count);
  const xf = Float32Array.from(x);
  for (let start = 0; start < count; start += maxRows) {
    const rows = Math.min(maxRows, count - start);
    const z = Float32Array.from(points.subarray(start * l, (start + rows) * l));
    const values = tf.tidy(() => decoder.logLikelihood(tf.tile(tf.tensor2d(xf, [1, xf.length]), [rows, 1]) as tf.Tensor2D, tf.tensor2d(z, [rows, l])));
    const ll = values.dataSync();
    values.dispose();
    for (let r = 0; r < rows; r++) {
      out[start + r] = ll[r] + logNormalDiagonal(points.subarray((start + r) * l, (start + r + 1) * l), new Float64Array(l), new Float64Array(l));
    }
  }
  return out;
}

/** Nodes on the outer ring of a quadrature2d grid. */
function grid2dEdge(grid: Grid2d): Uint8Array {
  const n = grid.axis0.length;
  return Uint8Array.from({ length: n * n }, (_, g) => {
    const i = Math.floor(g / n);
    const j = g % n;
    return i === 0 || j === 0 || i === n - 1 || j === n - 1 ? 1 : 0;
  });
}

/**
 * Line 2's grid for the quadrature method: centred on q's mean, each axis as wide as q's box or
 * wider, so as to hold the posterior's grid (line 1's) too. It is q's own grid (no new decoder
 * evaluations) when the posterior's box lies inside q's; its nodes are never line 1's, whose box
 * is centred on the posterior.
 */
function line2Grid(decoder: GenerativeModel, x: Float64Array, q: DiagonalGaussianParameters, r: QuadratureResult, maxRows: number): { grid: Grid2d; logJoint: Float64Array; logQ: Float64Array } {
  const g = r.q as NonNullable<typeof r.q>;
  const half = (k: 0 | 1): number => Math.max(q.mean[k] - g.grid.extent[k][0], g.grid.extent[k][1] - q.mean[k],
    q.mean[k] - r.grid.extent[k][0], r.grid.extent[k][1] - q.mean[k]);
  const box: Box = [[q.mean[0] - half(0), q.mean[0] + half(0)], [q.mean[1] - half(1), q.mean[1] + half(1)]];
  const same = box.every((side, k) => Math.abs(side[0] - g.grid.extent[k][0]) + Math.abs(side[1] - g.grid.extent[k][1]) <= 1e-12 * (1 + half(k as 0 | 1)));
  const grid = same ? g.grid : makeGrid(box, g.grid.axis0.length);
  const n1 = grid.axis1.length;
  const points = Float64Array.from({ length: 2 * grid.axis0.length * n1 }, (_, i) => (i % 2 === 0 ? grid.axis0[Math.floor(i / 2 / n1)] : grid.axis1[(i >> 1) % n1]));
  return {
    grid,
    logJoint: same ? g.logJoint : decoderLogJoint(decoder, x, points, grid.axis0.length * n1, maxRows),
    logQ: same ? g.logDensity : logDiagonalGaussianOnGrid(q, grid),
  };
}

function quadratureSteps(decoder: GenerativeModel, x: Float64Array, q: DiagonalGaussianParameters, options: Omit<QuadratureOptions, 'q'> = {}): DerivationResult {
  const r = quadrature2d(decoder, x, { ...options, q });
  const g = r.q as NonNullable<typeof r.q>;
  // Line 2 on a q-centred grid holding the posterior's box; line 4 on q's grid (neither is line 1's).
  // options.maxRowsPerChunk was checked by quadrature2d above; the same default as there.
  const maxRows = options.maxRowsPerChunk ?? defaultChunkRows(x.length);
  const two = line2Grid(decoder, x, q, r, maxRows);
  const weights = (grid: Grid2d) => ({ logWeights: grid.logWeights, halvedLogWeights: halvedGridLogWeights(grid), edge: grid2dEdge(grid) });
  // What line 2's sum misses: the posterior's mass outside its box, at most the mass outside line 1's
  // box (which line 2's holds), as quadrature2d's pilot grid measured it.
  const line2 = gridLines(weights(two.grid), two.logJoint, two.logQ, r.pilotMassOutside, 0);
  const onGrid = gridLines(weights(g.grid), g.logJoint, g.logDensity, 0, g.massOutsideBox);
  const line3 = hermiteLine3(q, HERMITE_NODES[2], (rule) => decoderLogJoint(decoder, x, rule.points, rule.count, maxRows));
  const line5 = standardisedGridLine5(decoder, x, q, maxRows);
  const kl = klDiagonalToStandardNormal(q.mean, q.logVariance);
  const m = 'quadrature';
  const errElbo = g.discretizationError.elbo + g.truncationError;
  const n = g.grid.axis0.length;
  return {
    method: m,
    steps: [
      step(1, r.logMarginal, m, `posterior's grid (${r.grid.axis0.length}/axis): logsumexp of log p(x,z) + log τ`, 0, r.errorEstimate.total),
      step(2, line2.integral, m, `grid centred on q holding the posterior's box (${n}/axis, not line 1's nodes): Σ τ·q(z)·[p(x,z)/q(z)], q's density evaluated`, 0, line2.integralError),
      step(3, line3.value, m, `q's Gauss–Hermite rule (${HERMITE_NODES[2][0]}/axis): log Σ W_k p(x,z_k)/q(z_k)`, 0, line3.errorEstimate),
      step(4, onGrid.expectedLogRatio, m, "q's grid, q's normalised node masses: Σ m_g log(p(x,z_g)/q(z_g))", 0, onGrid.expectedLogRatioError),
      step(5, line5.value, m, `trapezoid grid in q's standardised coordinates e = (z − μ)/σ (${LINE5_NODES}/axis over ±${LINE5_HALF_WIDTH} sd, not q's grid): Σ τ·φ(e)·[log p(x,z) − log q(z)], both densities at the nodes`, 0, line5.errorEstimate),
      step(6, g.reconstruction + g.expectedLogPrior + g.entropy, m, "three expectations on q's grid: E_q[log p(x|z)] + E_q[log p(z)] + H(q)", 0, errElbo),
      step(7, g.reconstruction - kl, m, "q's grid E_q[log p(x|z)] − closed-form KL(q ‖ N(0,I))", 0, errElbo),
    ],
    terms: {
      reconstruction: exactTerm(g.reconstruction), expectedLogPrior: exactTerm(g.expectedLogPrior),
      entropy: exactTerm(g.entropy), klToPrior: exactTerm(kl),
    },
    klPosteriorToQ: klPosteriorToQ(r, q),
  };
}

/**
 * Line 5 for a 2-D latent, E_q[log p(x,z) − log q(z|x)] = ∫ φ(e₀)φ(e₁) f(μ + σ ⊙ e) de with
 * f = log p(x,z) − log q(z) evaluated at each node: the trapezoid rule on its own square grid in q's
 * standardised coordinates (weights τ·φ(e), not normalised; nodes that are not q's grid's).
 * Error estimate: 2 |full − halved grid| + 2 · q's mass outside · the largest |f − line 5| on the
 * edge. Why a grid and why the 2: the decoder's ReLUs put kinks in f. Gauss–Hermite rules and
 * Gauss–Legendre cells can miss a kink at coarse and fine resolution alike (a kink between a cell's
 * outermost node and its edge is seen by neither), so their error estimates can fall short. The
 * trapezoid rule has nodes on every cell edge: in 1-D, for a kink at a fraction t of a cell its
 * error is ∝ t(1 − t)h² and the halved grid's at least twice that, so |full − halved| ≥ the error,
 * equal only as t → 0 (for smooth f, about 3× the error). In 2-D a slanted kink can alias with the
 * grid and bring the two closer: the 2 is the margin. These are estimates, not bounds. Measured
 * (2026-12-04) with the one-kink decoder of test/exact/derivation.test.ts, 25 places across q at
 * each of 11 angles: this grid's error was at most 0.51 of its estimate plus 1e-6 relative (the
 * decoder's float32); with the kink along z₁, elboByCubature (2e-4 nats) fell short of its own
 * estimate by up to 3.7×, and at 0.3 rad line 2's estimate (halved grid, no margin) by up to 5×.
 */
function standardisedGridLine5(decoder: GenerativeModel, x: Float64Array, q: DiagonalGaussianParameters, maxRows: number): { value: number; errorEstimate: number } {
  const n = LINE5_NODES;
  const h = (2 * LINE5_HALF_WIDTH) / (n - 1);
  const e = Float64Array.from({ length: n }, (_, i) => (i === n - 1 ? LINE5_HALF_WIDTH : -LINE5_HALF_WIDTH + i * h));
  const phi = e.map((v) => Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI));
  const sd = [Math.exp(0.5 * q.logVariance[0]), Math.exp(0.5 * q.logVariance[1])];
  const points = new Float64Array(2 * n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      points[2 * (i * n + j)] = q.mean[0] + sd[0] * e[i];
      points[2 * (i * n + j) + 1] = q.mean[1] + sd[1] * e[j];
    }
  }
  const logJoint = decoderLogJoint(decoder, x, points, n * n, maxRows);
  const f = Float64Array.from({ length: n * n }, (_, g) => logJoint[g] - logNormalDiagonal(points.subarray(2 * g, 2 * g + 2), q.mean, q.logVariance));
  // The trapezoid sum over every step-th node per axis (step 2: the halved grid), weights τ·φ(e).
  const sumEvery = (step: number): number => {
    const w = (i: number): number => (i === 0 || i === n - 1 ? 0.5 : 1) * step * h * phi[i];
    let s = 0;
    for (let i = 0; i < n; i += step) for (let j = 0; j < n; j += step) s += w(i) * w(j) * f[i * n + j];
    return s;
  };
  const value = sumEvery(1);
  let edgeDeviation = 0;
  for (let i = 0; i < n; i++) {
    for (const g of [i * n, i * n + n - 1, i, (n - 1) * n + i]) edgeDeviation = Math.max(edgeDeviation, Math.abs(f[g] - value));
  }
  const massOutside = Math.min(1, 4 * normalUpperTail(LINE5_HALF_WIDTH));
  return { value, errorEstimate: 2 * Math.abs(value - sumEvery(2)) + 2 * massOutside * edgeDeviation };
}

/** Σ_g m_g (log p(z_g|x) − log q(z_g)) with the posterior's node masses m_g on line 1's grid. */
function klPosteriorToQ(r: QuadratureResult, q: DiagonalGaussianParameters): number {
  const logQ = logDiagonalGaussianOnGrid(q, r.grid);
  let kl = 0;
  for (let g = 0; g < logQ.length; g++) if (r.posteriorMass[g] > 0) kl += r.posteriorMass[g] * (r.logPosterior[g] - logQ[g]);
  return kl;
}

function monteCarloSteps(decoder: GenerativeModel, x: Float64Array, q: DiagonalGaussianParameters, random: Random, samples: number): DerivationResult {
  const xt = tf.tensor2d(Float32Array.from(x), [1, x.length]);
  const qt = { mean: tf.tensor2d(Float32Array.from(q.mean), [1, q.mean.length]), logVariance: tf.tensor2d(Float32Array.from(q.logVariance), [1, q.mean.length]) };
  let s: JointSamples;
  try {
    s = sampleJoint('derivationSteps', qt, decoder, xt, random, samples);
  } finally {
    tf.dispose([xt, qt.mean, qt.logVariance]);
  }
  const logW = s.logLikelihood.map((ll, i) => ll + s.logPrior[i] - s.logQ[i]);
  const ms = (v: Float64Array): { value: number; standardError: number } => {
    const r = meanAndStandardErrorOf(v, 0, samples);
    return { value: r.mean, standardError: r.standardError };
  };
  const logMean = logMeanExp(logW);
  const logMeanSe = logMeanExpStandardError(logW);
  const w = ms(logW);
  const rec = ms(s.logLikelihood);
  const prior = ms(s.logPrior);
  const negEntropy = ms(s.logQ);
  const joint = ms(s.logLikelihood.map((ll, i) => ll + s.logPrior[i]));
  const kl = klDiagonalToStandardNormal(q.mean, q.logVariance);
  const m = 'monteCarlo';
  const is = `importance sampling with q, ${samples} samples (no closed form)`;
  return {
    method: m,
    steps: [
      step(1, logMean, m, `log (1/S) Σ p(x,z_s)/q(z_s): ${is}`, logMeanSe),
      step(2, logMeanExp(logW.map((v, i) => s.logQ[i] + v - s.logQ[i])), m, `line 1's estimator with q multiplied back (the same draws)`, logMeanSe),
      step(3, logMean, m, `log of the sample mean of p/q over the same ${samples} draws z_s ~ q`, logMeanSe),
      step(4, w.value, m, 'sample mean of log(p(x,z_s)/q(z_s)), the same draws', w.standardError),
      step(5, joint.value - negEntropy.value, m, 'mean log p(x,z_s) − mean log q(z_s), the same draws', w.standardError),
      step(6, rec.value + prior.value - negEntropy.value, m, 'three sample means of the same draws', w.standardError),
      step(7, rec.value - kl, m, 'sample mean of log p(x|z_s) − closed-form KL(q ‖ N(0,I))', rec.standardError),
    ],
    terms: {
      reconstruction: rec, expectedLogPrior: prior,
      entropy: { value: -negEntropy.value, standardError: negEntropy.standardError }, klToPrior: exactTerm(kl),
    },
    effectiveSampleSize: effectiveSampleSize(logW),
  };
}

/** Kish's effective sample size of weights given as logs: (Σw)² / Σw². */
export function effectiveSampleSize(logWeights: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < logWeights.length; i++) max = Math.max(max, logWeights[i]);
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < logWeights.length; i++) {
    const w = Math.exp(logWeights[i] - max);
    s += w;
    s2 += w * w;
  }
  return (s * s) / s2;
}

/** One checked relation of the chain (for a notebook's claims table). */
export interface ChainCheck {
  id: string;
  relation: string;
  lhs: number;
  rhs: number;
  difference: number;
  tolerance: number;
  pass: boolean;
  /** How each side was computed: "A: line i, <route> / B: line j, <route>". */
  routes: string;
}

/**
 * The relations the document states, checked with tolerances from the result itself:
 * tolerance = relativeTolerance·max(|lhs|, |rhs|, 1) + both error estimates + sigmas·√(SE₁² + SE₂²).
 * Relations: 1 = 2, 2 = 3, 4 ≤ 3, 4 = 5, 5 = 6, 6 = 7, and (when known) 1 − 4 = KL(q ‖ p(z|x)).
 */
export function checkDerivationChain(result: DerivationResult, sigmas = 4, relativeTolerance = 1e-6): ChainCheck[] {
  checkNumber('checkDerivationChain', 'sigmas', sigmas, 0);
  checkNumber('checkDerivationChain', 'relativeTolerance', relativeTolerance, 0);
  const s = result.steps;
  const tol = (a: DerivationStep, b: DerivationStep): number => relativeTolerance * Math.max(Math.abs(a.value), Math.abs(b.value), 1)
    + a.errorEstimate + b.errorEstimate + sigmas * Math.hypot(a.standardError, b.standardError);
  const routes = (i: number, j: number): string => `A: line ${i}, ${s[i - 1].route} / B: line ${j}, ${s[j - 1].route}`;
  const eq = (i: number, j: number): ChainCheck => {
    const [a, b] = [s[i - 1], s[j - 1]];
    const t = tol(a, b);
    return {
      id: `step${i}=step${j}`, relation: `line ${i} = line ${j}`, lhs: a.value, rhs: b.value, difference: a.value - b.value,
      tolerance: t, pass: Math.abs(a.value - b.value) <= t, routes: routes(i, j),
    };
  };
  const t43 = tol(s[3], s[2]);
  const checks = [eq(1, 2), eq(2, 3), {
    id: 'step4<=step3', relation: 'line 4 ≤ line 3 (Jensen)', lhs: s[3].value, rhs: s[2].value,
    difference: s[3].value - s[2].value, tolerance: t43, pass: s[3].value - s[2].value <= t43, routes: routes(4, 3),
  }, eq(4, 5), eq(5, 6), eq(6, 7)];
  if (result.klToPosterior !== undefined) {
    const gap = s[0].value - s[3].value;
    const t = tol(s[0], s[3]) + relativeTolerance * Math.max(1, Math.abs(result.klToPosterior));
    checks.push({
      id: 'gap=KL', relation: 'log p(x) − ELBO = KL(q ‖ p(z|x))', lhs: gap, rhs: result.klToPosterior,
      difference: gap - result.klToPosterior, tolerance: t, pass: Math.abs(gap - result.klToPosterior) <= t,
      routes: `A: line 1 − line 4 (${s[0].route}; ${s[3].route}) / B: closed-form KL(q ‖ p(z|x)), full-covariance posterior`,
    });
  }
  return checks;
}
