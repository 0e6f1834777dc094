// The authoring side of the graded exercises, without nbgrader: mark.py writes nbgrader's metadata
// from cell tags and refuses inconsistent marks; nbgrading.py's student view of a cell (what the book
// shows) and its settings, read from nbgrader_config.py; the config's IgnorePattern; binder/postBuild
// in a temporary copy of the repository. (Releasing and grading are the real nbgrader's job:
// test/grading/nbgrader.test.ts.)
import { spawnSync, type SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..', '..');
const NAME = 'elbo-exercises.ipynb';

interface Cell {
  cell_type: string;
  source: string | string[];
  metadata: Record<string, unknown> & { nbgrader?: Record<string, unknown> };
}
interface Notebook { cells: Cell[]; metadata: Record<string, unknown> }

function python(): string {
  if (process.env.ELBO_LAB_PYTHON) return process.env.ELBO_LAB_PYTHON;
  try {
    return (JSON.parse(fs.readFileSync(path.join(ROOT, '.cache', 'setup.json'), 'utf8')) as { python: string }).python;
  } catch {
    return '/usr/bin/python3';
  }
}

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { encoding: 'utf8', cwd: options.cwd ?? ROOT, env: options.env ?? process.env, maxBuffer: 64 << 20 });
  if (result.error) throw result.error;
  return result;
}

function mustRun(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const result = run(command, args, options);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

const text = (source: string | string[]): string => (Array.isArray(source) ? source.join('') : source);
const readNotebook = (file: string): Notebook => JSON.parse(fs.readFileSync(file, 'utf8')) as Notebook;
const byId = (nb: Notebook, id: string): Cell => {
  const cell = nb.cells.find((c) => c.metadata.nbgrader?.grade_id === id);
  if (!cell) throw new Error(`no cell ${id}`);
  return cell;
};

const PY = python();
let work = '';
let instructor: Notebook;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'elbo-grading-'));
  mustRun(PY, ['test/grading/fixture.py', 'instructor', path.join(work, NAME)]);
  instructor = readNotebook(path.join(work, NAME));
});

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('mark.py: nbgrader metadata from cell tags', () => {
  it("writes schema-3 metadata with exactly nbgrader's keys, and the elbo-lab kernel", () => {
    const tests = byId(instructor, 'kl-closed-form').metadata.nbgrader;
    expect(tests).toEqual({ grade: true, grade_id: 'kl-closed-form', locked: true, points: 2, schema_version: 3, solution: false, task: false });
    expect(byId(instructor, 'kl-closed-form-solution').metadata.nbgrader).toEqual({
      grade: false, grade_id: 'kl-closed-form-solution', locked: false, schema_version: 3, solution: true, task: false,
    });
    expect(byId(instructor, 'setup').metadata.nbgrader).toMatchObject({ grade: false, locked: true, solution: false });
    expect(instructor.metadata.kernelspec).toEqual({ name: 'elbo-lab', display_name: 'TypeScript (ELBO Lab)', language: 'typescript' });
  });

  it('refuses a tests cell without points and a solution region outside a solution cell', () => {
    const nbFile = path.join(work, 'bad.ipynb');
    fs.copyFileSync(path.join(work, NAME), nbFile);
    const noPoints = run(PY, ['scripts/grading/mark.py', nbFile, '--cell', '4=tests:id=x']);
    expect(noPoints.status).toBe(1);
    expect(noPoints.stderr).toMatch(/need points=N/);
    const plainSolution = run(PY, ['scripts/grading/mark.py', nbFile, '--cell', '3=plain']);
    expect(plainSolution.status).toBe(1);
    expect(plainSolution.stderr).toMatch(/solution region but is not marked as a solution cell/);
  });

  it('--check accepts the marked notebook and names a duplicate grade id', () => {
    expect(mustRun(PY, ['scripts/grading/mark.py', path.join(work, NAME), '--check'])).toMatch(/marks are consistent; 3 graded cell\(s\), 5 point\(s\)/);
    const duplicate = readNotebook(path.join(work, NAME));
    (byId(duplicate, 'logsumexp-stable').metadata.nbgrader as Record<string, unknown>).grade_id = 'kl-closed-form';
    const file = path.join(work, 'duplicate.ipynb');
    fs.writeFileSync(file, JSON.stringify(duplicate));
    const check = run(PY, ['scripts/grading/mark.py', file, '--check']);
    expect(check.status).toBe(1);
    expect(check.stderr).toContain("grade_id 'kl-closed-form' is also used by cell 4");
  });
});

describe("nbgrading.py: a cell as students get it (the book's view)", () => {
  it('replaces solution regions by the stub of nbgrader_config.py and drops hidden tests, nothing else', () => {
    const script = `
import json, sys
sys.path.insert(0, 'scripts/grading')
from nbgrading import student_source
nb = json.load(open(sys.argv[1]))
print(json.dumps([student_source({**c, 'source': ''.join(c['source'])}) for c in nb['cells']]))`;
    const students = JSON.parse(mustRun(PY, ['-c', script, path.join(work, NAME)])) as string[];
    const all = students.join('\n');
    expect(all).not.toMatch(/BEGIN SOLUTION|END SOLUTION|HIDDEN TESTS/);
    expect(all).not.toContain('Math.exp(lv)'); // the KL solution
    expect(all).not.toContain('referenceLogSumExp(values)'); // a hidden logsumexp test
    const kl = instructor.cells.indexOf(byId(instructor, 'kl-closed-form-solution'));
    expect(students[kl]).toBe(
      '/** KL(q(z|x) ‖ N(0, I)) per example: Σ over latent dims of −½(1 + log σ² − μ² − σ²). */\n' +
      'function klToStandardNormalPerExample(mean: number[][], logVariance: number[][]): number[] {\n' +
      '  // YOUR CODE HERE\n  throw new Error("Not implemented yet: replace this line with your solution.");\n}');
    expect(students[kl + 1]).toContain("'KL(N(0,1) ‖ N(0,1))'"); // visible tests stay
    instructor.cells.forEach((cell, i) => {
      if (!cell.metadata.nbgrader) expect(students[i]).toBe(text(cell.source));
    });
  });
});

