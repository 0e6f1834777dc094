// Real JupyterLab for the tests and the bench: an installed JupyterLab 4 (the setup's Python imports
// `jupyterlab`) first, else the prebuilt 4.6.3 a CI machine keeps beside the clone
// (../shared/tools/jupyterlab, or ELBO_LAB_JUPYTERLAB). Each server gets a state folder of its own:
// its settings (every cell in the page: `windowingMode: none`, so every output can be counted), its
// Jupyter data folder (so its notary trusts only what `sign` signs here, as on a student's machine
// that never ran the notebook) and the project's kernel registry (.jupyter/, the `elbo-lab` kernel).
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const { ROOT, readState } = require('../state');
const { freePort } = require('../book/live');

const SHARED_LAB = process.env.ELBO_LAB_JUPYTERLAB || path.resolve(ROOT, '..', 'shared', 'tools', 'jupyterlab');
const PLOTLY_EXTENSION = 'jupyterlab-plotly';

function python() {
  try {
    return readState().python;
  } catch {
    return '/usr/bin/python3';
  }
}

/**
 * Which JupyterLab to run: { kind: 'installed', python, version, plotly } when the setup's Python
 * imports jupyterlab 4.x (`plotly`: whether its Plotly extension is installed), else
 * { kind: 'shared', folder, version: '4.6.3' } when the shared copy is there, else null.
 */
function findJupyterLab({ py = python(), shared = SHARED_LAB } = {}) {
  const probe = [
    'import json, os, jupyterlab',
    'from jupyter_core.paths import jupyter_path',
    `plotly = any(os.path.isdir(os.path.join(p, "labextensions", "${PLOTLY_EXTENSION}")) for p in jupyter_path())`,
    'print(json.dumps({"version": jupyterlab.__version__, "plotly": plotly}))',
  ].join('\n');
  const installed = spawnSync(py, ['-c', probe], { encoding: 'utf8' });
  if (!installed.error && installed.status === 0) {
    const found = JSON.parse(installed.stdout.trim().split('\n').pop());
    if (/^4\./.test(found.version)) return { kind: 'installed', python: py, ...found };
  }
  if (fs.existsSync(path.join(shared, 'start'))) return { kind: 'shared', folder: shared, version: '4.6.3', plotly: true };
  return null;
}

function request(method, url, token, timeout = 5000) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, timeout, headers: { Authorization: `token ${token}` } }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A state folder: settings (no windowing), data (own notary), config, runtime, workspaces. */
function stateFolder(plotly) {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), `elbo-lab-jupyterlab-${plotly ? 'plotly' : 'noplotly'}-`));
  const tracker = path.join(state, 'user-settings', '@jupyterlab', 'notebook-extension');
  fs.mkdirSync(tracker, { recursive: true });
  fs.writeFileSync(path.join(tracker, 'tracker.jupyterlab-settings'), JSON.stringify({ windowingMode: 'none' }));
  for (const sub of ['data', 'config', 'runtime', 'workspaces']) fs.mkdirSync(path.join(state, sub), { recursive: true });
  return state;
}

/**
 * Start JupyterLab serving `root`, with or without the Plotly extension (`env`: added to the
 * server's environment, which its kernels inherit). Resolves to
 * { url, token, state, pid, lab, plotly, log(), stop() }; throws when it does not come up, or when
 * the extension is asked for and this JupyterLab has none.
 */
