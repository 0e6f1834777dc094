/**
 * The `webgpu` engine: @tensorflow/tfjs-backend-webgpu running in Node on Dawn (the npm
 * package `webgpu`, which ships a prebuilt dawn.node). Dawn talks to the system's Vulkan
 * (Linux), Metal (macOS) or D3D12 (Windows) driver; without a GPU, Linux can use Chromium's
 * SwiftShader Vulkan driver (VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json),
 * a CPU fallback that is correct but slow.
 *
 * Two things Node lacks are supplied here:
 *  - `navigator.gpu` (and the GPU* globals such as GPUBufferUsage), from the `webgpu` package;
 *  - synchronous reads (`dataSync`, `arraySync`), which tfjs-backend-webgpu implements through
 *    OffscreenCanvas. ELBO Lab reads values synchronously throughout, so the backend's
 *    readSync is replaced by a staging-buffer copy whose mapping is completed by calling
 *    Dawn's event pump directly (see `captureDawnPump`).
 *
 * Types are structural (declared here): tslab compiles with lib es2022, without DOM types.
 */
import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import * as tf from '@tensorflow/tfjs';
import { projectRoot } from '../../paths';
import { processGlobal } from '../processGlobal';

/** What the engine line reports about the adapter. */
export interface WebGpuAdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software (CPU) implementation such as SwiftShader, not a GPU. */
  fallback: boolean;
}

export interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
export interface AdapterLike {
  info?: AdapterInfoLike;
  isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<AdapterLike | null>;
}
interface WebGpuModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}
interface GpuBufferLike {
  size: number;
  usage: number;
  mapState: string;
  mapAsync(mode: number): Promise<void>;
  getMappedRange(): ArrayBuffer;
  unmap(): void;
}
/** The members of tfjs-backend-webgpu's WebGPUBackend that the synchronous read uses. */
interface WebGpuBackendLike {
  device: { createBuffer(descriptor: { size: number; usage: number }): GpuBufferLike & { destroy(): void } };
  tensorMap: { get(dataId: object): { values: tf.backend_util.BackendValues | null; dtype: tf.DataType; resource: unknown; complexTensorInfos?: unknown } | undefined };
  bufferManager: { acquireBuffer(size: number, usage: number): GpuBufferLike; releaseBuffer(buffer: GpuBufferLike): void };
  commandEncoder: { copyBufferToBuffer(src: GpuBufferLike, srcOffset: number, dst: GpuBufferLike, dstOffset: number, size: number): void } | null;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  convertAndCacheOnCPU(dataId: object, values: tf.backend_util.BackendValues): tf.backend_util.BackendValues;
  readSync(dataId: object): tf.backend_util.BackendValues;
}

interface WebGpuState {
  /** The `webgpu` module specifier this process loaded (Dawn cannot be loaded twice). */
  specifier?: string;
  gpu?: GpuLike;
  adapter?: WebGpuAdapterSummary;
  /** Dawn's most recent event-pump callback (see captureDawnPump). */
  pump?: () => void;
  pumpInstalled?: boolean;
  /** True while our own call into Dawn runs (only then is a scheduled callback Dawn's). */
  capturing?: boolean;
  /** The webgpu backend instances whose readSync is already ours (see enableSyncReads). */
  syncReadBackends?: WeakSet<object>;
}

/** What this process knows of Dawn and its adapter (see processGlobal). */
function state(): WebGpuState {
  return processGlobal<WebGpuState>('elbo-lab.engine.webgpu', () => ({}));
}

/** An engine that cannot start here for an expected reason (no driver, no GPU): a skip, not a bug. */
export class WebGpuUnavailable extends Error {}

// A real dynamic import that survives compilation to CommonJS (TypeScript under
// module commonjs, tslab included, turns `import()` into `require()`, which cannot load
// the ES module `webgpu`).
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

/**
 * Imports an ES module by path. Code run inside a vm context without a dynamic-import hook
 * (vitest's module runner) cannot use import(); there Node's require(esm) (Node ≥ 20.19)
 * loads it instead.
 */
async function importEsm(file: string): Promise<unknown> {
  try {
    return await importModule(pathToFileURL(file).href);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING')) throw err;
    return require(file) as unknown;
  }
}

/**
 * dawn.node completes asynchronous work (buffer mapping among it) in Dawn's ProcessEvents,
 * which it schedules by calling the global `setImmediate` with a native callback. Keeping
 * that callback lets a synchronous read call it in a loop until its buffer is mapped.
 * Installed before Dawn first schedules anything (Dawn keeps the function it first finds); every
 * call is passed on unchanged, and only callbacks scheduled during our own calls into Dawn
 * (see `inDawn`) are kept, so a bound function from other code is never taken for Dawn's.
 */
