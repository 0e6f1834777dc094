/**
 * The core functions on the wasm backend: same seed ⇒ same draws, so every number must agree
 * with the cpu backend to float32 rounding, and with the closed forms as on cpu.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectClose, useBackend } from '../distributions/testUtils';
import { expectCoreAnchors, runCoreCases } from './coreCases';

describe('wasm backend', () => {
  it('agrees with the cpu backend to float32 rounding, and with the closed forms', async () => {
    await useBackend('cpu');
    const cpu = runCoreCases();
    await useBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const wasm = runCoreCases();
    expect(wasm.length).toBe(cpu.length);
    wasm.forEach((values, i) => expectClose(values, cpu[i], 2e-5, 2e-5));
    expectCoreAnchors(wasm);
    await useBackend('cpu');
  });
});
