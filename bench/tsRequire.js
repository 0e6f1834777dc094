'use strict';
/**
 * Lets plain Node `require()` the project's TypeScript sources (src/**.ts) without a build
 * step or a TS runner: each .ts file is transpiled on load with the project's own
 * `typescript` package (transpileModule: no type check, CommonJS out). Type checking stays
 * the job of `npm run typecheck`. Chosen over vite-node/vitest bench because the bench
 * must spawn PyTorch, print a plain report and keep one process per engine, and a
 * require hook is the least machinery that does that.
 */
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const ts = require(require.resolve('typescript', { paths: [root] }));

if (!require.extensions['.ts']) {
  require.extensions['.ts'] = function compileTs(module, filename) {
    const source = fs.readFileSync(filename, 'utf8');
    const out = ts.transpileModule(source, {
      fileName: filename,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
        sourceMap: false,
        inlineSourceMap: true,
      },
    });
    module._compile(out.outputText, filename);
  };
}

module.exports = { root };
