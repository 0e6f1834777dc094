// The latent explorer (src/display/latentExplorer.ts) on a page, checked as a reader uses it, for
// the book, nbconvert's HTML copies, the classic Notebook and JupyterLab: every explorer of the page
// live (its picture hidden) or, where no script may run, its picture shown; then, on each live one,
// the keyboard: a plane focused, arrow keys move z (two steps right, one up: the readout's z follows
// by equal steps and keeps the focus), and every panel's digit is redrawn as the page decodes the
// new z, with at least one changed.
'use strict';

const SELECTOR = '.elbo-lab-latent-explorer';

/** How many explorer outputs a notebook (its JSON) holds: the HTML outputs that carry one. */
function explorerCount(notebook) {
  const html = (output) => {
    const value = (output.data || {})['text/html'];
    return Array.isArray(value) ? value.join('') : typeof value === 'string' ? value : '';
  };
  return notebook.cells.flatMap((c) => c.outputs || []).filter((o) => /class="elbo-lab-latent-explorer"/.test(html(o))).length;
}

/** Runs IN THE PAGE: what each explorer under `scope` shows. */
function explorerStats(scope) {
  const visible = (element) => Boolean(element) && element.getClientRects().length > 0 && getComputedStyle(element).visibility !== 'hidden';
  const roots = Array.from(document.querySelectorAll(scope)).flatMap((root) => Array.from(root.querySelectorAll('.elbo-lab-latent-explorer')));
  return roots.map((root) => {
    const picture = root.querySelector('img.elbo-lab-explorer-picture');
    const live = root.querySelector('.elbo-lab-explorer-live');
    const note = root.querySelector('.elbo-lab-explorer-note');
    return {
      live: Boolean(live && root.elboLabExplorer),
      planes: root.querySelectorAll('.elbo-lab-plane').length,
      picture: !picture ? 'missing' : !visible(picture) ? 'hidden' : picture.complete && picture.naturalWidth > 0 ? 'shown' : 'not loaded',
      note: note ? note.textContent : '',
    };
  });
}

/** Wait (in the page) until `count` explorers under `scope` are live; false when they are not within the time. */
async function waitUntilLive(page, scope, count, timeoutMs) {
  return page.waitForFunction(({ s, n }) => {
    const roots = Array.from(document.querySelectorAll(s)).flatMap((root) => Array.from(root.querySelectorAll('.elbo-lab-latent-explorer')));
    return roots.length >= n && roots.every((root) => Boolean(root.elboLabExplorer));
  }, { s: scope, n: count }, { timeout: timeoutMs, polling: 100 }).then(() => true, () => false);
}

/** Runs IN THE PAGE: explorer `k`'s z, readout and digits (gray levels), with what its decoder gives at that z. */
function explorerState({ scope, k }) {
  const roots = Array.from(document.querySelectorAll(scope)).flatMap((root) => Array.from(root.querySelectorAll('.elbo-lab-latent-explorer')));
  const root = roots[k];
  const api = root.elboLabExplorer;
  const z = api.z();
  const readout = root.querySelector('.elbo-lab-readout');
  const digits = Array.from(root.querySelectorAll('canvas.elbo-lab-digit'), (canvas, model) => {
    const side = canvas.width;
    const data = canvas.getContext('2d').getImageData(0, 0, side, canvas.height).data;
    const shown = [];
    for (let p = 0; p < data.length; p += 4) shown.push(data[p]);
    return { shown, expected: api.decode(model, z[0], z[1]).map((v) => Math.round(255 * Math.min(1, Math.max(0, v)))) };
  });
  const active = document.activeElement;
  return {
    z,
    readout: { z1: Number(readout.getAttribute('data-z1')), z2: Number(readout.getAttribute('data-z2')), text: readout.textContent },
    digits,
    focused: Boolean(active && active.classList.contains('elbo-lab-plane') && root.contains(active)),
  };
}

