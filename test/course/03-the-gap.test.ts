import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { LinearGaussianModel } from '../../src/exact/linearGaussian';
import { quadrature2d } from '../../src/exact/quadrature2d';
import { Vae } from '../../src/models/vae';
import { binaryPatterns } from '../../src/data/synthetic';
import type { DiagonalGaussian } from '../../src/distributions/gaussian';
import { estimateElbo } from '../../src/objectives/elbo';
import { elboByCubature } from '../../src/exact/adaptiveCubature2d';
import {
  quadratureGap, quadratureGaps, withFreshEncoder, importanceWeightedCurve, posteriorHeatmapTraces,
  digitGaps, digitNames, posteriorsFigure, vaeGapRows, vaeGapTable, averageOverDigits, shiftedEncoder, candidateEncoders,
  linearGapRows, linearGapTable, gapAlongShiftFigure, trackedEpochs, jointTrainingFigure, jointTrainingTable, encoderCheckpoints,
  encoderOnlyExperiment, encoderOnlyFigure, encoderOnlyTable, largestIdentityExcess, encoderOnlyTrade, importanceWeightedFigure,
  worstStepInStandardErrors, gapClosedByBound, claimSpecs, EncoderCheckpoint, EpochGaps, ImportanceWeightedPoint, QuadratureGaps,
  sampledKlScores, engineElbo, EngineElbo, largestGapMismatch, gapNonnegativeCheck, evidenceBySampling, evidenceTable,
  largestEvidenceMismatch, stepHoldsForAnySample, LinearGapRow,
} from '../../src/course/03-the-gap';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