function captureDawnPump(): void {
  const s = state();
  if (s.pumpInstalled) return;
  s.pumpInstalled = true;
  const g = globalThis as unknown as { setImmediate: (fn: (...args: unknown[]) => void, ...args: unknown[]) => unknown };
  const original = g.setImmediate;
  const wrapped = function setImmediate(fn: (...args: unknown[]) => void, ...args: unknown[]): unknown {
    if (s.capturing && typeof fn === 'function' && args.length === 0 && /\[native code\]/.test(Function.prototype.toString.call(fn))) {
      s.pump = fn as () => void;
    }
    return original(fn, ...args);
  };
  Object.assign(wrapped, original); // keeps util.promisify.custom and friends
  g.setImmediate = wrapped;
}

/** Runs a call into Dawn, keeping any event-pump callback it schedules. */
function inDawn<T>(call: () => T): T {
  const s = state();
  s.capturing = true;
  try {
    return call();
  } finally {
    s.capturing = false;
  }
}

/** Where Vulkan drivers are registered on Linux (the loader's default search, plus overrides). */
function vulkanDriverFiles(): string[] {
  const fromEnv = process.env.VK_DRIVER_FILES || process.env.VK_ICD_FILENAMES;
  if (fromEnv) return fromEnv.split(':').filter((f) => f !== '' && fs.existsSync(f));
  const dirs = ['/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/share/vulkan/icd.d'];
  if (process.env.XDG_DATA_HOME) dirs.push(path.join(process.env.XDG_DATA_HOME, 'vulkan/icd.d'));
  for (const d of (process.env.XDG_DATA_DIRS ?? '').split(':')) if (d !== '') dirs.push(path.join(d, 'vulkan/icd.d'));
  return dirs.flatMap((d) => {
    try {
      return fs.readdirSync(d).filter((f) => f.endsWith('.json')).map((f) => path.join(d, f));
    } catch {
      return [];
    }
  });
}

/** A one-line description of an adapter: vendor, device (or architecture), driver description. */
export function describeAdapter(a: WebGpuAdapterSummary): string {
  const parts = [a.vendor, a.device || a.architecture].filter((p) => p !== '');
  const head = parts.length > 0 ? parts.join(' ') : 'unnamed adapter';
  const desc = a.description !== '' && !head.includes(a.description) ? `, ${a.description}` : '';
  return `${head}${desc}${a.fallback ? '; a CPU fallback, not a GPU' : ''}`;
}

/** What the engine line needs from a WebGPU adapter, and whether it is a CPU fallback. */
export function summarizeAdapter(adapter: AdapterLike): WebGpuAdapterSummary {
  const info = adapter.info ?? {};
  const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');
  const summary = {
    vendor: text(info.vendor), architecture: text(info.architecture), device: text(info.device), description: text(info.description),
  };
  // Dawn reports isFallbackAdapter on the info (newer spec) or the adapter (older); known
  // software drivers are recognised by name in case neither says so.
  const software = /swiftshader|llvmpipe|lavapipe|softpipe|software/i.test(Object.values(summary).join(' '));
  return { ...summary, fallback: info.isFallbackAdapter === true || adapter.isFallbackAdapter === true || software };
}

function resolveDawn(specifier: string): string {
  let root = process.cwd();
  try {
    root = projectRoot();
  } catch {
    // Outside the repository (src/ used as a library): resolve from the working directory.
  }
  try {
    return require.resolve(specifier, { paths: [root, process.cwd()] });
  } catch {
    throw new WebGpuUnavailable(`${specifier} is not installed`);
  }
}

async function loadDawn(specifier: string, resolved: string): Promise<{ gpu: GpuLike; globals: Record<string, unknown> }> {
  const s = state();
  captureDawnPump();
  let mod: WebGpuModule;
  try {
    const loaded = (await importEsm(resolved)) as Partial<WebGpuModule> & { default?: Partial<WebGpuModule> };
    const m = typeof loaded.create === 'function' ? loaded : loaded.default ?? {};
    if (typeof m.create !== 'function' || typeof m.globals !== 'object' || m.globals === null) {
      throw new Error('it exports no create() and globals');
    }
    mod = m as WebGpuModule;
  } catch (err) {
    throw new Error(`${specifier} failed to load: ${firstLine(err)}`);
  }
  if (s.specifier !== undefined && s.specifier !== resolved) {
    throw new Error(`webgpu: this process already runs Dawn from ${s.specifier}; cannot switch to ${resolved}`);
  }
  s.specifier = resolved;
  s.gpu = s.gpu ?? mod.create([]);
  return { gpu: s.gpu, globals: mod.globals };
}

