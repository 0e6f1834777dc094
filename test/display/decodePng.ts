// Test helper: decode a grayscale 8-bit PNG (as src/display/png.ts writes it) with zlib and the
// PNG specification's reconstruction of filtered scanlines (None, Sub, Up, Average, Paeth),
// independently of the encoder, to compare pixels with what was drawn.
import * as zlib from 'zlib';

/** Undo the per-scanline filters of 8-bit grayscale image data (one byte per pixel). */
export function unfilterGray(raw: Uint8Array, width: number, height: number): number[][] {
  const rows: number[][] = [];
  for (let r = 0; r < height; r++) {
    const type = raw[r * (width + 1)];
    const line = raw.subarray(r * (width + 1) + 1, (r + 1) * (width + 1));
    const up = r > 0 ? rows[r - 1] : new Array<number>(width).fill(0);
    const out: number[] = [];
    for (let x = 0; x < width; x++) {
      const a = x > 0 ? out[x - 1] : 0;
      const b = up[x];
      const c = x > 0 ? up[x - 1] : 0;
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
      out.push((line[x] + predictor) % 256);
    }
    rows.push(out);
  }
  return rows;
}

export function decodeGrayPngDataUri(uri: string): { width: number; height: number; rows: number[][] } {
  const prefix = 'data:image/png;base64,';
  if (!uri.startsWith(prefix)) throw new Error('not a PNG data URI');
  const png = Buffer.from(uri.slice(prefix.length), 'base64');
  let at = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const type = png.subarray(at + 4, at + 8).toString('ascii');
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[9] !== 0) throw new Error('not 8-bit grayscale');
    }
    if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  if (raw.length !== height * (width + 1)) throw new Error(`image data of ${raw.length} bytes, expected ${height * (width + 1)}`);
  return { width, height, rows: unfilterGray(raw, width, height) };
}
