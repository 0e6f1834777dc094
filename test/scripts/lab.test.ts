// The JupyterLab tests' own pieces (scripts/lab/): the verdict on what a JupyterLab page shows
// (judgeLab, on hand-made stats: a right page passes, each defect fails with its message) and which
// JupyterLab runs (an installed one first, the shared copy next, none). The tests themselves run
// in real JupyterLab as a step of `npm test` (scripts/lab/tests.js).
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './helpers';

interface LabStats {
  cells: Array<{ type: string; count: number | null; prompt: string; errors: string[]; trusted: boolean }>;
  kernel: string;
  dirty: boolean;
  charts: Array<{ shown: string; height: number }>;
  liveCharts: unknown[];
  equations: string[];
  tables: Array<{ caption: string; rows: string[][]; visible: boolean }>;
  markdownWithMath: number;
  mathjax: number;
  mathjaxErrors: number;
  katexErrors: number;
  katexFontsLoaded: number;
  rawTex: string[];
  consoleErrors?: string[];
  external?: string[];
}
interface Expect { charts?: number; live?: boolean; run?: boolean; claims?: boolean; unmodified?: boolean }
// eslint-disable-next-line @typescript-eslint/no-var-requires
const page = require(path.join(ROOT, 'scripts', 'lab', 'page.js')) as { judgeLab(stats: LabStats, expect?: Expect): string[] };
// eslint-disable-next-line @typescript-eslint/no-var-requires
const server = require(path.join(ROOT, 'scripts', 'lab', 'server.js')) as {
  findJupyterLab(options: { py: string; shared: string }): null | { kind: string; version: string; plotly: boolean };
};

const claimsTable = (held: string[]) => ({
  caption: 'Claims checked in 00-start-here',
  rows: held.map((mark, i) => ['§1', `claim ${i + 1}`, 'section', '1 vs 1', '|difference| ≤ 0', mark]),
  visible: true,
});

/** A notebook opened right: two code cells run, two charts (one live, one picture), math typeset, claims held. */
function stats(change: Partial<LabStats> = {}): LabStats {
  return {
    cells: [
      { type: 'markdown', count: null, prompt: '', errors: [], trusted: true },
      { type: 'code', count: 1, prompt: '[1]:', errors: [], trusted: true },
      { type: 'code', count: 2, prompt: '[2]:', errors: [], trusted: true },
    ],
    kernel: 'idle',
    dirty: false,
    charts: [{ shown: 'live', height: 420 }, { shown: 'picture', height: 336 }],
    liveCharts: [],
    equations: ['katex'],
    tables: [claimsTable(['✓', '✓'])],
    markdownWithMath: 3,
    mathjax: 12,
    mathjaxErrors: 0,
    katexErrors: 0,
    katexFontsLoaded: 4,
    rawTex: [],
    ...change,
  };
}

