// The library's layers, bottom up: a file of src/ imports only from its own layer or lower ones,
// and nothing in the library imports the course (README, "Repository layout").
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(__dirname, '..', 'src');
const LAYERS = [
  ['random.ts', 'checks.ts', 'paths.ts', 'runMode.ts'],
  ['stats'], ['engine'], ['distributions'], ['objectives'], ['exact'], ['data'], ['models'], ['train'],
  ['display'], ['notebook'], ['course'], ['index.ts'],
];

function layerOf(file: string): number {
  const top = path.relative(SRC, file).split(path.sep)[0];
  const index = LAYERS.findIndex((names) => names.includes(top));
  if (index < 0) throw new Error(`${path.relative(SRC, file)} is in no layer: add it to LAYERS (and to the README's layout)`);
  return index;
}

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sources(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const found = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+['"](\.[^'"]+)['"]/g)].map((m) => m[1]);
  return found.map((spec) => {
    const base = path.resolve(path.dirname(file), spec);
    for (const candidate of [`${base}.ts`, path.join(base, 'index.ts'), base]) if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
    throw new Error(`${path.relative(SRC, file)} imports ${spec}, which does not exist`);
  });
}

describe('layers of src/', () => {
  const files = sources(SRC);
  it('every file belongs to a layer', () => {
    for (const file of files) expect(() => layerOf(file)).not.toThrow();
  });
  it('no file imports from a higher layer (so the library never imports the course)', () => {
    const upward: string[] = [];
    for (const file of files) {
      for (const target of importsOf(file)) {
        if (layerOf(target) > layerOf(file)) upward.push(`${path.relative(SRC, file)} → ${path.relative(SRC, target)}`);
      }
    }
    expect(upward).toEqual([]);
  });
  it('the check sees imports (it would catch a violation)', () => {
    expect(importsOf(path.join(SRC, 'train', 'train.ts')).map((f) => path.relative(SRC, f))).toContain(path.join('models', 'vae.ts'));
    expect(layerOf(path.join(SRC, 'course', 'digits2d.ts'))).toBeGreaterThan(layerOf(path.join(SRC, 'train', 'train.ts')));
  });
});
