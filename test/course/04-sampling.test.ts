// Notebook 04, reason 1 (sampling): the aggregate posterior against the prior, and the classifier judging samples.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { Vae } from '../../src/models/vae';
import { DigitClassifier } from '../../src/models/classifier';
import { evaluatePerExample } from '../../src/train/evaluation';
import { bootstrapStandardError } from '../../src/stats/bootstrap';
import { plotlyBundle } from '../../src/display/plotly';
import {
  AggregatePosterior, aggregatePosteriorLogDensity, judgeImages, judgementTable, labelInformationStandardError, priorFit, priorFitTable,
  priorLogDensity, priorSamplesFigure, sampleAggregatePosterior, summarizePredictions,
} from '../../src/course/04-why-q-near-the-prior';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** A mixture given by plain arrays (rows of means and log-variances). */
function mixture(means: number[][], logVariances: number[][]): AggregatePosterior {
  return { count: means.length, latentSize: means[0].length, encoderMean: Float64Array.from(means.flat()), encoderLogVariance: Float64Array.from(logVariances.flat()) };
}

/** Independent: N(z; m, v) in one dimension, density (not log). */
const normalPdf = (z: number, m: number, v: number): number => Math.exp(-((z - m) ** 2) / (2 * v)) / Math.sqrt(2 * Math.PI * v);

describe('aggregatePosteriorLogDensity', () => {
  it('equals the mixture density computed term by term', () => {
    const q = mixture([[0, 1], [2, -1], [-1, 0.5]], [[0, Math.log(0.25)], [Math.log(2), 0], [Math.log(0.5), Math.log(3)]]);
    const z = Float64Array.from([0.3, -0.2, 1.5, 2.5]);
    const got = aggregatePosteriorLogDensity(q, z);
    for (let i = 0; i < 2; i++) {
      let density = 0;
      for (let c = 0; c < 3; c++) {
        density += normalPdf(z[2 * i], q.encoderMean[2 * c], Math.exp(q.encoderLogVariance[2 * c]))
          * normalPdf(z[2 * i + 1], q.encoderMean[2 * c + 1], Math.exp(q.encoderLogVariance[2 * c + 1])) / 3;
      }
      expect(got[i]).toBeCloseTo(Math.log(density), 10);
    }
  });

  it('stays finite far from every component (log-sum-exp), where the density underflows', () => {
    const q = mixture([[0], [1]], [[Math.log(1e-6)], [Math.log(1e-6)]]);
    const [v] = aggregatePosteriorLogDensity(q, [10]);
    // Nearest component (mean 1) dominates: log(½) + log N(10; 1, 1e-6).
    const expected = Math.log(0.5) - 0.5 * Math.log(2 * Math.PI * 1e-6) - 81 / (2e-6);
    expect(Number.isFinite(v)).toBe(true);
    expect(Math.abs(v - expected) / Math.abs(expected)).toBeLessThan(1e-12);
  });

  it('reads the encoder outputs of the evaluation pass directly', () => {
    const vae = new Vae({ inputSize: 6, latentSize: 2, hiddenSizes: [5] }, new Random(4));
    const values = new Random(5).uniforms(3 * 6);
    const terms = evaluatePerExample(vae, { values, count: 3, features: 6 });
    const point = [0.2, -0.1];
    // Independent: the three encoder Gaussians from the model itself, density summed in float64.
    const x = tf.tensor2d(values, [3, 6]);
    const q = vae.encode(x);
    const mu = q.mean.arraySync();
    const lv = q.logVariance.arraySync();
    tf.dispose([x, q.mean, q.logVariance]);
    let density = 0;
    for (let c = 0; c < 3; c++) density += normalPdf(point[0], mu[c][0], Math.exp(lv[c][0])) * normalPdf(point[1], mu[c][1], Math.exp(lv[c][1])) / 3;
    expect(aggregatePosteriorLogDensity(terms, point)[0]).toBeCloseTo(Math.log(density), 5);
    vae.dispose();
  });

  it('rejects mismatched shapes with a message naming the argument', () => {
    const q = mixture([[0, 0]], [[0, 0]]);
    expect(() => aggregatePosteriorLogDensity(q, Float64Array.from([1, 2, 3]))).toThrow(/aggregatePosteriorLogDensity: z must hold whole rows of 2/);
    expect(() => aggregatePosteriorLogDensity({ ...q, count: 2 }, Float64Array.from([1, 2]))).toThrow(/aggregate.encoderMean/);
    expect(() => aggregatePosteriorLogDensity({ count: 1, latentSize: 2, means: [0, 0] } as never, [1, 2])).toThrow(/train.evaluatePerExample/);
  });
});

