/** Where training stands when β is asked for. */
export interface TrainingPosition {
  /** 1-based epoch. */
  epoch: number;
  /** 0-based batch within the epoch. */
  batch: number;
  /** Batches per epoch. */
  batchesPerEpoch: number;
}

/** β as a function of the training position (must return a finite number >= 0). */
export type BetaSchedule = (position: TrainingPosition) => number;

/**
 * KL annealing (Bowman et al. 2016): β rises linearly from `from` to `to` over the first
 * `epochs` epochs, updated every batch, then stays at `to`:
 *   β(t) = from + (to − from) · min(1, t / epochs),  t = (epoch − 1) + batch / batchesPerEpoch.
 */
export function linearWarmup(options: { epochs: number; from?: number; to?: number }): BetaSchedule {
  const fn = 'linearWarmup';
  if (options === null || typeof options !== 'object') throw new TypeError(`${fn}: options must be {epochs, from?, to?}`);
  const { epochs } = options;
  const from = options.from ?? 0;
  const to = options.to ?? 1;
  if (!(typeof epochs === 'number' && epochs > 0 && Number.isFinite(epochs))) {
    throw new RangeError(`${fn}: options.epochs must be a finite number > 0, got ${String(epochs)}`);
  }
  if (!(from >= 0 && Number.isFinite(from))) throw new RangeError(`${fn}: options.from must be a finite number >= 0, got ${from}`);
  if (!(to >= 0 && Number.isFinite(to))) throw new RangeError(`${fn}: options.to must be a finite number >= 0, got ${to}`);
  return ({ epoch, batch, batchesPerEpoch }) => {
    const t = epoch - 1 + batch / batchesPerEpoch;
    return from + (to - from) * Math.min(1, t / epochs);
  };
}

/** A constant β as a schedule. */
export function constantBeta(beta: number): BetaSchedule {
  if (!(typeof beta === 'number' && beta >= 0 && Number.isFinite(beta))) {
    throw new RangeError(`constantBeta: beta must be a finite number >= 0, got ${String(beta)}`);
  }
  return () => beta;
}
