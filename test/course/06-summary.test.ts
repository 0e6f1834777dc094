import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { Vae } from '../../src/models/vae';
import { linearGaussianFromVae } from '../../src/models/linearDecoder';
import { LinearGaussianModel } from '../../src/exact/linearGaussian';
import { aggregatePosteriorGaussianKl } from '../../src/exact/kl';
import { linearGaussianDataset } from '../../src/data/synthetic';
import { rateDistortion } from '../../src/train/evaluation';
import type { TrainResult } from '../../src/train/train';
import type { EpochMetrics } from '../../src/train/metrics';
import type { ElboBatchMean } from '../../src/objectives/types';
import {
  claimSpecs, codesVsPrior, codesVsPriorTable, elboOf, encoderTrainingTable, exactGapDuringTraining, exactGapOverData, gapPathText,
  jointTrainingTable, linearVaeConfig, meanExactLogEvidence, pointOneTex, priorDrawsFigure, reconstructionTable,
  reconstructionThroughCode, resetEncoder, sameLinearGaussian, spoiledPosteriorGaps, spoiledPosteriorTable, strictlyIncreasing, summaryFigure,
} from '../../src/course/06-summary';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** A small binary data set of `count` rows of `features` pixels. */
function binaryData(count: number, features: number, random: Random) {
  const values = Float32Array.from({ length: count * features }, () => (random.uniform() < 0.3 ? 1 : 0));
  return { values, count, features };
}

describe('point 1', () => {
  const batchMean: ElboBatchMean = { elbo: -100.25, reconstruction: -90.5, kl: 9.75, elboStandardError: 0.5, reconstructionStandardError: 0.5, klStandardError: 0 };
  it('elboOf reads the ELBO and its SE', () => {
    expect(elboOf(batchMean)).toEqual({ mean: -100.25, standardError: 0.5 });
    expect(() => elboOf({ ...batchMean, elboStandardError: -1 })).toThrow(/elboOf/);
  });
  it('pointOneTex shows the split form and the definition with their numbers', () => {
    const tex = pointOneTex(batchMean, { ...batchMean, elbo: -100.31, elboStandardError: 0.07 });
    for (const number of ['-100.25', '-90.50', '9.75', '-100.31', '0.07']) expect(tex).toContain(number);
  });
});

describe('point 2: reconstructionThroughCode', () => {
  it('own code: the pass of rateDistortion with the same generator; other: the same z given to permuted rows; no tensor left', () => {
    const model = new Vae({ inputSize: 20, latentSize: 3, hiddenSizes: [6] }, new Random(1));
    const data = binaryData(40, 20, new Random(2));
    const before = tf.memory().numTensors;
    const through = reconstructionThroughCode(model, data, new Random(3), new Random(4));
    expect(tf.memory().numTensors).toBe(before);
    const reference = rateDistortion(model, data, new Random(3));
    expect(through.own.mean).toBeCloseTo(-reference.distortionMean.mean, 10);
    expect(through.own.standardError).toBeCloseTo(reference.distortionMean.standardError, 10);
    // independently: z_π(i) for row i, with π = Random(4).permutation and ε = Random(3).normals
    const permutation = new Random(4).permutation(40);
    const eps = new Random(3).normals(40 * 3);
    const other = tf.tidy(() => {
      const x = tf.tensor2d(data.values, [40, 20]);
      const q = model.encode(x);
      const mean = q.mean.arraySync(), logVariance = q.logVariance.arraySync();
      const z = mean.map((row, i) => row.map((m, u) => m + Math.exp(0.5 * logVariance[i][u]) * eps[i * 3 + u]));
      return Array.from(model.logLikelihood(x, tf.tensor2d(Array.from(permutation, (j) => z[j]))).dataSync());
    });
    expect(through.other.mean).toBeCloseTo(other.reduce((s, v) => s + v, 0) / 40, 3);
    expect(through.difference.mean).toBeCloseTo(through.own.mean - through.other.mean, 8);
    expect(through.difference.n).toBe(40);
    model.dispose();
  });
  it('rejects data of the wrong width', () => {
    const model = new Vae({ inputSize: 4, latentSize: 1, hiddenSizes: [] }, new Random(1));
    expect(() => reconstructionThroughCode(model, binaryData(3, 5, new Random(1)), new Random(1), new Random(2))).toThrow(/reconstructionThroughCode: data must have 4 features/);
    model.dispose();
  });
  it('reconstructionTable lists before, after, own and other', () => {
    const metrics = (epoch: number, reconstruction: number) => ({ epoch, heldOut: { reconstruction } }) as unknown as EpochMetrics;
    const run = { initial: metrics(0, -543.21), history: [metrics(1, -200), metrics(2, -123.456)], final: metrics(2, -123.456) } as unknown as TrainResult;
    const through = { own: { mean: -120.5, standardError: 1, n: 9 }, other: { mean: -300.25, standardError: 2, n: 9 }, difference: { mean: 179.75, standardError: 1, n: 9 } };
    const table = reconstructionTable(run, through);
    expect(table.rows.map((r) => r[1])).toEqual(['-543.21', '-123.46', '-120.50', '-300.25']);
    expect(table.rows[1][0]).toBe('after 2 epochs');
    expect(() => reconstructionTable({ ...run, initial: null }, through)).toThrow(/reconstructionTable: run must have held-out metrics/);
  });
});