describe('priorLogDensity / sampleAggregatePosterior', () => {
  it('priorLogDensity is log N(z; 0, I) per row', () => {
    const v = priorLogDensity(Float64Array.from([1, 2, 0, -0.5]), 2);
    expect(v[0]).toBeCloseTo(Math.log(normalPdf(1, 0, 1) * normalPdf(2, 0, 1)), 12);
    expect(v[1]).toBeCloseTo(Math.log(normalPdf(0, 0, 1) * normalPdf(-0.5, 0, 1)), 12);
  });

  it('draws from the mixture: component means and variances come back (two far-apart components)', () => {
    const q = mixture([[-10], [10]], [[Math.log(0.25)], [Math.log(4)]]); // 5 σ from 0: the sign tells the component
    const z = sampleAggregatePosterior(q, 20000, new Random(6));
    const left = Array.from(z).filter((v) => v < 0);
    const right = Array.from(z).filter((v) => v > 0);
    const moments = (v: number[]) => { const m = v.reduce((s, x) => s + x, 0) / v.length; return [m, v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length]; };
    expect(Math.abs(left.length / 20000 - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / 20000));
    const [ml, vl] = moments(left);
    const [mr, vr] = moments(right);
    expect(Math.abs(ml + 10)).toBeLessThan(4 * Math.sqrt(0.25 / left.length));
    expect(Math.abs(mr - 10)).toBeLessThan(4 * Math.sqrt(4 / right.length));
    expect(vl).toBeCloseTo(0.25, 1);
    expect(vr).toBeCloseTo(4, 0);
  });
});

describe('priorFit', () => {
  it('gives KL = 0 both ways when every component is the prior', () => {
    const q = mixture([[0, 0], [0, 0]], [[0, 0], [0, 0]]);
    const fit = priorFit(q, new Random(1), { samples: 200 });
    expect(Math.abs(fit.klAggregateToPrior.mean)).toBeLessThan(1e-9);
    expect(Math.abs(fit.klPriorToAggregate.mean)).toBeLessThan(1e-9);
    expect(Math.abs(fit.momentMatchedKl)).toBeLessThan(1e-12);
    expect(fit.klAggregateToPrior.n).toBe(200);
  });

  it('matches the closed-form Gaussian KL in both directions for identical components', () => {
    const m = 0.7, v = 0.3;
    const q = mixture([[m, -m], [m, -m], [m, -m]], [[Math.log(v), Math.log(v)], [Math.log(v), Math.log(v)], [Math.log(v), Math.log(v)]]);
    const fit = priorFit(q, new Random(2), { samples: 4000 });
    const klQP = 2 * 0.5 * (v + m * m - 1 - Math.log(v));
    const klPQ = 2 * 0.5 * (1 / v + (m * m) / v - 1 + Math.log(v));
    expect(Math.abs(fit.klAggregateToPrior.mean - klQP)).toBeLessThan(4 * fit.klAggregateToPrior.standardError);
    expect(Math.abs(fit.klPriorToAggregate.mean - klPQ)).toBeLessThan(4 * fit.klPriorToAggregate.standardError);
    expect(fit.momentMatchedKl).toBeCloseTo(klQP, 10);
    // E_p[log q(z)] for q = N(m, v I): −½ Σ_j (log 2π v + (1 + m²)/v).
    const expectedLogQ = -(Math.log(2 * Math.PI * v) + (1 + m * m) / v);
    expect(Math.abs(fit.meanAggregateLogDensityAtPriorSamples - expectedLogQ)).toBeLessThan(0.1 * Math.abs(expectedLogQ));
  });

  it('moment-matched KL of a two-point mixture: closed form, and below the Monte Carlo KL(q ‖ p)', () => {
    const a = 2, v = 0.04;
    const q = mixture([[a], [-a]], [[Math.log(v)], [Math.log(v)]]);
    const s2 = a * a + v; // mixture variance; mean 0
    const fit = priorFit(q, new Random(3), { samples: 4000 });
    expect(fit.momentMatchedKl).toBeCloseTo(0.5 * (s2 - 1 - Math.log(s2)), 12);
    // Exact here: log q ≈ log(½ N(z; ±a, v)) on the mixture's own samples (components far apart).
    const exact = -Math.log(2) - 0.5 * Math.log(v) - 0.5 + 0.5 * (a * a + v); // E[log q − log p]
    expect(Math.abs(fit.klAggregateToPrior.mean - exact)).toBeLessThan(4 * fit.klAggregateToPrior.standardError + 1e-6);
    expect(fit.momentMatchedKl).toBeLessThan(fit.klAggregateToPrior.mean);
  });

  it('rejects bad options', () => {
    const q = mixture([[0]], [[0]]);
    expect(() => priorFit(q, new Random(1), { samples: 1 })).toThrow(/priorFit: options.samples/);
    expect(() => priorFit(q, {} as Random)).toThrow(/priorFit: random/);
  });
});

