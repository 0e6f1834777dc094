#!/usr/bin/env node
// Size budgets of what the course produces, counting every byte of each file (issue 16):
//   - an executed notebook as the kernel wrote it (before the runner gives each chart its picture,
//     in its HTML and as image/png; `kernel_bytes` in build/notebook-report.json)    <= 2.5 MB;
//   - the executed copy with the pictures of its charts (build/notebooks/*.ipynb)   <= 4 MB;
//   - a static HTML copy (build/html/*.html)                                       <= 4 MB;
//   - a book page (build/book/*.html) with the files only it loads (its chart images) <= 1.5 MB;
//     the shared assets (build/book/assets/: Plotly, KaTeX, styles) are loaded once and counted
//     once, not per page.
// Over budget, the message names the file, its size, the budget and its largest outputs (cell
// index, MIME type, bytes). `node scripts/sizes.js [--build DIR] [--no-book] [--report FILE]`
// writes build/size-report.json and exits 1 when a budget is exceeded; `npm test` runs it after
// the book is built.
'use strict';

const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const MB = 1e6;
const BUDGETS = Object.freeze({ kernel: 2.5 * MB, executed: 4 * MB, html: 4 * MB, book: 1.5 * MB });
const PLOTLY_MIME = 'application/vnd.plotly.v1+json';
const TOP = 5;
// A chart's picture: the runner (scripts/nbrun.py) replaces the slot the kernel leaves in the
// chart's HTML (src/display/plotly.ts) with `<img class="elbo-lab-plot-picture" … src="data:…">`.
const PICTURE_SLOT = '<!--elbo-lab-picture-->';
const CHART_PICTURE = /<img\b[^>]*\bclass="elbo-lab-plot-picture"[^>]*>/g;
const PICTURE_PART = 'picture (in text/html)';

const bytesOf = (value) => Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');
const fileSize = (file) => fs.statSync(file).size;

/** "41.1 MB", "356 kB", "812 B" (decimal units, as the budgets). */
function formatBytes(bytes) {
  if (bytes >= MB) return `${Number((bytes / MB).toFixed(bytes >= 10 * MB ? 1 : 2))} MB`;
  if (bytes >= 1e3) return `${Math.round(bytes / 1e3)} kB`;
  return `${bytes} B`;
}

/**
 * A chart's text/html split into what the kernel wrote (the HTML with its pictures put back to the
 * slot) and the pictures the runner added: `{ html, picture }` in bytes, measured as `bytesOf`
 * measures the value (a string, or nbformat's list of lines); `picture` is 0 without a picture.
 */
function splitChartHtml(value) {
  const whole = Array.isArray(value) ? value.join('') : String(value);
  const kernel = whole.replace(CHART_PICTURE, PICTURE_SLOT);
  if (kernel === whole) return { html: bytesOf(value), picture: 0 };
  const html = bytesOf(Array.isArray(value) ? kernel.split(/(?<=\n)/) : kernel);
  return { html, picture: bytesOf(value) - html };
}

/**
 * The parts of an executed notebook, one per output and MIME type: `{ cell, mime, bytes }`, with
 * bytes as the value's JSON. A chart's picture, which the runner puts inside the chart's text/html,
 * is a part of its own (`picture (in text/html)`), its text/html counted without it. `kernelOnly`
 * leaves the pictures out, in the HTML and the image/png copy (what the kernel wrote).
 */
