import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentEngine, initEngine } from '../../src/engine/backends/select';
import { activeKernelSet, restoreStockKernels } from '../../src/engine/kernels/kernelSets';
import { loadBlasAddon } from '../../src/engine/kernels/nativeBlas';

// Real modules on disk that fail the way broken optional engines fail in the field: one throws
// while loading (as tfjs-node does when libtensorflow is missing), one is not a shared object
// at all (a native addon built for another platform), one does not exist.
let dir = '';
let throwing = '';
let notAnAddon = '';
let missing = '';

let nativeAvailable = true;
try {
  loadBlasAddon();
} catch {
  nativeAvailable = false;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elbo-engine-test-'));
  throwing = path.join(dir, 'broken-tfjs-node');
  fs.mkdirSync(throwing);
  fs.writeFileSync(path.join(throwing, 'package.json'), JSON.stringify({ name: 'broken-tfjs-node', main: 'index.js' }));
  fs.writeFileSync(path.join(throwing, 'index.js'),
    "throw new Error('libtensorflow.so.2: cannot open shared object file: No such file or directory');\n");
  notAnAddon = path.join(dir, 'elbo_blas.node');
  fs.writeFileSync(notAnAddon, 'this is not an ELF, Mach-O or PE file');
  missing = path.join(dir, 'no-such-module');
});

afterAll(() => {
  restoreStockKernels();
  fs.rmSync(dir, { recursive: true, force: true });
});

function collect(): { lines: string[]; log: (line: string) => void } {
  const lines: string[] = [];
  return { lines, log: (line: string) => lines.push(line) };
}

