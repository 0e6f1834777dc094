// The real nbgrader on ELBO Lab's notebooks, in a course folder laid out as nbgrader documents it
// (a fresh temporary folder outside the repository, whose nbgrader_config.py loads the repository's):
// a small fixture assignment through generate_assignment, validate, autograde (instructor, untouched
// release, classic mistakes, a compile error, tfjs's banner on stderr) and generate_feedback; then
// the curriculum: generate_assignment of notebooks 01–05 and autograde of notebook 01's solution.
// Scores come from nbgrader's gradebook (its Python API). nbgrader: installed, else the snapshot
// in ../shared/tools/nbgrader; with neither, the file is skipped with one line saying so.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..', '..');
interface Nbgrader { python: string; env: NodeJS.ProcessEnv; where: string }
const { findNbgrader } = require(path.join(ROOT, 'scripts', 'grading', 'run.js')) as { findNbgrader: () => Nbgrader | null };

const nbgrader = findNbgrader();
if (!nbgrader) {
  console.log('test/grading/nbgrader.test.ts: skipped: nbgrader is neither installed (`pip install nbgrader`) nor in ../shared/tools/nbgrader');
}

const FIXTURE = 'elbo-exercises';
const FULL = { 'kl-closed-form': 2, 'bernoulli-sum-over-pixels': 1, 'logsumexp-stable': 2 };
const CURRICULUM = ['01-the-elbo', '02-derivation', '03-the-gap', '04-why-q-near-the-prior', '05-the-balance'];

interface Cell { cell_type: string; source: string | string[]; metadata: { nbgrader?: Record<string, unknown> }; outputs?: Record<string, unknown>[] }
interface Notebook { cells: Cell[]; metadata: { kernelspec?: { name: string } } }
interface Scores { [student: string]: { score: number; max_score: number; grades: Record<string, number> } }

const text = (source: string | string[]): string => (Array.isArray(source) ? source.join('') : source);
const readNotebook = (file: string): Notebook => JSON.parse(fs.readFileSync(file, 'utf8')) as Notebook;
const cellById = (nb: Notebook, id: string): Cell => {
  const cell = nb.cells.find((c) => c.metadata.nbgrader?.grade_id === id);
  if (!cell) throw new Error(`no cell ${id}`);
  return cell;
};
const unescapeHtml = (html: string): string =>
  html.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

