// exact/linearAlgebra.ts against results written out by hand: a 3×3 SPD matrix whose Cholesky
// factor is known exactly, products recomputed entry by entry, and tail probabilities of N(0, 1)
// at points whose values are known to many digits.
import { describe, expect, it } from 'vitest';
import {
  backSubstitute, cholesky, choleskyInverse, choleskySolve, dot, forwardSubstitute, gram, logDetFromCholesky,
  logSumExp, matTVec, matVec, normalUpperQuantile, normalUpperTail, transpose,
} from '../../src/exact/linearAlgebra';

// A = L Lᵀ with L = [[2, 0, 0], [1, 3, 0], [−1, 2, 1]]: integers, so every step below is exact.
const L = [2, 0, 0, 1, 3, 0, -1, 2, 1];
const A = [4, 2, -2, 2, 10, 5, -2, 5, 6];

const product = (a: ArrayLike<number>, b: ArrayLike<number>, n: number): number[] => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += a[i * n + k] * b[k * n + j];
    out.push(s);
  }
  return out;
};

describe('Cholesky and what is built on it', () => {
  it('cholesky gives the known factor; log det = 2 Σ log L_ii = log 36', () => {
    const l = cholesky(A, 3);
    expect(Array.from(l)).toEqual(L);
    expect(logDetFromCholesky(l, 3)).toBeCloseTo(Math.log(36), 14);
  });

  it('refuses a matrix that is not positive definite, naming the caller and the pivot', () => {
    expect(() => cholesky([1, 2, 2, 1], 2, 'caller')).toThrow('caller: matrix must be symmetric positive definite (pivot 1 is -3)');
    expect(() => cholesky([0, 0, 0, 1], 2)).toThrow('cholesky: matrix must be symmetric positive definite (pivot 0 is 0)');
    expect(() => cholesky([NaN, 0, 0, 1], 2)).toThrow(/pivot 0 is NaN/);
    expect(() => cholesky([Infinity, 0, 0, 1], 2)).toThrow(/pivot 0 is Infinity/);
    // Only the lower triangle is read: a disagreeing upper triangle is refused, rounding-sized differences are not.
    expect(() => cholesky([4, 1, 2, 3], 2, 'caller')).toThrow('caller: matrix must be symmetric (entries (1, 0) and (0, 1) are 2 and 1)');
    expect(() => cholesky([4, 2, 6, 2, 10, 7, 6, 5, 26], 3)).toThrow(/entries \(2, 1\) and \(1, 2\) are 5 and 7/);
    expect(cholesky([4, 2 * (1 + 1e-15), 2, 10], 2)[2]).toBeCloseTo(1, 14);
    // A zero diagonal is a pivot problem, not an asymmetry (the tolerance is 0 there).
    expect(() => cholesky([0, 0, 0, 0], 2)).toThrow('cholesky: matrix must be symmetric positive definite (pivot 0 is 0)');
  });

  it('the symmetry tolerance is 1e-10 · (|a_ii| + |a_jj|) of the pair\'s own diagonal entries', () => {
    // Entry (2, 1) differs from (1, 2) by 4.5e-6; the tolerance of that pair is 1e-10 · (4e4 + 1e4) = 5e-6.
    // Any other diagonal entry (1) or an off-diagonal one (0.5) in its place would refuse the matrix.
    const a = (d: number) => [1, 0.5, 0.5, 0.5, 1e4, 3, 0.5, 3 + d, 4e4];
    const l = cholesky(a(4.5e-6), 3);
    expect(l[7]).toBeCloseTo((3 + 4.5e-6 - l[6] * l[3]) / l[4], 15);
    expect(() => cholesky(a(5.5e-6), 3)).toThrow(/entries \(2, 1\) and \(1, 2\)/);
  });

  it('on a general 4×4 matrix: L is lower triangular (upper entries exactly 0) with L Lᵀ = A; the solves and the inverse agree with products', () => {
    // A = B Bᵀ + I with B of non-integer entries, so that no index slip lands on an equal value.
    const B = [0.3, -1.7, 2.2, 0.45, 1.1, 0.6, -0.35, 1.9, -0.8, 2.4, 0.15, -1.3, 0.7, -0.2, 1.6, 0.95];
    const a = product(B, transpose(B, 4, 4), 4).map((v, k) => v + (k % 5 === 0 ? 1 : 0));
    const l = cholesky(a, 4);
    const llt = product(l, transpose(l, 4, 4), 4);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) {
      if (j > i) expect(l[i * 4 + j]).toBe(0);
      expect(llt[i * 4 + j]).toBeCloseTo(a[i * 4 + j], 12);
    }
    for (let i = 0; i < 4; i++) expect(l[i * 5]).toBeGreaterThan(0);
    expect(logDetFromCholesky(l, 4)).toBeCloseTo(Math.log(l[0] * l[5] * l[10] * l[15]) * 2, 12);
    const b = [1.5, -2, 0.25, 3];
    const y = forwardSubstitute(l, 4, b);
    const ly = matVec(l, 4, 4, y);
    for (let i = 0; i < 4; i++) expect(ly[i]).toBeCloseTo(b[i], 12);
    const x = choleskySolve(l, 4, b);
    const ax = matVec(a, 4, 4, x);
    for (let i = 0; i < 4; i++) expect(ax[i]).toBeCloseTo(b[i], 11);
    const eye = product(a, choleskyInverse(l, 4), 4);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(eye[i * 4 + j]).toBeCloseTo(i === j ? 1 : 0, 11);
  });

  it('forward and back substitution solve L y = b and Lᵀ x = y; choleskySolve solves A x = b', () => {
    const l = Float64Array.from(L);
    // L (1, 2, 3)ᵀ = (2, 7, 6); Lᵀ (1, 2, 3)ᵀ = (2 + 2 − 3, 6 + 6, 3) = (1, 12, 3); A (1, 2, 3)ᵀ = (2, 37, 26).
    expect(Array.from(forwardSubstitute(l, 3, [2, 7, 6]))).toEqual([1, 2, 3]);
    expect(Array.from(backSubstitute(l, 3, [1, 12, 3]))).toEqual([1, 2, 3]);
    const x = choleskySolve(l, 3, [2, 37, 26]);
    for (let i = 0; i < 3; i++) expect(x[i]).toBeCloseTo(i + 1, 13);
  });

  it('choleskyInverse: A A⁻¹ = I, and A⁻¹ is symmetric', () => {
    const inv = choleskyInverse(Float64Array.from(L), 3);
    const eye = product(A, inv, 3);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      expect(eye[i * 3 + j]).toBeCloseTo(i === j ? 1 : 0, 13);
      expect(inv[i * 3 + j]).toBeCloseTo(inv[j * 3 + i], 14);
    }
  });
});

