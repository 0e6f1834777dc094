#!/usr/bin/env node
// `npm run mutation`: do the tests and the notebooks' claims notice when the mathematics breaks?
// (Slow; not part of npm test.)
//   1. StrykerJS over the mathematical layers (stryker.config.mjs): every mutant of distributions/,
//      objectives/, exact/ and the training objective against those layers' tests, one run per
//      layer (its report kept as build/mutation/report-LAYER.json, incremental: a rerun re-tests
//      only what changed); prints the score per layer and in all.
//   2. Notebook breakages: a fixed list of one-line breakages of src/ (a wrong sign, a missing ½,
//      σ² for σ, a mean for a sum, a dropped trace term, β on the wrong term, …), each applied to a
//      copy of the working tree and run through the notebook that must catch it: the notebook must
//      fail (a claim or an exercise test throws). Prints the table, writes build/mutation/notebooks.json.
// `--stryker` or `--notebooks` runs one part; `--layer NAME` one layer of part 1, `--unit NAME` one unit; `--summary` prints
// part 1's table from the kept reports; `--force` re-tests every mutant of the units run (an
// incremental run does not try new tests on old survivors); `--survivors` re-tests only the lines
// of the kept reports' survivors (after tests were added for them) and merges the statuses back;
// `--own-tests` runs a one-file unit against its own test file only (a fast first pass for a file
// every test covers; `--survivors` then re-tests its survivors against all); `--only ID[,ID]` limits part 2.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');

/** One-line breakages: `find` must occur exactly once in `file`; `notebook` must then fail. */
const BREAKAGES = [
  { id: 'kl-missing-half', what: 'KL(q ‖ N(0, I)) without its ½ (the engine\'s wasm kernel, which every notebook\'s KL term runs through on CI\'s wasm engines)',
    file: 'src/engine/kernels/vaeStepKernels.ts', find: 'h[o0 + r] = 0.5 * total;', replace: 'h[o0 + r] = total;', notebook: '00-start-here' },
  { id: 'sigma-squared-for-sigma', what: 'reparameterisation with σ² where σ belongs (exp(log σ²) instead of exp(½ log σ²))',
    file: 'src/distributions/gaussian.ts', find: 'tf.add(q.mean, tf.mul(tf.exp(tf.mul(q.logVariance, 0.5)), noise))', replace: 'tf.add(q.mean, tf.mul(tf.exp(q.logVariance), noise))', notebook: '01-the-elbo' },
  { id: 'log-density-without-log-variance', what: 'log q(z|x) without its −½ log σ² term',
    file: 'src/distributions/gaussian.ts', find: 'tf.mul(tf.add(tf.add(standardized, q.logVariance), LOG_2PI), -0.5)', replace: 'tf.mul(tf.add(standardized, LOG_2PI), -0.5)', notebook: '01-the-elbo' },
  { id: 'log-density-mean-for-sum', what: 'log q(z|x) as a mean over latent dimensions where the sum belongs',
    file: 'src/distributions/gaussian.ts', find: 'return tf.sum(perDimension, 1) as tf.Tensor1D;', replace: 'return tf.mean(perDimension, 1) as tf.Tensor1D;', notebook: '01-the-elbo' },
  { id: 'bernoulli-sign', what: 'Bernoulli log-likelihood with the wrong sign',
    file: 'src/distributions/bernoulli.ts', find: 'return tf.tidy(() => tf.neg(bernoulliNegativeLogLikelihood(logits, x)) as tf.Tensor1D);', replace: 'return tf.tidy(() => bernoulliNegativeLogLikelihood(logits, x) as tf.Tensor1D);', notebook: '01-the-elbo' },
  { id: 'woodbury-log-det-sign', what: 'exact log p(x) of the linear-Gaussian model (Woodbury) with + ½ log det C where − ½ log det C belongs',
    file: 'src/exact/linearGaussian.ts', find: 'return -0.5 * (d * LOG_2PI + logDet + quad);', replace: 'return -0.5 * (d * LOG_2PI - logDet + quad);', notebook: '02-derivation' },
  { id: 'log-mean-without-1-over-k', what: 'L_k = log (1/k) Σ w without the 1/k',
    file: 'src/objectives/monteCarlo.ts', find: 'return max + Math.log(s / m);', replace: 'return max + Math.log(s);', notebook: '03-the-gap' },
  { id: 'beta-on-reconstruction', what: 'β weighting the reconstruction term instead of the KL term',
    file: 'src/train/objective.ts', find: 'return tf.sub(tf.mul(klTerm, beta), reconstructionBatchMean) as tf.Scalar;', replace: 'return tf.sub(klTerm, tf.mul(reconstructionBatchMean, beta)) as tf.Scalar;', notebook: '05-the-balance' },
  { id: 'reconstruction-without-trace', what: 'E_q[log p(x|z)] of the linear-Gaussian model without q\'s spread (the trace term Σ_j s_j² ‖W_j‖²)',
    file: 'src/exact/linearGaussian.ts', find: '(sq + trace) / this.variance);', replace: 'sq / this.variance);', notebook: '06-summary' },
  { id: 'posterior-covariance-without-sigma2', what: 'linear-Gaussian posterior covariance M⁻¹ instead of σ² M⁻¹',
    file: 'src/exact/linearGaussian.ts', find: 'const covariance = choleskyInverse(this.mFactor, l).map((v) => v * this.variance);', replace: 'const covariance = choleskyInverse(this.mFactor, l);', notebook: '03-the-gap' },
  { id: 'kl-to-posterior-without-trace', what: 'KL(q ‖ p(z|x)) of the linear-Gaussian model without its trace term',
    file: 'src/exact/linearGaussian.ts', find: 'return 0.5 * (trace + quad - l + logDetS - sumLogQ);', replace: 'return 0.5 * (quad - l + logDetS - sumLogQ);', notebook: '03-the-gap' },
];

