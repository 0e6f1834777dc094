#!/usr/bin/env node
// Render Plotly figures to PNG in headless Chromium, for executed notebooks viewed where no
// JavaScript runs (GitHub, some viewers): `node scripts/render-plots.js figures.json images.json`.
// figures.json: [{data, layout}, ...]; images.json receives [base64 PNG | null, ...].
// Exit 3 (with one line) when no Chromium is installed; never downloads a browser.
'use strict';

const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
// How wide a PNG copy may be. A chart is laid out as in the notebook (layout width × height,
// default 900 × 420 CSS px) and drawn scaled so that its PNG is at most this wide: the default
// chart becomes 720 px wide (text 12 → 9.6 px, still legible; a mosaic's 28-pixel digits still
// read), smaller layouts keep their size. Measured on the seven executed notebooks (41 charts):
// 1.83 MB of PNG at 900 px, 1.39 MB at 720 px (−24%). Laying the chart out narrower instead
// (width 700) saved only 11% and squeezed the plot beside right-hand legends. Plotly.toImage has
// no palette or compression setting; Chromium writes RGBA PNG.
const PNG_MAX_WIDTH = 720;
const { LAUNCH_ARGS, findChromium } = require('./chromium');

async function main() {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) {
    process.stderr.write('usage: render-plots.js figures.json images.json\n');
    process.exit(2);
  }
  const executablePath = findChromium();
  if (!executablePath) {
    process.stdout.write('render-plots: no Chromium found (sudo apt-get install chromium, or set ELBO_LAB_CHROMIUM); charts keep no PNG copy\n');
    process.exit(3);
  }
  const { chromium } = require('playwright-core');
  const figures = JSON.parse(fs.readFileSync(input, 'utf8'));
  // Playwright gives every launch a fresh, temporary profile (user data dir).
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: LAUNCH_ARGS,
  });
  try {
    const page = await browser.newPage();
    await page.setContent('<!doctype html><html><body></body></html>');
    const library = require('../src/display/plotly-library.json'); // the bundle the notebooks load
    await page.addScriptTag({ path: path.join(ROOT, 'node_modules', library.package, library.file) });
    const images = [];
    for (const figure of figures) {
      try {
        images.push(await page.evaluate(async ([fig, maxWidth]) => {
          const element = document.createElement('div');
          document.body.appendChild(element);
          const layout = { ...fig.layout };
          const width = typeof layout.width === 'number' ? layout.width : 900;
          const height = typeof layout.height === 'number' ? layout.height : 420;
          await window.Plotly.newPlot(element, fig.data, { ...layout, width, height }, { staticPlot: true });
          const scale = Math.min(1, maxWidth / width);
          const url = await window.Plotly.toImage(element, { format: 'png', width, height, scale });
          window.Plotly.purge(element);
          element.remove();
          return url.slice(url.indexOf(',') + 1);
        }, [figure, PNG_MAX_WIDTH]));
      } catch (error) {
        process.stdout.write(`render-plots: a figure could not be rendered (${error.message.split('\n')[0]})\n`);
        images.push(null);
      }
    }
    fs.writeFileSync(output, JSON.stringify(images));
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  process.stderr.write(`render-plots: ${error.message}\n`);
  process.exit(1);
});
