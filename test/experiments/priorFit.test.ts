import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { Vae } from '../../src/models/vae';
import {
  AggregatePosterior, aggregatePosterior, aggregatePosteriorLogDensity, aggregatePosteriorOf,
  priorFit, priorLogDensityRows,
} from '../../src/experiments/priorFit';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** A mixture given by plain arrays (rows of means and log-variances). */
function mixture(means: number[][], logVariances: number[][]): AggregatePosterior {
  return { count: means.length, latentSize: means[0].length, means: Float64Array.from(means.flat()), logVariances: Float64Array.from(logVariances.flat()) };
}

/** Independent: N(z; m, s²) in one dimension, density (not log). */
const normalPdf = (z: number, m: number, v: number): number => Math.exp(-((z - m) ** 2) / (2 * v)) / Math.sqrt(2 * Math.PI * v);

describe('aggregatePosteriorLogDensity', () => {
  it('equals the mixture density computed term by term', () => {
    const q = mixture([[0, 1], [2, -1], [-1, 0.5]], [[0, Math.log(0.25)], [Math.log(2), 0], [Math.log(0.5), Math.log(3)]]);
    const z = Float64Array.from([0.3, -0.2, 1.5, 2.5]);
    const got = aggregatePosteriorLogDensity(q, z);
    for (let i = 0; i < 2; i++) {
      let density = 0;
      for (let c = 0; c < 3; c++) {
        density += normalPdf(z[2 * i], q.means[2 * c], Math.exp(q.logVariances[2 * c]))
          * normalPdf(z[2 * i + 1], q.means[2 * c + 1], Math.exp(q.logVariances[2 * c + 1])) / 3;
      }
      expect(got[i]).toBeCloseTo(Math.log(density), 10);
    }
  });

  it('stays finite far from every component (log-sum-exp), where the density underflows', () => {
    const q = mixture([[0], [1]], [[Math.log(1e-6)], [Math.log(1e-6)]]);
    const [v] = aggregatePosteriorLogDensity(q, Float64Array.from([10]));
    // Nearest component (mean 1) dominates: log(½) + log N(10; 1, 1e-6).
    const expected = Math.log(0.5) - 0.5 * Math.log(2 * Math.PI * 1e-6) - 81 / (2e-6);
    expect(Number.isFinite(v)).toBe(true);
    expect(Math.abs(v - expected) / Math.abs(expected)).toBeLessThan(1e-12);
  });

  it('accepts a tensor and leaves no tensors behind', () => {
    const q = mixture([[0, 0]], [[0, 0]]);
    const before = tf.memory().numTensors;
    const z = tf.tensor2d([[0.5, -1]]);
    const [v] = aggregatePosteriorLogDensity(q, z);
    z.dispose();
    expect(v).toBeCloseTo(-Math.log(2 * Math.PI) - 0.5 * (0.25 + 1), 6);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects mismatched shapes with a message naming the argument', () => {
    const q = mixture([[0, 0]], [[0, 0]]);
    expect(() => aggregatePosteriorLogDensity(q, Float64Array.from([1, 2, 3]))).toThrow(/aggregatePosteriorLogDensity: z/);
    expect(() => aggregatePosteriorLogDensity({ ...q, count: 2 }, Float64Array.from([1, 2]))).toThrow(/aggregate.means/);
  });
});

describe('priorFit', () => {
  it('gives KL = 0 both ways when every component is the prior', () => {
    const q = mixture([[0, 0], [0, 0]], [[0, 0], [0, 0]]);
    const fit = priorFit(q, new Random(1), { samples: 200 });
    expect(Math.abs(fit.klAggregateToPrior.mean)).toBeLessThan(1e-9);
    expect(Math.abs(fit.klPriorToAggregate.mean)).toBeLessThan(1e-9);
    expect(Math.abs(fit.momentMatchedKl)).toBeLessThan(1e-12);
  });

  it('matches the closed-form Gaussian KL in both directions for identical components', () => {
    const m = 0.7, v = 0.3;
    const q = mixture([[m, -m], [m, -m], [m, -m]], [[Math.log(v), Math.log(v)], [Math.log(v), Math.log(v)], [Math.log(v), Math.log(v)]]);
    const fit = priorFit(q, new Random(2), { samples: 4000 });
    const klQP = 2 * 0.5 * (v + m * m - 1 - Math.log(v));
    const klPQ = 2 * 0.5 * (1 / v + (m * m) / v - 1 + Math.log(v));
    expect(Math.abs(fit.klAggregateToPrior.mean - klQP)).toBeLessThan(4 * fit.klAggregateToPrior.standardError);
    expect(Math.abs(fit.klPriorToAggregate.mean - klPQ)).toBeLessThan(4 * fit.klPriorToAggregate.standardError);
    expect(fit.momentMatchedKl).toBeCloseTo(klQP, 10);
  });

  it('moment-matched KL of a two-point mixture: closed form, and below the Monte Carlo KL(q ‖ p)', () => {
    const a = 2, v = 0.04;
    const q = mixture([[a], [-a]], [[Math.log(v)], [Math.log(v)]]);
    const s2 = a * a + v; // mixture variance; mean 0
    const fit = priorFit(q, new Random(3), { samples: 4000 });
    expect(fit.momentMatchedKl).toBeCloseTo(0.5 * (s2 - 1 - Math.log(s2)), 12);
    // Exact here: log q ≈ log(½ N(z; ±a, v)) on the mixture's own samples (components far apart).
    const exact = -Math.log(2) - 0.5 * Math.log(v) - 0.5 + 0.5 * (a * a + v); // E[log q − log p]
    expect(Math.abs(fit.klAggregateToPrior.mean - exact)).toBeLessThan(4 * fit.klAggregateToPrior.standardError + 1e-6);
    expect(fit.momentMatchedKl).toBeLessThan(fit.klAggregateToPrior.mean);
  });

  it('priorLogDensityRows is log N(z; 0, I)', () => {
    const [v] = priorLogDensityRows(Float64Array.from([1, 2]), 2);
    expect(v).toBeCloseTo(Math.log(normalPdf(1, 0, 1) * normalPdf(2, 0, 1)), 12);
  });

  it('rejects bad options', () => {
    const q = mixture([[0]], [[0]]);
    expect(() => priorFit(q, new Random(1), { samples: 1 })).toThrow(/priorFit: options.samples/);
    expect(() => priorFit(q, {} as Random)).toThrow(/priorFit: random/);
  });
});

describe('aggregatePosterior / aggregatePosteriorOf', () => {
  it('copy the encoder outputs of a model, batch by batch, without leaking', () => {
    const vae = new Vae({ inputSize: 6, latentSize: 2, hiddenSizes: [5] }, new Random(4));
    const values = new Random(5).uniforms(7 * 6);
    const before = tf.memory().numTensors;
    const agg = aggregatePosteriorOf(vae, { values, count: 7, features: 6 }, 3);
    expect(tf.memory().numTensors).toBe(before);
    const x = tf.tensor2d(values, [7, 6]);
    const q = vae.encode(x);
    const direct = aggregatePosterior(q);
    expect(Array.from(agg.means)).toEqual(Array.from(direct.means));
    expect(Array.from(agg.logVariances)).toEqual(Array.from(direct.logVariances));
    tf.dispose([x, q.mean, q.logVariance]);
    vae.dispose();
    expect(() => aggregatePosteriorOf(vae, { values, count: 7, features: 5 } as never)).toThrow(/aggregatePosteriorOf/);
  });
});
