import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  balanceTable, betaSweep, BetaModelSummary, claimSpecs, collapseTable, encoderMutualInformation, informativeUnits,
  largestDimensionRate, largestExampleRate, meanElbo, meanPixelEntropy, picturesPerBetaFigure, pixelSpread, priorDecodesFigure,
  ratePerDimensionFigure, rateDistortionFigure, rateQuantile, rescueTable, summarizeBetaModel, summaryAt, SweepEntry, SweepSetting,
  sweepTable, trainAndSummarize, trendStepsText, unitsFigure,
} from '../../src/course/05-the-balance';
import { rateDistortion } from '../../src/train/evaluation';
import { columnVariances } from '../../src/train/metrics';
import { trainVae } from '../../src/train/train';
import { meanEstimate } from '../../src/stats/estimate';
import { monotoneTrend } from '../../src/stats/trend';
import { Vae } from '../../src/models/vae';
import { Random } from '../../src/random';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('pixelSpread', () => {
  it('matches a hand example, is zero for equal images, and agrees between tensor and array', () => {
    // rows (0,0) and (2,2): mean (1,1), each squared distance 2
    expect(pixelSpread(Float64Array.from([0, 0, 2, 2]), 2)).toBeCloseTo(2, 12);
    expect(pixelSpread(Float64Array.from([0.3, 0.7, 0.3, 0.7, 0.3, 0.7]), 2)).toBeCloseTo(0, 12);
    const t = tf.tensor2d([[0, 1, 2], [3, 1, 0], [1, 1, 1]]);
    // means (4/3, 1, 1); squared distances: 16/9+0+1, 25/9+0+1, 1/9+0+0 -> total 42/9 + 2, /3
    expect(pixelSpread(t)).toBeCloseTo((42 / 9 + 2) / 3, 6);
    expect(pixelSpread(t)).toBeCloseTo(pixelSpread(Float64Array.from(t.dataSync()), 3), 12);
    t.dispose();
  });
  it('is ≈ L(n−1)/n for n standard normal vectors of L entries (the identity decoder of prior draws)', () => {
    const n = 4000;
    const spread = pixelSpread(new Random(2).normals(n * 4), 4);
    // E = 4 (n−1)/n; ‖z‖² ~ χ²₄ has sd √8, so the mean over n has SE √8/√n ≈ 0.045
    expect(Math.abs(spread - (4 * (n - 1)) / n)).toBeLessThan(4 * Math.sqrt(8 / n));
  });
  it('rejects a length not divisible by pixels', () => {
    expect(() => pixelSpread(new Float32Array(5), 2)).toThrow(/pixelSpread: pixels must be an integer/);
  });
});

describe('encoderMutualInformation', () => {
  it('is exactly 0 when q(z|x) is the same for every x (collapse)', () => {
    const mean = new Float64Array(20 * 3).fill(0.2);
    const logVariance = new Float64Array(20 * 3).fill(-0.1);
    const mi = encoderMutualInformation(mean, logVariance, 3, new Random(1));
    expect(Math.abs(mi.mean)).toBeLessThan(1e-12);
  });
  it('is log 2 for two far-apart groups and log N for N far-apart codes', () => {
    const n = 40;
    const two = Float64Array.from({ length: n * 2 }, (_, k) => (Math.floor(k / 2) % 2 === 0 ? -50 : 50));
    expect(encoderMutualInformation(two, new Float64Array(n * 2), 2, new Random(3)).mean).toBeCloseTo(Math.log(2), 6);
    const apart = Float64Array.from({ length: n }, (_, i) => 100 * i);
    expect(encoderMutualInformation(apart, new Float64Array(n), 1, new Random(4)).mean).toBeCloseTo(Math.log(n), 6);
  });
  it('matches the definition for two one-dimensional codes at a known z (hand computation)', () => {
    // q(z|x_1) = N(0, 1), q(z|x_2) = N(1, 1); the z drawn for example i is μ_i + ε_i with ε from Random(5)
    const r = new Random(5);
    const eps = [r.normal(), r.normal()];
    const logN = (z: number, m: number) => -0.5 * (Math.log(2 * Math.PI) + (z - m) ** 2);
    const term = (z: number, own: number) => logN(z, own) - Math.log(0.5 * (Math.exp(logN(z, 0)) + Math.exp(logN(z, 1))));
    const expected = (term(0 + eps[0], 0) + term(1 + eps[1], 1)) / 2;
    expect(encoderMutualInformation([0, 1], [0, 0], 1, new Random(5)).mean).toBeCloseTo(expected, 12);
  });
  it('rejects mismatched lengths', () => {
    expect(() => encoderMutualInformation([0, 0, 0, 0], [0, 0], 2, new Random(1))).toThrow(/encoderMutualInformation: logVariance/);
  });
});

