/**
 * The seven lines of the ELBO derivation as numbers, for one x, one model and one q:
 *   1  log p_θ(x) = log ∫ p_θ(x,z) dz
 *   2             = log ∫ q(z|x) p_θ(x,z)/q(z|x) dz
 *   3             = log E_q[ p_θ(x,z)/q(z|x) ]
 *   4             ≥ E_q[ log p_θ(x,z)/q(z|x) ]                        (Jensen)
 *   5             = E_q[ log p_θ(x,z) − log q(z|x) ]
 *   6             = E_q[ log p_θ(x|z) + log p(z) − log q(z|x) ]
 *   7             = E_q[ log p_θ(x|z) ] − KL(q(z|x) ‖ p(z))
 * How each line is computed depends on what the model allows (`method`):
 *  - 'closedForm'  (LinearGaussianModel, any latent size, float64): 1 by the L×L Woodbury form,
 *    2 by the D×D Cholesky of the joint's marginal covariance, 3 by Bayes' rule at z = μ_q
 *    (log p(x|z) + log p(z) − log p(z|x), true for every z), 4 as log p(x) − KL(q ‖ p(z|x)) with
 *    the full-covariance posterior, 5–7 from the closed-form expectations. Different formulas, so
 *    the equalities are real checks.
 *  - 'quadrature'  (any decoder with a 2-D latent): every integral and E_q is a grid sum
 *    (see quadrature2d), each with an error estimate.
 *  - 'monteCarlo'  (any model): z_s ~ q; lines 1–3 by log (1/S) Σ_s p/q (importance sampling with
 *    q, delta-method SE; no closed form exists, so all three use that estimator), 4–6 by sample
 *    means, 7 by the sampled reconstruction minus the closed-form KL. Lines 1–3 are then biased
 *    low by about SE²/2 (more with heavy-tailed weights; see effectiveSampleSize), and
 *    line 4 ≤ line 3 holds exactly for the sample (Jensen for the empirical distribution).
 * With a `random` given, closed-form and quadrature results also carry the Monte Carlo column.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../random';
import type { DiagonalGaussian } from '../distributions/gaussian';
import type { GenerativeModel, InferenceModel } from '../objectives/types';
import { checkGenerativeModel, JointSamples, sampleJoint } from '../objectives/sampleJoint';
import { logMeanExp, logMeanExpStandardError } from '../objectives/monteCarlo';
import { meanAndStandardErrorOf } from '../stats/index';
import { checkInteger, checkNumber, checkRandom } from '../checks';
import { DiagonalGaussianLike, DiagonalGaussianParameters, toDataVector, toDiagonalParameters } from './inputs';
import { LinearGaussianModel } from './linearGaussian';
import { logDiagonalGaussianOnGrid, QuadratureOptions, quadrature2d } from './quadrature2d';
import { cholesky, logSumExp } from './linearAlgebra';
import { klDiagonalToStandardNormal, logNormalDiagonal, logNormalFromCholesky } from './gaussianClosedForms';

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
  /** KL(q ‖ p_θ(z|x)) by an independent route (closed form or quadrature); undefined for Monte Carlo. */
  klToPosterior?: number;
  /**
   * Monte Carlo only: Kish's effective sample size (Σw)²/Σw² of the importance weights behind
   * lines 1–3. Far below the sample count means heavy-tailed weights: lines 1–3 are then biased
   * low and their delta-method standard errors too small.
   */
  effectiveSampleSize?: number;
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
  else if (method === 'quadrature') result = quadratureSteps(decoder, xv, qp, options.quadrature ?? {});
  else return monteCarloSteps(decoder, xv, qp, options.random as Random, samples);
  if (options.random !== undefined) result.monteCarlo = monteCarloSteps(decoder, xv, qp, options.random, samples);
  return result;
}

