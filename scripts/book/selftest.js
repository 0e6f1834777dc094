// The page checker checked: book pages generated from tiny notebooks, right ones (plain arrays,
// Plotly's typed-array encoding `{dtype, bdata}`, an image trace from a PNG, a math output with its
// TeX source hidden) and wrong ones (a chart with no traces or empty typed arrays; a math output
// whose TeX source shows). The checker must pass the right ones and fail the others, for that reason.
// So must the latent explorer's walker (explorer.js), on a stand-in explorer with the same page
// interface: one that follows the keys passes, one whose readout lags or that never starts fails.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const katex = require('katex');
const { buildSite } = require('./build');
const { checkPage } = require('./check');
const { walkExplorers } = require('./explorer');

// A valid 1×1 PNG: the fallback image is not what these pages test.
const TINY_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

// Where the kernel's chart HTML takes its picture (src/display/plotly.ts, PICTURE_SLOT).
const PICTURE_SLOT = '<!--elbo-lab-picture-->';

/**
 * A chart's text/html as the kernel writes it (src/display/plotly.ts: a div holding the picture
 * slot, then the script that draws it), with the slot filled as scripts/nbrun.py fills it when the
 * executed copy is finished (`png`, base64), or left empty (`png` null).
 */
function chartOutputHtml(png = TINY_PNG) {
  const picture = png === null ? PICTURE_SLOT
    : `<img class="elbo-lab-plot-picture" alt="self-test (picture of the chart)" style="display:block;width:100%;max-width:900px;height:auto" src="data:image/png;base64,${png}">`;
  return `<div id="elbo-plot-self-test" class="elbo-lab-plot" style="width:100%;height:420px">${picture}</div>\n` +
    '<script type="text/javascript">(function () {})();</script>';
}

/**
 * A math output's text/html as src/display/math.ts writes it (mathBundle): the KaTeX rendering,
 * hidden by an attribute, and the TeX source, shown only where the <style> is dropped (a sanitised,
 * untrusted output). `sanitised` drops the <style>, as JupyterLab does for an untrusted notebook.
 */
function mathOutputHtml(tex, { sanitised = false } = {}) {
  const rendered = katex.renderToString(tex, { displayMode: true, output: 'htmlAndMathml', throwOnError: true, strict: 'ignore' });
  const source = `$$${tex}$$`.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  return '<div class="elbo-lab-math">' +
    (sanitised ? '' : '<style>.elbo-lab-math-katex{display:block!important}.elbo-lab-math-tex{display:none!important}</style>') +
    `<div class="elbo-lab-math-katex" hidden style="display:none">${rendered}</div>` +
    `<div class="elbo-lab-math-tex">${source}</div>` +
    '</div>';
}

/** A math output (display_data) of `tex`, as the kernel's showMath writes it. */
function mathOutput(tex, options) {
  return { output_type: 'display_data', metadata: {}, data: { 'text/html': mathOutputHtml(tex, options), 'text/latex': `$$${tex}$$`, 'text/plain': tex } };
}

/**
 * An executed notebook with a Markdown cell (math) and one chart output of the given traces, with
 * the chart's picture (`png`, base64) in its HTML and as image/png, as finished by nbrun.py (null:
 * the empty slot and no image/png, as before finishing),
 * followed by `outputs` (more outputs of the same cell).
 */
function chartNotebook(traces, { png = TINY_PNG, outputs = [] } = {}) {
  const figure = { data: traces, layout: { title: { text: 'self-test' }, xaxis: { title: { text: 'step' } }, yaxis: { title: { text: 'value (nats)' } } } };
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      { cell_type: 'markdown', metadata: {}, source: '# Checker self-test\n\nInline $x_1$ and display $$\\frac{a}{b} = \\log p_\\theta(x)$$' },
      {
        cell_type: 'code', metadata: {}, execution_count: 1, source: 'showPlot(figure);',
        outputs: [{
          output_type: 'display_data', metadata: {},
          data: { 'application/vnd.plotly.v1+json': figure, 'text/html': chartOutputHtml(png), ...(png === null ? {} : { 'image/png': png }), 'text/plain': '[self-test] Plotly chart' },
        }, ...outputs],
      },
    ],
  };
}

