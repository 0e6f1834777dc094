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
  claimSpecs, codesVsPrior, codesVsPriorTable, conditionedPosterior, decoderStep, elboGainSplit, elboMaximisingDecoder, elboOf, encoderQs,
  encoderTrainingTable, exactGapDuringTraining, exactGapOfQs, exactGapOverData, exactPosteriorQs, float64RoundingBound, gainIsGapFall,
  gainSplitsHold, gainSplitTable, gapPathText, gapVersusKl, gapVersusSampledKl, jointTrainingTable, klToConditionedPosterior,
  klToConditionedPosteriorSampled, linearVaeConfig, meanExactLogEvidence, notableSplits, pointOneTex, priorDrawsFigure, reconstructionTable,
  reconstructionThroughCode, resetEncoder, sameLinearGaussian, shrunkenDecoder, spoiledPosteriorGaps, spoiledPosteriorTable, stepText,
  strictlyIncreasing, summaryFigure, traceGainSplits, wrongWayMoves, wrongWayText,
} from '../../src/course/06-summary';
import type { DiagonalQs, ExactGapRecord } from '../../src/course/06-summary';

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

describe('route B: the posterior by conditioning the joint Gaussian of (x, z)', () => {
  // a model with correlated columns, so the posterior is a full 2×2 Gaussian
  const model = new LinearGaussianModel([[1, 0.5], [0.3, -1], [2, 1], [0, 0.7], [-0.4, 0.2]], [0.1, -0.2, 0.3, 0, 1], Math.log(0.3));
  const x = [0.5, -1, 2, 0.3, 1.1];

  it('equals src\'s posterior N(M⁻¹Wᵀ(x − b), σ²M⁻¹) (a different route: through M, not C)', () => {
    const posterior = conditionedPosterior(model);
    const reference = model.posterior(x);
    posterior.mean(x).forEach((m, j) => expect(m).toBeCloseTo(reference.mean[j], 12));
    posterior.covariance.forEach((c, k) => expect(c).toBeCloseTo(reference.covariance[k], 12));
    expect(posterior.maxAbsCorrelation).toBeCloseTo(reference.maxAbsCorrelation, 12);
    expect(posterior.maxAbsCorrelation).toBeGreaterThan(0.05);
  });

  it('for a 1-D model is the textbook N(w(x − b)/(w² + σ²), σ²/(w² + σ²))', () => {
    const one = new LinearGaussianModel([[2]], [1], Math.log(0.5));
    const posterior = conditionedPosterior(one);
    expect(posterior.mean([4])[0]).toBeCloseTo((2 * 3) / 4.5, 14);
    expect(posterior.covariance[0]).toBeCloseTo(0.5 / 4.5, 14);
  });

  it('its KL, closed form, equals src\'s klToPosterior and the gap log p(x) − ELBO(q); by Monte Carlo it agrees within 4 SE', () => {
    const posterior = conditionedPosterior(model);
    const q = { mean: [0.3, -0.2], logVariance: [Math.log(0.2), Math.log(0.5)] };
    const kl = klToConditionedPosterior(q, posterior, posterior.mean(x));
    expect(kl).toBeCloseTo(model.klToPosterior(x, q), 11);
    expect(kl).toBeCloseTo(model.logMarginalDense(x) - model.elbo(x, q).elbo, 11);
    const sampled = klToConditionedPosteriorSampled(q, posterior, posterior.mean(x), new Random(3), 20000);
    expect(sampled.n).toBe(20000);
    expect(Math.abs(sampled.mean - kl)).toBeLessThan(4 * sampled.standardError);
    expect(sampled.standardError).toBeLessThan(0.05 * kl);
    // a q equal to the posterior's marginals is not the posterior here (it is correlated): KL > 0
    const marginals = model.posteriorMarginals(x);
    expect(klToConditionedPosterior(marginals, posterior, posterior.mean(x))).toBeGreaterThan(0.01);
  });

  it('float64RoundingBound is D²·(1 + ‖W‖²_F/σ²)·2⁻⁵²·(1 + magnitude)', () => {
    const one = new LinearGaussianModel([[2]], [1], Math.log(0.5));
    expect(float64RoundingBound(one, 3)).toBe(1 * (1 + 4 / 0.5) * 2 ** -52 * 4);
    expect(() => float64RoundingBound(one, -1)).toThrow(/float64RoundingBound: magnitude/);
  });
});

