import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { LinearGaussianModel } from '../../src/exact/linearGaussian';
import {
  adaptiveCubature2d, elboByCubature, klToPosteriorByCubature, logLikelihoodAtPoints, logMarginalByCubature,
} from '../../src/exact/adaptiveCubature2d';
import { useBackend } from '../distributions/testUtils';
import { mlpDecoder, reference64 } from './mlpDecoder';

beforeAll(async () => { await useBackend('cpu'); });

/** float32 evaluation of log p(x|z) adds a few 1e-7 relative. */
const f32Slack = (v: number): number => 2e-6 * Math.max(1, Math.abs(v));

/** f at the points, given as a function of (z0, z1). */
const pointwise = (f: (a: number, b: number) => number) => (p: Float64Array): Float64Array =>
  Float64Array.from({ length: p.length / 2 }, (_, k) => f(p[2 * k], p[2 * k + 1]));

/** The positive 4-point Gauss–Legendre nodes, from the closed form √(3/7 ∓ (2/7)√(6/5)): inner, outer. */
const [T_INNER, T_OUTER] = [Math.sqrt(3 / 7 - (2 / 7) * Math.sqrt(6 / 5)), Math.sqrt(3 / 7 + (2 / 7) * Math.sqrt(6 / 5))];

/** The message adaptiveCubature2d throws on [[0, 1], [0, 1]] with one cell. */
function adaptiveCubature2dError(f: (p: Float64Array) => Float64Array): string {
  try {
    adaptiveCubature2d(f, [[0, 1], [0, 1]], { absoluteTolerance: 1, initialCells: 1 });
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('adaptiveCubature2d did not throw');
}

/** A decoder with a 2-D latent whose log p(x|z) is f(z0, z1), whatever x, in tfjs (float32). */
function decoderOf(f: (z0: tf.Tensor1D, z1: tf.Tensor1D) => tf.Tensor1D) {
  return {
    latentSize: 2,
    logLikelihood: (_x: tf.Tensor2D, z: tf.Tensor2D): tf.Tensor1D => tf.tidy(() => {
      const [z0, z1] = tf.unstack(z, 1) as [tf.Tensor1D, tf.Tensor1D];
      return f(z0, z1);
    }),
  };
}

describe('adaptiveCubature2d', () => {
  it('integrates a polynomial of degree 7 per axis exactly in the first round (error estimate 0)', () => {
    // ∫_{-1}^{2} ∫_{0}^{1} (x⁷ y⁶ + 3x²y + 1) dy dx = (2⁸ − 1)/8 · 1/7 + 3 · 3 · ½ + 3
    const r = adaptiveCubature2d(pointwise((x, y) => x ** 7 * y ** 6 + 3 * x * x * y + 1), [[-1, 2], [0, 1]], { absoluteTolerance: 1e-12, initialCells: 1 });
    expect(r.value).toBeCloseTo(255 / 56 + 4.5 + 3, 12);
    expect(r.errorEstimate).toBeLessThan(1e-12);
    expect(r.evaluations).toBe(80);
    expect(r.converged).toBe(true);
  });

  it('finds a narrow bump between the first nodes and meets its error estimate', () => {
    const s = 0.04, c = [0.37, -1.21];
    const bump = pointwise((x, y) => Math.exp(-0.5 * ((x - c[0]) ** 2 + (y - c[1]) ** 2) / (s * s)) / (2 * Math.PI * s * s));
    const r = adaptiveCubature2d(bump, [[-6, 6], [-6, 6]], { relativeTolerance: 1e-6 });
    expect(r.converged).toBe(true);
    expect(Math.abs(r.value - 1)).toBeLessThanOrEqual(r.errorEstimate);
    expect(Math.abs(r.value - 1)).toBeLessThan(1e-6);
    expect(r.boundaryMass).toBeLessThan(1e-12);
  });

  it('a kink (|x − 0.3|) is refined along it; a small budget stops early and says so, with an honest error estimate', () => {
    const f = pointwise((x, y) => Math.abs(x - 0.3) * Math.exp(-0.5 * (x * x + y * y)) / (2 * Math.PI));
    const fine = adaptiveCubature2d(f, [[-8, 8], [-8, 8]], { absoluteTolerance: 1e-6, maxEvaluations: 200000 });
    // E|Z − a| for Z ~ N(0,1): 2φ(a) + a(2Φ(a) − 1), a = 0.3 (Φ(0.3) = 0.6179114221889527)
    const exact = 2 * Math.exp(-0.045) / Math.sqrt(2 * Math.PI) + 0.3 * (2 * 0.6179114221889527 - 1);
    expect(fine.converged).toBe(true);
    expect(Math.abs(fine.value - exact)).toBeLessThanOrEqual(fine.errorEstimate);
    expect(Math.abs(fine.value - exact)).toBeLessThan(1e-6);
    const coarse = adaptiveCubature2d(f, [[-8, 8], [-8, 8]], { absoluteTolerance: 1e-6, maxEvaluations: 3500 });
    expect(coarse.converged).toBe(false);
    expect(coarse.evaluations).toBeLessThanOrEqual(3500);
    expect(Math.abs(coarse.value - exact)).toBeGreaterThan(1e-6);
    expect(Math.abs(coarse.value - exact)).toBeLessThanOrEqual(coarse.errorEstimate);
  });

  it('boundaryMass: the cells touching each side of the box, even where the cells\' sides round (box [[0.1, 1], [−0.7, 0.2]], 3 cells per axis)', () => {
    // 0.1 + 3 · (0.9 / 3) is 0.9999999999999999 and −0.7 + 3 · (0.9 / 3) is 0.19999999999999996 in float64:
    // the last cells must end at the box's own sides. f = 1: 9 cells of 0.09, 8 of them on the edge
    // (each middle one on one side only).
    const r = adaptiveCubature2d(pointwise(() => 1), [[0.1, 1], [-0.7, 0.2]], { absoluteTolerance: 1, initialCells: 3 });
    expect(r.cells).toBe(9);
    expect(r.value).toBeCloseTo(0.81, 14);
    expect(r.boundaryMass).toBeCloseTo(0.72, 14);
    // Mass on one side only: the middle cell of each side is the only one that side adds.
    const middle0 = (x: number): boolean => x > 0.4 && x < 0.7;
    const middle1 = (y: number): boolean => y > -0.4 && y < -0.1;
    for (const [side, inCell] of [
      ['low z0', (x: number, y: number) => x < 0.4 && middle1(y)], ['high z0', (x: number, y: number) => x > 0.7 && middle1(y)],
      ['low z1', (x: number, y: number) => y < -0.4 && middle0(x)], ['high z1', (x: number, y: number) => y > -0.1 && middle0(x)],
    ] as const) {
      const g = adaptiveCubature2d(pointwise((x, y) => (inCell(x, y) ? 1 : 0)), [[0.1, 1], [-0.7, 0.2]], { absoluteTolerance: 1, initialCells: 3 });
      expect(g.boundaryMass, side).toBeCloseTo(0.09, 14);
    }
  });

  it('stops at the tolerance when the error is exactly 0 (a zero integrand, relative tolerance), and spends the budget to the last evaluation', () => {
    const zero = adaptiveCubature2d(pointwise(() => 0), [[0, 1], [0, 1]], { relativeTolerance: 1e-6, initialCells: 1 });
    expect(zero).toMatchObject({ value: 0, errorEstimate: 0, evaluations: 80, cells: 1, converged: true });
    // 80 evaluations for the first round, 256 to split one cell: a budget of 336 splits exactly one.
    const kink = pointwise((x) => Math.abs(x - 0.3));
    const r = adaptiveCubature2d(kink, [[0, 1], [0, 1]], { absoluteTolerance: 1e-12, initialCells: 1, maxEvaluations: 336 });
    expect(r).toMatchObject({ evaluations: 336, cells: 4, converged: false });
    expect(adaptiveCubature2d(kink, [[0, 1], [0, 1]], { absoluteTolerance: 1e-12, initialCells: 1, maxEvaluations: 335 })).toMatchObject({ evaluations: 80, cells: 1 });
  });

  it('validates its arguments', () => {
    const f = pointwise(() => 1);
    expect(() => adaptiveCubature2d(null as never, [[0, 1], [0, 1]], { absoluteTolerance: 1 })).toThrow(/integrand must be a function of the points/);
    for (const box of [null, [[0, 1]], [[0, 1], [0, 1], [0, 1]], [[0, 1], 5], [[0, 1], [0, 1, 2]], [[0, '1'], [0, 1]], [[0, Infinity], [0, 1]], [[0, 1], [1, 1]]]) {
      expect(() => adaptiveCubature2d(f, box as never, { absoluteTolerance: 1 }), JSON.stringify(box)).toThrow(/box must be \[\[lo0, hi0\], \[lo1, hi1\]\] with finite lo < hi/);
    }
    // The first node where f is not finite, by its coordinates: x > 0.9 and y > 0.6 first holds at the
    // coarse rule's node (0.5 + 0.5 t_outer, 0.5 + 0.5 t_inner).
    const message = adaptiveCubature2dError(pointwise((x, y) => (x > 0.9 && y > 0.6 ? NaN : 1)));
    const [a, b] = (message.match(/at \(([^,]+), ([^)]+)\)/) ?? []).slice(1).map(Number);
    expect(message).toMatch(/integrand returned NaN at/);
    expect(a).toBeCloseTo(0.5 + 0.5 * T_OUTER, 14);
    expect(b).toBeCloseTo(0.5 + 0.5 * T_INNER, 14);
    expect(() => adaptiveCubature2d(f, [[1, 0], [0, 1]], { absoluteTolerance: 1 })).toThrow(/box must be/);
    expect(() => adaptiveCubature2d(f, [[0, 1], [0, 1]], {})).toThrow(/absoluteTolerance or options.relativeTolerance/);
    expect(() => adaptiveCubature2d(() => new Float64Array(3), [[0, 1], [0, 1]], { absoluteTolerance: 1, initialCells: 1 })).toThrow(/Float64Array of 80 values/);
    expect(() => adaptiveCubature2d(pointwise(() => NaN), [[0, 1], [0, 1]], { absoluteTolerance: 1 })).toThrow(/returned NaN/);
  });
});

