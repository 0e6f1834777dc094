// What a JupyterLab page shows, read in the page (serialised by Playwright), and the verdict on it.
// Charts and raw TeX are read by the book's collector (scripts/book/check.js) on JupyterLab's
// output areas; what is JupyterLab's own is read here: the notebook model (through
// window.jupyterapp, which the test server exposes), pictures standing in for charts, MathJax and
// KaTeX as shown, the course's tables.
'use strict';

const { collectStats, judgeChart } = require('../book/check');

const SCOPE = '.jp-Notebook .jp-MarkdownOutput, .jp-Notebook .jp-OutputArea-output';
const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

/** How many charts a notebook (its JSON) should show: its Plotly outputs. */
function chartCount(notebook) {
  return notebook.cells.flatMap((c) => c.outputs || []).filter((o) => o.data && o.data[PLOTLY_MIME]).length;
}

/** On labStats: every one of `n` charts drawn, live or as its picture (time to interactive ends here). */
const chartsDrawn = (s, n) => s.charts.length >= n && s.charts.every((c) => c.shown === 'live' || c.shown === 'picture');

/** Runs IN THE PAGE: the current notebook's model and what its output areas show. */
function labStats() {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  const notebook = panel && panel.content;
  const visible = (element) => element.getClientRects().length > 0 && getComputedStyle(element).visibility !== 'hidden';
  const cells = notebook ? notebook.widgets.map((cell) => {
    const model = cell.model;
    const outputs = model.type === 'code' ? model.outputs.toJSON() : [];
    return {
      type: model.type,
      count: model.type === 'code' ? model.executionCount : null,
      prompt: model.type === 'code' ? (cell.node.querySelector('.jp-InputPrompt') || {}).textContent || '' : '',
      errors: outputs.filter((o) => o.output_type === 'error').map((o) => `${o.ename}: ${o.evalue}`),
      trusted: model.trusted,
    };
  }) : [];
  const kernel = panel && panel.sessionContext && panel.sessionContext.session && panel.sessionContext.session.kernel;
  // One chart per Plotly output: the Plotly extension's renderer, else the course's HTML div.
  const charts = Array.from(document.querySelectorAll('.jp-Notebook .jp-RenderedPlotly, .jp-Notebook .jp-RenderedHTMLCommon .elbo-lab-plot')).map((node) => {
    const live = node.classList.contains('js-plotly-plot') ? node : node.querySelector('.js-plotly-plot');
    const pictures = Array.from(node.querySelectorAll('img.elbo-lab-plot-picture, img.plot-img')).filter(visible);
    const loaded = pictures.filter((img) => img.complete && img.naturalWidth > 0);
    const shown = live && live.querySelector('.main-svg') ? 'live' : loaded.length > 0 ? 'picture' : pictures.length > 0 ? 'picture not loaded' : 'empty';
    return { shown, height: node.getBoundingClientRect().height };
  });
  const equations = Array.from(document.querySelectorAll('.jp-Notebook .elbo-lab-math')).map((node) => {
    const katex = Array.from(node.querySelectorAll('.katex')).filter(visible);
    const mathjax = Array.from(node.querySelectorAll('mjx-container')).filter(visible);
    return katex.length > 0 ? 'katex' : mathjax.length > 0 ? 'mathjax' : 'not typeset';
  });
  const tables = Array.from(document.querySelectorAll('.jp-Notebook table.elbo-lab-table')).map((table) => {
    const caption = table.querySelector('caption');
    const rows = Array.from(table.querySelectorAll('tbody tr')).map((tr) => Array.from(tr.children).map((td) => td.textContent.trim()));
    return { caption: caption ? caption.textContent.trim() : '', rows, visible: visible(table) && table.getBoundingClientRect().height > 20 };
  });
  const markdownWithMath = Array.from(document.querySelectorAll('.jp-Notebook .jp-MarkdownOutput')).filter((node) => node.querySelector('mjx-container')).length;
  return {
    cells,
    kernel: kernel ? kernel.status : 'none',
    dirty: Boolean(panel && panel.context && panel.context.model.dirty),
    kernelName: kernel ? kernel.name : '',
    charts,
    equations,
    tables,
    markdownWithMath,
    mathjax: document.querySelectorAll('.jp-Notebook mjx-container').length,
    mathjaxErrors: document.querySelectorAll('.jp-Notebook mjx-merror').length,
    katexFontsLoaded: Array.from(document.fonts).filter((f) => /KaTeX/.test(f.family) && f.status === 'loaded').length,
  };
}

