import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { LinearGaussianModel } from '../../src/exact/linearGaussian';
import { halvedGridLogWeights, logDiagonalGaussianOnGrid, makeGrid, quadrature2d, type Box, type QuadratureResult } from '../../src/exact/quadrature2d';
import { normalUpperQuantile, normalUpperTail } from '../../src/exact/linearAlgebra';
import { estimateElbo } from '../../src/objectives/elbo';
import { importanceWeightedBound } from '../../src/objectives/iwae';
import type { GenerativeModel } from '../../src/objectives/types';
import { useBackend } from '../distributions/testUtils';
import { mlpDecoder, reference64 } from './mlpDecoder';
import { logNormal2d } from './gaussian2d';

beforeAll(async () => { await useBackend('cpu'); });

/** float32 evaluation of log p(x|z) (values ~10–200) adds a few 1e-7 relative. */
const f32Slack = (v: number): number => 2e-6 * Math.max(1, Math.abs(v));

function expectNoTensorLeak<T>(f: () => T): T {
  const before = tf.memory().numTensors;
  const out = f();
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

describe('2-D quadrature on the linear-Gaussian model', () => {
  it('log p(x), posterior moments and KL(q ‖ p(z|x)) match the closed forms within the stated error', () => {
    for (const seed of [1, 2]) {
      const r = new Random(seed);
      const m = LinearGaussianModel.random(r, 5, 2, { logVariance: Math.log(0.5) });
      const x = Array.from(m.sample(r, 1));
      const q = { mean: [0.3, -0.2], logVariance: [-1, -0.6] };
      const res = expectNoTensorLeak(() => quadrature2d(m.asGenerativeModel(), x, { q, epsilon: 1e-7 }));
      const exact = m.logMarginal(Array.from(Float32Array.from(x)));
      expect(res.errorEstimate.total).toBeLessThan(1e-5);
      expect(Math.abs(res.logMarginal - exact)).toBeLessThan(res.errorEstimate.total + f32Slack(exact));
      const post = m.posterior(Float32Array.from(x));
      for (let j = 0; j < 2; j++) expect(Math.abs(res.posteriorMean[j] - post.mean[j])).toBeLessThan(1e-5);
      for (let k = 0; k < 4; k++) expect(Math.abs(res.posteriorCovariance[k] - post.covariance[k])).toBeLessThan(1e-5);
      const g = res.q!;
      const klExact = m.klToPosterior(Float32Array.from(x), q);
      const e = m.elbo(Float32Array.from(x), q);
      expect(Math.abs(g.klToPosterior - klExact)).toBeLessThan(g.discretizationError.klToPosterior + g.truncationError + f32Slack(e.elbo));
      expect(Math.abs(g.reconstruction - e.reconstruction)).toBeLessThan(1e-5 * Math.abs(e.reconstruction));
      expect(g.entropy).toBeCloseTo(e.entropy, 5);
      expect(g.massOnGrid).toBeGreaterThan(1 - 1e-6);
      // The posterior on the grid is a normalised density.
      const tau = res.grid.logWeights;
      expect(res.logPosterior.reduce((s, v, i) => s + Math.exp(v + tau[i]), 0)).toBeCloseTo(1, 12);
      expect(res.posteriorMass.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    }
  });

  it('adapts the box to a narrow posterior (784 pixels) and still matches the exact log p(x)', () => {
    const r = new Random(3);
    const m = LinearGaussianModel.random(r, 784, 2, { logVariance: Math.log(0.1), scale: 0.3 });
    const x = Float32Array.from(m.sample(r, 1));
    const res = quadrature2d(m.asGenerativeModel(), x, { pointsPerAxis: 81, pilotPointsPerAxis: 41 });
    const post = m.posterior(x);
    const width = res.grid.extent[0][1] - res.grid.extent[0][0];
    expect(width).toBeLessThan(3);
    expect(width).toBeGreaterThan(8 * Math.sqrt(post.covariance[0]));
    const exact = m.logMarginal(x);
    expect(Math.abs(res.logMarginal - exact)).toBeLessThan(res.errorEstimate.total + f32Slack(exact));
  });
});

describe('2-D quadrature when q and the posterior live on different scales', () => {
  const r = new Random(4);
  const m = LinearGaussianModel.random(r, 200, 2, { logVariance: Math.log(0.2), scale: 0.3 });
  const x = Float32Array.from(m.sample(r, 1));
  const post = m.posterior(x);

  for (const [name, q] of [
    ['q = prior (far wider than the posterior)', { mean: [0, 0], logVariance: [0, 0] }],
    ['q narrower than the posterior, off its mean', {
      mean: [post.mean[0] + Math.sqrt(post.covariance[0]), post.mean[1]],
      logVariance: [Math.log(post.covariance[0]) - 2, Math.log(post.covariance[3]) - 2],
    }],
  ] as const) {
    it(`${name}: ELBO, KL(q ‖ p(z|x)) and log E_q[p/q] match the closed forms`, () => {
      const qq = { mean: [...q.mean], logVariance: [...q.logVariance] };
      const res = quadrature2d(m.asGenerativeModel(), x, { q: qq, pointsPerAxis: 101, pilotPointsPerAxis: 41 });
      const g = res.q!;
      const exactElbo = m.elbo(x, qq);
      const exactKl = m.klToPosterior(x, qq);
      const logPx = m.logMarginal(x);
      expect(Math.abs(res.logMarginal - logPx)).toBeLessThan(res.errorEstimate.total + f32Slack(logPx));
      expect(Math.abs(g.elbo - exactElbo.elbo)).toBeLessThan(g.discretizationError.elbo + g.truncationError + f32Slack(exactElbo.elbo));
      expect(Math.abs(g.klToPosterior - exactKl)).toBeLessThan(g.discretizationError.klToPosterior + g.truncationError + f32Slack(exactElbo.elbo));
      expect(Math.abs(g.logExpectedRatio - logPx)).toBeLessThan(g.discretizationError.logExpectedRatio + g.posteriorMassOutsideBox + res.errorEstimate.total + f32Slack(logPx));
      expect(exactKl).toBeGreaterThan(1);
    });
  }
});

describe('2-D quadrature on a nonlinear decoder', () => {
  const dec = mlpDecoder(7);
  const x = dec.sampleX(new Random(8), [0.8, -0.5]);
  const q = { mean: [0.6, -0.3], logVariance: [-1.5, -1.2] };
  const ref = reference64(dec, x, q);

  it('converges as the grid refines on a fixed box; the halved-grid estimate bounds the actual error', () => {
    const errors: number[] = [];
    for (const n of [11, 21, 41, 81, 161]) {
      const res = quadrature2d(dec, x, { extent: [[-7, 7], [-7, 7]], pointsPerAxis: n });
      const err = Math.abs(res.logMarginal - ref.logPx);
      errors.push(err);
      if (n >= 21) expect(err).toBeLessThanOrEqual(res.errorEstimate.discretization + f32Slack(ref.logPx));
    }
    for (let i = 1; i < errors.length; i++) expect(errors[i]).toBeLessThanOrEqual(errors[i - 1] + 1e-6);
    expect(errors[0]).toBeGreaterThan(1e-3);
    expect(errors[4]).toBeLessThan(1e-4);
  });

  it('automatic extent meets the error estimate; ELBO and KL(q ‖ p(z|x)) on the grid match the float64 reference', () => {
    const res = expectNoTensorLeak(() => quadrature2d(dec, Float32Array.from(x), { q }));
    expect(Math.abs(res.logMarginal - ref.logPx)).toBeLessThan(res.errorEstimate.total + f32Slack(ref.logPx));
    const g = res.q!;
    expect(Math.abs(g.elbo - ref.elbo)).toBeLessThan(g.discretizationError.elbo + g.truncationError + 1e-4);
    expect(g.klToPosterior).toBeCloseTo(ref.logPx - ref.elbo, 3);
    expect(g.logExpectedRatio).toBeCloseTo(res.logMarginal, 4);
  });

  it('Monte Carlo ELBO and L_k agree with quadrature: gap = KL(q ‖ p(z|x)) and L_k → log p(x)', () => {
    const xt = tf.tensor2d([x]);
    const qt = { mean: tf.tensor2d([q.mean]), logVariance: tf.tensor2d([q.logVariance]) };
    const res = quadrature2d(dec, x, { q });
    const e = estimateElbo(qt, dec, xt, new Random(9), 20000);
    const gapMc = res.logMarginal - e.elbo[0];
    expect(Math.abs(gapMc - res.q!.klToPosterior)).toBeLessThan(5 * e.elboStandardError[0] + 1e-4);
    const l1 = importanceWeightedBound(qt, dec, xt, new Random(10), 1, 400);
    const l100 = importanceWeightedBound(qt, dec, xt, new Random(11), 100, 100);
    expect(l100.value[0] - l1.value[0]).toBeGreaterThan(4 * Math.hypot(l1.standardError[0], l100.standardError[0]));
    expect(l100.value[0]).toBeLessThan(res.logMarginal + 4 * l100.standardError[0]);
    expect(res.logMarginal - l100.value[0]).toBeLessThan(0.2 * res.q!.klToPosterior + 4 * l100.standardError[0]);
    tf.dispose([xt, qt.mean, qt.logVariance]);
  });
});

describe('quadrature bad input', () => {
  const dec = mlpDecoder(7);
  const x = new Array(12).fill(0);
  it('names the argument and what was expected', () => {
    expect(() => quadrature2d(mlpDecoder(1, 12, 4, 3), x)).toThrow('quadrature2d: decoder.latentSize must be 2 (quadrature is over a 2-D latent), got 3');
    expect(() => quadrature2d(dec, x, { pointsPerAxis: 1 })).toThrow(/options.pointsPerAxis must be an integer >= 2, got 1/);
    expect(() => quadrature2d(dec, x, { pilotPointsPerAxis: 1.5 })).toThrow(/options.pilotPointsPerAxis must be an integer >= 2/);
    expect(() => quadrature2d(dec, x, { epsilon: 0 })).toThrow(/options.epsilon must be a finite number in/);
    expect(() => quadrature2d(dec, x, { extent: [[1, -1], [0, 1]] })).toThrow(/options.extent must be \[\[lo0, hi0\], \[lo1, hi1\]\]/);
    expect(() => quadrature2d(dec, x, { q: { mean: [0, 0, 0], logVariance: [0, 0, 0] } })).toThrow(/options.q.mean must have length 2, got 3/);
    expect(() => quadrature2d(dec, x, { q: { mean: [0, 0], logVariance: [0, NaN] } })).toThrow(/options.q.logVariance must contain finite numbers/);
    expect(() => quadrature2d(dec, tf.zeros([2, 12]))).toThrow(/x must be one data vector \(\[D\] or \[1,D\]\), got shape \[2,12\]/);
    expect(() => quadrature2d({ latentSize: 2 } as GenerativeModel, x)).toThrow(/decoder must be a GenerativeModel/);
  });
});

// ---------------------------------------------------------------------------------------------
// Every number quadrature2d reports, replayed from the decoder's own values: a decoder that
// records the nodes it is asked for and the log p(x|z) it answers lets the test rebuild each grid
// (trapezoid weights written out as h0·h1·½·½), the pilot's doublings and the posterior box cut
// from its marginals, and each sum below with plain loops. Coarse grids keep the error estimates
// large, so that a slip in one of them shows.

const logPrior = (z: ArrayLike<number>): number => -Math.log(2 * Math.PI) - 0.5 * (z[0] ** 2 + z[1] ** 2);
const total = (v: ArrayLike<number>): number => { let s = 0; for (let i = 0; i < v.length; i++) s += v[i]; return s; };
/** |a − b| within tol relative to max(1, |b|); equal infinities and NaN against NaN pass. */
const near = (a: number, b: number, tol = 1e-10): void => {
  if (Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)) || (a === b && !Number.isFinite(a))) return;
  expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)));
};

