import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { createAdam, FusedAdamOptimizer } from '../../src/engine/ops/adam';
import { elementwiseModuleBytes } from '../../src/engine/kernels/wasmElementwise';
import { webAssembly } from '../../src/engine/kernels/wasmBackend';

/** Trains a small least-squares problem for `steps` with `optimizer`; returns final parameters. */
function run(optimizer: tf.Optimizer, steps: number, sizes: number[], seed: number): Float32Array[] {
  const random = new Random(seed);
  const params = sizes.map((n, i) => tf.variable(tf.tensor1d(random.normals(n)), true, `adamtest/${seed}/${i}/${Math.floor(random.uniform() * 1e9)}`));
  const targets = sizes.map((n) => tf.tensor1d(random.normals(n)));
  for (let s = 0; s < steps; s++) {
    optimizer.minimize(() => tf.addN(params.map((p, i) => tf.sum(tf.mul(tf.square(tf.sub(p, targets[i])), i + 1)))) as tf.Scalar);
  }
  const out = params.map((p) => p.dataSync().slice() as Float32Array);
  tf.dispose([...params, ...targets]);
  return out;
}

function maxRelDiff(a: Float32Array[], b: Float32Array[]): number {
  let d = 0;
  a.forEach((x, i) => x.forEach((v, j) => { d = Math.max(d, Math.abs(v - b[i][j]) / Math.max(1, Math.abs(b[i][j]))); }));
  return d;
}

describe('fused Adam', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await tf.ready();
  });

  it('the hand-assembled SIMD module is valid WebAssembly', () => {
    expect(webAssembly().validate(elementwiseModuleBytes())).toBe(true);
  });

  it('matches tf.train.adam on wasm over many steps, including sizes not a multiple of 4', () => {
    const sizes = [1, 3, 4, 17, 129, 1000];
    const start = run(tf.train.adam(0.01), 0, sizes, 5);
    // tfjs's own optimizer leaves a few tensors after dispose(); ours must leave no more.
    let before = tf.memory().numTensors;
    const reference = tf.train.adam(0.01, 0.9, 0.999, 1e-8);
    const stock = run(reference, 50, sizes, 5);
    reference.dispose();
    const stockLeft = tf.memory().numTensors - before;
    before = tf.memory().numTensors;
    const optimizer = createAdam(0.01);
    const fused = run(optimizer, 50, sizes, 5);
    // Parameters moved (so the comparison means something) and agree to float32 rounding.
    expect(maxRelDiff(fused, start)).toBeGreaterThan(0.1);
    expect(maxRelDiff(fused, stock)).toBeLessThan(2e-5);
    optimizer.dispose();
    expect(tf.memory().numTensors - before).toBe(stockLeft);
  });

  it('updates unshared variables in place, and a variable someone else still sees out of place', () => {
    const optimizer = createAdam(0.1);
    const w = tf.variable(tf.tensor1d([1, 2, 3, 4, 5]), true, `adamtest/inplace/${Math.random()}`);
    const loss = (): tf.Scalar => tf.sum(tf.square(w));
    optimizer.minimize(loss); // creates the moments
    const dataId = w.dataId;
    const before = w.dataSync().slice();
    optimizer.minimize(loss);
    expect(w.dataId).toBe(dataId); // written where it was
    const after = w.dataSync().slice();
    // Adam's first steps move each parameter by about lr toward 0.
    after.forEach((v, i) => expect(before[i] - v).toBeCloseTo(0.1, 2));
    // A reshape shares the variable's data (wasm's Reshape copies nothing): the update must not reach it.
    const snapshot = tf.reshape(w, [5, 1]);
    optimizer.minimize(loss);
    expect(w.dataId).not.toBe(dataId);
    expect(Array.from(snapshot.dataSync())).toEqual(Array.from(after));
    expect(w.dataSync()[0]).toBeLessThan(after[0]);
    tf.dispose([snapshot, w]);
    optimizer.dispose();
  });

  it('uses the stock update on a backend without the fused kernel (cpu) and gives the same result', async () => {
    await tf.setBackend('cpu');
    const sizes = [3, 17];
    const stock = run(tf.train.adam(0.01, 0.9, 0.999, 1e-8), 10, sizes, 6);
    const fused = run(createAdam(0.01), 10, sizes, 6);
    expect(maxRelDiff(fused, stock)).toBe(0);
    await tf.setBackend('wasm');
  });

  it('keeps the same optimizer state as tf.AdamOptimizer (moments and iteration count)', async () => {
    const optimizer = createAdam(0.01);
    expect(optimizer).toBeInstanceOf(tf.AdamOptimizer);
    expect(optimizer).toBeInstanceOf(FusedAdamOptimizer);
    run(optimizer, 3, [5, 6], 7);
    const weights = await optimizer.getWeights();
    // iterations + first and second moments of two variables.
    expect(weights.map((w) => w.name).filter((n) => n.endsWith('/m') || n.endsWith('/v'))).toHaveLength(4);
    expect(weights[0].tensor.dataSync()[0]).toBe(3);
    tf.dispose(weights.map((w) => w.tensor));
    optimizer.dispose();
  });

  it('rejects bad hyperparameters, naming them', () => {
    expect(() => createAdam(0)).toThrow(/createAdam: learningRate/);
    expect(() => createAdam(1e-3, 1)).toThrow(/createAdam: beta1/);
    expect(() => createAdam(1e-3, 0.9, -0.1)).toThrow(/createAdam: beta2/);
    expect(() => createAdam(1e-3, 0.9, 0.999, 0)).toThrow(/createAdam: epsilon/);
  });
});
