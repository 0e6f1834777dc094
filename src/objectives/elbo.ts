/**
 * The evidence lower bound, per example, in the two forms of the document:
 *   analytic-KL form:  ELBO = E_q[log p_θ(x|z)] − KL(q_φ(z|x) ‖ p(z))
 *   pure Monte Carlo:  ELBO = E_q[log p_θ(x,z) − log q_φ(z|x)]
 *                           = E_q[log p_θ(x|z)] − E_q[log q_φ(z|x) − log p(z)].
 * Both are unbiased for the same number; the analytic form has lower variance.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../random';
import type { DiagonalGaussian } from '../distributions/gaussian';
import { diagonalGaussianLogDensity, disposeDiagonalGaussian, reparameterizeUnchecked, standardNormalLogDensity } from '../distributions/gaussian';
import { checkInteger, checkMatrix, checkRandom } from '../checks';
import { klToStandardNormal } from './kl';
import { meanAndStandardError } from './monteCarlo';
import { meanOfIndependentEstimates } from '../stats/index';
import { checkData, checkGenerativeModel, JointSamples, resolveEncoder, sampleJointBlocks } from './sampleJoint';
import type { ElboEstimate, ElboForm, GenerativeModel, InferenceModel } from './types';

function checkForm(fn: string, form: unknown): ElboForm {
  if (form !== 'analyticKl' && form !== 'monteCarlo') {
    throw new RangeError(`${fn}: form must be 'analyticKl' or 'monteCarlo', got ${String(form)}`);
  }
  return form;
}

/**
 * Monte Carlo estimate of the ELBO of each row of x, with standard errors, as plain float64
 * numbers (for display and assertions). `samples` draws z ~ q per example; seeded by `random`.
 * `encoder` is an InferenceModel (q = encoder.encode(x)) or an explicit q with one row per x.
 * With the same seed both forms use the same z draws, so they differ only in how KL is computed.
 */
export function estimateElbo(
  encoder: InferenceModel | DiagonalGaussian, decoder: GenerativeModel, x: tf.Tensor2D,
  random: Random, samples: number, form: ElboForm = 'analyticKl', maxRowsPerChunk?: number,
): ElboEstimate {
  const fn = 'estimateElbo';
  checkForm(fn, form);
  const n = checkMatrix(fn, 'x', x).shape[0];
  const parts: PerExampleElbo = emptyPerExample(n);
  sampleJointBlocks(fn, encoder, decoder, x, random, samples, maxRowsPerChunk, (block, first, q) => {
    const b = perExampleElbo(block, form, q);
    (Object.keys(parts) as (keyof PerExampleElbo)[]).forEach((key) => parts[key].set(b[key], first));
  });
  return withBatchMeans(parts, form, samples);
}

/** The per-example arrays of an ElboEstimate, filled before the batch means are added. */
type PerExampleElbo = Omit<ElboEstimate, 'form' | 'samples' | 'batchMean'>;

function emptyPerExample(n: number): PerExampleElbo {
  const f = (): Float64Array => new Float64Array(n);
  return { elbo: f(), reconstruction: f(), kl: f(), elboStandardError: f(), reconstructionStandardError: f(), klStandardError: f() };
}

function readAndDispose(t: tf.Tensor): Float64Array {
  const out = Float64Array.from(t.dataSync());
  t.dispose();
  return out;
}

/** Per-example ELBO summary from sampled joint terms (q: the block's q, for the analytic KL). */
function perExampleElbo(s: JointSamples, form: ElboForm, q: DiagonalGaussian): PerExampleElbo {
  const { n, samples } = s;
  const rec = meanAndStandardError(s.logLikelihood, n, samples);
  if (form === 'analyticKl') {
    const kl = readAndDispose(klToStandardNormal(q));
    return {
      elbo: rec.mean.map((r, i) => r - kl[i]), reconstruction: rec.mean, kl,
      elboStandardError: rec.standardError, reconstructionStandardError: rec.standardError, klStandardError: new Float64Array(n),
    };
  }
  const logRatio = s.logQ.map((lq, i) => lq - s.logPrior[i]);
  const klMc = meanAndStandardError(logRatio, n, samples);
  // The SE of the ELBO comes from the per-sample ELBO, not from adding the two SEs:
  // reconstruction and KL samples share z and are correlated.
  const perSample = s.logLikelihood.map((ll, i) => ll - logRatio[i]);
  return {
    elbo: rec.mean.map((r, i) => r - klMc.mean[i]), reconstruction: rec.mean, kl: klMc.mean,
    elboStandardError: meanAndStandardError(perSample, n, samples).standardError,
    reconstructionStandardError: rec.standardError, klStandardError: klMc.standardError,
  };
}

