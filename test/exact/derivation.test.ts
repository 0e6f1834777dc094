import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import type { DiagonalGaussian } from '../../src/distributions/gaussian';
import { LinearGaussianModel } from '../../src/exact/linearGaussian';
import { checkDerivationChain, DerivationResult, derivationSteps, effectiveSampleSize, jointGaussianExpectation, STEP_LATEX, tensorGrid } from '../../src/exact/derivation';
import type { GenerativeModel, InferenceModel } from '../../src/objectives/types';
import { useBackend } from '../distributions/testUtils';
import { mlpDecoder, reference64 } from './mlpDecoder';
import { sampleJoint } from '../../src/objectives/sampleJoint';
import { logSumExp, normalUpperQuantile, normalUpperTail } from '../../src/exact/linearAlgebra';
import { gaussHermite, gaussianRule } from '../../src/exact/gaussHermite';
import { halvedGridLogWeights, makeGrid, quadrature2d, type QuadratureResult } from '../../src/exact/quadrature2d';

beforeAll(async () => { await useBackend('cpu'); });

function noLeak<T>(f: () => T): T {
  const before = tf.memory().numTensors;
  const out = f();
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

const allPass = (r: DerivationResult, sigmas = 4, rel = 1e-6): void => {
  for (const c of checkDerivationChain(r, sigmas, rel)) {
    if (!c.pass) throw new Error(`${c.id}: ${c.lhs} vs ${c.rhs} (difference ${c.difference}, tolerance ${c.tolerance})`);
  }
};

/**
 * Line 4 of the quadrature method from quadrature2d's grid on q's box: E_q[log p − log q] with the
 * masses τ_g q(z_g) normalised, and its error |full − halved grid| + 2 · q's mass outside · the
 * largest |log p − log q − line 4| on the grid's edge.
 */
function line4OnQGrid(g: NonNullable<QuadratureResult['q']>): { value: number; error: number } {
  const n = g.grid.axis0.length;
  const expectation = (logWeights: ArrayLike<number>): number => {
    const top = logSumExp(Array.from(logWeights, (w, k) => w + g.logDensity[k]));
    return Array.from(logWeights).reduce((s, w, k) => (w === -Infinity ? s : s + Math.exp(w + g.logDensity[k] - top) * (g.logJoint[k] - g.logDensity[k])), 0);
  };
  const value = expectation(g.grid.logWeights);
  let edge = 0;
  for (let k = 0; k < n * n; k++) {
    const [i, j] = [Math.floor(k / n), k % n];
    if (i === 0 || j === 0 || i === n - 1 || j === n - 1) edge = Math.max(edge, Math.abs(g.logJoint[k] - g.logDensity[k] - value));
  }
  return { value, error: Math.abs(value - expectation(halvedGridLogWeights(g.grid))) + 2 * g.massOutsideBox * edge };
}

describe('derivation chain, closed form (linear-Gaussian, 3-D latent)', () => {
  const r = new Random(1);
  const m = LinearGaussianModel.random(r, 6, 3, { logVariance: Math.log(0.6) });
  const x = Array.from(m.sample(r, 1));
  const q = { mean: [0.2, -0.4, 0.1], logVariance: [-1, -0.5, -0.8] };

  it('lines 1–3 equal log p(x), 4–7 equal the ELBO, and the gap is KL(q ‖ p(z|x)), all to 1e-9', () => {
    const d = noLeak(() => derivationSteps(m, x, q));
    expect(d.method).toBe('closedForm');
    expect(d.steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const logPx = m.logMarginal(x);
    const e = m.elbo(x, q);
    for (const s of d.steps.slice(0, 3)) expect(Math.abs(s.value - logPx)).toBeLessThan(1e-9 * Math.abs(logPx));
    for (const s of d.steps.slice(3)) expect(Math.abs(s.value - e.elbo)).toBeLessThan(1e-9 * Math.abs(e.elbo));
    expect(d.steps[2].value - d.steps[3].value).toBeGreaterThan(0.1);
    expect(d.klToPosterior).toBeCloseTo(m.klToPosterior(x, q), 12);
    expect(d.terms.klToPrior.value).toBeCloseTo(e.kl, 12);
    allPass(d, 4, 1e-9);
    expect(checkDerivationChain(d).map((c) => c.id)).toEqual(
      ['step1=step2', 'step2=step3', 'step4<=step3', 'step4=step5', 'step5=step6', 'step6=step7', 'gap=KL']);
    // Lines 2–4 integrate against q (quadrature, with error estimates); 1, 5–7 are closed forms.
    expect(d.steps.map((s) => s.method)).toEqual(['closedForm', 'quadrature', 'quadrature', 'quadrature', 'closedForm', 'closedForm', 'closedForm']);
    for (const s of d.steps.slice(1, 4)) {
      const exactValue = s.step <= 3 ? logPx : e.elbo;
      expect(s.errorEstimate).toBeLessThan(1e-3);   // the coarser Gauss–Hermite rules are far off for this q; the fine one is not
      expect(Math.abs(s.value - exactValue)).toBeLessThanOrEqual(s.errorEstimate + 1e-12);
    }
    // Every line by its own route: no two lines print the same route, and each relation names both.
    expect(new Set(d.steps.map((s) => s.route)).size).toBe(7);
    const c56 = checkDerivationChain(d).find((c) => c.id === 'step5=step6')!;
    expect(c56.routes).toBe(`A: line 5, ${d.steps[4].route} / B: line 6, ${d.steps[5].route}`);
    expect(c56.routes).toMatch(/joint/);
  });

  it('no relation holds by construction: breaking one route fails exactly the relations that use it', () => {
    // A closed-form ELBO with its reconstruction off by 1e-3 moves lines 6 and 7 only: 5 = 6 fails
    // (line 5 is the joint Gaussian, not the same expression), 6 = 7 still holds (both moved).
    const broken = LinearGaussianModel.random(new Random(1), 6, 3, { logVariance: Math.log(0.6) });
    const elbo = broken.elbo.bind(broken);
    broken.elbo = (xx, qq) => { const e = elbo(xx, qq); return { ...e, reconstruction: e.reconstruction + 1e-3, elbo: e.elbo + 1e-3 }; };
    expect(checkDerivationChain(derivationSteps(broken, x, q), 4, 1e-9).filter((c) => !c.pass).map((c) => c.id)).toEqual(['step5=step6']);
    // Woodbury off by 1e-3: only 1 = 2 (and the gap, which uses line 1) fail; line 2 is a grid sum, not Woodbury.
    const shifted = LinearGaussianModel.random(new Random(1), 6, 3, { logVariance: Math.log(0.6) });
    const logMarginal = shifted.logMarginal.bind(shifted);
    shifted.logMarginal = (xx) => logMarginal(xx) + 1e-3;
    expect(checkDerivationChain(derivationSteps(shifted, x, q), 4, 1e-9).filter((c) => !c.pass).map((c) => c.id)).toEqual(['step1=step2', 'gap=KL']);
  });

  it('line 5\'s joint Gaussian expectation equals E_q[log p(x|z)] + E_q[log p(z)], and a Monte Carlo average of the joint density', () => {
    const e = m.elbo(x, q);
    const qp = { mean: Float64Array.from(q.mean), logVariance: Float64Array.from(q.logVariance) };
    const joint = jointGaussianExpectation(m, x, qp);
    expect(Math.abs(joint - (e.reconstruction + e.expectedLogPrior))).toBeLessThan(1e-10 * Math.abs(joint));
    // Monte Carlo with the factorised density: agreement within 5 SE.
    const r2 = new Random(5);
    const values: number[] = [];
    for (let s = 0; s < 4000; s++) {
      const z = q.mean.map((mu, j) => mu + Math.exp(0.5 * q.logVariance[j]) * r2.normal());
      values.push(m.logLikelihood(x, z) + z.reduce((t, v) => t - 0.5 * (Math.log(2 * Math.PI) + v * v), 0));
    }
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
    expect(Math.abs(joint - mean)).toBeLessThan(5 * sd / Math.sqrt(values.length));
    // Without the trace term (q's variance) it would be wrong by more than the tolerance.
    const pointMass = jointGaussianExpectation(m, x, { mean: qp.mean, logVariance: qp.logVariance.map(() => -30) });
    expect(joint - pointMass).toBeLessThan(-0.01);
  });

  it('refuses a latent too large for the grid lines', () => {
    const big = LinearGaussianModel.random(new Random(2), 6, 4);
    expect(() => derivationSteps(big, Array.from(big.sample(new Random(3), 1)), { mean: [0, 0, 0, 0], logVariance: [0, 0, 0, 0] }))
      .toThrow(/'closedForm' method integrates over z on a grid, so the model's latentSize must be ≤ 3, got 4/);
  });

  it('the Monte Carlo column estimates the same lines (within 5 SE) and its own chain holds', () => {
    const d = noLeak(() => derivationSteps(m, x, q, { random: new Random(2), samples: 4000 }));
    const mc = d.monteCarlo!;
    expect(mc.method).toBe('monteCarlo');
    allPass(mc, 4, 1e-6);
    for (let i = 3; i < 7; i++) {
      expect(mc.steps[i].standardError).toBeGreaterThan(0);
      expect(Math.abs(mc.steps[i].value - d.steps[i].value)).toBeLessThan(5 * mc.steps[i].standardError + 1e-4);
    }
    // Importance sampling with q for line 1: consistent, biased low by O(1/S); here q is decent.
    expect(mc.steps[0].value).toBeLessThan(d.steps[0].value + 5 * mc.steps[0].standardError);
    expect(d.steps[0].value - mc.steps[0].value).toBeLessThan(0.5 * (d.steps[0].value - d.steps[3].value));
  });

  it('the checker can fail: a corrupted line is reported', () => {
    const d = derivationSteps(m, x, q);
    d.steps[5] = { ...d.steps[5], value: d.steps[5].value + 1e-3 };
    const failed = checkDerivationChain(d, 4, 1e-9).filter((c) => !c.pass).map((c) => c.id);
    expect(failed).toEqual(['step5=step6', 'step6=step7']);
    const d2 = derivationSteps(m, x, q);
    d2.steps[3] = { ...d2.steps[3], value: d2.steps[2].value + 1 };
    expect(checkDerivationChain(d2, 4, 1e-9).find((c) => c.id === 'step4<=step3')!.pass).toBe(false);
  });

  it('q = exact posterior (orthogonal columns): line 4 = line 3, gap 0', () => {
    const r2 = new Random(3);
    const m2 = LinearGaussianModel.random(r2, 5, 2, { logVariance: Math.log(0.5), orthogonalColumns: true });
    const x2 = Array.from(m2.sample(r2, 1));
    const d = derivationSteps(m2, x2, m2.posteriorMarginals(x2));
    expect(Math.abs(d.steps[2].value - d.steps[3].value)).toBeLessThan(1e-10);
    expect(Math.abs(d.klToPosterior!)).toBeLessThan(1e-10);
  });

  it('an InferenceModel can stand for q; its tensors are disposed', () => {
    const encoder: InferenceModel = {
      latentSize: 3,
      encode: (xs: tf.Tensor2D): DiagonalGaussian => tf.tidy(() => ({
        mean: tf.tensor2d([q.mean]),
        logVariance: tf.add(tf.tensor2d([q.logVariance]), tf.reshape(tf.sum(tf.mul(xs, 0)), [1, 1])) as tf.Tensor2D,
      })),
    };
    const a = noLeak(() => derivationSteps(m, x, encoder));
    const b = derivationSteps(m, x, q);
    for (let i = 0; i < 7; i++) expect(a.steps[i].value).toBeCloseTo(b.steps[i].value, 5);
  });
});

describe('derivation chain, quadrature and Monte Carlo on a nonlinear 2-D decoder', () => {
  const dec = mlpDecoder(7);
  const x = dec.sampleX(new Random(8), [0.8, -0.5]);
  const q = { mean: [0.6, -0.3], logVariance: [-1.5, -1.2] };
  const ref = reference64(dec, x, q);

  it('quadrature lines match an independent float64 computation and the chain holds', () => {
    const d = noLeak(() => derivationSteps(dec, x, q));
    expect(d.method).toBe('quadrature');
    allPass(d, 4, 2e-6);
    expect(Math.abs(d.steps[0].value - ref.logPx)).toBeLessThan(d.steps[0].errorEstimate + 1e-5);
    for (const i of [1, 2]) expect(Math.abs(d.steps[i].value - ref.logPx)).toBeLessThan(d.steps[i].errorEstimate + 1e-5);
    for (const i of [3, 4, 5, 6]) expect(Math.abs(d.steps[i].value - ref.elbo)).toBeLessThan(d.steps[i].errorEstimate + 1e-4);
    expect(ref.logPx - ref.elbo).toBeGreaterThan(0.05);
    // No KL to the posterior on a grid (it would be line 1 − line 4 itself), so no gap = KL check.
    expect(d.klToPosterior).toBeUndefined();
    expect(checkDerivationChain(d).map((c) => c.id)).not.toContain('gap=KL');
    expect(new Set(d.steps.map((s) => s.route)).size).toBe(7);
    expect(d.steps[2].route).toMatch(/Gauss–Hermite/);
  });

  it('pure Monte Carlo lines agree with the quadrature values within 5 SE (plus the O(1/S) bias of line 1)', () => {
    for (const seed of [20, 21, 22]) {
      const mc = noLeak(() => derivationSteps(dec, x, q, { method: 'monteCarlo', random: new Random(seed), samples: 3000 }));
      allPass(mc, 4, 1e-6);
      for (let i = 3; i < 7; i++) expect(Math.abs(mc.steps[i].value - ref.elbo)).toBeLessThan(5 * mc.steps[i].standardError + 1e-4);
      // Line 1 by importance sampling: biased low (Jensen) and its delta-method SE is optimistic,
      // so check a one-sided bound and that it sits far closer to log p(x) than the ELBO does.
      expect(mc.steps[0].value).toBeLessThan(ref.logPx + 5 * mc.steps[0].standardError);
      expect(ref.logPx - mc.steps[0].value).toBeLessThan(0.25 * (ref.logPx - ref.elbo));
      expect(mc.effectiveSampleSize!).toBeGreaterThan(10);
      expect(mc.effectiveSampleSize!).toBeLessThan(3000);
      expect(mc.klToPosterior).toBeUndefined();
    }
  });
});

describe('derivation bad input', () => {
  const m = new LinearGaussianModel([[1, 0], [0, 1], [1, 1]], [0, 0, 0], 0);
  const q = { mean: [0, 0], logVariance: [0, 0] };
  it('names the argument and what was expected', () => {
    expect(() => derivationSteps(m, [1, 2, 3], q, { method: 'monteCarlo' })).toThrow(/options.random must be a Random for the 'monteCarlo' method/);
    expect(() => derivationSteps(mlpDecoder(1), new Array(12).fill(0), q, { method: 'closedForm' })).toThrow(/'closedForm' needs a LinearGaussianModel/);
    expect(() => derivationSteps(m, [1, 2, 3], q, { random: new Random(1), samples: 1 })).toThrow(/options.samples must be an integer >= 2, got 1/);
    expect(() => derivationSteps(m, [1, 2], q)).toThrow(/LinearGaussianModel.logMarginal: x must have length 3, got 2|x must have length 3/);
    expect(() => derivationSteps(m, [1, 2, 3], { mean: [0], logVariance: [0] })).toThrow(/derivationSteps: q.mean must have length 2, got 1/);
    expect(() => derivationSteps(m, [1, 2, 3], q, { method: 'exact' as never })).toThrow(/options.method must be/);
    expect(() => checkDerivationChain(derivationSteps(m, [1, 2, 3], q), -1)).toThrow(/checkDerivationChain: sigmas must be a finite number in \[0, Infinity\]/);
  });
});

describe('KL(p(z|x) ‖ q) on the posterior grid (quadrature results)', () => {
  it('matches the closed form for a linear-Gaussian decoder with an orthogonal (diagonal-posterior) model', () => {
    const r = new Random(12);
    const m = LinearGaussianModel.random(r, 6, 2, { logVariance: Math.log(0.5), orthogonalColumns: true });
    const x = Array.from(m.sample(r, 1));
    const post = m.posterior(x);
    const q = { mean: [post.mean[0] + 0.3, post.mean[1] - 0.2], logVariance: [post.logVariance[0] - 0.7, post.logVariance[1] + 0.4] };
    const d = derivationSteps(m.asGenerativeModel(), x, q);
    // KL(N(m, s²) ‖ N(μ, σ²)) per coordinate: ½[s²/σ² + (μ − m)²/σ² − 1 − log(s²/σ²)].
    let expected = 0;
    for (let j = 0; j < 2; j++) {
      const ratio = Math.exp(post.logVariance[j] - q.logVariance[j]);
      expected += 0.5 * (ratio + (q.mean[j] - post.mean[j]) ** 2 / Math.exp(q.logVariance[j]) - 1 - Math.log(ratio));
    }
    expect(d.klPosteriorToQ!).toBeCloseTo(expected, 4);
    expect(derivationSteps(m, x, q).klPosteriorToQ).toBeUndefined();
  });
});

describe('the Monte Carlo column replayed from the same draws', () => {
  it('every line, standard error, term and the effective sample size, recomputed in float64 from sampleJoint\'s draws', () => {
    const dec = mlpDecoder(7);
    const x = dec.sampleX(new Random(8), [0.8, -0.5]);
    const q = { mean: [0.6, -0.3], logVariance: [-1.5, -1.2] };
    const samples = 500;
    const d = derivationSteps(dec, x, q, { method: 'monteCarlo', random: new Random(31), samples });
    // The same generator state gives the same draws (sampleJoint is what the derivation samples with).
    const xt = tf.tensor2d([x]);
    const qt = { mean: tf.tensor2d([q.mean]), logVariance: tf.tensor2d([q.logVariance]) };
    const s = sampleJoint('replay', qt, dec, xt, new Random(31), samples);
    tf.dispose([xt, qt.mean, qt.logVariance]);
    const mean = (v: ArrayLike<number>): number => Array.from(v).reduce((a, b) => a + b, 0) / v.length;
    const se = (v: ArrayLike<number>): number => {
      const m = mean(v);
      return Math.sqrt(Array.from(v).reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1) / v.length);
    };
    const logW = Array.from(s.logLikelihood, (ll, i) => ll + s.logPrior[i] - s.logQ[i]);
    const max = Math.max(...logW);
    const w = logW.map((v) => Math.exp(v - max));
    const sumW = w.reduce((a, b) => a + b, 0);
    const logMean = max + Math.log(sumW / samples);
    // Delta method: SE(log mean w) = SE(w) / mean(w).
    const logMeanSe = se(w) / (sumW / samples);
    const kl = q.mean.reduce((t, m, j) => t - 0.5 * (1 + q.logVariance[j] - m * m - Math.exp(q.logVariance[j])), 0);
    const recon = mean(s.logLikelihood);
    const expected = [logMean, logMean, logMean, mean(logW), mean(logW), recon + mean(s.logPrior) - mean(s.logQ), recon - kl];
    const expectedSe = [logMeanSe, logMeanSe, logMeanSe, se(logW), se(logW), se(logW), se(s.logLikelihood)];
    for (let i = 0; i < 7; i++) {
      expect(Math.abs(d.steps[i].value - expected[i])).toBeLessThan(1e-10 * Math.abs(expected[i]));
      expect(d.steps[i].standardError).toBeCloseTo(expectedSe[i], 10);
      expect(d.steps[i].errorEstimate).toBe(0);
      expect(d.steps[i].method).toBe('monteCarlo');
    }
    expect(d.terms.reconstruction.value).toBeCloseTo(recon, 10);
    expect(d.terms.reconstruction.standardError).toBeCloseTo(se(s.logLikelihood), 10);
    expect(d.terms.expectedLogPrior.value).toBeCloseTo(mean(s.logPrior), 10);
    expect(d.terms.expectedLogPrior.standardError).toBeCloseTo(se(s.logPrior), 10);
    expect(d.terms.entropy.value).toBeCloseTo(-mean(s.logQ), 10);
    expect(d.terms.entropy.standardError).toBeCloseTo(se(s.logQ), 10);
    expect(d.terms.klToPrior).toEqual({ value: expect.closeTo(kl, 12), standardError: 0 });
    expect(d.effectiveSampleSize!).toBeCloseTo(sumW ** 2 / w.reduce((a, b) => a + b * b, 0), 8);
    expect(d.monteCarlo).toBeUndefined();
  });
});

describe('checkDerivationChain: each tolerance from the lines\' own error estimates and standard errors', () => {
  // A hand-made result: values, error estimates and standard errors chosen so that every term of
  // tolerance = rel·max(|a|, |b|, 1) + e_a + e_b + sigmas·√(s_a² + s_b²) shows.
  const line = (step: number, value: number, errorEstimate: number, standardError: number) => ({
    step, latex: '', route: `route ${step}`, value, errorEstimate, standardError, method: 'quadrature' as const,
  });
  const result: DerivationResult = {
    method: 'quadrature',
    // Lines 1–5 beyond ±1 (the relative term scales with them), 6 and 7 inside (it is floored at 1).
    steps: [line(1, -1.4, 0.01, 0), line(2, -1.45, 0.02, 0.03), line(3, -1.7, 0, 0.04), line(4, -2.5, 0.001, 0),
      line(5, -2.45, 0, 0.01), line(6, -0.3, 0, 0.02), line(7, -0.3 + 1e-7, 0, 0)],
    terms: {} as DerivationResult['terms'],
    klToPosterior: 1.105,
  };
  const tolerance = (a: number, b: number, sigmas: number, rel: number): number => {
    const [p, r] = [result.steps[a - 1], result.steps[b - 1]];
    return rel * Math.max(Math.abs(p.value), Math.abs(r.value), 1) + p.errorEstimate + r.errorEstimate + sigmas * Math.sqrt(p.standardError ** 2 + r.standardError ** 2);
  };

  it('states every relation with both sides, the difference, the tolerance and both routes', () => {
    for (const [sigmas, rel] of [[4, 1e-6], [2, 1e-3], [0, 0]]) {
      const checks = checkDerivationChain(result, sigmas, rel);
      const pairs: [number, number][] = [[1, 2], [2, 3], [4, 3], [4, 5], [5, 6], [6, 7]];
      expect(checks.map((c) => c.id)).toEqual(['step1=step2', 'step2=step3', 'step4<=step3', 'step4=step5', 'step5=step6', 'step6=step7', 'gap=KL']);
      pairs.forEach(([i, j], k) => {
        const c = checks[k];
        expect(c.lhs).toBe(result.steps[i - 1].value);
        expect(c.rhs).toBe(result.steps[j - 1].value);
        expect(c.difference).toBeCloseTo(result.steps[i - 1].value - result.steps[j - 1].value, 14);
        expect(c.tolerance).toBeCloseTo(tolerance(i, j, sigmas, rel), 14);
        expect(c.routes).toBe(`A: line ${i}, route ${i} / B: line ${j}, route ${j}`);
        const pass = k === 2 ? c.difference <= c.tolerance : Math.abs(c.difference) <= c.tolerance;
        expect(c.pass).toBe(pass);
      });
      const gap = checks[6];
      expect(gap.lhs).toBeCloseTo(1.1, 12);
      expect(gap.rhs).toBe(1.105);
      expect(gap.difference).toBeCloseTo(-0.005, 12);
      expect(gap.tolerance).toBeCloseTo(tolerance(1, 4, sigmas, rel) + rel * 1.105, 14);
      expect(gap.pass).toBe(Math.abs(gap.difference) <= gap.tolerance);
      expect(gap.routes).toMatch(/^A: line 1 − line 4 \(route 1; route 4\) \/ B: closed-form KL/);
    }
    // Sigmas 4, rel 1e-6: 1 = 2 passes (0.05 ≤ 0.03 + 4·0.03), 2 = 3 fails (0.25 > 0.02 + 4·0.05), 4 ≤ 3
    // passes (line 4 is below), 4 = 5 fails (0.05 > 0.001 + 4·0.01), 5 = 6 fails, 6 = 7 passes (1e-7 ≤ 4·0.02),
    // the gap passes (0.005 ≤ 0.011).
    expect(checkDerivationChain(result, 4, 1e-6).map((c) => c.pass)).toEqual([true, false, true, false, false, true, true]);
    // Without standard errors, 6 = 7 (1e-7 apart) rests on the relative term alone.
    expect(checkDerivationChain(result, 0, 1e-6).find((c) => c.id === 'step6=step7')!.pass).toBe(true);
    expect(checkDerivationChain(result, 0, 1e-8).find((c) => c.id === 'step6=step7')!.pass).toBe(false);
    // Line 4 above line 3 by less than the tolerance passes one-sidedly, by more fails; far below always passes.
    const above = { ...result, steps: result.steps.map((s) => (s.step === 4 ? { ...s, value: -1.7 + 0.1 } : s)) };
    expect(checkDerivationChain(above, 4, 1e-6)[2].pass).toBe(true);
    expect(checkDerivationChain(above, 0, 0)[2].pass).toBe(false);
    // Without a KL to the posterior there is no gap check.
    expect(checkDerivationChain({ ...result, klToPosterior: undefined }).map((c) => c.id)).not.toContain('gap=KL');
    expect(() => checkDerivationChain(result, 4, -1)).toThrow(/checkDerivationChain: relativeTolerance must be a finite number in \[0, Infinity\]/);
  });
});

describe('the closed-form method\'s grid and Gauss–Hermite lines replayed for a 1-D latent', () => {
  const r = new Random(44);
  const m = LinearGaussianModel.random(r, 4, 1, { logVariance: Math.log(0.4) });
  const x = Array.from(m.sample(r, 1));
  const post = m.posterior(x);
  // q off the posterior's mean, narrower (the posterior's box is the wider: line 2's error is the
  // posterior's mass outside) or wider (q's box is: line 4's error is q's mass outside times the
  // largest deviation of log p/q on the edge).
  for (const [name, logScale] of [['narrower', -1.2], ['wider', 1.0]] as const) {
    it(`q ${name} than the posterior: lines 2–4 and their error estimates recomputed from the definitions (301-node trapezoid, its halved grid, the mass outside, five Gauss–Hermite rules)`, () => {
      const q = { mean: [post.mean[0] + 0.8], logVariance: [Math.log(post.covariance[0]) + logScale] };
      const d = derivationSteps(m, x, q);
      const [mq, sq, mp, sp] = [q.mean[0], Math.exp(0.5 * q.logVariance[0]), post.mean[0], Math.sqrt(post.covariance[0])];
      // The box holds all but 1e-12 of each density: mean ± r sd, with the tails of 1 axis × 2 densities × 2 sides at 1e-12 / 4.
      const rq = normalUpperQuantile(1e-12 / 4);
      const lo = Math.min(mq - rq * sq, mp - rq * sp);
      const hi = Math.max(mq + rq * sq, mp + rq * sp);
      const n = 301;
      const h = (hi - lo) / (n - 1);
      const z = Array.from({ length: n }, (_, i) => lo + i * h);
      const logQ = z.map((v) => -0.5 * (Math.log(2 * Math.PI) + q.logVariance[0] + (v - mq) ** 2 / sq ** 2));
      const logJoint = z.map((v) => m.logLikelihood(x, [v]) - 0.5 * (Math.log(2 * Math.PI) + v * v));
      // Trapezoid weights of the grid and of the halved grid (every other node, step 2h, ends halved).
      const tau = z.map((_, i) => h * (i === 0 || i === n - 1 ? 0.5 : 1));
      const tauHalved = z.map((_, i) => (i % 2 === 1 ? 0 : 2 * h * (i === 0 || i === n - 1 ? 0.5 : 1)));
      const integral = (t: number[]): number => logSumExp(z.map((_, i) => (t[i] > 0 ? Math.log(t[i]) + logJoint[i] : -Infinity)));
      const expectation = (t: number[]): number => {
        const mass = z.map((_, i) => t[i] * Math.exp(logQ[i]));
        const total = mass.reduce((a, b) => a + b, 0);
        return mass.reduce((a, w, i) => a + (w / total) * (logJoint[i] - logQ[i]), 0);
      };
      const outside = (mean: number, sd: number): number => normalUpperTail((mean - lo) / sd) + normalUpperTail((hi - mean) / sd);
      const line2 = integral(tau);
      const line4 = expectation(tau);
      const edge = Math.max(Math.abs(logJoint[0] - logQ[0] - line4), Math.abs(logJoint[n - 1] - logQ[n - 1] - line4));
      const line2Error = Math.abs(line2 - integral(tauHalved)) + outside(mp, sp);
      const line4Error = Math.abs(line4 - expectation(tauHalved)) + 2 * outside(mq, sq) * edge;
      expect(d.steps[1].value).toBeCloseTo(line2, 11);
      expect(d.steps[3].value).toBeCloseTo(line4, 11);
      // The error estimates are 1e-12-sized; the halved-grid differences are rounding (1e-15), so compare to 1 %.
      expect(Math.abs(d.steps[1].errorEstimate - line2Error)).toBeLessThan(0.01 * line2Error + 1e-14);
      expect(Math.abs(d.steps[3].errorEstimate - line4Error)).toBeLessThan(0.01 * line4Error + 1e-14);
      if (name === 'narrower') expect(outside(mp, sp)).toBeGreaterThan(1e-13);
      else expect(2 * outside(mq, sq) * edge).toBeGreaterThan(1e-12);
      // Line 3: q's Gauss–Hermite rule, E_q[p/q] = (1/√π) Σ_k w_k (p/q)(μ + √2 s t_k) with 64 nodes; its
      // error is the largest difference from the 24-, 32-, 40- and 48-node rules.
      const hermite = (nodes: number): number => {
        const rule = gaussHermite(nodes);
        return logSumExp(Array.from(rule.nodes, (t, k) => {
          const v = mq + Math.SQRT2 * sq * t;
          const lq = -0.5 * (Math.log(2 * Math.PI) + q.logVariance[0] + (v - mq) ** 2 / sq ** 2);
          return rule.logWeights[k] - 0.5 * Math.log(Math.PI) + m.logLikelihood(x, [v]) - 0.5 * (Math.log(2 * Math.PI) + v * v) - lq;
        }));
      };
      const fine = hermite(64);
      const coarse = [24, 32, 40, 48].map((k) => Math.abs(fine - hermite(k)));
      expect(d.steps[2].value).toBeCloseTo(fine, 11);
      expect(Math.abs(d.steps[2].errorEstimate - Math.max(...coarse))).toBeLessThan(1e-6 * Math.max(...coarse) + 1e-14);
      // The exact values, for scale: every line within its error estimate.
      expect(Math.abs(line2 - m.logMarginal(x))).toBeLessThanOrEqual(d.steps[1].errorEstimate + 1e-12);
      expect(Math.abs(line4 - m.elbo(x, q).elbo)).toBeLessThanOrEqual(d.steps[3].errorEstimate + 1e-12);
    });
  }
});

describe('the quadrature method replayed from quadrature2d and the definitions (nonlinear 2-D decoder)', () => {
  const dec = mlpDecoder(7);
  const x = dec.sampleX(new Random(8), [0.8, -0.5]);
  // A narrow q (line 2's grid is a new, wider one), a wide q whose box holds the posterior's (line 2 reuses q's grid),
  // and a narrow q far to the right of the posterior (line 2's half-widths are the distances to the posterior box's left sides).
  for (const q of [{ mean: [0.6, -0.3], logVariance: [-1.5, -1.2] }, { mean: [1.5, 0.2], logVariance: [1.2, 1.4] }, { mean: [3, 1.2], logVariance: [-3, -2.5] }]) {
    it(`q = N(${q.mean}, exp(${q.logVariance})): every line, error estimate and KL(p(z|x) ‖ q), each recomputed in float64 from quadrature2d's grids and q's Gauss–Hermite rules`, () => {
      const d = derivationSteps(dec, x, q);
      const r = quadrature2d(dec, x, { q });
      const g = r.q!;
      const logPrior = (z: [number, number]): number => -Math.log(2 * Math.PI) - 0.5 * (z[0] ** 2 + z[1] ** 2);
      const logQ = (z: ArrayLike<number>): number => [0, 1].reduce((s, k) => s - 0.5 * (Math.log(2 * Math.PI) + q.logVariance[k] + (z[k] - q.mean[k]) ** 2 / Math.exp(q.logVariance[k])), 0);
      const kl = [0, 1].reduce((s, k) => s - 0.5 * (1 + q.logVariance[k] - q.mean[k] ** 2 - Math.exp(q.logVariance[k])), 0);
      const close = (a: number, b: number, relative: number, absolute: number): void => expect(Math.abs(a - b)).toBeLessThanOrEqual(relative * Math.abs(b) + absolute);
      // log p(x|z) as the library gets it (the tfjs decoder, float32, one row per z), then log p(z) in float64.
      const logJoint32 = (points: [number, number][]): number[] => {
        const ll = tf.tidy(() => dec.logLikelihood(tf.tile(tf.tensor2d([x]), [points.length, 1]) as tf.Tensor2D, tf.tensor2d(points)).dataSync());
        return points.map((z, k) => ll[k] + logPrior(z));
      };
      // Line 1 and lines 6–7: quadrature2d's own numbers, with its error estimates.
      expect(d.steps[0].value).toBe(r.logMarginal);
      expect(d.steps[0].errorEstimate).toBe(r.errorEstimate.total);
      close(d.steps[5].value, g.reconstruction + g.expectedLogPrior + g.entropy, 1e-12, 0);
      close(d.steps[6].value, g.reconstruction - kl, 1e-12, 0);
      for (const i of [5, 6]) expect(d.steps[i].errorEstimate).toBeCloseTo(g.discretizationError.elbo + g.truncationError, 14);
      expect(d.terms.klToPrior.value).toBeCloseTo(kl, 12);
      expect(d.terms.reconstruction.value).toBe(g.reconstruction);
      expect(d.terms.entropy.value).toBe(g.entropy);
      expect(d.terms.expectedLogPrior.value).toBe(g.expectedLogPrior);
      // Line 4 on q's grid (line4OnQGrid above).
      const n = g.grid.axis0.length;
      const line4 = line4OnQGrid(g);
      close(d.steps[3].value, line4.value, 1e-12, 0);
      close(d.steps[3].errorEstimate, line4.error, 1e-6, 1e-15);
      // Line 2 on a grid centred on q, each half-width the largest distance from q's mean to either box's side.
      const half = [0, 1].map((k) => Math.max(q.mean[k] - g.grid.extent[k][0], g.grid.extent[k][1] - q.mean[k], q.mean[k] - r.grid.extent[k][0], r.grid.extent[k][1] - q.mean[k]));
      const box: [[number, number], [number, number]] = [[q.mean[0] - half[0], q.mean[0] + half[0]], [q.mean[1] - half[1], q.mean[1] + half[1]]];
      const grid2 = makeGrid(box, n);
      expect(d.steps[1].route).toContain(`${n}/axis`);
      const joint2 = logJoint32(Array.from({ length: n * n }, (_, k) => [grid2.axis0[Math.floor(k / n)], grid2.axis1[k % n]] as [number, number]));
      const integral = (logWeights: ArrayLike<number>): number => logSumExp(Array.from(logWeights, (w, k) => w + joint2[k]));
      const line2 = integral(grid2.logWeights);
      close(d.steps[1].value, line2, 1e-12, 0);
      // The error: the halved grid's difference (1e-8 here) and the posterior's mass outside line 1's box
      // (which this box holds), as the pilot grid measured it.
      close(d.steps[1].errorEstimate, Math.abs(line2 - integral(halvedGridLogWeights(grid2))) + r.pilotMassOutside, 1e-6, 1e-15);
      expect(d.steps[1].errorEstimate).toBeGreaterThan(1e-9);
      // Line 3: q's Gauss–Hermite rules (64 nodes per axis; error from 24, 32, 40, 48).
      const hermite = (nodes: number): number => {
        const rule = gaussianRule({ mean: Float64Array.from(q.mean), logVariance: Float64Array.from(q.logVariance) }, nodes);
        const points = Array.from({ length: rule.count }, (_, k) => [rule.points[2 * k], rule.points[2 * k + 1]] as [number, number]);
        const lj = logJoint32(points);
        return logSumExp(points.map((z, k) => rule.logWeights[k] + lj[k] - logQ(z)));
      };
      const fine = hermite(64);
      close(d.steps[2].value, fine, 1e-12, 0);
      close(d.steps[2].errorEstimate, Math.max(...[24, 32, 40, 48].map((nodes) => Math.abs(fine - hermite(nodes)))), 1e-8, 0);
      // Line 5: the trapezoid rule on its own 201 × 201 grid over ±7.5 of q's standard deviations, weights τ·φ(e),
      // log p(x,z) − log q(z) at each node; error 2 |full − halved| + 2 · q's mass outside · the largest edge deviation.
      const m5 = 201;
      const h5 = 15 / (m5 - 1);
      const e5 = Array.from({ length: m5 }, (_, i) => -7.5 + i * h5);
      const sd = q.logVariance.map((v) => Math.exp(0.5 * v));
      const points5 = e5.flatMap((a) => e5.map((b) => [q.mean[0] + sd[0] * a, q.mean[1] + sd[1] * b] as [number, number]));
      const f5 = logJoint32(points5).map((lj, g) => lj - logQ(points5[g]));
      const phi = (e: number): number => Math.exp(-0.5 * e * e) / Math.sqrt(2 * Math.PI);
      const trapezoid5 = (step: number): number => {
        const w = e5.map((e, i) => (i % step === 0 ? (i === 0 || i === m5 - 1 ? 0.5 : 1) * step * h5 * phi(e) : 0));
        return f5.reduce((s, v, g) => s + w[Math.floor(g / m5)] * w[g % m5] * v, 0);
      };
      const line5 = trapezoid5(1);
      const edge5 = f5.filter((_, g) => [0, m5 - 1].includes(Math.floor(g / m5)) || [0, m5 - 1].includes(g % m5)).map((v) => Math.abs(v - line5));
      const massOutside5 = 4 * normalUpperTail(7.5);
      close(d.steps[4].value, line5, 1e-12, 0);
      close(d.steps[4].errorEstimate, 2 * Math.abs(line5 - trapezoid5(2)) + 2 * massOutside5 * Math.max(...edge5), 1e-6, 1e-15);
      expect(d.steps[4].route).toContain("trapezoid grid in q's standardised coordinates e = (z − μ)/σ (201/axis over ±7.5 sd, not q's grid)");
      // Against a float64 midpoint sum (cells of 0.02) over a box reaching 8 of q's standard deviations from its mean.
      const reach = Math.max(7, ...[0, 1].map((k) => Math.abs(q.mean[k]) + 8 * sd[k]));
      // The decoder computes in float32: 1e-6 relative, as checkDerivationChain allows.
      const reference = reference64(dec, x, q, reach, Math.ceil(reach / 0.01)).elbo;
      expect(Math.abs(d.steps[4].value - reference)).toBeLessThanOrEqual(d.steps[4].errorEstimate + 1e-6 * Math.abs(reference));
      // KL(p(z|x) ‖ q) on line 1's grid with the posterior's node masses.
      let klPq = 0;
      const p1 = r.grid.axis1.length;
      for (let k = 0; k < r.posteriorMass.length; k++) {
        if (r.posteriorMass[k] > 0) klPq += r.posteriorMass[k] * (r.logPosterior[k] - logQ([r.grid.axis0[Math.floor(k / p1)], r.grid.axis1[k % p1]]));
      }
      close(d.klPosteriorToQ!, klPq, 1e-10, 1e-12);
      expect(klPq).toBeGreaterThan(0.05);
      const reuses = [0, 1].every((k) => Math.abs(box[k][0] - g.grid.extent[k][0]) + Math.abs(box[k][1] - g.grid.extent[k][1]) < 1e-9);
      expect(reuses).toBe(q.logVariance[0] > 0);
    });
  }
});

describe('line 5 of the quadrature method where a ReLU kink crosses a narrow q', () => {
  // One ReLU unit feeds four Bernoulli logits, l = 3·relu(u − c) with u = cos(a)·z₀ + sin(a)·z₁:
  // log p(x|z) = g(u) has a kink on the line u = c. Under q, u ~ N(μ_u, s_u²), so E_q[log p(x|z)] is a
  // 1-D integral that splits at the kink into two smooth pieces (Simpson on each, float64), and the
  // ELBO adds the closed forms E_q[log N(z; 0, I)] + H(q). q is narrow (log-variances −3.5, −4.9, as
  // the digits VAE's encoder gives), its mean `shift` of u's standard deviations left of the kink.
  const kink = 0.25;
  const logVariance = [-3.5, -4.9];
  const sd = logVariance.map((v) => Math.exp(0.5 * v));
  const g = (u: number): number => {
    const l = 3 * Math.max(0, u - kink);
    return 4 * (l - (Math.max(l, 0) + Math.log1p(Math.exp(-Math.abs(l)))));
  };
  const decoderAt = (angle: number): GenerativeModel => ({
    latentSize: 2,
    logLikelihood: (x, z) => tf.tidy(() => {
      const u = tf.add(tf.mul(tf.slice(z, [0, 0], [-1, 1]), Math.cos(angle)), tf.mul(tf.slice(z, [0, 1], [-1, 1]), Math.sin(angle)));
      const logits = tf.mul(tf.relu(tf.sub(u, kink)), 3);
      return tf.sum(tf.sub(tf.mul(x, logits), tf.softplus(logits)), 1) as tf.Tensor1D;
    }),
  });
  const x = [1, 1, 1, 1];
  const simpson = (a: number, b: number, f: (e: number) => number, n = 20000): number => {
    const h = (b - a) / n;
    let s = 0;
    for (let i = 0; i <= n; i++) s += (i === 0 || i === n ? 1 : i % 2 ? 4 : 2) * f(a + i * h);
    return (s * h) / 3;
  };
  const setting = (angle: number, shift: number) => {
    const [c0, c1] = [Math.cos(angle), Math.sin(angle)];
    const su = Math.hypot(c0 * sd[0], c1 * sd[1]);
    const muU = kink - shift * su;
    const mean = [(muU - c1 * -0.4) / c0, -0.4];
    const f = (e: number): number => (Math.exp(-0.5 * e * e) / Math.sqrt(2 * Math.PI)) * g(muU + su * e);
    const reconstruction = simpson(-12, shift, f) + simpson(shift, 12, f);
    const logPrior = -Math.log(2 * Math.PI) - 0.5 * mean.reduce((s, m, k) => s + m * m + sd[k] ** 2, 0);
    const entropy = logVariance.reduce((s, v) => s + 0.5 * (1 + Math.log(2 * Math.PI) + v), 0);
    return { q: { mean, logVariance }, reconstruction, elbo: reconstruction + logPrior + entropy };
  };

  it('the former line 5, q\'s 64-node Gauss–Hermite rule, errs by more than its largest difference from the 24–48-node rules (kink 0.21 sd from the mean)', () => {
    const { q, reconstruction } = setting(0, 0.21);
    const hermite = (n: number): number => {
      const rule = gaussianRule({ mean: Float64Array.from(q.mean), logVariance: Float64Array.from(q.logVariance) }, n);
      let s = 0;
      for (let k = 0; k < rule.count; k++) s += Math.exp(rule.logWeights[k]) * g(rule.points[2 * k]);
      return s;
    };
    const fine = hermite(64);
    const error = Math.abs(fine - reconstruction);
    expect(error).toBeGreaterThan(1.5 * Math.max(...[24, 32, 40, 48].map((n) => Math.abs(hermite(n) - fine))));
    expect(error).toBeGreaterThan(3e-3);
  });

  // The kink along z₁ (parallel to the grid's columns), slanted, and steep; 25 places from 0.6 sd left
  // of q's mean to 0.6 sd right: no place is picked. The decoder computes in float32, hence the 1e-6 relative.
  for (const angle of [0, 0.3, 0.8]) {
    it(`kink at ${angle} rad, 25 places across q: line 5 is within its error estimate of the float64 ELBO, and lines 4 = 5 hold`, () => {
      let worst = 0;
      for (let k = 0; k <= 24; k++) {
        const { q, elbo } = setting(angle, -0.6 + 0.05 * k);
        const d = derivationSteps(decoderAt(angle), x, q);
        expect(Math.abs(d.steps[4].value - elbo)).toBeLessThanOrEqual(d.steps[4].errorEstimate + 1e-6 * Math.max(1, Math.abs(elbo)));
        expect(d.steps[4].errorEstimate).toBeLessThan(2e-3);
        expect(checkDerivationChain(d).find((c) => c.id === 'step4=step5')!.pass).toBe(true);
        worst = Math.max(worst, Math.abs(d.steps[4].value - elbo) / (d.steps[4].errorEstimate + 1e-6 * Math.max(1, Math.abs(elbo))));
      }
      console.log(`kink at ${angle} rad: line 5's error at most ${worst.toFixed(2)} × its allowance over 25 places`);
    });
  }
});

describe('derivationSteps defaults', () => {
  it('the method follows the model (closed form, quadrature for a 2-D latent, else Monte Carlo) and 1000 samples unless told', () => {
    const dec3 = mlpDecoder(5, 12, 8, 3);
    const x3 = dec3.sampleX(new Random(6), [0.1, 0.2]);
    const mc = derivationSteps(dec3, x3, { mean: [0, 0, 0], logVariance: [0, 0, 0] }, { random: new Random(7) });
    expect(mc.method).toBe('monteCarlo');
    expect(mc.steps[0].route).toContain('1000 samples');
    expect(mc.monteCarlo).toBeUndefined();
    expect(() => derivationSteps(dec3, x3, { mean: [0, 0, 0], logVariance: [0, 0, 0] })).toThrow(/options.random must be a Random for the 'monteCarlo' method/);
    const m = LinearGaussianModel.random(new Random(8), 3, 2);
    const x = Array.from(m.sample(new Random(9), 1));
    const q = { mean: [0.1, 0.2], logVariance: [-0.5, -0.3] };
    expect(derivationSteps(m, x, q).method).toBe('closedForm');
    expect(derivationSteps(m.asGenerativeModel(), x, q).method).toBe('quadrature');
    // A Random adds the Monte Carlo column to a deterministic method, with the samples asked for.
    const withColumn = derivationSteps(m, x, q, { random: new Random(10), samples: 50 });
    expect(withColumn.monteCarlo!.steps[0].route).toContain('50 samples');
    // Forcing Monte Carlo on the linear-Gaussian model gives that method alone.
    expect(derivationSteps(m, x, q, { method: 'monteCarlo', random: new Random(11), samples: 20 }).method).toBe('monteCarlo');
    expect(() => derivationSteps(m, x, q, { random: {} as Random })).toThrow(/derivationSteps: options.random/);
  });
});

describe('derivation details', () => {
  const m = LinearGaussianModel.random(new Random(1), 6, 3, { logVariance: Math.log(0.6) });
  const x = Array.from(m.sample(new Random(1), 1));
  const q = { mean: [0.2, -0.4, 0.1], logVariance: [-1, -0.5, -0.8] };

  it('each line carries its own LaTeX', () => {
    const d = derivationSteps(m, x, q);
    d.steps.forEach((s, i) => expect(s.latex).toBe(STEP_LATEX[i]));
    expect(STEP_LATEX).toHaveLength(7);
    expect(STEP_LATEX[3]).toMatch(/^\\geq/);
  });

  it('an encoder that throws: its error reaches the caller; a q that is null is named', () => {
    const failing: InferenceModel = { latentSize: 3, encode: () => { throw new Error('encoder broke'); } };
    expect(() => derivationSteps(m, x, failing)).toThrow('encoder broke');
    expect(() => derivationSteps(m, x, null as never)).toThrow(/derivationSteps: q/);
  });

  it('the chain\'s comparisons include equality: identical lines with zero tolerance pass', () => {
    const line = (step: number) => ({ step, latex: '', route: `r${step}`, value: -3, errorEstimate: 0, standardError: 0, method: 'closedForm' as const });
    const flat: DerivationResult = { method: 'closedForm', steps: [1, 2, 3, 4, 5, 6, 7].map(line), terms: {} as DerivationResult['terms'], klToPosterior: 0 };
    const checks = checkDerivationChain(flat, 0, 0);
    expect(checks.map((c) => [c.tolerance, c.pass])).toEqual(checks.map(() => [0, true]));
  });

  it('tensorGrid: trapezoid weights summing to the box\'s volume, the halved grid\'s too, edge nodes on the boundary, the box holding q and the posterior', () => {
    const qp = { mean: Float64Array.from([0.5, -1]), logVariance: Float64Array.from([Math.log(0.25), 0]) };
    const [postMean, postSd] = [[0, 0], [2, 0.1]];
    const n = 7;
    const grid = tensorGrid(qp, postMean, postSd, n);
    const r = normalUpperQuantile(1e-12 / 8);
    const lo = [Math.min(0.5 - r * 0.5, -r * 2), Math.min(-1 - r, -r * 0.1)];
    const hi = [Math.max(0.5 + r * 0.5, r * 2), Math.max(-1 + r, r * 0.1)];
    expect(grid.count).toBe(49);
    const volume = (hi[0] - lo[0]) * (hi[1] - lo[1]);
    const sum = (w: Float64Array): number => w.reduce((a, v) => a + Math.exp(v), 0);
    expect(sum(grid.logWeights)).toBeCloseTo(volume, 10);
    expect(sum(grid.halvedLogWeights)).toBeCloseTo(volume, 10);
    // Node k = (i, j) sits at (lo + i h, lo + j h); the edge holds the 24 nodes of the outer ring.
    const h = [0, 1].map((a) => (hi[a] - lo[a]) / (n - 1));
    for (let k = 0; k < 49; k++) {
      const [i, j] = [Math.floor(k / n), k % n];
      expect(grid.points[2 * k]).toBeCloseTo(lo[0] + i * h[0], 12);
      expect(grid.points[2 * k + 1]).toBeCloseTo(lo[1] + j * h[1], 12);
      const ring = i === 0 || j === 0 || i === n - 1 || j === n - 1;
      expect(grid.edge[k]).toBe(ring ? 1 : 0);
      const end = (v: number): number => (v === 0 || v === n - 1 ? 0.5 : 1);
      expect(Math.exp(grid.logWeights[k])).toBeCloseTo(h[0] * h[1] * end(i) * end(j), 12);
      expect(Math.exp(grid.halvedLogWeights[k])).toBeCloseTo(i % 2 || j % 2 ? 0 : 4 * h[0] * h[1] * end(i) * end(j), 12);
    }
    // Mass outside: each side's tail of the density whose box side it is (≈ 1e-12 / 8 each), the far sides far smaller.
    expect(grid.qMassOutside).toBeCloseTo(normalUpperTail((0.5 - lo[0]) / 0.5) + normalUpperTail((hi[0] - 0.5) / 0.5) + normalUpperTail((-1 - lo[1]) / 1) + normalUpperTail((hi[1] + 1) / 1), 24);
    expect(grid.posteriorMassOutside).toBeCloseTo(normalUpperTail(lo[0] / -2) + normalUpperTail(hi[0] / 2) + normalUpperTail(-lo[1] / 0.1) + normalUpperTail(hi[1] / 0.1), 24);
    expect(grid.posteriorMassOutside).toBeGreaterThan(1e-13);
    expect(() => tensorGrid(qp, postMean, postSd, 8)).toThrow('tensorGrid: n must be an odd integer ≥ 3 (the halved grid keeps both ends), got 8');
    // 1 is odd but leaves no halved grid.
    expect(() => tensorGrid(qp, postMean, postSd, 1)).toThrow('tensorGrid: n must be an odd integer ≥ 3 (the halved grid keeps both ends), got 1');
    // 3, the smallest: the halved grid is the two ends, each weighing half the box per axis.
    const three = tensorGrid(qp, postMean, postSd, 3);
    expect(Array.from(three.halvedLogWeights).filter((w) => w > -Infinity).length).toBe(2 ** qp.mean.length);
  });

  it('line 2 evaluates the decoder on a grid of its own only when q\'s grid does not hold the posterior\'s box', () => {
    const dec = mlpDecoder(7);
    const x2 = dec.sampleX(new Random(8), [0.8, -0.5]);
    const rows = (run: (d: GenerativeModel) => unknown): number => {
      let total = 0;
      run({ latentSize: 2, logLikelihood: (xs: tf.Tensor2D, zs: tf.Tensor2D) => { total += zs.shape[0]; return dec.logLikelihood(xs, zs); } });
      return total;
    };
    // Beyond quadrature2d's own grids, the derivation evaluates q's five Gauss–Hermite rules (64, 24, 32, 40, 48 per axis),
    // line 5's 201 × 201 grid and line 2's grid, if new.
    const hermite = [64, 24, 32, 40, 48].reduce((s, k) => s + k * k, 0);
    // q wide on both axes (its grid holds the posterior's box), narrow on both, wide on axis 0 only (a new grid: both axes must hold it).
    for (const [q, line2Rows] of [
      [{ mean: [1.5, 0.2], logVariance: [1.2, 1.4] }, 0], [{ mean: [0.6, -0.3], logVariance: [-1.5, -1.2] }, 151 * 151],
      [{ mean: [1.5, 0.2], logVariance: [1.2, -1.5] }, 151 * 151],
    ] as const) {
      const qq = { mean: [...q.mean], logVariance: [...q.logVariance] };
      expect(rows((d) => derivationSteps(d, x2, qq)) - rows((d) => quadrature2d(d, x2, { q: qq }))).toBe(hermite + 201 * 201 + line2Rows);
    }
  });

  it('the quadrature method\'s own decoder calls follow options.quadrature.maxRowsPerChunk: chunks of 7 rows give the same lines', () => {
    const dec = mlpDecoder(7);
    const x2 = dec.sampleX(new Random(8), [0.8, -0.5]);
    const q2 = { mean: [0.6, -0.3], logVariance: [-1.5, -1.2] };
    const calls: number[] = [];
    const counting = { latentSize: 2, logLikelihood: (xs: tf.Tensor2D, zs: tf.Tensor2D) => { calls.push(zs.shape[0]); return dec.logLikelihood(xs, zs); } };
    const whole = derivationSteps(dec, x2, q2);
    const chunked = noLeak(() => derivationSteps(counting, x2, q2, { quadrature: { maxRowsPerChunk: 7 } }));
    expect(Math.max(...calls)).toBe(7);
    // Chunks of 8 divide every Gauss–Hermite rule's rows (64², 24², 32², 40², 48²): no empty call after the last chunk.
    calls.length = 0;
    derivationSteps(counting, x2, q2, { quadrature: { maxRowsPerChunk: 8 } });
    expect(calls.filter((rows) => rows === 0)).toEqual([]);
    expect(calls.filter((rows) => rows === 8).length).toBeGreaterThan(1000);
    chunked.steps.forEach((s, i) => expect(s.value).toBeCloseTo(whole.steps[i].value, 9));
    chunked.steps.forEach((s, i) => expect(s.errorEstimate).toBeCloseTo(whole.steps[i].errorEstimate, 9));
  });
});

describe('the quadrature method\'s grid lines at the edge of the box and where the decoder rules z out', () => {
  const dec = mlpDecoder(7);
  const x = dec.sampleX(new Random(8), [0.8, -0.5]);
  const extent: [[number, number], [number, number]] = [[-3.5, 4], [-4.2, 3.1]];
  /** The MLP decoder plus `extra(z0, z1)` (tfjs), so that a test can put a spike or a wall into log p(x|z). */
  const withExtra = (extra: (z0: tf.Tensor1D, z1: tf.Tensor1D) => tf.Tensor1D): GenerativeModel => ({
    latentSize: 2,
    logLikelihood: (xs: tf.Tensor2D, zs: tf.Tensor2D) => tf.tidy(() => {
      const [z0, z1] = tf.unstack(zs, 1) as [tf.Tensor1D, tf.Tensor1D];
      return tf.add(dec.logLikelihood(xs, zs), extra(z0, z1)) as tf.Tensor1D;
    }),
  });

  it('line 4\'s truncation term takes the largest deviation on the edge of q\'s grid, whichever side holds it, and not inside', () => {
    // q = N(0, I) on a fixed 9 × 9 box leaves mass outside (so the term counts); a spike of +60 at one node makes
    // |log p(x, z) − log q − line 4| largest there: the middle of each side in turn, then the centre (not on the edge).
    const q = { mean: [0, 0], logVariance: [0, 0] };
    for (const c of [[0.25, -4.2], [0.25, 3.1], [-3.5, -0.55], [4, -0.55], [0.25, -0.55]]) {
      const spiked = withExtra((z0, z1) => tf.mul(60, tf.exp(tf.div(tf.add(tf.square(tf.sub(z0, c[0])), tf.square(tf.sub(z1, c[1]))), -0.05))) as tf.Tensor1D);
      const options = { extent, pointsPerAxis: 9 };
      const d = derivationSteps(spiked, x, q, { quadrature: options });
      const g = quadrature2d(spiked, x, { ...options, q }).q!;
      expect(g.massOutsideBox).toBeGreaterThan(1e-3);
      const line4 = line4OnQGrid(g);
      expect(d.steps[3].value).toBeCloseTo(line4.value, 10);
      expect(Math.abs(d.steps[3].errorEstimate - line4.error)).toBeLessThanOrEqual(1e-9 * line4.error);
    }
  });

  it('line 5\'s truncation term takes the largest deviation on the edge of its own grid, whichever side holds it', () => {
    // Line 5's grid: 201 nodes per axis at e = −7.5, −7.425, …, 7.5 of q's standard deviations; q's mass outside
    // is 4 P(Z > 7.5) ≈ 1.3e-13, so a spike of 1e9 nats at the middle of one side (e = ±7.5 on one axis, 0 on the
    // other) makes the truncation term 2 · 1.3e-13 · 1e9 ≈ 2.6e-4, far above the grid term (the spike's node weighs ~5e-16).
    const q = { mean: [0.3, -0.2], logVariance: [-1, -1.5] };
    const sd = q.logVariance.map((v) => Math.exp(0.5 * v));
    const truncation = 2 * 4 * normalUpperTail(7.5) * 1e9;
    const plain = derivationSteps(dec, x, q).steps[4].errorEstimate;
    expect(plain).toBeLessThan(1e-5);
    for (const [e0, e1] of [[-7.5, 0], [7.5, 0], [0, -7.5], [0, 7.5]]) {
      const c = [q.mean[0] + sd[0] * e0, q.mean[1] + sd[1] * e1];
      const spiked = withExtra((z0, z1) => tf.mul(1e9, tf.exp(tf.div(tf.add(tf.square(tf.sub(z0, c[0])), tf.square(tf.sub(z1, c[1]))), -1e-5))) as tf.Tensor1D);
      const line5 = derivationSteps(spiked, x, q).steps[4];
      expect(line5.errorEstimate, `spike at e = (${e0}, ${e1})`).toBeGreaterThan(0.99 * truncation);
      expect(line5.errorEstimate, `spike at e = (${e0}, ${e1})`).toBeLessThan(1.01 * truncation + 1e-5);
    }
  });

  it('a decoder that rules out z0 > 2.5 (log p(x|z) = −∞) where q has no mass leaves every line and KL(p(z|x) ‖ q) finite', () => {
    // q's mass underflows to exactly 0 beyond z0 = 2.5 (3.5 sd of 0.05 away: log q < −2000), so 0 · (−∞) must not be formed.
    const walled = withExtra((z0) => tf.where(tf.greater(z0, 2.5), tf.fill(z0.shape, -Infinity), tf.zerosLike(z0)) as tf.Tensor1D);
    const q = { mean: [-1, 0], logVariance: [-6, -6] };
    const d = derivationSteps(walled, x, q, { quadrature: { extent, pointsPerAxis: 41 } });
    for (const step of d.steps) expect(Number.isFinite(step.value), `line ${step.step}`).toBe(true);
    expect(Number.isFinite(d.klPosteriorToQ!)).toBe(true);
  });
});

describe('effectiveSampleSize', () => {
  it('(Σw)² / Σw² from log weights, shifted by the largest so that weights of e^1000 do not overflow', () => {
    expect(effectiveSampleSize([0, 0, 0, 0])).toBeCloseTo(4, 14);
    expect(effectiveSampleSize([1000, 1000 + Math.log(3)])).toBeCloseTo(16 / 10, 12);
    expect(effectiveSampleSize([Math.log(2), 0, -Infinity])).toBeCloseTo(9 / 5, 14);
  });
});
