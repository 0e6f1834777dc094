// imageGrid against matrices written out by hand (pixel values name their image and position),
// and against an independent placement rule: pixel (y, x) of image k lands at
// (⌊k/perRow⌋·(h+gap) + y, (k mod perRow)·(w+gap) + x). imageGridFigure's PNGs are decoded
// independently (test/display/decodePng.ts).
import { describe, expect, it } from 'vitest';
import { imageGrid, imageGridFigure } from '../../src/display/imageGrid';
import { decodeGrayPngDataUri } from './decodePng';

describe('imageGrid', () => {
  it('tiles one array of images row by row, gaps and the short last row null', () => {
    const images = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]; // three 2×2 images
    const m = imageGrid(images, 2, { height: 2, width: 2, gap: 1 });
    expect(m).toEqual([
      [1, 2, null, 5, 6],
      [3, 4, null, 7, 8],
      [null, null, null, null, null],
      [9, 10, null, null, null],
      [11, 12, null, null, null],
    ]);
  });

  it('places every pixel by the placement rule (3×4 images, 7 of them, 3 per row, gap 2)', () => {
    const h = 3, w = 4, count = 7, perRow = 3, gap = 2;
    const images = Float32Array.from({ length: count * h * w }, (_, i) => i / 100);
    const m = imageGrid(images, perRow, { height: h, width: w, gap });
    const gridRows = Math.ceil(count / perRow);
    expect(m.length).toBe(gridRows * h + (gridRows - 1) * gap);
    m.forEach((row) => expect(row.length).toBe(perRow * w + (perRow - 1) * gap));
    let filled = 0;
    for (let k = 0; k < count; k++) {
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
        expect(m[Math.floor(k / perRow) * (h + gap) + y][(k % perRow) * (w + gap) + x]).toBe(images[k * h * w + y * w + x]);
        filled++;
      }
    }
    // everything else is a gap
    expect(m.flat().filter((v) => v !== null).length).toBe(filled);
  });

  it('lays blocks out one per grid row, the first perRow images of each', () => {
    // two 2×2 images per block: block A = [1,2,3,4 | 5,6,7,8], block B = 9..16 (and one extra image, not shown)
    const a = [1, 2, 3, 4, 5, 6, 7, 8].map((v) => v / 100);
    const b = [9, 10, 11, 12, 13, 14, 15, 16, 99, 99, 99, 99].map((v) => v / 100);
    expect(imageGrid([a, b], 2, { height: 2, width: 2 })).toEqual([
      [0.01, 0.02, 0.05, 0.06], [0.03, 0.04, 0.07, 0.08],
      [0.09, 0.1, 0.13, 0.14], [0.11, 0.12, 0.15, 0.16],
    ]);
  });

  it('rounds to the given decimals and only then', () => {
    const image = [0.12345, 0.9996, 0.0004, 0.5];
    expect(imageGrid(image, 1, { height: 2, width: 2 })).toEqual([[0.12345, 0.9996], [0.0004, 0.5]]);
    expect(imageGrid([image], 1, { height: 2, width: 2, decimals: 3 })).toEqual([[0.123, 1], [0, 0.5]]);
  });

  it('defaults to 28×28 images', () => {
    const m = imageGrid(new Float32Array(2 * 784).fill(0.5), 2);
    expect([m.length, m[0].length]).toEqual([28, 56]);
  });

  it('names the argument that is wrong', () => {
    const images = [1, 2, 3, 4, 5];
    expect(() => imageGrid(images, 2, { height: 2, width: 2 })).toThrow(/imageGrid: images must hold a whole number of height·width = 4/);
    expect(() => imageGrid([[1, 2, 3, 4]], 3, { height: 2, width: 2 })).toThrow(/imageGrid: images\[0\] must hold at least perRow·height·width = 12/);
    expect(() => imageGrid([1, 2, 3, 4], 0, { height: 2, width: 2 })).toThrow(/imageGrid: perRow/);
    expect(() => imageGrid([1, 2, 3, 4], 1, { height: 2, width: 2, gap: -1 })).toThrow(/imageGrid: options\.gap/);
    expect(() => imageGrid([], 1)).toThrow(/imageGrid: images must be a non-empty array/);
  });
});

describe('imageGridFigure', () => {
  it('one image trace per panel, gaps white, pixel axis titles', () => {
    const f = imageGridFigure([{ title: 'a', grid: [[0, null]] }, { title: 'b', grid: [[1, 0.2]] }], 'T');
    expect(f.data.length).toBe(2);
    const traces = f.data as Array<{ type: string; source: string; xaxis: string; yaxis: string; name: string }>;
    expect(traces.map((t) => [t.type, t.xaxis, t.yaxis, t.name])).toEqual([['image', 'x', 'y', 'a'], ['image', 'x2', 'y2', 'b']]);
    // gray level round(255·v): 0 → 0, null (gap) → 255, 1 → 255, 0.2 → 51
    expect(decodeGrayPngDataUri(traces[0].source).rows).toEqual([[0, 255]]);
    expect(decodeGrayPngDataUri(traces[1].source).rows).toEqual([[255, 51]]);
    const layout = f.layout as Record<string, { title: { text: string } }>;
    expect(layout.xaxis2.title.text).toBe('pixel column');
    expect(layout.yaxis.title.text).toBe('pixel row');
    expect(() => imageGridFigure([], 'T')).toThrow(/imageGridFigure: panels/);
  });
});
