// The public API is a few namespaces (src/index.ts). This test lists every name they export at
// run time, so the surface grows only on purpose: a new public name means a new line in
// test/publicApi.names.txt, seen in review. (Types vanish at run time; they are not listed.)
// After an intended change: ELBO_LAB_UPDATE_API=1 npx vitest run test/publicApi.test.ts
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import * as api from '../src/index';

const LIST = path.join(__dirname, 'publicApi.names.txt');
const NAMESPACES = ['stats', 'engine', 'distributions', 'objectives', 'exact', 'data', 'models', 'train', 'display', 'notebook', 'course'];

function isNamespace(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === null || (typeof value === 'object' && value !== null && value.constructor === Object);
}

function exportedNames(): string[] {
  const names: string[] = [];
  const walk = (prefix: string, value: Record<string, unknown>, depth: number) => {
    for (const key of Object.keys(value).sort()) {
      const inner = value[key];
      if (depth > 0 && isNamespace(inner) && prefix === 'course') walk(`${prefix}.${key}`, inner, depth - 1);
      else names.push(`${prefix}.${key}`);
    }
  };
  for (const key of Object.keys(api).sort()) {
    const value = (api as Record<string, unknown>)[key];
    if (NAMESPACES.includes(key)) walk(key, value as Record<string, unknown>, 1);
    else names.push(key);
  }
  return names;
}

describe('the public API', () => {
  const names = exportedNames();
  it('is one namespace per layer, the course, and Random: nothing else at the top', () => {
    expect(Object.keys(api).sort()).toEqual([...NAMESPACES, 'Random'].sort());
  });
  it('exports exactly the names listed in test/publicApi.names.txt', () => {
    if (process.env.ELBO_LAB_UPDATE_API) fs.writeFileSync(LIST, `${names.join('\n')}\n`);
    const listed = fs.readFileSync(LIST, 'utf8').split('\n').filter((l) => l.trim() !== '');
    const added = names.filter((n) => !listed.includes(n));
    const removed = listed.filter((n) => !names.includes(n));
    expect({ added, removed }).toEqual({ added: [], removed: [] });
  });
  it('has every name the notebooks use (namespace.name in their code cells)', () => {
    const folder = path.join(__dirname, '..', 'notebooks');
    const missing: string[] = [];
    for (const file of fs.readdirSync(folder).filter((f) => f.endsWith('.ipynb'))) {
      const nb = JSON.parse(fs.readFileSync(path.join(folder, file), 'utf8')) as { cells: { cell_type: string; source: string[] | string }[] };
      const code = nb.cells.filter((c) => c.cell_type === 'code').map((c) => (Array.isArray(c.source) ? c.source.join('') : c.source)).join('\n');
      const imported = /import\s*\{([^}]*)\}\s*from\s*'elbo-lab'/.exec(code);
      expect(imported, `${file} imports from 'elbo-lab'`).not.toBeNull();
      for (const name of imported![1].split(',').map((s) => s.trim()).filter(Boolean)) {
        if (!(name in api)) missing.push(`${file}: imports ${name}`);
      }
      const pattern = new RegExp(`(?<![\\w.$])(${NAMESPACES.join('|')})\\.(\\w+)(?:\\.(\\w+))?`, 'g');
      for (const m of code.matchAll(pattern)) {
        const ns = (api as unknown as Record<string, Record<string, unknown>>)[m[1]];
        if (!(m[2] in ns)) missing.push(`${file}: ${m[1]}.${m[2]}`);
        else if (m[1] === 'course' && m[3] && !(m[3] in (ns[m[2]] as Record<string, unknown>))) missing.push(`${file}: course.${m[2]}.${m[3]}`);
      }
      // const here = course.theGap;  …  here.name
      for (const alias of code.matchAll(/const\s+(\w+)\s*=\s*course\.(\w+)\s*;/g)) {
        const module = (api.course as Record<string, Record<string, unknown>>)[alias[2]];
        if (!module) continue; // reported above
        for (const use of code.matchAll(new RegExp(`(?<![\\w.$/-])${alias[1]}\\.(\\w+)`, 'g'))) {
          if (!(use[1] in module)) missing.push(`${file}: ${alias[1]}.${use[1]} (course.${alias[2]})`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
