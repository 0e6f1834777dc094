import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { LinearGaussianModel } from '../../src/exact/linearGaussian';
import { jensenAlongPath, jensenArms, jensenFigure, linearGaussianLogWeight, sampleJensenGap } from '../../src/experiments/jensen';

beforeAll(async () => { await tf.setBackend('cpu'); await tf.ready(); });

const LOG_2PI = Math.log(2 * Math.PI);

describe('sampleJensenGap', () => {
  it('matches a direct computation for moderate log weights', () => {
    const logWeights = [-1.2, 0.3, 2.5, -0.4];
    const w = logWeights.map(Math.exp);
    const direct = Math.log(w.reduce((s, v) => s + v, 0) / w.length) - logWeights.reduce((s, v) => s + v, 0) / logWeights.length;
    const r = sampleJensenGap(logWeights);
    expect(r.gap).toBeCloseTo(direct, 12);
    expect(r.count).toBe(4);
    expect(r.logMeanWeight - r.meanLogWeight).toBeCloseTo(direct, 12);
  });

  it('is stable for log weights near ±1000 (weights 1 and 3 shifted)', () => {
    const expected = Math.log(2) - 0.5 * Math.log(3);
    for (const shift of [1000, -1000]) {
      const r = sampleJensenGap([shift, shift + Math.log(3)]);
      expect(Math.abs(r.gap - expected)).toBeLessThan(1e-9);
      expect(Math.abs(r.logMeanWeight - (shift + Math.log(2)))).toBeLessThan(1e-9);
    }
  });

  it('is zero for equal weights and non-negative for random ones', () => {
    expect(sampleJensenGap([-5, -5, -5]).gap).toBe(0);
    const random = new Random(3);
    for (let t = 0; t < 20; t++) {
      const lw = Array.from({ length: 50 }, () => -100 + 5 * random.normal());
      expect(sampleJensenGap(lw).gap).toBeGreaterThanOrEqual(0);
    }
  });

  it('rejects empty and non-finite input with a message naming the function', () => {
    expect(() => sampleJensenGap([])).toThrow(/sampleJensenGap: logWeights/);
    expect(() => sampleJensenGap([0, NaN])).toThrow(/sampleJensenGap: logWeights must contain finite numbers/);
  });
});

