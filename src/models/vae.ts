import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { Random } from '../random';
import type { DiagonalGaussian } from '../distributions/gaussian';
import { bernoulliLogLikelihood } from '../distributions/bernoulli';
import { gaussianLogLikelihood } from '../distributions/gaussianLikelihood';
import type { GenerativeModel, InferenceModel } from '../objectives/types';
import { Mlp, variableFrom } from './dense';
import { checkInteger, checkRandom } from '../checks';

export type LikelihoodKind = 'bernoulli' | 'gaussian';

export interface VaeConfig {
  /** Features per example (784 for MNIST). */
  inputSize: number;
  /** Dimensions of z (any integer >= 1; 2 gives plottable latent spaces). */
  latentSize: number;
  /** ReLU hidden layer sizes of the encoder (default [400]); [] makes it affine. */
  hiddenSizes?: number[];
  /** ReLU hidden layer sizes of the decoder (default: hiddenSizes reversed); [] makes it affine. */
  decoderHiddenSizes?: number[];
  /** p_θ(x|z): 'bernoulli' (decoder outputs logits; default) or 'gaussian' (decoder outputs the mean). */
  likelihood?: LikelihoodKind;
  /**
   * Gaussian likelihood only: log σ² of the observation noise, one number shared by all pixels,
   * either fixed (a number) or 'learned' (a trained scalar starting at 0; the default).
   */
  observationLogVariance?: number | 'learned';
}

/** The configuration with every default filled in (what save/load store). */
export interface ResolvedVaeConfig {
  inputSize: number;
  latentSize: number;
  hiddenSizes: number[];
  decoderHiddenSizes: number[];
  likelihood: LikelihoodKind;
  observationLogVariance: number | 'learned';
}

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`Vae: ${name} must be an integer >= 1, got ${String(value)}`);
  }
  return value;
}

function sizeList(value: unknown, name: string): number[] {
  if (!Array.isArray(value)) throw new TypeError(`Vae: ${name} must be an array of layer sizes, got ${typeof value}`);
  return value.map((v, i) => positiveInteger(v, `${name}[${i}]`));
}

/** Validates a VaeConfig and fills in defaults. */
export function resolveVaeConfig(config: VaeConfig): ResolvedVaeConfig {
  if (config === null || typeof config !== 'object') throw new TypeError('Vae: config must be an object {inputSize, latentSize, ...}');
  const inputSize = positiveInteger(config.inputSize, 'config.inputSize');
  const latentSize = positiveInteger(config.latentSize, 'config.latentSize');
  const hiddenSizes = sizeList(config.hiddenSizes ?? [400], 'config.hiddenSizes');
  const decoderHiddenSizes = sizeList(config.decoderHiddenSizes ?? [...hiddenSizes].reverse(), 'config.decoderHiddenSizes');
  const likelihood = config.likelihood ?? 'bernoulli';
  if (likelihood !== 'bernoulli' && likelihood !== 'gaussian') {
    throw new RangeError(`Vae: config.likelihood must be 'bernoulli' or 'gaussian', got ${String(likelihood)}`);
  }
  const observationLogVariance = config.observationLogVariance ?? 'learned';
  if (observationLogVariance !== 'learned' && !(typeof observationLogVariance === 'number' && Number.isFinite(observationLogVariance))) {
    throw new RangeError(`Vae: config.observationLogVariance must be a finite number or 'learned', got ${String(observationLogVariance)}`);
  }
  // 'learned' is the resolved default that toJSON stores for every model, so a saved Bernoulli
  // model must load back; only an explicit fixed variance is meaningless for Bernoulli.
  if (likelihood === 'bernoulli' && config.observationLogVariance !== undefined && config.observationLogVariance !== 'learned') {
    throw new RangeError("Vae: config.observationLogVariance applies only to likelihood 'gaussian'");
  }
  return { inputSize, latentSize, hiddenSizes, decoderHiddenSizes, likelihood, observationLogVariance };
}

