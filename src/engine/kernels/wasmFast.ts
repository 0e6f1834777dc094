/**
 * The pure-wasm fast engine's kernels for the tfjs wasm backend: every single (unbatched)
 * float32 matrix product, plain or fused with a bias and ReLU, by the hand-assembled SIMD GEMM
 * of ./wasmGemm; Sum over leading axes (bias gradients) by the same GEMM (./leadingAxesSum);
 * softplus by ./wasmElementwise; Identity and same-dtype Cast without copies; the fused ops'
 * kernels (./vaeStepKernels). The native-BLAS set (./nativeBlas) reuses several of these.
 *
 * Why: the stock backend sends a product to XNNPACK only when neither operand is transposed;
 * every transposed product, which is every gradient of a dense layer (dX = dY·Wᵀ,
 * dW = Xᵀ·dY), falls to a blocked scalar loop roughly ten times slower; and XNNPACK re-packs
 * the weights at each call, which in training (new weights every step) costs about as much
 * as a small product. The GEMM reads Aᵀ through strides and needs an explicit transpose only
 * for a transposed right operand.
 *
 * Where WebAssembly SIMD is missing, transposed products are rewritten instead as explicit
 * transposes (the wasm Transpose kernel) around a non-transposed product that XNNPACK runs:
 *   Aᵀ·B = transpose(A)·B,   A·Bᵀ = A·transpose(B) or transpose(B·transpose(A)),   Aᵀ·Bᵀ = transpose(B·A),
 * choosing for A·Bᵀ whichever moves fewer floats. Batched products (batch > 1) keep the stock
 * kernel: it has no fast path for them anyway.
 */
import type * as tf from '@tensorflow/tfjs';
import { elementwiseFor } from './wasmElementwise';
import { gemm, gemmFor, gemmModuleBytes, heapOf } from './wasmGemm';
import { leadingAxesSum } from './leadingAxesSum';
import { vaeStepKernels } from './vaeStepKernels';
import { stockKernel } from './kernelSets';
import { floatIndex, KernelArgs, matMulCall, MatMulPlan, product, StockKernel, view, webAssembly } from './wasmBackend';

function transpose2d(backend: KernelArgs['backend'], x: tf.TensorInfo, rows: number, cols: number): tf.TensorInfo {
  const t = stockKernel('Transpose')({
    inputs: { x: view(x, [rows, cols]) },
    backend,
    attrs: { perm: [1, 0] },
  });
  return view(t, [cols, rows]);
}

function dispose(backend: KernelArgs['backend'], ...infos: tf.TensorInfo[]): void {
  for (const t of infos) backend.disposeData(t.dataId);
}

/** Plain (non-transposed) stock matmul of 2-D views: [M,K]·[K,N]. */
function plain(
  backend: KernelArgs['backend'],
  kernel: StockKernel,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  extraInputs: tf.NamedTensorInfoMap,
  extraAttrs: Record<string, unknown>,
): tf.TensorInfo {
  return kernel({
    inputs: { ...extraInputs, a, b },
    backend,
    attrs: { ...extraAttrs, transposeA: false, transposeB: false },
  });
}

/** Is this a single matrix product (all outer dimensions 1) that XNNPACK could take? */
function isSingle(plan: MatMulPlan | null): plan is MatMulPlan {
  return plan !== null && plan.batchA === 1 && plan.batchB === 1;
}

/**
 * C = op(A)·op(B) for one matrix pair, with A·B run by `kernel` (stock BatchMatMul here,
 * or any kernel with the same contract). Returns a tensor of shape [M, N].
 */
export function matMulViaPlainProducts(
  backend: KernelArgs['backend'],
  kernel: StockKernel,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  plan: MatMulPlan,
): tf.TensorInfo {
  const { M, N, K } = plan;
  if (!transposeA && !transposeB) {
    return plain(backend, kernel, view(a, [M, K]), view(b, [K, N]), {}, {});
  }
  if (transposeA && !transposeB) {
    const aT = transpose2d(backend, a, K, M);
    const out = plain(backend, kernel, aT, view(b, [K, N]), {}, {});
    dispose(backend, aT);
    return out;
  }
  if (transposeA && transposeB) {
    // Aᵀ·Bᵀ = (B·A)ᵀ: one product, one transpose of the (usually small) result.
    const ct = plain(backend, kernel, view(b, [N, K]), view(a, [K, M]), {}, {});
    const out = transpose2d(backend, ct, N, M);
    dispose(backend, ct);
    return out;
  }
  // A·Bᵀ: transpose B (moves 2·|B| floats with the repack), or compute (B·Aᵀ)ᵀ (moves
  // 2·|A| + |C|). With a small batch on the left, the second is cheaper for wide layers.
  if (2 * N * K <= 2 * M * K + M * N) {
    const bT = transpose2d(backend, b, N, K);
    const out = plain(backend, kernel, view(a, [M, K]), bT, {}, {});
    dispose(backend, bT);
    return out;
  }
  const aT = transpose2d(backend, a, M, K);
  const ct = plain(backend, kernel, view(b, [N, K]), aT, {}, {});
  const out = transpose2d(backend, ct, N, M);
  dispose(backend, aT, ct);
  return out;
}