function withBatchMeans(p: PerExampleElbo, form: ElboForm, samples: number): ElboEstimate {
  const e = meanOfIndependentEstimates(p.elbo, p.elboStandardError);
  const r = meanOfIndependentEstimates(p.reconstruction, p.reconstructionStandardError);
  const k = meanOfIndependentEstimates(p.kl, p.klStandardError);
  return {
    form, samples, ...p,
    batchMean: {
      elbo: e.mean, reconstruction: r.mean, kl: k.mean,
      elboStandardError: e.standardError, reconstructionStandardError: r.standardError, klStandardError: k.standardError,
    },
  };
}

/** Differentiable per-example ELBO terms (tensors the caller disposes), e.g. for a training loss. */
export interface ElboTensors {
  elbo: tf.Tensor1D;
  reconstruction: tf.Tensor1D;
  kl: tf.Tensor1D;
}

/**
 * The ELBO per example as differentiable tensors (reparameterised z, noise from `random`),
 * averaged over `samples` draws per example:
 *   reconstruction = (1/S) Σ_s log p_θ(x|z_s);  kl = KL(q ‖ N(0,I)) in closed form ('analyticKl')
 *   or (1/S) Σ_s [log q_φ(z_s|x) − log p(z_s)] ('monteCarlo');  elbo = reconstruction − kl.
 * A training loss is `tf.neg(tf.mean(elbo))` (batch mean of per-example sums).
 * (Noise is drawn in one block from `random`, not per example as in `estimateElbo`.)
 */
export function elboTensors(
  encoder: InferenceModel | DiagonalGaussian, decoder: GenerativeModel, x: tf.Tensor2D,
  random: Random, samples = 1, form: ElboForm = 'analyticKl',
): ElboTensors {
  const fn = 'elboTensors';
  checkGenerativeModel(fn, 'decoder', decoder);
  checkData(fn, x);
  checkRandom(fn, 'random', random);
  checkInteger(fn, 'samples', samples, 1);
  checkForm(fn, form);
  const { q, owned } = resolveEncoder(fn, encoder, x, decoder.latentSize);
  try {
    const [elbo, reconstruction, kl] = tf.tidy(() => {
      const t = elboTensorsOf(q, decoder, x, random, samples, form);
      return [t.elbo, t.reconstruction, t.kl];
    });
    return { elbo, reconstruction, kl };
  } finally {
    if (owned) disposeDiagonalGaussian(q);
  }
}

function elboTensorsOf(
  q: DiagonalGaussian, decoder: GenerativeModel, x: tf.Tensor2D, random: Random, samples: number, form: ElboForm,
): ElboTensors {
  const [n, d] = q.mean.shape;
  // Rows ordered sample-major: row s·n + i is sample s of example i.
  const tile = (t: tf.Tensor2D): tf.Tensor2D => tf.tile(t, [samples, 1]);
  const mean = tile(q.mean);
  const logVariance = tile(q.logVariance);
  const eps = tf.tensor2d(random.normals(samples * n * d), [samples * n, d]);
  const z = reparameterizeUnchecked({ mean, logVariance }, eps);   // z = μ + exp(½ log σ²) ⊙ ε
  const perSampleMean = (t: tf.Tensor1D): tf.Tensor1D => tf.mean(tf.reshape(t, [samples, n]), 0) as tf.Tensor1D;
  const reconstruction = perSampleMean(decoder.logLikelihood(tile(x), z));
  const kl = form === 'analyticKl' ? klToStandardNormal(q)
    : perSampleMean(tf.sub(diagonalGaussianLogDensity(z, { mean, logVariance }), standardNormalLogDensity(z)) as tf.Tensor1D);
  return { elbo: tf.sub(reconstruction, kl) as tf.Tensor1D, reconstruction, kl };
}