/** A decoder whose log p(x|z) is f(z) (float64, answered in float32), recording every call. */
function recordingDecoder(f: (z0: number, z1: number) => number) {
  const calls: { z: Float32Array; ll: Float32Array }[] = [];
  return {
    calls,
    latentSize: 2,
    logLikelihood(_x: tf.Tensor2D, z: tf.Tensor2D): tf.Tensor1D {
      const zs = Float32Array.from(z.dataSync());
      const ll = Float32Array.from({ length: zs.length / 2 }, (_, r) => f(zs[2 * r], zs[2 * r + 1]));
      calls.push({ z: zs, ll });
      return tf.tensor1d(ll);
    },
  };
}

/** An n×n grid on a box: nodes (axis 0 slowest), trapezoid weights, the every-other-node grid's weights (0 off it), the ring. */
function referenceGrid(box: Box, n: number) {
  const h = [(box[0][1] - box[0][0]) / (n - 1), (box[1][1] - box[1][0]) / (n - 1)];
  let last = n - 1;
  if (last % 2 === 1) last -= 1;
  const endHalf = (i: number, end: number): number => (i === 0 || i === end ? 0.5 : 1);
  const nodes: number[][] = [];
  const tau: number[] = [];
  const halved: number[] = [];
  const ring: boolean[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    nodes.push([box[0][0] + i * h[0], box[1][0] + j * h[1]]);
    tau.push(h[0] * h[1] * endHalf(i, n - 1) * endHalf(j, n - 1));
    halved.push(i % 2 === 0 && j % 2 === 0 && i <= last && j <= last ? 4 * h[0] * h[1] * endHalf(i, last) * endHalf(j, last) : 0);
    ring.push(i === 0 || j === 0 || i === n - 1 || j === n - 1);
  }
  return { box, n, h, nodes, tau, halved, ring };
}
type ReferenceGrid = ReturnType<typeof referenceGrid>;

