#!/usr/bin/env node
// The book: `npm run book` turns the executed notebooks (build/notebooks/, the test run's copies;
// missing ones are run first, `--run` runs them all again) into a static, offline site in
// build/book/: index.html (the course text's table of contents) and one page per notebook, with
// Markdown math typeset by KaTeX at build time, interactive Plotly charts drawn from their JSON,
// each with its picture (a PNG) as a fallback, latent explorers (their decoders' weights on the
// page, decoded in the reader's browser), and every asset (KaTeX CSS and fonts, Plotly)
// copied in. Before building, the executed copies get the pictures of their charts, inside each
// chart's HTML, and a signature (scripts/nbrun.py --finish), so GitHub, nbviewer, the classic
// Notebook and an untrusted JupyterLab show them too.
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { ROOT, readState } = require('../state');
const { TOC, bookNotebooks } = require('./toc');
const { extractMath, restoreMath } = require('./math');

const PLOTLY_MIME = 'application/vnd.plotly.v1+json';
const ASSETS = path.join(__dirname, 'assets');

const text = (value) => (Array.isArray(value) ? value.join('') : value == null ? '' : String(value));
const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
// eslint-disable-next-line no-control-regex
const stripAnsi = (s) => s.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');

/**
 * Outputs that only load a library or stylesheet into a live notebook (the book loads its own
 * copies). A latent explorer's decoder weights (display/latentExplorer.ts: a script that fills
 * `window.__elboLabDecoders`) look alike but belong to the page: the explorers below need them.
 */
function isAssetOutput(data) {
  const html = text(data['text/html']).trim();
  if (isDecoderWeights(html)) return false;
  return text(data['text/plain']).trim() === '' && /^<(script|style)\b/i.test(html);
}

