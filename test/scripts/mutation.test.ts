// The notebook breakages of `npm run mutation` stay applicable: each one-line breakage names a
// line that occurs exactly once in its file, a notebook that exists, and really changes the line.
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { BREAKAGES, check } = require('../../scripts/mutation.js');

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
});
