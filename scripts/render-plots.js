#!/usr/bin/env node
// Render Plotly figures to PNG in headless Chromium, for executed notebooks viewed where no
// JavaScript runs (GitHub, some viewers): `node scripts/render-plots.js figures.json images.json`.
// figures.json: [{data, layout}, ...]; images.json receives [base64 PNG | null, ...], each an
// 8-bit indexed PNG (colour type 3, at most 256 colours).
// Exit 3 (with one line) when no Chromium is installed; never downloads a browser. Needs the
// library built into dist/ (npm run setup), whose quantiser and PNG encoder write the pictures.
'use strict';

const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
// How wide a PNG copy may be. A chart is laid out as in the notebook (layout width × height,
// default 900 × 420 CSS px) and drawn scaled so that its PNG is at most this wide: the default
// chart becomes 720 px wide (text 12 → 9.6 px, still legible; a mosaic's 28-pixel digits still
// read), smaller layouts keep their size. Measured on the seven executed notebooks (41 charts),
// as RGBA PNG: 1.83 MB at 900 px, 1.39 MB at 720 px (−24%). Laying the chart out narrower instead
// (width 700) saved only 11% and squeezed the plot beside right-hand legends.
// Plotly.toImage has no palette or compression setting and Chromium writes RGBA PNG, so its
// pixels are read back from a canvas and written again as an indexed PNG (src/display/palette.ts,
// png.ts): exact where a chart has at most 256 colours (flat fills, gray mosaics), else reduced to
// 256 by median cut, which keeps the flat colours and moves antialiased edge pixels by a few
// levels. Measured, notebook 04's 14 charts: 898 KB as RGBA, 366 KB indexed (−59%); 6 exact (the
// digit mosaics and histograms), the other 8 off by 0.16 of a level per channel on average, by
// more than 16 levels on 0.04% of their pixels (at most 34). All 48 charts of the seven executed
// notebooks: 2.00 MB → 0.72 MB (−64%).
const PNG_MAX_WIDTH = 720;
const { LAUNCH_ARGS, findChromium } = require('./chromium');

// The quantiser and the indexed-PNG encoder are the course library's (src/display/palette.ts and
// png.ts), as built into dist/ by setup; one copy of the code, tested with the library.
function pictureLibrary() {
  const files = ['palette.js', 'png.js'].map((name) => path.join(ROOT, 'dist', 'display', name));
  const missing = files.find((file) => !fs.existsSync(file));
  if (missing) throw new Error(`the library is not built (no ${path.relative(ROOT, missing)}): run npm run setup`);
  const [{ quantizeRgba }, { encodeIndexedPng }] = files.map((file) => require(file));
  if (typeof quantizeRgba !== 'function' || typeof encodeIndexedPng !== 'function') {
    throw new Error('the library in dist/ predates quantizeRgba and encodeIndexedPng: run npm run setup');
  }
  return { quantizeRgba, encodeIndexedPng };
}

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
  const library = pictureLibrary();
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
    const bundle = require('../src/display/plotly-library.json'); // the bundle the notebooks load
    await page.addScriptTag({ path: path.join(ROOT, 'node_modules', bundle.package, bundle.file) });
    const images = [];
    for (const figure of figures) {
      try {
        const { width, height, rgba } = await page.evaluate(async ([fig, maxWidth]) => {
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
          // Chromium's PNG back to pixels: drawn at its own size, read as straight-alpha RGBA.
          const image = new Image();
          image.src = url;
          await image.decode();
          const canvas = document.createElement('canvas');
          canvas.width = image.naturalWidth;
          canvas.height = image.naturalHeight;
          const context = canvas.getContext('2d');
          context.drawImage(image, 0, 0);
          const bytes = context.getImageData(0, 0, canvas.width, canvas.height).data;
          let binary = '';
          for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
          return { width: canvas.width, height: canvas.height, rgba: btoa(binary) };
        }, [figure, PNG_MAX_WIDTH]);
        const { indices, palette } = library.quantizeRgba(Buffer.from(rgba, 'base64'), width, height);
        images.push(library.encodeIndexedPng(indices, palette, width, height).toString('base64'));
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