/**
 * A stand-in for a latent explorer's output (the page interface of src/display/latentExplorer.ts
 * the walker reads: the root's handle z() and decode(), a focusable plane, a digit canvas, the
 * readout), with a 2 × 2 "digit". `follows`: its readout follows the keys; `live`: its script runs.
 */
function explorerOutputHtml({ follows = true, live = true } = {}) {
  const picture = `<div class="elbo-lab-explorer-fallback"><img class="elbo-lab-explorer-picture" alt="self-test explorer (picture)" src="data:image/png;base64,${TINY_PNG}"></div>`;
  const script = `<script type="text/javascript">(function () {
  var root = document.getElementById('elbo-latent-self-test'), z = [0, 0];
  var live = document.createElement('div'), plane = document.createElement('canvas'), digit = document.createElement('canvas'), readout = document.createElement('p');
  live.className = 'elbo-lab-explorer-live'; plane.className = 'elbo-lab-plane'; plane.tabIndex = 0; digit.className = 'elbo-lab-digit'; readout.className = 'elbo-lab-readout';
  digit.width = 2; digit.height = 2;
  live.appendChild(plane); live.appendChild(digit); live.appendChild(readout); root.appendChild(live);
  root.querySelector('.elbo-lab-explorer-fallback').style.display = 'none';
  function decode(model, z1, z2) { var v = [], k; for (k = 0; k < 4; k++) v.push(Math.abs(Math.sin((k + 1) * z1 + z2))); return v; }
  function number(v) { var s = v.toFixed(2); if (Number(s) === 0) s = (0).toFixed(2); return s.replace('-', '\u2212'); }
  function say() { readout.setAttribute('data-z1', String(z[0])); readout.setAttribute('data-z2', String(z[1])); readout.textContent = 'z = (' + number(z[0]) + ', ' + number(z[1]) + ')'; }
  function draw() {
    var g = digit.getContext('2d'), picture = g.createImageData(2, 2), v = decode(0, z[0], z[1]);
    for (var p = 0; p < 4; p++) { picture.data[4 * p] = picture.data[4 * p + 1] = picture.data[4 * p + 2] = Math.round(255 * v[p]); picture.data[4 * p + 3] = 255; }
    g.putImageData(picture, 0, 0);
  }
  plane.addEventListener('keydown', function (event) {
    if (event.key === 'ArrowRight') z[0] += 0.125; else if (event.key === 'ArrowUp') z[1] += 0.125; else return;
    event.preventDefault();
    draw();${follows ? ' say();' : ''}
  });
  root.elboLabExplorer = { z: function () { return z.slice(); }, decode: decode };
  draw(); say();
})();</script>`;
  return `<div id="elbo-latent-self-test" class="elbo-lab-latent-explorer">${picture}</div>\n${live ? script : ''}`;
}

/** The stand-in explorer as an output (display_data). */
function explorerOutput(options) {
  return { output_type: 'display_data', metadata: {}, data: { 'text/html': explorerOutputHtml(options), 'text/plain': '[self-test] Latent explorer' } };
}

/** Plotly's typed-array encoding of numbers ({dtype, bdata}: base64 of the little-endian bytes). */
function typedArraySpec(values, dtype = 'f8') {
  const array = dtype === 'f4' ? Float32Array.from(values) : Float64Array.from(values);
  return { dtype, bdata: Buffer.from(array.buffer).toString('base64') };
}

