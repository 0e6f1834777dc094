/**
 * Many small images (decoded digits, reconstructions, interpolation paths) tiled into one
 * matrix, and a figure of such grids side by side: one picture per grid (a Plotly image trace
 * from a PNG, see grayImageTrace) instead of one chart per image.
 */
import { checkInteger } from '../checks';
import { grayImageTrace, PlotlyFigure } from './plotly';

/** How the images of imageGrid are cut and spaced. */
export interface ImageGridOptions {
  /** Pixel rows of one image (default 28, an MNIST digit). */
  height?: number;
  /** Pixel columns of one image (default 28). */
  width?: number;
  /** Pixels between neighbouring images, across and down (default 0); gap pixels are null, drawn blank. */
  gap?: number;
  /**
   * Round every value to this many decimals (default: none). The pictures of notebooks 05 and 06
   * were first drawn from 3-decimal values; passing 3 keeps their PNG gray levels as they were.
   */
  decimals?: number;
}

/**
 * Tiles images of height×width pixels (row-major) into one matrix whose first row is the top of
 * the picture, `perRow` images per grid row, `gap` null pixels between images.
 *
 * `images` is either
 *  - one array of images one after another: image k sits at grid row ⌊k/perRow⌋, column k mod perRow,
 *    the last grid row padded with null when the count is not a multiple of perRow; or
 *  - an array of blocks, one per grid row: row r shows the first perRow images of blocks[r]
 *    (a block may hold more, e.g. all reconstructions of an evaluation set).
 * Size: R·height + (R−1)·gap rows by perRow·width + (perRow−1)·gap columns, R the grid rows.
 */
export function imageGrid(images: ArrayLike<number> | ArrayLike<number>[], perRow: number, options: ImageGridOptions = {}): (number | null)[][] {
  const fn = 'imageGrid';
  checkInteger(fn, 'perRow', perRow, 1);
  const height = checkInteger(fn, 'options.height', options.height ?? 28, 1);
  const width = checkInteger(fn, 'options.width', options.width ?? 28, 1);
  const gap = checkInteger(fn, 'options.gap', options.gap ?? 0, 0);
  const decimals = options.decimals === undefined ? undefined : checkInteger(fn, 'options.decimals', options.decimals, 0);
  const size = height * width;
  if (!images || typeof images.length !== 'number' || images.length === 0) {
    throw new TypeError(`${fn}: images must be a non-empty array of pixel values, or of blocks of images (one per grid row)`);
  }
  // Each grid row as (source, first image, number of images): its image j starts at (first + j)·size.
  const gridRows: { source: ArrayLike<number>; first: number; count: number }[] = [];
  if (typeof images[0] === 'number') {
    const flat = images as ArrayLike<number>;
    if (flat.length % size !== 0) {
      throw new RangeError(`${fn}: images must hold a whole number of height·width = ${size} pixel images, got ${flat.length} values`);
    }
    const count = flat.length / size;
    for (let first = 0; first < count; first += perRow) gridRows.push({ source: flat, first, count: Math.min(perRow, count - first) });
  } else {
    (images as ArrayLike<number>[]).forEach((block, r) => {
      if (!block || typeof block.length !== 'number' || block.length < perRow * size) {
        throw new RangeError(`${fn}: images[${r}] must hold at least perRow·height·width = ${perRow * size} values, got ${block ? block.length : 0}`);
      }
      gridRows.push({ source: block, first: 0, count: perRow });
    });
  }
  const scale = decimals === undefined ? 0 : 10 ** decimals;
  const value = (v: number): number => (decimals === undefined ? v : Math.round(v * scale) / scale);
  const rows = gridRows.length * height + (gridRows.length - 1) * gap;
  const columns = perRow * width + (perRow - 1) * gap;
  const out: (number | null)[][] = Array.from({ length: rows }, () => new Array<number | null>(columns).fill(null));
  gridRows.forEach(({ source, first, count }, r) => {
    const top = r * (height + gap);
    for (let k = 0; k < count; k++) {
      const left = k * (width + gap);
      const start = (first + k) * size;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) out[top + y][left + x] = value(source[start + y * width + x]);
      }
    }
  });
  return out;
}

/**
 * A Plotly figure of several image grids side by side (one image trace each, from a PNG: pixel
 * value 0 black … 1 white, gaps white; y axis downwards so images stand upright). Axis titles say
 * what the axes are: pixel columns and rows of the tiled picture; a note under the panels gives
 * the grey scale (what a heatmap's colour bar would say).
 */
export function imageGridFigure(panels: { title: string; grid: (number | null)[][] }[], title: string, height = 420): PlotlyFigure {
  const fn = 'imageGridFigure';
  if (!Array.isArray(panels) || panels.length === 0) throw new TypeError(`${fn}: panels must be a non-empty array of {title, grid}`);
  panels.forEach((panel, i) => {
    if (!panel || !Array.isArray(panel.grid) || panel.grid.length === 0) throw new TypeError(`${fn}: panels[${i}].grid must be a non-empty matrix (see imageGrid)`);
  });
  checkInteger(fn, 'height', height, 1);
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
    data.push(grayImageTrace(panel.grid, { name: panel.title, xaxis: `x${suffix}`, yaxis: `y${suffix}` }));
    const x0 = i * (width + gap);
    layout[`xaxis${suffix}`] = { domain: [x0, x0 + width], title: { text: 'pixel column' }, showticklabels: false, constrain: 'domain' };
    layout[`yaxis${suffix}`] = { autorange: 'reversed', title: { text: i === 0 ? 'pixel row' : '' }, showticklabels: false, scaleanchor: `x${suffix}` };
    annotations.push({ text: panel.title, x: x0 + width / 2, y: 1.02, xref: 'paper', yref: 'paper', showarrow: false, xanchor: 'center', yanchor: 'bottom' });
  });
  return { data, layout } as PlotlyFigure;
}