/**
 * C = op(A)·op(B) (+bias) (ReLU) by the SIMD GEMM of ./wasmGemm: A is read through strides
 * (transposed or not), a transposed B is transposed explicitly first. Null where that GEMM
 * cannot run (no WebAssembly SIMD): then callers take the XNNPACK route.
 */
function simdMatMul(
  backend: KernelArgs['backend'], a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean,
  plan: MatMulPlan, bias: tf.TensorInfo | null, relu: boolean,
): tf.TensorInfo | null {
  const fns = gemmFor(backend.wasm.asm?.memory);
  if (fns === null) return null;
  const { M, N, K } = plan;
  const out = backend.makeOutput([M, N], 'float32');
  if (M * N === 0) return out;
  const bRowMajor = transposeB && K > 0 ? transpose2d(backend, b, N, K) : b;
  try {
    gemm(fns, heapOf(backend), {
      M, N, K,
      a: K > 0 ? backend.getMemoryOffset(a.dataId) : 0,
      rowStrideA: transposeA ? 1 : K,
      colStrideA: transposeA ? M : 1,
      b: K > 0 ? backend.getMemoryOffset(bRowMajor.dataId) : 0,
      c: backend.getMemoryOffset(out.dataId),
      bias: bias === null ? 0 : backend.getMemoryOffset(bias.dataId),
      relu,
    });
  } finally {
    if (bRowMajor !== b) dispose(backend, bRowMajor);
  }
  return out;
}

/** BatchMatMul kernel for the wasm backend; see the file comment. */
export function fastBatchMatMul(args: KernelArgs): tf.TensorInfo {
  const stock = stockKernel('BatchMatMul');
  const { a, b, transposeA, transposeB, plan } = matMulCall(args);
  if (!isSingle(plan) || a.dtype !== 'float32' || b.dtype !== 'float32') return stock(args);
  const simd = simdMatMul(args.backend, a, b, transposeA, transposeB, plan, null, false);
  if (simd !== null) return view(simd, plan.outShape);
  if (!transposeA && !transposeB) return stock(args);
  const out = matMulViaPlainProducts(args.backend, stock, a, b, transposeA, transposeB, plan);
  return view(out, plan.outShape);
}

/**
 * _FusedMatMul kernel (matmul + bias + activation) for the wasm backend: the SIMD GEMM with
 * its bias and ReLU epilogue for the activations it has (linear, relu) and a length-N bias;
 * otherwise XNNPACK, with transposed operands transposed explicitly first so the bias and
 * activation stay fused there.
 */
export function fastFusedMatMul(args: KernelArgs): tf.TensorInfo {
  const stock = stockKernel('_FusedMatMul');
  const { a, b, transposeA, transposeB, plan } = matMulCall(args);
  const backend = args.backend;
  const scalarBias = plan !== null ? expandScalarBias(backend, args.inputs.bias, plan.N) : null;
  const inputs = scalarBias === null ? args.inputs : { ...args.inputs, bias: scalarBias };
  try {
    if (!isSingle(plan)) return stock({ ...args, inputs });
    const activation = args.attrs.activation ?? 'linear';
    const bias = inputs.bias ?? null;
    const simdReady = (activation === 'linear' || activation === 'relu') && inputs.preluActivationWeights === undefined &&
      a.dtype === 'float32' && b.dtype === 'float32' && (bias === null || isVectorOfLength(bias, plan.N));
    const simd = simdReady ? simdMatMul(backend, a, b, transposeA, transposeB, plan, bias, activation === 'relu') : null;
    if (simd !== null) return view(simd, plan.outShape);
    if (!transposeA && !transposeB) return stock({ ...args, inputs });
    return fusedViaPlain(backend, stock, { ...args, inputs }, a, b, transposeA, transposeB, plan);
  } finally {
    if (scalarBias !== null) dispose(backend, scalarBias);
  }
}

