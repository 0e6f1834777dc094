// The latent explorer's output: its bundle (live HTML, fallback picture, text), the decoders'
// weights sent once per kernel, and the checks of its options. In the browser:
// latentExplorerBrowser.test.ts.
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Random } from '../../src/random';
import { Vae } from '../../src/models/vae';
import { DECODER_RUNTIME, decodedPixels, decoderPayload, latentGridCodes } from '../../src/display/decoderPayload';
import { decoderWeightsHtml, EXPLORER_UI, FALLBACK_GRID, LatentExplorerModel, latentExplorerBundle, showLatentExplorer } from '../../src/display/latentExplorer';
import type { MimeBundle } from '../../src/display/mime';
import { decodePng } from './decodePng';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const small = (seed: number, latentSize = 2) => new Vae({ inputSize: 784, latentSize, hiddenSizes: [16] }, new Random(seed));
const labels = Array.from({ length: 40 }, (_, i) => i % 10);
const codesFor = (seed: number, spread = 1) => Float64Array.from(new Random(seed).normals(2 * labels.length), (v) => spread * v);
const html = (bundle: MimeBundle) => bundle['text/html'] as string;
/** The fallback picture's PNG (base64), from inside the bundle's HTML. */
const pictureOf = (bundle: MimeBundle) => (/class="elbo-lab-explorer-picture"[^>]*src="data:image\/png;base64,([A-Za-z0-9+/=]+)"/.exec(html(bundle)) ?? ['', ''])[1];