function notebookParts(notebook, { kernelOnly = false } = {}) {
  const parts = [];
  (notebook.cells || []).forEach((cell, index) => {
    for (const output of cell.outputs || []) {
      if (output.output_type === 'stream') {
        parts.push({ cell: index, mime: `stream (${output.name || 'stdout'})`, bytes: bytesOf(output.text || '') });
      } else if (output.output_type === 'error') {
        parts.push({ cell: index, mime: 'error (traceback)', bytes: bytesOf(output.traceback || []) + bytesOf(output.evalue || '') });
      }
      const data = output.data || {};
      for (const [mime, value] of Object.entries(data)) {
        if (kernelOnly && mime === 'image/png' && data[PLOTLY_MIME] !== undefined) continue;
        if (mime === 'text/html' && data[PLOTLY_MIME] !== undefined) {
          const { html, picture } = splitChartHtml(value);
          parts.push({ cell: index, mime, bytes: html });
          if (picture > 0 && !kernelOnly) parts.push({ cell: index, mime: PICTURE_PART, bytes: picture });
          continue;
        }
        parts.push({ cell: index, mime, bytes: bytesOf(value) });
      }
    }
    if (cell.attachments) parts.push({ cell: index, mime: 'attachments', bytes: bytesOf(cell.attachments) });
  });
  return parts;
}

