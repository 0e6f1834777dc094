// The notebook runner must fail on every way a cell can go wrong, with the real message.
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { notebookJson, runNotebookRunner, tempDir } from './helpers';

function write(dir: string, name: string, sources: string[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, notebookJson(sources));
  return file;
}

describe('scripts/nbrun.py', () => {
  const dir = tempDir('runner');
  const out = path.join(dir, 'out');

  it('passes a good notebook, prints its wall time and writes the executed copy', () => {
    const nb = write(dir, 'good.ipynb', ['const answer: number = 6 * 7;\nanswer', "console.log('second cell ran')"]);
    const result = runNotebookRunner([nb], out);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/passed in \d+\.\d s/);
    const executed = JSON.parse(fs.readFileSync(path.join(out, 'good.ipynb'), 'utf8'));
    expect(JSON.stringify(executed.cells[0].outputs)).toContain('42');
    expect(JSON.stringify(executed.cells[1].outputs)).toContain('second cell ran');
  });

  it("fails on a failing assertion, printing the assertion's message, notebook and cell", () => {
    const nb = write(dir, 'assertion.ipynb', [
      'const measured = 1 + 1;',
      "import * as assert from 'assert';\nassert.ok(measured === 3, 'measured value 2 is not 3: deliberate failure');",
      "console.log('must not run')",
    ]);
    const result = runNotebookRunner([nb], out);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('measured value 2 is not 3: deliberate failure');
    expect(result.stdout).toContain('assertion.ipynb, cell 1');
    expect(result.stdout).toContain("«import * as assert from 'assert';»");
    // the executed copy is written even though the run failed, with the real message in the error
    const executed = JSON.parse(fs.readFileSync(path.join(out, 'assertion.ipynb'), 'utf8'));
    const error = executed.cells[1].outputs.find((o: { output_type: string }) => o.output_type === 'error');
    expect(error.evalue).toContain('deliberate failure');
    expect(executed.cells[2].outputs).toEqual([]);
  });

  it('fails on an unawaited promise rejection', () => {
    const nb = write(dir, 'rejection.ipynb', [
      "const pending = Promise.reject(new Error('nobody awaited this rejection')); 3",
      "'later cell'",
    ]);
    const result = runNotebookRunner([nb], out);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('nobody awaited this rejection');
    // named by the kernel, on the cell that made the promise
    expect(result.stdout).toContain('rejection.ipynb, cell 0');
    expect(result.stdout).toContain('an unhandled promise rejection: is an `await` missing?');
  });

  it('fails on an exception thrown later by a timer', () => {
    const nb = write(dir, 'timer.ipynb', ["setTimeout(() => { throw new Error('thrown from a timer'); }, 10); 1"]);
    const result = runNotebookRunner([nb], out);
    expect(result.status).toBe(1);
    // Charged to the cell that set the timer wherever it fired: while the cell still ran (a loaded
    // machine may reply after 10 ms), between cells or during the probe after the last one.
    expect(result.stdout).toContain('timer.ipynb, cell 0');
    expect(result.stdout).toMatch(/late error after this cell|thrown in a callback, outside the cell/);
    expect(result.stdout).toContain('thrown from a timer');
  });

  it('fails on a TypeScript compile error with the compiler message', () => {
    const nb = write(dir, 'types.ipynb', ["const count: number = 'three';"]);
    const result = runNotebookRunner([nb], out);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("Type 'string' is not assignable to type 'number'");
  });

  it('stops with a message naming a file that is not a notebook', () => {
    const text = path.join(dir, 'notes.txt');
    fs.writeFileSync(text, 'hello');
    const result = runNotebookRunner([text], out);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${text}: not a notebook`);
  });

  it('stops with a message naming a notebook with invalid JSON', () => {
    const broken = path.join(dir, 'broken.ipynb');
    fs.writeFileSync(broken, '{"cells": [');
    const result = runNotebookRunner([broken], out);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${broken}: not valid notebook JSON`);
  });

  it('stops with a message naming a missing notebook', () => {
    const missing = path.join(dir, 'missing.ipynb');
    const result = runNotebookRunner([missing], out);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${missing}: no such file`);
  });
});

describe('scripts/nbrun.py: graded cells end in a statement', () => {
  it('fails a graded cell whose last expression is a value (nbgrader would read it as partial credit), naming it', () => {
    const dir = tempDir('graded');
    const notebook = JSON.parse(notebookJson([
      '{\n  const checked = 6 * 7;\n}',
      '// tests of the answer\n6 * 7',
      '6 * 7',
    ])) as { cells: { metadata: Record<string, unknown> }[] };
    const grade = (id: string) => ({ grade: true, grade_id: id, locked: true, points: 1, schema_version: 3, solution: false, task: false });
    notebook.cells[0].metadata.nbgrader = grade('ends-in-a-block');
    notebook.cells[1].metadata.nbgrader = grade('ends-in-a-value');
    const file = path.join(dir, 'graded-value.ipynb');
    fs.writeFileSync(file, JSON.stringify(notebook));
    const result = runNotebookRunner(['--continue-on-error', file], path.join(dir, 'out'));
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('graded-value.ipynb, cell 1 «// tests of the answer»');
    expect(result.stdout).toContain("graded cell 'ends-in-a-value' ends in a value (42)");
    expect(result.stdout).toContain('partial credit');
    // a block has no value, and an ungraded cell may show one
    expect(result.stdout).not.toContain('ends-in-a-block');
    expect(result.stdout).not.toMatch(/cell [02] «/);
  });
});

describe('scripts/nbrun.py --continue-on-error', () => {
  it('reports every failing cell, also one that directly follows another failure', () => {
    const dir = tempDir('continue');
    const file = path.join(dir, 'two-failures.ipynb');
    fs.writeFileSync(file, notebookJson(["throw new Error('first failure')", "throw new Error('second failure')", "'fine'"]));
    const result = runNotebookRunner(['--continue-on-error', file], path.join(dir, 'out'));
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('first failure');
    expect(result.stdout).toContain('second failure');
    const executed = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'two-failures.ipynb'), 'utf8'));
    expect(JSON.stringify(executed.cells[2].outputs)).toContain('fine');
  });
});
