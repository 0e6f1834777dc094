/**
 * A single-precision GEMM in hand-assembled WebAssembly SIMD, run directly on the tfjs wasm
 * backend's memory: C = op(A)·B (+ bias) (then ReLU), for the pure-wasm engine.
 *
 * Why not XNNPACK (which the stock wasm backend uses for plain products): XNNPACK packs its
 * right operand into a new layout every time an operator is created, and in training the
 * weights change at every step, so each product re-packs a whole weight matrix (about a
 * millisecond for 784×400) before it multiplies; transposed operands (every gradient) need an
 * explicit transpose on top. This kernel reads both operands where they lie: B row-major (its
 * rows are contiguous, so eight output columns are two vector loads), A through a row stride
 * and a column stride (so Aᵀ costs nothing). Only a transposed B needs an explicit transpose.
 *
 * Register tile: 4 rows × 8 columns of C in eight f32x4 accumulators; for each k, two vector
 * loads of B's row k, four one-float broadcasts of A, eight multiplies and eight adds
 * (WebAssembly's baseline SIMD has no fused multiply-add). Loop order: column panels outer,
 * row blocks inner, so the K×8 panel of B stays in the L1 cache while all rows of A pass it.
 * Edge tiles use 4×4, 1×8 and 1×4 variants of the same generator; the last N mod 4 columns
 * are summed in JavaScript.
 */
import { moduleOnMemory } from './wasmBackend';
import {
  AssembledFunction, BLOCK, br, brIf, END, F32X4, functionBody, get, i32, I32, I32_ADD, I32_EQZ, I32_GE_U, I32_MUL,
  I32_SUB, IF, load, loadSplat, LOOP, moduleBytes, set, store, V128, V128_ZERO,
} from './wasmAssembler';

// Parameters of every tile function (all i32; offsets and strides in bytes).
const [A, RS_A, CS_A, B, LD_B, C, LD_C, BIAS, RELU, M_BLOCKS, N_BLOCKS, K_] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
// i32 locals.
const [JB, IB, KK, PA, PB, PC, RS2, RS3, COL] = [12, 13, 14, 15, 16, 17, 18, 19, 20];
const FIRST_V128 = 21;

/**
 * (a, rsA, csA, b, ldB, c, ldC, bias, relu, mBlocks, nBlocks, K) => void:
 * for mBlocks·rows × nBlocks·4·vectors outputs, C[i,j] = Σ_k A[i,k]·B[k,j] (+ bias[j]) (ReLU if
 * relu ≠ 0), with A[i,k] at a + i·rsA + k·csA, B[k,j] at b + k·ldB + 4j, C[i,j] at c + i·ldC + 4j,
 * and bias[j] at bias + 4j (bias = 0: none).
 */
