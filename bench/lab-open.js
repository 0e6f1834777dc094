#!/usr/bin/env node
// Time to interactive of executed notebooks in real JupyterLab: `node bench/lab-open.js NB.ipynb ...`.
// For each extension setting (with and without the Plotly extension), one JupyterLab server
// (an installed one, else ../shared/tools/jupyterlab) serves a temporary folder holding copies of
// the notebooks (trusted when they were signed here); headless Chromium opens each notebook and
// waits until every chart of it is drawn (live, or the extension's picture). Reported per
// notebook: seconds from opening until the last chart is drawn, and the tab's peak JavaScript
// heap (sampled every 250 ms). Timing is reported, never asserted.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const { LAUNCH_ARGS, findChromium } = require('../scripts/chromium');
const { freePort } = require('../scripts/book/live');
const SHARED_LAB = path.resolve(ROOT, '..', 'shared', 'tools', 'jupyterlab', 'start');
const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

function chartCount(file) {
  const nb = JSON.parse(fs.readFileSync(file, 'utf8'));
  return nb.cells.flatMap((c) => c.outputs || []).filter((o) => o.data && o.data[PLOTLY_MIME]).length;
}

function startLab(folder, plotly) {
  if (!fs.existsSync(SHARED_LAB)) throw new Error(`no JupyterLab: ${SHARED_LAB} is missing`);
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'elbo-lab-bench-lab-'));
  const settings = path.join(state, 'user-settings', '@jupyterlab', 'notebook-extension');
  fs.mkdirSync(settings, { recursive: true });
  // Every cell in the page (no windowing), so every chart can be counted.
  fs.writeFileSync(path.join(settings, 'tracker.jupyterlab-settings'), JSON.stringify({ windowingMode: 'none' }));
  return (port) => {
    const env = { ...process.env, PORT: String(port), TOKEN: 'bench', ROOT_DIR: folder, STATE_DIR: state };
    delete env.JUPYTER_PATH;
    const started = spawnSync('bash', [SHARED_LAB, ...(plotly ? [] : ['--no-plotly'])], { env, encoding: 'utf8' });
    if (started.status !== 0) throw new Error(`JupyterLab did not start: ${started.stdout}${started.stderr}`);
    return { url: `http://127.0.0.1:${port}`, stop: () => process.kill(Number(fs.readFileSync(path.join(state, 'server.pid'), 'utf8'))) };
  };
}

async function openNotebook(browser, url, name, charts, plotly) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  let peak = 0;
  const sampler = setInterval(async () => {
    try {
      const { metrics } = await cdp.send('Performance.getMetrics');
      const heap = metrics.find((m) => m.name === 'JSHeapUsedSize');
      if (heap) peak = Math.max(peak, heap.value);
    } catch {
      // page closing
    }
  }, 250);
  const started = Date.now();
  await page.goto(`${url}/lab/tree/${encodeURIComponent(name)}?token=bench&reset`);
  // Drawn: a live chart (an SVG inside a Plotly div), or the extension's picture of it.
  const drawn = plotly
    ? () => Array.from(document.querySelectorAll('.jp-RenderedPlotly')).filter((e) => e.querySelector('img.plot-img, .main-svg')).length
    : () => Array.from(document.querySelectorAll('.js-plotly-plot')).filter((e) => e.querySelector('.main-svg')).length;
  let seconds = null;
  try {
    await page.waitForFunction(({ fn, n }) => new Function(`return (${fn})()`)() >= n, { fn: drawn.toString(), n: charts }, { timeout: 180_000, polling: 100 });
    seconds = (Date.now() - started) / 1000;
  } catch {
    seconds = null;
  }
  const count = await page.evaluate(drawn);
  clearInterval(sampler);
  await page.close();
  return { seconds, drawn: count, charts, peakHeapMB: peak / 1e6 };
}

async function main(files) {
  if (files.length === 0) throw new Error('usage: node bench/lab-open.js executed.ipynb ...');
  const chromiumPath = findChromium();
  if (!chromiumPath) throw new Error('no Chromium (sudo apt-get install chromium)');
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'elbo-lab-bench-nb-'));
  const names = files.map((file, i) => {
    const name = `${String(i).padStart(2, '0')}-${path.basename(path.dirname(path.resolve(file)))}-${path.basename(file)}`;
    fs.copyFileSync(file, path.join(folder, name));
    return { name, file, charts: chartCount(file), bytes: fs.statSync(file).size };
  });
  const { chromium } = require('playwright-core');
  const rows = [];
  for (const plotly of [true, false]) {
    const lab = startLab(folder, plotly)(await freePort());
    const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: LAUNCH_ARGS });
    try {
      for (const nb of names) {
        const result = await openNotebook(browser, lab.url, nb.name, nb.charts, plotly);
        const row = { notebook: nb.file, MB: +(nb.bytes / 1e6).toFixed(2), plotlyExtension: plotly, ...result };
        rows.push(row);
        process.stdout.write(`${plotly ? 'with   ' : 'without'} Plotly extension  ${nb.file}  ${row.MB} MB  ` +
          `${result.drawn}/${result.charts} charts drawn in ${result.seconds === null ? 'NOT within 180 s' : `${result.seconds.toFixed(1)} s`}  ` +
          `peak JS heap ${result.peakHeapMB.toFixed(0)} MB\n`);
      }
    } finally {
      await browser.close();
      lab.stop();
    }
  }
  return rows;
}

main(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`lab-open: ${error.message}\n`);
  process.exit(1);
});