describe('point 3', () => {
  it('codesVsPrior: the aggregate posterior of the encoder outputs and the mean rate, as rateDistortion reads them', () => {
    const model = new Vae({ inputSize: 20, latentSize: 3, hiddenSizes: [6] }, new Random(5));
    const data = binaryData(30, 20, new Random(6));
    const before = tf.memory().numTensors;
    const codes = codesVsPrior(model, data);
    expect(tf.memory().numTensors).toBe(before);
    const reference = rateDistortion(model, data, new Random(7));
    expect(codes.aggregateKl).toBe(aggregatePosteriorGaussianKl(reference.encoderMean, reference.encoderLogVariance, 3));
    expect(codes.rate.mean).toBe(reference.rateMean.mean);
    expect(codes.aggregateKl).toBeGreaterThan(0);
    model.dispose();
  });
  it('an encoder that outputs the prior for every x has aggregate KL 0 and rate 0', () => {
    const prior = { latentSize: 2, encode: (x: tf.Tensor2D) => ({ mean: tf.zeros([x.shape[0], 2]) as tf.Tensor2D, logVariance: tf.zeros([x.shape[0], 2]) as tf.Tensor2D }) };
    const codes = codesVsPrior(prior, binaryData(5, 3, new Random(1)));
    expect(codes.aggregateKl).toBeCloseTo(0, 12);
    expect(codes.rate.mean).toBe(0);
  });
  it('codesVsPriorTable shows both models', () => {
    const table = codesVsPriorTable({ aggregateKl: 0.12345, rate: { mean: 20.5, standardError: 0.1, n: 5 } }, { aggregateKl: 3.5, rate: { mean: 80, standardError: 1, n: 5 } });
    expect(table.rows).toEqual([['VAE (β = 1)', '0.123', '20.50'], ['no KL term (β = 0)', '3.500', '80.00']]);
  });
  it('priorDrawsFigure decodes the same z with both models (identical models give identical rows)', () => {
    const a = new Vae({ inputSize: 784, latentSize: 2, hiddenSizes: [4] }, new Random(8));
    const b = new Vae({ inputSize: 784, latentSize: 2, hiddenSizes: [4] }, new Random(8));
    const before = tf.memory().numTensors;
    const figure = priorDrawsFigure(a, b, 9);
    expect(tf.memory().numTensors).toBe(before);
    expect(figure.data).toHaveLength(1);
    expect(figure.data[0].type).toBe('image');
    expect(() => priorDrawsFigure(a, new Vae({ inputSize: 5, latentSize: 1, hiddenSizes: [] }, new Random(1)), 9)).toThrow(/priorDrawsFigure: withoutKl must decode 28×28/);
    a.dispose();
    b.dispose();
  });
});

