import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  balanceTable, betaSweep, BetaModelSummary, blurTable, claimSpecs, collapseTable, encoderMutualInformation, imageSharpness, informativeUnits,
  largestDimensionRate, largestExampleRate, meanElbo, meanPixelEntropy, memorisationEvidence, memorisationFigure, memorisationTable,
  picturesPerBetaFigure, pixelEntropies, pixelSpread, priorDecodesFigure, rateByEpochFigure, rateGivenBack,
  ratePerDimensionFigure, rateDistortionFigure, rateQuantile, rescueTable, strictTrend, summarizeBetaModel, summaryAt, SweepEntry, SweepSetting,
  sweepTable, sweepTrends, trainAndSummarize, trendStepsText, unitsFigure,
  decodedSpread, discCodes, disposePlane, planeExplorer, planeModelAt, planeSpreads, planeSweep, planeTable, PlaneSetting, spreadAt, spreadSteps,
} from '../../src/course/05-the-balance';
import { decodedPixels } from '../../src/display/decoderPayload';
import { evaluatePerExample, meanKlPerDimension } from '../../src/train/evaluation';
import type { DigitClassifier } from '../../src/models/classifier';
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

describe('pixelEntropies', () => {
  it('gives one Bernoulli entropy per image, whose mean is meanPixelEntropy', () => {
    const t = tf.tensor2d([[0.5, 0.5, 0], [0.1, 0.9, 1]]);
    const h = pixelEntropies(t);
    expect(h[0]).toBeCloseTo(2 * Math.log(2), 6);
    expect(h[1]).toBeCloseTo(-2 * (0.1 * Math.log(0.1) + 0.9 * Math.log(0.9)), 6);
    expect(meanPixelEntropy(t)).toBeCloseTo((h[0] + h[1]) / 2, 12);
    expect(() => pixelEntropies(tf.tensor2d([[-0.1]]))).toThrow(/pixelEntropies: probabilities must lie in \[0, 1\]/);
    t.dispose();
  });
});

describe('imageSharpness', () => {
  it('is 0 for a flat image and 1 for a checkerboard', () => {
    expect(Array.from(imageSharpness(new Float64Array(16).fill(0.7), 4))).toEqual([0]);
    const board = Float64Array.from({ length: 16 }, (_, k) => (Math.floor(k / 4) + (k % 4)) % 2);
    expect(imageSharpness(board, 4)[0]).toBeCloseTo(1, 12);
  });
  it('counts a hard edge fully and a smeared edge less (hand values on 4 × 4, 24 neighbour pairs)', () => {
    // each row 0 0 1 1: one jump of 1 per row, 4 rows -> 4 / 24
    const hard = Float64Array.from({ length: 16 }, (_, k) => (k % 4 >= 2 ? 1 : 0));
    // each row 0 ⅓ ⅔ 1: three steps of ⅓ per row -> 4 · 3 · ⅑ / 24 = 1/18
    const soft = Float64Array.from({ length: 16 }, (_, k) => (k % 4) / 3);
    const s = imageSharpness(Float64Array.from([...hard, ...soft]), 4);
    expect(s[0]).toBeCloseTo(4 / 24, 12);
    expect(s[1]).toBeCloseTo(1 / 18, 12);
  });
  it('counts vertical neighbours too, and takes non-square images', () => {
    // 2 rows × 3 columns: top row 0, bottom row 1 -> 3 vertical jumps of 1 over 2·2 + 3·1 = 7 pairs
    expect(imageSharpness([0, 0, 0, 1, 1, 1], 3, 2)[0]).toBeCloseTo(3 / 7, 12);
    expect(() => imageSharpness([0, 0, 0], 2)).toThrow(/imageSharpness: images must hold whole images of 2 × 2 pixels/);
  });
});