function check(breakage, root = ROOT) {
  const file = path.join(root, breakage.file);
  const text = fs.readFileSync(file, 'utf8');
  const count = text.split(breakage.find).length - 1;
  if (count !== 1) throw new Error(`mutation: breakage ${breakage.id}: its line occurs ${count} times in ${breakage.file} (expected once): update BREAKAGES in scripts/mutation.js`);
  return text;
}

/** A copy of the working tree that runs notebooks on its own (node_modules shared, kernel registered under the copy). */
function copyTree(target) {
  const skip = new Set(['node_modules', 'build', 'dist', '.git', 'release', '.stryker-tmp']);
  fs.mkdirSync(target, { recursive: true });
  for (const entry of fs.readdirSync(ROOT)) {
    if (skip.has(entry)) continue;
    fs.cpSync(path.join(ROOT, entry), path.join(target, entry), { recursive: true, dereference: false });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(target, 'node_modules'));
  const rewrite = (file) => {
    if (fs.existsSync(file)) fs.writeFileSync(file, fs.readFileSync(file, 'utf8').split(ROOT).join(target));
  };
  rewrite(path.join(target, '.cache', 'setup.json'));
  rewrite(path.join(target, '.jupyter', 'kernels', 'elbo-lab', 'kernel.json'));
}