/** log Σ_g w_g e^{v_g} over the nodes with w_g > 0. */
function logWeightedSum(w: ArrayLike<number>, v: ArrayLike<number>): number {
  let max = -Infinity;
  for (let g = 0; g < w.length; g++) if (w[g] > 0 && v[g] > max) max = v[g];
  let s = 0;
  for (let g = 0; g < w.length; g++) if (w[g] > 0) s += w[g] * Math.exp(v[g] - max);
  return max + Math.log(s);
}

function referencePosterior(grid: ReferenceGrid, ll: ArrayLike<number>) {
  const logJoint = Array.from(ll, (v, g) => v + logPrior(grid.nodes[g]));
  const logMarginal = logWeightedSum(grid.tau, logJoint);
  const mass = logJoint.map((v, g) => grid.tau[g] * Math.exp(v - logMarginal));
  return {
    logJoint, logMarginal, mass,
    logMarginalHalved: grid.n >= 3 ? logWeightedSum(grid.halved, logJoint) : NaN,
    ringMass: total(mass.filter((_, g) => grid.ring[g])),
  };
}

// A node on a box's edge counts as inside: the reference's nodes (lo + i·h) may round past hi by an ulp.
const outside = (z: number[], box: Box): boolean => [0, 1].some((k) => {
  const slack = 1e-12 * (box[k][1] - box[k][0]);
  return z[k] < box[k][0] - slack || z[k] > box[k][1] + slack;
});
const massOutsideOf = (mass: number[], grid: ReferenceGrid, box: Box): number => total(mass.filter((_, g) => outside(grid.nodes[g], box)));

