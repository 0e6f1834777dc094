import { Random } from '../random';
import { DataMatrix, checkDataMatrix } from './matrix';
import { checkRandom } from '../checks';

/**
 * Draws binary data x̃ ~ Bernoulli(x) pixel by pixel from intensities x in [0, 1]
 * (x̃ = 1 when u < x, u uniform on [0,1)), so exact 0 and 1 stay 0 and 1.
 * Dynamic binarization calls this once per epoch with fresh draws; static binarization once.
 */
export function binarizeValues(values: Float32Array, random: Random, out?: Float32Array): Float32Array {
  if (!(values instanceof Float32Array)) throw new TypeError('binarizeValues: values must be a Float32Array');
  checkRandom('binarizeValues', 'random', random);
  const result = out ?? new Float32Array(values.length);
  if (result.length !== values.length) {
    throw new RangeError(`binarizeValues: out must have ${values.length} entries, got ${result.length}`);
  }
  for (let i = 0; i < values.length; i++) {
    const p = values[i];
    // Skip the draw for exact 0/1 (most MNIST pixels): faster, and such pixels are fixed anyway.
    // u < p with u = nextUint32 / 2^32, compared without the division.
    result[i] = p <= 0 ? 0 : p >= 1 ? 1 : random.nextUint32() < p * 4294967296 ? 1 : 0;
  }
  return result;
}

/**
 * A fast repeated binarizer for one fixed array of intensities (dynamic binarization redraws the
 * same training set every epoch): the pixels strictly inside (0, 1) are indexed once, so each
 * call copies the fixed 0/1 pixels and draws only the others. Gives exactly binarizeValues'
 * output for the same generator state.
 */
export function createBinarizer(values: Float32Array): (random: Random, out?: Float32Array) => Float32Array {
  if (!(values instanceof Float32Array)) throw new TypeError('createBinarizer: values must be a Float32Array');
  const fixed = new Float32Array(values.length);
  const indices: number[] = [];
  const thresholds: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const p = values[i];
    if (p >= 1) fixed[i] = 1;
    else if (p > 0) { indices.push(i); thresholds.push(p * 4294967296); }
  }
  const index = Int32Array.from(indices);
  const threshold = Float64Array.from(thresholds);
  return (random: Random, out?: Float32Array): Float32Array => {
    checkRandom('binarizer', 'random', random);
    const result = out ?? new Float32Array(values.length);
    if (result.length !== values.length) throw new RangeError(`binarizer: out must have ${values.length} entries, got ${result.length}`);
    result.set(fixed);
    for (let k = 0; k < index.length; k++) result[index[k]] = random.nextUint32() < threshold[k] ? 1 : 0;
    return result;
  };
}

/** A binarized copy of `data` (labels kept). Values must lie in [0, 1]. */
export function binarize<T extends DataMatrix>(data: T, random: Random): T {
  checkDataMatrix('binarize', 'data', data);
  checkUnitInterval('binarize', 'data', data);
  return { ...data, values: binarizeValues(data.values, random) };
}

/** Throws unless every value is finite and in [0, 1] (what a Bernoulli likelihood needs). */
export function checkUnitInterval(fn: string, arg: string, data: DataMatrix): void {
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
export function checkFinite(fn: string, arg: string, data: DataMatrix): void {
  const v = data.values;
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) {
      throw new RangeError(
        `${fn}: ${arg} must be finite; found ${v[i]} at example ${Math.floor(i / data.features)}, feature ${i % data.features}`,
      );
    }
  }
}