describe('point 4: spoiledPosteriorGaps', () => {
  const { model, data } = linearGaussianDataset({ dataSize: 8, latentSize: 2, count: 10 }, new Random(21));
  const x = data.values.subarray(0, 8);
  const spoil = [0, 0.25, 1, 3];
  const rows = spoiledPosteriorGaps(model, x, spoil);
  it('gap = KL to the true posterior, 0 at the posterior, and the closed-form KL of the spoiled Gaussian', () => {
    expect(rows.map((r) => r.t)).toEqual(spoil);
    expect(Math.abs(rows[0].gap)).toBeLessThan(1e-10);
    for (const r of rows) {
      expect(r.gap).toBeCloseTo(r.kl, 9);
      // per dimension: mean shifted by t SDs, SD scaled by 1 + t ⇒ ½[(1 + t)² + t² − 1 − 2 log(1 + t)]
      const perDimension = 0.5 * ((1 + r.t) ** 2 + r.t ** 2 - 1 - 2 * Math.log(1 + r.t));
      expect(r.kl).toBeCloseTo(2 * perDimension, 9);
    }
    expect(strictlyIncreasing(rows.map((r) => r.gap))).toBe(true);
  });
  it('tables and text', () => {
    expect(gapPathText(rows).split(' < ')).toHaveLength(4);
    expect(gapPathText(rows)).toMatch(/^-?0\.000 < \d+\.\d{3} < /); // the posterior itself first (gap 0 up to rounding)
    expect(spoiledPosteriorTable(rows).rows[2][0]).toBe(1);
    expect(strictlyIncreasing([1, 2, 2])).toBe(false);
    expect(strictlyIncreasing([3, 1])).toBe(false);
    expect(() => spoiledPosteriorGaps(model, x, [-1])).toThrow(/spoiledPosteriorGaps: spoil\[0\]/);
  });
});

describe('exactGapOverData', () => {
  it('gives gap 0 for the exact (diagonal) posterior and logEvidence − elbo = klToPosterior otherwise', () => {
    const { model, data } = linearGaussianDataset({ dataSize: 5, latentSize: 2, count: 6 }, new Random(3));
    const d = 5;
    const exact = {
      latentSize: 2,
      encode: (x: tf.Tensor2D) => {
        const rows = x.arraySync();
        const ps = rows.map((r) => model.posteriorMarginals(r));
        return { mean: tf.tensor2d(ps.map((p) => Array.from(p.mean))), logVariance: tf.tensor2d(ps.map((p) => Array.from(p.logVariance))) };
      },
    };
    const before = tf.memory().numTensors;
    const g = exactGapOverData(model, exact, data);
    expect(tf.memory().numTensors).toBe(before);
    for (let i = 0; i < data.count; i++) {
      expect(g.klToPosterior[i]).toBeLessThan(1e-4); // float32 encoder outputs
      expect(g.logEvidence[i]).toBeCloseTo(model.logMarginalDense(data.values.subarray(i * d, (i + 1) * d)), 6);
    }
    const off = { latentSize: 2, encode: (x: tf.Tensor2D) => ({ mean: tf.zeros([x.shape[0], 2]) as tf.Tensor2D, logVariance: tf.zeros([x.shape[0], 2]) as tf.Tensor2D }) };
    const h = exactGapOverData(model, off, data);
    for (let i = 0; i < data.count; i++) expect(h.logEvidence[i] - h.elbo[i]).toBeCloseTo(h.klToPosterior[i], 6);
    expect(h.meanKlToPosterior).toBeGreaterThan(0.1);
    expect(h.meanElbo).toBeCloseTo(h.elbo.reduce((s, v) => s + v, 0) / data.count, 12);
  });
  it('rejects a non-linear-Gaussian model', () => {
    expect(() => exactGapOverData({} as LinearGaussianModel, { latentSize: 1, encode: () => { throw new Error(); } }, { values: new Float32Array(1), count: 1, features: 1 })).toThrow(/exactGapOverData: model/);
  });
  it('meanExactLogEvidence averages the dense closed form', () => {
    const { model, data } = linearGaussianDataset({ dataSize: 4, latentSize: 2, count: 7 }, new Random(4));
    let sum = 0;
    for (let i = 0; i < 7; i++) sum += model.logMarginalDense(data.values.subarray(i * 4, (i + 1) * 4));
    expect(meanExactLogEvidence(model, data)).toBeCloseTo(sum / 7, 8);
  });
});

