#!/usr/bin/env node
'use strict';
/**
 * Builds the optional native-BLAS addon (native/build/Release/elbo_blas.node) for the
 * `wasm-blas` engine. Called by the setup step; safe to call any number of times:
 *  - already built, newer than its sources and loadable: prints one line, exits 0 fast;
 *  - builds with node-gyp (OpenBLAS on Linux, Accelerate on macOS) using the local Node
 *    headers when they are installed, so nothing is downloaded;
 *  - cannot build (no compiler, no BLAS headers/library, no Node headers): prints ONE line
 *    saying why and where the full log is, and exits 0, so ELBO Lab falls back to the
 *    pure-wasm engine.
 * ELBO_LAB_NATIVE=0 skips the build.
 */
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const here = __dirname;
const addon = path.join(here, 'build', 'Release', 'elbo_blas.node');
const sources = [path.join(here, 'binding.gyp'), path.join(here, 'src', 'elbo_blas.cc')];
const logFile = path.join(here, 'build.log');

function say(line) {
  process.stdout.write(`native BLAS engine: ${line}\n`);
}

function upToDate() {
  if (!fs.existsSync(addon)) return false;
  const built = fs.statSync(addon).mtimeMs;
  return sources.every((s) => fs.statSync(s).mtimeMs <= built);
}

function loads() {
  // Same thread setting as the engine uses (see src/engine/kernels/nativeBlas.ts).
  if (process.env.OPENBLAS_NUM_THREADS === undefined) process.env.OPENBLAS_NUM_THREADS = '1';
  try {
    const mod = require(addon);
    return { ok: true, info: String(mod.info()) };
  } catch (err) {
    return { ok: false, info: String((err && err.message) || err).split('\n')[0] };
  }
}

function localNodeDir() {
  // Node installs ship headers at <prefix>/include/node; with them node-gyp needs no download.
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : null;
}

function diagnose(log) {
  if (/No such file or directory: '[^']*(g\+\+|c\+\+|clang\+*|gcc|cc)'|(g\+\+|c\+\+|make|cc): (command )?not found|not found: (make|g\+\+|c\+\+|cc)|Can't find Python|gyp ERR! find Python/i.test(log)) {
    return 'no C++ toolchain (needs python3, make and a C++ compiler)';
  }
  if (/fatal error: [^:\n]*(cblas|Accelerate)[^:\n]*: No such file/.test(log)) {
    return 'no BLAS headers (Debian/Ubuntu: apt-get install libopenblas-dev; macOS: Xcode command line tools)';
  }
  if (/cannot find -l\S+|library not found for -l/.test(log)) {
    return 'no BLAS library to link (Debian/Ubuntu: apt-get install libopenblas-dev)';
  }
  if (/node_api\.h: No such file|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT/.test(log)) {
    return 'no Node.js headers available offline';
  }
  const firstError = log.split('\n').find((l) => /error/i.test(l) && !/gyp ERR!/.test(l));
  return `node-gyp failed${firstError ? `: ${firstError.trim().slice(0, 160)}` : ''}`;
}

function main() {
  if (process.env.ELBO_LAB_NATIVE === '0') {
    say('skipped (ELBO_LAB_NATIVE=0); the pure-wasm engine will be used');
    return;
  }
  if (upToDate()) {
    const probe = loads();
    if (probe.ok) {
      say(`up to date (${probe.info})`);
      return;
    }
  }
  let nodeGyp;
  try {
    nodeGyp = require.resolve('node-gyp/bin/node-gyp.js', { paths: [path.resolve(here, '..')] });
  } catch {
    say('not built: node-gyp is not installed (run npm install); the pure-wasm engine will be used');
    return;
  }
  const args = [nodeGyp, 'rebuild', `--directory=${here}`, '--jobs=2'];
  const nodeDir = localNodeDir();
  if (nodeDir !== null) args.push(`--nodedir=${nodeDir}`);
  const started = Date.now();
  const run = spawnSync(process.execPath, args, {
    cwd: here,
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, npm_config_loglevel: 'warn' },
  });
  const log = `${run.stdout || ''}\n${run.stderr || ''}\n${run.error ? String(run.error) : ''}`;
  fs.writeFileSync(logFile, log);
  if (run.status !== 0 || !fs.existsSync(addon)) {
    say(`not built: ${diagnose(log)} (log: ${path.relative(process.cwd(), logFile)}); the pure-wasm engine will be used`);
    return;
  }
  const probe = loads();
  if (!probe.ok) {
    say(`built but does not load: ${probe.info}; the pure-wasm engine will be used`);
    return;
  }
  say(`built in ${((Date.now() - started) / 1000).toFixed(1)} s (${probe.info})`);
}

try {
  main();
} catch (err) {
  say(`not built: ${String((err && err.message) || err).split('\n')[0]}; the pure-wasm engine will be used`);
}
process.exitCode = 0;