function runBreakage(breakage) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `elbo-mutation-${breakage.id}-`));
  try {
    copyTree(dir);
    const text = check(breakage, dir);
    fs.writeFileSync(path.join(dir, breakage.file), text.replace(breakage.find, breakage.replace));
    const started = Date.now();
    const run = spawnSync(process.execPath, [path.join(dir, 'scripts', 'run-notebooks.js'), path.join(dir, 'notebooks', `${breakage.notebook}.ipynb`)], {
      cwd: dir, encoding: 'utf8', env: { ...process.env, CI: 'true', ELBO_LAB_RUN_CACHE: '' }, maxBuffer: 64 * 1024 * 1024,
    });
    const report = path.join(dir, 'build', 'notebook-report.json');
    const cells = fs.existsSync(report) ? JSON.parse(fs.readFileSync(report, 'utf8')).flatMap((r) => r.cells || []) : [];
    const failed = cells.find((c) => !c.ok);
    const why = failed ? (failed.error.match(/claim "([^"]+)"/) || [null, null])[1] || failed.error.split('\n')[0].slice(0, 160) : '';
    return { ...breakage, caught: run.status !== 0, by: failed ? (why ? why : `cell ${failed.index}`) : (run.status !== 0 ? (run.stderr || '').split('\n')[0] : ''), seconds: (Date.now() - started) / 1000 };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function notebookPart(only) {
  const chosen = BREAKAGES.filter((b) => !only || only.includes(b.id));
  for (const b of chosen) check(b);
  const rows = [];
  for (const b of chosen) {
    process.stdout.write(`mutation: ${b.id} (${b.file}) through ${b.notebook} … `);
    const row = runBreakage(b);
    rows.push(row);
    process.stdout.write(`${row.caught ? `caught by ${row.by}` : 'NOT CAUGHT'} (${row.seconds.toFixed(0)} s)\n`);
  }
  fs.mkdirSync(path.join(ROOT, 'build', 'mutation'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'build', 'mutation', 'notebooks.json'), `${JSON.stringify(rows, null, 2)}\n`);
  process.stdout.write('\n| breakage | file | notebook | caught by |\n|---|---|---|---|\n');
  for (const r of rows) process.stdout.write(`| ${r.what} | ${r.file} | ${r.notebook} | ${r.caught ? r.by : '**not caught**'} |\n`);
  const caught = rows.filter((r) => r.caught).length;
  process.stdout.write(`\nnotebook breakages: ${caught} of ${rows.length} caught\n`);
  return caught === rows.length;
}

/**
 * The mathematical layers StrykerJS mutates. Each run is one unit (a layer, or for objectives/
 * and exact/, which hold most of the mutants, one file of it) whose report is kept as
 * build/mutation/report-UNIT.json: the score is assembled from units run at different times, an
 * interrupted run loses one unit, not all, and `--layer NAME` runs one layer's units.
 */
const LAYERS = {
  distributions: ['src/distributions/**/*.ts'],
  objectives: ['src/objectives/*.ts'],
  exact: ['src/exact/*.ts'],
  training: ['src/train/objective.ts'],
};
// The two largest layers run file by file, so that a change to one file re-tests that file only.
const SPLIT_BY_FILE = new Set(['objectives', 'exact']);

/** Whether a TypeScript file leaves any JavaScript behind (a file of types alone has nothing to mutate). */
function hasRuntimeCode(file) {
  const ts = require('typescript');
  const js = ts.transpileModule(fs.readFileSync(file, 'utf8'), { compilerOptions: { module: ts.ModuleKind.ESNext, removeComments: true } }).outputText;
  return js.replace(/export \{\};?/g, '').trim().length > 0;
}

/** The units of a layer: [{ name, mutate }]. */
function layerUnits(layer) {
  if (!SPLIT_BY_FILE.has(layer)) return [{ name: layer, mutate: [...LAYERS[layer], '!src/**/index.ts'] }];
  const dir = path.join(ROOT, LAYERS[layer][0].replace(/\/\*\.ts$/, ''));
  return fs.readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'index.ts' && hasRuntimeCode(path.join(dir, f))).sort()
    .map((f) => ({ name: `${layer}-${f.replace(/\.ts$/, '')}`, mutate: [path.posix.join(path.relative(ROOT, dir), f)] }));
}

function countStatuses(report) {
  const count = {};
  for (const file of Object.values(report.files)) for (const m of file.mutants) count[m.status] = (count[m.status] || 0) + 1;
  return count;
}

