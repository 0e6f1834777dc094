/**
 * A trained decoder that travels inside an output: the weights of a 2-D-latent Bernoulli VAE's
 * decoder (z → ReLU hidden layers → logits → sigmoid, models/vae.ts and dense.ts) 8-bit quantised
 * and base64-encoded, so that the reader's browser can decode any code z itself (the latent
 * explorer, latentExplorer.ts), with the error of the quantisation measured and stated.
 *
 * The decoding JavaScript is written once, DECODER_RUNTIME below (plain ES5 source): the explorer's
 * page runs that source, and Node runs the same source (`new Function`) to measure the error
 * against the library's own float32 decoder `vae.decode`, so "the browser computes what src/
 * computes" is checked end to end, not by a second implementation.
 */
import { createHash } from 'crypto';
import * as tf from '@tensorflow/tfjs';
import type { Vae } from '../models/vae';
import { checkInteger, checkNumber, checkObject } from '../checks';

/** One dense layer y = act(x W + b) of the decoder, quantised (W: [inputs, outputs] row-major). */
export interface QuantisedLayer {
  inputs: number;
  outputs: number;
  activation: 'relu' | 'linear';
  /** q_ij ∈ {0 … 255}, row-major [inputs, outputs], base64; W_ij ≈ columnOffset_j + columnScale_j · q_ij. */
  weights: string;
  /** Per output column j: offset_j and scale_j, float32 little-endian, base64. */
  columnOffset: string;
  columnScale: string;
  /** q_j ∈ {0 … 255} of the bias, base64; b_j ≈ biasOffset + biasScale · q_j (one pair per layer). */
  bias: string;
  biasOffset: number;
  biasScale: number;
}

/** What the page receives: the decoder's layers, quantised; `id` is a hash of their content. */
export interface DecoderPayload {
  format: 'elbo-lab-quantised-decoder';
  version: 1;
  /** 'decoder-' and 16 hex digits of the SHA-256 of the layers: two outputs with the same id carry the same weights. */
  id: string;
  latentSize: number;
  outputSize: number;
  /** The decoder mean: sigmoid of the last layer's logits (Bernoulli pixel probabilities). */
  output: 'sigmoid';
  layers: QuantisedLayer[];
}

/** decoderPayload's answer: the payload, its size, and the measured error of its decoded pixels. */
export interface QuantisedDecoder {
  payload: DecoderPayload;
  /** The payload as JSON, as the page carries it. */
  json: string;
  /** json.length: bytes in the notebook (ASCII). */
  bytes: number;
  /** Weights and biases of the decoder. */
  parameters: number;
  /**
   * max |decoded pixel (quantised weights, DECODER_RUNTIME) − decoded pixel (vae.decode, float32)|
   * over the probe grid: the error the explorer states.
   */
  maxPixelError: number;
  /** The probe grid: count × count codes evenly over [−extent, extent]². */
  probe: { count: number; extent: number };
}

/**
 * The decoding JavaScript of the page (ES5: no arrow functions, let, classes or template strings,
 * so any browser a notebook opens in runs it; no `define`, so require.js pages leave it alone).
 * Evaluated, it gives { bytesOf, float32sOf, unpack, decode, smoothness }:
 *   unpack(payload):   W_ij = offset_j + scale_j · q_ij and b_j = offset + scale · q_j (float32 arrays);
 *   decode(d, z, out): h_0 = z, h_{k+1} = relu(h_k W_k + b_k) for hidden layers, logits = h W + b,
 *                      out_j = 1 / (1 + exp(−logit_j)) — models/dense.ts's Mlp, then vae.decode's sigmoid;
 *   smoothness(images, count): for a path of T = count images x_0 … x_{T−1}, ‖·‖ Euclidean in pixel space,
 *                      jump ratio   = (T − 1) · max_t ‖x_{t+1} − x_t‖ / ‖x_{T−1} − x_0‖,
 *                      length ratio = Σ_t ‖x_{t+1} − x_t‖ / ‖x_{T−1} − x_0‖
 *                      (the definition of pathSmoothness in course/04-why-q-near-the-prior.ts; NaN
 *                      ratios when the endpoints decode to the same image).
 */
