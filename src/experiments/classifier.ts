/**
 * A small digit classifier, trained in the notebook, used as a judge of generated images
 * (§4, reason 1): a sample that looks like a digit gets a confident prediction (low entropy),
 * a blob from "dead space" does not. A ReLU MLP (default 784-128-10) with softmax output,
 * dense layers through tf.fused.matMul (src/models/dense.ts), trained with Adam on the
 * cross-entropy, seeded.
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../random';
import { Mlp } from '../models/dense';
import { DataMatrix, checkDataMatrix } from '../data/matrix';
import { createAdam } from '../engine/adam';
import { gatherRows, shuffledBatches } from '../train/minibatches';
import { checkInteger, checkMatrix, checkNumber, checkRandom } from '../tensorChecks';
import { Estimate, bootstrapStandardError, meanAndStandardErrorOf } from '../stats/index';

export interface ClassifierConfig {
  inputSize: number;
  classes: number;
  /** ReLU hidden layers (default [128]). */
  hiddenSizes?: number[];
}

/** p(y | x) = softmax(MLP(x)). Call dispose() when done. */
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

  /** Unnormalised log-probabilities [n, classes]. */
  logits(x: tf.Tensor2D): tf.Tensor2D {
    checkMatrix('DigitClassifier.logits', 'x', x, this.inputSize);
    return this.network.apply(x);
  }

  /** p(y | x) per row [n, classes]. */
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

/** Batch mean of the cross-entropy −log p(y_i | x_i) (nats). */
export function classifierCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, classes: number): tf.Scalar {
  return tf.tidy(() => {
    const logProbabilities = tf.logSoftmax(logits);
    const oneHot = tf.oneHot(labels, classes);
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, logProbabilities), 1))) as tf.Scalar;
  });
}

/**
 * Trains a DigitClassifier with Adam on the cross-entropy; one Random(seed) drives the weights
 * and the batch order. Returns the classifier (caller disposes) and the mean loss per epoch.
 */
export async function trainDigitClassifier(options: TrainClassifierOptions): Promise<{ classifier: DigitClassifier; epochLosses: number[] }> {
  const fn = 'trainDigitClassifier';
  if (options === null || typeof options !== 'object') throw new TypeError(`${fn}: options must be an object {data, epochs, ...}`);
  checkDataMatrix(options.data, fn, 'data');
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

function rowsTensorOf(fn: string, x: tf.Tensor2D | DataMatrix, inputSize: number): { tensor: tf.Tensor2D; owned: boolean } {
  if (x instanceof tf.Tensor) return { tensor: checkMatrix(fn, 'x', x, inputSize), owned: false };
  checkDataMatrix(x, fn, 'x');
  if (x.features !== inputSize) throw new RangeError(`${fn}: x must have ${inputSize} features per example, got ${x.features}`);
  return { tensor: tf.tensor2d(x.values, [x.count, x.features]), owned: true };
}

/** Share of rows whose most probable class is the label. */
export function classifierAccuracy(classifier: DigitClassifier, data: DataMatrix): number {
  const fn = 'classifierAccuracy';
  checkDataMatrix(data, fn, 'data');
  if (!(data.labels instanceof Uint8Array)) throw new TypeError(`${fn}: data.labels must be a Uint8Array`);
  const { tensor, owned } = rowsTensorOf(fn, data, classifier.inputSize);
  const predicted = tf.tidy(() => tf.argMax(classifier.logits(tensor), 1));
  const values = predicted.dataSync();
  predicted.dispose();
  if (owned) tensor.dispose();
  let right = 0;
  for (let i = 0; i < data.count; i++) if (values[i] === data.labels[i]) right++;
  return right / data.count;
}

export interface PredictiveSummary {
  /** Mean over rows of max_y p(y|x). */
  confidence: Estimate;
  /** Mean over rows of the predictive entropy H = −Σ_y p(y|x) log p(y|x) (nats; at most log classes). */
  entropy: Estimate;
  /** Entropy of the mean prediction H(mean_x p(y|x)) (nats): how evenly the rows spread over the classes. */
  marginalEntropy: number;
  /**
   * I(y; x) = H(mean_x p(y|x)) − mean_x H(p(y|x)) ≥ 0 (nats), the log of the Inception Score
   * (Salimans et al. 2016): high when every row is confidently one class AND the classes vary.
   */
  labelInformation: number;
  /** How many rows go to each predicted class. */
  predictedCounts: number[];
  /** Per-row values, for histograms. */
  perRowConfidence: Float64Array;
  perRowEntropy: Float64Array;
}

/** Confidence and entropy of a probability matrix given row-major ([n, classes]). */
export function summarizePredictions(probabilities: ArrayLike<number>, classes: number): PredictiveSummary {
  const fn = 'summarizePredictions';
  checkInteger(fn, 'classes', classes, 2);
  if (probabilities.length === 0 || probabilities.length % classes !== 0) {
    throw new RangeError(`${fn}: probabilities must hold whole rows of ${classes} values, got ${probabilities.length} values`);
  }
  const n = probabilities.length / classes;
  const confidence = new Float64Array(n);
  const entropy = new Float64Array(n);
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < n; i++) {
    let best = -1;
    let arg = 0;
    let h = 0;
    for (let k = 0; k < classes; k++) {
      const p = probabilities[i * classes + k];
      if (!(p >= 0 && p <= 1 + 1e-5)) throw new RangeError(`${fn}: probabilities must lie in [0, 1], got ${p} at row ${i}, class ${k}`);
      if (p > best) { best = p; arg = k; }
      if (p > 0) h -= p * Math.log(p);
    }
    confidence[i] = best;
    entropy[i] = h;
    counts[arg]++;
  }
  const estimate = (v: Float64Array): Estimate => meanAndStandardErrorOf(v, 0, n);
  const meanEntropy = estimate(entropy);
  const marginalEntropy = marginalEntropyOf(probabilities, classes, null);
  return {
    confidence: estimate(confidence), entropy: meanEntropy, marginalEntropy, labelInformation: marginalEntropy - meanEntropy.mean,
    predictedCounts: counts, perRowConfidence: confidence, perRowEntropy: entropy,
  };
}

