// Notebook 04, reason 2 (memorisation): generalisation gaps, what the encoder outputs, and the per-dimension KL penalty.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { Vae } from '../../src/models/vae';
import { evaluatePerExample } from '../../src/train/evaluation';
import type { TrainResult } from '../../src/train/train';
import { plotlyBundle } from '../../src/display/plotly';
import {
  encoderSpread, encoderSpreadTable, encoderWidthsFigure, generalizationGaps, generalizationTable, heldOutTermsTable,
  increasesAsSigmaShrinks, increasesWithAbsoluteMean, klPenaltyFigure, klPenaltySurface, meanNormsFigure, penaltyMinimum,
} from '../../src/course/04-why-q-near-the-prior';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const softplus = (l: number): number => (l > 0 ? l + Math.log1p(Math.exp(-l)) : Math.log1p(Math.exp(l)));

/** Independent: per-example log p(x|z) and KL of a Bernoulli VAE, by hand in float64, with one z = μ + σ ε per row. */
function elboByHand(vae: Vae, values: Float32Array, count: number, features: number, noise: ArrayLike<number>): { reconstruction: number[]; elbo: number[] } {
  const x = tf.tensor2d(values, [count, features]);
  const q = vae.encode(x);
  const mu = q.mean.arraySync();
  const lv = q.logVariance.arraySync();
  tf.dispose([x, q.mean, q.logVariance]);
  const d = vae.latentSize;
  const reconstruction: number[] = [];
  const elbo: number[] = [];
  for (let i = 0; i < count; i++) {
    const z = mu[i].map((m, j) => m + Math.exp(0.5 * lv[i][j]) * noise[d * i + j]);
    const logits = tf.tidy(() => vae.decoderOutput(tf.tensor2d([z])).arraySync()[0]);
    let rec = 0;
    for (let k = 0; k < features; k++) rec += values[i * features + k] * logits[k] - softplus(logits[k]);
    let kl = 0;
    for (let j = 0; j < d; j++) kl += -0.5 * (1 + lv[i][j] - mu[i][j] ** 2 - Math.exp(lv[i][j]));
    reconstruction.push(rec);
    elbo.push(rec - kl);
  }
  return { reconstruction, elbo };
}

const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
const standardError = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + (x - mean(v)) ** 2, 0) / (v.length - 1) / v.length);

describe('generalizationGaps', () => {
  it('train − held-out means of log p(x|z) and of the ELBO (computed by hand), with the SE of a difference of independent means', () => {
    const vae = new Vae({ inputSize: 5, latentSize: 2, hiddenSizes: [4] }, new Random(1));
    const binary = (n: number, seed: number) => Float32Array.from(new Random(seed).uniforms(n * 5), (u) => (u < 0.5 ? 0 : 1));
    const trainValues = binary(4, 2);
    const heldValues = binary(3, 3);
    const before = tf.memory().numTensors;
    const g = generalizationGaps(vae, { values: trainValues, count: 4, features: 5 }, { values: heldValues, count: 3, features: 5 }, { train: 9, heldOut: 10 });
    expect(tf.memory().numTensors).toBe(before);
    const onTrain = elboByHand(vae, trainValues, 4, 5, new Random(9).normals(8));
    const onHeld = elboByHand(vae, heldValues, 3, 5, new Random(10).normals(6));
    for (const term of ['reconstruction', 'elbo'] as const) {
      expect(g[term].train.mean).toBeCloseTo(mean(onTrain[term]), 3);
      expect(g[term].heldOut.mean).toBeCloseTo(mean(onHeld[term]), 3);
      expect(g[term].gap.mean).toBeCloseTo(mean(onTrain[term]) - mean(onHeld[term]), 3);
      expect(g[term].gap.standardError).toBeCloseTo(Math.sqrt(standardError(onTrain[term]) ** 2 + standardError(onHeld[term]) ** 2), 3);
    }
    expect([g.elbo.train.n, g.elbo.heldOut.n]).toEqual([4, 3]);
    // The same seeds give the same numbers (every model scored with the same noise).
    expect(generalizationGaps(vae, { values: trainValues, count: 4, features: 5 }, { values: heldValues, count: 3, features: 5 }, { train: 9, heldOut: 10 })).toEqual(g);
    expect(() => generalizationGaps(vae, { values: trainValues, count: 4, features: 5 }, { values: heldValues, count: 3, features: 5 }, { train: -1, heldOut: 10 }))
      .toThrow(/generalizationGaps: seeds.train/);

    const t = generalizationTable(g, g);
    expect(t.rows[0]).toEqual(['VAE (β = 1)', g.reconstruction.train.mean, g.reconstruction.heldOut.mean, g.reconstruction.gap, g.elbo.train.mean, g.elbo.heldOut.mean, g.elbo.gap]);
    expect(t.headers).toHaveLength(7);
    vae.dispose();
  });
});