export const DECODER_RUNTIME = `function () {
  'use strict';
  function bytesOf(base64) {
    var text = atob(base64), bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  }
  function float32sOf(base64) {
    var bytes = bytesOf(base64), view = new DataView(bytes.buffer), out = new Float32Array(bytes.length / 4);
    for (var i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
    return out;
  }
  function unpack(payload) {
    var layers = [];
    for (var k = 0; k < payload.layers.length; k++) {
      var spec = payload.layers[k], n = spec.inputs, m = spec.outputs;
      var q = bytesOf(spec.weights), offset = float32sOf(spec.columnOffset), scale = float32sOf(spec.columnScale);
      var qBias = bytesOf(spec.bias), weights = new Float32Array(n * m), bias = new Float32Array(m);
      for (var i = 0; i < n; i++) for (var j = 0; j < m; j++) weights[i * m + j] = offset[j] + scale[j] * q[i * m + j];
      for (j = 0; j < m; j++) bias[j] = spec.biasOffset + spec.biasScale * qBias[j];
      layers.push({ inputs: n, outputs: m, relu: spec.activation === 'relu', weights: weights, bias: bias });
    }
    return { id: payload.id, latentSize: payload.latentSize, outputSize: payload.outputSize, layers: layers };
  }
  function decode(decoder, z, out) {
    var h = z, j;
    for (var k = 0; k < decoder.layers.length; k++) {
      var layer = decoder.layers[k], m = layer.outputs, w = layer.weights, y = new Float64Array(m), i, row;
      for (j = 0; j < m; j++) y[j] = layer.bias[j];
      for (i = 0; i < layer.inputs; i++) {
        var hi = h[i];
        if (hi === 0) continue;
        for (j = 0, row = i * m; j < m; j++) y[j] += hi * w[row + j];
      }
      if (layer.relu) for (j = 0; j < m; j++) if (y[j] < 0) y[j] = 0;
      h = y;
    }
    var result = out || new Float64Array(h.length);
    for (j = 0; j < h.length; j++) result[j] = 1 / (1 + Math.exp(-h[j]));
    return result;
  }
  function smoothness(images, count) {
    var size = images.length / count, steps = [], longest = 0, total = 0;
    function distance(a, b) {
      var s = 0, d;
      for (var j = 0; j < size; j++) { d = images[a * size + j] - images[b * size + j]; s += d * d; }
      return Math.sqrt(s);
    }
    for (var t = 0; t + 1 < count; t++) {
      steps.push(distance(t, t + 1));
      if (steps[t] > longest) longest = steps[t];
      total += steps[t];
    }
    var endpoint = distance(0, count - 1);
    return { steps: steps, endpointDistance: endpoint,
      jumpRatio: endpoint > 0 ? (count - 1) * longest / endpoint : NaN,
      lengthRatio: endpoint > 0 ? total / endpoint : NaN };
  }
  return { bytesOf: bytesOf, float32sOf: float32sOf, unpack: unpack, decode: decode, smoothness: smoothness };
}`;

/** A payload's layers unpacked to float32 weights (what DECODER_RUNTIME's unpack returns). */
export interface UnpackedDecoder {
  id: string;
  latentSize: number;
  outputSize: number;
  layers: { inputs: number; outputs: number; relu: boolean; weights: Float32Array; bias: Float32Array }[];
}

/** DECODER_RUNTIME evaluated in Node, typed. */
export interface DecoderRuntime {
  bytesOf(base64: string): Uint8Array;
  float32sOf(base64: string): Float32Array;
  unpack(payload: DecoderPayload): UnpackedDecoder;
  decode(decoder: UnpackedDecoder, z: ArrayLike<number>, out?: Float64Array): Float64Array;
  smoothness(images: ArrayLike<number>, count: number): { steps: number[]; endpointDistance: number; jumpRatio: number; lengthRatio: number };
}

let runtime: DecoderRuntime | null = null;

/** The page's decoding code, run here: the very source the explorer's HTML carries. */
export function decoderRuntime(): DecoderRuntime {
  if (runtime === null) runtime = new Function(`return (${DECODER_RUNTIME})();`)() as DecoderRuntime;
  return runtime;
}

