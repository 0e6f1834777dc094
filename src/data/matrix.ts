import * as tf from '@tensorflow/tfjs';

/**
 * A data set as plain typed data: `count` examples of `features` values each, row-major in
 * `values`. Loaders return this (not tensors) so nothing needs disposing and a notebook can
 * index it directly; `toTensor` makes a tensor when one is wanted.
 */
export interface DataMatrix {
  readonly values: Float32Array;
  readonly count: number;
  readonly features: number;
  /** Class labels when the data set has them (one per example). */
  readonly labels?: Uint8Array;
}

/** Images with their labels: values are intensities in [0, 1]. */
export interface ImageSet extends DataMatrix {
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
  readonly labels: Uint8Array;
}

/** Checks that `data` is a well-formed DataMatrix; throws naming `fn` and `arg` otherwise (the order of every check: fn, name, value). */
export function checkDataMatrix(fn: string, arg: string, data: DataMatrix): void {
  if (data === null || typeof data !== 'object' || !(data.values instanceof Float32Array)) {
    throw new TypeError(`${fn}: ${arg} must be a DataMatrix {values: Float32Array, count, features}`);
  }
  if (!Number.isInteger(data.count) || data.count < 1 || !Number.isInteger(data.features) || data.features < 1) {
    throw new RangeError(`${fn}: ${arg}.count and ${arg}.features must be positive integers, got ${data.count} and ${data.features}`);
  }
  if (data.values.length !== data.count * data.features) {
    throw new RangeError(
      `${fn}: ${arg}.values must have count*features = ${data.count}*${data.features} = ${data.count * data.features} entries, got ${data.values.length}`,
    );
  }
  if (data.labels !== undefined && data.labels.length !== data.count) {
    throw new RangeError(`${fn}: ${arg}.labels must have ${data.count} entries, got ${data.labels.length}`);
  }
}

/** Wraps a tensor or a nested array as a DataMatrix (copies the numbers). */
export function dataMatrixFrom(fn: string, arg: string, x: tf.Tensor2D | number[][] | DataMatrix): DataMatrix {
  if (x instanceof tf.Tensor) {
    if (x.rank !== 2) throw new RangeError(`${fn}: ${arg} must be a 2-D tensor [examples, features], got shape [${x.shape}]`);
    const out = { values: Float32Array.from(x.dataSync()), count: x.shape[0], features: x.shape[1] };
    checkDataMatrix(fn, arg, out);
    return out;
  }
  if (Array.isArray(x)) {
    const count = x.length;
    const features = count > 0 && Array.isArray(x[0]) ? x[0].length : 0;
    const values = new Float32Array(count * features);
    for (let i = 0; i < count; i++) {
      if (!Array.isArray(x[i]) || x[i].length !== features) {
        throw new RangeError(`${fn}: ${arg} must be a rectangular array; row ${i} has ${Array.isArray(x[i]) ? x[i].length : 'no'} entries, expected ${features}`);
      }
      values.set(x[i], i * features);
    }
    const out = { values, count, features };
    checkDataMatrix(fn, arg, out);
    return out;
  }
  checkDataMatrix(fn, arg, x);
  return x;
}

/** The rows `indices` of `data` (labels follow), as a new DataMatrix. */
export function selectRows<T extends DataMatrix>(data: T, indices: ArrayLike<number>): T {
  checkDataMatrix('selectRows', 'data', data);
  const f = data.features;
  const values = new Float32Array(indices.length * f);
  const labels = data.labels ? new Uint8Array(indices.length) : undefined;
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i];
    if (!Number.isInteger(r) || r < 0 || r >= data.count) {
      throw new RangeError(`selectRows: indices[${i}] must be an integer in [0, ${data.count}), got ${r}`);
    }
    values.set(data.values.subarray(r * f, (r + 1) * f), i * f);
    if (labels && data.labels) labels[i] = data.labels[r];
  }
  return { ...data, values, count: indices.length, labels } as T;
}

/** The first `count` rows (a view when possible: no copy). */
export function headRows<T extends DataMatrix>(data: T, count: number): T {
  if (!Number.isInteger(count) || count < 1 || count > data.count) {
    throw new RangeError(`headRows: count must be an integer in [1, ${data.count}], got ${count}`);
  }
  return {
    ...data,
    values: data.values.subarray(0, count * data.features),
    count,
    labels: data.labels ? data.labels.subarray(0, count) : undefined,
  } as T;
}

/** A [count, features] tensor of the data (caller disposes). */
export function toTensor(data: DataMatrix): tf.Tensor2D {
  checkDataMatrix('toTensor', 'data', data);
  return tf.tensor2d(data.values, [data.count, data.features]);
}
