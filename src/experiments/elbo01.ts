/**
 * Notebook 01 helpers: pictures of digits (inputs and what the decoder makes of them).
 */
import { grayImageTrace, PlotlyFigure } from '../display/plotly';
import { imageGrid } from '../display/imageGrid';

/** One row of the picture: a label and images of side×side pixel intensities in [0, 1]. */
export interface DigitRow {
  label: string;
  images: ArrayLike<number>[];
}

/**
 * A grayscale picture of rows of digit images side by side (one Plotly image trace from a PNG,
 * 1-pixel white gaps; black 0 … white 1, as the 'Greys' heatmap it replaces drew them), image 0 of
 * each row at the left; `columnLabels` name the columns under the images.
 */
export function digitRowsFigure(rows: DigitRow[], title: string, columnLabels: string[] = [], side = 28): PlotlyFigure {
  const fn = 'digitRowsFigure';
  if (!Array.isArray(rows) || rows.length === 0) throw new TypeError(`${fn}: rows must be a non-empty array of {label, images}`);
  if (!Number.isInteger(side) || side < 1) throw new RangeError(`${fn}: side must be an integer >= 1, got ${side}`);
  const columns = rows[0].images.length;
  rows.forEach((row, r) => {
    if (!row || !Array.isArray(row.images) || row.images.length !== columns) {
      throw new RangeError(`${fn}: rows[${r}].images must hold ${columns} images like rows[0]`);
    }
    row.images.forEach((image, c) => {
      if (!image || image.length !== side * side) throw new RangeError(`${fn}: rows[${r}].images[${c}] must have ${side}×${side} = ${side * side} pixels, got ${image?.length}`);
    });
  });
  const cell = side + 1;
  // One block per row: its images one after another, tiled with 1-pixel gaps.
  const blocks = rows.map((row) => {
    const block = new Float64Array(columns * side * side);
    row.images.forEach((image, c) => block.set(image, c * side * side));
    return block;
  });
  const z = imageGrid(blocks, columns, { height: side, width: side, gap: 1 });
  return {
    data: [grayImageTrace(z, { name: 'digits' })],
    layout: {
      title: { text: title },
      xaxis: {
        title: { text: 'held-out digit' }, tickvals: Array.from({ length: columns }, (_, c) => c * cell + side / 2),
        ticktext: Array.from({ length: columns }, (_, c) => columnLabels[c] ?? String(c + 1)), showgrid: false, zeroline: false,
        scaleanchor: 'y', constrain: 'domain',
      },
      yaxis: {
        title: { text: 'pixel intensity / probability (0–1)' }, autorange: 'reversed', tickvals: rows.map((_, r) => r * cell + side / 2),
        ticktext: rows.map((row) => row.label), showgrid: false, zeroline: false,
      },
      height: 80 + rows.length * 90,
      margin: { t: 40, b: 50, l: 140 },
      plot_bgcolor: 'white',
    },
  };
}
