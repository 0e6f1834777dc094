// The course library as a package: src/ compiled to dist/ (JavaScript, declarations, source maps)
// by tslab's own TypeScript 5.0.4, so the declarations are exactly what the kernel can read.
// Notebooks import it as `elbo-lab` (package.json: main and types point into dist/).
//
// Built by setup (`npm start`, `npm test`) and again by the kernel when it starts and finds a
// source newer than the build, so an edit to src/ reaches the next kernel without a command.
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const CONFIG = 'tsconfig.lib.json';
const STAMP = '.built';

function distFolder(root) {
  return path.join(root, 'dist');
}

function newestSource(root) {
  let newest = fs.statSync(path.join(root, CONFIG)).mtimeMs;
  const visit = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(full);
      else newest = Math.max(newest, fs.statSync(full).mtimeMs); // .ts, and data files the build copies (.json)
    }
  };
  visit(path.join(root, 'src'));
  return newest;
}

/** True when dist/ is missing or older than any file of src/ (or the build's configuration). */
function isStale(root) {
  try {
    return fs.statSync(path.join(distFolder(root), STAMP)).mtimeMs < newestSource(root);
  } catch {
    return true;
  }
}

function tslabCompiler(root) {
  return path.join(root, 'node_modules', '@tslab', 'typescript-for-tslab', 'bin', 'tsc');
}

/**
 * Compile src/ into dist/. The build goes to a fresh folder beside it that then replaces dist/, so
 * no file of a deleted source lingers and two kernels starting at once never see half a build.
 * Returns { ok, output, seconds }.
 */
function buildLibrary(root) {
  const started = Date.now();
  const dist = distFolder(root);
  const fresh = `${dist}.building-${process.pid}`;
  fs.rmSync(fresh, { recursive: true, force: true });
  const result = spawnSync(process.execPath, [tslabCompiler(root), '-p', path.join(root, CONFIG), '--outDir', fresh], {
    cwd: root,
    encoding: 'utf8',
  });
  const output = `${result.stdout || ''}${result.stderr || ''}${result.error ? result.error.message : ''}`.trim();
  const ok = result.status === 0;
  if (ok) {
    fs.writeFileSync(path.join(fresh, STAMP), `${new Date().toISOString()}\n`);
    fs.rmSync(dist, { recursive: true, force: true });
    try {
      fs.renameSync(fresh, dist);
    } catch (error) {
      // Another process put its (equally fresh) build in place first.
      if (!fs.existsSync(path.join(dist, STAMP))) throw error;
    }
  }
  fs.rmSync(fresh, { recursive: true, force: true });
  return { ok, output, seconds: (Date.now() - started) / 1000 };
}

/** Build when stale; returns null when the build was current, else buildLibrary's result. */
function ensureLibrary(root) {
  return isStale(root) ? buildLibrary(root) : null;
}

module.exports = { buildLibrary, ensureLibrary, isStale, distFolder, tslabCompiler, CONFIG };