describe.skipIf(!nbgrader)(`the real nbgrader (${nbgrader?.where ?? 'absent'}) on ELBO Lab notebooks`, () => {
  let course = '';
  const times: string[] = [];

  /** Run one nbgrader command in the course folder; returns its output, throws with it on failure. */
  function run(args: string[], { env = {}, via = 'python' }: { env?: NodeJS.ProcessEnv; via?: 'python' | 'npm-wrapper' } = {}): string {
    const started = Date.now();
    const command = via === 'python'
      ? [nbgrader!.python, '-m', 'nbgrader', ...args]
      : [process.execPath, path.join(ROOT, 'scripts', 'grading', 'run.js'), 'nbgrader', ...args];
    const result = spawnSync(command[0], command.slice(1), {
      cwd: course, encoding: 'utf8', maxBuffer: 256 << 20, env: { ...nbgrader!.env, ...env },
    });
    const seconds = (Date.now() - started) / 1000;
    times.push(`${args.slice(0, 2).join(' ')} ${seconds.toFixed(1)} s`);
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
    if (result.error) throw result.error;
    if (result.status !== 0) throw new Error(`nbgrader ${args.join(' ')} exited ${result.status}:\n${output}`);
    return output;
  }

  /** Scores per student of one notebook of one assignment, from nbgrader's gradebook. */
  function scores(assignment: string, notebook: string): Scores {
    const script = `
import json, sys
from nbgrader.api import Gradebook
out = {}
with Gradebook('sqlite:///gradebook.db') as gb:
    for submission in gb.assignment_submissions(sys.argv[1]):
        nb = gb.find_submission_notebook(sys.argv[2], sys.argv[1], submission.student.id)
        out[submission.student.id] = {'score': nb.score, 'max_score': nb.max_score,
                                      'grades': {g.name: g.score for g in nb.grades}}
print(json.dumps(out))`;
    const result = spawnSync(nbgrader!.python, ['-c', script, assignment, notebook], { cwd: course, encoding: 'utf8', env: nbgrader!.env });
    if (result.status !== 0) throw new Error(`reading the gradebook failed:\n${result.stdout}${result.stderr}`);
    return JSON.parse(result.stdout) as Scores;
  }

  function python(args: string[]): string {
    const result = spawnSync(nbgrader!.python, args, { cwd: course, encoding: 'utf8', env: nbgrader!.env });
    if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}:\n${result.stdout}${result.stderr}`);
    return result.stdout;
  }

  beforeAll(() => {
    course = fs.mkdtempSync(path.join(os.tmpdir(), 'elbo-lab-course-'));
    // The course's own config loads the repository's, as README.md tells instructors to.
    fs.writeFileSync(path.join(course, 'nbgrader_config.py'),
      `c = get_config()\nload_subconfig(${JSON.stringify(path.join(ROOT, 'nbgrader_config.py'))})\n`);
    python([path.join(ROOT, 'test', 'grading', 'fixture.py'), 'instructor', path.join(course, 'source', 'fixture', `${FIXTURE}.ipynb`)]);
  });

  afterAll(() => {
    if (times.length) console.log(`nbgrader: ${times.join(', ')}`);
    if (course) fs.rmSync(course, { recursive: true, force: true });
  });

  describe('a fixture assignment (three exercises, importing the library)', () => {
    let autogradeOutput = '';
    let fixtureScores: Scores = {};

    it('generate_assignment (through `npm run release`\'s wrapper) releases stubs, without solutions or hidden tests', () => {
      run(['generate_assignment', 'fixture', '--force'], { via: 'npm-wrapper' });
      const released = readNotebook(path.join(course, 'release', 'fixture', `${FIXTURE}.ipynb`));
      const all = released.cells.map((c) => text(c.source)).join('\n');
      expect(all).not.toMatch(/BEGIN SOLUTION|END SOLUTION|HIDDEN TESTS/);
      expect(all).not.toContain('Math.exp(lv)'); // the KL solution
      expect(all).not.toContain('referenceLogSumExp(values)'); // a hidden logsumexp test
      const stub = text(cellById(released, 'kl-closed-form-solution').source);
      expect(stub).toContain('function klToStandardNormalPerExample(mean: number[][], logVariance: number[][]): number[] {');
      expect(stub).toContain('  // YOUR CODE HERE\n  throw new Error("Not implemented yet: replace this line with your solution.");');
      expect(text(cellById(released, 'setup').source)).toContain("from 'elbo-lab'");
      expect(released.metadata.kernelspec?.name).toBe('elbo-lab');
    });

    it('validate passes on the instructor copy', () => {
      const output = run(['validate', path.join('source', 'fixture', `${FIXTURE}.ipynb`)]);
      expect(output).toContain('Success! Your notebook passes all the tests.');
    }, 180_000);

    describe('autograde of seven students', () => {
      beforeAll(() => {
        python([path.join(ROOT, 'test', 'grading', 'fixture.py'), 'submissions', course, 'fixture']);
        autogradeOutput = run(['autograde', 'fixture', '--force']);
        fixtureScores = scores('fixture', FIXTURE);
      }, 600_000);

      it('grades every submission (none removed as failed)', () => {
        expect(autogradeOutput).not.toContain('Removing failed assignment');
        expect(Object.keys(fixtureScores).sort()).toEqual([
          'all-correct', 'bernoulli-prints-tfjs-banner', 'instructor', 'kl-does-not-compile', 'kl-sign-flipped',
          'lse-naive-overflows', 'untouched',
        ]);
      });

      it("gives the instructor's solution and a right answer full marks", () => {
        for (const student of ['instructor', 'all-correct']) {
          expect(fixtureScores[student].grades, student).toEqual(FULL);
          expect(fixtureScores[student].score).toBe(5);
          expect(fixtureScores[student].max_score).toBe(5);
        }
      });

      it('gives the untouched release 0 on each exercise, with the stub\'s message', () => {
        expect(fixtureScores.untouched.grades).toEqual({ 'kl-closed-form': 0, 'bernoulli-sum-over-pixels': 0, 'logsumexp-stable': 0 });
        const graded = readNotebook(path.join(course, 'autograded', 'untouched', 'fixture', `${FIXTURE}.ipynb`));
        expect(JSON.stringify(cellById(graded, 'kl-closed-form').outputs)).toContain('Not implemented yet');
      });

      it.each([
        ['kl-sign-flipped', 'kl-closed-form'],
        ['lse-naive-overflows', 'logsumexp-stable'],
      ])('%s loses exactly the points of %s', (student, exercise) => {
        expect(fixtureScores[student].grades).toEqual({ ...FULL, [exercise]: 0 });
      });

      it('keeps the points of a graded cell whose only stderr is tfjs\'s banner (IgnorePattern)', () => {
        expect(fixtureScores['bernoulli-prints-tfjs-banner'].grades).toEqual(FULL);
      });

      it("fails the tests of a cell that does not compile, with the compiler's message in the autograded notebook", () => {
        expect(fixtureScores['kl-does-not-compile'].grades).toEqual({ ...FULL, 'kl-closed-form': 0 });
        const graded = readNotebook(path.join(course, 'autograded', 'kl-does-not-compile', 'fixture', `${FIXTURE}.ipynb`));
        const error = cellById(graded, 'kl-closed-form-solution').outputs?.find((o) => o.output_type === 'error');
        expect(error?.ename).toBe('CompileError');
        expect(error?.evalue).toContain("Type 'string' is not assignable to type 'number'.");
        expect(cellById(graded, 'kl-closed-form').outputs?.some((o) => o.output_type === 'error')).toBe(true);
      });

      it('generate_feedback writes HTML with the score and the compiler\'s message', () => {
        run(['generate_feedback', 'fixture', '--student', 'kl-does-not-compile', '--force']);
        const html = unescapeHtml(fs.readFileSync(path.join(course, 'feedback', 'kl-does-not-compile', 'fixture', `${FIXTURE}.html`), 'utf8'));
        expect(html).toContain("Type 'string' is not assignable to type 'number'.");
        expect(html).toContain('Score: 3.0 / 5.0');
      });
    });
  });

  describe('the curriculum (notebooks 01–05)', () => {
    beforeAll(() => {
      CURRICULUM.forEach((name, i) => {
        const folder = path.join(course, 'source', `ps0${i + 1}`);
        fs.mkdirSync(folder, { recursive: true });
        fs.copyFileSync(path.join(ROOT, 'notebooks', `${name}.ipynb`), path.join(folder, `${name}.ipynb`));
      });
    });

    it('generate_assignment releases every graded notebook; each released cell is what the book shows students', () => {
      CURRICULUM.forEach((_, i) => run(['generate_assignment', `ps0${i + 1}`, '--force']));
      // scripts/grading/nbgrading.py's student_source (the book's view of a cell) against nbgrader's release
      const script = `
import json, sys
sys.path.insert(0, sys.argv[1])
from nbgrading import student_source
out = {}
for source, release in zip(sys.argv[2::2], sys.argv[3::2]):
    a, b = (json.load(open(f))['cells'] for f in (source, release))
    out[source] = {'cells': [len(a), len(b)], 'differ': [
        i for i, (x, y) in enumerate(zip(a, b)) if student_source({**x, 'source': ''.join(x['source'])}) != ''.join(y['source'])]}
print(json.dumps(out))`;
      const pairs = CURRICULUM.map((name, i) => [
        path.join(course, 'source', `ps0${i + 1}`, `${name}.ipynb`), path.join(course, 'release', `ps0${i + 1}`, `${name}.ipynb`)]);
      const compared = JSON.parse(python(['-c', script, path.join(ROOT, 'scripts', 'grading'), ...pairs.flat()])) as
        Record<string, { cells: number[]; differ: number[] }>;
      for (const [source, release] of pairs) {
        const all = readNotebook(release).cells.map((c) => text(c.source)).join('\n');
        expect(all, release).not.toMatch(/BEGIN SOLUTION|BEGIN HIDDEN TESTS/);
        expect(compared[source].cells[1], source).toBe(compared[source].cells[0]);
        expect(compared[source].differ, source).toEqual([]);
      }
    }, 180_000);

    it("autograde of notebook 01's instructor solution gives full marks (CI=true: short training)", () => {
      const folder = path.join(course, 'submitted', 'instructor', 'ps01');
      fs.mkdirSync(folder, { recursive: true });
      fs.copyFileSync(path.join(course, 'source', 'ps01', `${CURRICULUM[0]}.ipynb`), path.join(folder, `${CURRICULUM[0]}.ipynb`));
      const output = run(['autograde', 'ps01', '--force'], { env: { CI: 'true' } });
      expect(output).not.toContain('Removing failed assignment');
      const result = scores('ps01', CURRICULUM[0]).instructor;
      const graded = readNotebook(path.join(ROOT, 'notebooks', `${CURRICULUM[0]}.ipynb`)).cells
        .filter((c) => c.metadata.nbgrader?.grade === true);
      expect(Object.keys(result.grades).sort()).toEqual(graded.map((c) => String(c.metadata.nbgrader?.grade_id)).sort());
      expect(result.max_score).toBeGreaterThan(0);
      expect(result.score).toBe(result.max_score);
    }, 600_000);
  });
});
