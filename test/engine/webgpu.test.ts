/**
 * The webgpu engine over SwiftShader (Chromium's CPU implementation of Vulkan), the one
 * WebGPU adapter every Debian machine with `chromium` and `libvulkan1` has: selection, the
 * math core and a few training steps agreeing with the cpu backend (same seeds ⇒ same draws,
 * so only float32 GPU arithmetic differs), and no leaks. Without SwiftShader the file says
 * why in one line and skips, except under CI=true, where setup installs both packages and a
 * skip would hide a broken engine, so it fails.
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../src/engine/backends/select';
import { createAdam } from '../../src/engine/ops/adam';
import { ADAM_KERNEL } from '../../src/engine/kernels/adamStep';
import { describeAdapter, summarizeAdapter, webGpuAdapter } from '../../src/engine/backends/webgpu';
import { Random } from '../../src/random';
import { binaryPatterns } from '../../src/data/synthetic';
import { trainVae, TrainResult } from '../../src/train/train';
import { expectClose } from '../distributions/testUtils';
import { expectCoreAnchors, runCoreCases } from '../objectives/coreCases';
import { maxAbsDiff, randomTensor, referenceMatMul } from './matmulCases';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const VULKAN_LOADER_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu'];

function swiftShaderMissing(): string | null {
  if (process.platform !== 'linux') return `the SwiftShader route is Linux-only (this is ${process.platform})`;
  if (!fs.existsSync(SWIFTSHADER_ICD)) return `no ${SWIFTSHADER_ICD} (Debian package chromium)`;
  if (!VULKAN_LOADER_DIRS.some((d) => fs.existsSync(`${d}/libvulkan.so.1`))) return 'no Vulkan loader libvulkan.so.1 (Debian package libvulkan1)';
  return null;
}

const missing = swiftShaderMissing();
const inCi = process.env.CI === 'true';
if (missing === null) {
  // Read by the Vulkan loader when Dawn creates its instance, which happens after this line.
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
} else if (!inCi) {
  console.log(`webgpu engine tests skipped: ${missing}; setup installs it as root (apt-get install chromium libvulkan1)`);
}

afterAll(async () => {
  await initEngine({ engine: 'cpu', print: false });
});

describe.runIf(missing !== null && inCi)('webgpu engine prerequisites', () => {
  it('are installed on CI (setup runs as root there)', () => {
    throw new Error(`CI=true but the webgpu engine cannot be tested: ${missing}`);
  });
});

function lines(): { lines: string[]; log: (line: string) => void } {
  const out: string[] = [];
  return { lines: out, log: (line: string) => out.push(line) };
}

const data = binaryPatterns({ count: 120, features: 16, prototypes: 3, flipProbability: 0.1 }, new Random(31));
const heldOut = binaryPatterns({ count: 40, features: 16, prototypes: 3, flipProbability: 0.1, patterns: data.patterns }, new Random(32));

/** Two epochs of 3 batches each: 6 Adam steps, per-epoch metrics, IWAE on held-out data. */
function train(): Promise<TrainResult> {
  return trainVae({
    model: { latentSize: 2, hiddenSizes: [12] }, data, heldOut, epochs: 2, batchSize: 40, seed: 7,
    learningRate: 3e-3, evalCount: 40, logLikelihood: { k: 8, count: 20 }, progress: 'none',
  });
}

/** The per-epoch metrics as numbers (wall time left out). */
function metrics(result: TrainResult): number[] {
  const out: number[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'number') out.push(v);
    else if (Array.isArray(v) || (v !== null && typeof v === 'object')) for (const x of Object.values(v as object)) walk(x);
  };
  for (const { seconds, ...rest } of [result.initial!, ...result.history]) walk(rest);
  return out;
}

