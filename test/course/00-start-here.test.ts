import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { klAt, klByQuadrature, klCurves, klCurvesFigure, largestQuadratureError } from '../../src/course/00-start-here';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** KL(N(μ, σ²) ‖ N(0, 1)) in float64, written out here: the reference for both routes. */
const closedForm = (mean: number, sigma: number) => -0.5 * (1 + Math.log(sigma * sigma) - mean * mean - sigma * sigma);

const means = Array.from({ length: 121 }, (_, i) => -3 + i * 0.05);

describe('klCurves: the KL term by src/ over a grid of means, one curve per width', () => {
  it('matches the closed form at every grid point (float32) and leaves no tensor', () => {
    const before = tf.memory().numTensors;
    const curves = klCurves(means, [0.25, 1, 2]);
    expect(tf.memory().numTensors).toBe(before);
    expect(curves.map((c) => c.sigma)).toEqual([0.25, 1, 2]);
    for (const { sigma, means: m, kl } of curves) {
      expect(m).toBe(means);
      expect(kl).toHaveLength(means.length);
      means.forEach((mu, i) => expect(kl[i]).toBeCloseTo(closedForm(mu, sigma), 4));
    }
  });

  it('checks its arguments', () => {
    expect(() => klCurves([], [1])).toThrow(/klCurves: means must hold at least one mean/);
    expect(() => klCurves([0], [1, 0])).toThrow(/klCurves: sigmas\[1\] must be a finite number > 0/);
    expect(() => klCurves([0, NaN], [1])).toThrow(/klCurves: means must contain finite numbers/);
  });
});

describe('klByQuadrature: the integral of q·log(q/p) by the midpoint rule in float64', () => {
  it('agrees with the closed form to 1e-8 for narrow, wide and shifted encoders', () => {
    for (const [mu, sigma] of [[0, 1], [1.3, 0.4], [-2.5, 2], [3, 0.25]]) {
      expect(Math.abs(klByQuadrature(mu, sigma) - closedForm(mu, sigma))).toBeLessThan(1e-8);
    }
  });

  it('is a quadrature: a coarse grid misses the closed form', () => {
    expect(Math.abs(klByQuadrature(1.3, 0.4, 8) - closedForm(1.3, 0.4))).toBeGreaterThan(1e-3);
  });

  it('checks its arguments', () => {
    expect(() => klByQuadrature(0, 0)).toThrow(/klByQuadrature: sigma must be a finite number > 0/);
    expect(() => klByQuadrature(0, 1, 0.5)).toThrow(/klByQuadrature: steps must be an integer >= 1/);
  });
});

describe('largestQuadratureError and klAt', () => {
  let curves: ReturnType<typeof klCurves>;
  beforeAll(() => {
    curves = klCurves(means, [0.5, 1]);
  });

  it('is the largest |src/ − quadrature| at the chosen points, and sees an error planted in a curve', () => {
    const indices = [0, 60, 120];
    const expected = Math.max(...curves.flatMap(({ sigma, kl }) => indices.map((i) => Math.abs(kl[i] - klByQuadrature(means[i], sigma)))));
    expect(largestQuadratureError(curves, indices)).toBe(expected);
    expect(expected).toBeLessThan(1e-4);
    const planted = curves.map((c) => ({ ...c, kl: c.kl.slice() }));
    planted[1].kl[60] += 0.01;
    expect(largestQuadratureError(planted, indices)).toBeCloseTo(0.01, 4);
    expect(largestQuadratureError(planted, [0, 120])).toBeLessThan(1e-4); // the planted point not among them
    expect(() => largestQuadratureError(curves, [121])).toThrow(/indices\[\] must be an integer in \[0, 120\]/);
  });

  it('klAt reads the curve of one width at one grid mean', () => {
    expect(klAt(curves, 0, 1)).toBe(curves[1].kl[60]);
    expect(klAt(curves, 0, 1)).toBeCloseTo(0, 6);
    expect(klAt(curves, -3, 0.5)).toBeCloseTo(closedForm(-3, 0.5), 4);
    expect(() => klAt(curves, 0, 2)).toThrow(/klAt: no curve has σ = 2 \(curves: 0.5, 1\)/);
    expect(() => klAt(curves, 0.01, 1)).toThrow(/klAt: the grid of means has no point at μ = 0.01/);
  });
});

describe('klCurvesFigure', () => {
  it('draws one line per width, the KL term against the mean', () => {
    const curves = klCurves(means, [0.25, 2]);
    const figure = klCurvesFigure(curves);
    expect(figure.data).toHaveLength(2);
    const traces = figure.data as { x: number[]; y: number[]; name: string; mode: string }[];
    expect(traces.map((t) => t.name)).toEqual(['σ = 0.25', 'σ = 2']);
    expect(traces[1].x).toEqual(means);
    expect(traces[1].y).toEqual(curves[1].kl);
    expect(traces[0].mode).toBe('lines');
    expect(() => klCurvesFigure([])).toThrow(/klCurvesFigure: curves must be a non-empty array/);
  });
});
