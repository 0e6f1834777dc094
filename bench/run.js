#!/usr/bin/env node
'use strict';
/**
 * `npm run bench` (node bench/run.js): the reference VAE epoch (784-400-20 ReLU MLPs,
 * Bernoulli logits, Adam 1e-3, batch 128, the 10,000 MNIST digits) timed in every available
 * ELBO Lab engine and in PyTorch CPU, in one run; GEMM GFLOP/s per engine against the
 * machine's OpenBLAS; and the held-out ELBO of ELBO Lab and PyTorch after training the same
 * model from the same initial weights on the same batches for the same number of epochs.
 *
 * Each engine runs in its own child process (engines are process-global in tfjs). The data,
 * batch order and initial weights are written once to a temporary folder and read by every
 * child, PyTorch included. Without /usr/bin/python3 + torch the peer is skipped and said so.
 *
 * Options: --reps N (interleaved rounds, one timed epoch per fast engine each, default 5), --elbo-epochs N (default 5, 0 skips),
 *          --engines a,b,c (default: all), --quick (reps 1, elbo-epochs 1, slow engines sampled less).
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { root } = require('./tsRequire');

const ENGINES = ['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm-blas', 'wasm-fast', 'wasm', 'cpu'];
const SEED = 20240601;

function parseArgs(argv) {
  const opts = { reps: 5, elboEpochs: 5, engines: null, quick: false, child: null, dir: null, epochs: 1, elbo: false, gemm: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--reps') opts.reps = Number(next());
    else if (a === '--elbo-epochs') opts.elboEpochs = Number(next());
    else if (a === '--engines') opts.engines = next().split(',');
    else if (a === '--quick') opts.quick = true;
    else if (a === '--child') opts.child = next();
    else if (a === '--dir') opts.dir = next();
    else if (a === '--epochs') opts.epochs = Number(next());
    else if (a === '--elbo') opts.elbo = true;
    else if (a === '--gemm') opts.gemm = true;
    else if (a === '--trainer') opts.trainer = true;
    else throw new RangeError(`bench: unknown argument ${a}`);
  }
  if (opts.quick) {
    opts.reps = 1;
    opts.elboEpochs = Math.min(opts.elboEpochs, 1);
  }
  return opts;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// ---------------------------------------------------------------- data shared by all peers
function writeSharedData(dir, opts) {
  const { Random } = require('../src/random.ts');
  const { loadMnist, loadMnistSplit } = require('../src/data/mnist.ts');
  const { initialWeights } = require('./referenceVae.ts');
  const random = new Random(SEED);
  const staticBinary = (values) => {
    const out = new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = random.uniform() < values[i] ? 1 : 0;
    return out;
  };
  const all = loadMnist();
  const { train, heldOut } = loadMnistSplit({ seed: SEED });
  const weights = initialWeights(new Random(SEED + 1));
  const flat = new Float32Array(weights.reduce((n, w) => n + w.length, 0));
  let o = 0;
  for (const w of weights) { flat.set(w, o); o += w.length; }
  const orders = new Int32Array(opts.elboEpochs * train.count);
  for (let e = 0; e < opts.elboEpochs; e++) orders.set(random.permutation(train.count), e * train.count);
  const files = {
    'x.bin': staticBinary(all.values),
    'order.bin': Int32Array.from(random.permutation(all.count)),
    'train.bin': staticBinary(train.values),
    'trainOrders.bin': orders,
    'heldOut.bin': staticBinary(heldOut.values),
    'weights.bin': flat,
  };
  for (const [name, arr] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength));
  const meta = {
    seed: SEED, count: all.count, trainCount: train.count, heldOutCount: heldOut.count,
    reps: opts.reps, elboEpochs: opts.elboEpochs, elboDraws: 10, elboSeeds: opts.quick ? 1 : 3, quick: opts.quick,
  };
  fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify(meta));
  return meta;
}

function readF32(dir, name) {
  const b = fs.readFileSync(path.join(dir, name));
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}
function readI32(dir, name) {
  const b = fs.readFileSync(path.join(dir, name));
  return new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

// ---------------------------------------------------------------- child: one ELBO Lab engine
function gemmRates(tf, fast) {
  // The three products of a 784→400 dense layer at batch 128: forward, dW = Xᵀ·dY, dX = dY·Wᵀ.
  const cases = [
    { name: 'plain', a: [128, 784], b: [784, 400], tA: false, tB: false },
    { name: 'transA', a: [128, 784], b: [128, 400], tA: true, tB: false },
    { name: 'transB', a: [128, 400], b: [784, 400], tA: false, tB: true },
  ];
  const out = {};
  for (const c of cases) {
    const a = tf.randomUniform(c.a);
    const b = tf.randomUniform(c.b);
    tf.matMul(a, b, c.tA, c.tB).dispose();
    const reps = fast ? 30 : 2;
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) tf.matMul(a, b, c.tA, c.tB).dispose();
    tf.matMul(a, b, c.tA, c.tB).dataSync(); // flushes any asynchronous backend
    const seconds = (performance.now() - t0) / 1000 / reps;
    out[c.name] = (2 * 128 * 784 * 400) / seconds / 1e9;
    tf.dispose([a, b]);
  }
  return out;
}

function blasPeak() {
  let addon;
  try {
    const { loadBlasAddon } = require('../src/engine/kernels/nativeBlas.ts');
    addon = loadBlasAddon();
  } catch (err) {
    return { error: String(err.message || err).split('\n')[0] };
  }
  const n = 1024;
  const heap = new Float32Array(3 * n * n).map((_, i) => (i % 7) / 7);
  addon.gemm(heap, 1, n, n, n, false, false, 0, 0, n * n, 0, 2 * n * n, 0, 0, 0);
  const rate = (M, N, K, tA, tB, reps) => {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) addon.gemm(heap, 1, M, N, K, tA, tB, 0, 0, n * n, 0, 2 * n * n, 0, 0, 0);
    return (2 * M * N * K * reps) / ((performance.now() - t0) / 1000) / 1e9;
  };
  return {
    info: addon.info(),
    square1024: rate(n, n, n, false, false, 5),
    plain: rate(128, 400, 784, false, false, 50),
    transA: rate(784, 400, 128, true, false, 50),
    transB: rate(128, 784, 400, false, true, 50),
  };
}

async function child(engine, dir, opts) {
  const tf = require('@tensorflow/tfjs');
  const { initEngine } = require('../src/engine/backends/select.ts');
  const { Random } = require('../src/random.ts');
  const R = require('./referenceVae.ts');
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
  const info = await initEngine({ engine, print: false });
  const result = { engine, got: info.name, reason: info.reason };
  if (info.name !== engine) {
    result.skipped = info.skipped.find((k) => k.name === engine)?.why ?? 'not available';
    return result;
  }
  // WebGPU on a CPU fallback adapter (SwiftShader) is as slow as the stock engines.
  const slow = engine === 'wasm' || engine === 'cpu' || (info.adapter !== undefined && info.adapter.fallback);
  if (info.adapter !== undefined) {
    const { describeAdapter } = require('../src/engine/backends/webgpu.ts');
    Object.assign(result, { adapter: describeAdapter(info.adapter), slow });
  }
  if (opts.gemm) {
    result.gemm = gemmRates(tf, !slow);
    if (engine === 'wasm-blas') result.blas = blasPeak();
  }

  const x = readF32(dir, 'x.bin');
  const order = readI32(dir, 'order.bin');
  const random = new Random(meta.seed);
  const vae = R.createReferenceVae(R.initialWeights(new Random(meta.seed + 1)));
  R.trainEpoch(vae, x, order.subarray(0, 3 * 128), 128, random); // warm-up: kernels, caches
  const fullBatches = Math.ceil(order.length / 128);
  // Slow engines time a sample of batches and scale to the epoch (said in the report).
  let sample = fullBatches;
  if (slow) {
    const t0 = performance.now();
    R.trainEpoch(vae, x, order, 128, random, 2);
    const perBatch = (performance.now() - t0) / 2000;
    sample = Math.max(2, Math.min(fullBatches, Math.floor((meta.quick ? 4 : 12) / perBatch)));
  }
  const tensorsBefore = tf.memory().numTensors;
  result.epochSeconds = [];
  for (let r = 0; r < (slow ? 1 : opts.epochs); r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const { batches } = R.trainEpoch(vae, x, order, 128, random, sample);
    const cpu = process.cpuUsage(c0);
    result.epochSeconds.push(((performance.now() - t0) / 1000) * (fullBatches / batches));
    // CPU time of the whole process (all its threads): less sensitive to a busy machine.
    (result.epochCpuSeconds = result.epochCpuSeconds || []).push(((cpu.user + cpu.system) / 1e6) * (fullBatches / batches));
  }
  result.sampledBatches = sample < fullBatches ? sample : null;
  result.tensorLeak = tf.memory().numTensors - tensorsBefore;
  R.disposeReferenceVae(vae);

  if (opts.trainer && !slow) Object.assign(result, await trainerRun(dir, meta, opts));
  if (meta.elboEpochs > 0 && opts.elbo) {
    const train = readF32(dir, 'train.bin');
    const orders = readI32(dir, 'trainOrders.bin');
    const heldOut = readF32(dir, 'heldOut.bin');
    result.heldOutElbos = [];
    const t0 = performance.now();
    for (let k = 0; k < meta.elboSeeds; k++) {
      // Same initial weights and batches as PyTorch; the ε draws differ by seed (and by library).
      const noise = new Random(meta.seed + 1000 * (k + 1));
      const model = R.createReferenceVae(R.initialWeights(new Random(meta.seed + 1)));
      for (let e = 0; e < meta.elboEpochs; e++) {
        R.trainEpoch(model, train, orders.subarray(e * meta.trainCount, (e + 1) * meta.trainCount), 128, noise);
      }
      result.heldOutElbos.push(R.heldOutElbo(model, heldOut, meta.heldOutCount, meta.elboDraws, noise));
      R.disposeReferenceVae(model);
    }
    result.elboTrainSeconds = (performance.now() - t0) / 1000 / meta.elboSeeds;
  }
  return result;
}

/**
 * The training helper's trainer (src/train train()) on the same data: one epoch timed (after
 * a warm-up epoch), and with --elbo the held-out ELBO after the same number of epochs as the
 * reference runs (its own initialisation and batch order, so it is a second opinion, not the
 * matched comparison).
 */
