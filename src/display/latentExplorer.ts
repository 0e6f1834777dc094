/**
 * The latent explorer: one output in which the reader walks the 2-D latent plane of one to four
 * trained decoders and watches each answer, decoded live in the reader's browser from weights
 * that travel with the notebook (decoderPayload.ts: 8-bit, with a stated error). For each model a
 * panel: the plane (held-out digits' codes coloured by label, the prior's 1σ and 2σ circles) and
 * beside it the digit its decoder gives at the code under the pointer; every panel follows the
 * same z, so models are compared at the same code. Arrow keys move z on a focused plane; a text
 * readout (aria-live) says z and what each decoder draws there. An interpolation mode decodes the
 * straight path z_t = (1 − t) z_A + t z_B between two held-out digits' codes (each model its own
 * codes of the same two digits) and shows its jump ratio, as notebook 04 measures it.
 *
 * One output for every front end, offline: no network request, no `define` (require.js pages),
 * ES5 in the page. Each decoder's weights are their own output, sent once per kernel (keyed by a
 * content hash in `window.__elboLabDecoders`, like the Plotly library) and published before the
 * first explorer that uses them; an explorer waits for its weights. Where no script runs
 * (untrusted notebooks, GitHub) the HTML shows a PNG of decoded digits over a grid of codes.
 * That picture travels once, inside the HTML, not also as image/png: every front end the course
 * is tested in shows an output's text/html in preference to its image/png, trusted or not
 * (JupyterLab sanitises it and keeps the picture; the classic Notebook, nbconvert's HTML and the
 * book show it as it is), and no Plotly renderer takes the output over as it does a chart's.
 */
import type { Vae } from '../models/vae';
import { checkFiniteArray, checkInteger, checkNonEmptyString, checkNumber, checkObject } from '../checks';
import { checkExplorableVae, DECODER_RUNTIME, decodedPixels, decoderPayload, DEFAULT_PROBE, float32Base64, latentGridCodes, QuantisedDecoder } from './decoderPayload';
import { escapeHtml, freshId, inNotebook, MimeBundle, publish } from './mime';
import { encodeGrayPng, grayLevels } from './png';

/** One model of the explorer. */
export interface LatentExplorerModel {
  /** Its name above its panel and in the readout, e.g. 'β = 1'. */
  name: string;
  /** A trained VAE with latentSize 2 and a Bernoulli likelihood (square images, e.g. 28 × 28). */
  vae: Vae;
  /**
   * The held-out digits' codes under this model: encoder means μ(x), [n·2] as z₁, z₂ of the first
   * digit, then the second … (e.g. train.evaluatePerExample(vae, digits).encoderMean).
   */
  codes: ArrayLike<number>;
}

export interface LatentExplorerOptions {
  /** The heading of the output. */
  title: string;
  /** One to four models (two side by side where the text compares them, four for a β sweep). */
  models: LatentExplorerModel[];
  /** The held-out digits' labels (integers 0 … 9), one per code. */
  labels: ArrayLike<number>;
  /** Pairs of digits [a, b] (indices into labels) whose paths the reader can pick from a list. */
  pathPairs?: [number, number][];
  /** Images on an interpolation path, T (default 10, as notebook 04's paths). */
  pathSteps?: number;
  /**
   * Half-width of the plane shown, z ∈ [−extent, extent]² (default: the 99th percentile of
   * max(|z₁|, |z₂|) over every model's codes, at least 3, rounded up to a half).
   */
  extent?: number;
}

/** Plotly's default colours (its colorway), one per digit 0 … 9. */
export const LABEL_COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/**
 * The fallback picture: `count` codes per axis over [−extent, extent]² per model, gray levels
 * rounded to `levels` steps. Why 16 levels: the picture travels in the notebook (inside the
 * HTML), and one model's 15 × 15 grid of decoded digits weighs 88 KB as a PNG with 256 levels,
 * 53 KB with 32 and 35 KB with 16 (notebook 04's 2-D β = 1 model), where the blur of a decoded
 * digit shows no banding.
 */
export const FALLBACK_GRID = { count: 15, extent: 3, levels: 16 } as const;

/** What the checks and the payloads give, before any HTML. */
interface Checked {
  title: string;
  names: string[];
  vaes: Vae[];
  codes: Float32Array[];
  labels: Uint8Array;
  pathPairs: [number, number][];
  steps: number;
  extent: number;
  side: number;
}

