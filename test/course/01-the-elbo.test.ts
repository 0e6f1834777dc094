import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { Vae } from '../../src/models/vae';
import type { ElboEstimate } from '../../src/objectives/types';
import type { ImportanceWeightedEstimate } from '../../src/objectives/iwae';
import {
  boundMargins, boundMarginsText, claimSpecs, closestToBound, digitLabels, digitRowsFigure, digitTerms, digitTermsFigure,
  digitTermsTable, inputsAndReconstructionsFigure, klDiscrepancyInStandardErrors, reconstructionsAtOneCode, substitutedEquationTex,
} from '../../src/course/01-the-elbo';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** A stand-in for estimateElbo's result: only the per-example fields the course reads. */
function elboEstimate(form: 'analyticKl' | 'monteCarlo', parts: { reconstruction: number[]; kl: number[]; se: number[]; klSe?: number[] }): ElboEstimate {
  const f = (v: number[]) => Float64Array.from(v);
  return {
    form, samples: 2000,
    elbo: f(parts.reconstruction.map((r, i) => r - parts.kl[i])), reconstruction: f(parts.reconstruction), kl: f(parts.kl),
    elboStandardError: f(parts.se), reconstructionStandardError: f(parts.se.map((s) => s / 2)), klStandardError: f(parts.klSe ?? parts.kl.map(() => 0)),
    batchMean: {} as ElboEstimate['batchMean'],
  };
}

function boundEstimate(value: number[], standardError: number[]): ImportanceWeightedEstimate {
  return { k: 5000, replicates: 4, value: Float64Array.from(value), standardError: Float64Array.from(standardError),
    replicateValues: new Float64Array(value.length * 4), batchMean: { value: 0, standardError: 0 } };
}

describe('the pictures of the digits', () => {
  it('names the digits by position and class', () => {
    expect(digitLabels(Int32Array.from([3, 7, 1]))).toEqual(['#1 (a 3)', '#2 (a 7)', '#3 (a 1)']);
  });

  it('reconstructionsAtOneCode decodes z = μ + σ·ε with ε the next normals of the generator, and leaves no tensor', () => {
    const model = new Vae({ inputSize: 16, latentSize: 3, hiddenSizes: [8] }, new Random(7));
    const x = tf.tensor2d(Float32Array.from({ length: 2 * 16 }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0), [2, 16]);
    const before = tf.memory().numTensors;
    const mine = reconstructionsAtOneCode(model, x, new Random(11));
    expect(tf.memory().numTensors).toBe(before);
    // The same code written out in float64: z_iu = μ_iu + exp(½ log σ²_iu)·ε_iu.
    const q = model.encode(x);
    const mean = q.mean.dataSync(), logVariance = q.logVariance.dataSync();
    const eps = new Random(11).normals(2 * 3);
    const z = tf.tensor2d(Array.from(mean, (m, j) => m + Math.exp(0.5 * logVariance[j]) * eps[j]), [2, 3]);
    const expected = model.decode(z);
    expect(mine).toHaveLength(2 * 16);
    Array.from(expected.dataSync()).forEach((p, j) => expect(mine[j]).toBeCloseTo(p, 6));
    expect(mine.every((p) => p > 0 && p < 1)).toBe(true);
    expect(Array.from(reconstructionsAtOneCode(model, x, new Random(12)))).not.toEqual(Array.from(mine));
    tf.dispose([q.mean, q.logVariance, z, expected, x]);
    model.dispose();
  });

  it('inputsAndReconstructionsFigure is the two-row digit picture: inputs above, reconstructions below', () => {
    const inputs = Float32Array.from({ length: 2 * 4 }, (_, i) => i % 2);
    const reconstructions = Float32Array.from({ length: 2 * 4 }, (_, i) => i / 8);
    const figure = inputsAndReconstructionsFigure(inputs, reconstructions, ['#1 (a 0)', '#2 (a 1)'], 2);
    const expected = digitRowsFigure([
      { label: 'input x (binarised)', images: [inputs.subarray(0, 4), inputs.subarray(4, 8)] },
      { label: 'decoder p(pixel=1 | z), z ~ q', images: [reconstructions.subarray(0, 4), reconstructions.subarray(4, 8)] },
    ], 'Two held-out digits and what the decoder makes of one code drawn from the encoder', ['#1 (a 0)', '#2 (a 1)'], 2);
    expect(figure).toEqual(expected);
    expect(() => inputsAndReconstructionsFigure(inputs, reconstructions.subarray(0, 7), ['a', 'b'], 2))
      .toThrow(/reconstructions must hold 2 images of 4 pixels \(8 values\), got 7/);
  });
});

