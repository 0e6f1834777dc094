import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  claimSpecs, float32KlRoundingBound, klAt, klByQuadrature, klCurves, klCurvesFigure, klRouteComparisons, klSigns, largestQuadratureError,
  nonnegativeText, routeComparisonText, routesAgree, zeroOnlyAtPrior, zeroOnlyAtPriorText,
} from '../../src/course/00-start-here';

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

describe('klRouteComparisons, their tolerance, and klAt', () => {
  let curves: ReturnType<typeof klCurves>;
  beforeAll(() => {
    curves = klCurves(means, [0.5, 1]);
  });

  it('float32KlRoundingBound is 8·2⁻²⁴·(1 + |log σ²| + μ² + σ²), and bounds the float32 error of src/ at every grid point', () => {
    expect(float32KlRoundingBound(3, 2)).toBeCloseTo(8 * 2 ** -24 * (1 + Math.log(4) + 9 + 4), 18);
    expect(float32KlRoundingBound(0, 1, 1)).toBe(2 * 2 ** -24);
    for (const { sigma, kl } of curves) means.forEach((mu, i) => expect(Math.abs(kl[i] - closedForm(mu, sigma))).toBeLessThanOrEqual(float32KlRoundingBound(mu, sigma)));
    expect(() => float32KlRoundingBound(0, -1)).toThrow(/float32KlRoundingBound: sigma/);
  });

  it('compares src/ with the quadrature at the chosen points, each with its stated tolerance, and sees an error planted in a curve', () => {
    const indices = [0, 60, 120];
    const rows = klRouteComparisons(curves, indices);
    expect(rows).toHaveLength(6);
    for (const r of rows) {
      expect(r.quadrature).toBe(klByQuadrature(r.mean, r.sigma));
      expect(r.difference).toBe(r.src - r.quadrature);
      expect(r.tolerance).toBeGreaterThanOrEqual(float32KlRoundingBound(r.mean, r.sigma));
      expect(r.tolerance).toBeLessThan(float32KlRoundingBound(r.mean, r.sigma) + 1e-9); // the quadrature's error estimate is tiny
    }
    expect(routesAgree(rows)).toBe(true);
    expect(largestQuadratureError(rows)).toBe(Math.max(...rows.map((r) => Math.abs(r.difference))));
    expect(routeComparisonText(rows)).toMatch(/^largest \|src\/ − quadrature\| = \d\.\d\de-\d+ nats at μ = .* over 6 points: /);
    // an error of 1e-5 at the prior (tolerance there ≈ 1e-6) is caught; the same error elsewhere on the grid is not looked at
    const planted = curves.map((c) => ({ ...c, kl: c.kl.slice() }));
    planted[1].kl[60] += 1e-5;
    expect(routesAgree(klRouteComparisons(planted, indices))).toBe(false);
    expect(routesAgree(klRouteComparisons(planted, [0, 120]))).toBe(true);
    expect(() => klRouteComparisons(curves, [121])).toThrow(/indices\[\] must be an integer in \[0, 120\]/);
    expect(() => largestQuadratureError([])).toThrow(/largestQuadratureError: comparisons/);
  });

  it('klAt reads the curve of one width at one grid mean', () => {
    expect(klAt(curves, 0, 1)).toBe(curves[1].kl[60]);
    expect(klAt(curves, 0, 1)).toBeCloseTo(0, 6);
    expect(klAt(curves, -3, 0.5)).toBeCloseTo(closedForm(-3, 0.5), 4);
    expect(() => klAt(curves, 0, 2)).toThrow(/klAt: no curve has σ = 2 \(curves: 0.5, 1\)/);
    expect(() => klAt(curves, 0.01, 1)).toThrow(/klAt: the grid of means has no point at μ = 0.01/);
  });
});

describe('klSigns: where the KL term is zero, and that it is nowhere negative', () => {
  it('finds the prior, the smallest value and the smallest value elsewhere', () => {
    const curves = klCurves(means, [0.5, 1, 2]);
    const signs = klSigns(curves);
    expect(signs.points).toBe(3 * 121);
    expect(signs.atPrior.kl).toBe(curves[1].kl[60]);
    expect(signs.smallest.sigma).toBe(1);
    expect(Math.abs(signs.smallest.mean)).toBeLessThan(1e-9);
    // next to the prior: μ = ±0.05, σ = 1, KL = 0.05²/2
    expect(signs.smallestElsewhere.sigma).toBe(1);
    expect(Math.abs(signs.smallestElsewhere.mean)).toBeCloseTo(0.05, 12);
    expect(signs.smallestElsewhere.kl).toBeCloseTo(0.00125, 6);
    expect(zeroOnlyAtPrior(signs)).toBe(true);
    expect(nonnegativeText(signs)).toMatch(/over 363 points/);
    expect(zeroOnlyAtPriorText(signs)).toMatch(/^at μ = 0, σ = 1: KL = /);
  });

  it('fails a KL that is negative somewhere, or zero away from the prior, or nonzero at the prior', () => {
    const curves = klCurves(means, [1, 2]);
    const negative = curves.map((c) => ({ ...c, kl: c.kl.slice() }));
    negative[1].kl[10] = -1e-4;
    const s = klSigns(negative);
    expect(s.smallest.kl + s.smallest.bound).toBeLessThan(0);
    const zeroElsewhere = curves.map((c) => ({ ...c, kl: c.kl.slice() }));
    zeroElsewhere[1].kl[10] = 0;
    expect(zeroOnlyAtPrior(klSigns(zeroElsewhere))).toBe(false);
    const offAtPrior = curves.map((c) => ({ ...c, kl: c.kl.slice() }));
    offAtPrior[0].kl[60] = 1e-3;
    expect(zeroOnlyAtPrior(klSigns(offAtPrior))).toBe(false);
    expect(() => klSigns(klCurves(means, [2]))).toThrow(/klSigns: the curves must include σ = 1/);
  });
});

describe('claimSpecs', () => {
  it('every claim names its two routes', () => {
    for (const spec of Object.values(claimSpecs)) expect(spec.routes).toMatch(/^A: .+ \/ B: .+/);
    expect(new Set(Object.values(claimSpecs).map((s) => s.id)).size).toBe(4);
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
