// A live session, as a student has it: the classic Jupyter Notebook (Debian's, with the project's
// kernel registry) on a free port with a token, a copy of a notebook opened in Chromium, every
// cell run through the UI (Cell > Run All), and the output area checked for a drawn Plotly chart
// and typeset KaTeX. Then the signed executed copy (build/notebooks/, when present) is opened in the
// same server: it must be trusted and show its charts and math without running anything; and a
// signed executed copy with latent explorers (notebook 04, when present): trusted, every explorer
// live and walked by keyboard (scripts/book/explorer.js). The server, its kernels and the browser
// are stopped afterwards.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const net = require('net');
const path = require('path');
const { spawn } = require('child_process');
const { ROOT, readState, jupyterEnv } = require('../state');
const { launchChromium } = require('../chromium');
const { collectStats, isLocalUrl, judgePage, settleFonts } = require('./check');
const { explorerCount, walkExplorers } = require('./explorer');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function request(method, url, token) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { Authorization: `token ${token}` } }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The notebook server in its own process group (so its kernels can be stopped with it). */
async function startServer(folder, log) {
  const port = await freePort();
  const token = crypto.randomBytes(16).toString('hex');
  const args = ['-m', 'notebook', '--no-browser', `--port=${port}`, '--ip=127.0.0.1', `--NotebookApp.token=${token}`,
    `--NotebookApp.notebook_dir=${folder}`, '--NotebookApp.port_retries=0'];
  if (process.getuid && process.getuid() === 0) args.push('--allow-root');
  const server = spawn(readState().python, args, { env: jupyterEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout.on('data', (d) => log.push(String(d)));
  server.stderr.on('data', (d) => log.push(String(d)));
  const base = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 240; attempt++) {
    if (server.exitCode !== null) break;
    const answer = await request('GET', `${base}/api/kernelspecs`, token).catch(() => null);
    if (answer && answer.status === 200) return { server, base, token };
    await new Promise((r) => setTimeout(r, 250));
  }
  await stopServer({ server });
  throw new Error(`the notebook server did not start; its log:\n${log.join('').slice(-2000)}`);
}

/** Shut the kernels down through the API, then end the server's process group. */
async function stopServer({ server, base, token }) {
  if (base) {
    const kernels = await request('GET', `${base}/api/kernels`, token).catch(() => null);
    for (const kernel of kernels && kernels.status === 200 ? JSON.parse(kernels.body) : []) {
      await request('DELETE', `${base}/api/kernels/${kernel.id}`, token).catch(() => {});
    }
  }
  if (server.exitCode !== null) return;
  const exited = new Promise((r) => server.once('exit', r));
  try { process.kill(-server.pid, 'SIGTERM'); } catch { /* already gone */ }
  const timer = setTimeout(() => { try { process.kill(-server.pid, 'SIGKILL'); } catch { /* gone */ } }, 10_000);
  await exited;
  clearTimeout(timer);
}

/** A scratch folder beside the notebooks' own layout (src/ reachable as ./src), so the stored notebook is never saved over. */
function scratchCopy(notebook, executed, withExplorers) {
  const folder = path.join(ROOT, 'build', 'live-session', String(process.pid));
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(folder, { recursive: true });
  fs.copyFileSync(notebook, path.join(folder, path.basename(notebook)));
  if (executed) fs.copyFileSync(executed, path.join(folder, EXECUTED_NAME));
  if (withExplorers) fs.copyFileSync(withExplorers, path.join(folder, EXPLORER_NAME));
  fs.symlinkSync(path.join(ROOT, 'src'), path.join(folder, 'src'), 'dir');
  return folder;
}

const EXECUTED_NAME = 'executed-copy.ipynb';
const EXPLORER_NAME = 'executed-copy-with-explorers.ipynb';

/** Open a notebook page and wait until it is loaded (and, with `kernel`, its kernel connected). */
async function openNotebook(page, server, name, { kernel = true } = {}) {
  await page.goto(`${server.base}/notebooks/${encodeURIComponent(name)}?token=${server.token}`, { waitUntil: 'load', timeout: 60_000 });
  await page.waitForFunction((needKernel) => {
    const j = window.Jupyter;
    return j && j.notebook && j.notebook._fully_loaded && (!needKernel || (j.notebook.kernel && j.notebook.kernel.is_connected()));
  }, kernel, { timeout: 120_000 });
}

/** The signed executed copy, opened without running: trusted, its charts drawn, its math typeset. */
async function checkExecutedCopy(page, server) {
  await openNotebook(page, server, EXECUTED_NAME, { kernel: false });
  await page.waitForFunction(() => document.querySelectorAll('#notebook .elbo-lab-plot.js-plotly-plot').length > 0, null, { timeout: 30_000 }).catch(() => {});
  await settleFonts(page);
  const trusted = await page.evaluate(() => window.Jupyter.notebook.trusted);
  const stats = await page.evaluate(collectStats, { scope: '#notebook .output_area', chartSelector: '.elbo-lab-plot' });
  const problems = [];
  if (trusted !== true) problems.push('the executed copy is not trusted (not signed?): the Notebook will not run its chart scripts');
  if (stats.charts.length === 0) problems.push('the executed copy shows no Plotly chart');
  problems.push(...judgePage(stats, { katex: true }));
  return problems.map((p) => `executed copy: ${p}`);
}

/** A signed executed copy with latent explorers, opened without running: trusted, every explorer live and walked by keyboard. */
async function checkExplorerCopy(page, server, count) {
  await openNotebook(page, server, EXPLORER_NAME, { kernel: false });
  const problems = [];
  if (await page.evaluate(() => window.Jupyter.notebook.trusted) !== true) problems.push('not trusted (not signed?): the Notebook will not run its explorers\' scripts');
  problems.push(...await walkExplorers(page, { scope: '#notebook', count }));
  return problems.map((p) => `executed copy with explorers: ${p}`);
}

/**
 * Run `notebook` live; resolves to { problems, seconds, screenshot, stats }. `timeoutMs` bounds
 * the whole run of the cells. `withExplorers`: an executed copy with latent explorers to open too.
 */
async function liveSession(notebook, { screenshot, executed, withExplorers, timeoutMs = 240_000 } = {}) {
  const started = Date.now();
  const folder = scratchCopy(notebook, executed, withExplorers);
  const log = [];
  const problems = [];
  let browser = null;
  let server = null;
  let stats = null;
  try {
    server = await startServer(folder, log);
    browser = await launchChromium();
    const page = await browser.context.newPage();
    const external = [];
    const consoleErrors = [];
    page.on('console', (message) => { if (message.type() === 'error') consoleErrors.push(message.text()); });
    page.on('pageerror', (error) => consoleErrors.push(String(error.message || error)));
    await page.route('**/*', (route) => {
      if (isLocalUrl(route.request().url())) return route.continue();
      external.push(route.request().url());
      return route.abort('blockedbyclient');
    });
    await openNotebook(page, server, path.basename(notebook));
    // Errors logged while the page loads are the front end's own (e.g. Debian's Notebook enables a
    // widgets extension it does not ship); from here on, errors come from running the cells.
    const ownErrors = consoleErrors.length;
    // Through the UI, as a student would: the Cell menu, then Run All.
    await page.click('#celllink');
    await page.click('#run_all_cells > a');
    await page.waitForFunction(() => {
      const cells = window.Jupyter.notebook.get_cells().filter((c) => c.cell_type === 'code');
      const busy = cells.some((c) => c.input_prompt_number === '*');
      const last = cells[cells.length - 1];
      const failed = document.querySelectorAll('#notebook .output_error').length > 0;
      return !busy && (failed || typeof last.input_prompt_number === 'number');
    }, null, { timeout: timeoutMs, polling: 500 });
    await settleFonts(page);
    stats = await page.evaluate(collectStats, { scope: '#notebook .output_area', chartSelector: '.elbo-lab-plot' });
    const outputErrors = await page.$$eval('#notebook .output_error', (nodes) => nodes.map((n) => n.textContent.trim().slice(0, 300)));
    for (const text of outputErrors) problems.push(`a cell failed: ${text}`);
    if (stats.charts.length === 0) problems.push('no Plotly chart in the output area');
    problems.push(...judgePage({ ...stats, external, consoleErrors: consoleErrors.slice(ownErrors) }, { katex: true }));
    if (screenshot) {
      // The Notebook scrolls inside its own panel: show the chart's output area.
      await page.locator('#notebook .elbo-lab-plot').first().scrollIntoViewIfNeeded().catch(() => {});
      await page.screenshot({ path: screenshot });
    }
    if (executed) {
      const second = await browser.context.newPage();
      second.on('pageerror', (error) => problems.push(`executed copy: page error: ${error.message}`));
      problems.push(...await checkExecutedCopy(second, server));
      await second.close();
    }
    if (withExplorers) {
      const third = await browser.context.newPage();
      third.on('pageerror', (error) => problems.push(`executed copy with explorers: page error: ${error.message}`));
      third.on('console', (message) => { if (message.type() === 'error' && /explorer|decoder/i.test(message.text())) problems.push(`executed copy with explorers: console error: ${message.text()}`); });
      await third.route('**/*', (route) => {
        if (isLocalUrl(route.request().url())) return route.continue();
        problems.push(`executed copy with explorers: request leaves the machine: ${route.request().url()}`);
        return route.abort('blockedbyclient');
      });
      problems.push(...await checkExplorerCopy(third, server, explorerCount(JSON.parse(fs.readFileSync(withExplorers, 'utf8')))));
      await third.close();
    }
  } catch (error) {
    problems.push(`${error.message.split('\n')[0]}${log.length ? `\n    server log (end): ${log.join('').slice(-600)}` : ''}`);
  } finally {
    if (browser) await browser.close();
    if (server) await stopServer(server);
    if (server && server.server.exitCode === null && server.server.signalCode === null) problems.push('the notebook server did not stop');
    fs.rmSync(folder, { recursive: true, force: true });
  }
  return { problems, stats, seconds: (Date.now() - started) / 1000 };
}

module.exports = { liveSession, freePort };
