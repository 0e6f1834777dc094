// Plotly's typed-array encoding: what is encoded decodes to the input (exactly for f8 and integer
// dtypes, to float32 rounding for f4), matrices keep their shape, gaps become NaN, and arrays that
// are not numbers (or too small to gain) are left alone.
import { describe, expect, it } from 'vitest';
import { plotlyBundle } from '../../src/display/plotly';
import {
  decodeTypedArraySpec, encodeNumericArray, encodeTraceArrays, isTypedArraySpec, MIN_ENCODED_VALUES, TypedArraySpec,
} from '../../src/display/typedArrays';

const decimals = Array.from({ length: 200 }, (_, i) => -3 + i * 0.05 + Math.sin(i) / 7);

describe('encodeNumericArray', () => {
  it('stores non-integers as f8 and decodes them exactly', () => {
    const spec = encodeNumericArray(decimals)!;
    expect(spec.dtype).toBe('f8');
    expect(spec.shape).toBeUndefined();
    expect(decodeTypedArraySpec(spec)).toEqual(decimals);
    expect(Buffer.from(spec.bdata, 'base64').length).toBe(8 * decimals.length);
  });

  it('stores little-endian bytes (the byte order Plotly reads)', () => {
    const values = [1.5, ...decimals.slice(1, 99), 1000.5];
    const bytes = Buffer.from(encodeNumericArray(values)!.bdata, 'base64');
    expect(bytes.readDoubleLE(0)).toBe(1.5);
    expect(bytes.readDoubleLE(8)).toBe(decimals[1]);
    expect(bytes.readDoubleLE(8 * 99)).toBe(1000.5);
    const ints = Buffer.from(encodeNumericArray(Array.from({ length: 100 }, (_, i) => i * 600 + 258))!.bdata, 'base64');
    expect([ints[0], ints[1]]).toEqual([2, 1]); // 258 = 0x0102 as u2, low byte first
  });

  it('stores integers in the smallest integer dtype that holds them, exactly', () => {
    const cases: Array<[number[], string]> = [
      [Array.from({ length: 50 }, (_, i) => i * 5), 'u1'],
      [Array.from({ length: 50 }, (_, i) => i - 25), 'i1'],
      [Array.from({ length: 50 }, (_, i) => i * 1000), 'u2'],
      [Array.from({ length: 50 }, (_, i) => (i - 25) * 1000), 'i2'],
      [Array.from({ length: 50 }, (_, i) => i * 100000), 'u4'],
      [Array.from({ length: 50 }, (_, i) => (i - 25) * 100000), 'i4'],
      [Array.from({ length: 50 }, (_, i) => i * 2 ** 40), 'f8'],
    ];
    for (const [values, dtype] of cases) {
      const spec = encodeNumericArray(values)!;
      expect(spec.dtype, String(values[1])).toBe(dtype);
      expect(decodeTypedArraySpec(spec)).toEqual(values);
    }
  });

  it('uses f4 only when asked, and then within float32 rounding', () => {
    const spec = encodeNumericArray(decimals, 'f4')!;
    expect(spec.dtype).toBe('f4');
    const decoded = decodeTypedArraySpec(spec) as number[];
    decoded.forEach((v, i) => {
      expect(v).toBe(Math.fround(decimals[i]));
      expect(Math.abs(v - decimals[i])).toBeLessThanOrEqual(Math.abs(decimals[i]) * 2 ** -24);
    });
    expect(encodeNumericArray(Array.from({ length: 200 }, (_, i) => i), 'f4')!.dtype).toBe('u1');
  });

  it('keeps a matrix\'s shape as "rows,cols" (row-major, as Plotly reads it)', () => {
    const matrix = Array.from({ length: 3 }, (_, r) => Array.from({ length: 5 }, (_, c) => r * 10 + c + Math.sin(r + c) / 7));
    const spec = encodeNumericArray(matrix)!;
    expect(spec.shape).toBe('3,5');
    expect(decodeTypedArraySpec(spec)).toEqual(matrix);
    expect(encodeNumericArray([[1.5, 2.5, 3.5, 4.5], [1.5, 2.5]])).toBeNull(); // ragged
  });

  it('turns gaps (null, NaN, ±Infinity: null in JSON) into NaN, which Plotly draws as gaps', () => {
    const values = decimals.slice(0, 20).map((v, i) => (i === 3 ? null : i === 4 ? NaN : i === 5 ? Infinity : v));
    const spec = encodeNumericArray(values)!;
    expect(spec.dtype).toBe('f8');
    const decoded = decodeTypedArraySpec(spec) as number[];
    decoded.forEach((v, i) => (i >= 3 && i <= 5 ? expect(v).toBeNaN() : expect(v).toBe(values[i])));
    // integers with a gap cannot use an integer dtype: float32, exact up to 2^24, else float64
    const ints = Array.from({ length: 200 }, (_, i) => (i === 7 ? null : i * 12345));
    const intSpec = encodeNumericArray(ints)!;
    expect(intSpec.dtype).toBe('f4');
    (decodeTypedArraySpec(intSpec) as number[]).forEach((v, i) => (i === 7 ? expect(v).toBeNaN() : expect(v).toBe(ints[i])));
    expect(encodeNumericArray(Array.from({ length: 200 }, (_, i) => (i === 7 ? null : i * 2 ** 30)))!.dtype).toBe('f8');
    expect(encodeNumericArray(Array.from({ length: 20 }, () => null))).toBeNull();
  });

  it('leaves strings, booleans, mixed and small arrays alone', () => {
    expect(encodeNumericArray(Array.from({ length: 20 }, (_, i) => `β=${i}`))).toBeNull();
    expect(encodeNumericArray(Array.from({ length: 20 }, (_, i) => (i % 2 ? 1.5 : 'a')))).toBeNull();
    expect(encodeNumericArray(Array.from({ length: 20 }, (_, i) => i % 2 === 0))).toBeNull();
    expect(encodeNumericArray(decimals.slice(0, MIN_ENCODED_VALUES - 1))).toBeNull();
    expect(encodeNumericArray([])).toBeNull();
  });

  it('keeps JSON where it is shorter than the encoding', () => {
    // one-digit decimals: "0.1," is 4 characters against 10.7 for an f8
    expect(encodeNumericArray(Array.from({ length: 40 }, (_, i) => (i % 9) / 10))).toBeNull();
  });

  it('encodes typed arrays in their own dtype', () => {
    const f32 = Float32Array.from(decimals);
    const spec = encodeNumericArray(f32)!;
    expect(spec.dtype).toBe('f4');
    expect(decodeTypedArraySpec(spec)).toEqual(Array.from(f32));
    expect(encodeNumericArray(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]))!.dtype).toBe('u1');
  });
});