describe('priorFitTable / priorSamplesFigure', () => {
  it('table: one row per model, the KLs as estimates (mean ± SE), the bound and log q as numbers', () => {
    const q = mixture([[0.5], [-0.5]], [[0], [0]]);
    const vae = priorFit(q, new Random(1), { samples: 100 });
    const free = priorFit(mixture([[3], [-3]], [[-4], [-4]]), new Random(1), { samples: 100 });
    const t = priorFitTable(vae, free);
    expect(t.rows.map((r) => r[0])).toEqual(['VAE (β = 1)', 'KL-free (β = 0)']);
    expect(t.rows[0][1]).toBe(vae.klPriorToAggregate);
    expect(t.rows[1][2]).toBe(free.klAggregateToPrior);
    expect(t.rows[1][3]).toBe(free.momentMatchedKl);
    expect(t.headers).toHaveLength(t.rows[0].length);
  });

  it('figure: the first 36 images of each model, 6 per row, in one picture per model', () => {
    const vae = tf.fill([40, 784], 0.25) as tf.Tensor2D;
    const free = tf.fill([40, 784], 0.75) as tf.Tensor2D;
    const figure = priorSamplesFigure(vae, free);
    const traces = figure.data as Array<Record<string, unknown>>;
    expect(traces.map((t) => t.name)).toEqual(['VAE (β = 1)', 'KL-free (β = 0)']);
    expect(() => plotlyBundle(figure)).not.toThrow();
    expect(() => priorSamplesFigure(vae, free, 7)).toThrow(/priorSamplesFigure: vaeSamples must hold at least 49 images/);
    tf.dispose([vae, free]);
  });
});

