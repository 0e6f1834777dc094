// The size budgets (scripts/sizes.js, issue 16) on synthetic build folders: executed notebooks as
// the kernel wrote them and with the pictures of their charts (inside each chart's text/html), HTML
// copies and book pages, over and under budget; the message names the file, its size, the budget
// and the largest outputs, a chart's picture apart from its HTML; the book's shared assets are
// counted once, not per page.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, setupPython, tempDir as makeTempDir } from './helpers';

// Folders of a few MB each: removed after the file's tests.
const folders: string[] = [];
const tempDir = (prefix: string) => {
  const dir = makeTempDir(prefix);
  folders.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of folders) fs.rmSync(dir, { recursive: true, force: true });
});

interface Part { cell: number | null; mime: string; bytes: number }
interface Check { kind: string; what: string; file: string; bytes: number | null; budget: number; ok: boolean | null; largest: Part[]; note?: string }
interface Result { checks: Check[]; shared: { folder: string; files: number; bytes: number } | null; passed: number; failed: number; skipped: string | null }
const sizes = require(path.join(ROOT, 'scripts', 'sizes')) as {
  BUDGETS: { kernel: number; executed: number; html: number; book: number };
  checkSizes(options: { build: string; book?: boolean }): Result;
  runSizes(options: { build: string; book?: boolean; report?: string; write?: (s: string) => void }): Result;
  notebookParts(notebook: unknown, options?: { kernelOnly?: boolean }): Part[];
  htmlParts(html: string): Part[];
  formatCheck(check: Check): string;
};
const build = require(path.join(ROOT, 'scripts', 'book', 'build')) as {
  buildSite(notebooks: Record<string, unknown>, out: string, options?: { python?: string; toc?: unknown[] }): { pages: Array<{ file: string }> };
};
const selftest = require(path.join(ROOT, 'scripts', 'book', 'selftest')) as {
  chartNotebook(traces: unknown[]): { cells: Array<Record<string, unknown>> };
};

const MB = 1e6;
const PLOTLY = 'application/vnd.plotly.v1+json';
const filler = (bytes: number) => 'x'.repeat(bytes);

/** An executed notebook: cell 0 Markdown, then one code cell per output list. */
function notebook(outputs: Array<Array<Record<string, unknown>>>) {
  return {
    nbformat: 4, nbformat_minor: 5, metadata: {},
    cells: [
      { cell_type: 'markdown', metadata: {}, source: '# A notebook' },
      ...outputs.map((list, i) => ({ cell_type: 'code', metadata: {}, execution_count: i + 1, source: `cell ${i + 1}`, outputs: list })),
    ],
  };
}
const display = (data: Record<string, unknown>) => ({ output_type: 'display_data', metadata: {}, data });
// A chart's text/html as the kernel writes it (src/display/plotly.ts): its picture's slot in the div.
const SLOT = '<!--elbo-lab-picture-->';
const KERNEL_HTML = `<div id="elbo-plot-1" class="elbo-lab-plot" style="width:100%;height:420px">${SLOT}</div>\n<script type="text/javascript">(function () {})();</script>`;
// The picture scripts/nbrun.py puts in the slot: an <img> of `pngBytes` bytes of base64.
const picture = (pngBytes: number) =>
  `<img class="elbo-lab-plot-picture" alt="chart (picture of the chart)" style="display:block;width:100%;max-width:900px;height:auto" src="data:image/png;base64,${'A'.repeat(pngBytes)}">`;
/** A chart output; when `pngBytes` > 0, finished by the runner: its picture in its HTML and as image/png. */
const chart = (jsonBytes: number, pngBytes: number) => display({
  [PLOTLY]: { data: [{ type: 'scatter', x: [1], y: [filler(jsonBytes)] }], layout: {} },
  'text/html': pngBytes > 0 ? KERNEL_HTML.replace(SLOT, picture(pngBytes)) : KERNEL_HTML,
  ...(pngBytes > 0 ? { 'image/png': 'A'.repeat(pngBytes) } : {}),
  'text/plain': '[chart] Plotly chart',
});

/**
 * A build folder with executed notebooks `{ name: notebook }` and nbrun's report; `kernelBytes`
 * gives each notebook's kernel-written size (default: its size with the charts' pictures taken out
 * of their HTML, the slot back in their place).
 */