describe('encodeTraceArrays', () => {
  it('encodes data arrays at any depth of a trace and leaves the rest as given', () => {
    const trace = {
      type: 'scatter', name: 'curve', x: decimals, y: decimals.map((v) => v * v), text: decimals.map(String),
      marker: { color: decimals, size: 4, colorscale: [[0, 'white'], [1, 'black']] },
      error_y: { type: 'data', array: decimals.map(Math.abs), visible: true },
      customdata: decimals,
    };
    const out = encodeTraceArrays(trace);
    expect(isTypedArraySpec(out.x) && isTypedArraySpec(out.y) && isTypedArraySpec(out.customdata)).toBe(true);
    expect(out.text).toBe(trace.text);
    const marker = out.marker as Record<string, unknown>;
    expect(decodeTypedArraySpec(marker.color as TypedArraySpec)).toEqual(decimals);
    expect(marker.colorscale).toEqual(trace.marker.colorscale);
    expect(decodeTypedArraySpec((out.error_y as { array: TypedArraySpec }).array)).toEqual(trace.error_y.array);
    expect(trace.x).toBe(decimals); // the input is not changed
  });

  it('stores a heatmap\'s or contour\'s z and a histogram\'s samples as f4, a heatmap\'s x and y exactly', () => {
    const z = Array.from({ length: 20 }, (_, r) => Array.from({ length: 30 }, (_, c) => Math.exp(-(r * r + c * c) / 100)));
    const x = Array.from({ length: 30 }, (_, c) => c / 7);
    for (const type of ['heatmap', 'contour']) {
      const out = encodeTraceArrays({ type, z, x });
      const spec = out.z as TypedArraySpec;
      expect(spec.dtype).toBe('f4');
      expect(spec.shape).toBe('20,30');
      expect(decodeTypedArraySpec(spec)).toEqual(z.map((row) => row.map(Math.fround)));
      expect(decodeTypedArraySpec(out.x as TypedArraySpec)).toEqual(x);
    }
    expect((encodeTraceArrays({ type: 'scatter', y: z[3] }).y as TypedArraySpec).dtype).toBe('f8');
    const samples = encodeTraceArrays({ type: 'histogram', x: decimals }).x as TypedArraySpec;
    expect(samples.dtype).toBe('f4');
    expect(decodeTypedArraySpec(samples)).toEqual(decimals.map(Math.fround));
  });
});

describe('plotlyBundle with typed arrays', () => {
  it('sends the same encoded data to JupyterLab and in the HTML copy, and keeps the text/plain summary', () => {
    const bundle = plotlyBundle({
      data: [{ type: 'scatter', x: decimals, y: decimals, name: 'long curve' }],
      layout: { title: { text: 'T' }, xaxis: { title: { text: 'a' } }, yaxis: { title: { text: 'b' } } },
    });
    const json = bundle['application/vnd.plotly.v1+json'] as { data: Array<Record<string, unknown>> };
    expect(isTypedArraySpec(json.data[0].x)).toBe(true);
    const html = bundle['text/html'] as string;
    expect(html).toContain((json.data[0].x as TypedArraySpec).bdata);
    expect(html).not.toContain(String(decimals[1]));
    expect(bundle['text/plain']).toBe('[T] Plotly chart: long curve');
  });
});
