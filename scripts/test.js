#!/usr/bin/env node
// The whole test suite (`npm test`, after setup): every step runs, then one summary line.
//   1. strict type-check of src/, test/, bench/ with the project's TypeScript;
//   2. the library built by tslab's own TypeScript 5.0.4 into dist/ (the package notebooks import);
//   3. vitest: the unit tests under test/, the kernel with the real Jupyter tools (conformance
//      suite, plain nbconvert), real nbgrader where it is at hand;
//   4. every notebook under notebooks/, executed headless with the project's kernel;
//   5. the book (build/book/, from step 4's executed copies) and the browser tests in Chromium:
//      the page checker's self-test, every book page, a live classic-Notebook session;
//   6. the JupyterLab tests (scripts/lab/tests.js) in real JupyterLab, where one is at hand (installed,
//      or ../shared/tools/jupyterlab): step 4's executed notebooks opened untrusted and trusted, with
//      and without the Plotly extension; Run All through the menu; a graded exercise; times to
//      interactive in build/jupyterlab-report.json;
//   7. size budgets (scripts/sizes.js): each executed notebook as the kernel wrote it and with its
//      pictures of charts, each HTML copy, each book page built by this run.
// `npm test -- --skip-notebooks` runs steps 1-3 (no notebooks, so no book: steps 5-7 are skipped
// too, step 7 with one line); `--only-notebooks` runs steps 4-7; `--skip-browser` leaves out steps 5
// and 6 (and the book's pages from step 7); `--skip-lab` leaves out step 6.
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { ROOT } = require('./state');
const { runNotebooks } = require('./run-notebooks');

const args = new Set(process.argv.slice(2));
const results = [];

