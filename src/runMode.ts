/**
 * How a notebook is being run. CI mode (the `CI` environment variable set, as in continuous
 * integration) may shorten training; the assertions never change with the mode.
 */

/** True when `CI` is set to anything but "", "0" or "false". */
export function isCiMode(): boolean {
  const value = (process.env.CI ?? '').trim().toLowerCase();
  return value !== '' && value !== '0' && value !== 'false';
}

/** Pick a budget (epochs, examples, samples) by mode: `{ ci, full }`. */
export function budget<T>(choices: { ci: T; full: T }): T {
  if (choices === null || typeof choices !== 'object' || !('ci' in choices) || !('full' in choices)) {
    throw new TypeError('budget: choices must be an object { ci, full }');
  }
  return isCiMode() ? choices.ci : choices.full;
}

/**
 * The notebook's seed: `defaultSeed`, unless ELBO_LAB_SEED overrides it (used to check that the
 * claims hold for other seeds too, not only for the one the notebook shows).
 */
export function notebookSeed(defaultSeed: number): number {
  if (!Number.isInteger(defaultSeed) || defaultSeed < 0 || defaultSeed > 0xffffffff) {
    throw new RangeError(`notebookSeed: defaultSeed must be an integer in [0, 2^32), got ${defaultSeed}`);
  }
  const override = process.env.ELBO_LAB_SEED;
  if (override === undefined || override.trim() === '') return defaultSeed;
  const seed = Number(override);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`notebookSeed: ELBO_LAB_SEED must be an integer in [0, 2^32), got "${override}"`);
  }
  return seed;
}
