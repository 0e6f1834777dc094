// What scripts/setup.js found, for the other scripts.
'use strict';

const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const STATE_FILE = path.join(ROOT, '.cache', 'setup.json');

/** The setup state, or a clear error telling the user to run setup. */
function readState() {
  try {
    return JSON.parse(fs.readFileSync(STATE_FILE, 'utf8'));
  } catch {
    throw new Error(`ELBO Lab is not set up yet (${path.relative(ROOT, STATE_FILE)} is missing): run \`npm run setup\`.`);
  }
}

/** The environment for Jupyter processes: the project-local kernel registry first. */
function jupyterEnv(extra = {}) {
  const local = path.join(ROOT, '.jupyter');
  const existing = (process.env.JUPYTER_PATH || '').split(path.delimiter).filter(Boolean);
  return {
    ...process.env,
    JUPYTER_PATH: [local, ...existing.filter((p) => p !== local)].join(path.delimiter),
    ELBO_LAB_ROOT: ROOT,
    PYTHONUNBUFFERED: '1',
    ...extra,
  };
}

module.exports = { ROOT, STATE_FILE, readState, jupyterEnv };