describe('point 5: exactGapDuringTraining', () => {
  const { data } = linearGaussianDataset({ dataSize: 8, latentSize: 2, count: 200 }, new Random(5));

  it('encoder only: θ bit-identical, the gap falls, log p_θ(x) constant, every ELBO gain a fall of the gap; no leaks', async () => {
    const vae = new Vae(linearVaeConfig, new Random(6));
    const decoderBefore = linearGaussianFromVae(vae);
    const encoderBefore = vae.encoderNetwork.variables().map((v) => Float32Array.from(v.dataSync()));
    const tensors = tf.memory().numTensors;
    const trace = await exactGapDuringTraining(vae, data, { parameters: 'encoder', epochs: 20, learningRate: 0.02, seed: 1 });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(trace.map((r) => r.epoch)).toEqual(Array.from({ length: 21 }, (_, e) => e));
    expect(sameLinearGaussian(decoderBefore, linearGaussianFromVae(vae))).toBe(true);
    expect(vae.encoderNetwork.variables().some((v, k) => v.dataSync().some((w, j) => w !== encoderBefore[k][j]))).toBe(true);
    const start = trace[0], end = trace[20];
    expect(end.gap).toBeLessThan(0.5 * start.gap);
    for (const r of trace) expect(r.logEvidence).toBe(start.logEvidence);
    expect(end.elbo - start.elbo).toBeCloseTo(start.gap - end.gap, 8);
    vae.dispose();
  });

  it('θ and φ together: records epoch 0, every `every`-th epoch and the last; log p_θ(x) rises; ELBO ≤ log p_θ(x)', async () => {
    const vae = new Vae(linearVaeConfig, new Random(7));
    const trace = await exactGapDuringTraining(vae, data, { parameters: 'all', epochs: 12, seed: 2, every: 5 });
    expect(trace.map((r) => r.epoch)).toEqual([0, 5, 10, 12]);
    expect(trace[3].logEvidence).toBeGreaterThan(trace[0].logEvidence);
    for (const r of trace) {
      expect(r.elbo).toBeLessThanOrEqual(r.logEvidence + 1e-9);
      expect(r.gap).toBeCloseTo(r.logEvidence - r.elbo, 8);
    }
    vae.dispose();
  });

  it('rejects bad options', async () => {
    const vae = new Vae(linearVaeConfig, new Random(1));
    await expect(exactGapDuringTraining(vae, data, { parameters: 'all', epochs: 0, seed: 1 })).rejects.toThrow(/exactGapDuringTraining: options.epochs/);
    await expect(exactGapDuringTraining(vae, data, { parameters: 'decoder' as 'all', epochs: 1, seed: 1 })).rejects.toThrow(/options.parameters/);
    vae.dispose();
  });

  it('resetEncoder gives the encoder a new Vae’s weights and leaves θ alone', () => {
    const vae = new Vae(linearVaeConfig, new Random(8));
    const decoder = vae.decoderNetwork.variables().map((v) => Array.from(v.dataSync()));
    const tensors = tf.memory().numTensors;
    resetEncoder(vae, new Random(9));
    expect(tf.memory().numTensors).toBe(tensors);
    const reference = new Vae(linearVaeConfig, new Random(9));
    vae.encoderNetwork.variables().forEach((v, k) => expect(Array.from(v.dataSync())).toEqual(Array.from(reference.encoderNetwork.variables()[k].dataSync())));
    vae.decoderNetwork.variables().forEach((v, k) => expect(Array.from(v.dataSync())).toEqual(decoder[k]));
    reference.dispose();
    vae.dispose();
  });

  it('sameLinearGaussian tells a changed bias or variance', () => {
    const a = new LinearGaussianModel([[1, 0], [0, 1], [1, 1]], [0, 0, 0], -1);
    expect(sameLinearGaussian(a, new LinearGaussianModel([[1, 0], [0, 1], [1, 1]], [0, 0, 0], -1))).toBe(true);
    expect(sameLinearGaussian(a, new LinearGaussianModel([[1, 0], [0, 1], [1, 1]], [0, 1e-12, 0], -1))).toBe(false);
    expect(sameLinearGaussian(a, new LinearGaussianModel([[1, 0], [0, 1], [1, 1]], [0, 0, 0], -1 + 1e-12))).toBe(false);
  });

  it('the tables show start and end', () => {
    const trace = [{ epoch: 0, logEvidence: -20, elbo: -25, gap: 5 }, { epoch: 150, logEvidence: -6.1234, elbo: -6.2, gap: 0.0766 }];
    const joint = jointTrainingTable(trace, -5.5);
    expect(joint.rows).toEqual([['before training', '-20.000', '-25.000', '5.000'], ['after 150 epochs', '-6.123', '-6.200', '0.077'], ['the model that generated the data', '-5.500', '', '']]);
    expect(encoderTrainingTable(trace).rows[1]).toEqual(['after 150 epochs', '-6.123', '-6.200', '0.077']);
    expect(() => encoderTrainingTable(trace.slice(0, 1))).toThrow(/encoderTrainingTable: trace/);
  });
});

