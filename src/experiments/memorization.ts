/**
 * Memorisation (§4, reason 2): without the KL term nothing stops the encoder from giving each
 * training example its own sharp, far-away code. These functions measure the symptoms:
 * the train-vs-held-out gap of the per-example ELBO terms, the encoder widths σ(x) and the
 * distances ‖μ(x)‖ of the codes from the prior's centre, and the per-dimension KL penalty
 *   KL(N(μ, σ²) ‖ N(0, 1)) = −½ (1 + log σ² − μ² − σ²)
 * on a grid of (μ, σ), drawn as a contour map.
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../random';
import type { Vae } from '../models/vae';
import { klToStandardNormalPerDimension } from '../objectives/kl';
import type { DataMatrix } from '../data/matrix';
import { checkFiniteArray, checkRandom } from '../tensorChecks';
import { Encoder, evaluatePerExample, meanKlPerDimension } from '../train/evaluation';
import { Estimate, independentDifference, meanEstimate } from '../stats/index';
import type { PlotlyFigure } from '../display/plotly';

/** Per-example ELBO terms of one data set (nats; sums over pixels and latent dimensions). */
export interface PerExampleElbo {
  /** log p_θ(x|z) with one z = μ + σ ε ~ q_φ(z|x). */
  reconstruction: Float64Array;
  /** KL(q_φ(z|x) ‖ p(z)), closed form. */
  kl: Float64Array;
  /** reconstruction − kl. */
  elbo: Float64Array;
}

/**
 * ELBO(x) = E_q[log p_θ(x|z)] − KL(q_φ(z|x) ‖ p(z)) per example, the expectation with one
 * reparameterised sample (noise from `random`), the KL in closed form: the evaluation pass.
 */
export function perExampleElbo(model: Vae, data: DataMatrix, random: Random, batchSize = 500): PerExampleElbo {
  checkRandom('perExampleElbo', 'random', random);
  const terms = evaluatePerExample(model, data, { random, batchSize }, 'perExampleElbo');
  return { reconstruction: terms.reconstruction!, kl: terms.kl, elbo: terms.elbo! };
}

/**
 * Generalisation gap mean(train) − mean(heldOut) of a per-example quantity, with the standard
 * error of a difference of independent means √(SE_train² + SE_heldOut²).
 */
export function generalizationGap(train: ArrayLike<number>, heldOut: ArrayLike<number>): { gap: number; standardError: number; train: Estimate; heldOut: Estimate } {
  const fn = 'generalizationGap';
  for (const [name, values] of [['train', train], ['heldOut', heldOut]] as const) {
    if (checkFiniteArray(fn, name, values).length < 1) throw new RangeError(`${fn}: ${name} must not be empty`);
  }
  const a = meanEstimate(train);
  const b = meanEstimate(heldOut);
  const d = independentDifference(a, b);
  return { gap: d.mean, standardError: d.standardError, train: a, heldOut: b };
}

/** Median of a list (mean of the two middle values for an even count). */
export function medianOfValues(values: ArrayLike<number>): number {
  checkFiniteArray('medianOfValues', 'values', values);
  if (values.length === 0) throw new RangeError('medianOfValues: values must not be empty');
  const sorted = Float64Array.from(values).sort();
  const h = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[h] : 0.5 * (sorted[h - 1] + sorted[h]);
}

/** What the encoder outputs on a data set. */
export interface EncoderSpread {
  /** σ_u(x) = exp(½ log σ²_u(x)) for every example and dimension (row-major [n, d]). */
  sigma: Float64Array;
  /** ‖μ(x)‖ (Euclidean norm over latent dimensions) per example. */
  meanNorm: Float64Array;
  /** Mean over examples of the per-dimension KL ([d]). */
  klPerDimension: Float64Array;
  medianSigma: number;
  medianMeanNorm: number;
}

/** σ(x) and ‖μ(x)‖ of the encoder q_φ(z|x) on every row of `data`. Disposes what it makes. */
export function encoderSpread(model: Encoder, data: DataMatrix, batchSize = 500): EncoderSpread {
  const terms = evaluatePerExample(model, data, { batchSize }, 'encoderSpread');
  const n = terms.count;
  const d = terms.latentSize;
  const sigma = terms.encoderLogVariance.map((lv: number) => Math.exp(0.5 * lv));
  const meanNorm = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += terms.encoderMean[i * d + j] ** 2;
    meanNorm[i] = Math.sqrt(s);
  }
  return { sigma, meanNorm, klPerDimension: meanKlPerDimension(terms), medianSigma: medianOfValues(sigma), medianMeanNorm: medianOfValues(meanNorm) };
}

