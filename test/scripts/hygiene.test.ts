// Notebooks are stored clean (no outputs), with the project's kernel, and reach src/ by symlink.
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers';

const folder = path.join(ROOT, 'notebooks');
const notebooks = fs.readdirSync(folder).filter((f) => f.endsWith('.ipynb')).sort();

describe('stored notebooks', () => {
  it('exist, starting with 00-start-here', () => {
    expect(notebooks[0]).toBe('00-start-here.ipynb');
  });

  for (const name of notebooks) {
    describe(name, () => {
      const nb = JSON.parse(fs.readFileSync(path.join(folder, name), 'utf8'));
      it('uses the tslab kernel and the typescript language', () => {
        expect(nb.metadata.kernelspec.name).toBe('tslab');
        expect(nb.metadata.kernelspec.language).toBe('typescript');
      });
      it('is stored without outputs or execution counts', () => {
        for (const cell of nb.cells.filter((c: { cell_type: string }) => c.cell_type === 'code')) {
          expect(cell.outputs, `a code cell of ${name} has outputs`).toEqual([]);
          expect(cell.execution_count).toBeNull();
        }
      });
    });
  }

  it('reach src/ through the notebooks/src -> ../src symlink', () => {
    const link = path.join(folder, 'src');
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readlinkSync(link)).toBe('../src');
  });
});