/** Both collectors at once. */
async function readPage(page) {
  const [lab, shown] = await Promise.all([
    page.evaluate(labStats),
    page.evaluate(collectStats, { scope: SCOPE, chartSelector: '.js-plotly-plot' }),
  ]);
  return { ...lab, liveCharts: shown.charts, rawTex: shown.rawTex, katexErrors: shown.katexErrors };
}

/**
 * The verdict on a notebook as JupyterLab shows it: a list of problems, empty when right.
 * `expect.charts`: how many Plotly outputs the notebook holds; `expect.live`: charts must be live
 * (not pictures); `expect.run`: every code cell ran (Run All); `expect.claims`: the claims table is
 * shown with every claim held; `expect.unmodified`: opening it (and its kernel starting) left it
 * unmodified, so closing it asks nothing.
 */
function judgeLab(stats, expect = {}) {
  const problems = [];
  for (const message of stats.consoleErrors || []) problems.push(`console error: ${message}`);
  for (const url of stats.external || []) problems.push(`request leaves the machine: ${url}`);
  for (const cell of stats.cells) for (const error of cell.errors) problems.push(`error output: ${error.slice(0, 300)}`);
  if (expect.unmodified && stats.dirty) problems.push('opening it marked it modified (unsaved changes the reader never made)');
  if (expect.run) {
    const code = stats.cells.filter((c) => c.type === 'code');
    const unrun = code.filter((c) => typeof c.count !== 'number').length;
    if (unrun > 0) problems.push(`${unrun} of ${code.length} code cells did not run`);
  }
  if (typeof expect.charts === 'number' && stats.charts.length !== expect.charts) {
    problems.push(`${stats.charts.length} chart(s) shown, ${expect.charts} in the notebook`);
  }
  stats.charts.forEach((chart, i) => {
    if (chart.shown !== 'live' && chart.shown !== 'picture') problems.push(`chart ${i + 1}: ${chart.shown}`);
    else if (expect.live && chart.shown !== 'live') problems.push(`chart ${i + 1}: a picture, not the live chart`);
    if (chart.height < 100) problems.push(`chart ${i + 1}: only ${Math.round(chart.height)} px tall`);
  });
  for (const chart of stats.liveCharts) problems.push(...judgeChart(chart));
  stats.equations.forEach((shown, i) => { if (shown === 'not typeset') problems.push(`equation output ${i + 1} not typeset`); });
  if (stats.equations.includes('katex') && stats.katexFontsLoaded === 0) problems.push('KaTeX shown without its fonts (math set in fallback fonts)');
  if (stats.markdownWithMath === 0) problems.push('no typeset math in the Markdown cells (MathJax)');
  if (stats.mathjaxErrors > 0) problems.push(`${stats.mathjaxErrors} MathJax error(s)`);
  if (stats.katexErrors > 0) problems.push(`${stats.katexErrors} KaTeX error(s)`);
  for (const text of stats.rawTex) problems.push(`raw TeX left in the text: «${text}»`);
  for (const table of stats.tables) {
    if (!table.visible) problems.push(`table «${table.caption}» not shown`);
    if (table.rows.length === 0) problems.push(`table «${table.caption}» has no rows`);
  }
  if (expect.claims) {
    const claims = stats.tables.find((t) => /^Claims checked/.test(t.caption));
    if (!claims) problems.push('no claims table');
    else {
      const failed = claims.rows.filter((row) => row[row.length - 1] !== '✓');
      for (const row of failed) problems.push(`claim not held: ${row.slice(1, 2).join('')} (${row[row.length - 1]})`);
    }
  }
  return problems;
}

module.exports = { labStats, readPage, judgeLab, chartCount, chartsDrawn, SCOPE };
