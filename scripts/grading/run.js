#!/usr/bin/env node
// `npm run release` / `npm run autograde -- <submission.ipynb>...`: run a grading tool
// (scripts/grading/<tool>.py) with the Python that scripts/setup.js found (it has nbformat and
// nbclient), and the project-local Jupyter kernel registry in the environment.
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const { ROOT, jupyterEnv } = require('../state');
const TOOLS = ['release', 'autograde', 'mark'];

function python() {
  if (process.env.ELBO_LAB_PYTHON) return process.env.ELBO_LAB_PYTHON;
  try {
    return JSON.parse(fs.readFileSync(path.join(ROOT, '.cache', 'setup.json'), 'utf8')).python;
  } catch {
    // Not set up yet: release needs only nbformat; autograde will say what is missing.
    for (const candidate of ['/usr/bin/python3', 'python3']) {
      if (spawnSync(candidate, ['-c', 'import nbformat']).status === 0) return candidate;
    }
    throw new Error('no Python with nbformat found: run `npm run setup` first');
  }
}

function main(argv) {
  const [tool, ...args] = argv;
  if (!TOOLS.includes(tool)) throw new Error(`usage: run.js ${TOOLS.join('|')} [arguments]`);
  const result = spawnSync(python(), [path.join(__dirname, `${tool}.py`), ...args], { stdio: 'inherit', env: jupyterEnv() });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

if (require.main === module) {
  try {
    process.exit(main(process.argv.slice(2)));
  } catch (error) {
    process.stderr.write(`grading: ${error.message}\n`);
    process.exit(1);
  }
}