// Runs everywhere: the rule that decides whether automatic selection may take an adapter.
describe('WebGPU adapter summary', () => {
  it('calls an adapter a CPU fallback when Dawn says so or the driver is a known software one, and a GPU otherwise', () => {
    const gpu = summarizeAdapter({ info: { vendor: 'nvidia', architecture: 'ampere', device: '', description: 'NVIDIA GeForce RTX 3060', isFallbackAdapter: false } });
    expect(gpu).toEqual({ vendor: 'nvidia', architecture: 'ampere', device: '', description: 'NVIDIA GeForce RTX 3060', fallback: false });
    expect(describeAdapter(gpu)).toBe('nvidia ampere, NVIDIA GeForce RTX 3060');
    expect(summarizeAdapter({ info: { vendor: 'google', description: 'SwiftShader driver 5.0.0', isFallbackAdapter: true } }).fallback).toBe(true);
    expect(summarizeAdapter({ info: { vendor: 'mesa' }, isFallbackAdapter: true }).fallback).toBe(true);
    const lavapipe = summarizeAdapter({ info: { vendor: 'mesa', architecture: '', device: 'llvmpipe (LLVM 15.0.6, 256 bits)', description: '' } });
    expect(lavapipe.fallback).toBe(true);
    expect(describeAdapter(lavapipe)).toBe('mesa llvmpipe (LLVM 15.0.6, 256 bits); a CPU fallback, not a GPU');
    expect(describeAdapter(summarizeAdapter({}))).toBe('unnamed adapter');
  });
});

