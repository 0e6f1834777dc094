// Colour quantisation for indexed PNGs: exact palettes when a picture has few colours, median cut
// with a bounded error when it has more, alpha over white, and the indexed PNG decoding back to
// the quantised picture (independent decoder: test/display/decodePng.ts).
import { describe, expect, it } from 'vitest';
import { quantizeRgba } from '../../src/display/palette';
import { encodeIndexedPng } from '../../src/display/png';
import { decodePng, expandPalette } from './decodePng';

/** Opaque RGBA from a colour function of (x, y). */
function picture(width: number, height: number, colour: (x: number, y: number) => [number, number, number]): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = colour(x, y);
      rgba.set([r, g, b, 255], 4 * (y * width + x));
    }
  }
  return rgba;
}

function distinctColours(rgba: Uint8Array): number {
  const keys = new Set<number>();
  for (let i = 0; i < rgba.length; i += 4) keys.add((rgba[i] << 16) | (rgba[i + 1] << 8) | rgba[i + 2]);
  return keys.size;
}

/** Per-channel absolute error of the quantised picture against the (opaque) original: max and mean. */
function error(rgba: Uint8Array, indices: Uint8Array, palette: Uint8Array): { max: number; mean: number } {
  const rgb = expandPalette(indices, palette);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < indices.length; i++) {
    for (let c = 0; c < 3; c++) {
      const e = Math.abs(rgba[4 * i + c] - rgb[3 * i + c]);
      max = Math.max(max, e);
      sum += e;
    }
  }
  return { max, mean: sum / (3 * indices.length) };
}

/**
 * A chart as Chromium draws one: white paper, light gray grid lines, three traces in Plotly's
 * first colours drawn about 3 px thick with antialiased edges (each edge pixel its colour blended
 * with what lies under it by its coverage), so hundreds of colours, nearly all on a few pixels.
 */
function chart(width: number, height: number): Uint8Array {
  const rgba = picture(width, height, (_, y) => (y % 20 === 0 ? [235, 235, 235] : [255, 255, 255]));
  const traces: [number, number, number, (x: number) => number][] = [
    [31, 119, 180, (x) => height / 2 + 30 * Math.sin(x / 17)],
    [255, 127, 14, (x) => height / 3 + 0.3 * x],
    [44, 160, 44, (x) => 0.8 * height - 20 * Math.cos(x / 9)],
  ];
  for (const [r, g, b, f] of traces) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const coverage = Math.min(1, Math.max(0, 1.6 - Math.abs(y - f(x))));
        const i = 4 * (y * width + x);
        [r, g, b].forEach((v, c) => (rgba[i + c] = Math.round(rgba[i + c] + (v - rgba[i + c]) * coverage)));
      }
    }
  }
  return rgba;
}

