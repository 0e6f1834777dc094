#!/usr/bin/env node
// The JupyterLab tests (a step of `npm test`; alone: `node scripts/lab/tests.js`): the course in the
// front end students use, real JupyterLab (scripts/lab/server.js: an installed one, else
// ../shared/tools/jupyterlab), the project's kernel, Debian's Chromium through playwright-core,
// nothing leaving the machine. One server with the Plotly extension (what `pip install plotly`
// gives), one without, each reused across notebooks:
//   1. executed notebooks opened as a student gets them (build/notebooks/, from the notebooks step):
//      every one untrusted, with and without the extension; 00 and 04 also trusted. Every chart
//      drawn (live, or its picture where no script may run), math typeset, tables shown; latent
//      explorers (04, 05) show their picture untrusted, and trusted are live and walked by keyboard
//      (scripts/book/explorer.js); the time from opening to the last chart drawn is reported (never
//      asserted);
//   2. Run All through the menu on fresh copies of 00 (with the extension) and 05 (without; CI
//      mode): every cell runs, no error, every chart live, every latent explorer live and walked by
//      keyboard, math typeset, every claim held;
//   3. a graded exercise: the copy of notebook 05 that nbgrader releases, a wrong answer typed in,
//      its test cell run (the kernel's error, name and message, under it), the right answer typed,
//      the test cell passes.
// Screenshots: build/screenshots/jupyterlab/<notebook>-<case>.png. Report: build/jupyterlab-report.json
// ({ passed, failed, skipped, lab, checks, timeToInteractive }). Without JupyterLab (neither
// installed nor beside the clone) it says so in one line and skips; without Chromium likewise,
// except under CI. `--only open|run|exercise` runs one part; `--notebooks 00,04` limits part 1.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { ROOT } = require('../state');
const { findChromium, LAUNCH_ARGS } = require('../chromium');
const { isLocalUrl } = require('../book/check');
const { findNbgrader } = require('../grading/run');
const { findJupyterLab, startLab, sign, notebookUrl } = require('./server');
const { labStats, readPage, judgeLab, chartCount, chartsDrawn } = require('./page');
const { explorerCount, walkExplorers, picturesShown } = require('../book/explorer');

const EXECUTED = path.join(ROOT, 'build', 'notebooks');
const SHOTS = path.join(ROOT, 'build', 'screenshots', 'jupyterlab');
const REPORT = path.join(ROOT, 'build', 'jupyterlab-report.json');
const TRUSTED_TOO = ['00-start-here', '04-why-q-near-the-prior'];
const RUN_ALL = [{ name: '00-start-here', plotly: true }, { name: '05-the-balance', plotly: false }];
const EXERCISE = { assignment: 'ps05', name: '05-the-balance', solution: 'balance-beta-loss-solution', test: 'balance-beta-loss' };
// Console errors JupyterLab itself logs that say nothing about the course (each with its reason).
const ALLOWED_CONSOLE = [
  // JupyterLab 4.6's debugger front end asks for the debugger's modules after every execute_reply
  // (Debugger.Handler's executionDone -> DebuggerService.displayModules), even for a kernel that
  // declares no debugger (kernel_info `debugger: false`, as tslab's): it has no debugger session
  // and rejects once per executed cell (an uncaught page error), whatever the cell does.
  /^No active debugger session$/,
];

const args = process.argv.slice(2);
const option = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : null; };
const only = option('--only');
const wanted = (part) => !only || only === part;
const underCI = () => process.env.CI === 'true' || process.env.CI === '1';

function say(check) {
  const seconds = check.seconds !== undefined ? ` (${check.seconds.toFixed(1)} s)` : '';
  process.stdout.write(`${check.ok ? '✓' : '✗'} ${check.name}${seconds}\n`);
  for (const problem of check.problems) process.stdout.write(`    ${problem}\n`);
}

function writeReport(result) {
  fs.mkdirSync(path.dirname(REPORT), { recursive: true });
  fs.writeFileSync(REPORT, JSON.stringify(result, null, 2));
  return result;
}