describe('informativeUnits', () => {
  it('counts dimensions above the threshold', () => {
    expect(informativeUnits([0.01, 0.2, 0.5, 0.1])).toBe(2);
    expect(informativeUnits([0.01, 0.2, 0.5, 0.1], 0.005)).toBe(4);
    expect(() => informativeUnits([NaN])).toThrow(/informativeUnits/);
  });
});

describe('meanPixelEntropy', () => {
  it('is D·ln 2 for p = ½, 0 for crisp pixels, and matches a hand value', () => {
    const half = tf.fill([3, 10], 0.5) as tf.Tensor2D;
    expect(meanPixelEntropy(half)).toBeCloseTo(10 * Math.log(2), 5);
    const crisp = tf.tensor2d([[0, 1, 1], [1, 0, 0]]);
    expect(meanPixelEntropy(crisp)).toBe(0);
    const one = tf.tensor2d([[0.1, 0.9]]);
    expect(meanPixelEntropy(one)).toBeCloseTo(-2 * (0.1 * Math.log(0.1) + 0.9 * Math.log(0.9)), 6);
    expect(() => meanPixelEntropy(tf.tensor2d([[1.5]]))).toThrow(/meanPixelEntropy: probabilities must lie in \[0, 1\]/);
    tf.dispose([half, crisp, one]);
  });
});

/** Random binary digits of 16 pixels. */
function binaryData(count: number, seed: number) {
  const r = new Random(seed);
  return { values: Float32Array.from({ length: count * 16 }, () => (r.uniform() < 0.4 ? 1 : 0)), count, features: 16 };
}

