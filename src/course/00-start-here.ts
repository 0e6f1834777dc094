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

/** The largest |KL by src/ − KL by quadrature| over the curves, at the grid points `indices` of their means. */
export function largestQuadratureError(curves: KlCurve[], indices: number[]): number {
  const fn = 'largestQuadratureError';
  checkCurves(fn, curves);
  if (!Array.isArray(indices) || indices.length === 0) throw new TypeError(`${fn}: indices must be a non-empty array of grid indices`);
  let largest = 0;
  for (const { sigma, means, kl } of curves) {
    for (const index of indices) {
      checkInteger(fn, 'indices[]', index, 0, means.length - 1);
      largest = Math.max(largest, Math.abs(kl[index] - klByQuadrature(means[index], sigma)));
    }
  }
  return largest;
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
