import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  digits2dSeeds, digits2dData, digits2dHeldOut, createDigits2dModel, trainDigits2d, DIGITS_2D_MODEL,
} from '../../src/course/digits2d';
import { digitRowsFigure } from '../../src/course/01-the-elbo';
import { decodeGrayPngDataUri } from '../display/decodePng';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('the shared 2-D-latent digits model', () => {
  it('derives distinct, reproducible seeds from the notebook seed', () => {
    const a = digits2dSeeds(303);
    expect(digits2dSeeds(303)).toEqual(a);
    expect(new Set(Object.values(a)).size).toBe(4);
    expect(digits2dSeeds(304)).not.toEqual(a);
    expect(() => digits2dSeeds(-1)).toThrow(/digits2dSeeds: seed must be an integer/);
  });

  it('splits 8,000 / 2,000 and gives the same binarized held-out digits for the same seed', () => {
    const { train, heldOut } = digits2dData(5);
    expect([train.count, heldOut.count]).toEqual([8000, 2000]);
    const a = digits2dHeldOut(5, 4);
    const b = digits2dHeldOut(5, 4);
    expect(a.count).toBe(4);
    expect(a.values.every((v) => v === 0 || v === 1)).toBe(true);
    expect(Array.from(a.values)).toEqual(Array.from(b.values));
    expect(Array.from(a.labels)).toEqual(Array.from(heldOut.labels.subarray(0, 4)));
    // Each binary pixel is 1 only where the intensity is > 0, and 1 wherever it is exactly 1.
    for (let i = 0; i < a.values.length; i++) {
      if (heldOut.values[i] === 0) expect(a.values[i]).toBe(0);
      if (heldOut.values[i] === 1) expect(a.values[i]).toBe(1);
    }
    expect(Array.from(digits2dHeldOut(6, 4).values)).not.toEqual(Array.from(a.values));
    expect(() => digits2dHeldOut(5, 0)).toThrow(/count must be an integer >= 1/);
  });

  it('builds the untrained model deterministically from the seed', () => {
    const a = createDigits2dModel(9), b = createDigits2dModel(9), c = createDigits2dModel(10);
    expect(a.latentSize).toBe(2);
    expect(a.config.hiddenSizes).toEqual(DIGITS_2D_MODEL.hiddenSizes);
    expect(Array.from(a.getWeights()[0].subarray(0, 20))).toEqual(Array.from(b.getWeights()[0].subarray(0, 20)));
    expect(Array.from(a.getWeights()[0].subarray(0, 20))).not.toEqual(Array.from(c.getWeights()[0].subarray(0, 20)));
    [a, b, c].forEach((m) => m.dispose());
  });

  it('validates its options before loading or training anything', async () => {
    // (Training itself is exercised by notebooks 02 and 03; one epoch on the cpu backend takes a minute.)
    await expect(trainDigits2d(1, { epochs: 0 })).rejects.toThrow(/trainDigits2d: options.epochs must be an integer >= 1/);
    await expect(trainDigits2d(1.5)).rejects.toThrow(/trainDigits2d: seed must be an integer/);
    await expect(trainDigits2d(1, { onEpoch: 3 as unknown as () => void })).rejects.toThrow(/onEpoch must be a function/);
  });
});

describe('digitRowsFigure', () => {
  it('lays images side by side with one-pixel gaps and validates sizes', () => {
    const one = new Float32Array(4).fill(1);
    const fig = digitRowsFigure([{ label: 'a', images: [one, one, one] }, { label: 'b', images: [one, one, one] }], 't', [], 2);
    const trace = fig.data[0] as { type: string; source: string };
    expect(trace.type).toBe('image');
    const { width, height, rows } = decodeGrayPngDataUri(trace.source);
    expect([width, height]).toEqual([8, 5]);
    expect(rows[2][0]).toBe(255); // gap row: white
    expect(rows[0][2]).toBe(255); // gap column: white
    expect(rows[3][3]).toBe(255); // a pixel of value 1: white, as the 'Greys' heatmap drew it
    const half = new Float32Array(4).fill(0.5);
    const dark = decodeGrayPngDataUri((digitRowsFigure([{ label: 'a', images: [half] }], 't', [], 2).data[0] as { source: string }).source);
    expect(dark.rows).toEqual([[128, 128], [128, 128]]);
    const layout = fig.layout as Record<string, { title: { text: string }; tickvals: number[] }>;
    expect(layout.xaxis.title.text).toBe('held-out digit');
    expect(layout.xaxis.tickvals).toEqual([1, 4, 7]); // centres of the 2-pixel images (pixel c spans c ± ½)
    expect(() => digitRowsFigure([{ label: 'a', images: [new Float32Array(3)] }], 't', [], 2)).toThrow(/must have 2×2 = 4 pixels/);
  });
});
