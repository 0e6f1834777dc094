#!/usr/bin/env node
// The ELBO Lab kernel ("elbo-lab"): tslab's TypeScript converter and executor behind a Jupyter
// protocol server of our own. Started by Jupyter as `node kernel/main.js <connection file>`.
//
// tslab stays the language engine (compiling cells, keeping declarations between cells,
// completion, inspection); tslab's files are neither copied nor patched. What this adds:
// complete error replies and outputs, execute_result, kernel_info with status, a send queue per
// socket, notebooks that import `elbo-lab` from any folder (modules.js) and a library build kept
// current (library.js).
'use strict';

const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
/** The tslab release this entry was written and tested against (its internals are used). */
const TSLAB_VERSION = '1.0.22';

function loadTslab() {
  const version = require('tslab/package.json').version;
  if (version !== TSLAB_VERSION) {
    throw new Error(`kernel/main.js works with tslab ${TSLAB_VERSION}, found ${version}: run \`npm install\` in ${ROOT}`);
  }
  const { createConverter } = require('tslab/dist/converter');
  const { createExecutor } = require('tslab/dist/executor');
  const jupyter = require('tslab/dist/jupyter');
  // The same module instances tslab loads: its TypeScript and its zeromq.
  const fromTslab = require('module').createRequire(require.resolve('tslab/dist/converter'));
  return {
    version,
    createConverter,
    createExecutor,
    JupyterHandlerImpl: jupyter.JupyterHandlerImpl,
    jupyter,
    ts: fromTslab('@tslab/typescript-for-tslab'),
    zmq: fromTslab('zeromq'),
  };
}

function kernelInfo(tslab) {
  const ownVersion = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
  return {
    protocol_version: require('./wire').PROTOCOL_VERSION,
    implementation: 'elbo-lab',
    implementation_version: ownVersion,
    language_info: {
      name: 'typescript',
      version: tslab.ts.version,
      mimetype: 'text/typescript',
      file_extension: '.ts',
      pygments_lexer: 'typescript',
      nbconvert_exporter: 'script',
      // JupyterLab reads `mode`; the classic Notebook reads `name` with `typescript: true`.
      codemirror_mode: { mode: 'typescript', name: 'javascript', typescript: true },
    },
    banner: `ELBO Lab TypeScript kernel: tslab ${tslab.version}, TypeScript ${tslab.ts.version}, Node ${process.version}`,
    debugger: false,
    help_links: [],
  };
}

/**
 * The ELBO Lab clone that holds `dir`, or null: the nearest ancestor whose package.json is named
 * "elbo-lab" and that has a kernel/main.js and its own node_modules.
 */
function enclosingClone(dir) {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(current, 'package.json'), 'utf8'));
      if (pkg.name === 'elbo-lab' && fs.existsSync(path.join(current, 'kernel', 'main.js')) &&
          fs.existsSync(path.join(current, 'node_modules', 'tslab'))) {
        return current;
      }
    } catch {
      // no package.json here
    }
    if (path.dirname(current) === current) return null;
  }
}

async function main(argv) {
  // A notebook inside another clone of ELBO Lab runs on that clone's kernel, library and packages
  // (Jupyter finds one kernel "elbo-lab": the clone whose setup ran last). Mixing two clones would
  // load two TensorFlow.js instances whose tensors do not mix. (tslab itself does the same with a
  // tslab installed beside the notebook.)
  const local = enclosingClone(process.cwd());
  if (local && local !== ROOT) {
    process.stderr.write(`kernel: the notebook lies in the clone ${local}: starting its kernel\n`);
    return require(path.join(local, 'kernel', 'main.js')).main(argv);
  }
  const connectionFile = argv[0];
  if (!connectionFile) throw new Error('usage: node kernel/main.js <connection file>');
  const connection = JSON.parse(fs.readFileSync(connectionFile, 'utf8'));
  const stderr = process.stderr.write.bind(process.stderr);
  const log = (text) => stderr(`${text}\n`);

  process.env.ELBO_LAB_ROOT = process.env.ELBO_LAB_ROOT || ROOT;
  const built = require('./library').ensureLibrary(ROOT);
  if (built && !built.ok) log(`kernel: building the library (src/ -> dist/) failed:\n${built.output}`);
  else if (built) log(`kernel: library rebuilt from src/ in ${built.seconds.toFixed(1)} s`);

  const tslab = loadTslab();
  const modules = require('./modules');
  modules.extendNodePath(ROOT);
  modules.forwardTypeScriptModules(tslab.ts, ROOT);
  // Tracebacks point into src/*.ts rather than the compiled dist/*.js.
  process.setSourceMapsEnabled(true);

  const { Session } = require('./session');
  const { KernelServer } = require('./server');
  const session = new Session(tslab, process.cwd());
  const server = new KernelServer({ zmq: tslab.zmq, connection, session, info: kernelInfo(tslab), log });
  process.on('SIGINT', () => session.interrupt());
  process.on('unhandledRejection', (reason) => session.reportLate('unhandledRejection', reason));
  process.on('uncaughtException', (error) => session.reportLate('uncaughtException', error));
  process.on('SIGTERM', () => server.close().finally(() => process.exit(0)));
  await server.start();
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error) => {
    process.stderr.write(`kernel: could not start: ${error && error.stack ? error.stack : error}\n`);
    process.exit(1);
  });
}

module.exports = { main, kernelInfo, loadTslab, enclosingClone, TSLAB_VERSION, ROOT };