/** The readout's number format: two decimals, U+2212 for minus, no negative zero. */
function readoutNumber(value) {
  let s = value.toFixed(2);
  if (Number(s) === 0) s = (0).toFixed(2);
  return s.replace('-', '\u2212');
}

/**
 * Walk every explorer under `scope` on `page` by keyboard; a list of problems, empty when each one
 * followed. `count`: how many explorers the page must have, all live within `timeoutMs`.
 */
async function walkExplorers(page, { scope = 'body', count, timeoutMs = 30_000 } = {}) {
  const problems = [];
  const live = await waitUntilLive(page, scope, count, timeoutMs);
  const stats = await page.evaluate(explorerStats, scope);
  if (stats.length !== count) problems.push(`${stats.length} latent explorer(s) on the page, ${count} expected`);
  stats.forEach((s, k) => {
    if (!s.live) problems.push(`explorer ${k + 1}: not live within ${timeoutMs / 1000} s${s.note ? ` (it says: ${s.note})` : ''}`);
    else if (s.picture === 'shown') problems.push(`explorer ${k + 1}: live, but its picture still shows`);
  });
  if (!live) return problems;
  for (let k = 0; k < stats.length; k++) {
    const say = (text) => problems.push(`explorer ${k + 1}: ${text}`);
    const plane = page.locator(`${scope} ${SELECTOR}`).nth(k).locator('.elbo-lab-plane').first();
    await plane.scrollIntoViewIfNeeded({ timeout: 5000 }).catch(() => {});
    await plane.focus();
    const before = await page.evaluate(explorerState, { scope, k });
    for (const key of ['ArrowRight', 'ArrowRight', 'ArrowUp']) await page.keyboard.press(key);
    const after = await page.evaluate(explorerState, { scope, k });
    const right = after.z[0] - before.z[0];
    const up = after.z[1] - before.z[1];
    if (!(right > 0 && up > 0 && Math.abs(right - 2 * up) < 1e-9)) say(`the arrow keys moved z from (${before.z}) to (${after.z}), not two equal steps right and one up`);
    if (after.readout.z1 !== after.z[0] || after.readout.z2 !== after.z[1]) say(`the readout says z = (${after.readout.z1}, ${after.readout.z2}), the explorer is at (${after.z})`);
    const text = `z = (${readoutNumber(after.z[0])}, ${readoutNumber(after.z[1])})`;
    if (!after.readout.text.startsWith(text)) say(`the readout text does not start with «${text}»: «${after.readout.text.slice(0, 80)}»`);
    if (!after.focused) say('the plane lost the keyboard focus (the front end took the arrow keys)');
    let changed = 0;
    after.digits.forEach((digit, model) => {
      const wrong = digit.shown.filter((v, p) => v !== digit.expected[p]).length;
      if (wrong > 0) say(`panel ${model + 1}: ${wrong} pixels of its digit differ from the decoder's answer at the new z`);
      if (digit.shown.some((v, p) => v !== before.digits[model].shown[p])) changed++;
    });
    if (after.digits.length === 0) say('no digit canvas');
    else if (changed === 0) say('no panel\'s digit changed when z moved');
  }
  return problems;
}

/** Where no script may run: every explorer under `scope` shows its picture and is not live. */
async function picturesShown(page, { scope = 'body', count }) {
  const stats = await page.evaluate(explorerStats, scope);
  const problems = [];
  if (stats.length !== count) problems.push(`${stats.length} latent explorer(s) shown, ${count} in the notebook`);
  stats.forEach((s, k) => {
    if (s.live) problems.push(`explorer ${k + 1}: live where no script should run`);
    if (s.picture !== 'shown') problems.push(`explorer ${k + 1}: its picture is ${s.picture}`);
  });
  return problems;
}

module.exports = { explorerCount, explorerStats, walkExplorers, picturesShown, readoutNumber, SELECTOR };
