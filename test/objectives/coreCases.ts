/**
 * The math-core cases every backend test runs (not a test file itself): densities, sampling,
 * likelihoods, the KL forms, ELBO (both forms), IWAE, quadrature and the derivation steps, on
 * fixed inputs and seeds. Same seed ⇒ same draws on every backend (the noise comes from
 * Random on the host), so backends must agree up to float32 arithmetic. Rows of the result:
 * 9 = the analytic-KL ELBO (3 values, then 3 standard errors), 13 = the quadrature log p(x).
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { Random } from '../../src/random';
import { diagonalGaussianLogDensity, sampleDiagonalGaussian, standardNormalLogDensity } from '../../src/distributions/gaussian';
import { bernoulliLogLikelihood } from '../../src/distributions/bernoulli';
import { gaussianLogLikelihood } from '../../src/distributions/gaussianLikelihood';
import { klDiagonalGaussians, klMonteCarlo, klToStandardNormal, klToStandardNormalPerDimension } from '../../src/objectives/kl';
import { elboTensors, estimateElbo } from '../../src/objectives/elbo';
import { importanceWeightedBound } from '../../src/objectives/iwae';
import { LinearGaussianModel } from '../../src/exact/linearGaussian';
import { quadrature2d } from '../../src/exact/quadrature2d';
import { derivationSteps } from '../../src/exact/derivation';

export const model = LinearGaussianModel.random(new Random(1), 6, 2, { logVariance: Math.log(0.5) });
export const xData = Array.from(Float32Array.from(model.sample(new Random(2), 3)));
export const qMean = [0.2, -0.3, 0.5, 0.1, -0.4, 0.3];
export const qLogVar = [-1, -0.7, -0.5, -1.2, -0.9, -0.6];

/** Everything we compare, computed on the current backend; checks memory after each call. */
export function runCoreCases(): number[][] {
  const before = tf.memory().numTensors;
  const x = tf.tensor2d(xData, [3, 6]);
  const q = { mean: tf.tensor2d(qMean, [3, 2]), logVariance: tf.tensor2d(qLogVar, [3, 2]) };
  const z = tf.tensor2d([0.1, 0.2, -0.5, 1, 2, -1], [3, 2]);
  const bx = tf.tensor2d([1, 0, 1, 1, 0, 0], [3, 2]);
  const dec = model.asGenerativeModel();
  const out: number[][] = [];
  const read = (f: () => tf.Tensor): void => {
    const n = tf.memory().numTensors;
    const t = f();
    out.push(Array.from(t.dataSync()));
    t.dispose();
    expect(tf.memory().numTensors).toBe(n);
  };
  const plain = <T>(f: () => T): T => {
    const n = tf.memory().numTensors;
    const v = f();
    expect(tf.memory().numTensors).toBe(n);
    return v;
  };
  read(() => diagonalGaussianLogDensity(z, q));
  read(() => standardNormalLogDensity(z));
  read(() => sampleDiagonalGaussian(q, new Random(3)));
  read(() => bernoulliLogLikelihood(bx, z));
  read(() => gaussianLogLikelihood(z, q.mean, q.logVariance));
  read(() => klToStandardNormal(q));
  read(() => klToStandardNormalPerDimension(q));
  read(() => klDiagonalGaussians(q, { mean: z, logVariance: q.mean }));
  out.push(Array.from(plain(() => klMonteCarlo(q, 'standardNormal', new Random(4), 500)).value));
  for (const form of ['analyticKl', 'monteCarlo'] as const) {
    const e = plain(() => estimateElbo(q, dec, x, new Random(5), 2000, form));
    out.push([...e.elbo, ...e.elboStandardError]);
  }
  read(() => { const t = elboTensors(q, dec, x, new Random(6), 3); tf.dispose([t.kl, t.reconstruction]); return t.elbo; });
  out.push(Array.from(plain(() => importanceWeightedBound(q, dec, x, new Random(7), 50, 4)).value));
  const m2 = LinearGaussianModel.random(new Random(8), 5, 2, { logVariance: Math.log(0.4) });
  const x2 = Array.from(Float32Array.from(m2.sample(new Random(9), 1)));
  out.push([plain(() => quadrature2d(m2.asGenerativeModel(), x2, { pointsPerAxis: 81 })).logMarginal]);
  out.push(plain(() => derivationSteps(m2, x2, { mean: [0, 0], logVariance: [-1, -1] }, { method: 'quadrature', random: new Random(10), samples: 200 }))
    .steps.map((s) => s.value));
  tf.dispose([x, q.mean, q.logVariance, z, bx]);
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

/** Closed-form anchors for a backend's results: analytic-KL ELBO within 5 SE of the exact one, quadrature = exact log p(x). */
export function expectCoreAnchors(rows: number[][], quadratureDigits = 4): void {
  const elboRow = rows[9];
  for (let i = 0; i < 3; i++) {
    const exact = model.elbo(xData.slice(6 * i, 6 * i + 6), { mean: qMean.slice(2 * i, 2 * i + 2), logVariance: qLogVar.slice(2 * i, 2 * i + 2) }).elbo;
    expect(Math.abs(elboRow[i] - exact)).toBeLessThan(5 * elboRow[3 + i]);
  }
  const m2 = LinearGaussianModel.random(new Random(8), 5, 2, { logVariance: Math.log(0.4) });
  const x2 = Array.from(Float32Array.from(m2.sample(new Random(9), 1)));
  expect(rows[13][0]).toBeCloseTo(m2.logMarginal(x2), quadratureDigits);
}
