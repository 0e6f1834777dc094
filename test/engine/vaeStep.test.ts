import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { activeKernelSet, installKernelSet, restoreStockKernels } from '../../src/engine/kernels/kernelSets';
import { wasmFastKernels } from '../../src/engine/kernels/wasmFast';
import { BlasAddon, loadBlasAddon, nativeBlasKernels } from '../../src/engine/kernels/nativeBlas';
import { DENSE_KERNEL } from '../../src/engine/kernels/vaeStepKernels';
import {
  bernoulliNegativeLogLikelihood, dense, gaussianKlToStandardNormalRows, gaussianSample, reluBackward,
} from '../../src/engine/ops/vaeStep';

/*
 * The fused ops against float64 references computed here from their closed forms (values and
 * gradients), on every engine variant: stock wasm kernels (the ops' composite fallback),
 * wasm-fast (fused kernels, JS loops) and wasm-blas (fused kernels, native loops) when built.
 */

let addon: BlasAddon | null = null;
try {
  addon = loadBlasAddon();
} catch (err) {
  console.log(`fused-op tests on wasm-blas skipped: ${err instanceof Error ? err.message : String(err)}`);
}

const VARIANTS: { name: string; install: () => void }[] = [
  { name: 'stock (composite ops)', install: () => restoreStockKernels() },
  { name: 'wasm-fast', install: () => installKernelSet('wasm-fast', wasmFastKernels()) },
  ...(addon === null ? [] : [{ name: 'wasm-blas', install: () => installKernelSet('wasm-blas', nativeBlasKernels(addon as BlasAddon)) }]),
];

function values(random: Random, n: number, scale = 1): Float32Array {
  return Float32Array.from(random.normals(n), (v) => v * scale);
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, relative: number, label: string): void {
  expect(actual.length, label).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i];
    const err = Math.abs(actual[i] - e) / Math.max(1, Math.abs(e));
    if (!(err <= worst)) worst = err; // NaN makes worst NaN, which fails below
  }
  expect(worst, label).toBeLessThanOrEqual(relative);
}

const softplus = (l: number): number => Math.max(l, 0) + Math.log1p(Math.exp(-Math.abs(l)));
const sigmoid = (l: number): number => (l >= 0 ? 1 / (1 + Math.exp(-l)) : Math.exp(l) / (1 + Math.exp(l)));

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});
afterAll(() => restoreStockKernels());

