/**
 * Two tiny WebAssembly SIMD functions that run directly on the tfjs wasm backend's memory
 * (the module imports that very WebAssembly.Memory, so nothing is copied): the Adam update
 * and softplus.
 *
 * Why hand-assembled: plain JavaScript over the heap runs these loops at about 10 ns per
 * element (scalar divide, square root, exp, log), slower than the stock kernels they
 * replace; f32x4 arithmetic does four elements per instruction, and no wasm toolchain is
 * needed at install time. Both take byte offsets into the heap and n, a multiple of 4.
 *
 * adam computes, four floats at a time:
 *   m' = β₁m + c₁g,   v' = β₂v + c₂g²,   θ' = θ − α·m' / (√v'·s + ε)
 * with c₁ = 1−β₁, c₂ = 1−β₂, α = lr/(1−β₁ᵗ), s = 1/√(1−β₂ᵗ), which is tfjs's
 * θ − lr·(m'/(1−β₁ᵗ)) / (√(v'/(1−β₂ᵗ)) + ε) rearranged.
 *
 * softplus computes log(1 + eˣ) = max(x, 0) + log1p(e^−|x|), branch-free: e^−|x| = 2^k·e^r
 * (k = round(−|x| log₂e), |r| ≤ ½ln2, Taylor series to degree 7) and log1p(t) = 2·atanh(s),
 * s = t/(2+t) ≤ 1/3, by its odd series; about 2 ulp from exact, NaN and ±∞ handled.
 */

import { moduleOnMemory } from './shared';
import {
  BLOCK, br, brIf, END, f32, F32, F32X4, functionBody, get, i32, I32, I32_ADD, I32_GE_U, I32_SHL, I32X4, load, LOOP, moduleBytes,
  set, store, V128, V128_BITSELECT,
} from './wasmAssembler';

/** (w, m, v, g, wOut, mOut, vOut, n, β₁, c₁, β₂, c₂, α, s, ε) => void */
export type SimdAdam = (
  w: number, m: number, v: number, g: number, wOut: number, mOut: number, vOut: number, n: number,
  beta1: number, c1: number, beta2: number, c2: number, alpha: number, s: number, eps: number,
) => void;

const LOAD = load();
const STORE = store();
const SPLAT = F32X4.splat;
const { sqrt: SQRT, add: ADD, sub: SUB, mul: MUL, div: DIV } = F32X4;

// Parameter and local indices.
const [W, M, V, G, WO, MO, VO, N] = [0, 1, 2, 3, 4, 5, 6, 7];
const SCALARS = [8, 9, 10, 11, 12, 13, 14]; // β₁ c₁ β₂ c₂ α s ε
const I = 15;
const NB = 16;
const [B1v, C1v, B2v, C2v, Av, Sv, Ev, GV, MV, VV] = [17, 18, 19, 20, 21, 22, 23, 24, 25, 26];

function at(base: number): number[] {
  return [...get(base), ...get(I), ...I32_ADD];
}

function adamBody(): number[] {
  const code: number[] = [];
  SCALARS.forEach((p, k) => code.push(...get(p), ...SPLAT, ...set(B1v + k)));
  code.push(...get(N), ...i32(2), ...I32_SHL, ...set(NB)); // nb = n << 2 (bytes)
  code.push(...BLOCK, ...LOOP);
  code.push(...get(I), ...get(NB), ...I32_GE_U, ...brIf(1)); // if i >= nb: break
  code.push(...at(G), ...LOAD, ...set(GV));
  code.push(...at(M), ...LOAD, ...get(B1v), ...MUL, ...get(GV), ...get(C1v), ...MUL, ...ADD, ...set(MV));
  code.push(...at(V), ...LOAD, ...get(B2v), ...MUL, ...get(GV), ...get(GV), ...MUL, ...get(C2v), ...MUL, ...ADD, ...set(VV));
  code.push(...at(MO), ...get(MV), ...STORE);
  code.push(...at(VO), ...get(VV), ...STORE);
  code.push(...at(WO), ...at(W), ...LOAD,
    ...get(Av), ...get(MV), ...MUL,
    ...get(VV), ...SQRT, ...get(Sv), ...MUL, ...get(Ev), ...ADD,
    ...DIV, ...SUB, ...STORE);
  code.push(...get(I), ...i32(16), ...I32_ADD, ...set(I)); // i += 16
  code.push(...br(0), ...END, ...END); // br loop; end loop; end block
  return functionBody([[2, I32], [10, V128]], code);
}

