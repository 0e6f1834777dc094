import * as fs from 'fs';
import * as path from 'path';
import { ImageSet } from './matrix';
import { readIdxFile } from './idx';

/** Where Debian's `dataset-fashion-mnist` installs the files (override: ELBO_LAB_FASHION_MNIST_DIR). */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
] as const;

export interface FashionMnistOptions {
  /** 'train' (60,000), 'test' (10,000). Default 'train'. */
  split?: 'train' | 'test';
  /** Folder holding the four .gz files (default: env ELBO_LAB_FASHION_MNIST_DIR or the Debian path). */
  dir?: string;
  /** Keep only the first `limit` images (saves memory: the full train set is 188 MB as floats). */
  limit?: number;
}

/** The folder used when none is given. */
export function fashionMnistDir(): string {
  return process.env.ELBO_LAB_FASHION_MNIST_DIR || FASHION_MNIST_DIR;
}

/** Whether Fashion-MNIST is installed (so a notebook can skip a section instead of failing). */
export function hasFashionMnist(dir: string = fashionMnistDir()): boolean {
  return fs.existsSync(path.join(dir, 'train-images-idx3-ubyte.gz'));
}

/**
 * Fashion-MNIST (Xiao et al. 2017) from the IDX gz files, as intensities in [0, 1] with labels
 * 0..9 (names in FASHION_MNIST_CLASSES). Checks magic numbers, 28×28 images, matching counts.
 */
export function loadFashionMnist(options: FashionMnistOptions = {}): ImageSet {
  const split = options.split ?? 'train';
  if (split !== 'train' && split !== 'test') {
    throw new RangeError(`loadFashionMnist: options.split must be 'train' or 'test', got ${String(split)}`);
  }
  const dir = options.dir ?? fashionMnistDir();
  const prefix = split === 'train' ? 'train' : 't10k';
  const imagesFile = path.join(dir, `${prefix}-images-idx3-ubyte.gz`);
  const labelsFile = path.join(dir, `${prefix}-labels-idx1-ubyte.gz`);
  for (const file of [imagesFile, labelsFile]) {
    if (!fs.existsSync(file)) {
      throw new Error(
        `loadFashionMnist: ${file} not found. Install Fashion-MNIST with ` +
          '`sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or download the four ' +
          'IDX .gz files from https://github.com/zalandoresearch/fashion-mnist into a folder and set ' +
          'ELBO_LAB_FASHION_MNIST_DIR to it (or pass options.dir).',
      );
    }
  }
  const images = readIdxFile(imagesFile);
  const labels = readIdxFile(labelsFile);
  if (images.shape.length !== 3 || images.shape[1] !== 28 || images.shape[2] !== 28) {
    throw new RangeError(`loadFashionMnist: ${imagesFile} must hold [n, 28, 28] images, got [${images.shape}]`);
  }
  if (labels.shape.length !== 1 || labels.shape[0] !== images.shape[0]) {
    throw new RangeError(`loadFashionMnist: ${labelsFile} must hold ${images.shape[0]} labels, got shape [${labels.shape}]`);
  }
  const total = images.shape[0];
  const limit = options.limit ?? total;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`loadFashionMnist: options.limit must be a positive integer, got ${limit}`);
  }
  const count = Math.min(limit, total);
  const features = 28 * 28;
  const values = new Float32Array(count * features);
  const scale = 1 / 255;
  for (let i = 0; i < values.length; i++) values[i] = images.data[i] * scale;
  const labelCopy = Uint8Array.from(labels.data.subarray(0, count));
  for (let i = 0; i < count; i++) {
    if (labelCopy[i] > 9) throw new RangeError(`loadFashionMnist: label ${i} is ${labelCopy[i]}, expected 0..9`);
  }
  return { name: `Fashion-MNIST ${split}`, values, count, features, rows: 28, cols: 28, labels: labelCopy };
}
