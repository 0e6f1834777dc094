// The book (scripts/book/): math extraction and typesetting, the page checker's verdicts, the site
// built from generated notebooks (a chart's fallback taken from the picture in its HTML),
// the table of contents against the notebooks, nbrun.py --finish (the picture put into the
// kernel's chart HTML), and (with Chromium) the checker passing charts of plain arrays, typed
// arrays ({dtype, bdata}) and image traces and a math output with its TeX source hidden, and
// failing a page whose chart has empty data (no traces, or empty bdata) or whose TeX shows.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { mathBundle } from '../../src/display/math';
import { plotlyBundle } from '../../src/display/plotly';
import { decoderPayload } from '../../src/display/decoderPayload';
import { decoderWeightsBundle, EXPLORER_UI } from '../../src/display/latentExplorer';
import { Vae } from '../../src/models/vae';
import { Random } from '../../src/random';
import { ROOT, setupPython, tempDir } from './helpers';

interface Span { tex: string; display: boolean }
const math = require(path.join(ROOT, 'scripts', 'book', 'math')) as {
  extractMath(markdown: string): { text: string; spans: Span[] };
  restoreMath(html: string, spans: Span[], where?: string): string;
};
interface ChartStats {
  id: string; state: string; traces: number; emptyTraces: string[]; svgExpected: number; svgDrawn: number;
  glExpected: boolean; glCanvases: number; cartesian: boolean; titles: Array<{ axis: string; expected: string; shown: string }>; fallback: string;
}
interface PageStats {
  charts: ChartStats[]; absoluteRefs: string[]; errorOutputs: number; rawTex: string[]; katexNodes: number; katexErrors: number;
  katexFontsLoaded: number; katexFontErrors: string[]; consoleErrors?: string[]; external?: string[]; failedRequests?: string[];
}
const check = require(path.join(ROOT, 'scripts', 'book', 'check')) as {
  isLocalUrl(url: string): boolean;
  judgePage(stats: PageStats, expect?: { charts?: number; katex?: boolean; relative?: boolean }): string[];
};
interface TocEntry { level: number; title: string; notebook: string; heading?: string }
const build = require(path.join(ROOT, 'scripts', 'book', 'build')) as {
  buildSite(notebooks: Record<string, unknown>, out: string, options?: { python?: string; toc?: TocEntry[]; claims?: Record<string, unknown[]> | null }): { index: string; pages: Array<{ name: string; file: string; charts: number; explorers: number }> };
  isAssetOutput(data: Record<string, unknown>): boolean;
  plainTitle(source: string): string;
};
const { TOC } = require(path.join(ROOT, 'scripts', 'book', 'toc')) as { TOC: TocEntry[] };
const selftest = require(path.join(ROOT, 'scripts', 'book', 'selftest')) as {
  chartNotebook(traces: unknown[], options?: { png?: string | null; outputs?: unknown[] }): { cells: Array<Record<string, unknown>> };
  explorerOutput(options?: { follows?: boolean; live?: boolean }): unknown;
  chartOutputHtml(png?: string | null): string;
  mathOutputHtml(tex: string, options?: { sanitised?: boolean }): string;
  checkerSelfTest(context: unknown): Promise<Array<{ name: string; ok: boolean; problems: string[] }>>;
  typedArraySpec(values: number[], dtype?: string): { dtype: string; bdata: string };
  TINY_PNG: string;
  PICTURE_SLOT: string;
};
const chromium = require(path.join(ROOT, 'scripts', 'chromium')) as {
  findChromium(): string | null;
  launchChromium(): Promise<{ context: unknown; close(): Promise<void> }>;
};

describe('extractMath', () => {
  it('cuts out inline and display math, in order, leaving placeholders Markdown does not touch', () => {
    const { text, spans } = math.extractMath('The bound $\\log p_\\theta(x)$ holds:\n\n$$a_1 = \\frac{b}{c}$$\n\nand $q_*$.');
    expect(spans).toEqual([
      { tex: '\\log p_\\theta(x)', display: false },
      { tex: 'a_1 = \\frac{b}{c}', display: true },
      { tex: 'q_*', display: false },
    ]);
    expect(text).toBe('The bound ELBOMATH0X holds:\n\nELBOMATH1X\n\nand ELBOMATH2X.');
  });

  it('leaves code spans, fenced code, escaped dollars and prices alone', () => {
    const source = 'Use `$x$` here, \\$5 there, $5 and $6 elsewhere.\n```ts\nconst s = "$y$";\n```\n';
    const { text, spans } = math.extractMath(source);
    expect(spans).toEqual([]);
    expect(text).toBe(source);
  });

  it('does not run inline math across a blank line, and rejects an unclosed $$', () => {
    expect(math.extractMath('$a\n\nb$').spans).toEqual([]);
    expect(() => math.extractMath('$$\\frac{1}{2}')).toThrow(/unclosed \$\$/);
  });
});

