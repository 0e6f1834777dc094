// The notebook breakages of `npm run mutation` stay applicable: each one-line breakage names a
// line that occurs exactly once in its file, a notebook that exists, and really changes the line.
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { BREAKAGES, check, layerUnits, mergeRerun, ownTestsOf, parseArgs, score, staleFiles, survivorRanges } = require('../../scripts/mutation.js');

describe('npm run mutation: the notebook breakages', () => {
  it('have unique ids and at least six entries', () => {
    const ids = BREAKAGES.map((b: { id: string }) => b.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(6);
  });
  for (const b of BREAKAGES as { id: string; file: string; find: string; replace: string; notebook: string }[]) {
    it(`${b.id}: its line is in ${b.file} once, the replacement differs, ${b.notebook} exists`, () => {
      expect(() => check(b)).not.toThrow();
      expect(b.replace).not.toBe(b.find);
      expect(fs.existsSync(path.join(ROOT, 'notebooks', `${b.notebook}.ipynb`))).toBe(true);
    });
  }
  it('rejects a breakage whose line is gone (the list must follow the code)', () => {
    expect(() => check({ id: 'x', file: 'src/random.ts', find: 'no such line in random.ts' })).toThrow(/occurs 0 times in src\/random.ts/);
  });
  for (const layer of ['objectives', 'exact']) {
    it(`StrykerJS runs ${layer}/ file by file: one unit per source file, none left out, index.ts excluded`, () => {
      // A file of types alone (objectives/types.ts) has nothing to mutate.
      const files = fs.readdirSync(path.join(ROOT, 'src', layer)).filter((f) => f.endsWith('.ts') && f !== 'index.ts' && f !== 'types.ts').sort();
      const units = layerUnits(layer) as { name: string; mutate: string[] }[];
      expect(units.map((u) => u.mutate[0])).toEqual(files.map((f) => `src/${layer}/${f}`));
      expect(new Set(units.map((u) => u.name)).size).toBe(files.length);
    });
  }
  it('scores as StrykerJS does: killed and timed-out over all but ignored and compile errors', () => {
    expect(score({ Killed: 6, Timeout: 2, Survived: 1, NoCoverage: 1, Ignored: 5, CompileError: 3 })).toEqual({ detected: 8, valid: 10, percent: 80 });
  });
  it('--survivors re-tests the survivors\' lines only and merges each rerun mutant back by file, mutator, replacement and location', () => {
    const at = (line: number, column: number, endLine = line, endColumn = column + 3) => ({ start: { line, column }, end: { line: endLine, column: endColumn } });
    const kept = {
      files: {
        'src/a.ts': { mutants: [
          { id: '1', mutatorName: 'ArithmeticOperator', replacement: 'a - b', location: at(10, 5), status: 'Survived' },
          { id: '2', mutatorName: 'ArithmeticOperator', replacement: 'a * b', location: at(10, 5), status: 'Killed', killedBy: ['t1'] },
          { id: '3', mutatorName: 'BlockStatement', replacement: '{}', location: at(11, 1, 13, 2), status: 'NoCoverage' },
          { id: '4', mutatorName: 'EqualityOperator', replacement: 'i <= n', location: at(20, 3), status: 'Survived' },
          { id: '5', mutatorName: 'EqualityOperator', replacement: 'i < n', location: at(30, 3), status: 'Killed' },
        ] },
        'src/b.ts': { mutants: [{ id: '6', mutatorName: 'BooleanLiteral', replacement: 'false', location: at(2, 1), status: 'Timeout' }] },
      },
    };
    // Lines 10–13 are one run, 20 another; a file without survivors is left out.
    expect(survivorRanges(kept)).toEqual(['src/a.ts:10-13', 'src/a.ts:20-20']);
    const rerun = {
      files: {
        'src/a.ts': { mutants: [
          { id: '91', mutatorName: 'ArithmeticOperator', replacement: 'a - b', location: at(10, 5), status: 'Killed', killedBy: ['t9'] },
          { id: '92', mutatorName: 'ArithmeticOperator', replacement: 'a * b', location: at(10, 5), status: 'Killed', killedBy: ['t1'] },
          { id: '93', mutatorName: 'BlockStatement', replacement: '{}', location: at(11, 1, 13, 2), status: 'Timeout' },
          { id: '94', mutatorName: 'EqualityOperator', replacement: 'i <= n', location: at(20, 3), status: 'Survived' },
          // Same place, another replacement: matches nothing kept.
          { id: '95', mutatorName: 'EqualityOperator', replacement: 'i >= n', location: at(20, 3), status: 'Killed' },
        ] },
      },
    };
    expect(mergeRerun(kept, rerun)).toEqual({ matched: 4, detected: 2 });
    const a = kept.files['src/a.ts'].mutants;
    expect(a.map((m) => m.status)).toEqual(['Killed', 'Killed', 'Timeout', 'Survived', 'Killed']);
    expect(a[0]).toMatchObject({ id: '1', killedBy: ['t9'] });
    expect('killedBy' in a[2]).toBe(false);
    expect(a).toHaveLength(5);
  });
  it('a kept report goes stale when lines come or go or a line with a mutant changes, not when a line without one is edited in place', () => {
    const at = (line: number, endLine = line) => ({ start: { line, column: 1 }, end: { line: endLine, column: 4 } });
    const source = ['// one', 'a + b', '// three', 'if (x) {', '  y();', '}'].join('\n');
    const report = { files: { 'src/a.ts': { source, mutants: [
      { id: '1', mutatorName: 'ArithmeticOperator', replacement: 'a - b', location: at(2), status: 'Survived' },
      { id: '2', mutatorName: 'BlockStatement', replacement: '{}', location: at(4, 6), status: 'Killed' },
    ] } } };
    const stale = (text: string): string[] => staleFiles(report, () => text);
    expect(stale(source)).toEqual([]);
    // Comments reworded in place: every mutant's line reads as before.
    expect(stale(source.replace('// one', '// first line').replace('// three', '// third'))).toEqual([]);
    // A line inside a mutant's span (line 5 of the block 4–6) or the mutant's own line changed.
    expect(stale(source.replace('y();', 'z();'))).toEqual(['src/a.ts']);
    expect(stale(source.replace('a + b', 'a + c'))).toEqual(['src/a.ts']);
    // A line added above: every line number after it moves.
    expect(stale(`// new\n${source}`)).toEqual(['src/a.ts']);
  });

  it('refuses an unknown flag or a flag without its value before running anything (a typo once started an hour of StrykerJS)', () => {
    expect(parseArgs(['--stryker', '--layer', 'exact', '--force'])).toEqual(['--stryker', '--layer', 'exact', '--force']);
    expect(parseArgs(['--notebooks', '--only', 'kl-missing-half,bernoulli-sign'])).toHaveLength(3);
    expect(() => parseArgs(['--layr', 'exact'])).toThrow(/unknown argument --layr\nusage:/);
    expect(() => parseArgs(['--unit'])).toThrow(/--unit needs a value/);
    expect(() => parseArgs(['--only', '--force'])).toThrow(/--only needs a value/);
    expect(parseArgs(['--unit', 'exact-kl', '--own-tests'])).toHaveLength(3);
    expect(() => parseArgs(['--unit', 'exact-kl', '--own-tests', '--survivors'])).toThrow(/--survivors and --own-tests cannot be combined/);
    expect(() => parseArgs(['--force', '--survivors'])).toThrow(/--force and --survivors cannot be combined/);
  });

  it('--own-tests: a one-file unit\'s mirrored test file, and none for a layer or a file without one', () => {
    const unit = layerUnits('exact').find((u: { name: string }) => u.name === 'exact-linearAlgebra');
    expect(ownTestsOf(unit)).toBe('test/exact/linearAlgebra.test.ts');
    expect(ownTestsOf(layerUnits('training')[0])).toBe(null);
    expect(ownTestsOf({ name: 'x', mutate: ['src/exact/kl.ts'] }, () => false)).toBe(null);
    expect(ownTestsOf({ name: 'x', mutate: ['src/exact/*.ts'] }, () => true)).toBe(null);
    // A file whose tests live elsewhere (iwae.ts is tested with elbo.ts) has none.
    expect(ownTestsOf(layerUnits('objectives').find((u: { name: string }) => u.name === 'objectives-iwae'))).toBe(null);
  });
});
