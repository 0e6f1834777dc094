/**
 * Display helpers for the notebook on §4 (why keep q(z|x) near the prior): many small images
 * tiled into one Plotly heatmap, so a grid of decoded digits is one chart with axis titles.
 */
import { checkInteger } from '../tensorChecks';
import type { PlotlyFigure } from '../display/plotly';

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
 * A Plotly figure of several mosaics side by side (one heatmap each, shared grey scale 0..1,
 * y axis reversed so images stand upright). Axis titles say what the axes are: pixel columns
 * and rows of the tiled picture.
 */
export function mosaicFigure(panels: { title: string; mosaic: (number | null)[][] }[], title: string, height = 420): PlotlyFigure {
  const fn = 'mosaicFigure';
  if (!Array.isArray(panels) || panels.length === 0) throw new TypeError(`${fn}: panels must be a non-empty array of {title, mosaic}`);
  const n = panels.length;
  const gap = 0.04;
  const width = (1 - gap * (n - 1)) / n;
  const data: PlotlyFigure['data'] = [];
  const layout: Record<string, unknown> = {
    title: { text: title },
    height,
    margin: { t: 70, b: 50, l: 60, r: 20 },
    annotations: [] as unknown[],
  };
  panels.forEach((panel, i) => {
    const suffix = i === 0 ? '' : String(i + 1);
    data.push({
      z: panel.mosaic, type: 'heatmap', colorscale: 'Greys', reversescale: false, zmin: 0, zmax: 1,
      showscale: i === n - 1, xaxis: `x${suffix}`, yaxis: `y${suffix}`, hoverongaps: false,
      colorbar: { title: { text: 'pixel value' } },
    });
    const x0 = i * (width + gap);
    layout[`xaxis${suffix}`] = { domain: [x0, x0 + width], title: { text: 'pixel column' }, showticklabels: false, constrain: 'domain' };
    layout[`yaxis${suffix}`] = { autorange: 'reversed', title: { text: i === 0 ? 'pixel row' : '' }, showticklabels: false, scaleanchor: `x${suffix}` };
    (layout.annotations as unknown[]).push({ text: panel.title, x: x0 + width / 2, y: 1.02, xref: 'paper', yref: 'paper', showarrow: false, xanchor: 'center', yanchor: 'bottom' });
  });
  return { data, layout } as PlotlyFigure;
}
