// The Plotly bundle the notebooks load, in a real browser (Debian's Chromium through
// playwright-core): its trace types are exactly PLOTLY_TRACE_TYPES, its version is the pinned
// one, what plotlyBundle sends (typed arrays, a PNG image trace) draws with the values given, and
// its HTML swaps the chart's picture for the live chart, or keeps it when Plotly cannot load.
// Without Chromium the test says so in one line and is skipped; with CI set it fails instead.
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grayImageTrace, PICTURE_SLOT, PLOTLY_LIBRARY, PLOTLY_TRACE_TYPES, plotlyBundle, plotlyLibraryFile, plotlyLibraryHtml } from '../../src/display/plotly';

const ROOT = path.resolve(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { findChromium, LAUNCH_ARGS } = require(path.join(ROOT, 'scripts', 'chromium')) as { findChromium(): string | null; LAUNCH_ARGS: string[] };
const executablePath = findChromium();
const ci = Boolean(process.env.CI);
if (!executablePath && !ci) console.log('plotly bundle in Chromium: skipped (no Chromium: sudo apt-get install chromium, or set ELBO_LAB_CHROMIUM)');

// The page's globals, as far as the functions run there use them (the test compiles without the DOM library).
interface BrowserNode { getAttribute(name: string): string | null }
interface BrowserElement extends BrowserNode {
  style: Record<string, string>;
  querySelector(selector: string): BrowserNode | null;
  querySelectorAll(selector: string): ArrayLike<BrowserNode>;
}
interface PlotlyGlobal {
  version: string;
  PlotSchema: { get(): { traces: Record<string, unknown> } };
  newPlot(element: BrowserElement, data: unknown, layout: unknown): Promise<unknown>;
}
declare const window: { Plotly?: PlotlyGlobal };
declare const document: {
  createElement(tag: string): BrowserElement;
  body: { appendChild(node: BrowserElement): void };
  querySelector(selector: string): (BrowserElement & { textContent: string }) | null;
};

interface Page {
  setContent(html: string): Promise<void>;
  waitForFunction<A>(fn: (arg: A) => unknown, arg: A, options?: { timeout?: number }): Promise<unknown>;
  evaluate<T, A>(fn: (arg: A) => T | Promise<T>, arg: A): Promise<T>;
  close(): Promise<void>;
}
interface Browser { newPage(): Promise<Page>; close(): Promise<void> }

describe.skipIf(!executablePath && !ci)('the Plotly bundle in Chromium', () => {
  let browser: Browser | null = null;
  let page: Page;

  beforeAll(async () => {
    if (!executablePath) throw new Error('CI is set and no Chromium was found (sudo apt-get install chromium, or set ELBO_LAB_CHROMIUM)');
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { chromium } = require('playwright-core') as { chromium: { launch(o: Record<string, unknown>): Promise<Browser> } };
    browser = await chromium.launch({ executablePath, headless: true, args: LAUNCH_ARGS });
    page = await browser.newPage();
    // the library as the notebooks carry it: the kernel's one HTML output (gzip + base64, unpacked in the page)
    await page.setContent(`<!doctype html><html><head></head><body>${plotlyLibraryHtml()}</body></html>`);
    await page.waitForFunction(() => Boolean(window.Plotly), null, { timeout: 20_000 });
  }, 60_000);
  afterAll(async () => { await browser?.close(); });

  it('unpacks the library the kernel sends (about 0.65 MB of a 1.5 MB bundle) into window.Plotly', () => {
    expect(plotlyLibraryHtml().length).toBeLessThan(0.5 * fs.statSync(plotlyLibraryFile(ROOT)).size);
  });

  it('has exactly the trace types plotlyBundle allows, at the pinned version', async () => {
    const found = await page.evaluate(() => {
      const plotly = window.Plotly!;
      return { traces: Object.keys(plotly.PlotSchema.get().traces).sort(), version: plotly.version };
    }, null);
    expect(found.traces).toEqual([...PLOTLY_TRACE_TYPES].sort());
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(found.version).toBe(pkg.dependencies[PLOTLY_LIBRARY.package]);
  });

  it('decodes what plotlyBundle encodes: f8 exactly, gaps as breaks, integer arrays, an f4 heatmap matrix, a PNG image', async () => {
    const x = Array.from({ length: 60 }, (_, i) => -3 + i * 0.1);
    const y = x.map((v, i) => (i === 30 ? null : Math.sin(v) / 3));
    const counts = Array.from({ length: 60 }, (_, i) => (i * 7) % 50);
    const z = Array.from({ length: 12 }, (_, r) => Array.from({ length: 15 }, (_, c) => Math.exp(-((r - 6) ** 2 + (c - 7) ** 2) / 9)));
    const picture = Array.from({ length: 10 }, (_, r) => Array.from({ length: 14 }, (_, c) => (c === 7 ? null : (r * 14 + c) / 140)));
    const bundle = plotlyBundle({
      data: [
        { type: 'scatter', mode: 'lines', x, y, name: 'line with a gap' },
        { type: 'bar', x, y: counts, name: 'counts', xaxis: 'x2', yaxis: 'y2' },
        { type: 'heatmap', z, name: 'surface', xaxis: 'x3', yaxis: 'y3' },
        grayImageTrace(picture, { xaxis: 'x4', yaxis: 'y4' }),
      ],
      layout: {
        grid: { rows: 2, columns: 2, pattern: 'independent' },
        xaxis: { title: { text: 'a' } }, yaxis: { title: { text: 'b' } },
      },
    });
    const figure = bundle['application/vnd.plotly.v1+json'] as { data: Array<Record<string, unknown>>; layout: Record<string, unknown> };
    expect((figure.data[0].x as { dtype: string }).dtype).toBe('f8');
    expect((figure.data[1].y as { dtype: string }).dtype).toBe('u1');
    expect((figure.data[2].z as { dtype: string }).dtype).toBe('f4');
    const drawn = await page.evaluate(async (fig) => {
      const plotly = window.Plotly!;
      const element = document.createElement('div');
      element.style.width = '800px';
      element.style.height = '600px';
      document.body.appendChild(element);
      await plotly.newPlot(element, fig.data, fig.layout);
      const full = (element as unknown as { _fullData: Array<Record<string, ArrayLike<number> & { length: number }>> })._fullData;
      const rows = (m: unknown) => Array.from(m as ArrayLike<ArrayLike<number>>, (row) => Array.from(row));
      const image = element.querySelector('g.imagelayer image, image');
      return {
        x: Array.from(full[0].x), y: Array.from(full[0].y, (v) => (Number.isNaN(v) ? 'NaN' : v)),
        counts: Array.from(full[1].y), z: rows(full[2].z),
        linePaths: Array.from(element.querySelectorAll('g.scatterlayer g.trace path.js-line'), (p: BrowserNode) => (p.getAttribute('d') || '').split('M').length - 1),
        imageHref: image ? (image.getAttribute('href') || image.getAttribute('xlink:href') || '').slice(0, 22) : null,
        imageSize: image ? [Number(image.getAttribute('width')), Number(image.getAttribute('height'))] : null,
      };
    }, figure);
    expect(drawn.x).toEqual(x);
    expect(drawn.y).toEqual(y.map((v) => (v === null ? 'NaN' : v)));
    expect(drawn.linePaths.reduce((s, n) => s + n, 0)).toBe(2); // the gap splits the line in two
    expect(drawn.counts).toEqual(counts);
    expect(drawn.z).toEqual(z.map((row) => row.map(Math.fround)));
    expect(drawn.imageHref).toBe('data:image/png;base64,');
    expect(drawn.imageSize![0]).toBeGreaterThan(0);
  }, 60_000);

  // The chart's HTML with its picture in the slot, as scripts/nbrun.py finishes an executed copy.
  const TINY_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
  const finishedHtml = () => (plotlyBundle({
    data: [{ type: 'scatter', x: [1, 2, 3], y: [2, 1, 3], name: 'curve' }],
    layout: { xaxis: { title: { text: 'a' } }, yaxis: { title: { text: 'b' } } },
  })['text/html'] as string).replace(PICTURE_SLOT, `<img class="elbo-lab-plot-picture" alt="chart (picture of the chart)" src="data:image/png;base64,${TINY_PNG}">`);
  const plotState = () => {
    const element = document.querySelector('.elbo-lab-plot')!;
    return {
      pictures: element.querySelectorAll('img.elbo-lab-plot-picture').length,
      svg: element.querySelectorAll('svg.main-svg').length,
      traces: element.querySelectorAll('g.scatterlayer g.trace').length,
      note: (element.querySelector('p') as unknown as { textContent: string } | null)?.textContent ?? null,
    };
  };

  it('swaps the chart\'s picture for the live chart once Plotly has loaded', async () => {
    const other = await browser!.newPage();
    try {
      // the chart's script runs before the library has unpacked, and waits for it
      await other.setContent(`<!doctype html><html><body>${finishedHtml()}${plotlyLibraryHtml()}</body></html>`);
      await other.waitForFunction(() => Boolean(document.querySelector('.elbo-lab-plot.js-plotly-plot')), null, { timeout: 20_000 });
      expect(await other.evaluate(plotState, null)).toEqual({ pictures: 0, svg: expect.any(Number), traces: 1, note: null });
      expect((await other.evaluate(plotState, null)).svg).toBeGreaterThan(0);
    } finally {
      await other.close();
    }
  }, 60_000);

  it('keeps the picture, with a note above it, when Plotly cannot load', async () => {
    const other = await browser!.newPage();
    try {
      await other.setContent(`<!doctype html><html><body>${finishedHtml()}<script>window.__elboLabPlotlyError = 'the library failed to unpack';</script></body></html>`);
      await other.waitForFunction(() => Boolean(document.querySelector('.elbo-lab-plot p')), null, { timeout: 10_000 });
      expect(await other.evaluate(plotState, null)).toEqual({ pictures: 1, svg: 0, traces: 0, note: 'Chart not drawn: the library failed to unpack.' });
    } finally {
      await other.close();
    }
  }, 30_000);
});