describe('summarizePredictions', () => {
  it('uniform rows: entropy log K, confidence 1/K, no label information', () => {
    const s = summarizePredictions(new Array(3 * 4).fill(0.25), 4);
    expect(s.entropy.mean).toBeCloseTo(Math.log(4), 12);
    expect(s.confidence.mean).toBeCloseTo(0.25, 12);
    expect(s.marginalEntropy).toBeCloseTo(Math.log(4), 12);
    expect(Math.abs(s.labelInformation)).toBeLessThan(1e-12);
  });

  it('confident rows spread over classes: entropy 0, label information log(#classes used)', () => {
    const p = [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0];
    const s = summarizePredictions(p, 3);
    expect(s.entropy.mean).toBeCloseTo(0, 12);
    const marginal = [0.5, 0.25, 0.25];
    expect(s.labelInformation).toBeCloseTo(-marginal.reduce((h, q) => h + q * Math.log(q), 0), 12);
    expect(s.predictedCounts).toEqual([2, 1, 1]);
  });

  it('hand-computed entropy and confidence of a mixed row', () => {
    const s = summarizePredictions([0.7, 0.2, 0.1], 3);
    expect(s.entropy.mean).toBeCloseTo(-(0.7 * Math.log(0.7) + 0.2 * Math.log(0.2) + 0.1 * Math.log(0.1)), 12);
    expect(s.confidence.mean).toBeCloseTo(0.7, 12);
  });

  it('bootstrap SE is 0 for identical rows and positive for varied ones', () => {
    expect(labelInformationStandardError([1, 0, 1, 0, 1, 0], 2, new Random(1), 50)).toBeCloseTo(0, 12);
    expect(labelInformationStandardError([1, 0, 0, 1, 0.5, 0.5, 0.9, 0.1], 2, new Random(1), 50)).toBeGreaterThan(0);
  });

  it('rejects bad input', () => {
    expect(() => summarizePredictions([0.5, 0.5, 0.5], 2)).toThrow(/summarizePredictions: probabilities must hold whole rows/);
    expect(() => summarizePredictions([1.5, -0.5], 2)).toThrow(/in \[0, 1\]/);
  });
});

describe('judgeImages / judgementTable', () => {
  it('summarises the classifier\'s p(y|x), the label information with its bootstrap SE, for a tensor or a DataMatrix', () => {
    const c = new DigitClassifier({ inputSize: 5, classes: 3, hiddenSizes: [4] }, new Random(1));
    const values = new Random(2).uniforms(30 * 5);
    const x = tf.tensor2d(values, [30, 5]);
    const p = c.probabilities(x);
    const probabilities = p.dataSync();
    p.dispose();
    const before = tf.memory().numTensors;
    const fromTensor = judgeImages(c, x, new Random(9));
    const fromData = judgeImages(c, { values, count: 30, features: 5 }, new Random(9));
    expect(tf.memory().numTensors).toBe(before);
    const summary = summarizePredictions(probabilities, 3);
    expect(fromTensor.labelInformation.mean).toBe(summary.labelInformation);
    expect(fromTensor.labelInformation.n).toBe(30);
    expect(fromTensor.confidence).toEqual(summary.confidence);
    // Independent bootstrap: I(y; x) recomputed from the probabilities on each resample.
    const information = (rows: Int32Array) => {
      const mean = [0, 0, 0];
      let h = 0;
      rows.forEach((r) => {
        for (let k = 0; k < 3; k++) { mean[k] += probabilities[r * 3 + k] / rows.length; h -= probabilities[r * 3 + k] * Math.log(probabilities[r * 3 + k]) / rows.length; }
      });
      return -mean.reduce((s, q) => s + q * Math.log(q), 0) - h;
    };
    expect(fromTensor.labelInformation.standardError).toBeCloseTo(bootstrapStandardError(30, information, new Random(9)), 10);
    expect(fromData).toEqual(fromTensor);
    expect(() => judgeImages(c, { values: values.subarray(0, 40), count: 10, features: 4 }, new Random(9))).toThrow(/judgeImages: x must have 5 features/);
    x.dispose();

    const t = judgementTable([{ images: 'real', judgement: fromTensor }, { images: 'samples', judgement: fromData }], 0.9365);
    expect(t.caption).toBe('The classifier (held-out accuracy 93.7 %) on 1,000 images of each kind');
    expect(t.rows[0]).toEqual(['real', fromTensor.confidence, fromTensor.entropy, fromTensor.labelInformation, fromTensor.predictedCounts.join(' ')]);
    expect(() => judgementTable([], 0.9)).toThrow(/judgementTable: rows/);
    c.dispose();
  });
});