describe('heldOutTermsTable', () => {
  it('reads the final held-out metrics of both runs', () => {
    const run = (reconstruction: number, kl: number) => ({ final: { heldOut: { reconstruction, kl, elbo: reconstruction - kl } } }) as unknown as TrainResult;
    const t = heldOutTermsTable(run(-80, 25), run(-70, 90));
    expect(t.rows).toEqual([['VAE (β = 1)', -80, 25, -105], ['KL-free (β = 0)', -70, 90, -160]]);
    expect(() => heldOutTermsTable(run(-80, 25), { final: { heldOut: null } } as unknown as TrainResult)).toThrow(/heldOutTermsTable: freeRun must be a training run with held-out metrics/);
  });
});

describe('encoderSpread', () => {
  it('σ = exp(½ log σ²) and ‖μ‖ per example, KL per dimension averaged, their medians and the mean KL term', () => {
    const vae = new Vae({ inputSize: 4, latentSize: 3, hiddenSizes: [5] }, new Random(3));
    const values = new Random(4).uniforms(5 * 4);
    const s = encoderSpread(evaluatePerExample(vae, { values, count: 5, features: 4 }, { batchSize: 2 }));
    const x = tf.tensor2d(values, [5, 4]);
    const q = vae.encode(x);
    const mu = q.mean.arraySync();
    const lv = q.logVariance.arraySync();
    const klDim = [0, 0, 0];
    const norms: number[] = [];
    const sigmas: number[] = [];
    for (let i = 0; i < 5; i++) {
      norms.push(Math.hypot(...mu[i]));
      expect(s.meanNorm[i]).toBeCloseTo(norms[i], 5);
      for (let j = 0; j < 3; j++) {
        sigmas.push(Math.sqrt(Math.exp(lv[i][j])));
        expect(s.sigma[i * 3 + j]).toBeCloseTo(sigmas[sigmas.length - 1], 5);
        klDim[j] += (-0.5 * (1 + lv[i][j] - mu[i][j] ** 2 - Math.exp(lv[i][j]))) / 5;
      }
    }
    klDim.forEach((k, j) => expect(s.klPerDimension[j]).toBeCloseTo(k, 5));
    expect(s.kl).toBeCloseTo(klDim[0] + klDim[1] + klDim[2], 5);
    expect(s.medianMeanNorm).toBeCloseTo([...norms].sort((a, b) => a - b)[2], 5);
    expect(s.medianSigma).toBeCloseTo([...sigmas].sort((a, b) => a - b)[7], 5);
    tf.dispose([x, q.mean, q.logVariance]);

    const widths = encoderWidthsFigure(s, s, 5);
    const [trace] = widths.data as Array<{ x: number[] }>;
    trace.x.forEach((v, k) => expect(v).toBeCloseTo(Math.log10(sigmas[k]), 5));
    expect(() => plotlyBundle(widths)).not.toThrow();
    const norm = meanNormsFigure(s, s, 5);
    expect((norm.data as Array<{ x: number[] }>)[1].x).toEqual(Array.from(s.meanNorm));
    expect(encoderSpreadTable(s, s).rows[1]).toEqual(['KL-free (β = 0)', s.medianSigma, s.medianMeanNorm, s.kl]);
    expect(() => encoderSpread({} as never)).toThrow(/encoderSpread: terms must be the result of train.evaluatePerExample/);
    vae.dispose();
  });
});