function isDecoderWeights(html) {
  return /^<script\b[^>]*>\(function \(\) \{\s*var registry = window\.__elboLabDecoders\b/.test(html);
}

/** Everything that needs Python (Markdown, code highlighting, student sources), in one call. */
function renderMarkdownBatch(items, python) {
  if (items.length === 0) return { html: [], css: '' };
  const done = spawnSync(python, [path.join(__dirname, 'markdown.py')], {
    input: JSON.stringify({ items }),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (done.error) throw done.error;
  if (done.status !== 0) throw new Error(`book: scripts/book/markdown.py failed: ${done.stderr.trim().split('\n').pop()}`);
  return JSON.parse(done.stdout);
}

/**
 * A notebook as a list of blocks; Markdown (with math cut out) and code go to one batch for Python,
 * and each block's HTML is assembled once the batch is back (`finish`).
 */
function planNotebook(name, notebook, queue) {
  const ask = (item) => queue.push(item) - 1;
  const markdown = (source, where) => {
    const { text: body, spans } = extractMath(source);
    const slot = ask({ kind: 'markdown', text: body });
    return (html) => restoreMath(html[slot], spans, where);
  };
  const blocks = [];
  let charts = 0;
  notebook.cells.forEach((cell, index) => {
    const where = `${name}, cell ${index}`;
    if (cell.cell_type === 'markdown') {
      const render = markdown(text(cell.source), where);
      blocks.push((html) => `<section class="book-markdown" data-cell="${index}" data-mime-type="text/markdown">${render(html)}</section>`);
      return;
    }
    if (cell.cell_type !== 'code') return;
    const slot = ask({ kind: 'code', cell: { ...cell, source: text(cell.source), outputs: [] } });
    const outputs = (cell.outputs || []).map((output) => planOutput(output, `${where}`, markdown, () => (charts += 1)));
    blocks.push((html, context) =>
      `<section class="book-cell" data-cell="${index}">\n<details class="book-input" open><summary>code</summary>${html[slot]}</details>\n` +
      `<div class="book-outputs">${outputs.map((render) => render(html, context)).join('\n')}</div>\n</section>`);
  });
  return { blocks, charts: () => charts };
}

/** One output as HTML (a function of the batch's HTML, for Markdown outputs). */
function planOutput(output, where, markdown, nextChart) {
  const none = () => '';
  if (output.output_type === 'stream') {
    const body = escapeHtml(stripAnsi(text(output.text)));
    const name = output.name === 'stderr' ? 'stderr' : 'stdout';
    return () => `<pre class="book-stream book-${name}" data-mime-type="application/vnd.jupyter.${name}">${body}</pre>`;
  }
  if (output.output_type === 'error') {
    const trace = stripAnsi((output.traceback || []).join('\n')) || `${output.ename}: ${output.evalue}`;
    return () => `<pre class="book-error" data-mime-type="application/vnd.jupyter.error">${escapeHtml(trace)}</pre>`;
  }
  const data = output.data || {};
  if (isAssetOutput(data)) return none;
  if (data[PLOTLY_MIME]) {
    const number = nextChart();
    return (html, context) => chartHtml(data, number, context);
  }
  if (data['text/html'] !== undefined) {
    const body = text(data['text/html']);
    return () => `<div class="book-html" data-mime-type="text/html">${body}</div>`;
  }
  if (data['image/png']) {
    const body = text(data['image/png']).replace(/\s/g, '');
    return () => `<img class="book-image" data-mime-type="image/png" alt="image output" src="data:image/png;base64,${body}">`;
  }
  if (data['text/markdown'] !== undefined) {
    const render = markdown(text(data['text/markdown']), where);
    return (html) => `<div class="book-markdown-output" data-mime-type="text/markdown">${render(html)}</div>`;
  }
  if (data['text/latex'] !== undefined) {
    const render = markdown(text(data['text/latex']), where);
    return (html) => `<div class="book-latex" data-mime-type="text/latex">${render(html)}</div>`;
  }
  if (data['text/plain'] !== undefined) {
    const body = escapeHtml(text(data['text/plain']));
    return () => (body.trim() ? `<pre class="book-plain" data-mime-type="text/plain">${body}</pre>` : '');
  }
  return none;
}

const PICTURE = /^data:image\/png;base64,[A-Za-z0-9+/=\s]+$/;

/**
 * A chart: a div that assets/book.js draws from the JSON beside it, and a static fallback: the
 * chart's picture (its image/png, the PNG scripts/nbrun.py also puts inside its HTML; written to
 * images/), or, for a chart made only of pictures (image traces from a PNG: the digit mosaics),
 * the pictures themselves. Those pictures
 * are then carried once, as the fallback's images; the JSON names them (`#picture-N`) and
 * book.js puts them back before drawing.
 */
function chartHtml(data, number, context) {
  const figure = data[PLOTLY_MIME];
  const layout = figure.layout || {};
  const id = `chart-${number}`;
  const height = typeof layout.height === 'number' ? layout.height : 420;
  const title = typeof layout.title === 'string' ? layout.title : (layout.title && layout.title.text) || `chart ${number}`;
  let traces = figure.data || [];
  const onlyPictures = traces.length > 0 && traces.every((t) => t.type === 'image' && typeof t.source === 'string' && PICTURE.test(t.source));
  const png = text(data['image/png']).replace(/\s/g, '');
  let fallback = '<p class="book-chart-missing">(no static image of this chart: Chromium was not available when the notebook ran)</p>';
  if (onlyPictures) {
    fallback = traces.map((trace, i) => {
      const name = trace.name ? `: ${trace.name}` : '';
      return `<img class="book-chart-fallback" data-picture="${i + 1}" src="${trace.source.replace(/\s/g, '')}" alt="${escapeHtml(`${title}${name} (static image)`)}">`;
    }).join('\n');
    traces = traces.map((trace, i) => ({ ...trace, source: `#picture-${i + 1}` }));
  } else if (png) {
    const file = `${context.name}-${id}.png`;
    fs.writeFileSync(path.join(context.out, 'images', file), Buffer.from(png, 'base64'));
    fallback = `<img class="book-chart-fallback" src="images/${file}" alt="${escapeHtml(`${title} (static image)`)}">`;
  }
  const html = text(data['text/html']);
  const end = html.lastIndexOf('</script>');
  const caption = end >= 0 ? html.slice(end + '</script>'.length).trim() : '';
  const json = JSON.stringify({ data: traces, layout, config: figure.config || {} }).replace(/<\//g, '<\\/');
  return `<figure class="book-chart" id="${id}" data-mime-type="${PLOTLY_MIME}">\n` +
    `<div class="book-plot" style="height:${height}px"></div>\n${fallback}\n` +
    `<script type="application/json" class="book-figure">${json}</script>\n` +
    (caption ? `<figcaption>${caption}</figcaption>\n` : '') +
    '</figure>';
}

/** The page frame shared by the index and the notebook pages. */
function pageHtml({ title, body, nav = '' }) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} — ELBO Lab</title>
<link rel="stylesheet" href="assets/katex/katex.min.css">
<link rel="stylesheet" href="assets/pygments.css">
<link rel="stylesheet" href="assets/book.css">
<script src="assets/plotly.min.js" defer></script>
<script src="assets/book.js" defer></script>
</head>
<body>
<nav class="book-nav">${nav}</nav>
<main class="book-main">
${body}
</main>
<nav class="book-nav book-nav-bottom">${nav}</nav>
</body>
</html>
`;
}

/** The notebook's first-level heading (its title), TeX source. */
function notebookTitle(notebook, name) {
  for (const cell of notebook.cells) {
    if (cell.cell_type !== 'markdown') continue;
    const heading = /^#\s+(.+)$/m.exec(text(cell.source));
    if (heading) return heading[1].trim();
  }
  return name;
}

/** Heading ids of a rendered page, by heading text (for the table of contents' sub-entries). */
function headingIds(html) {
  const found = [];
  const pattern = /<h([1-6]) id="([^"]+)">([\s\S]*?)<\/h\1>/g;
  let match;
  while ((match = pattern.exec(html))) {
    const plain = match[3].replace(/<span class="katex-mathml">[\s\S]*?<\/span>/g, '').replace(/<[^>]+>/g, '').replace(/¶/g, '').trim();
    found.push({ id: match[2], text: plain });
  }
  return found;
}

/** Text for <title>: math spans as readable letters (no TeX in a browser tab). */
function plainTitle(source) {
  const names = { phi: 'φ', theta: 'θ', mid: ' | ', mu: 'μ', sigma: 'σ', beta: 'β', ge: '≥', le: '≤' };
  return source.replace(/\$+([^$]*)\$+/g, (_m, tex) => tex
    .replace(/\\([a-zA-Z]+)/g, (_c, name) => names[name] || '')
    .replace(/[{}_^]/g, '').replace(/\s+/g, ' ').trim());
}

function inlineMath(source, where) {
  const { text: body, spans } = extractMath(source);
  return restoreMath(escapeHtml(body), spans, where);
}

function indexHtml(entries, titles, withClaims = false) {
  const link = (entry) => `<a href="${entry.notebook}.html${entry.anchor ? `#${entry.anchor}` : ''}">${inlineMath(entry.title, 'table of contents')}</a>`;
  const items = [];
  entries.forEach((entry, i) => {
    if (entry.level !== 1) return;
    const subs = [];
    for (let j = i + 1; j < entries.length && entries[j].level > 1; j++) subs.push(`<li>${link(entries[j])}</li>`);
    items.push(`<li>${link(entry)} <span class="book-toc-notebook">${inlineMath(titles[entry.notebook], 'table of contents')}</span>` +
      (subs.length ? `\n<ul>${subs.join('')}</ul>` : '') + '</li>');
  });
  const body = '<h1>ELBO Lab — the book</h1>\n' +
    '<p>The executed course notebooks, one page each, in the order of the course text. Every equation is typeset, every chart ' +
    'is interactive (hover, zoom) and every claim was checked when the notebooks ran. Run them yourself with ' +
    '<code>npm start</code>.</p>\n' +
    `<ul class="book-toc">\n${items.join('\n')}\n</ul>` +
    (withClaims ? '\n<p class="book-claims-link"><a href="claims.html">Every claim of the course</a>: one table of all the claims the notebooks checked, with the two routes each compares.</p>' : '');
  return pageHtml({ title: 'Contents', body });
}

function navHtml(names, index, titles) {
  const link = (i, rel) => (i >= 0 && i < names.length
    ? `<a rel="${rel}" href="${names[i]}.html">${rel === 'prev' ? '← ' : ''}${inlineMath(titles[names[i]], 'navigation')}${rel === 'next' ? ' →' : ''}</a>`
    : '<span></span>');
  return `${link(index - 1, 'prev')}<a href="index.html">Contents</a>${link(index + 1, 'next')}`;
}

/**
 * The course-wide claims page: every claim the notebooks checked when they ran (the rows each
 * saved to build/claims/<notebook>.json), with its section, its two routes, what was measured and
 * whether it held. No two claims of the course may share an id: a duplicate stops the build.
 */
function claimsHtml(names, claims, titles) {
  const seen = new Map();
  for (const name of names) {
    for (const row of claims[name] || []) {
      if (seen.has(row.id)) throw new Error(`book: the claim id «${row.id}» is used by ${seen.get(row.id)} and ${name}; claim ids must be unique in the course`);
      seen.set(row.id, name);
    }
  }
  const cell = (value) => `<td>${escapeHtml(String(value))}</td>`;
  const sections = names.map((name) => {
    const rows = claims[name];
    const title = `<h2 id="${escapeHtml(name)}"><a href="${name}.html">${inlineMath(titles[name], 'claims page')}</a></h2>`;
    if (!rows) return `${title}\n<p class="book-claims-missing">No claims saved: this notebook did not run to its end when the book was built.</p>`;
    const body = rows.map((r) => `<tr class="${r.passed ? 'book-claim-held' : 'book-claim-failed'}">${cell(r.id)}${cell(r.section)}${cell(r.statement)}${cell(r.routes || '—')}${cell(r.measured)}${cell(r.criterion)}${cell(r.passed ? '✓' : '✗')}</tr>`).join('\n');
    return `${title}\n<table class="book-claims">\n<thead><tr><th>id</th><th>§</th><th>claim</th><th>routes compared</th><th>measured</th><th>criterion</th><th>holds</th></tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
  });
  const total = names.reduce((n, name) => n + (claims[name] || []).length, 0);
  const held = names.reduce((n, name) => n + (claims[name] || []).filter((r) => r.passed).length, 0);
  const body = '<h1>Every claim of the course</h1>\n' +
    `<p>${total} claims in ${names.filter((name) => claims[name]).length} notebooks, ${held} held when the notebooks ran. Each compares two routes ` +
    '(A and B: two computations that could disagree); a claim that fails stops its notebook.</p>\n' + sections.join('\n');
  return pageHtml({ title: 'Every claim of the course', body, nav: '<span></span><a href="index.html">Contents</a><span></span>' });
}

/** The claims rows each notebook saved when it ran ({ name: rows }; a notebook without a file is left out). */
function readClaims(names, folder = path.join(ROOT, 'build', 'claims')) {
  const claims = {};
  for (const name of names) {
    const file = path.join(folder, `${name}.json`);
    if (fs.existsSync(file)) claims[name] = JSON.parse(fs.readFileSync(file, 'utf8')).claims;
  }
  return claims;
}

function copyAssets(out, css) {
  const assets = path.join(out, 'assets');
  const katex = path.join(ROOT, 'node_modules', 'katex', 'dist');
  fs.mkdirSync(path.join(assets, 'katex'), { recursive: true });
  fs.copyFileSync(path.join(katex, 'katex.min.css'), path.join(assets, 'katex', 'katex.min.css'));
  fs.cpSync(path.join(katex, 'fonts'), path.join(assets, 'katex', 'fonts'), { recursive: true });
  const plotly = require('../../src/display/plotly-library.json'); // the bundle the notebooks load
  fs.copyFileSync(path.join(ROOT, 'node_modules', plotly.package, plotly.file), path.join(assets, 'plotly.min.js'));
  for (const file of ['book.css', 'book.js']) fs.copyFileSync(path.join(ASSETS, file), path.join(assets, file));
  fs.writeFileSync(path.join(assets, 'pygments.css'), css);
}

/**
 * Build the site from executed notebooks `{ name: notebookJson }` into `out`; returns the pages
 * written. Pure apart from the files it writes (the tests build generated notebooks with it).
 */
function buildSite(notebooks, out, { python = readState().python, toc = TOC, claims = null } = {}) {
  const names = Object.keys(notebooks);
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(path.join(out, 'images'), { recursive: true });
  const queue = [];
  const plans = names.map((name) => planNotebook(name, notebooks[name], queue));
  const { html, css } = renderMarkdownBatch(queue, python);
  copyAssets(out, css);
  const titles = Object.fromEntries(names.map((name) => [name, notebookTitle(notebooks[name], name)]));
  const pages = [];
  const anchors = {};
  names.forEach((name, index) => {
    const context = { name, out };
    const body = plans[index].blocks.map((render) => render(html, context)).join('\n');
    anchors[name] = headingIds(body);
    const file = path.join(out, `${name}.html`);
    fs.writeFileSync(file, pageHtml({ title: plainTitle(titles[name]), body, nav: navHtml(names, index, titles) }));
    pages.push({ name, file, charts: plans[index].charts(), explorers: (body.match(/<div id="[^"]+" class="elbo-lab-latent-explorer">/g) || []).length });
  });
  const entries = toc.filter((entry) => notebooks[entry.notebook]).map((entry) => {
    if (!entry.heading) return entry;
    const heading = anchors[entry.notebook].find((h) => h.text.startsWith(entry.heading));
    if (!heading) throw new Error(`book: the table of contents entry «${entry.title}» expects a heading starting «${entry.heading}» in ${entry.notebook}`);
    return { ...entry, anchor: heading.id };
  });
  const index = path.join(out, 'index.html');
  fs.writeFileSync(index, indexHtml(entries, titles, claims !== null));
  if (claims !== null) fs.writeFileSync(path.join(out, 'claims.html'), claimsHtml(names, claims, titles));
  // What the browser tests check: every page, the number of charts it must show and of latent explorers to walk.
  const manifest = [{ file: 'index.html', charts: 0 }, ...pages.map((p) => ({ file: path.basename(p.file), charts: p.charts, explorers: p.explorers }))];
  if (claims !== null) manifest.push({ file: 'claims.html', charts: 0 });
  fs.writeFileSync(path.join(out, 'pages.json'), JSON.stringify(manifest, null, 2));
  return { index, pages };
}

/** Executed copies for the book: missing ones are run; all get their charts' pictures and a signature. */
function prepareExecuted(from, { run = false } = {}) {
  const { runNotebooks } = require('../run-notebooks');
  const names = bookNotebooks();
  const missing = names.filter((name) => run || !fs.existsSync(path.join(from, `${name}.ipynb`)));
  if (missing.length > 0) {
    process.stdout.write(`book: running ${missing.join(', ')} first\n`);
    const status = runNotebooks(['--out', from, ...missing.map((name) => path.join(ROOT, 'notebooks', `${name}.ipynb`))]);
    if (status !== 0) process.stdout.write('book: some notebooks failed; their pages show the error\n');
  }
  const paths = names.map((name) => path.join(from, `${name}.ipynb`));
  const done = spawnSync(readState().python, [path.join(ROOT, 'scripts', 'nbrun.py'), '--finish', ...paths], { encoding: 'utf8' });
  if (done.status !== 0) throw new Error(`book: nbrun.py --finish failed: ${(done.stderr || done.stdout).trim()}`);
  return done.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

function buildBook({ from = path.join(ROOT, 'build', 'notebooks'), out = path.join(ROOT, 'build', 'book'), run = false } = {}) {
  const prepared = prepareExecuted(from, { run });
  const notebooks = Object.fromEntries(bookNotebooks().map((name) => [name, JSON.parse(fs.readFileSync(path.join(from, `${name}.ipynb`), 'utf8'))]));
  const site = buildSite(notebooks, out, { claims: readClaims(bookNotebooks()) });
  return { ...site, prepared };
}

if (require.main === module) {
  try {
    const started = Date.now();
    const { index, pages, prepared } = buildBook({ run: process.argv.includes('--run') });
    for (const p of prepared) {
      const name = path.basename(p.notebook);
      process.stdout.write(`  ${name}: ${p.charts} charts, ${p.images} with pictures, ${p.signed ? 'signed' : 'NOT signed'}\n`);
    }
    const charts = pages.reduce((sum, p) => sum + p.charts, 0);
    const explorers = pages.reduce((sum, p) => sum + p.explorers, 0);
    process.stdout.write(`book: ${pages.length} pages, ${charts} charts, ${explorers} latent explorers in ${((Date.now() - started) / 1000).toFixed(1)} s -> ${path.relative(process.cwd(), index)}\n`);
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

module.exports = { buildBook, buildSite, prepareExecuted, isAssetOutput, isDecoderWeights, headingIds, plainTitle, claimsHtml, readClaims };
