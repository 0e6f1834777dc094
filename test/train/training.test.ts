import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Random } from '../../src/random';
import { binaryPatterns, gaussianMixture2d } from '../../src/data/synthetic';
import { trainVae, TrainingDivergedError } from '../../src/train/train';
import { trainingObjective } from '../../src/train/objective';
import { evaluateVae, columnVariances, EpochMetrics, historyColumns } from '../../src/train/metrics';
import { linearWarmup, constantBeta } from '../../src/train/schedules';
import { ProgressReporter, terminalProgress } from '../../src/train/progress';
import { Vae } from '../../src/models/vae';
import { bernoulliLogLikelihood } from '../../src/distributions/bernoulli';
import { gaussianLogLikelihood } from '../../src/distributions/gaussianLikelihood';
import { reparameterize } from '../../src/distributions/gaussian';
import { klToStandardNormalPerDimension } from '../../src/objectives/kl';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const data = binaryPatterns({ count: 200, features: 16, prototypes: 3 }, new Random(1));
const heldOut = binaryPatterns({ count: 50, features: 16, prototypes: 3, patterns: data.patterns }, new Random(2));
const small = { model: { latentSize: 2, hiddenSizes: [8] }, data, epochs: 2, batchSize: 40 };

describe('training objective', () => {
  it('equals −(batch mean of reconstruction) + β·Σ_u max(λ, batch-mean KL_u), computed by the math core', () => {
    for (const likelihood of ['bernoulli', 'gaussian'] as const) {
      const vae = new Vae({ inputSize: 16, latentSize: 3, hiddenSizes: [8], likelihood }, new Random(3));
      const x = tf.tensor2d(data.values.subarray(0, 10 * 16), [10, 16]);
      const noise = tf.tensor2d(new Random(4).normals(30), [10, 3]);
      for (const [beta, freeBits] of [[1, 0], [0.3, 0], [2, 0.4]]) {
        const expected = tf.tidy(() => {
          const q = vae.encode(x);
          const z = reparameterize(q, noise);
          const out = vae.decoderOutput(z);
          const rec = likelihood === 'bernoulli' ? bernoulliLogLikelihood(x, out) : gaussianLogLikelihood(x, out, 0);
          const klPerDim = tf.mean(klToStandardNormalPerDimension(q), 0).arraySync() as number[];
          const klTerm = klPerDim.reduce((s, v) => s + Math.max(freeBits, v), 0);
          return -tf.mean(rec).arraySync() + beta * klTerm;
        });
        const actual = tf.tidy(() => trainingObjective(vae, x, noise, beta, freeBits).arraySync());
        expect(actual).toBeCloseTo(expected, 4);
      }
      tf.dispose([x, noise]);
      vae.dispose();
    }
  });

  it('linear warm-up follows β(t) = to · min(1, t / epochs) per batch', () => {
    const schedule = linearWarmup({ epochs: 2, to: 0.5 });
    expect(schedule({ epoch: 1, batch: 0, batchesPerEpoch: 4 })).toBe(0);
    expect(schedule({ epoch: 1, batch: 2, batchesPerEpoch: 4 })).toBeCloseTo(0.125, 12);
    expect(schedule({ epoch: 2, batch: 0, batchesPerEpoch: 4 })).toBeCloseTo(0.25, 12);
    expect(schedule({ epoch: 5, batch: 3, batchesPerEpoch: 4 })).toBe(0.5);
    expect(() => linearWarmup({ epochs: 0 })).toThrow(/options\.epochs/);
    expect(() => constantBeta(-1)).toThrow(/beta/);
  });
});

describe('metrics', () => {
  it('active units and KL per dimension match an independent computation from the encoder means', () => {
    const vae = new Vae({ inputSize: 2, latentSize: 3, hiddenSizes: [4] }, new Random(5));
    // Scale the mean head so that one unit varies strongly with x and the others are near-constant.
    const [, , w2, b2] = vae.getWeights();
    for (let i = 0; i < 4; i++) for (let j = 0; j < 6; j++) w2[i * 6 + j] *= j === 0 ? 5 : j < 3 ? 0.001 : 1;
    vae.setWeights([vae.getWeights()[0], vae.getWeights()[1], w2, b2, ...vae.getWeights().slice(4)]);
    const gaussianVae = new Vae({ ...vae.config, likelihood: 'gaussian' }, new Random(5));
    gaussianVae.setWeights([...vae.getWeights(), new Float32Array([0])]);
    const points = gaussianMixture2d({ count: 300 }, new Random(6));
    const metrics = evaluateVae(gaussianVae, points, { random: new Random(7) });
    const means = tf.tidy(() => gaussianVae.encode(tf.tensor2d(points.values, [300, 2])).mean.dataSync());
    const variances = columnVariances(Float64Array.from(means), 300, 3);
    expect(Array.from(metrics.latentMeanVariance)).toEqual(Array.from(variances));
    expect(metrics.activeUnits).toBe(variances.filter((v) => v > 0.01).length);
    expect(metrics.activeUnits).toBeGreaterThanOrEqual(1);
    expect(metrics.activeUnits).toBeLessThan(3);
    expect(metrics.klPerDimension.reduce((s, v) => s + v, 0)).toBeCloseTo(metrics.kl, 8);
    expect(metrics.elbo).toBeCloseTo(metrics.reconstruction - metrics.kl, 8);
    expect(columnVariances(new Float64Array([1, 10, 3, 10]), 2, 2)).toEqual(new Float64Array([1, 0]));
    vae.dispose();
    gaussianVae.dispose();
  });
});

