// The setup step: idempotent, registers the kernel locally, and stops clearly without Jupyter.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './helpers';

function setup(env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'setup.js')], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
}

describe('scripts/setup.js', () => {
  it('is idempotent: a second run changes nothing and says the kernel is already registered', () => {
    const first = setup();
    expect(first.status, first.stderr).toBe(0);
    const kernelFile = path.join(ROOT, '.jupyter', 'kernels', 'tslab', 'kernel.json');
    const before = fs.statSync(kernelFile).mtimeMs;
    const second = setup();
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain('kernel "tslab" already registered');
    expect(fs.statSync(kernelFile).mtimeMs).toBe(before);
  });

  it('registers the kernel in the project folder with an absolute tslab binary', () => {
    const spec = JSON.parse(fs.readFileSync(path.join(ROOT, '.jupyter', 'kernels', 'tslab', 'kernel.json'), 'utf8'));
    expect(spec.argv[0]).toBe(path.join(ROOT, 'node_modules', '.bin', 'tslab'));
    expect(spec.argv.slice(1)).toEqual(['kernel', '--config-path', '{connection_file}']);
    expect(spec.language).toBe('typescript');
    const state = JSON.parse(fs.readFileSync(path.join(ROOT, '.cache', 'setup.json'), 'utf8'));
    expect(path.isAbsolute(state.python)).toBe(true);
  });

  it('stops with the command to run when the chosen Python has no Jupyter', () => {
    // A stand-in for a Python without Jupyter: every `python -c "import ..."` fails.
    const python = path.join(tempDir('setup'), 'python3');
    fs.writeFileSync(python, '#!/bin/sh\necho "ModuleNotFoundError: No module named nbclient" >&2\nexit 1\n', { mode: 0o755 });
    const result = setup({ ELBO_LAB_PYTHON: python });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`ELBO_LAB_PYTHON=${python} cannot import jupyter_client, nbclient, nbformat`);
    expect(result.stderr).toContain(`${python} -m pip install jupyterlab nbclient`);
  });
});