/** Stryker's score: detected (killed or timed out) over every valid mutant (survived and uncovered included). */
function score(count) {
  const detected = (count.Killed || 0) + (count.Timeout || 0);
  const valid = detected + (count.Survived || 0) + (count.NoCoverage || 0);
  return { detected, valid, percent: valid ? (100 * detected) / valid : NaN };
}

const SURVIVING = new Set(['Survived', 'NoCoverage']);
const mutantKey = (file, m) => `${file}|${m.mutatorName}|${m.replacement ?? ''}|${m.location.start.line}:${m.location.start.column}-${m.location.end.line}:${m.location.end.column}`;

/**
 * The lines of a report's surviving mutants as StrykerJS mutate ranges ("file:first-last", runs of
 * consecutive lines merged). Whole lines: they hold every survivor whatever the column convention,
 * and the other mutants on them are merged back by their own key.
 */
function survivorRanges(report) {
  const ranges = [];
  for (const [file, { mutants }] of Object.entries(report.files)) {
    const lines = new Set();
    for (const m of mutants) if (SURVIVING.has(m.status)) for (let l = m.location.start.line; l <= m.location.end.line; l++) lines.add(l);
    const sorted = [...lines].sort((a, b) => a - b);
    for (let i = 0; i < sorted.length; i++) {
      const first = sorted[i];
      while (i + 1 < sorted.length && sorted[i + 1] === sorted[i] + 1) i++;
      ranges.push(`${file}:${first}-${sorted[i]}`);
    }
  }
  return ranges;
}

/**
 * The files of a kept report whose mutants' lines no longer read as they did: a different number of
 * lines, or any line that carries a mutant changed. A change elsewhere (a comment reworded in place)
 * leaves every kept status and survivor range valid. `read(file)` gives a file's current text.
 */
function staleFiles(report, read) {
  return Object.entries(report.files).filter(([file, { source, mutants }]) => {
    const before = source.split('\n');
    const now = read(file).split('\n');
    if (before.length !== now.length) return true;
    return mutants.some((m) => {
      for (let l = m.location.start.line; l <= m.location.end.line; l++) if (before[l - 1] !== now[l - 1]) return true;
      return false;
    });
  }).map(([file]) => file);
}

/**
 * Statuses of a rerun merged into a kept report: each mutant of the rerun replaces the kept mutant
 * with the same file, mutator, replacement and location. Returns how many were matched and how many
 * of the kept survivors the rerun detected.
 */
function mergeRerun(kept, rerun) {
  const byKey = new Map();
  for (const [file, { mutants }] of Object.entries(kept.files)) for (const m of mutants) byKey.set(mutantKey(file, m), m);
  let matched = 0;
  let detected = 0;
  for (const [file, { mutants }] of Object.entries(rerun.files)) {
    for (const m of mutants) {
      const old = byKey.get(mutantKey(file, m));
      if (!old) continue;
      matched++;
      if (SURVIVING.has(old.status) && (m.status === 'Killed' || m.status === 'Timeout')) detected++;
      for (const field of ['status', 'statusReason', 'killedBy', 'coveredBy', 'testsCompleted', 'duration']) {
        if (m[field] === undefined) delete old[field];
        else old[field] = m[field];
      }
    }
  }
  return { matched, detected };
}

/**
 * The test file that mirrors a one-file unit (src/exact/kl.ts -> test/exact/kl.test.ts), for
 * --own-tests; null when the unit is a whole layer or the file has no mirrored test.
 */