function readNotebook(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** A browser page that records console errors and blocks (and records) requests leaving the machine. */
async function newPage(browser) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const seen = { consoleErrors: [], external: [], allowed: 0 };
  const note = (text) => {
    if (ALLOWED_CONSOLE.some((re) => re.test(text))) seen.allowed += 1;
    else seen.consoleErrors.push(text.slice(0, 300));
  };
  page.on('console', (m) => { if (m.type() === 'error') note(m.text()); });
  page.on('pageerror', (e) => note(String(e.message || e)));
  await page.route('**/*', (route) => {
    if (isLocalUrl(route.request().url())) return route.continue();
    seen.external.push(route.request().url());
    return route.abort('blockedbyclient');
  });
  return { page, seen };
}

/** Wait (in the page) until `test(labStats())` holds; the predicate is a function's source. */
function waitFor(page, test, timeout, arg = null) {
  return page.waitForFunction(({ stats, fn, arg: a }) => new Function('s', 'a', `return (${fn})(s, a)`)(new Function(`return (${stats})()`)(), a),
    { stats: labStats.toString(), fn: test.toString(), arg }, { timeout, polling: 100 });
}

const mathTypeset = (s) => s.markdownWithMath > 0 && s.equations.every((e) => e !== 'not typeset');
const kernelIdle = (s) => s.kernel === 'idle';

/**
 * Wait for KaTeX's fonts where KaTeX is shown (a trusted output; 10 s at most), then for the page's
 * fonts. Untrusted, the KaTeX stays hidden and its stylesheet is gone: nothing to wait for.
 */
async function settleFonts(page) {
  await page.waitForFunction(() => !Array.from(document.querySelectorAll('.jp-Notebook .katex')).some((k) => k.getClientRects().length > 0) ||
    Array.from(document.fonts).some((f) => /KaTeX/.test(f.family) && f.status === 'loaded'), null, { timeout: 10_000, polling: 100 }).catch(() => {});
  await page.evaluate(() => document.fonts.ready.then(() => true));
}

async function openNotebook(page, server, relative) {
  await page.goto(notebookUrl(server, relative), { waitUntil: 'load', timeout: 120_000 });
  await page.waitForFunction(() => window.jupyterapp && window.jupyterapp.shell.currentWidget &&
    window.jupyterapp.shell.currentWidget.content && window.jupyterapp.shell.currentWidget.content.widgets.length > 0,
  null, { timeout: 120_000, polling: 100 });
}

async function screenshot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  // The notebook scrolls inside its panel: show its first chart (else its top).
  await page.locator('.jp-Notebook .jp-RenderedPlotly, .jp-Notebook .elbo-lab-plot').first().scrollIntoViewIfNeeded({ timeout: 5000 }).catch(() => {});
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

/** Part 1: one executed notebook opened in one server; its check and its time to interactive. */
async function openCase(browser, server, { relative, name, trust, charts, explorers, bytes }) {
  const setting = server.plotly ? 'plotly-extension' : 'no-plotly-extension';
  const label = `${name} ${trust} ${setting}`;
  const started = Date.now();
  const { page, seen } = await newPage(browser);
  const problems = [];
  let interactive = null;
  try {
    await openNotebook(page, server, relative);
    await waitFor(page, chartsDrawn, 120_000, charts).then(() => { interactive = (Date.now() - started) / 1000; }, () => {});
    // Trusted, without the extension, the notebook's own script replaces each picture by the live chart.
    const live = trust === 'trusted' && !server.plotly;
    if (live) await waitFor(page, (s, n) => s.charts.length >= n && s.charts.every((c) => c.shown === 'live'), 60_000, charts).catch(() => {});
    await waitFor(page, mathTypeset, 60_000).catch(() => {});
    await waitFor(page, kernelIdle, 60_000).catch(() => {});
    await settleFonts(page);
    const stats = { ...(await readPage(page)), ...seen };
    const trusted = stats.cells.every((c) => c.type !== 'code' || c.trusted);
    if ((trust === 'trusted') !== trusted) problems.push(`opened ${trusted ? 'trusted' : 'untrusted'}, expected ${trust}`);
    problems.push(...judgeLab(stats, { charts, live, unmodified: true }));
    if (interactive === null) problems.push(`its ${charts} chart(s) were not all drawn within 120 s`);
    // Latent explorers: live where the notebook is trusted (its scripts run), else their picture.
    if (explorers > 0 && trust === 'trusted') problems.push(...await walkExplorers(page, { scope: '.jp-Notebook', count: explorers, timeoutMs: 60_000 }));
    else if (explorers > 0) problems.push(...await picturesShown(page, { scope: '.jp-Notebook', count: explorers }));
    if (explorers > 0 && (await page.evaluate(labStats)).dirty) problems.push('walking its explorers marked it modified');
    await screenshot(page, `${name}-${trust}-${setting}`);
  } catch (error) {
    problems.push(error.message.split('\n')[0]);
  } finally {
    await page.close();
    await server.closeSessions();
  }
  return {
    check: { name: `open ${label}: ${charts} chart(s)${explorers > 0 ? `, ${explorers} latent explorer(s) ${trust === 'trusted' ? 'live and walked by keyboard' : 'as pictures'}` : ''}`, ok: problems.length === 0, problems, seconds: (Date.now() - started) / 1000, allowedConsoleErrors: seen.allowed },
    time: { notebook: name, trust, plotlyExtension: server.plotly, MB: +(bytes / 1e6).toFixed(2), charts, seconds: interactive },
  };
}

