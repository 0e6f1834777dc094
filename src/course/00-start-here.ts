/**
 * Course module of notebook 00-start-here: its experiments and figures (uses the library; the
 * library never imports it).
 *
 * The notebook's first number is the KL term of a one-dimensional encoder against the prior,
 *   KL(N(μ, σ²) ‖ N(0, 1)) = −½ (1 + log σ² − μ² − σ²),
 * computed by src/ (objectives/kl.ts, float32 tfjs) over a grid of means for a few widths, and
 * checked against a float64 midpoint-rule integral of q·log(q/p) that shares no code with it.
 */
import * as tf from '@tensorflow/tfjs';
import { klToStandardNormal } from '../objectives/kl';
import type { PlotlyFigure } from '../display/plotly';
import type { ClaimSpec } from '../display/claims';
import { checkFiniteArray, checkInteger, checkNumber, checkObject, checkPositive } from '../checks';

/** One curve of the chart: the KL term at every mean of the grid, for one width σ. */
export interface KlCurve {
  sigma: number;
  /** The grid of encoder means μ. */
  means: number[];
  /** KL(N(μ, σ²) ‖ N(0, 1)) at each mean, in nats (as src/ computes it, float32). */
  kl: number[];
}

/**
 * KL(N(μ, σ²) ‖ N(0, 1)) for every μ of `means` at each σ of `sigmas`, computed by src/'s
 * klToStandardNormal with tfjs (the closed form −½ (1 + log σ² − μ² − σ²)); no tensor is left.
 */
export function klCurves(means: number[], sigmas: number[]): KlCurve[] {
  const fn = 'klCurves';
  if (checkFiniteArray(fn, 'means', means).length === 0) throw new RangeError(`${fn}: means must hold at least one mean`);
  if (checkFiniteArray(fn, 'sigmas', sigmas).length === 0) throw new RangeError(`${fn}: sigmas must hold at least one width`);
  sigmas.forEach((sigma, i) => checkPositive(fn, `sigmas[${i}]`, sigma));
  return sigmas.map((sigma) => ({
    sigma,
    means,
    kl: tf.tidy(() => {
      const mean = tf.tensor2d(means, [means.length, 1]);
      const logVariance = tf.fill([means.length, 1], Math.log(sigma * sigma)) as tf.Tensor2D;
      return Array.from(klToStandardNormal({ mean, logVariance }).dataSync());
    }),
  }));
}

/**
 * KL(N(μ, σ²) ‖ N(0, 1)) = ∫ q(z) log(q(z)/p(z)) dz by the midpoint rule over μ ± 12σ in float64,
 *   log q(z) = −½ log 2π − log σ − (z − μ)²/(2σ²),   log p(z) = −½ log 2π − z²/2:
 * a route to the number independent of src/ (no closed form, no tfjs).
 */
export function klByQuadrature(mean: number, sigma: number, steps = 200_000): number {
  const fn = 'klByQuadrature';
  checkNumber(fn, 'mean', mean);
  checkPositive(fn, 'sigma', sigma);
  checkInteger(fn, 'steps', steps, 1);
  const lo = mean - 12 * sigma, width = (24 * sigma) / steps;
  let total = 0;
  for (let i = 0; i < steps; i++) {
    const z = lo + (i + 0.5) * width;
    const logQ = -0.5 * Math.log(2 * Math.PI) - Math.log(sigma) - ((z - mean) ** 2) / (2 * sigma * sigma);
    const logP = -0.5 * Math.log(2 * Math.PI) - (z * z) / 2;
    total += Math.exp(logQ) * (logQ - logP) * width;
  }
  return total;
}

/** Unit roundoff of float32 (2⁻²⁴): the relative error of one rounding. */
export const FLOAT32_UNIT_ROUNDOFF = 2 ** -24;

/**
 * A bound on the float32 rounding error of src/'s KL at (μ, σ). The closed form
 * −½ (1 + log σ² − μ² − σ²) adds four terms of sizes 1, |log σ²|, μ², σ²; the inputs, the
 * square, exp and the sums each round once, so with `factor` roundings (default 8, twice the
 * count of those operations) of at most the sum of the terms' sizes:
 *   |float32 − exact| ≤ factor · 2⁻²⁴ · (1 + |log σ²| + μ² + σ²).
 */
export function float32KlRoundingBound(mean: number, sigma: number, factor = 8): number {
  const fn = 'float32KlRoundingBound';
  checkNumber(fn, 'mean', mean);
  checkPositive(fn, 'sigma', sigma);
  checkPositive(fn, 'factor', factor);
  return factor * FLOAT32_UNIT_ROUNDOFF * (1 + Math.abs(Math.log(sigma * sigma)) + mean * mean + sigma * sigma);
}

/** One grid point's two routes to the KL term and the tolerance their difference is held to. */
export interface KlRouteComparison {
  mean: number;
  sigma: number;
  /** The closed form as src/ computed it (float32 tfjs). */
  src: number;
  /** The float64 midpoint-rule integral (klByQuadrature). */
  quadrature: number;
  /** src − quadrature. */
  difference: number;
  /** float32KlRoundingBound + the quadrature's error estimate |Q(steps) − Q(steps/2)|. */
  tolerance: number;
}

