import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { DigitClassifier, classifierCrossEntropy } from '../../src/models/classifier';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('DigitClassifier', () => {
  it('p(y|x) is the softmax of the logits, computed independently in float64', () => {
    const c = new DigitClassifier({ inputSize: 4, classes: 3, hiddenSizes: [5] }, new Random(1));
    const x = tf.tensor2d(new Random(2).uniforms(2 * 4), [2, 4]);
    const logits = c.logits(x).arraySync();
    const p = c.probabilities(x).arraySync();
    logits.forEach((row, i) => {
      const z = row.reduce((s, l) => s + Math.exp(l), 0);
      row.forEach((l, k) => expect(p[i][k]).toBeCloseTo(Math.exp(l) / z, 6));
    });
    expect(c.variables()).toHaveLength(4); // two dense layers: weight and bias each
    x.dispose();
    c.dispose();
  });

  it('the same Random gives the same weights', () => {
    const a = new DigitClassifier({ inputSize: 3, classes: 2, hiddenSizes: [4] }, new Random(5));
    const b = new DigitClassifier({ inputSize: 3, classes: 2, hiddenSizes: [4] }, new Random(5));
    a.variables().forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(Array.from(b.variables()[i].dataSync())));
    a.dispose();
    b.dispose();
  });

  it('checks its inputs', () => {
    const c = new DigitClassifier({ inputSize: 4, classes: 3, hiddenSizes: [2] }, new Random(1));
    const x = tf.zeros([2, 5]) as tf.Tensor2D;
    expect(() => c.probabilities(x)).toThrow(/DigitClassifier.probabilities: x must have 4 columns/);
    x.dispose();
    c.dispose();
    expect(() => new DigitClassifier({ inputSize: 4, classes: 1 }, new Random(1))).toThrow(/config.classes/);
    expect(() => new DigitClassifier({ inputSize: 4, classes: 2, hiddenSizes: [0] }, new Random(1))).toThrow(/config.hiddenSizes\[0\]/);
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

  it('rejects labels that do not match the rows of the logits', () => {
    const logits = tf.tensor2d([[1, 2, 3], [0, 0, 0]]);
    const labels = tf.tensor1d([2], 'int32');
    expect(() => classifierCrossEntropy(logits, labels, 3)).toThrow(/classifierCrossEntropy: labels must be an int32 tensor of shape \[2\]/);
    expect(() => classifierCrossEntropy(logits, labels, 4)).toThrow(/classifierCrossEntropy: logits must have 4 columns/);
    tf.dispose([logits, labels]);
  });
});