describe('trainVae', () => {
  it('leaves tf.memory().numTensors where it started after training, evaluating, L_k and disposal', async () => {
    const before = tf.memory().numTensors;
    const result = await trainVae({ ...small, heldOut, logLikelihood: { k: 5, count: 10 }, freeBits: 0.1 });
    expect(result.final.heldOut!.importanceWeighted!.k).toBe(5);
    expect(result.final.heldOut!.importanceWeighted!.n).toBe(10);
    const columns = historyColumns([result.initial!, ...result.history]);
    expect(Array.from(columns.epoch)).toEqual([0, 1, 2]);
    expect(columns.heldOutElbo[2]).toBe(result.final.heldOut!.elbo);
    expect(Number.isNaN(columns.logLikelihood[1])).toBe(true);
    expect(columns.logLikelihood[2]).toBe(result.final.heldOut!.importanceWeighted!.mean);
    evaluateVae(result.model, heldOut, { random: new Random(1) });
    const sample = result.model.sample(3, new Random(2));
    sample.dispose();
    expect(tf.memory().numTensors).toBe(before + result.model.variables().length);
    result.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    // A diverging run cleans up too (the model it created is disposed with it).
    await expect(trainVae({ ...small, learningRate: 1000 })).rejects.toThrow(TrainingDivergedError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops a diverging run with a message naming the epoch and the batch', async () => {
    let error: unknown;
    try {
      await trainVae({ ...small, epochs: 3, learningRate: 1000 });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TrainingDivergedError);
    const e = error as TrainingDivergedError;
    expect(e.message).toMatch(new RegExp(`epoch ${e.epoch}, batch ${e.batch} of 5`));
    expect(e.message).toMatch(/NaN|Infinity/);
  });

  it("parameters 'encoder' updates φ only: the decoder's weights stay bit for bit, the ELBO rises", async () => {
    const first = await trainVae({ ...small, progress: 'none' });
    const model = first.model;
    const decoderBefore = model.decoderNetwork.variables().map((v) => Array.from(v.dataSync()));
    const encoderBefore = model.encoderNetwork.variables().map((v) => Array.from(v.dataSync()));
    const again = await trainVae({ ...small, model, parameters: 'encoder', epochs: 3, learningRate: 1e-2, progress: 'none' });
    expect(again.model).toBe(model);
    expect(model.decoderNetwork.variables().map((v) => Array.from(v.dataSync()))).toEqual(decoderBefore);
    expect(model.encoderNetwork.variables().map((v) => Array.from(v.dataSync()))).not.toEqual(encoderBefore);
    expect(again.final.train.elbo).toBeGreaterThan(again.initial!.train.elbo);
    await expect(trainVae({ ...small, parameters: 'encoder' })).rejects.toThrow(/parameters 'encoder' trains the encoder of a given model: model must be a Vae/);
    await expect(trainVae({ ...small, model, parameters: 'decoder' as 'all' })).rejects.toThrow(/parameters must be 'all' or 'encoder'/);
    model.dispose();
  });

  it('rejects bad input, naming the argument', async () => {
    const bad = (options: object) => trainVae({ ...small, ...options } as Parameters<typeof trainVae>[0]);
    await expect(bad({ model: { latentSize: 0 } })).rejects.toThrow(/latentSize must be an integer >= 1, got 0/);
    await expect(bad({ beta: -0.5 })).rejects.toThrow(/trainVae: beta must be a finite number >= 0, got -0.5/);
    await expect(bad({ beta: () => -1 })).rejects.toThrow(/beta schedule must return a finite number >= 0, got -1 at epoch 1, batch 1/);
    await expect(bad({ batchSize: 0 })).rejects.toThrow(/trainVae: batchSize .* must be an integer in \[1, 200\], got 0/);
    await expect(bad({ batchSize: 201 })).rejects.toThrow(/trainVae: batchSize .* must be an integer in \[1, 200\], got 201/);
    await expect(bad({ freeBits: -1 })).rejects.toThrow(/trainVae: freeBits/);
    await expect(bad({ epochs: 0 })).rejects.toThrow(/trainVae: epochs/);
    await expect(bad({ data: { values: new Float32Array(10), count: 3, features: 4 } })).rejects.toThrow(/trainVae: data\.values must have count\*features = .* 12 entries, got 10/);
    const vector = tf.zeros([5]);
    await expect(bad({ data: vector })).rejects.toThrow(/trainVae: data must be a 2-D tensor/);
    vector.dispose();
    await expect(bad({ heldOut: { values: new Float32Array(12), count: 2, features: 6 } })).rejects.toThrow(/trainVae: heldOut must have 16 features/);
    const outside = { ...data, values: data.values.map((v, i) => (i === 37 ? 1.5 : v)) };
    await expect(bad({ data: outside })).rejects.toThrow(/trainVae: data must hold values in \[0, 1\] for a Bernoulli likelihood; found 1\.5 at example 2, feature 5/);
    const withNaN = { ...data, values: data.values.map((v, i) => (i === 20 ? NaN : v)) };
    await expect(bad({ data: withNaN })).rejects.toThrow(/trainVae: data .*NaN at example 1, feature 4/);
    await expect(bad({ data: withNaN, model: { latentSize: 2, likelihood: 'gaussian' } })).rejects.toThrow(/trainVae: data must be finite; found NaN/);
    const model = new Vae({ inputSize: 10, latentSize: 2 }, new Random(1));
    await expect(bad({ model })).rejects.toThrow(/trainVae: data must have model\.inputSize = 10 features/);
    model.dispose();
    await expect(bad({ progress: 'loud' })).rejects.toThrow(/trainVae: progress/);
  });

  it('reports progress (start, each epoch with an ETA, end) and honours onEpoch stop', async () => {
    const calls: string[] = [];
    const etas: number[] = [];
    const reporter: ProgressReporter = {
      start: (info) => calls.push(`start ${info.epochs} ${info.batchesPerEpoch}`),
      epoch: (m: EpochMetrics, eta: number) => { calls.push(`epoch ${m.epoch}`); etas.push(eta); },
      end: (s) => calls.push(`end ${s.epochsCompleted}`),
    };
    const result = await trainVae({ ...small, epochs: 4, progress: reporter, onEpoch: (m) => (m.epoch === 3 ? 'stop' : undefined) });
    expect(calls).toEqual(['start 4 5', 'epoch 1', 'epoch 2', 'epoch 3', 'end 3']);
    expect(etas.every((e) => e >= 0)).toBe(true);
    expect(result.history.map((m) => m.batchLosses.length)).toEqual([5, 5, 5]);
    result.model.dispose();
  });

  it('terminal reporter: one \\r-updated line on a TTY, a line per epoch otherwise', async () => {
    for (const isTTY of [true, false]) {
      let text = '';
      const stream = { isTTY, write: (s: string) => { text += s; } };
      const result = await trainVae({ ...small, heldOut, progress: terminalProgress(stream) });
      result.model.dispose();
      const lines = text.split('\n').filter((l) => l.length > 0);
      if (isTTY) {
        expect(text.match(/\r/g)!.length).toBe(2);
        expect(lines.length).toBe(3); // header, the in-place line, the summary
      } else {
        expect(text).not.toMatch(/\r/);
        expect(lines.filter((l) => l.startsWith('epoch ')).length).toBe(2);
      }
      expect(text).toMatch(/epoch 2\/2 .*held-out -?\d+\.\d\d/);
    }
  });

  it('static binarization trains on one fixed draw; none keeps grey levels; gaussian rejects binarization', async () => {
    const grey = { ...data, values: data.values.map((v) => 0.25 + 0.5 * v) };
    const elbos: number[] = [];
    for (const binarization of ['static', 'dynamic', 'none'] as const) {
      const result = await trainVae({ ...small, data: grey, binarization });
      elbos.push(result.final.train.elbo);
      result.model.dispose();
    }
    expect(elbos.every(Number.isFinite)).toBe(true);
    expect(new Set(elbos).size).toBe(3);
    await expect(trainVae({ ...small, model: { latentSize: 2, likelihood: 'gaussian' }, binarization: 'dynamic' })).rejects.toThrow(/binarization 'dynamic' needs a Bernoulli likelihood/);
  });
});