/** Saved weights: the resolved config plus each variable as shape + base64 little-endian float32. */
export interface VaeWeightsFile {
  format: 'elbo-lab-vae';
  version: 1;
  config: ResolvedVaeConfig;
  weights: { name: string; shape: number[]; base64: string }[];
}

/**
 * A variational autoencoder: encoder q_φ(z|x) = N(μ_φ(x), diag exp(logVariance_φ(x))) and decoder
 * p_θ(x|z) (Bernoulli with logits, or Gaussian with mean, from an MLP of z), prior p(z) = N(0, I).
 * Implements GenerativeModel and InferenceModel, so every objective of src/objectives (ELBO,
 * importance-weighted bound, exact tools) runs on it. Methods return new tensors the caller
 * disposes (or wraps in tf.tidy); call dispose() when done with the model.
 */
export class Vae implements GenerativeModel, InferenceModel {
  readonly config: ResolvedVaeConfig;
  readonly inputSize: number;
  readonly latentSize: number;
  readonly likelihood: LikelihoodKind;
  /** Maps x to [μ, logVariance] side by side ([n, 2·latentSize]). */
  readonly encoderNetwork: Mlp;
  /** Maps z to logits (Bernoulli) or the mean (Gaussian). */
  readonly decoderNetwork: Mlp;
  /** Learned observation log σ² (Gaussian, 'learned'), a scalar variable; null otherwise. */
  readonly observationLogVariance: tf.Variable<tf.Rank.R0> | null;
  private disposed = false;

  /** Builds the networks with weights drawn from `random` (same seed ⇒ same weights on every backend). */
  constructor(config: VaeConfig, random: Random) {
    this.config = resolveVaeConfig(config);
    checkRandom('Vae', 'random', random);
    const c = this.config;
    this.inputSize = c.inputSize;
    this.latentSize = c.latentSize;
    this.likelihood = c.likelihood;
    this.encoderNetwork = new Mlp(c.inputSize, c.hiddenSizes, 2 * c.latentSize, random, 'encoder');
    this.decoderNetwork = new Mlp(c.latentSize, c.decoderHiddenSizes, c.inputSize, random, 'decoder');
    this.observationLogVariance =
      c.likelihood === 'gaussian' && c.observationLogVariance === 'learned'
        ? (variableFrom(tf.scalar(0), `decoder/logVariance_${Vae.nextId++}`) as tf.Variable<tf.Rank.R0>)
        : null;
  }

  private static nextId = 0;

  private checkLive(fn: string): void {
    if (this.disposed) throw new Error(`Vae.${fn}: this model has been disposed`);
  }

  private checkInput(fn: string, name: string, t: unknown, columns: number): tf.Tensor2D {
    this.checkLive(fn);
    if (!(t instanceof tf.Tensor) || t.rank !== 2) {
      throw new TypeError(`Vae.${fn}: ${name} must be a 2-D tensor [n, ${columns}], got ${t instanceof tf.Tensor ? `shape [${t.shape}]` : typeof t}`);
    }
    if (t.shape[1] !== columns || t.shape[0] < 1) {
      throw new RangeError(`Vae.${fn}: ${name} must have shape [n, ${columns}], got [${t.shape}]`);
    }
    return t as tf.Tensor2D;
  }

