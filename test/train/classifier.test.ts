import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { binaryPatterns } from '../../src/data/synthetic';
import { DigitClassifier } from '../../src/models/classifier';
import { classifierAccuracy, trainDigitClassifier } from '../../src/train/classifier';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('trainDigitClassifier', () => {
  const data = binaryPatterns({ count: 400, features: 30, prototypes: 5, flipProbability: 0.05 }, new Random(7));
  const heldOut = binaryPatterns({ count: 200, features: 30, prototypes: 5, flipProbability: 0.05, patterns: data.patterns }, new Random(8));

  it('learns separable patterns, deterministically, without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const a = await trainDigitClassifier({ data, classes: 5, hiddenSizes: [16], epochs: 15, batchSize: 32, learningRate: 0.01, seed: 3 });
    const b = await trainDigitClassifier({ data, classes: 5, hiddenSizes: [16], epochs: 15, batchSize: 32, learningRate: 0.01, seed: 3 });
    expect(a.epochLosses).toEqual(b.epochLosses);
    expect(a.epochLosses).toHaveLength(15);
    expect(a.epochLosses[a.epochLosses.length - 1]).toBeLessThan(a.epochLosses[0]);
    expect(classifierAccuracy(a.classifier, heldOut)).toBeGreaterThan(0.95);
    a.classifier.dispose();
    b.classifier.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects labels outside the classes and missing labels', async () => {
    await expect(trainDigitClassifier({ data, classes: 3, epochs: 1 })).rejects.toThrow(/trainDigitClassifier: data.labels must lie in \[0, 3\)/);
    await expect(trainDigitClassifier({ data: { values: data.values, count: data.count, features: data.features }, epochs: 1 })).rejects.toThrow(/data.labels/);
  });
});

describe('classifierAccuracy', () => {
  it('is the share of rows whose argmax of the logits is the label (counted independently)', () => {
    const c = new DigitClassifier({ inputSize: 3, classes: 4, hiddenSizes: [6] }, new Random(11));
    const values = new Random(12).uniforms(50 * 3);
    const x = tf.tensor2d(values, [50, 3]);
    const logits = c.logits(x).arraySync();
    x.dispose();
    const argmax = logits.map((row) => row.indexOf(Math.max(...row)));
    // Labels: the argmax on the first 30 rows, a different class on the last 20.
    const labels = Uint8Array.from(argmax, (k, i) => (i < 30 ? k : (k + 1) % 4));
    const before = tf.memory().numTensors;
    expect(classifierAccuracy(c, { values, count: 50, features: 3, labels })).toBeCloseTo(30 / 50, 12);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => classifierAccuracy(c, { values, count: 50, features: 3 })).toThrow(/classifierAccuracy: data.labels/);
    expect(() => classifierAccuracy(c, { values: values.subarray(0, 40), count: 20, features: 2, labels: labels.subarray(0, 20) })).toThrow(/classifierAccuracy: data must have 3 features/);
    c.dispose();
  });
});