describe('the rows of the table, their table and chart', () => {
  const labels = ['#1 (a 3)', '#2 (a 7)'];
  const elbo = elboEstimate('analyticKl', { reconstruction: [-97.25, -61.19], kl: [22.55, 25.99], se: [0.13, 0.1] });
  const bound = boundEstimate([-112.49, -79.19], [0.74, 0.63]);

  it('digitTerms reads each digit\'s estimates (n: samples for the ELBO, replicates for L_k)', () => {
    const rows = digitTerms(labels, elbo, bound);
    expect(rows[1]).toEqual({
      label: '#2 (a 7)',
      reconstruction: { mean: -61.19, standardError: 0.05, n: 2000 },
      kl: 25.99,
      elbo: { mean: -61.19 - 25.99, standardError: 0.1, n: 2000 },
      logEvidence: { mean: -79.19, standardError: 0.63, n: 4 },
    });
    expect(() => digitTerms(labels, { ...elbo, form: 'monteCarlo' }, bound)).toThrow(/digitTerms: elbo must be the analytic-KL form/);
    expect(() => digitTerms(['one'], elbo, bound)).toThrow(/one value per label \(1\), got 2 and 2/);
  });

  it('digitTermsTable: two decimals, ± one SE, and the gap log p̂(x) − ELBO', () => {
    const table = digitTermsTable(digitTerms(labels, elbo, bound));
    expect(table.headers).toEqual(['digit', 'reconstruction term', 'KL term', 'ELBO = rec − KL', 'log p̂(x) = L₅₀₀₀', 'log p̂(x) − ELBO']);
    expect(table.rows[0]).toEqual(['#1 (a 3)', '-97.25 ± 0.07', '22.55', '-119.80 ± 0.13', '-112.49 ± 0.74', '7.31']);
    expect(digitTermsTable(digitTerms(labels, elbo, bound), 64).headers[4]).toBe('log p̂(x) = L₆₄');
  });

  it('digitTermsFigure: four bar series, −KL without error bars, the others with 2 SE', () => {
    const figure = digitTermsFigure(digitTerms(labels, elbo, bound));
    const bars = figure.data as { name: string; x: string[]; y: number[]; error_y?: { array: number[] } }[];
    expect(bars.map((b) => b.name)).toEqual(['reconstruction term', '− KL term', 'ELBO = reconstruction − KL', 'log p̂(x) (L₅₀₀₀)']);
    expect(bars[1].y).toEqual([-22.55, -25.99]);
    expect(bars[1].error_y).toBeUndefined();
    expect(bars[3].y).toEqual([-112.49, -79.19]);
    expect(bars[3].error_y!.array).toEqual([1.48, 1.26]);
    expect(bars[0].x).toEqual(labels);
  });
});

describe('what the claims compare', () => {
  const labels = ['#1', '#2', '#3'];
  // ELBO − log p̂(x): −6 (SE 1.5: −4 SE), −2 (SE 0.25: −8 SE), −9 (SE 3: −3 SE).
  const elbo = elboEstimate('analyticKl', { reconstruction: [-10, -20, -30], kl: [0, 0, 0], se: [0.9, 0.15, 1.8] });
  const bound = boundEstimate([-4, -18, -21], [1.2, 0.2, 2.4]);

  it('boundMargins: ELBO − log p̂(x) with the SE of a difference of independent estimates', () => {
    const margins = boundMargins(digitTerms(labels, elbo, bound));
    expect(margins.map((m) => m.difference.mean)).toEqual([-6, -2, -9]);
    margins.forEach((m, i) => expect(m.difference.standardError).toBeCloseTo([1.5, 0.25, 3][i], 12));
    expect(margins[0].label).toBe('#1');
  });

  it('closestToBound is the largest difference in standard errors, not the largest difference', () => {
    const margins = boundMargins(digitTerms(labels, elbo, bound));
    expect(closestToBound(margins).label).toBe('#3');
    expect(closestToBound([margins[0], { ...margins[0], label: 'tie' }]).label).toBe('#1');
    expect(boundMarginsText(margins)).toBe('ELBO − log p̂(x) from -9.00 to -2.00 nats over 3 digits; closest: #3, -9.00 nats, SE 3.000');
    expect(() => closestToBound([])).toThrow(/closestToBound: margins must be a non-empty array/);
  });

  it('klDiscrepancyInStandardErrors: |closed form − sampled| / SE of the sampled KL', () => {
    const closed = elboEstimate('analyticKl', { reconstruction: [0, 0], kl: [10, 20], se: [1, 1] });
    const sampled = elboEstimate('monteCarlo', { reconstruction: [0, 0], kl: [10.5, 19], se: [1, 1], klSe: [0.25, 0.5] });
    expect(klDiscrepancyInStandardErrors(closed, sampled)).toEqual([2, 2]);
    expect(() => klDiscrepancyInStandardErrors(sampled, closed)).toThrow(/closedForm must be the analytic-KL estimate/);
  });

  it('substitutedEquationTex puts one digit\'s numbers into the inequality', () => {
    const [row] = digitTerms(['#1 (a 3)'], elboEstimate('analyticKl', { reconstruction: [-97.254], kl: [22.546], se: [0.1] }), boundEstimate([-112.4854], [0.7]));
    const tex = substitutedEquationTex(row);
    expect(tex).toContain('\\underbrace{-112.49}_{\\log \\hat p_\\theta(x)} \\;\\ge\\; \\underbrace{-97.25}_{\\text{reconstruction term}}');
    expect(tex).toContain('\\underbrace{22.55}_{\\text{KL term}} \\;=\\; \\underbrace{-119.80}_{\\text{ELBO}}');
    expect(tex).toContain('(digit \\#1 (a 3), nats)');
  });

  it('claimSpecs keep the notebook\'s claim ids', () => {
    expect(Object.values(claimSpecs).map((s) => s.id)).toEqual(['elbo-below-evidence', 'kl-term-nonnegative', 'kl-term-is-expectation', 'substituted-equation']);
  });
  it('every claim names its two routes, "A: … / B: …"', () => {
    for (const spec of Object.values(claimSpecs)) expect(spec.routes).toMatch(/^A: .+ \/ B: .+/s);
  });
});