function buildFolder(notebooks: Record<string, ReturnType<typeof notebook>>, kernelBytes: Record<string, number | undefined> = {}) {
  const dir = tempDir('sizes');
  fs.mkdirSync(path.join(dir, 'notebooks'));
  const report = Object.entries(notebooks).map(([name, nb]) => {
    const file = path.join(dir, 'notebooks', `${name}.ipynb`);
    fs.writeFileSync(file, JSON.stringify(nb));
    const asWritten = JSON.parse(JSON.stringify(nb)) as ReturnType<typeof notebook>;
    for (const cell of asWritten.cells) {
      for (const output of (cell as { outputs?: Array<{ data?: Record<string, unknown> }> }).outputs || []) {
        if (output.data && output.data[PLOTLY]) {
          output.data['text/html'] = KERNEL_HTML;
          delete output.data['image/png'];
        }
      }
    }
    const kernel = name in kernelBytes ? kernelBytes[name] : Buffer.byteLength(JSON.stringify(asWritten));
    return { notebook: `notebooks/${name}.ipynb`, executed: file, ok: true, ...(kernel === undefined ? {} : { kernel_bytes: kernel }) };
  });
  fs.writeFileSync(path.join(dir, 'notebook-report.json'), JSON.stringify(report));
  return dir;
}

const find = (result: Result, kind: string, file: string) => result.checks.find((c) => c.kind === kind && c.file.endsWith(file))!;