function checkOptions(fn: string, options: LatentExplorerOptions): Checked {
  checkObject(fn, 'options', options);
  const title = checkNonEmptyString(fn, 'options.title', options.title);
  if (!Array.isArray(options.models) || options.models.length < 1 || options.models.length > 4) {
    throw new RangeError(`${fn}: options.models must be an array of 1 to 4 models {name, vae, codes}, got ${Array.isArray(options.models) ? `${options.models.length} models` : typeof options.models}`);
  }
  if (!options.labels || typeof options.labels.length !== 'number' || options.labels.length < 2) {
    throw new TypeError(`${fn}: options.labels must be an array of at least 2 digit labels (integers 0 … 9)`);
  }
  const labels = new Uint8Array(options.labels.length);
  for (let i = 0; i < labels.length; i++) labels[i] = checkInteger(fn, `options.labels[${i}]`, options.labels[i], 0, 9);
  const n = labels.length;
  const names: string[] = [];
  const vaes: Vae[] = [];
  const codes: Float32Array[] = [];
  let side = 0;
  options.models.forEach((model, m) => {
    const name = `options.models[${m}]`;
    checkObject(fn, name, model);
    names.push(checkNonEmptyString(fn, `${name}.name`, model.name));
    const vae = checkExplorableVae(fn, `${name}.vae`, model.vae);
    const root = Math.round(Math.sqrt(vae.inputSize));
    if (root * root !== vae.inputSize) throw new RangeError(`${fn}: ${name}.vae must decode square images (inputSize a square such as 784 = 28²), got inputSize ${vae.inputSize}`);
    if (m > 0 && root !== side) throw new RangeError(`${fn}: ${name}.vae must decode ${side} × ${side} images like options.models[0].vae, got ${root} × ${root}`);
    side = root;
    vaes.push(vae);
    if (!model.codes || typeof model.codes.length !== 'number') throw new TypeError(`${fn}: ${name}.codes must be an array of 2-D codes [z₁, z₂, z₁, z₂, …], got ${typeof model.codes}`);
    if (model.codes.length !== 2 * n) {
      throw new RangeError(`${fn}: ${name}.codes must hold 2 numbers per label (2 · ${n} = ${2 * n}), got ${model.codes.length}`);
    }
    codes.push(Float32Array.from(checkFiniteArray(fn, `${name}.codes`, Array.from(model.codes))));
  });
  const pathPairs = options.pathPairs ?? [];
  if (!Array.isArray(pathPairs)) throw new TypeError(`${fn}: options.pathPairs must be an array of index pairs [a, b]`);
  pathPairs.forEach((pair, k) => {
    if (!Array.isArray(pair) || pair.length !== 2) throw new TypeError(`${fn}: options.pathPairs[${k}] must be a pair [a, b] of digit indices`);
    checkInteger(fn, `options.pathPairs[${k}][0]`, pair[0], 0, n - 1);
    checkInteger(fn, `options.pathPairs[${k}][1]`, pair[1], 0, n - 1);
    if (pair[0] === pair[1]) throw new RangeError(`${fn}: options.pathPairs[${k}] must join two different digits, got [${pair[0]}, ${pair[1]}]`);
  });
  const steps = checkInteger(fn, 'options.pathSteps', options.pathSteps ?? 10, 2, 40);
  const extent = options.extent === undefined ? defaultExtent(codes) : checkNumber(fn, 'options.extent', options.extent, 0.5, 1000);
  return { title, names, vaes, codes, labels, pathPairs: pathPairs.map(([a, b]) => [a, b] as [number, number]), steps, extent, side };
}

/** The 99th percentile of max(|z₁|, |z₂|) over all codes, at least 3, rounded up to a half. */
function defaultExtent(codes: Float32Array[]): number {
  const radii: number[] = [];
  for (const c of codes) for (let i = 0; i < c.length; i += 2) radii.push(Math.max(Math.abs(c[i]), Math.abs(c[i + 1])));
  radii.sort((a, b) => a - b);
  const high = radii[Math.min(radii.length - 1, Math.floor(0.99 * radii.length))];
  return Math.max(3, Math.ceil(2 * high) / 2);
}

/**
 * The fallback picture: for each model, vae.decode (the library's float32 decoder) at
 * FALLBACK_GRID.count² codes over [−3, 3]² (z₁ left to right, z₂ bottom to top), tiled; models
 * side by side, a white band between them. Gray level round(255 · p) as every digit picture,
 * then rounded to FALLBACK_GRID.levels evenly spaced levels (0 and 255 among them).
 */
function fallbackPng(vaes: Vae[], side: number): Buffer {
  const { count, extent } = FALLBACK_GRID;
  const codes = latentGridCodes(count, extent);
  const tile = count * side;
  const band = Math.max(4, Math.round(side / 2));
  const width = vaes.length * tile + (vaes.length - 1) * band;
  const pixels = new Uint8Array(width * tile).fill(255);
  vaes.forEach((vae, m) => {
    const decoded = decodedPixels(vae, codes);
    const gray = grayLevels(decoded);
    const step = 255 / (FALLBACK_GRID.levels - 1);
    for (let i = 0; i < gray.length; i++) gray[i] = Math.round(Math.round(gray[i] / step) * step);
    const left = m * (tile + band);
    for (let k = 0; k < count * count; k++) {
      const top = Math.floor(k / count) * side;
      const x0 = left + (k % count) * side;
      for (let y = 0; y < side; y++) pixels.set(gray.subarray(k * side * side + y * side, k * side * side + (y + 1) * side), (top + y) * width + x0);
    }
  });
  return encodeGrayPng(pixels, width, tile);
}

/**
 * The HTML output that puts a decoder's weights on the page once: a registry on `window` keyed by
 * the payload's content id, so every explorer using the same decoder finds it, whichever output
 * carried it.
 */