describe('the cubature route on the linear-Gaussian model (closed forms)', () => {
  const r = new Random(5);
  const m = LinearGaussianModel.random(r, 30, 2, { logVariance: Math.log(0.3), scale: 0.8 });
  const x = Float32Array.from(m.sample(r, 1));
  const post = m.posterior(x);
  const decoder = m.asGenerativeModel();

  it('log p(x) matches Woodbury within the stated error; no tensor is left', () => {
    const before = tf.memory().numTensors;
    const res = logMarginalByCubature(decoder, x);
    expect(tf.memory().numTensors).toBe(before);
    const exact = m.logMarginal(x);
    expect(res.converged).toBe(true);
    expect(res.errorEstimate.total).toBeLessThan(1e-3);
    expect(Math.abs(res.logMarginal - exact)).toBeLessThan(res.errorEstimate.total + f32Slack(exact));
  });

  for (const [name, q] of [
    ['q near the posterior', { mean: [post.mean[0] + 0.1, post.mean[1]], logVariance: [post.logVariance[0], post.logVariance[1] + 0.5] }],
    ['q = the prior', { mean: [0, 0], logVariance: [0, 0] }],
    ['q narrow and off', { mean: [post.mean[0] - 0.3, post.mean[1] + 0.2], logVariance: [-6, -5] }],
  ] as const) {
    it(`${name}: the ELBO and KL(q ‖ p(z|x)) match the closed forms within the stated errors`, () => {
      const qq = { mean: [...q.mean], logVariance: [...q.logVariance] };
      const elbo = elboByCubature(decoder, x, qq);
      const exactElbo = m.elbo(x, qq).elbo;
      expect(elbo.converged).toBe(true);
      expect(Math.abs(elbo.elbo - exactElbo)).toBeLessThan(elbo.errorEstimate.total + f32Slack(exactElbo));
      const kl = klToPosteriorByCubature(decoder, x, qq);
      const exactKl = m.klToPosterior(x, qq);
      expect(Math.abs(kl.kl - exactKl)).toBeLessThan(kl.errorEstimate + f32Slack(exactElbo));
      expect(exactKl).toBeGreaterThan(0.05);
    });
  }

  it('a given log Ẑ is used as it is (computed once for a fixed decoder)', () => {
    const z = logMarginalByCubature(decoder, x);
    const q = { mean: [0.1, 0.2], logVariance: [-1, -1] };
    const shifted = klToPosteriorByCubature(decoder, x, q, { logMarginal: { ...z, logMarginal: z.logMarginal + 1 } });
    const own = klToPosteriorByCubature(decoder, x, q, { logMarginal: z });
    expect(shifted.kl - own.kl).toBeCloseTo(1, 12);
  });
});

