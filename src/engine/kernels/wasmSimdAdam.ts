/**
 * The Adam update as a tiny WebAssembly SIMD function that runs directly on the tfjs wasm
 * backend's memory (it imports that very WebAssembly.Memory, so nothing is copied).
 *
 * Why hand-assembled: plain JavaScript over the heap runs this loop at about 10 ns per
 * parameter (scalar divide and square root), slower than the stock kernels it would
 * replace; f32x4 arithmetic does four parameters per instruction, and no wasm toolchain is
 * needed at install time. The function computes, four floats at a time, for byte offsets
 * into the heap and n a multiple of 4:
 *   m' = β₁m + c₁g,   v' = β₂v + c₂g²,   θ' = θ − α·m' / (√v'·s + ε)
 * with c₁ = 1−β₁, c₂ = 1−β₂, α = lr/(1−β₁ᵗ), s = 1/√(1−β₂ᵗ), which is tfjs's
 * θ − lr·(m'/(1−β₁ᵗ)) / (√(v'/(1−β₂ᵗ)) + ε) rearranged.
 */

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

/** The module's bytes: imports env.memory, exports adam. */
export function simdAdamModuleBytes(): Uint8Array {
  const params = [I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, ...leb(params.length), ...params, 0]),
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 0x01]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...name('adam'), 0x00, 0]),
    ...section(10, [1, ...adamBody()]),
  ];
  return Uint8Array.from(bytes);
}

const cache = new WeakMap<WebAssembly.Memory, SimdAdam | null>();

/**
 * The SIMD Adam function bound to `memory`, or null where WebAssembly SIMD is unavailable
 * (then the caller uses its scalar loop). Compiled once per memory.
 */
export function simdAdamFor(memory: WebAssembly.Memory): SimdAdam | null {
  if (cache.has(memory)) return cache.get(memory) ?? null;
  let fn: SimdAdam | null = null;
  try {
    const bytes = simdAdamModuleBytes() as unknown as BufferSource;
    if (WebAssembly.validate(bytes)) {
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
      fn = instance.exports.adam as unknown as SimdAdam;
    }
  } catch {
    fn = null;
  }
  cache.set(memory, fn);
  return fn;
}
