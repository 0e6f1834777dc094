import { Random } from '../random';
import { DataMatrix, checkDataMatrix } from './matrix';

/**
 * Draws binary data x̃ ~ Bernoulli(x) pixel by pixel from intensities x in [0, 1]
 * (x̃ = 1 when u < x, u uniform on [0,1)), so exact 0 and 1 stay 0 and 1.
 * Dynamic binarization calls this once per epoch with fresh draws; static binarization once.
 */
export function binarizeValues(values: Float32Array, random: Random, out?: Float32Array): Float32Array {
  if (!(values instanceof Float32Array)) throw new TypeError('binarizeValues: values must be a Float32Array');
  if (!(random instanceof Random)) throw new TypeError('binarizeValues: random must be a Random');
  const result = out ?? new Float32Array(values.length);
  if (result.length !== values.length) {
    throw new RangeError(`binarizeValues: out must have ${values.length} entries, got ${result.length}`);
  }
  for (let i = 0; i < values.length; i++) {
    const p = values[i];
    // Skip the draw for exact 0/1 (most MNIST pixels): faster, and such pixels are fixed anyway.
    result[i] = p <= 0 ? 0 : p >= 1 ? 1 : random.uniform() < p ? 1 : 0;
  }
  return result;
}

/** A binarized copy of `data` (labels kept). Values must lie in [0, 1]. */
export function binarize<T extends DataMatrix>(data: T, random: Random): T {
  checkDataMatrix(data, 'binarize', 'data');
  checkUnitInterval(data, 'binarize', 'data');
  return { ...data, values: binarizeValues(data.values, random) };
}

/** Throws unless every value is finite and in [0, 1] (what a Bernoulli likelihood needs). */
export function checkUnitInterval(data: DataMatrix, fn: string, arg: string): void {
  const v = data.values;
  for (let i = 0; i < v.length; i++) {
    const value = v[i];
    if (!(value >= 0 && value <= 1)) {
      const row = Math.floor(i / data.features);
      const what = Number.isNaN(value) ? 'NaN' : String(value);
      throw new RangeError(
        `${fn}: ${arg} must hold values in [0, 1] for a Bernoulli likelihood; found ${what} at example ${row}, feature ${i % data.features}`,
      );
    }
  }
}

/** Throws unless every value is finite. */
export function checkFinite(data: DataMatrix, fn: string, arg: string): void {
  const v = data.values;
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) {
      throw new RangeError(
        `${fn}: ${arg} must be finite; found ${v[i]} at example ${Math.floor(i / data.features)}, feature ${i % data.features}`,
      );
    }
  }
}