describe('the routes built on it, against adaptiveCubature2d called directly and closed forms', () => {
  const normal2 = pointwise((a, b) => Math.exp(-0.5 * (a * a + b * b)) / (2 * Math.PI));

  it('log p(x) with p(x|z) = 1: log of the integral of the prior, the box doubled once (edge cells held 1e-4), errors as ratios to the integral, evaluations of both boxes summed', () => {
    const flat = decoderOf((z0) => tf.zerosLike(z0));
    const res = logMarginalByCubature(flat, [0, 0, 0]);
    const first = adaptiveCubature2d(normal2, [[-6, 6], [-6, 6]], { relativeTolerance: 1e-3, initialCells: 6 });
    expect(first.boundaryMass / first.value).toBeGreaterThan(1e-6);
    const second = adaptiveCubature2d(normal2, [[-12, 12], [-12, 12]], { relativeTolerance: 1e-3, initialCells: 6 });
    expect(res.box).toEqual([[-12, 12], [-12, 12]]);
    expect(res.logMarginal).toBeCloseTo(Math.log(second.value), 12);
    expect(res.errorEstimate.truncation).toBeCloseTo(second.boundaryMass / second.value, 12);
    expect(res.errorEstimate.discretization).toBeCloseTo(second.errorEstimate / second.value, 12);
    expect(res.errorEstimate.discretization).toBeGreaterThan(1e-9);
    expect(res.errorEstimate.total).toBe(res.errorEstimate.truncation + res.errorEstimate.discretization);
    expect(res.evaluations).toBe(first.evaluations + second.evaluations);
  });

  it('log p(x) for a narrow posterior: refined past the first round, with one scale for every round (the box stays)', () => {
    const r = new Random(21);
    const m = LinearGaussianModel.random(r, 10, 2, { logVariance: Math.log(0.05), scale: 0.8 });
    const x = Float32Array.from(m.sample(r, 1));
    const res = logMarginalByCubature(m.asGenerativeModel(), x, { relativeTolerance: 1e-6 });
    expect(res.box).toEqual([[-6, 6], [-6, 6]]);
    expect(res.evaluations).toBeGreaterThan(3 * 36 * 80);
    const exact = m.logMarginal(x);
    expect(Math.abs(res.logMarginal - exact)).toBeLessThan(res.errorEstimate.total + f32Slack(exact));
  });

  it('log p(x): the box is doubled at most twice, and a log p(x, z) of −∞ everywhere is refused by name', () => {
    const flat = decoderOf((z0) => tf.zerosLike(z0));
    const res = logMarginalByCubature(flat, [0], { box: [[0, 0.01], [0, 0.01]] });
    expect(res.box[0][1] - res.box[0][0]).toBeCloseTo(0.04, 14);
    expect(res.errorEstimate.truncation).toBeGreaterThan(0.5);
    expect(res.evaluations).toBe(3 * 36 * 80);
    expect(() => logMarginalByCubature(decoderOf((z0) => tf.fill(z0.shape, -Infinity) as tf.Tensor1D), [0])).toThrow(/logMarginalByCubature: log p\(x, z\) is -Infinity at best on the first round's nodes/);
  });

  it('logLikelihoodAtPoints refuses a decoder that returns anything but one value per row', () => {
    const points = Float64Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
    const x = Float32Array.from([1, 0]);
    for (const [what, out] of [
      ['[rows, 1]', (z: tf.Tensor2D) => tf.zeros([z.shape[0], 1])], ['[rows + 1]', (z: tf.Tensor2D) => tf.zeros([z.shape[0] + 1])], ['a number', () => 0],
    ] as const) {
      const bad = { latentSize: 2, logLikelihood: (_x: tf.Tensor2D, z: tf.Tensor2D) => out(z) as never };
      expect(() => logLikelihoodAtPoints(bad, x, points, 2), what).toThrow(/decoder.logLikelihood must return a \[2\] tensor, got/);
    }
  });

  // q = N(0, diag(0.5, 1.5)); p(x|z) = exp(−depth · e^{−|z − c|² / w²}): a dip of log p(x|z) at c.
  const q = { mean: [0, 0], logVariance: [Math.log(0.5), Math.log(1.5)] };
  const s2 = [0.5, 1.5];
  const dipAt = (c: [number, number], depth: number, w: number) => ({
    decoder: decoderOf((z0, z1) => tf.mul(-depth, tf.exp(tf.div(tf.neg(tf.add(tf.square(tf.sub(z0, c[0])), tf.square(tf.sub(z1, c[1])))), w * w)))),
    /** f(e) − f(0) in float64, e standardised: log p(x|z) + log N(z; 0, I) − log q(z), z = σ e. */
    deviation: (e0: number, e1: number): number => {
      const f = (a: number, b: number): number => {
        const z = [Math.sqrt(s2[0]) * a, Math.sqrt(s2[1]) * b];
        return -depth * Math.exp(-((z[0] - c[0]) ** 2 + (z[1] - c[1]) ** 2) / (w * w)) - 0.5 * (z[0] ** 2 + z[1] ** 2) + 0.5 * (a * a + b * b) + 0.5 * Math.log(s2[0] * s2[1]);
      };
      return f(e0, e1) - f(0, 0);
    },
  });
  const dip = dipAt([2, 0], 50, 1).decoder;
  // ELBO = E_q[log p(x|z)] − KL(q ‖ N(0, I)), E_q[e^{−(z0−2)²}] = e^{−4/(1+2s0²)}/√(1+2s0²), E_q[e^{−z1²}] = 1/√(1+2s1²).
  const exactElbo = -50 * Math.exp(-4 / (1 + 2 * s2[0])) / Math.sqrt((1 + 2 * s2[0]) * (1 + 2 * s2[1]))
    - 0.5 * s2.reduce((t, v) => t + v - 1 - Math.log(v), 0);
  // The first round's nodes on [−6, 6]² (4 × 4 cells of 3): each cell's own 4 × 4 Gauss–Legendre nodes and its quarters'.
  const nodes = (lo: number, hi: number): number[] => [-T_OUTER, -T_INNER, T_INNER, T_OUTER].map((u) => 0.5 * (lo + hi) + 0.5 * (hi - lo) * u);
  /** The largest |f − f(μ)| over the first round's nodes in the outermost unit strip (max |e_i| ≥ 5), and over the others. */
  const largestDeviations = (deviation: (e0: number, e1: number) => number): { edge: number; inside: number } => {
    let edge = 0;
    let inside = 0;
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        const [a, b] = [-6 + 3 * i, -6 + 3 * j];
        const rects = [[a, a + 3, b, b + 3], [a, a + 1.5, b, b + 1.5], [a, a + 1.5, b + 1.5, b + 3], [a + 1.5, a + 3, b, b + 1.5], [a + 1.5, a + 3, b + 1.5, b + 3]];
        for (const [l0, h0, l1, h1] of rects) {
          for (const u of nodes(l0, h0)) {
            for (const v of nodes(l1, h1)) {
              const d = Math.abs(deviation(u, v));
              if (Math.max(Math.abs(u), Math.abs(v)) >= 5) edge = Math.max(edge, d); else inside = Math.max(inside, d);
            }
          }
        }
      }
    }
    return { edge, inside };
  };
  // Two dips: inside the box (its ≈ 50 must not count), and a narrow one on the strip node (0.208, 5.010)
  // of the coarse rule of the cell [0, 3] × [3, 6], whose neighbour in that rule, (0.208, 3.990), is not in the strip.
  const stripNode: [number, number] = [1.5 - 1.5 * T_OUTER, 4.5 + 1.5 * T_INNER];
  for (const [name, model, edgeWins] of [
    ['a dip inside the box', dipAt([2, 0], 50, 1), false],
    ['a narrow dip on a strip node', dipAt([Math.sqrt(s2[0]) * stripNode[0], Math.sqrt(s2[1]) * stripNode[1]], 500, 0.05), true],
  ] as const) {
    it(`the ELBO, ${name}: one round on 4 × 4 cells of [−6, 6]²; truncation = 2 · 4φ(6)/6 · the largest |f − f(μ)| on the nodes of the outermost unit strip`, () => {
      const res = elboByCubature(model.decoder, [0], q, { absoluteTolerance: 1e3 });
      expect(res.evaluations).toBe(16 * 80 + 1);
      const { edge, inside } = largestDeviations(model.deviation);
      if (edgeWins) expect(edge).toBeGreaterThan(400); else expect(inside).toBeGreaterThan(2 * edge);
      const tail = Math.exp(-18) / (6 * Math.sqrt(2 * Math.PI));
      expect(res.errorEstimate.truncation / (8 * tail * edge)).toBeCloseTo(1, 5);
      expect(res.errorEstimate.total).toBe(res.errorEstimate.discretization + res.errorEstimate.truncation);
    });
  }

  it('the ELBO matches its closed form within the stated error; without a tolerance it can meet, it stops within the 20,000-evaluation default', () => {
    const res = elboByCubature(dip, [0], q);
    expect(res.converged).toBe(true);
    expect(Math.abs(res.elbo - exactElbo)).toBeLessThan(res.errorEstimate.total + f32Slack(exactElbo));
    const capped = elboByCubature(dip, [0], q, { absoluteTolerance: 1e-300 });
    expect(capped.converged).toBe(false);
    expect(capped.evaluations).toBeLessThanOrEqual(20001);
    expect(capped.evaluations).toBeGreaterThan(20001 - 256);
  });
});

