// The course's own notebooks as assignments: every exercise of 01–05 is marked consistently in
// nbgrader's format, and the students' view of each cell (nbgrading.student_source, what the book
// shows) carries no solution and no hidden test. (Executing them is the notebook runner's job: the
// instructor notebooks run with their solutions in `npm test`, so every graded cell passes there and
// none ends in a value; test/grading/nbgrader.test.ts releases and grades them with the real nbgrader.)
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..', '..');
const python = (JSON.parse(fs.readFileSync(path.join(ROOT, '.cache', 'setup.json'), 'utf8')) as { python: string }).python;
const assignments = ['01-the-elbo', '02-derivation', '03-the-gap', '04-why-q-near-the-prior', '05-the-balance'];

interface Cell { cell_type: string; source: string | string[]; metadata: { nbgrader?: Record<string, unknown> } }
const text = (cell: Cell) => (Array.isArray(cell.source) ? cell.source.join('') : cell.source);
const read = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as { cells: Cell[] };

describe('exercises in the curriculum notebooks', () => {
  for (const name of assignments) {
    it(`${name}: at least two graded exercises, marks consistent (mark.py --check)`, () => {
      const file = path.join(ROOT, 'notebooks', `${name}.ipynb`);
      const check = spawnSync(python, [path.join(ROOT, 'scripts', 'grading', 'mark.py'), file, '--check'], { encoding: 'utf8' });
      expect(check.status, check.stdout + check.stderr).toBe(0);
      const cells = read(file).cells;
      const graded = cells.filter((c) => c.metadata.nbgrader?.grade === true && c.cell_type === 'code');
      const solutions = cells.filter((c) => c.metadata.nbgrader?.solution === true);
      expect(graded.length).toBeGreaterThanOrEqual(2);
      expect(solutions.length).toBeGreaterThanOrEqual(2);
      for (const cell of graded) {
        expect(cell.metadata.nbgrader?.locked).toBe(true);
        expect(cell.metadata.nbgrader?.points as number).toBeGreaterThan(0);
      }
      for (const cell of solutions) expect(text(cell)).toContain('// BEGIN SOLUTION');
    });
  }

  it("the students' view removes every solution and hidden test, leaving stubs that throw", () => {
    const script = `
import json, sys
sys.path.insert(0, sys.argv[1])
from nbgrading import student_source
print(json.dumps({f: [student_source({**c, 'source': ''.join(c['source'])}) for c in json.load(open(f))['cells']]
                  for f in sys.argv[2:]}))`;
    const files = assignments.map((name) => path.join(ROOT, 'notebooks', `${name}.ipynb`));
    const result = spawnSync(python, ['-c', script, path.join(ROOT, 'scripts', 'grading'), ...files], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    const students = JSON.parse(result.stdout) as Record<string, string[]>;
    for (const file of files) {
      const all = students[file].join('\n');
      expect(all).not.toContain('BEGIN SOLUTION');
      expect(all).not.toContain('BEGIN HIDDEN TESTS');
      read(file).cells.forEach((cell, i) => {
        if (cell.metadata.nbgrader?.solution === true && cell.cell_type === 'code') expect(students[file][i]).toMatch(/throw new Error\(/);
      });
    }
  });
});