describe('size budgets: executed notebooks', () => {
  it('passes notebooks within budget, as the kernel wrote them and with the pictures of their charts', () => {
    const dir = buildFolder({ small: notebook([[chart(50_000, 30_000)], [display({ 'text/plain': 'hello' })]]) });
    const result = sizes.checkSizes({ build: dir });
    expect(result.skipped).toBeNull();
    expect(result.checks.map((c) => [c.kind, c.ok])).toEqual([['kernel', true], ['executed', true]]);
    expect(result).toMatchObject({ passed: 2, failed: 0 });
    expect(find(result, 'executed', 'small.ipynb').bytes).toBe(fs.statSync(path.join(dir, 'notebooks', 'small.ipynb')).size);
  });

  it('fails one the kernel wrote over 2.5 MB, naming its largest outputs without the pictures added later', () => {
    const nb = notebook([
      [display({ 'text/html': filler(1.6 * MB), 'text/plain': '' })],
      [chart(1.0 * MB, 0.4 * MB)],
      [{ output_type: 'stream', name: 'stdout', text: filler(10_000) }],
    ]);
    const dir = buildFolder({ big: nb });
    const result = sizes.checkSizes({ build: dir });
    const kernel = find(result, 'kernel', 'big.ipynb');
    expect(kernel.ok).toBe(false);
    expect(kernel.bytes).toBeGreaterThan(2.6 * MB);
    expect(kernel.largest.map((p) => [p.cell, p.mime])).toEqual([
      [1, 'text/html'], [2, PLOTLY], [3, 'stream (stdout)'], [2, 'text/html'], [2, 'text/plain'], // an empty text/plain is no output
    ]);
    expect(kernel.largest[0].bytes).toBeGreaterThanOrEqual(1.6 * MB);
    // the chart's HTML as the kernel wrote it: without the 0.4 MB picture put into it later
    expect(kernel.largest[3].bytes).toBe(Buffer.byteLength(KERNEL_HTML));
    // the copy with its picture, twice (3.4 MB), is within its 4 MB budget, each copy a part of its own
    const executed = find(result, 'executed', 'big.ipynb');
    expect(executed.ok).toBe(true);
    expect(executed.largest.map((p) => [p.cell, p.mime])).toEqual([
      [1, 'text/html'], [2, PLOTLY], [2, 'picture (in text/html)'], [2, 'image/png'], [3, 'stream (stdout)'],
    ]);
    expect(executed.largest[2].bytes).toBe(Buffer.byteLength(picture(0.4 * MB)) - SLOT.length);
    expect(executed.largest[3].bytes).toBe(0.4 * MB);
    expect(result).toMatchObject({ passed: 1, failed: 1 });
    const message = sizes.formatCheck(kernel);
    expect(message).toMatch(/^✗ .*big\.ipynb: 2\.\d+ MB as the kernel wrote it, over the budget of 2\.5 MB by /);
    expect(message).toContain('largest outputs: cell 1 text/html 1.6 MB, cell 2 application/vnd.plotly.v1+json 1 MB, cell 3 stream (stdout) 10 kB');
  });

  it('fails an executed copy over 4 MB, the pictures of its charts among the largest outputs', () => {
    const dir = buildFolder({ pngs: notebook([[chart(0.5 * MB, 0.8 * MB)], [chart(0.2 * MB, 0.7 * MB)], [chart(0.1 * MB, 0.5 * MB)]]) });
    const result = sizes.checkSizes({ build: dir });
    expect(find(result, 'kernel', 'pngs.ipynb').ok).toBe(true);
    const executed = find(result, 'executed', 'pngs.ipynb');
    expect(executed.ok).toBe(false);
    expect(executed.largest.slice(0, 5).map((p) => `${p.cell} ${p.mime}`)).toEqual([
      '1 picture (in text/html)', '1 image/png', '2 picture (in text/html)', '2 image/png', '3 picture (in text/html)',
    ]);
    expect(sizes.formatCheck(executed)).toMatch(
      /pngs\.ipynb: 4\.\d+ MB executed, with pictures of charts, over the budget of 4 MB by .*largest outputs: cell 1 picture \(in text\/html\) 800 kB, cell 1 image\/png 800 kB/);
  });

  it('counts a chart\'s picture apart from its HTML, once, and leaves it out of what the kernel wrote', () => {
    const bytes = (value: unknown) => Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value));
    const lines = (html: string) => html.split(/(?<=\n)/); // nbformat's multi-line strings
    const finished = KERNEL_HTML.replace(SLOT, picture(5000));
    for (const [value, written] of [[finished, KERNEL_HTML], [lines(finished), lines(KERNEL_HTML)]]) {
      const nb = notebook([[display({ [PLOTLY]: { data: [], layout: {} }, 'text/html': value, 'text/plain': 'chart' })]]);
      const full = sizes.notebookParts(nb);
      const kernel = sizes.notebookParts(nb, { kernelOnly: true });
      const part = (parts: Part[], mime: string) => parts.find((p) => p.mime === mime);
      expect(part(full, 'text/html')!.bytes).toBe(bytes(written));
      expect(part(full, 'picture (in text/html)')!.bytes).toBe(bytes(value) - bytes(written));
      expect(part(full, 'picture (in text/html)')!.bytes).toBeGreaterThan(5000);
      expect(part(kernel, 'text/html')!.bytes).toBe(bytes(written));
      expect(part(kernel, 'picture (in text/html)')).toBeUndefined();
      const total = (parts: Part[]) => parts.reduce((sum, p) => sum + p.bytes, 0);
      expect(total(full)).toBe(total(kernel) + bytes(value) - bytes(written));
    }
    // a chart's image/png copy counts in the finished copy, not in what the kernel wrote
    const finishedChart = notebook([[chart(10, 3000)]]);
    expect(sizes.notebookParts(finishedChart).find((p) => p.mime === 'image/png')!.bytes).toBe(3000);
    expect(sizes.notebookParts(finishedChart, { kernelOnly: true }).some((p) => p.mime === 'image/png')).toBe(false);
    // a chart still without its picture, and an HTML output that is no chart, are counted whole
    const plain = notebook([[chart(10, 0)], [display({ 'text/html': picture(5000), 'text/plain': '' })]]);
    expect(sizes.notebookParts(plain).filter((p) => p.mime === 'text/html').map((p) => p.bytes))
      .toEqual([Buffer.byteLength(KERNEL_HTML), Buffer.byteLength(picture(5000))]);
    expect(sizes.notebookParts(plain).some((p) => p.mime === 'picture (in text/html)')).toBe(false);
  });

  it('does not check a kernel-written size it does not know, and says so', () => {
    const dir = buildFolder({ unknown: notebook([[display({ 'text/plain': 'x' })]]) }, { unknown: undefined });
    const result = sizes.checkSizes({ build: dir });
    const kernel = find(result, 'kernel', 'unknown.ipynb');
    expect(kernel.ok).toBeNull();
    expect(sizes.formatCheck(kernel)).toMatch(/size not recorded .*not checked/);
    expect(result).toMatchObject({ passed: 1, failed: 0 });
  });

  it('skips with one line when there are no executed notebooks', () => {
    const dir = tempDir('sizes');
    const lines: string[] = [];
    const result = sizes.runSizes({ build: dir, write: (s) => lines.push(s) });
    expect(result.skipped).toMatch(/no executed notebooks/);
    expect(lines.join('').trim().split('\n')).toHaveLength(1);
    expect(lines.join('')).toMatch(/^sizes: no executed notebooks in .*; skipped\n$/);
  });
});