function step(name, fn) {
  const started = Date.now();
  process.stdout.write(`\n=== ${name} ===\n`);
  let outcome;
  try {
    outcome = fn();
  } catch (error) {
    process.stdout.write(`${name}: ${error.message}\n`);
    outcome = { ok: false, passed: 0, failed: 1 };
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  results.push({ name, seconds, ...outcome });
  process.stdout.write(`=== ${name}: ${outcome.ok ? 'ok' : 'FAILED'} (${seconds} s) ===\n`);
}

function run(command, commandArgs, options = {}) {
  const result = spawnSync(command, commandArgs, { stdio: 'inherit', cwd: ROOT, ...options });
  if (result.error) throw result.error;
  return result.status === 0;
}

function typecheck() {
  const ok = run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--noEmit']);
  return { ok, passed: ok ? 1 : 0, failed: ok ? 0 : 1 };
}

/**
 * The course library as notebooks import it: src/ compiled to dist/ (the package `elbo-lab`) by
 * tslab's bundled TypeScript 5.0.4, non-strict, so every declaration is one the kernel can read
 * (kernel/library.js). Built afresh here, whatever setup found.
 */
function libraryBuild() {
  const { buildLibrary } = require('../kernel/library');
  const built = buildLibrary(ROOT);
  if (built.output) process.stdout.write(`${built.output}\n`);
  process.stdout.write(`library: ${built.ok ? 'built' : 'FAILED'} in ${built.seconds.toFixed(1)} s -> dist/\n`);
  return { ok: built.ok, passed: built.ok ? 1 : 0, failed: built.ok ? 0 : 1 };
}

function unitTests() {
  const report = path.join(ROOT, 'build', 'vitest.json');
  fs.mkdirSync(path.dirname(report), { recursive: true });
  fs.rmSync(report, { force: true });
  const vitest = path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
  const ok = run(process.execPath, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile=${report}`]);
  let passed = 0;
  let failed = ok ? 0 : 1;
  try {
    const json = JSON.parse(fs.readFileSync(report, 'utf8'));
    passed = json.numPassedTests;
    failed = json.numFailedTests + (ok ? 0 : json.numFailedTests === 0 ? 1 : 0);
  } catch {
    // no report: vitest failed before running; counted as one failure
  }
  return { ok, passed, failed };
}

function notebooks() {
  // Notebooks of this run may share seeded trained models (src/train/runCache.ts);
  // the cache is fresh for every run and removed after it.
  const runCache = path.join(ROOT, 'build', 'run-cache', String(process.pid));
  fs.rmSync(runCache, { recursive: true, force: true });
  let status;
  try {
    status = runNotebooks([], { env: { ELBO_LAB_RUN_CACHE: runCache } });
  } finally {
    fs.rmSync(runCache, { recursive: true, force: true });
  }
  let passed = 0;
  let failed = status === 0 ? 0 : 1;
  try {
    const report = JSON.parse(fs.readFileSync(path.join(ROOT, 'build', 'notebook-report.json'), 'utf8'));
    passed = report.filter((r) => r.ok).length;
    failed = report.length - passed || failed;
  } catch {
    // the runner stopped before writing its report (bad input): counted as one failure
  }
  return { ok: status === 0, passed, failed };
}

/** Build the book from the executed copies, then run the browser tests; counts come from their report. */
function bookAndBrowser() {
  const built = run(process.execPath, [path.join(ROOT, 'scripts', 'book', 'build.js')]);
  const report = path.join(ROOT, 'build', 'browser-report.json');
  fs.rmSync(report, { force: true });
  if (!built) return { ok: false, passed: 0, failed: 1 };
  const ok = run(process.execPath, [path.join(ROOT, 'scripts', 'book', 'browser-tests.js')]);
  try {
    const result = JSON.parse(fs.readFileSync(report, 'utf8'));
    return { ok: ok && result.failed === 0, passed: 1 + result.passed, failed: result.failed || (ok ? 0 : 1) };
  } catch {
    return { ok: false, passed: 1, failed: 1 }; // the browser tests stopped before writing their report
  }
}

/** The JupyterLab tests; counts come from their report (a skip, with its one line, counts nothing). */
function jupyterLab() {
  const report = path.join(ROOT, 'build', 'jupyterlab-report.json');
  fs.rmSync(report, { force: true });
  const ok = run(process.execPath, [path.join(ROOT, 'scripts', 'lab', 'tests.js')]);
  try {
    const result = JSON.parse(fs.readFileSync(report, 'utf8'));
    return { ok: ok && result.failed === 0, passed: result.passed, failed: result.failed || (ok ? 0 : 1) };
  } catch {
    return { ok: false, passed: 0, failed: 1 }; // stopped before writing its report
  }
}

/**
 * Size budgets (scripts/sizes.js): every executed notebook as the kernel wrote it and with its PNG
 * copies, every HTML copy and, when this run built it, every book page; build/size-report.json.
 */
function sizeBudgets() {
  const { runSizes } = require('./sizes');
  const pages = path.join(ROOT, 'build', 'book', 'pages.json');
  const startedAt = Date.now() - process.uptime() * 1000;
  const bookBuilt = fs.existsSync(pages) && fs.statSync(pages).mtimeMs >= startedAt; // by this run, not an older one
  const result = runSizes({ book: bookBuilt });
  return { ok: result.failed === 0, passed: result.passed, failed: result.failed };
}

if (!args.has('--only-notebooks')) {
  step('type-check (TypeScript, strict)', typecheck);
  step("library build (src/ -> dist/, tslab's TypeScript 5.0.4)", libraryBuild);
  step('unit tests (vitest)', unitTests);
}
if (!args.has('--skip-notebooks')) {
  step('notebooks (nbclient, elbo-lab kernel)', notebooks);
  if (!args.has('--skip-browser')) step('book and browser tests (Chromium, live Notebook)', bookAndBrowser);
  if (!args.has('--skip-browser') && !args.has('--skip-lab')) step('JupyterLab tests (real JupyterLab, Chromium)', jupyterLab);
  step('size budgets (notebooks, HTML copies, book pages)', sizeBudgets);
} else {
  process.stdout.write('\nsize budgets: no notebooks executed in this run (--skip-notebooks); skipped\n');
}

process.stdout.write('\n');
for (const r of results) {
  process.stdout.write(`${r.ok ? '✓' : '✗'} ${r.name}: ${r.passed} passed, ${r.failed} failed (${r.seconds} s)\n`);
}
const passed = results.reduce((sum, r) => sum + r.passed, 0);
const failed = results.reduce((sum, r) => sum + r.failed, 0);
process.stdout.write(`elbo-lab: ${passed} passed, ${failed} failed\n`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
