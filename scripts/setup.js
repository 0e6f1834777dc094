#!/usr/bin/env node
// ELBO Lab setup: idempotent, called by `npm start` and `npm test`.
//   1. find a Python with jupyter_client, nbclient and nbformat (on Debian/Ubuntu as root,
//      install Debian's Jupyter packages when none exists; elsewhere stop with the command to run);
//   2. build the course library (src/ -> dist/, the package `elbo-lab` notebooks import);
//   3. register the kernel "elbo-lab" (kernel/main.js) where Jupyter looks for a user's kernels, as
//      `python3 -m ipykernel install --user` does, so every Jupyter tool finds it (a copy also
//      stays in the project-local .jupyter/ for the scripts);
//   4. prepare the data caches and build the optional native BLAS engine, once.
// It writes .cache/setup.json for the other scripts (which Python, which Jupyter front end).
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const { ROOT, STATE_FILE } = require('./state');
const { ensureLibrary } = require('../kernel/library');

const KERNEL_NAME = 'elbo-lab';
const KERNEL_DIR = path.join(ROOT, '.jupyter', 'kernels', KERNEL_NAME);
const JUPYTER_MODULES = ['jupyter_client', 'nbclient', 'nbformat'];
const DEBIAN_JUPYTER = ['jupyter-notebook', 'jupyter-nbconvert', 'jupyter-client', 'python3-nbclient', 'python3-nbformat'];
// Not required to run the curriculum; installed alongside when apt is at hand.
const DEBIAN_OPTIONAL = {
  'dataset-fashion-mnist': 'Fashion-MNIST for the data module',
  'libopenblas-dev': 'OpenBLAS for the native BLAS engine',
  chromium: 'headless Chromium for chart images, the book and the browser tests',
  libvulkan1: 'the Vulkan loader for the WebGPU engine (SwiftShader from chromium where no GPU driver exists)',
  'python3-jupyter-kernel-test': "the Jupyter project's kernel conformance suite (a test of the kernel)",
};
// Test tools beside a clone (CI has ../shared next to it): when one is there, the Debian packages
// its README lists are installed too (test/scripts/setup.test.ts checks these lists against the
// READMEs). A user's clone has no ../shared: nothing is installed for them.
const SHARED_TOOLS = path.resolve(ROOT, '..', 'shared', 'tools');
const DEBIAN_FOR_TOOLS = {
  nbgrader: ['alembic', 'python3-alembic', 'python3-sqlalchemy', 'python3-dateutil', 'python3-yaml', 'python3-requests',
    'python3-jupyter-server', 'python3-ipywidgets', 'python3-jupyterlab-server'],
  jupyterlab: ['python3-jupyter-server', 'python3-jupyterlab-server', 'python3-httpx', 'python3-async-lru',
    'python3-typing-extensions'],
};

/** Optional Debian packages: always DEBIAN_OPTIONAL, plus those of each shared test tool present. */
function optionalPackages() {
  const wanted = { ...DEBIAN_OPTIONAL };
  for (const [tool, names] of Object.entries(DEBIAN_FOR_TOOLS)) {
    if (!fs.existsSync(path.join(SHARED_TOOLS, tool))) continue;
    for (const name of names) wanted[name] = wanted[name] || `needed by the test tool ../shared/tools/${tool}`;
  }
  return wanted;
}

class SetupError extends Error {}

function log(message) {
  process.stdout.write(`setup: ${message}\n`);
}

function run(command, args, options = {}) {
  return spawnSync(command, args, { encoding: 'utf8', ...options });
}

function checkNode() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 20) throw new SetupError(`Node ${process.versions.node} is too old: ELBO Lab needs Node 20 or newer.`);
}

/** ELBO_LAB_PYTHON, when set, is the only candidate: the user chose that Python. */
function pythonCandidates() {
  if (process.env.ELBO_LAB_PYTHON) return [process.env.ELBO_LAB_PYTHON];
  return ['/usr/bin/python3', 'python3', 'python'];
}

/** The absolute path of a Python that imports the Jupyter modules, or null. */
function findJupyterPython() {
  const probe = `import sys, ${JUPYTER_MODULES.join(', ')}; print(sys.executable)`;
  for (const candidate of pythonCandidates()) {
    const result = run(candidate, ['-c', probe]);
    if (result.status === 0 && result.stdout.trim()) return result.stdout.trim();
  }
  return null;
}

