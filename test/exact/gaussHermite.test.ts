import { describe, expect, it } from 'vitest';
import { gaussHermite, gaussianRule } from '../../src/exact/gaussHermite';

describe('gaussHermite', () => {
  it('the 3-point rule is 0, ±√(3/2) with weights 2√π/3, √π/6', () => {
    const r = gaussHermite(3);
    expect(Array.from(r.nodes)).toEqual([expect.closeTo(-Math.sqrt(1.5), 14), 0, expect.closeTo(Math.sqrt(1.5), 14)]);
    const w = Array.from(r.logWeights, Math.exp);
    expect(w[1]).toBeCloseTo((2 * Math.sqrt(Math.PI)) / 3, 14);
    expect(w[0]).toBeCloseTo(Math.sqrt(Math.PI) / 6, 14);
    expect(w[2]).toBeCloseTo(Math.sqrt(Math.PI) / 6, 14);
  });

  it('integrates e^{−t²} t^k exactly up to k = 2n − 1 (moments Γ((k+1)/2)), but not t^{2n}', () => {
    const moment = (k: number): number => (k % 2 === 1 ? 0 : Math.sqrt(Math.PI) * Array.from({ length: k / 2 }, (_, i) => (2 * i + 1) / 2).reduce((a, b) => a * b, 1));
    for (const n of [1, 2, 5, 12, 40]) {
      const r = gaussHermite(n);
      const sum = (k: number): number => r.nodes.reduce((s, t, i) => s + Math.exp(r.logWeights[i]) * t ** k, 0);
      for (let k = 0; k <= Math.min(2 * n - 1, 20); k++) expect(sum(k)).toBeCloseTo(moment(k), 9 - Math.floor(k / 3));
      if (n <= 5) expect(Math.abs(sum(2 * n) - moment(2 * n))).toBeGreaterThan(1e-3);
    }
  });

  it('64 and 150 nodes: sorted, symmetric, weights sum to √π, E[exp(t²/2 − t)] to 1e-12', () => {
    for (const n of [64, 150]) {
      const r = gaussHermite(n);
      for (let i = 1; i < n; i++) expect(r.nodes[i]).toBeGreaterThan(r.nodes[i - 1]);
      for (let i = 0; i < n; i++) expect(r.nodes[i]).toBeCloseTo(-r.nodes[n - 1 - i], 12);
      const w = Array.from(r.logWeights, Math.exp);
      expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(Math.sqrt(Math.PI), 13);
      // ∫ e^{−t²} e^{t²/2 − t} dt = √(2π) e^{1/2}: a fast-growing integrand like p/q for a narrow q.
      const value = r.nodes.reduce((s, t, i) => s + w[i] * Math.exp(t * t / 2 - t), 0);
      expect(value / (Math.sqrt(2 * Math.PI) * Math.exp(0.5)) - 1).toBeLessThan(1e-12);
    }
    expect(() => gaussHermite(0)).toThrow(/gaussHermite: n/);
  });

  it('gaussianRule: expectations under N(μ, diag σ²) — mean, variance, and E[z₀² z₁²] exactly', () => {
    const q = { mean: Float64Array.from([0.5, -1]), logVariance: Float64Array.from([Math.log(4), Math.log(0.25)]) };
    const rule = gaussianRule(q, 6);
    expect(rule.count).toBe(36);
    const e = (f: (z0: number, z1: number) => number): number => {
      let s = 0;
      for (let k = 0; k < rule.count; k++) s += Math.exp(rule.logWeights[k]) * f(rule.points[2 * k], rule.points[2 * k + 1]);
      return s;
    };
    expect(e(() => 1)).toBeCloseTo(1, 14);
    expect(e((a) => a)).toBeCloseTo(0.5, 13);
    expect(e((_, b) => b)).toBeCloseTo(-1, 13);
    expect(e((a) => (a - 0.5) ** 2)).toBeCloseTo(4, 12);
    expect(e((a, b) => a * a * b * b)).toBeCloseTo((4 + 0.25) * (0.25 + 1), 12);
  });
});