describe('products', () => {
  // B is 2×3: [[1, 2, 3], [4, 5, 6]].
  const B = [1, 2, 3, 4, 5, 6];
  it('transpose, Bᵀ B, B v and Bᵀ w entry by entry', () => {
    expect(Array.from(transpose(B, 2, 3))).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(gram(B, 2, 3))).toEqual([17, 22, 27, 22, 29, 36, 27, 36, 45]);
    expect(Array.from(matVec(B, 2, 3, [1, 0, -1]))).toEqual([-2, -2]);
    expect(Array.from(matTVec(B, 2, 3, [1, -1]))).toEqual([-3, -3, -3]);
    expect(Array.from(matTVec(B, 2, 3, [2, 0.5]))).toEqual([4, 6.5, 9]);
    expect(dot([1, 2, 3], [4, -5, 6])).toBe(12);
  });
});

describe('normal tail and quantile', () => {
  it('P(Z > t) to 1e-7 relative at points known to many digits; symmetric about 0', () => {
    const known: [number, number][] = [
      [0, 0.5], [1, 0.15865525393145705], [1.959963984540054, 0.025], [3, 0.0013498980316301],
      [-1, 0.8413447460685429], [5, 2.866515718791939e-7],
    ];
    for (const [t, p] of known) expect(Math.abs(normalUpperTail(t) / p - 1)).toBeLessThan(2e-7);
  });

  it('the quantile inverts the tail: t(0.025) = 1.95996…, t(0.5) = 0; p outside (0, ½] is refused', () => {
    expect(normalUpperQuantile(0.025)).toBeCloseTo(1.959963984540054, 6);
    expect(normalUpperQuantile(0.5)).toBeCloseTo(0, 6);
    expect(normalUpperQuantile(1e-6)).toBeCloseTo(4.753424308822899, 5);
    for (const p of [0, 0.6, NaN, -0.1]) expect(() => normalUpperQuantile(p)).toThrow(`normalUpperQuantile: p must be in (0, 0.5], got ${p}`);
  });
});

describe('logSumExp', () => {
  it('log Σ e^v for moderate values, very negative ones, and all −∞', () => {
    expect(logSumExp([0, Math.log(3)])).toBeCloseTo(Math.log(4), 14);
    expect(logSumExp([-1000, -1000 + Math.log(3)])).toBeCloseTo(-1000 + Math.log(4), 10);
    expect(logSumExp([-Infinity, -Infinity])).toBe(-Infinity);
    expect(logSumExp([Infinity, 0])).toBe(Infinity);
    expect(logSumExp([])).toBe(-Infinity);
    // The largest value first: shifting by a later one would overflow.
    expect(logSumExp([1000, 0, -5])).toBe(1000);
  });
});