async function clickMenu(page, menu, item) {
  await page.click(`.lm-MenuBar-itemLabel:text-is("${menu}")`);
  await page.click(`.lm-Menu-itemLabel:text-is("${item}")`);
}

/** Wait until the kernel is idle and no cell is running or queued (seen twice, 1 s apart). */
async function waitUntilSettled(page, timeout) {
  const settled = (s) => s.kernel === 'idle' && s.cells.every((c) => !/\*/.test(c.prompt));
  const deadline = Date.now() + timeout;
  await waitFor(page, (s) => s.kernel === 'busy' || s.cells.some((c) => /\*/.test(c.prompt)), 30_000).catch(() => {});
  for (;;) {
    await waitFor(page, settled, Math.max(1000, deadline - Date.now()));
    await page.waitForTimeout(1000);
    if (settled(await page.evaluate(labStats))) return;
    if (Date.now() > deadline) throw new Error(`still running after ${timeout / 1000} s`);
  }
}

/** Part 2: Run All through the menu on a fresh copy of a notebook. */
async function runAllCase(browser, server, { relative, name, charts, explorers = 0 }) {
  const setting = server.plotly ? 'plotly-extension' : 'no-plotly-extension';
  const started = Date.now();
  const { page, seen } = await newPage(browser);
  const problems = [];
  try {
    await openNotebook(page, server, relative);
    await waitFor(page, kernelIdle, 120_000);
    await clickMenu(page, 'Run', 'Run All Cells');
    await waitUntilSettled(page, 480_000);
    await waitFor(page, chartsDrawn, 60_000, charts).catch(() => {});
    await waitFor(page, mathTypeset, 60_000).catch(() => {});
    await settleFonts(page);
    const stats = { ...(await readPage(page)), ...seen };
    problems.push(...judgeLab(stats, { charts, live: true, run: true, claims: true }));
    if (explorers > 0) problems.push(...await walkExplorers(page, { scope: '.jp-Notebook', count: explorers, timeoutMs: 60_000 }));
    await screenshot(page, `${name}-run-all-${setting}`);
  } catch (error) {
    problems.push(error.message.split('\n')[0]);
    await screenshot(page, `${name}-run-all-${setting}`).catch(() => {});
  } finally {
    await page.close();
    await server.closeSessions();
  }
  return { name: `Run All ${name} (${setting}, CI mode): every cell runs, ${charts} chart(s) live${explorers > 0 ? `, ${explorers} latent explorer(s) live and walked by keyboard` : ''}, claims held`, ok: problems.length === 0, problems, seconds: (Date.now() - started) / 1000, allowedConsoleErrors: seen.allowed };
}

