/**
 * Plotly figures as one output for every front end:
 *  - application/vnd.plotly.v1+json for JupyterLab (and VS Code),
 *  - text/html with Plotly.newPlot for the classic Notebook and nbconvert HTML; the library
 *    (the official cartesian bundle, plotly.js-cartesian-dist-min, inlined so it works offline)
 *    is sent once per kernel, before the first figure, as its own output,
 *  - text/plain with the title and trace names.
 * Numeric data arrays travel as Plotly typed arrays ({dtype, bdata}: see typedArrays.ts), so a
 * chart costs bytes per number, not decimals; digit pictures are `image` traces from a PNG.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { projectRoot } from '../paths';
import { freshId, inNotebook, MimeBundle, publish, PublishOptions } from './mime';
import { grayPngDataUri } from './png';
import { encodeTraceArrays } from './typedArrays';
import library from './plotly-library.json';

/** The Plotly bundle the notebooks, the book and the PNG fallbacks load (package and file). */
export const PLOTLY_LIBRARY: { package: string; file: string } = { package: library.package, file: library.file };

/**
 * The trace types of that bundle (plotly.js-cartesian-dist-min: `Plotly.PlotSchema.get().traces`,
 * checked against the real bundle by test/display/plotlyBundle.test.ts). A chart of any other type
 * (surface, scatter3d, scattergl …) would draw nothing where the notebook's own library is used,
 * so plotlyBundle refuses it.
 */
export const PLOTLY_TRACE_TYPES: readonly string[] = [
  'bar', 'box', 'contour', 'heatmap', 'histogram', 'histogram2d', 'histogram2dcontour', 'image', 'pie',
  'scatter', 'scatterternary', 'violin',
];

/** The bundle's file in a clone (default: this one). The book and the PNG renderer use it too. */
export function plotlyLibraryFile(root: string = projectRoot()): string {
  return path.join(root, 'node_modules', PLOTLY_LIBRARY.package, PLOTLY_LIBRARY.file);
}

/** A Plotly figure (the JSON Plotly.newPlot takes). */
export interface PlotlyFigure {
  data: Array<Record<string, unknown>>;
  layout?: Record<string, unknown>;
  config?: Record<string, unknown>;
}

let libraryPublished = false;

/**
 * The Plotly library as one HTML output: the minified bundle gzip-compressed and base64-encoded
 * (about 0.65 MB in the notebook file instead of 1.5 MB), unpacked in the browser by the standard
 * DecompressionStream (Chromium 80+, Firefox 113+, Safari 16.4+) and run as an inline script,
 * wrapped so that a page's AMD loader (classic Notebook's require.js) does not capture it: inside
 * the wrapper `define`, `module` and `exports` are undefined, so the bundle sets window.Plotly.
 * Charts wait for window.Plotly (plotlyBundle's HTML polls for it). Where the browser cannot
 * unpack it, each chart's output says so.
 */
export function plotlyLibraryHtml(): string {
  const packed = zlib.gzipSync(fs.readFileSync(plotlyLibraryFile()), { level: 9 }).toString('base64');
  return (
    `<script type="text/javascript">(function () {\n` +
    `  if (window.Plotly || window.__elboLabPlotlyLoading) return;\n` +
    `  if (typeof DecompressionStream === 'undefined') { window.__elboLabPlotlyError = 'this browser cannot unpack the Plotly library (no DecompressionStream): open the notebook in a current Chromium, Firefox or Safari'; return; }\n` +
    `  window.__elboLabPlotlyLoading = true;\n` +
    `  var packed = '${packed}';\n` +
    `  var bytes = Uint8Array.from(atob(packed), function (c) { return c.charCodeAt(0); });\n` +
    `  new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).text().then(function (source) {\n` +
    `    var script = document.createElement('script');\n` +
    `    script.text = '(function (define, module, exports) {\\n' + source + '\\n})(undefined, undefined, undefined);';\n` +
    `    document.head.appendChild(script);\n` +
    `  }).catch(function (error) { window.__elboLabPlotlyError = 'the Plotly library could not be unpacked: ' + error; })\n` +
    `    .then(function () { window.__elboLabPlotlyLoading = false; });\n` +
    `})();</script>`
  );
}

/** Publish the Plotly library once per kernel (each notebook has its own kernel). */
export function ensurePlotlyLibrary(): void {
  if (libraryPublished || !inNotebook()) return;
  publish({
    'text/html': `${plotlyLibraryHtml()}<div style="display:none">Plotly library loaded for this notebook</div>`,
    'text/plain': '',
  });
  libraryPublished = true;
}

