import { describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { parseIdx, readIdxFile } from '../../src/data/idx';
import { hasFashionMnist, loadFashionMnist } from '../../src/data/fashionMnist';

function idxBytes(shape: number[], data: number[], typeCode = 0x08): Uint8Array {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = typeCode;
  header[3] = shape.length;
  shape.forEach((n, d) => header.writeUInt32BE(n, 4 + 4 * d));
  return new Uint8Array(Buffer.concat([header, Buffer.from(data)]));
}

describe('IDX parsing', () => {
  it('reads shape and data (big-endian sizes) from plain and gzipped files', () => {
    const bytes = idxBytes([2, 3], [1, 2, 3, 4, 5, 6]);
    const parsed = parseIdx(bytes);
    expect(parsed.shape).toEqual([2, 3]);
    expect(Array.from(parsed.data)).toEqual([1, 2, 3, 4, 5, 6]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elbo-idx-'));
    const file = path.join(dir, 'x-idx2-ubyte.gz');
    fs.writeFileSync(file, zlib.gzipSync(bytes));
    expect(readIdxFile(file).shape).toEqual([2, 3]);
    fs.rmSync(dir, { recursive: true });
  });

  it('rejects a bad magic number, an unsupported type and a size mismatch', () => {
    const bad = idxBytes([2], [1, 2]);
    bad[1] = 7;
    expect(() => parseIdx(bad)).toThrow(/magic/);
    expect(() => parseIdx(idxBytes([2], [1, 2], 0x0d))).toThrow(/data type/);
    expect(() => parseIdx(idxBytes([2, 3], [1, 2, 3]))).toThrow(/needs 6/);
  });
});

describe('Fashion-MNIST', () => {
  it('says how to install it when the folder is missing', () => {
    expect(() => loadFashionMnist({ dir: '/nonexistent/fashion' })).toThrow(/apt-get install dataset-fashion-mnist/);
  });

  it.skipIf(!hasFashionMnist())('loads the 10,000 test images, 1,000 per class', () => {
    const test = loadFashionMnist({ split: 'test' });
    expect(test.count).toBe(10000);
    expect(test.features).toBe(784);
    const counts = new Array(10).fill(0);
    for (const l of test.labels) counts[l]++;
    expect(counts).toEqual(new Array(10).fill(1000));
    let min = Infinity;
    let max = -Infinity;
    for (const v of test.values) { if (v < min) min = v; if (v > max) max = v; }
    expect(min).toBe(0);
    expect(max).toBe(1);
  });
});