/** An nbconvert-like HTML copy: cells as jp-Cell divs, outputs with data-mime-type. */
function nbconvertHtml(cells: Array<Array<[string, number]>>, headBytes = 1000) {
  const cell = (outputs: Array<[string, number]>) => '<div class="jp-Cell jp-CodeCell jp-Notebook-cell   ">\n<div class="jp-InputArea">code</div>\n' +
    outputs.map(([mime, bytes]) => `<div class="jp-OutputArea-output" data-mime-type="${mime}">${filler(bytes)}</div>\n`).join('') + '</div>\n';
  return `<!doctype html><html><head><style>${filler(headBytes)}</style></head><body>\n${cells.map(cell).join('')}</body></html>\n`;
}

describe('size budgets: HTML copies', () => {
  it('splits a page into cells and outputs by MIME type', () => {
    const parts = sizes.htmlParts(nbconvertHtml([[['text/markdown', 100]], [['text/html', 5000], ['text/plain', 50]]], 2000));
    const byKey = Object.fromEntries(parts.map((p) => [`${p.cell} ${p.mime}`, p.bytes]));
    expect(byKey['1 text/html']).toBeGreaterThanOrEqual(5000);
    expect(byKey['1 text/html']).toBeLessThan(5100);
    expect(byKey['0 text/markdown']).toBeGreaterThanOrEqual(100);
    expect(byKey['null (outside cells: head, styles, scripts)']).toBeGreaterThanOrEqual(2000);
    const html = nbconvertHtml([[['text/markdown', 100]], [['text/html', 5000], ['text/plain', 50]]], 2000);
    expect(parts.reduce((sum, p) => sum + p.bytes, 0)).toBe(Buffer.byteLength(html));
  });

  it('fails a page over 4 MB and names its largest outputs', () => {
    const dir = buildFolder({ a: notebook([[display({ 'text/plain': 'x' })]]) });
    fs.mkdirSync(path.join(dir, 'html'));
    fs.writeFileSync(path.join(dir, 'html', 'a.html'), nbconvertHtml([[['text/markdown', 500]], [['text/html', 3 * MB]], [['text/html', 1.2 * MB], ['text/plain', 100]]]));
    fs.writeFileSync(path.join(dir, 'html', 'b.html'), nbconvertHtml([[['text/html', 3 * MB]]]));
    const result = sizes.checkSizes({ build: dir });
    expect(find(result, 'html', 'b.html').ok).toBe(true);
    const page = find(result, 'html', 'a.html');
    expect(page.ok).toBe(false);
    expect(sizes.formatCheck(page)).toMatch(/a\.html: 4\.2 MB HTML copy, over the budget of 4 MB by .*; largest outputs: cell 1 text\/html 3 MB, cell 2 text\/html 1\.2 MB, /);
  });
});

