// The decoder that travels with the latent explorer: 8-bit quantisation, its bytes, and the page's
// decoding code (DECODER_RUNTIME, run here as in the browser) against the library's decoder.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { Vae } from '../../src/models/vae';
import { pathSmoothness } from '../../src/course/04-why-q-near-the-prior';
import { initEngine } from '../../src/engine/backends/select';
import { loadMnistSplit } from '../../src/data/mnist';
import { headRows } from '../../src/data/matrix';
import { trainVae } from '../../src/train/train';
import {
  DECODER_RUNTIME, decodedPixels, decoderPayload, decoderRuntime, latentGridCodes, matrixQuantisedPayload, measurePixelError, quantiseAffine, UnpackedDecoder,
} from '../../src/display/decoderPayload';

// The fastest engine here (wasm with BLAS where built): one test trains a small 2-D VAE, 0.5 s
// there against 10 s on tfjs's cpu backend.
beforeAll(async () => {
  await initEngine({ print: false });
});

/** A 2-D Bernoulli VAE whose biases are drawn too (a fresh one has zero biases, which quantise exactly). */
function vaeWithBiases(decoderHiddenSizes: number[], seed: number, inputSize = 784): Vae {
  const vae = new Vae({ inputSize, latentSize: 2, hiddenSizes: [16], decoderHiddenSizes }, new Random(seed));
  const random = new Random(seed + 1);
  const weights = vae.getWeights();
  const decoderFirst = 2 * 2; // encoder: two layers, each a weight and a bias
  for (let k = decoderFirst + 1; k < weights.length; k += 2) {
    const draws = random.normals(weights[k].length);
    weights[k] = Float32Array.from(draws, (v) => 0.5 * v - (k === weights.length - 1 ? 1 : 0));
  }
  vae.setWeights(weights);
  return vae;
}

describe('quantiseAffine', () => {
  it('per column: every value within scale/2 of offset + scale·q, each column\'s ends exact at q = 0 and 255, a constant column exact', () => {
    const rows = 50;
    const columns = 7;
    const random = new Random(3);
    const values = Float32Array.from(random.normals(rows * columns), (v, i) => v * (1 + (i % columns)) + (i % columns === 4 ? 0 : 0.1 * (i % columns)));
    for (let i = 0; i < rows; i++) values[i * columns + 4] = -0.75; // a constant column
    const code = quantiseAffine(values, rows, columns, 'column');
    expect(code.offset.length).toBe(columns);
    for (let j = 0; j < columns; j++) {
      let seenLow = false;
      let seenHigh = false;
      for (let i = 0; i < rows; i++) {
        const q = code.q[i * columns + j];
        const back = code.offset[j] + code.scale[j] * q;
        expect(Math.abs(back - values[i * columns + j])).toBeLessThanOrEqual(code.scale[j] / 2 + 1e-6 * (1 + Math.abs(values[i * columns + j])));
        if (q === 0) seenLow = true;
        if (q === 255) seenHigh = true;
      }
      if (j === 4) {
        expect(code.scale[j]).toBe(0);
        expect(code.offset[j]).toBe(-0.75);
      } else {
        expect([seenLow, seenHigh]).toEqual([true, true]);
        expect(code.scale[j]).toBeGreaterThan(0);
      }
    }
  });

  it('per matrix: one pair, so a narrow column gets the wide column\'s step', () => {
    const values = Float32Array.from([0, 100.4, 0.001, -100, 0.002, 50]); // 3 rows, 2 columns
    const matrix = quantiseAffine(values, 3, 2, 'matrix');
    const column = quantiseAffine(values, 3, 2, 'column');
    expect(matrix.offset.length).toBe(1);
    expect(matrix.scale[0]).toBeCloseTo(200.4 / 255, 6);
    expect(column.scale[0]).toBeCloseTo(0.002 / 255, 9);
    // column 0 collapses to one code in the matrix version, keeps three in the column version
    expect(new Set([matrix.q[0], matrix.q[2], matrix.q[4]]).size).toBe(1);
    expect([column.q[0], column.q[2], column.q[4]]).toEqual([0, 128, 255]);
  });

  it('names its arguments', () => {
    expect(() => quantiseAffine([1, 2, 3], 2, 2, 'column')).toThrow(/quantiseAffine: values must hold rows·columns = 4 numbers, got 3/);
    expect(() => quantiseAffine([1, NaN], 1, 2, 'column')).toThrow(/values must be finite, got NaN at row 0, column 1/);
    expect(() => quantiseAffine([1], 0, 1, 'column')).toThrow(/rows must be an integer >= 1/);
  });
});

