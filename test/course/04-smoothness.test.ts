// Notebook 04, reason 3 (geometry): the 2-D codes and grid, interpolation paths and their jump ratios.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { Vae } from '../../src/models/vae';
import { evaluatePerExample } from '../../src/train/evaluation';
import { plotlyBundle } from '../../src/display/plotly';
import {
  InterpolationPath, compareJumps, decodedLatentGridFigure, differentClassPairs, interpolationPaths, interpolationSmoothness,
  interpolationsFigure, latentCodesFigure, latentPath, pathSmoothness, smoothnessTable, squareLatentGrid,
} from '../../src/course/04-why-q-near-the-prior';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('pathSmoothness', () => {
  it('an evenly spaced straight path has both ratios 1', () => {
    const images = [0, 0, 1, 2, 2, 4, 3, 6]; // 4 rows of 2 pixels along (1, 2)
    const s = pathSmoothness(images, 4);
    expect(s.jumpRatio).toBeCloseTo(1, 12);
    expect(s.lengthRatio).toBeCloseTo(1, 12);
    expect(s.endpointDistance).toBeCloseTo(3 * Math.sqrt(5), 12);
  });
  it('all change in one step gives jump ratio T − 1; a detour raises the length ratio', () => {
    expect(pathSmoothness([0, 0, 0, 1, 1], 5).jumpRatio).toBeCloseTo(4, 12);
    const detour = pathSmoothness([0, 0, 1, 1, 2, 0], 3); // (0,0) → (1,1) → (2,0)
    expect(detour.lengthRatio).toBeCloseTo((2 * Math.SQRT2) / 2, 12);
    expect(detour.jumpRatio).toBeCloseTo((2 * Math.SQRT2) / 2, 12);
  });
  it('rejects identical endpoints and ragged input', () => {
    expect(() => pathSmoothness([1, 2, 1], 3)).toThrow(/identical/);
    expect(() => pathSmoothness([1, 2, 3], 2)).toThrow(/pathSmoothness: images must hold 2 rows/);
  });
});

describe('latentPath / squareLatentGrid', () => {
  it('path: endpoints and midpoint', () => {
    const a = tf.tensor2d([[0, 2]]);
    const b = tf.tensor2d([[4, -2]]);
    const p = latentPath(a, b, 3);
    expect(p.arraySync()).toEqual([[0, 2], [2, 0], [4, -2]]);
    tf.dispose([a, b, p]);
  });
  it('grid: corners, top row first', () => {
    const g = squareLatentGrid(3, 2);
    const v = g.arraySync();
    expect(v[0]).toEqual([-2, 2]);
    expect(v[2]).toEqual([2, 2]);
    expect(v[4]).toEqual([0, 0]);
    expect(v[8]).toEqual([2, -2]);
    g.dispose();
  });
});

describe('interpolationSmoothness / interpolationPaths', () => {
  it('decodes the same path as Vae.interpolate, without leaking', () => {
    const vae = new Vae({ inputSize: 6, latentSize: 2, hiddenSizes: [5] }, new Random(2));
    const x = tf.tensor2d(new Random(3).uniforms(4 * 6), [4, 6]);
    const before = tf.memory().numTensors;
    const s = interpolationSmoothness(vae, x, 0, 3, 7);
    expect(tf.memory().numTensors).toBe(before);
    const reference = tf.tidy(() => vae.interpolate(tf.slice(x, [0, 0], [1, -1]), tf.slice(x, [3, 0], [1, -1]), 7).dataSync());
    Array.from(reference).forEach((v, i) => expect(s.images[i]).toBeCloseTo(v, 5));
    expect(s.jumpRatio).toBeGreaterThanOrEqual(1 - 1e-9);
    expect(() => interpolationSmoothness(vae, x, 0, 4, 7)).toThrow(/interpolationSmoothness: b/);
    x.dispose();
    vae.dispose();
  });

  it('interpolationPaths: one path per pair, the same as interpolationSmoothness on the rows, without leaking', () => {
    const vae = new Vae({ inputSize: 6, latentSize: 2, hiddenSizes: [5] }, new Random(2));
    const values = new Random(3).uniforms(5 * 6);
    const before = tf.memory().numTensors;
    const paths = interpolationPaths(vae, { values, count: 5, features: 6 }, [[0, 3], [4, 1]], 5);
    expect(tf.memory().numTensors).toBe(before);
    const x = tf.tensor2d(values, [5, 6]);
    expect(paths[1]).toEqual(interpolationSmoothness(vae, x, 4, 1, 5));
    x.dispose();
    expect(() => interpolationPaths(vae, { values, count: 5, features: 6 }, [[0, 5]], 5)).toThrow(/interpolationSmoothness: b/);
    expect(tf.memory().numTensors).toBe(before);
    vae.dispose();
  });
});

