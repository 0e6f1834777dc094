// Every course notebook reads like the text: short cells calling the course module, no Plotly
// layouts, loops over training runs or statistics in cells, few functions outside the exercises.
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const shape = require('../../scripts/notebook-shape.js');

const folder = path.join(ROOT, 'notebooks');
const notebooks = fs.readdirSync(folder).filter((f) => f.endsWith('.ipynb')).sort();

describe('the notebook-shape measure', () => {
  it('counts code lines, not blanks or comments', () => {
    expect(shape.codeLines('a();\n\n  // why\n/* block\n still */\nb();')).toEqual(['a();', 'b();']);
  });
  it('finds named functions of every form, not callbacks', () => {
    const source = 'function f(x) {}\nconst g = (a: number) => a;\nconst h = async () => 1;\nconst k = function () {};\nxs.map((v) => v);';
    expect(shape.namedFunctions(source)).toEqual(['f', 'g', 'h', 'k']);
  });
  it('flags a long cell, a layout, a loop over awaited runs and a statistic', () => {
    const cell = (source: string) => ({ cell_type: 'code', metadata: {}, source });
    const nb = { cells: [
      cell(Array.from({ length: 21 }, (_, i) => `f${i}();`).join('\n')),
      cell("show({ data: [], layout: { height: 3 } });"),
      cell('for (const b of betas) await train(b);'),
      cell('const se = Math.sqrt(v / n);'),
      { cell_type: 'code', metadata: { nbgrader: { solution: true } }, source: Array.from({ length: 40 }, () => 'x();').join('\n') },
    ] };
    const figures = shape.measureNotebook(nb);
    expect(figures.exerciseCells).toBe(1);
    const problems = shape.shapeProblems(figures).join('\n');
    expect(problems).toMatch(/cell 0 has 21 lines/);
    expect(problems).toMatch(/cell 1 writes a Plotly layout/);
    expect(problems).toMatch(/cell 2 loops over awaited work/);
    expect(problems).toMatch(/cell 3 computes a statistic/);
    expect(problems).not.toMatch(/cell 4/);
  });
});

describe('course notebooks read like the text', () => {
  for (const name of notebooks) {
    it(`${name}: median ≤ ${shape.LIMITS.medianLines} lines, none over ${shape.LIMITS.maxLines}, no layout/loop/statistic, ≤ ${shape.LIMITS.namedFunctions} functions`, () => {
      const figures = shape.measureFile(path.join(folder, name));
      console.log(`${name}: ${figures.codeCells} code cells, median ${figures.medianLines} lines, max ${figures.maxLines}, ${figures.namedFunctions.length} functions outside ${figures.exerciseCells} exercise cells`);
      expect(shape.shapeProblems(figures)).toEqual([]);
    });
  }
});
