/**
 * A classifier p(y | x) = softmax(f(x)) over `classes` labels, f a ReLU MLP (default
 * 784-128-10) with dense layers through tf.fused.matMul (src/models/dense.ts), and its loss,
 * the cross-entropy
 *   CE = −(1/B) Σ_i log p(y_i | x_i) = −(1/B) Σ_i log softmax(f(x_i))_{y_i}   (nats).
 * Training lives in src/train/classifier.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../random';
import { Mlp } from './dense';
import { checkInteger, checkMatrix, checkObject, checkRandom } from '../checks';

export interface ClassifierConfig {
  inputSize: number;
  classes: number;
  /** ReLU hidden layers (default [128]). */
  hiddenSizes?: number[];
}

/** p(y | x) = softmax(MLP(x)), weights drawn from `random`. Call dispose() when done. */
export class DigitClassifier {
  readonly inputSize: number;
  readonly classes: number;
  readonly network: Mlp;

  constructor(config: ClassifierConfig, random: Random) {
    const fn = 'DigitClassifier';
    if (config === null || typeof config !== 'object') throw new TypeError(`${fn}: config must be an object {inputSize, classes, hiddenSizes}`);
    this.inputSize = checkInteger(fn, 'config.inputSize', config.inputSize, 1);
    this.classes = checkInteger(fn, 'config.classes', config.classes, 2);
    const hidden = config.hiddenSizes ?? [128];
    if (!Array.isArray(hidden)) throw new TypeError(`${fn}: config.hiddenSizes must be an array of layer sizes`);
    hidden.forEach((h, i) => checkInteger(fn, `config.hiddenSizes[${i}]`, h, 1));
    checkRandom(fn, 'random', random);
    this.network = new Mlp(this.inputSize, hidden, this.classes, random, 'classifier');
  }

  /** Unnormalised log-probabilities f(x) [n, classes]. */
  logits(x: tf.Tensor2D): tf.Tensor2D {
    checkMatrix('DigitClassifier.logits', 'x', x, this.inputSize);
    return this.network.apply(x);
  }

  /** p(y | x) = softmax(f(x)) per row [n, classes]. */
  probabilities(x: tf.Tensor2D): tf.Tensor2D {
    checkMatrix('DigitClassifier.probabilities', 'x', x, this.inputSize);
    return tf.tidy(() => tf.softmax(this.network.apply(x)) as tf.Tensor2D);
  }

  variables(): tf.Variable[] {
    return this.network.variables();
  }

  dispose(): void {
    this.network.dispose();
  }
}

/** Batch mean of the cross-entropy −log p(y_i | x_i) = −log softmax(logits_i)_{y_i} (nats); labels int32 [B]. */
export function classifierCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, classes: number): tf.Scalar {
  const fn = 'classifierCrossEntropy';
  checkInteger(fn, 'classes', classes, 2);
  checkMatrix(fn, 'logits', logits, classes);
  checkObject(fn, 'labels', labels);
  if (!(labels instanceof tf.Tensor) || labels.rank !== 1 || labels.dtype !== 'int32' || labels.shape[0] !== logits.shape[0]) {
    throw new TypeError(`${fn}: labels must be an int32 tensor of shape [${logits.shape[0]}] (one label per row of logits)`);
  }
  return tf.tidy(() => {
    const logProbabilities = tf.logSoftmax(logits);
    const oneHot = tf.oneHot(labels, classes);
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, logProbabilities), 1))) as tf.Scalar;
  });
}
