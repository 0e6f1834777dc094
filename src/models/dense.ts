import * as tf from '@tensorflow/tfjs';
import { Random } from '../random';
import { dense, DenseActivation } from '../engine/ops/vaeStep';
import { checkInteger, checkRandom } from '../checks';

export type { DenseActivation };

/** A dense layer y = act(x W + b) held as plain variables (W: [in, out], b: [out]). */
export interface DenseLayer {
  readonly weight: tf.Variable<tf.Rank.R2>;
  readonly bias: tf.Variable<tf.Rank.R1>;
  readonly activation: DenseActivation;
}

/**
 * A dense layer with weights drawn from `random`: He-uniform U(±√(6/fan_in)) before a ReLU,
 * Glorot-uniform U(±√(6/(fan_in+fan_out))) before a linear output; zero biases. Drawn in JS so
 * one seed gives the same initial weights on every backend.
 */
export function createDense(
  inputSize: number, outputSize: number, activation: DenseActivation, random: Random, name: string,
): DenseLayer {
  const fn = 'createDense';
  checkInteger(fn, 'inputSize', inputSize, 1);
  checkInteger(fn, 'outputSize', outputSize, 1);
  if (activation !== 'relu' && activation !== 'linear') throw new RangeError(`${fn}: activation must be 'relu' or 'linear', got ${String(activation)}`);
  checkRandom(fn, 'random', random);
  const limit = activation === 'relu' ? Math.sqrt(6 / inputSize) : Math.sqrt(6 / (inputSize + outputSize));
  const values = random.uniforms(inputSize * outputSize);
  for (let i = 0; i < values.length; i++) values[i] = (2 * values[i] - 1) * limit;
  // Unique variable names: tfjs keeps a global registry of them.
  const id = nextId++;
  return {
    weight: variableFrom(tf.tensor2d(values, [inputSize, outputSize]), `${name}/w_${id}`) as tf.Variable<tf.Rank.R2>,
    bias: variableFrom(tf.zeros([outputSize]), `${name}/b_${id}`) as tf.Variable<tf.Rank.R1>,
    activation,
  };
}

let nextId = 0;

/** A trainable variable holding `initial`, which is disposed (tf.variable keeps its own handle). */
export function variableFrom(initial: tf.Tensor, name: string): tf.Variable {
  const v = tf.variable(initial, true, name);
  initial.dispose();
  return v;
}

/**
 * y = act(x W + b) by the engine's fused dense op: one kernel forward and one backward on the
 * fast wasm engines (tfjs's own fused matMul un-fuses ReLU whenever gradients are recorded).
 */
export function applyDense(layer: DenseLayer, x: tf.Tensor2D): tf.Tensor2D {
  return dense(x, layer.weight, layer.bias, layer.activation);
}

/**
 * A multilayer perceptron: ReLU hidden layers of the given sizes, then a linear output layer.
 * hiddenSizes = [] gives a single affine map.
 */
export class Mlp {
  readonly layers: DenseLayer[];
  readonly inputSize: number;
  readonly outputSize: number;

  constructor(inputSize: number, hiddenSizes: readonly number[], outputSize: number, random: Random, name: string) {
    const sizes = [inputSize, ...hiddenSizes, outputSize];
    this.layers = [];
    for (let i = 0; i + 1 < sizes.length; i++) {
      const last = i + 2 === sizes.length;
      this.layers.push(createDense(sizes[i], sizes[i + 1], last ? 'linear' : 'relu', random, `${name}/dense${i}`));
    }
    this.inputSize = inputSize;
    this.outputSize = outputSize;
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      let h = x;
      for (const layer of this.layers) h = applyDense(layer, h);
      return h;
    });
  }

  variables(): tf.Variable[] {
    const out: tf.Variable[] = [];
    for (const layer of this.layers) out.push(layer.weight, layer.bias);
    return out;
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}
