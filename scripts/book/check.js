// The page checker: loads a page in Chromium and judges what a reader would see. Collection runs
// in the page (`collectStats`, also used on the live Notebook's output area); the verdict is the
// pure function `judgePage`, unit-tested on hand-made stats.
'use strict';

/** Requests that stay on this machine: files, inline data, and localhost servers. */
function isLocalUrl(url) {
  if (/^(file|data|blob|about):/i.test(url)) return true;
  try {
    const { protocol, hostname } = new URL(url);
    return /^(https?|wss?):$/.test(protocol) && ['localhost', '127.0.0.1', '[::1]'].includes(hostname);
  } catch {
    return false;
  }
}

/**
 * Runs IN THE PAGE (serialised by Playwright): charts, math and raw TeX of the elements matching
 * `scope`. A chart is a Plotly graph div (`chartSelector`); what it should show comes from the
 * figure JSON beside it (the book) or from the graph div itself (a live notebook).
 */
function collectStats({ scope, chartSelector }) {
  const roots = Array.from(document.querySelectorAll(scope));
  const inRoots = (selector) => roots.flatMap((root) => Array.from(root.querySelectorAll(selector)));
  const TRACE_NODES = 'g.trace, g.hm, g.contour, g.im';
  const GL_TYPES = /^(surface|scatter3d|mesh3d|scattergl|heatmapgl|cone|volume|isosurface|streamtube)$/;
  // Data points of a trace: plain arrays, typed arrays, Plotly's typed-array specs
  // ({dtype, bdata, shape}: the decoded length) and an image trace's `source` (a PNG data URI).
  const DTYPE_BYTES = { i1: 1, u1: 1, u1c: 1, i2: 2, u2: 2, i4: 4, u4: 4, f4: 4, f8: 8 };
  const base64Bytes = (text) => {
    const clean = text.replace(/\s/g, '');
    const padding = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0;
    return Math.max(0, Math.floor((clean.length * 3) / 4) - padding);
  };
  const length = (value) => {
    if (value == null) return 0;
    if (Array.isArray(value)) return value.length;
    if (ArrayBuffer.isView(value)) return value.length !== undefined ? value.length : value.byteLength;
    if (typeof value === 'object' && typeof value.dtype === 'string' && value.bdata !== undefined) {
      const shape = typeof value.shape === 'string' ? value.shape.split(',').map(Number)
        : Array.isArray(value.shape) ? value.shape.map(Number) : null;
      const size = DTYPE_BYTES[value.dtype] || 1;
      const stored = typeof value.bdata === 'string' ? base64Bytes(value.bdata)
        : value.bdata instanceof ArrayBuffer || ArrayBuffer.isView(value.bdata) ? value.bdata.byteLength : 0;
      const decoded = Math.floor(stored / size);
      const product = shape && shape.length > 0 && shape.every((n) => Number.isFinite(n) && n >= 0)
        ? shape.reduce((a, b) => a * b, 1) : decoded;
      return Math.min(product, decoded);
    }
    return 0;
  };
  const points = (trace) => {
    const counts = ['x', 'y', 'z', 'values', 'lat', 'a'].map((key) => length(trace[key]));
    if (typeof trace.source === 'string' && /^data:image\/[a-z+]+;base64,[A-Za-z0-9+/]/.test(trace.source)) counts.push(1);
    // A picture the book page carries once, as the chart's fallback image (book.js puts it back).
    if (typeof trace.source === 'string' && /^#picture-\d+$/.test(trace.source)) counts.push(1);
    return counts.reduce((a, b) => Math.max(a, b), 0);
  };
  const plain = (title) => {
    const t = typeof title === 'string' ? title : title && title.text;
    return typeof t === 'string' ? t.replace(/<br\s*\/?>/gi, ' ').replace(/<[^>]+>/g, '').replace(/&amp;/g, '&').replace(/\s+/g, '') : '';
  };
  const marked = (node) => Array.from(node.querySelectorAll('path')).some((p) => (p.getAttribute('d') || '').length > 4) ||
    node.querySelectorAll('image, text').length > 0;

  const charts = inRoots(chartSelector).map((gd, index) => {
    const figureElement = gd.closest('figure.book-chart');
    const script = figureElement && figureElement.querySelector('script.book-figure');
    const figure = gd.data ? { data: gd.data, layout: gd.layout || {} } : script ? JSON.parse(script.textContent) : { data: [], layout: {} };
    const traces = (figure.data || []).filter((t) => t.visible !== false);
    const gl = traces.filter((t) => GL_TYPES.test(t.type || ''));
    const svg = traces.filter((t) => !GL_TYPES.test(t.type || ''));
    const nodes = Array.from(gd.querySelectorAll(TRACE_NODES)).filter((n) => !n.closest('.legend'));
    const canvases = Array.from(gd.querySelectorAll('.gl-container canvas')).filter((c) => c.width > 0 && c.height > 0);
    const titles = Object.keys(figure.layout || {})
      .filter((key) => /^[xy]axis\d*$/.test(key) && plain(figure.layout[key].title))
      .map((key) => {
        const shown = gd.querySelector(`.g-${key.replace('axis', '')}title`);
        return { axis: key, expected: plain(figure.layout[key].title), shown: shown ? shown.textContent.replace(/\s+/g, '') : '' };
      });
    const images = figureElement ? Array.from(figureElement.querySelectorAll('img.book-chart-fallback')) : [];
    return {
      id: (figureElement && figureElement.id) || `chart ${index + 1}`,
      state: figureElement ? (figureElement.classList.contains('drawn') ? 'drawn' : figureElement.classList.contains('failed') ? 'failed' : 'pending')
        : (gd.classList.contains('js-plotly-plot') ? 'drawn' : 'pending'),
      traces: traces.length,
      emptyTraces: traces.filter((t) => points(t) === 0).map((t, i) => String(t.name || t.type || `trace ${i + 1}`)),
      svgExpected: svg.filter((t) => points(t) > 0).length,
      svgDrawn: nodes.filter(marked).length,
      glExpected: gl.length > 0,
      glCanvases: canvases.length,
      cartesian: svg.length > 0 && !svg.every((t) => ['pie', 'table'].includes(t.type)),
      titles,
      fallback: !figureElement ? 'n/a' : images.length === 0 ? 'missing' : images.every((img) => img.complete && img.naturalWidth > 0) ? 'loaded' : 'broken',
    };
  });

  // Raw TeX a reader sees: text outside typeset math (KaTeX's `.katex`, MathJax's `mjx-container`)
  // and code, and rendered. A math output carries its TeX source hidden beside the KaTeX
  // (`.elbo-lab-math-tex`, shown only where its <style> is sanitised away): hidden text, not raw TeX.
  const rawTex = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const RAW = /\$\$|\\(frac|begin\{|mathbb|mathrm|mathcal|log|theta|phi|sigma|mu|sum|int)(?![a-z])/;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest('.katex, mjx-container, script, style, pre, code, .book-input, .input, .CodeMirror, textarea')) continue;
    if (!roots.some((root) => root.contains(node))) continue;
    if (parent.getClientRects().length === 0) continue; // not rendered (display: none, hidden)
    const match = RAW.exec(node.textContent);
    if (match) rawTex.push(node.textContent.slice(Math.max(0, match.index - 30), match.index + 40).trim());
  }
  const fonts = Array.from(document.fonts || []).filter((f) => /^"?KaTeX/.test(f.family));
  // Resources a page loads must sit beside it (relative) or inline: no /usr/share/..., no file:///home/...
  const absoluteRefs = Array.from(document.querySelectorAll('script[src], link[href], img[src], iframe[src], source[src]'))
    .map((element) => element.getAttribute('src') || element.getAttribute('href'))
    .filter((ref) => /^(\/|[a-z][a-z0-9+.-]*:)/i.test(ref) && !/^data:/i.test(ref));
  return {
    charts,
    absoluteRefs,
    errorOutputs: inRoots('.book-error').length,
    rawTex,
    katexNodes: inRoots('.katex').length,
    katexErrors: inRoots('.katex-error').length,
    katexFontsLoaded: fonts.filter((f) => f.status === 'loaded').length,
    katexFontErrors: fonts.filter((f) => f.status === 'error').map((f) => f.family),
  };
}

/**
 * The verdict on one page: a list of problems, empty when the page is right. `expect.charts` is how
 * many charts the page must have (the build knows); `expect.katex` whether it must show math;
 * `expect.relative` whether every resource must be referenced relatively (a static site).
 */
function judgePage(stats, expect = {}) {
  const problems = [];
  for (const message of stats.consoleErrors || []) problems.push(`console error: ${message}`);
  for (const url of stats.external || []) problems.push(`request leaves the machine: ${url}`);
  for (const failure of stats.failedRequests || []) problems.push(`request failed: ${failure}`);
  for (const text of stats.rawTex) problems.push(`raw TeX left in the text: «${text}»`);
  if (expect.relative) for (const ref of stats.absoluteRefs) problems.push(`resource by absolute path or URL (not portable offline): ${ref}`);
  if (stats.errorOutputs > 0) problems.push(`${stats.errorOutputs} error output(s) shown (a cell failed when the notebook ran)`);
  if (expect.katex !== false && stats.katexNodes === 0) problems.push('no KaTeX nodes: the page shows no typeset math');
  if (stats.katexErrors > 0) problems.push(`${stats.katexErrors} KaTeX error node(s)`);
  if (stats.katexNodes > 0 && stats.katexFontsLoaded === 0) problems.push('no KaTeX font loaded (math set in fallback fonts)');
  for (const family of stats.katexFontErrors) problems.push(`KaTeX font failed to load: ${family}`);
  if (typeof expect.charts === 'number' && stats.charts.length !== expect.charts) {
    problems.push(`${stats.charts.length} chart(s) on the page, ${expect.charts} expected`);
  }
  for (const chart of stats.charts) problems.push(...judgeChart(chart));
  return problems;
}

function judgeChart(chart) {
  const problems = [];
  const say = (text) => problems.push(`${chart.id}: ${text}`);
  if (chart.traces === 0) say('the figure has no traces (empty data)');
  for (const name of chart.emptyTraces) say(`trace «${name}» has no data points`);
  if (chart.state !== 'drawn') say(`not drawn (${chart.state})`);
  if (chart.svgDrawn < chart.svgExpected) say(`drew ${chart.svgDrawn} of ${chart.svgExpected} traces`);
  if (chart.glExpected && chart.glCanvases === 0) say('its WebGL traces drew no canvas');
  if (chart.cartesian) {
    for (const letter of ['x', 'y']) {
      if (!chart.titles.some((t) => t.axis.startsWith(letter) && t.shown)) say(`no ${letter}-axis title shown`);
    }
  }
  for (const title of chart.titles) {
    if (title.shown !== title.expected) say(`${title.axis} title shows «${title.shown}», expected «${title.expected}»`);
  }
  if (chart.fallback === 'missing' || chart.fallback === 'broken') say(`static fallback image ${chart.fallback}`);
  return problems;
}

/** Wait for web fonts: where KaTeX math is shown, until a KaTeX face has loaded (10 s at most;
 * font loads start lazily at layout, so `document.fonts.ready` alone can resolve too early). */
async function settleFonts(page) {
  await page.waitForFunction(() => document.querySelectorAll('.katex').length === 0 ||
    Array.from(document.fonts).some((f) => /KaTeX/.test(f.family) && f.status === 'loaded'), null, { timeout: 10_000, polling: 100 }).catch(() => {});
  await page.evaluate(() => document.fonts.ready.then(() => true));
}

/**
 * Open `url` in a new page of `context`, wait for its charts, judge it and save a full-page
 * screenshot to `screenshot` (when given). Requests that would leave the machine are recorded
 * and blocked. `interact(page)`, when given, is what a reader does on the page once it is drawn
 * (e.g. walking a latent explorer, scripts/book/explorer.js): its problems are the check's too, and
 * so are the requests and console errors it causes.
 */
async function checkPage(context, url, { screenshot, expect = {}, timeoutMs = 60_000, interact } = {}) {
  const page = await context.newPage();
  const consoleErrors = [];
  const external = [];
  const failedRequests = [];
  page.on('console', (message) => { if (message.type() === 'error') consoleErrors.push(message.text()); });
  page.on('pageerror', (error) => consoleErrors.push(String(error.message || error)));
  page.on('requestfailed', (request) => {
    if (isLocalUrl(request.url())) failedRequests.push(`${request.url()} (${(request.failure() || {}).errorText})`);
  });
  await page.route('**/*', (route) => {
    const target = route.request().url();
    if (isLocalUrl(target)) return route.continue();
    external.push(target);
    return route.abort('blockedbyclient');
  });
  try {
    await page.goto(url, { waitUntil: 'load', timeout: timeoutMs });
    await page.waitForFunction(() => Array.from(document.querySelectorAll('figure.book-chart'))
      .every((f) => f.classList.contains('drawn') || f.classList.contains('failed')), null, { timeout: timeoutMs })
      .catch(() => {});
    await settleFonts(page);
    const stats = await page.evaluate(collectStats, { scope: 'body', chartSelector: '.book-plot' });
    const interacted = interact ? await interact(page) : [];
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    const problems = [...judgePage({ ...stats, consoleErrors, external, failedRequests }, expect), ...interacted];
    return { url, problems, stats };
  } finally {
    await page.close();
  }
}

module.exports = { isLocalUrl, collectStats, judgePage, judgeChart, checkPage, settleFonts };
