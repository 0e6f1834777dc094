import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { LinearGaussianModel } from '../../src/exact/linearGaussian';
import { quadrature2d } from '../../src/exact/quadrature2d';
import { checkDerivationChain, derivationSteps, DerivationResult } from '../../src/exact/derivation';
import { estimateElbo } from '../../src/objectives/elbo';
import { Vae } from '../../src/models/vae';
import type { ImageSet } from '../../src/data/matrix';
import {
  AGE_OF_UNIVERSE_SECONDS, claimSpecs, countedDerivationSteps, countingDecoder, decoderTimings, derivationChainFigure,
  derivationRelationClaims, derivationStepRows, derivationStepTable, describeJensenDrops, digitRow, dropGrowsAwayFromPosterior,
  excessOverTolerance, formatDuration, gridCost, gridCosts, gridCostTable, gridPointCount, intractabilityInWords, JensenPoint,
  jensenAlongPath, jensenArms, jensenFigure, jensenPath, jensenStandardScores, lineSevenByTheEngine, lineSevenMath, lineSevenTable,
  lineThreeBySampling, linearGaussianLogWeight, logMeanCheckInWords, logMeanWeightCheck, mergeChainChecks, weightRelativeVariance, pointAtPosterior, posteriorVersusQTable, relationTable, sampleJensenGap, shiftedPosterior,
  stepUncertainty, timeDecoderEvaluations,
} from '../../src/course/02-derivation';

beforeAll(async () => { await tf.setBackend('cpu'); await tf.ready(); });

const LOG_2PI = Math.log(2 * Math.PI);

// ---------------------------------------------------------------------------------------------
describe('the q of the derivation and the tables of the two models', () => {
  const random = new Random(41);
  const model = LinearGaussianModel.random(random, 6, 2, { logVariance: Math.log(0.3), orthogonalColumns: true });
  const x = Array.from(model.sample(random, 1));
  const posterior = model.posterior(x);

  it('shiftedPosterior moves the mean by posterior SDs and scales the variance by e^shift', () => {
    const q = shiftedPosterior(posterior, 1, Math.log(0.5));
    for (let j = 0; j < 2; j++) {
      const sd = Math.sqrt(Math.exp(posterior.logVariance[j]));
      expect(q.mean[j]).toBeCloseTo(posterior.mean[j] + sd, 12);
      expect(Math.exp(q.logVariance[j])).toBeCloseTo(0.5 * Math.exp(posterior.logVariance[j]), 12);
    }
    expect(Array.isArray(q.mean)).toBe(true);
    // By the closed form of KL between diagonal Gaussians: ½ Σ (r + δ² − 1 − log r) with δ = 1, r = ½.
    expect(model.klToPosterior(x, q)).toBeCloseTo(0.5 * 2 * (0.5 + 1 - 1 - Math.log(0.5)), 9);
    expect(() => shiftedPosterior(posterior, NaN, 0)).toThrow(/shiftedPosterior: meanShift/);
    expect(() => shiftedPosterior({ mean: [0, 1], logVariance: [0] } as never, 0, 0)).toThrow(/shiftedPosterior: posterior.logVariance must have length 2/);
  });

  it('posteriorVersusQTable lists mean and log σ² of both, per coordinate', () => {
    const q = shiftedPosterior(posterior, 1, Math.log(0.5));
    const t = posteriorVersusQTable(posterior, q);
    expect(t.headers).toEqual(['', 'z₁', 'z₂']);
    expect(t.rows).toEqual([
      ['posterior mean', posterior.mean[0], posterior.mean[1]],
      ['posterior log σ²', posterior.logVariance[0], posterior.logVariance[1]],
      ['q mean', q.mean[0], q.mean[1]],
      ['q log σ²', q.logVariance[0], q.logVariance[1]],
    ]);
    expect(t.caption).toContain('max |correlation| of the posterior');
    expect(() => posteriorVersusQTable(posterior, { mean: [0], logVariance: [0] })).toThrow(/posteriorVersusQTable: q.mean/);
  });

  it('digitRow is one row of the image set', () => {
    const digits = { name: 't', rows: 1, cols: 3, count: 2, features: 3, labels: Uint8Array.from([4, 7]), values: Float32Array.from([0, 1, 0, 1, 1, 0]) };
    expect(Array.from(digitRow(digits, 1))).toEqual([1, 1, 0]);
    expect(() => digitRow(digits, 2)).toThrow(/digitRow: index must be an integer in \[0, 1\]/);
  });
});