describe.skipIf(missing !== null)('webgpu engine over SwiftShader', () => {
  it('is not chosen automatically on a CPU fallback adapter, and says why in the line', async () => {
    const out = lines();
    const info = await initEngine({ engine: 'auto', modules: { 'tfjs-node-gpu': '/nonexistent/tfjs-node-gpu' }, log: out.log });
    expect(info.name).not.toBe('webgpu');
    expect(tf.getBackend()).not.toBe('webgpu');
    const skip = info.skipped.find((k) => k.name === 'webgpu');
    expect(skip?.why).toMatch(/^only a CPU fallback adapter, .*SwiftShader/);
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).toMatch(/webgpu: only a CPU fallback adapter/);
  });

  it('starts when forced, names the adapter and calls it a CPU fallback', async () => {
    const out = lines();
    const info = await initEngine({ engine: 'webgpu', log: out.log });
    expect(info.skipped).toEqual([]);
    expect(info.name).toBe('webgpu');
    expect(info.backend).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(info.adapter).toEqual(webGpuAdapter());
    expect(info.adapter?.fallback).toBe(true);
    expect(info.adapter?.description).toMatch(/SwiftShader/);
    expect(out.lines).toEqual([expect.stringMatching(/^ELBO Lab engine: webgpu \(WebGPU through Dawn on .*SwiftShader.*CPU fallback.*forced by options\.engine\)$/)]);
  });

  it('reads values synchronously and asynchronously alike, from the GPU (not a CPU-forwarded copy)', async () => {
    await initEngine({ engine: 'webgpu', print: false });
    const before = tf.memory().numTensors;
    const gpuBytes = (): number => (tf.memory() as tf.MemoryInfo & { numBytesInGPU: number }).numBytesInGPU;
    const bytesBefore = gpuBytes();
    const random = new Random(41);
    // Large enough that tfjs-backend-webgpu runs it on the GPU; transposed, as in backprop.
    const a = randomTensor(random, [40, 60]);
    const b = randomTensor(random, [50, 40]);
    const c = tf.matMul(a, b, true, true);
    const want = referenceMatMul(a.dataSync() as Float32Array, a.shape, b.dataSync() as Float32Array, b.shape, true, true);
    const sync = Float32Array.from(c.dataSync());
    expect(maxAbsDiff(sync, want.values)).toBeLessThan(1e-4 * 40);
    const c2 = tf.matMul(a, b, true, true);
    expect(Array.from(await c2.data())).toEqual(Array.from(sync));
    expect(c.arraySync()).toEqual(c2.arraySync());
    const ints = tf.tidy(() => tf.cast(tf.greater(c, 0), 'int32'));
    expect(Array.from(ints.dataSync())).toEqual(Array.from(sync, (v) => (v > 0 ? 1 : 0)));
    tf.dispose([a, b, c, c2, ints]);
    expect(tf.memory().numTensors).toBe(before);
    // The staging buffers of the reads went back to the pool too.
    expect(gpuBytes()).toBe(bytesBefore);
  });

  it('computes the ELBO, KL and IWAE functions (and the rest of the math core) as the cpu backend does', async () => {
    await initEngine({ engine: 'cpu', print: false });
    const cpu = runCoreCases();
    await initEngine({ engine: 'webgpu', print: false });
    const gpu = runCoreCases();
    expect(gpu.length).toBe(cpu.length);
    // float32 on a GPU: WGSL's exp/log/sqrt are a few ulps off (not correctly rounded) and
    // sums run in other orders. 1e-5 is ~100 ulps; SwiftShader measured within 3e-7 relative.
    gpu.forEach((values, i) => expectClose(values, cpu[i], 1e-5, 1e-5));
    expectCoreAnchors(gpu, 3);
  });

  it('trains a small VAE as the cpu backend does: same metrics and weights after 6 Adam steps, nothing leaked', async () => {
    await initEngine({ engine: 'cpu', print: false });
    const onCpu = await train();
    const wc = onCpu.model.getWeights();
    onCpu.model.dispose();
    await initEngine({ engine: 'webgpu', print: false });
    const before = tf.memory().numTensors;
    const onGpu = await train();
    // The optimizer takes the stock Adam path on webgpu (the fused kernel is wasm-only).
    expect(tf.getKernel(ADAM_KERNEL, 'webgpu')).toBeUndefined();
    const m = metrics(onGpu);
    const mc = metrics(onCpu);
    // Metrics not computed in an epoch are NaN on both.
    expect(m.map(Number.isNaN)).toEqual(mc.map(Number.isNaN));
    expectClose(m.filter((v) => !Number.isNaN(v)), mc.filter((v) => !Number.isNaN(v)), 1e-4, 1e-4);
    // An Adam step moves a weight by up to about the learning rate (3e-3) whatever the
    // gradient's size, so a weight with a near-zero gradient may differ by rounding alone more
    // than its value suggests; 1e-4 still catches any step made differently (SwiftShader
    // measured within 3e-8).
    const wg = onGpu.model.getWeights();
    onGpu.model.dispose();
    expect(wg.length).toBe(wc.length);
    wg.forEach((w, i) => expectClose(w, wc[i], 1e-4, 1e-4));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('runs createAdam on webgpu like tf.train.adam on cpu, after the wasm kernels were installed', async () => {
    // The wasm engines register kernels for 'wasm' only; starting one first must not change webgpu.
    await initEngine({ engine: 'wasm-fast', print: false });
    const steps = (): number[] => {
      const random = new Random(51);
      const w = tf.tidy(() => tf.variable(randomTensor(random, [30, 20])));
      const target = randomTensor(random, [30, 20]);
      const optimizer = createAdam(0.05);
      for (let s = 0; s < 5; s++) {
        optimizer.minimize(() => tf.sum(tf.square(tf.sub(tf.matMul(w, w, false, true), tf.matMul(target, target, false, true)))) as tf.Scalar);
      }
      const out = Array.from(w.dataSync());
      optimizer.dispose();
      tf.dispose([w, target]);
      return out;
    };
    const fused = steps();
    await initEngine({ engine: 'cpu', print: false });
    const cpu = steps();
    await initEngine({ engine: 'webgpu', print: false });
    const before = tf.memory().numTensors;
    const gpu = steps();
    expect(tf.memory().numTensors).toBe(before);
    expectClose(gpu, cpu, 1e-4, 1e-4);
    expectClose(fused, cpu, 1e-4, 1e-4);
  });
});