/** The released copy of the exercise's notebook, made by the real nbgrader in a course folder under `root`. */
function releaseExercise(root) {
  const nbgrader = findNbgrader();
  if (!nbgrader) return { skipped: 'nbgrader is not installed and ../shared/tools/nbgrader is absent' };
  const course = path.join(root, 'course');
  const source = path.join(course, 'source', EXERCISE.assignment);
  fs.mkdirSync(source, { recursive: true });
  fs.writeFileSync(path.join(course, 'nbgrader_config.py'), `c = get_config()\nload_subconfig(${JSON.stringify(path.join(ROOT, 'nbgrader_config.py'))})\n`);
  fs.copyFileSync(path.join(ROOT, 'notebooks', `${EXERCISE.name}.ipynb`), path.join(source, `${EXERCISE.name}.ipynb`));
  const done = spawnSync(nbgrader.python, ['-m', 'nbgrader', 'generate_assignment', EXERCISE.assignment, '--force'], { cwd: course, env: nbgrader.env, encoding: 'utf8' });
  const released = path.join(course, 'release', EXERCISE.assignment, `${EXERCISE.name}.ipynb`);
  if (done.status !== 0 || !fs.existsSync(released)) throw new Error(`nbgrader generate_assignment failed: ${(done.stdout + done.stderr).trim().split('\n').slice(-3).join(' | ')}`);
  const folder = path.join(root, 'exercise');
  fs.mkdirSync(folder, { recursive: true });
  fs.copyFileSync(released, path.join(folder, `${EXERCISE.name}.ipynb`));
  return { relative: `exercise/${EXERCISE.name}.ipynb` };
}

function cellIndex(notebook, gradeId) {
  const index = notebook.cells.findIndex((c) => ((c.metadata || {}).nbgrader || {}).grade_id === gradeId);
  if (index < 0) throw new Error(`no cell with grade_id ${gradeId}`);
  return index;
}

/** Replace the source of cell `index` by typing into its editor, then run it and the next cell (Shift+Enter twice). */
async function typeAndRun(page, index, source) {
  const editor = page.locator('.jp-Notebook .jp-Cell').nth(index).locator('.cm-content');
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(source);
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.press('Shift+Enter');
  await waitUntilSettled(page, 120_000);
}

/** What the test cell shows: its model's errors and the text of its output area. */
async function testCellShows(page, index) {
  return page.evaluate((i) => {
    const cell = window.jupyterapp.shell.currentWidget.content.widgets[i];
    const outputs = cell.model.outputs.toJSON();
    const area = cell.node.querySelector('.jp-OutputArea');
    return { count: cell.model.executionCount, errors: outputs.filter((o) => o.output_type === 'error').map((o) => ({ ename: o.ename, evalue: o.evalue })), text: area ? area.innerText : '' };
  }, index);
}

/** Part 3: a student's graded exercise, in the released copy. */
async function exerciseCase(browser, server, released) {
  const started = Date.now();
  const source = readNotebook(path.join(ROOT, 'notebooks', `${EXERCISE.name}.ipynb`));
  const solutionAt = cellIndex(source, EXERCISE.solution);
  const testAt = cellIndex(source, EXERCISE.test);
  // What a student types: the solution without the instructor's region markers.
  const solution = [].concat(source.cells[solutionAt].source).join('').split('\n').filter((line) => !/(BEGIN|END) SOLUTION/.test(line)).join('\n');
  // A typical slip: the KL term added without its weight β (right for β = 1 only).
  const wrong = solution.replace(/\+=\s*-reconstruction\[i\]\s*\+\s*beta\s*\*\s*kl/, '+= -reconstruction[i] + kl');
  const problems = [];
  if (wrong === solution) problems.push('could not write the wrong answer: the solution cell changed (update scripts/lab/tests.js)');
  const { page, seen } = await newPage(browser);
  try {
    if (problems.length) throw new Error(problems.pop());
    await openNotebook(page, server, released.relative);
    await waitFor(page, kernelIdle, 120_000);
    // The cells above the exercise, as a student runs them: select the exercise, Run > Run All Above.
    await page.locator('.jp-Notebook .jp-Cell').nth(solutionAt).locator('.jp-InputPrompt').click();
    await clickMenu(page, 'Run', 'Run All Above Selected Cell');
    await waitUntilSettled(page, 180_000);
    await typeAndRun(page, solutionAt, wrong);
    const failing = await testCellShows(page, testAt);
    const expected = { ename: 'Error', evalue: 'β = 0: the mean of 100 and 80: expected 90 ± 1e-9, got 96' };
    const error = failing.errors[0];
    if (!error) problems.push(`the wrong answer's test cell shows no error (it shows «${failing.text.slice(0, 200)}»)`);
    else if (error.ename !== expected.ename || error.evalue !== expected.evalue) problems.push(`the test cell's error is ${error.ename}: ${error.evalue}; expected ${expected.ename}: ${expected.evalue}`);
    else if (!failing.text.includes(`${expected.ename}: ${expected.evalue}`)) problems.push(`the error is not shown under the test cell (it shows «${failing.text.slice(0, 200)}»)`);
    await page.locator('.jp-Notebook .jp-Cell').nth(testAt).scrollIntoViewIfNeeded().catch(() => {});
    await page.screenshot({ path: path.join(SHOTS, `${EXERCISE.name}-exercise-wrong-answer.png`) });
    await typeAndRun(page, solutionAt, solution);
    const passing = await testCellShows(page, testAt);
    if (passing.errors.length > 0) problems.push(`the right answer's test cell fails: ${passing.errors.map((e) => `${e.ename}: ${e.evalue}`).join('; ')}`);
    if (typeof passing.count !== 'number') problems.push('the right answer\'s test cell did not run');
    await page.locator('.jp-Notebook .jp-Cell').nth(testAt).scrollIntoViewIfNeeded().catch(() => {});
    await page.screenshot({ path: path.join(SHOTS, `${EXERCISE.name}-exercise-right-answer.png`) });
    for (const message of seen.consoleErrors) problems.push(`console error: ${message}`);
    for (const url of seen.external) problems.push(`request leaves the machine: ${url}`);
  } catch (error) {
    problems.push(error.message.split('\n')[0]);
  } finally {
    await page.close();
    await server.closeSessions();
  }
  return { name: `graded exercise in the released ${EXERCISE.name} (nbgrader ${EXERCISE.assignment}): wrong answer shows the kernel's error, right answer passes`, ok: problems.length === 0, problems, seconds: (Date.now() - started) / 1000, allowedConsoleErrors: seen.allowed };
}

