#!/usr/bin/env node
// Time to interactive of executed notebooks in real JupyterLab: `node bench/lab-open.js [--trusted] NB.ipynb ...`.
// For each extension setting (with and without the Plotly extension), one JupyterLab server
// (scripts/lab/server.js: an installed one, else ../shared/tools/jupyterlab) serves a temporary
// folder holding copies of the notebooks, untrusted as a student receives them (with --trusted:
// signed in that server's notary); headless Chromium opens each notebook and
// waits until every chart of it is drawn (live, or its picture). Reported per
// notebook: seconds from opening until the last chart is drawn, and the tab's peak JavaScript
// heap (sampled every 250 ms). Timing is reported, never asserted.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

const { LAUNCH_ARGS, findChromium } = require('../scripts/chromium');
const { findJupyterLab, startLab, notebookUrl, sign } = require('../scripts/lab/server');
const { labStats, chartCount, chartsDrawn } = require('../scripts/lab/page');

async function openNotebook(browser, server, name, charts) {
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
  await page.goto(notebookUrl(server, name));
  // Drawn: every chart live (an SVG inside a Plotly div) or its picture (scripts/lab/page.js).
  const drawn = ({ stats, test, n }) => new Function('s', 'n', `return (${test})(s, n)`)(new Function(`return (${stats})()`)(), n);
  let seconds = null;
  try {
    await page.waitForFunction(drawn, { stats: labStats.toString(), test: chartsDrawn.toString(), n: charts }, { timeout: 180_000, polling: 100 });
    seconds = (Date.now() - started) / 1000;
  } catch {
    seconds = null;
  }
  const count = await page.evaluate(() => document.querySelectorAll('.jp-Notebook .jp-RenderedPlotly, .jp-Notebook .elbo-lab-plot').length);
  clearInterval(sampler);
  await page.close();
  await server.closeSessions();
  return { seconds, drawn: count, charts, peakHeapMB: peak / 1e6 };
}

async function main(argv) {
  const trusted = argv.includes('--trusted');
  const files = argv.filter((a) => a !== '--trusted');
  if (files.length === 0) throw new Error('usage: node bench/lab-open.js executed.ipynb ...');
  const chromiumPath = findChromium();
  if (!chromiumPath) throw new Error('no Chromium (sudo apt-get install chromium)');
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'elbo-lab-bench-nb-'));
  const names = files.map((file, i) => {
    const name = `${String(i).padStart(2, '0')}-${path.basename(path.dirname(path.resolve(file)))}-${path.basename(file)}`;
    fs.copyFileSync(file, path.join(folder, name));
    return { name, file, charts: chartCount(JSON.parse(fs.readFileSync(file, 'utf8'))), bytes: fs.statSync(file).size };
  });
  const { chromium } = require('playwright-core');
  const rows = [];
  const jupyterlab = findJupyterLab();
  if (!jupyterlab) throw new Error('no JupyterLab (none installed, no ../shared/tools/jupyterlab)');
  for (const plotly of [true, false]) {
    const lab = await startLab(jupyterlab, { root: folder, plotly });
    if (trusted) sign(lab, names.map((nb) => path.join(folder, nb.name)));
    const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: LAUNCH_ARGS });
    try {
      for (const nb of names) {
        const result = await openNotebook(browser, lab, nb.name, nb.charts);
        const row = { notebook: nb.file, MB: +(nb.bytes / 1e6).toFixed(2), plotlyExtension: plotly, trusted, ...result };
        rows.push(row);
        process.stdout.write(`${plotly ? 'with   ' : 'without'} Plotly extension  ${nb.file}  ${row.MB} MB  ` +
          `${result.drawn}/${result.charts} charts drawn in ${result.seconds === null ? 'NOT within 180 s' : `${result.seconds.toFixed(1)} s`}  ` +
          `peak JS heap ${result.peakHeapMB.toFixed(0)} MB\n`);
      }
    } finally {
      await browser.close();
      await lab.stop();
    }
  }
  fs.rmSync(folder, { recursive: true, force: true });
  return rows;
}

main(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`lab-open: ${error.message}\n`);
  process.exit(1);
});