// ---------------------------------------------------------------------------------------------
describe('the seven lines: tables, TeX and the chart', () => {
  const random = new Random(8);
  const model = LinearGaussianModel.random(random, 6, 2, { logVariance: Math.log(0.4) });
  const x = Array.from(model.sample(random, 1));
  const q = { mean: [0.1, -0.3], logVariance: [-1, -0.7] };
  const exact = derivationSteps(model, x, q, { random: new Random(9), samples: 500 });
  const sampled = exact.monteCarlo!;

  it('derivationStepRows: one row per series with the line\'s value and route', () => {
    const rows = derivationStepRows(4, [{ name: 'exact', result: exact }, { name: 'sampled', result: sampled }]);
    expect(rows).toHaveLength(2);
    // Line 4 of the linear-Gaussian column is a float64 grid expectation under q: its stated error is shown.
    expect(rows[0]).toEqual(['exact', exact.steps[3].value, `error ≈ ${exact.steps[3].errorEstimate.toPrecision(2)} (stated)`, exact.steps[3].route]);
    expect(derivationStepRows(5, [{ name: 'exact', result: exact }])[0][2]).toBe('exact (float64)');
    expect(rows[1][1]).toBe(sampled.steps[3].value);
    expect(rows[1][2]).toBe(`± ${(4 * sampled.steps[3].standardError).toPrecision(2)} (4 SE)`);
    expect(stepUncertainty({ ...exact.steps[0], method: 'quadrature', errorEstimate: 1.5e-5 })).toBe('error ≈ 0.000015 (stated)');
    const t = derivationStepTable(4, [{ name: 'exact', result: exact }]);
    expect(t.caption).toBe('Line 4');
    expect(t.headers).toHaveLength(4);
    expect(t.rows[0]).toEqual(rows[0]);
  });

  it('validates the step and the series', () => {
    expect(() => derivationStepRows(8, [{ name: 'a', result: exact }])).toThrow(/derivationStepRows: step/);
    expect(() => derivationStepRows(1, [])).toThrow(/derivationStepRows: series/);
  });

  it('lineSevenMath writes reconstruction − KL = line 7 ≤ line 1 with the values', () => {
    const tex = lineSevenMath(exact, 8);
    const show = (v: number) => v.toFixed(4).replace(/\.?0+$/, '');
    expect(tex).toContain(`\\underbrace{${show(exact.terms.reconstruction.value)}}_{\\text{reconstruction}}`);
    expect(tex).toContain(`\\underbrace{${show(exact.terms.klToPrior.value)}}`);
    expect(tex).toContain(`= ${show(exact.steps[6].value)}\\ \\text{nats}`);
    expect(tex).toContain(`\\log p_\\theta(x) = ${show(exact.steps[0].value)}\\ \\text{nats (digit 8)}`);
  });

  it('derivationChainFigure: one panel per model with titled axes and the Jensen drop annotated', () => {
    const f = derivationChainFigure([{ name: 'exact', result: exact }, { name: 'sampled', result: sampled }], 'chain');
    expect(f.data).toHaveLength(2);
    expect(f.data[0].y).toEqual(exact.steps.map((s) => s.value));
    expect(f.data[1].xaxis).toBe('x2');
    for (const axis of ['xaxis', 'yaxis', 'xaxis2', 'yaxis2']) expect((f.layout![axis] as { title: { text: string } }).title.text).toBeTruthy();
    const notes = f.layout!.annotations as { text: string }[];
    expect(notes[0].text).toContain((exact.steps[2].value - exact.steps[3].value).toPrecision(3));
    // Error bars: 4 SE for sampled lines, the stated error for quadrature lines (2–4), none for closed forms.
    expect((f.data[0].error_y as { array: number[] }).array).toEqual(exact.steps.map((s) => (s.method === 'quadrature' ? s.errorEstimate : 0)));
    expect((f.data[0].error_y as { array: number[] }).array[4]).toBe(0);
    expect((f.data[1].error_y as { array: number[] }).array[3]).toBeCloseTo(4 * sampled.steps[3].standardError, 12);
  });
});