describe('differentClassPairs', () => {
  it('draws a, then b, uniformly, keeping the pairs whose labels differ', () => {
    const labels = [0, 0, 1, 1, 2];
    const pairs = differentClassPairs(labels, 20, new Random(4));
    expect(pairs).toHaveLength(20);
    pairs.forEach(([a, b]) => expect(labels[a]).not.toBe(labels[b]));
    // Independent: the same draws made by hand.
    const r = new Random(4);
    const expected: [number, number][] = [];
    while (expected.length < 20) {
      const a = r.integer(5);
      const b = r.integer(5);
      if (labels[a] !== labels[b]) expected.push([a, b]);
    }
    expect(pairs).toEqual(expected);
    expect(() => differentClassPairs([3, 3, 3], 2, new Random(1))).toThrow(/differentClassPairs: labels must hold at least two different classes/);
  });
});

/** A stand-in path with the given ratios (the comparison reads only these). */
const path = (jumpRatio: number, lengthRatio: number): InterpolationPath =>
  ({ jumpRatio, lengthRatio, steps: new Float64Array(3), endpointDistance: 1, images: new Float32Array(4 * 4) });

describe('compareJumps / smoothnessTable', () => {
  it('mean jump ratios of both models and the paired difference KL-free − VAE with its SE', () => {
    const vae = [path(1.2, 1.1), path(1.5, 1.3), path(1.1, 1.0), path(1.4, 1.2)];
    const free = [path(1.6, 1.4), path(1.7, 1.5), path(1.6, 1.1), path(1.9, 1.6)];
    const c = compareJumps(vae, free);
    const d = [0.4, 0.2, 0.5, 0.5];
    const dm = 0.4;
    expect(c.difference.mean).toBeCloseTo(dm, 12);
    expect(c.difference.standardError).toBeCloseTo(Math.sqrt(d.reduce((s, v) => s + (v - dm) ** 2, 0) / 3 / 4), 12);
    expect(c.vae.mean).toBeCloseTo(1.3, 12);
    expect(c.free.mean).toBeCloseTo(1.7, 12);
    expect(c.vaeLength).toBeCloseTo(1.15, 12);
    expect(c.freeLength).toBeCloseTo(1.4, 12);
    // Pairing: the difference's SE is below that of two independent means.
    expect(c.difference.standardError).toBeLessThan(Math.hypot(c.vae.standardError, c.free.standardError));
    expect(() => compareJumps(vae, free.slice(1))).toThrow(/compareJumps: vae and free must hold the paths of the same pairs/);

    const t = smoothnessTable([{ latent: '2-D', comparison: c }], 4);
    expect(t.rows[0]).toEqual(['2-D', c.vae.mean, c.free.mean, c.difference, c.vaeLength, c.freeLength]);
    expect(t.caption).toBe('Smoothness of 4 interpolation paths (1 = perfectly even change; lower is smoother)');
  });
});

describe('figures of the 2-D models and the paths', () => {
  it('codes coloured by digit, the decoded grid, the interpolations: drawable, nothing leaked', () => {
    const vae = new Vae({ inputSize: 784, latentSize: 2, hiddenSizes: [8] }, new Random(5));
    const values = new Random(6).uniforms(12 * 784);
    const labels = Uint8Array.from({ length: 12 }, (_, i) => i % 3);
    const terms = evaluatePerExample(vae, { values, count: 12, features: 784, labels });
    const before = tf.memory().numTensors;
    const codes = latentCodesFigure(terms, terms, labels);
    const traces = codes.data as Array<{ x: number[]; y: number[]; name: string; showlegend: boolean }>;
    expect(traces).toHaveLength(20); // ten digits per panel
    expect(traces[1].x).toEqual([1, 4, 7, 10].map((i) => terms.encoderMean[2 * i]));
    expect(traces[1].y).toEqual([1, 4, 7, 10].map((i) => terms.encoderMean[2 * i + 1]));
    expect(traces[11].showlegend).toBe(false);
    expect(() => plotlyBundle(codes)).not.toThrow();
    expect(() => latentCodesFigure(terms, terms, labels.subarray(1))).toThrow(/latentCodesFigure: vae must hold 2-D codes of the 11 labelled digits/);

    const grid = decodedLatentGridFigure(vae, vae, 3, 1);
    expect(() => plotlyBundle(grid)).not.toThrow();
    const paths = interpolationPaths(vae, { values, count: 12, features: 784 }, [[0, 1], [2, 3]], 4);
    const figure = interpolationsFigure(paths, paths, ['a', 'b'], 'paths', 2);
    expect((figure.data as Array<{ name: string }>).map((t) => t.name)).toEqual(['a', 'b']);
    expect(() => interpolationsFigure(paths, paths, ['a', 'b'], 'paths', 3)).toThrow(/interpolationsFigure: vae must hold at least 3 paths/);
    expect(tf.memory().numTensors).toBe(before);
    vae.dispose();
  });
});