describe('strictTrend', () => {
  it('holds only when every step goes the stated way by more than k·SE (paired)', () => {
    const base = [5, 6, 7, 8];
    const down = [base, base.map((v, i) => v - 1 - 0.1 * i), base.map((v, i) => v - 2 - 0.1 * i)];
    expect(strictTrend(down, 'decreasing', 4).allHold).toBe(true);
    expect(strictTrend(down, 'increasing', 4).allHold).toBe(false);
    const step = strictTrend(down, 'decreasing', 4).steps[0];
    expect(step.difference).toBeCloseTo(-1.15, 12);
    // differences −1, −1.1, −1.2, −1.3: SE = sd/2 with sd = 0.1291
    expect(step.standardError).toBeCloseTo(Math.sqrt(((0.15 ** 2 + 0.05 ** 2) * 2) / 3) / 2, 12);
  });
  it('fails a step that stays within its noise or goes the wrong way, where the lenient monotoneTrend passes', () => {
    const flat = [[1, 2, 3, 4], [1.1, 1.9, 3.1, 3.9]]; // mean change 0 ± 0.058
    expect(strictTrend(flat, 'decreasing', 4).allHold).toBe(false);
    expect(monotoneTrend(flat, 'nonIncreasing', 4).allHold).toBe(true);
    const wrongWay = [[1, 2, 3, 4], [1.05, 2.1, 3.05, 4.1]]; // +0.075 ± 0.014: 5 SE the wrong way
    expect(strictTrend(wrongWay, 'decreasing', 0).allHold).toBe(false);
    expect(strictTrend(wrongWay, 'increasing', 4).allHold).toBe(true);
    expect(() => strictTrend([[1, 2]], 'decreasing')).toThrow(/strictTrend: perExample must be an array of at least 2/);
    expect(() => strictTrend(flat, 'down' as 'decreasing')).toThrow(/strictTrend: direction must be/);
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
    expect(Array.from(s.priorDecodeEntropies)).toEqual(Array.from(pixelEntropies(decodes)));
    const x = tf.tensor2d(data.values.subarray(0, 4 * 16), [4, 16]);
    const shown = model.reconstruct(x);
    expect(Array.from(s.reconstructions)).toEqual(Array.from(shown.dataSync()));
    // every example's reconstruction: its sharpness on the 4 × 4 grid and the spread of all of them
    const all = model.reconstruct(tf.tensor2d(data.values, [30, 16]));
    expect(Array.from(s.reconstructionSharpness)).toEqual(Array.from(imageSharpness(all.dataSync(), 4)));
    expect(s.reconstructionSpread).toBeCloseTo(pixelSpread(all), 6);
    tf.dispose([z, decodes, x, shown, all]);
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
      expect(entry.rateByEpoch).toEqual(run.history.map((m) => ({ epoch: m.epoch, beta: m.beta, rate: m.train.kl })));
      expect(entry.rateByEpoch.map((h) => h.beta)).toEqual([entry.beta, entry.beta, entry.beta]);
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

describe('the latent plane: 2-D models per β', () => {
  const labelled = (count: number, seed: number) => ({ ...binaryData(count, seed), labels: Uint8Array.from({ length: count }, (_, i) => i % 10) });
  const setting: PlaneSetting = { data: binaryData(256, 21), codeDigits: labelled(20, 22), hiddenSizes: [8], epochs: 2, trainingSeed: 9 };

  it('discCodes: the grid codes inside the disc, row by row from the top (317 of 21 × 21 for the 2σ disc)', () => {
    expect(discCodes().length / 2).toBe(317);
    expect(Array.from(discCodes(3, 1))).toEqual([0, 1, -1, 0, 0, 0, 1, 0, 0, -1]);
    const codes = discCodes(41, 2.5);
    for (let i = 0; i < codes.length; i += 2) expect(Math.hypot(codes[i], codes[i + 1])).toBeLessThanOrEqual(2.5 + 1e-6);
    expect(() => discCodes(1, 2)).toThrow(/discCodes: count must be an integer/);
  });

  it('decodedSpread: the mean per-pixel variance of the decoder means over the codes (pixelSpread / D), 0 when the codes are one', () => {
    const vae = new Vae({ inputSize: 16, latentSize: 2, hiddenSizes: [8] }, new Random(3));
    const codes = discCodes(5, 2);
    const before = tf.memory().numTensors;
    const spread = decodedSpread(vae, codes);
    expect(tf.memory().numTensors).toBe(before);
    const decoded = decodedPixels(vae, codes);
    const n = codes.length / 2;
    let total = 0;
    for (let j = 0; j < 16; j++) {
      let mean = 0;
      for (let i = 0; i < n; i++) mean += decoded[i * 16 + j] / n;
      for (let i = 0; i < n; i++) total += (decoded[i * 16 + j] - mean) ** 2 / n;
    }
    expect(spread).toBeCloseTo(total / 16, 10);
    expect(spread).toBeGreaterThan(0);
    expect(decodedSpread(vae, Float32Array.from([0.5, -1, 0.5, -1]))).toBeCloseTo(0, 12);
    expect(() => decodedSpread(new Vae({ inputSize: 16, latentSize: 3, hiddenSizes: [8] }, new Random(1)), codes)).toThrow(/decodedSpread: vae must have a 2-D latent space/);
    expect(() => decodedSpread(vae, Float32Array.from([0, 0]))).toThrow(/decodedSpread: codes must be a Float32Array of at least two 2-D codes/);
    vae.dispose();
  });

  it('spreadAt, spreadSteps and planeTable read the spreads by β; the steps hold only where each falls by the factor', () => {
    const spreads = [{ beta: 0.25, spread: 0.018 }, { beta: 1, spread: 0.02 }, { beta: 4, spread: 0.0175 }, { beta: 16, spread: 0.008 }];
    expect(spreadAt(spreads, 4)).toBe(0.0175);
    expect(() => spreadAt(spreads, 2)).toThrow(/spreadAt: no spread at β = 2 \(there are β = 0.25, 1, 4, 16\)/);
    expect(spreadSteps(spreads, [1, 4, 16], 0.95)).toEqual({ text: 'β = 1 → 4: 0.0200 → 0.0175 (88 %); β = 4 → 16: 0.0175 → 0.0080 (46 %)', holds: true });
    expect(spreadSteps(spreads, [1, 4, 16], 0.85).holds).toBe(false);
    expect(spreadSteps(spreads, [0.25, 1], 0.95).holds).toBe(false);
    const plane = spreads.map(({ beta }, k) => ({ beta, vae: {} as Vae, codes: new Float64Array(2000), klPerDimension: Float64Array.from([3 - k, 2.5 - k / 2]), seconds: 5 + k }));
    const table = planeTable(plane, spreads);
    expect(table.headers).toEqual(['β', 'KL of z₁, z₂ (nats)', 'spread of decodes over the 2σ disc', 'share of β = 1\'s', 'training (s)']);
    expect(table.rows[3]).toEqual([16, '0.00, 1.00', '0.0080', '40 %', '8.0']);
    expect(table.caption).toMatch(/mean over 1,000 held-out digits\) and the mean per-pixel variance of their decodes over the 317 codes/);
    expect(planeModelAt(plane, 4).seconds).toBe(7);
    expect(() => planeModelAt(plane, 8)).toThrow(/planeModelAt: the plane sweep has no model at β = 8/);
  });

  it('planeSweep trains one live 2-D model per β (as trainVae does), with its codes and KL per dimension; planeExplorer names the panels by β', async () => {
    const titles: string[] = [];
    const before = tf.memory().numTensors;
    const plane = await planeSweep(setting, [0, 8], (title) => { titles.push(title); return 'none'; });
    expect(titles).toEqual(['β = 0, 2-D latent', 'β = 8, 2-D latent']);
    for (const model of plane) {
      const run = await trainVae({ model: { latentSize: 2, hiddenSizes: [8] }, data: setting.data, epochs: 2, seed: 9, beta: model.beta, evalCount: 500, evaluateInitial: false, progress: 'none' });
      const terms = evaluatePerExample(run.model, setting.codeDigits);
      run.model.dispose();
      expect(model.vae.latentSize).toBe(2);
      expect(Array.from(model.codes)).toEqual(Array.from(terms.encoderMean));
      expect(Array.from(model.klPerDimension)).toEqual(Array.from(meanKlPerDimension(terms)));
    }
    const spreads = planeSpreads(plane, discCodes(5, 2));
    expect(spreads.map((s) => s.beta)).toEqual([0, 8]);
    expect(spreads[0].spread).toBeCloseTo(decodedSpread(plane[0].vae, discCodes(5, 2)), 12);
    const options = planeExplorer(plane, setting.codeDigits.labels!);
    expect(options.title).toBe('The latent planes of two 2-D models, β = 0, 8');
    expect(options.models.map((m) => m.name)).toEqual(['β = 0', 'β = 8']);
    expect(options.models[1].vae).toBe(plane[1].vae);
    expect(options.extent).toBe(5);
    disposePlane(plane);
    disposePlane(plane); // twice is harmless
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a bad setting, more than four β and codes without labels', async () => {
    await expect(planeSweep({ ...setting, epochs: 0 }, [1])).rejects.toThrow(/planeSweep: setting.epochs must be an integer >= 1/);
    await expect(planeSweep(setting, [0, 1, 2, 3, 4])).rejects.toThrow(/planeSweep: betas must be an array of 1 to 4 values/);
    await expect(planeSweep({ ...setting, codeDigits: binaryData(10, 1) }, [1])).rejects.toThrow(/planeSweep: setting.codeDigits must carry labels/);
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
    priorDecodeEntropies: new Float64Array(4).fill(150), reconstructionSharpness: Float64Array.from(rate, (_, i) => 0.01 * (i + 1)), reconstructionSpread: 4,
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
    expect(trendStepsText(trend, [0, 0.5, 2], 4)).toBe('0→0.5: +2.0000±0.5774; 0.5→2: -1.0000±0.0000');
    expect(() => trendStepsText(trend, [0, 1])).toThrow(/trendStepsText: betas must name the 3 entries/);
  });
});

describe('tables and figures', () => {
  const sweep: SweepEntry[] = [
    { beta: 0, summary: fakeSummary([30, 32], [80, 82], [10, 21]), seconds: 1.25, rateByEpoch: [] },
    { beta: 1, summary: fakeSummary([10, 12], [90, 92], [6, 5]), seconds: 2, rateByEpoch: [] },
    { beta: 16, summary: fakeSummary([0.1, 0.3], [150, 152], [0.15, 0.05], { informativeUnits: 0 }), seconds: 3, rateByEpoch: [] },
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

describe('sweep trends, blur table, rate history', () => {
  const sweep: SweepEntry[] = [0, 1, 16].map((beta, k) => ({
    beta, seconds: 1, rateByEpoch: [],
    summary: fakeSummary([30 - 10 * k, 32 - 10 * k, 31 - 10 * k], [80 + k, 82 + k, 81 + 2 * k], [1], {
      reconstructionSharpness: Float64Array.from([0.05, 0.06, 0.07], (v) => v - 0.01 * k), reconstructionSpread: 10 - k,
    }),
  }));
  it('sweepTrends judges rate, distortion and sharpness strictly, per step and paired', () => {
    const t = sweepTrends(sweep);
    expect(t.rate.allHold).toBe(true); // −10 at every step, for every digit: SE 0
    expect(t.sharpness.allHold).toBe(true);
    expect(t.distortion.steps.map((s) => s.difference)).toEqual([4 / 3, 4 / 3].map((v) => expect.closeTo(v, 12)));
    // distortion steps (+1, +1, +2) have SE 1/3: 1.33 < 4 · 0.33, within the noise -> not strictly rising
    expect(t.distortion.allHold).toBe(false);
  });
  it('the blur table gives each model\'s sharpness (mean ± SE), its share of the digits\' own, and the spread', () => {
    // digits of 784 pixels: the left half of every row black, the right half white -> one jump per row: 28 / 1512
    const evaluation = { values: Float32Array.from({ length: 784 }, (_, k) => (k % 28 >= 14 ? 1 : 0)), count: 1, features: 784 };
    const t = blurTable(sweep, evaluation);
    expect(t.rows[0]).toEqual([0, '0.0600 ± 0.0058', `${(100 * 0.06 / (28 / 1512)).toFixed(1)} %`, '10.00']);
    expect(t.rows[2][0]).toBe(16);
    expect(t.headers.length).toBe(t.rows[0].length);
  });
  it('rateGivenBack finds the peak before the last epoch; the figure draws one line per run and β', () => {
    const history = [{ epoch: 1, beta: 2, rate: 20 }, { epoch: 2, beta: 4, rate: 25 }, { epoch: 3, beta: 8, rate: 9 }, { epoch: 4, beta: 16, rate: 30 }];
    expect(rateGivenBack(history)).toEqual({ peak: 25, peakEpoch: 2, last: 30 });
    expect(() => rateGivenBack(history.slice(0, 1))).toThrow(/rateGivenBack: history must hold at least 2 epochs/);
    const f = rateByEpochFigure([['annealed', history], ['plain', history.slice(0, 2)]]);
    expect(f.data.length).toBe(3);
    expect(f.data[0].y).toEqual([20, 25, 9, 30]);
    expect(f.data[2].y).toEqual([2, 4, 8, 16]);
  });
});

/** A stand-in classifier on 4-pixel images: the class is the brighter of the first two pixels (logits 10·x₀, 10·x₁). */
function pixelClassifier(): DigitClassifier {
  const logits = (x: tf.Tensor2D) => tf.tidy(() => tf.mul(10, tf.slice(x, [0, 0], [-1, 2])) as tf.Tensor2D);
  return { inputSize: 4, classes: 2, logits, probabilities: (x: tf.Tensor2D) => tf.tidy(() => tf.softmax(logits(x)) as tf.Tensor2D) } as unknown as DigitClassifier;
}

/** A stand-in model: reconstruct(x) = f(x), sample(n) = n copies of one image. */
function standInModel(reconstruct: (x: tf.Tensor2D) => tf.Tensor2D, sampleImage: number[]): Vae {
  return { reconstruct, sample: (n: number) => tf.tidy(() => tf.tile(tf.tensor2d([sampleImage]), [n, 1])) } as unknown as Vae;
}

describe('memorisationEvidence', () => {
  const r = new Random(21);
  const n = 40;
  const values = Float32Array.from({ length: n * 4 }, () => r.uniform());
  const labels = Uint8Array.from({ length: n }, (_, i) => (values[4 * i + 1] > values[4 * i] ? 1 : 0));
  const digits = { values, count: n, features: 4, labels };
  const heldValues = Float32Array.from({ length: 10 * 4 }, () => r.uniform());
  const heldOut = { values: heldValues, count: 10, features: 4, labels: Uint8Array.from({ length: 10 }, (_, i) => (heldValues[4 * i + 1] > heldValues[4 * i] ? 1 : 0)) };
  it('a perfect copier: copies judged as the digits, each its own nearest, samples far and uninformative', () => {
    const before = tf.memory().numTensors;
    const e = memorisationEvidence(standInModel((x) => x.clone(), [0.5, 0.5, 0.5, 0.5]), digits, pixelClassifier(), { samples: 5, random: new Random(1), heldOut });
    expect(tf.memory().numTensors).toBe(before);
    expect(e.accuracyDigits).toBe(1);
    expect(e.accuracyCopies).toBe(1);
    expect(e.accuracyChange.mean).toBe(0);
    expect(e.ownNearest).toBe(1);
    expect(Array.from(e.copyDistance)).toEqual(new Array(n).fill(0));
    // every sample is the same image: one predicted class, no label information
    expect(e.onSamples.labelInformation.mean).toBeCloseTo(0, 6);
    expect(e.onCopies.labelInformation.mean).toBeCloseTo(e.onDigits.labelInformation.mean, 6);
    // nearest-neighbour distances by brute force
    const distance = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, v, k) => s + (v - b[k]) ** 2, 0));
    const row = (i: number) => values.subarray(4 * i, 4 * i + 4);
    const nearestOther = (i: number) => Math.min(...Array.from({ length: n }, (_, j) => (j === i ? Infinity : distance(row(i), row(j)))));
    expect(e.digitNeighbourDistance[7]).toBeCloseTo(nearestOther(7), 5);
    const toSample = Math.min(...Array.from({ length: n }, (_, j) => distance([0.5, 0.5, 0.5, 0.5], row(j))));
    expect(Array.from(e.sampleNeighbourDistance)).toEqual(new Array(5).fill(expect.closeTo(toSample, 5)));
    // a copier copies new digits as well as its own
    expect(Array.from(e.heldOut.copyDistance)).toEqual(new Array(10).fill(0));
    expect(e.heldOut.accuracyCopies).toBe(1);
  });
  it('a lookup table (returns the nearest training digit): exact copies of its own digits, new digits come back as other digits', () => {
    const lookup = (x: tf.Tensor2D) => {
      const rows = x.arraySync();
      const table = Array.from({ length: n }, (_, j) => Array.from(values.subarray(4 * j, 4 * j + 4)));
      const nearest = rows.map((row) => table.reduce((best, t) => (t.reduce((a, v, k) => a + (v - row[k]) ** 2, 0) < best.reduce((a, v, k) => a + (v - row[k]) ** 2, 0) ? t : best)));
      return tf.tensor2d(nearest);
    };
    const e = memorisationEvidence(standInModel(lookup, [0.5, 0.5, 0.5, 0.5]), digits, pixelClassifier(), { samples: 5, random: new Random(1), heldOut });
    expect(e.ownNearest).toBe(1);
    expect(Math.max(...e.copyDistance)).toBeLessThan(1e-6);
    const row = (i: number) => Array.from(heldValues.subarray(4 * i, 4 * i + 4));
    const toNearest = (p: number[]) => Math.sqrt(Math.min(...Array.from({ length: n }, (_, j) => Array.from(values.subarray(4 * j, 4 * j + 4)).reduce((a, v, k) => a + (v - p[k]) ** 2, 0))));
    expect(e.heldOut.copyDistance[3]).toBeCloseTo(toNearest(row(3)), 5);
    expect(Math.min(...e.heldOut.copyDistance)).toBeGreaterThan(0);
  });
  it('a model that returns the average digit: copies lose their labels and their digit', () => {
    const e = memorisationEvidence(standInModel((x) => tf.tidy(() => tf.tile(tf.mean(x, 0, true), [x.shape[0], 1]) as tf.Tensor2D), [0.5, 0.5, 0.5, 0.5]),
      digits, pixelClassifier(), { samples: 5, random: new Random(1), heldOut });
    expect(e.accuracyCopies).toBeLessThan(0.8);
    expect(e.accuracyChange.mean).toBeLessThan(-3 * e.accuracyChange.standardError);
    expect(e.ownNearest).toBeLessThan(0.1);
  });
  it('table and figure', () => {
    const e = memorisationEvidence(standInModel((x) => x.clone(), [0, 1, 0, 1]), digits, pixelClassifier(), { samples: 5, random: new Random(1), heldOut });
    const t = memorisationTable(e);
    expect(t.rows.map((row) => row[1])).toEqual(['100.0 %', '100.0 %', '100.0 %', '—']);
    expect(t.rows[1][4]).toBe('to their own digit: 0.00');
    expect(t.caption).toContain('100.0 % of the copies are nearest to their own digit');
    expect(() => memorisationFigure(e, 6)).toThrow(/memorisationFigure: show must be an integer in \[1, 5\]/);
    expect(() => memorisationEvidence(standInModel((x) => x.clone(), [0, 0, 0, 0]), { values, count: n, features: 4 }, pixelClassifier(), { samples: 5, random: new Random(1), heldOut }))
      .toThrow(/memorisationEvidence: digits must carry their labels/);
    expect(() => memorisationEvidence(standInModel((x) => x.clone(), [0, 0, 0, 0]), digits, pixelClassifier(), { samples: 5, random: new Random(1), heldOut: { ...heldOut, labels: undefined } }))
      .toThrow(/memorisationEvidence: options.heldOut must carry its labels/);
  });
});

describe('claimSpecs', () => {
  it('one distinct id per claim, all of §5, each naming its two routes', () => {
    const specs = Object.values(claimSpecs);
    expect(new Set(specs.map((s) => s.id)).size).toBe(specs.length);
    expect(specs.every((s) => s.section === '§5' && s.statement.length > 0 && s.where.length > 0)).toBe(true);
    for (const s of specs) expect(s.routes).toMatch(/^A: .+ \/ B: .+/);
  });
});