  /** q_φ(z|x): the encoder's mean and logVariance, each [n, latentSize]. */
  encode(x: tf.Tensor2D): DiagonalGaussian {
    this.checkInput('encode', 'x', x, this.inputSize);
    return tf.tidy(() => {
      const out = this.encoderNetwork.apply(x);
      const [mean, logVariance] = tf.split(out, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      return { mean, logVariance };
    });
  }

  /** The decoder network's raw output: logits (Bernoulli) or the mean (Gaussian), [n, inputSize]. */
  decoderOutput(z: tf.Tensor2D): tf.Tensor2D {
    this.checkInput('decoderOutput', 'z', z, this.latentSize);
    return this.decoderNetwork.apply(z);
  }

  /** The observation log σ² as a [1, inputSize] tensor (Gaussian likelihood only). */
  observationLogVarianceRow(): tf.Tensor2D {
    this.checkLive('observationLogVarianceRow');
    if (this.likelihood !== 'gaussian') throw new Error("Vae.observationLogVarianceRow: only for likelihood 'gaussian'");
    const v = this.observationLogVariance;
    const fixed = this.config.observationLogVariance;
    return tf.tidy(() => tf.mul(tf.ones([1, this.inputSize]), v ?? tf.scalar(fixed as number)) as tf.Tensor2D);
  }

  /**
   * log p_θ(x_i | z_i) per row, summed over pixels: [n].
   * Bernoulli: Σ_j x_j l_j − softplus(l_j) with l = decoder logits; Gaussian: log N(x; mean(z), σ² I).
   */
  logLikelihood(x: tf.Tensor2D, z: tf.Tensor2D): tf.Tensor1D {
    this.checkInput('logLikelihood', 'x', x, this.inputSize);
    this.checkInput('logLikelihood', 'z', z, this.latentSize);
    if (x.shape[0] !== z.shape[0]) {
      throw new RangeError(`Vae.logLikelihood: x and z must have the same number of rows, got ${x.shape[0]} and ${z.shape[0]}`);
    }
    return tf.tidy(() => {
      const out = this.decoderNetwork.apply(z);
      if (this.likelihood === 'bernoulli') return bernoulliLogLikelihood(x, out);
      return gaussianLogLikelihood(x, out, this.observationLogVarianceRow());
    });
  }

  /** The mean of p_θ(x|z): sigmoid(logits) for Bernoulli (pixel probabilities), the mean for Gaussian. */
  decode(z: tf.Tensor2D): tf.Tensor2D {
    this.checkInput('decode', 'z', z, this.latentSize);
    return tf.tidy(() => {
      const out = this.decoderNetwork.apply(z);
      return this.likelihood === 'bernoulli' ? tf.sigmoid(out) : out;
    });
  }

  /** decode(μ_φ(x)): the reconstruction through the encoder mean. */
  reconstruct(x: tf.Tensor2D): tf.Tensor2D {
    this.checkInput('reconstruct', 'x', x, this.inputSize);
    return tf.tidy(() => {
      const q = this.encode(x);
      return this.decode(q.mean);
    });
  }

  /** z ~ p(z) = N(0, I), count rows, from `random`. */
  samplePriorLatents(count: number, random: Random): tf.Tensor2D {
    this.checkLive('samplePriorLatents');
    checkInteger('Vae.samplePriorLatents', 'count', count, 1);
    checkRandom('Vae.samplePriorLatents', 'random', random);
    return tf.tensor2d(random.normals(count * this.latentSize), [count, this.latentSize]);
  }

  /** Generation: z ~ p(z), then the decoder mean of p_θ(x|z); [count, inputSize]. */
  sample(count: number, random: Random): tf.Tensor2D {
    const z = this.samplePriorLatents(count, random);
    const x = this.decode(z);
    z.dispose();
    return x;
  }

  /**
   * Decoder means along the straight line between the encoder means of xA and xB (one row each):
   * z_t = (1 − t) μ(xA) + t μ(xB) for `steps` evenly spaced t in [0, 1]; [steps, inputSize].
   */
  interpolate(xA: tf.Tensor2D, xB: tf.Tensor2D, steps: number): tf.Tensor2D {
    this.checkInput('interpolate', 'xA', xA, this.inputSize);
    this.checkInput('interpolate', 'xB', xB, this.inputSize);
    if (xA.shape[0] !== 1 || xB.shape[0] !== 1) throw new RangeError(`Vae.interpolate: xA and xB must each be one row [1, ${this.inputSize}]`);
    checkInteger('Vae.interpolate', 'steps', steps, 2);
    return tf.tidy(() => {
      const zA = this.encode(xA).mean;
      const zB = this.encode(xB).mean;
      const t = tf.reshape(tf.linspace(0, 1, steps), [steps, 1]);
      const z = tf.add(tf.mul(tf.sub(1, t), zA), tf.mul(t, zB)) as tf.Tensor2D;
      return this.decode(z);
    });
  }

  /** All trainable variables (encoder, decoder, learned observation noise). */
  variables(): tf.Variable[] {
    const vars = [...this.encoderNetwork.variables(), ...this.decoderNetwork.variables()];
    if (this.observationLogVariance) vars.push(this.observationLogVariance);
    return vars;
  }

  /** Number of trainable parameters. */
  parameterCount(): number {
    return this.variables().reduce((s, v) => s + v.size, 0);
  }

  /** A copy of every weight as plain Float32Arrays, in variables() order. */
  getWeights(): Float32Array[] {
    this.checkLive('getWeights');
    return this.variables().map((v) => Float32Array.from(v.dataSync()));
  }

  /** Overwrites every weight (same order and sizes as getWeights()). */
  setWeights(weights: readonly Float32Array[]): void {
    this.checkLive('setWeights');
    const vars = this.variables();
    if (!Array.isArray(weights) || weights.length !== vars.length) {
      throw new RangeError(`Vae.setWeights: weights must be an array of ${vars.length} Float32Arrays, got ${Array.isArray(weights) ? weights.length : typeof weights}`);
    }
    vars.forEach((v, i) => {
      const w = weights[i];
      if (!(w instanceof Float32Array) || w.length !== v.size) {
        throw new RangeError(`Vae.setWeights: weights[${i}] must be a Float32Array of ${v.size} values (shape [${v.shape}])`);
      }
      tf.tidy(() => v.assign(tf.tensor(w, v.shape)));
    });
  }

  /** The config and weights as a JSON-able object. */
  toJSON(): VaeWeightsFile {
    this.checkLive('toJSON');
    const weights = this.variables().map((v) => {
      const data = Float32Array.from(v.dataSync());
      return { name: v.name.replace(/_\d+$/, ''), shape: v.shape.slice(), base64: Buffer.from(data.buffer).toString('base64') };
    });
    return { format: 'elbo-lab-vae', version: 1, config: { ...this.config }, weights };
  }

  /** Rebuilds a model from toJSON() output (no randomness involved). */
  static fromJSON(file: VaeWeightsFile): Vae {
    if (!file || file.format !== 'elbo-lab-vae' || file.version !== 1) {
      throw new TypeError("Vae.fromJSON: file must be an object with format 'elbo-lab-vae' and version 1");
    }
    const vae = new Vae(file.config, new Random(0));
    const vars = vae.variables();
    if (!Array.isArray(file.weights) || file.weights.length !== vars.length) {
      vae.dispose();
      throw new RangeError(`Vae.fromJSON: file.weights must hold ${vars.length} arrays for this config`);
    }
    try {
      vae.setWeights(file.weights.map((w) => {
        const bytes = Buffer.from(w.base64, 'base64');
        const copy = new Uint8Array(bytes.length);
        copy.set(bytes);
        return new Float32Array(copy.buffer);
      }));
    } catch (err) {
      vae.dispose();
      throw err;
    }
    return vae;
  }

  /** Writes config and weights to a JSON file. */
  save(file: string): void {
    if (typeof file !== 'string' || file.length === 0) throw new TypeError('Vae.save: file must be a path string');
    fs.writeFileSync(file, JSON.stringify(this.toJSON()));
  }

  /** Reads a model written by save(). */
  static load(file: string): Vae {
    if (typeof file !== 'string' || !fs.existsSync(file)) throw new RangeError(`Vae.load: file must be an existing path, got ${String(file)}`);
    return Vae.fromJSON(JSON.parse(fs.readFileSync(file, 'utf8')) as VaeWeightsFile);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Frees all variables. */
  dispose(): void {
    if (this.disposed) return;
    this.encoderNetwork.dispose();
    this.decoderNetwork.dispose();
    this.observationLogVariance?.dispose();
    this.disposed = true;
  }
}