/** Makes `navigator.gpu` and the GPU* constants visible to tfjs-backend-webgpu, clobbering nothing. */
function exposeWebGpu(gpu: GpuLike, globals: Record<string, unknown>): void {
  const g = globalThis as unknown as Record<string, unknown>;
  for (const [name, value] of Object.entries(globals)) if (!(name in g)) g[name] = value;
  const nav = g.navigator as Record<string, unknown> | undefined;
  if (nav === undefined) {
    g.navigator = { gpu };
  } else if (nav.gpu === undefined) {
    // Node ≥ 21 has a navigator without WebGPU.
    Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, enumerable: true });
  } else if (nav.gpu !== gpu) {
    throw new Error('webgpu: globalThis.navigator.gpu is already set by something else; not replacing it');
  }
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? '').trim() || (err instanceof Error ? err.name : 'unknown error');
}

/**
 * Reads a tensor's values synchronously: copy its GPU buffer to a mappable staging buffer,
 * submit, request the mapping, and pump Dawn's events until the mapping is done. Same result
 * and caching as the backend's own asynchronous read.
 */
function makeReadSync(backend: WebGpuBackendLike, original: (dataId: object) => tf.backend_util.BackendValues): (dataId: object) => tf.backend_util.BackendValues {
  const g = globalThis as unknown as { GPUBufferUsage: { COPY_DST: number; MAP_READ: number }; GPUMapMode: { READ: number } };
  return (dataId: object) => {
    const data = backend.tensorMap.get(dataId);
    if (data === undefined) throw new Error('webgpu readSync: tensor data not found (already disposed?)');
    if (data.values != null || data.dtype === 'string' || data.dtype === 'complex64') return original.call(backend, dataId);
    const source = data.resource as GpuBufferLike | null;
    if (source === null || typeof source !== 'object' || typeof source.size !== 'number' || !('mapState' in source)) {
      return original.call(backend, dataId); // a texture: the backend's own path
    }
    const s = state();
    const staging = backend.bufferManager.acquireBuffer(source.size, g.GPUBufferUsage.COPY_DST | g.GPUBufferUsage.MAP_READ);
    backend.ensureCommandEncoderReady();
    backend.endComputePassEncoder();
    backend.commandEncoder!.copyBufferToBuffer(source, 0, staging, 0, source.size);
    backend.submitQueue();
    let failure: unknown = null;
    inDawn(() => staging.mapAsync(g.GPUMapMode.READ)).catch((err: unknown) => { failure = err; });
    // The rejection above arrives as a microtask, which cannot run inside this loop, so a
    // mapping that never completes ends the loop by the clock (a minute: a CPU fallback on
    // a busy machine can take seconds for large graphs).
    const deadline = Date.now() + 60_000;
    for (let polls = 0; staging.mapState !== 'mapped'; polls++) {
      const why = s.pump === undefined ? 'Dawn\'s event pump was not captured; use await tensor.data()'
        : staging.mapState === 'unmapped' || Date.now() > deadline ? `mapping the staging buffer failed (${failure === null ? staging.mapState : firstLine(failure)})` : null;
      if (why !== null) {
        backend.bufferManager.releaseBuffer(staging);
        throw new Error(`webgpu readSync: ${why}`);
      }
      s.pump!();
      // After a short spin, sleep between polls (up to 1 ms) rather than take a CPU core from
      // the GPU's driver threads, which on a CPU fallback do the computing.
      if (polls >= 16) Atomics.wait(SLEEPER, 0, 0, Math.min(1, 0.01 * 1.25 ** (polls - 16)));
    }
    const bytes = staging.getMappedRange().slice(0);
    staging.unmap();
    backend.bufferManager.releaseBuffer(staging);
    const values = tf.util.convertBackendValuesAndArrayBuffer(bytes, data.dtype);
    return backend.convertAndCacheOnCPU(dataId, values);
  };
}

/**
 * Makes sure Dawn's event pump is known: maps a scratch buffer inside `inDawn` until Dawn
 * schedules its pump there (it does not when a pump is already queued, hence the retries,
 * each after the queued one has run).
 */