export function decoderWeightsHtml(decoder: QuantisedDecoder): string {
  checkObject('decoderWeightsHtml', 'decoder', decoder);
  const id = JSON.stringify(decoder.payload.id);
  return (
    `<script type="text/javascript">(function () {\n` +
    `  var registry = window.__elboLabDecoders = window.__elboLabDecoders || {};\n` +
    `  if (!registry[${id}]) registry[${id}] = { payload: ${scriptJson(decoder.json)} };\n` +
    `})();</script><div style="display:none">decoder weights for the latent explorer (${decoder.payload.id}, ${(decoder.bytes / 1000).toFixed(0)} KB)</div>`
  );
}

/** The weights' own output (text/plain empty: a console has nothing to show for it). */
export function decoderWeightsBundle(decoder: QuantisedDecoder): MimeBundle {
  return { 'text/html': decoderWeightsHtml(decoder), 'text/plain': '' };
}

/** JSON as a script literal: `</` and the two line separators escaped, so no text ends the script. */
function scriptJson(json: string): string {
  return json.replace(/<\//g, '<\\/').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * The page's explorer (ES5), called as (runtime, config, root) with runtime = DECODER_RUNTIME
 * evaluated. It waits for the decoders' weights (up to 30 s, as charts wait for Plotly: a front end
 * may render an earlier cell's outputs later), then replaces the fallback picture
 * with the live panels. root.elboLabExplorer is its handle for tests: decode, setZ, z,
 * clientPoint (where a code lies on the screen), path.
 */
export const EXPLORER_UI = `function (runtime, config, root) {
  'use strict';
  if (root.elboLabExplorer) return;
  var registry = window.__elboLabDecoders = window.__elboLabDecoders || {};
  function note(message) {
    var p = document.createElement('p');
    p.className = 'elbo-lab-explorer-note';
    p.style.cssText = 'margin:4px 0;color:#a33';
    p.textContent = message;
    root.insertBefore(p, root.firstChild);
  }
  function weightsHere() {
    for (var m = 0; m < config.decoders.length; m++) if (!registry[config.decoders[m]]) return false;
    return true;
  }
  function start() {
    try { build(); } catch (error) { note('The live explorer could not start (' + error + '); the picture shows decoded digits instead.'); }
  }
  if (weightsHere()) start();
  else {
    var tries = 0, timer = setInterval(function () {
      if (weightsHere()) { clearInterval(timer); start(); }
      else if (++tries > 600) {
        clearInterval(timer);
        note('The live explorer needs its decoders\\u2019 weights, which are not on this page: run the notebook again from the top (Kernel > Restart & Run All). The picture shows decoded digits instead.');
      }
    }, 50);
  }

  function build() {
    var E = config.extent, side = config.side, size = side * side, count = config.names.length, steps = config.steps;
    var decoders = [], codes = [], labels = runtime.bytesOf(config.labels), n = labels.length, m, k;
    for (m = 0; m < count; m++) {
      var entry = registry[config.decoders[m]];
      if (!entry.unpacked) entry.unpacked = runtime.unpack(entry.payload);
      decoders.push(entry.unpacked);
      codes.push(runtime.float32sOf(config.codes[m]));
    }
    var state = { z: [0, 0], interpolating: false, picks: [], path: null, timer: null };
    var PLANE = 300, LEFT = 38, TOP = 10, PLOT = 252, dpr = window.devicePixelRatio || 1;
    function x(z1) { return LEFT + (z1 + E) / (2 * E) * PLOT; }
    function y(z2) { return TOP + (E - z2) / (2 * E) * PLOT; }
    function clamp(v) { return Math.max(-E, Math.min(E, v)); }
    function number(v, digits) { var s = v.toFixed(digits); if (Number(s) === 0) s = (0).toFixed(digits); return s.replace('-', '\\u2212'); }
    function digitName(label) { return (label === 8 ? 'an ' : 'a ') + label; }
    function element(tag, css, text) {
      var e = document.createElement(tag);
      if (css) e.style.cssText = css;
      if (text !== undefined) e.textContent = text;
      return e;
    }
    function canvas(width, height, cssWidth, cssHeight, crisp) {
      var c = element('canvas', 'width:' + cssWidth + 'px;height:' + cssHeight + 'px;display:block' + (crisp ? ';image-rendering:pixelated;image-rendering:crisp-edges' : ''));
      c.width = width;
      c.height = height;
      return c;
    }
    function nearest(model, z1, z2) {
      var best = 0, bestDistance = Infinity, c = codes[model];
      for (var i = 0; i < n; i++) {
        var d = (c[2 * i] - z1) * (c[2 * i] - z1) + (c[2 * i + 1] - z2) * (c[2 * i + 1] - z2);
        if (d < bestDistance) { bestDistance = d; best = i; }
      }
      return { index: best, distance: Math.sqrt(bestDistance) };
    }
    function paint(target, images, tiles) {
      var context = target.getContext('2d'), picture = context.createImageData(tiles * side, side);
      for (var t = 0; t < tiles; t++) {
        for (var p = 0; p < size; p++) {
          var level = Math.round(255 * Math.min(1, Math.max(0, images[t * size + p])));
          var at = 4 * ((p - p % side) / side * tiles * side + t * side + p % side);
          picture.data[at] = picture.data[at + 1] = picture.data[at + 2] = level;
          picture.data[at + 3] = 255;
        }
      }
      context.putImageData(picture, 0, 0);
    }

    var fallback = root.querySelector('.elbo-lab-explorer-fallback');
    var live = element('div', 'font-family:sans-serif;font-size:13px;line-height:1.4;color:#222');
    live.className = 'elbo-lab-explorer-live';
    var style = document.createElement('style');
    style.textContent = '#' + config.id + ' .elbo-lab-plane { cursor: crosshair; touch-action: none; }' +
      '#' + config.id + ' .elbo-lab-plane:focus { outline: 3px solid #1a56db; outline-offset: 2px; }' +
      '#' + config.id + ' button[aria-pressed="true"] { background: #1a56db; color: #fff; }';
    live.appendChild(style);
    live.appendChild(element('p', 'font-weight:bold;font-size:14px;margin:4px 0', config.title));
    live.appendChild(element('p', 'margin:2px 0 6px;color:#444', 'Move the pointer over a plane (or tap it), or focus a plane and use the arrow keys (Shift: larger steps; Enter: go to the nearest held-out digit\\u2019s code). Every model decodes the same z. Decoded in this browser from 8-bit weights (max pixel error against the float32 decoder ' + config.errors.map(function (e) { return number(e, 3); }).join(', ') + ').'));
    var legend = element('p', 'margin:2px 0 6px');
    legend.appendChild(document.createTextNode('Held-out digits\\u2019 codes \\u03bc(x), by label: '));
    var present = {};
    for (k = 0; k < n; k++) present[labels[k]] = true;
    for (k = 0; k <= 9; k++) {
      if (!present[k]) continue;
      var swatch = element('span', 'display:inline-block;width:9px;height:9px;border-radius:50%;margin:0 3px 0 8px;background:' + config.colours[k]);
      legend.appendChild(swatch);
      legend.appendChild(document.createTextNode(String(k)));
    }
    legend.appendChild(document.createTextNode('; dashed: the prior\\u2019s 1\\u03c3 and 2\\u03c3 circles.'));
    live.appendChild(legend);

    var row = element('div', 'display:flex;flex-wrap:wrap;gap:14px 24px;align-items:flex-start');
    var planes = [], backgrounds = [], digits = [];
    for (m = 0; m < count; m++) {
      var panel = element('div', '');
      panel.className = 'elbo-lab-explorer-panel';
      panel.appendChild(element('div', 'font-weight:bold;margin-bottom:2px', config.names[m]));
      var inner = element('div', 'display:flex;gap:10px;align-items:flex-start');
      var plane = canvas(Math.round(PLANE * dpr), Math.round(PLANE * dpr), PLANE, PLANE, false);
      plane.className = 'elbo-lab-plane';
      plane.tabIndex = 0;
      plane.setAttribute('role', 'application');
      plane.setAttribute('aria-roledescription', 'latent plane');
      plane.setAttribute('aria-label', 'Latent plane of ' + config.names[m] + ', z\\u2081 and z\\u2082 from ' + number(-E, 1) + ' to ' + number(E, 1) + '. Arrow keys move z, Shift for larger steps; Enter goes to the nearest held-out digit\\u2019s code, and in interpolation mode picks it.');
      plane.setAttribute('data-model', String(m));
      var figure = element('div', 'text-align:center;font-size:12px;color:#444');
      var digit = canvas(side, side, 5 * side, 5 * side, true);
      digit.className = 'elbo-lab-digit';
      digit.setAttribute('role', 'img');
      digit.setAttribute('aria-label', 'the digit ' + config.names[m] + ' decodes at z (described in the readout below)');
      figure.appendChild(digit);
      figure.appendChild(element('div', 'margin-top:2px', 'decoded mean at z'));
      var outside = 0;
      for (k = 0; k < n; k++) if (Math.abs(codes[m][2 * k]) > E || Math.abs(codes[m][2 * k + 1]) > E) outside++;
      if (outside > 0) figure.appendChild(element('div', 'margin-top:6px;max-width:' + 5 * side + 'px', outside + ' of ' + n + ' codes lie outside this view'));
      inner.appendChild(plane);
      inner.appendChild(figure);
      panel.appendChild(inner);
      row.appendChild(panel);
      planes.push(plane);
      digits.push(digit);
      backgrounds.push(drawBackground(m));
    }
    live.appendChild(row);

    var controls = element('div', 'margin:10px 0 4px;display:flex;flex-wrap:wrap;gap:8px;align-items:center');
    var toggle = element('button', 'font:inherit;padding:3px 10px;cursor:pointer', 'Interpolation mode');
    toggle.type = 'button';
    toggle.className = 'elbo-lab-interpolate';
    toggle.setAttribute('aria-pressed', 'false');
    controls.appendChild(toggle);
    var hint = element('span', 'color:#444', 'Off: the planes follow the pointer.');
    controls.appendChild(hint);
    var choice = null;
    if (config.pathPairs.length > 0) {
      choice = element('select', 'font:inherit');
      choice.setAttribute('aria-label', 'a path between two held-out digits');
      var placeholder = element('option', '', 'a path of the notebook\\u2026');
      placeholder.value = '';
      choice.appendChild(placeholder);
      for (k = 0; k < config.pathPairs.length; k++) {
        var pair = config.pathPairs[k];
        var option = element('option', '', 'from ' + digitName(labels[pair[0]]) + ' (#' + pair[0] + ') to ' + digitName(labels[pair[1]]) + ' (#' + pair[1] + ')');
        option.value = String(k);
        choice.appendChild(option);
      }
      controls.appendChild(choice);
    }
    live.appendChild(controls);
    var strips = element('div', 'display:flex;flex-direction:column;gap:6px');
    strips.className = 'elbo-lab-strips';
    live.appendChild(strips);
    var readout = element('p', 'margin:8px 0 2px;min-height:2.8em');
    readout.className = 'elbo-lab-readout';
    readout.setAttribute('aria-live', 'polite');
    live.appendChild(readout);

    function drawBackground(model) {
      var layer = document.createElement('canvas');
      layer.width = Math.round(PLANE * dpr);
      layer.height = Math.round(PLANE * dpr);
      var g = layer.getContext('2d'), c = codes[model], tick = E <= 5 ? 1 : E <= 12 ? 2 : E <= 30 ? 5 : 10, v, k;
      g.scale(dpr, dpr);
      g.fillStyle = '#fff';
      g.fillRect(0, 0, PLANE, PLANE);
      g.fillStyle = '#fafafa';
      g.fillRect(LEFT, TOP, PLOT, PLOT);
      g.strokeStyle = '#e4e4e4';
      g.fillStyle = '#555';
      g.font = '11px sans-serif';
      g.lineWidth = 1;
      g.textAlign = 'center';
      for (v = -Math.floor(E / tick) * tick; v <= E + 1e-9; v += tick) {
        g.beginPath(); g.moveTo(x(v), TOP); g.lineTo(x(v), TOP + PLOT); g.stroke();
        g.beginPath(); g.moveTo(LEFT, y(v)); g.lineTo(LEFT + PLOT, y(v)); g.stroke();
        g.fillText(number(v, 0), x(v), TOP + PLOT + 13);
      }
      g.textAlign = 'right';
      for (v = -Math.floor(E / tick) * tick; v <= E + 1e-9; v += tick) g.fillText(number(v, 0), LEFT - 4, y(v) + 4);
      g.textAlign = 'center';
      g.font = '13px sans-serif';
      g.fillText('z\\u2081', LEFT + PLOT / 2, TOP + PLOT + 28);
      g.save(); g.translate(11, TOP + PLOT / 2); g.rotate(-Math.PI / 2); g.fillText('z\\u2082', 0, 4); g.restore();
      g.strokeStyle = '#ccc';
      g.strokeRect(LEFT + 0.5, TOP + 0.5, PLOT - 1, PLOT - 1);
      g.save();
      g.beginPath(); g.rect(LEFT, TOP, PLOT, PLOT); g.clip();
      g.globalAlpha = 0.75;
      for (k = 0; k < n; k++) {
        g.fillStyle = config.colours[labels[k]];
        g.beginPath(); g.arc(x(c[2 * k]), y(c[2 * k + 1]), 2.4, 0, 2 * Math.PI); g.fill();
      }
      g.globalAlpha = 1;
      g.setLineDash([5, 4]);
      g.strokeStyle = '#333';
      g.fillStyle = '#333';
      g.font = '11px sans-serif';
      for (var r = 1; r <= 2; r++) {
        g.beginPath(); g.arc(x(0), y(0), r / (2 * E) * PLOT, 0, 2 * Math.PI); g.stroke();
        g.fillText(r + '\\u03c3', x(r * Math.SQRT1_2) + 9, y(r * Math.SQRT1_2) - 3);
      }
      g.restore();
      return layer;
    }

    function drawPlane(model) {
      var g = planes[model].getContext('2d'), c = codes[model], k;
      g.setTransform(1, 0, 0, 1, 0, 0);
      g.drawImage(backgrounds[model], 0, 0);
      g.scale(dpr, dpr);
      g.save();
      g.beginPath(); g.rect(LEFT, TOP, PLOT, PLOT); g.clip();
      var ends = state.path ? [state.path.a, state.path.b] : state.picks;
      if (state.path) {
        g.strokeStyle = '#000';
        g.lineWidth = 1.5;
        g.beginPath(); g.moveTo(x(c[2 * state.path.a]), y(c[2 * state.path.a + 1])); g.lineTo(x(c[2 * state.path.b]), y(c[2 * state.path.b + 1])); g.stroke();
      }
      for (k = 0; k < ends.length; k++) {
        g.strokeStyle = '#000';
        g.lineWidth = 2;
        g.beginPath(); g.arc(x(c[2 * ends[k]]), y(c[2 * ends[k] + 1]), 6, 0, 2 * Math.PI); g.stroke();
      }
      var px = x(state.z[0]), py = y(state.z[1]);
      g.lineWidth = 3; g.strokeStyle = '#fff';
      g.beginPath(); g.arc(px, py, 7, 0, 2 * Math.PI); g.stroke();
      g.lineWidth = 1.5; g.strokeStyle = '#000';
      g.beginPath(); g.arc(px, py, 7, 0, 2 * Math.PI); g.moveTo(px - 11, py); g.lineTo(px + 11, py); g.moveTo(px, py - 11); g.lineTo(px, py + 11); g.stroke();
      g.restore();
    }

    var decoded = [];
    function describe() {
      var z1 = state.z[0], z2 = state.z[1], radius = Math.sqrt(z1 * z1 + z2 * z2);
      var text = 'z = (' + number(z1, 2) + ', ' + number(z2, 2) + '), |z| = ' + number(radius, 2) +
        (radius <= 1 ? ', inside the prior\\u2019s 1\\u03c3 circle. ' : radius <= 2 ? ', between the prior\\u2019s 1\\u03c3 and 2\\u03c3 circles. ' : ', outside the prior\\u2019s 2\\u03c3 circle. ');
      for (var model = 0; model < count; model++) {
        var image = decoded[model], sum = 0, ink = 0;
        for (var p = 0; p < size; p++) { sum += image[p]; if (image[p] > 0.5) ink++; }
        var near = nearest(model, z1, z2);
        text += config.names[model] + ': mean pixel ' + number(sum / size, 3) + ', ink ' + number(100 * ink / size, 1) + '% (' + ink + ' of ' + size +
          ' pixels above 0.5), nearest held-out code ' + digitName(labels[near.index]) + ' (' + number(near.distance, 2) + ' away). ';
      }
      readout.setAttribute('data-z1', String(z1));
      readout.setAttribute('data-z2', String(z2));
      readout.textContent = text;
    }

    function setZ(z1, z2, announce) {
      state.z = [clamp(z1), clamp(z2)];
      for (var model = 0; model < count; model++) {
        decoded[model] = runtime.decode(decoders[model], state.z);
        paint(digits[model], decoded[model], 1);
        drawPlane(model);
      }
      // keys speak at once; the pointer speaks when it rests (a polite region would queue every move)
      if (state.timer) clearTimeout(state.timer);
      if (announce) describe();
      else state.timer = setTimeout(describe, 300);
    }

    function showPath(a, b) {
      var results = [];
      strips.textContent = '';
      for (var model = 0; model < count; model++) {
        var c = codes[model], images = new Float64Array(steps * size);
        for (var t = 0; t < steps; t++) {
          var s = t / (steps - 1);
          runtime.decode(decoders[model], [(1 - s) * c[2 * a] + s * c[2 * b], (1 - s) * c[2 * a + 1] + s * c[2 * b + 1]], images.subarray(t * size, (t + 1) * size));
        }
        var measure = runtime.smoothness(images, steps);
        results.push({ jumpRatio: measure.jumpRatio, lengthRatio: measure.lengthRatio, images: images });
        var line = element('div', 'display:flex;flex-wrap:wrap;gap:10px;align-items:center');
        line.className = 'elbo-lab-strip';
        line.setAttribute('data-jump-ratio', String(measure.jumpRatio));
        line.setAttribute('data-length-ratio', String(measure.lengthRatio));
        var strip = canvas(steps * side, side, 2 * steps * side, 2 * side, true);
        strip.setAttribute('role', 'img');
        strip.setAttribute('aria-label', config.names[model] + ': the ' + steps + ' decoded images along the path');
        paint(strip, images, steps);
        line.appendChild(element('span', 'min-width:6em;font-weight:bold', config.names[model]));
        line.appendChild(strip);
        line.appendChild(element('span', '', isNaN(measure.jumpRatio) ? 'both ends decode to the same image: no ratio' :
          'jump ratio ' + number(measure.jumpRatio, 2) + ', length ratio ' + number(measure.lengthRatio, 2)));
        strips.appendChild(line);
      }
      strips.appendChild(element('span', 'color:#444;font-size:12px', 'Jump ratio (T \\u2212 1) \\u00b7 max step / endpoint distance in pixel space, T = ' + steps +
        ': 1 when every step changes the image equally, ' + (steps - 1) + ' when the whole change happens in one step.'));
      state.path = { a: a, b: b, results: results };
      for (model = 0; model < count; model++) drawPlane(model);
      var text = 'Path from ' + digitName(labels[a]) + ' (#' + a + ') to ' + digitName(labels[b]) + ' (#' + b + '), ' + steps + ' steps: ';
      for (model = 0; model < count; model++) text += config.names[model] + ' jump ratio ' + number(results[model].jumpRatio, 2) + (model + 1 < count ? '; ' : '.');
      if (state.timer) clearTimeout(state.timer);
      readout.textContent = text;
    }

    function pick(model) {
      var near = nearest(model, state.z[0], state.z[1]).index;
      if (state.picks.length === 1 && state.picks[0] === near) return;
      state.picks.push(near);
      if (state.picks.length === 2) {
        var a = state.picks[0], b = state.picks[1];
        state.picks = [];
        showPath(a, b);
      } else {
        state.path = null;
        strips.textContent = '';
        for (var other = 0; other < count; other++) drawPlane(other);
        if (state.timer) clearTimeout(state.timer);
        readout.textContent = 'First digit: ' + digitName(labels[near]) + ' (#' + near + '). Pick the second.';
      }
    }

    function fromEvent(model, event) {
      var box = planes[model].getBoundingClientRect();
      var px = (event.clientX - box.left) * PLANE / box.width, py = (event.clientY - box.top) * PLANE / box.height;
      return [(px - LEFT) / PLOT * 2 * E - E, E - (py - TOP) / PLOT * 2 * E];
    }

    function listen(model) {
      var plane = planes[model], pressed = false;
      plane.addEventListener('pointermove', function (event) {
        if (event.pointerType !== 'mouse' && !pressed) return;
        var z = fromEvent(model, event);
        setZ(z[0], z[1], false);
      });
      plane.addEventListener('pointerdown', function (event) {
        pressed = true;
        var z = fromEvent(model, event);
        setZ(z[0], z[1], false);
        if (state.interpolating) pick(model);
      });
      plane.addEventListener('pointerup', function () { pressed = false; });
      plane.addEventListener('pointercancel', function () { pressed = false; });
      plane.addEventListener('keydown', function (event) {
        var step = (event.shiftKey ? 5 : 1) * E / 40, z = state.z;
        if (event.key === 'ArrowLeft') setZ(z[0] - step, z[1], true);
        else if (event.key === 'ArrowRight') setZ(z[0] + step, z[1], true);
        else if (event.key === 'ArrowUp') setZ(z[0], z[1] + step, true);
        else if (event.key === 'ArrowDown') setZ(z[0], z[1] - step, true);
        else if (event.key === 'Enter' || event.key === ' ') {
          var near = nearest(model, z[0], z[1]).index;
          setZ(codes[model][2 * near], codes[model][2 * near + 1], true);
          if (state.interpolating) pick(model);
        } else return;
        // handled here: not also a front end's shortcut (JupyterLab skips a prevented key; the classic
        // Notebook's command mode listens on the document, where a stopped key never arrives)
        event.preventDefault();
        event.stopPropagation();
      });
    }
    for (m = 0; m < count; m++) listen(m);
    toggle.addEventListener('click', function () {
      state.interpolating = !state.interpolating;
      state.picks = [];
      toggle.setAttribute('aria-pressed', String(state.interpolating));
      hint.textContent = state.interpolating ? 'On: click two held-out digits\\u2019 codes (or press Enter on a focused plane) to decode the straight path between them.' : 'Off: the planes follow the pointer.';
      for (var model = 0; model < count; model++) drawPlane(model);
    });
    if (choice) choice.addEventListener('change', function () {
      if (choice.value === '') return;
      var pair = config.pathPairs[Number(choice.value)];
      state.picks = [];
      showPath(pair[0], pair[1]);
    });

    if (fallback) fallback.style.display = 'none';
    root.appendChild(live);
    setZ(0, 0, true);
    root.elboLabExplorer = {
      decode: function (model, z1, z2) { return Array.prototype.slice.call(runtime.decode(decoders[model], [z1, z2])); },
      setZ: function (z1, z2) { setZ(z1, z2, true); },
      z: function () { return state.z.slice(); },
      clientPoint: function (model, z1, z2) {
        var box = planes[model].getBoundingClientRect();
        return { x: box.left + x(z1) * box.width / PLANE, y: box.top + y(z2) * box.height / PLANE };
      },
      path: function () { return state.path && { a: state.path.a, b: state.path.b, jumpRatios: state.path.results.map(function (r) { return r.jumpRatio; }) }; }
    };
  }
}`;

/** Everything an explorer output needs: its checked options, its decoders, the pieces of its bundle. */
interface BuiltExplorer {
  decoders: QuantisedDecoder[];
  html: string;
  png: Buffer;
  text: string;
}

function buildExplorer(fn: string, options: LatentExplorerOptions): BuiltExplorer {
  const checked = checkOptions(fn, options);
  // the stated error covers the whole plane the reader can reach
  const probe = { count: DEFAULT_PROBE.count, extent: Math.max(DEFAULT_PROBE.extent, checked.extent) };
  const decoders = checked.vaes.map((vae) => decoderPayload(vae, probe));
  const png = fallbackPng(checked.vaes, checked.side);
  const id = freshId('elbo-latent');
  const names = checked.names;
  const sides = names.length === 1 ? '' : `: ${names.map((name, m) => `${name} (${m === 0 ? 'left' : m === names.length - 1 ? 'right' : `${ordinal(m + 1)} from the left`})`).join(', ')}`;
  const grid = `${FALLBACK_GRID.count} × ${FALLBACK_GRID.count} codes z ∈ [−${FALLBACK_GRID.extent}, ${FALLBACK_GRID.extent}]² (z₁ left to right, z₂ bottom to top)`;
  const errors = decoders.map((d, m) => `${names[m]} ${d.maxPixelError.toFixed(3)}`).join(', ');
  const config = {
    id, title: checked.title, names, extent: checked.extent, steps: checked.steps, side: checked.side,
    decoders: decoders.map((d) => d.payload.id), errors: decoders.map((d) => d.maxPixelError),
    codes: checked.codes.map((c) => float32Base64(c)), labels: Buffer.from(checked.labels).toString('base64'),
    pathPairs: checked.pathPairs, colours: LABEL_COLOURS,
  };
  const alt = `Decoded digits at ${grid}${sides}.`;
  const html =
    `<div id="${id}" class="elbo-lab-latent-explorer">` +
    `<div class="elbo-lab-explorer-fallback" style="font-family:sans-serif;font-size:13px">` +
    `<p style="font-weight:bold;margin:4px 0">${escapeHtml(checked.title)}</p>` +
    `<img class="elbo-lab-explorer-picture" alt="${escapeHtml(alt)}" src="data:image/png;base64,${png.toString('base64')}" style="max-width:100%">` +
    `<p style="margin:4px 0;color:#555">${escapeHtml(alt)} Where JavaScript runs (a trusted notebook, the book) this is a live explorer: ` +
    `walk each model's latent plane and watch its decoder answer.</p></div></div>\n` +
    `<script type="text/javascript">(function () {\n` +
    `  var root = document.getElementById(${JSON.stringify(id)});\n` +
    `  if (!root) return;\n` +
    `  (${EXPLORER_UI})((${DECODER_RUNTIME})(), ${scriptJson(JSON.stringify(config))}, root);\n` +
    `})();</script>`;
  const text =
    `[${checked.title}] Latent explorer: ${names.length} decoder${names.length > 1 ? 's' : ''} (${names.join(', ')}), ${checked.labels.length} held-out codes, ` +
    `z ∈ [−${checked.extent}, ${checked.extent}]²; live where JavaScript runs, otherwise a picture of decoded digits at ${grid}. ` +
    `Decoder weights 8-bit quantised; max pixel error against the float32 decoder over ${probe.count} × ${probe.count} codes in [−${probe.extent}, ${probe.extent}]²: ${errors}.`;
  return { decoders, html, png, text };
}

function ordinal(k: number): string {
  return ['first', 'second', 'third', 'fourth'][k - 1];
}

/** latentExplorerBundle's choices. */
export interface LatentExplorerBundleOptions {
  /**
   * 'inline' (default): the decoders' weights inside this bundle's HTML, before the explorer, so the
   * HTML works alone (a static page); 'separate': left out, for a page that has them already
   * (decoderWeightsBundle, as showLatentExplorer publishes them once per kernel).
   */
  weights?: 'inline' | 'separate';
}

/** Each distinct decoder's weights once (two models may share a decoder). */
function weightsInline(decoders: QuantisedDecoder[]): string {
  const byId = new Map<string, QuantisedDecoder>();
  for (const decoder of decoders) if (!byId.has(decoder.payload.id)) byId.set(decoder.payload.id, decoder);
  return [...byId.values()].map(decoderWeightsHtml).join('\n');
}

/**
 * The explorer as one MIME bundle (pure: publishing is separate): text/html (the live explorer,
 * with the fallback picture inside; the picture is not repeated as image/png, see the top of this
 * file) and text/plain (what it is and the stated quantisation error).
 */
export function latentExplorerBundle(options: LatentExplorerOptions, bundleOptions: LatentExplorerBundleOptions = {}): MimeBundle {
  const fn = 'latentExplorerBundle';
  checkObject(fn, 'bundleOptions', bundleOptions);
  const weights = bundleOptions.weights ?? 'inline';
  if (weights !== 'inline' && weights !== 'separate') throw new RangeError(`${fn}: bundleOptions.weights must be 'inline' or 'separate', got ${String(weights)}`);
  const built = buildExplorer(fn, options);
  return bundleOf(built, weights === 'inline' ? `${weightsInline(built.decoders)}\n` : '');
}

function bundleOf(built: BuiltExplorer, before: string): MimeBundle {
  return { 'text/html': `${before}${built.html}`, 'text/plain': built.text };
}

// The decoders whose weights this kernel has published (each notebook has its own kernel).
const publishedDecoders = new Set<string>();

/**
 * Shows the explorer in the notebook: first, as outputs of their own, the weights of each decoder
 * this kernel has not yet sent (so a page holds each decoder once however many explorers use
 * it, and the weights come before the first explorer that needs them), then the explorer.
 * Outside a notebook, prints its text/plain.
 */
export function showLatentExplorer(options: LatentExplorerOptions): void {
  const built = buildExplorer('showLatentExplorer', options);
  if (inNotebook()) {
    for (const decoder of built.decoders) {
      if (publishedDecoders.has(decoder.payload.id)) continue;
      publish(decoderWeightsBundle(decoder));
      publishedDecoders.add(decoder.payload.id);
    }
  }
  publish(bundleOf(built, ''));
}