const CASES = [
  { name: 'a right page passes', traces: [{ type: 'scatter', mode: 'lines', name: 'curve', x: [1, 2, 3], y: [2, 1, 3] }], pass: true },
  { name: 'a chart with empty data fails', traces: [], pass: false, reason: /chart-1: the figure has no traces/ },
  {
    name: 'a chart of typed arrays (bdata) passes',
    traces: [{ type: 'scatter', mode: 'lines', name: 'typed curve', x: typedArraySpec([1, 2, 3]), y: typedArraySpec([2, 1, 3], 'f4') }],
    pass: true,
  },
  {
    name: 'an image trace from a PNG passes',
    traces: [{ type: 'image', name: 'mosaic', source: `data:image/png;base64,${TINY_PNG}` }],
    pass: true,
  },
  {
    name: 'a chart whose typed arrays are empty fails',
    traces: [{ type: 'scatter', mode: 'lines', name: 'empty typed curve', x: { dtype: 'f8', bdata: '' }, y: { dtype: 'f8', bdata: '' } }],
    pass: false,
    reason: /chart-1: trace «empty typed curve» has no data points/,
  },
  {
    name: 'a math output (KaTeX shown, its TeX source hidden) passes',
    traces: [{ type: 'scatter', mode: 'lines', name: 'curve', x: [1, 2, 3], y: [2, 1, 3] }],
    outputs: [mathOutput('\\mathrm{KL}(q \\| p) \\ge 0')],
    pass: true,
  },
  {
    name: 'a math output whose TeX source shows fails',
    traces: [{ type: 'scatter', mode: 'lines', name: 'curve', x: [1, 2, 3], y: [2, 1, 3] }],
    outputs: [mathOutput('\\mathrm{KL}(q \\| p) \\ge 0', { sanitised: true })],
    pass: false,
    reason: /raw TeX left in the text: «\$\$\\mathrm\{KL\}/,
  },
  {
    name: 'a latent explorer that follows the keys passes the walk',
    traces: [{ type: 'scatter', mode: 'lines', name: 'curve', x: [1, 2, 3], y: [2, 1, 3] }],
    outputs: [explorerOutput()],
    explorers: 1,
    pass: true,
  },
  {
    name: 'a latent explorer whose readout does not follow the keys fails the walk',
    traces: [{ type: 'scatter', mode: 'lines', name: 'curve', x: [1, 2, 3], y: [2, 1, 3] }],
    outputs: [explorerOutput({ follows: false })],
    explorers: 1,
    pass: false,
    reason: /explorer 1: the readout says z = \(0, 0\), the explorer is at \(0\.25,0\.125\)/,
  },
  {
    name: 'a latent explorer that never starts fails the walk',
    traces: [{ type: 'scatter', mode: 'lines', name: 'curve', x: [1, 2, 3], y: [2, 1, 3] }],
    outputs: [explorerOutput({ live: false })],
    explorers: 1,
    pass: false,
    reason: /explorer 1: not live within 2 s/,
  },
];

/** Build and check each case in `context` (a Playwright browser context); one result per case. */
async function checkerSelfTest(context, { python } = {}) {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'elbo-lab-checker-'));
  try {
    const results = [];
    for (const [index, testCase] of CASES.entries()) {
      const out = path.join(folder, `case-${index}`);
      const { pages } = buildSite({ 'self-test': chartNotebook(testCase.traces, { outputs: testCase.outputs }) }, out, python ? { python, toc: [] } : { toc: [] });
      const interact = testCase.explorers ? (page) => walkExplorers(page, { count: testCase.explorers, timeoutMs: 2000 }) : undefined;
      const { problems } = await checkPage(context, `file://${pages[0].file}`, { expect: { charts: 1, katex: true, relative: true }, interact });
      const ok = testCase.pass ? problems.length === 0 : problems.some((p) => testCase.reason.test(p));
      results.push({ name: `checker self-test: ${testCase.name}`, ok, problems: ok ? [] : [`the checker said: ${problems.join('; ') || 'no problem'}`] });
    }
    return results;
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

module.exports = { chartNotebook, chartOutputHtml, mathOutput, mathOutputHtml, explorerOutput, explorerOutputHtml, checkerSelfTest, typedArraySpec, CASES, TINY_PNG, PICTURE_SLOT };

// `node scripts/book/selftest.js`: the self-test alone, in Debian's Chromium; exits 1 on a failure.
if (require.main === module) {
  const { launchChromium } = require('../chromium');
  (async () => {
    const browser = await launchChromium();
    let failed = 0;
    try {
      for (const result of await checkerSelfTest(browser.context)) {
        failed += result.ok ? 0 : 1;
        process.stdout.write(`${result.ok ? '✓' : '✗'} ${result.name}${result.ok ? '' : `: ${result.problems.join('; ')}`}\n`);
      }
    } finally {
      await browser.close();
    }
    process.exit(failed > 0 ? 1 : 0);
  })().catch((error) => {
    process.stderr.write(`selftest: ${error.message}\n`);
    process.exit(2);
  });
}