/** The folder the servers serve: executed copies (untrusted as received; trusted copies signed per server), fresh copies to run, the released exercise. */
function prepareRoot(names) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'elbo-lab-jupyterlab-root-'));
  const opens = [];
  for (const dir of ['untrusted', 'trusted', 'run']) fs.mkdirSync(path.join(root, dir));
  for (const name of names) {
    const file = path.join(EXECUTED, `${name}.ipynb`);
    const notebook = readNotebook(file);
    fs.copyFileSync(file, path.join(root, 'untrusted', `${name}.ipynb`));
    const base = { name, charts: chartCount(notebook), explorers: explorerCount(notebook), bytes: fs.statSync(file).size };
    opens.push({ ...base, relative: `untrusted/${name}.ipynb`, trust: 'untrusted' });
    if (TRUSTED_TOO.includes(name)) {
      // A signature covers the content, not the path: the trusted copy differs from the untrusted
      // one by a metadata note, so signing it leaves the untrusted copy untrusted.
      notebook.metadata.elbo_lab_test = 'the trusted copy of the JupyterLab tests';
      fs.writeFileSync(path.join(root, 'trusted', `${name}.ipynb`), `${JSON.stringify(notebook, null, 1)}\n`);
      opens.push({ ...base, relative: `trusted/${name}.ipynb`, trust: 'trusted' });
    }
  }
  for (const { name } of RUN_ALL) fs.copyFileSync(path.join(ROOT, 'notebooks', `${name}.ipynb`), path.join(root, 'run', `${name}.ipynb`));
  return { root, opens };
}

