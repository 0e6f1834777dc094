import * as tf from '@tensorflow/tfjs';
import { Random } from '../random';
import { Vae, VaeConfig } from '../models/vae';
import { DataMatrix, dataMatrixFrom, selectRows } from '../data/matrix';
import { binarizeValues, checkFinite, checkUnitInterval, createBinarizer } from '../data/binarize';
import { BetaSchedule, TrainingPosition } from './schedules';
import { EpochMetrics, SplitMetrics, evaluateVae } from './metrics';
import { gatherRows, shuffledBatches } from './minibatches';
import { ProgressReporter, TrainSummary, silentProgress, terminalProgress } from './progress';
import { estimateLogLikelihood } from './logLikelihood';
import { trainingObjective } from './objective';
import { createAdam } from '../engine/ops/adam';
import { checkFunction, checkInteger, checkNonNegative, checkObject, checkOneOf, checkPositive, checkSeed } from '../checks';

/** How Bernoulli training data in [0, 1] becomes binary. */
export type Binarization = 'dynamic' | 'static' | 'none';

export interface TrainOptions {
  /** A model to train further, or the config of a new one (inputSize defaults to the data's). */
  model: Vae | (Omit<VaeConfig, 'inputSize'> & { inputSize?: number });
  /** Training data: [examples, features] (DataMatrix, tensor or nested array). */
  data: DataMatrix | tf.Tensor2D | number[][];
  /** Held-out data for per-epoch metrics (optional). */
  heldOut?: DataMatrix | tf.Tensor2D | number[][];
  epochs: number;
  /** Examples per step (default 128); the last batch of an epoch may be smaller. */
  batchSize?: number;
  /** Adam learning rate (default 1e-3). */
  learningRate?: number;
  /** Seeds the one Random behind initialisation, shuffling, binarization and ε (default 0). */
  seed?: number;
  /** β weighting the KL term: a number >= 0 (default 1) or a schedule such as linearWarmup(...). */
  beta?: number | BetaSchedule;
  /**
   * Free bits λ (Kingma et al. 2016), nats per latent dimension: the KL term becomes
   * Σ_u max(λ, batch mean of KL_u). Default 0 (off).
   */
  freeBits?: number;
  /**
   * Bernoulli likelihood only. 'dynamic' (default): a fresh Bernoulli draw of every pixel each
   * epoch; 'static': one draw before training; 'none': train on the intensities as given.
   */
  binarization?: Binarization;
  /** Examples in each fixed evaluation subset, train and held-out (default 1000). */
  evalCount?: number;
  /** Seed of the evaluation subsets, their binarization and their ε (default 20240601). */
  evalSeed?: number;
  /** Also evaluate the untrained model as epoch 0 (default true). */
  evaluateInitial?: boolean;
  /**
   * The importance-weighted bound L_k on held-out data (train data without held-out) as the
   * log-likelihood estimate: after the last epoch, or after every epoch with everyEpoch.
   */
  logLikelihood?: { k: number; count?: number; everyEpoch?: boolean };
  progress?: ProgressReporter | 'terminal' | 'none';
  /** Called after each epoch; return 'stop' to end training early. */
  onEpoch?: (metrics: EpochMetrics) => void | 'stop';
  /**
   * Which parameters the steps update: 'all' (default: encoder φ and decoder θ) or 'encoder'
   * (φ only, for a given model whose decoder θ stays exactly as it is). With θ fixed,
   * log p_θ(x) does not move, so every gain in the ELBO is a fall of the gap
   * KL(q_φ(z|x) ‖ p_θ(z|x)) (document §3).
   */
  parameters?: 'all' | 'encoder';
}

export interface TrainResult {
  model: Vae;
  /** Epochs 1..E. */
  history: EpochMetrics[];
  /** Epoch 0 (before training) when evaluateInitial. */
  initial: EpochMetrics | null;
  final: EpochMetrics;
  summary: TrainSummary;
}

/** Thrown when the loss stops being finite; says where. */
export class TrainingDivergedError extends Error {
  constructor(
    message: string,
    readonly epoch: number,
    readonly batch: number,
    readonly history: EpochMetrics[],
  ) {
    super(message);
    this.name = 'TrainingDivergedError';
  }
}