function noLeak<T>(f: () => T): T {
  const before = tf.memory().numTensors;
  const out = f();
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

/** A linear-Gaussian decoder with an encoder that returns a fixed q for every row (a 2-D "VAE"). */
function linearVae(model: LinearGaussianModel, q: { mean: number[]; logVariance: number[] }) {
  const decoder = model.asGenerativeModel();
  return {
    latentSize: 2,
    logLikelihood: decoder.logLikelihood.bind(decoder),
    encode(x: tf.Tensor2D): DiagonalGaussian {
      const n = x.shape[0];
      return {
        mean: tf.tensor2d(Array.from({ length: n }, () => q.mean)),
        logVariance: tf.tensor2d(Array.from({ length: n }, () => q.logVariance)),
      };
    },
  };
}

describe('the gap by quadrature', () => {
  const random = new Random(11);
  const model = LinearGaussianModel.random(random, 5, 2, { logVariance: Math.log(0.5) });
  const x = Float32Array.from(model.sample(random, 1));
  const q = { mean: [0.4, -0.3], logVariance: [-1.2, -0.5] };

  it('KL to the grid posterior equals the closed-form KL(q ‖ p(z|x)) and log p(x) − ELBO', () => {
    const gap = noLeak(() => quadratureGap(model.asGenerativeModel(), x, q));
    const exactKl = model.klToPosterior(x, q);
    const slack = 2e-6 * Math.abs(model.logMarginal(x)); // float32 decoder
    expect(Math.abs(gap.klToPosterior - exactKl)).toBeLessThan(gap.gapError + slack);
    expect(Math.abs(gap.logMarginal - gap.elbo - (model.logMarginal(x) - model.elbo(x, q).elbo))).toBeLessThan(gap.gapError + slack);
    expect(exactKl).toBeGreaterThan(0.05); // not a trivial q
  });

  it('quadratureGaps averages the per-example gaps of the encoder q', () => {
    const vae = linearVae(model, q);
    const rows = Float32Array.from([...x, ...Float32Array.from(model.sample(new Random(3), 1))]);
    const gaps = noLeak(() => quadratureGaps(vae, { values: rows, count: 2, features: 5 }, { pointsPerAxis: 81 }));
    expect(gaps.perExample).toHaveLength(2);
    gaps.perExample.forEach((g, i) => {
      const xi = rows.subarray(i * 5, (i + 1) * 5);
      expect(Math.abs(g.klToPosterior - model.klToPosterior(xi, q))).toBeLessThan(g.gapError + 1e-4);
    });
    expect(gaps.mean.klToPosterior).toBeCloseTo((gaps.perExample[0].klToPosterior + gaps.perExample[1].klToPosterior) / 2, 12);
    expect(() => quadratureGaps({ ...vae, latentSize: 3 }, { values: rows, count: 2, features: 5 })).toThrow(/latentSize must be 2/);
  });
});

describe('importanceWeightedCurve', () => {
  const r = new Random(21);
  const m = LinearGaussianModel.random(r, 4, 2, { orthogonalColumns: true, logVariance: Math.log(0.5) });
  const values = Float32Array.from(m.sample(r, 2));
  const x = () => tf.tensor2d(values, [2, 4]);

  it('with q = prior: L_1 is the closed-form ELBO, L_k grows toward log p(x) and stays below it', () => {
    const xs = x();
    const prior: DiagonalGaussian = { mean: tf.zeros([2, 2]), logVariance: tf.zeros([2, 2]) };
    const curve = noLeak(() => importanceWeightedCurve(prior, m.asGenerativeModel(), xs, new Random(3), [1, 10, 1000], 20000));
    tf.dispose([xs, prior.mean, prior.logVariance]);
    const rows = [values.subarray(0, 4), values.subarray(4, 8)];
    const elbo = rows.map((v) => m.elbo(v, { mean: [0, 0], logVariance: [0, 0] }).elbo);
    const evidence = rows.map((v) => m.logMarginal(v));
    const mean = (a: number[]) => (a[0] + a[1]) / 2;
    expect(curve.map((p) => p.replicates)).toEqual([20000, 2000, 20]);
    expect(Math.abs(curve[0].mean - mean(elbo))).toBeLessThan(4 * curve[0].standardError + 1e-5);
    expect(curve[1].mean).toBeGreaterThan(curve[0].mean);
    expect(curve[2].mean).toBeGreaterThan(curve[1].mean - 4 * Math.hypot(curve[1].standardError, curve[2].standardError));
    expect(curve[2].mean).toBeLessThan(mean(evidence) + 4 * curve[2].standardError + 1e-5);
    expect(mean(evidence) - mean(elbo)).toBeGreaterThan(0.1); // the prior is a poor q here
  });

  it('with q = the exact posterior every weight is p(x): L_k = log p(x) for all k', () => {
    const xs = x();
    const post = [values.subarray(0, 4), values.subarray(4, 8)].map((v) => m.posteriorMarginals(v));
    const q: DiagonalGaussian = {
      mean: tf.tensor2d(post.map((p) => Array.from(p.mean))), logVariance: tf.tensor2d(post.map((p) => Array.from(p.logVariance))),
    };
    const curve = importanceWeightedCurve(q, m.asGenerativeModel(), xs, new Random(4), [1, 50], 200);
    tf.dispose([xs, q.mean, q.logVariance]);
    curve.forEach((p) => p.perExample.forEach((v, i) => {
      const exact = m.logMarginal(values.subarray(4 * i, 4 * i + 4));
      expect(Math.abs(v - exact)).toBeLessThan(1e-4 * Math.max(1, Math.abs(exact)));
    }));
  });

  it('validates k against the pool', () => {
    const xs = x();
    const prior: DiagonalGaussian = { mean: tf.zeros([2, 2]), logVariance: tf.zeros([2, 2]) };
    expect(() => importanceWeightedCurve(prior, m.asGenerativeModel(), xs, new Random(3), [60], 100)).toThrow(/two replicates/);
    expect(() => importanceWeightedCurve(prior, m.asGenerativeModel(), xs, new Random(3), [], 100)).toThrow(/ks must be/);
    tf.dispose([xs, prior.mean, prior.logVariance]);
  });
});

describe('withFreshEncoder', () => {
  const config = { inputSize: 16, latentSize: 2, hiddenSizes: [8] };

  it('withFreshEncoder keeps the decoder and takes a new encoder from the random generator', () => {
    const trained = new Vae(config, new Random(1));
    const fresh = withFreshEncoder(trained, new Random(2));
    const reference = new Vae(config, new Random(2));
    const nEncoder = trained.encoderNetwork.variables().length;
    const [a, b, c] = [trained.getWeights(), fresh.getWeights(), reference.getWeights()];
    for (let i = 0; i < a.length; i++) expect(Array.from(b[i])).toEqual(Array.from(i < nEncoder ? c[i] : a[i]));
    [trained, fresh, reference].forEach((v) => v.dispose());
  });
});

describe('display helpers', () => {
  it('posteriorHeatmapTraces: grids of the right size, q contours peaked at q.mean', () => {
    const r = new Random(9);
    const m = LinearGaussianModel.random(r, 5, 2);
    const xs = Float32Array.from(m.sample(r, 1));
    const q = { mean: [0.2, -0.1], logVariance: [-1, -1] };
    const res = quadrature2d(m.asGenerativeModel(), xs, { q, pointsPerAxis: 41, pilotPointsPerAxis: 21 });
    const [heat, contour] = posteriorHeatmapTraces(res, q, { x: 'x2', y: 'y2' }, 2) as Array<{ x: number[]; y: number[]; z: number[][]; xaxis: string }>;
    expect(heat.x).toHaveLength(21);
    expect(heat.z).toHaveLength(21);
    expect(heat.xaxis).toBe('x2');
    let best = [0, 0];
    contour.z.forEach((row, j) => row.forEach((v, i) => { if (v > contour.z[best[0]][best[1]]) best = [j, i]; }));
    expect(Math.abs(contour.x[best[1]] - q.mean[0])).toBeLessThanOrEqual(res.grid.spacing[0] * 2);
    expect(Math.abs(contour.y[best[0]] - q.mean[1])).toBeLessThanOrEqual(res.grid.spacing[1] * 2);
  });
});

describe('(a) the linear-Gaussian section', () => {
  const random = new Random(31);
  const model = LinearGaussianModel.random(random, 6, 2, { orthogonalColumns: true, logVariance: Math.log(0.5) });
  const x = model.sample(random, 1);
  const posterior = model.posterior(x);
  /** KL between diagonal Gaussians, written out: ½ Σ [σq²/σp² + (μq − μp)²/σp² − 1 + log σp² − log σq²]. */
  const klDiagonal = (q: { mean: number[]; logVariance: number[] }) => q.mean.reduce((s, m, j) => {
    const vp = Math.exp(posterior.logVariance[j]), vq = Math.exp(q.logVariance[j]);
    return s + 0.5 * (vq / vp + (m - posterior.mean[j]) ** 2 / vp - 1 + posterior.logVariance[j] - q.logVariance[j]);
  }, 0);

  it('shiftedEncoder moves the mean by posterior standard deviations and scales the variance', () => {
    const q = shiftedEncoder(posterior, [1, -2], 4);
    const sd = Array.from(posterior.logVariance, (lv) => Math.sqrt(Math.exp(lv)));
    expect(q.mean[0]).toBeCloseTo(posterior.mean[0] + sd[0], 12);
    expect(q.mean[1]).toBeCloseTo(posterior.mean[1] - 2 * sd[1], 12);
    q.logVariance.forEach((lv, j) => expect(Math.exp(lv)).toBeCloseTo(4 * Math.exp(posterior.logVariance[j]), 12));
    expect(() => shiftedEncoder(posterior, [1], 1)).toThrow(/shift must have length 2/);
  });

  it('candidateEncoders: the true posterior first, the prior last', () => {
    const c = candidateEncoders(posterior);
    expect(c.map((e) => e.name)).toHaveLength(5);
    expect(c[0].q.mean).toEqual(Array.from(posterior.mean));
    expect(c[0].q.logVariance).toEqual(Array.from(posterior.logVariance));
    expect(c[4].q).toEqual({ mean: [0, 0], logVariance: [0, 0] });
  });

  it('linearGapRows: the gap, the closed-form KL and the sampled KL agree with the KL written out', () => {
    const rows = linearGapRows(model, x, candidateEncoders(posterior), new Random(5), 4000);
    expect(Math.abs(rows[0].gapByDifference)).toBeLessThan(1e-9);
    rows.forEach((r, i) => {
      const expected = klDiagonal(candidateEncoders(posterior)[i].q);
      expect(r.gapByDifference).toBeCloseTo(expected, 8);
      expect(r.klClosedForm).toBeCloseTo(expected, 10);
      if (i > 0) expect(Math.abs(r.klSampled.value - expected)).toBeLessThan(4 * r.klSampled.standardError);
    });
    expect(rows[1].gapByDifference).toBeCloseTo(0.5, 8); // one posterior sd off in one coordinate: ½ nat
    const table = linearGapTable(rows, model.logMarginal(x));
    expect(table.rows).toHaveLength(5);
    expect(table.rows[0]).toHaveLength(table.headers.length);
    expect(table.caption).toContain(model.logMarginal(x).toFixed(4));
    expect(() => linearGapRows(model, x, [], new Random(1), 10)).toThrow(/candidates/);
  });

  it('sampledKlScores: SE units, and at q = posterior (SE 0) agreement to 1e-9 or an infinite score', () => {
    const row = (gap: number, value: number, standardError: number): LinearGapRow =>
      ({ name: '', gapByDifference: gap, klClosedForm: gap, klSampled: { value, standardError } });
    const [a, b, c, d] = sampledKlScores([row(0.5, 0.53, 0.01), row(0, 1e-12, 0), row(0, 3e-9, 0), row(1, 0.98, 0.01)]);
    expect(a).toBeCloseTo(3, 10);
    expect([b, c]).toEqual([0, Infinity]);
    expect(d).toBeCloseTo(2, 10);
    const rows = linearGapRows(model, x, candidateEncoders(posterior), new Random(6), 2000);
    const scores = sampledKlScores(rows);
    expect(scores[0]).toBe(0); // q = posterior: both routes give 0 to rounding
    expect(Math.max(...scores)).toBeLessThan(4);
    expect(Math.max(...scores)).toBeGreaterThan(0);
  });

  it('gapAlongShiftFigure: the gap curve is zero at shift 0 with the posterior width, and the markers lie on it', () => {
    const figure = gapAlongShiftFigure(model, x);
    expect(figure.data).toHaveLength(6);
    const [line, markers] = [figure.data[2], figure.data[3]] as Array<{ x: number[]; y: number[] }>; // variance × 1
    expect(Math.abs(line.y[20])).toBeLessThan(1e-9);
    markers.x.forEach((s, i) => expect(markers.y[i]).toBeCloseTo(line.y[line.x.indexOf(s)], 8));
    expect(Math.min(...line.y)).toBeGreaterThanOrEqual(-1e-9);
  });
});

describe('(b) the digits section', () => {
  const random = new Random(41);
  const model = LinearGaussianModel.random(random, 5, 2, { logVariance: Math.log(0.5) });
  const rows = Float32Array.from(model.sample(random, 2));
  const q = { mean: [0.3, -0.2], logVariance: [-0.8, -1.1] };
  const vae = linearVae(model, q);
  const data = { values: rows, count: 2, features: 5 };
  const slack = (v: number) => 2e-6 * Math.max(1, Math.abs(v)); // float32 decoder
  const engineOf = (perExample: number[], se: number[]): EngineElbo => ({
    perExample: Float64Array.from(perExample), perExampleStandardError: Float64Array.from(se), mean: 0, standardError: 0, samples: 100, batches: 10 });

  it('digitGaps: the encoder q of each row; log p(x) by the grid and the KL by cubature each equal the closed forms', () => {
    const gaps = noLeak(() => digitGaps(vae, data, { pointsPerAxis: 81 }));
    gaps.forEach((g, i) => {
      const xi = rows.subarray(5 * i, 5 * i + 5);
      expect(Array.from(g.q.mean)).toEqual(q.mean.map((v) => Math.fround(v)));
      expect(Array.from(g.q.logVariance)).toEqual(q.logVariance.map((v) => Math.fround(v)));
      expect(g.result.q).toBeUndefined(); // the grid of the left side is the posterior's alone
      expect(Math.abs(g.logMarginal - model.logMarginal(xi))).toBeLessThan(g.logMarginalError + slack(g.logMarginal));
      expect(Math.abs(g.cubature.kl - model.klToPosterior(xi, q))).toBeLessThan(g.cubature.errorEstimate + slack(g.logMarginal));
      expect(Math.abs(g.cubature.logMarginal.logMarginal - model.logMarginal(xi))).toBeLessThan(g.cubature.logMarginal.errorEstimate.total + slack(g.logMarginal));
    });
    const figure = posteriorsFigure(gaps, digitNames([3, 7]));
    expect(figure.data).toHaveLength(4);
    expect(figure.data.map((t) => t.xaxis)).toEqual(['x', 'x', 'x2', 'x2']);
    expect((figure.layout!.xaxis2 as { title: { text: string } }).title.text).toContain('#2 (a 7)');
    expect(() => posteriorsFigure(gaps, ['one'])).toThrow(/names/);
    const avg = averageOverDigits(gaps);
    expect(avg.logMarginal).toBeCloseTo((gaps[0].logMarginal + gaps[1].logMarginal) / 2, 12);
    expect(avg.elbo).toBeCloseTo((gaps[0].cubature.elbo.elbo + gaps[1].cubature.elbo.elbo) / 2, 12);
    expect(avg.largestElboError).toBe(Math.max(gaps[0].cubature.elbo.errorEstimate.total, gaps[1].cubature.elbo.errorEstimate.total));
  });

  it('vaeGapRows: left = log p(x) − ELBO, right = the cubature KL, tolerance = 4 SE + both errors + float32', () => {
    const gaps = digitGaps(vae, data, { pointsPerAxis: 41 });
    const r = vaeGapRows(gaps, engineOf([-7, -8], [0.1, 0.2]), ['a', 'b']);
    expect(r[1].left).toBeCloseTo(gaps[1].logMarginal + 8, 12);
    expect(r[1].right).toBe(gaps[1].cubature.kl);
    expect(r[0].leftSlack).toBeCloseTo(0.4 + gaps[0].logMarginalError + 1e-6 * Math.abs(gaps[0].logMarginal), 12);
    expect(r[0].tolerance).toBeCloseTo(r[0].leftSlack + gaps[0].cubature.errorEstimate, 12);
    const table = vaeGapTable(r);
    expect(table.rows[1][2]).toBe('-8.000 ± 0.200');
    expect(table.rows[1]).toHaveLength(table.headers.length);
    expect(() => vaeGapRows(gaps, engineOf([-7, -8], [0.1, 0.2]), ['a'])).toThrow(/one entry per digit/);
    // The exact ELBO makes the two sides agree; an ELBO off by 3 × the tolerance does not.
    const exactElbo = [0, 1].map((i) => model.elbo(rows.subarray(5 * i, 5 * i + 5), q).elbo);
    expect(largestGapMismatch(vaeGapRows(gaps, engineOf(exactElbo, [0.01, 0.01]), ['a', 'b']))).toBeLessThan(1);
    const off = vaeGapRows(gaps, engineOf([exactElbo[0], exactElbo[1] - 0.2], [0.01, 0.01]), ['a', 'b']);
    expect(largestGapMismatch(off)).toBeGreaterThan(3);
  });

  it('gapNonnegativeCheck: every digit\'s gap ≥ −its slack', () => {
    const gaps = digitGaps(vae, data, { pointsPerAxis: 41 });
    const ok = gapNonnegativeCheck(vaeGapRows(gaps, engineOf([gaps[0].logMarginal - 0.3, gaps[1].logMarginal + 0.03], [0.01, 0.01]), ['a', 'b']));
    expect(ok.holds).toBe(true);
    expect(ok.measured).toMatch(/^smallest gap -0\.0300 nats \(digit b\)/);
    const bad = gapNonnegativeCheck(vaeGapRows(gaps, engineOf([gaps[0].logMarginal - 0.3, gaps[1].logMarginal + 0.1], [0.01, 0.01]), ['a', 'b']));
    expect(bad.holds).toBe(false);
  });

  it('evidenceBySampling: importance sampling agrees with the exact log p(x) within its tolerance', () => {
    const gaps = digitGaps(vae, data, { pointsPerAxis: 41 });
    const ev = noLeak(() => evidenceBySampling(vae, data, gaps, ['a', 'b'], new Random(7), 4000));
    ev.forEach((e, i) => {
      const exact = model.logMarginal(rows.subarray(5 * i, 5 * i + 5));
      expect(Math.abs(e.sampled.logMarginal - exact)).toBeLessThan(4 * e.sampled.standardError + slack(exact));
      expect(e.tolerance).toBeCloseTo(4 * e.sampled.standardError + e.gridError + e.sampled.standardError ** 2, 12);
      expect(e.sampled.effectiveSampleSize).toBeGreaterThan(1000);
    });
    expect(largestEvidenceMismatch(ev)).toBeLessThan(1);
    expect(largestEvidenceMismatch([{ ...ev[0], grid: ev[0].sampled.logMarginal + 2 * ev[0].tolerance }])).toBeCloseTo(2, 12);
    expect(evidenceTable(ev).rows).toHaveLength(2);
    expect(() => evidenceBySampling(vae, data, gaps.slice(1), ['a'], new Random(7), 10)).toThrow(/one entry per row/);
  });

  it('digitNames', () => {
    expect(digitNames(Uint8Array.from([4, 0]))).toEqual(['#1 (a 4)', '#2 (a 0)']);
  });
});

describe('engineElbo', () => {
  it('the training objective\'s ELBO agrees with the cubature ELBO of the same q and with estimateElbo, and does not leak', () => {
    const vae = new Vae({ inputSize: 16, latentSize: 2, hiddenSizes: [8] }, new Random(3));
    const data = binaryPatterns({ count: 2, features: 16, prototypes: 2 }, new Random(8));
    const x = tf.tensor2d(data.values, [2, 16]);
    const before = tf.memory().numTensors;
    const e = engineElbo(vae, x, new Random(4), 4000, 40);
    expect(tf.memory().numTensors).toBe(before);
    const q = vae.encode(x);
    const [mean, logVariance] = [q.mean.arraySync(), q.logVariance.arraySync()];
    tf.dispose([q.mean, q.logVariance]);
    for (let i = 0; i < 2; i++) {
      const reference = elboByCubature(vae, data.values.subarray(16 * i, 16 * i + 16), { mean: mean[i], logVariance: logVariance[i] });
      expect(Math.abs(e.perExample[i] - reference.elbo)).toBeLessThan(4 * e.perExampleStandardError[i] + reference.errorEstimate.total + 1e-4);
    }
    const other = estimateElbo(vae, vae, x, new Random(5), 4000);
    expect(Math.abs(e.mean - other.batchMean.elbo)).toBeLessThan(4 * Math.hypot(e.standardError, other.batchMean.elboStandardError));
    expect(e.standardError).toBeGreaterThan(0);
    expect(() => engineElbo(vae, x, new Random(4), 1000, 3)).toThrow(/multiple of batches/);
    x.dispose();
    vae.dispose();
  });
});

/** Quadrature gaps whose means are the given numbers (what the figures and tables read). */
function gapsWith(mean: Partial<QuadratureGaps['mean']>): QuadratureGaps {
  return { perExample: [], mean: { logMarginal: -100, elbo: -110, klToPosterior: 10, gapError: 0.01, ...mean } };
}

describe('joint training', () => {
  it('trackedEpochs: powers of two up to 64, and the last epoch', () => {
    expect([...trackedEpochs(25)]).toEqual([1, 2, 4, 8, 16, 25]);
    expect([...trackedEpochs(100)]).toEqual([1, 2, 4, 8, 16, 32, 64, 100]);
    expect([...trackedEpochs(3)]).toEqual([1, 2, 3]);
    expect(() => trackedEpochs(0)).toThrow(/totalEpochs/);
  });

  it('jointTrainingTable counts the intervals in which the gap rose; the figure puts the gap on the right axis', () => {
    const history: EpochGaps[] = [5, 3, 4, 6].map((kl, epoch) => ({ epoch, gaps: gapsWith({ klToPosterior: kl }) }));
    const table = jointTrainingTable(history);
    expect(table.caption).toContain('the gap rose in 2 of 3 intervals');
    expect(table.rows.map((r) => r[3])).toEqual(['5.000', '3.000', '4.000', '6.000']);
    const figure = jointTrainingFigure(history);
    expect(figure.data.map((t) => t.yaxis)).toEqual([undefined, undefined, 'y2']);
    expect(figure.data[2].y).toEqual([5, 3, 4, 6]);
  });
});

describe('encoder only', () => {
  const checkpoint = (epoch: number, elbo: number, se: number, kl: number, logMarginal: number): EncoderCheckpoint =>
    ({ epoch, logMarginal, logMarginalError: 0.02, elbo, elboSe: se, kl, klError: 0.03 });

  it('encoderCheckpoints', () => {
    expect(encoderCheckpoints(3)).toEqual([0, 1, 2, 3]);
    expect(encoderCheckpoints(16)).toEqual([0, 1, 2, 4, 8, 16]);
    expect(encoderCheckpoints(20)).toEqual([0, 1, 2, 4, 8, 16, 20]);
    expect(() => encoderCheckpoints(0)).toThrow(/epochs/);
  });

  it('largestIdentityExcess and encoderOnlyTrade', () => {
    const history = [checkpoint(0, -130, 0.5, 30, -100), checkpoint(20, -104, 0.3, 5.2, -100)];
    // |−130 + 30 + 100| / … = 0; |−104 + 5.2 + 100| / (1.2 + 0.02 + 0.03 + 1e-4) = 1.2 / 1.2501
    expect(largestIdentityExcess(history)).toBeCloseTo(1.2 / 1.2501, 12);
    const trade = encoderOnlyTrade(history);
    expect(trade.elboGain.mean).toBeCloseTo(26, 12);
    expect(trade.elboGain.standardError).toBeCloseTo(Math.sqrt(0.25 + 0.09), 12);
    expect(trade.gapFall).toBeCloseTo(24.8, 12);
    expect(trade.gapFallError).toBeCloseTo(0.06 + 1e-6 * 234, 12);
    const table = encoderOnlyTable(history);
    expect(table.rows[1]).toEqual([20, '-100.0000', '-104.000 ± 0.300', '5.200', '-98.800']);
    expect(encoderOnlyFigure(history).data[2].y).toEqual([-130, -105.2]);
    expect(encoderOnlyFigure(history).data).toHaveLength(3);
    expect(() => encoderOnlyTrade([history[0]])).toThrow(/two checkpoints/);
  });

  it('encoderOnlyExperiment: θ fixed, so log p(x) stays put, ELBO + KL = log p(x) at every checkpoint, the ELBO rises as the KL falls; the model is not touched', async () => {
    const data = binaryPatterns({ count: 256, features: 16, prototypes: 4 }, new Random(8));
    const vae = new Vae({ inputSize: 16, latentSize: 2, hiddenSizes: [8] }, new Random(3));
    const before = vae.getWeights();
    const tracked = { values: data.values.slice(0, 2 * 16), count: 2, features: 16 };
    const xTracked = tf.tensor2d(tracked.values, [2, 16]);
    const tensors = tf.memory().numTensors;
    const history = await encoderOnlyExperiment(vae, data, {
      epochs: 3, encoderRandom: new Random(4), seed: 5, elboRandom: new Random(6), batchSize: 32, learningRate: 3e-3,
      tracked, xTracked, grid: { pointsPerAxis: 41, pilotPointsPerAxis: 21 }, elboSamples: 400,
    });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(history.map((h) => h.epoch)).toEqual([0, 1, 2, 3]);
    const evidence = history.map((h) => h.logMarginal);
    expect(Math.max(...evidence) - Math.min(...evidence)).toBe(0); // the same decoder, the same grid
    expect(largestIdentityExcess(history)).toBeLessThanOrEqual(1);
    const trade = encoderOnlyTrade(history);
    expect(trade.elboGain.mean).toBeGreaterThan(4 * trade.elboGain.standardError);
    expect(trade.gapFall).toBeGreaterThan(0);
    expect(Math.abs(trade.elboGain.mean - trade.gapFall)).toBeLessThan(4 * trade.elboGain.standardError + trade.gapFallError);
    vae.getWeights().forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(before[i])));
    await expect(encoderOnlyExperiment(vae, data, { epochs: 0, encoderRandom: new Random(4), seed: 5, elboRandom: new Random(6),
      tracked, xTracked, grid: {} })).rejects.toThrow(/options.epochs/);
    await expect(encoderOnlyExperiment(vae, data, { epochs: 1, encoderRandom: new Random(4), seed: 5, elboRandom: new Random(6),
      tracked, xTracked, grid: {}, cubatureEvidence: [] })).rejects.toThrow(/one log Ẑ per tracked digit \(2\)/);
    xTracked.dispose();
    vae.dispose();
  });
});

