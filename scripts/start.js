#!/usr/bin/env node
// Open the curriculum: JupyterLab when installed, else the classic Notebook, on notebooks/,
// with the project's kernel registered in .jupyter/. Extra arguments pass through to Jupyter
// (e.g. `npm start -- --no-browser --port 8890`).
'use strict';

const path = require('path');
const { spawn } = require('child_process');
const { ROOT, readState, jupyterEnv } = require('./state');

function jupyterCommand(state, extraArgs) {
  if (!state.frontEnd) {
    throw new Error(
      'no Jupyter front end found for ' + state.python +
        ': install JupyterLab (`python3 -m pip install jupyterlab`) or the classic Notebook (`sudo apt-get install jupyter-notebook`).',
    );
  }
  const module = state.frontEnd === 'lab' ? 'jupyterlab' : 'notebook';
  const dirFlag = state.frontEnd === 'lab' ? '--ServerApp.root_dir' : '--NotebookApp.notebook_dir';
  const args = ['-m', module, `${dirFlag}=${path.join(ROOT, 'notebooks')}`];
  if (state.frontEnd === 'notebook' && process.getuid && process.getuid() === 0) args.push('--allow-root');
  if (state.frontEnd === 'lab' && process.getuid && process.getuid() === 0) args.push('--allow-root');
  return { command: state.python, args: [...args, ...extraArgs] };
}

function main() {
  const state = readState();
  const { command, args } = jupyterCommand(state, process.argv.slice(2));
  const name = state.frontEnd === 'lab' ? 'JupyterLab' : 'the classic Jupyter Notebook';
  process.stdout.write(`start: opening ${name} on notebooks/ (kernel "TypeScript (ELBO Lab)"); Ctrl-C stops it\n`);
  const child = spawn(command, args, { stdio: 'inherit', env: jupyterEnv() });
  const stop = (signal) => child.kill(signal);
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
}

if (require.main === module) {
  try {
    main();
  } catch (error) {
    process.stderr.write(`start: ${error.message}\n`);
    process.exit(1);
  }
}

module.exports = { jupyterCommand };
