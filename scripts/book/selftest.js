// The page checker checked: book pages generated from tiny notebooks, right ones (plain arrays,
// Plotly's typed-array encoding `{dtype, bdata}`, an image trace from a PNG) and ones whose chart
// has empty data (no traces; empty typed arrays). The checker must pass the right ones and fail
// the others, for that reason.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { buildSite } = require('./build');
const { checkPage } = require('./check');

// A valid 1×1 PNG: the fallback image is not what these pages test.
const TINY_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

/** An executed notebook with a Markdown cell (math) and one chart output of the given traces. */
function chartNotebook(traces) {
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
          data: { 'application/vnd.plotly.v1+json': figure, 'image/png': TINY_PNG, 'text/html': '<div></div><script></script>', 'text/plain': '[self-test] Plotly chart' },
        }],
      },
    ],
  };
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
];

/** Build and check each case in `context` (a Playwright browser context); one result per case. */
async function checkerSelfTest(context, { python } = {}) {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'elbo-lab-checker-'));
  try {
    const results = [];
    for (const [index, testCase] of CASES.entries()) {
      const out = path.join(folder, `case-${index}`);
      const { pages } = buildSite({ 'self-test': chartNotebook(testCase.traces) }, out, python ? { python, toc: [] } : { toc: [] });
      const { problems } = await checkPage(context, `file://${pages[0].file}`, { expect: { charts: 1, katex: true, relative: true } });
      const ok = testCase.pass ? problems.length === 0 : problems.some((p) => testCase.reason.test(p));
      results.push({ name: `checker self-test: ${testCase.name}`, ok, problems: ok ? [] : [`the checker said: ${problems.join('; ') || 'no problem'}`] });
    }
    return results;
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

module.exports = { chartNotebook, checkerSelfTest, typedArraySpec, CASES, TINY_PNG };

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
