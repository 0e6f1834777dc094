// The latent explorer in a real browser (Debian's Chromium through playwright-core), on a static
// page built from the bundle's HTML, with a stand-in for require.js's `define` on the page (as in
// the classic Notebook) and every request blocked and recorded: the page decodes fixed codes as
// the library does (within the stated quantisation error), follows the keyboard (readout and
// digit), decodes interpolation paths whose jump ratios are course 04's, waits for weights sent
// after it, keeps two explorers apart, and shows its picture where JavaScript is off.
// Without Chromium the test says so in one line and is skipped; with CI set it fails instead.
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../src/engine/backends/select';
import { loadMnistSplit } from '../../src/data/mnist';
import { headRows } from '../../src/data/matrix';
import { trainVae } from '../../src/train/train';
import { evaluatePerExample } from '../../src/train/evaluation';
import { pathSmoothness } from '../../src/course/04-why-q-near-the-prior';
import type { Vae } from '../../src/models/vae';
import { decodedPixels, decoderPayload, decoderRuntime, latentGridCodes, QuantisedDecoder } from '../../src/display/decoderPayload';
import { decoderWeightsHtml, latentExplorerBundle, LatentExplorerOptions } from '../../src/display/latentExplorer';

const ROOT = path.resolve(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { findChromium, LAUNCH_ARGS } = require(path.join(ROOT, 'scripts', 'chromium')) as { findChromium(): string | null; LAUNCH_ARGS: string[] };
const executablePath = findChromium();
const ci = Boolean(process.env.CI);
if (!executablePath && !ci) console.log('latent explorer in Chromium: skipped (no Chromium: sudo apt-get install chromium, or set ELBO_LAB_CHROMIUM)');

// The page's globals, as far as the functions run there use them (the test compiles without the DOM library).
interface Handle {
  decode(model: number, z1: number, z2: number): number[];
  setZ(z1: number, z2: number): void;
  z(): [number, number];
  clientPoint(model: number, z1: number, z2: number): { x: number; y: number };
  path(): { a: number; b: number; jumpRatios: number[] } | null;
}
interface BrowserElement {
  elboLabExplorer?: Handle;
  textContent: string;
  tabIndex: number;
  naturalWidth: number;
  getAttribute(name: string): string | null;
  querySelector(selector: string): BrowserElement | null;
  querySelectorAll(selector: string): ArrayLike<BrowserElement>;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } };
  width: number;
  height: number;
  getBoundingClientRect(): { width: number; height: number };
}
declare const document: {
  querySelector(selector: string): BrowserElement | null;
  querySelectorAll(selector: string): ArrayLike<BrowserElement>;
  activeElement: BrowserElement | null;
  body: { insertAdjacentHTML(where: string, html: string): void };
};
declare const window: { __defineCalls?: number; getComputedStyle(element: BrowserElement): { outlineStyle: string; outlineWidth: string; display: string } };

interface Request { url(): string }
interface Route { request(): Request; abort(code?: string): Promise<void> }
interface Page {
  setContent(html: string): Promise<void>;
  waitForFunction<A>(fn: (arg: A) => unknown, arg: A, options?: { timeout?: number }): Promise<unknown>;
  evaluate<T, A>(fn: (arg: A) => T | Promise<T>, arg: A): Promise<T>;
  focus(selector: string): Promise<void>;
  click(selector: string): Promise<void>;
  selectOption(selector: string, value: string): Promise<unknown>;
  keyboard: { press(key: string): Promise<void> };
  mouse: { click(x: number, y: number): Promise<void> };
  on(event: 'console', fn: (message: { type(): string; text(): string }) => void): void;
  on(event: 'pageerror', fn: (error: Error) => void): void;
  on(event: 'request', fn: (request: Request) => void): void;
  close(): Promise<void>;
}
interface Context { newPage(): Promise<Page>; route(pattern: string, fn: (route: Route) => unknown): Promise<void>; close(): Promise<void> }
interface Browser { newContext(options?: Record<string, unknown>): Promise<Context>; close(): Promise<void> }

// Stands for require.js on the classic Notebook's page: an AMD `define` that counts its calls.
const AMD_PAGE_HEAD = '<meta charset="utf-8"><script>window.define = function () { window.__defineCalls = (window.__defineCalls || 0) + 1; }; window.define.amd = {};</script>';
const pageOf = (body: string) => `<!doctype html><html><head>${AMD_PAGE_HEAD}</head><body>${body}</body></html>`;