describe('point 4: spoiledPosteriorGaps', () => {
  const { model, data } = linearGaussianDataset({ dataSize: 8, latentSize: 2, count: 10 }, new Random(21));
  const x = data.values.subarray(0, 8);
  const spoil = [0, 0.25, 1, 3];
  const rows = spoiledPosteriorGaps(model, x, spoil, new Random(22));
  it('gap (route A) = KL (route B) = the closed-form KL of the spoiled Gaussian; 0 at the posterior; the sampled KL within 4 SE', () => {
    expect(rows.map((r) => r.t)).toEqual(spoil);
    expect(Math.abs(rows[0].gap)).toBeLessThan(rows[0].roundingBound);
    expect(rows[0].roundingBound).toBeLessThan(1e-9);
    for (const r of rows) {
      expect(Math.abs(r.gap - r.kl)).toBeLessThanOrEqual(r.roundingBound);
      // per dimension: mean shifted by t SDs, SD scaled by 1 + t ⇒ ½[(1 + t)² + t² − 1 − 2 log(1 + t)]
      const perDimension = 0.5 * ((1 + r.t) ** 2 + r.t ** 2 - 1 - 2 * Math.log(1 + r.t));
      expect(r.kl).toBeCloseTo(2 * perDimension, 9);
      expect(Math.abs(r.klSampled.mean - r.kl)).toBeLessThanOrEqual(4 * r.klSampled.standardError + r.roundingBound);
      expect(r.klSampled.n).toBe(4000);
    }
    expect(strictlyIncreasing(rows.map((r) => r.gap))).toBe(true);
    expect(gapVersusKl(rows).holds).toBe(true);
    expect(gapVersusSampledKl(rows).holds).toBe(true);
  });
  it('the claims fail a gap that is off by more than rounding, or a sampled KL off by many SE', () => {
    const off = rows.map((r, k) => (k === 2 ? { ...r, gap: r.gap + 1e-6 } : r));
    expect(gapVersusKl(off).holds).toBe(false);
    expect(gapVersusKl(off).text).toMatch(/at t = 1 /);
    const offSampled = rows.map((r, k) => (k === 3 ? { ...r, klSampled: { ...r.klSampled, mean: r.klSampled.mean + 10 * r.klSampled.standardError } } : r));
    expect(gapVersusSampledKl(offSampled).holds).toBe(false);
  });
  it('needs a diagonal posterior (orthogonal columns)', () => {
    const correlated = new LinearGaussianModel([[1, 0.5], [0.3, -1], [2, 1]], [0, 0, 0], 0);
    expect(() => spoiledPosteriorGaps(correlated, [1, 2, 3], [0], new Random(1))).toThrow(/spoiledPosteriorGaps: the posterior must be diagonal/);
  });
  it('tables and text', () => {
    expect(gapPathText(rows).split(' < ')).toHaveLength(4);
    expect(gapPathText(rows)).toMatch(/^-?0\.000 < \d+\.\d{3} < /); // the posterior itself first (gap 0 up to rounding)
    const table = spoiledPosteriorTable(rows);
    expect(table.rows[2][0]).toBe(1);
    expect(table.rows[2][3]).toMatch(/^\d+\.\d{3} ± \d+\.\d{3}$/);
    expect(strictlyIncreasing([1, 2, 2])).toBe(false);
    expect(strictlyIncreasing([3, 1])).toBe(false);
    expect(() => spoiledPosteriorGaps(model, x, [-1], new Random(1))).toThrow(/spoiledPosteriorGaps: spoil\[0\]/);
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
  it('exactPosteriorQs: the posterior as q gives gap 0 (float64); encoderQs reads an encoder\'s q', () => {
    const { model, data } = linearGaussianDataset({ dataSize: 5, latentSize: 2, count: 6 }, new Random(3));
    const qs = exactPosteriorQs(model, data);
    const g = exactGapOfQs(model, data, qs);
    for (let i = 0; i < data.count; i++) {
      expect(Math.abs(g.klToPosterior[i])).toBeLessThan(g.roundingBound);
      expect(Math.abs(g.logEvidence[i] - g.elbo[i])).toBeLessThan(g.roundingBound);
      const m = model.posteriorMarginals(data.values.subarray(i * 5, (i + 1) * 5));
      expect(qs.mean[i * 2]).toBeCloseTo(m.mean[0], 12);
      expect(qs.logVariance[i * 2 + 1]).toBeCloseTo(m.logVariance[1], 12);
    }
    const vae = new Vae({ ...linearVaeConfig, inputSize: 5 }, new Random(4));
    const fromEncoder = encoderQs(vae, data);
    const direct = vae.encode(tf.tensor2d(data.values, [6, 5]));
    Array.from(direct.mean.dataSync()).forEach((v, k) => expect(fromEncoder.mean[k]).toBe(v));
    tf.dispose([direct.mean, direct.logVariance]);
    vae.dispose();
    expect(() => exactPosteriorQs(new LinearGaussianModel([[1, 0.5], [0.3, -1], [2, 1]], [0, 0, 0], 0), { values: new Float32Array(3), count: 1, features: 3 }))
      .toThrow(/exactPosteriorQs: the posterior must be diagonal/);
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
    expect(gainIsGapFall(trace).holds).toBe(true);
    // a gap that moved by 1e-6 more than the ELBO at one record is caught
    expect(gainIsGapFall(trace.map((r, k) => (k === 7 ? { ...r, gap: r.gap - 1e-6 } : r))).holds).toBe(false);
    vae.dispose();
  });

  it('θ and φ together: records epoch 0, every `every`-th epoch and the last; log p_θ(x) rises; ELBO ≤ log p_θ(x)', async () => {
    const vae = new Vae(linearVaeConfig, new Random(7));
    const trace = await exactGapDuringTraining(vae, data, { parameters: 'all', epochs: 12, seed: 2, every: 5 });
    expect(trace.map((r) => r.epoch)).toEqual([0, 5, 10, 12]);
    expect(trace[3].logEvidence).toBeGreaterThan(trace[0].logEvidence);
    for (const r of trace) {
      expect(r.elbo).toBeLessThanOrEqual(r.logEvidence + r.roundingBound);
      expect(Math.abs(r.gap - (r.logEvidence - r.elbo))).toBeLessThanOrEqual(r.roundingBound);
      expect(r.roundingBound).toBeLessThan(1e-8);
    }
    const splits = traceGainSplits(trace);
    expect(splits.map((x) => x.label)).toEqual(['epochs 0 → 5', 'epochs 5 → 10', 'epochs 10 → 12']);
    expect(gainSplitsHold(splits).holds).toBe(true);
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
    const trace = [{ epoch: 0, logEvidence: -20, elbo: -25, gap: 5, roundingBound: 1e-12 }, { epoch: 150, logEvidence: -6.1234, elbo: -6.2, gap: 0.0766, roundingBound: 1e-12 }];
    const joint = jointTrainingTable(trace, -5.5);
    expect(joint.rows).toEqual([['before training', '-20.000', '-25.000', '5.000'], ['after 150 epochs', '-6.123', '-6.200', '0.077'], ['the model that generated the data', '-5.500', '', '']]);
    expect(encoderTrainingTable(trace).rows[1]).toEqual(['after 150 epochs', '-6.123', '-6.200', '0.077']);
    expect(() => encoderTrainingTable(trace.slice(0, 1))).toThrow(/encoderTrainingTable: trace/);
  });
});

describe('point 5: the split of the ELBO gain, and the decoder steps of variational EM', () => {
  const { model: truth, data } = linearGaussianDataset({ dataSize: 6, latentSize: 2, count: 300 }, new Random(31));
  const point = (logEvidence: number, elbo: number, gap: number) => ({ logEvidence, elbo, gap, roundingBound: 1e-12 });

  it('elboGainSplit: gain = Δ log p + gap fall for consistent points; a gap off by 1e-9 is caught', () => {
    const s = elboGainSplit('s', point(-10, -12, 2), point(-11, -11.5, 0.5));
    expect(s).toMatchObject({ label: 's', elboGain: 0.5, evidenceChange: -1, gapFall: 1.5, tolerance: 2e-12 });
    expect(Math.abs(s.discrepancy)).toBeLessThan(1e-15);
    expect(gainSplitsHold([s]).holds).toBe(true);
    const bad = elboGainSplit('bad', point(-10, -12, 2), point(-11, -11.5, 0.5 + 1e-9));
    expect(gainSplitsHold([s, bad]).holds).toBe(false);
    expect(gainSplitsHold([s, bad]).text).toMatch(/\(1\.00e-9 nats, bad\)/);
  });

  it('wrongWayMoves counts the intervals where the ELBO rose while the gap rose, or log p fell', () => {
    const trace: ExactGapRecord[] = [
      { epoch: 0, ...point(-10, -12, 2) }, { epoch: 1, ...point(-9, -10.5, 1.5) }, { epoch: 2, ...point(-8, -10, 2) },
      { epoch: 3, ...point(-8.5, -9.5, 1) }, { epoch: 4, ...point(-8.5, -9.6, 1.1) },
    ];
    const splits = traceGainSplits(trace);
    const moves = wrongWayMoves(splits);
    expect(moves.elboRose).toBe(3);
    expect(moves.gapRose.map((m) => m.label)).toEqual(['epochs 1 → 2']);
    expect(moves.evidenceFell.map((m) => m.label)).toEqual(['epochs 2 → 3']);
    expect(wrongWayText(splits)).toBe('3 of 4 recorded intervals raised the ELBO; in 1 of them the gap rose, in 1 log p_θ(x) fell');
    expect(notableSplits(splits).map((m) => m.label)).toEqual(['epochs 0 → 1', 'epochs 1 → 2', 'epochs 2 → 3', 'epochs 3 → 4']);
    expect(notableSplits(splits, 0).map((m) => m.label)).toEqual(['epochs 0 → 1', 'epochs 3 → 4']);
    const table = gainSplitTable(splits);
    expect(table.rows[1]).toEqual(['epochs 1 → 2', '+0.5000', '+1.0000', '-0.5000', expect.stringMatching(/e/)]);
    expect(gainSplitTable([elboGainSplit('tiny', point(-10, -12, 2), point(-10.00001, -11.5, 1.49999))]).rows[0].slice(1, 3)).toEqual(['+0.5000', '-1.0e-5']);
  });

  it('elboMaximisingDecoder maximises the ELBO for fixed q: every small change of W, b or σ² lowers it', () => {
    const qs = encoderQs(new Vae({ ...linearVaeConfig, inputSize: 6 }, new Random(32)), data);
    const best = elboMaximisingDecoder(data, qs);
    const elbo = (m: LinearGaussianModel) => exactGapOfQs(m, data, qs).meanElbo;
    const top = elbo(best);
    expect(top).toBeGreaterThan(elbo(truth));
    const random = new Random(33);
    for (let trial = 0; trial < 6; trial++) {
      const w = best.weights.map((v) => v + 1e-3 * random.normal());
      const b = best.bias.map((v) => v + 1e-3 * random.normal());
      expect(elbo(new LinearGaussianModel(w, b, best.logVariance, 6))).toBeLessThan(top);
    }
    expect(elbo(new LinearGaussianModel(best.weights, best.bias, best.logVariance + 1e-3, 6))).toBeLessThan(top);
    expect(elbo(new LinearGaussianModel(best.weights, best.bias, best.logVariance - 1e-3, 6))).toBeLessThan(top);
  });

  it('for one latent and one pixel with q a point mass (s² → 0) it is ordinary least squares', () => {
    const xs = { values: Float32Array.from([1, 3, 2, 5]), count: 4, features: 1 };
    const qs: DiagonalQs = { latentSize: 1, mean: Float64Array.from([0, 1, 2, 3]), logVariance: Float64Array.from([-60, -60, -60, -60]) };
    const fit = elboMaximisingDecoder(xs, qs);
    // least squares of (1, 3, 2, 5) on (0, 1, 2, 3): slope 1.1, intercept 1.1, residual variance 1.05/4... by hand
    expect(fit.weights[0]).toBeCloseTo(1.1, 10);
    expect(fit.bias[0]).toBeCloseTo(1.1, 10);
    const residuals = [1 - 1.1, 3 - 2.2, 2 - 3.3, 5 - 4.4];
    expect(Math.exp(fit.logVariance)).toBeCloseTo(residuals.reduce((a, r) => a + r * r, 0) / 4, 10);
  });

  it('decoderStep: from the data\'s decoder with a fresh encoder\'s q the evidence falls; from a far decoder with q its posterior the gap rises; the split holds', () => {
    const fresh = encoderQs(new Vae({ ...linearVaeConfig, inputSize: 6 }, new Random(34)), data);
    const fall = decoderStep('fall', truth, data, fresh);
    expect(fall.split.elboGain).toBeGreaterThan(0);
    expect(fall.split.evidenceChange).toBeLessThan(-0.1);
    expect(fall.split.gapFall).toBeGreaterThan(fall.split.elboGain);
    const far = shrunkenDecoder(truth);
    expect(Array.from(far.bias)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(far.logVariance).toBe(0);
    expect(far.weights[3]).toBe(0.5 * truth.weights[3]);
    const rise = decoderStep('rise', far, data, exactPosteriorQs(far, data));
    expect(Math.abs(rise.before.gap)).toBeLessThan(rise.before.roundingBound);
    expect(rise.split.elboGain).toBeGreaterThan(0);
    expect(rise.split.evidenceChange).toBeGreaterThan(rise.split.elboGain); // EM: the evidence rises at least as much
    expect(rise.after.gap).toBeGreaterThan(0.01);
    expect(gainSplitsHold([fall.split, rise.split]).holds).toBe(true);
    expect(stepText(fall)).toMatch(/^fall: ELBO \+\d+\.\d{4}, log p_θ\(x\) -\d+\.\d{4}, gap -\d+\.\d{4} nats per example/);
  });
});

describe('the dashboard and the claims', () => {
  it('summaryFigure: eight traces on six panels, 5a zoomed on the end of training', () => {
    const mean: ElboBatchMean = { elbo: -100, reconstruction: -90, kl: 10, elboStandardError: 0.5, reconstructionStandardError: 0.5, klStandardError: 0 };
    const epochs = [0, 1, 2].map((epoch) => ({ epoch, heldOut: { reconstruction: -500 + 100 * epoch } })) as unknown as EpochMetrics[];
    const trace = [{ epoch: 0, logEvidence: -20, elbo: -25, gap: 5, roundingBound: 0 }, { epoch: 5, logEvidence: -6, elbo: -6.5, gap: 0.5, roundingBound: 0 }];
    const gapPath = [{ t: 0, gap: 0, kl: 0, klSampled: { mean: 0, standardError: 0, n: 2 }, roundingBound: 1e-12 }];
    const figure = summaryFigure({ splitForm: mean, definition: mean, epochs, aggregateKl: { withKl: 0.5, withoutKl: 9 }, gapPath, joint: trace, encoderOnly: trace });
    expect(figure.data).toHaveLength(8);
    expect(new Set(figure.data.map((t) => t.xaxis))).toEqual(new Set(['x', 'x2', 'x3', 'x4', 'x5', 'x6']));
    expect(figure.data[1].y).toEqual([-500, -400, -300]);
    expect((figure.layout!.yaxis5 as { range: number[] }).range).toEqual([-21, -4]);
    expect(figure.layout!.annotations).toHaveLength(6);
    expect(() => summaryFigure({ splitForm: mean, definition: mean, epochs, aggregateKl: { withKl: 0.5, withoutKl: 9 }, gapPath: [], joint: trace, encoderOnly: trace })).toThrow(/numbers.gapPath/);
  });
  it('claimSpecs: seventeen distinct ids in §6, each with its two routes', () => {
    const specs = Object.values(claimSpecs);
    expect(specs).toHaveLength(17);
    expect(new Set(specs.map((s) => s.id)).size).toBe(17);
    for (const s of specs) {
      expect(s.section).toBe('§6');
      expect(s.routes).toMatch(/^A: .+ \/ B: .+/s);
    }
  });
});