// ---------------------------------------------------------------------------------------------
describe('step 1 is intractable: counted and timed decoder evaluations', () => {
  const random = new Random(5);
  const model = LinearGaussianModel.random(random, 4, 2, { logVariance: Math.log(0.5) });
  const x = Array.from(model.sample(random, 1));

  it('countingDecoder counts the z rows of every call and returns the inner values', () => {
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

  it('countingDecoder sees exactly points² evaluations for a quadrature on a fixed box (no pilot, no q)', () => {
    const counter = countingDecoder(model.asGenerativeModel());
    quadrature2d(counter.decoder, x, { extent: [[-4, 4], [-4, 4]], pointsPerAxis: 31 });
    expect(counter.evaluations()).toBe(31 * 31);
    expect(() => countingDecoder({} as never)).toThrow(/countingDecoder: decoder/);
  });

  it('countedDerivationSteps gives the lines of the plain decoder, the evaluations it took, and a time', () => {
    const q = { mean: [0.2, -0.1], logVariance: [-0.5, -0.3] };
    const plain = derivationSteps(model.asGenerativeModel(), x, q);
    const counted = countedDerivationSteps(model.asGenerativeModel(), x, q);
    expect(counted.result.method).toBe('quadrature');
    expect(counted.result.steps.map((s) => s.value)).toEqual(plain.steps.map((s) => s.value));
    // At least the evidence grid and the grids over q: more than one 2-D grid of nodes.
    expect(counted.evaluations).toBeGreaterThan(2 * 31 * 31);
    expect(counted.seconds).toBeGreaterThan(0);
  });

  it('n^d nodes, and time = count × seconds per evaluation, in words', () => {
    expect(gridPointCount(151, 2)).toBe(22801);
    expect(gridPointCount(10, 20)).toBe(1e20);
    expect(Math.abs(gridPointCount(151, 20) / 3.7978599519566e43 - 1)).toBeLessThan(1e-12);
    expect(() => gridPointCount(0, 2)).toThrow(/gridPointCount: pointsPerAxis/);
    expect(() => gridPointCount(10, 1.5)).toThrow(/gridPointCount: latentSize/);
    const c = gridCost(3, 10, 2e-5);
    expect(c.evaluations).toBe(1000);
    expect(c.seconds).toBeCloseTo(0.02, 15);
    expect(c.readable).toBe('20 ms');
    expect(gridCost(20, 151, 2e-5).seconds).toBeGreaterThan(AGE_OF_UNIVERSE_SECONDS);
    expect(() => gridCost(2, 10, -1)).toThrow(/gridCost: secondsPerEvaluation/);
  });

  it('gridCosts uses the timing of the same latent size when measured, else the first', () => {
    const timings = [
      { latentSize: 2, rows: 1, repeats: 1, secondsPerEvaluation: 1e-5 },
      { latentSize: 20, rows: 1, repeats: 1, secondsPerEvaluation: 3e-5 },
    ];
    const costs = gridCosts([1, 2, 20], 10, timings);
    expect(costs.map((c) => c.secondsPerEvaluation)).toEqual([1e-5, 1e-5, 3e-5]);
    expect(costs[2].seconds).toBe(1e20 * 3e-5);
    expect(() => gridCosts([], 10, timings)).toThrow(/gridCosts: latentSizes/);
    // The words: the largest grid against the age of the universe, and 10 nodes per axis for scale.
    const words = intractabilityInWords(costs[2], timings[1]);
    expect(words).toContain(`20-D grid: ${costs[2].readable} = ${(1e20 * 3e-5 / AGE_OF_UNIVERSE_SECONDS).toExponential(1)} × the age of the universe`);
    expect(words).toContain(`even 10 nodes per axis would need 1e20 evaluations = ${formatDuration(1e20 * 3e-5)}`);
    // The table: the measured quadrature first, then one row per grid.
    const table = gridCostTable({ result: {} as DerivationResult, evaluations: 72124, seconds: 4.6 }, costs);
    expect(table.rows).toHaveLength(4);
    expect(table.rows[0].slice(2)).toEqual(['72,124', (4.6 / 72124).toExponential(2), '4.6 s (measured, with bookkeeping)']);
    expect(table.rows[3]).toEqual(['20', '10 nodes per axis', '1.00e+20', '3.00e-5', `${costs[2].readable} (estimate)`]);
    expect(table.rows[2][2]).toBe('100');
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

  it('timeDecoderEvaluations reports a positive finite time per row and leaves no tensors', () => {
    const before = tf.memory().numTensors;
    const t = timeDecoderEvaluations(model.asGenerativeModel(), x, new Random(1), 64, 3);
    expect(tf.memory().numTensors).toBe(before);
    expect(t.latentSize).toBe(2);
    expect(t.rows).toBe(64);
    expect(t.repeats).toBe(3);
    expect(Number.isFinite(t.secondsPerEvaluation)).toBe(true);
    expect(t.secondsPerEvaluation).toBeGreaterThan(0);
    expect(() => timeDecoderEvaluations(model.asGenerativeModel(), x, new Random(1), 0)).toThrow(/timeDecoderEvaluations: rows/);
    expect(() => timeDecoderEvaluations(model.asGenerativeModel(), [], new Random(1))).toThrow(/timeDecoderEvaluations: x/);
    expect(() => timeDecoderEvaluations(model.asGenerativeModel(), x, {} as Random)).toThrow(/timeDecoderEvaluations: random/);
  });

  it('decoderTimings times the given decoder and an untrained one with a large latent, leaving no tensors', () => {
    const vae = new Vae({ inputSize: 4, latentSize: 2, hiddenSizes: [3], likelihood: 'bernoulli' }, new Random(2));
    const before = tf.memory().numTensors;
    const timings = decoderTimings(vae, [0, 1, 1, 0], new Random(3), 5);
    expect(tf.memory().numTensors).toBe(before);
    expect(timings.map((t) => t.latentSize)).toEqual([2, 5]);
    for (const t of timings) expect(t.secondsPerEvaluation).toBeGreaterThan(0);
    vae.dispose();
  });
});

// ---------------------------------------------------------------------------------------------
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

  it('is zero for equal weights; for random ones the unclamped sides obey Jensen', () => {
    expect(sampleJensenGap([-5, -5, -5]).gap).toBe(0);
    const random = new Random(3);
    for (let t = 0; t < 20; t++) {
      const lw = Array.from({ length: 50 }, () => -100 + 5 * random.normal());
      const r = sampleJensenGap(lw);
      // The two sides themselves (not the clamped gap): log of the mean ≥ mean of the logs.
      expect(r.logMeanWeight - r.meanLogWeight).toBeGreaterThan(0);
      expect(r.gap).toBe(r.logMeanWeight - r.meanLogWeight);
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

  it('q = posterior: the drop and the sampled gap are zero, and every log weight is log p(x)', () => {
    expect(Math.abs(points[0].drop)).toBeLessThan(1e-9);
    expect(points[0].sampled.gap).toBeLessThan(1e-9);
    expect(points[0].sampled.maxDeviationFromLogEvidence).toBeLessThan(1e-9);
    expect(points[0].weightRelativeVariance).toBe(0);
    // Away from the posterior the weights spread: the largest deviation is far above rounding.
    expect(points[1].sampled.maxDeviationFromLogEvidence).toBeGreaterThan(0.5);
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

  it('weightRelativeVariance: the closed form matches a 1-D quadrature of N(0,1)²/N(δ,r), and is ∞ for r ≤ ½', () => {
    for (const [delta, r] of [[0, 1], [1, 1], [0.5, 2], [1.2, 0.8], [0.3, 0.6]]) {
      let rho = 0;
      const h = 0.001;
      for (let u = -12; u <= 12; u += h) {
        const p = Math.exp(-0.5 * u * u) / Math.sqrt(2 * Math.PI);
        const qd = Math.exp(-0.5 * (u - delta) ** 2 / r) / Math.sqrt(2 * Math.PI * r);
        rho += (h * p * p) / qd;
      }
      expect(weightRelativeVariance(delta, r, 1)).toBeCloseTo(rho - 1, 6);
      expect(weightRelativeVariance(delta, r, 2)).toBeCloseTo(rho * rho - 1, 5);
    }
    expect(weightRelativeVariance(1, 1, 2)).toBeCloseTo(Math.exp(2) - 1, 12);   // χ² of a unit shift: e^{δ²} per coordinate
    expect(weightRelativeVariance(0, 0.5, 2)).toBe(Infinity);
    expect(weightRelativeVariance(0, 0.3, 2)).toBe(Infinity);
    for (const p of points) expect(p.weightRelativeVariance).toBeCloseTo(weightRelativeVariance(p.meanShift, Math.exp(p.logVarianceShift), 2), 12);
    expect(() => weightRelativeVariance(0, 0, 2)).toThrow(/weightRelativeVariance: varianceRatio/);
  });

  it('logMeanWeightCheck: two-sided scores with the exact SE and bias where the weights are tame; the rest left out', () => {
    const check = logMeanWeightCheck(points, 3000);
    // Eligible: q = posterior, δ = 1 (V = e² − 1), Δ = 1, (0.5, 0.5); left out: δ = 2 (V = e⁸ − 1), Δ = −1 (r = e⁻¹ ≤ ½).
    expect(check.eligible.map((p) => [p.meanShift, p.logVarianceShift])).toEqual([[0, 0], [1, 0], [0, 1], [0.5, 0.5]]);
    expect(check.excluded.map((e) => [e.point.meanShift, e.point.logVarianceShift])).toEqual([[2, 0], [0, -1]]);
    expect(Number.isNaN(check.excluded[1].score)).toBe(true);
    const p = points[1];
    const v = Math.exp(2) - 1;
    expect(check.scores[1]).toBeCloseTo((p.sampled.logMeanWeight - p.logExpectedWeight + v / 6000) / Math.sqrt(v / 3000), 10);
    expect(check.scores[0]).toBe(0);
    expect(check.worst).toBe(Math.max(...check.scores.map(Math.abs)));
    expect(check.worst).toBeLessThan(5);
    // Too LOW fails as well as too high: a log-mean 6 SE below log p(x) gives |score| > 5.
    const low = { ...p, sampled: { ...p.sampled, logMeanWeight: p.logExpectedWeight - 6 * Math.sqrt(v / 3000) } };
    expect(logMeanWeightCheck([low], 3000).worst).toBeGreaterThan(5);
    const high = { ...p, sampled: { ...p.sampled, logMeanWeight: p.logExpectedWeight + 6 * Math.sqrt(v / 3000) } };
    expect(logMeanWeightCheck([high], 3000).worst).toBeGreaterThan(5);
    expect(logMeanCheckInWords(check)).toMatch(/^worst \|score\| .* exact SE over 4 of 6 q's; left out \(not claimed\): 1 with V > 9 or r ≤ ⅔, lowest score .*, 1 with V = ∞$/);
    expect(() => logMeanWeightCheck([], 10)).toThrow(/logMeanWeightCheck: points/);
  });

  it('q is built from the posterior as documented (shiftedPosterior)', () => {
    const post = model.posterior(x);
    const p = points[5];
    for (let j = 0; j < 2; j++) {
      expect(p.q.mean[j]).toBeCloseTo(post.mean[j] + 0.5 * Math.exp(0.5 * post.logVariance[j]), 12);
      expect(p.q.logVariance[j]).toBeCloseTo(post.logVariance[j] + 0.5, 12);
    }
    const shifted = shiftedPosterior(post, 0.5, 0.5);
    expect(Array.from(p.q.mean)).toEqual(shifted.mean);
    expect(Array.from(p.q.logVariance)).toEqual(shifted.logVariance);
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

describe('the Jensen path: arms, checks, words and figures', () => {
  const random = new Random(31);
  const model = LinearGaussianModel.random(random, 6, 2, { orthogonalColumns: true });
  const x = Array.from(model.sample(random, 1));
  const points = jensenAlongPath(model, x, jensenPath([1, 0, 2, 3], [-1, 1]), new Random(1), 100);

  it('jensenPath lists the mean arm, then the variance arm', () => {
    expect(jensenPath([0, 1], [-1])).toEqual([
      { meanShift: 0, logVarianceShift: 0 }, { meanShift: 1, logVarianceShift: 0 }, { meanShift: 0, logVarianceShift: -1 },
    ]);
    expect(() => jensenPath([NaN], [])).toThrow(/jensenPath: meanShifts/);
  });

  it('jensenArms splits the path into sorted arms that share the posterior point', () => {
    const arms = jensenArms(points);
    expect(arms.meanShift.map((p) => p.meanShift)).toEqual([0, 1, 2, 3]);
    expect(arms.logVarianceShift.map((p) => p.logVarianceShift)).toEqual([-1, 0, 1]);
    expect(pointAtPosterior(points)).toBe(points[1]);
    expect(() => pointAtPosterior(points.slice(2))).toThrow(/pointAtPosterior: points must include q = the posterior/);
  });

  it('describeJensenDrops gives δ² at δ = 1, 2, 3 and e^Δ − 1 − Δ at Δ = ±1 (L = 2)', () => {
    expect(describeJensenDrops(jensenArms(points))).toBe(
      `drop at δ = 1, 2, 3: 1, 4, 9 nats; at Δ = ±1: ${(Math.exp(-1)).toFixed(4)}, ${(Math.E - 2).toFixed(4)} nats`);
    expect(() => describeJensenDrops(jensenArms(points.slice(0, 2)))).toThrow(/describeJensenDrops: arms.meanShift must include meanShift = 2/);
  });

  it('dropGrowsAwayFromPosterior holds for the exact drops and fails when one step does not grow', () => {
    const arms = jensenArms(points);
    expect(dropGrowsAwayFromPosterior(arms.meanShift, 'meanShift')).toBe(true);
    expect(dropGrowsAwayFromPosterior(arms.logVarianceShift, 'logVarianceShift')).toBe(true);
    const flat = arms.meanShift.map((p) => (p.meanShift === 3 ? { ...p, drop: arms.meanShift[2].drop } : p));
    expect(dropGrowsAwayFromPosterior(flat, 'meanShift')).toBe(false);
    // The side below the posterior is checked on its own: a drop that falls going to Δ = −1 fails.
    const falling = arms.logVarianceShift.map((p) => (p.logVarianceShift === -1 ? { ...p, drop: -1 } : p));
    expect(dropGrowsAwayFromPosterior(falling, 'logVarianceShift')).toBe(false);
    expect(() => dropGrowsAwayFromPosterior(arms.meanShift, 'drop' as never)).toThrow(/dropGrowsAwayFromPosterior: shift/);
  });

  it('jensenStandardScores: (sampled − exact)/SE with sign, 0 where the difference is within 1e-9', () => {
    const fake = (meanLog: number, exactElbo: number, seMeanLog: number, logMean: number, logPx: number, seLogMean: number): JensenPoint => ({
      ...points[0], expectedLogWeight: exactElbo, logExpectedWeight: logPx,
      sampled: { ...points[0].sampled, meanLogWeight: meanLog, meanLogWeightStandardError: seMeanLog, logMeanWeight: logMean, logMeanWeightStandardError: seLogMean },
    });
    const scores = jensenStandardScores([fake(-10.5, -10, 0.25, -3.2, -3, 0.1), fake(-5 + 1e-10, -5, 0, -3 - 1e-10, -3, 0)]);
    expect(scores.meanLogWeight[0]).toBeCloseTo(-2, 12);
    expect(scores.logMeanWeight[0]).toBeCloseTo(-2, 12);
    expect(scores.meanLogWeight[1]).toBe(0);
    expect(scores.logMeanWeight[1]).toBe(0);
  });

  it('jensenFigure builds two panels with titled axes, in both modes', () => {
    const sides = jensenFigure(points, 'sides');
    expect(sides.data).toHaveLength(8);
    const drop = jensenFigure(points, 'drop');
    expect(drop.data).toHaveLength(4);
    for (const f of [sides, drop]) {
      for (const axis of ['xaxis', 'yaxis', 'xaxis2', 'yaxis2']) expect((f.layout![axis] as { title: { text: string } }).title.text).toBeTruthy();
    }
    expect(drop.data[0].y).toEqual(jensenArms(points).meanShift.map((p) => p.drop));
    expect(() => jensenFigure(points, 'other' as 'drop')).toThrow(/jensenFigure: show/);
  });
});

// ---------------------------------------------------------------------------------------------
describe('the relations of the chain as claims', () => {
  const random = new Random(8);
  const model = LinearGaussianModel.random(random, 6, 2, { logVariance: Math.log(0.4) });
  const x = Array.from(model.sample(random, 1));
  const q = { mean: [0.1, -0.3], logVariance: [-1, -0.7] };
  const exact = derivationSteps(model, x, q, { random: new Random(9), samples: 500 });

  it('mergeChainChecks keeps the worst example of each relation and fails when any example fails', () => {
    const good = checkDerivationChain(exact, 4, 1e-9);
    const worse = derivationSteps(model, x, q);
    worse.steps[5] = { ...worse.steps[5], value: worse.steps[5].value + 1e-3 };   // breaks 5 = 6 and 6 = 7
    const bad = checkDerivationChain(worse, 4, 1e-9);
    const merged = mergeChainChecks([good, bad]);
    expect(merged.map((m) => m.id)).toEqual(good.map((c) => c.id));
    const m56 = merged.find((m) => m.id === 'step5=step6')!;
    expect(m56.pass).toBe(false);
    expect(m56.examples).toBe(2);
    expect(Math.abs(m56.worst.difference)).toBeCloseTo(1e-3, 9);
    expect(m56.worstRatio).toBeGreaterThan(1);
    const m12 = merged.find((m) => m.id === 'step1=step2')!;
    expect(m12.pass).toBe(true);
    expect(m12.worstRatio).toBeLessThanOrEqual(1);
    // Jensen: the signed ratio, so the example closest to violating it is the worst.
    const j = merged.find((m) => m.id === 'step4<=step3')!;
    expect(j.worst.difference).toBeLessThan(0);
    expect(j.worstRatio).toBeLessThan(0);
  });

  it('mergeChainChecks rejects lists with different relations', () => {
    const a = checkDerivationChain(exact);
    expect(() => mergeChainChecks([a, a.slice(1)])).toThrow(/mergeChainChecks: perExample\[1\]/);
    expect(() => mergeChainChecks([])).toThrow(/mergeChainChecks: perExample/);
  });

  it('derivationRelationClaims: six claims per column (not gap = KL); one sample: 4 ≤ 3, 4 = 5, 5 = 6 illustrations, 6 = 7 a claim', () => {
    const checks = checkDerivationChain(exact, 4, 1e-9);
    expect(checks.map((c) => c.id)).toContain('gap=KL');
    const claims = derivationRelationClaims([
      { key: 'linear', name: 'closed form', perExample: [checks] },
      { key: 'monteCarlo', name: 'sampled', perExample: [checkDerivationChain(exact.monteCarlo!, 4, 1e-9)], oneSample: true },
    ]);
    expect(claims.map((c) => `${c.spec.id}:${c.kind}`)).toEqual([
      'step1=step2-linear:claim', 'step2=step3-linear:claim', 'step4<=step3-linear:claim', 'step4=step5-linear:claim',
      'step5=step6-linear:claim', 'step6=step7-linear:claim',
      'step4<=step3-monteCarlo:illustration', 'step4=step5-monteCarlo:illustration', 'step5=step6-monteCarlo:illustration',
      'step6=step7-monteCarlo:claim',
    ]);
    const jensen = claims[2];
    const c43 = checks.find((c) => c.id === 'step4<=step3')!;
    expect(jensen.spec).toEqual({
      id: 'step4<=step3-linear', section: '§2', where: 'Checking every relation of the derivation', statement: 'line 4 ≤ line 3: Jensen\'s inequality (closed form)',
      routes: `A: line 4, ${exact.steps[3].route} / B: line 3, ${exact.steps[2].route}`,
    });
    expect(jensen.spec.routes).toMatch(/^A: .+ \/ B: .+/);
    // The two routes of every claim differ (no claim compares a route with itself).
    for (const c of claims.filter((r) => r.kind === 'claim')) {
      const [a, b] = c.spec.routes!.split(' / B: ');
      expect(a.replace(/^A: line \d, /, '')).not.toBe(b.replace(/^line \d, /, ''));
    }
    expect(jensen.measured).toMatch(/ vs .* nats, difference .* \(worst of 1\)$/);
    expect(jensen.criterion).toMatch(/^difference ≤ /);
    expect(claims[0].criterion).toMatch(/^\|difference\| ≤ /);
    expect(jensen.holds).toBe(true);
    expect(jensen.row).toEqual(['closed form', 'line 4 ≤ line 3: Jensen\'s inequality', c43.difference, c43.tolerance, '✓', 'claim']);
    expect(claims[6].row[5]).toBe('illustration (true for any sample)');
    // A broken line fails its relations.
    const worse = derivationSteps(model, x, q);
    worse.steps[5] = { ...worse.steps[5], value: worse.steps[5].value + 1e-3 };
    const broken = derivationRelationClaims([{ key: 'linear', name: 'broken', perExample: [checks, checkDerivationChain(worse, 4, 1e-9)] }]);
    expect(broken.filter((c) => !c.holds).map((c) => c.spec.id)).toEqual(['step5=step6-linear', 'step6=step7-linear']);
    expect(broken[4].measured).toContain('(worst of 2)');
    const table = relationTable(broken);
    expect(table.rows).toHaveLength(6);
    expect(table.rows[4][4]).toBe('✗');
    expect(() => derivationRelationClaims([{ key: '', name: 'x', perExample: [checks] }])).toThrow(/derivationRelationClaims: columns\[0\]\.key/);
  });

  it('lineThreeBySampling: two-sided with enough draws for KL(p(z|x) ‖ q), one-sided (not above) with too few', () => {
    const quad = derivationSteps(model.asGenerativeModel(), x, q);
    const kl = quad.klPosteriorToQ!;
    expect(kl).toBeGreaterThan(0);
    const mc = derivationSteps(model.asGenerativeModel(), x, q, { method: 'monteCarlo', random: new Random(3), samples: 4000 });
    const se = mc.steps[2].standardError;
    const at = (value: number): DerivationResult => ({ ...mc, steps: mc.steps.map((s, i) => (i === 2 ? { ...s, value } : s)) });
    const logPx = quad.steps[0].value;
    const enough = lineThreeBySampling(mc, quad, 4000, 4, Math.log(4000) - kl - 0.1);
    expect(enough.twoSided).toBe(true);
    expect(enough.holds).toBe(true);
    expect(enough.requiredSamples).toBeCloseTo(Math.exp(Math.log(4000) - 0.1), 6);
    // Too LOW fails when the draws suffice, and passes (one-sided) when they do not.
    expect(lineThreeBySampling(at(logPx - 6 * se), quad, 4000, 4, Math.log(4000) - kl - 0.1).holds).toBe(false);
    const few = lineThreeBySampling(at(logPx - 6 * se), quad, 4000, 4, Math.log(4000) - kl + 0.1);
    expect(few.twoSided).toBe(false);
    expect(few.holds).toBe(true);
    expect(few.criterion).toMatch(/only the side that holds for any S/);
    // Too HIGH fails either way.
    expect(lineThreeBySampling(at(logPx + 6 * se), quad, 4000, 4, Math.log(4000) - kl + 0.1).holds).toBe(false);
    expect(() => lineThreeBySampling(mc, mc, 4000)).toThrow(/lineThreeBySampling: quadrature.klPosteriorToQ/);
  });

  it('excessOverTolerance: |a − b| − k·SE − stated error − relative·|b|', () => {
    expect(excessOverTolerance({ value: -10.5, standardError: 0.1 }, { value: -10, errorEstimate: 0.05 }, 4)).toBeCloseTo(0.5 - 0.4 - 0.05, 12);
    expect(excessOverTolerance({ mean: -9.9, standardError: 0 }, { value: -10, errorEstimate: 0 }, 4, 1e-2)).toBeCloseTo(0.1 - 0.1, 12);
    expect(excessOverTolerance({ mean: -10, standardError: 0.2 }, { value: -10, errorEstimate: 0 }, 3)).toBeCloseTo(-0.6, 12);
    expect(() => excessOverTolerance({ value: 0, standardError: -1 }, { value: 0, errorEstimate: 0 }, 4)).toThrow(/excessOverTolerance: estimate.standardError/);
  });

  it('claimSpecs: unique ids, and every spec names its two routes', () => {
    const specs = Object.values(claimSpecs);
    expect(new Set(specs.map((s) => s.id)).size).toBe(specs.length);
    for (const s of specs) expect(s.routes).toMatch(/^A: .+ \/ B: .+/);
    // The ones that held for any sample or any decoder are illustrations now, not claims.
    expect(specs.map((s) => s.id)).not.toContain('step1-intractable');
    expect(specs.map((s) => s.id)).not.toContain('jensen-sample-gap-nonnegative');
  });
});

// ---------------------------------------------------------------------------------------------
describe('line 7 by the training code', () => {
  it('estimates the ELBO of each example as estimateElbo does (VAE draws first), close to line 7', () => {
    const random = new Random(61);
    const linearModel = LinearGaussianModel.random(random, 5, 2, { logVariance: Math.log(0.5) });
    const x = Array.from(linearModel.sample(random, 1));
    const q = { mean: [0.2, -0.4], logVariance: [-0.6, -0.2] };
    const linearSteps = derivationSteps(linearModel, x, q);
    const vae = new Vae({ inputSize: 6, latentSize: 2, hiddenSizes: [5], likelihood: 'bernoulli' }, new Random(62));
    const values = Float32Array.from([1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 1, 0]);
    const digits: ImageSet = { name: 'tiny', rows: 2, cols: 3, count: 2, features: 6, labels: Uint8Array.from([3, 5]), values };
    const digitSteps = [0, 1].map((i) => derivationSteps(vae, digitRow(digits, i), vae));
    const before = tf.memory().numTensors;
    const rows = lineSevenByTheEngine(vae, digits, digitSteps, { model: linearModel, x, q, steps: linearSteps }, new Random(63), 3000);
    expect(tf.memory().numTensors).toBe(before);
    expect(rows.map((r) => r.name)).toEqual(['linear-Gaussian', '2-D VAE, digit 3', '2-D VAE, digit 5']);
    // The same draws as estimateElbo on the digits, then on the linear example, from one generator.
    const r2 = new Random(63);
    const xs = tf.tensor2d(values, [2, 6]);
    const direct = estimateElbo(vae, vae, xs, r2, 3000);
    const qt = { mean: tf.tensor2d([q.mean]), logVariance: tf.tensor2d([q.logVariance]) };
    const xt = tf.tensor2d([x]);
    const directLinear = estimateElbo(qt, linearModel.asGenerativeModel(), xt, r2, 3000);
    tf.dispose([xs, qt.mean, qt.logVariance, xt]);
    expect(rows[0].engine).toEqual({ mean: directLinear.elbo[0], standardError: directLinear.elboStandardError[0], n: 3000 });
    expect(rows[2].engine.mean).toBe(direct.elbo[1]);
    expect(rows[2].reconstruction).toBe(direct.reconstruction[1]);
    expect(rows[2].kl).toBe(direct.kl[1]);
    // The estimates agree with line 7 (closed form / quadrature) within 5 SE plus the float32 error.
    for (const r of rows) expect(excessOverTolerance(r.engine, r.lineSeven, 5, 1e-5)).toBeLessThan(0);
    expect(rows[1].lineSeven).toBe(digitSteps[0].steps[6]);
    const table = lineSevenTable(rows);
    expect(table.caption).toBe('Line 7 vs the training code\'s estimate (3000 draws per example)');
    expect(table.rows[0]).toEqual(['linear-Gaussian', linearSteps.steps[6].value, rows[0].engine, rows[0].reconstruction, rows[0].kl]);
    expect(() => lineSevenByTheEngine(vae, digits, digitSteps.slice(1), { model: linearModel, x, q, steps: linearSteps }, new Random(1), 10))
      .toThrow(/lineSevenByTheEngine: digitSteps/);
    vae.dispose();
  });
});