async function trainerRun(dir, meta, opts) {
  let train;
  try {
    ({ trainVae: train } = require('../src/train/train.ts'));
  } catch (err) {
    return { trainerError: String(err.message || err).split('\n')[0] };
  }
  const matrix = (name, count) => ({ values: readF32(dir, name), count, features: 784 });
  const common = { model: { latentSize: 20, hiddenSizes: [400] }, batchSize: 128, learningRate: 1e-3,
    binarization: 'none', evaluateInitial: false, progress: 'none', seed: meta.seed };
  const out = {};
  if (opts.epochs > 0) {
    const x = matrix('x.bin', meta.count);
    const warm = await train({ ...common, data: x, epochs: 1, evalCount: 100 });
    warm.model.dispose();
    const t0 = performance.now();
    const timed = await train({ ...common, data: x, epochs: 1, evalCount: 100 });
    out.trainerEpochSeconds = (performance.now() - t0) / 1000;
    timed.model.dispose();
  }
  if (opts.elbo && meta.elboEpochs > 0) {
    const r = await train({ ...common, data: matrix('train.bin', meta.trainCount), heldOut: matrix('heldOut.bin', meta.heldOutCount),
      epochs: meta.elboEpochs, evalCount: meta.heldOutCount });
    out.trainerHeldOutElbo = r.final.heldOut ? r.final.heldOut.elbo : undefined;
    r.model.dispose();
  }
  return out;
}