describe('quantizeRgba', () => {
  it('keeps a picture of at most 256 colours exactly, palette in order of first appearance', () => {
    // 200 colours, one per 4×4 tile of 80×40 pixels (r = 37t mod 256 differs for every tile t).
    const colour = (x: number, y: number): [number, number, number] => {
      const t = Math.floor(y / 4) * 20 + Math.floor(x / 4);
      return [(t * 37) & 0xff, (t * 101 + 7) & 0xff, (t * 13 + 200) & 0xff];
    };
    const rgba = picture(80, 40, colour);
    expect(distinctColours(rgba)).toBe(200);
    const q = quantizeRgba(rgba, 80, 40);
    expect(q.exact).toBe(true);
    expect(q.palette.length).toBe(3 * 200);
    expect([...q.palette.subarray(0, 3)]).toEqual(colour(0, 0));
    expect(error(rgba, q.indices, q.palette)).toEqual({ max: 0, mean: 0 });
    // 256 distinct colours, the most a byte can index, are still exact; 257 are not.
    const full = picture(16, 16, (x, y) => [16 * x, 16 * y, 7]);
    expect(distinctColours(full)).toBe(256);
    const qFull = quantizeRgba(full, 16, 16);
    expect(qFull.exact).toBe(true);
    expect(error(full, qFull.indices, qFull.palette).max).toBe(0);
    const over = picture(257, 1, (x) => [x === 256 ? 1 : x, x === 256 ? 1 : 0, 0]);
    expect(distinctColours(over)).toBe(257);
    const qOver = quantizeRgba(over, 257, 1);
    expect(qOver.exact).toBe(false);
    expect(qOver.palette.length).toBe(3 * 256);
  });

  it('reduces a 4096-colour gradient to 256 colours within the error of a 4×4 block of its grid', () => {
    // r = 4x, g = 4y over 64×64 pixels, one pixel per colour. Median cut halves the grid evenly
    // into 256 boxes of 4×4 colours (16 = 64/4 per channel) whose mean is the block's centre: the
    // values 4k … 4k+12 against 4k+6, errors of 6 or 2 in r and g, 0 in b, so a mean of 8/3.
    const rgba = picture(64, 64, (x, y) => [4 * x, 4 * y, 128]);
    expect(distinctColours(rgba)).toBe(4096);
    const q = quantizeRgba(rgba, 64, 64);
    expect(q.exact).toBe(false);
    expect(q.palette.length).toBe(3 * 256);
    const e = error(rgba, q.indices, q.palette);
    expect(e.max).toBeLessThanOrEqual(6);
    expect(e.mean).toBeLessThanOrEqual(8 / 3 + 1e-9);
  });

  it("keeps a chart's flat colours exact and moves its antialiased edge pixels by a few levels", () => {
    const width = 400;
    const height = 160;
    const rgba = chart(width, height);
    expect(distinctColours(rgba)).toBeGreaterThan(600);
    const q = quantizeRgba(rgba, width, height);
    expect(q.exact).toBe(false);
    expect(q.palette.length).toBeLessThanOrEqual(3 * 256);
    const rgb = expandPalette(q.indices, q.palette);
    // Paper, grid and the three trace colours cover most pixels: each is its own palette colour.
    for (const flat of [[255, 255, 255], [235, 235, 235], [31, 119, 180], [255, 127, 14], [44, 160, 44]]) {
      let pixels = 0;
      let moved = 0;
      for (let i = 0; i < width * height; i++) {
        if (rgba[4 * i] !== flat[0] || rgba[4 * i + 1] !== flat[1] || rgba[4 * i + 2] !== flat[2]) continue;
        pixels++;
        if (rgb[3 * i] !== flat[0] || rgb[3 * i + 1] !== flat[1] || rgb[3 * i + 2] !== flat[2]) moved++;
      }
      expect(pixels, `pixels of ${flat}`).toBeGreaterThan(300);
      expect(moved, `pixels of ${flat} given another colour`).toBe(0);
    }
    // The edges' ~700 colours lie on a few segments between those colours; 256 boxes leave about
    // three neighbouring colours to a box, a few levels apart (measured: max 5, mean 0.015).
    const e = error(rgba, q.indices, q.palette);
    expect(e.max).toBeLessThanOrEqual(8);
    expect(e.mean).toBeLessThan(0.05);
  });

  it('composites pixels that are not opaque over white', () => {
    const rgba = Uint8Array.from([
      255, 0, 0, 255, // opaque red
      255, 0, 0, 128, // half red over white: 255, round(255·127/255) = 127, 127
      0, 0, 0, 0, // transparent: white
      0, 0, 255, 51, // a fifth blue: 204, 204, 255
    ]);
    const q = quantizeRgba(rgba, 4, 1);
    expect(q.exact).toBe(true);
    expect([...expandPalette(q.indices, q.palette)]).toEqual([255, 0, 0, 255, 127, 127, 255, 255, 255, 204, 204, 255]);
    // Transparent white and opaque white are one colour.
    const same = quantizeRgba(Uint8Array.from([255, 255, 255, 255, 9, 9, 9, 0]), 2, 1);
    expect(same.palette.length).toBe(3);
  });

  it('gives at most maxColors colours; one colour is the pixel-weighted mean', () => {
    const rgba = picture(10, 1, (x) => (x < 9 ? [200, 100, 0] : [0, 100, 200]));
    const two = quantizeRgba(rgba, 10, 1, 2);
    expect(two.exact).toBe(true);
    const one = quantizeRgba(rgba, 10, 1, 1);
    expect(one.exact).toBe(false);
    expect([...one.palette]).toEqual([180, 100, 20]); // (9·200 + 0)/10, 100, (0 + 200)/10
    expect([...one.indices]).toEqual(new Array(10).fill(0));
    const four = quantizeRgba(chart(120, 60), 120, 60, 4);
    expect(four.palette.length).toBe(3 * 4);
    expect(Math.max(...four.indices)).toBeLessThan(4);
  });

  it('splits a box at the median of its pixels, not of its colours', () => {
    // Reds 0…9, red 0 on 91 of 100 pixels. Two boxes: half the pixels are reached at red 0, so
    // the cut falls right after it: {0} and {1…9} (mean 5). Cutting at the middle colour would
    // give {0…4} (mean 0.1, so 0) and {5…9} (mean 7).
    const rgba = picture(100, 1, (x) => [x < 91 ? 0 : x - 90, 0, 0]);
    expect(distinctColours(rgba)).toBe(10);
    const q = quantizeRgba(rgba, 100, 1, 2);
    expect([...q.palette]).toEqual([0, 0, 0, 5, 0, 0]);
    expect(error(rgba, q.indices, q.palette).max).toBe(4);
  });

  it('is deterministic: the same picture gives the same indices and palette', () => {
    const rgba = chart(200, 80);
    const a = quantizeRgba(rgba, 200, 80);
    const b = quantizeRgba(Uint8ClampedArray.from(rgba), 200, 80);
    expect(Buffer.from(b.indices).equals(Buffer.from(a.indices))).toBe(true);
    expect(Buffer.from(b.palette).equals(Buffer.from(a.palette))).toBe(true);
    expect(encodeIndexedPng(a.indices, a.palette, 200, 80).equals(encodeIndexedPng(b.indices, b.palette, 200, 80))).toBe(true);
  });

  it('refuses bad input, naming the argument', () => {
    expect(() => quantizeRgba(new Uint8Array(20), 2, 3)).toThrow(/quantizeRgba: rgba must hold width·height·4 = 24 bytes, got 20/);
    expect(() => quantizeRgba(new Uint8Array(24), 0, 3)).toThrow(/quantizeRgba: width must be an integer >= 1, got 0/);
    expect(() => quantizeRgba(new Uint8Array(24), 2, 1.5)).toThrow(/quantizeRgba: height must be an integer >= 1, got 1.5/);
    expect(() => quantizeRgba([0, 0, 0, 255] as never, 1, 1)).toThrow(TypeError);
    expect(() => quantizeRgba([0, 0, 0, 255] as never, 1, 1)).toThrow(/rgba must be a Uint8Array/);
    for (const bad of [0, 257, 2.5, NaN]) {
      expect(() => quantizeRgba(new Uint8Array(4), 1, 1, bad)).toThrow(/quantizeRgba: maxColors must be an integer from 1 to 256/);
    }
  });
});

describe('quantizeRgba then encodeIndexedPng', () => {
  it('writes an indexed PNG that decodes to the quantised picture', () => {
    const width = 300;
    const height = 120;
    const rgba = chart(width, height);
    const q = quantizeRgba(rgba, width, height);
    const png = encodeIndexedPng(q.indices, q.palette, width, height);
    const decoded = decodePng(png);
    expect(decoded).toMatchObject({ width, height, colourType: 3 });
    expect(Buffer.from(expandPalette(decoded.samples, decoded.palette!)).equals(Buffer.from(expandPalette(q.indices, q.palette)))).toBe(true);
    expect(error(rgba, decoded.samples, decoded.palette!).max).toBeLessThanOrEqual(8);
  });
});