const FN = 'trainVae';

function resolveReporter(progress: TrainOptions['progress']): ProgressReporter {
  if (progress === undefined || progress === 'none') return silentProgress();
  if (progress === 'terminal') return terminalProgress();
  if (progress && typeof progress.start === 'function' && typeof progress.epoch === 'function' && typeof progress.end === 'function') {
    return progress;
  }
  throw new TypeError(`${FN}: progress must be 'terminal', 'none' or a ProgressReporter {start, epoch, end}`);
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Trains a VAE by maximising the (β-weighted, free-bits) ELBO with Adam, and records metrics
 * after every epoch on fixed subsets of the training and held-out data (see EpochMetrics).
 * One Random(seed) drives initialisation, shuffling, binarization and ε, so the same seed and
 * backend give identical numbers. Stops with a TrainingDivergedError naming the epoch and batch
 * when the loss is not finite. Returns the model (caller disposes it) and the history.
 */
export async function trainVae(options: TrainOptions): Promise<TrainResult> {
  checkObject(FN, 'options', options);
  const data = dataMatrixFrom(FN, 'data', options.data);
  const heldOut = options.heldOut === undefined ? null : dataMatrixFrom(FN, 'heldOut', options.heldOut);
  const epochs = checkInteger(FN, 'epochs', options.epochs, 1);
  const batchSize = checkInteger(FN, `batchSize (data has ${data.count} examples)`, options.batchSize ?? 128, 1, data.count);
  const learningRate = checkPositive(FN, 'learningRate', options.learningRate ?? 1e-3);
  const seed = checkSeed(FN, 'seed', options.seed ?? 0);
  const betaOption = options.beta ?? 1;
  const betaSchedule: BetaSchedule =
    typeof betaOption === 'function' ? betaOption : ((b) => () => b)(checkNonNegative(FN, 'beta', betaOption));
  const freeBits = checkNonNegative(FN, 'freeBits', options.freeBits ?? 0);
  const evalCount = checkInteger(FN, 'evalCount', options.evalCount ?? 1000, 1);
  const evalSeed = checkSeed(FN, 'evalSeed', options.evalSeed ?? 20240601);
  const reporter = resolveReporter(options.progress);
  if (options.onEpoch !== undefined) checkFunction(FN, 'onEpoch', options.onEpoch);
  if (options.logLikelihood !== undefined) {
    checkInteger(FN, 'logLikelihood.k', options.logLikelihood.k, 1);
    if (options.logLikelihood.count !== undefined) checkInteger(FN, 'logLikelihood.count', options.logLikelihood.count, 1);
  }

  const parameters = checkOneOf(FN, 'parameters', options.parameters ?? 'all', ['all', 'encoder'] as const);
  if (parameters === 'encoder' && !(options.model instanceof Vae)) throw new TypeError(`${FN}: parameters 'encoder' trains the encoder of a given model: model must be a Vae, not a config`);
  const modelOption = options.model;
  checkObject(FN, 'model (a Vae or a VaeConfig)', modelOption);
  const likelihood = modelOption instanceof Vae ? modelOption.likelihood : modelOption.likelihood ?? 'bernoulli';
  const binarization: Binarization = checkOneOf(FN, 'binarization', options.binarization ?? (likelihood === 'bernoulli' ? 'dynamic' : 'none'), ['dynamic', 'static', 'none'] as const);
  if (likelihood !== 'bernoulli' && binarization !== 'none') {
    throw new RangeError(`${FN}: binarization '${binarization}' needs a Bernoulli likelihood; use 'none' for '${likelihood}'`);
  }
  // Bernoulli needs x in [0, 1]; any likelihood needs finite data (NaN would poison every step).
  const checkValues = likelihood === 'bernoulli' ? checkUnitInterval : checkFinite;
  checkValues(FN, 'data', data);
  if (heldOut) {
    if (heldOut.features !== data.features) {
      throw new RangeError(`${FN}: heldOut must have ${data.features} features per example like data, got ${heldOut.features}`);
    }
    checkValues(FN, 'heldOut', heldOut);
  }
  if (modelOption instanceof Vae) {
    if (modelOption.isDisposed) throw new TypeError(`${FN}: model has been disposed`);
    if (modelOption.inputSize !== data.features) {
      throw new RangeError(`${FN}: data must have model.inputSize = ${modelOption.inputSize} features per example, got ${data.features}`);
    }
  } else if (modelOption.inputSize !== undefined && modelOption.inputSize !== data.features) {
    throw new RangeError(`${FN}: data must have model.inputSize = ${modelOption.inputSize} features per example, got ${data.features}`);
  }

  const random = new Random(seed);
  const ownsModel = !(modelOption instanceof Vae);
  const model = modelOption instanceof Vae ? modelOption : new Vae({ ...modelOption, inputSize: data.features }, random);

  // Fixed evaluation subsets, binarized once, and a fixed ε stream: comparable across epochs.
  const evalRandom = new Random(evalSeed);
  const bernoulliData = binarization !== 'none';
  let trainValues = data.values;
  if (binarization === 'static') trainValues = binarizeValues(data.values, random);
  const trainForEval = { ...data, values: trainValues };
  const evalSubset = (set: DataMatrix, alreadyBinary: boolean): DataMatrix => {
    const take = Math.min(evalCount, set.count);
    const subset = selectRows(set, evalRandom.permutation(set.count).subarray(0, take));
    return bernoulliData && !alreadyBinary ? { ...subset, values: binarizeValues(subset.values, evalRandom) } : subset;
  };
  const trainEval = evalSubset(trainForEval, binarization === 'static');
  const heldOutEval = heldOut ? evalSubset(heldOut, false) : null;
  const epsSeed = evalRandom.nextUint32();
  const evaluate = (withLogLikelihood: boolean): { train: SplitMetrics; heldOut: SplitMetrics | null } => {
    const train = evaluateVae(model, trainEval, { random: new Random(epsSeed) });
    const held = heldOutEval ? evaluateVae(model, heldOutEval, { random: new Random(epsSeed) }) : null;
    if (withLogLikelihood && options.logLikelihood) {
      const target = held ?? train;
      const set = heldOutEval ?? trainEval;
      const count = Math.min(options.logLikelihood.count ?? 100, set.count);
      target.importanceWeighted = estimateLogLikelihood(model, set, options.logLikelihood.k, count, new Random((epsSeed ^ 0x9e3779b9) >>> 0));
    }
    return { train, heldOut: held };
  };

  const n = data.count;
  const features = data.features;
  const latent = model.latentSize;
  const batchesPerEpoch = Math.ceil(n / batchSize);
  // Adam (β₁ 0.9, β₂ 0.999, ε 1e-8 as in PyTorch); one fused kernel per variable on the wasm engines.
  const optimizer = process.env.ELBO_LAB_STOCK_ADAM ? tf.train.adam(learningRate, 0.9, 0.999, 1e-8) : createAdam(learningRate);
  const variables = parameters === 'encoder' ? model.encoderNetwork.variables() : model.variables();
  const history: EpochMetrics[] = [];
  const started = Date.now();
  let trainingSeconds = 0;
  let initial: EpochMetrics | null = null;
  let stoppedBy: string | null = null;
  let epochValues = bernoulliData && binarization === 'dynamic' ? new Float32Array(trainValues.length) : trainValues;
  const dynamicBinarizer = binarization === 'dynamic' ? createBinarizer(data.values) : null;
  // One staging buffer for every batch: the batch tensor made from it is disposed (end of the
  // step's tidy) before the next batch overwrites it, and no 400 KB array per step is left to
  // the garbage collector.
  const staging = new Float32Array(batchSize * features);

  try {
    if (options.evaluateInitial ?? true) {
      const m = evaluate(options.logLikelihood?.everyEpoch === true);
      initial = { epoch: 0, beta: betaSchedule({ epoch: 1, batch: 0, batchesPerEpoch }), trainLoss: NaN, batchLosses: new Float64Array(0), train: m.train, heldOut: m.heldOut, seconds: 0 };
    }
    reporter.start({
      epochs, batchesPerEpoch, batchSize, trainCount: n, heldOutCount: heldOut ? heldOut.count : 0, latentSize: latent,
      parameterCount: model.parameterCount(), backend: tf.getBackend(), seed, initial,
    });
    let beta = 0;
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const epochStart = Date.now();
      if (dynamicBinarizer) epochValues = dynamicBinarizer(random, epochValues);
      const batches = shuffledBatches(n, batchSize, random);
      const batchLosses = new Float64Array(batchesPerEpoch);
      for (let b = 0; b < batchesPerEpoch; b++) {
        const rows = batches[b].length;
        const xs = gatherRows(epochValues, features, batches[b], staging);
        const noise = random.normals(rows * latent);
        const position: TrainingPosition = { epoch, batch: b, batchesPerEpoch };
        beta = betaSchedule(position);
        if (typeof beta !== 'number' || !(beta >= 0) || !Number.isFinite(beta)) {
          throw new RangeError(`${FN}: beta schedule must return a finite number >= 0, got ${String(beta)} at epoch ${epoch}, batch ${b + 1}`);
        }
        const lossTensor = tf.tidy(() => {
          const x = tf.tensor2d(xs, [rows, features]);
          const eps = tf.tensor2d(noise, [rows, latent]);
          return optimizer.minimize(() => trainingObjective(model, x, eps, beta, freeBits), true, variables) as tf.Scalar;
        });
        // One read per batch, for NaN/Inf detection (on cpu/wasm the value is already on the host).
        const loss = lossTensor.dataSync()[0];
        lossTensor.dispose();
        if (!Number.isFinite(loss)) throw divergence(epoch, b, batchesPerEpoch, `the loss is ${loss}`, learningRate, history);
        batchLosses[b] = loss;
      }
      const seconds = (Date.now() - epochStart) / 1000;
      trainingSeconds += seconds;
      const wantLogLikelihood = options.logLikelihood !== undefined && (options.logLikelihood.everyEpoch === true || epoch === epochs);
      let m: ReturnType<typeof evaluate>;
      try {
        m = evaluate(wantLogLikelihood);
      } catch (err) {
        // The math core rejects non-finite encoder/decoder outputs: the last update diverged.
        if (err instanceof RangeError && /finite/.test(err.message)) {
          throw divergence(epoch, batchesPerEpoch - 1, batchesPerEpoch, `non-finite model outputs after this update (${err.message})`, learningRate, history);
        }
        throw err;
      }
      let sum = 0;
      for (const l of batchLosses) sum += l;
      const metrics: EpochMetrics = { epoch, beta, trainLoss: sum / batchesPerEpoch, batchLosses, train: m.train, heldOut: m.heldOut, seconds };
      history.push(metrics);
      const elapsed = (Date.now() - started) / 1000;
      reporter.epoch(metrics, (elapsed / epoch) * (epochs - epoch));
      const verdict = options.onEpoch ? options.onEpoch(metrics) : undefined;
      await yieldToEventLoop(); // lets a notebook display flush between epochs
      if (verdict === 'stop') {
        if (options.logLikelihood && !wantLogLikelihood) {
          const withLk = evaluate(true);
          metrics.train = withLk.train;
          metrics.heldOut = withLk.heldOut;
        }
        break;
      }
    }
  } catch (err) {
    stoppedBy = err instanceof Error ? err.message : String(err);
    optimizer.dispose();
    if (ownsModel) model.dispose();
    reporter.end(summarize(history, started, trainingSeconds, stoppedBy));
    throw err;
  }
  optimizer.dispose();
  const summary = summarize(history, started, trainingSeconds, stoppedBy);
  reporter.end(summary);
  return { model, history, initial, final: history[history.length - 1], summary };
}

function summarize(history: EpochMetrics[], started: number, trainingSeconds: number, stoppedBy: string | null): TrainSummary {
  return {
    epochsCompleted: history.length,
    seconds: (Date.now() - started) / 1000,
    secondsPerEpoch: history.length > 0 ? trainingSeconds / history.length : NaN,
    final: history.length > 0 ? history[history.length - 1] : null,
    stoppedBy,
  };
}

function divergence(epoch: number, batch: number, batches: number, what: string, learningRate: number, history: EpochMetrics[]): TrainingDivergedError {
  return new TrainingDivergedError(
    `${FN}: training diverged at epoch ${epoch}, batch ${batch + 1} of ${batches}: ${what}. ` +
      `Try a smaller learningRate (now ${learningRate}).`,
    epoch, batch + 1, history,
  );
}