/** The posterior box along axis k: drop whole pilot rows while each tail stays ≤ ε/4, pad two cells. */
function referenceRange(grid: ReferenceGrid, mass: number[], k: 0 | 1, epsilon: number): [number, number] {
  const marginal = new Array(grid.n).fill(0);
  mass.forEach((m, g) => { marginal[k === 0 ? Math.floor(g / grid.n) : g % grid.n] += m; });
  let lo = 0;
  let tail = 0;
  while (lo < grid.n - 1 && tail + marginal[lo] <= epsilon / 4) tail += marginal[lo++];
  let hi = grid.n - 1;
  tail = 0;
  while (hi > lo && tail + marginal[hi] <= epsilon / 4) tail += marginal[hi--];
  return [grid.box[k][0] + (lo - 2) * grid.h[k], grid.box[k][0] + (hi + 2) * grid.h[k]];
}

type Q = { mean: number[]; logVariance: number[] };
const qBoxOf = (q: Q, r: number): Box => [0, 1].map((k) => {
  const s = Math.exp(0.5 * q.logVariance[k]);
  return [q.mean[k] - r * s, q.mean[k] + r * s];
}) as Box;
const unionOf = (a: Box, b: Box): Box => [0, 1].map((k) => [Math.min(a[k][0], b[k][0]), Math.max(a[k][1], b[k][1])]) as Box;
const doubled = (b: Box): Box => b.map(([lo, hi]) => [lo - 0.5 * (hi - lo), hi + 0.5 * (hi - lo)]) as Box;

/** Expectations under q with node weights w (q renormalised on them). */
function referenceQ(grid: ReferenceGrid, w: number[], q: Q, ll: ArrayLike<number>) {
  const covariance = [Math.exp(q.logVariance[0]), 0, 0, Math.exp(q.logVariance[1])];
  const logQ = grid.nodes.map((z) => logNormal2d(z, q.mean, covariance));
  const logJoint = Array.from(ll, (v, g) => v + logPrior(grid.nodes[g]));
  const qTimesW = logQ.map((v, g) => w[g] * Math.exp(v));
  const massOnGrid = total(qTimesW);
  const wq = qTimesW.map((v) => v / massOnGrid);
  let reconstruction = 0;
  let expectedLogPrior = 0;
  let entropy = 0;
  for (let g = 0; g < wq.length; g++) {
    if (wq[g] === 0) continue;
    reconstruction += wq[g] * ll[g];
    expectedLogPrior += wq[g] * logPrior(grid.nodes[g]);
    entropy -= wq[g] * logQ[g];
  }
  return {
    logQ, logJoint, massOnGrid, reconstruction, expectedLogPrior, entropy,
    elbo: reconstruction + expectedLogPrior + entropy,
    // E_q[p/q] on the nodes = Σ w p / Σ w q: q cancels node by node.
    logExpectedRatio: logWeightedSum(w, logJoint) - logWeightedSum(w, logQ),
  };
}

interface ReplayOptions { q?: Q; epsilon: number; pilotPointsPerAxis: number; pointsPerAxis: number; extent?: Box }

/**
 * Walks the decoder's calls in order (pilot grids, fine grid, q's grid, the union grid), checking
 * each call's nodes and rebuilding every reported number from the values the decoder gave.
 */