describe('initEngine', () => {
  it('falls back past a tfjs-node that throws on load and a native addon that is not loadable', async () => {
    const out = collect();
    const info = await initEngine({
      engine: 'tfjs-node', modules: { 'tfjs-node': throwing }, nativeAddonPath: notAnAddon, log: out.log,
    });
    expect(info.name).toBe('wasm-fast');
    expect(info.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(activeKernelSet()).toBe('wasm-fast');
    expect(info.skipped.map((s) => s.name)).toEqual(['tfjs-node', 'wasm-blas']);
    expect(info.skipped[0].why).toMatch(/failed to load: libtensorflow\.so\.2/);
    expect(info.skipped[1].why.length).toBeGreaterThan(0);
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).toMatch(/^ELBO Lab engine: wasm-fast \(.*tfjs-node: .*failed to load.*wasm-blas: /);
  });

  it('reports a module that is not installed as such', async () => {
    const out = collect();
    const info = await initEngine({
      engine: 'tfjs-node-gpu', modules: { 'tfjs-node-gpu': missing, webgpu: missing, 'tfjs-node': missing }, nativeAddonPath: notAnAddon, log: out.log,
    });
    expect(info.name).toBe('wasm-fast');
    expect(info.skipped.slice(0, 3)).toEqual([
      { name: 'tfjs-node-gpu', why: 'not installed' }, { name: 'webgpu', why: `${missing} is not installed` }, { name: 'tfjs-node', why: 'not installed' },
    ]);
    expect(out.lines).toHaveLength(1);
  });

  it('skips a webgpu package that fails to load with one reason, before any driver is touched', async () => {
    // A Vulkan driver file that exists (the engine checks for one before loading Dawn); the
    // module throws on import, so nothing ever reads it.
    const saved = process.env.VK_ICD_FILENAMES;
    process.env.VK_ICD_FILENAMES = path.join(dir, 'icd.json');
    fs.writeFileSync(process.env.VK_ICD_FILENAMES, '{}');
    try {
      const out = collect();
      const info = await initEngine({ engine: 'webgpu', modules: { webgpu: throwing, 'tfjs-node': missing }, nativeAddonPath: notAnAddon, log: out.log });
      expect(info.name).toBe('wasm-fast');
      expect(info.skipped[0]).toEqual({ name: 'webgpu', why: `${throwing} failed to load: libtensorflow.so.2: cannot open shared object file: No such file or directory` });
      expect(out.lines).toHaveLength(1);
      expect(out.lines[0]).toMatch(/^ELBO Lab engine: wasm-fast \(.*; webgpu requested; webgpu: .*failed to load: /);
    } finally {
      if (saved === undefined) delete process.env.VK_ICD_FILENAMES;
      else process.env.VK_ICD_FILENAMES = saved;
    }
  });

  it('is idempotent: the same request again neither prints nor re-registers kernels', async () => {
    const out = collect();
    const options = { engine: 'wasm-fast' as const, log: out.log };
    const first = await initEngine(options);
    const kernel = tf.getKernel('BatchMatMul', 'wasm');
    const second = await initEngine(options);
    expect(second).toBe(first);
    expect(tf.getKernel('BatchMatMul', 'wasm')).toBe(kernel);
    expect(out.lines).toHaveLength(1);
    expect(currentEngine()).toBe(first);
    // A plain initEngine() (as library code might call) keeps the engine chosen explicitly.
    const saved = process.env.ELBO_LAB_ENGINE;
    delete process.env.ELBO_LAB_ENGINE;
    try {
      expect(await initEngine({ log: out.log })).toBe(first);
    } finally {
      if (saved !== undefined) process.env.ELBO_LAB_ENGINE = saved;
    }
    expect(out.lines).toHaveLength(1);
  });

  it.skipIf(!nativeAvailable)('picks the native BLAS engine when the addon loads', async () => {
    const out = collect();
    const info = await initEngine({ engine: 'wasm-blas', log: out.log });
    expect(info.name).toBe('wasm-blas');
    expect(activeKernelSet()).toBe('wasm-blas');
    expect(out.lines[0]).toMatch(/native BLAS/);
  });

  it('follows ELBO_LAB_ENGINE, ignores an unknown value with a note, and checks options.engine', async () => {
    const saved = process.env.ELBO_LAB_ENGINE;
    try {
      process.env.ELBO_LAB_ENGINE = 'cpu';
      const out = collect();
      const info = await initEngine({ log: out.log });
      expect(info.name).toBe('cpu');
      expect(tf.getBackend()).toBe('cpu');
      expect(out.lines[0]).toMatch(/forced by ELBO_LAB_ENGINE/);

      process.env.ELBO_LAB_ENGINE = 'gpu-please';
      const noted = await initEngine({ log: collect().log, modules: { 'tfjs-node-gpu': missing, webgpu: missing, 'tfjs-node': missing } });
      expect(noted.reason).toMatch(/ignored ELBO_LAB_ENGINE=gpu-please/);
    } finally {
      if (saved === undefined) delete process.env.ELBO_LAB_ENGINE;
      else process.env.ELBO_LAB_ENGINE = saved;
    }
    await expect(initEngine({ engine: 'cuda' as never })).rejects.toThrow(/initEngine: options.engine must be/);
  });

  it('prints its one line on stdout and nothing on stderr in a fresh process (the greeting is silenced)', () => {
    const root = path.resolve(__dirname, '..', '..');
    const script = (withEngine: boolean): string => [
      "require('./bench/tsRequire.js');",
      "const tf = require('@tensorflow/tfjs');",
      "const { initEngine } = require('./src/engine/backends/select.ts');",
      '(async () => {',
      withEngine ? "  await initEngine({ engine: 'cpu' });" : "  await tf.setBackend('cpu');",
      '  tf.tensor([1, 2, 3]).dispose();',
      '})();',
    ].join('\n');
    const run = (withEngine: boolean) =>
      spawnSync(process.execPath, ['-e', script(withEngine)], { cwd: root, encoding: 'utf8', env: { ...process.env, ELBO_LAB_ENGINE: '' } });
    // Control: without initEngine, tfjs greets on stderr (so this test can fail).
    expect(run(false).stderr).toMatch(/looks like you are running TensorFlow\.js in Node\.js/);
    const quiet = run(true);
    expect(quiet.status).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout.trim().split('\n')).toHaveLength(1);
    expect(quiet.stdout).toMatch(/^ELBO Lab engine: cpu \(/);
  });

  it('leaves no tensors behind', async () => {
    const before = tf.memory().numTensors;
    await initEngine({ engine: 'wasm-fast', print: false });
    await initEngine({ engine: 'cpu', print: false });
    expect(tf.memory().numTensors).toBe(before);
  });
});
