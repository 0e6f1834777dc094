/**
 * Colour quantisation for indexed PNGs (png.ts, encodeIndexedPng): an RGBA picture becomes one
 * palette index per pixel and a palette of at most 256 colours. A chart's pictures (scripts/
 * render-plots.js) hold a few flat colours and the antialiased edges between them: often no more
 * than 256 colours, kept exactly; otherwise a few thousand, reduced by median cut (Heckbert 1982)
 * over the histogram of colours weighted by how many pixels have each, so that the large flat
 * areas (paper, plot background, trace colours) keep their colour and the error falls on rare edge
 * pixels. Deterministic: the same picture always gives the same bytes.
 */

export interface Quantized {
  /** One palette index per pixel, row-major from the top-left. */
  indices: Uint8Array;
  /** The colours as r, g, b bytes, at most `maxColors` of them. */
  palette: Uint8Array;
  /** True when every pixel (after compositing over white) keeps its colour exactly. */
  exact: boolean;
}

/** A box of median cut: the distinct colours `order[start .. end)`. */
interface Box {
  start: number;
  end: number;
  /** Pixels of the picture with one of the box's colours. */
  weight: number;
  /** The channel (0 r, 1 g, 2 b) in which the colours spread widest, and that spread. */
  widest: number;
  range: number;
}

/**
 * The RGBA picture `rgba` (`width`×`height` pixels, 4 bytes each, straight alpha as canvas
 * getImageData gives) as palette indices. Pixels that are not opaque are first composited over
 * white, the paper a chart is drawn on, since the indexed PNG carries no transparency. When at
 * most `maxColors` distinct colours remain, the palette is those colours (in the order they first
 * appear) and the result is exact. Otherwise median cut: starting from one box holding every
 * distinct colour, the box whose colours span the widest range in one channel is split along
 * that channel at the median of its pixels, until there are `maxColors` boxes (or no box holds two
 * colours); each box's palette colour is the pixel-weighted mean of its colours, and each distinct
 * colour takes the palette colour nearest to it (squared RGB distance), which is usually, but not
 * always, its own box's.
 */
