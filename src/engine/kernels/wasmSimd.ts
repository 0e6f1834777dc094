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

import { WasmMemory, webAssembly } from './shared';

/** (w, m, v, g, wOut, mOut, vOut, n, β₁, c₁, β₂, c₂, α, s, ε) => void */
export type SimdAdam = (
  w: number, m: number, v: number, g: number, wOut: number, mOut: number, vOut: number, n: number,
  beta1: number, c1: number, beta2: number, c2: number, alpha: number, s: number, eps: number,
) => void;

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function section(id: number, body: number[]): number[] {
  return [id, ...leb(body.length), ...body];
}

function name(s: string): number[] {
  return [...leb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;
// Opcodes (core and SIMD proposal).
const get = (i: number): number[] => [0x20, ...leb(i)];
const set = (i: number): number[] => [0x21, ...leb(i)];
const simd = (op: number): number[] => [0xfd, ...leb(op)];
const LOAD = [...simd(0x00), 0x02, 0x00]; // v128.load align=4 offset=0
const STORE = [...simd(0x0b), 0x02, 0x00]; // v128.store
const SPLAT = simd(0x13); // f32x4.splat
const SQRT = simd(0xe3);
const ADD = simd(0xe4);
const SUB = simd(0xe5);
const MUL = simd(0xe6);
const DIV = simd(0xe7);
const I32_ADD = [0x6a];

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
  code.push(...get(N), 0x41, 2, 0x74, ...set(NB)); // nb = n << 2 (bytes)
  code.push(0x02, 0x40, 0x03, 0x40); // block, loop
  code.push(...get(I), ...get(NB), 0x4f, 0x0d, 1); // if i >= nb: break
  code.push(...at(G), ...LOAD, ...set(GV));
  code.push(...at(M), ...LOAD, ...get(B1v), ...MUL, ...get(GV), ...get(C1v), ...MUL, ...ADD, ...set(MV));
  code.push(...at(V), ...LOAD, ...get(B2v), ...MUL, ...get(GV), ...get(GV), ...MUL, ...get(C2v), ...MUL, ...ADD, ...set(VV));
  code.push(...at(MO), ...get(MV), ...STORE);
  code.push(...at(VO), ...get(VV), ...STORE);
  code.push(...at(WO), ...at(W), ...LOAD,
    ...get(Av), ...get(MV), ...MUL,
    ...get(VV), ...SQRT, ...get(Sv), ...MUL, ...get(Ev), ...ADD,
    ...DIV, ...SUB, ...STORE);
  code.push(...get(I), 0x41, 16, ...I32_ADD, ...set(I)); // i += 16
  code.push(0x0c, 0, 0x0b, 0x0b); // br loop; end loop; end block
  code.push(0x0b); // end function
  const locals = [2, 2, I32, 10, V128]; // 2 groups: 2 × i32, 10 × v128
  const body = [...locals, ...code];
  return [...leb(body.length), ...body];
}

const f32 = (x: number): number[] => [0x43, ...new Uint8Array(Float32Array.of(x).buffer)];
const splat = (x: number): number[] => [...f32(x), ...SPLAT];
const ABS = simd(0xe0);
const NEG = simd(0xe1);
const MIN = simd(0xe8);
const MAX = simd(0xe9);
const GT = simd(0x44);
const NEAREST = simd(0x6a);
const BITSELECT = simd(0x52);
const TRUNC_SAT = simd(0xf8); // i32x4.trunc_sat_f32x4_s
const I32X4_SPLAT = simd(0x11);
const I32X4_ADD = simd(0xae);
const I32X4_SHL = simd(0xab);

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
  code.push(...get(N_), 0x41, 2, 0x74, ...set(NB_));
  code.push(0x02, 0x40, 0x03, 0x40);
  code.push(...get(I_), ...get(NB_), 0x4f, 0x0d, 1);
  code.push(...at2(X_), ...LOAD, ...set(X));
  code.push(...get(X), ...ABS, ...set(AX));
  code.push(...get(AX), ...splat(87), ...MIN, ...set(R)); // R = min(|x|, 87) for now
  code.push(...get(R), ...splat(-1.4426950408889634), ...MUL, ...NEAREST, ...set(KF)); // k
  code.push(...get(R), ...NEG, ...get(KF), ...splat(0.693145751953125), ...MUL, ...SUB,
    ...get(KF), ...splat(1.428606765330187e-6), ...MUL, ...SUB, ...set(R)); // r = −|x| − k·ln2
  code.push(...horner(R, [1 / 5040, 1 / 720, 1 / 120, 1 / 24, 1 / 6, 0.5, 1, 1])); // e^r
  // i32.const 127 is 0xff 0x00 in signed LEB128.
  code.push(...get(KF), ...TRUNC_SAT, 0x41, 0xff, 0x00, ...I32X4_SPLAT, ...I32X4_ADD, 0x41, 23, ...I32X4_SHL); // 2^k
  code.push(...MUL, ...set(T));
  code.push(...splat(0), ...get(T), ...get(AX), ...splat(87), ...GT, ...BITSELECT, ...set(T)); // |x| > 87: t = 0
  code.push(...get(T), ...splat(2), ...get(T), ...ADD, ...DIV, ...set(S));
  code.push(...get(S), ...get(S), ...MUL, ...set(S2));
  code.push(...get(OUT), ...get(I_), ...I32_ADD);
  code.push(...get(X), ...splat(0), ...MAX);
  code.push(...get(S), ...horner(S2, [1 / 17, 1 / 15, 1 / 13, 1 / 11, 1 / 9, 1 / 7, 1 / 5, 1 / 3, 1]), ...MUL,
    ...splat(2), ...MUL, ...ADD, ...STORE);
  code.push(...get(I_), 0x41, 16, ...I32_ADD, ...set(I_));
  code.push(0x0c, 0, 0x0b, 0x0b, 0x0b);
  const locals = [2, 2, I32, 7, V128];
  const body = [...locals, ...code];
  return [...leb(body.length), ...body];
}

