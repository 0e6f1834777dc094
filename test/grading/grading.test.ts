// The grading tools end to end: mark -> release -> autograde on a small generated instructor
// notebook (three TypeScript exercises), run in the project's tslab kernel; nbgrader_config.py;
// binder/postBuild in a temporary copy of the repository.
import { spawnSync, type SpawnSyncReturns } from 'child_process';
import { createHash } from 'crypto';
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
  outputs?: unknown[];
  execution_count?: number | null;
}
interface Notebook { cells: Cell[]; metadata: Record<string, unknown> }
interface Exercise { grade_id: string; points: number | null; max_points: number; status: string; message: string; warnings: string[] }
interface Report {
  score: number;
  max_score: number;
  exercises: Exercise[];
  solution_errors: { grade_id: string; message: string }[];
  locked_cells_edited: string[];
  findings: { kind: string; grade_id: string }[];
  setup_error: string;
}

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

/** nbgrader's checksum recipe, written independently of scripts/grading/nbgrading.py. */
function nbgraderChecksum(cell: Cell): string {
  const meta = cell.metadata.nbgrader ?? {};
  const grade = meta.grade === true;
  const solution = meta.solution === true;
  const locked = !solution && (grade || meta.locked === true);
  const pyBool = (b: boolean): string => (b ? 'True' : 'False');
  const pyFloat = (x: number): string => (Number.isInteger(x) ? `${x}.0` : String(x));
  const md5 = createHash('md5');
  md5.update(text(cell.source), 'utf8');
  md5.update(cell.cell_type);
  md5.update(pyBool(grade));
  md5.update(pyBool(solution));
  md5.update(pyBool(locked));
  md5.update(String(meta.grade_id));
  if (grade) md5.update(pyFloat(Number(meta.points)));
  return md5.digest('hex');
}

const PY = python();
let work = '';
const reports: Record<string, Report> = {};
let autogradeOutput = '';
let released: Notebook;
let instructor: Notebook;

beforeAll(() => {
  const kernel = path.join(ROOT, '.jupyter', 'kernels', 'tslab', 'kernel.json');
  if (!fs.existsSync(kernel)) throw new Error(`the tslab kernel is not registered (${kernel}): run \`npm run setup\``);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'elbo-grading-'));
  mustRun(PY, ['test/grading/fixture.py', 'instructor', work]);
  mustRun(PY, ['scripts/grading/release.py', '--source', path.join(work, 'notebooks'), '--out', path.join(work, 'release')]);
  mustRun(PY, ['test/grading/fixture.py', 'submissions', work]);
  instructor = readNotebook(path.join(work, 'notebooks', NAME));
  released = readNotebook(path.join(work, 'release', NAME));
  const submissions = fs.readdirSync(path.join(work, 'submissions')).sort().map((f) => path.join(work, 'submissions', f));
  // One autograde run for every submission: the instructor notebook, the untouched release
  // (matched by file name) and the student scenarios (matched through their grade_ids).
  autogradeOutput = mustRun(PY, [
    'scripts/grading/autograde.py', '--source', path.join(work, 'notebooks'), '--out', path.join(work, 'grades'),
    path.join(work, 'notebooks', NAME), path.join(work, 'release', NAME), ...submissions,
  ]);
  for (const file of fs.readdirSync(path.join(work, 'grades'))) {
    if (file.endsWith('.json')) reports[file.replace(/\.json$/, '')] = JSON.parse(fs.readFileSync(path.join(work, 'grades', file), 'utf8')) as Report;
  }
}, 240_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const pointsOf = (report: Report): Record<string, number | null> =>
  Object.fromEntries(report.exercises.map((e) => [e.grade_id, e.points]));
const FULL = { 'kl-closed-form': 2, 'bernoulli-sum-over-pixels': 1, 'logsumexp-stable': 2 };