// ---------------------------------------------------------------- parent
function runChild(args, env) {
  const run = spawnSync(args[0], args.slice(1), { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 900_000 });
  const lines = (run.stdout || '').trim().split('\n');
  try {
    return JSON.parse(lines[lines.length - 1]);
  } catch {
    const errLines = (run.stderr || '').trim().split('\n');
    const why = errLines.find((l) => /Error/.test(l)) || errLines.slice(-3).join(' | ') || (run.error && run.error.message) || `exit ${run.status}`;
    return { error: why };
  }
}

// Debian's python3-torch lives with /usr/bin/python3 (not the pyenv python3 first on PATH).
const PYTHON = process.env.ELBO_LAB_BENCH_PYTHON || '/usr/bin/python3';

function torchAvailable() {
  if (!fs.existsSync(PYTHON)) return `no ${PYTHON}`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  return probe.status === 0 ? null : `torch (with numpy) not importable by ${PYTHON}`;
}

function fmt(x, digits = 2) {
  return x === undefined || x === null || Number.isNaN(x) ? '-' : x.toFixed(digits);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.child) {
    const result = await child(opts.child, opts.dir, opts);
    process.stdout.write(`\n${JSON.stringify(result)}\n`);
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elbo-lab-bench-'));
  try {
    const meta = writeSharedData(dir, opts);
    const load = os.loadavg()[0];
    const loadNote = load > 0.5 * os.cpus().length ? ' (the machine is busy: timings are noisy, compare ratios within this run only)' : '';
    console.log(`ELBO Lab bench: reference VAE epoch (784-400-20, batch 128, Adam 1e-3, ${meta.count} MNIST digits), ` +
      `${opts.reps} timed epoch(s) per engine, medians; ${os.cpus().length} CPUs (${os.cpus()[0].model}), load average ${load.toFixed(2)} at start${loadNote}`);
    const threads = { OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS || '1', OMP_NUM_THREADS: process.env.OMP_NUM_THREADS || '1' };

    // Peers are timed in interleaved rounds (PyTorch, then each fast engine, one epoch each,
    // repeated) so that a busy machine slows them alike; the slow stock engines run once.
    const noTorch = torchAvailable();
    if (noTorch !== null) console.log(`PyTorch peer skipped: ${noTorch}`);
    const engines = opts.engines || ENGINES;
    const slowEngines = new Set(['wasm', 'cpu']);
    const byEngine = new Map(engines.map((e) => [e, { engine: e, epochSeconds: [], epochCpuSeconds: [] }]));
    let torch = noTorch === null ? { epochSeconds: [], epochCpuSeconds: [] } : null;
    const merge = (into, r) => {
      if (r.error || r.skipped) { into.error = r.error; into.skipped = r.skipped; return; }
      into.epochSeconds.push(...r.epochSeconds);
      into.epochCpuSeconds.push(...(r.epochCpuSeconds || []));
      if (r.trainerEpochSeconds !== undefined) (into.trainerEpochs = into.trainerEpochs || []).push(r.trainerEpochSeconds);
      for (const k of Object.keys(r)) if (!/^epoch(Cpu)?Seconds$/.test(k) && r[k] !== undefined) into[k] = r[k];
    };
    for (let round = 0; round < opts.reps; round++) {
      if (torch !== null && !torch.error) {
        merge(torch, runChild([PYTHON, path.join(__dirname, 'torch_vae.py'), dir, '1', '0'], threads));
      }
      for (const engine of engines) {
        const into = byEngine.get(engine);
        if (into.error || into.skipped || ((slowEngines.has(engine) || into.slow) && round > 0)) continue;
        const args = [process.execPath, __filename, '--child', engine, '--dir', dir, '--epochs', '1'];
        if (round === 0) args.push('--gemm');
        if (!slowEngines.has(engine)) args.push('--trainer');
        merge(into, runChild(args, threads));
      }
    }
    if (torch !== null && torch.error) console.log(`PyTorch peer failed: ${torch.error}`);
    // The ELBO comparison: PyTorch and the best available ELBO Lab engine, same budget.
    const best = engines.map((e) => byEngine.get(e)).find((r) => !r.error && !r.skipped && !r.slow && !slowEngines.has(r.engine));
    if (opts.elboEpochs > 0) {
      if (torch !== null && !torch.error) {
        const t = runChild([PYTHON, path.join(__dirname, 'torch_vae.py'), dir, '0', '1'], threads);
        if (t.error) console.log(`PyTorch ELBO run failed: ${t.error}`);
        else Object.assign(torch, { heldOutElbos: t.heldOutElbos, elboTrainSeconds: t.elboTrainSeconds });
      }
      if (best) {
        const r = runChild([process.execPath, __filename, '--child', best.engine, '--dir', dir, '--epochs', '0', '--elbo', '--trainer'], threads);
        if (r.error) console.log(`ELBO Lab ELBO run failed: ${r.error}`);
        else Object.assign(best, { heldOutElbos: r.heldOutElbos, elboTrainSeconds: r.elboTrainSeconds, trainerHeldOutElbo: r.trainerHeldOutElbo });
      }
    }
    const results = engines.map((e) => byEngine.get(e));

    const torchEpoch = torch && !torch.error && torch.epochSeconds.length ? median(torch.epochSeconds) : null;
    console.log('');
    const torchCpu = torchEpoch !== null && torch.epochCpuSeconds.length ? median(torch.epochCpuSeconds) : null;
    console.log('engine          epoch s   × PyTorch   CPU s   × PyTorch   GEMM GFLOP/s plain / XᵀdY / dYWᵀ   leak   note');
    if (torchEpoch !== null) {
      console.log(`${'pytorch'.padEnd(15)} ${fmt(torchEpoch, 3).padStart(7)}   ${'1.00'.padStart(9)}   ${fmt(torchCpu, 3).padStart(5)}   ${'1.00'.padStart(9)}   ` +
        `(torch ${torch.torch}, ${torch.threads} thread; ${torch.epochSeconds.length} epoch(s) timed)`);
    }
    for (const r of results) {
      if (r.error || r.skipped) {
        console.log(`${r.engine.padEnd(15)} ${'-'.padStart(7)}   ${'-'.padStart(9)}   ${'-'.padStart(5)}   ${'-'.padStart(9)}   skipped: ${r.error || r.skipped}`);
        continue;
      }
      const e = median(r.epochSeconds);
      // Ratio: median over rounds of (engine epoch / PyTorch epoch in the same round), which
      // cancels slow drifts in machine load; ratio of medians for engines timed once.
      const paired = torchEpoch !== null && r.epochSeconds.length === torch.epochSeconds.length && r.epochSeconds.length > 1;
      const ratio = torchEpoch === null ? null
        : paired ? median(r.epochSeconds.map((x, i) => x / torch.epochSeconds[i])) : e / torchEpoch;
      const c = r.epochCpuSeconds.length ? median(r.epochCpuSeconds) : null;
      const pairedCpu = torchCpu !== null && c !== null && r.epochCpuSeconds.length === torch.epochCpuSeconds.length && r.epochCpuSeconds.length > 1;
      const cpuRatio = torchCpu === null || c === null ? null
        : pairedCpu ? median(r.epochCpuSeconds.map((x, i) => x / torch.epochCpuSeconds[i])) : c / torchCpu;
      const g = r.gemm;
      const note = (r.sampledBatches ? `timed ${r.sampledBatches} batches, scaled to the epoch; ` : '') + `${r.epochSeconds.length} epoch(s) timed` +
        (r.adapter ? `; adapter ${r.adapter}` : '');
      console.log(`${r.engine.padEnd(15)} ${fmt(e, 3).padStart(7)}   ${(ratio !== null ? fmt(ratio) : '-').padStart(9)}   ${fmt(c, 3).padStart(5)}   ${(cpuRatio !== null ? fmt(cpuRatio) : '-').padStart(9)}   ` +
        `${fmt(g.plain, 1).padStart(8)} / ${fmt(g.transA, 1).padStart(6)} / ${fmt(g.transB, 1).padStart(6)}           ${String(r.tensorLeak).padStart(4)}   ${note}`);
    }
    for (const r of results) {
      if (r.trainerEpochs) {
        const t = median(r.trainerEpochs);
        console.log(`  src/train trainVae() on ${r.engine}: ${fmt(t, 3)} s per epoch${torchEpoch ? ` (${fmt(t / torchEpoch)}× PyTorch)` : ''}, incl. its per-epoch metrics`);
      } else if (r.trainerError) {
        console.log(`  src/train trainVae() on ${r.engine}: not timed (${r.trainerError})`);
      }
    }
    const blas = results.find((r) => r.blas)?.blas;
    if (blas && !blas.error) {
      console.log(`OpenBLAS peak on this machine (1 thread): ${fmt(blas.square1024, 1)} GFLOP/s at 1024³; at the layer shapes ` +
        `${fmt(blas.plain, 1)} / ${fmt(blas.transA, 1)} / ${fmt(blas.transB, 1)} GFLOP/s (${blas.info})`);
    } else {
      console.log(`OpenBLAS peak: not measured (${blas ? blas.error : 'native addon not available'})`);
    }

    if (opts.elboEpochs > 0) {
      const ours = results.find((r) => r.heldOutElbos !== undefined);
      const describe = (xs) => {
        const m = xs.reduce((a, b) => a + b, 0) / xs.length;
        const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : NaN;
        return { m, text: `${fmt(m, 2)} nats${xs.length > 1 ? ` (mean of ${xs.length} noise seeds, sd ${fmt(sd, 2)})` : ''}` };
      };
      console.log('');
      console.log(`Held-out ELBO after ${opts.elboEpochs} epoch(s) on ${meta.trainCount} digits, same initial weights and batches ` +
        `(${meta.heldOutCount} held-out digits, ${meta.elboDraws} noise draws each):`);
      const o = ours ? describe(ours.heldOutElbos) : null;
      if (o) console.log(`  ELBO Lab (${ours.engine}): ${o.text}, ${fmt(ours.elboTrainSeconds, 1)} s per training run`);
      if (ours && ours.trainerHeldOutElbo !== undefined) {
        console.log(`  ELBO Lab src/train trainVae() (${ours.engine}; own init, batches, dynamic data off): ${fmt(ours.trainerHeldOutElbo, 2)} nats`);
      }
      if (torch && torch.heldOutElbos !== undefined) {
        const t = describe(torch.heldOutElbos);
        console.log(`  PyTorch:                 ${t.text}, ${fmt(torch.elboTrainSeconds, 1)} s per training run`);
        if (o) {
          const gap = Math.abs(o.m - t.m);
          console.log(`  difference ${fmt(gap, 2)} nats: ${gap <= 1 ? 'within' : 'NOT within'} 1 nat`);
        }
      } else {
        console.log('  PyTorch: skipped');
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : String(err));
  process.exitCode = 1;
});
