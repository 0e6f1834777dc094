#!/usr/bin/env node
// Grading commands: `npm run mark -- <notebook> ...` runs scripts/grading/mark.py (authoring);
// `npm run release -- <assignment>` and `npm run autograde -- <assignment>` run the REAL nbgrader
// (generate_assignment, autograde) in a course folder. Nothing here grades: it only finds
// nbgrader and the Python to run it with.
//
// nbgrader: an installed one (`pip install nbgrader`), else the source snapshot a CI machine keeps
// beside the clone (../shared/tools/nbgrader, or ELBO_LAB_NBGRADER_SNAPSHOT; run with Debian's
// Python packages). The course folder
// is the one npm was called from (INIT_CWD), which must hold an nbgrader_config.py; run npm there
// with `--prefix <this repository>`, or call `node <repository>/scripts/grading/run.js nbgrader ...`.
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const SNAPSHOT = process.env.ELBO_LAB_NBGRADER_SNAPSHOT || path.resolve(ROOT, '..', 'shared', 'tools', 'nbgrader');

/** The Python that scripts/setup.js found (Jupyter, nbformat), else the system's. */
function python() {
  if (process.env.ELBO_LAB_PYTHON) return process.env.ELBO_LAB_PYTHON;
  try {
    return JSON.parse(fs.readFileSync(path.join(ROOT, '.cache', 'setup.json'), 'utf8')).python;
  } catch {
    return fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  }
}

/**
 * How to run nbgrader here: { python, env, where } with `where` 'installed' (the Python imports
 * nbgrader) or the snapshot's folder (used whenever it is there: if it cannot run, nbgrader's own
 * error says why), or null when there is neither.
 */
function findNbgrader({ py = python(), snapshot = SNAPSHOT } = {}) {
  const installed = spawnSync(py, ['-c', 'import nbgrader'], { encoding: 'utf8' });
  if (!installed.error && installed.status === 0) return { python: py, env: { ...process.env }, where: 'installed' };
  if (fs.existsSync(path.join(snapshot, 'nbgrader', '__init__.py'))) {
    const extra = [snapshot, path.join(snapshot, 'shim'), process.env.PYTHONPATH].filter(Boolean).join(path.delimiter);
    return { python: py, env: { ...process.env, PYTHONPATH: extra }, where: snapshot };
  }
  return null;
}

const ABSENT = 'nbgrader is not installed: `pip install nbgrader` (in the Python that runs Jupyter), then run this again';

function runNbgrader(args, course) {
  const nbgrader = findNbgrader();
  if (!nbgrader) throw new Error(ABSENT);
  if (!fs.existsSync(path.join(course, 'nbgrader_config.py'))) {
    throw new Error(`${course} is not a course folder (no nbgrader_config.py): run this from your course folder ` +
      '(README.md, "For instructors: graded exercises")');
  }
  const result = spawnSync(nbgrader.python, ['-m', 'nbgrader', ...args], { stdio: 'inherit', cwd: course, env: nbgrader.env });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function main(argv) {
  const [tool, ...args] = argv;
  if (tool === 'mark') {
    const result = spawnSync(python(), [path.join(__dirname, 'mark.py'), ...args], { stdio: 'inherit' });
    if (result.error) throw result.error;
    return result.status ?? 1;
  }
  // Through `npm run release|autograde`, npm runs this in the repository; INIT_CWD is where it was called.
  const viaNpm = ['release', 'autograde'].includes(process.env.npm_lifecycle_event) && process.env.INIT_CWD;
  if (tool === 'nbgrader') return runNbgrader(args, viaNpm ? process.env.INIT_CWD : process.cwd());
  throw new Error('usage: run.js mark <notebook> [options] | run.js nbgrader <nbgrader command> [arguments]');
}

if (require.main === module) {
  try {
    process.exit(main(process.argv.slice(2)));
  } catch (error) {
    process.stderr.write(`grading: ${error.message}\n`);
    process.exit(1);
  }
}

module.exports = { findNbgrader, SNAPSHOT, ABSENT };