async function startLab(lab, { root, plotly, env: extraEnv = {} }) {
  const port = await freePort();
  const token = crypto.randomBytes(12).toString('hex');
  const state = stateFolder(plotly);
  const env = {
    ...process.env,
    PORT: String(port), TOKEN: token, ROOT_DIR: root, STATE_DIR: state,
    JUPYTER_PATH: path.join(ROOT, '.jupyter'), // the project's kernel registry: the `elbo-lab` kernel of this clone
    JUPYTER_DATA_DIR: path.join(state, 'data'), // its own notary: nothing is trusted unless signed here
    JUPYTER_CONFIG_DIR: path.join(state, 'config'),
    JUPYTER_RUNTIME_DIR: path.join(state, 'runtime'),
    ...extraEnv,
  };
  // The test drives the front end and reads its models (window.jupyterapp), as JupyterLab's own
  // UI tests do.
  const extra = ['--LabApp.expose_app_in_browser=True'];
  let pid;
  if (lab.kind === 'shared') {
    const started = spawnSync('bash', [path.join(lab.folder, 'start'), ...(plotly ? [] : ['--no-plotly']), ...extra], { env, encoding: 'utf8', timeout: 120_000 });
    if (started.status !== 0) throw new Error(`JupyterLab did not start: ${(started.stdout + started.stderr).trim().split('\n').slice(-5).join(' | ')}`);
    pid = Number(fs.readFileSync(path.join(state, 'server.pid'), 'utf8'));
  } else {
    if (plotly && !lab.plotly) throw new Error(`this JupyterLab has no Plotly extension (${PLOTLY_EXTENSION}): pip install plotly`);
    if (!plotly && lab.plotly) {
      // Off for this server only: its own config folder, as `jupyter labextension disable` writes it.
      fs.mkdirSync(path.join(state, 'config', 'labconfig'), { recursive: true });
      fs.writeFileSync(path.join(state, 'config', 'labconfig', 'page_config.json'), JSON.stringify({ disabledExtensions: { [PLOTLY_EXTENSION]: true } }));
    }
    const args = ['-m', 'jupyterlab', '--no-browser', `--port=${port}`, '--ServerApp.port_retries=0', `--ServerApp.token=${token}`,
      `--ServerApp.root_dir=${root}`, `--LabApp.user_settings_dir=${path.join(state, 'user-settings')}`,
      `--LabApp.workspaces_dir=${path.join(state, 'workspaces')}`, ...extra];
    if (process.getuid && process.getuid() === 0) args.push('--allow-root');
    const out = fs.openSync(path.join(state, 'server.log'), 'a');
    const server = spawn(lab.python, args, { env, cwd: root, detached: true, stdio: ['ignore', out, out] });
    server.unref();
    pid = server.pid;
    let up = false;
    for (let i = 0; i < 240 && !up && alive(pid); i++) {
      up = await request('GET', `http://127.0.0.1:${port}/api/status`, token).then((r) => r.status === 200, () => false);
      if (!up) await new Promise((r) => setTimeout(r, 250));
    }
    if (!up) throw new Error(`JupyterLab did not start: ${fs.readFileSync(path.join(state, 'server.log'), 'utf8').trim().split('\n').slice(-5).join(' | ')}`);
  }
  const url = `http://127.0.0.1:${port}`;
  const log = () => { try { return fs.readFileSync(path.join(state, 'server.log'), 'utf8'); } catch { return ''; } };
  return {
    url, token, state, pid, lab, plotly, log,
    /** The sessions (and their kernels) of this server, shut down through its API. */
    async closeSessions() {
      const sessions = await request('GET', `${url}/api/sessions`, token).catch(() => null);
      for (const session of sessions && sessions.status === 200 ? JSON.parse(sessions.body) : []) {
        await request('DELETE', `${url}/api/sessions/${session.id}`, token, 15_000).catch(() => {});
      }
    },
    /** Shut the server (and its kernels) down; its state folder is removed. */
    async stop() {
      await this.closeSessions();
      try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ }
      for (let i = 0; i < 60 && alive(pid); i++) await new Promise((r) => setTimeout(r, 250));
      if (alive(pid)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
      fs.rmSync(state, { recursive: true, force: true });
    },
  };
}

/** Sign notebooks in this server's notary (its data folder), as `jupyter trust` does there. */
function sign(server, files) {
  const script = 'import sys, nbformat\nfrom nbformat.sign import NotebookNotary\nn = NotebookNotary()\n' +
    'for f in sys.argv[1:]:\n    n.sign(nbformat.read(f, as_version=4))';
  const done = spawnSync(python(), ['-c', script, ...files], { encoding: 'utf8', env: { ...process.env, JUPYTER_DATA_DIR: path.join(server.state, 'data') } });
  if (done.status !== 0) throw new Error(`could not sign ${files.join(', ')}: ${done.stderr.trim().split('\n').pop()}`);
}

/** The URL that opens `relative` (a path under the server's root) in a fresh workspace. */
function notebookUrl(server, relative) {
  return `${server.url}/lab/tree/${relative.split('/').map(encodeURIComponent).join('/')}?token=${server.token}&reset`;
}

module.exports = { findJupyterLab, startLab, sign, notebookUrl, SHARED_LAB, PLOTLY_EXTENSION };
