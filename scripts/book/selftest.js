// The page checker checked: book pages generated from tiny notebooks, one right and one whose
// chart has empty data. The checker must pass the first and fail the second, for that reason.
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

const CASES = [
  { name: 'a right page passes', traces: [{ type: 'scatter', mode: 'lines', name: 'curve', x: [1, 2, 3], y: [2, 1, 3] }], pass: true },
  { name: 'a chart with empty data fails', traces: [], pass: false, reason: /chart-1: the figure has no traces/ },
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

module.exports = { chartNotebook, checkerSelfTest, TINY_PNG };