describe('mark.py: nbgrader metadata from cell tags', () => {
  it('writes schema-3 metadata with exactly nbgrader\'s keys', () => {
    const tests = byId(instructor, 'kl-closed-form').metadata.nbgrader;
    expect(tests).toEqual({ grade: true, grade_id: 'kl-closed-form', locked: true, points: 2, schema_version: 3, solution: false, task: false });
    expect(byId(instructor, 'kl-closed-form-solution').metadata.nbgrader).toEqual({
      grade: false, grade_id: 'kl-closed-form-solution', locked: false, schema_version: 3, solution: true, task: false,
    });
    expect(byId(instructor, 'setup').metadata.nbgrader).toMatchObject({ grade: false, locked: true, solution: false });
    expect((instructor.metadata.kernelspec as { language: string }).language).toBe('typescript');
  });

  it('refuses a tests cell without points and a solution region outside a solution cell', () => {
    const nbFile = path.join(work, 'bad.ipynb');
    fs.copyFileSync(path.join(work, 'notebooks', NAME), nbFile);
    const noPoints = run(PY, ['scripts/grading/mark.py', nbFile, '--cell', '4=tests:id=x']);
    expect(noPoints.status).toBe(1);
    expect(noPoints.stderr).toMatch(/need points=N/);
    const plainSolution = run(PY, ['scripts/grading/mark.py', nbFile, '--cell', '3=plain']);
    expect(plainSolution.status).toBe(1);
    expect(plainSolution.stderr).toMatch(/solution region but is not marked as a solution cell/);
  });
});

describe('release.py: the student version', () => {
  it('replaces solutions by the throwing stub and removes hidden tests, nothing else', () => {
    expect(released.cells.length).toBe(instructor.cells.length);
    const all = released.cells.map((c) => text(c.source)).join('\n');
    expect(all).not.toMatch(/BEGIN SOLUTION|END SOLUTION|HIDDEN TESTS/);
    expect(all).not.toContain('Math.exp(lv)'); // the KL solution
    expect(all).not.toContain('1000'); // a hidden logsumexp test
    const stub = text(byId(released, 'kl-closed-form-solution').source);
    expect(stub).toContain('throw new Error("Not implemented yet');
    expect(stub).toContain('function klToStandardNormalPerExample(mean: number[][], logVariance: number[][]): number[] {');
    expect(text(byId(released, 'kl-closed-form').source)).toContain("'KL(N(0,1) ‖ N(0,1))'"); // visible tests stay
    instructor.cells.forEach((cell, i) => {
      if (!cell.metadata.nbgrader) expect(text(released.cells[i].source)).toBe(text(cell.source));
    });
  });

  it('clears outputs, locks cells and stores nbgrader checksums of what is released', () => {
    for (const cell of released.cells) {
      if (cell.cell_type === 'code') {
        expect(cell.outputs).toEqual([]);
        expect(cell.execution_count).toBeNull();
      }
      const meta = cell.metadata.nbgrader;
      if (!meta) continue;
      expect(meta.checksum).toBe(nbgraderChecksum(cell));
      expect(meta.cell_type).toBe(cell.cell_type);
      expect(cell.metadata.deletable).toBe(false);
      expect(cell.metadata.editable).toBe(meta.solution ? undefined : false);
    }
  });

  it('reproduces the src link so released notebooks reach src/', () => {
    const link = path.join(work, 'release', 'src');
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.existsSync(path.join(link, 'marker.ts'))).toBe(true);
  });
});

describe('autograde.py in the tslab kernel', () => {
  it('gives the instructor notebook and a correct submission full marks', () => {
    for (const name of ['elbo-exercises', 'all-correct']) {
      expect(pointsOf(reports[name])).toEqual(FULL);
      expect(reports[name].score).toBe(5);
      expect(reports[name].locked_cells_edited).toEqual([]);
    }
    expect(autogradeOutput).toMatch(/total\s+5 \/ 5/);
  });

  it('gives the untouched release 0 on every exercise and still completes', () => {
    const report = reports['release-elbo-exercises'];
    expect(report.setup_error).toBe('');
    expect(report.exercises.map((e) => e.points)).toEqual([0, 0, 0]);
    for (const e of report.exercises) expect(e.message).toContain('Not implemented yet');
  });

  it.each([
    ['kl-sign-flipped', 'kl-closed-form'],
    ['kl-mean-over-dimensions', 'kl-closed-form'],
    ['kl-missing-half', 'kl-closed-form'],
    ['kl-log-sigma-as-log-variance', 'kl-closed-form'],
    ['bernoulli-mean-over-pixels', 'bernoulli-sum-over-pixels'],
    ['lse-naive-overflows', 'logsumexp-stable'],
  ])('%s loses exactly the points of %s', (scenario, exercise) => {
    expect(pointsOf(reports[scenario])).toEqual({ ...FULL, [exercise]: 0 });
    const failed = reports[scenario].exercises.find((e) => e.grade_id === exercise);
    expect(failed?.message).toMatch(/\S/); // the real error message, not tslab's blank one
  });

  it('scores 0 the tests of a solution cell that fails, and grades the rest', () => {
    const report = reports['kl-solution-does-not-compile'];
    expect(pointsOf(report)).toEqual({ ...FULL, 'kl-closed-form': 0 });
    expect(report.solution_errors.map((e) => e.grade_id)).toEqual(['kl-closed-form-solution']);
    expect(report.solution_errors[0].message).toContain("Type 'string' is not assignable to type 'number'");
  });

  it('detects edited and deleted locked cells and grades with the originals', () => {
    const report = reports['tampered-locked-cells'];
    expect(report.locked_cells_edited).toEqual(['kl-closed-form']);
    expect(report.findings).toContainEqual(expect.objectContaining({ kind: 'locked_deleted', grade_id: 'bernoulli-sum-over-pixels' }));
    // the restored KL tests (hidden ones included) catch the flipped sign; the restored
    // Bernoulli tests run against a correct solution
    expect(pointsOf(report)).toEqual({ ...FULL, 'kl-closed-form': 0 });
    expect(autogradeOutput).toContain('locked cell edited by the student');
  });

  it('keeps stderr of ungraded cells (a library banner) out of the scores', () => {
    for (const e of reports['all-correct'].exercises) expect(e.warnings).toEqual([]);
  });
});