describe.skipIf(!executablePath && !ci)('the latent explorer in Chromium', () => {
  const EXTENT = 4;
  let browser: Browser | null = null;
  let context: Context;
  let page: Page;
  const requests: string[] = [];
  const errors: string[] = [];
  let models: { name: string; vae: Vae; codes: Float64Array }[] = [];
  let labels: Uint8Array;
  let decoders: QuantisedDecoder[];
  let options: LatentExplorerOptions;

  async function watchedPage(): Promise<Page> {
    const fresh = await context.newPage();
    fresh.on('request', (request) => { requests.push(request.url()); });
    fresh.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
    fresh.on('pageerror', (error) => { errors.push(String(error)); });
    return fresh;
  }

  beforeAll(async () => {
    if (!executablePath) throw new Error('CI is set and no Chromium was found (sudo apt-get install chromium, or set ELBO_LAB_CHROMIUM)');
    // Two small trained 2-D models, β = 1 and β = 0, and their codes of 100 held-out digits.
    await initEngine({ print: false });
    const split = loadMnistSplit({ seed: 2 });
    const digits = headRows(split.heldOut, 100);
    for (const beta of [1, 0]) {
      const run = await trainVae({ model: { latentSize: 2, hiddenSizes: [64] }, data: headRows(split.train, 1000), epochs: 5, beta, seed: 5, evaluateInitial: false, evalCount: 100 });
      models.push({ name: `β = ${beta}`, vae: run.model, codes: evaluatePerExample(run.model, digits).encoderMean });
    }
    labels = digits.labels;
    decoders = models.map((m) => decoderPayload(m.vae, { count: 41, extent: EXTENT }));
    options = { title: 'Two 2-D models', models, labels, extent: EXTENT, pathPairs: [[0, 1], [2, 3]] };
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { chromium } = require('playwright-core') as { chromium: { launch(o: Record<string, unknown>): Promise<Browser> } };
    browser = await chromium.launch({ executablePath, headless: true, args: LAUNCH_ARGS });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.route('**/*', (route) => route.abort('blockedbyclient')); // nothing may leave the page
    page = await watchedPage();
    await page.setContent(pageOf(latentExplorerBundle(options)['text/html'] as string));
    await page.waitForFunction(() => Boolean(document.querySelector('.elbo-lab-explorer-live')), null, { timeout: 20_000 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    for (const m of models) m.vae.dispose();
    models = [];
  });

  const handle = (p: Page, which = 0) => p.evaluate((k) => {
    const root = document.querySelectorAll('.elbo-lab-latent-explorer')[k];
    return Boolean(root && root.elboLabExplorer);
  }, which);

  it('starts without a request, a console error or a call of define, and hides its picture', async () => {
    expect(await handle(page)).toBe(true);
    const shown = await page.evaluate(() => ({
      fallback: window.getComputedStyle(document.querySelector('.elbo-lab-explorer-fallback')!).display,
      planes: Array.from(document.querySelectorAll('.elbo-lab-plane'), (p) => [p.tabIndex, p.getAttribute('role')]),
      live: document.querySelector('.elbo-lab-readout')!.getAttribute('aria-live'),
      defineCalls: window.__defineCalls ?? 0,
    }), null);
    expect(shown).toEqual({ fallback: 'none', planes: [[0, 'application'], [0, 'application']], live: 'polite', defineCalls: 0 });
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('decodes fixed codes as vae.decode does, within the stated quantisation error, and as the Node run of its code does, exactly', async () => {
    const grid = latentGridCodes(41, EXTENT);
    const picks = [0, 40, 420, 820, 840, 1001, 1260, 1680]; // corners, centre (z = 0), and others of the probe grid
    const codes = Float32Array.from(picks.flatMap((k) => [grid[2 * k], grid[2 * k + 1]]));
    const js = decoderRuntime();
    for (let m = 0; m < models.length; m++) {
      const inPage = await page.evaluate(({ model, points }) => {
        const api = document.querySelector('.elbo-lab-latent-explorer')!.elboLabExplorer!;
        return points.map(([z1, z2]) => api.decode(model, z1, z2));
      }, { model: m, points: picks.map((_, i) => [codes[2 * i], codes[2 * i + 1]]) });
      const library = decodedPixels(models[m].vae, codes);
      const unpacked = js.unpack(decoders[m].payload);
      let fromLibrary = 0;
      let fromNode = 0;
      inPage.forEach((image, i) => {
        const node = js.decode(unpacked, [codes[2 * i], codes[2 * i + 1]]);
        for (let j = 0; j < 784; j++) {
          fromLibrary = Math.max(fromLibrary, Math.abs(image[j] - library[i * 784 + j]));
          fromNode = Math.max(fromNode, Math.abs(image[j] - node[j]));
        }
      });
      expect(fromLibrary).toBeLessThanOrEqual(decoders[m].maxPixelError);
      expect(fromLibrary).toBeGreaterThan(0); // the page decodes the quantised weights, not a copy of the library's numbers
      expect(fromNode).toBeLessThan(1e-12);
    }
  });

  /** Each panel's digit canvas as gray levels, and what the page's decoder gives at its z. */
  const digitsShown = (p: Page) => p.evaluate(() => {
    const root = document.querySelector('.elbo-lab-latent-explorer')!;
    const api = root.elboLabExplorer!;
    const z = api.z();
    return Array.from(root.querySelectorAll('canvas.elbo-lab-digit'), (canvas, model) => {
      const data = canvas.getContext('2d').getImageData(0, 0, 28, 28).data;
      return { shown: Array.from({ length: 784 }, (_, p) => data[4 * p]), expected: api.decode(model, z[0], z[1]).map((v) => Math.round(255 * v)) };
    });
  }, null);

  it('follows the keyboard: arrow keys move z by a fortieth of the view (Shift: five), the readout and every panel\'s digit follow', async () => {
    await page.evaluate(() => { document.querySelector('.elbo-lab-latent-explorer')!.elboLabExplorer!.setZ(0, 0); }, null);
    const before = await digitsShown(page);
    await page.focus('.elbo-lab-plane');
    const focus = await page.evaluate(() => {
      const style = window.getComputedStyle(document.activeElement!);
      return { model: document.activeElement!.getAttribute('data-model'), outline: style.outlineStyle, width: style.outlineWidth };
    }, null);
    expect(focus).toEqual({ model: '0', outline: 'solid', width: '3px' });
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Shift+ArrowUp');
    const readout = await page.evaluate(() => {
      const element = document.querySelector('.elbo-lab-readout')!;
      return { z1: Number(element.getAttribute('data-z1')), z2: Number(element.getAttribute('data-z2')), text: element.textContent };
    }, null);
    expect(readout.z1).toBeCloseTo((3 * EXTENT) / 40, 12);
    expect(readout.z2).toBeCloseTo((5 * EXTENT) / 40, 12);
    expect(readout.text).toMatch(/^z = \(0\.30, 0\.50\), \|z\| = 0\.58, inside the prior’s 1σ circle\. β = 1: mean pixel 0\.\d{3}, ink \d+\.\d% \(\d+ of 784 pixels above 0\.5\), nearest held-out code an? \d \(\d\.\d\d away\)\. β = 0: mean pixel/);
    const after = await digitsShown(page);
    for (let m = 0; m < 2; m++) {
      expect(before[m].shown).toEqual(before[m].expected);
      expect(after[m].shown).toEqual(after[m].expected);
      expect(after[m].shown).not.toEqual(before[m].shown); // the digit changed
    }
    // the readout's numbers are the shown digit's (β = 1): mean pixel and ink
    const decoded = (await page.evaluate(() => {
      const api = document.querySelector('.elbo-lab-latent-explorer')!.elboLabExplorer!;
      return api.decode(0, api.z()[0], api.z()[1]);
    }, null));
    const mean = decoded.reduce((s, v) => s + v, 0) / 784;
    const ink = decoded.filter((v) => v > 0.5).length;
    expect(readout.text).toContain(`β = 1: mean pixel ${mean.toFixed(3)}, ink ${((100 * ink) / 784).toFixed(1)}% (${ink} of 784 pixels above 0.5)`);
  });

  /** Two codes of model m in the view, far from every other code (so a click there picks them), of different digits. */
  function isolatedPair(m: number): [number, number] {
    const c = Float32Array.from(models[m].codes);
    const n = labels.length;
    const gap = Array.from({ length: n }, (_, i) => {
      let nearest = Infinity;
      for (let j = 0; j < n; j++) if (j !== i) nearest = Math.min(nearest, Math.hypot(c[2 * i] - c[2 * j], c[2 * i + 1] - c[2 * j + 1]));
      const inside = Math.abs(c[2 * i]) < EXTENT - 0.2 && Math.abs(c[2 * i + 1]) < EXTENT - 0.2;
      return inside ? nearest : 0;
    });
    const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => gap[j] - gap[i]);
    const a = order[0];
    const b = order.find((i) => labels[i] !== labels[a])!;
    return [a, b];
  }

  /**
   * Course 04's jump ratio of the path between digits a and b through model m, decoded by the
   * library, and how far the page's may lie from it: with e_t the page's pixel errors on image t,
   * each distance moves by at most ‖e_{t+1} − e_t‖ (triangle inequality), which bounds the ratio.
   */
  function libraryJump(m: number, a: number, b: number, steps = 10): { jumpRatio: number; tolerance: number; page: number } {
    const c = Float32Array.from(models[m].codes);
    const codes = new Float32Array(2 * steps);
    for (let t = 0; t < steps; t++) {
      const s = t / (steps - 1);
      codes[2 * t] = (1 - s) * c[2 * a] + s * c[2 * b];
      codes[2 * t + 1] = (1 - s) * c[2 * a + 1] + s * c[2 * b + 1];
    }
    const library = decodedPixels(models[m].vae, codes);
    const js = decoderRuntime();
    const unpacked = js.unpack(decoders[m].payload);
    const inPage = new Float64Array(steps * 784);
    for (let t = 0; t < steps; t++) {
      const s = t / (steps - 1);
      js.decode(unpacked, [(1 - s) * c[2 * a] + s * c[2 * b], (1 - s) * c[2 * a + 1] + s * c[2 * b + 1]], inPage.subarray(t * 784, (t + 1) * 784));
    }
    const errorDistance = (i: number, j: number) => {
      let sum = 0;
      for (let p = 0; p < 784; p++) sum += ((inPage[i * 784 + p] - library[i * 784 + p]) - (inPage[j * 784 + p] - library[j * 784 + p])) ** 2;
      return Math.sqrt(sum);
    };
    const exact = pathSmoothness(library, steps);
    const endMove = errorDistance(0, steps - 1);
    let high = 0;
    let low = 0;
    for (let t = 0; t + 1 < steps; t++) {
      high = Math.max(high, exact.steps[t] + errorDistance(t, t + 1));
      low = Math.max(low, exact.steps[t] - errorDistance(t, t + 1));
    }
    const upper = ((steps - 1) * high) / (exact.endpointDistance - endMove);
    const lower = ((steps - 1) * low) / (exact.endpointDistance + endMove);
    return { jumpRatio: exact.jumpRatio, tolerance: Math.max(upper - exact.jumpRatio, exact.jumpRatio - lower), page: js.smoothness(inPage, steps).jumpRatio };
  }

  const stripsShown = (p: Page) => p.evaluate(() => ({
    path: document.querySelector('.elbo-lab-latent-explorer')!.elboLabExplorer!.path(),
    ratios: Array.from(document.querySelectorAll('.elbo-lab-strip'), (s) => Number(s.getAttribute('data-jump-ratio'))),
    strips: Array.from(document.querySelectorAll('.elbo-lab-strip canvas'), (c) => [c.width, c.height]),
    readout: document.querySelector('.elbo-lab-readout')!.textContent,
  }), null);

  it('interpolates: two clicks on held-out digits\' codes decode the path in every model, with course 04\'s jump ratios', async () => {
    const [a, b] = isolatedPair(0);
    await page.click('.elbo-lab-interpolate');
    const points = await page.evaluate(({ za, zb }) => {
      const api = document.querySelector('.elbo-lab-latent-explorer')!.elboLabExplorer!;
      return [api.clientPoint(0, za[0], za[1]), api.clientPoint(0, zb[0], zb[1])];
    }, { za: [models[0].codes[2 * a], models[0].codes[2 * a + 1]], zb: [models[0].codes[2 * b], models[0].codes[2 * b + 1]] });
    await page.mouse.click(points[0].x, points[0].y);
    expect((await stripsShown(page)).readout).toMatch(new RegExp(`^First digit: an? ${labels[a]} \\(#${a}\\)\\. Pick the second\\.$`));
    await page.mouse.click(points[1].x, points[1].y);
    const shown = await stripsShown(page);
    expect(shown.path).toEqual({ a, b, jumpRatios: shown.ratios });
    expect(shown.strips).toEqual([[280, 28], [280, 28]]);
    for (let m = 0; m < 2; m++) {
      const expected = libraryJump(m, a, b);
      expect(shown.ratios[m]).toBeCloseTo(expected.page, 9); // the page's arithmetic is the Node run's
      expect(Math.abs(shown.ratios[m] - expected.jumpRatio)).toBeLessThanOrEqual(expected.tolerance); // and course 04's, up to the quantisation
      expect(expected.tolerance).toBeLessThan(0.05 * expected.jumpRatio); // a bound that says something
    }
    expect(shown.readout).toBe(`Path from ${labels[a] === 8 ? 'an' : 'a'} ${labels[a]} (#${a}) to ${labels[b] === 8 ? 'an' : 'a'} ${labels[b]} (#${b}), 10 steps: ` +
      `β = 1 jump ratio ${shown.ratios[0].toFixed(2)}; β = 0 jump ratio ${shown.ratios[1].toFixed(2)}.`);
  });

  it('interpolates from the keyboard (Enter picks the nearest code) and from the list of the notebook\'s pairs', async () => {
    await page.focus('.elbo-lab-plane[data-model="1"]');
    const [c, d] = isolatedPair(1);
    for (const digit of [c, d]) {
      await page.evaluate(({ z }) => { document.querySelector('.elbo-lab-latent-explorer')!.elboLabExplorer!.setZ(z[0], z[1]); },
        { z: [models[1].codes[2 * digit], models[1].codes[2 * digit + 1]] });
      await page.keyboard.press('Enter');
    }
    const keyed = await stripsShown(page);
    expect([keyed.path!.a, keyed.path!.b]).toEqual([c, d]);
    expect(keyed.ratios[1]).toBeCloseTo(libraryJump(1, c, d).page, 9);
    await page.selectOption('select', '1'); // the second pair, [2, 3]
    const listed = await stripsShown(page);
    expect([listed.path!.a, listed.path!.b]).toEqual([2, 3]);
    expect(listed.ratios[0]).toBeCloseTo(libraryJump(0, 2, 3).page, 9);
  });

  it('waits for weights that come after it, and two explorers on one page keep apart', async () => {
    const other = await watchedPage();
    try {
      const separate = (title: string) => latentExplorerBundle({ ...options, title }, { weights: 'separate' })['text/html'] as string;
      await other.setContent(pageOf(`${separate('first')}${separate('second')}`));
      expect(await other.evaluate(() => document.querySelectorAll('.elbo-lab-explorer-live').length, null)).toBe(0);
      // the weights arrive later, as outputs rendered after the explorers' would
      for (const decoder of decoders) {
        await other.evaluate((source) => {
          const script = source.match(/<script type="text\/javascript">([\s\S]*)<\/script>/)![1];
          new Function(script)();
        }, decoderWeightsHtml(decoder));
      }
      await other.waitForFunction(() => document.querySelectorAll('.elbo-lab-explorer-live').length === 2, null, { timeout: 10_000 });
      const readouts = () => other.evaluate(() => Array.from(document.querySelectorAll('.elbo-lab-readout'), (r) => r.getAttribute('data-z1')), null);
      expect(await readouts()).toEqual(['0', '0']);
      await other.focus('.elbo-lab-latent-explorer:nth-of-type(2) .elbo-lab-plane');
      await other.keyboard.press('ArrowLeft');
      expect(await readouts()).toEqual(['0', String(-EXTENT / 40)]);
    } finally {
      await other.close();
    }
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
  }, 60_000);

  it('shows its picture where JavaScript is off', async () => {
    const noScript = await browser!.newContext({ javaScriptEnabled: false });
    try {
      const still = await noScript.newPage();
      await still.setContent(pageOf(latentExplorerBundle(options)['text/html'] as string));
      const picture = await still.evaluate(() => {
        const img = document.querySelector('img.elbo-lab-explorer-picture')!;
        return { width: img.naturalWidth, alt: img.getAttribute('alt'), live: document.querySelectorAll('.elbo-lab-explorer-live').length };
      }, null);
      expect(picture).toEqual({ width: 2 * 15 * 28 + 14, alt: expect.stringMatching(/^Decoded digits at 15 × 15 codes/), live: 0 });
    } finally {
      await noScript.close();
    }
  });
});
