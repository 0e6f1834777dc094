import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { LinearGaussianModel } from '../../src/exact/linearGaussian';
import { quadrature2d } from '../../src/exact/quadrature2d';
import {
  AGE_OF_UNIVERSE_SECONDS, countingDecoder, formatDuration, gridCost, gridPointCount, timeDecoderEvaluations,
} from '../../src/experiments/intractability';

beforeAll(async () => { await tf.setBackend('cpu'); await tf.ready(); });

const random = new Random(5);
const model = LinearGaussianModel.random(random, 4, 2, { logVariance: Math.log(0.5) });
const x = Array.from(model.sample(random, 1));

describe('countingDecoder', () => {
  it('counts the z rows of every call and returns the inner values', () => {
    const inner = model.asGenerativeModel();
    const counter = countingDecoder(inner);
    expect(counter.decoder.latentSize).toBe(2);
    const before = tf.memory().numTensors;
    for (const rows of [5, 3]) {
      const xs = tf.tensor2d(Array.from({ length: rows }, () => x));
      const z = tf.tensor2d(random.normals(rows * 2), [rows, 2]);
      const a = counter.decoder.logLikelihood(xs, z);
      const b = inner.logLikelihood(xs, z);
      expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
      tf.dispose([xs, z, a, b]);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(counter.evaluations()).toBe(8);
    counter.reset();
    expect(counter.evaluations()).toBe(0);
  });

  it('sees exactly points² evaluations for a quadrature on a fixed box (no pilot, no q)', () => {
    const counter = countingDecoder(model.asGenerativeModel());
    quadrature2d(counter.decoder, x, { extent: [[-4, 4], [-4, 4]], pointsPerAxis: 31 });
    expect(counter.evaluations()).toBe(31 * 31);
  });

  it('rejects what is not a decoder', () => {
    expect(() => countingDecoder({} as never)).toThrow(/countingDecoder: decoder/);
  });
});

describe('grid counts and costs', () => {
  it('n^d nodes', () => {
    expect(gridPointCount(151, 2)).toBe(22801);
    expect(gridPointCount(10, 20)).toBe(1e20);
    expect(Math.abs(gridPointCount(151, 20) / 3.7978599519566e43 - 1)).toBeLessThan(1e-12);
    expect(() => gridPointCount(0, 2)).toThrow(/gridPointCount: pointsPerAxis/);
    expect(() => gridPointCount(10, 1.5)).toThrow(/gridPointCount: latentSize/);
  });

  it('time = count × seconds per evaluation, in words', () => {
    const c = gridCost(3, 10, 2e-5);
    expect(c.evaluations).toBe(1000);
    expect(c.seconds).toBeCloseTo(0.02, 15);
    expect(c.readable).toBe('20 ms');
    expect(gridCost(20, 151, 2e-5).seconds).toBeGreaterThan(AGE_OF_UNIVERSE_SECONDS);
    expect(() => gridCost(2, 10, -1)).toThrow(/gridCost: secondsPerEvaluation/);
  });

  it('formatDuration picks the unit and avoids exponents below 10⁴ years', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(2.5e-6)).toBe('2.5 µs');
    expect(formatDuration(0.81)).toBe('810 ms');
    expect(formatDuration(7.7)).toBe('7.7 s');
    expect(formatDuration(90)).toBe('1.5 min');
    expect(formatDuration(7200)).toBe('2 h');
    expect(formatDuration(86400 * 32)).toBe('32 days');
    expect(formatDuration(365.25 * 86400 * 300)).toBe('300 years');
    expect(formatDuration(365.25 * 86400 * 2.6e31)).toBe('2.6e+31 years');
    expect(() => formatDuration(-1)).toThrow(/formatDuration: seconds/);
  });
});

describe('timeDecoderEvaluations', () => {
  it('reports a positive finite time per row and leaves no tensors', () => {
    const before = tf.memory().numTensors;
    const t = timeDecoderEvaluations(model.asGenerativeModel(), x, new Random(1), 64, 3);
    expect(tf.memory().numTensors).toBe(before);
    expect(t.latentSize).toBe(2);
    expect(t.rows).toBe(64);
    expect(t.repeats).toBe(3);
    expect(Number.isFinite(t.secondsPerEvaluation)).toBe(true);
    expect(t.secondsPerEvaluation).toBeGreaterThan(0);
  });

  it('validates its arguments', () => {
    expect(() => timeDecoderEvaluations(model.asGenerativeModel(), x, new Random(1), 0)).toThrow(/timeDecoderEvaluations: rows/);
    expect(() => timeDecoderEvaluations(model.asGenerativeModel(), [], new Random(1))).toThrow(/timeDecoderEvaluations: x/);
    expect(() => timeDecoderEvaluations(model.asGenerativeModel(), x, {} as Random)).toThrow(/timeDecoderEvaluations: random/);
  });
});