function isDebianLike() {
  return fs.existsSync('/etc/debian_version') && run('apt-get', ['--version']).status === 0;
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function missingDebianPackages(names) {
  return names.filter((name) => {
    const result = run('dpkg-query', ['-W', '-f=${Status}', name]);
    return result.status !== 0 || !result.stdout.includes('install ok installed');
  });
}

function aptAllowed() {
  return isDebianLike() && isRoot() && !process.env.ELBO_LAB_SKIP_APT;
}

function aptInstall(names) {
  log(`installing Debian packages: ${names.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = run('apt-get', ['update'], { env, stdio: 'inherit' });
  if (update.status !== 0) throw new SetupError('apt-get update failed (see above).');
  const install = run('apt-get', ['install', '-y', '--no-install-recommends', ...names], { env, stdio: 'inherit' });
  if (install.status !== 0) throw new SetupError(`apt-get install ${names.join(' ')} failed (see above).`);
}

function jupyterHelp() {
  const debian = `sudo apt-get install ${DEBIAN_JUPYTER.join(' ')}`;
  return [
    'ELBO Lab needs a Python with jupyter_client, nbclient and nbformat (Jupyter), and found none.',
    'Install Jupyter, then run the command again:',
    isDebianLike() ? `  ${debian}` : '  python3 -m pip install jupyterlab nbclient',
    isDebianLike() ? '  (or, in a virtual environment: python3 -m pip install jupyterlab nbclient)' : '',
    'If Jupyter lives in a Python that is not first on PATH, point ELBO_LAB_PYTHON at it.',
  ].filter(Boolean).join('\n');
}

function ensureJupyter() {
  let python = findJupyterPython();
  if (python) return python;
  const chosen = process.env.ELBO_LAB_PYTHON;
  if (chosen) {
    throw new SetupError(
      `ELBO_LAB_PYTHON=${chosen} cannot import ${JUPYTER_MODULES.join(', ')}. Install them into that Python:\n` +
        `  ${chosen} -m pip install jupyterlab nbclient\nor unset ELBO_LAB_PYTHON to let setup find or install Jupyter.`,
    );
  }
  if (!aptAllowed()) throw new SetupError(jupyterHelp());
  aptInstall(missingDebianPackages(DEBIAN_JUPYTER));
  python = findJupyterPython();
  if (!python) throw new SetupError(`Debian's Jupyter packages are installed but no Python imports ${JUPYTER_MODULES.join(', ')}.\n${jupyterHelp()}`);
  return python;
}

function ensureOptionalPackages() {
  const wanted = optionalPackages();
  const missing = missingDebianPackages(Object.keys(wanted));
  if (missing.length === 0) return;
  if (aptAllowed()) {
    try {
      aptInstall(missing);
      return;
    } catch (error) {
      log(`optional packages not installed (${error.message}); continuing without them`);
      return;
    }
  }
  if (isDebianLike()) {
    for (const name of missing) log(`optional: ${wanted[name]} — sudo apt-get install ${name}`);
  }
}

function hasModule(python, name) {
  return run(python, ['-c', `import ${name}`]).status === 0;
}

/** JupyterLab when the Python has it, else the classic Notebook. */
function frontEnd(python) {
  if (hasModule(python, 'jupyterlab')) return 'lab';
  if (hasModule(python, 'notebook')) return 'notebook';
  return null;
}

/** The kernel specification (kernel.json) of this clone. */
function kernelSpec(python) {
  return {
    argv: [process.execPath, path.join(ROOT, 'kernel', 'main.js'), '{connection_file}'],
    display_name: 'TypeScript (ELBO Lab)',
    language: 'typescript',
    interrupt_mode: 'signal',
    env: { ELBO_LAB_ROOT: ROOT },
    metadata: { elbo_lab: { python, root: ROOT } },
  };
}

/** The kernel an older setup registered in .jupyter/ ("tslab", tslab's own server) is replaced by elbo-lab. */
function removeOldKernel() {
  const old = path.join(ROOT, '.jupyter', 'kernels', 'tslab');
  try {
    const spec = JSON.parse(fs.readFileSync(path.join(old, 'kernel.json'), 'utf8'));
    if (spec.argv[0] === path.join(ROOT, 'node_modules', '.bin', 'tslab')) {
      fs.rmSync(old, { recursive: true, force: true });
      log('removed the old project-local kernel "tslab" (replaced by "elbo-lab")');
    }
  } catch {
    // none, or not ours
  }
}

/** Write the spec into .jupyter/kernels/elbo-lab/; true when it changed. */
function writeKernelSpec(python) {
  const file = path.join(KERNEL_DIR, 'kernel.json');
  const text = `${JSON.stringify(kernelSpec(python), null, 2)}\n`;
  const logos = ['logo-32x32.png', 'logo-64x64.png'];
  const complete = logos.every((logo) => fs.existsSync(path.join(KERNEL_DIR, logo)));
  if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text && complete) return false;
  fs.mkdirSync(KERNEL_DIR, { recursive: true });
  fs.writeFileSync(file, text);
  for (const logo of logos) {
    const source = path.join(ROOT, 'node_modules', 'tslab', 'python', logo);
    if (fs.existsSync(source)) fs.copyFileSync(source, path.join(KERNEL_DIR, logo));
  }
  return true;
}

/**
 * Install the spec where Jupyter looks for a user's kernels (jupyter_client's user=True), so
 * `jupyter lab`, `jupyter nbconvert`, `jupyter kernelspec list` and nbgrader find it; with
 * ELBO_LAB_KERNEL_PREFIX set, under that prefix instead (an image's Python environment, like
 * `--sys-prefix`; also what tests use to leave the user's kernels alone). Returns
 * { folder, changed, where }, or throws SetupError with what to do instead.
 */
function installKernel(python) {
  const prefix = process.env.ELBO_LAB_KERNEL_PREFIX || '';
  const script = [
    'import json, os, sys',
    'from jupyter_client.kernelspec import KernelSpecManager',
    'from jupyter_core.paths import jupyter_data_dir',
    'source, name, prefix = sys.argv[1:4]',
    'base = os.path.join(prefix, "share", "jupyter") if prefix else jupyter_data_dir()',
    'target = os.path.join(base, "kernels", name)',
    'def spec(folder):',
    '    try:',
    '        return json.load(open(os.path.join(folder, "kernel.json")))',
    '    except Exception:',
    '        return None',
    'same = spec(target) is not None and spec(target) == spec(source)',
    'if not same:',
    '    target = KernelSpecManager().install_kernel_spec(source, kernel_name=name, user=not prefix, prefix=prefix or None, replace=True)',
    'print(json.dumps({"folder": target, "changed": not same}))',
  ].join('\n');
  const result = run(python, ['-c', script, KERNEL_DIR, KERNEL_NAME, prefix]);
  if (result.status !== 0) {
    const reason = (result.stderr || '').trim().split('\n').pop();
    throw new SetupError(
      `could not install the kernel "${KERNEL_NAME}" (${reason}).\n` +
        `Jupyter tools still find it with: export JUPYTER_PATH=${path.join(ROOT, '.jupyter')}`,
    );
  }
  return { ...JSON.parse(result.stdout.trim().split('\n').pop()), where: prefix ? `under ${prefix}` : 'for this user' };
}

function buildLibrary() {
  const built = ensureLibrary(ROOT);
  if (built === null) return 'current';
  if (!built.ok) throw new SetupError(`building the course library (src/ -> dist/) failed:\n${built.output}`);
  return `built in ${built.seconds.toFixed(1)} s`;
}

/** Run an optional step script (data caches, native build) when it exists; they are idempotent. */
function runStep(relative, label, { required }) {
  const script = path.join(ROOT, relative);
  if (!fs.existsSync(script)) return;
  const result = run(process.execPath, [script], { stdio: 'inherit', cwd: ROOT });
  if (result.status !== 0) {
    const message = `${label} (${relative}) failed with exit code ${result.status}`;
    if (required) throw new SetupError(message);
    log(`${message}; continuing without it`);
  }
}

function main() {
  checkNode();
  const python = ensureJupyter();
  ensureOptionalPackages();
  const tslab = path.join(ROOT, 'node_modules', 'tslab', 'package.json');
  if (!fs.existsSync(tslab)) throw new SetupError('tslab is not installed: run `npm install` first.');
  const library = buildLibrary();
  removeOldKernel();
  writeKernelSpec(python);
  const kernel = installKernel(python);
  runStep('data/prepare.js', 'preparing the data caches', { required: true });
  runStep('native/build.js', 'building the native BLAS engine', { required: false });
  const state = { python, frontEnd: frontEnd(python), kernelName: KERNEL_NAME, kernelDir: kernel.folder, root: ROOT };
  fs.mkdirSync(path.dirname(STATE_FILE), { recursive: true });
  fs.writeFileSync(STATE_FILE, `${JSON.stringify(state, null, 2)}\n`);
  log(`kernel "${KERNEL_NAME}" (TypeScript (ELBO Lab)) ${kernel.changed ? 'installed' : 'already installed'} ${kernel.where} in ${kernel.folder}: every Jupyter tool finds it`);
  log(`ready: Python ${python}, library ${library} (dist/), front end ${state.frontEnd ?? 'none (only headless runs)'}`);
}

if (require.main === module) {
  try {
    main();
  } catch (error) {
    if (error instanceof SetupError) {
      process.stderr.write(`setup: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

module.exports = { findJupyterPython, kernelSpec, KERNEL_NAME, DEBIAN_FOR_TOOLS, SHARED_TOOLS };