describe('judgeLab: the verdict on a notebook as JupyterLab shows it', () => {
  const all: Expect = { charts: 2, run: true, claims: true, unmodified: true };

  it('passes a right page, live charts or pictures alike', () => {
    expect(page.judgeLab(stats(), all)).toEqual([]);
    expect(page.judgeLab(stats({ equations: ['mathjax'], katexFontsLoaded: 0 }), all)).toEqual([]); // untrusted: MathJax typesets the TeX
  });

  it('fails a chart that shows nothing, a picture that did not load, a squashed chart, a missing chart', () => {
    expect(page.judgeLab(stats({ charts: [{ shown: 'live', height: 420 }, { shown: 'empty', height: 420 }] }), all)).toEqual(['chart 2: empty']);
    expect(page.judgeLab(stats({ charts: [{ shown: 'picture not loaded', height: 420 }, { shown: 'live', height: 420 }] }), all))
      .toEqual(['chart 1: picture not loaded']);
    expect(page.judgeLab(stats({ charts: [{ shown: 'live', height: 12 }, { shown: 'live', height: 420 }] }), all)).toEqual(['chart 1: only 12 px tall']);
    expect(page.judgeLab(stats({ charts: [{ shown: 'live', height: 420 }] }), all)).toEqual(['1 chart(s) shown, 2 in the notebook']);
    expect(page.judgeLab(stats(), { ...all, live: true })).toEqual(['chart 2: a picture, not the live chart']);
  });

  it('fails error outputs, cells Run All did not reach, and a notebook that opening marked modified', () => {
    const cells = stats().cells.map((c, i) => (i === 2 ? { ...c, count: null, prompt: '[ ]:' } : i === 1 ? { ...c, errors: ['RangeError: the claim failed: 3 > 2'] } : c));
    expect(page.judgeLab(stats({ cells }), all)).toEqual(['error output: RangeError: the claim failed: 3 > 2', '1 of 2 code cells did not run']);
    expect(page.judgeLab(stats({ dirty: true }), all)).toEqual(['opening it marked it modified (unsaved changes the reader never made)']);
    expect(page.judgeLab(stats({ dirty: true }), { charts: 2 })).toEqual([]); // after Run All a notebook is modified, rightly
  });

  it('fails math left as TeX, MathJax or KaTeX errors, KaTeX without its fonts, no typeset Markdown', () => {
    expect(page.judgeLab(stats({ rawTex: ['$$\\log p(x)$$'] }), all)).toEqual(['raw TeX left in the text: «$$\\log p(x)$$»']);
    expect(page.judgeLab(stats({ equations: ['not typeset'] }), all)).toEqual(['equation output 1 not typeset']);
    expect(page.judgeLab(stats({ mathjaxErrors: 2, katexErrors: 1 }), all)).toEqual(['2 MathJax error(s)', '1 KaTeX error(s)']);
    expect(page.judgeLab(stats({ katexFontsLoaded: 0 }), all)).toEqual(['KaTeX shown without its fonts (math set in fallback fonts)']);
    expect(page.judgeLab(stats({ markdownWithMath: 0 }), all)).toEqual(['no typeset math in the Markdown cells (MathJax)']);
  });

  it('fails a claims table that is missing, hidden, empty or holds a failed claim', () => {
    expect(page.judgeLab(stats({ tables: [] }), all)).toEqual(['no claims table']);
    expect(page.judgeLab(stats({ tables: [claimsTable(['✓', '✗'])] }), all)).toEqual(['claim not held: claim 2 (✗)']);
    expect(page.judgeLab(stats({ tables: [{ ...claimsTable(['✓']), visible: false }] }), all)).toEqual(['table «Claims checked in 00-start-here» not shown']);
    expect(page.judgeLab(stats({ tables: [claimsTable([])] }), all)).toEqual(['table «Claims checked in 00-start-here» has no rows']);
  });

  it('fails console errors and requests that leave the machine', () => {
    expect(page.judgeLab(stats({ consoleErrors: ['TypeError: x is undefined'], external: ['https://cdn.example/mathjax.js'] }), all))
      .toEqual(['console error: TypeError: x is undefined', 'request leaves the machine: https://cdn.example/mathjax.js']);
  });
});

describe('findJupyterLab: an installed JupyterLab first, the shared copy next, else none', () => {
  /** A stand-in Python that answers the probe with `json`, or fails (no jupyterlab) when `json` is null. */
  function fakePython(dir: string, json: string | null): string {
    const file = path.join(dir, 'python');
    fs.writeFileSync(file, json === null ? '#!/bin/sh\necho "ModuleNotFoundError: No module named jupyterlab" >&2\nexit 1\n' : `#!/bin/sh\necho '${json}'\n`);
    fs.chmodSync(file, 0o755);
    return file;
  }
  const sharedCopy = (dir: string) => {
    const folder = path.join(dir, 'jupyterlab');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'start'), '#!/bin/sh\n');
    return folder;
  };

  it('takes the installed JupyterLab 4 when the setup\'s Python has one, with or without its Plotly extension', () => {
    const dir = tempDir('findlab');
    expect(server.findJupyterLab({ py: fakePython(dir, '{"version": "4.2.5", "plotly": false}'), shared: sharedCopy(dir) }))
      .toMatchObject({ kind: 'installed', version: '4.2.5', plotly: false });
  });

  it('takes the shared copy when none is installed, or the installed one is not JupyterLab 4', () => {
    const dir = tempDir('findlab');
    const shared = sharedCopy(dir);
    expect(server.findJupyterLab({ py: fakePython(dir, null), shared })).toMatchObject({ kind: 'shared', folder: shared, version: '4.6.3' });
    const old = tempDir('findlab');
    expect(server.findJupyterLab({ py: fakePython(old, '{"version": "3.6.7", "plotly": true}'), shared })).toMatchObject({ kind: 'shared' });
  });

  it('finds none where neither exists (a user\'s clone without ../shared)', () => {
    const dir = tempDir('findlab');
    expect(server.findJupyterLab({ py: fakePython(dir, null), shared: path.join(dir, 'absent') })).toBeNull();
  });
});
