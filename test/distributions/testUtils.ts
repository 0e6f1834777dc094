/** Helpers shared by the math-core tests (not a test file itself). */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { expect } from 'vitest';

export async function useBackend(name: 'cpu' | 'wasm'): Promise<void> {
  await tf.setBackend(name);
  await tf.ready();
  if (tf.getBackend() !== name) throw new Error(`could not select backend ${name}`);
}

/** Runs `body`, disposes whatever it returns, and asserts no tensor was left behind. */
export function expectNoLeak<T>(body: () => T): T {
  const before = tf.memory().numTensors;
  const out = body();
  tf.dispose(out as unknown as tf.TensorContainer);
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

/** Reads a tensor into a plain array and disposes it. */
export function take(t: tf.Tensor): number[] {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
}

/** |a − b| ≤ atol + rtol·|b| elementwise, with a readable failure. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol = 0): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const tol = atol + rtol * Math.abs(expected[i]);
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
      throw new Error(`index ${i}: got ${actual[i]}, expected ${expected[i]} ± ${tol}`);
    }
  }
}

/** Mean and standard error of the mean of a sample. */
export function meanAndSe(values: ArrayLike<number>): { mean: number; se: number } {
  const n = values.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i];
  const mean = s / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) ** 2;
  return { mean, se: Math.sqrt(ss / (n - 1) / n) };
}

/** A float32-exact matrix (values rounded to float32) so float64 references see the same inputs. */
export function f32(values: number[]): number[] {
  return Array.from(new Float32Array(values));
}