describe('summarizeBetaModel', () => {
  it('agrees with its parts computed separately, pairs models through the seed, and leaks nothing', () => {
    const model = new Vae({ inputSize: 16, latentSize: 3, hiddenSizes: [8] }, new Random(2));
    const data = binaryData(30, 3);
    const before = tf.memory().numTensors;
    const s = summarizeBetaModel(model, data, { seed: 7, showCount: 4, priorCount: 20, miCount: 25 });
    expect(tf.memory().numTensors).toBe(before);
    const rd = rateDistortion(model, data, new Random(7));
    expect(Array.from(s.rateDistortion.rate)).toEqual(Array.from(rd.rate));
    expect(s.informativeUnits).toBe(informativeUnits(rd.ratePerDimension));
    expect(s.activeUnits).toBe(Array.from(columnVariances(rd.encoderMean, 30, 3)).filter((v) => v > 0.01).length);
    expect(s.mutualInformation).toEqual(encoderMutualInformation(rd.encoderMean.subarray(0, 25 * 3), rd.encoderLogVariance.subarray(0, 25 * 3), 3, new Random(9)));
    const z = tf.tensor2d(new Random(8).normals(20 * 3), [20, 3]);
    const decodes = model.decode(z);
    expect(s.priorDecodeSpread).toBeCloseTo(pixelSpread(decodes), 6);
    expect(s.priorDecodeEntropy).toBeCloseTo(meanPixelEntropy(decodes), 6);
    expect(Array.from(s.priorSamples)).toEqual(Array.from(decodes.dataSync().subarray(0, 4 * 16)));
    let sumLv = 0;
    for (const v of rd.encoderLogVariance) sumLv += v;
    expect(s.typicalEncoderSigma).toBeCloseTo(Math.exp(0.5 * sumLv / rd.encoderLogVariance.length), 10);
    const x = tf.tensor2d(data.values.subarray(0, 4 * 16), [4, 16]);
    const shown = model.reconstruct(x);
    expect(Array.from(s.reconstructions)).toEqual(Array.from(shown.dataSync()));
    tf.dispose([z, decodes, x, shown]);
    model.dispose();
  });
  it('rejects a seed whose streams seed + 1, seed + 2 would leave [0, 2^32), and too many pictures', () => {
    const model = new Vae({ inputSize: 16, latentSize: 2, hiddenSizes: [] }, new Random(1));
    expect(() => summarizeBetaModel(model, binaryData(4, 1), { seed: 0xfffffffe })).toThrow(/summarizeBetaModel: options.seed must be an integer in \[0, 4294967293\]/);
    expect(() => summarizeBetaModel(model, binaryData(4, 1), { seed: 1, showCount: 5 })).toThrow(/summarizeBetaModel: options.showCount/);
    model.dispose();
  });
});

describe('betaSweep and trainAndSummarize', () => {
  const setting: SweepSetting = {
    model: { latentSize: 3, hiddenSizes: [8] }, data: binaryData(384, 11), epochs: 3, trainingSeed: 5,
    evaluation: binaryData(24, 12), measurementSeed: 6,
  };
  it('trains one model per β with the shared seed and measures each on the same digits (as trainVae + summarizeBetaModel do), leaking nothing', async () => {
    const titles: string[] = [];
    const before = tf.memory().numTensors;
    const sweep = await betaSweep(setting, [0, 8], { progress: (title) => { titles.push(title); return 'none'; } });
    expect(tf.memory().numTensors).toBe(before);
    expect(titles).toEqual(['β = 0', 'β = 8']);
    expect(sweep.map((s) => s.beta)).toEqual([0, 8]);
    for (const entry of sweep) {
      const run = await trainVae({ model: setting.model, data: setting.data, epochs: 3, seed: 5, beta: entry.beta, evalCount: 500, evaluateInitial: false, progress: 'none' });
      const expected = summarizeBetaModel(run.model, setting.evaluation, { seed: 6 });
      run.model.dispose();
      expect(Array.from(entry.summary.rateDistortion.rate)).toEqual(Array.from(expected.rateDistortion.rate));
      expect(Array.from(entry.summary.priorSamples)).toEqual(Array.from(expected.priorSamples));
      expect(entry.seconds).toBeGreaterThanOrEqual(0);
    }
    // the KL weight does its work: β = 8 spends fewer nats on the code than β = 0
    expect(summaryAt(sweep, 8).rateDistortion.rateMean.mean).toBeLessThan(summaryAt(sweep, 0).rateDistortion.rateMean.mean);
    expect(() => summaryAt(sweep, 1)).toThrow(/summaryAt: the sweep has no model at β = 1 \(it has β = 0, 8\)/);
  });
  it('passes free bits to training (a different model than without them)', async () => {
    const plain = await trainAndSummarize(setting, { beta: 8 }, 'plain', () => 'none');
    const free = await trainAndSummarize(setting, { beta: 8, freeBits: 0.5 }, 'free bits', () => 'none');
    expect(free.summary.rateDistortion.rateMean.mean).toBeGreaterThan(plain.summary.rateDistortion.rateMean.mean);
  });
  it('rejects a bad setting and β', async () => {
    await expect(betaSweep({ ...setting, epochs: 0 }, [1])).rejects.toThrow(/betaSweep: setting.epochs must be an integer >= 1/);
    await expect(betaSweep(setting, [-1])).rejects.toThrow(/betaSweep: betas\[0\] must be a finite number in \[0, Infinity\]/);
  });
});