function validateFigure(figure: PlotlyFigure): void {
  if (typeof figure !== 'object' || figure === null || !Array.isArray(figure.data)) {
    throw new TypeError('plotlyBundle: figure must be an object with a data array (Plotly traces)');
  }
  figure.data.forEach((trace, i) => {
    const type = trace?.type ?? 'scatter';
    if (typeof type !== 'string' || !PLOTLY_TRACE_TYPES.includes(type)) {
      throw new RangeError(
        `plotlyBundle: figure.data[${i}] is a «${String(type)}» trace, which the Plotly bundle the notebooks load ` +
          `(${PLOTLY_LIBRARY.package}) does not have; use one of ${PLOTLY_TRACE_TYPES.join(', ')}`,
      );
    }
  });
  const layout = figure.layout ?? {};
  for (const axis of ['xaxis', 'yaxis']) {
    const spec = layout[axis] as { title?: unknown } | undefined;
    // Pies have no axes; a picture's axes are its pixel grid (named by the figure where it helps).
    const axisless = figure.data.every((trace) => trace.type === 'pie' || trace.type === 'image');
    if (!axisless && (!spec || spec.title === undefined || spec.title === '')) {
      throw new RangeError(`plotlyBundle: figure.layout.${axis}.title is required (every chart names its axes and units)`);
    }
  }
}

function titleText(figure: PlotlyFigure): string {
  const title = figure.layout?.title as string | { text?: string } | undefined;
  if (typeof title === 'string') return title;
  return title?.text ?? 'Plotly chart';
}

/**
 * Where a chart's HTML takes its picture: an HTML comment inside the chart's div, replaced by an
 * `<img class="elbo-lab-plot-picture">` when an executed copy is finished (scripts/nbrun.py).
 */
export const PICTURE_SLOT = '<!--elbo-lab-picture-->';

/** The MIME bundle of a figure (pure: publishing is separate). */
export function plotlyBundle(figure: PlotlyFigure): MimeBundle {
  validateFigure(figure);
  const layout: Record<string, unknown> = { ...figure.layout };
  const config = { responsive: true, displaylogo: false, ...figure.config };
  const id = freshId('elbo-plot');
  const data = figure.data.map(encodeTraceArrays);
  const json = JSON.stringify({ data, layout, config }).replace(/<\//g, '<\\/');
  const height = typeof layout.height === 'number' ? `${layout.height}px` : '420px';
  // The div holds PICTURE_SLOT, where the executed copy's finishing step (scripts/nbrun.py) puts
  // the chart's PNG: what a reader sees where no script may run (an untrusted notebook in
  // JupyterLab, GitHub). The script replaces it with the live chart; a failure keeps the picture.
  const html =
    `<div id="${id}" class="elbo-lab-plot" style="width:100%;height:${height}">${PICTURE_SLOT}</div>\n` +
    `<script type="text/javascript">(function () {\n` +
    `  var figure = ${json};\n` +
    `  var element = document.getElementById(${JSON.stringify(id)});\n` +
    `  if (!element) return;\n` +
    `  function draw() { element.textContent = ''; window.Plotly.newPlot(element, figure.data, figure.layout, figure.config); }\n` +
    `  function fail(message) { var note = document.createElement('p'); note.textContent = message; element.insertBefore(note, element.firstChild); }\n` +
    `  if (window.Plotly) { draw(); return; }\n` +
    `  var tries = 0, timer = setInterval(function () {\n` +
    `    if (window.Plotly) { clearInterval(timer); draw(); }\n` +
    `    else if (window.__elboLabPlotlyError) { clearInterval(timer); fail('Chart not drawn: ' + window.__elboLabPlotlyError + '.'); }\n` +
    `    else if (++tries > 600) { clearInterval(timer); fail('Plotly is not loaded on this page: run the notebook again from the top (Kernel > Restart & Run All).'); }\n` +
    `  }, 50);\n` +
    `})();</script>`;
  const traces = figure.data.map((trace) => String(trace.name ?? trace.type ?? 'trace')).join(', ');
  return {
    'application/vnd.plotly.v1+json': { data, layout, config },
    'text/html': html,
    'text/plain': `[${titleText(figure)}] Plotly chart: ${traces}`,
  };
}

/** Show a figure in the notebook (or print its summary outside one). */
export function showPlot(figure: PlotlyFigure, options: PublishOptions = {}): void {
  const bundle = plotlyBundle(figure);
  ensurePlotlyLibrary();
  publish(bundle, options);
}

/**
 * A grayscale picture (rows of intensities in [0, 1], top row first; null for gaps, drawn white)
 * as one Plotly `image` trace from a PNG: pixel (row r, column c) is centred at x = c, y = r, as in
 * a heatmap without x and y, and the y axis runs downwards. The PNG holds gray levels
 * round(255·v), which is what Plotly's 'Greys' colour scale over [0, 1] drew (0 black, 1 white),
 * so the picture looks as the heatmap did; hover is off (a pixel's value teaches nothing here).
 */
export function grayImageTrace(matrix: ArrayLike<number | null>[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'image', source: grayPngDataUri(matrix), hoverinfo: 'skip', ...extra };
}
