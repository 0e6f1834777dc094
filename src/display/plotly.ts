/**
 * Plotly figures as one output for every front end:
 *  - application/vnd.plotly.v1+json for JupyterLab (and VS Code),
 *  - text/html with Plotly.newPlot for the classic Notebook and nbconvert HTML; the library
 *    (plotly.js-dist-min, inlined, so it works offline) is sent once per kernel, before the
 *    first figure, as its own output,
 *  - text/plain with the title and trace names.
 */
import * as fs from 'fs';
import * as path from 'path';
import { projectRoot } from '../paths';
import { freshId, inNotebook, MimeBundle, publish, PublishOptions } from './mime';

/** A Plotly figure (the JSON Plotly.newPlot takes). */
export interface PlotlyFigure {
  data: Array<Record<string, unknown>>;
  layout?: Record<string, unknown>;
  config?: Record<string, unknown>;
}

let libraryPublished = false;

/** The minified Plotly library, wrapped so that a page's AMD loader (classic Notebook's
 * require.js) does not capture it: inside the wrapper `define` is undefined, so the UMD
 * header falls through to setting window.Plotly. */
function libraryHtml(): string {
  const file = path.join(projectRoot(), 'node_modules', 'plotly.js-dist-min', 'plotly.min.js');
  const source = fs.readFileSync(file, 'utf8').replace(/<\/script/gi, '<\\/script');
  return `<script type="text/javascript">(function (define, module, exports) {\n${source}\n})(undefined, undefined, undefined);</script>`;
}

/** Publish the Plotly library once per kernel (each notebook has its own kernel). */
export function ensurePlotlyLibrary(): void {
  if (libraryPublished || !inNotebook()) return;
  publish({
    'text/html': `${libraryHtml()}<div style="display:none">Plotly library loaded for this notebook</div>`,
    'text/plain': '',
  });
  libraryPublished = true;
}

function validateFigure(figure: PlotlyFigure): void {
  if (typeof figure !== 'object' || figure === null || !Array.isArray(figure.data)) {
    throw new TypeError('plotlyBundle: figure must be an object with a data array (Plotly traces)');
  }
  const layout = figure.layout ?? {};
  for (const axis of ['xaxis', 'yaxis']) {
    const spec = layout[axis] as { title?: unknown } | undefined;
    const is3d = figure.data.some((trace) => trace.type === 'surface' || trace.type === 'scatter3d');
    const isTable = figure.data.every((trace) => trace.type === 'table' || trace.type === 'pie' || trace.type === 'image');
    if (!is3d && !isTable && (!spec || spec.title === undefined || spec.title === '')) {
      throw new RangeError(`plotlyBundle: figure.layout.${axis}.title is required (every chart names its axes and units)`);
    }
  }
}

function titleText(figure: PlotlyFigure): string {
  const title = figure.layout?.title as string | { text?: string } | undefined;
  if (typeof title === 'string') return title;
  return title?.text ?? 'Plotly chart';
}

/** The MIME bundle of a figure (pure: publishing is separate). */
export function plotlyBundle(figure: PlotlyFigure): MimeBundle {
  validateFigure(figure);
  const layout: Record<string, unknown> = { ...figure.layout };
  const config = { responsive: true, displaylogo: false, ...figure.config };
  const id = freshId('elbo-plot');
  const json = JSON.stringify({ data: figure.data, layout, config }).replace(/<\//g, '<\\/');
  const height = typeof layout.height === 'number' ? `${layout.height}px` : '420px';
  const html =
    `<div id="${id}" class="elbo-lab-plot" style="width:100%;height:${height}"></div>\n` +
    `<script type="text/javascript">(function () {\n` +
    `  var figure = ${json};\n` +
    `  var element = document.getElementById(${JSON.stringify(id)});\n` +
    `  function draw() { window.Plotly.newPlot(element, figure.data, figure.layout, figure.config); }\n` +
    `  if (window.Plotly) { draw(); return; }\n` +
    `  var tries = 0, timer = setInterval(function () {\n` +
    `    if (window.Plotly) { clearInterval(timer); draw(); }\n` +
    `    else if (++tries > 100) { clearInterval(timer); element.textContent = 'Plotly is not loaded on this page: run the notebook again from the top (Kernel > Restart & Run All).'; }\n` +
    `  }, 50);\n` +
    `})();</script>`;
  const traces = figure.data.map((trace) => String(trace.name ?? trace.type ?? 'trace')).join(', ');
  return {
    'application/vnd.plotly.v1+json': { data: figure.data, layout, config },
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
