import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import type { DiagonalGaussian } from '../../src/distributions/gaussian';
import { LinearGaussianModel } from '../../src/exact/linearGaussian';
import { checkDerivationChain, DerivationResult, derivationSteps } from '../../src/exact/derivation';
import type { InferenceModel } from '../../src/objectives/types';
import { useBackend } from '../distributions/testUtils';
import { mlpDecoder, reference64 } from './mlpDecoder';

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
    expect(Math.abs(d.steps[3].value - ref.elbo)).toBeLessThan(d.steps[3].errorEstimate + 1e-4);
    expect(d.klToPosterior!).toBeGreaterThan(0.05);
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