function expectReplay(calls: { z: Float32Array; ll: Float32Array }[], res: QuadratureResult, o: ReplayOptions) {
  let c = 0;
  const callOn = (grid: ReferenceGrid): Float32Array => {
    const call = calls[c++];
    expect(call, `decoder call ${c}`).toBeDefined();
    expect(call.z.length).toBe(2 * grid.n * grid.n);
    grid.nodes.forEach((z, g) => {
      for (let k = 0; k < 2; k++) expect(Math.abs(call.z[2 * g + k] - z[k])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(z[k])));
    });
    return call.ll;
  };
  const r = normalUpperQuantile(o.epsilon / 4);
  let box: Box;
  let pilotMassOutside = 0;
  let doublings = 0;
  let lastPilotRingMass = NaN;
  if (o.extent) {
    box = o.extent;
  } else {
    let pilotBox: Box = [[-r, r], [-r, r]];
    if (o.q) pilotBox = unionOf(pilotBox, qBoxOf(o.q, r));
    let pilot = referenceGrid(pilotBox, o.pilotPointsPerAxis);
    let p = referencePosterior(pilot, callOn(pilot));
    while (doublings < 4 && p.ringMass > o.epsilon) {
      pilotBox = doubled(pilotBox);
      doublings++;
      pilot = referenceGrid(pilotBox, o.pilotPointsPerAxis);
      p = referencePosterior(pilot, callOn(pilot));
    }
    lastPilotRingMass = p.ringMass;
    box = [referenceRange(pilot, p.mass, 0, o.epsilon), referenceRange(pilot, p.mass, 1, o.epsilon)];
    pilotMassOutside = massOutsideOf(p.mass, pilot, box);
  }
  const grid = referenceGrid(box, o.pointsPerAxis);
  const ll = callOn(grid);
  const post = referencePosterior(grid, ll);
  for (let k = 0; k < 2; k++) for (let e = 0; e < 2; e++) near(res.grid.extent[k][e], box[k][e], 1e-12);
  near(res.logMarginal, post.logMarginal);
  if (o.pointsPerAxis >= 3) near(res.logMarginalHalvedGrid, post.logMarginalHalved); else expect(res.logMarginalHalvedGrid).toBeNaN();
  near(res.edgeMass, post.ringMass);
  near(res.pilotMassOutside, pilotMassOutside);
  const discretization = Math.abs(post.logMarginal - post.logMarginalHalved);
  if (o.pointsPerAxis >= 3) near(res.errorEstimate.discretization, discretization);
  near(res.errorEstimate.truncation, pilotMassOutside + post.ringMass);
  expect(res.errorEstimate.total).toBe(res.errorEstimate.discretization + res.errorEstimate.truncation);
  expect(Array.from(res.logLikelihood)).toEqual(Array.from(ll));
  post.logJoint.forEach((v, g) => {
    near(res.logJoint[g], v, 1e-13);
    near(res.logPosterior[g], v - post.logMarginal);
    near(res.posteriorMass[g], post.mass[g]);
  });
  const mean = [0, 1].map((k) => total(post.mass.map((m, g) => m * grid.nodes[g][k])));
  for (let k = 0; k < 2; k++) near(res.posteriorMean[k], mean[k]);
  for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) {
    near(res.posteriorCovariance[2 * a + b], total(post.mass.map((m, g) => m * (grid.nodes[g][a] - mean[a]) * (grid.nodes[g][b] - mean[b]))));
  }
  let union = false;
  if (o.q) {
    const qGrid = o.extent ? grid : referenceGrid(qBoxOf(o.q, r), o.pointsPerAxis);
    const qll = o.extent ? ll : callOn(qGrid);
    const fine = referenceQ(qGrid, qGrid.tau, o.q, qll);
    const coarse = referenceQ(qGrid, qGrid.halved, o.q, qll);
    const g = res.q!;
    for (let k = 0; k < 2; k++) for (let e = 0; e < 2; e++) near(g.grid.extent[k][e], qGrid.box[k][e], 1e-12);
    near(g.massOnGrid, fine.massOnGrid);
    near(g.reconstruction, fine.reconstruction);
    near(g.expectedLogPrior, fine.expectedLogPrior);
    near(g.entropy, fine.entropy);
    near(g.elbo, fine.elbo);
    near(g.klToPosterior, post.logMarginal - fine.elbo);
    near(g.discretizationError.elbo, Math.abs(fine.elbo - coarse.elbo));
    near(g.discretizationError.klToPosterior, Math.abs(post.logMarginal - fine.elbo - (post.logMarginalHalved - coarse.elbo)));
    const sd = o.q.logVariance.map((v) => Math.exp(0.5 * v));
    const qOutside = Math.min(1, [0, 1].reduce((s, k) => s + normalUpperTail((o.q!.mean[k] - qGrid.box[k][0]) / sd[k]) + normalUpperTail((qGrid.box[k][1] - o.q!.mean[k]) / sd[k]), 0));
    near(g.massOutsideBox, qOutside, 1e-13);
    let edgeDeviation = 0;
    qGrid.nodes.forEach((_, n) => { if (qGrid.ring[n]) edgeDeviation = Math.max(edgeDeviation, Math.abs(fine.logJoint[n] - fine.logQ[n] - fine.elbo)); });
    near(g.truncationError, 2 * qOutside * edgeDeviation);
    fine.logQ.forEach((v, n) => { near(g.logDensity[n], v, 1e-12); near(g.logJoint[n], fine.logJoint[n], 1e-13); });
    const postOutsideQ = massOutsideOf(post.mass, grid, qGrid.box);
    union = !o.extent && postOutsideQ > o.epsilon;
    if (!union) {
      near(g.posteriorMassOutsideBox, postOutsideQ);
      near(g.logExpectedRatio, fine.logExpectedRatio);
      near(g.discretizationError.logExpectedRatio, Math.abs(fine.logExpectedRatio - coarse.logExpectedRatio));
      expect(g.ratioGridExtent).toEqual(g.grid.extent);
    } else {
      const unionGrid = referenceGrid(unionOf(qGrid.box, box), o.pointsPerAxis);
      const ull = callOn(unionGrid);
      const uFine = referenceQ(unionGrid, unionGrid.tau, o.q, ull);
      const uCoarse = referenceQ(unionGrid, unionGrid.halved, o.q, ull);
      near(g.posteriorMassOutsideBox, massOutsideOf(post.mass, grid, unionGrid.box));
      near(g.logExpectedRatio, uFine.logExpectedRatio);
      near(g.discretizationError.logExpectedRatio, Math.abs(uFine.logExpectedRatio - uCoarse.logExpectedRatio));
      for (let k = 0; k < 2; k++) for (let e = 0; e < 2; e++) near(g.ratioGridExtent[k][e], unionGrid.box[k][e], 1e-12);
    }
  } else {
    expect(res.q).toBeUndefined();
  }
  expect(c, 'every decoder call accounted for').toBe(calls.length);
  return { doublings, union, lastPilotRingMass };
}