/** Bytes as base64. */
function base64Of(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Float32 values as little-endian bytes in base64 (what float32sOf reads on any machine). */
export function float32Base64(values: ArrayLike<number>): string {
  const bytes = new Uint8Array(4 * values.length);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
  return base64Of(bytes);
}

/** An 8-bit affine code of a matrix: value ≈ offset[g] + scale[g] · q, g the value's group. */
export interface AffineCode {
  q: Uint8Array;
  /** float32 values, one per group. */
  offset: Float32Array;
  scale: Float32Array;
}

/**
 * 8-bit affine quantisation of a row-major [rows, columns] matrix, one (offset, scale) pair per
 * column ('column') or for the whole matrix ('matrix'):
 *   offset = min, scale = (max − min) / 255 (both rounded to float32, as stored),
 *   q = round((w − offset) / scale) ∈ {0 … 255}, so |w − (offset + scale · q)| ≤ scale / 2
 *   (plus float32 rounding); a constant group gets scale 0 and is exact.
 *
 * Why per column: a column of W feeds one output unit, and the columns of a trained decoder's
 * last layer differ widely in range (border pixels, always near 0, against the centre's).
 * Measured on the 2-D models of notebook 04 (2 → 256 → 784, its CI budget of 10 epochs on the
 * 8,000 training digits, β = 1 and β = 0): the max pixel error over 41 × 41 codes in [−4, 4]²
 * falls from 0.058 and 0.045 (one pair per matrix) to 0.021 and 0.019 (one pair per column; mean
 * error 5e-4), for 11 KB more base64 per decoder (two float32 per column). Nearly all of it is the
 * last matrix's (with it in float32 the max error is 0.001); biases kept in float32 instead of
 * 8 bits per layer would give 0.020 and 0.019, no measurable gain, so they stay 8-bit.
 */
export function quantiseAffine(values: ArrayLike<number>, rows: number, columns: number, groups: 'column' | 'matrix'): AffineCode {
  const fn = 'quantiseAffine';
  checkInteger(fn, 'rows', rows, 1);
  checkInteger(fn, 'columns', columns, 1);
  if (!values || values.length !== rows * columns) throw new RangeError(`${fn}: values must hold rows·columns = ${rows * columns} numbers, got ${values ? values.length : 0}`);
  const count = groups === 'column' ? columns : 1;
  const groupOf = (j: number): number => (groups === 'column' ? j : 0);
  const low = new Float64Array(count).fill(Infinity);
  const high = new Float64Array(count).fill(-Infinity);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < columns; j++) {
      const v = values[i * columns + j];
      if (!Number.isFinite(v)) throw new RangeError(`${fn}: values must be finite, got ${v} at row ${i}, column ${j}`);
      const g = groupOf(j);
      if (v < low[g]) low[g] = v;
      if (v > high[g]) high[g] = v;
    }
  }
  const offset = Float32Array.from(low);
  const scale = new Float32Array(count);
  for (let g = 0; g < count; g++) scale[g] = (high[g] - offset[g]) / 255;
  const q = new Uint8Array(rows * columns);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < columns; j++) {
      const g = groupOf(j);
      const code = scale[g] > 0 ? Math.round((values[i * columns + j] - offset[g]) / scale[g]) : 0;
      q[i * columns + j] = Math.min(255, Math.max(0, code));
    }
  }
  return { q, offset, scale };
}

/** Asserts a live VAE with a 2-D latent space and a Bernoulli decoder (logits → sigmoid). */
export function checkExplorableVae(fn: string, name: string, value: unknown): Vae {
  const vae = checkObject(fn, name, value) as unknown as Vae;
  if (typeof vae.decode !== 'function' || !vae.decoderNetwork || !Array.isArray(vae.decoderNetwork.layers)) {
    throw new TypeError(`${fn}: ${name} must be a models.Vae (with decode and decoderNetwork), got an object without them`);
  }
  if (vae.isDisposed) throw new RangeError(`${fn}: ${name} has been disposed`);
  if (vae.latentSize !== 2) throw new RangeError(`${fn}: ${name} must have a 2-D latent space (latentSize 2), got latentSize ${String(vae.latentSize)}`);
  if (vae.likelihood !== 'bernoulli') {
    throw new RangeError(`${fn}: ${name} must have a Bernoulli likelihood (its decoder mean is the sigmoid of the logits), got '${String(vae.likelihood)}'`);
  }
  return vae;
}

/** The quantised layers of a decoder network, with a content id. */
function quantiseDecoder(vae: Vae, groups: 'column' | 'matrix'): DecoderPayload {
  const layers = vae.decoderNetwork.layers.map((layer): QuantisedLayer => {
    const [inputs, outputs] = layer.weight.shape;
    const weight = quantiseAffine(layer.weight.dataSync(), inputs, outputs, groups);
    const bias = quantiseAffine(layer.bias.dataSync(), 1, outputs, 'matrix');
    return {
      inputs, outputs, activation: layer.activation,
      weights: base64Of(weight.q),
      // per column in the payload in both modes, so the page reads one format
      columnOffset: float32Base64(groups === 'column' ? weight.offset : new Float32Array(outputs).fill(weight.offset[0])),
      columnScale: float32Base64(groups === 'column' ? weight.scale : new Float32Array(outputs).fill(weight.scale[0])),
      bias: base64Of(bias.q), biasOffset: bias.offset[0], biasScale: bias.scale[0],
    };
  });
  const id = `decoder-${createHash('sha256').update(JSON.stringify(layers)).digest('hex').slice(0, 16)}`;
  return { format: 'elbo-lab-quantised-decoder', version: 1, id, latentSize: vae.latentSize, outputSize: vae.inputSize, output: 'sigmoid', layers };
}

