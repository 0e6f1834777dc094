// Notebooks are stored clean (no outputs), with the project's kernel, and import the library by its package name.
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { kernelInfo, loadTslab } = require('../../kernel/main.js');
const languageInfo = kernelInfo(loadTslab()).language_info;

const folder = path.join(ROOT, 'notebooks');
const notebooks = fs.readdirSync(folder).filter((f) => f.endsWith('.ipynb')).sort();

describe('stored notebooks', () => {
  it('exist, starting with 00-start-here', () => {
    expect(notebooks[0]).toBe('00-start-here.ipynb');
  });

  for (const name of notebooks) {
    describe(name, () => {
      const nb = JSON.parse(fs.readFileSync(path.join(folder, name), 'utf8'));
      it('uses the elbo-lab kernel and the typescript language', () => {
        expect(nb.metadata.kernelspec.name).toBe('elbo-lab');
        expect(nb.metadata.kernelspec.language).toBe('typescript');
      });
      it("stores the kernel's language_info, so opening it in JupyterLab leaves it unmodified", () => {
        // JupyterLab copies the kernel's language_info into the notebook when the kernel starts; any
        // difference marks a notebook the student has not touched as modified (unsaved changes).
        expect(nb.metadata.language_info).toEqual(languageInfo);
      });
      it('is stored without outputs or execution counts', () => {
        for (const cell of nb.cells.filter((c: { cell_type: string }) => c.cell_type === 'code')) {
          expect(cell.outputs, `a code cell of ${name} has outputs`).toEqual([]);
          expect(cell.execution_count).toBeNull();
        }
      });
    });
  }

  it("import the library as 'elbo-lab' (runs from any folder), never through a relative path", () => {
    for (const name of notebooks) {
      const code = JSON.parse(fs.readFileSync(path.join(folder, name), 'utf8')).cells
        .filter((c: { cell_type: string }) => c.cell_type === 'code')
        .map((c: { source: string[] | string }) => (Array.isArray(c.source) ? c.source.join('') : c.source))
        .join('\n');
      expect(code, name).toMatch(/from 'elbo-lab'/);
      expect(code, name).not.toMatch(/from '\.{1,2}\//);
    }
    expect(fs.existsSync(path.join(folder, 'src')), 'no src link or folder beside the notebooks').toBe(false);
  });
});
