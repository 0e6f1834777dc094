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

import { moduleOnMemory } from './wasmBackend';
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

/**
 * for (i = 0; i < n·4; i += 16) body: the loop over n floats, four at a time, that both functions
 * run; i (local `i`, zero on entry) is the byte offset of the current four, `nb` a scratch local.
 */
function fourFloatsAtATime(n: number, i: number, nb: number, body: number[]): number[] {
  return [
    ...get(n), ...i32(2), ...I32_SHL, ...set(nb), // nb = n << 2 (bytes)
    ...BLOCK, ...LOOP,
    ...get(i), ...get(nb), ...I32_GE_U, ...brIf(1), // if i >= nb: break
    ...body,
    ...get(i), ...i32(16), ...I32_ADD, ...set(i), // i += 16
    ...br(0), ...END, ...END, // br loop; end loop; end block
  ];
}

function adamBody(): number[] {
  const code: number[] = [];
  SCALARS.forEach((p, k) => code.push(...get(p), ...SPLAT, ...set(B1v + k)));
  const body: number[] = [];
  body.push(...at(G), ...LOAD, ...set(GV));
  body.push(...at(M), ...LOAD, ...get(B1v), ...MUL, ...get(GV), ...get(C1v), ...MUL, ...ADD, ...set(MV));
  body.push(...at(V), ...LOAD, ...get(B2v), ...MUL, ...get(GV), ...get(GV), ...MUL, ...get(C2v), ...MUL, ...ADD, ...set(VV));
  body.push(...at(MO), ...get(MV), ...STORE);
  body.push(...at(VO), ...get(VV), ...STORE);
  body.push(...at(WO), ...at(W), ...LOAD,
    ...get(Av), ...get(MV), ...MUL,
    ...get(VV), ...SQRT, ...get(Sv), ...MUL, ...get(Ev), ...ADD,
    ...DIV, ...SUB, ...STORE);
  code.push(...fourFloatsAtATime(N, I, NB, body));
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
  const body: number[] = [];
  body.push(...at2(X_), ...LOAD, ...set(X));
  body.push(...get(X), ...ABS, ...set(AX));
  body.push(...get(AX), ...splat(87), ...PMIN, ...set(R)); // R = min(|x|, 87) for now
  body.push(...get(R), ...splat(-1.4426950408889634), ...MUL, ...NEAREST, ...set(KF)); // k
  body.push(...get(R), ...NEG, ...get(KF), ...splat(0.693145751953125), ...MUL, ...SUB,
    ...get(KF), ...splat(1.428606765330187e-6), ...MUL, ...SUB, ...set(R)); // r = −|x| − k·ln2
  body.push(...horner(R, [1 / 5040, 1 / 720, 1 / 120, 1 / 24, 1 / 6, 0.5, 1, 1])); // e^r
  // 2^k for integral k in [−126, 0]: k + 2²³ + 127 is exact and holds k + 127 in its low mantissa
  // bits; shifted left by 23 they become the exponent field (the rest shifts out).
  body.push(...get(KF), ...splat(8388735), ...ADD, ...i32(23), ...I32X4.shl);
  body.push(...MUL, ...set(T));
  body.push(...splat(0), ...get(T), ...get(AX), ...splat(87), ...GT, ...V128_BITSELECT, ...set(T)); // |x| > 87: t = 0
  body.push(...get(T), ...splat(2), ...get(T), ...ADD, ...DIV, ...set(S));
  body.push(...get(S), ...get(S), ...MUL, ...set(S2));
  body.push(...get(OUT), ...get(I_), ...I32_ADD);
  body.push(...get(X), ...splat(0), ...PMAX);
  body.push(...get(S), ...horner(S2, [1 / 17, 1 / 15, 1 / 13, 1 / 11, 1 / 9, 1 / 7, 1 / 5, 1 / 3, 1]), ...MUL,
    ...splat(2), ...MUL, ...ADD, ...STORE);
  return functionBody([[2, I32], [7, V128]], fourFloatsAtATime(N_, I_, NB_, body));
}

/** The module's bytes: imports env.memory, exports adam and softplus. */
export function elementwiseModuleBytes(): Uint8Array {
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
export const elementwiseFor = moduleOnMemory<SimdFunctions>(elementwiseModuleBytes);