describe('jensenAlongPath on a linear-Gaussian model with a diagonal posterior', () => {
  const random = new Random(11);
  const model = LinearGaussianModel.random(random, 8, 2, { logVariance: Math.log(0.3), scale: 0.4, orthogonalColumns: true });
  const x = Array.from(model.sample(random, 1));
  const path = [
    { meanShift: 0, logVarianceShift: 0 }, { meanShift: 1, logVarianceShift: 0 }, { meanShift: 2, logVarianceShift: 0 },
    { meanShift: 0, logVarianceShift: -1 }, { meanShift: 0, logVarianceShift: 1 }, { meanShift: 0.5, logVarianceShift: 0.5 },
  ];
  const points = jensenAlongPath(model, x, path, new Random(12), 3000);

  it('log E_q[w] is log p(x) (dense Cholesky route) at every q', () => {
    const logPx = model.logMarginalDense(x);
    for (const p of points) expect(Math.abs(p.logExpectedWeight - logPx)).toBeLessThan(1e-9);
  });

  it('the drop equals KL(q ‖ p(z|x)) by the model\'s own (M-matrix) route and by the diagonal closed form', () => {
    for (const p of points) {
      expect(Math.abs(p.drop - model.klToPosterior(x, p.q))).toBeLessThan(1e-9);
      expect(Math.abs(p.drop - p.klToPosterior)).toBeLessThan(1e-9);
      expect(p.drop).toBeGreaterThan(-1e-12);
    }
    // Hand value: δ = 2 in both coordinates, variance unchanged: ½·2·δ² = 4.
    expect(points[2].drop).toBeCloseTo(4, 9);
  });

  it('q = posterior: the drop and the sampled gap are zero', () => {
    expect(Math.abs(points[0].drop)).toBeLessThan(1e-9);
    expect(points[0].sampled.gap).toBeLessThan(1e-9);
    expect(points[0].sampled.effectiveSampleSize).toBeCloseTo(3000, 6);
  });

  it('sampled sides estimate the exact ones (mean log weight within 5 SE; log mean weight not above by 5 SE)', () => {
    for (const p of points.slice(1)) {
      expect(p.sampled.meanLogWeightStandardError).toBeGreaterThan(0);
      expect(Math.abs(p.sampled.meanLogWeight - p.expectedLogWeight)).toBeLessThan(5 * p.sampled.meanLogWeightStandardError);
      expect(p.sampled.logMeanWeight).toBeLessThan(p.logExpectedWeight + 5 * p.sampled.logMeanWeightStandardError);
      expect(p.sampled.gap).toBeGreaterThan(0);
    }
  });

  it('q is built from the posterior as documented', () => {
    const post = model.posterior(x);
    const p = points[5];
    for (let j = 0; j < 2; j++) {
      expect(p.q.mean[j]).toBeCloseTo(post.mean[j] + 0.5 * Math.exp(0.5 * post.logVariance[j]), 12);
      expect(p.q.logVariance[j]).toBeCloseTo(post.logVariance[j] + 0.5, 12);
    }
  });

  it('is reproducible for a seed', () => {
    const again = jensenAlongPath(model, x, path, new Random(12), 3000);
    expect(again.map((p) => p.sampled.logMeanWeight)).toEqual(points.map((p) => p.sampled.logMeanWeight));
  });

  it('refuses a model whose posterior is not diagonal, and bad arguments', () => {
    const r = new Random(4);
    const correlated = LinearGaussianModel.random(r, 6, 2, { logVariance: Math.log(0.3) });
    const xc = Array.from(correlated.sample(r, 1));
    expect(correlated.posterior(xc).maxAbsCorrelation).toBeGreaterThan(1e-6);
    expect(() => jensenAlongPath(correlated, xc, path, new Random(1), 10)).toThrow(/jensenAlongPath: model's posterior must be diagonal/);
    expect(() => jensenAlongPath(model, x, [], new Random(1), 10)).toThrow(/jensenAlongPath: perturbations/);
    expect(() => jensenAlongPath(model, x, [{ meanShift: NaN, logVarianceShift: 0 }], new Random(1), 10)).toThrow(/perturbations\[0\]\.meanShift/);
    expect(() => jensenAlongPath(model, x, path, new Random(1), 1)).toThrow(/jensenAlongPath: samples/);
    expect(() => jensenAlongPath(model, [1, 2], path, new Random(1), 10)).toThrow(/jensenAlongPath: x/);
  });
});

describe('linearGaussianLogWeight', () => {
  const random = new Random(21);
  const model = LinearGaussianModel.random(random, 5, 2, { logVariance: Math.log(0.5), orthogonalColumns: true });
  const x = Array.from(model.sample(random, 1));

  it('equals log p(x) for every z when q is the posterior (Bayes)', () => {
    const post = model.posteriorMarginals(x);
    for (let t = 0; t < 5; t++) {
      const z = [random.normal(), random.normal()];
      expect(Math.abs(linearGaussianLogWeight(model, x, post, z) - model.logMarginal(x))).toBeLessThan(1e-10);
    }
  });

  it('equals log p(x) + log p(z|x) − log q(z) for another q', () => {
    const post = model.posteriorMarginals(x);
    const q = { mean: Float64Array.from([0.3, -0.2]), logVariance: Float64Array.from([-0.5, 0.4]) };
    const z = [0.7, -1.1];
    const logN = (v: number, m: number, lv: number): number => -0.5 * (LOG_2PI + lv + (v - m) ** 2 / Math.exp(lv));
    const expected = model.logMarginal(x) + [0, 1].reduce((s, j) => s + logN(z[j], post.mean[j], post.logVariance[j]) - logN(z[j], q.mean[j], q.logVariance[j]), 0);
    expect(Math.abs(linearGaussianLogWeight(model, x, q, z) - expected)).toBeLessThan(1e-10);
  });
});

describe('jensenArms and jensenFigure', () => {
  const random = new Random(31);
  const model = LinearGaussianModel.random(random, 6, 2, { orthogonalColumns: true });
  const x = Array.from(model.sample(random, 1));
  const points = jensenAlongPath(model, x, [
    { meanShift: 1, logVarianceShift: 0 }, { meanShift: 0, logVarianceShift: 0 }, { meanShift: 0, logVarianceShift: -1 }, { meanShift: 0, logVarianceShift: 1 },
  ], new Random(1), 100);

  it('splits the path into sorted arms that share the posterior point', () => {
    const arms = jensenArms(points);
    expect(arms.meanShift.map((p) => p.meanShift)).toEqual([0, 1]);
    expect(arms.logVarianceShift.map((p) => p.logVarianceShift)).toEqual([-1, 0, 1]);
  });

  it('builds two panels with titled axes, in both modes', () => {
    const sides = jensenFigure(points, 'sides');
    expect(sides.data).toHaveLength(8);
    const drop = jensenFigure(points, 'drop');
    expect(drop.data).toHaveLength(4);
    for (const f of [sides, drop]) {
      for (const axis of ['xaxis', 'yaxis', 'xaxis2', 'yaxis2']) expect((f.layout![axis] as { title: { text: string } }).title.text).toBeTruthy();
    }
    expect(drop.data[0].y).toEqual([points[1].drop, points[0].drop]);
    expect(() => jensenFigure(points, 'other' as 'drop')).toThrow(/jensenFigure: show/);
  });
});