// A cell in an HTML page: nbconvert's `jp-Cell` (numbered in order) or the book's `data-cell="N"`.
const CELL_START = /<(?:div|section)\b[^>]*?(?:class="jp-Cell\s|data-cell="(\d+)")[^>]*>/g;
// An output (or a rendered Markdown cell) inside it: nbconvert's and the book's `data-mime-type`.
const OUTPUT_START = /<[a-z]+\b[^>]*\bdata-mime-type="([^"]+)"[^>]*>/g;
// Files a page loads (not the pages it links to).
const RESOURCE = /<(?:img|script|source|iframe|audio|video|embed)\b[^>]*?\bsrc="([^"]+)"|<link\b[^>]*?\bhref="([^"]+)"/g;

const FILE_MIME = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', svg: 'image/svg+xml', webp: 'image/webp', js: 'text/javascript', css: 'text/css' };
const fileMime = (ref) => FILE_MIME[path.extname(ref).slice(1).toLowerCase()] || 'application/octet-stream';

/** Local files an HTML snippet loads, as paths relative to its folder (no data:, no URLs). */
function resources(html) {
  const found = [];
  for (const match of html.matchAll(RESOURCE)) {
    const ref = (match[1] || match[2] || '').split(/[?#]/)[0];
    if (!ref || /^[a-z][a-z0-9+.-]*:/i.test(ref) || ref.startsWith('/')) continue;
    found.push(decodeURIComponent(ref));
  }
  return found;
}

/**
 * The parts of an HTML page (nbconvert's copy or a book page): per cell, its input and each output
 * by MIME type (`{ cell, mime, bytes }`), and what lies outside the cells (head, styles, scripts).
 * `fileBytes(ref)`, when given, adds the files a cell loads (the book's chart images) to it.
 */
function htmlParts(html, { fileBytes } = {}) {
  const total = Buffer.byteLength(html, 'utf8');
  const starts = [];
  let ordinal = 0;
  for (const match of html.matchAll(CELL_START)) {
    starts.push({ at: match.index, cell: match[1] !== undefined ? Number(match[1]) : ordinal });
    ordinal += 1;
  }
  if (starts.length === 0) return [{ cell: null, mime: '(whole page: no cells found)', bytes: total }];
  const bodyEnd = html.lastIndexOf('</body>');
  const end = bodyEnd > starts[starts.length - 1].at ? bodyEnd : html.length;
  const parts = [];
  let inCells = 0;
  starts.forEach((start, i) => {
    const stop = i + 1 < starts.length ? starts[i + 1].at : end;
    const segment = html.slice(start.at, stop);
    inCells += Buffer.byteLength(segment, 'utf8');
    const outputs = [...segment.matchAll(OUTPUT_START)];
    const bounds = outputs.map((m) => m.index).concat([segment.length]);
    const segmentBytes = (a, b) => Buffer.byteLength(segment.slice(a, b), 'utf8');
    if (bounds[0] > 0) parts.push({ cell: start.cell, mime: '(cell input)', bytes: segmentBytes(0, bounds[0]) });
    outputs.forEach((m, k) => {
      const piece = segment.slice(bounds[k], bounds[k + 1]);
      parts.push({ cell: start.cell, mime: m[1], bytes: Buffer.byteLength(piece, 'utf8') });
      if (fileBytes) {
        for (const ref of resources(piece)) {
          const size2 = fileBytes(ref);
          if (size2 !== null) parts.push({ cell: start.cell, mime: `${fileMime(ref)} file ${ref}`, bytes: size2 });
        }
      }
    });
  });
  parts.push({ cell: null, mime: '(outside cells: head, styles, scripts)', bytes: total - inCells });
  return parts;
}

const largest = (parts, top = TOP) => [...parts].sort((a, b) => b.bytes - a.bytes).slice(0, top).filter((p) => p.bytes > 0);

const describePart = (part) => `${part.cell === null ? 'page' : `cell ${part.cell}`} ${part.mime} ${formatBytes(part.bytes)}`;

/** One line for a check: "✓ file: size (what) <= budget" or the over-budget message with the largest outputs. */
function formatCheck(check) {
  if (check.ok === null) return `- ${check.file}: ${check.what}: ${check.note}`;
  const head = `${check.file}: ${formatBytes(check.bytes)} ${check.what}`;
  if (check.ok) return `✓ ${head} (budget ${formatBytes(check.budget)})`;
  return `✗ ${head}, over the budget of ${formatBytes(check.budget)} by ${formatBytes(check.bytes - check.budget)}; ` +
    `largest outputs: ${check.largest.map(describePart).join(', ') || '(none)'}`;
}

function makeCheck({ kind, what, file, bytes, budget, parts, extra = {} }) {
  return { kind, what, file, bytes, budget, ok: bytes <= budget, largest: largest(parts), ...extra };
}

const listFiles = (folder, ext) => (fs.existsSync(folder)
  ? fs.readdirSync(folder).filter((f) => f.endsWith(ext)).sort().map((f) => path.join(folder, f))
  : []);

function walk(folder) {
  if (!fs.existsSync(folder)) return [];
  return fs.readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    return entry.isDirectory() ? walk(full) : entry.isFile() ? [full] : [];
  });
}

/** kernel_bytes by executed file (absolute path), from nbrun's report. */
function kernelSizes(build) {
  const sizes = new Map();
  try {
    const report = JSON.parse(fs.readFileSync(path.join(build, 'notebook-report.json'), 'utf8'));
    for (const entry of report) {
      if (entry.executed && typeof entry.kernel_bytes === 'number') sizes.set(path.resolve(ROOT, entry.executed), entry.kernel_bytes);
    }
  } catch {
    // no report: the kernel-written sizes are not known
  }
  return sizes;
}

/**
 * Check every budget under `build` (default build/): the executed notebooks, their HTML copies and,
 * unless `book` is false, the book's pages. Returns `{ checks, shared, passed, failed, skipped }`;
 * `skipped` is a one-line reason when there are no executed notebooks (nothing was checked).
 */
function checkSizes({ build = path.join(ROOT, 'build'), book = true, budgets = BUDGETS } = {}) {
  const rel = (file) => (path.relative(ROOT, file).startsWith('..') ? file : path.relative(ROOT, file));
  const notebooks = listFiles(path.join(build, 'notebooks'), '.ipynb');
  if (notebooks.length === 0) {
    return { checks: [], shared: null, passed: 0, failed: 0, skipped: `no executed notebooks in ${rel(path.join(build, 'notebooks'))}` };
  }
  const checks = [];
  const kernel = kernelSizes(build);
  for (const file of notebooks) {
    const notebook = JSON.parse(fs.readFileSync(file, 'utf8'));
    const written = kernel.get(path.resolve(file));
    if (written === undefined) {
      checks.push({ kind: 'kernel', what: 'as the kernel wrote it', file: rel(file), bytes: null, budget: budgets.kernel, ok: null, largest: [],
        note: 'size not recorded (no kernel_bytes for it in notebook-report.json: run by another runner, or the report is of another run); not checked' });
    } else {
      checks.push(makeCheck({ kind: 'kernel', what: 'as the kernel wrote it', file: rel(file), bytes: written, budget: budgets.kernel,
        parts: notebookParts(notebook, { kernelOnly: true }) }));
    }
    checks.push(makeCheck({ kind: 'executed', what: 'executed, with pictures of charts', file: rel(file), bytes: fileSize(file),
      budget: budgets.executed, parts: notebookParts(notebook) }));
  }
  for (const file of listFiles(path.join(build, 'html'), '.html')) {
    checks.push(makeCheck({ kind: 'html', what: 'HTML copy', file: rel(file), bytes: fileSize(file), budget: budgets.html,
      parts: htmlParts(fs.readFileSync(file, 'utf8')) }));
  }
  let shared = null;
  const bookDir = path.join(build, 'book');
  if (book && fs.existsSync(bookDir)) {
    const assetsDir = path.join(bookDir, 'assets');
    const assetFiles = walk(assetsDir);
    shared = { folder: rel(assetsDir), files: assetFiles.length, bytes: assetFiles.reduce((sum, f) => sum + fileSize(f), 0) };
    const isShared = (full) => !path.relative(assetsDir, full).startsWith('..');
    for (const file of listFiles(bookDir, '.html')) {
      const html = fs.readFileSync(file, 'utf8');
      // The page and each file only it loads, once each; shared assets are counted once, above.
      const own = new Map();
      for (const ref of resources(html)) {
        const full = path.resolve(bookDir, ref);
        if (!isShared(full) && fs.existsSync(full) && fs.statSync(full).isFile()) own.set(full, fileSize(full));
      }
      const loaded = [...own.values()].reduce((sum, b) => sum + b, 0);
      const fileBytes = (ref) => {
        const full = path.resolve(bookDir, ref);
        return own.has(full) ? own.get(full) : null;
      };
      checks.push(makeCheck({ kind: 'book', what: `book page (${formatBytes(fileSize(file))} HTML + ${own.size} file(s) of its own ${formatBytes(loaded)}; shared assets not counted)`,
        file: rel(file), bytes: fileSize(file) + loaded, budget: budgets.book, parts: htmlParts(html, { fileBytes }),
        extra: { html: fileSize(file), ownFiles: own.size, ownBytes: loaded } }));
    }
  }
  const passed = checks.filter((c) => c.ok === true).length;
  const failed = checks.filter((c) => c.ok === false).length;
  return { checks, shared, passed, failed, skipped: null };
}

/** Run the checks, print one line each (and the shared assets), write the report; returns the result. */
function runSizes({ build = path.join(ROOT, 'build'), book = true, report = path.join(build, 'size-report.json'), write = (s) => process.stdout.write(s) } = {}) {
  const result = checkSizes({ build, book });
  if (result.skipped) {
    write(`sizes: ${result.skipped}; skipped\n`);
  } else {
    for (const check of result.checks) write(`${formatCheck(check)}\n`);
    if (result.shared) write(`  book assets shared by every page (loaded once, counted once): ${result.shared.folder}, ${result.shared.files} files, ${formatBytes(result.shared.bytes)}\n`);
    else if (!book) write('  book pages: not built in this run; not checked\n');
    write(`sizes: ${result.passed} within budget, ${result.failed} over\n`);
  }
  fs.mkdirSync(path.dirname(report), { recursive: true });
  fs.writeFileSync(report, JSON.stringify({ budgets: BUDGETS, ...result }, null, 2));
  return result;
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const value = (flag) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  if (argv.includes('--help')) {
    process.stdout.write('usage: node scripts/sizes.js [--build DIR] [--no-book] [--report FILE]\n');
    process.exit(0);
  }
  const build = path.resolve(value('--build') || path.join(ROOT, 'build'));
  try {
    const result = runSizes({ build, book: !argv.includes('--no-book'), report: path.resolve(value('--report') || path.join(build, 'size-report.json')) });
    process.exit(result.failed > 0 ? 1 : 0);
  } catch (error) {
    process.stderr.write(`sizes: ${error.message}\n`);
    process.exit(2);
  }
}

module.exports = { BUDGETS, checkSizes, runSizes, notebookParts, htmlParts, formatCheck, formatBytes, resources };