/**
 * The per-dimension KL penalty on a grid: value[i][j] = −½(1 + log σ_i² − μ_j² − σ_i²) for
 * σ = sigmas[i], μ = means[j] (rows follow σ, columns μ, as a Plotly contour or heatmap expects).
 * Computed by the math core's klToStandardNormalPerDimension.
 */
export function klPenaltySurface(means: ArrayLike<number>, sigmas: ArrayLike<number>): number[][] {
  const fn = 'klPenaltySurface';
  checkFiniteArray(fn, 'means', means);
  checkFiniteArray(fn, 'sigmas', sigmas);
  if (means.length === 0 || sigmas.length === 0) throw new RangeError(`${fn}: means and sigmas must not be empty`);
  for (let i = 0; i < sigmas.length; i++) {
    if (!(sigmas[i] > 0)) throw new RangeError(`${fn}: sigmas must be > 0, got ${sigmas[i]} at index ${i}`);
  }
  const m = means.length;
  const s = sigmas.length;
  const mu = new Float32Array(m * s);
  const lv = new Float32Array(m * s);
  for (let i = 0; i < s; i++) {
    for (let j = 0; j < m; j++) {
      mu[i * m + j] = means[j];
      lv[i * m + j] = 2 * Math.log(sigmas[i]);
    }
  }
  const values = tf.tidy(() => klToStandardNormalPerDimension({ mean: tf.tensor2d(mu, [m * s, 1]), logVariance: tf.tensor2d(lv, [m * s, 1]) }).dataSync());
  const out: number[][] = [];
  for (let i = 0; i < s; i++) out.push(Array.from(values.subarray(i * m, (i + 1) * m)));
  return out;
}

/**
 * The per-dimension KL penalty as a contour map over (μ, σ): filled contours every half nat with
 * labelled lines, and the prior (μ = 0, σ = 1), where the penalty is zero, marked. It shows what
 * the 3-D surface it replaces showed: the single minimum at the prior, the growth with |μ|, the
 * steep rise as σ shrinks towards 0 and the slow one as σ grows past 1.
 */
export function klPenaltyFigure(means: ArrayLike<number>, sigmas: ArrayLike<number>, penalty: number[][]): PlotlyFigure {
  const fn = 'klPenaltyFigure';
  checkFiniteArray(fn, 'means', means);
  checkFiniteArray(fn, 'sigmas', sigmas);
  if (!Array.isArray(penalty) || penalty.length !== sigmas.length || penalty.some((row) => !Array.isArray(row) || row.length !== means.length)) {
    throw new RangeError(`${fn}: penalty must have sigmas.length = ${sigmas.length} rows of means.length = ${means.length} values (klPenaltySurface)`);
  }
  let max = 0;
  for (const row of penalty) for (const v of row) max = Math.max(max, v);
  return {
    data: [
      {
        type: 'contour', x: Array.from(means), y: Array.from(sigmas), z: penalty, colorscale: 'Viridis', name: 'KL penalty',
        contours: { start: 0, end: Math.ceil(max * 2) / 2, size: 0.5, showlabels: true, labelfont: { color: 'white', size: 10 } },
        colorbar: { title: { text: 'nats' } },
        hovertemplate: 'μ = %{x}, σ = %{y}: %{z:.3f} nats<extra></extra>',
      },
      {
        type: 'scatter', mode: 'markers+text', x: [0], y: [1], name: 'the prior (μ = 0, σ = 1)', text: ['prior: 0 nats'],
        textposition: 'top center', textfont: { color: 'white' }, marker: { color: 'white', size: 10, symbol: 'x' },
        hovertemplate: 'μ = 0, σ = 1: the prior, penalty 0<extra></extra>', showlegend: false,
      },
    ],
    layout: {
      title: { text: 'Per-dimension KL penalty −½(1 + log σ² − μ² − σ²)' },
      xaxis: { title: { text: 'encoder mean μ' } },
      yaxis: { title: { text: 'encoder width σ' } },
      height: 520,
    },
  };
}