function ownTestsOf(unit, exists = (f) => fs.existsSync(path.join(ROOT, f))) {
  if (unit.mutate.length !== 1 || !/^src\/.+\.ts$/.test(unit.mutate[0]) || unit.mutate[0].includes('*')) return null;
  const test = unit.mutate[0].replace(/^src\//, 'test/').replace(/\.ts$/, '.test.ts');
  return exists(test) ? test : null;
}

function strykerUnit(unit, { survivorsOnly = false, ownTests = false } = {}) {
  const dir = path.join(ROOT, 'build', 'mutation');
  fs.mkdirSync(dir, { recursive: true });
  const keptFile = path.join(dir, `report-${unit.name}.json`);
  const incrementalFile = path.join('build', 'mutation', `incremental-${unit.name}.json`);
  let mutate = unit.mutate;
  let kept = null;
  let config = [];
  // vitest's `related` mode finds tests by the mutated file's importers; a survivors run (line
  // ranges, which `related` misreads) and an own-tests run (one named test file) turn it off.
  const relatedOff = () => {
    const file = path.join(dir, 'stryker.related-off.config.mjs');
    fs.writeFileSync(file, `import base from '../../stryker.config.mjs';\nexport default { ...base, vitest: { ...base.vitest, related: false } };\n`);
    return [file];
  };
  const env = { ...process.env };
  const test = ownTests ? ownTestsOf(unit) : null;
  if (survivorsOnly) {
    // Only the lines of the kept report's survivors, every mutant on them re-tested (minutes, not the
    // hour a --force run of a large file takes), the statuses merged back into the kept report.
    if (!fs.existsSync(keptFile)) {
      process.stdout.write(`mutation: --survivors needs a kept report of ${unit.name}: run it once without --survivors\n`);
      return false;
    }
    kept = JSON.parse(fs.readFileSync(keptFile, 'utf8'));
    // Line numbers are the kept report's: after a line with a mutant changed, or lines came or went, they point elsewhere.
    const now = new Map(Object.keys(kept.files).map((file) => [file, fs.readFileSync(path.join(ROOT, file), 'utf8')]));
    const changed = staleFiles(kept, (file) => now.get(file));
    if (changed.length) {
      process.stdout.write(`mutation: ${changed.join(', ')} changed since the kept report of ${unit.name} (lines added or removed, or a line with a mutant edited): its survivors' lines no longer hold; run the unit without --survivors (incremental)\n`);
      return false;
    }
    // Only lines without mutants changed: the kept statuses hold for the current text.
    for (const [file, entry] of Object.entries(kept.files)) entry.source = now.get(file);
    mutate = survivorRanges(kept);
    if (mutate.length === 0) {
      process.stdout.write(`mutation: ${unit.name} has no survivors to re-test\n`);
      return true;
    }
    // With line ranges ("file:10-13") `related` found too few tests (27 instead of every test of the layers).
    config = relatedOff();
  } else if (ownTests) {
    // A first pass against the unit's own test file only: a file every layer builds on (the
    // Cholesky of linearAlgebra.ts) is covered by nearly every test of the layers, so each mutant
    // that survives or loops would run all of them (hours on two cores). Its survivors are then
    // re-tested against every test of the layers with --survivors, so a mutant some other test
    // detects is counted as detected in the end.
    if (!test) {
      process.stdout.write(`mutation: --own-tests needs a one-file unit with a mirrored test file (test/…/NAME.test.ts); ${unit.name} has none\n`);
      return false;
    }
    // vitest.mutation.config.mjs reads the test file from the environment (StrykerJS's sandbox copies no build/ file).
    env.ELBO_LAB_MUTATION_TESTS = test;
    config = relatedOff();
  }
  const started = Date.now();
  const run = spawnSync(process.execPath, [
    path.join(ROOT, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js'), 'run', ...config, '--mutate', mutate.join(','),
    // An own-tests pass is not incremental: its statuses are against one test file, not the layers' tests.
    ...(survivorsOnly || ownTests ? [] : ['--incremental', '--incrementalFile', incrementalFile]),
    // An incremental run reuses a survivor's result when the tests that covered it did not change, so
    // a test added to kill it is not tried: --force runs every mutant again.
    ...(process.argv.includes('--force') && !survivorsOnly ? ['--force'] : []),
  ], { cwd: ROOT, stdio: 'inherit', env });
  const report = path.join(dir, 'report.json');
  const html = path.join(dir, 'report.html');
  if (run.status !== 0 || !fs.existsSync(report)) {
    process.stdout.write(`mutation: StrykerJS failed on ${unit.name} (exit ${run.status})\n`);
    return false;
  }
  const json = JSON.parse(fs.readFileSync(report, 'utf8'));
  fs.rmSync(report);
  const seconds = (Date.now() - started) / 1000;
  if (kept) {
    const { matched, detected } = mergeRerun(kept, json);
    kept.elboLab.survivorReruns = [...(kept.elboLab.survivorReruns || []), { finished: new Date().toISOString(), seconds, ranges: mutate, matched, detected }];
    fs.writeFileSync(keptFile, JSON.stringify(kept));
    // The incremental file takes the same statuses, so that the next incremental run starts from them.
    const incremental = path.join(ROOT, incrementalFile);
    if (fs.existsSync(incremental)) {
      const inc = JSON.parse(fs.readFileSync(incremental, 'utf8'));
      mergeRerun(inc, json);
      fs.writeFileSync(incremental, JSON.stringify(inc));
    }
    // The kept HTML report shows the first run's statuses; the JSON report is the one that counts.
    if (fs.existsSync(html)) fs.rmSync(html);
    process.stdout.write(`mutation: ${unit.name}: re-tested ${matched} mutants on the survivors' lines (${mutate.join(', ')}); ${detected} former survivors now detected\n`);
    return true;
  }
  json.elboLab = { unit: unit.name, seconds, finished: new Date().toISOString(), ...(test ? { ownTests: test } : {}) };
  fs.writeFileSync(keptFile, JSON.stringify(json));
  if (fs.existsSync(html)) fs.renameSync(html, path.join(dir, `report-${unit.name}.html`));
  return true;
}

/** The score per layer and over all layers, from the kept reports; a layer never run is named. */
function strykerSummary() {
  const dir = path.join(ROOT, 'build', 'mutation');
  const total = {};
  process.stdout.write('\n| layer | mutants | killed | timed out | survived | no coverage | ignored | score | run |\n|---|---|---|---|---|---|---|---|---|\n');
  const missing = [];
  for (const layer of Object.keys(LAYERS)) {
    const units = layerUnits(layer);
    const reports = units.map((u) => path.join(dir, `report-${u.name}.json`)).filter((f) => fs.existsSync(f)).map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
    const notRun = units.filter((u) => !fs.existsSync(path.join(dir, `report-${u.name}.json`))).map((u) => u.name);
    missing.push(...notRun);
    if (reports.length === 0) continue;
    const count = {};
    for (const report of reports) for (const [k, v] of Object.entries(countStatuses(report))) count[k] = (count[k] || 0) + v;
    for (const [k, v] of Object.entries(count)) total[k] = (total[k] || 0) + v;
    const all = Object.values(count).reduce((a, b) => a + b, 0);
    const s = score(count);
    const seconds = reports.reduce((a, r) => a + (r.elboLab ? r.elboLab.seconds : 0), 0);
    const last = reports.map((r) => (r.elboLab ? r.elboLab.finished : '')).sort().pop();
    const when = `${last.slice(0, 16)}, ${(seconds / 60).toFixed(0)} min${notRun.length ? `; ${units.length - notRun.length} of ${units.length} files` : ''}`;
    process.stdout.write(`| ${layer} | ${all} | ${count.Killed || 0} | ${count.Timeout || 0} | ${count.Survived || 0} | ${count.NoCoverage || 0} | ${count.Ignored || 0} | ${s.percent.toFixed(1)} % | ${when} |\n`);
  }
  const s = score(total);
  process.stdout.write(`\nmath layers: ${s.detected} of ${s.valid} mutants detected, score ${s.percent.toFixed(1)} %` +
    (missing.length ? ` (not yet run: ${missing.join(', ')}; \`node scripts/mutation.js --unit NAME\` runs one)` : '') + '\n');
  return missing.length === 0;
}

function strykerPart(only) {
  let ok = true;
  for (const layer of Object.keys(LAYERS)) {
    if (only && only !== layer) continue;
    for (const unit of layerUnits(layer)) ok = strykerUnit(unit, { survivorsOnly: process.argv.includes('--survivors'), ownTests: process.argv.includes('--own-tests') }) && ok;
  }
  return strykerSummary() && ok;
}

const USAGE = `usage: node scripts/mutation.js [--stryker | --notebooks | --summary] [--layer NAME] [--unit NAME] [--force | --survivors | --own-tests] [--only ID[,ID]]
  (no flag: both parts; --stryker StrykerJS only; --notebooks the notebook breakages only;
   --layer one layer of part 1; --unit one unit of part 1 (e.g. exact-kl); --summary part 1's table
   from the kept reports; --force re-test every mutant; --survivors re-test only the lines of the
   kept reports' survivors and merge the statuses back; --own-tests a first pass of a one-file unit
   against its own test file only, to be followed by --survivors; --only some breakages of part 2)\n`;
const FLAGS = new Set(['--stryker', '--notebooks', '--summary', '--force', '--survivors', '--own-tests']);
const WITH_VALUE = new Set(['--layer', '--unit', '--only']);

/** The command line, checked: an unknown flag or a flag without its value stops before anything runs. */
function parseArgs(args) {
  const modes = ['--force', '--survivors', '--own-tests'].filter((f) => args.includes(f));
  if (modes.length > 1) throw new Error(`mutation: ${modes.join(' and ')} cannot be combined\n${USAGE}`);
  for (let i = 0; i < args.length; i++) {
    if (FLAGS.has(args[i])) continue;
    if (WITH_VALUE.has(args[i])) {
      if (i + 1 >= args.length || args[i + 1].startsWith('--')) throw new Error(`mutation: ${args[i]} needs a value\n${USAGE}`);
      i++;
      continue;
    }
    throw new Error(`mutation: unknown argument ${args[i]}\n${USAGE}`);
  }
  return args;
}

module.exports = { BREAKAGES, LAYERS, check, layerUnits, mergeRerun, ownTestsOf, parseArgs, score, staleFiles, survivorRanges };

if (require.main === module) {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error.message}`);
    process.exit(2);
  }
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? args[onlyAt + 1].split(',') : null;
  const layerAt = args.indexOf('--layer');
  const layer = layerAt >= 0 ? args[layerAt + 1] : null;
  if (layer && !LAYERS[layer]) throw new Error(`mutation: --layer must be one of ${Object.keys(LAYERS).join(', ')}, got ${layer}`);
  const wantStryker = !args.includes('--notebooks') && !args.includes('--summary');
  const wantNotebooks = !args.includes('--stryker') && !args.includes('--summary') && !layer;
  let ok = true;
  const unitAt = args.indexOf('--unit');
  if (unitAt >= 0) {
    // One unit by name (e.g. exact-kl): the smallest step of part 1.
    const unit = Object.keys(LAYERS).flatMap(layerUnits).find((u) => u.name === args[unitAt + 1]);
    if (!unit) throw new Error(`mutation: --unit must be one of ${Object.keys(LAYERS).flatMap(layerUnits).map((u) => u.name).join(', ')}`);
    process.exitCode = strykerUnit(unit, { survivorsOnly: args.includes('--survivors'), ownTests: args.includes('--own-tests') }) && strykerSummary() ? 0 : 1;
    return;
  }
  if (args.includes('--summary')) ok = strykerSummary();
  if (wantStryker) ok = strykerPart(layer) && ok;
  if (wantNotebooks) ok = notebookPart(only) && ok;
  process.exitCode = ok ? 0 : 1;
}