/** A summary with chosen numbers (what the tables and figures read). */
function fakeSummary(rate: number[], distortion: number[], ratePerDimension: number[], extra: Partial<BetaModelSummary> = {}): BetaModelSummary {
  const r = Float64Array.from(rate), d = Float64Array.from(distortion);
  return {
    rateDistortion: {
      rate: r, distortion: d, ratePerDimension: Float64Array.from(ratePerDimension), encoderMean: new Float64Array(0), encoderLogVariance: new Float64Array(0),
      rateMean: meanEstimate(r), distortionMean: meanEstimate(d),
    },
    mutualInformation: { mean: 2, standardError: 0.1, n: rate.length }, priorDecodeSpread: 3, priorDecodeEntropy: 150,
    activeUnits: 2, informativeUnits: 1, typicalEncoderSigma: 0.5,
    reconstructions: new Float32Array(8 * 784).fill(0.25), priorSamples: new Float32Array(8 * 784).fill(0.75), ...extra,
  };
}

describe('numbers read from the summaries', () => {
  const s = fakeSummary([5, 1, 3, 2, 4], [10, 20, 30, 40, 50], [0.5, 2, 0.01]);
  it('rate quantiles without interpolation, largest rates, mean ELBO', () => {
    expect(rateQuantile(s, 0)).toBe(1);
    expect(rateQuantile(s, 0.5)).toBe(3);
    expect(rateQuantile(s, 0.95)).toBe(4); // index ⌊0.95·4⌋ = 3 of [1, 2, 3, 4, 5]
    expect(rateQuantile(s, 1)).toBe(5);
    expect(largestExampleRate(s)).toBe(5);
    expect(largestDimensionRate(s)).toBe(2);
    expect(meanElbo(s)).toBeCloseTo(-(3 + 30), 12);
  });
  it('trend steps as text', () => {
    const trend = monotoneTrend([[0, 0, 0], [1, 2, 3], [0, 1, 2]], 'nonIncreasing', 4);
    expect(trendStepsText(trend, [0, 0.5, 2])).toBe('0→0.5: +2.00±0.58; 0.5→2: -1.00±0.00');
    expect(() => trendStepsText(trend, [0, 1])).toThrow(/trendStepsText: betas must name the 3 entries/);
  });
});

