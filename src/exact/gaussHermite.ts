/**
 * Gauss–Hermite quadrature: expectations under a Gaussian by a rule built for that Gaussian.
 *   ∫ e^{−t²} f(t) dt ≈ Σ_k w_k f(t_k)                       (n nodes; exact for polynomials of degree ≤ 2n − 1)
 *   E_{N(μ, σ²)}[f(z)] ≈ Σ_k (w_k/√π) f(μ + √2 σ t_k)        (change of variables z = μ + √2 σ t)
 * and, for a diagonal Gaussian N(μ, diag σ²) in L dimensions, the tensor product of L such rules
 * (n^L nodes). The nodes and weights come from Newton's method on the orthonormal Hermite
 * recurrence (Numerical Recipes' gauher), in float64; the weights are kept as logs because the
 * outer ones underflow to 0 beyond n ≈ 150. A route to E_q[f] that shares nothing with a grid
 * over z: the nodes are placed by q's mean and standard deviations, the weights never evaluate
 * q's density.
 */
import { checkInteger } from '../checks';
import type { DiagonalGaussianParameters } from './inputs';

/** Nodes t_k and log-weights log w_k of the n-point rule for the weight e^{−t²}, nodes ascending. */
export interface HermiteRule {
  nodes: Float64Array;
  logWeights: Float64Array;
}

const PI_M4 = Math.PI ** -0.25;

/** The n-point Gauss–Hermite rule for ∫ e^{−t²} f(t) dt (n ≥ 1, at most 200). */
export function gaussHermite(n: number): HermiteRule {
  checkInteger('gaussHermite', 'n', n, 1, 200);
  const nodes = new Float64Array(n);
  const logWeights = new Float64Array(n);
  const half = Math.floor((n + 1) / 2);
  let z = 0;
  for (let i = 0; i < half; i++) {
    // Initial guesses for the largest roots first (Numerical Recipes), then Newton on p_n.
    if (i === 0) z = Math.sqrt(2 * n + 1) - 1.85575 * (2 * n + 1) ** -0.16667;
    else if (i === 1) z -= (1.14 * n ** 0.426) / z;
    else if (i === 2) z = 1.86 * z - 0.86 * nodes[n - 1];
    else if (i === 3) z = 1.91 * z - 0.91 * nodes[n - 2];
    else z = 2 * z - nodes[n - i + 1];
    let derivative = 0;
    for (let iteration = 0; iteration < 100; iteration++) {
      let p1 = PI_M4;
      let p2 = 0;
      for (let j = 1; j <= n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = z * Math.sqrt(2 / j) * p2 - Math.sqrt((j - 1) / j) * p3;
      }
      derivative = Math.sqrt(2 * n) * p2;
      const step = p1 / derivative;
      z -= step;
      if (Math.abs(step) <= 1e-15 * Math.max(1, Math.abs(z))) break;
    }
    nodes[n - 1 - i] = z;
    nodes[i] = -z;
    logWeights[n - 1 - i] = Math.log(2) - 2 * Math.log(Math.abs(derivative));
    logWeights[i] = logWeights[n - 1 - i];
  }
  if (n % 2 === 1) nodes[half - 1] = 0; // the middle root is 0 exactly
  return { nodes, logWeights };
}

/** A rule for expectations under N(μ, diag σ²): node k is row k of `points` (L numbers), Σ_k exp(logWeights[k]) = 1. */
export interface GaussianRule {
  latentSize: number;
  /** Row-major [count · L]. */
  points: Float64Array;
  logWeights: Float64Array;
  count: number;
}

/**
 * The tensor-product Gauss–Hermite rule with `n` nodes per axis for E_q[f], q = N(mean, diag
 * exp(logVariance)): nodes z = μ + √2 σ ⊙ t, log-weights Σ_j log w_{k_j} − (L/2) log π.
 */
export function gaussianRule(q: DiagonalGaussianParameters, n: number): GaussianRule {
  const l = q.mean.length;
  const rule = gaussHermite(n);
  const count = n ** l;
  const points = new Float64Array(count * l);
  const logWeights = new Float64Array(count);
  const scale = Array.from(q.logVariance, (lv) => Math.SQRT2 * Math.exp(0.5 * lv));
  const logNorm = -0.5 * l * Math.log(Math.PI);
  for (let k = 0; k < count; k++) {
    let rest = k;
    let lw = logNorm;
    for (let j = l - 1; j >= 0; j--) {
      const index = rest % n;
      rest = Math.floor(rest / n);
      points[k * l + j] = q.mean[j] + scale[j] * rule.nodes[index];
      lw += rule.logWeights[index];
    }
    logWeights[k] = lw;
  }
  return { latentSize: l, points, logWeights, count };
}