async function main() {
  const checks = [];
  const times = [];
  const record = (check) => { checks.push(check); say(check); };
  const lab = findJupyterLab();
  if (!lab) {
    const line = 'JupyterLab tests: no JupyterLab (none installed for the setup\'s Python, no ../shared/tools/jupyterlab); skipped';
    process.stdout.write(`${line}\n`);
    return writeReport({ passed: 0, failed: 0, skipped: line, checks });
  }
  if (!findChromium()) {
    const line = 'JupyterLab tests: no Chromium found (sudo apt-get install chromium, or set ELBO_LAB_CHROMIUM)';
    process.stdout.write(`${line}${underCI() ? '; required under CI' : '; skipped'}\n`);
    if (underCI()) record({ name: 'Chromium installed', ok: false, problems: [line] });
    return writeReport({ passed: 0, failed: checks.length, skipped: underCI() ? '' : line, checks });
  }
  const all = fs.existsSync(EXECUTED) ? fs.readdirSync(EXECUTED).filter((f) => f.endsWith('.ipynb')).map((f) => f.slice(0, -6)).sort() : [];
  const limit = option('--notebooks');
  const names = limit ? all.filter((n) => limit.split(',').some((p) => n.startsWith(p))) : all;
  if (wanted('open') && names.length === 0) record({ name: 'executed notebooks to open', ok: false, problems: [`none in ${path.relative(ROOT, EXECUTED)}/ (run the notebooks first: npm run notebooks)`] });
  process.stdout.write(`JupyterLab ${lab.version} (${lab.kind === 'shared' ? lab.folder : `installed for ${lab.python}`})\n`);
  fs.rmSync(SHOTS, { recursive: true, force: true });
  fs.mkdirSync(SHOTS, { recursive: true });
  const { root, opens } = prepareRoot(names);
  let released = null;
  if (wanted('exercise')) {
    try {
      released = releaseExercise(root);
      if (released.skipped) process.stdout.write(`graded exercise: ${released.skipped}; skipped\n`);
    } catch (error) {
      record({ name: 'graded exercise released by nbgrader', ok: false, problems: [error.message] });
    }
  }
  const { chromium } = require('playwright-core');
  const browser = await chromium.launch({ executablePath: findChromium(), headless: true, args: LAUNCH_ARGS });
  try {
    for (const plotly of [true, false]) {
      let server;
      try {
        server = await startLab(lab, { root, plotly, env: { CI: 'true' } }); // the notebooks' CI mode for Run All
      } catch (error) {
        record({ name: `JupyterLab ${plotly ? 'with' : 'without'} the Plotly extension started`, ok: false, problems: [error.message] });
        continue;
      }
      try {
        sign(server, opens.filter((o) => o.trust === 'trusted').map((o) => path.join(root, o.relative)));
        if (wanted('open')) {
          for (const open of opens) {
            const { check, time } = await openCase(browser, server, open);
            record(check);
            times.push(time);
          }
        }
        if (wanted('run')) {
          for (const run of RUN_ALL.filter((r) => r.plotly === plotly)) {
            const executed = path.join(EXECUTED, `${run.name}.ipynb`);
            const charts = fs.existsSync(executed) ? chartCount(readNotebook(executed)) : undefined;
            const explorers = fs.existsSync(executed) ? explorerCount(readNotebook(executed)) : 0;
            record(await runAllCase(browser, server, { relative: `run/${run.name}.ipynb`, name: run.name, charts, explorers }));
          }
        }
        if (wanted('exercise') && !plotly && released && released.relative) record(await exerciseCase(browser, server, released));
      } finally {
        await server.stop();
      }
    }
  } finally {
    await browser.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
  if (times.length) {
    process.stdout.write('\ntime to interactive (opened until the last chart is drawn; reported, not asserted):\n');
    for (const t of times) {
      process.stdout.write(`  ${t.notebook.padEnd(26)} ${t.trust.padEnd(9)} ${t.plotlyExtension ? 'with   ' : 'without'} Plotly extension  ` +
        `${String(t.MB).padStart(5)} MB  ${String(t.charts).padStart(2)} charts  ${t.seconds === null ? 'not drawn' : `${t.seconds.toFixed(1)} s`}\n`);
    }
  }
  const passed = checks.filter((c) => c.ok).length;
  return writeReport({ passed, failed: checks.length - passed, skipped: '', lab: { kind: lab.kind, version: lab.version }, checks, timeToInteractive: times });
}

if (require.main === module) {
  main().then((result) => {
    process.stdout.write(`JupyterLab tests: ${result.passed} passed, ${result.failed} failed${result.skipped ? ' (skipped)' : ''}\n`);
    process.exit(result.failed > 0 ? 1 : 0);
  }, (error) => {
    process.stderr.write(`JupyterLab tests: ${error.stack || error.message}\n`);
    writeReport({ passed: 0, failed: 1, skipped: '', checks: [{ name: 'JupyterLab tests ran', ok: false, problems: [error.message] }] });
    process.exit(1);
  });
}

module.exports = { main, judgeLab };
