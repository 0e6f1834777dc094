import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Random } from '../../src/random';
import { binaryPatterns } from '../../src/data/synthetic';
import { trainVae, TrainResult } from '../../src/train/train';
import { linearWarmup } from '../../src/train/schedules';
import { initEngine } from '../../src/engine/backends/select';

const data = binaryPatterns({ count: 240, features: 16, prototypes: 3, flipProbability: 0.1 }, new Random(21));
const heldOut = binaryPatterns({ count: 60, features: 16, prototypes: 3, flipProbability: 0.1, patterns: data.patterns }, new Random(22));
// Grey levels so that dynamic binarization draws from the Random too.
const grey = { ...data, values: data.values.map((v, i) => (i % 5 === 0 ? 0.5 : v)) };

async function run(seed: number): Promise<TrainResult> {
  return trainVae({
    model: { latentSize: 2, hiddenSizes: [12] }, data: grey, heldOut, epochs: 3, batchSize: 50, seed,
    beta: linearWarmup({ epochs: 2 }), freeBits: 0.05, learningRate: 3e-3, logLikelihood: { k: 8, count: 20 },
  });
}

/** Everything the run reports, as plain numbers (weights included). */
function fingerprint(result: TrainResult): unknown {
  const weights = result.model.getWeights().map((w) => Array.from(w));
  result.model.dispose();
  // Wall time is the one thing allowed to differ.
  const history = result.history.map(({ seconds, ...rest }) => rest);
  return { history, initial: result.initial, weights };
}

// The stock backends, and the fast engines notebooks normally get (a forced engine that cannot
// start here falls back down the list, so these still run on some wasm engine).
describe.each(['cpu', 'wasm', 'wasm-fast', 'wasm-blas'] as const)('determinism on %s', (engine) => {
  it('same seed ⇒ identical metrics and weights, twice in one process; another seed differs', async () => {
    await initEngine({ engine, print: false });
    expect(tf.getBackend()).toBe(engine === 'cpu' ? 'cpu' : 'wasm');
    const a = fingerprint(await run(5));
    const b = fingerprint(await run(5));
    expect(b).toEqual(a);
    const c = fingerprint(await run(6));
    expect(c).not.toEqual(a);
  });
});
