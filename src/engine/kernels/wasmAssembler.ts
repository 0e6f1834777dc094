/**
 * The few pieces of the WebAssembly binary format that ELBO Lab's hand-assembled kernels
 * (./wasmElementwise, ./wasmGemm) need: LEB128 numbers, sections, names, and the opcodes used, as
 * byte arrays to concatenate. Hand-assembled because no wasm toolchain may be required at
 * install time, and a few hundred bytes of generated code are easier to review than a blob.
 */

/** Unsigned LEB128. */
export function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (i32.const immediates). */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

export function section(id: number, body: number[]): number[] {
  return [id, ...leb(body.length), ...body];
}

export function name(s: string): number[] {
  return [...leb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

export const get = (i: number): number[] => [0x20, ...leb(i)];
export const set = (i: number): number[] => [0x21, ...leb(i)];
export const i32 = (n: number): number[] => [0x41, ...sleb(n)];
/** f32.const: the float32 nearest x, little-endian. */
export const f32 = (x: number): number[] => [0x43, ...new Uint8Array(Float32Array.of(x).buffer)];
export const simd = (op: number): number[] => [0xfd, ...leb(op)];
export const I32_ADD = [0x6a];
export const I32_SUB = [0x6b];
export const I32_MUL = [0x6c];
export const I32_SHL = [0x74];
export const I32_GE_U = [0x4f];
export const I32_LT_U = [0x49];
export const I32_EQZ = [0x45];

/** Structured control: block/loop/if with no result, br, br_if, end. */
export const BLOCK = [0x02, 0x40];
export const LOOP = [0x03, 0x40];
export const IF = [0x04, 0x40];
export const END = [0x0b];
export const br = (depth: number): number[] => [0x0c, ...leb(depth)];
export const brIf = (depth: number): number[] => [0x0d, ...leb(depth)];

/** v128.load / v128.store with align 2⁴ hint 4 and a constant byte offset. */
export const load = (offset = 0): number[] => [...simd(0x00), 0x02, ...leb(offset)];
export const store = (offset = 0): number[] => [...simd(0x0b), 0x02, ...leb(offset)];
/** v128.load32_splat: one float from memory into all four lanes. */
export const loadSplat = (offset = 0): number[] => [...simd(0x09), 0x02, ...leb(offset)];
export const V128_ZERO = [...simd(0x0c), ...new Array<number>(16).fill(0)];
/** v128.bitselect: (a, b, mask) -> bits of a where mask is 1, of b where it is 0. */
export const V128_BITSELECT = simd(0x52);

export const F32X4 = {
  splat: simd(0x13),
  abs: simd(0xe0),
  neg: simd(0xe1),
  sqrt: simd(0xe3),
  add: simd(0xe4),
  sub: simd(0xe5),
  mul: simd(0xe6),
  div: simd(0xe7),
  min: simd(0xe8),
  max: simd(0xe9),
  gt: simd(0x44),
  nearest: simd(0x6a),
  /** Pseudo-minimum b < a ? b : a and pseudo-maximum a < b ? b : a (one instruction each on x64). */
  pmin: simd(0xea),
  pmax: simd(0xeb),
};

export const I32X4 = {
  shl: simd(0xab),
};

/** A function body: local declarations as [count, type] groups, then the code (ends with END). */
export function functionBody(locals: [number, number][], code: number[]): number[] {
  const body = [...leb(locals.length), ...locals.flatMap(([count, type]) => [...leb(count), type]), ...code, ...END];
  return [...leb(body.length), ...body];
}

export interface AssembledFunction {
  name: string;
  params: number[];
  body: number[];
}

/**
 * A module importing `env.memory` (the tfjs wasm backend's own memory, so kernels read and
 * write tensors in place) and exporting `functions`, each with its own (params) -> () type.
 */
export function moduleBytes(functions: AssembledFunction[]): Uint8Array {
  const types = functions.flatMap((f) => [0x60, ...leb(f.params.length), ...f.params, 0]);
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [...leb(functions.length), ...types]),
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 0x01]),
    ...section(3, [...leb(functions.length), ...functions.flatMap((_, i) => leb(i))]),
    ...section(7, [...leb(functions.length), ...functions.flatMap((f, i) => [...name(f.name), 0x00, ...leb(i)])]),
    ...section(10, [...leb(functions.length), ...functions.flatMap((f) => f.body)]),
  ];
  return Uint8Array.from(bytes);
}