describe('nbgrader_config.py', () => {
  it("sets the TypeScript stub, nbgrader's delimiter options and an enabled IgnorePattern for the tfjs banner", () => {
    const banner = fs.readFileSync(path.join(ROOT, 'node_modules/@tensorflow/tfjs-backend-cpu/dist/backend_cpu.js'), 'utf8')
      .match(/warn\(('\\n=+\\n' \+\s*'Hi, looks like[^;]*)\);/);
    expect(banner).not.toBeNull();
    const script = `
import json, re, sys
from traitlets.config import Config
c = Config()
exec(open('nbgrader_config.py').read(), {'get_config': lambda: c})
banner = eval(sys.argv[1].replace("\\n", " "))
print(json.dumps({
  'stub': c.ClearSolutions.code_stub['typescript'],
  'begin': c.ClearSolutions.begin_solution_delimeter, 'end': c.ClearSolutions.end_solution_delimeter,
  'hidden': [c.ClearHiddenTests.begin_test_delimeter, c.ClearHiddenTests.end_test_delimeter],
  'ignore_enabled': c.IgnorePattern.enabled,
  'banner_ignored': bool(re.search(c.IgnorePattern.pattern, banner)),
  'error_kept': not re.search(c.IgnorePattern.pattern, 'Error: KL must be >= 0, got -1'),
}))`;
    const out = JSON.parse(mustRun(PY, ['-c', script, banner?.[1] ?? ''])) as Record<string, unknown>;
    expect(out).toEqual({
      stub: '// YOUR CODE HERE\nthrow new Error("Not implemented yet: replace this line with your solution.");',
      begin: 'BEGIN SOLUTION', end: 'END SOLUTION', hidden: ['BEGIN HIDDEN TESTS', 'END HIDDEN TESTS'],
      ignore_enabled: true, banner_ignored: true, error_kept: true,
    });
  });
});

describe('scripts/grading/run.js (npm run release / autograde)', () => {
  it('says in one line what to install when nbgrader is absent', () => {
    const result = run(process.execPath, [path.join(ROOT, 'scripts', 'grading', 'run.js'), 'nbgrader', 'autograde', 'ps01'], {
      cwd: work, env: { ...process.env, ELBO_LAB_PYTHON: process.execPath, ELBO_LAB_NBGRADER_SNAPSHOT: path.join(work, 'none') },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('grading: nbgrader is not installed: `pip install nbgrader` (in the Python that runs Jupyter), then run this again\n');
  });
});

describe('binder/postBuild', () => {
  it('runs the project setup in a temporary copy: kernel registered there, data cached, apt skipped', () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'elbo-binder-'));
    try {
      for (const entry of ['package.json', 'package-lock.json', 'scripts', 'binder', 'data/prepare.js', 'kernel', 'src', 'tsconfig.lib.json']) {
        if (fs.existsSync(path.join(ROOT, entry))) fs.cpSync(path.join(ROOT, entry), path.join(copy, entry), { recursive: true });
      }
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
      // setup installs the kernel for the user: here into the copy, never over this user's own kernel
      const dataDir = path.join(copy, 'jupyter-data');
      const env: NodeJS.ProcessEnv = {
        ...process.env, ELBO_LAB_POSTBUILD_SKIP_NPM: '1', ELBO_LAB_SKIP_APT: '1', ELBO_LAB_ROOT: copy, JUPYTER_DATA_DIR: dataDir,
      };
      delete env.NB_PYTHON_PREFIX;
      const out = mustRun('bash', [path.join(copy, 'binder', 'postBuild')], { cwd: copy, env });
      expect(out).toContain('postBuild: done');
      for (const folder of [path.join(copy, '.jupyter'), dataDir]) {
        const spec = JSON.parse(fs.readFileSync(path.join(folder, 'kernels', 'elbo-lab', 'kernel.json'), 'utf8')) as { argv: string[]; language: string };
        expect(spec.language).toBe('typescript');
        expect(path.isAbsolute(spec.argv[0])).toBe(true);
        expect(spec.argv[0]).toBe(process.execPath);
        expect(spec.argv[1]).toBe(path.join(copy, 'kernel', 'main.js'));
      }
      expect(fs.existsSync(path.join(copy, '.cache', 'setup.json'))).toBe(true);
      expect(fs.statSync(path.join(copy, 'data', 'cache', 'mnist-10k.bin')).size).toBeGreaterThan(7_000_000);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  }, 180_000);

  it('lists in apt.txt only packages this Debian knows', () => {
    const names = fs.readFileSync(path.join(ROOT, 'binder', 'apt.txt'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(run('apt-cache', ['show', name]).status, name).toBe(0);
  });
});