describe('restoreMath', () => {
  it('puts KaTeX HTML + MathML in text and plain letters in attributes', () => {
    const { text, spans } = math.extractMath('## Why $q(z)$?\n\n$$\\frac{a}{b}$$');
    const html = `<h2 id="Why-${text.match(/ELBOMATH0X/)![0]}">${text}</h2>`;
    const out = math.restoreMath(html, spans);
    expect(out).not.toMatch(/ELBOMATH/);
    expect(out).toMatch(/^<h2 id="Why-qz">/);
    expect(out.match(/class="katex"/g)).toHaveLength(2);
    expect(out.match(/class="katex-display"/g)).toHaveLength(1);
    expect(out).toContain('<annotation encoding="application/x-tex">\\frac{a}{b}</annotation>');
  });

  it('names the place and the TeX KaTeX cannot typeset', () => {
    const { text, spans } = math.extractMath('$\\frac{a}$');
    expect(() => math.restoreMath(text, spans, 'nb, cell 3')).toThrow(/nb, cell 3: KaTeX cannot typeset «\\frac\{a\}»/);
  });
});

describe('the page checker (judgePage, isLocalUrl)', () => {
  const chart = (over: Partial<ChartStats> = {}): ChartStats => ({
    id: 'chart-1', state: 'drawn', traces: 2, emptyTraces: [], svgExpected: 2, svgDrawn: 2, glExpected: false, glCanvases: 0, cartesian: true,
    titles: [{ axis: 'xaxis', expected: 'epoch', shown: 'epoch' }, { axis: 'yaxis', expected: 'nats', shown: 'nats' }], fallback: 'loaded', ...over,
  });
  const page = (over: Partial<PageStats> = {}): PageStats => ({
    charts: [chart()], absoluteRefs: [], errorOutputs: 0, rawTex: [], katexNodes: 3, katexErrors: 0, katexFontsLoaded: 2, katexFontErrors: [], ...over,
  });
  const strict = { charts: 1, katex: true, relative: true };

  it('passes a right page', () => {
    expect(check.judgePage(page(), strict)).toEqual([]);
  });

  it('fails a chart with empty data, one with an empty trace, and one that drew fewer traces', () => {
    expect(check.judgePage(page({ charts: [chart({ traces: 0, svgExpected: 0, svgDrawn: 0 })] }), strict))
      .toEqual(['chart-1: the figure has no traces (empty data)']);
    expect(check.judgePage(page({ charts: [chart({ emptyTraces: ['β = 4'] })] }), strict)).toEqual(['chart-1: trace «β = 4» has no data points']);
    expect(check.judgePage(page({ charts: [chart({ svgDrawn: 1 })] }), strict)).toEqual(['chart-1: drew 1 of 2 traces']);
    expect(check.judgePage(page({ charts: [chart({ glExpected: true, glCanvases: 0 })] }), strict)).toEqual(['chart-1: its WebGL traces drew no canvas']);
    expect(check.judgePage(page({ charts: [chart({ state: 'failed' })] }), strict)).toEqual(['chart-1: not drawn (failed)']);
  });

  it('fails missing or wrong axis titles and a missing fallback image', () => {
    expect(check.judgePage(page({ charts: [chart({ titles: [{ axis: 'xaxis', expected: 'epoch', shown: 'epoch' }] })] }), strict))
      .toEqual(['chart-1: no y-axis title shown']);
    expect(check.judgePage(page({ charts: [chart({ titles: [{ axis: 'xaxis', expected: 'epoch', shown: '' }, { axis: 'yaxis', expected: 'nats', shown: 'nats' }] })] }), strict))
      .toEqual(['chart-1: no x-axis title shown', 'chart-1: xaxis title shows «», expected «epoch»']);
    expect(check.judgePage(page({ charts: [chart({ fallback: 'broken' })] }), strict)).toEqual(['chart-1: static fallback image broken']);
  });

  it('fails raw TeX, missing KaTeX, console errors, outside requests, absolute resources and a wrong chart count', () => {
    expect(check.judgePage(page({ rawTex: ['$$\\frac{a}{b}$$'] }), strict)).toEqual(['raw TeX left in the text: «$$\\frac{a}{b}$$»']);
    expect(check.judgePage(page({ katexNodes: 0 }), strict)).toEqual(['no KaTeX nodes: the page shows no typeset math']);
    expect(check.judgePage(page({ katexFontsLoaded: 0 }), strict)).toEqual(['no KaTeX font loaded (math set in fallback fonts)']);
    expect(check.judgePage(page({ consoleErrors: ['boom'] }), strict)).toEqual(['console error: boom']);
    expect(check.judgePage(page({ external: ['https://cdn.example/katex.css'] }), strict)).toEqual(['request leaves the machine: https://cdn.example/katex.css']);
    expect(check.judgePage(page({ absoluteRefs: ['/usr/share/javascript/mathjax/MathJax.js'] }), strict)).toHaveLength(1);
    expect(check.judgePage(page({ absoluteRefs: ['/usr/share/javascript/mathjax/MathJax.js'] }), { charts: 1 })).toEqual([]);
    expect(check.judgePage(page(), { charts: 2 })).toEqual(['1 chart(s) on the page, 2 expected']);
    expect(check.judgePage(page({ errorOutputs: 1 }), strict)).toHaveLength(1);
  });

  it('knows which requests stay on the machine', () => {
    for (const url of ['file:///tmp/a.html', 'data:image/png;base64,AA', 'http://127.0.0.1:8888/api', 'ws://localhost:1/x', 'http://[::1]:80/']) {
      expect(check.isLocalUrl(url), url).toBe(true);
    }
    for (const url of ['https://cdn.jsdelivr.net/npm/katex', 'http://localhost.example.com/', 'http://10.0.0.1/', 'not a url']) {
      expect(check.isLocalUrl(url), url).toBe(false);
    }
  });
});

