#!/usr/bin/env node
// The shape of a course notebook, measured: do its code cells read like the text (a short call,
// its figure, its claim) or like a program? `node scripts/notebook-shape.js [notebooks...]`
// prints the figures; test/scripts/notebookShape.test.ts holds every notebook to the limits.
//
// Counted: code cells outside the graded exercises (nbgrader solution or test cells), their lines
// (not blank, not only a comment). Limits (issue 18): median lines per cell ≤ 8, no cell over 20;
// no Plotly layout in a cell; no loop in a cell that awaits (a loop over training runs); no
// statistic computed in a cell (reduce, sqrt, hypot); at most two named functions per notebook
// outside the exercises (a formula of the text written out for the reader).
'use strict';
const fs = require('fs');
const path = require('path');

const LIMITS = { medianLines: 8, maxLines: 20, namedFunctions: 2 };

function sourceOf(cell) {
  return Array.isArray(cell.source) ? cell.source.join('') : String(cell.source);
}

function isExercise(cell) {
  const nbgrader = (cell.metadata || {}).nbgrader || {};
  return nbgrader.solution === true || nbgrader.grade === true;
}

/** Lines that carry code: not blank, not only a // comment, not inside a /* *\/ block comment. */
function codeLines(source) {
  const lines = [];
  let inBlock = false;
  for (const raw of source.split('\n')) {
    const line = raw.trim();
    if (inBlock) {
      if (line.includes('*/')) inBlock = false;
      continue;
    }
    if (line.startsWith('/*')) {
      if (!line.includes('*/')) inBlock = true;
      continue;
    }
    if (line === '' || line.startsWith('//')) continue;
    lines.push(line);
  }
  return lines;
}

/** Names of the functions a cell defines: `function f(`, `const f = (…) =>`, `const f = function`. */
function namedFunctions(source) {
  const names = [];
  for (const m of source.matchAll(/(?:^|[^.\w])function\s*\*?\s*([A-Za-z_$][\w$]*)\s*[(<]/g)) names.push(m[1]);
  for (const m of source.matchAll(/\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*(?:async\s*)?(?:\([^()]*(?:\([^()]*\)[^()]*)*\)|[A-Za-z_$][\w$]*)\s*(?::\s*[^=]+?)?=>/g)) names.push(m[1]);
  for (const m of source.matchAll(/\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*(?:async\s+)?function\b/g)) names.push(m[1]);
  return names;
}

const LOOP = /\bfor\s*\(|\bwhile\s*\(|\.forEach\(|\.map\(|\.flatMap\(/;
const STATISTIC = /\.reduce\(|Math\.sqrt\(|Math\.hypot\(/;
const LAYOUT = /\blayout\s*:/;

function median(values) {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const h = sorted.length >> 1;
  return sorted.length % 2 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2;
}

/** The figures of one notebook (parsed JSON). */
function measureNotebook(nb) {
  const cells = [];
  let exerciseCells = 0;
  nb.cells.forEach((cell, index) => {
    if (cell.cell_type !== 'code') return;
    if (isExercise(cell)) { exerciseCells++; return; }
    const source = sourceOf(cell);
    const lines = codeLines(source);
    const code = lines.join('\n');
    cells.push({
      index,
      lines: lines.length,
      functions: namedFunctions(code),
      layout: LAYOUT.test(code),
      loopOverRuns: LOOP.test(code) && /\bawait\b/.test(code) && /\b(?:for|while)\b[\s\S]*\bawait\b|\.(?:map|forEach|flatMap)\(\s*async\b/.test(code),
      statistic: (code.match(STATISTIC) || [null])[0],
    });
  });
  const sizes = cells.map((c) => c.lines);
  return {
    codeCells: cells.length,
    exerciseCells,
    medianLines: median(sizes),
    maxLines: sizes.length ? Math.max(...sizes) : 0,
    totalLines: sizes.reduce((s, v) => s + v, 0),
    namedFunctions: cells.flatMap((c) => c.functions),
    cells,
  };
}

/** What breaks the limits, as sentences (empty when the notebook has the shape). */
function shapeProblems(figures) {
  const problems = [];
  if (figures.medianLines > LIMITS.medianLines) problems.push(`median code cell has ${figures.medianLines} lines (limit ${LIMITS.medianLines})`);
  for (const c of figures.cells) {
    const at = `cell ${c.index}`;
    if (c.lines > LIMITS.maxLines) problems.push(`${at} has ${c.lines} lines (limit ${LIMITS.maxLines})`);
    if (c.layout) problems.push(`${at} writes a Plotly layout (make it a named figure of the course module)`);
    if (c.loopOverRuns) problems.push(`${at} loops over awaited work (a loop over training runs belongs in the course module)`);
    if (c.statistic) problems.push(`${at} computes a statistic (${c.statistic}…): use src/stats or the course module`);
  }
  if (figures.namedFunctions.length > LIMITS.namedFunctions) {
    problems.push(`${figures.namedFunctions.length} functions defined outside the exercises (${figures.namedFunctions.join(', ')}; limit ${LIMITS.namedFunctions})`);
  }
  return problems;
}

function measureFile(file) {
  return measureNotebook(JSON.parse(fs.readFileSync(file, 'utf8')));
}

module.exports = { LIMITS, measureNotebook, measureFile, shapeProblems, codeLines, namedFunctions };

if (require.main === module) {
  const root = path.resolve(__dirname, '..');
  const args = process.argv.slice(2);
  const files = args.length ? args : fs.readdirSync(path.join(root, 'notebooks')).filter((f) => f.endsWith('.ipynb')).sort().map((f) => path.join(root, 'notebooks', f));
  let bad = 0;
  console.log('notebook                          code cells  median  max  total  functions  exercise cells  problems');
  for (const file of files) {
    const f = measureFile(file);
    const problems = shapeProblems(f);
    if (problems.length) bad++;
    console.log(`${path.basename(file).padEnd(34)}${String(f.codeCells).padStart(10)}${String(f.medianLines).padStart(8)}${String(f.maxLines).padStart(5)}${String(f.totalLines).padStart(7)}${String(f.namedFunctions.length).padStart(11)}${String(f.exerciseCells).padStart(16)}  ${problems.length}`);
    for (const p of problems) console.log(`    - ${p}`);
  }
  process.exitCode = bad ? 1 : 0;
}