/** count × count codes evenly over [−extent, extent]², row by row from the top (z₂ descending), float32. */
export function latentGridCodes(count: number, extent: number): Float32Array {
  const codes = new Float32Array(2 * count * count);
  for (let r = 0; r < count; r++) {
    for (let c = 0; c < count; c++) {
      codes[2 * (r * count + c)] = -extent + (2 * extent * c) / (count - 1);
      codes[2 * (r * count + c) + 1] = extent - (2 * extent * r) / (count - 1);
    }
  }
  return codes;
}

/**
 * vae.decode at 2-D codes [n·2], as one Float32Array [n·D]. The values are read after tf.tidy,
 * not returned from it: tidy walks whatever its function returns looking for tensors, key by key,
 * which for 1,681 decoded digits (1.3 million numbers) took 2 s against 30 ms for the decoding.
 */
export function decodedPixels(vae: Vae, codes: Float32Array): Float32Array {
  const decoded = tf.tidy(() => vae.decode(tf.tensor2d(codes, [codes.length / 2, 2])));
  const values = decoded.dataSync() as Float32Array;
  decoded.dispose();
  return values;
}

/**
 * max_z max_j |runtime decode(payload, z)_j − vae.decode(z)_j| over the probe grid: the page's
 * code on the quantised weights against the library's float32 decoder, at the same float32 codes.
 */
export function measurePixelError(vae: Vae, payload: DecoderPayload, count: number, extent: number): number {
  const codes = latentGridCodes(count, extent);
  const n = count * count;
  const reference = decodedPixels(vae, codes);
  const js = decoderRuntime();
  const decoder = js.unpack(payload);
  const size = payload.outputSize;
  const out = new Float64Array(size);
  let worst = 0;
  for (let i = 0; i < n; i++) {
    js.decode(decoder, [codes[2 * i], codes[2 * i + 1]], out);
    for (let j = 0; j < size; j++) worst = Math.max(worst, Math.abs(out[j] - reference[i * size + j]));
  }
  return worst;
}

// Measured errors by payload id and probe: the same decoder shown twice is measured once.
const measured = new Map<string, number>();

/** The probe grid decoderPayload uses unless told otherwise: 41 × 41 codes over [−4, 4]². */
export const DEFAULT_PROBE = { count: 41, extent: 4 } as const;

/**
 * The decoder of `vae` (latentSize 2, Bernoulli likelihood, any hidden sizes) as a compact
 * payload: every weight matrix 8-bit quantised per output column, every bias 8-bit per layer,
 * base64 (one byte per parameter, 4/3 in base64: 2 → 256 → 784 has 202,256 parameters, about
 * 281 KB with the per-column offsets and scales), and the measured max pixel error of the page's
 * decoding against vae.decode over `probe` (default 41 × 41 codes over [−4, 4]²).
 *
 * Why the weights are not gzip-compressed as the Plotly library output is: measured on 2-D
 * decoders trained as notebooks 04 and 05 train them (2 → 256 → 784, 10 epochs on 8,000 digits,
 * β ∈ {0, 0.25, 1, 4, 16}), gzip -9 of the 210,576 payload bytes saves 2.1–5.0 % (200–206 KB): the
 * 8-bit codes of a trained column fill its 256 levels nearly evenly (7.6–7.8 bits of entropy per
 * byte in the last layer), so compression is not worth an asynchronous unpacking step.
 */
export function decoderPayload(vae: Vae, probe: { count?: number; extent?: number } = {}): QuantisedDecoder {
  const fn = 'decoderPayload';
  checkExplorableVae(fn, 'vae', vae);
  checkObject(fn, 'probe', probe);
  const count = checkInteger(fn, 'probe.count', probe.count ?? DEFAULT_PROBE.count, 2, 1001);
  const extent = checkNumber(fn, 'probe.extent', probe.extent ?? DEFAULT_PROBE.extent, Number.MIN_VALUE, 1e6);
  const payload = quantiseDecoder(vae, 'column');
  const key = `${payload.id} ${count} ${extent}`;
  let maxPixelError = measured.get(key);
  if (maxPixelError === undefined) {
    maxPixelError = measurePixelError(vae, payload, count, extent);
    measured.set(key, maxPixelError);
  }
  const json = JSON.stringify(payload);
  const parameters = payload.layers.reduce((s, l) => s + l.inputs * l.outputs + l.outputs, 0);
  return { payload, json, bytes: json.length, parameters, maxPixelError, probe: { count, extent } };
}

/** The payload with one (offset, scale) pair per matrix instead of per column: for the measurement in quantiseAffine's comment and its test. */
export function matrixQuantisedPayload(vae: Vae): DecoderPayload {
  checkExplorableVae('matrixQuantisedPayload', 'vae', vae);
  return quantiseDecoder(vae, 'matrix');
}