describe('latentExplorerBundle', () => {
  const a = small(1);
  const b = small(2);
  const models: LatentExplorerModel[] = [{ name: 'β = 1', vae: a, codes: codesFor(3, 0.7) }, { name: 'β = 0', vae: b, codes: codesFor(4, 0.7) }];

  it('is one bundle: the live HTML with the fallback picture inside (once: no image/png copy), and a text that states the error', () => {
    const before = tf.memory().numTensors;
    const bundle = latentExplorerBundle({ title: 'Two planes', models, labels });
    expect(tf.memory().numTensors).toBe(before);
    expect(Object.keys(bundle).sort()).toEqual(['text/html', 'text/plain']);
    expect(pictureOf(bundle).length).toBeGreaterThan(1000);
    expect(html(bundle).split('data:image/png;base64,').length).toBe(2);
    // the stated error is decoderPayload's over the plane shown (here z ∈ [−4, 4]², the probe's default)
    const errors = [a, b].map((vae) => decoderPayload(vae).maxPixelError.toFixed(3));
    expect(bundle['text/plain']).toBe(
      '[Two planes] Latent explorer: 2 decoders (β = 1, β = 0), 40 held-out codes, z ∈ [−3, 3]²; live where JavaScript runs, otherwise a picture of decoded digits ' +
        'at 15 × 15 codes z ∈ [−3, 3]² (z₁ left to right, z₂ bottom to top). Decoder weights 8-bit quantised; max pixel error against the float32 decoder ' +
        `over 41 × 41 codes in [−4, 4]²: β = 1 ${errors[0]}, β = 0 ${errors[1]}.`,
    );
  });

  it('draws the fallback from the library\'s decoder: 15 × 15 codes over [−3, 3]² per model, side by side, 16 gray levels', () => {
    const picture = decodePng(Buffer.from(pictureOf(latentExplorerBundle({ title: 't', models, labels })), 'base64'));
    const tile = FALLBACK_GRID.count * 28;
    expect([picture.width, picture.height]).toEqual([2 * tile + 14, tile]);
    const codes = latentGridCodes(FALLBACK_GRID.count, FALLBACK_GRID.extent);
    const pixel = (x: number, y: number) => picture.samples[y * picture.width + x];
    [a, b].forEach((vae, m) => {
      for (const k of [0, 7 * 15 + 3, 224]) { // top-left (z = (−3, 3)), a middle one, bottom-right (z = (3, −3))
        const decoded = decodedPixels(vae, codes.slice(2 * k, 2 * k + 2));
        const left = m * (tile + 14) + (k % 15) * 28;
        const top = Math.floor(k / 15) * 28;
        for (const p of [0, 200, 407, 783]) {
          const level = Math.round(Math.round(Math.round(255 * decoded[p]) / 17) * 17);
          expect(pixel(left + (p % 28), top + Math.floor(p / 28))).toBe(level);
        }
      }
    });
    expect(pixel(tile + 5, 100)).toBe(255); // the white band between the models
  });

  it('carries the page\'s code verbatim, in ES5, and nothing that reaches the network or uses define', () => {
    const text = html(latentExplorerBundle({ title: 'Two planes', models, labels }));
    expect(text).toContain(DECODER_RUNTIME);
    expect(text).toContain(EXPLORER_UI);
    // both plain ES5 (the Notebook's and older browsers' pages), without AMD's define or CommonJS
    for (const source of [DECODER_RUNTIME, EXPLORER_UI]) expect(source).not.toMatch(/=>|\blet\b|\bconst\b|\bclass\b|`|\bdefine\b|\bmodule\b|\bexports\b|\brequire\b/);
    expect(text).not.toMatch(/https?:|<link|@import|url\(|<iframe|\bdefine\s*\(|\brequire\s*\(|\bfetch\s*\(|XMLHttpRequest/);
    for (const source of text.matchAll(/\bsrc="([^"]*)"/g)) expect(source[1].startsWith('data:image/png;base64,')).toBe(true);
  });

  it('puts each distinct decoder\'s weights before the explorer (inline), or leaves them out (separate)', () => {
    const inline = html(latentExplorerBundle({ title: 't', models: [...models, { name: 'again', vae: a, codes: codesFor(5) }], labels }));
    const ids = [a, b].map((vae) => decoderPayload(vae).payload.id);
    const registrations = [...inline.matchAll(/registry\["(decoder-[0-9a-f]{16})"\] = \{ payload:/g)].map((m) => m[1]);
    expect(registrations).toEqual(ids); // a once, though two models use it
    expect(inline.indexOf(decoderWeightsHtml(decoderPayload(b, { extent: 4 })))).toBeLessThan(inline.indexOf('<div id="elbo-latent-'));
    const separate = html(latentExplorerBundle({ title: 't', models, labels }, { weights: 'separate' }));
    expect(separate).not.toMatch(/registry\["decoder-/);
    expect(separate.startsWith('<div id="elbo-latent-')).toBe(true);
    for (const id of ids) expect(separate).toContain(`"${id}"`);
  });

  it('gives every explorer its own element id', () => {
    const first = html(latentExplorerBundle({ title: 't', models, labels }, { weights: 'separate' })).match(/id="(elbo-latent-[^"]+)"/)![1];
    const second = html(latentExplorerBundle({ title: 't', models, labels }, { weights: 'separate' })).match(/id="(elbo-latent-[^"]+)"/)![1];
    expect(second).not.toBe(first);
  });

  it('shows the plane the codes need: at least [−3, 3]², else the 99th percentile of max(|z₁|, |z₂|) rounded up to a half', () => {
    const text = (spread: number, extent?: number) => latentExplorerBundle({ title: 't', models: [{ name: 'm', vae: a, codes: codesFor(6, spread) }], labels, extent })['text/plain'] as string;
    expect(text(0.5)).toContain('z ∈ [−3, 3]²');
    const wide = codesFor(6, 4);
    const radii = Array.from({ length: 40 }, (_, i) => Math.max(Math.abs(Math.fround(wide[2 * i])), Math.abs(Math.fround(wide[2 * i + 1])))).sort((x, y) => x - y);
    const expected = Math.max(3, Math.ceil(2 * radii[Math.floor(0.99 * 40)]) / 2);
    expect(expected).toBeGreaterThan(3);
    expect(text(4)).toContain(`z ∈ [−${expected}, ${expected}]²`);
    // the stated error covers that plane
    expect(text(4)).toContain(`over 41 × 41 codes in [−${expected}, ${expected}]²`);
    expect(text(0.5, 6)).toContain('z ∈ [−6, 6]²');
  });

  it('names the argument it refuses', () => {
    const threeD = small(7, 3);
    const gaussian = new Vae({ inputSize: 784, latentSize: 2, hiddenSizes: [8], likelihood: 'gaussian' }, new Random(8));
    const odd = new Vae({ inputSize: 30, latentSize: 2, hiddenSizes: [8] }, new Random(9));
    const options = { title: 't', models, labels };
    const fn = 'latentExplorerBundle';
    expect(() => latentExplorerBundle({ ...options, models: [] })).toThrow(new RangeError(`${fn}: options.models must be an array of 1 to 4 models {name, vae, codes}, got 0 models`));
    expect(() => latentExplorerBundle({ ...options, models: [...models, ...models, models[0]] })).toThrow(/options.models must be an array of 1 to 4 models .* got 5 models/);
    expect(() => latentExplorerBundle({ ...options, models: [models[0], { ...models[1], vae: threeD }] })).toThrow(
      new RangeError(`${fn}: options.models[1].vae must have a 2-D latent space (latentSize 2), got latentSize 3`));
    expect(() => latentExplorerBundle({ ...options, models: [{ ...models[0], vae: gaussian }] })).toThrow(/options.models\[0\].vae must have a Bernoulli likelihood/);
    expect(() => latentExplorerBundle({ ...options, models: [{ ...models[0], vae: odd }] })).toThrow(/options.models\[0\].vae must decode square images .* got inputSize 30/);
    expect(() => latentExplorerBundle({ ...options, models: [{ ...models[0], codes: codesFor(3).slice(0, 79) }] })).toThrow(
      new RangeError(`${fn}: options.models[0].codes must hold 2 numbers per label (2 · 40 = 80), got 79`));
    expect(() => latentExplorerBundle({ ...options, models: [{ ...models[0], codes: [...codesFor(3).slice(0, 79), NaN] }] })).toThrow(/options.models\[0\].codes must contain finite numbers, got NaN at index 79/);
    expect(() => latentExplorerBundle({ ...options, models: [{ ...models[0], name: ' ' }] })).toThrow(/options.models\[0\].name must be a non-empty string/);
    expect(() => latentExplorerBundle({ ...options, labels: labels.map((l) => l + 1) })).toThrow(/options.labels\[9\] must be an integer in \[0, 9\], got 10/);
    expect(() => latentExplorerBundle({ ...options, title: '' })).toThrow(/options.title must be a non-empty string/);
    expect(() => latentExplorerBundle({ ...options, pathPairs: [[0, 40]] })).toThrow(/options.pathPairs\[0\]\[1\] must be an integer in \[0, 39\], got 40/);
    expect(() => latentExplorerBundle({ ...options, pathPairs: [[3, 3]] })).toThrow(/options.pathPairs\[0\] must join two different digits/);
    expect(() => latentExplorerBundle({ ...options, pathSteps: 1 })).toThrow(/options.pathSteps must be an integer in \[2, 40\], got 1/);
    expect(() => latentExplorerBundle({ ...options, extent: 0 })).toThrow(/options.extent must be a finite number in \[0.5, 1000\], got 0/);
    expect(() => latentExplorerBundle(options, { weights: 'both' as 'inline' })).toThrow(/bundleOptions.weights must be 'inline' or 'separate', got both/);
    for (const vae of [threeD, gaussian, odd]) vae.dispose();
  });
});

describe('showLatentExplorer', () => {
  // tslab's writer of the running cell, as the kernel sets it; null outside a notebook
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const jupyter = require('tslab/dist/jupyter') as { lastWriteDisplayData: ((message: { data: MimeBundle }, update: boolean) => void) | null };
  afterEach(() => { jupyter.lastWriteDisplayData = null; vi.restoreAllMocks(); });

  it('sends each decoder\'s weights once per kernel, before the first explorer that needs them', () => {
    const outputs: MimeBundle[] = [];
    jupyter.lastWriteDisplayData = (message) => { outputs.push(message.data); };
    const [a, b, c] = [small(11), small(12), small(13)];
    const id = (vae: Vae) => decoderPayload(vae).payload.id;
    const kind = (bundle: MimeBundle) => {
      const weights = (bundle['text/html'] as string).match(/registry\["(decoder-[0-9a-f]{16})"\]/);
      return weights ? `weights ${weights[1]}` : /class="elbo-lab-latent-explorer"/.test(bundle['text/html'] as string) ? 'explorer' : 'other';
    };
    const pair = [{ name: 'a', vae: a, codes: codesFor(1) }, { name: 'b', vae: b, codes: codesFor(2) }];
    showLatentExplorer({ title: 'first', models: pair, labels });
    showLatentExplorer({ title: 'second, same decoders', models: pair, labels });
    showLatentExplorer({ title: 'third', models: [pair[0], { name: 'c', vae: c, codes: codesFor(3) }], labels });
    expect(outputs.map(kind)).toEqual([`weights ${id(a)}`, `weights ${id(b)}`, 'explorer', 'explorer', `weights ${id(c)}`, 'explorer']);
    // weights outputs say nothing in a console; explorers carry no weights of their own
    expect(outputs.filter((o) => kind(o).startsWith('weights')).map((o) => o['text/plain'])).toEqual(['', '', '']);
    expect((outputs[2]['text/html'] as string)).not.toMatch(/registry\["decoder-/);
    expect(outputs[2]['text/plain']).toMatch(/^\[first\] Latent explorer: 2 decoders \(a, b\)/);
    for (const vae of [a, b, c]) vae.dispose();
  });

  it('prints its text outside a notebook', () => {
    const printed: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { printed.push(String(chunk)); return true; });
    const vae = small(14);
    showLatentExplorer({ title: 'alone', models: [{ name: 'only', vae, codes: codesFor(1) }], labels });
    vi.restoreAllMocks();
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatch(/^\[alone\] Latent explorer: 1 decoder \(only\), 40 held-out codes/);
    vae.dispose();
  });
});
