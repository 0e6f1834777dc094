// The PNG encoder, checked by an independent route: the chunks are walked by hand, every CRC is
// recomputed with zlib's own crc32 where Node has it (else a bitwise CRC), the image data is
// inflated with zlib, each scanline's filter byte checked (0–4) and its pixels reconstructed as
// the PNG specification says (test/display/decodePng.ts) and compared with the input.
import * as zlib from 'zlib';
import { describe, expect, it } from 'vitest';
import { crc32, encodeGrayPng, encodeIndexedPng, grayLevels, grayPngDataUri } from '../../src/display/png';
import { bitwiseCrc, decodeGrayPngDataUri, decodePng, referenceCrc, unfilterGray } from './decodePng';

interface Chunk { type: string; data: Buffer; crc: number; crcInput: Buffer }
function chunks(png: Buffer): Chunk[] {
  const out: Chunk[] = [];
  let at = 8;
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const type = png.subarray(at + 4, at + 8).toString('ascii');
    const data = png.subarray(at + 8, at + 8 + length);
    out.push({ type, data, crc: png.readUInt32BE(at + 8 + length), crcInput: png.subarray(at + 4, at + 8 + length) });
    at += 12 + length;
  }
  expect(at).toBe(png.length);
  return out;
}

describe('crc32', () => {
  it('matches the standard check value and a bitwise CRC', () => {
    expect(crc32(Buffer.from('123456789', 'ascii'))).toBe(0xcbf43926);
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 37 + 11) & 0xff);
    expect(crc32(bytes)).toBe(bitwiseCrc(bytes));
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe('encodeGrayPng', () => {
  const width = 7;
  const height = 5;
  const pixels = Uint8Array.from({ length: width * height }, (_, i) => (i * 53) % 256);

  it('writes the signature, IHDR (8-bit grayscale), IDAT and IEND with correct CRCs', () => {
    const png = encodeGrayPng(pixels, width, height);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const list = chunks(png);
    expect(list.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    for (const c of list) expect(c.crc, `${c.type} CRC`).toBe(referenceCrc(c.crcInput));
    const ihdr = list[0].data;
    expect(ihdr.readUInt32BE(0)).toBe(width);
    expect(ihdr.readUInt32BE(4)).toBe(height);
    expect([...ihdr.subarray(8)]).toEqual([8, 0, 0, 0, 0]);
    expect(list[2].data.length).toBe(0);
  });

  it('stores filtered scanlines (filter byte 0–4, then the row) that reconstruct the pixels exactly', () => {
    const idat = chunks(encodeGrayPng(pixels, width, height)).find((c) => c.type === 'IDAT')!.data;
    const raw = zlib.inflateSync(idat);
    expect(raw.length).toBe(height * (width + 1));
    for (let r = 0; r < height; r++) expect(raw[r * (width + 1)]).toBeLessThanOrEqual(4);
    const rows = unfilterGray(raw, width, height);
    for (let r = 0; r < height; r++) expect(rows[r]).toEqual([...pixels.subarray(r * width, (r + 1) * width)]);
  });

  it('uses the filters on smooth pictures, and they round-trip', () => {
    const w = 64, h = 48;
    const smooth = Uint8Array.from({ length: w * h }, (_, i) => Math.round(127.5 + 127.5 * Math.sin((i % w) / 9) * Math.cos(Math.floor(i / w) / 7)));
    const png = encodeGrayPng(smooth, w, h);
    const raw = zlib.inflateSync(chunks(png).find((c) => c.type === 'IDAT')!.data);
    const types = new Set(Array.from({ length: h }, (_, r) => raw[r * (w + 1)]));
    expect([...types].some((t) => t !== 0)).toBe(true);
    const decoded = decodeGrayPngDataUri(`data:image/png;base64,${png.toString('base64')}`);
    expect(decoded.rows.flat()).toEqual([...smooth]);
  });

  it('refuses pixels that do not fill the picture', () => {
    expect(() => encodeGrayPng(new Uint8Array(5), 2, 3)).toThrow(/width·height = 6 bytes, got 5/);
    expect(() => encodeGrayPng(new Uint8Array(0), 0, 0)).toThrow(/width must be an integer >= 1/);
    expect(() => encodeGrayPng([1, 2] as never, 2, 1)).toThrow(TypeError);
  });
});

describe('encodeIndexedPng', () => {
  // 11×6 pixels over a palette of 5 colours, in a pattern with runs and changes.
  const width = 11;
  const height = 6;
  const palette = Uint8Array.from([255, 255, 255, 31, 119, 180, 255, 127, 14, 0, 0, 0, 214, 39, 40]);
  const indices = Uint8Array.from({ length: width * height }, (_, i) => ((i % width) * 3 + Math.floor(i / width)) % 5);

  it('writes the signature, IHDR (8-bit, colour type 3), PLTE, IDAT and IEND with correct CRCs', () => {
    const png = encodeIndexedPng(indices, palette, width, height);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const list = chunks(png);
    expect(list.map((c) => c.type)).toEqual(['IHDR', 'PLTE', 'IDAT', 'IEND']);
    for (const c of list) expect(c.crc, `${c.type} CRC`).toBe(referenceCrc(c.crcInput));
    const ihdr = list[0].data;
    expect(ihdr.readUInt32BE(0)).toBe(width);
    expect(ihdr.readUInt32BE(4)).toBe(height);
    expect([...ihdr.subarray(8)]).toEqual([8, 3, 0, 0, 0]);
    expect([...list[1].data]).toEqual([...palette]);
  });

  it('stores every row with filter 0 and decodes back to the same indices and palette', () => {
    const decoded = decodePng(encodeIndexedPng(indices, palette, width, height));
    expect(decoded).toMatchObject({ width, height, colourType: 3 });
    expect(decoded.filters).toEqual(new Array(height).fill(0));
    expect([...decoded.palette!]).toEqual([...palette]);
    expect([...decoded.samples]).toEqual([...indices]);
    // And the raw bytes by hand: [0, row…] per row, nothing else.
    const raw = zlib.inflateSync(chunks(encodeIndexedPng(indices, palette, width, height))[2].data);
    const expected = Array.from({ length: height }, (_, r) => [0, ...indices.subarray(r * width, (r + 1) * width)]).flat();
    expect([...raw]).toEqual(expected);
  });

  it('round-trips a full palette of 256 colours and a one-pixel picture of one colour', () => {
    const full = Uint8Array.from({ length: 768 }, (_, i) => (i * 97 + 5) & 0xff);
    const all = Uint8Array.from({ length: 16 * 16 }, (_, i) => 255 - i);
    const decoded = decodePng(encodeIndexedPng(all, full, 16, 16));
    expect([...decoded.palette!]).toEqual([...full]);
    expect([...decoded.samples]).toEqual([...all]);
    const one = decodePng(encodeIndexedPng(new Uint8Array(1), Uint8Array.from([1, 2, 3]), 1, 1));
    expect([...one.samples]).toEqual([0]);
    expect([...one.palette!]).toEqual([1, 2, 3]);
  });

  it('refuses indices that do not fill the picture, bad palettes and indices past the palette', () => {
    expect(() => encodeIndexedPng(new Uint8Array(5), palette, 2, 3)).toThrow(/encodeIndexedPng: indices must hold width·height = 6 bytes, got 5/);
    expect(() => encodeIndexedPng(new Uint8Array(6), palette, 0, 6)).toThrow(/width must be an integer >= 1/);
    expect(() => encodeIndexedPng(new Uint8Array(6), palette, 2, 3.5)).toThrow(/height must be an integer >= 1/);
    expect(() => encodeIndexedPng([0] as never, palette, 1, 1)).toThrow(/indices must be a Uint8Array/);
    expect(() => encodeIndexedPng(new Uint8Array(1), [0, 0, 0] as never, 1, 1)).toThrow(/palette must be a Uint8Array/);
    expect(() => encodeIndexedPng(new Uint8Array(1), new Uint8Array(4), 1, 1)).toThrow(/palette must hold 1 to 256 colours .* got 4 bytes/);
    expect(() => encodeIndexedPng(new Uint8Array(1), new Uint8Array(0), 1, 1)).toThrow(/palette must hold 1 to 256 colours/);
    expect(() => encodeIndexedPng(new Uint8Array(1), new Uint8Array(771), 1, 1)).toThrow(/palette must hold 1 to 256 colours/);
    expect(() => encodeIndexedPng(Uint8Array.from([0, 5]), palette, 2, 1)).toThrow(/indices\[1\] = 5 is past the palette's 5 colours/);
  });
});

describe('grayLevels and grayPngDataUri', () => {
  it('maps [0, 1] to 0…255 (clamped) and gaps to white', () => {
    expect([...grayLevels([0, 0.5, 1, -0.2, 1.7, null, NaN, undefined])]).toEqual([0, 128, 255, 0, 255, 255, 255, 255]);
    expect([...grayLevels([null], 0)]).toEqual([0]);
  });

  it('encodes a matrix with gaps as a data URI whose pixels decode back', () => {
    const matrix = [[0, 1, null], [0.25, null, 0.75]];
    const uri = grayPngDataUri(matrix);
    expect(uri.startsWith('data:image/png;base64,')).toBe(true);
    expect(decodeGrayPngDataUri(uri).rows).toEqual([[0, 255, 255], [64, 255, 191]]);
    expect(() => grayPngDataUri([[0, 1], [0]])).toThrow(/row 1 has 1/);
  });
});