describe('nbgrader_config.py', () => {
  it('sets the TypeScript stub used by release.py, nbgrader\'s delimiter options and an IgnorePattern for the tfjs banner', () => {
    const banner = fs.readFileSync(path.join(ROOT, 'node_modules/@tensorflow/tfjs-backend-cpu/dist/backend_cpu.js'), 'utf8')
      .match(/warn\(('\\n=+\\n' \+\s*'Hi, looks like[^;]*)\);/);
    expect(banner).not.toBeNull();
    const script = `
import json, re, sys
from traitlets.config import Config
sys.path.insert(0, 'scripts/grading')
import nbgrading
c = Config()
exec(open('nbgrader_config.py').read(), {'get_config': lambda: c})
banner = eval(sys.argv[1].replace("\\n", " "))
print(json.dumps({
  'stub_matches': c.ClearSolutions.code_stub['typescript'] == nbgrading.CODE_STUB,
  'begin': c.ClearSolutions.begin_solution_delimeter, 'end': c.ClearSolutions.end_solution_delimeter,
  'hidden': [c.ClearHiddenTests.begin_test_delimeter, c.ClearHiddenTests.end_test_delimeter],
  'banner_ignored': bool(re.search(c.IgnorePattern.pattern, banner)),
  'error_kept': not re.search(c.IgnorePattern.pattern, 'Error: KL must be >= 0, got -1'),
}))`;
    const out = JSON.parse(mustRun(PY, ['-c', script, banner?.[1] ?? ''])) as Record<string, unknown>;
    expect(out).toEqual({
      stub_matches: true, begin: 'BEGIN SOLUTION', end: 'END SOLUTION',
      hidden: ['BEGIN HIDDEN TESTS', 'END HIDDEN TESTS'], banner_ignored: true, error_kept: true,
    });
  });
});

describe('binder/postBuild', () => {
  it('runs the project setup in a temporary copy: kernel registered there, data cached, apt skipped', () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'elbo-binder-'));
    try {
      for (const entry of ['package.json', 'package-lock.json', 'scripts', 'binder', 'data/prepare.js']) {
        if (fs.existsSync(path.join(ROOT, entry))) fs.cpSync(path.join(ROOT, entry), path.join(copy, entry), { recursive: true });
      }
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
      const env: NodeJS.ProcessEnv = { ...process.env, ELBO_LAB_POSTBUILD_SKIP_NPM: '1', ELBO_LAB_SKIP_APT: '1', ELBO_LAB_ROOT: copy };
      delete env.NB_PYTHON_PREFIX;
      const out = mustRun('bash', [path.join(copy, 'binder', 'postBuild')], { cwd: copy, env });
      expect(out).toContain('postBuild: done');
      const spec = JSON.parse(fs.readFileSync(path.join(copy, '.jupyter', 'kernels', 'tslab', 'kernel.json'), 'utf8')) as { argv: string[]; language: string };
      expect(spec.language).toBe('typescript');
      expect(spec.argv[0]).toBe(path.join(copy, 'node_modules', '.bin', 'tslab'));
      expect(fs.existsSync(path.join(copy, '.cache', 'setup.json'))).toBe(true);
      expect(fs.statSync(path.join(copy, 'data', 'cache', 'mnist-10k.bin')).size).toBeGreaterThan(7_000_000);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  }, 120_000);

  it('lists in apt.txt only packages this Debian knows', () => {
    const names = fs.readFileSync(path.join(ROOT, 'binder', 'apt.txt'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(run('apt-cache', ['show', name]).status, name).toBe(0);
  });
});
