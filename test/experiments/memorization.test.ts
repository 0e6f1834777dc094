import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { Vae } from '../../src/models/vae';
import { encoderSpread, generalizationGap, klPenaltyFigure, klPenaltySurface, medianOfValues, perExampleElbo } from '../../src/experiments/memorization';
import { plotlyBundle } from '../../src/display/plotly';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const softplus = (l: number): number => (l > 0 ? l + Math.log1p(Math.exp(-l)) : Math.log1p(Math.exp(l)));

describe('perExampleElbo', () => {
  it('equals log p(x|z) − KL computed by hand from the encoder and decoder outputs', () => {
    const vae = new Vae({ inputSize: 5, latentSize: 2, hiddenSizes: [4] }, new Random(1));
    const r = new Random(2);
    const values = Float32Array.from(r.uniforms(3 * 5), (u) => (u < 0.5 ? 0 : 1));
    const data = { values, count: 3, features: 5 };
    const before = tf.memory().numTensors;
    const got = perExampleElbo(vae, data, new Random(9), 2);
    expect(tf.memory().numTensors).toBe(before);
    // Independent: same ε stream (two batches: 2 rows, then 1), formulas in float64.
    const eps = new Random(9);
    const noise = [...eps.normals(4), ...eps.normals(2)];
    const x = tf.tensor2d(values, [3, 5]);
    const q = vae.encode(x);
    const mu = q.mean.arraySync();
    const lv = q.logVariance.arraySync();
    for (let i = 0; i < 3; i++) {
      const z = [0, 1].map((j) => mu[i][j] + Math.exp(0.5 * lv[i][j]) * noise[2 * i + j]);
      const logits = tf.tidy(() => vae.decoderOutput(tf.tensor2d([z])).arraySync()[0]);
      let rec = 0;
      for (let k = 0; k < 5; k++) rec += values[i * 5 + k] * logits[k] - softplus(logits[k]);
      let kl = 0;
      for (let j = 0; j < 2; j++) kl += -0.5 * (1 + lv[i][j] - mu[i][j] ** 2 - Math.exp(lv[i][j]));
      expect(got.reconstruction[i]).toBeCloseTo(rec, 3);
      expect(got.kl[i]).toBeCloseTo(kl, 4);
      expect(got.elbo[i]).toBeCloseTo(rec - kl, 3);
    }
    tf.dispose([x, q.mean, q.logVariance]);
    vae.dispose();
  });
});

describe('generalizationGap / median', () => {
  it('difference of means with the SE of a difference', () => {
    const g = generalizationGap([1, 2, 3, 4], [0, 0, 3]);
    expect(g.gap).toBeCloseTo(2.5 - 1, 12);
    const se1 = Math.sqrt((((1 - 2.5) ** 2 + (2 - 2.5) ** 2 + (3 - 2.5) ** 2 + (4 - 2.5) ** 2) / 3) / 4);
    const se2 = Math.sqrt((((0 - 1) ** 2 * 2 + (3 - 1) ** 2) / 2) / 3);
    expect(g.standardError).toBeCloseTo(Math.sqrt(se1 ** 2 + se2 ** 2), 12);
    expect([g.train.n, g.heldOut.n]).toEqual([4, 3]);
    expect(() => generalizationGap([1, 2], [])).toThrow(/generalizationGap: heldOut must not be empty/);
    expect(() => generalizationGap([1, NaN], [1])).toThrow(/generalizationGap: train must contain finite numbers/);
  });
  it('median of odd and even counts; rejects empty input', () => {
    expect(medianOfValues([5, 1, 3])).toBe(3);
    expect(medianOfValues([4, 1, 3, 2])).toBe(2.5);
    expect(() => medianOfValues([])).toThrow(/medianOfValues: values must not be empty/);
  });
});

describe('encoderSpread', () => {
  it('σ = exp(½ log σ²) and ‖μ‖ per example, KL per dimension averaged', () => {
    const vae = new Vae({ inputSize: 4, latentSize: 3, hiddenSizes: [5] }, new Random(3));
    const values = new Random(4).uniforms(5 * 4);
    const s = encoderSpread(vae, { values, count: 5, features: 4 }, 2);
    const x = tf.tensor2d(values, [5, 4]);
    const q = vae.encode(x);
    const mu = q.mean.arraySync();
    const lv = q.logVariance.arraySync();
    const klDim = [0, 0, 0];
    for (let i = 0; i < 5; i++) {
      expect(s.meanNorm[i]).toBeCloseTo(Math.hypot(...mu[i]), 5);
      for (let j = 0; j < 3; j++) {
        expect(s.sigma[i * 3 + j]).toBeCloseTo(Math.sqrt(Math.exp(lv[i][j])), 5);
        klDim[j] += (-0.5 * (1 + lv[i][j] - mu[i][j] ** 2 - Math.exp(lv[i][j]))) / 5;
      }
    }
    klDim.forEach((k, j) => expect(s.klPerDimension[j]).toBeCloseTo(k, 5));
    expect(s.medianMeanNorm).toBeCloseTo(medianOfValues(Array.from(s.meanNorm)), 12);
    tf.dispose([x, q.mean, q.logVariance]);
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