/** A float32 bias holding exactly N values along its last axis (shape [N], [1, N], …). */
function isVectorOfLength(t: tf.TensorInfo, N: number): boolean {
  return t.dtype === 'float32' && t.shape.length >= 1 && t.shape[t.shape.length - 1] === N &&
    product(t.shape) === N;
}

/**
 * XNNPACK reads a bias of length N; tfjs allows a one-element bias (broadcast), which the
 * stock kernel then reads past its end. Give it a length-N copy (filled in the heap).
 */
function expandScalarBias(backend: KernelArgs['backend'], bias: tf.TensorInfo | undefined, N: number): tf.TensorInfo | null {
  if (bias === undefined || bias === null || N === 1) return null;
  if (product(bias.shape) !== 1 || bias.dtype !== 'float32') return null;
  const out = backend.makeOutput([N], 'float32');
  const heap = backend.wasm.HEAPF32;
  const value = heap[floatIndex(backend, bias)];
  const start = floatIndex(backend, out);
  heap.fill(value, start, start + N);
  return out;
}

function fusedViaPlain(
  backend: KernelArgs['backend'], stock: StockKernel, args: KernelArgs,
  a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean, plan: MatMulPlan,
): tf.TensorInfo {
  const { M, N, K } = plan;
  const a2 = transposeA ? transpose2d(backend, a, K, M) : view(a, [M, K]);
  const b2 = transposeB ? transpose2d(backend, b, N, K) : view(b, [K, N]);
  // The stock fused kernel reads rank-3 operands.
  const out = stock({
    inputs: { ...args.inputs, a: view(a2, [1, M, K]), b: view(b2, [1, K, N]) },
    backend,
    attrs: { ...args.attrs, transposeA: false, transposeB: false },
  });
  if (transposeA) dispose(backend, a2);
  if (transposeB) dispose(backend, b2);
  return view(out, plan.outShape);
}

/**
 * Identity without the copy. tfjs clones every tensor it saves for the backward pass
 * (dozens per training step) through this kernel, and the stock wasm Identity copies the
 * data; the cpu and webgl backends instead share it and count references, which is what
 * this does. Safe because no wasm kernel writes into an existing tensor's memory (outputs
 * are always fresh allocations, and Variable.assign swaps data rather than writing into it).
 */
export function sharedIdentity(args: KernelArgs): tf.TensorInfo {
  const x = args.inputs.x;
  if (x === undefined) throw new Error('engine: Identity called without input x');
  if (x.dtype === 'string') return stockKernel('Identity')(args);
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * Cast to the tensor's own dtype without the copy (tfjs casts float32 gradients to float32 in
 * several backward functions); a real conversion goes to the stock kernel.
 */
export function sharedCast(args: KernelArgs): tf.TensorInfo {
  const x = args.inputs.x;
  if (x === undefined) throw new Error('engine: Cast called without input x');
  if (x.dtype !== args.attrs.dtype || x.dtype === 'string') return stockKernel('Cast')(args);
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * Softplus by the WebAssembly SIMD function of ./wasmElementwise (about 3× the stock kernel's
 * speed; the Bernoulli log-likelihood applies it to every pixel's logit), or the stock
 * kernel where SIMD is unavailable.
 */
export function simdSoftplus(args: KernelArgs): tf.TensorInfo {
  const x = args.inputs.x;
  const backend = args.backend;
  const fns = elementwiseFor(backend.wasm.asm?.memory);
  if (x === undefined || x.dtype !== 'float32' || fns === null) return stockKernel('Softplus')(args);
  const out = backend.makeOutput(x.shape, 'float32');
  const n = product(x.shape);
  const xAt = backend.getMemoryOffset(x.dataId);
  const outAt = backend.getMemoryOffset(out.dataId);
  const done = n - (n % 4);
  if (done > 0) fns.softplus(xAt, outAt, done);
  const h = backend.wasm.HEAPF32;
  for (let i = done; i < n; i++) {
    const v = h[xAt / 4 + i];
    h[outAt / 4 + i] = v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v));
  }
  return out;
}

/** Can the SIMD GEMM run in this process (WebAssembly SIMD present)? */
export function gemmAvailable(): boolean {
  try {
    return webAssembly().validate(gemmModuleBytes());
  } catch {
    return false;
  }
}

/** The kernels of the pure-wasm fast engine, by kernel name. */
export function wasmFastKernels(): Record<string, StockKernel> {
  return {
    BatchMatMul: fastBatchMatMul, _FusedMatMul: fastFusedMatMul, Identity: sharedIdentity, Cast: sharedCast,
    Softplus: simdSoftplus, Sum: leadingAxesSum, ...vaeStepKernels(),
  };
}