const splat = (x: number): number[] => [...f32(x), ...SPLAT];
const { abs: ABS, neg: NEG, gt: GT, nearest: NEAREST } = F32X4;
// pmin/pmax are one instruction on x64 (min/max handle NaN and ±0 in several); both keep a NaN
// in their first operand, which is all softplus needs.
const { pmin: PMIN, pmax: PMAX } = F32X4;

/** Horner's rule for Σ cᵢ·uⁱ (coefficients from the highest power) with u in local `u`. */
function horner(u: number, coefficients: number[]): number[] {
  const code = [...splat(coefficients[0])];
  for (const c of coefficients.slice(1)) code.push(...get(u), ...MUL, ...splat(c), ...ADD);
  return code;
}

function softplusBody(): number[] {
  // params: x 0, out 1, n 2; locals: i 3, nb 4; v128: X 5, AX 6, KF 7, R 8, T 9, S 10, S2 11
  const [X_, OUT, N_, I_, NB_, X, AX, KF, R, T, S, S2] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const at2 = (base: number): number[] => [...get(base), ...get(I_), ...I32_ADD];
  const code: number[] = [];
  code.push(...get(N_), ...i32(2), ...I32_SHL, ...set(NB_)); // nb = n << 2 (bytes)
  code.push(...BLOCK, ...LOOP);
  code.push(...get(I_), ...get(NB_), ...I32_GE_U, ...brIf(1)); // if i >= nb: break
  code.push(...at2(X_), ...LOAD, ...set(X));
  code.push(...get(X), ...ABS, ...set(AX));
  code.push(...get(AX), ...splat(87), ...PMIN, ...set(R)); // R = min(|x|, 87) for now
  code.push(...get(R), ...splat(-1.4426950408889634), ...MUL, ...NEAREST, ...set(KF)); // k
  code.push(...get(R), ...NEG, ...get(KF), ...splat(0.693145751953125), ...MUL, ...SUB,
    ...get(KF), ...splat(1.428606765330187e-6), ...MUL, ...SUB, ...set(R)); // r = −|x| − k·ln2
  code.push(...horner(R, [1 / 5040, 1 / 720, 1 / 120, 1 / 24, 1 / 6, 0.5, 1, 1])); // e^r
  // 2^k for integral k in [−126, 0]: k + 2²³ + 127 is exact and holds k + 127 in its low mantissa
  // bits; shifted left by 23 they become the exponent field (the rest shifts out).
  code.push(...get(KF), ...splat(8388735), ...ADD, ...i32(23), ...I32X4.shl);
  code.push(...MUL, ...set(T));
  code.push(...splat(0), ...get(T), ...get(AX), ...splat(87), ...GT, ...V128_BITSELECT, ...set(T)); // |x| > 87: t = 0
  code.push(...get(T), ...splat(2), ...get(T), ...ADD, ...DIV, ...set(S));
  code.push(...get(S), ...get(S), ...MUL, ...set(S2));
  code.push(...get(OUT), ...get(I_), ...I32_ADD);
  code.push(...get(X), ...splat(0), ...PMAX);
  code.push(...get(S), ...horner(S2, [1 / 17, 1 / 15, 1 / 13, 1 / 11, 1 / 9, 1 / 7, 1 / 5, 1 / 3, 1]), ...MUL,
    ...splat(2), ...MUL, ...ADD, ...STORE);
  code.push(...get(I_), ...i32(16), ...I32_ADD, ...set(I_)); // i += 16
  code.push(...br(0), ...END, ...END);
  return functionBody([[2, I32], [7, V128]], code);
}

/** The module's bytes: imports env.memory, exports adam and softplus. */
export function simdModuleBytes(): Uint8Array {
  const adamParams = [I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32];
  return moduleBytes([
    { name: 'adam', params: adamParams, body: adamBody() },
    { name: 'softplus', params: [I32, I32, I32], body: softplusBody() },
  ]);
}

/** (x, out, n) => void: out = softplus(x) for n floats (n a multiple of 4), byte offsets. */
export type SimdSoftplus = (x: number, out: number, n: number) => void;

export interface SimdFunctions {
  adam: SimdAdam;
  softplus: SimdSoftplus;
}

/** The SIMD functions bound to `memory` (compiled once per memory), or null; see moduleOnMemory. */
export const simdFor = moduleOnMemory<SimdFunctions>(simdModuleBytes);