describe('the cubature route on a nonlinear decoder (float64 reference)', () => {
  const dec = mlpDecoder(7);
  const x = dec.sampleX(new Random(8), [0.8, -0.5]);
  const q = { mean: [0.6, -0.3], logVariance: [-1.5, -1.2] };
  const ref = reference64(dec, x, q);

  it('log p(x) and the ELBO match the fine float64 midpoint sums', () => {
    const z = logMarginalByCubature(dec, x);
    expect(Math.abs(z.logMarginal - ref.logPx)).toBeLessThan(z.errorEstimate.total + f32Slack(ref.logPx) + 1e-5);
    const e = elboByCubature(dec, x, q);
    expect(Math.abs(e.elbo - ref.elbo)).toBeLessThan(e.errorEstimate.total + f32Slack(ref.elbo) + 1e-5);
  });

  it('doubles the box when the posterior reaches its edge', () => {
    const z = logMarginalByCubature(dec, x, { box: [[0.5, 1.5], [-1, 0]] });
    expect(z.box[0][1] - z.box[0][0]).toBeGreaterThan(1);
    expect(Math.abs(z.logMarginal - ref.logPx)).toBeLessThan(z.errorEstimate.total + f32Slack(ref.logPx) + 1e-5);
  });

  it('logLikelihoodAtPoints evaluates the decoder at the points, in chunks', () => {
    const points = Float64Array.from([0.1, -0.2, 1.3, 0.4, -2, 0.5]);
    const ll = logLikelihoodAtPoints(dec, Float32Array.from(x), points, 2);
    [[0.1, -0.2], [1.3, 0.4], [-2, 0.5]].forEach((z, k) => expect(ll[k]).toBeCloseTo(dec.logLikelihood64(x, z as [number, number]), 4));
    expect(() => logMarginalByCubature(mlpDecoder(1, 12, 4, 3), x)).toThrow(/latentSize must be 2/);
  });
});