describe('quadrature2d replayed from the decoder\'s own values', () => {
  // A correlated, off-centre, non-Gaussian log-likelihood (the quartic term), so that no sum is symmetric.
  const f = (z0: number, z1: number): number => -0.5 * ((z0 - 0.7) ** 2 / 0.4 + (z1 + 0.3) ** 2 / 0.9) + 0.25 * z0 * z1 - 0.05 * z0 ** 4;
  const q = { mean: [0.5, -0.2], logVariance: [-0.8, -0.4] };
  const extent: Box = [[-3.5, 4], [-4.2, 3.1]];
  const whole = { maxRowsPerChunk: 1e6 };

  it('on a fixed box (odd, even and two nodes per axis): log p(x), its halved-grid twin, the posterior and every E_q term', () => {
    for (const n of [9, 8, 3, 2]) {
      const dec = recordingDecoder(f);
      const res = quadrature2d(dec, [0, 1, 0], { q, extent, pointsPerAxis: n, ...whole });
      expect(dec.calls.length).toBe(1);
      expectReplay(dec.calls, res, { q, extent, epsilon: 1e-6, pilotPointsPerAxis: 61, pointsPerAxis: n });
      expect(res.q!.grid).toBe(res.grid);
    }
  });

  it('chooses the box: pilot over prior ∪ q, doubled while the ring holds more than ε, cut to the posterior; q on its own box; the ratio on the union', () => {
    // The posterior sits near the prior box's edge (doubling once or more) and far from a narrow q (the union grid).
    const g = (z0: number, z1: number): number => -0.5 * ((z0 - 2.5) ** 2 / 0.5 + (z1 - 0.5) ** 2 / 2);
    const o = { q: { mean: [-1, 0.5], logVariance: [-2, -1] }, epsilon: 1e-3, pilotPointsPerAxis: 11, pointsPerAxis: 9 };
    const dec = recordingDecoder(g);
    const res = expectNoTensorLeak(() => quadrature2d(dec, [1], { ...o, ...whole }));
    const seen = expectReplay(dec.calls, res, o);
    expect(seen.doublings).toBeGreaterThanOrEqual(1);
    expect(seen.union).toBe(true);
    // q's box reaching past the prior's along axis 0 only: the pilot box is not square, and axis 1 of q's box holds little of the posterior.
    const wide = { ...o, q: { mean: [3, -2], logVariance: [0, -2] } };
    const dec1 = recordingDecoder(g);
    const res1 = quadrature2d(dec1, [1], { ...wide, ...whole });
    expect(expectReplay(dec1.calls, res1, wide).union).toBe(true);
    expect(res1.q!.grid.extent[0][1]).toBeGreaterThan(6);
    // The same posterior with q = the prior: no union grid (q's box holds the posterior).
    const dec2 = recordingDecoder(g);
    const o2 = { ...o, q: { mean: [0, 0], logVariance: [0, 0] } };
    expect(expectReplay(dec2.calls, quadrature2d(dec2, [1], { ...o2, ...whole }), o2).union).toBe(false);
    // No q: a pilot, a fine grid, nothing else.
    const dec3 = recordingDecoder(f);
    const o3 = { epsilon: 1e-4, pilotPointsPerAxis: 13, pointsPerAxis: 11 };
    expectReplay(dec3.calls, quadrature2d(dec3, [1], { ...o3, ...whole }), o3);
  });

  it('cuts the box where each marginal tail reaches ε/4, row by row (ε = 0.2, posterior = prior: several rows in each tail)', () => {
    const dec = recordingDecoder(() => 0);
    const o = { epsilon: 0.2, pilotPointsPerAxis: 61, pointsPerAxis: 7 };
    const res = quadrature2d(dec, [1], { ...o, ...whole });
    expectReplay(dec.calls, res, o);
    // Rows beyond the two cells of padding stay outside, on every side; together at most ε.
    expect(res.pilotMassOutside).toBeGreaterThan(0.05);
    expect(res.pilotMassOutside).toBeLessThanOrEqual(0.2);
  });

  it('the truncation error of the E_q terms takes the largest deviation on the box\'s edge, on whichever side it lies, and only there', () => {
    // A spike of +60 in log p(x|z) at one node makes |log p(x, z) − log q − ELBO| largest there: the middle
    // of each side of the 9 × 9 grid in turn (not a corner, which two sides share), then the centre,
    // which is not on the edge and must not count.
    for (const c of [[0.25, -4.2], [0.25, 3.1], [-3.5, -0.55], [4, -0.55], [0.25, -0.55]]) {
      const dec = recordingDecoder((z0, z1) => f(z0, z1) + 60 * Math.exp(-((z0 - c[0]) ** 2 + (z1 - c[1]) ** 2) / 0.05));
      const res = quadrature2d(dec, [0], { q, extent, pointsPerAxis: 9, ...whole });
      expectReplay(dec.calls, res, { q, extent, epsilon: 1e-6, pilotPointsPerAxis: 61, pointsPerAxis: 9 });
    }
  });

  it('doubles the pilot box at most four times, then cuts the box from the last pilot', () => {
    // log p(x|z) = 100 z0 puts the posterior at z0 = 100: every pilot box (at most 16 × 3.5 wide) misses it, its mass sits on the ring.
    const dec = recordingDecoder((z0) => 100 * z0);
    const o = { epsilon: 1e-6, pilotPointsPerAxis: 7, pointsPerAxis: 5 };
    const res = quadrature2d(dec, [1], { ...o, ...whole });
    expect(dec.calls.length).toBe(6);
    const seen = expectReplay(dec.calls, res, o);
    expect(seen.doublings).toBe(4);
    expect(seen.lastPilotRingMass).toBeGreaterThan(0.5);
  });

  it('chunks the decoder calls to maxRowsPerChunk rows without changing a number', () => {
    const one = recordingDecoder(f);
    const whole1 = quadrature2d(one, [0], { q, extent, pointsPerAxis: 9, ...whole });
    const chunked = recordingDecoder(f);
    const res = quadrature2d(chunked, [0], { q, extent, pointsPerAxis: 9, maxRowsPerChunk: 10 });
    expect(chunked.calls.map((c) => c.ll.length)).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 1]);
    const joined = (calls: typeof one.calls, key: 'z' | 'll') => calls.flatMap((c) => Array.from(c[key]));
    expect(joined(chunked.calls, 'z')).toEqual(joined(one.calls, 'z'));
    expect(res).toEqual(whole1);
    // 81 rows in chunks of 9: nine calls, no empty tenth.
    const exact = recordingDecoder(f);
    quadrature2d(exact, [0], { q, extent, pointsPerAxis: 9, maxRowsPerChunk: 9 });
    expect(exact.calls.map((c) => c.ll.length)).toEqual(new Array(9).fill(9));
  });

  it('a decoder that rules out part of the box (log p(x|z) = −∞) leaves every E_q term finite where q has no mass there', () => {
    const dec = recordingDecoder((z0, z1) => (z0 > 2 ? -Infinity : f(z0, z1)));
    const narrow = { mean: [-1, 0], logVariance: [-6, -6] };
    const res = quadrature2d(dec, [0], { q: narrow, extent, pointsPerAxis: 41, ...whole });
    const g = res.q!;
    for (const v of [res.logMarginal, g.reconstruction, g.expectedLogPrior, g.entropy, g.elbo, g.logExpectedRatio, g.klToPosterior]) expect(Number.isFinite(v)).toBe(true);
    expectReplay(dec.calls, res, { q: narrow, extent, epsilon: 1e-6, pilotPointsPerAxis: 61, pointsPerAxis: 41 });
  });

  it('refuses a decoder whose logLikelihood is not one value per row', () => {
    const shaped = (out: (rows: number) => unknown) => ({ latentSize: 2, logLikelihood: (x: tf.Tensor2D) => out(x.shape[0]) as tf.Tensor1D });
    const o = { extent, pointsPerAxis: 3 };
    expect(() => quadrature2d(shaped((n) => tf.zeros([n + 1])), [0], o)).toThrow('quadrature2d: decoder.logLikelihood must return a [9] tensor, got [10]');
    expect(() => quadrature2d(shaped((n) => tf.zeros([n, 1])), [0], o)).toThrow('must return a [9] tensor, got [9,1]');
    expect(() => quadrature2d(shaped((n) => new Array(n).fill(0)), [0], o)).toThrow('must return a [9] tensor, got object');
  });

  it('refuses each malformed extent', () => {
    const dec = recordingDecoder(f);
    for (const bad of [[[0, 1]], [[0, 1], [0, 1], [0, 1]], [[0, 1], 5], [[0, 1], [0, 1, 2]], [[0, 1], [0]], [[0, '1'], [0, 1]],
      [[0, Infinity], [0, 1]], [[NaN, 1], [0, 1]], [[1, 1], [0, 1]], [[0, 1], [2, 1]], 'box', null]) {
      expect(() => quadrature2d(dec, [0], { extent: bad as unknown as Box }), JSON.stringify(bad)).toThrow('quadrature2d: options.extent must be [[lo0, hi0], [lo1, hi1]] with finite lo < hi');
    }
    expect(dec.calls.length).toBe(0);
  });
});

