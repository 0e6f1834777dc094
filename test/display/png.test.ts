// The PNG encoder, checked by an independent route: the chunks are walked by hand, every CRC is
// recomputed with zlib's own crc32 where Node has it (else a bitwise CRC written here), the image
// data is inflated with zlib, each scanline's filter byte checked (0–4) and its pixels
// reconstructed as the PNG specification says (test/display/decodePng.ts) and compared with the input.
import * as zlib from 'zlib';
import { describe, expect, it } from 'vitest';
import { crc32, encodeGrayPng, grayLevels, grayPngDataUri } from '../../src/display/png';
import { decodeGrayPngDataUri, unfilterGray } from './decodePng';

/** A bitwise CRC-32 (no table), the reference the table-driven one must agree with. */
function bitwiseCrc(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
const referenceCrc = (bytes: Uint8Array): number =>
  typeof (zlib as unknown as { crc32?: (b: Uint8Array) => number }).crc32 === 'function'
    ? (zlib as unknown as { crc32: (b: Uint8Array) => number }).crc32(bytes)
    : bitwiseCrc(bytes);

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
