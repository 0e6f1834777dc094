/**
 * Argument checks: the one vocabulary every function of ELBO Lab uses, always in the order
 * `check…(fn, name, value, …)` (data matrices too: data/matrix.ts's checkDataMatrix(fn, name, data)),
 * so that a mistake surfaces as a `TypeError`/`RangeError` whose message names the function,
 * the argument and what was expected, e.g.
 *   `klToStandardNormal: encoder.logVariance must have the same shape as encoder.mean [4,2], got [4,3]`.
 *
 * Value checks (finite, in range) read tensor values back. On the `cpu`, `wasm` and
 * `tensorflow` (tfjs-node) backends the values already live in host memory, so the read is a
 * cheap copy; on GPU backends (`webgl`, `webgpu`) a read would stall the pipeline on every
 * training step, so there only shapes and dtypes are checked (see `valuesAreCheap`).
 */
import * as tf from '@tensorflow/tfjs';

/** Formats a shape the way error messages show it: `[4,2]`. */
export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof tf.Tensor) return `a tensor of shape ${shapeString(value.shape)}`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'number') return String(value);
  return typeof value;
}

/** True when reading tensor values back costs no GPU synchronisation. */
export function valuesAreCheap(): boolean {
  const backend = tf.getBackend();
  return backend !== 'webgl' && backend !== 'webgpu';
}

/** Asserts `value` is a live tf.Tensor of the given rank (any rank when omitted) and float32 dtype. */
export function checkTensor(fn: string, name: string, value: unknown, rank?: number): tf.Tensor {
  if (!(value instanceof tf.Tensor)) {
    throw new TypeError(`${fn}: ${name} must be a tf.Tensor${rank === undefined ? '' : ` of rank ${rank}`}, got ${describe(value)}`);
  }
  if (value.isDisposed) throw new TypeError(`${fn}: ${name} has already been disposed`);
  if (rank !== undefined && value.rank !== rank) {
    throw new RangeError(`${fn}: ${name} must be a rank-${rank} tensor, got shape ${shapeString(value.shape)}`);
  }
  if (value.dtype !== 'float32') {
    throw new TypeError(`${fn}: ${name} must have dtype float32, got ${value.dtype}`);
  }
  return value;
}

/** Asserts a float32 rank-2 tensor, optionally with a fixed number of columns. */
export function checkMatrix(fn: string, name: string, value: unknown, columns?: number): tf.Tensor2D {
  const t = checkTensor(fn, name, value, 2) as tf.Tensor2D;
  if (columns !== undefined && t.shape[1] !== columns) {
    throw new RangeError(`${fn}: ${name} must have ${columns} columns, got shape ${shapeString(t.shape)}`);
  }
  if (t.shape[0] < 1 || t.shape[1] < 1) {
    throw new RangeError(`${fn}: ${name} must have at least one row and one column, got shape ${shapeString(t.shape)}`);
  }
  return t;
}

/** Asserts two tensors have identical shapes. */
export function checkSameShape(fn: string, nameA: string, a: tf.Tensor, nameB: string, b: tf.Tensor): void {
  if (!tf.util.arraysEqual(a.shape, b.shape)) {
    throw new RangeError(`${fn}: ${nameB} must have the same shape as ${nameA} ${shapeString(a.shape)}, got ${shapeString(b.shape)}`);
  }
}

/**
 * Asserts every element of `t` is finite (and within [lo, hi] when given). Skipped on GPU
 * backends, where reading back would cost a synchronisation (see the file comment).
 */
export function checkTensorValues(fn: string, name: string, t: tf.Tensor, lo = -Infinity, hi = Infinity): void {
  if (!valuesAreCheap()) return;
  const values = t.dataSync();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v) || v < lo || v > hi) {
      const range = lo === -Infinity && hi === Infinity ? 'finite values' : `finite values in [${lo}, ${hi}]`;
      throw new RangeError(`${fn}: ${name} must contain ${range}, got ${v} at flat index ${i}`);
    }
  }
}

/** Asserts a finite number (within [lo, hi] when given). */
export function checkNumber(fn: string, name: string, value: unknown, lo = -Infinity, hi = Infinity): number {
  if (typeof value !== 'number') throw new TypeError(`${fn}: ${name} must be a number, got ${describe(value)}`);
  if (!Number.isFinite(value) || value < lo || value > hi) {
    const range = lo === -Infinity && hi === Infinity ? 'a finite number' : `a finite number in [${lo}, ${hi}]`;
    throw new RangeError(`${fn}: ${name} must be ${range}, got ${value}`);
  }
  return value;
}