describe('the page\'s decoding code (DECODER_RUNTIME) in Node', () => {
  it('is plain ES5 without define, module or exports (require.js pages, old browsers)', () => {
    expect(DECODER_RUNTIME).not.toMatch(/=>|\blet\b|\bconst\b|\bclass\b|`|\bdefine\b|\bmodule\b|\bexports\b|\brequire\b/);
  });

  it('with float32 weights it is the library\'s decoder: dense, ReLU, dense, sigmoid (to 1e-6 at 200 codes)', () => {
    const vae = vaeWithBiases([24, 40], 11);
    const js = decoderRuntime();
    const float: UnpackedDecoder = {
      id: 'float', latentSize: 2, outputSize: 784,
      layers: vae.decoderNetwork.layers.map((layer) => ({
        inputs: layer.weight.shape[0], outputs: layer.weight.shape[1], relu: layer.activation === 'relu',
        weights: Float32Array.from(layer.weight.dataSync()), bias: Float32Array.from(layer.bias.dataSync()),
      })),
    };
    expect(float.layers.map((l) => [l.inputs, l.outputs, l.relu])).toEqual([[2, 24, true], [24, 40, true], [40, 784, false]]);
    const codes = Float32Array.from(new Random(5).normals(400), (v) => 2 * v);
    const reference = decodedPixels(vae, codes);
    let worst = 0;
    for (let i = 0; i < 200; i++) {
      const out = js.decode(float, [codes[2 * i], codes[2 * i + 1]]);
      for (let j = 0; j < 784; j++) worst = Math.max(worst, Math.abs(out[j] - reference[i * 784 + j]));
    }
    expect(worst).toBeLessThan(1e-6);
    vae.dispose();
  });

  it('unpacks the payload to weights within half a step of the model\'s (per column), biases within half a step', () => {
    const vae = vaeWithBiases([24, 40], 12);
    const { payload } = decoderPayload(vae, { count: 3 });
    const js = decoderRuntime();
    const unpacked = js.unpack(payload);
    vae.decoderNetwork.layers.forEach((layer, k) => {
      const [inputs, outputs] = layer.weight.shape;
      const original = layer.weight.dataSync();
      const scale = js.float32sOf(payload.layers[k].columnScale);
      for (let i = 0; i < inputs; i++) {
        for (let j = 0; j < outputs; j++) {
          expect(Math.abs(unpacked.layers[k].weights[i * outputs + j] - original[i * outputs + j])).toBeLessThanOrEqual(scale[j] / 2 + 1e-6);
        }
      }
      const bias = layer.bias.dataSync();
      for (let j = 0; j < outputs; j++) expect(Math.abs(unpacked.layers[k].bias[j] - bias[j])).toBeLessThanOrEqual(payload.layers[k].biasScale / 2 + 1e-6);
      expect(payload.layers[k].biasScale).toBeGreaterThan(0);
    });
    vae.dispose();
  });

  it('computes the jump and length ratios of course 04\'s pathSmoothness', () => {
    const random = new Random(8);
    const js = decoderRuntime();
    for (const count of [2, 5, 10]) {
      const images = Float64Array.from(random.uniforms(count * 30));
      const ours = js.smoothness(images, count);
      const course = pathSmoothness(images, count);
      expect(ours.jumpRatio).toBeCloseTo(course.jumpRatio, 12);
      expect(ours.lengthRatio).toBeCloseTo(course.lengthRatio, 12);
      expect(ours.endpointDistance).toBeCloseTo(course.endpointDistance, 12);
      expect(ours.steps).toEqual(Array.from(course.steps));
    }
    // where course 04 refuses (identical endpoints), the page shows no ratio
    expect(js.smoothness([0.5, 0.5, 0.1, 0.9, 0.5, 0.5], 3).jumpRatio).toBeNaN();
  });
});

describe('decoderPayload', () => {
  it('states its error: the max over the probe grid of |page decoder − vae.decode|, recomputed here', () => {
    const vae = vaeWithBiases([32], 21);
    const before = tf.memory().numTensors;
    const decoder = decoderPayload(vae, { count: 9, extent: 3 });
    expect(tf.memory().numTensors).toBe(before);
    expect(decoder.probe).toEqual({ count: 9, extent: 3 });
    const codes = latentGridCodes(9, 3);
    expect([codes[0], codes[1], codes[2 * 80], codes[2 * 80 + 1]]).toEqual([-3, 3, 3, -3]); // top-left, bottom-right
    const reference = decodedPixels(vae, codes);
    const js = decoderRuntime();
    const unpacked = js.unpack(decoder.payload);
    let worst = 0;
    for (let i = 0; i < 81; i++) {
      const out = js.decode(unpacked, [codes[2 * i], codes[2 * i + 1]]);
      for (let j = 0; j < 784; j++) worst = Math.max(worst, Math.abs(out[j] - reference[i * 784 + j]));
    }
    expect(decoder.maxPixelError).toBe(worst);
    expect(worst).toBeGreaterThan(1e-5); // 8 bits are not exact …
    expect(worst).toBeLessThan(0.05); // … but close
    vae.dispose();
  });

  it('notices a wrong weight: one byte changed in the last layer raises the measured error', () => {
    const vae = vaeWithBiases([32], 22);
    const { payload, maxPixelError } = decoderPayload(vae, { count: 5 });
    const last = payload.layers[payload.layers.length - 1];
    const bytes = Buffer.from(last.weights, 'base64');
    for (let i = 0; i < 32; i++) bytes[i * 784 + 300] ^= 0x80; // pixel 300's column, every input
    const broken = { ...payload, layers: [...payload.layers.slice(0, -1), { ...last, weights: bytes.toString('base64') }] };
    expect(measurePixelError(vae, broken, 5, 4)).toBeGreaterThan(10 * maxPixelError);
    vae.dispose();
  });

  it('per column beats one pair per matrix on a trained decoder (2 → 64 → 784, 5 epochs on 1,000 digits)', async () => {
    // A trained last layer's columns differ in range; one pair per matrix gives every column the
    // widest one's step (the measurement in quantiseAffine's comment, on a smaller model).
    const split = loadMnistSplit({ seed: 1 });
    const run = await trainVae({ model: { latentSize: 2, hiddenSizes: [64] }, data: headRows(split.train, 1000), epochs: 5, seed: 3, evaluateInitial: false, evalCount: 100 });
    const column = decoderPayload(run.model).maxPixelError;
    const matrix = measurePixelError(run.model, matrixQuantisedPayload(run.model), 41, 4);
    expect(column).toBeLessThan(0.6 * matrix); // measured 0.0042 against 0.0098
    run.model.dispose();
  });

  it('2 → 256 → 784: 202,256 parameters in at most 300 KB (one byte each, base64, and the per-column pairs)', () => {
    const vae = new Vae({ inputSize: 784, latentSize: 2, hiddenSizes: [256] }, new Random(1));
    const decoder = decoderPayload(vae, { count: 2 });
    expect(decoder.parameters).toBe(2 * 256 + 256 + 256 * 784 + 784);
    expect(decoder.bytes).toBe(decoder.json.length);
    expect(decoder.bytes).toBeGreaterThan((4 / 3) * decoder.parameters);
    expect(decoder.bytes).toBeLessThanOrEqual(300_000);
    expect(decoder.bytes).toBeGreaterThan(280_000); // 281.3 KB: 269.7 KB of weights, 11.1 KB of column pairs
    expect(JSON.parse(decoder.json)).toEqual(decoder.payload);
    vae.dispose();
  });

  it('gives the same id to the same weights and another to other weights', () => {
    const a = vaeWithBiases([8], 31, 16);
    const b = vaeWithBiases([8], 31, 16);
    const c = vaeWithBiases([8], 32, 16);
    const id = (vae: Vae) => decoderPayload(vae, { count: 2 }).payload.id;
    expect(id(a)).toMatch(/^decoder-[0-9a-f]{16}$/);
    expect(id(b)).toBe(id(a));
    expect(id(c)).not.toBe(id(a));
    for (const vae of [a, b, c]) vae.dispose();
  });

  it('names the argument it refuses', () => {
    const random = new Random(0);
    const threeD = new Vae({ inputSize: 16, latentSize: 3, hiddenSizes: [8] }, random);
    const gaussian = new Vae({ inputSize: 16, latentSize: 2, hiddenSizes: [8], likelihood: 'gaussian' }, random);
    const gone = new Vae({ inputSize: 16, latentSize: 2, hiddenSizes: [8] }, random);
    gone.dispose();
    const fine = new Vae({ inputSize: 16, latentSize: 2, hiddenSizes: [8] }, random);
    expect(() => decoderPayload(threeD)).toThrow(/decoderPayload: vae must have a 2-D latent space \(latentSize 2\), got latentSize 3/);
    expect(() => decoderPayload(gaussian)).toThrow(/decoderPayload: vae must have a Bernoulli likelihood .* got 'gaussian'/);
    expect(() => decoderPayload(gone)).toThrow(/decoderPayload: vae has been disposed/);
    expect(() => decoderPayload({} as Vae)).toThrow(TypeError);
    expect(() => decoderPayload(null as unknown as Vae)).toThrow(/decoderPayload: vae must be an object, got null/);
    expect(() => decoderPayload(fine, { count: 1 })).toThrow(/decoderPayload: probe.count must be an integer in \[2, 1001\], got 1/);
    expect(() => decoderPayload(fine, { extent: -1 })).toThrow(/decoderPayload: probe.extent must be a finite number/);
    for (const vae of [threeD, gaussian, fine]) vae.dispose();
  });
});