describe('klPenaltySurface', () => {
  it('is −½(1 + log σ² − μ² − σ²) with rows over σ and columns over μ', () => {
    const means = [-2, 0, 1.5];
    const sigmas = [0.1, 1, 2];
    const before = tf.memory().numTensors;
    const s = klPenaltySurface(means, sigmas);
    expect(tf.memory().numTensors).toBe(before);
    sigmas.forEach((sg, i) => means.forEach((m, j) => {
      expect(s[i][j]).toBeCloseTo(0.5 * (m * m + sg * sg - 1) - Math.log(sg), 4);
    }));
    expect(s[1][1]).toBeCloseTo(0, 6);
  });
  it('rejects σ ≤ 0', () => {
    expect(() => klPenaltySurface([0], [0])).toThrow(/klPenaltySurface: sigmas must be > 0/);
  });
});

describe('klPenaltyFigure', () => {
  it('draws the penalty as a contour map over (μ, σ) with the prior marked, in trace types the bundle has', () => {
    const means = [-1, -0.5, 0, 0.5, 1];
    const sigmas = [0.5, 1, 1.5];
    const penalty = klPenaltySurface(means, sigmas);
    const figure = klPenaltyFigure(means, sigmas, penalty);
    const [contour, prior] = figure.data as Array<Record<string, unknown>>;
    expect(contour.type).toBe('contour');
    expect(contour.z).toBe(penalty);
    expect([prior.x, prior.y]).toEqual([[0], [1]]);
    const layout = figure.layout as Record<string, { title: { text: string } }>;
    expect([layout.xaxis.title.text, layout.yaxis.title.text]).toEqual(['encoder mean μ', 'encoder width σ']);
    expect(() => plotlyBundle(figure)).not.toThrow();
    expect(() => klPenaltyFigure(means, sigmas, penalty.slice(1))).toThrow(/klPenaltyFigure: penalty must have sigmas.length = 3 rows/);
  });
});

describe('the penalty\'s shape on a grid', () => {
  const means = [-2, -1, 0, 1, 2];
  const sigmas = [0.25, 0.5, 1, 2];
  const closedForm = sigmas.map((s) => means.map((m) => 0.5 * (m * m + s * s - 1) - Math.log(s)));

  it('the closed form: minimum 0 at (μ = 0, σ = 1), growing with |μ| and as σ shrinks below 1', () => {
    expect(penaltyMinimum(means, sigmas, closedForm)).toEqual({ value: 0, mean: 0, sigma: 1 });
    expect(increasesWithAbsoluteMean(means, closedForm)).toBe(true);
    expect(increasesAsSigmaShrinks(sigmas, closedForm)).toBe(true);
  });

  it('a grid that breaks each property is caught', () => {
    const flatInMean = closedForm.map((row, i) => (i === 1 ? row.map((v, j) => (j === 4 ? row[3] : v)) : row));
    expect(increasesWithAbsoluteMean(means, flatInMean)).toBe(false);
    const dipLeft = closedForm.map((row) => row.map((v, j) => (j === 0 ? row[1] - 0.1 : v)));
    expect(increasesWithAbsoluteMean(means, dipLeft)).toBe(false);
    const notRisingAsSigmaShrinks = closedForm.map((row, i) => (i === 0 ? row.map((v, j) => (j === 2 ? closedForm[1][2] : v)) : row));
    expect(increasesAsSigmaShrinks(sigmas, notRisingAsSigmaShrinks)).toBe(false);
    // Above σ = 1 the penalty may do anything.
    const wildAboveOne = closedForm.map((row, i) => (i === 3 ? row.map(() => -5) : row));
    expect(increasesAsSigmaShrinks(sigmas, wildAboveOne)).toBe(true);
    expect(penaltyMinimum(means, sigmas, wildAboveOne)).toEqual({ value: -5, mean: -2, sigma: 2 });
  });

  it('rejects grids it cannot read', () => {
    expect(() => increasesWithAbsoluteMean([1, 2, 3], [[1, 2, 3]])).toThrow(/increasesWithAbsoluteMean: means must include 0/);
    expect(() => increasesWithAbsoluteMean([0, -1], [[1, 2]])).toThrow(/means must be increasing/);
    expect(() => increasesAsSigmaShrinks([1, 0.5], closedForm.slice(0, 2))).toThrow(/increasesAsSigmaShrinks: sigmas must be increasing/);
    expect(() => penaltyMinimum(means, sigmas, closedForm.slice(1))).toThrow(/penaltyMinimum: penalty must have sigmas.length = 4 rows/);
  });
});
