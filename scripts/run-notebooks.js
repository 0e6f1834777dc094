#!/usr/bin/env node
// Run notebooks headless with the project's kernel: `npm run notebooks [-- notebooks/01-x.ipynb ...]`.
// Thin wrapper: the work is done by scripts/nbrun.py (nbclient), with the Python setup found.
'use strict';

const path = require('path');
const { spawnSync } = require('child_process');
const { ROOT, readState, jupyterEnv } = require('./state');

function runNotebooks(args, options = {}) {
  const { python } = readState();
  const result = spawnSync(python, [path.join(ROOT, 'scripts', 'nbrun.py'), ...args], {
    stdio: 'inherit',
    env: jupyterEnv(options.env),
  });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

if (require.main === module) {
  try {
    process.exit(runNotebooks(process.argv.slice(2)));
  } catch (error) {
    process.stderr.write(`run-notebooks: ${error.message}\n`);
    process.exit(1);
  }
}

module.exports = { runNotebooks };