/** The module's bytes: imports env.memory, exports adam and softplus. */
export function simdModuleBytes(): Uint8Array {
  const adamParams = [I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32];
  const softplusParams = [I32, I32, I32];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [2, 0x60, ...leb(adamParams.length), ...adamParams, 0, 0x60, ...leb(softplusParams.length), ...softplusParams, 0]),
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 0x01]),
    ...section(3, [2, 0, 1]),
    ...section(7, [2, ...name('adam'), 0x00, 0, ...name('softplus'), 0x00, 1]),
    ...section(10, [2, ...adamBody(), ...softplusBody()]),
  ];
  return Uint8Array.from(bytes);
}

/** (x, out, n) => void: out = softplus(x) for n floats (n a multiple of 4), byte offsets. */
export type SimdSoftplus = (x: number, out: number, n: number) => void;

export interface SimdFunctions {
  adam: SimdAdam;
  softplus: SimdSoftplus;
}

const cache = new WeakMap<WasmMemory, SimdFunctions | null>();

/**
 * The SIMD functions bound to `memory`, or null where WebAssembly SIMD is unavailable (then
 * callers use scalar loops or the stock kernels). Compiled once per memory.
 */
export function simdFor(memory: WasmMemory): SimdFunctions | null {
  if (cache.has(memory)) return cache.get(memory) ?? null;
  let fns: SimdFunctions | null = null;
  try {
    const bytes = simdModuleBytes();
    const wasm = webAssembly();
    if (wasm.validate(bytes)) {
      const instance = new wasm.Instance(new wasm.Module(bytes), { env: { memory } });
      fns = {
        adam: instance.exports.adam as unknown as SimdAdam,
        softplus: instance.exports.softplus as unknown as SimdSoftplus,
      };
    }
  } catch {
    fns = null;
  }
  cache.set(memory, fns);
  return fns;
}
