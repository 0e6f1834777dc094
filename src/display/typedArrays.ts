/**
 * Plotly's typed-array encoding of numeric arrays: `{dtype, bdata, shape?}`, the base64 of a
 * little-endian typed array (decoded by plotly.js >= 2.28: the bundle we ship and the JupyterLab
 * extension's 2.35). A chart's numbers then cost 1.3 characters per byte instead of ~18 per
 * decimal, in both copies a chart carries (the Plotly JSON and the classic Notebook's HTML).
 *
 * Which dtype:
 *  - integers (no gaps): the smallest of u1, i1, u2, i2, u4, i4 that holds them all, exact;
 *    integers with gaps: f4 (exact up to 2^24), else f8;
 *  - Float32Array / Float64Array / integer typed arrays given as such: their own dtype, exact;
 *  - other numbers: f8, exact. The decoded array holds the very doubles the JSON held, so a hover
 *    label, a `%{y}` in a hovertemplate or `text`, and anything reading the figure back show what
 *    was meant (0.1, not 0.10000000149011612 as a float32 would give);
 *  - the `z` matrix of a heatmap or contour (a surface of many values that is read through a
 *    colour scale): f4. Plotly formats a heatmap's hover z with a dummy axis over [zmin, zmax]
 *    (its tick precision), and `%{z}` without a format uses that label too, so the float32
 *    rounding (relative 6e-8) never reaches the reader, and the matrix costs half as much.
 *    A `%{z:.4f}`-style format would show it only beyond the 7th significant digit;
 *  - the samples of a histogram (`x` or `y`): f4. They reach the reader only as bin counts, and a
 *    float32 rounding moves a value across a bin edge only if it lies within 6e-8 (relative) of it.
 * Gaps (null, NaN, ±Infinity, which JSON writes as null) become NaN in a float array: Plotly
 * treats a non-numeric value as missing either way (a break in a line, an empty heatmap cell).
 * An array is encoded only when that is shorter than its JSON (small arrays stay readable), and
 * arrays of strings, booleans or mixed values are left alone.
 */

export type PlotlyDtype = 'i1' | 'u1' | 'i2' | 'u2' | 'i4' | 'u4' | 'f4' | 'f8';

/** A Plotly typed-array spec: base64 of little-endian values; shape "rows,cols" for matrices. */
export interface TypedArraySpec {
  dtype: PlotlyDtype;
  bdata: string;
  shape?: string;
}

const BYTES: Record<PlotlyDtype, number> = { i1: 1, u1: 1, i2: 2, u2: 2, i4: 4, u4: 4, f4: 4, f8: 8 };
const INTEGER_RANGES: Array<[PlotlyDtype, number, number]> = [
  ['u1', 0, 0xff], ['i1', -0x80, 0x7f], ['u2', 0, 0xffff], ['i2', -0x8000, 0x7fff],
  ['u4', 0, 0xffffffff], ['i4', -0x80000000, 0x7fffffff],
];
/** Arrays with fewer values stay plain JSON (readable in the notebook file, no gain to speak of). */
export const MIN_ENCODED_VALUES = 8;

/** Trace attributes (at any depth of a trace: marker.color, error_y.array …) that hold data arrays. */
const DATA_KEYS = new Set(['x', 'y', 'z', 'customdata', 'color', 'size', 'opacity', 'array', 'arrayminus', 'base', 'width']);
/** Per trace type, the top-level data arrays stored as float32 (see above). */
const FLOAT32_KEYS: Record<string, string[]> = {
  heatmap: ['z'], contour: ['z'], histogram2d: ['z'], histogram2dcontour: ['z'], histogram: ['x', 'y'],
};

type Precision = 'exact' | 'f4';

function isTypedNumberArray(value: unknown): value is ArrayLike<number> & ArrayBufferView {
  return ArrayBuffer.isView(value) && !(value instanceof DataView) && !(value instanceof BigInt64Array) && !(value instanceof BigUint64Array);
}

function typedDtype(value: ArrayBufferView): PlotlyDtype | null {
  if (value instanceof Float64Array) return 'f8';
  if (value instanceof Float32Array) return 'f4';
  if (value instanceof Int8Array) return 'i1';
  if (value instanceof Uint8Array || value instanceof Uint8ClampedArray) return 'u1';
  if (value instanceof Int16Array) return 'i2';
  if (value instanceof Uint16Array) return 'u2';
  if (value instanceof Int32Array) return 'i4';
  if (value instanceof Uint32Array) return 'u4';
  return null;
}

/** The values as numbers (gaps as NaN), or null when an element is neither a number nor a gap. */
function numericValues(values: ArrayLike<unknown>): { numbers: number[]; gaps: boolean; integers: boolean } | null {
  const numbers = new Array<number>(values.length);
  let gaps = false;
  let integers = true;
  let seen = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) {
      numbers[i] = NaN;
      gaps = true;
    } else if (typeof v === 'number') {
      numbers[i] = v;
      seen = true;
      if (!Number.isInteger(v)) integers = false;
    } else {
      return null;
    }
  }
  return seen ? { numbers, gaps, integers } : null;
}

function chooseDtype(numbers: number[], gaps: boolean, integers: boolean, precision: Precision): PlotlyDtype {
  if (!gaps && integers) {
    let min = Infinity;
    let max = -Infinity;
    for (const v of numbers) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    for (const [dtype, lo, hi] of INTEGER_RANGES) if (min >= lo && max <= hi) return dtype;
  }
  // Integers with gaps need a float for the NaN; float32 holds those up to 2^24 exactly.
  if (integers && numbers.every((v) => Number.isNaN(v) || Math.abs(v) <= 2 ** 24)) return 'f4';
  return precision === 'f4' ? 'f4' : 'f8';
}

