/**
 * The ONE 2-D-latent VAE on digits that notebooks 02 (derivation) and 03 (the gap) share.
 *
 * With a 2-D latent, log p_θ(x) = log ∫ p_θ(x|z) p(z) dz can be computed by quadrature on a grid,
 * so every line of the derivation and the gap KL(q_φ(z|x) ‖ p_θ(z|x)) becomes a number.
 * Everything here derives from one notebook seed: the data split, the training run, the
 * held-out digits shown. Within one `npm test` run the model is trained once (sharedTraining).
 */
import { Random } from '../random';
import { budget } from '../runMode';
import { loadMnistSplit } from '../data/mnist';
import { binarizeValues } from '../data/binarize';
import { ImageSet, selectRows } from '../data/matrix';
import { trainVae, TrainResult } from '../train/train';
import type { ProgressReporter } from '../train/progress';
import type { EpochMetrics } from '../train/metrics';
import { Vae } from '../models/vae';
import { sharedTraining } from '../train/runCache';
import { checkInteger, checkSeed } from '../checks';

/** Architecture and optimiser of the shared model (784-256-2 encoder, 2-256-784 Bernoulli decoder). */
export const DIGITS_2D_MODEL = {
  latentSize: 2,
  hiddenSizes: [256],
  likelihood: 'bernoulli' as const,
  batchSize: 128,
  learningRate: 1e-3,
};

/** Epochs of the shared model by run mode (CI mode: a short run that still learns digits). */
export function digits2dEpochs(): number {
  return budget({ ci: 25, full: 100 });
}

/** The seeds derived from a notebook seed: data split, initial weights, training, held-out digits. */
export interface Digits2dSeeds {
  split: number;
  initialization: number;
  training: number;
  heldOutDigits: number;
}


/** Splits a notebook seed into independent seeds (fixed derivation, so 02 and 03 agree). */
export function digits2dSeeds(seed: number): Digits2dSeeds {
  const random = new Random(checkSeed('digits2dSeeds', 'seed', seed));
  return { split: random.nextUint32(), initialization: random.nextUint32(), training: random.nextUint32(), heldOutDigits: random.nextUint32() };
}

/** The MNIST split of the shared model (8,000 train / 2,000 held-out, stratified, seeded). */
export function digits2dData(seed: number): { train: ImageSet; heldOut: ImageSet } {
  return loadMnistSplit({ seed: digits2dSeeds(checkSeed('digits2dData', 'seed', seed)).split });
}

export interface Digits2dOptions {
  /** Live training output (e.g. trainingProgress('...')); default silent. */
  progress?: ProgressReporter | 'terminal' | 'none';
  /** Override the epochs (default digits2dEpochs()). */
  epochs?: number;
  /**
   * Called after every epoch with the metrics and the model being trained (read it, e.g. for
   * quadrature; do not dispose it). Given, the model is always trained here (a cached result has
   * no epochs to report); the weights are the same either way.
   */
  onEpoch?: (metrics: EpochMetrics, model: Vae) => void | 'stop';
}

/**
 * Trains (or, within one suite run, loads) the shared 2-D-latent Bernoulli VAE on binarized
 * digits for notebook seed `seed`. Dynamic binarization; held-out metrics every epoch.
 * The caller owns the returned model and disposes it.
 */
export async function trainDigits2d(seed: number, options: Digits2dOptions = {}): Promise<TrainResult & { fromCache: boolean }> {
  checkSeed('trainDigits2d', 'seed', seed);
  if (options === null || typeof options !== 'object') throw new TypeError('trainDigits2d: options must be an object {progress?, epochs?, onEpoch?}');
  const epochs = options.epochs ?? digits2dEpochs();
  checkInteger('trainDigits2d', 'options.epochs', epochs, 1);
  if (options.onEpoch !== undefined && typeof options.onEpoch !== 'function') throw new TypeError('trainDigits2d: options.onEpoch must be a function');
  const seeds = digits2dSeeds(seed);
  const { train, heldOut } = digits2dData(seed);
  const description = { model: DIGITS_2D_MODEL, data: 'mnist-10k', seeds, epochs, binarization: 'dynamic', evalCount: 500 };
  const onEpoch = options.onEpoch;
  // The model is built here (not inside trainVae) so that onEpoch can read it.
  const run = async (): Promise<TrainResult> => {
    const model = createDigits2dModel(seed, train.features);
    try {
      return await trainVae({
        model,
        data: train,
        heldOut,
        epochs,
        batchSize: DIGITS_2D_MODEL.batchSize,
        learningRate: DIGITS_2D_MODEL.learningRate,
        seed: seeds.training,
        evalCount: 500,
        progress: options.progress,
        onEpoch: onEpoch ? (metrics) => onEpoch(metrics, model) : undefined,
      });
    } catch (err) {
      model.dispose();
      throw err;
    }
  };
  if (onEpoch) return { ...(await run()), fromCache: false };
  return sharedTraining('digits-2d', description, run);
}

/** The untrained model of notebook seed `seed` (weights from the derived initialization seed). */
export function createDigits2dModel(seed: number, inputSize = 784): Vae {
  checkSeed('createDigits2dModel', 'seed', seed);
  const { latentSize, hiddenSizes, likelihood } = DIGITS_2D_MODEL;
  return new Vae({ inputSize, latentSize, hiddenSizes, likelihood }, new Random(digits2dSeeds(seed).initialization));
}

/**
 * `count` held-out digits of the shared split, binarized once with a Random seeded from the
 * notebook seed (so 02 and 03 show the same binary images). The held-out order is already
 * shuffled, so the first `count` are a fair mix of classes. Labels kept.
 */
export function digits2dHeldOut(seed: number, count: number): ImageSet {
  checkSeed('digits2dHeldOut', 'seed', seed);
  checkInteger('digits2dHeldOut', 'count', count, 1);
  const { heldOut } = digits2dData(seed);
  if (count > heldOut.count) throw new RangeError(`digits2dHeldOut: count must be at most ${heldOut.count}, got ${count}`);
  const rows = selectRows(heldOut, Int32Array.from({ length: count }, (_, i) => i));
  const random = new Random(digits2dSeeds(seed).heldOutDigits);
  return { ...rows, values: binarizeValues(rows.values, random) };
}