describe('buildSite', () => {
  const solutionCell = {
    cell_type: 'code', execution_count: 2, outputs: [],
    metadata: { nbgrader: { grade: false, solution: true, locked: false, grade_id: 'ex1', schema_version: 3 } },
    source: 'function f(): number {\n  // BEGIN SOLUTION\n  return 42; // the answer line\n  // END SOLUTION\n}',
  };
  const library = { output_type: 'display_data', metadata: {}, data: { 'text/html': '<script>window.BIG_LIBRARY = 1;</script><div style="display:none">Plotly library loaded for this notebook</div>', 'text/plain': '' } };

  function site() {
    const notebook = selftest.chartNotebook([{ type: 'scatter', x: [1, 2], y: [3, 4], name: 'line' }]);
    (notebook.cells[1].outputs as unknown[]).unshift(library);
    notebook.cells.push(solutionCell);
    const out = tempDir('book');
    const result = build.buildSite({ 'nb-a': notebook }, out, { python: setupPython(), toc: [{ level: 1, title: 'Part $a$', notebook: 'nb-a' }] });
    return { out, result, html: fs.readFileSync(result.pages[0].file, 'utf8') };
  }

  it('writes a page with typeset math, the chart JSON, its picture as a file, and no library outputs or solutions', () => {
    const { out, result, html } = site();
    expect(result.pages).toEqual([{ name: 'nb-a', file: path.join(out, 'nb-a.html'), charts: 1, explorers: 0 }]);
    expect(html).not.toMatch(/ELBOMATH|\$\$|BIG_LIBRARY|the answer line/);
    expect(html.match(/class="katex"/g)).toHaveLength(2);
    expect(html).toContain('YOUR CODE HERE');
    const json = /<script type="application\/json" class="book-figure">([\s\S]*?)<\/script>/.exec(html);
    expect(JSON.parse(json![1]).data).toEqual([{ type: 'scatter', x: [1, 2], y: [3, 4], name: 'line' }]);
    // the fallback is the picture inside the chart's text/html, written once, as a file
    const png = /<img class="book-chart-fallback" src="(images\/[^"]+)"/.exec(html)![1];
    expect(fs.readFileSync(path.join(out, png)).equals(Buffer.from(selftest.TINY_PNG, 'base64'))).toBe(true);
    expect(html).not.toContain(selftest.TINY_PNG);
    expect(html).not.toContain('elbo-lab-plot-picture');
    expect(JSON.parse(fs.readFileSync(path.join(out, 'pages.json'), 'utf8'))).toEqual([{ file: 'index.html', charts: 0 }, { file: 'nb-a.html', charts: 1, explorers: 0 }]);
  });

  it('carries a latent explorer and its decoder weights onto the page, counted in pages.json for the browser tests', () => {
    const vae = new Vae({ inputSize: 784, latentSize: 2, hiddenSizes: [4] }, new Random(1));
    const weights = decoderWeightsBundle(decoderPayload(vae, { count: 3 }));
    vae.dispose();
    const notebook = selftest.chartNotebook([{ type: 'scatter', x: [1], y: [2] }], { outputs: [
      { output_type: 'display_data', metadata: {}, data: weights }, selftest.explorerOutput(),
    ] });
    const out = tempDir('book');
    build.buildSite({ 'nb-a': notebook }, out, { python: setupPython(), toc: [{ level: 1, title: 'A', notebook: 'nb-a' }] });
    const html = fs.readFileSync(path.join(out, 'nb-a.html'), 'utf8');
    expect(html).toContain(weights['text/html'] as string);
    expect(html).toContain('<div id="elbo-latent-self-test" class="elbo-lab-latent-explorer">');
    expect(html.indexOf('window.__elboLabDecoders')).toBeLessThan(html.indexOf('elbo-latent-self-test'));
    expect(JSON.parse(fs.readFileSync(path.join(out, 'pages.json'), 'utf8'))[1]).toEqual({ file: 'nb-a.html', charts: 1, explorers: 1 });
  });

  it('says a chart has no picture before it is finished (empty slot, no image/png), and keeps the caption after its script', () => {
    const notebook = selftest.chartNotebook([{ type: 'scatter', x: [1, 2], y: [3, 4] }], { png: null });
    const output = (notebook.cells[1].outputs as Array<{ data: Record<string, unknown> }>)[0];
    expect(output.data['text/html']).toContain(selftest.PICTURE_SLOT);
    output.data['text/html'] += '<div style="font-family:monospace">epoch 3 of 10</div>';
    const out = tempDir('book');
    const result = build.buildSite({ 'nb-d': notebook }, out, { python: setupPython(), toc: [] });
    const html = fs.readFileSync(result.pages[0].file, 'utf8');
    expect(html).toContain('<p class="book-chart-missing">');
    expect(html).not.toMatch(/<img class="book-chart-fallback"/);
    expect(fs.readdirSync(path.join(out, 'images'))).toEqual([]);
    expect(html).toContain('<figcaption><div style="font-family:monospace">epoch 3 of 10</div></figcaption>');
    // finished as nbrun.py does (the picture in the slot and as image/png): the same caption, the picture as the fallback
    const finished = (notebook.cells[1].outputs as Array<{ data: Record<string, unknown> }>)[0].data;
    finished['text/html'] = `${selftest.chartOutputHtml()}<div style="font-family:monospace">epoch 3 of 10</div>`;
    finished['image/png'] = selftest.TINY_PNG;
    const again = fs.readFileSync(build.buildSite({ 'nb-d': notebook }, out, { python: setupPython(), toc: [] }).pages[0].file, 'utf8');
    expect(again).toMatch(/<img class="book-chart-fallback" src="images\/nb-d-chart-1\.png"/);
    expect(again).toContain('<figcaption><div style="font-family:monospace">epoch 3 of 10</div></figcaption>');
  });

  it('keeps typed arrays and image traces in the chart JSON as they are, once per chart, and marks cells and outputs', () => {
    const traces = [
      { type: 'scatter', name: 'typed', x: selftest.typedArraySpec([1, 2, 3]), y: selftest.typedArraySpec([3, 1, 2], 'f4') },
      { type: 'image', name: 'mosaic', source: `data:image/png;base64,${selftest.TINY_PNG}` },
    ];
    const out = tempDir('book');
    const result = build.buildSite({ 'nb-b': selftest.chartNotebook(traces) }, out, { python: setupPython(), toc: [] });
    const html = fs.readFileSync(result.pages[0].file, 'utf8');
    const json = /<script type="application\/json" class="book-figure">([\s\S]*?)<\/script>/.exec(html);
    expect(JSON.parse(json![1]).data).toEqual(traces);
    // the numbers are on the page once (no second copy in an HTML output), the PNG fallback is a file
    expect(html.split(selftest.typedArraySpec([1, 2, 3]).bdata)).toHaveLength(2);
    expect(html).toMatch(/<img class="book-chart-fallback" src="images\/nb-b-chart-1\.png"/);
    expect(html).toMatch(/<section class="book-markdown" data-cell="0" data-mime-type="text\/markdown">/);
    expect(html).toMatch(/<section class="book-cell" data-cell="1">/);
    expect(html).toMatch(/<figure class="book-chart" id="chart-1" data-mime-type="application\/vnd\.plotly\.v1\+json">/);
  });

  it('carries the pictures of a chart made only of pictures once, as its fallback images, without a rendered copy', () => {
    const picture = `data:image/png;base64,${selftest.TINY_PNG}`;
    const traces = [
      { type: 'image', name: 'β = 1', source: picture, xaxis: 'x', yaxis: 'y' },
      { type: 'image', name: 'β = 0', source: picture, xaxis: 'x2', yaxis: 'y2' },
    ];
    const out = tempDir('book');
    const result = build.buildSite({ 'nb-c': selftest.chartNotebook(traces) }, out, { python: setupPython(), toc: [] });
    const html = fs.readFileSync(result.pages[0].file, 'utf8');
    const json = /<script type="application\/json" class="book-figure">([\s\S]*?)<\/script>/.exec(html);
    expect(JSON.parse(json![1]).data.map((t: { source: string }) => t.source)).toEqual(['#picture-1', '#picture-2']);
    expect(html.match(/<img class="book-chart-fallback" data-picture="(\d)" src="data:image\/png;base64,/g)).toHaveLength(2);
    expect(html.split(selftest.TINY_PNG)).toHaveLength(3); // once per picture
    expect(fs.readdirSync(path.join(out, 'images'))).toEqual([]); // no rendered PNG of the chart
  });

  it('copies every asset the pages use, references them relatively, and names no machine path', () => {
    const { out, html } = site();
    const index = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
    for (const page of [html, index]) {
      const refs = [...page.matchAll(/<(?:script|link|img)[^>]*(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((r) => !r.startsWith('data:'));
      expect(refs.length).toBeGreaterThan(0);
      for (const ref of refs) {
        expect(ref, ref).toMatch(/^[a-z0-9]/i);
        expect(ref, ref).not.toMatch(/^[a-z]+:/i);
        expect(fs.existsSync(path.join(out, ref)), ref).toBe(true);
      }
      expect(page).not.toContain(ROOT);
      expect(page).not.toContain('/usr/share');
    }
    const css = fs.readFileSync(path.join(out, 'assets', 'katex', 'katex.min.css'), 'utf8');
    const fonts = [...css.matchAll(/url\((fonts\/[^)]+)\)/g)].map((m) => m[1]);
    expect(fonts.length).toBeGreaterThan(20);
    for (const font of fonts) expect(fs.existsSync(path.join(out, 'assets', 'katex', font)), font).toBe(true);
    expect(index).toContain('href="nb-a.html"');
    expect(index).toMatch(/Part <span class="katex">/);
  });

  it('tells a table-of-contents heading that is not in its notebook', () => {
    const out = tempDir('book');
    expect(() => build.buildSite({ 'nb-a': selftest.chartNotebook([]) }, out, {
      python: setupPython(), toc: [{ level: 2, title: 'Step 9', notebook: 'nb-a', heading: 'Step 9' }],
    })).toThrow(/«Step 9» expects a heading starting «Step 9» in nb-a/);
  });

  it('writes the course-wide claims page from the saved rows (routes, measured, held), linked from the index, and refuses a duplicate id', () => {
    const row = (id: string, passed = true) => ({ id, section: '§3', statement: `claim ${id} <b>`, where: 'w', routes: 'A: Woodbury / B: Cholesky', measured: '1 vs 1 nats', criterion: '|difference| ≤ 0', passed });
    const notebooks = { 'nb-a': selftest.chartNotebook([]), 'nb-b': selftest.chartNotebook([]) };
    const toc = [{ level: 1, title: 'A', notebook: 'nb-a' }, { level: 1, title: 'B', notebook: 'nb-b' }];
    const out = tempDir('book');
    build.buildSite(notebooks, out, { python: setupPython(), toc, claims: { 'nb-a': [row('gap-one'), row('gap-two', false)] } });
    const page = fs.readFileSync(path.join(out, 'claims.html'), 'utf8');
    expect(page).toContain('2 claims in 1 notebooks, 1 held');
    expect(page).toContain('<td>A: Woodbury / B: Cholesky</td>');
    expect(page).toContain('claim gap-one &lt;b&gt;');
    expect(page).toMatch(/<tr class="book-claim-failed"><td>gap-two<\/td>/);
    expect(page).toContain('No claims saved: this notebook did not run to its end');
    expect(fs.readFileSync(path.join(out, 'index.html'), 'utf8')).toContain('<a href="claims.html">Every claim of the course</a>');
    expect(JSON.parse(fs.readFileSync(path.join(out, 'pages.json'), 'utf8')).map((p: { file: string }) => p.file)).toContain('claims.html');
    expect(() => build.buildSite(notebooks, tempDir('book'), { python: setupPython(), toc, claims: { 'nb-a': [row('same')], 'nb-b': [row('same')] } }))
      .toThrow(/the claim id «same» is used by nb-a and nb-b; claim ids must be unique in the course/);
  });

  it('gives pages a <title> without TeX', () => {
    expect(build.plainTitle('04 — Why keep $q_\\phi(z\\mid x)$ close to $p(z)$?')).toBe('04 — Why keep qφ(z | x) close to p(z)?');
  });

  it('recognises library and stylesheet outputs, and only those', () => {
    expect(build.isAssetOutput(library.data)).toBe(true);
    expect(build.isAssetOutput({ 'text/html': '<style>.katex{}</style>', 'text/plain': '' })).toBe(true);
    expect(build.isAssetOutput({ 'text/html': '<span class="katex">x</span>', 'text/plain': 'x' })).toBe(false);
    expect(build.isAssetOutput({ 'text/html': '<table></table>', 'text/plain': '' })).toBe(false);
  });

  it('keeps a latent explorer\'s decoder weights on the page (a script output like a library\'s, but the explorers need it)', () => {
    const vae = new Vae({ inputSize: 784, latentSize: 2, hiddenSizes: [4] }, new Random(1));
    const weights = decoderWeightsBundle(decoderPayload(vae, { count: 3 }));
    vae.dispose();
    expect(weights['text/plain']).toBe('');
    expect(build.isAssetOutput(weights)).toBe(false);
    expect(build.isAssetOutput({ 'text/html': '<script>window.__elboLabDecodersX = 1;</script>', 'text/plain': '' })).toBe(true);
  });
});

describe('the table of contents', () => {
  const notebooks = fs.readdirSync(path.join(ROOT, 'notebooks')).filter((f) => /^\d\d-.*\.ipynb$/.test(f)).sort().map((f) => f.replace(/\.ipynb$/, ''));
  const headings = (name: string): string[] => {
    const nb = JSON.parse(fs.readFileSync(path.join(ROOT, 'notebooks', `${name}.ipynb`), 'utf8')) as { cells: Array<{ cell_type: string; source: string | string[] }> };
    return nb.cells.filter((c) => c.cell_type === 'markdown')
      .flatMap((c) => (Array.isArray(c.source) ? c.source.join('') : c.source).split('\n'))
      .filter((l) => /^#{1,6} /.test(l)).map((l) => l.replace(/^#+\s*/, ''));
  };

  it('covers every notebook, in order, with section N in notebook 0N', () => {
    expect([...new Set(TOC.map((e) => e.notebook))]).toEqual(notebooks);
    for (const entry of TOC.filter((e) => e.level === 1 && /^\d\./.test(e.title))) {
      expect(entry.notebook.slice(0, 2), entry.title).toBe(`0${entry.title[0]}`);
    }
  });

  it('points every sub-entry at a heading its notebook has', () => {
    for (const entry of TOC.filter((e) => e.heading)) {
      expect(headings(entry.notebook).some((h) => h.startsWith(entry.heading!)), `${entry.notebook}: ${entry.heading}`).toBe(true);
    }
  });
});

describe('nbrun.py --finish', () => {
  it('puts the picture of a chart into its HTML in place of the slot and into image/png (with Chromium), and signs the copy', () => {
    const dir = tempDir('finish');
    const file = path.join(dir, 'executed.ipynb');
    // The chart as the kernel writes it (its HTML with the empty slot, a caption after the script, as
    // a live chart has), plus a stale image/png (an older finishing step's copy) that must be replaced.
    const figure = {
      data: [{ type: 'scatter', x: [1, 2, 3], y: [2, 1, 3] }],
      layout: { title: { text: 'finish <b>test</b>' }, xaxis: { title: { text: 'step' } }, yaxis: { title: { text: 'nats' } } },
    };
    const bundle = plotlyBundle(figure);
    const caption = '<div style="font-family:monospace">epoch 3 of 10</div>';
    const kernelHtml = `${bundle['text/html'] as string}${caption}`;
    expect(kernelHtml.split(selftest.PICTURE_SLOT)).toHaveLength(2);
    const notebook = selftest.chartNotebook([]);
    notebook.cells[1].outputs = [{ output_type: 'display_data', metadata: {}, data: { ...bundle, 'text/html': kernelHtml, 'image/png': selftest.TINY_PNG } }];
    fs.writeFileSync(file, JSON.stringify({ ...notebook, metadata: { kernelspec: { name: 'elbo-lab', display_name: 'TypeScript', language: 'typescript' } } }));
    const done = spawnSync(setupPython(), [path.join(ROOT, 'scripts', 'nbrun.py'), '--finish', file], { encoding: 'utf8', timeout: 120_000 });
    expect(done.status, done.stderr).toBe(0);
    const line = JSON.parse(done.stdout.trim().split('\n').pop()!) as { charts: number; images: number; signed: boolean };
    expect(line.charts).toBe(1);
    expect(line.images).toBe(chromium.findChromium() ? 1 : 0);
    expect(line.signed).toBe(true);
    const trusted = spawnSync(setupPython(), ['-c', 'import sys, nbformat\nfrom nbformat.sign import NotebookNotary\nprint(NotebookNotary().check_signature(nbformat.read(sys.argv[1], 4)))', file], { encoding: 'utf8' });
    expect(trusted.stdout.trim()).toBe('True');
    const written = JSON.parse(fs.readFileSync(file, 'utf8')) as { cells: Array<{ outputs?: Array<{ data: Record<string, string | string[]> }> }> };
    const data = written.cells[1].outputs![0].data;
    const html = ([] as string[]).concat(data['text/html']).join('');
    if (!chromium.findChromium()) {
      expect(html).toBe(kernelHtml); // no picture to put in: the slot stays
      return;
    }
    expect(html).not.toContain(selftest.PICTURE_SLOT);
    // the picture inside the chart's div, named by the title (without its tags); everything else as the kernel wrote it
    const picture = /<img class="elbo-lab-plot-picture" alt="finish test \(picture of the chart\)" style="display:block;width:100%;max-width:900px;height:auto" src="data:image\/png;base64,([A-Za-z0-9+/=]+)">/.exec(html);
    expect(picture, html.slice(0, 300)).not.toBeNull();
    expect(html.replace(picture![0], selftest.PICTURE_SLOT)).toBe(kernelHtml);
    expect(html.indexOf(picture![0])).toBeLessThan(html.indexOf('</div>'));
    // a PNG of the chart's shape (layout 900 × 420 by default, drawn scaled)
    const png = Buffer.from(picture![1], 'base64');
    // the same picture as image/png (what JupyterLab's Plotly extension shows until hovered), not the stale one
    expect(([] as string[]).concat(data['image/png']).join('').replace(/\s/g, '')).toBe(picture![1]);
    expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
    expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
    const [width, height] = [png.readUInt32BE(16), png.readUInt32BE(20)];
    expect(width).toBeGreaterThan(300);
    expect(width / height).toBeCloseTo(900 / 420, 1);
    // the book takes that picture as the chart's fallback file, and the caption after the script
    const out = tempDir('book');
    const page = fs.readFileSync(build.buildSite({ finished: written }, out, { python: setupPython(), toc: [] }).pages[0].file, 'utf8');
    expect(page).toMatch(/<img class="book-chart-fallback" src="images\/finished-chart-1\.png"/);
    expect(fs.readFileSync(path.join(out, 'images', 'finished-chart-1.png')).equals(png)).toBe(true);
    expect(page).toContain(`<figcaption>${caption}</figcaption>`);
  });
});

describe('the self-test\'s outputs', () => {
  it('are what the kernel writes: the chart HTML with its picture slot, the math HTML of mathBundle', () => {
    const kernelChart = plotlyBundle({ data: [{ type: 'scatter', x: [1], y: [2] }], layout: { xaxis: { title: { text: 'a' } }, yaxis: { title: { text: 'b' } } } });
    const shape = /^<div id="[^"]+" class="elbo-lab-plot" style="width:100%;height:420px"><!--elbo-lab-picture--><\/div>\n<script type="text\/javascript">[\s\S]*<\/script>$/;
    expect(kernelChart['text/html']).toMatch(shape);
    expect(selftest.chartOutputHtml(null)).toMatch(shape);
    const tex = '\\mathrm{KL}(q \\| p) \\ge 0 < 1';
    expect(selftest.mathOutputHtml(tex)).toBe(mathBundle(tex)['text/html']);
    expect(selftest.mathOutputHtml(tex, { sanitised: true })).toBe((mathBundle(tex)['text/html'] as string).replace(/<style>[^<]*<\/style>/, ''));
  });
});

describe('the latent explorer walker (scripts/book/explorer.js)', () => {
  const walker = require(path.join(ROOT, 'scripts', 'book', 'explorer')) as {
    explorerCount(notebook: unknown): number;
    readoutNumber(value: number): string;
  };
  it('reads what the explorer\'s page code (EXPLORER_UI) writes: its classes, its handle, its readout', () => {
    for (const name of ['elbo-lab-explorer-live', 'elbo-lab-plane', 'elbo-lab-digit', 'elbo-lab-readout', 'elbo-lab-explorer-note', "'data-z1'", "'data-z2'", 'root.elboLabExplorer = {', 'decode: function', 'z: function']) {
      expect(EXPLORER_UI).toContain(name);
    }
    expect(EXPLORER_UI).toContain("'z = (' + number(z1, 2) + ', ' + number(z2, 2) + ')");
    expect([walker.readoutNumber(-0.001), walker.readoutNumber(-1.234), walker.readoutNumber(2)]).toEqual(['0.00', '\u22121.23', '2.00']);
  });
  it('counts a notebook\'s explorer outputs (not its weights outputs)', () => {
    const output = (html: string) => ({ output_type: 'display_data', data: { 'text/html': html } });
    const notebook = { cells: [{ cell_type: 'code', outputs: [output('<script>var registry = window.__elboLabDecoders;</script>'), output('<div id="elbo-latent-1" class="elbo-lab-latent-explorer">')] }, { cell_type: 'markdown' }] };
    expect(walker.explorerCount(notebook)).toBe(1);
  });
});

describe('the page checker in Chromium', () => {
  it.skipIf(!chromium.findChromium())('passes right pages (plain arrays, bdata, an image trace, math with its TeX hidden, an explorer that follows the keys) and fails ones whose chart has empty data, whose TeX shows or whose explorer does not follow', async () => {
    const browser = await chromium.launchChromium();
    try {
      const results = await selftest.checkerSelfTest(browser.context);
      expect(results.map((r) => r.name)).toEqual([
        'checker self-test: a right page passes',
        'checker self-test: a chart with empty data fails',
        'checker self-test: a chart of typed arrays (bdata) passes',
        'checker self-test: an image trace from a PNG passes',
        'checker self-test: a chart whose typed arrays are empty fails',
        'checker self-test: a math output (KaTeX shown, its TeX source hidden) passes',
        'checker self-test: a math output whose TeX source shows fails',
        'checker self-test: a latent explorer that follows the keys passes the walk',
        'checker self-test: a latent explorer whose readout does not follow the keys fails the walk',
        'checker self-test: a latent explorer that never starts fails the walk',
      ]);
      for (const result of results) expect(result.ok, `${result.name}: ${result.problems.join('; ')}`).toBe(true);
    } finally {
      await browser.close();
    }
  });
});

describe('scripts/book/browser-tests.js without Chromium', () => {
  const run = (env: Record<string, string>) => {
    const report = path.join(tempDir('browser'), 'report.json');
    const done = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'book', 'browser-tests.js'), '--report', report], {
      encoding: 'utf8', env: { ...process.env, CI: '', ELBO_LAB_CHROMIUM: '/nonexistent/chromium', ELBO_LAB_NO_SYSTEM_CHROMIUM: '1', ...env },
    });
    return { done, report: JSON.parse(fs.readFileSync(report, 'utf8')) as { passed: number; failed: number; skipped: string } };
  };

  it('says so in one line and skips', () => {
    const { done, report } = run({});
    expect(done.status).toBe(0);
    expect(done.stdout.split('\n')[0]).toMatch(/^browser tests: no Chromium found .*; skipped$/);
    expect(report).toMatchObject({ passed: 0, failed: 0 });
    expect(report.skipped).toMatch(/no Chromium found/);
  });

  it('fails under CI', () => {
    const { done, report } = run({ CI: 'true' });
    expect(done.status).toBe(1);
    expect(done.stdout.split('\n')[0]).toMatch(/no Chromium found .*; required under CI$/);
    expect(report).toMatchObject({ passed: 0, failed: 1 });
  });
});
