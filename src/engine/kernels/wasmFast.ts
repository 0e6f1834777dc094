/**
 * The pure-wasm fast engine: BatchMatMul and _FusedMatMul for the wasm backend that never
 * take the stock scalar loop for a single (unbatched) matrix product.
 *
 * Why: tfjs-backend-wasm sends a matmul to XNNPACK's fully-connected operator only when
 * neither operand is transposed; every transposed product, which is every gradient of a
 * dense layer (dX = dY·Wᵀ, dW = Xᵀ·dY), falls to a blocked scalar loop roughly ten times
 * slower. Here a transposed product is rewritten as one or two cheap explicit transposes
 * (the wasm Transpose kernel) around a non-transposed product that XNNPACK runs:
 *   Aᵀ·B       = transpose(A) · B
 *   A·Bᵀ       = A · transpose(B)              or  transpose(B · transpose(A))
 *   Aᵀ·Bᵀ      = transpose(B · A)
 * choosing for A·Bᵀ whichever moves fewer floats (XNNPACK also repacks its right operand).
 * Batched products (batch > 1) keep the stock kernel: it has no fast path for them anyway.
 */
import type * as tf from '@tensorflow/tfjs';
import { simdFor } from './wasmSimd';
import { KernelArgs, MatMulPlan, operands, planMatMul, sharedIdentity, stockKernel, StockKernel, view } from './shared';

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

/** BatchMatMul kernel for the wasm backend; see the file comment. */
export function fastBatchMatMul(args: KernelArgs): tf.TensorInfo {
  const stock = stockKernel('BatchMatMul');
  const { a, b } = operands(args.inputs);
  const transposeA = args.attrs.transposeA === true;
  const transposeB = args.attrs.transposeB === true;
  const plan = planMatMul(a.shape, b.shape, transposeA, transposeB);
  if ((!transposeA && !transposeB) || !isSingle(plan) || a.dtype !== 'float32' || b.dtype !== 'float32') {
    return stock(args);
  }
  const out = matMulViaPlainProducts(args.backend, stock, a, b, transposeA, transposeB, plan);
  return view(out, plan.outShape);
}

/**
 * _FusedMatMul kernel (matmul + bias + activation) for the wasm backend. Dense layers call
 * it untransposed, which goes straight to the stock kernel; transposed operands are
 * transposed explicitly first so the bias and activation stay fused in XNNPACK.
 */
export function fastFusedMatMul(args: KernelArgs): tf.TensorInfo {
  const stock = stockKernel('_FusedMatMul');
  const { a, b } = operands(args.inputs);
  const transposeA = args.attrs.transposeA === true;
  const transposeB = args.attrs.transposeB === true;
  const plan = planMatMul(a.shape, b.shape, transposeA, transposeB);
  const backend = args.backend;
  const scalarBias = plan !== null ? expandScalarBias(backend, args.inputs.bias, plan.N) : null;
  const inputs = scalarBias === null ? args.inputs : { ...args.inputs, bias: scalarBias };
  try {
    if ((!transposeA && !transposeB) || !isSingle(plan)) {
      return stock({ ...args, inputs });
    }
    return fusedViaPlain(backend, stock, { ...args, inputs }, a, b, transposeA, transposeB, plan);
  } finally {
    if (scalarBias !== null) dispose(backend, scalarBias);
  }
}

/**
 * XNNPACK reads a bias of length N; tfjs allows a one-element bias (broadcast), which the
 * stock kernel then reads past its end. Give it a length-N copy (filled in the heap).
 */
function expandScalarBias(backend: KernelArgs['backend'], bias: tf.TensorInfo | undefined, N: number): tf.TensorInfo | null {
  if (bias === undefined || bias === null || N === 1) return null;
  if (bias.shape.reduce((p, d) => p * d, 1) !== 1 || bias.dtype !== 'float32') return null;
  const out = backend.makeOutput([N], 'float32');
  const heap = backend.wasm.HEAPF32;
  const value = heap[backend.getMemoryOffset(bias.dataId) / 4];
  const start = backend.getMemoryOffset(out.dataId) / 4;
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
 * Softplus by the WebAssembly SIMD function of ./wasmSimd (about 3× the stock kernel's
 * speed; the Bernoulli log-likelihood applies it to every pixel's logit), or the stock
 * kernel where SIMD is unavailable.
 */
export function simdSoftplus(args: KernelArgs): tf.TensorInfo {
  const x = args.inputs.x;
  const backend = args.backend;
  const memory = backend.wasm.asm?.memory;
  const fns = memory !== undefined ? simdFor(memory) : null;
  if (x === undefined || x.dtype !== 'float32' || fns === null) return stockKernel('Softplus')(args);
  const out = backend.makeOutput(x.shape, 'float32');
  const n = x.shape.reduce((p, d) => p * d, 1);
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

/** The kernels of the pure-wasm fast engine, by kernel name. */
export function wasmFastKernels(): Record<string, StockKernel> {
  return { BatchMatMul: fastBatchMatMul, _FusedMatMul: fastFusedMatMul, Identity: sharedIdentity, Softplus: simdSoftplus };
}