function pack(numbers: ArrayLike<number>, dtype: PlotlyDtype): string {
  const size = BYTES[dtype];
  const buffer = Buffer.alloc(numbers.length * size);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  for (let i = 0; i < numbers.length; i++) {
    const v = numbers[i];
    const at = i * size;
    switch (dtype) {
      case 'i1': view.setInt8(at, v); break;
      case 'u1': view.setUint8(at, v); break;
      case 'i2': view.setInt16(at, v, true); break;
      case 'u2': view.setUint16(at, v, true); break;
      case 'i4': view.setInt32(at, v, true); break;
      case 'u4': view.setUint32(at, v, true); break;
      case 'f4': view.setFloat32(at, v, true); break;
      case 'f8': view.setFloat64(at, v, true); break;
    }
  }
  return buffer.toString('base64');
}

/**
 * The typed-array spec of a numeric array or matrix (rows of equal length), or null when it
 * should stay as it is: not numeric, all gaps, ragged, shorter than MIN_ENCODED_VALUES, or no
 * shorter as a spec than as JSON. `precision: 'f4'` allows float32 for non-integers.
 */
export function encodeNumericArray(values: unknown, precision: Precision = 'exact'): TypedArraySpec | null {
  if (isTypedNumberArray(values)) {
    const dtype = typedDtype(values);
    if (dtype === null || values.length < MIN_ENCODED_VALUES) return null;
    return { dtype, bdata: pack(values, dtype) };
  }
  if (!Array.isArray(values) || values.length === 0) return null;
  const matrix = values.every((row) => Array.isArray(row) || isTypedNumberArray(row));
  let flat: unknown[];
  let shape: string | undefined;
  if (matrix) {
    const cols = (values[0] as ArrayLike<unknown>).length;
    if (cols === 0 || values.some((row) => (row as ArrayLike<unknown>).length !== cols)) return null;
    flat = [];
    for (const row of values as ArrayLike<unknown>[]) for (let j = 0; j < cols; j++) flat.push(row[j]);
    shape = `${values.length},${cols}`;
  } else {
    flat = values;
  }
  if (flat.length < MIN_ENCODED_VALUES) return null;
  const numeric = numericValues(flat);
  if (numeric === null) return null;
  const dtype = chooseDtype(numeric.numbers, numeric.gaps, numeric.integers, precision);
  const spec: TypedArraySpec = { dtype, bdata: pack(numeric.numbers, dtype), ...(shape ? { shape } : {}) };
  return JSON.stringify(spec).length < JSON.stringify(values).length ? spec : null;
}

/** Decode a spec back to numbers (a flat array, or rows for a shape "rows,cols"). For tests and tools. */
export function decodeTypedArraySpec(spec: TypedArraySpec): number[] | number[][] {
  const size = BYTES[spec.dtype];
  if (!size) throw new RangeError(`decodeTypedArraySpec: unknown dtype ${String(spec.dtype)}`);
  const bytes = Buffer.from(spec.bdata, 'base64');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength / size;
  const flat: number[] = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const at = i * size;
    switch (spec.dtype) {
      case 'i1': flat[i] = view.getInt8(at); break;
      case 'u1': flat[i] = view.getUint8(at); break;
      case 'i2': flat[i] = view.getInt16(at, true); break;
      case 'u2': flat[i] = view.getUint16(at, true); break;
      case 'i4': flat[i] = view.getInt32(at, true); break;
      case 'u4': flat[i] = view.getUint32(at, true); break;
      case 'f4': flat[i] = view.getFloat32(at, true); break;
      case 'f8': flat[i] = view.getFloat64(at, true); break;
    }
  }
  if (spec.shape === undefined) return flat;
  const [rows, cols] = spec.shape.split(',').map(Number);
  if (rows * cols !== n) throw new RangeError(`decodeTypedArraySpec: shape ${spec.shape} does not match ${n} values`);
  return Array.from({ length: rows }, (_, r) => flat.slice(r * cols, (r + 1) * cols));
}

/** True for a `{dtype, bdata}` object. */
export function isTypedArraySpec(value: unknown): value is TypedArraySpec {
  return typeof value === 'object' && value !== null && typeof (value as TypedArraySpec).bdata === 'string' && typeof (value as TypedArraySpec).dtype === 'string';
}

function encodeObject(object: Record<string, unknown>, float32Keys: string[], depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (DATA_KEYS.has(key) && (Array.isArray(value) || isTypedNumberArray(value))) {
      const precision: Precision = depth === 0 && float32Keys.includes(key) ? 'f4' : 'exact';
      out[key] = encodeNumericArray(value, precision) ?? value;
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value) && !isTypedNumberArray(value) && depth < 3) {
      out[key] = encodeObject(value as Record<string, unknown>, float32Keys, depth + 1);
    } else {
      out[key] = value;
    }
  }
  return out;
}

/**
 * A copy of a Plotly trace whose numeric data arrays (x, y, z, customdata, marker.color,
 * marker.size, error_y.array …) are typed-array specs where that is smaller; everything else as given.
 */
export function encodeTraceArrays(trace: Record<string, unknown>): Record<string, unknown> {
  const type = typeof trace.type === 'string' ? trace.type : 'scatter';
  return encodeObject(trace, FLOAT32_KEYS[type] ?? [], 0);
}
