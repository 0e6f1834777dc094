import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { open } from '../../src/notebook/start';
import { assertClose, assertThat } from '../../src/notebook/exercises';
import { Claims, ClaimFailed } from '../../src/display/claims';
import { Random } from '../../src/random';

const spec = (id: string) => ({ id, section: '§0', statement: 'a test claim', where: 'a test' });

describe('notebook.open', () => {
  const saved = process.env.ELBO_LAB_SEED;
  afterEach(() => {
    if (saved === undefined) delete process.env.ELBO_LAB_SEED; else process.env.ELBO_LAB_SEED = saved;
    vi.restoreAllMocks();
  });

  it('gives stream k the k-th 32-bit draw of Random(seed), as the notebooks derived them by hand', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    delete process.env.ELBO_LAB_SEED;
    const lesson = await open('99-test', { seed: 404, streams: ['split', 'model', 'pairs'] });
    const root = new Random(404);
    expect([lesson.seeds.split, lesson.seeds.model, lesson.seeds.pairs]).toEqual([root.nextUint32(), root.nextUint32(), root.nextUint32()]);
    expect(lesson.random('model').normals(3)).toEqual(new Random(lesson.seeds.model).normals(3));
    expect(() => lesson.random('other' as 'model')).toThrow(/no random stream named "other"/);
    expect(lesson.claims).toBeInstanceOf(Claims);
  });

  it('takes the seed from ELBO_LAB_SEED and says so', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => { lines.push(line); });
    process.env.ELBO_LAB_SEED = '7';
    const lesson = await open('99-test', { seed: 404, streams: ['a'] });
    expect(lesson.seed).toBe(7);
    expect(lesson.seeds.a).toBe(new Random(7).nextUint32());
    expect(lines.join('\n')).toMatch(/99-test: seed 7 \(from ELBO_LAB_SEED\)/);
  });

  it('rejects a stream named twice and a missing name', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    await expect(open('99-test', { seed: 1, streams: ['a', 'a'] })).rejects.toThrow(/names "a" twice/);
    await expect(open('', { seed: 1 })).rejects.toThrow(/name must be a non-empty string/);
  });

  it('finish() claims no tensor leaked, and fails when one did', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'elbo-claims-'));
    const lesson = await open('99-test', { seed: 1 });
    vi.spyOn(lesson.claims, 'show').mockImplementation(() => lesson.claims.save(folder));
    lesson.finish();
    expect(lesson.claims.rows().map((r) => [r.id, r.passed])).toEqual([['99-test:no-tensor-leak', true]]);
    const leaked = tf.zeros([2]);
    expect(lesson.tensorsLeft()).toBe(1);
    expect(() => lesson.finish()).toThrow(ClaimFailed);
    leaked.dispose();
    expect(lesson.finish({ leakCheck: false })).toBeUndefined();
    expect(lesson.tensorsLeft()).toBe(0);
  });
});

describe('claims on estimates', () => {
  it('exceeds: a − b > 4·SE of the independent difference √(SE_a² + SE_b²)', () => {
    const claims = new Claims('99-test');
    // difference 1, SE √(0.15² + 0.2²) = 0.25: 4 SE = 1 is not exceeded, 3.9 SE is.
    expect(() => claims.exceeds(spec('x'), { mean: 2, standardError: 0.15 }, { mean: 1, standardError: 0.2 })).toThrow(ClaimFailed);
    claims.exceeds(spec('y'), { mean: 2, standardError: 0.15 }, { mean: 1, standardError: 0.2 }, { sigmas: 3.9 });
    const row = claims.rows().find((r) => r.id === 'y')!;
    expect(row.criterion).toBe('a − b > 3.9·SE = 0.975');
    expect(row.measured).toBe('a = 2 ± 0.15, b = 1 ± 0.20 nats; a − b = 1 ± 0.25');
  });

  it('exceeds uses a paired difference when given one', () => {
    const claims = new Claims('99-test');
    claims.exceeds(spec('p'), { mean: 2, standardError: 0.5 }, { mean: 1, standardError: 0.5 }, { difference: { mean: 1, standardError: 0.1 } });
    expect(claims.rows()[0].measured).toMatch(/a − b = 1 ± 0.10, paired/);
  });

  it('agrees: |a − b| ≤ k·SE + tolerance, two-sided', () => {
    const claims = new Claims('99-test');
    claims.agrees(spec('a1'), { mean: 1.2, standardError: 0.1 }, 1);
    expect(() => claims.agrees(spec('a2'), { mean: 0.65, standardError: 0.1 }, 1)).toThrow(ClaimFailed);
    expect(() => claims.agrees(spec('a3'), { mean: 1.35, standardError: 0.1 }, 1)).toThrow(ClaimFailed);
    claims.agrees(spec('a4'), { mean: 1.35, standardError: 0.1 }, 1, { tolerance: 0.06 });
    expect(claims.rows().find((r) => r.id === 'a4')!.criterion).toBe('|a − b| ≤ 3·SE + 0.06 = 0.36');
  });

  it('records the two routes of a claim and shows them in the table; a malformed routes text is rejected', () => {
    const claims = new Claims('99-test');
    claims.close({ ...spec('r'), routes: 'A: Woodbury / B: dense Cholesky' }, 1, 1, 0);
    claims.close(spec('s'), 1, 1, 0);
    expect(claims.rows().map((r) => r.routes)).toEqual(['A: Woodbury / B: dense Cholesky', '']);
    const html = String(claims.tableBundle()['text/html']);
    expect(html).toContain('routes compared');
    expect(html).toContain('A: Woodbury / B: dense Cholesky');
    expect(() => claims.close({ ...spec('t'), routes: 'Woodbury vs Cholesky' }, 1, 1, 0)).toThrow(/spec.routes of claim "t" must read "A: … \/ B: …"/);
  });

  it('rejects a standard error that is not a finite number ≥ 0', () => {
    const claims = new Claims('99-test');
    expect(() => claims.exceeds(spec('n'), { mean: 1, standardError: NaN }, 0)).toThrow(/a.standardError for claim "n" must be a finite number >= 0/);
    expect(() => claims.agrees(spec('m'), { mean: NaN, standardError: 1 }, 0)).toThrow(/a.mean for claim "m" must be a finite number/);
  });
});

describe('exercise helpers', () => {
  it('assertClose passes within the tolerance and fails outside it, and on NaN', () => {
    assertClose(1.04, 1, 0.05, 'x');
    expect(() => assertClose(1.06, 1, 0.05, 'x')).toThrow('x: expected 1 ± 0.05, got 1.06');
    expect(() => assertClose(NaN, 1, 0.05, 'y')).toThrow(/y: expected 1/);
  });
  it("leaves its own frame (a library path) out of the error's stack: the stack starts at the caller", () => {
    let stack = '';
    try { assertClose(2, 1, 0.5, 'z'); } catch (error) { stack = (error as Error).stack ?? ''; }
    expect(stack).toMatch(/^Error: z: expected 1 ± 0.5, got 2/);
    expect(stack).not.toMatch(/exercises\.ts/);
    expect(stack).toMatch(/notebook\.test\.ts/);
    try { assertThat(false, 'w'); } catch (error) { stack = (error as Error).stack ?? ''; }
    expect(stack).not.toMatch(/exercises\.ts/);
  });
  it('assertThat throws its message', () => {
    assertThat(true, 'never');
    expect(() => assertThat(false, 'L_k must be >= the mean log-weight')).toThrow('L_k must be >= the mean log-weight');
  });
});