describe.each(VARIANTS)('fused ops on $name', ({ name, install }) => {
  it('dense: y = act(x·W + b) and its gradients for x, W, b, both activations', () => {
    install();
    const random = new Random(3);
    const [B, I, O] = [9, 13, 7];
    const xs = values(random, B * I);
    const ws = values(random, I * O, 0.5);
    const bs = values(random, O, 0.5);
    const rs = values(random, B * O); // dy of the loss Σ y ⊙ R
    for (const activation of ['linear', 'relu'] as const) {
      const x = tf.tensor2d(xs, [B, I]);
      const w = tf.tensor2d(ws, [I, O]);
      const b = tf.tensor1d(bs);
      const r = tf.tensor2d(rs, [B, O]);
      const before = tf.memory().numTensors;
      const y = dense(x, w, b, activation);
      const grads = tf.grads((xx, ww, bb) => tf.sum(tf.mul(dense(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D, activation), r)))([x, w, b]);
      // float64 reference
      const yRef = new Float64Array(B * O);
      for (let i = 0; i < B; i++) {
        for (let o = 0; o < O; o++) {
          let s = bs[o];
          for (let k = 0; k < I; k++) s += xs[i * I + k] * ws[k * O + o];
          yRef[i * O + o] = activation === 'relu' ? Math.max(s, 0) : s;
        }
      }
      const g = Float64Array.from(rs, (v, j) => (activation === 'relu' && !(yRef[j] > 0) ? 0 : v));
      const dx = new Float64Array(B * I);
      const dw = new Float64Array(I * O);
      const db = new Float64Array(O);
      for (let i = 0; i < B; i++) {
        for (let o = 0; o < O; o++) {
          db[o] += g[i * O + o];
          for (let k = 0; k < I; k++) {
            dx[i * I + k] += g[i * O + o] * ws[k * O + o];
            dw[k * O + o] += xs[i * I + k] * g[i * O + o];
          }
        }
      }
      const label = `${name} ${activation}`;
      expect(y.shape).toEqual([B, O]);
      expectClose(y.dataSync(), yRef, 1e-5, `${label} y`);
      expectClose(grads[0].dataSync(), dx, 1e-5, `${label} ∂x`);
      expectClose(grads[1].dataSync(), dw, 1e-5, `${label} ∂W`);
      expectClose(grads[2].dataSync(), db, 1e-5, `${label} ∂b`);
      tf.dispose([y, ...grads]);
      expect(tf.memory().numTensors, `${label}: no tensor left behind`).toBe(before);
      tf.dispose([x, w, b, r]);
    }
  });

  it('bernoulliNegativeLogLikelihood: rows Σ softplus(l) − x·l, extreme logits, and gradients', () => {
    install();
    const random = new Random(5);
    const [B, D] = [6, 37]; // odd width: the vector loops' tails
    const ls = values(random, B * D, 4);
    ls[0] = 60; ls[1] = -60; ls[2] = 100; ls[3] = -100; ls[4] = 0; ls[5] = 1e-6;
    const xs = Float32Array.from({ length: B * D }, (_, j) => (j % 5 === 0 ? 0.3 : random.uniform() < 0.4 ? 1 : 0));
    const cs = values(random, B); // dy of the loss Σ_r c_r · nll_r
    const logits = tf.tensor2d(ls, [B, D]);
    const x = tf.tensor2d(xs, [B, D]);
    const c = tf.tensor1d(cs);
    const before = tf.memory().numTensors;
    const nll = bernoulliNegativeLogLikelihood(logits, x);
    const [dl, dx] = tf.grads((l, xx) => tf.sum(tf.mul(bernoulliNegativeLogLikelihood(l as tf.Tensor2D, xx as tf.Tensor2D), c)))([logits, x]);
    const ref = new Float64Array(B);
    const dlRef = new Float64Array(B * D);
    const dxRef = new Float64Array(B * D);
    for (let r = 0; r < B; r++) {
      for (let j = r * D; j < (r + 1) * D; j++) {
        ref[r] += softplus(ls[j]) - xs[j] * ls[j];
        dlRef[j] = cs[r] * (sigmoid(ls[j]) - xs[j]);
        dxRef[j] = -cs[r] * ls[j];
      }
    }
    expect(nll.shape).toEqual([B]);
    expectClose(nll.dataSync(), ref, 2e-6, `${name} nll`);
    expectClose(dl.dataSync(), dlRef, 1e-6, `${name} ∂logits`);
    expectClose(dx.dataSync(), dxRef, 1e-6, `${name} ∂x`);
    tf.dispose([nll, dl, dx]);
    expect(tf.memory().numTensors).toBe(before);
    // A NaN logit makes its row NaN (a diverging run must show in the loss), not the others.
    const bad = tf.tensor2d([NaN, 0, 1, 2], [2, 2]);
    const ones = tf.ones([2, 2]) as tf.Tensor2D;
    const rows = bernoulliNegativeLogLikelihood(bad, ones).dataSync();
    expect(Number.isNaN(rows[0])).toBe(true);
    expect(rows[1]).toBeCloseTo(softplus(1) - 1 + softplus(2) - 2, 5);
    tf.dispose([bad, ones, logits, x, c]);
  });

  it('gaussianSample and gaussianKlToStandardNormalRows: values and gradients against closed forms', () => {
    install();
    const random = new Random(7);
    const [B, U] = [8, 5];
    const ms = values(random, B * U);
    const lvs = values(random, B * U, 1.5);
    const es = values(random, B * U);
    const rs = values(random, B * U); // dy of Σ z ⊙ R
    const cs = values(random, B); // dy of Σ_r c_r KL_r
    const [mean, logVariance, noise, r, c] = [
      tf.tensor2d(ms, [B, U]), tf.tensor2d(lvs, [B, U]), tf.tensor2d(es, [B, U]), tf.tensor2d(rs, [B, U]), tf.tensor1d(cs)];
    const before = tf.memory().numTensors;
    const z = gaussianSample(mean, logVariance, noise);
    const kl = gaussianKlToStandardNormalRows(mean, logVariance);
    const g = tf.grads((m, lv, e) => tf.add(
      tf.sum(tf.mul(gaussianSample(m as tf.Tensor2D, lv as tf.Tensor2D, e as tf.Tensor2D), r)),
      tf.sum(tf.mul(gaussianKlToStandardNormalRows(m as tf.Tensor2D, lv as tf.Tensor2D), c))))([mean, logVariance, noise]);
    const zRef = new Float64Array(B * U);
    const klRef = new Float64Array(B);
    const dm = new Float64Array(B * U);
    const dlv = new Float64Array(B * U);
    const de = new Float64Array(B * U);
    for (let i = 0; i < B; i++) {
      for (let j = i * U; j < (i + 1) * U; j++) {
        const sd = Math.exp(0.5 * lvs[j]);
        zRef[j] = ms[j] + sd * es[j];
        klRef[i] += 0.5 * (ms[j] * ms[j] + Math.exp(lvs[j]) - lvs[j] - 1);
        dm[j] = rs[j] + cs[i] * ms[j];
        dlv[j] = 0.5 * rs[j] * sd * es[j] + 0.5 * cs[i] * (Math.exp(lvs[j]) - 1);
        de[j] = rs[j] * sd;
      }
    }
    expectClose(z.dataSync(), zRef, 1e-6, `${name} z`);
    expectClose(kl.dataSync(), klRef, 1e-6, `${name} KL`);
    expectClose(g[0].dataSync(), dm, 1e-6, `${name} ∂μ`);
    expectClose(g[1].dataSync(), dlv, 1e-6, `${name} ∂log σ²`);
    expectClose(g[2].dataSync(), de, 1e-6, `${name} ∂ε`);
    tf.dispose([z, kl, ...g]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([mean, logVariance, noise, r, c]);
  });

  it('reluBackward keeps dy where y > 0 and lets NaN through', () => {
    install();
    const y = tf.tensor1d([2, 0, -1, NaN, 1e-30]);
    const dy = tf.tensor1d([5, 6, 7, 8, 9]);
    const out = Array.from(reluBackward(y, dy).dataSync());
    expect(out.slice(0, 3)).toEqual([5, 0, 0]);
    expect(Number.isNaN(out[3])).toBe(true);
    expect(out[4]).toBe(9);
    tf.dispose([y, dy]);
  });
});

describe('fused ops: dispatch and bad input', () => {
  it('run as one kernel on the fast engines, as stock ops otherwise, and leave no kernel behind on restore', async () => {
    const x = tf.ones([2, 3]) as tf.Tensor2D;
    const w = tf.ones([3, 4]) as tf.Tensor2D;
    const b = tf.zeros([4]) as tf.Tensor1D;
    const kernelsOf = async (): Promise<string[]> => (await tf.profile(() => dense(x, w, b, 'relu'))).kernelNames;
    installKernelSet('wasm-fast', wasmFastKernels());
    expect(await kernelsOf()).toEqual([DENSE_KERNEL]);
    restoreStockKernels();
    expect(activeKernelSet()).toBe('stock');
    expect(tf.getKernel(DENSE_KERNEL, 'wasm')).toBeUndefined();
    expect(await kernelsOf()).not.toContain(DENSE_KERNEL);
    tf.dispose([x, w, b]);
  });

  it('name the argument and the expected shape', () => {
    const x = tf.ones([2, 3]) as tf.Tensor2D;
    const w = tf.ones([4, 5]) as tf.Tensor2D;
    const b = tf.zeros([5]) as tf.Tensor1D;
    expect(() => dense(x, w, b)).toThrow(/dense: weight must have shape \[3, \?\], got \[4, 5\]/);
    expect(() => dense(x, tf.ones([3, 5]) as tf.Tensor2D, b, 'tanh' as 'relu')).toThrow(/activation must be 'linear' or 'relu'/);
    expect(() => bernoulliNegativeLogLikelihood(x, tf.ones([2, 4]) as tf.Tensor2D)).toThrow(/x must have shape \[2, 3\]/);
    expect(() => gaussianSample(x, x, tf.ones([3, 2]) as tf.Tensor2D)).toThrow(/gaussianSample: noise must have shape \[2, 3\]/);
    expect(() => gaussianKlToStandardNormalRows(x, tf.ones([2]) as unknown as tf.Tensor2D)).toThrow(/logVariance must have shape/);
    tf.dispose([x, w, b]);
  });
});