describe('the grid helpers', () => {
  it('makeGrid: nodes, spacing and trapezoid weights (halved on the edges, quartered at the corners) summing to the area', () => {
    const grid = makeGrid([[-1, 3], [0, 1]], 3);
    expect(Array.from(grid.axis0)).toEqual([-1, 1, 3]);
    expect(Array.from(grid.axis1)).toEqual([0, 0.5, 1]);
    expect(grid.spacing).toEqual([2, 0.5]);
    expect(grid.extent).toEqual([[-1, 3], [0, 1]]);
    const expected = [0.25, 0.5, 0.25, 0.5, 1, 0.5, 0.25, 0.5, 0.25];
    grid.logWeights.forEach((lw, g) => expect(Math.exp(lw)).toBeCloseTo(expected[g], 14));
    // The last node is the box's edge to the bit (−4.2 + 7 · (7.3 / 7) rounds to 3.1000000000000014).
    const rounding = makeGrid([[-4.2, 3.1], [-3.5, 4]], 8);
    expect(rounding.axis0[7]).toBe(3.1);
    expect(rounding.axis1[7]).toBe(4);
    expect(rounding.axis0[0]).toBe(-4.2);
  });

  it('halvedGridLogWeights: every other node with doubled spacing; with an even count the last column is left out', () => {
    // 5 nodes on [0, 4] × [0, 2]: the halved grid is nodes 0, 2, 4, cells 2 × 1, weights ¼·2, ½·2, 1·2: sum = the area 8.
    const odd = halvedGridLogWeights(makeGrid([[0, 4], [0, 2]], 5)).map(Math.exp);
    const at = (w: Float64Array, n: number, i: number, j: number): number => w[i * n + j];
    expect(at(odd, 5, 0, 0)).toBeCloseTo(0.5, 14);
    expect(at(odd, 5, 0, 2)).toBeCloseTo(1, 14);
    expect(at(odd, 5, 2, 2)).toBeCloseTo(2, 14);
    expect(at(odd, 5, 4, 4)).toBeCloseTo(0.5, 14);
    expect(at(odd, 5, 1, 2)).toBe(0);
    expect(at(odd, 5, 2, 3)).toBe(0);
    expect(total(odd)).toBeCloseTo(8, 13);
    // 6 nodes on [0, 5]²: the halved grid is nodes 0, 2, 4 on [0, 4]² (area 16); node 5 carries nothing.
    const even = halvedGridLogWeights(makeGrid([[0, 5], [0, 5]], 6)).map(Math.exp);
    expect(at(even, 6, 4, 4)).toBeCloseTo(1, 14);
    expect(at(even, 6, 2, 4)).toBeCloseTo(2, 14);
    expect(at(even, 6, 5, 0)).toBe(0);
    expect(at(even, 6, 0, 5)).toBe(0);
    expect(total(even)).toBeCloseTo(16, 13);
  });

  it('logDiagonalGaussianOnGrid: log N(z_g; μ, diag s²) at each node, axis 0 slowest', () => {
    const grid = makeGrid([[-2, 1], [0, 4]], 4);
    const q = { mean: [0.3, 1.7], logVariance: [-0.5, 0.8] };
    const values = logDiagonalGaussianOnGrid({ mean: Float64Array.from(q.mean), logVariance: Float64Array.from(q.logVariance) }, grid);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) {
      expect(values[i * 4 + j]).toBeCloseTo(logNormal2d([grid.axis0[i], grid.axis1[j]], q.mean, [Math.exp(-0.5), 0, 0, Math.exp(0.8)]), 13);
    }
  });
});
