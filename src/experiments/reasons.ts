/**
 * Display helpers for the notebook on §4 (why keep q(z|x) near the prior): many small images
 * tiled into one picture (a Plotly image trace from a PNG), so a grid of decoded digits is one
 * chart with axis titles.
 */
import { checkInteger } from '../tensorChecks';
import { grayImageTrace, PlotlyFigure } from '../display/plotly';

/**
 * Tiles `count` images of rows×cols pixels (row-major, concatenated) into one matrix with
 * `perRow` images per row and a gap of `gap` pixels (null: drawn blank) between them.
 * The matrix's first row is the top of the picture.
 */
export function imageMosaic(images: ArrayLike<number>, count: number, rows: number, cols: number, perRow: number, gap = 1): (number | null)[][] {
  const fn = 'imageMosaic';
  checkInteger(fn, 'count', count, 1);
  checkInteger(fn, 'rows', rows, 1);
  checkInteger(fn, 'cols', cols, 1);
  checkInteger(fn, 'perRow', perRow, 1);
  checkInteger(fn, 'gap', gap, 0);
  if (images.length !== count * rows * cols) {
    throw new RangeError(`${fn}: images must hold count·rows·cols = ${count * rows * cols} values, got ${images.length}`);
  }
  const tileRows = Math.ceil(count / perRow);
  const height = tileRows * rows + (tileRows - 1) * gap;
  const width = perRow * cols + (perRow - 1) * gap;
  const out: (number | null)[][] = Array.from({ length: height }, () => new Array<number | null>(width).fill(null));
  for (let k = 0; k < count; k++) {
    const top = Math.floor(k / perRow) * (rows + gap);
    const left = (k % perRow) * (cols + gap);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) out[top + r][left + c] = images[k * rows * cols + r * cols + c];
    }
  }
  return out;
}

/**
 * A Plotly figure of several mosaics side by side (one image trace each, from a PNG: pixel value
 * 0 black … 1 white, the grey scale the heatmaps it replaces drew, gaps white; y axis downwards so
 * images stand upright). Axis titles say what the axes are: pixel columns and rows of the tiled
 * picture; a note under the panels gives the grey scale (the heatmaps' colour bar).
 */
export function mosaicFigure(panels: { title: string; mosaic: (number | null)[][] }[], title: string, height = 420): PlotlyFigure {
  const fn = 'mosaicFigure';
  if (!Array.isArray(panels) || panels.length === 0) throw new TypeError(`${fn}: panels must be a non-empty array of {title, mosaic}`);
  const n = panels.length;
  const gap = 0.04;
  const width = (1 - gap * (n - 1)) / n;
  const data: PlotlyFigure['data'] = [];
  const annotations: unknown[] = [{
    text: 'pixel value: 0 black … 1 white', x: 1, y: 0, xref: 'paper', yref: 'paper', yshift: -36,
    showarrow: false, xanchor: 'right', yanchor: 'top', font: { size: 11 },
  }];
  const layout: Record<string, unknown> = {
    title: { text: title },
    height,
    margin: { t: 70, b: 50, l: 60, r: 20 },
    annotations,
  };
  panels.forEach((panel, i) => {
    const suffix = i === 0 ? '' : String(i + 1);
    data.push(grayImageTrace(panel.mosaic, { name: panel.title, xaxis: `x${suffix}`, yaxis: `y${suffix}` }));
    const x0 = i * (width + gap);
    layout[`xaxis${suffix}`] = { domain: [x0, x0 + width], title: { text: 'pixel column' }, showticklabels: false, constrain: 'domain' };
    layout[`yaxis${suffix}`] = { autorange: 'reversed', title: { text: i === 0 ? 'pixel row' : '' }, showticklabels: false, scaleanchor: `x${suffix}` };
    annotations.push({ text: panel.title, x: x0 + width / 2, y: 1.02, xref: 'paper', yref: 'paper', showarrow: false, xanchor: 'center', yanchor: 'bottom' });
  });
  return { data, layout } as PlotlyFigure;
}
