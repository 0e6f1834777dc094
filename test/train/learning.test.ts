import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Random } from '../../src/random';
import { binaryPatterns, binaryPatternsLogLikelihood, linearGaussianData, linearGaussianDataset } from '../../src/data/synthetic';
import { trainVae } from '../../src/train/train';
import { linearGaussianFromVae } from '../../src/models/linearDecoder';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('learning', () => {
  it('a small Bernoulli VAE on binary patterns gains ≥ 20 nats of held-out ELBO and stays below the true log-likelihood', async () => {
    const prototypes = 4;
    const flip = 0.05;
    const train = binaryPatterns({ count: 1000, features: 64, prototypes, flipProbability: flip }, new Random(5));
    const heldOut = binaryPatterns({ count: 500, features: 64, prototypes, flipProbability: flip, patterns: train.patterns }, new Random(6));
    const result = await trainVae({
      model: { latentSize: 2, hiddenSizes: [32] }, data: train, heldOut, epochs: 12, batchSize: 32, learningRate: 3e-3, seed: 1, evalCount: 500,
    });
    const before = result.initial!.heldOut!;
    const after = result.final.heldOut!;
    // Untrained: ≈ 64·log ½ ≈ −44 nats or worse; the data-generating process scores ≈ −14.
    expect(after.elbo - before.elbo).toBeGreaterThan(20);
    // E[ELBO] ≤ E[log p_model] ≤ E[log p_true] (Gibbs): the held-out ELBO may not beat the truth.
    let exact = 0;
    for (let i = 0; i < heldOut.count; i++) {
      exact += binaryPatternsLogLikelihood(heldOut.values.subarray(i * 64, (i + 1) * 64), train.patterns, prototypes, flip);
    }
    exact /= heldOut.count;
    expect(after.elbo).toBeLessThan(exact + 4 * after.elboStandardError);
    // …and comes within 5 nats of it: the prototypes were found.
    expect(after.elbo).toBeGreaterThan(exact - 5);
    expect(after.klPerDimension.reduce((s, v) => s + v, 0)).toBeCloseTo(after.kl, 8);
    result.model.dispose();
  });

  it('a linear VAE on linear-Gaussian data gets its ELBO close to the exact log p(x)', async () => {
    const random = new Random(11);
    const { model: truth, data } = linearGaussianDataset({ dataSize: 8, latentSize: 2, count: 2000 }, random);
    const heldOut = linearGaussianData(truth, 500, random);
    const result = await trainVae({
      model: { latentSize: 2, hiddenSizes: [], decoderHiddenSizes: [], likelihood: 'gaussian' },
      data, heldOut, epochs: 60, batchSize: 100, learningRate: 0.03, seed: 3, evalCount: 500,
    });
    const fitted = linearGaussianFromVae(result.model);
    // Closed forms (float64): exact log p(x) under the truth and under the trained decoder, and the
    // ELBO of the trained encoder's q under the trained decoder.
    const x = tf.tensor2d(heldOut.values, [heldOut.count, 8]);
    const q = result.model.encode(x);
    const means = q.mean.dataSync();
    const logVariances = q.logVariance.dataSync();
    tf.dispose([x, q.mean, q.logVariance]);
    let logPTrue = 0;
    let logPFitted = 0;
    let elboClosed = 0;
    for (let i = 0; i < heldOut.count; i++) {
      const xi = heldOut.values.subarray(i * 8, (i + 1) * 8);
      logPTrue += truth.logMarginal(xi);
      const pFitted = fitted.logMarginal(xi);
      const elbo = fitted.elbo(xi, { mean: Array.from(means.subarray(2 * i, 2 * i + 2)), logVariance: Array.from(logVariances.subarray(2 * i, 2 * i + 2)) }).elbo;
      // The ELBO is a lower bound for every x (gap = KL(q ‖ p_θ(z|x)) ≥ 0).
      expect(elbo).toBeLessThanOrEqual(pFitted + 1e-6);
      logPFitted += pFitted;
      elboClosed += elbo;
    }
    const n = heldOut.count;
    logPTrue /= n;
    logPFitted /= n;
    elboClosed /= n;
    // Trained from −20 nats to within 0.6 nats of the truth's exact log p(x) (≈ −7.1 here),
    // with a posterior gap below 0.4 nats.
    expect(result.initial!.heldOut!.elbo).toBeLessThan(logPTrue - 5);
    expect(Math.abs(elboClosed - logPTrue)).toBeLessThan(0.6);
    expect(logPFitted - elboClosed).toBeLessThan(0.4);
    // The training loop's Monte Carlo ELBO (one z per example) agrees with the closed form.
    const mc = result.final.heldOut!;
    expect(Math.abs(mc.elbo - elboClosed)).toBeLessThan(0.15);
    result.model.dispose();
  });
});