describe('size budgets: book pages', () => {
  /** A book folder: pages loading the shared assets and their own chart images. */
  function book(dir: string, pages: Record<string, { html: number; image: number }>, assetBytes: number) {
    const out = path.join(dir, 'book');
    fs.mkdirSync(path.join(out, 'assets', 'katex', 'fonts'), { recursive: true });
    fs.mkdirSync(path.join(out, 'images'));
    fs.writeFileSync(path.join(out, 'assets', 'plotly.min.js'), filler(assetBytes));
    fs.writeFileSync(path.join(out, 'assets', 'katex', 'katex.min.css'), filler(20_000));
    fs.writeFileSync(path.join(out, 'assets', 'katex', 'fonts', 'KaTeX_Main-Regular.woff2'), filler(30_000));
    for (const [name, page] of Object.entries(pages)) {
      fs.writeFileSync(path.join(out, 'images', `${name}-chart-1.png`), filler(page.image));
      fs.writeFileSync(path.join(out, `${name}.html`), '<!doctype html><html><head><link rel="stylesheet" href="assets/katex/katex.min.css">' +
        '<script src="assets/plotly.min.js" defer></script></head><body><main>' +
        '<section class="book-markdown" data-cell="0" data-mime-type="text/markdown"><h1>T</h1></section>' +
        `<section class="book-cell" data-cell="3"><details class="book-input">code</details><figure class="book-chart" id="chart-1" data-mime-type="${PLOTLY}">` +
        `<img class="book-chart-fallback" src="images/${name}-chart-1.png" alt="x"><script type="application/json" class="book-figure">${filler(page.html)}</script></figure></section>` +
        `<nav><a href="index.html">Contents</a><a href="${name}.html">self</a></nav></main></body></html>`);
    }
    return out;
  }

  it('counts the shared assets once, not per page, and each page with the images only it loads', () => {
    const dir = buildFolder({ a: notebook([[display({ 'text/plain': 'x' })]]) });
    book(dir, { one: { html: 1.0 * MB, image: 0.3 * MB }, two: { html: 0.2 * MB, image: 0.1 * MB }, three: { html: 1.3 * MB, image: 0.3 * MB } }, 3 * MB);
    const result = sizes.checkSizes({ build: dir });
    expect(result.shared).toMatchObject({ files: 3, bytes: 3 * MB + 50_000 });
    const one = find(result, 'book', 'one.html');
    expect(one.ok).toBe(true);
    expect(one.bytes).toBe(fs.statSync(path.join(dir, 'book', 'one.html')).size + 0.3 * MB);
    expect(find(result, 'book', 'two.html').ok).toBe(true);
    const three = find(result, 'book', 'three.html');
    expect(three.ok).toBe(false);
    expect(three.largest.map((p) => `${p.cell} ${p.mime} ${p.bytes}`).slice(0, 2)).toEqual([
      `3 ${PLOTLY} ${three.largest[0].bytes}`, `3 image/png file images/three-chart-1.png ${0.3 * MB}`,
    ]);
    expect(sizes.formatCheck(three)).toMatch(/three\.html: 1\.6 MB book page .* over the budget of 1\.5 MB by .*largest outputs: cell 3 application\/vnd\.plotly\.v1\+json 1\.3 MB, cell 3 image\/png file images\/three-chart-1\.png 300 kB/);
    // a book not built by this run is not checked
    expect(sizes.checkSizes({ build: dir, book: false }).checks.some((c) => c.kind === 'book')).toBe(false);
  });

  it('names the cell and the chart of a real book page', () => {
    const nb = selftest.chartNotebook([{ type: 'scatter', name: 'big', x: [1, 2], y: [filler(1.6 * MB), 'b'] }]);
    const dir = buildFolder({ a: notebook([[display({ 'text/plain': 'x' })]]) });
    build.buildSite({ 'self-test': nb }, path.join(dir, 'book'), { python: setupPython(), toc: [] });
    const result = sizes.checkSizes({ build: dir });
    const page = find(result, 'book', 'self-test.html');
    expect(page.ok).toBe(false);
    expect(page.largest[0]).toMatchObject({ cell: 1, mime: PLOTLY });
    expect(page.largest[0].bytes).toBeGreaterThan(1.6 * MB);
    expect(result.shared!.bytes).toBeGreaterThan(MB); // Plotly and KaTeX, once
  });
});

describe('scripts/sizes.js', () => {
  it('writes the report and exits 1 over budget, 0 within, 0 with nothing to check', () => {
    const over = buildFolder({ big: notebook([[display({ 'text/html': filler(4.1 * MB), 'text/plain': '' })]]) });
    const run = (dir: string) => spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'sizes.js'), '--build', dir], { encoding: 'utf8' });
    const failed = run(over);
    expect(failed.status).toBe(1);
    expect(failed.stdout).toMatch(/✗ .*big\.ipynb: 4\.1 MB executed, .*largest outputs: cell 1 text\/html 4\.1 MB/);
    expect(failed.stdout.trim().split('\n').pop()).toBe('sizes: 0 within budget, 2 over');
    const report = JSON.parse(fs.readFileSync(path.join(over, 'size-report.json'), 'utf8')) as Result & { budgets: Record<string, number> };
    expect(report.budgets).toEqual({ kernel: 2.5 * MB, executed: 4 * MB, html: 4 * MB, book: 1.5 * MB });
    expect(report.failed).toBe(2);
    expect(run(buildFolder({ small: notebook([[display({ 'text/plain': 'x' })]]) })).status).toBe(0);
    const empty = run(tempDir('sizes'));
    expect(empty.status).toBe(0);
    expect(empty.stdout).toMatch(/skipped/);
  });
});