describe('tables and figures', () => {
  const sweep: SweepEntry[] = [
    { beta: 0, summary: fakeSummary([30, 32], [80, 82], [10, 21]), seconds: 1.25 },
    { beta: 1, summary: fakeSummary([10, 12], [90, 92], [6, 5]), seconds: 2 },
    { beta: 16, summary: fakeSummary([0.1, 0.3], [150, 152], [0.15, 0.05], { informativeUnits: 0 }), seconds: 3 },
  ];
  it('sweep table: one row per β, R and D as mean ± SE, ELBO = −(R + D)', () => {
    const t = sweepTable(sweep);
    expect(t.rows.length).toBe(3);
    expect(t.rows[1]).toEqual([1, '11.00 ± 1.00', '91.00 ± 1.00', '-102.00', 2, 1, '2.00 ± 0.10', '0.500', '2.0']);
    expect(t.caption).toBe('β sweep: means over 2 held-out digits ± standard error over examples');
    expect(t.headers.length).toBe(t.rows[0].length);
  });
  it('collapse, balance and rescue tables carry the numbers of their models', () => {
    const vae = summaryAt(sweep, 1), collapsed = summaryAt(sweep, 16), ae = summaryAt(sweep, 0);
    const c = collapseTable(vae, collapsed);
    expect(c.headers).toEqual(['measurement', 'β = 1', 'β = 16']);
    expect(c.rows[0]).toEqual(['mean rate (nats)', '11.000', '0.200']);
    expect(c.rows[1]).toEqual(['largest KL of one dimension (nats)', '6.000', '0.150']);
    expect(c.rows[2][2]).toBe('0.100 / 0.100 / 0.300');
    expect(c.rows[6]).toEqual(['informative units (KL_u > 0.1)', 1, 0]);
    const b = balanceTable(ae, vae, collapsed);
    expect(b.rows[0][2]).toBe('lowest distortion of the sweep at β = 0: D = 81.00 nats (β = 1: 91.00)');
    expect(b.rows[1][2]).toBe('rate at β = 16: 0.200 nats (β = 1: 11.0)');
    const r = rescueTable([['plain', collapsed], ['free bits', vae]]);
    expect(r.rows.map((row) => row[0])).toEqual(['plain', 'free bits']);
    expect(r.rows[0][1]).toBe('0.200 ± 0.100');
    for (const table of [c, b, r]) for (const row of table.rows) expect(row.length).toBe(table.headers.length);
  });
  it('the rate–distortion figure puts each model at (R, D) with ±4 SE bars and the equal-ELBO line through the best model', () => {
    const f = rateDistortionFigure(sweep);
    const points = f.data[0] as { x: number[]; y: number[]; error_x: { array: number[] } };
    expect(points.x).toEqual([31, 11, 0.2]);
    expect(points.y).toEqual([81, 91, 151]);
    expect(points.error_x.array[0]).toBeCloseTo(4, 12); // SE of [30, 32] is 1
    const line = f.data[1] as { x: number[]; y: number[] };
    // best ELBO: β = 1, −102; the line D = −ELBO − R passes through (11, 91)
    const slope = (line.y[1] - line.y[0]) / (line.x[1] - line.x[0]);
    expect(slope).toBeCloseTo(-1, 12);
    expect(line.y[0] + slope * 11).toBeCloseTo(91, 10);
  });
  it('the per-β pictures show β = 1 first, one picture and one slider step per β', () => {
    const evaluation = { values: new Float32Array(10 * 784).fill(1), count: 10, features: 784 };
    const f = picturesPerBetaFigure(sweep, evaluation, 8);
    expect(f.data.map((trace) => trace.visible)).toEqual([false, true, false]);
    const layout = f.layout as { sliders: { active: number; steps: { args: unknown[] }[] }[] };
    expect(layout.sliders[0].active).toBe(1);
    expect(layout.sliders[0].steps[2].args).toEqual(['visible', [false, false, true]]);
    expect(f.data.every((trace) => trace.type === 'image')).toBe(true);
  });
  it('per-dimension rates sorted within each row; units and prior decodes', () => {
    const h = ratePerDimensionFigure(sweep).data[0] as { z: number[][]; text: string[][] };
    expect(h.text[0]).toEqual(['21.000', '10.000']);
    expect(h.z[2][1]).toBeCloseTo(Math.log10(0.05), 12);
    const u = unitsFigure(sweep);
    expect(u.data[1].y).toEqual([1, 1, 0]);
    expect((u.layout as { yaxis: { range: number[] } }).yaxis.range).toEqual([0, 3]);
    const p = priorDecodesFigure(summaryAt(sweep, 1), summaryAt(sweep, 16));
    expect((p.layout as { title: { text: string } }).title.text).toBe('The same eight z ~ p(z) decoded by the β = 1 model (top) and the β = 16 model (bottom)');
  });
});

describe('claimSpecs', () => {
  it('one distinct id per claim, all of §5', () => {
    const specs = Object.values(claimSpecs);
    expect(new Set(specs.map((s) => s.id)).size).toBe(specs.length);
    expect(specs.every((s) => s.section === '§5' && s.statement.length > 0 && s.where.length > 0)).toBe(true);
  });
});
