import * as fs from 'fs';
import * as zlib from 'zlib';

/** A parsed IDX file (the format of the MNIST family): unsigned-byte data only. */
export interface IdxArray {
  readonly shape: number[];
  readonly data: Uint8Array;
}

/**
 * Parses IDX bytes: magic = two zero bytes, a type code (0x08 = unsigned byte, the only one
 * these data sets use), the number of dimensions; then each dimension as a big-endian uint32;
 * then the data. Validates magic, type and that the size matches the dimensions exactly.
 */
export function parseIdx(bytes: Uint8Array, name = 'IDX data'): IdxArray {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('parseIdx: bytes must be a Uint8Array');
  if (bytes.length < 4) throw new RangeError(`parseIdx: ${name} is too short (${bytes.length} bytes)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new RangeError(`parseIdx: ${name} has a bad magic number (first bytes ${bytes[0]}, ${bytes[1]}; expected 0, 0)`);
  }
  if (bytes[2] !== 0x08) {
    throw new RangeError(`parseIdx: ${name} has data type 0x${bytes[2].toString(16)}, only 0x08 (unsigned byte) is supported`);
  }
  const rank = bytes[3];
  if (rank < 1) throw new RangeError(`parseIdx: ${name} declares 0 dimensions`);
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) throw new RangeError(`parseIdx: ${name} ends inside its header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let size = 1;
  for (let d = 0; d < rank; d++) {
    const n = view.getUint32(4 + 4 * d, false);
    shape.push(n);
    size *= n;
  }
  if (bytes.length !== headerBytes + size) {
    throw new RangeError(
      `parseIdx: ${name} has ${bytes.length - headerBytes} data bytes, its shape [${shape}] needs ${size}`,
    );
  }
  return { shape, data: bytes.subarray(headerBytes) };
}

/** Reads an IDX file, gunzipping it when the name ends in .gz. */
export function readIdxFile(file: string): IdxArray {
  if (typeof file !== 'string') throw new TypeError('readIdxFile: file must be a path string');
  let bytes: Uint8Array = fs.readFileSync(file);
  if (file.endsWith('.gz')) bytes = zlib.gunzipSync(bytes);
  return parseIdx(bytes, file);
}
