/**
 * Adam with the whole per-variable update in one kernel on the wasm engines.
 *
 * tf.train.adam updates each variable with about a dozen elementwise kernels (two moment
 * updates, two bias corrections, sqrt, add, div, mul, add, three assigns), each a full pass
 * over the parameters plus a kernel launch; on the wasm backend that costs more per step than
 * the dense layers' matrix products of the reference VAE. Here one kernel reads value,
 * gradient and both moments once and writes the three new tensors, with the same arithmetic
 * as tfjs's AdamOptimizer:
 *   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,
 *   θ ← θ − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε).
 * The optimizer is a subclass of tf.AdamOptimizer (same state, weights, serialisation) and
 * uses the stock update on any backend without the fused kernel (cpu, tfjs-node). On wasm the
 * update is written into the variables' own memory when nothing else shares it (adamInPlace).
 * The kernel and the in-place update are ../kernels/adamStep.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { ADAM_KERNEL, adamInPlace, registerAdamStepKernel } from '../kernels/adamStep';

interface AdamState {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
}

/** tf.AdamOptimizer whose update is one fused kernel per variable where the backend has it. */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    if (tf.getKernel(ADAM_KERNEL, tf.getBackend()) === undefined) {
      super.applyGradients(variableGradients);
      return;
    }
    const state = this as unknown as AdamState;
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    const oneMinusAccBeta1 = 1 - state.accBeta1.dataSync()[0];
    const oneMinusAccBeta2 = 1 - state.accBeta2.dataSync()[0];
    const attrs = {
      learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon,
      oneMinusAccBeta1, oneMinusAccBeta2,
    };
    names.forEach((name, i) => {
      const value = tf.engine().registeredVariables[name];
      const gradient = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
      if (gradient === undefined || gradient === null) return;
      const moment = (list: AdamState['accumulatedFirstMoment'], suffix: string): tf.Variable => {
        let slot = list[i];
        if (slot === undefined || slot === null) {
          slot = { originalName: `${name}/${suffix}`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
          list[i] = slot;
        }
        return slot.variable;
      };
      const m = moment(state.accumulatedFirstMoment, 'm');
      const v = moment(state.accumulatedSecondMoment, 'v');
      if (adamInPlace(value, m, v, gradient, attrs)) return;
      const outs = tf.engine().runKernel(ADAM_KERNEL, { value, m, v, gradient }, attrs) as tf.Tensor[];
      value.assign(outs[0]);
      m.assign(outs[1]);
      v.assign(outs[2]);
      tf.dispose(outs);
    });
    tf.tidy(() => {
      state.accBeta1.assign(tf.mul(state.accBeta1, this.beta1));
      state.accBeta2.assign(tf.mul(state.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }
}

/**
 * Adam for ELBO Lab trainers: same arguments and results as tf.train.adam, faster on the
 * wasm engines. Defaults as tf.train.adam except epsilon, which defaults to 1e-8 (PyTorch's)
 * rather than the backend's float epsilon.
 */
export function createAdam(learningRate = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8): FusedAdamOptimizer {
  const fn = 'createAdam';
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) throw new RangeError(`${fn}: learningRate must be a positive number, got ${learningRate}`);
  if (!(beta1 >= 0 && beta1 < 1)) throw new RangeError(`${fn}: beta1 must be in [0, 1), got ${beta1}`);
  if (!(beta2 >= 0 && beta2 < 1)) throw new RangeError(`${fn}: beta2 must be in [0, 1), got ${beta2}`);
  if (!(epsilon > 0) || !Number.isFinite(epsilon)) throw new RangeError(`${fn}: epsilon must be a positive number, got ${epsilon}`);
  registerAdamStepKernel();
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon);
}