/**
 * The two routes at the grid points `indices` of every curve: src/'s float32 closed form against
 * the float64 quadrature, with the tolerance built from the stated error sources (the float32
 * rounding bound, and the quadrature's own error estimated by halving its steps: the midpoint
 * rule's error falls at least fourfold when the step halves, so |Q(n) − Q(n/2)| exceeds it).
 */
export function klRouteComparisons(curves: KlCurve[], indices: number[], steps = 200_000): KlRouteComparison[] {
  const fn = 'klRouteComparisons';
  checkCurves(fn, curves);
  if (!Array.isArray(indices) || indices.length === 0) throw new TypeError(`${fn}: indices must be a non-empty array of grid indices`);
  checkInteger(fn, 'steps', steps, 2);
  return curves.flatMap(({ sigma, means, kl }) => indices.map((index) => {
    checkInteger(fn, 'indices[]', index, 0, means.length - 1);
    const mean = means[index];
    const quadrature = klByQuadrature(mean, sigma, steps);
    const quadratureError = Math.abs(quadrature - klByQuadrature(mean, sigma, Math.floor(steps / 2)));
    return { mean, sigma, src: kl[index], quadrature, difference: kl[index] - quadrature, tolerance: float32KlRoundingBound(mean, sigma) + quadratureError };
  }));
}

/** The largest |src − quadrature| over the comparisons (from klRouteComparisons). */
export function largestQuadratureError(comparisons: KlRouteComparison[]): number {
  checkComparisons('largestQuadratureError', comparisons);
  return Math.max(...comparisons.map((c) => Math.abs(c.difference)));
}

/** True when every comparison's |src − quadrature| is within its tolerance. */
export function routesAgree(comparisons: KlRouteComparison[]): boolean {
  checkComparisons('routesAgree', comparisons);
  return comparisons.every((c) => Math.abs(c.difference) <= c.tolerance);
}

/** What the claim measured: the largest difference, where, and the largest difference / tolerance. */
export function routeComparisonText(comparisons: KlRouteComparison[]): string {
  checkComparisons('routeComparisonText', comparisons);
  const largest = comparisons.reduce((a, c) => (Math.abs(c.difference) > Math.abs(a.difference) ? c : a));
  const ratio = Math.max(...comparisons.map((c) => Math.abs(c.difference) / c.tolerance));
  return `largest |src/ − quadrature| = ${Math.abs(largest.difference).toExponential(2)} nats at μ = ${largest.mean.toFixed(2)}, σ = ${largest.sigma} ` +
    `(tolerance there ${largest.tolerance.toExponential(2)}); largest |difference| / tolerance over ${comparisons.length} points: ${ratio.toExponential(2)}`;
}

/** Where the KL term is zero and where it is not, on the grid, against each point's float32 rounding bound. */
export interface KlSigns {
  /** The point of smallest KL + rounding bound (negative: a KL below zero by more than rounding). */
  smallest: { mean: number; sigma: number; kl: number; bound: number };
  /** The point μ = 0, σ = 1 (the encoder equals the prior). */
  atPrior: { kl: number; bound: number };
  /** The point of smallest KL − rounding bound other than the prior (positive: every other KL exceeds rounding). */
  smallestElsewhere: { mean: number; sigma: number; kl: number; bound: number };
  /** Grid points in all. */
  points: number;
}

/** The KL term's sign over the whole grid: needs a curve of σ = 1 with a grid point at μ = 0. */
export function klSigns(curves: KlCurve[]): KlSigns {
  const fn = 'klSigns';
  checkCurves(fn, curves);
  const points = curves.flatMap(({ sigma, means, kl }) => means.map((mean, i) => ({ mean, sigma, kl: kl[i], bound: float32KlRoundingBound(mean, sigma) })));
  const isPrior = (p: { mean: number; sigma: number }) => p.sigma === 1 && Math.abs(p.mean) < 1e-9;
  const prior = points.find(isPrior);
  if (!prior) throw new RangeError(`${fn}: the curves must include σ = 1 with a grid point at μ = 0 (the prior)`);
  const others = points.filter((p) => !isPrior(p));
  if (others.length === 0) throw new RangeError(`${fn}: the grid must hold points other than the prior`);
  const smallest = points.reduce((a, p) => (p.kl + p.bound < a.kl + a.bound ? p : a));
  const smallestElsewhere = others.reduce((a, p) => (p.kl - p.bound < a.kl - a.bound ? p : a));
  return { smallest, atPrior: { kl: prior.kl, bound: prior.bound }, smallestElsewhere, points: points.length };
}

const e2 = (v: number) => v.toExponential(2);

/** The measured text of the claim "never negative". */
export function nonnegativeText(signs: KlSigns): string {
  const s = signs.smallest;
  return `smallest KL + rounding bound over ${signs.points} points: ${e2(s.kl + s.bound)} (KL ${e2(s.kl)}, bound ${e2(s.bound)}, at μ = ${s.mean.toFixed(2)}, σ = ${s.sigma})`;
}