function resolveQ(fn: string, q: unknown, x: Float64Array, latentSize: number): DiagonalGaussianParameters {
  const model = q as Partial<InferenceModel> | null;
  if (model !== null && typeof model === 'object' && typeof model.encode === 'function') {
    const xt = tf.tensor2d(Float32Array.from(x), [1, x.length]);
    let g: DiagonalGaussian | undefined;
    try {
      g = model.encode(xt);
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

function closedFormSteps(model: LinearGaussianModel, x: Float64Array, q: DiagonalGaussianParameters): DerivationResult {
  const e = model.elbo(x, q);
  const klPost = model.klToPosterior(x, q);
  const post = model.posterior(x);
  const zStar = q.mean;
  const l = zStar.length;
  const logPrior = logNormalDiagonal(zStar, new Float64Array(l), new Float64Array(l));
  const logPosterior = logNormalFromCholesky(cholesky(post.covariance, l), l, Array.from(post.mean, (v, j) => zStar[j] - v));
  const bayes = model.logLikelihood(x, zStar) + logPrior - logPosterior;
  const logMarginal = model.logMarginal(x);
  const m = 'closedForm';
  return {
    method: m,
    steps: [
      step(1, logMarginal, m, 'log N(x; b, WWᵀ + σ²I) via the L×L matrix M (Woodbury)'),
      step(2, model.logMarginalDense(x), m, 'q cancels pointwise; the joint integrated via a D×D Cholesky'),
      step(3, bayes, m, "Bayes' rule at z = μ_q: log p(x|z) + log p(z) − log p(z|x)"),
      step(4, logMarginal - klPost, m, 'log p(x) − KL(q ‖ p(z|x)), full-covariance posterior'),
      step(5, e.reconstruction + e.expectedLogPrior + e.entropy, m, 'E_q[log p(x,z)] + H(q), closed forms'),
      step(6, e.reconstruction + e.expectedLogPrior + e.entropy, m, 'three closed-form expectations'),
      step(7, e.reconstruction - e.kl, m, 'closed-form E_q[log p(x|z)] − KL(q ‖ N(0,I))'),
    ],
    terms: {
      reconstruction: exactTerm(e.reconstruction), expectedLogPrior: exactTerm(e.expectedLogPrior),
      entropy: exactTerm(e.entropy), klToPrior: exactTerm(e.kl),
    },
    klToPosterior: klPost,
  };
}

function quadratureSteps(decoder: GenerativeModel, x: Float64Array, q: DiagonalGaussianParameters, options: Omit<QuadratureOptions, 'q'>): DerivationResult {
  const r = quadrature2d(decoder, x, { ...options, q });
  const g = r.q as NonNullable<typeof r.q>;
  // Line 2 on the posterior grid (where p(x,z) has its mass), with q evaluated there.
  const w = r.grid.logWeights;
  const logQ = logDiagonalGaussianOnGrid(q, r.grid);
  const step2 = logSumExp(r.logJoint.map((lj, i) => w[i] + logQ[i] + (lj - logQ[i])));
  // Lines 3–7 are expectations under q: on q's grid.
  const qMass = normalize(g.logDensity.map((v, i) => v + g.grid.logWeights[i]));
  let step4 = 0;
  for (let i = 0; i < qMass.length; i++) if (qMass[i] > 0) step4 += qMass[i] * (g.logJoint[i] - g.logDensity[i]);
  const kl = klDiagonalToStandardNormal(q.mean, q.logVariance);
  const m = 'quadrature';
  const errLog = r.errorEstimate.total;
  const errElbo = g.discretizationError.elbo + g.truncationError;
  // Line 3 is log Σ_(q's grid) q̃ p/q: its error adds that sum's halved-grid difference and the
  // posterior mass q's box misses (−log(1 − m) ≈ m) to the error of log p(x).
  return {
    method: m,
    steps: [
      step(1, r.logMarginal, m, 'grid logsumexp of log p(x,z) + log τ', 0, errLog),
      step(2, step2, m, 'grid logsumexp of log q + (log p(x,z) − log q) + log τ', 0, errLog),
      step(3, g.logExpectedRatio, m, "log of the expectation under q of p/q, on q's grid", 0,
        errLog + g.discretizationError.logExpectedRatio + g.massOutsideBox + g.posteriorMassOutsideBox),
      step(4, step4, m, 'grid expectation under q of log(p(x,z)/q)', 0, errElbo),
      step(5, g.reconstruction + g.expectedLogPrior + g.entropy, m, 'E_q[log p(x,z)] − E_q[log q] on the grid', 0, errElbo),
      step(6, g.reconstruction + g.expectedLogPrior + g.entropy, m, 'three grid expectations', 0, errElbo),
      step(7, g.reconstruction - kl, m, 'grid E_q[log p(x|z)] − closed-form KL(q ‖ N(0,I))', 0, errElbo),
    ],
    terms: {
      reconstruction: exactTerm(g.reconstruction), expectedLogPrior: exactTerm(g.expectedLogPrior),
      entropy: exactTerm(g.entropy), klToPrior: exactTerm(kl),
    },
    klToPosterior: g.klToPosterior,
  };
}

function normalize(logValues: Float64Array): Float64Array {
  const total = logSumExp(logValues);
  return logValues.map((v) => Math.exp(v - total));
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
      step(2, logMeanExp(logW.map((v, i) => s.logQ[i] + v - s.logQ[i])), m, `the same integral with q inserted: ${is}`, logMeanSe),
      step(3, logMean, m, `log of the sample mean of p/q over z_s ~ q (${samples} samples)`, logMeanSe),
      step(4, w.value, m, 'sample mean of log(p(x,z)/q)', w.standardError),
      step(5, joint.value - negEntropy.value, m, 'mean log p(x,z) − mean log q', w.standardError),
      step(6, rec.value + prior.value - negEntropy.value, m, 'three sample means', w.standardError),
      step(7, rec.value - kl, m, 'sample mean of log p(x|z) − closed-form KL(q ‖ N(0,I))', rec.standardError),
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
  const eq = (i: number, j: number): ChainCheck => {
    const [a, b] = [s[i - 1], s[j - 1]];
    const t = tol(a, b);
    return { id: `step${i}=step${j}`, relation: `line ${i} = line ${j}`, lhs: a.value, rhs: b.value, difference: a.value - b.value, tolerance: t, pass: Math.abs(a.value - b.value) <= t };
  };
  const t43 = tol(s[3], s[2]);
  const checks = [eq(1, 2), eq(2, 3), {
    id: 'step4<=step3', relation: 'line 4 ≤ line 3 (Jensen)', lhs: s[3].value, rhs: s[2].value,
    difference: s[3].value - s[2].value, tolerance: t43, pass: s[3].value - s[2].value <= t43,
  }, eq(4, 5), eq(5, 6), eq(6, 7)];
  if (result.klToPosterior !== undefined) {
    const gap = s[0].value - s[3].value;
    const t = tol(s[0], s[3]) + relativeTolerance * Math.max(1, Math.abs(result.klToPosterior));
    checks.push({
      id: 'gap=KL', relation: 'log p(x) − ELBO = KL(q ‖ p(z|x))', lhs: gap, rhs: result.klToPosterior,
      difference: gap - result.klToPosterior, tolerance: t, pass: Math.abs(gap - result.klToPosterior) <= t,
    });
  }
  return checks;
}