/** Asserts a finite number strictly greater than zero. */
export function checkPositive(fn: string, name: string, value: unknown): number {
  const v = checkNumber(fn, name, value);
  if (!(v > 0)) throw new RangeError(`${fn}: ${name} must be a finite number > 0, got ${v}`);
  return v;
}

/** Asserts an integer in [lo, hi]. */
export function checkInteger(fn: string, name: string, value: unknown, lo = -Infinity, hi = Infinity): number {
  if (typeof value !== 'number') throw new TypeError(`${fn}: ${name} must be an integer, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < lo || value > hi) {
    const range = hi === Infinity ? `an integer >= ${lo}` : `an integer in [${lo}, ${hi}]`;
    throw new RangeError(`${fn}: ${name} must be ${range}, got ${value}`);
  }
  return value;
}

/** Asserts a plain numeric array / typed array of the given length with finite entries. */
export function checkFiniteArray(
  fn: string, name: string, value: unknown, length?: number,
): ArrayLike<number> {
  const ok = Array.isArray(value) || value instanceof Float64Array || value instanceof Float32Array;
  if (!ok) throw new TypeError(`${fn}: ${name} must be a number[], Float64Array or Float32Array, got ${describe(value)}`);
  const arr = value as ArrayLike<number>;
  if (length !== undefined && arr.length !== length) {
    throw new RangeError(`${fn}: ${name} must have length ${length}, got ${arr.length}`);
  }
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new RangeError(`${fn}: ${name} must contain finite numbers, got ${v} at index ${i}`);
    }
  }
  return arr;
}

/** Asserts an object carries a Random-like generator (duck-typed so tests may pass subclasses). */
export function checkRandom(fn: string, name: string, value: unknown): void {
  const r = value as { normals?: unknown } | null;
  if (r === null || typeof r !== 'object' || typeof r.normals !== 'function') {
    throw new TypeError(`${fn}: ${name} must be a Random from src/random.ts, got ${describe(value)}`);
  }
}

/** Asserts a non-null object (an options bag, a model, a result record). */
export function checkObject(fn: string, name: string, value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object') throw new TypeError(`${fn}: ${name} must be an object, got ${describe(value)}`);
  return value as Record<string, unknown>;
}

/** A 2-D box [[lo0, hi0], [lo1, hi1]]: finite numbers with lo < hi on each axis; returns a copy. */
export function checkBox2d(fn: string, name: string, value: unknown): [[number, number], [number, number]] {
  const b = value as number[][];
  const ok = Array.isArray(b) && b.length === 2 && b.every((r) => Array.isArray(r) && r.length === 2
    && r.every((v) => Number.isFinite(v)) && r[0] < r[1]);
  if (!ok) throw new RangeError(`${fn}: ${name} must be [[lo0, hi0], [lo1, hi1]] with finite lo < hi`);
  return [[b[0][0], b[0][1]], [b[1][0], b[1][1]]];
}

/** Asserts a string with at least one non-space character. */
export function checkNonEmptyString(fn: string, name: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new TypeError(`${fn}: ${name} must be a non-empty string, got ${describe(value)}`);
  return value;
}

/** Asserts a finite number ≥ 0. */
export function checkNonNegative(fn: string, name: string, value: unknown): number {
  const v = checkNumber(fn, name, value);
  if (!(v >= 0)) throw new RangeError(`${fn}: ${name} must be a finite number >= 0, got ${v}`);
  return v;
}

/** Asserts a seed: an integer in [0, 2^32). */
export function checkSeed(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`${fn}: ${name} must be an integer in [0, 2^32), got ${describe(value)}`);
  }
  return value;
}

/** Asserts one of a fixed set of values (strings such as 'dynamic' | 'static' | 'none'). */
export function checkOneOf<T extends string>(fn: string, name: string, value: unknown, choices: readonly T[]): T {
  if (!choices.includes(value as T)) {
    throw new RangeError(`${fn}: ${name} must be ${choices.map((c) => `'${c}'`).join(', ').replace(/, ([^,]*)$/, ' or $1')}, got ${typeof value === 'string' ? `'${value}'` : describe(value)}`);
  }
  return value as T;
}

/** Asserts a function (a callback option). */
export function checkFunction(fn: string, name: string, value: unknown): (...args: never[]) => unknown {
  if (typeof value !== 'function') throw new TypeError(`${fn}: ${name} must be a function, got ${describe(value)}`);
  return value as (...args: never[]) => unknown;
}
