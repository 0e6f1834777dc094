// The setup step: idempotent, installs the kernel for the user, builds the library, and stops clearly without Jupyter.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { ROOT, setupPython, tempDir } from './helpers';

function setup(env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'setup.js')], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
}

function withoutJupyterPath(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.JUPYTER_PATH;
  return env;
}

describe('scripts/setup.js', () => {
  it('is idempotent: a second run changes nothing and says the kernel is already installed', () => {
    const first = setup();
    expect(first.status, first.stderr).toBe(0);
    const state = JSON.parse(fs.readFileSync(path.join(ROOT, '.cache', 'setup.json'), 'utf8'));
    const kernelFile = path.join(state.kernelDir, 'kernel.json');
    const before = fs.statSync(kernelFile).mtimeMs;
    const built = fs.statSync(path.join(ROOT, 'dist', '.built')).mtimeMs;
    const second = setup();
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain('kernel "elbo-lab" (TypeScript (ELBO Lab)) already installed for this user');
    expect(second.stdout).toContain('library current (dist/)');
    expect(fs.statSync(kernelFile).mtimeMs).toBe(before);
    expect(fs.statSync(path.join(ROOT, 'dist', '.built')).mtimeMs).toBe(built);
  });

  it("installs the kernel where Jupyter looks for a user's kernels, starting kernel/main.js with an absolute node", () => {
    const python = setupPython();
    const listed = spawnSync(python, ['-m', 'jupyter_client.kernelspecapp', 'list', '--json'], {
      encoding: 'utf8',
      env: withoutJupyterPath(), // the folders a plain Jupyter tool searches
    });
    expect(listed.status, listed.stderr).toBe(0);
    const specs = JSON.parse(listed.stdout).kernelspecs as Record<string, { resource_dir: string; spec: { argv: string[]; language: string; display_name: string } }>;
    const user = spawnSync(python, ['-c', 'from jupyter_core.paths import jupyter_data_dir; print(jupyter_data_dir())'], { encoding: 'utf8' });
    expect(specs['elbo-lab'].resource_dir).toBe(path.join(user.stdout.trim(), 'kernels', 'elbo-lab'));
    const spec = specs['elbo-lab'].spec;
    expect(spec.argv).toEqual([process.execPath, path.join(ROOT, 'kernel', 'main.js'), '{connection_file}']);
    expect(spec.language).toBe('typescript');
    expect(spec.display_name).toBe('TypeScript (ELBO Lab)');
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
