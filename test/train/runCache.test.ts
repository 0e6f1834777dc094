import * as tf from '@tensorflow/tfjs';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { sharedTraining } from '../../src/train/runCache';
import { trainVae } from '../../src/train/train';
import { binaryPatterns } from '../../src/data/synthetic';
import { Random } from '../../src/random';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});
afterEach(() => vi.unstubAllEnvs());

const data = binaryPatterns({ count: 64, features: 16, prototypes: 4 }, new Random(3));
const options = { model: { latentSize: 2, hiddenSizes: [8] }, data, epochs: 2, batchSize: 32, seed: 5, evalCount: 32, progress: 'none' as const };

describe('sharedTraining', () => {
  it('trains every time when no suite run cache is set', async () => {
    vi.stubEnv('ELBO_LAB_RUN_CACHE', '');
    const train = vi.fn(() => trainVae(options));
    const a = await sharedTraining('patterns', { seed: 5 }, train);
    const b = await sharedTraining('patterns', { seed: 5 }, train);
    expect(train).toHaveBeenCalledTimes(2);
    expect(a.fromCache || b.fromCache).toBe(false);
    a.model.dispose();
    b.model.dispose();
  });

  it('reuses a run of the same description within a suite run, with identical weights and metrics', async () => {
    vi.stubEnv('ELBO_LAB_RUN_CACHE', fs.mkdtempSync(path.join(os.tmpdir(), 'runs-')));
    const train = vi.fn(() => trainVae(options));
    const first = await sharedTraining('patterns', { seed: 5 }, train);
    const second = await sharedTraining('patterns', { seed: 5 }, train);
    expect(train).toHaveBeenCalledTimes(1);
    expect(second.fromCache).toBe(true);
    expect(second.final.train.elbo).toBe(first.final.train.elbo);
    expect(second.final.train.klPerDimension).toBeInstanceOf(Float64Array);
    expect(Array.from(second.final.train.klPerDimension)).toEqual(Array.from(first.final.train.klPerDimension));
    expect(second.model.getWeights()).toEqual(first.model.getWeights());
    const third = await sharedTraining('patterns', { seed: 6 }, train);
    expect(train).toHaveBeenCalledTimes(2); // another description, another run
    const before = tf.memory().numTensors;
    for (const r of [first, second, third]) r.model.dispose();
    expect(tf.memory().numTensors).toBeLessThan(before);
  });

  it('rejects a name that cannot be a file name', async () => {
    await expect(sharedTraining('../x', {}, () => trainVae(options))).rejects.toThrow(/name must be letters/);
  });
});