function tileFunction(rows: number, vectors: number): number[] {
  const acc = (r: number, v: number): number => FIRST_V128 + r * vectors + v;
  const bv = (v: number): number => FIRST_V128 + rows * vectors + v;
  const s = FIRST_V128 + rows * vectors + vectors;
  const zero = s + 1;
  const code: number[] = [];
  const forTile = (f: (r: number, v: number) => number[]): void => {
    for (let r = 0; r < rows; r++) for (let v = 0; v < vectors; v++) code.push(...f(r, v));
  };
  code.push(...get(RS_A), ...get(RS_A), ...I32_ADD, ...set(RS2));
  code.push(...get(RS2), ...get(RS_A), ...I32_ADD, ...set(RS3));
  code.push(...V128_ZERO, ...set(zero));
  code.push(...i32(0), ...set(JB));
  code.push(...BLOCK, ...LOOP); // column panels
  code.push(...get(JB), ...get(N_BLOCKS), ...I32_GE_U, ...brIf(1));
  code.push(...get(JB), ...i32(16 * vectors), ...I32_MUL, ...set(COL));
  code.push(...i32(0), ...set(IB));
  code.push(...BLOCK, ...LOOP); // row blocks
  code.push(...get(IB), ...get(M_BLOCKS), ...I32_GE_U, ...brIf(1));
  forTile((r, v) => [...V128_ZERO, ...set(acc(r, v))]);
  code.push(...get(A), ...get(IB), ...i32(rows), ...I32_MUL, ...get(RS_A), ...I32_MUL, ...I32_ADD, ...set(PA));
  code.push(...get(B), ...get(COL), ...I32_ADD, ...set(PB));
  code.push(...get(K_), ...set(KK));
  const rowAddress = [get(PA), [...get(PA), ...get(RS_A), ...I32_ADD], [...get(PA), ...get(RS2), ...I32_ADD], [...get(PA), ...get(RS3), ...I32_ADD]];
  const step = (): number[] => {
    const out: number[] = [];
    for (let v = 0; v < vectors; v++) out.push(...get(PB), ...load(16 * v), ...set(bv(v)));
    for (let r = 0; r < rows; r++) {
      out.push(...rowAddress[r], ...loadSplat(0), ...set(s));
      for (let v = 0; v < vectors; v++) {
        out.push(...get(acc(r, v)), ...get(s), ...get(bv(v)), ...F32X4.mul, ...F32X4.add, ...set(acc(r, v)));
      }
    }
    out.push(...get(PA), ...get(CS_A), ...I32_ADD, ...set(PA));
    out.push(...get(PB), ...get(LD_B), ...I32_ADD, ...set(PB));
    return out;
  };
  code.push(...BLOCK, ...LOOP); // k
  code.push(...get(KK), ...I32_EQZ, ...brIf(1));
  code.push(...step());
  code.push(...get(KK), ...i32(1), ...I32_SUB, ...set(KK));
  code.push(...br(0), ...END, ...END);
  // Epilogue: bias, ReLU, store.
  code.push(...get(BIAS), ...IF);
  for (let v = 0; v < vectors; v++) code.push(...get(BIAS), ...get(COL), ...I32_ADD, ...load(16 * v), ...set(bv(v)));
  forTile((r, v) => [...get(acc(r, v)), ...get(bv(v)), ...F32X4.add, ...set(acc(r, v))]);
  code.push(...END);
  code.push(...get(RELU), ...IF);
  forTile((r, v) => [...get(acc(r, v)), ...get(zero), ...F32X4.max, ...set(acc(r, v))]);
  code.push(...END);
  code.push(...get(C), ...get(IB), ...i32(rows), ...I32_MUL, ...get(LD_C), ...I32_MUL, ...I32_ADD, ...get(COL), ...I32_ADD, ...set(PC));
  for (let r = 0; r < rows; r++) {
    for (let v = 0; v < vectors; v++) code.push(...get(PC), ...get(acc(r, v)), ...store(16 * v));
    if (r + 1 < rows) code.push(...get(PC), ...get(LD_C), ...I32_ADD, ...set(PC));
  }
  code.push(...get(IB), ...i32(1), ...I32_ADD, ...set(IB));
  code.push(...br(0), ...END, ...END);
  code.push(...get(JB), ...i32(1), ...I32_ADD, ...set(JB));
  code.push(...br(0), ...END, ...END);
  return functionBody([[9, I32], [rows * vectors + vectors + 2, V128]], code);
}

const TILES = [[4, 2], [4, 1], [1, 2], [1, 1]] as const;
const tileName = (rows: number, vectors: number): string => `gemm${rows}x${4 * vectors}`;

/** The GEMM module's bytes: imports env.memory, exports gemm4x8, gemm4x4, gemm1x8, gemm1x4. */
export function gemmModuleBytes(): Uint8Array {
  const functions: AssembledFunction[] = TILES.map(([rows, vectors]) => ({
    name: tileName(rows, vectors),
    params: new Array<number>(12).fill(I32),
    body: tileFunction(rows, vectors),
  }));
  return moduleBytes(functions);
}