export function quantizeRgba(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number, maxColors = 256): Quantized {
  const fn = 'quantizeRgba';
  if (!(rgba instanceof Uint8Array || rgba instanceof Uint8ClampedArray)) {
    throw new TypeError(`${fn}: rgba must be a Uint8Array or Uint8ClampedArray (4 bytes per pixel: r, g, b, a)`);
  }
  if (!Number.isInteger(width) || width < 1) throw new RangeError(`${fn}: width must be an integer >= 1, got ${width}`);
  if (!Number.isInteger(height) || height < 1) throw new RangeError(`${fn}: height must be an integer >= 1, got ${height}`);
  if (rgba.length !== width * height * 4) {
    throw new RangeError(`${fn}: rgba must hold width·height·4 = ${width * height * 4} bytes, got ${rgba.length}`);
  }
  if (!Number.isInteger(maxColors) || maxColors < 1 || maxColors > 256) {
    throw new RangeError(`${fn}: maxColors must be an integer from 1 to 256 (one byte per index), got ${maxColors}`);
  }
  const pixels = width * height;

  // Every pixel's colour as one number 0xRRGGBB (over white where not opaque), numbered in order
  // of first appearance; `counts` is the histogram, `pixelSlot` each pixel's colour number.
  const pixelSlot = new Uint32Array(pixels);
  const slot = new Map<number, number>();
  const distinct: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < pixels; i++) {
    let r = rgba[4 * i];
    let g = rgba[4 * i + 1];
    let b = rgba[4 * i + 2];
    const a = rgba[4 * i + 3];
    if (a !== 255) {
      r = Math.round((r * a + 255 * (255 - a)) / 255);
      g = Math.round((g * a + 255 * (255 - a)) / 255);
      b = Math.round((b * a + 255 * (255 - a)) / 255);
    }
    const key = (r << 16) | (g << 8) | b;
    let s = slot.get(key);
    if (s === undefined) {
      s = distinct.length;
      slot.set(key, s);
      distinct.push(key);
      counts.push(0);
    }
    counts[s]++;
    pixelSlot[i] = s;
  }

  const indices = new Uint8Array(pixels);
  if (distinct.length <= maxColors) {
    const palette = new Uint8Array(3 * distinct.length);
    distinct.forEach((key, j) => {
      palette[3 * j] = key >>> 16;
      palette[3 * j + 1] = (key >>> 8) & 0xff;
      palette[3 * j + 2] = key & 0xff;
    });
    for (let i = 0; i < pixels; i++) indices[i] = pixelSlot[i];
    return { indices, palette, exact: true };
  }

  // Median cut. `order` lists the distinct colours (by their slot); each box owns a contiguous
  // run of it, which splitting sorts along the box's widest channel.
  const channel = (key: number, c: number): number => (key >>> (16 - 8 * c)) & 0xff;
  const order = Uint32Array.from(distinct, (_, j) => j);
  const makeBox = (start: number, end: number): Box => {
    // The channel (0 r, 1 g, 2 b; the first on ties) in which the box's colours spread widest.
    let weight = 0;
    for (let k = start; k < end; k++) weight += counts[order[k]];
    let widest = 0;
    let range = -1;
    for (let c = 0; c < 3; c++) {
      let lo = 255;
      let hi = 0;
      for (let k = start; k < end; k++) {
        const v = channel(distinct[order[k]], c);
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (hi - lo > range) {
        widest = c;
        range = hi - lo;
      }
    }
    return { start, end, weight, widest, range };
  };
  const boxes: Box[] = [makeBox(0, order.length)];
  while (boxes.length < maxColors) {
    // The box to split: the widest range in any channel (the first such box on ties). A box of
    // one colour has range 0 and is never picked.
    let pick = -1;
    for (let n = 0; n < boxes.length; n++) if (boxes[n].range > 0 && (pick < 0 || boxes[n].range > boxes[pick].range)) pick = n;
    if (pick < 0) break;
    const { start, end, weight, widest: c } = boxes[pick];
    // Sort along the channel, ties by the whole key: a total order, so the result never depends on the sort.
    order.subarray(start, end).sort((p, q) => channel(distinct[p], c) - channel(distinct[q], c) || distinct[p] - distinct[q]);
    // Split after the colour at which half of the box's pixels are reached, leaving at least one
    // colour on each side: a colour that covers most of the box (a flat area) ends up near a cut.
    let cut = start + 1;
    let cum = counts[order[start]];
    while (cut < end - 1 && 2 * cum < weight) cum += counts[order[cut++]];
    boxes.splice(pick, 1, makeBox(start, cut), makeBox(cut, end));
  }

  // Each box's colour: the mean of its colours weighted by their pixels, rounded.
  const palette = new Uint8Array(3 * boxes.length);
  boxes.forEach((box, n) => {
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      for (let k = box.start; k < box.end; k++) sum += channel(distinct[order[k]], c) * counts[order[k]];
      palette[3 * n + c] = Math.round(sum / box.weight);
    }
  });
  // Each distinct colour's nearest palette colour, found once per colour, not once per pixel.
  const nearest = new Uint8Array(distinct.length);
  distinct.forEach((key, j) => {
    const r = key >>> 16;
    const g = (key >>> 8) & 0xff;
    const b = key & 0xff;
    let best = 0;
    let bestD = Infinity;
    for (let n = 0; n < boxes.length; n++) {
      const dr = r - palette[3 * n];
      const dg = g - palette[3 * n + 1];
      const db = b - palette[3 * n + 2];
      const d = dr * dr + dg * dg + db * db;
      if (d < bestD) {
        bestD = d;
        best = n;
      }
    }
    nearest[j] = best;
  });
  for (let i = 0; i < pixels; i++) indices[i] = nearest[pixelSlot[i]];
  return { indices, palette, exact: false };
}
