/**
 * A small PNG encoder for grayscale pictures (8-bit, colour type 0): digit mosaics become one
 * Plotly `image` trace whose `source` is a PNG data URI (a few KB) instead of a heatmap with one
 * JSON number per pixel (megabytes). Also 8-bit indexed pictures (colour type 3, a palette of up
 * to 256 colours, see palette.ts): the pictures of charts scripts/render-plots.js writes, about
 * half the size of the RGBA PNG Chromium makes. Compression by Node's zlib; the CRC-32 of every
 * chunk from a table (Node 20 has no zlib.crc32).
 */
import * as zlib from 'zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let crcTable: Uint32Array | null = null;

/** CRC-32 (ISO 3309 / ITU-T V.42, polynomial 0xEDB88320, as PNG specifies) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const body = Buffer.concat([head.subarray(4), data]);
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE(crc32(body), 0);
  return Buffer.concat([head.subarray(0, 4), body, tail]);
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Scanline `r` under PNG filter `type` (0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth), filter byte first. */
function filterLine(pixels: Uint8Array, width: number, r: number, type: number): Uint8Array {
  const line = new Uint8Array(width + 1);
  line[0] = type;
  const row = r * width;
  for (let x = 0; x < width; x++) {
    const a = x > 0 ? pixels[row + x - 1] : 0;
    const b = r > 0 ? pixels[row - width + x] : 0;
    const c = x > 0 && r > 0 ? pixels[row - width + x - 1] : 0;
    const predictor = type === 1 ? a : type === 2 ? b : type === 3 ? (a + b) >> 1 : type === 4 ? paeth(a, b, c) : 0;
    line[x + 1] = (pixels[row + x] - predictor) & 0xff;
  }
  return line;
}

function checkSize(fn: string, width: number, height: number): void {
  if (!Number.isInteger(width) || width < 1) throw new RangeError(`${fn}: width must be an integer >= 1, got ${width}`);
  if (!Number.isInteger(height) || height < 1) throw new RangeError(`${fn}: height must be an integer >= 1, got ${height}`);
}

/**
 * The PNG file: signature, IHDR (8 bits per sample, colour type `colourType`, deflate, filter
 * method 0, no interlace), the chunks of `before` (PLTE), the filtered scanlines `raw` deflated
 * at level 9 as one IDAT, IEND.
 */
function png(width: number, height: number, colourType: number, before: Buffer[], raw: Uint8Array): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = colourType; // 0 grayscale, 3 indexed
  header[10] = 0; // compression: deflate
  header[11] = 0; // filter method 0 (adaptive, five filter types)
  header[12] = 0; // no interlace
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', header),
    ...before,
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/**
 * A grayscale PNG of `width`×`height` pixels, row-major from the top-left, one byte per pixel
 * (0 black … 255 white). Each scanline takes the filter (None, Sub, Up, Average or Paeth) whose
 * output has the smallest sum of absolute values, the heuristic the PNG specification suggests
 * (about 10% smaller than no filtering on decoded digits).
 */
export function encodeGrayPng(pixels: Uint8Array, width: number, height: number): Buffer {
  const fn = 'encodeGrayPng';
  if (!(pixels instanceof Uint8Array)) throw new TypeError(`${fn}: pixels must be a Uint8Array (one byte per pixel)`);
  checkSize(fn, width, height);
  if (pixels.length !== width * height) {
    throw new RangeError(`${fn}: pixels must hold width·height = ${width * height} bytes, got ${pixels.length}`);
  }
  const raw = Buffer.alloc(height * (width + 1));
  for (let r = 0; r < height; r++) {
    let best: Uint8Array | null = null;
    let bestCost = Infinity;
    for (let type = 0; type <= 4; type++) {
      const line = filterLine(pixels, width, r, type);
      let cost = 0;
      for (let i = 1; i < line.length; i++) cost += line[i] < 128 ? line[i] : 256 - line[i];
      if (cost < bestCost) {
        bestCost = cost;
        best = line;
      }
    }
    raw.set(best as Uint8Array, r * (width + 1));
  }
  return png(width, height, 0, [], raw);
}

/**
 * An indexed-colour PNG (colour type 3, 8 bits per pixel) of `width`×`height` pixels, row-major
 * from the top-left: `indices` holds one palette index per pixel, `palette` the colours as r, g, b
 * bytes (1 to 256 colours). Every scanline takes filter 0 (None), as the PNG specification
 * recommends for palette images: an index is a name, not a quantity, so differences between
 * neighbours predict nothing, and deflate alone finds the runs of a chart's flat areas.
 */
export function encodeIndexedPng(indices: Uint8Array, palette: Uint8Array, width: number, height: number): Buffer {
  const fn = 'encodeIndexedPng';
  if (!(indices instanceof Uint8Array)) throw new TypeError(`${fn}: indices must be a Uint8Array (one palette index per pixel)`);
  if (!(palette instanceof Uint8Array)) throw new TypeError(`${fn}: palette must be a Uint8Array of r, g, b bytes`);
  checkSize(fn, width, height);
  if (indices.length !== width * height) {
    throw new RangeError(`${fn}: indices must hold width·height = ${width * height} bytes, got ${indices.length}`);
  }
  const colours = palette.length / 3;
  if (!Number.isInteger(colours) || colours < 1 || colours > 256) {
    throw new RangeError(`${fn}: palette must hold 1 to 256 colours of 3 bytes (r, g, b), got ${palette.length} bytes`);
  }
  // A decoder must reject an index past the palette's end: refuse it here rather than write a broken file.
  for (let i = 0; i < indices.length; i++) {
    if (indices[i] >= colours) {
      throw new RangeError(`${fn}: indices[${i}] = ${indices[i]} is past the palette's ${colours} colours`);
    }
  }
  const raw = Buffer.alloc(height * (width + 1)); // filter byte 0 at the start of every row
  for (let r = 0; r < height; r++) raw.set(indices.subarray(r * width, (r + 1) * width), r * (width + 1) + 1);
  return png(width, height, 3, [chunk('PLTE', palette)], raw);
}

/**
 * Intensities in [0, 1] as gray levels: round(255·v), clamped; null, undefined and non-finite
 * values (gaps between tiles) become `gap` (default 255, white like the plot background).
 */
export function grayLevels(values: ArrayLike<number | null | undefined>, gap = 255): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = typeof v === 'number' && Number.isFinite(v) ? Math.round(255 * Math.min(1, Math.max(0, v))) : gap;
  }
  return out;
}

/** A matrix of intensities in [0, 1] (rows top to bottom, null for gaps) as a PNG data URI. */
export function grayPngDataUri(matrix: ArrayLike<number | null>[], gap = 255): string {
  const fn = 'grayPngDataUri';
  if (!Array.isArray(matrix) || matrix.length === 0) throw new TypeError(`${fn}: matrix must be a non-empty array of rows`);
  const width = matrix[0].length;
  const flat = new Uint8Array(matrix.length * width);
  matrix.forEach((row, r) => {
    if (!row || row.length !== width) throw new RangeError(`${fn}: every row must have ${width} values like row 0; row ${r} has ${row?.length}`);
    flat.set(grayLevels(row, gap), r * width);
  });
  return `data:image/png;base64,${encodeGrayPng(flat, width, matrix.length).toString('base64')}`;
}
