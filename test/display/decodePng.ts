// Test helper: decode an 8-bit PNG (grayscale or indexed, as src/display/png.ts writes them; RGBA,
// as Chromium writes them) with zlib and the PNG specification's reconstruction of filtered
// scanlines (None, Sub, Up, Average, Paeth), independently of the encoder, to compare pixels with
// what was drawn.
import * as zlib from 'zlib';

/** A bitwise CRC-32 (no table), the reference the encoder's table-driven one must agree with. */
export function bitwiseCrc(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** CRC-32 by zlib's own crc32 where Node has it (20.15 and later), else the bitwise one. */
export const referenceCrc = (bytes: Uint8Array): number =>
  typeof (zlib as unknown as { crc32?: (b: Uint8Array) => number }).crc32 === 'function'
    ? (zlib as unknown as { crc32: (b: Uint8Array) => number }).crc32(bytes)
    : bitwiseCrc(bytes);

/** One-sample-per-pixel data as rows of pixels. */
function rowsOf(samples: Uint8Array, width: number, height: number): number[][] {
  return Array.from({ length: height }, (_, r) => Array.from(samples.subarray(r * width, (r + 1) * width)));
}

/** Undo the per-scanline filters of 8-bit grayscale image data (one byte per pixel), as rows of pixels. */
export function unfilterGray(raw: Uint8Array, width: number, height: number): number[][] {
  return rowsOf(unfilter(raw, width, height, 1).samples, width, height);
}

export function decodeGrayPngDataUri(uri: string): { width: number; height: number; rows: number[][] } {
  const prefix = 'data:image/png;base64,';
  if (!uri.startsWith(prefix)) throw new Error('not a PNG data URI');
  const { width, height, colourType, samples } = decodePng(Buffer.from(uri.slice(prefix.length), 'base64'));
  if (colourType !== 0) throw new Error('not 8-bit grayscale');
  return { width, height, rows: rowsOf(samples, width, height) };
}

/** Bytes per pixel at 8 bits per sample, by colour type: gray, RGB, indexed, gray + alpha, RGBA. */
const BYTES_PER_PIXEL: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Undo the per-scanline filters of 8-bit image data with `bpp` bytes per pixel (the left neighbour is `bpp` bytes back). */
export function unfilter(raw: Uint8Array, width: number, height: number, bpp: number): { filters: number[]; samples: Uint8Array } {
  const stride = width * bpp;
  const samples = new Uint8Array(height * stride);
  const filters: number[] = [];
  for (let r = 0; r < height; r++) {
    const type = raw[r * (stride + 1)];
    filters.push(type);
    const line = raw.subarray(r * (stride + 1) + 1, (r + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? samples[r * stride + x - bpp] : 0;
      const b = r > 0 ? samples[(r - 1) * stride + x] : 0;
      const c = x >= bpp && r > 0 ? samples[(r - 1) * stride + x - bpp] : 0;
      let predictor: number;
      if (type === 0) predictor = 0;
      else if (type === 1) predictor = a;
      else if (type === 2) predictor = b;
      else if (type === 3) predictor = Math.floor((a + b) / 2);
      else if (type === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else throw new Error(`row ${r}: unknown filter type ${type}`);
      samples[r * stride + x] = (line[x] + predictor) % 256;
    }
  }
  return { filters, samples };
}

export interface DecodedPng {
  width: number;
  height: number;
  colourType: number;
  /** The chunk types in file order. */
  chunkTypes: string[];
  /** PLTE's r, g, b bytes (colour type 3), else null. */
  palette: Uint8Array | null;
  /** Each scanline's filter byte. */
  filters: number[];
  /** The pixels' samples, row-major, unfiltered (one palette index per pixel for colour type 3). */
  samples: Uint8Array;
}

/**
 * Decode a non-interlaced 8-bit PNG of colour type 0, 2, 3, 4 or 6 from its bytes: checks the
 * signature and every chunk's CRC (referenceCrc), inflates IDAT with zlib and reconstructs the
 * scanlines.
 */
export function decodePng(png: Buffer): DecodedPng {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.length < 8 || signature.some((b, i) => png[i] !== b)) throw new Error('not a PNG (signature)');
  let at = 8;
  let width = 0;
  let height = 0;
  let colourType = -1;
  let palette: Uint8Array | null = null;
  const chunkTypes: string[] = [];
  const idat: Buffer[] = [];
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const type = png.subarray(at + 4, at + 8).toString('ascii');
    const data = png.subarray(at + 8, at + 8 + length);
    if (png.readUInt32BE(at + 8 + length) !== referenceCrc(png.subarray(at + 4, at + 8 + length))) throw new Error(`${type}: bad CRC`);
    chunkTypes.push(type);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      colourType = data[9];
      if (data[8] !== 8) throw new Error(`bit depth ${data[8]}, only 8 is read here`);
      if (!(colourType in BYTES_PER_PIXEL)) throw new Error(`unknown colour type ${colourType}`);
      if (data[10] !== 0 || data[11] !== 0 || data[12] !== 0) throw new Error('unknown compression or filter method, or interlaced');
    }
    if (type === 'PLTE') palette = Uint8Array.from(data);
    if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  if (at !== png.length) throw new Error('a chunk runs past the end of the file');
  if (chunkTypes[0] !== 'IHDR' || chunkTypes[chunkTypes.length - 1] !== 'IEND') throw new Error('IHDR must come first and IEND last');
  if (colourType === 3 && palette === null) throw new Error('indexed colour without PLTE');
  const bpp = BYTES_PER_PIXEL[colourType];
  const raw = zlib.inflateSync(Buffer.concat(idat));
  if (raw.length !== height * (width * bpp + 1)) throw new Error(`image data of ${raw.length} bytes, expected ${height * (width * bpp + 1)}`);
  const { filters, samples } = unfilter(raw, width, height, bpp);
  if (palette !== null && colourType === 3) {
    const colours = palette.length / 3;
    const bad = samples.findIndex((v) => v >= colours);
    if (bad >= 0) throw new Error(`pixel ${bad}: index ${samples[bad]} past the palette's ${colours} colours`);
  }
  return { width, height, colourType, chunkTypes, palette, filters, samples };
}

/** An indexed picture (colour type 3) as RGB bytes, every index looked up in the palette. */
export function expandPalette(indices: Uint8Array, palette: Uint8Array): Uint8Array {
  const rgb = new Uint8Array(indices.length * 3);
  for (let i = 0; i < indices.length; i++) rgb.set(palette.subarray(3 * indices[i], 3 * indices[i] + 3), 3 * i);
  return rgb;
}