describe('the dashboard and the claims', () => {
  it('summaryFigure: eight traces on six panels, 5a zoomed on the end of training', () => {
    const mean: ElboBatchMean = { elbo: -100, reconstruction: -90, kl: 10, elboStandardError: 0.5, reconstructionStandardError: 0.5, klStandardError: 0 };
    const epochs = [0, 1, 2].map((epoch) => ({ epoch, heldOut: { reconstruction: -500 + 100 * epoch } })) as unknown as EpochMetrics[];
    const trace = [{ epoch: 0, logEvidence: -20, elbo: -25, gap: 5 }, { epoch: 5, logEvidence: -6, elbo: -6.5, gap: 0.5 }];
    const figure = summaryFigure({ splitForm: mean, definition: mean, epochs, aggregateKl: { withKl: 0.5, withoutKl: 9 }, gapPath: [{ t: 0, gap: 0, kl: 0 }], joint: trace, encoderOnly: trace });
    expect(figure.data).toHaveLength(8);
    expect(new Set(figure.data.map((t) => t.xaxis))).toEqual(new Set(['x', 'x2', 'x3', 'x4', 'x5', 'x6']));
    expect(figure.data[1].y).toEqual([-500, -400, -300]);
    expect((figure.layout!.yaxis5 as { range: number[] }).range).toEqual([-21, -4]);
    expect(figure.layout!.annotations).toHaveLength(6);
    expect(() => summaryFigure({ splitForm: mean, definition: mean, epochs, aggregateKl: { withKl: 0.5, withoutKl: 9 }, gapPath: [], joint: trace, encoderOnly: trace })).toThrow(/numbers.gapPath/);
  });
  it('claimSpecs: thirteen distinct ids in §6', () => {
    const specs = Object.values(claimSpecs);
    expect(specs).toHaveLength(13);
    expect(new Set(specs.map((s) => s.id)).size).toBe(13);
    for (const s of specs) expect(s.section).toBe('§6');
  });
});
