import { Random } from '../random';
import { DataMatrix } from './matrix';
import { LinearGaussianModel } from '../exact/linearGaussian';
import { checkRandom } from '../checks';

function checkCount(fn: string, name: string, value: number, min = 1): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${fn}: ${name} must be an integer >= ${min}, got ${value}`);
  }
}

function checkRandomArg(fn: string, random: unknown): void {
  checkRandom(fn, 'random', random);
}

export interface MixtureOptions {
  /** Number of points. */
  count: number;
  /** Number of Gaussian components, centred evenly on a circle (default 8). */
  components?: number;
  /** Radius of that circle (default 2). */
  radius?: number;
  /** Standard deviation of each component (default 0.2). */
  std?: number;
}

/**
 * A 2-D toy mixture: components isotropic Gaussians N(c_k, std² I) with centres c_k evenly spaced
 * on a circle, equal weights. Labels say which component drew each point.
 */
export function gaussianMixture2d(options: MixtureOptions, random: Random): DataMatrix {
  const fn = 'gaussianMixture2d';
  checkRandomArg(fn, random);
  const count = options.count;
  const components = options.components ?? 8;
  const radius = options.radius ?? 2;
  const std = options.std ?? 0.2;
  checkCount(fn, 'options.count', count);
  checkCount(fn, 'options.components', components);
  if (components > 255) throw new RangeError(`${fn}: options.components must be <= 255, got ${components}`);
  if (!(radius >= 0 && Number.isFinite(radius))) throw new RangeError(`${fn}: options.radius must be finite and >= 0, got ${radius}`);
  if (!(std > 0 && Number.isFinite(std))) throw new RangeError(`${fn}: options.std must be finite and > 0, got ${std}`);
  const values = new Float32Array(count * 2);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const k = random.integer(components);
    const angle = (2 * Math.PI * k) / components;
    values[2 * i] = radius * Math.cos(angle) + std * random.normal();
    values[2 * i + 1] = radius * Math.sin(angle) + std * random.normal();
    labels[i] = k;
  }
  return { values, count, features: 2, labels };
}

export interface BinaryPatternOptions {
  /** Number of examples. */
  count: number;
  /** Pixels per example (default 64, an 8×8 image). */
  features?: number;
  /** Number of prototype patterns (default 4). */
  prototypes?: number;
  /** Probability that each pixel of a prototype is flipped in an example (default 0.05). */
  flipProbability?: number;
  /** The prototypes to use (values 0/1, prototypes × features); drawn from `random` when absent. */
  patterns?: Float32Array;
}

/**
 * Small binary data with known structure, for Bernoulli VAEs: each example copies one of a few
 * random prototype patterns and flips each pixel independently with probability
 * `flipProbability`. A model that discovers the prototypes reaches, per example,
 *   log p(x) ≈ log(1/K) + features · [ (1−f) log(1−f) + f log f ]  (f the flip probability),
 * so learning is visible within a few epochs. Labels give the prototype index.
 */
export function binaryPatterns(options: BinaryPatternOptions, random: Random): DataMatrix & { patterns: Float32Array } {
  const fn = 'binaryPatterns';
  checkRandomArg(fn, random);
  const count = options.count;
  const features = options.features ?? 64;
  const prototypes = options.prototypes ?? 4;
  const flip = options.flipProbability ?? 0.05;
  checkCount(fn, 'options.count', count);
  checkCount(fn, 'options.features', features);
  checkCount(fn, 'options.prototypes', prototypes);
  if (prototypes > 255) throw new RangeError(`${fn}: options.prototypes must be <= 255, got ${prototypes}`);
  if (!(flip >= 0 && flip < 0.5)) throw new RangeError(`${fn}: options.flipProbability must be in [0, 0.5), got ${flip}`);
  let patterns = options.patterns;
  if (patterns === undefined) {
    patterns = new Float32Array(prototypes * features);
    for (let i = 0; i < patterns.length; i++) patterns[i] = random.uniform() < 0.5 ? 1 : 0;
  } else if (!(patterns instanceof Float32Array) || patterns.length !== prototypes * features) {
    throw new RangeError(`${fn}: options.patterns must be a Float32Array of prototypes*features = ${prototypes * features} entries`);
  }
  const values = new Float32Array(count * features);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const k = random.integer(prototypes);
    labels[i] = k;
    for (let j = 0; j < features; j++) {
      const bit = patterns[k * features + j];
      values[i * features + j] = random.uniform() < flip ? 1 - bit : bit;
    }
  }
  return { values, count, features, labels, patterns };
}

/**
 * Per-example log-likelihood of the binaryPatterns generative process for one example
 * (exact, the mixture over prototypes): log Σ_k (1/K) Π_j f^{[x_j≠p_kj]} (1−f)^{[x_j=p_kj]}.
 */
export function binaryPatternsLogLikelihood(
  x: Float32Array, patterns: Float32Array, prototypes: number, flipProbability: number,
): number {
  const features = x.length;
  if (patterns.length !== prototypes * features) {
    throw new RangeError(`binaryPatternsLogLikelihood: patterns must have prototypes*x.length = ${prototypes * features} entries, got ${patterns.length}`);
  }
  const logs: number[] = [];
  for (let k = 0; k < prototypes; k++) {
    let mismatches = 0;
    for (let j = 0; j < features; j++) if (x[j] !== patterns[k * features + j]) mismatches++;
    logs.push(-Math.log(prototypes) + mismatches * Math.log(flipProbability) + (features - mismatches) * Math.log(1 - flipProbability));
  }
  const m = Math.max(...logs);
  return m + Math.log(logs.reduce((s, l) => s + Math.exp(l - m), 0));
}

/**
 * Data drawn from a linear-Gaussian model (probabilistic PCA): z ~ N(0, I), x = W z + b + σ ε,
 * so log p(x) is known exactly (model.logMarginal). Uses the math core's LinearGaussianModel.
 */
export function linearGaussianData(model: LinearGaussianModel, count: number, random: Random): DataMatrix {
  const fn = 'linearGaussianData';
  if (!(model instanceof LinearGaussianModel)) throw new TypeError(`${fn}: model must be a LinearGaussianModel from src/exact/linearGaussian`);
  checkCount(fn, 'count', count);
  checkRandomArg(fn, random);
  return { values: Float32Array.from(model.sample(random, count)), count, features: model.dataSize };
}

export interface LinearGaussianDatasetOptions {
  /** Dimensions of x (default 8). */
  dataSize?: number;
  /** Dimensions of z (default 2). */
  latentSize?: number;
  /** Examples (default 1000). */
  count?: number;
  /** log σ² of the observation noise (default log 0.1). */
  logVariance?: number;
  /** Scale of the entries of W (default 1). */
  scale?: number;
  /** Orthogonal columns of W, so the exact posterior is diagonal (default true). */
  orthogonalColumns?: boolean;
}

/** A random linear-Gaussian model and `count` draws from it. */
export function linearGaussianDataset(
  options: LinearGaussianDatasetOptions, random: Random,
): { model: LinearGaussianModel; data: DataMatrix } {
  const fn = 'linearGaussianDataset';
  checkRandomArg(fn, random);
  const dataSize = options.dataSize ?? 8;
  const latentSize = options.latentSize ?? 2;
  const count = options.count ?? 1000;
  checkCount(fn, 'options.dataSize', dataSize);
  checkCount(fn, 'options.latentSize', latentSize);
  checkCount(fn, 'options.count', count);
  const model = LinearGaussianModel.random(random, dataSize, latentSize, {
    logVariance: options.logVariance ?? Math.log(0.1),
    scale: options.scale ?? 1,
    orthogonalColumns: options.orthogonalColumns ?? true,
  });
  return { model, data: linearGaussianData(model, count, random) };
}