/** The measured text of the claim "zero at the prior, and only there". */
export function zeroOnlyAtPriorText(signs: KlSigns): string {
  const e = signs.smallestElsewhere;
  return `at μ = 0, σ = 1: KL = ${e2(signs.atPrior.kl)} (bound ${e2(signs.atPrior.bound)}); smallest KL − bound elsewhere: ${e2(e.kl - e.bound)} ` +
    `(KL ${e2(e.kl)} at μ = ${e.mean.toFixed(2)}, σ = ${e.sigma})`;
}

/** Zero at the prior within rounding, and above rounding at every other grid point. */
export function zeroOnlyAtPrior(signs: KlSigns): boolean {
  checkObject('zeroOnlyAtPrior', 'signs', signs);
  return Math.abs(signs.atPrior.kl) <= signs.atPrior.bound && signs.smallestElsewhere.kl > signs.smallestElsewhere.bound;
}

/** The KL term of the curve of width `sigma` at the grid mean equal to `mean` (within 1e-9). */
export function klAt(curves: KlCurve[], mean: number, sigma: number): number {
  const fn = 'klAt';
  checkCurves(fn, curves);
  checkNumber(fn, 'mean', mean);
  checkPositive(fn, 'sigma', sigma);
  const curve = curves.find((c) => c.sigma === sigma);
  if (!curve) throw new RangeError(`${fn}: no curve has σ = ${sigma} (curves: ${curves.map((c) => c.sigma).join(', ')})`);
  const index = curve.means.findIndex((m) => Math.abs(m - mean) < 1e-9);
  if (index < 0) throw new RangeError(`${fn}: the grid of means has no point at μ = ${mean}`);
  return curve.kl[index];
}

/** The chart of the section: one line per width σ, the KL term against the encoder mean μ. */
export function klCurvesFigure(curves: KlCurve[]): PlotlyFigure {
  checkCurves('klCurvesFigure', curves);
  return {
    data: curves.map(({ sigma, means, kl }) => ({ x: means, y: kl, type: 'scatter', mode: 'lines', name: `σ = ${sigma}` })),
    layout: {
      title: { text: 'KL(N(μ, σ²) ‖ N(0, 1)) as the mean and width vary' },
      xaxis: { title: { text: 'encoder mean μ' } },
      yaxis: { title: { text: 'KL term (nats)' } },
      height: 420,
    },
  };
}

function checkCurves(fn: string, curves: unknown): asserts curves is KlCurve[] {
  if (!Array.isArray(curves) || curves.length === 0) throw new TypeError(`${fn}: curves must be a non-empty array of { sigma, means, kl } (from klCurves)`);
  curves.forEach((curve, i) => {
    const c = checkObject(fn, `curves[${i}]`, curve) as unknown as KlCurve;
    if (!Array.isArray(c.means) || !Array.isArray(c.kl) || c.means.length !== c.kl.length) {
      throw new RangeError(`${fn}: curves[${i}] must hold as many KL values as means`);
    }
  });
}

function checkComparisons(fn: string, comparisons: unknown): asserts comparisons is KlRouteComparison[] {
  if (!Array.isArray(comparisons) || comparisons.length === 0) throw new TypeError(`${fn}: comparisons must be a non-empty array (from klRouteComparisons)`);
}

const firstNumber = 'A first number';

/** The notebook's claims: ids, sections, statements, where they are checked and the routes compared. */
export const claimSpecs = {
  klClosedForm: { id: 'kl-closed-form', section: '§1', where: firstNumber,
    statement: 'the closed-form KL term computed by src/ equals a float64 numerical integral of q·log(q/p), within float32 rounding and the integral\'s own error',
    routes: 'A: src/objectives/kl.ts, −½(1 + log σ² − μ² − σ²) in float32 tfjs / B: the midpoint rule for ∫ q·log(q/p) dz over μ ± 12σ in float64 (200,000 steps; no closed form, no tfjs)' },
  klNonnegative: { id: 'kl-nonnegative', section: '§1', where: firstNumber,
    statement: 'the KL term is never negative: at every point of the grid it is ≥ 0 up to its float32 rounding bound',
    routes: 'A: src/\'s closed form (float32) at the 4 × 121 grid points / B: the bound 0 of Gibbs\' inequality, less each point\'s float32 rounding bound' },
  klZeroAtPrior: { id: 'kl-zero-at-prior', section: '§1', where: firstNumber,
    statement: 'the KL term is zero when the encoder equals the prior (μ = 0, σ = 1), and only then: every other grid point has a KL above its float32 rounding bound',
    routes: 'A: src/\'s closed form (float32) at μ = 0, σ = 1 and at the other 483 grid points / B: 0, the value of KL(p ‖ p), ± each point\'s float32 rounding bound' },
  seeded: { id: 'seeded', section: '—', where: 'Randomness, seeded',
    statement: 'the same seed gives the same draws',
    routes: 'A: five normals from new Random(seed) / B: five normals from a second, separate new Random(seed)' },
} satisfies Record<string, ClaimSpec>;
