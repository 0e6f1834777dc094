/**
 * Small dense float64 linear algebra for the exact references (tfjs is float32 only).
 * Matrices are row-major Float64Arrays: entry (i, j) of an n×m matrix is a[i·m + j].
 */

/** Lower-triangular Cholesky factor L with A = L Lᵀ of a symmetric positive-definite n×n A. */
export function cholesky(a: ArrayLike<number>, n: number, fn = 'cholesky'): Float64Array {
  // The factorisation reads the lower triangle only: an upper triangle that disagrees is a bug upstream.
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++) {
      if (Math.abs(a[i * n + j] - a[j * n + i]) > 1e-10 * (Math.abs(a[i * n + i]) + Math.abs(a[j * n + j]))) {
        throw new RangeError(`${fn}: matrix must be symmetric (entries (${i}, ${j}) and (${j}, ${i}) are ${a[i * n + j]} and ${a[j * n + i]})`);
      }
    }
  }
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let diag = a[j * n + j];
    for (let k = 0; k < j; k++) diag -= l[j * n + k] ** 2;
    if (!(diag > 0) || !Number.isFinite(diag)) {
      throw new RangeError(`${fn}: matrix must be symmetric positive definite (pivot ${j} is ${diag})`);
    }
    const ljj = Math.sqrt(diag);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = s / ljj;
    }
  }
  return l;
}

/** log det A = 2 Σ log L_ii from the Cholesky factor. */
export function logDetFromCholesky(l: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(l[i * n + i]);
  return 2 * s;
}

/** Solves L y = b (forward substitution). */
export function forwardSubstitute(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * y[k];
    y[i] = s / l[i * n + i];
  }
  return y;
}

/** Solves Lᵀ x = y (back substitution). */
export function backSubstitute(l: Float64Array, n: number, y: ArrayLike<number>): Float64Array {
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
    x[i] = s / l[i * n + i];
  }
  return x;
}

/** Solves A x = b given A's Cholesky factor. */
export function choleskySolve(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  return backSubstitute(l, n, forwardSubstitute(l, n, b));
}

/** A⁻¹ from A's Cholesky factor (column by column). */
export function choleskyInverse(l: Float64Array, n: number): Float64Array {
  const inv = new Float64Array(n * n);
  const e = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    e.fill(0);
    e[j] = 1;
    const col = choleskySolve(l, n, e);
    for (let i = 0; i < n; i++) inv[i * n + j] = col[i];
  }
  return inv;
}

/** Aᵀ (c×r) of an r×c matrix A. */
export function transpose(a: ArrayLike<number>, r: number, c: number): Float64Array {
  const out = new Float64Array(c * r);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = a[i * c + j];
  return out;
}

/** Aᵀ A for an r×c matrix A (c×c result). */
export function gram(a: ArrayLike<number>, r: number, c: number): Float64Array {
  const out = new Float64Array(c * c);
  for (let i = 0; i < c; i++) {
    for (let j = i; j < c; j++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += a[k * c + i] * a[k * c + j];
      out[i * c + j] = s;
      out[j * c + i] = s;
    }
  }
  return out;
}

/** A v for an r×c matrix A. */
export function matVec(a: ArrayLike<number>, r: number, c: number, v: ArrayLike<number>): Float64Array {
  const out = new Float64Array(r);
  for (let i = 0; i < r; i++) {
    let s = 0;
    for (let j = 0; j < c; j++) s += a[i * c + j] * v[j];
    out[i] = s;
  }
  return out;
}

/** Aᵀ v for an r×c matrix A. */
export function matTVec(a: ArrayLike<number>, r: number, c: number, v: ArrayLike<number>): Float64Array {
  const out = new Float64Array(c);
  for (let i = 0; i < r; i++) {
    const vi = v[i];
    for (let j = 0; j < c; j++) out[j] += a[i * c + j] * vi;
  }
  return out;
}

/** Euclidean inner product. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Standard normal upper tail P(Z > t), accurate to ~1e-7 relative (Numerical Recipes erfc, Chebyshev fit). */
export function normalUpperTail(t: number): number {
  const x = t / Math.SQRT2;
  const z = Math.abs(x);
  const u = 1 / (1 + 0.5 * z);
  const poly = -z * z - 1.26551223 + u * (1.00002368 + u * (0.37409196 + u * (0.09678418 + u * (-0.18628806
    + u * (0.27886807 + u * (-1.13520398 + u * (1.48851587 + u * (-0.82215223 + u * 0.17087277))))))));
  const erfcZ = u * Math.exp(poly);
  return 0.5 * (x >= 0 ? erfcZ : 2 - erfcZ);
}

/** The t with P(Z > t) = p, for p in (0, ½], by bisection on `normalUpperTail`. */
export function normalUpperQuantile(p: number): number {
  if (!(p > 0 && p <= 0.5)) throw new RangeError(`normalUpperQuantile: p must be in (0, 0.5], got ${p}`);
  // P(Z > 40) underflows to 0 < p; 46 halvings bring [0, 40] below 1e-12, above the spacing of floats near 40.
  let lo = 0;
  let hi = 40;
  while (hi - lo > 1e-12) {
    const mid = 0.5 * (lo + hi);
    if (normalUpperTail(mid) > p) lo = mid; else hi = mid;
  }
  return hi;
}

/** log Σ exp(v_i), stable. */
export function logSumExp(values: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
  if (!Number.isFinite(max)) return max;
  let s = 0;
  for (let i = 0; i < values.length; i++) s += Math.exp(values[i] - max);
  return max + Math.log(s);
}