async function findDawnPump(backend: WebGpuBackendLike): Promise<void> {
  const g = globalThis as unknown as { GPUBufferUsage: { COPY_DST: number; MAP_READ: number }; GPUMapMode: { READ: number } };
  for (let attempt = 0; attempt < 5 && state().pump === undefined; attempt++) {
    const scratch = backend.device.createBuffer({ size: 4, usage: g.GPUBufferUsage.COPY_DST | g.GPUBufferUsage.MAP_READ });
    await inDawn(() => scratch.mapAsync(g.GPUMapMode.READ));
    scratch.unmap();
    scratch.destroy();
  }
  if (state().pump === undefined) throw new Error('webgpu: Dawn\'s event pump not found (a changed `webgpu` package?); synchronous reads are impossible');
}

const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

/** Replaces the active webgpu backend's readSync (once per backend instance). */
async function enableSyncReads(): Promise<void> {
  const backend = tf.backend() as unknown as WebGpuBackendLike;
  const s = state();
  const patched = s.syncReadBackends ?? new WeakSet<object>();
  s.syncReadBackends = patched;
  if (patched.has(backend)) return;
  for (const member of ['device', 'tensorMap', 'bufferManager', 'ensureCommandEncoderReady', 'endComputePassEncoder', 'submitQueue', 'convertAndCacheOnCPU'] as const) {
    if (backend[member] === undefined) throw new Error(`webgpu: the tfjs-backend-webgpu backend has no ${member} (a changed tfjs version?)`);
  }
  await findDawnPump(backend);
  backend.readSync = makeReadSync(backend, backend.readSync);
  patched.add(backend);
}

/** Checks, on the GPU (large enough not to be forwarded to the CPU), a product and its synchronous read. */
function selfTest(): void {
  const n = 2048;
  const got = tf.tidy(() => {
    const a = tf.range(0, n, 1, 'float32');
    return tf.add(tf.mul(a, 2), 1).dataSync();
  });
  for (let i = 0; i < n; i++) {
    if (got[i] !== 2 * i + 1) throw new Error(`webgpu self-test: element ${i} is ${got[i]}, expected ${2 * i + 1}`);
  }
}

export interface StartWebGpuOptions {
  /** Module specifier or path of the `webgpu` package (tests point it at broken modules). */
  module?: string;
  /** Refuse a CPU fallback adapter (automatic selection wants a real GPU). */
  requireGpu?: boolean;
}

/**
 * Starts tfjs on WebGPU through Dawn and returns the adapter it uses. Throws
 * WebGpuUnavailable when there is no adapter (or only a fallback and `requireGpu`), and an
 * Error with the cause for anything broken.
 */
export async function startWebGpu(options: StartWebGpuOptions = {}): Promise<WebGpuAdapterSummary> {
  const specifier = options.module ?? 'webgpu';
  const resolved = resolveDawn(specifier);
  if (process.platform === 'linux' && vulkanDriverFiles().length === 0) {
    // Checked before loading Dawn, whose Vulkan loader would print warnings to stderr.
    throw new WebGpuUnavailable('no Vulkan driver registered (no ICD file under /usr/share/vulkan/icd.d or /etc/vulkan/icd.d, no VK_ICD_FILENAMES)');
  }
  const { gpu, globals } = await loadDawn(specifier, resolved);
  const s = state();
  if (s.adapter === undefined) {
    // The same request tfjs-backend-webgpu makes, so this is the adapter it will use.
    const adapter = await inDawn(() => gpu.requestAdapter({ powerPreference: 'high-performance' }));
    if (adapter === null) throw new WebGpuUnavailable('Dawn found no WebGPU adapter (no usable Vulkan, Metal or D3D12 driver)');
    s.adapter = summarizeAdapter(adapter);
  }
  const adapter = s.adapter;
  if (options.requireGpu && adapter.fallback) {
    throw new WebGpuUnavailable(`only a CPU fallback adapter, ${describeAdapter({ ...adapter, fallback: false })} (ELBO_LAB_ENGINE=webgpu uses it anyway)`);
  }
  exposeWebGpu(gpu, globals);
  // Registers the 'webgpu' backend with this tfjs (a side-effect import of the package).
  require('@tensorflow/tfjs-backend-webgpu');
  const ok = await tf.setBackend('webgpu');
  if (!ok) throw new Error("tf.setBackend('webgpu') failed");
  await tf.ready();
  await enableSyncReads();
  selfTest();
  return adapter;
}

/** The adapter the webgpu engine found in this process, or null before it started. */
export function webGpuAdapter(): WebGpuAdapterSummary | null {
  return state().adapter ?? null;
}
