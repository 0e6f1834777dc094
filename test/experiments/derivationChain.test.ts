import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { LinearGaussianModel } from '../../src/exact/linearGaussian';
import { checkDerivationChain, derivationSteps } from '../../src/exact/derivation';
import { derivationChainFigure, derivationStepRows, mergeChainChecks, stepUncertainty } from '../../src/experiments/derivationChain';

beforeAll(async () => { await tf.setBackend('cpu'); await tf.ready(); });

const random = new Random(8);
const model = LinearGaussianModel.random(random, 6, 2, { logVariance: Math.log(0.4) });
const x = Array.from(model.sample(random, 1));
const q = { mean: [0.1, -0.3], logVariance: [-1, -0.7] };
const exact = derivationSteps(model, x, q, { random: new Random(9), samples: 500 });
const sampled = exact.monteCarlo!;

describe('derivationStepRows and stepUncertainty', () => {
  it('one row per series with the line\'s value and route', () => {
    const rows = derivationStepRows(4, [{ name: 'exact', result: exact }, { name: 'sampled', result: sampled }]);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual(['exact', exact.steps[3].value, 'exact (float64)', exact.steps[3].route]);
    expect(rows[1][1]).toBe(sampled.steps[3].value);
    expect(rows[1][2]).toBe(`± ${(4 * sampled.steps[3].standardError).toPrecision(2)} (4 SE)`);
    expect(stepUncertainty({ ...exact.steps[0], method: 'quadrature', errorEstimate: 1.5e-5 })).toBe('error ≈ 0.000015 (stated)');
  });

  it('validates the step and the series', () => {
    expect(() => derivationStepRows(8, [{ name: 'a', result: exact }])).toThrow(/derivationStepRows: step/);
    expect(() => derivationStepRows(1, [])).toThrow(/derivationStepRows: series/);
  });
});

describe('derivationChainFigure', () => {
  it('one panel per model with titled axes and the Jensen drop annotated', () => {
    const f = derivationChainFigure([{ name: 'exact', result: exact }, { name: 'sampled', result: sampled }], 'chain');
    expect(f.data).toHaveLength(2);
    expect(f.data[0].y).toEqual(exact.steps.map((s) => s.value));
    expect(f.data[1].xaxis).toBe('x2');
    for (const axis of ['xaxis', 'yaxis', 'xaxis2', 'yaxis2']) expect((f.layout![axis] as { title: { text: string } }).title.text).toBeTruthy();
    const notes = f.layout!.annotations as { text: string }[];
    expect(notes[0].text).toContain((exact.steps[2].value - exact.steps[3].value).toPrecision(3));
    // Error bars: 4 SE for sampled lines, none for the closed form.
    expect((f.data[0].error_y as { array: number[] }).array).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect((f.data[1].error_y as { array: number[] }).array[3]).toBeCloseTo(4 * sampled.steps[3].standardError, 12);
  });
});

describe('mergeChainChecks', () => {
  it('keeps the worst example of each relation and fails when any example fails', () => {
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

  it('rejects lists with different relations', () => {
    const a = checkDerivationChain(exact);
    expect(() => mergeChainChecks([a, a.slice(1)])).toThrow(/mergeChainChecks: perExample\[1\]/);
    expect(() => mergeChainChecks([])).toThrow(/mergeChainChecks: perExample/);
  });
});