/** H of the mean of the rows listed in `rows` (all rows when null). */
function marginalEntropyOf(probabilities: ArrayLike<number>, classes: number, rows: Int32Array | null): number {
  const n = rows ? rows.length : probabilities.length / classes;
  const mean = new Float64Array(classes);
  for (let i = 0; i < n; i++) {
    const r = rows ? rows[i] : i;
    for (let k = 0; k < classes; k++) mean[k] += probabilities[r * classes + k] / n;
  }
  let h = 0;
  for (const p of mean) if (p > 0) h -= p * Math.log(p);
  return h;
}

/**
 * Bootstrap standard error of labelInformation: rows resampled with replacement `resamples`
 * times (indices from `random`), the spread of the recomputed I(y; x).
 */
export function labelInformationStandardError(probabilities: ArrayLike<number>, classes: number, random: Random, resamples = 200): number {
  const fn = 'labelInformationStandardError';
  const summary = summarizePredictions(probabilities, classes);
  checkRandom(fn, 'random', random);
  checkInteger(fn, 'resamples', resamples, 2);
  const n = summary.perRowEntropy.length;
  return bootstrapStandardError(n, (rows) => {
    let h = 0;
    for (let i = 0; i < n; i++) h += summary.perRowEntropy[rows[i]] / n;
    return marginalEntropyOf(probabilities, classes, rows) - h;
  }, random, resamples);
}

/**
 * The classifier's confidence, predictive entropy and label information on images x
 * ([n, inputSize] tensor, not disposed, or DataMatrix); with `random`, also the bootstrap
 * standard error of the label information.
 */
export function judgeImages(classifier: DigitClassifier, x: tf.Tensor2D | DataMatrix, random?: Random): PredictiveSummary & { labelInformationStandardError: number } {
  const fn = 'judgeImages';
  const { tensor, owned } = rowsTensorOf(fn, x, classifier.inputSize);
  const probabilities = classifier.probabilities(tensor);
  const values = probabilities.dataSync();
  probabilities.dispose();
  if (owned) tensor.dispose();
  const summary = summarizePredictions(values, classifier.classes);
  const se = random === undefined ? NaN : labelInformationStandardError(values, classifier.classes, random);
  return { ...summary, labelInformationStandardError: se };
}
