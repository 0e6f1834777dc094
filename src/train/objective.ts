import * as tf from '@tensorflow/tfjs';
import { LOG_2PI } from '../distributions/gaussian';
import type { Vae } from '../models/vae';
import { bernoulliNegativeLogLikelihood, gaussianKlToStandardNormalRows, gaussianSample } from '../engine/ops/vaeStep';
import { klPerDimensionUnchecked } from '../objectives/kl';

/*
 * The per-step training objective, written with raw tfjs ops and the engine's fused ops on purpose.
 * The math core's functions (bernoulliLogLikelihood, klToStandardNormalPerDimension, ...) read
 * every value back to validate it. Inside a training step that costs two host loops over the
 * batch, and, worse, when a run diverges they throw from inside the gradient tape, which leaks
 * the tensors the tape saved. Training data is validated once before the loop instead, and
 * divergence is caught from the loss value. The equations are the same; test/train checks
 * this objective against the math core's functions (test/train/training.test.ts), so the two
 * cannot drift apart silently.
 */

/**
 * The training objective of one batch (to minimise), a batch mean:
 *   loss = −(1/B) Σ_i log p_θ(x_i|z_i) + β Σ_u max(λ, (1/B) Σ_i KL_iu),
 * with z_i = μ_φ(x_i) + exp(½ logσ²_φ(x_i)) ⊙ ε_i and the closed-form
 *   KL_iu = −½ (1 + log σ²_iu − μ_iu² − σ²_iu).
 * Bernoulli: log p(x|z) = Σ_j x_j l_j − softplus(l_j) (l = decoder logits);
 * Gaussian: log p(x|z) = Σ_j −½ [log 2π + log σ² + (x_j − m_j)² / σ²].
 * With β = 1 and λ = 0 this is −ELBO (document §1). λ = 0 switches free bits off.
 */
export function trainingObjective(model: Vae, x: tf.Tensor2D, noise: tf.Tensor2D, beta: number, freeBits: number): tf.Scalar {
  return tf.tidy(() => {
    const encoded = model.encoderNetwork.apply(x);
    const [mean, logVariance] = tf.split(encoded, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    // The engine's fused ops (src/engine/ops/vaeStep.ts): one kernel each on the fast engines.
    const z = gaussianSample(mean, logVariance, noise);
    const out = model.decoderNetwork.apply(z);
    let reconstructionSum: tf.Tensor; // Σ_i log p_θ(x_i|z_i) over the batch
    if (model.likelihood === 'bernoulli') {
      reconstructionSum = tf.neg(tf.sum(bernoulliNegativeLogLikelihood(out, x)));
    } else {
      const logVar = model.observationLogVariance ?? tf.scalar(model.config.observationLogVariance as number);
      const standardized = tf.mul(tf.squaredDifference(x, out), tf.exp(tf.neg(logVar)));
      reconstructionSum = tf.sum(tf.mul(tf.add(tf.add(standardized, logVar), LOG_2PI), -0.5));
    }
    const reconstructionBatchMean = tf.div(reconstructionSum, x.shape[0]);
    let klTerm: tf.Tensor;
    if (freeBits > 0) {
      klTerm = tf.sum(tf.maximum(tf.mean(klPerDimensionUnchecked(mean, logVariance), 0), freeBits));
    } else {
      klTerm = tf.div(tf.sum(gaussianKlToStandardNormalRows(mean, logVariance)), x.shape[0]);
    }
    return tf.sub(tf.mul(klTerm, beta), reconstructionBatchMean) as tf.Scalar;
  });
}