describe('the importance-weighted bound section', () => {
  const point = (k: number, mean: number, standardError: number): ImportanceWeightedPoint =>
    ({ k, replicates: 2, mean, standardError, perExample: new Float64Array(0), perExampleStandardError: new Float64Array(0) });

  it('stepHoldsForAnySample: k\' a multiple of k, both groups covering the same draws', () => {
    const p = (k: number, replicates: number) => ({ ...point(k, 0, 0.1), replicates });
    expect(stepHoldsForAnySample(p(1, 100), p(2, 50))).toBe(true);
    expect(stepHoldsForAnySample(p(2, 50), p(5, 20))).toBe(false);
    expect(stepHoldsForAnySample(p(10, 10), p(20, 4))).toBe(false); // 100 draws vs 80: not the same draws
  });

  it('worstStepInStandardErrors: the most negative step in combined SE, over the steps that are not nested', () => {
    const p = (k: number, mean: number) => ({ ...point(k, mean, 0.1), replicates: 100 / k });
    // 1 → 2, 2 → 4 and 5 → 20 are nested (a fall there cannot happen with a real pool, so it is not looked at); 4 → 5 is open
    const curve = [p(1, 0), p(2, -1), p(4, 1), p(5, 0.5), p(20, 0.2)];
    const steps = worstStepInStandardErrors(curve);
    expect(steps.worst).toBeCloseTo(-0.5 / Math.sqrt(0.02), 12);
    expect(steps).toMatchObject({ checked: 1, nested: 3 });
    expect(() => worstStepInStandardErrors([p(1, 0), p(2, 1)])).toThrow(/nothing to check/);
    expect(() => worstStepInStandardErrors([curve[0]])).toThrow(/two points/);
  });

  it('gapClosedByBound: L_K − an independent ELBO against 4 combined SE, and the fraction of the gap closed', () => {
    const closing = gapClosedByBound([point(1, -10, 0.1), point(5000, -9, 0.1)], -8, { mean: -10, standardError: 0.1 });
    expect(closing.measured).toBe('L₅₀₀₀ − ELBO = 1.000 nats, 50% of the gap log p(x) − ELBO = 2.000');
    expect(closing.criterion).toBe('L₅₀₀₀ − ELBO > 4·SE = 0.566');
    expect(closing.holds).toBe(true);
    expect(gapClosedByBound([point(1, -10, 0.5), point(5000, -9, 0.5)], -8, { mean: -10, standardError: 0.5 }).holds).toBe(false);
  });

  it('importanceWeightedFigure: L_k with ± 2 SE and two horizontal lines across the k range', () => {
    const figure = importanceWeightedFigure([point(1, -10, 0.1), point(50, -9, 0.2)], -8, -10.1);
    expect(figure.data[0].error_y).toMatchObject({ array: [0.2, 0.4] });
    expect(figure.data[1]).toMatchObject({ x: [1, 50], y: [-8, -8] });
    expect(figure.data[2]).toMatchObject({ x: [1, 50], y: [-10.1, -10.1] });
  });
});

describe('claimSpecs', () => {
  it('eighteen claims of §3 with distinct ids, each naming its two routes', () => {
    const specs = Object.values(claimSpecs);
    expect(specs).toHaveLength(18);
    expect(new Set(specs.map((s) => s.id)).size).toBe(18);
    specs.forEach((s) => {
      expect(s.section).toBe('§3');
      expect(s.routes).toMatch(/^A: .+ \/ B: .+/s);
    });
  });
});
