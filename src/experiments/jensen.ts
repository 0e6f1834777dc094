/**
 * Jensen's inequality, step 4 of the derivation, measured on importance weights
 *   w(z) = p_θ(x, z) / q(z|x),   z ~ q(z|x):
 *   log E_q[w] ≥ E_q[log w],
 * where log E_q[w] = log p_θ(x) for EVERY q (step 3) and E_q[log w] = ELBO(q) (step 4), so the
 * drop is log p_θ(x) − ELBO(q) = KL(q ‖ p_θ(z|x)) ≥ 0, zero only when q is the posterior.
 *
 * On the linear-Gaussian model both sides are exact (float64), and a sample of S weights gives
 * the empirical version log (1/S) Σ w_s ≥ (1/S) Σ log w_s (Jensen for the sample itself).
 */
import type { Random } from '../random';
import { LinearGaussianModel } from '../exact/linearGaussian';
import { DiagonalGaussianParameters, toVector } from '../exact/inputs';
import { logMeanExp, logMeanExpStandardError } from '../objectives/monteCarlo';
import { effectiveSampleSize } from '../exact/derivation';
import { checkFiniteArray, checkInteger, checkNumber, checkRandom } from '../tensorChecks';
import { meanAndStandardErrorOf } from '../stats/index';
import type { PlotlyFigure } from '../display/plotly';

const LOG_2PI = Math.log(2 * Math.PI);

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
  /** The same two sides estimated from `samples` draws z ~ q, all in float64. */
  sampled: SampleJensen & {
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
 * linear-Gaussian model (one point per perturbation). Needs a diagonal posterior
 * (e.g. LinearGaussianModel.random(..., { orthogonalColumns: true })), so that q can equal it.
 * Each point draws `samples` z ~ q from `random` (z = μ + exp(½ log σ²)·ε) for the sampled sides.
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
    const sd = posterior.logVariance.map((lv) => Math.exp(0.5 * lv));
    const q: DiagonalGaussianParameters = {
      mean: posterior.mean.map((m, j) => m + meanShift * sd[j]),
      logVariance: posterior.logVariance.map((lv) => lv + logVarianceShift),
    };
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
    return {
      meanShift, logVarianceShift, q,
      logExpectedWeight: logMarginal,
      expectedLogWeight: elbo,
      drop: logMarginal - elbo,
      klToPosterior,
      sampled: {
        ...sampled,
        logMeanWeightStandardError: logMeanExpStandardError(logWeights),
        meanLogWeightStandardError: meanAndStandardErrorOf(logWeights, 0, samples).standardError,
        effectiveSampleSize: effectiveSampleSize(logWeights),
      },
    };
  });
}

/** The two arms of a path: q's mean shifted (variance kept), and q's variance scaled (mean kept). */
export function jensenArms(points: readonly JensenPoint[]): { meanShift: JensenPoint[]; logVarianceShift: JensenPoint[] } {
  if (!Array.isArray(points)) throw new TypeError('jensenArms: points must be an array of JensenPoint');
  const byMean = points.filter((p) => p.logVarianceShift === 0).sort((a, b) => a.meanShift - b.meanShift);
  const byVariance = points.filter((p) => p.meanShift === 0).sort((a, b) => a.logVarianceShift - b.logVarianceShift);
  return { meanShift: byMean, logVarianceShift: byVariance };
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
