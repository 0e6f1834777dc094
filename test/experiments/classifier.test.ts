import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { binaryPatterns } from '../../src/data/synthetic';
import {
  DigitClassifier, classifierAccuracy, classifierCrossEntropy, judgeImages, labelInformationStandardError, summarizePredictions, trainDigitClassifier,
} from '../../src/experiments/classifier';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
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

describe('classifierCrossEntropy', () => {
  it('is the batch mean of −log softmax at the label', () => {
    const logits = tf.tensor2d([[1, 2, 3], [0, 0, 0]]);
    const labels = tf.tensor1d([2, 0], 'int32');
    const got = classifierCrossEntropy(logits, labels, 3);
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    expect(got.dataSync()[0]).toBeCloseTo(0.5 * ((lse - 3) + Math.log(3)), 5);
    tf.dispose([logits, labels, got]);
  });
});

describe('trainDigitClassifier', () => {
  const data = binaryPatterns({ count: 400, features: 30, prototypes: 5, flipProbability: 0.05 }, new Random(7));
  const heldOut = binaryPatterns({ count: 200, features: 30, prototypes: 5, flipProbability: 0.05, patterns: data.patterns }, new Random(8));

  it('learns separable patterns, deterministically, without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const a = await trainDigitClassifier({ data, classes: 5, hiddenSizes: [16], epochs: 15, batchSize: 32, learningRate: 0.01, seed: 3 });
    const b = await trainDigitClassifier({ data, classes: 5, hiddenSizes: [16], epochs: 15, batchSize: 32, learningRate: 0.01, seed: 3 });
    expect(a.epochLosses).toEqual(b.epochLosses);
    expect(a.epochLosses[a.epochLosses.length - 1]).toBeLessThan(a.epochLosses[0]);
    expect(classifierAccuracy(a.classifier, heldOut)).toBeGreaterThan(0.95);
    const judged = judgeImages(a.classifier, heldOut, new Random(2));
    // Confident on its own classes: mean entropy far below log 5.
    expect(judged.entropy.mean).toBeLessThan(0.3 * Math.log(5));
    expect(judged.labelInformationStandardError).toBeGreaterThan(0);
    a.classifier.dispose();
    b.classifier.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects labels outside the classes and missing labels', async () => {
    await expect(trainDigitClassifier({ data, classes: 3, epochs: 1 })).rejects.toThrow(/trainDigitClassifier: data.labels must lie in \[0, 3\)/);
    await expect(trainDigitClassifier({ data: { values: data.values, count: data.count, features: data.features }, epochs: 1 })).rejects.toThrow(/data.labels/);
  });

  it('DigitClassifier checks its inputs', () => {
    const c = new DigitClassifier({ inputSize: 4, classes: 3, hiddenSizes: [2] }, new Random(1));
    const x = tf.zeros([2, 5]) as tf.Tensor2D;
    expect(() => c.probabilities(x)).toThrow(/DigitClassifier.probabilities: x must have 4 columns/);
    x.dispose();
    c.dispose();
    expect(() => new DigitClassifier({ inputSize: 4, classes: 1 }, new Random(1))).toThrow(/config.classes/);
  });
});