type TileFunction = (
  a: number, rsA: number, csA: number, b: number, ldB: number, c: number, ldC: number,
  bias: number, relu: number, mBlocks: number, nBlocks: number, K: number,
) => void;

interface GemmFunctions {
  gemm4x8: TileFunction;
  gemm4x4: TileFunction;
  gemm1x8: TileFunction;
  gemm1x4: TileFunction;
}

/** The tile functions bound to `memory` (compiled once per memory), or null; see moduleOnMemory. */
export const gemmFor = moduleOnMemory<GemmFunctions>(gemmModuleBytes);

/** One product C[M×N] = A·B on the heap; offsets in bytes, strides in floats. */
export interface GemmCall {
  M: number;
  N: number;
  K: number;
  /** A[i,k] at a + 4·(i·rowStrideA + k·colStrideA). */
  a: number;
  rowStrideA: number;
  colStrideA: number;
  /** B row-major [K×N] at b. */
  b: number;
  /** C row-major [M×N] at c. */
  c: number;
  /** bias[N] at this offset, or 0 for none. */
  bias: number;
  relu: boolean;
}

/** C = A·B (+bias) (ReLU) with the SIMD tiles, the last N mod 4 columns in JavaScript. */
export function gemm(fns: GemmFunctions, heap: () => Float32Array, call: GemmCall): void {
  const { M, N, K, a, rowStrideA, colStrideA, b, c, bias } = call;
  const relu = call.relu ? 1 : 0;
  const rsA = 4 * rowStrideA;
  const csA = 4 * colStrideA;
  const ldB = 4 * N;
  const ldC = 4 * N;
  const mBlocks = M >> 2;
  const nBlocks = N >> 3;
  const col4 = 8 * nBlocks;
  const hasQuad = N - col4 >= 4;
  const rest = 4 * mBlocks;
  const at = (col: number): number => 4 * col;
  const biasAt = (col: number): number => (bias === 0 ? 0 : bias + at(col));
  if (mBlocks > 0 && nBlocks > 0) fns.gemm4x8(a, rsA, csA, b, ldB, c, ldC, bias, relu, mBlocks, nBlocks, K);
  if (mBlocks > 0 && hasQuad) fns.gemm4x4(a, rsA, csA, b + at(col4), ldB, c + at(col4), ldC, biasAt(col4), relu, mBlocks, 1, K);
  if (rest < M) {
    const aRest = a + rest * rsA;
    const cRest = c + rest * ldC;
    if (nBlocks > 0) fns.gemm1x8(aRest, rsA, csA, b, ldB, cRest, ldC, bias, relu, M - rest, nBlocks, K);
    if (hasQuad) fns.gemm1x4(aRest, rsA, csA, b + at(col4), ldB, cRest + at(col4), ldC, biasAt(col4), relu, M - rest, 1, K);
  }
  const first = col4 + (hasQuad ? 4 : 0);
  if (first < N) scalarColumns(heap(), call, first);
}

function scalarColumns(h: Float32Array, call: GemmCall, first: number): void {
  const { M, N, K, rowStrideA, colStrideA } = call;
  const a = call.a >> 2;
  const b = call.b >> 2;
  const c = call.c >> 2;
  const bias = call.bias >> 2;
  for (let i = 0; i < M; i++) {
    for (let j = first; j < N; j++) {
      let sum = 0;
      for (let k = 0; k < K; k++) sum += h[a + i * rowStrideA + k * colStrideA] * h[b + k * N + j];
      if (call.bias !== 0) sum += h[bias + j];
      h[c + i * N + j] = call.relu && !(sum > 0) && !Number.isNaN(sum) ? 0 : sum;
    }
  }
}

/** The heap's float view now (emscripten replaces it when the memory grows). */
export function heapOf(backend: { wasm: { HEAPF32: Float32Array } }): () => Float32Array {
  return () => backend.wasm.HEAPF32;
}
