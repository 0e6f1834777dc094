import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '..', '..');

/** The Python that setup found (scripts/setup.js writes .cache/setup.json). */
export function setupPython(): string {
  const state = JSON.parse(fs.readFileSync(path.join(ROOT, '.cache', 'setup.json'), 'utf8')) as { python: string };
  return state.python;
}

/** A minimal valid notebook for the project's kernel, one code cell per source. */
export function notebookJson(sources: string[]): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'elbo-lab', display_name: 'TypeScript (ELBO Lab)', language: 'typescript' },
      language_info: { name: 'typescript' },
    },
    cells: sources.map((source, i) => ({
      id: `cell-${i}`,
      cell_type: 'code',
      metadata: {},
      execution_count: null,
      outputs: [],
      source,
    })),
  });
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `elbo-lab-${prefix}-`));
}

/** Run scripts/nbrun.py on the given notebooks, executed copies into `out`. */
export function runNotebookRunner(notebooks: string[], out: string): SpawnSyncReturns<string> {
  return spawnSync(setupPython(), [path.join(ROOT, 'scripts', 'nbrun.py'), '--out', out, '--cell-timeout', '120', ...notebooks], {
    encoding: 'utf8',
    env: { ...process.env, JUPYTER_PATH: path.join(ROOT, '.jupyter') },
    timeout: 240_000,
  });
}
