/**
 * Training a classifier p(y | x) (src/models/classifier.ts): Adam on the batch cross-entropy
 *   CE = −(1/B) Σ_i log p(y_i | x_i),
 * mini-batches from the one minibatch walk (shuffledBatches, gatherRows), one Random(seed)
 * driving the initial weights and the batch order; and its accuracy on labelled data.
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../random';
import { DigitClassifier, classifierCrossEntropy } from '../models/classifier';
import { DataMatrix, checkDataMatrix } from '../data/matrix';
import { createAdam } from '../engine/ops/adam';
import { gatherRows, shuffledBatches } from './minibatches';
import { checkInteger, checkNumber, checkObject } from '../checks';

export interface TrainClassifierOptions {
  /** Images with labels 0..classes−1. */
  data: DataMatrix;
  epochs: number;
  classes?: number;
  hiddenSizes?: number[];
  batchSize?: number;
  learningRate?: number;
  seed?: number;
}

/**
 * Trains a DigitClassifier with Adam on the cross-entropy; one Random(seed) drives the weights
 * and the batch order. Returns the classifier (caller disposes) and the mean loss per epoch.
 */
export async function trainDigitClassifier(options: TrainClassifierOptions): Promise<{ classifier: DigitClassifier; epochLosses: number[] }> {
  const fn = 'trainDigitClassifier';
  if (options === null || typeof options !== 'object') throw new TypeError(`${fn}: options must be an object {data, epochs, ...}`);
  checkDataMatrix(fn, 'data', options.data);
  const data = options.data;
  if (!(data.labels instanceof Uint8Array)) throw new TypeError(`${fn}: data.labels must be a Uint8Array of class labels`);
  const classes = checkInteger(fn, 'classes', options.classes ?? 10, 2);
  for (let i = 0; i < data.count; i++) {
    if (data.labels[i] >= classes) throw new RangeError(`${fn}: data.labels must lie in [0, ${classes}), got ${data.labels[i]} at index ${i}`);
  }
  const epochs = checkInteger(fn, 'epochs', options.epochs, 1);
  const batchSize = checkInteger(fn, 'batchSize', options.batchSize ?? 128, 1, data.count);
  const learningRate = checkNumber(fn, 'learningRate', options.learningRate ?? 1e-3, Number.MIN_VALUE);
  const seed = checkInteger(fn, 'seed', options.seed ?? 0, 0, 0xffffffff);
  const random = new Random(seed);
  const classifier = new DigitClassifier({ inputSize: data.features, classes, hiddenSizes: options.hiddenSizes }, random);
  const optimizer = createAdam(learningRate);
  const variables = classifier.variables();
  const epochLosses: number[] = [];
  const f = data.features;
  const staging = new Float32Array(batchSize * f);
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      let sum = 0;
      let batches = 0;
      for (const batch of shuffledBatches(data.count, batchSize, random)) {
        const rows = batch.length;
        const xs = gatherRows(data.values, f, batch, staging);
        const ys = Int32Array.from(batch, (r) => data.labels![r]);
        const loss = tf.tidy(() => {
          const x = tf.tensor2d(xs, [rows, f]);
          const y = tf.tensor1d(ys, 'int32');
          return optimizer.minimize(() => classifierCrossEntropy(classifier.network.apply(x), y, classes), true, variables) as tf.Scalar;
        });
        sum += loss.dataSync()[0];
        loss.dispose();
        batches++;
      }
      epochLosses.push(sum / batches);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } catch (err) {
    optimizer.dispose();
    classifier.dispose();
    throw err;
  }
  optimizer.dispose();
  return { classifier, epochLosses };
}

/** Accuracy: the share of rows whose most probable class argmax_y p(y | x) is the label. */
export function classifierAccuracy(classifier: DigitClassifier, data: DataMatrix): number {
  const fn = 'classifierAccuracy';
  checkObject(fn, 'classifier', classifier);
  checkDataMatrix(fn, 'data', data);
  if (!(data.labels instanceof Uint8Array)) throw new TypeError(`${fn}: data.labels must be a Uint8Array`);
  if (data.features !== classifier.inputSize) throw new RangeError(`${fn}: data must have ${classifier.inputSize} features per example, got ${data.features}`);
  const predicted = tf.tidy(() => tf.argMax(classifier.logits(tf.tensor2d(data.values, [data.count, data.features])), 1));
  const values = predicted.dataSync();
  predicted.dispose();
  let right = 0;
  for (let i = 0; i < data.count; i++) if (values[i] === data.labels[i]) right++;
  return right / data.count;
}
